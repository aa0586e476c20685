"""What a plan's proofs hide and what they reveal, computed from the plan.

A proof is zero-knowledge only if every part of it that depends on private values hides them;
one revealing part is enough to leak. The parts, each with a status:

* pcs: the tensor commitments and their opening. Ligero is hiding when the plan asks for zero
  knowledge (`zk`, the default; `zkcc compile --no-zk` turns it off); without it the opening's
  row combinations and queried columns are linear functions of the private tensors, and the
  merkle PCS sends the tensors themselves.
* gkr: in a zero-knowledge plan every sumcheck is masked (Libra's masking polynomial), layers
  are proved as masked extensions, the input layer holds a uniform mask segment, and the
  input segments' evaluations are linked claims (zkcc/backends/gkr/zk.py), and lookups are
  proved from committed inverses by hiding check circuits (zkcc/runtime/zk_lookups.py); with
  `--no-zk` the round messages, layer evaluations and LogUp's fractional sums are functions
  of the witness.
* groth16: fresh r, s per proof and a blinded commitment D to the committed wires.
* evaluations: no private tensor's multilinear extension is sent in clear by an assert_eq or
  a Groth16 link: an assert_eq of two committed tensors links its claims by a - b = 0 (with
  one public side the value is public anyway), and a Groth16 link makes public only
  T~(r) + mu with a committed uniform mu, linked to the PCS claims on T and on the mask.
  (GKR input-segment evaluations are part of the gkr status.)

Whatever the statuses, every proof reveals the program (the plan is public and bound to the
proof by its digest), the shape of every tensor and the values of the public tensors
(docs/zk.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkcc.ir.host import AssertEq, Launch, TensorKind

if TYPE_CHECKING:
    from zkcc.plan.plan import Plan

PARTS = ("pcs", "gkr", "groth16", "evaluations")
NOT_USED = "not used"
GKR_NOT_HIDING = (
    "not hiding: compiled with --no-zk, so sumcheck messages and layer evaluations are "
    "functions of the witness"
)
GKR_HIDING = (
    "hiding (masked sumchecks, masked layer values, an input mask segment, linked input claims)"
)
GKR_HIDING_LOOKUPS = (
    "hiding (masked sumchecks, masked layer values, an input mask segment, linked input "
    "claims; lookups from committed inverses, checked by hiding circuits)"
)
GROTH16_HIDING = "hiding (fresh r, s and a blinded commitment D)"
GROTH16_PLAIN_HIDING = "hiding (fresh r, s; no launch commits to wires, so there is no D)"


@dataclass(frozen=True)
class Part:
    """One part of the proof: whether it hides the private values, and why in words."""

    hides: bool
    status: str


@dataclass(frozen=True)
class Privacy:
    """A plan's privacy report; `to_json()` is what `zkcc compile --json`, `zkcc inspect` and
    `zkcc verify --json` show under "privacy"."""

    requested: bool  # the plan's zk flag
    pcs: Part
    gkr: Part
    groth16: Part
    evaluations: Part
    revealed: tuple[str, ...]  # what every proof of the plan reveals by design

    @property
    def zero_knowledge(self) -> bool:
        """Only when every part hides: one revealing part leaks the private values."""
        return all(getattr(self, name).hides for name in PARTS)

    def to_json(self) -> dict:
        return {
            "zero_knowledge": self.zero_knowledge,
            "requested": self.requested,
            **{name: getattr(self, name).status for name in PARTS},
            "revealed": list(self.revealed),
        }


def _pcs_part(plan: Plan, committed: list[str]) -> Part:
    if not committed:
        return Part(True, f"{NOT_USED}: the proof commits to no private tensor")
    if plan.pcs == "merkle":
        return Part(False, "revealing: the merkle PCS sends the committed tensors in clear")
    if not plan.zk:
        return Part(
            False,
            "revealing: compiled with --no-zk, so the Ligero opening's row combinations and "
            "queried columns are linear functions of the private tensors",
        )
    return Part(True, "hiding")


def _evaluations_part(plan: Plan, g16: list[int]) -> Part:
    """The linked claims of assert_eq steps and Groth16 links (none sends a value in clear)."""
    from zkcc.runtime.groth16_launch import launch_boundary
    from zkcc.runtime.steps import AssertEqStep

    program = plan.program
    parts = [
        f"launch {i} {program.host.steps[i].kernel} (groth16 link)"
        for i in g16
        if launch_boundary(program, i).committed
    ]
    parts += [
        f"step {i} assert_eq"
        for i, step in enumerate(program.host.steps)
        if isinstance(step, AssertEq) and AssertEqStep(program, i).linked
    ]
    if not parts:
        return Part(True, NOT_USED)
    return Part(
        True,
        "hiding: linked claims reveal only their relation, a Groth16 link only T~(r) plus a "
        f"committed uniform mask ({', '.join(parts)})",
    )


def _gkr_part(plan: Plan, launches: bool, g16: list[int]) -> Part:
    if not launches:
        return Part(True, NOT_USED)
    if not plan.zk:
        return Part(False, GKR_NOT_HIDING)
    from zkcc.runtime.claims import zk_launches
    from zkcc.runtime.zk_lookups import hidden_lookups

    status = GKR_HIDING_LOOKUPS if hidden_lookups(plan, frozenset(g16)) else GKR_HIDING
    steps = plan.host.steps
    hidden = zk_launches(plan)
    plain = [
        f"launch {i} {s.kernel}"
        for i, s in enumerate(steps)
        if isinstance(s, Launch) and i not in g16 and i not in hidden
    ]
    if not plain:
        return Part(True, status)
    # zkcc.ir.host.secret_tensors: their witnesses are functions of public data
    unmasked = f"{', '.join(plain)} read no private data and reveal only what public data determine"
    if len(plain) + len(g16) == sum(isinstance(s, Launch) for s in steps):
        return Part(True, f"nothing to hide: {unmasked}, so they are proved without masks")
    return Part(True, f"{status}; without masks: {unmasked}")


def _dims(shape: tuple[int, ...]) -> str:
    return "".join(f"[{d}]" for d in shape)


def privacy_report(plan: Plan) -> Privacy:
    """What proofs of `plan` hide, part by part, and what they reveal whatever the parts do."""
    from zkcc.runtime.claims import plan_tensors
    from zkcc.runtime.groth16_launch import groth16_steps

    g16 = groth16_steps(plan)
    infos = plan_tensors(plan, frozenset(g16))
    committed = [x.name for x in infos if not x.public]
    gkr_launches = sum(isinstance(s, Launch) for s in plan.host.steps) > len(g16)
    tensors = plan.host.tensors
    public = [t.name for t in tensors if t.kind in (TensorKind.PUBLIC_IN, TensorKind.PUBLIC_OUT)]
    revealed = (
        "the program: this plan (the kernels' IR, from which the circuits are built, and the "
        "host graph), bound to the proof by its digest",
        "tensor shapes: " + ", ".join(f"{t.name}{_dims(t.shape)}" for t in tensors),
        "public tensor values: " + (", ".join(public) or "none"),
    )
    return Privacy(
        requested=plan.zk,
        pcs=_pcs_part(plan, committed),
        gkr=_gkr_part(plan, gkr_launches, g16),
        groth16=Part(True, _groth16_text(plan, g16)),
        evaluations=_evaluations_part(plan, g16),
        revealed=revealed,
    )


def _groth16_text(plan, g16: list[int]) -> str:
    """What the Groth16 launches hide with: D only where a launch commits to wires (a
    private param another step touches, docs/groth16.md)."""
    from zkcc.runtime.groth16_launch import launch_boundary

    if not g16:
        return NOT_USED
    committed = any(launch_boundary(plan.program, i).committed for i in g16)
    return GROTH16_HIDING if committed else GROTH16_PLAIN_HIDING
