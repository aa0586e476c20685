"""Kernel IR -> R1CS over N instances: satisfied by the runtime's witness, broken by tampering."""

import random

import numpy as np
import pytest
from random_kernels import kernel_params
from random_kernels import random_kernel as make_kernel

from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.r1cs import R1CS, Sparse, random_r1cs
from zkcc.field import get_field
from zkcc.ir.kernel import KernelBuilder, Param
from zkcc.lower.r1cs import r1cs_from_kernel
from zkcc.runtime.witness import run_kernel

PARAMS = kernel_params(4, 3, (5,))


def random_kernel(rng, steps=30):
    return make_kernel(rng, R, PARAMS, steps)


def launch(rng, kernel, count, public):
    F = get_field("bn254")
    xs = F.array([[rng.randrange(R) for _ in range(4)] for _ in range(count)])
    w = F.array([rng.randrange(R) for _ in range(3)])
    kw = run_kernel(F, kernel, [xs, w, None], count)
    r1cs, wfn = r1cs_from_kernel(kernel, count, public, R)
    return r1cs, wfn, [xs, w, kw.outputs[2]], kw.hints


@pytest.mark.parametrize("seed", range(5))
def test_kernel_r1cs_satisfied_and_tamper_rejected(seed):
    rng = random.Random(seed)
    kernel = random_kernel(rng)
    r1cs, wfn, args, hints = launch(rng, kernel, 3, {1, 2})
    r1cs.validate()
    w = wfn(args, hints)
    assert r1cs.is_satisfied(w)
    # public wires: broadcast w first, then outputs instance by instance
    expect = [int(v) for v in args[1]] + [int(v) for v in args[2].reshape(-1)]
    assert [int(v) for v in w[1 : 1 + r1cs.num_public]] == expect
    bad = list(args)
    bad[2] = args[2].copy()
    bad[2][1, 3] = (bad[2][1, 3] + 1) % R
    assert not r1cs.is_satisfied(wfn(bad, hints))
    for i in rng.sample(range(1, r1cs.num_wires), 3):
        w2 = w.copy()
        w2[i] = (w2[i] + 1) % R
        # a wire may be unconstrained (e.g. an unused input); it must then appear in no row
        used = i in set(r1cs.A.cols) | set(r1cs.B.cols) | set(r1cs.C.cols)
        assert r1cs.is_satisfied(w2) == (not used)


def test_linear_forms_cost_nothing_and_outputs_alias_products():
    b = KernelBuilder("chain", [Param("x", (1,), False, False), Param("y", (1,), True, False)], R)
    x = b.input(0, 0)
    for _ in range(10):
        x = b.mul(b.add(b.mul(b.const(3), x), b.const(7)), x)
    b.output(1, 0, x)
    r1cs, wfn = r1cs_from_kernel(b.finish(), 4, {1}, R)
    assert r1cs.num_constraints == 4 * 10  # one per product, the output is the last product
    assert r1cs.num_public == 4
    xs = np.array([[2], [3], [5], [7]], dtype=object)
    ys = []
    for v in xs[:, 0]:
        v = int(v)
        for _ in range(10):
            v = (3 * v + 7) * v % R
        ys.append([v])
    w = wfn([xs, np.array(ys, dtype=object)], np.zeros((4, 0), dtype=object))
    assert r1cs.is_satisfied(w)
    assert [int(v) for v in w[1:5]] == [y[0] for y in ys]


def test_random_r1cs_and_sparse_canonical_form():
    r1cs, w = random_r1cs(random.Random(1), 12, 2, 10)
    assert r1cs.is_satisfied(w)
    assert not r1cs.is_satisfied(np.concatenate([[2], w[1:]]))
    s = Sparse.build([1, 0, 1, 1], [2, 0, 2, 3], [5, 1, R - 5, 4])  # (1, 2) cancels out
    assert s.rows.tolist() == [0, 1] and s.cols.tolist() == [0, 3]
    with pytest.raises(ValueError):
        R1CS(3, 1, 1, Sparse.build([0], [5], [1]), s, s).validate()
