"""zkcu front end: source files -> checked, unrolled `zkcc.ir.host.Program`.

    compile_file(path) / compile_source(text, filename) -> Program   (raise CompileError)
    check_file(path) -> list[Diagnostic]                               (never raises for source)

Pipeline: loader (includes, pragmas) -> parser (Lark, with recovery) -> program (globals) ->
kernels (compile-time interpreter emitting kernel IR) -> host (tensor dataflow graph).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from zkcc.errors import UserError
from zkcc.fileio import read_bytes
from zkcc.frontend.diagnostics import ERROR, CompileError, Diagnostic, Sink
from zkcc.frontend.limits import MAX_SOURCE_BYTES
from zkcc.frontend.loader import FIELDS, STDLIB_DIR, decode_source
from zkcc.frontend.program import compile_text
from zkcc.ir.host import Program
from zkcc.ir.source import STDLIB_PREFIX, SourceLoc

Warn = Callable[[Diagnostic], None]  # told each warning (and note) of a program that compiles

__all__ = [
    "FIELDS",
    "STDLIB_DIR",
    "CompileError",
    "Diagnostic",
    "check_file",
    "check_source",
    "compile_file",
    "compile_source",
]


def _run(
    text: str, filename: str, real: Path, lookups: bool = False
) -> tuple[Program | None, list[Diagnostic]]:
    sink = Sink()
    program = compile_text(text, filename, real, sink, lookups)
    if program is not None:
        _check_backends(program, filename, sink)
    return program, sink.diagnostics


def _check_backends(program: Program, filename: str, sink: Sink) -> None:
    """Each kernel's own backend request (`__groth16__` needs BN254), checked as the compiler
    will check it (`assign_backend`), so that `check` passes exactly what `compile` accepts
    and both say why at the kernel, with a caret."""
    from zkcc.analysis.assign import assign_backend

    for kernel in program.kernels.values():
        try:
            assign_backend(kernel, program.field, None)
        except UserError as e:  # "LOC: error: why"
            loc = kernel.loc or SourceLoc(filename, 1, 1, 1)
            sink.error(str(e).removeprefix(f"{kernel.loc}: error: "), loc)


def _read(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    try:
        data = read_bytes(path, "source file", MAX_SOURCE_BYTES)
    except UserError as e:  # "PATH: cannot read source file: why", said at PATH:1:1
        loc = SourceLoc(str(path), 1, 1, 1)
        return None, [Diagnostic(ERROR, str(e).removeprefix(f"{path}: "), loc)]
    sink = Sink()
    return decode_source(data, str(path), sink), sink.diagnostics


def _checked(
    text: str, display: str, real: Path, lookups: bool = False, warn: Warn | None = None
) -> Program:
    program, diags = _run(text, display, real, lookups)
    if program is None or any(d.severity == ERROR for d in diags):
        raise CompileError([d for d in diags if d.severity != "warning"] or diags)
    if warn is not None:
        for d in diags:
            warn(d)
    return program


def compile_source(text: str, filename: str, lookups: bool = False) -> Program:
    """Compile zkcu source; `filename` names it in diagnostics and anchors "..." includes.
    `lookups`: range checks and table lookups as LOOKUPs, for a plan that proves them with
    LogUp (zkcc.ir.kernel.KernelBuilder); otherwise as bits."""
    return _checked(text, filename, Path(filename), lookups)


def _display_name(path: str | Path) -> str:
    """How the main file is named in the program's locations (and so in plans): its base
    name, so that a plan does not depend on the directory it was compiled from. Includes are
    named relative to it, stdlib files as <stdlib>/name."""
    return Path(path).name


def _as_given(diags: list[Diagnostic], path: str | Path) -> list[Diagnostic]:
    """Diagnostics with each file named as the user would reach it (relative to the main
    file as it was given on the command line), as compilers print them."""
    base = os.path.dirname(str(path))

    def shown(loc: SourceLoc) -> SourceLoc:
        if loc.file.startswith(STDLIB_PREFIX):
            return loc
        return dataclasses.replace(loc, file=os.path.normpath(os.path.join(base, loc.file)))

    return [dataclasses.replace(d, loc=shown(d.loc)) for d in diags]


def compile_file(path: str | Path, lookups: bool = False, warn: Warn | None = None) -> Program:
    """The program's locations name files relative to the main file; a CompileError's
    diagnostics name them as given. `lookups`: as in `compile_source`. `warn` is given the
    warnings (and their notes) of a program that compiles, named as given too (`zkcc compile`
    and `run` print them, as `check` does)."""
    text, diags = _read(path)
    if text is None:
        raise CompileError(diags)
    shown = None if warn is None else lambda d: warn(_as_given([d], path)[0])
    try:
        return _checked(text, _display_name(path), Path(path), lookups, shown)
    except CompileError as e:
        raise CompileError(_as_given(e.diagnostics, path)) from None


def check_source(text: str, filename: str, real: Path | None = None) -> list[Diagnostic]:
    """All errors and warnings for a source text; never raises for problems in the source.
    `real` is where the file is (it anchors "..." includes), when `filename` is not."""
    return _run(text, filename, real or Path(filename))[1]


def check_file(path: str | Path) -> list[Diagnostic]:
    text, diags = _read(path)
    if text is None:
        return diags
    return _as_given(_run(text, _display_name(path), Path(path))[1], path)
