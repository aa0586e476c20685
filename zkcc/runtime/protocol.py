"""The transcript steps prover and verifier share, so the two cannot drift apart.

Order (DESIGN.md, "Proving a program"): domain tag and format version, plan digest, every public
tensor, every commitment (the tensor commitments, one per bin of zkcc/runtime/packing.py, then
each Groth16 launch's commitment D and its proof of knowledge); only then the first challenge.
A zero-knowledge plan with lookups then draws each launch's lookup challenges and absorbs the
second round's commitments (zkcc/runtime/zk_lookups.py) before the first step is proved.
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
    absorb_commitments(t, commitments)
    for i, c in sorted((launch_commitments or {}).items()):
        t.absorb(f"groth16-commit:{i}", c)
    return t


def absorb_commitments(t: Transcript, commitments: list[tuple[str, bytes]]) -> None:
    """Tensor commitments, one per bin of zkcc/runtime/packing.py, in bin order (the second
    round's after the lookup challenges of a zero-knowledge plan, zkcc/runtime/zk_lookups.py)."""
    for name, commitment in commitments:
        t.absorb(f"commit:{name}", commitment)


def step_label(i: int) -> bytes:
    return i.to_bytes(4, "little")
