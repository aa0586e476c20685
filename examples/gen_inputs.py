"""Write examples/<name>/inputs.json for every example, deterministically (fixed seeds).

Run from anywhere: `python examples/gen_inputs.py`. Values are small non-negative ints except
where an example wants field-sized or negative values; every input of every example's `main`
appears, as nested lists matching its declared shape. Not mlp_digits or cnn_digits (their
inputs are trained models' weights, written by each one's own train.py), poseidon2_batch
(gen_inputs.py in its folder) or merkle (build_tree.py in its folder).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
M31 = (1 << 31) - 1
BN254 = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def matrix(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def dot(rng: random.Random) -> dict:
    return {"xs": matrix(rng, 1024, 8, -1000, 1000), "w": [rng.randint(0, 1000) for _ in range(8)]}


def matmul(rng: random.Random) -> dict:
    return {"A": matrix(rng, 64, 16, 0, 1 << 16), "B": matrix(rng, 16, 16, -(1 << 8), 1 << 8)}


def mimc(rng: random.Random) -> dict:
    return {"msgs": matrix(rng, 4096, 1, 0, M31 - 1), "key": [rng.randint(0, M31 - 1)]}


def pipeline(rng: random.Random) -> dict:
    xs = matrix(rng, 256, 8, 0, 255)
    for r in (0, 1, 40, 41):  # rows 2g and 2g+1 form group g: groups 0 and 20 sum to zero
        xs[r] = [0] * 8
    return {"xs": xs, "scale": [16]}


def poseidon_bn254(rng: random.Random) -> dict:
    return {"pairs": [[str(rng.randrange(BN254)), str(rng.randrange(BN254))] for _ in range(64)]}


def poseidon_bn254_groth16(rng: random.Random) -> dict:
    return {"pairs": [[str(rng.randrange(BN254)), str(rng.randrange(BN254))] for _ in range(8)]}


def mixed_bn254(rng: random.Random) -> dict:
    return {
        "pairs": [[str(rng.randrange(BN254)), str(rng.randrange(BN254))] for _ in range(4)],
        "key": [str(rng.randrange(BN254)), str(rng.randrange(BN254))],
    }


def polyeval(rng: random.Random) -> dict:
    return {
        "xs": matrix(rng, 4096, 1, 0, M31 - 1),
        "coeffs": [rng.randint(0, 1000) for _ in range(64)],
    }


def layers(rng: random.Random) -> dict:
    return {
        "x": matrix(rng, 64, 8, 0, 255),
        "w": [matrix(rng, 8, 8, -8, 8) for _ in range(4)],
        "b": matrix(rng, 4, 8, -100, 100),
    }


def activations(rng: random.Random) -> dict:
    return {
        "g": matrix(rng, 64, 8, -128, 127),
        "c": matrix(rng, 64, 8, -128, 127),
        "mask": matrix(rng, 64, 8, 0, 1),
    }


EXAMPLES = (
    dot,
    matmul,
    mimc,
    pipeline,
    poseidon_bn254,
    poseidon_bn254_groth16,
    mixed_bn254,
    polyeval,
    layers,
    activations,
)


def main() -> None:
    for seed, fn in enumerate(EXAMPLES):
        data = fn(random.Random(1000 + seed))
        out = HERE / fn.__name__ / "inputs.json"
        out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"{out.relative_to(HERE.parent)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
