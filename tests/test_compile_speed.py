"""The fast kernel-IR codec (zkcc/plan/irformat.py) keeps every check of the per-instruction one.

Plans come from strangers, so decoding checks every instruction: a known op code and location,
SSA arguments referring to earlier instructions only, constants in the table, INPUT reading an
input parameter and OUTPUT writing an output parameter within its size, a known hint kind with
a parameter below 256. The decoder now makes these checks on whole columns with numpy; each
kind of malformed instruction is still refused, the same inputs are accepted and rejected as
by the per-instruction reference (`decode_instrs_reference`), and encoding then decoding gives
the kernel back. (Speed itself is measured by bench/compile.py, not here.)
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from random_kernels import kernel_params, random_kernel

from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.ir.kernel import HintKind, KernelBuilder, KernelIR, Op, Param
from zkcc.ir.source import SourceLoc
from zkcc.plan.irformat import (
    OP_CODES,
    decode_instrs_reference,
    kernel_from_tree,
    kernel_to_tree,
)

P = get_field("m31").p
MAGIC = b"TEST"


def small_kernel() -> KernelIR:
    """x[2], w[1] (broadcast) -> y[1]: y = x0 * x1 + 3 with an inverse hint and an assert."""
    params = [
        Param("x", (2,), False, False),
        Param("w", (1,), False, True),
        Param("y", (1,), True, False),
    ]
    b = KernelBuilder("k", params, P, SourceLoc("k.zkcu", 1, 1, 2))
    loc = SourceLoc("k.zkcu", 2, 5, 9)
    x0, x1, w = b.input(0, 0, loc), b.input(0, 1, loc), b.input(1, 0)
    prod = b.mul(x0, x1, loc)
    b.inverse(b.add(w, b.const(1)), loc)
    b.output(2, 0, b.add(prod, b.const(3), loc), loc)
    return b.finish()


def roundtrip(tree: dict) -> KernelIR:
    _, decoded = decode(encode(MAGIC, 1, tree), MAGIC, 1, "kernel")
    return kernel_from_tree(Schema(decoded, "kernel"), P)


def operands(tree: dict) -> np.ndarray:
    return np.frombuffer(tree["operands"], dtype="<i8").reshape(-1, 3).copy()


def index_of(k: KernelIR, op: Op) -> int:
    return next(i for i, ins in enumerate(k.instrs) if ins.op is op)


def with_operand(k: KernelIR, op: Op, column: int, value: int) -> dict:
    """`k`'s tree with operand `column` of its first `op` instruction set to `value`."""
    tree = kernel_to_tree(k)
    table = operands(tree)
    table[index_of(k, op), column] = value
    tree["operands"] = table.tobytes()
    return tree


def test_roundtrip_small_kernel():
    k = small_kernel()
    back = roundtrip(kernel_to_tree(k))
    assert back.instrs == k.instrs
    assert [i.loc for i in back.instrs] == [i.loc for i in k.instrs]
    assert back.params == k.params and back.name == k.name and back.loc == k.loc


@pytest.mark.parametrize("seed", range(40))
def test_roundtrip_random_kernels(seed):
    rng = random.Random(seed)
    p = get_field(rng.choice(["m31", "bn254"])).p
    params = kernel_params(rng.randint(1, 9), rng.randint(1, 5), (rng.randint(1, 4),))
    k = random_kernel(rng, p, params, steps=rng.randint(0, 150))
    _, decoded = decode(encode(MAGIC, 1, kernel_to_tree(k)), MAGIC, 1, "kernel")
    back = kernel_from_tree(Schema(decoded, "kernel"), p)
    assert back.instrs == k.instrs
    assert [i.loc for i in back.instrs] == [i.loc for i in k.instrs]
    assert kernel_to_tree(back) == kernel_to_tree(k)


MALFORMED = {
    # (op whose first instance is changed, operand column, new value)
    "forward reference": (Op.MUL, 1, 10**6),
    "self reference": (Op.ADD, 0, None),  # None: the instruction's own index
    "negative argument": (Op.MUL, 0, -1),
    "output of a later value": (Op.OUTPUT, 0, None),
    "hint argument ahead": (Op.HINT, 0, None),
    "param index out of range": (Op.INPUT, 0, 3),
    "negative param index": (Op.INPUT, 0, -1),
    "element out of range": (Op.INPUT, 1, 2),
    "input reads an output param": (Op.INPUT, 0, 2),
    "output writes an input param": (Op.OUTPUT, 1, 0),
    "output element out of range": (Op.OUTPUT, 2, 1),
    "bad hint kind": (Op.HINT, 1, len(HintKind)),
    "hint parameter too large": (Op.HINT, 2, 256),
    "negative hint parameter": (Op.HINT, 2, -1),
    "constant index out of range": (Op.CONST, 0, 99),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_operand_is_refused(case):
    k = small_kernel()
    op, column, value = MALFORMED[case]
    tree = with_operand(k, op, column, index_of(k, op) if value is None else value)
    with pytest.raises(FormatError, match="malformed instruction"):
        roundtrip(tree)


def test_bad_op_code_is_refused():
    k = small_kernel()
    tree = kernel_to_tree(k)
    ops = bytearray(tree["ops"])
    ops[index_of(k, Op.MUL)] = len(Op)
    tree["ops"] = bytes(ops)
    with pytest.raises(FormatError, match="malformed instruction"):
        roundtrip(tree)


@pytest.mark.parametrize("bad", [-1, 7])
def test_bad_location_index_is_refused(bad):
    k = small_kernel()
    tree = kernel_to_tree(k)
    loc_index = np.frombuffer(tree["loc_index"], dtype="<i4").copy()
    loc_index[-1] = bad if bad < 0 else len(tree["locs"]) + bad
    tree["loc_index"] = loc_index.tobytes()
    with pytest.raises(FormatError, match="malformed instruction"):
        roundtrip(tree)


def test_unused_operands_are_not_checked():
    """Operands an op does not use were never checked; a reader must not start refusing
    plans the previous one accepted."""
    k = small_kernel()
    tree = with_operand(k, Op.ADD, 2, 12345)
    assert roundtrip(tree).instrs == k.instrs


def _reference(tree: dict, params: list[Param]) -> list | None:
    bad = FormatError("malformed")
    table = operands(tree)
    try:
        return decode_instrs_reference(
            tree["ops"],
            table,
            np.frombuffer(tree["loc_index"], dtype="<i4"),
            params,
            list(tree["consts"]),
            [None if t is None else SourceLoc(*t) for t in tree["locs"]],
            bad,
        )
    except FormatError:
        return None


@pytest.mark.parametrize("seed", range(30))
def test_fast_decoder_agrees_with_reference(seed):
    """Random corruptions of a random kernel's columns: the vectorised decoder accepts exactly
    what the per-instruction reference accepts, and builds the same instructions."""
    rng = random.Random(1000 + seed)
    params = kernel_params(rng.randint(1, 6), rng.randint(1, 4), (rng.randint(1, 3),))
    k = random_kernel(rng, P, params, steps=rng.randint(5, 60))
    for _ in range(20):
        tree = kernel_to_tree(k)
        table = operands(tree)
        ops = bytearray(tree["ops"])
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(ops))
            if rng.random() < 0.15:
                ops[i] = rng.choice([*OP_CODES.values(), len(Op), 255])
            else:
                table[i, rng.randrange(3)] = rng.choice(
                    [-1, 0, 1, 2, i - 1, i, i + 1, 255, 256, len(ops), 2**40]
                )
        tree["ops"], tree["operands"] = bytes(ops), table.tobytes()
        want = _reference(tree, params)
        if want is None:
            with pytest.raises(FormatError, match="malformed instruction"):
                roundtrip(tree)
        else:
            got = roundtrip(tree).instrs
            assert got == want
            assert [i.loc for i in got] == [i.loc for i in want]
