"""What prover and verifier agree on before any proof data is read: which tensors are public,
which are committed, and which tensor each GKR input segment of each launch reads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from zkcc.backends.gkr.wiring import prefix_eq
from zkcc.field import get_field
from zkcc.ir.host import (
    AssertEq,
    Launch,
    Program,
    TensorKind,
    launch_bases,
    resolve,
    secret_tensors,
)
from zkcc.ir.lookups import LookupLayout
from zkcc.lower.circuit import (
    HINT_SEGMENT,
    INDEX_SEGMENT,
    LOOKUP_SEGMENT,
    param_segment,
)
from zkcc.pcs.base import PcsClaim, Relation
from zkcc.runtime.layout import TableLayout, launch_layout

PUBLIC = (TensorKind.PUBLIC_IN, TensorKind.PUBLIC_OUT)


@dataclass(frozen=True)
class Link:
    """The relation a hidden claim belongs to: the claims sharing `id` satisfy
    sum coefficient * value = total (zkcc.pcs.base.Relation)."""

    id: str
    coefficient: Any  # extension scalar
    total: Any  # extension scalar, the same for every claim of the relation


@dataclass
class Claim:
    """A claim on a tensor seen through `layout`; `origin` says what produced it. A linked
    claim's value stays hidden (None on the verifier's side): its relation is all the PCS
    reveals of it."""

    tensor: str
    layout: TableLayout
    point: Any  # challenge-field point, point[i] binds bit i of the table index
    value: Any
    origin: str
    link: Link | None = None


def link_mask_tensor(step_index: int) -> str:
    """A Groth16 launch's link masks: one uniform element per committed boundary tensor,
    committed in the PCS and among the launch's committed wires (zkcc/lower/r1cs_eval.py)."""
    return f"masks@{step_index}"


def input_mask_tensor(step_index: int) -> str:
    """A zero-knowledge GKR launch's input mask segment (zkcc/backends/gkr/zk.py): the first
    entries of its mask table, never committed on its own."""
    return f"zkin@{step_index}"


def mask_table_tensor(step_index: int) -> str:
    """A zero-knowledge GKR launch's mask table (its sumchecks' and layers' masks)."""
    return f"zkmask@{step_index}"


def reduction_table_tensor(step_index: int) -> str:
    """A zero-knowledge GKR launch's second mask table: its mask reduction's masks, with
    slack (zkcc/backends/gkr/zk.py)."""
    return f"zkrmask@{step_index}"


def public_tensors(program: Program) -> set[str]:
    return {t.name for t in program.host.tensors if t.kind in PUBLIC}


def hint_tensor(step_index: int) -> str:
    return f"hints@{step_index}"


def lookup_tensor(step_index: int) -> str:
    """A GKR launch's lookup columns (count, width) (zkcc.ir.lookups): private, committed
    like its hints, proved by LogUp (zkcc/runtime/lookups.py)."""
    return f"lookups@{step_index}"


def counts_tensor(step_index: int, table: int) -> str:
    """How often a GKR launch looks up each row of its kernel's table number `table`."""
    return f"counts@{step_index}/{table}"


def lookup_tensors(kernel, step_index: int, count: int) -> list[TensorInfo]:
    """The tensors a GKR launch's lookups commit: its lookup columns and, per table its
    LOOKUPs read, the counts of the table's 2^bits rows (a map table's padded rows too: their
    counts are the prover's to fill either way, zkcc.runtime.lookups.padded_rows), none
    without lookups."""
    if not kernel.tables:
        return []
    layout = LookupLayout.of(kernel)
    out = [TensorInfo(lookup_tensor(step_index), (count, layout.width), False)]
    for b in layout.used():
        out.append(
            TensorInfo(
                counts_tensor(step_index, b.table), (1 << kernel.tables[b.table].bits,), False
            )
        )
    return out


def valid_tensor(step_index: int) -> str:
    """The instance-valid flags of a launch: public, known to both sides, never in the proof."""
    return f"valid@{step_index}"


def valid_values(F, count: int):
    return F.array([1] * count)


def valid_mle(F, count: int, point) -> Any:
    """The valid flags' multilinear extension at `point` (point[i] binds bit i of the
    instance), sum_{s < count} eq(point, s), in O(len(point)) (gkr.wiring.prefix_eq)."""
    return prefix_eq(F, count, point)


def index_tensor(step_index: int) -> str:
    """The instance indices of a launch that reads them: public like the valid flags."""
    return f"index@{step_index}"


def index_layout(count: int) -> TableLayout:
    """The index table covers the padded instances too: instance s holds s for every
    s < 2^n (padding's constraints are excused by the output claim's weight, whatever it
    reads: gkr.prove's `live`), which makes its multilinear extension the linear form of
    `index_mle`."""
    return launch_layout(1 << max(0, (count - 1).bit_length()), (1,), False)


def index_values(F, count: int):
    return F.array(np.arange(index_layout(count).shape[0], dtype=np.int64))


def index_mle(F, point) -> Any:
    """The index table's multilinear extension at `point` (point[i] binds bit i of the
    instance): s = sum_i 2^i s_i is multilinear in the bits, so it is its own extension,
    sum_i 2^i point[i], in O(len(point))."""
    E = F.ext
    total = E.zeros()
    for i, r in enumerate(point):
        total = E.add(total, E.mul_base(r, F.array(1 << i)))
    return total


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    public: bool

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def layout(self) -> TableLayout:
        """The canonical padded layout in which the tensor is committed."""
        return TableLayout(self.shape)


def proof_tensors(program: Program, groth16: frozenset[int] = frozenset()) -> list[TensorInfo]:
    """Every tensor a proof speaks about, in a fixed order: declared tensors (those a launch
    writes, or inputs), then each GKR launch's hint tensor and lookup tensors (a Groth16
    launch, a step index in `groth16`, keeps its hints as private witness, and has a link
    mask tensor instead when it reads private tensors)."""
    written: set[str] = set()
    names = resolve(program)
    for step in program.host.steps:
        if isinstance(step, Launch):
            kernel = program.kernels[step.kernel]
            written.update(
                names[a][0] for p, a in zip(kernel.params, step.args, strict=True) if p.is_output
            )
    own = single_use(program)
    witness = {names[a].base for i in groth16 for a in program.host.steps[i].args} & own
    out = [
        TensorInfo(t.name, t.shape, t.kind in PUBLIC)
        for t in program.host.tensors
        if (t.kind in (TensorKind.PUBLIC_IN, TensorKind.PRIVATE_IN) or t.name in written)
        and t.name not in witness
    ]
    for i, step in enumerate(program.host.steps):
        if isinstance(step, Launch) and i not in groth16:
            kernel = program.kernels[step.kernel]
            h = kernel.hint_count()
            if h:
                out.append(TensorInfo(hint_tensor(i), (step.count, h), False))
            out += lookup_tensors(kernel, i, step.count)
        elif isinstance(step, Launch):
            links = sum(committed_args(program, step.args))  # a Groth16 launch's links
            if links:
                out.append(TensorInfo(link_mask_tensor(i), (links,), False))
    return out


def single_use(program: Program) -> frozenset[str]:
    """The private tensors (inputs, intermediates) that exactly one argument of one host step
    touches: a launch's input or output, or a side of an assert_eq. When that step is a
    Groth16 launch, the tensor is part of its private witness and nothing else has to agree
    with it, so it is neither committed nor linked (committed_args): the Groth16 proof alone
    shows that such values exist."""
    names = resolve(program)
    kinds = {t.name: t.kind for t in program.host.tensors}
    uses: dict[str, int] = {}
    for step in program.host.steps:
        args = (step.a, step.b) if isinstance(step, AssertEq) else step.args
        for a in args:
            uses[names[a].base] = uses.get(names[a].base, 0) + 1
    return frozenset(t for t, n in uses.items() if n == 1 and kinds[t] not in PUBLIC)


def committed_args(program: Program, args) -> list[bool]:
    """For each argument of a Groth16 launch, whether it is a committed wire: its base
    tensor is private and another step touches it too (zkcc/runtime/groth16_launch.py)."""
    own, names = single_use(program), resolve(program)
    private = reads_private(program, args)
    return [p and names[a].base not in own for p, a in zip(private, args, strict=True)]


def zk_launches(plan) -> frozenset[int]:
    """The launch steps that a zero-knowledge plan proves with zero knowledge: those that read
    a secret tensor (zkcc.ir.host.secret_tensors). The others reveal only what public data
    determine, so their GKR proofs go without masks (and their lookups without committed
    inverses) and cost what they cost without zero knowledge. None without zero knowledge."""
    if not plan.zk:
        return frozenset()
    program = plan.program
    secret, names = secret_tensors(program), resolve(program)
    return frozenset(
        i
        for i, step in enumerate(program.host.steps)
        if isinstance(step, Launch) and launch_bases(program, step, names)[0] & secret
    )


def plan_tensors(plan, groth16: frozenset[int] = frozenset()) -> list[TensorInfo]:
    """proof_tensors, and the two mask tables (HidingCircuit.tensors) of each GKR launch that
    a zero-knowledge plan proves with zero knowledge (zk_launches; zkcc/backends/gkr/zk.py),
    whose sizes follow from its circuit."""
    out = proof_tensors(plan.program, groth16)
    hidden = zk_launches(plan) - groth16
    if not hidden:
        return out
    from zkcc.runtime.hiding import HidingCircuit  # it imports this module

    F = get_field(plan.field)
    for i in sorted(hidden):
        step = plan.program.host.steps[i]
        n_log2 = max(0, (step.count - 1).bit_length())
        circuit = plan.kernels[step.kernel].circuit
        names = mask_table_tensor(i), reduction_table_tensor(i), input_mask_tensor(i)
        out += HidingCircuit.of(F, circuit, n_log2, *names).tensors()
    return out


def reads_private(program: Program, args) -> list[bool]:
    """For each tensor or view name, whether its base tensor is private (committed, not
    public): what makes a Groth16 param a committed link and an assert_eq side hidden."""
    names = resolve(program)
    kinds = {t.name: t.kind for t in program.host.tensors}
    return [kinds[names[a][0]] not in PUBLIC for a in args]


def segment_sources(program: Program, i: int) -> dict[str, tuple[str, TableLayout]]:
    """For launch step i: segment name -> (base tensor it reads, table layout)."""
    step = program.host.steps[i]
    assert isinstance(step, Launch)
    kernel = program.kernels[step.kernel]
    out = {
        param_segment(p.name): (base, layout)
        for p, (base, layout) in zip(kernel.params, arg_layouts(program, step), strict=True)
    }
    h = kernel.hint_count()
    if h:
        out[HINT_SEGMENT] = (hint_tensor(i), launch_layout(step.count, (h,), False))
    if kernel.tables:
        width = LookupLayout.of(kernel).width
        out[LOOKUP_SEGMENT] = (lookup_tensor(i), launch_layout(step.count, (width,), False))
    if kernel.uses_index():
        out[INDEX_SEGMENT] = (index_tensor(i), index_layout(step.count))
    return out


def arg_layouts(program: Program, step: Launch) -> list[tuple[str, TableLayout]]:
    """Each launch argument's base tensor and the table the launch sees of it: its own
    (count, *param shape) or broadcast shape, reading the slice's part of the base when the
    argument is a slice."""
    names = resolve(program)
    shapes = {t.name: t.shape for t in program.host.tensors}
    kernel = program.kernels[step.kernel]
    out = []
    for p, a in zip(kernel.params, step.args, strict=True):
        seen = names[a]
        within = (shapes[seen.base], seen.index) if seen.index else (None, ())
        out.append((seen.base, launch_layout(step.count, p.shape, p.broadcast, *within)))
    return out


def segment_claims(
    program: Program, i: int, seg_claims, sources: dict | None = None
) -> list[Claim]:
    """Turn the GKR verifier's claims on input segments into claims on tensors (`sources`:
    segment -> (tensor, layout), by default the launch's parameter, hint, lookup and index
    segments);
    a claim on a slice becomes one on its whole tensor (TableLayout.on_base)."""
    sources = sources or segment_sources(program, i)
    kernel = program.host.steps[i].kernel  # type: ignore[union-attr]
    return claims_of_segments(
        get_field(program.field), seg_claims, sources, f"launch {i} ({kernel})"
    )


def claims_of_segments(F, seg_claims, sources: dict, origin: str) -> list[Claim]:
    """The GKR verifier's claims on input segments as claims on the tensors `sources`
    (segment -> (tensor, layout)) names."""
    out = []
    for sc in seg_claims:
        tensor, layout = sources[sc.segment]
        layout, point = layout.on_base(F, list(sc.point))
        out.append(Claim(tensor, layout, point, sc.value, f"{origin}, {sc.segment}"))
    return out


def assert_eq_layouts(program: Program, step: AssertEq) -> tuple[str, str, TableLayout]:
    """Both sides of an assert_eq have the same shape (validated); one layout serves both."""
    names = resolve(program)
    a, b = names[step.a], names[step.b]
    return a[0], b[0], TableLayout(a[1])


def pcs_claims(claims: dict[str, list[Claim]], committed) -> tuple[list[PcsClaim], list[Relation]]:
    """The claims on committed tensors, in a fixed order, for the PCS, and the relations of
    the linked ones, in link-id order. Every layout is the tensor's own canonical one: the
    plan validator only admits views that keep it."""
    out = [c for name in sorted(committed) for c in claims.get(name, [])]
    links: dict[str, Relation] = {}
    for i, c in enumerate(out):
        if c.link is not None:
            rel = links.setdefault(c.link.id, Relation([], c.link.total, c.origin))
            rel.terms.append((i, c.link.coefficient))
    pcs = [PcsClaim(c.tensor, c.point, c.value, hidden=c.link is not None) for c in out]
    return pcs, [links[k] for k in sorted(links)]
