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
  prover needs all of them to be bad: error (N / |E|)^tests. For m31, |E| = p^4 ~ 2^124
  (QM31) and N <= 2^20, one test gives >= 2^-104; bn254 likewise needs one:

      tests = ceil(lambda / log2(|E| / N))

* Column queries. When r^T U is e-far, the honest-looking Enc(w) differs from it on >= e + 1
  of the N columns; when U is e-close but the evaluation vector u is wrong, Enc(u) differs
  from beta^T U on >= d - e >= e + 1 columns. The verifier opens t DISTINCT uniform columns
  (a uniform t-subset), which all miss a set of b = e + 1 bad columns with probability

      C(N - b, t) / C(N, t) = prod_{i < t} (N - b - i) / (N - i)  <=  (1 - b / N)^t

  and t is the least value making this <= 2^-lambda (rate 1/4 and lambda = 100: t = 148 for
  N = 2^16, as with replacement; t = 105 for N = 2^8; t = N - b + 1 always suffices, the
  product being 0).

* Direct opening. A group whose Ligero opening would not be smaller than its tables (tiny
  tables, where the t opened columns are most of the encoded matrix) sends the tables
  instead; the verifier recomputes each commitment from the table and evaluates the claims
  itself. Binding is the Merkle root's (collision resistance); nothing is probabilistic.

* The conjectured regime (list decoding up to 1 - rate, t ~ lambda / log2(1 / rate)) would
  allow ~50 queries at rate 1/4; it is NOT used.

Algebraic parts (claim combination, the column sumcheck) have error ~ k / |E| and 2 log C / |E|
per proof, ~2^-118 for m31 — the same per-challenge level as zkcc's GKR over QM31. The
whole plan's bound is computed by zkcc.analysis.soundness.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import combinations

from zkcc.field import get_field
from zkcc.field.base import PrimeField

# Each probabilistic part of a group (proximity test, column queries) is held to 2^-104, so
# that a plan's union bound over all its groups and GKR sumchecks stays >= 100 bits
# (zkcc.analysis.soundness computes it; tests check every example).
SECURITY_BITS = 104
RATE_LOG = 2  # rate 1/4
# Small tables may take a lower rate, down to 1/2^(RATE_LOG + EXTRA_RATE_LOGS), when that makes
# their opening smaller: a lower rate has a larger unique-decoding radius, so fewer queried
# columns (rate 1/16: ~118 instead of ~182-219 at 104 bits), and a hiding opening's size is
# mostly per queried column. "Small" is where the extra encoding costs well under 0.1 s: up
# to 2^16 entries for m31 (numpy, ~30 ns a symbol), 2^11 for bn254 (Python integers, ~3 us a
# symbol). Larger tables keep rate 1/4, where 4x the encoding would outweigh ~15% fewer bytes.
SMALL_TABLE_LOG = {"m31": 16, "bn254": 11}
EXTRA_RATE_LOGS = 2
HASH_BYTES = 32
SALT_BYTES = 16  # a hiding commitment's Merkle leaf is SHA-256(salt || column)
# a hiding table's extension mask rows for its opening (zkcc.pcs.ligero, "Hiding opening"):
# the column sumcheck's two (weighted by 1 and by 1 + popcount) and the evaluation vector's
OPENING_MASKS = 3


@dataclass(frozen=True)
class Shape:
    """The R x C matrix a table of 2^m elements (zero-padded to 2^m, m >= the table's own log
    size) is laid out in, its code and its query counts. `pad` > 0 makes it hiding: every
    row's message is (row | pad random symbols), a power of two <= C (see `hiding_pad`)."""

    m: int
    row_log: int
    col_log: int
    rate_log: int
    queries: int
    tests: int
    pad: int = 0

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

    def mask_rows(self, degree: int) -> int:
        """Base mask rows committed with a hiding table: an extension row (`degree` base rows)
        per proximity test and OPENING_MASKS more for its opening, however many claims it is
        opened with; none when not hiding."""
        return (self.tests + OPENING_MASKS) * degree if self.pad else 0

    @property
    def msg_len(self) -> int:
        """Symbols of a row's message: C, or C + pad when hiding."""
        return self.cols + self.pad

    @property
    def encoded_log(self) -> int:
        """log2 of the power-of-two message length the encoder is given: the message
        zero-padded to C (plain) or 2C (hiding; pad <= C)."""
        return self.col_log + (1 if self.pad else 0)


def bad_columns(col_log: int, rate_log: int, pad: int = 0) -> tuple[int, int]:
    """(N, b): the code length and b = e + 1, e = floor((d - 1) / 2), d = N - C - pad, the
    columns on which a cheating prover's vectors differ at least."""
    N, C = 1 << (col_log + rate_log), 1 << col_log
    return N, (N - C - pad - 1) // 2 + 1


def miss_log2(N: int, block: int, t: int) -> float:
    """log2 Pr[t distinct uniform leaves of N all miss a fixed set of `block` leaves]
    = log2 C(N - block, t) / C(N, t); -inf when t > N - block."""
    if t > N - block:
        return -math.inf
    return sum(math.log2((N - block - i) / (N - i)) for i in range(t))


def query_log2_error(col_log: int, rate_log: int, queries: int, pad: int = 0) -> float:
    """log2 of the column queries' error: `queries` distinct columns all miss the bad ones."""
    return miss_log2(*bad_columns(col_log, rate_log, pad), queries)


@cache  # pure; the shape search asks for the same (col_log, rate, pad) many times
def num_queries(col_log: int, rate_log: int, bits: int, pad: int = 0) -> int:
    """Least t with query_log2_error(col_log, rate_log, t, pad) <= -bits, found incrementally."""
    N, bad = bad_columns(col_log, rate_log, pad)
    t, acc = 0, 0.0
    while acc > -bits:
        if t == N - bad:  # one more query cannot miss every bad column
            return t + 1
        acc += math.log2((N - bad - t) / (N - t))
        t += 1
    return t


@cache
def hiding_pad(col_log: int, rate_log: int, bits: int) -> tuple[int, int] | None:
    """(pad, t): the least power of two pad <= C with t = num_queries(..., pad) <= pad - 1, or
    None when no pad fits. t <= pad - 1 opened columns of a row whose message ends in pad
    uniform symbols are uniform whatever the row holds (zkcc.pcs.ligero, "Hiding"); padding
    lowers the distance to N - C - pad, hence the search."""
    pad = 2
    while pad <= 1 << col_log:
        t = num_queries(col_log, rate_log, bits, pad)
        if t <= pad - 1:
            return pad, t
        pad *= 2
    return None


def num_tests(F: PrimeField, code_log: int, bits: int) -> int:
    """tests = ceil(bits / log2(|E| / N)): independent proximity combinations, one challenge."""
    per_test = F.ext.degree * math.log2(F.p) - code_log
    return math.ceil(bits / per_test)


def max_code_log(F: PrimeField) -> int:
    return 30 if F.name == "m31" else 28


@cache  # the shape search of every table size asks for the same (code length, queries)
def path_hashes(code_log: int, t: int) -> float:
    """Expected sibling hashes of a multi-opening of t distinct uniform leaves of 2^code_log.

    With n_j the expected number of opened nodes at height j (n_0 = t), height j needs one
    sibling per opened node whose sibling is not opened: 2 n_(j+1) - n_j of them."""
    N = 1 << code_log
    touched = [1.0 - 2.0 ** miss_log2(N, 1 << j, t) for j in range(1, code_log + 1)]
    n = [float(t)] + [(N >> j) * h for j, h in enumerate(touched, start=1)]
    return sum(2 * n[j + 1] - n[j] for j in range(code_log))


def group_bytes(F: PrimeField, s: Shape, tables: int) -> float:
    """Estimated Ligero opening of `tables` tables of shape s; hiding adds salts, the column
    sumcheck and the columns of the mask rows committed with each table (`Shape.mask_rows`),
    so that its size does not grow with the number of claims."""
    return vector_bytes(F, s) + tables * table_bytes(F, s)


def vector_bytes(F: PrimeField, s: Shape) -> float:
    """A group's shared part: its test and evaluation vectors, and (hiding) its column
    sumcheck."""
    E = F.ext
    vectors = (s.tests + 1) * s.msg_len * E.byte_len
    return vectors + ((2 * s.col_log + 1) * E.byte_len if s.pad else 0)


def table_bytes(F: PrimeField, s: Shape) -> float:
    """Each table's part of its group's opening: its opened columns (with its mask rows',
    hiding), their salts and its Merkle siblings (their expected number)."""
    leaf = HASH_BYTES * path_hashes(s.code_log, s.queries)
    if s.pad:
        leaf += SALT_BYTES * s.queries
    return s.queries * (s.rows + s.mask_rows(F.ext.degree)) * F.byte_len + leaf


def opens_directly(F: PrimeField, s: Shape, tables: int) -> bool:
    """Whether a group of `tables` tables of shape s sends the tables instead (smaller). Never
    when hiding: a table sent is a table revealed."""
    if s.pad:
        return False
    return tables * (1 << s.m) * F.byte_len <= group_bytes(F, s, tables)


def group_key(s: Shape) -> tuple[int, ...]:
    """Tables whose shapes share this key are opened as one group, with one proximity test,
    one evaluation vector and one query set. A hiding table's key is its code (columns, rate,
    padding, queries, tests): tables of different row counts share the group's vectors, which
    are most of a small opening (two groups of one code cost two test and evaluation vectors
    where one group costs one). A plain table's key is its whole shape, so that a group of
    equal tables may be sent directly (`opens_directly`)."""
    code = (s.col_log, s.rate_log, s.pad, s.queries, s.tests)
    return code if s.pad else (*code, s.m)


@dataclass(frozen=True)
class GroupPlan:
    """One group of an opening: its tables (sorted by name) and their shapes, which share a
    `group_key`; `shape` is the first one's, for the properties of the code they share."""

    tables: list[str]
    shapes: list[Shape]

    @property
    def shape(self) -> Shape:
        return self.shapes[0]

    @property
    def label(self) -> str:
        """The sizes of its tables, for messages and reports: "2^14" or "2^14, 2^15"."""
        return ", ".join(f"2^{m}" for m in sorted({s.m for s in self.shapes}))


def opening_groups(sizes: dict[str, int], shapes: dict[int, Shape]) -> list[GroupPlan]:
    """The groups an opening of the tables `sizes` (name -> log2 size) forms, their shapes
    `shapes[m]` (`table_shapes`), in the order the prover and verifier run them: by their
    smallest table, then their column count. The one rule for zkcc.pcs.ligero, the cost
    model and the soundness report."""
    by: dict[tuple[int, ...], list[str]] = {}
    for name in sorted(sizes):
        by.setdefault(group_key(shapes[sizes[name]]), []).append(name)
    groups = [GroupPlan(names, [shapes[sizes[n]] for n in names]) for names in by.values()]
    return sorted(groups, key=lambda g: (min(s.m for s in g.shapes), g.shape.col_log))


def opening_bytes(F: PrimeField, logs: Sequence[int], hiding: bool) -> float:
    """The estimated opening of tables of these log2 sizes, one claim each, with the shapes
    and groups they will have together (`table_shapes`, `opening_groups`): a table's cost
    depends on the others, since tables of one code share their group's vectors."""
    shapes = table_shapes(F, logs, hiding)
    names = {f"{i:06d}": m for i, m in enumerate(logs)}
    total = 0.0
    for g in opening_groups(names, shapes):
        if opens_directly(F, g.shape, len(g.tables)):
            total += len(g.tables) * (1 << g.shape.m) * F.byte_len
        else:
            total += vector_bytes(F, g.shape) + sum(table_bytes(F, s) for s in g.shapes)
    return total


def in_code(s: Shape, m: int) -> Shape:
    """The shape of a 2^m table in the code of shape s (its columns, rate, padding, queries
    and tests): R = 2^m / C rows, or one row of the table zero-padded to C."""
    padded = max(m, s.col_log)
    return replace(s, m=padded, row_log=padded - s.col_log)


MAX_JOINT_CODES = 8  # candidate codes searched jointly (2^8 subsets); more: each table alone
# The most symbols a table's encoded matrix may grow by when it joins another code than its
# own: well under 0.1 s of encoding (the costs of SMALL_TABLE_LOG's comment), so that a small
# bn254 table is never padded into a large table's long rows for a few KB.
ENCODE_SLACK = {"m31": 1 << 20, "bn254": 1 << 14}


def encoded_symbols(F: PrimeField, s: Shape) -> int:
    """Symbols of a table's encoded matrix: its rows and mask rows, N each."""
    return (s.rows + s.mask_rows(F.ext.degree)) * s.code_len


def table_shapes(
    F: PrimeField,
    logs: Sequence[int],
    hiding: bool,
    rate_log: int = RATE_LOG,
    bits: int = SECURITY_BITS,
) -> dict[int, Shape]:
    """The shapes of a plan's committed tables (`logs`: their log2 sizes, one per table),
    chosen together so that a hiding opening has few groups: every table's own best code
    (`choose_shape`) is a candidate, and the tables take the set of candidate codes that
    minimises the estimated opening, each table the code in the set whose columns cost it
    least, each code in use paying its group's vectors once (`vector_bytes`,
    `table_bytes`). A table joins another code than its own only if its encoding grows by at
    most ENCODE_SLACK symbols, and a rate below RATE_LOG stays with small tables
    (SMALL_TABLE_LOG), as in `choose_shape`. Plain tables keep their own shapes (a group of
    equal small tables may be sent directly). Both sides derive the shapes from the plan,
    before any commitment."""
    return dict(_table_shapes(F.name, tuple(sorted(logs)), hiding, rate_log, bits))


@cache
def _table_shapes(
    field: str, logs: tuple[int, ...], hiding: bool, rate_log: int, bits: int
) -> tuple[tuple[int, Shape], ...]:
    F = get_field(field)
    own = {m: choose_shape(F, m, rate_log, bits, hiding) for m in sorted(set(logs))}
    codes = sorted({group_key(s): s for s in own.values()}.items())
    if not hiding or len(codes) < 2 or len(codes) > MAX_JOINT_CODES:
        return tuple(own.items())
    count = Counter(logs)
    small, slack = SMALL_TABLE_LOG[field], ENCODE_SLACK[field]

    def fits(code: Shape, m: int) -> bool:
        grows = encoded_symbols(F, in_code(code, m)) - encoded_symbols(F, own[m])
        return (code.rate_log == rate_log or m <= small) and grows <= slack

    best: tuple[float, dict[int, Shape]] | None = None
    for k in range(1, len(codes) + 1):
        for subset in combinations([s for _, s in codes], k):
            cost = sum(vector_bytes(F, c) for c in subset)
            choice: dict[int, Shape] = {}
            for m in own:
                options = [in_code(c, m) for c in subset if fits(c, m)]
                if not options:
                    break
                choice[m] = min(options, key=lambda s: table_bytes(F, s))
                cost += count[m] * table_bytes(F, choice[m])
            else:
                if best is None or cost < best[0]:
                    best = (cost, choice)
    assert best is not None  # the set of every candidate fits every table
    return tuple(best[1].items())


def choose_shape(
    F: PrimeField, m: int, rate_log: int = RATE_LOG, bits: int = SECURITY_BITS, hiding: bool = False
) -> Shape:
    """The R x C split (and, for a small table, the code rate: SMALL_TABLE_LOG) of a 2^m
    table minimising the estimated opening of one table; `rate_log` is the highest rate
    considered. Hiding needs C >= pad > t, so a small table is zero-padded to one row of
    such a C."""
    return _choose_shape(F.name, m, rate_log, bits, hiding)


@cache
def _choose_shape(field: str, m: int, rate_log: int, bits: int, hiding: bool) -> Shape:
    """choose_shape, once per argument set: the search runs the query count for every split,
    and commit, open, verify and the soundness report all ask for the same shapes."""
    F = get_field(field)
    extra = EXTRA_RATE_LOGS if m <= SMALL_TABLE_LOG[field] else 0
    found = [best_shape(F, m, rate, bits, hiding) for rate in range(rate_log, rate_log + extra + 1)]
    found = [x for x in found if x is not None]
    if not found:
        raise ValueError(f"no code shape for a table of 2^{m} elements")
    return min(found, key=lambda x: x[0])[1]


def best_shape(
    F: PrimeField, m: int, rate_log: int, bits: int, hiding: bool
) -> tuple[float, Shape] | None:
    """(estimated opening bytes, shape) of the best R x C split at one rate, or None."""
    best = None
    for col_log in range(min(max_code_log(F) - rate_log, max(m, 12)) + 1):
        if col_log > m and not hiding:
            break
        if hiding:
            found = hiding_pad(col_log, rate_log, bits)
            if found is None:
                continue
            pad, t = found
        else:
            pad, t = 0, num_queries(col_log, rate_log, bits)
        m_padded = max(m, col_log)
        tests = num_tests(F, col_log + rate_log, bits)
        s = Shape(m_padded, m_padded - col_log, col_log, rate_log, t, tests, pad)
        size = group_bytes(F, s, 1)
        if best is None or size < best[0]:
            best = (size, s)
    return best
