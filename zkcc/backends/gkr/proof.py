"""GKR proof data and the claims it hands to the caller.

Tree format (zkcc encoding):
    {"layers": [ {"phase1": [round bytes]*, "vx": bytes, "phase2": [round bytes]*, "vy": bytes}
                 for circuit.layers[0] .. circuit.layers[depth-1] ],
     "inputs": bytes}   # 2 x len(segments) extension elements, claim-major
Each round's bytes hold h(0), h(1), h(2); every count and length is fixed by the circuit and
n_log2 and is checked on parsing, never taken from the proof.

Zero-knowledge form (zkcc/backends/gkr/zk.py; the rounds' degrees come from its MaskLayout):
    {"layers": [ {"phase1", "vx", "phase2", "vy",
                  "zk1": {"G": bytes, "gamma": bytes[, "kappa": bytes]}, "zk2": {"G", "gamma"}} ],
     "reduce": [round bytes]*, "mask": bytes}   # no "inputs": they are linked claims
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.backends.gkr.sumcheck import SumcheckProof
from zkcc.backends.gkr.zk import MaskLayout, ZkPhase
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
    zk1: ZkPhase | None = None  # zero knowledge: each phase's mask data
    zk2: ZkPhase | None = None


@dataclass(frozen=True, eq=False)
class GKRProof:
    E: ExtField = field(repr=False)
    layers: tuple[LayerProof, ...]  # index i <-> circuit.layers[i]
    input_evals: Array | None  # (d, 2, n_segments): per final claim, one per segment (not zk)
    reduction: SumcheckProof | None = None  # zero knowledge: the mask claims' reduction
    mask_value: Array | None = None  # and its end, the mask table's MLE at its point

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
            for key, z in (("zk1", lp.zk1), ("zk2", lp.zk2)):
                if z is not None:
                    t[key] = {"G": E.encode(z.total), "gamma": E.encode(z.gamma)}
                    if z.kappa is not None:
                        t[key]["kappa"] = E.encode(z.kappa)
            layers.append(t)
        if self.reduction is None:
            return {"layers": layers, "inputs": E.encode(self.input_evals)}
        return {
            "layers": layers,
            "reduce": self.reduction.to_tree(),
            "mask": E.encode(self.mask_value),
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

        schema.dict({"layers", "inputs"} if zk is None else {"layers", "reduce", "mask"})
        items = schema.field("layers").list(circuit.depth, circuit.depth)
        layers = []
        for i, s in enumerate(items):
            rounds = circuit.width_log2(i) + n_log2
            if zk is None:
                s.dict({"phase1", "vx", "phase2", "vy"})
                degrees = {1: [2] * rounds, 2: [2] * rounds}
            else:
                s.dict({"phase1", "vx", "phase2", "vy", "zk1", "zk2"})
                degrees = {p: list(zk.phases[(i, p)].degrees) for p in (1, 2)}
            phases, extras = {}, {}
            for p in (1, 2):
                phases[p] = SumcheckProof.from_tree(
                    s.field(f"phase{p}"), F, len(degrees[p]), degrees[p]
                )
                if zk is not None:
                    z = s.field(f"zk{p}")
                    w = zk.phases[(i, p)].has_w
                    z.dict({"G", "gamma", "kappa"} if w else {"G", "gamma"})
                    kappa = scalar(z.field("kappa")) if w else None
                    extras[p] = ZkPhase(scalar(z.field("G")), scalar(z.field("gamma")), kappa)
            layers.append(
                LayerProof(
                    phases[1],
                    scalar(s.field("vx")),
                    phases[2],
                    scalar(s.field("vy")),
                    extras.get(1),
                    extras.get(2),
                )
            )
        if zk is not None:
            reduction = SumcheckProof.from_tree(schema.field("reduce"), F, zk.num_vars)
            return cls(E, tuple(layers), None, reduction, scalar(schema.field("mask")))
        nseg = len(circuit.segments)
        raw = schema.field("inputs").bytes(length=2 * nseg * E.byte_len)
        evals = E.decode(raw, 2 * nseg).reshape(E.degree, 2, nseg)
        return cls(E, tuple(layers), evals)
