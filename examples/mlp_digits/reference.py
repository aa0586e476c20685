"""The quantised model in plain numpy integers: the reference `mlp_digits.zkcu` must match.

Needs only numpy (no scikit-learn), so tests can check the circuit against it. Every step is
integer arithmetic on int64 arrays; the rules are those of `mlp_digits.zkcu`:

    acc1 = W1 x + b1                       (x: pixels 0..16, W1: i8, b1: int)
    h    = clamp(floor((acc1 + 2^(S-1)) / 2^S), 0, 127)      round half up, then ReLU and clip
    z    = W2 h + b2                       (W2: i8, b2: int)
    pred = argmax(z)                       the first of equal maxima, as numpy's argmax
"""

from __future__ import annotations

import numpy as np

HMAX = 127  # hidden activations are clipped to 0..HMAX (i8)


def hidden(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, shift: int) -> np.ndarray:
    """Hidden activations of a batch x[B][64] (int64), each in 0..HMAX."""
    acc = x.astype(np.int64) @ w1.astype(np.int64).T + b1.astype(np.int64)
    q = (acc + (1 << (shift - 1))) >> shift  # arithmetic shift: floor division by 2^shift
    return np.clip(q, 0, HMAX)


def logits(x, w1, b1, w2, b2, shift: int) -> np.ndarray:
    h = hidden(x, w1, b1, shift)
    return h @ w2.astype(np.int64).T + b2.astype(np.int64)


def predict(x, w1, b1, w2, b2, shift: int) -> np.ndarray:
    return np.argmax(logits(x, w1, b1, w2, b2, shift), axis=1)


def from_inputs(inputs: dict, shift: int) -> np.ndarray:
    """Predictions for the images of an `inputs.json` dict."""
    a = {k: np.array(v, dtype=np.int64) for k, v in inputs.items()}
    return predict(a["x"], a["w1"], a["b1"], a["w2"], a["b2"], shift)
