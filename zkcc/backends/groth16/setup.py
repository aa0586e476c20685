"""Groth16 circuit-specific setup (the paper's notation; Groth 2016, section 3.2).

Toxic waste tau, alpha, beta, gamma, delta is drawn from `secrets` and lives only in this
function's locals. With u_j, v_j, w_j the QAP polynomials (qap.py) and Z(x) = x^n - 1:

    pk: alpha_g1, beta_g1, beta_g2, delta_g1, delta_g2,
        a_query[j]    = u_j(tau) G1                          all wires
        b_g1_query[j] = v_j(tau) G1,  b_g2_query[j] = v_j(tau) G2
        h_query[i]    = tau^i Z(tau) / delta G1              i < n - 1
        l_query[j]    = (beta u_j + alpha v_j + w_j)(tau) / delta G1   private wires
    vk: alpha_g1, beta_g2, gamma_g2, delta_g2,
        ic[j]         = (beta u_j + alpha v_j + w_j)(tau) / gamma G1   wire 0 and public wires

All G1 scalars go through one fixed-base batch multiplication (msm.fixed_base_mul), G2 through
another. `ptau.setup_from_ptau` builds the same keys from a powers-of-tau file instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16 import qap
from zkcc.backends.groth16.curve import G1, G1_GEN, G2, G2_GEN, R
from zkcc.backends.groth16.msm import fixed_base_mul
from zkcc.backends.groth16.r1cs import R1CS

Batch = tuple  # (list of coordinate object arrays, infinity mask); see curve.py


@dataclass
class VerifyingKey:
    alpha_g1: tuple
    beta_g2: tuple
    gamma_g2: tuple
    delta_g2: tuple
    ic: list  # G1 points, one per public wire including the constant wire 0

    @property
    def num_public(self) -> int:
        return len(self.ic) - 1


@dataclass
class ProvingKey:
    num_public: int
    num_wires: int
    domain: int
    alpha_g1: tuple
    beta_g1: tuple
    beta_g2: tuple
    delta_g1: tuple
    delta_g2: tuple
    a_query: Batch
    b_g1_query: Batch
    b_g2_query: Batch
    h_query: Batch
    l_query: Batch


def _nonzero(rng) -> int:
    return 1 + rng.randbelow(R - 1)


def _slice(batch: Batch, a: int, b: int) -> Batch:
    coords, inf = batch
    return [c[a:b] for c in coords], inf[a:b]


def setup(r1cs: R1CS, rng=secrets) -> tuple[ProvingKey, VerifyingKey]:
    """Fresh keys for `r1cs`; `rng` needs `randbelow` (tests may pass a seeded stand-in)."""
    r1cs.validate()
    n = qap.domain_size(r1cs)
    while True:
        tau = _nonzero(rng)
        if pow(tau, n, R) != 1:  # tau must lie outside the domain
            break
    alpha, beta, gamma, delta = (_nonzero(rng) for _ in range(4))
    u, v, w, z = qap.evaluate_at(r1cs, tau)
    pub = r1cs.num_public + 1
    lin = (beta * u + alpha * v + w) % R
    g_inv, d_inv = pow(gamma, -1, R), pow(delta, -1, R)
    h_scal = [z * d_inv % R]
    for _ in range(n - 2):
        h_scal.append(h_scal[-1] * tau % R)
    nw = r1cs.num_wires
    g1_scalars = np.concatenate(
        [
            u,
            v,
            np.asarray(h_scal[: n - 1], dtype=object),
            lin[pub:] * d_inv % R,
            lin[:pub] * g_inv % R,
            np.asarray([alpha, beta, delta], dtype=object),
        ]
    )
    g1 = fixed_base_mul(G1, G1_GEN, g1_scalars)
    g2 = fixed_base_mul(G2, G2_GEN, np.concatenate([v, np.asarray([beta, gamma, delta], object)]))
    offs = np.cumsum([0, nw, nw, n - 1, nw - pub, pub, 3])
    parts = [_slice(g1, int(offs[i]), int(offs[i + 1])) for i in range(6)]
    tail = G1.from_batch(parts[5])
    g2_tail = G2.from_batch(_slice(g2, nw, nw + 3))
    pk = ProvingKey(
        num_public=r1cs.num_public,
        num_wires=nw,
        domain=n,
        alpha_g1=tail[0],
        beta_g1=tail[1],
        beta_g2=g2_tail[0],
        delta_g1=tail[2],
        delta_g2=g2_tail[2],
        a_query=parts[0],
        b_g1_query=parts[1],
        b_g2_query=_slice(g2, 0, nw),
        h_query=parts[2],
        l_query=parts[3],
    )
    vk = VerifyingKey(tail[0], g2_tail[0], g2_tail[1], g2_tail[2], G1.from_batch(parts[4]))
    return pk, vk
