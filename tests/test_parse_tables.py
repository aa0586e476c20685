"""The stored LALR tables (zkcc/frontend/parse_tables.py) against the parser Lark builds from
the grammar: same trees, positions included, and the same errors, on every zkcu file of the
repository and on random mutants of them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import lark
import pytest
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from zkcc.frontend import parse_tables

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [*ROOT.glob("examples/**/*.zkcu"), *ROOT.glob("stdlib/*.zkcu"), *ROOT.glob("tests/**/*.zkcu")]
)
GRAMMAR = parse_tables.GRAMMAR_PATH.read_text()
DESERIALIZED = "<deserialized>"  # Lark's source_path of a parser loaded from tables


@pytest.fixture(scope="module")
def parsers() -> tuple[lark.Lark, lark.Lark]:
    return parse_tables.load(GRAMMAR), parse_tables.build(GRAMMAR)


def _shape(node):
    """A parse tree as nested tuples: rule names, tokens with their types and positions."""
    if node is None:
        return None
    if isinstance(node, Token):
        return (node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    assert isinstance(node, Tree)
    m = node.meta
    at = None if m.empty else (m.line, m.column, m.end_line, m.end_column)
    return (str(node.data), at, tuple(_shape(c) for c in node.children))


def _outcome(parser: lark.Lark, text: str):
    try:
        return "parsed", _shape(parser.parse(text))
    except UnexpectedInput as e:
        token = getattr(e, "token", None)
        return (
            type(e).__name__,
            e.line,
            e.column,
            sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or ()),
            None if token is None else (token.type, str(token)),
        )


def test_stored_tables_were_made_from_this_grammar() -> None:
    stored = json.loads(parse_tables.TABLES_PATH.read_text())["made_from"]
    want = parse_tables.made_from(GRAMMAR)
    assert stored["grammar"] == want["grammar"], (
        "grammar/zkcu.lark changed: run `python scripts/gen_parse_tables.py`"
    )
    assert stored["options"] == want["options"]


def test_tables_are_used_when_they_match(parsers) -> None:
    loaded, built = parsers
    stored = json.loads(parse_tables.TABLES_PATH.read_text())["made_from"]
    used = stored == parse_tables.made_from(GRAMMAR)  # False only under another Lark version
    assert (loaded.source_path == DESERIALIZED) == used
    assert built.source_path != DESERIALIZED


def test_other_grammar_text_is_built_not_loaded() -> None:
    edited = GRAMMAR + "\n// a comment changes the text, so the stored tables do not apply\n"
    assert parse_tables.load(edited).source_path != DESERIALIZED


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_tree_as_built(parsers, path: Path) -> None:
    loaded, built = parsers
    text = path.read_text()
    got = _outcome(loaded, text)
    assert got == _outcome(built, text)


_PIECES = [";", "}", "{", "(", ")", "]", "[", ",", "=", "+", "int", "field", "x", "0x1f", "#", "@"]


@pytest.mark.parametrize("seed", range(40))
def test_same_errors_as_built_on_mutants(parsers, seed: int) -> None:
    loaded, built = parsers
    rng = random.Random(seed)
    text = SOURCES[rng.randrange(len(SOURCES))].read_text()
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and at < len(text):
            text = text[:at] + text[at + rng.randint(1, 4) :]
        else:
            text = text[:at] + rng.choice(_PIECES) + text[at:]
    assert _outcome(loaded, text) == _outcome(built, text)


def test_stored_tables_round_trip() -> None:
    """JSON holds neither integer keys nor tuples: both come back as they went in."""
    value = {"a": (1, (2, [3])), "b": {0: "x", 7: {"c": ()}}, "d": [{5: (6,)}]}
    encoded = json.loads(json.dumps(parse_tables._encode(value)))
    assert json.loads(json.dumps(encoded), object_hook=parse_tables._decode) == value
    with pytest.raises(ValueError):
        parse_tables._encode({1: "a", "b": 2})
