"""The quantised model in plain numpy integers: the reference `cnn_digits.zkcu` must match.

Needs only numpy (no scikit-learn), so tests can check the circuit against it. Every step is
integer arithmetic on int64 arrays; the rules are those of `cnn_digits.zkcu`:

    acc[f][i][j] = sum_{a,b} wc[f][a][b] x[i+a][j+b] + bc[f]      3x3 valid conv: 8x8 -> 6x6
    h   = max(floor((acc + 2^(S-1)) / 2^S), 0)                  round half up, then ReLU
    p[f][i][j] = sum of h[f] over the 2x2 window (i, j)          sum pooling: 6x6 -> 3x3
    z   = wd p + bd                      p flattened in [f][i][j] order (F * 9 values)
    pred = argmax(z)                     the first of equal maxima, as numpy's argmax
"""

from __future__ import annotations

import numpy as np


def conv_acc(x: np.ndarray, wc: np.ndarray, bc: np.ndarray) -> np.ndarray:
    """acc[B][F][6][6] of images x[B][8][8] (or [B][64]) and filters wc[F][3][3], bc[F]."""
    x = x.astype(np.int64).reshape(-1, 8, 8)
    wc, bc = wc.astype(np.int64), bc.astype(np.int64)
    acc = np.zeros((len(x), len(wc), 6, 6), dtype=np.int64)
    for a in range(3):
        for b in range(3):
            acc += np.einsum("nij,f->nfij", x[:, a : a + 6, b : b + 6], wc[:, a, b])
    return acc + bc[None, :, None, None]


def hidden(x, wc, bc, shift: int) -> np.ndarray:
    """Conv activations h[B][F][6][6], each >= 0 (not clipped: train.py picks the shift so
    that no image with pixels 0..16 gives more than 1023)."""
    q = (conv_acc(x, wc, bc) + (1 << (shift - 1))) >> shift  # arithmetic shift: floor
    return np.maximum(q, 0)


def pooled(x, wc, bc, shift: int) -> np.ndarray:
    """Sums of 2x2 windows of h, p[B][F][3][3]."""
    h = hidden(x, wc, bc, shift)
    return h.reshape(len(h), h.shape[1], 3, 2, 3, 2).sum(axis=(3, 5))


def logits(x, wc, bc, wd, bd, shift: int) -> np.ndarray:
    p = pooled(x, wc, bc, shift).reshape(len(x), -1)
    return p @ wd.astype(np.int64).T + bd.astype(np.int64)


def predict(x, wc, bc, wd, bd, shift: int) -> np.ndarray:
    return np.argmax(logits(x, wc, bc, wd, bd, shift), axis=1)


def from_inputs(inputs: dict, shift: int) -> np.ndarray:
    """Predictions for the images of an `inputs.json` dict."""
    a = {k: np.array(v, dtype=np.int64) for k, v in inputs.items()}
    return predict(a["x"], a["wc"], a["bc"], a["wd"], a["bd"], shift)
