"""The machine's rate for one primitive, printed beside a benchmark's results: machines of this
project have differed 4x on the same numpy loop, so a result means little without it."""

from __future__ import annotations

import time

import numpy as np


def m31_mul_rate() -> float:
    """M multiplications per second: numpy uint64 multiply + reduce, in place."""
    a = np.random.default_rng(0).integers(0, 2**31 - 1, 1 << 20, dtype=np.uint64)
    out = np.empty_like(a)
    t0 = time.perf_counter()
    for _ in range(20):
        np.multiply(a, a, out=out)
        np.remainder(out, 2**31 - 1, out=out)
    return round(20 * a.size / (time.perf_counter() - t0) / 1e6, 1)
