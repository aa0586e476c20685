"""The per-launch backend assignment recorded in the plan (docs/costmodel.md, "Assignment").

Every launch gets a backend and a reason: a hard request (`--backend KERNEL=B`, `--backend B`,
the kernel's `__gkr__` / `__groth16__`) wins; in an m31 program every other launch is GKR
(Groth16 needs BN254); in a bn254 program the cost model (zkcc.analysis.costmodel) estimates
both backends for each launch and the one that minimises the `--optimize` objective is taken,
then `--max-proof-bytes` and `--max-verify-ms` are enforced on the plan's totals. The choice
uses the built-in default rates, never the machine's calibrated profile, so one source and
one set of options give one plan (byte-identical) on every machine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from zkcc.errors import UserError
from zkcc.ir.host import Launch, Program
from zkcc.ir.kernel import KernelIR

BACKENDS = ("gkr", "groth16")
GROTH16_FIELDS = ("bn254",)
OPTIMIZE = ("balanced", "prover", "verifier", "size")
DEFAULT_OPTIMIZE = "balanced"
# balanced = prove s + VERIFY_WEIGHT x verify s + BYTE_SECONDS x proof bytes (docs/costmodel.md)
VERIFY_WEIGHT = 5.0  # a proof is made once and checked by several parties
BYTE_SECONDS = 1e-6  # one second per MB: moving and storing a proof
EXHAUSTIVE_LAUNCHES = 12  # under limits, every assignment of up to this many free launches
MAX_EXACT = 64  # under limits, assignments whose proof is sized exactly before giving up
NO_GROTH16 = "m31: Groth16 needs BN254"


@dataclass(frozen=True)
class AssignOptions:
    """The compile options that decide the assignment; the plan records them so that
    `zkcc verify --source` recompiles the source exactly as it was compiled."""

    backend: str | None = None  # `--backend B`: every launch
    kernel_backends: tuple[tuple[str, str], ...] = ()  # `--backend K=B`, sorted by kernel
    optimize: str = DEFAULT_OPTIMIZE
    max_proof_bytes: int | None = None
    max_verify_ms: int | None = None
    fuse: bool = True  # fuse launches where the model says it pays (zkcc.analysis.fusion)

    def __post_init__(self) -> None:
        if self.backend is not None and self.backend not in BACKENDS:
            raise UserError(f"error: --backend {self.backend}: unknown backend ({_choices()})")
        for k, b in self.kernel_backends:
            if b not in BACKENDS:
                raise UserError(f"error: --backend {k}={b}: unknown backend ({_choices()})")
        if len({k for k, _ in self.kernel_backends}) != len(self.kernel_backends):
            raise UserError("error: --backend names a kernel twice")
        if self.optimize not in OPTIMIZE:
            raise UserError(f"error: --optimize {self.optimize}: one of {', '.join(OPTIMIZE)}")
        limits = {"--max-proof-bytes": self.max_proof_bytes, "--max-verify-ms": self.max_verify_ms}
        for flag, v in limits.items():
            if v is not None and v < 1:
                raise UserError(f"error: {flag} {v}: must be a positive integer")
        object.__setattr__(self, "kernel_backends", tuple(sorted(self.kernel_backends)))

    @property
    def limited(self) -> bool:
        return self.max_proof_bytes is not None or self.max_verify_ms is not None

    def to_tree(self) -> dict:
        """The plan's "options" dict (0 stands for "no limit")."""
        return {
            "backend": self.backend or "",
            "kernel_backends": [[k, b] for k, b in self.kernel_backends],
            "optimize": self.optimize,
            "max_proof_bytes": self.max_proof_bytes or 0,
            "max_verify_ms": self.max_verify_ms or 0,
            "fuse": self.fuse,
        }


def _choices() -> str:
    return "available: " + ", ".join(BACKENDS)


@dataclass(frozen=True)
class Assignment:
    """How host step `step` (a launch) is proved, and why: recorded in the plan."""

    step: int
    backend: str
    reason: str


@dataclass(frozen=True)
class Request:
    backend: str
    why: str  # how it was asked for: "--backend k=groth16", "requested by __gkr__ at f:3"


def shown(file: str, root: Path | None) -> str:
    """A program file as the user can find it: locations are relative to the main source
    file (plans do not depend on the compile directory); `root` is that file's folder."""
    return str(root / file) if root is not None else file


def kernel_request(
    kernel: KernelIR, field: str, options: AssignOptions, root: Path | None = None
) -> Request | None:
    """A kernel's hard request, most specific first: `--backend KERNEL=B`, `--backend B`,
    the kernel's attribute. A request that cannot be honoured is refused with the kernel's
    location, never ignored: Groth16 runs over BN254 only."""
    per_kernel = dict(options.kernel_backends)
    if kernel.name in per_kernel:
        want, how = per_kernel[kernel.name], f"--backend {kernel.name}={per_kernel[kernel.name]}"
        req = Request(want, how)
    elif options.backend:
        want, how = options.backend, f"--backend {options.backend}"
        req = Request(want, how)
    elif kernel.backend:
        want, how = kernel.backend, f"__{kernel.backend}__"
        at = f" at {kernel.loc.file}:{kernel.loc.line}" if kernel.loc else ""
        req = Request(want, f"requested by __{kernel.backend}__{at}")
    else:
        return None
    loc = kernel.loc
    where = f"{shown(loc.file, root)}:{loc.line}:{loc.col}: " if loc else ""
    if want not in BACKENDS:
        raise UserError(
            f"{where}error: kernel '{kernel.name}' asks for backend '{want}', which this version "
            f"of zkcc does not provide ({_choices()})"
        )
    if want == "groth16" and field not in GROTH16_FIELDS:
        raise UserError(
            f"{where}error: kernel '{kernel.name}' asks for Groth16 ({how}), which proves over "
            f"the BN254 scalar field only, but the program's field is {field} "
            "(use `#pragma field bn254`, or the gkr backend)"
        )
    return req


def launch_requests(
    program: Program, options: AssignOptions, root: Path | None = None
) -> dict[int, Request]:
    """Host step -> hard request, for the launches that have one; every `--backend K=B`
    must name a launched kernel."""
    for k, b in options.kernel_backends:
        if k not in program.kernels:
            names = ", ".join(sorted(program.kernels)) or "none"
            raise UserError(
                f"{shown(program.source_name, root)}: error: --backend {k}={b}: the program "
                f"launches no kernel '{k}' (its kernels: {names})"
            )
    by_kernel = {
        name: kernel_request(ir, program.field, options, root)
        for name, ir in sorted(program.kernels.items())
    }
    return {
        i: req
        for i, s in enumerate(program.host.steps)
        if isinstance(s, Launch) and (req := by_kernel[s.kernel]) is not None
    }


def assign_backend(kernel: KernelIR, field: str, requested: str | None) -> str:
    """The backend of a kernel by request only (`requested` for every kernel, else the
    kernel's attribute, else GKR), with the errors of `kernel_request`."""
    req = kernel_request(kernel, field, AssignOptions(backend=requested))
    return req.backend if req else "gkr"


# ---- the choice ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Cost:
    """One backend's estimate for one launch: the parts the objectives and limits read."""

    prove_seconds: float
    verify_seconds: float
    proof_bytes: int

    def objective(self, mode: str) -> float:
        if mode == "prover":
            return self.prove_seconds
        if mode == "verifier":
            return self.verify_seconds
        if mode == "size":
            return float(self.proof_bytes)
        return balanced(self.prove_seconds, self.verify_seconds, self.proof_bytes)


def balanced(prove_s: float, verify_s: float, proof_bytes: int) -> float:
    return prove_s + VERIFY_WEIGHT * verify_s + BYTE_SECONDS * proof_bytes


@dataclass(frozen=True)
class PlanCosts:
    """The cost model's view of a plan for the choice: per launch each backend's Cost, and
    the plan's parts outside the launches (PCS commitments and opening, public claims,
    assert_eq steps, the bundle), taken from one assignment (first: every launch on GKR)
    and assumed not to move with it. Verify time barely moves (within 1% on the examples);
    the opening's bytes do (fewer claims, fewer hiding mask rows when launches go to
    Groth16), so `measure`, when given, sizes one assignment's proof exactly (its skeleton,
    no circuit built) for the final checks of the limits (docs/costmodel.md)."""

    launches: dict[int, dict[str, Cost]]
    base_verify_seconds: float
    base_proof_bytes: int
    measure: Callable[[dict[int, str]], int] | None = None

    def totals(self, choice: dict[int, str], exact: bool = False) -> tuple[int, float]:
        """(proof bytes, verify seconds) of the plan under `choice` (step -> backend)."""
        b = self.base_proof_bytes + sum(self.launches[i][x].proof_bytes for i, x in choice.items())
        if exact and self.measure is not None:
            b = self.measure(choice)
        v = self.base_verify_seconds
        v += sum(self.launches[i][x].verify_seconds for i, x in choice.items())
        return b, v

    def rebased(self, choice: dict[int, str]) -> PlanCosts:
        """The same, with the bytes outside the launches taken from `choice`'s proof."""
        if self.measure is None:
            return self
        launch_bytes = sum(self.launches[i][x].proof_bytes for i, x in choice.items())
        return replace(self, base_proof_bytes=self.measure(choice) - launch_bytes)


def _fmt_s(x: float) -> str:
    return f"{x:.3g} s"


def _why(mode: str, chosen: str, costs: dict[str, Cost]) -> str:
    """`verifier: verify 0.168 s (groth16) < 0.301 s (gkr)`: the objective of both."""
    if len(costs) == 1:
        return NO_GROTH16
    other = next(b for b in costs if b != chosen)
    a, b = costs[chosen], costs[other]
    if mode == "prover":
        what, x, y = "prove", _fmt_s(a.prove_seconds), _fmt_s(b.prove_seconds)
    elif mode == "verifier":
        what, x, y = "verify", _fmt_s(a.verify_seconds), _fmt_s(b.verify_seconds)
    elif mode == "size":
        what, x, y = "proof share", f"{a.proof_bytes:,} B", f"{b.proof_bytes:,} B"
    else:
        what = f"prove + {VERIFY_WEIGHT:g} x verify + 1 s/MB"
        x, y = _fmt_s(a.objective(mode)), _fmt_s(b.objective(mode))
    oa, ob = a.objective(mode), b.objective(mode)
    rel = "<" if oa < ob else ">" if oa > ob else "="
    return f"{mode}: {what} {x} ({chosen}) {rel} {y} ({other})"


def _key(mode: str, backend: str, c: Cost) -> tuple:
    """Objective first; ties go to the smaller balanced cost, then to GKR (no setup)."""
    rest = balanced(c.prove_seconds, c.verify_seconds, c.proof_bytes)
    return (c.objective(mode), rest, BACKENDS.index(backend))


def choose(
    costs: PlanCosts | None,
    requests: dict[int, Request],
    launches: list[int],
    options: AssignOptions,
    source: str,
) -> dict[int, Assignment]:
    """Requested launches keep their backend. Without `costs` (an m31 program and no limits:
    nothing to choose or check) every other launch is GKR. Otherwise every other launch
    takes the backend that minimises the objective (a sum over launches, so per launch);
    when the plan's totals then break a limit, the assignment of the free launches that
    meets the limits with the least objective is searched (all of them for up to
    EXHAUSTIVE_LAUNCHES free launches, else greedily); none meeting them is a compile error
    naming the best achievable values."""
    mode = options.optimize
    fixed = {i: r.backend for i, r in requests.items()}
    free = [i for i in launches if i not in fixed]
    out = {i: Assignment(i, r.backend, r.why) for i, r in requests.items()}
    if costs is None:
        out.update({i: Assignment(i, "gkr", NO_GROTH16) for i in free})
        return dict(sorted(out.items()))
    best = {
        i: min(costs.launches[i], key=lambda b, i=i: _key(mode, b, costs.launches[i][b]))
        for i in free
    }
    choice = {**fixed, **best}
    if not _fits(costs, choice, options, exact=True):
        found = _settle(costs, fixed, free, best, options)
        if found is None:
            for i in free:
                out[i] = Assignment(i, best[i], _why(mode, best[i], costs.launches[i]))
            raise LimitsUnmet(_refusal(costs, fixed, options, source), dict(sorted(out.items())))
        choice = found
    for i in free:
        why = _why(mode, choice[i], costs.launches[i])
        if choice[i] != best[i]:
            why += f"; {best[i]} would break {_limit_names(options)}"
        out[i] = Assignment(i, choice[i], why)
    return dict(sorted(out.items()))


def _settle(
    costs: PlanCosts,
    fixed: dict[int, str],
    free: list[int],
    best: dict[int, str],
    options: AssignOptions,
    rounds: int = 3,
) -> dict[int, str] | None:
    """The least-objective assignment of the free launches within the limits, or None.

    The additive model over-counts bytes when launches leave GKR (its outside part is the
    all-GKR plan's); the same model rebased on the smallest-proof assignment under-counts
    them. Up to EXHAUSTIVE_LAUNCHES free launches, the assignments are tried in objective
    order, each that fits by the lower count checked exactly (at most MAX_EXACT of them).
    Above, a greedy search by the model, checked exactly, is rerun with the outside bytes
    taken from its result (or the smallest-proof assignment), a few rounds at most."""

    def size(i: int) -> str:
        return min(costs.launches[i], key=lambda b: costs.launches[i][b].proof_bytes)

    smallest = {**fixed, **{i: size(i) for i in free}}
    if len(free) <= EXHAUSTIVE_LAUNCHES:
        rebased = costs.rebased(smallest)  # either base may be the smaller one
        low = replace(costs, base_proof_bytes=min(costs.base_proof_bytes, rebased.base_proof_bytes))
        mode = options.optimize
        ranked = sorted(
            itertools.product(*(sorted(costs.launches[i], key=BACKENDS.index) for i in free)),
            key=lambda combo: sum(
                costs.launches[i][b].objective(mode) for i, b in zip(free, combo, strict=True)
            ),
        )
        checked = 0
        for combo in ranked:
            choice = {**fixed, **dict(zip(free, combo, strict=True))}
            if not _fits(low, choice, options):
                continue
            if _fits(costs, choice, options, exact=True):
                return choice
            checked += 1
            if checked >= MAX_EXACT:
                break
        return None
    for _ in range(rounds):
        found = _greedy(costs, fixed, free, best, options)
        if found is not None and _fits(costs, found, options, exact=True):
            return found
        costs = costs.rebased(found or smallest)
    return None


def _fits(
    costs: PlanCosts, choice: dict[int, str], options: AssignOptions, exact: bool = False
) -> bool:
    return within_limits(options, *costs.totals(choice, exact))


def within_limits(options: AssignOptions, proof_bytes: int, verify_seconds: float) -> bool:
    """Whether a plan's totals meet --max-proof-bytes and --max-verify-ms."""
    return (options.max_proof_bytes is None or proof_bytes <= options.max_proof_bytes) and (
        options.max_verify_ms is None or verify_seconds * 1000 <= options.max_verify_ms
    )


def _limit_names(options: AssignOptions) -> str:
    names = [f"--max-proof-bytes {options.max_proof_bytes}"] if options.max_proof_bytes else []
    if options.max_verify_ms:
        names.append(f"--max-verify-ms {options.max_verify_ms}")
    return " and ".join(names)


def _greedy(
    costs: PlanCosts,
    fixed: dict[int, str],
    free: list[int],
    best: dict[int, str],
    options: AssignOptions,
) -> dict[int, str] | None:
    """From the objective's choice, repeatedly take the switch that adds the least objective
    per unit of excess it removes, until the limits hold by the model (None: stuck)."""
    mode = options.optimize

    def total(choice: dict[int, str]) -> float:
        return sum(costs.launches[i][choice[i]].objective(mode) for i in free)

    choice = {**fixed, **best}
    excess = _excess(costs, options)
    while not _fits(costs, choice, options):
        moves = []
        for i in free:
            for b in costs.launches[i]:
                if b == choice[i]:
                    continue
                trial = {**choice, i: b}
                gain = excess(choice) - excess(trial)
                if gain > 0:
                    extra = total(trial) - total(choice)
                    moves.append((extra / gain, i, BACKENDS.index(b)))
        if not moves:
            return None
        _, i, k = min(moves)
        choice[i] = BACKENDS[k]
    return choice


def _excess(costs: PlanCosts, options: AssignOptions) -> Callable[[dict[int, str]], float]:
    """How far an assignment is over the limits, each as a fraction of its limit."""

    def excess(choice: dict[int, str]) -> float:
        b, v = costs.totals(choice)
        out = 0.0
        if options.max_proof_bytes:
            out += max(0.0, b / options.max_proof_bytes - 1)
        if options.max_verify_ms:
            out += max(0.0, v * 1000 / options.max_verify_ms - 1)
        return out

    return excess


class LimitsUnmet(UserError):
    """No assignment meets the limits by the per-launch model, which does not see fusion:
    the error, carrying the objective's assignment, so that zkcc.driver.plan_program can
    raise it only if the plan with its fusions does not meet them either."""

    def __init__(self, message: str, assignments: dict[int, Assignment]) -> None:
        super().__init__(message)
        self.assignments = assignments


def _refusal(costs: PlanCosts, fixed: dict[int, str], options: AssignOptions, source: str) -> str:
    """No assignment meets the limits: say what the best ones achieve. Verify time is
    additive; proof bytes are sized exactly over every assignment when there are at most
    MAX_EXACT of them, else over the few that minimise each part by the model."""
    free = [i for i in costs.launches if i not in fixed]
    options_of = [sorted(costs.launches[i], key=BACKENDS.index) for i in free]
    if math.prod(len(o) for o in options_of) <= MAX_EXACT:
        tried = [
            {**fixed, **dict(zip(free, c, strict=True))} for c in itertools.product(*options_of)
        ]
    else:

        def best_by(metric: Callable[[Cost], float]) -> dict[int, str]:
            c = costs.launches
            return {
                **fixed,
                **{
                    i: min(c[i], key=lambda b, i=i: (metric(c[i][b]), BACKENDS.index(b)))
                    for i in free
                },
            }

        tried = [best_by(lambda c: c.proof_bytes), best_by(lambda c: c.verify_seconds)]
        tried.append({**fixed, **{i: "gkr" for i in free}})
    sized = [costs.totals(choice, exact=True) for choice in tried]
    small_b, small_v = min(sized, key=lambda t: (t[0], t[1]))
    fast_b, fast_v = min(sized, key=lambda t: (t[1], t[0]))
    pinned = f" (with the {len(fixed)} requested launch(es) as requested)" if fixed else ""
    return (
        f"{source}: error: no backend assignment meets {_limit_names(options)}{pinned}: "
        f"the smallest proof is ~{small_b:,} bytes (verify ~{small_v * 1000:.0f} ms), "
        f"the fastest verification ~{fast_v * 1000:.0f} ms (proof ~{fast_b:,} bytes), "
        "by the cost model's default rates"
    )


def plan_costs(draft) -> PlanCosts:
    """Each launch's Cost under each backend that can prove it, from the cost model with the
    built-in default rates (never the machine's profile: the plan must not depend on the
    machine), on `draft`, the plan with every launch on GKR (so no launch's Groth16 circuit
    is built: its size comes from the kernel's one-instance R1CS times the instances); and
    `measure`, any assignment's exact proof size (the draft re-assigned, its skeleton sized).

    A launch's proof bytes are its share of the whole proof: its step proof, plus what
    moving it off GKR changes in the PCS opening (measured exactly, one launch moved at a
    time: a Groth16 launch makes other claims on its tensors and commits its link masks),
    so `size` and `balanced` see that a 500-byte Groth16 proof can cost kilobytes of
    opening. The import is late: the cost model reads plans, whose module reads this one."""
    from zkcc.analysis.costmodel import estimate_plan, proof_bytes
    from zkcc.analysis.profile import default_profile

    def measure(choice: dict[int, str]) -> int:
        assigned = {i: Assignment(i, b, "") for i, b in choice.items()}
        return proof_bytes(replace(draft, assignments=assigned))

    est = estimate_plan(draft, default_profile())
    steps = [s for s in est.steps if isinstance(draft.host.steps[s.step], Launch)]
    all_gkr = {s.step: "gkr" for s in steps}
    whole = measure(all_gkr) if steps else est.proof_bytes
    launches: dict[int, dict[str, Cost]] = {}
    for s in steps:
        gkr = s.estimates["gkr"]
        launches[s.step] = {"gkr": Cost(gkr.prove_seconds, gkr.verify_seconds, gkr.proof_bytes)}
        for b, e in s.estimates.items():
            if b != "gkr":
                share = gkr.proof_bytes + measure({**all_gkr, s.step: b}) - whole
                launches[s.step][b] = Cost(e.prove_seconds, e.verify_seconds, share)
    return PlanCosts(
        launches,
        est.verify_seconds - sum(c["gkr"].verify_seconds for c in launches.values()),
        whole - sum(c["gkr"].proof_bytes for c in launches.values()),
        measure,
    )
