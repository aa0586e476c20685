"""`zkcc prove`: witness, commitments, one GKR or Groth16 proof per launch, batched openings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from zkcc.backends import gkr
from zkcc.backends import groth16 as g16
from zkcc.errors import FormatError, UserError, ZkccError
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
from zkcc.runtime.groth16_launch import (
    LaunchCircuit,
    boundary_claims,
    build_launch_circuit,
    check_key_shape,
    commitment_bytes,
    draw_points,
    groth16_steps,
    kernel_public_values,
    launch_args,
    proof_bytes,
    public_inputs,
    step_to_tree,
)
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


def launch_witness(lc: LaunchCircuit, program, i: int, data: dict, hints) -> np.ndarray:
    """The kernel part of a Groth16 launch's witness (before points, values and folds)."""
    return lc.kernel.witness(launch_args(program, i, data), hints)


class _Groth16Launch:
    """A Groth16 launch between commitment and proof: circuit, key, kernel witness, D."""

    def __init__(self, lc: LaunchCircuit, pk, w_kernel) -> None:
        self.lc, self.pk, self.w_kernel = lc, pk, w_kernel
        self.commitment = g16.commit(pk, lc.ev.place(w_kernel)) if lc.boundary.committed else None

    def prove(self, F, program, data: dict, transcript):
        """Points from the transcript, in-circuit values, the Groth16 proof, and the claims."""
        b = self.lc.boundary
        points = draw_points(F, b, transcript)
        w, values = self.lc.ev.extend(self.w_kernel, points)
        kernel_pub = kernel_public_values(program, b, data)
        if public_inputs(kernel_pub, points, values) != [
            int(x) for x in w[1 : 1 + self.lc.r1cs.num_public]
        ]:
            raise ZkccError(f"internal error: launch {b.step} public inputs disagree")
        encoded = F.encode(F.array(values)) if b.committed else None
        if b.committed:
            transcript.absorb("groth16-values", encoded)
        try:
            proof = g16.prove(self.pk, self.lc.r1cs, w)
        except ZkccError as e:
            raise ZkccError(
                f"internal error: launch {b.step} ({b.kernel}) R1CS is not satisfied although "
                f"witness generation succeeded ({e})"
            ) from None
        transcript.absorb("groth16-proof", proof_bytes(proof))
        return step_to_tree(proof, self.commitment, encoded), boundary_claims(F, b, points, values)


def prove(
    plan: Plan,
    digest: bytes,
    inputs: dict[str, np.ndarray],
    progress: Callable[[str], None] | None = None,
    keys: dict | None = None,
) -> ProofBundle:
    """`keys`: the Groth16 proving keys by step (keyfiles.py); needed iff the plan has
    Groth16 launches."""
    F = get_field(plan.field)
    program = plan.program
    say = progress or (lambda _msg: None)
    g16_steps = groth16_steps(plan)
    if g16_steps and keys is not None and sorted(keys) != g16_steps:
        raise FormatError(
            f"proving keys for launches {sorted(keys)}, the plan's Groth16 launches are {g16_steps}"
        )
    if g16_steps and keys is None:
        raise UserError("the plan has Groth16 launches: run `zkcc setup` first (proving keys)")
    run = execute(program, F, inputs, say)
    data = dict(run.tensors)
    for i, h in enumerate(run.hints):
        if h.size:
            data[hint_tensor(i)] = h.reshape(-1)
    for i, step in enumerate(program.host.steps):
        if not isinstance(step, AssertEq):
            data[valid_tensor(i)] = valid_values(F, step.count)
    infos = proof_tensors(program, frozenset(g16_steps))
    pcs = get_pcs(plan.pcs)
    public = {x.name: F.encode(data[x.name]) for x in infos if x.public}
    commitments, states = {}, {}
    for x in infos:
        if not x.public:
            say(f"commit: {x.name} ({x.size} elements)")
            table = x.layout.table(F, data[x.name])
            commitments[x.name], states[x.name] = pcs.commit(F, table)
    launches: dict[int, _Groth16Launch] = {}
    for i in g16_steps:
        lc = build_launch_circuit(program, i)
        check_key_shape(keys[i], lc, "proving key")
        say(f"commit: launch {i} {lc.boundary.kernel} ({lc.size['committed_wires']} wires)")
        w_kernel = launch_witness(lc, program, i, data, run.hints[i])
        launches[i] = _Groth16Launch(lc, keys[i], w_kernel)
    transcript = start_transcript(
        digest,
        infos,
        public,
        commitments,
        {i: commitment_bytes(x.commitment) for i, x in launches.items() if x.commitment},
    )

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
        if i in launches:
            s = launches[i].lc.size
            say(
                f"prove: launch {i} {step.kernel}<<<{step.count}>>> with groth16 "
                f"({s['constraints']} constraints, {s['wires']} wires)"
            )
            tree, g16_claims = launches[i].prove(F, program, data, transcript)
            steps.append(tree)
            for c in g16_claims:
                claims[c.tensor].append(c)
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
