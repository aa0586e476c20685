"""Phase 1 from a snarkjs powers-of-tau file (.ptau, after `snarkjs powersoftau prepare phase2`).

    file    := "ptau" version:u32 n_sections:u32 (type:u32 size:u64 data[size])*
    1 header        n8:u32 q[n8] power:u32 ceremony_power:u32
    2 tauG1         (2^(power+1) - 1) G1 points      tau^i G1
    3 tauG2         2^power G2 points                tau^i G2
    4 alphaTauG1    2^power G1 points                alpha tau^i G1
    5 betaTauG1     2^power G1 points                beta tau^i G1
    6 betaG2        1 G2 point
    12..15          the same four in the Lagrange basis, for every domain 2^p, p = 0, 1, ...
                    (level p starts at point 2^p - 1): L_i(tau) G, alpha L_i(tau) G1, ...

Points are affine, coordinates 32-byte little-endian in Montgomery form (x * 2^256 mod q);
(0, 0) is infinity. Every section's size is checked against the header before it is read, and
every point read is checked to lie on its curve.

Phase 2 is circuit-specific, with the QAP of qap.py over the Lagrange points and gamma = 1
(as in snarkjs). `initial_keys` is snarkjs' `zkey new`: delta = 1, so
    a_query[j] = sum_i A'[i, j] L_i G1,  b_query similarly in G1 and G2,
    K_j = sum_i (A'[i, j] beta L_i + B[i, j] alpha L_i + C[i, j] L_i) G1,
    ic[j] = K_j (public), l_query[j] = K_j / delta (private),
    h_query[i] = (tau^(n+i) - tau^i) G1 / delta.
Committed wires (commit-and-prove, setup.py) take k_query[j] = K_j (gamma = 1) out of the
L-query, k_sigma_query[j] = sigma K_j, and the vk gets G2 and -sigma G2, with sigma = 1; the
blinding basis is nu G1, sigma nu G1 and nu / delta G1 with nu = delta (phase2.py says why).
phase2.py's contributions then make delta and sigma secret; `setup_from_ptau` is the initial
key plus one contribution.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from zkcc.backends.groth16 import qap
from zkcc.backends.groth16.curve import (
    B2,
    G1,
    G1_GEN,
    G2,
    G2_GEN,
    QI,
    R,
    _f2mul,
    add_batch,
    double_batch,
    objects,
)
from zkcc.backends.groth16.fastint import mpz
from zkcc.backends.groth16.msm import _tree_sum
from zkcc.backends.groth16.pairing import g2_neg
from zkcc.backends.groth16.r1cs import R1CS, Sparse
from zkcc.backends.groth16.setup import ProvingKey, check_committed, private_index
from zkcc.errors import FormatError, UserError
from zkcc.fileio import open_regular

N8 = 32
_RINV = pow(1 << 256, -1, QI)
MAX_SECTIONS = 1 << 10  # snarkjs writes 15 kinds; the table is read entry by entry
# A power-28 file after `prepare phase2` is about 300 GB; only the points a circuit needs are
# ever read, so the file's size is bounded only against nonsense.
MAX_PTAU_BYTES = 1 << 42


class Ptau:
    """A .ptau file's header and section table; points are read on demand, only those asked
    for (a domain's Lagrange points, a range of tau powers), so that a circuit of domain n
    reads O(n) points however large the file, and a file whose table is bad or claims more
    bytes than it has is refused before anything else is read. Reads `data` (bytes) or, by
    `open`, a file, which stays open until `close` (a context manager)."""

    def __init__(self, data: bytes | BinaryIO, what: str = ".ptau") -> None:
        self.what = what
        if isinstance(data, bytes | bytearray):
            self.file, size = io.BytesIO(data), len(data)
        else:
            self.file, size = data, os.fstat(data.fileno()).st_size
        head = self._read(0, 12, size)
        if len(head) < 12 or head[:4] != b"ptau":
            raise FormatError(f"{what}: not a powers-of-tau file")
        (n,) = struct.unpack_from("<I", head, 8)
        if n > MAX_SECTIONS:
            raise FormatError(f"{what}: {n} sections, over the limit of {MAX_SECTIONS}")
        pos, self.sections = 12, {}  # kind -> (offset, size)
        for _ in range(n):
            entry = self._read(pos, 12, size)
            if len(entry) < 12:
                raise FormatError(f"{what}: truncated section header")
            kind, length = struct.unpack("<IQ", entry)
            pos += 12
            if length > size - pos or kind in self.sections:
                raise FormatError(f"{what}: section {kind} overruns the file or repeats")
            self.sections[kind] = (pos, length)
            pos += length
        h = self._section(1, 4 + N8 + 8, 0, 4 + N8 + 8)
        if struct.unpack_from("<I", h)[0] != N8 or h[4 : 4 + N8] != QI.to_bytes(N8, "little"):
            raise FormatError(f"{what}: not a BN254 powers-of-tau file")
        self.power, _ = struct.unpack_from("<II", h, 4 + N8)
        if not 1 <= self.power <= 28:
            raise FormatError(f"{what}: power {self.power} out of range")

    @classmethod
    def open(cls, path: str | Path) -> Ptau:
        """The .ptau at `path`, a regular file (fileio.open_regular), its header read."""
        f = open_regular(path, "the powers-of-tau", MAX_PTAU_BYTES)
        try:
            return cls(f, str(path))
        except BaseException:
            f.close()
            raise

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Ptau:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, offset: int, length: int, size: int) -> bytes:
        """`length` bytes at `offset` (fewer at the end of the file, `size` bytes long).
        A plain read: the length is what a header field or the plan asks for, clamped to what
        the file holds, so it never allocates for bytes that are not there."""
        try:
            self.file.seek(offset)
            return self.file.read(min(length, max(size - offset, 0)))
        except OSError as e:
            raise UserError(f"{self.what}: cannot read: {e.strerror or e}") from None

    def _section(self, kind: int, size: int, start: int, length: int) -> bytes:
        """Bytes [start, start + length) of section `kind`, which must be `size` bytes long
        (what the header's power makes it)."""
        if kind not in self.sections:
            raise FormatError(f"{self.what}: section {kind} missing (run `prepare phase2`?)")
        offset, have = self.sections[kind]
        if have != size:
            raise FormatError(f"{self.what}: section {kind} has {have} bytes, expected {size}")
        data = self._read(offset + start, length, offset + have)
        if len(data) != length:  # the file shrank since its table was read
            raise FormatError(f"{self.what}: section {kind} is truncated")
        return data

    def _points(self, kind: int, total: int, start: int, count: int, g2: bool):
        size = 128 if g2 else 64
        raw = self._section(kind, total * size, start * size, count * size)
        raw = np.frombuffer(raw, dtype="<u8").reshape(count, size // 32, 4)
        vals = np.zeros(raw.shape[:2], dtype=object)
        for k in range(4):
            vals = vals + (raw[:, :, k].astype(object) << (64 * k))
        if bool((vals >= QI).any()):
            raise FormatError(f"{self.what}: section {kind} has an unreduced coordinate")
        inf = ~vals.astype(bool).any(axis=1)
        coords = [
            objects([mpz(int(v) * _RINV % QI) for v in vals[:, c]]) for c in range(vals.shape[1])
        ]
        off = np.flatnonzero(~inf & ~_on_curve(coords, g2))
        if len(off):  # every point: one wrong point would make keys that no proof can use
            raise FormatError(f"{self.what}: section {kind} point {off[0]} is not on the curve")
        return coords, inf

    def tau_g1(self, start: int, count: int):
        return self._points(2, (2 << self.power) - 1, start, count, False)

    def lagrange(self, kind: int, n: int, g2: bool = False):
        """Lagrange points of domain n from section 12 (G1), 13 (G2), 14 (alpha), 15 (beta)."""
        levels = self.power + (2 if kind == 12 else 1)
        if n > 1 << (levels - 1):
            raise FormatError(f"{self.what}: power {self.power} is too small for domain {n}")
        return self._points(kind, (1 << levels) - 1, n - 1, n, g2)

    def beta_g2(self):
        return G2.from_batch(self._points(6, 1, 0, 1, True))[0]

    def first(self, kind: int):
        return G1.from_batch(self._points(kind, 1 << self.power, 0, 1, False))[0]


def _on_curve(coords: list, g2: bool) -> np.ndarray:
    """Per point, whether it satisfies the curve's equation (G1: y^2 = x^3 + 3; G2, over
    F_q[u]/(u^2 + 1): y^2 = x^3 + B2), on whole coordinate arrays of mpz: a handful of
    array operations, where a check per point cost a Python call each."""
    if not g2:
        x, y = coords
        return ((y * y - x * x * x - 3) % QI == 0).astype(bool)
    x, y = (coords[0], coords[1]), (coords[2], coords[3])
    c0, c1 = _f2mul(_f2mul(x, x), x)  # curve.py's F_q^2 product, on whole arrays
    y0, y1 = _f2mul(y, y)
    real = (y0 - c0 - B2[0]) % QI == 0
    imaginary = (y1 - c1 - B2[1]) % QI == 0
    return real.astype(bool) & imaginary.astype(bool)


def _take(batch, idx):
    return [c[idx] for c in batch[0]], batch[1][idx]


def scale_batch(group, batch, scalars):
    """Lane-wise k_i * P_i by double-and-add over the bits of the largest k (vectorised)."""
    k = np.asarray(scalars, dtype=object) % R
    neg = k > R // 2  # small negative coefficients are cheap: -c P
    k = np.where(neg, R - k, k)
    coords, inf = list(batch[0]), batch[1]
    for c in [1] if group.ncoords == 2 else [2, 3]:  # negate y where k was replaced by r - k
        coords[c] = np.where(neg, (QI - coords[c]) % QI, coords[c])
    base = (coords, inf)
    bits = max(int(v).bit_length() for v in k) if k.size else 0
    acc = ([np.zeros(k.size, dtype=object) for _ in coords], np.ones(k.size, dtype=bool))
    for b in range(bits - 1, -1, -1):
        acc = double_batch(group, acc)
        sel = np.flatnonzero(((k >> b) & 1).astype(bool))
        if sel.size:
            part = add_batch(group, _take(acc, sel), _take(base, sel))
            for a, s in zip(acc[0], part[0], strict=True):
                a[sel] = s
            acc[1][sel] = part[1]
    return acc


def _columns(group, m: Sparse, points, num_wires: int):
    """sum_i M[i, j] P_i for every column j, as a batch of num_wires points."""
    out = (
        [np.zeros(num_wires, dtype=object) for _ in range(group.ncoords)],
        np.ones(num_wires, dtype=bool),
    )
    if not m.nnz:
        return out
    order = np.argsort(m.cols, kind="stable")
    terms = scale_batch(group, _take(points, m.rows[order]), m.coefs[order])
    keys, sums = _tree_sum(group, m.cols[order], terms)
    for a, s in zip(out[0], sums[0], strict=True):
        a[keys] = s
    out[1][keys] = sums[1]
    return out


def initial_keys(r1cs: R1CS, pt: Ptau, committed=()) -> ProvingKey:
    """The key before any phase-2 contribution, a pure function of the .ptau and the R1CS (so
    anyone can recompute it: `phase2.check_key`): delta = 1, sigma = 1 and the blinding basis
    of nu = delta (phase2.py), with `contributions` an empty list. delta = 1 is public, so this
    key must get at least one contribution before it proves anything (`setup_from_ptau`)."""
    r1cs.validate()
    com = check_committed(r1cs, committed)
    n = qap.domain_size(r1cs)
    a_ext = qap._with_input_rows(r1cs)
    nw, pub = r1cs.num_wires, r1cs.num_public + 1
    lag1, lag2 = pt.lagrange(12, n), pt.lagrange(13, n, g2=True)
    a_q = _columns(G1, a_ext, lag1, nw)
    b1_q = _columns(G1, r1cs.B, lag1, nw)
    b2_q = _columns(G2, r1cs.B, lag2, nw)
    k = _columns(G1, a_ext, pt.lagrange(15, n), nw)
    k = add_batch(G1, k, _columns(G1, r1cs.B, pt.lagrange(14, n), nw))
    k = add_batch(G1, k, _columns(G1, r1cs.C, lag1, nw))
    hi, lo = pt.tau_g1(n, n - 1), pt.tau_g1(0, n - 1)
    neg_lo = (lo[0][:1] + [(QI - lo[0][1]) % QI], lo[1])
    h = add_batch(G1, hi, neg_lo)
    pk = ProvingKey(
        num_public=r1cs.num_public,
        num_wires=nw,
        domain=n,
        alpha_g1=pt.first(4),
        beta_g1=pt.first(5),
        beta_g2=pt.beta_g2(),
        delta_g1=G1_GEN,
        delta_g2=G2_GEN,
        a_query=a_q,
        b_g1_query=b1_q,
        b_g2_query=b2_q,
        h_query=h,
        l_query=_take(k, private_index(nw, r1cs.num_public, com)),
        gamma_g2=G2_GEN,
        ic=G1.from_batch(_take(k, np.arange(pub))),
        contributions=[],
    )
    if com.size:
        pk.committed = com
        pk.k_query = _take(k, com)
        pk.k_sigma_query = _take(k, com)  # sigma = 1
        pk.commit_g2_sigma_neg = g2_neg(G2_GEN)
        pk.k_blind = pk.k_sigma_blind = pk.c_blind = G1_GEN  # nu = delta = sigma = 1
    return pk


def setup_from_ptau(r1cs: R1CS, path: str | Path | Ptau, rng=secrets, committed=(), context=b""):
    """(pk, vk) from a .ptau file (or a parsed `Ptau`): the initial key (`initial_keys`) and
    one phase-2 contribution drawn from `rng` (phase2.contribute), so delta is a secret of
    this call as in `setup`, and the key carries the contribution record that `zkcc setup
    verify` checks. `context` binds the contribution's proof of knowledge (the key file binds
    the plan digest and the launch)."""
    from zkcc.backends.groth16 import phase2  # phase2 builds on this module

    if isinstance(path, Ptau):
        pk = phase2.contribute(initial_keys(r1cs, path, committed), context, rng)
    else:
        with Ptau.open(path) as pt:
            pk = phase2.contribute(initial_keys(r1cs, pt, committed), context, rng)
    return pk, pk.verifying_key()
