"""Host graph: tensors, views, kernel launches and tensor equality assertions.

The host function of a program is straight-line after compile-time evaluation: it declares
tensors, launches kernels over them and asserts equalities. Tensors are written at most once
(a kernel output); a *view* (`reshape`) gives another shape to the same row-major data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from zkcc.ir.kernel import KernelIR
from zkcc.ir.source import SourceLoc


class TensorKind(enum.Enum):
    PUBLIC_IN = "public_in"  # supplied by the prover's inputs, known to the verifier
    PRIVATE_IN = "private_in"  # supplied by the prover's inputs, committed, hidden in later PCS
    PUBLIC_OUT = "public_out"  # computed by a launch, published in the proof
    INTERMEDIATE = "intermediate"  # computed by a launch, committed


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    kind: TensorKind
    loc: SourceLoc | None = None

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class View:
    """`name` is `base` (a Tensor name, never another view) seen with `shape`."""

    name: str
    base: str
    shape: tuple[int, ...]
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Launch:
    """`kernel<<<count>>>(args...)`; each arg names a Tensor or View, one per kernel param.
    A split param of shape S takes an arg of shape (count,) + S; a broadcast param takes S."""

    kernel: str
    count: int
    args: tuple[str, ...]
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class AssertEq:
    """`assert_eq(a, b)`: two tensors/views of equal shape hold equal values."""

    a: str
    b: str
    loc: SourceLoc | None = None


@dataclass
class HostGraph:
    tensors: list[Tensor]  # in declaration order; main's parameters first
    views: list[View]
    steps: list[Launch | AssertEq]  # in program order


@dataclass
class Program:
    """What the front end hands to the back half of the compiler."""

    field: str  # "m31" | "bn254"
    kernels: dict[str, KernelIR]  # only kernels that are launched
    host: HostGraph
    source_name: str = ""


def resolve(program: Program) -> dict[str, tuple[str, tuple[int, ...]]]:
    """name of every tensor and view -> (base tensor name, shape seen through that name)."""
    names: dict[str, tuple[str, tuple[int, ...]]] = {}
    for t in program.host.tensors:
        names[t.name] = (t.name, t.shape)
    for v in program.host.views:
        names[v.name] = (v.base, v.shape)
    return names
