"""Another checkout of zkcc beside this one, for the before/after modes of the benchmarks:
they alternate the two codes, since runs of one code on a shared machine move by a few percent
from minute to minute.

Two ways: `run_script` runs a script against a checkout in a fresh process (bench/compile.py
--baseline and --load-baseline, where a fresh process is what is measured), and `load` imports
a checkout's code into this process beside another's (bench/rounds.py, bench/zk.py), so that
both run under the same conditions: separate processes of one code have differed by 10-25% on
this project's shared 2-core machines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _ours(name: str) -> bool:
    return name == "zkcc" or name.startswith("zkcc.")


@dataclass
class Loaded(Generic[T]):
    """What `make` built with one checkout's code, and that checkout's modules."""

    value: T
    modules: dict[str, ModuleType]

    def current(self) -> T:
        """The value, with its checkout's modules made current in sys.modules, so that the
        imports its functions make when called find their own."""
        sys.modules.update(self.modules)
        return self.value


def load(checkout: Path, make: Callable[[], T]) -> Loaded[T]:
    """`make()` run with `checkout`'s zkcc imported afresh: any other checkout's modules are
    dropped from sys.modules first (whoever holds their functions keeps them alive), and
    `checkout` comes first on the path while `make` runs. `make` should run its work once, so
    that the modules imported inside functions are imported then, from `checkout`. Raises
    SystemExit when a zkcc module came from anywhere else."""
    for name in [n for n in sys.modules if _ours(n)]:
        del sys.modules[name]
    sys.path.insert(0, str(checkout))
    try:
        value = make()
    finally:
        sys.path.remove(str(checkout))
    modules = {n: m for n, m in sys.modules.items() if _ours(n)}
    for name, module in modules.items():
        where = getattr(module, "__file__", None)
        if where is None or not Path(where).resolve().is_relative_to(checkout.resolve()):
            raise SystemExit(f"{checkout}: {name} was imported from {where}")
    return Loaded(value, modules)


def run_script(checkout: Path, script: str, *args: object) -> Any:
    """What `script` prints as JSON, run as `python -c script checkout args...` (the script
    puts its argv[1], the checkout, first on its path)."""
    out = subprocess.run(
        [sys.executable, "-c", script, str(checkout), *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)
