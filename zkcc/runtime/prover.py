"""`zkcc prove`: witness, commitments, one proof per host step, batched openings.

One loop over the schedule (zkcc/runtime/steps.py) in four phases — witness, commit, prove,
open — the same for every backend. Under MPI (`comm.size > 1`) every rank runs the loop: each
holds its share of the tensors (zkcc/runtime/tensors.py), commits to its share of every
tensor commitment and opens it with the others (zkcc/pcs/split.py), and only rank 0 returns
the proof (the others return None), which is byte-identical to the one-process proof.
`mem_limit` bounds the peak memory: the prover estimates it first (zkcc/runtime/memory.py),
refuses a limit it cannot meet, and spills GKR layers to temporary files when that is what
it takes.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from zkcc.errors import FormatError, UserError
from zkcc.field import get_field
from zkcc.pcs.base import TableShare
from zkcc.plan.plan import Plan
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.claims import Claim, pcs_claims, plan_tensors
from zkcc.runtime.comm import SingleComm
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.memory import plan_memory
from zkcc.runtime.packing import bin_part, claims_on_bins, plan_bins, plan_pcs
from zkcc.runtime.protocol import absorb_commitments, start_transcript, step_label
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.report import Reporter
from zkcc.runtime.steps import (
    ProveContext,
    draw_lookup_challenges,
    last_uses,
    schedule,
)
from zkcc.runtime.tensors import TensorStore


def prove(
    plan: Plan,
    digest: bytes,
    inputs: dict[str, np.ndarray],
    report: Reporter | None = None,
    keys: dict | None = None,
    mem_limit: int | None = None,
    tmpdir: str | None = None,
    comm=None,
    randomness: Randomness | None = None,
    consume_inputs: bool = False,
    shared_inputs: bool = False,
) -> ProofBundle | None:
    """`keys`: the Groth16 proving keys by step (keyfiles.py); needed iff the plan has
    Groth16 launches. `comm`: zkcc/runtime/comm.py (default: one process). `randomness`:
    the prover's private coins for Groth16 blinding and, in a zk plan, the PCS's masks
    (default: the OS CSPRNG; seeded only for reproducible tests). `consume_inputs`: the
    prover empties `inputs` as it takes them, so that what it does not keep is freed.
    `shared_inputs`: `inputs` holds this rank's even share of each input, not the whole
    (zkcc.runtime.inputs.load_inputs with `part`, as the CLI reads them under MPI)."""
    F = get_field(plan.field)
    program = plan.program
    report = report or Reporter(quiet=True)
    comm = comm or SingleComm()
    g16_steps = groth16_steps(plan)
    if g16_steps and keys is not None and sorted(keys) != g16_steps:
        raise FormatError(
            f"proving keys for launches {sorted(keys)}, the plan's Groth16 launches are {g16_steps}"
        )
    if g16_steps and keys is None:
        raise UserError("the plan has Groth16 launches: run `zkcc setup` first (proving keys)")
    memory = plan_memory(plan, comm.size, mem_limit, tmpdir, report, comm)
    steps = schedule(plan, frozenset(g16_steps))
    sizes = {t.name: t.size for t in program.host.tensors if t.name in inputs}
    # each rank keeps its share
    tensors = TensorStore.of(F, inputs, comm, consume_inputs, sizes if shared_inputs else None)
    ctx = ProveContext(
        F, program, comm, tensors, keys, memory, report, randomness=randomness or Randomness()
    )
    with report.phase("witness", total=len(steps), unit="steps") as ph:
        for st in steps:
            st.witness(ctx)
            ph.advance()

    infos = plan_tensors(plan, frozenset(g16_steps))
    bins, second = plan_bins(plan, frozenset(g16_steps))
    pcs = plan_pcs(plan, bins + second)
    for x in infos:  # public tensors are absorbed by the transcript: every rank gets them whole
        if x.public:
            ctx.data.put(x.name, ctx.data.whole(x.name))
    public = {x.name: F.encode(ctx.data.local(x.name)) for x in infos if x.public}
    layouts = {x.name: x.layout for x in infos}
    states: dict = {}

    commitments: dict[str, bytes] = {}
    with report.phase("commit", total=sum(b.size for b in bins), unit="elements") as ph:
        commit_bins(ctx, pcs, bins, layouts, commitments, states, ph.advance)
        launch_commitments = {st.index: st.commit(ctx) for st in steps}
    transcript = start_transcript(
        digest,
        infos,
        public,
        [(b.name, commitments[b.name]) for b in bins],
        {i: c for i, c in launch_commitments.items() if c is not None},
    )

    bins += commit_lookup_round(second, pcs, steps, ctx, transcript, commitments, states)

    claims: dict[str, list[Claim]] = defaultdict(list)
    trees = []
    free_after = last_uses(steps)
    with report.phase("prove", total=len(steps), unit="steps") as ph:
        for st in steps:
            transcript.absorb("step", step_label(st.index))
            report.note(f"prove: {st.describe()}")
            with report.launch(st.index, st.kernel, st.backend):
                tree, step_claims = st.prove(ctx, transcript)
            trees.append(tree)
            for c in step_claims:
                claims[c.tensor].append(c)
            for name in free_after.get(st.index, ()):
                ctx.data.pop(name)
            ph.advance()
    with report.phase("open"):
        on_bins = claims_on_bins(F, bins, claims)
        report.note(f"open: {sum(map(len, on_bins.values()))} claims on {len(bins)} commitments")
        pcs_list, relations = pcs_claims(on_bins, commitments)
        opening = pcs.open(F, states, pcs_list, transcript, relations, comm=ctx.comm)
    if not ctx.root:
        return None
    return ProofBundle(digest, public, commitments, trees, opening)


def commit_bins(ctx, pcs, bins, layouts, commitments, states, advance) -> None:
    """Commit each bin (collective: every rank builds the part of the bin's table that its
    share of the commitment encodes, fetching it from the ranks that hold the tensors; all
    get the root)."""
    F, comm = ctx.F, ctx.comm
    columns = ctx.memory.column_store()
    for b in bins:
        held = pcs.held(F, b.size, comm)
        table = TableShare(
            b.size,
            held.start,
            bin_part(
                F, b, held, lambda name, lo, hi: ctx.data.table_part(name, layouts[name], lo, hi)
            ),
        )
        rng = ctx.randomness.source(f"pcs/commit/{b.name}")
        commitments[b.name], states[b.name] = pcs.commit(F, table, columns, rng=rng, comm=comm)
        del table
        advance(b.size)


def commit_lookup_round(bins, pcs, steps, ctx, transcript, commitments, states) -> list:
    """A zero-knowledge plan's second commitment round (zkcc/runtime/zk_lookups.py, `bins`:
    the plan's second-round bins): the lookup challenges drawn, the inverses and check masks
    computed and committed, their commitments absorbed. Returns its bins (none without
    lookups)."""
    hidden = draw_lookup_challenges(steps, transcript)
    if not hidden:
        return []
    for h in hidden:
        h.witness(ctx)
    layouts = {x.name: x.layout for h in hidden for x in h.tensors()}
    with ctx.report.phase("commit lookups", total=sum(b.size for b in bins), unit="elements") as ph:
        commit_bins(ctx, pcs, bins, layouts, commitments, states, ph.advance)
    absorb_commitments(transcript, [(b.name, commitments[b.name]) for b in bins])
    return bins
