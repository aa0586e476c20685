"""Passes over kernel IR: dead-code elimination and a structural validator.

Unrolling and inlining leave values nobody uses (a device function's unused result, a loop's
last partial sum). Only what reaches a sink (`ASSERT_ZERO`, `OUTPUT`) matters to the relation,
so everything else is dropped and the survivors renumbered in their original order (keeping the
result deterministic). A hint whose value feeds a constraint is reachable from that constraint's
`ASSERT_ZERO` and so is kept; a hint no constraint reads checks nothing and may go.
"""

from __future__ import annotations

from zkcc.ir.kernel import SINKS, Instr, KernelIR, Op


def eliminate_dead_code(kernel: KernelIR) -> KernelIR:
    """A copy of `kernel` holding only instructions that sinks depend on, renumbered."""
    instrs = kernel.instrs
    live = [False] * len(instrs)
    for i in range(len(instrs) - 1, -1, -1):
        if instrs[i].op in SINKS:
            live[i] = True
        if live[i]:
            for a in instrs[i].args:
                live[a] = True
    renumber: dict[int, int] = {}
    out: list[Instr] = []
    for i, ins in enumerate(instrs):
        if live[i]:
            renumber[i] = len(out)
            args = tuple(renumber[a] for a in ins.args)
            out.append(ins if args == ins.args else Instr(ins.op, args, ins.attr, ins.loc))
    return KernelIR(kernel.name, list(kernel.params), out, kernel.loc, kernel.backend)


_ARITY = {
    Op.INPUT: 0,
    Op.CONST: 0,
    Op.ADD: 2,
    Op.SUB: 2,
    Op.MUL: 2,
    Op.NEG: 1,
    Op.ASSERT_ZERO: 1,
    Op.OUTPUT: 1,
}


def validate_kernel(kernel: KernelIR, modulus: int) -> list[str]:
    """Problems that make `kernel` illegal IR (empty list when it is fine).

    Legal IR: arguments refer to earlier, non-sink instructions; arities match the op;
    constants are reduced; INPUT reads an input parameter and OUTPUT writes an output parameter
    within their sizes; every element of every output parameter is written exactly once.
    """
    problems: list[str] = []
    written: set[tuple[int, int]] = set()
    for i, ins in enumerate(kernel.instrs):
        want = _ARITY.get(ins.op)
        if want is not None and len(ins.args) != want:
            problems.append(f"#{i} {ins.op.value}: {len(ins.args)} args, expected {want}")
        for a in ins.args:
            if not 0 <= a < i or kernel.instrs[a].op in SINKS:
                problems.append(f"#{i} {ins.op.value}: bad argument {a}")
        if ins.op is Op.CONST and not (isinstance(ins.attr, int) and 0 <= ins.attr < modulus):
            problems.append(f"#{i} const: {ins.attr!r} is not a reduced field element")
        if ins.op in (Op.INPUT, Op.OUTPUT):
            param, index = ins.attr  # type: ignore[misc]
            if not 0 <= param < len(kernel.params):
                problems.append(f"#{i} {ins.op.value}: no parameter {param}")
                continue
            p = kernel.params[param]
            if p.is_output != (ins.op is Op.OUTPUT) or not 0 <= index < p.size:
                problems.append(f"#{i} {ins.op.value}: bad access {p.name}[{index}]")
            if ins.op is Op.OUTPUT:
                if (param, index) in written:
                    problems.append(f"#{i} output: {p.name}[{index}] written twice")
                written.add((param, index))
    for k, p in enumerate(kernel.params):
        if p.is_output:
            missing = sum(1 for j in range(p.size) if (k, j) not in written)
            if missing:
                problems.append(f"output {p.name}: {missing} element(s) never written")
    return problems
