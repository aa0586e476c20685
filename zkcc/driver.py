"""The compiler pipeline in one place: source -> IR -> circuits -> statistics -> assignment ->
fusion -> plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zkcc.analysis.assign import (
    AssignOptions,
    Cost,
    LimitsUnmet,
    choose,
    launch_requests,
    plan_costs,
    shown,
    within_limits,
)
from zkcc.analysis.fusion import fuse_plan, plan_totals
from zkcc.budget import check_program
from zkcc.errors import UserError
from zkcc.field import get_field
from zkcc.frontend import Warn, compile_file
from zkcc.ir.host import Launch, Program
from zkcc.ir.lookups import LOOKUP_WEIGHT, ZK_LOOKUP_WEIGHT, best_limb_bits
from zkcc.ir.passes import expand_lookups, relimb_lookups
from zkcc.plan.plan import HIDING_PCS, CompiledKernel, Plan
from zkcc.runtime.claims import zk_launches

DEFAULT_PCS = "ligero"


def plan_program(
    program: Program,
    pcs: str = DEFAULT_PCS,
    backend: str | None = None,
    zk: bool = True,
    options: AssignOptions | None = None,
    root: Path | None = None,
    choose_lookups: bool = True,
) -> Plan:
    """`zk` asks for zero knowledge; a PCS without a hiding variant (merkle) cannot give it,
    so its plans record zk=False rather than promise what the proof will not keep.
    `choose_lookups` False keeps every kernel's lookups as the program has them (tests and
    benchmarks that compare LogUp with bits), rather than the cost model's choice.
    `options` decide each launch's backend (zkcc.analysis.assign); `backend`, the global
    `--backend`, is a shorthand that overrides theirs. `root`, the main source file's
    folder, only makes error messages name files as the user can find them. After the
    assignment, adjacent launches linked by a private intermediate are fused where the cost
    model says it pays (zkcc.analysis.fusion; `options.fuse` False turns it off)."""
    options = options or AssignOptions()
    if backend is not None:
        options = replace(options, backend=backend)
    check_program(program)
    requests = launch_requests(program, options, root)  # refuses impossible requests first
    p = get_field(program.field).p
    kernels = {name: CompiledKernel(ir, p) for name, ir in sorted(program.kernels.items())}
    zk = zk and pcs in HIDING_PCS
    launches = [i for i, s in enumerate(program.host.steps) if isinstance(s, Launch)]
    free = [i for i in launches if i not in requests]
    costs = None
    if options.limited or (program.field == "bn254" and free):
        draft = Plan(program.field, program.source_name, pcs, kernels, program.host, zk, options)
        costs = plan_costs(with_limbs_for_size(draft))  # GKR's lookups as they will be sized
    source = shown(program.source_name, root)
    unmet = None
    try:
        assignments = choose(costs, requests, launches, options, source)
    except LimitsUnmet as e:  # the per-launch model does not see fusion: try it first
        assignments, unmet = e.assignments, e
    plan = Plan(
        program.field, program.source_name, pcs, kernels, program.host, zk, options, assignments
    )

    def sized(candidate: Plan) -> Plan:
        """The candidate's lookups as they will be proved: LogUp's limbs or bits."""
        planned = with_limbs_for_size(lookups_as_bits_where_needed(candidate))
        return lookups_or_bits(planned) if choose_lookups else planned

    fused, fusions = fuse_plan(plan, sized)
    fused.fusions = fusions
    final = sized(fused)
    if unmet is not None:
        _check_limits(final, unmet)
    return final


def _check_limits(plan: Plan, unmet: UserError) -> None:
    """`unmet` (with the fused plan's figures) unless the plan's estimate (default rates, as
    every choice) meets its options' --max-proof-bytes and --max-verify-ms."""
    est = plan_totals(plan)
    if within_limits(plan.options, est.proof_bytes, est.verify_seconds):
        return
    raise UserError(
        f"{unmet}; with its fusions the plan's proof is ~{est.proof_bytes:,} bytes, verify "
        f"~{est.verify_seconds * 1000:.0f} ms"
    )


def with_limbs_for_size(plan: Plan) -> Plan:
    """The plan with each lookup kernel's range checks split into the limb width that makes
    its largest launch's LogUp argument smallest (zkcc.ir.lookups.best_limb_bits): the front
    end splits at 16 bits, which a launch of a few hundred lookups does not amortise."""
    counts = plan.host.largest_launches()
    p = get_field(plan.field).p
    steps = plan.host.steps
    hidden = {steps[i].kernel for i in zk_launches(plan)}  # their lookups: committed inverses
    kernels = dict(plan.kernels)
    for name, k in plan.kernels.items():
        widest = max((t.bits for t in k.ir.tables if not t.is_map), default=0)
        weight = ZK_LOOKUP_WEIGHT if name in hidden else LOOKUP_WEIGHT
        width = best_limb_bits(k.ir, counts[name], weight) if widest else widest
        if width < widest:
            kernels[name] = CompiledKernel(relimb_lookups(k.ir, p, width), p)
    return plan if kernels == plan.kernels else replace(plan, kernels=kernels)


def lookups_or_bits(plan: Plan) -> Plan:
    """Per kernel with lookups (a plan that proves them by LogUp): keep them, or check them
    with bits (expand_lookups) where the cost model says the whole plan is then cheaper, under
    the plan's --optimize objective and the default rates (a plan must not depend on the
    machine). A launch too small to amortise its tables may be (examples/cnn_digits)."""
    names = [n for n, k in plan.kernels.items() if k.ir.tables]
    if not names:
        return plan
    from zkcc.analysis.costmodel import estimate_plan
    from zkcc.analysis.profile import default_profile

    profile, mode = default_profile(), plan.options.optimize

    def cost(candidate: Plan) -> float:
        e = estimate_plan(candidate, profile)
        return Cost(e.prove_seconds, e.verify_seconds, e.proof_bytes).objective(mode)

    p = get_field(plan.field).p
    best = cost(plan)
    for name in names:
        bits = CompiledKernel(expand_lookups(plan.kernels[name].ir, p), p)
        candidate = replace(plan, kernels={**plan.kernels, name: bits})
        if (c := cost(candidate)) < best:
            plan, best = candidate, c
    return plan


def lookups_as_bits_where_needed(plan: Plan) -> Plan:
    """The plan with its lookups as bits (zkcc.ir.passes.expand_lookups) wherever LogUp cannot
    prove them: in every kernel with a Groth16 launch (R1CS has no lookup argument; its GKR
    launches, if any, then check them with bits too, as they share the kernel). GKR proves
    them by LogUp: zkcc/runtime/lookups.py without zero knowledge, zkcc/runtime/zk_lookups.py
    with it."""
    expand = [n for n, k in plan.kernels.items() if k.ir.tables and "groth16" in k.backends]
    if not expand:
        return plan
    p = get_field(plan.field).p
    kernels = dict(plan.kernels)
    for name in expand:
        kernels[name] = CompiledKernel(expand_lookups(kernels[name].ir, p), p)
    return replace(plan, kernels=kernels)


def compile_path(
    path: str | Path,
    pcs: str = DEFAULT_PCS,
    backend: str | None = None,
    zk: bool = True,
    options: AssignOptions | None = None,
    warn: Warn | None = None,
) -> Plan:
    """Compile the source at `path` and plan it; `warn`: see zkcc.frontend.compile_file."""
    program = compile_file(path, lookups=True, warn=warn)
    return plan_program(program, pcs, backend, zk, options, Path(path).parent)
