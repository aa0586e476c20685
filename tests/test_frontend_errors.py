"""Front end diagnostics: each kind of error, with its location, message and caret line."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkcc.errors import UserError, WitnessError
from zkcc.field import get_field
from zkcc.frontend import (
    CompileError,
    Diagnostic,
    check_file,
    check_source,
    compile_source,
)
from zkcc.runtime.witness import run_kernel

MAIN = "__host__ void main(public field a[2][1], public out field b[2][1]) { k<<<2>>>(a, b); }\n"


def errors(src: str, name: str = "t.zkcu") -> list[Diagnostic]:
    return [d for d in check_source(src, name) if d.severity == "error"]


def one(src: str) -> Diagnostic:
    errs = errors(src)
    assert len(errs) == 1, [e.format() for e in errs]
    return errs[0]


def at(d: Diagnostic) -> tuple[int, int]:
    return d.loc.line, d.loc.col


def kernel(body: str, params: str = "const field x[1], field y[1]") -> str:
    return f"__global__ void k({params}) {{\n{body}\n}}\n" + MAIN


def test_format_has_location_source_line_and_caret() -> None:
    d = one(kernel("    y[0] = zz + 1;"))
    assert d.format() == (
        "t.zkcu:2:12: error: undefined name 'zz'\n    y[0] = zz + 1;\n           ^~"
    )


def test_compile_error_lists_all_diagnostics() -> None:
    src = kernel("    y[0] = p1;\n    y[0] = p2;")
    with pytest.raises(CompileError) as info:
        compile_source(src, "t.zkcu")
    assert isinstance(info.value, UserError)
    text = str(info.value)
    assert "t.zkcu:2:12: error: undefined name 'p1'" in text
    assert "t.zkcu:3:12: error: undefined name 'p2'" in text
    assert len(info.value.diagnostics) == 2


def test_syntax_error_expected_one_of() -> None:
    d = one("const int N = (1 + 2;\n")
    assert at(d) == (1, 21)
    assert d.message == "unexpected ';', expected one of: ')'"
    assert d.format().endswith("const int N = (1 + 2;\n                    ^")


def test_missing_semicolon_and_recovery_reports_several() -> None:
    src = "const int A = 1\nconst int B = 2;\nconst int C = * 3;\nconst int D = (4;\n"
    errs = errors(src)
    assert [(at(e), e.message) for e in errs] == [
        ((1, 16), "expected ';' before 'const'"),
        (
            (3, 15),
            "unexpected '*', expected one of: identifier, number, '!', '(', '+', '-', '{', '~'",
        ),
        ((4, 17), "unexpected ';', expected one of: ')'"),
    ]


def test_unexpected_character_and_end_of_file() -> None:
    errs = errors("const int A = 1 $ 2;\n__global__ void k() {\n")
    assert [e.message.split(",")[0] for e in errs] == [
        "unexpected character '$'",
        "expected '}' before end of file",
    ]
    assert at(errs[0]) == (1, 17)


def test_semantic_errors_are_all_reported() -> None:
    src = kernel(
        "    int i = x[0];\n"  # 2: field -> int
        "    x[0] = 1;\n"  # 3: const param
        "    y[0] = x[1];\n"  # 4: out of bounds
        "    if (x[0]) { }\n"  # 5: field condition
        "    for (int j = 0; j < x[0]; j++) { }\n"  # 6: non-constant loop bound
        "    y[0] = x[0];"
    )
    errs = errors(src)
    assert [at(e) for e in errs] == [(2, 13), (3, 5), (4, 14), (5, 9), (6, 21)]
    msgs = [e.message for e in errs]
    assert "cannot assign a field value to int 'i'" in msgs[0]
    assert msgs[1] == "cannot assign to 'x[0]': it is a read-only input parameter"
    assert msgs[2] == "index 1 is out of bounds for 'x' (dimension of size 1)"
    assert "use select(b, x, y)" in msgs[3]
    assert msgs[4].startswith("operator '<' needs bounded values, but its right operand")


@pytest.mark.parametrize(
    ("src", "pos", "message"),
    [
        (
            "const int N = 1;\nconst int N = 2;\n",
            (2, 11),
            "redefinition of 'N' (first defined at t.zkcu:1:11)",
        ),
        (
            kernel("    field a = 1;\n    field a = 2;\n    y[0] = a;"),
            (3, 11),
            "redefinition of 'a' in the same scope",
        ),
        (  # a builtin the compiler always resolves: the function would never be called
            "__device__ field select(field c, field a, field b) { return a; }\n"
            + kernel("    y[0] = select(1, x[0], 2);"),
            (1, 18),
            "'select' is a builtin and cannot be redefined (a function may replace only "
            "min, max, abs, relu, clamp, argmax)",
        ),
        (
            "__device__ field f(field a) { return a; }\n" + kernel("    y[0] = f(x[0], 1);"),
            (3, 12),
            "'f' takes 1 argument(s), got 2",
        ),
        (
            "__device__ field f(field a) { return f(a); }\n" + kernel("    y[0] = f(x[0]);"),
            (1, 38),
            "recursive call of 'f' is not supported (f -> f)",
        ),
        (
            "__device__ void f(field a[2]) { a[0] = 1; }\n" + kernel("    f(x);"),
            (3, 7),
            "argument 'a' of 'f' needs a field array of shape [2], "
            "got field array 'x' of shape [1]",
        ),
        (  # a const field array parameter takes iK arrays, not fxK.F ones
            "__device__ field f(const field a[2]) { return a[0] + a[1]; }\n"
            + kernel("    fx8.4 h[2] = {0.5, 1};\n    y[0] = f(h);"),
            (4, 14),
            "argument 'a' of 'f' needs a field array of shape [2], got fx8.4 array 'h' of "
            "shape [2] (a fixed-point array is not a field array: pass an iK array holding "
            "its stored integers, v * 2^F)",
        ),
        (
            "__device__ void f(field a[1]) { a[0] = 1; }\n" + kernel("    f(x); y[0] = 1;"),
            (3, 7),
            "read-only array 'x' passed to non-const parameter 'a' of 'f'",
        ),
        (
            "__device__ void f(const field a[1], field r[1]) { a[0] = 1; }\n"
            + kernel("    f(y, y);"),
            (1, 51),
            "cannot assign to 'a[0]': it is a read-only const parameter",
        ),
        (
            kernel("    y[0] = 1;", "__broadcast__ field y[1]"),
            (1, 19),
            "output parameter 'y' cannot be __broadcast__ (each instance writes its own slice); "
            "add 'const' if it is an input",
        ),
        (kernel("    y[0] = x[0] / 0;"), (2, 19), "division by zero"),
        (
            kernel("    assert(x[0] - x[0] == 1);\n    y[0] = 1;"),
            (2, 12),
            "assertion is always false",
        ),
        (
            kernel("    assert(1 + 1 == 3);\n    y[0] = 1;"),
            (2, 12),
            "compile-time assertion failed",
        ),
        (
            kernel("    field b[31];\n    to_bits(x[0], b);\n    y[0] = b[0];"),
            (3, 19),
            "to_bits width 31 is too large: at most 30 bits fit this field without wrapping",
        ),
        (
            kernel("    field t[2];\n    y[0] = t[1];"),
            (3, 12),
            "element t[1] is read before it is assigned",
        ),
        (kernel("    y[0] = x;"), (2, 5), "expected a field value, got array 'x' of shape [1]"),
        (
            kernel("", "const field x[1], field y[2]"),
            (1, 43),
            "output 'y' is not fully assigned by kernel 'k': "
            "2 of 2 element(s) unassigned (y[0], y[1])",
        ),
        ("#pragma optimize 3\n", (1, 1), "unknown pragma 'optimize' (supported: field)"),
        (
            "#pragma field goldilocks\n",
            (1, 1),
            "unknown field 'goldilocks' (supported: bn254, m31)",
        ),
        ("const int N = 1 / 0;\n", (1, 19), "division by zero in a compile-time expression"),
        (
            "int N = 1;\n",
            (1, 1),
            "global 'N' must be declared 'const int' (top-level values are compile-time constants)",
        ),
        # a device function's parameters are distinct, as a kernel's (the last used to win)
        (
            "__device__ field f(field a, field a) { return a; }\n"
            + kernel("    y[0] = f(x[0], 7);"),
            (1, 35),
            "duplicate parameter 'a'",
        ),
        ("__device__ int g(int n, int n) { return n; }\n", (1, 29), "duplicate parameter 'n'"),
        (
            "__device__ field h(const field a[2], field a) { return a; }\n",
            (1, 44),
            "duplicate parameter 'a'",
        ),
        (
            kernel("    y[0] = x[0]; /* no end\n    y[0] = 1;"),
            (2, 18),
            "unterminated comment: '/*' without '*/'",
        ),
        (
            "#pragma field m31 /* no end on this line\n */\n",
            (1, 19),
            "unterminated comment: a comment on a #pragma or #include line must end on it",
        ),
        (  # not "loop never ends": the update would fail first, as the body would
            kernel("    for (int i = 0; i < 4; j++) { y[0] = x[0]; }"),
            (2, 28),
            "undefined name 'j'",
        ),
        (
            kernel("    fx16.8 a = .5;", "const fx16.8 x[1], fx16.8 y[1]"),
            (2, 16),
            "malformed number '.5': a real literal has digits on both sides of the '.': write 0.5",
        ),
        (
            kernel("    fx16.8 a = 5.;", "const fx16.8 x[1], fx16.8 y[1]"),
            (2, 16),
            "malformed number '5.': a real literal has digits on both sides of the '.': write 5.0",
        ),
        (
            kernel("    fx16.8 a = 1e1000;", "const fx16.8 x[1], fx16.8 y[1]"),
            (2, 16),
            "malformed number '1e1000': the exponent of a real literal has at most 3 digits",
        ),
    ],
)
def test_error_kinds(src: str, pos: tuple[int, int], message: str) -> None:
    errs = errors(src)
    assert errs, "expected an error"
    d = errs[0]
    assert (at(d), d.message) == (pos, message), d.format()


def test_non_constant_loop_bound_message() -> None:
    d = one(kernel("    for (int i = 0; x[0]; i++) { }\n    y[0] = 1;"))
    assert d.message.startswith("the loop condition must be a compile-time int, not a field value")


HOST_K = "__global__ void k(const field x[2], field y[2]) { y[0] = x[0]; y[1] = x[1]; }\n"


@pytest.mark.parametrize(
    ("body", "pos", "message"),
    [
        (
            "k<<<3>>>(a, b);",
            (3, 10),
            "argument 'a' for parameter 'x' of 'k' has shape [4][2], expected [3][2] "
            "(split over 3 instances of [2])",
        ),
        ("k<<<4>>>(a);", (3, 1), "kernel 'k' takes 2 argument(s), got 1"),
        (
            "k<<<4>>>(a, b); k<<<4>>>(a, b);",
            (3, 29),
            "tensor 'b' is written twice (already written by the launch at t.zkcu:3:1); "
            "every tensor is written exactly once",
        ),
        (
            "field t[4][2]; k<<<4>>>(t, b);",
            (3, 25),
            "tensor 't' is read before any launch writes it",
        ),
        ("k<<<4>>>(b, a);", (3, 10), "tensor 'b' is read before any launch writes it"),
        ("k<<<4>>>(a, a);", (3, 13), "output parameter 'y' cannot write the public input 'a'"),
        (
            "field v[9] = reshape(a); k<<<4>>>(a, b);",
            (3, 14),
            "reshape of 'a' from [4][2] (8 elements) to [9] (9 elements) "
            "changes the number of elements",
        ),
        ("g<<<4>>>(a, b);", (3, 1), "undefined kernel 'g'"),
        ("k<<<n>>>(a, b);", (3, 5), "undefined name 'n'"),
        ("k<<<0>>>(a, b);", (3, 5), "the instance count must be at least 1, got 0"),
        (
            "k<<<4>>>(a, b); assert_eq(a, c);",
            (3, 17),
            "assert_eq of tensors with different shapes: 'a' is [4][2], 'c' is [8]",
        ),
        ("", (2, 78), "public output 'b' is never written"),
        (
            "k<<<4>>>(a, b); int z = a;",
            (3, 25),
            "'a' is a tensor; tensors can only be passed to kernel launches, reshape and assert_eq",
        ),
    ],
)
def test_host_errors(body: str, pos: tuple[int, int], message: str) -> None:
    src = (
        HOST_K + "__host__ void main(public field a[4][2], public field c[8], "
        f"public out field b[4][2]) {{\n{body}\n}}\n"
    )
    errs = errors(src)
    assert errs, "expected an error"
    assert (at(errs[0]), errs[0].message) == (pos, message), errs[0].format()


def test_missing_main() -> None:
    d = one(HOST_K)
    assert d.message == "program has no '__host__ void main(...)'" and at(d) == (1, 1)


def test_main_parameter_qualifiers() -> None:
    errs = errors(HOST_K + "__host__ void main(out field a[4][2], const field b[1]) { }\n")
    assert [e.message for e in errs] == [
        "parameter 'a' of main must be declared 'public', 'private' or 'public out'",
        "qualifier 'const' is not allowed on a parameter of main "
        "(use 'public', 'private' or 'public out')",
    ]


def test_include_errors(tmp_path: Path) -> None:
    (tmp_path / "a.zkcu").write_text('#include "b.zkcu"\n')
    (tmp_path / "b.zkcu").write_text('#include "a.zkcu"\n')
    main = tmp_path / "main.zkcu"
    main.write_text('#include "a.zkcu"\n#include <nope.zkcu>\n#include "gone.zkcu"\n' + HOST_K)
    errs = [d for d in check_file(main) if d.severity == "error"]
    # the program names files relative to the main file; diagnostics as they were given
    assert errs[0].message == "include cycle: a.zkcu -> b.zkcu -> a.zkcu"
    assert str(errs[0].loc) == f"{tmp_path}/b.zkcu:1:1"
    assert errs[1].message.startswith("include file 'nope.zkcu' not found (searched: ")
    assert errs[1].message.endswith("stdlib)")
    assert f"(searched: {tmp_path}, " in errs[2].message
    assert at(errs[2]) == (3, 1)


def test_duplicate_pragma() -> None:
    errs = errors("#pragma field m31\n#pragma field bn254\n" + HOST_K)
    assert errs[0].message == "the field is already set by the #pragma at t.zkcu:1:1"


def test_check_file_reports_unreadable_file(tmp_path: Path) -> None:
    diags = check_file(tmp_path / "missing.zkcu")
    assert len(diags) == 1 and diags[0].message.startswith("cannot read source file")


# -- a missing '}' -------------------------------------------------------------------------


def test_missing_brace_of_an_inner_block() -> None:
    """The count blames the kernel's '{'; the indentation shows it is the loop's."""
    src = (
        "__global__ void k(const field x[1], field y[1]) {\n"
        "    for (int i = 0; i < 1; i++) {\n"
        "        y[0] = x[0];\n"
        "}\n" + MAIN
    )
    diags = check_source(src, "t.zkcu")
    assert [d.format() for d in diags] == [
        "t.zkcu:5:1: error: expected '}' before '__host__'\n" + MAIN.rstrip("\n") + "\n^~~~~~~~",
        "t.zkcu:2:33: note: to match this '{'\n"
        "    for (int i = 0; i < 1; i++) {\n"
        "                                ^",
    ]


def test_missing_brace_at_end_of_file() -> None:
    src = "__global__ void k(const field x[1], field y[1]) {\n    y[0] = x[0];\n"
    diags = check_source(src, "t.zkcu")
    assert [(d.severity, at(d), d.message) for d in diags] == [
        ("error", (3, 1), "expected '}' before end of file"),
        ("note", (1, 49), "to match this '{'"),
    ]


@pytest.mark.parametrize(
    ("item", "word"),
    [
        ("__global__ __groth16__ void k2() { }", "__global__"),
        ("__device__ field f() { return 1; }", "__device__"),
        ("#pragma field m31", "#pragma"),
    ],
)
def test_missing_brace_before_a_top_level_item(item: str, word: str) -> None:
    """After a `;` Lark reads `__device__` as a name and fails at the word after it: the message
    still names the item's first word."""
    src = f"__global__ void k(const field x[1], field y[1]) {{\n    y[0] = x[0];\n{item}\n"
    diags = check_source(src, "t.zkcu")
    assert [(at(d), d.message) for d in diags] == [
        ((3, 1), f"expected '}}' before '{word}'"),
        ((1, 49), "to match this '{'"),
    ]
    assert diags[0].format().endswith("\n^" + "~" * (len(word) - 1))


def test_brace_in_a_comment_is_not_counted() -> None:
    src = (
        "__global__ void k(const field x[1], field y[1]) { // {\n"
        "    /* { */ y[0] = x[0];\n"
        "__host__ void main(public field a[2][1], public out field b[2][1]) { k<<<2>>>(a, b); }\n"
    )
    diags = check_source(src, "t.zkcu")
    assert [(at(d), d.message) for d in diags] == [
        ((3, 1), "expected '}' before '__host__'"),
        ((1, 49), "to match this '{'"),
    ]


# -- follow-on errors ----------------------------------------------------------------------


def test_undefined_name_is_reported_once_per_function() -> None:
    src = "__device__ field f(field a) { return a + zz; }\n" + kernel(
        "    y[0] = zz + 1;\n    field t = zz * 2;\n    y[0] = t + zz;\n    y[0] = f(x[0]);"
    )
    assert [(at(d), d.message) for d in errors(src)] == [
        ((3, 12), "undefined name 'zz'"),
        ((1, 42), "undefined name 'zz'"),  # another function: another mistake
    ]
    src = kernel("    y[0] = nope(1);\n    y[0] = nope(2);")
    assert [(at(d), d.message) for d in errors(src)] == [((2, 12), "undefined function 'nope'")]


def test_uses_of_a_failed_declaration_are_not_reported() -> None:
    src = kernel("    field a[M];\n    a[0] = x[0];\n    y[0] = a[0] + a[1];\n    int n = a[0];")
    assert [(at(d), d.message) for d in errors(src)] == [((2, 13), "undefined name 'M'")]


def test_uses_of_a_failed_tensor_are_not_reported() -> None:
    src = (
        HOST_K + "__host__ void main(public field a[M][2], public out field b[4][2]) {\n"
        "    field t[N][2];\n    k<<<4>>>(a, t);\n    k<<<4>>>(t, b);\n    assert_eq(t, b);\n"
        "    k2<<<4>>>(a, b);\n    k2<<<4>>>(a, b);\n}\n"
    )
    assert [(at(d), d.message) for d in errors(src)] == [
        ((2, 35), "undefined name 'M'"),
        ((3, 13), "undefined name 'N'"),
        ((7, 5), "undefined kernel 'k2'"),
    ]


# -- int division --------------------------------------------------------------------------


def test_truncating_int_division_warns_where_a_field_was_likely_meant() -> None:
    src = kernel(
        "    y[0] = x[0] * (1 / 2);\n"  # two literals
        "    int n = 7;\n"
        "    y[0] = x[0] * (n / 2);\n"  # used as a field value
        "    for (int i = 0; i < 4; i++) { y[0] = x[0] * C[i / 2] + C[n / 2] + 3 / 3; }"  # meant
        "\n    y[0] = x[0];",
        params="const field x[1], field y[1]",
    ).replace("__global__", "const int C[4] = {1, 2, 3, 4};\n__global__")
    diags = check_source(src, "t.zkcu")
    assert [(d.severity, at(d)) for d in diags] == [("warning", (3, 20)), ("warning", (5, 20))]
    assert diags[0].message == (
        "integer division truncates: 1 / 2 is 0 (both operands are compile-time ints); to "
        "divide in the field, make one operand a field value (e.g. 'field one = 1;' then "
        "'one / 2')"
    )
    assert diags[1].message.startswith("integer division truncates: 7 / 2 is 3 (")


def test_warning_in_a_loop_is_reported_once() -> None:
    src = kernel("    for (int i = 0; i < 5; i++) { y[0] = x[0] * (3 / 2); }")
    assert [(d.severity, at(d)) for d in check_source(src, "t.zkcu")] == [("warning", (2, 50))]


# -- backends ------------------------------------------------------------------------------


def test_check_reports_groth16_in_an_m31_program(tmp_path: Path) -> None:
    """`check` passes exactly what `compile` accepts: Groth16 needs BN254."""
    src = "#pragma field m31\n" + kernel("    y[0] = x[0];").replace(
        "__global__", "__global__ __groth16__"
    )
    d = one(src)
    assert d.format() == (
        "t.zkcu:2:29: error: kernel 'k' asks for Groth16 (__groth16__), which proves over the "
        "BN254 scalar field only, but the program's field is m31 (use `#pragma field bn254`, "
        "or the gkr backend)\n"
        "__global__ __groth16__ void k(const field x[1], field y[1]) {\n"
        "                            ^"
    )
    path = tmp_path / "g.zkcu"
    path.write_text(src)
    assert [str(d.loc) for d in check_file(path)] == [f"{path}:2:29"]
    assert errors(src.replace("m31", "bn254")) == []


# -- failures at run time ------------------------------------------------------------------


def run_error(body: str, xs: list[int]) -> str:
    """The message of the witness generator's failure on inputs `xs`, one per instance."""
    program = compile_source(kernel(body), "t.zkcu")
    F = get_field(program.field)
    with pytest.raises(WitnessError) as info:
        run_kernel(F, program.kernels["k"], [F.array([[v] for v in xs]), None], len(xs))
    return str(info.value).splitlines()[0]


def test_failing_not_equal_assertion_is_an_assertion() -> None:
    assert run_error("    assert(x[0] != 3);\n    y[0] = x[0];", [1, 3]) == (
        "t.zkcu:2:5: error: assertion failed: both sides are 3 (kernel 'k', instance 1)"
    )
    # a - 0 folds to a: the sides are both 0
    assert run_error("    assert(x[0] != 0);\n    y[0] = x[0];", [0, 3]) == (
        "t.zkcu:2:5: error: assertion failed: both sides are 0 (kernel 'k', instance 0)"
    )
    assert run_error("    y[0] = 1 / x[0];", [5, 0]) == (
        "t.zkcu:2:12: error: division by zero (kernel 'k', instance 1)"
    )


def test_to_bits_overflow_names_value_and_width() -> None:
    body = "    field b[5];\n    to_bits(x[0], b);\n    y[0] = from_bits(b);"
    assert run_error(body, [31, 300]) == (
        "t.zkcu:3:5: error: to_bits: value 300 does not fit in 5 bits, which hold 0..31 "
        "(kernel 'k', instance 1)"
    )
    assert run_error("    field b[1];\n    to_bits(x[0], b);\n    y[0] = b[0];", [2]) == (
        "t.zkcu:3:5: error: to_bits: value 2 does not fit in 1 bits, which hold 0..1 "
        "(kernel 'k', instance 0)"
    )
    assert run_error("    assert(x[0] == 4);\n    y[0] = x[0];", [4, 6]) == (
        "t.zkcu:2:5: error: assertion failed: 6 != 4 (kernel 'k', instance 1)"
    )


def test_a_select_condition_that_is_not_a_bit_is_named() -> None:
    body = "    y[0] = select(x[0], 10, 20);"
    assert run_error(body, [1, -1]) == (
        "t.zkcu:2:12: error: value -1 is not 0 or 1 (its b * (b - 1) == 0 check: a select "
        "condition, say) (kernel 'k', instance 1)"
    )
    assert run_error(body, [2, 0, 3, 4]) == (
        "t.zkcu:2:12: error: value 2 is not 0 or 1 (its b * (b - 1) == 0 check: a select "
        "condition, say); 2 more failures (kernel 'k', instance 0)"
    )


def test_a_failure_in_the_standard_library_shows_its_line() -> None:
    """A prove-time failure inside a library function shows the library's line and a caret,
    read from this installation's stdlib, under the <stdlib>/ name the plan records."""
    from zkcc.frontend.loader import STDLIB_DIR
    from zkcc.ir.source import SourceLoc, located

    line = (STDLIB_DIR / "merkle.zkcu").read_text().splitlines()[22]
    col = line.index("assert") + 1
    text = located(SourceLoc("<stdlib>/merkle.zkcu", 23, col), "assertion failed: 2 != 0")
    assert text.splitlines() == [
        f"<stdlib>/merkle.zkcu:23:{col}: error: assertion failed: 2 != 0",
        f"    {line}",
        "    " + " " * (col - 1) + "^",
    ]


# ---- slices of host tensors as launch arguments -------------------------------------------
COPY = "__global__ void cp(const field a[2], field b[2]) { b[0] = a[0]; b[1] = a[1]; }\n"


def host(body: str, params: str = "public field x[3][2][2], public out field y[3][2][2]") -> str:
    return COPY + f"__host__ void main({params}) {{\n{body}\n}}\n"


@pytest.mark.parametrize(
    "body, where, message",
    [
        (
            "    for (int l = 0; l <= 3; l++) { cp<<<2>>>(x[l], y[l]); }",
            (3, 48),
            "index 3 is out of bounds for 'x' (dimension of size 3)",
        ),
        (
            "    cp<<<2>>>(x[0], y[0]);\n    cp<<<2>>>(x[1], y[1]);\n    cp<<<2>>>(x[2], y[1]);",
            (5, 21),
            "'y[1]' overlaps a part of 'y' already written (first by the launch at t.zkcu:4:5); "
            "every element is written exactly once",
        ),
        (
            "    field t[3][2][2];\n    cp<<<2>>>(x[0], t[0]);\n    cp<<<2>>>(t[1], y[0]);\n"
            "    cp<<<2>>>(x[1], y[1]);\n    cp<<<2>>>(x[2], y[2]);",
            (5, 15),
            "slice 't[1]' is read before any launch writes it",
        ),
        (
            "    field t[3][2][2];\n    cp<<<2>>>(x[0], t[0]);\n"
            "    field tv[6][2] = reshape(t);\n    field yv[6][2] = reshape(y);\n"
            "    cp<<<6>>>(tv, yv);",
            (7, 15),
            "'tv' is read before it is fully written (4 of 12 elements are)",
        ),
        (
            "    cp<<<2>>>(x[0], y[0]);\n    cp<<<2>>>(x[2], y[2]);",
            (2, 62),
            "public output 'y' is only partly written by the end of main (8 of 12 elements)",
        ),
        (
            "    cp<<<6>>>(x, y);\n    assert_eq(x[0], y[0]);",
            (4, 15),
            "assert_eq cannot take the slice 'x[0]' (not yet supported): compare whole tensors, "
            "or have a kernel compare the slices",
        ),
        (
            "    field v[3][4] = reshape(x);\n    cp<<<2>>>(v[0], y[0]);",
            (4, 15),
            "cannot slice 'v', a reshaped view of 'x': slice the tensor, then reshape the slice",
        ),
        (
            "    cp<<<2>>>(x[0][1], y[0]);",
            (3, 15),
            "argument 'x[0][1]' for parameter 'a' of 'cp' has shape [2], expected [2][2] "
            "(split over 2 instances of [2])",
        ),
    ],
)
def test_slice_diagnostics(body: str, where: tuple[int, int], message: str) -> None:
    errs = [e for e in errors(host(body)) if e.message == message]
    assert errs, [e.format() for e in errors(host(body))]
    assert at(errs[0]) == where
    assert "^" in errs[0].format()


def test_overlapping_slice_write_has_a_note_at_the_first_write() -> None:
    src = host(
        "    field xv[6][2] = reshape(x);\n    field yv[6][2] = reshape(y);\n"
        "    cp<<<6>>>(xv, yv);\n    cp<<<2>>>(x[0], y[1]);"
    )
    diags = check_source(src, "t.zkcu")
    err = [d for d in diags if d.severity == "error"]
    notes = [d for d in diags if d.severity == "note"]
    assert [d.message for d in err] == [
        "'y[1]' overlaps a part of 'y' already written (first by the launch at t.zkcu:5:5); "
        "every element is written exactly once"
    ]
    assert [at(d) for d in err] == [(6, 21)]
    assert [(at(n), n.message) for n in notes] == [((5, 5), "'y' first written here")]


def test_reshaped_slices_and_slices_written_in_a_loop_compile() -> None:
    src = host(
        "    for (int l = 0; l < 3; l++) {\n"
        "        field v[4] = reshape(y[l]);\n"
        "        field u[4] = reshape(x[l]);\n"
        "        cp<<<2>>>(x[l], y[l]);\n"
        "    }"
    )
    assert errors(src) == []


@pytest.mark.parametrize(
    ("call", "name", "col"),
    [("    sort(v);", "sort", 5), ("    y[0] = max_of(v);", "max_of", 12)],
)
def test_an_error_inside_a_library_function_notes_the_call(call, name, col):
    """The error is where the library's code is; a note points at the user's call of it,
    also when the function returns a value (its `return` came after the error)."""
    src = f"""#pragma field m31
#include <cmp.zkcu>
__global__ void k(const field x[4], field y[4]) {{
    field v[4];
    for (int i = 0; i < 4; i++) {{ v[i] = x[i]; }}
{call}
    for (int i = 1; i < 4; i++) {{ y[i] = v[i]; }}
}}
__host__ void main(private field x[2][4], public out field y[2][4]) {{ k<<<2>>>(x, y); }}
"""
    diags = check_source(src, "lib.zkcu")
    errors = [d for d in diags if d.severity == "error"]
    notes = [d for d in diags if d.severity == "note"]
    assert errors and errors[0].loc.file == "<stdlib>/cmp.zkcu"
    assert [(n.loc.file, n.loc.line, n.loc.col) for n in notes] == [("lib.zkcu", 6, col)]
    assert f"in this call of '{name}'" in notes[0].message


# ---- source text: comments on directives, BOM, encoding, line ends, caret columns ----------


def test_comments_after_a_pragma_and_an_include_are_ignored() -> None:
    directives = "#pragma field m31 // or bn254\n#include <cmp.zkcu> /* c */ // d\n"
    main = "__host__ void main(public field x[1][2], public out field y[1][2]) { k<<<1>>>(x, y); }"
    assert errors(f"{directives}{HOST_K}{main}\n") == []


def test_a_leading_bom_is_skipped_and_columns_count_after_it(tmp_path: Path) -> None:
    main = tmp_path / "bom.zkcu"
    main.write_bytes(b"\xef\xbb\xbf" + kernel("    y[0] = zz;").encode())
    (d,) = [d for d in check_file(main) if d.severity == "error"]
    assert (at(d), d.message) == ((2, 12), "undefined name 'zz'")
    assert check_source("\ufeff" + kernel("    y[0] = x[0];"), "t.zkcu") == []


def test_invalid_utf8_is_located_at_its_first_byte(tmp_path: Path) -> None:
    """The line and column of the bad byte, the line shown with U+FFFD, in an included file
    as in the main one."""
    bad = b"const int A = 1;\nconst int B = \xe6\xbc\xa2 \xff;\n"
    (tmp_path / "inc.zkcu").write_bytes(bad)
    (tmp_path / "main.zkcu").write_bytes(bad)
    (tmp_path / "uses.zkcu").write_text('#include "inc.zkcu"\n' + HOST_K)
    for name, where in [("main.zkcu", "main.zkcu"), ("uses.zkcu", "inc.zkcu")]:
        (d,) = check_file(tmp_path / name)
        assert d.format() == (
            f"{tmp_path}/{where}:2:17: error: invalid UTF-8 (byte 0xff)\n"
            "const int B = \u6f22 \ufffd;\n                 ^"
        )


def test_lines_are_counted_at_newlines_only(tmp_path: Path) -> None:
    """A form feed (or a lone CR) is a blank to the lexer, not a line end: the line quoted
    is the one the location counts, at compile time and at prove time."""
    from zkcc.ir.source import SourceLoc, located

    src = kernel("    // page\fbreak\r\n    y[0] = zz;")
    d = one(src)
    assert (at(d), d.source_line) == ((3, 12), "    y[0] = zz;")
    assert d.format().splitlines()[1] == "    y[0] = zz;"
    (tmp_path / "t.zkcu").write_text(src)
    text = located(SourceLoc("t.zkcu", 3, 12), "why", tmp_path)
    assert text.splitlines()[1:] == ["        y[0] = zz;", "               ^"]


def test_carets_follow_tabs_and_display_width(tmp_path: Path) -> None:
    """Compile-time and prove-time carets are drawn by one function: tabs are kept, a wide
    character takes two columns, a combining one none; columns stay code points."""
    from zkcc.ir.source import SourceLoc, located

    for line, col, pad in [
        ("\t\ty[0] = zz;", 10, "\t\t       "),
        ("    /* \u6f22\u5b57 */ y[0] = zz;", 21, " " * 22),
        ("    /* e\u0301e\u0301 */ y[0] = zz;", 23, " " * 20),
    ]:
        d = one(kernel(line))
        assert at(d) == (2, col)
        assert d.format().splitlines()[2] == pad + "^~"
        (tmp_path / "t.zkcu").write_text(kernel(line))
        assert located(SourceLoc("t.zkcu", 2, col), "why", tmp_path).splitlines()[2] == (
            "    " + pad + "^"
        )


def test_no_follow_on_errors_after_a_failed_call() -> None:
    """A call whose body failed has an unknown result, not a missing one: its second call
    (whose error is not shown again) is not "ends without returning", and a kernel instance
    failing like the one before it is not "not fully assigned"."""
    src = "__device__ field bad(field a) { return a + nope; }\n" + kernel(
        "    y[0] = bad(x[0]);\n    y[1] = bad(x[0]);", "const field x[1], field y[2]"
    ).replace("b[2][1]", "b[2][2]")
    assert [d.message for d in check_source(src, "t.zkcu")] == ["undefined name 'nope'"]
    src = (
        "template <int N>\n__global__ void k(const field x[4], field y[1]) { y[0] = x[N]; }\n"
        "__host__ void main(public field x[4][4], public out field y[2][4][1]) {\n"
        "    for (int i = 0; i < 2; i++) { k<i + 4><<<4>>>(x, y[i]); }\n}\n"
    )
    diags = check_source(src, "t.zkcu")
    assert [(d.severity, d.message) for d in diags] == [
        ("error", "index 4 is out of bounds for 'x' (dimension of size 4)"),
        ("note", "in the instance 'k<4>' launched here"),
    ]


def test_an_error_in_a_device_template_notes_the_instance() -> None:
    src = "template <int N> __device__ field inner(const field v[N]) { return v[N]; }\n" + kernel(
        "    y[0] = inner<1>(x);\n    y[0] = inner(x);"
    )
    diags = check_source(src, "t.zkcu")
    assert [(d.severity, at(d), d.message) for d in diags] == [
        ("error", (1, 70), "index 1 is out of bounds for 'v' (dimension of size 1)"),
        ("note", (3, 12), "in the instance 'inner<1>' called here"),
    ]
