"""Tables laid out [lo | hi] along the last axis, the layout in which a sumcheck binds its
top variable: one round's two sums and the multilinear fold. The GKR sumcheck, the fraction
GKR and the tensor-code PCS's column sumcheck share them; over QM31 they run on the chunked
m31 kernels (zkcc.field.m31_kernels), over other fields on the field's own array operations.
"""

from __future__ import annotations

from zkcc.field.base import Array
from zkcc.field.ext import ExtField


def round_sums(E: ExtField, f: Array, g: Array) -> tuple[Array, Array]:
    """(sum lo_f lo_g, sum d_f d_g); leaves d = hi - lo in the hi halves of f and g."""
    if E.degree > 1:
        from zkcc.field.m31_kernels import round_diff

        return round_diff(E, f, g)
    F = E.base
    h = f.shape[-1] // 2
    for t in (f, g):
        t[..., h:] = F.sub(t[..., h:], t[..., :h])
    return E.dot(f[..., :h], g[..., :h]), E.dot(f[..., h:], g[..., h:])


def fold_halves(E: ExtField, t: Array, r: Array) -> Array:
    """lo + r d for a table laid out [lo | d]; always returns an extension table."""
    if E.degree > 1:
        from zkcc.field.m31_kernels import fold

        return fold(E, t, r)
    h = t.shape[-1] // 2
    return E.fold(t[..., :h], t[..., h:], r)
