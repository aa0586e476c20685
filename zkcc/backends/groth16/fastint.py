"""The integer type used for curve arithmetic: gmpy2's `mpz` (a default dependency), or `int`
where gmpy2 is missing.

Measured on this machine (254-bit operands, list comprehension): multiply-and-reduce 350 ns with
`int`, 130 ns with `mpz`; one modular inverse 13.5 µs (`pow(x, -1, p)`) vs 1.5 µs
(`gmpy2.invert`). Every caller converts results back with `int()` before they leave the backend,
so nothing outside this package ever sees an `mpz`.
"""

from __future__ import annotations

try:  # pragma: no cover - depends on the environment
    import gmpy2

    mpz = gmpy2.mpz
    HAVE_GMPY2 = True

    def inverse(x, p):
        return gmpy2.invert(x, p)

except ImportError:  # pragma: no cover - depends on the environment
    mpz = int
    HAVE_GMPY2 = False

    def inverse(x, p):
        return pow(x, -1, p)


# The base field modulus q of BN254 (tests hold it to py_ecc's field_modulus). Written out,
# like zkcc.field.bn254's R: importing py_ecc cost every command about 35 ms, Groth16 or not.
QI = 21888242871839275222246405745257275088696311157297823662689037894645226208583
Q = mpz(QI)

__all__ = ["HAVE_GMPY2", "Q", "QI", "batch_inverse", "inverse", "mpz", "prefix_products"]


def prefix_products(values: list, p) -> tuple[list, object]:
    """The forward half of Montgomery's batch inversion: pref[k] = prod(values[:k]) mod p and
    the inverse of the whole product. Walking back, 1/values[k] = inv * pref[k] and then
    inv *= values[k]; callers fuse that walk with their own per-lane work."""
    pref = [None] * len(values)
    acc = mpz(1)
    for k, d in enumerate(values):
        pref[k] = acc
        acc = acc * d % p
    return pref, inverse(acc, p)


def batch_inverse(values: list, p) -> list:
    """Montgomery's trick: the inverses mod p of non-zero `values` for one inversion and three
    multiplications each."""
    n = len(values)
    pref, inv = prefix_products(values, p)
    out = [None] * n
    for k in range(n - 1, -1, -1):
        out[k] = inv * pref[k] % p
        inv = inv * values[k] % p
    return out
