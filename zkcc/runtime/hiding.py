"""A circuit proved with zero knowledge, and what its proof leaves for the PCS.

A zero-knowledge GKR proof (zkcc/backends/gkr/zk.py) runs on the hiding circuit (an input
mask segment added), draws its masks into a mask table committed with the other private
tables, and ends in linked claims: per final claim, the segments' values weighted by their
selectors sum to the claim's value, a relation the PCS proves without revealing the values.
Kernel launches (zkcc/runtime/steps.py) and the lookup checks of zero-knowledge plans
(zkcc/runtime/zk_lookups.py) share this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zkcc.backends.gkr.circuit import LayeredCircuit
from zkcc.backends.gkr.zk import (
    INPUT_MASK_SEGMENT,
    MASK_TABLE,
    REDUCTION_TABLE,
    MaskLayout,
    draw_tables,
    hiding_circuit,
    input_mask,
    input_mask_log2,
)
from zkcc.field.ext import ExtField
from zkcc.runtime.claims import Claim, Link, TensorInfo, claims_of_segments
from zkcc.runtime.layout import TableLayout


@functools.lru_cache(maxsize=64)
def _hidden(circuit: LayeredCircuit, n_log2: int, E: ExtField) -> tuple[LayeredCircuit, MaskLayout]:
    """The hiding circuit and its mask layout, made once per kernel circuit (keyed by
    identity: a plan's kernels hold theirs), instance count and field: a plan's every launch
    of a kernel shares them, and the prover, the verifier and the cost model each ask for
    them several times per launch (a deep kernel's layout walks its every layer)."""
    hiding = hiding_circuit(circuit, n_log2, E)
    return hiding, MaskLayout.of(hiding, n_log2, E)


@dataclass(frozen=True, eq=False)
class HidingCircuit:
    """`circuit` is the hiding circuit over 2^n_log2 instances; `mask_table` names its
    committed mask table, `reduction_table` the mask reduction's own (both private tensors),
    and `input_mask` the input mask segment's values (the mask table's first entries: a view,
    never committed on its own)."""

    circuit: LayeredCircuit
    n_log2: int
    layout: MaskLayout
    mask_table: str
    reduction_table: str
    input_mask: str

    @staticmethod
    def of(
        F,
        circuit: LayeredCircuit,
        n_log2: int,
        mask_table: str,
        reduction_table: str,
        input_mask: str,
    ) -> HidingCircuit:
        hiding, layout = _hidden(circuit, n_log2, F.ext)
        return HidingCircuit(hiding, n_log2, layout, mask_table, reduction_table, input_mask)

    @property
    def table_layout(self) -> TableLayout:
        return TableLayout((self.layout.size,))

    @property
    def reduction_layout(self) -> TableLayout:
        return TableLayout((self.layout.reduction_size,))

    def tensors(self) -> list[TensorInfo]:
        """The two committed mask tables."""
        return [
            TensorInfo(self.mask_table, (self.layout.size,), False),
            TensorInfo(self.reduction_table, (self.layout.reduction_size,), False),
        ]

    def claim_counts(self) -> dict[str, int]:
        """The claims its proof makes on them: the input mask's two and the reduction's
        one on the mask table, one on the reduction's."""
        return {self.mask_table: 3, self.reduction_table: 1}

    def with_input_mask(self, F, sources: dict) -> dict:
        """`sources` (segment -> (tensor, layout)) with the input mask segment's."""
        mask = (self.input_mask, TableLayout((1 << input_mask_log2(F.ext),)))
        return {**sources, INPUT_MASK_SEGMENT: mask}

    def draw(self, ctx, label: str) -> None:
        """The masks, drawn on rank 0 before any commitment and sent to every rank (every
        rank adds the same mask terms), into ctx.data with the input mask's view."""
        F = ctx.F

        def make() -> bytes:
            tables = draw_tables(F, self.layout, ctx.randomness.source(label).token_bytes)
            return b"".join(F.encode(t) for t in tables)

        n = self.layout.size
        both = F.decode(ctx.from_root(make), n + self.layout.reduction_size)
        table = both[:n]
        ctx.data.put(self.mask_table, table)
        ctx.data.put(self.reduction_table, both[n:])
        ctx.data.put(self.input_mask, input_mask(F.ext, table))

    def linked(
        self,
        F,
        seg,
        sources: dict,
        public: set[str],
        public_value: Callable[[Claim], Any],
        link: str,
        origin: str,
    ) -> list[Claim]:
        """The proof's segment claims (gkr.prove or gkr.verify, `seg`) as claims on tensors:
        per final claim one relation over the private segments' claims (id `link`/k), with
        the public segments' part (`public_value`) moved to the relation's total, and the
        mask table's own claim. The input mask is the table's first entries: its claims
        are claims on the table."""
        E = F.ext
        sources = {
            **self.with_input_mask(F, sources),
            MASK_TABLE: (self.mask_table, self.table_layout),
            REDUCTION_TABLE: (self.reduction_table, self.reduction_layout),
        }
        claims = claims_of_segments(F, seg, sources, origin)
        for c in claims:
            if c.tensor == self.input_mask:
                zeros = [E.zeros()] * (self.layout.num_vars - len(c.point))
                c.tensor, c.layout, c.point = self.mask_table, self.table_layout, [*c.point, *zeros]
        totals: dict[int, Any] = {}
        for sc, c in zip(seg, claims, strict=True):
            if sc.link is not None:
                index, sel, total = sc.link
                totals.setdefault(index, total)
                if c.tensor in public:
                    totals[index] = E.sub(totals[index], E.mul(sel, public_value(c)))
        out = []
        for sc, c in zip(seg, claims, strict=True):
            if sc.link is None:
                out.append(c)
            elif c.tensor not in public:
                index, sel, _ = sc.link
                c.link = Link(f"{link}/{index}", sel, totals[index])
                out.append(c)
        return out
