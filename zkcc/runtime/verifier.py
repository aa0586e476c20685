"""`zkcc verify`: replay the transcript and check every launch proof and every opening.

Malformed data raises FormatError (exit 2); a well-formed proof that fails a check raises
ProofRejected (exit 1) naming the check.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from zkcc.backends import gkr
from zkcc.backends import groth16 as g16
from zkcc.encoding import Schema
from zkcc.errors import FormatError, ProofRejected, UserError
from zkcc.field import get_field
from zkcc.field.mle import mle_evaluate
from zkcc.ir.host import AssertEq
from zkcc.pcs.base import get_pcs
from zkcc.plan.plan import Plan
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.claims import (
    Claim,
    assert_eq_layouts,
    pcs_claims,
    proof_tensors,
    segment_claims,
    valid_tensor,
    valid_values,
)
from zkcc.runtime.groth16_launch import (
    LaunchBoundary,
    boundary_claims,
    check_key_shape,
    commitment_bytes,
    commitment_from_tree,
    draw_points,
    groth16_steps,
    kernel_public_values,
    launch_boundary,
    proof_bytes,
    proof_from_tree,
    public_inputs,
)
from zkcc.runtime.protocol import start_transcript, step_label


def verify(
    plan: Plan, digest: bytes, data: bytes, what: str = "proof", keys: dict | None = None
) -> dict[str, np.ndarray]:
    """Check a proof against a plan; returns the public tensors' values on success. `keys`:
    the Groth16 verifying keys by step (keyfiles.py), needed iff the plan has Groth16 launches."""
    F = get_field(plan.field)
    program = plan.program
    bundle, s = ProofBundle.from_bytes(data, what)
    if bundle.plan_digest != digest:
        raise ProofRejected("the proof was made for a different plan (plan digest differs)")
    g16_steps = groth16_steps(plan)
    if g16_steps and keys is not None and sorted(keys) != g16_steps:
        raise FormatError(
            f"verifying keys for launches {sorted(keys)}, the plan's Groth16 launches are "
            f"{g16_steps}"
        )
    if g16_steps and keys is None:
        raise UserError("the plan has Groth16 launches: a verifying key is needed (zkcc setup)")
    infos = proof_tensors(program, frozenset(g16_steps))
    public_names = {x.name for x in infos if x.public}
    committed = {x.name for x in infos if not x.public}
    if set(bundle.public) != public_names:
        raise FormatError(
            f"{what}: public tensors {sorted(bundle.public)}, plan has {sorted(public_names)}"
        )
    if set(bundle.commitments) != committed:
        raise FormatError(f"{what}: commitments/openings do not match the plan's private tensors")
    if len(bundle.steps) != len(program.host.steps):
        raise FormatError(
            f"{what}: {len(bundle.steps)} step proofs for {len(program.host.steps)} steps"
        )
    public = {}
    for x in infos:
        if x.public:
            raw = Schema(bundle.public[x.name], f"{what}.public.{x.name}").bytes(
                length=x.size * F.byte_len
            )
            public[x.name] = F.decode(raw, x.size)
    boundaries: dict[int, LaunchBoundary] = {}
    launch_commitments = {}
    for i in g16_steps:
        b = boundaries[i] = launch_boundary(program, i)
        check_key_shape(keys[i], b, "verifying key")
        com = commitment_from_tree(Schema(bundle.steps[i], f"{what}.steps[{i}]"), b)
        if com is not None:
            launch_commitments[i] = (com, commitment_bytes(com))
    transcript = start_transcript(
        digest,
        infos,
        bundle.public,
        bundle.commitments,
        {i: c[1] for i, c in launch_commitments.items()},
    )

    claims: dict[str, list[Claim]] = defaultdict(list)
    for i, step in enumerate(program.host.steps):
        transcript.absorb("step", step_label(i))
        ss = Schema(bundle.steps[i], f"{what}.steps[{i}]")
        if isinstance(step, AssertEq):
            a, b, layout = assert_eq_layouts(program, step)
            point = transcript.challenge_exts("assert_eq", F, layout.num_vars)
            ss.dict({"value"})
            encoded = ss.field("value").bytes(length=F.ext.byte_len)
            value = F.ext.decode(encoded, 1)[:, 0]
            transcript.absorb("assert_eq-value", encoded)
            for t in (a, b):
                claims[t].append(Claim(t, layout, point, value, f"step {i} assert_eq"))
            continue
        if i in boundaries:
            com = launch_commitments.get(i, (None,))[0]
            for c in verify_groth16_step(
                F, program, boundaries[i], keys[i], ss, com, public, transcript
            ):
                claims[c.tensor].append(c)
            continue
        ck = plan.kernels[step.kernel]
        n_log2 = max(0, (step.count - 1).bit_length())
        proof = gkr.GKRProof.from_tree(ss, F, ck.circuit, n_log2)
        try:
            seg_claims = gkr.verify(F, ck.circuit, n_log2, proof, transcript)
        except ProofRejected as e:
            raise ProofRejected(f"launch {i} ({step.kernel}): {e}") from None
        for c in segment_claims(program, i, seg_claims):
            claims[c.tensor].append(c)
    for name, flat in public.items():
        check_claims(F, flat, claims[name], f"public tensor {name}")
    for i, step in enumerate(program.host.steps):
        if not isinstance(step, AssertEq):
            name = valid_tensor(i)
            check_claims(F, valid_values(F, step.count), claims[name], f"launch {i} valid flags")
    pcs = get_pcs(plan.pcs)
    commitments = {
        x.name: (bundle.commitments[x.name], x.layout.num_vars) for x in infos if not x.public
    }
    pcs.verify(
        F,
        commitments,
        pcs_claims(claims, committed),
        Schema(bundle.opening, f"{what}.opening"),
        transcript,
    )
    return public


def verify_groth16_step(
    F, program, b: LaunchBoundary, vk, ss: Schema, com, public: dict, transcript
):
    """Points, values and the pairing check of one Groth16 launch; returns its claims."""
    proof = proof_from_tree(ss)
    points = draw_points(F, b, transcript)
    values: list[int] = []
    if b.committed:
        encoded = ss.field("values").bytes(length=len(b.committed) * F.byte_len)
        values = [int(x) for x in F.decode(encoded, len(b.committed))]
        transcript.absorb("groth16-values", encoded)
    transcript.absorb("groth16-proof", proof_bytes(proof))
    x = public_inputs(kernel_public_values(program, b, public), points, values)
    if not g16.verify(vk, x, proof, commitment=com):
        raise ProofRejected(f"launch {b.step} ({b.kernel}): the Groth16 pairing check fails")
    return boundary_claims(F, b, points, values)


def check_claims(F, flat, claims: list[Claim], where: str) -> None:
    """Evaluate claims on data the verifier knows (public tensors, valid flags)."""
    for c in claims:
        if not F.ext.equal(mle_evaluate(F, c.layout.table(F, flat), c.point), c.value):
            raise ProofRejected(f"{where}: evaluation claim ({c.origin}) does not hold")
