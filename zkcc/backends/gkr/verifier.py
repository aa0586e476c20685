"""Data-parallel GKR verifier: replays the transcript and checks every layer's two phases.

Per layer (see prover.py for the tables) the verifier
  1. sets claim_1 = sum_k coeff_k value_k - sum_k coeff_k const~(rz_k)   (sum_s eq(rs_k, s) = 1),
  2. checks the phase-1 sumcheck, getting (rx, rsx) and final_1; absorbs v_x,
  3. sets claim_2 = final_1 - v_x sum_k coeff_k eq(rs_k, rsx) add~(rz_k, rx),
  4. checks the phase-2 sumcheck, getting (ry, rsy) and final_2; absorbs v_y,
  5. checks final_2 == v_x v_y sum_k coeff_k eq3(rs_k, rsx, rsy) mul~(rz_k, rx, ry),
     where eq3(a, b, c) = prod_i (a_i b_i c_i + (1-a_i)(1-b_i)(1-c_i)) is the MLE of
     eq(rsx, s) eq(rs_k, s) at rsy (with zero knowledge the difference is phase 2's mask
     part, which the mask reduction checks);
and continues with the claims (rx, rsx, v_x), (ry, rsy, v_y) combined by alpha, beta.
The wiring is evaluated once per layer in O(#gates + width); instance variables cost O(n).
At layer 0 the segment evaluations must recombine into both claims.
"""

from __future__ import annotations

from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.backends.gkr.claims import (
    Claim,
    absorb_shape,
    check_segments,
    combine,
    input_link,
    segment_point,
    selector_coords,
)
from zkcc.backends.gkr.proof import GKRProof, LayerProof, SegmentClaim
from zkcc.backends.gkr.sumcheck import SumcheckVerifier, mle_point
from zkcc.backends.gkr.wiring import add_tilde, bits_eq, const_tilde, instance_eq, mul_tilde
from zkcc.backends.gkr.zk import MaskLayout, ZkVerifier
from zkcc.errors import ProofRejected
from zkcc.field import PrimeField, eq_table
from zkcc.field.base import Array
from zkcc.transcript import Transcript


def _verify_layer(
    F: PrimeField,
    layer: Layer,
    w_in: int,
    n: int,
    lp: LayerProof,
    claims: list[Claim],
    coeffs: list[Array],
    tr: Transcript,
    i: int,
    zk: ZkVerifier | None,
    live: int | None = None,
) -> tuple[Claim, Claim]:
    E = F.ext
    w_out = layer.width_log2
    rzs = [c.point[:w_out] for c in claims]
    rss = [c.point[w_out:] for c in claims]
    eqz = [eq_table(F, rz) for rz in rzs]
    total = combine(F, coeffs, [c.value for c in claims])
    sums = [E.mul(c, instance_eq(F, live, rs)) for c, rs in zip(coeffs, rss, strict=True)]
    claim1 = E.sub(total, const_tilde(F, layer, combine(F, sums, eqz)))

    def phase(p: int, claim: Array) -> tuple[list[Array], Array, Array | None, list[Array]]:
        """Phase p's sumcheck (masked with zk): its point, final claim (phase 1's data part
        with zk), rho and challenges (zk)."""
        label, where = f"gkr/layer{i}/phase{p}", f"layer {i} phase {p}"
        rounds = w_in + n
        if zk is None:
            point, final = SumcheckVerifier(F, tr, label).verify(
                claim, getattr(lp, f"phase{p}"), rounds, where, gate_rounds=w_in
            )
            return point, final, None, []
        rho = zk.start(tr, label)
        degrees = zk.layout.phases[(i, p)].degrees
        challenges, final = SumcheckVerifier(F, tr, label).verify_rounds(
            claim, getattr(lp, f"phase{p}"), degrees, where
        )
        if p == 1:
            final = zk.finish_phase1(tr, label, i, challenges, final, rho, lp.sigma, claims, coeffs)
        return mle_point(challenges[:rounds], w_in), final, rho, challenges

    pt1, final1, _, _ = phase(1, claim1)
    tr.absorb_field(f"gkr/layer{i}/vx", E, lp.v_x)
    rx, rsx = pt1[:w_in], pt1[w_in:]
    eqx = eq_table(F, rx)
    za = combine(
        F, [E.mul(c, instance_eq(F, live, rs, rsx)) for c, rs in zip(coeffs, rss, strict=True)], eqz
    )
    claim2 = E.sub(final1, E.mul(lp.v_x, add_tilde(F, layer, za, eqx)))

    pt2, final2, rho2, challenges2 = phase(2, claim2)
    tr.absorb_field(f"gkr/layer{i}/vy", E, lp.v_y)
    ry, rsy = pt2[:w_in], pt2[w_in:]
    zm = combine(
        F,
        [E.mul(c, instance_eq(F, live, rs, rsx, rsy)) for c, rs in zip(coeffs, rss, strict=True)],
        eqz,
    )
    expected = E.mul(E.mul(lp.v_x, lp.v_y), mul_tilde(F, layer, zm, eqx, eq_table(F, ry)))
    if zk is not None:  # the rest is phase 2's mask part, checked by the mask reduction
        zk.finish_phase2(i, challenges2, rho2, E.sub(final2, expected))
    elif not E.equal(final2, expected):
        raise ProofRejected(f"layer {i} final check: v_x * v_y * mul~ does not match the sumcheck")
    return Claim(pt1, lp.v_x), Claim(pt2, lp.v_y)


def verify(
    F: PrimeField,
    circuit: LayeredCircuit,
    n_log2: int,
    proof: GKRProof,
    transcript: Transcript,
    zk: MaskLayout | None = None,
    live: int | None = None,
) -> list[SegmentClaim]:
    """Check `proof` for `circuit` over 2^n_log2 instances with an all-zero output layer (on
    the first `live` instances, when given; see prover.prove).

    Returns the input-segment claims the caller must check against commitments; raises
    ProofRejected naming the failed check. With `zk` (the launch's mask layout; the circuit
    from zk.hiding_circuit) the segment claims are linked, with no values, and the last two
    claims are on the mask table and the reduction's (zk.MASK_TABLE, zk.REDUCTION_TABLE).
    """
    E = F.ext
    check_segments(circuit)
    if len(proof.layers) != circuit.depth or circuit.depth == 0:
        raise ProofRejected(f"proof has {len(proof.layers)} layers, circuit {circuit.depth}")
    nseg = len(circuit.segments)
    if zk is None and proof.input_evals.shape != (E.degree, 2, nseg):
        raise ProofRejected("input layer: wrong number of segment evaluations")
    zkv = ZkVerifier(F, zk) if zk is not None else None
    absorb_shape(transcript, circuit, n_log2)
    top = transcript.challenge_exts("gkr/output", F, circuit.width_log2(circuit.depth) + n_log2)
    claims = [Claim([top[:, j] for j in range(top.shape[1])], E.zeros())]
    coeffs = [E.one()]
    for i in reversed(range(circuit.depth)):
        w_in = circuit.width_log2(i)
        lp = proof.layers[i]
        top = live if i == circuit.depth - 1 else None
        claims = list(
            _verify_layer(
                F, circuit.layers[i], w_in, n_log2, lp, claims, coeffs, transcript, i, zkv, top
            )
        )
        if i > 0:
            ab = transcript.challenge_exts(f"gkr/layer{i}/combine", F, 2)
            coeffs = [ab[:, 0], ab[:, 1]]

    if zkv is not None:
        out = [
            SegmentClaim(
                seg.name,
                segment_point(circuit, seg, cl.point),
                None,
                input_link(F, circuit, seg, cl, c),
            )
            for c, cl in enumerate(claims)
            for seg in circuit.segments
        ]
        return [*out, *zkv.reduce(transcript, proof.masks)]
    out = []
    for c, cl in enumerate(claims):
        acc = E.zeros()
        for j, seg in enumerate(circuit.segments):
            e = proof.input_evals[:, c, j]
            sel = bits_eq(F, selector_coords(circuit, seg, cl.point), seg.offset >> seg.size_log2)
            acc = E.add(acc, E.mul(sel, e))
            out.append(SegmentClaim(seg.name, segment_point(circuit, seg, cl.point), e.copy()))
        if not E.equal(acc, cl.value):
            raise ProofRejected(f"input layer claim {c}: segment evaluations do not sum to v")
    transcript.absorb_field("gkr/input", E, proof.input_evals)
    return out
