"""Every example compiles, and its IR computes what an independent Python version computes.

`ir_reference.run_program` is a deliberately slow interpreter of kernel IR and host graphs over
Python ints, so a wrong IR emission shows up as a wrong output here rather than as a proof
failure somewhere downstream.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ir_reference import ConstraintFailed, flatten
from ir_reference import run_program as run_reference

from zkcc.frontend import FIELDS, compile_file
from zkcc.ir.host import Program
from zkcc.ir.passes import validate_kernel

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = [
    "dot",
    "matmul",
    "mimc",
    "pipeline",
    "poseidon_bn254",
    "poseidon_bn254_groth16",
    "mixed_bn254",
    "polyeval",
    "layers",
    "mlp_digits",
    "cnn_digits",
    "poseidon2_batch",
    "merkle",
]


def run_program(prog: Program, inputs: dict) -> dict[str, list[int]]:
    return run_reference(prog, FIELDS[prog.field], inputs)


def load(name: str) -> tuple[Program, dict]:
    prog = compile_file(EXAMPLES / name / f"{name}.zkcu")
    inputs = json.loads((EXAMPLES / name / "inputs.json").read_text())
    return prog, inputs


@pytest.mark.parametrize("name", NAMES)
def test_example_compiles_to_valid_ir(name: str) -> None:
    prog, inputs = load(name)
    for k in prog.kernels.values():
        assert validate_kernel(k, FIELDS[prog.field]) == []
    ins = {t.name for t in prog.host.tensors if t.kind.value.endswith("_in")}
    assert ins == set(inputs)
    assert (EXAMPLES / name / "README.md").is_file()


def test_dot() -> None:
    prog, inputs = load("dot")
    p = FIELDS["m31"]
    out = run_program(prog, inputs)["ys"]
    want = [sum(x * w for x, w in zip(row, inputs["w"], strict=True)) % p for row in inputs["xs"]]
    assert out == want


def test_matmul() -> None:
    prog, inputs = load("matmul")
    p = FIELDS["m31"]
    a, b = inputs["A"], inputs["B"]
    want = [sum(a[i][k] * b[k][j] for k in range(16)) % p for i in range(64) for j in range(16)]
    assert run_program(prog, inputs)["C"] == want


def test_mimc() -> None:
    prog, inputs = load("mimc")
    p = FIELDS["m31"]
    src = (EXAMPLES / "mimc" / "mimc.zkcu").read_text()
    body = src[src.index("RC[ROUNDS] = {") + 14 : src.index("};")]
    rc = [int(x) for x in body.replace("\n", " ").split(",")]
    key = inputs["key"][0]

    def mimc(x: int) -> int:
        for c in rc:
            x = pow(x + key + c, 5, p)
        return (x + key) % p

    assert len(rc) == 32
    assert run_program(prog, inputs)["hashes"] == [mimc(m[0]) for m in inputs["msgs"]]


def test_pipeline() -> None:
    prog, inputs = load("pipeline")
    p = FIELDS["m31"]
    flat = flatten(inputs["xs"])
    sums = [sum(x * x for x in flat[g * 16 : (g + 1) * 16]) for g in range(128)]
    scale_inv = pow(inputs["scale"][0], -1, p)
    out = run_program(prog, inputs)
    assert out["mean"] == [s * scale_inv % p for s in sums]
    assert out["flags"] == [f for s in sums for f in (int(s == 0), s & 1)]
    assert out["flags"][0] == 1 and out["flags"][40] == 1


def test_pipeline_rejects_zero_scale() -> None:
    prog, inputs = load("pipeline")
    with pytest.raises(ConstraintFailed, match="division by zero at .*pipeline.zkcu:39:15"):
        run_program(prog, {**inputs, "scale": [0]})


def poseidon_reference(a: int, b: int, p: int) -> int:
    def rc(r: int, i: int) -> int:
        return (r * 3 + i + 1) * 1000003 + 7 * r * r + 12345

    s = [a % p, b % p, 0]
    rf, rp = 8, 8
    for r in range(rf + rp):
        s = [(x + rc(r, i)) % p for i, x in enumerate(s)]
        full = r < rf // 2 or r >= rf // 2 + rp
        s = [pow(x, 5, p) if (i == 0 or full) else x for i, x in enumerate(s)]
        t = sum(s)
        s = [(x + t) % p for x in s]
    return s[0]


def test_poseidon_bn254() -> None:
    prog, inputs = load("poseidon_bn254")
    p = FIELDS["bn254"]
    assert prog.field == "bn254"
    want = [poseidon_reference(int(a), int(b), p) for a, b in inputs["pairs"]]
    assert run_program(prog, inputs)["digests"] == want


def test_poseidon_bn254_groth16() -> None:
    prog, inputs = load("poseidon_bn254_groth16")
    p = FIELDS["bn254"]
    assert prog.kernels["hash_pairs"].backend == "groth16"
    want = [poseidon_reference(int(a), int(b), p) for a, b in inputs["pairs"]]
    assert run_program(prog, inputs)["digests"] == want


def test_mixed_bn254() -> None:
    prog, inputs = load("mixed_bn254")
    p = FIELDS["bn254"]
    assert (
        prog.kernels["hash_pairs"].backend == "groth16" and prog.kernels["whiten"].backend is None
    )
    key = [int(k) for k in inputs["key"]]
    want = [
        poseidon_reference(pow(int(a) + key[0], 5, p), pow(int(b) + key[1], 5, p), p)
        for a, b in inputs["pairs"]
    ]
    assert run_program(prog, inputs)["digests"] == want


def test_polyeval() -> None:
    prog, inputs = load("polyeval")
    p = FIELDS["m31"]
    coeffs = inputs["coeffs"]
    want = [sum(c * pow(x[0], i + 1, p) for i, c in enumerate(coeffs)) % p for x in inputs["xs"]]
    assert run_program(prog, inputs)["ys"] == want


def test_layers() -> None:
    """Four layers launched by a host loop over slices of one activations tensor."""
    prog, inputs = load("layers")
    p = FIELDS["m31"]
    assert sorted(prog.kernels) == ["copy<8>", "layer<8>"]
    a = inputs["x"]
    for w, b in zip(inputs["w"], inputs["b"], strict=True):
        a = [
            [
                (bj + sum(wji * ai for wji, ai in zip(wj, row, strict=True))) ** 2 % p
                for wj, bj in zip(w, b, strict=True)
            ]
            for row in a
        ]
    assert run_program(prog, inputs)["y"] == [v for row in a for v in row]
