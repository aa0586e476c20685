"""Lookups of a zero-knowledge GKR launch: LogUp with committed inverses, every part hiding.

The fractional-sum GKR of zkcc/runtime/lookups.py sends layer values that are sums over the
keys. A zero-knowledge plan proves the same identity [Haböck 2022, "Multivariate lookups based
on logarithmic derivatives", Lemma 5]

    sum_{real (instance, site)} 1 / (alpha - enc(key, value)) = sum_j m_j / (alpha - enc(row_j))

with enc(key, value) = key + gamma value (gamma = u, the QM31 generator, for m31: injective on
base-field pairs with no challenge, and a sparse product; the drawn beta over bn254; enc(key)
= key on a range table) from parts that are already hiding: committed tables,
zero-knowledge GKR and linked claims. The inverses are committed, as in Haböck's original
LogUp, in a second commitment round:

1. Round 1 commits the lookup tensor and the counts with every other private table.
2. alpha and beta are drawn (`draw`), then round 2 commits, per launch (`witness`):
   * the *inverses* h, (count, H): for block b, site s and extension component c,
     h[i, o_b + c 2^a + s] = component c of [s real] / (alpha - enc(key, value)), where a is
     the block's site bits and o_b its offset (`InverseLayout`);
   * per table, g, (2^bits, d): g[j, c] = component c of m_j / (alpha - enc(row_j));
   * the mask tables of the check circuits below.
3. The launch's step proof, after its kernel's GKR, proves with zero-knowledge GKR one check
   circuit of depth one per side, whose every output must vanish on every instance, padding
   included:
   * queries (one instance per launch instance, padded ones too): per block, site and
     component, r = (h (alpha - enc))_c - [c = 0][s real] valid;
   * each table (16 rows per instance): r = g_c - m_j w_c, with the weights
     w_j = 1 / (alpha - enc(row_j)) a public input that the verifier computes itself.
   alpha - enc = alpha - key - gamma value is affine in the base values key and value, so a
   product by it is linear in h with constant coefficients (the product by alpha: 16 add
   gates in the power basis, 7 in the basis 1, alpha, alpha^2, alpha^3 in which a range
   table's inverses are committed, `AlphaBasis`), plus the products h_i key (d mul gates)
   and, on a map table, h_i value weighed by gamma's matrix (5 mul gates for u; 1 over
   bn254): 12 gates per m31 range lookup, 26 per map lookup, one layer.
4. The sums: a challenge point z of log2(d) coordinates weighs the components (eq(z, c)),
   and one linked relation per table says that the block's query sum equals the table's,
   a cube's sum being 2^k times its multilinear extension at (1/2, ..., 1/2):

       2^(a + n) h~(1/2^a, z, bits of o_b, 1/2^n) - 2^bits g~(z, 1/2^bits) = 0.

Soundness. The check circuits force h = [real] / (alpha - enc) wherever alpha - enc != 0,
so the padded sites and instances, which the kernel's circuit leaves free, add nothing to
the sum; alpha - enc = 0 for a committed pair (chosen before alpha) has probability
1/|E| per entry, and so does alpha - enc(row_j) = 0 (`zkcc.analysis.soundness`). Then the
relation is LogUp's identity, with the error of Lemma 5 [(N_q + N_t) / |E|], the components'
weighing (log2(d) / |E|) and the check circuits' GKR errors.

Zero knowledge. h and g are committed like any private table (hiding Ligero), both check
proofs are zero-knowledge GKR proofs whose claims on the lookup tensor, h, g and the counts
are linked, and the sum relation's total is 0: the verifier learns nothing it did not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zkcc.backends import gkr
from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field.mle import mle_evaluate
from zkcc.ir.layout import log2_ceil
from zkcc.ir.lookups import Block
from zkcc.lower.circuit import LOOKUP_SEGMENT, VALID_SEGMENT, layout_segments
from zkcc.runtime.claims import (
    Claim,
    Link,
    TensorInfo,
    counts_tensor,
    lookup_tensor,
    valid_mle,
    valid_tensor,
    zk_launches,
)
from zkcc.runtime.hiding import HidingCircuit
from zkcc.runtime.layout import TableLayout, extend_point, launch_layout
from zkcc.runtime.lookups import LaunchLookups, table_rows
from zkcc.runtime.tensors import TensorStore

LABEL = "logup-zk"
INVERSES_SEGMENT = "inverses"
COUNTS_SEGMENT = "counts"
WEIGHTS_SEGMENT = "weights"
# A table check instance checks 2^TABLE_ROWS_LOG2 rows: one row each would make the input
# mask segment (4d values) most of its input layer (a 16-bit ReLU's 2^15-row table, one run:
# 1.05 s at one row per instance, 0.62 s at 4, 0.58 s at 8, 0.51 s at 16)
TABLE_ROWS_LOG2 = 4


def inverses_tensor(step: int, table: int | None = None) -> str:
    """A zero-knowledge launch's query inverses h, or (`table`) a table's g."""
    return f"inverses@{step}" if table is None else f"inverses@{step}/{table}"


def check_name(table: int | None) -> str:
    """A check circuit's name: its key in the step proof, its tensors' suffix."""
    return "queries" if table is None else f"table{table}"


def check_mask_tensor(step: int, table: int | None = None) -> str:
    return f"zkmask@{step}/{check_name(table)}"


def check_reduction_tensor(step: int, table: int | None = None) -> str:
    return f"zkrmask@{step}/{check_name(table)}"


def check_input_mask_tensor(step: int, table: int | None = None) -> str:
    return f"zkin@{step}/{check_name(table)}"


def weights_tensor(step: int, table: int) -> str:
    """A table's weights 1 / (alpha - enc(row_j)), (2^bits, d), as its check circuit reads
    them: public, computed by both sides from the plan and alpha, never committed or sent."""
    return f"weights@{step}/{table}"


@dataclass(frozen=True)
class InverseLayout:
    """Where each used block's inverses sit in a row of h: d 2^a columns per block, largest
    first, so each starts at a multiple of its size."""

    offsets: dict[int, int]  # table -> first column
    width: int  # a power of two

    @staticmethod
    def of(blocks: list[Block], d: int) -> InverseLayout:
        offsets, end = {}, 0
        for b in sorted(blocks, key=lambda b: (-b.site_log2, b.table)):
            offsets[b.table] = end
            end += d << b.site_log2
        return InverseLayout(offsets, 1 << log2_ceil(end))


def ext_matrix(F, c: Any) -> np.ndarray:
    """M with M[j, i] = component j of u^i * c: the product by the extension scalar c as a
    linear map on components (Python ints)."""
    d = F.ext.degree
    basis = F.array(np.eye(d, dtype=np.int64))
    return np.array(F.to_ints(F.ext.mul(basis, c)), dtype=object).reshape(d, d)


def _inverse_mod(m: list[list[int]], p: int) -> list[list[int]] | None:
    """m^-1 mod p by Gauss-Jordan elimination (None when m is singular)."""
    n = len(m)
    a = [[x % p for x in row] + [int(i == j) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col]), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        inv = pow(a[col][col], p - 2, p)
        a[col] = [x * inv % p for x in a[col]]
        for r in range(n):
            if r != col and a[r][col]:
                f = a[r][col]
                a[r] = [(x - f * y) % p for x, y in zip(a[r], a[col], strict=True)]
    return [row[n:] for row in a]


@dataclass(frozen=True)
class AlphaBasis:
    """Coordinates in the basis 1, alpha, .., alpha^(d-1) of E, in which the product by
    alpha is a companion matrix: d - 1 ones below the diagonal and alpha^d's coordinates in
    the last column, 2d - 1 entries (7 for QM31) where the power basis of u has d^2 (16). A
    range table's inverses are committed in it (the check's product by alpha is 7 add
    gates); `of` gives None over bn254 (d = 1: nothing to gain) and, with probability
    about p^-2, when alpha lies in a proper subfield (then the power basis serves)."""

    to_alpha: list[list[int]]  # power-basis coordinates -> alpha-basis coordinates
    top: list[int]  # alpha^d in the alpha basis

    @staticmethod
    def of(F, alpha) -> AlphaBasis | None:
        E, p, d = F.ext, F.p, F.ext.degree
        if d == 1:
            return None
        powers = [E.one()]
        for _ in range(d):
            powers.append(E.mul(powers[-1], alpha))
        columns = [[int(x) for x in F.to_ints(q)] for q in powers]
        to_alpha = _inverse_mod([[columns[i][j] for i in range(d)] for j in range(d)], p)
        if to_alpha is None:
            return None
        top = [sum(r * x for r, x in zip(row, columns[d], strict=True)) % p for row in to_alpha]
        return AlphaBasis(to_alpha, top)

    def product_by_alpha(self) -> list[tuple[int, int, int]]:
        """(output component j, input component i, coefficient) of the product by alpha."""
        d = len(self.top)
        return [(j, j - 1, 1) for j in range(1, d)] + [
            (j, d - 1, t) for j, t in enumerate(self.top)
        ]

    def coordinates(self, F, x: np.ndarray) -> np.ndarray:
        """An extension array (d, ...) in power-basis components, in the alpha basis."""
        out = F.zeros(x.shape)
        for j, row in enumerate(self.to_alpha):
            for k, c in enumerate(row):
                if c:
                    out[j] = F.add(out[j], F.mul(x[k], F.array(c)))
        return out


def power_products(F, c: Any) -> list[tuple[int, int, int]]:
    """(j, i, coefficient) of the product by the extension scalar c in the power basis."""
    m = ext_matrix(F, c)
    d = F.ext.degree
    return [(j, i, int(m[j, i])) for j in range(d) for i in range(d)]


@dataclass(frozen=True)
class _Sites:
    """The wires of S check sites: out and inv (S, d), key (S,), value (S,) or None, num (S,)
    (-1 where the numerator is 0)."""

    out: np.ndarray
    inv: np.ndarray
    key: np.ndarray
    value: np.ndarray | None
    num: np.ndarray


def _check_layer(F, sites: _Sites, width_log2: int, by_alpha: list, gamma, is_map: bool) -> Layer:
    """r_c = (inv (alpha - key - gamma value))_c - [c = 0] num at every site: inv alpha is
    one add gate per entry of `by_alpha` (its (j, i, coefficient) in inv's basis: 16 in the
    power basis, 7 in the alpha basis), inv key d products, and on a map table (power basis)
    inv gamma value one product per non-zero entry of gamma's matrix (5 for u in QM31)."""
    p, d = F.p, F.ext.degree
    n = len(sites.key)
    mul, mul_coef, add, add_coef = [], [], [], []
    for j, i, c in by_alpha:
        add.append(np.stack([sites.out[:, j], sites.inv[:, i]], axis=1))
        add_coef += [c] * n
    for j in range(d):  # the product by key is -key on each component
        mul.append(np.stack([sites.out[:, j], sites.inv[:, j], sites.key], axis=1))
        mul_coef += [p - 1] * n
    if is_map:
        for j, i, c in power_products(F, gamma):
            if d == 1 or c:  # u's zeros are fixed; beta's are not
                mul.append(np.stack([sites.out[:, j], sites.inv[:, i], sites.value], axis=1))
                mul_coef += [(p - c) % p] * n
    real = sites.num >= 0
    add.append(np.stack([sites.out[real, 0], sites.num[real]], axis=1))
    add_coef += [p - 1] * int(real.sum())
    return Layer(
        width_log2,
        np.concatenate(mul).astype(np.int64),
        tuple(mul_coef),
        np.concatenate(add).astype(np.int64),
        tuple(add_coef),
        np.zeros(0, dtype=np.int64),
        (),
    )


@dataclass(frozen=True, eq=False)
class HiddenLookups:
    """The lookups of one zero-knowledge GKR launch: round-2 tensors, check circuits, sums.
    `draw` fixes alpha and beta (both sides), after which the check circuits exist."""

    F: Any
    lookups: LaunchLookups
    kernel: str
    d: int
    inverses: InverseLayout
    challenges: dict  # "alpha", "beta" once drawn

    @staticmethod
    def of(F, lookups: LaunchLookups, kernel: str) -> HiddenLookups:
        d = F.ext.degree
        return HiddenLookups(F, lookups, kernel, d, InverseLayout.of(lookups.layout.used(), d), {})

    @property
    def step(self) -> int:
        return self.lookups.step

    def used(self) -> list[Block]:
        return self.lookups.layout.used()

    # -- structure ------------------------------------------------------------------------------
    def _query_circuit(self, F, alpha, gamma) -> tuple[LayeredCircuit, dict]:
        basis = self._basis()
        lk, n = self.lookups, self.lookups.count
        width, h = lk.layout.width, self.inverses.width
        input_log2, segs = layout_segments(
            [(LOOKUP_SEGMENT, width, width, False), (INVERSES_SEGMENT, h, h, False)]
            + [(VALID_SEGMENT, 1, 1, False)]
        )
        at = {s.name: s.offset for s in segs}
        layers = []
        for b in self.used():
            a = 1 << b.site_log2
            s = np.arange(a, dtype=np.int64)
            cols = self.inverses.offsets[b.table] + s[:, None] + a * np.arange(self.d)[None, :]
            sites = _Sites(
                cols,
                at[INVERSES_SEGMENT] + cols,
                at[LOOKUP_SEGMENT] + b.offset + s,
                at[LOOKUP_SEGMENT] + b.offset + a + s if b.components == 2 else None,
                np.where(s < b.sites, at[VALID_SEGMENT], -1),
            )
            is_map = lk.tables[b.table].is_map
            in_alpha = basis is not None and not is_map
            by_alpha = basis.product_by_alpha() if in_alpha else power_products(F, alpha)  # type: ignore[union-attr]
            layers.append(_check_layer(F, sites, log2_ceil(h), by_alpha, gamma, is_map))
        layer = _merged(layers)
        sources = {
            LOOKUP_SEGMENT: (lookup_tensor(self.step), launch_layout(n, (width,), False)),
            INVERSES_SEGMENT: (inverses_tensor(self.step), launch_layout(n, (h,), False)),
            VALID_SEGMENT: (valid_tensor(self.step), launch_layout(n, (1,), False)),
        }
        return LayeredCircuit(input_log2, tuple(segs), (layer,)), sources

    def _table_log2(self, b: Block) -> tuple[int, int]:
        """(log2 of the table check's instances, of the rows each one checks)."""
        bits = self.lookups.tables[b.table].bits
        r = min(TABLE_ROWS_LOG2, bits)
        return bits - r, r

    def _table_circuit(self, b: Block) -> tuple[LayeredCircuit, dict]:
        """g_c - m w_c = 0 on every row, 2^r rows per instance: the weights
        w = 1 / (alpha - enc(row)) are public."""
        d, p = self.d, self.F.p
        n_log2, r = self._table_log2(b)
        rows, width = 1 << r, d << r
        sizes = [(COUNTS_SEGMENT, rows, rows, False), (INVERSES_SEGMENT, width, width, False)]
        input_log2, segs = layout_segments([*sizes, (WEIGHTS_SEGMENT, width, width, False)])
        at = {s.name: s.offset for s in segs}
        out = np.arange(width, dtype=np.int64)  # row k's component c at k d + c
        row = out // d
        layer = Layer(
            log2_ceil(width),
            np.stack([out, at[COUNTS_SEGMENT] + row, at[WEIGHTS_SEGMENT] + out], axis=1),
            (p - 1,) * width,
            np.stack([out, at[INVERSES_SEGMENT] + out], axis=1),
            (1,) * width,
            np.zeros(0, dtype=np.int64),
            (),
        )
        count = 1 << n_log2
        sources = {
            COUNTS_SEGMENT: (counts_tensor(self.step, b.table), TableLayout((count, rows))),
            INVERSES_SEGMENT: (inverses_tensor(self.step, b.table), TableLayout((count, width))),
            WEIGHTS_SEGMENT: (weights_tensor(self.step, b.table), TableLayout((count, width))),
        }
        return LayeredCircuit(input_log2, tuple(segs), (layer,)), sources

    def checks(self) -> list[tuple[int | None, HidingCircuit, dict]]:
        """(None for the queries or a table number, the hiding circuit, its sources); with the
        drawn challenges once `draw` ran, else with zero coefficients (the same shapes)."""
        F = self.F
        out = []
        circuit, sources = self._query_circuit(F, self._alpha(), self._gamma())
        out.append((None, circuit, sources, self.lookups.n_log2))
        for b in self.used():
            circuit, sources = self._table_circuit(b)
            out.append((b.table, circuit, sources, self._table_log2(b)[0]))
        return [
            (
                t,
                HidingCircuit.of(
                    F,
                    c,
                    n,
                    check_mask_tensor(self.step, t),
                    check_reduction_tensor(self.step, t),
                    check_input_mask_tensor(self.step, t),
                ),
                s,
            )
            for t, c, s, n in out
        ]

    def tensors(self) -> list[TensorInfo]:
        """The round-2 tensors: h, each table's g, and the check circuits' mask tables."""
        lk = self.lookups
        out = [TensorInfo(inverses_tensor(self.step), (lk.count, self.inverses.width), False)]
        for b in self.used():
            rows = 1 << lk.tables[b.table].bits
            out.append(TensorInfo(inverses_tensor(self.step, b.table), (rows, self.d), False))
        for _, hc, _ in self.checks():
            out += hc.tensors()
        return out

    def claim_counts(self) -> dict[str, int]:
        """The evaluation claims on each tensor: two per segment of each check circuit, those
        on its mask tables (HidingCircuit.claim_counts), and one per table on h and on its g
        (the sums)."""
        out: dict[str, int] = {}
        for _, hc, sources in self.checks():
            for tensor in [t for t, _ in sources.values()] * 2:
                out[tensor] = out.get(tensor, 0) + 1
            for tensor, k in hc.claim_counts().items():
                out[tensor] = out.get(tensor, 0) + k
        for b in self.used():
            for tensor in (inverses_tensor(self.step), inverses_tensor(self.step, b.table)):
                out[tensor] = out.get(tensor, 0) + 1
        return out

    def reads(self) -> list[str]:
        out = [inverses_tensor(self.step)] + [
            inverses_tensor(self.step, b.table) for b in self.used()
        ]
        out += [weights_tensor(self.step, b.table) for b in self.used()]
        for t in [None, *(b.table for b in self.used())]:
            out += [check_mask_tensor(self.step, t), check_reduction_tensor(self.step, t)]
        return out

    # -- round 2 --------------------------------------------------------------------------------
    def draw(self, tr) -> None:
        ab = tr.challenge_exts(f"{LABEL}/{self.step}/challenges", self.F, 2)
        self.challenges["alpha"], self.challenges["beta"] = ab[:, 0].copy(), ab[:, 1].copy()

    def _alpha(self) -> Any:
        """The drawn alpha; before `draw` (the plan's shapes and the cost model) a stand-in
        that generates E, so that the circuits have the drawn one's gates."""
        E = self.F.ext
        return self.challenges.get("alpha", E.zeros() if E.degree == 1 else self._gamma())

    def _basis(self) -> AlphaBasis | None:
        """The alpha basis of range tables' inverses (AlphaBasis; None: the power basis)."""
        return AlphaBasis.of(self.F, self._alpha())

    def _in_basis(self, table: int, x: np.ndarray) -> np.ndarray:
        """A table's inverses or weights (d, ...) in the basis its block is committed in."""
        basis = self._basis()
        if basis is None or self.lookups.tables[table].is_map:
            return x
        return basis.coordinates(self.F, x)

    def _gamma(self) -> Any:
        """The map tables' compression enc(key, value) = key + gamma value: u, the QM31
        generator, where the extension has degree 4 (injective on base-field pairs, since u is
        not in F_p, and sparse: its matrix has 5 non-zero entries); over bn254 (degree 1) the
        drawn beta (a collision is one more root of the LogUp identity in (alpha, beta))."""
        E = self.F.ext
        if E.degree == 1:
            return self.challenges.get("beta", E.zeros())
        return E.scalar([0, 1] + [0] * (E.degree - 2))

    def _enc(self, keys, values) -> Any:
        """key + gamma value (a range table's: key) as an extension array."""
        E = self.F.ext
        enc = E.from_base(keys)
        return enc if values is None else E.add(enc, E.mul(E.from_base(values), self._gamma()))

    def witness(self, ctx) -> None:
        """h (this rank's instances' rows), each table's g (whole) and the check circuits'
        masks, into ctx.data (after `draw`)."""
        F = ctx.F
        E, lk = F.ext, self.lookups
        alpha = self.challenges["alpha"]
        columns = ctx.data.local(lookup_tensor(self.step)).reshape(-1, lk.layout.width)
        rows = columns.shape[0]
        h = F.zeros((rows, self.inverses.width))
        for b in self.used():
            a = 1 << b.site_log2
            block = columns[:, b.offset : b.offset + b.size].reshape(rows, b.components, a)
            enc = self._enc(block[:, 0], block[:, 1] if b.components == 2 else None)
            inv = self._in_basis(b.table, E.inv(E.sub(alpha, enc)))  # (d, count, a)
            inv[:, :, b.sites :] = 0
            o = self.inverses.offsets[b.table]
            h[:, o : o + self.d * a] = inv.transpose(1, 0, 2).reshape(rows, self.d * a)
            m = lk.counts_layout(b).table(F, ctx.data.local(counts_tensor(self.step, b.table)))
            weights = self._weights(b.table)  # also the table check's public segment
            ctx.data.put(weights_tensor(self.step, b.table), weights)
            g = F.mul(weights.reshape(-1, self.d), m[:, None])
            ctx.data.put(inverses_tensor(self.step, b.table), g.reshape(-1))
        first = ctx.data.held(lookup_tensor(self.step)).start // lk.layout.width
        width = self.inverses.width
        ctx.data.share(inverses_tensor(self.step), lk.count * width, first * width, h.reshape(-1))
        for t, hc, _ in self.checks():
            hc.draw(ctx, f"{LABEL}/{self.step}/{check_name(t)}/masks")

    def _weights(self, table: int) -> np.ndarray:
        """1 / (alpha - enc(row_j)) for every row j (padded rows repeat row 0), (2^bits, d),
        in the table's basis."""
        F = self.F
        enc = self._enc(*table_rows(F, self.lookups.tables[table]))
        w = F.ext.inv(F.ext.sub(self.challenges["alpha"], enc))
        return self._in_basis(table, w).T.reshape(-1).copy()

    def _public_value(self, F, c: Claim, weights: dict[str, np.ndarray]) -> Any:
        """The value of a claim on a public tensor a check reads: the valid flags', or a
        table's weights' (`weights`, by tensor, computed once from the plan and alpha)."""
        if c.tensor == valid_tensor(self.step):
            return valid_mle(F, self.lookups.count, c.point)
        return mle_evaluate(F, weights[c.tensor], c.point)

    def _public(self) -> set[str]:
        return {valid_tensor(self.step)} | {weights_tensor(self.step, b.table) for b in self.used()}

    # -- proof ----------------------------------------------------------------------------------
    def _sum_points(self, F, tr) -> dict[int, tuple[list, list]]:
        """Per used table: the points of its sum claims on h and on g."""
        E, lk = F.ext, self.lookups
        z = tr.challenge_exts(f"{LABEL}/{self.step}/components", F, log2_ceil(self.d))
        z = [z[:, j].copy() for j in range(z.shape[1])]
        half = E.inv(E.from_base(F.array(2)))
        width_log2 = log2_ceil(self.inverses.width)
        out = {}
        for b in self.used():
            low = b.site_log2 + len(z)
            o = self.inverses.offsets[b.table]
            bits = [(o >> j) & 1 for j in range(low, width_log2)]
            h_point = extend_point(F, [half] * b.site_log2 + z, bits) + [half] * lk.n_log2
            out[b.table] = (h_point, z + [half] * lk.tables[b.table].bits)
        return out

    def _sum_claims(self, F, points: dict, values: TensorStore | None) -> list[Claim]:
        """The linked relation per table: 2^(a + n) h~ - 2^bits g~ = 0."""
        E, lk = F.ext, self.lookups
        out = []
        for b in self.used():
            h_point, g_point = points[b.table]
            rel = f"{LABEL}/{self.step:08d}/sum/{b.table}"
            zero = E.zeros()
            scale_h = E.from_base(F.array(pow(2, b.site_log2 + lk.n_log2, F.p)))
            scale_g = E.neg(E.from_base(F.array(pow(2, lk.tables[b.table].bits, F.p))))
            where = f"launch {self.step} ({self.kernel}) lookups in table {b.table}, sums"
            rows = 1 << lk.tables[b.table].bits
            for tensor, layout, point, scale in (
                (
                    inverses_tensor(self.step),
                    TableLayout((lk.count, self.inverses.width)),
                    h_point,
                    scale_h,
                ),
                (
                    inverses_tensor(self.step, b.table),
                    TableLayout((rows, self.d)),
                    g_point,
                    scale_g,
                ),
            ):
                value = None if values is None else values.mle(tensor, layout, point)
                out.append(Claim(tensor, layout, point, value, where, Link(rel, scale, zero)))
        return out

    def prove(self, ctx, tr) -> tuple[Tree, list[Claim]]:
        from zkcc.runtime.steps import prove_circuit  # steps imports this module

        F = ctx.F
        points = self._sum_points(F, tr)
        trees, claims = {}, []
        for t, hc, sources in self.checks():
            what = f"launch {self.step} ({self.kernel}) lookup check, {check_name(t)}"
            sources = hc.with_input_mask(F, sources)
            proof, seg = prove_circuit(ctx, hc.circuit, hc.n_log2, sources, ctx.data, tr, hc, what)
            trees[check_name(t)] = proof.to_tree()
            claims += self._linked(F, hc, seg, sources, t, lambda c: c.value)
        return trees, claims + self._sum_claims(F, points, ctx.data)

    def verify(self, v, ss: Schema, tr) -> list[Claim]:
        F = v.F
        points = self._sum_points(F, tr)
        checks = self.checks()
        ss.dict({check_name(t) for t, _, _ in checks})
        weights = {weights_tensor(self.step, b.table): self._weights(b.table) for b in self.used()}
        claims = []
        for t, hc, sources in checks:
            proof = gkr.GKRProof.from_tree(
                ss.field(check_name(t)), F, hc.circuit, hc.n_log2, hc.layout
            )
            try:
                seg = gkr.verify(F, hc.circuit, hc.n_log2, proof, tr, zk=hc.layout)
            except ProofRejected as e:
                raise ProofRejected(
                    f"launch {self.step} ({self.kernel}) lookup check, {check_name(t)}: {e}"
                ) from None
            sources = hc.with_input_mask(F, sources)
            claims += self._linked(
                F, hc, seg, sources, t, lambda c: self._public_value(F, c, weights)
            )
        return claims + self._sum_claims(F, points, None)

    def _linked(self, F, hc: HidingCircuit, seg, sources: dict, t, public_value) -> list[Claim]:
        return hc.linked(
            F,
            seg,
            sources,
            self._public(),
            public_value,
            f"{LABEL}/{self.step:08d}/{check_name(t)}",
            f"launch {self.step} ({self.kernel}) lookup check, {check_name(t)}",
        )


def _merged(layers: list[Layer]) -> Layer:
    """One layer holding every given layer's gates (same width)."""
    first = layers[0]
    return Layer(
        first.width_log2,
        np.concatenate([x.mul_wires for x in layers]),
        np.concatenate([x.mul_coef for x in layers]),
        np.concatenate([x.add_wires for x in layers]),
        np.concatenate([x.add_coef for x in layers]),
        first.const_out,
        (),
    )


def hidden_lookups(plan, groth16: frozenset[int] = frozenset()) -> list[HiddenLookups]:
    """The lookups of the GKR launches that a zero-knowledge plan proves with zero knowledge
    (zkcc.runtime.claims.zk_launches; none without zero knowledge)."""
    from zkcc.field import get_field

    F = get_field(plan.field)
    out = []
    for i in sorted(zk_launches(plan) - groth16):
        step = plan.program.host.steps[i]
        lookups = LaunchLookups.of(plan.program.kernels[step.kernel], i, step.count)
        if lookups is not None:
            out.append(HiddenLookups.of(F, lookups, step.kernel))
    return out


def round_two_tensors(plan, groth16: frozenset[int] = frozenset()) -> list[TensorInfo]:
    """The tensors the second commitment round commits (after alpha and beta)."""
    return [x for h in hidden_lookups(plan, groth16) for x in h.tensors()]
