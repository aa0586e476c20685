"""Field arithmetic on arrays: m31 (with its cubic challenge extension) and bn254.

`get_field(name)` returns a shared, stateless field object; `F.ext` is its challenge field.
See `zkcc.field.mle` for the multilinear point-order convention (point[i] binds index bit i).
"""

from __future__ import annotations

from functools import cache

from zkcc.field.base import Array, PrimeField
from zkcc.field.ext import ExtField
from zkcc.field.mle import eq_table, mle_evaluate

FIELD_NAMES = ("m31", "bn254")


@cache
def get_field(name: str) -> PrimeField:
    """The field called `name` ("m31" or "bn254"); ValueError for anything else."""
    if name == "m31":
        from zkcc.field.m31 import M31Field

        return M31Field()
    if name == "bn254":
        from zkcc.field.bn254 import Bn254Field

        return Bn254Field()
    raise ValueError(f"unknown field {name!r}; known: {', '.join(FIELD_NAMES)}")


__all__ = [
    "Array",
    "ExtField",
    "FIELD_NAMES",
    "PrimeField",
    "eq_table",
    "get_field",
    "mle_evaluate",
]
