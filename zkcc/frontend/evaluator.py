"""Expression evaluation for the compile-time interpreter.

An expression evaluates to a compile-time int, a field value (emitting IR through the kernel
builder, which shares and folds), an array reference or void. Type rules live here: ints are
promoted to field elements where a field is needed, never the other way round, and operators
that are not field arithmetic only exist on compile-time ints.

Compile-time ints are exact, so their size is bounded (`Limits.int_bits`): a shift is refused
from its operands before it is computed, any other result (repeated squaring) once it is over.
An undefined name is reported at its first use in each function only: the later uses are the
same mistake, not new ones.
"""

from __future__ import annotations

import operator

from zkcc.frontend import ast
from zkcc.frontend.bounded import BoundError, Bounds, int_type_bits, type_range
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.fixed import FixedOps
from zkcc.frontend.limits import Limits, int_text, over_limit
from zkcc.frontend.values import (
    FIELD,
    INT,
    FieldV,
    FixedV,
    IntV,
    RealV,
    Ref,
    Scope,
    Value,
    VoidV,
    shape_text,
)
from zkcc.ir.kernel import KernelBuilder
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import fixed_frac, signed

_INT_ONLY = {"%", "<<", ">>", "&&", "||", "&", "|", "^"}
FIXED_KINDS = {FixedV, RealV}  # operands that make an operator fixed-point arithmetic
_COMPARE = {"<", ">", "<=", ">=", "==", "!="}
_FIELD_OPS = {
    "+": KernelBuilder.add,
    "-": KernelBuilder.sub,
    "*": KernelBuilder.mul,
}
_INT_OPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "<": lambda a, b: int(a < b),
    ">": lambda a, b: int(a > b),
    "<=": lambda a, b: int(a <= b),
    ">=": lambda a, b: int(a >= b),
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "&&": lambda a, b: int(bool(a) and bool(b)),
    "||": lambda a, b: int(bool(a) or bool(b)),
    # bitwise on Python's unbounded two's complement, as C on a wide enough signed int
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
}


def c_div(a: int, b: int) -> int:
    """C division: truncates toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def element_text(name: str, shape: tuple[int, ...], flat: int) -> str:
    idx = []
    for d in reversed(shape):
        idx.append(flat % d)
        flat //= d
    return name + "".join(f"[{i}]" for i in reversed(idx))


class ExprEval(FixedOps):
    """State shared by every evaluation context and the expression half of the interpreter."""

    def __init__(self, sink: Sink, globals_: Scope, builder: KernelBuilder | None = None):
        self.sink = sink
        self.scope = globals_
        self.globals = globals_
        self.builder = builder
        self.bounds = Bounds(builder) if builder is not None else None  # facts of iK values
        self.limits = Limits.from_env()
        self.call_stack: list[str] = []  # the kernel, then the device functions being inlined
        self._undefined: set[tuple[str, str]] = set()  # (function, message) already reported
        # int divisions whose last evaluation dropped a remainder: loc -> (a, b)
        self._truncated: dict[SourceLoc, tuple[int, int]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def fail(self, message: str, loc: SourceLoc) -> Abort:
        return self.sink.fail(message, loc)

    def undefined(self, what: str, name: str, loc: SourceLoc) -> Abort:
        """Report an undefined name at its first use in the current function; later uses of
        the same name there are follow-on errors, dropped."""
        message = f"undefined {what} '{name}'"
        key = (self.call_stack[-1] if self.call_stack else "", message)
        if key in self._undefined:
            return self.sink.repeated()
        self._undefined.add(key)
        return self.fail(message, loc)

    def need_builder(self, loc: SourceLoc) -> KernelBuilder:
        if self.builder is None:
            raise self.fail("field arithmetic is only allowed in kernels and device functions", loc)
        return self.builder

    def describe(self, v: Value) -> str:
        if isinstance(v, IntV):
            return "int"
        if isinstance(v, FieldV):
            return "field"
        if isinstance(v, Ref):
            return f"array '{v.text}' of shape {shape_text(v.shape)}"
        if isinstance(v, RealV):
            return "a real number"
        return "void"

    # -- typed evaluation --------------------------------------------------------------------
    def eval_int(self, e: ast.Expr, what: str) -> int:
        return self.int_value(self.eval(e), e, what)

    def int_value(self, v: Value, e: ast.Expr, what: str) -> int:
        """The int that `e` evaluated to (`v`), or the error saying why it is not one."""
        if isinstance(v, IntV):
            return v.value
        if isinstance(v, FieldV):
            raise self.fail(
                f"{what} must be a compile-time int, got a field value "
                "(field values cannot be converted to int)",
                e.loc,
            )
        raise self.fail(f"{what} must be a compile-time int, got {self.describe(v)}", e.loc)

    def to_field(self, v: Value, loc: SourceLoc) -> int:
        """The SSA index of `v` as a field element, promoting compile-time ints."""
        if isinstance(v, FieldV):
            return v.ssa
        if isinstance(v, IntV):
            if loc in self._truncated:
                self.truncation_warning(loc, *self._truncated[loc], v.value)
            return self.need_builder(loc).const(v.value, loc)
        if isinstance(v, RealV):
            raise self.fail(
                "a real number is only allowed with fixed-point values (an operand or a place "
                "of a type fxK.F); ints and field values are integers",
                loc,
            )
        raise self.fail(f"expected a field value, got {self.describe(v)}", loc)

    def eval_field(self, e: ast.Expr) -> int:
        return self.to_field(self.eval(e), e.loc)

    def eval_scalar(self, e: ast.Expr) -> IntV | FieldV | RealV:
        return self.scalar(self.eval(e), e)

    def scalar(self, v: Value, e: ast.Expr) -> IntV | FieldV | RealV:
        """`v`, what `e` evaluated to, when it is a scalar; else the error."""
        if isinstance(v, IntV | FieldV | RealV):
            return v
        raise self.fail(f"expected a scalar value, got {self.describe(v)}", e.loc)

    # -- places (variables and indexed elements) ---------------------------------------------
    def place(self, e: ast.Expr) -> Ref:
        if type(e) is ast.Name or isinstance(e, ast.Name):
            found = self.scope.lookup(e.id)  # type: ignore[attr-defined]
            if isinstance(found, Ref):
                if found.store.poisoned:
                    raise Abort()
                return found
            raise self.undefined("name", e.id, e.loc)
        if isinstance(e, ast.Index):
            base = self.place(e.base)
            i = self._int_name(e.index)
            if i is None:
                i = self.eval_int(e.index, "array index")
            return self.element_of(base, i, e)
        raise self.fail("expression is not assignable (expected a variable or element)", e.loc)

    def element_of(self, base: Ref, i: int, e: ast.Index) -> Ref:
        """`base[i]` (written as `e`), or the error when `base` is not an array or `i` is out
        of its bounds."""
        if not base.shape:
            raise self.fail(f"'{base.text}' is not an array and cannot be indexed", e.loc)
        size = base.shape[0]
        if not 0 <= i < size:
            raise self.fail(
                f"index {int_text(i)} is out of bounds for '{base.text}' "
                f"(dimension of size {size})",
                e.index.loc,
            )
        rest = base.shape[1:]
        stride = 1
        for d in rest:
            stride *= d
        return Ref.element(base, base.offset + i * stride, rest, i)

    def _int_name(self, e: ast.Expr) -> int | None:
        """The value of `e` when it is simply the name of an assigned int scalar (a loop
        counter, as indices mostly are), read without the general path's value objects; None
        for anything else, which takes that path (and its diagnostics)."""
        if type(e) is not ast.Name:
            return None
        ref = self.scope.lookup(e.id)  # type: ignore[attr-defined]
        if type(ref) is not Ref or ref.shape or ref.store.elem != INT or ref.store.poisoned:
            return None
        return ref.store.cells[ref.offset]

    def load(self, ref: Ref, loc: SourceLoc) -> IntV | FieldV:
        st = ref.store
        cell = st.cells[ref.offset]
        if cell is None and st.kind == "input":
            # the builder shares INPUTs, so this is the index every later read gets too
            cell = st.cells[ref.offset] = self.need_builder(loc).input(
                st.param or 0, ref.offset, loc
            )
            if st.elem != FIELD:  # an iK input: range-checked where the type is declared
                self.narrow(cell, st.elem, st.loc, element_text(st.name, st.shape, ref.offset))
        if cell is None:
            if not st.shape:
                text = f"variable '{st.name}'"
            else:
                kind = "output element" if st.kind == "output" else "element"
                text = f"{kind} {element_text(st.name, st.shape, ref.offset)}"
            raise self.fail(f"{text} is read before it is assigned", loc)
        if st.frac is not None:
            return FixedV(cell, st.frac)
        return IntV(cell) if st.elem == INT else FieldV(cell)

    def write(self, ref: Ref, v: Value, loc: SourceLoc) -> None:
        st = ref.store
        if ref.shape:
            raise self.fail(
                f"cannot assign to array '{ref.text}' (shape {shape_text(ref.shape)}) as a whole",
                loc,
            )
        if ref.readonly:
            what = "input parameter" if st.kind == "input" else "constant"
            if ref.const and st.kind not in ("input", "const"):
                what = "const parameter"
            raise self.fail(f"cannot assign to '{ref.text}': it is a read-only {what}", loc)
        if st.elem == INT:
            if isinstance(v, FieldV):
                raise self.fail(
                    f"cannot assign a field value to int '{ref.text}' "
                    "(field values cannot be converted to int)",
                    loc,
                )
            if not isinstance(v, IntV):
                raise self.fail(f"cannot assign {self.describe(v)} to int '{ref.text}'", loc)
            st.cells[ref.offset] = v.value
        elif st.frac is None and type(v) not in FIXED_KINDS:
            if st.elem != FIELD:
                self.literal_fits(v, st.elem, loc, ref.text)
            x = self.to_field(v, loc)
            if st.elem != FIELD:
                self.narrow(x, st.elem, loc, ref.text)
            st.cells[ref.offset] = x
        else:  # to or from fixed point: shifted or rescaled (zkcc.frontend.fixed)
            st.cells[ref.offset] = self.convert(v, st.elem, loc, ref.text)
        st.locs[ref.offset] = loc

    def narrow(self, x: int, typ: str, loc: SourceLoc, text: str) -> None:
        """Constrain the field value x to hold a value of the integer type `typ` (iK): nothing
        when its inferred range already fits, a compile error for a constant that does not,
        else a range check (whose failure at prove time names `loc`, the instance and x)."""
        bld = self.need_builder(loc)
        bits = int_type_bits(typ)
        assert bits is not None and self.bounds is not None
        c = bld.const_value(x)
        if c is not None and not self.bounds.fits(x, bits):
            lo, hi = type_range(bits)
            s = signed(c, bld.p)
            raise self.fail(
                f"value {int_text(s)} does not fit {typ} '{text}' (range {lo}..{hi})", loc
            )
        if self.bounds.may_wrap_into(x, bits):
            span = self.bounds.wrapped.get(x) or self.bounds.get(x)
            why = (
                f"its integer range {int_text(span[0])}..{int_text(span[1])} reaches integers "
                f"whose residues mod p read as {typ} values"
                if span
                else "it is made from a value whose integer range is too wide for the field"
            )
            raise self.fail(
                f"the value may have wrapped around mod p: {why}, so whether it fits {typ} "
                f"'{text}' cannot be checked; keep intermediate results within the field "
                "(store them in iK variables) or use a wider field (#pragma field bn254)",
                loc,
            )
        self.bounds.range_check(x, bits, loc, fixed_frac(typ))

    # -- expressions -------------------------------------------------------------------------
    def eval(self, e: ast.Expr) -> Value:
        kind = type(e)  # exact node types first: this runs for every node of every iteration
        if kind is ast.Binary:
            return self.eval_binary(e)  # type: ignore[arg-type]
        if kind is ast.Name or kind is ast.Index:
            ref = self.place(e)
            return self.load(ref, e.loc) if not ref.shape else ref
        if kind is ast.IntLit:
            return IntV(e.value)  # type: ignore[attr-defined]
        if isinstance(e, ast.IntLit):
            return IntV(e.value)
        if isinstance(e, ast.Name | ast.Index):
            ref = self.place(e)
            return self.load(ref, e.loc) if not ref.shape else ref
        if isinstance(e, ast.Unary):
            return self.eval_unary(e)
        if isinstance(e, ast.Binary):
            return self.eval_binary(e)
        if isinstance(e, ast.Cond):
            c = self.eval(e.cond)
            if isinstance(c, FieldV):
                raise self.fail(
                    "the condition of '?:' must be a compile-time int; "
                    "to choose between field values use select(b, x, y)",
                    e.cond.loc,
                )
            if not isinstance(c, IntV):
                raise self.fail(f"condition must be an int, got {self.describe(c)}", e.cond.loc)
            return self.eval(e.then if c.value else e.other)
        if isinstance(e, ast.Call):
            return self.eval_call(e)
        if isinstance(e, ast.InitList):
            raise self.fail("a '{...}' list can only initialise an array declaration", e.loc)
        if isinstance(e, ast.RealLit):
            return RealV(e.value)
        raise self.fail("unsupported expression", e.loc)

    def eval_call(self, e: ast.Call) -> Value:
        raise self.fail(f"function calls are not allowed here ('{e.func}')", e.loc)

    def eval_unary(self, e: ast.Unary) -> Value:
        v = self.eval(e.operand)
        if isinstance(v, IntV):
            if e.op == "-":
                return IntV(-v.value)
            if e.op == "!":
                return IntV(int(not v.value))
            if e.op == "~":
                return IntV(~v.value)
            return v
        if isinstance(v, FieldV):
            if e.op == "-" and type(v) is FixedV:
                return self.fixed_negate(v, e.loc)
            if e.op == "-":
                r = self.need_builder(e.loc).neg(v.ssa, e.loc)
                if self.bounds.facts:  # type: ignore[union-attr]
                    self.bounds.derive("neg", r, v.ssa)  # type: ignore[union-attr]
                return FieldV(r)
            if e.op == "+":
                return v
            raise self.fail(f"operator '{e.op}' needs a compile-time int, got a field value", e.loc)
        if isinstance(v, RealV) and e.op in "+-":
            return RealV(-v.value if e.op == "-" else v.value)
        raise self.fail(f"operator '{e.op}' cannot be applied to {self.describe(v)}", e.loc)

    def eval_binary(self, e: ast.Binary) -> Value:
        a = self.eval_scalar(e.lhs)
        if e.op in ("&&", "||") and isinstance(a, IntV):
            if (e.op == "&&") != bool(a.value):  # short-circuit, as in C
                return IntV(int(bool(a.value)))
        return self.binary_values(e, a, self.eval_scalar(e.rhs))

    def binary_values(self, e: ast.Binary, a: IntV | FieldV, b: IntV | FieldV) -> Value:
        """`a e.op b` for the operands' values (short-circuiting is the caller's)."""
        if isinstance(a, IntV) and isinstance(b, IntV):
            return IntV(self.int_op(e, a.value, b.value))
        if type(a) in FIXED_KINDS or type(b) in FIXED_KINDS:
            return self.fixed_binary(e, a, b)
        if e.op in _COMPARE:
            return self.compare(e, a, b)
        if e.op in _INT_ONLY:
            raise self.fail(f"operator '{e.op}' needs compile-time ints, got a field value", e.loc)
        bld = self.need_builder(e.loc)
        x, y = self.to_field(a, e.lhs.loc), self.to_field(b, e.rhs.loc)
        if e.op in _FIELD_OPS:
            r = _FIELD_OPS[e.op](bld, x, y, e.loc)
            if self.bounds.facts:  # type: ignore[union-attr]
                self.bounds.derive(e.op, r, x, y)  # type: ignore[union-attr]
            return FieldV(r)
        if bld.const_value(y) == 0:
            raise self.fail("division by zero", e.rhs.loc)
        return FieldV(bld.mul(x, bld.inverse(y, e.loc), e.loc))

    # -- comparisons of field values -------------------------------------------------------
    def compare(self, e: ast.Binary, a: IntV | FieldV, b: IntV | FieldV) -> FieldV:
        """`a op b` on field values as a 0/1 field value. `==` and `!=` hold for any field
        values (is_zero of the difference); the ordered comparisons need both sides bounded
        (values of iK types and arithmetic on them) and test the sign of a difference."""
        bld = self.need_builder(e.loc)
        bounds = self.bounds
        assert bounds is not None
        x, y = self.to_field(a, e.lhs.loc), self.to_field(b, e.rhs.loc)
        if e.op in ("==", "!="):
            z = bounds.boolean(bld.is_zero(bld.sub(x, y, e.loc), e.loc))
            if e.op == "!=":
                z = bounds.boolean(bld.sub(bld.const(1, e.loc), z, e.loc))
            return FieldV(z)
        for side, v in (("left", x), ("right", y)):
            if bounds.get(v) is None:
                raise self.fail(
                    f"operator '{e.op}' needs bounded values, but its {side} operand is a field "
                    "value of unknown range; declare it with an integer type such as i16",
                    e.loc,
                )
        # a >= b is [a - b >= 0], a <= b is [b - a >= 0]; a < b and a > b are their negations
        x_side = e.op in (">=", "<")
        ge = self.nonneg(
            self.difference(x, y, e.loc) if x_side else self.difference(y, x, e.loc), e.loc, e.op
        )
        if e.op in ("<", ">"):
            ge = bounds.boolean(bld.sub(bld.const(1, e.loc), ge, e.loc))
        return FieldV(ge)

    def difference(self, x: int, y: int, loc: SourceLoc) -> int:
        """x - y with its fact."""
        d = self.need_builder(loc).sub(x, y, loc)
        self.bounds.derive("-", d, x, y)  # type: ignore[union-attr]
        return d

    def nonneg(self, d: int, loc: SourceLoc, what: str) -> int:
        """1 when the bounded value d >= 0 else 0 (bounded.Bounds.nonneg), with the located
        error when the field is too small to tell."""
        bounds = self.bounds
        assert bounds is not None
        try:
            return bounds.nonneg(d, loc)
        except BoundError as err:
            fact = bounds.get(d)
            p = self.need_builder(loc).p
            if fact is None:
                raise self.fail(f"'{what}' needs a value of bounded range", loc) from None
            lo, hi = fact
            raise self.fail(
                f"'{what}' cannot be decided in this field: the values compared differ by "
                f"{int_text(lo)}..{int_text(hi)}, which needs {err} bits, but the field holds "
                f"at most {p.bit_length() - 1}; narrow the operand types (e.g. i16)",
                loc,
            ) from None

    def int_op(self, e: ast.Binary, a: int, b: int) -> int:
        op = e.op
        if op in ("/", "%") and b == 0:
            raise self.fail("division by zero in a compile-time expression", e.rhs.loc)
        if op in ("<<", ">>") and b < 0:
            raise self.fail(f"negative shift count {int_text(b)}", e.rhs.loc)
        if op == "<<" and a and a.bit_length() + b > self.limits.int_bits:
            what = f"{int_text(a)} << {int_text(b)} would have {int_text(a.bit_length() + b)} bits"
            raise self.fail(over_limit(f"compile-time int {what}", "int_bits", self.limits), e.loc)
        if op == "/":
            q = c_div(a, b)
            self._truncated.pop(e.loc, None)
            if q * b != a:
                self.truncating_division(e, a, b, q)
            return q
        r = a - b * c_div(a, b) if op == "%" else _INT_OPS[op](a, b)
        if r.bit_length() > self.limits.int_bits:
            what = f"compile-time int result has {r.bit_length()} bits"
            raise self.fail(over_limit(what, "int_bits", self.limits), e.loc)
        return r

    def truncating_division(self, e: ast.Binary, a: int, b: int, q: int) -> None:
        """`1 / 2` is 0 in zkcu, as in C; written with two literals, or used as a field value,
        it is more likely meant as the field element 1/2: say so. (Other int divisions, such
        as `i / 4` in an index, are meant to truncate.)"""
        if all(isinstance(x, ast.IntLit) for x in (e.lhs, e.rhs)):
            self.truncation_warning(e.loc, a, b, q)
        else:
            self._truncated[e.loc] = (a, b)

    def truncation_warning(self, loc: SourceLoc, a: int, b: int, q: int) -> None:
        self.sink.warning(
            f"integer division truncates: {int_text(a)} / {int_text(b)} is {int_text(q)} "
            "(both operands are compile-time ints); to divide in the field, make one operand "
            f"a field value (e.g. 'field one = 1;' then 'one / {int_text(b)}')",
            loc,
        )


__all__ = ["ExprEval", "FIELD", "INT", "VoidV", "c_div", "element_text"]
