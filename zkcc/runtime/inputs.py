"""Reading tensor values: program inputs, and the expected public values `verify --public`
pins. JSON (nested lists of ints, negative ints or decimal strings) or .npz.

An MPI rank of `zkcc prove` reads only its *part* of each input (`load_inputs(..., part)`,
zkcc.runtime.tensors.even_share): an .npz entry is streamed up to where the part ends and only
the part is kept, so no rank ever holds a whole input (a JSON file is parsed whole and cut).
The ranks agree that they read the same file by its digest (`file_digest`).

Every tensor asked for must be given exactly once (a JSON name given twice is refused) with
exactly its shape; values must lie in (-p, p) (an iK tensor's in the type's range, as
written: -5, not p - 5) and are reduced into [0, p). Errors name the file, the tensor and the
position.

A tensor of a fixed-point type `fxK.F` holds real numbers instead: JSON numbers with or
without a fraction or exponent (`1.5`, `-2`, `3e-2`), decimal strings, or an .npz array of
integers or floats. Each is quantised exactly (from the decimal written, not a binary float)
to round(x * 2^F), a tie rounded up (zkcc.ir.types.quantise, the rule of every rescale in a
kernel); NaN, infinities and values whose stored integer does not fit K bits are refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import re
import sys
import tokenize
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from zkcc.errors import UserError
from zkcc.fileio import open_regular, read_bytes, read_upto
from zkcc.ir.host import Program, TensorKind
from zkcc.ir.types import (
    fixed_frac,
    int_type_bits,
    quantise,
    type_range,
    type_range_text,
)

INPUT_KINDS = (TensorKind.PUBLIC_IN, TensorKind.PRIVATE_IN)
MAX_DIGITS = 200  # longer than any field element (BN254's p has 77 digits)
MAX_JSON_DEPTH = 100  # far above any tensor's rank; json's C parser recurses per level
# of a JSON file or stdin: json.loads makes ~20-30 bytes of Python objects per byte of small
# numbers or empty lists (30 MB of "[]," took 808 MB), so large inputs belong in .npz files
MAX_JSON_BYTES = 1 << 28
JSON_SCAN_CHUNK = 1 << 18  # characters of JSON scanned at a time for its depth
MAX_NPY_HEADER = 10_000  # bytes of an .npy header: numpy's own limit (max_header_size)
NPY_LENGTH_FIELD = {(1, 0): 2, (2, 0): 4}  # bytes of an .npy header's length, by version
MAX_NAMES_SHOWN = 5  # names listed in a message about missing or unknown names
MAX_EXPONENT = 1000  # of a real number's decimal exponent: 10^1000 is far outside every type
_DECIMAL = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


@dataclass(frozen=True)
class _Real:
    """A JSON number with a fraction or exponent, or NaN/Infinity, as written (json's
    parse_float / parse_constant): only fixed-point tensors take it, quantised from its text."""

    text: str


def _json_text(v, limit: int = 40) -> str:
    """A parsed JSON value written back as JSON for a message, its real numbers as they were
    written: about `limit` characters at most, then "...", however large the value (only what
    is shown is rendered)."""
    if isinstance(v, _Real):
        text = v.text
    elif isinstance(v, list):
        text = "[" + _joined((_json_text(x, limit) for x in v), limit) + "]"
    elif isinstance(v, dict):
        pairs = (f"{json.dumps(k)}: {_json_text(x, limit)}" for k, x in v.items())
        text = "{" + _joined(pairs, limit) + "}"
    else:
        text = json.dumps(v)
    return text if len(text) <= limit else text[:limit] + "..."


def _joined(parts, limit: int) -> str:
    """ ", ".join(parts), stopping at the first part that takes it past `limit`."""
    out = []
    size = 0
    for part in parts:
        out.append(part)
        size += len(part) + 2
        if size > limit:
            break
    return ", ".join(out)


def _show(v: str, limit: int = 40) -> str:
    """repr(v), shortened: a message must stay one readable line."""
    return repr(v) if len(v) <= limit else repr(v[:limit]) + f"... ({len(v)} characters)"


def _element(v, p: int, where: str, elem: str = "field") -> int:
    """A JSON integer (or decimal string) for a field or iK element, checked as written
    (`_out_of`) and taken mod p."""
    if isinstance(v, _Real):
        raise UserError(
            f"{where}: expected an integer or a decimal string, got {v.text} (real numbers "
            "are for tensors of a fixed-point type fxK.F)"
        )
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise UserError(f"{where}: expected an integer or a decimal string, got {_json_text(v)}")
    if isinstance(v, str):
        text = v.strip()
        body = text[1:] if text[:1] in "+-" else text
        if not (body.isascii() and body.isdigit()):  # not "²": str.isdigit takes it
            raise UserError(f"{where}: {_show(v)} is not a decimal integer")
        if len(body) > MAX_DIGITS:
            raise UserError(f"{where}: {_show(v)} has {len(body)} digits, outside the field")
        v = int(text)
    lo, hi = _written_range(elem, p)
    if not lo <= v <= hi:
        raise UserError(f"{where}: {_out_of(v, elem, p)}")
    return v % p


def _real(v, where: str) -> Fraction:
    """The exact value of a real number given for a fixed-point tensor."""
    if isinstance(v, bool) or not isinstance(v, (int, str, _Real)):
        raise UserError(f"{where}: expected a number, got {_json_text(v)}")
    if isinstance(v, int):
        return Fraction(v)
    text = (v.text if isinstance(v, _Real) else v).strip()
    m = _DECIMAL.fullmatch(text)
    if m is None or not (m.group(1) or m.group(2)):
        what = "is not a finite number" if isinstance(v, _Real) else "is not a decimal number"
        raise UserError(f"{where}: {_show(text)} {what}")
    digits = len(m.group(1)) + len(m.group(2) or "")
    if digits > MAX_DIGITS or abs(int(m.group(3) or 0)) > MAX_EXPONENT:
        raise UserError(f"{where}: {_show(text)} is too long or its exponent too large")
    return Fraction(text)


def _fixed_element(v, bits: int, frac: int, elem: str, p: int, where: str) -> int:
    """The field element storing the real `v` in type `elem` = fxK.F (K = bits, F = frac)."""
    raw = quantise(_real(v, where), frac)
    lo, hi = type_range(bits)
    if not lo <= raw <= hi:
        shown = v.text if isinstance(v, _Real) else str(v)
        raise UserError(
            f"{where}: value {_show(shown)} is out of range for {elem} ({type_range_text(elem)})"
        )
    return raw % p


def _flatten(
    value, shape: tuple[int, ...], p: int, where: str, out: list[int], elem: str = "field"
) -> None:
    if not shape:
        frac = fixed_frac(elem)
        if frac is None:
            out.append(_element(value, p, where, elem))
        else:
            out.append(_fixed_element(value, int_type_bits(elem) or 0, frac, elem, p, where))
        return
    if not isinstance(value, list) or len(value) != shape[0]:
        got = f"a list of {len(value)}" if isinstance(value, list) else _json_text(value)
        raise UserError(f"{where}: expected a list of {shape[0]} items, got {got}")
    for i, item in enumerate(value):
        _flatten(item, shape[1:], p, f"{where}[{i}]", out, elem)


# the flat elements of an n-element tensor that a reader keeps (one MPI rank's share)
Part = Callable[[int], range]
HASH_CHUNK = 1 << 24  # bytes of a file hashed at a time (file_digest)
SKIP_CHUNK = 1 << 20  # bytes of an .npz entry read and dropped at a time, before a part


def load_inputs(
    path: str | Path, program: Program, F, part: Part | None = None
) -> dict[str, np.ndarray]:
    """Input tensor name -> flat field array (row-major): the whole tensor, or with `part`
    its elements part(size) (module docstring). Every value of the part is checked as a whole
    tensor's would be, and an error names its index in the whole tensor."""
    inputs = [t for t in program.host.tensors if t.kind in INPUT_KINDS]
    types = {t.name: t.elem for t in inputs}
    return load_tensors(path, {t.name: t.shape for t in inputs}, F, "inputs", types, part)


def file_digest(path: str | Path, what: str = "inputs") -> bytes:
    """SHA-256 of a file's bytes, read in chunks: what MPI ranks that each read only their
    part of an input file compare, to be sure they read the same file."""
    h = hashlib.sha256()
    with open_regular(path, what) as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
    return h.digest()


def load_tensors(
    path: str | Path,
    wanted: dict[str, tuple[int, ...]],
    F,
    what: str,
    types: dict[str, str] | None = None,
    part: Part | None = None,
) -> dict[str, np.ndarray]:
    """Tensor name -> flat field array (row-major) for exactly the tensors of `wanted` (name ->
    shape), from .json, .npz, or JSON on stdin for the path "-". `types` gives element types
    (absent: field); a fixed-point tensor's values are real numbers, quantised. With `part`,
    each tensor's elements part(size) only (module docstring)."""
    types = types or {}
    path = Path(path)
    try:
        if str(path) == "-":
            raw = _parse_json(path, _read_stdin(what), wanted, what)
        elif path.suffix == ".npz":
            raw = _read_npz(path, wanted, what, types, part)
        else:
            raw = _read_json(path, wanted, what)
    except OSError as e:
        raise UserError(f"{path}: cannot read {what}: {e.strerror or e}") from None
    out = {}
    for name, shape in wanted.items():
        value = raw[name]
        elem = types.get(name, "field")
        size = int(np.prod(shape, dtype=np.int64))
        keep = part(size) if part else range(size)
        if isinstance(value, np.ndarray):  # from _read_npz: names, shapes, dtypes checked
            if fixed_frac(elem) is not None:
                value = _npz_fixed(value, elem, F.p, f"{path}: {name}", shape, keep.start)
            else:
                _check_npz_field(value, F.p, f"{path}: {name}", shape, keep.start, elem)
            out[name] = F.array(value.reshape(-1))  # reduced mod p, negatives included
            continue
        flat: list[int] = []
        _flatten(value, shape, F.p, f"{path}: {name}", flat, elem)
        out[name] = F.array(flat[keep.start : keep.stop])
    return out


def _read_stdin(what: str) -> str:
    """JSON text from stdin, bounded as a JSON file is (`< /dev/zero` is refused, not read
    until memory runs out)."""
    data = read_upto(sys.stdin.buffer, MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise UserError(f"-: {what} on stdin over {MAX_JSON_BYTES} bytes (the JSON limit)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("-: not UTF-8 text") from None


def _npz_fixed(
    a: np.ndarray, elem: str, p: int, where: str, shape: tuple[int, ...], first: int
) -> np.ndarray:
    """The stored integers (signed int64, or Python ints for types over 52 bits) of an .npz
    array of reals for the fixed-point tensor of type `elem`, quantised as JSON values are.
    `a` holds the flat elements from `first` on of a tensor of `shape` (errors name the index
    in the whole tensor).
    Vectorised: for a float y = x * 2^F (exact: a power-of-two scaling) the result is
    floor(y) + [y - floor(y) >= 1/2], all exact below 2^52; floor(y + 1/2) would round
    0.49999999999999994 up. The same results as from the decimal text: a tie is a dyadic
    rational, which a double holds exactly. A bad value is reported by the per-element path."""
    bits, frac = int_type_bits(elem) or 0, fixed_frac(elem) or 0
    lo, hi = type_range(bits)
    flat = a.reshape(-1)
    if bits > 52:
        reals = [_Real(repr(float(x))) if a.dtype.kind == "f" else int(x) for x in flat]
        return np.array([_fixed_element(x, bits, frac, elem, p, where) for x in reals], object)
    if a.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            y = flat.astype(np.float64) * float(1 << frac)
            floor = np.floor(y)
            raw = floor + (y - floor >= 0.5)
            bad = ~np.isfinite(y) | (raw < lo) | (raw > hi)
    else:  # judged before scaling: x * 2^F wraps in int64 from |x| >= 2^(63-F) (2^62 + 1
        # in an fx8.2 tensor was read as 1.0, proved and verified)
        wide = flat.astype(object) if a.dtype.kind == "u" else flat.astype(np.int64)
        bad = (wide < -(-lo >> frac)) | (wide > hi >> frac)
        raw = np.where(bad, 0, wide) * (1 << frac)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        x = flat[j]
        shown = (
            _Real(repr(float(x)) if np.isfinite(x) else str(x)) if a.dtype.kind == "f" else int(x)
        )
        at = _index_text(first + j, shape)
        _fixed_element(shown, bits, frac, elem, p, where + at)  # raises, with its message
    return raw.astype(np.int64)


class _LongNumber(Exception):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _LongNumber
    return int(text)


def _offset_loc(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _check_json_depth(path: Path, text: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before json.loads sees it: its C parser
    recurses once per level, and with the raised recursion limit (the front end's 100000) deep
    input overflows the C stack instead of raising RecursionError."""
    if json_deeper_than(text, MAX_JSON_DEPTH):
        raise UserError(f"{path}: JSON nested more than {MAX_JSON_DEPTH} levels deep")


def json_deeper_than(text: str, most: int) -> bool:
    """Whether the JSON text nests brackets more than `most` deep, its strings skipped (any
    reader of JSON asks this before json.loads: inputs, the machine profile). Scanned
    JSON_SCAN_CHUNK characters at a time, so that its memory does not grow with the input (a
    regex over the whole text took ~120 bytes per byte of it)."""
    carry = (0, 0, 0)
    for start in range(0, len(text), JSON_SCAN_CHUNK):
        chunk = text[start : start + JSON_SCAN_CHUNK].encode("utf-8", "surrogatepass")
        deepest, carry = _scan_depth(np.frombuffer(chunk, dtype=np.uint8), carry)
        if deepest > most:
            return True
    return False


def _scan_depth(b: np.ndarray, carry: tuple[int, int, int]) -> tuple[int, tuple[int, int, int]]:
    """(the deepest bracket nesting in the chunk `b` of JSON, the carry for the next chunk).
    The carry is (backslashes ending the text so far, 1 inside a string, nesting depth).
    A quote preceded by an odd run of backslashes is escaped; brackets between unescaped
    quotes are string contents and do not count (multi-byte UTF-8 never holds ASCII bytes)."""
    run, inside, depth = carry
    at = np.arange(len(b))
    slash = b == ord("\\")
    # the last non-backslash at or before each byte; a run from the last chunk continues
    last = np.maximum.accumulate(np.where(slash, -1 - run, at))
    before = np.concatenate(([-1 - run], last[:-1]))
    escaped = (at - 1 - before) % 2 == 1
    quotes = np.cumsum((b == ord('"')) & ~escaped) + inside
    code = ~escaped & (quotes % 2 == 0)
    opens = code & ((b == ord("[")) | (b == ord("{")))
    closes = code & ((b == ord("]")) | (b == ord("}")))
    levels = depth + np.cumsum(opens.astype(np.int64) - closes)
    carry = (len(b) - 1 - int(last[-1]), int(quotes[-1]) % 2, int(levels[-1]))
    return int(levels.max()), carry


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """object_pairs_hook: a name given twice is refused, not silently overridden."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


class _DuplicateKey(Exception):
    pass


def _read_json(path: Path, wanted: dict, what: str) -> dict:
    try:
        text = read_bytes(path, what, MAX_JSON_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    return _parse_json(path, text, wanted, what)


def _parse_json(path: Path, text: str, wanted: dict, what: str) -> dict:
    _check_json_depth(path, text)
    try:
        data = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_Real,
            parse_constant=_Real,
            object_pairs_hook=_unique_keys,
        )
    except _DuplicateKey as e:
        raise UserError(f"{path}: the name {_show(str(e.args[0]))} is given twice") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
    except _LongNumber:
        m = re.search(rf"-?[0-9]{{{MAX_DIGITS + 1},}}", text)
        at = f"{_offset_loc(text, m.start())}: " if m else " "
        digits = len(m.group().lstrip("-")) if m else MAX_DIGITS + 1
        raise UserError(
            f"{path}:{at}integer with {digits} digits, outside the field "
            f"(at most {MAX_DIGITS} digits)"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object mapping tensor names to values")
    _check_names(path, wanted, data, what)
    return data


def _read_npz(
    path: Path, wanted: dict, what: str, types: dict[str, str], part: Part | None = None
) -> dict:
    """The arrays of an .npz file. Every entry's name, .npy header, dtype and shape are
    checked against the plan's inputs before any array data is decompressed, so a small file
    that inflates to gigabytes (an "npz bomb") is refused unread. With `part`, an entry's flat
    elements part(size) alone, in C order: the bytes before them are read and dropped in
    chunks (decompressing needs them), those after them are not read (a Fortran-order array
    is read whole and cut)."""
    bad = f"{path}: not a valid .npz file"
    try:
        with open_regular(path, what) as fh, zipfile.ZipFile(fh) as z:
            entries = {}
            for info in z.infolist():
                if info.is_dir():
                    continue
                if not info.filename.endswith(".npy"):
                    raise UserError(f"{bad}: entry {info.filename!r} is not a .npy array")
                name = info.filename[: -len(".npy")]
                if name in entries:  # zipfile would silently keep the last
                    raise UserError(f"{path}: entry {_show(info.filename)} appears twice")
                entries[name] = info
            _check_names(path, wanted, entries, what)
            out = {}
            for name, info in entries.items():
                with z.open(info) as f:
                    shape, fortran, dtype = _npy_header(f, name)
                    reals = fixed_frac(types.get(name, "field")) is not None
                    _check_npy(path, name, wanted[name], shape, dtype, reals)
                    count = int(np.prod(shape, dtype=np.int64))
                    keep = range(count) if part is None or fortran else part(count)
                    _skip(f, keep.start * dtype.itemsize)
                    data = f.read(len(keep) * dtype.itemsize)
                    if len(data) != len(keep) * dtype.itemsize:
                        raise UserError(f"{bad}: {name}: array data is truncated")
                a = np.frombuffer(data, dtype=dtype)
                if fortran:
                    a = a.reshape(shape, order="F")
                    if part is not None:
                        keep = part(count)
                        a = a.reshape(-1)[keep.start : keep.stop].copy()
                out[name] = a
            return out
    except UserError:
        raise
    except (
        ValueError,
        EOFError,
        OSError,  # bz2's "Invalid data stream"; open_regular has refused what it cannot open
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        NotImplementedError,
    ) as e:
        raise UserError(f"{bad}: {' '.join(str(e).split())[:200]}") from None


def _skip(f, nbytes: int) -> None:
    """Read and drop `nbytes` of a zip entry (decompressing needs them), SKIP_CHUNK at a time
    (ZipExtFile.seek reads 16 MiB at once and builds its result by concatenation)."""
    while nbytes > 0:
        got = len(f.read(min(SKIP_CHUNK, nbytes)))
        if got == 0:
            return  # truncated: the read of the part says so
        nbytes -= got


def _npy_header(f, name: str):
    """(shape, fortran_order, dtype) from an .npy header, reading nothing past it. The
    header's length is read and checked here, before numpy sees the header: numpy reads a
    header of whatever length its field says (up to 4 GiB in version 2) before applying its
    own limit, so a 1 MB .npz could make it allocate gigabytes."""
    version = np.lib.format.read_magic(f)
    width = NPY_LENGTH_FIELD.get(version)
    if width is None:
        raise ValueError(f"{name}: unsupported .npy format version {version[0]}.{version[1]}")
    field = f.read(width)
    length = int.from_bytes(field, "little")
    if length > MAX_NPY_HEADER:
        raise ValueError(f"{name}: .npy header of {length} bytes (at most {MAX_NPY_HEADER})")
    read = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    try:
        return read(io.BytesIO(field + f.read(length)))
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError):
        raise ValueError(f"{name}: bad .npy header") from None


def _check_names(path: Path, wanted: dict, got, what: str) -> None:
    missing = sorted(set(wanted) - set(got))
    extra = sorted(set(got) - set(wanted))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {what} {_names(missing)}")
        if extra:
            parts.append(f"unknown names {_names(extra)} (expected {_names(sorted(wanted))})")
        raise UserError(f"{path}: " + "; ".join(parts))


def _names(names: list[str]) -> str:
    """A list of names for a message, shortened as `_show` shortens one: the first
    MAX_NAMES_SHOWN and how many more, so that a file of 100,000 unknown names still gets
    one readable line."""
    shown = "[" + ", ".join(_show(n) for n in names[:MAX_NAMES_SHOWN]) + "]"
    more = len(names) - MAX_NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _check_npz_field(
    values: np.ndarray, p: int, where: str, shape: tuple[int, ...], first: int, elem: str
) -> None:
    """The integers of an .npz entry as written, before they are taken mod p: in the field
    as JSON's are (|v| < p: p + 20 is not 20, and a pinned public value p is not 0), and for
    an iK tensor in the type's range (p - 5 is not -5: write -5)."""
    lo, hi = _written_range(elem, p)
    flat = values.reshape(-1)
    info = np.iinfo(flat.dtype)
    if not len(flat) or (info.min >= lo and info.max <= hi):  # no value of the dtype is bad
        return
    bad = (flat < max(lo, info.min)) | (flat > min(hi, info.max))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        at = _index_text(first + j, shape)
        raise UserError(f"{where}{at}: {_out_of(int(flat[j]), elem, p)}")


def _written_range(elem: str, p: int) -> tuple[int, int]:
    """The integers an element of type `elem` may be written as: an iK type's range, else
    anything of absolute value below p."""
    bits = int_type_bits(elem)
    return type_range(bits) if bits is not None else (1 - p, p - 1)


def _out_of(v: int, elem: str, p: int) -> str:
    """What is wrong with the integer `v` written for an element of type `elem`."""
    if int_type_bits(elem) is None:
        return f"value {v} is outside the field (|v| must be below p = {p})"
    lo, hi = _written_range(elem, p)
    return f"value {v} does not fit {elem} ({lo}..{hi})"


def _index_text(flat: int, shape: tuple[int, ...]) -> str:
    """`[i][j]...`: the position of flat element `flat` in a tensor of `shape`."""
    return "".join(f"[{int(i)}]" for i in np.unravel_index(flat, shape)) if shape else ""


def _check_npy(
    path: Path, name: str, expected: tuple, shape: tuple, dtype: np.dtype, reals: bool = False
) -> None:
    """Shape and dtype of an .npz entry: integers, or for a fixed-point tensor (`reals`)
    integers or floats."""
    if tuple(shape) != tuple(expected):
        raise UserError(f"{path}: {name}: shape {list(shape)}, expected {list(expected)}")
    if dtype.kind not in ("iuf" if reals else "iu") or dtype.hasobject:
        kind = "integer or float" if reals else "integer"
        raise UserError(f"{path}: {name}: {kind} array expected, got dtype {dtype}")


def tensors_digest(F, values: dict[str, np.ndarray]) -> bytes:
    """SHA-256 of named tensors' canonical encoding, name by name: what MPI ranks compare to
    be sure they prove the same statement, and the digest `verify` prints of the public
    values it accepted."""
    h = hashlib.sha256()
    for name in sorted(values):
        raw = F.encode(values[name])
        h.update(len(name).to_bytes(4, "little") + name.encode() + len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.digest()
