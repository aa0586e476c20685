"""`__global__` kernel -> `KernelIR`: bind parameters, unroll the body, emit outputs, run DCE.

The body is executed by the compile-time interpreter with a `KernelBuilder` attached, so every
field operation becomes (shared, folded) IR carrying the source location that produced it.
The kernel-only builtins live here too: they are the only way to reach the builder's hint-based
gadgets (`select`, `is_zero`, `to_bits`, `from_bits`) and to the instance index
(`instance_index`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.frontend import ast
from zkcc.frontend.compiled import CompiledInterp
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.evaluator import element_text
from zkcc.frontend.limits import MAX_KERNEL_INSTRS, int_text
from zkcc.frontend.replay import Recording, Signature, record, replay, signature
from zkcc.frontend.statements import Interp, ReturnSignal, instance_name, repeated_param
from zkcc.frontend.values import FIELD, INT, VOID, FieldV, FixedV, IntV, Ref, Scope, Store, Value
from zkcc.ir.kernel import MAX_TABLE_ROWS, KernelBuilder, KernelIR, LookupTable, Param, gc_paused
from zkcc.ir.passes import eliminate_dead_code
from zkcc.ir.source import SourceLoc

_MAX_LISTED = 8


class KernelCompiler(CompiledInterp):
    """The (compiled) interpreter plus the kernel builtins."""

    replay_calls = True  # zkcc.frontend.replay; tests compare kernels made without it

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (store, offset, length) of a const table -> its entries and LookupTable (table_of)
        self._tables: dict[tuple, tuple[tuple[int, ...], LookupTable]] = {}
        # a call signature -> 1 after its first call, then its Recording, or None: interpreted
        # from then on (absent: not called yet)
        self._calls: dict[Signature, int | Recording | None] = {}
        self.called: set[str] = set()  # device functions called (zkcc.frontend.program)

    def inline(
        self, fn: ast.FuncDecl, e: ast.Call, scope: Scope, values: tuple[int, ...] | None
    ) -> Value:
        """`Interp.inline`, or the replay of the call's recording when an earlier call had
        its signature (zkcc.frontend.replay). A call from the program into another file's
        function is what the instructions it makes name as their call (SourceLoc.call)."""
        self.called.add(fn.name)
        bld: KernelBuilder = self.builder  # type: ignore[assignment]
        site = bld.call_site
        if site is None and fn.name_loc.file != e.loc.file:
            bld.call_site = e.loc
        try:
            return self._inlined(fn, e, scope, values)
        finally:
            bld.call_site = site

    def _inlined(
        self, fn: ast.FuncDecl, e: ast.Call, scope: Scope, values: tuple[int, ...] | None
    ) -> Value:
        sig = signature(self, fn, scope, values) if self.replay_calls else None
        if sig is not None:
            seen = self._calls.get(sig, 0)
            if seen == 0:
                self._calls[sig] = 1  # the first call with it is interpreted
            else:
                if seen == 1:
                    seen = self._calls[sig] = record(self, fn, e, scope, values, sig)
                if seen is not None:
                    result = replay(self, fn, scope, sig, seen)  # type: ignore[arg-type]
                    if result is not None:
                        return result
                    self._calls[sig] = None  # undone: at most once per signature
        return super().inline(fn, e, scope, values)

    def eval_call(self, e: ast.Call) -> Value:
        handler = {
            "select": self.b_select,
            "is_zero": self.b_is_zero,
            "to_bits": self.b_to_bits,
            "from_bits": self.b_from_bits,
            "instance_index": self.b_instance_index,
            "lookup": self.b_lookup,
        }.get(e.func)
        if handler is None and e.func in ORDERED_BUILTINS and e.func not in self.functions:
            handler = self.b_ordered  # a user's function of the same name comes first
        if handler is None:
            return super().eval_call(e)
        arity = _ARITY.get(e.func, 1)
        if len(e.args) != arity:
            raise self.fail(f"{e.func} takes {arity} argument(s), got {len(e.args)}", e.loc)
        return handler(e)

    def b_select(self, e: ast.Call) -> Value:
        b = self.eval_scalar(e.args[0])
        (x, y), frac = self.aligned(
            [self.eval_scalar(e.args[1]), self.eval_scalar(e.args[2])],
            [e.args[1].loc, e.args[2].loc],
        )
        if isinstance(b, IntV):
            if b.value not in (0, 1):
                raise self.fail(
                    f"select condition must be 0 or 1, got {int_text(b.value)}", e.args[0].loc
                )
            chosen = x if b.value else y
            return chosen if frac is None else _scaled(chosen.ssa, frac)
        bld = self.need_builder(e.loc)
        xv, yv = self.to_field(x, e.args[1].loc), self.to_field(y, e.args[2].loc)
        one = bld.const(1, e.loc)
        bld.assert_zero(bld.mul(b.ssa, bld.sub(b.ssa, one, e.loc), e.loc), e.loc)
        return _scaled(self.bounds.choose(b.ssa, xv, yv, e.loc), frac)

    def b_is_zero(self, e: ast.Call) -> Value:
        v = self.eval_scalar(e.args[0])
        if isinstance(v, IntV):
            return IntV(int(v.value % self.need_builder(e.loc).p == 0))
        z = self.need_builder(e.loc).is_zero(v.ssa, e.loc)
        return FieldV(self.bounds.boolean(z))

    def b_instance_index(self, e: ast.Call) -> Value:
        """This instance's number in its launch (0 .. count-1) as a field value: a public
        input of the circuit, never a compile-time int (one circuit serves every instance)."""
        return FieldV(self.need_builder(e.loc).index(e.loc))

    def b_lookup(self, e: ast.Call) -> Value:
        """lookup(T, x): T[x] for a one-dimensional compile-time int array T (a table) and a
        key x in 0 .. len(T) - 1. A compile-time key is read now; any other is a table lookup
        (KernelBuilder.table_lookup: LogUp in a plan with lookups, else bits), whose result
        has the range of T's values."""
        arr = self.eval(e.args[0])
        if not isinstance(arr, Ref) or len(arr.shape) != 1 or arr.store.elem != INT:
            raise self.fail(
                f"lookup needs a one-dimensional int array (the table), got {self.describe(arr)}",
                e.args[0].loc,
            )
        n = arr.shape[0]
        if n > MAX_TABLE_ROWS:
            raise self.fail(
                f"a lookup table has at most {MAX_TABLE_ROWS} entries, this one {n}", e.args[0].loc
            )
        values, table = self.table_of(arr, e.loc)
        key = self.eval_scalar(e.args[1])
        if isinstance(key, IntV):
            if not 0 <= key.value < n:
                raise self.fail(
                    f"lookup key {int_text(key.value)} is outside the table (0..{n - 1})",
                    e.args[1].loc,
                )
            return IntV(values[key.value])
        if isinstance(key, FixedV):
            raise self.fail(
                "a lookup key is an integer, got a fixed-point value: scale it to an integer "
                "first (for an fx8.4 value v: `i8 k = v * 16;`)",
                e.args[1].loc,
            )
        y = self.need_builder(e.loc).table_lookup(table, key.ssa, e.loc)
        self.bounds.add_fact(y, min(values), max(values))
        return FieldV(y)

    def table_of(self, arr: Ref, loc: SourceLoc) -> tuple[tuple[int, ...], LookupTable]:
        """A lookup table's entries and its LookupTable (entries reduced mod p). A `const`
        array (a global table) is read once per kernel, however often it is looked up: the
        builder then finds its table by identity, not by comparing up to 2^16 entries."""
        key = (arr.store, arr.offset, arr.shape[0])
        if arr.store.kind == "const" and key in self._tables:
            return self._tables[key]
        values = tuple(
            self.load(Ref(arr.store, arr.offset + i, (), f"{arr.text}[{i}]"), loc).value  # type: ignore[union-attr]
            for i in range(arr.shape[0])
        )
        p = self.need_builder(loc).p
        out = values, LookupTable.of_values(tuple(v % p for v in values))
        if arr.store.kind == "const":
            self._tables[key] = out
        return out

    def bit_array(self, arg: ast.Expr, builtin: str) -> Ref:
        v = self.eval(arg)
        if not isinstance(v, Ref) or len(v.shape) != 1 or v.store.elem != FIELD:
            raise self.fail(
                f"{builtin} needs a one-dimensional field array, got {self.describe(v)}", arg.loc
            )
        return v

    def b_to_bits(self, e: ast.Call) -> Value:
        bld = self.need_builder(e.loc)
        x = self.eval_field(e.args[0])
        bits = self.bit_array(e.args[1], "to_bits")
        n = bits.shape[0]
        limit = bld.p.bit_length() - 1
        if n > limit:
            raise self.fail(
                f"to_bits width {n} is too large: at most {limit} bits fit this field "
                "without wrapping",
                e.args[1].loc,
            )
        for i, b in enumerate(bld.to_bits(x, n, e.loc)):
            self.bounds.boolean(b)
            elem = Ref(bits.store, bits.offset + i, (), f"{bits.text}[{i}]", bits.const)
            self.write(elem, FieldV(b), e.loc)
        return VOID

    def b_from_bits(self, e: ast.Call) -> Value:
        bld = self.need_builder(e.loc)
        bits = self.bit_array(e.args[0], "from_bits")
        acc = bld.const(0, e.loc)
        boolean = True  # every bit known to be 0 or 1: the result has the range 0 .. 2^n - 1
        for i in range(bits.shape[0]):
            elem = Ref(bits.store, bits.offset + i, (), f"{bits.text}[{i}]")
            b = self.to_field(self.load(elem, e.loc), e.loc)
            fact = self.bounds.get(b)
            boolean = boolean and fact is not None and 0 <= fact[0] and fact[1] <= 1
            acc = bld.add(acc, bld.mul(bld.const(1 << i, e.loc), b, e.loc), e.loc)
        if boolean:
            self.bounds.add_fact(acc, 0, (1 << bits.shape[0]) - 1)
        return FieldV(acc)

    # -- comparisons and what is built from them (bounded values, see zkcc.frontend.bounded) --
    def b_ordered(self, e: ast.Call) -> Value:
        if e.func == "argmax":
            return self.b_argmax(e)
        vals = [self.eval_scalar(a) for a in e.args]
        if all(isinstance(v, IntV) for v in vals):
            ints = [v.value for v in vals]
            return IntV(_INT_ORDERED[e.func](*ints))
        vals, frac = self.aligned(vals, [a.loc for a in e.args])
        return _scaled(self.ordered(e, vals).ssa, frac)

    def ordered(self, e: ast.Call, vals: list[IntV | FieldV]) -> FieldV:
        """min, max, clamp, relu or abs of scalars at one scale, not all compile-time ints."""
        bld = self.need_builder(e.loc)
        xs = [self.bounded(v, a, e.func) for v, a in zip(vals, e.args, strict=True)]
        if e.func == "min":
            return FieldV(self.minmax(xs[0], xs[1], e.loc, "min"))
        if e.func == "max":
            return FieldV(self.minmax(xs[0], xs[1], e.loc, "max"))
        if e.func == "clamp":
            flo, fhi = self.bounds.get(xs[1]), self.bounds.get(xs[2])
            if flo[0] == flo[1] and fhi[0] == fhi[1] and flo[0] > fhi[0]:
                raise self.fail(
                    f"clamp bounds are empty: low {flo[0]} is above high {fhi[0]}", e.loc
                )
            return FieldV(self.minmax(self.minmax(xs[0], xs[1], e.loc, "max"), xs[2], e.loc, "min"))
        x = xs[0]
        ge = self.nonneg(x, e.loc, e.func)
        lo, hi = self.bounds.get(x)
        if e.func == "relu":  # x * [x >= 0]
            r = bld.mul(x, ge, e.loc)
            self.bounds.add_fact(r, max(lo, 0), max(hi, 0))
        else:  # abs: x * (2 [x >= 0] - 1)
            sign = bld.sub(bld.mul(bld.const(2, e.loc), ge, e.loc), bld.const(1, e.loc), e.loc)
            r = bld.mul(x, sign, e.loc)
            self.bounds.add_fact(r, 0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(-lo, hi))
        return FieldV(r)

    def bounded(self, v: IntV | FieldV, arg: ast.Expr, func: str) -> int:
        x = self.to_field(v, arg.loc)
        if self.bounds.get(x) is None:
            raise self.fail(
                f"{func} needs a value of bounded range, got a field value of unknown range; "
                "declare it with an integer type such as i16",
                arg.loc,
            )
        return x

    def minmax(self, x: int, y: int, loc: SourceLoc, which: str) -> int:
        """min or max of two bounded values: one sign test of x - y, then a choice."""
        fx, fy = self.bounds.get(x), self.bounds.get(y)
        x_ge = self.nonneg(self.difference(x, y, loc), loc, which)
        if which == "min":
            r = self.bounds.choose(x_ge, y, x, loc)
            fact = (min(fx[0], fy[0]), min(fx[1], fy[1]))
        else:
            r = self.bounds.choose(x_ge, x, y, loc)
            fact = (max(fx[0], fy[0]), max(fx[1], fy[1]))
        self.bounds.add_fact(r, *fact)
        return r

    def b_argmax(self, e: ast.Call) -> Value:
        """Index of the largest element (the first of equal ones): a running maximum, each
        step one sign test of best - v[i] (best kept when >= 0), the index chosen by the same
        bit."""
        bld = self.need_builder(e.loc)
        arr = self.eval(e.args[0])
        if not isinstance(arr, Ref) or len(arr.shape) != 1 or arr.store.elem == INT:
            raise self.fail(
                f"argmax needs a one-dimensional field array, got {self.describe(arr)}",
                e.args[0].loc,
            )
        elems = [
            Ref(arr.store, arr.offset + i, (), f"{arr.text}[{i}]") for i in range(arr.shape[0])
        ]
        vals = [self.to_field(self.load(r, e.loc), e.loc) for r in elems]
        for r, v in zip(elems, vals, strict=True):
            if self.bounds.get(v) is None:
                raise self.fail(
                    f"argmax needs values of bounded range, but '{r.text}' is a field value of "
                    "unknown range; declare the array with an integer type such as i16",
                    e.args[0].loc,
                )
        best, idx = vals[0], bld.const(0, e.loc)
        for i in range(1, len(vals)):
            keep = self.nonneg(self.difference(best, vals[i], e.loc), e.loc, "argmax")
            best = self.bounds.choose(keep, best, vals[i], e.loc)
            idx = self.bounds.choose(keep, idx, bld.const(i, e.loc), e.loc)
        return FieldV(idx)


def _scaled(ssa: int, frac: int | None) -> FieldV:
    """A builtin's result: fixed-point with `frac` bits when its operands were (not None)."""
    return FieldV(ssa) if frac is None else FixedV(ssa, frac)


# builtins over bounded values (arity), and their meaning on compile-time ints
ORDERED_BUILTINS = {"min": 2, "max": 2, "abs": 1, "relu": 1, "clamp": 3, "argmax": 1}
_INT_ORDERED = {
    "min": min,
    "max": max,
    "abs": abs,
    "relu": lambda a: max(a, 0),
    "clamp": lambda a, lo, hi: min(max(a, lo), hi),
}
# the kernel builtins' argument counts (any other takes one)
_ARITY = {"select": 3, "to_bits": 2, "lookup": 2, "instance_index": 0, **ORDERED_BUILTINS}


def kernel_params(
    fn: ast.FuncDecl, interp: Interp, values: tuple[int, ...] | None = None
) -> list[Param] | None:
    """Check and evaluate a kernel's parameter list (dimensions are global constants and,
    in a template instance, its template arguments `values`)."""
    sink = interp.sink
    interp.scope = interp.template_scope(fn, values)
    params: list[Param] = []
    seen: set[str] = set()
    ok = True
    for p in fn.params:
        try:
            for q, qloc in p.quals:
                if q not in ("const", "__broadcast__"):
                    raise sink.fail(
                        f"qualifier '{q}' is not allowed on a kernel parameter "
                        "(kernel parameters take 'const' and '__broadcast__')",
                        qloc,
                    )
            if p.type == INT or p.type == "void":
                raise sink.fail(
                    f"kernel parameter '{p.name}' must be a field array (or of an integer "
                    "type such as i16)",
                    p.loc,
                )
            if repeated_param(p, seen, sink):
                raise Abort()
            is_output = not p.has("const")
            if is_output and p.has("__broadcast__"):
                raise sink.fail(
                    f"output parameter '{p.name}' cannot be __broadcast__ (each instance writes "
                    "its own slice); add 'const' if it is an input",
                    p.loc,
                )
            shape = interp.eval_dims(p.dims)
            params.append(Param(p.name, shape, is_output, p.has("__broadcast__")))
        except Abort:
            ok = False
    return params if ok else None


def compile_kernel(
    fn: ast.FuncDecl,
    sink: Sink,
    globals_: Scope,
    functions: dict[str, ast.FuncDecl],
    modulus: int,
    values: tuple[int, ...] | None = None,
    lookups: bool = False,
    called: set[str] | None = None,
) -> KernelIR | None:
    """The kernel's IR (of its instance with template arguments `values`, for a template),
    or None when it has errors (all of them reported to `sink`). `lookups`: KernelBuilder's.
    `called` is given the names of the device functions the kernel calls."""
    with gc_paused():  # unrolling allocates millions of short-lived acyclic objects
        return _compile_kernel(fn, sink, globals_, functions, modulus, values, lookups, called)


def _compile_kernel(
    fn: ast.FuncDecl,
    sink: Sink,
    globals_: Scope,
    functions: dict[str, ast.FuncDecl],
    modulus: int,
    values: tuple[int, ...] | None,
    lookups: bool,
    called: set[str] | None,
) -> KernelIR | None:
    before = sink.found
    if fn.ret != "void":
        sink.error(f"kernel '{fn.name}' must return void", fn.name_loc)
    params = kernel_params(fn, Interp(sink, globals_, functions), values)
    if params is None:
        return None
    name = instance_name(fn.name, values)
    builder = KernelBuilder(name, params, modulus, fn.name_loc, lookups)
    interp = KernelCompiler(sink, globals_, functions, builder)
    if called is not None:  # the table's, shared by its kernels (else the compiler's own)
        interp.called = called
    interp.call_stack.append(fn.name)
    scope = interp.template_scope(fn, values).child()
    stores: list[Store] = []
    for k, (p, decl) in enumerate(zip(params, fn.params, strict=True)):
        kind = "output" if p.is_output else "input"
        try:
            interp.check_type(decl.type, decl.loc)
        except Abort:
            pass
        store = Store(p.name, decl.type, p.shape, kind, decl.name_loc, param=k)
        stores.append(store)
        scope.names[p.name] = Ref.whole(store)
    if sink.found > before:
        return None
    try:
        interp.run_block(fn.body.stmts, scope.child())
    except ReturnSignal as r:
        if r.value is not VOID:
            sink.error(f"kernel '{fn.name}' is void and cannot return a value", r.loc)
    interp.release()
    if sink.found > before:
        return None  # unassigned outputs would mostly be follow-on errors
    for k, (p, decl) in enumerate(zip(params, fn.params, strict=True)):
        if not p.is_output:
            continue
        st = stores[k]
        missing = [j for j, c in enumerate(st.cells) if c is None]
        if missing:
            names = [element_text(p.name, p.shape, j) if p.shape else p.name for j in missing]
            listed = ", ".join(names[:_MAX_LISTED]) + (", ..." if len(names) > _MAX_LISTED else "")
            sink.error(
                f"output '{p.name}' is not fully assigned by kernel '{name}': "
                f"{len(missing)} of {p.size} element(s) unassigned ({listed})",
                decl.name_loc,
            )
            continue
        for j, cell in enumerate(st.cells):
            builder.output(k, j, cell, st.locs[j])  # type: ignore[arg-type]
    if sink.found > before:
        return None
    kernel = eliminate_dead_code(builder.finish())
    if len(kernel.instrs) > MAX_KERNEL_INSTRS:  # what plan readers refuse (zkcc.budget)
        sink.error(
            f"kernel '{name}' has {len(kernel.instrs):,} IR instructions, over zkcc's limit "
            f"of {MAX_KERNEL_INSTRS:,} per kernel (a fixed limit: plans with more are refused)",
            fn.name_loc,
        )
        return None
    kernel.backend = fn.backend
    return kernel


@dataclass
class KernelTable:
    """Every kernel the host code can launch, by instance name: a plain kernel is compiled
    up front (so its errors are reported even if it is never launched), a template's
    instance when a launch first names it, once per distinct argument list."""

    sink: Sink
    globals_: Scope
    functions: dict[str, ast.FuncDecl]
    modulus: int
    lookups: bool = False  # KernelBuilder's
    irs: dict[str, KernelIR | None] = field(default_factory=dict)
    signatures: dict[str, list[Param] | None] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)  # device functions the kernels call

    def add(self, fn: ast.FuncDecl, values: tuple[int, ...] | None, at: SourceLoc | None) -> str:
        """Compile `fn` (with template arguments `values`) unless already done; returns the
        instance name. Errors in a template's body are followed by a note naming the
        instance and the launch `at` that asked for it."""
        name = instance_name(fn.name, values)
        if name in self.irs:
            return name
        before = self.sink.error_count()
        self.signatures[name] = kernel_params(
            fn, Interp(Sink(), self.globals_, self.functions), values
        )
        ir = compile_kernel(
            fn,
            self.sink,
            self.globals_,
            self.functions,
            self.modulus,
            values,
            self.lookups,
            self.called,
        )
        self.irs[name] = ir
        if at is not None and self.sink.error_count() > before:
            self.sink.report("note", f"in the instance '{name}' launched here", at)
        return name
