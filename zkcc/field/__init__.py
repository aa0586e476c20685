"""Field arithmetic on arrays: m31 (with its cubic challenge extension) and bn254.

`get_field(name)` returns a shared, stateless field object; `F.ext` is its challenge field and
`F.xp` its array module (numpy unless `get_field(name, xp=...)` names another, e.g. cupy).
See `zkcc.field.mle` for the multilinear point-order convention (point[i] binds index bit i).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from zkcc.field.base import Array, PrimeField
from zkcc.field.ext import ExtField
from zkcc.field.mle import eq_table, mle_evaluate

FIELD_NAMES = ("m31", "bn254")


def get_field(name: str, xp: Any = None) -> PrimeField:
    """The field called `name` ("m31" or "bn254") on the array module `xp` (numpy by default;
    any module with numpy's API, such as cupy, for m31); ValueError for an unknown name.
    One shared object per (name, array module)."""
    return _field(name, np if xp is None else xp)


@cache
def _field(name: str, xp: Any) -> PrimeField:
    if name == "m31":
        from zkcc.field.m31 import M31Field

        return M31Field(xp)
    if name == "bn254":
        from zkcc.field.bn254 import Bn254Field

        return Bn254Field(xp)
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
