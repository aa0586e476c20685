"""Ligero-style tensor-code polynomial commitment for multilinear tables [AHIV17, GLSTW23],
hiding by default (zero knowledge: an opening reveals nothing beyond the claimed values).

Commit. A table T of 2^m base elements, zero-padded to 2^s.m (`ligero_params.choose_shape`
picks R x C), is the matrix M[row, col] = T[row * C + col], so with z = (z_lo | z_hi) split at
log2 C:  T~(z) = eq(z_hi)^T . M . eq(z_lo).
Each row's message is encoded (rate 1/4, zkcc.pcs.codes) into the R x N matrix U; leaf j of a
SHA-256 Merkle tree is column j of U. The commitment is the root. Hiding: a row's message is
(row | P[row]) with `pad` uniform symbols P; the table is committed with
S = (tests + OPENING_MASKS) d mask rows Z of uniform messages beside its rows (an extension
row, d base rows: its components, per proximity test, and three for the opening: A, B and
Z_u below), however many claims it will be opened with, and leaf j is
SHA-256(salt_j || column j of U || column j of Enc(Z)) with a fresh 16-byte salt.

Open: ALL claims on ALL tables, in groups (`ligero_params.opening_groups`): plain, tables of
one shape; hiding, tables of one code (C, rate, pad, queries, tests) whatever their rows, the
codes chosen for all the proof's tables together (`table_shapes`, given `table_logs`), so
that few groups pay for test and evaluation vectors. Step 1 runs for every group, step 2 once for
the whole opening, then steps 3-5 per group; every message is absorbed before the next
challenge:

 1. Proximity test. r in E^(tests x rows) over every committed row of the group (the tables'
    opening mask rows included); the prover sends w_j = sum r_(j,row) row (+ every table's
    test mask row Z_j, coefficient 1).
 2. Plain: each hidden claim's value is stated and every relation checked on them (`_Links`).
    Hiding ("Hiding opening" below): the masks' sum G, then alpha and rho, then the groups'
    sums S_g.
 3. Common column point. Claims differ in z_c,lo; a sumcheck moves them all to one random
    r_lo. Plain: on sum_c alpha_c sum_col y_c[col] eq(z_c,lo)[col] = sum_c alpha_c v_c with
    y_c = eq(z_c,hi)^T M_c, after which the prover sends e_c = y_c~(r_lo); skipped when all
    claims share z_lo (then r_lo = z_lo, e_c = v_c). Hiding: masked, and skipped likewise
    (below).
 4. Evaluation. Plain: gamma in E^k; the prover sends u = sum_c gamma_c eq(z_c,hi)^T M_c, the
    whole message; the verifier checks <u, eq(r_lo)> = sum gamma_c e_c. Hiding: below.
 5. Columns. t distinct query indices in [0, N); for every table the opened columns (its rows,
    then its mask rows), their salts and one Merkle multi-opening. The verifier checks
    Enc(w_j)[i] and Enc(u)[i] against the same combinations of the opened columns at every
    queried i.

Hidden claims (zkcc.pcs.base.Relation). A claim may keep its value secret: the verifier
learns only that the hidden claims of a relation satisfy sum_k coeff_k v_k = total. This is
how assert_eq of two committed tensors proves a - b = 0 without sending either value. A plain
opening states the values and checks the relations.

Hiding opening (`_Batch`, `_open_hiding`, `_verify_batch`). No claim's value, mask value or
evaluation is sent: every claim and relation of the opening is one linear statement. After
the tests, the prover sends G = sum_g G_g, G_g = sum_x (A_g[x] + s[x] B_g[x]) over the group's
opening masks A_g, B_g (the sums over its tables of their A and B rows' first C symbols) with
the public weight s[x] = 1 + popcount(x); the verifier draws alpha (one per relation and per
known claim) and rho. Claim i gets the weight beta_i (alpha_r coeff_i in relation r, alpha_c
if known), so that sum_i beta_i v_i = H = sum_r alpha_r total_r + sum_c alpha_c v_c, which the
verifier computes. The prover sends each group's S_g = sum_(c in g) beta_c v_c + rho G_g but
the last; the verifier sets the last so that sum_g S_g = H + rho G. Per group:
  3. sumcheck over the column variables of
        sum_x [ sum_c beta_c y_c~(x) eq(z_c,lo, x) + rho (A~(x) + s~(x) B~(x)) ] = S_g,
     ending at r_lo in a claim `final`;
  4. the prover sends mu = <Z_u[:C], eq(r_lo)> (Z_u summed over the tables); the verifier
     draws zeta; the prover sends
        u = sum_c beta_c eq(z_c,lo, r_lo) eq(z_c,hi)^T (M_c | P_c)
            + rho A + rho s~(r_lo) B + zeta Z_u    (whole messages);
     the verifier checks <u[:C], eq(r_lo)> = final + zeta mu (s~(r) = 1 + sum r_i);
  5. the columns as above, the mask rows weighed (rho, rho s~(r_lo), zeta) in Enc(u).
When the group's claims share z_lo there is no sumcheck: r_lo = z_lo, G_g = A~(z_lo) (B is
not used), final = S_g, and u weighs claim c with beta_c and A with rho (`_u_weights`).
Soundness: a false claim or relation makes H differ from the true sum except for 1/|E| of
alpha; G is fixed before rho, so sum_g S_g = H + rho G then needs some group's S_g to be
false except for 1/|E| of rho, which its sumcheck catches except for 2 log2(C)/|E|; mu is
fixed before zeta (1/|E|); u is tied to the committed rows by the columns (proximity and
queries, as in plain). Zero knowledge: G and the sums are uniform (fresh A; with several
groups only their total is fixed); the messages of rho (A + s B) span every message the
verifier could accept (`tests/test_ligero_zk.py::test_sumcheck_masks_span_every_message`:
rank 2 log2 C + 1, where A alone spans only the degree-1 part, hence the second, weighted
mask), so the sumcheck's messages are uniform given S_g; mu is uniform (fresh Z_u) and u is
uniform given the check it must pass; the opened columns are uniform by the padding
argument below. The masks cost three extension rows per table in every opened column,
where a mask row per claim made the opening grow with the claims (layers' 51 claims on one
bin: 96 KB of its 111 KB of columns).

Hiding (the code). The random symbols sit at basis
indices [C, C + pad) of the code (zkcc.pcs.codes): for RS that is x^C f(x) with deg f < pad,
for the circle code v_c(x) f(P) with f in span(b_0..b_(pad-1)) = {p(x) + y q(x): deg < pad/2},
v_c = x after c - 1 doublings, nonzero on the domain. Either way their values at any
t <= pad - 1 distinct domain points are uniform (Vandermonde; for the circle code the
subspace with deg q < pad/2 - 1 has dimension pad - 1 and, by Bezout on the circle, no
nonzero element with pad - 1 zeros), so t opened columns are uniform and independent of the
table (`ligero_params.hiding_pad` picks pad > t), and so are the mask rows' (uniform
messages). w_j carries a uniform mask row, so it is uniform; unopened leaves are salted
hashes. The padding lowers the code distance to N - C - pad, which the query count accounts
for. A group whose opening would not be smaller than its tables may, when not hiding, send
the tables instead ("direct"); the verifier recommits them and evaluates the claims itself.

Workers (MPI ranks, `comm`). Commit and open split over workers that each hold the tables
(zkcc.pcs.split): each encodes a run of the T = R + S rows of U (table rows, then mask
rows) and keeps a run of whole columns, and every combination above (w_j, the y_c, the
masks' vectors, u) is a sum over rows, computed per worker and added up exactly; the opened
columns are gathered. Every worker returns the same root and opening, the one-process bytes.

Soundness and the derivation of `tests` and `queries`: zkcc.pcs.ligero_params. The proximity
test covers the mask rows too (Z_j enters w_j with coefficient 1: an affine combination,
which the proximity-gap theorem covers).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from zkcc.encoding import Schema, Tree
from zkcc.errors import FormatError, ProofRejected
from zkcc.field.base import Array, PrimeField
from zkcc.field.linalg import row_combine
from zkcc.field.mle import eq_table, eq_tables, mle_evaluate
from zkcc.forked import fork_workers
from zkcc.pcs import codes
from zkcc.pcs.base import PcsClaim, RandomSource, Relation, TableShare, check_relations
from zkcc.pcs.ligero_params import (
    OPENING_MASKS,
    RATE_LOG,
    SALT_BYTES,
    SECURITY_BITS,
    GroupPlan,
    Shape,
    choose_shape,
    opening_groups,
    opens_directly,
    table_shapes,
)
from zkcc.pcs.merkle_tree import (
    HASH_LEN,
    MerkleTree,
    hash_leaves,
    proof_hash_count,
    verify_multi,
)
from zkcc.pcs.split import (
    ALONE,
    Collective,
    add_up,
    exchange,
    gather,
    round_rows,
    rounds,
    span,
)
from zkcc.pcs.tensor_ops import as_point, eq_eval, sumcheck_prove, sumcheck_verify
from zkcc.transcript import Transcript

MAX_M = 40


class ColumnStore:
    """This worker's columns of a commitment's encoded matrix U, (columns, T) in memory: row
    j is leaf j of its run, all T rows of U (the table's, then its mask rows).

    The commitment writes runs of whole rows as they arrive (from this worker's encoder and
    its peers', zkcc.pcs.split), hashes the columns in blocks of whole columns (the leaves),
    and the opening reads the queried columns back. zkcc/runtime/memory.py keeps them in a
    file under `--mem-limit`, where only a run or a block is in memory at a time."""

    def __init__(self, F: PrimeField, rows: int, columns: int) -> None:
        self._shape = (columns, rows)
        self._U: Array | None = None

    def write_rows(self, r0: int, block: Array) -> None:
        """Rows [r0, r0 + h) of every column held, as (columns, h)."""
        if self._U is None and r0 == 0 and block.shape == self._shape:
            self._U = block  # the whole matrix in one run: kept as it is
            return
        if self._U is None:
            self._U = np.empty(self._shape, dtype=block.dtype)
        self._U[:, r0 : r0 + block.shape[1]] = block

    def blocks(self) -> Iterator[Array]:
        """The columns as consecutive blocks of whole columns, (columns, T) each, in order."""
        if self._shape[0]:
            yield self._U

    def columns(self, idx: list[int]) -> Array:
        """Columns idx (sorted, distinct, counted from this worker's first), (len(idx), T)."""
        return self._U[idx]


ColumnStoreFactory = Callable[[PrimeField, int, int], ColumnStore]  # (F, rows T, columns)


@dataclass(eq=False)
class Committed:
    """An encoded, Merkle-committed matrix: this worker's columns `cols` of it (all its rows:
    the table's, then the mask rows when hiding), their salts (hiding) and the whole tree."""

    U: ColumnStore
    rows: int  # T, the rows of the encoded matrix
    cols: range
    salts: np.ndarray | None  # (len(cols), SALT_BYTES) uint8, or None when not hiding
    tree: MerkleTree

    def opening(self, F: PrimeField, idx: list[int], comm: Collective) -> dict:
        """The columns `idx` (all of them, gathered from the workers holding them), their
        salts and their Merkle multi-opening: the same bytes whoever holds what."""
        stops = [span(self.tree.leaves, comm.size, q).stop for q in range(comm.size)]
        ends = np.searchsorted(idx, stops)
        starts = np.concatenate([[0], ends[:-1]])
        lo, hi = int(starts[comm.rank]), int(ends[comm.rank])
        mine = [i - self.cols.start for i in idx[lo:hi]]
        data = F.encode(self.U.columns(mine)) if mine else b""
        if self.salts is not None:
            data += self.salts[mine].tobytes()
        width = self.rows * F.byte_len
        columns, salts = [], []
        for k, part in zip((ends - starts).tolist(), comm.allgather(data), strict=True):
            columns.append(part[: k * width])
            salts.append(part[k * width :])
        out = {"columns": b"".join(columns), "path": self.tree.open(idx)}
        if self.salts is not None:
            out["salts"] = b"".join(salts)
        return out


@dataclass(eq=False)
class LigeroState:
    """The prover's side of one commitment, as one worker holds it: the rows `part` of the
    encoded matrix (zkcc.pcs.split), i.e. its share of the table's rows and of the mask rows,
    and its columns (`com`). A hiding commitment is opened at most once: the padding P is
    fixed at commit time, and two query sets together can exceed pad - 1 columns, beyond
    which the opened columns are no longer independent of the table."""

    table_log: int  # log2 of the committed table's own size
    shape: Shape
    part: range  # this worker's rows of the encoded matrix: table rows, then mask rows
    M: Array  # (rows held, C): its rows of the table, zero-padded to 2^shape.m
    P: Array | None  # (rows held, pad) those rows' random symbols (hiding), else None
    Z: Array | None  # (mask rows held, msg_len) its mask rows (hiding), else None
    com: Committed
    opened: bool = False

    @property
    def data(self) -> range:
        """The table rows held (indices of the table's R rows)."""
        R = self.shape.rows
        return range(min(self.part.start, R), min(self.part.stop, R))

    @property
    def masks(self) -> range:
        """The mask rows held (indices of the S mask rows)."""
        R = self.shape.rows
        return range(max(self.part.start, R) - R, max(self.part.stop, R) - R)


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


def _held_elements(s: Shape, n: int, held: range) -> range:
    """The elements of an n-element table that its R x C matrix's rows `held` hold."""
    return range(min(n, held.start * s.cols), min(n, held.stop * s.cols))


def _table_rows(F: PrimeField, table: TableShare, s: Shape, held: range) -> Array:
    """Rows `held` of the table's R x C matrix, zero-padded to 2^s.m: a view of the whole
    table, or a copy of a share (so that the table itself need not be kept)."""
    n = table.size
    if len(held) == s.rows and n == 1 << s.m and table.start == 0:
        return table.values.reshape(s.rows, s.cols)
    out = F.zeros((len(held), s.cols))
    flat = out.reshape(-1)
    lo, hi = held.start * s.cols, min(n, held.stop * s.cols)
    if hi > lo:
        flat[: hi - lo] = table.part(lo, hi)
    return out


def random_rows(F: PrimeField, rng: RandomSource, n: int, width: int, held: range) -> Array:
    """Rows `held` of n rows of `width` uniform base elements (wide reduction of the source's
    bytes, as the transcript does). Every worker draws all n rows' bytes, so that its source
    stays in step with one process's, and reduces only its own."""
    raw = rng.token_bytes(n * width * F.wide_len)
    size = width * F.wide_len
    mine = raw[held.start * size : held.stop * size]
    return F.from_wide_bytes(mine, len(held) * width).reshape(len(held), width)


def encode_messages(F: PrimeField, s: Shape, rows: Array, workers: int = 1) -> Array:
    """Encode (B, msg_len) row messages into the column-major (N, B) codewords of shape s: the
    message zero-padded to 2^encoded_log coefficients (the domain is that of N either way);
    `workers`: processes a bn254 encoding may use (codes.encode)."""
    B, n = rows.shape
    full = 1 << s.encoded_log
    if n != full:
        msg = F.zeros((B, full))
        msg[:, :n] = rows
        rows = msg
    return codes.encode_rows(F, rows, s.code_log - s.encoded_log, workers)


def commit_rows(
    F: PrimeField,
    s: Shape,
    T: int,
    rows: Callable[[int, int], Array],
    store: ColumnStoreFactory,
    rng: RandomSource | None,
    comm: Collective,
) -> Committed:
    """Commit to the T x N matrix whose rows are the messages rows(r0, r1) -> (r1 - r0,
    msg_len) (this worker's rows, `span(T, ...)`): encode them a round at a time, send each
    worker its columns of them, hash this worker's leaves (salted, from `rng`, when hiding)
    and build the tree from every worker's leaf hashes (zkcc.pcs.split)."""
    W, N = comm.size, s.code_len
    cols = span(N, W, comm.rank)
    where = [span(N, W, q) for q in range(W)]
    rows_of = [span(T, W, q) for q in range(W)]
    U = store(F, T, len(cols))
    step = round_rows(F, N)
    forks = fork_workers() if W == 1 else 1  # MPI ranks do not fork (zkcc.forked)
    for k in range(rounds(T, W, step)):
        part = [range(t.start + k * step, min(t.stop, t.start + (k + 1) * step)) for t in rows_of]
        mine = part[comm.rank]  # the rows each worker encodes this round
        enc = encode_messages(F, s, rows(mine.start, mine.stop), forks) if mine else F.zeros((N, 0))
        sent = [enc[c.start : c.stop] for c in where]
        got = exchange(F, comm, sent, [(len(cols), len(r)) for r in part])
        for block, r in zip(got, part, strict=True):
            if r:
                U.write_rows(r.start, block)
    salts = None
    if rng is not None:
        raw = np.frombuffer(rng.token_bytes(N * SALT_BYTES), dtype=np.uint8)
        salts = raw.reshape(N, SALT_BYTES)[cols.start : cols.stop].copy()
    prefix = leaf_prefix(F, s)
    hashes: list[bytes] = []
    for block in U.blocks():
        j0, j1 = len(hashes), len(hashes) + block.shape[0]
        head = None if salts is None else salts[j0:j1]
        hashes.extend(hash_leaves(prefix, leaf_bytes(F, block), head))
    every = gather(comm, b"".join(hashes))
    leaves = [every[i : i + HASH_LEN] for i in range(0, len(every), HASH_LEN)]
    return Committed(U, T, cols, salts, MerkleTree.from_leaf_hashes(leaves))


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


@dataclass(frozen=True)
class _Group(GroupPlan):
    """The tables opened together with one query set (`ligero_params.opening_groups`): of one
    shape when plain, of one code when hiding, where their row counts may differ. `shape` is
    the code's (its first table's); `shapes[t]` is table t's. The claim lists are filled in
    as the claims are grouped."""

    # per claim: (table position, point (d, its shape's m), value)
    claims: list[tuple[int, Array, Array]] = field(default_factory=list)
    hidden: list[bool] = field(default_factory=list)  # per claim: its value is hidden
    index: list[int] = field(default_factory=list)  # per claim: its place in the opening's list

    @property
    def rows(self) -> list[int]:
        """Each table's row count R_t."""
        return [s.rows for s in self.shapes]

    def extra_rows(self, d: int) -> int:
        """Base mask rows of each table beyond its test rows (hiding): the opening's masks."""
        return OPENING_MASKS * d if self.shape.pad else 0

    def test_challenges(self, d: int) -> int:
        """Proximity coefficients drawn: per test, one per data row and per opening mask row
        of every table (a table's test mask rows enter with coefficient 1)."""
        extra = self.extra_rows(d) * len(self.tables)
        return self.shape.tests * (sum(self.rows) + extra)


def _groups(
    F, sizes: dict[str, int], claims: list[PcsClaim], shape: Callable[[int], Shape]
) -> list[_Group]:
    """The claims, by group (`ligero_params.opening_groups` of the claimed tables, a 2^m
    table of shape `shape(m)`), each point zero-extended to its table's padded size."""
    E = F.ext
    for c in claims:
        if c.name not in sizes:
            raise ValueError(f"claim on {c.name!r}, which is not committed")
    claimed = {c.name: sizes[c.name] for c in claims}
    plans = opening_groups(claimed, {m: shape(m) for m in set(claimed.values())})
    groups = [_Group(p.tables, p.shapes) for p in plans]
    where = {n: (g, t) for g in groups for t, n in enumerate(g.tables)}
    for i, c in enumerate(claims):
        g, t = where[c.name]
        m = sizes[c.name]
        value = None if c.value is None else np.asarray(c.value)
        if (value is None and not c.hidden) or (value is not None and value.shape != (E.degree,)):
            raise ValueError("a claim's value is one challenge-field element (None if hidden)")
        pt = as_point(F, c.point, m)
        pt = np.concatenate([pt, E.zeros(g.shapes[t].m - m)], axis=1)  # padding bits are zero
        g.claims.append((t, pt, value))
        g.hidden.append(c.hidden)
        g.index.append(i)
    return groups


def _absorb_group(F, tr: Transcript, g: _Group, commitments: dict[str, bytes]) -> None:
    E = F.ext
    s = g.shape
    sizes = [s.col_log, s.rate_log, s.pad, len(g.tables), len(g.claims), *(t.m for t in g.shapes)]
    tr.absorb_ints("pcs/group", sizes)
    for name in g.tables:
        tr.absorb("pcs/table", name.encode() + commitments[name])
    for (t, pt, v), hidden in zip(g.claims, g.hidden, strict=True):
        tr.absorb_ints("pcs/claim", [t, int(hidden)])
        tr.absorb_field("pcs/point", E, pt)
        if not hidden:  # a hidden value is bound later, through its relation
            tr.absorb_field("pcs/value", E, v)


def _same_lo(g: _Group) -> bool:
    c = g.shape.col_log
    first = g.claims[0][1][:, :c]
    return all(np.array_equal(pt[:, :c], first) for _, pt, _ in g.claims)


def _on_table(g: _Group, t: int) -> list[int]:
    """The positions of the group's claims on table t."""
    return [k for k, (table, _, _) in enumerate(g.claims) if table == t]


def _row_eqs(F, g: _Group, ks: list[int]) -> Array:
    """(d, K, R_t): eq(z_c,hi) of the claims ks, all on one table, built together."""
    c = g.shape.col_log
    return eq_tables(F, np.stack([g.claims[k][1][:, c:] for k in ks], axis=1))


def _lo_points(g: _Group) -> Array:
    """(d, k, log2 C): every claim's column coordinates z_c,lo."""
    return np.stack([pt[:, : g.shape.col_log] for _, pt, _ in g.claims], axis=1)


def _betas(F, g: _Group, gamma: Array) -> Array:
    """(d, G, max R_t): beta_t = sum over claims c on table t of gamma_c eq(z_c,hi), zero
    beyond table t's rows."""
    E = F.ext
    betas = E.zeros((len(g.tables), max(g.rows)))
    for t, R in enumerate(g.rows):
        ks = _on_table(g, t)
        if ks:
            betas[:, t, :R] = E.sum(E.mul(_row_eqs(F, g, ks), gamma[:, ks, None]), axis=0)
    return betas


def _combine_tables(F, coeffs: Array, mats: list[Array], held: list[range] | None = None):
    """sum_t coeffs[:, :, t, rows_t] @ mats[t] for coeffs (d, K, G, max R_t) -> (d, K, cols),
    where mats[t] holds the rows rows_t = held[t] of table t (default: its first ones, as
    many as it has)."""
    E = F.ext
    acc = None
    for t, M in enumerate(mats):
        rows = slice(0, len(M)) if held is None else slice(held[t].start, held[t].stop)
        part = row_combine(F, coeffs[:, :, t, rows], M)
        acc = part if acc is None else E.add(acc, part)
    return acc


def _combine_messages(F, coeffs: Array, sts: list[LigeroState]) -> Array:
    """The same combination of the tables' whole row messages (M | P), (d, K, msg_len), over
    the rows this worker holds: its share of the sum (zkcc.pcs.split.add_up)."""
    held = [st.data for st in sts]
    data = _combine_tables(F, coeffs, [st.M for st in sts], held)
    if sts[0].P is None:
        return data
    padding = _combine_tables(F, coeffs, [st.P for st in sts], held)
    return np.concatenate([data, padding], axis=-1)


def _combine_masks(F, mcoef: Array, st: LigeroState) -> Array:
    """mcoef (d, K, S) applied to the mask rows this worker holds: its share, (d, K, msg_len)."""
    return row_combine(F, mcoef[:, :, st.masks.start : st.masks.stop], st.Z)


def _test_coefficients(F, g: _Group, r: Array) -> tuple[Array, list[Array]]:
    """The proximity challenge, (d, tests x (sum_t R_t + G opening mask rows)), split into
    the tables' data rows' (d, tests, G, max R_t), table by table and zero beyond a table's
    rows, and each table's opening mask rows' coefficients (d, tests, OPENING_MASKS d); a
    table's test mask rows enter with coefficient 1, not drawn."""
    E, s, G = F.ext, g.shape, len(g.tables)
    r = r.reshape(E.degree, s.tests, -1)
    data = E.zeros((s.tests, G, max(g.rows)))
    starts = np.concatenate([[0], np.cumsum(g.rows)]).tolist()
    for t, R in enumerate(g.rows):
        data[:, :, t, :R] = r[:, :, starts[t] : starts[t] + R]
    extra = g.extra_rows(E.degree)
    ends = [starts[-1] + t * extra for t in range(G + 1)]
    return data, [r[:, :, a:b] for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _mask_coefficients(F, g: _Group, r_mask: Array, weights: Array | None = None) -> Array:
    """(d, tests + 1, mask rows): how a table's mask rows enter w_j (test j's extension row
    with coefficient 1, whose base rows are its components; the opening mask rows with their
    proximity coefficients r_mask) and u (opening mask row j with weights[:, j]; a zero row
    when `weights` is None)."""
    E = F.ext
    d, T = E.degree, g.shape.tests
    out = E.zeros((T + 1, g.shape.mask_rows(d)))
    for j in range(T):
        for b in range(d):
            out[b, j, j * d + b] = 1  # component b of an extension row is u^b times it
    out[:, :T, T * d :] = r_mask
    if weights is not None:
        for j in range(OPENING_MASKS):
            for b in range(d):
                out[:, T, (T + j) * d + b] = _times_unit(E, weights[:, j], b)
    return out


def _times_unit(E, x: Array, b: int) -> Array:
    """x u^b for the extension's b-th basis element u^b."""
    unit = E.zeros(())
    unit[b] = 1
    return E.mul(x, unit)


def _opening_masks(F, g: _Group, sts: list[LigeroState]) -> Array:
    """(d, OPENING_MASKS, C): the sum over the group's tables of each opening mask row's
    first C symbols, as extension vectors (base mask row (tests + j) d + b is component b of
    row j); of the rows this worker holds, so its share of the sum."""
    s, d = g.shape, F.ext.degree
    out = F.ext.zeros((OPENING_MASKS, s.cols))
    for st in sts:
        held = st.masks
        for j in range(OPENING_MASKS):
            for b in range(d):
                row = (s.tests + j) * d + b
                if row in held:
                    out[b, j] = F.add(out[b, j], st.Z[row - held.start, : s.cols])
    return out


def popcount_weights(F: PrimeField, col_log: int) -> Array:
    """s[x] = 1 + popcount(x) for x in [0, 2^col_log): the second sumcheck mask's weight,
    whose multilinear extension is 1 + sum_i x_i (`popcount_at`)."""
    x = np.arange(1 << col_log, dtype=np.int64)
    s = np.ones_like(x)
    for i in range(col_log):
        s += (x >> i) & 1
    return F.array(s.tolist())


def popcount_at(F: PrimeField, r: Array) -> Array:
    """1 + sum_i r_i: the multilinear extension of `popcount_weights` at r (d, col_log)."""
    E = F.ext
    acc = E.one()
    for i in range(r.shape[1]):
        acc = E.add(acc, r[:, i])
    return acc


def sumcheck_mask_weights(F: PrimeField, col_log: int) -> Array:
    """(2, C) base: the column sumcheck's masks A and B weigh x by 1 and by 1 + popcount(x)."""
    return np.stack([F.ones(1 << col_log), popcount_weights(F, col_log)])


def _mask_sum(F, g: _Group, masks: Array) -> Array:
    """G_g = sum_x (A[x] + s[x] B[x]) for the group's first two opening masks A, B; A~(z_lo)
    when its claims share z_lo (no column sumcheck, `_u_weights`)."""
    E = F.ext
    if _same_lo(g):
        return E.dot(masks[:, 0], eq_table(F, g.claims[0][1][:, : g.shape.col_log]))
    return E.sum(E.mul_base(masks[:, :2], sumcheck_mask_weights(F, g.shape.col_log)))


def _u_weights(F, g: _Group, beta: Array, rho: Array, r_lo: Array, zeta: Array):
    """u's weights: (d, k) claim c's, which turn the column sumcheck's last claim into
    <u[:C], eq(r_lo)> (no per-claim value is sent), and (d, OPENING_MASKS) the opening mask
    rows' (rho and rho s~(r_lo) for A and B, their share of that claim; zeta for Z_u). After
    a sumcheck claim c weighs beta_c eq(z_c,lo, r_lo); without one (the claims share
    r_lo = z_lo, the group's statement is sum_c beta_c y_c~(z_lo) + rho A~(z_lo)) beta_c,
    and B weighs nothing."""
    E = F.ext
    if _same_lo(g):
        return beta, np.stack([rho, E.zeros(()), zeta], axis=1)
    masks = [rho, E.mul(rho, popcount_at(F, r_lo)), zeta]
    return E.mul(beta, _column_eqs(F, g, r_lo)), np.stack(masks, axis=1)


def _column_eqs(F, g: _Group, r_lo: Array) -> Array:
    """(d, k): eq(z_c,lo, r_lo) for each claim c, its weight after the column sumcheck."""
    return eq_eval(F, _lo_points(g), r_lo)


class _Batch:
    """A hiding opening's one combination of all its claims (module docstring, "Hiding
    opening"): alpha_r per relation and alpha_c per known claim give claim i the weight
    beta_i (alpha_r coeff_i for a hidden claim of relation r, alpha_c for a known one), and
    sum_i beta_i v_i = H = sum_r alpha_r total_r + sum_c alpha_c v_c, which the verifier
    computes without learning any hidden value."""

    def __init__(self, F, claims: list[PcsClaim], relations: Sequence[Relation], alpha) -> None:
        E = F.ext
        known = [i for i, c in enumerate(claims) if not c.hidden]
        self.beta: dict[int, Array] = {}
        H = E.zeros(())
        for r, rel in enumerate(relations):
            a = alpha[:, r]
            H = E.add(H, E.mul(a, np.asarray(rel.total)))
            for i, coeff in rel.terms:
                self.beta[i] = E.mul(a, np.asarray(coeff))
        for j, i in enumerate(known):
            a = alpha[:, len(relations) + j]
            H = E.add(H, E.mul(a, np.asarray(claims[i].value)))
            self.beta[i] = a
        self.H = H

    @classmethod
    def draw(cls, F, tr: Transcript, claims, relations) -> _Batch:
        """alpha from the transcript (one per relation, then per known claim), and the
        weights it gives."""
        alpha = tr.challenge_exts(
            "pcs/alpha", F, len(relations) + sum(not c.hidden for c in claims)
        )
        return cls(F, claims, relations, alpha)

    def of(self, g: _Group) -> Array:
        """(d, k): the weights of the group's claims."""
        return np.stack([self.beta[i] for i in g.index], axis=1)


class _Links:
    """The hidden claims of a plain (not hiding) opening and their relations: the prover
    states each hidden value, the verifier checks every relation on them, and the groups go
    on with them as known values. (A hiding opening never states them: `_Batch`.)"""

    def __init__(self, F, claims, relations: Sequence[Relation]) -> None:
        self.F, self.claims, self.relations = F, claims, list(relations)
        self.hidden = [i for i, c in enumerate(claims) if c.hidden]
        self.t: dict[int, Array] = {}
        self.tree: dict = {}

    def prove_values(self, tr: Transcript) -> None:
        E = self.F.ext
        if not self.relations:
            return
        self.t = {i: np.asarray(self.claims[i].value) for i in self.hidden}
        T = np.stack([self.t[i] for i in self.hidden], axis=1)
        tr.absorb_field("pcs/hidden", E, T)
        self.tree["values"] = E.encode(T)

    def verify_values(self, tr: Transcript, ls: Schema | None) -> None:
        E = self.F.ext
        if not self.relations:
            return
        ls.dict({"values"})
        n = len(self.hidden)
        T = E.decode(ls.field("values").bytes(length=n * E.byte_len), n)
        tr.absorb_field("pcs/hidden", E, T)
        self.t = {i: T[:, k].copy() for k, i in enumerate(self.hidden)}
        for r, rel in enumerate(self.relations):
            acc = E.zeros(())
            for i, coeff in rel.terms:
                acc = E.add(acc, E.mul(self.t[i], coeff))
            if not E.equal(acc, np.asarray(rel.total)):
                raise ProofRejected(rel.failed(r))

    def values_of(self, g: _Group) -> list[Array]:
        """The group's claims' values: a hidden one as stated, a known one as claimed."""
        return [
            self.t[i] if h else v
            for (_, _, v), h, i in zip(g.claims, g.hidden, g.index, strict=True)
        ]


def _verify_tests(F, g: _Group, gs: Schema, tr: Transcript):
    """1. The proximity test's vectors w and the challenge: (r_tab, r_mask, w)."""
    E, s, d = F.ext, g.shape, F.ext.degree
    r = tr.challenge_exts("pcs/test", F, g.test_challenges(d))
    r_tab, r_mask = _test_coefficients(F, g, r)
    w_len = s.tests * s.msg_len
    w = E.decode(gs.field("tests").bytes(length=w_len * E.byte_len), w_len)
    w = w.reshape(d, s.tests, s.msg_len)
    tr.absorb_field("pcs/tests", E, w)
    return r_tab, r_mask, w


def _verify_plain(F, g: _Group, gs: Schema, commitments, tr, where: str, test, targets) -> None:
    """3.-5. (plain) The column sumcheck, the claims' values at its point, u and the columns."""
    E = F.ext
    s, k = g.shape, len(g.claims)
    if _same_lo(g):
        gs.field("sumcheck").list(0, 0)
        gs.field("evals").bytes(length=0)
        r_lo = g.claims[0][1][:, : s.col_log]
        evals = targets
    else:
        alpha = tr.challenge_exts("pcs/alpha", F, k)
        rounds = gs.field("sumcheck").list(s.col_log, s.col_log)
        claim = E.sum(E.mul(targets, alpha))
        pt_lo, final = sumcheck_verify(F, tr, "pcs/sumcheck", rounds, claim)
        r_lo = np.stack(pt_lo, axis=1) if pt_lo else E.zeros(0)
        evals = E.decode(gs.field("evals").bytes(length=k * E.byte_len), k)
        tr.absorb_field("pcs/evals", E, evals)
        eqs = _column_eqs(F, g, r_lo)
        if not E.equal(E.sum(E.mul(E.mul(eqs, alpha), evals)), final):
            raise ProofRejected(f"{where}: evaluations do not match the sumcheck")
    gamma = tr.challenge_exts("pcs/gamma", F, k)
    u = _receive_u(F, s, gs, tr)
    if not E.equal(E.dot(u[:, : s.cols], eq_table(F, r_lo)), E.dot(evals, gamma)):
        raise ProofRejected(f"{where}: evaluation vector does not match the claims")
    _check_columns(F, g, gs, commitments, tr, where, test, u, _betas(F, g, gamma))


def _verify_hiding(
    F, g: _Group, gs: Schema, commitments, tr, where: str, test, beta, rho, total
) -> None:
    """3.-5. (hiding) The masked column sumcheck from the group's sum `total`, mu, u (its
    value at the sumcheck's point is the sumcheck's last claim) and the columns."""
    E, s = F.ext, g.shape
    if _same_lo(g):
        gs.field("sumcheck").list(0, 0)
        r_lo, final = g.claims[0][1][:, : s.col_log], total
    else:
        rounds = gs.field("sumcheck").list(s.col_log, s.col_log)
        pt_lo, final = sumcheck_verify(F, tr, "pcs/sumcheck", rounds, total)
        r_lo = np.stack(pt_lo, axis=1) if pt_lo else E.zeros(0)
    mu = E.decode(gs.field("mu").bytes(length=E.byte_len), 1)[:, 0]
    tr.absorb_field("pcs/mu", E, mu)
    zeta = tr.challenge_ext("pcs/zeta", F)
    u = _receive_u(F, s, gs, tr)
    if not E.equal(E.dot(u[:, : s.cols], eq_table(F, r_lo)), E.add(final, E.mul(zeta, mu))):
        raise ProofRejected(f"{where}: evaluation vector does not match the sumcheck")
    w, weights = _u_weights(F, g, beta, rho, r_lo, zeta)
    _check_columns(F, g, gs, commitments, tr, where, test, u, _betas(F, g, w), weights)


TOGETHER = "a hiding opening checks its claims and relations together: any may be false"


def _verify_batch(F, groups, schemas, commitments, claims, relations, opening, tr) -> None:
    """2.-5. of a hiding opening: G, alpha and rho, the groups' sums (each stated but the
    last, which sum_g S_g = H + rho G determines), then each group (`_verify_hiding`)."""
    E = F.ext
    G = E.decode(opening.field("mask_sum").bytes(length=E.byte_len), 1)[:, 0]
    tr.absorb_field("pcs/mask-sum", E, G)
    batch = _Batch.draw(F, tr, claims, relations)
    rho = tr.challenge_ext("pcs/rho", F)
    n = len(groups) - 1
    S = E.decode(opening.field("sums").bytes(length=n * E.byte_len), n)
    last = E.sub(E.add(batch.H, E.mul(rho, G)), E.sum(S))
    S = np.concatenate([S, last[:, None]], axis=1)
    tr.absorb_field("pcs/sums", E, S)
    for k, (g, (gs, where, test)) in enumerate(zip(groups, schemas, strict=True)):
        try:
            _verify_hiding(F, g, gs, commitments, tr, where, test, batch.of(g), rho, S[:, k])
        except ProofRejected as e:
            raise ProofRejected(f"{e} ({TOGETHER})") from None


def _receive_u(F, s: Shape, gs: Schema, tr: Transcript) -> Array:
    E = F.ext
    u = E.decode(gs.field("u").bytes(length=s.msg_len * E.byte_len), s.msg_len)
    tr.absorb_field("pcs/u", E, u)
    return u


def _check_columns(F, g: _Group, gs: Schema, commitments, tr, where, test, u, betas, weights=None):
    """5. The queried columns: Enc(w_j) and Enc(u) at each equal the same combinations of the
    opened columns (data rows by r_tab and betas, mask rows by `_mask_coefficients`), and
    the columns lead to the roots."""
    E = F.ext
    s, G, d = g.shape, len(g.tables), F.ext.degree
    r_tab, r_mask, w = test
    idx = query_indices(tr, s)
    q = len(idx)
    tschemas = gs.field("tables").list(G, G)
    mask = s.mask_rows(d)
    opened = [_parse_columns(F, s, ts, q, R + mask) for ts, R in zip(tschemas, g.rows, strict=True)]
    # the encoded test and evaluation vectors at the queried columns ...
    vecs = np.concatenate([w, u[:, None, :]], axis=1)  # (d, tests + 1, msg_len)
    enc = encode_messages(F, s, vecs.reshape(-1, s.msg_len))[idx]  # (q, d (tests + 1))
    enc = enc.T.reshape(d, s.tests + 1, q)
    # ... against the same combinations of the opened columns
    coeffs = np.concatenate([r_tab, betas[:, None]], axis=1)  # (d, tests + 1, G, R)
    expect = _combine_tables(F, coeffs, [o.cols[:R] for o, R in zip(opened, g.rows, strict=True)])
    if s.pad:
        for t, o in enumerate(opened):
            mcoef = _mask_coefficients(F, g, r_mask[t], weights)
            expect = E.add(expect, row_combine(F, mcoef, o.cols[g.rows[t] :]))
    if not E.equal(enc, expect):
        raise ProofRejected(f"{where}: opened columns do not match the encoded combinations")
    for name, st, o in zip(g.tables, g.shapes, opened, strict=True):
        _check_path(F, commitments[name][0], st, o, idx, f"{where}: table {name!r}")


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
    hiding (`hiding=True`, the default) at the cost of padded rows, salts and mask rows.
    `table_logs`: the log2 sizes of every table the proof commits (a plan's,
    zkcc.runtime.packing.plan_pcs), whose shapes are then chosen together
    (`ligero_params.table_shapes`: a hiding opening's tables share few codes, so it has few
    groups); without them each table's shape is its own best."""

    name = "ligero"

    def __init__(
        self,
        hiding: bool = True,
        security_bits: int = SECURITY_BITS,
        rate_log: int = RATE_LOG,
        table_logs: Sequence[int] = (),
    ) -> None:
        self.hiding, self.bits, self.rate_log = hiding, security_bits, rate_log
        self.table_logs = tuple(table_logs)

    def shape(self, F: PrimeField, m: int) -> Shape:
        if not self.table_logs:
            return choose_shape(F, m, self.rate_log, self.bits, self.hiding)
        shapes = table_shapes(F, self.table_logs, self.hiding, self.rate_log, self.bits)
        if m not in shapes:
            raise ValueError(f"a table of 2^{m} elements is not among the committed sizes")
        return shapes[m]

    def _groups(self, F, sizes: dict[str, int], claims: list[PcsClaim]) -> list[_Group]:
        return _groups(F, sizes, claims, lambda m: self.shape(F, m))

    # ---- prover ---------------------------------------------------------------------------
    def _parts(self, F: PrimeField, n: int, comm: Collective):
        """(shape, mask rows, this worker's rows of the encoded matrix, its table rows, its
        mask rows) of an n-element table."""
        m = n.bit_length() - 1
        if n != 1 << m or m > MAX_M:
            raise ValueError("a committed table has 2^m elements, m <= 40")
        s = self.shape(F, m)
        S = s.mask_rows(F.ext.degree)
        part = span(s.rows + S, comm.size, comm.rank)
        data = range(min(part.start, s.rows), min(part.stop, s.rows))
        masks = range(max(part.start, s.rows) - s.rows, max(part.stop, s.rows) - s.rows)
        return s, S, part, data, masks

    def held(self, F: PrimeField, n: int, comm: Collective | None = None) -> range:
        """The elements of an n-element table that this worker encodes (its rows of the
        table's R x C matrix): all a TableShare given to `commit` must hold."""
        s, _, _, data, _ = self._parts(F, n, comm or ALONE)
        return _held_elements(s, n, data)

    def commit(
        self,
        F: PrimeField,
        table: Array | TableShare,
        columns: ColumnStoreFactory | None = None,
        rng: RandomSource | None = None,
        comm: Collective | None = None,
    ) -> tuple[bytes, LigeroState]:
        """`table`: the whole table, or this worker's share of it (at least `held`).
        `columns` makes the store of this worker's columns of the encoded matrix (default:
        in memory); `rng` gives the padding, the mask rows and the salts (default: the OS
        CSPRNG). `comm`: the workers that share the commitment
        (zkcc.pcs.split; default one): every one of them calls this, and each gets the same
        root and its share of the state."""
        rng = rng or secrets
        comm = comm or ALONE
        if not isinstance(table, TableShare):
            if table.ndim != 1:
                raise ValueError("a committed table is one-dimensional")
            table = TableShare.whole(table)
        s, S, part, data, masks = self._parts(F, table.size, comm)
        m = table.size.bit_length() - 1
        M = _table_rows(F, table, s, data)
        P = Z = None
        if s.pad:
            P = random_rows(F, rng, s.rows, s.pad, data)
            Z = random_rows(F, rng, S, s.msg_len, masks)

        def rows(r0: int, r1: int) -> Array:
            """Rows r0..r1 of the encoded matrix (this worker's), as messages built at the
            encoder's length in one copy: table rows (M | P), then mask rows Z."""
            if P is None:
                return M[r0 - data.start : r1 - data.start]
            msg = F.zeros((r1 - r0, 1 << s.encoded_log))
            k = max(0, min(r1, s.rows) - r0)  # table rows among them
            msg[:k, : s.cols] = M[r0 - data.start : r0 - data.start + k]
            msg[:k, s.cols : s.msg_len] = P[r0 - data.start : r0 - data.start + k]
            z0 = max(r0, s.rows) - s.rows - masks.start
            msg[k:, : s.msg_len] = Z[z0 : z0 + r1 - r0 - k]
            return msg

        store = columns or ColumnStore
        com = commit_rows(F, s, s.rows + S, rows, store, rng if s.pad else None, comm)
        return com.tree.root, LigeroState(m, s, part, M, P, Z, com)

    def open(
        self,
        F: PrimeField,
        states: dict[str, LigeroState],
        claims: list[PcsClaim],
        tr: Transcript,
        relations: Sequence[Relation] = (),
        comm: Collective | None = None,
    ) -> Tree:
        """One opening of all claims (the hiding randomness was drawn at commit time). Hidden
        claims are revealed only through their relations (module docstring, "Hidden claims").
        `comm`: the workers that committed (each passes its states); every one of them
        returns the same opening."""
        comm = comm or ALONE
        check_relations(claims, relations)
        groups = self._groups(F, {n: st.table_log for n, st in states.items()}, claims)
        sts = [[states[n] for n in g.tables] for g in groups]
        for g, group_sts in zip(groups, sts, strict=True):
            for name, st in zip(g.tables, group_sts, strict=True):
                if st.Z is not None and st.opened:
                    raise ValueError(f"hiding commitment {name!r} is opened once, and it was")
                st.opened = True
            _absorb_group(F, tr, g, {n: states[n].com.tree.root for n in g.tables})
        direct = [opens_directly(F, g.shape, len(t)) for g, t in zip(groups, sts, strict=True)]
        outs: list[dict] = [{} for _ in groups]
        tests = [
            None if dr else self._prove_tests(F, g, t, tr, o, comm)
            for g, t, o, dr in zip(groups, sts, outs, direct, strict=True)
        ]
        if self.hiding and groups:
            return self._open_hiding(F, groups, sts, claims, relations, tr, outs, tests, comm)
        links = _Links(F, claims, relations)
        links.prove_values(tr)
        for g, t, o, dr in zip(groups, sts, outs, direct, strict=True):
            if dr:
                n = 1 << g.shape.m
                tables = [F.decode(gather(comm, F.encode(st.M)), n) for st in t]
                for tab in tables:
                    tr.absorb_field("pcs/direct", F, tab)
                o["direct"] = [F.encode(tab) for tab in tables]
            else:
                targets = np.stack(links.values_of(g), axis=1)
                self._prove_plain(F, g, t, tr, o, targets, comm)
        tree: dict = {"groups": outs}
        if relations:
            tree["links"] = links.tree
        return tree

    def _open_hiding(self, F, groups, sts, claims, relations, tr, outs, r_masks, comm) -> Tree:
        """2.-5. of a hiding opening: the masks' sum G, alpha and rho, the groups' sums, then
        per group the masked column sumcheck, mu, zeta, u and the columns."""
        E = F.ext
        masks = [add_up(E, comm, _opening_masks(F, g, t)) for g, t in zip(groups, sts, strict=True)]
        mask_sums = [_mask_sum(F, g, m) for g, m in zip(groups, masks, strict=True)]
        G = E.sum(np.stack(mask_sums, axis=1))
        tr.absorb_field("pcs/mask-sum", E, G)
        batch = _Batch.draw(F, tr, claims, relations)
        rho = tr.challenge_ext("pcs/rho", F)
        sums = []
        for g, Gg in zip(groups, mask_sums, strict=True):
            values = np.stack([np.asarray(v) for _, _, v in g.claims], axis=1)
            sums.append(E.add(E.dot(batch.of(g), values), E.mul(rho, Gg)))
        S = np.stack(sums, axis=1)
        tr.absorb_field("pcs/sums", E, S)
        for g, t, o, r_mask, m in zip(groups, sts, outs, r_masks, masks, strict=True):
            self._prove_hiding(F, g, t, tr, o, r_mask, m, batch.of(g), rho, comm)
        return {"groups": outs, "mask_sum": E.encode(G), "sums": E.encode(S[:, :-1])}

    def _prove_tests(self, F, g: _Group, sts: list[LigeroState], tr: Transcript, out, comm):
        """1. Proximity test: w_j for each test; returns the mask rows' coefficients."""
        E, s, d = F.ext, g.shape, F.ext.degree
        r = tr.challenge_exts("pcs/test", F, g.test_challenges(d))
        r_tab, r_mask = _test_coefficients(F, g, r)
        w = _combine_messages(F, r_tab, sts)  # (d, tests, msg_len), this worker's share
        if s.pad:
            for t, st in enumerate(sts):
                mcoef = _mask_coefficients(F, g, r_mask[t])
                w = E.add(w, _combine_masks(F, mcoef[:, : s.tests], st))
        w = add_up(E, comm, w)
        tr.absorb_field("pcs/tests", E, w)
        out["tests"] = E.encode(w.reshape(d, -1))
        return r_mask

    def _claim_rows(self, F, g: _Group, sts, weights: Array, comm) -> tuple[Array, Array]:
        """The column sumcheck's tables: (d, k, C) y_c = eq(z_c,hi)^T M_c (added up over
        the workers) and (d, k, C) weights[:, c] eq(z_c,lo)."""
        E, s = F.ext, g.shape
        Y = E.zeros((len(g.claims), s.cols))
        for t, st in enumerate(sts):
            ks = _on_table(g, t)
            if ks:
                rows = _row_eqs(F, g, ks)[:, :, st.data.start : st.data.stop]
                Y[:, ks] = row_combine(F, rows, st.M)
        B = E.mul(eq_tables(F, _lo_points(g)), weights[:, :, None])
        return add_up(E, comm, Y), B

    def _prove_plain(self, F, g: _Group, sts, tr: Transcript, out: dict, targets, comm) -> None:
        """3.-5. (plain) The common column point, the claims' values there, u, the columns."""
        E = F.ext
        k = len(g.claims)
        rounds, evals = [], targets
        if not _same_lo(g):
            alpha = tr.challenge_exts("pcs/alpha", F, k)
            Y, B = self._claim_rows(F, g, sts, alpha, comm)
            rounds, _, evals = sumcheck_prove(F, tr, "pcs/sumcheck", Y, B)
            tr.absorb_field("pcs/evals", E, evals)
        out["sumcheck"] = rounds
        out["evals"] = E.encode(evals) if rounds else b""
        gamma = tr.challenge_exts("pcs/gamma", F, k)
        u = _combine_messages(F, _betas(F, g, gamma)[:, None], sts)[:, 0]  # (d, msg_len)
        self._send_u(F, g, sts, tr, out, add_up(E, comm, u), comm)

    def _prove_hiding(self, F, g: _Group, sts, tr, out: dict, r_mask, masks, beta, rho, comm):
        """3.-5. (hiding) The column sumcheck of sum_c beta_c <y_c, eq(z_c,lo)> plus rho
        times the masks' (A + s B) (none when the claims share z_lo), mu = <Z_u, eq(r_lo)>,
        zeta, u and the columns."""
        E, s = F.ext, g.shape
        Y, rounds = None, []
        if _same_lo(g):
            r_lo = g.claims[0][1][:, : s.col_log]
        else:
            Y, B = self._claim_rows(F, g, sts, beta, comm)
            Y = np.concatenate([Y, masks[:, :2]], axis=1)
            mask_weights = E.mul(E.from_base(sumcheck_mask_weights(F, s.col_log)), rho)
            B = np.concatenate([B, mask_weights], axis=1)
            rounds, pt_lo, _ = sumcheck_prove(F, tr, "pcs/sumcheck", Y, B)
            r_lo = np.stack(pt_lo, axis=1) if pt_lo else E.zeros(0)
        out["sumcheck"] = rounds
        mu = E.dot(masks[:, 2], eq_table(F, r_lo))
        tr.absorb_field("pcs/mu", E, mu)
        out["mu"] = E.encode(mu[:, None])
        zeta = tr.challenge_ext("pcs/zeta", F)
        k = len(g.claims)
        w, weights = _u_weights(F, g, beta, rho, r_lo, zeta)
        if Y is None:
            u = _combine_messages(F, _betas(F, g, w)[:, None], sts)[:, 0]
        else:  # u's data part is sum_c w_c y_c, from the rows the sumcheck already has
            held = [st.data for st in sts]
            padding = _combine_tables(F, _betas(F, g, w)[:, None], [st.P for st in sts], held)
            u = np.concatenate([E.zeros(s.cols), padding[:, 0]], axis=-1)
        for t, st in enumerate(sts):
            mcoef = _mask_coefficients(F, g, r_mask[t], weights)
            u = E.add(u, _combine_masks(F, mcoef[:, s.tests :], st)[:, 0])
        u = add_up(E, comm, u)
        if Y is not None:  # whole on every worker: added after the workers' shares
            u[:, : s.cols] = E.add(u[:, : s.cols], E.sum(E.mul(Y[:, :k], w[:, :, None]), axis=0))
        self._send_u(F, g, sts, tr, out, u, comm)

    def _send_u(self, F, g: _Group, sts, tr: Transcript, out: dict, u, comm) -> None:
        """4.-5. u (added up over the workers), the query set and the opened columns."""
        tr.absorb_field("pcs/u", F.ext, u)
        out["u"] = F.ext.encode(u)
        idx = query_indices(tr, g.shape)
        out["tables"] = [st.com.opening(F, idx, comm) for st in sts]

    # ---- verifier -------------------------------------------------------------------------
    def verify(
        self,
        F: PrimeField,
        commitments: dict[str, tuple[bytes, int]],
        claims: list[PcsClaim],
        opening: Schema,
        tr: Transcript,
        relations: Sequence[Relation] = (),
    ) -> None:
        check_relations(claims, relations)
        for name, (com, m) in commitments.items():
            if len(com) != HASH_LEN or not 0 <= m <= MAX_M:
                raise FormatError(f"commitment of {name!r} is malformed")
        groups = self._groups(F, {n: m for n, (_, m) in commitments.items()}, claims)
        if self.hiding and groups:  # an opening of nothing is {groups: []} either way
            opening.dict({"groups", "mask_sum", "sums"})
        else:
            opening.dict({"groups", "links"} if relations else {"groups"})
        gschemas = opening.field("groups").list(len(groups), len(groups))
        wheres = [
            f"{gs.path} (tables of {g.label})" for g, gs in zip(groups, gschemas, strict=True)
        ]
        for g in groups:
            _absorb_group(F, tr, g, {n: commitments[n][0] for n in g.tables})
        direct = [opens_directly(F, g.shape, len(g.tables)) for g in groups]
        keys = {"tests", "sumcheck", "u", "tables"} | ({"mu"} if self.hiding else {"evals"})
        for gs, dr in zip(gschemas, direct, strict=True):
            gs.dict({"direct"} if dr else keys)
        tests = [
            None if dr else _verify_tests(F, g, gs, tr)
            for g, gs, dr in zip(groups, gschemas, direct, strict=True)
        ]
        if self.hiding and groups:
            schemas = list(zip(gschemas, wheres, tests, strict=True))
            _verify_batch(F, groups, schemas, commitments, claims, relations, opening, tr)
            return
        links = _Links(F, claims, relations)
        links.verify_values(tr, opening.field("links") if relations else None)
        for g, gs, dr, test, where in zip(groups, gschemas, direct, tests, wheres, strict=True):
            if dr:
                self._verify_direct(F, g, gs, commitments, tr, where, links.values_of(g))
            else:
                targets = np.stack(links.values_of(g), axis=1)
                _verify_plain(F, g, gs, commitments, tr, where, test, targets)

    def _verify_direct(
        self, F, g: _Group, gs: Schema, commitments, tr, where: str, values: list
    ) -> None:
        """The group's tables sent as they are: recommit each, evaluate the claims (a hidden
        claim against the value the opening stated for it, `values`)."""
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
        for (t, pt, _), v in zip(g.claims, values, strict=True):
            if not F.ext.equal(mle_evaluate(F, tables[t], pt), v):
                raise ProofRejected(f"{where}: table {g.tables[t]!r}: claimed value is wrong")
