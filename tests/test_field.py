"""Field, extension and MLE arithmetic against plain-Python-int references."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkcc.errors import FormatError
from zkcc.field import eq_table, get_field, mle_evaluate

FIELDS = ["m31", "bn254"]


def rand_ints(F, n, rnd):
    edge = [0, 1, F.p - 1, F.p - 2]
    return edge + [rnd.randrange(F.p) for _ in range(n - len(edge))]


def _cm31_mul(a, b, p):
    return ((a[0] * b[0] - a[1] * b[1]) % p, (a[0] * b[1] + a[1] * b[0]) % p)


def ref_ext_mul(a, b, p):
    """The product in Stwo's tower QM31 = CM31[u]/(u^2 - 2 - i), CM31 = F_p[i]/(i^2 + 1), for
    elements given in zkcc's power basis of u (i = u^2 - 2); degree 1 is the base field."""
    if len(a) == 1:
        return [a[0] * b[0] % p]

    def to_tower(x):  # x0 + x1 u + x2 u^2 + x3 u^3 = (x0 + 2 x2 + x2 i) + (x1 + 2 x3 + x3 i) u
        return ((x[0] + 2 * x[2]) % p, x[2]), ((x[1] + 2 * x[3]) % p, x[3])

    (a0, a1), (b0, b1) = to_tower(a), to_tower(b)
    bd = _cm31_mul(a1, b1, p)
    lo = [x + y for x, y in zip(_cm31_mul(a0, b0, p), _cm31_mul(bd, (2, 1), p), strict=True)]
    hi = [x + y for x, y in zip(_cm31_mul(a0, b1, p), _cm31_mul(a1, b0, p), strict=True)]
    return [(lo[0] - 2 * lo[1]) % p, (hi[0] - 2 * hi[1]) % p, lo[1] % p, hi[1] % p]


def rand_ext(F, rnd):
    return [rnd.randrange(F.p) for _ in range(F.ext.degree)]


@pytest.mark.parametrize("name", FIELDS)
def test_base_ops_match_python_ints(name):
    F, rnd = get_field(name), random.Random(1)
    a, b = rand_ints(F, 64, rnd), rand_ints(F, 64, rnd)[::-1]
    A, B = F.array(a), F.array(b)
    p = F.p
    assert F.to_ints(F.add(A, B)) == [(x + y) % p for x, y in zip(a, b, strict=False)]
    assert F.to_ints(F.sub(A, B)) == [(x - y) % p for x, y in zip(a, b, strict=False)]
    assert F.to_ints(F.mul(A, B)) == [x * y % p for x, y in zip(a, b, strict=False)]
    assert F.to_ints(F.neg(A)) == [-x % p for x in a]
    assert F.to_ints(F.inv(A)) == [pow(x, -1, p) if x else 0 for x in a]
    few = F.array([0, 1, p - 1, *a[:5]])  # a few elements: Python's pow, not the array loop
    assert F.to_ints(F.inv(few)) == [pow(x, -1, p) if x else 0 for x in [0, 1, p - 1, *a[:5]]]
    assert F.to_ints(F.sum(A)) == sum(a) % p
    m = F.array(
        np.array(a).reshape(8, 8) if name == "m31" else [a[i : i + 8] for i in range(0, 64, 8)]
    )
    assert F.to_ints(F.sum(m, axis=0)) == [sum(a[i::8]) % p for i in range(8)]
    # broadcasting against a scalar
    assert F.to_ints(F.mul(A, F.array(3))) == [3 * x % p for x in a]


@pytest.mark.parametrize("name", FIELDS)
def test_array_reduces_any_integer_input(name):
    F = get_field(name)
    vals = [-1, -F.p, F.p, 2 * F.p + 5, 10**40, -(10**40)]
    assert F.to_ints(F.array(vals)) == [v % F.p for v in vals]
    assert F.to_ints(F.array(np.array([-3, 7], dtype=np.int64))) == [F.p - 3, 7]
    assert F.to_ints(F.array(np.array([2**64 - 1], dtype=np.uint64))) == [(2**64 - 1) % F.p]
    assert F.zeros((2, 3)).shape == (2, 3)


@pytest.mark.parametrize("name", FIELDS)
def test_encode_decode_and_rejection(name):
    F, rnd = get_field(name), random.Random(2)
    a = rand_ints(F, 20, rnd)
    data = F.encode(F.array(a))
    assert data == b"".join(v.to_bytes(F.byte_len, "little") for v in a)
    assert F.encode(F.array(a).reshape(4, 5)) == data  # row-major, whatever the shape
    assert F.encode(F.zeros(0)) == b"" and F.to_ints(F.decode(b"", 0)) == []
    assert F.to_ints(F.decode(data, 20)) == a
    with pytest.raises(FormatError):
        F.decode(data[:-1], 20)
    with pytest.raises(FormatError):
        F.decode(data, 21)
    for bad in (F.p, 2 ** (8 * F.byte_len) - 1):
        with pytest.raises(FormatError):
            F.decode(data[: F.byte_len] + bad.to_bytes(F.byte_len, "little"), 2)


@pytest.mark.parametrize("name", FIELDS)
def test_wide_reduction_matches_ints(name):
    F = get_field(name)
    raw = random.Random(3).randbytes(7 * F.wide_len)
    want = [
        int.from_bytes(raw[i * F.wide_len : (i + 1) * F.wide_len], "little") % F.p for i in range(7)
    ]
    assert F.to_ints(F.from_wide_bytes(raw, 7)) == want
    with pytest.raises(FormatError):
        F.from_wide_bytes(raw, 6)


def _polymod(a, f, p):
    """a mod the monic f, coefficient lists lowest first."""
    a = [x % p for x in a]
    while len(a) >= len(f):
        top = a.pop()
        for k in range(len(f) - 1):
            a[len(a) - len(f) + 1 + k] = (a[len(a) - len(f) + 1 + k] - top * f[k]) % p
    return a


def _polymulmod(a, b, f, p):
    prod = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            prod[i + j] += x * y
    return _polymod(prod, f, p)


def _x_pow(e, f, p):
    result, base = [1], [0, 1]
    while e:
        if e & 1:
            result = _polymulmod(result, base, f, p)
        base = _polymulmod(base, base, f, p)
        e >>= 1
    return result + [0] * (len(f) - 1 - len(result))


def test_qm31_is_a_degree_4_field():
    """u^4 - 4u^2 + 5 is irreducible over m31: a quartic with a factor of degree 1 or 2 has a
    root in F_{p^2}, i.e. gcd(u^(p^2) - u, f) != 1; here u^(p^2) != u and that gcd is 1,
    while u^(p^4) = u as in any field of p^4 elements."""
    F = get_field("m31")
    p, E = F.p, F.ext
    f = [5, 0, p - 4, 0, 1]  # u^4 - 4u^2 + 5, lowest first
    assert E.degree == 4 and E.modulus == (p - 5, 0, 4, 0)
    assert _x_pow(p**4, f, p) == [0, 1, 0, 0]
    g = _x_pow(p**2, f, p)
    g[1] = (g[1] - 1) % p
    assert any(g)  # u^(p^2) != u
    a, b = f, g
    while any(b):  # Euclid over F_p: a, b <- b, a mod b (b made monic)
        b = b[: max(k for k, x in enumerate(b) if x) + 1]
        lead = pow(b[-1], -1, p)
        a, b = b, _polymod(a, [x * lead % p for x in b], p)
    assert len(a) == 1 and a[0] != 0  # gcd is a nonzero constant
    # i = u^2 - 2 squares to -1, as in the tower
    i = E.from_ints([p - 2, 0, 1, 0])
    assert E.to_ints(E.mul(i, i)) == [p - 1, 0, 0, 0]


@pytest.mark.parametrize("name", FIELDS)
def test_ext_ops_match_reference(name):
    F, rnd = get_field(name), random.Random(4)
    E, p = F.ext, F.p
    xs = [rand_ext(F, rnd) for _ in range(30)] + [[p - 1] * E.degree, [0] * E.degree]
    ys = [rand_ext(F, rnd) for _ in range(32)]
    X, Y = E.from_ints(xs), E.from_ints(ys)
    assert X.shape == (E.degree, 32)
    assert E.to_ints(E.mul(X, Y)) == [ref_ext_mul(x, y, p) for x, y in zip(xs, ys, strict=False)]
    pairs = list(zip(xs, ys, strict=True))
    assert E.to_ints(E.add(X, Y)) == [[(u + v) % p for u, v in zip(x, y)] for x, y in pairs]  # noqa: B905
    assert E.to_ints(E.sub(X, Y)) == [[(u - v) % p for u, v in zip(x, y)] for x, y in pairs]  # noqa: B905
    b = rand_ints(F, 32, rnd)
    want = [[u * c % p for u in x] for x, c in zip(xs, b, strict=True)]
    assert E.to_ints(E.mul_base(X, F.array(b))) == want
    assert E.to_ints(E.from_base(F.array(b))) == [[c] + [0] * (E.degree - 1) for c in b]
    # single scalars, shape (d,): the protocols' per-round path (Python ints, closed form)
    for x, y in pairs[:8] + [pairs[-1]]:
        sx, sy = E.from_ints(x), E.from_ints(y)
        assert E.to_ints(E.mul(sx, sy)) == ref_ext_mul(x, y, p)
        assert E.to_ints(E.add(sx, sy)) == [(u + v) % p for u, v in zip(x, y, strict=True)]
        assert E.to_ints(E.sub(sx, sy)) == [(u - v) % p for u, v in zip(x, y, strict=True)]
    # scalar broadcast, associativity, distributivity, inverse
    s = E.from_ints(rand_ext(F, rnd))
    assert E.to_ints(E.mul(X, s)) == [ref_ext_mul(x, E.to_ints(s), p) for x in xs]
    Z = E.from_ints([rand_ext(F, rnd) for _ in range(32)])
    assert E.equal(E.mul(E.mul(X, Y), Z), E.mul(X, E.mul(Y, Z)))
    assert E.equal(E.mul(X, E.add(Y, Z)), E.add(E.mul(X, Y), E.mul(X, Z)))
    inv = E.inv(X)
    prods = E.to_ints(E.mul(X, inv))
    assert prods[:-1] == [[1] + [0] * (E.degree - 1)] * 31 and prods[-1] == [0] * E.degree
    assert not E.equal(E.mul(X, Y), E.mul(X, Z))
    # dot with lazy reduction vs the elementwise definition, ext x ext, base x ext, base x base
    assert E.equal(E.dot(X, Y), E.sum(E.mul(X, Y)))
    assert E.equal(E.dot(F.array(b), Y), E.sum(E.mul_base(Y, F.array(b))))
    assert E.to_ints(E.dot(F.array(b), F.array(b))) == [sum(c * c for c in b) % p] + [0] * (
        E.degree - 1
    )


def test_m31_dot_and_fold_large_chunks():
    """Sizes above the chunk size exercise the threaded, chunked exact-sum kernels."""
    from zkcc.field import m31_kernels

    F = get_field("m31")
    E = F.ext
    rng = np.random.default_rng(5)
    n = 3 * m31_kernels.CHUNK * 4 + 17
    d = E.degree
    X = rng.integers(0, F.p, (d, n), dtype=np.uint64)
    Y = rng.integers(F.p - 1000, F.p, (d, n), dtype=np.uint64)  # near p: maximal products
    xs, ys = X.astype(object), Y.astype(object)
    ref = [0] * d
    for j in range(d):
        for k in range(d):
            s = int(sum(xs[j] * ys[k])) % F.p
            unit_j, unit_k = ([int(c == x) for c in range(d)] for x in (j, k))
            basis = ref_ext_mul(unit_j, unit_k, F.p)
            ref = [(acc + s * v) % F.p for acc, v in zip(ref, basis, strict=True)]
    assert E.to_ints(E.dot(X, Y)) == ref
    t = np.concatenate([X[:, : 2 * 40000], Y[:, : 2 * 40000]], axis=1)
    r = E.from_ints([7, F.p - 1, 123456, F.p - 2])
    lo, hi = t[:, : t.shape[1] // 2].copy(), t[:, t.shape[1] // 2 :].copy()
    want = E.add(lo, E.mul(E.sub(hi, lo), r))
    work = t.copy()
    h = t.shape[1] // 2
    work[:, h:] = E.sub(hi, lo)
    assert E.equal(m31_kernels.fold(E, work, r), want)


@pytest.mark.parametrize("shape", [(1,), (37,), (8, 16), (1 << 12,), (1 << 12 | 1,)])
def test_m31_scalar_times_table_matches_reference_products(shape):
    """E.mul of an extension scalar and a table, both ways round: by the scalar's
    multiplication matrix up to SMALL_SCALAR_PRODUCT entries, the general product above it;
    against QM31 products of Python ints, entries near p."""
    F = get_field("m31")
    E, p, d = F.ext, F.p, F.ext.degree
    rng = np.random.default_rng(len(shape) + shape[0])
    r_ints = [p - 1, int(rng.integers(0, p)), p - 2, p - 5]
    t = rng.integers(p - 40, p, (d, *shape), dtype=np.uint64)
    flat = t.reshape(d, -1)
    want = [ref_ext_mul(r_ints, [int(c) for c in flat[:, i]], p) for i in range(flat.shape[1])]
    for got in (E.mul(E.from_ints(r_ints), t), E.mul(t, E.from_ints(r_ints))):
        assert got.shape == t.shape
        g = got.reshape(d, -1)
        assert [[int(x) for x in g[:, i]] for i in range(g.shape[1])] == want


@pytest.mark.parametrize("h", [1, 64, 1 << 10, (1 << 10) + 2])
def test_m31_fold_matches_reference_products_on_both_paths(h):
    """m31_kernels.fold, lo + r d, against QM31 products of Python ints, for extension and
    base tables, at sizes on both sides of SMALL_FOLD (one (d, d, h) pass, or per component),
    with entries near p so the unreduced sums are as large as they get."""
    from zkcc.field import m31_kernels

    F = get_field("m31")
    E, p, d = F.ext, F.p, F.ext.degree
    rng = np.random.default_rng(h)
    r_ints = [p - 1, p - 2, int(rng.integers(0, p)), p - 3]
    r = E.from_ints(r_ints)
    ext = rng.integers(p - 50, p, (d, 2 * h), dtype=np.uint64)
    base = rng.integers(p - 50, p, 2 * h, dtype=np.uint64)
    for t in (ext, base):
        cols = t.reshape(-1, 2 * h).astype(object)
        want = []
        for i in range(h):
            lo = [int(c) for c in cols[:, i]] + [0] * (d - cols.shape[0])
            diff = [int(c) for c in cols[:, h + i]] + [0] * (d - cols.shape[0])
            prod = ref_ext_mul(diff, r_ints, p)
            want.append([(a + b) % p for a, b in zip(lo, prod, strict=True)])
        got = m31_kernels.fold(E, t.copy(), r)
        assert [[int(x) for x in got[:, i]] for i in range(h)] == want


@pytest.mark.parametrize("h", [1, 4, 100, 1 << 13, (1 << 13) + 3])
@pytest.mark.parametrize("dims", [(4, 4), (1, 4), (4, 1), (1, 1)])
def test_m31_round_sums_match_reference_products_on_both_paths(h, dims):
    """m31_kernels.round_diff (one sumcheck round's sums, sum lo_f lo_g and sum d_f d_g)
    against QM31 products of Python ints, for every mix of base and extension tables, at
    sizes on both sides of CHUNK (one batched product, or the chunked exact sums), with
    entries near p so the sums are as large as they get; and the differences it leaves in
    the upper halves."""
    from zkcc.field import m31_kernels

    F = get_field("m31")
    E, p, d = F.ext, F.p, F.ext.degree
    rng = np.random.default_rng(h + 7 * dims[0] + dims[1])

    def table(rows):
        t = rng.integers(p - 40, p, (rows, 2 * h), dtype=np.uint64)
        t[:, rng.integers(0, 2 * h, h // 3 + 1)] = rng.integers(0, 40, dtype=np.uint64)
        return t if rows > 1 else t[0]

    f, g = table(dims[0]), table(dims[1])

    def cols(t):
        c = t.reshape(-1, 2 * h).astype(object)
        return [[int(x) for x in c[:, i]] + [0] * (d - c.shape[0]) for i in range(2 * h)]

    fc, gc = cols(f), cols(g)
    df = [[(a - b) % p for a, b in zip(fc[h + i], fc[i], strict=True)] for i in range(h)]
    dg = [[(a - b) % p for a, b in zip(gc[h + i], gc[i], strict=True)] for i in range(h)]

    def total(xs, ys):
        acc = [0] * d
        for x, y in zip(xs, ys, strict=True):
            acc = [(a + b) % p for a, b in zip(acc, ref_ext_mul(x, y, p), strict=True)]
        return acc

    fw, gw = f.copy(), g.copy()
    s0, s2 = m31_kernels.round_diff(E, fw, gw)
    assert E.ints(s0) == total(fc[:h], gc[:h])
    assert E.ints(s2) == total(df, dg)
    assert cols(fw)[h:] == df and cols(gw)[h:] == dg


@pytest.mark.parametrize("n", [1, 7, 2048, 2049, 5000])
def test_m31_reduce_u64_on_both_paths(n):
    """reduce_u64 (one remainder up to SMALL_REDUCE entries, else two folds) against Python
    ints, on any uint64 values, in place."""
    from zkcc.field.m31 import SMALL_REDUCE, reduce_u64

    assert SMALL_REDUCE == 2048
    rng = np.random.default_rng(n)
    t = rng.integers(0, 1 << 64, n, dtype=np.uint64)
    t[: min(n, 3)] = [(1 << 64) - 1, 0, (1 << 31) - 1][: min(n, 3)]
    want = [int(x) % ((1 << 31) - 1) for x in t]
    got = reduce_u64(np, t)
    assert got is t or np.shares_memory(got, t)
    assert [int(x) for x in t] == want


@pytest.mark.parametrize("terms", [1, 2, 3])
def test_m31_outer_sum_matches_the_reference_products(terms):
    """m31_kernels.outer_sum (the GKR prover's phase tables) against reference QM31 products
    of Python ints, entry by entry: random vectors, and vectors of p - 1 and p - 2, whose
    products are the largest the unreduced accumulation must hold."""
    from zkcc.field import m31_kernels

    F = get_field("m31")
    E, p, d = F.ext, F.p, F.ext.degree
    rng = np.random.default_rng(11 + terms)
    W, C = 5, 7
    for low in (0, p - 2):
        us = [rng.integers(low, p, (d, W), dtype=np.uint64) for _ in range(terms)]
        cs = [rng.integers(low, p, (d, C), dtype=np.uint64) for _ in range(terms)]
        got = m31_kernels.outer_sum(E, us, cs)
        for x in range(W):
            for s in range(C):
                want = [0] * d
                for u, c in zip(us, cs, strict=True):
                    prod = ref_ext_mul([int(v) for v in u[:, x]], [int(v) for v in c[:, s]], p)
                    want = [(a + b) % p for a, b in zip(want, prod, strict=True)]
                assert [int(v) for v in got[:, x, s]] == want


def naive_mle(F, table_ints, point_ints):
    """sum_b T[b] prod_i (r_i if bit i of b else 1 - r_i) over reference ext arithmetic."""
    p, d = F.p, F.ext.degree
    one = [1] + [0] * (d - 1)
    acc = [0] * d
    for b, t in enumerate(table_ints):
        w = one
        for i, r in enumerate(point_ints):
            factor = r if (b >> i) & 1 else [(o - x) % p for o, x in zip(one, r, strict=False)]
            w = ref_ext_mul(w, factor, p)
        t = t if isinstance(t, list) else [t] + [0] * (d - 1)
        acc = [(a + c) % p for a, c in zip(acc, ref_ext_mul(w, t, p), strict=False)]
    return acc


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("m", [0, 1, 4])
def test_mle_matches_naive(name, m):
    F, rnd = get_field(name), random.Random(10 + m)
    E = F.ext
    pt = [rand_ext(F, rnd) for _ in range(m)]
    point = [E.from_ints(c) for c in pt]
    base = rand_ints(F, 1 << m, rnd) if m >= 2 else [rnd.randrange(F.p) for _ in range(1 << m)]
    ext = [rand_ext(F, rnd) for _ in range(1 << m)]
    assert E.to_ints(mle_evaluate(F, F.array(base), point)) == naive_mle(F, base, pt)
    assert E.to_ints(mle_evaluate(F, E.from_ints(ext), point)) == naive_mle(F, ext, pt)
    # eq table entry b equals the naive weight; the point order is LSB first
    eq = E.to_ints(eq_table(F, point))
    for b in range(1 << m):
        assert eq[b] == naive_mle(F, [1 if j == b else 0 for j in range(1 << m)], pt)
    # on a boolean point the MLE returns the table entry at the matching index (LSB first)
    if m:
        bits = [E.scalar(1), *[E.scalar(0)] * (m - 1)]
        assert E.to_ints(mle_evaluate(F, F.array(base), bits))[0] == base[1]


@pytest.mark.parametrize("name", FIELDS)
def test_int_scalar_arithmetic_matches_the_reference(name):
    """The extension's scalar operations on lists of ints (the protocols' per-round form)
    against reference arithmetic and the array operations, on random and edge elements."""
    F, rnd = get_field(name), random.Random(29)
    E, p = F.ext, F.p
    edge = [[0] * E.degree, E.unit_ints(1), [p - 1] * E.degree]
    values = edge + [rand_ext(F, rnd) for _ in range(20)]
    for a, b in zip(values, values[3:] + values[:3], strict=True):
        assert E.mul_ints(a, b) == ref_ext_mul(a, b, p)
        assert E.add_ints(a, b) == [(x + y) % p for x, y in zip(a, b, strict=True)]
        assert E.sub_ints(a, b) == [(x - y) % p for x, y in zip(a, b, strict=True)]
        assert E.ints(E.mul(E.from_ints(a), E.from_ints(b))) == E.mul_ints(a, b)
        if E.degree == 4:
            u = [0, 1, 0, 0]
            assert E.times_u_ints(a) == ref_ext_mul(a, u, p)
    assert E.unit_ints(-3) == [p - 3] + [0] * (E.degree - 1)
    # a scalar from any ints, reduced, alone and inside a batch; from_reduced_ints (the
    # per-round paths' form, for reduced ints) gives the same arrays
    for raw in ([-1] * E.degree, [p + 5] * E.degree, [rnd.randrange(-p, 3 * p) for _ in edge[0]]):
        one = E.from_ints(raw)
        assert E.ints(one) == [x % p for x in raw]
        assert E.ints(E.from_ints([raw, raw])[:, 1]) == E.ints(one)
        assert E.decode(E.encode(one), 1)[:, 0].tolist() == E.ints(one)
        red = [x % p for x in raw]
        assert E.equal(E.from_reduced_ints(red), one)
        batch = [red, E.unit_ints(3), red]
        assert E.from_reduced_ints(batch).shape == E.from_ints(batch).shape
        assert E.equal(E.from_reduced_ints(batch), E.from_ints(batch))


@pytest.mark.parametrize("name", FIELDS)
def test_eq_table_is_the_product_of_the_coordinates_factors(name):
    """Every entry b of eq_table is prod_i (r_i if bit i of b else 1 - r_i), computed here
    entry by entry in reference arithmetic, for every size from none to past the QM31
    doubling's (EQ_DOUBLING, after EQ_INTS int coordinates) and the Python-int leaves'
    (EQ_LEAF), into halving, and for a point given as one (d, m) array."""
    F, rnd = get_field(name), random.Random(23)
    E, p = F.ext, F.p
    one = [1] + [0] * (E.degree - 1)
    for m in range(12):
        pt = [rand_ext(F, rnd) for _ in range(m)]
        minus = [[(o - x) % p for o, x in zip(one, r, strict=True)] for r in pt]
        eq = E.to_ints(eq_table(F, [E.from_ints(c) for c in pt]))
        for b in range(1 << m):
            w = one
            for i in range(m):
                w = ref_ext_mul(w, pt[i] if (b >> i) & 1 else minus[i], p)
            assert eq[b] == w, (m, b)
        if m:
            as_array = E.from_ints(pt)  # (d, m)
            assert E.to_ints(eq_table(F, as_array)) == eq


def test_mle_rejects_wrong_point_length():
    F = get_field("m31")
    with pytest.raises(ValueError):
        mle_evaluate(F, F.array([1, 2, 3, 4]), [F.ext.scalar(1)])


def test_unknown_field():
    with pytest.raises(ValueError):
        get_field("goldilocks")


def test_bn254_modulus_is_the_curve_order():
    """zkcc writes r out rather than import py_ecc's curve module for it; both must agree,
    and r must be the order of the curve's generator (r G = O)."""
    from py_ecc import bn128

    assert get_field("bn254").p == bn128.curve_order
    assert bn128.multiply(bn128.G1, get_field("bn254").p - 1) == bn128.neg(bn128.G1)
