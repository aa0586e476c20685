"""Signed fixed-point values in kernels: the types `fxK.F`, their arithmetic and rescaling.

A value x of type `fxK.F` is stored as the integer X = round(x * 2^F), an `iK` value
(zkcc.frontend.bounded), so the range checks, facts and sign tests of bounded integers serve
fixed point unchanged. An expression's value carries its number of fractional bits
(`FixedV.frac`); the declared K matters only where a value is stored.

* `a + b`, `a - b`, comparisons, `min`/`max`/`clamp`/`select` and `assert(a == b)` align their
  operands to the larger number of fractional bits by an exact shift left (a multiplication by
  the constant 2^d); an int or an integer-typed value is a fixed value with 0 fractional bits.
* `a * b` multiplies the stored integers: F = Fa + Fb, exact.
* a real literal (`RealV`) becomes a constant quantised to the fractional bits of the
  fixed-point operand or place it meets (zkcc.ir.types.quantise); elsewhere it is an error.
* `a / c` for a compile-time int c != 0 keeps F and rounds (below).
* storing a value with G fractional bits into `fxK.F` (or `iK`, F = 0) shifts it left when
  G <= F and rescales it by c = 2^(G - F) when G > F; either way the result is range-checked
  to K bits, an overflow reported at the assignment.

**Rounding.** Every rescale and division rounds the exact quotient to the nearest integer, a
tie toward +infinity: q = floor(X / c + 1/2) = floor((X + h) / c) with h = floor(c / 2) (for
an odd c the two agree as 2X + c is odd). A negative c divides -X by -c.

**Gadget.** With the fact X in [lo, hi], an offset O = c*k (k >= 0) makes e = X + h + O
non-negative, and the prover supplies q' = floor(e / c) (a QUOT hint). The circuit forms
r = e - c*q' and q = q' - k and proves r in [0, c) (the bits of r, and of c - 1 - r unless c is
a power of two) and q in [-2^(m-1), 2^(m-1)) (the range check of `iK`, m bits). Then
X + h == q*c + r (mod p), and both sides are integers in an interval shorter than p (checked
at compile time, else an error asks for narrower types), so they are equal as integers, and
q is the rounded quotient: no choice of q' passes otherwise.
"""

from __future__ import annotations

from zkcc.frontend import ast
from zkcc.frontend.limits import int_text
from zkcc.frontend.values import FieldV, FixedV, IntV, RealV, Value
from zkcc.ir.kernel import MAX_QUOT, HintKind, KernelBuilder
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import (
    fixed_frac,
    fixed_text,
    int_type_bits,
    quantise,
    signed,
    type_range,
    type_range_text,
)

_ALIGNED = {"+", "-", "<", ">", "<=", ">=", "==", "!="}


def frac_of(v: Value) -> int:
    """Fractional bits of a scalar value: an int or a non-fixed field value has none (and a
    real literal takes those of what it meets)."""
    return v.frac if type(v) is FixedV else 0  # type: ignore[union-attr]


def real_text(raw: int, frac: int) -> str:
    """How a message shows a stored integer: its real value, and the integer when they differ."""
    return fixed_text(raw, frac) if frac == 0 else f"{fixed_text(raw, frac)} (stored {raw})"


class FixedOps:
    """Fixed-point arithmetic for the compile-time interpreter: mixed into ExprEval, whose
    `bounds`, `fail`, `need_builder`, `to_field`, `narrow` and `compare` it uses."""

    def fixed_binary(self, e: ast.Binary, a: IntV | FieldV, b: IntV | FieldV) -> Value:
        """`a op b` where a or b is a fixed-point value (see the module docstring)."""
        bld: KernelBuilder = self.need_builder(e.loc)
        op = e.op
        if type(a) is RealV or type(b) is RealV:
            a, b = self.realised(a, e.lhs.loc, b), self.realised(b, e.rhs.loc, a)
        if op in _ALIGNED:
            f = max(frac_of(a), frac_of(b))
            x, y = self.lift(a, f, e.lhs.loc), self.lift(b, f, e.rhs.loc)
            if op in ("+", "-"):
                r = bld.add(x, y, e.loc) if op == "+" else bld.sub(x, y, e.loc)
                self.bounds.derive(op, r, x, y)
                return FixedV(r, f)
            return self.compare(e, FieldV(x), FieldV(y))
        if op == "*":
            x, y = self.to_field(a, e.lhs.loc), self.to_field(b, e.rhs.loc)
            r = bld.mul(x, y, e.loc)
            self.bounds.derive("*", r, x, y)
            return FixedV(r, frac_of(a) + frac_of(b))
        if op == "/":
            if not isinstance(b, IntV):
                raise self.fail(
                    "a fixed-point division needs a compile-time int divisor (x / 3, x / 256); "
                    "to divide by a field or fixed-point value, multiply by a constant or "
                    "compute the quotient as a separate input",
                    e.rhs.loc,
                )
            if b.value == 0:
                raise self.fail("division by zero", e.rhs.loc)
            x = self.to_field(a, e.lhs.loc)
            return FixedV(self.divide(x, b.value, None, e.loc), frac_of(a))
        raise self.fail(
            f"operator '{op}' is not defined on fixed-point values (it needs compile-time ints)",
            e.loc,
        )

    def realised(self, v: Value, loc: SourceLoc, other: Value) -> Value:
        """A real literal `v` as a fixed-point constant with the fractional bits of the
        fixed-point operand `other` it meets (quantised as inputs are); anything else as is."""
        if type(v) is not RealV:
            return v
        if type(other) is not FixedV:
            raise self.fail(
                "a real number is only allowed with fixed-point values (an operand or a place "
                "of a type fxK.F); ints and field values are integers",
                loc,
            )
        f = other.frac  # type: ignore[union-attr]
        return FixedV(self.need_builder(loc).const(quantise(v.value, f), loc), f)

    def fixed_negate(self, v: FixedV, loc: SourceLoc) -> FixedV:
        r = self.need_builder(loc).neg(v.ssa, loc)
        self.bounds.derive("neg", r, v.ssa)
        return FixedV(r, v.frac)

    def lift(self, v: Value, f: int, loc: SourceLoc) -> int:
        """The stored integer of scalar `v` with `f` fractional bits (f >= its own): exact."""
        bld: KernelBuilder = self.need_builder(loc)
        if isinstance(v, IntV):
            return bld.const(v.value << f, loc)
        if isinstance(v, RealV):
            return bld.const(quantise(v.value, f), loc)
        x = self.to_field(v, loc)
        d = f - frac_of(v)
        if d == 0:
            return x
        scale = bld.const(1 << d, loc)
        r = bld.mul(x, scale, loc)
        self.bounds.derive("*", r, x, scale)
        return r

    def aligned(self, vals: list, locs: list[SourceLoc]) -> tuple[list, int | None]:
        """Scalars for a builtin that chooses between them (min, max, clamp, select): when one
        is fixed-point, all as field values with the largest number of fractional bits, and
        that number (to wrap the result in); else unchanged and None."""
        if not any(type(v) is FixedV for v in vals):
            for v, loc in zip(vals, locs, strict=True):
                if type(v) is RealV:
                    self.to_field(v, loc)  # reports it: a real literal meets no fixed value
            return vals, None
        f = max(frac_of(v) for v in vals)
        return [FieldV(self.lift(v, f, loc)) for v, loc in zip(vals, locs, strict=True)], f

    def convert(self, v: Value, elem: str, loc: SourceLoc, text: str) -> int:
        """The SSA value to store for `v` in a place of type `elem` (`fxK.F`, `iK`, or `field`
        for a non-fixed `v`), shifted or rescaled to F fractional bits and range-checked."""
        bits = int_type_bits(elem)
        g = frac_of(v)
        if bits is None:
            if g:
                raise self.fail(
                    f"cannot assign a fixed-point value ({g} fractional bits) to field "
                    f"'{text}': declare it with a fixed-point type such as fx{2 * g}.{g}, or "
                    "an integer type to round it to an integer",
                    loc,
                )
            return self.to_field(v, loc)
        f = fixed_frac(elem) or 0
        self.literal_fits(v, elem, loc, text)
        if g > f:
            return self.divide(self.to_field(v, loc), 1 << (g - f), bits, loc, elem, text)
        x = self.lift(v, f, loc)
        c = self.need_builder(loc).const_value(x)
        if c is not None and f:
            p = self.need_builder(loc).p
            s = signed(c, p)
            lo, hi = type_range(bits)
            if not lo <= s <= hi:
                raise self.fail(
                    f"value {real_text(s, f)} does not fit {elem} '{text}' (range "
                    f"{type_range_text(elem)})",
                    loc,
                )
        self.narrow(x, elem, loc, text)
        return x

    def literal_fits(self, v: Value, elem: str, loc: SourceLoc, text: str) -> None:
        """A compile-time int or a real literal stored in a place of bounded type `elem` (iK,
        fxK.F) must fit it as written: the field reduces it mod p first, and a value that
        fits only after that (p + 5 in an i8, as 5) would be stored as another number."""
        bits = int_type_bits(elem)
        if bits is None or type(v) not in (IntV, RealV):
            return
        f = fixed_frac(elem) or 0
        s = v.value << f if type(v) is IntV else quantise(v.value, f)  # type: ignore[union-attr]
        lo, hi = type_range(bits)
        if not lo <= s <= hi:
            shown = real_text(s, f) if abs(s) < 1 << 62 else int_text(s >> f)
            raise self.fail(
                f"value {shown} does not fit {elem} '{text}' (range {type_range_text(elem)})",
                loc,
            )

    def divide(
        self,
        x: int,
        c: int,
        bits: int | None,
        loc: SourceLoc,
        elem: str | None = None,
        text: str = "",
    ) -> int:
        """round(X / c), ties up, for the bounded value x (see the module docstring), checked
        to fit `bits` bits (None: as many as its range needs). `elem` and `text` name the
        place it is stored in, for a compile-time overflow."""
        bld: KernelBuilder = self.need_builder(loc)
        if c < 0:
            x, c = self.fixed_negate(FixedV(x, 0), loc).ssa, -c
        fact = self.bounds.get(x)
        if fact is None:
            raise self.fail(
                "rescaling or dividing a fixed-point value needs a value of known range, but "
                "this one has none (a field value, or a product too wide for the field to "
                "track); store it in a fixed-point variable first (e.g. fx30.16)",
                loc,
            )
        lo, hi = fact
        h = c // 2
        qlo, qhi = (lo + h) // c, (hi + h) // c
        need = max((-qlo - 1).bit_length() if qlo < 0 else 0, qhi.bit_length()) + 1
        m = need if bits is None else min(bits, need)
        cx = bld.const_value(x)
        if cx is not None:
            q = (lo + h) // c
            qmin, qmax = type_range(m if bits is None else bits)
            if not qmin <= q <= qmax:
                frac = fixed_frac(elem or "") or 0
                raise self.fail(
                    f"value {real_text(q, frac)} does not fit {elem} '{text}' (range "
                    f"{type_range_text(elem or f'i{m}')})",
                    loc,
                )
            return bld.const(q, loc)
        if c == 1:  # nothing to divide: only a place's width to check
            if bits is not None:
                self.bounds.range_check(x, m, loc, fixed_frac(elem or "") if m == bits else None)
            return x
        half = 1 << (m - 1)
        k = max(0, -((lo + h) // c))  # e = x + h + c*k >= 0 over the whole range
        span = max(hi + h, half * c - 1) - min(lo + h, -half * c)
        t = (c - 1).bit_length()
        too_wide = (1 << max(m, t)) > bld.p  # a range check of m bits, or t bits of r
        if c > MAX_QUOT or span >= bld.p or hi + h + c * k >= bld.p or too_wide:
            raise self.fail(
                f"cannot divide a value in {int_text(lo)}..{int_text(hi)} by {int_text(c)} "
                f"soundly in this field (the quotient and remainder would wrap around p); "
                "narrow the operand types",
                loc,
            )
        e = bld.add(x, bld.const(h + c * k, loc), loc)
        qk = bld.hint(HintKind.QUOT, (e,), c, loc)
        q = bld.sub(qk, bld.const(k, loc), loc)
        # first: an overflow is reported with its value (in the place's type when it fits m)
        self.bounds.range_check(q, m, loc, fixed_frac(elem or "") if m == bits else None)
        r = bld.sub(e, bld.mul(bld.const(c, loc), qk, loc), loc)
        bld.range_check(r, t, loc)
        if c != 1 << t:
            bld.range_check(bld.sub(bld.const(c - 1, loc), r, loc), t, loc)
        self.bounds.add_fact(q, qlo, qhi)
        return q


__all__ = ["FixedOps", "frac_of", "real_text"]
