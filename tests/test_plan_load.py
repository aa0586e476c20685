"""Plan loading builds no `Instr`s (`KernelIR.deferred`): a loaded kernel's counts come from
its checked op codes, its instructions are built on first read and equal the ones the
per-instruction reference decoder builds, and a verifier never reads them.

Random kernels (with hints, the instance index and lookups) are held against the kernel they
were encoded from, each count against a plain Python count over the reference `Instr`s.
"""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
from random_kernels import kernel_params, random_kernel
from test_lookups import segment_hints_reference, table_inputs, table_source

from zkcc.driver import plan_program
from zkcc.encoding import Schema, decode, encode
from zkcc.field import get_field
from zkcc.frontend import compile_source
from zkcc.ir.kernel import KernelBuilder, KernelIR, LookupTable, Op
from zkcc.ir.lookups import LookupLayout
from zkcc.plan.irformat import kernel_columns_from_tree, kernel_to_tree
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify

MAGIC = b"TEST"


def random_lookup_kernel(rng: random.Random, p: int) -> KernelIR:
    """A random kernel plus range checks, a map-table lookup and (sometimes) the instance
    index: every op kind a plan may hold."""
    params = kernel_params(rng.randint(1, 6), rng.randint(1, 4), (rng.randint(1, 3),))
    k = random_kernel(rng, p, params, steps=rng.randint(0, 80))
    b = KernelBuilder("k", params, p, lookups=True)
    b.kernel.instrs.extend(k.instrs)
    x = b.input(0, 0)
    if rng.random() < 0.7:
        x = b.add(x, b.index())
    b.range_check(x, rng.randint(1, 40))
    values = tuple(rng.randrange(p) for _ in range(rng.randint(1, 20)))
    table = LookupTable.of_values(values)
    b.assert_zero(b.sub(b.table_lookup(table, b.input(1, 0)), b.input(0, 0)))
    b.lookup(LookupTable(rng.randint(1, 16)), (x,), None)
    return b.finish()


def loaded(k: KernelIR, p: int) -> KernelIR:
    _, tree = decode(encode(MAGIC, 1, kernel_to_tree(k)), MAGIC, 1, "kernel")
    return kernel_columns_from_tree(Schema(tree, "kernel"), p)[0]


@pytest.mark.parametrize("seed", range(25))
def test_loaded_kernel_counts_without_building_then_builds_the_same_instrs(seed):
    rng = random.Random(seed)
    p = get_field(rng.choice(["m31", "bn254"])).p
    k = random_lookup_kernel(rng, p)
    back = loaded(k, p)
    assert not back.built
    assert back.instr_count() == len(k.instrs)
    for op in Op:
        assert back.op_count(op) == sum(1 for ins in k.instrs if ins.op is op)
    assert back.segment_hints().tolist() == segment_hints_reference(k)
    assert back.hint_count() == len(segment_hints_reference(k))
    assert back.uses_index() == any(ins.op is Op.INDEX for ins in k.instrs)
    sites = [ins.attr for ins in k.instrs if ins.op is Op.LOOKUP]
    assert back.lookup_site_tables().tolist() == sites
    layout = LookupLayout.of(back)
    assert not back.built  # everything above read the op codes only
    assert back.instrs == k.instrs  # built on this first read
    assert back.built
    assert [ins.loc for ins in back.instrs] == [ins.loc for ins in k.instrs]
    assert back.hint_count() == k.hint_count() and back.uses_index() == k.uses_index()
    assert back.segment_hints().tolist() == k.segment_hints().tolist()
    assert back.lookup_site_tables().tolist() == sites
    assert np.array_equal(LookupLayout.of(back).key_column, layout.key_column)
    assert kernel_to_tree(back) == kernel_to_tree(k)


def test_deferred_kernels_compare_copy_and_take_new_instrs():
    rng = random.Random(5)
    p = get_field("m31").p
    k = random_lookup_kernel(rng, p)
    back = loaded(k, p)
    assert back == k  # the dataclass comparison reads (and so builds) the instructions
    other = loaded(k, p)
    twin = copy.copy(other)
    assert not twin.built and twin.instrs == k.instrs and twin.built
    hint = next(ins for ins in k.instrs if ins.op is Op.HINT)
    fresh = loaded(k, p)
    fresh.instrs = [hint]  # an assignment replaces what was deferred
    assert fresh.built and fresh.instrs == [hint] and fresh.instr_count() == 1
    assert fresh.hint_count() == 1


def test_plans_load_and_verify_without_building_instrs():
    """A lookup program's plan loads, and its proof verifies, with no kernel's `Instr`s
    built, and a proof made from one loaded plan verifies against another."""
    src = table_source("m31", 3)
    data = plan_program(compile_source(src, "t.zkcu", lookups=True), zk=False).to_bytes()
    digest = plan_digest(data)
    F = get_field("m31")
    x, k = table_inputs(F, 3, seed=4)
    inputs = {"x": F.array(x).reshape(-1), "k": F.array(k).reshape(-1)}
    proof = prove(Plan.from_bytes(data), digest, inputs, randomness=Randomness(3)).to_bytes()
    plan = Plan.from_bytes(data)
    assert not any(c.ir.built for c in plan.kernels.values())
    public = verify(plan, digest, proof)
    assert not any(c.ir.built for c in plan.kernels.values())
    assert F.to_ints(public["w"].reshape(-1))[0] == (3 * int(k[0][0]) ** 2 - 7) % F.p
