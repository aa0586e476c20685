"""The prover's private randomness: the OS CSPRNG, or a seed (`zkcc prove --seed`, tests only).

Each consumer asks for its own labelled source (`Randomness.source("groth16/3")`). Seeded, a
source is SHA-256 in counter mode over (seed, label), so what one part draws never depends on
what another drew before it, on the number of MPI ranks or on --mem-limit chunking: a seeded
proof is the same bytes however it was run. A seeded proof is NOT zero-knowledge against
anyone who knows or guesses the seed; without a seed every source is the `secrets` module.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol

SEED_BYTES = 8  # --seed takes 0 <= seed < 2^64


class RandomSource(Protocol):
    def randbelow(self, n: int) -> int: ...

    def token_bytes(self, n: int) -> bytes: ...


class _SeededSource:
    """randbelow by rejection sampling on SHA-256(seed || label || counter) blocks."""

    def __init__(self, key: bytes) -> None:
        self._key, self._counter, self._pool = key, 0, b""

    def _bytes(self, k: int) -> bytes:
        while len(self._pool) < k:
            block = self._key + self._counter.to_bytes(8, "little")
            self._pool += hashlib.sha256(block).digest()
            self._counter += 1
        out, self._pool = self._pool[:k], self._pool[k:]
        return out

    def token_bytes(self, n: int) -> bytes:
        """n bytes at once (masks and padding of whole tables): SHAKE-256 over the key and the
        source's request counter (shared with randbelow's blocks, domain-separated by the
        "bulk/" tag), so a request's bytes do not depend on the sizes requested before it."""
        self._counter += 1
        block = b"bulk/" + self._key + self._counter.to_bytes(8, "little")
        return hashlib.shake_256(block).digest(n)

    def randbelow(self, n: int) -> int:
        if n <= 0:
            raise ValueError("randbelow needs n > 0")
        bits = (n - 1).bit_length()
        mask = (1 << bits) - 1
        while True:
            x = int.from_bytes(self._bytes((bits + 7) // 8), "little") & mask
            if x < n:
                return x


@dataclass(frozen=True)
class Randomness:
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.seed is not None and not 0 <= self.seed < 1 << (8 * SEED_BYTES):
            raise ValueError(f"seed must be in [0, 2^{8 * SEED_BYTES})")

    def source(self, label: str) -> RandomSource:
        if self.seed is None:
            return secrets  # type: ignore[return-value]
        key = b"zkcc-prover-randomness/" + self.seed.to_bytes(SEED_BYTES, "little")
        return _SeededSource(hashlib.sha256(key + b"/" + label.encode()).digest())
