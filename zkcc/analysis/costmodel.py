"""Kernel-level cost model: what proving a plan will take, before any witness exists.

`estimate_plan(plan, profile)` gives, for every launch and each backend that can prove it
(GKR always; Groth16 in bn254 programs), prover seconds, prover peak memory, proof bytes,
verifier seconds and the PCS work on the tensors the launch touches, plus the plan's totals
(the PCS commitments and the one batched opening, and assert_eq steps, are per plan:
zkcc/runtime/steps.py, claims.py). Everything is computed from statistics (per-layer gate
counts of the layered circuit, R1CS sizes, tensor shapes, the instance count), never from a
loop over gates or instances, so an estimate of a 2^30-gate plan costs milliseconds.

Proof bytes. The proof format is fixed by the plan (docs/proof.md) except for one thing: a
Ligero group's Merkle multi-opening holds one hash per opened node whose sibling is not
opened, which depends on the query indices the transcript draws. `proof_skeleton` builds
the proof's tree with every byte string replaced by its length, from the same functions
the prover uses (ligero_params.table_shapes, opening_groups, opens_directly, the counts,
the hiding mask rows) and the encoder's wire format; the paths get their
expected length (ligero_params.path_hashes). The estimate is therefore exact but for the
paths: `tests/test_costmodel.py` substitutes the real paths' lengths and gets the proof's
size to the byte.

Time is a sum of operation counts times the profile's seconds per operation
(zkcc/analysis/profile.py): the counts are those of the code, named in each function's
docstring with the reason; where numpy temporaries make a step cost a few passes over its
data, the factor is a named constant measured on the examples (bench/costmodel.py).

Memory reuses zkcc/runtime/memory.py's estimate (stored layers, the widest layer's sumcheck
tables, tensors, commitments), with the interpreter's own memory taken from the profile
rather than from the estimating process, and the chunk temporaries bounded by the data they
are chunks of (memory.py counts four full chunks, right for big launches, 60 MiB too much
for small ones).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

from zkcc.analysis.profile import Profile
from zkcc.backends.gkr.zk import INPUT_MASK_SEGMENT, MaskLayout
from zkcc.field import get_field
from zkcc.ir.host import AssertEq, Launch
from zkcc.ir.layout import log2_ceil
from zkcc.pcs.ligero_params import (
    HASH_BYTES,
    RATE_LOG,
    SALT_BYTES,
    SECURITY_BITS,
    GroupPlan,
    opening_groups,
    opens_directly,
    path_hashes,
    table_shapes,
)
from zkcc.pcs.merkle import LEAF_BYTES
from zkcc.plan.plan import Plan
from zkcc.runtime import bundle, memory
from zkcc.runtime.claims import plan_tensors, zk_launches
from zkcc.runtime.groth16_launch import (
    LaunchBoundary,
    build_launch_circuit,
    groth16_steps,
    launch_boundary,
)
from zkcc.runtime.lookups import LaunchLookups
from zkcc.runtime.packing import Bin, plan_bins
from zkcc.runtime.steps import AssertEqStep, GkrStep, Groth16Step, claim_counts, schedule
from zkcc.runtime.zk_lookups import (
    HiddenLookups,
    check_name,
    inverses_tensor,
    round_two_tensors,
)

# ---- measured factors (bench/costmodel.py; each is "passes over the data" of one step) -----
EVAL_PASSES = 4  # evaluating a layer: gathers, multiply, coefficient, sort-based scatter-add
TABLE_PASSES = 1  # building a sumcheck table: outer products, mul_base, scatter, their adds
WITNESS_PASSES = 3  # kernel IR evaluated instance-parallel, one numpy op per instruction
# numpy calls of the witness per circuit layer: its waves (same depth, same op), counted on the
# examples: 1.6 (mimc) to 30 (cnn_digits' dense) per layer, 8 typical
WITNESS_WAVES_PER_LAYER = 8
LAYER_CALLS = 60  # vectorised calls per GKR layer besides its rounds (eq tables, wiring, ...)
VERIFY_LAYER_CALLS = 50  # the verifier's per-layer calls (eq tables, wiring, combines)
FIXED_SECONDS = 0.02  # transcript start, schedule, bundle encoding: per plan
LAUNCH_SECONDS = 0.02  # per GKR launch: assembling layer 0, layer store, claims to tensors
ZK_ROUND_OPS = 85  # extension scalar operations per masked sumcheck round (prover; counted)
ZK_VERIFY_ROUND_OPS = 25  # the same, verifier (counted: 22-24 on dot and layers)
ZK_REDUCTION_PASSES = 4  # the mask reduction: weights, the table as extension, its sumcheck
LEAF_EXT_OPS = 3  # a LogUp leaf: its enc, denominator and numerator as extension elements
FRACTION_EXT_PER_LEAF = 11  # the fractional-sum GKR per leaf (measured: m = 16 .. 20, m31)
FRACTION_LAYER_CALLS = 30  # vectorised calls per layer of a fractional-sum tree
# an extension inverse in extension products (E.inv, measured on 2^16 / 2^12 entries): QM31
# by norms down the tower, one m31 power; bn254 by Montgomery's batch inversion (3.3 products
# an entry on 20000 entries)
INVERSE_EXT_MULS = {"m31": 6, "bn254": 4}
HIDDEN_EXT_OPS = 4  # a zk lookup entry besides its inverse: enc, alpha - enc, scale, store
G1_WIRE_MSMS = 3  # A, B (G1) and L: full MSMs over the wires
G2_WIRE_MSMS = 1  # B (G2) over the wires
MSM_REF_LOG = 8  # the profile's G1 MSM rate is per point at 2^8 points (Pippenger: ~1/log n)


@dataclass(frozen=True)
class Blob:
    """A byte string of known length inside a proof skeleton."""

    n: int


@dataclass
class LaunchEstimate:
    """One backend's cost for one launch. `pcs_seconds` is the commitment and opening work of
    the committed tensors the launch reads or writes (shared tensors count in every launch
    touching them, so these do not add up to the plan's PCS time); `proof_bytes` is the
    launch's step proof only (the PCS opening is the plan's)."""

    backend: str
    prove_seconds: float
    prove_peak_bytes: int
    proof_bytes: int
    verify_seconds: float
    pcs_seconds: float
    size: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "backend": self.backend,
            "prove_seconds": round(self.prove_seconds, 4),
            "prove_peak_bytes": self.prove_peak_bytes,
            "proof_bytes": self.proof_bytes,
            "verify_seconds": round(self.verify_seconds, 4),
            "pcs_seconds": round(self.pcs_seconds, 4),
            **self.size,
        }


@dataclass
class StepEstimate:
    step: int
    kernel: str  # "assert_eq" for an assert_eq step
    instances: int
    backend: str  # the plan's choice
    estimates: dict[str, LaunchEstimate]  # by backend: every backend that can prove it

    @property
    def current(self) -> LaunchEstimate:
        return self.estimates[self.backend]


@dataclass
class PcsEstimate:
    """The plan's tensor commitments and its one batched opening."""

    commit_seconds: float
    open_seconds: float
    verify_seconds: float
    proof_bytes: int  # the "opening" tree
    path_bytes: int  # of which: expected Merkle multi-opening paths (the inexact part)
    groups: list[dict[str, Any]]
    tensor_seconds: dict[str, float]  # commit + share of the opening, per committed tensor


@dataclass
class PlanEstimate:
    steps: list[StepEstimate]
    pcs: PcsEstimate
    prove_seconds: float
    prove_peak_bytes: int
    proof_bytes: int
    verify_seconds: float
    memory: memory.MemoryEstimate
    profile_source: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "prove_seconds": round(self.prove_seconds, 4),
            "prove_peak_bytes": self.prove_peak_bytes,
            "proof_bytes": self.proof_bytes,
            "verify_seconds": round(self.verify_seconds, 4),
            "pcs": {
                "commit_seconds": round(self.pcs.commit_seconds, 4),
                "open_seconds": round(self.pcs.open_seconds, 4),
                "verify_seconds": round(self.pcs.verify_seconds, 4),
                "proof_bytes": self.pcs.proof_bytes,
                "groups": self.pcs.groups,
            },
            "steps": [
                {
                    "step": s.step,
                    "kernel": s.kernel,
                    "instances": s.instances,
                    "backend": s.backend,
                    "estimates": {b: e.to_json() for b, e in s.estimates.items()},
                }
                for s in self.steps
            ],
            "profile": self.profile_source,
            "notes": self.notes,
        }


# ---- proof bytes ---------------------------------------------------------------------------
def _varint_len(n: int) -> int:
    return max(1, -(-n.bit_length() // 7))


def tree_size(t: Any, sized: dict[int, int] | None = None) -> int:
    """Encoded size of a tree (zkcc/encoding.py wire format: a tag, LEB128 lengths) whose
    byte strings may be Blobs. A list or dict met twice (gkr_step_tree shares one per layer
    shape: a deep kernel's thousand layers have a few) is sized once (`sized`, by id, for
    the tree's lifetime)."""
    if isinstance(t, (list, tuple, dict)):
        sized = {} if sized is None else sized
        known = sized.get(id(t))
        if known is None:
            known = sized[id(t)] = _compound_size(t, sized)
        return known
    if isinstance(t, Blob):
        return 1 + _varint_len(t.n) + t.n
    if isinstance(t, (bytes, bytearray)):
        return 1 + _varint_len(len(t)) + len(t)
    if t is None or isinstance(t, bool):
        return 1
    if isinstance(t, int):
        return 1 + _varint_len(t if t >= 0 else -t - 1)
    if isinstance(t, str):
        n = len(t.encode("utf-8"))
        return 1 + _varint_len(n) + n
    raise TypeError(f"cannot size {type(t).__name__}")


def _compound_size(t: list | tuple | dict, sized: dict[int, int]) -> int:
    head = 1 + _varint_len(len(t))
    if isinstance(t, dict):
        return head + sum(tree_size(k, sized) + tree_size(v, sized) for k, v in t.items())
    return head + sum(tree_size(x, sized) for x in t)


def file_size(tree: Any) -> int:
    """A proof file: magic, format version, tree."""
    return len(bundle.MAGIC) + _varint_len(bundle.VERSION) + tree_size(tree)


@functools.lru_cache(maxsize=256)
def gkr_step_tree(F, circuit, n_log2: int, zk: MaskLayout | None = None) -> dict:
    """The GKR step proof (zkcc/backends/gkr/proof.py): per layer two sumchecks of
    w_i + n rounds of two extension elements (h(1) is not sent), v_x and v_y; 2 x segments
    input values.
    Zero-knowledge (`zk`, the launch's mask layout, with the hiding circuit): rounds of their
    layout degrees, phase 1's mask part sigma, the mask reduction's rounds and values (over
    both mask tables), no input values.
    Made once per kernel circuit, instance count and mask layout, and shared by every launch
    of them: read-only."""
    E = F.ext
    one = Blob(E.byte_len)
    layers = []
    shapes: dict[Any, dict] = {}  # one dict per layer shape, shared (tree_size sizes it once)
    for i in range(circuit.depth):
        if zk is None:
            shape: Any = circuit.width_log2(i) + n_log2
        else:
            shape = (zk.phases[(i, 1)].degrees, zk.phases[(i, 2)].degrees)
        layer = shapes.get(shape)
        if layer is None:
            if zk is None:
                rounds = [Blob(2 * E.byte_len)] * shape
                layer = {"phase1": rounds, "vx": one, "phase2": rounds, "vy": one}
            else:
                layer = {"vx": one, "vy": one, "sigma": one}
                for p, degrees in zip((1, 2), shape, strict=True):
                    layer[f"phase{p}"] = [Blob(d * E.byte_len) for d in degrees]
            shapes[shape] = layer
        layers.append(layer)
    if zk is None:
        return {"layers": layers, "inputs": Blob(2 * len(circuit.segments) * E.byte_len)}
    return {
        "layers": layers,
        "reduce": [Blob(d * E.byte_len) for d in zk.reduction.degrees],
        "mask": one,
        "reduce2": [Blob(2 * E.byte_len)] * zk.reduction_num_vars,
        "mask2": one,
    }


def fraction_tree(E, m: int) -> dict:
    """A fractional-sum GKR proof over 2^m leaves with given numerators
    (zkcc/backends/gkr/fraction.py): the top values, then per layer k = 1 .. m-1 its k rounds
    of three values and four stated values."""
    return {
        "unit_p": False,
        "top": Blob((2 if m == 0 else 4) * E.byte_len),
        "layers": [
            {"rounds": Blob(3 * k * E.byte_len), "values": Blob(4 * E.byte_len)}
            for k in range(1, m)
        ],
    }


def lookup_trees(E, lookups: LaunchLookups) -> list[dict]:
    """A launch's LogUp arguments (zkcc/runtime/lookups.py): per table its query and table
    trees."""
    return [
        {"queries": fraction_tree(E, m_q), "table": fraction_tree(E, m_t)}
        for m_q, m_t in lookups.tree_sizes()
    ]


def hidden_lookup_trees(F, hidden: HiddenLookups) -> dict:
    """A zero-knowledge launch's lookups (zkcc/runtime/zk_lookups.py): one zero-knowledge
    GKR proof per check circuit, "queries" and "table<t>" per used table."""
    return {
        check_name(t): gkr_step_tree(F, hc.circuit, hc.n_log2, hc.layout)
        for t, hc, _ in hidden.checks()
    }


def groth16_step_tree(F, b: LaunchBoundary) -> dict:
    """A Groth16 step (zkcc/runtime/groth16_launch.py): A, B, C; D, PoK and one value per
    committed param when the launch commits to wires."""
    from zkcc.backends.groth16.curve import G1, G2  # on first Groth16 use (groth16_launch)

    g1, g2 = Blob(32 * G1.ncoords), Blob(32 * G2.ncoords)
    tree: dict[str, Any] = {"a": g1, "b": g2, "c": g1}
    if b.committed:
        tree.update(d=g1, pok=g1, values=Blob(len(b.committed) * F.byte_len))
    return tree


@dataclass
class _TableClaims:
    """A committed tensor: its table's log size and its claims' points, symbolically (each
    coordinate a token naming the challenge it is; equal tokens are equal challenges)."""

    m: int
    points: list[tuple]
    hidden: list[bool] = field(default_factory=list)  # per claim: linked (value not sent)


def _gkr_claims(add, tag: tuple, circuit, n_log2: int, sources: dict, hiding) -> None:
    """A GKR proof's claims (tokens tagged `tag`): two input-layer points per segment, its
    low gate coordinates then, for a split segment, the instance ones; with zero knowledge
    (`hiding`: the launch's HidingCircuit) they are linked, the input mask's are on the mask
    table (zero-padded) and the mask reduction adds one, sent, claim on each mask table."""
    for c in range(2):
        for seg in circuit.segments:
            tensor, _ = sources[seg.name]
            low = tuple(("g", *tag, c, j) for j in range(seg.size_log2))
            inst = () if seg.broadcast else tuple(("s", *tag, c, j) for j in range(n_log2))
            if seg.name == INPUT_MASK_SEGMENT:
                tensor, inst = hiding.mask_table, (0,) * (hiding.layout.num_vars - len(low))
            add(tensor, low + inst, hiding is not None)
    if hiding is not None:
        lay = hiding.layout
        add(hiding.mask_table, tuple(("z", *tag, j) for j in range(lay.num_vars)))
        add(hiding.reduction_table, tuple(("z2", *tag, j) for j in range(lay.reduction_num_vars)))


def _hidden_claims(add, hidden: HiddenLookups) -> None:
    """A zero-knowledge launch's lookup claims (zkcc/runtime/zk_lookups.py): each check
    circuit's, as any zero-knowledge GKR proof's, then per used table the two sum claims,
    linked: on h at (1/2 per site bit, z, the block's offset bits, 1/2 per instance bit)
    and on the table's g at (z, 1/2 per row bit)."""
    i = hidden.step
    for t, hc, sources in hidden.checks():
        tag = (i, "lookups", t)
        srcs = hc.with_input_mask(hidden.F, sources)
        _gkr_claims(add, tag, hc.circuit, hc.n_log2, srcs, hc)
    z = tuple(("lz", i, j) for j in range(log2_ceil(hidden.d)))
    width_log2 = log2_ceil(hidden.inverses.width)
    half = ("half",)
    for b in hidden.used():
        o = hidden.inverses.offsets[b.table]
        bits = tuple((o >> j) & 1 for j in range(b.site_log2 + len(z), width_log2))
        inst = (half,) * hidden.lookups.n_log2
        add(inverses_tensor(i), (half,) * b.site_log2 + z + bits + inst, True)
        rows = (half,) * hidden.lookups.tables[b.table].bits
        add(inverses_tensor(i, b.table), z + rows, True)


def _symbolic_claims(plan: Plan, steps: list, committed: set[str]) -> dict[str, _TableClaims]:
    """The claims the schedule makes on each committed tensor, in the runtime's order: a GKR
    launch's two input-layer points (the segment's low gate coordinates, then the instance
    ones for a split segment), an assert_eq's one point on both sides, a Groth16 boundary's
    point. Only equality of points matters (does a Ligero group need its column sumcheck?)."""
    g16 = frozenset(groth16_steps(plan))
    infos = {x.name: x for x in plan_tensors(plan, g16) + round_two_tensors(plan, g16)}
    out = {n: _TableClaims(infos[n].layout.num_vars, []) for n in committed}

    def add(tensor: str, point: tuple, hidden: bool = False) -> None:
        if tensor in out:
            out[tensor].points.append(point)
            out[tensor].hidden.append(hidden)

    for st in steps:
        i = st.index
        if isinstance(st, GkrStep):
            _gkr_claims(add, (i,), st.circuit, st.n_log2, st.sources, st.hiding)
            if st.hidden is not None:
                _hidden_claims(add, st.hidden)
            elif st.lookups is not None:  # per table: the query tree's claim, the counts'
                m = st.lookups.tensor_layout.num_vars
                names, sizes = st.lookups.counts_tensors(), st.lookups.tree_sizes()
                for t, (name, (_, m_t)) in enumerate(zip(names, sizes, strict=True)):
                    add(st.lookups.tensor, tuple(("lq", i, t, j) for j in range(m)))
                    add(name, tuple(("lt", i, t, j) for j in range(m_t)))
        elif isinstance(st, AssertEqStep):
            pt = tuple(("a", i, j) for j in range(st.layout.num_vars))
            add(st.a, pt, st.linked)
            add(st.b, pt, st.linked)
        else:
            bits = max(0, (len(st.boundary.committed) - 1).bit_length())
            for j, cm in enumerate(st.boundary.committed):
                r = tuple(("r", i, cm.param, k) for k in range(cm.layout.num_vars))
                add(cm.tensor, r, True)
                add(st.masks, tuple((j >> k) & 1 for k in range(bits)), True)  # Boolean e_j
    return out


def _bin_claims(plan: Plan, steps: list) -> tuple[list[Bin], dict[str, _TableClaims]]:
    """The symbolic claims on each commitment (zkcc/runtime/packing.py): a member's claims
    at its point, zero-padded to its table and extended by its offset bits."""
    g16 = frozenset(groth16_steps(plan))
    first, second = plan_bins(plan, g16)
    bins = first + second
    per_tensor = _symbolic_claims(plan, steps, {m.tensor for b in bins for m in b.members})
    out = {}
    for b in bins:
        t = _TableClaims(b.num_vars, [])
        for m in b.members:
            own = per_tensor[m.tensor]
            bits = tuple(b.offset_bits(m))
            t.points += [pt + (0,) * (m.num_vars - len(pt)) + bits for pt in own.points]
            t.hidden += own.hidden
        out[b.name] = t
    return bins, out


def _member_seconds(bins: list[Bin], costs: dict[str, _TensorCost]) -> dict[str, float]:
    """Per committed tensor, its share by table size of its commitment's commit and open
    seconds (what a launch touching the tensor is charged)."""
    return {
        m.tensor: (costs[b.name].commit + costs[b.name].open) * (1 << m.num_vars) / b.size
        for b in bins
        if b.name in costs
        for m in b.members
    }


def _relations(steps: list) -> int:
    """Relations: one per linked assert_eq and per Groth16 link, two per zero-knowledge GKR
    proof (its input claims: a launch's and each of its lookup check circuits') and one per
    table a zero-knowledge launch looks up (its sums)."""
    out = 0
    for st in steps:
        if isinstance(st, GkrStep):
            out += 2 if st.layout is not None else 0
            if st.hidden is not None:
                out += 2 * len(st.hidden.checks()) + len(st.hidden.used())
        elif isinstance(st, AssertEqStep):
            out += st.linked
        else:
            out += len(st.boundary.committed)
    return out


@dataclass(frozen=True)
class _Group(GroupPlan):
    """A group of the opening (`GroupPlan`: its tables and their shapes, `shape` the code's)
    with what its opening's size and costs depend on."""

    claims: list[int]  # per table
    same_lo: bool
    direct: bool


def ligero_groups(F, tables: dict[str, _TableClaims], hiding: bool) -> list[_Group]:
    """The opening's groups as zkcc.pcs.ligero._groups forms them (ligero_params.
    opening_groups of the claimed tables); whether all claims share their column coordinates
    (no column sumcheck then) and whether the group is sent directly."""
    claimed = {n: t.m for n, t in tables.items() if t.points}
    shapes = table_shapes(F, [t.m for t in tables.values()], hiding, RATE_LOG, SECURITY_BITS)
    out = []
    for g in opening_groups(claimed, shapes):
        c = g.shape.col_log
        los = {
            (pt + (0,) * (s.m - len(pt)))[:c]
            for n, s in zip(g.tables, g.shapes, strict=True)
            for pt in tables[n].points
        }
        counts = [len(tables[n].points) for n in g.tables]
        direct = opens_directly(F, g.shape, len(g.tables))
        out.append(_Group(g.tables, g.shapes, counts, len(los) == 1, direct))
    return out


def ligero_group_tree(F, g: _Group, paths: list[int] | None = None) -> dict:
    """One group's opening (zkcc/pcs/ligero.py, LigeroPCS.open): `paths` gives each table's
    Merkle multi-opening hash count (default: the expectation, path_hashes)."""
    E, s = F.ext, g.shape
    if g.direct:
        return {"direct": [Blob((1 << s.m) * F.byte_len)] * len(g.tables)}
    k = sum(g.claims)
    expected = round(path_hashes(s.code_log, s.queries))
    mask = s.mask_rows(E.degree)
    tables = []
    for t, st in enumerate(g.shapes):
        entry: dict[str, Any] = {
            "columns": Blob(s.queries * (st.rows + mask) * F.byte_len),
            "path": Blob(HASH_BYTES * (expected if paths is None else paths[t])),
        }
        if s.pad:
            entry["salts"] = Blob(s.queries * SALT_BYTES)
        tables.append(entry)
    out: dict[str, Any] = {
        "tests": Blob(s.tests * s.msg_len * E.byte_len),
        "sumcheck": [] if g.same_lo else [Blob(2 * E.byte_len)] * s.col_log,
        "u": Blob(s.msg_len * E.byte_len),
        "tables": tables,
    }
    if s.pad:
        out["mu"] = Blob(E.byte_len)
    else:
        out["evals"] = Blob(0 if g.same_lo else k * E.byte_len)
    return out


def proof_skeleton(plan: Plan, paths: list[list[int]] | None = None) -> dict:
    """The proof's tree with Blob lengths for its byte strings (see the module docstring);
    `paths[g][t]`: the real hash count of group g's table t, to reproduce a proof exactly."""
    F = get_field(plan.field)
    g16 = frozenset(groth16_steps(plan))
    steps = schedule(plan, g16)
    infos = plan_tensors(plan, g16)
    trees: list[Any] = []
    for st in steps:
        if isinstance(st, AssertEqStep):
            trees.append({} if st.linked else {"value": Blob(F.ext.byte_len)})
        elif isinstance(st, GkrStep):
            tree = gkr_step_tree(F, st.circuit, st.n_log2, st.layout)
            if st.hidden is not None:
                tree = {"gkr": tree, "lookups": hidden_lookup_trees(F, st.hidden)}
            elif st.lookups is not None:
                tree = {"gkr": tree, "lookups": lookup_trees(F.ext, st.lookups)}
            trees.append(tree)
        else:
            trees.append(groth16_step_tree(F, st.boundary))
    bins, tables = _bin_claims(plan, steps)
    if plan.pcs == "merkle":
        claimed = sorted(n for n, t in tables.items() if t.points)
        opening: Any = {"tables": {n: Blob((1 << tables[n].m) * F.byte_len) for n in claimed}}
    else:
        groups = ligero_groups(F, tables, plan.zk)
        opening = {
            "groups": [
                ligero_group_tree(F, g, None if paths is None else paths[j])
                for j, g in enumerate(groups)
            ]
        }
        E = F.ext
        if plan.zk and groups:  # zkcc.pcs.ligero._Batch: G, every group's sum but the last
            opening["mask_sum"] = Blob(E.byte_len)
            opening["sums"] = Blob((len(groups) - 1) * E.byte_len)
        elif _relations(steps):  # zkcc.pcs.ligero._Links: the hidden values, stated
            linked = sum(sum(t.hidden) for t in tables.values())
            opening["links"] = {"values": Blob(linked * E.byte_len)}
    return {
        "plan_digest": Blob(32),
        "public": {x.name: Blob(x.size * F.byte_len) for x in infos if x.public},
        "commitments": {b.name: Blob(32) for b in bins},
        "steps": trees,
        "opening": opening,
    }


def proof_bytes(plan: Plan, paths: list[list[int]] | None = None) -> int:
    """The proof file's size: exact up to the Ligero Merkle paths (expected lengths)."""
    return file_size(proof_skeleton(plan, paths))


# ---- time ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _gkr_layers(circuit) -> tuple[tuple[int, int, int, int, int], ...]:
    """(w_in, w_out, mul, add, const) per layer: one loop over layers, not gates, once per
    circuit (a host loop launches one kernel thousands of times)."""
    return tuple(
        (
            circuit.width_log2(i),
            ly.width_log2,
            len(ly.mul_wires),
            len(ly.add_wires),
            len(ly.const_out),
        )
        for i, ly in enumerate(circuit.layers)
    )


@functools.lru_cache(maxsize=256)
def _zk_rounds(zk: MaskLayout | None) -> int:
    return sum(len(spec.degrees) for spec in zk.phases.values()) if zk is not None else 0


def gkr_prove_seconds(
    F, prof: Profile, circuit, instrs: int, count: int, zk: MaskLayout | None = None
) -> float:
    """Data-parallel GKR over N = 2^n instances (zkcc/backends/gkr/prover.py), per layer:

    * evaluation: (2 mul + add + const) gate values per instance, EVAL_PASSES passes;
    * phase-1 table: per claim K (1 at the top, 2 below) an outer product of the add and
      mul gate weights with the instance weights, (W_in + M) N extension products, then
      M N base-by-extension products and a scatter of them: TABLE_PASSES passes;
    * phase-2 table: K outer products of W_in x N;
    * the two sumchecks over 2^(w_in + n) points, each point touched once per round of a
      halving table (the profile's per-point rate is for the whole sumcheck), plus their
      2 (w_in + n) rounds of transcript work;
    * LAYER_CALLS vectorised calls (eq tables, wiring, claim combination).
    Plus the witness (each IR instruction over all instances, a numpy call per wave) and
    the input layer's segment evaluations (fold each segment's table at both points). With zero
    knowledge (`zk`, the launch's mask layout), per masked round ZK_ROUND_OPS scalar
    extension operations (the mask's share, the hidden w-term, the layer mask's last round),
    and the mask reduction: its weights and a sumcheck over the mask table."""
    name = F.name
    n = max(0, (count - 1).bit_length())
    N = 1 << n
    mul, ext, call = (
        prof.rate(f"{name}.mul"),
        prof.rate(f"{name}.ext_mul"),
        prof.rate(f"{name}.call"),
    )
    point, rnd = prof.rate(f"{name}.sumcheck_point"), prof.rate(f"{name}.sumcheck_round")
    # the witness: each IR instruction over all instances, one numpy call per wave of
    # same-kind instructions at one depth (zkcc/runtime/witness.py), not per instruction
    waves = min(instrs, WITNESS_WAVES_PER_LAYER * (circuit.depth + 1))
    t = LAUNCH_SECONDS + instrs * WITNESS_PASSES * count * mul + waves * call
    top = circuit.depth - 1
    for i, (w_in, _w_out, M, A, C) in enumerate(_gkr_layers(circuit)):
        K = 1 if i == top else 2
        W = 1 << w_in
        t += EVAL_PASSES * N * (2 * M + A + C) * mul
        t += TABLE_PASSES * N * (K * (W + M) + M) * ext + N * K * W * ext
        t += 2 * W * N * point + 2 * (w_in + n) * rnd + LAYER_CALLS * call
    for seg in circuit.segments:
        size = (1 << seg.size_log2) * (1 if seg.broadcast else N)
        t += 2 * (2 * size * ext + seg.size_log2 * 4 * call)
    if zk is not None:  # the masked rounds, the mask reduction's among them
        masked = _zk_rounds(zk) + zk.num_vars
        t += masked * ZK_ROUND_OPS * prof.rate(f"{name}.scalar")
        tables, rounds = zk.size + zk.reduction_size, zk.num_vars + zk.reduction_num_vars
        t += ZK_REDUCTION_PASSES * tables * ext + rounds * rnd
    return t


def lookup_prove_seconds(F, prof: Profile, lookups: LaunchLookups) -> float:
    """A launch's LogUp arguments (zkcc/runtime/lookups.py): per table the leaves of both
    trees (LEAF_EXT_OPS extension operations each: enc, the denominator, the numerator) and
    their fractional-sum GKR, FRACTION_EXT_PER_LEAF extension products per leaf (the tree's
    products and the sumchecks over it; measured at 2^16 .. 2^20 leaves), and the counts."""
    ext, call = prof.rate(f"{F.name}.ext_mul"), prof.rate(f"{F.name}.call")
    t = 0.0
    for m_q, m_t in lookups.tree_sizes():
        leaves = (1 << m_q) + (1 << m_t)
        t += (LEAF_EXT_OPS + FRACTION_EXT_PER_LEAF) * leaves * ext
        t += FRACTION_LAYER_CALLS * (m_q + m_t) * call
    return t


def lookup_verify_seconds(F, prof: Profile, lookups: LaunchLookups) -> float:
    """Per table: every sumcheck round of both trees (m (m - 1) / 2 rounds for 2^m leaves)
    and the table's own evaluation (a map table's values: 2^bits extension products)."""
    ext, vr = prof.rate(f"{F.name}.ext_mul"), prof.rate(f"{F.name}.verify_round")
    t = 0.0
    for (m_q, m_t), b in zip(lookups.tree_sizes(), lookups.layout.used(), strict=True):
        t += (m_q * (m_q - 1) // 2 + m_t * (m_t - 1) // 2) * vr
        if lookups.tables[b.table].is_map:
            t += 2 * (1 << m_t) * ext
    return t


def _weights_seconds(F, prof: Profile, rows: int) -> float:
    """A table's public weights 1 / (alpha - enc(row)) (HiddenLookups._weights): an
    extension inverse (INVERSE_EXT_MULS) and HIDDEN_EXT_OPS operations per row."""
    return (INVERSE_EXT_MULS[F.name] + HIDDEN_EXT_OPS) * rows * prof.rate(f"{F.name}.ext_mul")


def hidden_lookup_prove_seconds(F, prof: Profile, hidden: HiddenLookups) -> float:
    """A zero-knowledge launch's lookups (zkcc/runtime/zk_lookups.py): the inverses h, per
    site of every block on every instance (padded sites too: h is computed per block and
    zeroed after), an extension inverse and HIDDEN_EXT_OPS operations; per used table its
    weights once (for g = m w in the witness, kept as the table check's public segment)
    and g; each check circuit proved by zero-knowledge GKR over its 2^n_log2 instances
    (gkr_prove_seconds, no kernel IR: its layer 0 is committed and public tensors); per
    table the two sum claims' values, an evaluation of h and of g. Their commitments and
    openings are the PCS's (pcs2#k)."""
    ext = prof.rate(f"{F.name}.ext_mul")
    lk = hidden.lookups
    h_size = lk.count * hidden.inverses.width
    t = 0.0
    for b in hidden.used():
        rows = 1 << lk.tables[b.table].bits
        t += _weights_seconds(F, prof, lk.count << b.site_log2)
        t += _weights_seconds(F, prof, rows) + rows * hidden.d * ext
        t += 2 * (h_size + rows * hidden.d) * ext
    for _, hc, _ in hidden.checks():
        t += gkr_prove_seconds(F, prof, hc.circuit, 0, 1 << hc.n_log2, hc.layout)
    return t


def hidden_lookup_verify_seconds(F, prof: Profile, hidden: HiddenLookups) -> float:
    """Each check circuit's zero-knowledge GKR verifier, and the public segments' values
    the verifier computes itself: per table check its weights, computed once
    (_weights_seconds) and evaluated at both points of the check (2 extension products per
    entry of the 2^bits x d table each); the valid flags have a closed form."""
    ext = prof.rate(f"{F.name}.ext_mul")
    t = 0.0
    for table, hc, _ in hidden.checks():
        t += gkr_verify_seconds(F, prof, hc.circuit, 1 << hc.n_log2, hc.layout)
        if table is not None:
            rows = 1 << hidden.lookups.tables[table].bits
            t += _weights_seconds(F, prof, rows) + 2 * 2 * rows * hidden.d * ext
    return t


def gkr_verify_seconds(
    F, prof: Profile, circuit, count: int, zk: MaskLayout | None = None
) -> float:
    """The GKR verifier (zkcc/backends/gkr/verifier.py): per layer 2 (w_in + n) rounds, the
    wiring polynomials (a gather and a product per gate: ~3 extension products per gate,
    independent of N) and eq tables of the layer's widths; the input-layer selectors. With
    zero knowledge, ZK_VERIFY_ROUND_OPS scalar operations per masked round and the mask
    reduction's weights P~(r*) over the mask table."""
    name = F.name
    n = max(0, (count - 1).bit_length())
    ext, call = prof.rate(f"{name}.ext_mul"), prof.rate(f"{name}.call")
    vr = prof.rate(f"{name}.verify_round")
    t = 0.0
    for w_in, w_out, M, A, C in _gkr_layers(circuit):
        t += 2 * (w_in + n) * vr
        t += (3 * M + 2 * A + C + 2 * (1 << w_out) + 2 * (1 << w_in)) * ext
        t += VERIFY_LAYER_CALLS * call
    t += 2 * len(circuit.segments) * (circuit.input_log2 + 4) * call
    if zk is not None:
        t += _zk_rounds(zk) * ZK_VERIFY_ROUND_OPS * prof.rate(f"{name}.scalar")
        t += ZK_REDUCTION_PASSES * (zk.size + zk.reduction_size) * ext
        t += (zk.num_vars + zk.reduction_num_vars) * vr
    return t


def _msm_seconds(prof: Profile, key: str, points: int) -> float:
    """Pippenger: per-point cost falls like 1/log2(n) (window c ~ log2 n); the profile's
    rate is per point at 2^MSM_REF_LOG points."""
    if points <= 0:
        return 0.0
    return prof.rate(key) * points * MSM_REF_LOG / max(MSM_REF_LOG, math.log2(points))


def groth16_prove_seconds(
    prof: Profile, constraints: int, wires: int, public: int, committed: int
) -> float:
    """A Groth16 launch (zkcc/backends/groth16/prover.py): MSMs over A, B in G1 and L (the
    wires: G1_WIRE_MSMS and G2_WIRE_MSMS full MSMs) and H (the QAP domain) in G1, B in G2;
    h by 7 NTTs of the domain (3 inverse, 3 coset, 1 coset inverse), each n log2 n / 2
    butterflies of one bn254 product and two sums; the witness and the satisfaction check,
    a few bn254 products per constraint; D and its PoK (two MSMs over the committed
    wires); ~8 G1 and 2 G2 scalar products."""
    rows = constraints + public + 1
    n_dom = 1 << max(1, (rows - 1).bit_length())
    mul = prof.rate("bn254.mul")
    t = _msm_seconds(prof, "bn254.g1_msm_point", wires) * G1_WIRE_MSMS
    t += _msm_seconds(prof, "bn254.g1_msm_point", n_dom)
    t += _msm_seconds(prof, "bn254.g2_msm_point", wires) * G2_WIRE_MSMS
    t += 2 * _msm_seconds(prof, "bn254.g1_msm_point", committed)
    t += 7 * n_dom * math.log2(n_dom) / 2 * 3 * mul
    t += 20 * constraints * mul
    t += 8 * prof.rate("bn254.g1_mul") + 2 * prof.rate("bn254.g2_mul")
    return t


def groth16_verify_seconds(prof: Profile, public: int, committed: bool) -> float:
    """The Groth16 verifier: subgroup checks of the key's G2 points and B, the prepared key
    (e(alpha, beta)'s Miller loop and 4 prepared G2 points, once per process), B prepared, a
    multi-Miller loop of 3 pairs (5 with a commitment) sharing its squarings, one final
    exponentiation, and the public-input MSM."""
    g2_points = 5 if committed else 3
    t = (g2_points + 1) * prof.rate("bn254.g2_subgroup")
    t += prof.rate("bn254.miller") + (g2_points + 1) * prof.rate("bn254.prepare_g2")
    pairs = 5 if committed else 3
    t += prof.rate("bn254.miller") * (1 + pairs) / 2 + prof.rate("bn254.final_exp")
    t += _msm_seconds(prof, "bn254.g1_msm_point", public)
    if committed:
        t += 2 * prof.rate("bn254.g1_mul")
    return t


@dataclass
class _TensorCost:
    commit: float
    open: float
    verify: float


def _ligero_costs(
    F, prof: Profile, groups: list[_Group], tables: dict[str, _TableClaims]
) -> tuple[dict[str, _TensorCost], list[dict]]:
    """Per committed tensor (Ligero, zkcc/pcs/ligero.py):
    commit = encode (R + S) rows to N symbols + hash N leaves of (R + S) elements (+ salt)
             + N - 1 tree nodes, S the hiding mask rows ((tests + k) d);
    open   = its share of the group's combinations: (tests + 1) vectors over R x msg_len,
             the column sumcheck over C, the queried columns;
    verify = its share of re-encoding the (tests + 1) d vectors, checking the q opened
             columns against them, hashing its q leaves and its path.
    A direct group sends its tables; the verifier recommits them and evaluates claims."""
    name, E = F.name, F.ext
    enc, ext, call = (
        prof.rate(f"{name}.encode"),
        prof.rate(f"{name}.ext_mul"),
        prof.rate(f"{name}.call"),
    )
    sb, sc, vr = (
        prof.rate("sha256.byte"),
        prof.rate("sha256.call"),
        prof.rate(f"{name}.verify_round"),
    )
    d = E.degree
    out: dict[str, _TensorCost] = {}
    info = []
    for g in groups:
        s = g.shape
        G, k = len(g.tables), sum(g.claims)
        info.append(
            {
                "table_log2": [t.m for t in g.shapes],
                "rows": [t.rows for t in g.shapes],
                "cols": s.cols,
                "queries": s.queries,
                "tests": s.tests,
                "pad": s.pad,
                "tables": G,
                "claims": k,
                "direct": g.direct,
            }
        )
        S = s.mask_rows(d)
        for name_t, st, kt in zip(g.tables, g.shapes, g.claims, strict=True):
            R = st.rows
            leaf = (R + S) * F.byte_len + (SALT_BYTES if s.pad else 0)
            commit = enc * (R + S) * s.code_len + s.code_len * (leaf * sb + 2 * sc)
            commit += 20 * call
            if g.direct:
                cost = _TensorCost(commit, (1 << st.m) * 2 * sb, commit + kt * (2 << st.m) * ext)
            else:
                vecs = (s.tests + 1) * d
                open_ = vecs * (R + S) * s.msg_len * ext / d + kt * s.cols * 8 * ext
                open_ += s.queries * leaf * sb + 30 * call
                verify = vecs * s.code_len * enc / G + s.queries * vecs * (R + S) * ext / d
                verify += s.queries * (leaf * sb + sc) + path_hashes(s.code_log, s.queries) * sc
                verify += (0 if g.same_lo else s.col_log * vr / G) + 30 * call
                cost = _TensorCost(commit, open_, verify)
            out[name_t] = cost
    return out, info


def _merkle_costs(F, prof: Profile, tables: dict[str, _TableClaims]) -> dict[str, _TensorCost]:
    """Merkle PCS: hash the table's bytes in 4 KiB leaves and the tree; the opening sends the
    table; the verifier rehashes it and evaluates every claim (2^m extension products)."""
    sb, sc, ext = prof.rate("sha256.byte"), prof.rate("sha256.call"), prof.rate(f"{F.name}.ext_mul")
    out = {}
    for n, t in tables.items():
        size = (1 << t.m) * F.byte_len
        h = size * sb + 2 * max(1, size // LEAF_BYTES) * sc
        out[n] = _TensorCost(h, size * sb, h + len(t.points) * (2 << t.m) * ext)
    return out


EXACT_R1CS = 1 << 20  # template constraints x instances up to which a size is built exactly


def groth16_size(plan: Plan, i: int, g16: frozenset[int]) -> dict[str, int]:
    """R1CS size of launch i under Groth16: exact (the launch circuit is built) for a Groth16
    launch of at most EXACT_R1CS template constraints in all; otherwise the kernel's
    one-instance template scaled by the instances, plus per committed link a row and a wire
    per table entry for the in-circuit evaluation and the masked output row and mask wire
    (r1cs_eval.py) — building a 2^31-instance launch's R1CS only to print its size would
    take gigabytes. `exact` says which."""
    step = plan.host.steps[i]
    stats = plan.kernels[step.kernel].r1cs_stats
    if i in g16 and step.count * stats["r1cs_constraints"] <= EXACT_R1CS:
        return {**build_launch_circuit(plan.program, i).size, "exact": True}
    b = launch_boundary(plan.program, i)
    evals = sum((1 << c.layout.num_vars) + 1 for c in b.committed)
    return {
        "constraints": step.count * stats["r1cs_constraints"] + evals,
        "wires": step.count * stats["r1cs_wires"] + evals + len(b.committed),
        "public_inputs": b.num_public,
        "committed_wires": sum(math.prod(c.layout.shape) + 1 for c in b.committed),
        "exact": False,
    }


def _gkr_bytes(F, circuit, n_log2: int) -> int:
    """A GKR proof's own memory: its stored layers, its widest layer's working set and the
    chunk temporaries (bounded by that working set, see the module docstring)."""
    layers, working = memory.circuit_bytes(F, circuit, 1 << n_log2)
    return layers + working + memory.chunk_temporaries(working)


def estimate_plan(plan: Plan, profile: Profile) -> PlanEstimate:
    """Every launch under every applicable backend, the PCS, and the plan's totals under
    its own backend choices (see the module docstring)."""
    F = get_field(plan.field)
    g16 = frozenset(groth16_steps(plan))
    steps = schedule(plan, g16)
    infos = plan_tensors(plan, g16)
    bins, tables = _bin_claims(plan, steps)
    if plan.pcs == "merkle":
        tcost = _merkle_costs(F, profile, tables)
        groups_info: list[dict] = []
        path = 0
    else:
        groups = ligero_groups(F, tables, plan.zk)
        tcost, groups_info = _ligero_costs(F, profile, groups, tables)
        path = sum(
            HASH_BYTES * round(path_hashes(g.shape.code_log, g.shape.queries)) * len(g.tables)
            for g in groups
            if not g.direct
        )
    skeleton = proof_skeleton(plan)
    total_bytes = file_size(skeleton)
    member_seconds = _member_seconds(bins, tcost)
    mem = replace(memory.estimate(plan), base=profile.base_rss + memory.plan_resident_bytes(plan))
    tensors_bytes = mem.tensors + mem.commitments + mem.base
    counts = claim_counts(steps)
    ext = profile.rate(f"{F.name}.ext_mul")
    call = profile.rate(f"{F.name}.call")
    hidden = zk_launches(plan)  # a GKR launch's circuit and masks, as schedule makes them

    out_steps: list[StepEstimate] = []
    for st in steps:
        i = st.index
        step = plan.host.steps[i]
        if isinstance(step, AssertEq):
            size = 1 << st.layout.num_vars
            t = 2 * size * ext + 10 * call
            est = LaunchEstimate(
                "assert_eq",
                t,
                0,
                tree_size(skeleton["steps"][i]),
                t,
                sum(member_seconds.get(x, 0.0) for x in (st.a, st.b)),
                {"elements": size},
            )
            out_steps.append(StepEstimate(i, "assert_eq", 1, "assert_eq", {"assert_eq": est}))
            continue
        assert isinstance(step, Launch)
        ck = plan.kernels[step.kernel]
        zk = F if i in hidden else None
        gst = st if isinstance(st, GkrStep) else GkrStep(plan.program, i, ck.circuit, zk)
        touched = set(gst.reads)
        pcs_s = sum(member_seconds.get(x, 0.0) for x in touched)
        circuit = gst.circuit
        n = max(0, (step.count - 1).bit_length())
        proving = _gkr_bytes(F, circuit, n)
        if gst.hidden is not None:  # its check circuits, after the kernel's layers are freed
            proving = max(
                proving,
                memory.inverse_bytes(F, gst.hidden),
                *(_gkr_bytes(F, hc.circuit, hc.n_log2) for _, hc, _ in gst.hidden.checks()),
            )
        gkr_peak = int(memory.MARGIN * (tensors_bytes + proving))
        gkr_tree = (
            skeleton["steps"][i]
            if isinstance(st, GkrStep)
            else gkr_step_tree(F, circuit, n, gst.layout)
        )
        gkr_prove = gkr_prove_seconds(
            F, profile, circuit, ck.ir.instr_count(), step.count, gst.layout
        )
        gkr_verify = gkr_verify_seconds(F, profile, circuit, step.count, gst.layout)
        if gst.hidden is not None:
            gkr_prove += hidden_lookup_prove_seconds(F, profile, gst.hidden)
            gkr_verify += hidden_lookup_verify_seconds(F, profile, gst.hidden)
        elif gst.lookups is not None:
            gkr_prove += lookup_prove_seconds(F, profile, gst.lookups)
            gkr_verify += lookup_verify_seconds(F, profile, gst.lookups)
        estimates = {
            "gkr": LaunchEstimate(
                "gkr",
                gkr_prove,
                gkr_peak,
                tree_size(gkr_tree),
                gkr_verify,
                pcs_s,
                {
                    "gates": step.count * (ck.stats["mul_gates"] + ck.stats["add_gates"]),
                    "mul_gates": step.count * ck.stats["mul_gates"],
                    "depth": circuit.depth,
                },
            )
        }
        if plan.field == "bn254":
            size = groth16_size(plan, i, g16)
            b = st.boundary if isinstance(st, Groth16Step) else launch_boundary(plan.program, i)
            g_peak = int(
                memory.MARGIN * (tensors_bytes + memory.GROTH16_WIRE_BYTES * size["wires"])
            )
            estimates["groth16"] = LaunchEstimate(
                "groth16",
                groth16_prove_seconds(
                    profile,
                    size["constraints"],
                    size["wires"],
                    size["public_inputs"],
                    size["committed_wires"],
                ),
                g_peak,
                tree_size(groth16_step_tree(F, b)),
                groth16_verify_seconds(profile, size["public_inputs"], bool(b.committed)),
                pcs_s,
                size,
            )
        backend = "groth16" if i in g16 else "gkr"
        out_steps.append(StepEstimate(i, step.kernel, step.count, backend, estimates))

    commit_s = sum(c.commit for c in tcost.values())
    open_s = sum(c.open for c in tcost.values())
    pcs_verify = sum(c.verify for c in tcost.values())
    # the verifier evaluates claims on public tensors and valid flags itself
    public_claims = sum(
        len(tables_pub) * (2 << x.layout.num_vars) * ext
        for x in infos
        if x.public
        for tables_pub in [[1] * counts.get(x.name, 0)]
    )
    pcs = PcsEstimate(
        commit_s,
        open_s,
        pcs_verify,
        tree_size(skeleton["opening"]),
        path,
        groups_info,
        member_seconds,
    )
    prove_s = FIXED_SECONDS + commit_s + open_s + sum(s.current.prove_seconds for s in out_steps)
    verify_s = FIXED_SECONDS + pcs_verify + public_claims
    verify_s += sum(s.current.verify_seconds for s in out_steps)
    peak = max(
        [int(memory.MARGIN * tensors_bytes)] + [s.current.prove_peak_bytes for s in out_steps]
    )
    notes = [profile.note] if profile.note else []
    return PlanEstimate(
        out_steps, pcs, prove_s, peak, total_bytes, verify_s, mem, profile.source, notes
    )


def explain_rows(plan: Plan, profile: Profile) -> list[dict]:
    """One row per host step for `compile --explain` / `--json`: step, kernel, instances,
    gates (GKR) or constraints (Groth16), depth, every applicable backend's estimate and the
    plan's backend."""
    est = estimate_plan(plan, profile)
    rows = []
    for s in est.steps:
        gkr = s.estimates.get("gkr")
        g16 = s.estimates.get("groth16")
        rows.append(
            {
                "step": s.step,
                "kernel": s.kernel,
                "instances": s.instances,
                "gates": gkr.size.get("gates") if gkr else None,
                "constraints": g16.size.get("constraints") if g16 else None,
                "depth": gkr.size.get("depth") if gkr else None,
                "backend": s.backend,
                "estimates": {b: e.to_json() for b, e in s.estimates.items()},
            }
        )
    return rows
