"""The fuzz targets: what each one mutates, and which library calls it feeds the result to.

Each target calls what the CLI command calls, in-process (thousands of cases a minute instead
of a few hundred subprocesses):

    sources  compile_file + plan_program + Plan.to_bytes/from_bytes   `zkcc check`, `compile`
    plans    Plan.from_bytes, the inspect summary, execute              `zkcc inspect`, `zkcc run`
    proofs   zkcc.runtime.verifier.verify                              `zkcc verify`
    keys     keys_from_bytes, then verify with the loaded keys         `zkcc verify` (.zkvk/.zkpk)
    inputs   load_inputs (.json and .npz), then execute               `zkcc run`, `zkcc prove`

Seeds come from the examples: their sources, their compiled plans, proofs of the small ones
(made once and cached in a temporary directory; a cached proof that no longer verifies is made
again) and Groth16 keys of poseidon_bn254_groth16, made at run time by `setup_plan` and
`keys_to_bytes` (never read from stored files, so that the target follows the key format as
it changes). Before fuzzing, every seed must pass unmutated (`Target.check_seeds`).

Structured operations of a case (tree, JSON, .npz, tokens) are applied first, in order, then
its byte-level ones (mutate.py).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from zkcc.encoding import decode
from zkcc.errors import FormatError

from . import mutate as m
from .harness import ACCEPTED, UNCHANGED, Finding, classify

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SOURCE_EXAMPLES = sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())
# small enough to prove once per session; NAME-nozk: compiled with --no-zk; activations has
# lookups (zero-knowledge LogUp, and with -nozk the fractional sums)
PROOF_EXAMPLES = ("dot", "mimc", "polyeval", "activations", "activations-nozk")
NO_ZK = "-nozk"


def seed_plan(name: str) -> bytes:
    """The plan of a seed name: an example's, with --no-zk for NAME-nozk."""
    if name.endswith(NO_ZK):
        return example_plan(name.removesuffix(NO_ZK), "ligero", False)
    return example_plan(name)


GROTH16_EXAMPLE = "poseidon_bn254_groth16"
NPZ_EXAMPLES = ("dot", "mimc", "polyeval", "matmul", "pipeline")  # m31: values fit in int64


@functools.cache
def workdir() -> Path:
    """A private temporary directory for the files a case needs on disk."""
    return Path(tempfile.mkdtemp(prefix="zkcc-fuzz-"))


def cache_dir() -> Path:
    """Where proofs of the examples are kept between sessions (ZKCC_FUZZ_CACHE to move it)."""
    path = Path(os.environ.get("ZKCC_FUZZ_CACHE") or Path(tempfile.gettempdir()) / "zkcc-fuzz")
    path.mkdir(parents=True, exist_ok=True)
    return path


class SeedError(Exception):
    """An unmutated seed does not pass: the target (or zkcc) is broken before any fuzzing."""


# -- the examples, compiled and proved once -----------------------------------------------------


@functools.cache
def example_plan(name: str, pcs: str = "ligero", zk: bool = True) -> bytes:
    from zkcc.driver import compile_path

    return compile_path(EXAMPLES / name / f"{name}.zkcu", pcs=pcs, zk=zk).to_bytes()


@functools.cache
def loaded_plan(plan_bytes: bytes):
    """(Plan, digest) of plan bytes, parsed once."""
    from zkcc.plan.plan import Plan, plan_digest

    return Plan.from_bytes(plan_bytes), plan_digest(plan_bytes)


@functools.cache
def example_inputs(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name / "inputs.json").read_text())


@functools.cache
def groth16_material() -> tuple[bytes, dict, dict, bytes]:
    """(plan bytes, proving keys, verifying keys, proof) of the Groth16 example. Keys come from
    fresh toxic waste each session, so neither they nor the proof are cached on disk."""
    from zkcc.field import get_field
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.keyfiles import setup_plan
    from zkcc.runtime.prover import prove
    from zkcc.runtime.randomness import Randomness

    plan_bytes = example_plan(GROTH16_EXAMPLE)
    plan, digest = loaded_plan(plan_bytes)
    pks, vks = setup_plan(plan)
    F = get_field(plan.field)
    inputs = load_inputs(EXAMPLES / GROTH16_EXAMPLE / "inputs.json", plan.program, F)
    proof = prove(plan, digest, inputs, keys=pks, randomness=Randomness(seed=1)).to_bytes()
    return plan_bytes, pks, vks, proof


@functools.cache
def example_proof(name: str) -> bytes:
    """A seeded (so deterministic) proof of an example, cached on disk by plan digest."""
    if name == GROTH16_EXAMPLE:
        return groth16_material()[3]
    from zkcc.field import get_field
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.prover import prove
    from zkcc.runtime.randomness import Randomness
    from zkcc.runtime.verifier import verify

    plan, digest = loaded_plan(seed_plan(name))
    path = cache_dir() / f"{name}-{digest.hex()[:16]}.zkproof"
    if path.exists():
        data = path.read_bytes()
        try:
            verify(plan, digest, data)
            return data
        except Exception:  # made by an older zkcc: prove again
            pass
    F = get_field(plan.field)
    folder = EXAMPLES / name.removesuffix(NO_ZK)
    inputs = load_inputs(folder / "inputs.json", plan.program, F)
    data = prove(plan, digest, inputs, randomness=Randomness(seed=1)).to_bytes()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


# -- the target machinery ----------------------------------------------------------------------


class Target:
    """A fuzz target: seeds, a strategy of cases over them, and the check of one case."""

    name = ""
    suffix = ".bin"  # of reproducer files
    timeout = 10.0  # seconds per case before it counts as a hang
    max_ops = 3

    def __init__(self, seeds: tuple[str, ...] | None = None) -> None:
        """`seeds`: restrict the target to these seed names (the test slice's fast subset)."""
        self.only = seeds

    @functools.cached_property
    def seeds(self) -> dict[str, bytes]:
        allseeds = self.make_seeds()
        if self.only is not None:
            allseeds = {k: v for k, v in allseeds.items() if k in self.only}
        return allseeds

    def make_seeds(self) -> dict[str, bytes]:
        raise NotImplementedError

    def weights(self) -> dict[str, int]:
        """How often each seed is drawn (cheap seeds more often)."""
        return dict.fromkeys(self.seeds, 1)

    def structured_ops(self, seed: str) -> st.SearchStrategy[m.Op] | None:
        return None

    def strategy(self) -> st.SearchStrategy[m.Case]:
        names = [n for n, w in sorted(self.weights().items()) for _ in range(w)]
        return st.sampled_from(names).flatmap(self._cases_for)

    def _cases_for(self, seed: str) -> st.SearchStrategy[m.Case]:
        ops = m.byte_ops([n for n in self.seeds if n != seed])
        structured = self.structured_ops(seed)
        if structured is not None:
            ops = structured | ops
        return st.builds(
            m.Case, st.just(seed), st.lists(ops, min_size=1, max_size=self.max_ops).map(tuple)
        )

    def data(self, case: m.Case) -> bytes:
        """The case's bytes: the seed, structured operations, then byte operations."""
        state: Any = self.parse(case.seed)
        for op in case.ops:
            if op[0] in m.STRUCTURED:
                state = self.apply_structured(state, op)
        data = self.unparse(case.seed, state)
        for op in case.ops:
            data = m.apply_byte_op(data, op, self.seeds)
        return data

    def parse(self, seed: str) -> Any:
        return self.seeds[seed]

    def apply_structured(self, state: Any, op: m.Op) -> Any:
        return state

    def unparse(self, seed: str, state: Any) -> bytes:
        return state

    def run(self, case: m.Case, data: bytes) -> str:
        """The outcome of one case (harness.ACCEPTED / REJECTED / REFUSED / UNCHANGED);
        raises Finding."""
        raise NotImplementedError

    def check(self, case: m.Case) -> str:
        """Run one case; a Finding carries the case and its bytes, saved to a file."""
        data = self.data(case)
        try:
            return self.run(case, data)
        except Finding as f:
            f.target, f.case, f.data = self.name, case, data
            raise

    def check_seeds(self) -> None:
        """Every seed, unmutated, must be accepted: otherwise nothing a mutation does to it
        means anything."""
        for name in self.seeds:
            try:
                outcome = self.run(m.Case(name, ()), self.seeds[name])
            except Finding as f:
                raise SeedError(f"{self.name}: seed {name}: {f}") from None
            if outcome not in (ACCEPTED, UNCHANGED):
                raise SeedError(f"{self.name}: seed {name} is {outcome}, not accepted")


class TreeTarget(Target):
    """Files in the zkcc tree format (plans, proofs, keys): tree-level and byte mutations."""

    def magic(self, seed: str) -> bytes:
        return self.seeds[seed][:4]

    def structured_ops(self, seed: str) -> st.SearchStrategy[m.Op]:
        return m.tree_ops()

    def parse(self, seed: str) -> Any:
        return ("raw", self.seeds[seed])

    def apply_structured(self, state: Any, op: m.Op) -> Any:
        kind, tree = state
        if kind == "raw":
            decoded = self._tree(tree)
            if decoded is None:  # not a tree at all: leave it to the byte operations
                return state
            tree = decoded[1]
        return ("tree", m.apply_tree_op(tree, op))

    @functools.cached_property
    def _trees(self) -> dict[bytes, tuple[int, Any]]:
        return {}

    def _tree(self, data: bytes) -> tuple[int, Any] | None:
        """(version, tree) of a seed, decoded once."""
        if data not in self._trees:
            try:
                self._trees[data] = decode(data, data[:4], 1 << 20, "seed")
            except FormatError:
                return None
        return self._trees[data]

    def unparse(self, seed: str, state: Any) -> bytes:
        kind, value = state
        if kind == "raw":
            return value
        version = self._tree(self.seeds[seed])[0]
        return m.raw_encode(self.magic(seed), version, value)


# -- sources -----------------------------------------------------------------------------------


class Sources(Target):
    """Mutated and spliced example sources, and token soups, through the whole compiler."""

    name, suffix, timeout, max_ops = "sources", ".zkcu", 20.0, 4

    def make_seeds(self) -> dict[str, bytes]:
        return {f"{n}.zkcu": (EXAMPLES / n / f"{n}.zkcu").read_bytes() for n in SOURCE_EXAMPLES}

    def _cases_for(self, seed: str) -> st.SearchStrategy[m.Case]:
        others = [n for n in self.seeds if n != seed]
        ops = m.source_ops(others) | m.source_ops(others) | m.byte_ops(others)
        mutated = st.builds(
            m.Case, st.just(seed), st.lists(ops, min_size=1, max_size=self.max_ops).map(tuple)
        )
        soup = st.builds(m.Case, st.just(seed), m.source_soup().map(lambda op: (op,)))
        return st.one_of(mutated, mutated, mutated, soup)

    @functools.cached_property
    def _tokens(self) -> dict[str, list[str]]:
        return {n: m.tokenize(d.decode()) for n, d in self.seeds.items()}

    def parse(self, seed: str) -> Any:
        return self._tokens[seed]

    def apply_structured(self, state: Any, op: m.Op) -> Any:
        return m.apply_source_op(state, op, self._tokens.__getitem__)

    def unparse(self, seed: str, state: Any) -> bytes:
        return "".join(state).encode("utf-8", "surrogatepass")

    def run(self, case: m.Case, data: bytes) -> str:
        from zkcc import cli
        from zkcc.driver import plan_program
        from zkcc.frontend import check_file, compile_file
        from zkcc.plan.plan import Plan, plan_digest

        path = workdir() / "fuzz.zkcu"
        path.write_bytes(data)

        def compile_and_load() -> None:
            check_file(path)  # `zkcc check`: never raises for the source's problems
            plan = plan_program(compile_file(path))
            raw = plan.to_bytes()
            # `zkcc compile` (without --explain, which builds every Groth16 launch's R1CS
            # to count it: time in proportion to the program, legitimately large), then what
            # `prove` does with the file it wrote
            cli._plan_summary(plan, plan_digest(raw), len(raw), with_r1cs=False)
            Plan.from_bytes(raw, str(path))

        return classify(compile_and_load, (str(path), path.name), self.timeout)[0]


# -- plans -------------------------------------------------------------------------------------


class Plans(TreeTarget):
    """Mutated compiled plans of every example: loaded, summarised and executed."""

    name, suffix, timeout = "plans", ".zkplan", 20.0

    def make_seeds(self) -> dict[str, bytes]:
        seeds = {f"{n}.zkplan": example_plan(n) for n in SOURCE_EXAMPLES}
        seeds["dot-merkle.zkplan"] = example_plan("dot", "merkle", False)
        seeds["mixed_bn254-nozk.zkplan"] = example_plan("mixed_bn254", "ligero", False)
        seeds["activations-nozk.zkplan"] = seed_plan("activations-nozk")  # LOOKUPs, tables
        return seeds

    def run(self, case: m.Case, data: bytes) -> str:
        from zkcc import cli
        from zkcc.field import get_field
        from zkcc.plan.plan import Plan, plan_digest
        from zkcc.runtime.execute import execute
        from zkcc.runtime.inputs import load_inputs

        path = workdir() / "fuzz.zkplan"
        example = case.seed.removesuffix(".zkplan").split("-")[0]
        inputs = EXAMPLES / example / "inputs.json"

        def load_and_run() -> None:
            plan = Plan.from_bytes(data, str(path))  # every command that reads a plan
            cli._plan_summary(plan, plan_digest(data), len(data))  # `zkcc inspect`
            F = get_field(plan.field)
            execute(plan.program, F, load_inputs(inputs, plan.program, F))  # `zkcc run`

        return classify(load_and_run, (str(path), str(inputs)), self.timeout)[0]


# -- proofs ------------------------------------------------------------------------------------


class Proofs(TreeTarget):
    """Mutated proofs of small examples: must be rejected or refused, never accepted."""

    name, suffix, timeout = "proofs", ".zkproof", 30.0

    def make_seeds(self) -> dict[str, bytes]:
        names = [*PROOF_EXAMPLES, GROTH16_EXAMPLE]
        if self.only is not None:
            names = [n for n in names if f"{n}.zkproof" in self.only]
        return {f"{n}.zkproof": example_proof(n) for n in names}

    def weights(self) -> dict[str, int]:
        cost = {"dot.zkproof": 4, "polyeval.zkproof": 2}  # verify takes 0.05 s and 0.15 s
        return {n: cost.get(n, 1) for n in self.seeds}

    def run(self, case: m.Case, data: bytes) -> str:
        from zkcc.runtime.verifier import verify

        example = case.seed.removesuffix(".zkproof")
        if example == GROTH16_EXAMPLE:
            plan_bytes, _, keys, _ = groth16_material()
        else:
            plan_bytes, keys = seed_plan(example), None
        plan, digest = loaded_plan(plan_bytes)
        what = str(workdir() / "fuzz.zkproof")
        outcome, public = classify(
            lambda: verify(plan, digest, data, what, keys), (what,), self.timeout
        )
        if outcome == ACCEPTED and data != self.seeds[case.seed]:
            seed_public = verify(plan, digest, self.seeds[case.seed], "seed", keys)
            same = all(np.array_equal(public[n], seed_public[n]) for n in seed_public) and set(
                public
            ) == set(seed_public)
            raise Finding(
                "accepted mutation",
                f"a mutated proof of {example} ({len(data)} bytes) was ACCEPTED, with "
                + ("the seed's public values" if same else "DIFFERENT public values"),
                "zkcc/runtime/verifier.py",
            )
        return UNCHANGED if data == self.seeds[case.seed] else outcome


# -- keys --------------------------------------------------------------------------------------


class Keys(TreeTarget):
    """Mutated Groth16 key files: loaded by keys_from_bytes, and a loaded .zkvk used to
    verify the genuine proof."""

    name, suffix, timeout = "keys", ".zkkey", 30.0

    def make_seeds(self) -> dict[str, bytes]:
        from zkcc.runtime.keyfiles import PK_MAGIC, VK_MAGIC, keys_to_bytes

        plan_bytes, pks, vks, _ = groth16_material()
        _, digest = loaded_plan(plan_bytes)
        return {
            "poseidon.zkpk": keys_to_bytes(PK_MAGIC, digest, pks),
            "poseidon.zkvk": keys_to_bytes(VK_MAGIC, digest, vks),
        }

    def weights(self) -> dict[str, int]:
        return {n: 3 if n.endswith(".zkvk") else 1 for n in self.seeds}

    def run(self, case: m.Case, data: bytes) -> str:
        from zkcc.runtime.keyfiles import keys_from_bytes
        from zkcc.runtime.verifier import verify

        plan_bytes, _, _, proof = groth16_material()
        plan, digest = loaded_plan(plan_bytes)
        magic = self.magic(case.seed)
        what = str(workdir() / ("fuzz" + case.seed[-5:]))

        def load_and_verify() -> None:
            keys = keys_from_bytes(data, magic, plan, digest, what)
            if case.seed.endswith(".zkvk"):
                verify(plan, digest, proof, "proof", keys)

        return classify(load_and_verify, (what, "proof"), self.timeout)[0]


# -- inputs ------------------------------------------------------------------------------------


class Inputs(Target):
    """Mutated JSON and .npz inputs of every example: loaded, then executed (`zkcc run`)."""

    name, suffix, timeout = "inputs", ".json", 20.0

    def make_seeds(self) -> dict[str, bytes]:
        seeds = {f"{n}.json": (EXAMPLES / n / "inputs.json").read_bytes() for n in SOURCE_EXAMPLES}
        for n in NPZ_EXAMPLES:
            seeds[f"{n}.npz"] = m.write_npz(m.npz_entries(self._arrays(n)), 8)  # ZIP_DEFLATED
        return seeds

    @staticmethod
    def _arrays(name: str) -> dict[str, np.ndarray]:
        return {k: np.array(v, dtype=np.int64) for k, v in example_inputs(name).items()}

    def structured_ops(self, seed: str) -> st.SearchStrategy[m.Op]:
        return m.npz_ops() if seed.endswith(".npz") else m.json_ops()

    def parse(self, seed: str) -> Any:
        """(kind, value, touched): the seed's .npz entries or JSON document; untouched, the
        seed's own bytes are used (np.savez and json.dumps write them differently)."""
        if seed.endswith(".npz"):
            return ("npz", (m.npz_entries(self._arrays(seed[:-4])), 8), False)
        return ("json", self._docs[seed], False)

    def apply_structured(self, state: Any, op: m.Op) -> Any:
        kind, value, _ = state
        if kind == "npz" and op[0] == "npz":
            entries, method = value
            return (kind, (entries, m.apply_npz_op(entries, method, op)), True)
        if kind == "json" and op[0] == "json":
            return (kind, m.apply_json_op(value, op), True)
        return state

    def unparse(self, seed: str, state: Any) -> bytes:
        kind, value, touched = state
        if not touched:
            return self.seeds[seed]
        if kind == "npz":
            return m.write_npz(*value)
        return m.dump_json(value).encode("utf-8", "surrogatepass")

    @functools.cached_property
    def _docs(self) -> Mapping[str, Any]:
        return {n: json.loads(d) for n, d in self.seeds.items() if n.endswith(".json")}

    def run(self, case: m.Case, data: bytes) -> str:
        from zkcc.field import get_field
        from zkcc.runtime.execute import execute
        from zkcc.runtime.inputs import load_inputs

        example, suffix = os.path.splitext(case.seed)
        plan, _ = loaded_plan(example_plan(example))
        F = get_field(plan.field)
        path = workdir() / f"fuzz{suffix}"
        path.write_bytes(data)

        def load_and_run() -> None:
            execute(plan.program, F, load_inputs(path, plan.program, F))

        return classify(load_and_run, (str(path),), self.timeout)[0]


TARGETS: dict[str, Callable[..., Target]] = {
    t.name: t for t in (Sources, Plans, Proofs, Keys, Inputs)
}
