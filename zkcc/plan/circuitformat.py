"""Serialisation of layered circuits inside plan files, with every wire index range-checked."""

from __future__ import annotations

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit
from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError

MAX_LOG2 = 40


def _coefs(F, coefs: tuple[int, ...]) -> bytes:
    return F.encode(F.array(list(coefs))) if coefs else b""


def circuit_to_tree(F, c: LayeredCircuit) -> Tree:
    return {
        "input_log2": c.input_log2,
        "segments": [[s.name, s.offset, s.size_log2, s.length, s.broadcast] for s in c.segments],
        "layers": [
            {
                "width_log2": ly.width_log2,
                "mul": ly.mul_wires.astype("<i8").tobytes(),
                "mul_coef": _coefs(F, ly.mul_coef),
                "add": ly.add_wires.astype("<i8").tobytes(),
                "add_coef": _coefs(F, ly.add_coef),
                "const": ly.const_out.astype("<i8").tobytes(),
                "const_coef": _coefs(F, ly.const_coef),
            }
            for ly in c.layers
        ],
    }


def _wires(s: Schema, cols: int, bounds: tuple[int, ...]) -> np.ndarray:
    raw = s.bytes()
    if len(raw) % (8 * cols):
        raise FormatError(f"{s.path}: length {len(raw)} is not a multiple of {8 * cols}")
    w = np.frombuffer(raw, dtype="<i8").reshape(-1, cols).astype(np.int64)
    for j, bound in enumerate(bounds):
        if len(w) and (w[:, j].min() < 0 or w[:, j].max() >= bound):
            raise FormatError(f"{s.path}: wire index out of range [0, {bound})")
    return w


def _coef_tuple(F, s: Schema, count: int) -> tuple[int, ...]:
    raw = s.bytes(length=count * F.byte_len)
    return tuple(int(v) for v in F.to_ints(F.decode(raw, count))) if count else ()


def circuit_from_tree(F, s: Schema) -> LayeredCircuit:
    s.dict({"input_log2", "segments", "layers"})
    input_log2 = s.field("input_log2").int(0, MAX_LOG2)
    segments = []
    for seg in s.field("segments").list(0, 1 << 16):
        name, off, k, length, bc = seg.list(5, 5)
        k_ = k.int(0, input_log2)
        o = off.int(0, (1 << input_log2) - (1 << k_))
        if o % (1 << k_):
            raise FormatError(f"{seg.path}: segment offset {o} is not aligned to 2^{k_}")
        segments.append(InputSegment(name.str(), o, k_, length.int(0, 1 << k_), bc.bool()))
    layers = []
    prev = input_log2
    for ls in s.field("layers").list(1, 1 << 16):
        ls.dict({"width_log2", "mul", "mul_coef", "add", "add_coef", "const", "const_coef"})
        w = ls.field("width_log2").int(0, MAX_LOG2)
        out_n, in_n = 1 << w, 1 << prev
        mul = _wires(ls.field("mul"), 3, (out_n, in_n, in_n))
        add = _wires(ls.field("add"), 2, (out_n, in_n))
        cst = _wires(ls.field("const"), 1, (out_n,)).reshape(-1)
        layers.append(
            Layer(
                w,
                mul,
                _coef_tuple(F, ls.field("mul_coef"), len(mul)),
                add,
                _coef_tuple(F, ls.field("add_coef"), len(add)),
                cst,
                _coef_tuple(F, ls.field("const_coef"), len(cst)),
            )
        )
        prev = w
    return LayeredCircuit(input_log2, tuple(segments), tuple(layers))
