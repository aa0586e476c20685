"""The challenge field: F_p for bn254, F_p[x]/(x^3 - 5) for m31.

Representation (struct of arrays, component-major): an extension array has shape (d, *shape)
where d = `degree`; component c holds the coefficient of x^c, each component a contiguous base
array. An extension *scalar* has shape (d,). Element axes broadcast like numpy among themselves
(right-aligned after the component axis), so a scalar (d,) combines with a vector (d, n).
bn254 uses degree 1, so the same code runs over both fields with arrays of shape (1, ...).

The cubic multiplication is schoolbook with lazy reduction: raw products of reduced m31 values
are < 2^62, so the three products of x^2's coefficient sum without overflow and only one
reduction per output component is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from zkcc.errors import FormatError
from zkcc.field.base import square_and_multiply

if TYPE_CHECKING:
    from zkcc.field.base import Array, PrimeField

xp = np


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


class ExtField:
    """Degree-1 (any base) or cubic (m31) extension, elementwise on component-major arrays."""

    def __init__(self, base: PrimeField, degree: int, nonresidue: int) -> None:
        if degree not in (1, 3) or (degree == 3 and base.name != "m31"):
            raise ValueError("supported challenge fields: degree 1, or degree 3 over m31")
        self.base = base
        self.degree = degree
        self.nonresidue = nonresidue
        self.name = base.name if degree == 1 else f"{base.name}^{degree}"
        self.byte_len = degree * base.byte_len
        self.order = base.p**degree

    # ---- construction -------------------------------------------------------------------
    def zeros(self, shape: int | tuple[int, ...] = ()) -> Array:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return self.base.zeros((self.degree, *shape))

    def from_base(self, a: Array) -> Array:
        """Embed base elements: component 0 = a, the others 0."""
        a = xp.asarray(a)
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
        return xp.ascontiguousarray(xp.moveaxis(a, -1, 0))

    def to_ints(self, a: Array) -> Any:
        return self.base.to_ints(xp.moveaxis(xp.asarray(a), 0, -1))

    # ---- arithmetic ---------------------------------------------------------------------
    def add(self, a: Array, b: Array) -> Array:
        return self.base.add(*_rest_align(a, b, True, True))

    def sub(self, a: Array, b: Array) -> Array:
        return self.base.sub(*_rest_align(a, b, True, True))

    def neg(self, a: Array) -> Array:
        return self.base.neg(a)

    def mul_base(self, a: Array, b: Array) -> Array:
        """Extension times base, elementwise (d base multiplications)."""
        return self.base.mul(*_rest_align(a, xp.asarray(b), True, False))

    def mul_ints(self, a: list[int], b: list[int]) -> list[int]:
        """One product of two extension scalars given as lists of `degree` Python ints: the
        protocols' per-round scalar arithmetic (claims, interpolation) would otherwise pay
        numpy's per-call cost several hundred times per sumcheck."""
        p, w = self.base.p, self.nonresidue
        if self.degree == 1:
            return [a[0] * b[0] % p]
        a0, a1, a2 = a
        b0, b1, b2 = b
        return [
            (a0 * b0 + w * (a1 * b2 + a2 * b1)) % p,
            (a0 * b1 + a1 * b0 + w * a2 * b2) % p,
            (a0 * b2 + a1 * b1 + a2 * b0) % p,
        ]

    def mul(self, a: Array, b: Array) -> Array:
        if self.degree == 3 and a.ndim == 1 and b.ndim == 1:
            prod = self.mul_ints([int(x) for x in a], [int(x) for x in b])
            return np.array(prod, dtype=np.uint64)
        a, b = _rest_align(a, b, True, True)
        if self.degree == 1:
            return self.base.mul(a, b)
        return _cubic_mul_m31(a, b, self.nonresidue)

    def sum(self, a: Array, axis: int | None = None) -> Array:
        """Sum over element axes (all of them by default); the component axis is kept."""
        axes = tuple(range(1, a.ndim)) if axis is None else axis + 1 if axis >= 0 else axis
        return self.base.sum(a, axis=axes)

    def dot(self, a: Array, b: Array) -> Array:
        """sum_i a_i * b_i for 1-d vectors, each base (n,) or extension (d, n)."""
        if self.degree == 3:
            from zkcc.field.m31_kernels import dot as m31_dot

            return m31_dot(a, b)
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
        """Elementwise inverse, a^(p^d - 2) (the multiplicative group has order p^d - 1); 0 -> 0."""
        return self.pow(a, self.order - 2)

    def equal(self, a: Array, b: Array) -> bool:
        return bool(xp.all(xp.asarray(a) == xp.asarray(b)))

    # ---- bytes --------------------------------------------------------------------------
    def encode(self, a: Array) -> bytes:
        """Element-major: each element's d components in order, each base-encoded."""
        return self.base.encode(xp.moveaxis(xp.asarray(a), 0, -1))

    def decode(self, data: bytes, count: int) -> Array:
        if len(data) != count * self.byte_len:
            raise FormatError(
                f"{self.name}: expected {count} elements of {self.byte_len} bytes, got {len(data)}"
            )
        flat = self.base.decode(data, count * self.degree)
        return xp.ascontiguousarray(flat.reshape(count, self.degree).T)

    def __repr__(self) -> str:
        return f"ExtField({self.name})"


def _cubic_mul_m31(a: Array, b: Array, w: int) -> Array:
    """(a0 + a1 x + a2 x^2)(b0 + b1 x + b2 x^2) mod x^3 - w over m31, lazily reduced."""
    from zkcc.field.m31 import _P, _S31, reduce_u64

    a0, a1, a2 = a[0], a[1], a[2]
    b0, b1, b2 = b[0], b[1], b[2]
    wu = np.uint64(w)

    def fold1(t: Array) -> Array:  # < 2^64 -> < 2^33 + 2^31, still congruent
        return (t & _P) + (t >> _S31)

    c0 = a0 * b0 + wu * fold1(a1 * b2 + a2 * b1)
    c1 = a0 * b1 + a1 * b0 + wu * fold1(a2 * b2)
    c2 = a0 * b2 + a1 * b1 + a2 * b0
    out = xp.stack(xp.broadcast_arrays(c0, c1, c2))
    return reduce_u64(out)
