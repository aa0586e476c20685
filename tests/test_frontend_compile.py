"""Front end: programs that compile, and the IR they produce (features, folding, DCE, includes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkcc.frontend import FIELDS, compile_file, compile_source
from zkcc.ir.host import AssertEq, Launch, TensorKind
from zkcc.ir.kernel import HintKind, Instr, KernelIR, Op, Param
from zkcc.ir.passes import eliminate_dead_code, validate_kernel
from zkcc.ir.source import SourceLoc

P = FIELDS["m31"]


def kernel_of(body: str, params: str = "const field x[4], field y[1]", pre: str = "") -> KernelIR:
    src = f"""{pre}
__global__ void k({params}) {{
{body}
}}
__host__ void main(public field xs[2][4], public out field ys[2][1]) {{ k<<<2>>>(xs, ys); }}
"""
    prog = compile_source(src, "t.zkcu")
    k = prog.kernels["k"]
    assert validate_kernel(k, P) == []
    return k


def ops(k: KernelIR) -> list[str]:
    return [i.op.value for i in k.instrs]


def test_params_and_host_graph() -> None:
    prog = compile_source(
        """
const int N = 4;
__global__ __gkr__ void k(const field a[N], __broadcast__ const field w[N][2], field o[2]) {
    o[0] = a[0] * w[0][0];
    o[1] = a[N - 1] + w[N - 1][1];
}
__host__ void main(public field xs[8][N], private field w[N][2], public out field ys[8][2]) {
    field t[8][2];
    k<<<8>>>(xs, w, t);
    field v[8][2] = reshape(t);
    field flat[16] = reshape(v);
    field again[8][2] = reshape(flat);
    assert_eq(again, t);
    field u[8][2];
    k<<<8>>>(xs, w, u);
    field ysv[16] = reshape(ys);
    field uv[16] = reshape(u);
    field two[8][2] = reshape(ysv);
    k<<<8>>>(xs, w, two);
    assert_eq(uv, ysv);
}
""",
        "t.zkcu",
    )
    k = prog.kernels["k"]
    assert k.backend == "gkr"
    assert [(p.name, p.shape, p.is_output, p.broadcast) for p in k.params] == [
        ("a", (4,), False, False),
        ("w", (4, 2), False, True),
        ("o", (2,), True, False),
    ]
    kinds = {t.name: t.kind for t in prog.host.tensors}
    assert kinds == {
        "xs": TensorKind.PUBLIC_IN,
        "w": TensorKind.PRIVATE_IN,
        "ys": TensorKind.PUBLIC_OUT,
        "t": TensorKind.INTERMEDIATE,
        "u": TensorKind.INTERMEDIATE,
    }
    bases = {v.name: (v.base, v.shape) for v in prog.host.views}
    assert bases["again"] == ("t", (8, 2)) and bases["two"] == ("ys", (8, 2))
    steps = prog.host.steps
    assert isinstance(steps[0], Launch) and steps[0].args == ("xs", "w", "t")
    assert isinstance(steps[1], AssertEq) and (steps[1].a, steps[1].b) == ("again", "t")
    assert steps[3].args == ("xs", "w", "two")
    assert list(prog.kernels) == ["k"]


def test_constant_folding_and_cse() -> None:
    k = kernel_of("field a = x[0] * 1 + 0; field b = x[0] * 1; y[0] = a * b + (a * b) - 0;")
    assert ops(k) == ["input", "mul", "add", "output"]


def test_dead_code_is_removed_and_renumbered() -> None:
    k = kernel_of("field unused = x[1] * x[2] * x[3]; y[0] = x[0];")
    assert ops(k) == ["input", "output"]
    assert k.instrs[1].args == (0,)


def test_dce_keeps_hints_that_feed_constraints() -> None:
    k = kernel_of("field q = x[0] / x[1]; y[0] = x[2];")
    assert [i.op for i in k.instrs].count(Op.HINT) == 1
    assert Op.ASSERT_ZERO in [i.op for i in k.instrs]


def test_dce_pass_directly() -> None:
    params = [Param("x", (2,), False, False), Param("y", (1,), True, False)]
    instrs = [
        Instr(Op.INPUT, (), (0, 1)),  # 0: dead
        Instr(Op.INPUT, (), (0, 0)),  # 1
        Instr(Op.MUL, (0, 0)),  # 2: dead
        Instr(Op.HINT, (1,), (HintKind.INV.value, 0)),  # 3: dead, no constraint reads it
        Instr(Op.ADD, (1, 1)),  # 4
        Instr(Op.OUTPUT, (4,), (1, 0)),  # 5
    ]
    out = eliminate_dead_code(KernelIR("k", params, instrs))
    assert [(i.op, i.args) for i in out.instrs] == [
        (Op.INPUT, ()),
        (Op.ADD, (0, 0)),
        (Op.OUTPUT, (1,)),
    ]
    assert validate_kernel(out, P) == []
    assert validate_kernel(KernelIR("k", params, instrs[:5]), P) == [
        "output y: 1 element(s) never written"
    ]


def test_locations_on_instructions() -> None:
    k = kernel_of("field a = x[0];\n    y[0] = a * x[1];")
    mul = next(i for i in k.instrs if i.op is Op.MUL)
    assert mul.loc == SourceLoc("t.zkcu", 4, 12, 20)
    out = next(i for i in k.instrs if i.op is Op.OUTPUT)
    assert (out.loc.line, out.loc.col) == (4, 5)


def test_division_select_is_zero_bits() -> None:
    k = kernel_of(
        """field b[4];
    to_bits(x[0], b);
    field s = select(b[0], x[1], x[2]);
    y[0] = s / x[3] + is_zero(x[0]) + from_bits(b) - 2 / 4;""",
    )
    hints = [HintKind(i.attr[0]) for i in k.instrs if i.op is Op.HINT]
    assert hints.count(HintKind.BIT) == 4 and HintKind.INV in hints and HintKind.INV0 in hints
    # `2 / 4` is compile-time int division (0): it leaves no trace
    assert all(i.attr != 0 for i in k.instrs if i.op is Op.CONST and i.attr == (P + 1) // 2)


def test_int_promotion_negative_and_hex() -> None:
    k = kernel_of("y[0] = x[0] * -1 + 0x10;")
    consts = sorted(i.attr for i in k.instrs if i.op is Op.CONST)
    assert consts == [16, P - 1]


def test_compile_time_control_flow() -> None:
    k = kernel_of(
        """field acc = 0;
    int n = 0;
    for (int i = 3; i >= 0; i--) { if (i % 2 == 0 && i != 2) { acc += x[i]; n += 1; } }
    for (int j = 0; j <= 6; j += 3) { n = n * 2; }
    assert(n == 8);
    y[0] = n > 5 ? acc : x[1];""",
    )
    inputs = [i.attr for i in k.instrs if i.op is Op.INPUT]
    assert inputs == [(0, 0)]


def test_device_functions_inline_and_take_arrays_by_reference() -> None:
    k = kernel_of(
        "field t[2]; fill(t, x); y[0] = sq(t[0]) + sum2(t);",
        pre="""
__device__ field sq(field a) { return a * a; }
__device__ void fill(field t[2], const field src[4]) { t[0] = src[0]; t[1] = src[1]; }
__device__ field sum2(const field t[2]) { return t[0] + t[1]; }
""",
    )
    assert ops(k).count("mul") == 1 and ops(k).count("add") == 2


def test_global_int_arrays_and_shadowing() -> None:
    k = kernel_of(
        "int N = 1; y[0] = x[0] * C[1][N];",
        pre="const int N = 2; const int C[2][2] = {{1, 2}, {3, -4 % 3}};",
    )
    # the local N shadows the global; C[1][1] = -4 % 3 = -1 in C, which is p - 1 as a field
    assert [i.attr for i in k.instrs if i.op is Op.CONST] == [P - 1]


def test_field_assert_and_not_equal() -> None:
    k = kernel_of("assert(x[0] == x[1] * 2); assert(x[2] != 5); y[0] = x[3];")
    assert [i.op for i in k.instrs].count(Op.ASSERT_ZERO) == 2
    assert [HintKind(i.attr[0]) for i in k.instrs if i.op is Op.HINT] == [HintKind.INV]


def test_bn254_pragma() -> None:
    prog = compile_source(
        "#pragma field bn254\n"
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0] * -1; }\n"
        "__host__ void main(public field a[1][1], public out field b[1][1]) { k<<<1>>>(a, b); }",
        "t.zkcu",
    )
    assert prog.field == "bn254"
    assert any(i.attr == FIELDS["bn254"] - 1 for i in prog.kernels["k"].instrs if i.op is Op.CONST)


def test_includes_once_relative_and_stdlib(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.zkcu").write_text('#include "b.zkcu"\n#include <math.zkcu>\n')
    (tmp_path / "lib" / "b.zkcu").write_text("const int TWO = 2;\n")
    main = tmp_path / "main.zkcu"
    main.write_text(
        '#include "lib/a.zkcu"\n#include "lib/b.zkcu"\n#include <math.zkcu>\n'
        "__global__ void k(const field x[TWO], field y[1]) { y[0] = cube(x[0]) + pow5(x[1]); }\n"
        "__host__ void main(public field a[3][2], public out field b[3][1]) { k<<<3>>>(a, b); }\n"
    )
    prog = compile_file(main)
    locs = {i.loc.file for i in prog.kernels["k"].instrs if i.op is Op.MUL}
    assert locs == {"<stdlib>/math.zkcu"}


def test_deterministic() -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "pipeline" / "pipeline.zkcu"
    a, b = compile_file(path), compile_file(path)
    assert a == b
    for name in a.kernels:
        assert [i.loc for i in a.kernels[name].instrs] == [i.loc for i in b.kernels[name].instrs]


@pytest.mark.parametrize("unused", ["private field w[2]", "public field w[2]"])
def test_unused_input_is_only_a_warning(unused: str) -> None:
    from zkcc.frontend import check_source

    src = (
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0]; }\n"
        f"__host__ void main(public field a[3][1], {unused}, public out field b[3][1]) "
        "{ k<<<3>>>(a, b); }\n"
    )
    diags = check_source(src, "t.zkcu")
    assert [d.severity for d in diags] == ["warning"]
    assert "'w' is never used" in diags[0].message
    compile_source(src, "t.zkcu")


def test_an_uncalled_device_function_is_named_and_errors_bring_no_unused_warnings() -> None:
    """The front end checks a device function's body where a kernel calls it, so one never
    called hides its errors: a warning says so (not for the library's functions). After an
    error, "never used" and "never launched" are not said: the failed launch may be what
    used the input."""
    from zkcc.frontend import check_source

    main = (
        "__host__ void main(public field a[3][1], public out field b[3][1]) { k<<<3>>>(a, b); }\n"
    )
    kernel = "__global__ void k(const field x[1], field y[1]) { y[0] = x[0]; }\n"
    uncalled = "__device__ field f(field v) { return v + nope; }\n"
    diags = check_source("#include <nn.zkcu>\n" + uncalled + kernel + main, "t.zkcu")
    assert [(d.severity, d.loc.line, d.message) for d in diags] == [
        (
            "warning",
            2,
            "device function 'f' is never called (its body is checked only where a kernel "
            "calls it)",
        )
    ]
    broken = main.replace("k<<<3>>>(a, b)", "k<<<3>>>(a, b, b)")
    diags = check_source(
        kernel + "__global__ void g(const field x[1], field y[1]) { y[0] = x[0]; }\n" + broken,
        "t.zkcu",
    )
    assert [d.severity for d in diags] == ["error"], [d.message for d in diags]


def test_host_loops_declare_unique_tensors_and_kernel_return() -> None:
    prog = compile_source(
        """
__global__ void k(const field x[1], field y[1]) { y[0] = x[0] + 1; return; }
__host__ void main(public field a[2][1], public out field b[2][1]) {
    for (int r = 0; r < 2; r++) {
        field t[2][1];
        k<<<2>>>(a, t);
    }
    k<<<2>>>(a, b);
}
""",
        "t.zkcu",
    )
    assert [t.name for t in prog.host.tensors] == ["a", "b", "t", "t.1"]
    assert [s.args[1] for s in prog.host.steps] == ["t", "t.1", "b"]


def _const_value(expr: str) -> int:
    """The value a compile-time int expression folds to, read from the IR constant."""
    k = kernel_of(f"    int v = {expr};\n    y[0] = x[0] * 0 + v;")
    consts = [i.attr for i in k.instrs if i.op is Op.CONST]
    assert len(consts) <= 1
    return consts[0] if consts else 0


@pytest.mark.parametrize(
    "expr",
    [
        "(12 & 10) | (1 << 4) ^ 3",  # C precedence: & then ^ then |
        "~5 & 0xF",
        "6 ^ 3 | 8",
        "255 & ~(1 << 3)",
        "1 | 2 && 0",  # | binds tighter than &&
        "(7 & 3) == 3",
        "5 & 3 == 1",  # == binds tighter than &: 5 & (3 == 1)
    ],
)
def test_bitwise_operators_on_compile_time_ints_follow_c(expr: str) -> None:
    py = expr.replace("&&", " and ").replace("||", " or ")
    want = eval(py.replace("5 & 3 == 1", "5 & (3 == 1)"), {})  # the reference: Python ints
    assert _const_value(expr) == int(want) % P


def test_bitwise_operators_need_compile_time_ints() -> None:
    from zkcc.frontend import check_source

    src = """
__global__ void k(const field x[1], field y[1]) { y[0] = x[0] & 1; }
__host__ void main(public field xs[2][1], public out field ys[2][1]) { k<<<2>>>(xs, ys); }
"""
    msgs = [d.message for d in check_source(src, "t.zkcu") if d.severity == "error"]
    assert msgs and "operator '&' needs compile-time ints" in msgs[0]
    src = src.replace("x[0] & 1", "~x[0]")
    msgs = [d.message for d in check_source(src, "t.zkcu") if d.severity == "error"]
    assert msgs and "operator '~' needs a compile-time int" in msgs[0]
