"""Run a program's host graph: every launch's witness, every assertion, all tensor values."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from zkcc.backends.gkr.shard import partition
from zkcc.errors import WitnessError
from zkcc.ir.host import AssertEq, Launch, Program, Seen, resolve
from zkcc.ir.lookups import LookupLayout
from zkcc.plan.validate import seen_span
from zkcc.runtime.tensors import TensorStore, even_share
from zkcc.runtime.witness import run_kernel

if TYPE_CHECKING:
    from zkcc.runtime.comm import Comm


@dataclass
class Execution:
    tensors: dict[str, np.ndarray]  # base tensor name -> flat values
    hints: list[np.ndarray]  # per step (empty for assert_eq and hint-free kernels): (count, h)


def seen_range(program: Program, seen: Seen, tensors: TensorStore) -> range:
    """The elements of its base tensor a tensor or view name sees."""
    if not seen.index:
        return range(tensors.size(seen.base))
    where = seen_span(program, seen)
    return range(where.start, where.stop)


def launch_args(
    program: Program,
    step: Launch,
    tensors: TensorStore,
    lo: int = 0,
    hi: int | None = None,
    outputs: bool = False,
) -> list:
    """Each param's array for the launch's instances [lo, hi) (default: all): (hi - lo, size)
    for a split param, (size,) for a broadcast one; output params are None unless `outputs`
    (they must then be in `tensors`). Collective (zkcc/runtime/tensors.py)."""
    hi = step.count if hi is None else hi
    names = resolve(program)
    kernel = program.kernels[step.kernel]
    args = []
    for prm, arg in zip(kernel.params, step.args, strict=True):
        if prm.is_output and not outputs:
            args.append(None)
            continue
        seen = names[arg]
        first = seen_range(program, seen, tensors).start
        if prm.broadcast:
            args.append(tensors.fetch(seen.base, first, first + prm.size))
        else:
            part = tensors.fetch(seen.base, first + lo * prm.size, first + hi * prm.size)
            args.append(part.reshape(hi - lo, prm.size))
    return args


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
    F, program: Program, step: Launch, tensors: TensorStore
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """This rank's part of one launch: the outputs (param index -> (instances, size)) and
    hints (instances, h) of its instance range (`instance_range`), computed in chunks of
    bounded size from the inputs' rows it fetches. Collective."""
    kernel = program.kernels[step.kernel]
    lo, hi = instance_range(step.count, tensors.comm)
    args = launch_args(program, step, tensors, lo, hi)
    per_instance = 8 * max(1, len(kernel.instrs))
    chunk = max(1, WITNESS_CHUNK_BYTES // per_instance)
    outs: dict[int, list[np.ndarray]] = {}
    hints: list[np.ndarray] = []
    for a in range(lo, hi, chunk):
        b = min(a + chunk, hi)
        part = [
            x if x is None or p.broadcast else x[a - lo : b - lo]
            for x, p in zip(args, kernel.params, strict=True)
        ]
        w = run_kernel(F, kernel, part, b - a, first=a)
        for prm, arr in w.outputs.items():
            outs.setdefault(prm, []).append(arr)
        hints.append(w.hints)
    h = kernel.hint_count() + LookupLayout.of(kernel).width  # hints, then lookup columns
    empty = {prm: F.zeros((0, p.size)) for prm, p in enumerate(kernel.params) if p.is_output}
    local = {prm: np.concatenate(outs[prm]) if prm in outs else empty[prm] for prm in empty}
    return local, np.concatenate(hints) if hints else F.zeros((0, h))


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


def check_assert_eq(program: Program, step: AssertEq, tensors: TensorStore) -> None:
    """Both sides agree: each rank compares an even share of them, and the first difference
    (by flat index) is reported, with how many elements differ in all. Collective."""
    names = resolve(program)
    a_seen, b_seen = names[step.a], names[step.b]
    a_at, b_at = (seen_range(program, s, tensors) for s in (a_seen, b_seen))
    mine = even_share(len(a_at), tensors.comm)
    a = tensors.fetch(a_seen.base, a_at.start + mine.start, a_at.start + mine.stop)
    b = tensors.fetch(b_seen.base, b_at.start + mine.start, b_at.start + mine.stop)
    diff = np.nonzero(a != b)[0]
    found = []  # [flat index, differences, a's value, b's value] of this rank's first
    if len(diff):
        j = int(diff[0])
        found.append([mine.start + j, len(diff), int(a[j]), int(b[j])])
    if tensors.comm.size > 1:
        every = [json.loads(raw) for raw in tensors.comm.allgather(json.dumps(found).encode())]
        found = [f for part in every for f in part]
    if found:
        j, _, x, y = found[0]
        raise WitnessError(
            f"assert_eq({step.a}, {step.b}) fails at flat index {j}: {x} != {y} "
            f"({sum(f[1] for f in found)} elements differ)",
            step.loc,
        )


def store_outputs(program: Program, step: Launch, tensors: TensorStore, outputs: dict) -> None:
    """This rank's rows of each output into its tensor (`run_launch`): a whole tensor's as
    this rank's share of it; a slice's into that part of its base, which is made (zeros) by
    the first launch that writes a part of it. Collective."""
    names = resolve(program)
    kernel = program.kernels[step.kernel]
    lo, _ = instance_range(step.count, tensors.comm)
    for prm, arr in outputs.items():
        seen, size = names[step.args[prm]], kernel.params[prm].size
        if not seen.index:
            tensors.share(seen.base, step.count * size, lo * size, arr.reshape(-1))
            continue
        base = next(t for t in program.host.tensors if t.name == seen.base)
        first = seen_span(program, seen).start
        tensors.write(seen.base, base.size, first + lo * size, arr.reshape(-1))


def execute(
    program: Program,
    F,
    inputs: dict[str, np.ndarray],
    progress: Callable[[str], None] | None = None,
) -> Execution:
    """Every step's witness in one process (`zkcc run`; the prover goes step by step)."""
    tensors = TensorStore.of(F, inputs)
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
    return Execution({name: tensors.whole(name) for name in tensors.names()}, hints)
