"""zkcu front end: source files -> checked, unrolled `zkcc.ir.host.Program`.

    compile_file(path) / compile_source(text, filename) -> Program   (raise CompileError)
    check_file(path) -> list[Diagnostic]                               (never raises for source)

Pipeline: loader (includes, pragmas) -> parser (Lark, with recovery) -> program (globals) ->
kernels (compile-time interpreter emitting kernel IR) -> host (tensor dataflow graph).
"""

from __future__ import annotations

from pathlib import Path

from zkcc.errors import UserError
from zkcc.fileio import read_bytes
from zkcc.frontend.diagnostics import ERROR, CompileError, Diagnostic, Sink
from zkcc.frontend.loader import FIELDS, STDLIB_DIR
from zkcc.frontend.program import compile_text
from zkcc.ir.host import Program
from zkcc.ir.source import SourceLoc

MAX_SOURCE_BYTES = 1 << 26  # 64 MiB; more is surely not a program

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


def _run(text: str, filename: str, real: Path) -> tuple[Program | None, list[Diagnostic]]:
    sink = Sink()
    program = compile_text(text, filename, real, sink)
    return program, sink.diagnostics


def _read(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    loc = SourceLoc(str(path), 1, 1, 1)
    try:
        return read_bytes(path, "source file", MAX_SOURCE_BYTES).decode("utf-8"), []
    except UnicodeDecodeError as e:
        return None, [Diagnostic(ERROR, f"cannot read source file: {e}", loc)]
    except UserError as e:  # "PATH: cannot read source file: why", said at PATH:1:1
        return None, [Diagnostic(ERROR, str(e).removeprefix(f"{path}: "), loc)]


def compile_source(text: str, filename: str) -> Program:
    """Compile zkcu source; `filename` names it in diagnostics and anchors "..." includes."""
    program, diags = _run(text, filename, Path(filename))
    if program is None or any(d.severity == ERROR for d in diags):
        raise CompileError([d for d in diags if d.severity != "warning"] or diags)
    return program


def compile_file(path: str | Path) -> Program:
    text, diags = _read(path)
    if text is None:
        raise CompileError(diags)
    return compile_source(text, str(path))


def check_source(text: str, filename: str) -> list[Diagnostic]:
    """All errors and warnings for a source text; never raises for problems in the source."""
    return _run(text, filename, Path(filename))[1]


def check_file(path: str | Path) -> list[Diagnostic]:
    text, diags = _read(path)
    if text is None:
        return diags
    return check_source(text, str(path))
