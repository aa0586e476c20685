"""Abstract syntax tree of a zkcu file, with a `SourceLoc` on every node.

The parser builds these from the Lark tree; the checkers and the IR emitters read them. Nodes are
plain dataclasses with no behaviour, so the tree can be printed and compared in tests. Every
node's `loc` spans the source text it came from, which is what diagnostics underline and what
IR instructions carry to runtime errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from zkcc.ir.source import SourceLoc

# ---- expressions ---------------------------------------------------------------------------


@dataclass
class Expr:
    loc: SourceLoc


@dataclass
class IntLit(Expr):
    value: int


@dataclass
class RealLit(Expr):
    """A real literal (`0.5`, `1e-3`), exact: it only meets fixed-point values."""

    value: Fraction


@dataclass
class Name(Expr):
    id: str


@dataclass
class Index(Expr):
    base: Expr
    index: Expr


@dataclass
class Call(Expr):
    func: str
    args: list[Expr]
    name_loc: SourceLoc
    targs: TemplateArgs | None = None  # `f<...>(...)`; None when no `<...>` is written


@dataclass
class TemplateArgs:
    """`<a, b>` after a template name: compile-time int expressions."""

    items: list[Expr]
    loc: SourceLoc


@dataclass
class Unary(Expr):
    op: str
    operand: Expr


@dataclass
class Binary(Expr):
    op: str
    lhs: Expr
    rhs: Expr


@dataclass
class Cond(Expr):
    """`c ? a : b`; only the chosen branch is evaluated, as in C."""

    cond: Expr
    then: Expr
    other: Expr


@dataclass
class InitList(Expr):
    """`{a, b, ...}`: the initialiser of a compile-time int array."""

    items: list[Expr]


# ---- statements ----------------------------------------------------------------------------


@dataclass
class Stmt:
    loc: SourceLoc


@dataclass
class VarDecl(Stmt):
    type: str  # "field" | "int"
    name: str
    dims: list[Expr]
    init: Expr | None
    is_const: bool
    name_loc: SourceLoc


@dataclass
class Assign(Stmt):
    target: Expr  # Name or Index
    op: str  # "=", "+=", "-=", "*=", "/="
    value: Expr


@dataclass
class IncDec(Stmt):
    target: Expr
    op: str  # "++" | "--"


@dataclass
class ExprStmt(Stmt):
    expr: Expr


@dataclass
class Block(Stmt):
    stmts: list[Stmt]


@dataclass
class If(Stmt):
    cond: Expr
    then: Stmt
    other: Stmt | None


@dataclass
class For(Stmt):
    init: Stmt | None
    cond: Expr | None
    update: Stmt | None
    body: Stmt


@dataclass
class Return(Stmt):
    value: Expr | None


@dataclass
class Launch(Stmt):
    kernel: str
    count: Expr
    args: list[Expr]
    name_loc: SourceLoc
    targs: TemplateArgs | None = None  # `k<...><<<n>>>(...)`


@dataclass
class Empty(Stmt):
    pass


# ---- top level -----------------------------------------------------------------------------


@dataclass
class ParamDecl:
    name: str
    type: str  # "field" | "int"
    dims: list[Expr]
    quals: list[tuple[str, SourceLoc]]  # "const", "__broadcast__", "public", "private", "out"
    loc: SourceLoc
    name_loc: SourceLoc

    def has(self, qual: str) -> bool:
        return any(q == qual for q, _ in self.quals)


@dataclass
class TemplateParam:
    """`int N` in `template <int N, ...>`: a compile-time int bound at each instantiation."""

    name: str
    loc: SourceLoc


@dataclass
class FuncDecl:
    kind: str  # "global" | "device" | "host"
    backend: str | None  # "gkr" | "groth16" for kernels that request one
    ret: str  # "void" | "field" | "int"
    name: str
    params: list[ParamDecl]
    body: Block
    loc: SourceLoc
    name_loc: SourceLoc
    tparams: list[TemplateParam] | None = None  # None: not a template

    @property
    def is_template(self) -> bool:
        return self.tparams is not None


@dataclass
class Pragma:
    words: list[str]
    loc: SourceLoc


@dataclass
class Include:
    target: str
    system: bool  # <...> (stdlib) rather than "..." (relative to the including file)
    loc: SourceLoc


TopLevel = VarDecl | FuncDecl | Pragma | Include


@dataclass
class FileAST:
    name: str
    items: list[TopLevel] = field(default_factory=list)
