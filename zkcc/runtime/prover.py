"""`zkcc prove`: witness, commitments, one GKR proof per launch, batched openings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from zkcc.backends import gkr
from zkcc.errors import ZkccError
from zkcc.field import get_field
from zkcc.field.mle import mle_evaluate
from zkcc.ir.host import AssertEq
from zkcc.pcs.base import get_pcs
from zkcc.plan.plan import Plan
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.claims import (
    Claim,
    assert_eq_layouts,
    hint_tensor,
    pcs_claims,
    proof_tensors,
    segment_claims,
    segment_sources,
    valid_tensor,
    valid_values,
)
from zkcc.runtime.execute import execute
from zkcc.runtime.protocol import start_transcript, step_label


def assemble_layer0(F, circuit: gkr.LayeredCircuit, sources: dict, data: dict, count: int):
    """The input layer of a launch: (instances padded to 2^n) x 2^input_log2 values; each
    segment is its tensor's canonical padded table, instance rows as the high bits."""
    n_pad = 1 << max(0, (count - 1).bit_length())
    layer0 = F.zeros((n_pad, 1 << circuit.input_log2))
    for seg in circuit.segments:
        tensor, layout = sources[seg.name]
        table = layout.table(F, data[tensor])
        width = 1 << seg.size_log2
        layer0[:, seg.offset : seg.offset + width] = table.reshape(-1, width)
    return layer0


def check_residues(layers: list, i: int, kernel: str) -> None:
    """The circuit must agree with witness generation; a mismatch is a compiler bug, and
    proving it would only produce a proof that the verifier rejects."""
    if np.any(layers[-1] != 0):
        raise ZkccError(
            f"internal error: launch {i} ({kernel}) circuit residues are non-zero although "
            "witness generation succeeded"
        )


def prove(
    plan: Plan,
    digest: bytes,
    inputs: dict[str, np.ndarray],
    progress: Callable[[str], None] | None = None,
) -> ProofBundle:
    F = get_field(plan.field)
    program = plan.program
    say = progress or (lambda _msg: None)
    run = execute(program, F, inputs, say)
    data = dict(run.tensors)
    for i, h in enumerate(run.hints):
        if h.size:
            data[hint_tensor(i)] = h.reshape(-1)
    for i, step in enumerate(program.host.steps):
        if not isinstance(step, AssertEq):
            data[valid_tensor(i)] = valid_values(F, step.count)
    infos = proof_tensors(program)
    pcs = get_pcs(plan.pcs)
    public = {x.name: F.encode(data[x.name]) for x in infos if x.public}
    commitments, states = {}, {}
    for x in infos:
        if not x.public:
            say(f"commit: {x.name} ({x.size} elements)")
            table = x.layout.table(F, data[x.name])
            commitments[x.name], states[x.name] = pcs.commit(F, table)
    transcript = start_transcript(digest, infos, public, commitments)

    claims: dict[str, list[Claim]] = defaultdict(list)
    steps = []
    for i, step in enumerate(program.host.steps):
        transcript.absorb("step", step_label(i))
        if isinstance(step, AssertEq):
            a, b, layout = assert_eq_layouts(program, step)
            point = transcript.challenge_exts("assert_eq", F, layout.num_vars)
            value = mle_evaluate(F, layout.table(F, data[a]), point)
            encoded = F.ext.encode(value)
            transcript.absorb("assert_eq-value", encoded)
            steps.append({"value": encoded})
            for t in (a, b):
                claims[t].append(Claim(t, layout, point, value, f"step {i} assert_eq"))
            continue
        ck = plan.kernels[step.kernel]
        say(
            f"prove: launch {i} {step.kernel}<<<{step.count}>>> "
            f"({ck.stats['mul_gates']} mul gates/instance, depth {ck.circuit.depth})"
        )
        layer0 = assemble_layer0(F, ck.circuit, segment_sources(program, i), data, step.count)
        layers = gkr.evaluate_circuit(F, ck.circuit, layer0)
        check_residues(layers, i, step.kernel)
        proof, seg_claims = gkr.prove(F, ck.circuit, layers, transcript)
        steps.append(proof.to_tree())
        for c in segment_claims(program, i, seg_claims):
            claims[c.tensor].append(c)
    say(f"open: {sum(len(claims[n]) for n in commitments)} claims on {len(commitments)} tensors")
    opening = pcs.open(F, states, pcs_claims(claims, commitments), transcript)
    return ProofBundle(digest, public, commitments, steps, opening)
