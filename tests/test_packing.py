"""Private tables packed into shared commitments (zkcc/runtime/packing.py): layout invariants
on random table sets, claims moved to a bin checked against a plain-Python multilinear
extension, and the proofs that use it (fewer commitments, tampering still caught)."""

from __future__ import annotations

import random

import pytest

from zkcc.analysis.assign import AssignOptions
from zkcc.driver import compile_path
from zkcc.errors import ProofRejected
from zkcc.field import get_field
from zkcc.pcs.ligero_params import opening_bytes
from zkcc.plan.plan import plan_digest
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.packing import pack, plan_bins
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify

P = (1 << 31) - 1


def plain_mle(table: list[int], point: list[int]) -> int:
    """sum_i T[i] prod_j (z_j if bit j of i else 1 - z_j) mod p, bit 0 first."""
    total = 0
    for i, t in enumerate(table):
        w = 1
        for j, z in enumerate(point):
            w = w * (z if (i >> j) & 1 else 1 - z) % P
        total += t * w
    return total % P


@pytest.mark.parametrize("hiding", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_members_are_aligned_and_disjoint(seed: int, hiding: bool) -> None:
    rng = random.Random(seed)
    tables = {f"t{i}": rng.choice([0, 1, 3, 5, 9, 12, 17]) for i in range(rng.randint(1, 9))}
    F = get_field("m31")
    bins = pack(F, tables, hiding)
    assert bins == pack(F, dict(reversed(tables.items())), hiding)  # order-independent
    placed = sorted(m.tensor for b in bins for m in b.members)
    assert placed == sorted(tables)
    total = sum(1 << m for m in tables.values())
    assert sum(b.size for b in bins) < total + max(total >> 4, 1 << 16) * len(bins)
    for b in bins:
        end = 0
        for m in b.members:
            assert m.num_vars == tables[m.tensor]
            assert m.offset % (1 << m.num_vars) == 0 and m.offset == end
            end += 1 << m.num_vars
        assert end <= b.size < 2 * end


def test_second_round_bins_are_packed_knowing_the_first() -> None:
    """cnn_digits' second-round tables: alone, two bins (2^16 and 2^15) are estimated
    smaller than one 2^17 bin; beside the first round's 2^20 and 2^17 bins, which take the
    2^17 code, one bin joins that code's group instead of opening a group of its own."""
    F = get_field("m31")
    second = {"inv": 16, "inv0": 14, "inv1": 13, "mq": 10, "mt0": 10, "mt1": 10}
    assert [b.num_vars for b in pack(F, second, True)] == [16, 15]
    beside = pack(F, second, True, others=(20, 17))
    assert [(b.num_vars, len(b.members)) for b in beside] == [(17, 6)]
    assert opening_bytes(F, [20, 17, 17], True) < opening_bytes(F, [20, 17, 16, 15], True)


def test_bins_merge_where_it_pays_not_only_the_smallest() -> None:
    """cnn_digits' plain tables: the binary digits give bins of 2^20, 2^15, 2^14, 2^13, 2^9,
    2^7, 2^4 and 2^2. Merging the two smallest saves nothing (a plain opening sends tiny
    tables as they are), but merging the middle ones does: they end in one 2^16 bin."""
    F = get_field("m31")
    logs = {"h2": 20, "lk": 14, "p": 14, "h1": 13, "h3": 13, "c0": 12, "c1": 11, "wd": 10}
    logs |= {"wdf": 10, "h0": 9, "wc": 6, "wcf": 6, "bd": 4, "bc": 2}
    exact = [b.num_vars for b in pack(F, logs, False, merge=False)]
    assert exact == [20, 15, 14, 13, 9, 7, 4, 2]
    assert opening_bytes(F, [*exact[:-2], 5], False) >= opening_bytes(F, exact, False)
    bins = pack(F, logs, False)
    assert [(b.num_vars, len(b.members)) for b in bins] == [(20, 1), (16, 13)]
    assert opening_bytes(F, [20, 16], False) < 0.9 * opening_bytes(F, exact, False)


def test_claim_on_member_is_claim_on_bin() -> None:
    rng = random.Random(7)
    F = get_field("m31")
    E = F.ext
    tables = {"a": 4, "b": 2, "c": 2, "d": 0, "e": 3}
    data = {n: [rng.randrange(P) for _ in range(1 << m)] for n, m in tables.items()}
    for b in pack(F, tables, hiding=False):
        flat = [0] * b.size
        for m in b.members:
            flat[m.offset : m.offset + (1 << m.num_vars)] = data[m.tensor]
        for m in b.members:
            z = [rng.randrange(P) for _ in range(m.num_vars)]
            extended = b.point_of(F, m, [E.from_base(F.array([x]))[:, 0] for x in z])
            base = [int(c[0]) for c in extended]  # base points: component 0 is the value
            assert len(base) == b.num_vars
            assert plain_mle(flat, base) == plain_mle(data[m.tensor], z)


SOURCE = """
#pragma field m31
__global__ void k(const field x[4], __broadcast__ const field w[4], field y[1], field z[2]) {
    field acc = 0;
    for (int i = 0; i < 4; i++) { acc += x[i] * w[i]; }
    y[0] = acc;
    z[0] = acc * acc;
    z[1] = acc + w[0];
}
__global__ void g(const field z[2], field out[1]) { out[0] = z[0] * z[1]; }
__host__ void main(public field x[16][4], private field w[4], public out field y[16][1],
                   public out field out[16][1]) {
    field z[16][2];
    k<<<16>>>(x, w, y, z);
    g<<<16>>>(z, out);
}
"""


def _proved(tmp_path):
    src = tmp_path / "packed.zkcu"
    src.write_text(SOURCE)
    plan = compile_path(src, options=AssignOptions(fuse=False))
    rng = random.Random(3)
    inputs = {
        "x": get_field("m31").array([rng.randrange(P) for _ in range(64)]),
        "w": get_field("m31").array([rng.randrange(P) for _ in range(4)]),
    }
    digest = plan_digest(plan.to_bytes())
    bundle = prove(plan, digest, inputs, randomness=Randomness(seed=5))
    return plan, digest, bundle


def test_one_commitment_for_every_private_table(tmp_path) -> None:
    plan, digest, bundle = _proved(tmp_path)
    bins, _ = plan_bins(plan)
    assert len(bins) == 1 and len(bins[0].members) >= 4  # w, z and the two mask tables
    assert sorted(bundle.commitments) == ["pcs#0"]
    verify(plan, digest, bundle.to_bytes())


def test_tampered_packed_opening_is_rejected(tmp_path) -> None:
    plan, digest, bundle = _proved(tmp_path)
    data = bytearray(bundle.to_bytes())
    commitment = bundle.commitments["pcs#0"]
    at = bytes(data).index(commitment)
    data[at] ^= 1
    with pytest.raises(ProofRejected):
        verify(plan, digest, bytes(data))
    other = ProofBundle(digest, bundle.public, {"w": commitment}, bundle.steps, bundle.opening)
    with pytest.raises(Exception, match="committed as"):
        verify(plan, digest, other.to_bytes())
