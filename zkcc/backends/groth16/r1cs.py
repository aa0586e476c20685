"""Rank-1 constraint systems: A w ∘ B w = C w over the BN254 scalar field.

Wire 0 is the constant one, wires 1..num_public are the public inputs, the rest are private.
Each matrix is sparse in coordinate form (numpy row/column index arrays and an object array of
coefficients in [0, r)), kept sorted by row so that a matrix-vector product is one gather, one
multiply and one `np.add.reduceat`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16.curve import R


@dataclass
class Sparse:
    rows: np.ndarray  # int64, sorted
    cols: np.ndarray  # int64
    coefs: np.ndarray  # object, ints in [1, r)

    @staticmethod
    def build(rows, cols, coefs) -> Sparse:
        """Canonical form: sorted by (row, col), duplicates summed, zeros dropped."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        cols = np.asarray(cols, dtype=np.int64).reshape(-1)
        coefs = np.asarray(coefs, dtype=object).reshape(-1) % R
        if rows.size:
            order = np.lexsort((cols, rows))
            rows, cols, coefs = rows[order], cols[order], coefs[order]
            new = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
            starts = np.flatnonzero(new)
            coefs = np.add.reduceat(coefs, starts) % R
            rows, cols = rows[starts], cols[starts]
            keep = coefs != 0
            rows, cols, coefs = rows[keep], cols[keep], coefs[keep]
        return Sparse(rows, cols, np.asarray(coefs, dtype=object))

    @property
    def nnz(self) -> int:
        return int(self.rows.size)

    def dot(self, w: np.ndarray, num_rows: int) -> np.ndarray:
        """The vector M w (length num_rows), entries in [0, r)."""
        out = np.zeros(num_rows, dtype=object)
        if self.nnz:
            prod = self.coefs * w[self.cols]
            starts = np.flatnonzero(np.r_[True, self.rows[1:] != self.rows[:-1]])
            out[self.rows[starts]] = np.add.reduceat(prod, starts) % R
        return out


@dataclass
class R1CS:
    num_wires: int
    num_public: int  # public inputs, not counting the constant wire 0
    num_constraints: int
    A: Sparse
    B: Sparse
    C: Sparse

    def validate(self) -> None:
        """Structural checks (the R1CS 'spec'): index ranges and the wire layout."""
        if not 0 <= self.num_public < self.num_wires:
            raise ValueError(f"r1cs: {self.num_public} public wires of {self.num_wires}")
        for name, m in (("A", self.A), ("B", self.B), ("C", self.C)):
            if m.nnz and (m.rows.min() < 0 or m.rows.max() >= self.num_constraints):
                raise ValueError(f"r1cs: {name} has a row outside [0, {self.num_constraints})")
            if m.nnz and (m.cols.min() < 0 or m.cols.max() >= self.num_wires):
                raise ValueError(f"r1cs: {name} has a wire outside [0, {self.num_wires})")

    def residues(self, w) -> np.ndarray:
        """(A w) * (B w) - (C w) per constraint; all zero iff w satisfies the system."""
        w = np.asarray(w, dtype=object)
        m = self.num_constraints
        return (self.A.dot(w, m) * self.B.dot(w, m) - self.C.dot(w, m)) % R

    def is_satisfied(self, w) -> bool:
        w = np.asarray(w, dtype=object)
        if w.shape != (self.num_wires,) or int(w[0]) != 1:
            return False
        return not bool(np.any(self.residues(w) != 0))

    def first_unsatisfied(self, w) -> int | None:
        bad = np.flatnonzero(self.residues(w) != 0)
        return int(bad[0]) if bad.size else None


def random_r1cs(rng, num_constraints: int, num_public: int, num_private: int):
    """A random satisfiable R1CS and a witness: each constraint's C wire is a fresh product of
    random linear forms over earlier wires (for tests and benchmarks)."""
    n_in = 1 + num_public + 2  # one, public inputs, two free private wires
    num_wires = n_in + num_private
    w = [1] + [rng.randrange(R) for _ in range(n_in - 1)]
    rows, cols, coefs = {k: [] for k in "ABC"}, {k: [] for k in "ABC"}, {k: [] for k in "ABC"}
    for i in range(num_constraints):
        target = n_in + i if i < num_private else None
        avail = len(w)
        vals = {}
        for k in "AB":
            terms = {rng.randrange(avail): rng.randrange(1, R) for _ in range(rng.randrange(1, 4))}
            for j, c in terms.items():
                rows[k].append(i), cols[k].append(j), coefs[k].append(c)
            vals[k] = sum(c * w[j] for j, c in terms.items()) % R
        prod = vals["A"] * vals["B"] % R
        if target is not None:
            w.append(prod)
            rows["C"].append(i), cols["C"].append(target), coefs["C"].append(1)
        else:  # C = prod as a multiple of the constant wire
            rows["C"].append(i), cols["C"].append(0), coefs["C"].append(prod)
    mats = {k: Sparse.build(rows[k], cols[k], coefs[k]) for k in "ABC"}
    while len(w) < num_wires:
        w.append(rng.randrange(R))
    r1cs = R1CS(num_wires, num_public, num_constraints, mats["A"], mats["B"], mats["C"])
    return r1cs, np.asarray(w, dtype=object)
