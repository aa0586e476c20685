"""Proving and verifying keys as zkcc trees (zkcc/encoding.py), magic "G16P" / "G16V".

Points: G1 = x || y, G2 = x0 || x1 || y0 || y1, each coordinate 32 bytes little-endian; all
zero bytes is the point at infinity ((0, 0) is on neither curve). A query is the concatenation
of its points. Decoding checks every length, every coordinate < q and that every point lies on
its curve (G2 subgroup membership of vk points is checked by the verifier). Keys with
committed wires (commit-and-prove) carry the extra fields `committed` (sorted wire indices,
u64 little-endian), `k_query`, `k_sigma_query`, the blinding points `k_blind`, `k_sigma_blind`,
`c_blind` (pk) and `commit_g2`, `commit_g2_sigma_neg` (vk).

    vk: alpha_g1 beta_g2 gamma_g2 delta_g2 ic [commit_g2 commit_g2_sigma_neg] [contributions]
    pk: num_public num_wires domain alpha_g1 beta_g1 beta_g2 delta_g1 delta_g2
        a_query b_g1_query b_g2_query h_query l_query gamma_g2 ic
        [committed k_query k_sigma_query k_blind k_sigma_blind c_blind commit_g2_sigma_neg]
        [contributions]
    contributions: list (at most MAX_CONTRIBUTIONS) of
        {delta_g1: G1, delta_pok: pok [, sigma_g1: G1, sigma_pok: pok]}   (sigma iff committed)
    pok: s G1 || s x G1 || x R G2 (256 bytes; phase2.py)

`contributions` is absent for keys from fresh toxic waste (no provenance) and present, possibly
empty, for keys from a powers-of-tau file (phase2.py). The pk holds the vk's own points too
(gamma_g2, ic, commit_g2_sigma_neg), so a .zkpk alone yields its verifying key.
Version 2 added the blinding points; version 3 the vk points in the pk and the contribution
chain. Older versions are refused with a message to run the setup again.
`*_to_tree` / `*_from_tree` give the same content as a subtree, for files holding several keys.
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.groth16.curve import G1, G2, QI, objects, on_curve_g1, on_curve_g2
from zkcc.backends.groth16.fastint import mpz
from zkcc.backends.groth16.phase2 import Contribution, Pok
from zkcc.backends.groth16.setup import ProvingKey, VerifyingKey, private_index
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError

PK_MAGIC, VK_MAGIC, VERSION = b"G16P", b"G16V", 3  # 3: vk points in the pk, contributions
MAX_POINTS = 1 << 28
MAX_CONTRIBUTIONS = 1 << 12
_G1Q = ("a_query", "b_g1_query", "h_query", "l_query")
_PTS = ("alpha_g1", "beta_g1", "beta_g2", "delta_g1", "delta_g2")
_VK_PTS = ("alpha_g1", "beta_g2", "gamma_g2", "delta_g2")
_VK_COMMIT = ("commit_g2", "commit_g2_sigma_neg")
_PK_BLIND = ("k_blind", "k_sigma_blind", "c_blind")
_PK_COMMIT = ("committed", "k_query", "k_sigma_query", *_PK_BLIND, "commit_g2_sigma_neg")
_POK_BYTES = 64 + 64 + 128


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
    return G2 if "g2" in name else G1


def _enc_pok(p: Pok) -> bytes:
    return _enc_point(G1, p.s_g1) + _enc_point(G1, p.sx_g1) + _enc_point(G2, p.rx_g2)


def _dec_pok(s: Schema) -> Pok:
    b = s.bytes(length=_POK_BYTES)
    g1 = G1.from_batch(_dec_batch(G1, b[:128], s.path))
    return Pok(g1[0], g1[1], G2.from_batch(_dec_batch(G2, b[128:], s.path))[0])


def contributions_to_tree(chain: list) -> list:
    out = []
    for c in chain:
        t = {"delta_g1": _enc_point(G1, c.delta_g1), "delta_pok": _enc_pok(c.delta_pok)}
        if c.sigma_pok is not None:
            t.update(sigma_g1=_enc_point(G1, c.sigma_g1), sigma_pok=_enc_pok(c.sigma_pok))
        out.append(t)
    return out


def contributions_from_tree(s: Schema, with_sigma: bool) -> list:
    """The chain; every record has sigma fields iff the key has committed wires."""
    fields = {"delta_g1", "delta_pok"} | ({"sigma_g1", "sigma_pok"} if with_sigma else set())
    out = []
    for cs in s.list(0, MAX_CONTRIBUTIONS):
        cs.dict(fields)
        c = Contribution(_dec_point(G1, cs.field("delta_g1")), _dec_pok(cs.field("delta_pok")))
        if with_sigma:
            c = Contribution(
                c.delta_g1,
                c.delta_pok,
                _dec_point(G1, cs.field("sigma_g1")),
                _dec_pok(cs.field("sigma_pok")),
            )
        out.append(c)
    return out


def _check_version(version: int, what: str) -> None:
    if version != VERSION:
        raise FormatError(
            f"{what}: format version {version} is from an older zkcc (this one writes "
            f"{VERSION}, with the phase-2 contribution chain); run the setup again"
        )


def vk_to_tree(vk: VerifyingKey) -> dict:
    tree = {n: _enc_point(_grp(n), getattr(vk, n)) for n in _VK_PTS}
    tree["ic"] = _enc_batch(G1.to_batch(vk.ic))
    if vk.has_commitment:
        tree.update({n: _enc_point(G2, getattr(vk, n)) for n in _VK_COMMIT})
    if vk.contributions is not None:
        tree["contributions"] = contributions_to_tree(vk.contributions)
    return tree


def vk_from_tree(s: Schema) -> VerifyingKey:
    keys = set(s.dict())
    base = {*_VK_PTS, "ic"} | (keys & {"contributions"})
    s.dict(base | set(_VK_COMMIT) if keys & set(_VK_COMMIT) else base)
    ic = G1.from_batch(_dec_batch(G1, s.field("ic").bytes(max_len=64 * MAX_POINTS), f"{s.path}.ic"))
    if not ic:
        raise FormatError(f"{s.path}.ic: empty")
    pts = {n: _dec_point(_grp(n), s.field(n)) for n in _VK_PTS}
    for name, point in pts.items():
        if point is None:  # gamma = delta = O makes a proof of anything check
            raise FormatError(f"{s.path}.{name}: the point at infinity")
    vk = VerifyingKey(ic=ic, **pts)
    if keys & set(_VK_COMMIT):
        vk.commit_g2, vk.commit_g2_sigma_neg = (_dec_point(G2, s.field(n)) for n in _VK_COMMIT)
        if vk.commit_g2 is None:
            raise FormatError(f"{s.path}.commit_g2: the point at infinity")
    if "contributions" in keys:
        vk.contributions = contributions_from_tree(s.field("contributions"), vk.has_commitment)
    return vk


def tree_shape(s: Schema, proving: bool) -> tuple[int, bool]:
    """(public inputs, whether it has committed wires) of a key tree, from field names and
    sizes alone: a key file is matched against its plan's circuits with this before any point
    is decoded, since decoding checks every point (a Python call each) and a key's `ic` may
    hold millions of them that the circuit could never use."""
    names = set(s.dict())
    if proving:
        return s.field("num_public").int(0, MAX_POINTS), bool(names & set(_PK_COMMIT))
    size = len(s.field("ic").bytes(max_len=64 * MAX_POINTS))
    if size % 64 or not size:
        raise FormatError(f"{s.path}.ic: {size} bytes is not a positive whole number of points")
    return size // 64 - 1, bool(names & set(_VK_COMMIT))


def vk_to_bytes(vk: VerifyingKey) -> bytes:
    return encode(VK_MAGIC, VERSION, vk_to_tree(vk))


def vk_from_bytes(data: bytes) -> VerifyingKey:
    version, tree = decode(data, VK_MAGIC, VERSION, "groth16 verifying key")
    _check_version(version, "groth16 verifying key")
    return vk_from_tree(Schema(tree, "vk"))


def pk_to_tree(pk: ProvingKey) -> dict:
    tree = {n: getattr(pk, n) for n in ("num_public", "num_wires", "domain")}
    tree.update({n: _enc_point(_grp(n), getattr(pk, n)) for n in _PTS})
    tree.update({n: _enc_batch(getattr(pk, n)) for n in (*_G1Q, "b_g2_query")})
    if pk.gamma_g2 is None or pk.ic is None:
        raise ValueError("the proving key lacks its verifying key's points (gamma_g2, ic)")
    tree["gamma_g2"] = _enc_point(G2, pk.gamma_g2)
    tree["ic"] = _enc_batch(G1.to_batch(pk.ic))
    if pk.k_query is not None:
        tree["committed"] = np.asarray(pk.committed, dtype="<u8").tobytes()
        tree["k_query"] = _enc_batch(pk.k_query)
        tree["k_sigma_query"] = _enc_batch(pk.k_sigma_query)
        tree.update({n: _enc_point(G1, getattr(pk, n)) for n in _PK_BLIND})
        tree["commit_g2_sigma_neg"] = _enc_point(G2, pk.commit_g2_sigma_neg)
    if pk.contributions is not None:
        tree["contributions"] = contributions_to_tree(pk.contributions)
    return tree


def pk_from_tree(s: Schema) -> ProvingKey:
    keys = set(s.dict())
    base = {"num_public", "num_wires", "domain", *_PTS, *_G1Q, "b_g2_query", "gamma_g2", "ic"}
    base |= keys & {"contributions"}
    has_commit = bool(keys & set(_PK_COMMIT))
    s.dict(base | set(_PK_COMMIT) if has_commit else base)
    nw = s.field("num_wires").int(1, MAX_POINTS)
    npub = s.field("num_public").int(0, nw - 1)
    dom = s.field("domain").int(2, MAX_POINTS)
    if dom & (dom - 1):
        raise FormatError(f"{s.path}.domain: not a power of two")
    # the sizes claimed must be the sizes sent before anything is allocated for them (a key
    # claiming 2^28 wires with empty queries would otherwise allocate gigabytes below)
    for n, size in (("a_query", nw), ("h_query", dom - 1)):
        if len(s.field(n).bytes()) != 64 * size:
            raise FormatError(f"{s.path}.{n}: {size} points expected")
    com = np.zeros(0, dtype=np.int64)
    if has_commit:
        raw = s.field("committed").bytes(max_len=8 * MAX_POINTS)
        if len(raw) % 8:
            raise FormatError(f"{s.path}.committed: not a whole number of indices")
        com = np.frombuffer(raw, dtype="<u8").astype(np.int64)
        if not com.size or com[0] <= npub or com[-1] >= nw or np.any(np.diff(com) <= 0):
            raise FormatError(f"{s.path}.committed: not increasing private wire indices")
    sizes = {
        "a_query": nw,
        "b_g1_query": nw,
        "b_g2_query": nw,
        "h_query": dom - 1,
        "l_query": private_index(nw, npub, com).size,
        "ic": npub + 1,
    }
    if has_commit:
        sizes.update(k_query=com.size, k_sigma_query=com.size)
    qs = {}
    for n, size in sizes.items():
        g = _grp(n)
        qs[n] = _dec_batch(g, s.field(n).bytes(length=32 * g.ncoords * size), f"{s.path}.{n}")
    qs["ic"] = G1.from_batch(qs["ic"])
    names = (*_PTS, "gamma_g2", *((*_PK_BLIND, "commit_g2_sigma_neg") if has_commit else ()))
    pts = {n: _dec_point(_grp(n), s.field(n)) for n in names}
    pk = ProvingKey(num_public=npub, num_wires=nw, domain=dom, committed=com, **pts, **qs)
    if "contributions" in keys:
        pk.contributions = contributions_from_tree(s.field("contributions"), has_commit)
    return pk


def pk_to_bytes(pk: ProvingKey) -> bytes:
    return encode(PK_MAGIC, VERSION, pk_to_tree(pk))


def pk_from_bytes(data: bytes) -> ProvingKey:
    version, tree = decode(data, PK_MAGIC, VERSION, "groth16 proving key")
    _check_version(version, "groth16 proving key")
    return pk_from_tree(Schema(tree, "pk"))
