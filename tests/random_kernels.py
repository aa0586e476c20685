"""Random kernels for tests: inputs x (split) and w (broadcast), one split output y, built from a
random mix of arithmetic, scaled sums, negations, is_zero and inverses (so hints appear)."""

from __future__ import annotations

import random

from zkcc.ir.kernel import KernelBuilder, KernelIR, Param


def kernel_params(x_size: int, w_size: int, y_shape: tuple[int, ...]) -> list[Param]:
    return [
        Param("x", (x_size,), False, False),
        Param("w", (w_size,), False, True),
        Param("y", y_shape, True, False),
    ]


def random_kernel(rng: random.Random, p: int, params: list[Param], steps: int = 40) -> KernelIR:
    b = KernelBuilder("k", params, p)
    pool = [b.input(0, j) for j in range(params[0].size)]
    pool += [b.input(1, j) for j in range(params[1].size)]
    first = len(pool)
    for _ in range(steps):
        u, v = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(10)
        if kind < 3:
            pool.append(b.mul(u, v))
        elif kind < 5:
            pool.append(b.add(u, v))
        elif kind == 5:
            pool.append(b.add(u, b.mul(b.const(rng.randrange(p)), v)))
        elif kind == 6:
            pool.append(b.sub(u, b.const(rng.randrange(p))))
        elif kind == 7:
            pool.append(b.neg(u))
        elif kind == 8:
            pool.append(b.is_zero(b.sub(u, u if rng.random() < 0.3 else v)))
        else:
            pool.append(b.add(u, b.inverse(b.add(b.mul(u, u), b.const(1)))))
    for j in range(params[2].size):
        b.output(2, j, rng.choice(pool[first:] or pool))
    return b.finish()
