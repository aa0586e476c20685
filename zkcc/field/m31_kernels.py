"""Hot loops of the m31 sumcheck: exact inner products and in-place multilinear folds.

Both run over cache-sized chunks of the tables (a Python loop over blocks of entries, each
block handled by whole-array numpy ufuncs) and spread the chunks over a small thread pool:
numpy releases the GIL inside ufunc and einsum loops, so two cores give ~1.7x.

Exact inner product trick: for reduced u, v (< 2^31) and a chunk of C <= 2^20 entries,
T = sum u_i v_i < 2^82. A uint64 einsum gives T mod 2^64 in one pass, a float64 einsum gives T
with absolute error < C * 2^-53 * T < 2^50, far below 2^63, so
    T = (T mod 2^64) + 2^64 * round((T_float - (T mod 2^64)) / 2^64)
exactly. Nine component sums per pair of extension vectors cost two 3x3 einsums per chunk
instead of nine multiply-and-reduce passes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from zkcc.errors import UserError
from zkcc.field.m31 import _P, P, mul_reduce, reduce_u64

xp = np
CHUNK = 1 << 13
W = 5  # x^3 = W in the cubic extension
_F64 = np.float64
_POOL: ThreadPoolExecutor | None = None


# worker threads for the chunked kernels; ZKCC_THREADS sets it (e.g. 1 per MPI rank on a
# machine with one core per rank)
def _threads() -> int:
    text = os.environ.get("ZKCC_THREADS", "")
    if not text:
        return max(1, min(4, os.cpu_count() or 1))
    if not text.isdigit() or int(text) < 1:
        raise UserError(f"ZKCC_THREADS={text!r}: expected a positive number of threads")
    return int(text)


_THREADS = _threads()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="m31")
    return _POOL


def run_chunks(fn: Callable[[int, int], Any], n: int, chunk: int = CHUNK) -> list[Any]:
    """fn(start, stop) over [0, n) in chunks; threads only when there is enough work."""
    bounds = [(s, min(s + chunk, n)) for s in range(0, n, chunk)]
    if len(bounds) < 2 * _THREADS:
        return [fn(s, e) for s, e in bounds]
    per = -(-len(bounds) // _THREADS)
    groups = [bounds[i : i + per] for i in range(0, len(bounds), per)]
    parts = _pool().map(lambda g: [fn(s, e) for s, e in g], groups)
    return [r for part in parts for r in part]


def _as2d(a: Any) -> Any:
    return a if a.ndim == 2 else a[None]


def _exact_matrix(a: Any, b: Any) -> list[list[int]]:
    """Exact integer sums M[j][k] = sum_i a[j, i] * b[k, i] for a chunk (<= 2^20 entries)."""
    mu = xp.einsum("ik,jk->ij", a, b)
    mf = xp.einsum("ik,jk->ij", a.astype(_F64), b.astype(_F64))
    out = []
    for j in range(a.shape[0]):
        row = []
        for k in range(b.shape[0]):
            lo = int(mu[j, k])
            row.append(lo + (round((float(mf[j, k]) - lo) / 18446744073709551616.0) << 64))
        out.append(row)
    return out


def _add_matrices(ms: list[list[list[int]]]) -> list[list[int]]:
    acc = ms[0]
    for m in ms[1:]:
        acc = [[x + y for x, y in zip(ra, rb, strict=True)] for ra, rb in zip(acc, m, strict=True)]
    return acc


def _to_ext(m: list[list[int]]) -> Any:
    """Collapse component sums into an extension scalar: x^3 = W, coefficients of x^0..x^4."""
    if len(m) == 1 and len(m[0]) == 1:
        c = [m[0][0], 0, 0]
    elif len(m) == 1 or len(m[0]) == 1:
        c = [m[0][k] for k in range(3)] if len(m) == 1 else [m[j][0] for j in range(3)]
    else:
        s = [0] * 5
        for j in range(3):
            for k in range(3):
                s[j + k] += m[j][k]
        c = [s[0] + W * s[3], s[1] + W * s[4], s[2]]
    return np.array([v % P for v in c], dtype=np.uint64)


def dot(a: Any, b: Any) -> Any:
    """sum_i a_i b_i over m31 / its cubic extension; a, b are (n,) base or (3, n) ext."""
    a2, b2 = _as2d(a), _as2d(b)
    n = a2.shape[1]
    if n == 0:
        return np.zeros(3, dtype=np.uint64)
    parts = run_chunks(lambda s, e: _exact_matrix(a2[:, s:e], b2[:, s:e]), n)
    return _to_ext(_add_matrices(parts))


def _diff_inplace(lo: Any, hi: Any, tmp: Any) -> None:
    """hi <- hi - lo (mod p), branch-free."""
    xp.subtract(hi, lo, out=hi)
    xp.add(hi, _P, out=tmp)
    xp.minimum(hi, tmp, out=hi)


def round_diff(f: Any, g: Any) -> tuple[Any, Any]:
    """One sumcheck round's sums on tables laid out [lo | hi] along the last axis.

    Returns (sum lo_f*lo_g, sum d_f*d_g) with d = hi - lo, and leaves d in the hi halves.
    """
    f2, g2 = _as2d(f), _as2d(g)
    h = f2.shape[1] // 2

    def work(s: int, e: int) -> tuple[list[list[int]], list[list[int]]]:
        lf, hf = f2[:, s:e], f2[:, h + s : h + e]
        lg, hg = g2[:, s:e], g2[:, h + s : h + e]
        tmp = xp.empty(e - s, dtype=np.uint64)
        for t_lo, t_hi in ((lf, hf), (lg, hg)):
            for c in range(t_lo.shape[0]):
                _diff_inplace(t_lo[c], t_hi[c], tmp)
        return _exact_matrix(lf, lg), _exact_matrix(hf, hg)

    parts = run_chunks(work, h)
    m0 = _add_matrices([p[0] for p in parts])
    m2 = _add_matrices([p[1] for p in parts])
    return _to_ext(m0), _to_ext(m2)


def _mul_matrix(r: Any) -> list[list[np.uint64]]:
    """R with (r*d)_c = sum_j R[c][j] d_j in F_p[x]/(x^3 - W)."""
    rc = [int(v) for v in r]
    return [
        [np.uint64(rc[(c - j) % 3] * (W if j > c else 1) % P) for j in range(3)] for c in range(3)
    ]


def fold(t: Any, r: Any) -> Any:
    """lo + r * d for a table laid out [lo | d]; ext tables fold in place into lo.

    Returns the folded (3, h) extension table (a view of `t` when t is an ext table).
    """
    if t.ndim == 1:
        h = t.shape[0] // 2
        lo, d = t[:h], t[h:]
        out = xp.empty((3, h), dtype=np.uint64)
        for c in range(3):
            mul_reduce(d, np.uint64(int(r[c])), out=out[c])
        xp.add(out[0], lo, out=out[0])
        xp.minimum(out[0], out[0] - _P, out=out[0])
        return out
    h = t.shape[1] // 2
    rm = _mul_matrix(r)

    def work(s: int, e: int) -> None:
        acc = xp.empty(e - s, dtype=np.uint64)
        tmp = xp.empty(e - s, dtype=np.uint64)
        d = t[:, h + s : h + e]
        for c in range(3):
            lo_c = t[c, s:e]
            xp.multiply(d[0], rm[c][0], out=acc)
            xp.add(acc, lo_c, out=acc)
            for j in (1, 2):
                xp.multiply(d[j], rm[c][j], out=tmp)
                xp.add(acc, tmp, out=acc)
            reduce_u64(acc, tmp)  # < 3 (p-1)^2 + p < 2^64 before reduction
            lo_c[...] = acc

    run_chunks(work, h)
    return t[:, :h]
