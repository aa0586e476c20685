"""The polynomial-commitment interface the runtime uses for tensors.

A committed polynomial is the multilinear extension of a table of 2^m base-field values (a
tensor in its canonical padded layout, zkcc/ir/layout.py). Every scheme provides

    commit(F, table, columns=None)                 -> (commitment bytes, prover state)
    open(F, states, claims, transcript)            -> one opening (a tree) for ALL claims
    verify(F, commitments, claims, opening, transcript)   raises ProofRejected / FormatError

where `states` maps tensor names to prover states, `commitments` maps names to
(commitment bytes, m), and each claim says: the polynomial `name` equals `value` at `point`.
`columns` makes the store a tensor code keeps its encoded matrix in (zkcc.pcs.ligero
ColumnStore; a file under `--mem-limit`); a scheme without one ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PCS_NAMES = ("merkle", "ligero")


@dataclass
class PcsClaim:
    name: str
    point: Any  # list of m extension scalars, or a (d, m) extension array; point[i] binds bit i
    value: Any  # extension scalar (d,)


def get_pcs(name: str):
    """The commitment scheme called `name` (as recorded in a plan)."""
    if name == "merkle":
        from zkcc.pcs.merkle import MerklePCS

        return MerklePCS()
    if name == "ligero":
        from zkcc.pcs.ligero import LigeroPCS

        return LigeroPCS()
    raise ValueError(f"unknown PCS {name!r}; known: {', '.join(PCS_NAMES)}")
