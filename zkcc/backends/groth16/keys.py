"""Proving and verifying keys as zkcc trees (zkcc/encoding.py), magic "G16P" / "G16V".

Points: G1 = x || y, G2 = x0 || x1 || y0 || y1, each coordinate 32 bytes little-endian; all
zero bytes is the point at infinity ((0, 0) is on neither curve). A query is the concatenation
of its points. Decoding checks every length, every coordinate < q and that every point lies on
its curve (G2 subgroup membership of vk points is checked by the verifier).
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.groth16.curve import G1, G2, QI, objects, on_curve_g1, on_curve_g2
from zkcc.backends.groth16.fastint import mpz
from zkcc.backends.groth16.setup import ProvingKey, VerifyingKey
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError

PK_MAGIC, VK_MAGIC, VERSION = b"G16P", b"G16V", 1
MAX_POINTS = 1 << 28
_G1Q = ("a_query", "b_g1_query", "h_query", "l_query")
_PTS = ("alpha_g1", "beta_g1", "beta_g2", "delta_g1", "delta_g2")


def _enc_batch(batch) -> bytes:
    coords, inf = batch
    n = inf.size
    cols = [[0 if inf[i] else int(c[i]) for i in range(n)] for c in coords]
    return b"".join(
        b"".join(v.to_bytes(32, "little") for v in vs) for vs in zip(*cols, strict=True)
    )


def _dec_batch(group, data: bytes, what: str):
    k = group.ncoords
    if len(data) % (32 * k):
        raise FormatError(f"{what}: {len(data)} bytes is not a whole number of points")
    n = len(data) // (32 * k)
    vals = [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]
    if any(v >= QI for v in vals):
        raise FormatError(f"{what}: coordinate not reduced mod q")
    rows = [tuple(vals[i * k : (i + 1) * k]) for i in range(n)]
    inf = np.array([not any(r) for r in rows], dtype=bool).reshape(n)
    coords = [objects([mpz(r[c]) for r in rows]) for c in range(k)]
    check = on_curve_g1 if k == 2 else on_curve_g2
    for i in np.flatnonzero(~inf):
        if not check(group.point(coords, int(i))):
            raise FormatError(f"{what}: point {i} is not on the curve")
    return coords, inf


def _enc_point(group, p) -> bytes:
    return _enc_batch(group.to_batch([p]))


def _dec_point(group, s: Schema):
    b = s.bytes(length=32 * group.ncoords)
    return group.from_batch(_dec_batch(group, b, s.path))[0]


def _grp(name: str):
    return G2 if name.endswith("g2") or name == "b_g2_query" else G1


def vk_to_bytes(vk: VerifyingKey) -> bytes:
    tree = {
        n: _enc_point(_grp(n), getattr(vk, n))
        for n in ("alpha_g1", "beta_g2", "gamma_g2", "delta_g2")
    }
    tree["ic"] = _enc_batch(G1.to_batch(vk.ic))
    return encode(VK_MAGIC, VERSION, tree)


def vk_from_bytes(data: bytes) -> VerifyingKey:
    _, tree = decode(data, VK_MAGIC, VERSION, "groth16 verifying key")
    s = Schema(tree, "vk")
    s.dict({"alpha_g1", "beta_g2", "gamma_g2", "delta_g2", "ic"})
    ic = G1.from_batch(_dec_batch(G1, s.field("ic").bytes(max_len=64 * MAX_POINTS), "vk.ic"))
    if not ic:
        raise FormatError("vk.ic: empty")
    pts = {
        n: _dec_point(_grp(n), s.field(n)) for n in ("alpha_g1", "beta_g2", "gamma_g2", "delta_g2")
    }
    return VerifyingKey(ic=ic, **pts)


def pk_to_bytes(pk: ProvingKey) -> bytes:
    tree = {n: getattr(pk, n) for n in ("num_public", "num_wires", "domain")}
    tree.update({n: _enc_point(_grp(n), getattr(pk, n)) for n in _PTS})
    tree.update({n: _enc_batch(getattr(pk, n)) for n in (*_G1Q, "b_g2_query")})
    return encode(PK_MAGIC, VERSION, tree)


def pk_from_bytes(data: bytes) -> ProvingKey:
    _, tree = decode(data, PK_MAGIC, VERSION, "groth16 proving key")
    s = Schema(tree, "pk")
    s.dict({"num_public", "num_wires", "domain", *_PTS, *_G1Q, "b_g2_query"})
    nw = s.field("num_wires").int(1, MAX_POINTS)
    npub = s.field("num_public").int(0, nw - 1)
    dom = s.field("domain").int(2, MAX_POINTS)
    if dom & (dom - 1):
        raise FormatError("pk.domain: not a power of two")
    sizes = {
        "a_query": nw,
        "b_g1_query": nw,
        "b_g2_query": nw,
        "h_query": dom - 1,
        "l_query": nw - npub - 1,
    }
    qs = {}
    for n, size in sizes.items():
        g = _grp(n)
        qs[n] = _dec_batch(g, s.field(n).bytes(length=32 * g.ncoords * size), f"pk.{n}")
    pts = {n: _dec_point(_grp(n), s.field(n)) for n in _PTS}
    return ProvingKey(num_public=npub, num_wires=nw, domain=dom, **pts, **qs)
