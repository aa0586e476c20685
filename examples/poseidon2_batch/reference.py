"""Poseidon2 over Mersenne-31, width 16, in plain Python: the answer the circuit must match.

The permutation of the Poseidon2 paper (Grassi, Khovratovich, Schofnegger 2023) as Plonky3
instantiates it for M31 (x^5 S-box, 4 + 4 full rounds, 14 partial rounds; external layer M4 on
each block of 4 then the column sums; internal layer s_i <- sum(s) + d_i s_i). The round
constants are read from stdlib/poseidon2_m31_constants.zkcu, the file the circuit includes, and
`self_test` checks the permutation against Plonky3's published vector, so a wrong table there
shows up here too. Written independently of stdlib/poseidon2_m31.zkcu.
"""

from __future__ import annotations

import re
from pathlib import Path

P = (1 << 31) - 1
CONSTANTS = Path(__file__).resolve().parents[2] / "stdlib" / "poseidon2_m31_constants.zkcu"
M4 = [[2, 3, 1, 1], [1, 2, 3, 1], [1, 1, 2, 3], [3, 1, 1, 2]]
DIAG = [P - 2] + [1 << k for k in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16)]

# Plonky3, mersenne-31/src/poseidon2.rs, test `test_poseidon2_width_16_random`.
VECTOR_IN = [
    894848333, 1437655012, 1200606629, 1690012884, 71131202, 1749206695, 1717947831, 120589055,
    19776022, 42382981, 1831865506, 724844064, 171220207, 1299207443, 227047920, 1783754913,
]  # fmt: skip
VECTOR_OUT = [
    1124552602, 2127602268, 1834113265, 1207687593, 1891161485, 245915620, 981277919, 627265710,
    1534924153, 1580826924, 887997842, 1526280482, 547791593, 1028672510, 1803086471, 323071277,
]  # fmt: skip


def _table(name: str) -> list[int]:
    text = CONSTANTS.read_text()
    m = re.search(rf"const int {name}\[[^=]*=\s*\{{(.*?)\}};", text, re.S)
    if m is None:
        raise ValueError(f"{CONSTANTS}: no table {name}")
    body = re.sub(r"//[^\n]*", "", m.group(1))
    return [int(tok) for tok in re.findall(r"\d+", body)]


_flat = _table("POSEIDON2_M31_RC_FULL")
RC_FULL = [_flat[16 * r : 16 * r + 16] for r in range(len(_flat) // 16)]
RC_PARTIAL = _table("POSEIDON2_M31_RC_PARTIAL")


def external(s: list[int]) -> list[int]:
    """M4 on each block of 4, then every element adds the sum of its column over the blocks."""
    y = [sum(M4[i][j] * s[4 * b + j] for j in range(4)) for b in range(4) for i in range(4)]
    cols = [sum(y[4 * b + i] for b in range(4)) for i in range(4)]
    return [(y[k] + cols[k % 4]) % P for k in range(16)]


def permute(state: list[int]) -> list[int]:
    s = external([x % P for x in state])
    half = len(RC_FULL) // 2
    for rc in RC_FULL[:half]:
        s = external([pow(x + c, 5, P) for x, c in zip(s, rc, strict=True)])
    for c in RC_PARTIAL:
        s[0] = pow(s[0] + c, 5, P)
        total = sum(s)
        s = [(total + d * x) % P for x, d in zip(s, DIAG, strict=True)]
    for rc in RC_FULL[half:]:
        s = external([pow(x + c, 5, P) for x, c in zip(s, rc, strict=True)])
    return s


def compress(a: list[int], b: list[int]) -> list[int]:
    """2-to-1 compression of 8-element digests: the first 8 elements of permute(a || b)."""
    return permute(list(a) + list(b))[:8]


def self_test() -> None:
    if len(RC_FULL) != 8 or len(RC_PARTIAL) != 14:
        raise ValueError(f"{CONSTANTS}: {len(RC_FULL)} full, {len(RC_PARTIAL)} partial rounds")
    if permute(VECTOR_IN) != VECTOR_OUT:
        raise ValueError("permute does not match Plonky3's test vector")
