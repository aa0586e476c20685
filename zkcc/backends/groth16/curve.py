"""BN254 points as plain integers, and batched affine addition.

Representation used inside the backend (never py_ecc objects in hot loops):

    G1 affine point  (x, y)                      x, y in [0, q)
    G2 affine point  ((x0, x1), (y0, y1))        x = x0 + x1*u in F_q2 = F_q[u]/(u^2 + 1)
    infinity         None

A *batch* of points is `(coords, inf)`: `coords` a list of numpy object arrays (2 for G1, 4 for
G2: x0, x1, y0, y1) and `inf` a boolean array marking points at infinity (their coords are 0).

`add_batch` adds two batches lane by lane with affine formulas and Montgomery's batch inversion:
one field inversion for the whole batch plus about six multiplications per lane,

    lambda = (y2 - y1) / (x2 - x1),  x3 = lambda^2 - x1 - x2,  y3 = lambda (x1 - x3) - y1.

Lanes where x1 == x2 (doubling or P + (-P)) are rare; they go through py_ecc one by one.
py_ecc (the reference implementation) also serves every single-point operation. It is imported
on first use (`reference`), and the constants below are written out (tests hold them to
py_ecc's): importing it cost every command about 35 ms, Groth16 or not.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np

from zkcc.backends.groth16.fastint import QI, Q, batch_inverse, mpz, prefix_products
from zkcc.field.bn254 import R

B2 = (  # the twist's b = 3 / (9 + u)
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)

G1_GEN = (1, 2)
G2_GEN = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)


@functools.cache
def reference() -> ModuleType:
    """py_ecc's optimized BN254, imported on first use."""
    from py_ecc import optimized_bn128

    return optimized_bn128


# -- conversion to and from py_ecc's optimized (projective) points ------------------------------
def to_ob_g1(p):
    ob = reference()
    return ob.Z1 if p is None else (ob.FQ(p[0]), ob.FQ(p[1]), ob.FQ.one())


def to_ob_g2(p):
    ob = reference()
    if p is None:
        return ob.Z2
    return (ob.FQ2(list(p[0])), ob.FQ2(list(p[1])), ob.FQ2.one())


def from_ob_g1(p):
    ob = reference()
    if ob.is_inf(p):
        return None
    x, y = ob.normalize(p)
    return (int(x), int(y))


def from_ob_g2(p):
    ob = reference()
    if ob.is_inf(p):
        return None
    x, y = ob.normalize(p)
    return (tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))


# -- checks -------------------------------------------------------------------------------------
def _f2mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % QI, (a[0] * b[1] + a[1] * b[0]) % QI)


def on_curve_g1(p) -> bool:
    if p is None:
        return True
    x, y = p
    return 0 <= x < QI and 0 <= y < QI and (y * y - x * x * x - 3) % QI == 0


def on_curve_g2(p) -> bool:
    if p is None:
        return True
    x, y = p
    if not all(0 <= c < QI for c in (*x, *y)):
        return False
    rhs = _f2mul(_f2mul(x, x), x)
    rhs = ((rhs[0] + B2[0]) % QI, (rhs[1] + B2[1]) % QI)
    return _f2mul(y, y) == rhs


def in_subgroup_g2(p) -> bool:
    """r * P == O. (G1 has cofactor 1, so on-curve is enough there; G2's cofactor is not 1.)
    The reference; the verifier uses the faster `pairing.in_subgroup_g2`."""
    ob = reference()
    return p is None or ob.is_inf(ob.multiply(to_ob_g2(p), R))


# -- single-point operations (py_ecc) -----------------------------------------------------------
def g1_mul(p, k: int):
    return from_ob_g1(reference().multiply(to_ob_g1(p), k % R))


def g2_mul(p, k: int):
    return from_ob_g2(reference().multiply(to_ob_g2(p), k % R))


def g1_add(p, q):
    return from_ob_g1(reference().add(to_ob_g1(p), to_ob_g1(q)))


def g2_add(p, q):
    return from_ob_g2(reference().add(to_ob_g2(p), to_ob_g2(q)))


def g1_neg(p):
    return None if p is None else (p[0], (-p[1]) % QI)


def objects(values: list) -> np.ndarray:
    """A 1-D object array from a list. `np.fromiter` skips numpy's per-element shape discovery,
    which costs ~900 ns per gmpy2 value (measured), against ~11 ns here."""
    return np.fromiter(values, dtype=object, count=len(values))


# -- batches ------------------------------------------------------------------------------------
class Group:
    """What the batched algorithms need to know about G1 or G2."""

    def __init__(self, name: str, ncoords: int, add, kernel) -> None:
        self.name, self.ncoords, self.add_one, self.kernel = name, ncoords, add, kernel

    def to_batch(self, points: list) -> tuple[list[np.ndarray], np.ndarray]:
        n = len(points)
        inf = np.array([p is None for p in points], dtype=bool).reshape(n)
        flat = [self.flatten(p) for p in points]
        coords = []
        for k in range(self.ncoords):
            coords.append(objects([mpz(f[k]) for f in flat]))
        return coords, inf

    def flatten(self, p) -> tuple:
        if p is None:
            return (0,) * self.ncoords
        return tuple(p) if self.ncoords == 2 else (*p[0], *p[1])

    def point(self, coords: list, i: int):
        c = [int(a[i]) for a in coords]
        return (c[0], c[1]) if self.ncoords == 2 else ((c[0], c[1]), (c[2], c[3]))

    def from_batch(self, batch) -> list:
        coords, inf = batch
        return [None if inf[i] else self.point(coords, i) for i in range(len(inf))]


def _batch_inverse(dens: list) -> list:
    return batch_inverse(dens, Q)


def _zero_lanes(dens: list) -> list:
    """Indices of zero denominators (set to 1 in place so the batch inversion goes through)."""
    if all(dens):
        return []
    bad = [k for k, d in enumerate(dens) if not d]
    for k in bad:
        dens[k] = 1
    return bad


def _g1_kernel(a: list[list], b: list[list]):
    """Affine sums of finite lanes; returns (coords, bad) where bad lists lanes with x1 == x2
    (their coords are garbage). One loop builds the prefix products of the denominators for
    Montgomery's batch inversion; one loop back unwinds them and finishes each lane, about six
    multiplications per lane."""
    x1, y1 = a
    x2, y2 = b
    q = Q
    dens = [v - u for u, v in zip(x1, x2, strict=True)]
    bad = _zero_lanes(dens)
    n = len(dens)
    pref, inv = prefix_products(dens, q)
    x3s = [None] * n
    y3s = [None] * n
    for k in range(n - 1, -1, -1):
        u = x1[k]
        lam = (y2[k] - y1[k]) * (inv * pref[k]) % q
        inv = inv * dens[k] % q
        x3 = (lam * lam - u - x2[k]) % q
        x3s[k] = x3
        y3s[k] = (lam * (u - x3) - y1[k]) % q
    return [x3s, y3s], bad


def _g2_kernel(a: list[list], b: list[list]):
    """As `_g1_kernel` over F_q2: 1 / d = conj(d) / |d|^2, so the batch inversion runs over the
    norms |d|^2 in F_q (0 only if d == 0, as -1 is no square mod q)."""
    a0, a1, b0, b1 = a  # x = a0 + a1 u, y = b0 + b1 u
    c0, c1, e0, e1 = b
    q = Q
    d0 = [c - e for c, e in zip(c0, a0, strict=True)]
    d1 = [c - e for c, e in zip(c1, a1, strict=True)]
    norms = [(u * u + v * v) % q for u, v in zip(d0, d1, strict=True)]
    bad = _zero_lanes(norms)
    n = len(norms)
    pref, inv = prefix_products(norms, q)
    x0s, x1s, y0s, y1s = [None] * n, [None] * n, [None] * n, [None] * n
    for k in range(n - 1, -1, -1):
        t = inv * pref[k] % q  # 1 / |d|^2
        inv = inv * norms[k] % q
        p, s = d0[k], d1[k]
        u, v = e0[k] - b0[k], e1[k] - b1[k]
        # lambda = (u + v i) (p - s i) / |d|^2
        l0 = (u * p + v * s) * t % q
        l1 = (v * p - u * s) * t % q
        g0, g1 = a0[k], a1[k]
        x0 = ((l0 - l1) * (l0 + l1) - g0 - c0[k]) % q
        x1 = (2 * l0 * l1 - g1 - c1[k]) % q
        t0, t1 = g0 - x0, g1 - x1
        x0s[k], x1s[k] = x0, x1
        y0s[k] = (l0 * t0 - l1 * t1 - b0[k]) % q
        y1s[k] = (l0 * t1 + l1 * t0 - b1[k]) % q
    return [x0s, x1s, y0s, y1s], bad


G1 = Group("G1", 2, g1_add, _g1_kernel)
G2 = Group("G2", 4, g2_add, _g2_kernel)


def add_batch(group: Group, a, b):
    """Lane-wise a + b of two batches of equal length."""
    ca, ia = a
    cb, ib = b
    if not (ia.any() or ib.any()):  # the common case: all lanes finite
        idx = np.arange(ia.size)
        sums, bad = group.kernel([u.tolist() for u in ca], [v.tolist() for v in cb])
        out = [objects(s) for s in sums]
        inf = np.zeros(ia.size, dtype=bool)
    else:
        out = [np.where(ia, u, v) for u, v in zip(cb, ca, strict=True)]
        inf = ia & ib
        idx = np.flatnonzero(~ia & ~ib)
        if idx.size == 0:
            return out, inf
        sums, bad = group.kernel([u[idx].tolist() for u in ca], [v[idx].tolist() for v in cb])
        for u, s in zip(out, sums, strict=True):
            u[idx] = objects(s)
    for k in bad:  # doubling or P + (-P): the reference implementation, one lane at a time
        i = int(idx[k])
        s = group.add_one(group.point(ca, i), group.point(cb, i))
        f = group.flatten(s)
        for j in range(group.ncoords):
            out[j][i] = mpz(f[j])
        inf[i] = s is None
    return out, inf


def _g1_double_kernel(a: list[list]):
    x, y = a
    dens = [2 * v for v in y]
    bad = [] if all(dens) else [k for k, d in enumerate(dens) if not d]
    for k in bad:
        dens[k] = 1
    inv = _batch_inverse(dens)
    lam = [3 * u * u * i % Q for u, i in zip(x, inv, strict=True)]
    x3 = [(m * m - 2 * u) % Q for m, u in zip(lam, x, strict=True)]
    y3 = [(m * (u - e) - v) % Q for m, u, e, v in zip(lam, x, x3, y, strict=True)]
    return [x3, y3], bad


def _g2_double_kernel(a: list[list]):
    a0, a1, b0, b1 = a
    d0, d1 = [2 * v for v in b0], [2 * v for v in b1]
    norms = [(u * u + v * v) % Q for u, v in zip(d0, d1, strict=True)]
    bad = [] if all(norms) else [k for k, d in enumerate(norms) if not d]
    for k in bad:
        norms[k] = 1
    ninv = _batch_inverse(norms)
    n0 = [3 * (u - v) * (u + v) for u, v in zip(a0, a1, strict=True)]  # 3 x^2
    n1 = [6 * u * v for u, v in zip(a0, a1, strict=True)]
    l0 = [(u * p + v * s) * t % Q for u, v, p, s, t in zip(n0, n1, d0, d1, ninv, strict=True)]
    l1 = [(v * p - u * s) * t % Q for u, v, p, s, t in zip(n0, n1, d0, d1, ninv, strict=True)]
    x0 = [((u - v) * (u + v) - 2 * p) % Q for u, v, p in zip(l0, l1, a0, strict=True)]
    x1 = [(2 * u * v - 2 * p) % Q for u, v, p in zip(l0, l1, a1, strict=True)]
    t0 = [p - s for p, s in zip(a0, x0, strict=True)]
    t1 = [p - s for p, s in zip(a1, x1, strict=True)]
    y0 = [(u * p - v * s - w) % Q for u, v, p, s, w in zip(l0, l1, t0, t1, b0, strict=True)]
    y1 = [(u * s + v * p - w) % Q for u, v, p, s, w in zip(l0, l1, t0, t1, b1, strict=True)]
    return [x0, x1, y0, y1], bad


def double_batch(group: Group, a):
    """Lane-wise 2a (a point with y = 0 has order 2 and doubles to infinity)."""
    coords, inf = a
    out = [c.copy() for c in coords]
    inf = inf.copy()
    idx = np.flatnonzero(~inf)
    if idx.size == 0:
        return out, inf
    kern = _g1_double_kernel if group.ncoords == 2 else _g2_double_kernel
    res, bad = kern([c[idx].tolist() for c in coords])
    for u, s in zip(out, res, strict=True):
        u[idx] = objects(s)
    inf[idx[bad]] = True
    return out, inf
