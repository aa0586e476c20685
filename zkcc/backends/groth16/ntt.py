"""Radix-2 number-theoretic transforms over the BN254 scalar field (numpy object arrays).

Iterative Cooley-Tukey (decimation in time): one bit-reversal gather, then log2(n) stages, each
a single vectorised butterfly over all blocks, so the Python loop is over stages only. Values
are gmpy2 integers when available (numpy object multiply-and-reduce: 250 ns vs 440 ns measured).

    ntt(a)[i]  = sum_j a[j] * w^(i j)        w = a primitive n-th root of unity
    intt(a)[j] = n^-1 sum_i a[i] * w^(-i j)
    coset variants evaluate at g * w^i (g = the multiplicative generator 5).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.fastint import mpz

TWO_ADICITY = 28
GENERATOR = 5  # generates the multiplicative group of F_r (as in arkworks and snarkjs)
ROOT_2_28 = pow(GENERATOR, (R - 1) >> TWO_ADICITY, R)
RM = mpz(R)


def root_of_unity(n: int) -> int:
    """A primitive n-th root of unity, n a power of two up to 2^28."""
    k = n.bit_length() - 1
    if n < 1 or n != 1 << k or k > TWO_ADICITY:
        raise ValueError(f"NTT size {n} is not a power of two up to 2^{TWO_ADICITY}")
    return pow(ROOT_2_28, 1 << (TWO_ADICITY - k), R)


def powers(x: int, n: int) -> np.ndarray:
    out = [mpz(1)] * n
    acc, xm = mpz(1), mpz(x)
    for i in range(1, n):
        acc = acc * xm % RM
        out[i] = acc
    return np.fromiter(out, dtype=object, count=n)


@cache
def _bitrev(n: int) -> np.ndarray:
    k = n.bit_length() - 1
    idx = np.arange(n)
    rev = np.zeros(n, dtype=np.int64)
    for b in range(k):
        rev |= ((idx >> b) & 1) << (k - 1 - b)
    return rev


@cache
def _twiddles(n: int, inverse: bool) -> np.ndarray:
    w = root_of_unity(n)
    return powers(pow(w, -1, R) if inverse else w, max(n // 2, 1))


def _transform(a: np.ndarray, inverse: bool) -> np.ndarray:
    n = a.size
    tw = _twiddles(n, inverse)
    a = np.asarray(a, dtype=object)[_bitrev(n)]
    h = 1
    while h < n:
        blocks = a.reshape(-1, 2 * h)
        u = blocks[:, :h]
        v = blocks[:, h:] * tw[:: n // (2 * h)][None, :h] % RM
        a = np.concatenate([(u + v) % RM, (u - v) % RM], axis=1).reshape(-1)
        h *= 2
    return a


def ntt(a) -> np.ndarray:
    return _transform(np.asarray(a, dtype=object), False)


def intt(a) -> np.ndarray:
    a = _transform(np.asarray(a, dtype=object), True)
    return a * mpz(pow(a.size, -1, R)) % RM


def coset_ntt(coeffs, g: int = GENERATOR) -> np.ndarray:
    """Evaluations at g * w^i."""
    c = np.asarray(coeffs, dtype=object)
    return ntt(c * powers(g, c.size) % RM)


def coset_intt(evals, g: int = GENERATOR) -> np.ndarray:
    c = intt(evals)
    return c * powers(pow(g, -1, R), c.size) % RM
