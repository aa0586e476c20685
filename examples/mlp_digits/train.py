"""Train a 64 -> 32 -> 10 ReLU MLP on scikit-learn's bundled 8x8 digits, quantise it to
integers, and write `inputs.json` (the quantised weights and a batch of 256 test images).

Run from anywhere (needs the optional extra: `pip install -e '.[examples]'`):

    python examples/mlp_digits/train.py

Deterministic: fixed split and seeds, and the data ships with scikit-learn (no download).
Prints the float model's accuracy, the quantised model's accuracy and its agreement with the
float model's predictions, on the whole test split and on the proved batch.

Quantisation (the rules `reference.py` and `mlp_digits.zkcu` implement):

* inputs: the raw pixel values 0..16 (the float model sees them divided by 16);
* W1: `round(W1f * s1)` with `s1 = 127 / max|W1f|` (i8, no clipping needed), and
  `b1 = round(b1f * 16 * s1)` at the accumulator's scale, so `acc1 = W1 x + b1` is
  `16 * s1` times the float pre-activation;
* hidden: `h = clamp(floor((acc1 + 2^(S-1)) / 2^S), 0, 127)`: a rescale by 2^S rounding half
  up, then ReLU and a clip to i8; S is the smallest shift with which no training image's
  hidden value clips, so the hidden scale is `16 * s1 / 2^S`;
* W2: `round(W2f * s2)` with `s2 = 127 / max|W2f|` (i8), `b2 = round(b2f * s2 * 16 * s1 / 2^S)`;
* prediction: the index of the largest `W2 h + b2` (the first of equal ones).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference  # noqa: E402

BATCH = 256
HIDDEN = 32
SEED = 0


def quantise(clf: MLPClassifier, x_train: np.ndarray) -> tuple[dict, int]:
    w1f, w2f = clf.coefs_[0].T, clf.coefs_[1].T  # [32][64], [10][32]
    b1f, b2f = clf.intercepts_
    s1 = 127 / np.abs(w1f).max()
    w1 = np.round(w1f * s1).astype(np.int64)
    b1 = np.round(b1f * 16 * s1).astype(np.int64)
    acc = x_train @ w1.T + b1
    top = max(int(acc.max()), 1)
    shift = 1
    while (top + (1 << (shift - 1))) >> shift > reference.HMAX:
        shift += 1
    s2 = 127 / np.abs(w2f).max()
    w2 = np.round(w2f * s2).astype(np.int64)
    b2 = np.round(b2f * s2 * 16 * s1 / (1 << shift)).astype(np.int64)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, shift


def main() -> None:
    digits = load_digits()
    x, y = digits.data.astype(np.int64), digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SEED, stratify=y
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="relu", max_iter=1000, random_state=SEED
    )
    clf.fit(x_train / 16, y_train)
    model, shift = quantise(clf, x_train)
    src = HERE / "mlp_digits.zkcu"

    def figures(xs: np.ndarray, ys: np.ndarray, what: str) -> None:
        float_pred = clf.predict(xs / 16)
        q_pred = reference.predict(xs, model["w1"], model["b1"], model["w2"], model["b2"], shift)
        print(
            f"{what} ({len(xs)} images): float accuracy {np.mean(float_pred == ys):.2%}, "
            f"quantised accuracy {np.mean(q_pred == ys):.2%}, "
            f"agreement {np.mean(q_pred == float_pred):.2%} "
            f"({int(np.sum(q_pred != float_pred))} differ)"
        )

    figures(x_test, y_test, "test split")
    figures(x_test[:BATCH], y_test[:BATCH], "proved batch")
    print(
        f"shift S = {shift}; max |b1| = {np.abs(model['b1']).max()}, "
        f"max |b2| = {np.abs(model['b2']).max()}"
    )

    # The circuit's ranges hold for any image with pixels 0..16 (train.py's promise to it).
    acc_bits = int(re.search(r"const int ACC = (\d+);", src.read_text()).group(1))
    worst1 = 64 * 16 * 127 + int(np.abs(model["b1"]).max()) + (1 << (shift - 1))
    assert worst1 <= 1 << (acc_bits - 1), "W1 x + b1 may not fit ACC bits: raise ACC"
    assert HIDDEN * 127 * 127 + int(np.abs(model["b2"]).max()) < 1 << 20, "logits may not fit i21"

    inputs = {"x": x_test[:BATCH].tolist()} | {k: v.tolist() for k, v in model.items()}
    (HERE / "inputs.json").write_text(json.dumps(inputs, separators=(",", ":")) + "\n")
    (HERE / "labels.json").write_text(json.dumps(y_test[:BATCH].tolist()) + "\n")
    text = re.sub(r"const int SHIFT = \d+;", f"const int SHIFT = {shift};", src.read_text())
    src.write_text(text)


if __name__ == "__main__":
    main()
