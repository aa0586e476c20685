"""The challenge field: F_p for bn254, QM31 for m31.

QM31 is the degree-4 extension Stwo uses, the tower CM31 = F_p[i]/(i^2 + 1) and
QM31 = CM31[u]/(u^2 - 2 - i). zkcc represents it in the power basis of u: with i = u^2 - 2,
(u^2 - 2)^2 = -1 gives u^4 = 4u^2 - 5, so QM31 = F_p[u]/(u^4 - 4u^2 + 5) (irreducible: u
generates the whole tower; tests/test_field.py checks it and multiplies against the tower).
A challenge from a field of p^4 ~ 2^124 elements is what brings m31 proofs past 100 bits.

Representation (struct of arrays, component-major): an extension array has shape (d, *shape)
where d = `degree`; component c holds the coefficient of u^c, each component a contiguous base
array. An extension *scalar* has shape (d,). Element axes broadcast like numpy among themselves
(right-aligned after the component axis), so a scalar (d,) combines with a vector (d, n).
bn254 uses degree 1, so the same code runs over both fields with arrays of shape (1, ...).

The m31 multiplication is schoolbook with lazy reduction (see `_mul_m31`): four reductions
per product, as many as there are output components.

The array module is the base field's: `E.xp is E.base.xp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from zkcc.errors import FormatError
from zkcc.field.base import square_and_multiply

if TYPE_CHECKING:
    from zkcc.field.base import Array, PrimeField


def _rest_align(a: Array, b: Array, a_ext: bool, b_ext: bool) -> tuple[Array, Array]:
    """Pad element axes so numpy broadcasting aligns element shapes, not the component axis."""
    ra = a.ndim - (1 if a_ext else 0)
    rb = b.ndim - (1 if b_ext else 0)
    k = max(ra, rb)
    if a_ext:
        a = a.reshape((a.shape[0],) + (1,) * (k - ra) + a.shape[1:])
    else:
        a = a.reshape((1,) + (1,) * (k - ra) + a.shape)
    if b_ext:
        b = b.reshape((b.shape[0],) + (1,) * (k - rb) + b.shape[1:])
    else:
        b = b.reshape((1,) + (1,) * (k - rb) + b.shape)
    return a, b


QM31_MODULUS = (-5, 0, 4, 0)  # u^4 = 4u^2 - 5
# a scalar times a table of at most this many base entries goes by the scalar's
# multiplication matrix (m31_kernels.scalar_times): per-round and per-layer work on small
# tables, where numpy's per-call cost is most of the product
SMALL_SCALAR_PRODUCT = 1 << 14


class ExtField:
    """Degree-1 (any base) or QM31 (m31), elementwise on component-major arrays.

    `modulus` gives u^d as a combination of 1, u, ..., u^(d-1): (c_0, ..., c_{d-1}) means
    u^d = sum_c c_c u^c (empty for degree 1).
    """

    def __init__(self, base: PrimeField, modulus: tuple[int, ...] = ()) -> None:
        degree = max(1, len(modulus))
        if modulus and (base.name, tuple(modulus)) != ("m31", QM31_MODULUS):
            raise ValueError("supported challenge fields: the base field, or QM31 over m31")
        self.base = base
        self.xp = base.xp  # the array module travels with the field
        self.degree = degree
        self.modulus = tuple(c % base.p for c in modulus)
        self.reduction = self._reduction() if degree > 1 else []
        self.name = base.name if degree == 1 else f"{base.name}^{degree}"
        self.byte_len = degree * base.byte_len
        self.order = base.p**degree

    def _reduction(self) -> list[list[int]]:
        """reduction[k - d] = coefficients of u^k in the basis, for d <= k <= 2d - 2."""
        p, d = self.base.p, self.degree
        rows, cur = [], list(self.modulus)
        for _ in range(d - 1):
            rows.append(cur)
            top = cur[-1]  # u * cur = shift + top * u^d
            cur = [(top * self.modulus[0]) % p] + [
                (cur[c - 1] + top * self.modulus[c]) % p for c in range(1, d)
            ]
        return rows

    def reduce_ints(self, s: list[int]) -> list[int]:
        """Coefficients of u^0..u^(2d-2) (any ints) -> the reduced element's d coefficients."""
        d, p = self.degree, self.base.p
        out = list(s[:d])
        for k, row in enumerate(self.reduction):
            sk = s[d + k]
            if sk:
                for c in range(d):
                    out[c] += row[c] * sk
        return [v % p for v in out]

    # ---- construction -------------------------------------------------------------------
    def zeros(self, shape: int | tuple[int, ...] = ()) -> Array:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return self.base.zeros((self.degree, *shape))

    def from_base(self, a: Array) -> Array:
        """Embed base elements: component 0 = a, the others 0."""
        a = self.xp.asarray(a)
        out = self.zeros(a.shape)
        out[0] = a
        return out

    def one(self) -> Array:
        return self.from_base(self.base.array(1))

    def scalar(self, coeffs: Any) -> Array:
        """An extension scalar from an int (embedded) or a sequence of `degree` ints."""
        if isinstance(coeffs, int):
            return self.from_base(self.base.array(coeffs))
        return self.from_ints(coeffs)

    def from_ints(self, x: Any) -> Array:
        """Inverse of `to_ints`: nested lists whose innermost lists hold `degree` ints."""
        a = self.base.array(x)
        if a.ndim == 0 or a.shape[-1] != self.degree:
            raise ValueError(f"innermost length must be {self.degree}")
        xp = self.xp
        return xp.ascontiguousarray(xp.moveaxis(a, -1, 0))

    def from_reduced_ints(self, x: list) -> Array:
        """`from_ints` for what the int scalar arithmetic returns (mul_ints, add_ints, ...):
        one scalar, d ints already in [0, p), or a list of k of them, to (d,) or (d, k), with
        no object array and no reduction: the per-round paths make one or more per round."""
        if self.xp is not np or not x:
            return self.from_ints(x)
        if self.base.p < 1 << 63:
            a = np.array(x, dtype=np.uint64)
            return a if a.ndim == 1 else np.ascontiguousarray(a.T)
        # object dtype (bn254): filled as it is, where from_ints's reduction and moveaxis
        # cost ~15 us a call, a sixth of a bn254 GKR prove
        many = isinstance(x[0], list)
        out = np.empty((self.degree, len(x)) if many else self.degree, dtype=object)
        if many:
            for c in range(self.degree):
                out[c] = [v[c] for v in x]
        else:
            out[:] = x
        return out

    def to_ints(self, a: Array) -> Any:
        xp = self.xp
        return self.base.to_ints(xp.moveaxis(xp.asarray(a), 0, -1))

    # ---- arithmetic ---------------------------------------------------------------------
    def _scalar_pair(self, a: Array, b: Array) -> tuple[int, int] | None:
        """(a, b) as Python ints when both are degree-1 scalars of an object-dtype field
        (bn254's challenges): the protocols' per-round arithmetic, where numpy's object-array
        dispatch costs several times the big-int operation itself."""
        if self.degree == 1 and a.shape == (1,) and b.shape == (1,) and a.dtype == object:
            return a[0], b[0]
        return None

    def _scalar(self, v: int) -> Array:
        out = np.empty(1, dtype=object)
        out[0] = v % self.base.p
        return out

    def add(self, a: Array, b: Array) -> Array:
        pair = self._scalar_pair(a, b)
        if pair is not None:
            return self._scalar(pair[0] + pair[1])
        return self.base.add(*_rest_align(a, b, True, True))

    def sub(self, a: Array, b: Array) -> Array:
        pair = self._scalar_pair(a, b)
        if pair is not None:
            return self._scalar(pair[0] - pair[1])
        return self.base.sub(*_rest_align(a, b, True, True))

    def neg(self, a: Array) -> Array:
        return self.base.neg(a)

    def mul_base(self, a: Array, b: Array) -> Array:
        """Extension times base, elementwise (d base multiplications)."""
        return self.base.mul(*_rest_align(a, self.xp.asarray(b), True, False))

    # ---- scalars as lists of `degree` Python ints: the protocols' per-round scalar
    # arithmetic (claims, interpolation, the zero-knowledge masks) would otherwise pay numpy's
    # per-call cost on (d,) arrays several hundred times per sumcheck

    def ints(self, a: Array) -> list[int]:
        """An extension scalar (d,) as d Python ints (uint64's tolist gives them already)."""
        out = a.tolist()
        return out if a.dtype == np.uint64 else [int(x) for x in out]

    def rows_ints(self, a: Array) -> list[list[int]]:
        """A (d, k) extension array as d lists of k Python ints (one list per component)."""
        rows = a.tolist()
        return rows if a.dtype == np.uint64 else [[int(x) for x in row] for row in rows]

    def unit_ints(self, k: int) -> list[int]:
        """The integer k embedded in the extension, as d ints."""
        return [k % self.base.p] + [0] * (self.degree - 1)

    def add_ints(self, a: list[int], b: list[int]) -> list[int]:
        p = self.base.p
        return [(x + y) % p for x, y in zip(a, b, strict=True)]

    def sub_ints(self, a: list[int], b: list[int]) -> list[int]:
        p = self.base.p
        return [(x - y) % p for x, y in zip(a, b, strict=True)]

    def mul_ints(self, a: list[int], b: list[int]) -> list[int]:
        """One product of two extension scalars as ints. An extension is QM31 (the only one
        __init__ admits) and takes the closed form of _mul_m31 (a zero-knowledge GKR proof
        makes ~10^5 of these); degree 1 is one base product."""
        p = self.base.p
        if self.degree == 1:
            return [a[0] * b[0] % p]
        a0, a1, a2, a3 = a
        b0, b1, b2, b3 = b
        s4 = a1 * b3 + a2 * b2 + a3 * b1
        s5 = a2 * b3 + a3 * b2
        s6 = a3 * b3
        return [
            (a0 * b0 - 5 * s4 - 20 * s6) % p,
            (a0 * b1 + a1 * b0 - 5 * s5) % p,
            (a0 * b2 + a1 * b1 + a2 * b0 + 4 * s4 + 11 * s6) % p,
            (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + 4 * s5) % p,
        ]

    def poly_at_ints(self, coeffs: list[list[int]], r: list[int]) -> list[int]:
        """sum_k coeffs[k] r^k at the extension scalar r, by Horner's rule (len - 1 products):
        coefficients low first, non-empty, each d ints reduced or not; the result reduced."""
        acc = coeffs[-1]
        for c in reversed(coeffs[:-1]):
            acc = [x + y for x, y in zip(self.mul_ints(acc, r), c, strict=True)]
        p = self.base.p
        return [x % p for x in acc]

    def times_u_ints(self, a: list[int]) -> list[int]:
        """a * u for a QM31 scalar as ints: (a0, a1, a2, a3) u = (-5 a3, a0, a1 + 4 a3, a2)."""
        p = self.base.p
        a0, a1, a2, a3 = a
        return [-5 * a3 % p, a0, (a1 + 4 * a3) % p, a2]

    def mul(self, a: Array, b: Array) -> Array:
        pair = self._scalar_pair(a, b)
        if pair is not None:
            return self._scalar(pair[0] * pair[1])
        if self.degree > 1 and a.ndim == 1 and b.ndim == 1:
            prod = self.mul_ints(a.tolist(), b.tolist())
            return self.xp.array(prod, dtype=np.uint64)
        if self.degree > 1 and (a.ndim == 1) != (b.ndim == 1):
            r, t = (a, b) if a.ndim == 1 else (b, a)
            if t.size <= SMALL_SCALAR_PRODUCT:
                from zkcc.field.m31_kernels import scalar_times

                return scalar_times(self, r, t)
        a, b = _rest_align(a, b, True, True)
        if self.degree == 1:
            return self.base.mul(a, b)
        return _mul_m31(self.xp, a, b)

    def sum(self, a: Array, axis: int | None = None) -> Array:
        """Sum over element axes (all of them by default); the component axis is kept."""
        axes = tuple(range(1, a.ndim)) if axis is None else axis + 1 if axis >= 0 else axis
        return self.base.sum(a, axis=axes)

    def dot(self, a: Array, b: Array) -> Array:
        """sum_i a_i * b_i for 1-d vectors, each base (n,) or extension (d, n)."""
        if self.degree > 1:
            from zkcc.field.m31_kernels import dot as m31_dot

            return m31_dot(self, a, b)
        a2 = a if a.ndim == 2 else a[None]
        b2 = b if b.ndim == 2 else b[None]
        return self.sum(self.base.mul(a2, b2))

    def fold(self, lo: Array, diff: Array, r: Array) -> Array:
        """lo + r * diff, the multilinear fold; lo/diff base (n,) or extension (d, n)."""
        lo_e = lo if lo.ndim == 2 else self.from_base(lo)
        rd = self.mul(diff, r) if diff.ndim == 2 else self.mul_base(r[:, None], diff)
        return self.add(lo_e, rd)

    def pow(self, a: Array, e: int) -> Array:
        """Elementwise power by square-and-multiply (loop over exponent bits)."""
        one = self.add(
            self.zeros(a.shape[1:]), self.one().reshape((self.degree,) + (1,) * (a.ndim - 1))
        )
        return square_and_multiply(self.mul, one, a, e)

    def inv(self, a: Array) -> Array:
        """Elementwise inverse; 0 -> 0. Degree 1: the base field's (bn254's is a batch
        inversion). QM31 by norms down the tower (`_inv_qm31`): one base inverse, not a
        124-bit power."""
        if self.degree == 4:
            return self._inv_qm31(a)
        return self.base.inv(a)

    def _inv_qm31(self, a: Array) -> Array:
        """a = e(v) + u o(v) with v = u^2, whose minimal polynomial is v^2 - 4v + 5. Then
        a(u) a(-u) = e^2 - v o^2 = b0 + b1 v lies in F_p[v], and b(v) b(v') = b0^2 + 4 b0 b1
        + 5 b1^2 =: n in F_p (v + v' = 4, v v' = 5, v' = 4 - v). So a^-1 = a(-u) b(v') / n."""
        F = self.base
        conj = F.array(a)
        conj[1::2] = F.neg(conj[1::2])  # a(-u): the odd powers of u negated
        b = self.mul(a, conj)  # components 1 and 3 are zero
        b0, b1 = b[0], b[2]
        bconj = self.zeros(b0.shape)  # b(v') = (b0 + 4 b1) - b1 v
        bconj[0] = F.add(b0, F.mul(F.array(4), b1))
        bconj[2] = F.neg(b1)
        n = F.add(F.mul(b0, bconj[0]), F.mul(F.array(5), F.mul(b1, b1)))
        return self.mul_base(self.mul(conj, bconj), F.inv(n))

    def equal(self, a: Array, b: Array) -> bool:
        xp = self.xp
        return bool(xp.all(xp.asarray(a) == xp.asarray(b)))

    # ---- bytes --------------------------------------------------------------------------
    def encode(self, a: Array) -> bytes:
        """Element-major: each element's d components in order, each base-encoded."""
        xp = self.xp
        a = xp.asarray(a)
        return self.base.encode(a.T if a.ndim <= 2 else xp.moveaxis(a, 0, -1))  # the same, faster

    def decode(self, data: bytes, count: int) -> Array:
        if len(data) != count * self.byte_len:
            raise FormatError(
                f"{self.name}: expected {count} elements of {self.byte_len} bytes, got {len(data)}"
            )
        flat = self.base.decode(data, count * self.degree)  # host-side, like every decode
        return np.ascontiguousarray(flat.reshape(count, self.degree).T)

    def __repr__(self) -> str:
        return f"ExtField({self.name})"


def _mul_m31(xp: Any, a: Array, b: Array) -> Array:
    """Schoolbook product in F_p[u]/(u^4 - 4u^2 + 5), lazily reduced.

    With raw power sums s_k (s_k has min(k, 6 - k) + 1 products, each < 2^62) and
    u^4 = 4u^2 - 5, u^5 = 4u^3 - 5u, u^6 = 11u^2 - 20:
        c0 = s0 - 5 s4 - 20 s6,  c1 = s1 - 5 s5,  c2 = s2 + 4 s4 + 11 s6,  c3 = s3 + 4 s5.
    s3..s6 are folded once below 2^34 (t & p + t >> 31 is congruent to t); a subtracted term
    is added as 8p - term (8p > 2^34), so every sum stays below 2^64 and one reduction per
    output component finishes it.
    """
    from zkcc.field.m31 import _P, _S31, reduce_u64

    def prods(k: int) -> Array:
        acc = a[max(0, k - 3)] * b[k - max(0, k - 3)]
        for i in range(max(0, k - 3) + 1, min(k, 3) + 1):
            acc += a[i] * b[k - i]
        return acc

    def fold(t: Array) -> Array:
        return (t & _P) + (t >> _S31)

    eight_p = np.uint64(8) * _P
    s3, s4, s5, s6 = (fold(prods(k)) for k in (3, 4, 5, 6))
    c0 = prods(0) + np.uint64(5) * (eight_p - s4) + np.uint64(20) * (eight_p - s6)
    c1 = prods(1) + np.uint64(5) * (eight_p - s5)
    c2 = prods(2) + np.uint64(4) * s4 + np.uint64(11) * s6
    c3 = s3 + np.uint64(4) * s5
    return reduce_u64(xp, xp.stack(xp.broadcast_arrays(c0, c1, c2, c3)))
