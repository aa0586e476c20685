"""Data-parallel layered GKR backend: sumcheck, prover, verifier, proof format."""

from __future__ import annotations

from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit
from zkcc.backends.gkr.evaluate import evaluate_circuit, reference_evaluate
from zkcc.backends.gkr.proof import GKRProof, LayerProof, SegmentClaim
from zkcc.backends.gkr.prover import prove
from zkcc.backends.gkr.verifier import verify

__all__ = [
    "GKRProof",
    "InputSegment",
    "Layer",
    "LayerProof",
    "LayeredCircuit",
    "SegmentClaim",
    "evaluate_circuit",
    "prove",
    "reference_evaluate",
    "verify",
]
