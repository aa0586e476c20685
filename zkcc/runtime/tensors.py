"""The tensors of a proof as one MPI rank holds them: each whole, or only this rank's share.

A launch's outputs, hints and lookup columns are made by every rank for its own instance range
(zkcc/runtime/execute.py), and of the inputs each rank reads only its share: so a rank keeps its
*share* of every large tensor, a contiguous run of its flat elements, and never the whole of
it. What every rank needs whole and is small (the valid flags, a table's counts, the masks
drawn on rank 0) is kept whole on every rank (*replicated*).

A rank that needs elements it does not hold fetches them: `fetch(name, lo, hi)` is a
collective (every rank calls it, each with the range it wants, in the same order on every
rank, MPI's rule): the ranks trade what they hold of each other's ranges in one all-to-all.
On one rank every share is the whole tensor and a fetch is a view, so the same code serves
the one-process prover, whose proof the MPI one equals byte for byte.

Built on the same exchanges: `rows` (the rows of a tensor's padded table that a GKR shard
reads, zkcc/runtime/layout.py), `table_part` (a run of a padded table: what a rank encodes of
a commitment, zkcc/pcs/split.py), `mle` (a tensor's multilinear extension at a point: each
rank sums its rows' terms and the partial sums are added exactly) and `write` (a launch's
outputs into a slice of a larger tensor, sent to the ranks that hold those elements).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from zkcc.field.mle import eq_table, mle_evaluate, point_coords
from zkcc.ir.layout import padded_shape, slice_span
from zkcc.pcs.split import add_up, from_wire, span, to_wire
from zkcc.runtime.comm import SingleComm
from zkcc.runtime.layout import TableLayout

# rows of a share whose extension-field weights `mle` builds at once (bounds its temporaries)
MLE_CHUNK = 1 << 16


@dataclass
class _Held:
    size: int  # the tensor's flat length
    start: int  # the first element this rank holds
    values: np.ndarray  # elements [start, start + len(values))
    spans: list[range] | None  # every rank's held elements; None: every rank holds all


def _pack(r: range) -> bytes:
    return struct.pack("<QQ", r.start, r.stop)


def _unpack(raw: bytes) -> range:
    return range(*struct.unpack("<QQ", raw))


def even_share(size: int, comm: Any) -> range:
    """The elements of a `size`-element tensor a rank keeps when the split is free to choose:
    an even split in rank order (zkcc.pcs.split.span)."""
    return span(size, comm.size, comm.rank)


class TensorStore:
    """Tensor name -> what this rank holds of it (module docstring)."""

    def __init__(self, F, comm: Any = None) -> None:
        self.F = F
        self.comm = comm or SingleComm()
        self._held: dict[str, _Held] = {}

    @classmethod
    def of(
        cls,
        F,
        tensors: dict[str, np.ndarray],
        comm: Any = None,
        consume: bool = False,
        sizes: dict[str, int] | None = None,
    ) -> TensorStore:
        """A store of the inputs, of which each rank keeps its even share: `tensors` holds
        them whole on every rank, or with `sizes` (name -> the whole tensor's size) only this
        rank's even share of each already (zkcc.runtime.inputs.load_inputs with `part`).
        `consume`: empty `tensors` on the way, so that the arrays are freed once the caller
        lets go of nothing else."""
        store = cls(F, comm)
        for name in list(tensors):
            values = tensors.pop(name) if consume else tensors[name]
            if sizes is None:
                store.spread(name, values)
            else:
                store.share(name, sizes[name], even_share(sizes[name], store.comm).start, values)
        return store

    # -- holding -------------------------------------------------------------------------------
    def put(self, name: str, values: np.ndarray) -> None:
        """A tensor every rank holds whole, with the same values (replicated)."""
        self._held[name] = _Held(len(values), 0, values, None)

    def spread(self, name: str, values: np.ndarray) -> None:
        """A tensor every rank has whole: keep this rank's even share (a copy, so that the
        whole can be freed); one rank keeps the array itself."""
        if self.comm.size == 1:
            self.share(name, len(values), 0, values)
            return
        mine = even_share(len(values), self.comm)
        spans = [span(len(values), self.comm.size, q) for q in range(self.comm.size)]
        self._held[name] = _Held(
            len(values), mine.start, values[mine.start : mine.stop].copy(), spans
        )

    def share(self, name: str, size: int, start: int, values: np.ndarray) -> None:
        """This rank's share of a `size`-element tensor: elements [start, start + len(values)).
        Collective: the ranks learn each other's shares."""
        mine = range(start, start + len(values))
        if self.comm.size == 1:
            if len(mine) != size:
                raise ValueError(f"{name}: one rank holds {len(mine)} of {size} elements")
            spans = [mine]
        else:
            spans = [_unpack(raw) for raw in self.comm.allgather(_pack(mine))]
        self._held[name] = _Held(size, start, values, spans)

    def names(self) -> list[str]:
        return list(self._held)

    def __contains__(self, name: str) -> bool:
        return name in self._held

    def pop(self, name: str) -> None:
        """Forget a tensor (its last reader is done)."""
        self._held.pop(name, None)

    def size(self, name: str) -> int:
        return self._held[name].size

    def held(self, name: str) -> range:
        """The elements this rank holds."""
        h = self._held[name]
        return range(h.start, h.start + len(h.values))

    def local(self, name: str) -> np.ndarray:
        """The values this rank holds (its share, or the whole of a replicated tensor)."""
        return self._held[name].values

    # -- exchanges -----------------------------------------------------------------------------
    def fetch(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Elements [lo, hi) of a tensor: a view of what this rank holds, or (collective) what
        the ranks that hold them send."""
        h = self._held[name]
        if h.spans is None or self.comm.size == 1:
            if lo < h.start or hi > h.start + len(h.values):
                raise ValueError(f"{name}: elements [{lo}, {hi}) are not held here")
            return h.values[lo - h.start : hi - h.start]
        F = self.F
        wants = [_unpack(raw) for raw in self.comm.allgather(_pack(range(lo, hi)))]
        mine = h.spans[self.comm.rank]
        parts: list = []
        for w in wants:
            a, b = max(w.start, mine.start), min(w.stop, mine.stop)
            parts.append(to_wire(F, h.values[a - h.start : b - h.start]) if b > a else b"")
        got = self.comm.alltoall(parts)
        out = F.zeros(hi - lo)
        for s, raw in zip(h.spans, got, strict=True):
            a, b = max(lo, s.start), min(hi, s.stop)
            if b > a:
                out[a - lo : b - lo] = from_wire(F, raw, (1, b - a))[0]
        return out

    def whole(self, name: str) -> np.ndarray:
        """The whole tensor (collective unless every rank holds it)."""
        return self.fetch(name, 0, self._held[name].size)

    def write(self, name: str, size: int, lo: int, values: np.ndarray) -> None:
        """Elements [lo, lo + len(values)) of a `size`-element tensor, the first write making
        it (zeros, split evenly). Collective: each rank writes its own range (possibly empty),
        and the values go to the ranks that hold them."""
        F, comm = self.F, self.comm
        if name not in self._held:
            mine = even_share(size, comm)
            spans = [span(size, comm.size, q) for q in range(comm.size)]
            self._held[name] = _Held(size, mine.start, F.zeros(len(mine)), spans)
        h = self._held[name]
        if h.spans is None:
            raise ValueError(f"{name}: a replicated tensor is not written in parts")
        if comm.size == 1:
            h.values[lo : lo + len(values)] = values
            return
        writes = [_unpack(raw) for raw in comm.allgather(_pack(range(lo, lo + len(values))))]
        parts: list = []
        for s in h.spans:
            a, b = max(lo, s.start), min(lo + len(values), s.stop)
            parts.append(to_wire(F, values[a - lo : b - lo]) if b > a else b"")
        got = comm.alltoall(parts)
        mine = h.spans[comm.rank]
        for w, raw in zip(writes, got, strict=True):
            a, b = max(w.start, mine.start), min(w.stop, mine.stop)
            if b > a:
                h.values[a - h.start : b - h.start] = from_wire(F, raw, (1, b - a))[0]

    # -- padded tables -------------------------------------------------------------------------
    def rows(self, name: str, layout: TableLayout, lo: int, hi: int) -> np.ndarray:
        """Rows [lo, hi) of the tensor's padded table under `layout`, seen as (padded
        shape[0], rest): (hi - lo, rest). Collective unless replicated."""
        shape = layout.row_shape
        first = slice_span(layout.base_shape, layout.index).start if layout.base_shape else 0
        rest = int(np.prod(shape[1:], dtype=np.int64))
        a = min(lo, shape[0])  # rows past the real ones (a shard's padding) read nothing
        part = self.fetch(name, first + a * rest, first + max(a, min(hi, shape[0])) * rest)
        return layout.rows_from(self.F, part, lo, hi)

    def table_part(self, name: str, layout: TableLayout, a: int, b: int) -> np.ndarray:
        """Elements [a, b) of the tensor's flat padded table (collective unless replicated)."""
        width = int(np.prod(padded_shape(layout.row_shape)[1:], dtype=np.int64))
        r0, r1 = a // width, -(-b // width)
        return self.rows(name, layout, r0, r1).reshape(-1)[a - r0 * width : b - r0 * width]

    def mle(self, name: str, layout: TableLayout, point) -> Any:
        """The padded table's multilinear extension at `point` (zkcc.field.mle's order): each
        rank sums eq(point, i) T[i] over its rows, and the partial sums are added exactly.
        Collective unless replicated."""
        F = self.F
        E = F.ext
        if self._held[name].spans is None or self.comm.size == 1:
            return mle_evaluate(F, layout.table(F, self.whole(name)), point)
        coords = point_coords(F, point)
        width = int(np.prod(padded_shape(layout.row_shape)[1:], dtype=np.int64))
        low = width.bit_length() - 1
        mine = span(layout.row_shape[0], self.comm.size, self.comm.rank)
        block = self.rows(name, layout, mine.start, mine.stop)
        eq_low = eq_table(F, coords[:low])  # (d, width)
        eq_high = eq_table(F, coords[low:])[:, mine.start : mine.stop]  # (d, rows held)
        partial = E.zeros()
        step = max(1, MLE_CHUNK // width)
        for r in range(0, len(mine), step):
            k = min(step, len(mine) - r)
            weights = E.mul(np.repeat(eq_high[:, r : r + k], width, axis=1), np.tile(eq_low, k))
            partial = E.add(partial, E.dot(weights, block[r : r + k].reshape(-1)))
        return add_up(E, self.comm, partial[:, None])[:, 0]
