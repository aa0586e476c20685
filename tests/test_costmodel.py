"""The cost model (zkcc/analysis/costmodel.py) and the machine profile (profile.py).

Proof bytes are checked exactly: the estimate's skeleton, with the Merkle multi-openings'
real hash counts put in place of their expected ones (the only part of the format the
query indices decide), must give the proof's size to the byte; and the plain estimate must
be within the issue's target of 5%. The query indices are Fiat-Shamir outputs, so the plain
estimate's error is random: over 40 Groth16 key setups of poseidon_bn254_groth16 (the
smallest proof, where one Merkle hash weighs most) it had mean 0.06% and standard deviation
0.65% (max 1.7%); a 2% bound failed about once in 300 runs, 5% is 7.7 deviations.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLE_NAMES, merkle_path_counts, prove_example

from zkcc.analysis import profile as prof
from zkcc.analysis.costmodel import estimate_plan, explain_rows, proof_bytes
from zkcc.cli_cost import calibrate_cmd
from zkcc.driver import compile_path
from zkcc.encoding import decode
from zkcc.errors import UserError
from zkcc.ir.host import Launch
from zkcc.plan.plan import Plan
from zkcc.runtime.bundle import MAGIC, VERSION

ESTIMATE_TOLERANCE = 0.05  # relative; see the module docstring

SMALL = ["dot", "matmul", "pipeline", "mixed_bn254", "poseidon_bn254_groth16"]
SLOW = [n for n in EXAMPLE_NAMES if n not in SMALL]


def _check_bytes(name: str, pcs: str = "ligero", zk: bool = True) -> None:
    src = f"{name}/{name}.zkcu"
    proved = prove_example(name, pcs=pcs, zk=zk)
    plan, proof = proved.plan, proved.proof
    assert plan.zk == (zk and pcs == "ligero"), src
    assert proof_bytes(plan, merkle_path_counts(plan, proof)) == len(proof), src
    est = estimate_plan(plan, prof.default_profile())
    assert abs(est.proof_bytes - len(proof)) <= ESTIMATE_TOLERANCE * len(proof), src


@pytest.mark.parametrize("name", SMALL)
def test_proof_bytes_exact(name):
    _check_bytes(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_proof_bytes_exact_slow(name):
    _check_bytes(name)


@pytest.mark.parametrize("name", ["dot", "pipeline", "mixed_bn254"])
@pytest.mark.parametrize("pcs,zk", [("ligero", False), ("merkle", False)])
def test_proof_bytes_exact_options(name, pcs, zk):
    _check_bytes(name, pcs, zk)


def _zk_lookup_plan(field: str, n: int) -> tuple[Plan, bytes, dict]:
    """tests/test_lookups.py's TABLE program (range checks and a map table) in a
    zero-knowledge plan with its lookups kept (zkcc/runtime/zk_lookups.py: a second
    commitment round and the check circuits' proofs), its digest and inputs."""
    from test_lookups import table_inputs, table_source

    from zkcc.driver import plan_program
    from zkcc.field import get_field
    from zkcc.frontend import compile_source
    from zkcc.plan.plan import plan_digest

    program = compile_source(table_source(field, n), "t.zkcu", lookups=True)
    data = plan_program(program, backend="gkr", zk=True, choose_lookups=False).to_bytes()
    plan = Plan.from_bytes(data)
    assert plan.zk and plan.kernels["sq"].ir.tables
    F = get_field(field)
    x, k = table_inputs(F, n, seed=n)
    return plan, plan_digest(data), {"x": F.array(x).reshape(-1), "k": F.array(k).reshape(-1)}


def _zk_lookup_proof(field: str, n: int) -> tuple[Plan, bytes]:
    from zkcc.runtime.prover import prove
    from zkcc.runtime.randomness import Randomness

    plan, digest, inputs = _zk_lookup_plan(field, n)
    return plan, prove(plan, digest, inputs, randomness=Randomness(3)).to_bytes()


@pytest.mark.parametrize("field,n", [("m31", 5), ("m31", 33), ("bn254", 3)])
def test_proof_bytes_exact_with_zero_knowledge_lookups(field, n):
    plan, proof = _zk_lookup_proof(field, n)
    _, tree = decode(proof, MAGIC, VERSION, "proof")
    assert any(name.startswith("pcs2#") for name in tree["commitments"])
    assert proof_bytes(plan, merkle_path_counts(plan, proof)) == len(proof)
    est = estimate_plan(plan, prof.default_profile())
    assert abs(est.proof_bytes - len(proof)) <= ESTIMATE_TOLERANCE * len(proof)


@pytest.mark.parametrize("field,n", [("m31", 300), ("bn254", 9)])
def test_inverse_memory_bounds_the_measured_peak(field, n):
    """memory.inverse_bytes, with the round-2 tensors it leaves (counted with the tensors),
    against tracemalloc's peak of computing them (numpy reports its buffers to
    tracemalloc): the launch's witness, then its lookup challenges and inverses."""
    import tracemalloc

    from zkcc.runtime import memory
    from zkcc.runtime.comm import SingleComm
    from zkcc.runtime.steps import ProveContext, schedule
    from zkcc.runtime.tensors import TensorStore
    from zkcc.transcript import Transcript

    plan, _, inputs = _zk_lookup_plan(field, n)
    (st,) = schedule(plan, frozenset())
    F = st.hidden.F
    ctx = ProveContext(F, plan.program, SingleComm(), TensorStore.of(F, inputs))
    st.witness(ctx)
    st.hidden.draw(Transcript(b"test"))
    tracemalloc.start()
    try:
        st.hidden.witness(ctx)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    bound = memory.inverse_bytes(st.hidden.F, st.hidden)
    kept = memory.TENSOR_BYTES[field] * sum(x.size for x in st.hidden.tensors())
    assert bound / 4 <= peak <= bound + kept


def _plan(name: str, **options) -> Plan:
    from helpers import EXAMPLES

    return Plan.from_bytes(compile_path(EXAMPLES / name / f"{name}.zkcu", **options).to_bytes())


def test_estimate_has_both_backends_on_bn254():
    plan = _plan("mixed_bn254")
    est = estimate_plan(plan, prof.default_profile())
    launches = [s for s in est.steps if s.kernel != "assert_eq"]
    assert [s.backend for s in launches] == ["gkr", "groth16"]
    for s in launches:
        assert set(s.estimates) == {"gkr", "groth16"}
        for e in s.estimates.values():
            assert e.prove_seconds > 0 and e.verify_seconds > 0 and e.proof_bytes > 0
            assert e.prove_peak_bytes > 0
    rows = explain_rows(plan, prof.default_profile())
    assert [r["backend"] for r in rows] == ["gkr", "groth16"]
    assert rows[1]["constraints"] and rows[0]["gates"] and rows[0]["depth"]
    json.dumps(rows)
    m31 = estimate_plan(_plan("pipeline"), prof.default_profile())
    assert all("groth16" not in s.estimates for s in m31.steps)


def test_estimates_monotone_in_instances():
    """More instances never cost less: time, memory and bytes grow with the count."""
    from zkcc.analysis.costmodel import (
        gkr_prove_seconds,
        gkr_step_tree,
        gkr_verify_seconds,
        groth16_prove_seconds,
        tree_size,
    )
    from zkcc.field import get_field

    plan = _plan("mimc")
    F = get_field(plan.field)
    ck = next(iter(plan.kernels.values()))
    p = prof.default_profile()
    last = (0.0, 0.0, 0)
    for count in (1, 2, 3, 64, 100, 4096, 1 << 16):
        n = max(0, (count - 1).bit_length())
        cur = (
            gkr_prove_seconds(F, p, ck.circuit, len(ck.ir.instrs), count),
            gkr_verify_seconds(F, p, ck.circuit, count),
            tree_size(gkr_step_tree(F, ck.circuit, n)),
        )
        assert all(a >= b for a, b in zip(cur, last, strict=True)), count
        last = cur
    g = [groth16_prove_seconds(p, 100 * c, 100 * c + 2, 4, 2 * c) for c in (1, 4, 16, 64)]
    assert g == sorted(g)


def test_plan_estimate_monotone_in_instances(tmp_path):
    """Whole plans: the dot example compiled for 256, 1024 and 4096 rows."""
    from helpers import EXAMPLES

    src = (EXAMPLES / "dot" / "dot.zkcu").read_text()
    assert "1024" in src
    prev = None
    for count in (256, 1024, 4096):
        path = tmp_path / f"dot{count}.zkcu"
        path.write_text(src.replace("1024", str(count)))
        plan = Plan.from_bytes(compile_path(path).to_bytes())
        assert any(isinstance(s, Launch) and s.count == count for s in plan.host.steps)
        est = estimate_plan(plan, prof.default_profile())
        cur = (est.prove_seconds, est.prove_peak_bytes, est.proof_bytes, est.verify_seconds)
        if prev is not None:
            assert all(a >= b for a, b in zip(cur, prev, strict=True)), count
        prev = cur


# ---- the machine profile --------------------------------------------------------------------
def test_missing_profile_falls_back(tmp_path):
    p = prof.load_profile(tmp_path / "none.json")
    assert p.source == "defaults" and p.rates == prof.DEFAULT_RATES
    assert "no machine profile" in p.note and "\n" not in p.note


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": 1}', b"[1, 2]",
                                     b'{"format": 1, "rates": {"m31.mul": -1}, "base_rss": 1,'
                                     b' "machine": {}, "zkcc_version": "0.1.0"}'])  # fmt: skip
def test_corrupt_profile_falls_back(tmp_path, content):
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    p = prof.load_profile(path)
    assert p.source == "defaults" and "corrupt" in p.note and "\n" not in p.note


def _stored(tmp_path, **changes) -> prof.Profile:
    good = prof.Profile(dict(prof.DEFAULT_RATES), 1 << 25, "calibrated", prof.machine_id())
    tree = good.to_json()
    tree.update(changes)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(tree))
    return prof.load_profile(path)


def test_stale_profile_falls_back(tmp_path):
    assert _stored(tmp_path).source == "calibrated"
    other = dict(prof.machine_id(), host="elsewhere")
    p = _stored(tmp_path, machine=other)
    assert p.source == "defaults" and "another machine" in p.note
    p = _stored(tmp_path, zkcc_version="0.0.1")
    assert p.source == "defaults" and "0.0.1" in p.note


def test_calibrate_quick_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    result = CliRunner().invoke(calibrate_cmd, ["--quick", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["profile"] == str(tmp_path / "zkcc" / "profile.json")
    loaded = prof.load_profile()
    assert loaded.source == "calibrated" and loaded.note is None
    assert loaded.rates == out["rates"]
    assert set(prof.DEFAULT_RATES) <= set(loaded.rates)
    assert all(v > 0 for v in loaded.rates.values())
    est = estimate_plan(_plan("dot"), loaded)
    assert est.profile_source == "calibrated" and est.prove_seconds > 0


def test_compile_explain_and_json_show_the_estimates(tmp_path, monkeypatch):
    from zkcc.cli import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no profile: defaults
    src = Path(__file__).resolve().parents[1] / "examples" / "mixed_bn254" / "mixed_bn254.zkcu"
    r = CliRunner().invoke(cli, ["compile", str(src), "-o", str(tmp_path / "m.zkplan"), "--json"])
    assert r.exit_code == 0, r.output
    est = json.loads(r.output)["estimate"]
    assert est["profile"] == "defaults" and "zkcc calibrate" in est["notes"][0]
    assert [sorted(s["estimates"]) for s in est["steps"]] == [["gkr", "groth16"]] * 2
    assert [s["backend"] for s in est["steps"]] == ["gkr", "groth16"]
    r = CliRunner().invoke(
        cli, ["compile", str(src), "-o", str(tmp_path / "m.zkplan"), "--explain"]
    )
    assert "step 1 hash_pairs<<<4>>>:" in r.output and "*groth16 prove" in r.output


def test_prove_and_verify_json_report_estimate_beside_measurement(tmp_path, monkeypatch):
    from zkcc.cli import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = Path(__file__).resolve().parents[1] / "examples" / "dot"
    plan, proof = tmp_path / "d.zkplan", tmp_path / "d.zkproof"
    assert (
        CliRunner().invoke(cli, ["compile", str(root / "dot.zkcu"), "-o", str(plan)]).exit_code == 0
    )
    args = ["prove", str(plan), "-i", str(root / "inputs.json"), "-o", str(proof), "--json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["estimate"]["profile"] == "defaults"
    assert out["estimate"]["bytes"] == pytest.approx(out["bytes"], rel=ESTIMATE_TOLERANCE)
    (launch,) = out["launches"]
    assert launch["estimate"]["seconds"] > 0 and launch["seconds"] > 0
    r = CliRunner().invoke(cli, ["verify", str(plan), str(proof), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["estimate"]["seconds"] > 0


# ---- a hostile or odd cache directory (profile.load_profile, profile.profile_target) -----------
def _run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """(exit status, stderr) of `zkcc ARGS` run by zkcc.cli.main, which maps errors to exits."""
    from zkcc.cli import main

    monkeypatch.setattr("sys.argv", ["zkcc", *args])
    with pytest.raises(SystemExit) as e:
        main()
    return e.value.code, capsys.readouterr().err


def _no_measuring(monkeypatch) -> None:
    """calibrate must refuse a bad output place before it spends seconds measuring."""

    def measured(**_) -> None:
        raise AssertionError("calibrate measured before checking where to write")

    monkeypatch.setattr("zkcc.cli_cost.calibrate", measured)


@pytest.mark.parametrize("home", ["~nouser", None])
def test_no_home_directory_gives_defaults_and_a_clear_calibrate_error(
    monkeypatch, capsys, tmp_path, home
):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    if home is None:  # HOME unset, and no passwd entry to fall back on
        monkeypatch.delenv("HOME")
        monkeypatch.setattr("pwd.getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    else:
        monkeypatch.setenv("HOME", home)
    p = prof.load_profile()
    assert p.source == "defaults" and "no home directory" in p.note
    _no_measuring(monkeypatch)
    code, err = _run_cli(monkeypatch, capsys, "calibrate", "--quick")
    assert code == 2 and "Traceback" not in err
    assert "~/.cache/zkcc/profile.json" in err and "-o FILE or set XDG_CACHE_HOME" in err


@pytest.mark.parametrize(
    ("content", "note"),
    [
        (b"[" * 3000 + b"]" * 3000, "corrupt"),
        (b"[" * prof.MAX_PROFILE_BYTES, "corrupt"),
        (b"[" * 100_000, "too large"),
    ],
)
def test_deeply_nested_profile_is_corrupt(tmp_path, content, note):
    """Each raised RecursionError here (exit 3 from prove); under the front end's raised
    recursion limit the 64 KiB one, within the size limit, crashed `compile --explain` in
    json's C parser (SIGSEGV). The 100,000 levels of the tester's file are over the limit."""
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    p = prof.load_profile(path)
    assert p.source == "defaults" and note in p.note and "\n" not in p.note


def test_deep_nesting_is_refused_before_json_parses_it(tmp_path, monkeypatch):
    """The crash is the C stack's, so show json.loads is never reached rather than crash."""
    path = tmp_path / "profile.json"
    path.write_bytes(
        b'{"format": 1, "rates":'
        + b"[" * prof.MAX_PROFILE_DEPTH
        + b"]" * prof.MAX_PROFILE_DEPTH
        + b"}"
    )
    monkeypatch.setattr(prof.json, "loads", lambda raw: pytest.fail("parsed a nested file"))
    assert "corrupt" in prof.load_profile(path).note


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _sparse(path: Path) -> None:
    with open(path, "wb") as f:
        f.truncate(300 << 20)


@pytest.mark.parametrize("make", [_fifo, _zero, _sparse, Path.mkdir])
def test_profile_that_is_not_a_small_regular_file_is_not_read(tmp_path, make):
    path = tmp_path / "profile.json"
    make(path)
    p = prof.load_profile(path)  # a FIFO hung here; /dev/zero exhausted memory
    assert p.source == "defaults" and "\n" not in p.note
    assert "not a regular file" in p.note or "too large" in p.note


@pytest.mark.parametrize(
    "change",
    [
        {"base_rss": -1},
        {"base_rss": True},
        {"base_rss": 1e9},
        {"base_rss": 1 << 50},
        {"base_rss": 10},
        {"base_rss": "12345678"},
        {"rates": dict(prof.DEFAULT_RATES, **{"m31.mul": 1e300})},
        {"rates": dict(prof.DEFAULT_RATES, **{"m31.mul": True})},
        {"rates": dict(prof.DEFAULT_RATES, **{"m31.mul": 1e-20})},
        {"zkcc_version": ["0.1.0"]},
        {"machine": [["host", "x"]]},
        {"created": "nan"},
    ],
)
def test_profile_numbers_out_of_range_are_corrupt(tmp_path, change):
    p = _stored(tmp_path, **change)
    assert p.source == "defaults" and "corrupt" in p.note


def test_integer_rates_are_numbers(tmp_path):
    p = _stored(tmp_path, rates=dict(prof.DEFAULT_RATES, **{"bn254.final_exp": 1}))
    assert p.source == "calibrated" and p.rate("bn254.final_exp") == 1.0


@pytest.mark.parametrize("where", ["xdg_is_a_file", "home_is_a_file", "missing_o_directory"])
def test_calibrate_refuses_an_unwritable_place_before_measuring(
    tmp_path, monkeypatch, capsys, where
):
    a_file = tmp_path / "file"
    a_file.write_text("")
    args = ["calibrate", "--quick"]
    if where == "xdg_is_a_file":
        monkeypatch.setenv("XDG_CACHE_HOME", str(a_file))
    elif where == "home_is_a_file":
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.setenv("HOME", str(a_file))
    else:
        args += ["-o", str(tmp_path / "nonexist" / "dir" / "p.json")]
    _no_measuring(monkeypatch)
    code, err = _run_cli(monkeypatch, capsys, *args)
    assert code == 2 and "Traceback" not in err and str(tmp_path) in err
    assert not (tmp_path / "nonexist").exists()


def test_calibrate_creates_only_the_cache_directories(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert prof.profile_target() == tmp_path / ".cache" / "zkcc" / "profile.json"
    assert (tmp_path / ".cache" / "zkcc").is_dir()
    monkeypatch.setenv("HOME", str(tmp_path / "gone"))
    with pytest.raises(UserError, match="gone/.cache: cannot create"):
        prof.profile_target()


def test_compile_explain_names_calibrated_rates_as_prove_does(tmp_path, monkeypatch):
    from zkcc.cli import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    prof.save_profile(
        prof.Profile(dict(prof.DEFAULT_RATES), 1 << 25, "calibrated", prof.machine_id())
    )
    src = Path(__file__).resolve().parents[1] / "examples" / "dot" / "dot.zkcu"
    r = CliRunner().invoke(
        cli, ["compile", str(src), "-o", str(tmp_path / "d.zkplan"), "--explain"]
    )
    assert r.exit_code == 0 and "estimate (calibrated rates):" in r.output, r.output
