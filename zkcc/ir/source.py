"""Source coordinates that travel from the parser to IR instructions and runtime errors."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"  # a byte order mark some editors put first: not part of the program
SHOWN_LINE = 160  # characters of a source line a message quotes, at most
# Characters that would break or hide the quoted line in a terminal (the lexer reads most as
# blanks, and none of them ends a line for it): shown as a blank, one column wide.
_SHOWN_BLANK = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


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


def source_lines(text: str) -> list[str]:
    """The lines of a source text as the lexer counts them, so that `lines[loc.line - 1]` is
    the line a location means: broken at "\n" only (\r, \f, \v and U+2028 are blanks to the
    lexer, not line ends), without the "\r" of a CRLF, and without a leading BOM."""
    return [line.removesuffix("\r") for line in text.removeprefix(BOM).split("\n")]


def _cell(ch: str) -> str:
    """What stands under `ch` in a caret line. A terminal draws a wide (CJK, emoji)
    character in two columns and a combining or format character in none, while locations
    count code points; a tab stays a tab, so the caret lines up whatever the tab width."""
    if ch == "\t":
        return ch
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return ""
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


def quote_line(line: str, col: int, end_col: int = 0) -> tuple[str, str]:
    """The source `line` as a message shows it, and the caret line under it marking columns
    [col, end_col) (one column when `end_col` is 0): `^~~~`. A line longer than SHOWN_LINE
    characters is shown as a window around the column, so a hostile 100 MB line is not
    echoed back. Compile-time and prove-time messages both use it, so their carets agree."""
    col = max(col, 1)
    stop = max(col + 1, min(end_col, len(line) + 1)) if end_col else col + 1
    if len(line) > SHOWN_LINE:
        start = max(0, col - 1 - SHOWN_LINE // 2)
        end = start + SHOWN_LINE
        stop = min(stop, end + 1)
        lead = "..." if start else ""
        line = lead + line[start:end] + ("..." if end < len(line) else "")
        col, stop = col + len(lead) - start, stop + len(lead) - start
    pad = "".join(map(_cell, line[: col - 1]))
    width = max(1, sum(len(_cell(ch)) for ch in line[col - 1 : stop - 1]))
    return _SHOWN_BLANK.sub(" ", line), f"{pad}^{'~' * (width - 1)}"


def _quoted(loc: SourceLoc, what: str, root: Path | None) -> str:
    """`file:line:col: what`, with the line and a caret when the file can be read."""
    candidates = [Path(loc.file)] if root is None else [root / loc.file, Path(loc.file)]
    if loc.file.startswith(STDLIB_PREFIX):  # a library's line: read from this installation
        from zkcc.frontend.loader import STDLIB_DIR

        candidates = [STDLIB_DIR / loc.file[len(STDLIB_PREFIX) :]]
    for path in candidates:
        try:
            line = source_lines(path.read_text(encoding="utf-8"))[loc.line - 1]
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        shown = loc.file if loc.file.startswith(STDLIB_PREFIX) else path
        text, caret = quote_line(line, loc.col)
        return f"{shown}:{loc.line}:{loc.col}: {what}\n    {text}\n    {caret}"
    return f"{loc}: {what}"
