"""Lark parse tree -> `zkcc.frontend.ast` nodes, attaching a `SourceLoc` to each.

Kept apart from the parser driver so the tree shape (which follows grammar/zkcu.lark rule by
rule) is handled in one place. Preprocessor lines arrive as single tokens and are split here.
"""

from __future__ import annotations

import re
from fractions import Fraction

from lark import Token, Transformer, Tree, v_args

from zkcc.frontend import ast
from zkcc.ir.source import SourceLoc, source_lines

_INCLUDE_RE = re.compile(r'#\s*include\s*(?:<([^>\s]+)>|"([^"\n]+)")\s*$')
# On a `#` line, which the lexer reads as one token: a quoted include name (kept), or a
# comment (blanked, keeping offsets).
_IN_DIRECTIVE = re.compile(r'("[^"\n]*")|//.*|/\*.*?\*/')
INT_ITEM = re.compile(r"-?(0[xX][0-9a-fA-F]+|[0-9]+)")  # an item of an INT_LIST token


def _int_value(digits: str) -> int:
    """An integer literal's value: decimal, or hexadecimal after 0x (a decimal literal's
    leading zeros are not octal)."""
    return int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits)


def directive_text(line: str) -> str:
    """A `#pragma` or `#include` line with its comments blanked: the lexer keeps the whole
    line in one token, so they are removed here, as the lexer removes them elsewhere. A `/*`
    left in it has no `*/` on the line (the parser reports it: `_unterminated_comment`)."""
    return _IN_DIRECTIVE.sub(lambda m: m[1] or " " * len(m[0]), line)


def token_position(tok: Token, offset: int) -> tuple[int, int]:
    """The line and column of character `offset` of a token's text."""
    newline = tok.value.rfind("\n", 0, offset)
    if newline < 0:
        return tok.line, tok.column + offset  # type: ignore[operator]
    return tok.line + tok.value.count("\n", 0, offset), offset - newline  # type: ignore[operator]


@v_args(meta=True)
class ToAst(Transformer):
    def __init__(self, filename: str, text: str):
        super().__init__()
        self.filename = filename
        self.lines = source_lines(text)

    def transform_file(self, tree: Tree) -> ast.FileAST:
        return self.transform(tree)

    # -- locations -----------------------------------------------------------------------------
    def _loc(self, meta) -> SourceLoc:
        if getattr(meta, "empty", True):
            return SourceLoc(self.filename, 1, 1, 2)
        end = meta.end_column if meta.end_line == meta.line else self._eol(meta.line)
        return SourceLoc(self.filename, meta.line, meta.column, end)

    def _eol(self, line: int) -> int:
        return len(self.lines[line - 1]) + 1 if 0 < line <= len(self.lines) else 1

    def _tok(self, tok: Token) -> SourceLoc:
        return SourceLoc(self.filename, tok.line, tok.column, tok.end_column)

    # -- top level -----------------------------------------------------------------------------
    def start(self, meta, items):
        return ast.FileAST(self.filename, list(items))

    def pragma(self, meta, children):
        tok = children[0]
        words = directive_text(tok.value).lstrip("#").split()[1:]
        return ast.Pragma(words, self._tok(tok))

    def include(self, meta, children):
        tok = children[0]
        m = _INCLUDE_RE.match(directive_text(tok.value).rstrip())
        if m is None:
            return ast.Include("", False, self._tok(tok))  # malformed: reported by the loader
        target = m.group(1) or m.group(2)
        return ast.Include(target, m.group(1) is not None, self._tok(tok))

    def function(self, meta, children):
        tparams, kind, backend, ret, name, params, body = children
        return ast.FuncDecl(
            kind=kind.strip("_"),
            backend=backend.strip("_") if backend is not None else None,
            ret=ret,
            name=str(name),
            params=params or [],
            body=body,
            loc=self._loc(meta),
            name_loc=self._tok(name),
            tparams=tparams,
        )

    def template_head(self, meta, children):
        return list(children)

    def tparam(self, meta, children):
        return ast.TemplateParam(str(children[0]), self._tok(children[0]))

    def targs(self, meta, children):
        return ast.TemplateArgs(list(children), self._loc(meta))

    def func_kind(self, meta, children):
        return str(children[0])

    assign_op = incdec_op = func_kind

    backend = func_kind
    ret_type = func_kind
    type = func_kind

    def params(self, meta, children):
        return list(children)

    def param(self, meta, children):
        quals = [c for c in children if isinstance(c, tuple)]
        rest = [c for c in children if not isinstance(c, tuple)]
        typ, name, *dims = rest
        return ast.ParamDecl(str(name), typ, dims, quals, self._loc(meta), self._tok(name))

    def q_const(self, meta, children):
        return ("const", self._loc(meta))

    def q_broadcast(self, meta, children):
        return ("__broadcast__", self._loc(meta))

    def q_name(self, meta, children):
        return (str(children[0]), self._tok(children[0]))

    def dim(self, meta, children):
        return children[0]

    # -- statements ----------------------------------------------------------------------------
    def block(self, meta, children):
        return ast.Block(self._loc(meta), list(children))

    def var_decl(self, meta, children):
        const, typ, name, *dims, init = children  # `init` is None when absent
        return ast.VarDecl(
            self._loc(meta), typ, str(name), dims, init, const is not None, self._tok(name)
        )

    def initializer(self, meta, children):
        return children[0]

    def init_list(self, meta, children):
        return ast.InitList(self._loc(meta), [c for c in children if c is not None])

    def int_list(self, meta, children):
        """An INT_LIST token: the nodes `init_list` gives for the same text (each item an
        `IntLit`, or a `Unary` minus around one, located where it is written)."""
        tok = children[0]
        items: list[ast.Expr] = []
        for m in INT_ITEM.finditer(tok.value):
            line, col = token_position(tok, m.start())
            end, digits = col + len(m[0]), m[1]
            node: ast.Expr = ast.IntLit(
                SourceLoc(self.filename, line, end - len(digits), end), _int_value(digits)
            )
            if len(digits) < len(m[0]):  # -N
                node = ast.Unary(SourceLoc(self.filename, line, col, end), "-", node)
            items.append(node)
        end = tok.end_column if tok.end_line == tok.line else self._eol(tok.line)
        return ast.InitList(SourceLoc(self.filename, tok.line, tok.column, end), items)

    def assign(self, meta, children):
        target, op, value = children
        return ast.Assign(self._loc(meta), target, str(op), value)

    def incdec(self, meta, children):
        return ast.IncDec(self._loc(meta), children[0], str(children[1]))

    def expr_stmt(self, meta, children):
        return ast.ExprStmt(self._loc(meta), children[0])

    def empty(self, meta, children):
        return ast.Empty(self._loc(meta))

    def if_stmt(self, meta, children):
        cond, then, other = children
        return ast.If(self._loc(meta), cond, then, other)

    def for_stmt(self, meta, children):
        # `[_for_init]` leaves no placeholder when absent (an inlined rule), the others do
        init, cond, update, body = children if len(children) == 4 else [None, *children]
        return ast.For(self._loc(meta), init, cond, update, body)

    def for_decl(self, meta, children):
        typ, name, value = children
        return ast.VarDecl(self._loc(meta), typ, str(name), [], value, False, self._tok(name))

    def return_stmt(self, meta, children):
        return ast.Return(self._loc(meta), children[0])

    def launch(self, meta, children):
        name, *targs, count, args = children  # `targs` only after a template name
        return ast.Launch(
            self._loc(meta),
            str(name),
            count,
            args or [],
            self._tok(name),
            targs[0] if targs else None,
        )

    # -- expressions ---------------------------------------------------------------------------
    def _binary(self, meta, children):
        lhs, op, rhs = children
        return ast.Binary(self._loc(meta), str(op), lhs, rhs)

    lor = land = bitor = bitxor = bitand = equality = relational = shift = additive = _binary
    mult = _binary

    def unary(self, meta, children):
        op, operand = children
        return ast.Unary(self._loc(meta), str(op), operand)

    def cond(self, meta, children):
        c, a, b = children
        return ast.Cond(self._loc(meta), c, a, b)

    def index(self, meta, children):
        return ast.Index(self._loc(meta), children[0], children[1])

    def call(self, meta, children):
        name, *targs, args = children  # `targs` only after a template name
        return ast.Call(
            self._loc(meta), str(name), args or [], self._tok(name), targs[0] if targs else None
        )

    def args(self, meta, children):
        return list(children)

    def number(self, meta, children):
        tok = children[0]
        return ast.IntLit(self._tok(tok), _int_value(tok.value))

    def real(self, meta, children):
        tok = children[0]
        return ast.RealLit(self._tok(tok), Fraction(tok.value))

    def name(self, meta, children):
        tok = children[0]
        return ast.Name(self._tok(tok), str(tok))
