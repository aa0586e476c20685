"""The kernel interpreter with every AST node turned into a Python closure once.

Unrolling runs a loop body's nodes once per iteration: a 64 x 64 matrix product runs the
statement `acc += a[i][k] * b[k][j]` 262,144 times. The tree-walking interpreter (`Interp`)
dispatches on each node's type, walks the scope chain for every name, builds a value object
for every intermediate result and re-derives the same facts (the statement's `acc = acc + ...`
form, the loop's counted form, the strides of `a`) every time. Here each node is compiled, on
its first execution, into a closure that holds its children's closures and those facts.

Closures return *raw* results: a field value as its SSA index (a plain int), anything else as
the `Value` the interpreter would give (`IntV`, `FieldV`, `Ref`, `VoidV`), so arithmetic on
field values builds no value objects; small ints come from a table for the same reason.

The closures compute exactly what `Interp` computes, in the same order, with the same checks:
the common case (ints and field values, assigned cells, indices in bounds) is handled in line,
anything else goes to the `Interp` method that handles it, given the values already computed,
so diagnostics, warnings and the emitted IR are unchanged and nothing is evaluated twice.
Nodes with no fast form (calls, `?:`, declarations, `return`) run the `Interp` method itself,
whose children are compiled closures again. A block that declares nothing gets no scope of
its own: a name it does not declare is found in its parent whether it has one or not.

Only kernels (and the device functions they inline) use this; the host interpreter keeps the
plain one, since host code runs once and `HostCompiler` overrides places and statements.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from zkcc.frontend import ast, statements
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.evaluator import FIXED_KINDS
from zkcc.frontend.loops import Counted, assigned_names, counted
from zkcc.frontend.statements import _BARRIER, _COMPOUND, Interp, _Frame
from zkcc.frontend.values import FIELD, INT, FieldV, FixedV, IntV, Ref, Scope, Value
from zkcc.ir.kernel import KernelBuilder
from zkcc.ir.source import SourceLoc

Raw = int | Value  # an SSA index for a field value, else the value itself
Run = Callable[[], Raw]
Exec = Callable[[], None]
Place = tuple[Ref, int, tuple[int, ...], list[int]]  # root, flat offset, shape, indices

_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_BUILDER = {"+": KernelBuilder.add, "-": KernelBuilder.sub, "*": KernelBuilder.mul}
_COMPARE = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_NSMALL = 1 << 12
_SMALL = tuple(IntV(i) for i in range(_NSMALL))  # shared: values are never mutated


def as_value(v: Raw) -> Value:
    return FieldV(v) if type(v) is int else v  # type: ignore[return-value]


def store_fast(ref: Ref, v: Raw, loc: SourceLoc) -> bool:
    """Write `v` to the scalar `ref` when that needs no check beyond its type (a writable
    field cell given a field value, an int cell given an int): True when done, False when
    the caller must take `Interp.write`, which checks, converts and reports."""
    st = ref.store
    if ref.shape or ref.const or st.kind == "input" or st.kind == "const":
        return False
    tv = type(v)
    if st.elem == FIELD:
        if tv is int:
            cell = v
        elif tv is FieldV:
            cell = v.ssa  # type: ignore[union-attr]
        else:
            return False
    elif st.elem == INT and tv is IntV:
        cell = v.value  # type: ignore[union-attr]
    else:
        return False
    st.cells[ref.offset] = cell  # type: ignore[assignment]
    st.locs[ref.offset] = loc
    return True


def _strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides of `shape`: how far `x[i]` moves for each dimension."""
    out = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        out[k] = out[k + 1] * shape[k + 1]
    return tuple(out)


def _simple_indices(e: ast.Index) -> tuple[str, tuple[str | int, ...] | None]:
    """The root name of `x[i][j]...` and its indices as names and literal values; None for
    the indices when one is anything else."""
    keys: list[str | int] = []
    node: ast.Expr = e
    while type(node) is ast.Index:
        index = node.index  # type: ignore[attr-defined]
        if type(index) is ast.Name:
            keys.append(index.id)
        elif type(index) is ast.IntLit:
            keys.append(index.value)
        else:
            return "", None
        node = node.base  # type: ignore[attr-defined]
    return node.id, tuple(reversed(keys))  # type: ignore[attr-defined]


def _int_cell(r: object) -> int | None:
    """The value of `r` when it is an assigned, usable int scalar; else None."""
    if type(r) is Ref and not r.shape:
        st = r.store
        if st.elem == INT and not st.poisoned:
            return st.cells[r.offset]  # type: ignore[return-value]
    return None


def _int_key(e: ast.Expr) -> str | int | None:
    """A name (its id) or a literal (its value); None for anything else."""
    if type(e) is ast.Name:
        return e.id  # type: ignore[attr-defined]
    if type(e) is ast.IntLit:
        return e.value  # type: ignore[attr-defined]
    return None


@dataclass(frozen=True)
class _Dot:
    """An inner product loop `for (int k = ...; k op bound; ...) acc += x[..] * y[..];` with
    the indices of x and y names or literals (`_dot_form`)."""

    acc: str
    x: tuple[str, tuple[str | int, ...]]
    y: tuple[str, tuple[str | int, ...]]
    product: ast.Binary
    update: ast.Assign


def _dot_form(s: ast.For, form: Counted | None, stmts: list[ast.Stmt]) -> _Dot | None:
    """The loop as an inner product, when it is one whose counter its own init declares (so
    the counter's final value dies with the loop) and whose accumulator is no index."""
    init = s.init
    if form is None or len(stmts) != 1 or type(init) is not ast.VarDecl:
        return None
    if init.name != form.counter or init.dims:  # type: ignore[attr-defined]
        return None
    st = stmts[0]
    if type(st) is not ast.Assign or st.op != "+=" or type(st.target) is not ast.Name:  # type: ignore[attr-defined]
        return None
    v = st.value  # type: ignore[attr-defined]
    if type(v) is not ast.Binary or v.op != "*":
        return None
    if type(v.lhs) is not ast.Index or type(v.rhs) is not ast.Index:
        return None
    (xr, xk), (yr, yk) = _simple_indices(v.lhs), _simple_indices(v.rhs)
    acc = st.target.id  # type: ignore[attr-defined]
    if xk is None or yk is None or acc in (form.counter, xr, yr, *xk, *yk):
        return None
    return _Dot(acc, (xr, xk), (yr, yk), v, st)  # type: ignore[arg-type]


def _declares(stmts: list[ast.Stmt]) -> bool:
    """Whether running `stmts` can declare a name in their scope (only a declaration does;
    loops, blocks and branches declare in scopes of their own)."""
    return any(isinstance(s, ast.VarDecl) for s in stmts)


class CompiledInterp(Interp):
    """`Interp` whose `eval` and `exec` run each node's compiled closure."""

    def __init__(
        self,
        sink: Sink,
        globals_: Scope,
        functions: dict[str, ast.FuncDecl],
        builder: KernelBuilder | None = None,
    ):
        super().__init__(sink, globals_, functions, builder)
        self._exprs: dict[int, Run] = {}
        self._stmts: dict[int, Exec] = {}
        self._keep: list[object] = []  # compiled nodes stay alive, so their ids stay unique
        self._strides: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._general_eval = super().eval
        self._general_exec = super().exec

    def release(self) -> None:
        """Drop the compiled closures. They refer to the interpreter, which refers to them:
        without this the interpreter, its builder and the unpruned instructions would wait
        for the cyclic collector instead of going as soon as the kernel is done."""
        self._exprs.clear()
        self._stmts.clear()
        self._keep.clear()
        del self._general_eval, self._general_exec

    # -- entry points ----------------------------------------------------------------------
    def eval(self, e: ast.Expr) -> Value:
        v = (self._exprs.get(id(e)) or self.code(e))()
        return FieldV(v) if type(v) is int else v  # type: ignore[return-value]

    def exec(self, s: ast.Stmt) -> None:
        (self._stmts.get(id(s)) or self.stmt_code(s))()

    def code(self, e: ast.Expr) -> Run:
        """The closure evaluating `e` to a raw result."""
        fn = self._exprs.get(id(e))
        if fn is None:
            fn = self._exprs[id(e)] = self._compile_expr(e)
            self._keep.append(e)
        return fn

    def stmt_code(self, s: ast.Stmt) -> Exec:
        fn = self._stmts.get(id(s))
        if fn is None:
            fn = self._stmts[id(s)] = self._compile_stmt(s)
            self._keep.append(s)
        return fn

    # -- expressions -------------------------------------------------------------------------
    def _compile_expr(self, e: ast.Expr) -> Run:
        kind = type(e)
        if kind is ast.IntLit:
            v = IntV(e.value)  # type: ignore[attr-defined]
            return lambda: v
        if kind is ast.Name:
            return self._compile_name(e)  # type: ignore[arg-type]
        if kind is ast.Index:
            return self._compile_element(e)  # type: ignore[arg-type]
        if kind is ast.Binary:
            if e.op in _ARITH and self.builder is not None:  # type: ignore[attr-defined]
                return self._compile_arith(e)  # type: ignore[arg-type]
            return self._compile_binary(e)  # type: ignore[arg-type]
        general = self._general_eval
        return lambda: general(e)

    def _compile_name(self, e: ast.Name) -> Run:
        name, loc, general, load = e.id, e.loc, self._general_eval, self.load

        def run() -> Raw:
            ref = self.scope.visible.get(name)
            if type(ref) is Ref:
                st = ref.store
                if not st.poisoned:
                    if ref.shape:
                        return ref
                    cell = st.cells[ref.offset]
                    if cell is None:
                        return load(ref, loc)
                    if st.elem == INT:
                        return _SMALL[cell] if 0 <= cell < _NSMALL else IntV(cell)
                    if st.frac is not None:
                        return FixedV(cell, st.frac)
                    return cell
            return general(e)  # reports

        return run

    def _compile_element(self, e: ast.Index) -> Run:
        """An element read. For `v[i]` and `m[i][j]` with names or literals as indices, a
        read that needs no check beyond the bounds (an assigned cell, int indices in range)
        is made in line, with no index list and no `Ref`; anything else takes
        `_compile_locate`'s path, which reads the (side-effect free) indices again and
        reports."""
        locate = self._compile_locate(e)
        general, load, loc = self._general_eval, self.load, e.loc
        if locate is None:
            return lambda: general(e)
        root, keys = _simple_indices(e)

        def run() -> Raw:
            found = locate()
            if found is None:
                return general(e)
            ref, offset, shape, done = found
            if shape:
                return Ref.path(ref, offset, shape, done)
            st = ref.store
            cell = st.cells[offset]
            if cell is None:
                return load(Ref.path(ref, offset, (), done), loc)
            if st.elem == INT:
                return _SMALL[cell] if 0 <= cell < _NSMALL else IntV(cell)
            if st.frac is not None:
                return FixedV(cell, st.frac)
            return cell

        if keys is None or len(keys) > 2:
            return run
        k0, k1 = keys if len(keys) == 2 else (keys[0], None)

        def vector() -> Raw:
            visible = self.scope.visible
            ref = visible.get(root)
            if type(ref) is Ref and len(ref.shape) == 1 and not ref.store.poisoned:
                i = k0 if type(k0) is int else _int_cell(visible.get(k0))
                if i is not None and 0 <= i < ref.shape[0]:
                    st = ref.store
                    cell = st.cells[ref.offset + i]
                    if cell is not None:
                        if st.elem == INT:
                            return _SMALL[cell] if 0 <= cell < _NSMALL else IntV(cell)
                        if st.frac is not None:
                            return FixedV(cell, st.frac)
                        return cell
            return run()

        def matrix() -> Raw:
            visible = self.scope.visible
            ref = visible.get(root)
            if type(ref) is Ref and len(ref.shape) == 2 and not ref.store.poisoned:
                # `_int_cell` of each index, written out: this is the hottest read
                i = j = None
                if type(k0) is int:
                    i = k0
                else:
                    r = visible.get(k0)
                    if type(r) is Ref and not r.shape:
                        rs = r.store
                        if rs.elem == INT and not rs.poisoned:
                            i = rs.cells[r.offset]
                if type(k1) is int:
                    j = k1
                else:
                    r = visible.get(k1)
                    if type(r) is Ref and not r.shape:
                        rs = r.store
                        if rs.elem == INT and not rs.poisoned:
                            j = rs.cells[r.offset]
                if i is not None and j is not None:
                    d0, d1 = ref.shape
                    if 0 <= i < d0 and 0 <= j < d1:
                        st = ref.store
                        cell = st.cells[ref.offset + i * d1 + j]
                        if cell is not None:
                            if st.elem == INT:
                                return _SMALL[cell] if 0 <= cell < _NSMALL else IntV(cell)
                            if st.frac is not None:
                                return FixedV(cell, st.frac)
                            return cell
            return run()

        return matrix if k1 is not None else vector

    def _compile_arith(self, e: ast.Binary) -> Run:
        """`+ - *`: one builder call on field values (ints promoted), or int arithmetic."""
        lhs, rhs, lnode, rnode = self.code(e.lhs), self.code(e.rhs), e.lhs, e.rhs
        int_op, emit = _ARITH[e.op], _BUILDER[e.op]
        op, loc = e.op, e.loc
        bld, bounds, int_bits = self.builder, self.bounds, self.limits.int_bits
        to_field, scalar, binary_values = self.to_field, self.scalar, self.binary_values

        def run() -> Raw:
            a = lhs()
            ta = type(a)
            if ta is not int and ta is not FieldV and ta is not IntV:
                a = scalar(a, lnode)  # type: ignore[arg-type]  # reports
            b = rhs()
            tb = type(b)
            if tb is not int and tb is not FieldV and tb is not IntV:
                b = scalar(b, rnode)  # type: ignore[arg-type]
            if type(a) in FIXED_KINDS or type(b) in FIXED_KINDS:  # fixed-point arithmetic
                return binary_values(e, as_value(a), as_value(b))  # type: ignore[arg-type]
            if ta is int and tb is int:
                x, y = a, b
            elif ta is IntV and tb is IntV:
                r = int_op(a.value, b.value)  # type: ignore[union-attr]
                if r.bit_length() > int_bits:
                    self.int_op(e, a.value, b.value)  # type: ignore[union-attr]  # reports
                return _SMALL[r] if 0 <= r < _NSMALL else IntV(r)
            else:
                x = a if ta is int else to_field(a, lnode.loc)  # type: ignore[arg-type]
                y = b if tb is int else to_field(b, rnode.loc)  # type: ignore[arg-type]
            r = emit(bld, x, y, loc)
            if bounds.facts:  # type: ignore[union-attr]
                bounds.derive(op, r, x, y)  # type: ignore[union-attr]
            return r

        return run

    def _compile_binary(self, e: ast.Binary) -> Run:
        lhs, rhs, lnode, rnode = self.code(e.lhs), self.code(e.rhs), e.lhs, e.rhs
        binary_values, scalar = self.binary_values, self.scalar
        stop_on = {"&&": 0, "||": 1}.get(e.op)  # the left value that decides alone, as in C
        compare = _COMPARE.get(e.op)

        def run() -> Raw:
            a = lhs()
            ta = type(a)
            if ta is not int and ta is not FieldV and ta is not IntV:
                a = scalar(a, lnode)  # type: ignore[arg-type]  # reports
            if stop_on is not None and ta is IntV and bool(a.value) == stop_on:  # type: ignore[union-attr]
                return _SMALL[stop_on]
            b = rhs()
            if compare is not None and ta is IntV and type(b) is IntV:
                return _SMALL[compare(a.value, b.value)]  # type: ignore[union-attr]
            v = binary_values(e, as_value(a), scalar(as_value(b), rnode))  # type: ignore[arg-type]
            return v.ssa if type(v) is FieldV else v  # type: ignore[union-attr]

        lkey, rkey = _int_key(e.lhs), _int_key(e.rhs)
        if compare is None or lkey is None or rkey is None:
            return run

        def compare_ints() -> Raw:
            """`i < n` (names of assigned ints, or literals) in line; else `run`, which
            reads the names again (without effects) and reports."""
            visible = self.scope.visible
            a = b = None  # `_int_cell` of each side, written out (a loop's test)
            if type(lkey) is int:
                a = lkey
            else:
                r = visible.get(lkey)
                if type(r) is Ref and not r.shape:
                    rs = r.store
                    if rs.elem == INT and not rs.poisoned:
                        a = rs.cells[r.offset]
            if type(rkey) is int:
                b = rkey
            else:
                r = visible.get(rkey)
                if type(r) is Ref and not r.shape:
                    rs = r.store
                    if rs.elem == INT and not rs.poisoned:
                        b = rs.cells[r.offset]
            if a is None or b is None:
                return run()
            return _SMALL[compare(a, b)]

        return compare_ints

    # -- places: names and indexed elements ---------------------------------------------------
    def _compile_locate(self, e: ast.Index) -> Callable[[], Place | None] | None:
        """For an element `x[i][j]...` of a named array: a closure giving the root `Ref`, the
        flat offset, the shape and the indices of the element, every index checked (an index
        that names an int is read in line). None when `e` has another form; the closure
        gives None when the root is not a usable `Ref`, and then `place` must handle `e`
        (nothing was evaluated yet)."""
        chain: list[ast.Index] = []
        node: ast.Expr = e
        while type(node) is ast.Index:
            chain.append(node)  # type: ignore[arg-type]
            node = node.base  # type: ignore[attr-defined]
        if type(node) is not ast.Name:
            return None
        chain.reverse()
        name = node.id  # type: ignore[attr-defined]
        specs = [
            (n.index.id if type(n.index) is ast.Name else None, self.code(n.index), n)  # type: ignore[attr-defined]
            for n in chain
        ]
        int_value, element_of, strides_of = self.int_value, self.element_of, self._strides

        def locate() -> Place | None:
            ref = self.scope.visible.get(name)
            if type(ref) is not Ref or ref.store.poisoned:
                return None
            shape = ref.shape
            strides = strides_of.get(shape)
            if strides is None:
                strides = strides_of[shape] = _strides(shape)
            offset = ref.offset
            depth = len(shape)
            done: list[int] = []
            k = 0
            for index_name, index, node in specs:
                i = None
                if index_name is not None:
                    r = self.scope.visible.get(index_name)
                    if type(r) is Ref and not r.shape and r.store.elem == INT:
                        if not r.store.poisoned:
                            i = r.store.cells[r.offset]
                if i is None:
                    v = index()
                    i = (
                        v.value
                        if type(v) is IntV
                        else int_value(as_value(v), node.index, "array index")
                    )  # type: ignore[union-attr]
                if k >= depth or not 0 <= i < shape[k]:
                    element_of(self._path(ref, done), i, node)  # reports
                offset += i * strides[k]
                done.append(i)
                k += 1
            return ref, offset, shape[k:], done

        return locate

    def _path(self, root: Ref, indices: list[int]) -> Ref:
        """`root[i][j]...` as a `Ref` named by its indices."""
        if not indices:
            return root
        strides = _strides(root.shape)
        offset = root.offset + sum(i * s for i, s in zip(indices, strides, strict=False))
        return Ref.path(root, offset, root.shape[len(indices) :], tuple(indices))

    def _compile_place(self, e: ast.Expr) -> Callable[[], Ref]:
        """The `Ref` an assignment writes (as `place`)."""
        place = self.place
        if type(e) is ast.Name:
            name = e.id  # type: ignore[attr-defined]

            def named() -> Ref:
                ref = self.scope.visible.get(name)
                if type(ref) is Ref and not ref.store.poisoned:
                    return ref
                return place(e)

            return named
        locate = self._compile_locate(e) if type(e) is ast.Index else None  # type: ignore[arg-type]
        if locate is None:
            return lambda: place(e)

        def element() -> Ref:
            found = locate()
            if found is None:
                return place(e)
            return Ref.path(*found)

        return element

    # -- statements --------------------------------------------------------------------------
    def _compile_stmt(self, s: ast.Stmt) -> Exec:
        kind = type(s)
        if kind is ast.Block:
            return self._statements(s.stmts)  # type: ignore[attr-defined]
        if kind is ast.For:
            return self._compile_for(s)  # type: ignore[arg-type]
        if kind is ast.If:
            return self._compile_if(s)  # type: ignore[arg-type]
        if kind is ast.Assign:
            if s.op == "=":  # type: ignore[attr-defined]
                return self._compile_assign(s)  # type: ignore[arg-type]
            return self._compile_update(s, _COMPOUND[s.op], s.value)  # type: ignore[attr-defined]
        if kind is ast.IncDec:
            one = ast.IntLit(s.loc, 1)
            return self._compile_update(s, "+" if s.op == "++" else "-", one)  # type: ignore[attr-defined]
        if kind is ast.ExprStmt:
            fn = self.code(s.expr)  # type: ignore[attr-defined]

            def expression() -> None:
                fn()

            return expression
        general = self._general_exec
        return lambda: general(s)

    def _statements(self, stmts: list[ast.Stmt]) -> Exec:
        """Run `stmts` as `run_block` does (each one's error reported and the next one run,
        none after a limit is reached), in a scope of their own when they declare names."""
        fns = [self.stmt_code(s) for s in stmts]

        def run() -> None:
            for fn in fns:
                if self.stopped:
                    return
                try:
                    fn()
                except Abort:
                    pass

        if not _declares(stmts):
            return run

        def scoped() -> None:
            saved = self.scope
            self.scope = Scope(saved)
            try:
                run()
            finally:
                self.scope = saved

        return scoped

    def _compile_assign(self, s: ast.Assign) -> Exec:
        place, value = self._compile_place(s.target), self.code(s.value)
        loc, write = s.loc, self.write

        def run() -> None:
            ref = place()
            v = value()
            if not store_fast(ref, v, loc):
                write(ref, as_value(v), loc)

        return run

    def _compile_update(self, s: ast.Stmt, op: str, value: ast.Expr) -> Exec:
        """`target op= value`, `++`, `--` as `target = target op value` (see `assign_op`);
        `counter += literal` on a writable int scalar (a loop's update) in line."""
        target, loc = s.target, s.loc  # type: ignore[attr-defined]
        place = self._compile_place(target)
        combined = self.code(ast.Binary(loc, op, target, value))
        write, fail = self.write, self.fail

        def run() -> None:
            ref = place()
            if ref.shape:
                raise fail(f"cannot update array '{ref.text}' as a whole", loc)
            v = combined()
            if not store_fast(ref, v, loc):
                write(ref, as_value(v), loc)

        if type(target) is not ast.Name:
            return run
        if type(value) is not ast.IntLit:
            return self._compile_accumulate(s, op, value, run) if op in _BUILDER else run
        if op not in "+-":
            return run
        name, int_bits = target.id, self.limits.int_bits  # type: ignore[attr-defined]
        step = value.value if op == "+" else -value.value  # type: ignore[attr-defined]

        def count() -> None:
            ref = self.scope.visible.get(name)
            if type(ref) is Ref and not ref.shape and not ref.const:
                st = ref.store
                kind = st.kind
                if st.elem == INT and not st.poisoned and kind != "input" and kind != "const":
                    cell = st.cells[ref.offset]
                    if cell is not None:
                        r = cell + step
                        if r.bit_length() <= int_bits:
                            st.cells[ref.offset] = r
                            st.locs[ref.offset] = loc
                            return
            run()  # nothing was done yet: the general form, which checks and reports

        return count

    def _compile_accumulate(self, s: ast.Stmt, op: str, value: ast.Expr, general: Exec) -> Exec:
        """`acc op= value` on a writable field scalar `acc` (an accumulation) in line: `acc`
        read, `value` evaluated, one builder call, the cell written, as `general` does. When
        `value` is not a field value, `general`'s remaining steps run from the values."""
        name, loc = s.target.id, s.loc  # type: ignore[attr-defined]
        combined = ast.Binary(loc, op, s.target, value)  # type: ignore[attr-defined]
        rhs, emit, bld, bounds = self.code(value), _BUILDER[op], self.builder, self.bounds
        binary_values, scalar, write = self.binary_values, self.scalar, self.write
        if bld is None:
            return general

        def run() -> None:
            ref = self.scope.visible.get(name)
            if type(ref) is Ref and not ref.shape and not ref.const:
                st = ref.store
                kind = st.kind
                if st.elem == FIELD and not st.poisoned and kind != "input" and kind != "const":
                    x = st.cells[ref.offset]
                    if x is not None:
                        b = rhs()
                        if type(b) is int:
                            r = emit(bld, x, b, loc)
                            if bounds.facts:  # type: ignore[union-attr]
                                bounds.derive(op, r, x, b)  # type: ignore[union-attr]
                        else:  # a fixed-point result must not land in a field cell
                            b = scalar(b, value)  # type: ignore[arg-type]  # reports
                            r = binary_values(combined, FieldV(x), b)
                            if not store_fast(ref, r, loc):
                                write(ref, r, loc)  # converts, or reports
                            return
                        st.cells[ref.offset] = r
                        st.locs[ref.offset] = loc
                        return
            general()  # nothing was done yet

        return run

    def _compile_if(self, s: ast.If) -> Exec:
        """`exec_if`: the branch runs with the enclosing loops' counts unknown."""
        cond, node = self.code(s.cond), s.cond
        then = self._statements([s.then])
        other = self._statements([s.other]) if s.other is not None else None
        truth, what = self.truth, "condition of 'if'"

        def run() -> None:
            v = cond()
            if type(v) is IntV:
                branch = then if v.value else other
            else:
                branch = then if truth(as_value(v), node, what) else other
            if branch is not None:
                self.loops.append(_BARRIER)
                try:
                    branch()
                finally:
                    self.loops.pop()

        return run

    def _inner_product(self, dot: _Dot, form: Counted, trips: int | None) -> bool:
        """Run an inner product loop in one pass when nothing in it can go wrong: a known trip
        count within every limit, a writable field accumulator, field operands whose every
        element the loop reads is in range and assigned. It emits the instructions the loop
        would (a product, then the sum, per trip, with their locations and bound facts) and
        returns True; otherwise it does nothing and returns False, and the loop runs as
        written (and reports what it reports). The matmul and dense layers of ML programs
        are such loops (bench/compile.py)."""
        bld, lim = self.builder, self.limits
        if bld is None or not trips:
            return False
        instrs = bld.kernel.instrs
        if (
            trips > lim.loop_trips
            or self.unrolled + trips > lim.unroll
            or len(instrs) + 2 * trips > statements.MAX_KERNEL_INSTRS
        ):
            return False
        visible = self.scope.visible
        acc = visible.get(dot.acc)
        if type(acc) is not Ref or acc.shape or acc.const:
            return False
        st = acc.store
        if st.elem != FIELD or st.poisoned or st.kind in ("input", "const"):
            return False
        total = st.cells[acc.offset]
        start = _int_cell(visible.get(form.counter))
        if total is None or start is None:
            return False
        try:
            step = form.sign * self.eval_int(form.step, "loop step")
        except Abort:
            return False
        ks = range(start, start + step * trips, step)  # trips >= 1: step != 0 (trips_ahead)
        xs = self._dot_operand(dot.x, form.counter, ks)
        ys = xs and self._dot_operand(dot.y, form.counter, ks)
        if not ys:
            return False
        mul, add, bounds = bld.mul, bld.add, self.bounds
        mul_loc, add_loc = dot.product.loc, dot.update.loc
        for x, y in zip(xs, ys, strict=True):  # type: ignore[arg-type]
            p = mul(x, y, mul_loc)
            if bounds.facts:  # type: ignore[union-attr]
                bounds.derive("*", p, x, y)  # type: ignore[union-attr]
            r = add(total, p, add_loc)
            if bounds.facts:  # type: ignore[union-attr]
                bounds.derive("+", r, total, p)  # type: ignore[union-attr]
            total = r
        st.cells[acc.offset] = total
        st.locs[acc.offset] = add_loc
        self.unrolled += trips
        return True

    def _dot_operand(self, operand, counter: str, ks: range) -> list[int] | None:
        """The field values `root[keys]` takes as the counter runs through `ks`, when every
        one is in range and assigned (else None)."""
        root, keys = operand
        visible = self.scope.visible
        ref = visible.get(root)
        if type(ref) is not Ref or len(ref.shape) != len(keys):
            return None
        st = ref.store
        if st.elem != FIELD or st.frac is not None or st.poisoned:
            return None
        fixed, counted_stride = ref.offset, 0
        for key, dim, stride in zip(keys, ref.shape, _strides(ref.shape), strict=True):
            if key == counter:
                if not (0 <= ks.start < dim and 0 <= ks[-1] < dim):
                    return None
                counted_stride += stride
                continue
            i = key if type(key) is int else _int_cell(visible.get(key))
            if i is None or not 0 <= i < dim:
                return None
            fixed += i * stride
        cells = st.cells
        out = [cells[fixed + k * counted_stride] for k in ks]
        return None if None in out else out  # type: ignore[return-value]

    def _compile_for(self, s: ast.For) -> Exec:
        """`exec_for` with the loop's counted form and assigned names found once; the body's
        block is the iteration's scope (`exec_for` puts a scope around it in which nothing
        is ever declared)."""
        init = self.stmt_code(s.init) if s.init is not None else None
        cond = self.code(s.cond) if s.cond is not None else None
        update = self.stmt_code(s.update) if s.update is not None else None
        stmts = s.body.stmts if type(s.body) is ast.Block else [s.body]  # type: ignore[attr-defined]
        body = self._statements(stmts)
        fns = None if _declares(stmts) else [self.stmt_code(x) for x in stmts]
        form = counted(s)
        dot = _dot_form(s, form, stmts)
        assigned = frozenset(assigned_names(s) or ())
        loc = s.cond.loc if s.cond is not None else s.loc
        truth, what, lim = self.truth, "loop condition", self.limits
        max_trips, max_unroll = lim.loop_trips, lim.unroll
        max_instrs = statements.MAX_KERNEL_INSTRS  # as `count_iteration` reads it
        instrs = self.builder.kernel.instrs if self.builder is not None else []

        def run() -> None:
            saved = self.scope
            self.scope = Scope(saved)
            try:
                if init is not None:
                    init()
                frame = _Frame(self.trips_ahead(s, loc, form), assigned)
                if dot is not None and self._inner_product(dot, form, frame.remaining):
                    return
                self.loops.append(frame)
                try:
                    n = 0
                    while True:
                        if cond is not None:
                            v = cond()
                            if type(v) is IntV:
                                if not v.value:
                                    break
                            elif not truth(as_value(v), s.cond, what):  # type: ignore[arg-type]
                                break
                        n += 1
                        self.unrolled += 1
                        if n > max_trips or self.unrolled > max_unroll or len(instrs) > max_instrs:
                            self.unrolled -= 1
                            self.count_iteration(n, loc)  # counts again, and reports
                        if fns is None:
                            body()
                        else:  # `body` written out: no scope, no call
                            for fn in fns:
                                if self.stopped:
                                    break
                                try:
                                    fn()
                                except Abort:
                                    pass
                        if self.stopped:
                            break
                        if update is not None:
                            update()
                        if frame.remaining is not None:
                            frame.remaining -= 1
                finally:
                    self.loops.pop()
            finally:
                self.scope = saved

        return run


__all__ = ["CompiledInterp", "as_value", "store_fast"]
