"""Source coordinates that travel from the parser to IR instructions and runtime errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceLoc:
    """A position in a source file; `line` and `col` are 1-based, `end_col` exclusive.

    `call`: for a position inside a function of another file (the standard library, an
    included file), the call in the program that reached it, outermost first: one line of a
    library serves every caller, so a check failing there at prove time is shown with the
    call that made it, as a compile error is (KernelBuilder.call_site)."""

    file: str
    line: int
    col: int
    end_col: int = 0
    call: SourceLoc | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


STDLIB_PREFIX = "<stdlib>/"  # how locations name the standard library's files


def located(loc: SourceLoc | None, what: str, root: Path | None = None) -> str:
    """`file:line:col: error: what`, then the source line and a caret when the file can be
    read. Locations name files relative to the main source file (plans are independent of
    where they were compiled), so `root`, the folder where the caller found the program (the
    source's, or the plan's, which is usually beside it), says where to look; the name is
    shown as found there."""
    if loc is None:
        return f"error: {what}"
    shown = _quoted(loc, f"error: {what}", root)
    if loc.call is not None:
        shown += "\n" + _quoted(loc.call, "note: in this call", root)
    return shown


def _quoted(loc: SourceLoc, what: str, root: Path | None) -> str:
    """`file:line:col: what`, with the line and a caret when the file can be read."""
    candidates = [Path(loc.file)] if root is None else [root / loc.file, Path(loc.file)]
    if loc.file.startswith(STDLIB_PREFIX):  # a library's line: read from this installation
        from zkcc.frontend.loader import STDLIB_DIR

        candidates = [STDLIB_DIR / loc.file[len(STDLIB_PREFIX) :]]
    for path in candidates:
        try:
            line = path.read_text(encoding="utf-8").splitlines()[loc.line - 1]
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        shown = loc.file if loc.file.startswith(STDLIB_PREFIX) else path
        head = f"{shown}:{loc.line}:{loc.col}: {what}"
        return f"{head}\n    {line}\n    {' ' * (loc.col - 1)}^"
    return f"{loc}: {what}"
