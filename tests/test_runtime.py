"""Runtime behaviour on small programs: padding of instance counts and shapes, input formats."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from zkcc.driver import plan_program
from zkcc.errors import ProofRejected, UserError
from zkcc.field import get_field
from zkcc.frontend import compile_source
from zkcc.pcs.split import span
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

SOURCE = """
#pragma field {field}
__global__ void inv_rows(const field x[3][5], __broadcast__ const field w[3], field y[3][5]) {{
    for (int i = 0; i < 3; i++) {{
        for (int j = 0; j < 5; j++) {{ y[i][j] = w[i] / x[i][j]; }}
    }}
}}
__host__ void main(public field xs[{n}][3][5], private field w[3],
                   public out field ys[{n}][3][5]) {{
    inv_rows<<<{n}>>>(xs, w, ys);
}}
"""


def _plan(field: str, n: int) -> tuple[Plan, bytes]:
    program = compile_source(SOURCE.format(field=field, n=n), "inv.zkcu")
    data = plan_program(program).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


@pytest.mark.parametrize("field, n", [("m31", 5), ("m31", 1), ("bn254", 3)])
def test_non_power_of_two_counts_and_shapes_prove(field, n):
    """Zero-padded instances would fail `x * (1/x) == 1`; the valid mask must excuse them,
    while every real instance's outputs are still bound."""
    F = get_field(field)
    plan, digest = _plan(field, n)
    rng = np.random.default_rng(n)
    xs = rng.integers(1, 1000, size=(n, 3, 5))
    w = rng.integers(0, 1000, size=3)
    inputs = {"xs": F.array(xs.reshape(-1).tolist()), "w": F.array(w.tolist())}
    proof = prove(plan, digest, inputs).to_bytes()
    public = verify(plan, digest, proof)
    want = [int(w[i]) * pow(int(x), -1, F.p) % F.p for row in xs for i in range(3) for x in row[i]]
    assert F.to_ints(public["ys"]) == want


def test_bn254_inputs_between_2_63_and_2_64_are_exact(tmp_path):
    """numpy reads a list that holds a value in [2^63, 2^64) beside smaller ones as float64;
    the field's array must keep every integer exact (the low bits were lost, and the circuit
    then disagreed with the witness)."""
    F = get_field("bn254")
    plan, digest = _plan("bn254", 2)
    big = [2**63 + 1, 2**64 - 1, 2**63, 2**64 + 7, 12345678901234567891, 5, 1, 3, 2**62]
    xs = (big * 4)[:30]
    rows = [[xs[k : k + 5] for k in range(j, j + 15, 5)] for j in (0, 15)]
    w = [2**63 + 5, 1, 2]
    (tmp_path / "in.json").write_text(json.dumps({"xs": rows, "w": w}))
    inputs = load_inputs(tmp_path / "in.json", plan.program, F)
    assert F.to_ints(inputs["xs"]) == xs and F.to_ints(inputs["w"]) == w
    assert F.to_ints(F.array([[2**63 + 1], [1]])) == [[2**63 + 1], [1]]
    public = verify(plan, digest, prove(plan, digest, inputs).to_bytes())
    want = [w[i] * pow(x, -1, F.p) % F.p for inst in rows for i in range(3) for x in inst[i]]
    assert F.to_ints(public["ys"]) == want


def test_npz_and_json_inputs_agree(tmp_path):
    plan, _ = _plan("m31", 2)
    F = get_field("m31")
    xs = np.arange(1, 31).reshape(2, 3, 5)
    np.savez(tmp_path / "in.npz", xs=xs, w=np.array([1, -2, 3]))
    (tmp_path / "in.json").write_text(json.dumps({"xs": xs.tolist(), "w": [1, "-2", 3]}))
    a = load_inputs(tmp_path / "in.npz", plan.program, F)
    b = load_inputs(tmp_path / "in.json", plan.program, F)
    assert all(np.array_equal(a[k], b[k]) for k in ("xs", "w"))
    assert F.to_ints(a["w"]) == [1, F.p - 2, 3]


@pytest.mark.parametrize(
    "xs, w, message",
    [
        (
            np.full((2, 3, 5), 2**31 + 19, np.int64),
            [1, 2, 3],
            r"xs\[0\]\[0\]\[0\]: value 2147483667 is outside",
        ),
        (
            np.ones((2, 3, 5), np.uint64),
            np.array([1, 2, 2**63 + 5], np.uint64),
            r"w\[2\]: value 9223372036854775813",
        ),
        (
            np.ones((2, 3, 5), np.int64),
            [1, -(2**31 - 1), 3],
            r"w\[1\]: value -2147483647 is outside",
        ),
        (np.ones((2, 3, 5), np.int64), [1, 2**31 - 1, 3], r"w\[1\]: value 2147483647 is outside"),
    ],
)
def test_npz_values_outside_the_field_are_refused_as_in_json(tmp_path, xs, w, message):
    """An .npz integer is read as JSON's are: |v| < p. p + 19 is not 19 (it passed an i8
    check), and a pinned public value p is not 0 (verify --public accepted it)."""
    plan, _ = _plan("m31", 2)
    np.savez(tmp_path / "in.npz", xs=xs, w=np.asarray(w))
    with pytest.raises(UserError, match=message):
        load_inputs(tmp_path / "in.npz", plan.program, get_field("m31"))
    np.savez(
        tmp_path / "ok.npz", xs=np.full((2, 3, 5), 2**31 - 2, np.int64), w=[-(2**31 - 2), 0, 1]
    )
    got = load_inputs(tmp_path / "ok.npz", plan.program, get_field("m31"))
    assert get_field("m31").to_ints(got["w"]) == [1, 0, 1]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"xs": [], "w": [1, 2, 3]}', r"xs: expected a list of 2 items, got a list of 0"),
        ('{"w": [1, 2, 3]}', "missing inputs"),
        ('{"xs": 1, "w": [1, 2, 3], "zz": 1}', "unknown names"),
        ('{"xs": XS, "w": [1, 2, 1e3]}', r"w\[2\]: expected an integer"),
        ('{"xs": XS, "w": [1, 2, "0x10"]}', "not a decimal integer"),
        ('{"xs": XS, "w": [1, 2, 2147483647]}', "outside the field"),
        ("{nope", r"in\.json:1:2: invalid JSON"),
    ],
)
def test_bad_inputs_name_file_and_position(tmp_path, content, message):
    plan, _ = _plan("m31", 2)
    path = tmp_path / "in.json"
    path.write_text(content.replace("XS", json.dumps([[[1] * 5] * 3] * 2)))
    with pytest.raises(UserError, match=message):
        load_inputs(path, plan.program, get_field("m31"))


def test_valid_flags_cannot_be_claimed_away():
    """A proof for n = 5 does not verify against the plan for n = 8 (different digest), and
    replaying it with the other plan's digest fails the launch checks."""
    F = get_field("m31")
    plan5, d5 = _plan("m31", 5)
    plan8, d8 = _plan("m31", 8)
    xs = np.arange(1, 76)
    inputs = {"xs": F.array(xs.tolist()), "w": F.array([1, 2, 3])}
    proof = prove(plan5, d5, inputs).to_bytes()
    with pytest.raises(ProofRejected):
        verify(plan8, d8, proof)


def test_ligero_proof_is_smaller_than_the_private_data():
    """polyeval's 2^18-element private intermediate (kept: not fused): revealed by `merkle`,
    opened succinctly by `ligero` (both without zero knowledge, which merkle cannot give);
    both proofs verify, and the ligero one is a fraction of the size."""
    from helpers import prove_example

    sizes = {}
    for pcs in ("merkle", "ligero"):
        proved = prove_example("polyeval", pcs, zk=False, fuse=False)
        verify(proved.plan, proved.digest, proved.proof)
        sizes[pcs] = len(proved.proof)
    assert sizes["merkle"] > (1 << 18) * 4
    assert sizes["ligero"] < sizes["merkle"] / 3


BIG_MATMUL = """
#pragma field m31
const int K = 64;
__global__ void mm(const field a[K], __broadcast__ const field b[K][K], field c[K]) {
    for (int j = 0; j < K; j++) {
        field acc = 0;
        for (int k = 0; k < K; k++) { acc += a[k] * b[k][j]; }
        c[j] = acc;
    }
}
__host__ void main(private field A[256][K], private field B[K][K], public out field C[256][K]) {
    mm<<<256>>>(A, B, C);
}
"""


@pytest.mark.slow
def test_two_million_gate_launch_end_to_end():
    """256 instances of a 64x64 matrix-vector product (2.1 M multiplication gates) with private
    operands: proves, verifies against numpy, and a changed output is rejected."""
    F = get_field("m31")
    data = plan_program(compile_source(BIG_MATMUL, "mm.zkcu")).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    rng = np.random.default_rng(7)
    A = rng.integers(0, 1 << 20, size=(256, 64))
    B = rng.integers(0, 1 << 10, size=(64, 64))
    inputs = {"A": F.array(A.reshape(-1).tolist()), "B": F.array(B.reshape(-1).tolist())}
    bundle = prove(plan, digest, inputs)
    public = verify(plan, digest, bundle.to_bytes())
    assert F.to_ints(public["C"]) == ((A @ B) % F.p).reshape(-1).tolist()
    bundle.public["C"] = F.encode(F.add(public["C"], F.array(1)))
    with pytest.raises(ProofRejected):
        verify(plan, digest, bundle.to_bytes())


PART_SOURCE = """
#pragma field m31
__global__ void k(const i8 x[4], const fx16.4 r[4], fx20.4 y[4]) {
    for (int i = 0; i < 4; i++) { y[i] = x[i] + r[i]; }
}
__host__ void main(public i8 xs[7][4], private fx16.4 rs[7][4], public out fx20.4 ys[7][4]) {
    k<<<7>>>(xs, rs, ys);
}
"""


def _part_inputs(tmp_path, xs, rs, compressed: bool, fortran: bool):
    save = np.savez_compressed if compressed else np.savez
    xs_saved = np.asfortranarray(xs) if fortran else xs
    save(tmp_path / "in.npz", xs=xs_saved, rs=rs)
    (tmp_path / "in.json").write_text(json.dumps({"xs": xs.tolist(), "rs": rs.tolist()}))


@pytest.mark.parametrize("compressed, fortran", [(False, False), (True, False), (True, True)])
def test_a_part_of_each_input_is_the_whole_read_and_cut(tmp_path, compressed, fortran):
    """What one MPI rank of R reads (`part`) is the same slice of what one process reads, for
    every R and rank (empty parts included), from .npz (stored, deflated, Fortran order) and
    JSON, for integer and fixed-point tensors."""
    program = compile_source(PART_SOURCE, "part.zkcu")
    F = get_field("m31")
    rng = np.random.default_rng(7)
    xs = rng.integers(-128, 128, size=(7, 4))
    rs = rng.integers(-3000, 3000, size=(7, 4)) / 16
    _part_inputs(tmp_path, xs, rs, compressed, fortran)
    for path in (tmp_path / "in.npz", tmp_path / "in.json"):
        whole = load_inputs(path, program, F)
        assert F.to_ints(whole["xs"]) == [int(v) % F.p for v in xs.reshape(-1)]
        assert F.to_ints(whole["rs"]) == [int(v * 16) % F.p for v in rs.reshape(-1)]
        for ranks in (2, 3, 40):
            for rank in range(ranks):
                part = load_inputs(path, program, F, lambda n, r=rank, w=ranks: span(n, w, r))
                for name in ("xs", "rs"):
                    keep = span(28, ranks, rank)
                    assert np.array_equal(part[name], whole[name][keep.start : keep.stop])


@pytest.mark.parametrize("fortran", [False, True])
def test_a_bad_value_in_a_part_is_named_by_its_index_in_the_whole(tmp_path, fortran):
    """Only the part that holds a bad value sees it, and names it as one process would."""
    program = compile_source(PART_SOURCE, "part.zkcu")
    F = get_field("m31")
    path = tmp_path / "in.npz"
    xs = np.zeros((7, 4), dtype=np.int64)
    xs[6][1] = 200  # element 25: the last third's
    rs = np.zeros((7, 4))
    rs[5][3] = 9000.0  # element 23: out of fx16.4's range, also the last third's
    for bad, message in [
        ({"xs": xs}, r"xs\[6\]\[1\]: value 200 does not fit i8"),
        ({"rs": rs}, r"rs\[5\]\[3\]: value '9000.0' is out of range for fx16.4"),
    ]:
        fine = {"xs": np.zeros((7, 4), dtype=np.int64), "rs": np.zeros((7, 4))}
        values = {**fine, **bad}
        _part_inputs(tmp_path, values["xs"], values["rs"], False, fortran)
        for rank in (0, 1):
            load_inputs(path, program, F, lambda n, r=rank: span(n, 3, r))
        with pytest.raises(UserError, match=message):
            load_inputs(path, program, F, lambda n: span(n, 3, 2))
        with pytest.raises(UserError, match=message):
            load_inputs(path, program, F)


def test_a_part_of_a_large_npz_entry_is_read_without_the_whole(tmp_path):
    """Reading an eighth of a 32 MiB deflated entry allocates about that eighth (the skipped
    bytes are decompressed and dropped in 16 MiB reads), not the whole."""
    n = 1 << 22
    program = compile_source(
        "#pragma field m31\n"
        "__global__ void k(const field x[1], field y[1]) { y[0] = x[0]; }\n"
        f"__host__ void main(private field xs[{n}][1], public out field ys[{n}][1]) "
        f"{{ k<<<{n}>>>(xs, ys); }}\n",
        "big.zkcu",
    )
    F = get_field("m31")
    xs = np.random.default_rng(1).integers(0, 1 << 30, size=(n, 1))
    np.savez_compressed(tmp_path / "in.npz", xs=xs)
    tracemalloc.start()
    try:
        part = load_inputs(tmp_path / "in.npz", program, F, lambda m: span(m, 8, 7))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(F.to_ints(part["xs"]), xs.reshape(-1)[7 * n // 8 :].tolist())
    # the whole entry alone is 8n bytes; the part's n bytes, read, reduced into the field and
    # stored (uint32), with the zip reader's buffers, take about 3n
    assert peak < 4 * n
