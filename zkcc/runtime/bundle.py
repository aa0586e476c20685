"""The proof file: a zkcc tree (zkcc/encoding.py) behind the magic `ZKPF`.

    {
      "plan_digest": 32 bytes,            SHA-256 of the plan file the proof is for
      "public":      {tensor: bytes},     encoded values of every public input and output
      "commitments": {bin: bytes},        PCS commitment of each bin of private tables
                                          (zkcc/runtime/packing.py: private, hint and mask
                                          tensors packed side by side)
      "steps":       [step proof],        per host step: a GKR proof, or {"value": v} (assert_eq)
      "opening":     tree,                one PCS opening of all claims on committed tensors
    }

The reader checks the key sets, every length against the plan, and leaves the cryptographic
checks to the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkcc.encoding import Schema, Tree, decode, encode
from zkcc.errors import FormatError

MAGIC = b"ZKPF"
VERSION = 11  # 2: GKR sumchecks bind gate bits top down, then instance bits bottom up
# 3: m31 challenges drawn from QM31 (degree 4) instead of the cubic extension
# 4: Ligero openings hiding (padded rows, salted leaves, mask matrix) or plain per the plan
# 5: one zeta per opening; hidden claims linked by relations (assert_eq of committed tensors)
# 6: private tables packed into shared commitments (zkcc/runtime/packing.py), keyed pcs#k
# 7: lookups of zero-knowledge plans: a second commitment round, pcs2#k, after the lookup
#    challenges (zkcc/runtime/zk_lookups.py)
# 8: a hiding opening combines all its claims into one masked column sumcheck per group
#    (three mask rows per table, whatever its claims; no per-claim or hidden values sent)
# 9: a hiding opening groups tables by code, so tables of different row counts share one
#    group's test and evaluation vectors (zkcc.pcs.ligero_params.opening_groups)
# 10: sumcheck rounds (GKR, its zero-knowledge reduction, the opening's column sumcheck) send
#    h(0), h(2), ...: h(1) is the running claim minus h(0) (zkcc.field.rounds.with_h1)
# 11: a zero-knowledge GKR layer sends one mask part (sigma) instead of each phase's G, gamma
#    and kappa: the masks sum to zero and phase 2's part is derived; the mask reduction is a
#    masked sumcheck over a table without slack, its masks in a second table with slack
#    (zkcc/backends/gkr/zk.py)
KEYS = {"plan_digest", "public", "commitments", "steps", "opening"}


@dataclass
class ProofBundle:
    plan_digest: bytes
    public: dict[str, bytes]
    commitments: dict[str, bytes]
    steps: list[Tree]
    opening: Tree

    def to_bytes(self) -> bytes:
        return encode(
            MAGIC,
            VERSION,
            {
                "plan_digest": self.plan_digest,
                "public": self.public,
                "commitments": self.commitments,
                "steps": self.steps,
                "opening": self.opening,
            },
        )

    @staticmethod
    def from_bytes(data: bytes, what: str = "proof") -> tuple[ProofBundle, Schema]:
        """Parse the container; returns the bundle and a Schema for typed access to parts."""
        version, tree = decode(data, MAGIC, VERSION, what)
        if version != VERSION:
            raise FormatError(
                f"{what}: proof format version {version} was written by an older zkcc (its "
                f"openings and challenges differ from version {VERSION}'s); prove again with "
                "this one"
            )
        s = Schema(tree, what)
        s.dict(KEYS)
        return ProofBundle(
            plan_digest=s.field("plan_digest").bytes(length=32),
            public={k: v.bytes() for k, v in _items(s.field("public"))},
            commitments={k: v.bytes(length=32) for k, v in _items(s.field("commitments"))},
            steps=[x.tree for x in s.field("steps").list(0, 1 << 20)],
            opening=s.field("opening").tree,
        ), s


def _items(s: Schema) -> list[tuple[str, Schema]]:
    return [(k, s.field(k)) for k in s.dict()]
