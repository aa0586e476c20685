"""Multi-scalar multiplication (Pippenger) and fixed-base batch multiplication.

Pippenger with window c over all W = ceil(254 / c) windows at once:

1. every (point i, window w) with digit d = bits [cw, cw + c) of k_i != 0 is a *lane* with key
   w * 2^c + d; lanes are sorted by key;
2. bucket accumulation as a tree: each round adds neighbours that share a key (one batched
   affine addition for all buckets of all windows), until every key holds one point;
3. bucket reduction, sum_d d * B_{w,d}, with running sums in two levels (blocks of L buckets,
   then the blocks), each step one batched addition over all blocks of all windows;
4. Horner over windows: T = sum_w 2^{cw} T_w (about 254 doublings, single points).

So the Python loop is over rounds and steps, never over points: each step is one call of
`curve.add_batch`. The window minimises the number of additions, W * (n + 2 * 2^c).
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.groth16.curve import Group, R, add_batch

_M64 = (1 << 64) - 1
SCALAR_BITS = 254


def choose_window(n: int) -> int:
    """The c in 2..16 minimising the additions W(c) * (n + 2^(c+1)) of `msm`."""
    return min(range(2, 17), key=lambda c: (-(-SCALAR_BITS // c)) * (n + (2 << c)))


def digits(scalars: np.ndarray, c: int) -> np.ndarray:
    """(n, W) uint64 array of c-bit windows of each scalar (little-endian), scalars < 2^256."""
    arr = np.asarray(scalars, dtype=object)
    limbs = [((arr >> (64 * k)) & _M64).astype(np.uint64) for k in range(4)]
    n_windows = -(-SCALAR_BITS // c)
    out = np.empty((arr.size, n_windows), dtype=np.uint64)
    mask = np.uint64((1 << c) - 1)
    for w in range(n_windows):
        b = c * w
        k, off = divmod(b, 64)
        v = limbs[k] >> np.uint64(off)
        if off + c > 64 and k + 1 < 4:
            v = v | (limbs[k + 1] << np.uint64(64 - off))
        out[:, w] = v & mask
    return out


def _take(batch, idx):
    coords, inf = batch
    return [a[idx] for a in coords], inf[idx]


def _infinity(group: Group, n: int):
    zeros = [np.zeros(n, dtype=object) for _ in range(group.ncoords)]
    return zeros, np.ones(n, dtype=bool)


def _tree_sum(group: Group, keys: np.ndarray, batch):
    """Sum the points of each run of equal (sorted) keys; returns (unique keys, sums)."""
    while keys.size:
        start = np.r_[True, keys[1:] != keys[:-1]]
        if start.all():
            break
        run_start = np.flatnonzero(start)
        run_id = np.cumsum(start) - 1
        pos = np.arange(keys.size) - run_start[run_id]
        run_len = np.diff(np.r_[run_start, keys.size])[run_id]
        even = np.flatnonzero(pos % 2 == 0)
        paired = (pos[even] + 1) < run_len[even]
        left = even[paired]
        sums = add_batch(group, _take(batch, left), _take(batch, left + 1))
        coords, inf = _take(batch, even)
        for a, s in zip(coords, sums[0], strict=True):
            a[paired] = s
        inf[paired] = sums[1]
        keys, batch = keys[even], (coords, inf)
    return keys, batch


def _weighted_sums(group: Group, grid, rows: int, width: int):
    """For each row j of a (rows, width) grid of points B: (sum_d d * B[j, d], sum_d B[j, d])."""
    run, acc = _infinity(group, rows), _infinity(group, rows)
    for d in range(width - 1, 0, -1):
        run = add_batch(group, run, _take(grid, np.arange(rows) * width + d))
        acc = add_batch(group, acc, run)
    total = add_batch(group, run, _take(grid, np.arange(rows) * width))
    return acc, total


def msm(group: Group, bases, scalars) -> object:
    """sum_i scalars[i] * bases[i]; bases a batch (see curve.py), scalars ints in [0, r)."""
    sc = np.asarray(scalars, dtype=object).reshape(-1)
    coords, inf = bases
    if sc.size != inf.size:
        raise ValueError(f"msm: {inf.size} bases but {sc.size} scalars")
    keep = np.flatnonzero(~inf & (sc != 0))
    if keep.size == 0:
        return None
    if keep.size < 4:  # tiny: the reference is faster than setting up buckets
        acc = None
        for i in keep:
            acc = group.add_one(acc, _scalar_mul(group, group.point(coords, int(i)), int(sc[i])))
        return acc
    sc, batch = sc[keep], _take(bases, keep)
    c = choose_window(keep.size)
    dig = digits(sc, c)
    n_windows = dig.shape[1]
    keys = (np.arange(n_windows, dtype=np.int64) << c)[None, :] + dig.astype(np.int64)
    point_of = np.broadcast_to(np.arange(keep.size)[:, None], keys.shape).reshape(-1)
    keys = keys.reshape(-1)
    live = np.flatnonzero(keys & ((1 << c) - 1))
    order = live[np.argsort(keys[live], kind="stable")]
    keys, lanes = _tree_sum(group, keys[order], _take(batch, point_of[order]))
    # dense grid of buckets, (window, block, position in block)
    size = n_windows << c
    gcoords, ginf = _infinity(group, size)
    for a, s in zip(gcoords, lanes[0], strict=True):
        a[keys] = s
    ginf[keys] = lanes[1]
    grid = (gcoords, ginf)
    block = 1 << (c // 2)
    n_blocks = (1 << c) // block
    local, sums = _weighted_sums(group, grid, n_windows * n_blocks, block)
    # window total = sum_b local_b + block * sum_b b * sums_b
    outer, _ = _weighted_sums(group, sums, n_windows, n_blocks)
    _, local_total = _weighted_sums(group, local, n_windows, n_blocks)
    for _ in range(c // 2):
        outer = add_batch(group, outer, outer)
    totals = group.from_batch(add_batch(group, outer, local_total))
    acc = None
    for w in range(n_windows - 1, -1, -1):
        for _ in range(c if acc is not None else 0):
            acc = group.add_one(acc, acc)
        acc = group.add_one(acc, totals[w])
    return acc


def _scalar_mul(group: Group, p, k: int):
    from zkcc.backends.groth16.curve import g1_mul, g2_mul

    return g1_mul(p, k) if group.ncoords == 2 else g2_mul(p, k)


def fixed_base_mul(group: Group, g, scalars) -> tuple[list[np.ndarray], np.ndarray]:
    """The batch [k * g for k in scalars] with a table of d * 2^(cw) * g (c-bit windows)."""
    sc = np.asarray(scalars, dtype=object).reshape(-1) % R
    n = sc.size
    c = min(range(2, 13), key=lambda c: (-(-SCALAR_BITS // c)) * (n + (1 << c)))
    n_windows = -(-SCALAR_BITS // c)
    bases = [g]
    for _ in range(1, n_windows):
        p = bases[-1]
        for _ in range(c):
            p = group.add_one(p, p)
        bases.append(p)
    cur = group.to_batch(bases)  # multiples 1..m of each window's base, shape (W, m)
    m = 1
    while m < (1 << c) - 1:
        top = _take(cur, np.repeat(np.arange(n_windows) * m + m - 1, m))
        nxt = add_batch(group, cur, top)  # (m + j) * base for j = 1..m
        merged = [
            np.concatenate([u.reshape(n_windows, m), v.reshape(n_windows, m)], axis=1)
            for u, v in zip(cur[0] + [cur[1]], nxt[0] + [nxt[1]], strict=True)
        ]
        cur = ([a.reshape(-1) for a in merged[:-1]], merged[-1].reshape(-1))
        m *= 2
    # table row w: index 0 is infinity, index d >= 1 is cur[w, d - 1]
    row = np.arange(n_windows)[:, None] * m + np.arange(m)[None, :]
    table_idx = np.concatenate([np.zeros((n_windows, 1), dtype=np.int64), row + 1], axis=1)
    tcoords = [np.concatenate([np.zeros(1, dtype=object), a]) for a in cur[0]]
    table = (tcoords, np.concatenate([[True], cur[1]]))
    table_idx = table_idx.reshape(-1)
    dig = digits(sc, c).astype(np.int64)
    acc = _infinity(group, n)
    for w in range(n_windows):
        acc = add_batch(group, acc, _take(table, table_idx[w * (m + 1) + dig[:, w]]))
    return acc
