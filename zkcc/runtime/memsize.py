"""Memory sizes as users write them ("512M", "2G", "1.5GiB") and as zkcc prints them."""

from __future__ import annotations

import re
from fractions import Fraction

from zkcc.errors import UserError

_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_SIZE = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)([kmgt]?)(b|ib)?", re.IGNORECASE)
_EXAMPLES = "examples: 512M, 2G, 1.5G"
MAX_SIZE = 1 << 60  # 1 EiB: a larger "limit" is a typo, not a machine


def parse_size(text: str, what: str = "--mem-limit") -> int:
    """Bytes in `text`: a number with an optional binary unit K, M, G or T (case-insensitive,
    optionally followed by B or iB: "2G" = "2GB" = "2GiB" = 2**31). A fraction is allowed with
    a unit ("1.5G") and rounds down to whole bytes; without one it would be a fraction of a
    byte. Zero, negative, sub-byte, unreadable or absurd (over MAX_SIZE) sizes raise a
    `UserError` whose message starts with `what`."""
    s = text.strip() if isinstance(text, str) else ""
    m = _SIZE.fullmatch(s)
    # "iB" only after a unit letter: "2iB" is not a size
    if m is None or (m[4] and m[4].lower() == "ib" and not m[3]):
        raise UserError(f"{what}: cannot parse {text!r} as a size ({_EXAMPLES})")
    exact = Fraction(m[2]) * 1024 ** _UNITS[m[3].lower()]
    if m[1] == "-" or exact == 0:
        raise UserError(f"{what}: the size must be positive, got {text!r} ({_EXAMPLES})")
    if exact.denominator != 1 and not m[3]:
        raise UserError(f"{what}: {text!r} is not a whole number of bytes ({_EXAMPLES})")
    if exact < 1:
        raise UserError(f"{what}: {text!r} is less than one byte ({_EXAMPLES})")
    if exact > MAX_SIZE:
        raise UserError(f"{what}: {text!r} is more than {format_size(MAX_SIZE)} ({_EXAMPLES})")
    return int(exact)


def format_size(n: int) -> str:
    """`n` bytes for messages: "900 B", "512 MiB", "1.50 GiB" (binary units)."""
    sign, n = ("-", -n) if n < 0 else ("", n)
    for power, unit in ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        scale = 1024**power
        if n >= scale:
            if n % scale == 0:
                return f"{sign}{n // scale} {unit}"
            return f"{sign}{n / scale:.2f} {unit}"
    return f"{sign}{n} B"
