"""A small, strict, deterministic binary encoding for plans and proofs ("zkcc tree").

Plans and proofs come from strangers, so they are parsed from this documented format with bounds
checks and never with pickle or eval. A *tree* is built from: None, bool, int (arbitrary size),
bytes, str, list and dict with str keys. Encoding is canonical: dict keys are sorted, integers
use the shortest form, so equal trees give equal bytes (plans are content-hashed).

Wire format (all lengths are unsigned LEB128 varints):

    file    := MAGIC(4 bytes) VERSION(varint) value
    value   := 0x00                      None
             | 0x01 | 0x02               False | True
             | 0x03 varint               non-negative int
             | 0x04 varint               negative int, value = -(n + 1)
             | 0x05 len bytes            bytes
             | 0x06 len utf8             str
             | 0x07 count value*         list
             | 0x08 count (key value)*   dict, keys are str values, strictly increasing

Every length is checked against the bytes that remain before anything is allocated, nesting
is limited, integers are limited in size, and trailing bytes are an error.
"""

from __future__ import annotations

from typing import Any

from zkcc.errors import FormatError

Tree = Any  # None | bool | int | bytes | str | list[Tree] | dict[str, Tree]

MAX_DEPTH = 64
MAX_INT_BYTES = 64  # ints above 2^512 never occur in our formats
# Values a file of n bytes may hold: VALUE_FLOOR + n // BYTES_PER_VALUE. Our files keep
# their bulk in byte strings (a plan's instruction columns, a proof's field elements): 5 to
# 8,000 bytes per value measured on every example, the least on the smallest plans. A file of
# 20 MB of empty lists (10 million values, 770 MB of Python objects) is refused instead.
VALUE_FLOOR = 1 << 12
BYTES_PER_VALUE = 8

_NONE, _FALSE, _TRUE, _UINT, _NINT, _BYTES, _STR, _LIST, _DICT = range(9)


def _put_varint(out: bytearray, n: int) -> None:
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def _encode(out: bytearray, v: Tree, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("tree nested too deeply")
    if v is None:
        out.append(_NONE)
    elif v is True:
        out.append(_TRUE)
    elif v is False:
        out.append(_FALSE)
    elif isinstance(v, int):
        if v >= 0:
            out.append(_UINT)
            _put_varint(out, v)
        else:
            out.append(_NINT)
            _put_varint(out, -v - 1)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        out.append(_BYTES)
        _put_varint(out, len(b))
        out += b
    elif isinstance(v, str):
        b = v.encode("utf-8")
        out.append(_STR)
        _put_varint(out, len(b))
        out += b
    elif isinstance(v, (list, tuple)):
        out.append(_LIST)
        _put_varint(out, len(v))
        for item in v:
            _encode(out, item, depth + 1)
    elif isinstance(v, dict):
        out.append(_DICT)
        _put_varint(out, len(v))
        for key in sorted(v):
            if not isinstance(key, str):
                raise TypeError(f"dict keys must be str, got {type(key).__name__}")
            _encode(out, key, depth + 1)
            _encode(out, v[key], depth + 1)
    else:
        raise TypeError(f"cannot encode {type(v).__name__}")


def encode(magic: bytes, version: int, tree: Tree) -> bytes:
    """Encode `tree` canonically behind a 4-byte magic and a format version."""
    if len(magic) != 4:
        raise ValueError("magic must be 4 bytes")
    out = bytearray(magic)
    _put_varint(out, version)
    _encode(out, tree, 0)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.what = what
        self.budget = VALUE_FLOOR + len(data) // BYTES_PER_VALUE

    def fail(self, msg: str) -> FormatError:
        return FormatError(f"{self.what}: {msg} (at byte {self.pos})")

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self, max_bytes: int = 10) -> int:
        n = 0
        shift = 0
        for i in range(max_bytes):
            b = self.byte()
            if b == 0 and i > 0:
                raise self.fail("non-canonical varint")
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
        raise self.fail("varint too long")

    def take(self, n: int) -> memoryview:
        if n > len(self.data) - self.pos:
            raise self.fail(f"length {n} exceeds the {len(self.data) - self.pos} bytes left")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def value(self, depth: int) -> Tree:
        if depth > MAX_DEPTH:
            raise self.fail("nesting too deep")
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(
                f"more than {VALUE_FLOOR + len(self.data) // BYTES_PER_VALUE} values in "
                f"{len(self.data)} bytes: no zkcc file is made of so many tiny values"
            )
        tag = self.byte()
        if tag == _NONE:
            return None
        if tag == _FALSE:
            return False
        if tag == _TRUE:
            return True
        if tag == _UINT:
            return self.varint(MAX_INT_BYTES * 8 // 7 + 1)
        if tag == _NINT:
            return -self.varint(MAX_INT_BYTES * 8 // 7 + 1) - 1
        if tag == _BYTES:
            return bytes(self.take(self.varint()))
        if tag == _STR:
            raw = self.take(self.varint())
            try:
                return bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("invalid UTF-8 in string") from None
        if tag == _LIST:
            count = self.varint()
            if count > len(self.data) - self.pos:  # every item takes at least one byte
                raise self.fail(f"list of {count} items cannot fit in the data left")
            return [self.value(depth + 1) for _ in range(count)]
        if tag == _DICT:
            count = self.varint()
            if 2 * count > len(self.data) - self.pos:
                raise self.fail(f"dict of {count} entries cannot fit in the data left")
            out: dict[str, Tree] = {}
            prev: str | None = None
            for _ in range(count):
                key = self.value(depth + 1)
                if not isinstance(key, str):
                    raise self.fail("dict key is not a string")
                if prev is not None and key <= prev:
                    raise self.fail("dict keys not strictly increasing")
                prev = key
                out[key] = self.value(depth + 1)
            return out
        raise self.fail(f"unknown tag 0x{tag:02x}")


# what each zkcc file is, by its magic: a file of another kind is named as what it is
FILE_KINDS = {
    b"ZKPL": "a plan (from zkcc compile)",
    b"ZKPF": "a proof (from zkcc prove)",
    b"ZKPK": "a proving key (from zkcc setup)",
    b"ZKVK": "a verifying key (from zkcc setup)",
}


def decode(data: bytes, magic: bytes, max_version: int, what: str) -> tuple[int, Tree]:
    """Decode a file written by `encode`; returns (version, tree). Raises FormatError."""
    if len(data) < 4 or data[:4] != magic:
        want = FILE_KINDS.get(magic, f"a zkcc file with magic {magic!r}")
        found = FILE_KINDS.get(bytes(data[:4]))
        if found is not None:
            raise FormatError(f"{what}: this is {found}, not {want}")
        raise FormatError(f"{what}: not {want} (no zkcc file of a known kind)")
    r = _Reader(data, what)
    r.pos = 4
    version = r.varint()
    if version < 1 or version > max_version:
        raise FormatError(
            f"{what}: unsupported format version {version} (this zkcc reads 1..{max_version})"
        )
    tree = r.value(0)
    if r.pos != len(data):
        raise FormatError(f"{what}: {len(data) - r.pos} trailing bytes after the data")
    return version, tree


class Schema:
    """Typed accessors over a decoded tree that raise FormatError naming the field's path."""

    def __init__(self, tree: Tree, path: str) -> None:
        self.tree = tree
        self.path = path

    def _fail(self, msg: str) -> FormatError:
        return FormatError(f"{self.path}: {msg}")

    def dict(self, keys: set[str] | None = None) -> dict[str, Tree]:
        if not isinstance(self.tree, dict):
            raise self._fail("expected a dict")
        if keys is not None and set(self.tree) != keys:
            missing = sorted(keys - set(self.tree))
            extra = sorted(set(self.tree) - keys)
            raise self._fail(
                f"fields differ from the format: missing {missing}, unexpected {extra}"
            )
        return self.tree

    def field(self, key: str) -> Schema:
        d = self.dict()
        if key not in d:
            raise self._fail(f"missing field {key!r}")
        return Schema(d[key], f"{self.path}.{key}")

    def list(self, min_len: int = 0, max_len: int | None = None) -> list[Schema]:
        if not isinstance(self.tree, list):
            raise self._fail("expected a list")
        n = len(self.tree)
        if n < min_len or (max_len is not None and n > max_len):
            raise self._fail(f"list length {n} outside [{min_len}, {max_len}]")
        return [Schema(v, f"{self.path}[{i}]") for i, v in enumerate(self.tree)]

    def int(self, lo: int | None = None, hi: int | None = None) -> int:
        v = self.tree
        if not isinstance(v, int) or isinstance(v, bool):
            raise self._fail("expected an integer")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self._fail(f"integer {v} outside [{lo}, {hi}]")
        return v

    def str(self, choices: tuple[str, ...] | None = None, max_len: int = 1 << 16) -> str:
        v = self.tree
        if not isinstance(v, str) or len(v) > max_len:
            raise self._fail("expected a string")
        if choices is not None and v not in choices:
            raise self._fail(f"{v!r} is not one of {list(choices)}")
        return v

    def bytes(self, length: int | None = None, max_len: int | None = None) -> bytes:
        v = self.tree
        if not isinstance(v, bytes):
            raise self._fail("expected bytes")
        if length is not None and len(v) != length:
            raise self._fail(f"expected {length} bytes, got {len(v)}")
        if max_len is not None and len(v) > max_len:
            raise self._fail(f"{len(v)} bytes exceed the limit {max_len}")
        return v

    def bool(self) -> bool:
        if not isinstance(self.tree, bool):
            raise self._fail("expected a boolean")
        return self.tree
