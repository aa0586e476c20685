"""In-circuit multilinear evaluation of committed tables (commit-and-prove for Groth16).

Given an R1CS and tables of its wires (each a tensor's canonical padded table, -1 marking zero
padding), `with_evaluations` returns an R1CS that also proves, for every table T with m
variables and a mask wire mu_T of its own,

    u = T~(r) + mu_T = sum_b T[b] eq(r, b) + mu_T,     r = (r_0, ..., r_{m-1}) and u public,

so that the public u reveals nothing of T~(r) while mu_T is uniform: the table wires and the
mask wires are the committed wires (in D, fixed before r is drawn); the PCS proves the same
sum from its own commitments to T and to the launch's mask table, a linked claim
(zkcc.runtime.groth16_launch), which reveals nothing more.

by folding the table exactly as `zkcc.field.mle.mle_evaluate` does (top variable first):

    level l consumes r_{m-1-l}:  t'[j] = lo[j] + r (hi[j] - lo[j]),   lo, hi = halves of t
    one constraint per output:   (r) * (hi - lo) = (t' - lo)

Pairs of two padding zeros fold to zero for free, so a table costs about one constraint per
real element; the last fold writes a private wire v, and one more row (1) * (v + mu_T) = (u)
the public u (a one-element table: (1) * (t_0 + mu_T) = (u)). Every table element appears in
exactly one level-0 row (hi with B-coefficient 1, lo with B- and C-coefficient -1) and every
mask wire in exactly one output row, so the committed wires' QAP polynomials are linearly
independent and their commitment is binding.

Wire layout of the result:

    0 | old public wires | per table: r_0 .. r_{m-1}, u | old private wires (shifted) |
    masks (one per table) | folds

All index work is vectorised per level; the Python loop is over tables and levels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.r1cs import R1CS, Sparse


@dataclass
class EvalCircuit:
    r1cs: R1CS
    committed: np.ndarray  # the table wires and the mask wires in the new numbering, sorted
    remap: Callable  # old wire index array -> new wire index array
    place: Callable  # (old witness, masks) -> new witness: old wires and mask wires filled in
    extend: Callable  # (old witness, points, masks) -> (new witness, masked values u)
    num_vars: list[int]


def _levels(table: np.ndarray, point: np.ndarray, value: int, mask: int, next_wire: int, row: int):
    """Fold rows for one table (new wire numbering) and the masked output row; returns
    (levels, triples, the wire of v, next, row)."""
    m = point.size
    cur = table
    levels, trip = [], {"A": [], "B": [], "C": []}

    def output(v_wire: int, row: int) -> int:
        """(1) * (v + mu) = (u)"""
        trip["A"].append(([row], [0], [1]))
        trip["B"].append(([row, row], [v_wire, mask], [1, 1]))
        trip["C"].append(([row], [value], [1]))
        return row + 1

    if m == 0:  # one element: (1) * (t_0 + mu) = (u)
        return [], trip, int(cur[0]), next_wire, output(int(cur[0]), row)
    for lvl in range(m):
        h = cur.size // 2
        lo, hi = cur[:h], cur[h:]
        live = np.flatnonzero((lo >= 0) | (hi >= 0))
        out = np.full(h, -1, dtype=np.int64)
        out[live] = next_wire + np.arange(live.size)
        next_wire += live.size
        rows = row + np.arange(live.size)
        row += live.size
        lo_l, hi_l = lo[live], hi[live]
        has_lo, has_hi = lo_l >= 0, hi_l >= 0
        ones = np.ones(live.size, dtype=object)
        trip["A"].append((rows, np.full(live.size, point[m - 1 - lvl]), ones))
        trip["B"].append((rows[has_hi], hi_l[has_hi], ones[has_hi]))
        trip["B"].append((rows[has_lo], lo_l[has_lo], -ones[has_lo]))
        trip["C"].append((rows, out[live], ones))
        trip["C"].append((rows[has_lo], lo_l[has_lo], -ones[has_lo]))
        levels.append((lo, hi, out, m - 1 - lvl))
        cur = out
    return levels, trip, int(cur[0]), next_wire, output(int(cur[0]), row)


def with_evaluations(r1cs: R1CS, tables: list[np.ndarray]) -> EvalCircuit:
    """Extend `r1cs` with one in-circuit MLE evaluation per table of (old) private wires."""
    n_pub = r1cs.num_public
    num_vars = []
    for t in tables:
        if t.size & (t.size - 1) or not t.size or t.reshape(-1)[0] < 0:
            raise ValueError("a committed table must have a power-of-two length and element 0")
        num_vars.append(t.size.bit_length() - 1)
    shift = sum(m + 1 for m in num_vars)

    def remap(w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=np.int64)
        return np.where(w > n_pub, w + shift, w)

    new_tables = [np.where(t.reshape(-1) >= 0, remap(t.reshape(-1)), -1) for t in tables]
    for t in new_tables:
        if np.any((t >= 0) & (t <= n_pub + shift)):
            raise ValueError("committed tables must consist of private wires")
    masks = r1cs.num_wires + shift + np.arange(len(tables), dtype=np.int64)
    next_wire = r1cs.num_wires + shift + len(tables)
    row = r1cs.num_constraints
    old = {"A": r1cs.A, "B": r1cs.B, "C": r1cs.C}
    mats = {k: [(m.rows, remap(m.cols), m.coefs)] for k, m in old.items()}
    plans = []
    pub = n_pub + 1
    for t, m, mask in zip(new_tables, num_vars, masks, strict=True):
        point = np.arange(pub, pub + m, dtype=np.int64)
        value = pub + m
        pub += m + 1
        levels, trip, v_wire, next_wire, row = _levels(t, point, value, int(mask), next_wire, row)
        for k in "ABC":
            mats[k] += trip[k]
        plans.append((levels, v_wire))
    built = {
        k: Sparse.build(
            np.concatenate([np.asarray(x[0], np.int64) for x in v]),
            np.concatenate([np.asarray(x[1], np.int64) for x in v]),
            np.concatenate([np.asarray(x[2], dtype=object) for x in v]),
        )
        for k, v in mats.items()
    }
    out = R1CS(next_wire, n_pub + shift, row, built["A"], built["B"], built["C"])
    table_wires = [t[t >= 0] for t in new_tables]
    committed = np.unique(np.concatenate([masks, *table_wires]))
    if committed.size != masks.size + sum(w.size for w in table_wires):
        raise ValueError("committed tables share wires")

    def place(old_w, mask_values: list[int]) -> np.ndarray:
        """The old wires at their new places and the mask wires; points, values and folds
        still zero (the committed wires are all in place: D is computed from this)."""
        if len(mask_values) != len(tables):
            raise ValueError(f"{len(mask_values)} masks for {len(tables)} tables")
        old_w = np.asarray(old_w, dtype=object)
        w = np.zeros(out.num_wires, dtype=object)
        w[: n_pub + 1] = old_w[: n_pub + 1]
        w[n_pub + 1 + shift : r1cs.num_wires + shift] = old_w[n_pub + 1 :]
        w[masks] = np.asarray([int(x) % R for x in mask_values], dtype=object)
        return w

    def extend(old_w, points: list[list[int]], mask_values: list[int]):
        w = place(old_w, mask_values)
        values = []
        base = n_pub + 1
        for (levels, v_wire), pt, m, mask in zip(plans, points, num_vars, masks, strict=True):
            if len(pt) != m:
                raise ValueError(f"a point of {len(pt)} coordinates for {m} variables")
            w[base : base + m] = np.asarray([int(x) % R for x in pt], dtype=object)
            for lo, hi, o, var in levels:
                r = int(pt[var]) % R
                live = np.flatnonzero(o >= 0)
                lo_v = np.where(lo[live] >= 0, w[np.maximum(lo[live], 0)], 0)
                hi_v = np.where(hi[live] >= 0, w[np.maximum(hi[live], 0)], 0)
                w[o[live]] = (lo_v + r * (hi_v - lo_v)) % R
            w[base + m] = (w[v_wire] + w[mask]) % R
            values.append(int(w[base + m]))
            base += m + 1
        return w, values

    return EvalCircuit(out, committed, remap, place, extend, num_vars)
