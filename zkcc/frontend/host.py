"""`__host__ void main(...)` -> `HostGraph`: tensors, views, launches and tensor assertions.

The host body runs at compile time like a kernel body, but its field declarations are whole
tensors, not values. The checks here are about dataflow between launches: shapes of split and
broadcast arguments, every tensor written exactly once, nothing read before it is written, every
public output produced.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.budget import launch_work_excess
from zkcc.frontend import ast
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.kernels import KernelTable
from zkcc.frontend.limits import MAX_TENSOR, int_text, over_limit
from zkcc.frontend.statements import Interp, ReturnSignal, bounded_type_problem
from zkcc.frontend.values import FIELD, VOID, Ref, Scope, Value, shape_size, shape_text
from zkcc.ir.host import AssertEq, HostGraph, Launch, Tensor, TensorKind, View, WrittenParts
from zkcc.ir.kernel import Param
from zkcc.ir.layout import same_padded_layout
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import int_type_bits

_KIND_TEXT = {
    TensorKind.PUBLIC_IN: "public input",
    TensorKind.PRIVATE_IN: "private input",
    TensorKind.PUBLIC_OUT: "public output",
    TensorKind.INTERMEDIATE: "intermediate tensor",
}


@dataclass(frozen=True)
class TensorSym:
    """A host name bound to a tensor or a view; `graph_name` is its name in the HostGraph."""

    graph_name: str
    base: str
    shape: tuple[int, ...]
    kind: TensorKind
    loc: SourceLoc
    index: tuple[int, ...] = ()  # a slice: its leading indices in the base tensor

    @property
    def text(self) -> str:
        """How messages name it: `acts[2]` for a slice, else its graph name."""
        if not self.index:
            return self.graph_name
        return self.base + "".join(f"[{i}]" for i in self.index)


def _root(e: ast.Expr) -> str | None:
    """The name a tensor expression starts from: `acts` in `acts[l + 1]`."""
    while isinstance(e, ast.Index):
        e = e.base
    return e.id if isinstance(e, ast.Name) else None


class HostCompiler(Interp):
    def __init__(
        self,
        sink: Sink,
        globals_: Scope,
        functions: dict[str, ast.FuncDecl],
        kernels: KernelTable,
    ):
        super().__init__(sink, globals_, functions)
        self.kernels = kernels
        self.graph = HostGraph([], [], [])
        self.used_names: dict[str, int] = {}  # graph name -> the last suffix tried for it
        # base tensor -> which parts of it launches have written, and where
        self.parts: dict[str, WrittenParts[SourceLoc]] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}  # base tensor -> its shape
        self.elems: dict[str, str] = {}  # base tensor -> its element type ("field", "iK")
        self.slices: dict[tuple[str, tuple[int, ...]], TensorSym] = {}  # one view per slice
        self.read: set[str] = set()
        self.launched: list[str] = []
        self.mentioned: set[str] = set()  # kernels and tensors named by any step, even a bad one
        self.failed: set[str] = set()  # tensors named by a launch that failed

    # -- names -----------------------------------------------------------------------------
    def graph_name(self, name: str) -> str:
        """Tensor names are unique in the graph even when a declaration runs twice (loops):
        `t`, `t.1`, `t.2`, ... (each suffix search resumes where the last one stopped, so n
        declarations of one name take time n, not n^2)."""
        n, k = name, self.used_names.get(name, 0)
        while n in self.used_names:
            k += 1
            n = f"{name}.{k}"
        self.used_names[name] = k
        self.used_names.setdefault(n, 0)
        return n

    def grow(self, loc: SourceLoc) -> None:
        """Count one more tensor, view or step of the graph against `Limits.host_steps`."""
        g = self.graph
        size = len(g.tensors) + len(g.views) + len(g.steps)
        if size >= self.limits.host_steps:
            what = f"main declares or runs more than {self.limits.host_steps} tensors and steps"
            raise self.limit_error(over_limit(what, "host_steps", self.limits), loc)

    def place(self, e: ast.Expr) -> Ref:
        if isinstance(e, ast.Name) and isinstance(self.scope.lookup(e.id), TensorSym):
            raise self.fail(
                f"'{e.id}' is a tensor; tensors can only be passed to kernel launches, "
                "reshape and assert_eq",
                e.loc,
            )
        return super().place(e)

    def tensor(self, e: ast.Expr, what: str) -> TensorSym:
        if isinstance(e, ast.Index):
            return self.slice_of(e, what)
        if isinstance(e, ast.Name):
            sym = self.scope.lookup(e.id)
            if isinstance(sym, TensorSym):
                return sym
            if sym is None:
                raise self.undefined("name", e.id, e.loc)
            if isinstance(sym, Ref) and sym.store.poisoned:
                raise Abort()  # its declaration failed
        raise self.fail(f"{what} must be the name of a tensor", e.loc)

    def slice_of(self, e: ast.Index, what: str) -> TensorSym:
        """`t[i]`: the slice of a tensor along its leading index, `i` a compile-time int in
        bounds; `t[i][j]` slices that again. A view in the graph, one per distinct slice."""
        sym = self.tensor(e.base, what)
        if sym.shape != self.shapes[sym.base][len(sym.index) :]:
            raise self.fail(
                f"cannot slice '{sym.text}', a reshaped view of '{sym.base}': slice the "
                "tensor, then reshape the slice",
                e.loc,
            )
        if not sym.shape:
            raise self.fail(f"'{sym.text}' has no dimension left to slice", e.loc)
        i = self.eval_int(e.index, "a slice index")
        if not 0 <= i < sym.shape[0]:
            raise self.fail(
                f"index {int_text(i)} is out of bounds for '{sym.text}' "
                f"(dimension of size {sym.shape[0]})",
                e.index.loc,
            )
        index = (*sym.index, i)
        key = (sym.base, index)
        if key not in self.slices:
            self.grow(e.loc)
            text = sym.base + "".join(f"[{k}]" for k in index)
            gname = self.graph_name(text)
            self.graph.views.append(View(gname, sym.base, sym.shape[1:], e.loc, index))
            self.slices[key] = TensorSym(gname, sym.base, sym.shape[1:], sym.kind, e.loc, index)
        return self.slices[key]

    def add_tensor(
        self, name: str, shape: tuple[int, ...], kind: TensorKind, loc: SourceLoc, elem: str
    ) -> None:
        self.grow(loc)
        gname = self.graph_name(name)
        self.shapes[gname] = shape
        self.elems[gname] = elem
        if kind in (TensorKind.PUBLIC_OUT, TensorKind.INTERMEDIATE):
            self.parts[gname] = WrittenParts(shape)
        self.graph.tensors.append(Tensor(gname, shape, kind, loc, elem))
        self.declare(name, TensorSym(gname, gname, shape, kind, loc), loc)

    # -- parameters ------------------------------------------------------------------------
    def bind_main_params(self, fn: ast.FuncDecl) -> None:
        for p in fn.params:
            try:
                quals = [q for q, _ in p.quals]
                bad = [(q, ql) for q, ql in p.quals if q not in ("public", "private", "out")]
                if bad:
                    raise self.fail(
                        f"qualifier '{bad[0][0]}' is not allowed on a parameter of main "
                        "(use 'public', 'private' or 'public out')",
                        bad[0][1],
                    )
                if p.type != FIELD:
                    self.tensor_type(p.type, p.loc, f"parameter '{p.name}' of main")
                if sorted(quals) == ["public"]:
                    kind = TensorKind.PUBLIC_IN
                elif sorted(quals) == ["private"]:
                    kind = TensorKind.PRIVATE_IN
                elif sorted(quals) == ["out", "public"]:
                    kind = TensorKind.PUBLIC_OUT
                else:
                    raise self.fail(
                        f"parameter '{p.name}' of main must be declared 'public', 'private' "
                        "or 'public out'",
                        p.loc,
                    )
                shape = self.eval_dims(p.dims, MAX_TENSOR)
                self.add_tensor(p.name, shape, kind, p.name_loc, p.type)
            except Abort:
                self.declare_poisoned(p.name, FIELD, p.name_loc)

    # -- statements ------------------------------------------------------------------------
    def exec(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.Launch):
            try:
                self.exec_launch(s)
            except Abort:
                self.failed.update(n for a in s.args if (n := _root(a)) is not None)
                raise
        elif isinstance(s, ast.VarDecl) and (s.type == FIELD or int_type_bits(s.type)):
            self.exec_tensor_decl(s)
        else:
            super().exec(s)

    def exec_tensor_decl(self, s: ast.VarDecl) -> None:
        try:
            self.tensor_decl(s)
        except Abort:
            self.declare_poisoned(s.name, FIELD, s.name_loc)
            raise

    def tensor_type(self, typ: str, loc: SourceLoc, what: str) -> None:
        """A tensor's element type is `field` or an integer type the field holds."""
        bits = int_type_bits(typ)
        if bits is None:
            raise self.fail(f"{what} must be a field tensor or of an integer type", loc)
        problem = bounded_type_problem(typ, self.kernels.modulus)
        if problem:
            raise self.fail(problem, loc)

    def tensor_decl(self, s: ast.VarDecl) -> None:
        if s.is_const:
            raise self.fail("host tensors cannot be 'const'", s.loc)
        if s.type != FIELD:
            self.tensor_type(s.type, s.loc, f"tensor '{s.name}'")
        shape = self.eval_dims(s.dims, MAX_TENSOR)
        if s.init is None:
            self.add_tensor(s.name, shape, TensorKind.INTERMEDIATE, s.name_loc, s.type)
            return
        init = s.init
        if not (isinstance(init, ast.Call) and init.func == "reshape"):
            raise self.fail(
                "a host field declaration declares a tensor: write 'field t[...];' or "
                "'field v[...] = reshape(t);'",
                init.loc,
            )
        if len(init.args) != 1:
            raise self.fail(f"reshape takes 1 argument, got {len(init.args)}", init.loc)
        src = self.tensor(init.args[0], "the argument of reshape")
        if s.type != self.elems[src.base]:
            raise self.fail(
                f"view '{s.name}' is declared {s.type} but '{src.text}' holds "
                f"{self.elems[src.base]} elements: a view has the element type of its tensor",
                s.loc,
            )
        if shape_size(src.shape) != shape_size(shape):
            raise self.fail(
                f"reshape of '{src.text}' from {shape_text(src.shape)} "
                f"({shape_size(src.shape)} elements) to {shape_text(shape)} "
                f"({shape_size(shape)} elements) changes the number of elements",
                init.loc,
            )
        base_shape = self.shapes[src.base][len(src.index) :]
        if not same_padded_layout(base_shape, shape):
            raise self.fail(
                f"reshape of '{src.text}' from {shape_text(src.shape)} to "
                f"{shape_text(shape)} moves elements in the padded layout (every dimension is "
                f"padded to a power of two, and tensors are committed that way); keep the "
                f"dimensions that are split or merged powers of two",
                init.loc,
            )
        self.grow(s.name_loc)
        gname = self.graph_name(s.name)
        self.graph.views.append(View(gname, src.base, shape, s.name_loc, src.index))
        sym = TensorSym(gname, src.base, shape, src.kind, s.name_loc, src.index)
        self.declare(s.name, sym, s.name_loc)

    def readable(self, sym: TensorSym, e: ast.Expr) -> None:
        """Reading needs every element the name sees written: the whole tensor, or the
        slice (by one launch or by launches writing slices of it)."""
        parts = self.parts.get(sym.base)
        if parts is None or parts.covers(sym.index):
            return
        done = parts.written(sym.index)
        if not done:
            what = "slice" if sym.index else "tensor"
            raise self.fail(f"{what} '{sym.text}' is read before any launch writes it", e.loc)
        raise self.fail(
            f"'{sym.text}' is read before it is fully written ({done} of "
            f"{parts.size(sym.index)} elements are)",
            e.loc,
        )

    def record_write(self, sym: TensorSym, p: Param, arg: ast.Expr, launch: SourceLoc) -> None:
        """Record a launch's write of `sym`, refused when it overlaps a part already written
        (every element is written exactly once), with a note at that first write."""
        if sym.kind not in (TensorKind.PUBLIC_OUT, TensorKind.INTERMEDIATE):
            raise self.fail(
                f"output parameter '{p.name}' cannot write the {_KIND_TEXT[sym.kind]} '{sym.text}'",
                arg.loc,
            )
        parts = self.parts[sym.base]
        first = parts.overlap(sym.index)
        if first is not None:
            if not sym.index and parts.covers():
                msg = (
                    f"tensor '{sym.base}' is written twice (already written by the launch at "
                    f"{first}); every tensor is written exactly once"
                )
            else:
                msg = (
                    f"'{sym.text}' overlaps a part of '{sym.base}' already written (first by "
                    f"the launch at {first}); every element is written exactly once"
                )
            err = self.fail(msg, arg.loc)
            self.sink.report("note", f"'{sym.base}' first written here", first)
            raise err
        parts.add(sym.index, launch)

    def exec_launch(self, s: ast.Launch) -> None:
        self.mentioned.add(s.kernel)
        self.mentioned.update(n for a in s.args if (n := _root(a)) is not None)
        fn = self.functions.get(s.kernel)
        if fn is None:
            raise self.undefined("kernel", s.kernel, s.name_loc)
        if fn.kind != "global":
            raise self.fail(f"'{s.kernel}' is not a kernel (a __global__ function)", s.name_loc)
        values = self.template_args(fn, s.targs)
        if fn.is_template and values is None:
            raise self.fail(
                f"kernel '{s.kernel}' is a template: launch an instance of it, "
                f"{s.kernel}<...><<<count>>>(...)",
                s.name_loc,
            )
        count = self.eval_int(s.count, "the instance count")
        if count < 1:
            raise self.fail(
                f"the instance count must be at least 1, got {int_text(count)}", s.count.loc
            )
        kernel = self.kernels.add(fn, values, s.loc)
        params = self.kernels.signatures.get(kernel)
        if params is None:
            raise Abort()  # the kernel's own errors are already reported
        ir = self.kernels.irs.get(kernel)
        if ir is not None and (excess := launch_work_excess(count, ir.instr_count())):
            # here, not first when the plan is made, so that `check` reports it at the launch
            raise self.fail(f"launch of '{kernel}': {excess}", s.loc)
        if len(s.args) != len(params):
            raise self.fail(
                f"kernel '{kernel}' takes {len(params)} argument(s), got {len(s.args)}", s.loc
            )
        syms = [self.tensor(a, "a launch argument") for a in s.args]
        for k, (p, sym, arg) in enumerate(zip(params, syms, s.args, strict=True)):
            want = p.shape if p.broadcast else (count, *p.shape)
            if sym.shape != want:
                how = "broadcast" if p.broadcast else f"split over {int_text(count)} instances of"
                raise self.fail(
                    f"argument '{sym.text}' for parameter '{p.name}' of '{kernel}' has "
                    f"shape {shape_text(sym.shape)}, expected {shape_text(want)} "
                    f"({how} {shape_text(p.shape)})",
                    arg.loc,
                )
            elem, declared = self.elems[sym.base], fn.params[k].type
            if elem != FIELD and declared != elem:
                raise self.fail(
                    f"argument '{sym.text}' for parameter '{p.name}' of '{kernel}' holds "
                    f"{elem} elements, but the parameter is declared {declared}: declare it "
                    f"{elem}, so that the kernel checks the range",
                    arg.loc,
                )
            if not p.is_output:
                self.readable(sym, arg)  # before this launch's own writes
        for p, sym, arg in zip(params, syms, s.args, strict=True):
            if p.is_output:
                self.record_write(sym, p, arg, s.loc)
        for p, sym in zip(params, syms, strict=True):
            if not p.is_output:
                self.read.add(sym.base)
        if kernel not in self.launched:
            self.launched.append(kernel)
        args = tuple(sym.graph_name for sym in syms)
        self.grow(s.loc)
        self.graph.steps.append(Launch(kernel, count, args, s.loc))

    def eval_call(self, e: ast.Call) -> Value:
        if e.func == "reshape":
            raise self.fail(
                "reshape(...) can only initialise a view: field v[...] = reshape(t);", e.loc
            )
        if e.func != "assert_eq":
            return super().eval_call(e)
        if len(e.args) != 2:
            raise self.fail(f"assert_eq takes 2 arguments, got {len(e.args)}", e.loc)
        a, b = (self.tensor(x, "an argument of assert_eq") for x in e.args)
        for sym, x in ((a, e.args[0]), (b, e.args[1])):
            if sym.index:
                raise self.fail(
                    f"assert_eq cannot take the slice '{sym.text}' (not yet supported): compare "
                    "whole tensors, or have a kernel compare the slices",
                    x.loc,
                )
        if a.shape != b.shape:
            raise self.fail(
                f"assert_eq of tensors with different shapes: '{a.text}' is "
                f"{shape_text(a.shape)}, '{b.text}' is {shape_text(b.shape)}",
                e.loc,
            )
        for sym, x in ((a, e.args[0]), (b, e.args[1])):
            self.readable(sym, x)
            self.read.add(sym.base)
        self.grow(e.loc)
        self.graph.steps.append(AssertEq(a.graph_name, b.graph_name, e.loc))
        return VOID

    # -- whole function --------------------------------------------------------------------
    def compile_main(self, fn: ast.FuncDecl) -> HostGraph:
        scope = self.globals.child()
        self.scope = scope
        self.bind_main_params(fn)
        try:
            self.run_block(fn.body.stmts, scope.child())
        except ReturnSignal as r:
            if r.value is not VOID:
                self.sink.error("main is void and cannot return a value", r.loc)
        self.scope = self.globals
        if self.stopped:
            return self.graph  # what main did not get to is not an error of its own
        for t in self.graph.tensors:
            parts = self.parts.get(t.name)
            done = parts.written() if parts is not None else 0
            if t.name in self.failed and parts is not None and not parts.covers():
                continue  # a failed launch named it: its error is already reported
            if t.kind is TensorKind.PUBLIC_OUT and not done:
                self.sink.error(f"public output '{t.name}' is never written", t.loc)  # type: ignore[arg-type]
            elif t.kind is TensorKind.PUBLIC_OUT and done < t.size:
                self.sink.error(
                    f"public output '{t.name}' is only partly written by the end of main "
                    f"({done} of {t.size} elements)",
                    t.loc,  # type: ignore[arg-type]
                )
            elif t.kind is TensorKind.INTERMEDIATE and not done:
                self.sink.warning(f"intermediate tensor '{t.name}' is never written", t.loc)  # type: ignore[arg-type]
            elif (
                t.kind in (TensorKind.PUBLIC_IN, TensorKind.PRIVATE_IN)
                and t.name not in self.read
                and not self.sink.has_errors()  # a launch that failed may have read it
            ):
                self.sink.warning(f"{_KIND_TEXT[t.kind]} '{t.name}' is never used", t.loc)  # type: ignore[arg-type]
        return self.graph
