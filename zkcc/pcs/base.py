"""The polynomial-commitment interface the runtime uses for tensors.

A committed polynomial is the multilinear extension of a table of 2^m base-field values (a
tensor in its canonical padded layout, zkcc/ir/layout.py). Every scheme provides

    commit(F, table, columns=None, rng=None, comm=None) -> (commitment, prover state)
    open(F, states, claims, transcript, relations=(), comm=None)  -> one opening (a tree)
    verify(F, commitments, claims, opening, transcript, relations=()) raises ProofRejected /
                                                                         FormatError

where `states` maps tensor names to prover states, `commitments` maps names to
(commitment bytes, m), and each claim says: the polynomial `name` equals `value` at `point`.
`columns` makes the store a tensor code keeps its encoded matrix in (zkcc.pcs.ligero
ColumnStore; a file under `--mem-limit`); a scheme without one ignores it. `rng` is the
prover's private randomness (default: the OS CSPRNG), which a hiding scheme draws from (a
hiding Ligero table commits a fixed number of masks, whatever its claims). A hidden claim's
value is known to the prover only; the `relations` (linear, over hidden claims) are what the
verifier checks of them. `comm` (zkcc/runtime/comm.py; default one process) is the group of
MPI ranks that commit and open together: every rank calls both, and all get the same
commitment and opening (a tensor code splits its work, zkcc/pcs/split.py). A rank need not
hold the whole table: `held(F, n, comm)` names the elements of an n-element table that this
rank's share of the work reads, and `commit` takes them as a `TableShare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

PCS_NAMES = ("merkle", "ligero")


class RandomSource(Protocol):
    """The prover's private coins (zkcc/runtime/randomness.py; the `secrets` module fits)."""

    def token_bytes(self, n: int) -> bytes: ...


@dataclass
class TableShare:
    """Elements [start, start + len(values)) of a `size`-element table to commit: what one
    MPI rank holds of it (at least the part `held` names)."""

    size: int
    start: int
    values: Any

    @classmethod
    def whole(cls, table: Any) -> TableShare:
        return cls(len(table), 0, table)

    def part(self, lo: int, hi: int) -> Any:
        """Elements [lo, hi) (they must be held)."""
        if lo < self.start or hi > self.start + len(self.values):
            raise ValueError(f"table elements [{lo}, {hi}) are not in this share")
        return self.values[lo - self.start : hi - self.start]


@dataclass
class PcsClaim:
    name: str
    point: Any  # list of m extension scalars, or a (d, m) extension array; point[i] binds bit i
    value: Any  # extension scalar (d,); None on the verifier's side of a hidden claim
    hidden: bool = False  # the value stays secret: a Relation says what it must satisfy


@dataclass
class Relation:
    """sum_k coeff_k * value(claims[index_k]) == total over hidden claims: all a verifier
    learns of them. A hiding scheme reveals this combination and nothing else (zkcc.pcs.ligero,
    "Hidden claims"); a revealing one states the values and checks the relation."""

    terms: list[tuple[int, Any]]  # (index into the opening's claim list, extension coefficient)
    total: Any  # extension scalar (d,)
    what: str = ""  # what made it, for a rejection's message

    def failed(self, r: int) -> str:
        where = f" ({self.what})" if self.what else ""
        return f"pcs: the hidden claims do not satisfy relation {r}{where}"


def check_relations(claims: list[PcsClaim], relations) -> None:
    """Every hidden claim is in exactly one relation, and relations speak of hidden claims
    only (a known value belongs in the total): the caller's contract, not the proof's."""
    seen: set[int] = set()
    for rel in relations:
        for i, _ in rel.terms:
            if not 0 <= i < len(claims) or not claims[i].hidden or i in seen:
                raise ValueError(f"relation term {i}: not a hidden claim, or in two relations")
            seen.add(i)
    if seen != {i for i, c in enumerate(claims) if c.hidden}:
        raise ValueError("a hidden claim is in no relation")


def get_pcs(name: str, hiding: bool = True, table_logs: Sequence[int] = ()):
    """The commitment scheme called `name` (as recorded in a plan); `hiding` asks for the
    zero-knowledge variant where the scheme has one (Ligero; `merkle` reveals its tables);
    `table_logs`, the log2 sizes of every table the proof commits, let Ligero choose their
    shapes together (zkcc.pcs.ligero_params.table_shapes)."""
    if name == "merkle":
        from zkcc.pcs.merkle import MerklePCS

        return MerklePCS()
    if name == "ligero":
        from zkcc.pcs.ligero import LigeroPCS

        return LigeroPCS(hiding=hiding, table_logs=table_logs)
    raise ValueError(f"unknown PCS {name!r}; known: {', '.join(PCS_NAMES)}")
