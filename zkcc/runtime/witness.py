"""Witness generation: evaluate a kernel's IR on all instances of a launch at once.

Instructions are scheduled in *waves*: an instruction's depth is one more than its deepest
operand, and all instructions of one depth and one kind run as a single vectorised operation on
a (instances x values) matrix. So the Python work is per wave, never per gate or per instance.

Hints are computed here (the circuit only checks them). A failing assertion or a division by
zero raises `WitnessError` naming the source line, the kernel, the instance and the values.
The IR knows only hints and zero checks, so what a failure *means* to the user is read from
its shape: an INV hint marked `INV_NOT_EQUAL` is `assert(a != b)` (zero means the sides are
equal, not a division by zero), and a failing recomposition of BIT hints of `x`, made at the
same place as the hints, is `to_bits(x, bits)` given a value too wide for its bits, or, when
x is v + 2^(K-1), a range check of v as an integer of type iK that v overflows. A failing
LOOKUP on a range table reads the same way, through the 16-bit limbs of a wide check
(`KernelBuilder.range_check`).

The lookup columns (zkcc.ir.lookups) are part of the witness: each LOOKUP's key and value
in its column, after the hints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from zkcc.errors import WitnessError
from zkcc.ir.kernel import INV_NOT_EQUAL, RANGE_LIMB_BITS, HintKind, Instr, KernelIR, Op
from zkcc.ir.lookups import LookupLayout
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import fixed_text
from zkcc.ir.types import signed as signed_value


@dataclass
class KernelWitness:
    """What a launch produced: values of output params and the hint values, per instance."""

    outputs: dict[int, np.ndarray]  # param index -> (count, size)
    # (count, hint_count + lookup width): the hints segment's hints in instruction order, then
    # the lookup columns (which hold the other hints: KernelIR.segment_hints)
    hints: np.ndarray


def _schedule(instrs: list[Instr]) -> dict[int, dict[tuple, list[int]]]:
    """depth -> (op, hint attr) -> instruction indices, for value-defining ops above depth 0."""
    depth = [0] * len(instrs)
    waves: dict[int, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, ins in enumerate(instrs):
        if ins.op in (Op.INPUT, Op.CONST, Op.INDEX, Op.ASSERT_ZERO, Op.OUTPUT, Op.LOOKUP):
            continue
        depth[i] = 1 + max(depth[a] for a in ins.args)
        waves[depth[i]][(ins.op, ins.attr if ins.op is Op.HINT else None)].append(i)
    return waves


def _fail(kernel: KernelIR, ins: Instr, instance: int, what: str) -> WitnessError:
    return WitnessError(f"{what} (kernel '{kernel.name}', instance {instance})", ins.loc)


def run_kernel(
    F, kernel: KernelIR, args: list[np.ndarray | None], count: int, first: int = 0
) -> KernelWitness:
    """Evaluate `kernel` on `count` instances. args[i] is the data of input param i: shape
    (count, size) for a split param, (size,) for a broadcast one; None for output params.
    `first` is the launch index of the first of these instances (what `Op.INDEX` reads, and
    what error messages name)."""
    instrs = kernel.instrs
    vals = F.zeros((count, len(instrs)))
    for i, ins in enumerate(instrs):
        if ins.op is Op.CONST:
            vals[:, i] = ins.attr
        elif ins.op is Op.INPUT:
            prm, j = ins.attr  # type: ignore[misc]
            data = args[prm]
            vals[:, i] = data[j] if kernel.params[prm].broadcast else data[:, j]
        elif ins.op is Op.INDEX:
            vals[:, i] = instance_indices(F, first, count)
    for _depth, groups in sorted(_schedule(instrs).items()):
        for (op, attr), idx in groups.items():
            cols = np.array(idx)
            a = vals[:, [instrs[i].args[0] for i in idx]]
            if op is Op.ADD:
                vals[:, cols] = F.add(a, vals[:, [instrs[i].args[1] for i in idx]])
            elif op is Op.SUB:
                vals[:, cols] = F.sub(a, vals[:, [instrs[i].args[1] for i in idx]])
            elif op is Op.MUL:
                vals[:, cols] = F.mul(a, vals[:, [instrs[i].args[1] for i in idx]])
            elif op is Op.NEG:
                vals[:, cols] = F.neg(a)
            else:
                vals[:, cols] = _hint(F, kernel, idx, attr, a, vals, first)
    sites = [i for i, ins in enumerate(instrs) if ins.op is Op.LOOKUP] if kernel.tables else []
    if sites:
        _check_lookups(F, kernel, sites, vals, first)
    _check_constraints(F, kernel, vals, first)
    hint_cols = kernel.segment_hints()
    outputs = {prm: F.zeros((count, p.size)) for prm, p in enumerate(kernel.params) if p.is_output}
    for ins in instrs:
        if ins.op is Op.OUTPUT:
            prm, j = ins.attr  # type: ignore[misc]
            outputs[prm][:, j] = vals[:, ins.args[0]]
    hints = vals[:, hint_cols]
    if sites:
        hints = np.concatenate([hints, _lookup_columns(F, kernel, sites, vals)], axis=1)
    return KernelWitness(outputs=outputs, hints=hints)


def _check_lookups(F, kernel: KernelIR, sites: list[int], vals: np.ndarray, first: int) -> None:
    """Every LOOKUP's key (and value) is a row of its table (`sites`: the LOOKUPs)."""
    for t, table in enumerate(kernel.tables):
        mine = [i for i in sites if kernel.instrs[i].attr == t]
        if not mine:
            continue
        keys = vals[:, [kernel.instrs[i].args[0] for i in mine]]
        bad = keys >= table.rows
        if table.is_map and not bad.any():
            want = F.array(list(table.values))[keys.astype(np.int64)]
            bad = want != vals[:, [kernel.instrs[i].args[1] for i in mine]]
        if bad.any():
            inst, col = (int(v[0]) for v in np.nonzero(bad.T)[::-1])
            ins = kernel.instrs[mine[col]]
            raise _fail(kernel, ins, first + inst, _lookup_failure(F, kernel, ins, vals[inst]))


def _lookup_columns(F, kernel: KernelIR, sites: list[int], vals: np.ndarray) -> np.ndarray:
    """Each LOOKUP's key (and value) in its lookup column (zkcc.ir.lookups)."""
    tables = np.array([kernel.instrs[i].attr for i in sites], dtype=np.int64)
    layout = LookupLayout.of_tables(tables, kernel.tables)
    out = F.zeros((len(vals), layout.width))
    args = [kernel.instrs[i].args for i in sites]
    out[:, layout.key_column] = vals[:, [a[0] for a in args]]
    has_value = layout.value_column >= 0
    out[:, layout.value_column[has_value]] = vals[:, [a[1] for a in args if len(a) == 2]]
    return out


def _lookup_failure(F, kernel: KernelIR, ins: Instr, row: np.ndarray) -> str:
    """What a failing LOOKUP means: a key outside a map table, or a range check, read through
    the limbs of a wide one (a key that is the QUOT hint of x by 2^w checks x's top bits) and
    the sign split of a signed one (zkcc.frontend.bounded)."""
    table = kernel.tables[ins.attr]  # type: ignore[index]
    key = ins.args[0]
    if table.is_map:
        return f"lookup: key {int(row[key])} is outside the table of {table.rows} entries"
    key, bits = _unwound(kernel, key, table.bits)
    signed = _range_checked(kernel, key, bits)
    if signed is not None:
        return _type_overflow(F, int(row[signed]), bits, table.frac)
    return f"range check: value {int(row[key])} does not fit in {bits} bits (0..{(1 << bits) - 1})"


def _unwound(kernel: KernelIR, key: int, bits: int) -> tuple[int, int]:
    """The value a range check of `key` in `bits` bits is part of, and its width: read
    through the limbs of a wide check (a key that is the QUOT hint of x by 2^w checks x's top
    bits) and the sign split of a signed one (zkcc.frontend.bounded), whether the limbs are
    LOOKUPs or, expanded (zkcc.ir.passes.expand_lookups), bits."""
    while True:
        ins = kernel.instrs[key]
        if ins.op is Op.HINT and _limb_divisor(ins.attr):
            key, bits = ins.args[0], bits + ins.attr[1].bit_length() - 1  # x's high limb
        elif (whole := _sign_split_of(kernel, key, bits)) is not None:
            key, bits = whole, bits + 1  # x - 2^bits s for x's top bit s
        else:
            return key, bits


def instance_indices(F, first: int, count: int) -> np.ndarray:
    """What `Op.INDEX` reads in launch instances first .. first+count-1: their numbers."""
    return F.array(np.arange(first, first + count, dtype=np.int64))


def _hint(
    F, kernel: KernelIR, idx: list[int], attr, x: np.ndarray, vals: np.ndarray, first: int
) -> np.ndarray:
    kind, param = HintKind(attr[0]), attr[1]
    if kind is HintKind.BIT:
        return F.array((x >> param) & 1)
    if kind is HintKind.QUOT:
        return F.array(x // param)
    if kind is HintKind.TABLE:  # a key outside the table is reported by its LOOKUP
        values = kernel.tables[param].values
        keys = np.where(x < len(values), x, 0).astype(np.int64)  # type: ignore[arg-type]
        return F.array(list(values))[keys]  # type: ignore[arg-type]
    if kind is HintKind.INV:
        zero = x == 0
        if zero.any():
            inst, col = (int(v[0]) for v in np.nonzero(zero))
            ins = kernel.instrs[idx[col]]
            what = "division by zero"
            if param == INV_NOT_EQUAL:
                diff = kernel.instrs[ins.args[0]]  # a - b, or what it folded to when a or b is 0
                both = int(vals[inst, diff.args[0]]) if diff.op is Op.SUB else 0
                what = f"assertion failed: both sides are {both}"
            raise _fail(kernel, ins, first + inst, what)
    return F.inv(x)


def _bits_of(kernel: KernelIR, x: int, loc: SourceLoc | None) -> int:
    """How many BIT hints of value `x` were made at `loc`: the width of a `to_bits` there (0
    when the check at `loc` is not a to_bits recomposition)."""
    bits = [
        ins.attr[1]  # type: ignore[index]
        for ins in kernel.instrs
        if ins.op is Op.HINT
        and ins.attr[0] == HintKind.BIT.value  # type: ignore[index]
        and ins.args == (x,)
        and ins.loc == loc
    ]
    return max(bits) + 1 if bits else 0


def _range_checked(kernel: KernelIR, x: int, n: int) -> int | None:
    """The value v when `x` is v + 2^(n-1): the bits of x are then a range check of v as an
    n-bit signed integer (zkcc.frontend.bounded); None otherwise."""
    ins = kernel.instrs[x]
    if ins.op is not Op.ADD:
        return None
    for a, b in (ins.args, ins.args[::-1]):
        c = kernel.instrs[b]
        if c.op is Op.CONST and c.attr == 1 << (n - 1):
            return a
    return None


def _limb_divisor(attr) -> bool:
    """Whether a hint divides by 2^w for a limb width w (KernelBuilder.range_check)."""
    kind, param = attr
    return (
        kind == HintKind.QUOT.value and param & (param - 1) == 0 and param <= 1 << RANGE_LIMB_BITS
    )


def _sign_split_of(kernel: KernelIR, rest: int, m: int) -> int | None:
    """x when `rest` is x - 2^m s for s the BIT hint m of x (zkcc.frontend.bounded's sign
    split with lookups); None otherwise."""
    ins = kernel.instrs[rest]
    if ins.op is not Op.SUB:
        return None
    x, prod = ins.args
    mul = kernel.instrs[prod]
    if mul.op is not Op.MUL:
        return None
    for c, s in (mul.args, mul.args[::-1]):
        const, bit = kernel.instrs[c], kernel.instrs[s]
        if (
            const.op is Op.CONST
            and const.attr == 1 << m
            and bit.op is Op.HINT
            and bit.attr == (HintKind.BIT.value, m)
            and bit.args == (x,)
        ):
            return x
    return None


def _type_overflow(F, v: int, n: int, frac: int | None) -> str:
    """v (a field element) does not fit iK (K = n), or fxK.F for the stored integer of an
    fxK.F value (F = frac): said in the type's terms."""
    v = signed_value(v, F.p)
    lo, hi = -(1 << (n - 1)), (1 << (n - 1)) - 1
    if frac is None:
        return f"value {v} does not fit i{n}, whose range is {lo}..{hi}"
    real, rlo, rhi = (fixed_text(x, frac) for x in (v, lo, hi))
    return f"value {real} (stored {v}) does not fit fx{n}.{frac}, whose range is {rlo}..{rhi}"


def _check_constraints(F, kernel: KernelIR, vals: np.ndarray, first: int) -> None:
    sinks = [i for i, ins in enumerate(kernel.instrs) if ins.op is Op.ASSERT_ZERO]
    if not sinks:
        return
    residues = vals[:, [kernel.instrs[i].args[0] for i in sinks]]
    bad = np.nonzero(residues != 0)
    if len(bad[0]) == 0:
        return
    order = np.lexsort((bad[0], bad[1]))  # first failing constraint, then first instance
    inst, col = int(bad[0][order[0]]), int(bad[1][order[0]])
    ins = kernel.instrs[sinks[col]]
    checked = kernel.instrs[ins.args[0]]
    n = _bits_of(kernel, checked.args[1], ins.loc) if checked.op is Op.SUB else 0
    whole, width = _unwound(kernel, checked.args[1], n) if n else (None, 0)
    signed = _range_checked(kernel, whole, width) if n else None
    if signed is not None:  # a range check of an iK value: x = v + 2^(K-1) in K bits
        what = _type_overflow(F, int(vals[inst, signed]), width, ins.attr)  # type: ignore[arg-type]
    elif n:
        value = int(vals[inst, checked.args[1]])
        what = f"to_bits: value {value} does not fit in {n} bits, which hold 0..{(1 << n) - 1}"
    elif checked.op is Op.SUB:
        lhs, rhs = (int(vals[inst, a]) for a in checked.args)
        what = f"assertion failed: {lhs} != {rhs}"
    elif (b := _boolean_checked(kernel, checked)) is not None:
        value = signed_value(int(vals[inst, b]), F.p)
        what = f"value {value} is not 0 or 1 (its b * (b - 1) == 0 check: a select condition, say)"
    else:
        what = f"constraint failed: value {int(vals[inst, ins.args[0]])} is not zero"
    more = len(bad[0]) - 1
    tail = f"; {more} more failure{'s' if more > 1 else ''}" if more else ""
    raise _fail(kernel, ins, first + inst, what + tail)


def _boolean_checked(kernel: KernelIR, ins: Instr) -> int | None:
    """The value b when the checked instruction `ins` is b (b - 1), the constraint that b is
    0 or 1 (a `select` condition's, or a program's own `assert(b * (b - 1) == 0)`: the
    compiler's booleans come from hints it computes); None otherwise."""
    if ins.op is not Op.MUL:
        return None
    for a, d in (ins.args, ins.args[::-1]):
        sub = kernel.instrs[d]
        if sub.op is Op.SUB and sub.args[0] == a:
            one = kernel.instrs[sub.args[1]]
            if one.op is Op.CONST and one.attr == 1:
                return a
    return None
