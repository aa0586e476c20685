"""Train a small convolutional network on scikit-learn's bundled 8x8 digits with numpy,
quantise it to integers, and write `inputs.json` (the quantised weights and a batch of 256
test images).

Run from anywhere (needs the optional extra, for the data: `pip install -e '.[examples]'`):

    python examples/cnn_digits/train.py

The network: F = 4 filters of 3x3 (valid padding, 8x8 -> 6x6, with a bias each), ReLU, 2x2
average pooling (6x6 -> 3x3), a dense layer from the 36 pooled values to 10 classes, argmax.
Trained with plain numpy (full-batch Adam on the softmax cross-entropy, 600 steps, weights
initialised from `default_rng(0)`); deterministic: fixed split and seeds, and the data ships
with scikit-learn (no download). Prints the float model's accuracy, the quantised model's
accuracy and its agreement with the float model's predictions, on the whole test split and
on the proved batch.

Quantisation (the rules `reference.py` and `cnn_digits.zkcu` implement):

* inputs: the raw pixel values 0..16 (the float model sees them divided by 16);
* wc: `round(Wc * sc)` with `sc = 511 / max|Wc|` (i10, no clipping needed), and
  `bc = round(bcf * 16 * sc)` at the accumulator's scale, so `acc = wc * x + bc` is
  `16 * sc` times the float pre-activation;
* conv activations: `h = max(floor((acc + 2^(S-1)) / 2^S), 0)`: a rescale by 2^S rounding
  half up, then ReLU, no clip; S is the smallest shift with which no image with pixels 0..16
  gives an activation above 1023 (10 bits), so the activation scale is `16 * sc / 2^S`;
* pooling: `p` is the sum of each 2x2 window of h (exact, 0..4092): 4 times the average the
  float model takes, so p's scale is `4 * 16 * sc / 2^S`;
* wd: `round(Wd * sd)` with `sd = 511 / max|Wd|` (i10), `bd = round(bdf * sd * 4 * 16 * sc / 2^S)`;
* prediction: the index of the largest `wd p + bd` (the first of equal ones).

`--widths` prints, instead, how the agreement and the logits' error depend on the widths of
the weights and activations (the table in README.md), and writes nothing.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference  # noqa: E402

BATCH = 256
F = 4  # filters
SEED = 0
STEPS = 600
WBITS = 10  # the weights are i10: scaled so that the largest magnitude is 2^(WBITS-1) - 1
HBITS = 10  # no image with pixels 0..16 gives a conv activation of 2^HBITS or more


def patches(x: np.ndarray) -> np.ndarray:
    """The 3x3 windows of images x[N][8][8] (floats): [N][36][9], window (i, j) at 6 i + j."""
    return np.stack(
        [x[:, i : i + 3, j : j + 3].reshape(len(x), 9) for i in range(6) for j in range(6)], axis=1
    )


# Average pooling as a matrix: pooled[k] = sum_c POOL[k][c] relu[c] over the 36 conv cells.
POOL = np.zeros((9, 36))
for _i in range(6):
    for _j in range(6):
        POOL[(_i // 2) * 3 + _j // 2, _i * 6 + _j] = 0.25


class CNN:
    """Float model: conv 3x3 (F filters) -> ReLU -> 2x2 average pool -> dense -> softmax."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.p = {
            "wc": rng.normal(0, np.sqrt(2 / 9), (F, 9)),
            "bc": np.zeros(F),
            "wd": rng.normal(0, np.sqrt(1 / (9 * F)), (10, 9 * F)),
            "bd": np.zeros(10),
        }

    def forward(self, pt: np.ndarray) -> tuple[np.ndarray, ...]:
        z = pt @ self.p["wc"].T + self.p["bc"]  # [N][36][F]
        r = np.maximum(z, 0)
        pooled = np.einsum("kc,ncf->nfk", POOL, r).reshape(len(pt), -1)  # [f][i][j] order
        return z, pooled, pooled @ self.p["wd"].T + self.p["bd"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(patches(x.reshape(-1, 8, 8) / 16))[2], axis=1)

    def fit(self, x: np.ndarray, y: np.ndarray, steps: int, lr: float = 0.01) -> None:
        pt, onehot = patches(x.reshape(-1, 8, 8) / 16), np.eye(10)[y]
        m = {k: np.zeros_like(v) for k, v in self.p.items()}
        v = {k: np.zeros_like(w) for k, w in self.p.items()}
        for t in range(1, steps + 1):
            z, pooled, out = self.forward(pt)
            e = np.exp(out - out.max(axis=1, keepdims=True))
            d_out = (e / e.sum(axis=1, keepdims=True) - onehot) / len(x)
            d_pooled = (d_out @ self.p["wd"]).reshape(len(x), F, 9)
            d_z = np.einsum("kc,nfk->ncf", POOL, d_pooled) * (z > 0)
            grads = {
                "wd": d_out.T @ pooled + 1e-4 * self.p["wd"],
                "bd": d_out.sum(axis=0),
                "wc": np.einsum("ncf,nck->fk", d_z, pt) + 1e-4 * self.p["wc"],
                "bc": d_z.sum(axis=(0, 1)),
            }
            for k, g in grads.items():  # Adam
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                mh, vh = m[k] / (1 - 0.9**t), v[k] / (1 - 0.999**t)
                self.p[k] -= lr * mh / (np.sqrt(vh) + 1e-8)


@dataclass
class Quantised:
    """The integer model, its shift, and the factor from float logits to integer logits."""

    model: dict[str, np.ndarray]
    shift: int
    logit_scale: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        m = self.model
        return reference.logits(x, m["wc"], m["bc"], m["wd"], m["bd"], self.shift)


def largest_acc(wc: np.ndarray, bc: np.ndarray) -> np.ndarray:
    """Each filter's largest accumulator on any image with pixels 0..16: 16 times its positive
    weights, plus its bias."""
    return 16 * np.maximum(wc, 0).sum(axis=(1, 2)) + bc


def quantise(net: CNN, wbits: tuple[int, int] = (WBITS, WBITS), hbits: int = HBITS) -> Quantised:
    """`wbits`: the widths of the conv and dense weights; activations below 2^hbits."""
    wcf, bcf, wdf, bdf = (net.p[k] for k in ("wc", "bc", "wd", "bd"))
    sc = ((1 << (wbits[0] - 1)) - 1) / np.abs(wcf).max()
    wc = np.round(wcf * sc).astype(np.int64).reshape(F, 3, 3)
    bc = np.round(bcf * 16 * sc).astype(np.int64)
    # No activation, on any image with pixels 0..16, exceeds 2^hbits - 1.
    top = int(largest_acc(wc, bc).max())
    shift = 1
    while (top + (1 << (shift - 1))) >> shift >= 1 << hbits:
        shift += 1
    sd = ((1 << (wbits[1] - 1)) - 1) / np.abs(wdf).max()
    scale = sd * 4 * 16 * sc / (1 << shift)
    wd = np.round(wdf * sd).astype(np.int64)
    bd = np.round(bdf * scale).astype(np.int64)
    return Quantised({"wc": wc, "bc": bc, "wd": wd, "bd": bd}, shift, scale)


def logit_range(model: dict[str, np.ndarray], shift: int) -> tuple[int, int]:
    """Bounds on the logits of any image with pixels 0..16: each pooled value lies between 0
    and 4 times its filter's largest activation (what the circuit's logit type must hold)."""
    wc, bc, wd, bd = (model[k] for k in ("wc", "bc", "wd", "bd"))
    top = largest_acc(wc, bc)
    p_max = 4 * np.repeat(np.maximum((top + (1 << (shift - 1))) >> shift, 0), 9)
    return int((np.minimum(wd, 0) @ p_max + bd).min()), int((np.maximum(wd, 0) @ p_max + bd).max())


def logit_error(net: CNN, q: Quantised, x: np.ndarray) -> np.ndarray:
    """|quantised logits / scale - float logits| on images x: the rounding's total effect."""
    return np.abs(q.logits(x) / q.logit_scale - net.forward(patches(x.reshape(-1, 8, 8) / 16))[2])


def agreement(net: CNN, q: Quantised, x: np.ndarray) -> np.ndarray:
    return np.argmax(q.logits(x), axis=1) == net.predict(x)


def widths_table(net: CNN, x_train: np.ndarray, x_test: np.ndarray) -> None:
    """How the widths set the error: conv weights, dense weights, activations."""
    print("| wc | wd | h below | S | logit error (train): rms / max | agreement: test | batch |")
    print("|---|---|---|---|---|---|---|")
    rows = [(8, 8, 7), (8, 8, 10), (10, 8, 10), (8, 10, 10), (10, 10, 7), (10, 10, 10)]
    rows += [(12, 12, 12)]
    for c, d, h in rows:
        q = quantise(net, (c, d), h)
        err = logit_error(net, q, x_train)
        test = agreement(net, q, x_test)
        print(
            f"| i{c} | i{d} | 2^{h} | {q.shift} | {np.sqrt(np.mean(err**2)):.3f} / {err.max():.3f} "
            f"| {test.mean():.2%} | {test[:BATCH].mean():.2%} |"
        )


def main() -> None:
    digits = load_digits()
    x, y = digits.data.astype(np.int64), digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SEED, stratify=y
    )
    net = CNN(np.random.default_rng(SEED))
    net.fit(x_train, y_train, STEPS)
    if "--widths" in sys.argv[1:]:
        widths_table(net, x_train, x_test)
        return
    q = quantise(net)
    model, shift = q.model, q.shift
    src = HERE / "cnn_digits.zkcu"

    def figures(xs: np.ndarray, ys: np.ndarray, what: str) -> None:
        float_pred = net.predict(xs)
        q_pred = np.argmax(q.logits(xs), axis=1)
        print(
            f"{what} ({len(xs)} images): float accuracy {np.mean(float_pred == ys):.2%}, "
            f"quantised accuracy {np.mean(q_pred == ys):.2%}, "
            f"agreement {np.mean(q_pred == float_pred):.2%} "
            f"({int(np.sum(q_pred != float_pred))} differ)"
        )

    figures(x_train, y_train, "train split")
    figures(x_test, y_test, "test split")
    figures(x_test[:BATCH], y_test[:BATCH], "proved batch")
    err = logit_error(net, q, x_train)
    print(
        f"shift S = {shift}; max |bc| = {np.abs(model['bc']).max()}, "
        f"max |bd| = {np.abs(model['bd']).max()}; logit error on the train split: "
        f"rms {np.sqrt(np.mean(err**2)):.3f}, max {err.max():.3f}"
    )

    # The circuit's ranges hold for any image with pixels 0..16 (train.py's promise to it).
    text = src.read_text()
    acc_bits = int(re.search(r"const int ACC = (\d+);", text).group(1))
    worst = 9 * 16 * ((1 << (WBITS - 1)) - 1) + int(np.abs(model["bc"]).max()) + (1 << (shift - 1))
    assert worst < 1 << (acc_bits - 1), "wc x + bc may not fit ACC bits: raise ACC"
    logit_bits = int(re.search(r"\bi(\d+) z\[NO\];", text).group(1))
    z_lo, z_hi = logit_range(model, shift)
    assert -(1 << (logit_bits - 1)) <= z_lo and z_hi < 1 << (logit_bits - 1), (
        f"logits may not fit i{logit_bits}"
    )

    inputs = {"x": x_test[:BATCH].reshape(-1, 8, 8).tolist()}
    inputs |= {k: v.tolist() for k, v in model.items()}
    (HERE / "inputs.json").write_text(json.dumps(inputs, separators=(",", ":")) + "\n")
    (HERE / "labels.json").write_text(json.dumps(y_test[:BATCH].tolist()) + "\n")
    src.write_text(re.sub(r"const int SHIFT = \d+;", f"const int SHIFT = {shift};", text))


if __name__ == "__main__":
    main()
