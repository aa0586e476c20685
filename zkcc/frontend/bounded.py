"""Bounded signed integers in kernels: the types `iK`, inferred ranges, range checks and signs.

A value of type `iK` is a field element that holds a signed integer v with
-2^(K-1) <= v < 2^(K-1), stored as v mod p. The front end keeps *facts* about SSA values:

    fact(x) = [lo, hi]   means   x == v (mod p) for some integer v with lo <= v <= hi.

A fact holds because of constraints already emitted (a range check), or follows from the facts
of the operands (x = a + b: v = va + vb lies in [lo_a + lo_b, hi_a + hi_b]; likewise -, * and
negation), or is a constant's (its signed representative, c or c - p, whichever is nearer 0).
Constraints are unconditional and the builder shares SSA values, so a fact, once true, holds
everywhere in the kernel. Nothing else has a fact: a division or a plain `field` input is
unbounded, and comparing it is a compile error.

**Sign test.** Let fact(d) = [lo, hi] within [-2^m, 2^m). The prover decomposes e = d + 2^m
into m+1 bits (`KernelBuilder.to_bits`: each bit boolean, the recomposition equal to e). When
2^(m+1) <= p, the true integer vd + 2^m and the recomposition both lie in [0, 2^(m+1)), which
is below p, and are equal mod p, so they are equal: the top bit is 1 exactly when vd >= 0, and
no choice of hints can change it. A range check of `iK` is the same decomposition with
m = K-1 (e = x + 2^(K-1) in K bits forces -2^(K-1) <= vx < 2^(K-1)), so it leaves the sign of
the checked value behind: `nonneg_bits` caches that bit and a later `relu(x)` or `x < 0` costs no
more bits.

**With lookups** (a plan that proves LOOKUPs with LogUp, `KernelBuilder.lookups`), both the
sign test and the range check take the top bit s of e as a hint, constrain it boolean and
check e - 2^m s in m bits with a LOOKUP: then e lies in [2^m s, 2^m s + 2^m), so e is in
[0, 2^(m+1)) and s = 1 exactly when e >= 2^m, by the same argument. One boolean and one
lookup replace m + 1 booleans, and a range check still leaves its sign bit behind.
"""

from __future__ import annotations

from zkcc.ir.kernel import HintKind, KernelBuilder
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import int_type_bits, max_type_bits, signed, type_range


class BoundError(Exception):
    """A comparison or range the field cannot decide; the caller reports it at a location."""


class Bounds:
    """The facts of one kernel being compiled, and the gadgets that use them."""

    def __init__(self, bld: KernelBuilder):
        self.bld = bld
        self.facts: dict[int, tuple[int, int]] = {}
        self.nonneg_bits: dict[int, int] = {}  # SSA value -> SSA of a bit that is 1 iff v >= 0
        # SSA values of bounded operands whose integer range the field cannot hold (i16 * i16
        # * i16 in m31): their field value may have wrapped around mod p, so no range check
        # can say whether the integer fits a type. Value: the range, when known.
        self.wrapped: dict[int, tuple[int, int] | None] = {}

    def get(self, x: int) -> tuple[int, int] | None:
        fact = self.facts.get(x)
        if fact is not None:
            return fact
        c = self.bld.const_value(x)
        if c is None:
            return None
        s = signed(c, self.bld.p)
        return (s, s)

    def add_fact(self, x: int, lo: int, hi: int) -> None:
        if self.bld.const_value(x) is not None:
            return  # a constant's fact is its value
        if max(-lo, hi) >= self.bld.p:
            return  # useless (no comparison can use it), and keeps repeated products small
        old = self.facts.get(x)
        if old is not None:
            lo, hi = max(lo, old[0]), min(hi, old[1])
        self.facts[x] = (lo, hi)

    def derive(self, op: str, r: int, a: int, b: int | None = None) -> None:
        """Record the fact of r = a op b (or r = -a for op "neg") from its operands'."""
        fa = self.get(a)
        fb = self.get(b) if b is not None else (0, 0)
        if fa is None or fb is None:
            if a in self.wrapped or b in self.wrapped:
                self._wrap(r, None)
            return
        if op == "+":
            lo, hi = fa[0] + fb[0], fa[1] + fb[1]
        elif op == "-":
            lo, hi = fa[0] - fb[1], fa[1] - fb[0]
        elif op == "*":
            ends = [u * v for u in fa for v in fb]
            lo, hi = min(ends), max(ends)
        elif op == "neg":
            lo, hi = -fa[1], -fa[0]
        else:
            return
        if max(-lo, hi) >= self.bld.p:
            self._wrap(r, (lo, hi))
        else:
            self.add_fact(r, lo, hi)

    def may_wrap_into(self, x: int, bits: int) -> bool:
        """Whether x's integer may lie outside iK (K = bits) while its residue, read as a
        signed integer (-p/2 .. p/2), lies inside, so that a range check would pass a value
        that does not fit: x is `wrapped`, or its range reaches an integer v with v - p or
        v + p inside iK (a range near p: i16 * i16 + i16 * i16 in m31 reaches 2^31)."""
        fact = self.get(x)
        if fact is None:
            return x in self.wrapped
        edge = self.bld.p - (1 << (bits - 1))  # the least v > 0 whose v - p fits iK
        return fact[1] >= edge or fact[0] <= -edge - 1

    def _wrap(self, r: int, span: tuple[int, int] | None) -> None:
        """Mark r as possibly wrapped (`wrapped`), unless a constraint already bounds it."""
        if self.get(r) is None:
            self.wrapped.setdefault(r, span)

    def boolean(self, x: int) -> int:
        """Record that x is constrained to 0 or 1 (by whoever made it)."""
        self.add_fact(x, 0, 1)
        return x

    def fits(self, x: int, bits: int) -> bool:
        lo, hi = type_range(bits)
        fact = self.get(x)
        return fact is not None and lo <= fact[0] and fact[1] <= hi

    def range_check(
        self, x: int, bits: int, loc: SourceLoc | None, frac: int | None = None
    ) -> None:
        """Constrain x to hold an `iK` value (K = bits), unless its fact already says so; for
        the stored integer of an `fxK.F` value, `frac` = F says so to a failure's message."""
        if self.fits(x, bits):
            return
        bld = self.bld
        e = bld.add(x, bld.const(1 << (bits - 1), loc), loc)
        if bld.lookups:
            top = self._sign_split(e, bits - 1, loc, frac)
        else:
            top = bld.to_bits(e, bits, loc, frac)[-1]
        self.nonneg_bits.setdefault(x, self.boolean(top))  # the sign, for a later sign test
        self.add_fact(x, *type_range(bits))

    def nonneg(self, d: int, loc: SourceLoc | None) -> int:
        """A 0/1 value that is 1 exactly when d >= 0, for a d with a fact (see the module
        docstring): the top bit of d + 2^m. Raises BoundError when d is unbounded or too wide
        for the field."""
        fact = self.get(d)
        if fact is None:
            raise BoundError("unbounded")
        bld = self.bld
        lo, hi = fact
        if lo >= 0:
            return bld.const(1, loc)
        if hi < 0:
            return bld.const(0, loc)
        top = self.nonneg_bits.get(d)
        if top is None:
            m = max((-lo - 1).bit_length(), hi.bit_length())
            if (1 << (m + 1)) > bld.p:
                raise BoundError(f"{m + 1}")
            e = bld.add(d, bld.const(1 << m, loc), loc)
            if bld.lookups:
                top = self._sign_split(e, m, loc)
            else:
                top = bld.to_bits(e, m + 1, loc)[-1]
            top = self.nonneg_bits[d] = self.boolean(top)
        return top

    def _sign_split(self, e: int, m: int, loc: SourceLoc | None, frac: int | None = None) -> int:
        """With lookups: the top bit s of e, in [0, 2^(m+1)), as a hint, constrained boolean,
        and e - 2^m s checked in m bits (a LOOKUP; zero when m = 0): see the module doc."""
        bld = self.bld
        top = bld.hint(HintKind.BIT, (e,), m, loc)
        bld.assert_zero(bld.mul(top, bld.sub(top, bld.const(1, loc), loc), loc), loc)
        rest = bld.sub(e, bld.mul(bld.const(1 << m, loc), top, loc), loc)
        if m:
            bld.range_check(rest, m, loc, frac)
        else:
            bld.assert_zero(rest, loc)
        return top

    def choose(self, c: int, x: int, y: int, loc: SourceLoc | None) -> int:
        """c ? x : y as y + c*(x - y), for a c known to be 0 or 1; its fact is the union."""
        bld = self.bld
        r = bld.add(y, bld.mul(c, bld.sub(x, y, loc), loc), loc)
        fx, fy = self.get(x), self.get(y)
        if fx is not None and fy is not None:
            self.add_fact(r, min(fx[0], fy[0]), max(fx[1], fy[1]))
        return r


__all__ = ["BoundError", "Bounds", "int_type_bits", "max_type_bits", "type_range"]
