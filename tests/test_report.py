"""`zkcc prove` reporting: sizes, the Reporter's output on and off a terminal, its summary,
peak RSS, and the --mem-limit / --tmpdir options of the command line."""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from zkcc.errors import UserError
from zkcc.runtime.memsize import format_size, parse_size
from zkcc.runtime.report import Reporter, env_rank, peak_rss_bytes

# not from helpers.py: these tests must not need the prover importable
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]
SUMMARY_KEYS = {"phases", "launches", "spilled_bytes", "peak_rss_bytes"}
PROVE_JSON_KEYS = {"proof", "bytes", "seconds", "mem_limit", "ranks", "estimate"} | SUMMARY_KEYS


def _prover_takes_report() -> bool:
    try:
        from zkcc.runtime.prover import prove
    except ImportError:
        return False
    return "report" in inspect.signature(prove).parameters


needs_prover_kwargs = pytest.mark.skipif(
    not _prover_takes_report(),
    reason="waiting for prover kwargs (prove(..., report=, keys=, mem_limit=, tmpdir=))",
)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def tick(self, seconds: float) -> None:
        self.t += seconds


def render(text: str) -> list[str]:
    """The lines a terminal shows for `text`: '\\r' returns to column 0 and later characters
    overwrite earlier ones, '\\n' starts a new line."""
    lines, line, col = [], [], 0
    for ch in text:
        if ch == "\n":
            lines.append("".join(line).rstrip())
            line, col = [], 0
        elif ch == "\r":
            col = 0
        else:
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
    if line:
        lines.append("".join(line).rstrip())
    return lines


def run_phase(report: Reporter, clock: Clock, total: int, step: float, note_at: int = -1):
    with report.phase("prove", total=total, unit="launches") as ph:
        for i in range(total):
            clock.tick(step)
            if i == note_at:
                report.note("a note in the middle")
            ph.advance()


# -- sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("2G", 2 * 2**30),
        ("2GB", 2 * 2**30),
        ("2GiB", 2 * 2**30),
        ("2g", 2 * 2**30),
        ("2gib", 2 * 2**30),
        ("512M", 512 * 2**20),
        ("512mb", 512 * 2**20),
        ("1.5G", 3 * 2**29),
        ("0.5k", 512),
        ("100000000", 100_000_000),
        ("64k", 65536),
        ("64KiB", 65536),
        ("3T", 3 * 2**40),
        ("1B", 1),
        (" 2G ", 2 * 2**30),
    ],
)
def test_parse_size_accepts(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize(
    "text", ["", "   ", "-1G", "-5", "0", "0G", "0.0001", "2X", "G", "1e9x", "1e9", "2iB", "1.2.3G"]
)
def test_parse_size_refuses_with_one_clear_message(text):
    with pytest.raises(UserError) as e:
        parse_size(text)
    msg = str(e.value)
    assert msg.startswith("--mem-limit: ") and repr(text) in msg
    assert "\n" not in msg and "512M, 2G, 1.5G" in msg


@pytest.mark.parametrize(
    "text, message",
    [
        ("0.1", "'0.1' is not a whole number of bytes"),  # was "must be positive"
        ("1.5", "'1.5' is not a whole number of bytes"),  # was silently 1 B
        ("0.0001k", "'0.0001k' is less than one byte"),
        ("99999999999999999999999999G", "is more than 1048576 TiB"),  # was accepted
    ],
)
def test_parse_size_says_what_is_wrong(text, message):
    with pytest.raises(UserError, match=re.escape(message)):
        parse_size(text)


def test_parse_size_messages():
    with pytest.raises(UserError, match=r"^--mem-limit: cannot parse '2X' as a size \(examples"):
        parse_size("2X")
    with pytest.raises(UserError, match=r"^--mem-limit: the size must be positive, got '0'"):
        parse_size("0")
    with pytest.raises(UserError, match=r"^ZKCC_MEM_LIMIT: cannot parse"):
        parse_size("lots", "ZKCC_MEM_LIMIT")


def test_format_size():
    assert format_size(900) == "900 B"
    assert format_size(0) == "0 B"
    assert format_size(1024) == "1 KiB"
    assert format_size(512 * 2**20) == "512 MiB"
    assert format_size(3 * 2**29) == "1.50 GiB"
    assert format_size(2**40) == "1 TiB"
    assert format_size(parse_size("2.25G")) == "2.25 GiB"


# -- the Reporter's output ----------------------------------------------------------------


def test_plain_stream_gets_plain_lines():
    clock, out = Clock(), io.StringIO()
    report = Reporter(stream=out, clock=clock)
    report.note("hello")
    with report.phase("witness"):
        clock.tick(0.25)
    run_phase(report, clock, total=100, step=0.5, note_at=50)
    text = out.getvalue()
    assert "\r" not in text and "#" not in text
    lines = text.splitlines()
    assert lines[0] == "[   0.00s] hello"
    assert "witness: started" in lines[1] and lines[2].endswith("witness: done in 0.25s")
    assert lines[3].endswith("prove: started (100 launches)")
    assert lines[-1].endswith("prove: done in 50.0s (100/100 launches)")
    assert any(line.endswith("] a note in the middle") for line in lines)
    progress = [line for line in lines if "/100 launches (" in line]
    assert 1 <= len(progress) <= 9  # at most one line per 10%
    assert "prove: 10/100 launches (10%), 5.00s, ETA 45.0s" in text  # rate so far: 0.5s each


def test_short_phase_off_terminal_prints_two_lines():
    clock, out = Clock(), io.StringIO()
    report = Reporter(stream=out, clock=clock)
    run_phase(report, clock, total=1000, step=0.0001)
    assert len(out.getvalue().splitlines()) == 2


def test_terminal_gets_a_bar_redrawn_in_place_with_eta():
    clock, out = Clock(), FakeTTY()
    report = Reporter(stream=out, clock=clock)
    with report.phase("prove", total=10, unit="launches") as ph:
        for _ in range(5):
            clock.tick(1.0)
            ph.advance()
        mid = render(out.getvalue())
        for _ in range(5):
            clock.tick(1.0)
            ph.advance()
    text = out.getvalue()
    assert text.count("\r") >= 10 and "ETA" in text
    assert mid[-1].startswith("[   5.00s] prove [") and " 5/10 launches" in mid[-1]
    assert mid[-1].endswith("5.00s  ETA 5.00s")  # 5 done in 5s: 5 more take 5s
    screen = render(text)
    assert len(screen) == 1 and text.endswith("\n")
    assert "10/10 launches  done in 10.0s" in screen[0] and "ETA" not in screen[0]
    assert "[" + "#" * 10 in screen[0]


def test_bar_redraws_are_throttled():
    clock, out = Clock(), FakeTTY()
    report = Reporter(stream=out, clock=clock)
    run_phase(report, clock, total=2000, step=0.001)  # 2 s of work in 2000 steps
    assert 10 <= out.getvalue().count("\r") <= 25  # ~10 per second, not 2000


def test_note_does_not_garble_the_bar():
    clock, out = Clock(), FakeTTY()
    report = Reporter(stream=out, clock=clock)
    run_phase(report, clock, total=20, step=0.3, note_at=10)
    screen = render(out.getvalue())
    assert "[   3.30s] a note in the middle" in screen  # a clean line of its own
    assert len(screen) == 2 and "20/20 launches  done in" in screen[1]


def test_phases_without_total_print_lines_on_a_terminal_too():
    clock, out = Clock(), FakeTTY()
    report = Reporter(stream=out, clock=clock)
    with report.phase("commit"):
        clock.tick(2.0)
    assert render(out.getvalue()) == [
        "[   0.00s] commit: started",
        "[   2.00s] commit: done in 2.00s",
    ]


def test_failed_phase_says_so():
    clock, out = Clock(), io.StringIO()
    report = Reporter(stream=out, clock=clock)
    with pytest.raises(RuntimeError), report.phase("open", total=3):
        clock.tick(1.5)
        raise RuntimeError("boom")
    assert out.getvalue().splitlines()[-1].endswith("open: failed after 1.50s (0/3)")
    assert report.summary()["phases"] == {"open": 1.5}


@pytest.mark.parametrize("kwargs", [{"quiet": True}, {"rank": 1}, {"rank": 3, "quiet": True}])
def test_quiet_and_other_ranks_print_nothing_but_record(kwargs):
    for stream in (io.StringIO(), FakeTTY()):
        clock = Clock()
        report = Reporter(stream=stream, clock=clock, **kwargs)
        report.note("hidden")
        run_phase(report, clock, total=10, step=0.5)
        with report.launch(0, "k", "gkr"):
            clock.tick(1.0)
        assert stream.getvalue() == ""
        assert report.summary()["phases"] == {"prove": 5.0}
        assert report.summary()["launches"][0]["seconds"] == 1.0


def test_rank_can_be_set_once_mpi_is_up():
    out = io.StringIO()
    report = Reporter(stream=out)
    report.rank = 2
    report.note("hidden")
    report.rank = 0
    report.note("shown")
    assert "hidden" not in out.getvalue() and "shown" in out.getvalue()


def test_env_rank(monkeypatch):
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert env_rank() == 0
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    assert env_rank() == 3


def test_default_stream_is_stderr_at_creation(capsys):
    Reporter().note("to stderr")
    captured = capsys.readouterr()
    assert captured.out == "" and "to stderr" in captured.err


# -- the summary ----------------------------------------------------------------------


def test_summary_accumulates_phases_launches_and_spills():
    clock = Clock()
    report = Reporter(quiet=True, clock=clock)
    for seconds in (1.0, 2.5):
        with report.phase("witness"):
            clock.tick(seconds)
    with report.phase("prove", total=2) as ph:
        for chunk_seconds in (0.5, 0.25):  # launch 1 proved in two chunks: one entry
            with report.launch(1, "dot", "gkr"):
                clock.tick(chunk_seconds)
        with report.launch(2, "hash", "groth16"):
            clock.tick(2.0)
        ph.advance(2)
    with report.phase("witness"):
        clock.tick(0.5)
    report.add_spilled(1000)
    report.add_spilled(24)
    with pytest.raises(ValueError):
        report.add_spilled(-1)
    s = report.summary()
    assert set(s) == SUMMARY_KEYS
    assert s["phases"] == {"witness": 4.0, "prove": 2.75}
    assert list(s["phases"]) == ["witness", "prove"]  # in order of first appearance
    assert s["launches"] == [
        {"step": 1, "kernel": "dot", "backend": "gkr", "seconds": 0.75},
        {"step": 2, "kernel": "hash", "backend": "groth16", "seconds": 2.0},
    ]
    assert s["spilled_bytes"] == 1024 and report.spilled_bytes == 1024
    assert 0 < s["peak_rss_bytes"] <= peak_rss_bytes()
    json.dumps(s)  # JSON-ready


def test_launch_is_recorded_when_it_raises():
    report = Reporter(quiet=True)
    with pytest.raises(KeyError), report.launch(0, "k", "gkr"):
        raise KeyError("x")
    assert [x["step"] for x in report.summary()["launches"]] == [0]


def test_peak_rss_is_positive_and_grows_with_a_touched_allocation():
    # a fresh interpreter: the high-water mark of this test process may already be higher
    code = (
        "import numpy as np\n"
        "from zkcc.runtime.report import peak_rss_bytes\n"
        "before = peak_rss_bytes()\n"
        "a = np.ones(25_000_000)  # 200 MB, every page written\n"
        "after = peak_rss_bytes()\n"
        "print(before, after, float(a.sum()))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert r.returncode == 0, r.stderr
    before, after, total = r.stdout.split()
    assert int(before) > 0 and float(total) == 25_000_000
    assert int(after) - int(before) >= 150_000_000  # VmHWM: not the parent's peak
    assert peak_rss_bytes() > 0


# -- the command line ---------------------------------------------------------------------


def zkcc(*args: str, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZKCC, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        timeout=600,
    )


def test_bad_mem_limit_exits_2_before_reading_anything(tmp_path):
    # neither the plan nor the inputs exist: the size is refused before they are read
    out = tmp_path / "x.zkproof"
    args = ("prove", "missing.zkplan", "-i", "missing.json", "-o", str(out))
    r = zkcc(*args, "--mem-limit", "2X", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr == "--mem-limit: cannot parse '2X' as a size (examples: 512M, 2G, 1.5G)\n"
    assert r.stdout == "" and not out.exists() and list(tmp_path.iterdir()) == []

    r = zkcc(*args, cwd=tmp_path, env={"ZKCC_MEM_LIMIT": "0"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("ZKCC_MEM_LIMIT: the size must be positive, got '0'")

    r = zkcc(*args, "--mem-limit", "1G", "--tmpdir", str(tmp_path / "nope"), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr == f"--tmpdir {tmp_path / 'nope'}: not an existing directory\n"
    assert list(tmp_path.iterdir()) == []


def test_prove_help_documents_the_options(tmp_path):
    r = zkcc("prove", "--help", cwd=tmp_path)
    assert r.returncode == 0
    help_text = " ".join(r.stdout.split())
    expected = ["--mem-limit SIZE", "ZKCC_MEM_LIMIT", "byte-identical", "smallest feasible"]
    expected += ["per rank", "--tmpdir DIR", "ZKCC_TMPDIR", "peak_rss_bytes"]
    for words in expected:
        assert words in help_text, words


@pytest.fixture
def dot_plan(tmp_path):
    plan = tmp_path / "d.zkplan"
    r = zkcc("compile", str(EXAMPLES / "dot" / "dot.zkcu"), "-o", str(plan), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return plan


@needs_prover_kwargs
def test_prove_json_reports_the_measurements(tmp_path, dot_plan):
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    free, limited = tmp_path / "free.zkproof", tmp_path / "limited.zkproof"
    seed = ("--seed", "1")  # the same masks for a zk plan's commitments in both proofs
    r = zkcc("prove", str(dot_plan), "-i", inputs, "-o", str(free), "--json", *seed, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # --json: no progress output
    s = json.loads(r.stdout)
    assert set(s) == PROVE_JSON_KEYS
    assert s["proof"] == str(free) and s["bytes"] == free.stat().st_size
    assert s["mem_limit"] is None and s["peak_rss_bytes"] > 0 and s["phases"]
    assert all(v >= 0 for v in s["phases"].values())
    assert [x["step"] for x in s["launches"]] == [0]

    limit = ("--mem-limit", "4G", "--tmpdir", str(tmp_path), *seed)
    r = zkcc(
        "prove", str(dot_plan), "-i", inputs, "-o", str(limited), "--json", *limit, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["mem_limit"] == 4 * 2**30 and s["peak_rss_bytes"] <= 4 * 2**30
    assert limited.read_bytes() == free.read_bytes()


@needs_prover_kwargs
def test_prove_progress_off_a_terminal(tmp_path, dot_plan):
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    r = zkcc("prove", str(dot_plan), "-i", inputs, "-o", str(tmp_path / "p"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr and "prove: launch" in r.stderr
    assert "peak RSS" in r.stderr.splitlines()[-1]
    assert r.stdout.startswith(f"wrote {tmp_path / 'p'} (")


def test_prove_passes_the_reporter_and_limits_to_the_prover(tmp_path, dot_plan, monkeypatch):
    """The command's contract with `zkcc.runtime.prover.prove`, with a stand-in prover."""
    from click.testing import CliRunner

    from zkcc.cli import cli

    calls = []

    def fake_prove(
        plan,
        digest,
        inputs,
        *,
        report,
        keys,
        mem_limit,
        tmpdir,
        comm,
        randomness,
        consume_inputs,
        shared_inputs,
    ):
        calls.append(
            {"keys": keys, "mem_limit": mem_limit, "tmpdir": tmpdir, "seed": randomness.seed}
        )
        assert consume_inputs  # the command has no other use for its copy of the inputs
        assert not shared_inputs  # one process reads its inputs whole
        assert isinstance(report, Reporter) and len(digest) == 32 and "xs" in inputs
        with report.phase("witness"):
            report.note("witness: launch 0 dot<<<1024>>>")
        with report.phase("prove", total=1, unit="launches") as ph:
            with report.launch(0, "dot", "gkr"):
                pass
            ph.advance()
        report.add_spilled(4096)
        return types.SimpleNamespace(to_bytes=lambda: b"a proof")

    # a stand-in module: the test holds whatever state the real prover is in
    fake_module = types.ModuleType("zkcc.runtime.prover")
    fake_module.prove = fake_prove
    monkeypatch.setitem(sys.modules, "zkcc.runtime.prover", fake_module)
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    out = tmp_path / "p.zkproof"
    args = ["prove", str(dot_plan), "-i", inputs, "-o", str(out), "--tmpdir", str(tmp_path)]
    r = CliRunner().invoke(cli, [*args, "--json"], env={"ZKCC_MEM_LIMIT": "2G"})
    assert r.exit_code == 0, r.output
    assert calls == [{"keys": None, "mem_limit": 2**31, "tmpdir": str(tmp_path), "seed": None}]
    s = json.loads(r.stdout)
    assert set(s) == PROVE_JSON_KEYS and s["mem_limit"] == 2**31 and s["spilled_bytes"] == 4096
    assert set(s["phases"]) == {"witness", "prove"} and s["bytes"] == 7
    (launch,) = s["launches"]
    assert launch.pop("estimate")["seconds"] > 0  # the cost model's, beside the measurement
    assert launch == {"step": 0, "kernel": "dot", "backend": "gkr", "seconds": 0.0}
    assert out.read_bytes() == b"a proof"

    r = CliRunner().invoke(cli, [*args, "--mem-limit", "1.5G", "--seed", "12"])
    assert r.exit_code == 0, r.output
    assert calls[-1]["mem_limit"] == 3 * 2**29 and calls[-1]["seed"] == 12
    assert "witness: launch 0 dot<<<1024>>>" in r.stderr and "\r" not in r.stderr
    assert "peak RSS " in r.stderr and "(limit 1.50 GiB), spilled 4 KiB" in r.stderr
    assert r.stdout == f"wrote {out} (7 bytes) in " + r.stdout.split(" in ")[-1]
