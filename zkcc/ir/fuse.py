"""Launch fusion: two consecutive launches joined into one kernel (docs/costmodel.md, "Fusion").

`a<<<n>>>(..., t)` followed by `b<<<n>>>(t, ...)`, where instance i of b reads exactly what
instance i of a wrote, proves the same relation as one launch of a kernel that runs a's body
and then b's, with b's reads of `t` replaced by the values a computed for it. When nothing
else reads `t` (no other launch, no assert_eq, not public) it disappears from the proof: no
commitment, no opening, no claims. This module finds such sites in a host graph and builds
the fused program; whether a fusion is worth it is the cost model's decision
(zkcc.analysis.fusion).

What makes a site (`fusion_site`), for steps i and i + 1 (adjacent, so moving b's work to a's
place or a's to b's cannot reorder any other step's reads or writes):
  * both are launches over the same instance count n;
  * b reads, through one or more input parameters, tensors that a writes (its *links*); each
    such parameter is split (not broadcast), its argument has shape (n, ...) like a's output
    argument over the same base tensor, with the same per-instance size. Row-major, instance
    i's slice of either argument is then the same base elements [i s, (i + 1) s) in the same
    order, whatever reshape views sit between them, so b's element j of instance i is a's
    element j of instance i (kernel IR indexes parameters by flat per-instance position);
  * at least one linked tensor is an intermediate that nothing but b reads: the one(s) that
    disappear. A linked tensor that is public or read elsewhere stays a's output (still
    committed or published); b reads a's values for it all the same.
A parameter of b that takes the same argument as one of a's input parameters, with the same
shape and broadcast flag, is merged into a's (one input segment, one set of claims, instead
of two copies of the same table); other parameters are kept apart.

The fused kernel is named `a+b` (kernel names are identifiers, so `+` marks a fusion; a
chain is `a+b+c`), with `#2`, `#3`, ... when that name is already taken by another kernel.
Its parameters are a's (minus the dropped outputs) then b's (minus the links and merged
ones); a parameter of b whose name a already uses is renamed `b.name` (parameter names are
segment names and must be unique). The body is replayed through `KernelBuilder`, so values
that a and b both compute (the same input read, the same constant) are shared and a's
values that only fed a dropped output are removed by dead-code elimination.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.budget import MAX_KERNEL_INSTRS, MAX_LAUNCH_WORK
from zkcc.ir.host import AssertEq, HostGraph, Launch, Program, Seen, TensorKind, resolve
from zkcc.ir.kernel import KernelBuilder, KernelIR, Param
from zkcc.ir.passes import eliminate_dead_code, replay

FUSED_SEP = "+"


@dataclass(frozen=True)
class FusionSite:
    """Host steps `first` and `first + 1` can be fused (see the module docstring).
    `links`: b's input parameter -> a's output parameter it reads; `dropped`: the tensors
    that then disappear (a's outputs nobody else reads), sorted; `merged`: b's input
    parameter -> a's input parameter with the same argument."""

    first: int
    links: tuple[tuple[int, int], ...]
    dropped: tuple[str, ...]
    merged: tuple[tuple[int, int], ...]


def fused_parts(kernel: str) -> tuple[str, ...] | None:
    """The source kernels a fused kernel's name is made of, or None for a source kernel."""
    if FUSED_SEP not in kernel:
        return None
    return tuple(kernel.split("#")[0].split(FUSED_SEP))


@dataclass(frozen=True)
class HostIndex:
    """What a site check looks up, computed once per host graph so that checking every
    step stays linear in the graph: each name's base tensor and shape, each tensor's kind,
    and the host steps reading each base tensor (launch inputs and assert_eq sides, repeated
    when a step reads it twice)."""

    names: dict[str, Seen]
    kinds: dict[str, TensorKind]
    readers: dict[str, list[int]]

    @staticmethod
    def of(program: Program) -> HostIndex:
        names = resolve(program)
        readers: dict[str, list[int]] = {}
        for i, s in enumerate(program.host.steps):
            if isinstance(s, AssertEq):
                reads = [s.a, s.b]
            else:
                params = program.kernels[s.kernel].params
                reads = [a for p, a in zip(params, s.args, strict=True) if not p.is_output]
            for arg in reads:
                readers.setdefault(names[arg][0], []).append(i)
        return HostIndex(names, {t.name: t.kind for t in program.host.tensors}, readers)


def fusion_site(program: Program, first: int, index: HostIndex | None = None) -> FusionSite | None:
    """The site at host steps `first`, `first + 1`, or None when they cannot be fused.
    `index`: the program's HostIndex, for a caller that checks many steps."""
    steps = program.host.steps
    if first + 1 >= len(steps):
        return None
    a, b = steps[first], steps[first + 1]
    if not (isinstance(a, Launch) and isinstance(b, Launch)) or a.count != b.count:
        return None
    ka, kb = program.kernels[a.kernel], program.kernels[b.kernel]
    if (
        len(ka.instrs) + len(kb.instrs) > MAX_KERNEL_INSTRS
        or a.count * (len(ka.instrs) + len(kb.instrs)) > MAX_LAUNCH_WORK
    ):
        return None
    index = index or HostIndex.of(program)
    names = index.names
    written = {
        names[arg][0]: q
        for q, (p, arg) in enumerate(zip(ka.params, a.args, strict=True))
        if p.is_output
    }
    links: list[tuple[int, int]] = []
    for p_idx, (p, arg) in enumerate(zip(kb.params, b.args, strict=True)):
        base = names[arg][0]
        if p.is_output or base not in written:
            continue
        q = written[base]
        if p.broadcast or p.size != ka.params[q].size:
            return None  # b reads a's output other than slice by slice: not fusable
        if names[arg].index or names[a.args[q]].index:
            return None  # a tensor slice (t[i]) links them: written by several launches
        links.append((p_idx, q))
    if not links:
        return None
    linked = {names[b.args[p]][0] for p, _ in links}
    dropped = sorted(
        t
        for t in linked
        if index.kinds[t] is TensorKind.INTERMEDIATE
        and set(index.readers.get(t, [])) == {first + 1}
    )
    if not dropped:
        return None  # nothing would leave the proof
    a_inputs = {
        (arg, p.shape, p.broadcast): q
        for q, (p, arg) in enumerate(zip(ka.params, a.args, strict=True))
        if not p.is_output
    }
    linked_params = {p for p, _ in links}
    merged = tuple(
        (p_idx, a_inputs[key])
        for p_idx, (p, arg) in enumerate(zip(kb.params, b.args, strict=True))
        if p_idx not in linked_params
        and not p.is_output
        and (key := (arg, p.shape, p.broadcast)) in a_inputs
    )
    return FusionSite(first, tuple(links), tuple(dropped), merged)


def fusion_sites(program: Program) -> list[FusionSite]:
    """Every site of the program, in step order (sites may overlap: a, b and b, c)."""
    index = HostIndex.of(program)
    found = (fusion_site(program, i, index) for i in range(len(program.host.steps) - 1))
    return [s for s in found if s is not None]


def _unique(name: str, prefix: str, taken: set[str]) -> str:
    """`name`, or `prefix.name` (then with a number) when `taken` already has it."""
    out = name if name not in taken else f"{prefix}.{name}"
    k = 2
    while out in taken:
        out, k = f"{prefix}.{name}#{k}", k + 1
    return out


def fuse_kernels(
    ka: KernelIR,
    kb: KernelIR,
    links: dict[int, int],
    drop: set[int],
    merged: dict[int, int],
    name: str,
    modulus: int,
) -> tuple[KernelIR, list[int | None], list[int | None]]:
    """The kernel running `ka` then `kb`, with kb's input parameter p reading ka's output
    parameter links[p] and ka's output parameters in `drop` removed. Returns it and, for
    each parameter of ka and of kb, its index in the fused kernel (None: gone)."""
    params: list[Param] = []
    a_map: list[int | None] = []
    for q, p in enumerate(ka.params):
        a_map.append(None if q in drop else len(params))
        if q not in drop:
            params.append(p)
    b_map: list[int | None] = []
    for q, p in enumerate(kb.params):
        if q in links:
            b_map.append(None)
        elif q in merged:
            b_map.append(a_map[merged[q]])
        else:
            b_map.append(len(params))
            taken = {x.name for x in params}
            params.append(Param(_unique(p.name, kb.name, taken), p.shape, p.is_output, p.broadcast))
    lookups = bool(ka.tables or kb.tables)  # kept as they are (expanded or not)
    builder = KernelBuilder(name, params, modulus, ka.loc, lookups)
    produced: dict[tuple[int, int], int] = {}  # ka's (output param, index) -> value

    def a_read(q: int, j: int, loc) -> int:
        return builder.input(a_map[q], j, loc)  # type: ignore[arg-type]

    def a_write(q: int, j: int, v: int, loc) -> None:
        produced[(q, j)] = v
        if a_map[q] is not None:
            builder.output(a_map[q], j, v, loc)  # type: ignore[arg-type]

    def b_read(q: int, j: int, loc) -> int:
        if q in links:
            return produced[(links[q], j)]
        return builder.input(b_map[q], j, loc)  # type: ignore[arg-type]

    def b_write(q: int, j: int, v: int, loc) -> None:
        builder.output(b_map[q], j, v, loc)  # type: ignore[arg-type]

    replay(builder, ka, a_read, a_write)
    replay(builder, kb, b_read, b_write)
    fused = builder.finish()
    fused.backend = ka.backend if ka.backend == kb.backend else None
    return eliminate_dead_code(fused), a_map, b_map


def fused_name(program: Program, ka: KernelIR, kb: KernelIR, fused: KernelIR) -> str:
    """`a+b`, or `a+b#k` when a different kernel of the program already has that name."""
    base = f"{ka.name}{FUSED_SEP}{kb.name}"
    name, k = base, 2
    while name in program.kernels and not _same_kernel(program.kernels[name], fused, name):
        name, k = f"{base}#{k}", k + 1
    return name


def _same_kernel(have: KernelIR, new: KernelIR, name: str) -> bool:
    """Equal IR (locations aside) once `new` carries `name`."""
    return (
        have.params == new.params
        and have.instrs == new.instrs
        and have.backend == new.backend
        and have.tables == new.tables
        and have.name == name
    )


def fuse_site(program: Program, site: FusionSite, modulus: int) -> Program:
    """The program with the site's two launches replaced by one launch of the fused kernel
    at the first one's place, the dropped tensors (and their views) removed, and kernels no
    longer launched removed."""
    steps = program.host.steps
    a, b = steps[site.first], steps[site.first + 1]
    assert isinstance(a, Launch) and isinstance(b, Launch)
    ka, kb = program.kernels[a.kernel], program.kernels[b.kernel]
    names = resolve(program)
    drop = {q for q, arg in enumerate(a.args) if names[arg][0] in site.dropped}
    drop &= {q for q, p in enumerate(ka.params) if p.is_output}
    links, merged = dict(site.links), dict(site.merged)
    draft, a_map, b_map = fuse_kernels(ka, kb, links, drop, merged, "", modulus)
    name = fused_name(program, ka, kb, draft)
    fused = KernelIR(name, draft.params, draft.instrs, draft.loc, draft.backend, draft.tables)
    args = [""] * len(fused.params)
    for arg, k in [*zip(a.args, a_map, strict=True), *zip(b.args, b_map, strict=True)]:
        if k is not None:
            args[k] = arg
    launch = Launch(name, a.count, tuple(args), a.loc)
    new_steps = [*steps[: site.first], launch, *steps[site.first + 2 :]]
    kernels = {**program.kernels, name: fused}
    launched = {s.kernel for s in new_steps if isinstance(s, Launch)}
    kernels = {n: k for n, k in sorted(kernels.items()) if n in launched}
    gone = set(site.dropped)
    host = HostGraph(
        [t for t in program.host.tensors if t.name not in gone],
        [v for v in program.host.views if v.base not in gone],
        new_steps,
    )
    return Program(program.field, kernels, host, program.source_name)


def renumber_step(i: int, first: int) -> int:
    """Where host step i of a program lands once steps `first` and `first + 1` are fused."""
    return i if i <= first else i - 1
