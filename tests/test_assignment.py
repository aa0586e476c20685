"""Automatic GKR/Groth16 assignment per launch (zkcc/analysis/assign.py, docs/costmodel.md
"Assignment"): the rule of each --optimize mode, hard requests, limits, m31, the plan format
(per-launch backends and reasons, recorded options, independence from the machine), the
explain rows, and real proofs whose GKR->Groth16 and Groth16->GKR boundaries were chosen by
the cost model, tampered part by part."""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    EXAMPLE_NAMES,
    EXAMPLES,
    SEEDED,
    committed_tensors,
    swap_committed_tables,
    with_changed,
)
from test_cli import zkcc

from zkcc.analysis import assign
from zkcc.analysis import profile as prof
from zkcc.analysis.assign import AssignOptions, Cost, PlanCosts, Request, choose
from zkcc.analysis.costmodel import proof_bytes
from zkcc.cli import cli
from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError
from zkcc.field import get_field
from zkcc.plan.plan import MAGIC, VERSION, Plan, plan_digest
from zkcc.runtime import bundle
from zkcc.runtime import steps as steps_module
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

REFUSED = (ProofRejected, FormatError)

# Groth16 -> GKR -> Groth16, chosen by the cost model (no attribute, default options):
# `derive` (one deep instance) and `fold` (the batch hashed in one instance) go to Groth16,
# the wide, shallow `mask` to GKR. `key` and `ys` are private intermediates on the
# boundaries, tied by commit-and-prove.
CHAIN = """#pragma field bn254
#include <poseidon.zkcu>

const int N = 8;

__global__ void derive(__broadcast__ const field seed[2], field key[2]) {
    field st[3] = {seed[0], seed[1], 0};
    poseidon3_permute(st);
    poseidon3_permute(st);
    poseidon3_permute(st);
    key[0] = st[0];
    key[1] = st[1];
}

__global__ void mask(const field x[2], __broadcast__ const field key[2], field y[1]) {
    y[0] = (x[0] + key[0]) * (x[1] + key[1]);
}

__global__ void fold(__broadcast__ const field ys[N], field d[1]) {
    field st[3] = {0, 0, 0};
    for (int i = 0; i < N; i += 2) {
        st[0] += ys[i];
        st[1] += ys[i + 1];
        poseidon3_permute(st);
    }
    d[0] = st[0];
}

__host__ void main(private field seed[2], private field xs[N][2], public out field d[1][1]) {
    field key[1][2];
    derive<<<1>>>(seed, key);
    field k2[2] = reshape(key);
    field ys[N][1];
    mask<<<N>>>(xs, k2, ys);
    field flat[N] = reshape(ys);
    fold<<<1>>>(flat, d);
}
"""
CHAIN_INPUTS = {"seed": [3, 5], "xs": [[2 * i + 1, 2 * i + 2] for i in range(8)]}
DERIVE, MASK, FOLD = 0, 1, 2  # host steps

# One kernel, two launches of very different sizes: one instance is cheapest with Groth16
# (GKR pays per layer), sixty-four with GKR (Groth16 pays per constraint; at sixteen it still
# wins, zero-knowledge GKR's masked rounds counted).
TWICE = """#pragma field bn254
#include <poseidon.zkcu>

__global__ void h(const field pair[2], field digest[1]) {
    field st[3] = {pair[0], pair[1], 0};
    poseidon3_permute(st);
    poseidon3_permute(st);
    digest[0] = st[0];
}

__host__ void main(public field one[1][2], public field many[64][2],
                   public out field d1[1][1], public out field dm[64][1]) {
    h<<<1>>>(one, d1);
    h<<<64>>>(many, dm);
}
"""

M31 = """#pragma field m31
__global__ void sq(const field x[1], field y[1]) {
    y[0] = x[0] * x[0];
}
__host__ void main(public field xs[4][1], public out field ys[4][1]) {
    sq<<<4>>>(xs, ys);
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    src = tmp_path / name
    src.write_text(text)
    return src


def launches(plan: Plan) -> list[tuple[int, str, str]]:
    return [(a.step, a.backend, a.reason) for a in plan.assignments.values()]


def invoke(*args, ok: bool = True):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert r.exit_code == 0, (r.output, r.exception)
    return r


@pytest.fixture(autouse=True)
def no_profile(tmp_path, monkeypatch):
    """No calibrated profile: the explain numbers are the default rates' (a test that wants
    one writes it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# ---- the rule per mode, on costs given by hand ----------------------------------------------
GKR_BIG = Cost(1.0, 0.010, 100_000)  # fast prover, fast verifier, big proof
G16_SLOW = Cost(5.0, 0.200, 500)


def pick(costs: dict[int, dict[str, Cost]], options: AssignOptions, base=(0.0, 0), req=None):
    pc = PlanCosts(costs, base[0], base[1])
    return choose(pc, req or {}, sorted(costs), options, "p.zkcu")


@pytest.mark.parametrize(
    "mode,want",
    [("prover", "gkr"), ("verifier", "gkr"), ("size", "groth16"), ("balanced", "gkr")],
)
def test_each_mode_minimises_its_objective(mode, want):
    out = pick({0: {"gkr": GKR_BIG, "groth16": G16_SLOW}}, AssignOptions(optimize=mode))
    assert out[0].backend == want and out[0].reason.startswith(f"{mode}: ")
    # balanced = prove + 5 verify + 1 s/MB: 1 + 0.05 + 0.1 = 1.15 s against 6.0005 s
    if mode == "balanced":
        assert "1.15 s (gkr) < 6 s (groth16)" in out[0].reason


def test_balanced_weighs_verification_and_bytes():
    slow_verify = Cost(1.0, 1.0, 1000)  # 1 + 5 + 0.001
    g16 = Cost(3.0, 0.17, 400)  # 3 + 0.85 + 0.0004
    assert pick({0: {"gkr": slow_verify, "groth16": g16}}, AssignOptions())[0].backend == "groth16"
    big = Cost(1.0, 0.01, 5_000_000)  # 1 + 0.05 + 5
    assert pick({0: {"gkr": big, "groth16": g16}}, AssignOptions())[0].backend == "groth16"


def test_a_tie_goes_to_gkr():
    same = Cost(1.0, 0.1, 1000)
    out = pick({0: {"gkr": same, "groth16": same}}, AssignOptions(optimize="prover"))
    assert out[0].backend == "gkr" and "=" in out[0].reason


def test_requests_are_kept_whatever_the_model_says():
    req = {0: Request("groth16", "--backend k=groth16")}
    out = pick(
        {0: {"gkr": GKR_BIG, "groth16": G16_SLOW}}, AssignOptions(optimize="prover"), req=req
    )
    assert (out[0].backend, out[0].reason) == ("groth16", "--backend k=groth16")


def test_limits_pick_the_cheapest_assignment_that_meets_them():
    # two launches; the proof limit forces one of them to Groth16: the one whose switch costs
    # less prove time (launch 1: +0.5 s rather than +4 s)
    costs = {
        0: {"gkr": GKR_BIG, "groth16": G16_SLOW},
        1: {"gkr": GKR_BIG, "groth16": Cost(1.5, 0.2, 500)},
    }
    opts = AssignOptions(optimize="prover", max_proof_bytes=150_000)
    out = pick(costs, opts, base=(0.05, 10_000))
    assert [out[0].backend, out[1].backend] == ["gkr", "groth16"]
    assert out[1].reason.endswith("; gkr would break --max-proof-bytes 150000")
    assert not out[0].reason.endswith("would break --max-proof-bytes 150000")
    # the verify limit is in milliseconds, on the plan's total
    fast = AssignOptions(optimize="size", max_verify_ms=300)
    out = pick(costs, fast, base=(0.05, 10_000))
    assert sorted(a.backend for a in out.values()) == ["gkr", "groth16"]


def test_unmeetable_limits_name_the_best_achievable_values():
    costs = {0: {"gkr": GKR_BIG, "groth16": G16_SLOW}}
    with pytest.raises(UserError) as e:
        pick(costs, AssignOptions(max_proof_bytes=1000), base=(0.05, 10_000))
    msg = str(e.value)
    assert msg.startswith("p.zkcu: error: no backend assignment meets --max-proof-bytes 1000")
    assert "smallest proof is ~10,500 bytes" in msg and "fastest verification ~60 ms" in msg
    with pytest.raises(UserError, match="--max-proof-bytes 20000 and --max-verify-ms 100"):
        pick(costs, AssignOptions(max_proof_bytes=20_000, max_verify_ms=100), base=(0.05, 10_000))


def test_many_launches_are_searched_greedily_and_meet_the_limit():
    n = assign.EXHAUSTIVE_LAUNCHES + 3
    costs = {
        i: {"gkr": Cost(1.0, 0.01, 10_000), "groth16": Cost(1.0 + 0.1 * i, 0.2, 400)}
        for i in range(n)
    }
    out = pick(costs, AssignOptions(optimize="prover", max_proof_bytes=120_000))
    g16 = [i for i, a in out.items() if a.backend == "groth16"]
    # each switch saves 9,600 bytes: 15 x 10,000 = 150,000 needs 4 switches, the cheapest ones
    assert g16 == [0, 1, 2, 3]


# ---- real programs --------------------------------------------------------------------------
def test_examples_keep_sensible_choices():
    for name in EXAMPLE_NAMES:
        plan = compile_path(EXAMPLES / name / f"{name}.zkcu")
        got = {
            plan.host.steps[a.step].kernel: (a.backend, a.reason) for a in plan.assignments.values()
        }
        if plan.field == "m31":  # a fused launch quotes its parts' reasons
            assert all(
                b == "gkr" and r.endswith("m31: Groth16 needs BN254") for b, r in got.values()
            ), name
    mixed = compile_path(EXAMPLES / "mixed_bn254" / "mixed_bn254.zkcu")
    assert [(b, r.split(":")[0]) for _, b, r in launches(mixed)] == [
        ("gkr", "balanced"),
        ("groth16", "requested by __groth16__ at mixed_bn254.zkcu"),
    ]
    assert compile_path(EXAMPLES / "poseidon_bn254" / "poseidon_bn254.zkcu").backend(0) == "gkr"


def test_inference_example_splits_by_the_models_choice():
    src = EXAMPLES / "inference_bn254" / "inference_bn254.zkcu"
    plan = compile_path(src, options=AssignOptions(optimize="verifier", fuse=False))
    got = [(plan.host.steps[i].kernel, b, r.split(":")[0]) for i, b, r in launches(plan)]
    assert got == [
        ("hidden", "gkr", "verifier"),
        ("score", "gkr", "verifier"),
        ("decide", "groth16", "verifier"),
    ]
    assert all(k.ir.backend is None for k in plan.kernels.values())  # no attribute asked
    # with fusion (the default) the two GKR layers are one launch; decide stays Groth16
    fused = compile_path(src, options=AssignOptions(optimize="verifier"))
    got = [(fused.host.steps[i].kernel, b, r.split(" ")[0]) for i, b, r in launches(fused)]
    assert got == [("hidden+score", "gkr", "fused"), ("decide", "groth16", "verifier:")]


def test_one_kernel_launched_twice_gets_two_backends_and_proves(tmp_path):
    plan = compile_path(write(tmp_path, "twice.zkcu", TWICE))
    assert [b for _, b, _ in launches(plan)] == ["groth16", "gkr"]
    k = plan.kernels["h"]
    assert k.backend == "mixed" and k.backends == ("gkr", "groth16")
    assert k.stats["r1cs_constraints"] > 0 and k.stats["mul_gates"] > 0
    data = plan.to_bytes()
    again = Plan.from_bytes(data)
    assert again.to_bytes() == data and groth16_steps(again) == [0]
    F = get_field("bn254")
    inputs = {"one": F.array([1, 2]), "many": F.array([v for i in range(64) for v in (i, i * i)])}
    pks, vks = setup_plan(again)
    proof = prove(again, plan_digest(data), inputs, keys=pks, randomness=SEEDED).to_bytes()
    assert set(verify(again, plan_digest(data), proof, keys=vks)) == {"one", "many", "d1", "dm"}


def test_command_line_requests(tmp_path):
    src = write(tmp_path, "twice.zkcu", TWICE)
    plan = tmp_path / "t.zkplan"

    def backends(*flags) -> list[str]:
        invoke("compile", src, "-o", plan, *flags)
        return [a.backend for a in Plan.from_bytes(plan.read_bytes()).assignments.values()]

    assert backends() == ["groth16", "gkr"]
    assert backends("--backend", "gkr") == ["gkr", "gkr"]
    assert backends("--backend", "h=groth16") == ["groth16", "groth16"]
    # the per-kernel form wins over the global one
    assert backends("--backend", "groth16", "--backend", "h=gkr") == ["gkr", "gkr"]
    loaded = Plan.from_bytes(plan.read_bytes())
    assert loaded.assignments[0].reason == "--backend h=gkr"
    assert loaded.options.kernel_backends == (("h", "gkr"),) and loaded.backend_option == "groth16"
    # an attribute is a hard request; the command line overrides it
    attr = write(
        tmp_path, "attr.zkcu", TWICE.replace("__global__ void h", "__global__ __gkr__ void h")
    )
    invoke("compile", attr, "-o", plan, "--optimize", "size")
    reasons = [a.reason for a in Plan.from_bytes(plan.read_bytes()).assignments.values()]
    assert reasons == ["requested by __gkr__ at attr.zkcu:4"] * 2
    invoke("compile", attr, "-o", plan, "--backend", "h=groth16")
    assert groth16_steps(Plan.from_bytes(plan.read_bytes())) == [0, 1]


def test_bad_requests_are_one_line_errors(tmp_path):
    m31 = write(tmp_path, "sq.zkcu", M31)
    out = tmp_path / "x.zkplan"
    r = zkcc("compile", str(m31), "-o", str(out), "--backend", "sq=groth16")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{m31}:2:" in r.stderr and "'sq'" in r.stderr and "--backend sq=groth16" in r.stderr
    assert "bn254" in r.stderr and not out.exists()
    twice = write(tmp_path, "twice.zkcu", TWICE)
    r = zkcc("compile", str(twice), "-o", str(out), "--backend", "nope=gkr")
    assert (
        r.returncode == 2
        and "launches no kernel 'nope'" in r.stderr
        and "(its kernels: h)" in r.stderr
    )
    for bad in ("h=plonk", "=gkr", "plonk"):
        r = zkcc("compile", str(twice), "-o", str(out), "--backend", bad)
        assert r.returncode == 2 and "--backend" in r.stderr and "Traceback" not in r.stderr
    r = zkcc("compile", str(twice), "-o", str(out), "--backend", "h=gkr", "--backend", "h=groth16")
    assert r.returncode == 2 and "two backends" in r.stderr
    assert not out.exists()


def test_m31_explains_why_groth16_was_not_considered(tmp_path):
    m31 = write(tmp_path, "sq.zkcu", M31)
    r = invoke("compile", m31, "-o", tmp_path / "s.zkplan", "--explain", "--optimize", "size")
    assert "-> gkr: m31: Groth16 needs BN254" in r.output
    rows = json.loads(invoke("compile", m31, "-o", tmp_path / "s.zkplan", "--json").output)
    (row,) = rows["launches"]
    assert row["reason"] == "m31: Groth16 needs BN254" and set(row["estimates"]) == {"gkr"}
    assert row["constraints"] is None and row["gates"] > 0 and row["depth"] > 0


def test_limits_through_the_compiler(tmp_path):
    src = write(tmp_path, "twice.zkcu", TWICE)
    out = tmp_path / "t.zkplan"
    # the balanced choice has a ~500 kB proof; 150 kB is met by moving the big launch
    plan = compile_path(src, options=AssignOptions(max_proof_bytes=150_000))
    assert [b for _, b, _ in launches(plan)] == ["groth16", "groth16"]
    assert launches(plan)[1][2].endswith("gkr would break --max-proof-bytes 150000")
    r = zkcc("compile", str(src), "-o", str(out), "--max-proof-bytes", "1000")
    assert r.returncode == 2 and "Traceback" not in r.stderr and not out.exists()
    assert "twice.zkcu: error: no backend assignment meets --max-proof-bytes 1000" in r.stderr
    assert "smallest proof is ~" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    # limits are decided on exact proof sizes (the additive model is off once launches
    # leave GKR): the least-objective assignment among those whose exact size fits
    inference = EXAMPLES / "inference_bn254" / "inference_bn254.zkcu"
    draft = compile_path(inference, options=AssignOptions(backend="gkr", fuse=False))
    costs = assign.plan_costs(draft)
    exact = {
        combo: costs.totals(dict(enumerate(combo)), exact=True)[0]
        for combo in itertools.product(("gkr", "groth16"), repeat=3)
    }
    sizes = sorted(set(exact.values()))
    limit = sizes[len(sizes) // 2]
    plan = compile_path(inference, options=AssignOptions(max_proof_bytes=limit, fuse=False))
    got = tuple(a.backend for a in plan.assignments.values())

    def objective(combo) -> float:
        return sum(costs.launches[i][b].objective("balanced") for i, b in enumerate(combo))

    assert got == min((c for c in exact if exact[c] <= limit), key=objective)
    assert proof_bytes(plan) == exact[got] <= limit
    with pytest.raises(UserError, match=f"the smallest proof is ~{sizes[0]:,} bytes"):
        compile_path(inference, options=AssignOptions(max_proof_bytes=sizes[0] - 1, fuse=False))
    # m31: nothing to choose, the limit is still checked
    m31 = write(tmp_path, "sq.zkcu", M31)
    with pytest.raises(UserError, match="--max-verify-ms 1: the smallest proof"):
        compile_path(m31, options=AssignOptions(max_verify_ms=1))
    assert compile_path(m31, options=AssignOptions(max_verify_ms=10_000)).backend(0) == "gkr"


def test_explain_and_json_give_one_row_per_launch(tmp_path):
    src = write(tmp_path, "chain.zkcu", CHAIN)
    plan = tmp_path / "c.zkplan"
    summary = json.loads(invoke("compile", src, "-o", plan, "--json").output)
    rows = summary["launches"]
    assert [(r["step"], r["kernel"], r["instances"], r["backend"]) for r in rows] == [
        (DERIVE, "derive", 1, "groth16"),
        (MASK, "mask", 8, "gkr"),
        (FOLD, "fold", 1, "groth16"),
    ]
    for r in rows:
        assert set(r["estimates"]) == {"gkr", "groth16"} and r["reason"].startswith("balanced: ")
        assert r["gates"] > 0 and r["constraints"] > 0 and r["depth"] > 0
    assert summary["options"] == {
        "backend": "",
        "kernel_backends": [],
        "optimize": "balanced",
        "max_proof_bytes": 0,
        "max_verify_ms": 0,
        "fuse": True,
    }
    assert summary["kernels"]["fold"]["backend"] == "groth16"
    text = invoke("compile", src, "-o", plan, "--explain").output
    assert "assignment (--optimize balanced)" in text
    assert (
        f"step {MASK} mask<<<8>>>: " in text
        and "*gkr prove" in text
        and "-> gkr: balanced:" in text
    )


def test_the_plan_does_not_depend_on_the_machine_profile(tmp_path, monkeypatch):
    src = write(tmp_path, "twice.zkcu", TWICE)
    a, b = tmp_path / "a.zkplan", tmp_path / "b.zkplan"
    invoke("compile", src, "-o", a, "--optimize", "prover")
    # a machine where Groth16 is 1000x cheaper: its local estimate would choose differently
    rates = {k: v / 1000 if k.startswith("bn254.g") else v for k, v in prof.DEFAULT_RATES.items()}
    here = prof.Profile(rates, prof.DEFAULT_BASE_RSS, "calibrated", prof.machine_id())
    prof.save_profile(here)
    assert prof.load_profile().source == "calibrated"
    r = invoke("compile", src, "-o", b, "--optimize", "prover", "--explain")
    assert a.read_bytes() == b.read_bytes()
    assert "(calibrated rates)" in r.output and "the reasons quote the default rates" in r.output


def test_plan_format_records_assignments_and_options(tmp_path):
    src = write(tmp_path, "twice.zkcu", TWICE)
    opts = AssignOptions(None, (("h", "gkr"),), "verifier", 10**6, 5000, fuse=False)
    data = compile_path(src, options=opts).to_bytes()
    assert Plan.from_bytes(data).options == opts
    _, tree = decode(data, MAGIC, VERSION, "plan")
    assert VERSION == 10 and [a["step"] for a in tree["assignments"]] == [0, 1]

    def refused(change, match: str) -> None:
        t = copy.deepcopy(tree)
        change(t)
        with pytest.raises(FormatError, match=match):
            Plan.from_bytes(encode(MAGIC, VERSION, t))

    refused(lambda t: t["assignments"].pop(), "assignments")
    refused(lambda t: t["assignments"][1].update(step=2), "expected the launch at step 1")
    refused(lambda t: t["assignments"][0].update(backend="plonk"), "backend")
    refused(lambda t: t["assignments"][0].update(backend="groth16"), "recorded as gkr")
    refused(lambda t: t["options"].update(optimize="fastest"), "optimize")
    refused(lambda t: t["options"].update(kernel_backends=[["h", "x"]]), "kernel_backends")

    def call_of_a_call(t) -> None:  # a location's call is one level deep (SourceLoc.call)
        locs = t["kernels"][0]["ir"]["locs"]
        at = next(i for i, loc in enumerate(locs) if loc is not None)
        site = locs[at][:4]
        locs[at] = [*site, [*site, [*site, None]]]

    refused(call_of_a_call, "a call's location has no call of its own")
    # Groth16 in an m31 plan
    m31 = compile_path(write(tmp_path, "sq.zkcu", M31)).to_bytes()
    _, mt = decode(m31, MAGIC, VERSION, "plan")
    mt["assignments"][0]["backend"] = "groth16"
    mt["kernels"][0]["backend"] = "groth16"
    with pytest.raises(FormatError, match="Groth16 launch in a m31 plan"):
        Plan.from_bytes(encode(MAGIC, VERSION, mt))
    with pytest.raises(FormatError, match="plan format 3 is from an older zkcc"):
        Plan.from_bytes(encode(MAGIC, 3, tree))


# ---- proofs of a plan the model assigned, tampered at each boundary -------------------------
@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """CHAIN compiled with the default options, set up, proved (and verified by the CLI with
    --source: the recorded options reproduce the plan)."""
    tmp = tmp_path_factory.mktemp("chain")
    src = write(tmp, "chain.zkcu", CHAIN)
    data = compile_path(src).to_bytes()
    plan = Plan.from_bytes(data)
    assert groth16_steps(plan) == [DERIVE, FOLD] and plan.backend(MASK) == "gkr"
    F = get_field("bn254")
    inputs = {
        "seed": F.array(CHAIN_INPUTS["seed"]),
        "xs": F.array([v for row in CHAIN_INPUTS["xs"] for v in row]),
    }
    pks, vks = setup_plan(plan)
    digest = plan_digest(data)
    proof = prove(plan, digest, inputs, keys=pks, randomness=SEEDED).to_bytes()
    return {"src": src, "plan": plan, "digest": digest, "inputs": inputs, "pks": pks,
            "vks": vks, "proof": proof}  # fmt: skip


def _verify(chain, proof: bytes):
    return verify(chain["plan"], chain["digest"], proof, keys=chain["vks"])


def _tree(proof: bytes):
    return decode(proof, bundle.MAGIC, bundle.VERSION, "proof")[1]


def _flip(rng: random.Random, v: bytes) -> bytes:
    i = rng.randrange(len(v))
    return v[:i] + bytes([v[i] ^ (1 << rng.randrange(8))]) + v[i + 1 :]


def test_honest_chain_is_accepted(chain):
    assert set(_verify(chain, chain["proof"])) == {"d"}
    tree = _tree(chain["proof"])
    assert set(tree["steps"][DERIVE]) == {"a", "b", "c", "d", "pok", "values"}
    assert set(tree["steps"][FOLD]) == {"a", "b", "c", "d", "pok", "values"}
    assert "layers" in tree["steps"][MASK]


@pytest.mark.parametrize("step", [DERIVE, FOLD], ids=["groth16-to-gkr", "gkr-to-groth16"])
def test_every_groth16_boundary_part_is_checked(chain, step):
    rng = random.Random(step)
    tree = _tree(chain["proof"])
    for key in ("a", "b", "c", "d", "pok", "values"):
        bad = copy.deepcopy(tree)
        bad["steps"][step][key] = _flip(rng, bad["steps"][step][key])
        with pytest.raises(REFUSED):
            _verify(chain, encode(bundle.MAGIC, bundle.VERSION, bad))


def test_the_gkr_side_of_both_boundaries_is_checked(chain):
    rng = random.Random(7)
    tree = _tree(chain["proof"])
    gkr = tree["steps"][MASK]
    parts = [("mask",)] + [
        ("layers", i, k) for i in (0, len(gkr["layers"]) - 1) for k in ("vx", "vy")
    ]
    for path in parts:
        bad = copy.deepcopy(tree)
        node = bad["steps"][MASK]
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = _flip(rng, node[path[-1]])
        with pytest.raises(REFUSED):
            _verify(chain, encode(bundle.MAGIC, bundle.VERSION, bad))


def test_swapped_boundary_tensors_are_rejected(chain, monkeypatch):
    """The prover commits `key` (Groth16 -> GKR boundary) where `ys` (GKR -> Groth16) belongs
    in the packed commitment and the reverse; its launches see the true values."""
    assert {"key", "ys"} <= committed_tensors(chain["plan"])
    swap_committed_tables(monkeypatch, chain["plan"], "key", "ys")
    plan = chain["plan"]
    bad = prove(plan, chain["digest"], chain["inputs"], keys=chain["pks"]).to_bytes()
    monkeypatch.undo()
    with pytest.raises(ProofRejected):
        _verify(chain, bad)


def _lying_proof(chain, monkeypatch, kernel: str, tensor: str) -> bytes:
    """A prover whose launch of `kernel` reads a `tensor` one element off the committed one
    (its witness, its GKR input layer or its Groth16 wires all see the fake, so the launch's
    own check passes): only the commit-and-prove link can catch it."""
    F = get_field("bn254")
    real_run, real_args = steps_module.run_launch, steps_module.launch_args
    real_layer0 = steps_module.assemble_layer0

    def bump(t):
        t[0] = F.add(t[0], F.array(1))
        return t

    def fake(data):
        return with_changed(data, tensor, bump)

    def lying_run(F_, program, step, tensors):
        return real_run(F_, program, step, fake(tensors) if step.kernel == kernel else tensors)

    def lying_args(program, i, data):
        return real_args(program, i, fake(data) if program.host.steps[i].kernel == kernel else data)

    def lying_layer0(F_, circuit, sources, data, shard, shared):
        mine = {t for t, _ in sources.values()}
        # the launch's circuit, or the hiding one made from it (it shares the residue layer)
        ours = chain["plan"].kernels[kernel].circuit.layers[-1]
        if circuit.layers[-1] is ours and tensor in mine:
            data = fake(data)
            shared = steps_module.broadcast_inputs(F_, circuit, sources, data)
        return real_layer0(F_, circuit, sources, data, shard, shared)

    monkeypatch.setattr(steps_module, "run_launch", lying_run)
    monkeypatch.setattr(steps_module, "launch_args", lying_args)
    monkeypatch.setattr(steps_module, "assemble_layer0", lying_layer0)
    plan = chain["plan"]
    return prove(plan, chain["digest"], chain["inputs"], keys=chain["pks"]).to_bytes()


@pytest.mark.parametrize(
    "kernel,tensor",
    [("mask", "key"), ("fold", "ys")],
    ids=["groth16-to-gkr", "gkr-to-groth16"],
)
def test_a_launch_reading_other_boundary_values_is_rejected(chain, monkeypatch, kernel, tensor):
    bad = _lying_proof(chain, monkeypatch, kernel, tensor)
    monkeypatch.undo()
    with pytest.raises(ProofRejected, match="opening"):  # past the GKR and pairing checks
        _verify(chain, bad)


@pytest.mark.slow
def test_verify_source_reproduces_the_recorded_options(tmp_path):
    """A plan compiled with options reproduces under `verify --source`; the same plan with
    one launch moved to another backend (and a valid proof for it) is refused."""
    src = write(tmp_path, "twice.zkcu", TWICE)
    plan_path, proof_path = tmp_path / "t.zkplan", tmp_path / "t.zkproof"
    flags = ["--optimize", "verifier", "--backend", "h=gkr", "--max-verify-ms", "60000"]
    invoke("compile", src, "-o", plan_path, *flags)
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"one": [[1, 2]], "many": [[i, i * i] for i in range(64)]}))
    invoke("prove", "-q", plan_path, "-i", inputs, "-o", proof_path)
    r = zkcc("verify", str(plan_path), str(proof_path), "--source", str(src), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["pinned"] == ["source"], r.stdout
    # the prover picks Groth16 for launch 0 itself (a plan the trusted options never give)
    _, tree = decode(plan_path.read_bytes(), MAGIC, VERSION, "plan")
    tree["assignments"][0]["backend"] = "groth16"
    tree["kernels"][0]["backend"] = "mixed"
    forged = tmp_path / "f.zkplan"
    forged.write_bytes(encode(MAGIC, VERSION, tree))
    invoke("setup", "-q", forged)
    invoke("prove", "-q", forged, "-i", inputs, "-o", proof_path)
    assert zkcc("verify", str(forged), str(proof_path)).returncode == 0
    r = zkcc("verify", str(forged), str(proof_path), "--source", str(src))
    assert r.returncode == 1 and f"not the compilation of {src}" in r.stderr
