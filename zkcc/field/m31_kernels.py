"""Hot loops of the m31 sumcheck: exact inner products and in-place multilinear folds.

Both run over cache-sized chunks of the tables (a Python loop over blocks of entries, each
block handled by whole-array numpy ufuncs) and spread the chunks over a small thread pool:
numpy releases the GIL inside ufunc and einsum loops, so two cores give ~1.7x.

Exact inner product trick: for reduced u, v (< 2^31) and a chunk of C <= 2^20 entries,
T = sum u_i v_i < 2^82. A uint64 einsum gives T mod 2^64 in one pass, a float64 einsum gives T
with absolute error < C * 2^-53 * T < 2^50, far below 2^63, so
    T = (T mod 2^64) + 2^64 * round((T_float - (T mod 2^64)) / 2^64)
exactly. The sixteen component sums per pair of QM31 vectors cost two 4x4 einsums per chunk
instead of sixteen multiply-and-reduce passes.

Every kernel takes its array module from the extension field it is given (`E.xp`), hoisted
into a local before the chunk loop.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from zkcc.field.m31 import _P, _S31, mul_reduce, reduce_u64

if TYPE_CHECKING:
    from zkcc.field.ext import ExtField

CHUNK = 1 << 13
# entries of an outer_sum table one thread fills at a time: its rows and the scratch stay
# in cache through the ~60 passes (measured 2x faster than whole-table passes at 2^20)
OUTER_CHUNK = 1 << 15
# a fold of at most this many entries per component runs as one (d, d, h) pass
SMALL_FOLD = 1 << 10
_F64 = np.float64
_TWO_M64 = 2.0**-64
_POOL: ThreadPoolExecutor | None = None


def _threads() -> tuple[int, str | None]:
    """Worker threads for the chunked kernels (ZKCC_THREADS, e.g. 1 per MPI rank on a machine
    with one core per rank), and what is wrong with the variable, if anything. Read when the
    module is imported, which is before the CLI can report an error: a bad value takes the
    default here and `zkcc.cli.main` refuses it (raising here ended in a traceback, exit 1)."""
    default = max(1, min(4, os.cpu_count() or 1))
    text = os.environ.get("ZKCC_THREADS", "")
    if not text:
        return default, None
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        return default, f"ZKCC_THREADS={text!r}: expected a positive number of threads"
    return int(text), None


_THREADS, THREADS_PROBLEM = _threads()


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


def _exact(xp: Any, low: Any, approx: Any) -> list[list[int]]:
    """A 2-D array of exact integer sums from the same sums mod 2^64 (uint64) and in float64
    (error below 2^63): T = low + 2^64 round((approx - low) / 2^64), as Python ints."""
    high = xp.rint((approx - low.astype(_F64)) * _TWO_M64).astype(np.int64).tolist()
    return [
        [lo + (hi << 64) for lo, hi in zip(lows, highs, strict=True)]
        for lows, highs in zip(low.tolist(), high, strict=True)
    ]


def _exact_matrix(xp: Any, a: Any, b: Any) -> list[list[int]]:
    """Exact integer sums M[j][k] = sum_i a[j, i] * b[k, i] for a chunk (<= 2^20 entries)."""
    approx = xp.einsum("ik,jk->ij", a.astype(_F64), b.astype(_F64))
    return _exact(xp, xp.einsum("ik,jk->ij", a, b), approx)


def _add_matrices(ms: list[list[list[int]]]) -> list[list[int]]:
    acc = ms[0]
    for m in ms[1:]:
        acc = [[x + y for x, y in zip(ra, rb, strict=True)] for ra, rb in zip(acc, m, strict=True)]
    return acc


def _to_ext(E: ExtField, m: list[list[int]]) -> Any:
    """Collapse component sums M[j][k] (of a_j b_k) into one extension scalar."""
    d = E.degree
    if len(m) == 1 and len(m[0]) == 1:
        c = [m[0][0]] + [0] * (d - 1)
    elif len(m) == 1 or len(m[0]) == 1:
        c = [m[0][k] for k in range(d)] if len(m) == 1 else [m[j][0] for j in range(d)]
    else:
        s = [0] * (2 * d - 1)
        for j in range(d):
            for k in range(d):
                s[j + k] += m[j][k]
        return E.xp.array(E.reduce_ints(s), dtype=np.uint64)
    return E.xp.array([v % E.base.p for v in c], dtype=np.uint64)


def dot(E: ExtField, a: Any, b: Any) -> Any:
    """sum_i a_i b_i over m31 / its extension; a, b are (n,) base or (d, n) ext."""
    xp = E.xp
    a2, b2 = _as2d(a), _as2d(b)
    n = a2.shape[1]
    if n == 0:
        return xp.zeros(E.degree, dtype=np.uint64)
    parts = run_chunks(lambda s, e: _exact_matrix(xp, a2[:, s:e], b2[:, s:e]), n)
    return _to_ext(E, _add_matrices(parts))


def _diff_inplace(xp: Any, lo: Any, hi: Any) -> None:
    """hi <- hi - lo (mod p), branch-free."""
    tmp = xp.empty(hi.shape, dtype=np.uint64)
    xp.subtract(hi, lo, out=hi)
    xp.add(hi, _P, out=tmp)
    xp.minimum(hi, tmp, out=hi)


def round_diff(E: ExtField, f: Any, g: Any) -> tuple[Any, Any]:
    """One sumcheck round's sums on tables laid out [lo | hi] along the last axis.

    Returns (sum lo_f*lo_g, sum d_f*d_g) with d = hi - lo, and leaves d in the hi halves.
    """
    xp = E.xp
    f2, g2 = _as2d(f), _as2d(g)
    h = f2.shape[1] // 2
    if h <= CHUNK:
        return _one_chunk_round(E, f2, g2, h)

    def work(s: int, e: int) -> tuple[list[list[int]], list[list[int]]]:
        lf, hf = f2[:, s:e], f2[:, h + s : h + e]
        lg, hg = g2[:, s:e], g2[:, h + s : h + e]
        for t_lo, t_hi in ((lf, hf), (lg, hg)):  # every component at once
            _diff_inplace(xp, t_lo, t_hi)
        return _exact_matrix(xp, lf, lg), _exact_matrix(xp, hf, hg)

    parts = run_chunks(work, h)
    m0 = _add_matrices([p[0] for p in parts])
    m2 = _add_matrices([p[1] for p in parts])
    return _to_ext(E, m0), _to_ext(E, m2)


@functools.cache
def _degree_sums(df: int, dg: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """The (df * dg, 2d - 1) 0/1 matrix taking the component products a_j b_k of a df-by-dg
    product to the coefficients of u^(j + k), as uint64 and as float64."""
    w = np.zeros((df * dg, 2 * d - 1), dtype=np.uint64)
    for j in range(df):
        for k in range(dg):
            w[j * dg + k, j + k] = 1
    return w, w.astype(_F64)


def _one_chunk_round(E: ExtField, f2: Any, g2: Any, h: int) -> tuple[Any, Any]:
    """`round_diff` for tables of one chunk, in a fixed dozen numpy calls (a deep circuit's
    sumchecks are mostly on such tables, and numpy's per-call cost is most of a round):
    both sums' component products from one batched product over the [lo, d] halves,
    collapsed to the coefficients of u^0..u^(2d-2) before the exact-sum correction (`_exact`:
    mod 2^64 and in float64, the float error staying far below 2^63)."""
    xp, d = E.xp, E.degree
    for t in (f2, g2):
        _diff_inplace(xp, t[:, :h], t[:, h:])
    df, dg = f2.shape[0], g2.shape[0]
    a = f2.reshape(df, 2, h).transpose(1, 0, 2)  # (2, df, h): [lo_f, d_f]
    b = g2.reshape(dg, 2, h).transpose(1, 2, 0)  # (2, h, dg): [lo_g, d_g]
    w_u, w_f = (xp.asarray(w) for w in _degree_sums(df, dg, d))
    low = xp.matmul(a, b).reshape(2, df * dg) @ w_u  # mod 2^64
    approx = xp.matmul(a.astype(_F64), b.astype(_F64)).reshape(2, df * dg) @ w_f
    lo_sums, d_sums = (E.reduce_ints(s) for s in _exact(xp, low, approx))
    return E.from_reduced_ints(lo_sums), E.from_reduced_ints(d_sums)


def _times_u(xp: Any, a: Any) -> Any:
    """a u for a (4, n) QM31 vector: (a0, a1, a2, a3) u = (-5 a3, a0, a1 + 4 a3, a2), since
    u^4 = 4 u^2 - 5 (ExtField.times_u_ints is the scalar form)."""
    out = xp.empty_like(a)
    out[1], out[3] = a[0], a[2]
    out[0] = (_P - a[3]) * np.uint64(5)  # < 5p
    out[2] = a[1] + a[3] * np.uint64(4)  # < 5p
    for c in (0, 2):
        reduce_u64(xp, out[c])
    return out


def outer_sum(E: ExtField, us: list[Any], cs: list[Any]) -> Any:
    """sum_k us[k] (x) cs[k] for QM31 vectors us[k] (d, W) and cs[k] (d, C): the (d, W, C)
    table of sum_k u_k[x] c_k[s], the GKR prover's phase tables.

    Component m of a product u c is sum_i u_i (c u^i)_m, so with the C-sized factors c_k u^i
    made first (`_times_u`, on vectors), every component is 4 K outer products of base
    vectors accumulated unreduced: four products (< 2^62 each) fit in 64 bits, a fold
    ((t & p) + (t >> 31) < 2^34) makes room for three more, and one reduction ends it. For
    K = 1 that is 60 passes over W x C, all into the output or one scratch table, against
    about 75 for the product of the broadcast (d, W, 1) and (d, 1, C) tables, most of them
    into fresh arrays, and K of those for a sum; rows go in cache-sized blocks over the
    thread pool. At W x C = 2^20, K = 2: 218 -> 28-36 ms (mlp_digits spent a quarter of its
    prove in these tables)."""
    xp, d = E.xp, E.degree
    factors = []  # factors[k][i] = c_k u^i, (d, C)
    for c in cs:
        row = [c]
        for _ in range(d - 1):
            row.append(_times_u(xp, row[-1]))
        factors.append(row)
    W, C = us[0].shape[1], cs[0].shape[1]
    out = xp.empty((d, W, C), dtype=np.uint64)

    def work(x0: int, x1: int) -> None:  # rows x0..x1 of every component, cache-sized
        tmp = xp.empty((x1 - x0, C), dtype=np.uint64)
        for m in range(d):
            acc, units = out[m, x0:x1], 0  # units: products' worth of headroom used in acc
            for u, row in zip(us, factors, strict=True):
                for i in range(d):
                    col = u[i][x0:x1, None]
                    if units == 0:
                        xp.multiply(col, row[i][m][None, :], out=acc)
                        units = 1
                        continue
                    if units == 4:
                        xp.right_shift(acc, _S31, out=tmp)
                        xp.bitwise_and(acc, _P, out=acc)
                        xp.add(acc, tmp, out=acc)
                        units = 1
                    xp.multiply(col, row[i][m][None, :], out=tmp)
                    xp.add(acc, tmp, out=acc)
                    units += 1
            reduce_u64(xp, acc, tmp)

    run_chunks(work, W, max(1, OUTER_CHUNK // max(C, 1)))
    return out


def mul_matrix(E: ExtField, r: Any) -> Any:
    """(d, d) R with (r*d)_c = sum_j R[c, j] d_j: column j is r * u^j (entries < p)."""
    col = E.ints(r)
    cols = [col]
    for _ in range(E.degree - 1):  # times u: a shift and u^4 = 4u^2 - 5, no full product
        col = E.times_u_ints(col)
        cols.append(col)
    return E.xp.asarray(cols, dtype=np.uint64).T


def _by_matrix(rm: Any, t: Any) -> Any:
    """sum_j rm[c, j] t[j] for every component c, unreduced (four products of reduced values,
    < 4 (p-1)^2): a matrix product for (d, n) tables, else one (d, d, ...) product and a sum,
    for tables small enough that the temporary is cheap."""
    if t.ndim == 2:
        return rm @ t
    return (rm.reshape(rm.shape + (1,) * (t.ndim - 1)) * t[None]).sum(axis=1)


def scalar_times(E: ExtField, r: Any, t: Any) -> Any:
    """r t for an extension scalar r and a small extension table t (d, ...), by r's
    multiplication matrix; the general product (`ExtField.mul`) spends about forty numpy
    calls on the same."""
    return reduce_u64(E.xp, _by_matrix(mul_matrix(E, r), t))


def fold(E: ExtField, t: Any, r: Any) -> Any:
    """lo + r * d for a table laid out [lo | d]; ext tables fold in place into lo.

    Returns the folded (d, h) extension table (a view of `t` when t is an ext table).
    """
    xp, d_ = E.xp, E.degree
    if t.ndim == 1:
        h = t.shape[0] // 2
        lo, d = t[:h], t[h:]
        out = xp.empty((d_, h), dtype=np.uint64)
        r_col = xp.asarray(E.ints(r), dtype=np.uint64)[:, None]
        if h <= SMALL_FOLD:
            mul_reduce(xp, d[None, :], r_col, out=out)
        else:  # per component: one scratch row, not (d, h) of them
            for c in range(d_):
                mul_reduce(xp, d, r_col[c, 0], out=out[c])
        xp.add(out[0], lo, out=out[0])
        xp.minimum(out[0], out[0] - _P, out=out[0])
        return out
    h = t.shape[1] // 2
    rm = mul_matrix(E, r)
    if h <= SMALL_FOLD:  # every component in one pass: numpy's per-call cost dominates here
        acc = _by_matrix(rm, t[:, h:])
        acc += t[:, :h]  # < 4 (p-1)^2 + p < 2^64 before reduction
        t[:, :h] = reduce_u64(xp, acc)
        return t[:, :h]

    def work(s: int, e: int) -> None:
        acc = xp.empty(e - s, dtype=np.uint64)
        tmp = xp.empty(e - s, dtype=np.uint64)
        d = t[:, h + s : h + e]
        for c in range(d_):
            lo_c = t[c, s:e]
            xp.multiply(d[0], rm[c, 0], out=acc)
            xp.add(acc, lo_c, out=acc)
            for j in range(1, d_):
                xp.multiply(d[j], rm[c, j], out=tmp)
                xp.add(acc, tmp, out=acc)
            reduce_u64(xp, acc, tmp)  # < 4 (p-1)^2 + p < 2^64 before reduction
            lo_c[...] = acc

    run_chunks(work, h)
    return t[:, :h]
