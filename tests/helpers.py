"""Shared test helpers: compile and prove an example in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zkcc.driver import compile_path
from zkcc.field import get_field
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.prover import prove

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())


@dataclass
class Proved:
    plan: Plan
    digest: bytes
    proof: bytes


def prove_example(name: str, pcs: str = "ligero") -> Proved:
    src = EXAMPLES / name / f"{name}.zkcu"
    plan_bytes = compile_path(src, pcs=pcs).to_bytes()
    plan = Plan.from_bytes(plan_bytes)
    digest = plan_digest(plan_bytes)
    F = get_field(plan.field)
    inputs = load_inputs(EXAMPLES / name / "inputs.json", plan.program, F)
    return Proved(plan, digest, prove(plan, digest, inputs).to_bytes())
