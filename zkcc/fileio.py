"""File helpers: atomic writes (no partial output files) and reads with clear errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from zkcc.errors import UserError

MAX_FILE_BYTES = 1 << 34


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bytes(path: str | Path, what: str) -> bytes:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{path}: {what} file is too large")
        return path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read {what}: {e.strerror or e}") from None
