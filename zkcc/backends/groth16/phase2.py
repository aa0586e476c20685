"""Phase 2 of a Groth16 setup on a powers-of-tau file: contributions, and checking a key.

Why: whoever knows delta can forge a proof of any statement (C = (AB - alpha beta - IC) / delta
is computable from the key's points once delta is known). A key is only as good as the secrecy
of delta, so delta must come from contributions that anyone can check, as in snarkjs (`zkey new`,
`zkey contribute`, `zkey verify`) and Bowe, Gabizon, Miers, "Scalable multi-party computation
for zk-SNARK parameters in the random beacon model" (2017), section 7.

The initial key (ptau.initial_keys) is a pure function of the .ptau and the R1CS with delta = 1;
anyone can recompute it, and everyone knows its delta. A contribution draws a secret x and maps

    delta_g1, delta_g2 -> x delta_g1, x delta_g2        l_query, h_query -> l_query / x, h_query / x

and appends a record: delta_j G1 (after) and a proof of knowledge of x. With s random,

    pok = (s G1, s x G1, x R)    R = hash_to_g2(transcript, s G1, s x G1)

checked by sameRatio((s G1, s x G1), (R, x R)) (the contributor knew x: R is fixed only after
s G1 and s x G1) and sameRatio((delta_{j-1}, delta_j), (R, x R)) (the step uses the same x),
where sameRatio((a, b), (c, d)) is e(a, d) = e(b, c). The delta after m honest-or-not
contributions is x_1 ... x_m; it is known only to someone who knows every x_j, so one honest
contributor who forgets x suffices. R comes from try-and-increment hashing onto the twist and
cofactor clearing, so nobody knows its discrete logarithm. The transcript starts from the
context (the key file's plan digest and launch), alpha_1, beta_2 and the IC points (so the
records are bound to the ptau and the circuit, like snarkjs' circuit hash) and absorbs each
record; its value after a record is that contribution's hash, printed for the contributor to
publish.

Commit-and-prove keys (setup.py) have a second trapdoor: sigma, with PoK = sigma D. With
gamma = 1 (as in every ptau key) whoever knows sigma can send D = -IC, PoK = sigma D, A = alpha,
B = beta, C = 0 and have any statement accepted. So sigma starts at 1 and every contribution
also draws y: k_sigma_query, commit_g2_sigma_neg -> y times; the record adds sigma_j G1 and a
proof of knowledge of y on the same pattern. The blinding basis of D (setup.py's nu) is nu =
delta: k_blind = nu / gamma G1 = delta G1, k_sigma_blind = sigma delta G1, c_blind = nu / delta
G1 = G1, so there is no third secret to contribute to, and the prover's o k_blind in D and
-o c_blind in C still cancel: e(o delta G1, G2) e(-o G1, delta G2) = 1. (A secret nu would have
to be contributed to as well: its keeper would know G1 / delta = c_blind / nu, which lets the
QAP equation hold up to a constant.) D stays uniform, as delta G1 is not infinity.

`check_key` recomputes what it can exactly (alpha, beta, gamma, IC, the A/B/K queries) and checks
the rest (delta through the chain; L, H and the sigma points by random linear combinations, one
MSM per side) with pairings, all batched into one final exponentiation; when the batch fails,
the checks are redone one by one to name the first that fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16 import pairing
from zkcc.backends.groth16.curve import (
    B2,
    G1,
    G1_GEN,
    G2_GEN,
    QI,
    R,
    from_ob_g2,
    g1_mul,
    g1_neg,
    g2_mul,
    reference,
    to_ob_g2,
)
from zkcc.backends.groth16.msm import msm
from zkcc.backends.groth16.ptau import scale_batch
from zkcc.backends.groth16.setup import ProvingKey, VerifyingKey
from zkcc.backends.groth16.verifier import check_g2
from zkcc.errors import ProofRejected

TAG = b"zkcc groth16 phase2 v1"
COFACTOR_G2 = 2 * QI - R  # #E'(F_q2) = r (2q - r) for BN curves
RLC_BITS = 128  # random linear combinations: a wrong point passes with probability 2^-128


@dataclass(frozen=True)
class Pok:
    """Proof of knowledge of a contribution's secret x: (s G1, s x G1, x R), R from the hash."""

    s_g1: tuple
    sx_g1: tuple
    rx_g2: tuple


@dataclass(frozen=True)
class Contribution:
    """One phase-2 contribution's record: delta (and sigma, for keys with committed wires)
    after it, in G1, with the proofs of knowledge of the factors it applied."""

    delta_g1: tuple
    delta_pok: Pok
    sigma_g1: tuple | None = None
    sigma_pok: Pok | None = None


# -- hashing points and hashing onto G2 ---------------------------------------------------------
def point_bytes(p) -> bytes:
    """G1 as x || y, G2 as x0 || x1 || y0 || y1, 32-byte big-endian; None as zeros of G1's
    size (the transcript only hashes points whose group is fixed by their position)."""
    if p is None:
        return bytes(64)
    flat = p if isinstance(p[0], int) else (*p[0], *p[1])
    return b"".join(int(c).to_bytes(32, "big") for c in flat)


def _fq_sqrt(a: int) -> int | None:
    s = pow(a, (QI + 1) // 4, QI)  # q = 3 mod 4
    return s if s * s % QI == a % QI else None


def _f2_sqrt(a: tuple) -> tuple | None:
    """A square root in F_q2 = F_q[u]/(u^2 + 1), or None. With n = sqrt(a0^2 + a1^2) (the
    norm must be a square), x0^2 = (a0 +- n) / 2 and x1 = a1 / (2 x0)."""
    a0, a1 = a[0] % QI, a[1] % QI
    if a1 == 0:
        s = _fq_sqrt(a0)
        return (s, 0) if s is not None else (0, _fq_sqrt(-a0 % QI))  # -1 is a non-square
    n = _fq_sqrt((a0 * a0 + a1 * a1) % QI)
    if n is None:
        return None
    half = pow(2, -1, QI)
    for t in ((a0 + n) * half % QI, (a0 - n) * half % QI):
        x0 = _fq_sqrt(t)
        if x0:
            return (x0, a1 * pow(2 * x0, -1, QI) % QI)
    return None


def hash_to_g2(seed: bytes) -> tuple:
    """A point of G2 with unknown discrete logarithm: try-and-increment x = H(seed, i) on the
    twist y^2 = x^3 + b', then multiplication by the cofactor 2q - r."""
    for i in range(1 << 16):
        h = hashlib.shake_256(b"zkcc hash_to_g2" + seed + i.to_bytes(4, "little")).digest(97)
        x = (int.from_bytes(h[:48], "little") % QI, int.from_bytes(h[48:96], "little") % QI)
        rhs = pairing.f2mul(pairing.f2mul(x, x), x)
        y = _f2_sqrt(((rhs[0] + B2[0]) % QI, (rhs[1] + B2[1]) % QI))
        if y is None:
            continue
        if h[96] & 1:
            y = (-y[0] % QI, -y[1] % QI)
        p = from_ob_g2(reference().multiply(to_ob_g2((x, y)), COFACTOR_G2))
        if p is not None:
            return p
    raise AssertionError("hash_to_g2: no point found")  # probability 2^-65536


# -- the transcript -------------------------------------------------------------------------------
def initial_state(key: ProvingKey | VerifyingKey, context: bytes) -> bytes:
    """The transcript before any record: the context and the points no contribution changes."""
    h = hashlib.sha256(TAG)
    h.update(len(context).to_bytes(8, "little") + context)
    for p in (key.alpha_g1, key.beta_g2, *key.ic):
        h.update(point_bytes(p))
    return h.digest()


def _pok_bytes(p: Pok) -> bytes:
    return point_bytes(p.s_g1) + point_bytes(p.sx_g1) + point_bytes(p.rx_g2)


def record_bytes(c: Contribution) -> bytes:
    out = point_bytes(c.delta_g1) + _pok_bytes(c.delta_pok)
    if c.sigma_pok is not None:
        out += point_bytes(c.sigma_g1) + _pok_bytes(c.sigma_pok)
    return out


def next_state(state: bytes, c: Contribution) -> bytes:
    """The transcript after record `c`: also the contribution's hash."""
    return hashlib.sha256(state + record_bytes(c)).digest()


def chain_state(key: ProvingKey | VerifyingKey, context: bytes) -> bytes:
    state = initial_state(key, context)
    for c in key.contributions or ():
        state = next_state(state, c)
    return state


def challenge(state: bytes, label: bytes, prev, s_g1, sx_g1) -> tuple:
    """R of a proof of knowledge: fixed by everything before it in the transcript."""
    seed = hashlib.sha256(
        state + label + point_bytes(prev) + point_bytes(s_g1) + point_bytes(sx_g1)
    ).digest()
    return hash_to_g2(seed)


# -- contributing --------------------------------------------------------------------------------
class EntropyRng:
    """`randbelow` from the OS's CSPRNG mixed with optional user text: SHAKE-256 of 64 bytes of
    os.urandom, a hash of the text and a counter. The OS part alone is enough; the text only
    helps a contributor who distrusts the OS generator, and cannot weaken it."""

    def __init__(self, entropy: bytes = b"") -> None:
        self._seed = hashlib.sha512(os.urandom(64) + hashlib.sha512(entropy).digest()).digest()
        self._count = 0

    def randbelow(self, n: int) -> int:
        self._count += 1
        out = hashlib.shake_256(self._seed + self._count.to_bytes(8, "little")).digest(64)
        return int.from_bytes(out, "little") % n


def _nonzero(rng) -> int:
    return 1 + rng.randbelow(R - 1)


def _pok(x: int, state: bytes, label: bytes, prev, rng) -> Pok:
    s_g1 = g1_mul(G1_GEN, _nonzero(rng))
    sx_g1 = g1_mul(s_g1, x)
    return Pok(s_g1, sx_g1, g2_mul(challenge(state, label, prev, s_g1, sx_g1), x))


def _last_sigma(key: ProvingKey | VerifyingKey):
    return key.contributions[-1].sigma_g1 if key.contributions else G1_GEN


def contribute(pk: ProvingKey, context: bytes, rng=secrets) -> ProvingKey:
    """`pk` after one more contribution with fresh secrets from `rng` (delta's factor x, and
    sigma's factor y for keys with committed wires); the secrets die with this call."""
    if pk.contributions is None:
        raise ValueError("a key from fresh toxic waste has no contribution chain to extend")
    state = chain_state(pk, context)
    x = _nonzero(rng)
    x_inv = pow(x, -1, R)
    delta_g1 = g1_mul(pk.delta_g1, x)
    record = Contribution(delta_g1, _pok(x, state, b"delta", pk.delta_g1, rng))
    changes = {
        "delta_g1": delta_g1,
        "delta_g2": g2_mul(pk.delta_g2, x),
        "l_query": scale_batch(G1, pk.l_query, [x_inv] * pk.l_query[1].size),
        "h_query": scale_batch(G1, pk.h_query, [x_inv] * pk.h_query[1].size),
    }
    if pk.has_commitment:
        y = _nonzero(rng)
        prev = _last_sigma(pk)
        sigma_g1 = g1_mul(prev, y)
        record = dataclasses.replace(
            record, sigma_g1=sigma_g1, sigma_pok=_pok(y, state, b"sigma", prev, rng)
        )
        changes.update(
            k_sigma_query=scale_batch(G1, pk.k_sigma_query, [y] * pk.k_sigma_query[1].size),
            k_blind=delta_g1,
            k_sigma_blind=g1_mul(pk.k_sigma_blind, x * y % R),
            commit_g2_sigma_neg=g2_mul(pk.commit_g2_sigma_neg, y),
        )
    changes["contributions"] = [*pk.contributions, record]
    return dataclasses.replace(pk, **changes)


# -- checking -------------------------------------------------------------------------------------
def _first_difference(a, b) -> int | None:
    """The first index where two batches of points differ (or -1 for different lengths)."""
    (ca, ia), (cb, ib) = a, b
    if ia.size != ib.size:
        return -1
    diff = ia != ib
    for u, v in zip(ca, cb, strict=True):
        diff |= ~ia & ~ib & np.asarray(u != v, dtype=bool)
    bad = np.flatnonzero(diff)
    return int(bad[0]) if bad.size else None


class _Checks:
    """Exact comparisons fail at once; sameRatio checks are collected and decided together in
    `finish` by one multi-Miller loop and one final exponentiation with random weights."""

    def __init__(self, rng) -> None:
        self.rng = rng
        self.done: list[str] = []
        self.ratios: list[tuple[str, list]] = []

    def fail(self, name: str, why: str):
        raise ProofRejected(f"{name}: {why}")

    def equal(self, name: str, got, want, why: str) -> None:
        if got != want:
            self.fail(name, why)
        self.done.append(name)

    def batch(self, name: str, got, want) -> None:
        i = _first_difference(got, want)
        if i == -1:
            self.fail(name, f"{got[1].size} points, the ptau and R1CS give {want[1].size}")
        if i is not None:
            self.fail(name, f"point {i} differs from the one the ptau and R1CS give")
        self.done.append(name)

    def finite(self, name: str, *points) -> None:
        if any(p is None for p in points):
            self.fail(name, "a point at infinity")

    def same_ratio(self, name: str, a, b, c, d) -> None:
        """e(a, d) = e(b, c): b / a = d / c in the exponent."""
        self.ratios.append((name, [(a, d), (g1_neg(b), c)]))

    def finish(self) -> list[str]:
        prepared: dict = {}

        def prep(q):
            key = q
            if key not in prepared:
                prepared[key] = pairing.prepare_g2(q)
            return prepared[key]

        def holds(pairs) -> bool:
            f = pairing.multi_miller([(p, prep(q)) for p, q in pairs])
            return pairing.final_exponentiate(f) == pairing.ONE

        weighted = []
        for _, pairs in self.ratios:
            rho = 1 + self.rng.randbelow((1 << RLC_BITS) - 1)
            weighted += [(g1_mul(p, rho) if p is not None else None, q) for p, q in pairs]
        if not holds(weighted):
            for name, pairs in self.ratios:
                if not holds(pairs):
                    self.fail(name, "the pairing check fails")
            raise AssertionError("the batched pairing check failed but no single check did")
        return self.done + [name for name, _ in self.ratios]


def _rlc(group, batch, scalars):
    return msm(group, batch, scalars) if batch[1].size else None


def check_key(
    key: ProvingKey | VerifyingKey, initial: ProvingKey, context: bytes, rng=secrets
) -> list[str]:
    """Check that `key` is `initial` (ptau.initial_keys of the same .ptau and R1CS) after a
    valid chain of phase-2 contributions; returns the names of the checks, raises ProofRejected
    naming the first that fails (FormatError for a G2 point outside the subgroup)."""
    ck = _Checks(rng)
    if key.contributions is None:
        ck.fail(
            "provenance",
            "the key was made from fresh toxic waste (`zkcc setup` without --ptau), so it has "
            "no phase-2 contribution chain and cannot be checked against a powers-of-tau file: "
            "whoever made it could forge proofs",
        )
    is_pk = isinstance(key, ProvingKey)
    vk = key.verifying_key() if is_pk else key
    ivk = initial.verifying_key()
    ck.equal(
        "public inputs",
        len(vk.ic),
        len(ivk.ic),
        f"{len(vk.ic) - 1} in the key, the R1CS has {len(ivk.ic) - 1}",
    )
    ck.equal("commitment", vk.has_commitment, ivk.has_commitment, "differs from the R1CS's")
    ck.equal("alpha_1", vk.alpha_g1, ivk.alpha_g1, "is not the ptau's alpha G1")
    ck.equal("beta_2", vk.beta_g2, ivk.beta_g2, "is not the ptau's beta G2")
    ck.equal("gamma_2", vk.gamma_g2, G2_GEN, "is not the generator of G2 (gamma = 1)")
    for i, (p, q) in enumerate(zip(vk.ic, ivk.ic, strict=True)):
        ck.equal(f"IC[{i}]", p, q, "differs from the one the ptau and R1CS give")
    if vk.has_commitment:
        ck.equal("commit_g2", vk.commit_g2, G2_GEN, "is not the generator of G2")
    if is_pk:
        _check_proving_parts(ck, key, initial)
    if not key.contributions:
        ck.fail(
            "contributions",
            "none: the key still has delta = 1, which everyone knows (so anyone can forge "
            "proofs); add one with `zkcc setup contribute`",
        )
    for name, p in (("delta_2", vk.delta_g2), ("commit_g2_sigma_neg", vk.commit_g2_sigma_neg)):
        check_g2(p, f"vk.{name}")
    _check_chain(ck, key, vk, context)
    if is_pk:
        _check_rlc(ck, key, initial)
    return ck.finish()


def _check_proving_parts(ck: _Checks, pk: ProvingKey, initial: ProvingKey) -> None:
    """The proving key's points that no contribution changes, exactly."""
    for n in ("num_wires", "num_public", "domain"):
        ck.equal(n, getattr(pk, n), getattr(initial, n), "differs from the R1CS's")
    ck.equal(
        "committed wires",
        pk.committed.tolist(),
        initial.committed.tolist(),
        "differ from the plan's",
    )
    ck.equal("beta_1", pk.beta_g1, initial.beta_g1, "is not the ptau's beta G1")
    ck.batch("A query", pk.a_query, initial.a_query)
    ck.batch("B query (G1)", pk.b_g1_query, initial.b_g1_query)
    ck.batch("B query (G2)", pk.b_g2_query, initial.b_g2_query)
    if pk.has_commitment:
        ck.batch("K query (committed wires)", pk.k_query, initial.k_query)
        ck.equal("k_blind", pk.k_blind, pk.delta_g1, "is not delta G1")
        ck.equal("c_blind", pk.c_blind, G1_GEN, "is not the generator of G1")


def _check_chain(ck: _Checks, key, vk: VerifyingKey, context: bytes) -> None:
    state = initial_state(key, context)
    prev_d = prev_s = G1_GEN
    for j, c in enumerate(key.contributions, 1):
        links = [("delta", prev_d, c.delta_g1, c.delta_pok)]
        if vk.has_commitment:
            links.append(("sigma", prev_s, c.sigma_g1, c.sigma_pok))
        for label, prev, cur, pok in links:
            name = f"contribution {j} ({label})"
            if pok is None:
                ck.fail(name, "no proof of knowledge")
            ck.finite(name, cur, pok.s_g1, pok.sx_g1, pok.rx_g2)
            check_g2(pok.rx_g2, f"contribution {j}: {label} proof of knowledge")
            r = challenge(state, label.encode(), prev, pok.s_g1, pok.sx_g1)
            ck.same_ratio(
                f"{name}: proof of knowledge of its factor", pok.s_g1, pok.sx_g1, r, pok.rx_g2
            )
            ck.same_ratio(
                f"{name}: {label}_{j} = factor * {label}_{j - 1}", prev, cur, r, pok.rx_g2
            )
        state = next_state(state, c)
        prev_d, prev_s = c.delta_g1, c.sigma_g1
    ck.same_ratio("delta_2 = the last contribution's delta", G1_GEN, prev_d, G2_GEN, vk.delta_g2)
    if vk.has_commitment:
        sigma_g2 = pairing.g2_neg(vk.commit_g2_sigma_neg)
        ck.same_ratio(
            "commit_g2_sigma_neg = -(the last contribution's sigma)",
            G1_GEN,
            prev_s,
            G2_GEN,
            sigma_g2,
        )
    if isinstance(key, ProvingKey):
        ck.equal("delta_1", key.delta_g1, prev_d, "is not the last contribution's delta")


def _random_scalars(ck: _Checks, n: int) -> np.ndarray:
    return np.asarray([1 + ck.rng.randbelow((1 << RLC_BITS) - 1) for _ in range(n)], dtype=object)


def _check_rlc(ck: _Checks, pk: ProvingKey, initial: ProvingKey) -> None:
    """L = K / delta, H = H_0 / delta, and the sigma multiples, each by one random linear
    combination: e(sum r_i L_i, delta_2) = e(sum r_i K_i, G2) (one MSM per side)."""
    for name, got, want in (
        ("L query = K / delta", pk.l_query, initial.l_query),
        ("H query = (tau^(n+i) - tau^i) / delta", pk.h_query, initial.h_query),
    ):
        if got[1].size != want[1].size:
            ck.fail(name, f"{got[1].size} points, the ptau and R1CS give {want[1].size}")
        r = _random_scalars(ck, got[1].size)
        ck.same_ratio(name, _rlc(G1, want, r), _rlc(G1, got, r), pk.delta_g2, G2_GEN)
    if pk.has_commitment:
        r = _random_scalars(ck, pk.k_query[1].size + 1)
        base = G1.add_one(_rlc(G1, pk.k_query, r[:-1]), g1_mul(pk.delta_g1, int(r[-1])))
        scaled = G1.add_one(
            _rlc(G1, pk.k_sigma_query, r[:-1]), g1_mul(pk.k_sigma_blind, int(r[-1]))
        )
        sigma_g2 = pairing.g2_neg(pk.commit_g2_sigma_neg)
        ck.same_ratio(
            "K sigma query and k_sigma_blind = sigma (K query, delta G1)",
            base,
            scaled,
            G2_GEN,
            sigma_g2,
        )
