"""Passes over kernel IR: dead-code elimination, replay into a builder (fusion, lookup
expansion) and a structural validator.

Unrolling and inlining leave values nobody uses (a device function's unused result, a loop's
last partial sum). Only what reaches a sink (`ASSERT_ZERO`, `OUTPUT`) matters to the relation,
so everything else is dropped and the survivors renumbered in their original order (keeping the
result deterministic). A hint whose value feeds a constraint is reachable from that constraint's
`ASSERT_ZERO` and so is kept; a hint no constraint reads checks nothing and may go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import accumulate, chain, repeat
from operator import itemgetter

import numpy as np

from zkcc.ir.kernel import SINKS, HintKind, Instr, KernelBuilder, KernelIR, Op


def eliminate_dead_code(kernel: KernelIR) -> KernelIR:
    """A copy of `kernel` holding only instructions that sinks depend on, renumbered.

    An instruction is dead when it is not a sink and every instruction that reads it is
    dead. Use counts come from one numpy `bincount` over all arguments; the instructions
    read by no one start a worklist, and removing one may leave its arguments unread in turn,
    so the Python work is in proportion to the dead instructions, not to the kernel. The
    survivors are renumbered by a running count (numpy) and rebuilt column by column: one
    dead constant near the start of a 5 * 10^5 instruction kernel renumbers everything after
    it. `eliminate_dead_code_reference` is the same pass as one backward sweep.
    """
    instrs = kernel.instrs
    n = len(instrs)
    dead = _dead(instrs) if n else np.zeros(0, dtype=bool)
    if not dead.any():
        return _with_instrs(kernel, list(instrs))
    first_dead = int(np.argmax(dead))
    renumber = np.cumsum(~dead, dtype=np.int64) - 1
    kept = (np.flatnonzero(~dead[first_dead:]) + first_dead).tolist()
    tail = [instrs[i] for i in kept]
    ops, args, attrs, locs = zip(*tail, strict=True)
    new_args = _renumbered(args, renumber)
    make = Instr.make  # type: ignore[attr-defined]
    out = instrs[:first_dead] + list(map(make, zip(ops, new_args, attrs, locs, strict=True)))
    return _with_instrs(kernel, out)


def _with_instrs(kernel: KernelIR, instrs: list[Instr]) -> KernelIR:
    """A copy of `kernel` (its own parameter list) with other instructions."""
    return replace(kernel, params=list(kernel.params), instrs=instrs)


def _dead(instrs: list[Instr]) -> np.ndarray:
    """Mask of the instructions no sink depends on (see `eliminate_dead_code`)."""
    n = len(instrs)
    ops, args = list(map(itemgetter(0), instrs)), list(map(itemgetter(1), instrs))
    arity = np.fromiter(map(len, args), dtype=np.int64, count=n)
    flat = np.fromiter(chain.from_iterable(args), dtype=np.int64, count=int(arity.sum()))
    uses = np.bincount(flat, minlength=n)
    op_ids = np.fromiter(map(id, ops), dtype=np.int64, count=n)  # enum members by identity
    sink = np.zeros(n, dtype=bool)
    for op in SINKS:
        sink |= op_ids == id(op)
    dead = (uses == 0) & ~sink
    if not dead.any():
        return dead
    counts = uses.tolist()
    work = np.flatnonzero(dead).tolist()
    more = []
    while work:
        for a in args[work.pop()]:
            counts[a] -= 1
            if counts[a] == 0 and not sink[a]:
                work.append(a)
                more.append(a)
    dead[more] = True
    return dead


def _renumbered(args: tuple[tuple[int, ...], ...], renumber: np.ndarray) -> list:
    """Every argument tuple with its indices mapped through `renumber`, built per arity
    with numpy (the tuples themselves by `zip`, in C)."""
    arity = np.fromiter(map(len, args), dtype=np.int64, count=len(args))
    out = np.empty(len(args), dtype=object)
    for r in np.unique(arity).tolist():
        pos = np.flatnonzero(arity == r)
        if r == 0:
            out[pos] = np.fromiter(repeat((), len(pos)), dtype=object, count=len(pos))
            continue
        group = chain.from_iterable(map(args.__getitem__, pos.tolist()))
        flat = renumber[np.fromiter(group, dtype=np.int64, count=len(pos) * r)].tolist()
        it = iter(flat)
        out[pos] = np.fromiter(zip(*([it] * r), strict=False), dtype=object, count=len(pos))
    return out.tolist()


def eliminate_dead_code_reference(kernel: KernelIR) -> KernelIR:
    """`eliminate_dead_code` as one backward sweep: each instruction reads only earlier
    ones, so its liveness is final when the sweep reaches it; the new index of every
    instruction is a running count of the live ones before it. (Tests hold the two equal.)
    """
    instrs = kernel.instrs
    live = bytearray(len(instrs))
    for i in range(len(instrs) - 1, -1, -1):
        if live[i] or instrs[i].op in SINKS:
            live[i] = 1
            for a in instrs[i].args:
                live[a] = 1
    renumber = list(accumulate(live))
    out = [
        Instr.make((ins.op, tuple(renumber[a] - 1 for a in ins.args), ins.attr, ins.loc))  # type: ignore[attr-defined]
        for ins, keep in zip(instrs, live, strict=True)
        if keep
    ]
    return _with_instrs(kernel, out)


def replay(
    builder: KernelBuilder,
    kernel: KernelIR,
    read: Callable[[int, int, object], int],
    write: Callable[[int, int, int, object], None],
) -> None:
    """Re-emit `kernel`'s body into `builder`: `read(param, index, loc)` gives the value an
    INPUT stands for, `write(param, index, value, loc)` takes each OUTPUT; every other
    instruction is rebuilt with its arguments renumbered (shared and folded by the builder).

    Lookups follow the builder: kept as LOOKUPs (their tables added to the builder's) when it
    has `lookups`, a range wider than its `limb_bits` split into narrower limbs, else expanded
    into bits by its `range_check` and `table_lookup`; a TABLE hint and the LOOKUP that checks
    it then become one table evaluation."""
    vals: list[int] = []
    arith = {Op.ADD: builder.add, Op.SUB: builder.sub, Op.MUL: builder.mul, Op.NEG: builder.neg}
    looked_up: dict[tuple[int, int], int] = {}  # (table, key) -> value, when expanding

    def evaluate(table: int, key: int, loc) -> int:
        if (table, key) not in looked_up:
            looked_up[table, key] = builder.table_lookup(kernel.tables[table], key, loc)
        return looked_up[table, key]

    for ins in kernel.instrs:
        op, args, attr, loc = ins
        v = -1  # sinks define no value; nothing refers to them
        if op is Op.INPUT:
            v = read(attr[0], attr[1], loc)  # type: ignore[index]
        elif op is Op.CONST:
            v = builder.const(attr, loc)  # type: ignore[arg-type]
        elif op is Op.INDEX:  # both launches run over the same instances
            v = builder.index(loc)
        elif op in arith:
            v = arith[op](*[vals[x] for x in args], loc)
        elif op is Op.HINT:
            kind, param = HintKind(attr[0]), attr[1]  # type: ignore[index]
            if kind is HintKind.TABLE and not builder.lookups:
                v = evaluate(param, vals[args[0]], loc)
            else:
                if kind is HintKind.TABLE:
                    param = builder.table(kernel.tables[param])
                v = builder.hint(kind, tuple(vals[x] for x in args), param, loc)
        elif op is Op.ASSERT_ZERO:
            builder.assert_zero(vals[args[0]], loc, attr)  # type: ignore[arg-type]
        elif op is Op.OUTPUT:
            write(attr[0], attr[1], vals[args[0]], loc)  # type: ignore[index]
        elif op is Op.LOOKUP:
            table, keys = kernel.tables[attr], [vals[x] for x in args]  # type: ignore[index]
            if builder.lookups and (table.is_map or table.bits <= builder.limb_bits):
                builder.lookup(table, tuple(keys), loc)
            elif table.is_map:
                want = evaluate(attr, keys[0], loc)  # type: ignore[arg-type]
                builder.assert_zero(builder.sub(keys[1], want, loc), loc)
            else:
                builder.range_check(keys[0], table.bits, loc, table.frac)
        else:
            raise ValueError(f"cannot replay a {op.value} instruction")
        vals.append(v)


def expand_lookups(kernel: KernelIR, modulus: int) -> KernelIR:
    """`kernel` with its LOOKUPs and TABLE hints as bits (for backends without a lookup
    argument: Groth16); the same kernel when it has none."""
    if not kernel.tables:
        return kernel
    return _rebuilt(kernel, KernelBuilder(kernel.name, list(kernel.params), modulus, kernel.loc))


def relimb_lookups(kernel: KernelIR, modulus: int, limb_bits: int) -> KernelIR:
    """`kernel` with every range check wider than `limb_bits` split into narrower limbs
    (zkcc.ir.lookups.best_limb_bits chooses the width for a launch's size)."""
    builder = KernelBuilder(kernel.name, list(kernel.params), modulus, kernel.loc, True, limb_bits)
    return _rebuilt(kernel, builder)


def _rebuilt(kernel: KernelIR, builder: KernelBuilder) -> KernelIR:
    """`kernel` replayed into `builder` (parameters unchanged)."""
    builder.kernel.backend = kernel.backend

    def write(param: int, index: int, value: int, loc) -> None:
        builder.output(param, index, value, loc)

    replay(builder, kernel, builder.input, write)
    return builder.finish()


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
}  # LOOKUP: one argument on a range table, two on a map table


def _table_of(kernel: KernelIR, ins: Instr):
    """The table a LOOKUP or TABLE hint names; False when it names none; None for others."""
    if ins.op is Op.LOOKUP:
        t = ins.attr
    elif ins.op is Op.HINT and ins.attr[0] == HintKind.TABLE.value:  # type: ignore[index]
        t = ins.attr[1]  # type: ignore[index]
    else:
        return None
    ok = isinstance(t, int) and 0 <= t < len(kernel.tables)
    if ok and ins.op is Op.HINT and not kernel.tables[t].is_map:
        ok = False
    return kernel.tables[t] if ok else False


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
        table = _table_of(kernel, ins)
        if table is False:
            problems.append(f"#{i} {ins.op.value}: no lookup table {ins.attr!r}")
        elif ins.op is Op.LOOKUP:
            want = 2 if table.is_map else 1  # type: ignore[union-attr]
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
