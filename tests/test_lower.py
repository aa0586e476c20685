"""Kernel IR -> vectorised witness and -> layered circuit, against the Python reference."""

import random

import numpy as np
import pytest
from ir_reference import eval_instance
from random_kernels import kernel_params
from random_kernels import random_kernel as make_kernel

from zkcc.backends.gkr import evaluate_circuit
from zkcc.backends.gkr.shard import Shard
from zkcc.errors import WitnessError
from zkcc.field import get_field
from zkcc.ir.kernel import KernelBuilder, Param
from zkcc.lower.circuit import lower_kernel
from zkcc.runtime.layout import launch_layout
from zkcc.runtime.steps import assemble_layer0, broadcast_inputs
from zkcc.runtime.tensors import TensorStore
from zkcc.runtime.witness import run_kernel

PARAMS = kernel_params(5, 3, (3, 2))


def random_kernel(rng: random.Random, p: int):
    return make_kernel(rng, p, PARAMS)


def reference(kernel, p, xs, w):
    outs, hints = [], []
    for row in xs:
        o, h, r = eval_instance(kernel, p, [row, w, None])
        assert all(v == 0 for v in r)
        outs.append(o[2])
        hints.append(h)
    return outs, hints


@pytest.mark.parametrize("field", ["m31", "bn254"])
@pytest.mark.parametrize("seed", range(6))
def test_witness_and_circuit_match_reference(field, seed):
    F = get_field(field)
    rng = random.Random(seed)
    kernel = random_kernel(rng, F.p)
    count = rng.choice([1, 3, 8, 13])
    xs = [[rng.randrange(F.p) for _ in range(5)] for _ in range(count)]
    w = [rng.randrange(F.p) for _ in range(3)]
    try:
        ref_out, ref_hints = reference(kernel, F.p, xs, w)
    except ZeroDivisionError:
        pytest.skip("random kernel divided by zero")
    wit = run_kernel(F, kernel, [F.array(xs), F.array(w), None], count)
    assert F.to_ints(wit.outputs[2]) == ref_out
    assert F.to_ints(wit.hints) == ref_hints

    circuit = lower_kernel(kernel, F.p)
    data = {
        "x": F.array(xs).reshape(-1),
        "w": F.array(w),
        "y": wit.outputs[2].reshape(-1),
        "h": wit.hints.reshape(-1),
    }
    sources = {
        "param:x": ("x", launch_layout(count, (5,), False)),
        "param:w": ("w", launch_layout(count, (3,), True)),
        "param:y": ("y", launch_layout(count, (3, 2), False)),
        "hints": ("h", launch_layout(count, (kernel.hint_count(),), False)),
    }
    shard = Shard.whole(max(0, (count - 1).bit_length()))
    real = shard.instances() < count  # padding is free: the output claim weighs these alone

    def layer0(tensors: dict):
        store = TensorStore.of(F, tensors)
        shared = broadcast_inputs(F, circuit, sources, store)
        return assemble_layer0(F, circuit, sources, store, shard, shared)

    layers = evaluate_circuit(F, circuit, layer0(data))
    assert not np.any(layers[circuit.depth][:, real] != 0)

    bad = dict(data)
    bad["y"] = F.add(
        data["y"], F.array([0, 0, 0, 1, 0, 0] * count)
    )  # one wrong output per instance
    layers = evaluate_circuit(F, circuit, layer0(bad))
    assert np.all(np.any(layers[circuit.depth][:, real] != 0, axis=0))  # on every instance


def test_division_by_zero_names_instance():
    F = get_field("m31")
    b = KernelBuilder("div", [Param("x", (1,), False, False), Param("y", (1,), True, False)], F.p)
    b.output(1, 0, b.inverse(b.input(0, 0)))
    with pytest.raises(WitnessError, match=r"division by zero \(kernel 'div', instance 2\)"):
        run_kernel(F, b.finish(), [F.array([[1], [2], [0], [0]]), None], 4)


def test_to_bits_out_of_range_is_reported():
    F = get_field("m31")
    b = KernelBuilder("bits", [Param("x", (1,), False, False), Param("y", (1,), True, False)], F.p)
    bits = b.to_bits(b.input(0, 0), 4)
    b.output(1, 0, bits[3])
    kernel = b.finish()
    out = run_kernel(F, kernel, [F.array([[9], [6]]), None], 2)
    assert F.to_ints(out.outputs[1]) == [[1], [0]]
    with pytest.raises(WitnessError, match="instance 1"):
        run_kernel(F, kernel, [F.array([[9], [17]]), None], 2)
