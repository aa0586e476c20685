"""GKR for a sum of fractions sum_i p_i / q_i over 2^m leaves (LogUp's grand sum).

LogUp (Haböck 2022) turns a lookup into the equality of two sums of fractions; Papini and
Haböck (2023, "Improving logarithmic derivative lookups using GKR") prove such a sum with a
GKR over a binary tree of fraction additions (a/b) + (c/d) = (a d + c b) / (b d), so that no
inverse is ever committed. This module is that protocol alone: leaves in, a root fraction and
one evaluation claim on the leaves out. The caller (the lookup step) builds the leaves from
its queries, table, challenges and multiplicities, compares the two roots and checks the
returned claim against the leaves' commitments. It is NOT zero-knowledge: the layer values
it sends are functions of the leaves, so only non-zk plans may use it.

Tree. Layer m is the leaves (P_m, Q_m) = (p, q); layer k < m has 2^k entries,

    P_k[x] = P_{k+1}[x] Q_{k+1}[x + 2^k] + P_{k+1}[x + 2^k] Q_{k+1}[x]
    Q_k[x] = Q_{k+1}[x] Q_{k+1}[x + 2^k]

so P_0 / Q_0 = sum_i p_i / q_i (the sum is only meaningful while no Q vanishes; the caller
owns that). Entry x of layer k combines the two contiguous halves of layer k+1: the child bit
is the TOP index bit, which in the mle convention (zkcc/field/mle.py, point[i] binds bit i)
is the LAST coordinate. Write p0(x) = P_{k+1}[x], p1(x) = P_{k+1}[x + 2^k], likewise q0, q1,
and A = p0 q1 + p1 q0, B = q0 q1, so that P_k = A and Q_k = B.

Protocol (labels relative to `label`; every sent value is absorbed before the next challenge):

* `shape`: m and whether every numerator is 1 (`unit_p`, LogUp's query side, where p = None).
* `top`: the prover sends layer 1 as (p0, p1, q0, q1) = (P_1[0], P_1[1], Q_1[0], Q_1[1]) (4
  values); the verifier computes the root P_0 = A, Q_0 = B itself. With m = 0 the single leaf
  (P, Q) is sent instead: there are no layers and the claim's point is empty.
* `layer0/mu`: a challenge mu; the claim on layer 1 is at (mu): P_1~(mu) = p0 + mu (p1 - p0),
  Q_1~(mu) likewise.
* For k = 1 .. m-1, holding claims P_k~(rho) = a_p, Q_k~(rho) = a_q (rho has k coordinates):
  `layer{k}/lambda` batches them into a_p + lambda a_q, which is

      sum_{x in {0,1}^k} eq(rho, x) [ A(x) + lambda B(x) ],

  proved by a k-round sumcheck of degree 3 (eq is linear in each variable, A and B quadratic).
  Rounds bind the top remaining index bit first (contiguous halves, as zkcc.backends.gkr.
  sumcheck does), so the point in mle order is the challenges reversed. Round j sends
  h(0), h(2), h(3) of its degree-3 polynomial h (`layer{k}/round{j}`, then `layer{k}/r{j}`):
  h(1) = claim - h(0) is implied, so three values fix h and the check h(0) + h(1) = claim
  holds by construction; the next claim is h(r) by Lagrange interpolation on {0, 1, 2, 3}.
  At the end (point r) the prover states p0~(r), p1~(r), q0~(r), q1~(r) (`layer{k}/values`);
  the verifier checks the last claim equals eq(rho, r) [A + lambda B] of those values, draws
  `layer{k}/mu` and continues on layer k+1 at (r, mu) with p0 + mu (p1 - p0), q0 + mu (q1 - q0).
* The claim on layer m is returned as FractionClaim(point, p_value, q_value): the caller must
  check p~(point) and q~(point) against the leaves.

With unit numerators the leaf layer's p0, p1 are 1: the layer above the leaves has A = q0 + q1,
its stated values (and `top` when m = 1, the leaf when m = 0) are only q0, q1, and the claim's
p_value is 1 (which the caller still compares with its leaves: a prover that wrongly claims
unit numerators is caught there).

Prover cost. The eq factor splits off the round's own variable (Gruen 2024):
eq(rho, (r_bound, t, x')) = s eq1(t) eq(rho_rest, x') with eq1(t) = (1 - rho_t)(1 - t) + rho_t t
and s the product of eq1 over the coordinates already bound, so h = s eq1 g with g of degree
2. The prover computes g(0) (in round 0 straight from layer k's own tables, P_k = A, Q_k = B)
and g's leading coefficient from the half tables, each as two extension products (eq q0,
eq q1) and three inner products (E.dot), lambda applied to the summed scalars; g(1) =
(claim/s - (1 - rho_t) g(0)) / rho_t comes from the running claim (rho's inverses by one
exponentiation per layer; rho_t = 0, probability 1/|E|, sums the high halves instead). No eq
table is folded: one zkcc.field.mle.eq_table per layer, each later one the sum of the last
one's halves. The tables fold in place (zkcc.field.rounds.fold_halves). Each round costs
O(table), halving each round, so the whole proof is linear in the number of leaves: about six
extension products per leaf (three to build the tree, three in the sumchecks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from zkcc.backends.gkr.wiring import eq_eval
from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field import PrimeField, eq_table
from zkcc.field.base import Array, square_and_multiply
from zkcc.field.ext import ExtField
from zkcc.field.rounds import fold_halves, read_round
from zkcc.transcript import Transcript


@dataclass(frozen=True, eq=False)
class FractionClaim:
    """What a fractional-sum GKR establishes: the tree's root fraction p_root / q_root, given
    that the leaves' MLEs are p_value, q_value at `point` (m coordinates, mle order), which the
    caller must check."""

    p_root: Array
    q_root: Array
    point: list[Array]
    p_value: Array
    q_value: Array


@dataclass(frozen=True, eq=False)
class FractionLayerProof:
    """One layer's sumcheck: rounds is (d, 3k), round j in columns 3j .. 3j+2 as h(0), h(2),
    h(3); values is (d, 4) = p0, p1, q0, q1 at the final point ((d, 2) = q0, q1 above unit
    leaves)."""

    rounds: Array
    values: Array


@dataclass(frozen=True, eq=False)
class FractionProof:
    """`top` is layer 1's four values (or the leaf when m = 0, see the module docstring);
    layers[k - 1] proves layer k from layer k + 1, k = 1 .. m-1."""

    E: ExtField = field(repr=False)
    unit_p: bool
    top: Array
    layers: tuple[FractionLayerProof, ...]

    def to_tree(self) -> Tree:
        E = self.E
        return {
            "unit_p": self.unit_p,
            "top": E.encode(self.top),
            "layers": [
                {"rounds": E.encode(lp.rounds), "values": E.encode(lp.values)} for lp in self.layers
            ],
        }

    @classmethod
    def from_tree(cls, ss: Schema, F: PrimeField, num_vars: int) -> FractionProof:
        """Parse a proof over 2^num_vars leaves; FormatError on any other field, count,
        length or unreduced value."""
        E = F.ext
        ss.dict({"unit_p", "top", "layers"})
        unit = ss.field("unit_p").bool()

        def values(s: Schema, count: int) -> Array:
            return E.decode(s.bytes(length=count * E.byte_len), count)

        top = values(ss.field("top"), _top_count(num_vars, unit))
        n_layers = max(num_vars - 1, 0)
        layers = []
        for k, s in enumerate(ss.field("layers").list(n_layers, n_layers), start=1):
            s.dict({"rounds", "values"})
            rounds = values(s.field("rounds"), 3 * k)
            layers.append(
                FractionLayerProof(
                    rounds, values(s.field("values"), _value_count(unit, k, num_vars))
                )
            )
        return cls(E, unit, top, tuple(layers))


def prove_fraction_sum(
    F: PrimeField, p: Array | None, q: Array, tr: Transcript, label: str
) -> tuple[FractionProof, FractionClaim]:
    """Prove the root of the fraction tree over leaves p / q ((d, 2^m) extension arrays;
    p = None: every numerator is 1). Returns the proof and the claim the verifier will return."""
    E = F.ext
    xp = E.xp
    m = _num_vars(E, p, q)
    unit = p is None
    tree = _layers(E, p, q)
    tr.absorb_ints(f"{label}/shape", [m, int(unit)])
    if m == 0:
        top = q if unit else xp.concatenate([p, q], axis=1)
    else:
        top = xp.concatenate(_halves(*tree[1]), axis=1)
    tr.absorb(f"{label}/top", E.encode(top))
    p_root, q_root = _root(E, top, m, unit)
    if m == 0:
        proof = FractionProof(E, unit, top, ())
        return proof, FractionClaim(p_root, q_root, [], p_root, q_root)
    mu = tr.challenge_ext(f"{label}/layer0/mu", F)
    point = [mu]
    p_val, q_val = _reduce(E, top, mu, unit and m == 1)
    layers = []
    for k in range(1, m):
        lam = tr.challenge_ext(f"{label}/layer{k}/lambda", F)
        claim = E.add(p_val, E.mul(lam, q_val))
        tabs = [t.copy() for t in _halves(*tree[k + 1])]  # folded in place below
        rho_inv = _inverses(E, point)
        rounds, rs, scale = [], [], E.one()
        eq_rest = eq_table(F, point[: k - 1])
        for j in range(k):
            i = k - 1 - j  # the coordinate this round binds: the top remaining index bit
            if j:  # eq over point[:i]: sum out point[i] ((1 - r) + r = 1), no products
                eq_rest = E.add(eq_rest[:, : 1 << i], eq_rest[:, 1 << i :])
            # round 0's sum at t = 0 is over layer k's own low half: P_k = A, Q_k = B
            g0 = _layer_sum(E, eq_rest, tree[k], lam) if j == 0 else None
            msg = _round_message(E, tabs, eq_rest, point[i], rho_inv[i], lam, claim, scale, g0)
            r, claim = read_round(F, tr, f"{label}/layer{k}", j, msg, claim)
            tabs = [fold_halves(E, t, r) for t in tabs]
            scale = E.mul(scale, _eq1(E, point[i], r))
            rounds.append(msg)
            rs.append(r)
        values = xp.concatenate(tabs, axis=1)
        tr.absorb(f"{label}/layer{k}/values", E.encode(values))
        mu = tr.challenge_ext(f"{label}/layer{k}/mu", F)
        point = rs[::-1] + [mu]
        p_val, q_val = _reduce(E, values, mu, unit and k + 1 == m)
        layers.append(FractionLayerProof(xp.concatenate(rounds, axis=1), values))
    proof = FractionProof(E, unit, top, tuple(layers))
    return proof, FractionClaim(p_root, q_root, point, p_val, q_val)


def verify_fraction_sum(
    F: PrimeField, num_vars: int, proof: FractionProof, tr: Transcript, label: str
) -> FractionClaim:
    """Replay the transcript and check every layer; returns the root and the leaf claim the
    caller must check. Raises ProofRejected naming the failing layer."""
    E = F.ext
    m, unit = num_vars, proof.unit_p
    _check_shapes(E, m, proof, label)
    tr.absorb_ints(f"{label}/shape", [m, int(unit)])
    tr.absorb(f"{label}/top", E.encode(proof.top))
    p_root, q_root = _root(E, proof.top, m, unit)
    if m == 0:
        return FractionClaim(p_root, q_root, [], p_root, q_root)
    mu = tr.challenge_ext(f"{label}/layer0/mu", F)
    point = [mu]
    p_val, q_val = _reduce(E, proof.top, mu, unit and m == 1)
    for k, lp in enumerate(proof.layers, start=1):
        lam = tr.challenge_ext(f"{label}/layer{k}/lambda", F)
        claim = E.add(p_val, E.mul(lam, q_val))
        rs = []
        for j in range(k):
            msg = lp.rounds[:, 3 * j : 3 * j + 3]
            r, claim = read_round(F, tr, f"{label}/layer{k}", j, msg, claim)
            rs.append(r)
        r_point = rs[::-1]
        a, b = _children(E, _columns(lp.values))
        expected = E.mul(eq_eval(F, point, r_point), E.add(a, E.mul(lam, b)))
        if not E.equal(claim, expected):
            raise ProofRejected(
                f"{label}: fraction layer {k}: the sumcheck's final value does not match "
                "the stated children"
            )
        tr.absorb(f"{label}/layer{k}/values", E.encode(lp.values))
        mu = tr.challenge_ext(f"{label}/layer{k}/mu", F)
        point = r_point + [mu]
        p_val, q_val = _reduce(E, lp.values, mu, unit and k + 1 == m)
    return FractionClaim(p_root, q_root, point, p_val, q_val)


def fraction_soundness(F: PrimeField, num_vars: int) -> float:
    """log2 of the soundness error of verify_fraction_sum over 2^m leaves (m = num_vars),
    given that the caller checks the returned leaf claim exactly:

        err(m) = (1 + sum_{k=1}^{m-1} (3k + 2)) / |E| = (1 + 3 m (m-1) / 2 + 2 (m-1)) / |E|

    Per layer k >= 1: lambda merges two claims of which one is false, 1/|E|; the k-round
    sumcheck of degree 3, 3k/|E| [LFKN92; Thaler, "Proofs, Arguments, and Zero-Knowledge",
    Prop. 4.1]; the line through the stated (p0, p1), (q0, q1) at mu, 1/|E| (two distinct
    linear polynomials agree at one point). The root layer has only its mu, 1/|E|. This is the
    GKR bound of Thaler §4.6 as Papini–Haböck (2023, §3) apply it to the fraction tree.
    With m = 0 nothing is random (the leaf is sent): -inf.
    """
    m = num_vars
    if m == 0:
        return -math.inf
    terms = 1 + 3 * m * (m - 1) // 2 + 2 * (m - 1)
    return math.log2(terms) - F.ext.degree * math.log2(F.p)


# ---- shared by prover and verifier ------------------------------------------------------------


def _value_count(unit: bool, k: int, m: int) -> int:
    """Values stated after layer k's sumcheck: only q0, q1 when layer k+1 holds unit leaves."""
    return 2 if unit and k + 1 == m else 4


def _top_count(m: int, unit: bool) -> int:
    return (1 if unit else 2) if m == 0 else _value_count(unit, 0, m)


def _columns(values: Array) -> list[Array]:
    return [values[:, i] for i in range(values.shape[1])]


def _children(E: ExtField, cols: list[Array]) -> tuple[Array, Array]:
    """(A, B) = (p0 q1 + p1 q0, q0 q1) for cols = [p0, p1, q0, q1] (scalars or tables), the
    parent fraction; for cols = [q0, q1] (unit numerators) A = q0 + q1."""
    if len(cols) == 2:
        q0, q1 = cols
        return E.add(q0, q1), E.mul(q0, q1)
    p0, p1, q0, q1 = cols
    return E.add(E.mul(p0, q1), E.mul(p1, q0)), E.mul(q0, q1)


def _root(E: ExtField, top: Array, m: int, unit: bool) -> tuple[Array, Array]:
    if m == 0:
        return (E.one() if unit else top[:, 0].copy()), top[:, -1].copy()
    return _children(E, _columns(top))


def _reduce(E: ExtField, values: Array, mu: Array, unit_leaves: bool) -> tuple[Array, Array]:
    """The claim on the next layer at mu: (p0 + mu (p1 - p0), q0 + mu (q1 - q0)); p is 1 when
    the next layer is unit leaves."""
    lo, hi = values[:, 0::2], values[:, 1::2]
    folded = E.fold(lo, E.sub(hi, lo), mu)
    if unit_leaves:
        return E.one(), folded[:, 0].copy()
    return folded[:, 0].copy(), folded[:, 1].copy()


def _check_shapes(E: ExtField, m: int, proof: FractionProof, label: str) -> None:
    """An in-memory proof for another size is rejected, not indexed out of range."""
    d, unit = E.degree, proof.unit_p
    ok = proof.top.shape == (d, _top_count(m, unit)) and len(proof.layers) == max(m - 1, 0)
    for k, lp in enumerate(proof.layers, start=1):
        ok = ok and lp.rounds.shape == (d, 3 * k)
        ok = ok and lp.values.shape == (d, _value_count(unit, k, m))
    if not ok:
        raise ProofRejected(f"{label}: fraction proof does not have the shape of 2^{m} leaves")


# ---- prover -------------------------------------------------------------------------------------


def _num_vars(E: ExtField, p: Array | None, q: Array) -> int:
    n = q.shape[-1]
    if q.ndim != 2 or q.shape[0] != E.degree or n == 0 or n & (n - 1):
        raise ValueError("q must be a (d, 2^m) extension array")
    if p is not None and p.shape != q.shape:
        raise ValueError("p and q must have the same shape")
    return n.bit_length() - 1


def _halves(p: Array | None, q: Array) -> list[Array]:
    """A layer's tables split at the child (top) bit: [p0, p1, q0, q1], or [q0, q1]."""
    h = q.shape[1] // 2
    tabs = [q] if p is None else [p, q]
    return [half for t in tabs for half in (t[:, :h], t[:, h:])]


def _layers(E: ExtField, p: Array | None, q: Array) -> list[tuple[Array | None, Array]]:
    """tree[k] = (P_k, Q_k) for k = 0 .. m; P_m is None for unit numerators."""
    tree = [(p, q)]
    while tree[-1][1].shape[1] > 1:
        tree.append(_children(E, _halves(*tree[-1])))
    return tree[::-1]


def _inverses(E: ExtField, coords: list[Array]) -> list[Array]:
    """1 / c for each extension scalar, by one exponentiation for all (Montgomery's trick) in
    Python ints: E.inv on a short array pays numpy's per-call cost in each of its ~200 steps.
    A zero coordinate (never inverted by the caller) counts as 1."""
    one = E.unit_ints(1)
    vals = [E.ints(c) for c in coords]
    vals = [v if any(v) else one for v in vals]
    prefix = [one]
    for v in vals:
        prefix.append(E.mul_ints(prefix[-1], v))
    inv = square_and_multiply(E.mul_ints, one, prefix[-1], E.order - 2)
    out = []
    for v, before in zip(reversed(vals), reversed(prefix[:-1]), strict=True):
        out.append(E.from_reduced_ints(E.mul_ints(inv, before)))
        inv = E.mul_ints(inv, v)
    return out[::-1]


def _layer_sum(E: ExtField, eq: Array, layer: tuple[Array | None, Array], lam: Array) -> Array:
    """sum_x eq(x) [P_k(x) + lambda Q_k(x)] over the low half of layer k's tables."""
    p, q = layer
    h = eq.shape[1]
    return E.add(E.dot(eq, p[:, :h]), E.mul(lam, E.dot(eq, q[:, :h])))


def _round_message(
    E: ExtField,
    tabs: list[Array],
    eq_rest: Array,
    rho: Array,
    rho_inv: Array,
    lam: Array,
    claim: Array,
    scale: Array,
    g0: Array | None = None,
) -> Array:
    """One round over the tables [p0, p1, q0, q1] (or [q0, q1]), each (d, 2h) and owned:
    they are left laid out [lo | hi - lo] for `fold_halves`. eq_rest is the eq table over the
    coordinates below `rho` (the one this round binds) and `scale` the product of eq1 over
    those already bound, so h(t) = scale eq1(t) g(t) and the claim is h(0) + h(1). `g0`, the
    unscaled sum at t = 0, may come from the layer's own table (round 0). Returns h(0), h(2),
    h(3) as a (d, 3) array."""
    h = tabs[0].shape[1] // 2
    lo = [t[:, :h] for t in tabs]
    if g0 is None:
        g0 = _weighted(E, eq_rest, lo, lam)
    g0 = E.mul(scale, g0)
    one = E.one()
    if E.equal(rho, E.zeros()):  # probability 1/|E|: g(1) from the high halves
        g1 = E.mul(scale, _weighted(E, eq_rest, [t[:, h:] for t in tabs], lam))
    else:
        g1 = E.mul(E.sub(claim, E.mul(E.sub(one, rho), g0)), rho_inv)
    for t in tabs:
        t[:, h:] = E.sub(t[:, h:], t[:, :h])
    c2 = E.mul(scale, _weighted(E, eq_rest, [t[:, h:] for t in tabs], lam, linear=False))
    b1 = E.sub(E.sub(g1, g0), c2)  # g(t) = g0 + b1 t + c2 t^2

    def g_at(t: int) -> Array:
        return E.add(E.add(g0, E.mul(E.scalar(t), b1)), E.mul(E.scalar(t * t), c2))

    msg = [E.mul(_eq1(E, rho, E.scalar(t)), g_at(t)) for t in (0, 2, 3)]
    return E.xp.stack(msg, axis=1)


def _eq1(E: ExtField, rho: Array, t: Array) -> Array:
    """eq(rho, t) in one variable: (1 - rho)(1 - t) + rho t = 1 - t - rho + 2 rho t."""
    one = E.one()
    return E.add(E.sub(E.sub(one, t), rho), E.mul(E.scalar(2), E.mul(rho, t)))


def _weighted(E: ExtField, eq: Array, cols: list[Array], lam: Array, linear: bool = True) -> Array:
    """sum_x eq(x) [A(x) + lambda B(x)] over tables cols as in `_children` (without A's
    linear unit-numerator part q0 + q1 when not `linear`). Each triple product is one
    extension product eq q and an inner product (E.dot, several times cheaper than a
    product): sum eq (p0 q1 + p1 q0 + lambda q0 q1) = <eq q1, p0> + <eq q0, p1 + lambda q1>,
    lambda applied to the summed scalars."""
    if len(cols) == 2:
        q0, q1 = cols
        out = E.mul(lam, E.dot(E.mul(eq, q0), q1))
        if linear:
            out = E.add(out, E.add(E.dot(eq, q0), E.dot(eq, q1)))
        return out
    p0, p1, q0, q1 = cols
    w0 = E.mul(eq, q0)
    out = E.add(E.dot(E.mul(eq, q1), p0), E.dot(w0, p1))
    return E.add(out, E.mul(lam, E.dot(w0, q1)))
