"""Launch fusion (zkcc/ir/fuse.py, zkcc/analysis/fusion.py; docs/costmodel.md "Fusion"): which
launch pairs are sites, the fused kernel against the unfused program on random inputs (the
slow reference interpreter, tests/ir_reference.py), the model's choice, --no-fuse, the
command line, and proofs of fused plans whose GKR->Groth16 and Groth16->GKR boundaries were
chosen by the model, tampered at each boundary."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import replace

import pytest
from helpers import EXAMPLES, SEEDED, committed_tensors, merkle_path_counts, swap_committed_tables
from ir_reference import flatten, run_program
from test_assignment import REFUSED, _flip, _lying_proof, _tree, invoke, write

from zkcc.analysis.assign import AssignOptions
from zkcc.analysis.costmodel import proof_bytes
from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError
from zkcc.field import get_field
from zkcc.frontend import compile_file
from zkcc.ir.fuse import fuse_site, fused_parts, fusion_site, fusion_sites
from zkcc.ir.host import Launch
from zkcc.ir.passes import validate_kernel
from zkcc.plan.plan import MAGIC, VERSION, Plan, plan_digest
from zkcc.runtime import bundle
from zkcc.runtime.claims import proof_tensors
from zkcc.runtime.execute import execute
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

# lift -> mix -> out over the same 64 instances. `t` reaches mix through a reshape that
# changes the per-instance shape ([2][2] -> [4]: the same 4 elements per instance, row-major);
# both read the broadcast `k` (merged into one parameter); `ys` links mix and out.
LINKED = """#pragma field m31
const int N = 64;

__global__ void lift(const field x[2], __broadcast__ const field k[1], field t[2][2]) {
    t[0][0] = x[0] * x[0] + k[0];
    t[0][1] = x[0] * x[1];
    t[1][0] = x[1] - k[0];
    t[1][1] = x[1] * x[1] * x[1];
}

__global__ void mix(const field v[4], __broadcast__ const field k[1], field y[1]) {
    y[0] = v[0] * v[3] + v[1] * v[2] + k[0] * v[1];
}

__global__ void out(const field y[1], field z[1]) {
    z[0] = y[0] * y[0] + 1;
}

__host__ void main(public field xs[N][2], private field k[1], public out field zs[N][1]) {
    field t[N][2][2];
    lift<<<N>>>(xs, k, t);
    field tv[N][4] = reshape(t);
    field ys[N][1];
    mix<<<N>>>(tv, k, ys);
    out<<<N>>>(ys, zs);
}
"""
LIFT, MIX = 0, 1  # host steps of the source program


def linked_inputs(rng: random.Random, p: int) -> dict[str, list]:
    return {
        "xs": [[rng.randrange(p), rng.randrange(p)] for _ in range(64)],
        "k": [rng.randrange(p)],
    }


def field_inputs(F, program, values: dict) -> dict:
    return {
        t.name: F.array(flatten(values[t.name])) for t in program.host.tensors if t.name in values
    }


def public_outputs(F, plan: Plan, values: dict) -> dict[str, list[int]]:
    result = execute(plan.program, F, field_inputs(F, plan.program, values))
    return {t.name: F.to_ints(result.tensors[t.name]) for t in plan.host.tensors
            if t.kind.value == "public_out"}  # fmt: skip


@pytest.fixture(autouse=True)
def no_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# ---- sites ------------------------------------------------------------------------------------
def test_sites_of_a_chain_and_the_fused_kernel(tmp_path):
    program = compile_file(write(tmp_path, "linked.zkcu", LINKED))
    sites = fusion_sites(program)
    assert [(s.first, s.dropped) for s in sites] == [(LIFT, ("t",)), (MIX, ("ys",))]
    # mix's `k` is lift's `k` (same argument, shape, broadcast): one parameter
    assert sites[0].links == ((0, 2),) and sites[0].merged == ((1, 1),)
    p = get_field("m31").p
    fused = fuse_site(program, sites[0], p)
    (first, second) = fused.host.steps
    assert first == Launch("lift+mix", 64, ("xs", "k", "ys"), program.host.steps[0].loc)
    k = fused.kernels["lift+mix"]
    assert [(x.name, x.shape, x.is_output, x.broadcast) for x in k.params] == [
        ("x", (2,), False, False),
        ("k", (1,), False, True),
        ("y", (1,), True, False),
    ]
    assert validate_kernel(k, p) == [] and fused_parts("lift+mix") == ("lift", "mix")
    assert {t.name for t in fused.host.tensors} == {"xs", "k", "zs", "ys"}
    assert fused.host.views == [] and set(fused.kernels) == {"lift+mix", "out"}
    # the chain: the fused launch is a site with the next one
    again = fusion_site(fused, 0)
    assert again is not None and again.dropped == ("ys",)
    whole = fuse_site(fused, again, p)
    assert [s.kernel for s in whole.host.steps] == ["lift+mix+out"]
    assert fused_parts("lift+mix+out") == ("lift", "mix", "out")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fused_programs_compute_what_the_unfused_one_does(tmp_path, seed):
    """Every fusion of the chain, run by the vectorised executor, against the slow reference
    interpreter on the source program, on random inputs."""
    program = compile_file(write(tmp_path, "linked.zkcu", LINKED))
    F = get_field("m31")
    values = linked_inputs(random.Random(seed), F.p)
    want = run_program(program, F.p, values)["zs"]
    first = fuse_site(program, fusion_site(program, LIFT), F.p)
    second = fuse_site(program, fusion_site(program, MIX), F.p)
    whole = fuse_site(first, fusion_site(first, 0), F.p)
    for fused in (first, second, whole):
        got = execute(fused, F, field_inputs(F, fused, values)).tensors["zs"]
        assert F.to_ints(got) == want


# `ys` (mix -> out) made ineligible three ways; lift -> mix (through `t`) stays a site
SHARED_YS = {
    "assert_eq": [("out<<<N>>>(ys, zs);", "out<<<N>>>(ys, zs);\n    assert_eq(ys, zs);")],
    "read twice": [
        ("out<<<N>>>(ys, zs);", "out<<<N>>>(ys, zs);\n    field w[N][1];\n    out<<<N>>>(ys, w);")
    ],
    "public": [
        ("public out field zs[N][1]", "public out field zs[N][1], public out field ys[N][1]"),
        ("    field ys[N][1];\n", ""),
    ],
}


@pytest.mark.parametrize("how", sorted(SHARED_YS))
def test_a_shared_or_public_intermediate_is_not_fused(tmp_path, how):
    text = LINKED
    for old, new in SHARED_YS[how]:
        assert old in text
        text = text.replace(old, new)
    src = write(tmp_path, "shared.zkcu", text)
    assert fusion_site(compile_file(src), MIX) is None
    plan = compile_path(src)
    kernels = [s.kernel for s in plan.host.steps if isinstance(s, Launch)]
    assert kernels[:2] == ["lift+mix", "out"]
    committed = {x.name for x in proof_tensors(plan.program) if not x.public}
    assert "t" not in committed and ("ys" in committed) == (how != "public")


def test_other_counts_and_broadcast_reads_are_not_sites(tmp_path):
    src = """#pragma field m31
__global__ void sq(const field x[1], field y[1]) { y[0] = x[0] * x[0]; }
__global__ void pair(const field v[2], field s[1]) { s[0] = v[0] * v[1]; }
__global__ void total(__broadcast__ const field v[4], field s[1]) {
    s[0] = v[0] * v[1] + v[2] * v[3];
}
__host__ void main(public field xs[4][1], public out field a[2][1], public out field b[1][1]) {
    field y[4][1];
    sq<<<4>>>(xs, y);
    field y2[2][2] = reshape(y);
    pair<<<2>>>(y2, a);
    field z[4][1];
    sq<<<4>>>(xs, z);
    field zf[4] = reshape(z);
    total<<<1>>>(zf, b);
}
"""
    program = compile_file(write(tmp_path, "counts.zkcu", src))
    assert fusion_sites(program) == []  # 4 vs 2 instances; a broadcast read of z


# ---- the model's choice -----------------------------------------------------------------------
# A deep kernel then one reading a wide input: fused, the 512 inputs of `weigh` are relayed
# through the 25 layers of `power` (slower to prove and verify); apart, `ys` (64 values per
# instance: packed commitments make a tiny intermediate nearly free to commit) is committed
# (bigger proof). Only --optimize size fuses.
DEEP = """#pragma field m31
const int N = 16;
const int W = 512;
const int Y = 64;

__global__ void power(const field x[1], field y[Y]) {
    field a = x[0];
    for (int i = 0; i < 24; i++) { a = a * a + x[0]; }
    for (int j = 0; j < Y; j++) { y[j] = a + j; }
}

__global__ void weigh(const field y[Y], const field w[W], field z[1]) {
    field acc = 0;
    for (int i = 0; i < W; i++) { acc += w[i] * y[i % Y]; }
    z[0] = acc;
}

__host__ void main(public field xs[N][1], public field ws[N][W], public out field zs[N][1]) {
    field ys[N][Y];
    power<<<N>>>(xs, ys);
    weigh<<<N>>>(ys, ws, zs);
}
"""


@pytest.mark.parametrize("mode", ["balanced", "prover", "verifier", "size"])
def test_fusion_is_taken_when_the_objective_is_lower(tmp_path, mode):
    from zkcc.analysis.fusion import plan_totals

    src = write(tmp_path, "deep.zkcu", DEEP)
    apart = compile_path(src, options=AssignOptions(optimize=mode, fuse=False))
    plan = compile_path(src, options=AssignOptions(optimize=mode))
    (f,) = plan.fusions
    kernels = [s.kernel for s in plan.host.steps]
    # the record's two estimates are the two plans' own
    assert f.before == plan_totals(apart)
    assert f.after == plan_totals(compile_path(src, options=AssignOptions(optimize="size")))
    assert f.taken == (f.after.objective(mode) < f.before.objective(mode)) == (mode == "size")
    if f.taken:
        assert kernels == ["power+weigh"] and f.removed == ["ys"]
        assert plan.assignments[0].reason.startswith("fused power, weigh (ys not committed): size")
    else:
        assert kernels == ["power", "weigh"] and f.why.startswith(f"not fused: {mode} ")
        unfused = replace(plan, options=replace(plan.options, fuse=False))
        assert unfused.to_bytes() == apart.to_bytes()  # the same plan but for the option


def test_no_fuse_gives_the_unfused_plan(tmp_path):
    src = write(tmp_path, "linked.zkcu", LINKED)
    program = compile_file(src)
    plan = compile_path(src, options=AssignOptions(fuse=False))
    assert plan.host == program.host and set(plan.kernels) == {"lift", "mix", "out"}
    assert plan.fusions == [] and not plan.options.fuse
    assert [a.reason for a in plan.assignments.values()] == ["m31: Groth16 needs BN254"] * 3
    fused = compile_path(src)
    assert [s.kernel for s in fused.host.steps] == ["lift+mix+out"]
    (f,) = fused.fusions
    assert (f.parts, f.source_steps, f.removed, f.taken) == (
        ["lift", "mix", "out"], [0, 1, 2], ["t", "ys"], True,
    )  # fmt: skip


def test_fused_and_unfused_proofs_agree(tmp_path):
    """Both plans prove and verify on random inputs, publish the reference's outputs, and
    the fused proof commits neither intermediate; its size drops by the estimated saving,
    once the Merkle paths are set aside (the estimate counts their expected length; a real
    path's length follows its query set, a few hundred bytes either way)."""
    src = write(tmp_path, "linked.zkcu", LINKED)
    F = get_field("m31")
    values = linked_inputs(random.Random(5), F.p)
    want = run_program(compile_file(src), F.p, values)["zs"]
    proofs, committed, paths = {}, {}, {}
    for fuse in (False, True):
        data = compile_path(src, options=AssignOptions(fuse=fuse)).to_bytes()
        plan = Plan.from_bytes(data)
        committed[fuse] = committed_tensors(plan)
        inputs = field_inputs(F, plan.program, values)
        proof = prove(plan, plan_digest(data), inputs, randomness=SEEDED).to_bytes()
        public = verify(plan, plan_digest(data), proof)
        assert F.to_ints(public["zs"]) == want
        assert public_outputs(F, plan, values) == {"zs": want}
        proofs[fuse] = proof
        # the real Merkle paths' bytes minus the expected ones
        paths[fuse] = proof_bytes(plan, merkle_path_counts(plan, proof)) - proof_bytes(plan)
    # each GKR launch also commits its zero-knowledge mask tables (docs/zk.md)
    masks = {f"{kind}@{i}" for kind in ("zkmask", "zkrmask") for i in range(3)}
    assert committed[False] == {"k", "t", "ys"} | masks
    assert committed[True] == {"k", "zkmask@0", "zkrmask@0"}
    (f,) = compile_path(src).fusions
    saved = len(proofs[False]) - paths[False] - (len(proofs[True]) - paths[True])
    assert abs(saved - f.saved.proof_bytes) <= 16  # length prefixes


@pytest.mark.parametrize(
    "name", ["inference_bn254", pytest.param("polyeval", marks=pytest.mark.slow)]
)
def test_examples_fused_and_unfused_run_alike(name):
    """The examples with a fusion site: the same public outputs on random inputs (small
    values: inference_bn254's scores must stay below 2^24)."""
    src = EXAMPLES / name / f"{name}.zkcu"
    plans = [compile_path(src, options=AssignOptions(fuse=f)) for f in (False, True)]
    assert len(plans[1].host.steps) == len(plans[0].host.steps) - 1
    F = get_field(plans[0].field)
    rng = random.Random(name)
    values = {
        t.name: [rng.randrange(4) for _ in range(t.size)]
        for t in plans[0].host.tensors
        if t.kind.value in ("public_in", "private_in")
    }
    want = run_program(plans[0].program, F.p, values)
    outs = [public_outputs(F, p, values) for p in plans]
    assert outs[0] == outs[1] == {n: want[n] for n in outs[0]}


# ---- the command line -------------------------------------------------------------------------
def test_compile_explain_json_inspect_and_verify_source(tmp_path):
    src = write(tmp_path, "linked.zkcu", LINKED)
    fused, apart = tmp_path / "f.zkplan", tmp_path / "a.zkplan"
    summary = json.loads(invoke("compile", src, "-o", fused, "--json").output)
    assert summary["options"]["fuse"] is True
    (f,) = summary["fusions"]
    assert f["kernel"] == "lift+mix+out" and f["taken"] and f["removed"] == ["t", "ys"]
    for key in ("proof_bytes", "prove_seconds", "verify_seconds"):
        assert f["saved"][key] == pytest.approx(f["unfused"][key] - f["fused"][key], abs=1e-3)
    assert f["saved"]["prove_seconds"] > 0  # what fusing buys here (the proofs are one bin)
    assert summary["kernels"]["lift+mix+out"]["fused"] == ["lift", "mix", "out"]
    text = invoke("compile", src, "-o", fused, "--explain").output
    assert "kernel lift+mix+out (fused: lift, mix, out): backend gkr" in text
    assert (
        "lift, mix, out -> lift+mix+out<<<64>>> (step 0, gkr): t, ys not committed; saves " in text
    )
    off = json.loads(invoke("compile", src, "-o", apart, "--no-fuse", "--json").output)
    assert off["options"]["fuse"] is False and off["fusions"] == []
    assert [s["launch"] for s in off["steps"]] == ["lift", "mix", "out"]
    assert (
        "fusion: off (--no-fuse)"
        in invoke("compile", src, "-o", apart, "--no-fuse", "--explain").output
    )
    shown = invoke("inspect", fused).output
    assert (
        "kernel lift+mix+out (fused: lift, mix, out)" in shown and "fused lift, mix, out" in shown
    )
    # each plan proves, and verifies against the source recompiled with its own options
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps(linked_inputs(random.Random(9), get_field("m31").p)))
    for plan in (fused, apart):
        proof = plan.with_suffix(".zkproof")
        invoke("prove", "-q", plan, "-i", inputs, "-o", proof)
        r = invoke("verify", plan, proof, "--source", src, "--json")
        assert json.loads(r.output)["pinned"] == ["source"]
    # the fused plan is not the --no-fuse compilation, and the other way round
    r = invoke("verify", apart, fused.with_suffix(".zkproof"), ok=False)
    assert r.exit_code != 0


def test_backend_requests_name_source_kernels(tmp_path):
    src = write(tmp_path, "linked.zkcu", LINKED)
    plan = compile_path(src, options=AssignOptions(kernel_backends=(("mix", "gkr"),)))
    assert [s.kernel for s in plan.host.steps] == ["lift+mix+out"]
    assert "mix: --backend mix=gkr" in plan.assignments[0].reason
    # a fused kernel is not a source kernel: requests name the kernels of the source
    with pytest.raises(
        UserError, match="launches no kernel 'lift\\+mix' \\(its kernels: lift, mix"
    ):
        compile_path(src, options=AssignOptions(kernel_backends=(("lift+mix", "gkr"),)))


def test_plan_format_records_fuse(tmp_path):
    data = compile_path(write(tmp_path, "linked.zkcu", LINKED)).to_bytes()
    _, tree = decode(data, MAGIC, VERSION, "plan")
    assert VERSION == 10 and tree["options"]["fuse"] is True
    bad = copy.deepcopy(tree)
    bad["options"]["fuse"] = 1
    with pytest.raises(FormatError, match="fuse"):
        Plan.from_bytes(encode(MAGIC, VERSION, bad))
    with pytest.raises(FormatError, match="plan format 4 is from an older zkcc"):
        Plan.from_bytes(encode(MAGIC, 4, tree))


# ---- a fused GKR launch between two Groth16 launches, all chosen by the model ------------------
# derive (one deep instance) and fold (the batch hashed in one instance) go to Groth16, mask
# and square (8 shallow instances) to GKR, fused: `ys` leaves the proof. `key` (Groth16 ->
# fused GKR) and `zs` (fused GKR -> Groth16) are private boundaries tied by commit-and-prove.
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

__global__ void mask(const field x[2], __broadcast__ const field key[2], field y[2]) {
    y[0] = (x[0] + key[0]) * (x[1] + key[1]);
    y[1] = x[0] * x[1];
}

__global__ void square(const field y[2], __broadcast__ const field key[2], field z[1]) {
    z[0] = y[0] * y[0] + y[1] * key[1];
}

__global__ void fold(__broadcast__ const field zs[N], field d[1]) {
    field st[3] = {0, 0, 0};
    for (int i = 0; i < N; i += 2) {
        st[0] += zs[i];
        st[1] += zs[i + 1];
        poseidon3_permute(st);
    }
    d[0] = st[0];
}

__host__ void main(private field seed[2], private field xs[N][2], public out field d[1][1]) {
    field key[1][2];
    derive<<<1>>>(seed, key);
    field k2[2] = reshape(key);
    field ys[N][2];
    mask<<<N>>>(xs, k2, ys);
    field zs[N][1];
    square<<<N>>>(ys, k2, zs);
    field flat[N] = reshape(zs);
    fold<<<1>>>(flat, d);
}
"""
DERIVE, FUSED, FOLD = 0, 1, 2  # host steps of the fused plan


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """CHAIN compiled with the default options (fused), set up and proved."""
    src = write(tmp_path_factory.mktemp("chain"), "chain.zkcu", CHAIN)
    data = compile_path(src).to_bytes()
    plan = Plan.from_bytes(data)
    assert [s.kernel for s in plan.host.steps] == ["derive", "mask+square", "fold"]
    assert groth16_steps(plan) == [DERIVE, FOLD] and plan.backend(FUSED) == "gkr"
    F = get_field("bn254")
    rng = random.Random(11)
    values = {"seed": [rng.randrange(F.p) for _ in range(2)],
              "xs": [[rng.randrange(F.p) for _ in range(2)] for _ in range(8)]}  # fmt: skip
    inputs = field_inputs(F, plan.program, values)
    pks, vks = setup_plan(plan)
    digest = plan_digest(data)
    proof = prove(plan, digest, inputs, keys=pks, randomness=SEEDED).to_bytes()
    return {"src": src, "plan": plan, "digest": digest, "inputs": inputs, "values": values,
            "pks": pks, "vks": vks, "proof": proof}  # fmt: skip


def _verify(chain, proof: bytes):
    return verify(chain["plan"], chain["digest"], proof, keys=chain["vks"])


def _refused(chain, tree) -> None:
    with pytest.raises(REFUSED):
        _verify(chain, encode(bundle.MAGIC, bundle.VERSION, tree))


def test_honest_fused_chain_is_accepted_with_the_reference_output(chain):
    F = get_field("bn254")
    public = _verify(chain, chain["proof"])
    want = run_program(compile_file(chain["src"]), F.p, chain["values"])["d"]
    assert F.to_ints(public["d"]) == want
    tree = _tree(chain["proof"])
    committed = committed_tensors(chain["plan"])
    # seed: read by one Groth16 argument and nothing else, so its private witness alone
    assert committed >= {"key", "zs", "xs"} and not committed & {"ys", "seed"}
    assert "layers" in tree["steps"][FUSED] and "values" in tree["steps"][FOLD]


@pytest.mark.parametrize("step", [DERIVE, FOLD], ids=["groth16-to-gkr", "gkr-to-groth16"])
def test_each_groth16_boundary_part_is_checked(chain, step):
    rng = random.Random(step)
    tree = _tree(chain["proof"])
    for key in ("a", "b", "c", "d", "pok", "values"):
        bad = copy.deepcopy(tree)
        bad["steps"][step][key] = _flip(rng, bad["steps"][step][key])
        _refused(chain, bad)


def test_the_fused_launch_and_the_link_values_are_checked(chain):
    """The fused GKR launch's input claims (on `key` and `xs`) and layers, and the opening's
    combination of its claims (the masks' sum and the groups' sums, through which the
    relation between the boundaries' hidden claims is checked)."""
    rng = random.Random(3)
    tree = _tree(chain["proof"])
    gkr = tree["steps"][FUSED]
    parts = [("steps", FUSED, "mask")]
    parts += [
        ("steps", FUSED, "layers", i, k) for i in (0, len(gkr["layers"]) - 1) for k in ("vx", "vy")
    ]
    parts += [("opening", "mask_sum")]
    if tree["opening"]["sums"]:
        parts += [("opening", "sums")]
    for path in parts:
        bad = copy.deepcopy(tree)
        node = bad
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = _flip(rng, node[path[-1]])
        _refused(chain, bad)


def test_swapped_boundary_tensors_are_rejected(chain, monkeypatch):
    """The prover commits `key` (Groth16 -> fused GKR) where `zs` (fused GKR -> Groth16)
    belongs in the packed commitment and the reverse; its launches see the true values."""
    swap_committed_tables(monkeypatch, chain["plan"], "key", "zs")
    bad = prove(chain["plan"], chain["digest"], chain["inputs"], keys=chain["pks"]).to_bytes()
    monkeypatch.undo()
    with pytest.raises(ProofRejected):
        _verify(chain, bad)


@pytest.mark.parametrize(
    "kernel,tensor",
    [("mask+square", "key"), ("fold", "zs")],
    ids=["groth16-to-gkr", "gkr-to-groth16"],
)
def test_a_launch_reading_other_boundary_values_is_rejected(chain, monkeypatch, kernel, tensor):
    """A prover whose fused launch reads a `key` one off the committed one, or whose Groth16
    launch reads such a `zs`: each launch's own check passes, the link does not."""
    bad = _lying_proof(chain, monkeypatch, kernel, tensor)
    monkeypatch.undo()
    with pytest.raises(ProofRejected, match="opening"):
        _verify(chain, bad)


# Two Groth16 launches (requested) over the same instances: fused into one Groth16 launch.
GROTH16_PAIR = """#pragma field bn254
__global__ __groth16__ void sq(const field x[2], field y[2]) {
    y[0] = x[0] * x[0] * x[1];
    y[1] = x[1] * x[1] + x[0];
}
__global__ __groth16__ void mul(const field y[2], field z[1]) {
    z[0] = y[0] * y[1] + 3;
}
__host__ void main(private field xs[4][2], public out field zs[4][1]) {
    field ys[4][2];
    sq<<<4>>>(xs, ys);
    mul<<<4>>>(ys, zs);
}
"""


def test_two_groth16_launches_fuse_into_one_groth16_proof(tmp_path):
    src = write(tmp_path, "pair.zkcu", GROTH16_PAIR)
    data = compile_path(src).to_bytes()
    plan = Plan.from_bytes(data)
    assert [s.kernel for s in plan.host.steps] == ["sq+mul"] and groth16_steps(plan) == [0]
    assert plan.kernels["sq+mul"].ir.backend == "groth16"  # both asked for it
    assert "sq: requested by __groth16__" in plan.assignments[0].reason
    F = get_field("bn254")
    values = {"xs": [[3 * i + 1, 5 * i + 2] for i in range(4)]}
    pks, vks = setup_plan(plan)
    inputs = field_inputs(F, plan.program, values)
    proof = prove(plan, plan_digest(data), inputs, keys=pks, randomness=SEEDED).to_bytes()
    public = verify(plan, plan_digest(data), proof, keys=vks)
    assert F.to_ints(public["zs"]) == run_program(compile_file(src), F.p, values)["zs"]
    # xs is read by the fused Groth16 launch alone: its witness, not committed
    assert committed_tensors(plan) == set()


def test_a_fusion_breaking_a_limit_is_not_taken(tmp_path):
    src = write(tmp_path, "deep.zkcu", DEEP)
    free = compile_path(src, options=AssignOptions(optimize="size"))
    (f,) = free.fusions
    limit = int((f.before.verify_seconds + f.after.verify_seconds) / 2 * 1000)  # between them
    plan = compile_path(src, options=AssignOptions(optimize="size", max_verify_ms=limit))
    (g,) = plan.fusions
    assert not g.taken and g.why == f"not fused: it would break --max-verify-ms {limit}"
    assert [s.kernel for s in plan.host.steps] == ["power", "weigh"]


def test_a_limit_only_the_fused_plan_meets_is_met(tmp_path):
    """The assignment's per-launch model does not see fusion: a limit between the fused and
    the unfused plan's proof bytes compiles to the fused plan, and one below both is refused
    with the fused plan's figures beside the assignment's."""
    src = write(tmp_path, "linked.zkcu", LINKED)
    fused = compile_path(src)
    unfused = compile_path(src, options=AssignOptions(fuse=False))
    small, big = proof_bytes(fused), proof_bytes(unfused)
    assert small < big and len(fused.host.steps) < len(unfused.host.steps)
    plan = compile_path(src, options=AssignOptions(max_proof_bytes=(small + big) // 2))
    assert [s.kernel for s in plan.host.steps] == [s.kernel for s in fused.host.steps]
    with pytest.raises(UserError, match=r"no backend assignment meets --max-proof-bytes 1000: .*"
                       r"with its fusions the plan's proof is ~[\d,]+ bytes"):  # fmt: skip
        compile_path(src, options=AssignOptions(max_proof_bytes=1000))


# One kernel pair fused twice: through different outputs of `two` (two fused kernels, the
# second named `two+use#2`) and through the same one (the first fused kernel reused).
TWICE = """#pragma field m31
__global__ void two(const field x[1], field p[1], field q[1]) {
    p[0] = x[0] * x[0];
    q[0] = x[0] + 7;
}
__global__ void use(const field v[1], field z[1]) {
    z[0] = v[0] * v[0] * v[0];
}
__host__ void main(public field xs[64][1], public out field a[64][1], public out field b[64][1],
                   public out field c[64][1], public out field q1[64][1],
                   public out field p2[64][1], public out field q3[64][1]) {
    field p1[64][1];
    two<<<64>>>(xs, p1, q1);
    use<<<64>>>(p1, a);
    field q2[64][1];
    two<<<64>>>(xs, p2, q2);
    use<<<64>>>(q2, b);
    field p3[64][1];
    two<<<64>>>(xs, p3, q3);
    use<<<64>>>(p3, c);
}
"""


def test_fused_names_are_distinct_per_ir_and_deterministic(tmp_path):
    src = write(tmp_path, "twice.zkcu", TWICE)
    plan = compile_path(src)
    assert [s.kernel for s in plan.host.steps] == ["two+use", "two+use#2", "two+use"]
    assert set(plan.kernels) == {"two+use", "two+use#2"}
    data = plan.to_bytes()
    assert compile_path(src).to_bytes() == data and Plan.from_bytes(data).to_bytes() == data
    F = get_field("m31")
    rng = random.Random(4)
    values = {"xs": [[rng.randrange(F.p)] for _ in range(64)]}
    want = run_program(compile_file(src), F.p, values)
    assert public_outputs(F, plan, values) == {
        n: want[n] for n in ("a", "b", "c", "q1", "p2", "q3")
    }


def test_sites_past_the_estimate_budget_are_listed_not_estimated(tmp_path, monkeypatch):
    from zkcc.analysis import fusion

    monkeypatch.setattr(fusion, "MAX_ESTIMATES", 1)
    plan = compile_path(write(tmp_path, "twice.zkcu", TWICE))
    assert [s.kernel for s in plan.host.steps] == ["two+use", "two", "use", "two", "use"]
    (taken, skipped) = plan.fusions
    assert taken.taken and not skipped.taken and skipped.after is None
    assert skipped.why.startswith("not considered: only the first 1 sites are estimated")
