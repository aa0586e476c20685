"""Ligero tensor-code PCS: codes vs slow references, Merkle multi-openings, completeness and
rejection of tampered openings, over m31 and bn254."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from helpers import run_workers

from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field, mle_evaluate
from zkcc.pcs import codes
from zkcc.pcs.base import PcsClaim
from zkcc.pcs.ligero import LigeroPCS, query_indices
from zkcc.pcs.ligero_params import (
    ENCODE_SLACK,
    RATE_LOG,
    SMALL_TABLE_LOG,
    Shape,
    choose_shape,
    encoded_symbols,
    group_key,
    hiding_pad,
    in_code,
    num_queries,
    num_tests,
    opening_groups,
    opens_directly,
    query_log2_error,
    table_bytes,
    table_shapes,
    vector_bytes,
)
from zkcc.pcs.merkle_tree import MerkleTree, hash_leaves, verify_multi
from zkcc.runtime.randomness import Randomness
from zkcc.transcript import Transcript

FIELDS = ["m31", "bn254"]


def _rand(F, rng, shape):
    return F.array(rng.integers(0, 2**62, shape, dtype=np.int64))


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("k", [0, 1, 2, 4])
@pytest.mark.parametrize("rate_log", [1, 2])
def test_encode_matches_reference(fname, k, rate_log):
    F = get_field(fname)
    msg = _rand(F, np.random.default_rng(k), (1 << k, 2))
    enc = codes.encode(F, msg, rate_log)
    for b in range(2):
        ref = codes.encode_reference(F, [int(v) for v in msg[:, b]], rate_log)
        assert [int(v) for v in enc[:, b]] == ref


@pytest.mark.parametrize(
    "fname,B,k,rate_log",
    [("m31", 64, 8, 2), ("m31", 5, 11, 1), ("m31", 37, 6, 3), ("bn254", 6, 5, 2)],
)
def test_fast_encoder_matches_vectorised_twin(fname, B, k, rate_log):
    """Blocked/threaded m31 encoder and lazy bn254 encoder vs the plain radix-2 levels."""
    F = get_field(fname)
    M = _rand(F, np.random.default_rng(B), (B, 1 << k))
    want = codes._encode_generic(F, np.ascontiguousarray(M.T), rate_log)
    got = codes.encode_rows(F, M, rate_log)
    assert got.shape == want.shape
    assert [int(v) for v in got.reshape(-1)] == [int(v) for v in want.reshape(-1)]


def _counted_forks(monkeypatch) -> list:
    """Every process the bn254 encoder forks from here on, whatever its amount of work."""
    forks, real = [], codes.fork_or_inline

    def counted(fn):
        forks.append(fn)
        return real(fn)

    monkeypatch.setattr(codes, "fork_or_inline", counted)
    monkeypatch.setattr(codes, "FORK_MIN_BUTTERFLIES", 1)
    return forks


@pytest.mark.parametrize("B,workers", [(5, 3), (4, 2), (2, 4)])
def test_bn254_encoder_split_over_processes(monkeypatch, B, workers):
    """The bn254 encoder's messages split over forked processes (codes.encode, `workers`):
    every part a child's but the first, each codeword the slow reference's."""
    F = get_field("bn254")
    M = _rand(F, np.random.default_rng(B), (B, 1 << 4))
    forks = _counted_forks(monkeypatch)
    got = codes.encode_rows(F, M, 1, workers)
    assert len(forks) == min(B, workers) - 1
    assert got.shape == (32, B)
    for b in range(B):
        assert [int(v) for v in got[:, b]] == codes.encode_reference(F, [int(v) for v in M[b]], 1)
    monkeypatch.setattr(codes, "FORK_MIN_BUTTERFLIES", 1 << 40)  # too little work: no fork
    assert np.array_equal(codes.encode_rows(F, M, 1, workers), got)
    assert len(forks) == min(B, workers) - 1


def test_bn254_encoder_without_fork_encodes_here(monkeypatch):
    """A process that cannot fork (EAGAIN at a process limit) encodes every part itself."""
    import os

    F = get_field("bn254")
    M = _rand(F, np.random.default_rng(9), (3, 1 << 3))
    want = codes.encode_rows(F, M, 1)
    forks = _counted_forks(monkeypatch)

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert np.array_equal(codes.encode_rows(F, M, 1, 3), want)
    assert len(forks) == 2


def test_bn254_commitment_is_the_same_forked_or_not(monkeypatch):
    """A single-process commit splits the bn254 encoding over forked processes; the
    commitment (its Merkle root) is the one a commit that does not fork makes."""
    from zkcc.pcs import ligero

    F = get_field("bn254")
    table = _rand(F, np.random.default_rng(3), 1 << 12)
    forks = _counted_forks(monkeypatch)
    monkeypatch.setattr(ligero, "fork_workers", lambda: 2)
    forked, _ = LigeroPCS(hiding=True).commit(F, table, rng=_coins("t"))
    assert forks
    monkeypatch.setattr(ligero, "fork_workers", lambda: 1)
    count = len(forks)
    inline, _ = LigeroPCS(hiding=True).commit(F, table, rng=_coins("t"))
    assert len(forks) == count
    assert forked == inline


def test_circle_generator_order():
    x, y = codes.M31_CIRCLE_GEN
    p = (1 << 31) - 1
    assert (x * x + y * y) % p == 1
    assert codes._cpow(codes.M31_CIRCLE_GEN, 1 << 30) == (p - 1, 0)


@pytest.mark.parametrize("fname", FIELDS)
def test_code_distance_small(fname):
    """Every nonzero message of a small code has weight >= N - n (checked on random ones)."""
    F = get_field(fname)
    rng = np.random.default_rng(1)
    msg = F.zeros((8, 50))
    for b in range(50):  # sparse messages: 1-3 nonzero coefficients
        for i in rng.choice(8, size=1 + b % 3, replace=False):
            msg[i, b] = F.array(int(rng.integers(1, 1000)))
    enc = codes.encode(F, msg, 2)
    weights = (enc != 0).sum(axis=0)
    assert int(weights.min()) >= 32 - 8


def test_params():
    assert num_queries(14, 2, 100) == 148
    assert num_queries(6, 2, 100) == 105
    # the hypergeometric bound, checked exactly on a small code
    N, C = 64, 16
    bad = (N - C - 1) // 2 + 1
    t = num_queries(4, 2, 20)
    miss = [math.comb(N - bad, q) / math.comb(N, q) for q in (t - 1, t)]
    assert miss[0] > 2.0**-20 >= miss[1]
    assert opens_directly(get_field("m31"), choose_shape(get_field("m31"), 12), 1)
    assert not opens_directly(get_field("m31"), choose_shape(get_field("m31"), 16), 1)
    # QM31: log2 |E| ~ 124, so one test covers N = 2^16 at 104 bits, N = 2^30 needs two
    assert num_tests(get_field("m31"), 16, 104) == 1
    assert num_tests(get_field("m31"), 30, 104) == 2
    assert num_tests(get_field("bn254"), 16, 100) == 1
    s = choose_shape(get_field("m31"), 24)
    assert s.row_log + s.col_log == 24


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("m", [0, 5, 12, 20])
def test_hiding_params(fname, m):
    """Hiding shapes: pad > t (t opened symbols of a row are uniform), pad <= C, the query
    count holds the error for the distance lowered by the padding, small tables are padded."""
    F = get_field(fname)
    s = choose_shape(F, m, hiding=True)
    assert s.queries <= s.pad - 1 and s.pad <= s.cols and s.pad & (s.pad - 1) == 0
    assert s.m == max(m, s.col_log) and s.row_log + s.col_log == s.m
    assert query_log2_error(s.col_log, s.rate_log, s.queries, s.pad) <= -104
    assert query_log2_error(s.col_log, s.rate_log, s.queries - 1, s.pad) > -104
    assert hiding_pad(s.col_log, s.rate_log, 104) == (s.pad, s.queries)
    assert not opens_directly(F, s, 1)
    # the padding costs distance: fewer bad columns, so at least as many queries as plain
    assert s.queries >= num_queries(s.col_log, s.rate_log, 104)


def test_merkle_multi_open():
    rng = np.random.default_rng(2)
    leaves = rng.integers(0, 256, (64, 40), dtype=np.uint8)
    t = MerkleTree(b"p", leaves)
    idx = [0, 1, 5, 17, 63]
    proof = t.open(idx)
    verify_multi(t.root, 6, b"p", idx, leaves[idx], proof)
    bad = bytearray(proof)
    bad[3] ^= 1
    with pytest.raises(ProofRejected):
        verify_multi(t.root, 6, b"p", idx, leaves[idx], bytes(bad))
    with pytest.raises(FormatError):
        verify_multi(t.root, 6, b"p", idx, leaves[idx], proof + b"\x00" * 32)
    other = leaves[idx].copy()
    other[2, 0] ^= 1
    with pytest.raises(ProofRejected):
        verify_multi(t.root, 6, b"p", idx, other, proof)


def test_query_indices_distinct():
    s = choose_shape(get_field("m31"), 8)
    idx = query_indices(Transcript(b"q"), s)
    assert len(idx) == s.queries and idx == sorted(set(idx)) and idx[-1] < s.code_len


def test_hash_leaves_threaded():
    """Large leaves are hashed on the thread pool; the order and values are unchanged."""
    import hashlib

    leaves = np.random.default_rng(3).integers(0, 256, (128, 2048), dtype=np.uint8)
    want = [hashlib.sha256(b"\x00p" + leaf.tobytes()).digest() for leaf in leaves]
    assert hash_leaves(b"p", leaves) == want


def _setup(fname, sizes=(14, 14, 5, 0), seed=0, hiding=True, pick=None):
    """Tables, two claims on each (plus one on t1 at t0's first point), or the claims at
    `pick`; each table committed for the claims it gets."""
    F = get_field(fname)
    E = F.ext
    rng = np.random.default_rng(seed)
    pcs = LigeroPCS(hiding=hiding)
    tabs = {f"t{i}": _rand(F, rng, 1 << m) for i, m in enumerate(sizes)}
    claims = []
    for n, t in tabs.items():
        m = t.shape[0].bit_length() - 1
        for j in range(2):
            pt = _rand(F, rng, (E.degree, m))
            point = pt if j else [pt[:, i] for i in range(m)]  # both point forms
            claims.append(PcsClaim(n, point, mle_evaluate(F, t, pt)))
    # a claim on t1 at t0's point: same z_lo across tables
    claims.append(PcsClaim("t1", claims[0].point, mle_evaluate(F, tabs["t1"], claims[0].point)))
    if pick is not None:
        claims = [claims[i] for i in pick]
    coms, states = {}, {}
    for n, t in tabs.items():
        c, states[n] = pcs.commit(F, t, rng=_coins(n))
        coms[n] = (c, t.shape[0].bit_length() - 1)
    return F, pcs, tabs, coms, states, claims


def _roundtrip(tree):
    _, t = decode(encode(b"TEST", 1, tree), b"TEST", 1, "test")
    return t


def _verify(F, pcs, coms, claims, tree):
    pcs.verify(F, coms, claims, Schema(_roundtrip(tree), "opening"), Transcript(b"pcs-test"))


def _coins(label: str):
    return Randomness(11).source(label)


def _open(F, pcs, states, claims):
    return pcs.open(F, states, claims, Transcript(b"pcs-test"))


MODES = [pytest.param(True, id="hiding"), pytest.param(False, id="plain")]


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_complete_batched(fname, hiding):
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=hiding)
    tree = _open(F, pcs, states, claims)
    _verify(F, pcs, coms, claims, tree)
    # a hiding opening pads the tiny tables (2^0, 2^5) to one shape, one group, sends no table
    # and has a mask matrix per group; a plain one sends the tiny tables as they are
    direct = ["direct" in g for g in tree["groups"]]
    assert direct == ([False] * 2 if hiding else [True, True, False])
    assert all(("mu" in g) == hiding for g in tree["groups"] if "direct" not in g)


@pytest.mark.parametrize("chunk_bytes", [1, 1 << 12, 1 << 30])
def test_spilled_columns_give_the_same_commitment_and_opening(monkeypatch, tmp_path, chunk_bytes):
    """Encoded rows written to a file run by run (one row per run, a few rows, all of them),
    hashed and opened block by block (one column per block, a few, one): the same root and
    the same opening bytes as the columns kept in memory in one piece."""
    from zkcc.pcs import split
    from zkcc.runtime import memory
    from zkcc.runtime.report import Reporter

    F, pcs, tabs, coms, states, claims = _setup("m31", sizes=(14, 14))
    monkeypatch.setattr(memory, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(split, "ROUND_BYTES", chunk_bytes)
    report = Reporter(quiet=True)
    spilled = {}
    for n, t in tabs.items():
        store = lambda F_, rows, cols: memory.SpillColumns(F_, rows, cols, str(tmp_path), report)  # noqa: E731
        c, spilled[n] = pcs.commit(F, t, store, rng=_coins(n))
        assert c == coms[n][0]
    big = spilled["t0"].com.U
    s = spilled["t0"].shape
    runs = -(-(s.rows + s.mask_rows(F.ext.degree)) // split.round_rows(F, s.code_len))
    assert len(big._runs) == runs and len(list(big.blocks())) == -(-s.code_len // big._block)
    assert report.summary()["spilled_bytes"] > 0
    want = encode(b"TEST", 1, _open(F, pcs, states, claims))
    assert encode(b"TEST", 1, _open(F, pcs, spilled, claims)) == want
    del spilled, big
    assert list(tmp_path.iterdir()) == []  # the files go with the states


@pytest.mark.parametrize(
    ("fname", "hiding", "workers", "sizes"),
    [
        ("m31", True, 2, (14, 14, 5, 0)),
        ("m31", True, 3, (14, 14, 5, 0)),
        ("m31", False, 3, (14, 14, 5, 0)),
        ("bn254", True, 3, (7, 7, 0)),
        ("bn254", False, 2, (8, 8, 3)),
    ],
)
def test_split_commitment_and_opening_equal_one_process(
    monkeypatch, tmp_path, fname, hiding, workers, sizes
):
    """Workers in threads (tests/helpers.py ThreadComm) each encode a run of rows, exchange
    the encoded blocks in several all-to-all rounds, keep a run of columns (worker 1 in spill
    files, as a rank may decide alone under --mem-limit) and open by partial sums: every
    worker gets the one-process root and opening bytes, holding only its share."""
    from zkcc.pcs import split
    from zkcc.runtime import memory
    from zkcc.runtime.report import Reporter

    F, pcs, tabs, coms, states, claims = _setup(fname, sizes=sizes, hiding=hiding)
    want = encode(b"TEST", 1, _open(F, pcs, states, claims))
    monkeypatch.setattr(split, "ROUND_BYTES", 1 << 14)  # several rounds per commitment
    monkeypatch.setattr(memory, "CHUNK_BYTES", 1 << 12)
    report = Reporter(quiet=True)

    def spill(F_, rows, cols):
        return memory.SpillColumns(F_, rows, cols, str(tmp_path), report)

    def work(comm):
        roots, sts = {}, {}
        for n, t in tabs.items():
            store = spill if comm.rank == 1 and fname == "m31" else None
            roots[n], sts[n] = pcs.commit(F, t, store, rng=_coins(n), comm=comm)
        tree = pcs.open(F, sts, claims, Transcript(b"pcs-test"), comm=comm)
        return roots, encode(b"TEST", 1, tree), sts

    results = run_workers(workers, work)
    for roots, opening, _ in results:
        assert roots == {n: c for n, (c, _) in coms.items()}
        assert opening == want
    for n in tabs:
        shares = [sts[n] for _, _, sts in results]
        T = shares[0].com.rows
        assert [r for st in shares for r in st.part] == list(range(T))
        assert [j for st in shares for j in st.com.cols] == list(range(shares[0].shape.code_len))
        for st in shares:
            assert st.M.shape[0] == len(st.data) <= -(-T // workers)
    if fname == "m31":
        assert report.summary()["spilled_bytes"] > 0


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_complete_single_claim_and_same_point(fname, hiding):
    for pick in ([0], [0, -1]):
        F, pcs, tabs, coms, states, claims = _setup(fname, (8, 8), hiding=hiding, pick=pick)
        _verify(F, pcs, coms, claims, _open(F, pcs, states, claims))


@pytest.mark.parametrize("fname", FIELDS)
def test_a_hiding_commitment_is_opened_once(fname):
    """A second opening could reveal more than pad - 1 columns of a row (docs/zk.md). The
    first may have any number of claims: a commitment's mask rows do not depend on them."""
    F, pcs, tabs, coms, states, claims = _setup(fname, sizes=(8, 8))
    _open(F, pcs, states, claims)
    with pytest.raises(ValueError, match="opened once"):
        _open(F, pcs, states, claims)
    for few in (claims[:1], claims[:-1]):
        F, pcs, tabs, coms, states, claims = _setup(fname, sizes=(8, 8))
        _verify(F, pcs, coms, few, _open(F, pcs, states, few))
    F, pcs, tabs, coms, states, claims = _setup(fname, sizes=(8, 8), hiding=False)
    _open(F, pcs, states, claims)
    _verify(F, pcs, coms, claims, _open(F, pcs, states, claims))  # plain: nothing to hide


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("which", [0, 4])
@pytest.mark.parametrize("hiding", MODES)
def test_reject_different_value(fname, which, hiding):
    """The prover runs honestly on a false claim; the verifier rejects it."""
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=hiding)
    E = F.ext
    c = claims[which]
    claims[which] = PcsClaim(c.name, c.point, E.add(c.value, E.one()))
    with pytest.raises(ProofRejected):
        _verify(F, pcs, coms, claims, _open(F, pcs, states, claims))


def _tampered(tree, mutate):
    t = copy.deepcopy(tree)
    mutate(t)
    return t


def _flip(b: bytes, i: int) -> bytes:
    x = bytearray(b)
    x[i % len(x)] ^= 1
    return bytes(x)


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_reject_tampering(fname, hiding):
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=hiding)
    tree = _open(F, pcs, states, claims)
    g = -1  # the group of 2^14 tables
    assert tree["groups"][g]["sumcheck"]

    def path(t):
        t["groups"][g]["tables"][0]["path"] = _flip(t["groups"][g]["tables"][0]["path"], 40)

    def column(t):  # a wrong value in an opened column, still a canonical field element
        t["groups"][g]["tables"][1]["columns"] = _flip(t["groups"][g]["tables"][1]["columns"], 0)

    def swap_columns(t):  # columns of another table
        tb = t["groups"][g]["tables"]
        tb[0]["columns"], tb[1]["columns"] = tb[1]["columns"], tb[0]["columns"]

    def u(t):
        t["groups"][g]["u"] = _flip(t["groups"][g]["u"], 0)

    def tests(t):
        t["groups"][g]["tests"] = _flip(t["groups"][g]["tests"], 4)

    def sumcheck(t):
        t["groups"][g]["sumcheck"][0] = _flip(t["groups"][g]["sumcheck"][0], 0)

    def evals(t):
        t["groups"][g]["evals"] = _flip(t["groups"][g]["evals"], 0)

    def padding(t):  # the random part of the evaluation vector (hiding) or its last symbol
        t["groups"][g]["u"] = _flip(t["groups"][g]["u"], len(t["groups"][g]["u"]) - 8)

    mutations = [path, column, swap_columns, u, tests, sumcheck, padding]
    if not hiding:
        mutations.append(evals)
    else:

        def mask_sum(t):  # G, fixed before rho
            t["mask_sum"] = _flip(t["mask_sum"], 0)

        def sums(t):  # the first group's sum (the last one's is derived)
            t["sums"] = _flip(t["sums"], 0)

        def mu(t):
            t["groups"][g]["mu"] = _flip(t["groups"][g]["mu"], 0)

        def salt(t):
            t["groups"][g]["tables"][0]["salts"] = _flip(t["groups"][g]["tables"][0]["salts"], 5)

        def mask_column(t):  # the last mask row's symbol in the last opened column
            tb = t["groups"][g]["tables"][0]
            tb["columns"] = _flip(tb["columns"], len(tb["columns"]) - 4)

        mutations += [mask_sum, sums, mu, salt, mask_column]
    for mutate in mutations:
        with pytest.raises(ProofRejected):
            _verify(F, pcs, coms, claims, _tampered(tree, mutate))


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_hiding_groups_share_a_code_across_row_counts(fname, hiding):
    """Hiding: the tables of one code (columns, rate, padding, queries, tests) form one group
    whatever their rows, sharing its test and evaluation vectors (ligero_params.
    opening_groups); plain: one group per shape. The group of two 2^9 tables and a 2^5 one
    (padded to one row) opens and verifies, and an altered data or mask symbol of any of its
    tables is refused."""
    F, pcs, tabs, coms, states, claims = _setup(fname, sizes=(9, 9, 5), hiding=hiding)
    sizes = {n: m for n, (_, m) in coms.items()}
    groups = opening_groups(sizes, {m: choose_shape(F, m, hiding=hiding) for m in (9, 5)})
    shapes = [choose_shape(F, m, hiding=hiding) for m in (9, 5)]
    if hiding:
        assert group_key(shapes[0]) == group_key(shapes[1]) and shapes[0] != shapes[1]
        assert [(g.tables, [s.rows for s in g.shapes]) for g in groups] == [
            (["t0", "t1", "t2"], [shapes[0].rows, shapes[0].rows, 1])
        ]
    else:
        assert [g.tables for g in groups] == [["t2"], ["t0", "t1"]]
    tree = _open(F, pcs, states, claims)
    _verify(F, pcs, coms, claims, tree)
    assert len(tree["groups"]) == len(groups)
    if not hiding:
        return
    size = F.byte_len
    for t, op in enumerate(tree["groups"][0]["tables"]):
        for at in (0, len(op["columns"]) - size):  # a data row's symbol, a mask row's

            def alter(tr, t=t, at=at):
                tb = tr["groups"][0]["tables"][t]
                tb["columns"] = _flip(tb["columns"], at)

            with pytest.raises(ProofRejected):
                _verify(F, pcs, coms, claims, _tampered(tree, alter))


def _estimate(F, shapes: dict[int, Shape], logs: list[int]) -> float:
    """An opening's estimated bytes: each code's vectors once, each table's columns."""
    codes = {group_key(s): s for s in shapes.values()}
    return sum(vector_bytes(F, s) for s in codes.values()) + sum(
        table_bytes(F, shapes[m]) for m in logs
    )


@pytest.mark.parametrize("fname", FIELDS)
def test_table_shapes_are_chosen_together(fname):
    """table_shapes never estimates more than each table alone, merges codes where that
    pays (m31: two 2^17 tables and a 2^20 one, as cnn_digits commits), keeps a small bn254 table
    out of a 2^24 table's long rows (its encoding would grow past ENCODE_SLACK), keeps rates
    below 1/4 to small tables, and leaves plain tables their own shapes."""
    F = get_field(fname)
    rng = np.random.default_rng(4)
    cases = [[17, 17, 20], [12, 24], [9, 12]]
    cases += [sorted(rng.integers(0, 22, rng.integers(1, 6)).tolist()) for _ in range(12)]
    for logs in cases:
        own = {m: choose_shape(F, m, hiding=True) for m in logs}
        joint = table_shapes(F, logs, hiding=True)
        assert sorted(joint) == sorted(own)
        assert _estimate(F, joint, logs) <= _estimate(F, own, logs)
        for m, s in joint.items():
            assert s == own[m] or s == in_code(s, m)  # a shape of m, in some candidate code
            assert (s.rows << s.col_log) >= 1 << m
            assert s.rate_log == RATE_LOG or m <= SMALL_TABLE_LOG[fname]
            grows = encoded_symbols(F, s) - encoded_symbols(F, own[m])
            assert grows <= ENCODE_SLACK[fname]
        assert table_shapes(F, logs, hiding=False) == {m: choose_shape(F, m) for m in logs}
    if fname == "m31":  # bn254's encoding would grow past ENCODE_SLACK
        joint = table_shapes(F, [17, 17, 20], hiding=True)
        assert group_key(joint[17]) == group_key(joint[20])
        assert group_key(choose_shape(F, 17, hiding=True)) != group_key(joint[20])
    else:
        assert table_shapes(F, [12, 24], hiding=True)[12] == choose_shape(F, 12, hiding=True)


@pytest.mark.parametrize("fname", FIELDS)
def test_plan_shapes_open_in_one_group(fname):
    """With the sizes of all its tables (as a plan's PCS has them), a 2^9 and a 2^12 table,
    whose own codes differ, are committed in one code and opened as one group; the verifier,
    told the same sizes, accepts, and refuses an altered column of either table. Told no
    sizes, it expects each table's own shape and refuses the opening."""
    F, _, tabs, _, _, claims = _setup(fname, sizes=(9, 9, 12), hiding=True)
    own = [choose_shape(F, m, hiding=True) for m in (9, 12)]
    assert group_key(own[0]) != group_key(own[1])
    pcs = LigeroPCS(hiding=True, table_logs=[9, 9, 12])
    coms, states = {}, {}
    for n, t in tabs.items():
        c, states[n] = pcs.commit(F, t, rng=_coins(n))
        coms[n] = (c, t.shape[0].bit_length() - 1)
    tree = _open(F, pcs, states, claims)
    assert len(tree["groups"]) == 1 and len(tree["groups"][0]["tables"]) == 3
    _verify(F, pcs, coms, claims, tree)
    for t in (0, 2):

        def alter(tr, t=t):
            tb = tr["groups"][0]["tables"][t]
            tb["columns"] = _flip(tb["columns"], 0)

        with pytest.raises(ProofRejected):
            _verify(F, pcs, coms, claims, _tampered(tree, alter))
    with pytest.raises((ProofRejected, FormatError)):
        _verify(F, LigeroPCS(hiding=True), coms, claims, tree)


@pytest.mark.parametrize("fname", FIELDS)
def test_direct_group(fname):
    """Without hiding, tiny tables are sent as they are; altered or malformed ones are caught."""
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=False)
    tree = _open(F, pcs, states, claims)
    g = 1  # the group of the 2^5 table
    assert set(tree["groups"][g]) == {"direct"}

    def value(t):  # another table: its commitment differs
        t["groups"][g]["direct"][0] = _flip(t["groups"][g]["direct"][0], 0)

    with pytest.raises(ProofRejected):
        _verify(F, pcs, coms, claims, _tampered(tree, value))

    def short(t):
        t["groups"][g]["direct"][0] = t["groups"][g]["direct"][0][:-1]

    def not_reduced(t):
        t["groups"][g]["direct"][0] = b"\xff" * len(t["groups"][g]["direct"][0])

    def missing(t):
        t["groups"][g]["direct"].pop()

    for mutate in (short, not_reduced, missing):
        with pytest.raises(FormatError):
            _verify(F, pcs, coms, claims, _tampered(tree, mutate))


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_reject_commitment_of_other_tensor(fname, hiding):
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=hiding)
    tree = _open(F, pcs, states, claims)
    swapped = dict(coms)
    swapped["t0"] = coms["t1"]
    with pytest.raises(ProofRejected):
        _verify(F, pcs, swapped, claims, tree)
    # an honest opening of another tensor with the same claims
    F2, _, _, _, states2, _ = _setup(fname, seed=7, hiding=hiding)
    with pytest.raises(ProofRejected):
        _verify(F, pcs, coms, claims, _open(F, pcs, states2, claims))


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("hiding", MODES)
def test_malformed_is_format_error(fname, hiding):
    F, pcs, tabs, coms, states, claims = _setup(fname, hiding=hiding)
    tree = _open(F, pcs, states, claims)

    def truncate(t):
        t["groups"][-1]["tables"][0]["columns"] = t["groups"][-1]["tables"][0]["columns"][:-1]

    def extra_path(t):
        t["groups"][-1]["tables"][0]["path"] += b"\x00" * 32

    def extra_group(t):
        t["groups"].append(t["groups"][0])

    def extra_key(t):
        t["groups"][0]["x"] = 1

    def drop_round(t):
        t["groups"][-1]["sumcheck"].pop()

    def not_reduced(t):
        t["groups"][-1]["u"] = b"\xff" * len(t["groups"][-1]["u"])

    for mutate in (truncate, extra_path, extra_group, extra_key, drop_round, not_reduced):
        with pytest.raises(FormatError):
            _verify(F, pcs, coms, claims, _tampered(tree, mutate))
    bad = dict(coms)
    bad["t0"] = (coms["t0"][0][:31], coms["t0"][1])
    with pytest.raises(FormatError):
        _verify(F, pcs, bad, claims, tree)


def test_large_m31():
    F, pcs, tabs, coms, states, claims = _setup("m31", sizes=(18, 18, 16))
    _verify(F, pcs, coms, claims, _open(F, pcs, states, claims))


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("hiding", [True, False])
def test_small_tables_may_take_a_lower_rate_and_keep_the_security(name, hiding):
    """Up to 2^SMALL_TABLE_LOG[field] entries the shape may use rate 1/8 or 1/16 (fewer queried
    columns); every chosen shape still reaches the security level, is never larger than the
    best rate-1/4 shape, and large tables keep rate 1/4."""
    from zkcc.pcs.ligero_params import (
        RATE_LOG,
        SECURITY_BITS,
        SMALL_TABLE_LOG,
        best_shape,
        group_bytes,
    )

    F = get_field(name)
    lowered = False
    small = SMALL_TABLE_LOG[name]
    for m in (0, 3, 8, small, small + 1, 20):
        s = choose_shape(F, m, hiding=hiding)
        assert query_log2_error(s.col_log, s.rate_log, s.queries, s.pad) <= -SECURITY_BITS
        assert s.tests == num_tests(F, s.code_log, SECURITY_BITS)
        if m > small:
            assert s.rate_log == RATE_LOG
            continue
        lowered |= s.rate_log > RATE_LOG
        quarter = best_shape(F, m, RATE_LOG, SECURITY_BITS, hiding)[1]  # rate 1/4 only
        assert group_bytes(F, s, 1) <= group_bytes(F, quarter, 1)
    assert lowered or not hiding
