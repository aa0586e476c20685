"""Ligero-style tensor-code polynomial commitment for multilinear tables [AHIV17, GLSTW23],
hiding by default (zero knowledge: an opening reveals nothing beyond the claimed values).

Commit. A table T of 2^m base elements, zero-padded to 2^s.m (`ligero_params.choose_shape`
picks R x C), is the matrix M[row, col] = T[row * C + col], so with z = (z_lo | z_hi) split at
log2 C:  T~(z) = eq(z_hi)^T . M . eq(z_lo).
Each row's message is encoded (rate 1/4, zkcc.pcs.codes) into the R x N matrix U; leaf j of a
SHA-256 Merkle tree is column j of U. The commitment is the root. Hiding: a row's message is
(row | P[row]) with `pad` uniform symbols P, and leaf j is SHA-256(salt_j || column j) with a
fresh 16-byte salt.

Open: ALL claims on ALL tables, grouped by shape (tables of one size; when hiding, also the
small tables padded to the same single row). Per group, with every message absorbed before
the next challenge:

 0. Hiding: the prover commits to a fresh mask matrix Z of uniform messages (tests + k
    extension rows, each d base rows, k = number of claims) the same way (salted leaves).
 1. Proximity test. r in E^(tests x rows) over every committed row of the group (the masks'
    claim rows included); the prover sends w_k = sum r_(k,row) row (+ the mask row Z_k).
 2. Hiding: the prover sends mu_c = <Z_(tests+c)[:C], eq(z_c,lo)>, then zeta is drawn. Claim c
    now speaks of the masked vector y_c = eq(z_c,hi)^T M_c + zeta Z_(tests+c)[:C], whose
    value at z_c,lo is t_c = v_c + zeta mu_c (plain: y_c = eq(z_c,hi)^T M_c, t_c = v_c).
 3. Common column point. Claims differ in z_c,lo; a sumcheck on
    sum_c alpha_c sum_col y_c[col] eq(z_c,lo)[col] = sum_c alpha_c t_c moves them all to one
    random r_lo; the prover sends e_c = y_c~(r_lo). Skipped when all claims share z_lo (then
    r_lo = z_lo, e_c = t_c).
 4. Evaluation. gamma in E^k; the prover sends u = sum_c gamma_c (eq(z_c,hi)^T (M_c | P_c)
    + zeta Z_(tests+c)), the whole message; the verifier checks <u[:C], eq(r_lo)> = sum gamma_c e_c.
 5. Columns. t distinct query indices in [0, N); for every table (and the mask matrix) the
    opened columns, their salts and one Merkle multi-opening. The verifier checks Enc(w_k)[j]
    and Enc(u)[j] against the same combinations of the opened columns at every queried j.

Hiding (zero knowledge; `docs/zk.md` has the simulator). The random symbols sit at basis
indices [C, C + pad) of the code (zkcc.pcs.codes): for RS that is x^C f(x) with deg f < pad,
for the circle code v_c(x) f(P) with f in span(b_0..b_(pad-1)) = {p(x) + y q(x): deg < pad/2},
v_c = x after c - 1 doublings, nonzero on the domain. Either way their values at any
t <= pad - 1 distinct domain points are uniform (Vandermonde; for the circle code the
subspace with deg q < pad/2 - 1 has dimension pad - 1 and, by Bezout on the circle, no
nonzero element with pad - 1 zeros), so t opened columns are uniform and independent of the
table (`ligero_params.hiding_pad` picks pad > t). w_k and u carry a uniform mask row and the
y_c a uniform mask vector, so they are uniform subject to the checks the verifier makes on
the claimed values; unopened leaves are salted hashes. The padding lowers the code distance
to N - C - pad, which the query count accounts for. A group whose opening would not be
smaller than its tables may, when not hiding, send the tables instead ("direct"); the
verifier recommits them and evaluates the claims itself.

Soundness and the derivation of `tests` and `queries`: zkcc.pcs.ligero_params. The proximity
test covers the mask rows too (Z_k enters w_k with coefficient 1: an affine combination,
which the proximity-gap theorem covers); mu_c is bound before zeta, so a wrong v_c survives
only if zeta hits one value (1/|E| per claim).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError, ProofRejected
from zkcc.field.base import Array, PrimeField
from zkcc.field.mle import eq_table, mle_evaluate
from zkcc.pcs import codes
from zkcc.pcs.base import PcsClaim, RandomSource
from zkcc.pcs.ligero_params import (
    RATE_LOG,
    SALT_BYTES,
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
    """The encoded matrix U (N, rows) of one commitment, column-major (U[j] is leaf j), in
    memory.

    The commitment writes U in chunks of `chunk_rows` encoded rows, hashes it in blocks of
    whole columns (the leaves) and the opening reads the queried columns back. Here it is one
    chunk and one block; zkcc/runtime/memory.py keeps it in a file under `--mem-limit`, where
    only a chunk or a block is in memory at a time."""

    def __init__(self, F: PrimeField, shape: Shape, rows: int | None = None) -> None:
        self.chunk_rows = rows or shape.rows
        self._U: Array | None = None

    def write_rows(self, r0: int, U_rows: Array) -> None:
        """Encoded rows [r0, r0 + chunk_rows) as (N, chunk_rows)."""
        self._U = U_rows

    def blocks(self) -> Iterator[Array]:
        """U as consecutive blocks of whole columns, (columns, rows) each, in column order."""
        yield self._U

    def columns(self, idx: list[int]) -> Array:
        """U[idx] for sorted distinct column indices, (len(idx), rows)."""
        return self._U[idx]


ColumnStoreFactory = Callable[[PrimeField, Shape], ColumnStore]


@dataclass(eq=False)
class Committed:
    """An encoded, Merkle-committed matrix: its columns, their salts (hiding) and the tree."""

    U: ColumnStore
    salts: np.ndarray | None  # (N, SALT_BYTES) uint8, or None when not hiding
    tree: MerkleTree

    def opening(self, F: PrimeField, idx: list[int]) -> dict:
        out = {"columns": F.encode(self.U.columns(idx)), "path": self.tree.open(idx)}
        if self.salts is not None:
            out["salts"] = self.salts[idx].tobytes()
        return out


@dataclass(eq=False)
class LigeroState:
    """The prover's side of one commitment. A hiding commitment is opened at most once: the
    padding P is fixed at commit time, and two query sets together can exceed pad - 1
    columns, beyond which the opened columns are no longer independent of the table."""

    table_log: int  # log2 of the committed table's own size
    shape: Shape
    M: Array  # (R, C) base matrix: the table, zero-padded to 2^shape.m
    P: Array | None  # (R, pad) the rows' random symbols (hiding), else None
    com: Committed
    opened: bool = False


def leaf_prefix(F: PrimeField, s: Shape) -> bytes:
    fields = [s.m, s.row_log, s.rate_log, s.pad.bit_length()]
    return b"zkcc-ligero-v2/" + F.name.encode() + bytes(fields)


def leaf_bytes(F: PrimeField, cols: Array, salts: np.ndarray | None = None) -> np.ndarray:
    """(n, R) base elements -> (n, [salt +] R * byte_len) uint8, each row a leaf's bytes."""
    if F.name == "m31":
        raw = np.ascontiguousarray(cols, dtype="<u4").view(np.uint8).reshape(cols.shape[0], -1)
    else:
        raw = np.frombuffer(F.encode(cols), dtype=np.uint8).reshape(cols.shape[0], -1)
    return raw if salts is None else np.concatenate([salts, raw], axis=1)


def random_elements(F: PrimeField, rng: RandomSource, n: int) -> Array:
    """n uniform base elements (wide reduction of the source's bytes, as the transcript does)."""
    return F.from_wide_bytes(rng.token_bytes(n * F.wide_len), n)


def encode_messages(F: PrimeField, s: Shape, rows: Array) -> Array:
    """Encode (B, msg_len) row messages into the column-major (N, B) codewords of shape s: the
    message zero-padded to 2^encoded_log coefficients (the domain is that of N either way)."""
    B, n = rows.shape
    full = 1 << s.encoded_log
    if n != full:
        msg = F.zeros((B, full))
        msg[:, :n] = rows
        rows = msg
    return codes.encode_rows(F, rows, s.code_log - s.encoded_log)


def commit_rows(
    F: PrimeField,
    s: Shape,
    rows: Callable[[int, int], Array],
    count: int,
    store: ColumnStore,
    rng: RandomSource,
) -> Committed:
    """Encode `count` row messages (rows(r0, r1) -> (r1 - r0, msg_len)) into `store`, chunk by
    chunk, and commit to the columns (salted leaves when hiding)."""
    for r0 in range(0, count, store.chunk_rows):
        store.write_rows(r0, encode_messages(F, s, rows(r0, min(count, r0 + store.chunk_rows))))
    salts = None
    if s.pad:
        raw = rng.token_bytes(s.code_len * SALT_BYTES)
        salts = np.frombuffer(raw, dtype=np.uint8).reshape(s.code_len, SALT_BYTES)
    prefix = leaf_prefix(F, s)
    hashes: list[bytes] = []
    for block in store.blocks():
        j = len(hashes)
        part = None if salts is None else salts[j : j + block.shape[0]]
        hashes.extend(hash_leaves(prefix, leaf_bytes(F, block), part))
    return Committed(store, salts, MerkleTree.from_leaf_hashes(hashes))


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
    """The tables that share a shape (one size, or small tables padded to the same row),
    opened together with one query set."""

    shape: Shape
    tables: list[str]
    claims: list[tuple[int, Array, Array]]  # (table position, point (d, shape.m), value (d,))

    def mask_rows(self, d: int) -> int:
        """Base rows of the mask matrix (hiding): one extension row per test and per claim."""
        return (self.shape.tests + len(self.claims)) * d if self.shape.pad else 0

    def test_challenges(self, d: int) -> int:
        """Proximity coefficients per test: every table row and every mask claim row."""
        return len(self.tables) * self.shape.rows + len(self.claims) * d * bool(self.shape.pad)


def _groups(
    F, sizes: dict[str, int], claims: list[PcsClaim], rate_log, bits, hiding
) -> list[_Group]:
    E = F.ext
    by_shape: dict[Shape, _Group] = {}
    for c in claims:
        if c.name not in sizes:
            raise ValueError(f"claim on {c.name!r}, which is not committed")
        m = sizes[c.name]
        shape = choose_shape(F, m, rate_log, bits, hiding)
        g = by_shape.setdefault(shape, _Group(shape, [], []))
        if c.name not in g.tables:
            g.tables.append(c.name)
        value = np.asarray(c.value)
        if value.shape != (E.degree,):
            raise ValueError("claim value must be one challenge-field element")
        pt = as_point(F, c.point, m)
        pt = np.concatenate([pt, E.zeros(g.shape.m - m)], axis=1)  # padding bits are zero
        g.claims.append((c.name, pt, value))
    out = []
    for shape in sorted(by_shape, key=lambda s: (s.m, s.col_log)):
        g = by_shape[shape]
        g.tables.sort()
        g.claims = [(g.tables.index(n), pt, v) for n, pt, v in g.claims]
        out.append(g)
    return out


def _absorb_group(F, tr: Transcript, g: _Group, commitments: dict[str, bytes]) -> None:
    E = F.ext
    s = g.shape
    sizes = [s.m, s.row_log, s.rate_log, s.pad, len(g.tables), len(g.claims)]
    tr.absorb_ints("pcs/group", sizes)
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


def _combine_messages(F, coeffs: Array, sts: list[LigeroState]) -> Array:
    """The same combination of the tables' whole row messages (M | P): (d, K, msg_len)."""
    data = _combine_tables(F, coeffs, [st.M for st in sts])
    if sts[0].P is None:
        return data
    return np.concatenate([data, _combine_tables(F, coeffs, [st.P for st in sts])], axis=-1)


def _test_coefficients(F, g: _Group, r: Array) -> tuple[Array, Array]:
    """The proximity challenge (d, tests * test_challenges) split into the tables' (d, tests,
    G, R) and the mask claim rows' (d, tests, k d) coefficients."""
    d, s = F.ext.degree, g.shape
    r = r.reshape(d, s.tests, g.test_challenges(d))
    data = len(g.tables) * s.rows
    return r[:, :, :data].reshape(d, s.tests, len(g.tables), s.rows), r[:, :, data:]


def _mask_coefficients(F, g: _Group, r_mask: Array, zeta: Array, gamma: Array) -> Array:
    """(d, tests + 1, mask rows): how the mask matrix's base rows enter w_j (test j's own
    extension row with coefficient 1, whose base rows are its components; the claim rows with
    their proximity coefficients) and u (claim c's extension row with zeta gamma_c)."""
    E = F.ext
    d, T, k = E.degree, g.shape.tests, len(g.claims)
    out = E.zeros((T + 1, g.mask_rows(d)))
    units = [E.zeros(()) for _ in range(d)]
    for b in range(d):
        units[b][b] = 1  # the extension element u^b: component b of an extension row
    for j in range(T):
        for b in range(d):
            out[:, j, j * d + b] = units[b]
        out[:, j, T * d :] = r_mask[:, j]
    for c in range(k):
        zg = E.mul(zeta, gamma[:, c])
        for b in range(d):
            out[:, T, (T + c) * d + b] = E.mul(zg, units[b])
    return out


@dataclass
class _Opened:
    """One matrix's opened columns as the verifier parsed them (lengths fixed by the shape)."""

    schema: Schema
    cols: Array  # (rows, q)
    salts: np.ndarray | None


def _parse_columns(F, s: Shape, ts: Schema, q: int, rows: int) -> _Opened:
    ts.dict({"columns", "path"} | ({"salts"} if s.pad else set()))
    c = F.decode(ts.field("columns").bytes(length=q * rows * F.byte_len), q * rows)
    salts = None
    if s.pad:
        raw = ts.field("salts").bytes(length=q * SALT_BYTES)
        salts = np.frombuffer(raw, dtype=np.uint8).reshape(q, SALT_BYTES)
    return _Opened(ts, np.ascontiguousarray(c.reshape(q, rows).T), salts)


def _check_path(F, com: bytes, s: Shape, o: _Opened, idx: list[int], where: str) -> None:
    """The opened columns (and salts) lead to the committed root. Checked after the column
    values, so that a proof altered anywhere else is rejected by a value check, not refused
    for a path whose length no longer fits the query set its alteration produced."""
    path = o.schema.field("path").bytes(length=proof_hash_count(s.code_log, idx) * HASH_LEN)
    leaves = leaf_bytes(F, np.ascontiguousarray(o.cols.T), o.salts)
    try:
        verify_multi(com, s.code_log, leaf_prefix(F, s), idx, leaves, path)
    except ProofRejected as e:
        raise ProofRejected(f"{where}: {e}") from None


class LigeroPCS:
    """Transparent hash-based PCS; proof ~ (tests + 1) C + t R elements per group of tables,
    hiding (`hiding=True`, the default) at the cost of padded rows, salts and a mask matrix."""

    name = "ligero"

    def __init__(
        self, hiding: bool = True, security_bits: int = SECURITY_BITS, rate_log: int = RATE_LOG
    ) -> None:
        self.hiding, self.bits, self.rate_log = hiding, security_bits, rate_log

    def shape(self, F: PrimeField, m: int) -> Shape:
        return choose_shape(F, m, self.rate_log, self.bits, self.hiding)

    def _groups(self, F, sizes: dict[str, int], claims: list[PcsClaim]) -> list[_Group]:
        return _groups(F, sizes, claims, self.rate_log, self.bits, self.hiding)

    # ---- prover ---------------------------------------------------------------------------
    def commit(
        self,
        F: PrimeField,
        table: Array,
        columns: ColumnStoreFactory | None = None,
        rng: RandomSource | None = None,
    ) -> tuple[bytes, LigeroState]:
        """`columns` makes the store of the encoded matrix (default: in memory); `rng` gives
        the padding and the salts (default: the OS CSPRNG)."""
        rng = rng or secrets
        n = table.shape[0]
        m = n.bit_length() - 1
        if table.ndim != 1 or n != 1 << m or m > MAX_M:
            raise ValueError("a committed table has 2^m elements, m <= 40")
        s = self.shape(F, m)
        if s.m > m:
            padded = F.zeros(1 << s.m)
            padded[:n] = table
            table = padded
        M = table.reshape(s.rows, s.cols)
        P = random_elements(F, rng, s.rows * s.pad).reshape(s.rows, s.pad) if s.pad else None

        def rows(r0: int, r1: int) -> Array:
            """Rows r0..r1's messages, built at the encoder's length in one copy."""
            if P is None:
                return M[r0:r1]
            msg = F.zeros((r1 - r0, 1 << s.encoded_log))
            msg[:, : s.cols] = M[r0:r1]
            msg[:, s.cols : s.msg_len] = P[r0:r1]
            return msg

        com = commit_rows(F, s, rows, s.rows, (columns or ColumnStore)(F, s), rng)
        return com.tree.root, LigeroState(m, s, M, P, com)

    def open(
        self,
        F: PrimeField,
        states: dict[str, LigeroState],
        claims: list[PcsClaim],
        tr: Transcript,
        rng: RandomSource | None = None,
    ) -> Tree:
        """One opening of all claims; `rng` gives the mask matrices (default: the OS CSPRNG)."""
        rng = rng or secrets
        groups = self._groups(F, {n: st.table_log for n, st in states.items()}, claims)
        out = []
        for g in groups:
            sts = [states[n] for n in g.tables]
            for name, st in zip(g.tables, sts, strict=True):
                if st.opened and st.P is not None:
                    raise ValueError(f"hiding commitment {name!r} is already opened once")
                st.opened = True
            _absorb_group(F, tr, g, {n: states[n].com.tree.root for n in g.tables})
            if opens_directly(F, g.shape, len(sts)):
                tables = [st.M.reshape(-1) for st in sts]
                for t in tables:
                    tr.absorb_field("pcs/direct", F, t)
                out.append({"direct": [F.encode(t) for t in tables]})
            else:
                out.append(self._open_group(F, g, sts, tr, rng))
        return {"groups": out}

    def _open_group(self, F, g: _Group, sts: list[LigeroState], tr: Transcript, rng) -> dict:
        E = F.ext
        s, k, d = g.shape, len(g.claims), F.ext.degree
        out: dict = {}
        if s.pad:  # 0. the mask matrix
            Z = random_elements(F, rng, g.mask_rows(d) * s.msg_len)
            Z = Z.reshape(g.mask_rows(d), s.msg_len)
            store = ColumnStore(F, s, rows=g.mask_rows(d))
            mask = commit_rows(F, s, lambda r0, r1: Z[r0:r1], g.mask_rows(d), store, rng)
            tr.absorb("pcs/mask", mask.tree.root)
            out["mask"] = mask.tree.root
        # 1. proximity test
        r = tr.challenge_exts("pcs/test", F, s.tests * g.test_challenges(d))
        r_tab, r_mask = _test_coefficients(F, g, r)
        w = _combine_messages(F, r_tab, sts)  # (d, tests, msg_len)
        if s.pad:
            mcoef = _mask_coefficients(F, g, r_mask, E.zeros(()), E.zeros(k))
            w = E.add(w, row_combine(F, mcoef[:, : s.tests], Z))
        tr.absorb_field("pcs/tests", E, w)
        out["tests"] = E.encode(w.reshape(d, -1))
        # 2. masked claims
        targets = np.stack([v for _, _, v in g.claims], axis=1)  # (d, k)
        zeta = None
        if s.pad:
            # claim c's mask vector: the components of extension row tests + c, first C symbols
            masks = [Z[(s.tests + c) * d : (s.tests + c + 1) * d, : s.cols] for c in range(k)]
            mu = np.stack(
                [
                    E.dot(masks[c], eq_table(F, pt[:, : s.col_log]))
                    for c, (_, pt, _) in enumerate(g.claims)
                ],
                axis=1,
            )
            tr.absorb_field("pcs/mu", E, mu)
            out["mu"] = E.encode(mu)
            zeta = tr.challenge_ext("pcs/zeta", F)
            targets = E.add(targets, E.mul(mu, zeta))
        # 3. common column point
        rounds, evals = [], targets
        if not _same_lo(g):
            alpha = tr.challenge_exts("pcs/alpha", F, k)
            Y = E.zeros((k, s.cols))
            B = E.zeros((k, s.cols))
            for c, (t, pt, _) in enumerate(g.claims):
                a = eq_table(F, pt[:, s.col_log :])[:, None, :]
                Y[:, c] = row_combine(F, a, sts[t].M)[:, 0]
                if zeta is not None:
                    Y[:, c] = E.add(Y[:, c], E.mul(masks[c], zeta))
                B[:, c] = E.mul(eq_table(F, pt[:, : s.col_log]), alpha[:, c])
            rounds, _, evals = sumcheck_prove(F, tr, "pcs/sumcheck", Y, B)
            tr.absorb_field("pcs/evals", E, evals)
        out["sumcheck"] = rounds
        out["evals"] = E.encode(evals) if rounds else b""
        # 4. evaluation vector
        gamma = tr.challenge_exts("pcs/gamma", F, k)
        u = _combine_messages(F, _betas(F, g, gamma)[:, None], sts)[:, 0]  # (d, msg_len)
        if zeta is not None:
            mcoef = _mask_coefficients(F, g, r_mask, zeta, gamma)
            u = E.add(u, row_combine(F, mcoef[:, s.tests :], Z)[:, 0])
        tr.absorb_field("pcs/u", E, u)
        out["u"] = E.encode(u)
        # 5. columns
        idx = query_indices(tr, s)
        out["tables"] = [st.com.opening(F, idx) for st in sts]
        if s.pad:
            out["mask_columns"] = mask.opening(F, idx)
        return out

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
        groups = self._groups(F, {n: m for n, (_, m) in commitments.items()}, claims)
        opening.dict({"groups"})
        gschemas = opening.field("groups").list(len(groups), len(groups))
        for g, gs in zip(groups, gschemas, strict=True):
            where = f"{gs.path} (tables of 2^{g.shape.m})"
            _absorb_group(F, tr, g, {n: commitments[n][0] for n in g.tables})
            if opens_directly(F, g.shape, len(g.tables)):
                gs.dict({"direct"})
                self._verify_direct(F, g, gs, commitments, tr, where)
            else:
                self._verify_group(F, g, gs, commitments, tr, where)

    def _verify_group(self, F, g: _Group, gs: Schema, commitments, tr, where: str) -> None:
        E = F.ext
        s, G, k, d = g.shape, len(g.tables), len(g.claims), F.ext.degree
        keys = {"tests", "sumcheck", "evals", "u", "tables"}
        gs.dict(keys | ({"mask", "mu", "mask_columns"} if s.pad else set()))
        if s.pad:
            mask_root = gs.field("mask").bytes(length=HASH_LEN)
            tr.absorb("pcs/mask", mask_root)
        r = tr.challenge_exts("pcs/test", F, s.tests * g.test_challenges(d))
        r_tab, r_mask = _test_coefficients(F, g, r)
        w_len = s.tests * s.msg_len
        w = E.decode(gs.field("tests").bytes(length=w_len * E.byte_len), w_len)
        w = w.reshape(d, s.tests, s.msg_len)
        tr.absorb_field("pcs/tests", E, w)
        targets = np.stack([v for _, _, v in g.claims], axis=1)
        zeta = E.zeros(())
        if s.pad:
            mu = E.decode(gs.field("mu").bytes(length=k * E.byte_len), k)
            tr.absorb_field("pcs/mu", E, mu)
            zeta = tr.challenge_ext("pcs/zeta", F)
            targets = E.add(targets, E.mul(mu, zeta))
        if _same_lo(g):
            gs.field("sumcheck").list(0, 0)
            gs.field("evals").bytes(length=0)
            r_lo = g.claims[0][1][:, : s.col_log]
            evals = targets
        else:
            alpha = tr.challenge_exts("pcs/alpha", F, k)
            rounds = gs.field("sumcheck").list(s.col_log, s.col_log)
            claim = E.sum(E.mul(targets, alpha))
            pt_lo, final = sumcheck_verify(F, tr, "pcs/sumcheck", rounds, claim, where)
            r_lo = np.stack(pt_lo, axis=1) if pt_lo else E.zeros(0)
            evals = E.decode(gs.field("evals").bytes(length=k * E.byte_len), k)
            tr.absorb_field("pcs/evals", E, evals)
            eqs = np.stack([eq_eval(F, pt[:, : s.col_log], r_lo) for _, pt, _ in g.claims], axis=1)
            if not E.equal(E.sum(E.mul(E.mul(eqs, alpha), evals)), final):
                raise ProofRejected(f"{where}: evaluations do not match the sumcheck")
        gamma = tr.challenge_exts("pcs/gamma", F, k)
        betas = _betas(F, g, gamma)
        u = E.decode(gs.field("u").bytes(length=s.msg_len * E.byte_len), s.msg_len)
        tr.absorb_field("pcs/u", E, u)
        if not E.equal(E.dot(u[:, : s.cols], eq_table(F, r_lo)), E.dot(evals, gamma)):
            raise ProofRejected(f"{where}: evaluation vector does not match the claims")
        idx = query_indices(tr, s)
        q = len(idx)
        opened = [_parse_columns(F, s, ts, q, s.rows) for ts in gs.field("tables").list(G, G)]
        # the encoded test and evaluation vectors at the queried columns ...
        vecs = np.concatenate([w, u[:, None, :]], axis=1)  # (d, tests + 1, msg_len)
        enc = encode_messages(F, s, vecs.reshape(-1, s.msg_len))[idx]  # (q, d (tests + 1))
        enc = enc.T.reshape(d, s.tests + 1, q)
        # ... against the same combinations of the opened columns
        coeffs = np.concatenate([r_tab, betas[:, None]], axis=1)  # (d, tests + 1, G, R)
        expect = _combine_tables(F, coeffs, [o.cols for o in opened])
        if s.pad:
            mask = _parse_columns(F, s, gs.field("mask_columns"), q, g.mask_rows(d))
            mcoef = _mask_coefficients(F, g, r_mask, zeta, gamma)
            expect = E.add(expect, row_combine(F, mcoef, mask.cols))
        if not E.equal(enc, expect):
            raise ProofRejected(f"{where}: opened columns do not match the encoded combinations")
        for name, o in zip(g.tables, opened, strict=True):
            _check_path(F, commitments[name][0], s, o, idx, f"{where}: table {name!r}")
        if s.pad:
            _check_path(F, mask_root, s, mask, idx, f"{where}: mask")

    def _verify_direct(self, F, g: _Group, gs: Schema, commitments, tr, where: str) -> None:
        """The group's tables sent as they are: recommit each, evaluate the claims."""
        n = 1 << g.shape.m
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
