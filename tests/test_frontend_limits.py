"""Front-end limits (zkcc/frontend/limits.py): each is checked before the work it bounds, so a
refusal is prompt, and says which limit it is and how to raise it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zkcc.errors import UserError
from zkcc.frontend import Diagnostic, check_source, kernels, limits, statements

ROOT = Path(__file__).resolve().parents[1]
MAIN = "__host__ void main(public field a[2][1], public out field b[2][1]) { k<<<2>>>(a, b); }\n"
TRIPS = "(set ZKCC_MAX_LOOP_TRIPS to raise it)"
UNROLL = "(set ZKCC_MAX_UNROLL to raise it)"
BITS = "(set ZKCC_MAX_INT_BITS to raise it)"


def kernel(body: str) -> str:
    return f"__global__ void k(const field x[1], field y[1]) {{\n{body}\n}}\n" + MAIN


def errors(src: str) -> list[Diagnostic]:
    return [d for d in check_source(src, "t.zkcu") if d.severity == "error"]


def only(src: str) -> tuple[int, int, str]:
    """The one error of `src`: (line, col, message)."""
    errs = errors(src)
    assert len(errs) == 1, [e.format() for e in errs]
    return errs[0].loc.line, errs[0].loc.col, errs[0].message


def timed(src: str) -> tuple[tuple[int, int, str], float]:
    start = time.perf_counter()
    result = only(src)
    return result, time.perf_counter() - start


# -- loop trip counts ------------------------------------------------------------------------


def test_huge_loop_is_refused_before_it_runs() -> None:
    src = kernel(
        "    field a = 0;\n    for (int i = 0; i < 100000000; i++) { a += x[0]; }\n    y[0] = a;"
    )
    result, seconds = timed(src)
    assert result == (
        3,
        21,
        f"loop runs 100000000 times, over the limit of 1000000 iterations {TRIPS}",
    )
    assert seconds < 2


@pytest.mark.parametrize(
    ("header", "trips"),
    [
        ("int i = 0; i < 12; i++", 12),
        ("int i = 0; i <= 12; i++", 13),
        ("int i = 12; i > 0; i--", 12),
        ("int i = 12; i >= 0; i -= 2", 7),
        ("int i = 1; 25 > i; i = i + 2", 12),
        ("int i = 1; i < 25; i = 2 + i", 12),
        ("int i = 0; i != 33; i += 3", 11),
        ("int i = -5; i < N; i += S", 11),  # N = 17, S = 2: names are read
    ],
)
def test_trip_count_is_computed_from_the_bounds(
    monkeypatch: pytest.MonkeyPatch, header: str, trips: int
) -> None:
    monkeypatch.setenv("ZKCC_MAX_LOOP_TRIPS", str(trips - 1))
    src = "const int N = 17;\nconst int S = 2;\n" + kernel(
        f"    for ({header}) {{ }}\n    y[0] = x[0];"
    )
    assert only(src)[2] == (
        f"loop runs {trips} times, over the limit of {trips - 1} iterations {TRIPS}"
    )
    monkeypatch.setenv("ZKCC_MAX_LOOP_TRIPS", str(trips))
    assert errors(src) == []


def test_counter_set_before_the_loop() -> None:
    src = kernel("    int i = 5;\n    for (; i < 2000005; i++) { }\n    y[0] = x[0];")
    assert only(src) == (
        3,
        12,
        f"loop runs 2000000 times, over the limit of 1000000 iterations {TRIPS}",
    )


def test_loop_whose_body_moves_the_counter_is_counted_as_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCC_MAX_LOOP_TRIPS", "50")
    # the body steps i by 2: 50 iterations, allowed; the bound alone would say 100
    ok = kernel("    for (int i = 0; i < 100; i++) { i++; }\n    y[0] = x[0];")
    assert errors(ok) == []
    src = kernel("    for (int i = 0; i < 100; ) { i++; }\n    y[0] = x[0];")
    assert only(src) == (
        2,
        21,
        f"loop runs more than 50 times, over the limit of 50 iterations {TRIPS}",
    )


@pytest.mark.parametrize(
    ("loop", "message"),
    [
        ("for (int i = 0; i < 10; ) { }", "loop never ends: nothing in it changes its condition"),
        ("for (;;) { }", "loop never ends: nothing in it changes its condition"),
        (
            "for (int i = 0; i < 10; i--) { }",
            "loop never ends: 'i' starts at 0 and moves by -1, so 'i < 10' stays true",
        ),
        (
            "for (int i = 0; i != 10; i += 3) { }",
            "loop never ends: 'i' starts at 0 and moves by 3, so 'i != 10' stays true",
        ),
    ],
)
def test_endless_loops_are_refused_at_once(loop: str, message: str) -> None:
    result, seconds = timed(kernel(f"    {loop}\n    y[0] = x[0];"))
    assert result[2] == message and seconds < 2


def test_loop_that_does_not_run_is_not_endless() -> None:
    assert errors(kernel("    for (int i = 5; i < 3; ) { }\n    y[0] = x[0];")) == []


# -- total unrolled work ---------------------------------------------------------------------


def test_nested_loops_each_under_the_trip_limit_are_refused_promptly() -> None:
    src = kernel(
        "    field a = 0;\n"
        "    for (int i = 0; i < 1000; i++) {\n"
        "        for (int j = 0; j < 100000; j++) { a += x[0]; }\n"
        "    }\n"
        "    y[0] = a;"
    )
    result, seconds = timed(src)
    assert result == (
        4,
        25,
        "loop runs 100000 times inside loops that run 1000 times, 100000001 iterations in "
        f"total, over the limit of 10000000 iterations {UNROLL}",
    )
    assert seconds < 2


def test_three_deep_nest_is_refused_at_the_innermost_loop() -> None:
    src = kernel(
        "    for (int i = 0; i < 300; i++) { for (int j = 0; j < 300; j++) {\n"
        "        for (int l = 0; l < 300; l++) { } } }\n"
        "    y[0] = x[0];"
    )
    (line, _, message), seconds = timed(src)
    assert line == 3 and "inside loops that run 90000 times" in message and seconds < 2


@pytest.mark.parametrize(
    "body",
    [
        # the inner loop runs in one outer iteration only: 100 + 1000 iterations
        "for (int i = 0; i < 100; i++) { if (i == 0) { for (int j = 0; j < 1000; j++) { } } }",
        # triangular: the inner count depends on i, 100 + 5050 iterations
        "for (int i = 0; i < 100; i++) { for (int j = i; j < 100; j++) { } }",
        # the inner count depends on a name the outer body assigns
        "int n = 0; for (int i = 0; i < 100; i++) { n = i; for (int j = 0; j < n; j++) { } }",
    ],
)
def test_nest_estimate_only_multiplies_counts_that_repeat(
    monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    """A loop's count is multiplied by the enclosing loops' only when it is the same in every
    outer iteration; otherwise the nest is counted as it runs, and these are all under 6000."""
    monkeypatch.setenv("ZKCC_MAX_UNROLL", "6000")
    assert errors(kernel(f"    {body}\n    y[0] = x[0];")) == []


def test_unroll_limit_counts_loops_as_they_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A triangular nest: each inner loop is checked when reached, with what ran before it;
    one whose count is not known in advance is counted iteration by iteration."""
    monkeypatch.setenv("ZKCC_MAX_UNROLL", "6000")
    src = kernel(
        "    for (int i = 0; i < 200; i++) { for (int j = i; j < 200; j++) { } }\n    y[0] = x[0];"
    )
    assert only(src) == (
        2,
        53,
        "loop runs 168 times, 6105 iterations in total, over the limit of 6000 iterations "
        + UNROLL,
    )
    src = kernel(
        "    for (int i = 0; i < 200; i++) { for (int j = i; j < 200; ) { j++; } }\n"
        "    y[0] = x[0];"
    )
    assert only(src) == (
        2,
        53,
        f"loops run more than 6000 times in total, over the limit of 6000 iterations {UNROLL}",
    )


def test_kernel_instruction_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statements, "MAX_KERNEL_INSTRS", 50)
    src = kernel(
        "    field a = x[0];\n    for (int i = 0; i < 100; i++) { a = a * a; }\n    y[0] = a;"
    )
    assert only(src)[2] == (
        "kernel 'k' is over zkcc's limit of 50 IR instructions per kernel (a fixed limit: "
        "plans with more are refused)"
    )
    monkeypatch.setattr(kernels, "MAX_KERNEL_INSTRS", 50)
    monkeypatch.setattr(statements, "MAX_KERNEL_INSTRS", 10**6)
    src = kernel("    field a = x[0];\n" + "    a = a * a;\n" * 60 + "    y[0] = a;")
    assert only(src)[:2] == (1, 17)  # at the kernel's name, after dead code is gone
    assert only(src)[2].startswith("kernel 'k' has 62 IR instructions, over zkcc's limit of 50")


def test_host_steps_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKCC_MAX_HOST_STEPS", "20")
    src = (
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0]; }\n"
        "__host__ void main(public field a[2][1], public out field b[2][1]) {\n"
        "    for (int i = 0; i < 1000000; i++) { field t[2][1]; k<<<2>>>(a, t); }\n"
        "    k<<<2>>>(a, b);\n}\n"
    )
    (line, col, message), seconds = timed(src)
    assert (line, col) == (3, 47) and seconds < 2
    assert message == (
        "main declares or runs more than 20 tensors and steps, over the limit of 20 tensors "
        "and steps (set ZKCC_MAX_HOST_STEPS to raise it)"
    )


def test_many_tensors_of_one_name_are_named_in_linear_time() -> None:
    src = (
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0]; }\n"
        "__host__ void main(public field a[2][1], public out field b[2][1]) {\n"
        "    for (int i = 0; i < 20000; i++) { field t[2][1]; k<<<2>>>(a, t); }\n"
        "    k<<<2>>>(a, b);\n}\n"
    )
    start = time.perf_counter()
    assert check_source(src, "t.zkcu") == []
    assert time.perf_counter() - start < 10  # each name searched from 't' up: minutes


# -- compile-time ints -----------------------------------------------------------------------


def test_huge_shift_is_refused_before_it_is_computed() -> None:
    src = kernel("    const int B = 1 << 100000000;\n    y[0] = x[0] * B;")
    result, seconds = timed(src)
    assert result == (
        2,
        19,
        "compile-time int 1 << 100000000 would have 100000001 bits, over the limit of 32768 "
        f"bits {BITS}",
    )
    assert seconds < 2


def test_repeated_squaring_is_refused() -> None:
    src = kernel(
        "    int v = 3;\n    for (int i = 0; i < 30; i++) { v = v * v; }\n    y[0] = x[0] * v;"
    )
    result, seconds = timed(src)
    assert result == (
        3,
        40,
        f"compile-time int result has 51937 bits, over the limit of 32768 bits {BITS}",
    )
    assert seconds < 2


def test_int_bits_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    src = kernel("    const int B = (1 << 40000) + 5;\n    y[0] = x[0] * (B % 7);")
    assert "over the limit of 32768 bits" in only(src)[2]
    monkeypatch.setenv("ZKCC_MAX_INT_BITS", "40001")
    assert errors(src) == []


def test_big_ints_in_messages_are_shown_by_size() -> None:
    """Python cannot print an int of more than 4300 digits; messages give its magnitude."""
    src = kernel("    y[0] = x[-(1 << 20000)];")
    assert only(src)[2] == "index -about 2^20000 is out of bounds for 'x' (dimension of size 1)"
    assert limits.int_text(10**18 - 1) == "999999999999999999"
    assert limits.int_text(10**18) == "about 2^59"


# -- the environment -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1e6", "١٢"])
def test_a_bad_limit_setting_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ZKCC_MAX_LOOP_TRIPS", value)
    with pytest.raises(UserError, match=re.escape(f"ZKCC_MAX_LOOP_TRIPS={value!r}: expected")):
        check_source(kernel("    y[0] = x[0];"), "t.zkcu")


def test_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.Limits.from_env() == limits.Limits(1_000_000, 10_000_000, 1 << 15, 100_000)
    monkeypatch.setenv("ZKCC_MAX_UNROLL", "1_000")
    monkeypatch.setenv("ZKCC_MAX_HOST_STEPS", " 7 ")
    assert limits.Limits.from_env() == limits.Limits(1_000_000, 1000, 1 << 15, 7)


def test_every_limit_is_documented() -> None:
    docs = (ROOT / "docs" / "language.md").read_text()
    section = docs.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for env in re.findall(r'"(ZKCC_MAX_\w+)"', Path(limits.__file__).read_text()):
        assert env in section, env


# -- as a user sees it -----------------------------------------------------------------------


def test_cli_refuses_a_huge_loop_with_a_located_message(tmp_path: Path) -> None:
    src = tmp_path / "big.zkcu"
    src.write_text(
        kernel(
            "    field a = 0;\n"
            "    for (int i = 0; i < 100000000; i++) { a += x[0]; }\n"
            "    y[0] = a;"
        )
    )
    for args in (["check", str(src)], ["compile", str(src), "-o", str(tmp_path / "p.zkplan")]):
        start = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-c", "from zkcc.cli import main; main()", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert time.perf_counter() - start < 30
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert r.stderr.splitlines() == [
            f"{src}:3:21: error: loop runs 100000000 times, over the limit of 1000000 "
            f"iterations {TRIPS}",
            "    for (int i = 0; i < 100000000; i++) { a += x[0]; }",
            "                    ^~~~~~~~~~~~~",
        ]
    assert not (tmp_path / "p.zkplan").exists()


LAUNCH_62 = (
    "#pragma field m31\n"
    "__global__ void k(__broadcast__ const field x[1]) { assert(x[0] != 1); }\n"
    "__host__ void main(private field w[1]) { k<<<1 << 62>>>(w); }\n"
)


def test_launch_over_the_work_limit_is_a_located_error() -> None:
    """A launch whose instances x instructions are over zkcc.budget's MAX_LAUNCH_WORK is an
    error at the launch in `check`, not first a plan-level message from `compile`."""
    line, col, message = only(LAUNCH_62)
    assert (line, col) == (3, 42)
    assert message.startswith("launch of 'k': 4,611,686,018,427,387,904 instances x ")
    assert message.endswith("over zkcc's limit of 2^44 per launch")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_cli_refuses_a_huge_launch_with_a_caret(tmp_path: Path, command: str) -> None:
    src = tmp_path / "launch.zkcu"
    src.write_text(LAUNCH_62)
    out = ["-o", str(tmp_path / "p.zkplan")] if command == "compile" else []
    r = subprocess.run(
        [sys.executable, "-c", "from zkcc.cli import main; main()", command, str(src), *out],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    head, line, caret = r.stderr.splitlines()
    assert head.startswith(f"{src}:3:42: error: launch of 'k': ")
    assert caret == " " * 41 + "^" + "~" * 17
    assert not (tmp_path / "p.zkplan").exists()
