"""R1CS -> QAP over the radix-2 domain H = {w^i : i < n}.

Rows 0..m-1 of the QAP are the R1CS constraints; rows m..m+l (l = num_public) add the
constraints w_i * 0 = 0 with A[m + i, i] = 1 for every public wire i (the constant included), as
snarkjs and arkworks do, so the public wires' polynomials are linearly independent. n is the
smallest power of two >= m + l + 1.

For wire j: u_j(x) = sum_i A[i, j] L_i(x) (L_i the Lagrange basis of H), v_j from B, w_j from C.
A witness satisfies the R1CS iff Z(x) = x^n - 1 divides
    p(x) = (sum_j w_j u_j(x)) (sum_j w_j v_j(x)) - sum_j w_j w_j(x),
and the prover computes h = p / Z on the coset g H, where Z is the constant g^n - 1.
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.groth16 import ntt
from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.fastint import batch_inverse, mpz
from zkcc.backends.groth16.r1cs import R1CS, Sparse

RM = mpz(R)


def domain_size(r1cs: R1CS) -> int:
    rows = r1cs.num_constraints + r1cs.num_public + 1
    return 1 << max(1, (rows - 1).bit_length())


def _with_input_rows(r1cs: R1CS) -> Sparse:
    """A plus the rows A[m + i, i] = 1 for the public wires."""
    extra = np.arange(r1cs.num_public + 1, dtype=np.int64)
    return Sparse(
        np.concatenate([r1cs.A.rows, r1cs.num_constraints + extra]),
        np.concatenate([r1cs.A.cols, extra]),
        np.concatenate([r1cs.A.coefs, np.ones(extra.size, dtype=object)]),
    )


def lagrange_at(n: int, tau: int) -> np.ndarray:
    """L_i(tau) = (tau^n - 1) / n * w^i / (tau - w^i) for i < n (tau not in H)."""
    wi = ntt.powers(ntt.root_of_unity(n), n)
    inv = batch_inverse([(mpz(tau) - x) % RM for x in wi], RM)
    z = (pow(tau, n, R) - 1) * pow(n, -1, R) % R
    return wi * np.fromiter(inv, dtype=object, count=n) % RM * mpz(z) % RM


def _column_sums(m: Sparse, vals: np.ndarray, num_wires: int) -> np.ndarray:
    """sum_i M[i, j] vals[i] for every column j."""
    out = np.zeros(num_wires, dtype=object)
    if m.nnz:
        order = np.argsort(m.cols, kind="stable")
        cols = m.cols[order]
        prod = m.coefs[order] * vals[m.rows[order]]
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
        out[cols[starts]] = np.add.reduceat(prod, starts) % RM
    return out


def evaluate_at(r1cs: R1CS, tau: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(u_j(tau), v_j(tau), w_j(tau)) for all wires, and Z(tau) = tau^n - 1."""
    n = domain_size(r1cs)
    lag = lagrange_at(n, tau)
    u = _column_sums(_with_input_rows(r1cs), lag, r1cs.num_wires)
    v = _column_sums(r1cs.B, lag, r1cs.num_wires)
    w = _column_sums(r1cs.C, lag, r1cs.num_wires)
    return u, v, w, (pow(tau, n, R) - 1) % R


def h_coefficients(r1cs: R1CS, witness: np.ndarray) -> np.ndarray:
    """The n - 1 coefficients of h = (a b - c) / Z for a satisfying witness."""
    n = domain_size(r1cs)
    w = np.fromiter((mpz(int(x)) for x in witness), dtype=object, count=len(witness))
    evals = []
    for m in (_with_input_rows(r1cs), r1cs.B, r1cs.C):
        e = np.zeros(n, dtype=object)
        e[:] = mpz(0)
        e[: r1cs.num_constraints + r1cs.num_public + 1] = m.dot(
            w, r1cs.num_constraints + r1cs.num_public + 1
        )
        evals.append(ntt.coset_ntt(ntt.intt(e)))
    a, b, c = evals
    z_inv = mpz(pow(pow(ntt.GENERATOR, n, R) - 1, -1, R))
    h = ntt.coset_intt((a * b - c) % RM * z_inv % RM)
    return h[: n - 1]
