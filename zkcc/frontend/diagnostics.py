"""Diagnostics: located messages, their compiler-style formatting, and the collecting sink.

Every problem the front end finds becomes a `Diagnostic` with a `SourceLoc`; nothing is printed
or raised at the point of discovery, so one run reports all errors. The sink keeps one error and
one warning per source location: inside an unrolled loop they would otherwise repeat once per
iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.errors import UserError
from zkcc.ir.source import SourceLoc, quote_line, source_lines

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    message: str
    loc: SourceLoc
    source_line: str = ""  # the text of line `loc.line`, captured when the diagnostic is made

    def format(self) -> str:
        """`file:line:col: severity: message`, then the source line and a caret line."""
        head = f"{self.loc}: {self.severity}: {self.message}"
        if not self.source_line:
            return head
        line, caret = quote_line(self.source_line.rstrip("\n"), self.loc.col, self.loc.end_col)
        return f"{head}\n{line}\n{caret}"

    def __str__(self) -> str:
        return self.format()


class CompileError(UserError):
    """Raised by `compile_file`/`compile_source` when the program has at least one error."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


class Abort(Exception):
    """Unwinds the checker out of a statement after its error has been recorded."""


class Sink:
    """Collects diagnostics; knows the text of every file so messages can quote lines."""

    MAX_ERRORS = 100

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, list[str]] = {}
        self._seen: set[tuple[str, str, int, int]] = set()
        # Errors found, counting those not shown: one already reported at its place (a
        # function called twice fails twice at one line), or over MAX_ERRORS. Whether a step
        # failed is read from this count: from the shown one, a call failing for the second
        # time would seem to have succeeded, and its result to be missing.
        self.found = 0

    def add_source(self, name: str, text: str) -> None:
        self.sources[name] = source_lines(text)

    def _line(self, loc: SourceLoc) -> str:
        lines = self.sources.get(loc.file, [])
        return lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""

    def report(self, severity: str, message: str, loc: SourceLoc) -> None:
        key = (severity, loc.file, loc.line, loc.col)
        self.found += severity == ERROR
        if severity in (ERROR, WARNING):
            if key in self._seen or (severity == ERROR and self.error_count() >= self.MAX_ERRORS):
                return
            self._seen.add(key)
        self.diagnostics.append(Diagnostic(severity, message, loc, self._line(loc)))

    def error(self, message: str, loc: SourceLoc) -> None:
        self.report(ERROR, message, loc)

    def warning(self, message: str, loc: SourceLoc) -> None:
        self.report(WARNING, message, loc)

    def fail(self, message: str, loc: SourceLoc) -> Abort:
        """Record an error and return the exception that abandons the current statement."""
        self.error(message, loc)
        return Abort()

    def repeated(self) -> Abort:
        """The Abort for an error the caller reported once and does not repeat (an undefined
        name's later uses): found, so that the step it stops fails, but not shown."""
        self.found += 1
        return Abort()

    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == ERROR)

    def has_errors(self) -> bool:
        return self.error_count() > 0
