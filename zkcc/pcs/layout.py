"""How an evaluation claim sees a tensor: the table whose multilinear extension is claimed.

A GKR input segment of a launch reads a tensor as a (rows x cols) table padded to powers of
two: per-instance columns padded with zeros, instance rows padded by repeating row 0 (padded
instances re-run instance 0, so every constraint still holds on them). A broadcast segment, or
an `assert_eq`, reads the flat tensor padded with zeros. Prover and verifier build the same
table from the same flat data, so a claim means the same thing on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TableLayout:
    rows: int  # instances; 0 for a flat (broadcast) table
    cols: int  # elements per row (or of the flat tensor)
    rows_log2: int
    cols_log2: int

    @property
    def num_vars(self) -> int:
        return self.rows_log2 + self.cols_log2

    def table(self, F, flat: np.ndarray) -> np.ndarray:
        """The 2^num_vars table, flattened row-major (index = row * 2^cols_log2 + col)."""
        width = 1 << self.cols_log2
        if self.rows == 0:
            out = F.zeros(width)
            out[: self.cols] = flat[: self.cols]
            return out
        data = flat.reshape(self.rows, self.cols)
        out = F.zeros((1 << self.rows_log2, width))
        out[: self.rows, : self.cols] = data
        out[self.rows :, : self.cols] = data[0]
        return out.reshape(-1)


def log2_ceil(n: int) -> int:
    return max(0, (n - 1).bit_length())


def flat_layout(size: int) -> TableLayout:
    return TableLayout(0, size, 0, log2_ceil(size))


def launch_layout(count: int, size: int, broadcast: bool) -> TableLayout:
    if broadcast:
        return flat_layout(size)
    return TableLayout(count, size, log2_ceil(count), log2_ceil(size))
