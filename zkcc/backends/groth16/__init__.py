"""Groth16 over BN254: R1CS -> QAP, setup (fresh or from a snarkjs .ptau), prover, verifier,
snarkjs JSON and iden3 .r1cs/.wtns interop. See docs/groth16.md.

    pk, vk = setup(r1cs)                      # or setup_from_ptau(r1cs, "pot15.ptau")
    proof = prove(pk, r1cs, witness)
    verify(vk, public_values, proof)          # True / False; malformed input raises FormatError
"""

from zkcc.backends.groth16.prover import Commitment, Proof, commit, prove
from zkcc.backends.groth16.ptau import setup_from_ptau
from zkcc.backends.groth16.r1cs import R1CS, Sparse
from zkcc.backends.groth16.setup import ProvingKey, VerifyingKey, setup
from zkcc.backends.groth16.verifier import verify

__all__ = [
    "Commitment",
    "commit",
    "Proof",
    "ProvingKey",
    "R1CS",
    "Sparse",
    "VerifyingKey",
    "prove",
    "setup",
    "setup_from_ptau",
    "verify",
]
