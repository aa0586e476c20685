"""zkcc/runtime/tensors.py: ranks that each hold a share of a tensor fetch, write and evaluate
it as one process holding all of it would. Checked on 1-4 in-process workers (ThreadComm)
against plain Python lists and a big-int multilinear extension, over m31 and bn254."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import run_workers

from zkcc.field import get_field
from zkcc.runtime.layout import TableLayout
from zkcc.runtime.tensors import TensorStore, even_share


def _cuts(rng: random.Random, size: int, workers: int) -> list[int]:
    """Random contiguous shares (some empty) covering 0..size, in rank order."""
    inner = sorted(rng.randrange(size + 1) for _ in range(workers - 1))
    return [0, *inner, size]


def _mle_reference(p: int, table: list[int], point: list[list[int]], ext) -> list[int]:
    """sum_i T[i] prod_j (r_j b_j + (1 - r_j)(1 - b_j)) with Python ints in the extension."""
    total = [0] * ext.degree
    for i, v in enumerate(table):
        w = [1] + [0] * (ext.degree - 1)
        for j, r in enumerate(point):
            factor = r if (i >> j) & 1 else [(-x + (k == 0)) % p for k, x in enumerate(r)]
            w = ext.mul_ints(w, factor)
        total = [(t + v * x) % p for t, x in zip(total, w, strict=True)]
    return total


@pytest.mark.parametrize("field", ["m31", "bn254"])
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_fetch_write_rows_and_mle_match_one_process(field, workers):
    F = get_field(field)
    E = F.ext
    rng = random.Random(workers * 7 + len(field))
    shape = (11, 3, 5)  # padded (16, 4, 8): rows of 32, padding in every dimension
    size = 11 * 3 * 5
    values = [rng.randrange(F.p) for _ in range(size)]
    cuts = _cuts(rng, size, workers)
    wanted = [(rng.randrange(size + 1),) for _ in range(workers)]
    wanted = [(lo, rng.randrange(lo, size + 1)) for (lo,) in wanted]
    layout = TableLayout(shape)
    width = 32
    table = np.zeros((16, 4, 8), dtype=object)
    table[:11, :3, :5] = np.array(values, dtype=object).reshape(shape)
    table = [int(x) for x in table.reshape(-1)]
    nv = 9
    point_ints = [[rng.randrange(F.p) for _ in range(E.degree)] for _ in range(nv)]
    point = [E.from_ints(np.array(r, dtype=object)) for r in point_ints]
    want_mle = _mle_reference(F.p, table, point_ints, E)
    writes = _cuts(rng, 7, workers)  # a 7-element slice at offset 20 of a fresh tensor

    def work(comm):
        store = TensorStore(F, comm)
        lo, hi = cuts[comm.rank], cuts[comm.rank + 1]
        store.share("t", size, lo, F.array(values[lo:hi]))
        a, b = wanted[comm.rank]
        got = F.to_ints(store.fetch("t", a, b))
        whole = F.to_ints(store.whole("t"))
        r0, r1 = sorted((rng_rows[comm.rank], rng_rows[comm.rank + workers]))
        rows = F.to_ints(store.rows("t", layout, r0, r1).reshape(-1))
        part = F.to_ints(store.table_part("t", layout, 37 * comm.rank, 37 * comm.rank + 90))
        value = E.to_ints(store.mle("t", layout, point))
        w0, w1 = writes[comm.rank], writes[comm.rank + 1]
        store.write("s", size, 20 + w0, F.array(list(range(w0 + 1, w1 + 1))))
        written = F.to_ints(store.whole("s"))
        return got, whole, (r0, r1, rows), part, value, written

    rng_rows = [rng.randrange(17) for _ in range(2 * workers)]
    for rank, (got, whole, (r0, r1, rows), part, value, written) in enumerate(
        run_workers(workers, work)
    ):
        a, b = wanted[rank]
        assert got == values[a:b]
        assert whole == values
        assert rows == table[r0 * width : r1 * width]
        assert part == table[37 * rank : 37 * rank + 90]
        assert [int(x) for x in value] == want_mle
        assert written == [0] * 20 + list(range(1, 8)) + [0] * (size - 27)


def test_spread_keeps_an_even_share_and_replicated_tensors_need_no_exchange():
    F = get_field("m31")
    values = F.array(list(range(10)))

    def work(comm):
        store = TensorStore.of(F, {"x": values}, comm)
        store.put("r", F.array([5, 6, 7]))
        held = store.held("x")
        return held, F.to_ints(store.local("x")), F.to_ints(store.fetch("r", 1, 3))

    for rank, (held, local, r) in enumerate(run_workers(3, work)):
        assert held == range(rank * 10 // 3, (rank + 1) * 10 // 3)
        assert local == list(held)
        assert r == [6, 7]


@pytest.mark.parametrize("replicated", [True, False])
def test_rows_past_the_real_ones_are_padding(replicated):
    """A shard of padded instances (rows 13..16 of an 11-row tensor, a rank past the real
    instances) reads zeros and fetches nothing, whether the tensor is whole or split."""
    F = get_field("m31")
    layout = TableLayout((11, 2))
    values = F.array(list(range(1, 23)))

    def work(comm):
        store = TensorStore(F, comm)
        if replicated:
            store.put("t", values)
        else:
            mine = even_share(22, comm)
            store.share("t", 22, mine.start, values[mine.start : mine.stop])
        lo, hi = [(13, 16), (9, 12)][comm.rank]
        return F.to_ints(store.rows("t", layout, lo, hi).reshape(-1))

    past, edge = run_workers(2, work)
    assert past == [0] * 6
    assert edge == [19, 20, 21, 22, 0, 0]


def test_even_share_covers_every_element_once():
    class Comm:
        def __init__(self, rank, size):
            self.rank, self.size = rank, size

    for size in (0, 1, 7, 64):
        for ranks in (1, 2, 3, 5):
            got = [i for q in range(ranks) for i in even_share(size, Comm(q, ranks))]
            assert got == list(range(size))


def test_a_range_not_held_is_refused():
    F = get_field("m31")
    store = TensorStore(F)
    store.put("r", F.array([1, 2, 3]))
    with pytest.raises(ValueError, match="not held"):
        store.fetch("r", 2, 5)
