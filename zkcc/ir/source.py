"""Source coordinates that travel from the parser to IR instructions and runtime errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in a source file; `line` and `col` are 1-based, `end_col` exclusive."""

    file: str
    line: int
    col: int
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"
