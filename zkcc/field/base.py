"""The prime-field interface shared by m31 and bn254.

A field object is stateless: it holds the modulus and array conventions and operates on arrays
of reduced representatives (values in [0, p)). Every operation is elementwise with numpy
broadcasting and returns reduced values, so callers never see an unreduced number.

The array module travels with the field: `F.xp` (numpy by default, and `F.ext.xp` is the same
module) is what every array operation on the field's values goes through, here and in the
protocols above, so no module holds a global one. A CuPy-backed field is the same class built
with `xp=cupy` (`get_field("m31", xp=cupy)`). Bytes are host-side: `encode` writes and
`decode` returns numpy arrays, which meet device arrays through `xp.asarray`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from zkcc.errors import FormatError

if TYPE_CHECKING:
    from zkcc.field.ext import ExtField

Array = Any  # numpy (later cupy) ndarray of reduced field elements


class PrimeField(ABC):
    """Arithmetic in F_p on arrays. Subclasses fix `dtype` and the fast kernels."""

    name: str
    p: int
    byte_len: int  # fixed width of one encoded element
    wide_len: int  # bytes of randomness reduced mod p per sampled element (bias <= p / 2^(8w))
    dtype: Any
    storage_dtype: Any  # the narrowest dtype that holds a reduced element (for stored tables)
    ext: ExtField  # the challenge field
    xp: Any  # the array module (numpy, or an API-compatible one such as cupy)

    def __init__(self, xp: Any = None) -> None:
        self.xp = np if xp is None else xp

    # ---- construction -------------------------------------------------------------------
    @abstractmethod
    def array(self, x: Any) -> Array:
        """Reduced array from an int, a (nested) list of ints or a numpy int array."""

    def zeros(self, shape: int | tuple[int, ...]) -> Array:
        return self.xp.zeros(shape, dtype=self.dtype)

    def ones(self, shape: int | tuple[int, ...]) -> Array:
        return self.array(np.ones(shape, dtype=np.int64))

    def compact(self, a: Array) -> Array:
        """`a` in storage_dtype (m31: half the bytes); `widen` undoes it."""
        return a if a.dtype == self.storage_dtype else a.astype(self.storage_dtype)

    def widen(self, a: Array) -> Array:
        return a if a.dtype == self.dtype else a.astype(self.dtype)

    # ---- arithmetic ---------------------------------------------------------------------
    @abstractmethod
    def add(self, a: Array, b: Array) -> Array: ...

    @abstractmethod
    def sub(self, a: Array, b: Array) -> Array: ...

    @abstractmethod
    def mul(self, a: Array, b: Array) -> Array: ...

    @abstractmethod
    def neg(self, a: Array) -> Array: ...

    @abstractmethod
    def sum(self, a: Array, axis: int | tuple[int, ...] | None = None) -> Array: ...

    def inv(self, a: Array) -> Array:
        """Elementwise inverse by Fermat (a^(p-2)); 0 maps to 0, which callers rely on. A few
        host elements (a verifier inverts one per layer) go through Python's pow: the array
        loop costs two numpy calls per exponent bit."""
        few = isinstance(a, (np.ndarray, np.generic)) and a.size <= 16  # a numpy scalar too
        if self.xp is np and few and a.dtype.kind == "u":
            p = self.p
            out = [pow(int(x), p - 2, p) for x in np.ravel(a).tolist()]
            return np.array(out, dtype=a.dtype).reshape(np.shape(a))
        return self.pow(a, self.p - 2)

    def pow(self, a: Array, e: int) -> Array:
        """Elementwise a^e (a loop over exponent bits, not entries)."""
        a = self.array(a) if not hasattr(a, "dtype") or a.dtype != self.dtype else a
        return square_and_multiply(self.mul, self.ones(a.shape), a, e)

    # ---- conversion and bytes -----------------------------------------------------------
    def to_ints(self, a: Array) -> Any:
        """Nested Python lists of ints (a plain int for a 0-d array)."""
        return np.asarray(a).astype(object).tolist()  # host-side: Python ints

    @abstractmethod
    def encode(self, a: Array) -> bytes:
        """Flat little-endian fixed-width bytes of all elements in C order."""

    @abstractmethod
    def decode(self, data: bytes, count: int) -> Array:
        """Inverse of `encode` for `count` elements; FormatError on bad length or value >= p."""

    @abstractmethod
    def from_wide_bytes(self, data: bytes, count: int) -> Array:
        """`count` elements, each reducing `wide_len` uniform bytes mod p (for challenges)."""

    def _check_len(self, data: bytes, count: int, width: int) -> None:
        if count < 0 or len(data) != count * width:
            raise FormatError(
                f"{self.name}: expected {count} elements of {width} bytes, got {len(data)} bytes"
            )

    def __repr__(self) -> str:
        if self.xp is np:
            return f"PrimeField({self.name})"
        return f"PrimeField({self.name}, xp={getattr(self.xp, '__name__', self.xp)!r})"


def square_and_multiply(
    mul: Callable[[Array, Array], Array], one: Array, a: Array, e: int
) -> Array:
    """a^e for any multiplication `mul` with identity `one`: one loop over the bits of e."""
    result, base = one, a
    while e:
        if e & 1:
            result = mul(result, base)
        e >>= 1
        if e:
            base = mul(base, base)
    return result
