"""The default suite's slice of the fuzzers in tests/fuzz (docs/fuzzing.md).

Every target runs a fixed number of derandomized hypothesis cases, the same ones on every run,
so a failure here is reproducible and hypothesis shrinks it to a small Case before reporting.
The long, randomized runs are `make fuzz`. The slice keeps to the cheap seeds (the dot and
Groth16 proofs) so that it stays well under a minute on two cores; the machinery itself (raw
encoder, mutations, classification, the runner) is tested directly below.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from fuzz import mutate as m
from fuzz import run as fuzz_run
from fuzz.harness import ACCEPTED, REFUSED, REJECTED, Finding, classify
from fuzz.targets import Inputs, Keys, Plans, Proofs, Sources, Target
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError


def _slice(target: Target, examples: int) -> None:
    """Fuzz `target` with `examples` derandomized cases; a Finding fails the test."""
    target.check_seeds()

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy())
    def case(c: m.Case) -> None:
        target.check(c)

    case()


@pytest.mark.slow  # the default run keeps the inputs slice; `make fuzz` runs them all
def test_fuzz_sources_slice():
    _slice(Sources(), 80)


@pytest.mark.slow
def test_fuzz_plans_slice():
    _slice(Plans(), 200)


def test_fuzz_proofs_slice():
    _slice(Proofs(seeds=("dot.zkproof", "poseidon_bn254_groth16.zkproof")), 50)


def test_fuzz_keys_slice():
    _slice(Keys(), 100)


def test_fuzz_inputs_slice():
    _slice(Inputs(), 150)


# -- the machinery --------------------------------------------------------------------------------

trees = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.binary(max_size=8)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(trees)
def test_raw_encode_is_the_canonical_encoding(tree):
    """On canonical trees the fuzzers' raw writer must agree with zkcc.encoding byte for byte,
    or tree mutations would test the writer instead of the reader."""
    assert m.raw_encode(b"TEST", 1, tree) == encode(b"TEST", 1, tree)


def test_raw_encode_writes_what_the_decoder_refuses():
    unsorted = m.raw_encode(b"TEST", 1, m.RawDict([("b", 1), ("a", 2)]))
    twice = m.raw_encode(b"TEST", 1, m.RawDict([("a", 1), ("a", 2)]))
    deep = m.raw_encode(b"TEST", 1, m.apply_tree_op([0], ("tree", 1, "nest", 79)))
    for data, why in ((unsorted, "strictly increasing"), (twice, "strictly"), (deep, "deep")):
        with pytest.raises(FormatError, match=why):
            decode(data, b"TEST", 1, "t")


def test_byte_ops_replay_and_stay_in_range():
    seeds = {"a": bytes(range(10)), "b": b"xyz"}
    ops = [("flip", 12, 0), ("set", 3, 0xFF), ("insert", 99, b"!!"), ("delete", 0, 64)]
    ops += [("truncate", 5), ("copy", 1, 3, 0), ("varint", 1, 2**63), ("splice", "b", 2, 1)]
    for op in ops:
        assert m.apply_byte_op(seeds["a"], op, seeds) == m.apply_byte_op(seeds["a"], op, seeds)
    assert m.apply_byte_op(b"\x00\x00", ("flip", 3, 1), seeds) == b"\x00\x02"
    assert m.apply_byte_op(b"", ("flip", 3, 1), seeds) == b""
    assert m.leb128(300) == b"\xac\x02"


def test_dump_json_matches_json_and_keeps_raw_numbers():
    doc = {"a": [1, -2, "3"], "b": {"c": None, "d": True}, "e": 1.5}
    assert json.loads(m.dump_json(doc)) == doc
    assert m.dump_json([m.RawJSON("9" * 5000)]) == "[" + "9" * 5000 + "]"
    assert m.dump_json(m.RawDict([("w", 1), ("w", 2)])) == '{"w": 1, "w": 2}'
    assert m.dump_json(["\u00b2"]) == '["\\u00b2"]'


def test_npz_writer_round_trips():
    import io

    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    data = m.write_npz(m.npz_entries({"x": a}), 8)
    assert (np.load(io.BytesIO(data))["x"] == a).all()


def test_classify_maps_exceptions_like_the_cli():
    def boom():
        raise KeyError("x")

    def reject():
        raise ProofRejected("no")

    def refuse():
        raise UserError("f.zkproof: bad")

    assert classify(lambda: 1)[0] == ACCEPTED
    assert classify(reject)[0] == REJECTED
    assert classify(refuse, ("f.zkproof",))[0] == REFUSED
    with pytest.raises(Finding, match="internal error.*KeyError"):
        classify(boom)
    with pytest.raises(Finding, match="does not name the file"):
        classify(refuse, ("other.zkproof",))
    with pytest.raises(Finding, match="not one line"):
        classify(lambda: (_ for _ in ()).throw(UserError("f: a\nb")), ("f",))


def test_a_hang_is_a_finding():
    def spin():
        while True:
            pass

    with pytest.raises(Finding, match="timeout"):
        classify(spin, timeout=0.2)


def test_an_accepted_mutated_proof_is_a_finding(monkeypatch):
    """The soundness property itself: were verify to accept a changed proof, the target must
    report it (here verify is replaced by one that accepts everything)."""
    import zkcc.runtime.verifier

    target = Proofs(seeds=("dot.zkproof",))
    monkeypatch.setattr(zkcc.runtime.verifier, "verify", lambda *a, **k: {})
    with pytest.raises(Finding, match="accepted mutation"):
        target.check(m.Case("dot.zkproof", (("flip", 5000, 0),)))
    assert target.check(m.Case("dot.zkproof", (("copy", 0, 0, 0),))) == "unchanged"


def test_runner_writes_its_report(tmp_path, capsys):
    out = tmp_path / "fuzz.json"
    code = fuzz_run.main(
        ["--seconds", "1", "--target", "inputs", "--seed", "1", "--out", str(out)]
        + ["--findings", str(tmp_path / "found"), "--mem-gib", "0"]
    )
    report = json.loads(out.read_text())
    assert code == 0, capsys.readouterr().out
    (row,) = report["targets"]
    assert row["target"] == "inputs" and row["cases"] > 0 and row["findings"] == []
    assert "inputs" in capsys.readouterr().out
