"""Kernel IR -> layered circuit for data-parallel GKR, vectorised over the whole kernel.

Linear operations are free in the Expander-style gate set (an output may sum any number of
`add` gates), so every value the circuit needs is a *linear form* over wires plus a constant
(zkcc.lower.forms), and a layer is spent only on multiplication:

    value = const + sum_w coef_w * wire_w        (wire = (level, index))

* A product `a * b` (a MUL with no CONST operand; a MUL by a CONST scales a form) is one new
  wire one level above its deepest operand wire: the product of the two forms expanded into
  mul gates (u*v), add gates (u*const) and one const gate. When |terms(a)| * |terms(b)| >
  EXPAND_LIMIT, the bigger form (then, if needed, both) is first *materialised*: one wire,
  one level above its deepest term, holding the form (once per value, shared by its uses).
* Levels are the fixpoint of level = 1 + max(level of the operand wires), found by relaxing
  all products at once (one numpy pass per circuit layer).
* An operand below the level it is read at is carried up by relay (identity add) wires, one
  per level in between; each wire's relays reach the highest level any gate reads it at.
* Every constraint residue becomes one wire of the final (output) layer: its form's terms as
  add gates and its constant as a const gate. The zero-padded instances a launch adds to
  reach a power of two need not satisfy the kernel: the GKR output claim weighs only the
  real ones (`gkr.prove(..., live=count)`: eq(r, s) [s < count]), so no gate multiplies a
  residue by a valid flag. A kernel
  that reads its instance index (`Op.INDEX`) gets one more public input, the `index`
  segment, holding s on instance s (padding included).
* A LOOKUP is checked like an OUTPUT: its key (and value) minus its column of the `lookups`
  input segment (zkcc.ir.lookups) is a residue; the lookup argument proves those columns. A
  hint that a LOOKUP checks (a range check's limb, a table lookup's value) is that column
  instead of an entry of the `hints` segment, and its residue goes
  (`zkcc.ir.kernel.column_hint_checks`).
* Within a level, products and materialised values come first in instruction order, then
  relays in the order of the wires they carry; gates are sorted by (output, inputs) with
  equal gates merged, so the circuit is a function of the IR alone.

Parameters are laid out in their *canonical padded layout*: every dimension padded with zeros to
a power of two. A tensor stored the same way (zkcc/ir/layout.py) then has exactly the segment's
table as its multilinear extension, with the instance index as the high bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, LayeredCircuit
from zkcc.ir.kernel import KernelIR, Op, Param, hint_places, lookup_checks
from zkcc.ir.layout import log2_ceil, padded_index, padded_shape
from zkcc.ir.lookups import LookupLayout
from zkcc.lower.columns import OP_CODES, IRColumns
from zkcc.lower.forms import CONST_KEY, Forms, coef_dtype, expand, linear_forms, reduced
from zkcc.lower.placement import Gates, Residues

EXPAND_LIMIT = 8  # largest |terms(a)| * |terms(b)| expanded directly into mul gates
HINT_SEGMENT = "hints"
LOOKUP_SEGMENT = "lookups"  # the lookup columns (zkcc.ir.lookups)
VALID_SEGMENT = "valid"  # 1 on real instances, 0 on padding
INDEX_SEGMENT = "index"  # s on instance s, padding included (only in kernels that read it)
_C = {op: OP_CODES[op] for op in Op}


def param_segment(name: str) -> str:
    return f"param:{name}"


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


def input_sizes(
    params: list[Param], hints: int, uses_index: bool, lookups: int = 0
) -> list[tuple[str, int, int, bool]]:
    """The input segments of a kernel's circuit, in order: each parameter in its padded layout,
    the hints (if any), the lookup columns (if any), the instance index (if the kernel reads
    it)."""
    sizes = [
        (param_segment(prm.name), prm.size, math.prod(padded_shape(prm.shape)), prm.broadcast)
        for prm in params
    ]
    if hints:
        sizes.append((HINT_SEGMENT, hints, 1 << log2_ceil(hints), False))
    if lookups:
        sizes.append((LOOKUP_SEGMENT, lookups, lookups, False))
    if uses_index:
        sizes.append((INDEX_SEGMENT, 1, 1, False))
    return sizes


class LevelsRejected(ValueError):
    """A levels certificate that is not the circuit's levels (the plan reader reports it)."""


@dataclass(frozen=True, eq=False)
class Lowered:
    """A kernel's layered circuit and its *levels certificate*: the level of each product
    (a MUL with no CONST operand), in instruction order. The certificate is what a plan
    stores so that loading checks the levels in one pass instead of finding them in one
    pass per layer; it is a function of the IR, so it adds nothing a plan could choose."""

    circuit: LayeredCircuit
    levels: np.ndarray


def lower_kernel(kernel: KernelIR, p: int, columns: IRColumns | None = None) -> LayeredCircuit:
    """Lower one kernel's IR (one instance) to a layered circuit whose output layer is the
    vector of constraint residues (zero on a valid witness). `columns` are the kernel's
    instructions as columns when the caller has them (a plan reader does)."""
    return lower(kernel, p, columns).circuit


def lower(
    kernel: KernelIR,
    p: int,
    columns: IRColumns | None = None,
    certificate: np.ndarray | None = None,
) -> Lowered:
    """`lower_kernel`, with the levels certificate. Given a `certificate` (a plan's), the
    levels are checked, not searched for: each product's level must be 1 + the highest level of the
    wires it reads, or LevelsRejected is raised. Those equations have one solution over the
    acyclic reads of SSA code, so a checked certificate gives the same circuit as none."""
    cols = IRColumns.of(kernel) if columns is None else columns
    rel = _relation(kernel.params, cols, p, kernel.tables)
    # the wiring starts once the instruction-sized arrays of `_relation` are freed: its own
    # reuse their memory (fresh pages cost about a third of a large kernel's lowering)
    wiring = _Wiring(
        rel.forms, rel.product, rel.left, rel.right, 1 << rel.input_log2, p, certificate
    )
    circuit = wiring.circuit(
        rel.checked,
        rel.is_out,
        rel.out_wire,
        rel.segments,
        rel.input_log2,
    )
    return Lowered(circuit, wiring.level[wiring.prod_wire])


@dataclass(frozen=True, eq=False)
class _Relation:
    """What the wiring reads of a kernel: the forms of the values it needs, each product's
    operands (values, in instruction order), the checked values (each sink's, then each
    LOOKUP's key and value) with the wire each one is compared with where it is an output or
    a lookup column, and the input layout."""

    forms: Forms
    product: np.ndarray  # the instruction index of each product
    left: np.ndarray
    right: np.ndarray
    checked: np.ndarray
    is_out: np.ndarray
    out_wire: np.ndarray
    segments: list[InputSegment]
    input_log2: int


def _relation(params: list[Param], cols: IRColumns, p: int, tables: list) -> _Relation:
    codes = cols.codes
    n = len(codes)
    a, b, c = (np.ascontiguousarray(cols.operands[:, k]) for k in range(3))
    dt = coef_dtype(p)
    is_hint, is_index = codes == _C[Op.HINT], codes == _C[Op.INDEX]
    lookup = np.flatnonzero(codes == _C[Op.LOOKUP])
    lookups = LookupLayout.of_tables(c[lookup], tables)
    lookup_operands = cols.operands[lookup]
    checks = lookup_checks(lookup_operands)
    by_column, segment_hint = hint_places(is_hint, lookup_operands)
    input_log2, segments = layout_segments(
        input_sizes(params, int(segment_hint.sum()), bool(is_index.any()), lookups.width)
    )
    is_const = codes == _C[Op.CONST]
    const_val = np.zeros(n, dtype=dt)
    const_val[is_const] = np.array(cols.consts, dtype=dt)[a[is_const]] if cols.consts else 0
    mul = codes == _C[Op.MUL]
    muls = np.flatnonzero(mul)
    by_const = is_const[a[muls]] | is_const[b[muls]]
    product = muls[~by_const]
    scale = np.zeros(n, dtype=bool)
    scale[muls[by_const]] = True
    w0 = 1 << input_log2
    n_prod = len(product)

    # atoms: their wire (or the constant) as a form's entry
    atom_key = np.full(n, CONST_KEY, dtype=np.int64)
    atom_coef = np.where(is_const, const_val, np.ones(n, dtype=dt))
    positions = [segments[i].offset + padded_index(prm.shape) for i, prm in enumerate(params)]
    table = np.concatenate([*positions, np.zeros(1, np.int64)])
    base = np.concatenate([[0], np.cumsum([len(x) for x in positions])]).astype(np.int64)
    is_input = codes == _C[Op.INPUT]
    atom_key[is_input] = table[base[a[is_input]] + b[is_input]]
    if segment_hint.any():
        at = next(s.offset for s in segments if s.name == HINT_SEGMENT)
        atom_key[segment_hint] = at + np.arange(int(segment_hint.sum()))
    if is_index.any():
        atom_key[is_index] = next(s.offset for s in segments if s.name == INDEX_SEGMENT)
    atom_key[product] = w0 + np.arange(n_prod)

    edges, linear = _linear_edges(codes, a, b, scale, is_const, const_val, p)
    value_a = ~(is_const | is_input | is_index)
    value_b = (codes == _C[Op.ADD]) | (codes == _C[Op.SUB]) | mul
    sinks = np.flatnonzero((codes == _C[Op.ASSERT_ZERO]) | (codes == _C[Op.OUTPUT]))
    out_wire = np.zeros(len(sinks), dtype=np.int64)
    is_out = codes[sinks] == _C[Op.OUTPUT]
    so = sinks[is_out]
    out_wire[is_out] = table[base[b[so]] + c[so]]
    checked = a[sinks]
    if len(lookup):  # key (and value) - its lookup column, like an OUTPUT
        at = next(s.offset for s in segments if s.name == LOOKUP_SEGMENT)
        has_value = lookups.value_column >= 0
        columns = at + np.concatenate([lookups.key_column, lookups.value_column[has_value]])
        atom_key[checks[by_column]] = columns[by_column]  # these hints are their columns
        kept = np.ones(len(columns), dtype=bool)
        kept[by_column] = False
        checked = np.concatenate([checked, checks[kept]])
        out_wire = np.concatenate([out_wire, columns[kept]])
        is_out = np.concatenate([is_out, np.ones(int(kept.sum()), dtype=bool)])
    value_b = value_b | ((codes == _C[Op.LOOKUP]) & (b >= 0))
    uses = np.bincount(a[value_a], minlength=n)
    uses += np.bincount(b[value_b], minlength=n)
    left, right = a[product], b[product]
    wanted = np.concatenate([left, right, checked])
    forms = linear_forms(n, edges, linear, uses, atom_key, atom_coef, wanted, p)
    return _Relation(forms, product, left, right, checked, is_out, out_wire, segments, input_log2)


def _linear_edges(
    codes: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    scale: np.ndarray,
    is_const: np.ndarray,
    const_val: np.ndarray,
    p: int,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """(parent, child, coefficient) of every linear value's arguments, and the linear mask.
    ADD: a + b; SUB: a - b; NEG: -a; a scaling MUL: the non-CONST operand (or a, when both
    are) times the other's value."""
    dt = const_val.dtype
    add, sub, neg = (codes == _C[op] for op in (Op.ADD, Op.SUB, Op.NEG))
    two = np.flatnonzero(add | sub)
    one = np.flatnonzero(neg)
    sc = np.flatnonzero(scale)
    b_const = is_const[b[sc]]
    sc_child = np.where(b_const, a[sc], b[sc])
    sc_coef = np.where(b_const, const_val[b[sc]], const_val[a[sc]])
    parent = np.concatenate([two, two, one, sc])
    child = np.concatenate([a[two], b[two], a[one], sc_child])
    coef = np.concatenate(
        [
            np.ones(len(two), dtype=dt),
            _signs(sub[two], dt),
            np.full(len(one), -1, dtype=dt),
            sc_coef.astype(dt),
        ]
    )
    return (parent, child, coef), add | sub | neg | scale


class _Wiring:
    """Levels, relays and gates of one kernel's circuit, from the forms of its values.

    Wires have global ids: the input layer's 0..w0-1, then one per product (w0 + k, in
    instruction order), then one per materialised value."""

    def __init__(
        self,
        forms: Forms,
        product: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
        w0: int,
        p: int,
        certificate: np.ndarray | None = None,
    ):
        """`product`: the products' instruction indices; `left`, `right`: their operands;
        `certificate`: the products' levels to check (`lower`), or None to find them."""
        self.forms, self.w0, self.p = forms, w0, p
        m = len(left)
        self.ra, self.rb = forms.rows(left), forms.rows(right)
        sa, sb = forms.size[self.ra], forms.size[self.rb]
        big = sa * sb > EXPAND_LIMIT
        ma, mb = big & (sa >= sb), big & (sa < sb)
        both = np.where(ma, 1, sa) * np.where(mb, 1, sb) > EXPAND_LIMIT
        self.ma, self.mb = ma | both, mb | both
        self.mat_rows = np.flatnonzero(
            np.bincount(
                np.concatenate([self.ra[self.ma], self.rb[self.mb]]), minlength=len(forms.nodes)
            )
        )
        self.mat_wire = np.full(len(forms.nodes), -1, dtype=np.int64)
        self.mat_wire[self.mat_rows] = w0 + m + np.arange(len(self.mat_rows))
        self.prod_wire = w0 + np.arange(m)
        # ordering keys within a level: products and materialised values by instruction
        self.keys = np.concatenate([product * 2 + 1, forms.nodes[self.mat_rows] * 2])
        src, dst = self._reads()
        if certificate is None:
            self.level = self._levels(src, dst)
        else:
            self.level = self._checked_levels(src, dst, certificate)

    def _reads(self) -> tuple[np.ndarray, np.ndarray]:
        """(src, dst): computed wire src is read by wire dst (a product reads its operands'
        form wires, or a materialised operand's wire; a materialised value its form's)."""
        f, w0 = self.forms, self.w0
        mat = self.mat_wire
        u, v = [], []
        for rows, wires in (
            (self.ra[~self.ma], self.prod_wire[~self.ma]),
            (self.rb[~self.mb], self.prod_wire[~self.mb]),
            (self.mat_rows, mat[self.mat_rows]),
        ):
            row, pos = expand(f.start[rows], f.size[rows])
            u.append(f.wires[pos])
            v.append(wires[row])
        u += [mat[self.ra[self.ma]], mat[self.rb[self.mb]]]
        v += [self.prod_wire[self.ma], self.prod_wire[self.mb]]
        src, dst = np.concatenate(u), np.concatenate(v)
        computed = src >= w0
        return src[computed], dst[computed]

    @property
    def wires(self) -> int:
        return self.w0 + len(self.prod_wire) + len(self.mat_rows)

    def _checked_levels(self, src: np.ndarray, dst: np.ndarray, products: np.ndarray) -> np.ndarray:
        """Each wire's level from the products' certified levels, or LevelsRejected. A
        materialised wire reads only inputs and products, so its level follows from theirs;
        then every computed wire's level must be 1 + the highest it reads (one pass)."""
        w0, m = self.w0, len(self.prod_wire)
        if products.shape != (m,):
            raise LevelsRejected(f"{len(products):,} levels for {m:,} products")
        level = np.zeros(self.wires, dtype=np.int64)
        level[w0 : w0 + m] = products
        into_mat = dst >= w0 + m
        top = np.zeros(self.wires, dtype=np.int64)
        np.maximum.at(top, dst[into_mat], level[src[into_mat]])
        level[w0 + m :] = top[w0 + m :] + 1
        top[:] = 0
        np.maximum.at(top, dst, level[src])
        wrong = np.flatnonzero(top[w0:] + 1 != level[w0:])
        if len(wrong):
            k = int(wrong[0])
            what = f"product {k:,}" if k < m else f"materialised value {k - m:,}"
            raise LevelsRejected(
                f"{what} is at level {int(level[w0 + k]):,}, but the wires it reads put it at "
                f"{int(top[w0 + k]) + 1:,}"
            )
        return level

    def _levels(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Each wire's level: 0 for inputs, else 1 + the highest level among the wires of
        the forms it reads. Found in topological passes (Kahn's algorithm, a whole frontier
        per numpy pass): a wire is placed once every computed wire it reads is. A deep
        circuit pays these passes once per level (merkle: 1,439), so each is a few numpy
        calls on the frontier's readers (CSR), with no sort or search; a plan's reader
        checks a certificate instead (`_checked_levels`)."""
        w0, n = self.w0, self.wires
        dst = dst[np.argsort(src, kind="stable")]  # the wires each wire is read by, CSR
        readers = np.bincount(src, minlength=n)
        first = np.cumsum(readers) - readers
        level = np.zeros(n, dtype=np.int64)
        waiting = np.bincount(dst, minlength=n)
        frontier = np.flatnonzero(waiting[w0:] == 0) + w0
        last = np.zeros(n, dtype=np.int64)  # scratch: the last position of a wire in `ready`
        lv = 1
        # pass lv places exactly the wires of level lv: a wire's last operand is placed in
        # the pass of the level below its own, so no level needs a max, only a count
        while len(frontier):
            level[frontier] = lv
            lv += 1
            count = readers[frontier]  # the frontier's readers, without `expand`'s checks
            at = np.repeat(first[frontier] - np.cumsum(count) + count, count)
            at += np.arange(len(at))
            reached = dst[at]
            np.subtract.at(waiting, reached, 1)
            ready = reached[waiting[reached] == 0]
            seq = np.arange(len(ready))
            last[ready] = seq
            frontier = ready[last[ready] == seq]  # each wire once
        return level

    def _operand(self, rows: np.ndarray, mat: np.ndarray) -> tuple[np.ndarray, ...]:
        """The forms the products read on one side: (slot of each term, wire, coef) and each
        slot's constant (a materialised operand is its wire, coefficient 1)."""
        f = self.forms
        count = np.where(mat, 1, f.size[rows])
        first = np.cumsum(count)
        first -= count
        slot, src = expand(f.start[rows], count)
        if not mat.any():  # no materialised operand (the common case): terms only
            return slot, f.wires[src], f.coefs[src], f.const[rows], first, count
        from_mat = mat[slot]
        safe = np.where(from_mat, 0, src)
        wire = np.where(from_mat, self.mat_wire[rows][slot], f.wires[safe] if len(f.wires) else 0)
        coef = np.where(from_mat, 1, f.coefs[safe] if len(f.coefs) else 0).astype(f.coefs.dtype)
        const = np.where(mat, 0, f.const[rows]).astype(f.const.dtype)
        return slot, wire, coef, const, first, count

    def circuit(
        self,
        sink_values: np.ndarray,
        is_out: np.ndarray,
        out_wire: np.ndarray,
        segments: list[InputSegment],
        input_log2: int,
    ) -> LayeredCircuit:
        gates, residues = self._gates(sink_values, is_out, out_wire)
        return gates.build(self.keys, residues, segments, input_log2)

    def _gates(
        self, sink_values: np.ndarray, is_out: np.ndarray, out_wire: np.ndarray
    ) -> tuple[Gates, Residues]:
        """Every gate with global wire ids, and the residues (placed by `Gates.build` once
        the operand arrays here are freed)."""
        f, p = self.forms, self.p
        dt = f.coefs.dtype
        gates = Gates(p, self.level)
        # products: every pair of terms, then each side's terms times the other's constant
        sa, wa, ca, ka, fa, na = self._operand(self.ra, self.ma)
        sb, wb, cb, kb, fb, nb = self._operand(self.rb, self.mb)
        pairs = na * nb
        if bool(np.all(pairs == 1)):  # products of two terms (most): one pair each
            pk, ia, ib = np.arange(len(na)), fa, fb
        else:
            pk = np.repeat(np.arange(len(na)), pairs)
            q = np.arange(len(pk)) - (np.cumsum(pairs) - pairs)[pk]
            ia, ib = fa[pk] + q // nb[pk], fb[pk] + q % nb[pk]
        gates.mul(self.prod_wire[pk], wa[ia], wb[ib], reduced(ca[ia] * cb[ib], p))
        for slot, wire, coef, other in ((sa, wa, ca, kb), (sb, wb, cb, ka)):
            live = other[slot] != 0  # most products have no constant part
            slot = slot[live]
            gates.add(self.prod_wire[slot], wire[live], reduced(coef[live] * other[slot], p))
        gates.const(self.prod_wire, reduced(ka * kb, p))
        # materialised values: add gates from their terms
        mr = self.mat_rows
        slot, src = expand(f.start[mr], f.size[mr])
        gates.add(self.mat_wire[mr][slot], f.wires[src], f.coefs[src])
        gates.const(self.mat_wire[mr], f.const[mr])
        # residues: the form for ASSERT_ZERO, out - form for OUTPUT (the out wire after the
        # form's terms, so that the residues' gates come in order and need no sort)
        rr = f.rows(sink_values)
        start, size = f.start[rr], f.size[rr]
        res, src = expand(start, size + is_out)
        tail = is_out[res] & (src == (start + size)[res])  # an OUTPUT's out wire
        sign = _signs(is_out, dt)
        safe = np.where(tail, 0, src) if len(f.wires) else np.zeros(len(src), np.int64)
        wires = f.wires[safe] if len(f.wires) else safe
        terms = f.coefs[safe] * sign[res] if len(f.coefs) else np.zeros(len(src), dt)
        residues = Residues(
            res,
            np.where(tail, out_wire[res], wires),
            reduced(np.where(tail, 1, terms).astype(dt, copy=False), p),
            reduced(f.const[rr] * sign, p),
        )
        return gates, residues


def _signs(negative: np.ndarray, dt: np.dtype) -> np.ndarray:
    """-1 where `negative`, else 1, in the coefficient type."""
    out = np.ones(len(negative), dtype=dt)
    out[negative] = -1
    return out
