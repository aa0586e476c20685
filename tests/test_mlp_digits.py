"""examples/mlp_digits: the circuit's predictions are the numpy int model's (reference.py), bit
for bit, on the committed batch and on crafted ties; weights or accumulators outside the
ranges the circuit relies on stop the witness. No scikit-learn needed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from helpers import EXAMPLES, example_module, run_signed

from zkcc.driver import compile_path
from zkcc.errors import UserError, WitnessError
from zkcc.field import get_field
from zkcc.runtime.execute import execute

FOLDER = EXAMPLES / "mlp_digits"
SOURCE = FOLDER / "mlp_digits.zkcu"
SHIFT = int(re.search(r"const int SHIFT = (\d+);", SOURCE.read_text()).group(1))


reference = example_module(FOLDER, "reference")


@pytest.fixture(scope="module")
def program():
    return compile_path(SOURCE).program


def committed() -> dict:
    return json.loads((FOLDER / "inputs.json").read_text())


run = run_signed


def test_predictions_match_the_int_model_bit_for_bit(program, tmp_path):
    inputs = committed()
    got = run(program, inputs, tmp_path)["pred"]
    assert len(got) == 256
    assert got.tolist() == reference.from_inputs(inputs, SHIFT).tolist()
    labels = json.loads((FOLDER / "labels.json").read_text())
    assert np.mean(got == np.array(labels)) >= 0.95  # README: 96.88% on this batch


def test_hidden_rescale_rounds_half_up_then_relu_then_clips(program, tmp_path):
    """W1 = 1 on pixel 0: unit j of image n sees acc = x[n][0] + b1[j], with the biases at
    the edges of the rounding (+-2^(S-1)) and the images' pixel 0 (public, not range-checked by
    the circuit) spread over the range that reaches the clip."""
    half = 1 << (SHIFT - 1)
    inputs = committed()
    inputs["w1"] = [[1] + [0] * 63 for _ in range(32)]
    inputs["b1"] = [d * half + e for d in (-2, -1, 0, 1) for e in (-1, 0, 1, 2)] + [
        127 * 2 * half + e for e in range(-half - 2, half + 14, 1 + half // 8)
    ][:16]
    inputs["x"] = [[n * 128 - 200] + row[1:] for n, row in enumerate(inputs["x"])]
    tensors = run(program, inputs, tmp_path)
    a = {k: np.array(v) for k, v in inputs.items()}
    want = reference.hidden(a["x"], a["w1"], a["b1"], SHIFT)
    assert {0, 1, 126, 127} <= set(want.reshape(-1).tolist())
    assert tensors["h"].tolist() == want.reshape(-1).tolist()
    assert tensors["pred"].tolist() == reference.from_inputs(inputs, SHIFT).tolist()


def test_argmax_tree_takes_the_first_of_equal_logits(program, tmp_path):
    """Each image sets the first ten hidden values (x[n][j] = h * 2^S with W1 = 1 on the
    diagonal) and W2 = I passes them to the logits: 256 patterns of small values, most with
    ties, and one-hot ones at every position."""
    rng = np.random.default_rng(0)
    patterns = rng.integers(0, 4, size=(256, 10))
    patterns[:10] = np.eye(10, dtype=np.int64) * 5
    patterns[10:20] = 127 - np.eye(10, dtype=np.int64)
    inputs = committed()
    inputs["w1"] = [[int(i == j) for i in range(64)] for j in range(32)]
    inputs["b1"] = [0] * 32
    inputs["x"] = [[int(v) << SHIFT for v in row] + [0] * 54 for row in patterns]
    inputs["w2"] = [[int(i == c) for i in range(32)] for c in range(10)]
    inputs["b2"] = [0] * 10
    got = run(program, inputs, tmp_path)["pred"]
    assert got.tolist() == np.argmax(patterns, axis=1).tolist()
    assert got.tolist() == reference.from_inputs(inputs, SHIFT).tolist()


def test_a_weight_outside_i8_is_refused_on_load_and_by_the_circuit(program, tmp_path):
    inputs = committed()
    inputs["w2"][3][5] = 128
    with pytest.raises(UserError, match=r"w2\[3\]\[5\]: value 128 does not fit i8"):
        run(program, inputs, tmp_path)["pred"]
    F = get_field(program.field)  # past the loader: fit_i8 range-checks it in the proof
    raw = {k: F.array(np.array(v, dtype=np.int64).reshape(-1) % F.p) for k, v in inputs.items()}
    with pytest.raises(WitnessError, match="does not fit i8"):
        execute(program, F, raw)


def test_an_accumulator_outside_its_bits_stops_the_witness(program, tmp_path):
    inputs = committed()
    inputs["b1"][0] = 1 << 18  # W1 x + b1 + 2^(S-1) + 2^18 no longer fits 19 bits
    with pytest.raises(WitnessError):
        run(program, inputs, tmp_path)["pred"]
