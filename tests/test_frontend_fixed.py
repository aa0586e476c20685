"""Fixed-point types (fxK.F): arithmetic, rescaling and division by constants, real-valued
inputs and outputs.

Results are held against exact rationals (fractions.Fraction) on random and boundary values;
a program is proved and verified on m31; a prover whose rescale quotient is off by any small
amount is refused by the constraints; compile-time and prove-time overflows and bad inputs are
located.
"""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import run_signed

from zkcc.cli import cli
from zkcc.driver import plan_program
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError, WitnessError, ZkccError
from zkcc.field import get_field
from zkcc.frontend import check_source, compile_source
from zkcc.ir.kernel import MAX_FRAC, MAX_QUOT, HintKind, Op
from zkcc.ir.types import fixed_text, quantise
from zkcc.plan.irformat import kernel_from_tree, kernel_to_tree
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import steps as steps_module
from zkcc.runtime import witness as witness_module
from zkcc.runtime.inputs import load_tensors
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify
from zkcc.runtime.witness import run_kernel

F_BITS = 6  # fractional bits of every type below
OPS = """#pragma field m31
__global__ void ops(const fx12.6 a[4], const fx12.6 b[4], fx14.6 y[8], field c[2]) {
    y[0] = a[0] * b[0];
    y[1] = a[1] + b[1] - 1;
    y[2] = a[2] - b[2] * 2;
    y[3] = a[3] / 3;
    y[4] = a[0] / -4;
    y[5] = max(a[1], b[1]) + 1;
    y[6] = relu(a[2]) * b[3] / 5;
    y[7] = select(a[0] < b[0], a[3], -b[3]);
    c[0] = a[0] < b[0];
    c[1] = argmax(b);
}
__host__ void main(private fx12.6 a[N][4], public fx12.6 b[N][4],
                   public out fx14.6 y[N][8], public out field c[N][2]) {
    ops<<<N>>>(a, b, y, c);
}
"""


def rnd(x: Fraction) -> int:
    """The documented rounding: nearest, a tie up."""
    return quantise(x, 0)


def expected(a: list[int], b: list[int]) -> tuple[list[int], list[int]]:
    """Stored integers (F = 6) of the outputs, from the stored integers of the inputs."""
    one = 1 << F_BITS
    y = [
        rnd(Fraction(a[0] * b[0], one)),
        a[1] + b[1] - one,
        a[2] - 2 * b[2],
        rnd(Fraction(a[3], 3)),
        rnd(Fraction(a[0], -4)),
        max(a[1], b[1]) + one,
        rnd(Fraction(rnd(Fraction(max(a[2], 0) * b[3], 5)), one)),
        a[3] if a[0] < b[0] else -b[3],
    ]
    return y, [int(a[0] < b[0]), b.index(max(b))]


def draw(rng: random.Random, n: int) -> list[list[int]]:
    """Stored integers in [-2^9, 2^9], boundary and tie-making values included."""
    edge = [-512, 512, 0, 1, -1, 2, -2, 3, -3, 32, -32, 96]
    return [[rng.choice(edge) if rng.random() < 0.3 else rng.randint(-512, 512) for _ in range(4)]
            for _ in range(n)]  # fmt: skip


def reals(rows: list[list[int]]) -> list[list[float]]:
    return [[v / (1 << F_BITS) for v in row] for row in rows]  # exact: small binary fractions


@pytest.mark.parametrize("seed", [1, 2])
def test_arithmetic_matches_exact_rationals(seed, tmp_path):
    n = 24
    rng = random.Random(seed)
    a, b = draw(rng, n), draw(rng, n)
    program = compile_source(OPS.replace("N", str(n)), "ops.zkcu")
    out = run_signed(program, {"a": reals(a), "b": reals(b)}, tmp_path)
    y, c = out["y"].reshape(n, 8), out["c"].reshape(n, 2)
    for i in range(n):
        ey, ec = expected(a[i], b[i])
        assert y[i].tolist() == ey, (a[i], b[i])
        assert c[i].tolist() == ec


def _plan(src: str) -> tuple[Plan, bytes]:
    data = plan_program(compile_source(src, "ops.zkcu")).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


def test_prove_and_verify_end_to_end():
    n = 4
    rng = random.Random(7)
    a, b = draw(rng, n), draw(rng, n)
    plan, digest = _plan(OPS.replace("N", str(n)))
    F = get_field("m31")
    inputs = {"a": F.array(np.array(a).reshape(-1)), "b": F.array(np.array(b).reshape(-1))}
    public = verify(plan, digest, prove(plan, digest, inputs).to_bytes())
    ys = [v if v <= F.p // 2 else v - F.p for v in F.to_ints(public["y"])]
    assert ys == [v for i in range(n) for v in expected(a[i], b[i])[0]]


# ---- soundness: a prover with a wrong quotient ----------------------------------------------

RESCALE = """#pragma field m31
__global__ void k(const fx16.8 a[1], const fx16.8 b[1], fx16.8 y[1]) { y[0] = a[0] * b[0]; }
__host__ void main(private fx16.8 a[4][1], private fx16.8 b[4][1], public out fx16.8 y[4][1]) {
    k<<<4>>>(a, b, y);
}
"""
RESCALE_IN = {"a": [1.5, -2.25, 3.0, -0.00390625], "b": [2.5, 1.0, -4.125, 0.5]}


def shifted_quotients(monkeypatch, delta: int) -> None:
    """Witness generation whose QUOT hints (the rescale's quotient) are off by `delta`; the
    bits of the remainder are then computed from the wrong quotient, as a cheating prover
    would."""
    real = witness_module._hint

    def lying(F, kernel, idx, attr, x, vals, first):
        out = real(F, kernel, idx, attr, x, vals, first)
        if attr[0] == HintKind.QUOT.value:
            out = F.add(out, F.array(np.full(out.shape, delta % F.p, dtype=np.int64)))
        return out

    monkeypatch.setattr(witness_module, "_hint", lying)


def _fixed_inputs(F, values: dict) -> dict:
    return {k: F.array([quantise(Fraction(v), 8) for v in vs]) for k, vs in values.items()}


@pytest.mark.parametrize("delta", [-3, -1, 1, 2, 1 << 20])
def test_no_wrong_quotient_satisfies_the_constraints(monkeypatch, delta):
    program = compile_source(RESCALE, "r.zkcu")
    kernel = program.kernels["k"]
    F = get_field("m31")
    ins = _fixed_inputs(F, RESCALE_IN)
    args = [ins["a"].reshape(4, 1), ins["b"].reshape(4, 1), None]
    honest = run_kernel(F, kernel, args, 4)
    got = [v if v <= F.p // 2 else v - F.p for v in F.to_ints(honest.outputs[2].reshape(-1))]
    want = [rnd(Fraction(x * y) * 256) for x, y in zip(*map(RESCALE_IN.get, "ab"), strict=True)]
    assert got == [rnd(Fraction(w)) for w in want]
    with monkeypatch.context() as m:
        shifted_quotients(m, delta)
        with pytest.raises(WitnessError, match="does not fit|to_bits|not zero|assertion"):
            run_kernel(F, kernel, args, 4)


def test_a_proof_with_a_wrong_quotient_is_rejected(monkeypatch):
    plan, digest = _plan(RESCALE)
    F = get_field("m31")
    inputs = _fixed_inputs(F, RESCALE_IN)
    with monkeypatch.context() as m:
        shifted_quotients(m, 1)
        m.setattr(witness_module, "_check_constraints", lambda *a: None)
        with pytest.raises(ZkccError, match="circuit residues are non-zero"):
            prove(plan, digest, inputs)
        m.setattr(steps_module, "check_residues", lambda *a: None)
        proof = prove(plan, digest, inputs).to_bytes()
    with pytest.raises(ProofRejected):
        verify(plan, digest, proof)


# ---- overflow and diagnostics -----------------------------------------------------------------


def _errors(src: str) -> list[str]:
    return [f"{d.loc.line}:{d.loc.col}: {d.message}" for d in check_source(src, "t.zkcu")]


def _kernel(body: str, params: str = "const fx16.8 a[2], fx8.4 y[1]") -> str:
    return f"""#pragma field m31
__global__ void k({params}) {{
{body}
}}
__host__ void main(private fx16.8 a[2][2], public out fx8.4 y[2][1]) {{ k<<<2>>>(a, y); }}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    y[0] = 8;", "3:5: value 8 (stored 128) does not fit fx8.4 'y[0]' (range -8..7.9375)"),
        (
            "    fx16.8 c = 1;\n    y[0] = c * 20;",
            "4:5: value 20 (stored 320) does not fit fx8.4 'y[0]' (range -8..7.9375)",
        ),
        (
            "    fx16.8 h = 100;\n    y[0] = h / 2;",
            "4:5: value 50 (stored 800) does not fit fx8.4 'y[0]'",
        ),
        ("    fx8.9 t = 0;\n    y[0] = a[0];", "3:5: fixed-point type 'fx8.9' has 9 fractional"),
        ("    fx31.4 t = 0;\n    y[0] = a[0];", "3:5: fixed-point type 'fx31.4' does not fit"),
        ("    y[0] = a[0] / a[1];", "3:19: a fixed-point division needs a compile-time int"),
        (
            "    field f = a[0];\n    y[0] = a[0];",
            "3:15: cannot assign a fixed-point value (8 fractional bits) to field 'f'",
        ),
        # `f op= v` is `f = f op v`: a fixed-point v must not land in a field f (the kernel
        # compiler's accumulation shortcut once stored it shifted left by F bits)
        (
            "    field f = 0;\n    f += a[0];\n    y[0] = a[0];",
            "4:5: cannot assign a fixed-point value (8 fractional bits) to field 'f'",
        ),
        (
            "    field f = 3;\n    f *= a[1];\n    y[0] = a[0];",
            "4:5: cannot assign a fixed-point value (8 fractional bits) to field 'f'",
        ),
        (
            "    field f = 0;\n    for (int i = 0; i < 2; i++) { f -= a[i] * 2; }\n"
            "    y[0] = a[0];",
            "4:35: cannot assign a fixed-point value (8 fractional bits) to field 'f'",
        ),
        ("    y[0] = a[0] % 2;", "3:12: operator '%' is not defined on fixed-point values"),
        (
            "    fx16.8 t = a[0] * a[1] + a[0] * a[1];\n    y[0] = t;",
            "3:16: rescaling or dividing a fixed-point value needs a value of known range",
        ),
        ("    field f = 0.5;\n    y[0] = a[0];", "3:15: a real number is only allowed with fixed"),
        ("    y[0] = min(a[0], 1) * 0.5;", ""),
    ],
)
def test_compile_errors_are_located(body, message):
    errors = _errors(_kernel(body))
    assert any(e.startswith(message) for e in errors) if message else errors == []


def test_host_fixed_types_are_checked():
    src = """__global__ void k(const fx8.9 a[1], fx8.4 y[1]) { y[0] = a[0]; }
__host__ void main(private fx8.9 a[2][1], public out fx8.4 y[2][1]) { k<<<2>>>(a, y); }
"""
    errors = _errors(src)
    assert "1:19: fixed-point type 'fx8.9' has 9 fractional bits but only 8 bits" in errors[0]
    assert any(e.startswith("2:20: fixed-point type 'fx8.9' has 9") for e in errors), errors


def test_constant_rescale_rounds_at_compile_time():
    """(1 + 1) / 5 = 0.4 in fx16.8: stored 102.4 -> 102; a constant needs no constraint."""
    src = _kernel("    fx16.8 h = 1;\n    fx16.8 q = (h + 1) / 5;\n    y[0] = q - a[0] + a[0];")
    assert _errors(src) == []


def test_overflow_at_prove_time_names_line_instance_and_value(tmp_path):
    program = compile_source(_kernel("    y[0] = a[0] * a[1];"), "t.zkcu")
    with pytest.raises(WitnessError) as err:
        run_signed(program, {"a": [[1.5, 2], [3, 4]]}, tmp_path)  # 12 does not fit fx8.4
    e = err.value
    assert (e.loc.line, e.loc.col) == (3, 5)
    assert e.what.startswith(
        "value 12 (stored 192) does not fit fx8.4, whose range is -8..7.9375"
    ) and e.what.endswith("(kernel 'k', instance 1)")


# ---- real-valued inputs and outputs ---------------------------------------------------------


def _load(tmp_path, text: str, elem: str = "fx8.2", shape: tuple[int, ...] = (4,)):
    path = tmp_path / "in.json"
    path.write_text(text)
    F = get_field("m31")
    out = load_tensors(path, {"x": shape}, F, "inputs", {"x": elem})
    return [v if v <= F.p // 2 else v - F.p for v in F.to_ints(out["x"])]


def test_quantisation_rounds_to_nearest_ties_up(tmp_path):
    # fx8.2: stored = round(x * 4), a tie (x * 4 = k + 1/2) rounds up
    got = _load(tmp_path, '{"x": [0.125, -0.125, 0.375, -0.375]}')
    assert got == [1, 0, 2, -1]
    got = _load(tmp_path, '{"x": [1.1, -1.1, 2, "-31.875"]}')  # -127.5 -> -127
    assert got == [4, -4, 8, -127]
    got = _load(tmp_path, '{"x": [1e1, 25e-1, -0.0, 31.75]}')
    assert got == [40, 10, 0, 127]
    rng = random.Random(3)
    xs = [Fraction(rng.randint(-3000, 3000), 97) for _ in range(20)]
    text = json.dumps({"x": [str(float(x)) for x in xs]}, separators=(",", ":"))
    got = _load(tmp_path, text, "fx16.5", (20,))
    assert got == [rnd(Fraction(str(float(x))) * 32) for x in xs]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("[1, NaN, 0, 0]", "x[1]: 'NaN' is not a finite number"),
        ("[1, 0, -Infinity, 0]", "x[2]: '-Infinity' is not a finite number"),
        ("[1, 0, 0, 32]", "x[3]: value '32' is out of range for fx8.2 (-32..31.75)"),
        ("[31.875, 0, 0, 0]", "x[0]: value '31.875' is out of range"),  # rounds up to 32
        ('[1, "1.2.3", 0, 0]', "x[1]: '1.2.3' is not a decimal number"),
        ("[1, 0, true, 0]", "x[2]: expected a number, got true"),
        ("[1, 0, 0, 1e999999]", "x[3]: '1e999999' is too long or its exponent too large"),
    ],
)
def test_bad_real_inputs_name_the_file_tensor_and_index(tmp_path, values, message):
    with pytest.raises(UserError, match=re.escape("in.json: " + message)):
        _load(tmp_path, f'{{"x": {values}}}')


def test_a_real_for_a_field_tensor_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"x\[1\]: expected an integer .* got 1.5 \(real numbers"):
        _load(tmp_path, '{"x": [1, 1.5, 0, 0]}', "field")


def test_npz_reals(tmp_path):
    F = get_field("m31")
    path = tmp_path / "in.npz"
    np.savez(path, x=np.array([0.125, -2.5, 3, np.nan]))
    with pytest.raises(UserError, match=r"x\[3\]: 'nan' is not a finite number"):
        load_tensors(path, {"x": (4,)}, F, "inputs", {"x": "fx8.2"})
    np.savez(path, x=np.array([0.125, -2.5, 3, 7.75]))
    out = load_tensors(path, {"x": (4,)}, F, "inputs", {"x": "fx8.2"})
    assert [v if v <= F.p // 2 else v - F.p for v in F.to_ints(out["x"])] == [1, -10, 12, 31]
    # floor(y + 1/2) in doubles would round the largest double below 1/2 up
    below_half = np.nextafter(0.5, 0)
    rng = np.random.default_rng(5)
    xs = np.concatenate([[below_half, -below_half, 0.5, -0.5, 1.5, -1.5], rng.normal(0, 20, 58)])
    np.savez(path, x=xs.reshape(8, 8).astype(np.float32).astype(np.float64))
    out = load_tensors(path, {"x": (8, 8)}, F, "inputs", {"x": "fx16.3"})
    want = [quantise(Fraction(float(x)), 3) for x in np.load(path)["x"].reshape(-1)]
    assert [v if v <= F.p // 2 else v - F.p for v in F.to_ints(out["x"])] == want
    np.savez(path, x=np.array([[1, 2], [3, -4096]], dtype=np.int32))
    out = load_tensors(path, {"x": (2, 2)}, F, "inputs", {"x": "fx16.3"})
    assert [v if v <= F.p // 2 else v - F.p for v in F.to_ints(out["x"])] == [8, 16, 24, -32768]
    np.savez(path, x=np.array([[1, 2], [4096, 0]], dtype=np.uint16))
    with pytest.raises(UserError, match=r"x\[1\]\[0\]: value '4096' is out of range"):
        load_tensors(path, {"x": (2, 2)}, F, "inputs", {"x": "fx16.3"})


def test_outputs_print_as_exact_reals_and_pin_verification(tmp_path):
    src = tmp_path / "r.zkcu"
    src.write_text(RESCALE)
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({k: [[v] for v in vs] for k, vs in RESCALE_IN.items()}))
    runner = CliRunner()
    res = runner.invoke(cli, ["run", str(src), "-i", str(inputs), "--json"])
    assert res.exit_code == 0, res.output
    y = [row[0] for row in json.loads(res.output)["outputs"]["y"]]
    exact = [Fraction(x) * Fraction(w) for x, w in zip(*map(RESCALE_IN.get, "ab"), strict=True)]
    assert y == [rnd(v * 256) / 256 for v in exact] == [3.75, -2.25, -12.375, 0.0]
    text = runner.invoke(cli, ["run", str(src), "-i", str(inputs)]).output
    assert "y [4, 1]: [3.75, -2.25, -12.375, 0.0]" in text
    plan, proof = tmp_path / "r.zkplan", tmp_path / "r.zkproof"
    assert runner.invoke(cli, ["compile", str(src), "-o", str(plan)]).exit_code == 0
    res = runner.invoke(cli, ["prove", str(plan), "-i", str(inputs), "-o", str(proof)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["verify", str(plan), str(proof), "--json"])
    assert [r[0] for r in json.loads(res.output)["public"]["y"]] == y
    public = tmp_path / "public.json"
    public.write_text(json.dumps({"y": [[v] for v in y]}))
    assert (
        runner.invoke(cli, ["verify", str(plan), str(proof), "--public", str(public)]).exit_code
        == 0
    )
    public.write_text(json.dumps({"y": [[v + 0.00390625] for v in y]}))
    res = runner.invoke(cli, ["verify", str(plan), str(proof), "--public", str(public)])
    assert res.exit_code == 1


def test_fixed_text_is_exact():
    assert fixed_text(-3, 1) == "-1.5" and fixed_text(1, 8) == "0.00390625"
    for raw in (0, 1, -1, 12345, -99999):
        assert Fraction(fixed_text(raw, 13)) == Fraction(raw, 1 << 13)


def test_plan_keeps_quotients_fixed_range_checks_and_types():
    """The plan records the QUOT hints (divisor 2^8 here), the F of each fixed-point range
    check (for prove-time messages) and the tensors' types, and reads them back unchanged."""
    compiled = compile_source(RESCALE, "r.zkcu")
    plan, _ = _plan(RESCALE)
    instrs = plan.program.kernels["k"].instrs
    assert instrs == compiled.kernels["k"].instrs
    assert [i.attr for i in instrs if i.op is Op.ASSERT_ZERO and i.attr is not None] == [8, 8, 8]
    assert [i.attr for i in instrs if i.op is Op.HINT and i.attr[0] == "quot"] == [("quot", 256)]
    assert {t.name: t.elem for t in plan.host.tensors} == {
        "a": "fx16.8",
        "b": "fx16.8",
        "y": "fx16.8",
    }


@pytest.mark.slow
def test_wide_types_on_bn254_print_exact_decimals(tmp_path):
    """fx64.32 on bn254: a quotient by 7 rounded twice (at 64, then 32 fractional bits), a
    real literal quantised at 32 bits; outputs wider than a double holds print as exact
    decimal strings."""
    src = tmp_path / "w.zkcu"
    src.write_text(
        """#pragma field bn254
__global__ void k(const fx64.32 x[2], fx64.32 y[2]) {
    y[0] = x[0] * x[1] / 7;
    y[1] = x[0] * 1e-3 - 2.5;
}
__host__ void main(private fx64.32 x[1][2], public out fx64.32 y[1][2]) { k<<<1>>>(x, y); }
"""
    )
    inputs = tmp_path / "in.json"
    inputs.write_text('{"x": [[1000.125, "-3.0000000001"]]}')
    res = CliRunner().invoke(cli, ["run", str(src), "-i", str(inputs), "--json"])
    assert res.exit_code == 0, res.output
    y = json.loads(res.output)["outputs"]["y"][0]
    q = 1 << 32
    x0, x1 = quantise(Fraction("1000.125"), 32), quantise(Fraction("-3.0000000001"), 32)
    want0 = rnd(Fraction(rnd(Fraction(x0 * x1, 7)), q))
    want1 = rnd(Fraction(x0 * quantise(Fraction("1e-3"), 32), q)) - quantise(Fraction(5, 2), 32)
    assert [Fraction(v) for v in y] == [Fraction(want0, q), Fraction(want1, q)]
    assert all(isinstance(v, str) for v in y)


@pytest.mark.parametrize(
    ("quot", "column", "value"),
    [(True, 2, 0), (True, 2, MAX_QUOT + 1), (False, 1, MAX_FRAC + 1), (False, 1, -2)],
)
def test_malformed_quotient_or_fraction_is_refused(quot, column, value):
    """A plan's QUOT divisor must be 1 .. MAX_QUOT (a reader divides by it) and an
    ASSERT_ZERO's F -1 (none) .. MAX_FRAC."""
    kernel = compile_source(RESCALE, "r.zkcu").kernels["k"]
    tree = kernel_to_tree(kernel)
    table = np.frombuffer(tree["operands"], dtype="<i8").reshape(-1, 3).copy()
    want = (Op.HINT, ("quot", 256)) if quot else (Op.ASSERT_ZERO, 8)
    i = next(j for j, ins in enumerate(kernel.instrs) if (ins.op, ins.attr) == want)
    table[i, column] = value
    tree["operands"] = table.tobytes()
    _, decoded = decode(encode(b"TEST", 1, tree), b"TEST", 1, "kernel")
    with pytest.raises(FormatError, match="malformed instruction"):
        kernel_from_tree(Schema(decoded, "kernel"), get_field("m31").p)
