"""Run a program's host graph: every launch's witness, every assertion, all tensor values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zkcc.errors import WitnessError
from zkcc.ir.host import AssertEq, Launch, Program
from zkcc.plan.validate import resolve
from zkcc.runtime.witness import run_kernel, source_line


@dataclass
class Execution:
    tensors: dict[str, np.ndarray]  # base tensor name -> flat values
    hints: list[np.ndarray]  # per step (empty for assert_eq and hint-free kernels): (count, h)


def launch_args(
    program: Program, step: Launch, tensors: dict[str, np.ndarray], outputs: bool = False
) -> list:
    """Each param's array for a launch: (count, size) for a split param, (size,) for a
    broadcast one; output params are None unless `outputs` (they must then be in `tensors`)."""
    names = resolve(program)
    kernel = program.kernels[step.kernel]
    args = []
    for prm, arg in zip(kernel.params, step.args, strict=True):
        if prm.is_output and not outputs:
            args.append(None)
        else:
            flat = tensors[names[arg][0]]
            args.append(flat if prm.broadcast else flat.reshape(step.count, prm.size))
    return args


def execute(
    program: Program,
    F,
    inputs: dict[str, np.ndarray],
    progress: Callable[[str], None] | None = None,
) -> Execution:
    names = resolve(program)
    tensors = dict(inputs)
    hints: list[np.ndarray] = []
    for i, step in enumerate(program.host.steps):
        if isinstance(step, AssertEq):
            a, b = tensors[names[step.a][0]], tensors[names[step.b][0]]
            diff = np.nonzero(a != b)[0]
            if len(diff):
                j = int(diff[0])
                raise WitnessError(
                    f"{source_line(step.loc)}\nerror: assert_eq({step.a}, {step.b}) fails at flat "
                    f"index {j}: {int(a[j])} != {int(b[j])} ({len(diff)} elements differ)"
                )
            hints.append(F.zeros((0, 0)))
            continue
        if progress:
            progress(f"witness: launch {i} {step.kernel}<<<{step.count}>>>")
        kernel = program.kernels[step.kernel]
        w = run_kernel(F, kernel, launch_args(program, step, tensors), step.count)
        for prm, arr in w.outputs.items():
            tensors[names[step.args[prm]][0]] = arr.reshape(-1)
        hints.append(w.hints)
    return Execution(tensors, hints)
