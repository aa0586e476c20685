"""Which committed tables share one PCS commitment.

A hiding Ligero commitment has a fixed cost in every proof whatever its size: one Merkle
multi-opening (~12 KB at 100 bits), a salt per queried column, its test and opening mask rows
in every opened column, and, per shape, the proximity-test and evaluation rows (~16 KB). A
program commits many small tables (weights, hint tensors, each zero-knowledge GKR launch's
mask table), so committing each on its own made small zero-knowledge proofs several times
larger than their plain versions (docs/zk.md). Every private table is committed before the
first challenge anyway, so tables can share a commitment: they are laid side by side in one
larger table (a *bin*), and a claim on a member is a claim on the bin at the member's point
extended by the bits of its offset.

Packing. Tables are powers of two. Sorted by size, largest first, and laid out one after
another, every table starts at a multiple of its own size (a prefix sum of decreasing powers
of two is a multiple of the next one), so its index bits above its own size are constant:
member entry i sits at bin index offset + i, and the bin's multilinear extension at
(point, bits of offset / 2^m) is the member's at point. The bins are first the binary digits
of the total size T (each prefix that fills one exactly), so there is no padding; then two
neighbouring bins are merged into one power-of-two bin, the pair that helps most, while that
makes the estimated opening of all the bins smaller (`ligero_params.opening_bytes`, with the
codes the bins will have together: a Merkle path and salts saved, and a group's vectors
where the smaller bin had a code of its own, against the opened columns of the zero rows
added) and the zeros added stay within max(T/16, 2^16) entries, which bounds the extra
encoding work.

Prover and verifier derive the same bins from the plan (`plan_bins`); the proof carries one
commitment per bin, named `pcs#k`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkcc.field import get_field
from zkcc.pcs.base import get_pcs
from zkcc.pcs.ligero_params import opening_bytes
from zkcc.runtime.claims import Claim, plan_tensors
from zkcc.runtime.layout import extend_point


@dataclass(frozen=True)
class Member:
    """A tensor's table of 2^num_vars entries at `offset` (a multiple of 2^num_vars)."""

    tensor: str
    offset: int
    num_vars: int


@dataclass(frozen=True)
class Bin:
    name: str
    num_vars: int
    members: tuple[Member, ...]

    @property
    def size(self) -> int:
        return 1 << self.num_vars

    def offset_bits(self, member: Member) -> list[int]:
        """The bin index bits above the member's own: constant over the member."""
        high = member.offset >> member.num_vars
        return [(high >> j) & 1 for j in range(self.num_vars - member.num_vars)]

    def point_of(self, F, member: Member, point: Any) -> list:
        """A claim's point on the member's table as the point on the bin."""
        return extend_point(F, point, self.offset_bits(member))


def bin_name(k: int, prefix: str = "pcs") -> str:
    return f"{prefix}#{k}"


def pack(
    F,
    tables: dict[str, int],
    hiding: bool,
    merge: bool = True,
    prefix: str = "pcs",
    others: tuple[int, ...] = (),
) -> list[Bin]:
    """Bins for `tables` (tensor -> log2 of its table size), deterministic in the names and
    sizes; `hiding`: the commitment is hiding Ligero's (shapes and costs differ); `merge`
    False keeps the exact bins (a scheme that sends its tables, `merkle`, gains nothing from
    zeros); `others`: the log2 sizes of the bins the same opening holds besides these."""
    order = sorted(tables, key=lambda n: (-tables[n], n))
    total = sum(1 << tables[n] for n in order)
    runs: list[list[str]] = []
    filled, target = 0, 0
    for name in order:
        if filled == target:  # start the bin of the highest binary digit of what is left
            runs.append([])
            target = filled + (1 << (total - filled).bit_length() - 1)
        runs[-1].append(name)
        filled += 1 << tables[name]

    def used(run: list[str]) -> int:
        return sum(1 << tables[n] for n in run)

    def cost(bins: list[list[str]]) -> float:
        logs = [(used(run) - 1).bit_length() for run in bins]
        return opening_bytes(F, [*logs, *others], hiding)

    def waste(run: list[str]) -> int:
        return (1 << (used(run) - 1).bit_length()) - used(run)

    allowed = max(total >> 4, 1 << 16)
    while merge and len(runs) >= 2:
        # the merge of two neighbouring bins (their tables stay in size order) that shrinks
        # the estimated opening most, if any does
        best, best_cost = None, cost(runs)
        for i in range(len(runs) - 1):
            candidate = [*runs[:i], runs[i] + runs[i + 1], *runs[i + 2 :]]
            if waste(candidate[i]) <= allowed and (c := cost(candidate)) < best_cost:
                best, best_cost = candidate, c
        if best is None:
            break
        runs = best
    out = []
    for k, names in enumerate(runs):
        members, offset = [], 0
        for n in names:
            members.append(Member(n, offset, tables[n]))
            offset += 1 << tables[n]
        out.append(Bin(bin_name(k, prefix), max(0, (offset - 1).bit_length()), tuple(members)))
    return out


def plan_bins(plan, groth16: frozenset[int] = frozenset()) -> tuple[list[Bin], list[Bin]]:
    """The commitments of a plan's proof, (first round, second round): its private tables
    (claims.plan_tensors) packed, then those of the second round, made after the lookup
    challenges of a zero-knowledge plan (zkcc/runtime/zk_lookups.py), named pcs2#k (none
    without lookups) and packed knowing the first round's bins, which their opening shares."""
    from zkcc.runtime.zk_lookups import round_two_tensors  # it imports this module's peers

    F, merge = get_field(plan.field), plan.pcs == "ligero"
    first = {x.name: x.layout.num_vars for x in plan_tensors(plan, groth16) if not x.public}
    bins = pack(F, first, plan.zk, merge)
    tables = {x.name: x.layout.num_vars for x in round_two_tensors(plan, groth16)}
    return bins, pack(F, tables, plan.zk, merge, "pcs2", tuple(b.num_vars for b in bins))


def plan_pcs(plan, bins: list[Bin]):
    """The plan's commitment scheme, given every table its proof commits (`bins`: both
    rounds' `plan_bins`), whose sizes fix a hiding Ligero's codes
    (zkcc.pcs.ligero_params.table_shapes), known to both sides from the plan."""
    return get_pcs(plan.pcs, hiding=plan.zk, table_logs=[b.num_vars for b in bins])


def bin_claim_counts(bins: list[Bin], counts: dict[str, int]) -> dict[str, int]:
    """Claims per bin, as the soundness report counts a Ligero group's claims."""
    return {b.name: sum(counts.get(m.tensor, 0) for m in b.members) for b in bins}


def bin_part(F, b: Bin, held: range, member_part) -> Any:
    """Elements `held` of the bin's table, written member by member: `member_part(name, lo,
    hi)` gives elements [lo, hi) of one member's table (a collective under MPI, so it is
    called for every member, with an empty range where the member lies outside `held`)."""
    out = F.zeros(len(held))
    for m in b.members:
        lo = min(max(held.start, m.offset), m.offset + (1 << m.num_vars))
        hi = max(lo, min(held.stop, m.offset + (1 << m.num_vars)))
        out[lo - held.start : hi - held.start] = member_part(m.tensor, lo - m.offset, hi - m.offset)
    return out


def claims_on_bins(F, bins: list[Bin], claims: dict[str, list[Claim]]) -> dict[str, list[Claim]]:
    """Every claim on a committed tensor as a claim on its bin, in bin order, then member
    order, then the order the schedule made them (what the PCS opens, prover and verifier
    alike)."""
    out: dict[str, list[Claim]] = {}
    for b in bins:
        out[b.name] = [
            Claim(b.name, c.layout, b.point_of(F, m, c.point), c.value, c.origin, c.link)
            for m in b.members
            for c in claims.get(m.tensor, [])
        ]
    return out
