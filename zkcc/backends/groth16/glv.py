"""The GLV endomorphism of BN254 and the scalar decomposition it allows (Gallant-Lambert-Vanstone).

Both curves (G1: y^2 = x^3 + 3 over F_q, G2's twist y^2 = x^3 + 3/(9+u) over F_q2) have j = 0, so

    phi(x, y) = (BETA x, y),        BETA^3 = 1 in F_q (BETA != 1),

is an endomorphism (x in F_q2 just has both coordinates multiplied by BETA). On the order-r
subgroups it is multiplication by a cube root of unity mod r: LAMBDA_G1 on G1 and
LAMBDA_G2 = LAMBDA_G1^2 on G2 (which one is a matter of the curve, checked in the tests against
py_ecc scalar multiplication).

A scalar k in [0, r) splits as k = k1 + k2 lambda (mod r) with |k1|, |k2| < 2^128 by rounding k
against a short basis (a1, b1), (a2, b2) of the lattice {(a, b) : a + b lambda = 0 mod r}; the
basis comes from the extended Euclidean algorithm on (r, lambda) stopped at sqrt(r) (GLV 2001,
section 4). So k P = k1 P + k2 phi(P): an MSM of n 254-bit scalars becomes one of 2n 128-bit
scalars (signs moved onto the points), with half the windows.
"""

from __future__ import annotations

from math import isqrt

import numpy as np

from zkcc.backends.groth16.curve import QI, R

BETA = 0x59E26BCEA0D48BACD4F263F1ACDB5C4F5763473177FFFFFE  # cube root of unity in F_q
LAMBDA_G1 = 0xB3C4D79D41A917585BFC41088D8DAAA78B17EA66B99C90DD  # phi = [LAMBDA_G1] on G1
LAMBDA_G2 = LAMBDA_G1 * LAMBDA_G1 % R  # phi = [LAMBDA_G2] on G2

assert pow(BETA, 3, QI) == 1 and BETA != 1 and pow(LAMBDA_G1, 3, R) == 1


def lattice_basis(lam: int, n: int = R) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two short vectors (a, b) with a + b lam = 0 (mod n), |a|, |b| about sqrt(n)."""
    root = isqrt(n)
    # remainders r_i = s_i n + t_i lam; only (r_i, t_i) are needed
    r0, t0, r1, t1 = n, 0, lam, 1
    while r1 >= root:
        qq = r0 // r1
        r0, t0, r1, t1 = r1, t1, r0 - qq * r1, t0 - qq * t1
    # now r0 >= sqrt(n) > r1: v1 = (r1, -t1); v2 the shorter of (r0, -t0) and the next one
    qq = r0 // r1
    r2, t2 = r0 - qq * r1, t0 - qq * t1
    v1 = (r1, -t1)
    v2 = min((r0, -t0), (r2, -t2), key=lambda v: v[0] * v[0] + v[1] * v[1])
    return v1, v2


class Decomposition:
    """k = k1 + k2 lam (mod r) for a fixed lam, vectorised over numpy object arrays."""

    def __init__(self, lam: int) -> None:
        (a1, b1), (a2, b2) = lattice_basis(lam)
        det = a1 * b2 - a2 * b1  # = +-r
        if det < 0:  # keep the divisor positive for floor-division rounding
            (a1, b1), (a2, b2), det = (a2, b2), (a1, b1), -det
        self.lam, self.a1, self.b1, self.a2, self.b2, self.det = lam, a1, b1, a2, b2, det

    def split(self, k):
        """(k1, k2) with k = k1 + k2 lam (mod r); k an int or an object array of ints in [0, r)."""
        a1, b1, a2, b2, d = self.a1, self.b1, self.a2, self.b2, self.det
        # (k, 0) = x1 v1 + x2 v2 over Q: x1 = k b2 / d, x2 = -k b1 / d; c = round(x)
        c1 = (2 * b2 * k + d) // (2 * d)
        c2 = (-2 * b1 * k + d) // (2 * d)
        return k - c1 * a1 - c2 * a2, -c1 * b1 - c2 * b2


G1_SPLIT = Decomposition(LAMBDA_G1)
G2_SPLIT = Decomposition(LAMBDA_G2)


def split_signed(dec: Decomposition, scalars: np.ndarray):
    """For scalars (object array of ints in [0, r)): (mags, negs) of length 2n, the halves' absolute
    values (object array) and signs (bool), k1 first then k2."""
    k1, k2 = dec.split(np.asarray(scalars, dtype=object))
    ks = np.concatenate([k1, k2])
    negs = ks < 0
    return np.where(negs, -ks, ks), negs.astype(bool)
