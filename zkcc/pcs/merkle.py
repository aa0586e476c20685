"""Merkle-hash tensor commitment, opened by revealing the tensor (zkCUDA's default scheme).

Commitment: the root of a SHA-256 Merkle tree over chunks of the tensor's canonical encoding,
bound to the field and the element count. Opening a batch of evaluation claims reveals the
tensor; the verifier recomputes the root and evaluates every claimed table itself. Binding
follows from SHA-256 collision resistance; the scheme hides nothing and its openings are as large
as the tensor. A succinct scheme replaces it behind the same interface (zkcc.pcs.base).
"""

from __future__ import annotations

import hashlib

from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field.mle import mle_evaluate
from zkcc.pcs.base import Claim

LEAF_BYTES = 4096  # a leaf hashes this many bytes of encoded elements


def merkle_root(leaves: list[bytes]) -> bytes:
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves] or [b"\x00" * 32]
    while len(level) > 1:
        if len(level) % 2:
            level.append(b"\x00" * 32)
        level = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level), 2)
        ]
    return level[0]


def _root(F, encoded: bytes, count: int) -> bytes:
    leaves = [encoded[i : i + LEAF_BYTES] for i in range(0, len(encoded), LEAF_BYTES)]
    header = b"zkcc-merkle-v1" + F.name.encode() + count.to_bytes(8, "little")
    return hashlib.sha256(header + merkle_root(leaves)).digest()


class MerklePCS:
    name = "merkle"

    def commit(self, F, flat) -> tuple[bytes, bytes]:
        """Returns (commitment, prover state = the encoded tensor)."""
        encoded = F.encode(flat)
        return _root(F, encoded, len(flat)), encoded

    def open(self, F, state: bytes, claims: list[Claim], transcript) -> Tree:
        return {"values": state}

    def verify(
        self, F, commitment: bytes, count: int, claims: list[Claim], opening: Schema, transcript
    ) -> None:
        opening.dict({"values"})
        encoded = opening.field("values").bytes(length=count * F.byte_len)
        if _root(F, encoded, count) != commitment:
            raise ProofRejected(f"{opening.path}: revealed tensor does not match its commitment")
        flat = F.decode(encoded, count)
        check_claims(F, flat, claims, opening.path)


def check_claims(F, flat, claims: list[Claim], where: str) -> None:
    """Evaluate every claimed table on known data and compare."""
    for c in claims:
        got = mle_evaluate(F, c.layout.table(F, flat), c.point)
        if not F.ext.equal(got, c.value):
            raise ProofRejected(f"{where}: evaluation claim ({c.origin}) does not hold")
