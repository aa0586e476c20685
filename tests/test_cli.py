"""The zkcc command line end to end on every example, plus exit codes and error messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from helpers import EXAMPLE_NAMES, EXAMPLES, ROOT, SLOW_EXAMPLES

ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]


def zkcc(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZKCC, *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=600,
    )


# The deep examples' CLI round trip is slow-only: test_privacy proves them in the default run.
CLI_SLOW = {"mimc", "polyeval", "poseidon_bn254"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if n in SLOW_EXAMPLES | CLI_SLOW else n
        for n in EXAMPLE_NAMES
    ],
)
def test_example_compiles_proves_and_verifies(tmp_path, name):
    src = EXAMPLES / name / f"{name}.zkcu"
    inputs = EXAMPLES / name / "inputs.json"
    plan, plan2, proof = tmp_path / "p.zkplan", tmp_path / "p2.zkplan", tmp_path / "p.zkproof"
    r = zkcc("compile", str(src), "-o", str(plan), "--explain")
    assert r.returncode == 0, r.stderr
    assert "kernel" in r.stdout
    assert zkcc("compile", str(src), "-o", str(plan2)).returncode == 0
    assert plan.read_bytes() == plan2.read_bytes(), "plans must be deterministic"

    r = zkcc("setup", str(plan))  # writes keys for Groth16 launches; says so for GKR-only plans
    assert r.returncode == 0, r.stderr

    r = zkcc("prove", str(plan), "-i", str(inputs), "-o", str(proof))
    assert r.returncode == 0, r.stderr
    assert "prove: launch" in r.stderr  # progress output

    r = zkcc("verify", str(plan), str(proof), "--json")
    assert r.returncode == 0, r.stderr
    verdict = json.loads(r.stdout)
    assert verdict["status"] == "accepted"

    r = zkcc("run", str(plan), "-i", str(inputs), "--json")
    assert r.returncode == 0, r.stderr
    for tensor, values in json.loads(r.stdout)["outputs"].items():
        assert verdict["public"][tensor] == values

    r = zkcc("inspect", str(proof), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["kind"] == "proof"


def test_rejected_proof_exits_1_and_malformed_exits_2(tmp_path):
    src = EXAMPLES / "dot" / "dot.zkcu"
    plan, proof = tmp_path / "d.zkplan", tmp_path / "d.zkproof"
    assert zkcc("compile", str(src), "-o", str(plan)).returncode == 0
    assert (
        zkcc(
            "prove", "-q", str(plan), "-i", str(EXAMPLES / "dot" / "inputs.json"), "-o", str(proof)
        ).returncode
        == 0
    )
    data = bytearray(proof.read_bytes())
    data[-5] ^= 1  # inside the last opening: a well-formed but wrong proof
    bad = tmp_path / "bad.zkproof"
    bad.write_bytes(bytes(data))
    r = zkcc("verify", str(plan), str(bad), "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["status"] == "rejected"

    garbage = tmp_path / "garbage.zkproof"
    garbage.write_bytes(b"not a proof")
    r = zkcc("verify", str(plan), str(garbage))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "garbage.zkproof" in r.stderr

    r = zkcc("verify", str(plan), str(tmp_path / "missing.zkproof"))
    assert r.returncode == 2 and "cannot read proof" in r.stderr


def test_a_directory_or_a_file_of_another_kind_is_one_line(tmp_path):
    """A bad file argument is one line naming it and what is wrong, exit 2: a directory (a
    click parameter check, which printed a usage block), a plan given as the proof, a key
    given to inspect."""
    plan = tmp_path / "p.zkplan"
    assert zkcc("compile", str(EXAMPLES / "dot" / "dot.zkcu"), "-o", str(plan)).returncode == 0
    r = zkcc("verify", str(plan), str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.strip() == f"Invalid value for 'PROOF': File '{tmp_path}' is a directory."
    r = zkcc("verify", str(plan), str(plan))
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == f"{plan}: this is a plan (from zkcc compile), not a proof (from zkcc prove)"
    )
    key = tmp_path / "k.zkvk"
    key.write_bytes(b"ZKVK\x01\x00")
    r = zkcc("inspect", str(key))
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == f"{key}: this is a verifying key (from zkcc setup); inspect reads plans and proofs"
    )


def test_keys_for_a_plan_without_groth16_are_noted_not_silently_ignored(tmp_path):
    plan, proof = tmp_path / "p.zkplan", tmp_path / "p.zkproof"
    assert zkcc("compile", str(EXAMPLES / "dot" / "dot.zkcu"), "-o", str(plan)).returncode == 0
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    assert zkcc("prove", str(plan), "-i", inputs, "-o", str(proof), "-q").returncode == 0
    r = zkcc("verify", str(plan), str(proof), "--keys", "nosuch.zkvk")
    assert r.returncode == 0
    assert "note: --keys nosuch.zkvk ignored: the plan has no Groth16 launch" in r.stderr


def test_compile_error_reports_location_and_writes_nothing(tmp_path):
    src = tmp_path / "bad.zkcu"
    src.write_text(
        "__global__ void k(const field x[2], field y[1]) {\n"
        "    y[0] = x[0] * undefined_name;\n"
        "}\n"
        "__host__ void main(public field xs[4][2], public out field ys[4][1]) {\n"
        "    k<<<4>>>(xs, ys);\n"
        "}\n"
    )
    out = tmp_path / "bad.zkplan"
    r = zkcc("compile", str(src), "-o", str(out))
    assert r.returncode == 2
    assert f"{src}:2:" in r.stderr and "undefined_name" in r.stderr and "^" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_bad_inputs_are_reported(tmp_path):
    src = EXAMPLES / "dot" / "dot.zkcu"
    plan = tmp_path / "d.zkplan"
    assert zkcc("compile", str(src), "-o", str(plan)).returncode == 0
    inputs = json.loads((EXAMPLES / "dot" / "inputs.json").read_text())
    inputs["xs"][3] = inputs["xs"][3][:-1]
    bad = tmp_path / "in.json"
    bad.write_text(json.dumps(inputs))
    r = zkcc("prove", str(plan), "-i", str(bad), "-o", str(tmp_path / "x.zkproof"))
    assert r.returncode == 2 and "xs[3]" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.zkproof").exists()


def test_failing_assertion_names_line_and_instance(tmp_path):
    src = tmp_path / "a.zkcu"
    src.write_text(
        "__global__ void k(const field x[1], field y[1]) {\n"
        "    assert(x[0] * x[0] == 4);\n"
        "    y[0] = x[0];\n"
        "}\n"
        "__host__ void main(public field xs[3][1], public out field ys[3][1]) {\n"
        "    k<<<3>>>(xs, ys);\n"
        "}\n"
    )
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"xs": [[2], [-2], [3]]}))
    r = zkcc("run", str(src), "-i", str(inputs))
    assert r.returncode == 2
    assert f"{src}:2:" in r.stderr and "instance 2" in r.stderr and "9 != 4" in r.stderr


def test_layer_widths_are_shown_as_runs_or_as_counts():
    """`--explain` writes a few runs of equal widths as runs, and a deep circuit's widths (one
    number per layer would be thousands of numbers) as how many layers have each width."""
    from zkcc.cli import _widths_text

    assert _widths_text([2048] * 4 + [1024]) == "2048 x4, 1024"
    assert _widths_text([8]) == "8"
    deep = ([256] * 3 + [128]) * 5 + [64]
    assert _widths_text(deep) == "21 layers in 11 runs; width 256 on 15, 128 on 5, 64 on 1"


def test_processes_without_mpiexec_is_refused(monkeypatch, capsys, tmp_path):
    """`--processes N` needs an mpiexec; without one, one line and exit 2, before any work."""
    from zkcc import cli
    from zkcc.driver import compile_path

    plan = tmp_path / "dot.zkplan"
    plan.write_bytes(compile_path(EXAMPLES / "dot" / "dot.zkcu").to_bytes())
    proof = tmp_path / "dot.zkproof"
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    monkeypatch.setattr(cli, "find_mpiexec", lambda: None)
    monkeypatch.setattr(sys, "argv", ["zkcc", "prove", str(plan), "-i", inputs, "-o", str(proof)])
    monkeypatch.setattr(sys, "argv", [*sys.argv, "--processes", "2"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1, err
    assert "--processes 2: no mpiexec found" in err[0]
    assert not proof.exists()
    monkeypatch.setattr(sys, "argv", ["zkcc", "prove", str(plan), "-i", "-", "-p", "3"])
    with pytest.raises(SystemExit) as e:  # only one process would get stdin
        cli.main()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and "give the inputs as a file" in err[0], err


def test_processes_tip_only_for_wide_long_proofs(monkeypatch):
    """`prove` suggests --processes for a GKR launch with wide layers (poseidon2_batch: 4,096
    instances of 32-wire layers) in a proof estimated at seconds, on a process allowed more
    than one core; not for narrow layers (mimc: 4,096 instances of 4 wires), nor for a short
    proof, nor on one core."""
    from zkcc import cli
    from zkcc.driver import compile_path
    from zkcc.field import m31_kernels

    wide = compile_path(EXAMPLES / "poseidon2_batch" / "poseidon2_batch.zkcu")
    narrow = compile_path(EXAMPLES / "mimc" / "mimc.zkcu")
    monkeypatch.setattr(m31_kernels, "_THREADS", 2)
    assert "--processes 2" in cli._processes_tip(wide, 5.0)
    assert cli._processes_tip(wide, 0.5) is None  # too short to pay for the launch
    assert cli._processes_tip(narrow, 60.0) is None
    monkeypatch.setattr(m31_kernels, "_THREADS", 1)
    assert cli._processes_tip(wide, 5.0) is None


def test_an_output_that_is_one_of_the_inputs_is_refused_before_any_work(tmp_path):
    """`compile a.zkcu -o a.zkcu` replaced the source with the plan (and a source named
    x.zkplan was its own default output); `prove -o` onto the plan or the inputs would have
    replaced them with the proof. Each is refused, exit 2, the file untouched, also through
    a symbolic link."""
    source = tmp_path / "a.zkcu"
    source.write_text((EXAMPLES / "dot" / "dot.zkcu").read_text())
    text = source.read_bytes()
    (tmp_path / "link.zkcu").symlink_to(source)
    named_like_a_plan = tmp_path / "p.zkplan"
    named_like_a_plan.write_bytes(text)
    for args in (
        ["compile", str(source), "-o", str(source)],
        ["compile", str(source), "-o", str(tmp_path / "link.zkcu")],
        ["compile", str(named_like_a_plan)],
    ):
        r = zkcc(*args)
        assert r.returncode == 2 and "would overwrite the source" in r.stderr, (args, r.stderr)
    assert source.read_bytes() == text and named_like_a_plan.read_bytes() == text
    plan = tmp_path / "b.zkplan"
    assert zkcc("compile", str(source), "-o", str(plan)).returncode == 0
    inputs = tmp_path / "in.json"
    inputs.write_text((EXAMPLES / "dot" / "inputs.json").read_text())
    kept = plan.read_bytes(), inputs.read_bytes()
    for target, what in ((plan, "plan"), (inputs, "inputs")):
        r = zkcc("prove", str(plan), "-i", str(inputs), "-o", str(target))
        assert r.returncode == 2 and f"would overwrite the {what}" in r.stderr, r.stderr
        assert "witness" not in r.stderr  # refused before the prover started
    assert (plan.read_bytes(), inputs.read_bytes()) == kept


def test_compile_and_run_print_the_programs_warnings(tmp_path):
    """The compiler's warnings (an int division that drops a remainder, an unused input)
    reach `compile` and `run` as they reach `check`; they printed nothing."""
    source = tmp_path / "w.zkcu"
    source.write_text(
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0] * (1 / 2); }\n"
        "__host__ void main(public field x[2][1], private field w[2][1], "
        "public out field y[2][1]) { k<<<2>>>(x, y); }\n"
    )
    (tmp_path / "in.json").write_text('{"x": [[3], [4]], "w": [[1], [2]]}')
    compiled = zkcc("compile", str(source), "-o", str(tmp_path / "w.zkplan"))
    ran = zkcc("run", str(source), "-i", str(tmp_path / "in.json"))
    for r in (compiled, ran):
        assert r.returncode == 0, r.stderr
        assert "w.zkcu:1:66: warning: integer division truncates: 1 / 2 is 0" in r.stderr
        assert "warning: private input 'w' is never used" in r.stderr
    assert "[0, 0]" in ran.stdout


def test_a_pinned_public_value_that_differs_is_shown_as_its_type():
    """`verify --public` names the first difference in the tensor's own terms: an iK's
    signed integer and an fxK.F's real (it printed residues: 2147483646 for -1, 80 for 5.0)."""
    from zkcc.cli import _check_public
    from zkcc.errors import ProofRejected
    from zkcc.field import get_field

    F = get_field("m31")
    cases = [("i8", -1, -2, "is -1, expected -2"), ("fx12.4", 80, 81, "is 5.0, expected 5.0625")]
    for elem, got, want, text in cases:
        public, expected = {"v": F.array([0, got])}, {"v": F.array([0, want])}
        with pytest.raises(ProofRejected, match=re.escape(f"public value v[1] {text}")):
            _check_public(F, public, expected, {"v": (2,)}, {"v": elem})


def test_verify_and_setup_verify_give_one_rejection_object(tmp_path):
    """`verify --json` and `setup verify --json` answer in one shape: "accepted", or
    {"status": "rejected", "exit_code": 1, "error", "reason"} (verify's had no exit_code or
    error, setup verify's no reason, and its "ok" was verify's "accepted"); and setup verify
    says a missing --ptau even for a plan with nothing to check."""
    plan, proof = tmp_path / "d.zkplan", tmp_path / "d.zkproof"
    assert zkcc("compile", str(EXAMPLES / "dot" / "dot.zkcu"), "-o", str(plan)).returncode == 0
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    assert zkcc("prove", str(plan), "-i", inputs, "-o", str(proof), "-q").returncode == 0
    data = bytearray(proof.read_bytes())
    data[-40] ^= 1
    proof.write_bytes(bytes(data))
    r = zkcc("verify", str(plan), str(proof), "--json")
    out = json.loads(r.stdout)
    assert r.returncode == 1 and out["status"] == "rejected" and out["exit_code"] == 1
    assert out["error"] == f"{proof}: REJECTED: {out['reason']}"
    r = zkcc("setup", "verify", str(plan), "--ptau", str(tmp_path / "none.ptau"), "--json")
    assert r.returncode == 2 and "none.ptau" in json.loads(r.stdout)["error"]
