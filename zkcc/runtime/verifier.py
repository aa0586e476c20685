"""`zkcc verify`: replay the transcript and check every launch proof and every opening.

Malformed data raises FormatError (exit 2); a well-formed proof that fails a check raises
ProofRejected (exit 1) naming the check.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from zkcc.encoding import Schema
from zkcc.errors import FormatError, ProofRejected, UserError
from zkcc.field import get_field
from zkcc.plan.plan import Plan
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.claims import Claim, pcs_claims, plan_tensors
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.packing import claims_on_bins, plan_bins, plan_pcs
from zkcc.runtime.protocol import absorb_commitments, start_transcript, step_label
from zkcc.runtime.steps import VerifyContext, check_claims, draw_lookup_challenges, schedule


def verify(
    plan: Plan, digest: bytes, data: bytes, what: str = "proof", keys: dict | None = None
) -> dict[str, np.ndarray]:
    """Check a proof against a plan; returns the public tensors' values on success. `keys`:
    the Groth16 verifying keys by step (keyfiles.py), needed iff the plan has Groth16 launches.

    Every FormatError names the proof file: the field decoders deep inside the checks
    ("m31: encoded value is not reduced") know nothing of files, so their message is prefixed
    here rather than at each of the many places that decode proof data."""
    try:
        return _verify(plan, digest, data, what, keys)
    except FormatError as e:
        if what in str(e):
            raise
        raise FormatError(f"{what}: {e}") from None


def _verify(
    plan: Plan, digest: bytes, data: bytes, what: str, keys: dict | None
) -> dict[str, np.ndarray]:
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
    infos = plan_tensors(plan, frozenset(g16_steps))
    public_names = {x.name for x in infos if x.public}
    bins, second = plan_bins(plan, frozenset(g16_steps))
    if set(bundle.public) != public_names:
        raise FormatError(
            f"{what}: public tensors {sorted(bundle.public)}, plan has {sorted(public_names)}"
        )
    if set(bundle.commitments) != {b.name for b in bins + second}:
        raise FormatError(
            f"{what}: commitments {sorted(bundle.commitments)}, the plan's private tensors are "
            f"committed as {sorted(b.name for b in bins + second)}"
        )
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
    steps = schedule(plan, frozenset(g16_steps))
    trees = [Schema(bundle.steps[st.index], f"{what}.steps[{st.index}]") for st in steps]
    launch_commitments = {
        st.index: st.read_commitment(ss) for st, ss in zip(steps, trees, strict=True)
    }
    transcript = start_transcript(
        digest,
        infos,
        bundle.public,
        [(b.name, bundle.commitments[b.name]) for b in bins],
        {i: c for i, c in launch_commitments.items() if c is not None},
    )
    draw_lookup_challenges(steps, transcript)  # zkcc/runtime/prover.py commit_lookup_round
    absorb_commitments(transcript, [(b.name, bundle.commitments[b.name]) for b in second])
    bins += second

    vctx = VerifyContext(F, program, public, keys)
    claims: dict[str, list[Claim]] = defaultdict(list)
    for st, ss in zip(steps, trees, strict=True):
        transcript.absorb("step", step_label(st.index))
        for c in st.verify(vctx, ss, transcript):
            claims[c.tensor].append(c)
    for name, flat in public.items():
        check_claims(F, flat, claims[name], f"public tensor {name}")
    pcs = plan_pcs(plan, bins)
    commitments = {b.name: (bundle.commitments[b.name], b.num_vars) for b in bins}
    pcs_list, relations = pcs_claims(claims_on_bins(F, bins, claims), commitments)
    pcs.verify(
        F,
        commitments,
        pcs_list,
        Schema(bundle.opening, f"{what}.opening"),
        transcript,
        relations,
    )
    return public
