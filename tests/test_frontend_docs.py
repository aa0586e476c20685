"""Every ```zkcu block in docs/language.md is a complete program that compiles cleanly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zkcc.frontend import check_source, compile_source

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
BLOCKS = re.findall(r"```zkcu\n(.*?)```", DOC.read_text(), re.S)


def test_doc_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_compiles(index: int) -> None:
    src = BLOCKS[index]
    assert [d.format() for d in check_source(src, "doc.zkcu")] == []
    prog = compile_source(src, "doc.zkcu")
    assert prog.kernels and prog.host.steps
