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


def test_absorb_ints_rejects_out_of_range():
    with pytest.raises(ValueError):
        Transcript(b"d").absorb_ints("n", [-1])
    with pytest.raises(ValueError):
        Transcript(b"d").absorb_ints("n", [2**64])
