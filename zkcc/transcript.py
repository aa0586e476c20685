"""SHA-256 Fiat-Shamir transcript.

The state is a 32-byte hash chain. Every operation replaces it:

    absorb(label, data):  state <- H(state || 01 || u64(|label|) || label || u64(|data|) || data)
    challenge(label, n):  state <- H(state || 02 || u64(|label|) || label || u64(8) || u64(n))
                          output = H(state || 03 || u64(0)) || H(state || 03 || u64(1)) || ...

Labels and data are length-prefixed, so no two different operation sequences hash the same
input; challenges update the state before output is drawn, so every later challenge depends on
every earlier absorb and challenge. Output blocks use a different tag (0x03) from state updates.

Field challenges use wide reduction, not rejection: each base coordinate reduces F.wide_len
uniform bytes mod p (m31: 16 bytes, statistical distance <= p / 2^128 < 2^-97; bn254: 48 bytes,
<= r / 2^384 < 2^-130), so sampling is deterministic and constant-length.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zkcc.field import PrimeField
    from zkcc.field.base import Array
    from zkcc.field.ext import ExtField

_ABSORB, _CHALLENGE, _OUTPUT = b"\x01", b"\x02", b"\x03"


def _u64(n: int) -> bytes:
    return n.to_bytes(8, "little")


class Transcript:
    """A Fiat-Shamir transcript shared (explicitly passed) by prover and verifier code."""

    def __init__(self, domain: bytes) -> None:
        self._state = hashlib.sha256(b"zkcc-transcript-v1" + _u64(len(domain)) + domain).digest()

    def _update(self, tag: bytes, label: str, data: bytes) -> None:
        lb = label.encode("utf-8")
        h = hashlib.sha256(self._state)
        h.update(tag + _u64(len(lb)) + lb + _u64(len(data)))
        h.update(data)
        self._state = h.digest()

    def absorb(self, label: str, data: bytes) -> None:
        """Bind labelled bytes into the state."""
        self._update(_ABSORB, label, bytes(data))

    def absorb_ints(self, label: str, values: list[int]) -> None:
        """Bind non-negative integers < 2^64 (sizes, counts, indices)."""
        if any(v < 0 or v >= 1 << 64 for v in values):
            raise ValueError("absorb_ints takes integers in [0, 2^64)")
        self.absorb(label, b"".join(_u64(v) for v in values))

    def absorb_field(self, label: str, F: PrimeField | ExtField, values: Array) -> None:
        """Bind field elements by their canonical encoding (pass F.ext for extension arrays)."""
        self.absorb(label, F.encode(values))

    def challenge_bytes(self, label: str, n: int) -> bytes:
        """n pseudo-random bytes; the state moves on first, so the output depends on it all."""
        self._update(_CHALLENGE, label, _u64(n))
        blocks = [
            hashlib.sha256(self._state + _OUTPUT + _u64(i)).digest() for i in range(-(-n // 32))
        ]
        return b"".join(blocks)[:n]

    def challenge_exts(self, label: str, F: PrimeField, n: int) -> Array:
        """n challenge-field elements as a (d, n) extension array."""
        E = F.ext
        raw = self.challenge_bytes(label, n * E.degree * F.wide_len)
        flat = F.from_wide_bytes(raw, n * E.degree)
        return flat.reshape(n, E.degree).T.copy()

    def challenge_ext(self, label: str, F: PrimeField) -> Any:
        """One challenge-field element, shape (d,): the bytes `challenge_exts` would read,
        reduced with Python ints (a sumcheck draws one per round, where the array reduction's
        per-call cost was most of the draw)."""
        E, w = F.ext, F.wide_len
        raw = self.challenge_bytes(label, E.degree * w)
        p = F.p
        return E.from_reduced_ints(
            [int.from_bytes(raw[i : i + w], "little") % p for i in range(0, len(raw), w)]
        )

    def fork_state(self) -> bytes:
        """The current 32-byte state (for tests and debugging; never used as a secret)."""
        return self._state
