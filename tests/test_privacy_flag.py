"""The zero-knowledge switch and the privacy report: `zkcc compile --no-zk` is recorded in the
plan (format 2) and changes its digest, plans stay byte-deterministic, a format-1 plan is
refused with a reason, the merkle PCS is never recorded as zero-knowledge, and compile,
inspect and verify report what a plan's proofs hide, computed from the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import EXAMPLES
from test_cli import zkcc

from zkcc.analysis.privacy import (
    GKR_HIDING,
    GKR_NOT_HIDING,
    GROTH16_HIDING,
    GROTH16_PLAIN_HIDING,
    NOT_USED,
    privacy_report,
)
from zkcc.cli import cli
from zkcc.driver import compile_path, plan_program
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError
from zkcc.frontend import compile_source
from zkcc.plan.plan import MAGIC, VERSION, Plan

DOT = EXAMPLES / "dot"

# a Groth16 launch over public tensors only: no commitment, no GKR, no evaluation in clear
GROTH16_PUBLIC = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1];
}
__host__ void main(public field xs[6][2], public out field ys[6][1]) {
    cube<<<6>>>(xs, ys);
}
"""


def invoke(*args: str | Path) -> Result:
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 0, (r.output, r.exception)
    return r


def compile_dot(plan: Path, *flags: str) -> dict:
    """Compile examples/dot to `plan`; returns the --json summary."""
    return json.loads(invoke("compile", DOT / "dot.zkcu", "-o", plan, "--json", *flags).stdout)


def test_no_zk_is_recorded_and_changes_the_digest(tmp_path):
    zk, plain = tmp_path / "zk.zkplan", tmp_path / "plain.zkplan"
    with_zk, without = compile_dot(zk), compile_dot(plain, "--no-zk")
    assert (with_zk["zk"], without["zk"]) == (True, False)
    assert Plan.from_bytes(zk.read_bytes()).zk and not Plan.from_bytes(plain.read_bytes()).zk
    assert with_zk["digest"] != without["digest"]
    assert with_zk["privacy"]["requested"] and not without["privacy"]["requested"]
    _, tree = decode(plain.read_bytes(), MAGIC, VERSION, "plan")
    assert tree["zk"] is False and VERSION >= 2  # "zk" since plan format 2
    assert plain.read_bytes() == compile_path(DOT / "dot.zkcu", zk=False).to_bytes()


@pytest.mark.parametrize("flags", [(), ("--no-zk",)], ids=["zk", "no-zk"])
def test_same_source_gives_identical_plans(tmp_path, flags):
    a, b = tmp_path / "a.zkplan", tmp_path / "b.zkplan"
    compile_dot(a, *flags)
    compile_dot(b, *flags)
    assert a.read_bytes() == b.read_bytes()


def test_old_plan_formats_are_refused_with_a_reason(tmp_path):
    current = tmp_path / "d.zkplan"
    compile_dot(current)
    _, tree = decode(current.read_bytes(), MAGIC, VERSION, "plan")
    del tree["zk"]
    old = tmp_path / "old.zkplan"
    old.write_bytes(encode(MAGIC, 1, tree))
    for args in (["inspect", str(old)], ["verify", str(old), str(tmp_path / "none.zkproof")]):
        r = zkcc(*args)
        assert r.returncode == 2, r.stderr
        assert "plan format 1 is from an older zkcc" in r.stderr
        assert "recompile the source with `zkcc compile`" in r.stderr
        assert "Traceback" not in r.stderr


def test_merkle_warns_and_is_never_recorded_as_zero_knowledge(tmp_path):
    plan = tmp_path / "m.zkplan"
    r = invoke("compile", DOT / "dot.zkcu", "-o", plan, "--pcs", "merkle")
    assert "merkle PCS reveals the committed tensors" in r.stderr and "--no-zk" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    loaded = Plan.from_bytes(plan.read_bytes())
    assert not loaded.zk
    assert privacy_report(loaded).pcs.status.startswith("revealing: the merkle PCS")
    r = invoke("compile", DOT / "dot.zkcu", "-o", plan, "--pcs", "merkle", "--no-zk")
    assert r.stderr == ""
    # the API records the same; a stranger's plan claiming zero knowledge with merkle is refused
    assert not compile_path(DOT / "dot.zkcu", pcs="merkle").zk
    loaded.zk = True
    with pytest.raises(FormatError, match="merkle PCS, which reveals tensors"):
        Plan.from_bytes(loaded.to_bytes())


@pytest.mark.parametrize("no_zk", [False, True], ids=["zk", "no-zk"])
def test_proof_verifies_and_reports_privacy(tmp_path, no_zk):
    """examples/dot proved from each setting verifies; verify --json and inspect --json give
    the plan's privacy report with the PCS status of that setting."""
    plan, proof = tmp_path / "d.zkplan", tmp_path / "d.zkproof"
    compile_dot(plan, *(["--no-zk"] if no_zk else []))
    invoke("prove", "-q", plan, "-i", DOT / "inputs.json", "-o", proof)
    verdict = json.loads(invoke("verify", plan, proof, "--json").stdout)
    assert verdict["status"] == "accepted"
    summary = json.loads(invoke("inspect", plan, "--json").stdout)
    assert summary["zk"] is not no_zk
    for privacy in (verdict["privacy"], summary["privacy"]):
        assert privacy["requested"] is not no_zk
        assert privacy["zero_knowledge"] is not no_zk
        assert privacy["gkr"] == (GKR_NOT_HIDING if no_zk else GKR_HIDING)
        assert privacy["groth16"] == privacy["evaluations"] == NOT_USED
        if no_zk:
            assert privacy["pcs"].startswith("revealing: compiled with --no-zk")
        else:
            assert privacy["pcs"] == "hiding"
        assert privacy["revealed"][1:] == [
            "tensor shapes: xs[1024][8], w[8], ys[1024][1]",
            "public tensor values: xs, ys",
        ]


def test_explain_and_inspect_print_the_privacy_lines(tmp_path):
    plan = tmp_path / "d.zkplan"
    out = invoke("compile", DOT / "dot.zkcu", "-o", plan, "--explain").stdout
    assert "privacy: zero-knowledge" in out
    assert "    pcs: hiding\n" in out and f"    gkr: {GKR_HIDING}\n" in out
    assert "reveals public tensor values: xs, ys" in out
    out = invoke("inspect", plan).stdout
    assert "zk: True" in out and "privacy: zero-knowledge" in out
    compile_dot(plan, "--no-zk")
    out = invoke("inspect", plan).stdout
    assert "privacy: NOT zero-knowledge" in out and f"    gkr: {GKR_NOT_HIDING}\n" in out


def test_every_part_must_hide():
    """A Groth16 launch over public tensors hides everything; so does one linked to a private
    input (masked link, linked claims), and a plan with GKR launches; --no-zk or the merkle
    PCS makes a plan not zero-knowledge."""
    alone = privacy_report(plan_program(compile_source(GROTH16_PUBLIC, "cube.zkcu")))
    assert alone.zero_knowledge
    assert alone.to_json()["pcs"].startswith(NOT_USED)
    assert alone.groth16.status == GROTH16_PLAIN_HIDING  # nothing committed: no D
    assert alone.to_json()["revealed"][2] == "public tensor values: xs, ys"

    # a private input that only the Groth16 launch reads is its witness: nothing committed
    name = "poseidon_bn254_groth16"
    witness = privacy_report(compile_path(EXAMPLES / name / f"{name}.zkcu")).to_json()
    assert witness["zero_knowledge"] and witness["gkr"] == NOT_USED
    assert witness["pcs"].startswith(NOT_USED) and witness["groth16"] == GROTH16_PLAIN_HIDING
    assert witness["evaluations"] == NOT_USED

    src = EXAMPLES / "mixed_bn254" / "mixed_bn254.zkcu"
    linked = privacy_report(compile_path(src)).to_json()
    assert linked["zero_knowledge"] and linked["gkr"] == GKR_HIDING
    assert linked["pcs"] == "hiding" and linked["groth16"] == GROTH16_HIDING
    assert linked["evaluations"].startswith("hiding: linked claims")
    assert "launch 1 hash_pairs (groth16 link)" in linked["evaluations"]
    for plan in (compile_path(src, zk=False), compile_path(src, pcs="merkle")):
        report = privacy_report(plan)
        assert not report.zero_knowledge and not report.pcs.hides

    pipeline = privacy_report(compile_path(EXAMPLES / "pipeline" / "pipeline.zkcu")).to_json()
    assert "step 3 assert_eq" in pipeline["evaluations"]  # two intermediates: linked
    assert pipeline["evaluations"].startswith("hiding") and pipeline["zero_knowledge"]
    # three launches read only the public xs (zkcc.runtime.claims.zk_launches)
    assert pipeline["gkr"].startswith(GKR_HIDING + "; without masks: launch 0 square")
