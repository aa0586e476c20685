"""Exact linear algebra over the fields: extension combinations of base-field rows.

`row_combine(F, coeffs, M)` computes coeffs @ M for an extension (d, K, R) coefficient array
and a base (R, C) matrix. Over m31 it runs on float64 BLAS exactly: both operands are split in
16-bit limbs (a = a0 + 2^16 a1), so every limb product is < 2^32 and a sum of R <= 2^20 of them
is < 2^52, below float64's 2^53 integer range; the four limb products recombine mod p with
2^32 = 2 (mod p). bn254 uses numpy's object-array dot on Python ints. The array module is the
field's, `F.xp`. The tensor-code PCS combines its committed rows with it, and the GKR prover
evaluates an input segment's rows at a point (an eq table's combination of them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkcc.field.base import Array, PrimeField
from zkcc.field.m31 import reduce_u64

_MASK16 = np.uint64(0xFFFF)
_S16 = np.uint64(16)
_COL_CHUNK = 1 << 13


def _m31_matmul(xp: Any, A: Array, M: Array) -> Array:
    """A (K, R) @ M (R, C) mod p over m31, exactly, through float64 matmuls."""
    K = A.shape[0]
    Af = xp.concatenate([A & _MASK16, A >> _S16]).astype(np.float64)  # (2K, R)
    out = xp.empty((K, M.shape[1]), dtype=np.uint64)
    for c0 in range(0, M.shape[1], _COL_CHUNK):
        Mc = M[:, c0 : c0 + _COL_CHUNK]
        w = Mc.shape[1]
        Mf = xp.concatenate([Mc & _MASK16, Mc >> _S16], axis=1).astype(np.float64)  # (R, 2w)
        prod = (Af @ Mf).astype(np.uint64)  # exact integers < 2^52
        ll, lh = prod[:K, :w], prod[:K, w:]
        hl, hh = prod[K:, :w], prod[K:, w:]
        mid = reduce_u64(xp, lh + hl)  # < 2^53 before reduction
        acc = reduce_u64(xp, ll.copy())
        acc += reduce_u64(xp, mid << _S16)  # < 2^47 before reduction
        acc += reduce_u64(xp, hh.copy()) * np.uint64(2)  # 2^32 = 2 (mod p)
        out[:, c0 : c0 + w] = reduce_u64(xp, acc)
    return out


def row_combine(F: PrimeField, coeffs: Array, M: Array) -> Array:
    """sum_r coeffs[:, k, r] * M[r, :] -> (d, K, C): extension combinations of base rows."""
    d, K, R = coeffs.shape
    if M.shape[0] != R:
        raise ValueError("coefficient count differs from the row count")
    A = coeffs.reshape(d * K, R)
    if F.name == "m31":
        out = _m31_matmul(F.xp, A, M)
    else:
        out = F.xp.asarray(A.dot(M) % F.p, dtype=object)
    return out.reshape(d, K, M.shape[1])
