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
from zkcc.errors import WitnessError
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


# ---- merkle.zkcu ---------------------------------------------------------------------------------


def tree_path(hash2, leaves, index):
    """(root, siblings from the leaf level up, direction bits) of a binary Merkle tree."""
    level, siblings, dirs = list(leaves), [], []
    while len(level) > 1:
        siblings.append(level[index ^ 1])
        dirs.append(index & 1)
        level = [hash2(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        index //= 2
    return level[0], siblings, dirs


MERKLE_BN254 = """#pragma field bn254
#include <merkle.zkcu>
__global__ void member(const field leaf[1], const field sib[D], const field dirs[D],
                       __broadcast__ const field root[1], field got[1]) {
    got[0] = merkle_root_bn254(leaf[0], sib, dirs);
    merkle_verify_bn254(leaf[0], sib, dirs, root[0]);
}
__host__ void main(public field leaf[N][1], private field sib[N][D], private field dirs[N][D],
                   public field root[1], public out field got[N][1]) {
    member<<<N>>>(leaf, sib, dirs, root, got);
}
"""

MERKLE_M31 = """#include <merkle.zkcu>
__global__ void member(const field leaf[8], const field sib[D][8], const field dirs[D],
                       __broadcast__ const field root[8], field got[8]) {
    merkle_root_m31(leaf, sib, dirs, got);
    merkle_verify_m31(leaf, sib, dirs, root);
}
__host__ void main(public field leaf[N][8], private field sib[N][D][8], private field dirs[N][D],
                   public field root[8], public out field got[N][8]) {
    member<<<N>>>(leaf, sib, dirs, root, got);
}
"""


def bn254_hash2(a, b):
    return ref_bn254([a, b, 0])[0]


def m31_compress(a, b):
    return tuple(ref_m31(list(a) + list(b))[:8])


def merkle_case(fname, depth, indices, seed=5):
    rng = random.Random(seed)
    if fname == "bn254":
        leaves = [rng.randrange(P_BN254) for _ in range(1 << depth)]
        hash2, src = bn254_hash2, MERKLE_BN254
    else:
        leaves = [tuple(rng.randrange(P_M31) for _ in range(8)) for _ in range(1 << depth)]
        hash2, src = m31_compress, MERKLE_M31
    paths = [tree_path(hash2, leaves, i) for i in indices]
    root = paths[0][0]
    assert all(p[0] == root for p in paths)
    inputs = {
        "leaf": [list(leaves[i]) if fname == "m31" else [leaves[i]] for i in indices],
        "sib": [[list(s) if fname == "m31" else s for s in p[1]] for p in paths],
        "dirs": [p[2] for p in paths],
        "root": list(root) if fname == "m31" else [root],
    }
    src = src.replace("D]", f"{depth}]").replace("N]", f"{len(indices)}]")
    return src.replace("<<<N>>>", f"<<<{len(indices)}>>>"), inputs, root


@pytest.mark.parametrize("fname", ["bn254", "m31"])
def test_merkle_membership(fname):
    src, inputs, root = merkle_case(fname, 3, [0, 5, 6])
    out = run(src, inputs)
    want = [root] * 3 if fname == "bn254" else list(root) * 3
    assert out["got"] == want


@pytest.mark.parametrize("fname", ["bn254", "m31"])
def test_merkle_rejects_a_wrong_path(fname):
    src, inputs, _ = merkle_case(fname, 2, [1, 2])
    bad = {**inputs, "dirs": [[1 - d for d in inputs["dirs"][0]], inputs["dirs"][1]]}
    with pytest.raises(ConstraintFailed):
        run(src, bad)
    # a direction that is not a bit fails its boolean check even if it leads to the root: with
    # dir = 2, left = 2 * sibling - node; the check fails before the root is compared
    two = {**inputs, "dirs": [[2, inputs["dirs"][0][1]], inputs["dirs"][1]]}
    with pytest.raises(ConstraintFailed):
        run(src, two)


# ---- nn.zkcu and mimc.zkcu -----------------------------------------------------------------------

NN = """#pragma field FIELD
#include <nn.zkcu>
__global__ void net(const field x[4][4], __broadcast__ const field k[2][2],
                    __broadcast__ const field w[2][3], __broadcast__ const field b[2],
                    field c[3][3], field d[2], field sp[2][2], field ap[2][2], field r[4]) {
    conv2d(x, k, c);
    field v[3] = {c[0][0], c[1][1], c[2][2]};
    dense(w, v, b, d);
    sum_pool2d<4, 4, 2>(x, sp);
    avg_pool2d<4, 4, 2, 20>(x, ap);
    r[0] = rescale_floor<20, 3>(x[0][0]);
    r[1] = rescale_round<20, 3>(x[0][1]);
    r[2] = rescale_round<20, 0>(x[0][2]);
    r[3] = scale(x[0][3], -5);
}
__host__ void main(public field x[N][4][4], private field k[2][2], private field w[2][3],
                   private field b[2], public out field c[N][3][3], public out field d[N][2],
                   public out field sp[N][2][2], public out field ap[N][2][2],
                   public out field r[N][4]) {
    net<<<N>>>(x, k, w, b, c, d, sp, ap, r);
}
"""


def nn_reference(p, x, k, w, b):
    """The kernel above in plain Python over signed ints; outputs reduced mod p."""
    c = [
        [sum(k[a][e] * x[i + a][j + e] for a in range(2) for e in range(2)) for j in range(3)]
        for i in range(3)
    ]
    v = [c[0][0], c[1][1], c[2][2]]
    d = [sum(w[j][i] * v[i] for i in range(3)) + b[j] for j in range(2)]
    sp = [
        [sum(x[2 * i + a][2 * j + e] for a in range(2) for e in range(2)) for j in range(2)]
        for i in range(2)
    ]
    ap = [[s // 4 for s in row] for row in sp]
    r = [x[0][0] // 8, (x[0][1] + 4) // 8, x[0][2], -5 * x[0][3]]
    flat = [v for m in (c, [d], sp, ap, [r]) for row in m for v in row]
    return [v % p for v in flat]


def nn_inputs(seed, n):
    rng = random.Random(seed)
    xs = [[[rng.randrange(-1000, 1000) for _ in range(4)] for _ in range(4)] for _ in range(n)]
    k = [[rng.randrange(-50, 50) for _ in range(2)] for _ in range(2)]
    w = [[rng.randrange(-50, 50) for _ in range(3)] for _ in range(2)]
    b = [rng.randrange(-500, 500) for _ in range(2)]
    return {"x": xs, "k": k, "w": w, "b": b}


def nn_program(fname, n):
    return NN.replace("FIELD", fname).replace("N]", f"{n}]").replace("<<<N>>>", f"<<<{n}>>>")


def nn_split(p, inputs):
    """Reference outputs by tensor name, for every instance."""
    names, sizes = ["c", "d", "sp", "ap", "r"], [9, 2, 4, 4, 4]
    want = {name: [] for name in names}
    for x in inputs["x"]:
        flat = nn_reference(p, x, inputs["k"], inputs["w"], inputs["b"])
        for name, size in zip(names, sizes, strict=True):
            want[name] += flat[:size]
            flat = flat[size:]
    return want


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_nn_layers_match_the_reference(fname):
    inputs = nn_inputs(3, 3)
    inputs["x"][0][0][:3] = [-8, -4, 7]  # exact multiples and a rounding tie
    out = run(nn_program(fname, 3), inputs)
    assert {k: out[k] for k in ("c", "d", "sp", "ap", "r")} == nn_split(FIELDS[fname], inputs)


RESCALE = """#include <nn.zkcu>
__global__ void r(const field x[1], field y[2]) {
    y[0] = rescale_floor<8, 2>(x[0]);
    y[1] = rescale_round<9, 2>(x[0]);
}
__host__ void main(public field x[N][1], public out field y[N][2]) {
    r<<<N>>>(x, y);
}
"""


def test_rescale_over_the_whole_signed_range():
    """Every signed 8-bit x: floor(x / 4), and x / 4 rounded halves up (9 bits: x + 2 fits); one
    past either end of the 8-bit range fails the bit decomposition."""
    xs = list(range(-128, 128))
    out = run(RESCALE.replace("N", str(len(xs))), {"x": [[x] for x in xs]})
    assert out["y"] == [v % P_M31 for x in xs for v in (x // 4, (x + 2) // 4)]
    for x in (128, -129):
        with pytest.raises(ConstraintFailed):
            run(RESCALE.replace("N", "1"), {"x": [[x]]})


def test_a_failing_library_check_names_the_call_that_reached_it(tmp_path):
    """One library line serves every call: a rescale failing at prove time is shown at its
    line in nn.zkcu and at the program's call that passed the bad value (the second of two
    identical calls, so the call is recorded once and replayed: zkcc.frontend.replay), also
    after the plan's round trip through its bytes."""
    source = (
        "#include <nn.zkcu>\n"
        "__global__ void r(const field x[3], field y[3]) {\n"
        "    y[0] = rescale_floor<8, 2>(x[0]);\n"
        "    y[1] = rescale_floor<8, 2>(x[1]);\n"
        "    y[2] = x[2];\n"
        "}\n"
        "__host__ void main(public field x[2][3], public out field y[2][3]) { r<<<2>>>(x, y); }\n"
    )
    path = tmp_path / "prog.zkcu"
    path.write_text(source)
    data = compile_path(path).to_bytes()
    plan = Plan.from_bytes(data)
    F = get_field(plan.field)
    x = F.array([[1, 2, 3], [4, 300, 6]]).reshape(-1)  # instance 1's second call fails
    with pytest.raises(WitnessError) as failed:
        prove(plan, plan_digest(data), {"x": x}, randomness=SEEDED)
    loc = failed.value.loc
    assert loc.file == "<stdlib>/nn.zkcu" and (loc.call.line, loc.call.col) == (4, 12)
    text = str(failed.value.under(tmp_path))
    assert "value 300 does not fit i8" in text and "instance 1" in text
    assert text.splitlines()[3:] == [
        f"{path}:4:12: note: in this call",
        "        y[1] = rescale_floor<8, 2>(x[1]);",
        "               ^",
    ]


def test_nn_proved_m31(tmp_path):
    inputs = nn_inputs(6, 2)
    out = prove_and_verify(tmp_path, nn_program("m31", 2), inputs)
    assert {k: out[k] for k in ("c", "d", "sp", "ap", "r")} == nn_split(P_M31, inputs)


MIMC = """#pragma field FIELD
#include <mimc.zkcu>
__global__ void h(const field x[2], field y[2]) {
    y[0] = mimc5(x[0], x[1]);
    y[1] = mimc5_hash2(x[0], x[1]);
}
__host__ void main(public field x[4][2], public out field y[4][2]) {
    h<<<4>>>(x, y);
}
"""


def mimc_reference(p, x, k):
    for c in const_table(STDLIB / "mimc.zkcu", "MIMC_RC"):
        x = pow(x + k + c, 5, p)
    return (x + k) % p


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_mimc_matches_the_reference(fname):
    p = FIELDS[fname]
    rng = random.Random(9)
    xs = [[rng.randrange(p), rng.randrange(p)] for _ in range(4)]
    out = run(MIMC.replace("FIELD", fname), {"x": xs})
    want = [[mimc_reference(p, x, k), (mimc_reference(p, k, x) + x + k) % p] for x, k in xs]
    assert out["y"] == [v for pair in want for v in pair]


def test_mimc_constants_are_the_examples():
    example = (ROOT / "examples" / "mimc" / "mimc.zkcu").read_text()
    body = example[example.index("RC[ROUNDS] = {") + 14 : example.index("};")]
    assert const_table(STDLIB / "mimc.zkcu", "MIMC_RC") == [int(v) for v in body.split(",")]


@pytest.mark.slow  # about 6 s: Groth16 setup and proof for two Poseidon2 permutations
def test_merkle_bn254_proved_groth16(tmp_path):
    src, inputs, root = merkle_case("bn254", 2, [3])
    assert prove_and_verify(tmp_path, src, inputs, "groth16")["got"] == [root]


@pytest.mark.parametrize("name", sorted(p.name for p in STDLIB.glob("*.zkcu")))
@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_every_library_file_includes_cleanly(name, fname):
    """Each file compiles on its own in either field, without errors or warnings."""
    run(
        f"""#pragma field {fname}
#include <{name}>
__global__ void copy(const field x[1], field y[1]) {{ y[0] = x[0]; }}
__host__ void main(public field x[2][1], public out field y[2][1]) {{ copy<<<2>>>(x, y); }}
""",
        {"x": [[1], [2]]},
    )
