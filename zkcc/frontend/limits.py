"""The limits the front end enforces, in one place, and how to raise them.

Compiling unrolls every loop and computes compile-time ints exactly, so a few characters of
source can ask for unbounded work: `for (int i = 0; i < 100000000; i++)` or `1 << 100000000`.
Each limit is checked *before* the work it bounds (a loop's trip count is computed from its
bounds when the loop is reached, a shift's result size from its operands), so a refusal comes
at once, as an ordinary diagnostic that names the limit.

Limits that only protect compile time and memory can be raised with an environment variable
(`Limits.from_env`). The others are fixed because something else depends on them: plan readers
refuse kernels and tensors over the sizes in `zkcc.budget` (so the front end must not emit
them), the nesting cap keeps the recursive passes off the C stack, and Python refuses to parse
integers of more than 4300 digits.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from zkcc.budget import MAX_KERNEL_ARRAY, MAX_KERNEL_INSTRS, MAX_TENSOR
from zkcc.errors import UserError

# -- fixed -----------------------------------------------------------------------------------
# Levels of nesting of expressions, statements and blocks. The passes after the parser recurse
# once per level (a sum of n terms nests n levels), a few frames each, so the front end runs
# with Python's recursion limit raised to RECURSION_LIMIT (`recursion_room`); with that limit
# a deeper tree would overflow the C stack (a crash, not a RecursionError).
MAX_NESTING = 2000
# Bytes of a source file, the main one or an #include'd one: more is surely not a program.
MAX_SOURCE_BYTES = 1 << 26
RECURSION_LIMIT = 100_000
# Digits of an integer literal: Python refuses int(str) of more (sys.get_int_max_str_digits()).
MAX_LITERAL_DIGITS = 4300

__all__ = [
    "MAX_KERNEL_ARRAY",
    "MAX_KERNEL_INSTRS",
    "MAX_LITERAL_DIGITS",
    "MAX_NESTING",
    "MAX_TENSOR",
    "RECURSION_LIMIT",
    "Limits",
    "int_text",
    "over_limit",
]


def recursion_room() -> None:
    """Raise Python's recursion limit to RECURSION_LIMIT (never lower it) for the passes after
    the parser. py_ecc used to do it on import, which every command paid for; it is imported
    only for Groth16 work now, so the front end asks for what it needs itself."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


# -- raisable: `Limits` field -> (environment variable, default, unit) ------------------------
_SETTINGS = {
    "loop_trips": ("ZKCC_MAX_LOOP_TRIPS", 1_000_000, "iterations"),
    "unroll": ("ZKCC_MAX_UNROLL", 10_000_000, "iterations"),
    # Above any literal the digit cap admits (4300 hex digits are 17200 bits), so only computed
    # values meet it; arithmetic on ints of this size still takes microseconds.
    "int_bits": ("ZKCC_MAX_INT_BITS", 1 << 15, "bits"),
    "host_steps": ("ZKCC_MAX_HOST_STEPS", 100_000, "tensors and steps"),
}


def _read(env: str, default: int) -> int:
    raw = os.environ.get(env)
    if raw is None:
        return default
    text = raw.strip().replace("_", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 18 and int(text) > 0):
        raise UserError(f"{env}={raw!r}: expected a positive whole number (default {default})")
    return int(text)


@dataclass(frozen=True)
class Limits:
    """The raisable limits of one compilation, read once from the environment."""

    loop_trips: int  # iterations of one execution of one loop
    unroll: int  # loop iterations in total, per kernel (with its device calls) and per main
    int_bits: int  # bit length of a compile-time int
    host_steps: int  # tensors, views, launches and assert_eqs of main, after unrolling

    @staticmethod
    def from_env() -> Limits:
        return Limits(**{f: _read(env, default) for f, (env, default, _) in _SETTINGS.items()})


def over_limit(what: str, field: str, limits: Limits) -> str:
    """`what`, then the limit it passes and the variable that raises it, e.g. "loop runs
    100000000 times, over the limit of 1000000 iterations (set ZKCC_MAX_LOOP_TRIPS to raise
    it)"."""
    env, _, unit = _SETTINGS[field]
    return f"{what}, over the limit of {getattr(limits, field)} {unit} (set {env} to raise it)"


def int_text(n: int) -> str:
    """`n` for a message: exact when short, else its magnitude. (Python cannot print an int of
    more than 4300 digits, and a compile-time int may have up to `int_bits` bits.)"""
    if abs(n) < 10**18:
        return str(n)
    return f"{'-' if n < 0 else ''}about 2^{abs(n).bit_length() - 1}"
