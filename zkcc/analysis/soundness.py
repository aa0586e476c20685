"""The soundness error of a plan's proof, computed from its real parameters.

Each term bounds the probability that one protocol of the proof accepts a false statement
when its challenges are uniform in the challenge field E (QM31 for m31, |E| = p^4 ~ 2^124;
the base field for bn254). The plan's error is the union bound of the terms, reported in bits
(-log2 of the sum). The terms, with their sources:

* Sumcheck over v rounds of degree-d messages: v d / |E| [LFKN92; Thaler, "Proofs, Arguments,
  and Zero-Knowledge", Prop. 4.1].
* Data-parallel GKR (zkcc/backends/gkr): the output zero-check at a random point of the
  (w_out + n)-variate multilinear output, (w_out + n) / |E| (Schwartz–Zippel); per layer two
  sumchecks of w_in + n rounds of degree 2; per inner layer the random combination of its two
  claims, 1 / |E| [Thaler §4.6; Libra (XZZ+19) for the two-phase layer].
* assert_eq: both tables' multilinear extensions at one random point, v / |E| for v variables;
  when both sides are committed and the PCS hides, their claims are linked (zkcc.pcs.base
  Relation) and a false a - b = 0 survives the opening's alpha with 1 / |E|.
* Groth16 commit-and-prove link (docs/groth16.md): each committed boundary tensor's MLE at a
  random bn254 point, v / p (the mask wire, committed in D and in the PCS before the point,
  is a constant term of the difference polynomial, so the bound stays v / p); with a hiding
  PCS the linked claim T~(r) + M[j] = u survives the opening's alpha with 1 / |E|.
* LogUp without zero knowledge (zkcc/runtime/lookups.py): `logup_terms`. With zero knowledge
  (zkcc/runtime/zk_lookups.py, committed inverses): `hidden_logup_terms`, per table the
  zero denominators and the LogUp identity, (N_q + N_t) / |E| each, the components'
  weighing log2(d) / |E|, each check circuit's zero-knowledge GKR and its relations.
* Ligero (zkcc/pcs/ligero_params.py): per group of tables (of one shape; of one code when
  hiding), the proximity test (N / |E|)^tests, the column queries C(N - b, t) / C(N, t) (b
  from the distance N - C - pad, pad = 0 unless hiding) and the column sumcheck
  2 log2(C) / |E|. Plain: the
  two random combinations of its k claims (alpha before the column sumcheck, gamma after it)
  2k / |E|. Hiding, one combination of all claims and relations: alpha (a false claim or
  relation survives it with 1 / |E|), rho (the sumcheck masks' sum G is fixed before it) and
  zeta (u's mask value mu is fixed before it), 3 / |E|, alpha and rho counted per group (an
  over-count). A group opened directly is exact.

Computational assumptions are listed beside the bits, not folded into them: SHA-256 collision
resistance (Merkle roots, the Fiat–Shamir transcript), and for Groth16 knowledge soundness in
the generic group model over BN254 (about 100-bit security after the exTNFS attacks;
Barbulescu–Duquesne 2019). Fiat–Shamir keeps these bounds because every part is round-by-round
sound with the same per-round error (Canetti et al. 2019); a prover making 2^h hash queries
gains at most a factor 2^h.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkcc.field import get_field
from zkcc.pcs.ligero_params import (
    RATE_LOG,
    SECURITY_BITS,
    opening_groups,
    opens_directly,
    query_log2_error,
    table_shapes,
)

if TYPE_CHECKING:
    from zkcc.field.base import PrimeField
    from zkcc.plan.plan import Plan

TARGET_BITS = 100
HASH_ASSUMPTION = "SHA-256 collision resistance (Merkle roots, Fiat-Shamir transcript)"
GROTH16_ASSUMPTION = "Groth16 knowledge soundness over BN254 (generic group model, ~100-bit curve)"


@dataclass(frozen=True)
class Term:
    """One protocol's soundness error bound, as log2 of the probability."""

    part: str
    log2_error: float
    formula: str


@dataclass(frozen=True)
class Soundness:
    terms: tuple[Term, ...]
    assumptions: tuple[str, ...]

    @property
    def bits(self) -> float:
        """-log2 of the union bound over all terms (inf when nothing is probabilistic)."""
        total = math.fsum(2.0**t.log2_error for t in self.terms)
        return math.inf if total == 0 else -math.log2(total)

    def to_json(self) -> dict:
        return {
            "bits": None if math.isinf(self.bits) else round(self.bits, 2),
            "target_bits": TARGET_BITS,
            "terms": [
                {"part": t.part, "bits": round(-t.log2_error, 2), "formula": t.formula}
                for t in sorted(self.terms, key=lambda t: -t.log2_error)
            ],
            "assumptions": list(self.assumptions),
        }


def _log2_ratio(count: float, F: PrimeField) -> float:
    return math.log2(count) - F.ext.degree * math.log2(F.p)


def gkr_term(F: PrimeField, part: str, circuit, n_log2: int, zk=None) -> Term:
    """Plain: the output zero-check, each phase's rounds of degree 2, each inner layer's
    combination. Zero knowledge (`zk`, the launch's MaskLayout): each phase's rounds at their
    degrees (4 for a masked layer's last round, 1 for the w round), its rho (the mask's sum,
    0, is fixed by the committed table before rho, so a false claim survives one rho: 1), the
    lambda combination of the mask parts (1), their masked reduction sumcheck over the mask
    table (degree 2 per variable, and its rho: 1) and the plain one over the reduction's own
    masks (2 per variable) [Libra, XZZPS19, Thm 3]."""
    count = _gkr_count(circuit, n_log2, zk)
    formula = "(w_out + n + sum over layers of [2 * 2 (w_in + n) + 1]) / |E|"
    if zk is not None:
        formula = (
            "(w_out + n + sum over layers of [1 + sum over both phases of (round degrees + "
            "1 rho)] + 1 lambda + 2 * mask table variables + 1 rho + 2 * second mask table "
            "variables) / |E|"
        )
    return Term(part, _log2_ratio(count, F), f"{count} / |E|: {formula}")


@functools.lru_cache(maxsize=256)
def _gkr_count(circuit, n_log2: int, zk) -> int:
    """gkr_term's numerator: a walk over the layers, made once per kernel circuit, instance
    count and mask layout (a host loop launches one kernel thousands of times)."""
    count = circuit.width_log2(circuit.depth) + n_log2
    for i in range(circuit.depth):
        count += 1 if i > 0 else 0
        for phase in (1, 2):
            if zk is None:
                count += 2 * (circuit.width_log2(i) + n_log2)
            else:
                count += sum(zk.phases[(i, phase)].degrees) + 1
    if zk is not None:
        count += 1 + sum(zk.reduction.degrees) + 1 + 2 * zk.reduction_num_vars
    return count


def logup_terms(F: PrimeField, part: str, lookups) -> list[Term]:
    """Per table a launch looks up (zkcc/runtime/lookups.py): the LogUp identity
    sum 1/(alpha - enc(query)) = sum m_j/(alpha - enc(row_j)) with enc = (1 - beta) key +
    beta value. When some query is no row, clearing the denominators leaves a nonzero
    polynomial in (alpha, beta) of total degree at most 2 (N_q + N_t), which vanishes at the
    random (alpha, beta) w.p. at most 2 (N_q + N_t) / |E| [Schwartz-Zippel; Haböck 2022,
    Lemma 5]; and the two fractional-sum GKRs (zkcc.backends.gkr.fraction)."""
    from zkcc.backends.gkr.fraction import fraction_soundness

    out = []
    for (m_q, m_t), b in zip(lookups.tree_sizes(), lookups.layout.used(), strict=True):
        where = f"{part} lookups in table {b.table}"
        leaves = (1 << m_q) + (1 << m_t)
        formula = f"{2 * leaves} / |E|: 2 (N_q + N_t), the LogUp identity in (alpha, beta)"
        out.append(Term(f"{where} (LogUp)", _log2_ratio(2 * leaves, F), formula))
        for what, m in (("queries", m_q), ("table", m_t)):
            if m > 0:
                formula = "(1 + sum_k (3 k + 2)) / |E| over the tree's layers"
                out.append(Term(f"{where} ({what} GKR)", fraction_soundness(F, m), formula))
    return out


def hidden_logup_terms(F: PrimeField, part: str, hidden, linked: bool) -> list[Term]:
    """The lookups of a zero-knowledge launch (zkcc/runtime/zk_lookups.py,
    HiddenLookups): per table it looks up, with N_q = 2^(a + n) query entries (every site
    and instance of its block, padded ones too: each is a committed entry of h) and
    N_t = 2^bits rows,

    * zero denominators: every committed pair (key, value) and every row is fixed before
      alpha, and alpha - enc = 0 has probability 1 / |E| for each (alpha uniform, whatever
      beta is): N_q / |E| + N_t / |E|. Otherwise the check circuits force
      h = [real] / (alpha - enc) and g_j = m_j w_j with the public weights
      w_j = 1 / (alpha - enc(row_j)) the verifier computes;
    * the LogUp identity: with the denominators cleared, the difference of the two sums is
      a polynomial in alpha of degree below N_q + N_t over the distinct values
      enc = key + u value (u, QM31's generator, is not in F_p, so distinct base-field pairs
      stay distinct; over bn254 enc = key + beta value and the polynomial is in (alpha, beta),
      each alpha - enc of total degree 1), nonzero unless every query is a row counted by m
      [Haböck 2022, Lemma 5], so it vanishes w.p. at most (N_q + N_t) / |E|
      [Schwartz-Zippel];
    * the components' weighing: the relation checks sum_c eq(z, c) D_c = 0 for the sums'
      difference D in E (d base components); a nonzero D gives a nonzero multilinear
      polynomial in z of log2(d) variables: log2(d) / |E| (none for bn254, d = 1);
    * the sum relation (with a hiding PCS, `linked`): a false one survives the PCS's alpha,
      1 / |E|;

    and each check circuit: its zero-knowledge GKR (`gkr_term` with its mask layout) and
    with `linked` its two input relations, 2 / |E| (the PCS's alpha, each), as any launch's."""
    d = F.ext.degree
    lk = hidden.lookups
    out = []
    for b in hidden.used():
        where = f"{part} lookups in table {b.table}"
        n_q, n_t = 1 << (b.site_log2 + lk.n_log2), 1 << lk.tables[b.table].bits
        sizes = f"N_q = {n_q}, N_t = {n_t}"
        out.append(
            Term(
                f"{where} (zero denominators)",
                _log2_ratio(n_q + n_t, F),
                f"(N_q + N_t) / |E|, {sizes}",
            )
        )
        out.append(
            Term(
                f"{where} (LogUp)",
                _log2_ratio(n_q + n_t, F),
                f"(N_q + N_t) / |E|, {sizes}: the LogUp identity",
            )
        )
        if d > 1:
            z = int(math.log2(d))
            out.append(Term(f"{where} (components)", _log2_ratio(z, F), f"log2(d) = {z} / |E|"))
        if linked:
            out.append(Term(f"{where} (sum relation)", _log2_ratio(1, F), "1 / |E| (PCS alpha)"))
    for table, hc, _ in hidden.checks():
        what = f"{part} lookup check, {'queries' if table is None else f'table {table}'}"
        out.append(gkr_term(F, f"{what} (gkr)", hc.circuit, hc.n_log2, hc.layout))
        if linked:
            out.append(
                Term(f"{what} input relations", _log2_ratio(2, F), "2 / |E| (PCS alpha, each)")
            )
    return out


def point_term(F: PrimeField, part: str, num_vars: int, base_only: bool = False) -> Term:
    """A nonzero multilinear polynomial in v variables vanishes at a random point w.p. v/|S|."""
    size_log2 = math.log2(F.p) * (1 if base_only else F.ext.degree)
    v = max(1, num_vars)
    field = "p" if base_only else "|E|"
    return Term(part, math.log2(v) - size_log2, f"{v} / {field} (Schwartz-Zippel)")


def ligero_terms(
    F: PrimeField, tables: dict[str, int], claims: dict[str, int], hiding: bool = True
) -> list[Term]:
    """Terms of a Ligero opening: `tables` maps each committed table to its log2 size (all of
    them fix the shapes, ligero_params.table_shapes), `claims` to its number of claims; the
    groups are the opening's (ligero_params.opening_groups)."""
    claimed = {n: m for n, m in tables.items() if claims.get(n)}
    shapes = table_shapes(F, list(tables.values()), hiding, RATE_LOG, SECURITY_BITS)
    out = []
    for g in opening_groups(claimed, shapes):
        s, names = g.shape, g.tables
        part = f"ligero group {g.label} ({len(names)} tables)"
        if opens_directly(F, s, len(names)):
            continue
        k = sum(claims[n] for n in names)
        prox = s.tests * _log2_ratio(s.code_len, F)
        out.append(
            Term(
                f"{part}: proximity",
                prox,
                f"(N / |E|)^tests, N = 2^{s.code_log}, tests = {s.tests}",
            )
        )
        out.append(
            Term(
                f"{part}: queries",
                query_log2_error(s.col_log, s.rate_log, s.queries, s.pad),
                f"C(N - b, t) / C(N, t), t = {s.queries} columns of N = 2^{s.code_log}"
                + (f", distance N - C - {s.pad}" if s.pad else ""),
            )
        )
        if s.pad:  # one combination of every claim: alpha, rho (counted per group), zeta
            alg = 2 * s.col_log + 3
            formula = f"(2 * {s.col_log} + alpha + rho + zeta) / |E|"
        else:
            alg = 2 * k + 2 * s.col_log
            formula = f"(2 * {k} claims + 2 * {s.col_log}) / |E|"
        out.append(Term(f"{part}: claims", _log2_ratio(alg, F), formula))
    return out


def plan_soundness(plan: Plan) -> Soundness:
    """Every term of the plan's proof, from the same schedule the prover and verifier run."""
    from zkcc.runtime.groth16_launch import groth16_steps
    from zkcc.runtime.packing import bin_claim_counts, plan_bins
    from zkcc.runtime.steps import AssertEqStep, GkrStep, Groth16Step, claim_counts, schedule

    F = get_field(plan.field)
    g16 = frozenset(groth16_steps(plan))
    terms: list[Term] = []
    steps = schedule(plan, g16)
    for st in steps:
        if isinstance(st, GkrStep):
            part = f"launch {st.index} {st.kernel} (gkr)"
            terms.append(gkr_term(F, part, st.circuit, st.n_log2, st.layout))
            if st.layout is not None and plan.pcs == "ligero":
                terms.append(
                    Term(f"{part} input relations", _log2_ratio(2, F), "2 / |E| (PCS alpha, each)")
                )
            if st.hidden is not None:
                terms.extend(hidden_logup_terms(F, part, st.hidden, plan.pcs == "ligero"))
            elif st.lookups is not None:
                terms.extend(logup_terms(F, part, st.lookups))
        elif isinstance(st, AssertEqStep):
            terms.append(point_term(F, f"step {st.index} assert_eq", st.layout.num_vars))
            if st.linked and plan.pcs == "ligero" and plan.zk:
                part = f"step {st.index} assert_eq relation"
                terms.append(Term(part, _log2_ratio(1, F), "1 / |E| (PCS alpha)"))
        elif isinstance(st, Groth16Step):
            for c in st.boundary.committed:
                part = f"launch {st.index} {st.kernel} (groth16) link {c.param}"
                terms.append(point_term(F, part, c.layout.num_vars, base_only=True))
                if plan.pcs == "ligero" and plan.zk:
                    terms.append(Term(f"{part} relation", _log2_ratio(1, F), "1 / |E| (PCS alpha)"))
    first, second = plan_bins(plan, g16)
    bins = first + second
    claims = bin_claim_counts(bins, claim_counts(steps))
    if plan.pcs == "ligero":
        tables = {b.name: b.num_vars for b in bins}
        terms.extend(ligero_terms(F, tables, claims, hiding=plan.zk))
    assumptions = [HASH_ASSUMPTION] + ([GROTH16_ASSUMPTION] if g16 else [])
    return Soundness(tuple(terms), tuple(assumptions))
