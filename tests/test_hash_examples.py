"""examples/poseidon2_batch and examples/merkle: the committed inputs and expected outputs
against the plain-Python Poseidon2 of examples/poseidon2_batch/reference.py, and each circuit
(at a small instance count) against the same reference through the IR interpreter. Proving the
full examples is slow: they are in SLOW_EXAMPLES."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import pytest
from ir_reference import ConstraintFailed, run_program

from zkcc.frontend import FIELDS, compile_source

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BATCH_DIR = EXAMPLES / "poseidon2_batch"
MERKLE_DIR = EXAMPLES / "merkle"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load(BATCH_DIR / "reference.py")
gen = _load(BATCH_DIR / "gen_inputs.py")
tree = _load(MERKLE_DIR / "build_tree.py")


@functools.cache
def _program(folder: Path, replace: tuple[tuple[str, str], ...]):
    """The example's circuit with its size constants replaced, compiled once per test run."""
    src = (folder / f"{folder.name}.zkcu").read_text()
    for old, new in replace:
        assert old in src, old
        src = src.replace(old, new)
    return compile_source(src, str(folder / f"{folder.name}.zkcu"))


def _run(folder: Path, replace: dict[str, str], inputs: dict) -> dict[str, list[int]]:
    """Run the example's circuit, with its size constants replaced, in the IR interpreter."""
    prog = _program(folder, tuple(replace.items()))
    return run_program(prog, FIELDS[prog.field], inputs)


def test_reference_matches_plonky3():
    reference.self_test()
    bad = list(reference.VECTOR_IN)
    bad[3] += 1
    assert reference.permute(bad) != reference.VECTOR_OUT


def test_poseidon2_batch_committed_files():
    data = json.loads((BATCH_DIR / "inputs.json").read_text())
    digests = json.loads((BATCH_DIR / "digests.json").read_text())
    assert data == gen.inputs()  # inputs.json is the generator's output
    assert len(digests) == gen.BATCH == 4096
    # every 16th expected digest against the reference (all 4,096 take a few seconds)
    for k in range(0, gen.BATCH, 16):
        assert digests[k] == reference.compress(data["left"][k], data["right"][k]), k


def test_poseidon2_batch_circuit_matches_the_reference():
    data = json.loads((BATCH_DIR / "inputs.json").read_text())
    digests = json.loads((BATCH_DIR / "digests.json").read_text())
    n = 2
    ins = {"left": data["left"][:n], "right": data["right"][:n]}
    out = _run(BATCH_DIR, {"BATCH = 4096": f"BATCH = {n}"}, ins)
    assert out["digests"] == [x for d in digests[:n] for x in d]


def test_merkle_committed_files():
    data = json.loads((MERKLE_DIR / "inputs.json").read_text())
    members = json.loads((MERKLE_DIR / "members.json").read_text())
    idx = members["indices"]
    assert idx == tree.chosen() and len(set(idx)) == tree.N == 16
    assert data["root"] == members["root"]
    all_leaves = tree.leaves()
    assert len(all_leaves) == 1 << tree.DEPTH
    for j, i in enumerate(idx):
        assert data["leaves"][j] == all_leaves[i]
        assert data["dirs"][j] == [(i >> lv) & 1 for lv in range(tree.DEPTH)]
        assert len(data["siblings"][j]) == tree.DEPTH
        assert tree.root_of(data["leaves"][j], data["siblings"][j], data["dirs"][j]) == data["root"]
    for j, i in enumerate(idx):  # the level-0 siblings are the leaves' neighbours in the tree
        assert data["siblings"][j][0] == all_leaves[i ^ 1]


def test_merkle_tree_functions_on_a_small_tree():
    leaves = tree.leaves(seed=7, depth=3)
    levels = tree.levels(leaves)
    assert [len(lv) for lv in levels] == [8, 4, 2, 1]
    assert levels[1][2] == reference.compress(leaves[4], leaves[5])
    for i in range(8):
        sib, dirs = tree.path(levels, i)
        assert tree.root_of(leaves[i], sib, dirs) == levels[-1][0]


def _merkle_inputs(n: int) -> dict:
    data = json.loads((MERKLE_DIR / "inputs.json").read_text())
    return {k: (v if k == "root" else v[:n]) for k, v in data.items()}


def test_merkle_circuit_accepts_a_path_and_rejects_wrong_ones():
    """One instance (the interpreter takes about a second per instance): the committed path
    reaches the root; a flipped direction, a changed sibling or a wrong root stop it."""
    one = {"N = 16": "N = 1"}
    _run(MERKLE_DIR, one, _merkle_inputs(1))  # raises on a failed assert
    for what in ("dirs", "siblings", "root"):
        ins = _merkle_inputs(1)
        if what == "dirs":
            ins["dirs"][0][5] ^= 1
        elif what == "siblings":
            ins["siblings"][0][9][3] += 1
        else:
            ins["root"] = [ins["root"][0] + 1] + ins["root"][1:]
        with pytest.raises(ConstraintFailed):
            _run(MERKLE_DIR, one, ins)
