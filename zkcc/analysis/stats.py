"""Per-kernel statistics: what a cost model needs (gates by kind per instance, depth, layer
widths, hints and constraints) and a Groth16 kernel's R1CS template size."""

from __future__ import annotations

from zkcc.backends.gkr.circuit import LayeredCircuit
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
        "lookups": ir_ops[Op.LOOKUP],
        "depth": circuit.depth,
        "input_width": 1 << circuit.input_log2,
        "layer_widths": [1 << ly.width_log2 for ly in circuit.layers],
        "mul_gates": sum(len(ly.mul_coef) for ly in circuit.layers),
        "add_gates": sum(len(ly.add_coef) for ly in circuit.layers),
        "const_gates": sum(len(ly.const_coef) for ly in circuit.layers),
    }


def r1cs_template_stats(kernel: KernelIR, p: int) -> dict[str, int]:
    """Per-instance R1CS size of a kernel under Groth16 (a launch adds commit-and-prove rows)."""
    from zkcc.ir.passes import expand_lookups
    from zkcc.lower.r1cs import build_kernel_r1cs

    # a kernel with lookups is expanded when a launch of it is Groth16 (zkcc.driver)
    k = build_kernel_r1cs(expand_lookups(kernel, p), 1, set(), p)
    return {
        "r1cs_constraints": k.template_constraints,
        "r1cs_wires": k.template_wires,
    }


# ---- options and requests ------------------------------------------------------------------
