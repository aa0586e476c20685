"""Hostile and malformed files (issue 11): every one gets one clear line naming the file, exit 2,
no traceback and no output file; a bug in zkcc exits 3, never 1 ("rejected")."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers import EXAMPLES, ROOT

from zkcc import cli
from zkcc.errors import UserError
from zkcc.fileio import read_bytes, write_atomic

ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]
DOT_SRC = EXAMPLES / "dot" / "dot.zkcu"
DOT_INPUTS = EXAMPLES / "dot" / "inputs.json"


def zkcc(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZKCC, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        timeout=timeout,
    )


def assert_refused(r: subprocess.CompletedProcess, name, *words: str, code: int = 2) -> str:
    """Exit `code`, no traceback, one line on stderr that names `name` and says `words`."""
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-2000:]
    assert str(name) in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "dot.zkplan"
    r = zkcc("compile", DOT_SRC, "-o", path)
    assert r.returncode == 0, r.stderr
    return path


def prove_with(plan, inputs, tmp_path):
    out = tmp_path / "out.zkproof"
    r = zkcc("prove", "-q", plan, "-i", inputs, "-o", out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.zkproof")]
    return r


def dot_inputs() -> dict:
    return json.loads(DOT_INPUTS.read_text())


# -- 1. internal errors -----------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("boom\nsecond line")


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_exits_3_with_one_line(tmp_path, plan, monkeypatch, capsys, debug):
    import zkcc.runtime.prover

    monkeypatch.setattr(zkcc.runtime.prover, "prove", _boom)
    if debug:
        monkeypatch.setenv("ZKCC_DEBUG", "1")
    else:
        monkeypatch.delenv("ZKCC_DEBUG", raising=False)
    out = tmp_path / "x.zkproof"
    argv = ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS), "-o", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 3
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last == (
        "zkcc: internal error: RuntimeError: boom second line "
        "(please report this, with the command and files)"
    )
    assert ("Traceback" in err) == debug
    if not debug:
        assert len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_failed_self_check_is_an_internal_error(tmp_path, plan, monkeypatch, capsys):
    """A check of zkcc's own work (circuit residues against the witness, say) that fails is a
    bug in zkcc: exit 3 and status internal_error, with the check's own message."""
    import zkcc.runtime.prover
    from zkcc.errors import InternalError

    def disagree(*args, **kwargs):
        raise InternalError("internal error: launch 0: circuit residues are non-zero")

    monkeypatch.setattr(zkcc.runtime.prover, "prove", disagree)
    out = tmp_path / "x.zkproof"
    argv = ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS), "-o", str(out), "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 3
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "internal_error" and report["exit_code"] == 3
    assert report["error"].startswith("zkcc: internal error: launch 0: circuit residues")
    assert not out.exists()


def test_keyboard_interrupt_is_not_an_internal_error(plan, monkeypatch, capsys):
    import zkcc.runtime.prover

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zkcc.runtime.prover, "prove", interrupt)
    monkeypatch.setattr(sys, "argv", ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS)])
    with pytest.raises(SystemExit) as e:  # click turns it into Abort: "aborted", as before
        cli.main()
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == "aborted"


def test_sigterm_stops_like_ctrl_c(plan, monkeypatch, capsys):
    """SIGTERM (a scheduler's, `kill PID`) unwinds like Ctrl-C, so spill directories and
    partial outputs are cleaned up: "aborted", exit 2. Python's default was to die at once."""
    import zkcc.runtime.prover

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt")

    monkeypatch.setattr(zkcc.runtime.prover, "prove", terminated)
    monkeypatch.setattr(sys, "argv", ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS)])
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as e:
            cli.main()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == "aborted"


@pytest.mark.parametrize(
    "error, text",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "error: No space left on device ("),
        (OSError(errno.ENAMETOOLONG, "File name too long", "a" * 300), "error: aaaa"),
    ],
)
def test_the_machines_os_errors_exit_2_not_3(tmp_path, plan, monkeypatch, capsys, error, text):
    """A full disk for the spill files or a name too long is the machine's state, not a bug:
    one line, exit 2 (it was "internal error", exit 3). Other OSErrors stay internal."""
    import zkcc.runtime.prover

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(zkcc.runtime.prover, "prove", fail)
    out = tmp_path / "x.zkproof"
    argv = ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS), "-o", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as e:
        cli.main()
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith(text) and len(err.strip().splitlines()) == 1
    bad = OSError(errno.EBADF, "Bad file descriptor")
    monkeypatch.setattr(zkcc.runtime.prover, "prove", lambda *a, **k: _raise(bad))
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 3


def _raise(error: BaseException):
    raise error


def test_a_full_standard_output_is_not_a_rejection(tmp_path, plan):
    """`verify --json > /dev/full`: the verdict cannot be written; exit 2 and one message on
    stderr (it exited 1, which CI reads as "rejected", with two tracebacks)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    proof = tmp_path / "x.zkproof"
    assert zkcc("prove", "-q", plan, "-i", DOT_INPUTS, "-o", proof).returncode == 0
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [*ZKCC, "verify", str(plan), str(proof), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "No space left on device" in r.stderr


# -- 2. huge integers and odd digits ------------------------------------------------------------


def test_json_integer_over_4300_digits(tmp_path, plan):
    f = tmp_path / "big.json"
    data = dot_inputs()
    data["w"][0] = "PLACEHOLDER"
    f.write_text(json.dumps(data).replace('"PLACEHOLDER"', "9" * 5000))
    line = assert_refused(prove_with(plan, f, tmp_path), f, "5000 digits")
    assert len(line) < 300


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b2", "-\u0663", "9" * 5000])
def test_json_string_that_is_not_a_small_decimal(tmp_path, plan, value):
    f = tmp_path / "odd.json"
    data = dot_inputs()
    data["w"][0] = value
    f.write_text(json.dumps(data))
    line = assert_refused(prove_with(plan, f, tmp_path), f, "w[0]")
    assert len(line) < 300


def test_source_literal_over_4300_digits(tmp_path):
    src = tmp_path / "big.zkcu"
    src.write_text(DOT_SRC.read_text().replace("field acc = 0;", f"field acc = {'9' * 5000};"))
    out = tmp_path / "big.zkplan"
    for args in (("check", src), ("compile", src, "-o", out)):
        r = zkcc(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        head, line, caret = r.stderr.strip().splitlines()
        assert head.startswith(f"{src}:8:17: error: integer literal with 5000 digits")
        assert caret.lstrip().startswith("^~~")
    assert not out.exists()


@pytest.mark.parametrize("size", ["0x" + "f" * 3000, "1 << 41", "20000000"])
def test_array_larger_than_the_limits_is_a_diagnostic(tmp_path, size):
    """A huge constant used as an array size: refused at the declaration before anything is
    allocated (it used to be an OverflowError, or an allocation of its size)."""
    src = tmp_path / "huge.zkcu"
    src.write_text(
        "#pragma field m31\n"
        f"const int N = {size};\n"
        "__global__ void k(const field x[N], field y[1]) { y[0] = x[0]; }\n"
        "__host__ void main(public field xs[2][N], public out field ys[2][1]) {\n"
        "    k<<<2>>>(xs, ys);\n}\n"
    )
    r = zkcc("check", src)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert f"{src}:3:33: error: array of " in r.stderr
    assert "exceeds zkcc's limit of 10,000,000 elements for an array in a kernel" in r.stderr


# -- 3. .npz inputs ---------------------------------------------------------------------------


def _npz_entries(entries: dict[str, bytes], path, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _good_arrays():
    d = dot_inputs()
    return {k: np.array(v, dtype=np.int64) for k, v in d.items()}


def test_npz_good_file_still_works(tmp_path, plan):
    f = tmp_path / "in.npz"
    np.savez_compressed(f, **_good_arrays())
    out = tmp_path / "p.zkproof"
    r = zkcc("prove", "-q", plan, "-i", f, "-o", out)
    assert r.returncode == 0, r.stderr


def test_npz_corrupt_deflate_stream(tmp_path, plan):
    good = tmp_path / "good.npz"
    np.savez_compressed(good, **_good_arrays())
    data = bytearray(good.read_bytes())
    start = data.index(b"xs.npy") + 6 + 100
    for i in range(start, start + 64):
        data[i] ^= 0x55
    f = tmp_path / "corrupt.npz"
    f.write_bytes(bytes(data))
    assert_refused(prove_with(plan, f, tmp_path), f, "not a valid .npz file")


def test_npz_bad_npy_header(tmp_path, plan):
    f = tmp_path / "hdr.npz"
    a = _good_arrays()
    _npz_entries(
        {
            "xs.npy": b"\x93NUMPY\x01\x00\x10\x00{garbage}      \n" + bytes(64),
            "w.npy": _npy(a["w"]),
        },
        f,
    )
    assert_refused(prove_with(plan, f, tmp_path), f, "xs", "header")


@pytest.mark.parametrize(
    "entries",
    [
        {"xs.txt": b"hello"},
        {"xs.npy": b"not an array at all", "w.npy": b""},
    ],
)
def test_npz_entry_that_is_not_an_array(tmp_path, plan, entries):
    f = tmp_path / "junk.npz"
    _npz_entries(entries, f)
    assert_refused(prove_with(plan, f, tmp_path), f, "not a valid .npz file")


def test_npz_object_array_is_refused(tmp_path, plan):
    f = tmp_path / "obj.npz"
    a = _good_arrays()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|O", "fortran_order": False, "shape": (1024, 8)}
    )
    _npz_entries({"xs.npy": header.getvalue() + b"\x80\x04N.", "w.npy": _npy(a["w"])}, f)
    assert_refused(prove_with(plan, f, tmp_path), f, "xs", "integer array expected")


def test_npz_bomb_is_refused_by_its_declared_shape(tmp_path, plan):
    """Declares 2**33 int64s (64 GiB), holds 32 MiB of zeros in a 32 KiB file: refused by the
    header alone, before anything is inflated or allocated."""
    f = tmp_path / "bomb.npz"
    a = _good_arrays()
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("xs.npy", "w", force_zip64=True) as g:
            np.lib.format.write_array_header_1_0(
                g, {"descr": "<i8", "fortran_order": False, "shape": (1 << 23, 1 << 10)}
            )
            for _ in range(2):
                g.write(bytes(1 << 24))
        z.writestr("w.npy", _npy(a["w"]))
    assert f.stat().st_size < 1 << 20
    assert_refused(
        prove_with(plan, f, tmp_path), f, "xs: shape [8388608, 1024], expected [1024, 8]"
    )


def test_npz_names_are_checked_before_data(tmp_path, plan):
    f = tmp_path / "names.npz"
    a = _good_arrays()
    _npz_entries({"xs.npy": b"\x93NUMPY garbage", "v.npy": _npy(a["w"])}, f)
    assert_refused(prove_with(plan, f, tmp_path), f, "missing inputs ['w']", "unknown names")


# -- 4. unwritable -o -------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_unwritable_output_exits_2(tmp_path, plan):
    for out in ("/proc/zkcc-test.zkproof", tmp_path / "no" / "dir" / "x.zkproof"):
        r = zkcc("prove", "-q", plan, "-i", DOT_INPUTS, "-o", out)
        assert_refused(r, out, "cannot write")
    out = tmp_path / "d.zkplan"
    out.mkdir()
    r = zkcc("compile", DOT_SRC, "-o", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_write_atomic_os_errors_are_user_errors(tmp_path, monkeypatch):
    target = tmp_path / "x.bin"
    with pytest.raises(UserError, match="is a directory"):
        write_atomic(tmp_path, b"data")

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(UserError, match=f"{target}: cannot write: No space left on device"):
        write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_an_output_nothing_can_be_written_to_is_refused_before_the_proof(plan, monkeypatch, capsys):
    """/proc takes no new files (even for root, whom permission bits do not stop): prove
    says so before proving, not after."""
    import zkcc.runtime.prover

    monkeypatch.setattr(zkcc.runtime.prover, "prove", _boom)  # reached: the test fails
    argv = ["zkcc", "prove", "-q", str(plan), "-i", str(DOT_INPUTS), "-o", "/proc/zkcc.zkproof"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    assert capsys.readouterr().err.strip().startswith("/proc/zkcc.zkproof: cannot write:")


def test_write_atomic_keeps_devices_links_and_modes(tmp_path):
    """The rename onto the output path must not replace what is there with a regular file:
    a device (`-o /dev/null`, which a root user's rename destroyed) is written as it is, a
    symbolic link keeps pointing at its target, which gets the data; the file's mode is a new
    file's (0666 less the umask, not mkstemp's 0600), or the one of the file it replaces."""
    if os.path.exists("/dev/null"):
        write_atomic("/dev/null", b"discarded")
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    target, link = tmp_path / "target.bin", tmp_path / "link.bin"
    target.write_bytes(b"old")
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    fresh = tmp_path / "fresh.bin"
    mask = os.umask(0o027)
    try:
        write_atomic(fresh, b"x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    fresh.chmod(0o604)
    write_atomic(fresh, b"y")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o604 and fresh.read_bytes() == b"y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.bin", "link.bin", "target.bin"]


# -- 5. files that are not regular files ------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_up_front(tmp_path, plan):
    assert_refused(zkcc("verify", plan, "/dev/zero", timeout=20), "/dev/zero", "not a regular file")
    assert_refused(zkcc("verify", "/dev/zero", plan, timeout=20), "/dev/zero", "not a regular")
    assert_refused(zkcc("inspect", "/dev/zero", timeout=20), "/dev/zero", "not a regular file")
    r = zkcc("prove", "-q", plan, "-i", "/dev/zero", "-o", tmp_path / "x", timeout=20)
    assert_refused(r, "/dev/zero", "not a regular file")
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_waiting(tmp_path, plan):
    fifo = tmp_path / "f.zkproof"
    os.mkfifo(fifo)
    assert_refused(zkcc("verify", plan, fifo, timeout=20), fifo, "not a regular file")
    assert_refused(zkcc("compile", fifo, "-o", tmp_path / "x", timeout=20), fifo, "regular")
    for suffix in (".json", ".npz"):
        inputs = tmp_path / f"in{suffix}"
        os.mkfifo(inputs)
        r = zkcc("prove", "-q", plan, "-i", inputs, "-o", tmp_path / "x", timeout=20)
        assert_refused(r, inputs, "not a regular file")
    assert not (tmp_path / "x").exists()


def test_read_bytes_is_bounded(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(bytes(100))
    assert read_bytes(f, "thing", limit=100) == bytes(100)
    with pytest.raises(UserError, match="thing file is too large"):
        read_bytes(f, "thing", limit=99)
    with pytest.raises(UserError, match="not a regular file"):
        read_bytes(tmp_path, "thing")


# -- 6. deep nesting --------------------------------------------------------------------------


@pytest.mark.parametrize("deep", ["[" * 100_000, '{"w": ' + "[" * 100_000 + "]" * 100_000 + "}"])
def test_deeply_nested_json_is_refused(tmp_path, plan, deep):
    f = tmp_path / "deep.json"
    f.write_text(deep)
    assert_refused(prove_with(plan, f, tmp_path), f, "nested more than 100 levels")


def test_brackets_inside_json_strings_do_not_count(tmp_path, plan):
    f = tmp_path / "strings.json"
    data = dot_inputs()
    data["w"][0] = "[" * 1000 + '\\"{'
    f.write_text(json.dumps(data))
    assert_refused(prove_with(plan, f, tmp_path), f, "w[0]", "is not a decimal integer")


@pytest.mark.parametrize(
    "code",
    [
        "field acc = 0;" + "{" * 10_000 + "}" * 10_000,
        "field acc = " + "+".join(["1"] * 20_001) + ";",
    ],
    ids=["braces", "long-sum"],
)
def test_deeply_nested_source_is_refused(tmp_path, code):
    src = tmp_path / "deep.zkcu"
    src.write_text(DOT_SRC.read_text().replace("field acc = 0;", code))
    out = tmp_path / "deep.zkplan"
    r = zkcc("compile", src, "-o", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"{src}:8:"), r.stderr[:500]
    assert "nested too deeply: more than 2000 levels" in lines[0]
    assert not out.exists()


def test_moderately_long_sum_still_compiles(tmp_path):
    src = tmp_path / "sum.zkcu"
    code = "field acc = " + "+".join(["x[0]"] * 1500) + ";"
    src.write_text(DOT_SRC.read_text().replace("field acc = 0;", code))
    r = zkcc("compile", src, "-o", tmp_path / "sum.zkplan")
    assert r.returncode == 0, r.stderr[-2000:]


# -- 7. bounds found by the outside tester (wrong kinds, header bombs, long messages) ----------


def test_a_file_of_the_wrong_kind_is_refused_by_its_magic_unread(tmp_path, plan, monkeypatch):
    """A 2 GiB (sparse) file given as a proof is refused after its first bytes: read_upto,
    which reads the rest, is never called; the message is the decoder's usual one."""
    from zkcc import fileio

    big = tmp_path / "zeros.zkproof"
    with open(big, "wb") as f:
        f.truncate(1 << 31)

    def no_read(*args):
        raise AssertionError("the rest of a file of the wrong kind was read")

    monkeypatch.setattr(fileio, "read_upto", no_read)
    assert read_bytes(big, "proof", magics=(b"ZKPF",)) == bytes(4)
    assert read_bytes(plan, "proof", magics=(b"ZKPF",)) == b"ZKPL"
    monkeypatch.undo()
    r = zkcc("verify", plan, big, timeout=20)
    assert_refused(r, big, "not a proof (from zkcc prove)")


def test_out_of_memory_while_reading_names_the_file(tmp_path, monkeypatch):
    from zkcc import fileio

    f = tmp_path / "p.zkplan"
    f.write_bytes(b"ZKPL" + bytes(100))

    def oom(*args):
        raise MemoryError

    monkeypatch.setattr(fileio, "read_upto", oom)
    with pytest.raises(UserError, match=f"^{f}: cannot read plan: out of memory$"):
        read_bytes(f, "plan", magics=(b"ZKPL",))


class _ReadSizes(io.BytesIO):
    """A stream that records the largest read asked of it."""

    most = 0

    def read(self, n=-1):
        self.most = max(self.most, n)
        return super().read(n)


def test_npy_header_length_is_checked_before_the_header_is_read(tmp_path, plan):
    from zkcc.runtime.inputs import MAX_NPY_HEADER, _npy_header

    bomb = b"\x93NUMPY\x02\x00" + (10**9).to_bytes(4, "little") + b" " * 1000
    stream = _ReadSizes(bomb)
    with pytest.raises(ValueError, match="header of 1000000000 bytes"):
        _npy_header(stream, "xs")
    assert stream.most <= MAX_NPY_HEADER
    f = tmp_path / "bomb.npz"
    _npz_entries({"xs.npy": bomb, "w.npy": _npy(_good_arrays()["w"])}, f)
    assert_refused(prove_with(plan, f, tmp_path), f, "xs: .npy header of 1000000000 bytes")


def test_npz_entry_given_twice_is_refused(tmp_path, plan):
    import warnings

    f = tmp_path / "dup.npz"
    a = _good_arrays()
    with warnings.catch_warnings(), zipfile.ZipFile(f, "w") as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it writes
        for name in ("xs", "w", "xs"):
            z.writestr(f"{name}.npy", _npy(a[name]))
    assert_refused(prove_with(plan, f, tmp_path), f, "entry 'xs.npy' appears twice")


def test_unknown_names_message_is_bounded(tmp_path, plan):
    f = tmp_path / "many.json"
    data = dot_inputs()
    data.update({f"{'n' * 100}{i:06d}": 0 for i in range(10_000)})
    f.write_text(json.dumps(data))
    line = assert_refused(prove_with(plan, f, tmp_path), f, "and 9995 more")
    assert len(line) < 600, line


def test_stdin_is_bounded_as_a_json_file_is(tmp_path, monkeypatch):
    from zkcc.runtime import inputs

    f = tmp_path / "stdin"
    f.write_bytes(b" " * 1000)
    monkeypatch.setattr(inputs, "MAX_JSON_BYTES", 100)
    with open(f) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        with pytest.raises(UserError, match=r"^-: inputs on stdin over 100 bytes"):
            inputs.load_tensors("-", {"w": (1,)}, None, "inputs")


@pytest.mark.parametrize("text", ['"' + "x" * 3_000_000 + '"', "[]," * 1_000_000])
def test_json_depth_check_memory_does_not_grow_with_the_input(text):
    """The old regex took ~120 bytes of memory per byte of input; the chunked scan's peak
    stays near one chunk's arrays whatever the input's size."""
    import tracemalloc
    from pathlib import Path

    from zkcc.runtime.inputs import _check_json_depth

    tracemalloc.start()
    _check_json_depth(Path("x.json"), "[" + text + "0]")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 << 20, peak


def test_json_depth_is_counted_across_chunks(monkeypatch):
    """Strings, escapes and backslash runs split between chunks keep their meaning."""
    from pathlib import Path

    from zkcc.runtime import inputs

    monkeypatch.setattr(inputs, "JSON_SCAN_CHUNK", 3)
    inputs._check_json_depth(Path("x.json"), '["' + "\\\\" * 5 + '\\"' + "[" * 200 + '"]')
    with pytest.raises(UserError, match="nested more than 100 levels"):
        inputs._check_json_depth(Path("x.json"), '"\\\\"' + "[" * 101)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_include_of_a_device_or_fifo_is_not_a_regular_file(tmp_path, target):
    os.mkfifo(tmp_path / "fifo")
    src = tmp_path / "inc.zkcu"
    src.write_text(f'#include "{target}"\n' + DOT_SRC.read_text())
    r = zkcc("check", src, timeout=20)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(
        f"{src}:1:1: error: '{target}': cannot read included source: not a regular file"
    ), r.stderr


def test_include_is_bounded_as_the_main_source(tmp_path, monkeypatch):
    from zkcc.frontend import compile_file, loader
    from zkcc.frontend.diagnostics import CompileError

    (tmp_path / "big.zkcu").write_text("// " + "x" * 200 + "\n")
    src = tmp_path / "inc.zkcu"
    src.write_text('#include "big.zkcu"\n' + DOT_SRC.read_text())
    monkeypatch.setattr(loader, "MAX_SOURCE_BYTES", 100)
    with pytest.raises(CompileError, match="included source file is too large"):
        compile_file(src)


GROTH16_CUBE = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1];
}
__host__ void main(public field xs[N][2], public out field ys[N][1]) {
    cube<<<N>>>(xs, ys);
}
"""


def test_a_key_that_does_not_fit_its_circuit_names_the_key_file(tmp_path):
    from zkcc.driver import compile_path
    from zkcc.errors import FormatError
    from zkcc.plan.plan import plan_digest
    from zkcc.runtime.keyfiles import VK_MAGIC, keys_from_bytes, keys_to_bytes, setup_plan

    plans = []
    for n in (2, 3):
        src = tmp_path / f"cube{n}.zkcu"
        src.write_text(GROTH16_CUBE.replace("N", str(n)))
        plans.append(compile_path(str(src)))
    digest = plan_digest(plans[0].to_bytes())
    _, other_vks = setup_plan(plans[1])
    data = keys_to_bytes(VK_MAGIC, digest, other_vks)
    with pytest.raises(FormatError, match=r"^k\.zkvk: the key for launch 0 \(cube\) does not fit"):
        keys_from_bytes(data, VK_MAGIC, plans[0], digest, "k.zkvk")


_TYPED = """#pragma field m31
__global__ void k(const i8 a[2], const fx8.2 b[2], field y[2]) {
    y[0] = a[0] + a[1];
    y[1] = a[0];
}
__host__ void main(public i8 a[1][2], public fx8.2 b[1][2], public out field y[1][2]) {
    k<<<1>>>(a, b, y);
}
"""


@pytest.mark.parametrize(
    "a, b, message",
    [
        # 2^62 + 1 times 2^2 wrapped in int64 and was read as 1.0, proved and verified
        ([[1, 2]], [[2**62 + 1, 0]], "b[0][0]: value '4611686018427387905' is out of range"),
        ([[2**31 - 1 - 5, 0]], [[0, 0]], "a[0][0]: value 2147483642 does not fit i8 (-128..127)"),
        ([[0, 128]], [[0, 0]], "a[0][1]: value 128 does not fit i8 (-128..127)"),
    ],
)
@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_typed_inputs_are_judged_as_written(tmp_path, a, b, message, suffix):
    """An iK input is the signed integer written (p - 5 is refused, not read as -5), and an
    integer for a fixed-point tensor is range-checked before it is scaled by 2^F."""
    from zkcc.field import get_field
    from zkcc.frontend import compile_source
    from zkcc.runtime.inputs import load_inputs

    program = compile_source(_TYPED, "t.zkcu")
    path = tmp_path / f"in{suffix}"
    if suffix == ".npz":
        np.savez(path, a=np.array(a, dtype=np.int64), b=np.array(b, dtype=np.int64))
    else:
        path.write_text(json.dumps({"a": a, "b": b}))
    with pytest.raises(UserError, match=re.escape(message)):
        load_inputs(path, program, get_field("m31"))
    good = tmp_path / f"good{suffix}"
    if suffix == ".npz":
        np.savez(good, a=np.array([[-5, 127]]), b=np.array([[-32, 31]]))
    else:
        good.write_text(json.dumps({"a": [[-5, 127]], "b": [[-32, 31]]}))
    got = load_inputs(good, program, get_field("m31"))
    assert [int(v) for v in got["a"]] == [(-5) % (2**31 - 1), 127]


# -- the environment zkcc runs in ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "abc", "\u0663"])
def test_a_bad_zkcc_threads_is_one_message_exit_2(plan, value):
    """ZKCC_THREADS is read when the field kernels are imported, before main() could report
    anything: a bad value ended in a traceback and exit 1 ("rejected") for every command."""
    r = zkcc("verify", plan, plan, env={**os.environ, "ZKCC_THREADS": value})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"ZKCC_THREADS={value!r}: expected a positive number of threads"


def test_a_closed_pipe_is_sigpipe_not_rejected(tmp_path, plan):
    """`zkcc inspect P | head -1`: the reader leaves early; zkcc ends by SIGPIPE as `cat`
    does (click turned the EPIPE into exit 1, which CI reads as "rejected")."""
    p = subprocess.Popen([*ZKCC, "inspect", str(plan)], stdout=subprocess.PIPE)
    p.stdout.close()  # nothing will read: the first write fails
    assert p.wait(timeout=60) in (-signal.SIGPIPE, 0)  # 0: it finished before writing


def test_prove_with_stderr_closed_still_proves(tmp_path, plan):
    """`zkcc prove ... 2>&-`: Python's sys.stderr is None; the progress reporter wrote to it
    (AttributeError, exit 3, no proof)."""
    out = tmp_path / "x.zkproof"
    r = subprocess.run(
        [*ZKCC, "prove", str(plan), "-i", str(DOT_INPUTS), "-o", str(out)],
        stdout=subprocess.PIPE,
        preexec_fn=lambda: os.close(2),
        timeout=120,
    )
    assert r.returncode == 0 and out.exists()


def test_a_relative_output_after_the_working_directory_was_removed(tmp_path, plan):
    gone = tmp_path / "gone"
    gone.mkdir()

    def enter_and_remove() -> None:
        os.chdir(gone)
        os.rmdir(gone)

    r = subprocess.run(
        [*ZKCC, "prove", str(plan), "-i", str(DOT_INPUTS), "-o", "rel.zkproof"],
        capture_output=True,
        text=True,
        preexec_fn=enter_and_remove,
        timeout=120,
    )
    assert r.returncode == 2 and "the working directory no longer exists" in r.stderr


def test_a_tmpdir_where_nothing_can_be_made_is_refused_before_work(tmp_path, monkeypatch):
    """os.access said /proc was writable (as root); the prove then failed at its first
    spill with an internal error. A spill directory is made there first, on trial."""
    from zkcc.runtime import memory

    def refuse(prefix, directory):
        raise OSError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(memory, "scratch_dir", refuse)
    with pytest.raises(UserError, match=r"^--tmpdir /x: not a writable directory"):
        memory._check_spill_directory("/x")


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_bad_groth16_workers_count_is_refused(monkeypatch, value):
    from zkcc.backends.groth16.workers import default_workers

    monkeypatch.setenv("ZKCC_GROTH16_WORKERS", value)
    with pytest.raises(UserError, match="ZKCC_GROTH16_WORKERS"):
        default_workers()
