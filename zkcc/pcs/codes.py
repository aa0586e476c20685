"""Reed–Solomon-type codes with butterfly (FFT) encoders: circle codes over m31, RS over bn254.

Both codes share one encoder. A message of n = 2^k symbols is read as coefficients c_j in a
basis b_j indexed by bits (j_0, ..., j_{K-1}), zero-padded to N = 2^K = n / rate, and evaluated
on a domain of N points by the recursion (bit j_s is split at level s with twiddle w):

    f(P) = f_0(next(P)) + w(P) f_1(next(P)),   f(P') = f_0(next(P)) - w(P) f_1(next(P))

where P' is P's partner at that level. Level s holds 2^s partial polynomials (row index = the
low s coefficient bits) evaluated on N / 2^s points laid out [first half | partners]; one level
is one vectorised butterfly over whole arrays.

* bn254, RS [ω of order N]: domain ω^i in natural order, w = x, next(x) = x^2, partner -x.
  Level s twiddles: ω^(2^s i), i < N / 2^(s+1). Codewords: polynomials of degree < n.
* m31, circle code [HLP24, Circle STARKs]: the circle x^2 + y^2 = 1 over F_p has 2^31 points.
  With g of order 2N the domain is the "standard position coset" of odd powers of g, ordered
  D[k] = g^(1+4k), D[k + N/2] = g^-(1+4k) (conjugate, same x). Level 0 splits j_0 with w = y;
  level s >= 1 works on x-coordinates X_s[i] = x(g^(2^(s-1) (1+4i))) with w = x,
  next(x) = 2x^2 - 1 (point doubling) and partner -x. b_j = y^j0 v_1^j1 v_2^j2 ... with
  v_1 = x, v_(i+1) = 2 v_i^2 - 1 has total degree <= n/2, so by Bezout a nonzero codeword has
  at most n zeros on the circle (nonzero because every twiddle is nonzero, so the transform is
  invertible): relative distance >= 1 - rate, like RS.

Zero padding: levels s >= k see zero odd halves, so they copy; encoding starts at level k with
the message broadcast and costs N log2(n) butterfly halves. `encode` works on (n, B) arrays
(B independent messages side by side, e.g. the matrix columns of a tensor commitment), giving
(N, B). `encode_reference` is the slow twin: the basis evaluated point by point.

Array modules: twiddles are computed once per code size on the host (numpy) and cached; the
generic encoder runs on the field's `F.xp`; the m31 encoder is the CPU kernel in `codes_m31`
(numpy, cache-blocked), which a device field would replace with its own kernel.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from zkcc.field.base import Array, PrimeField, square_and_multiply
from zkcc.field.m31 import _P, P, mul_reduce
from zkcc.forked import fork_or_inline
from zkcc.pcs import codes_m31

# Fewest bn254 butterflies worth a forked process: about 25 ms of work on this project's
# machines, against a few ms to fork and to send the codewords back.
FORK_MIN_BUTTERFLIES = 1 << 16

# generator of the order-2^31 circle group over m31 (x, y), as used by Stwo
M31_CIRCLE_GEN = (2, 1268011823)
BN254_GENERATOR = 5  # multiplicative generator of the BN254 scalar field; 2^28 | r - 1
BN254_TWO_ADICITY = 28


# ---- circle group over m31 (vectorised point arithmetic) ------------------------------------
def _cmul(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
    """Group law (x1 x2 - y1 y2, x1 y2 + x2 y1), elementwise on m31 numpy arrays (host-side
    twiddle precomputation)."""
    (x1, y1), (x2, y2) = a, b
    xx = mul_reduce(np, x1, x2)
    yy = mul_reduce(np, y1, y2)
    x = np.minimum(xx - yy, xx - yy + _P)  # uint64 wrap-around trick
    s = mul_reduce(np, x1, y2) + mul_reduce(np, x2, y1)
    return x, np.minimum(s, s - _P)


def _cmul_int(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return (a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P


def _cpow(pt: tuple[int, int], e: int) -> tuple[int, int]:
    return square_and_multiply(_cmul_int, (1, 0), pt, e)


def _geometric_points(start: tuple[int, int], step: tuple[int, int], n: int) -> tuple[Array, Array]:
    """start * step^i for i < n (n a power of two), by doubling the list log2(n) times."""
    xs = np.array([start[0]], dtype=np.uint64)
    ys = np.array([start[1]], dtype=np.uint64)
    st = step
    while xs.size < n:
        nx, ny = _cmul((xs, ys), (np.uint64(st[0]), np.uint64(st[1])))
        xs, ys = np.concatenate([xs, nx]), np.concatenate([ys, ny])
        st = _cmul_int(st, st)
    return xs[:n], ys[:n]


def circle_generator(order_log2: int) -> tuple[int, int]:
    """A point of order 2^order_log2 on the m31 circle (order_log2 <= 31)."""
    return _cpow(M31_CIRCLE_GEN, 1 << (31 - order_log2))


@cache
def circle_twiddles(K: int) -> tuple[Array, ...]:
    """Per-level twiddles of the size-2^K circle code (see the module docstring)."""
    N = 1 << K
    g = circle_generator(K + 1)
    out = []
    for s in range(K):
        half = N >> (s + 1)
        if s == 0:
            _, ys = _geometric_points(g, _cpow(g, 4), half)
            out.append(ys)
        else:
            gs = _cpow(g, 1 << (s - 1))
            xs, _ = _geometric_points(gs, _cpow(gs, 4), half)
            out.append(xs)
    return tuple(out)


def circle_domain(K: int) -> tuple[list[int], list[int]]:
    """The N points in codeword order (for the reference encoder and tests)."""
    N = 1 << K
    g = circle_generator(K + 1)
    xs, ys = _geometric_points(g, _cpow(g, 4), N // 2)
    return [int(v) for v in xs] * 2, [int(v) for v in ys] + [(P - int(v)) % P for v in ys]


# ---- RS over bn254 --------------------------------------------------------------------------
@cache
def bn254_root(K: int) -> int:
    from zkcc.field.bn254 import R

    if K > BN254_TWO_ADICITY:
        raise ValueError(f"bn254 has no subgroup of order 2^{K}")
    w = pow(BN254_GENERATOR, (R - 1) >> K, R)
    if K and pow(w, 1 << (K - 1), R) == 1:
        raise ValueError("bn254 root of unity has the wrong order")
    return w


@cache
def rs_twiddles(K: int) -> tuple[Array, ...]:
    from zkcc.field.bn254 import R

    w = bn254_root(K)
    N = 1 << K
    powers = [1] * (N // 2 or 1)
    for i in range(1, N // 2):
        powers[i] = powers[i - 1] * w % R
    base = np.array(powers, dtype=object)
    return tuple(base[:: 1 << s][: N >> (s + 1)].copy() for s in range(K))


# ---- the shared encoder ---------------------------------------------------------------------
def twiddles(F: PrimeField, K: int) -> tuple[Array, ...]:
    return circle_twiddles(K) if F.name == "m31" else rs_twiddles(K)


def _level_generic(F: PrimeField, V: Array, tw: Array) -> Array:
    half = V.shape[0] // 2
    e0, e1 = V[:half], V[half:]
    t = F.mul(e1, tw[None, :, None])
    return F.xp.concatenate([F.add(e0, t), F.sub(e0, t)], axis=1)


def _encode_generic(F: PrimeField, msg: Array, rate_log: int) -> Array:
    xp = F.xp
    n, B = msg.shape
    k = n.bit_length() - 1
    tws = [xp.asarray(t) for t in twiddles(F, k + rate_log)]  # cached on the host
    V = xp.ascontiguousarray(xp.broadcast_to(msg[:, None, :], (n, 1 << rate_log, B)))
    for s in range(k - 1, -1, -1):
        V = _level_generic(F, V, tws[s])
    return V[0]


def _encode_bn254(xp: Any, msg: Array, rate_log: int) -> Array:
    """The RS encoder on Python ints with lazy reduction: only the twiddle products are
    reduced (mod r); sums and differences grow by at most r per level (exact big ints, and
    negative ones are fine), and the codewords are reduced once at the end. Four object
    operations per butterfly instead of six."""
    from zkcc.field.bn254 import R

    n, B = msg.shape
    k = n.bit_length() - 1
    tws = rs_twiddles(k + rate_log)
    V = xp.broadcast_to(msg[:, None, :], (n, 1 << rate_log, B))
    for s in range(k - 1, -1, -1):
        half, mid = V.shape[0] // 2, V.shape[1]
        e0, e1 = V[:half], V[half:]
        t = (e1 * tws[s][None, :, None]) % R
        out = xp.empty((half, 2 * mid, B), dtype=object)
        xp.add(e0, t, out=out[:, :mid])
        xp.subtract(e0, t, out=out[:, mid:])
        V = out
    return xp.asarray(V[0] % R, dtype=object)


def _check_len(n: int) -> None:
    if n < 1 or n & (n - 1):
        raise ValueError("message length must be a power of two")


def _encode_bn254_forked(F: PrimeField, msg: Array, rate_log: int, workers: int) -> Array:
    """`_encode_bn254` with the messages split over up to `workers` processes (zkcc.forked):
    the butterflies on Python ints hold the GIL, so threads would take turns. A child sends
    its codewords back as 32-byte integers, about a sixth of its work's time at n = 2^11, so
    a part gets at least FORK_MIN_BUTTERFLIES."""
    n, B = msg.shape
    work = (n << rate_log) // 2 * (n.bit_length() - 1) * B
    parts = min(workers, B, work // FORK_MIN_BUTTERFLIES)
    if parts < 2:
        return _encode_bn254(F.xp, msg, rate_log)
    bounds = [B * i // parts for i in range(parts + 1)]
    children = [
        fork_or_inline(lambda lo=lo, hi=hi: F.encode(_encode_bn254(F.xp, msg[:, lo:hi], rate_log)))
        for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)
    ]
    try:
        first = _encode_bn254(F.xp, msg[:, : bounds[1]], rate_log)
        N = n << rate_log
        rest = [
            F.decode(child.result(), N * (hi - lo)).reshape(N, hi - lo)
            for child, lo, hi in zip(children, bounds[1:-1], bounds[2:], strict=True)
        ]
    finally:
        for child in children:
            child.close()
    return F.xp.concatenate([first, *rest], axis=1)


def encode(F: PrimeField, msg: Array, rate_log: int, workers: int = 1) -> Array:
    """Encode the columns of msg (n, B) into codewords (n << rate_log, B) (m31: uint32).
    `workers`: how many processes a bn254 encoding may use (m31's encoder runs in threads)."""
    _check_len(msg.shape[0])
    if F.name == "m31":
        return codes_m31.encode_rows(msg.T, rate_log)
    if F.name == "bn254":
        return _encode_bn254_forked(F, msg, rate_log, workers)
    return _encode_generic(F, msg, rate_log)


def encode_rows(F: PrimeField, M: Array, rate_log: int, workers: int = 1) -> Array:
    """Encode the rows of M (B, n) into column-major codewords U (n << rate_log, B):
    U[j] holds symbol j of every row (a Merkle leaf of the tensor commitment)."""
    _check_len(M.shape[1])
    if F.name == "m31":
        return codes_m31.encode_rows(M, rate_log)
    return encode(F, M.T, rate_log, workers)


def encode_reference(F: PrimeField, msg: list[int], rate_log: int) -> list[int]:
    """Slow twin: evaluate sum_j c_j b_j at each domain point with Python ints."""
    n = len(msg)
    K = n.bit_length() - 1 + rate_log
    N = 1 << K
    p = F.p
    if F.name == "m31":
        xs, ys = circle_domain(K)
        out = []
        for x, y in zip(xs, ys, strict=True):
            v = [x]
            for _ in range(K):
                v.append((2 * v[-1] * v[-1] - 1) % p)
            acc = 0
            for j, c in enumerate(msg):
                b = y if j & 1 else 1
                for i in range(1, K):
                    if (j >> i) & 1:
                        b = b * v[i - 1] % p
                acc = (acc + c * b) % p
            out.append(acc)
        return out
    w = bn254_root(K)
    return [sum(c * pow(w, i * j, p) for j, c in enumerate(msg)) % p for i in range(N)]
