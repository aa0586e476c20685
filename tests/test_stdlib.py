"""The standard library (stdlib/*.zkcu): each function against an independent plain-Python
reference on random inputs, Poseidon2 against the reference implementations' published test
vectors, and proofs over both fields that use the library.

The kernels are run with the IR reference interpreter (tests/ir_reference.py); a few small
launches are proved and verified end to end.
"""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path

import pytest
from helpers import SEEDED
from ir_reference import ConstraintFailed, run_program

from zkcc.driver import compile_path
from zkcc.field import get_field
from zkcc.frontend import FIELDS, check_source, compile_source
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

ROOT = Path(__file__).resolve().parents[1]
STDLIB = ROOT / "stdlib"
P_BN254 = FIELDS["bn254"]
P_M31 = FIELDS["m31"]


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_p2m31", ROOT / "scripts" / "gen_poseidon2_m31.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN_M31 = _load_generator()


def run(source: str, inputs: dict) -> dict[str, list[int]]:
    """Compile a program (no diagnostics allowed) and run it with the IR reference."""
    assert [d.format() for d in check_source(source, "t.zkcu")] == []
    prog = compile_source(source, "t.zkcu")
    return run_program(prog, FIELDS[prog.field], inputs)


def const_table(path: Path, name: str) -> list[int]:
    """The values of `const int name[...] = {...};` in a zkcu file, flattened."""
    text = path.read_text()
    m = re.search(rf"const int {name}\[[^=]*=\s*\{{(.*?)\}};", text, re.S)
    assert m, name
    body = re.sub(r"//[^\n]*", "", m.group(1))
    return [int(tok, 0) for tok in re.findall(r"-?(?:0x[0-9a-fA-F]+|\d+)", body)]


def prove_and_verify(
    tmp_path, source: str, inputs: dict, backend: str = "gkr"
) -> dict[str, list[int]]:
    """Compile, prove (zero-knowledge) and verify; the public outputs as ints."""
    path = tmp_path / "prog.zkcu"
    path.write_text(source)
    data = compile_path(path, backend=backend).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    F = get_field(plan.field)
    arrays = {k: F.array(v).reshape(-1) for k, v in inputs.items()}
    pks, vks = setup_plan(plan) if groth16_steps(plan) else (None, None)
    proof = prove(plan, digest, arrays, keys=pks, randomness=SEEDED).to_bytes()
    public = verify(plan, digest, proof, keys=vks)
    return {k: F.to_ints(v) for k, v in public.items()}


# ---- Poseidon2: a plain-Python version of the paper's permutation -------------------------------


def poseidon2(p, state, rc_full, rc_partial, external, diag):
    """Poseidon2 (Grassi-Khovratovich-Schofnegger 2023, section 3): the external layer, R_F/2
    full rounds, R_P partial rounds, R_F/2 full rounds; x^5 S-box; internal layer
    s_i <- sum(s) + diag_i s_i."""
    s = external([x % p for x in state])
    half = len(rc_full) // 2

    def full(s, rc):
        return external([pow(x + c, 5, p) for x, c in zip(s, rc, strict=True)])

    for rc in rc_full[:half]:
        s = full(s, rc)
    for c in rc_partial:
        s = [pow(s[0] + c, 5, p)] + s[1:]
        total = sum(s)
        s = [(total + d * x) % p for x, d in zip(s, diag, strict=True)]
    for rc in rc_full[half:]:
        s = full(s, rc)
    return s


def external_bn254(s):
    """circ(2, 1, 1): each element plus the sum."""
    total = sum(s)
    return [(x + total) % P_BN254 for x in s]


M4 = [[2, 3, 1, 1], [1, 2, 3, 1], [1, 1, 2, 3], [3, 1, 1, 2]]


def external_m31(s):
    """M4 on each block of 4, then circ(2, 1, 1, 1) over the blocks (paper, section 5.1)."""
    y = [sum(M4[i][j] * s[4 * b + j] for j in range(4)) for b in range(4) for i in range(4)]
    cols = [sum(y[4 * b + i] for b in range(4)) for i in range(4)]
    return [(y[k] + cols[k % 4]) % P_M31 for k in range(16)]


BN254_FILE = STDLIB / "poseidon2_bn254.zkcu"
_full = const_table(BN254_FILE, "POSEIDON2_BN254_RC_FULL")
BN254_RC_FULL = [_full[3 * r : 3 * r + 3] for r in range(8)]
BN254_RC_PARTIAL = const_table(BN254_FILE, "POSEIDON2_BN254_RC_PARTIAL")
M31_RC_FULL, M31_RC_PARTIAL = GEN_M31.constants()
M31_DIAG = [P_M31 - 2] + [1 << k for k in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16)]


def ref_bn254(state):
    return poseidon2(P_BN254, state, BN254_RC_FULL, BN254_RC_PARTIAL, external_bn254, [1, 1, 2])


def ref_m31(state):
    return poseidon2(P_M31, state, M31_RC_FULL, M31_RC_PARTIAL, external_m31, M31_DIAG)


PERM_BN254 = """#pragma field bn254
#include <poseidon2_bn254.zkcu>
__global__ void perm(const field x[3], field y[3], field h[1]) {
    field s[3] = {x[0], x[1], x[2]};
    poseidon2_bn254_permute(s);
    for (int i = 0; i < 3; i++) { y[i] = s[i]; }
    h[0] = poseidon2_bn254_hash2(x[0], x[1]);
}
__host__ void main(public field x[N][3], public out field y[N][3], public out field h[N][1]) {
    perm<<<N>>>(x, y, h);
}
"""

PERM_M31 = """#include <poseidon2_m31.zkcu>
__global__ void perm(const field x[16], field y[16], field c[8]) {
    field s[16];
    for (int i = 0; i < 16; i++) { s[i] = x[i]; }
    poseidon2_m31_permute(s);
    for (int i = 0; i < 16; i++) { y[i] = s[i]; }
    field a[8];
    field b[8];
    for (int i = 0; i < 8; i++) { a[i] = x[i]; b[i] = x[i + 8]; }
    poseidon2_m31_compress(a, b, c);
}
__host__ void main(public field x[N][16], public out field y[N][16], public out field c[N][8]) {
    perm<<<N>>>(x, y, c);
}
"""

# HorizenLabs/poseidon2, plain_implementations/src/poseidon2/poseidon2.rs, test `kats` for
# POSEIDON2_BN256_PARAMS: the permutation of [0, 1, 2].
BN254_VECTOR = [
    0x0BB61D24DACA55EEBCB1929A82650F328134334DA98EA4F847F760054F4A3033,
    0x303B6F7C86D043BFCBCC80214F26A30277A15D3F74CA654992DEFE7FF8D03570,
    0x1ED25194542B12EEF8617361C3BA7C52E660B145994427CC86296242CF766EC8,
]
# Plonky3/Plonky3, mersenne-31/src/poseidon2.rs, test `test_poseidon2_width_16_random`.
M31_VECTOR_IN = [
    894848333,
    1437655012,
    1200606629,
    1690012884,
    71131202,
    1749206695,
    1717947831,
    120589055,
    19776022,
    42382981,
    1831865506,
    724844064,
    171220207,
    1299207443,
    227047920,
    1783754913,
]
M31_VECTOR_OUT = [
    1124552602,
    2127602268,
    1834113265,
    1207687593,
    1891161485,
    245915620,
    981277919,
    627265710,
    1534924153,
    1580826924,
    887997842,
    1526280482,
    547791593,
    1028672510,
    1803086471,
    323071277,
]


def test_poseidon2_bn254_published_vector():
    out = run(PERM_BN254.replace("N", "1"), {"x": [[0, 1, 2]]})
    assert out["y"] == BN254_VECTOR
    assert ref_bn254([0, 1, 2]) == BN254_VECTOR  # the Python reference agrees
    assert out["h"] == [ref_bn254([0, 1, 0])[0]]


def test_poseidon2_m31_published_vector():
    out = run(PERM_M31.replace("N", "1"), {"x": [M31_VECTOR_IN]})
    assert out["y"] == M31_VECTOR_OUT
    assert ref_m31(M31_VECTOR_IN) == M31_VECTOR_OUT
    assert out["c"] == M31_VECTOR_OUT[:8]


def test_poseidon2_tables_are_complete():
    assert len(BN254_RC_PARTIAL) == 56 and all(len(r) == 3 for r in BN254_RC_FULL)
    assert all(0 < c < P_BN254 for row in BN254_RC_FULL for c in row)
    assert all(0 < c < P_BN254 for c in BN254_RC_PARTIAL)
    assert len(M31_RC_PARTIAL) == 14 and all(len(r) == 16 for r in M31_RC_FULL)


def test_poseidon2_m31_constants_file_is_the_generators_output():
    assert (STDLIB / "poseidon2_m31_constants.zkcu").read_text() == GEN_M31.render()
    assert const_table(STDLIB / "poseidon2_m31_constants.zkcu", "POSEIDON2_M31_RC_PARTIAL") == (
        M31_RC_PARTIAL
    )


@pytest.mark.parametrize("fname", ["bn254", "m31"])
def test_poseidon2_random_states_match_the_reference(fname):
    rng = random.Random(11)
    if fname == "bn254":
        xs = [[rng.randrange(P_BN254) for _ in range(3)] for _ in range(4)]
        out = run(PERM_BN254.replace("N", "4"), {"x": xs})
        assert out["y"] == [v for x in xs for v in ref_bn254(x)]
        assert out["h"] == [ref_bn254([x[0], x[1], 0])[0] for x in xs]
    else:
        xs = [[rng.randrange(P_M31) for _ in range(16)] for _ in range(4)]
        out = run(PERM_M31.replace("N", "4"), {"x": xs})
        assert out["y"] == [v for x in xs for v in ref_m31(x)]
        assert out["c"] == [v for x in xs for v in ref_m31(x)[:8]]


def test_poseidon2_bn254_proved_groth16(tmp_path):
    """The published vector through a Groth16 proof (one instance: setup dominates)."""
    out = prove_and_verify(tmp_path, PERM_BN254.replace("N", "1"), {"x": [[0, 1, 2]]}, "groth16")
    assert out["y"] == BN254_VECTOR


@pytest.mark.slow  # about 18 s: 89 layers of GKR sumchecks over BN254 in Python
def test_poseidon2_bn254_proved_gkr(tmp_path):
    xs = [[0, 1, 2], [5, 6, 7]]
    out = prove_and_verify(tmp_path, PERM_BN254.replace("N", "2"), {"x": xs})
    assert out["y"] == BN254_VECTOR + ref_bn254([5, 6, 7])


@pytest.mark.slow  # about 10 s: 89 layers of GKR sumchecks in Python
def test_poseidon2_m31_proved(tmp_path):
    xs = [M31_VECTOR_IN, list(range(16))]
    out = prove_and_verify(tmp_path, PERM_M31.replace("N", "2"), {"x": xs})
    assert out["y"] == M31_VECTOR_OUT + ref_m31(list(range(16)))
