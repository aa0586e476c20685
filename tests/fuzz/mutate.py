"""Mutations of seed files, as hypothesis strategies.

A fuzz case is a `Case`: the name of a seed file and a short tuple of mutation operations. The
case, not the mutated bytes, is what hypothesis draws, shrinks and prints, so a failing
example reads `Case('dot.zkproof', (('flip', 1234, 3),))` instead of 80 KB of bytes, and it
replays exactly (`apply_ops`) as long as the seed is deterministic (plans and seeded proofs
are). Positions are drawn as large integers and reduced modulo the current length when an
operation is applied, so an operation means the same whatever the operations before it did,
and shrinking moves positions towards the start of the file.

Three families of operations:

* byte level (`byte_ops`): bit flips, boundary bytes, insertions, deletions, truncation,
  copies, LEB128 varints written over the data, splices with another seed;
* tree level (`tree_ops`, `json_ops`, `npz_ops`): the seed is parsed (a zkcc tree from
  zkcc.encoding, a JSON document, the arrays of an .npz), one node is changed (boundary
  integers, type confusion, dropped or duplicated items, deep nesting, non-canonical dicts),
  and the result is written back -- with a raw encoder that does not enforce the canonical
  form, so the readers' canonicality checks are exercised too;
* token level (`source_ops`): .zkcu sources split into tokens, tokens deleted, duplicated,
  replaced by keywords and boundary numbers, spliced from other sources, wrapped in deep
  nesting; and random token soups.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

Op = tuple  # (kind, *arguments): small, printable, replayable
# operation kinds applied to the parsed seed, before the byte-level ones
STRUCTURED = frozenset({"tree", "json", "npz", "soup", "nest", "tok-del", "tok-dup", "tok-set"})
STRUCTURED |= {"tok-ins", "tok-num", "tok-swap", "tok-splice"}

BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
M31_P = 2**31 - 1


@dataclass(frozen=True)
class Case:
    """One fuzz input: seed `seed` with `ops` applied in order."""

    seed: str
    ops: tuple[Op, ...]

    def __repr__(self) -> str:
        return f"Case({self.seed!r}, {self.ops!r})"


# -- byte level --------------------------------------------------------------------------------

POS = st.integers(0, 2**32 - 1)
INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x7F, 0x80, 0xFF)
# LEB128 boundaries: one byte, the edges of each 7-bit group, 2^31/2^32/2^63/2^64 and over 64 bits
VARINTS = (0, 1, 127, 128, 16383, 16384, 2**21, 2**28, 2**31 - 1, 2**31, 2**32, 2**32 + 1)
VARINTS += (2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**70 - 1)


def leb128(n: int) -> bytes:
    """Unsigned LEB128, the varint of zkcc.encoding."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def byte_ops(others: Sequence[str]) -> st.SearchStrategy[Op]:
    """One byte-level operation; `others` names the seeds a splice may take bytes from."""
    choices = [
        st.tuples(st.just("flip"), POS, st.integers(0, 7)),
        st.tuples(st.just("set"), POS, st.sampled_from(INTERESTING_BYTES) | st.integers(0, 255)),
        st.tuples(st.just("insert"), POS, st.binary(min_size=1, max_size=16)),
        st.tuples(st.just("delete"), POS, st.integers(1, 64)),
        st.tuples(st.just("truncate"), POS),
        st.tuples(st.just("copy"), POS, st.integers(1, 256), POS),
        st.tuples(st.just("varint"), POS, st.sampled_from(VARINTS)),
    ]
    if others:
        choices.append(st.tuples(st.just("splice"), st.sampled_from(sorted(others)), POS, POS))
    return st.one_of(*choices)


def apply_byte_op(data: bytes, op: Op, seeds: Mapping[str, bytes]) -> bytes:
    """`data` with the byte-level operation `op` applied."""
    kind, args = op[0], op[1:]
    n = len(data)
    if kind == "flip" and n:
        pos, bit = args[0] % n, args[1]
        return data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1 :]
    if kind == "set" and n:
        pos = args[0] % n
        return data[:pos] + bytes([args[1]]) + data[pos + 1 :]
    if kind == "insert":
        pos = args[0] % (n + 1)
        return data[:pos] + args[1] + data[pos:]
    if kind == "delete" and n:
        pos = args[0] % n
        return data[:pos] + data[pos + args[1] :]
    if kind == "truncate":
        return data[: args[0] % (n + 1)]
    if kind == "copy" and n:
        src, length, dst = args[0] % n, args[1], args[2] % (n + 1)
        return data[:dst] + data[src : src + length] + data[dst:]
    if kind == "varint":
        pos = args[0] % (n + 1)
        v = leb128(args[1])
        return data[:pos] + v + data[pos + len(v) :]
    if kind == "splice":
        other = seeds[args[0]]
        return data[: args[1] % (n + 1)] + other[args[2] % (len(other) + 1) :]
    return data


# -- a raw writer for zkcc trees -----------------------------------------------------------------


class RawDict(list):
    """A dict as written: (key, value) pairs in this order, duplicates allowed. zkcc.encoding
    writes dicts sorted and unique; a RawDict lets a mutation break that on purpose."""


def raw_encode(magic: bytes, version: int, tree: Any) -> bytes:
    """The zkcc tree wire format (zkcc/encoding.py) without its checks: no depth limit, no
    integer limit, dicts as given (RawDict) or sorted (dict)."""
    out = bytearray(magic)
    out += leb128(version)
    stack: list[Any] = [tree]
    while stack:  # iterative: a deeply nested mutation must not hit the recursion limit
        v = stack.pop()
        if isinstance(v, _Emit):
            out += v.raw
        elif v is None:
            out.append(0)
        elif v is True or v is False:
            out.append(2 if v else 1)
        elif isinstance(v, int):
            out.append(3 if v >= 0 else 4)
            out += leb128(v if v >= 0 else -v - 1)
        elif isinstance(v, bytes):
            out.append(5)
            out += leb128(len(v)) + v
        elif isinstance(v, str):
            b = v.encode("utf-8", "surrogatepass")
            out.append(6)
            out += leb128(len(b)) + b
        elif isinstance(v, RawDict):
            out.append(8)
            out += leb128(len(v))
            for key, item in reversed(v):
                stack += [item, key]
        elif isinstance(v, dict):
            out.append(8)
            out += leb128(len(v))
            for key in sorted(v, reverse=True):
                stack += [v[key], key]
        elif isinstance(v, list):
            out.append(7)
            out += leb128(len(v))
            stack += reversed(v)
        else:
            raise TypeError(f"cannot encode {type(v).__name__}")
    return bytes(out)


@dataclass(frozen=True)
class _Emit:
    raw: bytes


# -- tree level (plans, proofs, keys) ----------------------------------------------------------

TREE_VALUES: tuple[Any, ...] = (
    None,
    False,
    True,
    0,
    1,
    -1,
    2,
    M31_P - 1,
    M31_P,
    2**31,
    2**32,
    2**32 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    BN254_R - 1,
    BN254_R,
    2**256 - 1,
    2**512 - 1,
    2**520,  # over the decoder's integer limit
    -(2**512),
    b"",
    b"\x00",
    bytes(31),
    bytes(32),
    bytes(33),
    b"\xff" * 32,
    b"\xff" * 4,
    "",
    "x",
    "gkr",
    "groth16",
    "m31",
    "bn254",
    "ligero",
    "merkle",
    "\udcff",  # a lone surrogate: not valid UTF-8 once written
    [],
    {},
    [0],
    {"": None},
)
TREE_ACTIONS = (
    "value",
    "int+1",
    "int-1",
    "int*2",
    "bytes-flip",
    "bytes-short",
    "bytes-long",
    "bytes-ff",
    "bytes-zero",
    "point-neg",
    "drop",
    "dup",
    "swap",
    "empty",
    "unsort",
    "dupkey",
    "addkey",
    "nest",
)


def tree_ops() -> st.SearchStrategy[Op]:
    """One tree-level operation: (tree, node, action, argument); node and argument are taken
    modulo what they index when applied."""
    return st.tuples(st.just("tree"), POS, st.sampled_from(TREE_ACTIONS), POS)


def _copy(t: Any) -> Any:
    """Deep copy of the containers only (leaves are immutable)."""
    if isinstance(t, RawDict):
        return RawDict((k, _copy(v)) for k, v in t)
    if isinstance(t, dict):
        return {k: _copy(v) for k, v in t.items()}
    if isinstance(t, list):
        return [_copy(v) for v in t]
    return t


def _nodes(root: list) -> list[tuple[Any, Any]]:
    """(container, key) of every node below the holder `root` ([tree]), in preorder."""
    out: list[tuple[Any, Any]] = []
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        c, k = stack.pop()
        out.append((c, k))
        v = c[k]
        if isinstance(v, dict):
            stack += [(v, key) for key in reversed(list(v))]
        elif isinstance(v, list) and not isinstance(v, RawDict):
            stack += [(v, i) for i in reversed(range(len(v)))]
    return out


BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583


def _negate_points(v: bytes) -> bytes:
    """A BN254 point blob (zkcc/backends/groth16/keys.py: 32-byte little-endian coordinates,
    G1 x y, G2 x0 x1 y0 y1) with every point negated (y -> q - y); other blobs get their
    second half of 32-byte words negated the same way, which is as good a mutation."""
    words = [int.from_bytes(v[i : i + 32], "little") for i in range(0, len(v) - len(v) % 32, 32)]
    if not words:
        return v
    k = 4 if len(words) % 4 == 0 and len(v) in (128, 256) else 2
    out = []
    for i in range(0, len(words) - len(words) % k, k):
        point = words[i : i + k]
        out += point[: k // 2] + [(BN254_Q - y) % BN254_Q for y in point[k // 2 :]]
    out += words[len(out) :]
    return b"".join(w.to_bytes(32, "little") for w in out) + v[len(words) * 32 :]


def apply_tree_op(tree: Any, op: Op, values: Sequence[Any] = TREE_VALUES) -> Any:
    """A mutated copy of `tree` (a zkcc tree or a JSON document). Actions that do not fit the
    chosen node (an int action on bytes) replace it with a boundary value instead."""
    _, node, action, arg = op
    holder = [_copy(tree)]
    nodes = _nodes(holder)
    c, k = nodes[node % len(nodes)]
    v = c[k]
    value = values[arg % len(values)]
    if action in ("int+1", "int-1", "int*2") and isinstance(v, int) and not isinstance(v, bool):
        c[k] = v + 1 if action == "int+1" else v - 1 if action == "int-1" else 2 * v
    elif action.startswith("bytes-") and isinstance(v, bytes) and v:
        i = arg % len(v)
        c[k] = {
            "bytes-flip": v[:i] + bytes([v[i] ^ 1]) + v[i + 1 :],
            "bytes-short": v[:-1],
            "bytes-long": v + v[-1:],
            "bytes-ff": b"\xff" * len(v),
            "bytes-zero": bytes(len(v)),  # also the point at infinity, for curve points
            "point-neg": _negate_points(v),
        }[action]
    elif action == "drop" and c is not holder:
        del c[k]
    elif action == "dup" and isinstance(c, list) and c is not holder:
        c.insert(k, _copy(v))
    elif action == "swap":
        c[k] = _copy(nodes[arg % len(nodes)][0][nodes[arg % len(nodes)][1]])
    elif action == "empty" and isinstance(v, (list, dict, bytes, str)):
        c[k] = type(v)()
    elif action == "unsort" and isinstance(v, dict) and len(v) > 1:
        c[k] = RawDict(reversed(list(v.items())))
    elif action == "dupkey" and isinstance(v, dict) and v:
        items = list(v.items())
        c[k] = RawDict(items[: arg % len(items) + 1] + items[arg % len(items) :])
    elif action == "addkey" and isinstance(v, dict):
        v["zz" if arg % 2 else ""] = value
    elif action == "nest":
        for _ in range(arg % 80 + 1):
            v = [v]
        c[k] = v
    else:
        c[k] = value
    return holder[0]


# -- JSON (inputs) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawJSON:
    """Text written verbatim into a JSON document (numbers Python will not print)."""

    text: str


JSON_VALUES: tuple[Any, ...] = (
    0,
    1,
    -1,
    M31_P - 1,
    M31_P,
    -M31_P,
    -(M31_P - 1),
    2**31,
    2**32,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    10**76,
    BN254_R - 1,
    BN254_R,
    -BN254_R,
    -(BN254_R - 1),
    RawJSON("9" * 200),
    RawJSON("9" * 201),
    RawJSON("9" * 4301),
    RawJSON("-" + "9" * 5000),
    RawJSON("1e5"),
    RawJSON("1.0"),
    RawJSON("-0"),
    RawJSON("NaN"),
    RawJSON("Infinity"),
    RawJSON("-Infinity"),
    RawJSON("1E400"),
    RawJSON("0.1e-400"),
    1.5,
    "1",
    " 7 ",
    "+3",
    "-0",
    "0x10",
    "1e3",
    "1_000",
    "\u00b2",
    "1\u00b2",
    "\u0663",
    "\uff11",
    "",
    "-",
    "+",
    "9" * 200,
    "9" * 201,
    "9" * 5000,
    "\ud800",
    True,
    False,
    None,
    [],
    {},
    [[]],
    [0],
)
JSON_ACTIONS = ("value", "int+1", "int-1", "int*2", "drop", "dup", "swap", "empty")
JSON_ACTIONS += ("unsort", "dupkey", "addkey", "nest", "str")


def json_ops() -> st.SearchStrategy[Op]:
    return st.tuples(st.just("json"), POS, st.sampled_from(JSON_ACTIONS), POS)


def apply_json_op(doc: Any, op: Op) -> Any:
    _, node, action, arg = op
    if action == "str":  # an int written as a decimal string, as inputs allow
        holder = [_copy(doc)]
        nodes = _nodes(holder)
        c, k = nodes[node % len(nodes)]
        if isinstance(c[k], int) and not isinstance(c[k], bool):
            c[k] = str(c[k])
            return holder[0]
        action = "value"
    return apply_tree_op(doc, ("tree", node, action, arg), JSON_VALUES)


def dump_json(v: Any) -> str:
    """JSON text of `v` with RawJSON verbatim and RawDicts in their order (duplicates kept);
    iterative, so deep nesting is written whatever the recursion limit."""
    out: list[str] = []
    stack: list[Any] = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, _Emit):
            out.append(x.raw.decode())
        elif isinstance(x, RawJSON):
            out.append(x.text)
        elif x is None:
            out.append("null")
        elif x is True or x is False:
            out.append("true" if x else "false")
        elif isinstance(x, int):
            out.append(str(x))
        elif isinstance(x, float):
            out.append(repr(x))
        elif isinstance(x, str):
            out.append('"' + _json_escape(x) + '"')
        elif isinstance(x, (dict, RawDict)):
            items = list(x) if isinstance(x, RawDict) else list(x.items())
            parts: list[Any] = [_Emit(b"{")]
            for i, (key, item) in enumerate(items):
                if i:
                    parts.append(_Emit(b", "))
                parts += [_Emit(('"' + _json_escape(str(key)) + '": ').encode()), item]
            parts.append(_Emit(b"}"))
            stack += reversed(parts)
        elif isinstance(x, list):
            parts = [_Emit(b"[")]
            for i, item in enumerate(x):
                if i:
                    parts.append(_Emit(b", "))
                parts.append(item)
            parts.append(_Emit(b"]"))
            stack += reversed(parts)
        else:
            raise TypeError(f"cannot write {type(x).__name__} as JSON")
    return "".join(out)


def _json_escape(s: str) -> str:
    return "".join(
        c if c.isprintable() and c not in '"\\' and c.isascii() else f"\\u{ord(c):04x}" for c in s
    )


# -- .npz (inputs) -------------------------------------------------------------------------------

NPZ_DTYPES = ("<i8", "<u8", "<i4", "|u1", ">i8", "<f8", "|b1", "|O", "<c16", "<U5", "|V8", "<M8[s]")
NPZ_SHAPES: tuple[Any, ...] = ((), (0,), (1,), (-1,), (2**63,), (2**63 - 1, 2), (2**64,))
NPZ_SHAPES += ((1 << 31, 1 << 31), "x", (1.5,), None)
NPZ_ACTIONS = ("dtype", "shape", "fortran", "header", "name", "drop", "dup", "data", "method")
NPZ_ACTIONS += ("version",)
NPZ_HEADERS = (
    b"",
    b"{}",
    b"{garbage}",
    b"{'descr': '<i8', 'fortran_order': False, 'shape': (1,) + (2,)}",
    b"{'descr': '<i8', 'fortran_order': False, 'shape': (" + b"(" * 200 + b")" * 200 + b")}",
    b"{'descr': [('a', '<i8')], 'fortran_order': False, 'shape': (1,)}",
    b"{'descr': '<i8', 'fortran_order': 'no', 'shape': (1,)}",
    b"__import__('os')",
)


def npz_ops() -> st.SearchStrategy[Op]:
    return st.tuples(st.just("npz"), st.integers(0, 7), st.sampled_from(NPZ_ACTIONS), POS)


def npy_bytes(
    descr: str, fortran: bool, shape: Any, data: bytes, version: int = 1, header: bytes = b""
) -> bytes:
    """An .npy file with a header we write ourselves (np.save refuses nonsense headers)."""
    text = header or repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode(
        "latin1"
    )
    pre = 10 if version == 1 else 12
    pad = -(pre + len(text) + 1) % 64
    text = text + b" " * pad + b"\n"
    size = len(text).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + data


@dataclass
class NpzEntry:
    """One array of an .npz being mutated: its name and .npy header fields and data."""

    name: str
    descr: str
    fortran: bool
    shape: Any
    data: bytes
    version: int = 1
    header: bytes = b""


def npz_entries(arrays: Mapping[str, np.ndarray]) -> list[NpzEntry]:
    return [
        NpzEntry(n, a.dtype.str, False, a.shape, np.ascontiguousarray(a).tobytes())
        for n, a in arrays.items()
    ]


def apply_npz_op(entries: list[NpzEntry], method: int, op: Op) -> int:
    """Mutate `entries` in place; returns the zip compression method to use."""
    _, idx, action, arg = op
    if not entries:
        return method
    e = entries[idx % len(entries)]
    if action == "dtype":
        e.descr = NPZ_DTYPES[arg % len(NPZ_DTYPES)]
    elif action == "shape":
        e.shape = NPZ_SHAPES[arg % len(NPZ_SHAPES)]
    elif action == "fortran":
        e.fortran = not e.fortran
    elif action == "header":
        e.header = NPZ_HEADERS[arg % len(NPZ_HEADERS)]
    elif action == "name":
        e.name = ("", "w", "xs", "x/../y", "a.npy", "\u00e9")[arg % 6]
    elif action == "drop":
        entries.remove(e)
    elif action == "dup":
        entries.append(NpzEntry(e.name, e.descr, e.fortran, e.shape, e.data))
    elif action == "data":
        cut = arg % (len(e.data) + 1)
        e.data = e.data[:cut] if arg % 2 else e.data + bytes(cut % 64 + 1)
    elif action == "version":
        e.version = (1, 2, 3)[arg % 3]
    elif action == "method":
        method = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)[
            arg % 4
        ]
    return method


def write_npz(entries: Sequence[NpzEntry], method: int) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", compression=method) as z:
        warnings.simplefilter("ignore")  # "Duplicate name": duplicates are the point
        for e in entries:
            version = e.version if e.version in (1, 2) else 1
            raw = npy_bytes(e.descr, e.fortran, e.shape, e.data, version, e.header)
            if e.version == 3:
                raw = raw[:6] + b"\x03" + raw[7:]
            z.writestr(e.name + ".npy", raw)
    return buf.getvalue()


# -- sources -------------------------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"\s+|//[^\n]*|/\*.*?\*/|#[^\n]*|\"[^\"\n]*\"|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+"
    r"|<<<|>>>|<<=|>>=|<<|>>|[-+*/%&|^!=<>]=|&&|\|\||\+\+|--|\S",
    re.S,
)
KEYWORDS = (
    "__global__ __device__ __host__ __broadcast__ __gkr__ __groth16__ const field int void "
    "for if else return public private out"
).split()
PUNCT = "( ) [ ] { } ; , = == != < <= > >= << >> <<< >>> + - * / % ! && || ? : += -= *= /= ++ --"
NUMBERS = (
    "0 1 2 7 8 31 32 33 63 64 65 127 128 255 256 1024 65535 65536 2147483646 2147483647 "
    "2147483648 4294967295 4294967296 9223372036854775807 9223372036854775808 "
    "18446744073709551616 1000000 10000000 100000000 0x7fffffff 0xffffffffffffffff"
).split()
NUMBERS += ["9" * 77, "0x" + "f" * 64, "9" * 4300, "9" * 4301, "1 << 62", "1 << 64", "-1"]
SOURCE_TOKENS = KEYWORDS + PUNCT.split() + NUMBERS
SOURCE_TOKENS += ["x", "y", "i", "N", "main", "#pragma field m31\n", "#pragma field bn254\n"]
SOURCE_TOKENS += ['#include "x.zkcu"\n', "#include <poseidon.zkcu>\n", "#include <math.zkcu>\n"]
SOURCE_TOKENS += ["#pragma\n", "\u00b2", "\x00", "/*", "*/", "\\"]


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def source_ops(others: Sequence[str]) -> st.SearchStrategy[Op]:
    """One token-level operation on a source (others: seeds a splice may take tokens from)."""
    tok = st.sampled_from(SOURCE_TOKENS)
    choices = [
        st.tuples(st.just("tok-del"), POS, st.integers(1, 8)),
        st.tuples(st.just("tok-dup"), POS, st.integers(1, 16), POS),
        st.tuples(st.just("tok-set"), POS, tok),
        st.tuples(st.just("tok-ins"), POS, tok),
        st.tuples(st.just("tok-num"), POS, st.sampled_from(NUMBERS)),
        st.tuples(st.just("tok-swap"), POS, POS),
        st.tuples(st.just("nest"), POS, st.sampled_from(("{", "(", "[", "-", "!", "+")), POS),
    ]
    if others:
        choices.append(
            st.tuples(st.just("tok-splice"), st.sampled_from(sorted(others)), POS, POS, POS)
        )
    return st.one_of(*choices)


_CLOSE = {"{": "}", "(": ")", "[": "]"}


def apply_source_op(tokens: list[str], op: Op, tokenized: Callable[[str], list[str]]) -> list[str]:
    """The token list with `op` applied; `tokenized(name)` gives another seed's tokens."""
    kind, args = op[0], op[1:]
    t = list(tokens)
    n = len(t)
    if kind == "tok-del" and n:
        i = args[0] % n
        del t[i : i + args[1]]
    elif kind == "tok-dup" and n:
        i, j = args[0] % n, args[2] % (n + 1)
        t[j:j] = t[i : i + args[1]]
    elif kind == "tok-set" and n:
        t[args[0] % n] = args[1]
    elif kind == "tok-ins":
        t.insert(args[0] % (n + 1), " " + args[1] + " ")
    elif kind == "tok-num" and n:
        nums = [i for i, x in enumerate(t) if x[:1].isdigit()]
        if nums:
            t[nums[args[0] % len(nums)]] = args[1]
    elif kind == "tok-swap" and n:
        i, j = args[0] % n, args[1] % n
        t[i], t[j] = t[j], t[i]
    elif kind == "nest" and n:
        i, opener, depth = args[0] % n, args[1], args[2] % 3000 + 1
        close = _CLOSE.get(opener, "")
        t[i] = opener * depth + t[i] + close * depth
    elif kind == "tok-splice":
        other = tokenized(args[0])
        if other:
            i, j = args[1] % (n + 1), args[2] % len(other)
            t[i:i] = other[j : j + args[3] % 64 + 1]
    elif kind == "soup":
        t = list(args[0])
    return t


def source_soup() -> st.SearchStrategy[Op]:
    """A random token soup that replaces the whole seed."""
    return st.tuples(
        st.just("soup"),
        st.lists(st.sampled_from(SOURCE_TOKENS), max_size=120).map(
            lambda xs: tuple(f"{x} " for x in xs)
        ),
    )
