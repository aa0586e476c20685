"""Parameters of the Ligero-style tensor-code PCS, derived from a security level in bits.

Soundness (proven, unique-decoding regime). The committed table is an R x C matrix M; its rows
are encoded with a code of length N = C / rate and minimum distance d >= N - C (RS over bn254;
the circle code over m31, see zkcc.pcs.codes). Let e = floor((d - 1) / 2) < d / 2.

* Proximity test [AHIV17, Ligero, CCS'17 §4; analysed for RS codes in the unique-decoding
  regime by BCIKS20, "Proximity Gaps for Reed–Solomon Codes", FOCS'20, Thm 1.2 / its form for
  affine spaces, with error eps = N / |E|; the circle-code analogue is in HLP24, "Circle
  STARKs", §proximity gaps]. If the encoded matrix U is not e-close to the interleaved code,
  a random combination r^T U (r in E^R) is e-far from the code except with probability
  <= N / |E|. `tests` independent combinations are drawn in ONE challenge, so a cheating
  prover needs all of them to be bad: error (N / |E|)^tests. For m31, |E| = p^3 ~ 2^93 and
  N ~ 2^16, one test gives only ~2^-77, so two are drawn:

      tests = ceil(lambda / log2(|E| / N))

* Column queries. When r^T U is e-far, the honest-looking Enc(w) differs from it on >= e + 1
  of the N columns; when U is e-close but the evaluation vector u is wrong, Enc(u) differs
  from beta^T U on >= d - e >= e + 1 columns. Each of t uniform column queries (with
  replacement) misses with probability <= 1 - (e + 1) / N, so

      t = ceil(lambda / -log2(1 - (e + 1) / N))          (rate 1/4: (e+1)/N -> 3/8, t = 148)

* The conjectured regime (list decoding up to 1 - rate, t ~ lambda / log2(1 / rate)) would
  allow ~50 queries at rate 1/4; it is NOT used.

Algebraic parts (claim combination, the column sumcheck) have error ~ k / |E| and 2 log C / |E|
per proof, ~2^-88 for m31 — the same per-challenge level as zkcc's GKR over the cubic
extension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from zkcc.field.base import PrimeField

SECURITY_BITS = 100
RATE_LOG = 2  # rate 1/4


@dataclass(frozen=True)
class Shape:
    m: int
    row_log: int
    col_log: int
    rate_log: int
    queries: int
    tests: int

    @property
    def rows(self) -> int:
        return 1 << self.row_log

    @property
    def cols(self) -> int:
        return 1 << self.col_log

    @property
    def code_log(self) -> int:
        return self.col_log + self.rate_log

    @property
    def code_len(self) -> int:
        return 1 << self.code_log


def num_queries(col_log: int, rate_log: int, bits: int) -> int:
    """t = ceil(bits / -log2(1 - (e + 1) / N)), e = floor((d - 1) / 2), d = N - C."""
    N, C = 1 << (col_log + rate_log), 1 << col_log
    e = (N - C - 1) // 2
    return math.ceil(bits / -math.log2(1 - (e + 1) / N))


def num_tests(F: PrimeField, code_log: int, bits: int) -> int:
    """tests = ceil(bits / log2(|E| / N)): independent proximity combinations, one challenge."""
    per_test = F.ext.degree * math.log2(F.p) - code_log
    return math.ceil(bits / per_test)


def max_code_log(F: PrimeField) -> int:
    return 30 if F.name == "m31" else 28


def choose_shape(F: PrimeField, m: int, rate_log: int = RATE_LOG, bits: int = SECURITY_BITS):
    """The R x C split of a 2^m table minimising the estimated proof size."""
    best = None
    for row_log in range(m + 1):
        col_log = m - row_log
        if col_log + rate_log > max_code_log(F):
            continue
        t = num_queries(col_log, rate_log, bits)
        tests = num_tests(F, col_log + rate_log, bits)
        N = 1 << (col_log + rate_log)
        opened = min(t, N)
        size = (tests + 1) * (1 << col_log) * F.ext.byte_len + opened * (
            (1 << row_log) * F.byte_len + 32 * (col_log + rate_log)
        )
        if best is None or size < best[0]:
            best = (size, Shape(m, row_log, col_log, rate_log, t, tests))
    if best is None:
        raise ValueError(f"no code shape for a table of 2^{m} elements")
    return best[1]
