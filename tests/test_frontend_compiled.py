"""The compiled kernel interpreter and the array dead-code pass agree with their references.

`CompiledInterp` (zkcc/frontend/compiled.py) must emit the same IR and report the same
diagnostics as the tree-walking `Interp` it speeds up, on programs that work and on programs
that do not; `eliminate_dead_code` must give what the backward sweep
(`eliminate_dead_code_reference`) gives. Programs here are compiled both ways: once as
shipped, once with the kernel compiler's `eval` and `exec` put back to `Interp`'s.
"""

from __future__ import annotations

import random
import re

import pytest
from random_kernels import kernel_params, random_kernel

from zkcc.field import get_field
from zkcc.frontend import check_source, compile_source, kernels
from zkcc.frontend.evaluator import ExprEval
from zkcc.frontend.statements import Interp
from zkcc.ir.kernel import HintKind, KernelBuilder, KernelIR, Op, Param
from zkcc.ir.passes import eliminate_dead_code, eliminate_dead_code_reference, validate_kernel

P = get_field("m31").p
MAIN = "__host__ void main(public field a[2][4], public out field b[2][4]) { k<<<2>>>(a, b); }\n"


class TreeWalking(kernels.KernelCompiler):
    """The kernel compiler with the plain interpreter's dispatch (the reference)."""

    def eval(self, e):  # type: ignore[no-untyped-def]
        return ExprEval.eval(self, e)

    def exec(self, s):  # type: ignore[no-untyped-def]
        Interp.exec(self, s)


def both(src: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """(diagnostics, kernel IR with locations) of `src`, compiled, then tree-walked."""
    out = []
    for compiler in (kernels.KernelCompiler, TreeWalking):
        with monkeypatch.context() as m:
            m.setattr(kernels, "KernelCompiler", compiler)
            diags = [(d.severity, d.message, d.loc) for d in check_source(src, "t.zkcu")]
            irs = None
            if not any(d[0] == "error" for d in diags):
                prog = compile_source(src, "t.zkcu")
                irs = {
                    name: [(tuple(ins), ins.loc) for ins in k.instrs]
                    for name, k in prog.kernels.items()
                }
        out.append((diags, irs))
    return out[0], out[1]


def kernel(body: str, params: str = "const field x[4], field y[4]") -> str:
    return f"#pragma field m31\n__global__ void k({params}) {{\n{body}\n}}\n{MAIN}"


# Programs that compile: every fast path of the compiled interpreter, and the general
# forms beside them (compound ops, partial indexing, device calls, templates, iK values).
GOOD = [
    kernel(
        "    field acc = 0;\n    for (int i = 0; i < 4; i++) { acc += x[i] * x[3 - i]; }\n"
        "    for (int j = 0; j < 4; j++) y[j] = acc - x[j];"
    ),
    kernel(
        "    field m[2][2] = {{1, 2}, {3, 4}};\n    int s = 0;\n"
        "    for (int i = 3; i >= 0; i--) { s += i * 2; y[i] = m[i / 2][i % 2] * x[i] + s; }"
    ),
    kernel(
        "    for (int i = 0; i < 4; i += 2) {\n        field t = x[i];\n        t *= t;\n"
        "        t -= 3;\n        t /= x[i + 1];\n        y[i] = t;\n        y[i + 1] = -t;\n    }"
    ),
    kernel(
        "    int n = 4;\n    for (int i = 0; i < n && i != 7 || 0; i++) {\n"
        "        if (i % 2 == 0) { y[i] = x[i] * 2; } else y[i] = 2 * x[i] + i;\n    }"
    ),
    "#pragma field m31\n__device__ field dot(const field a[2], const field b[2]) {\n"
    "    field s = 0;\n    for (int i = 0; i < 2; i++) s += a[i] * b[i];\n    return s;\n}\n"
    "__device__ void put(field o[4], int i, field v) { o[i] = v; }\n"
    "__global__ void k(const field x[4], field y[4]) {\n    field w[2][2];\n"
    "    for (int i = 0; i < 2; i++) { for (int j = 0; j < 2; j++) { w[i][j] = x[2 * i + j]; } }\n"
    "    for (int i = 0; i < 4; i++) { put(y, i, dot(w[i / 2], w[1 - i / 2]) + i); }\n}\n" + MAIN,
    "#pragma field m31\ntemplate <int N>\n__device__ field sum(const field v[N]) {\n"
    "    field s = 0;\n    for (int i = 0; i < N; i++) { s = s + v[i]; }\n    return s;\n}\n"
    "__global__ void k(const field x[4], field y[4]) {\n"
    "    for (int i = 0; i < 4; i++) { y[i] = sum(x) * i; }\n}\n" + MAIN,
    kernel(
        "    for (int i = 0; i < 4; i++) {\n        i16 d = x[i] - x[(i + 1) % 4];\n"
        "        y[i] = relu(d) + min(d, x[0]) + (d < 0) + select(d >= 0, d, 5);\n    }",
        "const i8 x[4], field y[4]",
    ),
    kernel(
        "    field b[8];\n    to_bits(x[0], b);\n    y[0] = from_bits(b);\n"
        "    y[1] = is_zero(x[1] - x[2]);\n    assert(x[3] != 0);\n    y[2] = x[3] / x[2];\n"
        "    y[3] = instance_index() + (1 << 3);",
        "const field x[4], field y[4]",
    ),
    kernel(  # typed accumulators: `acc +=` on an iK or fixed variable keeps its range check
        "    i12 acc = 0;\n    fx12.4 f = 0.5;\n"
        "    for (int i = 0; i < 4; i++) { acc += x[i] * x[3 - i]; f += f * 0.25 + x[i]; }\n"
        "    for (int j = 0; j < 4; j++) { y[j] = acc - x[j] + f * 2; }",
        "const i4 x[4], fx14.4 y[4]",
    ),
    kernel(
        "    fx16.8 s = 0;\n    for (int i = 0; i < 4; i++) { s = s + x[i] / 3; }\n"
        "    i8 r = s;\n    for (int j = 0; j < 4; j++) { y[j] = max(x[j] - s, r); }",
        "const fx8.4 x[4], fx16.8 y[4]",
    ),
    kernel(
        "    field x2 = 0;\n    {\n        field x2 = x[1];\n        y[1] = x2;\n    }\n"
        "    y[0] = x2;\n    for (int i = 2; i < 4; i++) { int x2 = i; y[x2] = x[x2] * x2; }"
    ),
]

# Inner product loops (`CompiledInterp._inner_product`), run in one pass or, where anything
# could differ, as written: 2-D operands, a descending or strided counter on both indices,
# int, fixed-point and iK operands or accumulators, a counter declared outside the loop.
GOOD += [
    kernel(
        "    field a[2][4];\n    field b[4][2];\n"
        "    for (int i = 0; i < 2; i++) { for (int j = 0; j < 4; j++) {\n"
        "        a[i][j] = x[j] + i; b[j][i] = x[j] * j; } }\n"
        "    for (int i = 0; i < 2; i++) { for (int j = 0; j < 2; j++) {\n"
        "        field acc = i;\n"
        "        for (int k = 0; k < 4; k++) { acc += a[i][k] * b[k][j]; }\n"
        "        y[2 * i + j] = acc; } }"
    ),
    kernel(
        "    field w[4][4];\n    for (int i = 0; i < 4; i++) { for (int j = 0; j < 4; j++) {\n"
        "        w[i][j] = x[i] - j; } }\n    field s = 0;\n    field t = 2;\n"
        "    for (int k = 3; k >= 0; k--) s += x[k] * x[k];\n"
        "    for (int k = 1; k < 4; k += 2) t += w[k][k] * x[k];\n    int m = 1;\n"
        "    for (int k = m; k < 4; k++) s += w[m][k] * w[k][2];\n"
        "    y[0] = s; y[1] = t; y[2] = s * t; y[3] = 0;"
    ),
    kernel(
        "    int c[4] = {1, 2, 3, 4};\n    fx8.4 f[4] = {0.5, 1, 1.5, 2};\n    field s = 0;\n"
        "    fx16.4 g = 0;\n    i12 h = 0;\n    int k;\n"
        "    for (int i = 0; i < 4; i++) s += c[i] * x[i];\n"
        "    for (int i = 0; i < 4; i++) g += f[i] * f[i];\n"
        "    for (int i = 0; i < 4; i++) h += x[i] * x[i];\n"
        "    for (k = 0; k < 4; k++) s += x[k] * x[k];\n"
        "    y[0] = s; y[1] = g; y[2] = h; y[3] = k;",
        "const i4 x[4], fx16.4 y[4]",
    ),
]

# Programs with errors: the diagnostics of the fast paths' fallbacks.
BAD = [
    kernel("    field s = 0;\n    for (int k = 0; k < 5; k++) s += x[k] * x[k];\n    y[0] = s;"),
    kernel("    field t[4];\n    field s = 0;\n    for (int k = 0; k < 4; k++) s += t[k] * x[k];"),
    kernel("    for (int i = 0; i < 5; i++) { y[i] = x[i]; }"),
    kernel("    field t;\n    y[0] = t + x[0];\n    y[1] = x[1]; y[2] = x[2]; y[3] = q;"),
    kernel("    x[0] = 1;\n    for (int i = 0; i < 4; i++) { y[i] = x[i][0]; }"),
    kernel("    for (int i = 0; i < 4; i++) { y[x[i]] = x[i]; }"),
    kernel("    field i = x[0];\n    if (i) { y[0] = 1; }\n    for (int j = 0; j < x[1]; j++) { }"),
    kernel("    int s = 1;\n    for (int i = 0; i < 4; i++) { s = s << 40000; y[i] = s; }"),
    kernel("    for (int i = 0; i < 4; i++) { y += x[i]; y[i] = x; }"),
    kernel("    field z[2] = {1, 2, 3};\n    y[0] = z[0] + z[1];\n    y[1] = 1 / 2 + x[0];"),
    kernel("    int i = x;\n    y[i] = 1;\n    for (int k = 0; k < 4; k--) { y[k] = 0; }"),
    kernel("    field t = 1;\n    for (int i = 0; i < 4; i++) { t *= y[i]; t += x[i]; }"),
    kernel("    for (int i = 0; i < 4; i++) { int n = i; n++; n += x[0]; y[i] = n; }"),
    kernel("    i8 v = x[0] * 300;\n    y[0] = v; y[1] = v < x[1];", "const field x[4], i8 y[4]"),
]


@pytest.mark.parametrize("src", GOOD)
def test_programs_compile_as_tree_walked(src: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, ref = both(src, monkeypatch)
    assert ref[1] is not None, ref[0]  # the program compiles
    assert fast == ref


@pytest.mark.parametrize("src", BAD)
def test_errors_are_reported_as_tree_walked(src: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, ref = both(src, monkeypatch)
    assert any(d[0] == "error" for d in ref[0])
    assert fast == ref


_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|[-+*/%<>=!&|]=|&&|\|\||\+\+|--|\S|\s+")
_SPARE = ["0", "1", "3", "-1", "4", "i", "x", "y", "+", "*", "<", "[", "]", ";", "int", "field"]


def mutant(src: str, rng: random.Random) -> str:
    """`src` with one or two tokens deleted, doubled, swapped or replaced."""
    toks = _TOKEN.findall(src)
    spots = [i for i, t in enumerate(toks) if not t.isspace()]
    for _ in range(rng.choice([1, 2])):
        i, j = rng.choice(spots), rng.choice(spots)
        kind = rng.randrange(4)
        if kind == 0:
            toks[i] = ""
        elif kind == 1:
            toks[i] += " " + toks[i]
        elif kind == 2:
            toks[i], toks[j] = toks[j], toks[i]
        else:
            toks[i] = rng.choice(_SPARE)
    return "".join(toks)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_mutants_compile_as_tree_walked(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    for src in GOOD + BAD:
        for _ in range(6):
            text = mutant(src, rng)
            fast, ref = both(text, monkeypatch)
            assert fast == ref, text


def test_dead_code_elimination_matches_sweep() -> None:
    rng = random.Random(5)
    for _ in range(60):
        params = kernel_params(rng.randrange(1, 6), rng.randrange(1, 4), (rng.randrange(1, 4),))
        k = random_kernel(rng, P, params, steps=rng.randrange(0, 80))
        fast, ref = eliminate_dead_code(k), eliminate_dead_code_reference(k)
        assert fast.instrs == ref.instrs
        assert [i.loc for i in fast.instrs] == [i.loc for i in ref.instrs]
        assert all(type(a) is int for i in fast.instrs for a in i.args)
        assert validate_kernel(fast, P) == []


def test_dead_code_elimination_drops_chains_and_keeps_sinks() -> None:
    """Dead values that read dead values go too; hints read by an assert stay; a kernel
    with nothing dead comes back unchanged."""
    params = [Param("x", (2,), False, False), Param("y", (1,), True, False)]
    b = KernelBuilder("k", params, P)
    x0, x1 = b.input(0, 0), b.input(0, 1)
    dead = b.mul(b.add(x0, b.const(7)), x1)  # const, add and mul: all dead
    b.neg(dead)
    h = b.hint(HintKind.INV0, (x1,))
    b.assert_zero(b.mul(h, x0))
    b.output(1, 0, b.sub(x0, x1))
    k = b.finish()
    out = eliminate_dead_code(k)
    assert [i.op for i in out.instrs] == [
        Op.INPUT, Op.INPUT, Op.HINT, Op.MUL, Op.ASSERT_ZERO, Op.SUB, Op.OUTPUT,
    ]  # fmt: skip
    assert out.instrs == eliminate_dead_code_reference(k).instrs
    again = eliminate_dead_code(out)
    assert again.instrs == out.instrs
    empty = KernelIR("e", [], [])
    assert eliminate_dead_code(empty).instrs == []
