"""Device calls replayed: a device function's IR recorded once per signature, then re-emitted.

Merkle paths, hash chains and per-layer loops call one device function many times with
arguments that differ only in which SSA values they hold. The merkle example makes 16
Poseidon2 compressions of about 1,900 instructions each, and interpreting each one again from
the same hundred lines was two thirds of its compile time. A call is described by its
*signature*: the function, its template arguments, and for every parameter cell (a scalar, or
each element of an array argument) its int value, or which field value it holds, as a class:
cells that hold the same SSA value share a class, and a class is marked with its constant's
value when it holds one. The interpreter's decisions (loop counts, branches, indices, what it
reports) depend on ints and on which field values are constant, never on anything else about
a field value, so two calls with one signature make the same builder calls, up to renaming
the classes' values.

The second call with a signature is *recorded*: the body runs once more, on a scratch builder
whose placeholders (one opaque INPUT per non-constant class) stand for the arguments, and the
recording keeps the instructions it made, the array cells it wrote (with their locations),
its result and the loop iterations it unrolled. That call and every later one *replays* the
recording (`KernelBuilder.replay`): each instruction goes through the same builder call with
the arguments' values substituted, so it folds and shares exactly as the interpreted call
would, and the kernel comes out identical, instruction for instruction. One thing can differ:
sharing may map a recorded value onto one the caller already has, and a later step may then
fold to a constant where the recording did not (`(a + b) - c` with c the caller's a + b). The
replay notices that (an instruction comes out constant), undoes itself, and the call is
interpreted. The first call is always interpreted, so a function called once costs nothing
more than its signature.

A call is not replayed when anything about it is not captured by this description: a
diagnostic, a limit, facts about bounded integers (`Bounds`, keyed by SSA value), fixed-point
or bounded-integer parameters, kernel inputs read for the first time, instance indices,
lookups, two array arguments on one variable, or more than `MAX_SIGNATURE_CELLS` argument
cells (whose signature would cost more than interpreting a small body).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.frontend import ast
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.limits import MAX_KERNEL_INSTRS
from zkcc.frontend.statements import Interp
from zkcc.frontend.values import (
    FIELD,
    INT,
    VOID,
    FieldV,
    IntV,
    Ref,
    Scope,
    Store,
    Value,
    shape_size,
)
from zkcc.ir.kernel import REPLAYABLE, HintKind, Instr, KernelBuilder, Op
from zkcc.ir.source import SourceLoc

MAX_SIGNATURE_CELLS = 1024
_TABLE_HINT = HintKind.TABLE.value
_UNWRITTEN = SourceLoc("<unwritten>", 0, 0)  # a recorded cell's location until it is written


@dataclass(frozen=True)
class Signature:
    """What a call's recording depends on, compared and hashed as a whole: the function, its
    template arguments, each parameter's `part` (a scalar's int or class; an array's element
    type, kind, shape, constness and cells: ints, or classes with -1 for unassigned), and
    each class's constant (None for a value that is not one). `values`, not compared: the SSA
    value of each class in this call, in order of first appearance."""

    function: str
    template: tuple[int, ...] | None
    parts: tuple[tuple, ...]
    consts: tuple[int | None, ...]
    values: tuple[int, ...] = field(compare=False)


@dataclass(frozen=True)
class Recording:
    """A device call's effects, on a scratch builder's values: its first `setup` values are
    the classes' (`classes[k]` is class k's), the body's instructions follow (`body`).
    `writes`: (parameter, element, cell, location) of each array element the call assigned,
    the cell a scratch value for a field array, the int for an int array. `result`: VOID, an
    `IntV`, or a scratch value (a field result). `unrolled`: loop iterations it ran."""

    classes: tuple[int, ...]
    setup: int
    body: tuple[Instr, ...]
    writes: tuple[tuple[int, int, int, SourceLoc], ...]
    result: Value | int
    unrolled: int


def signature(
    interp: Interp, fn: ast.FuncDecl, scope: Scope, values: tuple[int, ...] | None
) -> Signature | None:
    """The signature of calling `fn` with its parameters bound in `scope`, or None when such
    a call is not replayed."""
    bld, bounds = interp.builder, interp.bounds
    if bld is None or interp.stopped or bounds.facts or bounds.nonneg_bits:  # type: ignore[union-attr]
        return None
    classes: dict[int, int] = {}
    found: list[int] = []

    def cls(cell: int) -> int:
        k = classes.get(cell)
        if k is None:
            k = classes[cell] = len(found)
            found.append(cell)
        return k

    parts: list[tuple] = []
    stores: set[int] = set()
    budget = MAX_SIGNATURE_CELLS
    for p in fn.params:
        ref = scope.names[p.name]
        st = ref.store  # type: ignore[attr-defined]
        if st.poisoned or st.frac is not None or st.elem not in (FIELD, INT):
            return None
        if not ref.shape:  # type: ignore[attr-defined]
            cell = st.cells[0]
            parts.append((cls(cell),) if st.elem == FIELD else (cell,))
            continue
        size = shape_size(ref.shape)  # type: ignore[attr-defined]
        budget -= size
        if budget < 0 or id(st) in stores:
            return None
        stores.add(id(st))
        region = st.cells[ref.offset : ref.offset + size]  # type: ignore[attr-defined]
        if st.elem == FIELD:
            region = [-1 if c is None else cls(c) for c in region]
        parts.append((st.elem, st.kind, ref.shape, ref.const, tuple(region)))  # type: ignore[attr-defined]
    consts = tuple(bld.const_value(v) for v in found)
    return Signature(fn.name, values, tuple(parts), consts, tuple(found))


def record(
    interp: Interp,
    fn: ast.FuncDecl,
    e: ast.Call,
    scope: Scope,
    values: tuple[int, ...] | None,
    sig: Signature,
) -> Recording | None:
    """Run the call on a scratch interpreter and builder and keep its effects; None when the
    call is not replayable after all (it reported something, hit a limit, made facts or an
    instruction a replay cannot make, or returned a value of another type)."""
    bld: KernelBuilder = interp.builder  # type: ignore[assignment]
    scratch = KernelBuilder(bld.kernel.name, [], bld.p, None, bld.lookups, bld.limb_bits)
    sub = type(interp)(Sink(), interp.globals, interp.functions, scratch)
    sub.limits = interp.limits
    sub.call_stack = list(interp.call_stack)
    placed = tuple(
        scratch.input(-1, k) if c is None else scratch.const(c) for k, c in enumerate(sig.consts)
    )
    outer = sub.template_scope(fn, values)
    inner = outer.child()
    arrays: list[tuple[int, Store]] = []
    for k, p in enumerate(fn.params):
        ref: Ref = scope.names[p.name]  # type: ignore[assignment]
        shape, part = ref.shape, sig.parts[k]
        st = ref.store
        if not shape:
            cell = placed[part[0]] if st.elem == FIELD else part[0]
            copy = Store(st.name, st.elem, (), st.kind, st.loc, cells=[cell], locs=[st.locs[0]])
        else:
            cells = part[4]
            if st.elem == FIELD:
                cells = [None if c < 0 else placed[c] for c in cells]
            copy = Store(st.name, st.elem, shape, st.kind, st.loc, st.param, list(cells))
            copy.locs = [_UNWRITTEN] * len(cells)  # type: ignore[list-item]
            arrays.append((k, copy))
        inner.names[p.name] = Ref(copy, 0, shape, ref.text, ref.const)
    setup = len(scratch.kernel.instrs)
    try:
        result = Interp.inline(sub, fn, e, inner, values)  # interpreted, not replayed
    except Abort:
        return None
    finally:
        sub.release()
    body = tuple(scratch.kernel.instrs[setup:])
    clean = not (sub.sink.diagnostics or sub.stopped or sub._truncated)
    if not clean or sub.bounds.facts or sub.bounds.nonneg_bits:  # type: ignore[union-attr]
        return None
    if not all(_replayable(i) for i in body):
        return None
    if type(result) is FieldV:
        kept: Value | int = result.ssa
    elif result is VOID or type(result) is IntV:
        kept = result
    else:
        return None
    writes = tuple(
        (k, j, cell, loc)  # type: ignore[misc]
        for k, copy in arrays
        for j, (cell, loc) in enumerate(zip(copy.cells, copy.locs, strict=True))
        if loc is not _UNWRITTEN
    )
    return Recording(placed, setup, body, writes, kept, sub.unrolled)


def _replayable(ins: Instr) -> bool:
    return ins.op in REPLAYABLE and not (ins.op is Op.HINT and ins.attr[0] == _TABLE_HINT)  # type: ignore[index]


def replay(
    interp: Interp, fn: ast.FuncDecl, scope: Scope, sig: Signature, rec: Recording
) -> Value | None:
    """Make the recorded call's effects in `interp`'s kernel, with this call's values; None,
    with nothing done, when it must be interpreted instead (a limit would be reached on the
    way, or a value folds here as it did not when recorded)."""
    bld: KernelBuilder = interp.builder  # type: ignore[assignment]
    if interp.unrolled + rec.unrolled > interp.limits.unroll:
        return None
    if len(bld.kernel.instrs) + len(rec.body) > MAX_KERNEL_INSTRS:
        return None
    ssa: list[int | None] = [None] * rec.setup
    for k, v in zip(rec.classes, sig.values, strict=True):
        ssa[k] = v
    if not bld.replay(rec.body, ssa):
        return None
    interp.unrolled += rec.unrolled
    for k, j, cell, loc in rec.writes:
        ref: Ref = scope.names[fn.params[k].name]  # type: ignore[assignment]
        st = ref.store
        st.cells[ref.offset + j] = ssa[cell] if st.elem == FIELD else cell
        st.locs[ref.offset + j] = loc
    result = rec.result
    return FieldV(ssa[result]) if type(result) is int else result  # type: ignore[arg-type,return-value]


__all__ = ["MAX_SIGNATURE_CELLS", "Recording", "Signature", "record", "replay", "signature"]
