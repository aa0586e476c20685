"""Shared test helpers: compile and prove an example in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from zkcc.analysis.assign import AssignOptions
from zkcc.driver import compile_path
from zkcc.encoding import decode
from zkcc.field import get_field
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.bundle import MAGIC, VERSION
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # the project's shared files, beside the checkout
PTAU13 = SHARED / "ptau" / "pot13_test.ptau"
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())
# Examples whose prove takes over ~10 s: the tests that prove every example run them only
# under the slow marker (make test-slow).
SLOW_EXAMPLES = {"mlp_digits", "cnn_digits", "poseidon2_batch", "merkle"}
EXAMPLE_PARAMS = [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW_EXAMPLES else n for n in EXAMPLE_NAMES
]
# The prover's coins in tests that compare proof bytes: Groth16 blinding and a zk plan's PCS
# masks are fresh per proof otherwise.
SEEDED = Randomness(seed=1)


@dataclass
class Proved:
    plan: Plan
    digest: bytes
    proof: bytes
    pks: dict | None = None  # Groth16 proving keys by step, for plans with Groth16 launches
    vks: dict | None = None

    def verify(self, proof: bytes | None = None, vks: dict | None = None):
        return verify(
            self.plan, self.digest, self.proof if proof is None else proof, keys=vks or self.vks
        )

    def inputs(self, name: str):
        F = get_field(self.plan.field)
        return load_inputs(EXAMPLES / name / "inputs.json", self.plan.program, F)


def prove_example(
    name: str,
    pcs: str = "ligero",
    backend: str | None = None,
    zk: bool = True,
    fuse: bool = True,
) -> Proved:
    src = EXAMPLES / name / f"{name}.zkcu"
    options = AssignOptions(fuse=fuse)
    plan_bytes = compile_path(src, pcs=pcs, backend=backend, zk=zk, options=options).to_bytes()
    plan = Plan.from_bytes(plan_bytes)
    digest = plan_digest(plan_bytes)
    F = get_field(plan.field)
    inputs = load_inputs(EXAMPLES / name / "inputs.json", plan.program, F)
    pks, vks = setup_plan(plan) if groth16_steps(plan) else (None, None)
    proof = prove(plan, digest, inputs, keys=pks, randomness=SEEDED).to_bytes()
    return Proved(plan, digest, proof, pks, vks)


class ThreadComm:
    """In-process stand-in for an MPI communicator: `size` workers in threads meet in
    allgather and alltoall (tests of split proving and committing without mpiexec; the MPI
    one is zkcc/runtime/comm.py)."""

    def __init__(self, shared: dict, rank: int, size: int) -> None:
        self.shared, self.rank, self.size = shared, rank, size

    def _exchange(self, data):
        """Every worker's `data`, in rank order."""
        sh = self.shared
        sh["barrier"].wait()
        sh["slots"][self.rank] = data
        sh["barrier"].wait()
        out = list(sh["slots"])
        sh["barrier"].wait()
        return out

    def allgather(self, data: bytes) -> list[bytes]:
        return self._exchange(bytes(data))

    def bcast(self, data: bytes | None, root: int = 0) -> bytes:
        return self._exchange(None if data is None else bytes(data))[root]

    def alltoall(self, parts) -> list:
        import numpy as np

        if len(parts) != self.size:
            raise ValueError(f"alltoall: {len(parts)} parts for {self.size} ranks")
        sent = self._exchange([np.frombuffer(bytes(memoryview(p)), np.uint8) for p in parts])
        return [theirs[self.rank] for theirs in sent]


def merkle_path_counts(plan: Plan, proof: bytes) -> list[list[int]] | None:
    """Each Ligero group's per-table Merkle path hash counts, read from the proof (what
    zkcc.analysis.costmodel.proof_bytes takes to size a proof exactly)."""
    if plan.pcs != "ligero":
        return None
    _, tree = decode(proof, MAGIC, VERSION, "proof")
    return [[len(t["path"]) // 32 for t in g.get("tables", [])] for g in tree["opening"]["groups"]]


def with_changed(store, name: str, change):
    """A one-process copy of a prover's TensorStore whose tensor `name` is `change(values)`
    (a copy of its values): what a lying prover reads."""
    from zkcc.runtime.tensors import TensorStore

    tensors = {n: store.whole(n) for n in store.names()}
    tensors[name] = change(tensors[name].copy())
    return TensorStore.of(store.F, tensors)


def run_workers(size: int, work):
    """work(comm) on `size` threads with ThreadComms; returns the results in rank order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    shared = {"barrier": threading.Barrier(size, timeout=60), "slots": [None] * size}
    with ThreadPoolExecutor(size) as pool:
        futures = [pool.submit(work, ThreadComm(shared, r, size)) for r in range(size)]
        return [f.result() for f in futures]


def example_module(folder: Path, name: str):
    """A Python file of an example folder (e.g. its reference.py), loaded as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{folder.name}_{name}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_signed(program, inputs: dict, tmp_path) -> dict:
    """`zkcc run`'s tensors for these inputs (written to tmp_path), as signed ints (an
    element above p/2 is negative)."""
    import json

    import numpy as np

    from zkcc.runtime.execute import execute

    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(inputs))
    F = get_field(program.field)
    tensors = execute(program, F, load_inputs(path, program, F)).tensors
    half = F.p // 2
    return {
        k: np.array([int(v) - F.p if int(v) > half else int(v) for v in np.asarray(t).reshape(-1)])
        for k, t in tensors.items()
    }


def committed_tensors(plan: Plan) -> set[str]:
    """The tensors a proof of `plan` commits to (members of its packed commitments)."""
    from zkcc.runtime.packing import plan_bins

    first, _ = plan_bins(plan, frozenset(groth16_steps(plan)))
    return {m.tensor for b in first for m in b.members}


def swap_committed_tables(monkeypatch, plan: Plan, a: str, b: str) -> None:
    """Make the prover commit tensor a's values where b belongs in its packed commitment and
    b's where a belongs (as far as the shorter reaches): the attack that swapping two tensors'
    own commitments was before commitments were packed (zkcc/runtime/packing.py)."""
    from zkcc.runtime import prover as prover_module
    from zkcc.runtime.packing import plan_bins

    real = prover_module.bin_part
    bins, _ = plan_bins(plan, frozenset(groth16_steps(plan)))
    sizes = {m.tensor: 1 << m.num_vars for b in bins for m in b.members}

    def swapped(F, where, held, member_part):
        def part(name, lo, hi):
            other = {a: b, b: a}.get(name)
            own = member_part(name, lo, hi)
            if other is None:
                return own
            out = own.copy()
            top = max(lo, min(hi, sizes[other]))
            out[: top - lo] = member_part(other, lo, top)
            return out

        return real(F, where, held, part)

    monkeypatch.setattr(prover_module, "bin_part", swapped)


def forced_proof(m, plan: Plan, digest: bytes, inputs: dict, backend: str | None, pks) -> bytes:
    """A proof of a lying witness (the caller has patched one in with monkeypatch context
    `m`): the prover's own check refuses it (GKR: non-zero circuit residues; Groth16: an
    unsatisfied R1CS), and with that check switched off it makes a proof for the verifier to
    reject."""
    from zkcc.backends import groth16 as g16
    from zkcc.errors import ZkccError
    from zkcc.runtime import steps as steps_module

    if backend is None:
        with pytest.raises(ZkccError, match="circuit residues are non-zero"):
            prove(plan, digest, inputs)
        m.setattr(steps_module, "check_residues", lambda *a: None)
    else:
        with pytest.raises(ZkccError, match="R1CS is not satisfied"):
            prove(plan, digest, inputs, keys=pks)
        real = g16.prove
        m.setattr(g16, "prove", lambda *a, **k: real(*a, **{**k, "check": False}))
    return prove(plan, digest, inputs, keys=pks).to_bytes()
