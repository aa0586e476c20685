"""Host graph: tensors, views, kernel launches and tensor equality assertions.

The host function of a program is straight-line after compile-time evaluation: it declares
tensors, launches kernels over them and asserts equalities. Tensors are written at most once
(a kernel output); a *view* (`reshape`) gives another shape to the same row-major data.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from zkcc.ir.kernel import KernelIR
from zkcc.ir.source import SourceLoc

W = TypeVar("W")


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
    # "field", or an integer type "iK": its elements are signed integers of K bits, which
    # inputs.json values must fit and outputs are printed as; every kernel parameter that
    # reads or writes it is declared iK too, and range-checks them (docs/language.md)
    elem: str = "field"

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class View:
    """`name` is `base` (a Tensor name, never another view) seen with `shape`: the whole
    base (a reshape), or with `index` its slice `base[i0][i1]...` along leading dimensions
    (zkcc/ir/layout.py slice_span, slice_bits), possibly reshaped. Either way the view keeps
    the padded layout of what it sees, so claims on it are claims on the base's table."""

    name: str
    base: str
    shape: tuple[int, ...]
    loc: SourceLoc | None = None
    index: tuple[int, ...] = ()


class WrittenParts(Generic[W]):
    """Which parts of one tensor are written, and by whom (a location, a step index): whole
    slices along leading indices, never overlapping (every element is written exactly once).
    Each query costs the length of an index, not the number of writes, so a host loop of n
    launches that write one slice each is checked in time n.

    `done` holds the written slices; `below` holds, for every prefix of a written slice, how
    many elements are written at or below it and the first writer there."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.done: dict[tuple[int, ...], W] = {}
        self.below: dict[tuple[int, ...], tuple[int, W]] = {}

    def size(self, index: tuple[int, ...]) -> int:
        return math.prod(self.shape[len(index) :])

    def overlap(self, index: tuple[int, ...]) -> W | None:
        """The first writer of a part that overlaps the slice at `index`, or None."""
        for k in range(len(index) + 1):
            if index[:k] in self.done:
                return self.done[index[:k]]
        under = self.below.get(index)
        return None if under is None else under[1]

    def add(self, index: tuple[int, ...], who: W) -> None:
        self.done[index] = who
        n = self.size(index)
        for k in range(len(index) + 1):
            count, first = self.below.get(index[:k], (0, who))
            self.below[index[:k]] = (count + n, first)

    def written(self, index: tuple[int, ...] = ()) -> int:
        """How many elements of the slice at `index` are written."""
        if any(index[:k] in self.done for k in range(len(index) + 1)):
            return self.size(index)
        return self.below.get(index, (0, None))[0]

    def covers(self, index: tuple[int, ...] = ()) -> bool:
        return self.written(index) == self.size(index)


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
    # `resolve`'s table and the (tensors, views) counts it was made for
    names_cache: tuple[tuple[int, int], dict[str, Seen]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def largest_launches(self) -> dict[str, int]:
        """Each launched kernel's largest instance count."""
        out: dict[str, int] = {}
        for step in self.steps:
            if isinstance(step, Launch):
                out[step.kernel] = max(out.get(step.kernel, 0), step.count)
        return out


@dataclass
class Program:
    """What the front end hands to the back half of the compiler."""

    field: str  # "m31" | "bn254"
    kernels: dict[str, KernelIR]  # only kernels that are launched
    host: HostGraph
    source_name: str = ""


class Seen(NamedTuple):
    """What a tensor or view name sees: its base tensor, the shape it is seen with, and the
    leading indices of the slice of the base it sees (empty: the whole base)."""

    base: str
    shape: tuple[int, ...]
    index: tuple[int, ...] = ()


def resolve(program: Program) -> dict[str, Seen]:
    """name of every tensor and view -> what it sees (read-only: shared between callers).

    Kept on the host graph until a tensor or view is added: its lists only grow (the front
    end and the plan reader append) and their elements are frozen. Callers ask once per
    step, and a host loop's slices make a view per launch, so rebuilding it made a plan of
    2,048 launches take minutes to schedule."""
    host = program.host
    size = (len(host.tensors), len(host.views))
    cached = host.names_cache
    if cached is not None and cached[0] == size:
        return cached[1]
    names: dict[str, Seen] = {}
    for t in host.tensors:
        names[t.name] = Seen(t.name, t.shape)
    for v in host.views:
        names[v.name] = Seen(v.base, v.shape, v.index)
    host.names_cache = (size, names)
    return names


def launch_bases(
    program: Program, step: Launch, names: dict[str, Seen] | None = None
) -> tuple[set[str], set[str]]:
    """The base tensors a launch reads (its input params') and writes (its output params')."""
    names = names or resolve(program)
    params = program.kernels[step.kernel].params
    bases = [(p.is_output, names[a].base) for p, a in zip(params, step.args, strict=True)]
    return {b for out, b in bases if not out}, {b for out, b in bases if out}


def secret_tensors(program: Program) -> frozenset[str]:
    """The tensors whose values may depend on private data: the private inputs, and every
    intermediate tensor a launch writes after reading one of them (to a fixpoint: a tensor
    written in slices may be read before its last slice is written). A public tensor is never
    secret, the verifier holds it. A launch that reads no secret tensor has a witness that is
    a function of public data alone (its hints are functions of its arguments), which the
    verifier could compute itself: proving it reveals nothing, with zero knowledge or
    without (zkcc.runtime.claims.zk_launches)."""
    names = resolve(program)
    kinds = {t.name: t.kind for t in program.host.tensors}
    secret = {n for n, k in kinds.items() if k is TensorKind.PRIVATE_IN}
    flows = []
    for s in program.host.steps:
        if isinstance(s, Launch):
            reads, writes = launch_bases(program, s, names)
            flows.append((reads, {b for b in writes if kinds[b] is TensorKind.INTERMEDIATE}))
    grown = True
    while grown:
        grown = False
        for reads, writes in flows:
            if reads & secret and not writes <= secret:
                secret |= writes
                grown = True
    return frozenset(secret)
