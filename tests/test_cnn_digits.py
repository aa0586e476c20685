"""examples/cnn_digits: the circuit's predictions and pooled activations are the numpy int
model's (reference.py), bit for bit, on the committed batch, on crafted rescale/ReLU edges up to
the widest accumulators the circuit takes, and on argmax ties; weights, accumulators or logits
outside the ranges the circuit relies on stop the witness. No scikit-learn needed."""

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

FOLDER = EXAMPLES / "cnn_digits"
SOURCE = FOLDER / "cnn_digits.zkcu"
SHIFT = int(re.search(r"const int SHIFT = (\d+);", SOURCE.read_text()).group(1))
ACC = int(re.search(r"const int ACC = (\d+);", SOURCE.read_text()).group(1))
HALF = 1 << (SHIFT - 1)
TOP = 1 << (ACC - 1)  # the circuit takes -TOP <= acc + HALF < TOP
ONE_PIXEL = [[[1, 0, 0], [0, 0, 0], [0, 0, 0]]] * 4  # each filter passes x[i][j]: acc = x + bc


reference = example_module(FOLDER, "reference")


@pytest.fixture(scope="module")
def program():
    return compile_path(SOURCE).program


def committed() -> dict:
    return json.loads((FOLDER / "inputs.json").read_text())


run = run_signed


def arrays(inputs: dict) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.int64) for k, v in inputs.items()}


def test_predictions_match_the_int_model_bit_for_bit(program, tmp_path):
    inputs = committed()
    tensors = run(program, inputs, tmp_path)
    a = arrays(inputs)
    assert len(tensors["pred"]) == 256
    assert tensors["pred"].tolist() == reference.from_inputs(inputs, SHIFT).tolist()
    want_p = reference.pooled(a["x"], a["wc"], a["bc"], SHIFT)
    assert tensors["p"].tolist() == want_p.reshape(-1).tolist()
    labels = json.loads((FOLDER / "labels.json").read_text())
    assert np.mean(tensors["pred"] == np.array(labels)) >= 0.96  # README: 96.48% on this batch


def test_conv_rescale_rounds_half_up_then_relu(program, tmp_path):
    """Each filter is 1 at [0][0] (acc = x[i][j] + bc[f]) and each image is zero but at the
    top-left cell of every 2x2 pooling window, so each pooled value is one activation (plus
    three of the bias alone). The images (public, not range-checked by the circuit) put those
    cells at the rounding edges k * 2^S +- 2^(S-1) around 0 (ReLU), 1023 (the largest
    activation train.py allows) and 2047 (the largest the bits hold), and at the widest
    accumulators the circuit takes: acc + 2^(S-1) = 2^(ACC-1) - 1 for filter 2 and -2^(ACC-1)
    for filter 3, far beyond any i10 filter on pixels 0..16 (9 * 16 * 511 = 73,584). The dense
    weights are the committed ones' signs, so that the logits stay within i24."""
    ks = [*range(-3, 40), *range(1000, 1040), *range(2000, 2046)]
    edges = [k * 2 * HALF + d * HALF + e for k in ks for d in (-1, 1) for e in (-1, 0)]
    edges += [TOP - 2 * HALF - 1, -TOP]  # with bc[2] = HALF, bc[3] = -HALF: the two ends
    vals = np.resize(np.array(edges), 256 * 9).reshape(256, 3, 3)
    x = np.zeros((256, 8, 8), dtype=np.int64)
    x[:, 0:6:2, 0:6:2] = vals
    inputs = committed()
    inputs["x"] = x.tolist()
    inputs["wc"] = ONE_PIXEL
    inputs["bc"] = [0, HALF - 1, HALF, -HALF]  # bias alone: h = 0, 0, 1, 0; shifts the edges
    inputs["wd"] = np.sign(inputs["wd"]).tolist()
    tensors = run(program, inputs, tmp_path)
    a = arrays(inputs)
    acc = reference.conv_acc(a["x"], a["wc"], a["bc"])
    assert (acc + HALF).max() == TOP - 1 and (acc + HALF).min() == -TOP
    h = reference.hidden(a["x"], a["wc"], a["bc"], SHIFT)
    assert {0, 1, 1022, 1023, 1024, (TOP >> SHIFT) - 1} <= set(h.reshape(-1).tolist())
    assert (
        tensors["p"].tolist()
        == reference.pooled(a["x"], a["wc"], a["bc"], SHIFT).reshape(-1).tolist()
    )
    assert tensors["pred"].tolist() == reference.from_inputs(inputs, SHIFT).tolist()


def test_argmax_tree_takes_the_first_of_equal_logits(program, tmp_path):
    """Filter 0 passes pixel (2i, 2j) to pooled value p[0][i][j] (x = v * 2^S gives h = v);
    wd sends those nine to logits 0..8 and logit 9 is the bias 2: 256 patterns of small values,
    most with ties, one-hot ones, and near-maxima at 1022/1023."""
    rng = np.random.default_rng(0)
    patterns = rng.integers(0, 4, size=(256, 10))
    patterns[:10] = np.eye(10, dtype=np.int64) * 5
    patterns[10:19] = 1023 - np.eye(10, dtype=np.int64)[:9]
    patterns[:, 9] = 2  # the bias: image 9 (all zero but it) is the one-hot at class 9
    x = np.zeros((256, 8, 8), dtype=np.int64)
    x[:, 0:6:2, 0:6:2] = (patterns[:, :9] << SHIFT).reshape(256, 3, 3)
    inputs = committed()
    inputs["x"] = x.tolist()
    inputs["wc"] = [[[1, 0, 0], [0, 0, 0], [0, 0, 0]]] + [[[0] * 3] * 3] * 3
    inputs["bc"] = [0] * 4
    inputs["wd"] = [[int(i == c) for i in range(36)] for c in range(10)]
    inputs["bd"] = [0] * 9 + [2]
    got = run(program, inputs, tmp_path)["pred"]
    assert got.tolist() == np.argmax(patterns, axis=1).tolist()
    assert got.tolist() == reference.from_inputs(inputs, SHIFT).tolist()


def test_a_weight_outside_i10_is_refused_on_load_and_by_the_circuit(program, tmp_path):
    inputs = committed()
    inputs["wc"][2][1][0] = -513
    with pytest.raises(UserError, match=r"wc\[2\]\[1\]\[0\]: value -513 does not fit i10"):
        run(program, inputs, tmp_path)
    F = get_field(program.field)  # past the loader: fit_filter range-checks it in the proof
    raw = {k: F.array(np.array(v, dtype=np.int64).reshape(-1) % F.p) for k, v in inputs.items()}
    with pytest.raises(WitnessError, match="does not fit i10"):
        execute(program, F, raw)


@pytest.mark.parametrize("bias", [TOP - HALF, -TOP - HALF - 1])
def test_an_accumulator_just_outside_its_bits_stops_the_witness(program, tmp_path, bias):
    """One past each end of the edge test's accumulators: acc + 2^(S-1) = 2^(ACC-1) or
    -2^(ACC-1) - 1 (blank images, so acc is the bias)."""
    inputs = committed()
    inputs["x"] = np.zeros((256, 8, 8), dtype=np.int64).tolist()
    inputs["wc"] = ONE_PIXEL
    inputs["bc"] = [0, 0, bias, 0]
    with pytest.raises(WitnessError, match=f"value {bias + HALF} does not fit i{ACC}"):
        run(program, inputs, tmp_path)


def test_logits_are_range_checked_as_i24(program, tmp_path):
    """Blank images and zero dense weights make each logit its bias: -2^23 and 2^23 - 1 pass,
    2^23 stops the witness."""
    inputs = committed()
    inputs["x"] = np.zeros((256, 8, 8), dtype=np.int64).tolist()
    inputs["wd"] = [[0] * 36] * 10
    inputs["bd"] = [-(1 << 23), 0, 0, (1 << 23) - 1, 0, 0, 0, 0, 0, 0]
    assert run(program, inputs, tmp_path)["pred"].tolist() == [3] * 256
    inputs["bd"][5] = 1 << 23
    with pytest.raises(WitnessError, match="value 8388608 does not fit i24"):
        run(program, inputs, tmp_path)
