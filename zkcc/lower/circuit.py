"""Kernel IR -> layered circuit for data-parallel GKR.

Linear operations are free in the Expander-style gate set (an output may sum any number of
`add` gates), so the lowering keeps every SSA value as a *linear form* over materialised wires
plus a constant, and spends a layer only on multiplication:

    value = const + sum_w coef_w * wire_w        (wire = (level, index))

`a * b` becomes one new wire one level above its deepest operand wire: the product of the two
forms, expanded into mul gates (u*v), add gates (u*const) and one const gate. When the
expansion would be large, the bigger form is first materialised into a single wire. Operands
below the target level are carried up by relay (identity add) gates, cached per (wire, level).
Every constraint residue becomes one wire of the final (output) layer, multiplied by the
instance's `valid` input (1 on real instances, 0 on the zero-padded ones a launch adds to reach
a power of two), so padding never has to satisfy the kernel's constraints. A kernel that reads
its instance index (`Op.INDEX`) gets one more public input, the `index` segment, holding s on
instance s (padding included).

Parameters are laid out in their *canonical padded layout*: every dimension padded with zeros to
a power of two. A tensor stored the same way (zkcc/ir/layout.py) then has exactly the segment's
table as its multilinear extension, with the instance index as the high bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit
from zkcc.ir.kernel import KernelIR, Op, gc_paused
from zkcc.ir.layout import log2_ceil, padded_index, padded_shape

Wire = tuple[int, int]  # (level, index within level)
EXPAND_LIMIT = 8  # largest |terms(a)| * |terms(b)| expanded directly into mul gates


class LinForm:
    """const + sum coef * wire. `clean` says no coefficient is zero (what `_linear` makes;
    only a product with the constant 0 leaves zeros), so an in-place update need only drop
    the entries it touched."""

    __slots__ = ("terms", "const", "clean")

    def __init__(self, terms: dict[Wire, int], const: int = 0, clean: bool = True):
        self.terms = terms
        self.const = const
        self.clean = clean


def layout_segments(sizes: list[tuple[str, int, int, bool]]) -> tuple[int, list[InputSegment]]:
    """Place (name, real length, padded length, broadcast) segments in the input layer, each
    aligned to its padded power-of-two size; largest first, so the packing has no holes."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i][2])
    offset = 0
    placed: dict[int, InputSegment] = {}
    for i in order:
        name, length, padded, broadcast = sizes[i]
        placed[i] = InputSegment(name, offset, log2_ceil(padded), length, broadcast)
        offset += padded
    return log2_ceil(max(offset, 1)), [placed[i] for i in range(len(sizes))]


@dataclass
class _LayerBuilder:
    count: int = 0
    mul: dict[tuple[int, int, int], int] = field(default_factory=dict)
    add: dict[tuple[int, int], int] = field(default_factory=dict)
    const: dict[int, int] = field(default_factory=dict)


class _CircuitBuilder:
    def __init__(self, p: int, input_width: int):
        self.p = p
        self.levels: list[_LayerBuilder] = [_LayerBuilder(count=input_width)]
        self.relays: dict[tuple[Wire, int], Wire] = {}

    def _level(self, lv: int) -> _LayerBuilder:
        while len(self.levels) <= lv:
            self.levels.append(_LayerBuilder())
        return self.levels[lv]

    def new_wire(self, lv: int) -> Wire:
        layer = self._level(lv)
        layer.count += 1
        return (lv, layer.count - 1)

    def _acc(self, table: dict, key, coef: int) -> None:
        table[key] = (table.get(key, 0) + coef) % self.p

    def relay(self, w: Wire, lv: int) -> Wire:
        """The wire carrying w's value at level lv (>= w's level)."""
        if w[0] == lv:
            return w
        key = (w, lv)
        if key not in self.relays:
            below = self.relay(w, lv - 1)
            out = self.new_wire(lv)
            self._acc(self.levels[lv].add, (out[1], below[1]), 1)
            self.relays[key] = out
        return self.relays[key]

    def emit_linear(self, out: Wire, f: LinForm, scale: int = 1) -> None:
        """Add scale * f into wire `out` using add/const gates reading level out-1."""
        lv = out[0]
        add, p, below, o = self.levels[lv].add, self.p, lv - 1, out[1]
        for w, c in f.terms.items():
            key = (o, w[1] if w[0] == below else self.relay(w, below)[1])
            add[key] = (add.get(key, 0) + c * scale) % p
        if f.const * scale % self.p:
            self._acc(self.levels[lv].const, out[1], f.const * scale)

    def materialise(self, f: LinForm) -> LinForm:
        if len(f.terms) == 1 and f.const == 0 and next(iter(f.terms.values())) == 1:
            return f
        lv = max(f.terms)[0] + 1
        out = self.new_wire(lv)
        self.emit_linear(out, f)
        return LinForm({out: 1})

    def multiply(self, a: LinForm, b: LinForm) -> LinForm:
        if not a.terms or not b.terms:
            k, other = (a.const, b) if not a.terms else (b.const, a)
            return LinForm(
                {w: c * k % self.p for w, c in other.terms.items()},
                other.const * k % self.p,
                other.clean and k % self.p != 0,
            )
        if len(a.terms) * len(b.terms) > EXPAND_LIMIT:
            if len(a.terms) >= len(b.terms):
                a = self.materialise(a)
            else:
                b = self.materialise(b)
            if len(a.terms) * len(b.terms) > EXPAND_LIMIT:
                a, b = self.materialise(a), self.materialise(b)
        lv = max(max(a.terms), max(b.terms))[0] + 1  # tuples: the largest level first
        out = self.new_wire(lv)
        layer = self.levels[lv]
        mul, p, below = layer.mul, self.p, lv - 1
        for u, cu in a.terms.items():
            ru = u[1] if u[0] == below else self.relay(u, below)[1]
            for v, cv in b.terms.items():
                rv = v[1] if v[0] == below else self.relay(v, below)[1]
                key = (out[1], ru, rv) if ru <= rv else (out[1], rv, ru)
                mul[key] = (mul.get(key, 0) + cu * cv) % p
        # the constant parts (their operands' relays already exist: skipping a zero scale
        # changes nothing but the time)
        if b.const % self.p:
            self.emit_linear(out, a, b.const)
        if a.const % self.p:
            self.emit_linear(out, LinForm(b.terms, 0), a.const)
        return LinForm({out: 1})

    def mask_residue(self, out: Wire, r: LinForm, valid: Wire) -> None:
        """out = valid * r: a mul gate (term * valid) per term, an add gate for the constant."""
        lv = out[0]
        layer = self.levels[lv]
        v = self.relay(valid, lv - 1)[1]
        for w, c in r.terms.items():
            u = self.relay(w, lv - 1)[1]
            self._acc(layer.mul, (out[1], min(u, v), max(u, v)), c)
        if r.const:
            self._acc(layer.add, (out[1], v), r.const)

    def finish(
        self, residues: list[LinForm], valid: Wire, segments: list[InputSegment], input_log2: int
    ) -> LayeredCircuit:
        out_lv = len(self.levels)  # a fresh level: the output layer holds residues only
        self._level(out_lv)
        for r in residues:
            self.mask_residue(self.new_wire(out_lv), r, valid)
        layers = []
        for lv in range(1, out_lv + 1):
            b = self._level(lv)
            mul = sorted((k, c) for k, c in b.mul.items() if c)
            add = sorted((k, c) for k, c in b.add.items() if c)
            cst = sorted((k, c) for k, c in b.const.items() if c)
            layers.append(
                Layer(
                    width_log2=log2_ceil(max(b.count, 1)),
                    mul_wires=np.array([k for k, _ in mul], dtype=np.int64).reshape(-1, 3),
                    mul_coef=tuple(c for _, c in mul),
                    add_wires=np.array([k for k, _ in add], dtype=np.int64).reshape(-1, 2),
                    add_coef=tuple(c for _, c in add),
                    const_out=np.array([k for k, _ in cst], dtype=np.int64),
                    const_coef=tuple(c for _, c in cst),
                )
            )
        return LayeredCircuit(input_log2, tuple(segments), tuple(layers))


HINT_SEGMENT = "hints"
VALID_SEGMENT = "valid"  # 1 on real instances, 0 on padding
INDEX_SEGMENT = "index"  # s on instance s, padding included (only in kernels that read it)


def param_segment(name: str) -> str:
    return f"param:{name}"


def lower_kernel(kernel: KernelIR, p: int) -> LayeredCircuit:
    """Lower one kernel's IR (one instance) to a layered circuit whose output layer is the
    vector of constraint residues (zero on a valid witness).

    An ADD or SUB whose first operand has no other use updates that operand's form in place
    (same entries in the same order as a fresh copy): a running sum `acc += x[k] * y[k]`
    then costs one entry per step, not a copy of the whole sum, which keeps lowering linear
    in the kernel's size.
    """
    with gc_paused():
        return _lower(kernel, p)


def _lower(kernel: KernelIR, p: int) -> LayeredCircuit:
    input_log2, segments = layout_segments(input_sizes(kernel))
    builder = _CircuitBuilder(p, 1 << input_log2)
    position = [
        (segments[i].offset + padded_index(prm.shape)).tolist()
        for i, prm in enumerate(kernel.params)
    ]
    instrs = kernel.instrs
    hint_base = segments[len(kernel.params)].offset if kernel.hint_count() else 0
    valid = (0, segments[-1].offset)
    index = LinForm({(0, segments[-2].offset): 1}) if kernel.uses_index() else None
    uses = _use_counts(instrs)

    forms: list[LinForm | None] = []
    append = forms.append
    residues: list[LinForm] = []
    next_hint = 0
    multiply = builder.multiply
    ADD, SUB, MUL = Op.ADD, Op.SUB, Op.MUL  # noqa: N806 - local aliases in the hot loop
    for ins in instrs:
        op, args = ins[0], ins[1]
        if op is MUL:
            append(multiply(forms[args[0]], forms[args[1]]))  # type: ignore[arg-type]
        elif op is ADD or op is SUB:
            a, b = args
            fa = forms[a]
            if uses[a] == 1 and a != b and fa.clean:  # type: ignore[union-attr]
                append(_update(fa, forms[b], 1 if op is ADD else -1, p))  # type: ignore[arg-type]
                forms[a] = None  # its last use: nothing reads it again
            else:
                append(_linear(op, [fa, forms[b]], p))  # type: ignore[list-item]
        elif op is Op.INPUT:
            prm, j = ins[2]  # type: ignore[misc]
            append(LinForm({(0, position[prm][j]): 1}))
        elif op is Op.CONST:
            append(LinForm({}, ins[2]))  # type: ignore[arg-type]
        elif op is Op.INDEX:
            append(LinForm(dict(index.terms)))  # type: ignore[union-attr]
        elif op is Op.HINT:
            append(LinForm({(0, hint_base + next_hint): 1}))
            next_hint += 1
        elif op is Op.NEG:
            append(_linear(op, [forms[args[0]]], p))  # type: ignore[list-item]
        elif op is Op.ASSERT_ZERO:
            residues.append(forms[args[0]])  # type: ignore[arg-type]
            append(None)
        elif op is Op.OUTPUT:
            prm, j = ins[2]  # type: ignore[misc]
            out = LinForm({(0, position[prm][j]): 1})
            residues.append(_linear(Op.SUB, [out, forms[args[0]]], p))  # type: ignore[list-item]
            append(None)
        else:  # pragma: no cover - Op is closed
            raise AssertionError(op)
    return builder.finish(residues, valid, segments, input_log2)


def _use_counts(instrs: list) -> list[int]:
    """How many times each SSA value is read (an argument listed twice counts twice)."""
    flat = np.fromiter(chain.from_iterable(ins[1] for ins in instrs), dtype=np.int64)
    return np.bincount(flat, minlength=len(instrs)).tolist()


def _update(a: LinForm, b: LinForm, sign: int, p: int) -> LinForm:
    """`_linear(ADD or SUB, [a, b])` computed into `a`, which is clean and read nowhere else:
    touched entries keep their place, new ones go at the end, the ones that cancel are
    dropped (and so re-enter at the end if they come back, as in a fresh copy)."""
    terms = a.terms
    get = terms.get
    for w, c in b.terms.items():
        v = (get(w, 0) + sign * c) % p
        if v:
            terms[w] = v
        elif w in terms:
            del terms[w]
    a.const = (a.const + sign * b.const) % p
    return a


def input_sizes(kernel: KernelIR) -> list[tuple[str, int, int, bool]]:
    """The input segments of a kernel's circuit, in order: each parameter in its padded layout,
    the hints (if any), the instance index (if the kernel reads it), then the instance-valid
    flag."""
    sizes = [
        (param_segment(prm.name), prm.size, math.prod(padded_shape(prm.shape)), prm.broadcast)
        for prm in kernel.params
    ]
    h = kernel.hint_count()
    if h:
        sizes.append((HINT_SEGMENT, h, 1 << log2_ceil(h), False))
    if kernel.uses_index():
        sizes.append((INDEX_SEGMENT, 1, 1, False))
    sizes.append((VALID_SEGMENT, 1, 1, False))
    return sizes


def _linear(op: Op, args: list[LinForm], p: int) -> LinForm:
    if op is Op.NEG:
        a = args[0]
        return LinForm({w: -c % p for w, c in a.terms.items()}, -a.const % p, a.clean)
    a, b = args
    sign = 1 if op is Op.ADD else -1
    terms = dict(a.terms)
    for w, c in b.terms.items():
        terms[w] = (terms.get(w, 0) + sign * c) % p
    return LinForm({w: c for w, c in terms.items() if c}, (a.const + sign * b.const) % p)
