"""Templates over compile-time ints: instances, their names, shapes, and their diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from zkcc.analysis.assign import AssignOptions
from zkcc.driver import plan_program
from zkcc.errors import UserError
from zkcc.field import get_field
from zkcc.frontend import check_source, compile_source
from zkcc.frontend.diagnostics import Diagnostic
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.execute import execute
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

DENSE = """
#pragma field {field}
template <int N> __device__ field sum(const field v[N]) {{
    field acc = 0;
    for (int i = 0; i < N; i++) {{ acc += v[i]; }}
    return acc;
}}

template <int N, int M>
__global__ void dense(const field x[N], __broadcast__ const field w[M][N], field y[M]) {{
    for (int j = 0; j < M; j++) {{
        field t[N];
        for (int i = 0; i < N; i++) {{ t[i] = x[i] * w[j][i]; }}
        y[j] = sum<N>(t) + sum(t);  // explicit, then deduced from t's shape
    }}
}}

template <int K> __global__ void scale(const field x[K], field y[K]) {{
    for (int i = 0; i < K; i++) {{ y[i] = x[i] * K; }}
}}

__host__ void main(public field x[{n}][8], private field w[3][8], public out field y[{n}][3],
                   public out field z[{n}][3], public out field s[{n}][8]) {{
    const int H = 4;
    dense<8, 3><<<{n}>>>(x, w, y);
    dense<2 * H, 3><<<{n}>>>(x, w, z);  // the same instance
    scale<H + H><<<{n}>>>(x, s);
}}
"""


def errors(src: str) -> list[Diagnostic]:
    return [d for d in check_source(src, "t.zkcu") if d.severity == "error"]


def one(src: str) -> Diagnostic:
    errs = errors(src)
    assert len(errs) == 1, [e.format() for e in errs]
    return errs[0]


def test_instances_are_named_shared_and_compute_the_reference() -> None:
    F = get_field("m31")
    prog = compile_source(DENSE.format(field="m31", n=5), "t.zkcu")
    assert sorted(prog.kernels) == ["dense<8,3>", "scale<8>"]
    assert [s.kernel for s in prog.host.steps] == ["dense<8,3>", "dense<8,3>", "scale<8>"]
    assert [p.shape for p in prog.kernels["dense<8,3>"].params] == [(8,), (3, 8), (3,)]
    rng = np.random.default_rng(7)
    x = rng.integers(0, F.p, size=(5, 8))
    w = rng.integers(0, F.p, size=(3, 8))
    run = execute(
        prog, F, {"x": F.array(x.reshape(-1).tolist()), "w": F.array(w.reshape(-1).tolist())}
    )
    want = [2 * int(np.dot(row.astype(object), wj.astype(object))) % F.p for row in x for wj in w]
    assert F.to_ints(run.tensors["y"]) == want
    assert F.to_ints(run.tensors["z"]) == want
    assert F.to_ints(run.tensors["s"]) == [int(a) * 8 % F.p for a in x.reshape(-1)]


def test_instance_names_survive_plans_and_backend_options() -> None:
    """`dense<8,3>` is a kernel name like any other: in the plan (deterministic bytes), in
    `--backend KERNEL=B`, and proved and verified with either backend."""
    F = get_field("bn254")
    prog = compile_source(DENSE.format(field="bn254", n=2), "t.zkcu")
    options = AssignOptions(kernel_backends=(("dense<8,3>", "groth16"),))
    data = plan_program(prog, options=options).to_bytes()
    again = plan_program(
        compile_source(DENSE.format(field="bn254", n=2), "t.zkcu"), options=options
    )
    assert again.to_bytes() == data
    plan = Plan.from_bytes(data)
    assert [plan.backend(i) for i in range(3)] == ["groth16", "groth16", "gkr"]
    with pytest.raises(UserError, match=r"launches no kernel 'dense<8, 3>'"):
        plan_program(prog, options=AssignOptions(kernel_backends=(("dense<8, 3>", "gkr"),)))
    rng = np.random.default_rng(3)
    inputs = {
        "x": F.array(rng.integers(0, 100, size=16).tolist()),
        "w": F.array(rng.integers(0, 100, size=24).tolist()),
    }
    plan = Plan.from_bytes(plan_program(prog).to_bytes())  # all GKR: no Groth16 setup needed
    digest = plan_digest(plan.to_bytes())
    public = verify(plan, digest, prove(plan, digest, inputs).to_bytes())
    assert F.to_ints(public["y"]) == F.to_ints(public["z"])


TEMPLATE_K = "template <int N> __global__ void k(const field x[N], field y[N]) { y[0] = x[0];"
TEMPLATE_K += " for (int i = 1; i < N; i++) { y[i] = x[i]; } }\n"
MAIN21 = "__host__ void main(public field a[2][2], public out field b[2][1]) { k<<<2>>>(a, b); }\n"
SUM = "template <int N> __device__ field sum(const field v[N]) { return v[0]; }\n"


@pytest.mark.parametrize(
    "src, where, message",
    [
        (
            TEMPLATE_K + "__host__ void main(public field a[2][2], public out field b[2][2]) {\n"
            "    k<2, 3><<<2>>>(a, b);\n}\n",
            (3, 6),
            "'k' takes 1 template argument(s), got 2",
        ),
        (
            TEMPLATE_K + "__host__ void main(public field a[2][2], public out field b[2][2]) {\n"
            "    k<<<2>>>(a, b);\n}\n",
            (3, 5),
            "kernel 'k' is a template: launch an instance of it, k<...><<<count>>>(...)",
        ),
        (
            "__global__ void k(const field x[2], field y[2]) { y[0] = x[0]; y[1] = x[1]; }\n"
            "__host__ void main(public field a[2][2], public out field b[2][2]) {\n"
            "    k<2><<<2>>>(a, b);\n}\n",
            (3, 6),
            "'k' is not a template, but is given template arguments",
        ),
        (
            TEMPLATE_K + "__host__ void main(public field a[2][2], public out field b[2][2]) {\n"
            "    k<3><<<2>>>(a, b);\n}\n",
            (3, 17),
            "argument 'a' for parameter 'x' of 'k<3>' has shape [2][2], expected [2][3] "
            "(split over 2 instances of [3])",
        ),
        (
            SUM + "__global__ void k(const field x[2], field y[1]) {\n"
            "    y[0] = sum<x[0]>(x);\n}\n" + MAIN21,
            (3, 16),
            "a template argument must be a compile-time int, got a field value (field values "
            "cannot be converted to int)",
        ),
        (
            SUM + "__global__ void k(const field x[2], field y[1]) {\n"
            "    y[0] = sum<3>(x);\n}\n" + MAIN21,
            (3, 19),
            "argument 'v' of 'sum<3>' needs a field array of shape [3], got field array 'x' of "
            "shape [2]",
        ),
        (
            "template <int N> __device__ field one() { return N; }\n"
            "__global__ void k(const field x[2], field y[1]) {\n"
            "    y[0] = one() + x[0];\n}\n" + MAIN21,
            (3, 12),
            "'one' is a template: give its arguments, one<...>(...) (cannot deduce 'N' from the "
            "shapes of the arguments)",
        ),
        (
            "template <int N, int N> __device__ field f() { return 1; }\n"
            "__global__ void k(const field x[2], field y[1]) { y[0] = x[0]; }\n" + MAIN21,
            (1, 22),
            "duplicate template parameter 'N'",
        ),
        (
            "template <int N> __host__ void main(public field a[2][2],\n"
            "                                    public out field b[2][2]) {}\n",
            (1, 32),
            "main cannot be a template",
        ),
    ],
)
def test_template_diagnostics(src: str, where: tuple[int, int], message: str) -> None:
    d = [e for e in errors(src) if e.message == message]
    assert d, [e.format() for e in errors(src)]
    assert (d[0].loc.line, d[0].loc.col) == where
    assert "^" in d[0].format()


def test_an_error_in_a_template_body_names_the_instance() -> None:
    src = (
        "template <int N> __global__ void k(const field x[N], field y[N]) {\n"
        "    for (int i = 0; i < N; i++) { y[i] = x[i + 1]; }\n}\n"
        "__host__ void main(public field a[2][2], public out field b[2][2]) {\n"
        "    k<2><<<2>>>(a, b);\n}\n"
    )
    diags = check_source(src, "t.zkcu")
    err = one(src)
    assert (err.loc.line, err.loc.col) == (2, 44)
    assert "index 2 is out of bounds" in err.message
    note = [d for d in diags if d.severity == "note"]
    assert [(n.loc.line, n.loc.col, n.message) for n in note] == [
        (5, 5, "in the instance 'k<2>' launched here")
    ]


def test_an_error_in_a_device_template_declaration_names_the_call() -> None:
    """A template argument that makes a device function's dimension empty: the error is at
    the dimension, and a note names the instance and the call that made it."""
    src = (
        "template <int N> __device__ field f(const field v[N]) { return v[0]; }\n"
        "__global__ void k(const field a[4], field y[1]) { y[0] = f<-1>(a); }\n"
        "__host__ void main(public field a[2][4], public out field y[2][1]) { k<<<2>>>(a, y); }\n"
    )
    err = one(src)
    assert (err.loc.line, err.loc.col) == (1, 51) and "at least 1, got -1" in err.message
    notes = [d for d in check_source(src, "t.zkcu") if d.severity == "note"]
    assert [(n.loc.line, n.loc.col, n.message) for n in notes] == [
        (2, 58, "in the instance 'f<-1>' called here")
    ]


def test_comparisons_that_look_like_template_lists_stay_comparisons() -> None:
    """The lexer reads `name<...>(` as a template call only when the brackets hold no
    comparison or logical operator: `i < n && j > (k)` is an ordinary condition."""
    prog = compile_source(
        "__global__ void k(const field x[4], field y[1]) {\n"
        "    int n = 3; int j = 2;\n"
        "    field acc = 0;\n"
        "    for (int i = 0; i < 4; i++) { if (i < n && j > (i - 1)) { acc += x[i]; } }\n"
        "    y[0] = acc;\n}\n"
        "__host__ void main(public field a[2][4], public out field b[2][1]) { k<<<2>>>(a, b); }\n",
        "t.zkcu",
    )
    F = get_field("m31")
    run = execute(prog, F, {"a": F.array([1, 2, 3, 4, 10, 20, 30, 40])})
    assert F.to_ints(run.tensors["b"]) == [1 + 2 + 3, 10 + 20 + 30]
