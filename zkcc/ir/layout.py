"""The canonical padded layout of tensors and kernel parameters.

Every dimension is zero-padded to a power of two and the result flattened row-major. Kernel
parameters enter GKR input layers this way and tensors are committed this way, so a claim on a
launch's input segment is a claim on the argument tensor's committed table, with the instance
index as the high bits.
"""

from __future__ import annotations

import math

import numpy as np


def log2_ceil(n: int) -> int:
    return max(0, (n - 1).bit_length())


def padded_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Every dimension rounded up to a power of two."""
    return tuple(1 << log2_ceil(d) for d in shape)


def padded_index(shape: tuple[int, ...]) -> np.ndarray:
    """For each row-major flat index of `shape`, its flat index in the padded layout."""
    if not shape:
        return np.zeros(1, dtype=np.int64)
    grid = np.indices(shape).reshape(len(shape), -1)
    return np.ravel_multi_index(tuple(grid), padded_shape(shape)).astype(np.int64)


def _merged(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The coarsest shape with the same padded layout: dimensions of 1 dropped, and each
    power-of-two dimension merged into the one before it (the pair's padded digits are then
    exactly the merged digit: pad(d d') = pad(d) d' and k d' + k' = K when d' is a power of
    two). What is left has no power-of-two dimension but possibly the first."""
    out: list[int] = []
    for d in shape:
        if d == 1:
            continue
        if out and d & (d - 1) == 0:
            out[-1] *= d
        else:
            out.append(d)
    return tuple(out)


def same_padded_layout(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether a reshape from a to b keeps the padded table: every element at the same padded
    position. Only such views can be read by launches: commitments are to the base tensor's
    padded table. Decided from the shapes alone (their merged forms), never by listing the
    elements, so a view of a 2^40-element tensor costs nothing."""
    return math.prod(a) == math.prod(b) and _merged(a) == _merged(b)


def slice_span(shape: tuple[int, ...], index: tuple[int, ...]) -> slice:
    """Where the slice `t[i0][i1]...` of a tensor of `shape` lies in its row-major flat data:
    leading indices fix a contiguous run."""
    inner = math.prod(shape[len(index) :])
    start = 0
    for d, i in zip(shape, index, strict=False):
        start = start * d + i
    return slice(start * inner, (start + 1) * inner)


def slice_bits(shape: tuple[int, ...], index: tuple[int, ...]) -> list[int]:
    """The fixed high index bits of that slice in the padded table, least significant first.

    Padding every dimension to a power of two makes a slice along leading indices a sub-cube:
    its padded table is the base's at indices block * 2^m + x, with m the slice's own number of
    variables and `block` the leading indices read in the padded leading dimensions. So a claim
    on the slice at point p is a claim on the base at (p, these bits)."""
    block, nbits = 0, 0
    for d, i in zip(shape, index, strict=False):
        block = block * (1 << log2_ceil(d)) + i
        nbits += log2_ceil(d)
    return [(block >> j) & 1 for j in range(nbits)]
