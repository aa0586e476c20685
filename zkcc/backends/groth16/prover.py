"""Groth16 prover. With fresh blinding r, s drawn per proof from `secrets`:

    A = alpha + sum_j w_j u_j(tau) + r delta                    (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                    (G2, and in G1 for C)
    C = sum_{j private} w_j l_j + sum_i h_i tau^i Z(tau)/delta + s A + r B_g1 - r s delta   (G1)

Five MSMs (A, B in G1, B in G2, L, H), each Pippenger (msm.py); h from qap.h_coefficients.
On a multi-core machine the B MSMs run in a forked worker process beside the rest (workers.py).
With committed wires (setup.py) the L-sum runs over the other private wires only, and `commit`
gives the commitment D = sum_j w_j k_query[j] + o k_blind and its proof of knowledge
PoK = sigma D, for a fresh o that `prove` takes back out of C (o c_blind; setup.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16 import qap
from zkcc.backends.groth16.curve import G1, G2, R, g1_add, g1_mul, g1_neg, g2_add, g2_mul
from zkcc.backends.groth16.msm import msm
from zkcc.backends.groth16.r1cs import R1CS
from zkcc.backends.groth16.setup import ProvingKey
from zkcc.backends.groth16.workers import Forked, Inline, default_workers
from zkcc.errors import WitnessError

_FORK_MIN_WIRES = 2048  # below this a fork (a few ms) is not worth it


@dataclass(frozen=True)
class Proof:
    a: tuple  # G1
    b: tuple  # G2
    c: tuple  # G1


@dataclass(frozen=True)
class Commitment:
    d: tuple  # G1: the committed wires against k_query
    pok: tuple  # G1: the same against k_sigma_query


def commit(pk: ProvingKey, witness, rng=secrets) -> tuple[Commitment, int]:
    """D and its proof of knowledge from the committed wires of `witness`, blinded by a fresh
    o (setup.py): returns (the commitment, o), o to be passed to `prove`. Only the committed
    wires are read, so D can be computed (and hashed into a transcript) before the rest of
    the witness."""
    if pk.k_query is None:
        raise ValueError("this proving key commits to no wires")
    w = np.asarray([int(witness[j]) % R for j in pk.committed], dtype=object)
    o = rng.randbelow(R)
    d = g1_add(msm(G1, pk.k_query, w), g1_mul(pk.k_blind, o))
    pok = g1_add(msm(G1, pk.k_sigma_query, w), g1_mul(pk.k_sigma_blind, o))
    return Commitment(d, pok), o


def prove(
    pk: ProvingKey,
    r1cs: R1CS,
    witness,
    rng=secrets,
    check: bool = True,
    workers: int | None = None,
    blind: int = 0,
) -> Proof:
    """A proof that `witness` (all wires, wire 0 = 1) satisfies `r1cs`; `blind`: the o that
    `commit` returned for this witness's commitment (keys with committed wires). With `check`, an
    unsatisfied constraint raises WitnessError instead of producing a proof that will fail.
    `workers` (default `workers.default_workers()`, 2 on a multi-core POSIX machine): with 2, a
    forked child computes the G2 MSM and the G1 B MSM while this process computes h and the
    A, L and H MSMs (the two halves take about the same time)."""
    w = np.asarray([int(x) % R for x in witness], dtype=object)
    if w.shape != (pk.num_wires,) or r1cs.num_wires != pk.num_wires:
        raise ValueError(f"witness has {w.size} wires, the key expects {pk.num_wires}")
    if check:
        bad = r1cs.first_unsatisfied(w)
        if bad is not None or w[0] != 1:
            raise WitnessError(f"groth16: constraint {bad} is not satisfied by the witness")
    r, s = 1 + rng.randbelow(R - 1), 1 + rng.randbelow(R - 1)
    pub = pk.num_public + 1
    n_workers = default_workers() if workers is None else workers
    run = Forked if n_workers > 1 and pk.num_wires >= _FORK_MIN_WIRES else Inline
    other = run(lambda: (msm(G2, pk.b_g2_query, w), msm(G1, pk.b_g1_query, w)))
    try:
        h = qap.h_coefficients(r1cs, w)
        a = g1_add(pk.alpha_g1, msm(G1, pk.a_query, w))
        a = g1_add(a, g1_mul(pk.delta_g1, r))
        priv = w[pub:] if pk.k_query is None else w[pk.private_index]
        c = g1_add(msm(G1, pk.l_query, priv), msm(G1, pk.h_query, h))
        b2_sum, b1_sum = other.result()
    finally:
        other.close()
    b2 = g2_add(pk.beta_g2, b2_sum)
    b2 = g2_add(b2, g2_mul(pk.delta_g2, s))
    b1 = g1_add(pk.beta_g1, b1_sum)
    b1 = g1_add(b1, g1_mul(pk.delta_g1, s))
    c = g1_add(c, g1_mul(a, s))
    c = g1_add(c, g1_mul(b1, r))
    c = g1_add(c, g1_neg(g1_mul(pk.delta_g1, r * s % R)))
    if pk.has_commitment:
        c = g1_add(c, g1_neg(g1_mul(pk.c_blind, blind)))
    return Proof(a, b2, c)
