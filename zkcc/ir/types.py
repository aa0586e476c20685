"""Element types of kernel values and host tensors: `field`; the bounded signed integer types
`iK`, whose values v satisfy -2^(K-1) <= v < 2^(K-1) and are stored as v mod p; and the signed
fixed-point types `fxK.F`, whose value x is stored as the iK integer round(x * 2^F) (K bits in
all, F of them after the binary point)."""

from __future__ import annotations

import functools
import re
from fractions import Fraction

FIELD = "field"
_ITYPE = re.compile(r"i([1-9][0-9]*)")
_FXTYPE = re.compile(r"fx([1-9][0-9]*)\.(0|[1-9][0-9]*)")


@functools.cache
def int_type_bits(name: str) -> int | None:
    """K for a bounded type, `iK` or `fxK.F` (the width of the integer it stores), None for
    anything else (`field`, `int`, `void`)."""
    m = _ITYPE.fullmatch(name) or _FXTYPE.fullmatch(name)
    return int(m.group(1)) if m else None


@functools.cache
def fixed_frac(name: str) -> int | None:
    """F for the fixed-point type `fxK.F`, None for any other type."""
    m = _FXTYPE.fullmatch(name)
    return int(m.group(2)) if m else None


def type_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def max_type_bits(p: int) -> int:
    """The widest `iK` a field holds: its range check decomposes into K bits, 2^K <= p."""
    return p.bit_length() - 1


def signed(v: int, p: int) -> int:
    """The integer a field element stands for in an iK type: v or v - p, nearer 0."""
    return v if v <= p // 2 else v - p


def quantise(x: Fraction, frac: int) -> int:
    """The stored integer of the real x in a type with `frac` fractional bits: x * 2^frac
    rounded to the nearest integer, a tie rounded up (toward +infinity), as every rescale in
    the circuit rounds: floor(x * 2^frac + 1/2)."""
    scaled = x * (1 << frac) + Fraction(1, 2)
    return scaled.numerator // scaled.denominator


def fixed_text(raw: int, frac: int) -> str:
    """The exact decimal of raw / 2^frac (a binary fraction always has a finite decimal):
    `-1.5`, `3`, `0.00390625`."""
    if frac == 0:
        return str(raw)
    sign, mag = ("-" if raw < 0 else ""), abs(raw)
    whole, part = divmod(mag, 1 << frac)
    if part == 0:
        return f"{sign}{whole}"
    digits = str(part * 5**frac).rjust(frac, "0").rstrip("0")  # part / 2^F = part * 5^F / 10^F
    return f"{sign}{whole}.{digits}"


def type_range_text(name: str) -> str:
    """A bounded type's range as the user reads it: `-128..127` for i8, `-128..127.99609375`
    for fx16.8."""
    bits = int_type_bits(name)
    assert bits is not None
    lo, hi = type_range(bits)
    frac = fixed_frac(name) or 0
    return f"{fixed_text(lo, frac)}..{fixed_text(hi, frac)}"
