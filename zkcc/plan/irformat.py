"""Serialisation of kernel IR and host graphs inside plan files (see zkcc/encoding.py).

Instructions are stored column-wise: one op code byte and three int64 operands each, plus a
table of constants and a table of source locations, so a kernel of 10^5 instructions is a few
byte strings rather than 10^5 tree nodes. Decoding re-checks SSA order and every index.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np

from zkcc.budget import MAX_TENSOR, check_kernel_size
from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError
from zkcc.ir.host import AssertEq, HostGraph, Launch, Tensor, TensorKind, View
from zkcc.ir.kernel import (
    MAX_FRAC,
    MAX_TABLE_ROWS,
    MAX_TABLES,
    RANGE_LIMB_BITS,
    SINKS,
    DeferredInstrs,
    HintKind,
    Instr,
    KernelIR,
    LookupTable,
    Op,
    Param,
    hint_param_range,
)
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import fixed_frac, int_type_bits
from zkcc.lower.columns import OP_CODES, IRColumns, op_codes, operand_table

OPS = list(Op)
HINTS = list(HintKind)
HINT_PARAM_RANGES = np.array([hint_param_range(k) for k in HINTS], dtype=np.int64)
MAX_DIMS = 8
MAX_COUNT = MAX_TENSOR  # any one dimension; zkcc.budget bounds the products


def _loc_tree(loc: SourceLoc | None) -> Tree:
    """[file, line, col, end_col, call]: `call` the same without a call of its own, or None."""
    if loc is None:
        return None
    return [loc.file, loc.line, loc.col, loc.end_col, _loc_tree(loc.call)]


def _loc_from(s: Schema, outer: bool = True) -> SourceLoc | None:
    if s.tree is None:
        return None
    f, line, col, end, call = s.list(5, 5)
    site = _loc_from(call, False) if outer else None
    if not outer and call.tree is not None:
        raise FormatError(f"{call.path}: a call's location has no call of its own")
    return SourceLoc(f.str(), line.int(0), col.int(0), end.int(0), site)


def kernel_to_tree(k: KernelIR) -> Tree:
    consts: dict[int, int] = {}
    locs: dict[SourceLoc | None, int] = {}
    ops = op_codes(k.instrs).tobytes()
    operands = operand_table(k.instrs, consts)
    loc_idx = np.array([locs.setdefault(ins[3], len(locs)) for ins in k.instrs], dtype="<i4")
    return {
        "name": k.name,
        "backend": k.backend,
        "loc": _loc_tree(k.loc),
        "params": [[p.name, list(p.shape), p.is_output, p.broadcast] for p in k.params],
        "ops": ops,
        "operands": operands.tobytes(),
        "consts": list(consts),
        "locs": [_loc_tree(loc) for loc in locs],
        "loc_index": loc_idx.tobytes(),
        "tables": [[t.bits, t.values and list(t.values), t.frac] for t in k.tables],
    }


def _table_from(s: Schema, p: int) -> LookupTable:
    """A checked lookup table: a range table of 1..RANGE_LIMB_BITS bits, or a map table of
    1..MAX_TABLE_ROWS reduced values whose `bits` is its keys' width."""
    bits, values, frac = s.list(3, 3)
    if values.tree is None:
        f = None if frac.tree is None else frac.int(0, MAX_FRAC)
        return LookupTable(bits.int(1, RANGE_LIMB_BITS), None, f)
    table = LookupTable.of_values(tuple(v.int(0, p - 1) for v in values.list(1, MAX_TABLE_ROWS)))
    if bits.int() != table.bits or frac.tree is not None:
        raise FormatError(f"{s.path}: a map table's width is that of its keys, with no F")
    return table


def _shape(s: Schema) -> tuple[int, ...]:
    return tuple(d.int(1, MAX_COUNT) for d in s.list(0, MAX_DIMS))


def kernel_from_tree(s: Schema, p: int) -> KernelIR:
    return kernel_columns_from_tree(s, p)[0]


def kernel_columns_from_tree(s: Schema, p: int) -> tuple[KernelIR, IRColumns]:
    """A checked kernel and its instructions as the columns it was stored in (what the
    vectorised lowering reads). Every instruction is checked here; the kernel's `Instr`s are
    built from the columns on first use (`KernelIR.deferred`)."""
    s.dict(
        {"name", "backend", "loc", "params", "ops", "operands", "consts", "locs", "loc_index"}
        | {"tables"}
    )
    tables = [_table_from(t, p) for t in s.field("tables").list(0, MAX_TABLES)]
    params = []
    for ps in s.field("params").list(0, 1 << 16):
        name, shape, is_out, bc = ps.list(4, 4)
        params.append(Param(name.str(), _shape(shape), is_out.bool(), bc.bool()))
    ops = s.field("ops").bytes()
    n = len(ops)
    check_kernel_size(s.path, n, [prm.size for prm in params])
    stored = np.frombuffer(s.field("operands").bytes(length=24 * n), dtype="<i8").reshape(n, 3)
    # column-major (one transposing copy): each operand column contiguous for the checks
    # and the lowering, which read them one at a time
    operands = np.ascontiguousarray(stored.T, dtype=np.int64).T
    consts = [c.int(0, p - 1) for c in s.field("consts").list(0, n)]
    locs = [_loc_from(x) for x in s.field("locs").list(0, n)]
    loc_index = np.frombuffer(s.field("loc_index").bytes(length=4 * n), dtype="<i4")
    codes = np.frombuffer(ops, dtype=np.uint8)
    if not _instructions_ok(codes, operands, loc_index, params, len(consts), len(locs), tables):
        raise FormatError(f"{s.path}: malformed instruction")
    backend = s.field("backend")
    kernel = KernelIR.deferred(
        s.field("name").str(),
        params,
        DeferredInstrs(
            codes,
            operands[codes == _CODE[Op.LOOKUP]],
            partial(_build_instrs, codes, operands, loc_index, consts, locs),
        ),
        _loc_from(s.field("loc")),
        None if backend.tree is None else backend.str(("gkr", "groth16")),
        tables,
    )
    return kernel, IRColumns(codes, operands, consts)


_CODE = {op: OP_CODES[op] for op in Op}


def _code_mask(ops: Iterable[Op]) -> np.ndarray:
    """A table over op codes, True at those of `ops`: `mask[codes]` is one gather (np.isin
    sorts or compares once per op)."""
    mask = np.zeros(len(OPS), dtype=bool)
    mask[[_CODE[op] for op in ops]] = True
    return mask


_VALUE_A = _code_mask(op for op in Op if op not in (Op.CONST, Op.INPUT, Op.INDEX))  # a: value
_VALUE_B = _code_mask((Op.ADD, Op.SUB, Op.MUL))  # so is b
_SINKS = _code_mask(SINKS)


def _instructions_ok(
    codes: np.ndarray,
    operands: np.ndarray,
    loc_index: np.ndarray,
    params: list[Param],
    n_consts: int,
    n_locs: int,
    tables: list[LookupTable],
) -> bool:
    """Every check `_instr` makes, on all instructions at once: a known op code and location;
    SSA arguments that refer to earlier instructions with a value (not a sink: ASSERT_ZERO,
    OUTPUT); constants in the table; INPUT reading an
    input parameter and OUTPUT writing an output parameter, each within its size; a known
    hint kind with a parameter in its range; an ASSERT_ZERO's F -1 (none) or at most MAX_FRAC;
    a LOOKUP naming a table, with a value exactly when it is a map table, and a TABLE hint
    naming a map table. (Operands an op does not use are not checked.)"""
    n = len(codes)
    if n == 0:
        return True
    if int(codes.max()) >= len(OPS) or not (
        int(loc_index.min()) >= 0 and int(loc_index.max()) < n_locs
    ):
        return False
    a, b, c = operands[:, 0], operands[:, 1], operands[:, 2]
    position = np.arange(n, dtype=np.int64)
    ok = True

    def in_range(v: np.ndarray, hi: np.ndarray | int) -> bool:
        return bool(np.all((v >= 0) & (v < hi)))

    value_a = _VALUE_A[codes]
    value_b = _VALUE_B[codes]
    read_a, read_b = a[value_a], b[value_b]
    if not (in_range(read_a, position[value_a]) and in_range(read_b, position[value_b])):
        return False
    sink = _SINKS[codes]  # an ASSERT_ZERO or OUTPUT has no value to read
    ok &= not (sink[read_a].any() or sink[read_b].any())
    ok &= in_range(a[codes == _CODE[Op.CONST]], n_consts)
    hint = codes == _CODE[Op.HINT]
    ok &= in_range(b[hint], len(HINTS))
    if ok and hint.any():
        bounds = HINT_PARAM_RANGES[b[hint]]
        ok = bool(np.all((c[hint] >= bounds[:, 0]) & (c[hint] <= bounds[:, 1])))
    ok = ok and in_range(b[codes == _CODE[Op.ASSERT_ZERO]] + 1, MAX_FRAC + 2)
    is_map = np.array([t.is_map for t in tables], dtype=bool)
    lookup = codes == _CODE[Op.LOOKUP]
    table_hint = hint & (b == HINTS.index(HintKind.TABLE))
    if not (in_range(c[lookup], len(tables)) and in_range(c[table_hint], len(tables))):
        return False
    has_value = b[lookup] >= 0
    ok = ok and in_range(b[lookup][has_value], position[lookup][has_value])
    ok = ok and bool(np.all(is_map[c[lookup]] == has_value) and np.all(is_map[c[table_hint]]))
    ok = ok and not sink[b[lookup][has_value]].any()
    is_out = np.array([prm.is_output for prm in params], dtype=bool)
    sizes = np.array([prm.size for prm in params], dtype=np.int64)
    for op, prm, j in ((Op.INPUT, a, b), (Op.OUTPUT, b, c)):
        sel = codes == _CODE[op]
        prm, j = prm[sel], j[sel]
        if len(prm) == 0:
            continue
        if not in_range(prm, len(params)):
            return False
        ok &= bool(np.all(is_out[prm] == (op is Op.OUTPUT))) and in_range(j, sizes[prm])
    return bool(ok)


def _build_instrs(
    codes: np.ndarray,
    operands: np.ndarray,
    loc_index: np.ndarray,
    consts: list[int],
    locs: list[SourceLoc | None],
) -> list[Instr]:
    """The checked columns as `Instr`s. Each field is an object array filled per op group by
    numpy (the tuples made in C by zip), then one tuple per instruction: no Python-level
    statement runs per instruction."""
    n = len(codes)
    a, b, c = (operands[:, k] for k in range(3))
    args = np.empty(n, dtype=object)
    args.fill(())
    attrs = np.full(n, None, dtype=object)

    def fill(out: np.ndarray, ops: tuple[Op, ...], *columns: np.ndarray) -> None:
        sel = np.flatnonzero(np.isin(codes, [_CODE[op] for op in ops]))
        picked = [col[sel].tolist() for col in columns]
        out[sel] = _objects(zip(*picked, strict=True), len(sel))

    fill(args, (Op.ADD, Op.SUB, Op.MUL), a, b)
    sel = np.flatnonzero((codes == _CODE[Op.LOOKUP]) & (b >= 0))
    args[sel] = _objects(zip(a[sel].tolist(), b[sel].tolist(), strict=True), len(sel))
    sel = np.flatnonzero((codes == _CODE[Op.LOOKUP]) & (b < 0))
    args[sel] = _objects(((x,) for x in a[sel].tolist()), len(sel))
    sel = np.flatnonzero(codes == _CODE[Op.LOOKUP])
    attrs[sel] = _objects(c[sel].tolist(), len(sel))
    fill(args, (Op.NEG, Op.ASSERT_ZERO, Op.OUTPUT, Op.HINT), a)
    fill(attrs, (Op.INPUT,), a, b)
    fill(attrs, (Op.OUTPUT,), b, c)
    sel = np.flatnonzero(codes == _CODE[Op.CONST])
    attrs[sel] = _objects(consts, len(consts))[a[sel]]
    sel = np.flatnonzero(codes == _CODE[Op.HINT])
    if len(sel):
        kinds = _objects((k.value for k in HINTS), len(HINTS))[b[sel]].tolist()
        attrs[sel] = _objects(zip(kinds, c[sel].tolist(), strict=True), len(sel))
    sel = np.flatnonzero((codes == _CODE[Op.ASSERT_ZERO]) & (b >= 0))
    attrs[sel] = _objects(b[sel].tolist(), len(sel))  # the F of a fixed-point range check
    op_of = _objects(OPS, len(OPS))[codes].tolist()
    loc_of = _objects(locs, len(locs))[loc_index].tolist() if locs else [None] * n
    return list(map(Instr.make, zip(op_of, args.tolist(), attrs.tolist(), loc_of, strict=True)))  # type: ignore[attr-defined]


def _objects(items: Iterable, count: int) -> np.ndarray:
    """A 1-d object array of `count` items (np.array would unpack tuples into a second axis)."""
    return np.fromiter(items, dtype=object, count=count)


def decode_instrs_reference(
    codes: bytes,
    operands: np.ndarray,
    loc_index: np.ndarray,
    params: list[Param],
    consts: list[int],
    locs: list[SourceLoc | None],
    bad: FormatError,
    tables: list[LookupTable] | None = None,
) -> list[Instr]:
    """The per-instruction decoder that `_instructions_ok` and `_build_instrs` replace, kept as
    their readable reference (tests hold the fast version against it)."""
    instrs: list[Instr] = []
    for i in range(len(codes)):
        if codes[i] >= len(OPS) or not 0 <= loc_index[i] < len(locs):
            raise bad
        op, (a, b, c), loc = OPS[codes[i]], (int(x) for x in operands[i]), locs[loc_index[i]]
        ins = _instr(op, a, b, c, i, params, consts, loc, bad, tables or [])
        if any(instrs[v].op in SINKS for v in ins.args):
            raise bad
        instrs.append(ins)
    return instrs


def _instr(
    op: Op,
    a: int,
    b: int,
    c: int,
    i: int,
    params: list[Param],
    consts: list[int],
    loc: SourceLoc | None,
    bad: FormatError,
    tables: list[LookupTable],
) -> Instr:
    def value(v: int) -> int:
        if not 0 <= v < i:
            raise bad
        return v

    def element(prm: int, j: int, output: bool) -> tuple[int, int]:
        if not 0 <= prm < len(params) or params[prm].is_output != output:
            raise bad
        if not 0 <= j < params[prm].size:
            raise bad
        return (prm, j)

    if op is Op.CONST:
        if not 0 <= a < len(consts):
            raise bad
        return Instr(op, (), consts[a], loc)
    if op is Op.INPUT:
        return Instr(op, (), element(a, b, False), loc)
    if op is Op.INDEX:
        return Instr(op, (), None, loc)
    if op is Op.OUTPUT:
        return Instr(op, (value(a),), element(b, c, True), loc)
    if op is Op.HINT:
        if not 0 <= b < len(HINTS):
            raise bad
        lo, hi = hint_param_range(HINTS[b])
        if not lo <= c <= hi:
            raise bad
        if HINTS[b] is HintKind.TABLE and not (c < len(tables) and tables[c].is_map):
            raise bad
        return Instr(op, (value(a),), (HINTS[b].value, c), loc)
    if op is Op.LOOKUP:
        if not 0 <= c < len(tables) or tables[c].is_map != (b >= 0):
            raise bad
        return Instr(op, (value(a), value(b)) if b >= 0 else (value(a),), c, loc)
    if op in (Op.ADD, Op.SUB, Op.MUL):
        return Instr(op, (value(a), value(b)), None, loc)
    if op is Op.ASSERT_ZERO:
        if not -1 <= b <= MAX_FRAC:
            raise bad
        return Instr(op, (value(a),), None if b < 0 else b, loc)
    return Instr(op, (value(a),), None, loc)


def host_to_tree(h: HostGraph) -> Tree:
    steps = []
    for st in h.steps:
        if isinstance(st, Launch):
            steps.append({"launch": [st.kernel, st.count, list(st.args)], "loc": _loc_tree(st.loc)})
        else:
            steps.append({"assert_eq": [st.a, st.b], "loc": _loc_tree(st.loc)})
    return {
        "tensors": [
            [t.name, list(t.shape), t.kind.value, _loc_tree(t.loc), t.elem] for t in h.tensors
        ],
        "views": [
            [v.name, v.base, list(v.shape), list(v.index), _loc_tree(v.loc)] for v in h.views
        ],
        "steps": steps,
    }


def _elem(s: Schema) -> str:
    """A tensor's element type: "field", "iK" or "fxK.F" with 1 <= K <= 253 (the widest in
    bn254; the plan's field is checked against it by the front end that wrote the plan) and
    0 <= F <= K."""
    text = s.str()
    bits = int_type_bits(text)
    frac = fixed_frac(text)
    canonical = f"i{bits}" if frac is None else f"fx{bits}.{frac}"
    if text != "field" and (
        bits is None or not 1 <= bits <= 253 or text != canonical or (frac or 0) > bits
    ):
        raise FormatError(f"{s.path}: unknown element type {text!r}")
    return text


def host_from_tree(s: Schema) -> HostGraph:
    s.dict({"tensors", "views", "steps"})
    kinds = tuple(k.value for k in TensorKind)
    tensors = []
    for ts in s.field("tensors").list(0, 1 << 16):
        name, shape, kind, loc, elem = ts.list(5, 5)
        kind_ = TensorKind(kind.str(kinds))
        tensors.append(Tensor(name.str(), _shape(shape), kind_, _loc_from(loc), _elem(elem)))
    views = []
    for vs in s.field("views").list(0, 1 << 16):
        name, base, shape, index, loc = vs.list(5, 5)
        at = tuple(i.int(0, MAX_COUNT) for i in index.list(0, MAX_DIMS))
        views.append(View(name.str(), base.str(), _shape(shape), _loc_from(loc), at))
    steps: list[Launch | AssertEq] = []
    for st in s.field("steps").list(0, 1 << 20):
        d = st.dict()
        if "launch" in d:
            st.dict({"launch", "loc"})
            k, count, args = st.field("launch").list(3, 3)
            steps.append(
                Launch(
                    k.str(),
                    count.int(1, MAX_COUNT),
                    tuple(a.str() for a in args.list(0, 1 << 16)),
                    _loc_from(st.field("loc")),
                )
            )
        else:
            st.dict({"assert_eq", "loc"})
            a, b = st.field("assert_eq").list(2, 2)
            steps.append(AssertEq(a.str(), b.str(), _loc_from(st.field("loc"))))
    return HostGraph(tensors, views, steps)
