"""Replayed device calls (zkcc/frontend/replay.py) give the kernel that interpreting gives.

Every program here is compiled twice: as shipped, where a device call whose signature was
seen before is replayed from a recording, and with `KernelCompiler.replay_calls` off, where
every call is interpreted. The diagnostics and the kernels, instruction by instruction with
their locations, must be equal. The programs are the examples, random programs whose calls
repeat signatures with shared, constant and aliased arguments, their mutants (which report
errors inside repeated calls), and the cases a replay must refuse or undo.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_frontend_compiled import mutant

from zkcc.frontend import check_source, compile_file, compile_source, kernels, replay
from zkcc.ir.kernel import KernelBuilder

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*/*.zkcu"))
MAIN = "__host__ void main(public field a[2][4], public out field b[2][4]) { k<<<2>>>(a, b); }\n"


class Counts:
    """How often recordings and replays happened, and how many replays were undone."""

    def __init__(self) -> None:
        self.recorded = self.replayed = self.undone = 0


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    c = Counts()
    real_record, real_replay = replay.record, KernelBuilder.replay

    def record(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = real_record(*args, **kwargs)
        c.recorded += got is not None
        return got

    def builder_replay(self, instrs, values):  # type: ignore[no-untyped-def]
        ok = real_replay(self, instrs, values)
        c.replayed += 1
        c.undone += not ok
        return ok

    monkeypatch.setattr(kernels, "record", record)
    monkeypatch.setattr(KernelBuilder, "replay", builder_replay)
    yield c


def kernels_of(program) -> dict:  # type: ignore[no-untyped-def]
    return {
        name: ([(tuple(i), i.loc) for i in k.instrs], k.tables, k.params)
        for name, k in program.kernels.items()
    }


def both(src: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """(diagnostics, kernels with locations) of `src`, replaying, then interpreting."""
    out = []
    for flag in (True, False):
        with monkeypatch.context() as m:
            m.setattr(kernels.KernelCompiler, "replay_calls", flag)
            diags = [(d.severity, d.message, d.loc) for d in check_source(src, "t.zkcu")]
            irs = None
            if not any(d[0] == "error" for d in diags):
                irs = kernels_of(compile_source(src, "t.zkcu"))
        out.append((diags, irs))
    return out[0], out[1]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize("lookups", [False, True])
def test_examples_compile_as_interpreted(
    path: Path, lookups: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = []
    for flag in (True, False):
        with monkeypatch.context() as m:
            m.setattr(kernels.KernelCompiler, "replay_calls", flag)
            got.append(kernels_of(compile_file(path, lookups=lookups)))
    assert got[0] == got[1]


def test_merkle_replays_its_compressions(counts: Counts) -> None:
    """The 16 compressions of a Merkle path: the first interpreted, the second recorded, and
    every later one (and the permutation's repeated inner calls) replayed."""
    compile_file(ROOT / "examples" / "merkle" / "merkle.zkcu")
    assert counts.recorded >= 1
    assert counts.replayed >= 14
    assert counts.undone == 0


def _program(rng: random.Random) -> str:
    """A kernel calling device functions many times: scalar functions (some asserting, some
    inverting), an in-place array function, a template over the array length and a function
    whose `(a + b) - c` meets the caller's own a + b, on arguments drawn from inputs, locals,
    constants and repeats of one value; over m31 or (about a third) bn254."""

    def expr(names: list[str], depth: int = 2) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice([*names, "1", "2", "0", "7"])
        op = rng.choice(["+", "-", "*", "*", "+"])
        e = f"({expr(names, depth - 1)} {op} {expr(names, depth - 1)})"
        return f"-{e}" if rng.random() < 0.1 else e

    fns = []
    scalar = []
    for i in range(rng.randint(1, 3)):
        callee = f"{rng.choice(scalar)}(a, t) + " if scalar and rng.random() < 0.5 else ""
        check = ""
        if rng.random() < 0.3:
            check = "    assert(b * (b - 1) == 0);\n"
        if rng.random() < 0.2:
            check += "    field q = 1 / (a * a + 1);\n    t = t * q;\n"
        fns.append(
            f"__device__ field g{i}(field a, field b) {{\n    field t = {expr(['a', 'b'])};\n"
            f"{check}    return {callee}{expr(['a', 'b', 't'])};\n}}\n"
        )
        scalar.append(f"g{i}")
    g = rng.choice(scalar)
    fns.append(
        "__device__ void h(field s[4], int o) {\n    for (int j = 0; j < 4; j++) {\n"
        f"        s[(j + o) % 4] = {g}(s[j], {expr(['s[(j + 1) % 4]', 'o'], 1)});\n"
        "    }\n}\n"
    )
    fns.append(
        "template <int N>\n__device__ field fold(const field v[N]) {\n    field acc = 1;\n"
        f"    for (int j = 0; j < N; j++) {{ acc = {expr(['acc', 'v[j]'])}; }}\n"
        "    return acc;\n}\n"
    )
    fns.append(
        "__device__ field d(field a, field b, field c) {\n    field t = (a + b) - c;\n"
        f"    return t * {expr(['a', 'b'], 1)} + t;\n}}\n"
    )
    args = ["x[0]", "x[1]", "x[2]", "s[0]", "s[1]", "s[3]", "3", "0", "1", "u"]
    body = ["    field s[4];", "    for (int i = 0; i < 4; i++) { s[i] = x[i] + i; }"]
    body.append("    field u = x[3] * x[2];")
    for _ in range(rng.randint(6, 12)):
        kind = rng.randrange(6)
        a, b = rng.choice(args), rng.choice(args)
        if rng.random() < 0.25:
            b = a  # the same value twice
        if kind == 0:
            body.append(f"    u = {rng.choice(scalar)}({a}, {b});")
        elif kind == 1:
            body.append(f"    h(s, {rng.randrange(4)});")
        elif kind == 2:
            both_folds = rng.random() < 0.5
            body.append("    u = u + fold(s) + fold<2>(x);" if both_folds else "    u = fold(s);")
        elif kind == 3:
            c = f"{a} + {b}" if rng.random() < 0.5 else rng.choice(args)
            body.append(f"    u = d({a}, {b}, {c});")
        elif kind == 4:
            body.append(
                f"    for (int r = 0; r < {rng.randint(1, 3)}; r++) {{ h(s, r % 2); "
                f"s[r] = {rng.choice(scalar)}(s[r + 1], u); }}"
            )
        else:
            body.append(f"    s[{rng.randrange(4)}] = {rng.choice(scalar)}({a}, {b}) * u;")
    body.append("    for (int j = 0; j < 4; j++) { y[j] = s[j] + u; }")
    kernel = "__global__ void k(const field x[4], field y[4]) {\n" + "\n".join(body) + "\n}\n"
    field = "bn254" if rng.random() < 0.3 else "m31"
    return f"#pragma field {field}\n" + "".join(fns) + kernel + MAIN


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_compile_as_interpreted(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _program(random.Random(seed))
    fast, ref = both(src, monkeypatch)
    assert fast == ref


def test_random_programs_replay(counts: Counts, monkeypatch: pytest.MonkeyPatch) -> None:
    """The random programs above do replay calls, and some replays are undone (a failing
    replay would otherwise go unnoticed: the interpreted call gives the same kernel)."""
    for seed in range(40):
        src = _program(random.Random(seed))
        if not any(d.severity == "error" for d in check_source(src, "t.zkcu")):
            compile_source(src, "t.zkcu")
    assert counts.recorded >= 20
    assert counts.replayed >= 100
    assert counts.undone >= 1


@pytest.mark.parametrize("seed", range(40))
def test_random_mutants_report_as_interpreted(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1000 + seed)
    src = mutant(_program(rng), rng)
    fast, ref = both(src, monkeypatch)
    assert fast == ref


def test_folding_against_the_callers_values_is_undone(
    counts: Counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """d's (a + b) - c is 0 when the caller passes its own a + b as c: the third call's replay
    folds where its recording did not, so it is undone and the call interpreted (and the
    recording dropped: the fourth call is interpreted too)."""
    fn = (
        "#pragma field m31\n__device__ field d(field a, field b, field c) {\n"
        "    field t = (a + b) - c;\n    return t * a + 5;\n}\n"
        "__global__ void k(const field x[4], field y[4]) {\n"
        "    y[0] = d(x[0], x[1], x[2]);\n    y[1] = d(x[1], x[2], x[3]);\n"
        "    y[2] = d(x[2], x[3], x[2] + x[3]);\n    y[3] = d(x[3], x[0], x[1]);\n}\n" + MAIN
    )
    fast, ref = both(fn, monkeypatch)
    assert fast == ref
    counts.replayed = counts.undone = 0
    compile_source(fn, "t.zkcu")
    assert counts.undone == 1 and counts.replayed == 2
    irs = fast[1]["k"][0]  # type: ignore[index]
    assert sum(1 for ins, _ in irs if ins[0].value == "sub") == 3  # the third folded away


def test_calls_that_are_not_replayed(counts: Counts, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls reading a kernel input for the first time, calls with bounded-integer facts
    around, and calls that report, are interpreted each time; a call that reaches the
    unroll limit is interpreted, and reports, where interpreting reports."""
    src = (
        "#pragma field m31\n__device__ field first(const field v[4], int i) { return v[i] * 2; }\n"
        "__device__ field bad(field a) { field t; return a * t; }\n"
        "__global__ void k(const field x[4], field y[4]) {\n"
        "    for (int i = 0; i < 4; i++) { y[i] = first(x, i) + first(x, 0); }\n"
        "    y[0] = bad(x[0]) + bad(x[1]) + bad(x[2]);\n}\n" + MAIN
    )
    fast, ref = both(src, monkeypatch)
    assert fast == ref and any(d[0] == "error" for d in fast[0])  # type: ignore[index]
    assert counts.replayed == 0
    monkeypatch.setenv("ZKCC_MAX_UNROLL", "40")
    loop = (
        "#pragma field m31\n__device__ field sq(field a) {\n    field t = a;\n"
        "    for (int j = 0; j < 10; j++) { t = t * a; }\n    return t;\n}\n"
        "__global__ void k(const field x[4], field y[4]) {\n"
        "    for (int i = 0; i < 4; i++) { y[i] = sq(x[i]) + sq(x[(i + 1) % 4]); }\n}\n" + MAIN
    )
    fast, ref = both(loop, monkeypatch)
    assert fast == ref and any("ZKCC_MAX_UNROLL" in d[1] for d in fast[0])  # type: ignore[index,union-attr]
