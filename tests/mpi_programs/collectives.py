"""Run under `mpiexec -n N` (or alone with `single`): checks every collective of the
communicator against the values each rank can recompute for every other rank, then prints
`digest <hex>` on rank 0 so that runs with SingleComm and a 1-rank MpiComm can be compared.

Usage: collectives.py world|single SEED
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from zkcc.runtime.comm import SingleComm, get_comm

STRUCT = np.dtype([("a", "<u8"), ("b", "S3", (2,)), ("c", "<f4")])


def payload(seed: int, rank: int) -> bytes:
    """Different lengths per rank, empty for some."""
    rng = np.random.default_rng([seed, rank, 1])
    n = [0, 1, 1000, 70000][(seed + rank) % 4]
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def arrays(seed: int, rank: int) -> list[np.ndarray]:
    """One array per case; shapes (and in one case the dtype) depend on the rank."""
    rng = np.random.default_rng([seed, rank, 2])
    u64 = rng.integers(0, 2**64, (rank + 1, 3), dtype=np.uint64, endpoint=False)
    big = rng.integers(0, 2**64, 1 << 17, dtype=np.uint64)  # 1 MiB per rank
    fortran = np.asfortranarray(rng.standard_normal((3, rank + 2)))
    strided = rng.integers(-100, 100, (6, 5), dtype=np.int32)[::2, 1:]
    struct = np.zeros(rank + 2, STRUCT)
    struct["a"] = rng.integers(0, 2**63, rank + 2)
    struct["b"] = [[b"x%d" % (i % 10), b"yz"] for i in range(rank + 2)]
    struct["c"] = rng.standard_normal(rank + 2)
    return [
        u64,
        np.empty((0,), np.uint64) if rank % 2 else rng.integers(0, 9, rank * 5 + 1, np.uint64),
        np.empty((rank, 0, 4), np.int16),
        rng.integers(-128, 128, (2, rank + 1, 3), dtype=np.int8),
        np.float32(rng.standard_normal()).reshape(()),
        rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)),
        rng.integers(0, 2, 5).astype(bool),
        rng.integers(0, 2**32, 4, dtype=np.uint64).astype(">u4"),
        np.array(["ab", "c", "déf"][: rank + 1]),
        np.array([np.nan, 1.5, -0.0]),
        (np.arange(rank + 3, dtype=np.uint64) if rank % 2 else np.arange(rank + 3.0)),
        fortran,
        strided,
        struct,
        big,
    ]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def main() -> None:
    kind, seed = sys.argv[1], int(sys.argv[2])
    comm = get_comm() if kind == "world" else SingleComm()
    if kind == "world":
        assert type(comm).__name__ == "MpiComm", type(comm)
    h = hashlib.sha256()

    got = comm.allgather(payload(seed, comm.rank))
    assert got == [payload(seed, r) for r in range(comm.size)]
    h.update(b"".join(got))

    for root in range(comm.size):
        mine = payload(seed + 7, root) if comm.rank == root else None
        got_b = comm.bcast(mine, root=root)
        assert isinstance(got_b, bytes) and got_b == payload(seed + 7, root), root
        h.update(got_b)
    assert comm.bcast(b"" if comm.rank == 0 else None) == b""

    mine_arrays = arrays(seed, comm.rank)
    expected = [arrays(seed, r) for r in range(comm.size)]
    for case, a in enumerate(mine_arrays):
        got_a = comm.allgather_array(a)
        assert len(got_a) == comm.size
        for r, g in enumerate(got_a):
            assert same(g, expected[r][case]), (case, r, g, expected[r][case])
            assert g.flags.c_contiguous and g.flags.writeable, (case, r)
            h.update(g.dtype.str.encode() + repr(g.shape).encode() + g.tobytes())

    # alltoall: from rank r to rank q, the payload of (seed, r * size + q): lengths differ,
    # some are empty; one part is a non-contiguous array, sent as its elements' bytes
    parts = [payload(seed + 3, comm.rank * comm.size + q) for q in range(comm.size)]
    sent: list = list(parts)
    sent[-1] = np.frombuffer(parts[-1], np.uint8).repeat(2)[::2]
    got_t = comm.alltoall(sent)
    assert len(got_t) == comm.size
    for r, g in enumerate(got_t):
        assert g.dtype == np.uint8 and g.ndim == 1, (r, g.dtype, g.shape)
        assert g.tobytes() == payload(seed + 3, r * comm.size + comm.rank), r
        h.update(g.tobytes())
    words = np.arange(6, dtype=np.uint32).reshape(2, 3) + comm.rank
    got_w = comm.alltoall([words] * comm.size)
    for r, g in enumerate(got_w):
        assert np.array_equal(g.view(np.uint32).reshape(2, 3), words - comm.rank + r), r
    try:
        comm.alltoall([b""] * (comm.size + 1))
    except ValueError:
        pass
    else:
        raise AssertionError("alltoall took a part per rank too many")

    for i in range(50):  # many small collectives keep their order
        assert comm.allgather(bytes([i, comm.rank])) == [bytes([i, r]) for r in range(comm.size)]
    comm.barrier()

    try:
        comm.allgather_array(np.array([object()]))
    except TypeError:
        pass
    else:
        raise AssertionError("an object array was sent")

    if comm.rank == 0:
        print("digest", h.hexdigest(), flush=True)


if __name__ == "__main__":
    main()
