"""The LALR parser of grammar/zkcu.lark, loaded from tables stored beside the grammar.

Lark builds a grammar's LALR tables on every `Lark(...)`: about 95 ms for zkcu.lark, most of
what `zkcc compile` spends on a small program. The tables are stored as JSON in
grammar/zkcu.tables.json (about 230 kB, loaded in under 10 ms) and used only when they were
made from the same grammar text, by the same Lark version, with the same options; otherwise
the parser is built from the grammar as before, so a stale file costs time, never a wrong
parse. JSON, not Lark's own pickle cache: loading it runs no code whatever the file holds.

`python scripts/gen_parse_tables.py` rewrites the file after the grammar changes
(tests/test_parse_tables.py fails until it is rewritten). Lark numbers the states in the
order of sets of objects, so two runs write equivalent tables, not identical bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

GRAMMAR_PATH = Path(__file__).resolve().parents[2] / "grammar" / "zkcu.lark"
TABLES_PATH = GRAMMAR_PATH.with_suffix(".tables.json")
OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "propagate_positions": True,
    "maybe_placeholders": True,
}
# JSON has neither integer keys nor tuples, which Lark's serialised tables use: a dict with
# a non-string key, or a tuple, is written as a one-key object under one of these names
_INT_KEYS, _TUPLE = "\x00int-keys", "\x00tuple"


def made_from(text: str) -> dict[str, Any]:
    """What stored tables must have been made from: the grammar text (its SHA-256), Lark's
    version and the parser options."""
    return {
        "grammar": hashlib.sha256(text.encode()).hexdigest(),
        "lark": lark.__version__,
        "options": OPTIONS,
    }


def build(text: str) -> lark.Lark:
    """The parser built from the grammar text (Lark computes the tables)."""
    return lark.Lark(text, **OPTIONS)


def load(text: str) -> lark.Lark:
    """The parser of `text`: from the stored tables when they match it, else built."""
    if not TABLES_PATH.exists():
        return build(text)
    stored = json.loads(TABLES_PATH.read_text(), object_hook=_decode)
    if stored.get("made_from") != made_from(text):
        return build(text)
    return lark.Lark._load_from_dict(stored["data"], stored["memo"])


def tables(parser: lark.Lark) -> dict[str, Any]:
    """A parser's tables as Lark serialises them (terminals and rules shared by index)."""
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    return {"data": data, "memo": memo}


def write(text: str, path: Path = TABLES_PATH) -> None:
    """Store the tables of the parser built from `text`."""
    stored = {"made_from": made_from(text), **tables(build(text))}
    path.write_text(json.dumps(_encode(stored), separators=(",", ":")) + "\n")


def _encode(x: Any) -> Any:
    if isinstance(x, dict):
        if all(isinstance(k, str) for k in x):
            return {k: _encode(v) for k, v in x.items()}
        if not all(isinstance(k, int) for k in x):
            raise ValueError("a dict with keys of several types")
        return {_INT_KEYS: [[k, _encode(v)] for k, v in x.items()]}
    if isinstance(x, tuple):
        return {_TUPLE: [_encode(v) for v in x]}
    if isinstance(x, list):
        return [_encode(v) for v in x]
    return x


def _decode(d: dict) -> Any:
    if _INT_KEYS in d:
        return {int(k): v for k, v in d[_INT_KEYS]}
    if _TUPLE in d:
        return tuple(d[_TUPLE])
    return d
