"""Statement execution for the compile-time interpreter: declarations, assignment, unrolled
loops, compile-time `if`, `assert`, and inlined device-function calls.

Each statement runs inside `run()`, which turns an error into a diagnostic and carries on with
the next statement, so one compilation reports every independent error.
"""

from __future__ import annotations

from zkcc.frontend import ast
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.evaluator import ExprEval
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
    shape_text,
)
from zkcc.ir.kernel import KernelBuilder
from zkcc.ir.source import SourceLoc

MAX_UNROLL = 10_000_000
# Elements of one array in a kernel or device function (per instance: every element is a
# circuit value), and of one host tensor (a committed table holds at most 2^40: zkcc.pcs.ligero).
MAX_KERNEL_ARRAY = MAX_UNROLL
MAX_TENSOR = 1 << 40
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}


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
        self.call_stack: list[str] = []
        self.unrolled = 0

    # -- driver ----------------------------------------------------------------------------
    def run(self, stmt: ast.Stmt) -> None:
        try:
            self.exec(stmt)
        except Abort:
            pass

    def run_block(self, stmts: list[ast.Stmt], scope: Scope) -> None:
        saved, self.scope = self.scope, scope
        try:
            for s in stmts:
                self.run(s)
        finally:
            self.scope = saved

    def exec(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.VarDecl):
            self.exec_decl(s)
        elif isinstance(s, ast.Assign):
            self.exec_assign(s)
        elif isinstance(s, ast.IncDec):
            self.assign_op(s.target, "+" if s.op == "++" else "-", ast.IntLit(s.loc, 1), s.loc)
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
                raise self.fail(f"array dimension must be at least 1, got {n}", d.loc)
            total *= n
            if total > limit:
                size = f"{total}" if total < 10**12 else f"about 2^{total.bit_length() - 1}"
                raise self.fail(
                    f"array of {size} elements exceeds zkcc's limit of {limit:,} elements "
                    f"for {'a host tensor' if limit == MAX_TENSOR else 'an array in a kernel'}",
                    d.loc,
                )
            out.append(n)
        return tuple(out)

    def exec_decl(self, s: ast.VarDecl) -> None:
        shape = self.eval_dims(s.dims)
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
            self.assign_op(s.target, _COMPOUND[s.op], s.value, s.loc)

    def assign_op(self, target: ast.Expr, op: str, value: ast.Expr, loc: SourceLoc) -> None:
        ref = self.place(target)
        if ref.shape:
            raise self.fail(f"cannot update array '{ref.text}' as a whole", loc)
        combined = ast.Binary(loc, op, target, value)
        self.write(ref, self.eval_binary(combined), loc)

    # -- control flow ------------------------------------------------------------------------
    def condition(self, e: ast.Expr, what: str) -> bool:
        v = self.eval(e)
        if isinstance(v, FieldV):
            raise self.fail(
                f"the {what} must be a compile-time int, not a field value; "
                "branching on field values is not possible, use select(b, x, y)",
                e.loc,
            )
        if not isinstance(v, IntV):
            raise self.fail(f"the {what} must be an int, got {self.describe(v)}", e.loc)
        return bool(v.value)

    def exec_if(self, s: ast.If) -> None:
        if self.condition(s.cond, "condition of 'if'"):
            self.run_block([s.then], self.scope.child())
        elif s.other is not None:
            self.run_block([s.other], self.scope.child())

    def exec_for(self, s: ast.For) -> None:
        saved, self.scope = self.scope, self.scope.child()
        try:
            if s.init is not None:
                self.exec(s.init)
            while s.cond is None or self.condition(s.cond, "loop condition"):
                self.unrolled += 1
                if self.unrolled > MAX_UNROLL:
                    raise self.fail(
                        f"loop unrolling exceeds {MAX_UNROLL} iterations in total", s.loc
                    )
                self.run_block([s.body], self.scope.child())
                if s.update is not None:
                    self.exec(s.update)
        finally:
            self.scope = saved

    # -- calls -------------------------------------------------------------------------------
    def eval_call(self, e: ast.Call) -> Value:
        if e.func == "assert":
            return self.exec_assert(e)
        fn = self.functions.get(e.func)
        if fn is None:
            raise self.fail(f"undefined function '{e.func}'", e.name_loc)
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
                    bld.inverse(diff, e.loc)  # a != b  <=>  a - b has an inverse
                return VOID
            ok = self.int_op(cond, a.value, b.value)  # type: ignore[union-attr]
        else:
            ok = int(self.condition(cond, "asserted condition"))
        if not ok:
            raise self.fail("compile-time assertion failed", cond.loc)
        return VOID

    def call_device(self, fn: ast.FuncDecl, e: ast.Call) -> Value:
        if fn.name in self.call_stack:
            chain = " -> ".join([*self.call_stack[self.call_stack.index(fn.name) :], fn.name])
            raise self.fail(f"recursive call of '{fn.name}' is not supported ({chain})", e.loc)
        if self.builder is None:
            raise self.fail(
                f"device function '{fn.name}' can only be called from kernels or device functions",
                e.name_loc,
            )
        if len(e.args) != len(fn.params):
            raise self.fail(
                f"'{fn.name}' takes {len(fn.params)} argument(s), got {len(e.args)}", e.loc
            )
        scope = self.globals.child()
        for p, arg in zip(fn.params, e.args, strict=True):
            scope.names[p.name] = self.bind_param(fn, p, arg)
        self.call_stack.append(fn.name)
        saved, self.scope = self.scope, scope
        before = self.sink.error_count()
        try:
            self.run_block(fn.body.stmts, scope.child())
        except ReturnSignal as r:
            return self.check_return(fn, r.value, r.loc)
        finally:
            self.scope = saved
            self.call_stack.pop()
        if self.sink.error_count() > before:
            raise Abort()  # the body failed; its errors are reported, the result is unknown
        if fn.ret != "void":
            raise self.fail(f"function '{fn.name}' ends without returning a value", e.loc)
        return VOID

    def bind_param(self, fn: ast.FuncDecl, p: ast.ParamDecl, arg: ast.Expr) -> Ref:
        saved, self.scope = self.scope, self.globals
        try:
            shape = self.eval_dims(p.dims)
        finally:
            self.scope = saved
        const = p.has("const")
        if not shape:
            store = Store(p.name, p.type, (), "local", p.name_loc)
            self.write(Ref.whole(store), self.eval(arg), arg.loc)
            return Ref.whole(store, const)
        v = self.eval(arg)
        if not isinstance(v, Ref) or v.shape != shape or v.store.elem != p.type:
            want = f"{p.type} array of shape {shape_text(shape)}"
            got = (
                self.describe(v)
                if not isinstance(v, Ref)
                else (f"{v.store.elem} array '{v.text}' of shape {shape_text(v.shape)}")
            )
            raise self.fail(
                f"argument '{p.name}' of '{fn.name}' needs a {want}, got {got}", arg.loc
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
        assert fn.ret == FIELD
        return FieldV(self.to_field(v, loc))
