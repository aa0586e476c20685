"""Trip counts of `for` loops, known before the loop is unrolled.

Unrolling a loop costs time in proportion to its trip count, so a huge count must be refused
before the first iteration, not after minutes of them. Most loops are *counted*: `for (int i =
a; i < b; i += s)` with any of `< <= > >= !=`, the counter on either side, `i++`, `i--`,
`i += s`, `i -= s` or `i = i + s` as the update, and a body that assigns neither the counter nor
a name of the bound or the step (a return in the body would end the loop early, so it rules
the form out too). For those the count is arithmetic on the values of `a`, `b` and `s`; other
loops are only counted as they run, except the ones that can be seen never to end: a counted
loop whose counter moves away from its bound, and any loop whose body and update assign no name
of its condition (`for (;;)`, `for (int i = 0; i < n; )`).

The checks are syntactic, by name: a loop whose body assigns a name shadowing the counter is
simply not counted in advance, never miscounted. Bound and step are limited to literals and
scalar names combined by operators, so evaluating them early has no effect of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zkcc.frontend import ast

_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}


@dataclass(frozen=True)
class Counted:
    """A counted loop: `counter op bound` (counter on the left), stepped by `sign * step`."""

    counter: str
    op: str
    bound: ast.Expr
    step: ast.Expr
    sign: int
    names: frozenset[str]  # names read to take the count: the counter, the bound's, the step's
    depends: frozenset[str]  # names the count depends on: the bound's, the step's, the start's


def names_of(e: ast.Expr) -> set[str] | None:
    """The names in a side-effect-free expression of literals, names and operators; None for
    anything else (calls, indexing, initialiser lists)."""
    if isinstance(e, ast.IntLit):
        return set()
    if isinstance(e, ast.Name):
        return {e.id}
    parts: list[ast.Expr]
    if isinstance(e, ast.Unary):
        parts = [e.operand]
    elif isinstance(e, ast.Binary):
        parts = [e.lhs, e.rhs]
    elif isinstance(e, ast.Cond):
        parts = [e.cond, e.then, e.other]
    else:
        return None
    return _union(names_of(p) for p in parts)


def target_root(target: ast.Expr) -> ast.Expr:
    """The variable an assignment target names: `a` in `a[i][j]`."""
    while isinstance(target, ast.Index):
        target = target.base
    return target


def _root(target: ast.Expr) -> str | None:
    root = target_root(target)
    return root.id if isinstance(root, ast.Name) else None


def assigned_names(s: ast.Stmt | None) -> set[str] | None:
    """Names that `s` declares or assigns (array elements count as their array), or None when
    it holds a `return`, which can leave a loop before its count is reached."""
    if s is None:
        return set()
    if isinstance(s, ast.Return):
        return None
    if isinstance(s, ast.VarDecl):
        return {s.name}
    if isinstance(s, ast.Assign | ast.IncDec):
        root = _root(s.target)
        return {root} if root is not None else set()
    children: list[ast.Stmt | None]
    if isinstance(s, ast.Block):
        children = list(s.stmts)
    elif isinstance(s, ast.If):
        children = [s.then, s.other]
    elif isinstance(s, ast.For):
        children = [s.init, s.update, s.body]
    else:
        return set()
    return _union(assigned_names(c) for c in children)


def _union(sets: Iterable[set[str] | None]) -> set[str] | None:
    """The union of the parts' name sets; None as soon as one part is None (not analysable)."""
    out: set[str] = set()
    for sub in sets:
        if sub is None:
            return None
        out |= sub
    return out


def _step(update: ast.Stmt | None, counter: str) -> tuple[int, ast.Expr] | None:
    """(sign, step) of an update that moves `counter` by a fixed amount."""
    if isinstance(update, ast.IncDec) and _is(update.target, counter):
        return (1 if update.op == "++" else -1), ast.IntLit(update.loc, 1)
    if not isinstance(update, ast.Assign) or not _is(update.target, counter):
        return None
    if update.op in ("+=", "-="):
        return (1 if update.op == "+=" else -1), update.value
    v = update.value
    if update.op == "=" and isinstance(v, ast.Binary) and v.op in ("+", "-"):
        if _is(v.lhs, counter):
            return (1 if v.op == "+" else -1), v.rhs
        if v.op == "+" and _is(v.rhs, counter):
            return 1, v.lhs
    return None


def _is(e: ast.Expr, name: str) -> bool:
    return isinstance(e, ast.Name) and e.id == name


def _start_names(init: ast.Stmt | None, counter: str) -> set[str] | None:
    """The names the counter's first value depends on (itself, when the loop does not set it)."""
    if init is None:
        return {counter}
    if isinstance(init, ast.VarDecl) and init.name == counter and init.init is not None:
        return names_of(init.init)
    if isinstance(init, ast.Assign) and init.op == "=" and _is(init.target, counter):
        return names_of(init.value)
    return None


def counted(s: ast.For) -> Counted | None:
    """The loop's counted form, or None when its trip count is only known by running it."""
    c = s.cond
    if not isinstance(c, ast.Binary) or c.op not in _FLIPPED:
        return None
    if isinstance(c.lhs, ast.Name):
        counter, op, bound = c.lhs.id, c.op, c.rhs
    elif isinstance(c.rhs, ast.Name):
        counter, op, bound = c.rhs.id, _FLIPPED[c.op], c.lhs
    else:
        return None
    step = _step(s.update, counter)
    bound_names = names_of(bound)
    if step is None or bound_names is None:
        return None
    step_names = names_of(step[1])
    start_names = _start_names(s.init, counter)
    body = assigned_names(s.body)
    if step_names is None or start_names is None or body is None:
        return None
    if counter in bound_names | step_names:
        return None
    names = frozenset({counter} | bound_names | step_names)
    if names & body:
        return None
    depends = frozenset(bound_names | step_names | start_names)
    return Counted(counter, op, bound, step[1], step[0], names, depends)


def unchanging(s: ast.For) -> bool:
    """True when nothing in the loop changes its condition (or it has none) and no `return`
    can leave it: once the condition holds, the loop never ends."""
    cond = names_of(s.cond) if s.cond is not None else set()
    body, update = assigned_names(s.body), assigned_names(s.update)
    if cond is None or body is None or update is None:
        return False
    return not cond & (body | update)


def trip_count(start: int, op: str, bound: int, step: int) -> int | None:
    """Iterations of `for (i = start; i op bound; i += step)`; None when it never ends."""
    if op == "<=":
        op, bound = "<", bound + 1
    elif op == ">=":
        op, bound = ">", bound - 1
    if op == ">":  # mirror onto "<"
        op, start, bound, step = "<", -start, -bound, -step
    if op == "<":
        if start >= bound:
            return 0
        return -((start - bound) // step) if step > 0 else None
    gap = bound - start  # op == "!="
    if gap == 0:
        return 0
    if step != 0 and gap % step == 0 and gap // step > 0:
        return gap // step
    return None
