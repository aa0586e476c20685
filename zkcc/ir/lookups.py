"""Where a kernel's LOOKUPs put their keys and values: the lookup columns of an instance.

A GKR launch proves its lookups with LogUp over a committed *lookup tensor* of shape
(count, width): the circuit checks that each LOOKUP's key (and value) equals its column there
(a linear residue, zkcc/lower/circuit.py), and the lookup argument shows that every row of
each table's block is a row of that table (zkcc/runtime/lookups.py). One table's LOOKUPs
fill one *block*: 2^site_log2 key columns, site s of the table at column s, then, for a map
table, as many value columns. Blocks are placed largest first at offsets aligned to their
size, so a block of every instance is one sub-cube of the tensor's table: the argument makes
one evaluation claim per block, with the block's offset bits fixed (zkcc.runtime.packing
does the same for tensors in a bin). Unused columns hold zeros and are weighed 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zkcc.ir.kernel import RANGE_LIMB_BITS, KernelIR, LookupTable, range_limbs
from zkcc.ir.layout import log2_ceil


@dataclass(frozen=True)
class Block:
    table: int  # index in the kernel's tables
    sites: int  # LOOKUPs on the table (per instance)
    site_log2: int  # key columns: 2^site_log2
    components: int  # 1 (range table: keys) or 2 (map table: keys, then values)
    offset: int  # first column, a multiple of the block's size

    @property
    def size(self) -> int:
        return self.components << self.site_log2

    @property
    def size_log2(self) -> int:
        return self.site_log2 + self.components - 1


@dataclass(frozen=True)
class LookupLayout:
    blocks: tuple[Block, ...]  # in table order
    width: int  # columns per instance: a power of two, 0 when the kernel has no LOOKUP
    key_column: np.ndarray  # per LOOKUP, in instruction order: its key's column
    value_column: np.ndarray  # per LOOKUP: its value's column (-1 on a range table)

    @staticmethod
    def of(kernel: KernelIR) -> LookupLayout:
        return LookupLayout.of_tables(kernel.lookup_site_tables(), kernel.tables)

    @staticmethod
    def of_tables(site_tables: np.ndarray, tables: list[LookupTable]) -> LookupLayout:
        """The layout from each LOOKUP's table index, in instruction order (what the plan's
        columns hold): vectorised, as the lowering of a loaded plan is."""
        counts = np.bincount(site_tables, minlength=len(tables))
        sizes = [
            (int(c), log2_ceil(max(int(c), 1)), 2 if t.is_map else 1)
            for c, t in zip(counts, tables, strict=True)
        ]
        order = sorted(range(len(tables)), key=lambda t: -(sizes[t][2] << sizes[t][1]))
        offsets, end = [0] * len(tables), 0
        for t in order:
            if sizes[t][0]:
                offsets[t], end = end, end + (sizes[t][2] << sizes[t][1])
        blocks = tuple(Block(t, *sizes[t], offsets[t]) for t in range(len(tables)))
        width = 0 if end == 0 else 1 << log2_ceil(end)
        # site of each LOOKUP: its rank among the LOOKUPs of its table
        order_in = np.argsort(site_tables, kind="stable")
        first = (np.cumsum(counts) - counts).astype(np.int64)
        site = np.empty(len(site_tables), dtype=np.int64)
        site[order_in] = np.arange(len(site_tables)) - np.repeat(first, counts)
        offset = np.array(offsets, dtype=np.int64)
        site_len = np.array([1 << s[1] for s in sizes], dtype=np.int64)
        is_map = np.array([t.is_map for t in tables], dtype=bool)
        keys = offset[site_tables] + site
        values = np.where(is_map[site_tables], keys + site_len[site_tables], -1)
        return LookupLayout(blocks, width, keys, values)

    def used(self) -> list[Block]:
        """The blocks of tables that some LOOKUP reads."""
        return [b for b in self.blocks if b.sites]


def most_queries(kernel: KernelIR, count: int) -> int:
    """The most lookups `count` instances of `kernel` make into one table. LogUp needs it
    below the field's characteristic: a multiplicity of p would vanish (docs/lookups.md)."""
    return int(np.bincount(kernel.lookup_site_tables(), minlength=1).max()) * count


# What one more lookup costs against one more table row: a row is a count and a tree leaf; a
# lookup is a tree leaf too, a committed key column (a limb's hint lives there, with no
# residue: zkcc.ir.kernel.column_hint_checks) and the recombination's terms (measured, when
# limbs still had a hints entry and a residue: examples/activations gains from 8-bit limbs,
# cnn_digits' argmax loses with them)
LOOKUP_WEIGHT = 4
# With zero knowledge (zkcc/runtime/zk_lookups.py) a row costs a committed inverse and 8 check
# gates, a lookup an inverse, 12-21 check gates and the kernel's share: on 2^10 instances x 8
# 16-bit ReLUs, weight 2 picks 8 + 7-bit limbs and proves in 0.89 s against 1.59 s for 4's
# 15-bit table (bits: 0.98 s), one run; at 2^13 instances every weight keeps 15 bits
ZK_LOOKUP_WEIGHT = 2


def best_limb_bits(kernel: KernelIR, count: int, weight: float = LOOKUP_WEIGHT) -> int:
    """The limb width (KernelBuilder.limb_bits) that makes a launch of `count` instances of
    `kernel` cheapest to prove by LogUp: the least weight * count * range lookups
    (each of b bits becomes `range_limbs(b, L)`) plus every range table's rows, the widest
    width among equals. A small launch is better off with narrow tables (512 ReLU signs: two
    8-bit lookups each, against one into a 2^15-row table); a large one with wide ones."""
    sites = np.bincount(kernel.lookup_site_tables(), minlength=len(kernel.tables))
    ranges = [
        (t.bits, int(n)) for t, n in zip(kernel.tables, sites, strict=True) if n and not t.is_map
    ]
    best = (0, RANGE_LIMB_BITS)
    for width in range(1, RANGE_LIMB_BITS + 1):
        lookups, widths = 0, set()
        for bits, n in ranges:
            limbs = range_limbs(bits, width)
            lookups += n * len(limbs)
            widths.update(limbs)
        cost = weight * count * lookups + sum(1 << w for w in widths)
        if width == 1 or cost <= best[0]:
            best = (cost, width)
    return best[1]
