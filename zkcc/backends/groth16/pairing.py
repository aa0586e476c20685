"""The optimal ate pairing of BN254 on plain integers, with prepared G2 points (arkworks style).

F_q12 is py_ecc's representation: F_q[w] / (w^12 - 18 w^6 + 82), an element a list of 12 ints
(coefficient of w^i at i), with w^6 = xi = 9 + u, so F_q2 = F_q[u] embeds as a + b u -> (a - 9b)
+ b w^6. The untwist maps a twist point (x', y') over F_q2 to (x' w^2, y' w^3), so the line
through twist points T, T' with slope lam' (in F_q2), evaluated at P = (xp, yp) in G1, is

    l(P) = yp - lam' xp w + (lam' x_T - y_T) w^3,                              (5 of 12 terms)

The Miller loop is py_ecc's (`optimized_pairing.miller_loop`: the NAF of 6x + 2, then the lines
to pi(Q) and -pi^2(Q)) with T kept affine on the twist: per step one F_q2 inversion and one
sparse multiplication into f. pi(Q) on the twist is psi(x, y) = (conj(x) g2, conj(y) g3) with
g_k = xi^((q - 1) / k). A *prepared* G2 point is its list of line coefficients (lam', lam' x_T -
y_T); `multi_miller` squares f once per step for all pairs. The final exponentiation splits
(q^12 - 1) / r = (q^6 - 1)(q^2 + 1) (q^4 - q^2 + 1) / r: the easy part with one inversion and
Frobenius maps (w^(q^k i) tabulated), the hard part a square-and-multiply over a 762-bit
exponent. The result equals py_ecc's `pairing` exactly (tests/test_groth16.py).
"""

from __future__ import annotations

from functools import cache

from zkcc.backends.groth16.curve import QI, R, g2_add, g2_mul, reference
from zkcc.field.base import square_and_multiply

q = QI
XI = (9, 1)
# py_ecc's signed binary digits of the Miller loop's 6x + 2, least significant first (written
# out like curve.py's constants; tests hold them to py_ecc's pseudo_binary_encoding)
ATE_DIGITS = (
    0, 0, 0, 1, 0, 1, 0, -1, 0, 0, 1, -1, 0, 0, 1, 0, 0, 1, 1, 0, -1, 0, 0, 1, 0, -1, 0, 0, 0, 0,
    1, 1, 1, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 1, 0, 0, -1, 0, 0, 0, 1, 1, 0, -1, 0,
    0, 1, 0, 1, 1,
)  # fmt: skip
HARD = (q**4 - q**2 + 1) // R
ONE = [1] + [0] * 11


# -- F_q2 = F_q[u] / (u^2 + 1): pairs --------------------------------------------------------------
def f2mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % q, (a[0] * b[1] + a[1] * b[0]) % q)


def f2sub(a, b):
    return ((a[0] - b[0]) % q, (a[1] - b[1]) % q)


def f2inv(a):
    t = pow((a[0] * a[0] + a[1] * a[1]) % q, -1, q)
    return (a[0] * t % q, -a[1] * t % q)


def f2pow(a, e: int):
    return square_and_multiply(f2mul, (1, 0), a, e)


def conj(a):
    return (a[0], -a[1] % q)


PSI_X = f2pow(XI, (q - 1) // 3)
PSI_Y = f2pow(XI, (q - 1) // 2)


def psi(p):
    """The untwist-Frobenius-twist endomorphism on twist points (x, y) over F_q2; on G2 it is
    multiplication by q (mod r)."""
    if p is None:
        return None
    x, y = p
    return (f2mul(conj(x), PSI_X), f2mul(conj(y), PSI_Y))


def g2_neg(p):
    return None if p is None else (p[0], ((-p[1][0]) % q, (-p[1][1]) % q))


# -- F_q12 -----------------------------------------------------------------------------------------
def _reduce(c: list) -> list:
    for i in range(len(c) - 1, 11, -1):  # w^12 = 18 w^6 - 82
        t = c[i]
        c[i - 6] += 18 * t
        c[i - 12] -= 82 * t
    return [v % q for v in c[:12]]


def f12mul(a: list, b: list) -> list:
    c = [0] * 23
    for i, x in enumerate(a):
        if x:
            for j, y in enumerate(b):
                c[i + j] += x * y
    return _reduce(c)


def f12sqr(a: list) -> list:
    c = [0] * 23
    for i in range(12):
        x = a[i]
        if x:
            c[2 * i] += x * x
            x2 = 2 * x
            for j in range(i + 1, 12):
                c[i + j] += x2 * a[j]
    return _reduce(c)


def f12mul_line(a: list, line: tuple) -> list:
    """a times the sparse line (c0, c1, c3, c7, c9) = c0 + c1 w + c3 w^3 + c7 w^7 + c9 w^9."""
    c0, c1, c3, c7, c9 = line
    c = [0] * 22
    for i, x in enumerate(a):
        c[i] += x * c0
        c[i + 1] += x * c1
        c[i + 3] += x * c3
        c[i + 7] += x * c7
        c[i + 9] += x * c9
    return _reduce(c + [0])


def f12inv(a: list) -> list:
    return [int(v) for v in reference().FQ12(a).inv().coeffs]


def f12pow(a: list, e: int) -> list:
    out = ONE
    for bit in bin(e)[2:]:
        out = f12sqr(out)
        if bit == "1":
            out = f12mul(out, a)
    return out


@cache
def _frobenius_table(k: int) -> list:
    """w^(i q^k) for i < 12, as sparse lists of (index, coefficient)."""
    if k == 1:
        wq = f12pow([0, 1] + [0] * 10, q)
    else:  # w^(q^k) = (w^(q^(k-1)))^q
        prev = _frobenius_table(k - 1)[1]
        wq = frobenius([dict(prev).get(j, 0) for j in range(12)], 1)
    table, cur = [], ONE
    for _ in range(12):
        table.append([(j, v) for j, v in enumerate(cur) if v])
        cur = f12mul(cur, wq)
    return table


def frobenius(a: list, k: int) -> list:
    """a^(q^k): the coefficients are in F_q, so only the powers of w move."""
    c = [0] * 12
    for x, row in zip(a, _frobenius_table(k), strict=True):
        if x:
            for j, v in row:
                c[j] += x * v
    return [v % q for v in c]


def final_exponentiate(f: list) -> list:
    f = f12mul(frobenius(f, 6), f12inv(f))  # f^(q^6 - 1)
    f = f12mul(frobenius(f, 2), f)  # ^(q^2 + 1)
    return f12pow(f, HARD)


# -- Miller loop -----------------------------------------------------------------------------------
def prepare_g2(p) -> list | None:
    """The line coefficients (lam', lam' x_T - y_T) of the Miller loop of the twist point p (in
    the order-r subgroup), one per doubling or addition step; None for infinity."""
    if p is None:
        return None
    lines = []
    t = p
    neg_p = g2_neg(p)

    def add_step(t, s):
        x1, y1 = t
        x2, y2 = s
        if x1 == x2:
            raise ValueError("prepare_g2: T = +-Q in the Miller loop (point not in G2?)")
        lam = f2mul(f2sub(y2, y1), f2inv(f2sub(x2, x1)))
        lines.append((lam, f2sub(f2mul(lam, x1), y1)))
        x3 = f2sub(f2sub(f2mul(lam, lam), x1), x2)
        return (x3, f2sub(f2mul(lam, f2sub(x1, x3)), y1))

    for v in ATE_DIGITS[63::-1]:
        x1, y1 = t
        x_sq = f2mul(x1, x1)
        lam = f2mul((3 * x_sq[0] % q, 3 * x_sq[1] % q), f2inv((2 * y1[0] % q, 2 * y1[1] % q)))
        lines.append((lam, f2sub(f2mul(lam, x1), y1)))
        x3 = f2sub(f2sub(f2mul(lam, lam), x1), x1)
        t = (x3, f2sub(f2mul(lam, f2sub(x1, x3)), y1))
        if v == 1:
            t = add_step(t, p)
        elif v == -1:
            t = add_step(t, neg_p)
    q1 = psi(p)
    nq2 = g2_neg(psi(q1))
    t = add_step(t, q1)
    add_step(t, nq2)
    return lines


def _line_at(coeffs, xp: int, yp: int) -> tuple:
    (l0, l1), (c0, c1) = coeffs
    # -lam' xp w with lam' = l0 + l1 u -> (l0 - 9 l1) w + l1 w^7;  c w^3 -> (c0 - 9 c1) w^3 + c1 w^9
    return (yp, -(l0 - 9 * l1) * xp % q, (c0 - 9 * c1) % q, -l1 * xp % q, c1)


def _steps() -> list[int]:
    """How many lines each Miller step consumes: the doubling, plus one for a non-zero digit."""
    return [1 + (v != 0) for v in ATE_DIGITS[63::-1]]


STEPS = _steps()


def multi_miller(pairs: list) -> list:
    """prod_i f_i(P_i) for (P_i, prepared Q_i) pairs (G1 affine points, `prepare_g2` output),
    before the final exponentiation; pairs with either side at infinity contribute 1."""
    live = [(p, lines) for p, lines in pairs if p is not None and lines is not None]
    f = ONE
    pos = 0
    for n_lines in STEPS:
        f = f12sqr(f)
        for k in range(pos, pos + n_lines):
            for (xp, yp), lines in live:
                f = f12mul_line(f, _line_at(lines[k], xp, yp))
        pos += n_lines
    for k in (pos, pos + 1):
        for (xp, yp), lines in live:
            f = f12mul_line(f, _line_at(lines[k], xp, yp))
    return f


def pairing(p, qq) -> list:
    """e(p, qq) for p in G1, qq in G2 (affine tuples), in F_q12 (py_ecc's coefficient order)."""
    return final_exponentiate(multi_miller([(p, prepare_g2(qq))]))


# -- G2 subgroup membership ------------------------------------------------------------------------
BN_X = 4965661367192848881  # the BN parameter: q and r are polynomials in it


def in_subgroup_g2(p) -> bool:
    """Scott's test for BN curves (El Housni, Guillevic, Piellard, "Co-factor clearing and
    subgroup membership testing on pairing-friendly curves", 2022; gnark's bn254 G2 check): a
    point P on the twist lies in G2 iff [x + 1] P + psi([x] P) + psi^2([x] P) = psi^3([2x] P).
    One 63-bit multiplication instead of the 254-bit [r] P = O of `curve.in_subgroup_g2`."""
    if p is None:
        return True
    xp = g2_mul(p, BN_X)
    lhs = g2_add(g2_add(g2_add(xp, p), psi(xp)), psi(psi(xp)))
    return lhs == psi(psi(psi(g2_add(xp, xp))))
