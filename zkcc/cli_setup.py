"""`zkcc setup`: make Groth16 keys, check where they came from, add a phase-2 contribution.

    zkcc setup PLAN [--ptau pot.ptau] [-o OUT]                 keys: PLAN.zkpk and PLAN.zkvk
    zkcc setup verify PLAN --ptau pot.ptau [--keys FILE]       exit 0 derived, 1 not, 2 bad file
    zkcc setup contribute PLAN [--keys PLAN.zkpk] -o NEW       NEW.zkpk and NEW.zkvk

The first form predates the other two and must keep its shape, so `setup` is a click group
(`SetupGroup`) whose first argument, when it is not `verify` or `contribute`, starts the hidden
key-generation command. Cryptography lives in zkcc/backends/groth16/phase2.py, the files in
zkcc/runtime/keyfiles.py; this module only parses options and prints.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from zkcc.errors import ProofRejected, UserError
from zkcc.fileio import read_bytes, write_atomic

KEYGEN = "keygen"  # the hidden name of `zkcc setup PLAN`


class SetupGroup(click.Group):
    """`setup PLAN ...` runs the key-generation command; `setup verify|contribute ...` the
    subcommands; `setup` alone or `setup --help` the group's help. (A plan file named
    `verify` or `contribute` is written `./verify`.)"""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [KEYGEN, *args]
        return super().parse_args(ctx, args)


class _KeygenCommand(click.Command):
    """Usage lines say `zkcc setup [OPTIONS] PLAN`, without the hidden command name."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


@click.group(
    "setup",
    cls=SetupGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def setup_group() -> None:
    """Groth16 keys for the Groth16 launches of a plan, their provenance, and contributions.

    \b
    Three uses:
      zkcc setup PLAN [--ptau pot.ptau] [-o OUT]
          make PLAN.zkpk (prove) and PLAN.zkvk (verify). With --ptau, phase 1 comes from a
          snarkjs powers-of-tau file and the key gets one phase-2 contribution, so anyone can
          check it with `setup verify`; without, all toxic waste is fresh (no provenance).
      zkcc setup verify PLAN --ptau pot.ptau [--keys FILE]
          check that the keys (.zkvk or .zkpk, default PLAN.zkvk) are derived from that
          ptau and the plan's circuits through valid contributions. Exit 0 yes, 1 no,
          2 malformed file.
      zkcc setup contribute PLAN [--keys PLAN.zkpk] -o NEW [--entropy TEXT]
          add a phase-2 contribution (fresh secret delta factor), write NEW.zkpk and
          NEW.zkvk, and print its hash to publish. One honest contributor who forgets the
          secret makes the key safe.

    Run `zkcc setup PLAN --help` (or `verify --help`, `contribute --help`) for the options.
    """


@setup_group.command(KEYGEN, cls=_KeygenCommand, hidden=True)
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--ptau",
    type=click.Path(dir_okay=False),
    help="Phase 1 from a snarkjs powers-of-tau file (after `prepare phase2`) instead of fresh "
    "toxic waste for every parameter; the keys then carry a checkable phase-2 contribution.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Key files to write: OUTPUT.zkpk and OUTPUT.zkvk (default: next to PLAN).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def keygen(
    plan_path: str, ptau: str | None, output: str | None, quiet: bool, as_json: bool
) -> None:
    """Groth16 keys for every Groth16 launch of PLAN: PLAN.zkpk (prove) and PLAN.zkvk (verify).

    The keys are bound to the plan's digest. Toxic waste is drawn from the OS's random source
    and never written anywhere. With --ptau the key is the initial key of that ptau (delta = 1)
    plus one contribution; `zkcc setup verify` checks it, `zkcc setup contribute` adds more.
    """
    from zkcc.cli import _emit_json, _load_plan, _progress
    from zkcc.runtime.groth16_launch import groth16_steps
    from zkcc.runtime.keyfiles import setup_plan

    plan, digest = _load_plan(plan_path)
    steps = groth16_steps(plan)
    if not steps:
        if as_json:
            _emit_json({"launches": [], "files": []})
        else:
            click.echo(f"{plan_path}: no Groth16 launches, no keys needed")
        return
    if ptau is not None and not Path(ptau).is_file():
        raise UserError(f"{ptau}: cannot read the powers-of-tau file")
    start = time.perf_counter()
    pks, vks = setup_plan(plan, ptau, _progress(quiet or as_json), digest=digest)
    files = _write_keys(output or plan_path, digest, pks, vks)
    seconds = time.perf_counter() - start
    if as_json:
        _emit_json({"launches": steps, "files": files, "seconds": round(seconds, 3)})
    else:
        for f in files:
            click.echo(f"wrote {f['path']} ({f['bytes']} bytes)")
        click.echo(f"keys for launches {steps} in {seconds:.2f}s")


def _write_keys(base: str, digest: bytes, pks: dict, vks: dict) -> list[dict]:
    from zkcc.runtime.keyfiles import (
        PK_MAGIC,
        PK_SUFFIX,
        VK_MAGIC,
        VK_SUFFIX,
        default_key_path,
        keys_to_bytes,
    )

    files = []
    for magic, suffix, keys in ((PK_MAGIC, PK_SUFFIX, pks), (VK_MAGIC, VK_SUFFIX, vks)):
        path = default_key_path(base, suffix)
        data = keys_to_bytes(magic, digest, keys)
        write_atomic(path, data)
        files.append({"path": str(path), "bytes": len(data)})
    return files


@setup_group.command("verify")
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--ptau",
    required=True,
    type=click.Path(dir_okay=False),
    help="The powers-of-tau file the keys should come from.",
)
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False),
    help="A .zkvk or .zkpk (default: PLAN with suffix .zkvk). A .zkpk is checked in full: "
    "also its A, B, L, H and commitment queries.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify_cmd(
    plan_path: str, ptau: str, keys_path: str | None, quiet: bool, as_json: bool
) -> None:
    """Check that the Groth16 keys of PLAN are derived from PTAU and PLAN's circuits.

    For every Groth16 launch: rebuild its R1CS from the plan, recompute from the ptau what the
    key must be (alpha, beta, gamma, IC, and for a proving key the A/B queries) and compare
    exactly; check delta through the chain of phase-2 contributions (each with a proof of
    knowledge of its factor), and for a proving key L and H against delta by random linear
    combinations. Exit 0: derived; 1: not derived (the message names the launch and the
    check); 2: a malformed file.
    """
    from zkcc.cli import _emit_json, _load_plan, _progress, _rejected
    from zkcc.runtime.groth16_launch import groth16_steps
    from zkcc.runtime.keyfiles import (
        PK_MAGIC,
        VK_MAGIC,
        VK_SUFFIX,
        default_key_path,
        read_key_trees,
        verify_plan_keys,
    )

    plan, digest = _load_plan(plan_path)
    if not Path(ptau).is_file():  # a typo is said even when there is nothing to check
        raise UserError(f"{ptau}: cannot read the powers-of-tau file")
    if not groth16_steps(plan):
        if as_json:
            _emit_json({"status": "accepted", "launches": []})
        else:
            click.echo(f"{plan_path}: no Groth16 launches, no keys to check")
        return
    path = keys_path or str(default_key_path(plan_path, VK_SUFFIX))
    trees = read_key_trees(read_bytes(path, "keys", magics=(PK_MAGIC, VK_MAGIC)), path)
    start = time.perf_counter()
    try:
        trees.check_plan(plan, digest, other_plan=ProofRejected)
        kf = trees.decode()
        results = verify_plan_keys(plan, digest, kf, ptau, _progress(quiet or as_json))
    except ProofRejected as e:
        _rejected(f"{path}: NOT derived from {ptau}: {e}", str(e), as_json)
    seconds = time.perf_counter() - start
    if as_json:
        _emit_json(
            {
                "status": "accepted",
                "keys": path,
                "kind": kf.kind,
                "ptau": ptau,
                "seconds": round(seconds, 3),
                "launches": [r.to_json() for r in results],
            }
        )
        return
    for r in results:
        click.echo(
            f"launch {r.step} {r.kernel}<<<{r.count}>>>: ok ({kf.kind} key, "
            f"{r.contributions} contribution{'s' if r.contributions != 1 else ''}, "
            f"{len(r.checks)} checks, chain hash {r.chain_hash.hex()[:16]}...)"
        )


@setup_group.command("contribute")
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False),
    help="The proving keys to contribute to (default: PLAN with suffix .zkpk).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Key files to write: OUTPUT.zkpk and OUTPUT.zkvk.",
)
@click.option(
    "--entropy",
    help="Extra text mixed into the OS's random source (it can only add randomness).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def contribute_cmd(
    plan_path: str, keys_path: str | None, output: str, entropy: str | None, as_json: bool
) -> None:
    """Add a phase-2 contribution to PLAN's Groth16 proving keys; write OUTPUT.zkpk/.zkvk.

    A fresh secret x per launch (from the OS's random source, mixed with --entropy) multiplies
    delta and divides the L and H queries (keys with committed wires: sigma too); the keys
    gain a record with delta after it and a proof of knowledge of x. x is never written. The
    printed hash identifies the contribution: publish it, and check the result with
    `zkcc setup verify`.
    """
    from zkcc.cli import _emit_json, _load_plan
    from zkcc.runtime.groth16_launch import groth16_steps
    from zkcc.runtime.keyfiles import (
        PK_MAGIC,
        PK_SUFFIX,
        contribute_plan,
        default_key_path,
        keys_from_bytes,
    )

    plan, digest = _load_plan(plan_path)
    steps = groth16_steps(plan)
    if not steps:
        raise UserError(f"{plan_path}: no Groth16 launches, no keys to contribute to")
    path = keys_path or str(default_key_path(plan_path, PK_SUFFIX))
    data = read_bytes(path, "proving keys", magics=(PK_MAGIC,))
    pks = keys_from_bytes(data, PK_MAGIC, plan, digest, path)
    start = time.perf_counter()
    extra = b"" if entropy is None else entropy.encode("utf-8", "surrogatepass")
    new_pks, vks, hashes = contribute_plan(pks, digest, extra)
    files = _write_keys(output, digest, new_pks, vks)
    seconds = time.perf_counter() - start
    launches = [
        {"step": i, "contributions": len(new_pks[i].contributions), "hash": hashes[i].hex()}
        for i in steps
    ]
    if as_json:
        _emit_json({"launches": launches, "files": files, "seconds": round(seconds, 3)})
        return
    for f in files:
        click.echo(f"wrote {f['path']} ({f['bytes']} bytes)")
    for la in launches:
        click.echo(f"launch {la['step']}: contribution {la['contributions']}, hash {la['hash']}")
