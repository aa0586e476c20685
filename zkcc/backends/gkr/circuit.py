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
every instance. Gate wires are int64 numpy arrays (host memory); coefficients are Python ints
in [0, p) in tuples, so the same circuit serves m31 and bn254 and any array backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InputSegment:
    name: str  # e.g. "param:x" or "hints"; unique within a circuit
    offset: int  # multiple of 2^size_log2
    size_log2: int
    length: int  # real values before padding (<= 2^size_log2)
    broadcast: bool  # the same values on every instance (a __broadcast__ parameter)


@dataclass(frozen=True, eq=False)
class Layer:
    width_log2: int  # this layer's OUTPUT width is 2^width_log2
    mul_wires: np.ndarray  # int64 (G, 3): out, in0, in1
    mul_coef: tuple[int, ...]
    add_wires: np.ndarray  # int64 (G, 2): out, in
    add_coef: tuple[int, ...]
    const_out: np.ndarray  # int64 (G,)
    const_coef: tuple[int, ...]


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
