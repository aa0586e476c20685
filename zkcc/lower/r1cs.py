"""Kernel IR -> R1CS over all N instances of a launch (Groth16).

Per instance, every SSA value is kept as a *linear form* over wires (wire 0 = the constant one),
so additions, subtractions, negations and constant factors are free; a constraint is spent only on

    MUL a*b (both non-constant)   (a) * (b) = (m)         m a fresh wire
    ASSERT_ZERO v                 (v) * (1) = 0
    OUTPUT(param, j) v            (v - out_j) * (1) = 0,  or, when v is exactly a fresh product m
                                  not yet tied to an output, m *is* the output wire (no row).

The per-instance template is built once from the IR; the launch's R1CS replicates it over the
instances with vectorised index arithmetic. Global wire layout:

    0 | public broadcast params | public split params, instance-major | private broadcast params
      | private per-instance wires (split params, hints, products), instance-major

so the public values are witness[1 : 1 + num_public] in exactly that order. Which params are
public is the caller's choice (`public_params`, param indices).

The instance index (`Op.INDEX`) is no wire: in instance k it is k times the constant one, a
coefficient of wire 0 that the replication scales by k, so it is fixed by the circuit (the
verifying key), not chosen by the prover.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zkcc.backends.groth16.r1cs import R1CS, Sparse
from zkcc.ir.kernel import KernelIR, Op

Form = dict  # local wire -> coefficient; wire 0 carries the constant
INDEX = ("index",)  # the instance index: wire 0 with its coefficient scaled by the instance


def _lin(p: int, a: Form, b: Form, sign: int) -> Form:
    out = dict(a)
    for w, c in b.items():
        out[w] = (out.get(w, 0) + sign * c) % p
    return {w: c for w, c in out.items() if c}


class _Template:
    """One instance's constraints over local wire ids (strings resolved at the end)."""

    def __init__(self, kernel: KernelIR, p: int) -> None:
        self.p = p
        self.rows: list[tuple[Form, Form, Form]] = []
        self.muls: list[tuple[Form, Form]] = []  # defining forms of product wires, in order
        self.alias: dict[int, tuple] = {}  # product index -> output wire key
        self.hint_count = 0
        forms: list[Form | None] = []
        one: Form = {("one",): 1}
        for ins in kernel.instrs:
            f: Form | None = None
            if ins.op is Op.INPUT:
                f = {("param", *ins.attr): 1}  # type: ignore[misc]
            elif ins.op is Op.CONST:
                f = {("one",): ins.attr % p} if ins.attr else {}  # type: ignore[operator]
            elif ins.op is Op.INDEX:
                f = {INDEX: 1}
            elif ins.op is Op.HINT:
                f = {("hint", self.hint_count): 1}
                self.hint_count += 1
            elif ins.op is Op.ADD:
                f = _lin(p, forms[ins.args[0]], forms[ins.args[1]], 1)  # type: ignore[arg-type]
            elif ins.op is Op.SUB:
                f = _lin(p, forms[ins.args[0]], forms[ins.args[1]], -1)  # type: ignore[arg-type]
            elif ins.op is Op.NEG:
                f = _lin(p, {}, forms[ins.args[0]], -1)  # type: ignore[arg-type]
            elif ins.op is Op.MUL:
                f = self._mul(forms[ins.args[0]], forms[ins.args[1]])  # type: ignore[arg-type]
            elif ins.op is Op.ASSERT_ZERO:
                self.rows.append((forms[ins.args[0]], one, {}))  # type: ignore[arg-type]
            elif ins.op is Op.OUTPUT:
                self._output(("param", *ins.attr), forms[ins.args[0]], one)  # type: ignore[misc,arg-type]
            elif ins.op is Op.LOOKUP:  # zkcc.ir.passes.expand_lookups comes first
                raise ValueError("R1CS has no lookups: expand the kernel's lookups first")
            forms.append(f)

    def _mul(self, a: Form, b: Form) -> Form:
        for x, y in ((a, b), (b, a)):
            if set(x) <= {("one",)}:
                k = x.get(("one",), 0)
                return {w: c * k % self.p for w, c in y.items() if c * k % self.p}
        self.muls.append((a, b))
        key = ("mul", len(self.muls) - 1)
        self.rows.append((a, b, {key: 1}))
        return {key: 1}

    def _output(self, out: tuple, v: Form, one: Form) -> None:
        if len(v) == 1:
            ((w, c),) = v.items()
            if w[0] == "mul" and c == 1 and w[1] not in self.alias:
                self.alias[w[1]] = out
                return
        self.rows.append((_lin(self.p, v, {out: 1}, -1), one, {}))


@dataclass
class KernelR1CS:
    """A launch's R1CS, its witness function and where each parameter's elements live."""

    r1cs: R1CS
    witness: Callable  # (args, hints) -> full witness (object array)
    wire_map: dict  # ("param", i, j) -> (base, stride): wire of instance k is base + k * stride
    count: int
    template_constraints: int  # per instance
    template_wires: int  # per instance, products and hints and split params

    def param_wires(self, i: int, size: int, broadcast: bool) -> np.ndarray:
        """Wire indices of param i: (size,) when broadcast, else (count, size) instance-major."""
        pairs = np.asarray([self.wire_map[("param", i, j)] for j in range(size)], np.int64)
        pairs = pairs.reshape(size, 2)
        if broadcast:
            return pairs[:, 0].copy()
        return pairs[None, :, 0] + np.arange(self.count, dtype=np.int64)[:, None] * pairs[:, 1]


def r1cs_from_kernel(kernel: KernelIR, count: int, public_params: set[int], p: int):
    """(R1CS for `count` instances, witness_fn). witness_fn(args, hints) takes args[i] for every
    param i (inputs and outputs: shape (count, size), or (size,) when broadcast) and hints of
    shape (count, hint_count) and returns the full witness vector (object array)."""
    k = build_kernel_r1cs(kernel, count, public_params, p)
    return k.r1cs, k.witness


def build_kernel_r1cs(kernel: KernelIR, count: int, public_params: set[int], p: int) -> KernelR1CS:
    """`r1cs_from_kernel` with the wire map kept (commit-and-prove needs the param wires)."""
    t = _Template(kernel, p)
    params = kernel.params
    bad = [i for i in public_params if not 0 <= i < len(params)]
    if bad or count < 1:
        raise ValueError(f"r1cs_from_kernel: bad public params {bad} or count {count}")

    def pw(i):
        return [("param", i, j) for j in range(params[i].size)]

    groups = [[], [], [], []]  # pub shared, pub inst, priv shared, priv inst
    for i, prm in enumerate(params):
        groups[(0 if i in public_params else 2) + (0 if prm.broadcast else 1)] += pw(i)
    groups[3] += [("hint", k) for k in range(t.hint_count)]
    groups[3] += [("mul", k) for k in range(len(t.muls)) if k not in t.alias]
    local = {("one",): (0, 0)}  # key -> (base, stride)
    base = 1
    for g, keys in enumerate(groups):
        stride = len(keys) if g in (1, 3) else 0
        for k, key in enumerate(keys):
            local[key] = (base + k, stride)
        base += len(keys) * (count if g in (1, 3) else 1)
    for k, out in t.alias.items():
        local[("mul", k)] = local[out]
    num_wires = base
    num_public = len(groups[0]) + count * len(groups[1])
    m = len(t.rows)
    inst = np.arange(count, dtype=np.int64)[:, None]
    mats = []
    for side in range(3):
        rows, bases, strides, coefs, indexed = [], [], [], [], []
        for r, row in enumerate(t.rows):
            for key, c in row[side].items():
                base_, stride = local[key] if key != INDEX else local[("one",)]
                rows.append(r), bases.append(base_), strides.append(stride)
                coefs.append(c), indexed.append(key == INDEX)
        g_rows = inst * m + np.asarray(rows, dtype=np.int64)[None, :]
        g_cols = np.asarray(bases, dtype=np.int64)[None, :] + inst * np.asarray(strides, np.int64)
        g_coefs = np.tile(np.asarray(coefs, dtype=object), (count, 1))
        if any(indexed):  # the index's coefficient times k in instance k
            sel = np.asarray(indexed, dtype=bool)
            g_coefs[:, sel] = g_coefs[:, sel] * inst.astype(object) % p
        g_coefs = g_coefs.reshape(-1)
        mats.append(Sparse.build(g_rows.reshape(-1), g_cols.reshape(-1), g_coefs))
    r1cs = R1CS(num_wires, num_public, m * count, *mats)

    waves = _waves(t)

    def witness_fn(args, hints) -> np.ndarray:
        vals: dict[tuple, np.ndarray] = {
            ("one",): np.ones(count, dtype=object),
            INDEX: np.arange(count).astype(object),
        }
        for i, prm in enumerate(params):
            a = np.asarray(args[i], dtype=object)
            for j in range(prm.size):
                # np.full keeps dtype object: a broadcast Python int would become int64
                vals[("param", i, j)] = (
                    np.full(count, a[j], dtype=object) if prm.broadcast else a[:, j]
                )
        h = np.asarray(hints, dtype=object).reshape(count, t.hint_count)
        for k in range(t.hint_count):
            vals[("hint", k)] = h[:, k]
        for wave in waves:  # products whose operands are all known
            for k in wave:
                fa, fb = t.muls[k]
                vals[("mul", k)] = _eval(fa, vals, p) * _eval(fb, vals, p) % p
        w = np.zeros(num_wires, dtype=object)
        for key, (b, s) in local.items():
            if key in vals and not (key[0] == "mul" and key[1] in t.alias):
                w[b + s * np.arange(count) if s else b] = vals[key] if s else vals[key][0]
        return w

    per_instance = sum(len(g) for g in (groups[1], groups[3]))
    return KernelR1CS(r1cs, witness_fn, local, count, m, per_instance)


def _eval(f: Form, vals, p: int):
    acc = 0
    for w, c in f.items():
        acc = acc + c * vals[w]
    return acc % p


def _waves(t: _Template) -> list[list[int]]:
    depth: dict[int, int] = {}
    out = defaultdict(list)
    for k, (fa, fb) in enumerate(t.muls):
        d = 1 + max((depth[w[1]] for w in (*fa, *fb) if w[0] == "mul"), default=0)
        depth[k] = d
        out[d].append(k)
    return [out[d] for d in sorted(out)]
