"""Merkle-hash commitment opened by revealing the table (zkCUDA's default scheme).

Commitment: the root of a SHA-256 Merkle tree (zkcc/pcs/merkle_tree.py) over 4 KiB chunks of
the table's canonical encoding, bound to the field and m. Opening a batch of claims reveals
every table that has a claim; the verifier recomputes each root and evaluates each claim
itself. It is binding (SHA-256 collision resistance) but hides nothing, and its openings are as
large as the tables: kept as the simple reference scheme and for debugging (`--pcs merkle`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field.mle import mle_evaluate
from zkcc.pcs.base import PcsClaim, Relation, TableShare, check_relations
from zkcc.pcs.merkle_tree import MerkleTree

LEAF_BYTES = 4096


def _root(F, encoded: bytes, m: int) -> bytes:
    pad = -len(encoded) % LEAF_BYTES
    leaves = np.frombuffer(encoded + b"\x00" * pad, dtype=np.uint8).reshape(-1, LEAF_BYTES)
    return MerkleTree(b"zkcc-merkle-v1/" + F.name.encode() + bytes([m]), leaves).root


class MerklePCS:
    name = "merkle"

    def held(self, F, n: int, comm=None) -> range:
        """Every worker reads the whole table (the scheme is not split)."""
        return range(n)

    def commit(self, F, table, columns=None, rng=None, comm=None) -> tuple[bytes, bytes]:
        """Returns (commitment, prover state = the encoded table); `columns` (where a tensor
        code keeps its encoded matrix) and `rng` (nothing is hidden) do not apply,
        nor does `comm`: every worker holds the table and computes the same root alone.
        `table`: the whole table, or a TableShare holding all of it."""
        if isinstance(table, TableShare):
            table = table.part(0, table.size)
        encoded = F.encode(table)
        return _root(F, encoded, (len(table) - 1).bit_length()), encoded

    def open(
        self,
        F,
        states: dict[str, bytes],
        claims: list[PcsClaim],
        transcript,
        relations=(),
        comm=None,
    ) -> Tree:
        """Every worker reveals the same tables (`comm` does not apply)."""
        check_relations(claims, relations)
        return {"tables": {name: states[name] for name in sorted({c.name for c in claims})}}

    def verify(
        self,
        F,
        commitments: dict[str, tuple[bytes, int]],
        claims: list[PcsClaim],
        opening: Schema,
        transcript,
        relations: Sequence[Relation] = (),
    ) -> None:
        """Recompute each revealed table's root and evaluate every claim; a hidden claim's
        value is the evaluation, checked through its relation."""
        check_relations(claims, relations)
        opening.dict({"tables"})
        tables = opening.field("tables")
        names = sorted({c.name for c in claims})
        tables.dict(set(names))
        decoded = {}
        for name in names:
            commitment, m = commitments[name]
            raw = tables.field(name).bytes(length=(1 << m) * F.byte_len)
            if _root(F, raw, m) != commitment:
                raise ProofRejected(f"revealed table of {name} does not match its commitment")
            decoded[name] = F.decode(raw, 1 << m)
        E = F.ext
        values = [mle_evaluate(F, decoded[c.name], c.point) for c in claims]
        for c, v in zip(claims, values, strict=True):
            if not c.hidden and not E.equal(v, c.value):
                raise ProofRejected(f"evaluation claim on {c.name} does not hold")
        for r, rel in enumerate(relations):
            acc = E.zeros(())
            for i, coeff in rel.terms:
                acc = E.add(acc, E.mul(values[i], coeff))
            if not E.equal(acc, rel.total):
                raise ProofRejected(rel.failed(r))
