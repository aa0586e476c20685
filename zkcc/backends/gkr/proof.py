"""GKR proof data and the claims it hands to the caller.

Tree format (zkcc encoding):
    {"layers": [ {"phase1": [round bytes]*, "vx": bytes, "phase2": [round bytes]*, "vy": bytes}
                 for circuit.layers[0] .. circuit.layers[depth-1] ],
     "inputs": bytes}   # 2 x len(segments) extension elements, claim-major
Each round's bytes hold h(0), h(1), h(2); every count and length is fixed by the circuit and
n_log2 and is checked on parsing, never taken from the proof.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.backends.gkr.sumcheck import SumcheckProof
from zkcc.encoding import Schema, Tree
from zkcc.field import PrimeField
from zkcc.field.base import Array
from zkcc.field.ext import ExtField


@dataclass(frozen=True, eq=False)
class SegmentClaim:
    """The segment's flat table (s * 2^k + x for split, x for broadcast) has MLE `value` at
    `point` (LSB first: k gate coordinates, then n instance coordinates for split segments)."""

    segment: str
    point: list[Array]
    value: Array


@dataclass(frozen=True, eq=False)
class LayerProof:
    """Messages for circuit.layers[i]: reduces the claims on layer i+1 to two on layer i."""

    phase1: SumcheckProof  # over (x, s): w_i + n rounds
    v_x: Array  # V_i~(rx, rsx)
    phase2: SumcheckProof  # over (y, s): w_i + n rounds
    v_y: Array  # V_i~(ry, rsy)


@dataclass(frozen=True, eq=False)
class GKRProof:
    E: ExtField = field(repr=False)
    layers: tuple[LayerProof, ...]  # index i <-> circuit.layers[i]
    input_evals: Array  # (d, 2, n_segments): per final claim, one evaluation per segment

    def to_tree(self) -> Tree:
        E = self.E
        layers = [
            {
                "phase1": lp.phase1.to_tree(),
                "vx": E.encode(lp.v_x),
                "phase2": lp.phase2.to_tree(),
                "vy": E.encode(lp.v_y),
            }
            for lp in self.layers
        ]
        return {"layers": layers, "inputs": E.encode(self.input_evals)}

    @classmethod
    def from_tree(
        cls, schema: Schema, F: PrimeField, circuit: LayeredCircuit, n_log2: int
    ) -> GKRProof:
        """Parse a proof for `circuit` over 2^n_log2 instances; FormatError on any mismatch."""
        E = F.ext
        schema.dict({"layers", "inputs"})
        items = schema.field("layers").list(circuit.depth, circuit.depth)
        layers = []
        for i, s in enumerate(items):
            s.dict({"phase1", "vx", "phase2", "vy"})
            rounds = circuit.width_log2(i) + n_log2
            layers.append(
                LayerProof(
                    SumcheckProof.from_tree(s.field("phase1"), F, rounds),
                    E.decode(s.field("vx").bytes(length=E.byte_len), 1)[:, 0],
                    SumcheckProof.from_tree(s.field("phase2"), F, rounds),
                    E.decode(s.field("vy").bytes(length=E.byte_len), 1)[:, 0],
                )
            )
        nseg = len(circuit.segments)
        raw = schema.field("inputs").bytes(length=2 * nseg * E.byte_len)
        evals = E.decode(raw, 2 * nseg).reshape(E.degree, 2, nseg)
        return cls(E, tuple(layers), evals)
