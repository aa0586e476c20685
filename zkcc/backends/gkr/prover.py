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
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.backends.gkr.claims import (
    Claim,
    absorb_shape,
    check_segments,
    combine,
    segment_point,
)
from zkcc.backends.gkr.evaluate import scatter_add
from zkcc.backends.gkr.proof import GKRProof, LayerProof, SegmentClaim
from zkcc.backends.gkr.sumcheck import SumcheckProver
from zkcc.backends.gkr.wiring import add_tilde, const_tilde, eq_eval, gate_weights
from zkcc.field import PrimeField, eq_table, mle_evaluate
from zkcc.field.base import Array
from zkcc.transcript import Transcript

xp = np


def _outer(F: PrimeField, a: Array, b: Array) -> Array:
    """(d, N) x (d, W) -> (d, N, W) extension outer product."""
    return F.ext.mul(a[:, :, None], b[:, None, :])


def _prove_layer(
    F: PrimeField,
    layer: Layer,
    v: Array,
    claims: list[Claim],
    coeffs: list[Array],
    tr: Transcript,
    i: int,
) -> tuple[LayerProof, Claim, Claim]:
    E = F.ext
    n_inst, width = v.shape
    w_in, w_out = width.bit_length() - 1, layer.width_log2
    eqz = [eq_table(F, c.point[:w_out]) for c in claims]
    eqs = [eq_table(F, c.point[w_out:]) for c in claims]
    total = combine(F, coeffs, [c.value for c in claims])
    claim1 = E.sub(total, const_tilde(F, layer, combine(F, coeffs, eqz)))

    # phase 1 table G1 (d, N, W_in)
    a_s = [E.mul(t, c) for t, c in zip(eqs, coeffs, strict=True)]
    g1 = E.zeros((n_inst, width))
    mw, aw = layer.mul_wires, layer.add_wires
    if len(mw):
        t = combine(
            F,
            [E.one()] * len(claims),
            [
                _outer(F, a, gate_weights(F, layer.mul_coef, ez, mw[:, 0]))
                for a, ez in zip(a_s, eqz, strict=True)
            ],
        )
        t = E.mul_base(t, v[:, mw[:, 2]])
        g1 = E.add(g1, scatter_add(F, t, mw[:, 1], width))
    if len(aw):
        for a, ez in zip(a_s, eqz, strict=True):
            u = scatter_add(F, gate_weights(F, layer.add_coef, ez, aw[:, 0]), aw[:, 1], width)
            g1 = E.add(g1, _outer(F, a, u))
    flat_v = v.reshape(-1)
    res1 = SumcheckProver(F, tr, f"gkr/layer{i}/phase1").prove(
        flat_v.copy(), g1.reshape(E.degree, -1), claim1, donate=True
    )
    v_x = res1.f_eval
    tr.absorb_field(f"gkr/layer{i}/vx", E, v_x)
    rx, rsx = res1.point[:w_in], res1.point[w_in:]

    # phase 2 table G2 (d, N, W_in), rank <= len(claims)
    eqx, eqsx = eq_table(F, rx), eq_table(F, rsx)
    za = combine(
        F,
        [E.mul(c, eq_eval(F, cl.point[w_out:], rsx)) for c, cl in zip(coeffs, claims, strict=True)],
        eqz,
    )
    claim2 = E.sub(res1.claim, E.mul(v_x, add_tilde(F, layer, za, eqx)))
    g2 = E.zeros((n_inst, width))
    if len(mw):
        vx_eqsx = E.mul(eqsx, v_x)
        for a, ez in zip(a_s, eqz, strict=True):
            u = E.mul(gate_weights(F, layer.mul_coef, ez, mw[:, 0]), eqx[:, mw[:, 1]])
            u = scatter_add(F, u, mw[:, 2], width)
            g2 = E.add(g2, _outer(F, E.mul(vx_eqsx, a), u))
    res2 = SumcheckProver(F, tr, f"gkr/layer{i}/phase2").prove(
        flat_v.copy(), g2.reshape(E.degree, -1), claim2, donate=True
    )
    v_y = res2.f_eval
    tr.absorb_field(f"gkr/layer{i}/vy", E, v_y)
    return (
        LayerProof(res1.proof, v_x, res2.proof, v_y),
        Claim(res1.point, v_x),
        Claim(res2.point, v_y),
    )


def prove(
    F: PrimeField, circuit: LayeredCircuit, layers: list[Array], transcript: Transcript
) -> tuple[GKRProof, list[SegmentClaim]]:
    """Prove that `layers` (from evaluate_circuit) satisfy `circuit` with an all-zero output.

    Returns the proof and the claims on the input segments, which the caller must open
    against the segment commitments. Instances N = layers[0].shape[0] must be a power of two.
    """
    E = F.ext
    check_segments(circuit)
    if circuit.depth == 0:
        raise ValueError("a circuit needs at least one layer")
    n_inst = layers[0].shape[0]
    if n_inst & (n_inst - 1) or len(layers) != circuit.depth + 1:
        raise ValueError("need depth + 1 layers over a power-of-two number of instances")
    n = n_inst.bit_length() - 1
    absorb_shape(transcript, circuit, n)
    top = transcript.challenge_exts("gkr/output", F, circuit.width_log2(circuit.depth) + n)
    claims = [Claim([top[:, j] for j in range(top.shape[1])], E.zeros())]
    coeffs = [E.one()]
    proofs: list[LayerProof] = [None] * circuit.depth  # type: ignore[list-item]
    for i in reversed(range(circuit.depth)):
        lp, cx, cy = _prove_layer(F, circuit.layers[i], layers[i], claims, coeffs, transcript, i)
        proofs[i] = lp
        claims = [cx, cy]
        if i > 0:
            ab = transcript.challenge_exts(f"gkr/layer{i}/combine", F, 2)
            coeffs = [ab[:, 0], ab[:, 1]]

    v0 = layers[0]
    seg_claims, evals = [], []
    for cl in claims:
        for seg in circuit.segments:
            cols = v0[:, seg.offset : seg.offset + (1 << seg.size_log2)]
            table = cols[0] if seg.broadcast else cols.reshape(-1)
            pt = segment_point(circuit, seg, cl.point)
            val = mle_evaluate(F, table, pt)
            evals.append(val)
            seg_claims.append(SegmentClaim(seg.name, pt, val))
    ev = xp.stack(evals, axis=1) if evals else E.zeros(0)
    ev = ev.reshape(E.degree, 2, len(circuit.segments))
    transcript.absorb_field("gkr/input", E, ev)
    return GKRProof(E, tuple(proofs), ev), seg_claims
