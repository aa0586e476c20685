"""Fiat-Shamir transcript: determinism, binding, chaining, challenge ranges."""

from __future__ import annotations

import pytest

from zkcc.field import get_field
from zkcc.transcript import Transcript


def challenge_after(ops, domain=b"dom"):
    t = Transcript(domain)
    for label, data in ops:
        t.absorb(label, data)
    return t.challenge_bytes("c", 32)


def test_deterministic_and_domain_separated():
    assert challenge_after([("a", b"x")]) == challenge_after([("a", b"x")])
    assert challenge_after([("a", b"x")]) != challenge_after([("a", b"x")], domain=b"dom2")
    assert challenge_after([("a", b"x")]) != challenge_after([("b", b"x")])
    assert challenge_after([("a", b"x")]) != challenge_after([("a", b"y")])
    assert challenge_after([("a", b"x")]) != challenge_after([])


def test_length_prefixing_makes_concatenations_distinct():
    assert challenge_after([("a", b"bc")]) != challenge_after([("ab", b"c")])
    assert challenge_after([("a", b"b"), ("c", b"")]) != challenge_after([("a", b"bc")])
    assert challenge_after([("a", b"")]) != challenge_after([("", b"a")])


def test_challenges_chain():
    t = Transcript(b"d")
    c1 = t.challenge_bytes("c", 32)
    c2 = t.challenge_bytes("c", 32)
    assert c1 != c2
    u = Transcript(b"d")
    u.challenge_bytes("other", 32)  # a different earlier challenge changes later ones
    assert u.challenge_bytes("c", 32) != c2
    for n in (0, 1, 31, 33, 100):
        assert len(Transcript(b"d").challenge_bytes("c", n)) == n
    # a prefix of a longer squeeze is not the same as a shorter squeeze (n is bound)
    assert Transcript(b"d").challenge_bytes("c", 64)[:32] != Transcript(b"d").challenge_bytes(
        "c", 32
    )


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_field_challenges(name):
    F = get_field(name)
    E = F.ext
    t = Transcript(b"d")
    t.absorb_field("v", F, F.array([1, 2, 3]))
    t.absorb_ints("sizes", [3, 0, 2**64 - 1])
    xs = t.challenge_exts("x", F, 50)
    assert xs.shape == (E.degree, 50)
    flat = [c for e in E.to_ints(xs) for c in e]
    assert all(0 <= c < F.p for c in flat) and len(set(flat)) == len(flat)
    y = t.challenge_ext("y", F)
    assert y.shape == (E.degree,)
    u = Transcript(b"d")
    u.absorb_field("v", F, F.array([1, 2, 4]))
    u.absorb_ints("sizes", [3, 0, 2**64 - 1])
    assert not E.equal(u.challenge_exts("x", F, 50), xs)


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_one_challenge_is_the_batch_reading(name):
    """challenge_ext reduces its bytes with Python ints; challenge_exts with the field's array
    reduction (from_wide_bytes). From the same state they give the same element, of the
    same dtype, which is also the bytes' little-endian value mod p."""
    F = get_field(name)
    E = F.ext
    for k in range(20):
        a, b, c = Transcript(b"d"), Transcript(b"d"), Transcript(b"d")
        for t in (a, b, c):
            t.absorb_ints("k", [k])
        one, batch = a.challenge_ext(f"c{k}", F), b.challenge_exts(f"c{k}", F, 1)[:, 0]
        assert one.dtype == batch.dtype and E.equal(one, batch)
        raw = c.challenge_bytes(f"c{k}", E.degree * F.wide_len)
        w = F.wide_len
        want = [int.from_bytes(raw[i * w : (i + 1) * w], "little") % F.p for i in range(E.degree)]
        assert [int(x) for x in one.tolist()] == want


def test_absorb_ints_rejects_out_of_range():
    with pytest.raises(ValueError):
        Transcript(b"d").absorb_ints("n", [-1])
    with pytest.raises(ValueError):
        Transcript(b"d").absorb_ints("n", [2**64])
