"""Linear-time sumcheck for sum_{b in {0,1}^m} f(b) g(b), f and g multilinear tables.

Variable order: a local round binds the TOP remaining index bit, so each table splits into
contiguous halves lo = t[:h], hi = t[h:] and folds to lo + r (hi - lo). Tables a worker holds
in the column order of zkcc/backends/gkr/shard.py make the top bit the canonical next variable
(a gate bit, then an instance bit from the lowest up); after the local rounds the workers
exchange their one-value-per-block tables and the remaining rounds bind block bits from the
lowest up. `mle_point` reorders the challenges to the mle convention (point[i] binds bit i).

Round message: the degree-2 round polynomial h(t) = sum_b f(t,b) g(t,b), sent as h(0), h(2).
The prover computes only h(0) = sum lo_f lo_g and the leading coefficient q = sum d_f d_g
(d = hi - lo); h(1) = claim - h(0) and h(2) = 2 h(1) - h(0) + 2 q follow. h(1) is not sent:
the verifier takes it from the running claim (zkcc.field.rounds.with_h1), which is the round
check h(0) + h(1) = claim made true by construction, so three values h(0), h(1), h(2) fix a
polynomial of degree <= 2 and the degree bound holds by the encoding. It draws r, sets
claim = h(r), and returns (point, claim) for the caller's final check f~(point) g~(point) ==
claim. Soundness is the usual sumcheck's: a wrong claim survives a round only where the sent
polynomial and the true one agree at r.

Zero knowledge (zkcc/backends/gkr/zk.py) adds a `RoundHook`: each round's message gains the
hook's polynomial (the masking polynomial's share, the hidden layer-mask terms) and may have a
higher degree; such a message is sent as h(0), h(2), ..., h(deg) and read the same way. The
prover builds every message as coefficients (the data part's h(0), b, q and the hook's), so
that its values are integer powers and h(r) is Horner's rule.

Arrays go through the field's array module (`E.xp`); round messages become bytes on the host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from zkcc.backends.gkr.shard import Collective, sum_over_workers
from zkcc.encoding import Schema, Tree
from zkcc.errors import ProofRejected
from zkcc.field import PrimeField
from zkcc.field.base import Array
from zkcc.field.ext import ExtField
from zkcc.field.rounds import (
    fold_halves,
    read_round,
    round_coefficients,
    round_sums,
    send_coefficients,
)
from zkcc.transcript import Transcript


@dataclass(frozen=True, eq=False)
class SumcheckProof:
    """Round messages as sent: rounds[j] is a (d, deg_j) extension array of h_j(0), h_j(2),
    ..., h_j(deg_j) (deg_j = 2 unless a zero-knowledge hook raised it); h_j(1) is the running
    claim minus h_j(0) (zkcc.field.rounds.with_h1), never sent."""

    E: ExtField = field(repr=False)
    rounds: tuple[Array, ...]

    def to_tree(self) -> Tree:
        return [self.E.encode(r) for r in self.rounds]

    @classmethod
    def from_tree(
        cls, schema: Schema, F: PrimeField, num_rounds: int, degrees: Sequence[int] | None = None
    ) -> SumcheckProof:
        """Parse exactly `num_rounds` messages, round j of degrees[j] encoded extension
        elements (default: degree 2 everywhere)."""
        E = F.ext
        degrees = [2] * num_rounds if degrees is None else list(degrees)
        if len(degrees) != num_rounds:
            raise ValueError("one degree per round")
        items = schema.list(num_rounds, num_rounds)
        raw = [s.bytes(length=d * E.byte_len) for s, d in zip(items, degrees, strict=True)]
        # one decode (and one canonical check) for every round: a deep circuit's proof has
        # tens of thousands of rounds, where a decode each was mostly numpy's per-call cost
        flat = E.decode(b"".join(raw), sum(degrees))
        ends = np.cumsum(degrees, dtype=np.int64).tolist()
        return cls(E, tuple(flat[:, e - d : e] for e, d in zip(ends, degrees, strict=True)))


class RoundHook(Protocol):
    """What a zero-knowledge sumcheck adds to each round (zkcc/backends/gkr/zk.py)."""

    def needs_sums(self, j: int) -> bool:
        """Whether `coefficients` needs the second table's half sums in round j."""
        ...

    def coefficients(
        self, j: int, challenges: list[Array], g_lo: Array | None, g_diff: Array | None
    ) -> list[list[int]]:
        """The coefficients (low first, D + 1 for round j's degree D, each d integers, reduced
        or not) of the polynomial added to round j's message, given the earlier challenges
        and (when needs_sums) sum lo_g and sum (hi_g - lo_g)."""
        ...


@dataclass(frozen=True, eq=False)
class SumcheckResult:
    """What the prover ends with: the proof, the point (mle order), f~(point), g~(point)."""

    proof: SumcheckProof
    point: list[Array]
    f_eval: Array
    g_eval: Array
    claim: Array


def hooked_coefficients(
    E: ExtField, extra: list[list[int]], h0: list[int], q: list[int] | None, claim: list[int]
) -> list[list[int]]:
    """A round's polynomial: the data part h0 + b t (+ q t^2 when q is given) plus a hook's
    polynomial `extra` (coefficients, low first, at least as many), b fixed by
    h(0) + h(1) = claim, where e(0) + e(1) = 2 e_0 + sum_(k >= 1) e_k. Coefficients unreduced
    (send_coefficients reduces what it sends), each a list of d Python ints (ExtField.mul_ints's
    form): a handful of scalars per round, where numpy's per-call cost would dominate."""
    first, at_one = extra[0], [sum(col) for col in zip(*extra, strict=True)]
    qs = q if q is not None else [0] * E.degree
    b = [c - 2 * a - z - x - y for c, a, z, x, y in zip(claim, h0, qs, first, at_one, strict=True)]
    out = [
        [a + x for a, x in zip(h0, first, strict=True)],
        [y + x for y, x in zip(b, extra[1], strict=True)],
    ]
    if q is not None:
        out.append([z + x for z, x in zip(q, extra[2], strict=True)])
    return out + extra[len(out) :]


def _as_ext(E: ExtField, t: Array) -> Array:
    return t if t.ndim == 2 else E.from_base(t)


def _half_sums(E: ExtField, g: Array) -> tuple[Array, Array]:
    """(sum lo, sum (hi - lo)) of a table laid out [lo | hi], before round_sums rewrites it."""
    h = g.shape[-1] // 2
    lo, hi = E.sum(_as_ext(E, g[..., :h])), E.sum(_as_ext(E, g[..., h:]))
    return lo, E.sub(hi, lo)


class TableStore:
    """Where a sumcheck keeps each part's tables between rounds: here, in memory. A subclass
    (zkcc/runtime/memory.py) writes them to files, so that only one part's tables are in
    memory at a time and a sumcheck over more data than memory streams once per round."""

    def __init__(self) -> None:
        self._tables: dict[int, tuple[Array, Array]] = {}

    def save(self, part: int, f: Array, g: Array) -> None:
        self._tables[part] = (f, g)

    def load(self, part: int) -> tuple[Array, Array]:
        return self._tables.pop(part)


@dataclass(frozen=True, eq=False)
class Outside:
    """A table's rows above its first `real` gate rows (of real << rounds), where g is zero and
    f takes one value per row, the same in every column: the zero-knowledge GKR's input layer,
    widened for its input mask (zkcc/backends/gkr/zk.py hiding_circuit), whose rows above the
    real input hold zeros and the broadcast mask, and which no gate reads. `values`: f on
    those rows, base (rows,) like the tables' f. A prover's tables then hold only the real
    rows, and the first `rounds` rounds (which bind the top gate bits) take the outside rows'
    part in closed form (SumcheckProver._outside_rounds): the messages are the same, with a
    table `rounds` times halved."""

    rounds: int
    real: int
    values: Array


class SumcheckProver:
    """Prover view: owns the tables, sends round messages, folds.

    The tables may come in `parts` (memory chunks, each a run of instance blocks, see
    zkcc/backends/gkr/shard.py), and with a communicator (`comm`) they are this worker's
    share: each local round's sums are added over the parts and the workers, then the folded
    tables (one value per block) are exchanged and `global_rounds` more rounds bind the block
    bits, least significant first, on the same small table everywhere. One pass over each
    part per round: fold with the last challenge, then the sums for the next message.
    """

    def __init__(
        self,
        F: PrimeField,
        transcript: Transcript,
        label: str,
        comm: Collective | None = None,
        hook: RoundHook | None = None,
    ) -> None:
        self.F, self.E, self.transcript, self.label = F, F.ext, transcript, label
        self.comm, self.hook = comm, hook
        self._rounds: list[Array] = []
        self._challenges: list[Array] = []

    def prove(
        self,
        f: Array,
        g: Array,
        claim: Array,
        donate: bool = False,
        local_rounds: int | None = None,
        global_rounds: int = 0,
        gate_rounds: int | None = None,
    ) -> SumcheckResult:
        """Prove sum f*g == claim. Tables are consumed when `donate`, else copied first.

        `local_rounds` (default: all) halve the tables from the top; the first `gate_rounds`
        of them (default: all) bind index bits top first, the rest and the global rounds bind
        the following bits LSB first (see `mle_point`)."""
        n = f.shape[-1]
        if n != g.shape[-1]:
            raise ValueError("tables must have the same length")
        if local_rounds is None:
            if n & (n - 1) or n == 0:
                raise ValueError("tables must have a power-of-two length")
            local_rounds = n.bit_length() - 1
        if not donate:
            f, g = f.copy(), g.copy()
        return self.prove_parts(
            lambda _part: (f, g), 1, claim, local_rounds, global_rounds, gate_rounds
        )

    def prove_parts(
        self,
        build: Callable[[int], tuple[Array, Array]],
        parts: int,
        claim: Array,
        local_rounds: int,
        global_rounds: int = 0,
        gate_rounds: int | None = None,
        store: TableStore | None = None,
        outside: Outside | None = None,
    ) -> SumcheckResult:
        """The sumcheck of sum over parts of f_p * g_p, where build(p) makes part p's tables
        (consumed) when the first round needs them; `store` keeps them between rounds. With
        `outside`, build(p) makes only the real rows' tables (Outside)."""
        E = self.E
        xp = E.xp
        store = store or TableStore()
        self._rounds, self._challenges = [], []
        first = build  # where the first round's tables come from
        if outside is not None:
            claim = self._outside_rounds(build, parts, claim, outside, store)
            first, local_rounds = store.load, local_rounds - outside.rounds
        r = None
        for _ in range(local_rounds):
            j = len(self._rounds)
            need = self.hook is not None and self.hook.needs_sums(j)
            sums = None  # the parts' sums (one part's as they are: a deep circuit's rounds
            for p in range(parts):  # are mostly one part, and numpy calls cost)
                f, g = first(p) if r is None else store.load(p)
                if f.shape[-1] % 2:
                    raise ValueError("a table cannot be halved once more")
                if r is not None:
                    f, g = _fold_nonempty(E, f, r), _fold_nonempty(E, g, r)
                if f.shape[-1]:
                    part = list(_half_sums(E, g)) if need else []
                    part = [*round_sums(E, f, g), *part]
                    if sums is None:
                        sums = part
                    else:
                        sums = [E.add(a, b) for a, b in zip(sums, part, strict=True)]
                store.save(p, f, g)
                f = g = None  # not alive while the next part is built: one part at a time
            if sums is None:  # no part holds rows (a worker past the last instance)
                sums = [E.zeros() for _ in range(4 if need else 2)]
            claim, r = self._message(sums, claim, shared=True)
        ends = [store.load(p) if r is not None else first(p) for p in range(parts)]
        if r is not None:
            ends = [(_fold_nonempty(E, f, r), _fold_nonempty(E, g, r)) for f, g in ends]
        f = xp.concatenate([_as_ext(E, t[0]) for t in ends], axis=1)
        g = xp.concatenate([_as_ext(E, t[1]) for t in ends], axis=1)
        # every worker's blocks to every worker (a no-op alone; with one block, 0 global
        # rounds, a worker past it held nothing: a launch of one instance under MPI)
        f, g = self._exchange(f), self._exchange(g)
        if f.shape[-1] != 1 << global_rounds:
            raise ValueError("the workers' blocks do not cover the global rounds")
        for _ in range(global_rounds):
            f, g = _lsb_first(xp, f), _lsb_first(xp, g)
            j = len(self._rounds)
            extra = list(_half_sums(E, g)) if self.hook and self.hook.needs_sums(j) else []
            claim, r = self._message([*round_sums(E, f, g), *extra], claim, shared=False)
            f, g = fold_halves(E, f, r), fold_halves(E, g, r)
        f_eval, g_eval = f[:, 0].copy(), g[:, 0].copy()
        proof = self.proof()
        gates = local_rounds if gate_rounds is None else gate_rounds
        point = mle_point(self._challenges, gates)
        return SumcheckResult(proof, point, f_eval, g_eval, claim)

    def _outside_rounds(
        self, build: Callable, parts: int, claim: Array, outside: Outside, store: TableStore
    ) -> Array:
        """The first outside.rounds rounds, each binding the top gate bit of a table whose
        rows above the first `real` are `outside`. A round pairs row x with x + h (h: half the
        rows left): for a real x the upper row is outside, with g = 0 and f = phi[x + h] in
        every column, so h(0) = sum f g over the real rows and the leading coefficient is
        sum (phi[x + h] - f)(-g) = h(0) - sum_x phi[x + h] G[x], G[x] = sum over columns of
        g[x, .]; pairs of two outside rows add nothing. The fold takes real f to f + r (phi[x
        + h] - f), g to (1 - r) g, and the outside rows to phi[x] + r (phi[x + h] - phi[x]).
        Leaves the real tables, folded with the last challenge, in `store`; returns the
        running claim."""
        E = self.E
        if self.hook is not None and any(self.hook.needs_sums(j) for j in range(outside.rounds)):
            raise ValueError("a hook that needs half sums in a round over outside rows")
        phi, real = outside.values, outside.real

        def each_part(load: Callable, fold: tuple | None, sums: bool) -> tuple[Array, Array]:
            """Every part's real tables, folded with the last round (`fold`), saved; and,
            with `sums`, their h(0) and column sums of g (weight[x]: over columns of g[x, .])."""
            h0, weight = E.zeros(), E.zeros(real)
            for p in range(parts):
                f, g = load(p)
                if f.shape[-1]:
                    if fold is not None:
                        f, g = _fold_real(E, f, g, real, *fold)
                    if sums:
                        h0 = E.add(h0, E.dot(f, g))
                        weight = E.add(weight, E.sum(g.reshape(E.degree, real, -1), axis=-1))
                store.save(p, f, g)
                f = g = None  # as in prove_parts: one part's tables alive at a time
            return h0, weight

        load, fold = build, None
        for _ in range(outside.rounds):
            h0, weight = each_part(load, fold, sums=True)
            half = (real + phi.shape[-1]) // 2
            upper = phi[..., half - real : half]  # phi[x + h] for the real rows x
            claim, r = self._message([h0, E.sub(h0, E.dot(upper, weight))], claim, shared=True)
            load, fold = store.load, (upper, r)
            lo = phi[..., : half - real]  # the outside rows [real, half), folded
            phi = E.fold(lo, E.base.sub(phi[..., half:], lo), r)
        each_part(load, fold, sums=False)  # the last fold: the next rounds make their own sums
        return claim

    def _message(self, sums: list[Array], claim: Array, shared: bool) -> tuple[Array, Array]:
        """The round message from the sums [h0, q] (and the hook's half sums), added over the
        workers first when `shared`; absorbed; returns the next claim and the challenge."""
        E, j = self.E, len(self._rounds)
        xp = E.xp
        if shared and self.comm is not None and self.comm.size > 1:
            total = sum_over_workers(E, self.comm, xp.stack(sums, axis=1))
            sums = [total[:, k] for k in range(len(sums))]
        h0, q = sums[0], sums[1]
        if self.hook is None:
            return self._send(round_coefficients(E, claim, h0, q))
        g_lo, g_diff = (sums[2], sums[3]) if len(sums) > 2 else (None, None)
        extra = self.hook.coefficients(j, self._challenges, g_lo, g_diff)
        return self._send(hooked_coefficients(E, extra, E.ints(h0), E.ints(q), E.ints(claim)))

    def tail_round(self) -> Array:
        """One more round after prove_parts, on a variable outside the tables (the layer-mask
        variable w of zkcc/backends/gkr/zk.py) whose data part is (1 - t) D: the message is
        that plus the hook's polynomial e, D taken from the running claim (D + e(0) + e(1) =
        claim). Returns the challenge; `proof()` then has the round."""
        assert self.hook is not None
        E, j = self.E, len(self._rounds)
        extra = self.hook.coefficients(j, self._challenges, None, None)
        claim = E.ints(self.final_claim())
        ends = [2 * a + sum(rest) for a, *rest in zip(*extra, strict=True)]  # e(0) + e(1)
        d = [c - e for c, e in zip(claim, ends, strict=True)]
        return self._send(hooked_coefficients(E, extra, d, None, claim))[1]

    @property
    def challenges(self) -> list[Array]:
        """Every challenge drawn so far, in draw order."""
        return list(self._challenges)

    def final_claim(self) -> Array:
        """The running claim after the last round sent: its message at its challenge."""
        return self._final

    def proof(self) -> SumcheckProof:
        """Every round sent so far (prove_parts and any tail rounds)."""
        return SumcheckProof(self.E, tuple(self._rounds))

    def _send(self, coeffs: list[list[int]]) -> tuple[Array, Array]:
        """Sends the round of the polynomial with these coefficients (its values h(0), h(2)
        .. h(D)), keeps what it sent."""
        label, j = self.label, len(self._rounds)
        sent, r, at_r = send_coefficients(self.F, self.transcript, label, j, coeffs)
        self._rounds.append(sent)
        self._challenges.append(r)
        self._final = at_r
        return at_r, r

    def _exchange(self, t: Array) -> Array:
        """Every worker's (d, blocks) table, concatenated in worker (= block) order."""
        E = self.E
        if self.comm is None or self.comm.size == 1:
            return t
        xp = E.xp
        parts = self.comm.allgather(E.encode(t))
        tables = [xp.asarray(E.decode(raw, len(raw) // E.byte_len)) for raw in parts]
        return xp.concatenate(tables, axis=1)


def _fold_real(E: ExtField, f: Array, g: Array, real: int, upper: Array, r: Array) -> tuple:
    """The real rows after a round over outside rows (SumcheckProver._outside_rounds):
    f + r (upper[x] - f) and (1 - r) g, for (real, columns) tables flattened row-major, by
    the fold kernel on [f | upper - f] and [0 | g]. `upper` is base while f is."""
    xp = E.xp
    rows = f.reshape(*f.shape[:-1], real, -1)
    diff = E.base.sub(xp.broadcast_to(upper[..., None], rows.shape), rows).reshape(f.shape)
    f = fold_halves(E, xp.concatenate([f, diff], axis=-1), r)
    g = fold_halves(E, xp.concatenate([xp.zeros_like(g), g], axis=-1), E.sub(E.one(), r))
    return f, g


def _fold_nonempty(E: ExtField, t: Array, r: Array) -> Array:
    """fold_halves, except that an empty table (a worker or part without instances) stays empty."""
    return fold_halves(E, t, r) if t.shape[-1] else _as_ext(E, t)


def _lsb_first(xp: Any, t: Array) -> Array:
    """Reorder a (d, 2h) table to [even indices | odd indices]: the next top-halving round then
    binds the least significant index bit."""
    d = t.shape[0]
    return xp.ascontiguousarray(t.reshape(d, -1, 2).transpose(0, 2, 1)).reshape(d, -1)


def mle_point(challenges: list[Array], gate_rounds: int) -> list[Array]:
    """The point in mle order (zkcc/field/mle.py) for challenges in draw order: the first
    `gate_rounds` bound index bits from the top down, the rest the next bits from the bottom up."""
    return challenges[:gate_rounds][::-1] + challenges[gate_rounds:]


class SumcheckVerifier:
    """Verifier view: checks each round against the running claim, replays the challenges."""

    def __init__(self, F: PrimeField, transcript: Transcript, label: str) -> None:
        self.F, self.E, self.transcript, self.label = F, F.ext, transcript, label

    def verify(
        self,
        claim: Array,
        proof: SumcheckProof,
        num_rounds: int,
        where: str,
        gate_rounds: int | None = None,
    ) -> tuple[list[Array], Array]:
        """Returns (point in mle order, final claim); raises ProofRejected naming the round.
        `gate_rounds` as in SumcheckProver.prove (default: all rounds)."""
        challenges, claim = self.verify_rounds(claim, proof, [2] * num_rounds, where)
        return mle_point(challenges, num_rounds if gate_rounds is None else gate_rounds), claim

    def verify_rounds(
        self, claim: Array, proof: SumcheckProof, degrees: Sequence[int], where: str
    ) -> tuple[list[Array], Array]:
        """The rounds of degrees[j], checked in order: (challenges in draw order, final claim)."""
        num_rounds = len(degrees)
        if len(proof.rounds) != num_rounds:
            raise ProofRejected(f"{where}: {len(proof.rounds)} rounds, expected {num_rounds}")
        challenges = []
        for j, (sent, deg) in enumerate(zip(proof.rounds, degrees, strict=True)):
            if sent.shape != (self.E.degree, deg):
                raise ProofRejected(f"{where} round {j}: malformed round message")
            r, claim = read_round(self.F, self.transcript, self.label, j, sent, claim)
            challenges.append(r)
        return challenges, claim


def reference_sum(F: PrimeField, f: list[Any], g: list[Any]) -> int:
    """Slow twin for tests: sum f_i g_i over base-field Python ints."""
    return sum(a * b for a, b in zip(f, g, strict=True)) % F.p
