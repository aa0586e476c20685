"""Which launch fusions to take (docs/costmodel.md, "Fusion"); the IR side is zkcc.ir.fuse.

After the per-launch assignment (zkcc.analysis.assign), one left-to-right pass over the host
steps looks at each fusion site (two adjacent launches over the same instance count, linked
by an intermediate that nothing else reads). A site is taken when both launches have the
same backend and the whole plan's estimate with the two fused is lower, under the
`--optimize` objective, than without: fusing removes a commitment, its opening and its
claims, but the fused circuit can be wider or deeper than the two apart. After a fusion the
same position is tried again, so a chain a, b, c becomes `a+b+c` when each step pays.
Under `--max-proof-bytes` / `--max-verify-ms` a fusion must also keep the plan within the
limits (or no further over them than it was).

Estimates use the built-in default rates (never the machine's profile) and whole-plan
totals (`estimate_plan`: prove seconds with the PCS work, verify seconds, the proof's
size from its skeleton), so one source and one set of options give one plan everywhere.
The backends are kept as the assignment chose them; the fused launch is not re-assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zkcc.analysis.assign import Assignment, AssignOptions, Cost
from zkcc.field import get_field
from zkcc.ir.fuse import HostIndex, fuse_site, fusion_site, renumber_step
from zkcc.ir.host import Launch, Program

MAX_REASON = 1000  # zkcc.plan.plan.MAX_REASON: a plan's reasons are at most this long
# Sites estimated per compile: each costs two whole-plan estimates (linear in the host
# graph), so a graph of 10^5 launches with a site at each is not quadratic; further sites
# are listed as not considered.
MAX_ESTIMATES = 256


@dataclass(frozen=True)
class Totals(Cost):
    """A whole plan's estimate: what the objectives and limits read (a launch's Cost, summed
    over the plan)."""

    def to_json(self) -> dict:
        return {
            "prove_seconds": round(self.prove_seconds, 4),
            "verify_seconds": round(self.verify_seconds, 4),
            "proof_bytes": self.proof_bytes,
        }


@dataclass
class Fusion:
    """One fusion site considered: the launches (kernel names, their host steps in the
    source program), the tensors that leave the proof, the plan's totals before and after
    (default rates), and whether it was taken and why (not). A chain taken step by step is
    one record: `before` is the plan before its first fusion, `after` after its last."""

    parts: list[str]
    source_steps: list[int]
    count: int
    backend: str
    removed: list[str]
    before: Totals
    after: Totals | None  # None when not estimated (the backends differ)
    taken: bool
    why: str
    step: int  # the fused launch's host step in the plan (taken), else the first part's
    kernel: str = ""  # the fused kernel's name (taken)
    part_reasons: list[str] = field(default_factory=list)

    @property
    def saved(self) -> Totals | None:
        if self.after is None:
            return None
        b, a = self.before, self.after
        return Totals(
            b.prove_seconds - a.prove_seconds,
            b.verify_seconds - a.verify_seconds,
            b.proof_bytes - a.proof_bytes,
        )

    def to_json(self) -> dict:
        saved = self.saved
        return {
            "kernel": self.kernel,
            "parts": self.parts,
            "source_steps": self.source_steps,
            "step": self.step,
            "instances": self.count,
            "backend": self.backend,
            "removed": self.removed,
            "taken": self.taken,
            "why": self.why,
            "unfused": self.before.to_json(),
            "fused": None if self.after is None else self.after.to_json(),
            "saved": None if saved is None else saved.to_json(),
        }

    def reason(self) -> str:
        """The fused launch's reason in the plan, cut to MAX_REASON characters."""
        parts = "; ".join(f"{k}: {r}" for k, r in zip(self.parts, self.part_reasons, strict=True))
        text = f"{self.why}; parts on {self.backend}: {parts}"
        return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def plan_totals(plan, sized: Callable[[Any], Any] | None = None) -> Totals:
    """The plan's estimate under the built-in default rates (the choice must not depend on
    the machine), of the plan as `sized` makes it (the driver's lookup sizing: a kernel's
    range checks split into the limbs its launches will use; without it a 16-bit check's
    table was estimated at 2^16 rows, and a fusion's saving 100x too high). Late imports:
    the cost model reads plans, whose module reads assign."""
    from zkcc.analysis.costmodel import estimate_plan
    from zkcc.analysis.profile import default_profile

    est = estimate_plan(plan if sized is None else sized(plan), default_profile())
    return Totals(est.prove_seconds, est.verify_seconds, est.proof_bytes)


def _fmt(mode: str, t: Totals) -> str:
    if mode == "size":
        return f"{t.proof_bytes:,} B"
    if mode == "prover":
        return f"{t.prove_seconds:.3g} s"
    if mode == "verifier":
        return f"{t.verify_seconds:.3g} s"
    return f"{t.objective(mode):.3g} s"


def _within(options: AssignOptions, t: Totals, now: Totals) -> str | None:
    """The limit a fusion would break (a plan already over a limit may not go further
    over it), or None."""
    if options.max_proof_bytes and t.proof_bytes > max(options.max_proof_bytes, now.proof_bytes):
        return f"--max-proof-bytes {options.max_proof_bytes}"
    ms = options.max_verify_ms
    if ms and t.verify_seconds * 1000 > max(ms, now.verify_seconds * 1000):
        return f"--max-verify-ms {ms}"
    return None


def _replan(plan, program: Program, first: int, reason: str):
    """`plan` with `program` (steps `first`, `first + 1` fused) and its assignments moved:
    the fused launch keeps the parts' backend; kernels already compiled are reused."""
    from zkcc.plan.plan import CompiledKernel, Plan

    p = get_field(plan.field).p
    old = plan.kernels
    kernels = {
        n: old[n] if n in old and old[n].ir is ir else CompiledKernel(ir, p)
        for n, ir in program.kernels.items()
    }
    assignments: dict[int, Assignment] = {}
    for i, a in plan.assignments.items():
        if i == first + 1:
            continue
        j = renumber_step(i, first)
        assignments[j] = Assignment(j, a.backend, reason if i == first else a.reason)
    return Plan(
        plan.field, plan.source_name, plan.pcs, kernels, program.host, plan.zk, plan.options,
        assignments,
    )  # fmt: skip


def fuse_plan(plan, sized: Callable[[Any], Any] | None = None) -> tuple:
    """(the plan with every fusion the model prefers, the fusion sites considered); the
    plan's options give the objective and limits, `options.fuse` False turns fusion off.
    Each candidate is estimated as `sized` makes it (plan_totals)."""
    options = plan.options
    if not options.fuse:
        return plan, []
    mode = options.optimize
    origin = [[i] for i in range(len(plan.host.steps))]  # source steps behind each step
    reasons = {i: a.reason for i, a in plan.assignments.items()}
    chains: dict[int, Fusion] = {}  # taken, by the fused launch's step
    rejected: list[Fusion] = []
    now: Totals | None = None
    index: HostIndex | None = None  # of the current plan's host graph
    estimated = 0
    i = 0
    while i + 1 < len(plan.host.steps):
        index = index or HostIndex.of(plan.program)
        site = fusion_site(plan.program, i, index)
        if site is None:
            i += 1
            continue
        now = now if now is not None else plan_totals(plan, sized)
        a, b = plan.host.steps[i], plan.host.steps[i + 1]
        assert isinstance(a, Launch) and isinstance(b, Launch)
        backend, other = plan.backend(i), plan.backend(i + 1)
        src = origin[i] + origin[i + 1]
        considered = Fusion(
            [a.kernel, b.kernel], src, a.count, backend, list(site.dropped), now, None, False,
            "", i,
        )  # fmt: skip
        if backend != other:
            considered.why = f"not fused: {a.kernel} is proved by {backend}, {b.kernel} by {other}"
            rejected.append(considered)
            i += 1
            continue
        if estimated == MAX_ESTIMATES:
            considered.why = (
                f"not considered: only the first {MAX_ESTIMATES} sites are estimated "
                "(each estimate is of the whole plan)"
            )
            rejected.append(considered)
            break
        estimated += 1
        fused_program = fuse_site(plan.program, site, get_field(plan.field).p)
        after = considered.after = plan_totals(_replan(plan, fused_program, i, ""), sized)
        broken = _within(options, after, now)
        if broken or after.objective(mode) >= now.objective(mode):
            considered.why = (
                f"not fused: it would break {broken}"
                if broken
                else f"not fused: {mode} {_fmt(mode, after)} fused >= {_fmt(mode, now)} unfused"
            )
            rejected.append(considered)
            i += 1
            continue
        chain = chains.get(i)  # step i is already a fusion: extend it
        parts = (chain.parts if chain else [a.kernel]) + [b.kernel]
        removed = (chain.removed if chain else []) + list(site.dropped)
        start = chain.before if chain else now
        why = (
            f"fused {', '.join(parts)} ({', '.join(removed)} not committed): {mode} "
            f"{_fmt(mode, after)} < {_fmt(mode, start)} unfused"
        )
        kernel = fused_program.host.steps[i].kernel  # type: ignore[union-attr]
        chains[i] = fusion = Fusion(
            parts, src, a.count, backend, removed, start, after, True, why, i, kernel,
            [reasons[s] for s in src],
        )  # fmt: skip
        plan = _replan(plan, fused_program, i, fusion.reason())
        index = None
        origin[i : i + 2] = [src]
        now = after
    return plan, [*chains.values(), *rejected]
