"""Element types of kernel values and host tensors: `field`, and the bounded signed integer
types `iK`, whose values v satisfy -2^(K-1) <= v < 2^(K-1) and are stored as v mod p."""

from __future__ import annotations

import re

FIELD = "field"
_ITYPE = re.compile(r"i([1-9][0-9]*)")


def int_type_bits(name: str) -> int | None:
    """K for the type name `iK`, None for anything else (`field`, `int`, `void`)."""
    m = _ITYPE.fullmatch(name)
    return int(m.group(1)) if m else None


def type_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def max_type_bits(p: int) -> int:
    """The widest `iK` a field holds: its range check decomposes into K bits, 2^K <= p."""
    return p.bit_length() - 1


def signed(v: int, p: int) -> int:
    """The integer a field element stands for in an iK type: v or v - p, nearer 0."""
    return v if v <= p // 2 else v - p
