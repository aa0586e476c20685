"""Per-kernel statistics and the backend assignment recorded in the plan.

The statistics are what a cost model needs: gates by kind per instance, depth, layer widths,
hints and constraints, and for each launch the totals over its instances.
"""

from __future__ import annotations

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.errors import UserError
from zkcc.ir.kernel import KernelIR, Op


def kernel_stats(kernel: KernelIR, circuit: LayeredCircuit) -> dict[str, int | list[int]]:
    """Sizes of one instance of a kernel: IR and layered-circuit gate counts."""
    ir_ops = {op: 0 for op in Op}
    for ins in kernel.instrs:
        ir_ops[ins.op] += 1
    return {
        "ir_instructions": len(kernel.instrs),
        "ir_mul": ir_ops[Op.MUL],
        "hints": ir_ops[Op.HINT],
        "constraints": ir_ops[Op.ASSERT_ZERO] + ir_ops[Op.OUTPUT],
        "depth": circuit.depth,
        "input_width": 1 << circuit.input_log2,
        "layer_widths": [1 << ly.width_log2 for ly in circuit.layers],
        "mul_gates": sum(len(ly.mul_coef) for ly in circuit.layers),
        "add_gates": sum(len(ly.add_coef) for ly in circuit.layers),
        "const_gates": sum(len(ly.const_coef) for ly in circuit.layers),
    }


BACKENDS = ("gkr",)


def assign_backend(kernel: KernelIR, field: str, requested: str | None) -> str:
    """Choose the proof system of a kernel. Only data-parallel GKR exists in this version; an
    explicit request for another backend is refused with a clear message, never ignored."""
    want = requested or kernel.backend or "gkr"
    if want not in BACKENDS:
        where = f"{kernel.loc}: " if kernel.loc else ""
        raise UserError(
            f"{where}error: kernel '{kernel.name}' asks for backend '{want}', which this version "
            f"of zkcc does not provide (available: {', '.join(BACKENDS)})"
        )
    return want
