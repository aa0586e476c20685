"""The plan file: everything `prove` and `verify` need, versioned, deterministic, hashed.

A plan holds the program's host graph, each launched kernel's IR (the prover needs it for hint
computation and error messages), its layered circuit (the verifier's view), its statistics and
backend, the PCS, and whether zero knowledge was requested (`zk`: the prover then commits with
the PCS's hiding variant). Its digest (SHA-256 of the file bytes) is absorbed into every proof's
transcript, so a proof cannot be checked against another plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.ir.host import HostGraph, Program
from zkcc.ir.kernel import KernelIR
from zkcc.pcs.base import PCS_NAMES
from zkcc.plan.circuitformat import circuit_from_tree, circuit_to_tree
from zkcc.plan.irformat import host_from_tree, host_to_tree, kernel_from_tree, kernel_to_tree
from zkcc.plan.validate import validate_host, validate_segments

MAGIC = b"ZKPL"
VERSION = 2  # 2: the "zk" key
FIELDS = ("m31", "bn254")
BACKENDS = ("gkr", "groth16")
HIDING_PCS = ("ligero",)  # the PCSs with a hiding variant; merkle sends its tables in clear


@dataclass
class CompiledKernel:
    ir: KernelIR
    circuit: LayeredCircuit
    backend: str
    stats: dict


@dataclass
class Plan:
    field: str
    source_name: str
    pcs: str
    kernels: dict[str, CompiledKernel]
    host: HostGraph
    zk: bool  # zero knowledge requested: commit with the PCS's hiding variant

    @property
    def program(self) -> Program:
        return Program(
            self.field, {n: k.ir for n, k in self.kernels.items()}, self.host, self.source_name
        )

    def to_bytes(self) -> bytes:
        F = get_field(self.field)
        tree = {
            "field": self.field,
            "source": self.source_name,
            "pcs": self.pcs,
            "zk": self.zk,
            "host": host_to_tree(self.host),
            "kernels": [
                {
                    "ir": kernel_to_tree(k.ir),
                    "circuit": circuit_to_tree(F, k.circuit),
                    "backend": k.backend,
                    "stats": k.stats,
                }
                for _, k in sorted(self.kernels.items())
            ],
        }
        return encode(MAGIC, VERSION, tree)

    @staticmethod
    def from_bytes(data: bytes, what: str = "plan") -> Plan:
        version, tree = decode(data, MAGIC, VERSION, what)
        if version < VERSION:
            raise FormatError(
                f"{what}: plan format {version} predates zero knowledge: recompile the source "
                "with `zkcc compile`"
            )
        s = Schema(tree, what)
        s.dict({"field", "source", "pcs", "zk", "host", "kernels"})
        field = s.field("field").str(FIELDS)
        F = get_field(field)
        kernels: dict[str, CompiledKernel] = {}
        for ks in s.field("kernels").list(0, 1 << 16):
            ks.dict({"ir", "circuit", "backend", "stats"})
            ir = kernel_from_tree(ks.field("ir"), F.p)
            if ir.name in kernels:
                raise FormatError(f"{ks.path}: duplicate kernel {ir.name!r}")
            stats = ks.field("stats").dict()
            backend = ks.field("backend").str(BACKENDS)
            if backend == "groth16" and field != "bn254":
                raise FormatError(f"{ks.path}: a Groth16 kernel in a {field} plan")
            kernels[ir.name] = CompiledKernel(
                ir, circuit_from_tree(F, ks.field("circuit")), backend, stats
            )
        host = host_from_tree(s.field("host"))
        pcs = s.field("pcs").str(PCS_NAMES)
        zk = s.field("zk").bool()
        if zk and pcs not in HIDING_PCS:
            raise FormatError(
                f"{what}.zk: zero knowledge with the {pcs} PCS, which reveals tensors"
            )
        plan = Plan(field, s.field("source").str(), pcs, kernels, host, zk)
        validate_host(plan.program, what)
        validate_segments(plan.program, {n: k.circuit for n, k in kernels.items()}, what)
        return plan


def plan_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
