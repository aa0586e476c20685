"""Structural checks on a program read from a plan file.

The front end reports these problems in source terms; a plan file, though, may come from anyone,
so the runtime re-checks that every name resolves, every launch argument has the shape its
parameter needs, and every tensor is written once before it is read. (Circuits are not in
the plan: they are lowered from the checked IR when it is read.)
"""

from __future__ import annotations

from zkcc.errors import FormatError
from zkcc.ir.host import AssertEq, Program, Seen, TensorKind, WrittenParts, resolve
from zkcc.ir.layout import same_padded_layout, slice_span

WRITABLE = (TensorKind.PUBLIC_OUT, TensorKind.INTERMEDIATE)


def seen_span(program: Program, seen: Seen) -> slice:
    """Where the data a name sees lies in its base tensor's flat values."""
    if not seen.index:
        return slice(None)
    base = next(t for t in program.host.tensors if t.name == seen.base)
    return slice_span(base.shape, seen.index)


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def validate_host(program: Program, what: str) -> None:
    def fail(msg: str) -> FormatError:
        return FormatError(f"{what}: {msg}")

    tensors = {t.name: t for t in program.host.tensors}
    if len(tensors) != len(program.host.tensors):
        raise fail("duplicate tensor name")
    for v in program.host.views:
        if v.name in tensors or v.base not in tensors:
            raise fail(f"view {v.name!r} clashes with a tensor or has no base tensor")
        base = tensors[v.base].shape
        if len(v.index) > len(base) or any(
            not 0 <= i < d for i, d in zip(v.index, base, strict=False)
        ):
            raise fail(f"view {v.name!r} slices outside its base tensor")
        if not same_padded_layout(v.shape, base[len(v.index) :]):
            raise fail(f"view {v.name!r} does not keep its base tensor's padded layout")
    names = resolve(program)
    if len(names) != len(tensors) + len(program.host.views):
        raise fail("duplicate view name")
    parts = {n: WrittenParts[int](t.shape) for n, t in tensors.items() if t.kind in WRITABLE}

    def readable(n: str) -> bool:
        seen = names[n]
        return seen.base not in parts or parts[seen.base].covers(seen.index)

    for i, step in enumerate(program.host.steps):
        if isinstance(step, AssertEq):
            for n in (step.a, step.b):
                if n not in names or not readable(n):
                    raise fail(f"step {i}: assert_eq reads {n!r}, unknown or not yet written")
                if names[n].index:
                    raise fail(f"step {i}: assert_eq of the slice {n!r}")
            if names[step.a].shape != names[step.b].shape:
                raise fail(f"step {i}: assert_eq of tensors of different shapes")
            continue
        kernel = program.kernels.get(step.kernel)
        if kernel is None:
            raise fail(f"step {i}: unknown kernel {step.kernel!r}")
        if len(step.args) != len(kernel.params):
            raise fail(f"step {i}: {len(step.args)} arguments for {len(kernel.params)} parameters")
        for prm, arg in zip(kernel.params, step.args, strict=True):
            if arg not in names:
                raise fail(f"step {i}: unknown tensor {arg!r}")
            base, shape, _ = names[arg]
            want = prm.shape if prm.broadcast else (step.count, *prm.shape)
            if shape != want:
                raise fail(
                    f"step {i}: argument {arg!r} has shape {list(shape)}, needs {list(want)}"
                )
            if not prm.is_output and not readable(arg):
                raise fail(f"step {i}: tensor {base!r} is read before it is written")
        for prm, arg in zip(kernel.params, step.args, strict=True):
            if not prm.is_output:
                continue
            base, _, index = names[arg]
            if prm.broadcast or base not in parts or parts[base].overlap(index) is not None:
                raise fail(f"step {i}: tensor {base!r} cannot be written here")
            parts[base].add(index, i)
    for t in tensors.values():
        if t.kind is TensorKind.PUBLIC_OUT and not parts[t.name].covers():
            raise fail(f"public output {t.name!r} is never written, or not fully")
