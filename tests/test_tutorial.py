"""docs/tutorial.md runs: every fenced code block in it is executed, in order, in one
temporary directory, or explicitly marked as not runnable.

The convention, set in each fence's info string (the first word is the language, so renderers
still highlight it; the rest are `key=value` attributes, values quoted if they hold spaces):

* ```` ```zkcu file=model.zkcu ```` and ```` ```json file=inputs.json ````: the block is
  written to that file (a later block with the same name replaces it).
* ```` ```console ```` (or ```` ```sh ````): lines starting with `$ ` are `zkcc` commands, run
  in-process through `zkcc.cli.main` (the entry point, with its exit codes and error lines)
  under click's runner isolation (one import of zkcc for the whole tutorial); the
  lines after a command, up to the next `$ `, are output, compared loosely: every non-blank
  line must appear in what the command printed (stdout and stderr), with `...` matching
  anything and times (`0.43s`) matching any time. Each command must exit 0, unless the block
  says `exit=N` (then every command in it must exit N: an error example).
* `norun="reason"`: the block is shown, not executed (installing, MPI, excerpts); the reason
  is required.

A block that is none of these (no `file=` on a source or an input, a shell line that is not a
`zkcc` command, an unknown language) fails the test, so nothing in the tutorial goes
unchecked by accident.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from helpers import ROOT

from zkcc.cli import main

TUTORIAL = ROOT / "docs" / "tutorial.md"

FENCE = re.compile(r"^```(\S*)(.*)$")
TIME = re.compile(r"\d+(\.\d+)?s\b")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    attrs: dict[str, str]
    text: str

    def where(self) -> str:
        return f"docs/tutorial.md:{self.line} ({self.lang} block)"


def blocks(text: str) -> list[Block]:
    """Every fenced block of `text`, with its language and attributes."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"docs/tutorial.md:{start + 1}: unclosed fence"
        attrs = {}
        for word in shlex.split(m.group(2)):
            key, eq, value = word.partition("=")
            assert eq, f"docs/tutorial.md:{start + 1}: attribute {word!r} is not key=value"
            attrs[key] = value
        out.append(Block(start + 1, m.group(1), attrs, "\n".join(body) + "\n"))
        i += 1
    return out


def commands(block: Block) -> list[tuple[list[str], list[str]]]:
    """The `$ zkcc ...` commands of a console block, each with its expected output lines."""
    cmds: list[tuple[list[str], list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            argv = shlex.split(line[2:], comments=True)
            assert argv and argv[0] == "zkcc", (
                f"{block.where()}: {line!r} is not a zkcc command; mark the block norun=..."
            )
            cmds.append((argv[1:], []))
        elif line.strip():
            assert cmds, f"{block.where()}: output {line!r} before any command"
            cmds[-1][1].append(line.strip())
    assert cmds, f"{block.where()}: no `$ zkcc ...` command; mark the block norun=..."
    return cmds


def _pattern(expected: str) -> re.Pattern:
    parts = [re.escape(p) for p in TIME.sub("<t>", expected).split("...")]
    return re.compile(".*".join(parts).replace("<t>", r"\d+(?:\.\d+)?s"))


def check_output(where: str, argv: list[str], expected: list[str], output: str) -> None:
    lines = [" ".join(x.split()) for x in output.splitlines()]
    for want in expected:
        pat = _pattern(" ".join(want.split()))
        assert any(pat.search(x) for x in lines), (
            f"{where}: `zkcc {shlex.join(argv)}` did not print {want!r}; it printed:\n{output}"
        )


def zkcc(argv: list[str]) -> tuple[int, str]:
    """Run `zkcc ARGV` in-process as the entry point does; its exit code and all it printed."""
    saved = sys.argv
    with CliRunner().isolation() as (out, err, _):
        sys.argv = ["zkcc", *argv]
        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            sys.argv = saved
        return code, out.getvalue().decode() + err.getvalue().decode()


def run_block(block: Block) -> None:
    want_exit = int(block.attrs.get("exit", "0"))
    for argv, expected in commands(block):
        code, output = zkcc(argv)
        assert code == want_exit, (
            f"{block.where()}: `zkcc {shlex.join(argv)}` exited {code}, "
            f"expected {want_exit}:\n{output}"
        )
        check_output(block.where(), argv, expected, output)


def test_tutorial_blocks_all_run(tmp_path, monkeypatch):
    found = blocks(TUTORIAL.read_text())
    assert len(found) >= 10, "the tutorial lost its code blocks"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZKCC_THREADS", "1")
    # no `zkcc calibrate` profile: --explain's estimates are then the default rates shown
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ran = 0
    for block in found:
        if "norun" in block.attrs:
            assert block.attrs["norun"].strip(), f"{block.where()}: norun needs a reason"
            continue
        if block.lang in ("zkcu", "json"):
            name = block.attrs.get("file")
            assert name, f"{block.where()}: no file=NAME and no norun=REASON"
            assert "/" not in name, f"{block.where()}: file= takes a plain name"
            (tmp_path / name).write_text(block.text)
        elif block.lang in ("console", "sh"):
            run_block(block)
        else:
            pytest.fail(f"{block.where()}: unknown block kind; mark it norun=REASON")
        ran += 1
    assert ran >= 10


def test_convention_catches_unmarked_and_wrong_blocks(tmp_path, monkeypatch):
    """The checker itself: an unmarked block, a non-zkcc shell line and wrong output fail."""
    text = "```zkcu\nx\n```\n```console\n$ ls\n```\n"
    parsed = blocks(text)
    assert [b.lang for b in parsed] == ["zkcu", "console"] and parsed[0].attrs == {}
    with pytest.raises(AssertionError, match="not a zkcc command"):
        commands(parsed[1])
    assert blocks('```sh norun="needs MPI"\nmpiexec\n```\n')[0].attrs == {"norun": "needs MPI"}
    check_output(
        "t",
        [],
        ["wrote a.zkproof (12 bytes) in 0.43s", "digest 0d7d..."],
        "wrote a.zkproof (12 bytes) in 1.5s\nplan digest 0d7deb1f",
    )
    with pytest.raises(AssertionError, match="did not print"):
        check_output("t", [], ["accepted"], "REJECTED")
    monkeypatch.chdir(tmp_path)
    bad = Block(1, "console", {"exit": "2"}, "$ zkcc check missing.zkcu\n")
    run_block(bad)  # a missing file is exit 2, as the block says
    with pytest.raises(AssertionError, match="exited 2, expected 0"):
        run_block(Block(1, "console", {}, bad.text))
