"""File helpers: atomic writes (no partial output files) and reads with clear errors."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from zkcc.errors import UserError

MAX_FILE_BYTES = 1 << 34


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.
    A symbolic link is followed (its target is written, the link kept); a device or a FIFO
    (`-o /dev/null`) is written as it is, since renaming onto it would replace it with a
    regular file. The file gets the mode a new file would (0666 less the umask), or the mode
    of the file it replaces. A path that cannot be written (no such directory, a directory,
    no permission, a full or read-only disk) is a UserError naming it."""
    shown, path, st = _target(path)
    directory = path.parent
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            raise UserError(f"{shown}: cannot write: {e.strerror or e}") from None
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise UserError(f"{shown}: cannot write: {e.strerror or e}") from None
        raise


def _target(path: str | Path) -> tuple[Path, Path, os.stat_result | None]:
    """(the path as given, the file it names with links followed, that file's stat or None
    when it does not exist yet), once it is something write_atomic can write."""
    shown = Path(path)
    try:
        real = Path(os.path.realpath(path))
    except FileNotFoundError:  # a relative path from a working directory that was removed
        raise UserError(f"{shown}: cannot write: the working directory no longer exists") from None
    if not real.parent.is_dir():
        raise UserError(f"{shown}: cannot write: directory {shown.parent} does not exist")
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise UserError(f"{shown}: cannot write: {e.strerror or e}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UserError(f"{shown}: cannot write: it is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise UserError(f"{shown}: cannot write: not a regular file, a device or a FIFO")
    return shown, real, st


def check_not_an_input(out: str | Path, inputs: dict[str, str | Path | None]) -> None:
    """Refuse an output that is one of the command's own inputs, before any work
    (`zkcc compile a.zkcu -o a.zkcu` replaced the source with the plan): the same file by
    device and inode when both exist, else the same path with links followed. `inputs`: what
    each input is called -> its path (None, or "-" for standard input: skipped)."""
    shown, real, st = _target(out)
    for what, path in inputs.items():
        if path is None or str(path) == "-":
            continue
        try:
            same = st is not None and os.path.samefile(real, path)
        except OSError:
            same = False
        if same or real == Path(os.path.realpath(path)):
            raise UserError(
                f"{shown}: writing it would overwrite the {what} ({path}): choose another output"
            )


def check_writable(path: str | Path) -> None:
    """Refuse, before long work, an output that write_atomic would fail to write: a missing
    directory, a directory, or a place where no file can be made (no permission, /proc, a
    read-only disk), found by making and removing a probe file there."""
    shown, real, st = _target(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        return  # a device or a FIFO: written as it is
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".probe", dir=real.parent)
    except OSError as e:
        raise UserError(f"{shown}: cannot write: {e.strerror or e}") from None
    os.close(fd)
    os.unlink(probe)


def _umask() -> int:
    """The process's umask (reading it means setting it: set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def open_regular(path: str | Path, what: str, limit: int = MAX_FILE_BYTES) -> BinaryIO:
    """`path` opened for binary reading, once it is known to be a regular file of at most
    `limit` bytes. Anything else (a directory, a device such as /dev/zero, a FIFO) is refused
    before any read; a FIFO is opened without waiting for a writer."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise UserError(f"{path}: cannot read {what}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path}: cannot read {what}: not a regular file")
        if st.st_size > limit:
            raise UserError(f"{path}: {what} file is too large ({st.st_size} bytes)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_upto(f: BinaryIO, most: int) -> bytes:
    """At most `most` bytes of `f` (a file, or a stream such as stdin: size 0, read in
    chunks). `f.read(most)` would allocate a buffer of `most` bytes up front (16 GiB for
    MAX_FILE_BYTES), which fails under an address-space limit (ulimit -v) or strict
    overcommit even for a tiny input; so read the size the file has now, then go on in
    bounded chunks in case it grows while it is read."""
    want = min(os.fstat(f.fileno()).st_size + 1, most)
    first = f.read(want)
    if len(first) < want or len(first) >= most:  # at the end of the file, or at the limit
        return first
    parts, total = [first], len(first)
    while total < most:
        chunk = f.read(min(1 << 20, most - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def read_bytes(
    path: str | Path, what: str, limit: int = MAX_FILE_BYTES, magics: tuple[bytes, ...] = ()
) -> bytes:
    """The bytes of a regular file (see `open_regular`); the read stops after `limit` bytes,
    so a file that grows while it is read cannot exhaust memory either. With `magics` (the
    kinds of zkcc file the caller reads, zkcc.encoding.FILE_KINDS), a file that starts with
    none of them is read no further: its first bytes alone are returned, and the caller's
    decoder refuses it by its magic with its usual message, so that a 2 GB file of the wrong
    kind costs a few bytes of reading, not 2 GB of memory."""
    with open_regular(path, what, limit) as f:
        try:
            if magics:
                head = f.read(max(map(len, magics)))
                if not head.startswith(magics):
                    return head
                f.seek(0)
            data = read_upto(f, limit + 1)
        except OSError as e:
            raise UserError(f"{path}: cannot read {what}: {e.strerror or e}") from None
        except MemoryError:
            raise UserError(f"{path}: cannot read {what}: out of memory") from None
    if len(data) > limit:
        raise UserError(f"{path}: {what} file is too large (over {limit} bytes)")
    return data
