"""Kernel IR: straight-line SSA over a prime field, with hints explicit.

A kernel body, after loops are unrolled, device functions inlined and compile-time values folded,
is a list of `Instr`. Every instruction defines one SSA value (its index in the list), except
`ASSERT_ZERO` and `OUTPUT`, which are sinks. A compiled kernel is a *relation*: it reads its input
parameters, its output parameters and its hint values, and its constraints are

    * every `ASSERT_ZERO(v)`: v == 0,
    * every `OUTPUT(param, j)(v)`: out[param][j] - v == 0,
    * what each hint kind implies (see `HintKind`), emitted as ordinary `ASSERT_ZERO`s by the
      front end, so the backends never need to know what a hint computed.

`KernelBuilder` constructs the list with structural sharing (identical instructions are created
once: common-subexpression elimination for free) and folds constants as it goes.
"""

from __future__ import annotations

import enum
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from operator import itemgetter

import numpy as np

from zkcc.ir.source import SourceLoc


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a block with Python's cyclic garbage collector off. Compiling, decoding and
    lowering a kernel allocate millions of small acyclic objects (instructions, values, linear
    forms); each collection of the oldest generation walks all of them, which made those
    stages superlinear in the kernel's size (a third of the time at 5 * 10^5 instructions).
    Reference counting still frees everything; the collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Op(enum.Enum):
    INPUT = "input"  # attr = (param index, flat element index); reads an input parameter
    CONST = "const"  # attr = field element (int in [0, p))
    ADD = "add"  # args = (a, b)
    SUB = "sub"  # args = (a, b)
    MUL = "mul"  # args = (a, b)
    NEG = "neg"  # args = (a,)
    HINT = "hint"  # attr = (HintKind value, int parameter); args = operands; value is prover-chosen
    # args = (a,); sink; attr = None, or F when it closes the range check of a value of a
    # fixed-point type fxK.F (only what a failure says depends on it: MAX_FRAC at most)
    ASSERT_ZERO = "assert_zero"
    OUTPUT = "output"  # attr = (param index, flat element index); args = (value,); sink
    INDEX = "index"  # no args or attr: this instance's number in its launch, a public input
    # args = (key,) or (key, value); sink; attr = index in KernelIR.tables of the table whose
    # rows must include (key,) or (key, value) (`LookupTable`)
    LOOKUP = "lookup"


INV_NOT_EQUAL = 1  # the param of an INV hint that proves `assert(a != b)`
MAX_FRAC = 253  # the largest F an ASSERT_ZERO names (the widest fixed-point type is fx253.253)


class HintKind(enum.Enum):
    """What the witness generator computes for a HINT; the front end adds the checks.

    INV   1/x. Witness generation fails (naming the source line) when x == 0.
          Front end adds: x * h - 1 == 0. `param` says why the inverse must exist, for the
          message on failure: 0 a division, INV_NOT_EQUAL an `assert(a != b)` (x = a - b).
    INV0  1/x, or 0 when x == 0 (for is_zero: z = 1 - x*h with x*z == 0).
    BIT   bit number `param` of x read as an integer in [0, p).
          Front end adds: b*(b-1) == 0 and the recomposition sum == x.
    QUOT  floor(x / param) for x read as an integer in [0, p), 1 <= param <= MAX_QUOT (a
          fixed-point rescale or a division by a constant). Front end adds: the remainder
          x - param*q is in [0, param) and q in a range, so that no other q satisfies them
          (zkcc.frontend.fixed).
    TABLE values[x] of the map table number `param` of the kernel (`LookupTable`), for x read
          as an integer below its length. Front end adds: LOOKUP(x, h) on that table.
    """

    INV = "inv"
    INV0 = "inv0"
    BIT = "bit"
    QUOT = "quot"
    TABLE = "table"


MAX_HINT_PARAM = 255  # the param of INV, INV0 and BIT (a bit number, or why an inverse exists)
MAX_QUOT = (1 << 62) - 1  # the divisor of a QUOT hint: a plan stores it as an int64


def hint_param_range(kind: HintKind) -> tuple[int, int]:
    """The smallest and largest param a hint of `kind` may have (plan readers refuse others:
    a QUOT divides by its param, a TABLE names a table, which plan readers check too)."""
    if kind is HintKind.TABLE:
        return (0, MAX_TABLES - 1)
    return (1, MAX_QUOT) if kind is HintKind.QUOT else (0, MAX_HINT_PARAM)


MAX_TABLES = 255  # lookup tables per kernel (a TABLE hint names one by its param)
RANGE_LIMB_BITS = 16  # a range table's widest key; a wider range check is split into limbs
MAX_TABLE_ROWS = 1 << 16  # a map table's longest list of values


def range_limbs(bits: int, limb_bits: int) -> list[int]:
    """The widths, low limb first, a `bits`-wide range check splits into: as few limbs of at
    most `limb_bits` as it takes, as equal as they can be (the top one narrower)."""
    limbs = -(-bits // limb_bits)
    width = -(-bits // limbs)
    out = []
    while bits > width:
        out.append(width)
        bits -= width
    return [*out, bits]


@dataclass(frozen=True)
class LookupTable:
    """A table a kernel's LOOKUPs read. A range table (`values` None) has the rows
    (0,) .. (2^bits - 1,); a map table has the rows (j, values[j]) for j below its length,
    bits = the keys' width. `frac` only says how a failing range check reads to the user (the
    checked value is the stored integer of an fxK.F value, F = frac); tables that differ in it
    are different tables. GKR proves lookups with LogUp (zkcc/backends/gkr/fraction.py,
    zkcc/runtime/lookups.py); elsewhere `zkcc.ir.passes.expand_lookups` turns them into bits."""

    bits: int
    values: tuple[int, ...] | None = None
    frac: int | None = None

    @staticmethod
    def of_values(values: tuple[int, ...]) -> LookupTable:
        return LookupTable(max(1, (len(values) - 1).bit_length()), values)

    @property
    def rows(self) -> int:
        return (1 << self.bits) if self.values is None else len(self.values)

    @property
    def is_map(self) -> bool:
        return self.values is not None


SINKS = (Op.ASSERT_ZERO, Op.OUTPUT, Op.LOOKUP)
_ARITH = (Op.ADD, Op.SUB, Op.MUL, Op.NEG)
# What `KernelBuilder.replay` emits: all that a device function's body makes, except what reads
# the kernel's own state (its inputs, its instance index, its tables) or ends it (OUTPUT). A
# TABLE hint, which names a table, is refused by the recorder (zkcc.frontend.replay).
REPLAYABLE = frozenset((Op.CONST, Op.ADD, Op.SUB, Op.MUL, Op.NEG, Op.HINT, Op.ASSERT_ZERO))
_ADD, _SUB, _MUL = Op.ADD, Op.SUB, Op.MUL


class Instr(tuple):
    """One instruction: `op`, `args` (SSA indices), `attr` (see `Op`) and `loc`.

    An immutable tuple (op, args, attr, loc) with named fields rather than a frozen dataclass:
    kernels hold up to 10^6 of them and a plan reader builds every one, so construction cost
    matters (a tuple is made in C; `Instr.make` skips even the Python-level `__new__`).
    Equality and hashing ignore `loc`, as two instructions computing the same value are the
    same instruction wherever they came from.
    """

    __slots__ = ()

    def __new__(
        cls, op: Op, args: tuple[int, ...] = (), attr: object = None, loc: SourceLoc | None = None
    ) -> Instr:
        return tuple.__new__(cls, (op, args, attr, loc))

    op: Op = property(itemgetter(0))  # type: ignore[assignment]
    args: tuple[int, ...] = property(itemgetter(1))  # type: ignore[assignment]
    attr: object = property(itemgetter(2))
    loc: SourceLoc | None = property(itemgetter(3))  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instr):
            return NotImplemented
        return self[0] is other[0] and self[1] == other[1] and self[2] == other[2]

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash((self[0].value, self[1], self[2]))

    def __repr__(self) -> str:
        return f"Instr(op={self[0]!r}, args={self[1]!r}, attr={self[2]!r}, loc={self[3]!r})"

    def __reduce__(self) -> tuple:
        return (Instr, tuple(self))


# `_make((op, args, attr, loc))`: an Instr built by tuple.__new__ from C (a fraction of the
# cost of calling the class), for the builder and the plan decoder.
_make: Callable[[tuple], Instr] = partial(tuple.__new__, Instr)  # type: ignore[assignment]
Instr.make = staticmethod(_make)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Param:
    """A kernel parameter. `shape` is the per-instance shape; `broadcast` means one array shared
    by all instances instead of a slice per instance; `is_output` params are filled by the
    prover and checked by the OUTPUT constraints."""

    name: str
    shape: tuple[int, ...]
    is_output: bool
    broadcast: bool

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True, eq=False)
class DeferredInstrs:
    """Instructions a plan reader has checked but not yet built as `Instr`s: their op codes
    (each `Op`'s position in the enum) and a function that builds the list. Loading a plan
    needs the circuit, which is lowered from the stored columns, and counts of ops; only the
    prover's witness generator and the R1CS builder read `Instr`s, and building half a
    million of them was half of loading a large plan."""

    codes: np.ndarray  # uint8 (n,)
    lookups: np.ndarray  # int64 (L, 3): each LOOKUP's (key, value or -1, table), in order
    build: Callable[[], list[Instr]]


OP_CODES = {op: i for i, op in enumerate(Op)}  # an op's code in plans and column arrays


@dataclass
class KernelIR:
    """A kernel: its parameters, instructions and lookup tables. `instrs` is an ordinary
    list; a plan reader may leave it unbuilt (`KernelIR.deferred`) until it is first read."""

    name: str
    params: list[Param]
    instrs: list[Instr]
    loc: SourceLoc | None = None
    backend: str | None = None  # an explicit request from the source ("gkr"/"groth16"), if any
    tables: list[LookupTable] = field(default_factory=list)  # what LOOKUPs and TABLE hints name

    @staticmethod
    def deferred(
        name: str,
        params: list[Param],
        pending: DeferredInstrs,
        loc: SourceLoc | None = None,
        backend: str | None = None,
        tables: list[LookupTable] | None = None,
    ) -> KernelIR:
        """A kernel whose `instrs` are built by `pending.build` on first read."""
        kernel = KernelIR(name, params, [], loc, backend, [] if tables is None else tables)
        kernel.__dict__["_pending"] = pending
        return kernel

    @property
    def built(self) -> bool:
        """Whether `instrs` exists as a list (always, unless a plan reader deferred it)."""
        return "_pending" not in self.__dict__

    def instr_count(self) -> int:
        """len(self.instrs), without building deferred instructions."""
        pending = self.__dict__.get("_pending")
        return len(self.instrs) if pending is None else len(pending.codes)

    def op_count(self, op: Op) -> int:
        """How many instructions are `op`, without building deferred instructions. Kept per
        op and instruction count (a kernel grows while it is built, and never changes after):
        the planner asks per launch, and a host loop launches a kernel thousands of times."""
        counts = self.__dict__.setdefault("_op_counts", {})
        key = (op, self.instr_count())
        known = counts.get(key)
        if known is None:
            pending = self.__dict__.get("_pending")
            if pending is None:
                known = sum(1 for ins in self.instrs if ins[0] is op)
            else:
                known = int(np.count_nonzero(pending.codes == OP_CODES[op]))
            counts[key] = known
        return known

    def hint_count(self) -> int:
        """The hints in the circuit's hints segment: every HINT but those that live in a
        lookup column (`column_hint_checks`)."""
        return self.op_count(Op.HINT) - len(self.column_hint_checks())

    def lookup_operands(self) -> np.ndarray:
        """Each LOOKUP's (key, value or -1, table), in instruction order, without building
        deferred instructions."""
        pending = self.__dict__.get("_pending")
        if pending is not None:
            return pending.lookups
        rows = [
            (ins[1][0], ins[1][1] if len(ins[1]) == 2 else -1, ins[2])
            for ins in self.instrs
            if ins[0] is Op.LOOKUP
        ]
        return np.array(rows, dtype=np.int64).reshape(len(rows), 3)

    def lookup_site_tables(self) -> np.ndarray:
        """The table index of each LOOKUP, in instruction order (what a lookup layout is
        made from), without building deferred instructions."""
        return self.lookup_operands()[:, 2]

    def is_hint(self) -> np.ndarray:
        """Per instruction, whether it is a HINT, without building deferred instructions."""
        pending = self.__dict__.get("_pending")
        if pending is not None:
            return pending.codes == OP_CODES[Op.HINT]
        return np.fromiter((ins[0] is Op.HINT for ins in self.instrs), bool, len(self.instrs))

    def column_hint_checks(self) -> np.ndarray:
        """column_hint_checks of this kernel's instructions."""
        if not self.tables:
            return np.zeros(0, dtype=np.int64)
        return column_hint_checks(self.is_hint(), self.lookup_operands())

    def segment_hints(self) -> np.ndarray:
        """The instruction indices of the hints in the hints segment, in instruction order."""
        return np.flatnonzero(hint_places(self.is_hint(), self.lookup_operands())[1])

    def uses_index(self) -> bool:
        """Whether the kernel reads its instance index (Op.INDEX): only then does its circuit
        get the public index input segment."""
        return self.op_count(Op.INDEX) > 0


def lookup_checks(lookups: np.ndarray) -> np.ndarray:
    """The values a kernel's circuit checks against lookup columns (`lookups` as
    `KernelIR.lookup_operands`): every LOOKUP's key, then every map LOOKUP's value."""
    return np.concatenate([lookups[:, 0], lookups[:, 1][lookups[:, 1] >= 0]])


def column_hint_checks(is_hint: np.ndarray, lookups: np.ndarray) -> np.ndarray:
    """The lookup checks (indices into `lookup_checks`) that hold by construction: a hint that
    a LOOKUP checks (a range check's limb, a table lookup's value) is read from that lookup
    column instead of the hints segment, so the check, two add gates, goes. Each such hint
    takes the first check of it; another check of the same hint stays. It is sound because a
    hint is a free witness value either way: the gates that read it now read the column the
    lookup argument proves."""
    checked = lookup_checks(lookups)
    candidates = np.flatnonzero(is_hint[checked])
    _, first = np.unique(checked[candidates], return_index=True)
    return np.sort(candidates[first])


def hint_places(is_hint: np.ndarray, lookups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(column_hint_checks, per instruction whether it is a hint of the hints segment)."""
    by_column = column_hint_checks(is_hint, lookups)
    in_segment = is_hint.copy()
    in_segment[lookup_checks(lookups)[by_column]] = False
    return by_column, in_segment


def _get_instrs(kernel: KernelIR) -> list[Instr]:
    d = kernel.__dict__
    pending = d.get("_pending")
    if pending is not None:
        with gc_paused():
            d["_instrs"] = pending.build()
        del d["_pending"]
    return d["_instrs"]


def _set_instrs(kernel: KernelIR, instrs: list[Instr]) -> None:
    kernel.__dict__.pop("_pending", None)
    kernel.__dict__.pop("_op_counts", None)  # op_count's, of the list replaced
    kernel.__dict__["_instrs"] = instrs


# After the dataclass is made, so that its __init__, __eq__ and __repr__ go through it.
KernelIR.instrs = property(_get_instrs, _set_instrs)  # type: ignore[assignment]


class KernelBuilder:
    """Builds a `KernelIR` with hash-consing and constant folding.

    Values are SSA indices (ints). Folding rules: constant op constant, x+0, x-0, x*1, x*0, 0-x,
    --x, x-x. Sinks and hints are never shared (each hint is a fresh prover choice).
    """

    def __init__(
        self,
        name: str,
        params: list[Param],
        modulus: int,
        loc: SourceLoc | None = None,
        lookups: bool = False,
        limb_bits: int = RANGE_LIMB_BITS,
    ):
        """`lookups`: range checks and table lookups become LOOKUPs (proved by LogUp in GKR)
        rather than bits (see `range_check`, `table_lookup`); `limb_bits`: the widest range
        table a range check uses (zkcc.ir.lookups.best_limb_bits)."""
        self.p = modulus
        self.lookups = lookups
        self.limb_bits = limb_bits
        self.kernel = KernelIR(name=name, params=params, instrs=[], loc=loc)
        self._instrs = self.kernel.instrs  # appended to, never replaced
        # Hash-consing tables, one per shareable op and keyed without the op: a kernel emits
        # up to 10^6 instructions and this is its innermost loop (no Instr is built for a hit,
        # no enum is hashed: the hot tables are attributes of their own).
        self._memo: dict[Op, dict] = {op: {} for op in (Op.CONST, Op.INPUT, Op.INDEX, *_ARITH)}
        self._const_memo = self._memo[Op.CONST]
        self._add_memo = self._memo[Op.ADD]
        self._sub_memo = self._memo[Op.SUB]
        self._mul_memo = self._memo[Op.MUL]
        self._consts: dict[int, int] = {}  # SSA index of each CONST -> its value
        # The program's call of the other file's function being inlined (the front end sets
        # it): the instructions that can fail at prove time carry it (SourceLoc.call).
        self.call_site: SourceLoc | None = None
        self._called: dict[tuple[SourceLoc, SourceLoc], SourceLoc] = {}

    # -- internals -------------------------------------------------------------------------
    def _emit(self, ins: Instr, share: bool = True) -> int:
        """Append `ins` (or find its earlier copy when `share`) and return its SSA index."""
        if share:
            key = ins.attr if ins.op is Op.CONST or ins.op is Op.INPUT else ins.args
            return self._shared(self._memo[ins.op], key, ins.op, ins.args, ins.attr, ins.loc)
        instrs = self.kernel.instrs
        instrs.append(ins)
        return len(instrs) - 1

    def _checked_at(self, loc: SourceLoc | None) -> SourceLoc | None:
        """The location a hint, assertion or lookup records: `loc` with the call it
        was reached through, if any (one object per pair, so a plan's location table holds
        each once)."""
        site = self.call_site
        if site is None or loc is None:
            return loc
        key = (loc, site)
        found = self._called.get(key)
        if found is None:
            found = self._called[key] = replace(loc, call=site)
        return found

    def _shared(
        self, memo: dict, key: object, op: Op, args: tuple[int, ...], attr: object, loc
    ) -> int:
        idx = memo.get(key)
        if idx is None:
            instrs = self.kernel.instrs
            idx = memo[key] = len(instrs)
            instrs.append(_make((op, args, attr, loc)))
            if op is Op.CONST:
                self._consts[idx] = attr  # type: ignore[assignment]
        return idx

    def const_value(self, v: int) -> int | None:
        """The constant an SSA value holds, or None if it is not a compile-time constant."""
        return self._consts.get(v)

    # -- value constructors ----------------------------------------------------------------
    def const(self, c: int, loc: SourceLoc | None = None) -> int:
        c %= self.p
        idx = self._const_memo.get(c)
        if idx is None:
            return self._shared(self._const_memo, c, Op.CONST, (), c, loc)
        return idx

    def input(self, param: int, index: int, loc: SourceLoc | None = None) -> int:
        key = (param, index)
        return self._shared(self._memo[Op.INPUT], key, Op.INPUT, (), key, loc)

    def index(self, loc: SourceLoc | None = None) -> int:
        """The instance's index in its launch, 0 .. count-1 (one shared value per kernel)."""
        return self._shared(self._memo[Op.INDEX], (), Op.INDEX, (), None, loc)

    # add, sub and mul make most of a kernel's instructions: the lookup in their table and
    # the append are written out in each (a call to `_shared` is a third of their cost)
    def add(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        consts = self._consts
        ca, cb = consts.get(a), consts.get(b)
        if ca is not None or cb is not None:
            if ca is not None and cb is not None:
                return self.const(ca + cb, loc)
            if ca == 0:
                return b
            if cb == 0:
                return a
        if a > b:  # addition commutes: one canonical order shares more
            a, b = b, a
        key = (a, b)
        idx = self._add_memo.get(key)
        if idx is None:
            instrs = self._instrs
            idx = self._add_memo[key] = len(instrs)
            instrs.append(_make((_ADD, key, None, loc)))
        return idx

    def sub(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        consts = self._consts
        ca, cb = consts.get(a), consts.get(b)
        if ca is not None and cb is not None:
            return self.const(ca - cb, loc)
        if cb == 0:
            return a
        if a == b:
            return self.const(0, loc)
        if ca == 0:
            return self.neg(b, loc)
        key = (a, b)
        idx = self._sub_memo.get(key)
        if idx is None:
            instrs = self._instrs
            idx = self._sub_memo[key] = len(instrs)
            instrs.append(_make((_SUB, key, None, loc)))
        return idx

    def mul(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        consts = self._consts
        ca, cb = consts.get(a), consts.get(b)
        if ca is not None or cb is not None:
            if ca is not None and cb is not None:
                return self.const(ca * cb, loc)
            if ca == 0 or cb == 0:
                return self.const(0, loc)
            if ca == 1:
                return b
            if cb == 1:
                return a
        if a > b:
            a, b = b, a
        key = (a, b)
        idx = self._mul_memo.get(key)
        if idx is None:
            instrs = self._instrs
            idx = self._mul_memo[key] = len(instrs)
            instrs.append(_make((_MUL, key, None, loc)))
        return idx

    def neg(self, a: int, loc: SourceLoc | None = None) -> int:
        ca = self._consts.get(a)
        if ca is not None:
            return self.const(-ca, loc)
        ins = self.kernel.instrs[a]
        if ins.op is Op.NEG:
            return ins.args[0]
        key = (a,)
        return self._shared(self._memo[Op.NEG], key, Op.NEG, key, None, loc)

    def hint(
        self, kind: HintKind, args: tuple[int, ...], param: int = 0, loc: SourceLoc | None = None
    ) -> int:
        hint = _make((Op.HINT, args, (kind.value, param), self._checked_at(loc)))
        return self._emit(hint, share=False)

    # -- sinks -------------------------------------------------------------------------------
    def assert_zero(self, a: int, loc: SourceLoc | None = None, frac: int | None = None) -> None:
        """Constrain a == 0. A constant non-zero is left in place: witness generation reports it
        with its source line (the front end may also report it at compile time). `frac`: see
        Op.ASSERT_ZERO."""
        if self._consts.get(a) == 0:
            return
        self._emit(_make((Op.ASSERT_ZERO, (a,), frac, self._checked_at(loc))), share=False)

    def output(self, param: int, index: int, value: int, loc: SourceLoc | None = None) -> None:
        self._emit(_make((Op.OUTPUT, (value,), (param, index), loc)), share=False)

    def lookup(self, table: LookupTable, args: tuple[int, ...], loc: SourceLoc | None) -> None:
        """LOOKUP(args) on `table` (added to the kernel's tables once)."""
        self._emit(_make((Op.LOOKUP, args, self.table(table), self._checked_at(loc))), False)

    def table(self, table: LookupTable) -> int:
        """The index of `table` among the kernel's tables, added when new. (Callers pass the
        same object for the same table, which the scan finds by identity before it compares
        any map table's values.)"""
        tables = self.kernel.tables
        try:
            return tables.index(table)
        except ValueError:
            if len(tables) == MAX_TABLES:
                raise ValueError(f"a kernel may use at most {MAX_TABLES} lookup tables") from None
            tables.append(table)
            return len(tables) - 1

    # -- composite checks shared by every front-end feature ----------------------------------
    def inverse(self, x: int, loc: SourceLoc | None = None, why: int = 0) -> int:
        """h = 1/x as a hint, constrained by x*h == 1; `why` is the hint's param (HintKind)."""
        cx = self.const_value(x)
        if cx is not None and cx != 0:
            return self.const(pow(cx, -1, self.p), loc)
        h = self.hint(HintKind.INV, (x,), why, loc)
        self.assert_zero(self.sub(self.mul(x, h, loc), self.const(1, loc), loc), loc)
        return h

    def is_zero(self, x: int, loc: SourceLoc | None = None) -> int:
        """z = (x == 0) as 1/0, constrained by z = 1 - x*m and x*z == 0."""
        cx = self.const_value(x)
        if cx is not None:
            return self.const(1 if cx == 0 else 0, loc)
        m = self.hint(HintKind.INV0, (x,), 0, loc)
        z = self.sub(self.const(1, loc), self.mul(x, m, loc), loc)
        self.assert_zero(self.mul(x, z, loc), loc)
        return z

    def to_bits(
        self, x: int, nbits: int, loc: SourceLoc | None = None, frac: int | None = None
    ) -> list[int]:
        """Little-endian bits of x, each constrained boolean, recomposition constrained == x.
        nbits must satisfy 2^nbits <= p so the recomposition cannot wrap. `frac` marks the
        recomposition as a fixed-point range check (Op.ASSERT_ZERO)."""
        if not 1 <= nbits or (1 << nbits) > self.p:
            raise ValueError(f"to_bits width {nbits} must be in 1..{self.p.bit_length() - 1}")
        bits = [self.hint(HintKind.BIT, (x,), i, loc) for i in range(nbits)]
        acc = self.const(0, loc)
        for i, b in enumerate(bits):
            self.assert_zero(self.mul(b, self.sub(b, self.const(1, loc), loc), loc), loc)
            acc = self.add(acc, self.mul(self.const(1 << i, loc), b, loc), loc)
        self.assert_zero(self.sub(acc, x, loc), loc, frac)
        return bits

    def range_check(
        self, x: int, bits: int, loc: SourceLoc | None = None, frac: int | None = None
    ) -> int | None:
        """Constrain x, read as an integer in [0, p), to be below 2^bits (2^bits <= p).

        With `lookups`: one LOOKUP on a range table per limb, as few limbs of at most
        `limb_bits` (16) bits as it takes and as equal as they can be, so the tables are small
        (20 bits: two 10-bit limbs into one 2^10-row table, not 16 + 4; `range_limbs`):
        x = lo + 2^w hi with a QUOT hint hi, lo checked in w bits and hi in bits - w, both as
        integers, so x, below p, is below 2^bits.
        Returns None. Otherwise `to_bits`, and returns the top bit (which the caller may keep:
        it is the sign of a range-checked signed value). `frac`: as in `to_bits`, for a
        failure's message; the top limb's table carries it."""
        if not self.lookups:
            return self.to_bits(x, bits, loc, frac)[-1]
        *low, top = range_limbs(bits, self.limb_bits)
        for width in low:
            hi = self.hint(HintKind.QUOT, (x,), 1 << width, loc)
            lo = self.sub(x, self.mul(self.const(1 << width, loc), hi, loc), loc)
            self.lookup(LookupTable(width), (lo,), loc)
            x = hi
        self.lookup(LookupTable(top, None, frac), (x,), loc)
        return None

    def table_lookup(self, table: LookupTable, x: int, loc: SourceLoc | None = None) -> int:
        """values[x] of a map table (values reduced, at most MAX_TABLE_ROWS) for x read as an
        integer below its length. With `lookups`: a TABLE hint h and LOOKUP(x, h) on the table.
        Otherwise by bits: x in k = bits(len - 1) bits (and len - 1 - x too when the length is
        not a power of two), then the table's multilinear extension at those bits, folded one
        bit at a time: 2^(k-1) - 1 products (the first fold only scales constants)."""
        values: tuple[int, ...] = table.values  # type: ignore[assignment]
        if self.lookups:
            h = self.hint(HintKind.TABLE, (x,), self.table(table), loc)
            self.lookup(table, (x, h), loc)
            return h
        bits = self.to_bits(x, table.bits, loc)
        if table.rows != 1 << table.bits:
            self.to_bits(self.sub(self.const(table.rows - 1, loc), x, loc), table.bits, loc)
        level = [self.const(v, loc) for v in values]
        level += [self.const(0, loc)] * ((1 << table.bits) - len(values))
        for b in bits:
            level = [
                self.add(lo, self.mul(b, self.sub(hi, lo, loc), loc), loc)
                for lo, hi in zip(level[0::2], level[1::2], strict=True)
            ]
        return level[0]

    # -- replaying what another builder recorded -------------------------------------------
    def replay(self, instrs: Sequence[Instr], values: list[int | None]) -> bool:
        """Emit `instrs`, recorded by another builder (zkcc.frontend.replay), through the
        calls that made them there: their operands index `values`, which starts as the value
        here of each of that builder's values before the first of `instrs`, and grows by one
        per instruction (None for a sink). The calls fold and share here as they would if
        made directly, so the result is what making them here would have given, provided no
        decision that depended on a value being constant differs: that is, no instruction
        that was not constant there comes out constant here (it can, when sharing meets a
        value from outside the recording: (a + b) - c with c the caller's a + b). Then this
        returns False with every instruction it emitted removed, for the caller to make the
        calls itself. Only `REPLAYABLE` ops may occur."""
        n0 = len(self._instrs)
        consts = self._consts
        add, sub, mul, neg = self.add, self.sub, self.mul, self.neg
        for op, args, attr, loc in instrs:
            if op is _MUL:
                r = mul(values[args[0]], values[args[1]], loc)  # type: ignore[arg-type]
            elif op is _ADD:
                r = add(values[args[0]], values[args[1]], loc)  # type: ignore[arg-type]
            elif op is _SUB:
                r = sub(values[args[0]], values[args[1]], loc)  # type: ignore[arg-type]
            elif op is Op.CONST:
                values.append(self.const(attr, loc))  # type: ignore[arg-type]
                continue
            elif op is Op.NEG:
                r = neg(values[args[0]], loc)  # type: ignore[arg-type]
            elif op is Op.HINT:
                kind, param = attr  # type: ignore[misc]
                operands = tuple(values[a] for a in args)
                r = self.hint(HintKind(kind), operands, param, loc)  # type: ignore[arg-type]
            elif op is Op.ASSERT_ZERO:
                self.assert_zero(values[args[0]], loc, attr)  # type: ignore[arg-type]
                values.append(None)
                continue
            else:
                raise ValueError(f"{op} cannot be replayed")
            if r in consts:
                self._truncate(n0)
                return False
            values.append(r)
        return True

    def _truncate(self, n: int) -> None:
        """Remove instructions n.. and every table entry that names one (undoing `replay`)."""
        del self._instrs[n:]
        for memo in self._memo.values():
            for key in [k for k, v in memo.items() if v >= n]:
                del memo[key]
        for idx in [i for i in self._consts if i >= n]:
            del self._consts[idx]

    def finish(self) -> KernelIR:
        return self.kernel
