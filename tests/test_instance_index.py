"""instance_index(): a kernel reads its instance number, a public input the verifier computes
itself (runtime.claims.index_mle), never committed nor sent. Proved and verified against a plain
Python reference on both fields, with and without zero knowledge, in Groth16 launches, split
over ranks and memory chunks; a prover lying about the indices is rejected."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from helpers import SEEDED, merkle_path_counts, run_workers

from zkcc.analysis.costmodel import proof_bytes
from zkcc.driver import compile_path
from zkcc.errors import ProofRejected, WitnessError
from zkcc.field import get_field, mle_evaluate
from zkcc.ir.kernel import Op
from zkcc.ir.source import SourceLoc
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.claims import index_layout, index_mle, index_values
from zkcc.runtime.execute import execute, run_launch
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.tensors import TensorStore
from zkcc.runtime.verifier import verify

N = 13  # not a power of two: three padded instances

SCALE = """#pragma field {field}
__device__ field scaled(field v) {{ return v * (instance_index() + 1); }}

__global__ void scale(const field x[2], field y[2]) {{
    field i = instance_index();
    y[0] = scaled(x[0]);
    assert(x[1] == i * i + 7);
    y[1] = x[1] + i;
}}

__host__ void main(private field x[{n}][2], public out field y[{n}][2]) {{
    scale<<<{n}>>>(x, y);
}}
"""


def scale_reference(p: int, x: list[list[int]]) -> list[int]:
    """The kernel in plain Python: instance i gives x0 * (i + 1) and x1 + i."""
    out = []
    for i, (x0, x1) in enumerate(x):
        assert x1 == (i * i + 7) % p
        out += [x0 * (i + 1) % p, (x1 + i) % p]
    return out


def scale_inputs(p: int, n: int = N, seed: int = 3) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(p), (i * i + 7) % p] for i in range(n)]


def compiled(tmp_path, source: str, name: str = "prog", **options) -> tuple[Plan, bytes]:
    path = tmp_path / f"{name}.zkcu"
    path.write_text(source)
    data = compile_path(path, **options).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_closed_form_matches_the_listed_indices(fname):
    """index_mle is the brute-force MLE of the table s -> s over all 2^n (padded) instances."""
    F = get_field(fname)
    E = F.ext
    rng = random.Random(7)
    for count in [1, 2, 3, 5, 7, 8, 9, 13, 16, 100, 1023, 1024, 1025]:
        layout = index_layout(count)
        assert layout.shape == (1 << max(0, (count - 1).bit_length()), 1)
        assert F.to_ints(index_values(F, count)) == list(range(layout.shape[0]))
        point = [
            E.from_ints([rng.randrange(F.p) for _ in range(E.degree)])
            for _ in range(layout.num_vars)
        ]
        want = mle_evaluate(F, layout.table(F, index_values(F, count)), point)
        assert E.equal(index_mle(F, point), want), count


@pytest.mark.parametrize("fname", ["m31", "bn254"])
@pytest.mark.parametrize("zk", [True, False])
def test_proved_and_verified_against_the_reference(tmp_path, fname, zk):
    plan, digest = compiled(tmp_path, SCALE.format(field=fname, n=N), zk=zk)
    assert plan.zk == zk and not groth16_steps(plan)
    F = get_field(fname)
    x = scale_inputs(F.p)
    proof = prove(plan, digest, {"x": F.array(x).reshape(-1)}, randomness=SEEDED).to_bytes()
    public = verify(plan, digest, proof)
    assert F.to_ints(public["y"]) == scale_reference(F.p, x)
    # the index segment is public: no claim on a committed tensor, exact proof bytes
    assert proof_bytes(plan, merkle_path_counts(plan, proof)) == len(proof)


def test_groth16_launch(tmp_path):
    """In R1CS the index is instance k's coefficient k on the constant wire: keys fix it."""
    plan, digest = compiled(tmp_path, SCALE.format(field="bn254", n=5), backend="groth16")
    assert groth16_steps(plan) == [0]
    F = get_field("bn254")
    x = scale_inputs(F.p, 5)
    pks, vks = setup_plan(plan)
    proof = prove(plan, digest, {"x": F.array(x).reshape(-1)}, keys=pks).to_bytes()
    assert F.to_ints(verify(plan, digest, proof, keys=vks)["y"]) == scale_reference(F.p, x)


def test_only_kernels_that_read_it_get_the_segment(tmp_path):
    source = SCALE.format(field="m31", n=N).replace(
        "__host__",
        "__global__ void plain(const field x[2], field y[1]) { y[0] = x[0] * x[1]; }\n\n__host__",
    )
    source = source.replace(
        "public out field y[13][2])", "public out field y[13][2], public out field z[13][1])"
    ).replace("scale<<<13>>>(x, y);", "scale<<<13>>>(x, y);\n    plain<<<13>>>(x, z);")
    plan, _ = compiled(tmp_path, source)
    names = {k: [s.name for s in ck.circuit.segments] for k, ck in plan.kernels.items()}
    assert "index" in names["scale"] and "index" not in names["plain"]


def test_witness_matches_the_ir_reference_and_the_plan_round_trips(tmp_path):
    """The vectorised witness against the per-instance reference interpreter; the INDEX
    instruction survives the plan encoding (fast and reference decoders alike)."""
    import numpy as np
    from ir_reference import run_program

    from zkcc.ir.passes import validate_kernel
    from zkcc.plan.irformat import decode_instrs_reference, kernel_to_tree

    plan, _ = compiled(tmp_path, SCALE.format(field="bn254", n=N))
    F = get_field("bn254")
    x = scale_inputs(F.p)
    got = execute(plan.program, F, {"x": F.array(x).reshape(-1)}).tensors["y"]
    assert F.to_ints(got) == run_program(plan.program, F.p, {"x": x})["y"]
    kernel = plan.program.kernels["scale"]
    assert validate_kernel(kernel, F.p) == [] and kernel.uses_index()
    tree = kernel_to_tree(kernel)
    n = len(kernel.instrs)
    decoded = decode_instrs_reference(
        tree["ops"],
        np.frombuffer(tree["operands"], dtype="<i8").reshape(n, 3),
        np.frombuffer(tree["loc_index"], dtype="<i4"),
        kernel.params,
        list(tree["consts"]),
        [None if t is None else SourceLoc(*t) for t in tree["locs"]],
        ValueError("malformed"),
    )
    assert decoded == kernel.instrs


def test_a_failing_constraint_names_the_instance(tmp_path):
    plan, _ = compiled(tmp_path, SCALE.format(field="m31", n=N))
    F = get_field("m31")
    x = scale_inputs(F.p)
    x[9][1] += 1
    with pytest.raises(WitnessError, match=r"instance 9"):
        execute(plan.program, F, {"x": F.array(x).reshape(-1)})


LIE = """#pragma field m31
__global__ void scale(const field x[1], field y[1]) { y[0] = x[0] * (instance_index() + 1); }
__host__ void main(private field x[6][1], public out field y[6][1]) { scale<<<6>>>(x, y); }
"""


@pytest.mark.parametrize("zk,message", [(False, "instance index"), (True, "relation")])
def test_a_prover_lying_about_the_index_is_rejected(tmp_path, monkeypatch, zk, message):
    """Shift every index by one in the witness and in the input segment alike: the circuit is
    satisfied and the GKR checks pass, but the verifier's own value of the index segment
    differs (with --no-zk directly, in a zero-knowledge proof through the input relation)."""
    from zkcc.runtime import steps as steps_module
    from zkcc.runtime import witness as witness_module

    plan, digest = compiled(tmp_path, LIE, zk=zk)
    F = get_field("m31")
    inputs = {"x": F.array(list(range(10, 16)))}
    honest = witness_module.instance_indices
    shifted_values = steps_module.index_values
    with monkeypatch.context() as m:
        m.setattr(witness_module, "instance_indices", lambda F, a, n: honest(F, a + 1, n))
        m.setattr(steps_module, "index_values", lambda F, n: F.add(shifted_values(F, n), 1))
        proof = prove(plan, digest, inputs).to_bytes()
    with pytest.raises(ProofRejected, match=message):
        verify(plan, digest, proof)
    # the same plan proves honestly
    y = verify(plan, digest, prove(plan, digest, inputs).to_bytes())["y"]
    assert F.to_ints(y) == [(10 + i) * (i + 1) for i in range(6)]


@pytest.mark.parametrize("workers", [2, 3])
def test_split_witness_generation_gives_each_rank_its_indices(tmp_path, workers):
    plan, _ = compiled(tmp_path, SCALE.format(field="m31", n=N))
    F = get_field("m31")
    x = scale_inputs(F.p)
    tensors = {"x": F.array(x).reshape(-1)}
    step = plan.program.host.steps[0]
    want = scale_reference(F.p, x)

    def work(comm):
        return run_launch(F, plan.program, step, TensorStore.of(F, tensors, comm))[0][1]

    got = np.concatenate(run_workers(workers, work))  # each rank its rows, in rank order
    assert F.to_ints(got.reshape(-1)) == want


def test_witness_chunks_read_their_own_indices(tmp_path, monkeypatch):
    """Witness generation in chunks of one instance (what a small memory budget gives)."""
    from zkcc.runtime import execute as execute_module

    plan, _ = compiled(tmp_path, SCALE.format(field="m31", n=N))
    F = get_field("m31")
    x = scale_inputs(F.p)
    monkeypatch.setattr(execute_module, "WITNESS_CHUNK_BYTES", 1)
    got = execute(plan.program, F, {"x": F.array(x).reshape(-1)}).tensors["y"]
    assert F.to_ints(got) == scale_reference(F.p, x)


def test_memory_chunks_give_the_same_proof(tmp_path, monkeypatch):
    """A launch proved in four chunks of instances reads each chunk's indices."""
    from zkcc.runtime import memory as memory_module
    from zkcc.runtime import prover as prover_module
    from zkcc.runtime.report import Reporter

    plan, digest = compiled(tmp_path, SCALE.format(field="m31", n=N))
    F = get_field("m31")
    inputs = {"x": F.array(scale_inputs(F.p)).reshape(-1)}
    one = prove(plan, digest, inputs, randomness=SEEDED).to_bytes()
    real = memory_module.plan_memory

    def forced(plan_, ranks, limit, tmpdir, rep, comm=None):
        return dataclasses.replace(real(plan_, ranks, None, str(tmp_path), rep), parts=4)

    monkeypatch.setattr(prover_module, "plan_memory", forced)
    report = Reporter(quiet=True)
    chunked = prover_module.prove(plan, digest, inputs, report=report, randomness=SEEDED)
    assert chunked.to_bytes() == one
    verify(plan, digest, one)


def test_fused_launches_share_the_index(tmp_path):
    """Two launches over the same instances, linked by a private intermediate, fuse into one
    kernel that reads the index once."""
    source = """#pragma field m31
__global__ void first(const field x[1], field t[1]) { t[0] = x[0] * (instance_index() + 1); }
__global__ void second(const field t[1], field y[1]) { y[0] = t[0] * t[0] + instance_index(); }
__host__ void main(private field x[7][1], public out field y[7][1]) {
    field t[7][1];
    first<<<7>>>(x, t);
    second<<<7>>>(t, y);
}
"""
    plan, digest = compiled(tmp_path, source)
    F = get_field("m31")
    xs = list(range(3, 10))
    proof = prove(plan, digest, {"x": F.array(xs)}).to_bytes()
    want = [(x * (i + 1)) ** 2 + i for i, x in enumerate(xs)]
    assert F.to_ints(verify(plan, digest, proof)["y"]) == want
    assert len(plan.program.host.steps) == 1  # fused: the intermediate is never committed
    (kernel,) = [k.ir for k in plan.kernels.values()]
    assert sum(ins.op is Op.INDEX for ins in kernel.instrs) == 1


def test_mpi_ranks_prove_their_own_indices(tmp_path):
    """`mpiexec -n 2 zkcc prove`: the one-process proof, byte for byte."""
    import json

    from test_mpi import HAVE_MPI, SEED, run

    if not HAVE_MPI:
        pytest.skip("mpi4py/mpich not installed (make setup)")
    src, plan = tmp_path / "prog.zkcu", tmp_path / "prog.zkplan"
    src.write_text(SCALE.format(field="m31", n=N))
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"x": scale_inputs(get_field("m31").p)}))
    assert run("compile", str(src), "-o", str(plan)).returncode == 0
    one, two = tmp_path / "one.zkproof", tmp_path / "two.zkproof"
    assert run("prove", str(plan), "-i", str(inputs), "-o", str(one), "-q", *SEED).returncode == 0
    r = run("prove", str(plan), "-i", str(inputs), "-o", str(two), "-q", *SEED, ranks=2)
    assert r.returncode == 0, r.stderr
    assert two.read_bytes() == one.read_bytes()
    assert run("verify", str(plan), str(two)).returncode == 0


def test_r1cs_fixes_each_instance_index(tmp_path):
    """The launch R1CS holds for the honest outputs and not for outputs computed with shifted
    indices: the index is in the constraint matrix, not in the witness."""
    from zkcc.lower.r1cs import r1cs_from_kernel

    plan, _ = compiled(tmp_path, LIE.replace("m31", "bn254"))
    F = get_field("bn254")
    kernel = plan.program.kernels["scale"]
    xs = [[10 + i] for i in range(6)]
    r1cs, witness = r1cs_from_kernel(kernel, 6, {1}, F.p)
    honest = [[(10 + i) * (i + 1)] for i in range(6)]
    lied = [[(10 + i) * (i + 2)] for i in range(6)]
    assert r1cs.is_satisfied(witness([xs, honest], F.zeros((6, 0))))
    assert not r1cs.is_satisfied(witness([xs, lied], F.zeros((6, 0))))
