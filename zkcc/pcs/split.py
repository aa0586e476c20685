"""How a tensor code's commitment and opening split over workers (MPI ranks).

The encoded matrix U of a commitment has T rows (the table's rows, then its mask rows when
hiding) and N columns; a Merkle leaf is a whole column. Worker q of W

* encodes the rows `span(T, W, q)`: encoding a row needs only that row, and every worker
  holds the tables, so no data moves;
* holds the columns `span(N, W, q)`: the encoded blocks move once, in rounds of at most
  `ROUND_BYTES` of encoded rows per worker, through one all-to-all per round
  (`Collective.alltoall`), and each worker hashes its own leaves; the 32-byte leaf hashes are
  gathered so that every worker builds the same tree (its root is the commitment);
* opens by linear combinations of rows: each worker combines its own rows and the partial
  results are added (`add_up`: exact field sums, so the total is the same bytes for every
  split); the queried columns are gathered from the workers that hold them (`gather`).

Both runs are contiguous and balanced within one row or column, for any W (a worker may hold
no row, or no column, and still takes part in every exchange). The rounds are fixed by T, N
and W alone, so workers that keep their columns differently (in memory, or in a file under
`--mem-limit`, which each rank decides for itself) still meet in the same exchanges.

One worker is the case W = 1 of the same code (`ALONE`): every exchange returns its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from zkcc.field.base import Array, PrimeField

ROUND_BYTES = 1 << 22  # encoded rows per worker and all-to-all round (~5x in temporaries)


class Collective(Protocol):
    """What a split commitment needs from a communicator (zkcc/runtime/comm.py has them)."""

    rank: int
    size: int

    def allgather(self, data: bytes) -> list[bytes]: ...

    def alltoall(self, parts: Sequence) -> list[np.ndarray]: ...


class _Alone:
    """One worker: every exchange hands back what it was given (no copy)."""

    rank, size = 0, 1

    def allgather(self, data: bytes) -> list[bytes]:
        return [data]

    def alltoall(self, parts: Sequence) -> list[np.ndarray]:
        (part,) = parts
        return [part]


ALONE = _Alone()


def span(n: int, workers: int, q: int) -> range:
    """Worker q's contiguous share of n items: [q n / W, (q + 1) n / W), rounded down."""
    return range(q * n // workers, (q + 1) * n // workers)


def rounds(rows: int, workers: int, step: int) -> int:
    """All-to-all rounds of `step` rows each that the busiest worker needs (every worker
    takes part in each)."""
    return max(-(-len(span(rows, workers, q)) // step) for q in range(workers))


def round_rows(F: PrimeField, code_len: int) -> int:
    """Encoded rows a worker sends per round: ROUND_BYTES of them, at least one."""
    return max(1, ROUND_BYTES // (code_len * F.byte_len))


def to_wire(F: PrimeField, a: Array):
    """An encoded block as what an all-to-all sends: m31 its storage words themselves (no
    copy when contiguous), bn254 its canonical bytes."""
    if np.dtype(F.storage_dtype).kind == "O":
        return F.encode(a)
    return np.ascontiguousarray(F.compact(a))


def from_wire(F: PrimeField, raw: np.ndarray, shape: tuple[int, int]) -> Array:
    """`to_wire`'s inverse on the receiving worker (the sender is a trusted peer: no checks)."""
    if np.dtype(F.storage_dtype).kind == "O":
        return F.decode(bytes(raw), shape[0] * shape[1]).reshape(shape)
    return np.frombuffer(raw, dtype=F.storage_dtype).reshape(shape)


def exchange(
    F: PrimeField, comm: Collective, blocks: Sequence[Array], shapes: Sequence[tuple[int, int]]
) -> list[Array]:
    """blocks[q] goes to worker q; returns what each worker sent to this one, shaped
    shapes[q], in storage form. One worker keeps its blocks as they are: a bn254 block to
    bytes and back costs ~80 ms for 2^14 elements."""
    if comm.size == 1:
        return [F.compact(b) for b in blocks]
    got = comm.alltoall([to_wire(F, b) for b in blocks])
    return [from_wire(F, raw, shape) for raw, shape in zip(got, shapes, strict=True)]


def add_up(E, comm: Collective, partial: Array) -> Array:
    """Every worker's partial (d, ...) extension array added up, on every worker."""
    if comm.size == 1:
        return partial
    acc = None
    for raw in comm.allgather(E.encode(partial)):  # bytes decode on the host
        v = E.xp.asarray(E.decode(raw, partial[0].size).reshape(partial.shape))
        acc = v if acc is None else E.add(acc, v)
    return acc


def gather(comm: Collective, data: bytes) -> bytes:
    """Every worker's bytes concatenated in worker order, on every worker."""
    parts = comm.allgather(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)
