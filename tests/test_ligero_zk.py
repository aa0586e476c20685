"""Zero knowledge of the hiding Ligero PCS (zkcc.pcs.ligero), over m31 and bn254.

* The code property behind hiding: any pad - 1 symbols of the padding part of a codeword are
  uniform (exact rank checks on small codes; random subsets of the production shape).
* An honest-verifier simulator: from the claims and the table sizes alone (no tables) it
  outputs commitments and an opening that `LigeroPCS.verify` accepts, programming the random
  oracle (a transcript whose challenges are fixed in advance), with the same structure and
  byte lengths as a real opening.
* No table value appears in the opening's bytes; the structure does not depend on the
  tables; a seed reproduces the bytes, other seeds change them.
"""

from __future__ import annotations

import collections
import copy
import itertools
import zlib
from types import SimpleNamespace

import numpy as np
import pytest

from zkcc.encoding import Schema, decode, encode
from zkcc.errors import ProofRejected
from zkcc.field import eq_table, get_field, mle_evaluate
from zkcc.field.linalg import row_combine
from zkcc.pcs import codes
from zkcc.pcs.base import PcsClaim, Relation
from zkcc.pcs.ligero import (
    LigeroPCS,
    _Batch,
    _betas,
    _Group,
    _same_lo,
    _test_coefficients,
    _u_weights,
    encode_messages,
    leaf_bytes,
    leaf_prefix,
    popcount_weights,
    query_indices,
    sumcheck_mask_weights,
)
from zkcc.pcs.ligero_params import SALT_BYTES, Shape, choose_shape
from zkcc.pcs.merkle import MerklePCS
from zkcc.pcs.merkle_tree import HASH_LEN, MerkleTree, hash_leaves
from zkcc.pcs.tensor_ops import sumcheck_prove
from zkcc.runtime.randomness import Randomness
from zkcc.transcript import Transcript

FIELDS = ["m31", "bn254"]


# ---- exact linear algebra mod p -------------------------------------------------------------
def rank_mod_p(rows: list[list[int]], p: int) -> int:
    """Rank over F_p of a small matrix of Python ints (Gaussian elimination)."""
    m = [[v % p for v in r] for r in rows]
    rk = 0
    for c in range(len(m[0]) if m else 0):
        piv = next((i for i in range(rk, len(m)) if m[i][c]), None)
        if piv is None:
            continue
        m[rk], m[piv] = m[piv], m[rk]
        inv = pow(m[rk][c], -1, p)
        for i in range(rk + 1, len(m)):
            if m[i][c]:
                f = m[i][c] * inv % p
                m[i] = [(a - f * b) % p for a, b in zip(m[i], m[rk], strict=True)]
        rk += 1
    return rk


def rank_m31_numpy(A: np.ndarray) -> int:
    """Rank over m31 of a (rows, cols) matrix of canonical values, vectorised."""
    p = (1 << 31) - 1
    M = np.asarray(A, dtype=np.int64) % p
    rk = 0
    for c in range(M.shape[1]):
        nz = np.nonzero(M[rk:, c])[0]
        if nz.size == 0:
            continue
        piv = rk + int(nz[0])
        M[[rk, piv]] = M[[piv, rk]]
        inv = pow(int(M[rk, c]), -1, p)
        M[rk] = M[rk] * inv % p
        f = M[rk + 1 :, c].copy()
        M[rk + 1 :] = (M[rk + 1 :] - (f[:, None] * M[rk][None, :]) % p) % p
        rk += 1
        if rk == M.shape[0]:
            break
    return rk


def unit_codewords(F, C: int, indices: list[int]) -> list[list[int]]:
    """Rows: the reference codewords (N = 4C points) of the unit messages of length 2C with a
    1 at each of `indices`, encoded at rate 1/2 on the N-point domain as `encode_messages`
    does for a hiding shape (message zero-padded to 2C)."""
    out = []
    for i in indices:
        msg = [0] * (2 * C)
        msg[i] = 1
        out.append(codes.encode_reference(F, msg, 1))
    return out


def first_deficient_subset(G: list[list[int]], size: int, p: int) -> tuple[int, ...] | None:
    """The first set of `size` columns of G whose submatrix has rank < size, or None."""
    N = len(G[0])
    for S in itertools.combinations(range(N), size):
        if rank_mod_p([[row[j] for j in S] for row in G], p) < size:
            return S
    return None


# ---- 1. the code property behind hiding -------------------------------------------------------
@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("C,pad", [(4, 4), (8, 4), (8, 2)])
def test_padding_symbols_are_uniform_at_any_pad_minus_one_points(fname, C, pad):
    """G (pad x N): row i is the codeword of the unit message at index C + i (the padding
    symbol i). EVERY set of pad - 1 distinct columns has full rank pad - 1, so the padding's
    contribution to any t <= pad - 1 opened symbols of a row is uniform, whatever the data."""
    F = get_field(fname)
    G = unit_codewords(F, C, [C + i for i in range(pad)])
    assert len(G[0]) == 4 * C
    assert first_deficient_subset(G, pad - 1, F.p) is None


@pytest.mark.parametrize("fname", FIELDS)
def test_misplaced_padding_does_not_hide(fname):
    """Negative control: the same check catches a padding that leaks. With the random symbols
    at the even indices C + 2i instead, every basis function is even (RS: x^(C+2i), equal at
    w^j and -w^j = w^(j + N/2)) or a function of x alone (circle code: no y factor, equal at a
    point and its conjugate D[j + N/2]). Columns j and j + N/2 of the padding part are then
    equal, so two opened symbols of a row differ by exactly the difference of the data's
    symbols: a linear function of the data is revealed with t = 2 <= pad - 1."""
    F = get_field(fname)
    C, pad = 8, 4
    G = unit_codewords(F, C, [C + 2 * i for i in range(pad)])
    N = len(G[0])
    assert all(row[j] == row[j + N // 2] for row in G for j in range(N // 2))
    bad = first_deficient_subset(G, pad - 1, F.p)
    assert bad is not None and len(bad) == pad - 1


def test_circle_code_bound_is_pad_minus_one():
    """For the circle code, pad - 1 is tight (why `hiding_pad` needs t <= pad - 1, not pad):
    some pad columns of the padding part are dependent (its span has nonzero elements with pad
    zeros on the domain). RS is MDS: every pad columns are independent (a Vandermonde)."""
    C, pad = 8, 4
    m31 = get_field("m31")
    assert first_deficient_subset(unit_codewords(m31, C, range(C, C + pad)), pad, m31.p)
    bn = get_field("bn254")
    G = unit_codewords(bn, 4, range(4, 8))
    assert first_deficient_subset(G, pad, bn.p) is None


@pytest.mark.parametrize("fname", FIELDS)
def test_every_hiding_shape_queries_fewer_than_pad(fname):
    """choose_shape(hiding=True) for every table size: pad <= C and t <= pad - 1 (the bound
    the checks above make sufficient), and never a direct opening."""
    from zkcc.pcs.ligero_params import opens_directly

    F = get_field(fname)
    for m in range(0, 25):
        s = choose_shape(F, m, hiding=True)
        assert 0 < s.pad <= s.cols and s.queries <= s.pad - 1 and s.m >= m
        assert not opens_directly(F, s, 1)


@pytest.mark.parametrize("m", [8, 14])
def test_padding_uniform_on_production_shape_m31(m):
    """Production hiding shapes of the circle code (m = 8: C = pad = 256, N = 1024, t = 219;
    m = 14: C = 512, pad = 256, N = 2048, t = 182), with the fast encoder: random sets of t
    columns of the padding part have full rank t. (RS over bn254 is a Vandermonde: any pad
    columns are independent, checked exhaustively on small codes above.)"""
    F = get_field("m31")
    s = choose_shape(F, m, hiding=True)
    assert s.queries <= s.pad - 1
    units = F.zeros((s.pad, s.msg_len))
    for i in range(s.pad):
        units[i, s.cols + i] = 1
    G = encode_messages(F, s, units).T  # (pad, N)
    rng = np.random.default_rng(5)
    for _ in range(3):
        S = np.sort(rng.choice(s.code_len, size=s.queries, replace=False))
        assert rank_m31_numpy(G[:, S].T) == s.queries


# ---- the column sumcheck's masks ---------------------------------------------------------------
def mask_messages_matrix(n: int, weights: list[int], r: list[int]) -> np.ndarray:
    """The linear map from the masks (A, B) in F_p^(2 2^n) (m31's p) to what the verifier
    sees of their sumcheck: G = sum_x A[x] + w[x] B[x], then per round (top variable first,
    bound to r[j]) h(0), h(1), h(2) of sum_x A~(t, x) + w~(t, x) B~(t, x). Row i: the
    coefficients of output i. Plain integers, independent of zkcc's sumcheck."""
    p = (1 << 31) - 1
    C = 1 << n
    A = np.concatenate([np.eye(C, dtype=np.int64), np.zeros((C, C), np.int64)], axis=1)
    B = np.concatenate([np.zeros((C, C), np.int64), np.eye(C, dtype=np.int64)], axis=1)
    w = np.array(weights, dtype=np.int64)

    def total(a, b, wt):
        return (a.sum(axis=0) + (wt[:, None] * b % p).sum(axis=0)) % p

    rows = [total(A, B, w)]
    for rj in r:
        h = A.shape[0] // 2
        parts = [(A[:h], B[:h], w[:h]), (A[h:], B[h:], w[h:])]
        two = [(2 * hi - lo) % p for lo, hi in zip(parts[0], parts[1], strict=True)]
        rows += [total(*parts[0]), total(*parts[1]), total(*two)]
        A, B, w = ((lo * (1 - rj) + hi * rj) % p for lo, hi in zip(*parts, strict=True))
    return np.array(rows)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 9])
def test_sumcheck_masks_span_every_message(n):
    """Zero knowledge of the hiding opening's column sumcheck: its masks A (weight 1) and B
    (weight 1 + popcount, `popcount_weights`) map onto every (G, messages) the verifier could
    accept (1 + 3n values under n sum constraints: rank 2n + 1) at random challenges. The
    minor's determinant is then a nonzero polynomial in the challenges, so at uniform
    extension challenges the rank drops with probability O(n / |E|); and rho (A + s B)'s
    messages, added to the data's, make them uniform given the group's sum. Negative
    control: B weighted by 1, like A, spans only n + 1."""
    F = get_field("m31")
    rng = np.random.default_rng(n)
    r = [int(x) for x in rng.integers(0, F.p, n)]
    weights = [int(x) for x in popcount_weights(F, n)]
    assert rank_m31_numpy(mask_messages_matrix(n, weights, r)) == 2 * n + 1
    assert rank_m31_numpy(mask_messages_matrix(n, [1] * (1 << n), r)) == n + 1


# ---- the programmable random oracle ---------------------------------------------------------
class ProgrammedTranscript(Transcript):
    """A random oracle the simulator programs: absorbs are ignored and the n-th challenge of a
    label is drawn from a numpy Generator seeded with (seed, label, n). Both the simulator and
    the verifier use one, so the simulator knows every challenge before it writes a message."""

    def __init__(self, seed: int) -> None:
        super().__init__(b"programmed")
        self.seed = seed
        self.calls: collections.Counter[str] = collections.Counter()

    def absorb(self, label: str, data: bytes) -> None:
        pass

    def fork(self) -> ProgrammedTranscript:
        """A copy at the same point: it draws the challenges that will come next."""
        out = ProgrammedTranscript(self.seed)
        out.calls = self.calls.copy()
        return out

    def challenge_bytes(self, label: str, n: int) -> bytes:
        i = self.calls[label]
        self.calls[label] += 1
        return np.random.default_rng([self.seed, zlib.crc32(label.encode()), i]).bytes(n)

    def challenge_exts(self, label: str, F, n: int):
        E = F.ext
        raw = self.challenge_bytes(label, n * E.degree * F.wide_len)
        return F.from_wide_bytes(raw, n * E.degree).reshape(n, E.degree).T.copy()

    def challenge_ext(self, label: str, F):
        return self.challenge_exts(label, F, 1)[:, 0].copy()


def rand_base(F, rng: np.random.Generator, shape) -> np.ndarray:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape))
    if n == 0:
        return F.zeros(shape)
    return F.from_wide_bytes(rng.bytes(n * F.wide_len), n).reshape(shape)


def rand_ext(F, rng: np.random.Generator, shape) -> np.ndarray:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return rand_base(F, rng, (F.ext.degree, *shape))


# ---- 2. the honest-verifier simulator ----------------------------------------------------------
def point_of(chal: list) -> np.ndarray:
    """The sumcheck's point in mle order from its challenges in draw order (top bit first)."""
    return np.stack(chal[::-1], axis=1)


def after_sumcheck(F, g: _Group, tr: Transcript, beta, rho, r_lo, test) -> SimpleNamespace:
    """The group's challenges after its column sumcheck (zeta, the query set) and what the
    verifier's equations weigh with them: the data rows' betas and the mask rows' weights."""
    zeta = tr.challenge_ext("pcs/zeta", F)
    r_tab, r_mask = test
    claim_weights, weights = _u_weights(F, g, beta, rho, r_lo, zeta)
    return SimpleNamespace(
        r_lo=r_lo,
        zeta=zeta,
        idx=query_indices(tr, g.shape),
        r_tab=r_tab,
        r_mask=r_mask,
        claim_weights=claim_weights,
        betas=_betas(F, g, claim_weights),
        weights=weights,
    )


def draw_tests(F, groups: list[_Group], tr: Transcript) -> list[tuple]:
    """Every group's proximity challenge (r_tab, r_mask), drawn first as the protocol does."""
    d = F.ext.degree
    return [
        _test_coefficients(F, g, tr.challenge_exts("pcs/test", F, g.test_challenges(d)))
        for g in groups
    ]


def tables_part(F, coef, cols: list) -> np.ndarray:
    """sum_t coef[:, t, :R_t] . cols[t] for coef (d, G, max R_t) and opened columns (R_t, q)
    each: (d, q)."""
    acc = None
    for t, c in enumerate(cols):
        part = row_combine(F, coef[:, None, t, : len(c)], c)[:, 0]
        acc = part if acc is None else F.ext.add(acc, part)
    return acc


def solve_mask_columns(F, g: _Group, ch, w, u, cols: list, Zc: list) -> None:
    """Fill in the opened mask rows that the verifier's column equations determine, given the
    tables' opened data columns cols[t] (R, q) and the free mask rows of Zc[t] (S, q): table
    0's evaluation mask row X(0, Z_u) and its test rows; every other row is free. From the u
    equation
        Enc(u)[j] = sum_t beta_t^T U_t[j] + sum_t (rho X(t, A) + rho s(r) X(t, B)
                                                    + zeta X(t, Z_u))[j]
    and then the w_i equations
        Enc(w_i)[j] = sum_t (r_(i,t)^T U_t[j] + X(t, test i)[j]
                             + sum_b r_mask_t(i, b) Z_t[tests d + b][j])
    where X(t, row) is the extension row of table t whose d components are the consecutive
    base rows [row d, (row + 1) d) of Zc[t] (A, B, Z_u: rows tests, tests + 1, tests + 2)."""
    E = F.ext
    d, s, T = E.degree, g.shape, g.shape.tests
    vecs = np.concatenate([w, u[:, None, :]], axis=1).reshape(-1, s.msg_len)
    enc = encode_messages(F, s, vecs)[ch.idx].T.reshape(d, T + 1, len(ch.idx))

    def X(t: int, row: int) -> np.ndarray:
        return Zc[t][row * d : (row + 1) * d]

    rest = E.sub(enc[:, T], tables_part(F, ch.betas, cols))
    for t in range(len(g.tables)):
        for j in range(3):
            if (t, j) != (0, 2):
                rest = E.sub(rest, E.mul(ch.weights[:, j], X(t, T + j)))
    Zc[0][(T + 2) * d : (T + 3) * d] = E.mul(rest, E.inv(ch.weights[:, 2]))
    for i in range(T):
        rest = E.sub(enc[:, i], tables_part(F, ch.r_tab[:, i], cols))
        for t in range(len(g.tables)):
            rest = E.sub(rest, row_combine(F, ch.r_mask[t][:, i : i + 1], Zc[t][T * d :])[:, 0])
            if t:
                rest = E.sub(rest, X(t, i))
        Zc[0][i * d : (i + 1) * d] = rest


def simulated_commitment(F, s: Shape, idx: list[int], opened: np.ndarray, rng) -> tuple:
    """A root whose leaves at idx are the salted hashes of the opened columns (q, rows: a
    column's data symbols, then its mask symbols) and elsewhere salted hashes of random
    columns; and the opening of idx."""
    N, rows = s.code_len, opened.shape[1]
    salts = np.frombuffer(rng.bytes(N * SALT_BYTES), dtype=np.uint8).reshape(N, SALT_BYTES)
    leaves = rand_base(F, rng, (N, rows))
    leaves[idx] = opened
    tree = MerkleTree.from_leaf_hashes(hash_leaves(leaf_prefix(F, s), leaf_bytes(F, leaves, salts)))
    opening = {
        "columns": F.encode(np.ascontiguousarray(opened)),
        "path": tree.open(idx),
        "salts": salts[idx].tobytes(),
    }
    return tree.root, opening


def simulated_sumcheck(F, g: _Group, tr: Transcript, test, beta, rho, total, rng):
    """The honest column sumcheck on uniform made-up claim rows y_c and masks A, B, with one
    entry of A fitted so that the sum is `total`: (rounds, r_lo, its last claim, the
    challenges after it)."""
    E = F.ext
    s, k = g.shape, len(g.claims)
    C = s.cols
    weights_lo = E.zeros((k, C))
    for c, (_, pt, _) in enumerate(g.claims):
        weights_lo[:, c] = E.mul(eq_table(F, pt[:, : s.col_log]), beta[:, c])
    masks = E.mul(E.from_base(sumcheck_mask_weights(F, s.col_log)), rho)
    B = np.concatenate([weights_lo, masks], axis=1)
    Y = rand_ext(F, rng, (k + 2, C))
    gap = E.sub(total, E.sum(E.mul(Y, B)))
    Y[:, k, 0] = E.add(Y[:, k, 0], E.mul(gap, E.inv(rho)))
    rounds, pt_lo, evals = sumcheck_prove(F, tr, "pcs/sumcheck", Y, B)
    r_lo = np.stack(pt_lo, axis=1)
    ch = after_sumcheck(F, g, tr, beta, rho, r_lo, test)
    # the sumcheck's last claim: each row's value at r_lo times its weight's there
    at_r = np.concatenate([ch.claim_weights, ch.weights[:, :2]], axis=1)
    return rounds, r_lo, E.sum(E.mul(evals, at_r)), ch


def simulate_group(F, g: _Group, tr: Transcript, test, beta, rho, total, rng):
    """One group's table roots and opening from its sum `total` alone (steps as in
    zkcc.pcs.ligero): the column sumcheck (`simulated_sumcheck`; the masks' messages span
    every message the verifier could accept, `test_sumcheck_masks_span_every_message`, so
    they have the real distribution), none when the claims share z_lo; mu uniform; u
    uniform subject to <u[:C], eq(r_lo)> = final + zeta mu; w uniform; per table, the
    opened data columns and the free mask rows uniform, the rest solved; each table's root
    over its leaves."""
    E = F.ext
    d, s, T = E.degree, g.shape, g.shape.tests
    C, q = s.cols, s.queries
    if _same_lo(g):
        rounds, r_lo, final = [], g.claims[0][1][:, : s.col_log], total
        ch = after_sumcheck(F, g, tr, beta, rho, r_lo, test)
    else:
        rounds, r_lo, final, ch = simulated_sumcheck(F, g, tr, test, beta, rho, total, rng)
    mu = rand_ext(F, rng, ())
    u = rand_ext(F, rng, s.msg_len)
    eq_r = eq_table(F, r_lo)
    gap = E.sub(E.add(final, E.mul(ch.zeta, mu)), E.dot(u[:, :C], eq_r))
    u[:, 0] = E.add(u[:, 0], E.mul(gap, E.inv(eq_r[:, 0])))
    w = rand_ext(F, rng, (T, s.msg_len))
    cols = [rand_base(F, rng, (R, q)) for R in g.rows]
    Zc = [rand_base(F, rng, (s.mask_rows(d), q)) for _ in g.tables]
    solve_mask_columns(F, g, ch, w, u, cols, Zc)
    roots, openings = [], []
    for st, c, z in zip(g.shapes, cols, Zc, strict=True):
        root, op = simulated_commitment(F, st, ch.idx, np.concatenate([c, z]).T, rng)
        roots.append(root)
        openings.append(op)
    tree = {
        "tests": E.encode(w.reshape(d, -1)),
        "sumcheck": rounds,
        "mu": E.encode(mu[:, None]),
        "u": E.encode(u),
        "tables": openings,
    }
    return roots, tree


def simulate(
    F, sizes: dict[str, int], claims: list[PcsClaim], seed: int, sim_seed: int, relations=()
):
    """Commitments and an opening from the claims (hidden ones: their relations only) and the
    table sizes: the masks' sum G uniform, every group's sum but the last uniform, the last
    H + rho G minus the others (H from the relations' totals and the known values), then each
    group (`simulate_group`)."""
    E = F.ext
    pcs = LigeroPCS(hiding=True)
    rng = np.random.default_rng(sim_seed)
    tr = ProgrammedTranscript(seed)
    commitments = {n: (rng.bytes(HASH_LEN), m) for n, m in sizes.items()}  # unclaimed tables
    groups = pcs._groups(F, sizes, claims)
    tests = draw_tests(F, groups, tr)
    G = rand_ext(F, rng, ())
    batch = _Batch.draw(F, tr, claims, relations)
    rho = tr.challenge_ext("pcs/rho", F)
    S = rand_ext(F, rng, len(groups))
    S[:, -1] = E.sub(E.add(batch.H, E.mul(rho, G)), E.sum(S[:, :-1]))
    trees = []
    for k, (g, test) in enumerate(zip(groups, tests, strict=True)):
        roots, tree = simulate_group(F, g, tr, test, batch.of(g), rho, S[:, k], rng)
        commitments.update({n: (root, sizes[n]) for n, root in zip(g.tables, roots, strict=True)})
        trees.append(tree)
    out = {"groups": trees, "mask_sum": E.encode(G[:, None]), "sums": E.encode(S[:, :-1])}
    return commitments, out


def roundtrip(tree):
    return decode(encode(b"TEST", 1, tree), b"TEST", 1, "test")[1]


def verify(F, coms, claims, tree, tr: Transcript, relations=()) -> None:
    LigeroPCS(hiding=True).verify(
        F, coms, claims, Schema(roundtrip(tree), "opening"), tr, relations
    )


def skeleton(x):
    """The tree's structure: dict keys, list lengths and byte lengths."""
    if isinstance(x, dict):
        return {k: skeleton(v) for k, v in sorted(x.items())}
    if isinstance(x, list):
        return [skeleton(v) for v in x]
    if isinstance(x, bytes):
        return len(x)
    return (type(x).__name__, x)


def random_point(F, rng, m: int) -> np.ndarray:
    return rand_ext(F, rng, m)


# claim sets: (table sizes, claims as (table, point key)); equal keys on equal m share a point
CLAIM_SETS = {
    "one-claim": ({"a": 10}, [("a", 0)]),
    "sumcheck-two-tables": ({"a": 10, "b": 10}, [("a", 0), ("b", 1), ("a", 2)]),
    # claim 0 is on table "b" (position 1), the one whose mask rows are free
    "first-claim-on-second-table": ({"a": 10, "b": 10}, [("b", 0), ("a", 1), ("b", 1)]),
    # m31: a, b and the one-row c share a code, so one group of 8, 8 and 1 rows, whose claims
    # differ in z_lo; d and e share a point (no column sumcheck). bn254: c, a + b, d + e
    "merged-rows-and-same-point": (
        {"a": 10, "b": 10, "c": 5, "d": 12, "e": 12},
        [("a", 0), ("b", 0), ("c", 1), ("c", 2), ("c", 2), ("d", 3), ("e", 3)],
    ),
}


def make_claims(F, sizes, spec, rng, values=None) -> list[PcsClaim]:
    """Claims at random points (one point per key and m); values from `values(name, point)`
    or uniform (the simulator needs no table)."""
    points: dict = {}
    out = []
    for name, key in spec:
        m = sizes[name]
        pt = points.setdefault((key, m), random_point(F, rng, m))
        v = values(name, pt) if values else rand_ext(F, rng, ())
        out.append(PcsClaim(name, pt, v))
    return out


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("which", sorted(CLAIM_SETS))
def test_simulator_is_accepted(fname, which):
    """The simulator, given only the claims (uniform values, no tables) and the sizes, outputs
    commitments and an opening the verifier accepts under the same programmed oracle; changing
    one claimed value afterwards, or one opened mask symbol of a table, makes it reject."""
    F = get_field(fname)
    E = F.ext
    sizes, spec = CLAIM_SETS[which]
    rng = np.random.default_rng(11)
    for trial in range(2):
        claims = make_claims(F, sizes, spec, rng)
        coms, tree = simulate(F, sizes, claims, seed=trial, sim_seed=100 + trial)
        verify(F, coms, claims, tree, ProgrammedTranscript(trial))
        if which == "sumcheck-two-tables":
            assert tree["groups"][0]["sumcheck"]  # claims at different z_lo
        if which == "merged-rows-and-same-point":  # groups with a common z_lo and without
            assert {bool(g["sumcheck"]) for g in tree["groups"]} == {True, False}
            rows = [len(g["tables"]) for g in tree["groups"]]
            assert rows == ([3, 2] if fname == "m31" else [1, 2, 2])
        for c in range(len(claims)):
            bad = list(claims)
            bad[c] = PcsClaim(claims[c].name, claims[c].point, E.add(claims[c].value, E.one()))
            with pytest.raises(ProofRejected):
                verify(F, coms, bad, tree, ProgrammedTranscript(trial))
        for t in range(len(tree["groups"][0]["tables"])):
            bad_tree = copy.deepcopy(tree)
            op = bad_tree["groups"][0]["tables"][t]
            syms = F.decode(op["columns"], len(op["columns"]) // F.byte_len)
            syms[-1:] = F.add(syms[-1:], F.ones(1))  # last queried column's last mask symbol
            op["columns"] = F.encode(syms)
            with pytest.raises(ProofRejected):
                verify(F, coms, claims, bad_tree, ProgrammedTranscript(trial))


def real_setup(F, sizes, spec, seed: int):
    """Random tables, their commitments (seeded) and true claims."""
    rng = np.random.default_rng(seed)
    pcs = LigeroPCS(hiding=True)
    tabs = {n: rand_base(F, rng, 1 << m) for n, m in sizes.items()}
    coms, states = {}, {}
    for n, t in tabs.items():
        c, st = pcs.commit(F, t, rng=Randomness(seed).source(f"commit/{n}"))
        coms[n], states[n] = (c, sizes[n]), st
    claims = make_claims(F, sizes, spec, rng, lambda n, pt: mle_evaluate(F, tabs[n], pt))
    return tabs, coms, states, claims


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("which", sorted(CLAIM_SETS))
def test_simulated_opening_has_the_real_structure(fname, which):
    """A real opening of real tables and the simulated one for the same claims, under the same
    oracle (so the same query set), have the same fields, list lengths and byte lengths, and
    both are accepted."""
    F = get_field(fname)
    sizes, spec = CLAIM_SETS[which]
    _, coms, states, claims = real_setup(F, sizes, spec, seed=3)
    real = LigeroPCS(hiding=True).open(F, states, claims, ProgrammedTranscript(9))
    verify(F, coms, claims, real, ProgrammedTranscript(9))
    sim_coms, sim = simulate(F, sizes, claims, seed=9, sim_seed=4)
    verify(F, sim_coms, claims, sim, ProgrammedTranscript(9))
    assert skeleton(sim) == skeleton(real)
    assert len(encode(b"TEST", 1, sim)) == len(encode(b"TEST", 1, real))
    assert sorted(sim_coms) == sorted(coms)
    assert all(len(sim_coms[n][0]) == len(coms[n][0]) == HASH_LEN for n in coms)


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("which", sorted(CLAIM_SETS))
def test_simulator_solves_the_real_mask_columns(fname, which):
    """The simulator's free/determined split is the real one: from a real opening's w, u, the
    tables' opened data columns and their free mask rows (all but table 0's evaluation mask
    row and test rows), `solve_mask_columns` recomputes exactly the real ones (zeroed
    first), in every group."""
    F = get_field(fname)
    E = F.ext
    d = E.degree
    sizes, spec = CLAIM_SETS[which]
    _, coms, states, claims = real_setup(F, sizes, spec, seed=5)
    real = LigeroPCS(hiding=True).open(F, states, claims, ProgrammedTranscript(2))
    groups = LigeroPCS(hiding=True)._groups(F, sizes, claims)
    tr = ProgrammedTranscript(2)
    tests = draw_tests(F, groups, tr)
    batch = _Batch.draw(F, tr, claims, [])
    rho = tr.challenge_ext("pcs/rho", F)
    for g, gt, test in zip(groups, real["groups"], tests, strict=True):
        s, q, T = g.shape, g.shape.queries, g.shape.tests
        if _same_lo(g):
            r_lo = g.claims[0][1][:, : s.col_log]
        else:
            r_lo = point_of([tr.challenge_ext(f"pcs/sumcheck/r{j}", F) for j in range(s.col_log)])
        ch = after_sumcheck(F, g, tr, batch.of(g), rho, r_lo, test)
        w = E.decode(gt["tests"], T * s.msg_len).reshape(d, T, s.msg_len)
        u = E.decode(gt["u"], s.msg_len)
        S = s.mask_rows(d)
        cols, real_Z = [], []
        for op, R in zip(gt["tables"], g.rows, strict=True):
            opened = F.decode(op["columns"], q * (R + S)).reshape(q, R + S).T
            cols.append(opened[:R])
            real_Z.append(opened[R:])
        Zc = [z.copy() for z in real_Z]
        Zc[0][(T + 2) * d : (T + 3) * d] = 0
        Zc[0][: T * d] = 0
        solve_mask_columns(F, g, ch, w, u, cols, Zc)
        for z, rz in zip(Zc, real_Z, strict=True):
            assert np.array_equal(z, rz)


# ---- 3. no private value in the opening -------------------------------------------------------
def needles(F, table) -> list[bytes]:
    """m31: every pair of consecutive entries (8 bytes, little-endian); bn254: every entry."""
    ints = [int(v) for v in table]
    if F.name == "m31":
        return [
            a.to_bytes(4, "little") + b.to_bytes(4, "little") for a, b in itertools.pairwise(ints)
        ]
    return [v.to_bytes(32, "little") for v in ints]


def opened_bytes(F, sizes, hiding: bool, seed: int):
    rng = np.random.default_rng(seed)
    pcs = LigeroPCS(hiding=hiding)
    tabs = {n: rand_base(F, rng, 1 << m) for n, m in sizes.items()}  # distinctive, full width
    coms, states, claims = {}, {}, []
    for n, t in tabs.items():
        c, states[n] = pcs.commit(F, t, rng=Randomness(seed).source(f"commit/{n}"))
        coms[n] = (c, sizes[n])
        for _ in range(2):
            pt = random_point(F, rng, sizes[n])
            claims.append(PcsClaim(n, pt, mle_evaluate(F, t, pt)))
    tree = pcs.open(F, states, claims, Transcript(b"zk"))
    pcs.verify(F, coms, claims, Schema(roundtrip(tree), "opening"), Transcript(b"zk"))
    blob = encode(b"TEST", 1, tree) + b"".join(c for c, _ in coms.values())
    return tabs, tree, blob


@pytest.mark.parametrize("fname", FIELDS)
def test_no_table_value_in_hiding_opening(fname):
    """Tables of a one-row shape (2^5, padded to one row) and a multi-row one (2^12): none of
    their values (m31: consecutive pairs, bn254: single entries, as encoded) occurs in the
    bytes of the opening or the commitments."""
    F = get_field(fname)
    sizes = {"small": 5, "big": 12}
    assert LigeroPCS().shape(F, 5).rows == 1 and LigeroPCS().shape(F, 12).rows > 1
    tabs, tree, blob = opened_bytes(F, sizes, hiding=True, seed=1)
    assert all(len(g) > 1 and "direct" not in g for g in tree["groups"])
    for t in tabs.values():
        found = [x for x in needles(F, t) if x in blob]
        assert not found


@pytest.mark.parametrize("fname", FIELDS)
def test_values_found_when_not_hiding(fname):
    """Positive control: without hiding the small table is sent as it is ("direct"), and the
    same search finds every one of its values, so the search above can fail."""
    F = get_field(fname)
    tabs, tree, blob = opened_bytes(F, {"small": 5}, hiding=False, seed=1)
    assert set(tree["groups"][0]) == {"direct"}
    assert all(x in blob for x in needles(F, tabs["small"]))


# ---- 4. structure does not depend on the witness, 5. seeds ----------------------------------
def hiding_open(F, tabs, points, seed: int, tr: Transcript):
    pcs = LigeroPCS(hiding=True)
    coms, states, claims = {}, {}, []
    for n, t in tabs.items():
        rng = Randomness(seed).source(f"commit/{n}")
        c, states[n] = pcs.commit(F, t, rng=rng)
        coms[n] = (c, t.shape[0].bit_length() - 1)
    for n, pt in points:
        claims.append(PcsClaim(n, pt, mle_evaluate(F, tabs[n], pt)))
    tree = pcs.open(F, states, claims, tr)
    return coms, claims, tree


def mask_paths(sk):
    """The skeleton with Merkle path lengths erased (they depend on the public query set)."""
    if isinstance(sk, dict):
        return {k: ("path" if k == "path" else mask_paths(v)) for k, v in sk.items()}
    if isinstance(sk, list):
        return [mask_paths(v) for v in sk]
    return sk


def structure_setup(fname):
    F = get_field(fname)
    rng = np.random.default_rng(21)
    sizes = {"a": 10, "b": 10, "c": 5}
    pts = {m: [random_point(F, rng, m) for _ in range(2)] for m in (10, 5)}
    points = [("a", pts[10][0]), ("b", pts[10][1]), ("a", pts[10][1]), ("c", pts[5][0])]
    tabs = [{n: rand_base(F, rng, 1 << m) for n, m in sizes.items()} for _ in range(2)]
    return F, tabs, points


@pytest.mark.parametrize("fname", FIELDS)
def test_structure_does_not_depend_on_the_tables(fname):
    """Two hiding openings of different tables (same sizes, same points, their own values):
    under one oracle every field has the same byte length; under the SHA-256 transcript too,
    except the Merkle paths, whose length follows the public query set."""
    F, tabs, points = structure_setup(fname)
    trees = [hiding_open(F, t, points, 7, ProgrammedTranscript(1))[2] for t in tabs]
    assert skeleton(trees[0]) == skeleton(trees[1])
    assert len(encode(b"TEST", 1, trees[0])) == len(encode(b"TEST", 1, trees[1]))
    real = [hiding_open(F, t, points, 7, Transcript(b"zk")) for t in tabs]
    for coms, claims, tree in real:
        verify(F, coms, claims, tree, Transcript(b"zk"))
    assert mask_paths(skeleton(real[0][2])) == mask_paths(skeleton(real[1][2]))
    for tree in (real[0][2], *trees):
        for g in tree["groups"]:
            for op in g["tables"]:
                assert len(op["path"]) % HASH_LEN == 0


GROUP_RANDOM_FIELDS = ("tests", "mu", "u")


@pytest.mark.parametrize("fname", FIELDS)
def test_seeds_reproduce_and_differ(fname):
    """The same seed (commit and open sources) gives byte-identical commitments and openings;
    another seed changes the commitments and every randomised field of every group."""
    F, tabs, points = structure_setup(fname)
    runs = [hiding_open(F, tabs[0], points, seed, Transcript(b"zk")) for seed in (7, 7, 8)]
    (c0, _, t0), (c1, _, t1), (c2, _, t2) = runs
    assert c0 == c1 and encode(b"TEST", 1, t0) == encode(b"TEST", 1, t1)
    assert all(c0[n][0] != c2[n][0] for n in c0)
    assert encode(b"TEST", 1, t0) != encode(b"TEST", 1, t2)
    for g0, g2 in zip(t0["groups"], t2["groups"], strict=True):
        for key in GROUP_RANDOM_FIELDS:
            assert g0[key] != g2[key]
        for a, b in zip(g0["tables"], g2["tables"], strict=True):
            assert a["salts"] != b["salts"] and a["columns"] != b["columns"]


def decoded_symbols(F, tree) -> list[np.ndarray]:
    """Every sent vector and opened column of a hiding opening as flat base arrays."""
    E = F.ext
    out = []
    for g in tree["groups"]:
        for key in ("tests", "u", "mu"):
            out.append(E.decode(g[key], len(g[key]) // E.byte_len).reshape(-1))
        for op in g["tables"]:
            out.append(F.decode(op["columns"], len(op["columns"]) // F.byte_len))
    return out


@pytest.mark.parametrize("fname", FIELDS)
def test_fresh_randomness_changes_every_symbol(fname):
    """The same tables opened with two seeds under one oracle (so at the same query indices):
    every symbol of w, u, mu and of every opened column (tables' and mask's) differs, so each
    carries fresh randomness (a missing pad or mask would repeat the tables' symbols)."""
    F, tabs, points = structure_setup(fname)
    a, b = (hiding_open(F, tabs[0], points, seed, ProgrammedTranscript(1))[2] for seed in (7, 8))
    for x, y in zip(decoded_symbols(F, a), decoded_symbols(F, b), strict=True):
        assert x.shape == y.shape and x.size > 0
        assert not np.any(x == y)


# ---- 4. hidden (linked) claims ----------------------------------------------------------------
LINKED_SIZES = {"a": 10, "b": 10, "c": 12}  # c: a code of its own, a second group


def linked_setup(F, seed: int, pcs):
    """Tables a == b and c; hidden claims a(p) and b(p) linked by a - b = 0, hidden a(q) and
    c(s) linked by c~(s) a(q) - a~(q) c(s) = 0 (across two groups), and a known claim on c."""
    E = F.ext
    rng = np.random.default_rng(seed)
    a = rand_base(F, rng, 1 << 10)
    tabs = {"a": a, "b": a.copy(), "c": rand_base(F, rng, 1 << 12)}
    p, q = random_point(F, rng, 10), random_point(F, rng, 10)
    s_, s2 = random_point(F, rng, 12), random_point(F, rng, 12)
    ev = {
        k: mle_evaluate(F, tabs[n], pt)
        for k, n, pt in [("ap", "a", p), ("aq", "a", q), ("cs", "c", s_), ("cs2", "c", s2)]
    }
    claims = [
        PcsClaim("a", p, ev["ap"], hidden=True),
        PcsClaim("b", p, ev["ap"], hidden=True),
        PcsClaim("a", q, ev["aq"], hidden=True),
        PcsClaim("c", s_, ev["cs"], hidden=True),
        PcsClaim("c", s2, ev["cs2"]),
    ]
    relations = [
        Relation([(0, E.one()), (1, E.neg(E.one()))], E.zeros()),
        Relation([(2, ev["cs"]), (3, E.neg(ev["aq"]))], E.zeros()),
    ]
    coms, states = {}, {}
    for n, t in tabs.items():
        c, st = pcs.commit(F, t, rng=Randomness(seed).source(f"commit/{n}"))
        coms[n], states[n] = (c, LINKED_SIZES[n]), st
    return coms, states, claims, relations, ev


def verifier_claims(claims):
    """What a verifier holds: no value for a hidden claim."""
    return [PcsClaim(c.name, c.point, None if c.hidden else c.value, c.hidden) for c in claims]


@pytest.mark.parametrize("fname", FIELDS)
@pytest.mark.parametrize("pcs_name", ["hiding", "plain", "merkle"])
def test_linked_claims_verify_and_tampering_fails(fname, pcs_name):
    F = get_field(fname)
    E = F.ext
    pcs = MerklePCS() if pcs_name == "merkle" else LigeroPCS(hiding=pcs_name == "hiding")
    coms, states, claims, relations, ev = linked_setup(F, 7, pcs)
    tree = roundtrip(pcs.open(F, states, claims, Transcript(b"l"), relations))
    vclaims = verifier_claims(claims)
    pcs.verify(F, coms, vclaims, Schema(tree, "opening"), Transcript(b"l"), relations)
    # a relation that does not hold: a different total, or a different coefficient
    wrong = [Relation(relations[0].terms, E.one()), relations[1]]
    with pytest.raises(ProofRejected):
        pcs.verify(F, coms, vclaims, Schema(tree, "opening"), Transcript(b"l"), wrong)
    wrong = [
        relations[0],
        Relation([(2, E.add(ev["cs"], E.one())), relations[1].terms[1]], E.zeros()),
    ]
    with pytest.raises(ProofRejected):
        pcs.verify(F, coms, vclaims, Schema(tree, "opening"), Transcript(b"l"), wrong)
    if pcs_name == "merkle":
        return
    # plain: the stated hidden values are bound; hiding: the masks' sum and the groups' sums
    paths = [("mask_sum",), ("sums",)] if pcs_name == "hiding" else [("links", "values")]
    for path in paths:
        bad = copy.deepcopy(tree)
        parent = bad
        for key in path[:-1]:
            parent = parent[key]
        raw = parent[path[-1]]
        syms = E.decode(raw, len(raw) // E.byte_len)
        syms[:, 0] = E.add(syms[:, 0], E.one())
        parent[path[-1]] = E.encode(syms)
        with pytest.raises(ProofRejected):
            pcs.verify(F, coms, vclaims, Schema(bad, "opening"), Transcript(b"l"), relations)


@pytest.mark.parametrize("fname", FIELDS)
def test_hidden_values_are_not_in_a_hiding_opening(fname):
    """The hidden claims' values appear in a plain opening (stated in clear) and nowhere in a
    hiding one (only sum coeff t = total + zeta M is checkable)."""
    F = get_field(fname)
    E = F.ext
    for hiding in (True, False):
        coms, states, claims, relations, ev = linked_setup(F, 8, LigeroPCS(hiding=hiding))
        tree = LigeroPCS(hiding=hiding).open(F, states, claims, Transcript(b"l"), relations)
        blob = encode(b"TEST", 1, tree)
        found = [k for k in ("ap", "aq", "cs") if E.encode(ev[k]) in blob]
        assert found == ([] if hiding else ["ap", "aq", "cs"])


@pytest.mark.parametrize("fname", FIELDS)
def test_simulator_with_linked_claims(fname):
    """The simulator, given the relations and the known claims only, outputs an opening the
    verifier accepts, with the structure of a real one; a changed total then fails."""
    F = get_field(fname)
    E = F.ext
    coms, states, claims, relations, _ = linked_setup(F, 9, LigeroPCS(hiding=True))
    vclaims = verifier_claims(claims)
    real = LigeroPCS(hiding=True).open(F, states, claims, ProgrammedTranscript(5), relations)
    verify(F, coms, vclaims, real, ProgrammedTranscript(5), relations)
    sim_coms, sim = simulate(F, LINKED_SIZES, vclaims, seed=5, sim_seed=6, relations=relations)
    verify(F, sim_coms, vclaims, sim, ProgrammedTranscript(5), relations)
    assert skeleton(sim) == skeleton(real)
    wrong = [Relation(relations[0].terms, E.one()), relations[1]]
    with pytest.raises(ProofRejected):
        verify(F, sim_coms, vclaims, sim, ProgrammedTranscript(5), wrong)
