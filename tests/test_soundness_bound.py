"""The computed soundness bound (zkcc/analysis/soundness.py): every example reaches the
100-bit target, each term matches an independent computation from the real proof or from exact
binomials, and the CLI reports it."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import pytest
from helpers import EXAMPLES, prove_example

from zkcc.analysis.soundness import TARGET_BITS, Soundness, Term, plan_soundness
from zkcc.backends.gkr.proof import GKRProof
from zkcc.driver import compile_path
from zkcc.encoding import Schema, decode
from zkcc.field import get_field
from zkcc.pcs.ligero_params import query_log2_error
from zkcc.runtime.bundle import MAGIC, VERSION

NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pcs", ["ligero", "merkle"])
def test_every_example_reaches_the_target(name, pcs):
    s = plan_soundness(compile_path(EXAMPLES / name / f"{name}.zkcu", pcs=pcs))
    assert s.bits >= TARGET_BITS, s.to_json()
    assert all(t.log2_error < -TARGET_BITS for t in s.terms)
    # a plan of Groth16 launches that commit nothing samples nothing: Groth16's assumption
    assert s.terms or any(a.startswith("Groth16") for a in s.assumptions)


def test_the_gkr_term_counts_the_rounds_of_the_real_proof():
    """Rounds x degree of every sumcheck message in the proof, plus one combination per inner
    layer and the output point's variables, over |E| = p^4: independent of the formula code.
    Zero knowledge adds one rho per phase, one lambda and the mask reduction's rounds."""
    proved = prove_example("dot")
    F = get_field(proved.plan.field)
    tree = decode(proved.proof, MAGIC, VERSION, "proof")[1]
    s = plan_soundness(proved.plan)
    gkr_terms = [t for t in s.terms if t.part.endswith("(gkr)")]
    assert len(gkr_terms) == 1
    from zkcc.runtime.steps import schedule

    (step,) = [st for st in schedule(proved.plan, frozenset()) if st.backend == "gkr"]
    proof = GKRProof.from_tree(
        Schema(tree["steps"][step.index], "p"), F, step.circuit, step.n_log2, step.layout
    )
    assert F.ext.degree == 4
    count = _zk_gkr_count(proof, step.circuit, step.n_log2)
    assert gkr_terms[0].log2_error == pytest.approx(math.log2(count) - 4 * math.log2(F.p))


def _zk_gkr_count(proof: GKRProof, circuit, n_log2: int) -> int:
    """Sum over a zero-knowledge GKR proof's sumcheck messages of their degree (read from
    each message's length), a rho per phase, lambda, the mask reduction's messages and rho, a
    combination per inner layer and the output point's variables."""
    count = 0
    for lp in proof.layers:
        for phase in (lp.phase1, lp.phase2):
            count += sum(msg.shape[1] for msg in phase.rounds)  # h(0), h(2..D): D values
        count += 2 * (lp.sigma is not None)  # a rho per phase
    masks = proof.masks  # the reduction's masked rounds, its rho and lambda; the plain ones
    count += sum(msg.shape[1] for msg in masks.rounds.rounds) + 2
    count += sum(msg.shape[1] for msg in masks.rounds2.rounds)
    count += len(proof.layers) - 1
    return count + circuit.width_log2(circuit.depth) + n_log2


@pytest.mark.parametrize("field", ["m31", "bn254"])
def test_zero_knowledge_lookup_terms_follow_the_real_proof(field):
    """A zero-knowledge plan's lookups (zkcc/runtime/zk_lookups.py): each check circuit's
    term counts its proof's rounds as above; the map table's identity and zero-denominator
    terms are (N_q + N_t) / |E| with N_q its padded lookups per instance times the padded
    instances and N_t its padded rows; the components' term is log2(d) / |E|; and the plan
    still reaches the target."""
    from test_costmodel import _zk_lookup_proof
    from test_lookups import SQ_VALUES

    from zkcc.runtime.steps import schedule

    n = 5
    plan, proof = _zk_lookup_proof(field, n)
    F = get_field(field)
    E_log2 = F.ext.degree * math.log2(F.p)
    s = plan_soundness(plan)
    assert s.bits >= TARGET_BITS
    terms = {t.part: t.log2_error for t in s.terms}
    (st,) = schedule(plan, frozenset())
    lookups = decode(proof, MAGIC, VERSION, "proof")[1]["steps"][0]["lookups"]
    checks = st.hidden.checks()
    assert sorted(lookups) == sorted("queries" if t is None else f"table{t}" for t, _, _ in checks)
    for t, hc, _ in checks:
        key = "queries" if t is None else f"table{t}"
        gp = GKRProof.from_tree(Schema(lookups[key], key), F, hc.circuit, hc.n_log2, hc.layout)
        count = _zk_gkr_count(gp, hc.circuit, hc.n_log2)
        what = "queries" if t is None else f"table {t}"
        part = f"launch 0 sq (gkr) lookup check, {what} (gkr)"
        assert terms[part] == pytest.approx(math.log2(count) - E_log2), part
    (sq,) = [j for j, tab in enumerate(plan.kernels["sq"].ir.tables) if tab.is_map]
    n_q = 8 * 4  # 5 instances and 3 lookups per instance, each padded to a power of two
    n_t = 1 << (len(SQ_VALUES) - 1).bit_length()
    where = f"launch 0 sq (gkr) lookups in table {sq}"
    for what in ("LogUp", "zero denominators"):
        assert terms[f"{where} ({what})"] == pytest.approx(math.log2(n_q + n_t) - E_log2)
    if F.ext.degree == 4:
        assert terms[f"{where} (components)"] == pytest.approx(1 - E_log2)
    else:
        assert f"{where} (components)" not in terms


def test_query_error_is_the_exact_binomial_ratio():
    rnd = random.Random(8)
    for _ in range(20):
        col_log, rate_log = rnd.randrange(2, 12), rnd.randrange(1, 4)
        N, C = 1 << (col_log + rate_log), 1 << col_log
        bad = (N - C - 1) // 2 + 1
        t = rnd.randrange(1, min(200, N - bad) + 1)
        exact = math.log2(math.comb(N - bad, t)) - math.log2(math.comb(N, t))
        assert query_log2_error(col_log, rate_log, t) == pytest.approx(exact, abs=1e-9)
    assert query_log2_error(2, 2, 16) == -math.inf  # more queries than good columns


def test_the_union_bound_adds_the_terms():
    s = Soundness((Term("a", -101.0, ""), Term("b", -101.0, "")), ())
    assert s.bits == pytest.approx(100.0)
    assert Soundness((), ()).to_json()["bits"] is None


def test_compile_explain_and_verify_json_report_the_bits(tmp_path):
    zkcc = [sys.executable, "-c", "from zkcc.cli import main; main()"]
    src = EXAMPLES / "polyeval" / "polyeval.zkcu"
    plan, proof = tmp_path / "p.zkplan", tmp_path / "p.zkproof"
    out = subprocess.run(
        [*zkcc, "compile", str(src), "-o", str(plan), "--explain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    want = plan_soundness(compile_path(src)).bits
    assert f"soundness: {want:.1f} bits" in out
    inputs = EXAMPLES / "polyeval" / "inputs.json"
    subprocess.run(
        [*zkcc, "prove", str(plan), "-i", str(inputs), "-o", str(proof), "-q"],
        check=True,
        capture_output=True,
    )
    res = subprocess.run(
        [*zkcc, "verify", str(plan), str(proof), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(res.stdout)["soundness"]
    assert report["bits"] == round(want, 2) and report["bits"] >= TARGET_BITS
    inspected = subprocess.run(
        [*zkcc, "inspect", str(plan), "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(inspected.stdout)["soundness"] == report
