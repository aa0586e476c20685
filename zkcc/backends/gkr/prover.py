"""Data-parallel GKR prover (Libra two-phase, linear time), instances as extra variables.

Layer i's table is V_i flattened as s * 2^{w_i} + x. For claims (rz_k, rs_k) on layer i+1 with
combining coefficients coeff_k (1 for the output layer; transcript alpha, beta below it), define
A_k(s) = coeff_k eq(rs_k, s) and per gate g the weight c_g eq(rz_k, z_g). Then

  phase 1: sum_{x,s} V_i(x,s) G1(x,s) = claim - sum_k coeff_k const~(rz_k), where
           G1(x,s) = sum_k A_k(s) [sum_{mul g: x_g=x} c_g eq(rz_k,z_g) V_i(y_g,s)
                                   + sum_{add g: x_g=x} c_g eq(rz_k,z_g)]
           ends at (rx, rsx); the prover sends v_x = V_i~(rx, rsx).
  phase 2: sum_{y,s} V_i(y,s) G2(y,s) = final_1 - v_x sum_k coeff_k eq(rs_k,rsx) add~(rz_k,rx),
           G2(y,s) = v_x eq(rsx,s) sum_k coeff_k eq(rs_k,s) U_k(y),
           U_k(y) = sum_{mul g: y_g=y} c_g eq(rz_k,z_g) eq(rx,x_g)
           ends at (ry, rsy); the prover sends v_y = V_i~(ry, rsy).
Both tables are built with gathers, outer products and sort-based scatter-adds over gates.

With a `ZkProver` (zkcc/backends/gkr/zk.py) every sumcheck is masked, layers 1.. are proved
as their masked extensions, and the input segments' evaluations are not sent but returned as
linked claims; the masks' parts are reduced to one claim on the launch's mask table and one
on the reduction's own masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.backends.gkr.claims import (
    Claim,
    absorb_shape,
    check_segments,
    combine,
    input_link,
    segment_point,
)
from zkcc.backends.gkr.evaluate import LayerStore, column_chunks, scatter_add
from zkcc.backends.gkr.proof import GKRProof, LayerProof, SegmentClaim
from zkcc.backends.gkr.shard import Collective, Shard, eq_columns, sum_over_workers
from zkcc.backends.gkr.sumcheck import Outside, RoundHook, SumcheckProver, TableStore
from zkcc.backends.gkr.wiring import add_tilde, const_tilde, gate_weights, instance_eq
from zkcc.backends.gkr.zk import ZkProver, real_input_log2
from zkcc.field import PrimeField, eq_table
from zkcc.field.base import Array
from zkcc.field.linalg import row_combine
from zkcc.field.m31_kernels import outer_sum
from zkcc.transcript import Transcript


def _outer(F: PrimeField, a: Array, b: Array) -> Array:
    """(d, G) x (d, C) -> (d, G, C) extension outer product."""
    return F.ext.mul(a[:, :, None], b[:, None, :])


@dataclass(frozen=True)
class Part:
    """The layers of one part of a worker's instances (its whole shard, or one memory chunk
    of it: Shard.split), gate-major in the part's column order."""

    shard: Shard
    layers: Sequence[Array]


@dataclass(frozen=True)
class _Context:
    F: PrimeField
    parts: list[Part]
    comm: Collective | None
    transcript: Transcript
    tables: Callable[[], TableStore] | None
    zk: ZkProver | None = None
    outside: Outside | None = None  # the input rows no gate reads (zero knowledge: Outside)

    def sumcheck(
        self,
        label: str,
        build,
        claim: Array,
        w_in: int,
        hook: RoundHook | None,
        outside: Outside | None,
    ):
        """One phase over every part: w_in gate rounds and the local instance rounds here,
        the block rounds after the exchange. Returns the result and the prover (for the
        zero-knowledge tail round)."""
        sh = self.parts[0].shard
        sc = SumcheckProver(self.F, self.transcript, label, self.comm, hook)
        res = sc.prove_parts(
            build,
            len(self.parts),
            claim,
            local_rounds=w_in + sh.block_log2,
            global_rounds=sh.global_rounds,
            gate_rounds=w_in,
            store=self.tables() if self.tables else None,
            outside=outside,
        )
        return res, sc

    def outside_of(self, i: int) -> Outside | None:
        """The rows of layer i's values that the phase tables leave out: the input layer's
        rows above the real input, when the input mask widened it (Outside)."""
        return self.outside if i == 0 else None

    def phase(self, i: int, p: int, build, claim: Array, w_in: int, claims, coeffs) -> tuple:
        """Layer i's phase p: its sumcheck, masked with zero knowledge (rho drawn, the masks'
        terms in every round, the w round, the mask part). Returns the result, the sumcheck
        prover, the layer value it ends with (masked with zk) and the mask part it sends.
        Over the input layer (i = 0) `build` makes only the real rows' tables when
        `outside` is set."""
        label = f"gkr/layer{i}/phase{p}"
        outside = self.outside_of(i)
        if self.zk is None:
            res, sc = self.sumcheck(label, build, claim, w_in, None, outside)
            return res, sc, res.f_eval, None
        mask = self.zk.start(self.transcript, label, i, p, claims, coeffs)
        res, sc = self.sumcheck(label, build, claim, w_in, mask, outside)
        value, sigma = self.zk.finish(self.transcript, label, p, sc, res, mask)
        return res, sc, value, sigma


def _outers(F: PrimeField, us: list[Array], cs: list[Array]) -> Array:
    """sum_k u_k (x) c_k: (d, W) and (d, C) vectors to a (d, W, C) table (QM31: one pass of
    unreduced outer products, m31_kernels.outer_sum)."""
    E = F.ext
    if E.degree > 1:
        return outer_sum(E, us, cs)
    acc = _outer(F, us[0], cs[0])
    for u, c in zip(us[1:], cs[1:], strict=True):
        acc = E.add(acc, _outer(F, u, c))
    return acc


def _phase1_table(F: PrimeField, layer: Layer, v: Array, eqz: list, a_s: list) -> Array:
    """G1[x, s] = sum_k A_k(s) [sum_{mul g: x_g = x} c_g eqz_k[z_g] V(y_g, s)
    + sum_{add g: x_g = x} c_g eqz_k[z_g]] on the shard's columns, (d, W_in, columns), built
    one column chunk at a time so that the temporaries stay small."""
    E = F.ext
    width, cols = v.shape
    g1 = E.zeros((width, cols))
    mw, aw = layer.mul_wires, layer.add_wires
    wts = [gate_weights(F, layer.mul_coef, ez, mw[:, 0]) for ez in eqz] if len(mw) else []
    adds = (
        [
            scatter_add(F, gate_weights(F, layer.add_coef, ez, aw[:, 0]), aw[:, 1], width)
            for ez in eqz
        ]
        if len(aw)
        else []
    )
    for a, b in column_chunks(cols, 8 * E.degree * 3 * (len(mw) + width)):
        a_chunk = [s[:, a:b] for s in a_s]
        part = _outers(F, adds, a_chunk) if adds else E.zeros((width, b - a))
        if wts:
            t = E.mul_base(_outers(F, wts, a_chunk), v[mw[:, 2], a:b])
            part = E.add(part, scatter_add(F, t, mw[:, 1], width, axis=-2))
        g1[:, :, a:b] = part
    return g1


def _prove_layer(
    ctx: _Context,
    layer: Layer,
    i: int,
    claims: list[Claim],
    coeffs: list[Array],
    live: int | None = None,
) -> tuple[LayerProof, Claim, Claim]:
    """One layer's two phases. `live`: only the first `live` instances' claims count (the
    output layer of a launch whose padding need not satisfy the kernel), the claims'
    instance weight eq(rs_k, s) times [s < live] (wiring.instance_eq)."""
    F, tr = ctx.F, ctx.transcript
    E = F.ext
    w_in, w_out = ctx.parts[0].layers[i].shape[0].bit_length() - 1, layer.width_log2
    outside = ctx.outside_of(i)
    rows = 1 << w_in if outside is None else outside.real  # the rows the phase tables hold
    eqz = [eq_table(F, c.point[:w_out]) for c in claims]
    total = combine(F, coeffs, [c.value for c in claims])
    # sum_s A_k(s): coeff_k, or on the output layer coeff_k sum_(s < live) eq(rs_k, s)
    sums = [
        E.mul(k, instance_eq(F, live, c.point[w_out:])) for c, k in zip(claims, coeffs, strict=True)
    ]
    claim1 = E.sub(total, const_tilde(F, layer, combine(F, sums, eqz)))

    def a_s(part: Part) -> list[Array]:
        """A_k(s) = coeff_k eq(rs_k, s) [s < live] on the part's columns."""
        out = [
            E.mul(eq_columns(F, c.point[w_out:], part.shard), k)
            for c, k in zip(claims, coeffs, strict=True)
        ]
        if live is None:
            return out
        real = F.array((part.shard.instances() < live).astype(np.int64))
        return [E.mul_base(a, real) for a in out]

    def phase1(p: int) -> tuple[Array, Array]:
        v = ctx.parts[p].layers[i][:rows]
        g1 = _phase1_table(F, layer, v, eqz, a_s(ctx.parts[p]))
        return v.reshape(-1).copy(), g1.reshape(E.degree, -1)

    res1, sc1, v_x, sigma = ctx.phase(i, 1, phase1, claim1, w_in, claims, coeffs)
    tr.absorb_field(f"gkr/layer{i}/vx", E, v_x)
    rx, rsx = res1.point[:w_in], res1.point[w_in:]

    # phase 2 table G2 (d, W_in, columns) = sum_k U_k(y) v_x eq(rsx, s) A_k(s), rank <= #claims
    eqx = eq_table(F, rx)
    za = combine(
        F,
        [
            E.mul(c, instance_eq(F, live, cl.point[w_out:], rsx))
            for c, cl in zip(coeffs, claims, strict=True)
        ],
        eqz,
    )
    claim2 = E.mul(v_x, E.sub(res1.g_eval, add_tilde(F, layer, za, eqx)))
    mw = layer.mul_wires
    us = (
        [
            scatter_add(
                F,
                E.mul(gate_weights(F, layer.mul_coef, ez, mw[:, 0]), eqx[:, mw[:, 1]]),
                mw[:, 2],
                rows,
            )
            for ez in eqz
        ]
        if len(mw)
        else []
    )

    def phase2(p: int) -> tuple[Array, Array]:
        part = ctx.parts[p]
        v = part.layers[i][:rows]
        g2 = E.zeros(v.shape)
        if us:
            vx_eqsx = E.mul(eq_columns(F, rsx, part.shard), v_x)
            cs = [E.mul(vx_eqsx, a_k) for a_k in a_s(part)]
            for a, b in column_chunks(v.shape[1], 8 * E.degree * 3 * v.shape[0]):
                g2[:, :, a:b] = _outers(F, us, [c[:, a:b] for c in cs])
        return v.reshape(-1).copy(), g2.reshape(E.degree, -1)

    res2, sc2, v_y, _ = ctx.phase(i, 2, phase2, claim2, w_in, claims, coeffs)
    tr.absorb_field(f"gkr/layer{i}/vy", E, v_y)
    return (
        LayerProof(sc1.proof(), v_x, sc2.proof(), v_y, sigma),
        Claim(res1.point, v_x),
        Claim(res2.point, v_y),
    )


def _segment_value(
    F: PrimeField, shard: Shard, rows: Array, low: list[Array], rs: list[Array]
) -> Array:
    """This worker's share of sum_{x, s} rows[x, s] eq(low, x) eq(rs, s): the segment's MLE at
    (low, rs) for a split segment, and (summed over all instances) at `low` for a broadcast
    one, whose columns are all equal and sum_s eq(rs, s) = 1."""
    E = F.ext
    at_low = row_combine(F, eq_table(F, low)[:, None, :], rows)[:, 0, :]  # (d, columns)
    return E.dot(at_low, eq_columns(F, rs, shard))


def _outside(F: PrimeField, circuit: LayeredCircuit, parts: list[Part]) -> Outside | None:
    """The hiding circuit's input rows above the real input (zk.real_input_log2), when its
    input mask widened the layer: zeros and the broadcast mask, the same in every column,
    read by no gate. Their values are any part's first column (a worker without columns
    needs none: its tables are empty)."""
    real_log2 = real_input_log2(circuit)
    if real_log2 >= circuit.input_log2:
        return None
    real = 1 << real_log2
    held = next((p.layers[0] for p in parts if p.layers[0].shape[1]), None)
    values = F.zeros((1 << circuit.input_log2) - real) if held is None else held[real:, 0]
    return Outside(circuit.input_log2 - real_log2, real, F.xp.ascontiguousarray(values))


def prove(
    F: PrimeField,
    circuit: LayeredCircuit,
    layers: Sequence[Array] | list[Part],
    transcript: Transcript,
    shard: Shard | None = None,
    comm: Collective | None = None,
    tables: Callable[[], TableStore] | None = None,
    progress: Callable[[], None] | None = None,
    zk: ZkProver | None = None,
    live: int | None = None,
) -> tuple[GKRProof, list[SegmentClaim]]:
    """Prove that the layers (from evaluate_circuit) satisfy `circuit` with an all-zero output
    (on the first `live` instances only, when given: the rest are padding whose outputs are
    free, and the output claim weighs instance s by [s < live]).

    `layers[i]` is this worker's gate-major part of V_i, (2^w_i, shard.columns) in the shard's
    column order (zkcc/backends/gkr/shard.py); the default shard is all instances, one worker.
    Or `layers` is a list of Parts, memory chunks of the shard in block order, proved one at a
    time with their sumcheck tables kept by `tables()` between rounds. A LayerStore's layers
    are released as soon as they are proved. Returns the proof (the same bytes for every split
    and chunking) and the claims on the input segments, which the caller must open against
    the segment commitments. `progress()` is called after each layer.

    With `zk` (for the circuit zk.hiding_circuit made) the proof is zero-knowledge: the
    segment claims are linked (SegmentClaim.link) instead of sent, and two more claims, on the
    mask table and the reduction's (segments zk.MASK_TABLE, zk.REDUCTION_TABLE), must be
    opened.
    """
    E = F.ext
    check_segments(circuit)
    if circuit.depth == 0:
        raise ValueError("a circuit needs at least one layer")
    if layers and isinstance(layers[0], Part):
        parts = list(layers)
    else:
        if shard is None:
            cols = layers[0].shape[1]
            if cols & (cols - 1):
                raise ValueError("need a power-of-two number of instances")
            shard = Shard.whole(cols.bit_length() - 1)
        parts = [Part(shard, layers)]  # type: ignore[arg-type]
    if any(len(p.layers) != circuit.depth + 1 for p in parts):
        raise ValueError("need depth + 1 layers")
    n = parts[0].shard.n_log2
    outside = _outside(F, circuit, parts) if zk is not None else None
    ctx = _Context(F, parts, comm, transcript, tables, zk, outside)

    def release(i: int) -> None:
        for p in parts:
            if isinstance(p.layers, LayerStore):
                p.layers.release(i)

    release(circuit.depth)  # the output is zero by the statement; it is never read
    absorb_shape(transcript, circuit, n)
    top = transcript.challenge_exts("gkr/output", F, circuit.width_log2(circuit.depth) + n)
    claims = [Claim([top[:, j] for j in range(top.shape[1])], E.zeros())]
    coeffs = [E.one()]
    proofs: list[LayerProof] = [None] * circuit.depth  # type: ignore[list-item]
    for i in reversed(range(circuit.depth)):
        top = live if i == circuit.depth - 1 else None
        lp, cx, cy = _prove_layer(ctx, circuit.layers[i], i, claims, coeffs, top)
        if i:
            release(i)
        proofs[i] = lp
        claims = [cx, cy]
        if progress:
            progress()
        if i > 0:
            ab = transcript.challenge_exts(f"gkr/layer{i}/combine", F, 2)
            coeffs = [ab[:, 0], ab[:, 1]]

    evals = [E.zeros() for _ in range(len(claims) * len(circuit.segments))]
    for p in parts:
        v0 = p.layers[0]
        k = 0
        for cl in claims:
            rs = cl.point[circuit.input_log2 :]
            for seg in circuit.segments:
                rows = v0[seg.offset : seg.offset + (1 << seg.size_log2)]
                evals[k] = E.add(
                    evals[k], _segment_value(F, p.shard, rows, cl.point[: seg.size_log2], rs)
                )
                k += 1
    release(0)
    ev = sum_over_workers(E, comm, E.xp.stack(evals, axis=1)) if evals else E.zeros(0)
    seg_claims = []
    k = 0
    for c, cl in enumerate(claims):
        for seg in circuit.segments:
            link = input_link(F, circuit, seg, cl, c) if zk else None
            seg_claims.append(
                SegmentClaim(seg.name, segment_point(circuit, seg, cl.point), ev[:, k], link)
            )
            k += 1
    if zk:
        masks, mask_claims = zk.reduce(transcript)
        return GKRProof(E, tuple(proofs), None, masks), [*seg_claims, *mask_claims]
    ev = ev.reshape(E.degree, 2, len(circuit.segments))
    transcript.absorb_field("gkr/input", E, ev)
    return GKRProof(E, tuple(proofs), ev), seg_claims
