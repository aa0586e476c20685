"""The levels certificate (plan format 9): a plan stores each kernel's product levels, and
loading checks them in one pass instead of finding them in one pass per layer.

Held against: the definition (level = 1 + the highest level read, relaxed to a fixpoint in
plain Python over the same reads), the circuit lowered with no certificate (every layer's
every gate), and tampering: any changed level, a wrong count, a non-canonical width and an
altered plan file are refused with a message naming the kernel, and the CLI exits 2.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from random_kernels import kernel_params, random_kernel
from test_plan_load import random_lookup_kernel

from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.lower.circuit import LevelsRejected, _relation, _Wiring, lower, lower_kernel
from zkcc.lower.columns import IRColumns
from zkcc.plan.plan import MAGIC, VERSION, Plan

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("m31", "bn254")


def kernels(seed: int, p: int):
    rng = random.Random(seed)
    params = kernel_params(rng.randint(1, 5), rng.randint(1, 3), (rng.randint(1, 3),))
    yield random_kernel(rng, p, params, steps=rng.randint(0, 120))
    yield random_lookup_kernel(rng, p)


def same_circuit(a, b) -> None:
    assert a.input_log2 == b.input_log2 and a.segments == b.segments
    assert len(a.layers) == len(b.layers)
    for x, y in zip(a.layers, b.layers, strict=True):
        assert x.width_log2 == y.width_log2
        for f in ("mul_wires", "add_wires", "const_out", "mul_coef", "add_coef", "const_coef"):
            assert np.array_equal(getattr(x, f), getattr(y, f))


def fixpoint_levels(src: np.ndarray, dst: np.ndarray, w0: int, n: int) -> list[int]:
    """Every wire's level by the definition, relaxed until nothing changes (plain Python)."""
    level = [0] * n
    reads: dict[int, list[int]] = {}
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        reads.setdefault(d, []).append(s)
    changed = True
    while changed:
        changed = False
        for w in range(w0, n):
            want = 1 + max((level[s] for s in reads.get(w, [])), default=0)
            if want != level[w]:
                level[w], changed = want, True
    return level


def wiring(k, p: int) -> _Wiring:
    rel = _relation(k.params, IRColumns.of(k), p, k.tables)
    return _Wiring(rel.forms, rel.product, rel.left, rel.right, 1 << rel.input_log2, p)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("seed", range(20))
def test_levels_are_the_fixpoint_and_the_certificate_gives_the_same_circuit(field, seed):
    p = get_field(field).p
    for k in kernels(seed, p):
        w = wiring(k, p)
        src, dst = w._reads()
        assert w.level.tolist() == fixpoint_levels(src, dst, w.w0, w.wires)
        plain = lower(k, p)
        assert np.array_equal(plain.levels, w.level[w.prod_wire])
        checked = lower(k, p, certificate=plain.levels)
        assert np.array_equal(checked.levels, plain.levels)
        same_circuit(checked.circuit, plain.circuit)
        same_circuit(checked.circuit, lower_kernel(k, p))


@pytest.mark.parametrize("seed", range(20))
def test_any_changed_level_is_refused(seed):
    rng = random.Random(seed)
    p = get_field("m31").p
    for k in kernels(seed, p):
        levels = lower(k, p).levels
        with pytest.raises(LevelsRejected, match="levels for"):
            lower(k, p, certificate=np.append(levels, 1))
        if not len(levels):
            continue
        bad = levels.copy()
        i = rng.randrange(len(bad))
        bad[i] = max(0, bad[i] + rng.choice([-2, -1, 1, 2, 1000]))
        if bad[i] == levels[i]:
            bad[i] += 1
        with pytest.raises(LevelsRejected, match=f"product {i:,} is at level"):
            lower(k, p, certificate=bad)
        with pytest.raises(LevelsRejected, match="levels for"):
            lower(k, p, certificate=levels[:-1])


def plan_tree(name: str) -> tuple[bytes, dict]:
    data = compile_path(ROOT / "examples" / name / f"{name}.zkcu").to_bytes()
    return data, decode(data, MAGIC, VERSION, "plan")[1]


@pytest.mark.parametrize("name", ["mimc", "merkle", "inference_bn254", "mlp_digits"])
def test_loaded_plans_equal_their_lowering(name):
    data, _ = plan_tree(name)
    plan = Plan.from_bytes(data)
    for k in plan.kernels.values():
        same_circuit(k.circuit, lower_kernel(k.ir, plan.kernels[k.ir.name].p))
    assert plan.to_bytes() == data


def altered(tree: dict, change) -> bytes:
    k = next(k for k in tree["kernels"] if len(k["levels"][1]))
    change(k)
    return encode(MAGIC, VERSION, tree)


def raise_first(k) -> None:
    width, data = k["levels"]
    levels = np.frombuffer(data, dtype=f"<u{width}").copy()
    levels[0] += 1
    k["levels"] = [width, levels.tobytes()]


def widen(k) -> None:
    width, data = k["levels"]
    k["levels"] = [4, np.frombuffer(data, dtype=f"<u{width}").astype("<u4").tobytes()]


@pytest.mark.parametrize(
    "change, words",
    [
        (raise_first, "levels certificate is wrong (product 0 is at level"),
        (lambda k: k.update(levels=[k["levels"][0], k["levels"][1][:-2]]), "levels for"),
        (lambda k: k.update(levels=[2, k["levels"][1] + b"\0"]), "not a whole number"),
        (lambda k: k.update(levels=[3, k["levels"][1]]), "2 or 4 bytes"),
        (widen, "all fit in 2 bytes"),
        (lambda k: k.update(levels=[2, bytes(8 * len(k["levels"][1]))]), "exceed the limit"),
        (lambda k: k.pop("levels"), "missing ['levels']"),
    ],
)
def test_altered_certificates_are_format_errors(change, words):
    _, tree = plan_tree("dot")
    with pytest.raises(FormatError, match="plan") as e:
        Plan.from_bytes(altered(tree, change))
    assert words in str(e.value)


def test_cli_refuses_an_altered_certificate(tmp_path):
    _, tree = plan_tree("dot")
    bad = tmp_path / "dot.zkplan"
    bad.write_bytes(altered(tree, raise_first))
    r = subprocess.run(
        [sys.executable, "-m", "zkcc", "inspect", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "levels certificate is wrong" in r.stderr
    assert str(bad) in r.stderr or "dot.zkplan" in r.stderr
