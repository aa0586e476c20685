"""Private temporary directories (spill files) that are removed however the process ends.

A `tempfile.TemporaryDirectory` goes when its object is collected or at interpreter exit;
a rank that ends the job with `MPI_Abort` (or `os._exit`) after a failure or Ctrl-C gets
neither, and left its spill directories in `--tmpdir` (12 per interrupted two-rank prove).
`Comm.abort` calls `remove_all()` first.
"""

from __future__ import annotations

import tempfile
import weakref

_LIVE: weakref.WeakSet[tempfile.TemporaryDirectory] = weakref.WeakSet()


def scratch_dir(prefix: str, directory: str) -> tempfile.TemporaryDirectory:
    """A new private directory under `directory`, removed with its object or by
    `remove_all()`."""
    made = tempfile.TemporaryDirectory(prefix=prefix, dir=directory)
    _LIVE.add(made)
    return made


def remove_all() -> None:
    """Remove every scratch directory still alive (before the process is ended abruptly)."""
    for made in list(_LIVE):
        made.cleanup()
