"""The fast circle-code encoder over m31: cache-sized blocks of rows, uint32 lanes, two threads.

Same transform as `codes` (see its docstring for the levels and twiddles), reorganised for
numpy on a CPU:

* Row-major input, column-major output. The tensor commitment encodes the R rows of its
  matrix and hashes COLUMNS of the result, so `encode_rows(M)` takes M (B, n) as it lies in
  memory and writes U (N, B) with U[j] = leaf j. Each block of `bc` rows is encoded into a
  small (bc, N) buffer that stays in L2 through all levels; groups of `GROUP` finished rows
  are transposed into U at once (64-byte runs per leaf row), so neither the table nor the
  codewords go through a separate full-size transpose.
* Two layouts. Level s pairs coefficient rows r, r + 2^s at each of N / 2^(s+1) domain
  positions. The first levels (long runs of rows, few positions) work on (bc, pos, rows), the
  last ones on (bc, rows, pos), with one in-cache transpose between, so every ufunc runs over
  contiguous runs >= 2^(K/2) long.
* Expanded twiddles. Each level's twiddles are stored repeated to the exact shape of the
  half it multiplies (N/2 entries, cached per code size), so the multiply needs no
  broadcasting, which numpy handles ~1.5x slower.
* Arithmetic: inputs reduced in uint32; e1 * w in uint64 (< 2^62), folded once with
  2^31 = 1 (mod p) to t < 2^32 and cast back to uint32; t, e0 + t and e0 - t each get one
  branch-free conditional subtract (`minimum(x, x - p)` wraps around when x < p). Eleven
  passes per butterfly, all on L2-resident buffers.
* Threads: the rows are split between two workers; numpy releases the GIL in ufunc loops.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from zkcc.field.base import Array

P = (1 << 31) - 1
_P32 = np.uint32(P)
_P64 = np.uint64(P)
_S31 = np.uint64(31)
BLOCK = 1 << 17  # codeword symbols per block (bc * N): 512 KiB of uint32
GROUP = 16  # rows transposed into the output together: 64-byte runs


def _use_b_layout(s: int, K: int) -> bool:
    """(bc, pos, rows) while the row halves (2^s) are at least as long as the positions."""
    return 2 * s + 1 >= K


@cache
def expanded_twiddles(K: int, k: int) -> tuple[Array, ...]:
    """Per level s < k, the twiddles repeated to the shape of that level's odd half."""
    from zkcc.pcs.codes import circle_twiddles

    tws = circle_twiddles(K)
    out = []
    for s in range(k):
        tw = np.asarray(tws[s], dtype=np.uint64)
        out.append(np.repeat(tw, 1 << s) if _use_b_layout(s, K) else np.tile(tw, 1 << s))
    return tuple(out)


class _Scratch:
    """Per-worker buffers for blocks of up to bc rows (no allocation inside the level loop)."""

    def __init__(self, bc: int, n: int, N: int) -> None:
        self.x = np.empty((bc, n), dtype=np.uint32)
        self.v = (np.empty(bc * N, dtype=np.uint32), np.empty(bc * N, dtype=np.uint32))
        self.prod = np.empty(bc * N // 2, dtype=np.uint64)
        self.hi = np.empty(bc * N // 2, dtype=np.uint64)
        self.t = np.empty(bc * N // 2, dtype=np.uint32)
        self.tmp = np.empty(bc * N // 2, dtype=np.uint32)


def _butterfly(e0: Array, e1: Array, tw: Array, lo: Array, hi: Array, sc: _Scratch) -> None:
    """lo = e0 + e1 w, hi = e0 - e1 w (mod p); e0, e1, lo, hi of one shape, tw flat."""
    size = tw.size * e1.shape[0]
    shp = e1.shape
    prod = sc.prod[:size].reshape(shp)
    h64 = sc.hi[:size].reshape(shp)
    t = sc.t[:size].reshape(shp)
    tmp = sc.tmp[:size].reshape(shp)
    np.multiply(e1, tw.reshape(shp[1:]), out=prod)  # < 2^62
    np.right_shift(prod, _S31, out=h64)
    np.bitwise_and(prod, _P64, out=prod)
    np.add(prod, h64, out=prod)  # <= p + 2^31 - 1 < 2^32
    np.copyto(t, prod, casting="unsafe")
    np.subtract(t, _P32, out=tmp)
    np.minimum(t, tmp, out=t)
    np.add(e0, t, out=lo)
    np.subtract(lo, _P32, out=tmp)
    np.minimum(lo, tmp, out=lo)
    np.subtract(e0, t, out=hi)
    np.add(hi, _P32, out=tmp)
    np.minimum(hi, tmp, out=hi)


def _encode_block(X: Array, K: int, tws: tuple[Array, ...], Y: Array, sc: _Scratch) -> None:
    """Rows of X (bc, n) uint32 -> rows of Y (bc, N): the codewords, levels k-1 .. 0."""
    bc, n = X.shape
    k = n.bit_length() - 1
    N = 1 << K
    if k == 0:
        Y[...] = X
        return
    cur, nxt = sc.v
    b_layout = _use_b_layout(k - 1, K)
    # level k-1 reads the message broadcast over the N / n positions (zero padding)
    V = np.broadcast_to(X[:, None, :], (bc, N >> k, n))
    if not b_layout:
        V = V.transpose(0, 2, 1)
    for s in range(k - 1, -1, -1):
        h, pos = 1 << s, N >> (s + 1)
        dst = Y if s == 0 else nxt[: bc * N]
        if b_layout:
            W = dst.reshape(bc, 2, pos, h)
            _butterfly(V[:, :, :h], V[:, :, h:], tws[s], W[:, 0], W[:, 1], sc)
            V = W.reshape(bc, 2 * pos, h)
            if s and not _use_b_layout(s - 1, K):
                T = cur[: bc * N].reshape(bc, h, 2 * pos)
                np.copyto(T, V.transpose(0, 2, 1))
                V, b_layout = T, False
                continue
        else:
            W = dst.reshape(bc, h, 2, pos)
            _butterfly(V[:, :h], V[:, h:], tws[s], W[:, :, 0], W[:, :, 1], sc)
            V = W.reshape(bc, h, 2 * pos)
        cur, nxt = nxt, cur


def encode_rows(M: Array, rate_log: int, out: Array | None = None) -> Array:
    """Circle-code every row of M (B, n), reduced m31 values -> U (N, B) uint32, U[j] = leaf j."""
    from zkcc.field.m31_kernels import _THREADS, run_chunks

    B, n = M.shape
    k = n.bit_length() - 1
    K = k + rate_log
    N = 1 << K
    U = np.empty((N, B), dtype=np.uint32) if out is None else out
    tws = expanded_twiddles(K, k)
    bc = max(1, min(GROUP, BLOCK // N))
    group = max(GROUP, bc)

    def work(c0: int, c1: int) -> None:
        sc = _Scratch(bc, n, N)
        Y = np.empty((group, N), dtype=np.uint32)
        for g0 in range(c0, c1, group):
            g1 = min(g0 + group, c1)
            for b0 in range(g0, g1, bc):
                b1 = min(b0 + bc, g1)
                X = sc.x[: b1 - b0]
                np.copyto(X, M[b0:b1], casting="unsafe")
                _encode_block(X, K, tws, Y[b0 - g0 : b1 - g0], sc)
            U[:, g0:g1] = Y[: g1 - g0].T

    per = -(-B // (2 * _THREADS))
    per = -(-per // group) * group
    run_chunks(work, B, per if B * N >= 1 << 16 else B)
    return U
