"""Zero-knowledge data-parallel GKR: masked sumchecks, masked layers, one mask table per launch.

What a plain GKR proof reveals about the witness, and what hides it here (docs/zk.md has the
simulation argument and the references):

* Round messages are sums over the witness. Every sumcheck gets a masking polynomial
  g(x) = a_0 + sum_j g_j(x_j), g_j of the round's degree without constant term, uniform
  coefficients but a_0, which makes g sum to zero over the cube [Libra, XZZPS19, §4.1, with
  the sum G fixed at 0 instead of sent]: the verifier draws rho, and the sumcheck proves
  sum (f + rho g) = H. Its final claim is f(r) + rho g(r), and rho g(r) is a linear form of
  the mask table, proved at the end of the launch.
* Layer values v_x, v_y are evaluations of the layer. Layer i >= 1 is proved as
  V^_i = V~_i + Z(u) S_i(u), Z(u) = u (1 - u), on the variable u its sumchecks bind last [Libra
  §4.2]; Z vanishes on the cube, so only the last round changes (degree 4), and v^_x, v^_y are
  masked by the uniform S_i(a), S_i(b). S_i(t) = R_i(t, 0) + R_i(t, 1) for R_i of degree 1 in
  each of (t, w), four coefficients.
* The layer below then has the claim a v^_x + b v^_y on V^_i, whose hidden part
  Q = alpha Z(a) S_i(a) + beta Z(b) S_i(b) = sum_w q(w), q(w) = alpha Z(a) R_i(a, w) +
  beta Z(b) R_i(b, w), joins its phase-1 sumcheck as sum_(b, w) [(1 - w) F(b) + eq(b, 0) q(w)]:
  the (x, s) rounds gain eq(r_<j, 0) (1 - t) Q, one more round binds w (degree 1), and the
  verifier divides out (1 - r_w) once the mask part is known.
* Layer 0 (the input) is masked by a broadcast input segment of 4d uniform values that no gate
  reads (`hiding_circuit`), and its segment evaluations are never sent: each of the two final
  claims becomes a linked relation sum_seg sel_seg T_seg~ = v for the PCS (runtime).

What a layer sends besides its rounds and v_x, v_y is one extension element: phase 1's mask
part sigma = rho g(r) + eq(r, 0) q(r_w), which the verifier needs to split the final claim
from phase 2's claim. Phase 2's mask part, rho g(r), the verifier computes as final claim
minus v_x v_y mul~; nothing is sent for it.

All coefficients live in one committed table per launch (base-field entries; an extension
coefficient is d consecutive entries, its components). The mask parts are linear forms of the
table, checked together at the end: the verifier draws lambda, and a plain sumcheck proves
sum_b M(b) P(b) = sum_c lambda_c value_c for the public weights P. That sumcheck is masked in
turn, by a g' in a second, small table M2 (REDUCTION_TABLE); it ends in M~(r*), which M's last
FRESH_ENTRIES uniform entries hide, and in the mask part rho' g'(r*), which a plain sumcheck
over M2 reduces to M2~(r**). M2's upper half is uniform slack that its weights never read and
its sumcheck binds first, so that sumcheck reveals nothing beyond rho' g'(r*) [arguments in
docs/zk.md]. The slack thus doubles only M2 (2^9 entries for m31), not M.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, LayeredCircuit
from zkcc.backends.gkr.evaluate import scatter_add
from zkcc.backends.gkr.sumcheck import (
    SumcheckProof,
    SumcheckProver,
    SumcheckVerifier,
    mle_point,
)
from zkcc.errors import ProofRejected
from zkcc.field import PrimeField
from zkcc.field.base import Array
from zkcc.field.ext import ExtField
from zkcc.field.mle import mle_evaluate

INPUT_MASK_SEGMENT = "zk:input-mask"
MASK_TABLE = "zk:masks"
REDUCTION_TABLE = "zk:reduction-masks"  # the mask reduction's own masks (MaskLayout)
FRESH_ENTRIES = 64  # the mask table's last entries, which no mask part reads: they hide M~(r*)
MASKED_DEGREE = 4  # the last round of a masked layer: (V + Z S) G has degree 2 + 1 + 1
INPUT_MASK_COEFFICIENTS = 4  # the input mask segment: the table's first 4d entries


def input_mask_log2(E: ExtField) -> int:
    """The input mask segment holds 4d base values, the mask table's first entries: two
    evaluations (2d base coordinates) must stay uniform, with room to spare."""
    return (INPUT_MASK_COEFFICIENTS * E.degree - 1).bit_length()


def hiding_circuit(circuit: LayeredCircuit, n_log2: int, E: ExtField) -> LayeredCircuit:
    """The circuit proved with zero knowledge: the input mask segment added at the first free
    aligned offset of layer 0 (widening it if needed), and, without instance variables, every
    masked layer (1 .. depth - 1) at least two gates wide, so that it has a variable to mask.
    Gates only ever read what they read before: layer values are unchanged."""
    k = input_mask_log2(E)
    size = 1 << k
    end = max((s.offset + (1 << s.size_log2) for s in circuit.segments), default=0)
    offset = -(-end // size) * size
    input_log2 = max(circuit.input_log2, (offset + size - 1).bit_length())
    segment = InputSegment(INPUT_MASK_SEGMENT, offset, k, size, broadcast=True)
    layers = list(circuit.layers)
    if n_log2 == 0:
        for i in range(len(layers) - 1):  # layers[i] outputs layer i + 1
            if layers[i].width_log2 == 0:
                layers[i] = replace(layers[i], width_log2=1)
    return LayeredCircuit(input_log2, (*circuit.segments, segment), tuple(layers))


def real_input_log2(circuit: LayeredCircuit) -> int:
    """The input rows a hiding circuit's gates may read: the layer before hiding_circuit
    widened it for the input mask (above it: zeros and the mask segment)."""
    end = max(
        (s.offset + (1 << s.size_log2) for s in circuit.segments if s.name != INPUT_MASK_SEGMENT),
        default=1,
    )
    return (end - 1).bit_length()


@dataclass(frozen=True)
class PhaseSpec:
    """One sumcheck's masking polynomial g = a_0 + sum_j g_j(x_j), g_j without constant term
    of degree degrees[j] [Libra §4.1: the constants of the g_j are one constant in all]:
    a_0 is coefficient `offset`, and g_j's coefficient of x^k (k = 1 .. degrees[j]) is
    starts()[j] + k - 1. The honest a_0 makes g sum to zero over the cube (draw_tables)."""

    offset: int
    degrees: tuple[int, ...]
    xs_rounds: int  # the (x, s) rounds; a phase with the w round has one more

    @property
    def count(self) -> int:
        return 1 + sum(self.degrees)

    @property
    def has_w(self) -> bool:
        return len(self.degrees) > self.xs_rounds

    def starts(self) -> list[int]:
        out, at = [], self.offset + 1
        for d in self.degrees:
            out.append(at)
            at += d
        return out


@dataclass(frozen=True, eq=False)
class MaskLayout:
    """Where each coefficient of a launch's masks sits in its mask table (coefficient c is
    entries c*d .. c*d + d - 1), fixed by the circuit and the instance count. Compared and
    hashed by identity: a kernel's launches share one (zkcc.runtime.hiding), and what is
    derived from it is cached on it."""

    degree: int  # d, the extension degree
    n_log2: int
    depth: int
    phases: dict[tuple[int, int], PhaseSpec]  # (layer, 1 | 2)
    layer_masks: dict[int, int]  # layer i >= 1 -> offset of R_i's 4 coefficients
    coefficients: int
    size_log2: int  # the table: 2^size_log2 >= coefficients * d + FRESH_ENTRIES entries
    widths: tuple[int, ...] = field(default=())  # width_log2 of layers 0 .. depth - 1

    @classmethod
    def of(cls, circuit: LayeredCircuit, n_log2: int, E: ExtField) -> MaskLayout:
        """For the hiding circuit (hiding_circuit) of a launch of 2^n_log2 instances."""
        depth = circuit.depth
        phases, offset = {}, INPUT_MASK_COEFFICIENTS  # the input mask segment's values first
        for i in reversed(range(depth)):
            m = circuit.width_log2(i) + n_log2
            if m == 0:
                raise ValueError(f"layer {i} has no variable to mask")
            last = MASKED_DEGREE if i >= 1 else 2
            for phase in (1, 2):
                degrees = [2] * (m - 1) + [last] + ([1] if phase == 1 and i <= depth - 2 else [])
                spec = PhaseSpec(offset, tuple(degrees), m)
                phases[(i, phase)] = spec
                offset += spec.count
        layer_masks = {}
        for i in range(1, depth):
            layer_masks[i] = offset
            offset += 4
        used = offset * E.degree + FRESH_ENTRIES
        widths = tuple(circuit.width_log2(i) for i in range(depth))
        return cls(
            E.degree, n_log2, depth, phases, layer_masks, offset, (used - 1).bit_length(), widths
        )

    @property
    def size(self) -> int:
        return 1 << self.size_log2

    @property
    def num_vars(self) -> int:
        return self.size_log2

    @property
    def reduction(self) -> PhaseSpec:
        """The mask reduction's masking polynomial (degree 2 in each of the table's
        variables), the second table's first coefficients."""
        return PhaseSpec(0, (2,) * self.size_log2, self.size_log2)

    @property
    def reduction_half_log2(self) -> int:
        """The second table is 2^(this + 1) entries: the reduction's masks, then as many
        uniform slack entries (the upper half), which its own reduction binds first."""
        return (self.reduction.count * self.degree - 1).bit_length()

    @property
    def reduction_size(self) -> int:
        return 2 << self.reduction_half_log2

    @property
    def reduction_num_vars(self) -> int:
        return self.reduction_half_log2 + 1

    def masked(self, i: int) -> bool:
        return i >= 1

    def u_coordinate(self, i: int) -> int:
        """The point coordinate (mle order) of layer i's last-bound variable: the top instance
        bit, or gate bit 0 without instances (zkcc/backends/gkr/sumcheck.py mle_point)."""
        return self.widths[i] + self.n_log2 - 1 if self.n_log2 else 0

    def hidden(self, i: int, claims: list, coeffs: list) -> tuple:
        """(alpha, beta, a, b) of layer i's w round: the combination of the two claims on
        layer i + 1 and their points' coordinates on its masked variable (q_poly, q_weights;
        prover and verifier)."""
        u = self.u_coordinate(i + 1)
        return coeffs[0], coeffs[1], claims[0].point[u], claims[1].point[u]


# ---- small polynomial arithmetic over extension scalars (coefficients low first): as
# lists of d Python ints (ExtField.mul_ints's form) in the per-round paths, else arrays


def _ints_of(coef: Array) -> list[list[int]]:
    """(d, k) extension elements -> k lists of d ints (uint64's tolist gives ints already)."""
    cols = coef.T.tolist()
    return cols if coef.dtype == np.uint64 else [[int(x) for x in col] for col in cols]


def _int_scale(E: ExtField, poly: list[list[int]], c: list[int]) -> list[list[int]]:
    return [E.mul_ints(a, c) for a in poly]


def _int_one_minus(r: list[int]) -> list[int]:
    """1 - r for an extension scalar as ints, unreduced (mul_ints reduces what it returns)."""
    return [1 - r[0], *(-x for x in r[1:])]


@functools.cache
def _halvings(p: int, rounds: int) -> tuple[int, ...]:
    """2^(rounds - 1 - j) mod p for each round j of a sumcheck: how many points of the cube
    each round's share of a mask sums over (the same for every sumcheck of that length)."""
    return tuple(pow(2, rounds - j - 1, p) for j in range(rounds))


def _int_vanishing(E: ExtField, t: list[int]) -> list[int]:
    """Z(t) = t (1 - t), zero on {0, 1}: the masked layer value's factor (Libra §4.2)."""
    return E.mul_ints(t, _int_one_minus(t))


def eq_zero(E: ExtField, challenges: list[Array]) -> Array:
    """eq(r, 0) = prod (1 - r_j) (in Python ints: one product per round of a sumcheck)."""
    acc = E.unit_ints(1)
    for r in challenges:
        acc = E.mul_ints(acc, _int_one_minus(E.ints(r)))
    return E.from_reduced_ints(acc)


def q_parts(E: ExtField, alpha: Array, beta: Array, a: Array, b: Array) -> tuple[list, list]:
    """(alpha Z(a) + beta Z(b), alpha Z(a) a + beta Z(b) b) as ints: q's weights on c0 and
    c1, and (times w) on c2 and c3, from the w round's `MaskLayout.hidden` (found once per
    sumcheck, for q_poly and q_weights both)."""
    al, be, ai, bi = (E.ints(x) for x in (alpha, beta, a, b))
    za = E.mul_ints(al, _int_vanishing(E, ai))
    zb = E.mul_ints(be, _int_vanishing(E, bi))
    return E.add_ints(za, zb), E.add_ints(E.mul_ints(za, ai), E.mul_ints(zb, bi))


def q_weights(E: ExtField, parts: tuple[list, list], w: Array) -> list:
    """q(w) = sum_l weights[l] c_l for R(t, w) = c0 + c1 t + c2 w + c3 t w:
    alpha Z(a) (1, a, w, a w) + beta Z(b) (1, b, w, b w), as lists of d ints (`parts`:
    q_parts)."""
    u, v = parts
    wi = E.ints(w)
    return [u, v, E.mul_ints(u, wi), E.mul_ints(v, wi)]


@dataclass(frozen=True, eq=False)
class _MaskPart:
    """One mask part: value = rho (a_0 + sum_j sum_k c_jk r_j^k) [+ sum_l w_l c_l], c the
    mask table's coefficients (where `spec` puts a_0 and round j's x^k; the w term's four at
    `w_index`). Its weights are made with every other part's, in numpy
    (`MaskClaims.combined`), not one extension product per round here."""

    spec: PhaseSpec
    rho: Array  # (d,)
    points: Array  # (d, rounds): r_j
    w_index: int | None
    w_weights: Array | None  # (d, 4)
    value: Array


@dataclass
class MaskClaims:
    """The mask parts (sigma) as linear forms of a mask table's coefficients (the first
    `coefficients` of its `size` // d): value = sum_k weights[k] * coefficient[indices[k]].
    Prover and verifier build the same."""

    E: ExtField
    layout: MaskLayout
    coefficients: int
    size: int
    forms: list[_MaskPart] = field(default_factory=list)

    @classmethod
    def of_table(cls, E: ExtField, layout: MaskLayout) -> MaskClaims:
        """On the launch's mask table (the GKR sumchecks' and layers' masks)."""
        return cls(E, layout, layout.coefficients, layout.size)

    @classmethod
    def of_reduction(cls, E: ExtField, layout: MaskLayout) -> MaskClaims:
        """On the second table (the mask reduction's own masks)."""
        return cls(E, layout, layout.reduction.count, layout.reduction_size)

    def add(
        self,
        spec: PhaseSpec,
        challenges: list[Array],
        rho: Array,
        value: Array,
        w_term: tuple[int, list[list[int]], Array] | None = None,
    ) -> None:
        """A sumcheck's mask part rho g(r), plus with the w round eq(r, 0) q(r_w): w_term is
        (the layer whose R_i q reads, q's weights on R_i's coefficients as ints, eq(r, 0))."""
        E = self.E
        if len(challenges) != len(spec.degrees):
            raise ValueError("a mask part needs one challenge per round")
        w_index = w_weights = None
        if w_term is not None:
            layer, q_wts, e0 = w_term
            w_index = self.layout.layer_masks[layer]
            e0_ints = E.ints(e0)
            w_weights = E.from_reduced_ints([E.mul_ints(w, e0_ints) for w in q_wts])
        points = E.xp.stack(challenges, axis=1)
        self.forms.append(_MaskPart(spec, rho, points, w_index, w_weights, value))

    def combined(self, lambdas: Array) -> tuple[Array, Array]:
        """(sum lambda_c value_c, P): P the (d, size) weights of the table's base entries, so
        that <M, P> = sum lambda_c value_c for the honest table M."""
        E, n, parts = self.E, len(self.forms), self.forms
        xp = E.xp
        weights = E.zeros(self.size)
        if not n:
            return E.zeros(), weights
        # every round of every part: its challenge, degree and part; an entry per x^k
        degrees = np.concatenate([f.spec.degrees for f in parts])
        starts = np.concatenate([f.spec.starts() for f in parts])
        points = xp.concatenate([f.points for f in parts], axis=1)
        part_of = np.repeat(np.arange(n), [len(f.spec.degrees) for f in parts])
        entry = np.repeat(np.arange(len(degrees)), degrees)
        k = np.arange(len(entry)) - np.repeat(np.cumsum(degrees) - degrees, degrees)  # x^(k+1)
        powers = [points]  # r^1 .. r^top, every round at once
        for _ in range(1, int(degrees.max())):
            powers.append(E.mul(powers[-1], points))
        rho = xp.stack([f.rho for f in parts], axis=1)
        r_k = xp.ascontiguousarray(xp.stack(powers)[k, :, entry].T)
        with_w = [c for c, f in enumerate(parts) if f.w_index is not None]
        idx = [np.array([f.spec.offset for f in parts]), starts[entry] + k]
        idx += [parts[c].w_index + np.arange(4) for c in with_w]  # type: ignore[operator]
        wts = [rho, E.mul(r_k, rho[:, part_of[entry]])] + [parts[c].w_weights for c in with_w]
        of = np.concatenate([np.arange(n), part_of[entry], np.repeat(with_w, 4)]).astype(np.int64)
        # each weight times its part's lambda, summed per coefficient (parts may share one)
        w = scatter_add(
            E.base,
            E.mul(xp.concatenate(wts, axis=1), lambdas[:, of]),
            np.concatenate(idx),
            self.coefficients,
        )
        total = E.dot(xp.stack([f.value for f in parts], axis=1), lambdas[:, :n])
        d = E.degree
        for e in range(d):  # entry c*d + e holds component e of coefficient c: weight w_c u^e
            unit = E.zeros()
            unit[e] = 1
            weights[:, e : self.coefficients * d : d] = E.mul(w, unit[:, None])
        return total, weights


def coefficients(E: ExtField, table: Array, start: int, count: int) -> Array:
    """(d, count): mask coefficients start .. start + count - 1 as extension elements."""
    d = E.degree
    flat = E.xp.asarray(table[start * d : (start + count) * d])
    return E.xp.ascontiguousarray(flat.reshape(count, d).T)


@dataclass(frozen=True, eq=False)
class PhaseBlocks:
    """What each sumcheck's mask starts from, for every phase of a launch at once and before
    rho, one block of columns per phase: its coefficients (a_0 first, then each g_j's), and
    sum_{i > j} (g_i(0) + g_i(1)) / 2 for each round j, what round j's share adds for the
    rounds after it. Both are linear in g, so a sumcheck scales its block by its rho with one
    product when it starts (PhaseMask). Made by one gather of the coefficients and prefix sums
    for the whole launch, where one per sumcheck cost more than the rest of its start. In
    uint64 (m31) a prefix sum of coefficients stays below 2^31 times their count, and a
    suffix sum of the rounds' ends below p times the rounds."""

    columns: Array  # (d, sum of the blocks' widths)
    first: dict[int, int]  # a phase's offset -> the first column of its block

    @classmethod
    def of(cls, E: ExtField, table: Array, specs: list[PhaseSpec]) -> PhaseBlocks:
        xp, p = E.xp, E.base.p
        degrees = np.array([k for s in specs for k in s.degrees], dtype=np.int64)
        count = max(s.offset + s.count for s in specs)
        coef = coefficients(E, table, 0, count)
        starts = np.array([k for s in specs for k in s.starts()], dtype=np.int64)
        rounds = np.array([len(s.degrees) for s in specs], dtype=np.int64)
        first_round = np.cumsum(rounds) - rounds
        offsets = np.array([s.offset for s in specs], dtype=np.int64)
        # g_j(0) + g_j(1) = sum_k c_jk, and 2 a_0 more on a phase's first round
        prefix = xp.concatenate([coef[:, :1] * 0, xp.cumsum(coef, axis=1)], axis=1)
        ends = (prefix[:, starts + degrees] - prefix[:, starts]) % p
        ends[:, first_round] += 2 * coef[:, offsets]
        # suffix sums over all rounds; a phase's own: less the suffix past its last round
        suffix = xp.concatenate([xp.cumsum(ends[:, ::-1], axis=1)[:, ::-1], ends[:, :1] * 0], 1)
        past = np.repeat(first_round + rounds, rounds)
        later = (suffix[:, 1:] - suffix[:, past]) % p * ((p + 1) // 2) % p
        # each phase's block: its coefficients, then its rounds' later sums
        flat = xp.concatenate([coef, later], axis=1)
        counts = np.array([s.count for s in specs], dtype=np.int64)
        pieces = np.stack([counts, rounds], axis=1).ravel()
        sources = np.stack([offsets, count + first_round], axis=1).ravel()
        gather = np.repeat(sources - (np.cumsum(pieces) - pieces), pieces) + np.arange(pieces.sum())
        widths = counts + rounds
        first = dict(zip(offsets.tolist(), (np.cumsum(widths) - widths).tolist(), strict=True))
        return cls(xp.ascontiguousarray(flat[:, gather]), first)

    def block(self, spec: PhaseSpec) -> Array:
        """(d, count + rounds): one phase's coefficients and later sums."""
        at = self.first[spec.offset]
        return self.columns[:, at : at + spec.count + len(spec.degrees)]


class PhaseMask:
    """The prover's masking polynomial of one sumcheck, times its rho, and the hook
    (sumcheck.RoundHook) that adds its share, the hidden w-term and the layer mask's last-round
    term to each message. Its per-round arithmetic runs on Python ints (lists of d ints,
    ExtField.mul_ints's form), where numpy's per-call cost on (d,) arrays dominated the
    zero-knowledge prover of deep circuits. Its block of the launch's PhaseBlocks (the
    coefficients, the later rounds' sums) is scaled by rho once, so that a round's share is
    g_j's coefficients plus a constant, times the base-field 2^rest, and the other terms'
    coefficients (sumcheck.RoundHook.coefficients)."""

    def __init__(
        self,
        E: ExtField,
        spec: PhaseSpec,
        layer: int,
        rho: Array,
        blocks: PhaseBlocks,
        q_poly: list[list[int]] | None = None,
        s_poly: list[list[int]] | None = None,
        q_parts: tuple[list, list] | None = None,
    ) -> None:
        self.E, self.spec, self.layer, self.rho = E, spec, layer, rho
        self.q_parts = q_parts  # the w round's q's weights (zk.q_parts)
        d = E.degree
        scaled = _ints_of(E.mul(blocks.block(spec), E.xp.asarray(rho)))
        rg = scaled[: spec.count]
        # rho g_j as a full polynomial, coefficients low first: rho a_0 rides on g_0
        self.g, start = [], 1
        for j, deg in enumerate(spec.degrees):
            self.g.append([rg[0] if j == 0 else [0] * d, *rg[start : start + deg]])
            start += deg
        self._later = scaled[spec.count :]
        p, rounds = E.base.p, len(spec.degrees)
        self._scales = _halvings(p, rounds)  # 2^rest per round
        self.q_poly, self.s_poly = q_poly, s_poly  # q(w) (the w round), S(t) (a masked layer)
        if q_poly is not None:  # Q = q(0) + q(1) = 2 q_0 + q_1, the (x, s) rounds' hidden part
            self.big_q = [(2 * a + b) % p for a, b in zip(*q_poly, strict=True)]
        # running rho sum_{i<j} g_i(r_i) and eq(r_<j, 0), extended as the challenges come
        self._prefix, self._eq0 = [[0] * d], [E.unit_ints(1)]

    def _extend(self, challenges: list[Array], rounds: int) -> None:
        """The running sums through the first `rounds` challenges (mul_ints reduces what it
        returns, so its arguments may be unreduced)."""
        E = self.E
        while len(self._prefix) <= rounds:
            j = len(self._prefix) - 1
            r = E.ints(challenges[j])
            value = E.poly_at_ints(self.g[j], r)  # rho g_j(r), rho a_0 riding on g_0
            self._prefix.append(E.add_ints(self._prefix[j], value))
            if self.q_poly is not None:  # only the w term reads eq(r_<j, 0)
                self._eq0.append(E.mul_ints(self._eq0[j], _int_one_minus(r)))

    def eq_zero(self) -> Array:
        """eq(r, 0) over the (x, s) rounds' challenges, which the w round's q term carries
        (kept as the rounds went: `eq_zero` of them)."""
        return self.E.from_reduced_ints(self._eq0[self.spec.xs_rounds])

    def part(self, challenges: list[Array]) -> Array:
        """The mask part rho g(r) = rho sum_j g_j(r_j)."""
        self._extend(challenges, len(challenges))
        return self.E.from_reduced_ints(self._prefix[len(self.g)])

    # RoundHook
    def needs_sums(self, j: int) -> bool:
        return self.s_poly is not None and j == self.spec.xs_rounds - 1

    def coefficients(self, j: int, challenges: list[Array], g_lo, g_diff) -> list[list[int]]:
        E = self.E
        self._extend(challenges, j)
        # rho g's share, 2^rest (sum_{i<j} g_i(r_i) + g_j(t)) + 2^(rest-1) sum_{i>j} (g_i(0) +
        # g_i(1)): g_j's coefficients times 2^rest, the rest riding on the constant
        scale, g = self._scales[j], self.g[j]
        fixed = zip(self._prefix[j], self._later[j], g[0], strict=True)
        out = [[(a + b + c) * scale for a, b, c in fixed], *([c * scale for c in k] for k in g[1:])]
        if self.q_poly is not None:
            xs = self.spec.xs_rounds
            e0 = self._eq0[min(j, xs)]
            if j < xs:  # eq(r_<j, 0) (1 - t) Q
                term = E.mul_ints(e0, self.big_q)
                slope = [-c for c in term]
            else:  # the w round: eq(r, 0) q(t), q linear
                term, slope = _int_scale(E, self.q_poly, e0)
            out[0] = [a + x for a, x in zip(out[0], term, strict=True)]
            out[1] = [a + x for a, x in zip(out[1], slope, strict=True)]
        if self.needs_sums(j):  # Z(t) S(t) L(t), Z(t) = t (1 - t), L(t) = g_lo + t g_diff
            (s0, s1), l0, l1 = self.s_poly, E.ints(g_lo), E.ints(g_diff)
            a0, a2 = E.mul_ints(s0, l0), E.mul_ints(s1, l1)
            cross = E.mul_ints(E.add_ints(s0, s1), E.add_ints(l0, l1))
            a1 = [c - x - y for c, x, y in zip(cross, a0, a2, strict=True)]
            # S L = a0 + a1 t + a2 t^2 (three products), and so
            # t (1 - t) S L = a0 t + (a1 - a0) t^2 + (a2 - a1) t^3 - a2 t^4
            added = (a0, E.sub_ints(a1, a0), E.sub_ints(a2, a1), [-x for x in a2])
            for k, term in enumerate(added, start=1):
                out[k] = [a + x for a, x in zip(out[k], term, strict=True)]
        return out


def _fours(at: np.ndarray) -> np.ndarray:
    """at[0], .., at[0] + 3, at[1], ..: the indices of four coefficients from each start."""
    return (at[:, None] + np.arange(4)).ravel()


def s_poly(E: ExtField, c: list[list[int]]) -> list[list[int]]:
    """S(t) = R(t, 0) + R(t, 1) = (2 c0 + c2) + (2 c1 + c3) t."""
    return [E.add_ints(E.add_ints(c[0], c[0]), c[2]), E.add_ints(E.add_ints(c[1], c[1]), c[3])]


def q_poly(E: ExtField, c: list[list[int]], parts: tuple[list, list]) -> list[list[int]]:
    """q(w) = alpha Z(a) R(a, w) + beta Z(b) R(b, w) as q(0) + (q(1) - q(0)) w (`parts`:
    q_parts)."""
    u, v = parts
    return [
        E.add_ints(E.mul_ints(u, c[0]), E.mul_ints(v, c[1])),
        E.add_ints(E.mul_ints(u, c[2]), E.mul_ints(v, c[3])),
    ]


def draw_tables(F: PrimeField, layout: MaskLayout, token_bytes) -> tuple[Array, Array]:
    """The launch's mask table and its reduction's: every entry uniform (the unused tails
    too) but each sumcheck's a_0 (_zero_sums)."""
    table = F.from_wide_bytes(token_bytes(layout.size * F.wide_len), layout.size)
    n = layout.reduction_size
    second = F.from_wide_bytes(token_bytes(n * F.wide_len), n)
    return (
        _zero_sums(F, table, list(layout.phases.values())),
        _zero_sums(F, second, [layout.reduction]),
    )


def _zero_sums(F: PrimeField, table: Array, specs: list[PhaseSpec]) -> Array:
    """`table` with the a_0 of each sumcheck's mask fixed so that its g sums to zero over the
    cube: G = 2^(m-1) (2 a_0 + sum_jk c_jk) = 0 for g_j(x) = sum_k c_jk x^k. G is then known
    to the verifier instead of sent; the view with G = 0 is Libra's view given G (docs/zk.md)."""
    d, xp = F.ext.degree, F.xp
    count = max(s.offset + s.count for s in specs)
    coef = table[: count * d].reshape(count, d)  # a view
    firsts = np.array([s.offset + 1 for s in specs], dtype=np.int64)
    ends = np.array([s.offset + s.count for s in specs], dtype=np.int64)
    wide = coef.dtype if coef.dtype == object else np.uint64  # m31: < 2^31 each, no overflow
    prefix = xp.concatenate([xp.zeros((1, d), dtype=wide), xp.cumsum(coef, axis=0, dtype=wide)])
    sums = F.array((prefix[ends] - prefix[firsts]) % F.p)
    coef[firsts - 1] = F.mul(F.neg(sums), F.array((F.p + 1) // 2))
    return table


def reduction_part(
    E: ExtField, layout: MaskLayout, challenges: list[Array], rho: Array, part: Array
) -> tuple[Array, Array]:
    """The mask reduction's own mask part rho g'(r*) as a claim <M2, P2> = part on the second
    table: (part, P2)."""
    second = MaskClaims.of_reduction(E, layout)
    second.add(layout.reduction, challenges, rho, part)
    return second.combined(E.one()[:, None])


def input_mask(E: ExtField, table: Array) -> Array:
    """The input mask segment's values: the mask table's first 4d entries."""
    return table[: 1 << input_mask_log2(E)]


class ZkProver:
    """The prover's masks of one launch (`table`: the launch's committed mask table, `second`:
    its mask reduction's) and the linear-form claims on them that the proof accumulates."""

    def __init__(self, F: PrimeField, layout: MaskLayout, table: Array, second: Array) -> None:
        self.F, self.E, self.layout = F, F.ext, layout
        self.table, self.second = F.xp.asarray(table), F.xp.asarray(second)
        self.claims = MaskClaims.of_table(F.ext, layout)
        # R_i's coefficients (c0, c1, c2, c3) of R(t, w) = c0 + c1 t + c2 w + c3 t w, as ints,
        # and S_i(t) = R_i(t, 0) + R_i(t, 1), for every masked layer at once
        at = np.array(list(layout.layer_masks.values()), dtype=np.int64)
        table_coefs = coefficients(F.ext, self.table, 0, layout.coefficients)
        coefs = _ints_of(table_coefs[:, _fours(at)])
        self.layer_masks = {i: coefs[4 * k : 4 * k + 4] for k, i in enumerate(layout.layer_masks)}
        self.s_polys = {i: s_poly(F.ext, c) for i, c in self.layer_masks.items()}
        self.blocks = PhaseBlocks.of(F.ext, self.table, list(layout.phases.values()))
        self.reduction_blocks = PhaseBlocks.of(F.ext, self.second, [layout.reduction])

    def start(self, tr, label: str, i: int, phase: int, claims: list, coeffs: list) -> PhaseMask:
        """Layer i's phase mask, rho drawn (`claims`, `coeffs`: the claims on layer i + 1 and
        their combination, which the w round's q needs)."""
        E, lay = self.E, self.layout
        spec = lay.phases[(i, phase)]
        q = parts = None
        if spec.has_w:
            parts = q_parts(E, *lay.hidden(i, claims, coeffs))
            q = q_poly(E, self.layer_masks[i + 1], parts)
        s = self.s_polys[i] if lay.masked(i) else None
        rho = tr.challenge_ext(f"{label}/rho", self.F)
        return PhaseMask(E, spec, i, rho, self.blocks, q, s, parts)

    def finish(
        self, tr, label: str, phase: int, sc, res, mask: PhaseMask
    ) -> tuple[Array, Array | None]:
        """After the (x, s) rounds: the masked layer value, the w round and the mask part
        sigma = rho g(r) [+ eq(r, 0) q(r_w)], recorded as a linear form of the table and, in
        phase 1, sent (returned; None in phase 2, whose sigma the verifier computes)."""
        E, spec = self.E, mask.spec
        # on Python ints, a few scalars (ExtField.mul_ints's form): v^ = v + Z(r_u) S(r_u)
        v = E.ints(res.f_eval)
        if mask.s_poly is not None:
            r_u = E.ints(sc.challenges[spec.xs_rounds - 1])
            z = _int_vanishing(E, r_u)
            v = E.add_ints(v, E.mul_ints(z, E.poly_at_ints(mask.s_poly, r_u)))
        data = E.mul_ints(v, E.ints(res.g_eval))
        w_term = w_part = None
        if spec.has_w:
            r_w = sc.tail_round()
            rw = E.ints(r_w)
            e0 = mask.eq_zero()
            w_part = E.mul_ints(E.ints(e0), E.poly_at_ints(mask.q_poly, rw))
            w_term = (mask.layer + 1, q_weights(E, mask.q_parts, r_w), e0)
            data = E.add_ints(E.mul_ints(_int_one_minus(rw), data), w_part)
        final = sc.final_claim()
        sigma = self.stated_part(mask, sc.challenges, final, E.from_reduced_ints(data))
        if w_part is not None:
            sigma = E.from_reduced_ints(E.add_ints(E.ints(sigma), w_part))
        self.claims.add(spec, sc.challenges, mask.rho, sigma, w_term)
        v = E.from_reduced_ints(v)
        if phase == 2:
            return v, None
        tr.absorb_field(f"{label}/sigma", E, sigma)
        return v, sigma

    def stated_part(self, mask: PhaseMask, challenges: list, final: Array, data: Array) -> Array:
        """rho g(r): then final = data + rho g(r). (The simulator in tests/test_gkr_zk.py,
        holding no witness, takes the part that makes this hold for its made-up data.)"""
        return mask.part(challenges)

    def reduce(self, tr) -> tuple:
        """The mask parts, combined by lambda, proved as <M, P> (prove_reduction)."""
        F = self.F
        lambdas = tr.challenge_exts("gkr/zk/lambda", F, len(self.claims.forms))
        total, weights = self.claims.combined(lambdas)
        return self.prove_reduction(tr, total, weights)

    def prove_reduction(self, tr, total: Array, weights: Array) -> tuple:
        """<M, P> = total by a sumcheck masked with the second table's g (its mask part
        rho g(r*) the verifier computes from M~(r*)), then <M2, P2> = rho g(r*) by a plain
        sumcheck over the second table, which binds its slack bit first. Returns the
        MaskReduction and the two claims (segments MASK_TABLE, REDUCTION_TABLE)."""
        from zkcc.backends.gkr.proof import SegmentClaim

        F, E, lay = self.F, self.E, self.layout
        rho = tr.challenge_ext("gkr/zk/reduce/rho", F)
        mask = PhaseMask(E, lay.reduction, -1, rho, self.reduction_blocks)
        sc = SumcheckProver(F, tr, "gkr/zk/reduce", hook=mask)
        res = sc.prove(self.table, weights, total)
        tr.absorb_field("gkr/zk/mask", E, res.f_eval)
        part = self.stated_part(mask, sc.challenges, res.claim, E.mul(res.f_eval, res.g_eval))
        total2, weights2 = reduction_part(E, lay, sc.challenges, rho, part)
        res2 = SumcheckProver(F, tr, "gkr/zk/reduce2").prove(self.second, weights2, total2)
        tr.absorb_field("gkr/zk/mask2", E, res2.f_eval)
        sent = MaskReduction(res.proof, res.f_eval, res2.proof, res2.f_eval)
        return sent, [
            SegmentClaim(MASK_TABLE, res.point, res.f_eval),
            SegmentClaim(REDUCTION_TABLE, res2.point, res2.f_eval),
        ]


@dataclass(frozen=True, eq=False)
class MaskReduction:
    """What the mask reduction sends: its masked rounds over the mask table and the table's
    value at their point, then the plain rounds over the second table and its value."""

    rounds: SumcheckProof
    value: Array
    rounds2: SumcheckProof
    value2: Array


class ZkVerifier:
    """The verifier's side of the masks: draws rho, strips each sumcheck's mask part from its
    final claim, and checks the mask parts against the mask table's claim."""

    def __init__(self, F: PrimeField, layout: MaskLayout) -> None:
        self.F, self.E, self.layout = F, F.ext, layout
        self.claims = MaskClaims.of_table(F.ext, layout)

    def start(self, tr, label: str) -> Array:
        """rho (the mask polynomial sums to zero: the claim is unchanged)."""
        return tr.challenge_ext(f"{label}/rho", self.F)

    def finish_phase1(
        self,
        tr,
        label: str,
        i: int,
        challenges: list[Array],
        final: Array,
        rho: Array,
        sigma: Array,
        claims: list,
        coeffs: list,
    ) -> Array:
        """The data part of phase 1's final claim, V^(r) G~(r): final - sigma, and with the w
        round (final - sigma) / (1 - r_w). Records sigma's linear form."""
        E, lay = self.E, self.layout
        spec = lay.phases[(i, 1)]
        rest = E.sub(final, sigma)
        w_term = None
        if spec.has_w:
            r_w = challenges[-1]
            parts = q_parts(E, *lay.hidden(i, claims, coeffs))
            w_term = (i + 1, q_weights(E, parts, r_w), eq_zero(E, challenges[:-1]))
            one_minus = E.sub(E.one(), r_w)
            if E.equal(one_minus, E.zeros()):
                raise ProofRejected(f"layer {i} phase 1: the w challenge is 1")
            rest = E.mul(rest, E.inv(one_minus))
        tr.absorb_field(f"{label}/sigma", E, sigma)
        self.claims.add(spec, challenges, rho, sigma, w_term)
        return rest

    def finish_phase2(self, i: int, challenges: list[Array], rho: Array, sigma: Array) -> None:
        """Phase 2's mask part, final claim minus its data part: recorded as a linear form."""
        self.claims.add(self.layout.phases[(i, 2)], challenges, rho, sigma)

    def reduce(self, tr, sent: MaskReduction) -> list:
        """Check the reduction; returns the claims on the two tables for the PCS."""
        from zkcc.backends.gkr.proof import SegmentClaim

        F, E, lay = self.F, self.E, self.layout
        lambdas = tr.challenge_exts("gkr/zk/lambda", F, len(self.claims.forms))
        total, weights = self.claims.combined(lambdas)
        rho = tr.challenge_ext("gkr/zk/reduce/rho", F)
        challenges, final = SumcheckVerifier(F, tr, "gkr/zk/reduce").verify_rounds(
            total, sent.rounds, lay.reduction.degrees, "mask reduction"
        )
        point = mle_point(challenges, len(challenges))
        tr.absorb_field("gkr/zk/mask", E, sent.value)
        part = E.sub(final, E.mul(sent.value, mle_evaluate(F, weights, point)))
        total2, weights2 = reduction_part(E, lay, challenges, rho, part)
        point2, final2 = SumcheckVerifier(F, tr, "gkr/zk/reduce2").verify(
            total2, sent.rounds2, lay.reduction_num_vars, "mask reduction"
        )
        tr.absorb_field("gkr/zk/mask2", E, sent.value2)
        if not E.equal(final2, E.mul(sent.value2, mle_evaluate(F, weights2, point2))):
            raise ProofRejected("mask reduction: final check fails")
        return [
            SegmentClaim(MASK_TABLE, point, sent.value),
            SegmentClaim(REDUCTION_TABLE, point2, sent.value2),
        ]
