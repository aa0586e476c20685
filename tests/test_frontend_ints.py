"""Bounded integer types (iK), comparisons and min/max/abs/relu/clamp/argmax.

Every result is held against plain Python ints on random and boundary values; programs are
proved and verified on m31 (GKR) and bn254 (GKR and Groth16); a prover whose comparison hint
is wrong is refused by the constraints; each new diagnostic is located.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import forced_proof

from zkcc.driver import plan_program
from zkcc.errors import ProofRejected, WitnessError
from zkcc.field import get_field
from zkcc.frontend import check_source, compile_source
from zkcc.ir.kernel import HintKind, Op
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import witness as witness_module
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify
from zkcc.runtime.witness import run_kernel

# every operation on two K-bit values a, b (one instance: a[4], b[4])
OPS = """#pragma field {field}
__global__ {backend} void ops(const i{k} a[4], const i{k} b[4], i{k1} y[10], field c[7]) {{
    for (int i = 0; i < 4; i++) {{ y[i] = relu(a[i]); }}
    y[4] = min(a[0], b[0]);
    y[5] = max(a[1], b[1]);
    y[6] = abs(a[2]);
    y[7] = clamp(a[3], -100, b[3]);
    y[8] = a[0] - b[0];
    y[9] = min(a[1] * 2 + 1, b[1]);
    c[0] = a[0] < b[0];
    c[1] = a[0] <= b[0];
    c[2] = a[0] > b[0];
    c[3] = a[0] >= b[0];
    c[4] = a[0] == b[0];
    c[5] = a[0] != b[0];
    c[6] = argmax(b);
}}
__host__ void main(private field a[{n}][4], public field b[{n}][4],
                   public out field y[{n}][10], public out field c[{n}][7]) {{
    ops<<<{n}>>>(a, b, y, c);
}}
"""


def expected(a: list[int], b: list[int]) -> tuple[list[int], list[int]]:
    y = [max(v, 0) for v in a]
    y += [min(a[0], b[0]), max(a[1], b[1]), abs(a[2]), min(max(a[3], -100), b[3])]
    y += [a[0] - b[0], min(a[1] * 2 + 1, b[1])]
    x, z = a[0], b[0]
    c = [x < z, x <= z, x > z, x >= z, x == z, x != z, b.index(max(b))]
    return y, [int(v) for v in c]


def values(k: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random K-bit values with the boundaries, equal pairs and ties mixed in; b[3] >= -100
    so that clamp's bounds are never empty."""
    rng = random.Random(seed)
    lo, hi = -(1 << (k - 1)), (1 << (k - 1)) - 1
    pool = [lo, lo + 1, -1, 0, 1, hi - 1, hi]

    def draw() -> int:
        return rng.choice(pool) if rng.random() < 0.4 else rng.randint(lo, hi)

    a = [[draw() for _ in range(4)] for _ in range(n)]
    b = [[draw() for _ in range(4)] for _ in range(n)]
    for i in range(n):
        b[i][3] = max(b[i][3], -100)
        if i % 3 == 0:
            b[i][0] = a[i][0]  # equal
        if i % 4 == 1:
            b[i][2] = b[i][1]  # a tie in argmax
    return np.array(a, dtype=object), np.array(b, dtype=object)


def signed(F, xs) -> list[int]:
    return [v if v <= F.p // 2 else v - F.p for v in F.to_ints(xs.reshape(-1))]


def check(F, a, b, y, c) -> None:
    n = len(a)
    ys, cs = np.array(signed(F, y)).reshape(n, 10), np.array(signed(F, c)).reshape(n, 7)
    for i in range(n):
        want_y, want_c = expected(list(a[i]), list(b[i]))
        assert list(ys[i]) == want_y, (i, list(a[i]), list(b[i]))
        assert list(cs[i]) == want_c, (i, list(a[i]), list(b[i]))


@pytest.mark.parametrize(("field", "k"), [("m31", 8), ("m31", 16), ("m31", 28), ("bn254", 64)])
def test_operations_match_python_ints(field, k):
    """Witness generation (the circuit's checks included) against Python on 200 instances.
    m31 i28: a - b needs 29 bits, the widest difference the field can sign-test."""
    n = 200
    src = OPS.format(field=field, backend="", k=k, k1=k + 2, n=n)
    program = compile_source(src, "ops.zkcu")
    F = get_field(field)
    a, b = values(k, n, seed=k)
    w = run_kernel(F, program.kernels["ops"], [F.array(a), F.array(b), None, None], n)
    check(F, a, b, w.outputs[2], w.outputs[3])


def _plan(src: str, backend: str | None = None) -> tuple[Plan, bytes]:
    data = plan_program(compile_source(src, "ops.zkcu"), backend=backend).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


@pytest.mark.parametrize(
    ("field", "backend", "k"), [("m31", None, 16), ("bn254", None, 32), ("bn254", "groth16", 16)]
)
def test_prove_and_verify_end_to_end(field, backend, k):
    n = 6
    plan, digest = _plan(OPS.format(field=field, backend="", k=k, k1=k + 2, n=n), backend)
    F = get_field(field)
    a, b = values(k, n, seed=3)
    inputs = {"a": F.array(a).reshape(-1), "b": F.array(b).reshape(-1)}
    pks, vks = setup_plan(plan) if backend == "groth16" else (None, None)
    proof = prove(plan, digest, inputs, keys=pks).to_bytes()
    public = verify(plan, digest, proof, keys=vks)
    check(F, a, b, public["y"], public["c"])


# ---- soundness: a prover with a wrong comparison hint ----------------------------------------

LESS = """#pragma field {field}
__global__ void lt(const i8 a[1], const i8 b[1], field c[1]) { c[0] = a[0] < b[0]; }
__host__ void main(private field a[4][1], private field b[4][1], public out field c[4][1]) {
    lt<<<4>>>(a, b, c);
}
"""


def lying(monkeypatch) -> None:
    """Witness generation that flips the sign bit of a < b: the bits of a - b + 2^8 (9 bits;
    the range checks of the i8 inputs have 8) get their top bit flipped, so c comes out wrong,
    and witness generation's own check of the constraints is switched off."""
    real = witness_module._hint

    def flipped(F, kernel, idx, attr, x, vals, first):
        out = real(F, kernel, idx, attr, x, vals, first)
        if attr == (HintKind.BIT.value, 8):
            out = F.sub(F.ones(out.shape), out)
        return out

    monkeypatch.setattr(witness_module, "_hint", flipped)
    monkeypatch.setattr(witness_module, "_check_constraints", lambda *a: None)


@pytest.mark.parametrize(("field", "backend"), [("m31", None), ("bn254", "groth16")])
def test_a_flipped_comparison_is_refused(monkeypatch, field, backend):
    plan, digest = _plan(LESS.replace("{field}", field), backend)
    F = get_field(field)
    inputs = {"a": F.array([-5, 3, -128, 127]), "b": F.array([4, 3, 127, -128])}
    pks, vks = setup_plan(plan) if backend else (None, None)
    honest = verify(plan, digest, prove(plan, digest, inputs, keys=pks).to_bytes(), keys=vks)
    assert F.to_ints(honest["c"]) == [1, 0, 1, 0]
    with monkeypatch.context() as m:
        lying(m)
        proof = forced_proof(m, plan, digest, inputs, backend, pks)
    with pytest.raises(ProofRejected):
        verify(plan, digest, proof, keys=vks)


def test_no_hint_choice_satisfies_a_wrong_sign():
    """Exhaustively on a small case: for d = a - b with a, b in i4, every assignment of the 5
    bits of d + 16 that passes the constraints gives the true sign."""
    src = """__global__ void lt(const i4 a[1], const i4 b[1], field c[1]) { c[0] = a[0] < b[0]; }
__host__ void main(private field a[1][1], private field b[1][1], public out field c[1][1]) {
    lt<<<1>>>(a, b, c);
}"""
    kernel = compile_source(src, "t.zkcu").kernels["lt"]
    F = get_field("m31")
    hints = [i for i, ins in enumerate(kernel.instrs) if ins.op is Op.HINT]
    sign_bits = [i for i in hints if kernel.instrs[i].attr[1] == 4]  # the 5-bit decomposition
    assert len(sign_bits) == 1
    decomposed = kernel.instrs[sign_bits[0]].args[0]
    five = [i for i in hints if kernel.instrs[i].args == (decomposed,)]
    assert len(five) == 5
    for a in range(-8, 8):
        for b in range(-8, 8):
            w = run_kernel(F, kernel, [F.array([[a]]), F.array([[b]]), None], 1)
            honest = dict(zip(hints, F.to_ints(w.hints[0]), strict=True))
            for choice in range(32):
                vals = dict(honest)
                for j, h in enumerate(five):
                    vals[h] = (choice >> j) & 1
                if _satisfied(F, kernel, vals, [a % F.p, b % F.p]):
                    assert vals[five[4]] == int(a - b >= 0), (a, b, choice)


def _satisfied(F, kernel, hint_vals: dict[int, int], inputs: list[int]) -> bool:
    """Evaluate the kernel's constraints with the hints given (a direct interpreter)."""
    p = F.p
    v: dict[int, int] = {}
    for i, ins in enumerate(kernel.instrs):
        if ins.op is Op.INPUT:
            v[i] = inputs[ins.attr[0]]
        elif ins.op is Op.CONST:
            v[i] = ins.attr
        elif ins.op is Op.HINT:
            v[i] = hint_vals[i]
        elif ins.op is Op.ADD:
            v[i] = (v[ins.args[0]] + v[ins.args[1]]) % p
        elif ins.op is Op.SUB:
            v[i] = (v[ins.args[0]] - v[ins.args[1]]) % p
        elif ins.op is Op.MUL:
            v[i] = v[ins.args[0]] * v[ins.args[1]] % p
        elif ins.op is Op.NEG:
            v[i] = -v[ins.args[0]] % p
        elif ins.op is Op.ASSERT_ZERO and v[ins.args[0]] != 0:
            return False
    return True


# ---- ranges: inferred, checked once, overflow reported -----------------------------------------

MAIN = "__host__ void main(public field a[2][8], public out field b[2][1]) { k<<<2>>>(a, b); }\n"


def kernel_of(body: str, params: str = "const i8 x[8], i24 y[1]", field: str = "m31"):
    src = f"#pragma field {field}\n__global__ void k({params}) {{\n{body}\n}}\n" + MAIN
    return compile_source(src, "t.zkcu").kernels["k"]


def bit_hints(kernel) -> int:
    return sum(1 for ins in kernel.instrs if ins.op is Op.HINT)


def test_inferred_ranges_need_no_checks():
    """A sum of 8 products of i8 values fits i24 by inference: only the inputs are checked
    (8 bits each), the assignment costs nothing; a narrower output is checked."""
    body = (
        "    i24 acc = 0;\n    for (int i = 0; i < 8; i++) { acc += x[i] * x[i]; }\n    y[0] = acc;"
    )
    assert bit_hints(kernel_of(body)) == 8 * 8
    assert bit_hints(kernel_of(body, "const i8 x[8], i16 y[1]")) == 8 * 8 + 16
    # the input's range check leaves its sign: relu of an input costs no more bits
    assert bit_hints(kernel_of("    y[0] = relu(x[0]) + relu(x[1]);")) == 2 * 8
    # a plain field input is range-checked when it is assigned to an i24
    assert bit_hints(kernel_of("    y[0] = x[0];", "const field x[8], i24 y[1]")) == 24


def run_error(body: str, params: str, xs: list[list[int]]) -> str:
    kernel = kernel_of(body, params)
    F = get_field("m31")
    with pytest.raises(WitnessError) as info:
        run_kernel(F, kernel, [F.array(xs), None], len(xs))
    return str(info.value).splitlines()[0]


def test_overflow_names_line_instance_and_value():
    xs = [[1, 2, 0, 0, 0, 0, 0, 0], [100, 28, 0, 0, 0, 0, 0, 0]]
    assert run_error("    y[0] = x[0] + x[1];", "const i8 x[8], i8 y[1]", xs) == (
        "t.zkcu:3:5: error: value 128 does not fit i8, whose range is -128..127 "
        "(kernel 'k', instance 1)"
    )
    xs = [[1, 2, 0, 0, 0, 0, 0, 0], [-129, 0, 0, 0, 0, 0, 0, 0]]
    assert run_error("    y[0] = x[0] + x[1];", "const i8 x[8], i16 y[1]", xs) == (
        "t.zkcu:2:28: error: value -129 does not fit i8, whose range is -128..127 "
        "(kernel 'k', instance 1)"
    )


def test_device_functions_take_and_return_integer_types():
    src = """#pragma field m31
__device__ i8 sat(i16 v) { return clamp(v, -128, 127); }
__device__ field total(const field v[2]) { return v[0] + v[1]; }
__global__ void k(const i16 x[2], i8 y[2]) {
    y[0] = sat(x[0]);
    y[1] = sat(total(x) / 2);
}
__host__ void main(public field a[2][2], public out field b[2][2]) { k<<<2>>>(a, b); }
"""
    program = compile_source(src, "t.zkcu")
    F = get_field("m31")
    w = run_kernel(F, program.kernels["k"], [F.array([[300, -100], [-300, 10]]), None], 2)
    assert signed(F, w.outputs[1]) == [127, 100, -128, -128]


# ---- diagnostics ------------------------------------------------------------------------------


def diag(body: str, params: str = "const i8 x[8], i24 y[1]", field: str = "m31", main=MAIN):
    src = f"#pragma field {field}\n__global__ void k({params}) {{\n{body}\n}}\n" + main
    errs = [d for d in check_source(src, "t.zkcu") if d.severity == "error"]
    assert len(errs) == 1, [e.format() for e in errs]
    return (errs[0].loc.line, errs[0].loc.col), errs[0].message


@pytest.mark.parametrize(
    ("body", "params", "pos", "message"),
    [
        (
            "    y[0] = x[0] < 3;",
            "const field x[8], field y[1]",
            (3, 12),
            "operator '<' needs bounded values, but its left operand is a field value of "
            "unknown range; declare it with an integer type such as i16",
        ),
        (
            "    y[0] = max(x[0], x[1] / 2);",
            "const i8 x[8], field y[1]",
            (3, 22),
            "max needs a value of bounded range, got a field value of unknown range; declare it "
            "with an integer type such as i16",
        ),
        (
            "    y[0] = x[0] * x[1] < x[2];",
            "const i16 x[8], field y[1]",
            (3, 12),
            "'<' cannot be decided in this field: the values compared differ by "
            "-1073741823..1073774592, which needs 32 bits, but the field holds at most 30; "
            "narrow the operand types (e.g. i16)",
        ),
        (
            "    y[0] = x[0];",
            "const i31 x[8], field y[1]",
            (2, 19),
            "integer type 'i31' does not fit this field: the widest is i30 (a range check "
            "decomposes a value into K bits, 2^K <= p)",
        ),
        (
            "    i8 v = 200;\n    y[0] = v;",
            "const i8 x[8], field y[1]",
            (3, 12),
            "value 200 does not fit i8 'v' (range -128..127)",
        ),
        (
            "    y[0] = argmax(x[0]);",
            "const i8 x[8], field y[1]",
            (3, 19),
            "argmax needs a one-dimensional field array, got field",
        ),
        (
            "    y[0] = argmax(x);",
            "const field x[8], field y[1]",
            (3, 19),
            "argmax needs values of bounded range, but 'x[0]' is a field value of unknown "
            "range; declare the array with an integer type such as i16",
        ),
        (
            "    y[0] = clamp(x[0], 5, -5);",
            "const i8 x[8], field y[1]",
            (3, 12),
            "clamp bounds are empty: low 5 is above high -5",
        ),
        ("    y[0] = relu(x[0], 1);", "const i8 x[8], field y[1]", (3, 12), "relu takes 1 "),
        (  # p + 5: it would fit i8 only as the field element 5
            "    y[0] = 2147483652;",
            "const i8 x[8], i8 y[1]",
            (3, 5),
            "value 2147483652 does not fit i8 'y[0]' (range -128..127)",
        ),
        (  # a compile-time int, exact, not mod p
            "    int n = 1 << 40;\n    i16 v = n - 1;\n    y[0] = v;",
            "const i8 x[8], i16 y[1]",
            (4, 13),
            "value 1099511627775 does not fit i16 'v' (range -32768..32767)",
        ),
        (  # (p + 5) / 16 as fx8.4
            "    y[0] = 134217728.25;",
            "const i8 x[8], fx8.4 y[1]",
            (3, 5),
            "value 134217728.25 (stored 2147483652) does not fit fx8.4 'y[0]' (range -8..",
        ),
        (  # |x0 x1 x2| up to 2^45: the field value may have wrapped
            "    y[0] = x[0] * x[1] * x[2];",
            "const i16 x[8], i30 y[1]",
            (3, 5),
            "the value may have wrapped around mod p: its integer range "
            "-35184372088832..35183298347008 reaches integers whose residues mod p read as "
            "i30 values, so whether it fits i30 'y[0]' cannot be checked",
        ),
        (  # below p, but 2^30 + 2^29 - p = -(2^29 - 1) would pass an i30 range check
            "    i15 v = x[3];\n    y[0] = x[0] * x[1] + x[2] * v;",
            "const i16 x[8], i30 y[1]",
            (4, 5),
            "the value may have wrapped around mod p: its integer range "
            "-1610563584..1610612736 reaches integers whose residues mod p read as i30 values",
        ),
        (  # made from such a value
            "    y[0] = x[0] * x[1] * x[2] + 1;",
            "const i16 x[8], i30 y[1]",
            (3, 5),
            "the value may have wrapped around mod p: it is made from a value whose integer "
            "range is too wide",
        ),
        (
            "    y[0] = f(x);",
            "const field x[8], field y[1]",
            (3, 14),
            "argument 'v' of 'f' needs a i8 array of shape [8], got field array 'x' of shape [8]",
        ),
    ],
)
def test_diagnostics(body, params, pos, message):
    main = "__device__ field f(const i8 v[8]) { return v[0]; }\n" + MAIN
    got_pos, got = diag(body, params, main=main)
    assert got.startswith(message), got
    assert got_pos == pos, got


TYPED_MAIN = """#pragma field m31
__global__ void k(const i8 x[4], i16 y[1]) { y[0] = x[0] * x[1] + relu(x[2]) - x[3]; }
__host__ void main(private i8 a[3][4], public out i16 b[3][1]) { k<<<3>>>(a, b); }
"""


@pytest.mark.parametrize(
    ("main", "pos", "message"),
    [
        (
            "__host__ void main(public field a[2][8], public out i8 b[2][1]) { k<<<2>>>(a, b); }",
            (5, 79),
            "argument 'b' for parameter 'y' of 'k' holds i8 elements, but the parameter is "
            "declared i24: declare it i8, so that the kernel checks the range",
        ),
        (
            "__host__ void main(public i31 a[2][8], public out field b[2][1]) { k<<<2>>>(a, b); }",
            (5, 20),
            "integer type 'i31' does not fit this field: the widest is i30 (a range check "
            "decomposes a value into K bits, 2^K <= p)",
        ),
        (  # a fixed-point type is named as one, as in a kernel
            "__host__ void main(public fx31.4 a[2][8], public out field b[2][1]) "
            "{ k<<<2>>>(a, b); }",
            (5, 20),
            "fixed-point type 'fx31.4' does not fit this field: the widest is fx30.F (a range "
            "check decomposes a value into K bits, 2^K <= p)",
        ),
        (
            "__host__ void main(public i8 a[2][8], public out field b[2][1]) {\n"
            "    field v[16] = reshape(a);\n    k<<<2>>>(a, b);\n}",
            (6, 5),
            "view 'v' is declared field but 'a' holds i8 elements: a view has the element "
            "type of its tensor",
        ),
        (
            "__host__ void main(public void a[2][8], public out field b[2][1]) { k<<<2>>>(a, b); }",
            None,
            "",
        ),
    ],
)
def test_typed_tensors_of_main(main, pos, message):
    if pos is None:  # `void` is not a type there: a syntax error
        src = f"#pragma field m31\n__global__ void k(const i8 x[8], i24 y[1]) {{\n\n}}\n{main}\n"
        assert [d for d in check_source(src, "t.zkcu") if d.severity == "error"]
        return
    got_pos, got = diag("    y[0] = x[0];", main=main + "\n")
    assert (got_pos, got) == (pos, message)


def test_typed_tensors_flow_to_the_plan_inputs_and_outputs(tmp_path):
    """An i8 input accepts negative ints and refuses values out of range (naming the
    element); the plan records the element types; `zkcc run --json` prints signed ints."""
    import json
    import subprocess
    import sys

    from zkcc.errors import UserError
    from zkcc.runtime.inputs import load_inputs

    plan, _ = _plan(TYPED_MAIN)
    assert {t.name: t.elem for t in plan.host.tensors} == {"a": "i8", "b": "i16"}
    F = get_field("m31")
    a = [[-128, 127, -3, 5], [-1, -1, 0, -128], [10, -20, 7, 127]]
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps({"a": a}))
    loaded = load_inputs(path, plan.program, F)
    assert signed(F, loaded["a"]) == [v for row in a for v in row]
    path.write_text(json.dumps({"a": [[0, 0, 0, 0], [0, 0, 128, 0], [0, 0, 0, 0]]}))
    with pytest.raises(UserError, match=r"inputs.json: a\[1\]\[2\]: value 128 does not fit i8"):
        load_inputs(path, plan.program, F)
    src = tmp_path / "typed.zkcu"
    src.write_text(TYPED_MAIN)
    path.write_text(json.dumps({"a": a}))
    cmd = [sys.executable, "-c", "from zkcc.cli import main; main()", "run", str(src)]
    out = subprocess.run([*cmd, "-i", str(path), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    want = [[x[0] * x[1] + max(x[2], 0) - x[3]] for x in a]
    assert json.loads(out.stdout)["outputs"] == {"b": want}
    plan_path, proof_path = tmp_path / "typed.zkplan", tmp_path / "typed.zkproof"
    for args in (
        ["compile", str(src), "-o", str(plan_path)],
        ["prove", str(plan_path), "-i", str(path), "-o", str(proof_path)],
    ):
        done = subprocess.run([*cmd[:3], *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    out = subprocess.run(
        [*cmd[:3], "verify", str(plan_path), str(proof_path), "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["public"] == {"b": want}


def test_a_variable_named_like_a_type_gets_a_note():
    src = (
        "__global__ void k(const field x[1], field y[1]) {\n    int i2 = 3;\n    i2 = 4;\n"
        "    y[0] = x[0];\n}\n"
        "__host__ void main(public field a[2][1], public out field b[2][1]) { k<<<2>>>(a, b); }\n"
    )
    diags = check_source(src, "t.zkcu")
    assert [(d.severity, d.loc.line, d.loc.col) for d in diags] == [
        ("error", 3, 8),
        ("note", 3, 5),
    ]
    assert diags[0].message == "unexpected '=', expected one of: identifier"
    assert diags[1].message.startswith("'i2' is read as an integer type here")


def test_names_that_only_look_like_types_still_work():
    """`i8x`, `xi8` are names; `i2` is a name after `int` and inside expressions."""
    src = (
        "__global__ void k(const field x[1], field y[1]) {\n"
        "    int i2 = 3;\n    field i8x = x[0];\n    y[0] = i8x + i2;\n}\n"
        "__host__ void main(public field a[2][1], public out field b[2][1]) { k<<<2>>>(a, b); }\n"
    )
    assert check_source(src, "t.zkcu") == []


def test_from_bits_of_known_bits_has_a_range():
    """from_bits of values known to be 0 or 1 lies in 0 .. 2^n - 1, so it can be compared;
    of other values it has no range."""
    ok = """#pragma field m31
__global__ void k(const i8 x[1], field y[1]) {
    field b[8];
    to_bits(x[0] + 128, b);
    y[0] = from_bits(b) < 100;
}
__host__ void main(private field x[3][1], public out field y[3][1]) { k<<<3>>>(x, y); }
"""
    F = get_field("m31")
    program = compile_source(ok, "k.zkcu")
    w = run_kernel(F, program.kernels["k"], [F.array([[-128], [-28], [100]]), None], 3)
    assert signed(F, w.outputs[1]) == [1, 0, 0]
    bad = ok.replace("to_bits(x[0] + 128, b);", "for (int i = 0; i < 8; i++) { b[i] = x[0]; }")
    assert any("bounded" in d.message for d in check_source(bad, "k.zkcu"))


ASSERTED = """#pragma field m31
__global__ void k(const i8 a[1], field y[1]) {
    assert(a[0] < 3);
    assert((a[0] > -5) * (a[0] != 2));
    y[0] = a[0];
}
__host__ void main(private field a[4][1], public out field y[4][1]) { k<<<4>>>(a, y); }
"""


def test_assert_of_a_comparison_is_a_constraint(monkeypatch):
    """`assert(c)` for a 0/1 field value c (a comparison, a product of them) constrains c ==
    1 (it was refused with advice to use select); it holds for -4..1, a prover may not make it
    hold for 2, and a value that is not 0/1 has no truth to assert."""
    plan, digest = _plan(ASSERTED)
    F = get_field("m31")
    good = {"a": F.array([-4, 0, 1, -1])}
    public = verify(plan, digest, prove(plan, digest, good, randomness=None).to_bytes())
    assert signed(F, public["y"]) == [-4, 0, 1, -1]
    for bad, text in ((2, "assertion failed: 0 != 1"), (3, "assertion failed: 0 != 1")):
        with pytest.raises(WitnessError, match=text):
            prove(plan, digest, {"a": F.array([0, bad, 0, 0])})
    with monkeypatch.context() as m:
        m.setattr(witness_module, "_check_constraints", lambda *a: None)
        proof = forced_proof(m, plan, digest, {"a": F.array([0, 2, 0, 0])}, None, None)
    with pytest.raises(ProofRejected):
        verify(plan, digest, proof)
    errors = check_source(ASSERTED.replace("assert(a[0] < 3)", "assert(a[0] + 7)"), "t.zkcu")
    assert [e.message for e in errors][0].startswith(
        "assert(c) on a field value needs c to be 0 or 1"
    )
