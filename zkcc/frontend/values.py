"""Values of the compile-time interpreter that unrolls kernels into IR.

Everything a zkcu body manipulates is either a compile-time integer (`IntV`, a Python big int),
a field value (`FieldV`, an SSA index into the kernel being built) or a reference into an array
(`Ref`). Scalars are 0-dimensional arrays, so variables, parameters and array elements share one
read/write path and one set of checks (read-only, unassigned, out of bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkcc.frontend.limits import int_text
from zkcc.ir.source import SourceLoc

INT = "int"
FIELD = "field"


@dataclass(frozen=True)
class IntV:
    value: int


@dataclass(frozen=True)
class FieldV:
    ssa: int


@dataclass(frozen=True)
class VoidV:
    """What a call to a void function evaluates to; using it as a value is an error."""


VOID = VoidV()


def shape_size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def shape_text(shape: tuple[int, ...]) -> str:
    return "".join(f"[{int_text(d)}]" for d in shape) if shape else "scalar"


@dataclass(eq=False)
class Store:
    """Storage for one variable, parameter or array. `cells` hold ints (int stores) or SSA
    indices (field stores); None marks an element not assigned yet. `kind` is "local",
    "input" (cells are read lazily from the kernel input `param`), "output" or "const"."""

    name: str
    elem: str
    shape: tuple[int, ...]
    kind: str
    loc: SourceLoc
    param: int | None = None
    cells: list[int | None] = field(default_factory=list)
    locs: list[SourceLoc | None] = field(default_factory=list)
    poisoned: bool = False  # its declaration failed: uses are skipped without more errors

    def __post_init__(self) -> None:
        n = shape_size(self.shape)
        if not self.cells:
            self.cells = [None] * n
        if not self.locs:
            self.locs = [None] * n

    @property
    def readonly(self) -> bool:
        return self.kind in ("input", "const")


@dataclass(frozen=True)
class Ref:
    """`store` seen from flat element `offset` with `shape` (a sub-array after indexing)."""

    store: Store
    offset: int
    shape: tuple[int, ...]
    text: str  # how the source names it, e.g. "x[2]", for messages
    const: bool = False  # seen through a `const` device-function parameter: writes are errors

    @staticmethod
    def whole(store: Store, const: bool = False) -> Ref:
        return Ref(store, 0, store.shape, store.name, const)

    @property
    def readonly(self) -> bool:
        return self.const or self.store.readonly


Value = IntV | FieldV | Ref | VoidV


class Scope:
    """Lexical scope: block-local names first, then enclosing blocks, then the globals."""

    def __init__(self, parent: Scope | None = None):
        self.parent = parent
        self.names: dict[str, object] = {}

    def lookup(self, name: str) -> object | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def child(self) -> Scope:
        return Scope(self)
