"""The plan file: everything `prove` and `verify` need, versioned, deterministic, hashed.

A plan holds the program's host graph, each launched kernel's IR and backend, the PCS, whether
zero knowledge was requested (`zk`: the prover then commits with the PCS's hiding variant) and
the compile options that produced it (so `zkcc verify --source` can recompile the source the
same way and compare). It holds no circuit: each kernel's layered circuit and statistics are
derived from its IR whenever a plan is read (zkcc.lower.circuit), so a verifier never runs on
a circuit it did not build itself, and `inspect` shows numbers computed from the checked IR.
Locations name files relative to the main source file, so a plan does not depend on the
directory it was compiled from. Its digest (SHA-256 of the file bytes) is absorbed into every
proof's transcript, so a proof cannot be checked against another plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from zkcc.analysis.stats import kernel_stats, r1cs_template_stats
from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.budget import check_plan_budget
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.ir.host import HostGraph, Program
from zkcc.ir.kernel import KernelIR
from zkcc.lower.circuit import lower_kernel
from zkcc.pcs.base import PCS_NAMES
from zkcc.plan.irformat import host_from_tree, host_to_tree, kernel_from_tree, kernel_to_tree
from zkcc.plan.validate import validate_host

MAGIC = b"ZKPL"
VERSION = 3  # 2: the "zk" key; 3: no stored circuits or statistics, compile options recorded
FIELDS = ("m31", "bn254")
BACKENDS = ("gkr", "groth16")
HIDING_PCS = ("ligero",)  # the PCSs with a hiding variant; merkle sends its tables in clear


@dataclass(eq=False)
class CompiledKernel:
    """A kernel as the plan records it (IR and backend) and what is derived from the IR:
    its layered circuit, lowered here, and its statistics (R1CS sizes built on first use)."""

    ir: KernelIR
    backend: str
    p: int  # the field's modulus

    def __post_init__(self) -> None:
        self.circuit: LayeredCircuit = lower_kernel(self.ir, self.p)
        self._stats: dict | None = None

    @property
    def stats(self) -> dict:
        if self._stats is None:
            self._stats = kernel_stats(self.ir, self.circuit)
            if self.backend == "groth16":
                self._stats.update(r1cs_template_stats(self.ir, self.p))
        return self._stats


@dataclass
class Plan:
    field: str
    source_name: str
    pcs: str
    kernels: dict[str, CompiledKernel]
    host: HostGraph
    zk: bool  # zero knowledge requested: commit with the PCS's hiding variant
    backend_option: str | None = None  # `zkcc compile --backend`, recorded for --source

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
            "options": {"backend": self.backend_option or ""},
            "host": host_to_tree(self.host),
            "kernels": [
                {"ir": kernel_to_tree(k.ir), "backend": k.backend}
                for _, k in sorted(self.kernels.items())
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
        s.dict({"field", "source", "pcs", "zk", "options", "host", "kernels"})
        field = s.field("field").str(FIELDS)
        p = get_field(field).p
        irs: dict[str, tuple[KernelIR, str]] = {}
        for ks in s.field("kernels").list(0, 1 << 16):
            ks.dict({"ir", "backend"})
            ir = kernel_from_tree(ks.field("ir"), p)
            if ir.name in irs:
                raise FormatError(f"{ks.path}: duplicate kernel {ir.name!r}")
            backend = ks.field("backend").str(BACKENDS)
            if backend == "groth16" and field != "bn254":
                raise FormatError(f"{ks.path}: a Groth16 kernel in a {field} plan")
            irs[ir.name] = (ir, backend)
        host = host_from_tree(s.field("host"))
        pcs = s.field("pcs").str(PCS_NAMES)
        zk = s.field("zk").bool()
        if zk and pcs not in HIDING_PCS:
            raise FormatError(
                f"{what}.zk: zero knowledge with the {pcs} PCS, which reveals tensors"
            )
        opts = s.field("options")
        opts.dict({"backend"})
        backend_option = opts.field("backend").str(("", *BACKENDS)) or None
        program = Program(field, {n: ir for n, (ir, _) in irs.items()}, host, "")
        validate_host(program, what)
        check_plan_budget(program, what)
        kernels = {n: CompiledKernel(ir, b, p) for n, (ir, b) in irs.items()}
        source = s.field("source").str()
        return Plan(field, source, pcs, kernels, host, zk, backend_option)


def plan_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
