"""GKR proof data and the claims it hands to the caller.

Tree format (zkcc encoding):
    {"layers": [ {"phase1": [round bytes]*, "vx": bytes, "phase2": [round bytes]*, "vy": bytes}
                 for circuit.layers[0] .. circuit.layers[depth-1] ],
     "inputs": bytes}   # 2 x len(segments) extension elements, claim-major
Each round's bytes hold h(0), h(2) (h(1) = claim - h(0)); every count and length is fixed by
the circuit and n_log2 and is checked on parsing, never taken from the proof.

Zero-knowledge form (zkcc/backends/gkr/zk.py; the rounds' degrees come from its MaskLayout):
    {"layers": [ {"phase1", "vx", "phase2", "vy", "sigma": bytes} ],  # phase 1's mask part
     "reduce": [round bytes]*, "mask": bytes,     # masked rounds over the mask table, its value
     "reduce2": [round bytes]*, "mask2": bytes}   # plain rounds over the reduction's masks
    # no "inputs": they are linked claims
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.backends.gkr.sumcheck import SumcheckProof
from zkcc.backends.gkr.zk import MaskLayout, MaskReduction
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
    value: Array | None  # None on the verifier's side of a linked claim
    link: tuple | None = None  # zero knowledge: (final claim index, selector, claim value)


@dataclass(frozen=True, eq=False)
class LayerProof:
    """Messages for circuit.layers[i]: reduces the claims on layer i+1 to two on layer i."""

    phase1: SumcheckProof  # over (x, s): w_i + n rounds
    v_x: Array  # V_i~(rx, rsx)
    phase2: SumcheckProof  # over (y, s): w_i + n rounds
    v_y: Array  # V_i~(ry, rsy)
    sigma: Array | None = None  # zero knowledge: phase 1's mask part (zkcc/backends/gkr/zk.py)


@dataclass(frozen=True, eq=False)
class GKRProof:
    E: ExtField = field(repr=False)
    layers: tuple[LayerProof, ...]  # index i <-> circuit.layers[i]
    input_evals: Array | None  # (d, 2, n_segments): per final claim, one per segment (not zk)
    masks: MaskReduction | None = None  # zero knowledge: the mask parts' reduction

    def to_tree(self) -> Tree:
        E = self.E
        layers = []
        for lp in self.layers:
            t = {
                "phase1": lp.phase1.to_tree(),
                "vx": E.encode(lp.v_x),
                "phase2": lp.phase2.to_tree(),
                "vy": E.encode(lp.v_y),
            }
            if lp.sigma is not None:
                t["sigma"] = E.encode(lp.sigma)
            layers.append(t)
        m = self.masks
        if m is None:
            return {"layers": layers, "inputs": E.encode(self.input_evals)}
        return {
            "layers": layers,
            "reduce": m.rounds.to_tree(),
            "mask": E.encode(m.value),
            "reduce2": m.rounds2.to_tree(),
            "mask2": E.encode(m.value2),
        }

    @classmethod
    def from_tree(
        cls,
        schema: Schema,
        F: PrimeField,
        circuit: LayeredCircuit,
        n_log2: int,
        zk: MaskLayout | None = None,
    ) -> GKRProof:
        """Parse a proof for `circuit` over 2^n_log2 instances (zero-knowledge with the mask
        layout `zk`); FormatError on any mismatch."""
        E = F.ext

        def scalar(s: Schema) -> Array:
            return E.decode(s.bytes(length=E.byte_len), 1)[:, 0]

        keys = {"layers", "reduce", "mask", "reduce2", "mask2"}
        schema.dict({"layers", "inputs"} if zk is None else keys)
        items = schema.field("layers").list(circuit.depth, circuit.depth)
        layers = []
        for i, s in enumerate(items):
            rounds = circuit.width_log2(i) + n_log2
            if zk is None:
                s.dict({"phase1", "vx", "phase2", "vy"})
                degrees = {1: [2] * rounds, 2: [2] * rounds}
            else:
                s.dict({"phase1", "vx", "phase2", "vy", "sigma"})
                degrees = {p: list(zk.phases[(i, p)].degrees) for p in (1, 2)}
            phases = {
                p: SumcheckProof.from_tree(s.field(f"phase{p}"), F, len(degrees[p]), degrees[p])
                for p in (1, 2)
            }
            sigma = None if zk is None else scalar(s.field("sigma"))
            layers.append(
                LayerProof(
                    phases[1], scalar(s.field("vx")), phases[2], scalar(s.field("vy")), sigma
                )
            )
        if zk is not None:
            spec = zk.reduction
            masks = MaskReduction(
                SumcheckProof.from_tree(schema.field("reduce"), F, len(spec.degrees), spec.degrees),
                scalar(schema.field("mask")),
                SumcheckProof.from_tree(schema.field("reduce2"), F, zk.reduction_num_vars),
                scalar(schema.field("mask2")),
            )
            return cls(E, tuple(layers), None, masks)
        nseg = len(circuit.segments)
        raw = schema.field("inputs").bytes(length=2 * nseg * E.byte_len)
        evals = E.decode(raw, 2 * nseg).reshape(E.degree, 2, nseg)
        return cls(E, tuple(layers), evals)
