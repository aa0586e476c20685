"""Groth16 verifier: accept iff

    e(A, B) = e(alpha, beta) e(IC, gamma) e(C, delta),   IC = ic_0 + sum_i x_i ic_i,

checked as one product e(-A, B) e(IC, gamma) e(C, delta) * f_alpha_beta followed by a single
final exponentiation compared with 1 (pairing.py). As arkworks' PreparedVerifyingKey does, the
Miller-loop value f_alpha_beta of e(alpha, beta) and the line coefficients of gamma and delta
are computed once per key (`prepare`, kept on the key object with the points they came from),
so a verification runs three Miller loops (sharing their squarings) and one final
exponentiation.

With a commitment (commit-and-prove, setup.py), IC also gets D added, and the knowledge check
e(D, -sigma G2) e(PoK, G2) = 1 joins the same product with a fresh random weight rho (its two
G1 points multiplied by rho), so one final exponentiation still decides both equations; a
proof failing either passes with probability 1/r at most.

Malformed input raises FormatError (a point off the curve or outside the prime-order subgroup,
a coordinate >= q, a public value >= r, the wrong number of public values); a well-formed proof
that fails the pairing check returns False.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from zkcc.backends.groth16 import pairing
from zkcc.backends.groth16.curve import G1, R, g1_mul, on_curve_g1, on_curve_g2
from zkcc.backends.groth16.msm import msm
from zkcc.backends.groth16.prover import Commitment, Proof
from zkcc.backends.groth16.setup import VerifyingKey
from zkcc.errors import FormatError


def check_g1(p, what: str) -> None:
    if p is not None and not (isinstance(p, tuple) and len(p) == 2 and on_curve_g1(p)):
        raise FormatError(f"groth16: {what} is not a point on G1")


def check_g2(p, what: str) -> None:
    if p is not None and not (isinstance(p, tuple) and len(p) == 2 and on_curve_g2(p)):
        raise FormatError(f"groth16: {what} is not a point on the G2 twist")
    if not pairing.in_subgroup_g2(p):
        raise FormatError(f"groth16: {what} is not in the prime-order subgroup of G2")


def check_vk(vk: VerifyingKey) -> None:
    """Curve and subgroup checks of a verifying key (cached by the key's points)."""
    _check_vk_cached(_vk_points(vk))


@lru_cache(maxsize=64)
def _check_vk_cached(key: tuple) -> None:
    vk = VerifyingKey(*key[:4], list(key[4]), *key[5:])
    check_g1(vk.alpha_g1, "vk.alpha_g1")
    for name in ("beta_g2", "gamma_g2", "delta_g2", "commit_g2", "commit_g2_sigma_neg"):
        check_g2(getattr(vk, name), f"vk.{name}")
    for i, p in enumerate(vk.ic):
        check_g1(p, f"vk.ic[{i}]")


def _vk_points(vk: VerifyingKey) -> tuple:
    return (
        vk.alpha_g1,
        vk.beta_g2,
        vk.gamma_g2,
        vk.delta_g2,
        tuple(vk.ic),
        vk.commit_g2,
        vk.commit_g2_sigma_neg,
    )


@dataclass(frozen=True)
class PreparedVerifyingKey:
    """What verification needs of a key beyond its points: f_alpha_beta (the Miller-loop value of
    e(alpha, beta), before the final exponentiation) and the prepared G2 points."""

    alpha_beta: list
    gamma: list | None
    delta: list | None
    commit: list | None
    commit_sigma_neg: list | None


def prepare(vk: VerifyingKey) -> PreparedVerifyingKey:
    """The key's prepared form, cached on the key object together with the points it was
    computed from (recomputed if they change)."""
    points = _vk_points(vk)
    cached = vk.__dict__.get("_prepared")
    if cached is not None and cached[0] == points:
        return cached[1]
    prep = PreparedVerifyingKey(
        pairing.multi_miller([(vk.alpha_g1, pairing.prepare_g2(vk.beta_g2))]),
        pairing.prepare_g2(vk.gamma_g2),
        pairing.prepare_g2(vk.delta_g2),
        pairing.prepare_g2(vk.commit_g2),
        pairing.prepare_g2(vk.commit_g2_sigma_neg),
    )
    vk.__dict__["_prepared"] = (points, prep)
    return prep


def verify(
    vk: VerifyingKey,
    public_inputs: list[int],
    proof: Proof,
    check_key=True,
    commitment: Commitment | None = None,
    rng=secrets,
) -> bool:
    if vk.has_commitment != (commitment is not None):
        raise FormatError(
            "groth16: the key expects a commitment (D, PoK) with the proof"
            if vk.has_commitment
            else "groth16: the key has no commitment, but the proof carries one"
        )
    if len(public_inputs) != vk.num_public:
        raise FormatError(
            f"groth16: {len(public_inputs)} public values, the key expects {vk.num_public}"
        )
    for i, x in enumerate(public_inputs):
        if not isinstance(x, int) or not 0 <= x < R:
            raise FormatError(f"groth16: public value {i} is not a field element in [0, r)")
    if check_key:
        check_vk(vk)
    check_g1(proof.a, "proof.A")
    check_g2(proof.b, "proof.B")
    check_g1(proof.c, "proof.C")
    ic = G1.add_one(vk.ic[0], msm(G1, G1.to_batch(vk.ic[1:]), public_inputs))
    if commitment is not None:
        check_g1(commitment.d, "proof.D")
        check_g1(commitment.pok, "proof.PoK")
        ic = G1.add_one(ic, commitment.d)
    prep = prepare(vk)
    neg_a = None if proof.a is None else (proof.a[0], -proof.a[1] % pairing.q)
    pairs = [(neg_a, pairing.prepare_g2(proof.b)), (ic, prep.gamma), (proof.c, prep.delta)]
    if commitment is not None:
        rho = 1 + rng.randbelow(R - 1)
        pairs.append((g1_mul(commitment.d, rho), prep.commit_sigma_neg))
        pairs.append((g1_mul(commitment.pok, rho), prep.commit))
    f = pairing.f12mul(pairing.multi_miller(pairs), prep.alpha_beta)
    return pairing.final_exponentiate(f) == pairing.ONE
