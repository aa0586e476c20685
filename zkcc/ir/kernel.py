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
from dataclasses import dataclass, field

from zkcc.ir.source import SourceLoc


class Op(enum.Enum):
    INPUT = "input"  # attr = (param index, flat element index); reads an input parameter
    CONST = "const"  # attr = field element (int in [0, p))
    ADD = "add"  # args = (a, b)
    SUB = "sub"  # args = (a, b)
    MUL = "mul"  # args = (a, b)
    NEG = "neg"  # args = (a,)
    HINT = "hint"  # attr = (HintKind value, int parameter); args = operands; value is prover-chosen
    ASSERT_ZERO = "assert_zero"  # args = (a,); sink
    OUTPUT = "output"  # attr = (param index, flat element index); args = (value,); sink


INV_NOT_EQUAL = 1  # the param of an INV hint that proves `assert(a != b)`


class HintKind(enum.Enum):
    """What the witness generator computes for a HINT; the front end adds the checks.

    INV   1/x. Witness generation fails (naming the source line) when x == 0.
          Front end adds: x * h - 1 == 0. `param` says why the inverse must exist, for the
          message on failure: 0 a division, INV_NOT_EQUAL an `assert(a != b)` (x = a - b).
    INV0  1/x, or 0 when x == 0 (for is_zero: z = 1 - x*h with x*z == 0).
    BIT   bit number `param` of x read as an integer in [0, p).
          Front end adds: b*(b-1) == 0 and the recomposition sum == x.
    """

    INV = "inv"
    INV0 = "inv0"
    BIT = "bit"


SINKS = (Op.ASSERT_ZERO, Op.OUTPUT)


@dataclass(frozen=True)
class Instr:
    op: Op
    args: tuple[int, ...] = ()
    attr: object = None
    loc: SourceLoc | None = field(default=None, compare=False, hash=False)


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


@dataclass
class KernelIR:
    name: str
    params: list[Param]
    instrs: list[Instr]
    loc: SourceLoc | None = None
    backend: str | None = None  # an explicit request from the source ("gkr"/"groth16"), if any

    def hint_count(self) -> int:
        return sum(1 for ins in self.instrs if ins.op is Op.HINT)


class KernelBuilder:
    """Builds a `KernelIR` with hash-consing and constant folding.

    Values are SSA indices (ints). Folding rules: constant op constant, x+0, x-0, x*1, x*0, 0-x,
    --x, x-x. Sinks and hints are never shared (each hint is a fresh prover choice).
    """

    def __init__(self, name: str, params: list[Param], modulus: int, loc: SourceLoc | None = None):
        self.p = modulus
        self.kernel = KernelIR(name=name, params=params, instrs=[], loc=loc)
        self._memo: dict[tuple, int] = {}

    # -- internals -------------------------------------------------------------------------
    def _emit(self, ins: Instr, share: bool = True) -> int:
        key = (ins.op, ins.args, ins.attr)
        if share and key in self._memo:
            return self._memo[key]
        self.kernel.instrs.append(ins)
        idx = len(self.kernel.instrs) - 1
        if share:
            self._memo[key] = idx
        return idx

    def const_value(self, v: int) -> int | None:
        """The constant an SSA value holds, or None if it is not a compile-time constant."""
        ins = self.kernel.instrs[v]
        return ins.attr if ins.op is Op.CONST else None  # type: ignore[return-value]

    # -- value constructors ----------------------------------------------------------------
    def const(self, c: int, loc: SourceLoc | None = None) -> int:
        return self._emit(Instr(Op.CONST, (), c % self.p, loc))

    def input(self, param: int, index: int, loc: SourceLoc | None = None) -> int:
        return self._emit(Instr(Op.INPUT, (), (param, index), loc))

    def add(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        ca, cb = self.const_value(a), self.const_value(b)
        if ca is not None and cb is not None:
            return self.const(ca + cb, loc)
        if ca == 0:
            return b
        if cb == 0:
            return a
        if a > b:  # addition commutes: one canonical order shares more
            a, b = b, a
        return self._emit(Instr(Op.ADD, (a, b), None, loc))

    def sub(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        ca, cb = self.const_value(a), self.const_value(b)
        if ca is not None and cb is not None:
            return self.const(ca - cb, loc)
        if cb == 0:
            return a
        if a == b:
            return self.const(0, loc)
        if ca == 0:
            return self.neg(b, loc)
        return self._emit(Instr(Op.SUB, (a, b), None, loc))

    def mul(self, a: int, b: int, loc: SourceLoc | None = None) -> int:
        ca, cb = self.const_value(a), self.const_value(b)
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
        return self._emit(Instr(Op.MUL, (a, b), None, loc))

    def neg(self, a: int, loc: SourceLoc | None = None) -> int:
        ca = self.const_value(a)
        if ca is not None:
            return self.const(-ca, loc)
        ins = self.kernel.instrs[a]
        if ins.op is Op.NEG:
            return ins.args[0]
        return self._emit(Instr(Op.NEG, (a,), None, loc))

    def hint(
        self, kind: HintKind, args: tuple[int, ...], param: int = 0, loc: SourceLoc | None = None
    ) -> int:
        return self._emit(Instr(Op.HINT, args, (kind.value, param), loc), share=False)

    # -- sinks -------------------------------------------------------------------------------
    def assert_zero(self, a: int, loc: SourceLoc | None = None) -> None:
        """Constrain a == 0. A constant non-zero is left in place: witness generation reports it
        with its source line (the front end may also report it at compile time)."""
        if self.const_value(a) == 0:
            return
        self._emit(Instr(Op.ASSERT_ZERO, (a,), None, loc), share=False)

    def output(self, param: int, index: int, value: int, loc: SourceLoc | None = None) -> None:
        self._emit(Instr(Op.OUTPUT, (value,), (param, index), loc), share=False)

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

    def to_bits(self, x: int, nbits: int, loc: SourceLoc | None = None) -> list[int]:
        """Little-endian bits of x, each constrained boolean, recomposition constrained == x.
        nbits must satisfy 2^nbits <= p so the recomposition cannot wrap."""
        if not 1 <= nbits or (1 << nbits) > self.p:
            raise ValueError(f"to_bits width {nbits} must be in 1..{self.p.bit_length() - 1}")
        bits = [self.hint(HintKind.BIT, (x,), i, loc) for i in range(nbits)]
        acc = self.const(0, loc)
        for i, b in enumerate(bits):
            self.assert_zero(self.mul(b, self.sub(b, self.const(1, loc), loc), loc), loc)
            acc = self.add(acc, self.mul(self.const(1 << i, loc), b, loc), loc)
        self.assert_zero(self.sub(acc, x, loc), loc)
        return bits

    def finish(self) -> KernelIR:
        return self.kernel
