"""`{...}` lists of integer literals read as one INT_LIST token give the nodes `init_list` gives.

The reference is the grammar without the INT_LIST terminal, where every item is parsed as an
expression. Random tables (negated and hex items, any spacing and line breaks, nesting,
comments that make a list take the general form) must give the same AST, locations included,
and the same diagnostics.
"""

from __future__ import annotations

import random

import lark
import pytest

from zkcc.frontend import parser
from zkcc.frontend.diagnostics import Sink
from zkcc.frontend.limits import MAX_LITERAL_DIGITS
from zkcc.frontend.transform import ToAst


@pytest.fixture(scope="module")
def reference() -> lark.Lark:
    text = parser.GRAMMAR_PATH.read_text()
    text = text.replace("         | INT_LIST -> int_list\n", "")
    assert "INT_LIST ->" not in text
    return lark.Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _item(rng: random.Random) -> str:
    n = rng.choice([0, 1, 7, 255, 2**31 - 2, rng.randrange(10**6)])
    s = hex(n) if rng.random() < 0.2 else str(n)
    if rng.random() < 0.1:
        s = s.upper().replace("0X", "0X" if rng.random() < 0.5 else "0x")
    return ("-" if rng.random() < 0.3 else "") + s


def _space(rng: random.Random) -> str:
    return rng.choice(["", " ", "  ", "\n", "\n    ", "\t", " \n\n "])


def _list(rng: random.Random, depth: int) -> str:
    n = rng.randint(1, 6)
    if depth and rng.random() < 0.4:
        items = [_list(rng, depth - 1) for _ in range(n)]
    else:
        items = [_item(rng) for _ in range(n)]
        if rng.random() < 0.1:
            items[0] = "/* c */ " + items[0]  # not an INT_LIST: the general form
    sep = ","
    return "{" + _space(rng) + (_space(rng) + sep + _space(rng)).join(items) + _space(rng) + "}"


@pytest.mark.parametrize("seed", range(60))
def test_int_lists_parse_as_expressions(seed: int, reference: lark.Lark) -> None:
    rng = random.Random(seed)
    src = "".join(
        f"const int T{k}[4] = {_list(rng, 2)};{_space(rng)}\n" for k in range(rng.randint(1, 4))
    )
    fast = ToAst("t.zkcu", src).transform_file(parser._parser().parse(src))
    slow = ToAst("t.zkcu", src).transform_file(reference.parse(src))
    assert repr(fast) == repr(slow)


def test_a_table_is_one_token() -> None:
    src = "const int T[3] = {1, -2, 0x3};\n"
    tree = parser._parser().parse(src)
    kinds = [t.type for t in tree.scan_values(lambda v: isinstance(v, lark.Token))]
    assert [k for k in kinds if k in ("NUMBER", "INT_LIST")] == ["NUMBER", "INT_LIST"]  # T[3]


def test_long_literals_in_a_table_are_refused_at_the_literal() -> None:
    long = "9" * (MAX_LITERAL_DIGITS + 1)
    src = f"const int T[3] = {{1,\n  -{long}, 2}};\n"
    sink = Sink()
    assert parser.parse_text(src, "t.zkcu", sink) is None
    (d,) = sink.diagnostics
    assert d.message.startswith(f"integer literal with {MAX_LITERAL_DIGITS + 1} digits")
    assert (d.loc.line, d.loc.col, d.loc.end_col) == (2, 4, 4 + len(long))


def test_messages_do_not_name_the_token() -> None:
    sink = Sink()
    parser.parse_text("const int T[2] = ;\n", "t.zkcu", sink)
    assert "'{'" in sink.diagnostics[0].message and "INT_LIST" not in sink.diagnostics[0].message
