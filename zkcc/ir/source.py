"""Source coordinates that travel from the parser to IR instructions and runtime errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceLoc:
    """A position in a source file; `line` and `col` are 1-based, `end_col` exclusive."""

    file: str
    line: int
    col: int
    end_col: int = 0

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
        head = f"{shown}:{loc.line}:{loc.col}: error: {what}"
        return f"{head}\n    {line}\n    {' ' * (loc.col - 1)}^"
    return f"{loc}: error: {what}"
