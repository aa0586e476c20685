"""The table an evaluation claim speaks about: a tensor in its canonical padded layout
(zkcc/ir/layout.py). A launch sees a split argument as (count, *param shape), so the instance
index is the high bits and the table is exactly the GKR input segment's table. Prover and
verifier build the same table from the same flat data.

A launch argument may be a slice `t[i]` of a tensor along leading indices. Its table is then
a sub-cube of the tensor's committed table (the top index bits fixed, zkcc.ir.layout.
slice_bits): the layout reads the slice's part of the tensor's flat data, and `on_base` turns
a claim on the slice into a claim on the whole tensor, by extending the point with constant
coordinates, without copying any data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zkcc.ir.layout import padded_shape, slice_bits, slice_span


@dataclass(frozen=True)
class TableLayout:
    shape: tuple[int, ...]
    # for a slice: the shape of the tensor whose flat data the table reads, and the slice's
    # leading indices in it (None: the data is the table's own, of `shape`)
    base_shape: tuple[int, ...] | None = None
    index: tuple[int, ...] = ()

    @property
    def row_shape(self) -> tuple[int, ...]:
        """The shape as the row views read it, (rows, *rest): a scalar (a `__broadcast__`
        scalar parameter, a slice down to one element) is one row of one element."""
        return self.shape or (1,)

    @property
    def num_vars(self) -> int:
        return (math.prod(padded_shape(self.shape)) - 1).bit_length()

    def own(self, flat: np.ndarray) -> np.ndarray:
        """The part of a tensor's flat data this table holds (a view, not a copy)."""
        if self.base_shape is None:
            return flat
        return flat[slice_span(self.base_shape, self.index)]

    def table(self, F, flat: np.ndarray) -> np.ndarray:
        """The 2^num_vars table, flattened row-major."""
        out = F.zeros(padded_shape(self.shape))
        out[tuple(slice(0, d) for d in self.shape)] = self.own(flat).reshape(self.shape)
        return out.reshape(-1)

    def rows_from(self, F, part: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Rows [lo, hi) of the padded table seen as (padded shape[0], rest), from `part`,
        the flat data of the real rows among them (rows lo .. min(hi, shape[0])): the
        instance rows a shard needs, without building the whole table."""
        shape = self.row_shape
        pad = padded_shape(shape)
        out = F.zeros((hi - lo, *pad[1:]))
        real = max(0, min(hi, shape[0]) - lo)
        if real:
            rest = tuple(slice(0, d) for d in shape[1:])
            out[(slice(0, real), *rest)] = part.reshape(real, *shape[1:])
        return out.reshape(hi - lo, math.prod(pad[1:]))  # no rows: an MPI rank past the blocks

    def on_base(self, F, point) -> tuple[TableLayout, list]:
        """A claim at `point` on this table as a claim on the whole tensor's table: its
        layout, and the point extended by the slice's fixed index bits (E constants 0/1).
        A slice's point (a list of extension scalars or a (d, m) array) becomes a list; any
        other layout's is returned as it is."""
        if self.base_shape is None:
            return self, point
        bits = slice_bits(self.base_shape, self.index)
        return TableLayout(self.base_shape), extend_point(F, point, bits)


def extend_point(F, point, bits: list[int]) -> list:
    """`point` (a list of extension scalars or a (d, m) array) as a list, followed by the
    constant coordinates `bits` (E constants 0/1): a claim on a sub-cube of a larger table
    whose higher index bits are fixed, as a claim on the larger table."""
    coords = (
        [point[:, i] for i in range(point.shape[1])]
        if getattr(point, "ndim", 0) == 2
        else list(point)
    )
    if not bits:
        return coords
    fixed = F.ext.from_base(F.array(bits))
    return coords + [fixed[:, j] for j in range(len(bits))]


def launch_layout(
    count: int,
    shape: tuple[int, ...],
    broadcast: bool,
    base_shape: tuple[int, ...] | None = None,
    index: tuple[int, ...] = (),
) -> TableLayout:
    """A launch param's table: (count, *shape) for a split param, `shape` for a broadcast
    one; reading the slice `index` of a tensor of `base_shape` when the argument is one."""
    return TableLayout(shape if broadcast else (count, *shape), base_shape, index)
