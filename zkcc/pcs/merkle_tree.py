"""SHA-256 Merkle tree over fixed-size leaves, with compact multi-openings.

Leaves are the rows of a 2-d byte matrix (a tensor code's encoded columns, each a few KiB), so
the one hashlib call per leaf costs ~1 µs of Python next to the ~2 µs/KiB of hashing itself:
for leaves of >= 1 KiB the per-leaf overhead is negligible and the tree runs near sha256's
streaming speed. Small leaves (tiny tensors) are also correct, only slower per byte. Internal
nodes are one call per node (2^depth - 1 calls of 64 bytes each).

    leaf hash  = H(0x00 || prefix || leaf)        (prefix binds the tree's shape and field)
    node hash  = H(0x01 || left || right)

Multi-opening of a sorted set of distinct leaf indices: walking up level by level, a node whose
sibling is not itself known (opened or computed) costs one 32-byte hash in the proof, in that
order. The verifier derives the same schedule from the indices, so the exact number of hashes
is known in advance and any other length is malformed.
"""

from __future__ import annotations

import hashlib

import numpy as np

from zkcc.errors import FormatError, ProofRejected

HASH_LEN = 32
_GIL_FREE = 2048  # hashlib hashes buffers of this size with the GIL released


def _hash_range(base, mv: memoryview, L: int, salts, tails, i0: int, i1: int) -> list[bytes]:
    out = []
    for i in range(i0, i1):
        h = base.copy()
        if salts is not None:
            h.update(salts[i])
        h.update(mv[i * L : (i + 1) * L])
        if tails is not None:
            h.update(tails[i])
        out.append(h.digest())
    return out


def hash_leaves(
    prefix: bytes,
    leaves: np.ndarray,
    salts: np.ndarray | None = None,
    tails: np.ndarray | None = None,
) -> list[bytes]:
    """Leaf hashes of the rows of a (n, L) uint8 array (one hashlib call per leaf), each
    SHA-256(0x00 || prefix || [salt_i ||] row_i [|| tail_i]): the salts (n, S) and tails
    (n, T) uint8 are fed to the hash, not copied beside the rows.

    Leaves of >= 2 KiB are split over the small thread pool: hashlib releases the GIL while
    it hashes a buffer of that size, so two cores hash two ranges at once."""
    from zkcc.field.m31_kernels import _THREADS, run_chunks

    base = hashlib.sha256(b"\x00" + prefix)
    leaves = np.ascontiguousarray(leaves)
    mv = memoryview(leaves).cast("B")
    n, L = leaves.shape
    heads = None if salts is None else [bytes(x) for x in np.ascontiguousarray(salts)]
    ends = None if tails is None else [bytes(x) for x in np.ascontiguousarray(tails)]
    if L < _GIL_FREE or n < 64:
        return _hash_range(base, mv, L, heads, ends, 0, n)
    parts = run_chunks(
        lambda i0, i1: _hash_range(base, mv, L, heads, ends, i0, i1), n, -(-n // (2 * _THREADS))
    )
    return [h for part in parts for h in part]


def _parents(level: list[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]


class MerkleTree:
    """All levels of a tree over 2^depth leaves; levels[0] are leaf hashes, levels[-1] the root."""

    def __init__(self, prefix: bytes, leaves: np.ndarray) -> None:
        self._build(hash_leaves(prefix, leaves))

    @classmethod
    def from_leaf_hashes(cls, hashes: list[bytes]) -> MerkleTree:
        """The tree over leaves hashed elsewhere (block by block, `hash_leaves`)."""
        tree = cls.__new__(cls)
        tree._build(hashes)
        return tree

    def _build(self, hashes: list[bytes]) -> None:
        n = len(hashes)
        if n < 1 or n & (n - 1):
            raise ValueError("a Merkle tree needs a power-of-two number of leaves")
        self.levels = [hashes]
        while len(self.levels[-1]) > 1:
            self.levels.append(_parents(self.levels[-1]))

    @property
    def leaves(self) -> int:
        return len(self.levels[0])

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def open(self, indices: list[int]) -> bytes:
        """Sibling hashes for the sorted distinct `indices`, concatenated in schedule order."""
        out = []
        known = sorted(set(indices))
        for level in self.levels[:-1]:
            kset = set(known)
            for i in known:
                if i ^ 1 not in kset:
                    out.append(level[i ^ 1])
            known = sorted({i >> 1 for i in known})
        return b"".join(out)


def proof_hash_count(depth: int, indices: list[int]) -> int:
    """How many sibling hashes `MerkleTree.open` emits for these indices."""
    count, known = 0, sorted(set(indices))
    for _ in range(depth):
        kset = set(known)
        count += sum(1 for i in known if i ^ 1 not in kset)
        known = sorted({i >> 1 for i in known})
    return count


def verify_multi(
    root: bytes, depth: int, prefix: bytes, indices: list[int], leaves: np.ndarray, proof: bytes
) -> None:
    """Recompute the root from opened leaves (rows of `leaves`, one per sorted index) and the
    multi-opening; ProofRejected if it differs, FormatError if the proof has the wrong size."""
    if indices != sorted(set(indices)) or any(i < 0 or i >= 1 << depth for i in indices):
        raise ValueError("indices must be sorted, distinct and in range")
    if len(proof) != HASH_LEN * proof_hash_count(depth, indices):
        raise FormatError("Merkle multi-opening has the wrong number of hashes")
    nodes = dict(zip(indices, hash_leaves(prefix, leaves), strict=True))
    pos = 0
    for _ in range(depth):
        nxt = {}
        for i in sorted(nodes):
            sib = i ^ 1
            if sib in nodes:
                h_sib = nodes[sib]
            else:
                h_sib = proof[pos : pos + HASH_LEN]
                pos += HASH_LEN
            left, right = (nodes[i], h_sib) if i % 2 == 0 else (h_sib, nodes[i])
            nxt[i >> 1] = hashlib.sha256(b"\x01" + left + right).digest()
        nodes = nxt
    if nodes.get(0) != root:
        raise ProofRejected("Merkle opening does not lead to the committed root")
