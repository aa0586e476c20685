"""Groth16 keys: .ptau import (phase 1 from snarkjs), key serialisation, compiled kernels."""

import random

import numpy as np
import pytest
from helpers import PTAU13

from zkcc.backends.groth16 import curve, keys, msm, ntt, prove, setup, setup_from_ptau, verify
from zkcc.backends.groth16.curve import G1, R
from zkcc.backends.groth16.ptau import Ptau
from zkcc.backends.groth16.r1cs import random_r1cs
from zkcc.errors import FormatError
from zkcc.ir.kernel import KernelBuilder, Param
from zkcc.lower.r1cs import r1cs_from_kernel

PTAU = PTAU13
needs_ptau = pytest.mark.skipif(not PTAU.exists(), reason=f"{PTAU} not found")


@needs_ptau
def test_ptau_lagrange_points_match_tau_powers():
    pt = Ptau(PTAU.read_bytes())
    assert pt.power == 13
    n = 8
    lag = pt.lagrange(12, n)
    tau = G1.from_batch(pt.tau_g1(0, 2))
    assert tau[0] == curve.G1_GEN
    # sum_i L_i(tau) = 1 and sum_i w^i L_i(tau) = tau
    assert msm.msm(G1, lag, [1] * n) == curve.G1_GEN
    assert msm.msm(G1, lag, [int(x) for x in ntt.powers(ntt.root_of_unity(n), n)]) == tau[1]


@needs_ptau
def test_setup_from_ptau_complete_and_sound():
    r1cs, w = random_r1cs(random.Random(21), 14, 2, 12)
    pk, vk = setup_from_ptau(r1cs, PTAU)
    pub = [int(x) for x in w[1:3]]
    proof = prove(pk, r1cs, w)
    assert verify(vk, pub, proof)
    assert not verify(vk, [(pub[0] + 1) % R, pub[1]], proof)


def test_ptau_malformed_raises():
    with pytest.raises(FormatError):
        Ptau(
            b"ptau\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00"
        )
    with pytest.raises(FormatError):
        Ptau(b"nope")
    if PTAU.exists():
        data = PTAU.read_bytes()
        with pytest.raises(FormatError):
            Ptau(data[:-5])
        pt = Ptau(data)
        with pytest.raises(FormatError):
            pt.lagrange(12, 1 << 16)


@needs_ptau
@pytest.mark.parametrize(
    ("kind", "point", "size", "read"),
    [
        (12, 255 + 3, 64, lambda pt: pt.lagrange(12, 256)),  # domain 256 of section 12: point 3
        (2, 300, 64, lambda pt: pt.tau_g1(0, 512)),
        (13, 127 + 5, 128, lambda pt: pt.lagrange(13, 128, g2=True)),
    ],
)
def test_every_ptau_point_read_is_on_its_curve(kind, point, size, read):
    """One flipped bit in any point read (not only in every 64th, which was all that was
    checked) is refused: setup made keys from it that no proof could use."""
    data = bytearray(PTAU.read_bytes())
    read(Ptau(bytes(data)))  # as it is, it reads
    offset = _section_offset(bytes(data), kind) + point * size + 10
    data[offset] ^= 1
    with pytest.raises(FormatError, match=rf"section {kind} point \d+ is not on the curve"):
        read(Ptau(bytes(data)))


def _section_offset(data: bytes, kind: int) -> int:
    """Where section `kind`'s data starts in a .ptau file (after its 12-byte header)."""
    import struct

    (n,) = struct.unpack_from("<I", data, 8)
    pos = 12
    for _ in range(n):
        k, size = struct.unpack_from("<IQ", data, pos)
        if k == kind:
            return pos + 12
        pos += 12 + size
    raise AssertionError(f"no section {kind}")


@pytest.mark.parametrize("name", ["alpha_g1", "beta_g2", "gamma_g2", "delta_g2"])
def test_a_verifying_key_point_at_infinity_is_refused(name):
    """With gamma = delta = O the proof (alpha, beta, 0) passes the pairing check for any
    public values: such a key is refused when read, as is any of its four points at O."""
    import dataclasses

    r1cs, w = random_r1cs(random.Random(8), 6, 1, 5)
    _, vk = setup(r1cs)
    bad = dataclasses.replace(vk, **{name: None})
    with pytest.raises(FormatError, match=rf"vk\.{name}: the point at infinity"):
        keys.vk_from_bytes(keys.vk_to_bytes(bad))
    assert keys.vk_from_bytes(keys.vk_to_bytes(vk)) == vk


def test_key_serialisation_round_trip_and_rejects_garbage():
    r1cs, w = random_r1cs(random.Random(5), 6, 1, 5)
    pk, vk = setup(r1cs)
    pk2 = keys.pk_from_bytes(keys.pk_to_bytes(pk))
    vk2 = keys.vk_from_bytes(keys.vk_to_bytes(vk))
    assert vk2 == vk
    assert keys.pk_to_bytes(pk2) == keys.pk_to_bytes(pk)
    assert verify(vk2, [int(w[1])], prove(pk2, r1cs, w))
    data = bytearray(keys.vk_to_bytes(vk))
    data[-5] ^= 1  # a coordinate of the last IC point: off the curve (or unreduced)
    with pytest.raises(FormatError):
        keys.vk_from_bytes(bytes(data))
    with pytest.raises(FormatError):
        keys.pk_from_bytes(keys.vk_to_bytes(vk))


def test_compiled_kernel_proves_over_instances():
    p = R
    params = [
        Param("x", (2,), False, False),
        Param("k", (1,), False, True),
        Param("y", (1,), True, False),
    ]
    b = KernelBuilder("poly", params, p)
    x0, x1, k = b.input(0, 0), b.input(0, 1), b.input(1, 0)
    t = b.mul(b.add(x0, k), x1)
    inv = b.inverse(b.add(t, b.const(1)))
    b.output(2, 0, b.mul(b.mul(t, t), inv))
    kernel = b.finish()
    count = 4
    r1cs, wfn = r1cs_from_kernel(kernel, count, {1, 2}, p)
    rng = random.Random(1)
    xs = np.array([[rng.randrange(p), rng.randrange(p)] for _ in range(count)], dtype=object)
    kk = np.array([rng.randrange(p)], dtype=object)
    ts = [(int(a) + int(kk[0])) * int(c) % p for a, c in xs]
    hints = np.array([[pow(t + 1, -1, p)] for t in ts], dtype=object)
    ys = np.array([[t * t * int(h[0]) % p] for t, h in zip(ts, hints, strict=True)], dtype=object)
    w = wfn([xs, kk, ys], hints)
    assert r1cs.is_satisfied(w)
    pk, vk = setup(r1cs)
    pub = [int(v) for v in w[1 : 1 + r1cs.num_public]]
    assert pub == [int(kk[0])] + [int(y[0]) for y in ys]
    proof = prove(pk, r1cs, w)
    assert verify(vk, pub, proof)
    pub[2] = (pub[2] + 1) % p
    assert not verify(vk, pub, proof)


_CUBE = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1];
}
__host__ void main(public field xs[2][2], public out field ys[2][1]) {
    cube<<<2>>>(xs, ys);
}
"""


def test_key_file_is_matched_to_the_plan_before_its_points_are_decoded(tmp_path, monkeypatch):
    """A .zkvk whose `ic` holds far more points than the circuit's public inputs allow, made
    for this plan or for another, is refused by its sizes alone: no point is decoded (it took
    seconds and hundreds of MB per million points before the plan digest was looked at)."""
    from zkcc.driver import compile_path
    from zkcc.encoding import decode, encode
    from zkcc.errors import UserError
    from zkcc.plan.plan import plan_digest
    from zkcc.runtime.keyfiles import VERSION, VK_MAGIC, keys_from_bytes, keys_to_bytes
    from zkcc.runtime.keyfiles import setup_plan as setup_keys

    src = tmp_path / "cube.zkcu"
    src.write_text(_CUBE)
    plan = compile_path(str(src))
    digest = plan_digest(plan.to_bytes())
    _, vks = setup_keys(plan)
    _, tree = decode(keys_to_bytes(VK_MAGIC, digest, vks), VK_MAGIC, VERSION, "vk")
    key = tree["launches"][0]["key"]
    key["ic"] = key["ic"][:64] * 5000

    def no_decoding(*args, **kwargs):
        raise AssertionError("a point was decoded")

    monkeypatch.setattr(keys, "_dec_batch", no_decoding)
    with pytest.raises(FormatError, match=r"^k\.zkvk: the key for launch 0 \(cube\) does not fit"):
        keys_from_bytes(encode(VK_MAGIC, VERSION, tree), VK_MAGIC, plan, digest, "k.zkvk")
    tree["plan_digest"] = bytes(32)
    with pytest.raises(UserError, match=r"^k\.zkvk: these verifying keys .* another plan"):
        keys_from_bytes(encode(VK_MAGIC, VERSION, tree), VK_MAGIC, plan, digest, "k.zkvk")


def _ptau_header(sections: list[tuple[int, int]], power: int = 13) -> bytes:
    """A .ptau's start: magic, version, the section table with only the header section's
    data (power `power`), the other sections' sizes as declared and no data."""
    import struct

    out = b"ptau" + struct.pack("<II", 1, len(sections))
    for kind, size in sections:
        out += struct.pack("<IQ", kind, size)
        if kind == 1:
            out += struct.pack("<I", 32) + curve.QI.to_bytes(32, "little")
            out += struct.pack("<II", power, power)
    return out


def test_ptau_is_read_by_its_table_not_whole(tmp_path):
    """A .ptau is opened by its header and section table: a table that claims more than the
    file holds is refused before any section is read, and a 2 GB file (sparse here) that
    the plan needs a few points of is never read whole (it was read with read_bytes: 2 GB of
    memory, and a 17 GB file ended in an out-of-memory kill)."""
    import tracemalloc

    from zkcc.errors import UserError

    over = tmp_path / "over.ptau"
    over.write_bytes(_ptau_header([(1, 44), (2, 1 << 40)]))
    with pytest.raises(FormatError, match="section 2 overruns the file"):
        Ptau.open(over)
    with pytest.raises(UserError, match="not a regular file"):
        Ptau.open(tmp_path)
    if not PTAU.exists():
        return
    big = tmp_path / "big.ptau"
    big.write_bytes(PTAU.read_bytes())
    with big.open("r+b") as f:
        f.truncate(1 << 31)  # a sparse tail after the real sections
    tracemalloc.start()
    try:
        with Ptau.open(big) as pt:
            assert pt.power == 13 and len(pt.lagrange(12, 8)[1]) == 8
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
