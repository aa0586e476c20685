"""Which instances of a launch one worker (an MPI rank, or a memory chunk) holds, and in what
column order, so that the GKR sumcheck splits over workers without changing a single proof byte.

Every sumcheck of a layer binds its variables in one canonical order, whatever the split:

    gate bits x_{w-1}, ..., x_0 (top first), then instance bits s_0, s_1, ..., s_{n-1} (LSB first).

The 2^n (padded) instances are cut into 2^(n-c) aligned *blocks* of 2^c instances; a worker
holds a contiguous run of blocks [b0, b1). The first w + c rounds never pair instances of
different blocks, so each worker computes its share of those round messages alone and the
shares are summed (exact field sums: the message does not depend on the split). Then each block
is one value; the workers exchange them (2^(n-c) values) and every worker finishes the last
n - c rounds on the same small table.

Column order. A worker stores each per-instance vector (a layer's row, an eq table over the
instances) with its k = b1 - b0 blocks interleaved and the instance bits of a block reversed:

    column j = bitrev_c(s mod 2^c) * k + (s >> c) - b0

so that the flat gate-major table x * (k 2^c) + j is folded in the canonical order by halving
it from the top, w + c times: the fast contiguous-halves kernels do every local round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from zkcc.field import PrimeField, eq_table
from zkcc.field.base import Array


class Collective(Protocol):
    """What the GKR prover needs from a communicator (zkcc/runtime/comm.py provides it)."""

    size: int

    def allgather(self, data: bytes) -> list[bytes]: ...


def sum_over_workers(E, comm: Collective | None, value: Array) -> Array:
    """Every worker's share of an extension array added up (exact field sums, so the total
    does not depend on how the work was split); the value itself with one worker."""
    if comm is None or comm.size == 1:
        return value
    acc = E.zeros(value.shape[1:])
    for raw in comm.allgather(E.encode(value)):  # bytes decode on the host
        acc = E.add(acc, E.xp.asarray(E.decode(raw, value[0].size).reshape(value.shape)))
    return acc


@dataclass(frozen=True)
class Shard:
    """Blocks [b0, b1) of 2^block_log2 instances out of a launch of 2^n_log2 instances."""

    n_log2: int
    block_log2: int
    b0: int
    b1: int

    @classmethod
    def whole(cls, n_log2: int) -> Shard:
        return cls(n_log2, n_log2, 0, 1)

    @property
    def blocks(self) -> int:
        return self.b1 - self.b0

    @property
    def lo(self) -> int:
        return self.b0 << self.block_log2

    @property
    def hi(self) -> int:
        return self.b1 << self.block_log2

    @property
    def columns(self) -> int:
        return self.hi - self.lo

    @property
    def global_rounds(self) -> int:
        """Instance rounds after the exchange: one per block bit."""
        return self.n_log2 - self.block_log2

    def split(self, parts: int) -> list[Shard]:
        """`parts` memory chunks of this shard, each a run of blocks in block order; every
        block is first cut into 2^ceil(log2 parts) finer blocks (as far as it has instances),
        a number that depends on `parts` alone, so all workers split alike and the exchange
        carries the same finer blocks everywhere."""
        if parts <= 1:
            return [self]
        j = min(self.block_log2, (parts - 1).bit_length())
        b0, b1, c = self.b0 << j, self.b1 << j, self.block_log2 - j
        cuts = [b0 + q * (b1 - b0) // parts for q in range(parts + 1)]
        return [Shard(self.n_log2, c, a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]

    def instances(self) -> np.ndarray:
        """instances()[j] = the (global) instance stored in column j."""
        c, k = self.block_log2, self.blocks
        t = np.repeat(bit_reverse(c), k)
        b = np.tile(np.arange(self.b0, self.b1, dtype=np.int64), 1 << c)
        return (b << c) + t


def bit_reverse(bits: int) -> np.ndarray:
    """bit_reverse(c)[t] = t with its c low bits reversed, for t < 2^c."""
    t = np.arange(1 << bits, dtype=np.int64)
    out = np.zeros_like(t)
    for i in range(bits):
        out |= ((t >> i) & 1) << (bits - 1 - i)
    return out


def partition(n_log2: int, workers: int, index: int, spare_bits: int = 3) -> Shard:
    """Worker `index` of `workers`: 2^spare_bits blocks per worker or more (for balance when
    `workers` is not a power of two), never more blocks than instances; a worker beyond the
    block count holds nothing."""
    if workers == 1:
        return Shard.whole(n_log2)
    p = min(n_log2, max(0, (workers - 1).bit_length()) + spare_bits)
    blocks = 1 << p
    b0, b1 = index * blocks // workers, (index + 1) * blocks // workers
    return Shard(n_log2, n_log2 - p, b0, b1)


def eq_columns(F: PrimeField, rs: list[Array], shard: Shard) -> Array:
    """(d, columns) table of eq(rs, s) for the shard's instances s, in its column order, built
    from the two factors eq(rs_low, s mod 2^c) eq(rs_high, s >> c) without the 2^n table."""
    c = shard.block_log2
    low = eq_table(F, rs[:c])[:, bit_reverse(c)]
    high = eq_table(F, rs[c:])[:, shard.b0 : shard.b1]
    return F.ext.mul(low[:, :, None], high[:, None, :]).reshape(F.ext.degree, -1)


def to_columns(table: Array, shard: Shard, first: int = 0) -> Array:
    """An instance-major table of rows first, first + 1, ... (all 2^n by default, or just the
    shard's [lo, hi)) -> the shard's (W, columns) gate-major part. Host-side (numpy): the
    witness is assembled on the host before the field's array module takes over."""
    return np.ascontiguousarray(table[shard.instances() - first].T)
