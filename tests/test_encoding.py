"""The plan/proof container codec: canonical round trips and strict rejection."""

import random

import pytest

from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError

MAGIC = b"TEST"


def random_tree(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-(1 << 300), 1 << 300)
    if kind == 3:
        return rng.randbytes(rng.randrange(40))
    if kind == 4:
        return "".join(rng.choice("abcé€z") for _ in range(rng.randrange(10)))
    if kind == 5:
        return rng.randrange(-5, 300)
    if kind == 6:
        return [random_tree(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {f"k{rng.randrange(100)}": random_tree(rng, depth + 1) for _ in range(rng.randrange(5))}


@pytest.mark.parametrize("seed", range(30))
def test_round_trip_is_canonical(seed):
    rng = random.Random(seed)
    tree = random_tree(rng)
    data = encode(MAGIC, 3, tree)
    version, back = decode(data, MAGIC, 3, "t")
    assert version == 3 and back == tree
    assert encode(MAGIC, 3, back) == data


def test_dict_order_does_not_change_bytes():
    assert encode(MAGIC, 1, {"a": 1, "b": 2}) == encode(MAGIC, 1, {"b": 2, "a": 1})


@pytest.mark.parametrize(
    "data, message",
    [
        (b"NOPE\x01\x00", "not a zkcc file"),
        (MAGIC + b"\x09\x00", "unsupported format version"),
        (MAGIC + b"\x01\x00\x00", "trailing"),
        (MAGIC + b"\x01\x05\x10ab", "exceeds"),
        (MAGIC + b"\x01\x07\xff\xff\x03", "cannot fit"),
        (MAGIC + b"\x01\x2a", "unknown tag"),
        (MAGIC + b"\x01\x08\x02\x06\x01b\x00\x06\x01a\x00", "strictly increasing"),
        (MAGIC + b"\x01\x06\x02\xff\xfe", "UTF-8"),
        (MAGIC + b"\x01\x03\x80\x00", "non-canonical"),
        (MAGIC + b"\x01", "unexpected end"),
    ],
)
def test_malformed_input_is_rejected(data, message):
    with pytest.raises(FormatError, match=message):
        decode(data, MAGIC, 1, "t")


def test_every_truncation_is_rejected():
    data = encode(MAGIC, 1, {"a": [1, b"xyz", "s", None, -7], "b": {"c": True}})
    for cut in range(len(data)):
        with pytest.raises(FormatError):
            decode(data[:cut], MAGIC, 1, "t")


def test_schema_checks_types_and_bounds():
    s = Schema({"n": 5, "b": b"ab", "l": [1, 2]}, "root")
    assert s.field("n").int(0, 10) == 5
    with pytest.raises(FormatError, match=r"root\.n: integer 5 outside"):
        s.field("n").int(0, 4)
    with pytest.raises(FormatError, match="expected 3 bytes"):
        s.field("b").bytes(length=3)
    with pytest.raises(FormatError, match="missing field"):
        s.field("zz")
    with pytest.raises(FormatError, match="list length"):
        s.field("l").list(3)
    with pytest.raises(FormatError, match="unexpected"):
        s.dict({"n", "b"})


def test_a_file_of_another_kind_is_named_as_what_it_is():
    plan = encode(b"ZKPL", 1, {})
    with pytest.raises(FormatError, match=r"^p: this is a plan \(from zkcc compile\), not a proof"):
        decode(plan, b"ZKPF", 1, "p")
    with pytest.raises(FormatError, match=r"^k: not a proof \(from zkcc prove\) \(no zkcc file"):
        decode(b"\x7fELF\x02\x01", b"ZKPF", 1, "k")


def test_file_kinds_name_every_zkcc_file_magic():
    """FILE_KINDS spells the magics again (encoding.py is below the modules that own them):
    they must stay the same bytes."""
    from zkcc.encoding import FILE_KINDS
    from zkcc.plan.plan import MAGIC as PLAN_MAGIC
    from zkcc.runtime.bundle import MAGIC as PROOF_MAGIC
    from zkcc.runtime.keyfiles import PK_MAGIC, VK_MAGIC

    assert set(FILE_KINDS) == {PLAN_MAGIC, PROOF_MAGIC, PK_MAGIC, VK_MAGIC}
    assert FILE_KINDS[PLAN_MAGIC].startswith("a plan") and FILE_KINDS[VK_MAGIC].startswith("a ver")


def test_a_tree_of_tiny_values_is_refused_before_it_is_built():
    """20 MB of empty lists decoded into 10 million Python lists (770 MB) before any schema
    check; a file now holds at most VALUE_FLOOR + len // BYTES_PER_VALUE values, which every
    real file is far below (tests/test_plan_load.py and the examples load)."""
    from zkcc.encoding import BYTES_PER_VALUE, VALUE_FLOOR

    n = 20_000
    data = encode(b"ZKPF", 1, [[] for _ in range(n)])
    assert n > VALUE_FLOOR + len(data) // BYTES_PER_VALUE
    with pytest.raises(FormatError, match=r"more than \d+ values in \d+ bytes"):
        decode(data, b"ZKPF", 1, "proof")
    fits = encode(b"ZKPF", 1, [[] for _ in range(VALUE_FLOOR // 2)])
    assert len(decode(fits, b"ZKPF", 1, "proof")[1]) == VALUE_FLOOR // 2
