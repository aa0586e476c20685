"""The polynomial-commitment interface the runtime uses for tensors.

    commit(F, flat)                         -> (commitment bytes, prover state)
    open(F, state, claims, transcript)      -> opening (a tree for the proof file)
    verify(F, commitment, count, claims, opening, transcript)   raises ProofRejected

All claims on one tensor are opened together. A claim says: the multilinear extension of the
table that `layout` builds from the tensor equals `value` at `point`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkcc.pcs.layout import TableLayout


@dataclass
class Claim:
    tensor: str
    layout: TableLayout
    point: list[Any]  # challenge-field elements, point[i] binds bit i of the table index
    value: Any  # challenge-field element
    origin: str  # what produced the claim, for messages ("launch 2 (dot), param:x")


def get_pcs(name: str):
    from zkcc.pcs.merkle import MerklePCS

    if name == "merkle":
        return MerklePCS()
    raise ValueError(f"unknown PCS {name!r}")
