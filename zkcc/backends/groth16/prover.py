"""Groth16 prover. With fresh blinding r, s drawn per proof from `secrets`:

    A = alpha + sum_j w_j u_j(tau) + r delta                    (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                    (G2, and in G1 for C)
    C = sum_{j private} w_j l_j + sum_i h_i tau^i Z(tau)/delta + s A + r B_g1 - r s delta   (G1)

Five MSMs (A, B in G1, B in G2, L, H), each Pippenger (msm.py); h from qap.h_coefficients.
On a multi-core machine the B MSMs run in a forked worker process beside the rest (workers.py,
zkcc/forked.py).
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
from zkcc.backends.groth16.workers import default_workers
from zkcc.errors import WitnessError
from zkcc.forked import Inline, fork_or_inline

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


@dataclass(frozen=True)
class MsmSums:
    """The prover's MSM totals (None: the point at infinity). Each is linear in its terms, so
    the totals of disjoint shares of the terms add up to the whole (`add`): what MPI ranks
    each compute of their share (`prove` with `comm`)."""

    a: tuple | None  # sum_j w_j a_query[j]                       (G1)
    b2: tuple | None  # sum_j w_j b_g2_query[j]                    (G2)
    b1: tuple | None  # sum_j w_j b_g1_query[j]                    (G1)
    c: tuple | None  # sum_(j private) w_j l_j + sum_i h_i h_query[i]  (G1)

    def add(self, other: MsmSums) -> MsmSums:
        return MsmSums(
            g1_add(self.a, other.a),
            g2_add(self.b2, other.b2),
            g1_add(self.b1, other.b1),
            g1_add(self.c, other.c),
        )

    def to_bytes(self) -> bytes:
        """Sent between the ranks of one job: the points in the key files' encoding
        (keys.py), the point at infinity as zeros."""
        from zkcc.backends.groth16.keys import _enc_point  # keys -> verifier -> this module

        points = (self.a, self.b2, self.b1, self.c)
        return b"".join(_enc_point(g, p) for g, p in zip(_GROUPS, points, strict=True))

    @classmethod
    def from_bytes(cls, data: bytes) -> MsmSums:
        from zkcc.backends.groth16.keys import _dec_batch  # keys -> verifier -> this module

        points, at = [], 0
        for g in _GROUPS:
            n = 32 * g.ncoords
            points.append(g.from_batch(_dec_batch(g, data[at : at + n], "msm sums"))[0])
            at += n
        return cls(*points)


_GROUPS = (G1, G2, G1, G1)  # MsmSums' points, in order


def _run(bases, scalars, q: int, workers: int):
    """The q-th of `workers` even runs of an MSM's terms: its bases and scalars."""
    coords, inf = bases
    n = inf.size
    lo, hi = q * n // workers, (q + 1) * n // workers
    return ([c[lo:hi] for c in coords], inf[lo:hi]), scalars[lo:hi]


def msm_sums(pk: ProvingKey, w, h, share: tuple[int, int] = (0, 1), forked: bool = False):
    """The MSM totals over share q of n of every MSM's terms (`share` = (q, n)); `h`: the
    quotient's coefficients, or a function that computes them (called while a `forked` child
    computes the B MSMs, so that the two overlap)."""
    q, n = share
    pub = pk.num_public + 1
    priv = w[pub:] if pk.k_query is None else w[pk.private_index]

    def part(group, bases, scalars):
        return msm(group, *_run(bases, scalars, q, n))

    run = fork_or_inline if forked else Inline
    other = run(lambda: (part(G2, pk.b_g2_query, w), part(G1, pk.b_g1_query, w)))
    try:
        coeffs = h() if callable(h) else h
        a = part(G1, pk.a_query, w)
        c = g1_add(part(G1, pk.l_query, priv), part(G1, pk.h_query, coeffs))
        b2, b1 = other.result()
    finally:
        other.close()
    return MsmSums(a, b2, b1, c)


def _ints(data: bytes) -> np.ndarray:
    return np.asarray(
        [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)], dtype=object
    )


def _int_bytes(values) -> bytes:
    return b"".join(int(v).to_bytes(32, "little") for v in values)


def prove(
    pk: ProvingKey,
    r1cs: R1CS | None,
    witness,
    rng=secrets,
    check: bool = True,
    workers: int | None = None,
    blind: int = 0,
    comm=None,
) -> Proof | None:
    """A proof that `witness` (all wires, wire 0 = 1) satisfies `r1cs`; `blind`: the o that
    `commit` returned for this witness's commitment (keys with committed wires). With `check`, an
    unsatisfied constraint raises WitnessError instead of producing a proof that will fail.
    `workers` (default `workers.default_workers()`, 2 on a multi-core POSIX machine): with 2, a
    forked child computes the G2 MSM and the G1 B MSM while this process computes h and the
    A, L and H MSMs (the two halves take about the same time).

    `comm` (zkcc/runtime/comm.py's collectives; default one process): MPI ranks that share
    the MSMs. Every rank calls this with the proving key; rank 0 with the R1CS and the
    witness (the others pass None), from which it computes h and draws r, s. It sends the
    witness and h to the others, each rank computes its share of every MSM (`msm_sums`), and
    rank 0 adds the shares and returns the proof, the same as one process's (the others
    return None)."""
    root = comm is None or comm.rank == 0
    r = s = 0
    w = h = None
    if root:
        w = np.asarray([int(x) % R for x in witness], dtype=object)
        if w.shape != (pk.num_wires,) or r1cs.num_wires != pk.num_wires:
            raise ValueError(f"witness has {w.size} wires, the key expects {pk.num_wires}")
        if check:
            bad = r1cs.first_unsatisfied(w)
            if bad is not None or w[0] != 1:
                raise WitnessError(f"groth16: constraint {bad} is not satisfied by the witness")
        r, s = 1 + rng.randbelow(R - 1), 1 + rng.randbelow(R - 1)
    if comm is None or comm.size == 1:
        n_workers = default_workers() if workers is None else workers
        forked = n_workers > 1 and pk.num_wires >= _FORK_MIN_WIRES
        sums = msm_sums(pk, w, lambda: qap.h_coefficients(r1cs, w), forked=forked)
    else:
        if root:
            h = qap.h_coefficients(r1cs, w)
        shared = comm.bcast(_int_bytes(w) + _int_bytes(h) if root else None)
        w, h = _ints(shared[: 32 * pk.num_wires]), _ints(shared[32 * pk.num_wires :])
        mine = msm_sums(pk, w, h, (comm.rank, comm.size))
        parts = [MsmSums.from_bytes(x) for x in comm.allgather(mine.to_bytes())]
        if not root:
            return None
        sums = parts[0]
        for other in parts[1:]:
            sums = sums.add(other)
    return _finish(pk, sums, r, s, blind)


def _finish(pk: ProvingKey, sums: MsmSums, r: int, s: int, blind: int) -> Proof:
    """A, B, C from the MSM totals and the blinding r, s (and o: `blind`)."""
    a = g1_add(pk.alpha_g1, sums.a)
    a = g1_add(a, g1_mul(pk.delta_g1, r))
    b2 = g2_add(pk.beta_g2, sums.b2)
    b2 = g2_add(b2, g2_mul(pk.delta_g2, s))
    b1 = g1_add(pk.beta_g1, sums.b1)
    b1 = g1_add(b1, g1_mul(pk.delta_g1, s))
    c = g1_add(sums.c, g1_mul(a, s))
    c = g1_add(c, g1_mul(b1, r))
    c = g1_add(c, g1_neg(g1_mul(pk.delta_g1, r * s % R)))
    if pk.has_commitment:
        c = g1_add(c, g1_neg(g1_mul(pk.c_blind, blind)))
    return Proof(a, b2, c)
