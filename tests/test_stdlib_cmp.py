"""The standard library's `cmp.zkcu` (comparisons on bounded values) and `bits.zkcu` (bit
operations on unsigned K-bit values).

Every function runs over many instances at once (witness generation, the circuit's own checks
included) and is held against plain Python ints on random and boundary inputs, in both fields
and at the widest types the field allows; the sorting network is checked on every 0/1 input
(the 0-1 principle: a comparator network that sorts those sorts everything); a prover whose
comparison or bit hints lie is refused; one program using both modules is proved and verified.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import forced_proof

from zkcc.driver import plan_program
from zkcc.errors import ProofRejected, WitnessError
from zkcc.field import get_field
from zkcc.frontend import check_source, compile_source
from zkcc.ir.kernel import HintKind, Op
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import witness as witness_module
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify
from zkcc.runtime.witness import run_kernel


def kernel(src: str):
    """The kernel `k` of a program that must compile without a diagnostic."""
    assert [d.format() for d in check_source(src, "t.zkcu")] == []
    return compile_source(src, "t.zkcu").kernels["k"]


def signed(F, xs: np.ndarray, n: int, unsigned: bool = False) -> list[list[int]]:
    """Field outputs as signed ints (or as the ints 0 .. p-1), one row per instance."""
    flat = [v if unsigned or v <= F.p // 2 else v - F.p for v in F.to_ints(xs.reshape(-1))]
    width = len(flat) // n
    return [flat[i * width : (i + 1) * width] for i in range(n)]


def draw_rows(k: int, n: int, width: int, seed: int) -> list[list[int]]:
    """Signed k-bit rows: uniform values with the type's ends, -1/0/1 and repeats mixed in."""
    rng = random.Random(seed)
    lo, hi = -(1 << (k - 1)), (1 << (k - 1)) - 1
    pool = [lo, lo + 1, -1, 0, 1, hi - 1, hi]
    rows = []
    for i in range(n):
        row = [
            rng.choice(pool) if rng.random() < 0.3 else rng.randint(lo, hi) for _ in range(width)
        ]
        if i % 3 == 0:
            row[rng.randrange(width)] = row[rng.randrange(width)]  # a tie
        if i % 7 == 0:
            row = sorted(row)
        rows.append(row)
    return rows


# ---- cmp.zkcu ------------------------------------------------------------------------------

CMP = """#pragma field {field}
#include <cmp.zkcu>
__global__ void k(const i{k} x[8], const i{k} b[8], field s[8], field z[17]) {{
    for (int i = 0; i < 8; i++) {{ s[i] = x[i]; }}
    sort(s);
    z[0] = sign(x[0]);
    z[1] = in_range(x[1], b[0], b[1]);
    z[2] = in_range(x[2], -3, 5);
    z[3] = max_of(x);
    z[4] = min_of(x);
    z[5] = argmin(x);
    z[6] = rank(x, b[2]);
    z[7] = is_sorted(x);
    z[8] = equal_arrays(x, b);
    field t[3];
    top_k(x, t);
    for (int i = 0; i < 3; i++) {{ z[9 + i] = t[i]; }}
    field v[8] = {{b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]}};
    cmp_swap(v, 6, 2);
    z[12] = v[2];
    z[13] = v[6];
    z[14] = max_of(s) < min_of(b);
    field one[1] = {{x[3]}};
    z[15] = argmin(one) + max_of(one) + is_sorted(one);
    z[16] = sign(x[4] - b[4]);
}}
__host__ void main(public field x[{n}][8], public field b[{n}][8],
                   public out field s[{n}][8], public out field z[{n}][17]) {{
    k<<<{n}>>>(x, b, s, z);
}}
"""


def cmp_reference(x: list[int], b: list[int]) -> tuple[list[int], list[int]]:
    top = sorted(x, reverse=True)[:3]
    v = list(b)
    v[6], v[2] = min(b[6], b[2]), max(b[6], b[2])  # min to i = 6, max to j = 2
    z = [
        (x[0] > 0) - (x[0] < 0),
        int(b[0] <= x[1] <= b[1]),
        int(-3 <= x[2] <= 5),
        max(x),
        min(x),
        x.index(min(x)),
        sum(v < b[2] for v in x),
        int(x == sorted(x)),
        int(x == b),
        *top,
        v[2],
        v[6],
        int(max(x) < min(b)),
        x[3] + 1,
        (x[4] > b[4]) - (x[4] < b[4]),
    ]
    return sorted(x), z


@pytest.mark.parametrize(("field", "k"), [("m31", 8), ("m31", 28), ("bn254", 64)])
def test_cmp_functions_match_python(field, k):
    """m31 i28: a difference of two i28 values is the widest the field can sign-test."""
    n = 300 if field == "m31" else 100
    F = get_field(field)
    xs = draw_rows(k, n, 8, seed=k)
    bs = draw_rows(k, n, 8, seed=k + 1)
    for i in range(0, n, 5):
        bs[i] = list(xs[i])  # equal arrays
    for i in range(1, n, 5):
        bs[i][0], bs[i][1] = sorted(bs[i][:2])  # a non-empty range for in_range
    kern = kernel(CMP.format(field=field, k=k, n=n))
    w = run_kernel(F, kern, [F.array(xs), F.array(bs), None, None], n)
    s, z = signed(F, w.outputs[2], n), signed(F, w.outputs[3], n)
    for i in range(n):
        assert (s[i], z[i]) == cmp_reference(xs[i], bs[i]), (i, xs[i], bs[i])


SORT = """#include <cmp.zkcu>
__global__ void k(const i2 x[{m}], field y[{m}], field c[1]) {{
    for (int i = 0; i < {m}; i++) {{ y[i] = x[i]; }}
    sort(y);
    c[0] = is_sorted(y);
}}
__host__ void main(public field x[{n}][{m}], public out field y[{n}][{m}],
                   public out field c[{n}][1]) {{
    k<<<{n}>>>(x, y, c);
}}
"""


@pytest.mark.parametrize("m", range(1, 13))
def test_sort_sorts_every_zero_one_input(m):
    """The 0-1 principle: a comparator network sorts every input iff it sorts every 0/1 one,
    so these 2^m instances prove sort<m> correct (N not a power of two included)."""
    n = 1 << m
    F = get_field("m31")
    rows = [[(r >> j) & 1 for j in range(m)] for r in range(n)]
    w = run_kernel(F, kernel(SORT.format(m=m, n=n)), [F.array(rows), None, None], n)
    assert signed(F, w.outputs[1], n) == [sorted(r) for r in rows]
    assert signed(F, w.outputs[2], n) == [[1]] * n


def test_sort_network_sizes():
    """Batcher's comparator counts (19 for 8, 63 for 16): one sign test of 3 bits each for
    i2 values, whose difference needs 2 bits and a sign."""
    for m, comparators in [(8, 19), (16, 63)]:
        src = SORT.format(m=m, n=2).replace("c[0] = is_sorted(y);", "c[0] = 0;")
        sign_bits = [
            ins for ins in kernel(src).instrs if ins.op is Op.HINT and ins.attr == ("bit", 2)
        ]
        assert len(sign_bits) == comparators


# ---- bits.zkcu -----------------------------------------------------------------------------

BITS = """#pragma field {field}
#include <bits.zkcu>
__global__ void k(const field a[2], field z[16]) {{
    z[0] = and_bits<{k}>(a[0], a[1]);
    z[1] = or_bits<{k}>(a[0], a[1]);
    z[2] = xor_bits<{k}>(a[0], a[1]);
    z[3] = not_bits<{k}>(a[0]);
    z[4] = shl<{k}, {s}>(a[0]);
    z[5] = shr<{k}, {s}>(a[0]);
    z[6] = rotl<{k}, {s}>(a[0]);
    z[7] = rotr<{k}, {s}>(a[0]);
    z[8] = popcount<{k}>(a[0]);
    z[9] = bit_reverse<{k}>(a[0]);
    z[10] = get_bit<{k}>(a[0], 0);
    z[11] = get_bit<{k}>(a[0], {k} - 1);
    z[12] = clz<{k}>(a[0]);
    z[13] = shl<{k}, {k}>(a[0]) + shr<{k}, {k}>(a[0]);
    z[14] = rotl<{k}, {k} + {s}>(a[1]);
    z[15] = popcount<{k}>(a[0]) < clz<{k}>(a[1]);
}}
__host__ void main(public field a[{n}][2], public out field z[{n}][16]) {{
    k<<<{n}>>>(a, z);
}}
"""


def bits_reference(a: int, b: int, k: int, s: int) -> list[int]:
    mask = (1 << k) - 1

    def rotl(x: int, r: int) -> int:
        r %= k
        return ((x << r) | (x >> (k - r))) & mask

    return [
        a & b,
        a | b,
        a ^ b,
        ~a & mask,
        (a << s) & mask,
        a >> s,
        rotl(a, s),
        rotl(a, k - s % k),
        bin(a).count("1"),
        int(format(a, f"0{k}b")[::-1], 2),
        a & 1,
        a >> (k - 1),
        k - a.bit_length(),
        0,
        rotl(b, s),
        int(bin(a).count("1") < k - b.bit_length()),
    ]


@pytest.mark.parametrize(
    ("field", "k", "s"), [("m31", 8, 3), ("m31", 30, 7), ("bn254", 64, 13), ("bn254", 253, 100)]
)
def test_bits_functions_match_python(field, k, s):
    """K = 30 on m31 and 253 on bn254 are to_bits' widest."""
    n = 300 if k <= 64 else 100
    F = get_field(field)
    rng = random.Random(k)
    ends = [0, 1, 2, (1 << k) - 1, (1 << k) - 2, 1 << (k - 1)]
    rows = [[rng.choice(ends), rng.choice(ends)] for _ in range(20)]
    rows += [[rng.getrandbits(k) >> rng.randrange(k), rng.getrandbits(k)] for _ in range(n - 20)]
    w = run_kernel(
        F,
        kernel(BITS.format(field=field, k=k, s=s, n=n)),
        [F.array(np.array(rows, dtype=object)), None],
        n,
    )
    z = signed(F, w.outputs[1], n, unsigned=True)
    for i, (a, b) in enumerate(rows):
        assert z[i] == bits_reference(a, b, k, s), (i, a, b)


def test_bits_results_have_ranges():
    """A result recomposed by bits_join fits its type with no further range check: storing
    popcount<8> in an i5 and comparing xor results adds only the comparison's bits."""
    src = """#include <bits.zkcu>
__global__ void k(const field a[2], i5 y[1], field c[1]) {
    y[0] = popcount<8>(a[0]);
    c[0] = xor_bits<8>(a[0], a[1]) < 200;
}
__host__ void main(public field a[2][2], public out field y[2][1], public out field c[2][1]) {
    k<<<2>>>(a, y, c);
}"""
    hints = [ins.attr for ins in kernel(src).instrs if ins.op is Op.HINT]
    # three 8-bit decompositions (a[0] twice: popcount and xor), a[1] once, and the 9 bits
    # of the sign test of xor - 200 (a range of -200 .. 55)
    assert len(hints) == 3 * 8 + 9


@pytest.mark.parametrize("value", [256, -1])
def test_bits_refuse_a_value_that_does_not_fit(value):
    F = get_field("m31")
    src = BITS.format(field="m31", k=8, s=3, n=1)
    with pytest.raises(WitnessError, match="to_bits: value .* does not fit in 8 bits"):
        run_kernel(F, kernel(src), [F.array([[value, 5]]), None], 1)


# ---- soundness: hints that lie are refused ----------------------------------------------------


def lying(monkeypatch, attr: tuple, where: str) -> None:
    """Witness generation that flips the bit hints with `attr` (kind, bit number) made by the
    standard-library file `where`: the sign bits of one width of comparison, or one bit of
    each decomposition. Inputs' range checks (made in the test's own file) stay honest."""
    real = witness_module._hint

    def flipped(F, kern, idx, hattr, x, vals, first):
        out = real(F, kern, idx, hattr, x, vals, first)
        locs = [kern.instrs[i].loc for i in idx]
        cols = [c for c, loc in enumerate(locs) if loc and loc.file.endswith(where)]
        if hattr == attr and cols:
            out[:, cols] = F.sub(F.ones((out.shape[0], len(cols))), out[:, cols])
        return out

    monkeypatch.setattr(witness_module, "_hint", flipped)


SOUND = """#pragma field {field}
#include <cmp.zkcu>
#include <bits.zkcu>
__global__ void k(const i8 x[4], field y[4], field c[2]) {{
    for (int i = 0; i < 4; i++) {{ y[i] = x[i]; }}
    sort(y);
    c[0] = argmin(x);
    c[1] = and_bits<8>(x[0] + 128, x[1] + 128);
}}
__host__ void main(private field x[4][4], public out field y[4][4], public out field c[4][2]) {{
    k<<<4>>>(x, y, c);
}}
"""
SOUND_X = [[5, -3, 7, 0], [-128, 127, 0, -128], [1, 1, 1, 1], [9, 8, 7, 6]]


def plan_of(src: str, backend: str | None) -> tuple[Plan, bytes]:
    data = plan_program(compile_source(src, "t.zkcu"), backend=backend).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


@pytest.mark.parametrize(
    ("attr", "where"),
    [((HintKind.BIT.value, 8), "cmp.zkcu"), ((HintKind.BIT.value, 3), "bits.zkcu")],
)
def test_lying_hints_fail_the_constraints(monkeypatch, attr, where):
    """Flipped sign bits of the i8 comparisons of sort and argmin (9-bit differences: bit 8),
    or bit 3 of and_bits' decompositions: the outputs change, and witness generation's check
    of the constraints refuses them."""
    F = get_field("m31")
    kern = kernel(SOUND.format(field="m31"))
    args = [F.array(SOUND_X), None, None]
    honest = run_kernel(F, kern, args, 4)
    assert signed(F, honest.outputs[1], 4) == [sorted(r) for r in SOUND_X]
    lying(monkeypatch, attr, where)
    with pytest.raises(WitnessError):
        run_kernel(F, kern, args, 4)
    monkeypatch.setattr(witness_module, "_check_constraints", lambda *a: None)
    lied = run_kernel(F, kern, args, 4)
    changed = [(lied.outputs[p] != honest.outputs[p]).any() for p in (1, 2)]
    assert changed == ([True, True] if where == "cmp.zkcu" else [False, True])


@pytest.mark.parametrize(
    ("field", "backend"), [("m31", None), pytest.param("bn254", "groth16", marks=pytest.mark.slow)]
)
def test_a_lying_sort_is_not_proved(monkeypatch, field, backend):
    """The honest proof verifies and publishes the sorted rows; a prover with flipped
    comparison bits is stopped by the circuit's checks, and a proof made with those checks
    switched off is rejected."""
    plan, digest = plan_of(SOUND.format(field=field), backend)
    F = get_field(field)
    inputs = {"x": F.array(SOUND_X).reshape(-1)}
    pks, vks = setup_plan(plan) if backend else (None, None)
    public = verify(plan, digest, prove(plan, digest, inputs, keys=pks).to_bytes(), keys=vks)
    assert signed(F, public["y"], 4) == [sorted(r) for r in SOUND_X]
    want_c = [[r.index(min(r)), (r[0] + 128) & (r[1] + 128)] for r in SOUND_X]
    assert signed(F, public["c"], 4) == want_c
    with monkeypatch.context() as m:
        lying(m, (HintKind.BIT.value, 8), "cmp.zkcu")
        m.setattr(witness_module, "_check_constraints", lambda *a: None)
        proof = forced_proof(m, plan, digest, inputs, backend, pks)
    with pytest.raises(ProofRejected):
        verify(plan, digest, proof, keys=vks)


# ---- the example of docs/language.md, proved -------------------------------------------------


def test_the_documented_example_proves_what_it_says(tmp_path):
    """The Standard library section's program (top_k, argmin, rotl and xor_bits), compiled,
    proved with zero knowledge and verified; its public outputs against Python."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text()
    (src,) = [b for b in re.findall(r"```zkcu\n(.*?)```", doc, re.S) if "rank_row" in b]
    plan, digest = plan_of(src, None)
    F = get_field("m31")
    xs = draw_rows(8, 64, 8, seed=5)
    public = verify(plan, digest, prove(plan, digest, {"x": F.array(xs).reshape(-1)}).to_bytes())

    def checksum(row: list[int]) -> int:
        h = 0
        for v in row:
            h = (((h << 5) | (h >> 11)) & 0xFFFF) ^ (v + 128)
        return h

    assert signed(F, public["best"], 64) == [sorted(r, reverse=True)[:3] for r in xs]
    assert signed(F, public["worst"], 64) == [[r.index(min(r))] for r in xs]
    assert signed(F, public["sum"], 64) == [[checksum(r)] for r in xs]
