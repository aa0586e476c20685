"""Privacy of proofs: no private value of any example occurs in its proof bytes, in the
encoding proofs use (docs/zk.md), and proofs of different private witnesses look alike.

Proofs hold field elements as fixed-width little-endian arrays in the byte strings of the
proof tree (docs/proof.md), extension elements as their base components in order; the search
looks at every element position of every byte string. A single small field element occurs in
any proof by chance (counts, zero components), so the needles are distinctive: for m31 every
pair of consecutive private values with one of them >= 2^8, and a one-element tensor's value
when >= 2^16; for bn254 every private value >= 2^16. Pairs that public values also contain are
left out (a private intermediate may repeat public data). The same search finds the private
data in a proof made with the revealing merkle PCS, so it can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import EXAMPLE_PARAMS, EXAMPLES, prove_example
from zkcc.encoding import decode
from zkcc.field import get_field
from zkcc.ir.host import TensorKind
from zkcc.runtime.bundle import MAGIC, VERSION
from zkcc.runtime.execute import execute
from zkcc.runtime.inputs import load_inputs

M31_PAIR = 1 << 8
M31_SINGLE = 1 << 16
BN254_DISTINCT = 1 << 16


def run_values(plan, name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(private, public) values of the example's run as flat arrays of canonical field
    elements: private tensors (inputs, intermediates) and every launch's hint values; public
    inputs and outputs."""
    F = get_field(plan.field)
    program = plan.program
    inputs = load_inputs(EXAMPLES / name / "inputs.json", program, F)
    run = execute(program, F, inputs)
    kinds = (TensorKind.PUBLIC_IN, TensorKind.PUBLIC_OUT)
    public = {t.name for t in program.host.tensors if t.kind in kinds}
    private = [np.asarray(v).reshape(-1) for n, v in run.tensors.items() if n not in public]
    private += [np.asarray(h).reshape(-1) for h in run.hints if np.asarray(h).size]
    return private, [np.asarray(run.tensors[n]).reshape(-1) for n in sorted(public)]


def private_needles(plan, name: str) -> dict[int, set[bytes]]:
    """The needles of the private values, less those the public values also contain (a
    private intermediate may repeat a public input)."""
    F = get_field(plan.field)
    private, public = run_values(plan, name)
    mine, theirs = needles(F, private), needles(F, public)
    return {w: mine[w] - theirs[w] for w in mine}


def needles(F, values: list[np.ndarray]) -> dict[int, set[bytes]]:
    """Needles by width."""
    found: dict[int, set[bytes]] = {4: set(), 8: set(), 32: set()}
    for v in values:
        if F.name == "m31" and v.size == 1 and int(v[0]) >= M31_SINGLE:
            found[4].add(int(v[0]).to_bytes(4, "little"))
        elif F.name == "m31":
            a = v.astype(np.uint64)
            keep = np.maximum(a[:-1], a[1:]) >= M31_PAIR
            pairs = np.stack([a[:-1][keep], a[1:][keep]], axis=1).astype("<u4")
            found[8].update(row.tobytes() for row in pairs)
        else:
            found[32].update(int(x).to_bytes(32, "little") for x in v if int(x) >= BN254_DISTINCT)
    return found


def _byte_strings(tree):
    if isinstance(tree, bytes):
        yield tree
    elif isinstance(tree, dict):
        for v in tree.values():
            yield from _byte_strings(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from _byte_strings(v)


def occurrences(proof: bytes, wanted: dict[int, set[bytes]]) -> int:
    """How many needles occur at an element position (a multiple of the element width of
    the field: 4 bytes for m31, 32 for bn254) of a byte string of the proof tree."""
    step = 4 if wanted[32] == set() else 32
    seen: set[bytes] = set()
    for raw in _byte_strings(decode(proof, MAGIC, VERSION, "proof")[1]):
        for width, group in wanted.items():
            if group:
                mv = memoryview(raw)
                stop = len(raw) - width + 1
                seen.update(bytes(mv[i : i + width]) for i in range(0, stop, step))
    return sum(len(seen & group) for group in wanted.values())


@pytest.mark.parametrize("name", EXAMPLE_PARAMS)
def test_no_private_value_occurs_in_the_proof(name):
    proved = prove_example(name)
    wanted = private_needles(proved.plan, name)
    if not any(wanted.values()):  # fusion took every private tensor out (polyeval's powers)
        proved = prove_example(name, fuse=False)
        wanted = private_needles(proved.plan, name)
    assert proved.plan.zk
    assert any(wanted.values()), "the example has distinctive private values to search for"
    assert occurrences(proved.proof, wanted) == 0


def test_the_search_finds_what_a_revealing_proof_shows():
    """The negative control: the merkle PCS sends the committed tensors."""
    proved = prove_example("dot", pcs="merkle")
    wanted = private_needles(proved.plan, "dot")
    assert occurrences(proved.proof, wanted) == sum(len(g) for g in wanted.values()) > 0


def _structure(tree, key: str = ""):
    """The shape of a decoded proof tree: kinds, keys, list lengths and byte lengths, except
    the length of a Merkle multi-opening ("path"), which is the number of siblings the
    public query indices need (a function of the transcript, recomputed by the verifier)."""
    if isinstance(tree, dict):
        return {k: _structure(v, k) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_structure(v) for v in tree]
    if isinstance(tree, bytes):
        return ("bytes", None if key == "path" else len(tree))
    return type(tree).__name__


def test_proofs_of_different_private_witnesses_have_the_same_structure(tmp_path, monkeypatch):
    """dot with two private weight vectors: identical tree structure and byte lengths."""
    import json

    import tests.helpers as helpers

    src = json.loads((EXAMPLES / "dot" / "inputs.json").read_text())
    proofs = []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        data = dict(src, w=[int(x) for x in rng.integers(-1000, 1000, len(src["w"]))])
        folder = tmp_path / str(seed) / "dot"
        folder.mkdir(parents=True)
        (folder / "dot.zkcu").write_text((EXAMPLES / "dot" / "dot.zkcu").read_text())
        (folder / "inputs.json").write_text(json.dumps(data))
        monkeypatch.setattr(helpers, "EXAMPLES", folder.parent)
        proofs.append(helpers.prove_example("dot").proof)
    assert proofs[0] != proofs[1]
    trees = [decode(p, MAGIC, VERSION, "proof")[1] for p in proofs]
    assert _structure(trees[0]) == _structure(trees[1])
