"""`zkcc calibrate`: measure this machine's primitive rates for the cost model.

Registered by zkcc/cli.py (`cli.add_command(calibrate_cmd, "calibrate")`). `explain_rows` is
re-exported for `compile --explain` / `--json`, which print the cost model's per-launch rows.
"""

from __future__ import annotations

import json

import click

from zkcc.analysis.costmodel import explain_rows
from zkcc.analysis.profile import RATE_UNITS, calibrate, profile_target, save_profile

__all__ = ["calibrate_cmd", "explain_rows"]


def _unit(key: str) -> str:
    head, _, tail = key.partition(".")
    return RATE_UNITS.get(key) or RATE_UNITS.get("{f}." + tail, "") if head else ""


@click.command("calibrate")
@click.option("--json", "as_json", is_flag=True, help="Print the measured profile as JSON.")
@click.option(
    "--quick", is_flag=True, help="Smaller benchmarks (a few seconds, noisier): for tests."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Profile file to write, in an existing directory (default: "
    "$XDG_CACHE_HOME/zkcc/profile.json or ~/.cache/zkcc/profile.json).",
)
def calibrate_cmd(as_json: bool, quick: bool, output: str | None) -> None:
    """Measure field, sumcheck, encoding, hashing and curve rates (about 10 s; --quick about
    3 s) and store them for the cost model of `zkcc compile --explain`.

    A profile is tied to this machine (hostname, CPU model, cores) and zkcc version; any other
    is ignored in favour of the built-in defaults, with a note."""
    path = profile_target(output)  # before measuring: an unwritable place fails at once
    progress = None if as_json else (lambda what: click.echo(f"measuring {what} ...", err=True))
    profile = calibrate(quick=quick, progress=progress)
    save_profile(profile, path)
    if as_json:
        click.echo(json.dumps({"profile": str(path), **profile.to_json()}, sort_keys=True))
        return
    click.echo(f"wrote {path}")
    click.echo(f"  base memory of a prover process: {profile.base_rss / 2**20:.0f} MiB")
    for key, value in sorted(profile.rates.items()):
        click.echo(f"  {key:24s} {value:10.3e} s   {_unit(key)}")
