"""Linear forms of SSA values, computed for a whole kernel at once with numpy.

Linear operations cost nothing in the layered circuit (a gate output sums any number of add
gates), so the lowering writes each value the circuit needs as a *linear form* over wires:

    value = const + sum_w coef_w * wire_w

*Atoms* are the values that are wires (INPUT, HINT, INDEX, a product MUL) or constants
(CONST). *Linear* values (ADD, SUB, NEG, and a MUL by a CONST, a scaling) are combinations of
their arguments along edges (child, coefficient). The forms are found without a pass per
instruction:

1. A linear value read exactly once, by a linear value, is *inner*: its form is only ever
   part of its reader's. Following reader pointers from inner values gives forests whose
   roots (*tops*: linear values read twice, or by a non-linear instruction, or never) own
   everything below them; pointer jumping finds each value's top and the product of the
   coefficients on the way in log2(height) array passes.
2. Every edge of every linear value then contributes to its top: a term (an atom's wire), a
   constant, or a reference to another top (a value read more than once).
3. References are replaced by the referenced top's entries in topological passes (Kahn's
   algorithm): a top is completed once every top it references is, so no entry list grows
   beyond its final form plus its own references, each pass touches only the tops it
   completes, and there are as many passes as references nest (a chain of values each read
   twice: one pass per link).

Entries with the same (owner, key) are summed modulo p and zeros dropped after every step, so a
form holds each wire once, like the dictionaries of a per-instruction lowering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONST_KEY = -1  # an entry's key for the form's constant part (keys >= 0 are wires)


def coef_dtype(p: int) -> type | np.dtype:
    """int64 when a product of two reduced coefficients fits (m31), else Python ints."""
    return np.dtype(np.int64) if p < 1 << 31 else object


def reduced(x: np.ndarray, p: int) -> np.ndarray:
    """x mod p. Coefficients are mostly 1 or -1, and a modulo pass costs several times the
    two comparisons that show it is not needed."""
    if len(x) == 0 or (x.min() >= 0 and x.max() < p):
        return x
    return x % p


@dataclass(frozen=True, eq=False)
class Forms:
    """The forms of the values `nodes` (sorted), as CSR rows: row i holds the terms
    wires[start[i]:start[i+1]] with coefficients coefs[...], and const[i]."""

    nodes: np.ndarray
    start: np.ndarray
    wires: np.ndarray
    coefs: np.ndarray
    const: np.ndarray
    row_of: np.ndarray  # (n,): the row of each value in `nodes` (a gather, not a search)

    def rows(self, values: np.ndarray) -> np.ndarray:
        """Row number of each of `values` (all in `nodes`)."""
        return self.row_of[values]

    @property
    def size(self) -> np.ndarray:
        return np.diff(self.start)


def group_order(owner: np.ndarray, key: np.ndarray) -> np.ndarray:
    """A permutation sorting entries by (owner, key). Stable only for speed: entry lists are
    made of sorted runs, which a merge sort exploits (equal entries are summed anyway)."""
    lo = int(key.min(initial=0))
    span = int(key.max(initial=0)) - lo + 1
    if int(owner.max(initial=0)) < (1 << 62) // span:
        return np.argsort(owner * span + (key - lo), kind="stable")
    return np.lexsort((key, owner))


def _sorted(owner: np.ndarray, key: np.ndarray) -> bool:
    """Whether entries are already in (owner, key) order (a check costs far less than a
    sort, and many entry lists are built in order)."""
    up = owner[1:] >= owner[:-1]
    if not up.all():
        return False
    same = owner[1:] == owner[:-1]
    return bool(np.all(key[1:][same] >= key[:-1][same]))


def combine(
    owner: np.ndarray, key: np.ndarray, coef: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries sorted by (owner, key), those with equal (owner, key) summed mod p, zeros
    dropped."""
    if len(owner) == 0:
        return owner, key, coef
    if len(owner) > 1 and not _sorted(owner, key):
        order = group_order(owner, key)
        owner, key, coef = owner[order], key[order], coef[order]
    first = np.ones(len(owner), dtype=bool)
    first[1:] = (owner[1:] != owner[:-1]) | (key[1:] != key[:-1])
    if not first.all():
        starts = np.flatnonzero(first)
        coef = np.add.reduceat(coef, starts)
        owner, key = owner[starts], key[starts]
    coef = reduced(coef, p)
    keep = coef != 0
    if not keep.all():
        owner, key, coef = owner[keep], key[keep], coef[keep]
    return owner, key, coef


def top_of(
    n: int, child: np.ndarray, parent: np.ndarray, coef: np.ndarray, inner: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray]:
    """For every value, its top and the coefficient it enters its top's form with (a value
    that is not inner is its own top, with coefficient 1). `inner` marks the edges
    parent -> child along which child is inner."""
    top = np.arange(n, dtype=np.int64)
    scale = np.ones(n, dtype=coef.dtype)
    c = child[inner]
    top[c] = parent[inner]
    scale[c] = coef[inner]
    unit = bool(np.all(scale[c] == 1))  # sums only: no coefficient to carry
    active = c
    while len(active):
        t = top[active]
        if not unit:
            scale[active] = reduced(scale[active] * scale[t], p)
        top[active] = up = top[t]
        active = active[up != top[up]]
    return top, scale


def linear_forms(
    n: int,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    linear: np.ndarray,
    uses: np.ndarray,
    atom_key: np.ndarray,
    atom_coef: np.ndarray,
    wanted: np.ndarray,
    p: int,
) -> Forms:
    """The forms of the values `wanted`.

    edges: (parent, child, coefficient) of every linear value's arguments; linear: (n,) bool;
    uses: how many times each value is read; atom_key / atom_coef: for an atom its wire and 1,
    or CONST_KEY and its value (entries of non-atoms are ignored)."""
    parent, child, coef = edges
    inner = linear[child] & (uses[child] == 1)
    top, scale = top_of(n, child, parent, coef, inner, p)
    outer = ~inner
    parent, child, coef = parent[outer], child[outer], coef[outer]
    owner = top[parent]
    coef = reduced(scale[parent] * coef, p)
    ref = linear[child]
    # an atom's entry, or a reference to a top encoded below CONST_KEY
    key = np.where(ref, -2 - child, atom_key[child])
    const = ~ref & (key == CONST_KEY)
    coef[const] = reduced(coef[const] * atom_coef[child[const]], p)
    table = _resolve(n, *combine(owner, key, coef, p), p)
    return _rows(
        np.flatnonzero(np.bincount(wanted, minlength=n)), linear, atom_key, atom_coef, table
    )


@dataclass
class _Table:
    """Complete forms: top t's entries are key/coef[lo[t] : lo[t] + count[t]] (sorted by
    key, so a constant comes first). Grows by doubling, as passes append to it."""

    key: np.ndarray
    coef: np.ndarray
    lo: np.ndarray
    count: np.ndarray
    size: int = 0

    def append(self, owner: np.ndarray, key: np.ndarray, coef: np.ndarray) -> None:
        """Add the entries of some tops, each top's entries contiguous."""
        if len(owner) == 0:
            return
        end = self.size + len(owner)
        if end > len(self.key):
            cap = max(end, 2 * len(self.key))
            self.key = np.resize(self.key, cap)
            self.coef = np.resize(self.coef, cap)
        self.key[self.size : end] = key
        self.coef[self.size : end] = coef
        first, count = _groups(owner)
        self.lo[owner[first]] = self.size + first
        self.count[owner[first]] = count
        self.size = end


def _groups(owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal owners."""
    if len(owner) == 1:
        return np.zeros(1, np.int64), np.ones(1, np.int64)
    change = np.empty(len(owner), dtype=bool)
    change[0] = True
    np.not_equal(owner[1:], owner[:-1], out=change[1:])
    first = np.flatnonzero(change)
    count = np.empty(len(first), np.int64)
    count[:-1] = first[1:] - first[:-1]
    count[-1] = len(owner) - first[-1]
    return first, count


def _resolve(n: int, owner: np.ndarray, key: np.ndarray, coef: np.ndarray, p: int) -> _Table:
    """Replace every reference by the referenced top's form, in topological passes (Kahn's
    algorithm over references): a top is completed, all its references substituted from the
    table at once, in the pass after the last top it references is; each pass touches only
    the tops it completes and their referrers. `owner` is sorted (as `combine` leaves it)."""
    lo, count = np.zeros(n, np.int64), np.zeros(n, np.int64)
    if len(owner):
        first, sizes = _groups(owner)
        tops = owner[first]
        lo[tops] = first
        count[tops] = sizes
    refs = key < CONST_KEY
    if not refs.any():  # no form references another (running sums, say): all complete
        return _Table(key, coef, lo, count, len(owner))
    table = _Table(
        np.empty(len(owner), key.dtype),
        np.empty(len(owner), coef.dtype),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
    )
    target, referrer = -2 - key[refs], owner[refs]
    order = np.argsort(target, kind="stable")
    target, referrer = target[order], referrer[order]
    waiting = np.zeros(n, np.int64)
    pending = count[target] > 0  # a top with no entry has the form 0: nothing to wait for
    np.add.at(waiting, referrer[pending], 1)
    ready = tops[waiting[tops] == 0]
    while len(ready):
        _, pos = expand(lo[ready], count[ready])
        o, k, c = owner[pos], key[pos], coef[pos]
        r = k < CONST_KEY
        row, sub = expand(table.lo[-2 - k[r]], table.count[-2 - k[r]])
        table.append(
            *combine(
                np.concatenate([o[~r], o[r][row]]),
                np.concatenate([k[~r], table.key[sub]]),
                np.concatenate([c[~r], reduced(c[r][row] * table.coef[sub], p)]),
                p,
            )
        )
        start = np.searchsorted(target, ready, side="left")
        _, at = expand(start, np.searchsorted(target, ready, side="right") - start)
        reached = referrer[at]
        np.subtract.at(waiting, reached, 1)
        ready = np.sort(reached[waiting[reached] == 0])
        if len(ready) > 1:  # a referrer reached through several operands, once
            ready = ready[np.concatenate(([True], ready[1:] != ready[:-1]))]
    return table


def expand(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows [start, start + count): the row of each element and its position. Rows of
    one element each (most operands: a wire) are returned as they are."""
    rows = np.arange(len(count))
    total = int(count.sum())
    if total == len(count) and bool(np.all(count == 1)):
        return rows, start
    first = np.cumsum(count)
    first -= count
    pos = np.repeat(start - first, count)
    pos += np.arange(total)
    return np.repeat(rows, count), pos


def _rows(
    nodes: np.ndarray,
    linear: np.ndarray,
    atom_key: np.ndarray,
    atom_coef: np.ndarray,
    table: _Table,
) -> Forms:
    """The Forms of `nodes` (sorted): a top's row from the table (its constant first), an
    atom's from its own wire or value."""
    lin = linear[nodes]
    lo, cnt = table.lo[nodes], np.where(lin, table.count[nodes], 0)
    key, coef = table.key[: table.size], table.coef[: table.size]
    first = np.minimum(lo, max(table.size - 1, 0))
    has_const = (cnt > 0) & (key[first] == CONST_KEY if table.size else False)
    wire = atom_key[nodes] != CONST_KEY
    count = np.where(lin, cnt - has_const, wire)
    const = np.zeros(len(nodes), dtype=coef.dtype)
    const[has_const] = coef[lo[has_const]]
    const_atom = ~lin & ~wire
    const[const_atom] = atom_coef[nodes[const_atom]]
    start = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    row, src = expand(lo + has_const, count)
    from_top = lin[row]
    safe = np.where(from_top, src, 0)
    wires = np.where(from_top, key[safe] if table.size else 0, atom_key[nodes[row]])
    coefs = coef[safe] if table.size else np.zeros(len(row), dtype=coef.dtype)
    coefs[~from_top] = 1
    row_of = np.zeros(len(linear), dtype=np.int64)
    row_of[nodes] = np.arange(len(nodes))
    return Forms(nodes, start, wires, coefs, const, row_of)
