"""Statement execution for the compile-time interpreter: declarations, assignment, unrolled
loops, compile-time `if`, `assert`, and inlined device-function calls.

Each statement runs inside `run()`, which turns an error into a diagnostic and carries on with
the next statement, so one compilation reports every independent error. A limit on unrolled
work is the exception: once one is reached the rest of the function is skipped, since going on
would only repeat the work the limit is there to prevent.

Loops are refused before they run when their trip count is known from their bounds (see
`loops`), alone and multiplied by the enclosing loops' counts, so a nest of loops that each
pass the per-loop limit is refused as soon as the inner loop is reached. Loops whose count is
not known in advance are counted as they run, against the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.frontend import ast
from zkcc.frontend.bounded import int_type_bits, max_type_bits
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.evaluator import ExprEval
from zkcc.frontend.limits import (
    MAX_KERNEL_ARRAY,
    MAX_KERNEL_INSTRS,
    MAX_TENSOR,
    int_text,
    over_limit,
)
from zkcc.frontend.loops import (
    Counted,
    assigned_names,
    counted,
    target_root,
    trip_count,
    unchanging,
)
from zkcc.frontend.values import (
    FIELD,
    INT,
    VOID,
    FieldV,
    FixedV,
    IntV,
    Ref,
    Scope,
    Store,
    Value,
    shape_text,
)
from zkcc.ir.kernel import INV_NOT_EQUAL, KernelBuilder
from zkcc.ir.source import STDLIB_PREFIX, SourceLoc
from zkcc.ir.types import fixed_frac

MAX_TEMPLATE_ARG = 1 << 63  # template arguments appear in instance names, printed exactly
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}
_ONE = ast.IntLit(SourceLoc("<none>", 1, 1), 1)  # stands for `++`/`--`'s implicit 1


def bounded_type_problem(typ: str, p: int) -> str | None:
    """Why the bounded type `typ` (iK or fxK.F) cannot be used in the field of modulus p, or
    None when it can: kernels and tensors of main say the same."""
    bits = int_type_bits(typ)
    assert bits is not None
    widest = max_type_bits(p)
    frac = fixed_frac(typ)
    if not 1 <= bits <= widest:
        kind, widest_name = (
            ("integer", f"i{widest}") if frac is None else ("fixed-point", f"fx{widest}.F")
        )
        return (
            f"{kind} type '{typ}' does not fit this field: the widest is {widest_name} "
            "(a range check decomposes a value into K bits, 2^K <= p)"
        )
    if frac is not None and frac > bits:
        return (
            f"fixed-point type '{typ}' has {frac} fractional bits but only {bits} bits in all "
            "(fxK.F needs F <= K)"
        )
    return None


@dataclass
class _Frame:
    """A loop being unrolled, as the loops inside it see it: how many more times it will run
    their code (this iteration included; None when unknown, and for the `if` branches and
    device calls that stand between a loop and the loops around it), and the names it assigns,
    on which a count taken inside it may not depend."""

    remaining: int | None
    assigned: frozenset[str]


_BARRIER = _Frame(None, frozenset())


def instance_name(name: str, values: tuple[int, ...] | None) -> str:
    """A template instance's name, as the source writes it without spaces: `dense<64,10>`.
    It names the kernel in plans, `--backend KERNEL=B` and reports (quote it in a shell)."""
    if values is None:
        return name
    return f"{name}<{','.join(str(v) for v in values)}>"


def repeated_param(p: ast.ParamDecl, seen: set[str], sink: Sink) -> bool:
    """Report `p` when an earlier parameter in `seen` has its name, else add it. Binding both
    would let the last one silently win (kernels, device functions, any type or shape)."""
    if p.name in seen:
        sink.error(f"duplicate parameter '{p.name}'", p.name_loc)
        return True
    seen.add(p.name)
    return False


class ReturnSignal(Exception):
    def __init__(self, value: Value, loc: SourceLoc):
        self.value = value
        self.loc = loc


class Interp(ExprEval):
    def __init__(
        self,
        sink: Sink,
        globals_: Scope,
        functions: dict[str, ast.FuncDecl],
        builder: KernelBuilder | None = None,
    ):
        super().__init__(sink, globals_, builder)
        self.functions = functions
        self.unrolled = 0  # loop iterations so far
        self.loops: list[_Frame] = []
        self.stopped = False  # a limit on unrolled work was reached: skip the rest
        # id(statement) -> (statement, its `a = a op b` form), see assign_op
        self._combined: dict[int, tuple[ast.Stmt, ast.Binary]] = {}

    # -- driver ----------------------------------------------------------------------------
    def run(self, stmt: ast.Stmt) -> None:
        if self.stopped:
            return
        try:
            self.exec(stmt)
        except Abort:
            pass

    def limit_error(self, message: str, loc: SourceLoc) -> Abort:
        """Report a limit on unrolled work and stop: every statement after it is skipped."""
        self.stopped = True
        return self.fail(message, loc)

    def run_block(self, stmts: list[ast.Stmt], scope: Scope) -> None:
        saved, self.scope = self.scope, scope
        try:
            for s in stmts:
                self.run(s)
        finally:
            self.scope = saved

    def exec(self, s: ast.Stmt) -> None:
        kind = type(s)  # the statements a loop body repeats, by exact type first
        if kind is ast.Assign:
            self.exec_assign(s)  # type: ignore[arg-type]
        elif kind is ast.For:
            self.exec_for(s)  # type: ignore[arg-type]
        elif kind is ast.Block:
            self.run_block(s.stmts, Scope(self.scope))  # type: ignore[attr-defined]
        elif kind is ast.IncDec:
            self.assign_op(s.target, "+" if s.op == "++" else "-", _ONE, s.loc, s)  # type: ignore[attr-defined]
        elif isinstance(s, ast.VarDecl):
            self.exec_decl(s)
        elif isinstance(s, ast.Assign):
            self.exec_assign(s)
        elif isinstance(s, ast.IncDec):
            self.assign_op(s.target, "+" if s.op == "++" else "-", _ONE, s.loc, s)
        elif isinstance(s, ast.ExprStmt):
            self.eval(s.expr)
        elif isinstance(s, ast.Block):
            self.run_block(s.stmts, self.scope.child())
        elif isinstance(s, ast.If):
            self.exec_if(s)
        elif isinstance(s, ast.For):
            self.exec_for(s)
        elif isinstance(s, ast.Return):
            value = self.eval(s.value) if s.value is not None else VOID
            raise ReturnSignal(value, s.loc)
        elif isinstance(s, ast.Launch):
            raise self.fail("kernel launches are only allowed in __host__ code", s.loc)
        elif not isinstance(s, ast.Empty):
            raise self.fail("unsupported statement", s.loc)

    # -- declarations --------------------------------------------------------------------------
    def declare(self, name: str, value: object, loc: SourceLoc) -> None:
        if name in self.scope.names:
            raise self.fail(f"redefinition of '{name}' in the same scope", loc)
        self.scope.names[name] = value

    def eval_dims(self, dims: list[ast.Expr], limit: int = MAX_KERNEL_ARRAY) -> tuple[int, ...]:
        """The shape, refused before anything is allocated when it holds more than `limit`
        elements (MAX_KERNEL_ARRAY per kernel array, MAX_TENSOR per host tensor)."""
        out = []
        total = 1
        for d in dims:
            n = self.eval_int(d, "array dimension")
            if n < 1:
                raise self.fail(f"array dimension must be at least 1, got {int_text(n)}", d.loc)
            total *= n
            if total > limit:
                what = "a host tensor" if limit == MAX_TENSOR else "an array in a kernel"
                raise self.fail(
                    f"array of {int_text(total)} elements exceeds zkcc's limit of {limit:,} "
                    f"elements for {what}",
                    d.loc,
                )
            out.append(n)
        return tuple(out)

    def check_type(self, typ: str, loc: SourceLoc) -> None:
        """An integer type `iK` must be in a kernel or device function and fit the field."""
        bits = int_type_bits(typ)
        if bits is None:
            return
        if self.builder is None:
            raise self.fail(
                f"integer type '{typ}' is for kernel values; tensors of main are field "
                "(declare the kernel parameter that reads them as {typ})".replace("{typ}", typ),
                loc,
            )
        problem = bounded_type_problem(typ, self.builder.p)
        if problem:
            raise self.fail(problem, loc)

    def exec_decl(self, s: ast.VarDecl) -> None:
        try:
            self.check_type(s.type, s.loc)
            shape = self.eval_dims(s.dims)
        except Abort:
            self.declare_poisoned(s.name, s.type, s.name_loc)
            raise
        store = Store(s.name, s.type, shape, "local", s.name_loc)
        self.declare(s.name, Ref.whole(store), s.name_loc)
        try:
            if s.init is None:
                if s.is_const:
                    raise self.fail(f"constant '{s.name}' needs an initial value", s.loc)
            elif isinstance(s.init, ast.InitList):
                if not shape:
                    raise self.fail(f"scalar '{s.name}' cannot take a '{{...}}' list", s.init.loc)
                self.fill(Ref.whole(store), s.init)
            elif shape:
                raise self.fail(
                    f"array '{s.name}' can only be initialised with a '{{...}}' list", s.init.loc
                )
            else:
                self.write(Ref.whole(store), self.eval(s.init), s.init.loc)
        except Abort:
            store.poisoned = True
            raise
        if s.is_const:
            store.kind = "const"

    def declare_poisoned(self, name: str, elem: str, loc: SourceLoc) -> None:
        """Declare a name whose declaration failed (its error reported), so that its uses are
        skipped instead of each being reported as undefined."""
        if name not in self.scope.names:
            self.scope.names[name] = Ref.whole(Store(name, elem, (), "local", loc, poisoned=True))

    def fill(self, ref: Ref, init: ast.Expr) -> None:
        """Assign a (nested) `{...}` list to an array, checking its shape."""
        if not ref.shape:
            if isinstance(init, ast.InitList):
                raise self.fail(f"too many braces for element '{ref.text}'", init.loc)
            self.write(ref, self.eval(init), init.loc)
            return
        if not isinstance(init, ast.InitList) or len(init.items) != ref.shape[0]:
            got = len(init.items) if isinstance(init, ast.InitList) else "a scalar"
            raise self.fail(
                f"initialiser for '{ref.text}' needs {ref.shape[0]} items, got {got}", init.loc
            )
        stride = 1
        for d in ref.shape[1:]:
            stride *= d
        for i, item in enumerate(init.items):
            sub = Ref(ref.store, ref.offset + i * stride, ref.shape[1:], f"{ref.text}[{i}]")
            self.fill(sub, item)

    # -- assignment ------------------------------------------------------------------------
    def exec_assign(self, s: ast.Assign) -> None:
        if s.op == "=":
            ref = self.place(s.target)
            self.write(ref, self.eval(s.value), s.loc)
        else:
            self.assign_op(s.target, _COMPOUND[s.op], s.value, s.loc, s)

    def assign_op(
        self, target: ast.Expr, op: str, value: ast.Expr, loc: SourceLoc, stmt: ast.Stmt
    ) -> None:
        """`target op= value` (and `++`/`--`, with `value` the literal 1) as `target = target op
        value`; the combined expression is made once per statement, not per execution."""
        ref = self.place(target)
        if ref.shape:
            raise self.fail(f"cannot update array '{ref.text}' as a whole", loc)
        combined = self._combined.get(id(stmt))
        if combined is None or combined[0] is not stmt:
            if value is _ONE:
                value = ast.IntLit(loc, 1)
            combined = self._combined[id(stmt)] = (stmt, ast.Binary(loc, op, target, value))
        self.write(ref, self.eval_binary(combined[1]), loc)

    # -- control flow ------------------------------------------------------------------------
    def condition(self, e: ast.Expr, what: str) -> bool:
        return self.truth(self.eval(e), e, what)

    def truth(self, v: Value, e: ast.Expr, what: str) -> bool:
        """Whether `v`, the value of the condition `e`, holds; the error when it is not an int."""
        if isinstance(v, FieldV):
            fix = (
                "a loop runs a number of times known when compiling: loop to a bound and "
                "choose with select(b, x, y) inside"
                if what == "loop condition"
                else "branching on field values is not possible, use select(b, x, y)"
            )
            raise self.fail(
                f"the {what} must be a compile-time int, not a field value; {fix}", e.loc
            )
        if not isinstance(v, IntV):
            raise self.fail(f"the {what} must be an int, got {self.describe(v)}", e.loc)
        return bool(v.value)

    def exec_if(self, s: ast.If) -> None:
        branch = s.then if self.condition(s.cond, "condition of 'if'") else s.other
        if branch is not None:
            self.loops.append(_BARRIER)  # a branch taken now may not be taken next time
            try:
                self.run_block([branch], self.scope.child())
            finally:
                self.loops.pop()

    def exec_for(self, s: ast.For) -> None:
        saved, self.scope = self.scope, self.scope.child()
        loc = s.cond.loc if s.cond is not None else s.loc
        try:
            if s.init is not None:
                self.exec(s.init)
            trips = self.trips_ahead(s, loc, counted(s))
            # (no names when the loop holds a return: its count is unknown, it is a barrier)
            frame = _Frame(trips, frozenset(assigned_names(s) or ()))
            self.loops.append(frame)
            try:
                n = 0
                while s.cond is None or self.condition(s.cond, "loop condition"):
                    n += 1
                    self.count_iteration(n, loc)
                    self.run_block([s.body], self.scope.child())
                    if self.stopped:
                        break
                    if s.update is not None:
                        self.exec(s.update)
                    if frame.remaining is not None:
                        frame.remaining -= 1
            finally:
                self.loops.pop()
        finally:
            self.scope = saved

    def trips_ahead(self, s: ast.For, loc: SourceLoc, form: Counted | None) -> int | None:
        """The loop's trip count when it is known before it runs (see `loops`; `form` is
        `counted(s)`), refused at once when it, or the iterations it adds to the enclosing
        loops, is over the limits, or when the loop would never end."""
        if form is None:
            if unchanging(s) and (s.cond is None or self.condition(s.cond, "loop condition")):
                self.look_up_update(s.update)
                raise self.fail("loop never ends: nothing in it changes its condition", loc)
            return None
        values: dict[str, int | None] = {}
        for name in form.names:  # every one a compile-time int with a value: no side effects
            ref = self.scope.lookup(name)
            if not (isinstance(ref, Ref) and ref.store.elem == INT and not ref.shape):
                return None
            values[name] = ref.store.cells[ref.offset]
        start = values[form.counter]
        if start is None or None in values.values():
            return None
        saved, self.sink = self.sink, Sink()  # the loop's own evaluation reports any error
        try:
            bound = self.eval_int(form.bound, "loop bound")
            step = self.eval_int(form.step, "loop step")
        except Abort:
            return None
        finally:
            self.sink = saved
        trips = trip_count(start, form.op, bound, form.sign * step)
        if trips is None:
            raise self.fail(
                f"loop never ends: '{form.counter}' starts at {int_text(start)} and moves by "
                f"{int_text(form.sign * step)}, so '{form.counter} {form.op} {int_text(bound)}' "
                "stays true",
                loc,
            )
        lim = self.limits
        if trips > lim.loop_trips:
            raise self.limit_error(
                over_limit(f"loop runs {int_text(trips)} times", "loop_trips", lim), loc
            )
        outer = 1
        for f in reversed(self.loops):
            if f.remaining is None or f.assigned & form.depends:
                break  # unknown, or the count may differ from one outer iteration to the next
            outer *= f.remaining
        total = self.unrolled + trips * outer
        if total > lim.unroll:
            inside = f" inside loops that run {int_text(outer)} times" if outer > 1 else ""
            what = (
                f"loop runs {int_text(trips)} times{inside}, {int_text(total)} iterations in total"
            )
            raise self.limit_error(over_limit(what, "unroll", lim), loc)
        return trips

    def look_up_update(self, update: ast.Stmt | None) -> None:
        """Look up the variable a loop's update assigns: when it is undefined, that is the
        error, not that the loop never ends because the update leaves the condition alone."""
        if isinstance(update, ast.Assign | ast.IncDec):
            root = target_root(update.target)
            if isinstance(root, ast.Name):
                self.place(root)

    def count_iteration(self, n: int, loc: SourceLoc) -> None:
        """Count one iteration against the limits, for loops not counted in advance and for
        the work they add up to: loop iterations, and IR instructions in a kernel."""
        self.unrolled += 1
        lim = self.limits
        if n > lim.loop_trips:
            what = f"loop runs more than {lim.loop_trips} times"
            raise self.limit_error(over_limit(what, "loop_trips", lim), loc)
        if self.unrolled > lim.unroll:
            what = f"loops run more than {lim.unroll} times in total"
            raise self.limit_error(over_limit(what, "unroll", lim), loc)
        if self.builder is not None and len(self.builder.kernel.instrs) > MAX_KERNEL_INSTRS:
            raise self.limit_error(
                f"kernel '{self.builder.kernel.name}' is over zkcc's limit of "
                f"{MAX_KERNEL_INSTRS:,} IR instructions per kernel (a fixed limit: plans with "
                "more are refused)",
                loc,
            )

    # -- calls -------------------------------------------------------------------------------
    def eval_call(self, e: ast.Call) -> Value:
        if e.func == "assert":
            return self.exec_assert(e)
        fn = self.functions.get(e.func)
        if fn is None:
            raise self.undefined("function", e.func, e.name_loc)
        if fn.kind == "global":
            raise self.fail(
                f"kernel '{e.func}' cannot be called; launch it from main with "
                f"{e.func}<<<count>>>(...)",
                e.name_loc,
            )
        if fn.kind == "host":
            raise self.fail(f"__host__ function '{e.func}' cannot be called", e.name_loc)
        return self.call_device(fn, e)

    def exec_assert(self, e: ast.Call) -> Value:
        if len(e.args) != 1:
            raise self.fail(f"assert takes 1 argument, got {len(e.args)}", e.loc)
        cond = e.args[0]
        if isinstance(cond, ast.Binary) and cond.op in ("==", "!="):
            a, b = self.eval_scalar(cond.lhs), self.eval_scalar(cond.rhs)
            if type(a) is FixedV or type(b) is FixedV:  # compared at one scale
                (a, b), _ = self.aligned([a, b], [cond.lhs.loc, cond.rhs.loc])
            if isinstance(a, FieldV) or isinstance(b, FieldV):
                bld = self.need_builder(e.loc)
                diff = bld.sub(self.to_field(a, cond.loc), self.to_field(b, cond.loc), e.loc)
                if cond.op == "==":
                    if bld.const_value(diff) not in (None, 0):
                        raise self.fail("assertion is always false", cond.loc)
                    bld.assert_zero(diff, e.loc)
                else:
                    if bld.const_value(diff) == 0:
                        raise self.fail("assertion is always false", cond.loc)
                    self.not_zero(diff, e.loc)
                return VOID
            ok = self.int_op(cond, a.value, b.value)  # type: ignore[union-attr]
        else:
            v = self.eval(cond)
            if isinstance(v, FieldV):
                self.assert_true(v, cond.loc, e.loc)
                return VOID
            ok = int(self.truth(v, cond, "asserted condition"))
        if not ok:
            raise self.fail("compile-time assertion failed", cond.loc)
        return VOID

    def assert_true(self, v: FieldV, where: SourceLoc, loc: SourceLoc) -> None:
        """`assert(c)` for a field value c that is 0 or 1 (a comparison, a product of them,
        is_zero): the constraint c == 1. Another field value has no truth to assert."""
        bld = self.need_builder(loc)
        span = self.bounds.get(v.ssa) if self.bounds is not None else None
        if span is None or span[0] < 0 or span[1] > 1:
            raise self.fail(
                "assert(c) on a field value needs c to be 0 or 1 (a comparison such as "
                "x < 3, a product of comparisons, is_zero(x)); for another value write "
                "assert(v == 1)",
                where,
            )
        if span == (0, 0):
            raise self.fail("assertion is always false", where)
        bld.assert_zero(bld.sub(v.ssa, bld.const(1, loc), loc), loc)

    def not_zero(self, diff: int, loc: SourceLoc) -> None:
        """Constrain `diff` != 0 (a != b <=> a - b has an inverse): the builder's inverse
        gadget, with its hint marked so that a failure reads "assertion failed", not "division
        by zero"."""
        bld = self.need_builder(loc)
        if bld.const_value(diff) is not None:
            return  # a non-zero constant: nothing to prove
        bld.inverse(diff, loc, why=INV_NOT_EQUAL)

    # -- templates ---------------------------------------------------------------------------
    def template_args(
        self, fn: ast.FuncDecl, targs: ast.TemplateArgs | None
    ) -> tuple[int, ...] | None:
        """The values of `<...>` given to `fn` (None when none are written), checked against
        its template parameters: their number, each a compile-time int in range."""
        if targs is None:
            return None
        if not fn.is_template:
            raise self.fail(
                f"'{fn.name}' is not a template, but is given template arguments", targs.loc
            )
        want = len(fn.tparams)  # type: ignore[arg-type]
        if len(targs.items) != want:
            raise self.fail(
                f"'{fn.name}' takes {want} template argument(s), got {len(targs.items)}",
                targs.loc,
            )
        values = []
        for item in targs.items:
            v = self.eval_int(item, "a template argument")
            if abs(v) >= MAX_TEMPLATE_ARG:
                raise self.fail(
                    f"template argument {int_text(v)} is out of range (its magnitude must be "
                    "below 2^63)",
                    item.loc,
                )
            values.append(v)
        return tuple(values)

    def template_scope(self, fn: ast.FuncDecl, values: tuple[int, ...] | None) -> Scope:
        """The scope a function's signature and body see: the globals, and for a template
        instance its template parameters as constant ints."""
        if values is None:
            return self.globals
        scope = self.globals.child()
        for tp, v in zip(fn.tparams or [], values, strict=True):
            scope.names[tp.name] = Ref.whole(Store(tp.name, INT, (), "const", tp.loc, cells=[v]))
        return scope

    def deduce(self, fn: ast.FuncDecl, e: ast.Call, args: dict[int, Value]) -> tuple[int, ...]:
        """Template arguments of a device function called without `<...>`, read from the
        shapes of its array arguments: a dimension written as a bare template parameter
        (`field v[N]`) takes the argument's size there. Anything else must be given."""
        names = [tp.name for tp in fn.tparams or []]
        found: dict[str, tuple[int, str]] = {}
        for k, p in enumerate(fn.params):
            v = args.get(k)
            if not isinstance(v, Ref) or len(v.shape) != len(p.dims):
                continue
            for d, size in zip(p.dims, v.shape, strict=True):
                if isinstance(d, ast.Name) and d.id in names:
                    seen = found.setdefault(d.id, (size, v.text))
                    if seen[0] != size:
                        raise self.fail(
                            f"cannot deduce template argument '{d.id}' of '{fn.name}': it is "
                            f"{seen[0]} from '{seen[1]}' but {size} from '{v.text}'",
                            e.loc,
                        )
        missing = [n for n in names if n not in found]
        if missing:
            raise self.fail(
                f"'{fn.name}' is a template: give its arguments, {fn.name}<...>(...) (cannot "
                f"deduce '{missing[0]}' from the shapes of the arguments)",
                e.name_loc,
            )
        return tuple(found[n][0] for n in names)

    def call_device(self, fn: ast.FuncDecl, e: ast.Call) -> Value:
        if fn.name in self.call_stack:
            chain = " -> ".join([*self.call_stack[self.call_stack.index(fn.name) :], fn.name])
            raise self.fail(f"recursive call of '{fn.name}' is not supported ({chain})", e.loc)
        if self.builder is None:
            raise self.fail(
                f"device function '{fn.name}' can only be called from kernels or device functions",
                e.name_loc,
            )
        values = self.template_args(fn, e.targs)
        if len(e.args) != len(fn.params):
            raise self.fail(
                f"'{fn.name}' takes {len(fn.params)} argument(s), got {len(e.args)}", e.loc
            )
        # array arguments are places, evaluated once here (no side effects) for deduction
        arrays = {k: self.eval(a) for k, a in enumerate(e.args) if fn.params[k].dims}
        if fn.is_template and values is None:
            values = self.deduce(fn, e, arrays)
        before = len(self.sink.diagnostics)
        try:
            outer = self.template_scope(fn, values)
            scope = outer.child()
            for k, (p, arg) in enumerate(zip(fn.params, e.args, strict=True)):
                scope.names[p.name] = self.bind_param(fn, p, arg, outer, arrays.get(k), values)
            return self.inline(fn, e, scope, values)
        except Abort:
            # an error in the template's declaration (a dimension its arguments make empty)
            # or body points there: a note names the instance and this call, as for kernels
            # (not for a call inside the library: the note at the program's call says where)
            made = self.sink.diagnostics[before:]
            where = (e.loc.file, e.loc.line)
            library = e.loc.file.startswith(STDLIB_PREFIX)
            last = (made[-1].loc.file, made[-1].loc.line) if made else where
            if values is not None and not library and last != where:
                name = instance_name(fn.name, values)
                self.sink.report("note", f"in the instance '{name}' called here", e.loc)
            raise

    def inline(
        self, fn: ast.FuncDecl, e: ast.Call, scope: Scope, values: tuple[int, ...] | None
    ) -> Value:
        """Run the body of `fn` (called as `e`, its template arguments `values`) in `scope`,
        where its parameters are bound, and give its result. The kernel compiler overrides
        this to replay a call it has seen before (zkcc.frontend.replay)."""
        self.call_stack.append(fn.name)
        self.loops.append(_BARRIER)  # its loops may depend on the arguments
        saved, self.scope = self.scope, scope
        before, shown = self.sink.found, self.sink.error_count()
        try:
            self.run_block(fn.body.stmts, scope.child())
        except ReturnSignal as r:
            if self.sink.found == before:  # else: the Abort below, as for a void body
                return self.check_return(fn, r.value, r.loc)
        finally:
            self.scope = saved
            self.loops.pop()
            self.call_stack.pop()
        if self.sink.found > before:
            # a library's error: say where it was called (not again when it is not shown)
            if fn.name_loc.file != e.loc.file and self.sink.error_count() > shown:
                self.sink.report("note", f"in this call of '{fn.name}'", e.loc)
            raise Abort()  # the body failed; its errors are reported, the result is unknown
        if fn.ret != "void":
            raise self.fail(f"function '{fn.name}' ends without returning a value", e.loc)
        return VOID

    def bind_param(
        self,
        fn: ast.FuncDecl,
        p: ast.ParamDecl,
        arg: ast.Expr,
        outer: Scope,
        v: Value | None,
        values: tuple[int, ...] | None,
    ) -> Ref:
        """A parameter bound to its argument: scalars by value, arrays by reference (`v`, the
        argument already evaluated). Dimensions are evaluated in `outer`, the globals and
        the template parameters."""
        saved, self.scope = self.scope, outer
        try:
            shape = self.eval_dims(p.dims)
        finally:
            self.scope = saved
        const = p.has("const")
        self.check_type(p.type, p.loc)
        if not shape:
            store = Store(p.name, p.type, (), "local", p.name_loc)
            self.write(Ref.whole(store), self.eval(arg), arg.loc)
            return Ref.whole(store, const)
        # an iK array may be read through a const field parameter (not an fxK.F one: its
        # elements would meet field arithmetic as reals); otherwise types match
        widen = (
            const
            and p.type == FIELD
            and isinstance(v, Ref)
            and v.store.elem != INT
            and v.store.frac is None
        )
        if not isinstance(v, Ref) or v.shape != shape or (v.store.elem != p.type and not widen):
            want = f"{p.type} array of shape {shape_text(shape)}"
            got = (
                self.describe(v)  # type: ignore[arg-type]
                if not isinstance(v, Ref)
                else (f"{v.store.elem} array '{v.text}' of shape {shape_text(v.shape)}")
            )
            why = ""
            if isinstance(v, Ref) and v.store.frac is not None and p.type == FIELD:
                why = (
                    " (a fixed-point array is not a field array: pass an iK array holding "
                    "its stored integers, v * 2^F)"
                )
            raise self.fail(
                f"argument '{p.name}' of '{instance_name(fn.name, values)}' needs a {want}, "
                f"got {got}{why}",
                arg.loc,
            )
        if v.readonly and not const:
            raise self.fail(
                f"read-only array '{v.text}' passed to non-const parameter '{p.name}' of "
                f"'{fn.name}'",
                arg.loc,
            )
        return Ref(v.store, v.offset, v.shape, p.name, v.const or const)

    def check_return(self, fn: ast.FuncDecl, v: Value, loc: SourceLoc) -> Value:
        if fn.ret == "void":
            if v is not VOID:
                raise self.fail(f"void function '{fn.name}' returns a value", loc)
            return VOID
        if fn.ret == INT:
            if not isinstance(v, IntV):
                raise self.fail(
                    f"int function '{fn.name}' must return an int, got {self.describe(v)}", loc
                )
            return v
        if fn.ret != FIELD:  # a bounded type: the returned value must fit it
            self.check_type(fn.ret, fn.name_loc)
        x = self.convert(v, fn.ret, loc, f"the result of '{fn.name}'")
        frac = fixed_frac(fn.ret)
        return FieldV(x) if frac is None else FixedV(x, frac)
