"""iden3 binary formats: .r1cs (circom's constraint system) and .wtns (witness), both read by
snarkjs. Integers little-endian; field elements 32 bytes little-endian, standard form.

    file     := magic(4) version:u32 n_sections:u32 section*
    section  := type:u32 size:u64 data[size]
    .r1cs 1  header: n8:u32 prime[n8] n_wires:u32 n_pub_out:u32 n_pub_in:u32 n_prv_in:u32
                     n_labels:u64 n_constraints:u32
          2  constraints: per constraint, A, B, C as n_terms:u32 (wire:u32 coef[n8])*
          3  wire -> label: n_wires * u64
    .wtns 1  header: n8:u32 prime[n8] n_witness:u32
          2  values: n_witness * n8 bytes

We write our public wires as public inputs (n_pub_out = 0). Readers check every length and index
and raise FormatError.
"""

from __future__ import annotations

import struct

import numpy as np

from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.r1cs import R1CS, Sparse
from zkcc.errors import FormatError

N8 = 32
_PRIME = R.to_bytes(N8, "little")


def _file(magic: bytes, version: int, sections: list[tuple[int, bytes]]) -> bytes:
    out = [magic, struct.pack("<II", version, len(sections))]
    for kind, data in sections:
        out += [struct.pack("<IQ", kind, len(data)), data]
    return b"".join(out)


def _sections(data: bytes, magic: bytes, what: str) -> dict[int, memoryview]:
    if len(data) < 12 or data[:4] != magic:
        raise FormatError(f"{what}: not an iden3 file (expected magic {magic!r})")
    _, count = struct.unpack_from("<II", data, 4)
    pos, out = 12, {}
    for _ in range(count):
        if pos + 12 > len(data):
            raise FormatError(f"{what}: truncated section header at byte {pos}")
        kind, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if size > len(data) - pos:
            raise FormatError(f"{what}: section {kind} of {size} bytes overruns the file")
        if kind in out:
            raise FormatError(f"{what}: duplicate section {kind}")
        out[kind] = memoryview(data)[pos : pos + size]
        pos += size
    if pos != len(data):
        raise FormatError(f"{what}: {len(data) - pos} trailing bytes")
    return out


def _field_header(
    data: bytes, magic: bytes, what: str, rest: int, kind: str
) -> tuple[dict[int, memoryview], bytes]:
    """Sections of an iden3 file whose header (section 1) starts with the BN254 scalar prime
    and has `rest` more bytes; section 2 holds the body."""
    sec = _sections(data, magic, what)
    if 1 not in sec or 2 not in sec:
        raise FormatError(f"{what}: missing header or body section")
    h = bytes(sec[1])
    if len(h) != 4 + N8 + rest or struct.unpack_from("<I", h)[0] != N8 or h[4 : 4 + N8] != _PRIME:
        raise FormatError(f"{what}: not a BN254 {kind}")
    return sec, h


def _felt_bytes(values) -> bytes:
    return b"".join(int(v).to_bytes(N8, "little") for v in values)


def write_r1cs(r1cs: R1CS) -> bytes:
    header = (
        struct.pack("<I", N8)
        + _PRIME
        + struct.pack(
            "<IIIIQI", r1cs.num_wires, 0, r1cs.num_public, 0, r1cs.num_wires, r1cs.num_constraints
        )
    )
    parts = []
    mats = [r1cs.A, r1cs.B, r1cs.C]
    starts = [np.searchsorted(m.rows, np.arange(r1cs.num_constraints + 1)) for m in mats]
    for i in range(r1cs.num_constraints):
        for m, st in zip(mats, starts, strict=True):
            a, b = int(st[i]), int(st[i + 1])
            parts.append(struct.pack("<I", b - a))
            for j, c in zip(m.cols[a:b].tolist(), m.coefs[a:b], strict=True):
                parts.append(struct.pack("<I", j) + int(c).to_bytes(N8, "little"))
    labels = np.arange(r1cs.num_wires, dtype="<u8").tobytes()
    return _file(b"r1cs", 1, [(1, header), (2, b"".join(parts)), (3, labels)])


def read_r1cs(data: bytes) -> R1CS:
    sec, h = _field_header(data, b"r1cs", ".r1cs", 28, "constraint system")
    n_wires, n_out, n_pub, n_prv, _labels, m = struct.unpack_from("<IIIIQI", h, 4 + N8)
    if n_out + n_pub >= max(n_wires, 1):
        raise FormatError(".r1cs: more public wires than wires")
    body = sec[2]
    pos = 0
    rows, cols, coefs = ([], [], []), ([], [], []), ([], [], [])
    for i in range(m):
        for k in range(3):
            if pos + 4 > len(body):
                raise FormatError(f".r1cs: constraint {i} truncated")
            (n,) = struct.unpack_from("<I", body, pos)
            pos += 4
            if n * (4 + N8) > len(body) - pos:
                raise FormatError(f".r1cs: constraint {i} has more terms than bytes")
            for _ in range(n):
                (j,) = struct.unpack_from("<I", body, pos)
                c = int.from_bytes(body[pos + 4 : pos + 4 + N8], "little")
                if j >= n_wires or c >= R:
                    raise FormatError(f".r1cs: constraint {i} has a bad wire or coefficient")
                rows[k].append(i), cols[k].append(j), coefs[k].append(c)
                pos += 4 + N8
    if pos != len(body):
        raise FormatError(".r1cs: trailing bytes in the constraints section")
    mats = [Sparse.build(rows[k], cols[k], np.asarray(coefs[k], dtype=object)) for k in range(3)]
    return R1CS(n_wires, n_out + n_pub, m, *mats)


def write_wtns(witness) -> bytes:
    w = list(witness)
    header = struct.pack("<I", N8) + _PRIME + struct.pack("<I", len(w))
    return _file(b"wtns", 2, [(1, header), (2, _felt_bytes(w))])


def read_wtns(data: bytes) -> np.ndarray:
    sec, h = _field_header(data, b"wtns", ".wtns", 4, "witness")
    (n,) = struct.unpack_from("<I", h, 4 + N8)
    body = bytes(sec[2])
    if len(body) != n * N8:
        raise FormatError(f".wtns: {n} values declared, {len(body)} bytes present")
    vals = [int.from_bytes(body[i * N8 : (i + 1) * N8], "little") for i in range(n)]
    if any(v >= R for v in vals):
        raise FormatError(".wtns: value not reduced mod r")
    return np.asarray(vals, dtype=object)
