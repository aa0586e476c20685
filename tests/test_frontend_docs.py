"""docs/language.md is checked against the front end, so the reference cannot drift from it.

* Every ```` ```zkcu ```` block is a complete program that compiles without a diagnostic.
* Every ```` ```zkcu diagnostics ```` block is followed by a ```` ```text ```` block holding
  exactly what the front end reports for it (named `prog.zkcu`), caret lines included.
* Every builtin the front end dispatches on (found in its source, not listed by hand) is in
  the Builtins section, and every name that section's tables list is a builtin.
* Every device function and constant of the standard library is in its section.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from zkcc.frontend import check_source, compile_source

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "language.md"
TEXT = DOC.read_text()
FENCE = re.compile(r"^```(.*)$", re.M)
BLOCKS = re.findall(r"```zkcu\n(.*?)```", TEXT, re.S)
DIAGNOSED = re.findall(r"```zkcu diagnostics\n(.*?)```\n\n```text\n(.*?)```", TEXT, re.S)
KNOWN_FENCES = {"zkcu", "zkcu diagnostics", "text", "c", ""}


def section(title: str) -> str:
    """The text of `## title`, up to the next `## ` heading."""
    return TEXT.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_doc_has_examples() -> None:
    assert len(BLOCKS) >= 3
    assert len(DIAGNOSED) >= 8


def test_every_fence_is_of_a_known_kind() -> None:
    """A misspelt info string would leave its block unchecked: refuse it instead."""
    openings = FENCE.findall(TEXT)[::2]  # opening and closing fences alternate
    assert set(openings) <= KNOWN_FENCES, set(openings) - KNOWN_FENCES
    assert openings.count("zkcu diagnostics") == len(DIAGNOSED)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_compiles(index: int) -> None:
    src = BLOCKS[index]
    assert [d.format() for d in check_source(src, "doc.zkcu")] == []
    prog = compile_source(src, "doc.zkcu")
    assert prog.kernels and prog.host.steps


@pytest.mark.parametrize("index", range(len(DIAGNOSED)))
def test_doc_diagnostics_are_what_the_compiler_prints(index: int) -> None:
    src, shown = DIAGNOSED[index]
    printed = "\n".join(d.format() for d in check_source(src, "prog.zkcu"))
    assert printed, "a diagnostics example must have a diagnostic"
    assert printed == shown.rstrip("\n")


# -- builtins --------------------------------------------------------------------------------


def _strings(node: ast.AST | None) -> set[str]:
    """The string constants a comparison or lookup names: a literal, or the keys/items of a
    dict, set, tuple or list literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    if isinstance(node, ast.Set | ast.Tuple | ast.List):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return set()


def _is_callee(node: ast.AST) -> bool:
    """`e.func`: the name a call expression calls (zkcc.frontend.ast.Call.func)."""
    return isinstance(node, ast.Attribute) and node.attr == "func"


def frontend_builtins() -> set[str]:
    """Every name the front end treats specially when it is called: compared with a call's
    `func` (`e.func == "assert"`, `e.func in ORDERED_BUILTINS`) or looked up by it in a dict literal
    (`{"select": ...}.get(e.func)`). Read from the source, so a new builtin is found."""
    names: set[str] = set()
    for path in sorted((ROOT / "zkcc" / "frontend").glob("*.py")):
        tree = ast.parse(path.read_text())
        module = {
            t.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and _is_callee(node.left):
                for other in node.comparators:
                    names |= _strings(
                        module.get(other.id) if isinstance(other, ast.Name) else other
                    )
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and _is_callee(node.args[0])
            ):
                names |= _strings(node.func.value)
    return names


def test_every_builtin_is_documented() -> None:
    found = frontend_builtins()
    assert {"select", "to_bits", "argmax", "assert", "assert_eq", "reshape"} <= found, found
    text = section("Builtins")
    missing = sorted(name for name in found if f"`{name}(" not in text)
    assert not missing, f"builtins missing from docs/language.md, ## Builtins: {missing}"


def test_every_builtin_is_either_fixed_or_replaceable() -> None:
    """A function's name is checked against these two lists (zkcc/frontend/program.py): a
    builtin in neither would let a user's function of its name be silently ignored."""
    from zkcc.frontend.program import FIXED_BUILTINS, REPLACEABLE_BUILTINS

    assert FIXED_BUILTINS | set(REPLACEABLE_BUILTINS) == frontend_builtins()
    assert not FIXED_BUILTINS & set(REPLACEABLE_BUILTINS)


def test_every_documented_builtin_exists() -> None:
    rows = [line for line in section("Builtins").splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)\(", row.split("|")[1])}
    assert len(listed) >= 10
    assert listed <= frontend_builtins(), listed - frontend_builtins()


# -- standard library ------------------------------------------------------------------------


def test_every_stdlib_function_and_constant_is_documented() -> None:
    text = section("Standard library")
    names = set()
    for path in sorted((ROOT / "stdlib").glob("*.zkcu")):
        src = path.read_text()
        names |= set(re.findall(r"__device__\s+[\w.]+\s+(\w+)\s*\(", src))
        names |= set(re.findall(r"^const int (\w+)", src, re.M))
    assert len(names) > 30
    missing = sorted(n for n in names if not re.search(rf"\b{n}\b", text))
    assert not missing, f"stdlib names missing from docs/language.md: {missing}"
