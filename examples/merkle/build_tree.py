"""Build the example's 2^16-leaf Poseidon2 Merkle tree and write inputs.json.

    python examples/merkle/build_tree.py

Leaf k is 8 M31 elements drawn from random.Random(SEED) in order (`leaves`); the node hash is
the Poseidon2 M31 compression of examples/poseidon2_batch/reference.py, left child first. The
proved leaves are N distinct indices drawn from random.Random(SEED + 1) (`chosen`). Writes
inputs.json: `leaves` (the chosen leaves), `siblings` (per leaf, the D siblings from the leaf
level up), `dirs` (per leaf, bit i of its index: 1 when the level-i node is a right child) and
`root`; and members.json: the chosen indices and the root, for the test. Building the tree
takes 2^16 - 1 plain-Python hashes (about half a minute).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "poseidon2_batch"))
import reference  # noqa: E402

DEPTH = 16
N = 16
SEED = 3


def leaves(seed: int = SEED, depth: int = DEPTH) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(reference.P) for _ in range(8)] for _ in range(1 << depth)]


def chosen(seed: int = SEED, depth: int = DEPTH, n: int = N) -> list[int]:
    return random.Random(seed + 1).sample(range(1 << depth), n)


def levels(leaf_list: list[list[int]]) -> list[list[list[int]]]:
    """Every level of the tree, leaves first, the root's level ([root]) last."""
    out = [leaf_list]
    while len(out[-1]) > 1:
        lv = out[-1]
        out.append([reference.compress(lv[i], lv[i + 1]) for i in range(0, len(lv), 2)])
    return out


def path(tree: list[list[list[int]]], index: int) -> tuple[list[list[int]], list[int]]:
    """The siblings from the leaf level up and the direction bits of leaf `index`."""
    siblings, dirs = [], []
    for lv in tree[:-1]:
        siblings.append(lv[index ^ 1])
        dirs.append(index & 1)
        index >>= 1
    return siblings, dirs


def root_of(leaf: list[int], siblings: list[list[int]], dirs: list[int]) -> list[int]:
    """The root a path leads to (what merkle_root_m31 computes)."""
    node = leaf
    for sib, d in zip(siblings, dirs, strict=True):
        node = reference.compress(sib, node) if d else reference.compress(node, sib)
    return node


def main() -> None:
    reference.self_test()
    tree = levels(leaves())
    root = tree[-1][0]
    idx = chosen()
    paths = [path(tree, i) for i in idx]
    data = {
        "leaves": [tree[0][i] for i in idx],
        "siblings": [s for s, _ in paths],
        "dirs": [d for _, d in paths],
        "root": root,
    }
    (HERE / "inputs.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")
    (HERE / "members.json").write_text(json.dumps({"indices": idx, "root": root}) + "\n")
    print(f"root {root}\nleaves {idx}")


if __name__ == "__main__":
    main()
