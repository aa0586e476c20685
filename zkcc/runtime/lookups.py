"""LogUp lookups of a GKR launch: every row of the lookup tensor's blocks is a table row.

A launch whose kernel has LOOKUPs commits, besides its hints, a *lookup tensor* (count, width)
holding each LOOKUP's key (and value) in its column (zkcc.ir.lookups), and for each table it
uses a *counts tensor*: how often each table row is looked up. The circuit ties the columns to
the values the kernel computed (a residue per column); this module proves that the columns
are table rows, by the logarithmic-derivative identity [Haböck 2022, "Multivariate lookups
based on logarithmic derivatives", Lemma 5]:

    sum_{real (instance, site)} 1 / (alpha - enc(key, value)) = sum_j m_j / (alpha - enc(row_j))

for the challenge alpha, with enc(x, y) = (1 - beta) x + beta y on a map table (enc(x) = x on
a range table) for a second challenge beta. Both sides are sums of fractions over a binary
tree, proved by the GKR for fractional sums of zkcc/backends/gkr/fraction.py [Papini-Haböck
2023, "Improving logarithmic derivative lookups using GKR"]: the query tree's leaves are
(p, q) = (1 on real instances and sites else 0, alpha - enc) in the order instance * 2^a +
site, the table tree's (m_j, alpha - enc(row_j)) (a map table's padded rows repeat row 0,
`padded_rows`). The verifier
checks that the two roots are equal fractions with non-zero denominators, and each tree ends
in one evaluation claim on its leaves:

* the query leaves' q at (r_site, r_instance) is alpha minus the lookup tensor's multilinear
  extension at (r_site, beta, the block's offset bits, r_instance): the component bit of a map
  block (key, value) is where beta goes, which makes the claim enc of the key and value
  extensions (one claim per block, whatever its number of sites); p is public (valid flags
  times the site prefix), which the verifier computes;
* the table leaves' q is public (the keys' extension is sum 2^i r_i, a map table's values are
  evaluated from the plan), and p is a claim on the counts tensor.

All commitments (the lookup and counts tensors among them) are absorbed before alpha and beta
are drawn, so the prover chose the keys and counts before it knew them. Not zero-knowledge:
the fractional-sum GKR reveals sums over the keys; plans with zero knowledge prove the same
identity with committed inverses instead (zkcc/runtime/zk_lookups.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zkcc.backends.gkr.fraction import FractionProof, prove_fraction_sum, verify_fraction_sum
from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError, ProofRejected
from zkcc.field.mle import mle_evaluate
from zkcc.ir.kernel import KernelIR, LookupTable
from zkcc.ir.lookups import Block, LookupLayout
from zkcc.runtime.claims import Claim, counts_tensor, index_mle, lookup_tensor, valid_mle
from zkcc.runtime.layout import TableLayout, extend_point

LABEL = "logup"


def padded_rows(F, table: LookupTable) -> tuple[np.ndarray, np.ndarray]:
    """A map table's keys and values over 2^bits rows: rows past its length repeat row 0.

    The counts tensor's padded entries are the prover's to fill (nothing in a commitment
    makes them zero), so a padded row must be one that any lookup may match: a padded row
    (j, 0) would let a prover count a lookup of the key j >= len, outside the table."""
    keys = np.zeros(1 << table.bits, dtype=np.int64)
    keys[: table.rows] = np.arange(table.rows)
    values = F.array([*table.values, *[table.values[0]] * ((1 << table.bits) - table.rows)])
    return F.array(keys), values


def table_rows(F, table: LookupTable) -> tuple[np.ndarray, np.ndarray | None]:
    """Every row's key over 2^bits rows and, for a map table, its value (`padded_rows`)."""
    if table.is_map:
        return padded_rows(F, table)
    return F.array(np.arange(1 << table.bits, dtype=np.int64)), None


@dataclass(frozen=True)
class LaunchLookups:
    """The lookups of one GKR launch: the tensors they commit and their LogUp arguments."""

    step: int
    count: int  # the launch's instances
    tables: tuple[LookupTable, ...]
    layout: LookupLayout

    @staticmethod
    def of(kernel: KernelIR, step: int, count: int) -> LaunchLookups | None:
        if not kernel.tables:
            return None
        return LaunchLookups(step, count, tuple(kernel.tables), LookupLayout.of(kernel))

    @property
    def n_log2(self) -> int:
        return max(0, (self.count - 1).bit_length())

    @property
    def tensor(self) -> str:
        return lookup_tensor(self.step)

    @property
    def tensor_layout(self) -> TableLayout:
        return TableLayout((self.count, self.layout.width))

    def counts_layout(self, block: Block) -> TableLayout:
        return TableLayout((1 << self.tables[block.table].bits,))

    def tree_sizes(self) -> list[tuple[int, int]]:
        """Per used table: the log2 leaf counts of its query tree and table tree."""
        return [(b.site_log2 + self.n_log2, self.tables[b.table].bits) for b in self.layout.used()]

    def counts_tensors(self) -> list[str]:
        return [counts_tensor(self.step, b.table) for b in self.layout.used()]

    def claim_counts(self) -> dict[str, int]:
        """The evaluation claims the argument makes on each tensor (one per block; one per
        counts tensor); the circuit's own two on the lookup tensor are the caller's."""
        out = {self.tensor: len(self.layout.used())}
        for b in self.layout.used():
            out[counts_tensor(self.step, b.table)] = 1
        return out

    # -- witness ------------------------------------------------------------------------------
    def _keys(self, columns: np.ndarray, b: Block) -> np.ndarray:
        """The keys of the block's real sites on every instance, as int64."""
        keys = columns[:, b.offset : b.offset + b.sites]
        return np.asarray(keys).astype(np.int64).reshape(-1)

    def counts(self, F, columns: np.ndarray, comm=None) -> dict[str, np.ndarray]:
        """Each used table's counts, over its 2^bits rows, from the lookup columns
        (instances, width) of this rank's instances, added up over the ranks of `comm`
        (witness generation has checked that every key is a table row)."""
        out = {}
        for b in self.layout.used():
            rows = 1 << self.tables[b.table].bits
            counts = np.bincount(self._keys(columns, b), minlength=rows)
            if comm is not None and comm.size > 1:
                counts = np.sum(comm.allgather_array(counts.astype(np.int64)), axis=0)
            out[counts_tensor(self.step, b.table)] = F.array(counts.astype(np.int64))
        return out

    # -- the argument ---------------------------------------------------------------------------
    def _challenges(self, F, tr) -> tuple[Any, Any]:
        ab = tr.challenge_exts(f"{LABEL}/challenges", F, 2)
        return ab[:, 0].copy(), ab[:, 1].copy()

    def _query_leaves(self, F, columns: np.ndarray, b: Block, alpha, beta) -> tuple[Any, Any]:
        """(p, q) of the block's query tree, leaf instance * 2^site_log2 + site."""
        E = F.ext
        n, a = 1 << self.n_log2, 1 << b.site_log2
        block = F.zeros((n, b.components, a))
        block[: self.count] = columns[:, b.offset : b.offset + b.size].reshape(
            self.count, b.components, a
        )
        enc = E.from_base(block[:, 0].reshape(-1))
        if b.components == 2:
            diff = E.from_base(F.sub(block[:, 1], block[:, 0]).reshape(-1))
            enc = E.add(enc, E.mul(diff, beta[:, None]))
        q = E.sub(alpha[:, None], enc)
        real = np.zeros((n, a), dtype=np.int64)
        real[: self.count, : b.sites] = 1
        return E.from_base(F.array(real.reshape(-1))), q

    def _table_enc(self, F, table: LookupTable, beta) -> Any:
        """enc of every table row (padded to 2^bits), an extension array."""
        E = F.ext
        keys, values = table_rows(F, table)
        if values is None:
            return E.from_base(keys)
        keys, values = E.from_base(keys), E.from_base(values)
        return E.add(keys, E.mul(E.sub(values, keys), beta[:, None]))

    def _table_enc_mle(self, F, table: LookupTable, beta, point: list) -> Any:
        """The verifier's value of the table rows' enc at `point`: a range table's keys'
        extension is sum 2^i r_i; a map table's keys and values are evaluated from the plan's
        (at most 2^16 rows)."""
        E = F.ext
        if not table.is_map:
            return index_mle(F, point)
        keys, values = (mle_evaluate(F, x, point) for x in padded_rows(F, table))
        return E.add(keys, E.mul(E.sub(values, keys), beta))

    def _tensor_point(self, F, b: Block, point: list, beta) -> list:
        """The lookup tensor's point for the query tree's leaf point (r_site, r_instance)."""
        a = b.site_log2
        width_log2 = (self.layout.width - 1).bit_length()
        fixed = [(b.offset >> j) & 1 for j in range(b.size_log2, width_log2)]
        component = [beta] if b.components == 2 else []
        return [*extend_point(F, [*point[:a], *component], fixed), *point[a:]]

    def prove(self, F, columns: np.ndarray, counts: dict, tr) -> tuple[Tree, list[Claim]]:
        E = F.ext
        alpha, beta = self._challenges(F, tr)
        trees, claims = [], []
        for b in self.layout.used():
            table = self.tables[b.table]
            p, q = self._query_leaves(F, columns, b, alpha, beta)
            qproof, qc = prove_fraction_sum(F, p, q, tr, f"{LABEL}/{b.table}/queries")
            m = self.counts_layout(b).table(F, counts[counts_tensor(self.step, b.table)])
            tq = E.sub(alpha[:, None], self._table_enc(F, table, beta))
            tproof, tc = prove_fraction_sum(F, E.from_base(m), tq, tr, f"{LABEL}/{b.table}/table")
            trees.append({"queries": qproof.to_tree(), "table": tproof.to_tree()})
            claims += self._claims(F, b, qc, tc, alpha, beta)
        return trees, claims

    def verify(self, F, ss: Schema, tr) -> list[Claim]:
        E = F.ext
        alpha, beta = self._challenges(F, tr)
        items = ss.list(len(self.layout.used()), len(self.layout.used()))
        claims = []
        for b, s in zip(self.layout.used(), items, strict=True):
            table = self.tables[b.table]
            s.dict({"queries", "table"})
            qbits = b.site_log2 + self.n_log2
            qproof = FractionProof.from_tree(s.field("queries"), F, qbits)
            qc = verify_fraction_sum(F, qbits, qproof, tr, f"{LABEL}/{b.table}/queries")
            tproof = FractionProof.from_tree(s.field("table"), F, table.bits)
            if qproof.unit_p or tproof.unit_p:  # both trees have numerators
                raise FormatError(f"{s.path}: a LogUp tree claims unit numerators")
            tc = verify_fraction_sum(F, table.bits, tproof, tr, f"{LABEL}/{b.table}/table")
            where = f"launch {self.step} lookups in table {b.table}"
            zero = E.zeros()
            if E.equal(qc.q_root, zero) or E.equal(tc.q_root, zero):
                raise ProofRejected(f"{where}: a denominator of the fractional sum is zero")
            if not E.equal(E.mul(qc.p_root, tc.q_root), E.mul(tc.p_root, qc.q_root)):
                raise ProofRejected(f"{where}: the looked-up rows are not rows of the table")
            a = b.site_log2
            mask = E.mul(
                valid_mle(F, b.sites, qc.point[:a]), valid_mle(F, self.count, qc.point[a:])
            )
            if not E.equal(qc.p_value, mask):
                raise ProofRejected(f"{where}: the query numerators are not the real sites")
            want = E.sub(alpha, self._table_enc_mle(F, table, beta, tc.point))
            if not E.equal(tc.q_value, want):
                raise ProofRejected(f"{where}: the table denominators are not the table's rows")
            claims += self._claims(F, b, qc, tc, alpha, beta)
        return claims

    def _claims(self, F, b: Block, qc, tc, alpha, beta) -> list[Claim]:
        """The block's claims on the lookup tensor (alpha - q) and on the counts (p)."""
        E = F.ext
        origin = f"launch {self.step} lookups in table {b.table}"
        name = counts_tensor(self.step, b.table)
        return [
            Claim(
                self.tensor,
                self.tensor_layout,
                self._tensor_point(F, b, list(qc.point), beta),
                E.sub(alpha, qc.q_value),
                origin,
            ),
            Claim(name, self.counts_layout(b), list(tc.point), tc.p_value, origin),
        ]
