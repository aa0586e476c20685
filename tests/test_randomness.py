"""The prover's randomness (zkcc/runtime/randomness.py) and `zkcc prove --seed`."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from helpers import EXAMPLES, ROOT

from zkcc.runtime.randomness import Randomness

ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]


def test_seeded_sources_are_reproducible_and_separated_by_label():
    a, b = Randomness(7).source("groth16/1"), Randomness(7).source("groth16/1")
    xs = [a.randbelow(1 << 254) for _ in range(20)]
    assert xs == [b.randbelow(1 << 254) for _ in range(20)]
    other = Randomness(7).source("groth16/2")
    assert xs != [other.randbelow(1 << 254) for _ in range(20)]
    assert xs != [Randomness(8).source("groth16/1").randbelow(1 << 254) for _ in range(20)]
    with pytest.raises(ValueError):
        Randomness(1 << 64)


def test_seeded_randbelow_is_in_range_and_roughly_uniform():
    src = Randomness(3).source("uniform")
    n, draws = 10, 20000
    counts = Counter(src.randbelow(n) for _ in range(draws))
    assert set(counts) == set(range(n))
    chi2 = sum((c - draws / n) ** 2 / (draws / n) for c in counts.values())
    assert chi2 < 40  # 9 degrees of freedom: p ~ 1e-5
    assert all(0 <= src.randbelow(3) < 3 for _ in range(200))
    with pytest.raises(ValueError):
        src.randbelow(0)


def _prove(plan, out, *extra):
    inputs = EXAMPLES / "poseidon_bn254_groth16" / "inputs.json"
    r = subprocess.run(
        [*ZKCC, "prove", str(plan), "-i", str(inputs), "-o", str(out), "-q", *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


@pytest.mark.slow
def test_seed_makes_a_groth16_proof_reproducible(tmp_path):
    src = EXAMPLES / "poseidon_bn254_groth16" / "poseidon_bn254_groth16.zkcu"
    plan = tmp_path / "p.zkplan"
    for cmd in (["compile", str(src), "-o", str(plan)], ["setup", str(plan), "-q"]):
        subprocess.run([*ZKCC, *cmd], check=True, capture_output=True, cwd=ROOT)
    seeded = [_prove(plan, tmp_path / f"s{i}.zkproof", "--seed", "5") for i in range(2)]
    assert seeded[0] == seeded[1]
    assert _prove(plan, tmp_path / "t.zkproof", "--seed", "6") != seeded[0]
    fresh = [_prove(plan, tmp_path / f"f{i}.zkproof") for i in range(2)]
    assert fresh[0] != fresh[1] and seeded[0] not in fresh
    limited = _prove(plan, tmp_path / "m.zkproof", "--seed", "5", "--mem-limit", "4G")
    assert limited == seeded[0]
    for name in ("s0", "t", "f0"):
        ok = subprocess.run(
            [*ZKCC, "verify", str(plan), str(tmp_path / f"{name}.zkproof")],
            capture_output=True,
            cwd=ROOT,
        )
        assert ok.returncode == 0
    bad = subprocess.run(
        [*ZKCC, "prove", str(plan), "-i", "x.json", "--seed", "-1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "--seed" in bad.stderr and "Traceback" not in bad.stderr
