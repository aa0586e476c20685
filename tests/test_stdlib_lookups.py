"""The lookup activations of stdlib/nn.zkcu (sigmoid_q8, tanh_q8, exp_q8) and their tables.

Every one of the 256 inputs is held against a float reference written here from `math` (the
generator uses `decimal`, so the two are independent), in both lowerings (LogUp lookups and
bits) and both fields; a no-zk plan (lookups) and a zero-knowledge plan (bits) prove and
verify a batch; the committed tables file is the generator's output.
"""

from __future__ import annotations

import importlib.util
import math
import random
from pathlib import Path

import numpy as np
import pytest

from zkcc.driver import compile_path, plan_program
from zkcc.errors import WitnessError
from zkcc.field import get_field
from zkcc.frontend import compile_source
from zkcc.ir.kernel import Op
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify
from zkcc.runtime.witness import run_kernel

ROOT = Path(__file__).resolve().parents[1]
TABLES_FILE = ROOT / "stdlib" / "nn_tables.zkcu"

PROGRAM = """#pragma field {field}
#include <nn.zkcu>
__global__ void act(const i8 x[1], field s[1], field t[1], field e[1]) {{
    s[0] = sigmoid_q8(x[0]);
    t[0] = tanh_q8(x[0]);
    e[0] = exp_q8(x[0]);
}}
__host__ void main(private field x[{n}][1], public out field s[{n}][1],
                   public out field t[{n}][1], public out field e[{n}][1]) {{
    act<<<{n}>>>(x, s, t, e);
}}
"""


def _half_up(v: float) -> int:
    return math.floor(v + 0.5)


def reference(x: int) -> tuple[int, int, int]:
    """(sigmoid_q8, tanh_q8, exp_q8) of x in -128..127 holding x / 16, as nn.zkcu documents."""
    t = x / 16
    sigmoid = min(max(_half_up(256 / (1 + math.exp(-t))), 0), 255)
    tanh = min(max(_half_up(128 * math.tanh(t)), -128), 127)
    return sigmoid, tanh, _half_up(256 * math.exp(t))


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_nn_tables", TABLES_FILE.parent / "gen_nn_tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def signed(F, t) -> list[int]:
    return [v if v <= F.p // 2 else v - F.p for v in F.to_ints(np.asarray(t).reshape(-1))]


def test_tables_file_is_the_generators_output_and_matches_the_reference():
    gen = _load_generator()
    assert TABLES_FILE.read_text() == gen.render()
    columns = list(zip(*(reference(x) for x in range(-128, 128)), strict=True))
    for name, column in zip(("NN_SIGMOID_Q8", "NN_TANH_Q8", "NN_EXP_Q8"), columns, strict=True):
        assert gen.table(name) == list(column), name


def test_rounding_is_to_nearest_and_refuses_values_near_a_half():
    gen = _load_generator()
    tiny = gen.Decimal(10) ** -15
    half = gen.Decimal("2.5")
    assert [gen.round_half_up(v) for v in (half - tiny, half + tiny, -half - tiny)] == [2, 3, -3]
    for v in (half, -half, half + tiny**2):
        with pytest.raises(ValueError, match="rounding boundary"):
            gen.round_half_up(v)


@pytest.mark.parametrize("field", ["m31", "bn254"])
@pytest.mark.parametrize("lookups", [False, True])
def test_every_input_matches_the_reference(field, lookups):
    kernel = compile_source(PROGRAM.format(field=field, n=256), "t.zkcu", lookups).kernels["act"]
    assert any(ins.op is Op.LOOKUP for ins in kernel.instrs) == lookups
    F = get_field(field)
    xs = list(range(-128, 128))
    random.Random(3).shuffle(xs)  # instance order must not matter
    w = run_kernel(
        F, kernel, [F.array(np.array(xs, dtype=object).reshape(-1, 1)), None, None, None], 256
    )
    got = list(zip(*(signed(F, w.outputs[i]) for i in (1, 2, 3)), strict=True))
    assert got == [reference(x) for x in xs]


@pytest.mark.parametrize("lookups", [False, True])
def test_an_argument_outside_i8_is_named(lookups):
    F = get_field("m31")
    kernel = compile_source(PROGRAM.format(field="m31", n=2), "t.zkcu", lookups).kernels["act"]
    with pytest.raises(WitnessError, match="value 128 does not fit i8.*instance 1"):
        run_kernel(F, kernel, [F.array([[5], [128]]), None, None, None], 2)


@pytest.mark.parametrize("zk", [False, True])
@pytest.mark.parametrize("lookups", [False, True])
def test_a_batch_proves_and_verifies(zk, lookups):
    """LogUp (zkcc/runtime/lookups.py, and zk_lookups.py with zero knowledge) or bits."""
    n = 8
    program = compile_source(PROGRAM.format(field="m31", n=n), "act.zkcu", lookups)
    data = plan_program(program, zk=zk, choose_lookups=False).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    assert bool(plan.kernels["act"].ir.tables) == lookups
    F = get_field("m31")
    xs = random.Random(11).sample(range(-128, 128), n)
    x = F.array(np.array(xs, dtype=object))
    proof = prove(plan, digest, {"x": x}, randomness=Randomness(5)).to_bytes()
    public = verify(plan, digest, proof)
    got = list(zip(*(signed(F, public[name]) for name in "ste"), strict=True))
    assert got == [reference(v) for v in xs]


@pytest.mark.parametrize("no_zk", [False, True])
def test_activations_example_computes_the_gated_output(tmp_path, no_zk):
    """examples/activations: h = sigmoid_q8(g) tanh_q8(c), or its ReLU where mask is 0,
    against the float reference; proved and verified (LogUp: committed inverses with zero
    knowledge, fractional sums with --no-zk; the cost model keeps it in both)."""
    import json

    from helpers import EXAMPLES

    from zkcc.runtime.inputs import load_inputs

    folder = EXAMPLES / "activations"
    data = compile_path(folder / "activations.zkcu", zk=not no_zk).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    assert plan.kernels["gated"].ir.tables
    F = get_field("m31")
    raw = json.loads((folder / "inputs.json").read_text())
    inputs = load_inputs(folder / "inputs.json", plan.program, F)
    public = verify(plan, digest, prove(plan, digest, inputs, randomness=Randomness(3)).to_bytes())
    want = []
    for g_row, c_row, m_row in zip(raw["g"], raw["c"], raw["mask"], strict=True):
        for g, c, m in zip(g_row, c_row, m_row, strict=True):
            v = reference(g)[0] * reference(c)[1]
            want.append(v if m else max(v, 0))
    assert signed(F, public["h"]) == want
