"""Run a program's host graph: every launch's witness, every assertion, all tensor values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from zkcc.backends.gkr.shard import partition
from zkcc.errors import WitnessError
from zkcc.field import get_field
from zkcc.ir.host import AssertEq, Launch, Program, Seen, resolve
from zkcc.ir.lookups import LookupLayout
from zkcc.plan.validate import seen_span
from zkcc.runtime.witness import run_kernel

if TYPE_CHECKING:
    from zkcc.runtime.comm import Comm


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
            flat = seen_data(program, names[arg], tensors)
            args.append(flat if prm.broadcast else flat.reshape(step.count, prm.size))
    return args


def seen_data(program: Program, seen: Seen, tensors: dict[str, np.ndarray]) -> np.ndarray:
    """The flat values a tensor or view name sees: its base's, or the slice's part of them
    (a numpy view, not a copy)."""
    return tensors[seen.base][seen_span(program, seen)]


# Witness generation holds (instances x instructions) values at once; chunks of instances
# keep that table near this size.
WITNESS_CHUNK_BYTES = 1 << 25


def instance_range(count: int, comm: Comm | None) -> tuple[int, int]:
    """The launch instances this rank computes: its GKR shard's (zkcc/backends/gkr/shard.py),
    cut to the real instances."""
    if comm is None or comm.size == 1:
        return 0, count
    shard = partition(max(0, (count - 1).bit_length()), comm.size, comm.rank)
    return min(shard.lo, count), min(shard.hi, count)


def run_launch(
    F, program: Program, step: Launch, tensors: dict[str, np.ndarray], comm: Comm | None = None
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """One launch's outputs (param index -> (count, size)) and hints (count, h): each rank
    computes its instance range in chunks of bounded size, then the ranks exchange them."""
    kernel = program.kernels[step.kernel]
    args = launch_args(program, step, tensors)
    lo, hi = instance_range(step.count, comm)
    per_instance = 8 * max(1, len(kernel.instrs))
    chunk = max(1, WITNESS_CHUNK_BYTES // per_instance)
    outs: dict[int, list[np.ndarray]] = {}
    hints: list[np.ndarray] = []
    for a in range(lo, hi, chunk):
        b = min(a + chunk, hi)
        part = [
            x if x is None or p.broadcast else x[a:b]
            for x, p in zip(args, kernel.params, strict=True)
        ]
        w = run_kernel(F, kernel, part, b - a, first=a)
        for prm, arr in w.outputs.items():
            outs.setdefault(prm, []).append(arr)
        hints.append(w.hints)
    h = kernel.hint_count() + LookupLayout.of(kernel).width  # hints, then lookup columns
    empty = {prm: F.zeros((0, p.size)) for prm, p in enumerate(kernel.params) if p.is_output}
    local = {prm: np.concatenate(outs[prm]) if prm in outs else empty[prm] for prm in empty}
    local_hints = np.concatenate(hints) if hints else F.zeros((0, h))
    if comm is None or comm.size == 1:
        return local, local_hints
    full = {prm: allgather_rows(F, comm, arr) for prm, arr in local.items()}
    return full, allgather_rows(F, comm, local_hints)


def allgather_rows(F, comm: Comm, rows: np.ndarray) -> np.ndarray:
    """Every rank's (rows, width) field array stacked in rank order, sent in the field's
    canonical encoding (bn254 values are Python ints: no raw buffer to send)."""
    width = rows.shape[1]
    if width == 0:  # no columns (a hint-free kernel): only the row count matters
        count = sum(
            int.from_bytes(c, "little") for c in comm.allgather(len(rows).to_bytes(8, "little"))
        )
        return F.zeros((count, 0))
    parts = comm.allgather(F.encode(rows))
    flat = [F.decode(raw, len(raw) // F.byte_len) for raw in parts]
    return np.concatenate(flat).reshape(-1, width)


def check_assert_eq(program: Program, step: AssertEq, tensors: dict[str, np.ndarray]) -> None:
    names = resolve(program)
    a, b = (seen_data(program, names[n], tensors) for n in (step.a, step.b))
    diff = np.nonzero(a != b)[0]
    if len(diff):
        j = int(diff[0])
        raise WitnessError(
            f"assert_eq({step.a}, {step.b}) fails at flat index {j}: {int(a[j])} != "
            f"{int(b[j])} ({len(diff)} elements differ)",
            step.loc,
        )


def store_outputs(
    program: Program, step: Launch, tensors: dict[str, np.ndarray], outputs: dict
) -> None:
    """Each output into its tensor; an output to a slice fills that part of the base, which
    is made (zeros) by the first launch that writes a part of it."""
    names = resolve(program)
    for prm, arr in outputs.items():
        seen = names[step.args[prm]]
        if not seen.index:
            tensors[seen.base] = arr.reshape(-1)
            continue
        if seen.base not in tensors:
            base = next(t for t in program.host.tensors if t.name == seen.base)
            tensors[seen.base] = get_field(program.field).zeros(base.size)
        tensors[seen.base][seen_span(program, seen)] = arr.reshape(-1)


def execute(
    program: Program,
    F,
    inputs: dict[str, np.ndarray],
    progress: Callable[[str], None] | None = None,
) -> Execution:
    """Every step's witness in one process (`zkcc run`; the prover goes step by step)."""
    tensors = dict(inputs)
    hints: list[np.ndarray] = []
    for i, step in enumerate(program.host.steps):
        if isinstance(step, AssertEq):
            check_assert_eq(program, step, tensors)
            hints.append(F.zeros((0, 0)))
            continue
        if progress:
            progress(f"witness: launch {i} {step.kernel}<<<{step.count}>>>")
        outputs, h = run_launch(F, program, step, tensors)
        store_outputs(program, step, tensors, outputs)
        hints.append(h)
    return Execution(tensors, hints)
