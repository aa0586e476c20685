"""Passes over kernel IR: dead-code elimination and a structural validator.

Unrolling and inlining leave values nobody uses (a device function's unused result, a loop's
last partial sum). Only what reaches a sink (`ASSERT_ZERO`, `OUTPUT`) matters to the relation,
so everything else is dropped and the survivors renumbered in their original order (keeping the
result deterministic). A hint whose value feeds a constraint is reachable from that constraint's
`ASSERT_ZERO` and so is kept; a hint no constraint reads checks nothing and may go.
"""

from __future__ import annotations

import numpy as np

from zkcc.ir.kernel import SINKS, Instr, KernelIR, Op


def eliminate_dead_code(kernel: KernelIR) -> KernelIR:
    """A copy of `kernel` holding only instructions that sinks depend on, renumbered.

    Liveness is one backward sweep (each instruction reads only earlier ones, so its
    liveness is final when the sweep reaches it); the new index of every instruction is a
    running count of the live ones before it. Instructions whose arguments keep their numbers
    (everything before the first dead one) are reused, not rebuilt.
    """
    instrs = kernel.instrs
    n = len(instrs)
    live = bytearray(n)
    sink_a, sink_b = SINKS  # compared by identity: hashing an enum member is slow
    for i in range(n - 1, -1, -1):
        ins = instrs[i]
        if live[i] or ins[0] is sink_a or ins[0] is sink_b:
            live[i] = 1
            for a in ins[1]:
                live[a] = 1
    if all(live):
        out = list(instrs)
    else:
        new_index = np.cumsum(np.frombuffer(live, dtype=np.uint8), dtype=np.int64) - 1
        renumber = new_index.tolist()
        first_dead = live.index(0)
        out = [ins for ins, keep in zip(instrs[:first_dead], live, strict=False) if keep]
        make = Instr.make  # type: ignore[attr-defined]
        for i in range(first_dead, n):
            if live[i]:
                ins = instrs[i]
                args = ins[1]
                if args:
                    args = tuple([renumber[a] for a in args])
                out.append(make((ins[0], args, ins[2], ins[3])))
    return KernelIR(kernel.name, list(kernel.params), out, kernel.loc, kernel.backend)


_ARITY = {
    Op.INPUT: 0,
    Op.CONST: 0,
    Op.INDEX: 0,
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
