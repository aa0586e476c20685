"""Source text -> `FileAST`, with readable syntax errors and recovery past bad statements.

Lark's LALR parser stops at the first unexpected token. To report more than one syntax error we
repair the text and parse again, with edits that keep every line and column of the rest of the
file unchanged: a `;` missing at the end of a line is put back (the most common slip); otherwise
the offending statement (the text between the statement boundaries `;`, `{`, `}` around the
error) is blanked with spaces. Recovery stops when no progress is possible (e.g. a missing `}`
at the end of the file) or an error does not lie after the previous one, so cascades of
meaningless follow-on errors are not reported.

A missing `}` is the one slip Lark's message does not explain: it surfaces far away, at the end
of the file or at the next `__host__`, as a list of every token a block could hold. It is
reported as "expected '}' before ...", with a note at the `{` left open.
"""

from __future__ import annotations

import functools
import re

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from zkcc.frontend import parse_tables
from zkcc.frontend.ast import FileAST
from zkcc.frontend.diagnostics import Sink
from zkcc.frontend.limits import MAX_LITERAL_DIGITS, MAX_NESTING, recursion_room
from zkcc.frontend.parse_tables import GRAMMAR_PATH
from zkcc.frontend.transform import INT_ITEM, ToAst, directive_text, token_position
from zkcc.ir.source import SourceLoc, source_lines

MAX_SYNTAX_ERRORS = 20
# Tokens that only start a top-level item: met inside a block, a `}` is missing. Inside a block
# Lark's contextual lexer may read `__host__` as a name and fail at the `void` after it, so the
# function qualifiers before the failing token are part of the item too.
_TOP_LEVEL_ONLY = {
    "$END",
    "__GLOBAL__",
    "__DEVICE__",
    "__HOST__",
    "PRAGMA",
    "INCLUDE",
    "TEMPLATE",
}
# What the scan for an unended comment steps over: a `#` line, a comment, or an unended `/*`.
_SKIPPED = re.compile(r"(#[^\n]*)|//[^\n]*|/\*.*?\*/|(/\*)", re.S)
# A word that looks like a number, maybe a slip: `.5`, `5.`, `1e1000` (groups: mantissa,
# exponent); not a part of a longer word or number such as `x.5` or `1.2.3`.
_NUMBER_LIKE = re.compile(r"(?<![\w.])(\.?[0-9]+(?:\.[0-9]*)?)(?:[eE]([+-]?[0-9]+))?(?![\w.])")
_QUALIFIERS = re.compile(r"(?:__(?:global|device|host|gkr|groth16)__\s+)+$")

# How terminals whose pattern is a regex are named in "expected one of ..." messages.
_FRIENDLY = {
    "NAME": "identifier",
    "TNAME": "identifier",
    "NUMBER": "number",
    "REAL": "number",  # a real literal is a number to the reader
    "ITYPE": "integer type",
    "FXTYPE": "fixed-point type",
    "PRAGMA": "'#pragma'",
    "INCLUDE": "'#include'",
    "$END": "end of file",
}
# Closing punctuation first: it is usually what is missing.
_FIRST = ["';'", "')'", "']'", "'}'", "','", "identifier", "number"]
_MAX_LISTED = 12


@functools.cache
def _parser() -> lark.Lark:
    return parse_tables.load(GRAMMAR_PATH.read_text())


def _describe(terminal: str) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"'{pattern.value}'"
    return terminal.lower()


def expected_text(terminals: set[str]) -> str:
    """A readable, deterministic list of what the parser would have accepted (an INT_LIST is
    a `{`, which is listed wherever it may stand)."""
    names = sorted({_describe(t) for t in terminals if t != "INT_LIST"})
    names.sort(key=lambda n: _FIRST.index(n) if n in _FIRST else len(_FIRST))
    if len(names) > _MAX_LISTED:
        names = names[:_MAX_LISTED] + ["..."]
    return ", ".join(names)


def _token_text(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    return f"'{tok.value}'"


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] with spaces, keeping newlines so positions stay valid."""
    middle = "".join(ch if ch == "\n" else " " for ch in text[start:end])
    return text[:start] + middle + text[end:]


def _statement_span(text: str, pos: int) -> tuple[int, int]:
    """The statement around offset `pos`: after the previous boundary up to and including the
    next `;` (or up to, not including, the next brace)."""
    start = pos
    while start > 0 and text[start - 1] not in ";{}":
        start -= 1
    end = pos
    while end < len(text) and text[end] not in ";{}":
        end += 1
    if end < len(text) and text[end] == ";":
        end += 1
    return start, end


def _prev_token_end(text: str, pos: int) -> int:
    """Offset just after the last non-blank character before `pos`."""
    j = pos - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    return j + 1


def offset_loc(text: str, filename: str, offset: int) -> SourceLoc:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceLoc(filename, line, col, col + 1)


def _insert_semicolon(text: str, pos: int) -> str | None:
    """Put a `;` after the token before offset `pos` when that token ends an earlier line.
    Written over a following space, or just before the newline, so no position moves."""
    j = _prev_token_end(text, pos) - 1
    if j < 0 or "\n" not in text[j + 1 : pos] or text[j] in ";{}":
        return None
    if text[j + 1] in " \t":
        return text[: j + 1] + ";" + text[j + 2 :]
    if text[j + 1] in "\r\n":
        return text[: j + 1] + ";" + text[j + 1 :]
    return None


def _line_end_col(text: str, line: int) -> int:
    lines = source_lines(text)
    return len(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1


def _indent(text: str, pos: int) -> int:
    """Columns of leading blanks on the line that holds offset `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return end - start


def _open_brace(text: str, end: int) -> int | None:
    """Offset of the `{` in text[:end] most likely to lack its `}`, or None if all are closed.

    Braces are matched by counting, so the `{` left open is usually not the one whose `}` is
    missing: in `f() {  for (...) {  ...  }` (the loop's `}` forgotten) the count blames `f`. The
    indentation tells them apart: a `}` indented less than the line of the `{` it closes, but as
    much as an enclosing `{`, belongs to that enclosing one, and the `{` it was counted against
    is the culprit."""
    stack: list[tuple[int, int]] = []  # open braces: (offset, indentation of their line)
    culprit = None
    i = 0
    while i < end:
        if text.startswith(("//", "#"), i):  # comments and #pragma/#include lines
            i = text.find("\n", i)
            i = end if i < 0 else i
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = end if j < 0 else j + 2
        else:
            if text[i] == "{":
                stack.append((i, _indent(text, i)))
            elif text[i] == "}" and stack:
                opened, indent = stack.pop()
                here = _indent(text, i)
                if culprit is None and indent > here and any(d == here for _, d in stack):
                    culprit = opened
            i += 1
    if culprit is not None:
        return culprit
    return stack[-1][0] if stack else None


def _missing_brace(tok: Token, text: str, filename: str, loc: SourceLoc, sink: Sink) -> bool:
    """Report "expected '}' before ..." when `tok` can only be part of a top-level item (or is
    the end of the file) and a `{` is still open, with a note at that `{`."""
    if tok.type == "$END":
        start, before = len(text), "end of file"
    else:
        qualifiers = _QUALIFIERS.search(text, 0, tok.start_pos)
        if tok.type not in _TOP_LEVEL_ONLY and qualifiers is None:
            return False
        start = tok.start_pos if qualifiers is None else qualifiers.start()
        word = text[start:].split(None, 1)[0]
        before = f"'{word}'"
        loc = offset_loc(text, filename, start)
        loc = SourceLoc(filename, loc.line, loc.col, loc.col + len(word))
    opened = _open_brace(text, start)
    if opened is None:
        return False
    sink.error(f"expected '}}' before {before}", loc)
    sink.report("note", "to match this '{'", offset_loc(text, filename, opened))
    return True


def _unterminated_comment(text: str, before: int) -> int | None:
    """Offset of a `/*` at or before offset `before` that no `*/` ends; on a `#` line, one
    that none ends on that line (the lexer reads such a line as one token). The lexer does
    not see an unended comment as one, and fails later, at a '/' or a word inside it."""
    for m in _SKIPPED.finditer(text):
        if m.start() > before:
            return None
        if m[2]:
            return m.start()
        left = directive_text(m[1]).find("/*") if m[1] else -1
        if left >= 0:
            return m.start() + left
    return None


def _error_offset(tok: Token, text: str) -> int:
    """Where in `text` the parser failed at `tok` (Lark gives the end of file no offset)."""
    return len(text) if tok.type == "$END" else tok.start_pos  # type: ignore[return-value]


def _comment_left_open(text: str, filename: str, before: int, sink: Sink) -> bool:
    """Report the syntax error at offset `before` as the unended comment it lies in."""
    start = _unterminated_comment(text, before)
    if start is None:
        return False
    at = offset_loc(text, filename, start)
    why = "'/*' without '*/'"
    if text[text.rfind("\n", 0, start) + 1 :].lstrip().startswith("#"):
        why = "a comment on a #pragma or #include line must end on it"
    sink.error(f"unterminated comment: {why}", SourceLoc(filename, at.line, at.col, at.col + 2))
    return True


def _literal_slip(text: str, filename: str, offset: int) -> tuple[str, SourceLoc] | None:
    """The error for a number holding offset `offset` that breaks a rule of real literals
    (language.md, Lexical): the lexer reads `.5` and `5.` as a stray '.', and `1e1000` as
    `1e100` followed by `0`, so Lark's own message would point at a piece of the number."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    for m in _NUMBER_LIKE.finditer(text, start, len(text) if end < 0 else end):
        if m.start() <= offset < m.end():
            break
    else:
        return None
    word, mantissa, exponent = m[0], m[1], m[2] or ""
    if mantissa.startswith(".") or mantissa.endswith("."):
        fixed = f"0{word}" if mantissa.startswith(".") else f"{mantissa}0{word[len(mantissa) :]}"
        why = f"a real literal has digits on both sides of the '.': write {fixed}"
    elif len(exponent.lstrip("+-")) > 3:
        why = "the exponent of a real literal has at most 3 digits"
    else:
        return None
    at = offset_loc(text, filename, m.start())
    return f"malformed number '{word}': {why}", SourceLoc(
        filename, at.line, at.col, at.col + len(word)
    )


def _literal_fits(digits: str, tok: Token, offset: int, filename: str, sink: Sink) -> bool:
    """Whether the integer literal `digits`, at `offset` in `tok`, is within the length limit;
    else the error, at it."""
    n = len(digits) - (2 if digits[:2] in ("0x", "0X") else 0)
    if n <= MAX_LITERAL_DIGITS:
        return True
    line, col = token_position(tok, offset)
    sink.error(
        f"integer literal with {n} digits is too long (at most {MAX_LITERAL_DIGITS} digits)",
        SourceLoc(filename, line, col, col + len(digits)),
    )
    return False


def _within_limits(tree: lark.Tree, filename: str, sink: Sink) -> bool:
    """Check nesting depth and literal lengths on the parse tree, without recursion, before
    anything walks it recursively. Reports the first offence of each kind."""
    ok = True
    stack = [(tree, 1, None)]
    deep = False
    while stack:
        node, depth, meta = stack.pop()
        if isinstance(node, Token):
            if node.type == "NUMBER":
                ok = _literal_fits(node.value, node, 0, filename, sink) and ok
            elif node.type == "INT_LIST":
                for m in INT_ITEM.finditer(node.value):
                    ok = _literal_fits(m[1], node, m.start(1), filename, sink) and ok
            continue
        if not isinstance(node, lark.Tree):
            continue
        if not getattr(node.meta, "empty", True):
            meta = node.meta
        if depth > MAX_NESTING:
            if not deep:
                line, col = (meta.line, meta.column) if meta is not None else (1, 1)
                sink.error(
                    f"nested too deeply: more than {MAX_NESTING} levels of expressions, "
                    "statements or blocks (a sum of n terms nests n levels: split long "
                    "expressions with temporaries or loops)",
                    SourceLoc(filename, line, col, col + 1),
                )
                deep, ok = True, False
            continue
        stack.extend((child, depth + 1, meta) for child in node.children)
    return ok


_ITYPE_BEFORE = re.compile(r"(?<![A-Za-z0-9_])i[1-9][0-9]*\s*$")


def _type_name_note(text: str, filename: str, tok: Token, sink: Sink) -> None:
    """After `i2 = 4;` fails at the `=`: say that `i2` was read as an integer type name."""
    if tok.type == "$END":
        return
    m = _ITYPE_BEFORE.search(text, 0, tok.start_pos)
    if m is None:
        return
    word = m.group(0).strip()
    at = offset_loc(text, filename, m.start())
    sink.report(
        "note",
        f"'{word}' is read as an integer type here ('i' and digits name the types i8, "
        "i16, ...); give the variable another name",
        SourceLoc(filename, at.line, at.col, at.col + len(word)),
    )


def parse_text(text: str, filename: str, sink: Sink) -> FileAST | None:
    """Parse one file. Returns None (after reporting to `sink`) when it has syntax errors."""
    recursion_room()  # for the passes after the parser, which recurse once per nesting level
    sink.add_source(filename, text)
    work = text
    failed = False
    last = (0, 0)
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = _parser().parse(work)
        except UnexpectedCharacters as e:
            failed = True
            if _comment_left_open(work, filename, e.pos_in_stream, sink):
                return None  # the rest of the file is in the comment
            if (e.line, e.column) <= last:
                return None
            last = (e.line, e.column)
            loc = SourceLoc(filename, e.line, e.column, e.column + 1)
            slip = _literal_slip(work, filename, e.pos_in_stream)
            sink.error(*(slip or (f"unexpected character {e.char!r}", loc)))
            start, end = _statement_span(work, e.pos_in_stream)
            work = _blank(work, min(start, e.pos_in_stream), max(end, e.pos_in_stream + 1))
            continue
        except UnexpectedToken as e:
            failed = True
            tok = e.token
            if _comment_left_open(work, filename, _error_offset(tok, work), sink):
                return None  # the rest of the file is in the comment
            expected = expected_text(set(e.accepts or e.expected))
            if tok.type == "$END":
                line = text.count("\n") + 1
                col = _line_end_col(text, line)
                loc = SourceLoc(filename, line, col, col + 1)
            else:
                loc = SourceLoc(filename, tok.line, tok.column, tok.end_column)
            if (loc.line, loc.col) <= last:
                return None
            last = (loc.line, loc.col)
            fixed = None
            if tok.type != "$END" and "SEMICOLON" in e.expected:
                fixed = _insert_semicolon(work, tok.start_pos)
            if fixed is not None:
                at = offset_loc(work, filename, _prev_token_end(work, tok.start_pos))
                sink.error(f"expected ';' before {_token_text(tok)}", at)
                work = fixed
                continue
            if _missing_brace(tok, work, filename, loc, sink):
                return None  # what follows is parsed as part of the open block: cascades
            slip = _literal_slip(work, filename, _error_offset(tok, work))
            sink.error(
                *(slip or (f"unexpected {_token_text(tok)}, expected one of: {expected}", loc))
            )
            _type_name_note(work, filename, tok, sink)
            if tok.type == "$END":
                return None
            start, end = _statement_span(work, tok.start_pos)
            if not work[start:end].strip():
                return None  # nothing left to skip: further errors would only be cascades
            work = _blank(work, start, end)
            continue
        if failed or not _within_limits(tree, filename, sink):
            return None
        return ToAst(filename, text).transform_file(tree)
    return None
