"""The compiler pipeline in one place: source -> IR -> circuits -> statistics -> plan."""

from __future__ import annotations

from pathlib import Path

from zkcc.analysis.stats import assign_backend, kernel_stats, r1cs_template_stats
from zkcc.field import get_field
from zkcc.frontend import compile_file
from zkcc.ir.host import Program
from zkcc.lower.circuit import lower_kernel
from zkcc.plan.plan import HIDING_PCS, CompiledKernel, Plan

DEFAULT_PCS = "ligero"


def plan_program(
    program: Program, pcs: str = DEFAULT_PCS, backend: str | None = None, zk: bool = True
) -> Plan:
    """`zk` asks for zero knowledge; a PCS without a hiding variant (merkle) cannot give it,
    so its plans record zk=False rather than promise what the proof will not keep."""
    p = get_field(program.field).p
    kernels = {}
    for name, ir in sorted(program.kernels.items()):
        chosen = assign_backend(ir, program.field, backend)
        circuit = lower_kernel(ir, p)
        stats = kernel_stats(ir, circuit)
        if chosen == "groth16":
            stats.update(r1cs_template_stats(ir, p))
        kernels[name] = CompiledKernel(ir, circuit, chosen, stats)
    zk = zk and pcs in HIDING_PCS
    return Plan(program.field, program.source_name, pcs, kernels, program.host, zk)


def compile_path(
    path: str | Path, pcs: str = DEFAULT_PCS, backend: str | None = None, zk: bool = True
) -> Plan:
    return plan_program(compile_file(path), pcs, backend, zk)
