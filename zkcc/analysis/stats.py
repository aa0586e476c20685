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


BACKENDS = ("gkr", "groth16")
GROTH16_FIELDS = ("bn254",)


def assign_backend(kernel: KernelIR, field: str, requested: str | None) -> str:
    """Choose the proof system of a kernel: `requested` (compile --backend) for every kernel,
    else the kernel's own attribute (`__groth16__` / `__gkr__`), else data-parallel GKR. (The
    cost model that chooses by itself is still to come.) A request that cannot be honoured is
    refused with a clear message, never ignored: Groth16 runs over BN254 only."""
    want = requested or kernel.backend or "gkr"
    where = f"{kernel.loc}: " if kernel.loc else ""
    if want not in BACKENDS:
        raise UserError(
            f"{where}error: kernel '{kernel.name}' asks for backend '{want}', which this version "
            f"of zkcc does not provide (available: {', '.join(BACKENDS)})"
        )
    if want == "groth16" and field not in GROTH16_FIELDS:
        how = "--backend groth16" if requested else "__groth16__"
        raise UserError(
            f"{where}error: kernel '{kernel.name}' asks for Groth16 ({how}), which proves over "
            f"the BN254 scalar field only, but the program's field is {field} "
            "(use `#pragma field bn254`, or the gkr backend)"
        )
    return want


def r1cs_template_stats(kernel: KernelIR, p: int) -> dict[str, int]:
    """Per-instance R1CS size of a Groth16 kernel (the launch adds commit-and-prove rows)."""
    from zkcc.lower.r1cs import build_kernel_r1cs

    k = build_kernel_r1cs(kernel, 1, set(), p)
    return {
        "r1cs_constraints": k.template_constraints,
        "r1cs_wires": k.template_wires,
    }
