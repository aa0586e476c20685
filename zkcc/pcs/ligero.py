"""Ligero-style tensor-code polynomial commitment for multilinear tables [AHIV17, GLSTW23].

Commit. A table T of 2^m base elements is the R x C matrix M[row, col] = T[row * C + col]
(`ligero_params.choose_shape` picks R, C), so with z = (z_lo | z_hi) split at log2 C:

    T~(z) = eq(z_hi)^T . M . eq(z_lo)

Each row is encoded (rate 1/4, zkcc.pcs.codes) into the R x N matrix U; leaf j of a SHA-256
Merkle tree is column j of U (R elements). The commitment is the root.

Open: ALL claims on ALL tables, grouped by m (tables of one m share a shape). Per group, with
every message absorbed before the next challenge:

 1. Proximity test. r in E^(tests x G x R) for the G tables stacked; the prover sends
    w_k = sum_t r_(k,t)^T M_t (C extension elements each).
 2. Common column point. Claims (z_c, v_c) differ in z_c,lo; a sumcheck on
    sum_c alpha_c sum_col y_c[col] eq(z_c,lo)[col] = sum_c alpha_c v_c with y_c = eq(z_c,hi)^T M_c
    moves them all to one random r_lo; the prover sends e_c = y_c~(r_lo) = T_c~(r_lo, z_c,hi).
    Skipped when all claims already share z_lo (then r_lo = z_lo, e_c = v_c).
 3. Evaluation. gamma in E^k; beta_t = sum_(c on t) gamma_c eq(z_c,hi); the prover sends
    u = sum_t beta_t^T M_t; the verifier checks <u, eq(r_lo)> = sum_c gamma_c e_c.
 4. Columns. t distinct query indices in [0, N); for every table the opened columns U_t[:, j]
    and one Merkle multi-opening. The verifier checks Enc(w_k)[j] = sum_t r_(k,t) . U_t[:, j] and
    Enc(u)[j] = sum_t beta_t . U_t[:, j] at every queried j.

A group whose opening would not be smaller than its tables (tiny tables) sends the tables
instead ("direct"); the verifier recommits them and evaluates the claims itself.

Soundness and the derivation of `tests` and `queries`: zkcc.pcs.ligero_params. Not hiding:
zero-knowledge would need masking rows (random rows added to the proximity combination), a
code with random padding of the messages (so t opened columns reveal nothing) and salted leaf
hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError, ProofRejected
from zkcc.field.base import Array, PrimeField
from zkcc.field.mle import eq_table, mle_evaluate
from zkcc.pcs import codes
from zkcc.pcs.base import PcsClaim
from zkcc.pcs.ligero_params import (
    RATE_LOG,
    SECURITY_BITS,
    Shape,
    choose_shape,
    opens_directly,
)
from zkcc.pcs.merkle_tree import (
    HASH_LEN,
    MerkleTree,
    hash_leaves,
    proof_hash_count,
    verify_multi,
)
from zkcc.pcs.tensor_ops import (
    as_point,
    eq_eval,
    row_combine,
    sumcheck_prove,
    sumcheck_verify,
)
from zkcc.transcript import Transcript

MAX_M = 40


class ColumnStore:
    """The encoded matrix U (N, R) of one commitment, column-major (U[j] is leaf j), in memory.

    The commitment writes U in chunks of `chunk_rows` encoded rows, hashes it in blocks of
    whole columns (the leaves) and the opening reads the queried columns back. Here it is one
    chunk and one block; zkcc/runtime/memory.py keeps it in a file under `--mem-limit`, where
    only a chunk or a block is in memory at a time."""

    def __init__(self, F: PrimeField, shape: Shape) -> None:
        self.chunk_rows = shape.rows
        self._U: Array | None = None

    def write_rows(self, r0: int, U_rows: Array) -> None:
        """Encoded rows [r0, r0 + chunk_rows) as (N, chunk_rows)."""
        self._U = U_rows

    def blocks(self) -> Iterator[Array]:
        """U as consecutive blocks of whole columns, (columns, R) each, in column order."""
        yield self._U

    def columns(self, idx: list[int]) -> Array:
        """U[idx] for sorted distinct column indices, (len(idx), R)."""
        return self._U[idx]


ColumnStoreFactory = Callable[[PrimeField, Shape], ColumnStore]


@dataclass(eq=False)
class LigeroState:
    shape: Shape
    M: Array  # (R, C) base matrix (a view of the table)
    U: ColumnStore  # the encoded rows
    tree: MerkleTree


def leaf_prefix(F: PrimeField, s: Shape) -> bytes:
    return b"zkcc-ligero-v1/" + F.name.encode() + bytes([s.m, s.row_log, s.rate_log])


def leaf_bytes(F: PrimeField, cols: Array) -> np.ndarray:
    """(n, R) base elements -> (n, R * byte_len) uint8, each row a leaf's canonical bytes."""
    if F.name == "m31":
        return np.ascontiguousarray(cols, dtype="<u4").view(np.uint8).reshape(cols.shape[0], -1)
    raw = np.frombuffer(F.encode(cols), dtype=np.uint8)
    return raw.reshape(cols.shape[0], -1)


def query_indices(tr: Transcript, s: Shape) -> list[int]:
    """A uniform set of t distinct indices in [0, N), sorted: uniform draws (N is a power of
    two, so masking is unbiased) taken in order, repeats skipped, until t are distinct."""
    seen: set[int] = set()
    while len(seen) < s.queries:
        need = s.queries - len(seen)
        raw = np.frombuffer(tr.challenge_bytes("pcs/queries", 8 * need), dtype="<u8")
        for v in (raw & np.uint64(s.code_len - 1)).tolist():
            if len(seen) < s.queries:
                seen.add(v)
    return sorted(seen)


@dataclass
class _Group:
    m: int
    shape: Shape
    tables: list[str]
    claims: list[tuple[int, Array, Array]]  # (table position, point (d, m), value (d,))


def _groups(F, sizes: dict[str, int], claims: list[PcsClaim], rate_log, bits) -> list[_Group]:
    by_m: dict[int, _Group] = {}
    for c in claims:
        if c.name not in sizes:
            raise ValueError(f"claim on {c.name!r}, which is not committed")
        m = sizes[c.name]
        g = by_m.setdefault(m, _Group(m, choose_shape(F, m, rate_log, bits), [], []))
        if c.name not in g.tables:
            g.tables.append(c.name)
        value = np.asarray(c.value)
        if value.shape != (F.ext.degree,):
            raise ValueError("claim value must be one challenge-field element")
        g.claims.append((c.name, as_point(F, c.point, m), value))
    out = []
    for m in sorted(by_m):
        g = by_m[m]
        g.tables.sort()
        g.claims = [(g.tables.index(n), pt, v) for n, pt, v in g.claims]
        out.append(g)
    return out


def _absorb_group(F, tr: Transcript, g: _Group, commitments: dict[str, bytes]) -> None:
    E = F.ext
    s = g.shape
    tr.absorb_ints("pcs/group", [g.m, s.row_log, s.rate_log, len(g.tables), len(g.claims)])
    for name in g.tables:
        tr.absorb("pcs/table", name.encode() + commitments[name])
    for t, pt, v in g.claims:
        tr.absorb_ints("pcs/claim", [t])
        tr.absorb_field("pcs/point", E, pt)
        tr.absorb_field("pcs/value", E, v)


def _same_lo(g: _Group) -> bool:
    c = g.shape.col_log
    first = g.claims[0][1][:, :c]
    return all(np.array_equal(pt[:, :c], first) for _, pt, _ in g.claims)


def _betas(F, g: _Group, gamma: Array) -> Array:
    """(d, G, R): beta_t = sum over claims c on table t of gamma_c eq(z_c,hi)."""
    E = F.ext
    betas = E.zeros((len(g.tables), g.shape.rows))
    for k, (t, pt, _) in enumerate(g.claims):
        row = E.mul(eq_table(F, pt[:, g.shape.col_log :]), gamma[:, k])
        betas[:, t] = E.add(betas[:, t], row)
    return betas


def _combine_tables(F, coeffs: Array, mats: list[Array]) -> Array:
    """sum_t coeffs[:, :, t, :] @ mats[t] for coeffs (d, K, G, R) -> (d, K, cols)."""
    E = F.ext
    acc = None
    for t, M in enumerate(mats):
        part = row_combine(F, coeffs[:, :, t, :], M)
        acc = part if acc is None else E.add(acc, part)
    return acc


class LigeroPCS:
    """Transparent hash-based PCS; proof ~ (tests + 1) C + t R elements per group of tables."""

    name = "ligero"

    def __init__(self, security_bits: int = SECURITY_BITS, rate_log: int = RATE_LOG) -> None:
        self.bits, self.rate_log = security_bits, rate_log

    def shape(self, F: PrimeField, m: int) -> Shape:
        return choose_shape(F, m, self.rate_log, self.bits)

    # ---- prover ---------------------------------------------------------------------------
    def commit(
        self, F: PrimeField, table: Array, columns: ColumnStoreFactory | None = None
    ) -> tuple[bytes, LigeroState]:
        """`columns` makes the store of the encoded matrix (default: in memory)."""
        n = table.shape[0]
        m = n.bit_length() - 1
        if table.ndim != 1 or n != 1 << m or m > MAX_M:
            raise ValueError("a committed table has 2^m elements, m <= 40")
        s = self.shape(F, m)
        M = table.reshape(s.rows, s.cols)
        store = (columns or ColumnStore)(F, s)
        for r0 in range(0, s.rows, store.chunk_rows):
            store.write_rows(r0, codes.encode_rows(F, M[r0 : r0 + store.chunk_rows], s.rate_log))
        prefix = leaf_prefix(F, s)
        hashes = [h for block in store.blocks() for h in hash_leaves(prefix, leaf_bytes(F, block))]
        tree = MerkleTree.from_leaf_hashes(hashes)
        return tree.root, LigeroState(s, M, store, tree)

    def open(
        self, F: PrimeField, states: dict[str, LigeroState], claims: list[PcsClaim], tr: Transcript
    ) -> Tree:
        E = F.ext
        sizes = {n: st.shape.m for n, st in states.items()}
        groups = _groups(F, sizes, claims, self.rate_log, self.bits)
        out = []
        for g in groups:
            s = g.shape
            sts = [states[n] for n in g.tables]
            _absorb_group(F, tr, g, {n: states[n].tree.root for n in g.tables})
            if opens_directly(F, s, len(sts)):
                tables = [st.M.reshape(-1) for st in sts]
                for t in tables:
                    tr.absorb_field("pcs/direct", F, t)
                out.append({"direct": [F.encode(t) for t in tables]})
                continue
            mats = [st.M for st in sts]
            r = tr.challenge_exts("pcs/test", F, s.tests * len(sts) * s.rows)
            r = r.reshape(E.degree, s.tests, len(sts), s.rows)
            w = _combine_tables(F, r, mats)  # (d, tests, C)
            tr.absorb_field("pcs/tests", E, w)
            rounds, evals = [], None
            if _same_lo(g):
                evals = np.stack([v for _, _, v in g.claims], axis=1)
            else:
                alpha = tr.challenge_exts("pcs/alpha", F, len(g.claims))
                Y = E.zeros((len(g.claims), s.cols))
                B = E.zeros((len(g.claims), s.cols))
                for k, (t, pt, _) in enumerate(g.claims):
                    a = eq_table(F, pt[:, s.col_log :])[:, None, :]
                    Y[:, k] = row_combine(F, a, mats[t])[:, 0]
                    B[:, k] = E.mul(eq_table(F, pt[:, : s.col_log]), alpha[:, k])
                rounds, _, evals = sumcheck_prove(F, tr, "pcs/sumcheck", Y, B)
                tr.absorb_field("pcs/evals", E, evals)
            gamma = tr.challenge_exts("pcs/gamma", F, len(g.claims))
            betas = _betas(F, g, gamma)
            u = _combine_tables(F, betas[:, None], mats)[:, 0]  # (d, C)
            tr.absorb_field("pcs/u", E, u)
            idx = query_indices(tr, s)
            tables = []
            for st in sts:
                cols = st.U.columns(idx)
                tables.append({"columns": F.encode(cols), "path": st.tree.open(idx)})
            out.append(
                {
                    "tests": E.encode(w.reshape(E.degree, -1)),
                    "sumcheck": rounds,
                    "evals": E.encode(evals) if rounds else b"",
                    "u": E.encode(u),
                    "tables": tables,
                }
            )
        return {"groups": out}

    # ---- verifier -------------------------------------------------------------------------
    def verify(
        self,
        F: PrimeField,
        commitments: dict[str, tuple[bytes, int]],
        claims: list[PcsClaim],
        opening: Schema,
        tr: Transcript,
    ) -> None:
        for name, (com, m) in commitments.items():
            if len(com) != HASH_LEN or not 0 <= m <= MAX_M:
                raise FormatError(f"commitment of {name!r} is malformed")
        sizes = {n: m for n, (_, m) in commitments.items()}
        groups = _groups(F, sizes, claims, self.rate_log, self.bits)
        opening.dict({"groups"})
        gschemas = opening.field("groups").list(len(groups), len(groups))
        for g, gs in zip(groups, gschemas, strict=True):
            self._verify_group(F, g, gs, commitments, tr)

    def _verify_group(self, F, g: _Group, gs: Schema, commitments, tr: Transcript) -> None:
        E = F.ext
        s, G, k = g.shape, len(g.tables), len(g.claims)
        where = f"{gs.path} (tables of 2^{g.m})"
        if opens_directly(F, s, G):
            gs.dict({"direct"})
            _absorb_group(F, tr, g, {n: commitments[n][0] for n in g.tables})
            self._verify_direct(F, g, gs, commitments, tr, where)
            return
        gs.dict({"tests", "sumcheck", "evals", "u", "tables"})
        _absorb_group(F, tr, g, {n: commitments[n][0] for n in g.tables})
        r = tr.challenge_exts("pcs/test", F, s.tests * G * s.rows)
        r = r.reshape(E.degree, s.tests, G, s.rows)
        w_len = s.tests * s.cols
        w = E.decode(gs.field("tests").bytes(length=w_len * E.byte_len), w_len)
        w = w.reshape(E.degree, s.tests, s.cols)
        tr.absorb_field("pcs/tests", E, w)
        if _same_lo(g):
            gs.field("sumcheck").list(0, 0)
            gs.field("evals").bytes(length=0)
            r_lo = g.claims[0][1][:, : s.col_log]
            evals = np.stack([v for _, _, v in g.claims], axis=1)
        else:
            alpha = tr.challenge_exts("pcs/alpha", F, k)
            claim = E.zeros(())
            for j, (_, _, v) in enumerate(g.claims):
                claim = E.add(claim, E.mul(v, alpha[:, j]))
            rounds = gs.field("sumcheck").list(s.col_log, s.col_log)
            pt_lo, final = sumcheck_verify(F, tr, "pcs/sumcheck", rounds, claim, where)
            r_lo = np.stack(pt_lo, axis=1) if pt_lo else E.zeros(0)
            evals = E.decode(gs.field("evals").bytes(length=k * E.byte_len), k)
            tr.absorb_field("pcs/evals", E, evals)
            expect = E.zeros(())
            for j, (_, pt, _) in enumerate(g.claims):
                term = E.mul(eq_eval(F, pt[:, : s.col_log], r_lo), alpha[:, j])
                expect = E.add(expect, E.mul(term, evals[:, j]))
            if not E.equal(expect, final):
                raise ProofRejected(f"{where}: evaluations do not match the sumcheck")
        gamma = tr.challenge_exts("pcs/gamma", F, k)
        betas = _betas(F, g, gamma)
        u = E.decode(gs.field("u").bytes(length=s.cols * E.byte_len), s.cols)
        tr.absorb_field("pcs/u", E, u)
        if not E.equal(E.dot(u, eq_table(F, r_lo)), E.dot(evals, gamma)):
            raise ProofRejected(f"{where}: evaluation vector does not match the claims")
        idx = query_indices(tr, s)
        q = len(idx)
        tschemas = gs.field("tables").list(G, G)
        cols = []
        n_hash = proof_hash_count(s.code_log, idx)
        for name, ts in zip(g.tables, tschemas, strict=True):
            ts.dict({"columns", "path"})
            raw = ts.field("columns").bytes(length=q * s.rows * F.byte_len)
            path = ts.field("path").bytes(length=n_hash * HASH_LEN)
            c = F.decode(raw, q * s.rows).reshape(q, s.rows)
            try:
                verify_multi(
                    commitments[name][0], s.code_log, leaf_prefix(F, s), idx, leaf_bytes(F, c), path
                )
            except ProofRejected as e:
                raise ProofRejected(f"{where}: table {name!r}: {e}") from None
            cols.append(np.ascontiguousarray(c.T))  # (R, q)
        # encoded test and evaluation vectors at the queried columns
        vecs = np.concatenate([w.reshape(E.degree, s.tests, s.cols), u[:, None, :]], axis=1)
        flat = np.ascontiguousarray(vecs.reshape(-1, s.cols).T)  # (C, d * (tests + 1))
        enc = codes.encode(F, flat, s.rate_log)[idx]  # (q, d * (tests + 1))
        enc = enc.T.reshape(E.degree, s.tests + 1, q)
        coeffs = np.concatenate([r, betas[:, None]], axis=1)  # (d, tests + 1, G, R)
        expect = _combine_tables(F, coeffs, cols)  # (d, tests + 1, q)
        if not E.equal(enc, expect):
            raise ProofRejected(f"{where}: opened columns do not match the encoded combinations")

    def _verify_direct(self, F, g: _Group, gs: Schema, commitments, tr, where: str) -> None:
        """The group's tables sent as they are: recommit each, evaluate the claims."""
        n = 1 << g.m
        tables = []
        for name, ts in zip(
            g.tables, gs.field("direct").list(len(g.tables), len(g.tables)), strict=True
        ):
            table = F.decode(ts.bytes(length=n * F.byte_len), n)
            tr.absorb_field("pcs/direct", F, table)
            if self.commit(F, table)[0] != commitments[name][0]:
                raise ProofRejected(f"{where}: table {name!r} does not match its commitment")
            tables.append(table)
        for t, pt, v in g.claims:
            if not F.ext.equal(mle_evaluate(F, tables[t], pt), v):
                raise ProofRejected(f"{where}: table {g.tables[t]!r}: claimed value is wrong")
