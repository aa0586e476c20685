"""The vectorised lowering on raw IR no builder would emit (no folding, no sharing): shared
and cancelling linear values, long linear chains, scalings by constants on either side,
products of constants, forms large enough to be materialised, constant residues and the
instance index. Each circuit is evaluated gate by gate in plain Python and held against the
IR interpreter (tests/ir_reference.py): residues are zero on the true outputs, and a wrong
output makes its residue nonzero."""

from __future__ import annotations

import random
from dataclasses import fields

import numpy as np
import pytest
from ir_reference import eval_instance

from zkcc.backends.gkr.circuit import Layer
from zkcc.backends.gkr.evaluate import reference_evaluate
from zkcc.field import get_field
from zkcc.ir.kernel import Instr, KernelIR, Op, Param
from zkcc.ir.layout import padded_index
from zkcc.lower.circuit import lower_kernel

PARAMS = [Param("x", (6,), False, False), Param("y", (2, 3), True, False)]


def raw_kernel(rng: random.Random, p: int, steps: int) -> KernelIR:
    ins = [Instr(Op.INPUT, (), (0, j)) for j in range(6)]
    ins += [Instr(Op.CONST, (), rng.choice([0, 1, 2, p - 1, rng.randrange(p)])) for _ in range(3)]
    if rng.random() < 0.5:
        ins.append(Instr(Op.INDEX))
    for _ in range(steps):
        n = len(ins)
        near = max(0, n - 4)  # recent values, so that chains grow long
        u = rng.randrange(near, n) if rng.random() < 0.6 else rng.randrange(n)
        v = rng.randrange(n)
        kind = rng.randrange(9)
        if kind < 2:
            ins.append(Instr(Op.ADD, (u, v)))
        elif kind < 4:
            ins.append(Instr(Op.SUB, (u, rng.choice([u, v]))))  # u - u cancels
        elif kind == 4:
            ins.append(Instr(Op.NEG, (u,)))
        elif kind == 5:
            c = rng.randrange(6, 9)  # a constant, on either side
            ins.append(Instr(Op.MUL, (c, u) if rng.random() < 0.5 else (u, c)))
        elif kind == 6:
            wide = [rng.randrange(n) for _ in range(rng.randrange(2, 12))]
            acc = wide[0]
            for w in wide[1:]:  # a sum of many values: a form to materialise
                ins.append(Instr(Op.ADD, (acc, w)))
                acc = len(ins) - 1
            ins.append(Instr(Op.MUL, (acc, v)))
        else:
            ins.append(Instr(Op.MUL, (u, v)))
    last = len(ins) - 1
    ins += [Instr(Op.SUB, (last, last)), Instr(Op.ASSERT_ZERO, (last + 1,))]  # v - v is zero
    values = [i for i, x in enumerate(ins) if x.op not in (Op.ASSERT_ZERO, Op.OUTPUT)]
    for j in range(6):
        ins.append(Instr(Op.OUTPUT, (rng.choice(values),), (1, j)))
    return KernelIR("raw", PARAMS, ins)


def run_circuit(circuit, inputs: dict[str, list[int]], p: int) -> list[int]:
    """The circuit's output layer on one instance, gate by gate (the evaluator's Python-int
    twin)."""
    vals = [0] * (1 << circuit.input_log2)
    for seg in circuit.segments:
        for j, v in enumerate(inputs.get(seg.name, [])):
            vals[seg.offset + j] = v
    return reference_evaluate(p, circuit, [vals])[-1][0]


def padded(shape: tuple[int, ...], values: list[int]) -> list[int]:
    pos = padded_index(shape).tolist()
    out = [0] * (max(pos) + 1)
    for i, v in zip(pos, values, strict=True):
        out[i] = v
    return out


def assert_stored_form(circuit) -> None:
    """The lowering builds its layers with Layer.stored, which takes its arrays unchecked:
    they must be what Layer's own init would have kept (int64 wires; coefficients as
    `coefficients` stores them, the same array objects)."""
    for layer in circuit.layers:
        for name in ("mul_wires", "add_wires", "const_out"):
            assert getattr(layer, name).dtype == np.int64
        checked = Layer(**{f.name: getattr(layer, f.name) for f in fields(Layer)})
        for name in ("mul_coef", "add_coef", "const_coef"):
            assert getattr(checked, name) is getattr(layer, name)


@pytest.mark.parametrize("field", ["m31", "bn254"])
@pytest.mark.parametrize("seed", range(8))
def test_raw_ir_lowers_to_a_circuit_of_the_same_relation(field, seed):
    p = get_field(field).p
    rng = random.Random(seed)
    kernel = raw_kernel(rng, p, rng.choice([5, 30, 120]))
    x = [rng.randrange(p) for _ in range(6)]
    instance = rng.randrange(100)
    outs, _, residues = eval_instance(kernel, p, [x, None], instance)
    assert residues == [0]
    y = outs[1]
    circuit = lower_kernel(kernel, p)
    assert_stored_form(circuit)
    inputs = {"param:x": padded((6,), x), "index": [instance]}
    assert run_circuit(circuit, {**inputs, "param:y": padded((2, 3), y)}, p) == [0] * (
        1 << circuit.layers[-1].width_log2
    )
    j = rng.randrange(6)
    bad = [v + (i == j) for i, v in enumerate(y)]
    res = run_circuit(circuit, {**inputs, "param:y": padded((2, 3), bad)}, p)
    assert res[1 + j] != 0 and sum(1 for r in res if r) == 1  # residue 0 is the assert


def test_long_chain_of_shared_values():
    """x_{k+1} = x_k + x_k: every value read twice, a chain of references 200 deep."""
    p = get_field("m31").p
    ins = [Instr(Op.INPUT, (), (0, 0))]
    for k in range(200):
        ins.append(Instr(Op.ADD, (k, k)))
    ins.append(Instr(Op.MUL, (200, 200)))
    ins += [Instr(Op.OUTPUT, (201,), (1, 0)), Instr(Op.OUTPUT, (200,), (1, 1))]
    kernel = KernelIR("chain", PARAMS, ins)
    circuit = lower_kernel(kernel, p)
    x = 3
    y = [pow(2, 400, p) * 9 % p, pow(2, 200, p) * 3 % p]
    inputs = {"param:x": padded((6,), [x, 0, 0, 0, 0, 0])}
    assert not any(run_circuit(circuit, {**inputs, "param:y": padded((2, 3), y + [0] * 4)}, p))
    # the product is the top level, so it is written straight into its residue
    assert circuit.depth == 1 and len(circuit.layers[0].mul_coef) == 1
