"""The transcript steps prover and verifier share, so the two cannot drift apart.

Order (DESIGN.md, "Proving a program"): domain tag and format version, plan digest, every public
tensor, every commitment (the tensor commitments, one per bin of zkcc/runtime/packing.py, then
each Groth16 launch's commitment D and its proof of knowledge); only then the first challenge.
"""

from __future__ import annotations

from zkcc.runtime.bundle import VERSION
from zkcc.runtime.claims import TensorInfo
from zkcc.transcript import Transcript

DOMAIN = b"zkcc/proof"


def start_transcript(
    plan_digest: bytes,
    tensors: list[TensorInfo],
    public: dict[str, bytes],
    commitments: list[tuple[str, bytes]],
    launch_commitments: dict[int, bytes] | None = None,
) -> Transcript:
    t = Transcript(DOMAIN)
    t.absorb("format-version", VERSION.to_bytes(4, "little"))
    t.absorb("plan", plan_digest)
    for info in tensors:
        if info.public:
            t.absorb(f"public:{info.name}", public[info.name])
    for name, commitment in commitments:  # zkcc/runtime/packing.py: one per bin, in bin order
        t.absorb(f"commit:{name}", commitment)
    for i, c in sorted((launch_commitments or {}).items()):
        t.absorb(f"groth16-commit:{i}", c)
    return t


def step_label(i: int) -> bytes:
    return i.to_bytes(4, "little")
