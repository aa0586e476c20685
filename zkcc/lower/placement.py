"""Placing a layered circuit's gates: relays, wire numbers within levels, merged gates.

The lowering (zkcc.lower.circuit) names wires by global ids (the input layer's, then the
computed ones) and knows each one's level; a gate reads level L - 1 and writes level L. Here:

* each wire is carried up, by relay (identity add) wires one per level, to the highest level
  any gate reads it from;
* wires are numbered within their level: computed wires in the order of their keys, then
  relays in the order of the wires they carry;
* gates are sorted by (output, inputs), equal ones merged, zero ones dropped, and split into
  `Layer`s; the output layer holds one residue per constraint, the top level's wires
  inlined into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit
from zkcc.lower.forms import combine, expand, reduced


@dataclass(frozen=True, eq=False)
class Residues:
    """The output layer: residue out[i] gets coef[i] * wire[i]; residue r gets const[r]."""

    out: np.ndarray
    wire: np.ndarray
    coef: np.ndarray
    const: np.ndarray


class Gates:
    """Gates collected with global wire ids, then placed: relays added, wires numbered within
    their level, gate inputs read at the level below their output, equal gates merged.
    `build` runs once: it lets go of the collected gates as it places them."""

    def __init__(self, p: int, level: np.ndarray):
        self.p, self.level = p, level
        self.muls: list[tuple[np.ndarray, ...]] = []
        self.adds: list[tuple[np.ndarray, ...]] = []
        self.consts: list[tuple[np.ndarray, ...]] = []

    def mul(self, out: np.ndarray, u: np.ndarray, v: np.ndarray, coef: np.ndarray) -> None:
        self.muls.append(_nonzero(coef, out, u, v, coef))

    def add(self, out: np.ndarray, u: np.ndarray, coef: np.ndarray) -> None:
        self.adds.append(_nonzero(coef, out, u, coef))

    def const(self, out: np.ndarray, coef: np.ndarray) -> None:
        self.consts.append(_nonzero(coef, out, coef))

    def build(
        self,
        keys: np.ndarray,
        res: Residues,
        segments: list[InputSegment],
        input_log2: int,
    ) -> LayeredCircuit:
        level, p = self.level, self.p
        w0 = 1 << input_log2
        top = int(level[w0:].max(initial=0))  # the highest computed level (0: none)
        out_lv = max(top, 1)
        mo, mu, mv, mc = _joined(self.muls)
        ao, au, ac = _joined(self.adds)
        co, cc = _joined(self.consts)
        self.muls, self.adds, self.consts = [], [], []  # their memory is reused from here
        ml, al, cl = level[mo], level[ao], level[co]
        # relays: each wire is carried up to the highest level read from; the residues read
        # the level below the output
        lower = level[res.wire] < top if top else np.ones(len(res.wire), dtype=bool)
        need = level.copy()
        for u, lv in ((mu, ml), (mv, ml), (au, al), (res.wire[lower], out_lv)):
            far = level[u] < lv - 1  # read above the level after its own: relayed
            if far.any():
                np.maximum.at(need, u[far], lv - 1 if np.ndim(lv) == 0 else lv[far] - 1)
        computed_lv = level[w0:].copy()
        if top:  # the top level's wires are not numbered (inlined into the residues below)
            computed_lv[computed_lv == top] = out_lv + 1
        own, computed = _computed_numbering(w0, computed_lv, keys, out_lv + 2)
        relays = _Relays(level, need, computed, own)
        width = computed + relays.width
        width[0] = w0
        width[out_lv] = len(res.const)
        wmax = int(width.max()) + 1
        at_level = relays.at_level
        # Gate keys: mul (out, min, max); add (out, in); const (out). A residue is a linear
        # form of wires and a constant. The prover's output claim weighs only real instances
        # (gkr.prove's `live`), so no gate multiplies a residue by a valid flag, and the top
        # level's wires, which only residues read (nothing is above them), are inlined: their
        # gates write the residues directly (times the residue's coefficient), one level lower
        # than a layer of residues above them would.
        out_m, out_a, out_c = ml * wmax + own[mo], al * wmax + own[ao], cl * wmax + own[co]
        if top:
            onto = _Inline(res.out[~lower], res.wire[~lower], res.coef[~lower], p, top, wmax)
            out_m, ml, mc, (mu, mv) = onto.retarget(mo, out_m, ml, mc, (mu, mv))
            out_a, al, ac, (au,) = onto.retarget(ao, out_a, al, ac, (au,))
            out_c, cl, cc, _ = onto.retarget(co, out_c, cl, cc, ())
        mu_i, mv_i = at_level(mu, ml - 1), at_level(mv, ml - 1)
        a_out = np.concatenate([out_a, out_lv * wmax + res.out[lower]])
        a_in = np.concatenate(
            [at_level(au, al - 1), at_level(res.wire[lower], np.full(int(lower.sum()), out_lv - 1))]
        )
        a_coef = np.concatenate([ac, res.coef[lower]])
        c_out = np.concatenate([out_c, out_lv * wmax + np.arange(len(res.const))])
        c_coef = np.concatenate([cc, res.const])
        muls = combine(out_m, np.minimum(mu_i, mv_i) * wmax + np.maximum(mu_i, mv_i), mc, p)
        adds = combine(a_out, a_in, a_coef, p)
        consts = combine(c_out, np.zeros(len(c_out), np.int64), c_coef, p)
        mul = _by_level(muls, out_lv, wmax, lambda out, k: (out, k // wmax, k % wmax))
        add = relays.merged(adds, out_lv, wmax)
        const = _by_level(consts, out_lv, wmax, lambda out, k: (out,))
        return LayeredCircuit(
            input_log2, tuple(segments), _layers(width[1 : out_lv + 1], mul, add, const)
        )


def _computed_numbering(
    w0: int, lv: np.ndarray, keys: np.ndarray, levels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each wire's index within its level (an input's is its own id; computed wires, at
    levels `lv`, come in the order of their keys) and how many computed wires each level
    has."""
    order = np.argsort(lv * (int(keys.max(initial=0)) + 1) + keys, kind="stable")
    width = np.bincount(lv, minlength=levels)
    own = np.arange(w0 + len(lv), dtype=np.int64)
    own[w0 + order] = np.arange(len(order)) - (np.cumsum(width) - width)[lv[order]]
    return own, width


class _Relays:
    """The relay wires: wire w carried from its level up to `need[w]`, one relay per level
    in between, numbered within each level after the `computed` wires there, in the order
    of the wires they carry (`own`: each wire's index within its own level). Relays are
    listed by source, then level (as `expand` makes them), and found through `base`: wire
    w's relay at level level[w] + d is relay base[w] + d - 1. Their gates are kept by level
    (`lv`, `out`, `below`: level, index and input's index at the level below), the order
    the layers list them in."""

    def __init__(self, level: np.ndarray, need: np.ndarray, computed: np.ndarray, own: np.ndarray):
        self.level, self.own = level, own
        carried = np.flatnonzero(need > level)
        rise = need[carried] - level[carried]
        self.base = np.zeros(len(level), dtype=np.int64)
        self.base[carried] = np.cumsum(rise) - rise
        src, pos = expand(np.zeros(len(carried), np.int64), rise)
        src = carried[src]
        lv = level[src] + 1 + pos
        # by level, each level's relays by source: one stable sort on the level alone
        order = _stable_by(lv, len(computed))
        self.width = np.bincount(lv, minlength=len(computed))
        self.lv = lv[order]
        self.out = np.arange(len(order)) - (np.cumsum(self.width) - self.width)[self.lv]
        self.out += computed[self.lv]
        self.idx = np.empty(len(order), dtype=np.int64)
        self.idx[order] = self.out
        below = np.empty(len(order), dtype=np.int64)  # the relay one level down, or the wire
        below[1:] = self.idx[:-1]
        starts = pos == 0
        below[starts] = own[src[starts]]
        self.below = below[order]

    def at_level(self, u: np.ndarray, lv: np.ndarray) -> np.ndarray:
        """The index of wire u (or of its relay) at level lv."""
        d = lv - self.level[u]
        if not d.any():
            return self.own[u]
        # d > 0 only on a relayed wire; where d == 0 the index read (base - 1) is unused
        relayed = self.idx[self.base[u] + d - 1]
        return np.where(d == 0, self.own[u], relayed)

    def merged(self, adds: tuple[np.ndarray, ...], out_lv: int, wmax: int) -> _Sorted:
        """The add gates (level * wmax + out, in, coef), sorted and merged, with the relays'
        identity gates placed among them: a relay writes a wire of its own, numbered after
        the level's computed wires, so a level's relay gates follow its other add gates in
        relay order, and nothing needs a sort."""
        owner, key, coef = adds
        gate_lv = owner // wmax
        gates = np.bincount(gate_lv, minlength=out_lv + 1)[: out_lv + 1]
        relays = self.width[: out_lv + 1]
        bounds = np.cumsum(gates + relays)
        start = bounds - gates - relays
        at_gate = np.arange(len(owner)) + (start - (np.cumsum(gates) - gates))[gate_lv]
        at_relay = np.arange(len(self.lv))
        at_relay += (start + gates - (np.cumsum(relays) - relays))[self.lv]
        out, inp = np.empty((2, len(owner) + len(self.lv)), dtype=np.int64)
        out[at_gate], inp[at_gate] = owner % wmax, key
        out[at_relay], inp[at_relay] = self.out, self.below
        coefs = np.ones(len(out), dtype=coef.dtype)
        coefs[at_gate] = coef
        return _Sorted(np.stack([out, inp], axis=1), coefs, bounds.tolist())


def _stable_by(values: np.ndarray, bound: int) -> np.ndarray:
    """A stable sort's permutation of non-negative `values` below `bound`: on 16-bit
    values numpy sorts by radix, in linear time."""
    if bound <= 1 << 16:
        values = values.astype(np.uint16)
    return np.argsort(values, kind="stable")


def _layers(width: np.ndarray, mul: _Sorted, add: _Sorted, const: _Sorted) -> tuple[Layer, ...]:
    """The layers 1..len(width), each holding its level's gates, its width rounded up to a
    power of two."""
    width_log2 = np.frexp(np.maximum(width, 1) - 1)[1].tolist()  # exponent = bit length
    return tuple(
        Layer.stored(w, mw, mc, aw, ac, cw[:, 0], cc)  # combine's coefficient arrays
        for w, (mw, mc), (aw, ac), (cw, cc) in zip(
            width_log2, mul.split(), add.split(), const.split(), strict=True
        )
    )


class _Inline:
    """The residue terms on top-level wires, sorted by wire, to be written at `level` (the
    top level, which becomes the output layer); `wmax` bounds a level's width in gate keys."""

    def __init__(
        self, res_out: np.ndarray, wire: np.ndarray, coef: np.ndarray, p: int, level: int, wmax: int
    ):
        order = np.argsort(wire, kind="stable")
        self.out, self.wire, self.coef = res_out[order], wire[order], coef[order]
        self.p, self.level, self.wmax = p, level, wmax

    def retarget(
        self,
        writes: np.ndarray,
        key: np.ndarray,
        lv: np.ndarray,
        coef: np.ndarray,
        inputs: tuple[np.ndarray, ...],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        """One kind of gate (the wire each writes, its output key and level, coefficient and
        input wires) with each top-level gate replaced by one copy per residue term on its
        wire: that residue's key at the output level, the coefficients multiplied."""
        keep = lv < self.level
        lo = np.searchsorted(self.wire, writes, side="left")
        hi = np.searchsorted(self.wire, writes, side="right")
        hi[keep] = lo[keep]  # only top-level gates are copied
        gate, term = expand(lo, hi - lo)
        return (
            np.concatenate([key[keep], self.level * self.wmax + self.out[term]]),
            np.concatenate([lv[keep], np.full(len(gate), self.level)]),
            np.concatenate([coef[keep], reduced(coef[gate] * self.coef[term], self.p)]),
            tuple(np.concatenate([x[keep], x[gate]]) for x in inputs),
        )


def _joined(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Each column of gates collected in parts, in one array (a single part as it is)."""
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))


def _nonzero(coef: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The gates (columns) with a nonzero coefficient: a zero one would only be carried to
    the merge and dropped there (after relaying its input for nothing)."""
    live = coef != 0
    return columns if live.all() else tuple(x[live] for x in columns)


@dataclass(frozen=True)
class _Sorted:
    """One kind of gate for all levels: the gates of level lv are rows
    bounds[lv - 1]:bounds[lv] of `wires` (columns: output, then inputs) and of `coefs`."""

    wires: np.ndarray
    coefs: np.ndarray
    bounds: list[int]

    def split(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each level's (wires, coefficients), from level 1 up: views, not copies."""
        w, c = self.wires, self.coefs
        return [(w[lo:hi], c[lo:hi]) for lo, hi in pairwise(self.bounds)]


def _by_level(gates: tuple[np.ndarray, ...], out_lv: int, wmax: int, columns: Callable) -> _Sorted:
    """Gates (level * wmax + out, key, coef), sorted by the first column, as a `_Sorted`
    whose wire columns `columns(out, key)` gives."""
    owner, key, coef = gates
    bounds = np.searchsorted(owner, np.arange(1, out_lv + 2) * wmax).tolist()
    wires = np.stack(columns(owner % wmax, key), axis=1).astype(np.int64, copy=False)
    return _Sorted(wires, coef, bounds)
