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

Commit-and-prove (BSB22 / LegoSNARK style; docs/groth16.md): the `committed` private wires leave
the L-query and get their own basis, with sigma a further secret,

    pk: k_query[j]       = (beta u_j + alpha v_j + w_j)(tau) / gamma G1   committed wires j
        k_sigma_query[j] = sigma k_query[j]
    vk: commit_g2 = G2,  commit_g2_sigma_neg = -sigma G2

The prover sends D = sum_j w_j k_query[j] + o k_blind and PoK = sum_j w_j k_sigma_query[j]
+ o k_sigma_blind for a fresh random o, and subtracts o c_blind from C; the verifier adds D to
IC and checks e(D, -sigma G2) e(PoK, G2) = 1. With
    pk: k_blind = nu / gamma G1,  k_sigma_blind = sigma k_blind,  c_blind = nu / delta G1
for one more secret nu, e(o nu/gamma G1, gamma G2) and e(-o nu/delta G1, delta G2) cancel in
the pairing equation, and D is uniform in G1 whatever the wires (perfectly hiding: the fix
LegoSNARK's LegoGroth16 uses and gnark adopted for CVE-2024-45040).

All G1 scalars go through one fixed-base batch multiplication (msm.fixed_base_mul), G2 through
another. `ptau.setup_from_ptau` builds the same keys from a powers-of-tau file instead.

Keys from this function have no provenance: whoever ran it could have kept tau, alpha, beta,
delta (knowing delta alone suffices to forge a proof of any statement), and nothing in the key
shows otherwise, so their `contributions` is None. Keys from a ptau file carry a phase-2
contribution chain that anyone can check (phase2.py, `zkcc setup verify`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

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
    commit_g2: tuple | None = None  # G2; with the next: the commitment's knowledge check
    commit_g2_sigma_neg: tuple | None = None  # -sigma G2
    # phase-2 contribution records (phase2.py) of a key made from a powers-of-tau file; None
    # for keys from fresh toxic waste, which have no checkable provenance
    contributions: list | None = None

    @property
    def has_commitment(self) -> bool:
        return self.commit_g2 is not None

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
    l_query: Batch  # private wires that are not committed, in increasing order
    committed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    k_query: Batch | None = None
    k_sigma_query: Batch | None = None
    # the commitment's blinding basis (LegoGroth16's eta term): nu/gamma G1, sigma nu/gamma G1
    # and nu/delta G1 for a further setup secret nu; see `commit`
    k_blind: tuple | None = None
    k_sigma_blind: tuple | None = None
    c_blind: tuple | None = None
    # The verifying key's own points, so that a proving key file alone yields its verifying key
    # (`verifying_key`): a phase-2 contribution (phase2.py) needs only the proving key, and
    # `zkcc setup verify` checks the whole key from one file, as snarkjs' .zkey does.
    gamma_g2: tuple | None = None
    ic: list | None = None
    commit_g2_sigma_neg: tuple | None = None
    contributions: list | None = None  # as VerifyingKey.contributions

    @property
    def has_commitment(self) -> bool:
        return self.k_query is not None

    def verifying_key(self) -> VerifyingKey:
        """The verifying key of this proving key (same delta, same contribution chain)."""
        if self.gamma_g2 is None or self.ic is None:
            raise ValueError("this proving key does not carry its verifying key's points")
        vk = VerifyingKey(self.alpha_g1, self.beta_g2, self.gamma_g2, self.delta_g2, list(self.ic))
        if self.has_commitment:
            vk.commit_g2, vk.commit_g2_sigma_neg = G2_GEN, self.commit_g2_sigma_neg
        vk.contributions = None if self.contributions is None else list(self.contributions)
        return vk

    @property
    def private_index(self) -> np.ndarray:
        """The private wires the L-query covers: all wires after the public ones except the
        committed ones."""
        return private_index(self.num_wires, self.num_public, self.committed)


def private_index(num_wires: int, num_public: int, committed) -> np.ndarray:
    return np.setdiff1d(np.arange(num_public + 1, num_wires, dtype=np.int64), committed)


def check_committed(r1cs: R1CS, committed) -> np.ndarray:
    """Committed wires: distinct private wires, returned sorted as int64."""
    c = np.unique(np.asarray(committed, dtype=np.int64).reshape(-1))
    if c.size != np.asarray(committed).size or (
        c.size and (c[0] <= r1cs.num_public or c[-1] >= r1cs.num_wires)
    ):
        raise ValueError("committed wires must be distinct private wires")
    return c


def _nonzero(rng) -> int:
    return 1 + rng.randbelow(R - 1)


def _slice(batch: Batch, a: int, b: int) -> Batch:
    coords, inf = batch
    return [c[a:b] for c in coords], inf[a:b]


def setup(r1cs: R1CS, rng=secrets, committed=()) -> tuple[ProvingKey, VerifyingKey]:
    """Fresh keys for `r1cs`; `rng` needs `randbelow` (tests may pass a seeded stand-in).
    `committed`: private wires to commit to in the proof (commit-and-prove), none by default."""
    r1cs.validate()
    com = check_committed(r1cs, committed)
    n = qap.domain_size(r1cs)
    while True:
        tau = _nonzero(rng)
        if pow(tau, n, R) != 1:  # tau must lie outside the domain
            break
    alpha, beta, gamma, delta, sigma, nu = (_nonzero(rng) for _ in range(6))
    u, v, w, z = qap.evaluate_at(r1cs, tau)
    pub = r1cs.num_public + 1
    lin = (beta * u + alpha * v + w) % R
    g_inv, d_inv = pow(gamma, -1, R), pow(delta, -1, R)
    h_scal = [z * d_inv % R]
    for _ in range(n - 2):
        h_scal.append(h_scal[-1] * tau % R)
    nw = r1cs.num_wires
    priv = private_index(nw, r1cs.num_public, com)
    k_scal = lin[com] * g_inv % R
    g1_scalars = np.concatenate(
        [
            u,
            v,
            np.asarray(h_scal[: n - 1], dtype=object),
            lin[priv] * d_inv % R,
            lin[:pub] * g_inv % R,
            k_scal,
            k_scal * sigma % R,
            np.asarray([alpha, beta, delta], dtype=object),
        ]
    )
    g1 = fixed_base_mul(G1, G1_GEN, g1_scalars)
    g2_scal = np.asarray([beta, gamma, delta, R - sigma], object)
    g2 = fixed_base_mul(G2, G2_GEN, np.concatenate([v, g2_scal]))
    offs = np.cumsum([0, nw, nw, n - 1, priv.size, pub, com.size, com.size, 3])
    parts = [_slice(g1, int(offs[i]), int(offs[i + 1])) for i in range(8)]
    tail = G1.from_batch(parts[7])
    g2_tail = G2.from_batch(_slice(g2, nw, nw + 4))
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
        committed=com,
        k_query=parts[5] if com.size else None,
        k_sigma_query=parts[6] if com.size else None,
    )
    pk.gamma_g2, pk.ic = g2_tail[1], G1.from_batch(parts[4])
    if com.size:
        pk.commit_g2_sigma_neg = g2_tail[3]
        set_blinding(pk, nu, g_inv, sigma, d_inv)
    return pk, pk.verifying_key()


def set_blinding(pk: ProvingKey, nu: int, g_inv: int, sigma: int, d_inv: int) -> None:
    """The commitment's blinding basis: nu/gamma, sigma nu/gamma and nu/delta times G1."""
    scal = np.asarray([nu * g_inv % R, nu * g_inv * sigma % R, nu * d_inv % R], dtype=object)
    pk.k_blind, pk.k_sigma_blind, pk.c_blind = G1.from_batch(fixed_base_mul(G1, G1_GEN, scal))
