"""The front end's driver: files -> globals -> kernels -> host graph -> `Program`.

Global names (constants, device functions, kernels, main) share one namespace. Functions may be
used before their definition; constants are evaluated in source order (includes expanded in
place), so a constant can only use constants defined above it. Every kernel is compiled, launched
or not, so errors in a kernel are reported even before it is used.
"""

from __future__ import annotations

from pathlib import Path

from zkcc.frontend import ast
from zkcc.frontend.diagnostics import Abort, Sink
from zkcc.frontend.host import HostCompiler
from zkcc.frontend.kernels import ORDERED_BUILTINS, KernelTable
from zkcc.frontend.loader import FIELDS, LoadedProgram, load_program
from zkcc.frontend.statements import Interp, repeated_param
from zkcc.frontend.values import INT, Scope
from zkcc.ir.host import Program
from zkcc.ir.source import STDLIB_PREFIX, SourceLoc

# builtins the compiler always resolves itself (a function of the same name would never be
# called), and those a device function of the same name replaces
FIXED_BUILTINS = frozenset(
    {
        "select",
        "is_zero",
        "to_bits",
        "from_bits",
        "instance_index",
        "lookup",
        "assert",
        "reshape",
        "assert_eq",
    }
)
REPLACEABLE_BUILTINS = tuple(ORDERED_BUILTINS)


def collect(
    loaded: LoadedProgram, sink: Sink
) -> tuple[Scope, dict[str, ast.FuncDecl], list[ast.VarDecl]]:
    """Register functions (with redefinition checks) and return the global constants in order."""
    functions: dict[str, ast.FuncDecl] = {}
    defined: dict[str, SourceLoc] = {}
    consts: list[ast.VarDecl] = []
    for item in loaded.items:
        if isinstance(item, ast.FuncDecl):
            name, loc = item.name, item.name_loc
        elif isinstance(item, ast.VarDecl):
            name, loc = item.name, item.name_loc
        else:
            continue
        if name in defined:
            sink.error(f"redefinition of '{name}' (first defined at {defined[name]})", loc)
            continue
        if isinstance(item, ast.FuncDecl) and name in FIXED_BUILTINS:
            sink.error(
                f"'{name}' is a builtin and cannot be redefined (a function may replace only "
                f"{', '.join(REPLACEABLE_BUILTINS)})",
                loc,
            )
            continue
        defined[name] = loc
        if isinstance(item, ast.FuncDecl):
            functions[name] = item
        else:
            consts.append(item)
    return Scope(), functions, consts


def eval_globals(
    consts: list[ast.VarDecl], functions: dict[str, ast.FuncDecl], sink: Sink
) -> Scope:
    globals_ = Scope()
    interp = Interp(sink, globals_, functions)
    for decl in consts:
        try:
            if decl.type != INT or not decl.is_const:
                raise sink.fail(
                    f"global '{decl.name}' must be declared 'const int' "
                    "(top-level values are compile-time constants)",
                    decl.loc,
                )
        except Abort:
            continue
        interp.run(decl)
    return globals_


def check_device_signature(fn: ast.FuncDecl, sink: Sink) -> None:
    """Device parameters take only `const`; other qualifiers belong to kernels or main. Their
    names are distinct, checked here once, as a call binds them without looking."""
    seen: set[str] = set()
    for p in fn.params:
        repeated_param(p, seen, sink)
        for q, qloc in p.quals:
            if q != "const":
                sink.error(f"qualifier '{q}' is not allowed on a device function parameter", qloc)


def find_main(functions: dict[str, ast.FuncDecl], sink: Sink, display: str) -> ast.FuncDecl | None:
    main = None
    for fn in functions.values():
        if fn.kind != "host":
            continue
        if fn.name != "main":
            sink.error(f"the only __host__ function must be 'main', not '{fn.name}'", fn.name_loc)
        else:
            main = fn
            if fn.ret != "void":
                sink.error("main must return void", fn.name_loc)
    if main is None:
        sink.error("program has no '__host__ void main(...)'", SourceLoc(display, 1, 1, 1))
    return main


def check_template(fn: ast.FuncDecl, sink: Sink) -> None:
    """A template's parameters are distinct and not hidden by the function's own parameters;
    main cannot be one (nothing would instantiate it)."""
    if fn.tparams is None:
        return
    if fn.kind == "host":
        sink.error("main cannot be a template", fn.name_loc)
    seen: set[str] = set()
    for tp in fn.tparams:
        if tp.name in seen:
            sink.error(f"duplicate template parameter '{tp.name}'", tp.loc)
        seen.add(tp.name)
    for p in fn.params:
        if p.name in seen:
            sink.error(f"parameter '{p.name}' hides the template parameter '{p.name}'", p.name_loc)


def compile_loaded(
    loaded: LoadedProgram, sink: Sink, display: str, lookups: bool = False
) -> Program | None:
    """`lookups`: range checks and table lookups as LOOKUPs (zkcc.ir.kernel.KernelBuilder)."""
    _, functions, consts = collect(loaded, sink)
    globals_ = eval_globals(consts, functions, sink)
    table = KernelTable(sink, globals_, functions, FIELDS[loaded.field], lookups)
    for fn in functions.values():
        check_template(fn, sink)
        if fn.kind == "global":
            if not fn.is_template:
                table.add(fn, None, None)
        elif fn.backend is not None:
            sink.error("a backend attribute is only allowed on a __global__ kernel", fn.name_loc)
        if fn.kind == "device":
            check_device_signature(fn, sink)
    main = find_main(functions, sink, display)
    if main is None:
        return None
    host = HostCompiler(sink, globals_, functions, table)
    graph = host.compile_main(main)
    if not sink.has_errors():  # after an error, a launch or call may not have been reached
        _warn_unused(functions, host.mentioned, table.called, sink)
    if sink.has_errors():
        return None
    launched = {name: table.irs[name] for name in host.launched}
    return Program(loaded.field, launched, graph, display)  # type: ignore[arg-type]


def _warn_unused(
    functions: dict[str, ast.FuncDecl], launched: set[str], called: set[str], sink: Sink
) -> None:
    """Kernels never launched, and the program's own device functions never called: the
    front end checks a function's body where a kernel calls it, so an uncalled one's
    errors go unseen (the library's unused functions are not the program's concern)."""
    for name, fn in functions.items():
        if fn.kind == "global" and name not in launched:
            sink.warning(f"kernel '{name}' is never launched", fn.name_loc)
        elif fn.kind == "device" and name not in called:
            if not fn.name_loc.file.startswith(STDLIB_PREFIX):
                sink.warning(
                    f"device function '{name}' is never called (its body is checked only "
                    "where a kernel calls it)",
                    fn.name_loc,
                )


def compile_text(
    text: str, display: str, real: Path, sink: Sink, lookups: bool = False
) -> Program | None:
    loaded = load_program(text, display, real, sink)
    if sink.has_errors():
        return None
    return compile_loaded(loaded, sink, display, lookups)
