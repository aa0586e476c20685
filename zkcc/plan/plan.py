"""The plan file: everything `prove` and `verify` need, versioned, deterministic, hashed.

A plan holds the program's host graph, each launched kernel's IR, the backend of every launch
and why it was chosen (zkcc.analysis.assign: one kernel launched twice may be proved by GKR
once and by Groth16 once), the PCS, whether zero knowledge was requested (`zk`: the prover
then commits with the PCS's hiding variant) and the compile options that produced it (so
`zkcc verify --source` can recompile the source the same way and compare). It holds no
circuit: each kernel's layered circuit and statistics are derived from its IR whenever a plan
is read (zkcc.lower.circuit), so a verifier never runs on a circuit it did not build itself,
and `inspect` shows numbers computed from the checked IR. Each kernel's "backend" entry is
a summary of its launches' (gkr, groth16 or mixed), checked against them on load.
Locations name files relative to the main source file, so a plan does not depend on the
directory it was compiled from. Its digest (SHA-256 of the file bytes) is absorbed into every
proof's transcript, so a proof cannot be checked against another plan.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import InitVar, dataclass
from functools import cached_property

import numpy as np

from zkcc.analysis.assign import BACKENDS, OPTIMIZE, Assignment, AssignOptions
from zkcc.analysis.stats import kernel_stats, r1cs_template_stats
from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.budget import check_plan_budget
from zkcc.encoding import Schema, Tree, decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.ir.host import HostGraph, Launch, Program
from zkcc.ir.kernel import KernelIR
from zkcc.ir.lookups import most_queries
from zkcc.lower.circuit import LevelsRejected, lower
from zkcc.lower.columns import IRColumns
from zkcc.pcs.base import PCS_NAMES
from zkcc.plan.irformat import (
    host_from_tree,
    host_to_tree,
    kernel_columns_from_tree,
    kernel_to_tree,
)
from zkcc.plan.validate import validate_host

MAGIC = b"ZKPL"
# 2: "zk"; 3: no stored circuits or statistics, options; 4: per-launch backends; 5: views
# with a slice index (a launch argument may be `t[i]`), options.fuse (fused launches are
# ordinary kernels); 6: a tensor's element type ("field" or "iK", zkcc.ir.types); 7: the
# fixed-point element types "fxK.F" and the QUOT hint (a divisor up to 2^62 as its param); 8:
# lookup tables, the LOOKUP instruction and the TABLE hint (zkcc.ir.kernel.LookupTable); 9:
# each kernel's levels certificate (zkcc.lower.circuit.lower), checked on load; 10: a source
# location's call (zkcc.ir.source.SourceLoc.call), a fifth entry
VERSION = 10
FIELDS = ("m31", "bn254")
MIXED = "mixed"  # a kernel's summary backend when its launches use both
MAX_REASON = 1000
HIDING_PCS = ("ligero",)  # the PCSs with a hiding variant; merkle sends its tables in clear


@dataclass(eq=False)
class CompiledKernel:
    """A kernel as the plan records it (its IR) and what is derived from it: its layered
    circuit, lowered here, and its statistics (the R1CS template's sizes built on first use
    when a launch of it is Groth16). `backends` are its launches' backends, set by the plan
    that holds it (on its own copy when another plan holds it too). `columns`: the IR's
    instructions as columns, when the caller has them (a plan reader decodes them first);
    `certificate`: the products' levels a plan stores, checked here (LevelsRejected), or
    None to find them."""

    ir: KernelIR
    p: int  # the field's modulus
    backends: tuple[str, ...] = ()
    columns: InitVar[IRColumns | None] = None
    certificate: InitVar[np.ndarray | None] = None

    def __post_init__(self, columns: IRColumns | None, certificate: np.ndarray | None) -> None:
        lowered = lower(self.ir, self.p, columns, certificate)
        self.circuit: LayeredCircuit = lowered.circuit
        self.levels: np.ndarray = lowered.levels

    @property
    def backend(self) -> str:
        """The kernel's launches' backend: gkr or groth16 when they agree, else mixed."""
        if len(self.backends) == 1:
            return self.backends[0]
        return MIXED if self.backends else "gkr"

    @cached_property
    def circuit_stats(self) -> dict:
        return kernel_stats(self.ir, self.circuit)

    @cached_property
    def r1cs_stats(self) -> dict[str, int]:
        return r1cs_template_stats(self.ir, self.p)

    @property
    def stats(self) -> dict:
        if "groth16" in self.backends:
            return {**self.circuit_stats, **self.r1cs_stats}
        return dict(self.circuit_stats)


@dataclass
class Plan:
    field: str
    source_name: str
    pcs: str
    kernels: dict[str, CompiledKernel]
    host: HostGraph
    zk: bool  # zero knowledge requested: commit with the PCS's hiding variant
    # the compile options (recorded for `verify --source`) and each launch's backend, by step
    options: AssignOptions = dataclasses.field(default_factory=AssignOptions)
    assignments: dict[int, Assignment] = dataclasses.field(default_factory=dict)
    # the fusion sites the compiler considered (zkcc.analysis.fusion.Fusion), for --explain;
    # None when unknown: not in the file (a fused launch's reason says what was fused, why)
    fusions: list | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Every launch has an assignment (GKR when none is given: a plan built by hand);
        each kernel learns its launches' backends."""
        used: dict[str, set[str]] = {name: set() for name in self.kernels}
        for i, s in enumerate(self.host.steps):
            if isinstance(s, Launch):
                a = self.assignments.setdefault(i, Assignment(i, "gkr", "default"))
                used[s.kernel].add(a.backend)
        self.assignments = dict(sorted(self.assignments.items()))
        self.kernels = dict(self.kernels)  # plans built from one another share kernels:
        for name, k in self.kernels.items():  # give this one its own where they differ
            want = tuple(b for b in BACKENDS if b in used[name])
            if k.backends != want:
                self.kernels[name] = k = copy.copy(k)  # circuit and cached stats shared
                k.backends = want

    @property
    def backend_option(self) -> str | None:
        """`zkcc compile --backend B` (the global form), if given."""
        return self.options.backend

    def backend(self, step: int) -> str:
        """The backend of host step `step`, a launch."""
        return self.assignments[step].backend

    @property
    def program(self) -> Program:
        return Program(
            self.field, {n: k.ir for n, k in self.kernels.items()}, self.host, self.source_name
        )

    def to_bytes(self) -> bytes:
        tree = {
            "field": self.field,
            "source": self.source_name,
            "pcs": self.pcs,
            "zk": self.zk,
            "options": self.options.to_tree(),
            "host": host_to_tree(self.host),
            "kernels": [
                {
                    "ir": kernel_to_tree(k.ir),
                    "backend": k.backend,
                    "levels": levels_to_tree(k.levels),
                }
                for _, k in sorted(self.kernels.items())
            ],
            "assignments": [
                {"step": a.step, "backend": a.backend, "reason": a.reason}
                for a in self.assignments.values()
            ],
        }
        return encode(MAGIC, VERSION, tree)

    @staticmethod
    def from_bytes(data: bytes, what: str = "plan") -> Plan:
        """Parse and check a plan; its circuits are lowered here from the checked IR. Sizes
        are checked against zkcc.budget before anything is lowered."""
        version, tree = decode(data, MAGIC, VERSION, what)
        if version < VERSION:
            raise FormatError(
                f"{what}: plan format {version} is from an older zkcc: recompile the source "
                "with `zkcc compile`"
            )
        s = Schema(tree, what)
        s.dict({"field", "source", "pcs", "zk", "options", "host", "kernels", "assignments"})
        field = s.field("field").str(FIELDS)
        p = get_field(field).p
        irs: dict[str, tuple[KernelIR, str]] = {}
        columns: dict[str, IRColumns] = {}
        levels: dict[str, np.ndarray] = {}
        for ks in s.field("kernels").list(0, 1 << 16):
            ks.dict({"ir", "backend", "levels"})
            ir, columns[ir.name] = kernel_columns_from_tree(ks.field("ir"), p)
            if ir.name in irs:
                raise FormatError(f"{ks.path}: duplicate kernel {ir.name!r}")
            irs[ir.name] = (ir, ks.field("backend").str((*BACKENDS, MIXED)))
            levels[ir.name] = _levels_from_tree(ks.field("levels"), len(columns[ir.name].codes))
        host = host_from_tree(s.field("host"))
        pcs = s.field("pcs").str(PCS_NAMES)
        zk = s.field("zk").bool()
        if zk and pcs not in HIDING_PCS:
            raise FormatError(
                f"{what}.zk: zero knowledge with the {pcs} PCS, which reveals tensors"
            )
        options = _options_from_tree(s.field("options"))
        program = Program(field, {n: ir for n, (ir, _) in irs.items()}, host, "")
        validate_host(program, what)
        assignments = _assignments_from_tree(s.field("assignments"), program)
        check_plan_budget(program, what)
        kernels = {}
        for n, (ir, _) in irs.items():
            try:
                kernels[n] = CompiledKernel(ir, p, columns=columns[n], certificate=levels[n])
            except LevelsRejected as e:
                raise FormatError(
                    f"{what}.kernels: kernel {n!r}: its levels certificate is wrong ({e}); "
                    "the plan was altered or not written by this zkcc: recompile the source"
                ) from None
        source = s.field("source").str()
        plan = Plan(field, source, pcs, kernels, host, zk, options, assignments)
        largest = host.largest_launches()
        for n, (ir, backend) in irs.items():
            if plan.kernels[n].backend != backend:
                raise FormatError(
                    f"{what}.kernels: kernel {n!r} is recorded as {backend} but its launches "
                    f"are proved by {plan.kernels[n].backend}"
                )
            if ir.tables and most_queries(ir, largest.get(n, 0)) >= p:
                raise FormatError(
                    f"{what}.kernels: kernel {n!r} makes p or more lookups into one table in a "
                    "launch, which LogUp cannot prove soundly"
                )
            if ir.tables and "groth16" in plan.kernels[n].backends:
                raise FormatError(
                    f"{what}.kernels: kernel {n!r} has lookups, which a kernel with a Groth16 "
                    "launch checks with bits"
                )
        return plan


def levels_to_tree(levels: np.ndarray) -> Tree:
    """[width, little-endian levels]: 2-byte levels when every one fits, else 4-byte."""
    width = 2 if int(levels.max(initial=0)) < 1 << 16 else 4
    return [width, levels.astype(f"<u{width}").tobytes()]


def _levels_from_tree(s: Schema, instrs: int) -> np.ndarray:
    """A kernel's stored levels (at most one per instruction; `lower` checks them), in the
    narrowest width that holds them, as levels_to_tree writes them."""
    width, data = s.list(2, 2)
    w = width.int(2, 4)
    if w == 3:
        raise FormatError(f"{width.path}: a level is 2 or 4 bytes, not 3")
    raw = data.bytes(max_len=w * instrs)
    if len(raw) % w:
        raise FormatError(f"{data.path}: {len(raw)} bytes is not a whole number of levels")
    levels = np.frombuffer(raw, dtype=f"<u{w}").astype(np.int64)
    if w == 4 and int(levels.max(initial=0)) < 1 << 16:
        raise FormatError(f"{width.path}: 4-byte levels that all fit in 2 bytes")
    return levels


def _options_from_tree(s: Schema) -> AssignOptions:
    s.dict({"backend", "kernel_backends", "optimize", "max_proof_bytes", "max_verify_ms", "fuse"})
    pairs = []
    for ks in s.field("kernel_backends").list(0, 1 << 16):
        k, b = ks.list(2, 2)
        pairs.append((k.str(), b.str(BACKENDS)))
    if pairs != sorted(pairs) or len({k for k, _ in pairs}) != len(pairs):
        raise FormatError(f"{s.path}.kernel_backends: not sorted by kernel, or a kernel twice")
    limits = [s.field(k).int(0, 1 << 62) or None for k in ("max_proof_bytes", "max_verify_ms")]
    return AssignOptions(
        s.field("backend").str(("", *BACKENDS)) or None,
        tuple(pairs),
        s.field("optimize").str(OPTIMIZE),
        *limits,
        s.field("fuse").bool(),
    )


def _assignments_from_tree(s: Schema, program: Program) -> dict[int, Assignment]:
    """Exactly one assignment per launch, in step order; Groth16 only over BN254."""
    launches = [i for i, st in enumerate(program.host.steps) if isinstance(st, Launch)]
    items = s.list(len(launches), len(launches))
    out: dict[int, Assignment] = {}
    for want, a in zip(launches, items, strict=True):
        a.dict({"step", "backend", "reason"})
        step = a.field("step").int(0, 1 << 40)
        if step != want:
            raise FormatError(f"{a.path}.step: {step}, expected the launch at step {want}")
        backend = a.field("backend").str(BACKENDS)
        if backend == "groth16" and program.field != "bn254":
            raise FormatError(f"{a.path}: a Groth16 launch in a {program.field} plan")
        out[step] = Assignment(step, backend, a.field("reason").str(max_len=MAX_REASON))
    return out


def plan_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
