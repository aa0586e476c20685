"""How much memory a proof takes, checked before any work, and the spill store `--mem-limit`
uses when the in-memory layers would not fit.

The estimate is per rank and counts what dominates (docs/scale.md has the measurements behind
the constants): the rank's share of the tensors (8 bytes per element; zkcc/runtime/tensors.py:
private tensors, hints and lookup columns are split over the ranks, public tensors, masks and
counts are whole on every rank), the rank's share of the
tensor commitments (a Ligero commitment's rows, encoded rows and columns are split over the
ranks, zkcc/pcs/split.py; the reference Merkle scheme is whole on every rank), and per GKR
launch the rank's stored layers (the field's storage width per gate value and instance) plus
the working set of proving one layer (the sumcheck tables and the temporaries of building
them, per value of the widest layer). The largest launch counts, since each launch's layers
are released when it is proved.

Under a limit the prover first tries everything in memory, then with the layers and the
commitments' encoded matrices spilled to files (each layer written once when evaluated and
read back once when proved, each encoded matrix written once and read twice, for its leaf
hashes and for the opened columns: the proof is unchanged), and otherwise refuses, naming
the estimate and the smallest limit that works.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkcc.backends.gkr.evaluate import CHUNK_BYTES, LayerStore
from zkcc.backends.gkr.shard import partition
from zkcc.backends.gkr.sumcheck import TableStore
from zkcc.errors import UserError
from zkcc.field import get_field
from zkcc.ir.host import AssertEq
from zkcc.pcs.ligero import ColumnStore, ColumnStoreFactory
from zkcc.pcs.ligero_params import table_shapes
from zkcc.plan.plan import Plan
from zkcc.runtime.claims import hint_tensor, lookup_tensor, plan_tensors, public_tensors
from zkcc.runtime.comm import CollectiveError, Comm
from zkcc.runtime.execute import WITNESS_CHUNK_BYTES
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.lookups import LaunchLookups
from zkcc.runtime.memsize import format_size
from zkcc.runtime.packing import plan_bins
from zkcc.runtime.report import Reporter, peak_rss_bytes
from zkcc.runtime.scratch import scratch_dir
from zkcc.runtime.zk_lookups import HiddenLookups, hidden_lookups, inverses_tensor

# bytes per value of the widest layer while it is proved (m31: f, its copy, the extension
# table g, the first fold and the outer-product temporaries, measured in bench/scale.py)
LAYER_WORKING_BYTES = {"m31": 80, "bn254": 400}
# bytes per stored value of a layer (m31 uint32; bn254 object pointer + int)
LAYER_STORED_BYTES = {"m31": 4, "bn254": 44}
TENSOR_BYTES = {"m31": 8, "bn254": 44}
LOGUP_EXT_COPIES = 6  # a LogUp tree: p, q, their layers above, the sumcheck's halves
# computing a zero-knowledge launch's lookup inverses (zkcc/runtime/zk_lookups.py), per
# extension entry of its largest block or table: enc, alpha - enc, the inverse's conjugates
# and products (tracemalloc, besides the round-2 tensors: m31 11-14 at 300 to 2^16
# instances, bn254 14 at 9; tests/test_costmodel.py holds the bound)
INVERSE_EXT_COPIES = 16
MERKLE_COMMIT_BYTES = 8  # per table element: the Merkle PCS hashes the table's bytes
# Ligero, per symbol of the encoded matrix (table rows and, hiding, mask rows, times the code
# length): the encoded columns, the encoder's temporaries and the tree, measured on commits
# of 2^14..2^20 entries (m31 7-15 B: uint32 and numpy temporaries; bn254 290-560 B: Python
# integers in object arrays, whose encoder makes a new array per butterfly stage)
LIGERO_SYMBOL_BYTES = {"m31": 12, "bn254": 400}
COMMIT_SPILLED_BYTES = 8  # per table element with the encoded rows in a file: the rows
SPLIT_COMMITMENTS = {"ligero"}  # schemes whose commitments split over the ranks
# per R1CS wire (witness, NTT domains, MSM buckets): a prove's peak above its loaded key, the
# larger of the process and its forked worker, measured on bench/groth16.py's chain with gmpy2
# (13.8, 12.9 and 10.1 KB per wire at 2^12, 2^14 and 2^16; 8.7 KB at 2^14 with Python ints);
# 1,200 B before stop 25 under-counted it about tenfold
GROTH16_WIRE_BYTES = 12_000
# a loaded plan, per gate of its lowered circuits: the layers' wiring arrays and the kernel
# IR's instructions (measured loading merkle, 2e5 gates: ~250 B; cnn_digits: ~450 B)
PLAN_GATE_BYTES = 300


def plan_resident_bytes(plan: Plan) -> int:
    """What holding the loaded plan costs (a process that has not loaded it yet, such as
    the cost model's calibrated baseline, must add it)."""
    gates = sum(k.stats["mul_gates"] + k.stats["add_gates"] for k in plan.kernels.values())
    return PLAN_GATE_BYTES * gates


MAX_PARTS = 1 << 12  # memory chunks of one rank's shard
MARGIN = 1.1  # what is not modelled (proof bundle, transcript, allocator slack)
# ... and what does not scale with the proof: the opening's row combinations and the heap
# the allocator keeps after freeing (measured at the smallest feasible limit: layers' peak
# was 7 MiB over the modelled one, all in the opening; mlp_digits' 10 MiB)
UNMODELLED_BYTES = 12 << 20
TEMPORARIES = 4 * CHUNK_BYTES  # column-chunked temporaries of building a layer's tables


def chunk_temporaries(working: int) -> int:
    """The temporaries of building a layer's tables column chunk by column chunk: bounded by
    TEMPORARIES, and for a layer smaller than that by a quarter of its working set (a small
    proof's were counted as the whole 64 MiB, so any --mem-limit under ~120 MiB was refused
    for a proof that peaks at 50)."""
    return min(TEMPORARIES, working // 4)


@dataclass(frozen=True)
class MemoryEstimate:
    base: int  # the interpreter and libraries, as measured at the start
    tensors: int
    commitments: int
    commitments_spilled: int  # with the encoded matrices in files
    layers: int  # the largest launch's stored layers on one rank
    working: int  # the tables of that launch's widest layer on one rank
    other: int  # witness generation, Groth16 launches, LogUp trees: not split into parts

    @property
    def in_memory(self) -> int:
        gkr = self.layers + self.working + chunk_temporaries(self.working)
        held = self.base + self.tensors + self.commitments + max(gkr, self.other)
        return int(MARGIN * held) + UNMODELLED_BYTES

    def spilled(self, parts: int) -> int:
        """With the layers in files and each launch proved in `parts` chunks: one chunk's
        tables being built, and (several chunks) up to CHUNK_BYTES of the others' kept in
        memory between rounds (SpillTables)."""
        working = -(-self.working // parts)
        working += chunk_temporaries(working)
        if parts > 1:
            working += min(CHUNK_BYTES, self.working)
        held = self.base + self.tensors + self.commitments_spilled + max(working, self.other)
        return int(MARGIN * held) + UNMODELLED_BYTES


def estimate(plan: Plan, ranks: int = 1) -> MemoryEstimate:
    """Peak memory of one rank (rank 0's shard of each launch) before anything is computed."""
    F = get_field(plan.field)
    program = plan.program
    g16 = groth16_steps(plan)
    infos = plan_tensors(plan, frozenset(g16))
    hidden = {h.step: h for h in hidden_lookups(plan, frozenset(g16))}
    # a zero-knowledge plan's round-2 tensors: lookup inverses, check circuits' mask tables
    infos += [x for h in hidden.values() for x in h.tensors()]
    sizes = {x.name: x.size for x in infos} | {t.name: t.size for t in program.host.tensors}
    split = {t.name for t in program.host.tensors if t.name not in public_tensors(program)}
    for i in range(len(program.host.steps)):
        split |= {hint_tensor(i), lookup_tensor(i), inverses_tensor(i)}
    whole = sum(n for name, n in sizes.items() if name not in split)
    tensor_elems = whole + -(-sum(n for name, n in sizes.items() if name in split) // ranks)
    first, second = plan_bins(plan, frozenset(g16))
    bins = first + second
    committed = sum(b.size for b in bins)
    commit_bytes = MERKLE_COMMIT_BYTES * committed
    if plan.pcs in SPLIT_COMMITMENTS:
        commit_bytes = -(-ligero_commit_bytes(plan, bins) // ranks)  # this rank's share
        committed = -(-committed // ranks)
    layers = working = other = 0
    for i, step in enumerate(program.host.steps):
        if isinstance(step, AssertEq):
            continue
        ck = plan.kernels[step.kernel]
        table = step.count * 8 * max(1, program.kernels[step.kernel].instr_count())
        other = max(other, 2 * min(WITNESS_CHUNK_BYTES, table))
        if i in g16:
            other = max(other, GROTH16_WIRE_BYTES * step.count * ck.stats.get("mul_gates", 1))
            continue
        circuits = [(ck.circuit, max(0, (step.count - 1).bit_length()))]
        if i in hidden:  # its lookup check circuits, proved after the kernel's layers
            circuits += [(hc.circuit, hc.n_log2) for _, hc, _ in hidden[i].checks()]
            other = max(other, inverse_bytes(F, hidden[i], ranks))
        else:
            other = max(other, logup_bytes(F, ck.ir, step.count))  # after the layers, unsplit
        for circuit, n_log2 in circuits:
            stored, widest = circuit_bytes(F, circuit, partition(n_log2, ranks, 0).columns)
            layers, working = max(layers, stored), max(working, widest)
    return MemoryEstimate(
        base=peak_rss_bytes(),
        tensors=TENSOR_BYTES[F.name] * tensor_elems,
        commitments=commit_bytes,
        commitments_spilled=COMMIT_SPILLED_BYTES * committed,
        layers=layers,
        working=working,
        other=other,
    )


def circuit_bytes(F, circuit, columns: int) -> tuple[int, int]:
    """A GKR proof over `columns` instances: its stored layers, and its widest layer's
    working set while it is proved."""
    total, widest = _widths(circuit)
    stored = LAYER_STORED_BYTES[F.name] * columns * total
    return stored, LAYER_WORKING_BYTES[F.name] * columns * widest


@functools.lru_cache(maxsize=256)
def _widths(circuit) -> tuple[int, int]:
    """The sum of the circuit's layer widths, and its widest layer below the output: once
    per circuit (the planner asks per launch)."""
    widths = [1 << circuit.width_log2(d) for d in range(circuit.depth + 1)]
    return sum(widths), max(widths[:-1])


def logup_bytes(F, kernel, count: int) -> int:
    """The LogUp prover's largest tree (zkcc/runtime/lookups.py, every rank builds them
    whole): its leaves (p, q) and the layers above them (as many again) in the extension,
    LOGUP_EXT_COPIES extension arrays of the leaf count in all."""
    lookups = LaunchLookups.of(kernel, 0, count)
    if lookups is None:
        return 0
    leaves = max(1 << max(m_q, m_t) for m_q, m_t in lookups.tree_sizes())
    return LOGUP_EXT_COPIES * F.ext.degree * TENSOR_BYTES[F.name] * leaves


def inverse_bytes(F, hidden: HiddenLookups, ranks: int = 1) -> int:
    """Computing a zero-knowledge launch's lookup inverses (HiddenLookups.witness: a rank
    its own instances' rows, every table whole): INVERSE_EXT_COPIES extension arrays of its
    largest block (the rank's instances x sites) or used table's rows."""
    lk = hidden.lookups
    mine = -(-lk.count // ranks)
    entries = max(max(mine << b.site_log2, 1 << lk.tables[b.table].bits) for b in hidden.used())
    return INVERSE_EXT_COPIES * F.ext.degree * TENSOR_BYTES[F.name] * entries


def ligero_commit_bytes(plan: Plan, bins: list) -> int:
    """Memory of the plan's Ligero commitments: LIGERO_SYMBOL_BYTES per symbol of each bin's
    encoded matrix, its shape (and, hiding, its mask rows) as the PCS will choose it."""
    F = get_field(plan.field)
    shapes = table_shapes(F, [b.num_vars for b in bins], plan.zk)
    total = 0
    for b in bins:
        s = shapes[b.num_vars]
        total += (s.rows + s.mask_rows(F.ext.degree)) * s.code_len
    return LIGERO_SYMBOL_BYTES[F.name] * total


class SpillStore(LayerStore):
    """Layers in files under a private temporary directory, read back (not memory-mapped, so
    they never count towards the resident set) when the prover reaches them."""

    def __init__(self, F, directory: str, report: Reporter) -> None:
        super().__init__(F)
        self._dir = scratch_dir("zkcc-spill-", directory)
        self._shapes: dict[int, tuple[int, ...]] = {}
        self._report = report

    def _path(self, i: int) -> Path:
        return Path(self._dir.name) / f"layer{i}.bin"

    def put(self, i: int, v) -> None:
        a = self.F.compact(v)
        a.tofile(self._path(i))
        self._shapes[i] = a.shape
        self._report.add_spilled(a.nbytes)

    def __getitem__(self, i: int):
        raw = np.fromfile(self._path(i), dtype=self.F.storage_dtype)
        return self.F.widen(raw.reshape(self._shapes[i]))

    def __len__(self) -> int:
        return len(self._shapes)

    def release(self, i: int) -> None:
        if self._shapes.pop(i, None) is not None:
            self._path(i).unlink(missing_ok=True)


class SpillTables(TableStore):
    """Sumcheck tables of the parts between two rounds, in files like the layers. Parts'
    tables stay in memory while all those kept add up to less than CHUNK_BYTES: what remains
    after the first rounds is small, and a file per part per round would cost more than it
    saves."""

    def __init__(self, directory: str, report: Reporter) -> None:
        super().__init__()
        self._dir = scratch_dir("zkcc-tables-", directory)
        self._files: dict[int, tuple] = {}
        self._kept: dict[int, int] = {}  # part -> bytes kept in memory
        self._report = report

    def save(self, part: int, f, g) -> None:
        size = f.nbytes + g.nbytes
        if sum(self._kept.values()) + size < CHUNK_BYTES:
            self._kept[part] = size
            super().save(part, f, g)
            return
        meta = []
        for name, t in (("f", f), ("g", g)):
            path = Path(self._dir.name) / f"{part}{name}.bin"
            t.tofile(path)
            meta.append((path, t.dtype, t.shape))
            self._report.add_spilled(t.nbytes)
        self._files[part] = tuple(meta)

    def load(self, part: int):
        if part not in self._files:
            self._kept.pop(part, None)
            return super().load(part)
        f, g = (np.fromfile(p, dtype=d).reshape(s) for p, d, s in self._files.pop(part))
        return f, g


class SpillColumns(ColumnStore):
    """This rank's columns of a commitment's encoded matrix U, (n, T), in a file, written a
    run of whole rows at a time and read a block of whole columns at a time (~CHUNK_BYTES).

    The file holds the column blocks one after another, block b (columns [b B, b B + w_b),
    w_b = B but for a shorter last block) taking w_b T elements. A run of rows [r0, r0 + h)
    written to it is, inside every block, the tile U[block's columns, r0 : r0 + h] row-major
    at element w_b r0 of the block: one positioned write per block, whatever the run's
    length and origin (runs come from this rank's encoder and from its peers'). A block is
    read back with one read and each run's tile put in its place."""

    def __init__(self, F, rows: int, columns: int, directory: str, report: Reporter) -> None:
        self._dtype = np.dtype(F.storage_dtype)
        self._rows, self._n = rows, columns
        width = self._dtype.itemsize
        self._block = max(1, min(columns, CHUNK_BYTES // (width * rows)))
        self._runs: list[tuple[int, int]] = []
        self._dir = scratch_dir("zkcc-columns-", directory)
        self._path = Path(self._dir.name) / "columns.bin"
        self._path.touch()
        self._report = report

    def _spans(self) -> list[tuple[int, int]]:
        """(first column, columns) of each block."""
        B = self._block
        return [(j, min(B, self._n - j)) for j in range(0, self._n, B)]

    def write_rows(self, r0: int, block) -> None:
        size = self._dtype.itemsize
        with open(self._path, "r+b") as f:
            for j, w in self._spans():
                tile = np.ascontiguousarray(block[j : j + w], dtype=self._dtype)
                offset = (j * self._rows + w * r0) * size
                os.pwrite(f.fileno(), memoryview(tile).cast("B"), offset)
        self._runs.append((r0, block.shape[1]))
        self._report.add_spilled(block.size * size)

    def _read_block(self, j: int, w: int) -> np.ndarray:
        with open(self._path, "rb") as f:
            f.seek(j * self._rows * self._dtype.itemsize)
            raw = np.fromfile(f, dtype=self._dtype, count=w * self._rows)
        out = np.empty((w, self._rows), dtype=self._dtype)
        for r0, h in self._runs:
            out[:, r0 : r0 + h] = raw[w * r0 : w * (r0 + h)].reshape(w, h)
        return out

    def blocks(self):
        for j, w in self._spans():
            yield self._read_block(j, w)

    def columns(self, idx: list[int]) -> np.ndarray:
        out = np.empty((len(idx), self._rows), dtype=self._dtype)
        where = np.asarray(idx, dtype=np.int64)
        block_of = where // self._block
        for b in np.unique(block_of).tolist():
            mine = np.nonzero(block_of == b)[0]
            j = b * self._block
            out[mine] = self._read_block(j, min(self._block, self._n - j))[where[mine] - j]
        return out


@dataclass(frozen=True)
class MemoryPlan:
    estimate: MemoryEstimate
    spill: bool
    parts: int  # memory chunks per GKR launch and rank
    tmpdir: str
    report: Reporter

    def layer_store(self, F) -> Callable[[], LayerStore] | None:
        """Where GKR launches keep their layers: None for in memory."""
        if not self.spill:
            return None
        return lambda: SpillStore(F, self.tmpdir, self.report)

    def column_store(self) -> ColumnStoreFactory | None:
        """Where tensor commitments keep their encoded matrices: None for in memory."""
        if not self.spill:
            return None
        return lambda F, rows, columns: SpillColumns(F, rows, columns, self.tmpdir, self.report)

    def table_store(self) -> Callable[[], TableStore] | None:
        """Where a chunked sumcheck keeps its tables between rounds: None for in memory."""
        if self.parts == 1:
            return None
        return lambda: SpillTables(self.tmpdir, self.report)


def _check_spill_directory(directory: str) -> None:
    """Refuse, before any work, a --tmpdir where no spill directory can be made: by making
    one (os.access said yes for /proc as root, and the prove failed at its first spill)."""
    try:
        scratch_dir("zkcc-probe-", directory).cleanup()
    except OSError as e:
        raise UserError(
            f"--tmpdir {directory}: not a writable directory for spill files ({e.strerror or e})"
        ) from None


def physical_memory() -> int:
    """This machine's physical memory in bytes (a prove without --mem-limit is held to it:
    one whose estimate needs 3,000 TiB was started, and ran until the system killed it)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system that tells
        return 1 << 62


def plan_memory(
    plan: Plan,
    ranks: int,
    limit: int | None,
    tmpdir: str | None,
    report: Reporter,
    comm: Comm | None = None,
) -> MemoryPlan:
    """Choose in-memory, or spilled layers and the fewest chunks that fit `limit` (per rank),
    or refuse before any work. Spill files need a fixed-width storage dtype (m31). With
    `comm` (several ranks) every rank takes the largest rank's measured interpreter, so all
    decide alike and a refusal is one agreed message (each rank printed its own figures and
    aborted the job)."""
    est = estimate(plan, ranks)
    given = limit is not None
    if limit is None:  # the machine's memory is the limit nobody has to give
        limit = physical_memory()
    refused: type[UserError] = UserError
    if comm is not None and comm.size > 1:  # one decision on every rank, or a rank that
        # refuses alone leaves the others waiting: the largest interpreter, the least limit
        mine = json.dumps([est.base, limit]).encode()
        agreed = [json.loads(x) for x in comm.allgather(mine)]
        est = dataclasses.replace(est, base=max(b for b, _ in agreed))
        limit, refused = min(lim for _, lim in agreed), CollectiveError
    directory = tmpdir or tempfile.gettempdir()
    if est.in_memory <= limit:
        return MemoryPlan(est, False, 1, directory, report)
    can_spill = np.dtype(get_field(plan.field).storage_dtype).kind != "O"
    # the fewest chunks that fit (more chunks are not always smaller: several keep up to
    # CHUNK_BYTES of tables in memory between rounds, one keeps none)
    counts = [1 << k for k in range(MAX_PARTS.bit_length())] if can_spill else []
    parts = next((k for k in counts if est.spilled(k) <= limit), None)
    if parts is not None:
        _check_spill_directory(directory)
        bound = "limit" if given else "this machine's memory"
        report.note(
            f"memory: about {format_size(est.in_memory)} in memory > {bound} "
            f"{format_size(limit)}: GKR layers and encoded commitments spilled to {directory}, "
            f"each launch proved in {parts} chunk{'s' if parts > 1 else ''} "
            f"(about {format_size(est.spilled(parts))})"
        )
        return MemoryPlan(est, True, parts, directory, report)
    need = min(est.spilled(k) for k in counts) if can_spill else est.in_memory
    raise refused(
        (
            f"--mem-limit {format_size(limit)} cannot be met"
            if given
            else f"this machine's memory, {format_size(limit)}, is too small (no --mem-limit)"
        )
        + f": this proof needs about "
        f"{format_size(est.in_memory)} per rank in memory"
        + (
            f", about {format_size(need)} with everything that can be spilled to disk"
            if can_spill
            else " (bn254 tables cannot be spilled)"
        )
        + f"; the smallest feasible limit is about {format_size(need)}"
    )
