"""Values of the compile-time interpreter that unrolls kernels into IR.

Everything a zkcu body manipulates is either a compile-time integer (`IntV`, a Python big int),
a field value (`FieldV`, an SSA index into the kernel being built) or a reference into an array
(`Ref`). Scalars are 0-dimensional arrays, so variables, parameters and array elements share one
read/write path and one set of checks (read-only, unassigned, out of bounds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from zkcc.frontend.limits import int_text
from zkcc.ir.source import SourceLoc
from zkcc.ir.types import fixed_frac

INT = "int"
FIELD = "field"


# IntV and FieldV are made once or twice per evaluated expression, millions of times when a
# kernel unrolls: slotted, with a plain __init__ (a frozen dataclass's costs three times as
# much). They are still values: equal and hashable by content, never mutated.
@dataclass(slots=True, unsafe_hash=True)
class IntV:
    value: int


@dataclass(slots=True, unsafe_hash=True)
class FieldV:
    ssa: int


@dataclass(slots=True, unsafe_hash=True)
class FixedV(FieldV):
    """A fixed-point value: `ssa` holds the integer round(x * 2^frac) of the real x. A field
    value on every path that does not know fixed point (it is a FieldV), so only arithmetic,
    conversion and the builtins that choose between values need to look at `frac`."""

    frac: int


@dataclass(frozen=True)
class RealV:
    """A real literal's exact value; it becomes a fixed-point constant where it meets a
    fixed-point value or place (zkcc.frontend.fixed), and is an error anywhere else."""

    value: Fraction


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
    frac: int | None = field(init=False)  # F of a fixed-point store (elem fxK.F), else None

    def __post_init__(self) -> None:
        self.frac = fixed_frac(self.elem)
        n = shape_size(self.shape)
        if not self.cells:
            self.cells = [None] * n
        if not self.locs:
            self.locs = [None] * n

    @property
    def readonly(self) -> bool:
        return self.kind in ("input", "const")


class Ref:
    """`store` seen from flat element `offset` with `shape` (a sub-array after indexing).

    `text` is how the source names it, e.g. "x[2]", for messages. Indexing makes a Ref per
    element read, and almost none is ever named in a message, so an element's text is built
    on demand from its parent's (`Ref.element`) rather than formatted each time. `const`: seen
    through a `const` device-function parameter, so writes are errors. Immutable by
    convention; equal when they see the same store the same way.
    """

    __slots__ = ("store", "offset", "shape", "_text", "const", "_parent", "_index")

    def __init__(
        self, store: Store, offset: int, shape: tuple[int, ...], text: str, const: bool = False
    ):
        self.store = store
        self.offset = offset
        self.shape = shape
        self._text: str | None = text
        self.const = const
        self._parent: Ref | None = None
        self._index: Sequence[int] = ()

    @staticmethod
    def element(base: Ref, offset: int, shape: tuple[int, ...], index: int) -> Ref:
        """`base[index]`, seen from `offset` with `shape`, named lazily as "base.text[index]"."""
        return Ref.path(base, offset, shape, (index,))

    @staticmethod
    def path(base: Ref, offset: int, shape: tuple[int, ...], indices: Sequence[int]) -> Ref:
        """`base[i][j]...` for `indices`, seen from `offset` with `shape`, named lazily."""
        ref = Ref.__new__(Ref)
        ref.store, ref.offset, ref.shape, ref.const = base.store, offset, shape, base.const
        ref._text, ref._parent, ref._index = None, base, indices
        return ref

    @property
    def text(self) -> str:
        if self._text is None:
            tail = "".join(f"[{i}]" for i in self._index)
            self._text = f"{self._parent.text}{tail}"  # type: ignore[union-attr]
            self._parent = None
        return self._text

    @staticmethod
    def whole(store: Store, const: bool = False) -> Ref:
        return Ref(store, 0, store.shape, store.name, const)

    @property
    def readonly(self) -> bool:
        return self.const or self.store.readonly

    def _key(self) -> tuple:
        return (id(self.store), self.offset, self.shape, self.text, self.const)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ref):
            return NotImplemented
        return self.store is other.store and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Ref(store={self.store.name!r}, offset={self.offset}, shape={self.shape}, "
            f"text={self.text!r}, const={self.const})"
        )


Value = IntV | FieldV | FixedV | RealV | Ref | VoidV


class _Names(dict):
    """A scope's own names (what a redefinition is checked against); a name set here is
    also made visible through the scope (`Scope.visible`)."""

    __slots__ = ("scope",)

    def __setitem__(self, name: str, value: object) -> None:
        dict.__setitem__(self, name, value)
        self.scope.show(name, value)


class Scope:
    """Lexical scope: block-local names first, then enclosing blocks, then the globals.

    `visible` maps every name the scope sees to its value, so a lookup is one dictionary
    read however deep the scope is (unrolled loops look names up millions of times, most of
    them in the globals or the kernel's parameters, many scopes out). A scope shares its
    parent's map until it declares a name of its own, and copies it then. Sharing is sound
    because scopes nest in time as in the text: while a child is in use, nothing declares
    into its ancestors.
    """

    __slots__ = ("parent", "names", "visible", "_owns")

    def __init__(self, parent: Scope | None = None):
        self.parent = parent
        self.names: dict[str, object] = _Names()
        self.names.scope = self  # type: ignore[attr-defined]
        self.visible: dict[str, object] = {} if parent is None else parent.visible
        self._owns = parent is None

    def show(self, name: str, value: object) -> None:
        if not self._owns:
            self.visible = dict(self.visible)
            self._owns = True
        self.visible[name] = value

    def lookup(self, name: str) -> object | None:
        return self.visible.get(name)

    def child(self) -> Scope:
        return Scope(self)
