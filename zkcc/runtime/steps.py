"""The execution schedule: every host step proved through one interface.

`schedule(program, groth16)` resolves the plan once into step objects. Each has the same
phases, which the prover and verifier loops drive without asking what backend a step uses:

    witness(ctx)            the step's outputs (a launch: each rank its instance range)
    commit(ctx)             bytes the transcript absorbs with the tensor commitments (or None)
    prove(ctx, transcript)  -> (step proof tree, evaluation claims on tensors)
    verify(vctx, ss, transcript) -> evaluation claims (raises ProofRejected)
    reads                   the tensors `prove` reads, so the prover frees each after its last use

The context carries the field, the communicator and the tensors explicitly. Under MPI a rank
holds its share of every large tensor (zkcc/runtime/tensors.py: the rows of its own instance
range of each launch, an even share of the inputs), proves only its shard of each GKR launch
and commits to its share of each tensor (zkcc/pcs/split.py); what it needs of other ranks'
shares it fetches in collectives. A Groth16 launch splits only its MSMs over the ranks; the
rest of it, and drawing the prover's masks, runs on rank 0, and the other ranks replay from
its bytes what the transcript needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zkcc.backends import gkr
from zkcc.backends.gkr.prover import Part
from zkcc.backends.gkr.shard import Shard, partition, to_columns
from zkcc.backends.gkr.zk import (
    ZkProver,
)
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import InternalError, ProofRejected, ZkccError
from zkcc.field import get_field
from zkcc.field.mle import mle_evaluate
from zkcc.ir.host import AssertEq, Launch, Program
from zkcc.ir.layout import padded_shape
from zkcc.runtime.claims import (
    Claim,
    Link,
    assert_eq_layouts,
    hint_tensor,
    index_mle,
    index_tensor,
    index_values,
    input_mask_tensor,
    link_mask_tensor,
    lookup_tensor,
    mask_table_tensor,
    public_tensors,
    reads_private,
    reduction_table_tensor,
    segment_claims,
    segment_sources,
    valid_tensor,
    valid_values,
    zk_launches,
)
from zkcc.runtime.execute import (
    allgather_rows,
    check_assert_eq,
    instance_range,
    run_launch,
    store_outputs,
)
from zkcc.runtime.groth16_launch import (
    LaunchBoundary,
    boundary_claims,
    build_launch_circuit,
    check_key_shape,
    commitment_bytes,
    commitment_from_tree,
    draw_points,
    kernel_public_values,
    launch_args,
    launch_boundary,
    proof_bytes,
    proof_from_tree,
    public_inputs,
    step_to_tree,
)
from zkcc.runtime.hiding import HidingCircuit
from zkcc.runtime.lookups import LaunchLookups
from zkcc.runtime.memory import MemoryPlan
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.report import Reporter
from zkcc.runtime.tensors import TensorStore
from zkcc.runtime.zk_lookups import HiddenLookups

STEP_MAGIC = b"ZKST"  # a step proof tree sent from rank 0 to the others (never written)


@dataclass
class ProveContext:
    F: Any
    program: Program
    comm: Any  # zkcc/runtime/comm.py Comm
    data: TensorStore  # what this rank holds of every tensor
    keys: dict | None = None  # Groth16 proving keys by step
    memory: MemoryPlan | None = None  # where GKR launches keep layers and tables
    report: Reporter = field(default_factory=lambda: Reporter(quiet=True))
    hints: dict[int, np.ndarray] = field(default_factory=dict)  # Groth16 launches' hints
    randomness: Randomness = field(default_factory=Randomness)  # the prover's private coins

    @property
    def root(self) -> bool:
        return self.comm.rank == 0

    def from_root(self, make: Callable[[], bytes]) -> bytes:
        """Bytes computed on rank 0 only, received by every rank."""
        if self.comm.size == 1:
            return make()
        return self.comm.bcast(make() if self.root else None)


@dataclass
class VerifyContext:
    F: Any
    program: Program
    public: dict[str, np.ndarray]  # public tensors from the proof
    keys: dict | None = None  # Groth16 verifying keys by step


class _Step:
    """Defaults: a step with nothing to commit besides the tensors."""

    def commit(self, ctx: ProveContext) -> bytes | None:
        return None

    def read_commitment(self, ss: Schema) -> bytes | None:
        return None


class AssertEqStep(_Step):
    """assert_eq(a, b): both tables at one random point have the same value.

    When both sides are committed, the value stays hidden: the two claims are linked by
    a - b = 0 (zkcc.pcs.base.Relation), all the opening reveals of them, and the step proof
    is empty. When one side is public, its value is public anyway and is sent."""

    backend = kernel = "assert_eq"

    def __init__(self, program: Program, i: int) -> None:
        self.index, self.step = i, program.host.steps[i]
        self.a, self.b, self.layout = assert_eq_layouts(program, self.step)
        self.reads = (self.a, self.b)
        self.linked = all(reads_private(program, (self.a, self.b)))

    def describe(self) -> str:
        return f"step {self.index} assert_eq({self.step.a}, {self.step.b})"

    def witness(self, ctx: ProveContext) -> None:
        check_assert_eq(ctx.program, self.step, ctx.data)

    def _claims(self, E, point, value) -> list[Claim]:
        where = f"step {self.index} assert_eq"
        if not self.linked:
            return [Claim(t, self.layout, point, value, where) for t in (self.a, self.b)]
        link = f"assert_eq/{self.index:08d}"
        return [
            Claim(self.a, self.layout, point, value, where, Link(link, E.one(), E.zeros())),
            Claim(self.b, self.layout, point, value, where, Link(link, E.neg(E.one()), E.zeros())),
        ]

    def prove(self, ctx: ProveContext, tr) -> tuple[Any, list[Claim]]:
        F = ctx.F
        point = tr.challenge_exts("assert_eq", F, self.layout.num_vars)
        value = ctx.data.mle(self.a, self.layout, point)
        if self.linked:
            return {}, self._claims(F.ext, point, value)
        encoded = F.ext.encode(value)
        tr.absorb("assert_eq-value", encoded)
        return {"value": encoded}, self._claims(F.ext, point, value)

    def verify(self, v: VerifyContext, ss: Schema, tr) -> list[Claim]:
        F = v.F
        point = tr.challenge_exts("assert_eq", F, self.layout.num_vars)
        if self.linked:
            ss.dict(set())
            return self._claims(F.ext, point, None)
        ss.dict({"value"})
        encoded = ss.field("value").bytes(length=F.ext.byte_len)
        tr.absorb("assert_eq-value", encoded)
        return self._claims(F.ext, point, F.ext.decode(encoded, 1)[:, 0])


class _LaunchStep(_Step):
    """Witness generation shared by both backends: outputs and hints of a kernel launch."""

    def __init__(self, program: Program, i: int) -> None:
        self.index, self.step, self.program = i, program.host.steps[i], program
        assert isinstance(self.step, Launch)
        self.kernel = self.step.kernel

    def describe(self) -> str:
        return f"launch {self.index} {self.kernel}<<<{self.step.count}>>> with {self.backend}"

    def witness(self, ctx: ProveContext) -> None:
        outputs, hints = run_launch(ctx.F, ctx.program, self.step, ctx.data)
        store_outputs(ctx.program, self.step, ctx.data, outputs)
        self.keep_hints(ctx, hints)

    def keep_hints(self, ctx: ProveContext, hints: np.ndarray) -> None:
        raise NotImplementedError


class GkrStep(_LaunchStep):
    """A data-parallel GKR launch; each rank proves its shard of the instances. In a
    zero-knowledge plan the circuit is the hiding one (an input mask segment), the launch draws
    a mask table, and its segment claims are linked (zkcc/backends/gkr/zk.py)."""

    backend = "gkr"

    def __init__(self, program: Program, i: int, circuit, F=None) -> None:
        super().__init__(program, i)
        self.n_log2 = max(0, (self.step.count - 1).bit_length())
        self.sources = segment_sources(program, i)
        self.layout = None
        self.hiding: HidingCircuit | None = None
        if F is not None:  # zero knowledge
            self.hiding = HidingCircuit.of(
                F,
                circuit,
                self.n_log2,
                mask_table_tensor(i),
                reduction_table_tensor(i),
                input_mask_tensor(i),
            )
            circuit, self.layout = self.hiding.circuit, self.hiding.layout
            self.sources = self.hiding.with_input_mask(F, self.sources)
        self.circuit = circuit
        kernel = program.kernels[self.kernel]
        self.hint_count = kernel.hint_count()
        self.lookups = LaunchLookups.of(kernel, i, self.step.count)
        self.hidden = None  # the lookups of a zero-knowledge launch
        if self.lookups is not None and F is not None:
            self.hidden = HiddenLookups.of(F, self.lookups, kernel.name)
        # the instance indices, when the kernel reads them: public, computed by the verifier
        reads = {t for t, _ in self.sources.values()}
        self.computed = {index_tensor(i)} & reads
        self.public = public_tensors(program) | self.computed
        if self.layout is not None:
            reads = (reads - {input_mask_tensor(i)}) | {x.name for x in self.hiding.tensors()}
        if self.lookups is not None:
            reads |= set(self.lookups.counts_tensors())
        if self.hidden is not None:
            reads |= set(self.hidden.reads())
        self.reads = tuple(sorted(reads))

    def keep_hints(self, ctx: ProveContext, hints: np.ndarray) -> None:
        """This rank's rows of the hints and lookup columns; whole: the tables' counts (added
        up over the ranks), the instance indices (when the kernel reads them) and the valid
        flags (when hidden lookups' check circuits read them: the kernel's own circuit weighs
        padding out instead); with zero knowledge the masks too, drawn on rank 0 before any
        commitment and sent to every rank (every rank adds the same mask terms)."""
        F, count = ctx.F, self.step.count
        lo, _ = instance_range(count, ctx.comm)
        if self.lookups is not None:  # the lookup columns follow the hints (run_kernel)
            columns = hints[:, self.hint_count :]
            hints = hints[:, : self.hint_count]
            width = columns.shape[1]
            ctx.data.share(
                lookup_tensor(self.index), count * width, lo * width, columns.reshape(-1)
            )
            for name, counts in self.lookups.counts(F, columns, ctx.comm).items():
                ctx.data.put(name, counts)
        if self.hint_count:
            h = self.hint_count
            ctx.data.share(hint_tensor(self.index), count * h, lo * h, hints.reshape(-1))
        if self.hidden is not None:
            ctx.data.put(valid_tensor(self.index), valid_values(F, count))
        if index_tensor(self.index) in self.computed:
            ctx.data.put(index_tensor(self.index), index_values(F, count))
        if self.hiding is not None:
            self.hiding.draw(ctx, f"gkr/{self.index}/masks")

    def prove(self, ctx: ProveContext, tr) -> tuple[Any, list[Claim]]:
        F = ctx.F
        with ctx.report.phase("gkr layers", total=self.circuit.depth, unit="layers") as ph:
            proof, seg = prove_circuit(
                ctx,
                self.circuit,
                self.n_log2,
                self.sources,
                ctx.data,
                tr,
                self.hiding,
                self.describe(),
                ph.advance,
                live=self.step.count,
            )
        if self.hiding is not None:
            claims = self._linked(F, seg, lambda c: c.value)
        else:
            claims = segment_claims(ctx.program, self.index, seg)
        if self.lookups is None:
            return proof.to_tree(), claims
        if self.hidden is not None:
            tree, more = self.hidden.prove(ctx, tr)
            return {"gkr": proof.to_tree(), "lookups": tree}, claims + more
        # the LogUp trees are not split: every rank builds them from the whole columns
        columns = ctx.data.whole(lookup_tensor(self.index)).reshape(self.step.count, -1)
        counts = {t: ctx.data.local(t) for t in self.lookups.counts_tensors()}
        trees, more = self.lookups.prove(F, columns, counts, tr)
        return {"gkr": proof.to_tree(), "lookups": trees}, claims + more

    def verify(self, v: VerifyContext, ss: Schema, tr) -> list[Claim]:
        F = v.F
        if self.lookups is not None:
            ss.dict({"gkr", "lookups"})
        gkr_tree = ss if self.lookups is None else ss.field("gkr")
        proof = gkr.GKRProof.from_tree(gkr_tree, F, self.circuit, self.n_log2, self.layout)
        try:
            seg = gkr.verify(
                F, self.circuit, self.n_log2, proof, tr, zk=self.layout, live=self.step.count
            )
        except ProofRejected as e:
            raise ProofRejected(f"launch {self.index} ({self.kernel}): {e}") from None
        if self.hiding is not None:
            claims = self._linked(F, seg, lambda c: self._public_value(F, v, c))
            if self.hidden is not None:
                claims += self.hidden.verify(v, ss.field("lookups"), tr)
            return claims
        claims = self._public_checked(F, segment_claims(v.program, self.index, seg))
        if self.lookups is not None:
            claims += self.lookups.verify(F, ss.field("lookups"), tr)
        return claims

    def _public_checked(self, F, claims: list[Claim]) -> list[Claim]:
        """The claims on committed tensors, after checking those on the instance indices,
        which the verifier computes itself."""
        for c in claims:
            if c.tensor in self.computed and not F.ext.equal(index_mle(F, c.point), c.value):
                raise ProofRejected(
                    f"launch {self.index} instance index: evaluation claim ({c.origin}) does "
                    "not hold"
                )
        return [c for c in claims if c.tensor not in self.computed]

    def _public_value(self, F, v: VerifyContext, c: Claim):
        """A public segment's value, computed by the verifier from what it knows."""
        if c.tensor in self.computed:
            return index_mle(F, c.point)
        return known_value(F, v.public[c.tensor], c)

    def _linked(self, F, seg, public_value) -> list[Claim]:
        """Zero knowledge: the claims on private tensors, linked per final claim with the
        public segments' part moved to the relation's total, and the mask table's claim."""
        assert self.hiding is not None
        return self.hiding.linked(
            F,
            seg,
            self.sources,
            self.public,
            public_value,
            f"gkr/{self.index:08d}",
            f"launch {self.index} ({self.kernel})",
        )


def prove_circuit(
    ctx: ProveContext,
    circuit,
    n_log2: int,
    sources: dict,
    data: TensorStore,
    tr,
    hiding: HidingCircuit | None,
    what: str,
    progress: Callable[[], None] | None = None,
    live: int | None = None,
) -> tuple[Any, list]:
    """A GKR proof of `circuit` over 2^n_log2 instances whose input segments read `sources`
    in `data`: this rank's shard, in memory chunks under --mem-limit, with zero knowledge
    when `hiding` is given (its circuit is `circuit`). `live`: only the first `live`
    instances' residues must vanish (a kernel launch's; its padding is free). Returns the
    proof and the segment claims; the layers are not kept."""
    F, comm, memory = ctx.F, ctx.comm, ctx.memory
    shard = partition(n_log2, comm.size, comm.rank)
    chunks = shard.split(memory.parts if memory else 1)
    shared = broadcast_inputs(F, circuit, sources, data)
    parts = []
    idle = Shard(n_log2, shard.block_log2, shard.b0, shard.b0)
    for k, chunk in enumerate(lockstep(comm, chunks, idle)):
        layer0 = assemble_layer0(F, circuit, sources, data, chunk, shared)
        if k >= len(chunks):  # a rank with fewer chunks than another, fetching for it
            continue
        store = memory.layer_store(F) if memory else None
        layers = gkr.evaluate_circuit(F, circuit, layer0, store() if store else None)
        del layer0
        real = None if live is None else F.xp.asarray(chunk.instances() < live)
        check_residues(layers[circuit.depth], real, what)
        parts.append(Part(chunk, layers))
    tables = memory.table_store() if memory else None
    zk = None
    if hiding is not None:
        zk = ZkProver(
            F, hiding.layout, data.local(hiding.mask_table), data.local(hiding.reduction_table)
        )
    return gkr.prove(
        F, circuit, parts, tr, comm=comm, tables=tables, progress=progress, zk=zk, live=live
    )


def check_residues(residues: np.ndarray, real, what: str) -> None:
    """The circuit must agree with witness generation on the instances it constrains (the
    columns `real` marks, in the residues' array module; all without it); a mismatch is a
    compiler bug, and proving it would only produce a proof that the verifier rejects."""
    if real is not None:
        residues = residues[:, real]
    if np.any(residues != 0):
        raise InternalError(
            f"internal error: {what}: circuit residues are non-zero although witness "
            "generation succeeded"
        )


def lockstep(comm, chunks: list[Shard], idle: Shard) -> list[Shard]:
    """`chunks`, followed by empty `idle` ones up to the most chunks any rank has: every
    rank then makes the same collectives (a shard with fewer blocks than the memory parts
    has fewer chunks)."""
    if comm.size == 1:
        return chunks
    most = max(
        int.from_bytes(c, "little") for c in comm.allgather(len(chunks).to_bytes(8, "little"))
    )
    return chunks + [idle] * (most - len(chunks))


def broadcast_inputs(F, circuit, sources: dict, data: TensorStore) -> dict[str, np.ndarray]:
    """The broadcast segments' tables (every instance reads all of them; of a slice, only
    the slice is fetched): fetched once per launch, not per chunk. Collective."""
    out = {}
    for seg in circuit.segments:
        if seg.broadcast:
            tensor, layout = sources[seg.name]
            rows = padded_shape(layout.row_shape)[0]
            out[seg.name] = data.rows(tensor, layout, 0, rows).reshape(-1)
    return out


def assemble_layer0(
    F, circuit, sources: dict, data: TensorStore, shard: Shard, shared: dict[str, np.ndarray]
) -> np.ndarray:
    """The shard's gate-major input layer, (2^input_log2, shard.columns) in its column order:
    each segment is its tensor's canonical padded table, one row of it per instance, fetched
    from the ranks that hold it; a broadcast segment's table is in `shared`. Collective."""
    layer0 = F.zeros((1 << circuit.input_log2, shard.columns))
    for seg in circuit.segments:
        tensor, layout = sources[seg.name]
        rows = slice(seg.offset, seg.offset + (1 << seg.size_log2))
        if seg.broadcast:
            layer0[rows] = shared[seg.name][:, None]
        else:
            mine = data.rows(tensor, layout, shard.lo, shard.hi)
            layer0[rows] = to_columns(mine, shard, first=shard.lo)
    return layer0


class Groth16Step(_LaunchStep):
    """A Groth16 launch over all its instances: rank 0 builds the circuit and the witness,
    every rank computes its share of the prover's MSMs (zkcc/backends/groth16/prover.py),
    rank 0 adds them up; with commit-and-prove links (docs/groth16.md) to the PCS-committed
    boundary tensors."""

    backend = "groth16"

    def __init__(self, program: Program, i: int) -> None:
        super().__init__(program, i)
        self.boundary: LaunchBoundary = launch_boundary(program, i)
        self.masks = link_mask_tensor(i) if self.boundary.committed else None
        reads = {t for _, t in self.boundary.public} | ({self.masks} if self.masks else set())
        self.reads = tuple(sorted(reads))

    def keep_hints(self, ctx: ProveContext, hints: np.ndarray) -> None:
        """The hints stay private witness; the link masks are drawn here, before any
        commitment, from the prover's coins: on rank 0, and sent to every rank (the ranks
        commit to the mask tensor together and state the same claims). Rank 0 proves the
        launch, so it gets every rank's hints."""
        comm = ctx.comm
        ctx.hints[self.index] = hints if comm.size == 1 else allgather_rows(ctx.F, comm, hints)
        if self.masks:
            n = len(self.boundary.committed)

            def draw() -> bytes:
                raw = ctx.randomness.source(f"groth16/{self.index}/link-masks").token_bytes
                return raw(n * ctx.F.wide_len)

            ctx.data.put(self.masks, ctx.F.from_wide_bytes(ctx.from_root(draw), n))

    def _mask_values(self, ctx: ProveContext) -> list[int]:
        return [int(x) for x in ctx.data.local(self.masks)] if self.masks else []

    def commit(self, ctx: ProveContext) -> bytes | None:
        """Rank 0 builds the circuit and the kernel witness and commits to the boundary wires
        (D and its proof of knowledge); every rank absorbs D. Every rank fetches the launch's
        tensors whole (a collective), for rank 0."""
        from zkcc.backends import groth16 as g16  # on first use (groth16_launch)

        args = launch_args(ctx.program, self.index, ctx.data)

        def make() -> bytes:
            lc = build_launch_circuit(ctx.program, self.index)
            pk = ctx.keys[self.index]  # type: ignore[index]
            check_key_shape(pk, lc, "proving key")
            w = lc.kernel.witness(args, ctx.hints[self.index])
            com, blind = None, 0
            if lc.boundary.committed:
                coins = ctx.randomness.source(f"groth16/{self.index}/commit")
                com, blind = g16.commit(pk, lc.ev.place(w, self._mask_values(ctx)), rng=coins)
            self._prover = (lc, pk, w, com, blind)
            return commitment_bytes(com) if com is not None else b""

        raw = ctx.from_root(make)
        return raw or None

    def prove(self, ctx: ProveContext, tr) -> tuple[Any, list[Claim]]:
        from zkcc.backends import groth16 as g16  # on first use (groth16_launch)

        F = ctx.F
        b = self.boundary
        if not ctx.root:
            points = draw_points(F, b, tr)
            g16.prove(ctx.keys[self.index], None, None, comm=ctx.comm)  # type: ignore[index]
            tree = decode(ctx.from_root(bytes), STEP_MAGIC, 1, "step proof")[1]
            _, values = self._absorb(F, Schema(tree, "step proof"), tr)
            return tree, boundary_claims(F, b, points, values, self._mask_values(ctx))
        lc, pk, w_kernel, com, blind = self._prover
        del self._prover
        points = draw_points(F, b, tr)
        w, values = lc.ev.extend(w_kernel, points, self._mask_values(ctx))
        public = {t: ctx.data.local(t) for _, t in b.public}  # whole on every rank (prover.py)
        kernel_pub = kernel_public_values(ctx.program, b, public)
        if public_inputs(kernel_pub, points, values) != [
            int(x) for x in w[1 : 1 + lc.r1cs.num_public]
        ]:
            raise InternalError(f"internal error: launch {b.step} public inputs disagree")
        encoded = F.encode(F.array(values)) if b.committed else None
        if b.committed:
            tr.absorb("groth16-values", encoded)
        try:
            coins = ctx.randomness.source(f"groth16/{self.index}")
            proof = g16.prove(pk, lc.r1cs, w, rng=coins, blind=blind, comm=ctx.comm)
        except ZkccError as e:
            raise InternalError(
                f"internal error: launch {b.step} ({b.kernel}) R1CS is not satisfied although "
                f"witness generation succeeded ({e})"
            ) from None
        tr.absorb("groth16-proof", proof_bytes(proof))
        tree = step_to_tree(proof, com, encoded)
        if ctx.comm.size > 1:
            ctx.from_root(lambda: encode(STEP_MAGIC, 1, tree))
        return tree, boundary_claims(F, b, points, values, self._mask_values(ctx))

    def _absorb(self, F, ss: Schema, tr) -> tuple[Any, list[int]]:
        """Parse the proof and the in-circuit values and absorb them, as rank 0 did."""
        b = self.boundary
        proof = proof_from_tree(ss)
        values: list[int] = []
        if b.committed:
            encoded = ss.field("values").bytes(length=len(b.committed) * F.byte_len)
            values = [int(x) for x in F.decode(encoded, len(b.committed))]
            tr.absorb("groth16-values", encoded)
        tr.absorb("groth16-proof", proof_bytes(proof))
        return proof, values

    def read_commitment(self, ss: Schema) -> bytes | None:
        """The verifier's view of `commit`: D and PoK from the step proof (or None)."""
        self._commitment = commitment_from_tree(ss, self.boundary)
        return None if self._commitment is None else commitment_bytes(self._commitment)

    def verify(self, v: VerifyContext, ss: Schema, tr) -> list[Claim]:
        from zkcc.backends import groth16 as g16  # on first use (groth16_launch)

        F, b = v.F, self.boundary
        check_key_shape(v.keys[self.index], b, "verifying key")  # type: ignore[index]
        points = draw_points(F, b, tr)
        proof, values = self._absorb(F, ss, tr)
        x = public_inputs(kernel_public_values(v.program, b, v.public), points, values)
        if not g16.verify(v.keys[self.index], x, proof, commitment=self._commitment):  # type: ignore[index]
            raise ProofRejected(f"launch {b.step} ({b.kernel}): the Groth16 pairing check fails")
        return boundary_claims(F, b, points, values, None)


def known_value(F, flat, c: Claim):
    """A claim's value computed from data the verifier knows (a public tensor's values)."""
    return mle_evaluate(F, c.layout.table(F, flat), c.point)


def check_claims(F, flat, claims: list[Claim], where: str) -> None:
    """Evaluate claims on data the verifier knows (public tensors)."""
    for c in claims:
        if not F.ext.equal(known_value(F, flat, c), c.value):
            raise ProofRejected(f"{where}: evaluation claim ({c.origin}) does not hold")


def schedule(plan, groth16: frozenset[int]) -> list:
    """The plan's host steps as step objects, in program order."""
    program = plan.program
    hidden = zk_launches(plan)
    F = get_field(plan.field)
    out: list = []
    for i, step in enumerate(program.host.steps):
        if isinstance(step, AssertEq):
            out.append(AssertEqStep(program, i))
        elif i in groth16:
            out.append(Groth16Step(program, i))
        else:
            zk = F if i in hidden else None
            out.append(GkrStep(program, i, plan.kernels[step.kernel].circuit, zk))
    return out


def draw_lookup_challenges(steps: list, transcript) -> list[HiddenLookups]:
    """The zero-knowledge launches' lookups, each with its challenges drawn, in schedule
    order: after the first commitments and before the second round's
    (zkcc/runtime/zk_lookups.py), on the prover's side and the verifier's alike."""
    hidden = [st.hidden for st in steps if isinstance(st, GkrStep) and st.hidden is not None]
    for h in hidden:
        h.draw(transcript)
    return hidden


def claim_counts(steps: list) -> dict[str, int]:
    """tensor -> the evaluation claims the schedule makes on it: two per GKR input segment
    reading it (the layer-0 claims at v_x and v_y), those of a launch's lookup argument
    (zkcc/runtime/lookups.py), one per side of an assert_eq, one per
    committed Groth16 boundary and one on its launch's link masks: what the soundness
    report and the cost model count (a hiding commitment's masks do not depend on it)."""
    out: dict[str, int] = {}
    for st in steps:
        if isinstance(st, GkrStep):
            tensors = [t for t, _ in st.sources.values()] * 2
            if st.hiding is not None:  # the mask tables'
                tensors += [t for t, k in st.hiding.claim_counts().items() for _ in range(k)]
            if st.hidden is not None:  # zkcc/runtime/zk_lookups.py
                tensors += [t for t, k in st.hidden.claim_counts().items() for _ in range(k)]
            elif st.lookups is not None:  # the LogUp argument's
                tensors += [t for t, k in st.lookups.claim_counts().items() for _ in range(k)]
        elif isinstance(st, AssertEqStep):
            tensors = [st.a, st.b]
        else:
            tensors = [c.tensor for c in st.boundary.committed]
            tensors += [st.masks] * len(st.boundary.committed)
        for t in tensors:
            out[t] = out.get(t, 0) + 1
    return out


def last_uses(steps: list) -> dict[int, list[str]]:
    """step index -> the tensors whose last reader in the proving phase it is."""
    last: dict[str, int] = {}
    for st in steps:
        for t in st.reads:
            last[t] = st.index
    out: dict[int, list[str]] = {}
    for t, i in last.items():
        out.setdefault(i, []).append(t)
    return out
