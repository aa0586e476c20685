"""The table an evaluation claim speaks about: a tensor in its canonical padded layout
(zkcc/ir/layout.py). A launch sees a split argument as (count, *param shape), so the instance
index is the high bits and the table is exactly the GKR input segment's table. Prover and
verifier build the same table from the same flat data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zkcc.ir.layout import padded_shape


@dataclass(frozen=True)
class TableLayout:
    shape: tuple[int, ...]

    @property
    def num_vars(self) -> int:
        return (math.prod(padded_shape(self.shape)) - 1).bit_length()

    def table(self, F, flat: np.ndarray) -> np.ndarray:
        """The 2^num_vars table, flattened row-major."""
        out = F.zeros(padded_shape(self.shape))
        out[tuple(slice(0, d) for d in self.shape)] = flat.reshape(self.shape)
        return out.reshape(-1)

    def rows(self, F, flat: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Rows [lo, hi) of the padded table seen as (padded shape[0], rest): the instance
        rows a shard needs, without building the whole table."""
        pad = padded_shape(self.shape)
        out = F.zeros((hi - lo, *pad[1:]))
        real = max(0, min(hi, self.shape[0]) - lo)
        if real:
            rest = tuple(slice(0, d) for d in self.shape[1:])
            out[(slice(0, real), *rest)] = flat.reshape(self.shape)[lo : lo + real]
        return out.reshape(hi - lo, -1)


def launch_layout(count: int, shape: tuple[int, ...], broadcast: bool) -> TableLayout:
    return TableLayout(shape if broadcast else (count, *shape))
