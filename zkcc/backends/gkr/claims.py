"""Evaluation claims passed between GKR layers, and the input layer's segment geometry.

A claim on layer i is (point, value) with the point in mle order over the flat table
s * 2^{w_i} + x: the first w_i coordinates bind the gate x, the last n bind the instance s.

Input layer: a segment of size 2^k at offset o (a multiple of 2^k) occupies gates o + x_low,
so with r = point[:L] (L = input_log2), r_low = r[:k], r_high = r[k:L]:

    V_0~(r, rs) = sum_seg eq(r_high, o >> k) * T_seg~(r_low, rs)      (split: (N, 2^k) table)
                + ...                             * B_seg~(r_low)      (broadcast: sum_s eq(rs,s)=1)

and gates outside every segment must be zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.backends.gkr.circuit import InputSegment, LayeredCircuit
from zkcc.field.base import Array, PrimeField
from zkcc.transcript import Transcript


@dataclass(frozen=True, eq=False)
class Claim:
    point: list[Array]
    value: Array


def combine(F: PrimeField, coeffs: list[Array], values: list[Array]) -> Array:
    """sum_k coeffs[k] * values[k] in the extension: how claims are merged by random
    coefficients (values may be scalars or tables)."""
    E = F.ext
    if all(v.ndim == 1 for v in values):  # scalars (a layer's claim values): int arithmetic
        acc = E.unit_ints(0)
        for c, v in zip(coeffs, values, strict=True):
            acc = E.add_ints(acc, E.mul_ints(E.ints(v), E.ints(c)))
        return E.from_reduced_ints(acc)
    acc = E.mul(values[0], coeffs[0])
    for c, v in zip(coeffs[1:], values[1:], strict=True):
        acc = E.add(acc, E.mul(v, c))
    return acc


def check_segments(circuit: LayeredCircuit) -> None:
    """Segments must be aligned, inside layer 0 and disjoint, or the claim split is wrong."""
    width = 1 << circuit.input_log2
    spans = []
    for seg in circuit.segments:
        size = 1 << seg.size_log2
        if seg.offset % size or seg.offset + size > width or seg.length > size:
            raise ValueError(f"input segment {seg.name!r} is misaligned or out of range")
        spans.append((seg.offset, seg.offset + size))
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        raise ValueError("input segments overlap")


def segment_point(circuit: LayeredCircuit, seg: InputSegment, point: list[Array]) -> list[Array]:
    """The point on the segment's own flat table: k gate coordinates (+ n instance ones)."""
    low = point[: seg.size_log2]
    return list(low) if seg.broadcast else list(low) + list(point[circuit.input_log2 :])


def selector_coords(circuit: LayeredCircuit, seg: InputSegment, point: list[Array]) -> list[Array]:
    """r_high: the gate coordinates above the segment's size, matched against o >> k."""
    return list(point[seg.size_log2 : circuit.input_log2])


def input_link(F, circuit: LayeredCircuit, seg: InputSegment, claim: Claim, index: int) -> tuple:
    """A zero-knowledge proof's link for segment `seg` under final claim `index` (0: v_x,
    1: v_y): (index, the selector eq(r_high, o >> k), the claim's value), so that the
    segment values of one final claim satisfy sum selector * value = claim value."""
    from zkcc.backends.gkr.wiring import bits_eq

    sel = bits_eq(F, selector_coords(circuit, seg, claim.point), seg.offset >> seg.size_log2)
    return (index, sel, claim.value)


def absorb_shape(transcript: Transcript, circuit: LayeredCircuit, n_log2: int) -> None:
    """Bind the proof's dimensions before the first challenge."""
    sizes = [n_log2, circuit.input_log2, circuit.depth, len(circuit.segments)]
    for layer in circuit.layers:
        sizes += [
            layer.width_log2,
            len(layer.mul_wires),
            len(layer.add_wires),
            len(layer.const_out),
        ]
    transcript.absorb_ints("gkr/shape", sizes)
