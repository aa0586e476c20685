"""The Mersenne-31 field, p = 2^31 - 1, on uint64 arrays.

Values are stored reduced in uint64 so that a product of two of them (< 2^62) and a sum of a
few products never overflow. Reduction uses 2^31 = 1 (mod p): t = (t & p) + (t >> 31), and the
final conditional subtract is `minimum(r, r - p)`: when r < p the unsigned subtraction wraps to a
huge value and the minimum keeps r. Every op is a few passes of branch-free numpy ufuncs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkcc.errors import FormatError
from zkcc.field.base import Array, PrimeField

P = (1 << 31) - 1
_P = np.uint64(P)
_S31 = np.uint64(31)

# The kernels below take the array module `xp` first (a field passes its own, `F.xp`).


def reduce_lt_2p(xp: Any, r: Array, out: Array | None = None) -> Array:
    """Map values in [0, 2p) to [0, p)."""
    return xp.minimum(r, xp.subtract(r, _P), out=out)


# up to this many entries one `remainder` call (about 2.5 ns an entry here) beats the seven
# calls of the two folds, whose per-call cost rules at these sizes
SMALL_REDUCE = 2048


def reduce_u64(xp: Any, t: Array, tmp: Array | None = None) -> Array:
    """Reduce arbitrary uint64 values in place to [0, p). Two folds bring t < 2^64 below 2p."""
    if t.size <= SMALL_REDUCE:
        return xp.remainder(t, _P, out=t)
    if tmp is None:
        tmp = xp.empty_like(t)
    for _ in range(2):
        xp.right_shift(t, _S31, out=tmp)
        xp.bitwise_and(t, _P, out=t)
        xp.add(t, tmp, out=t)
    xp.subtract(t, _P, out=tmp)
    return xp.minimum(t, tmp, out=t)


def mul_reduce(xp: Any, a: Array, b: Array, out: Array | None = None) -> Array:
    """a*b mod p for reduced a, b. t < (p-1)^2 so (t & p) + (t >> 31) < 2p: one fold suffices."""
    if out is None:  # general path, also for numpy scalars (0-d results are not writable)
        t = xp.multiply(a, b)
        r = xp.add(xp.bitwise_and(t, _P), xp.right_shift(t, _S31))
        return xp.minimum(r, xp.subtract(r, _P))
    t = xp.multiply(a, b, out=out)
    hi = t >> _S31
    xp.bitwise_and(t, _P, out=t)
    xp.add(t, hi, out=t)
    xp.subtract(t, _P, out=hi)
    return xp.minimum(t, hi, out=t)


class M31Field(PrimeField):
    name = "m31"
    p = P
    byte_len = 4
    wide_len = 16  # 128-bit samples: statistical distance from uniform <= 2^-97 per element
    dtype = np.uint64
    storage_dtype = np.uint32

    def __init__(self, xp: Any = None) -> None:
        from zkcc.field.ext import QM31_MODULUS, ExtField

        super().__init__(xp)
        self.ext = ExtField(self, modulus=QM31_MODULUS)

    def array(self, x: Any) -> Array:
        # reduced on the host (Python ints or numpy), then moved to the array module
        if type(x) is int:  # one scalar (E.one, E.scalar): no object array
            return self.xp.asarray(np.uint64(x % P))
        if isinstance(x, np.ndarray) and x.dtype.kind in "iu":
            if x.dtype.kind == "u":
                a = (x.astype(np.uint64) % _P).astype(np.uint64)
            else:
                a = (x.astype(np.int64) % P).astype(np.uint64)
        else:
            a = np.asarray(np.asarray(x, dtype=object) % P, dtype=object).astype(np.uint64)
        return self.xp.asarray(a)

    def add(self, a: Array, b: Array) -> Array:
        xp = self.xp
        return reduce_lt_2p(xp, xp.add(a, b))

    def sub(self, a: Array, b: Array) -> Array:
        xp = self.xp
        d = xp.subtract(a, b)  # wraps when a < b; then d + p wraps back into [0, p)
        return xp.minimum(d, xp.add(d, _P))

    def mul(self, a: Array, b: Array) -> Array:
        xp = self.xp
        return mul_reduce(xp, xp.asarray(a, dtype=np.uint64), xp.asarray(b, dtype=np.uint64))

    def neg(self, a: Array) -> Array:
        xp = self.xp
        return reduce_lt_2p(xp, xp.subtract(_P, a))  # p - 0 = p maps to 0

    def sum(self, a: Array, axis: int | tuple[int, ...] | None = None) -> Array:
        # each term < 2^31, so up to 2^33 terms sum exactly in uint64 before one reduction
        return self.xp.sum(a, axis=axis, dtype=np.uint64) % _P

    def encode(self, a: Array) -> bytes:
        return np.ascontiguousarray(a, dtype="<u4").tobytes()  # host-side bytes

    def decode(self, data: bytes, count: int) -> Array:
        self._check_len(data, count, 4)
        v = np.frombuffer(data, dtype="<u4").astype(np.uint64)
        if v.size and int(v.max()) >= P:
            raise FormatError("m31: encoded value is not reduced (>= p)")
        return v

    def from_wide_bytes(self, data: bytes, count: int) -> Array:
        self._check_len(data, count, 16)
        # transcript bytes are read on the host; the arithmetic below runs on self.xp
        lo, hi = self.xp.asarray(
            np.frombuffer(data, dtype="<u8").reshape(count, 2).T.astype(np.uint64)
        )
        # hi * 2^64 + lo = 4 * hi + lo (mod p) since 2^64 = 2^(2*31 + 2)
        return self.add(self.mul(hi % _P, np.uint64(4)), lo % _P)
