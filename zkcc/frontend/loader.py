"""Reading a program's files: `#include` resolution and `#pragma` handling.

Includes are expanded in place (the included file's declarations come where the `#include`
stands), each file at most once, identified by its resolved path; an include that reaches a file
still being read is a cycle and an error. `<name>` searches the stdlib folder only;
`"name"` searches the including file's folder, then the stdlib. Stdlib files are shown as
`<stdlib>/name` so locations do not depend on where zkcc is installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from zkcc.errors import UserError
from zkcc.field import FIELD_NAMES, get_field
from zkcc.fileio import read_bytes
from zkcc.frontend import ast
from zkcc.frontend.diagnostics import Sink
from zkcc.frontend.limits import MAX_SOURCE_BYTES
from zkcc.frontend.parser import offset_loc, parse_text
from zkcc.ir.source import BOM, STDLIB_PREFIX, SourceLoc

STDLIB_DIR = Path(__file__).resolve().parents[2] / "stdlib"
FIELDS = {name: get_field(name).p for name in FIELD_NAMES}
DEFAULT_FIELD = "m31"


@dataclass
class LoadedProgram:
    """All top-level declarations of a program, includes expanded, plus its field."""

    items: list[ast.TopLevel] = field(default_factory=list)
    field: str = DEFAULT_FIELD
    field_loc: SourceLoc | None = None


def decode_source(data: bytes, display: str, sink: Sink) -> str | None:
    """The text of the source file `display` holding `data`; None after an error at its
    first byte that is not UTF-8, located as the parser locates (after a BOM, columns in
    code points) and its line shown with U+FFFD for the bad bytes, not a codec message."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        text = data.decode("utf-8", "replace").removeprefix(BOM)
        offset = len(data[: e.start].decode("utf-8").removeprefix(BOM))
        sink.add_source(display, text)
        sink.error(f"invalid UTF-8 (byte 0x{data[e.start]:02x})", offset_loc(text, display, offset))
        return None


class Loader:
    def __init__(self, sink: Sink):
        self.sink = sink
        self.done: set[Path] = set()
        self.active: list[tuple[Path, str]] = []  # (resolved path, display name), outermost first
        self.program = LoadedProgram()

    def load_text(self, text: str, display: str, real: Path) -> None:
        """Parse one file and expand its items into the program. A leading BOM is dropped
        before anything counts columns: an editor shows none there (see source_lines)."""
        key = real.resolve()
        self.active.append((key, display))
        self.done.add(key)
        tree = parse_text(text.removeprefix(BOM), display, self.sink)
        if tree is not None:
            for item in tree.items:
                if isinstance(item, ast.Include):
                    self.include(item, display, real)
                elif isinstance(item, ast.Pragma):
                    self.pragma(item)
                else:
                    self.program.items.append(item)
        self.active.pop()

    def include(self, inc: ast.Include, display: str, real: Path) -> None:
        if not inc.target:
            self.sink.error('malformed #include: expected <name> or "name"', inc.loc)
            return
        search = [] if inc.system else [(real.parent, os.path.dirname(display))]
        search.append((STDLIB_DIR, STDLIB_PREFIX))
        found = next(((f / inc.target, s) for f, s in search if _found(f / inc.target)), None)
        if found is None:
            where = ", ".join(str(f) for f, _ in search)
            self.sink.error(f"include file '{inc.target}' not found (searched: {where})", inc.loc)
            return
        path, shown = found
        key = path.resolve()
        active = [k for k, _ in self.active]
        if key in active:
            chain = [d for _, d in self.active[active.index(key) :]]
            cycle = " -> ".join([*chain, chain[0]])
            self.sink.error(f"include cycle: {cycle}", inc.loc)
            return
        if key in self.done:
            return  # each file is included once
        shown_name = (
            f"{shown}{inc.target}"
            if shown == STDLIB_PREFIX
            else os.path.normpath(os.path.join(shown, inc.target))
        )
        try:  # bounded and regular-only, as the main source (zkcc.frontend._read)
            data = read_bytes(path, "included source", MAX_SOURCE_BYTES)
        except UserError as e:
            self.sink.error(f"'{inc.target}': {str(e).removeprefix(f'{path}: ')}", inc.loc)
            return
        text = decode_source(data, shown_name, self.sink)
        if text is not None:
            self.load_text(text, shown_name, path)

    def pragma(self, p: ast.Pragma) -> None:
        if not p.words:
            self.sink.error("empty #pragma", p.loc)
            return
        if p.words[0] != "field":
            self.sink.error(f"unknown pragma '{p.words[0]}' (supported: field)", p.loc)
            return
        if len(p.words) != 2:
            self.sink.error("expected '#pragma field m31' or '#pragma field bn254'", p.loc)
            return
        name = p.words[1]
        if name not in FIELDS:
            self.sink.error(
                f"unknown field '{name}' (supported: {', '.join(sorted(FIELDS))})", p.loc
            )
            return
        if self.program.field_loc is not None:
            self.sink.error(
                f"the field is already set by the #pragma at {self.program.field_loc}", p.loc
            )
            return
        self.program.field = name
        self.program.field_loc = p.loc


def _found(path: Path) -> bool:
    """Whether an include finds `path`: anything but a directory, so that a device or a FIFO
    is refused by name as not a regular file (read_bytes), not reported as not found."""
    return path.exists() and not path.is_dir()


def load_program(text: str, display: str, real: Path, sink: Sink) -> LoadedProgram:
    loader = Loader(sink)
    loader.load_text(text, display, real)
    return loader.program
