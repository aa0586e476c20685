"""The padded layout: `same_padded_layout` decides from the shapes alone what listing every
element's padded position (`padded_index`, the reference here) decides."""

from __future__ import annotations

import math
import random

import pytest

from zkcc.ir.layout import padded_index, padded_shape, same_padded_layout


def listed(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """The reference: the same element count and padded size, every padded position equal."""
    return (
        math.prod(a) == math.prod(b)
        and math.prod(padded_shape(a)) == math.prod(padded_shape(b))
        and bool((padded_index(a) == padded_index(b)).all())
    )


def test_agrees_with_listing_every_element():
    rng = random.Random(7)
    shapes = {
        tuple(rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 16]) for _ in range(rng.randint(0, 4)))
        for _ in range(3000)
    }
    by_size: dict[int, list] = {}
    for s in sorted(shapes):
        by_size.setdefault(math.prod(s), []).append(s)
    same = 0
    for group in by_size.values():
        for a in group[:25]:
            for b in group[:25]:
                assert same_padded_layout(a, b) == listed(a, b), (a, b)
                same += a != b and listed(a, b)
    assert same > 100  # the sample has non-trivial equal layouts, not only a == b


@pytest.mark.parametrize(
    "a, b, want",
    [
        ((3, 4), (12,), True),  # a power-of-two inner dimension merges
        ((4, 3), (12,), False),  # 4 x 3 pads 3 to 4
        ((1, 3, 1), (3,), True),
        ((3, 2, 5), (6, 5), True),
        ((2, 3), (3, 2), False),
    ],
)
def test_examples(a, b, want):
    assert same_padded_layout(a, b) == listed(a, b) == want


def test_huge_shapes_cost_nothing():
    n = 1 << 40
    assert same_padded_layout((n // 8, 8), (n,))
    assert not same_padded_layout((3 << 38, 4), (4, 3 << 38))
