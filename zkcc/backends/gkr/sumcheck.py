"""Linear-time sumcheck for sum_{b in {0,1}^m} f(b) g(b), f and g multilinear tables.

Variable order: round j binds the TOP remaining variable (index bit m-1-j), so each table splits
into contiguous halves lo = t[:h], hi = t[h:] and folds to lo + r (hi - lo). The returned point
is reordered to the mle convention (point[i] binds index bit i), i.e. the reverse of the order
the challenges were drawn.

Round message: h(0), h(1), h(2) of the degree-2 round polynomial h(t) = sum_b f(t,b) g(t,b).
Three evaluations fix a polynomial of degree <= 2, so the degree bound holds by the encoding.
The prover computes only h(0) = sum lo_f lo_g and the leading coefficient q = sum d_f d_g
(d = hi - lo); h(1) = claim - h(0) and h(2) = 2 h(1) - h(0) + 2 q follow. The verifier checks
h(0) + h(1) == claim each round, draws r, sets claim = h(r), and returns (point, claim) for the
caller's final check f~(point) g~(point) == claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field import PrimeField
from zkcc.field.base import Array
from zkcc.field.ext import ExtField
from zkcc.transcript import Transcript

xp = np


@dataclass(frozen=True, eq=False)
class SumcheckProof:
    """Round messages: rounds[j] is a (d, 3) extension array of h_j(0), h_j(1), h_j(2)."""

    E: ExtField = field(repr=False)
    rounds: tuple[Array, ...]

    def to_tree(self) -> Tree:
        return [self.E.encode(r) for r in self.rounds]

    @classmethod
    def from_tree(cls, schema: Schema, F: PrimeField, num_rounds: int) -> SumcheckProof:
        """Parse exactly `num_rounds` messages of three encoded extension elements each."""
        E = F.ext
        items = schema.list(num_rounds, num_rounds)
        return cls(E, tuple(E.decode(s.bytes(length=3 * E.byte_len), 3) for s in items))


@dataclass(frozen=True, eq=False)
class SumcheckResult:
    """What the prover ends with: the proof, the point (mle order), f~(point), g~(point)."""

    proof: SumcheckProof
    point: list[Array]
    f_eval: Array
    g_eval: Array
    claim: Array


def interpolate(E: ExtField, evals: Array, r: Array) -> Array:
    """h(r) for the degree-2 h given by h(0), h(1), h(2) (Lagrange on {0, 1, 2})."""
    one, two = E.one(), E.scalar(2)
    inv2 = E.scalar((E.base.p + 1) // 2)
    r1, r2 = E.sub(r, one), E.sub(r, two)
    l0 = E.mul(E.mul(r1, r2), inv2)
    l1 = E.neg(E.mul(r, r2))
    l2 = E.mul(E.mul(r, r1), inv2)
    acc = E.mul(evals[:, 0], l0)
    acc = E.add(acc, E.mul(evals[:, 1], l1))
    return E.add(acc, E.mul(evals[:, 2], l2))


def _round_sums(E: ExtField, f: Array, g: Array) -> tuple[Array, Array]:
    """(sum lo_f lo_g, sum d_f d_g); leaves d = hi - lo in the hi halves of f and g."""
    if E.degree == 3:
        from zkcc.field.m31_kernels import round_diff

        return round_diff(f, g)
    F = E.base
    h = f.shape[-1] // 2
    for t in (f, g):
        t[..., h:] = F.sub(t[..., h:], t[..., :h])
    return E.dot(f[..., :h], g[..., :h]), E.dot(f[..., h:], g[..., h:])


def _fold(E: ExtField, t: Array, r: Array) -> Array:
    """lo + r d for a table laid out [lo | d]; always returns an extension table."""
    if E.degree == 3:
        from zkcc.field.m31_kernels import fold

        return fold(t, r)
    h = t.shape[-1] // 2
    return E.fold(t[..., :h], t[..., h:], r)


def _as_ext(E: ExtField, t: Array) -> Array:
    return t if t.ndim == 2 else E.from_base(t)


class SumcheckProver:
    """Prover view: owns the tables, sends round messages, folds."""

    def __init__(self, F: PrimeField, transcript: Transcript, label: str) -> None:
        self.F, self.E, self.transcript, self.label = F, F.ext, transcript, label

    def prove(self, f: Array, g: Array, claim: Array, donate: bool = False) -> SumcheckResult:
        """Prove sum f*g == claim. Tables are consumed when `donate`, else copied first."""
        E, tr = self.E, self.transcript
        if f.shape[-1] != g.shape[-1] or f.shape[-1] & (f.shape[-1] - 1):
            raise ValueError("tables must have the same power-of-two length")
        m = f.shape[-1].bit_length() - 1
        if not donate:
            f, g = f.copy(), g.copy()
        two = E.scalar(2)
        rounds, challenges = [], []
        for j in range(m):
            h0, q = _round_sums(E, f, g)
            h1 = E.sub(claim, h0)
            h2 = E.add(E.sub(E.mul(two, h1), h0), E.mul(two, q))
            msg = xp.stack([h0, h1, h2], axis=1)
            tr.absorb_field(f"{self.label}/round{j}", E, msg)
            r = tr.challenge_ext(f"{self.label}/r{j}", self.F)
            claim = interpolate(E, msg, r)
            f, g = _fold(E, f, r), _fold(E, g, r)
            rounds.append(msg)
            challenges.append(r)
        f_eval, g_eval = _as_ext(E, f)[:, 0].copy(), _as_ext(E, g)[:, 0].copy()
        proof = SumcheckProof(E, tuple(rounds))
        return SumcheckResult(proof, challenges[::-1], f_eval, g_eval, claim)


class SumcheckVerifier:
    """Verifier view: checks each round against the running claim, replays the challenges."""

    def __init__(self, F: PrimeField, transcript: Transcript, label: str) -> None:
        self.F, self.E, self.transcript, self.label = F, F.ext, transcript, label

    def verify(
        self, claim: Array, proof: SumcheckProof, num_rounds: int, where: str
    ) -> tuple[list[Array], Array]:
        """Returns (point in mle order, final claim); raises ProofRejected naming the round."""
        E, tr = self.E, self.transcript
        if len(proof.rounds) != num_rounds:
            raise ProofRejected(f"{where}: {len(proof.rounds)} rounds, expected {num_rounds}")
        challenges = []
        for j, msg in enumerate(proof.rounds):
            if msg.shape != (E.degree, 3):
                raise ProofRejected(f"{where} round {j}: malformed round message")
            if not E.equal(E.add(msg[:, 0], msg[:, 1]), claim):
                raise ProofRejected(f"{where} round {j}: h(0) + h(1) does not equal the claim")
            tr.absorb_field(f"{self.label}/round{j}", E, msg)
            r = tr.challenge_ext(f"{self.label}/r{j}", self.F)
            claim = interpolate(E, msg, r)
            challenges.append(r)
        return challenges[::-1], claim


def reference_sum(F: PrimeField, f: list[Any], g: list[Any]) -> int:
    """Slow twin for tests: sum f_i g_i over base-field Python ints."""
    return sum(a * b for a, b in zip(f, g, strict=True)) % F.p
