"""Layered arithmetic circuits, the input of the data-parallel GKR backend.

One circuit describes ONE instance of a kernel; a launch runs it on N instances (N padded to a
power of two; padded instances repeat instance 0's witness so every constraint still holds).

Layer 0 is the input layer: per instance, a vector of 2^input_log2 base-field values made of
*segments* (a kernel parameter's elements, or the hint values), each padded with zeros to a
power of two and placed at an offset that is a multiple of its padded size. Layer i+1 is
computed from layer i by `layers[i]` (Expander-style gates, several gates may add into one
output):

    V_{i+1}[o] = sum_{mul gates (o,a,b,c)} c * V_i[a] * V_i[b]
               + sum_{add gates (o,a,c)}   c * V_i[a]
               + sum_{const gates (o,c)}   c

The last layer holds the constraint residues: a valid witness makes every value of it zero on
every instance. Gate wires are int64 numpy arrays (host memory); coefficients are ints in
[0, p) in numpy arrays (`coefficients`), so the same circuit serves m31 and bn254 and any array
backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class InputSegment:
    name: str  # e.g. "param:x" or "hints"; unique within a circuit
    offset: int  # multiple of 2^size_log2
    size_log2: int
    length: int  # real values before padding (<= 2^size_log2)
    broadcast: bool  # the same values on every instance (a __broadcast__ parameter)


def coefficients(values: Sequence[int] | np.ndarray) -> np.ndarray:
    """Gate coefficients (ints in [0, p)) as a host array: int64 when every one fits (all of
    m31's), else Python ints in an object array (bn254's). An array of either kind is kept
    as it is, so a lowering's slices are not copied."""
    if isinstance(values, np.ndarray) and values.dtype in (np.int64, object):
        return values
    a = np.array(values, dtype=object)
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    return a.astype(np.int64) if int(a.max()) < 1 << 63 else a


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer's gates. Coefficients may be given as any sequence of ints in [0, p); they
    are stored as `coefficients` arrays (the lowering's slices of its sorted gates)."""

    width_log2: int  # this layer's OUTPUT width is 2^width_log2
    mul_wires: np.ndarray  # int64 (G, 3): out, in0, in1
    mul_coef: np.ndarray  # (G,) int64 or object: see `coefficients`
    add_wires: np.ndarray  # int64 (G, 2): out, in
    add_coef: np.ndarray
    const_out: np.ndarray  # int64 (G,)
    const_coef: np.ndarray

    def __post_init__(self) -> None:
        for name in ("mul_coef", "add_coef", "const_coef"):
            object.__setattr__(self, name, coefficients(getattr(self, name)))

    @classmethod
    def stored(cls, width_log2: int, *arrays: np.ndarray) -> Layer:
        """A layer from arrays already in the stored form (fields in order after width_log2;
        int64 wires, coefficients int64 or object as `coefficients` keeps them), taken as
        they are: a lowering makes one layer per level (merkle: 1,439 per plan load), where
        the frozen dataclass's field-by-field init and checks cost two thirds of the time."""
        layer = object.__new__(cls)
        layer.__dict__.update(zip(_FIELDS, (width_log2, *arrays), strict=True))
        return layer


_FIELDS = tuple(f.name for f in fields(Layer))


@dataclass(frozen=True, eq=False)
class LayeredCircuit:
    input_log2: int
    segments: tuple[InputSegment, ...]
    layers: tuple[Layer, ...]  # layers[i] maps layer i to layer i+1; the last gives residues

    @property
    def depth(self) -> int:
        return len(self.layers)

    def width_log2(self, i: int) -> int:
        """log2 width of layer i (0 = input layer)."""
        return self.input_log2 if i == 0 else self.layers[i - 1].width_log2
