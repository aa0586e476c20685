"""The array module travels with the field (`F.xp`), never as a module-level global.

(a) No module under zkcc/ binds an array module at module or class level: parsed with `ast`,
    no top-level assignment whose value names numpy or cupy, no `import numpy as xp`, no
    top-level cupy import (cupy is optional and comes in through `get_field(name, xp=cupy)`).
(b) A field built with an explicit `xp` is the one used: a counting wrapper around numpy
    records the calls of sumcheck, MLE, GKR and PCS work on that field, whose results and
    proof bytes equal the default field's.
"""

from __future__ import annotations

import ast
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from zkcc.backends.gkr import evaluate_circuit, prove, verify
from zkcc.backends.gkr.random_circuit import random_circuit, random_inputs
from zkcc.backends.gkr.shard import Shard, to_columns
from zkcc.backends.gkr.sumcheck import SumcheckProver, SumcheckVerifier
from zkcc.encoding import encode
from zkcc.field import get_field, mle_evaluate
from zkcc.field.linalg import row_combine
from zkcc.pcs import codes
from zkcc.transcript import Transcript

ZKCC = Path(__file__).resolve().parents[1] / "zkcc"
ARRAY_MODULES = ("numpy", "cupy")


# ---- (a) no global array module ---------------------------------------------------------------
def _top_level(body: list[ast.stmt]):
    """Statements run at import time: the module body, the bodies of top-level if/try/with
    blocks and of classes (a class attribute is as global as a module one); not functions."""
    for node in body:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from _top_level(node.body)
        elif isinstance(node, (ast.If, ast.With, ast.For, ast.While)):
            yield from _top_level(node.body)
            yield from _top_level(getattr(node, "orelse", []))
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody):
                yield from _top_level(part)
            for handler in node.handlers:
                yield from _top_level(handler.body)


def global_array_modules(source: str) -> list[str]:
    """Descriptions of module-level array-module bindings in `source` (empty when clean)."""
    tree = ast.parse(source)
    aliases = {"np", "numpy", "cupy", "cp"}  # names that stand for an array module
    found = []
    nodes = list(_top_level(tree.body))
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                root = a.name.split(".")[0]
                if root not in ARRAY_MODULES:
                    continue
                aliases.add(a.asname or root)
                if root == "cupy":
                    found.append(f"line {node.lineno}: top-level `import {a.name}`")
                elif a.asname == "xp":
                    found.append(f"line {node.lineno}: `import {a.name} as xp`")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cupy":
            found.append(f"line {node.lineno}: top-level `from {node.module} import ...`")
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Name) and value.id in aliases:
                found.append(f"line {node.lineno}: assigns the array module `{value.id}`")
    return found


def test_checker_catches_global_array_modules():
    assert global_array_modules("import numpy as np\nxp = np\n")
    assert global_array_modules("import numpy\nxp: object = numpy\n")
    assert global_array_modules("import cupy as cp\n")
    assert global_array_modules("import numpy as xp\n")
    assert global_array_modules("import numpy as np\nclass K:\n    xp = np\n")
    assert global_array_modules(
        "import numpy as np\ntry:\n    xp = np\nexcept Exception:\n    pass\n"
    )
    clean = "import numpy as np\n_P = np.uint64(7)\n\ndef f(F):\n    xp = F.xp\n    return xp\n"
    assert global_array_modules(clean) == []


def test_no_module_level_array_module():
    bad = {}
    for path in sorted(ZKCC.rglob("*.py")):
        found = global_array_modules(path.read_text())
        if found:
            bad[str(path.relative_to(ZKCC.parent))] = found
    assert bad == {}


# ---- (b) the field's array module is the one used ----------------------------------------------
class _Counted:
    """A numpy callable that counts its calls; attributes (ufunc.reduceat, ...) pass through."""

    def __init__(self, fn, name: str, calls: Counter) -> None:
        self._fn, self._name, self._calls = fn, name, calls

    def __call__(self, *args, **kwargs):
        self._calls[self._name] += 1
        return self._fn(*args, **kwargs)

    def __getattr__(self, attr: str):
        return getattr(self._fn, attr)


class CountingNumpy(types.ModuleType):
    """A module object that forwards to numpy and counts every call of a numpy function."""

    def __init__(self) -> None:
        super().__init__("counting_numpy")
        self.calls: Counter = Counter()

    def __getattr__(self, name: str):
        attr = getattr(np, name)
        if callable(attr) and not isinstance(attr, type):
            return _Counted(attr, name, self.calls)
        return attr


@pytest.fixture(scope="module")
def counting():
    return CountingNumpy()


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_field_carries_its_array_module(name, counting):
    F = get_field(name)
    assert F.xp is np and F.ext.xp is np
    assert get_field(name, xp=np) is F
    G = get_field(name, xp=counting)
    assert G is not F and G.xp is counting and G.ext.xp is counting
    assert get_field(name, xp=counting) is G  # one shared object per (name, module)
    with pytest.raises(ValueError):
        get_field("nope", xp=counting)


def _bytes(proof) -> bytes:
    return encode(b"TEST", 1, proof.to_tree())


def _tables(F, m: int, seed: int):
    rng = np.random.default_rng(seed)
    f = F.array(rng.integers(0, 2**62, (F.ext.degree, 1 << m), dtype=np.int64))
    g = F.array(rng.integers(0, 2**62, 1 << m, dtype=np.int64))
    return f, g


def _sumcheck(F, m: int):
    f, g = _tables(F, m, seed=m)
    claim = F.ext.dot(f, g)
    res = SumcheckProver(F, Transcript(b"xp"), "t").prove(f, g, claim)
    point, final = SumcheckVerifier(F, Transcript(b"xp"), "t").verify(claim, res.proof, m, "xp")
    return res, point, final


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_sumcheck_and_mle_go_through_the_fields_module(name, counting):
    F, G = get_field(name), get_field(name, xp=counting)
    counting.calls.clear()
    res_g, point_g, final_g = _sumcheck(G, 9)
    assert sum(counting.calls.values()) > 0
    assert counting.calls["concatenate"] or counting.calls["stack"]
    if name == "m31":  # the chunked kernels and the QM31 product run on G.xp
        assert counting.calls["einsum"] and counting.calls["minimum"]
    res_f, point_f, final_f = _sumcheck(F, 9)
    assert _bytes(res_g.proof) == _bytes(res_f.proof)
    assert F.ext.equal(final_g, final_f) and F.ext.equal(res_g.f_eval, res_f.f_eval)
    assert all(F.ext.equal(a, b) for a, b in zip(point_g, point_f, strict=True))

    f, _ = _tables(F, 7, seed=3)
    point = [F.ext.scalar([5 + i] * F.ext.degree) for i in range(7)]
    counting.calls.clear()
    got = mle_evaluate(G, f, point)
    assert sum(counting.calls.values()) > 0
    assert F.ext.equal(got, mle_evaluate(F, f, point))


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_gkr_proof_bytes_equal_on_a_counting_module(name, counting):
    def run(F):
        rng = np.random.default_rng(11)
        c = random_circuit(rng, F.p, [4, 3, 5, 2], [(6, 3, 2), (10, 4, 1), (5, 2, 2)], [])
        l0 = random_inputs(rng, F.p, c, 1 << 3)
        store = evaluate_circuit(F, c, to_columns(F.array(l0), Shard.whole(3)))
        layers = [store[i] for i in range(len(store))]
        proof, _ = prove(F, c, layers, Transcript(b"gkr"))
        verify(F, c, 3, proof, Transcript(b"gkr"))
        return _bytes(proof)

    counting.calls.clear()
    got = run(get_field(name, xp=counting))
    assert counting.calls["concatenate"] and counting.calls["take"]  # evaluation, scatter-adds
    assert got == run(get_field(name))


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_pcs_linear_algebra_on_a_counting_module(name, counting):
    F, G = get_field(name), get_field(name, xp=counting)
    rng = np.random.default_rng(5)
    coeffs = F.array(rng.integers(0, 2**62, (F.ext.degree, 2, 16), dtype=np.int64))
    M = F.array(rng.integers(0, 2**62, (16, 8), dtype=np.int64))
    counting.calls.clear()
    got = row_combine(G, coeffs, M)
    if name == "m31":  # small tables reduce by one remainder (zkcc.field.m31.reduce_u64)
        assert counting.calls["concatenate"] and counting.calls["remainder"]
    assert np.array_equal(got, row_combine(F, coeffs, M))
    msg = F.array(rng.integers(0, 2**62, (8, 3), dtype=np.int64))
    counting.calls.clear()
    enc = codes._encode_generic(G, msg, 1)  # the encoder every field shares
    assert counting.calls["concatenate"]
    assert np.array_equal(enc, codes._encode_generic(F, msg, 1))
    assert np.array_equal(codes.encode(G, msg, 1), codes.encode(F, msg, 1))
