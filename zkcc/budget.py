"""The sizes zkcc accepts, in one place: what the compiler may emit and what a plan may ask for.

A plan file may come from anyone, and the prover and verifier allocate in proportion to what
it declares (instructions, parameter arrays, tensors, instances). These limits are checked
when a plan is read, before any of that is allocated, and the front end applies the same ones
while compiling, so `zkcc compile` never writes a plan that `prove` or `verify` would refuse.
Each is far above today's programs and well below what would exhaust a machine before a
useful error; a refusal names the limit.
"""

from __future__ import annotations

import math

from zkcc.errors import FormatError
from zkcc.ir.host import Launch, Program

# IR instructions of one kernel instance (the unrolled body): each is a circuit value.
MAX_KERNEL_INSTRS = 10_000_000
# Elements of one array in a kernel (per instance), i.e. of one kernel parameter.
MAX_KERNEL_ARRAY = MAX_KERNEL_INSTRS
# Elements of one host tensor: a committed table holds at most 2^40 (zkcc.pcs.ligero.MAX_M).
MAX_TENSOR = 1 << 40
# Instances of one launch times its kernel's instructions: the prover's witness size.
MAX_LAUNCH_WORK = 1 << 44


def check_kernel_size(where: str, instrs: int, param_sizes: list[int]) -> None:
    """Refuse a kernel over the instruction or per-array limits (FormatError)."""
    if instrs > MAX_KERNEL_INSTRS:
        raise FormatError(
            f"{where}: {instrs:,} instructions, over zkcc's limit of {MAX_KERNEL_INSTRS:,} "
            "per kernel"
        )
    for size in param_sizes:
        if size > MAX_KERNEL_ARRAY:
            raise FormatError(
                f"{where}: a parameter of {size:,} elements, over zkcc's limit of "
                f"{MAX_KERNEL_ARRAY:,} per kernel array"
            )


def launch_work_excess(count: int, instrs: int) -> str | None:
    """Why a launch of `count` instances of `instrs` instructions each is over
    MAX_LAUNCH_WORK, or None: one text for the front end, which reports it at the launch in
    the source, and for the plan loader, which names the plan's step."""
    if count * max(instrs, 1) <= MAX_LAUNCH_WORK:
        return None
    return (
        f"{count:,} instances x {instrs:,} instructions, over zkcc's limit of "
        f"2^{MAX_LAUNCH_WORK.bit_length() - 1} per launch"
    )


def check_launch_work(where: str, count: int, instrs: int) -> None:
    """Refuse a launch whose witness (instances x instructions) is over MAX_LAUNCH_WORK."""
    if (excess := launch_work_excess(count, instrs)) is not None:
        raise FormatError(f"{where}: {excess}")


def check_plan_budget(program: Program, what: str) -> None:
    """Refuse a plan whose tensors or launches are over the limits (FormatError), before
    anything is lowered or allocated for it."""
    for t in [*program.host.tensors, *program.host.views]:
        if math.prod(t.shape) > MAX_TENSOR:
            raise FormatError(
                f"{what}: tensor {t.name!r} of shape {list(t.shape)} is over zkcc's limit of "
                f"2^{MAX_TENSOR.bit_length() - 1} elements"
            )
    for i, step in enumerate(program.host.steps):
        if isinstance(step, Launch):
            kernel = program.kernels[step.kernel]
            at = f" ({step.loc})" if step.loc else ""
            where = f"{what}: step {i}, {step.kernel}<<<{step.count}>>>{at}"
            check_launch_work(where, step.count, kernel.instr_count())


def check_program(program: Program) -> None:
    """The compiler's check of the same limits, so that `zkcc compile` never writes a plan
    that the plan loader refuses."""
    for name, kernel in sorted(program.kernels.items()):
        at = f" ({kernel.loc})" if kernel.loc else ""
        check_kernel_size(
            f"{program.source_name}: kernel '{name}'{at}",
            len(kernel.instrs),
            [prm.size for prm in kernel.params],
        )
    check_plan_budget(program, program.source_name)
