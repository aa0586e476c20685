"""Groth16: NTT/QAP/MSM against naive references, completeness, and soundness (rejections)."""

import copy
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from py_ecc import optimized_bn128 as ob
from py_ecc.optimized_bn128 import FQ12

from zkcc import forked
from zkcc.backends.groth16 import curve, glv, msm, ntt, pairing, prover, qap, verifier
from zkcc.backends.groth16.curve import G1, G2, QI, R
from zkcc.backends.groth16.prover import Proof, prove
from zkcc.backends.groth16.r1cs import random_r1cs
from zkcc.backends.groth16.setup import setup
from zkcc.backends.groth16.verifier import verify
from zkcc.errors import FormatError, WitnessError


def polymul(a, b):
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = (out[i + j] + x * y) % R
    return out


@pytest.mark.parametrize("n", [1, 2, 8, 16])
def test_ntt_matches_naive_dft_and_inverts(n):
    rng = random.Random(n)
    a = [rng.randrange(R) for _ in range(n)]
    w = ntt.root_of_unity(n)
    naive = [sum(a[j] * pow(w, i * j, R) for j in range(n)) % R for i in range(n)]
    assert [int(v) for v in ntt.ntt(a)] == naive
    assert [int(v) for v in ntt.intt(ntt.ntt(a))] == a
    coset = [sum(a[j] * pow(5 * pow(w, i, R), j, R) for j in range(n)) % R for i in range(n)]
    assert [int(v) for v in ntt.coset_ntt(a)] == coset
    assert [int(v) for v in ntt.coset_intt(ntt.coset_ntt(a))] == a
    assert pow(w, n, R) == 1 and (n == 1 or pow(w, n // 2, R) != 1)


def test_ntt_polynomial_product_matches_schoolbook():
    rng = random.Random(7)
    a, b = [rng.randrange(R) for _ in range(7)], [rng.randrange(R) for _ in range(9)]
    fa = ntt.ntt(a + [0] * 9)
    fb = ntt.ntt(b + [0] * 7)
    assert [int(v) for v in ntt.intt(fa * fb % R)][:15] == polymul(a, b)


def test_qap_h_times_z_equals_ab_minus_c():
    r1cs, w = random_r1cs(random.Random(2), 6, 2, 5)
    n = qap.domain_size(r1cs)
    rows = [qap._with_input_rows(r1cs), r1cs.B, r1cs.C]
    polys = []
    for m in rows:
        e = list(m.dot(w, r1cs.num_constraints + 3)) + [0] * (n - r1cs.num_constraints - 3)
        polys.append([int(v) for v in ntt.intt(e)])
    lhs = polymul(polys[0], polys[1])
    lhs = [(x - (polys[2][i] if i < n else 0)) % R for i, x in enumerate(lhs)]
    h = [int(v) for v in qap.h_coefficients(r1cs, w)]
    z = [R - 1] + [0] * (n - 1) + [1]
    assert polymul(h, z) == lhs
    tau = 1234567
    u, v, ww, zt = qap.evaluate_at(r1cs, tau)
    ev = lambda c: sum(x * pow(tau, i, R) for i, x in enumerate(c)) % R  # noqa: E731
    assert int(sum(u * w) % R) == ev(polys[0]) and zt == (pow(tau, n, R) - 1) % R


@pytest.mark.parametrize("group", [G1, G2], ids=["G1", "G2"])
def test_msm_and_fixed_base_match_naive_py_ecc(group):
    rng = random.Random(5)
    gen, mul, add = (
        (curve.G1_GEN, curve.g1_mul, curve.g1_add)
        if group is G1
        else (curve.G2_GEN, curve.g2_mul, curve.g2_add)
    )
    n = 24 if group is G1 else 12
    pts = [mul(gen, rng.randrange(1, R)) for _ in range(n)]
    pts[3], pts[4], pts[5] = pts[2], None, mul(pts[2], R - 1)  # repeat, infinity, negation
    sc = [rng.randrange(R) for _ in range(n)]
    sc[6], sc[7], sc[8] = 0, 1, sc[2]
    ref = None
    for p, k in zip(pts, sc, strict=True):
        ref = add(ref, mul(p, k)) if p is not None else ref
    assert msm.msm(group, group.to_batch(pts), sc) == ref
    assert msm.msm(group, group.to_batch(pts[:2]), sc[:2]) == add(
        mul(pts[0], sc[0]), mul(pts[1], sc[1])
    )
    assert group.from_batch(msm.fixed_base_mul(group, gen, sc)) == [mul(gen, k) for k in sc]


def test_digits_recompose():
    rng = random.Random(1)
    sc = [rng.randrange(R) for _ in range(10)] + [R - 1, 0]
    for c in (3, 7, 13):
        d = msm.digits(np.array(sc, dtype=object), c)
        assert [sum(int(x) << (c * i) for i, x in enumerate(row)) for row in d] == sc


@pytest.fixture(scope="module")
def system():
    r1cs, w = random_r1cs(random.Random(11), 24, 3, 20)
    pk, vk = setup(r1cs)
    return r1cs, w, pk, vk, prove(pk, r1cs, w)


def pub(w, k=3):
    return [int(x) for x in w[1 : 1 + k]]


@pytest.mark.parametrize("workers", [2, 3])
def test_ranks_sharing_the_msms_make_the_one_process_proof(system, workers):
    """Every rank computes its share of each MSM (prover.msm_sums), rank 0 adds them up: the
    proof equals one process's for the same coins (the shares add up exactly), and the
    other ranks return None."""
    from helpers import run_workers

    r1cs, w, pk, vk, _ = system
    from zkcc.runtime.randomness import Randomness

    alone = prove(pk, r1cs, w, rng=Randomness(5).source("groth16"))

    def work(comm):
        root = comm.rank == 0
        coins = Randomness(5).source("groth16") if root else None
        return prove(pk, r1cs if root else None, w if root else None, rng=coins, comm=comm)

    got = run_workers(workers, work)
    assert got[0] == alone and got[1:] == [None] * (workers - 1)
    assert verify(vk, pub(w), got[0])
    parts = [
        prover.msm_sums(pk, np.asarray(w, dtype=object), qap.h_coefficients(r1cs, w), (q, 3))
        for q in range(3)
    ]
    assert prover.MsmSums.from_bytes(parts[1].to_bytes()) == parts[1]
    whole = prover.msm_sums(pk, np.asarray(w, dtype=object), qap.h_coefficients(r1cs, w))
    assert parts[0].add(parts[1]).add(parts[2]) == whole != parts[0]


def test_completeness_and_fresh_blinding(system):
    r1cs, w, pk, vk, proof = system
    assert verify(vk, pub(w), proof)
    assert prove(pk, r1cs, w).a != proof.a  # fresh r per proof


def test_changed_public_input_rejected(system):
    r1cs, w, pk, vk, proof = system
    bad = pub(w)
    bad[1] = (bad[1] + 1) % R
    assert not verify(vk, bad, proof)


@pytest.mark.parametrize(
    "how",
    [
        "c",
        "a",
        "b",
        "swap",
    ],
)
def test_tampered_proof_rejected(system, how):
    r1cs, w, pk, vk, proof = system
    g1, g2 = curve.G1_GEN, curve.G2_GEN
    bad = {
        "a": Proof(curve.g1_add(proof.a, g1), proof.b, proof.c),
        "b": Proof(proof.a, curve.g2_add(proof.b, g2), proof.c),
        "c": Proof(proof.a, proof.b, curve.g1_add(proof.c, g1)),
        "swap": Proof(proof.c, proof.b, proof.a),
    }[how]
    assert not verify(vk, pub(w), bad)


def test_wrong_witness_rejected(system):
    r1cs, w, pk, vk, proof = system
    w2 = w.copy()
    w2[10] = (w2[10] + 1) % R
    with pytest.raises(WitnessError):
        prove(pk, r1cs, w2)
    assert not verify(vk, pub(w2), prove(pk, r1cs, w2, check=False))


def test_proof_against_another_circuits_key_rejected(system):
    r1cs, w, pk, vk, proof = system
    other, w_other = random_r1cs(random.Random(12), 24, 3, 20)
    pk2, vk2 = setup(other)
    assert verify(vk2, pub(w_other), prove(pk2, other, w_other))
    assert not verify(vk2, pub(w), proof)
    assert not verify(vk, pub(w_other), prove(pk2, other, w_other))


def _fq2_sqrt(a):
    """A square root in F_q2 (q = 3 mod 4), or None."""
    a0, a1 = a
    n = pow((a0 * a0 + a1 * a1) % QI, (QI + 1) // 4, QI)
    for t in (n, -n):
        x0sq = (a0 + t) * pow(2, -1, QI) % QI
        x0 = pow(x0sq, (QI + 1) // 4, QI)
        if x0 * x0 % QI == x0sq and x0:
            x1 = a1 * pow(2 * x0, -1, QI) % QI
            if curve._f2mul((x0, x1), (x0, x1)) == (a0 % QI, a1 % QI):
                return (x0, x1)
    return None


def test_malformed_points_and_inputs_raise(system):
    r1cs, w, pk, vk, proof = system
    x, y = proof.a
    with pytest.raises(FormatError):
        verify(vk, pub(w), Proof((x, (y + 1) % QI), proof.b, proof.c))  # off the curve
    with pytest.raises(FormatError):
        verify(vk, pub(w), Proof((x + QI, y), proof.b, proof.c))  # coordinate >= q
    with pytest.raises(FormatError):
        verify(vk, [R] + pub(w)[1:], proof)  # public value >= r
    with pytest.raises(FormatError):
        verify(vk, pub(w)[:2], proof)
    rng = random.Random(3)
    while True:  # a point on the twist outside the order-r subgroup
        px = (rng.randrange(QI), rng.randrange(QI))
        rhs = curve._f2mul(curve._f2mul(px, px), px)
        py = _fq2_sqrt(((rhs[0] + curve.B2[0]) % QI, (rhs[1] + curve.B2[1]) % QI))
        if py is not None:
            break
    assert curve.on_curve_g2((px, py)) and not curve.in_subgroup_g2((px, py))
    with pytest.raises(FormatError):
        verify(vk, pub(w), Proof(proof.a, (px, py), proof.c))


# -- GLV, signed digits, pairing, subgroup check, prepared keys, forked prover ------------------
@pytest.mark.parametrize("which", ["G1", "G2"])
def test_glv_endomorphism_and_decomposition(which):
    dec, gen, mul = (
        (glv.G1_SPLIT, curve.G1_GEN, curve.g1_mul)
        if which == "G1"
        else (glv.G2_SPLIT, curve.G2_GEN, curve.g2_mul)
    )
    p = mul(gen, 987654321)
    phi = (
        (p[0] * glv.BETA % QI, p[1])
        if which == "G1"
        else ((p[0][0] * glv.BETA % QI, p[0][1] * glv.BETA % QI), p[1])
    )
    assert phi == mul(p, dec.lam)  # phi = [lambda] on the subgroup
    rng = random.Random(4)
    ks = [rng.randrange(R) for _ in range(2000)] + [0, 1, 2, R - 1, dec.lam, R - dec.lam]
    k1, k2 = dec.split(np.array(ks, dtype=object))
    for k, a, b in zip(ks, k1, k2, strict=True):
        assert (a + b * dec.lam - k) % R == 0 and abs(a) < 1 << 128 and abs(b) < 1 << 128
    mags, negs = glv.split_signed(dec, np.array(ks, dtype=object))
    signed = [-int(m) if s else int(m) for m, s in zip(mags, negs, strict=True)]
    assert signed == [int(v) for v in k1] + [int(v) for v in k2]


def test_signed_digits_recompose():
    rng = random.Random(6)
    mags = [rng.randrange(1 << 127) for _ in range(50)] + [0, 1, (1 << 127) - 1]
    for c in (2, 5, 12, 16):
        w = 127 // c + 1
        d = msm.signed_digits(np.array(mags, dtype=object), c, w)
        assert np.abs(d).max() <= 1 << (c - 1)
        assert [sum(int(x) << (c * i) for i, x in enumerate(row)) for row in d] == mags


@pytest.mark.parametrize("group", [G1, G2], ids=["G1", "G2"])
def test_msm_bigger_windows_match_naive(group):
    """Enough points for several tree rounds, and bases repeated and negated within a bucket."""
    rng = random.Random(8)
    gen, mul, add = (
        (curve.G1_GEN, curve.g1_mul, curve.g1_add)
        if group is G1
        else (curve.G2_GEN, curve.g2_mul, curve.g2_add)
    )
    n = 300 if group is G1 else 48
    base = [mul(gen, rng.randrange(1, R)) for _ in range(8)]
    pts = [base[i % 8] if i % 3 else mul(base[i % 8], R - 1) for i in range(n)]
    sc = [rng.randrange(R) if i % 5 else rng.randrange(1 << 20) for i in range(n)]
    ref = None
    for b in range(8):  # naive: sum the scalars per distinct base first
        k = sum(s if i % 3 else -s for i, s in enumerate(sc) if i % 8 == b) % R
        ref = add(ref, mul(base[b], k))
    assert msm.msm(group, group.to_batch(pts), sc) == ref


def test_written_out_constants_are_py_ecc_s():
    """curve.py and pairing.py write py_ecc's constants out (so that only Groth16 work imports
    it): the base field modulus, the twist's b, G2's generator (on the curve, of order r) and
    the Miller loop's signed digits, whose value is 6x + 2 for the BN parameter x."""
    from py_ecc.optimized_bn128 import field_modulus
    from py_ecc.optimized_bn128.optimized_pairing import ate_loop_count, pseudo_binary_encoding

    assert QI == field_modulus
    assert curve.B2 == tuple(int(c) for c in ob.b2.coeffs)
    assert curve.G2_GEN == curve.from_ob_g2(ob.G2)
    assert curve.on_curve_g2(curve.G2_GEN) and curve.in_subgroup_g2(curve.G2_GEN)
    assert list(pairing.ATE_DIGITS) == list(pseudo_binary_encoding)
    value = sum(d << i for i, d in enumerate(pairing.ATE_DIGITS))
    assert value == 6 * pairing.BN_X + 2 == ate_loop_count


def test_m31_work_never_imports_the_groth16_backend(tmp_path):
    """The Groth16 backend (and py_ecc, gmpy2) is imported on first Groth16 use only
    (curve.reference, groth16_launch, the CLI's key loading): compiling (with --explain),
    proving, verifying and inspecting an m31 program in a fresh interpreter leaves it
    unimported."""
    plan, proof = tmp_path / "dot.zkplan", tmp_path / "dot.zkproof"
    commands = [
        ["compile", "examples/dot/dot.zkcu", "-o", str(plan), "--explain"],
        ["prove", str(plan), "-i", "examples/dot/inputs.json", "-o", str(proof)],
        ["verify", str(plan), str(proof)],
        ["inspect", str(proof)],
    ]
    code = f"""
import sys
from zkcc.cli import main
for args in {commands!r}:
    sys.argv = ["zkcc", *args]
    try:
        main()
    except SystemExit as e:
        assert not e.code, (args, e.code)
loaded = [m for m in sys.modules if m.startswith(("py_ecc", "gmpy2", "zkcc.backends.groth16"))]
assert not loaded, loaded
"""
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def _ob12(f):
    return [int(c) for c in f.coeffs]


def test_pairing_matches_py_ecc_and_is_bilinear():
    from py_ecc.optimized_bn128 import optimized_pairing as op

    rng = random.Random(9)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    p, q2 = curve.g1_mul(curve.G1_GEN, a), curve.g2_mul(curve.G2_GEN, b)
    ref = op.pairing(curve.to_ob_g2(q2), curve.to_ob_g1(p))
    assert pairing.pairing(p, q2) == _ob12(ref)
    # e(aP, Q) e(-P, aQ) = 1 through the multi-Miller loop and one final exponentiation
    f = pairing.multi_miller(
        [
            (curve.g1_mul(p, 5), pairing.prepare_g2(q2)),
            (curve.g1_neg(p), pairing.prepare_g2(curve.g2_mul(q2, 5))),
            (None, pairing.prepare_g2(q2)),
        ]
    )
    assert pairing.final_exponentiate(f) == pairing.ONE
    f = pairing.multi_miller([(curve.g1_mul(p, 5), pairing.prepare_g2(q2))])
    assert pairing.final_exponentiate(f) != pairing.ONE
    x = [rng.randrange(QI) for _ in range(12)]
    assert pairing.frobenius(x, 1) == _ob12(FQ12(x) ** QI)
    assert pairing.frobenius(x, 2) == _ob12(FQ12(x) ** (QI * QI))
    assert pairing.f12mul(x, pairing.f12inv(x)) == pairing.ONE
    assert pairing.f12sqr(x) == pairing.f12mul(x, x) == _ob12(FQ12(x) * FQ12(x))


def _twist_point(rng):
    """A random point on the twist (almost surely outside the order-r subgroup)."""
    while True:
        px = (rng.randrange(QI), rng.randrange(QI))
        rhs = curve._f2mul(curve._f2mul(px, px), px)
        py = _fq2_sqrt(((rhs[0] + curve.B2[0]) % QI, (rhs[1] + curve.B2[1]) % QI))
        if py is not None:
            return (px, py)


def test_psi_and_fast_subgroup_check_match_naive():
    rng = random.Random(10)
    q2 = curve.g2_mul(curve.G2_GEN, rng.randrange(1, R))
    assert pairing.psi(q2) == curve.g2_mul(q2, QI % R)  # psi = [q] on G2
    outside = [_twist_point(rng) for _ in range(3)]
    # r-torsion times a cofactor part: in the subgroup only when the cofactor part vanishes
    mixed = curve.g2_add(q2, outside[0])
    cleared = curve.from_ob_g2(ob.multiply(curve.to_ob_g2(outside[1]), 2 * QI - R))
    for p in [None, q2, curve.G2_GEN, cleared, mixed, *outside]:
        assert pairing.in_subgroup_g2(p) == curve.in_subgroup_g2(p)  # [cofactor 2q - r] P above
    assert pairing.in_subgroup_g2(cleared) and not pairing.in_subgroup_g2(mixed)


def test_prepared_key_is_cached_on_the_key_and_follows_changes(system):
    r1cs, w, pk, vk, proof = system
    assert verify(vk, pub(w), proof)
    first = verifier.prepare(vk)
    assert verifier.prepare(vk) is first
    vk2 = copy.deepcopy(vk)
    vk2.beta_g2 = curve.g2_mul(vk.beta_g2, 2)  # a changed key must not reuse the prepared form
    assert verifier.prepare(vk2) is not first
    assert not verify(vk2, pub(w), proof)
    assert verify(vk, pub(w), proof)


def test_forked_prover_matches_and_reports_failures(system, monkeypatch):
    r1cs, w, pk, vk, proof = system
    monkeypatch.setattr(prover, "_FORK_MIN_WIRES", 0)
    assert verify(vk, pub(w), prove(pk, r1cs, w, workers=2))
    assert verify(vk, pub(w), prove(pk, r1cs, w, workers=1))
    assert forked.Forked(lambda: (1, (2, 3))).result() == (1, (2, 3))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        forked.Forked(lambda: 1 // 0).result()
    slow = forked.Forked(lambda: time.sleep(60))
    pid = slow.pid
    slow.close()  # a result never collected: the child is stopped and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


class _Recording:
    """A randbelow source that keeps what it drew: the test's view of the toxic waste."""

    def __init__(self, seed: int) -> None:
        self.rng, self.drawn = random.Random(seed), []

    def randbelow(self, n: int) -> int:
        self.drawn.append(self.rng.randrange(n))
        return self.drawn[-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_simulator_with_the_trapdoor_is_accepted(seed):
    """Zero knowledge (Groth 2016, Thm 2): with the trapdoor, A = a G1, B = b G2 and
    C = (ab - alpha beta - sum_j x_j lin_j(tau)) / delta G1 for uniform a, b verify for ANY
    public inputs, without a witness; real proofs (uniform r, s) have the same distribution."""
    r1cs, w = random_r1cs(random.Random(40 + seed), 24, 3, 20)
    source = _Recording(seed)
    pk, vk = setup(r1cs, rng=source)
    tau, alpha, beta, gamma, delta = (1 + x for x in source.drawn[:5])
    assert pow(tau, qap.domain_size(r1cs), R) != 1  # the first tau was kept
    u, v, ww, _ = qap.evaluate_at(r1cs, tau)
    x = [1] + [random.Random(seed).randrange(R) for _ in range(3)]  # not w's public values
    lin = sum(xj * (beta * int(u[j]) + alpha * int(v[j]) + int(ww[j])) for j, xj in enumerate(x))
    a, b = random.Random(seed).randrange(1, R), random.Random(seed + 9).randrange(1, R)
    c = (a * b - alpha * beta - lin) * pow(delta, -1, R) % R
    sim = Proof(
        curve.g1_mul(curve.G1_GEN, a), curve.g2_mul(curve.G2_GEN, b), curve.g1_mul(curve.G1_GEN, c)
    )
    assert verify(vk, x[1:], sim)
    forged = Proof(sim.a, sim.b, curve.g1_mul(curve.G1_GEN, (c + 1) % R))
    assert not verify(vk, x[1:], forged)
