"""The compiler pipeline in one place: source -> IR -> circuits -> statistics -> plan."""

from __future__ import annotations

from pathlib import Path

from zkcc.analysis.stats import assign_backend
from zkcc.budget import check_program
from zkcc.field import get_field
from zkcc.frontend import compile_file
from zkcc.ir.host import Program
from zkcc.plan.plan import HIDING_PCS, CompiledKernel, Plan

DEFAULT_PCS = "ligero"


def plan_program(
    program: Program, pcs: str = DEFAULT_PCS, backend: str | None = None, zk: bool = True
) -> Plan:
    """`zk` asks for zero knowledge; a PCS without a hiding variant (merkle) cannot give it,
    so its plans record zk=False rather than promise what the proof will not keep."""
    check_program(program)
    p = get_field(program.field).p
    kernels = {
        name: CompiledKernel(ir, assign_backend(ir, program.field, backend), p)
        for name, ir in sorted(program.kernels.items())
    }
    zk = zk and pcs in HIDING_PCS
    return Plan(program.field, program.source_name, pcs, kernels, program.host, zk, backend)


def compile_path(
    path: str | Path, pcs: str = DEFAULT_PCS, backend: str | None = None, zk: bool = True
) -> Plan:
    return plan_program(compile_file(path), pcs, backend, zk)
