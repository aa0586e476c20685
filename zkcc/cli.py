"""The `zkcc` command line.

Exit codes (for CI pipelines): 0 success / proof accepted, 1 proof rejected, 2 bad usage or a
malformed file (source, inputs, plan, proof), 3 internal error (a bug in zkcc: an exception
that is not one of zkcc's own errors). User errors print one clear message, never a
traceback (an internal error prints one too, and its traceback only with ZKCC_DEBUG=1);
output files are written atomically, so no command leaves a partial one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import time
import traceback
from collections import Counter
from functools import partial
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from zkcc.analysis.privacy import PARTS as PRIVACY_PARTS
from zkcc.analysis.privacy import privacy_report
from zkcc.analysis.soundness import plan_soundness
from zkcc.encoding import FILE_KINDS
from zkcc.errors import InternalError, ProofRejected, UserError, ZkccError
from zkcc.fileio import check_not_an_input, check_writable, read_bytes, write_atomic
from zkcc.ir.fuse import fused_parts

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3


def _emit_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=True))


def _progress(quiet: bool):
    """A `say(msg)` that prints "[  1.23s] msg" on stderr (see zkcc.runtime.report)."""
    from zkcc.runtime.report import Reporter

    return Reporter(quiet=quiet).note


def _option_label(name: str, flag: str, envvar: str) -> str:
    """How to name option `name` in a message: its flag, or its environment variable when
    the value came from there."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.get_parameter_source(name) is ParameterSource.ENVIRONMENT:
        return envvar
    return flag


def _load_plan(path: str):
    from zkcc.plan.plan import MAGIC, Plan, plan_digest

    data = read_bytes(path, "plan", magics=(MAGIC,))
    return Plan.from_bytes(data, str(path)), plan_digest(data)


def _plan_or_source(path: str):
    """A .zkcu source is compiled on the fly; anything else is read as a plan."""
    from zkcc.driver import compile_path
    from zkcc.plan.plan import plan_digest

    if path.endswith(".zkcu"):
        plan = compile_path(path, warn=_print_diagnostic)
        return plan, plan_digest(plan.to_bytes())
    return _load_plan(path)


def _rejected(text: str, reason: str, as_json: bool) -> NoReturn:
    """A verdict of rejection, for `verify` and `setup verify` alike: the text on stderr, or
    {"status": "rejected", "exit_code": 1, "error": text, "reason": reason} (the error
    objects' fields, and the reason alone); exit 1."""
    if as_json:
        _emit_json(
            {"status": "rejected", "exit_code": EXIT_REJECTED, "error": text, "reason": reason}
        )
    else:
        click.echo(text, err=True)
    sys.exit(EXIT_REJECTED)


def _print_diagnostic(d) -> None:
    """A warning (or its note) of a program that compiles, on stderr as `check` prints it."""
    click.echo(d.format(), err=True)


@contextlib.contextmanager
def _sources_beside(path: str):
    """A failing assertion found while running the program at `path` (a source, or a plan,
    usually compiled beside its source) is shown with the source line found there: the
    program's locations name files relative to its main source file."""
    from zkcc.errors import WitnessError

    try:
        yield
    except WitnessError as e:
        raise e.under(Path(path).parent) from None


def _diagnostics_json(diags) -> list[dict]:
    return [
        {
            "severity": d.severity,
            "message": d.message,
            "file": d.loc.file,
            "line": d.loc.line,
            "col": d.loc.col,
        }
        for d in diags
    ]


def _values_json(
    F, arrays: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]], plan
) -> dict:
    """Nested lists of ints; the elements of an integer-typed (iK) tensor as signed ints, of a
    fixed-point (fxK.F) tensor as their exact reals (a JSON number when a double holds it,
    K <= 53, else a decimal string), which `verify --public` reads back to the same values."""
    elems = {t.name: t.elem for t in plan.host.tensors}

    def ints(n: str, a: np.ndarray) -> list:
        flat = _as_typed(F, elems.get(n, "field"), F.to_ints(a.reshape(-1)))
        return np.array(flat, dtype=object).reshape(shapes[n]).tolist()

    return {n: ints(n, a) for n, a in arrays.items()}


def _as_typed(F, elem: str, flat: list[int]) -> list:
    """Field elements as values of the element type `elem`: field as they are, iK signed,
    fxK.F as exact reals (see `_values_json`)."""
    from zkcc.ir.types import FIELD, fixed_frac, fixed_text, int_type_bits, signed

    if elem == FIELD:
        return flat
    flat = [signed(v, F.p) for v in flat]
    frac = fixed_frac(elem)
    if frac is not None and (int_type_bits(elem) or 0) <= 53:
        return [v / (1 << frac) for v in flat]  # exact: |v| < 2^53
    if frac is not None:
        return [fixed_text(v, frac) for v in flat]
    return flat


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zkcc")
def cli() -> None:
    """zkcc: compile CUDA-like .zkcu programs and prove or verify their execution.

    \b
    Typical use:
      zkcc compile prog.zkcu -o prog.zkplan --explain
      zkcc setup prog.zkplan                        # only for plans with Groth16 launches
      zkcc prove prog.zkplan -i inputs.json -o prog.zkproof
      zkcc verify prog.zkplan prog.zkproof          # exit 0 accepted, 1 rejected, 2 error
    """


@cli.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as JSON.")
def check(source: str, as_json: bool) -> None:
    """Parse and check SOURCE; print every diagnostic (no output file)."""
    from zkcc.frontend import check_file

    diags = check_file(source)
    errors = [d for d in diags if d.severity == "error"]
    if as_json:
        _emit_json({"ok": not errors, "diagnostics": _diagnostics_json(diags)})
    else:
        for d in diags:
            click.echo(d.format(), err=True)
        if not errors:
            click.echo(f"{source}: ok ({len(diags)} warnings)")
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


def _backend_options(values: tuple[str, ...]) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """`--backend B` (every launch, at most once) and `--backend KERNEL=B` (that kernel's
    launches) -> (B or None, ((KERNEL, B), ...))."""
    from zkcc.analysis.assign import BACKENDS

    every: str | None = None
    per_kernel: dict[str, str] = {}
    for v in values:
        kernel, eq, b = v.rpartition("=")
        if b not in BACKENDS or (eq and not kernel):
            raise click.BadParameter(
                f"{v!r}: expected BACKEND or KERNEL=BACKEND with BACKEND one of "
                f"{', '.join(BACKENDS)}",
                param_hint="--backend",
            )
        if not eq:
            if every not in (None, b):
                raise click.BadParameter("given twice, as gkr and groth16", param_hint="--backend")
            every = b
        elif per_kernel.setdefault(kernel, b) != b:
            raise click.BadParameter(
                f"kernel {kernel!r} given two backends", param_hint="--backend"
            )
    return every, tuple(sorted(per_kernel.items()))


@cli.command("compile")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Plan file to write (default: SOURCE with suffix .zkplan).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Print per-kernel statistics and, per launch, both backends' estimates, the choice "
    "and its reason.",
)
@click.option(
    "--backend",
    "backends",
    multiple=True,
    metavar="[KERNEL=]BACKEND",
    help="gkr or groth16: for every launch (BACKEND), or for one kernel's launches "
    "(KERNEL=BACKEND; repeatable; wins over the global form and the kernel's attribute). "
    "A hard request: never overridden by --optimize.",
)
@click.option(
    "--optimize",
    type=click.Choice(["balanced", "prover", "verifier", "size"]),
    default="balanced",
    show_default=True,
    help="What the automatic backend choice minimises for launches without a request: "
    "prove time, verify time, proof bytes, or balanced (prove s + 5 x verify s + 1 s per MB "
    "of proof). The choice uses the built-in default rates, so plans do not depend on the "
    "machine (docs/costmodel.md, Assignment).",
)
@click.option(
    "--max-proof-bytes",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse an assignment whose estimated proof is over N bytes; compile error when none "
    "meets the limit.",
)
@click.option(
    "--max-verify-ms",
    type=click.IntRange(min=1),
    metavar="MS",
    help="Refuse an assignment whose estimated verification (default rates) takes over MS "
    "milliseconds; compile error when none meets the limit.",
)
@click.option(
    "--pcs",
    type=click.Choice(["ligero", "merkle"]),
    default="ligero",
    show_default=True,
    help="Tensor commitment: ligero (succinct, hiding) or merkle (reveals tensors, so the "
    "plan is not zero-knowledge; for debugging).",
)
@click.option(
    "--no-zk",
    "no_zk",
    is_flag=True,
    help="Do not ask for zero knowledge: commit with the PCS's non-hiding variant, whose "
    "openings reveal linear functions of the private tensors. Recorded in the plan.",
)
@click.option(
    "--no-fuse",
    "no_fuse",
    is_flag=True,
    help="Keep every launch apart. By default two adjacent launches over the same instance "
    "count, linked by an intermediate nothing else reads and proved by the same backend, are "
    "fused into one circuit (the intermediate is then not committed) when the cost model says "
    "it pays under --optimize. Recorded in the plan.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def compile_cmd(
    source: str,
    output: str | None,
    explain: bool,
    backends: tuple[str, ...],
    optimize: str,
    max_proof_bytes: int | None,
    max_verify_ms: int | None,
    pcs: str,
    no_zk: bool,
    no_fuse: bool,
    as_json: bool,
) -> None:
    """Compile SOURCE (.zkcu) into a deterministic plan file.

    Each launch gets a backend: the one requested (--backend, __gkr__/__groth16__), else the
    one the cost model prefers under --optimize and the limits (m31 programs: GKR only).
    The plan records the choices, their reasons and these options; it records whether zero
    knowledge was requested (default yes; --no-zk); --explain and --json say what its proofs
    hide and reveal; adjacent launches are fused where the model says it pays (--no-fuse:
    never), and --explain shows each fusion considered and its estimated saving."""
    from zkcc.analysis.assign import AssignOptions
    from zkcc.driver import compile_path
    from zkcc.plan.plan import plan_digest

    every, per_kernel = _backend_options(backends)
    options = AssignOptions(
        every, per_kernel, optimize, max_proof_bytes, max_verify_ms, fuse=not no_fuse
    )
    out = output or str(Path(source).with_suffix(".zkplan"))
    check_not_an_input(out, {"source": source})
    plan = compile_path(source, pcs=pcs, zk=not no_zk, options=options, warn=_print_diagnostic)
    if not no_zk and not plan.zk:  # the PCS has no hiding variant (driver.plan_program)
        click.echo(
            f"warning: the {pcs} PCS reveals the committed tensors, so the plan is not "
            "zero-knowledge (use --no-zk to silence this warning)",
            err=True,
        )
    data = plan.to_bytes()
    write_atomic(out, data)
    summary = _plan_summary(plan, plan_digest(data), len(data), with_r1cs=explain or as_json)
    if as_json:
        _emit_json({"plan": out, **summary})
        return
    click.echo(f"wrote {out} ({len(data)} bytes, digest {summary['digest'][:16]}...)")
    if explain:
        _print_kernels(summary)
    elif _below_target(summary["soundness"]):
        snd = summary["soundness"]
        click.echo(
            f"warning: computed soundness {snd['bits']:.1f} bits is below the "
            f"{snd['target_bits']}-bit target (--explain lists the weakest parts)",
            err=True,
        )


R1CS_SIZE_KEYS = ("constraints", "wires", "public_inputs", "committed_wires", "exact")


def _plan_summary(plan, digest: bytes, size: int, with_r1cs: bool = True) -> dict:
    """With `with_r1cs`, each Groth16 launch's R1CS is built to report its exact size, the
    cost model estimates every launch under each backend with this machine's profile
    (docs/costmodel.md), and `launches` gives one row per launch: its sizes, both
    backends' estimates, the plan's choice and its reason (the reason quotes the built-in
    default rates the choice was made with)."""
    out = {
        "kind": "plan",
        "field": plan.field,
        "pcs": plan.pcs,
        "zk": plan.zk,
        "source": plan.source_name,
        "digest": digest.hex(),
        "bytes": size,
        "options": plan.options.to_tree(),
        "kernels": {
            n: {
                "backend": k.backend,
                "backends": list(k.backends),
                "fused": list(fused_parts(n) or ()),
                **k.stats,
            }
            for n, k in plan.kernels.items()
        },
        "tensors": [
            {"name": t.name, "shape": list(t.shape), "kind": t.kind.value}
            for t in plan.host.tensors
        ],
        "steps": [
            {
                "launch": s.kernel,
                "count": s.count,
                "args": list(s.args),
                "backend": plan.assignments[i].backend,
                "reason": plan.assignments[i].reason,
            }
            if hasattr(s, "kernel")
            else {"assert_eq": [s.a, s.b]}
            for i, s in enumerate(plan.host.steps)
        ],
    }
    out["soundness"] = plan_soundness(plan).to_json()
    out["privacy"] = privacy_report(plan).to_json()
    if plan.fusions is not None:  # the sites the compiler considered (not kept in the file)
        out["fusions"] = [f.to_json() for f in plan.fusions]
    if with_r1cs:
        from zkcc.analysis.costmodel import estimate_plan
        from zkcc.analysis.profile import load_profile

        est = estimate_plan(plan, load_profile()).to_json()
        out["estimate"] = est
        for e in est["steps"]:  # the Groth16 launches' sizes, as the estimate computed them
            if out["steps"][e["step"]].get("backend") == "groth16":
                g = e["estimates"]["groth16"]
                out["steps"][e["step"]]["r1cs"] = {k: g[k] for k in R1CS_SIZE_KEYS}
        out["launches"] = [
            {
                "step": e["step"],
                "kernel": e["kernel"],
                "instances": e["instances"],
                "gates": e["estimates"]["gkr"].get("gates"),
                "constraints": e["estimates"].get("groth16", {}).get("constraints"),
                "depth": e["estimates"]["gkr"].get("depth"),
                "estimates": e["estimates"],
                "backend": plan.assignments[e["step"]].backend,
                "reason": plan.assignments[e["step"]].reason,
            }
            for e in est["steps"]
            if e["step"] in plan.assignments
        ]
    return out


def _print_kernels(summary: dict) -> None:
    for name, k in summary["kernels"].items():
        if k["fused"]:
            name += f" (fused: {', '.join(k['fused'])})"
        if k["backend"] == "groth16":
            click.echo(
                f"  kernel {name}: backend groth16, R1CS per instance {k['r1cs_constraints']} "
                f"constraints, {k['r1cs_wires']} wires; hints {k['hints']}, "
                f"constraints {k['constraints']}"
            )
            continue
        r1cs = ""
        if "r1cs_constraints" in k:  # launched under both backends
            r1cs = f", R1CS per instance {k['r1cs_constraints']} constraints"
        lookups = f"lookups {k['lookups']}, " if k.get("lookups") else ""
        click.echo(
            f"  kernel {name}: backend {k['backend']}, depth {k['depth']}, "
            f"gates/instance mul {k['mul_gates']} add {k['add_gates']} const {k['const_gates']}, "
            f"hints {k['hints']}, constraints {k['constraints']}, {lookups}"
            f"input width {k['input_width']}"
            f"{r1cs}"
        )
        click.echo(f"    layer widths: {_widths_text(k['layer_widths'])}")
    for s in summary["steps"]:
        if "launch" not in s:
            continue
        k = summary["kernels"][s["launch"]]
        head = f"  launch {s['launch']}<<<{s['count']}>>>({', '.join(s['args'])}): "
        if "r1cs" in s:
            r = s["r1cs"]
            click.echo(
                f"{head}groth16 R1CS {'' if r['exact'] else 'about '}{r['constraints']} "
                f"constraints, {r['wires']} wires, "
                f"{r['public_inputs']} public inputs, {r['committed_wires']} committed wires"
            )
        elif s["backend"] == "groth16":
            click.echo(f"{head}groth16")
        else:
            click.echo(f"{head}gkr, {s['count'] * k['mul_gates']} mul gates in total")
    if "estimate" in summary:
        _print_estimate(summary["estimate"], summary)
    if "fusions" in summary:
        _print_fusions(summary)
    _print_soundness(summary["soundness"])
    _print_privacy(summary["privacy"])


MAX_WIDTH_RUNS = 8  # more runs than this: the widths are summarised as a count per width


def _widths_text(widths: list[int]) -> str:
    """A circuit's layer widths for a reader: runs of equal widths as `w xN`, or, for a deep
    circuit whose widths change more often (merkle: 1,439 layers), how many layers have
    each width (`compile --json` and `inspect --json` keep the full list)."""
    runs: list[list[int]] = []
    for w in widths:
        if runs and runs[-1][0] == w:
            runs[-1][1] += 1
        else:
            runs.append([w, 1])
    if len(runs) <= MAX_WIDTH_RUNS:
        return ", ".join(f"{w} x{n}" if n > 1 else str(w) for w, n in runs)
    counts = Counter(widths)
    per = ", ".join(f"{w} on {counts[w]}" for w in sorted(counts, reverse=True))
    return f"{len(widths)} layers in {len(runs)} runs; width {per}"


def _print_estimate(est: dict, summary: dict | None = None) -> None:
    """The cost model's rows (zkcc.analysis.costmodel): per launch its sizes, each backend's
    estimate (the plan's choice marked with *), then the choice and its reason."""
    mib = 2**20
    rates = "default rates" if est["profile"] == "defaults" else f"{est['profile']} rates"
    click.echo(
        f"  estimate ({rates}): prove {est['prove_seconds']:.2f}s, peak "
        f"{est['prove_peak_bytes'] / mib:.0f} MiB, proof {est['proof_bytes']:,} bytes, verify "
        f"{est['verify_seconds']:.2f}s"
    )
    if summary is not None:
        o = summary["options"]
        limits = [f"{k} {o[k]:,}" for k in ("max_proof_bytes", "max_verify_ms") if o[k]]
        how = f"--optimize {o['optimize']}" + "".join(f", {x}" for x in limits)
        note = "" if est["profile"] == "defaults" else " (the reasons quote the default rates)"
        click.echo(f"  assignment ({how}): per launch its sizes, both estimates, the choice{note}")
    rows = {r["step"]: r for r in (summary or {}).get("launches", [])}
    for s in est["steps"]:
        parts = [
            f"{'*' if b == s['backend'] else ' '}{b} prove {e['prove_seconds']:.2f}s "
            f"{e['prove_peak_bytes'] / mib:.0f} MiB, {e['proof_bytes']:,} B, verify "
            f"{e['verify_seconds']:.3f}s"
            for b, e in s["estimates"].items()
        ]
        row = rows.get(s["step"])
        if row is None:
            click.echo(
                f"    step {s['step']} {s['kernel']}<<<{s['instances']}>>>: {' | '.join(parts)}"
            )
            continue
        sizes = f"{row['gates']:,} gates, depth {row['depth']}"
        if row["constraints"] is not None:
            sizes += f", {row['constraints']:,} R1CS constraints"
        click.echo(f"    step {s['step']} {s['kernel']}<<<{s['instances']}>>>: {sizes}")
        click.echo(f"      {' | '.join(parts)}")
        click.echo(f"      -> {row['backend']}: {row['reason']}")
    for note in est["notes"]:
        click.echo(f"  note: {note}")


def _print_fusions(summary: dict) -> None:
    """The fusion sites the compiler considered (zkcc.analysis.fusion): each taken one with
    its estimated saving, each other one with why not (default rates, as the choice)."""
    if not summary["options"]["fuse"]:
        click.echo("  fusion: off (--no-fuse)")
        return
    fusions = summary["fusions"]
    if not fusions:
        click.echo("  fusion: no launches to fuse (none adjacent, same count, linked by a "
                   "private intermediate read by nothing else)")  # fmt: skip
        return
    click.echo(f"  fusion (--optimize {summary['options']['optimize']}, default rates):")
    for f in fusions:
        parts = ", ".join(f["parts"])
        if not f["taken"]:
            click.echo(f"    {parts}: {f['why']}")
            continue
        s = f["saved"]
        click.echo(
            f"    {parts} -> {f['kernel']}<<<{f['instances']}>>> (step {f['step']}, "
            f"{f['backend']}): {', '.join(f['removed'])} not committed; saves "
            f"{s['proof_bytes']:,} proof bytes, {s['prove_seconds']:.3g} s prove, "
            f"{s['verify_seconds']:.3g} s verify"
        )


def _below_target(snd: dict) -> bool:
    """Whether a plan's soundness (Soundness.to_json()) misses its target."""
    return snd["bits"] is not None and snd["bits"] < snd["target_bits"]


SOUNDNESS_SHOWN = 3  # the weakest terms --explain lists (--json has them all)


def _print_soundness(snd: dict) -> None:
    """The plan's computed soundness and its weakest parts (zkcc.analysis.soundness)."""
    bits = "exact (no probabilistic check)" if snd["bits"] is None else f"{snd['bits']:.1f} bits"
    note = f"  BELOW the {snd['target_bits']}-bit target" if _below_target(snd) else ""
    terms = snd["terms"]
    shown = f", the {SOUNDNESS_SHOWN} weakest below" if len(terms) > SOUNDNESS_SHOWN else ""
    click.echo(f"  soundness: {bits} (union bound of {len(terms)} terms{shown}){note}")
    for t in terms[:SOUNDNESS_SHOWN]:
        click.echo(f"    {t['bits']:.1f} bits  {t['part']}: {t['formula']}")
    click.echo(f"    assuming {'; '.join(snd['assumptions'])}")


def _print_privacy(priv: dict) -> None:
    """What the plan's proofs hide, part by part (zkcc.analysis.privacy)."""
    verdict = "zero-knowledge" if priv["zero_knowledge"] else "NOT zero-knowledge"
    asked = "requested" if priv["requested"] else "not requested"
    click.echo(f"  privacy: {verdict} (zk {asked})")
    for part in PRIVACY_PARTS:
        click.echo(f"    {part}: {priv[part]}")
    for what in priv["revealed"]:
        click.echo(f"    reveals {what}")


@cli.command()
@click.argument("program", type=click.Path(dir_okay=False))
@click.option(
    "-i",
    "--inputs",
    required=True,
    type=click.Path(dir_okay=False),
    help="Inputs as .json (nested lists; ints or decimal strings) or .npz.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the public outputs, and all public values (the file `verify --public` takes), "
    "as JSON.",
)
def run(program: str, inputs: str, as_json: bool) -> None:
    """Execute PROGRAM (plan or .zkcu) on INPUTS and print its public outputs (no proof)."""
    from zkcc.field import get_field
    from zkcc.ir.host import TensorKind
    from zkcc.runtime.execute import execute
    from zkcc.runtime.inputs import load_inputs

    plan, _ = _plan_or_source(program)
    F = get_field(plan.field)
    with _sources_beside(program):
        result = execute(plan.program, F, load_inputs(inputs, plan.program, F))
    outs = {t.name: t.shape for t in plan.host.tensors if t.kind is TensorKind.PUBLIC_OUT}
    values = _values_json(F, {n: result.tensors[n] for n in outs}, outs, plan)
    if as_json:
        ins = {t.name: t.shape for t in plan.host.tensors if t.kind is TensorKind.PUBLIC_IN}
        public = {**_values_json(F, {n: result.tensors[n] for n in ins}, ins, plan), **values}
        _emit_json({"outputs": values, "public": public})
        return
    for name, v in values.items():
        flat = np.array(v, dtype=object).reshape(-1)
        shown = ", ".join(str(x) for x in flat[:16]) + (", ..." if len(flat) > 16 else "")
        click.echo(f"{name} {list(outs[name])}: [{shown}]")


@cli.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option(
    "-i",
    "--inputs",
    required=True,
    type=click.Path(dir_okay=False),
    help="Inputs as .json or .npz (under mpiexec each rank reads only its share of an .npz).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Proof file to write (default: PLAN with suffix .zkproof).",
)
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False),
    help="Groth16 proving keys (default: PLAN with suffix .zkpk, written by `zkcc setup`).",
)
@click.option(
    "--mem-limit",
    "mem_limit",
    metavar="SIZE",
    envvar="ZKCC_MEM_LIMIT",
    show_envvar=True,
    help="Keep the prover's peak memory (RSS) under SIZE (binary units: 512M, 2G, 1.5G) by "
    "proving instance chunks in turn and spilling tables to temporary files (see --tmpdir). "
    "The proof is byte-identical to an unconstrained one. When SIZE cannot be met the prover "
    "refuses before any work, naming its estimate and the smallest feasible limit. Under "
    "mpiexec the limit is per rank.",
)
@click.option(
    "--tmpdir",
    metavar="DIR",
    envvar="ZKCC_TMPDIR",
    show_envvar=True,
    help="Existing directory for the spill files of --mem-limit (default: the system temp "
    "dir, $TMPDIR or /tmp). It needs room for the spilled tables; --json reports their size "
    "as spilled_bytes.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**64 - 1),
    metavar="N",
    help="FOR TESTS ONLY: draw the prover's private randomness (Groth16 blinding, the hiding "
    "PCS's masks) from N instead of the OS, so that the proof is reproducible; proofs with "
    "the same seed are byte-identical under any mpiexec -n R or --mem-limit. Anyone who "
    "knows N can undo the blinding, so a seeded proof hides nothing from them.",
)
@click.option(
    "-p",
    "--processes",
    type=click.IntRange(1, 1024),
    default=1,
    show_default=True,
    metavar="N",
    envvar="ZKCC_PROCESSES",
    show_envvar=True,
    help="Prove with N processes on this machine: zkcc starts itself as `mpiexec -n N` with "
    "the mpiexec of its installation (the mpi extra, which `make setup` installs), each "
    "process with its share of the cores (ZKCC_THREADS, unless set). The proof is the one "
    "process's, byte for byte with --seed. It pays on launches of many instances "
    "(poseidon2_batch: 1.5x on 2 cores) and can cost deep launches of few instances "
    "(merkle: 0.85-0.9x), whose rounds exchange partial sums. Ignored under mpiexec.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON summary: proof, bytes, seconds, phases (seconds per phase), launches "
    "(seconds per launch), spilled_bytes, peak_rss_bytes (the largest rank's), mem_limit, "
    "ranks.",
)
def prove(
    plan_path: str,
    inputs: str,
    output: str | None,
    keys_path: str | None,
    mem_limit: str | None,
    tmpdir: str | None,
    seed: int | None,
    processes: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Prove that PLAN ran correctly on INPUTS; write the proof.

    Progress goes to stderr: a progress bar with an ETA per phase on a terminal, plain lines
    otherwise; at the end the time per phase, the peak memory and the bytes spilled.
    """
    from zkcc.runtime.memsize import format_size, parse_size

    # options first: a bad value is reported before any file is read or module imported
    limit = None
    if mem_limit is not None:
        limit = parse_size(mem_limit, _option_label("mem_limit", "--mem-limit", "ZKCC_MEM_LIMIT"))
    if tmpdir is not None and not Path(tmpdir).is_dir():
        label = _option_label("tmpdir", "--tmpdir", "ZKCC_TMPDIR")
        raise UserError(f"{label} {tmpdir}: not an existing directory")
    from zkcc.runtime.comm import detect_launch, get_comm, guard

    if processes > 1 and detect_launch() is None:
        if str(inputs) == "-":
            raise UserError(
                f"-i -: with --processes {processes} every process reads the "
                "inputs, and only one gets stdin; give the inputs as a file"
            )
        sys.exit(_under_mpiexec(processes))

    from zkcc.field import get_field
    from zkcc.runtime.inputs import file_digest, load_inputs
    from zkcc.runtime.prover import prove as run_prover
    from zkcc.runtime.randomness import Randomness
    from zkcc.runtime.report import Reporter, env_rank, peak_rss_bytes
    from zkcc.runtime.tensors import even_share

    report = Reporter(quiet=quiet or as_json, rank=env_rank())
    comm = get_comm()
    out = output or str(Path(plan_path).with_suffix(".zkproof"))
    with guard(comm) as g:
        if comm.rank == 0:  # it writes the proof: refused now, not after the proof is made
            check_not_an_input(out, {"plan": plan_path, "inputs": inputs, "keys": keys_path})
            check_writable(out)
        plan, digest = _load_plan(plan_path)
        keys, _ = _load_keys(plan, digest, plan_path, keys_path, proving=True)
        F = get_field(plan.field)
        split = comm.size > 1
        if split and str(inputs) == "-":
            raise UserError(
                "-i -: under mpiexec only rank 0 reads stdin; give the inputs as a file"
            )
        # under MPI each rank reads only its share of every input, and the ranks compare the
        # file's digest to be sure they read the same one
        part = partial(even_share, comm=comm) if split else None
        values = load_inputs(inputs, plan.program, F, part)
        g.ready(plan=digest, inputs=file_digest(inputs) if split else b"", seed=repr(seed).encode())
        report.rank = comm.rank
        estimate = _estimate(plan)
        rates = "default" if estimate.profile_source == "defaults" else "calibrated"
        report.note(
            f"estimate ({rates} rates): prove ~{estimate.prove_seconds:.1f}s, "
            f"peak ~{format_size(estimate.prove_peak_bytes)}, proof ~{estimate.proof_bytes:,} "
            "bytes (one process)"
        )
        tip = _processes_tip(plan, estimate.prove_seconds) if comm.size == 1 else None
        if tip:
            report.note(tip)
        start = time.perf_counter()
        with _sources_beside(plan_path):
            bundle = run_prover(
                plan,
                digest,
                values,
                report=report,
                keys=keys,
                mem_limit=limit,
                tmpdir=tmpdir,
                comm=comm,
                randomness=Randomness(seed),
                consume_inputs=True,
                shared_inputs=split,
            )
        peaks = [
            int.from_bytes(b, "little")
            for b in comm.allgather(peak_rss_bytes().to_bytes(8, "little"))
        ]
    if bundle is None:  # an MPI rank other than 0: rank 0 writes the proof and reports
        return
    data = bundle.to_bytes()
    write_atomic(out, data)
    seconds = time.perf_counter() - start
    summary = {**report.summary(), "peak_rss_bytes": max(peaks), "ranks": comm.size}
    if as_json:
        by_step = {s.step: s.current for s in estimate.steps}
        for launch in summary["launches"]:
            e = by_step[launch["step"]]
            launch["estimate"] = {
                "seconds": round(e.prove_seconds, 4),
                "proof_bytes": e.proof_bytes,
            }
        _emit_json(
            {
                "proof": out,
                "bytes": len(data),
                "seconds": round(seconds, 3),
                **summary,
                "mem_limit": limit,
                "estimate": {
                    "profile": estimate.profile_source,
                    "seconds": round(estimate.prove_seconds, 3),
                    "peak_rss_bytes": estimate.prove_peak_bytes,
                    "bytes": estimate.proof_bytes,
                },
            }
        )
        return
    phases = ", ".join(f"{n} {s:.2f}s" for n, s in summary["phases"].items())
    memory = f"peak RSS {format_size(summary['peak_rss_bytes'])}"
    if limit is not None:
        memory += f" (limit {format_size(limit)})"
    if limit is not None or summary["spilled_bytes"]:
        memory += f", spilled {format_size(summary['spilled_bytes'])}"
    report.note(f"{phases}; {memory}" if phases else memory)
    click.echo(f"wrote {out} ({len(data)} bytes) in {seconds:.2f}s")


def _estimate(plan):
    """The cost model's estimate of `plan` on this machine (zkcc calibrate's profile, or the
    defaults): shown before proving, and beside the measurements in `--json`."""
    from zkcc.analysis.costmodel import estimate_plan
    from zkcc.analysis.profile import load_profile

    return estimate_plan(plan, load_profile())


# A GKR launch whose typical layer holds at least 2^TIP_TABLE_LOG2 values (instances times
# width), in a proof estimated at TIP_SECONDS or more, gains from --processes: its rounds' work
# outweighs the ranks' exchanges (docs/scale.md: poseidon2_batch, 2^17, 1.5x on 2 cores; mimc,
# 2^14, nothing; merkle, 2^11, slower). `prove` says so on a machine with cores to spare.
TIP_TABLE_LOG2 = 16
TIP_SECONDS = 2.0


def _processes_tip(plan, seconds: float) -> str | None:
    """A one-line hint at --processes for a plan with a GKR launch wide enough to pay for the
    ranks' exchanges, when this process may use more than one core."""
    from zkcc.field.m31_kernels import _THREADS
    from zkcc.ir.host import Launch
    from zkcc.runtime.groth16_launch import groth16_steps

    if _THREADS < 2 or seconds < TIP_SECONDS:
        return None
    g16 = set(groth16_steps(plan))
    for i, step in enumerate(plan.host.steps):
        if isinstance(step, Launch) and i not in g16:
            widths = sorted(layer.width_log2 for layer in plan.kernels[step.kernel].circuit.layers)
            if (step.count - 1).bit_length() + widths[len(widths) // 2] >= TIP_TABLE_LOG2:
                return (
                    f"tip: launch {i} ({step.kernel}<<<{step.count}>>>) splits well over "
                    f"processes; `--processes {_THREADS}` may prove faster here (docs/scale.md)"
                )
    return None


def find_mpiexec() -> str | None:
    """The mpiexec of this installation (comm.installed_mpiexec), else the first on PATH.
    Another MPI's launcher than the library mpi4py loads would start one-rank worlds, which
    `get_comm` refuses with a message."""
    import shutil

    from zkcc.runtime.comm import installed_mpiexec

    local = installed_mpiexec()
    return str(local) if local.exists() else shutil.which("mpiexec")


def _under_mpiexec(processes: int) -> int:
    """This command again as `mpiexec -n processes`, each rank with its share of the cores
    (ZKCC_THREADS, unless set); the launcher's exit status (the ranks agree on one,
    zkcc/runtime/comm.py `guard`)."""
    import subprocess

    from zkcc.field.m31_kernels import _THREADS

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise UserError(
            f"--processes {processes}: no mpiexec found; install zkcc's mpi extra "
            "(pip install 'zkcc[mpi]', which `make setup` does) or prove with one process"
        )
    env = dict(os.environ)
    env.setdefault("ZKCC_THREADS", str(max(1, _THREADS // processes)))
    command = [mpiexec, "-n", str(processes), sys.executable, "-m", "zkcc", *sys.argv[1:]]
    # its own session, so a terminal's Ctrl-C reaches it once, through `forward`
    launcher = subprocess.Popen(command, env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        """A signal to this process (Ctrl-C, `kill PID`, a job scheduler's SIGTERM) goes to
        the launcher, which stops the ranks: on SIGTERM they used to run on, orphaned, and
        write the proof after this process had exited."""
        launcher.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, forward)
    return launcher.wait()


def _load_keys(plan, digest, plan_path, keys_path, proving: bool):
    """(the plan's Groth16 proving or verifying keys, the file they came from); (None, None)
    when the plan has no Groth16 launch, which then never imports the Groth16 backend."""
    from zkcc.runtime.groth16_launch import groth16_steps

    if not groth16_steps(plan):
        if keys_path is not None:  # not silently: a pipeline's flag may name the wrong plan
            note = f"note: --keys {keys_path} ignored: the plan has no Groth16 launch"
            click.echo(note, err=True)
        return None, None
    from zkcc.runtime.keyfiles import (
        PK_MAGIC,
        PK_SUFFIX,
        VK_MAGIC,
        VK_SUFFIX,
        default_key_path,
        keys_from_bytes,
    )

    magic, suffix = (PK_MAGIC, PK_SUFFIX) if proving else (VK_MAGIC, VK_SUFFIX)
    path = keys_path or default_key_path(plan_path, suffix)
    kind = "proving keys" if proving else "verifying keys"
    if keys_path is None and not Path(path).exists():
        raise UserError(
            f"{path}: the plan has Groth16 launches and needs {kind}: run "
            f"`zkcc setup {plan_path}` first, or pass --keys"
        )
    data = read_bytes(path, kind, magics=(magic,))
    return keys_from_bytes(data, magic, plan, digest, str(path)), str(path)


@cli.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF", type=click.Path(dir_okay=False))
@click.option(
    "--source",
    type=click.Path(dir_okay=False),
    help="The trusted source (.zkcu): recompile it with the plan's recorded options and "
    "reject the proof unless the plan is exactly that compilation.",
)
@click.option(
    "--digest",
    "expected_digest",
    metavar="HEX",
    help="The trusted plan digest (from `zkcc compile`): reject unless PLAN has it.",
)
@click.option(
    "--public",
    "public_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Expected public inputs and outputs (.json or .npz, every public tensor; - reads "
    "JSON from stdin): reject unless the proof's are exactly these.",
)
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False),
    help="Groth16 verifying keys (default: PLAN with suffix .zkvk, written by `zkcc setup`).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the verdict, public values and their digest, soundness and privacy as JSON.",
)
def verify(
    plan_path: str,
    proof_path: str,
    source: str | None,
    expected_digest: str | None,
    public_path: str | None,
    keys_path: str | None,
    as_json: bool,
) -> None:
    """Check PROOF against PLAN. Exit 0 accepted, 1 rejected, 2 malformed file or usage.

    The verifier builds every circuit from the plan's IR itself and trusts nothing in the
    proof. What it cannot know by itself is which program and which public values the proof
    should be about: pin the program with --source (or --digest) and the statement with
    --public, from a place you trust (docs/trust.md). An accepted proof prints the SHA-256
    digest of its public values."""
    from zkcc.field import get_field
    from zkcc.ir.host import TensorKind
    from zkcc.runtime.bundle import MAGIC as PROOF_MAGIC
    from zkcc.runtime.inputs import load_tensors, tensors_digest
    from zkcc.runtime.verifier import verify as run_verifier

    if _a_peer_says_it():  # verify is one process: under mpiexec rank 0 does it, once
        return
    plan, digest = _load_plan(plan_path)
    F = get_field(plan.field)
    shapes = {t.name: t.shape for t in plan.host.tensors}
    types = {t.name: t.elem for t in plan.host.tensors}
    public_kinds = (TensorKind.PUBLIC_IN, TensorKind.PUBLIC_OUT)
    expected = None
    if public_path is not None:
        wanted = {t.name: t.shape for t in plan.host.tensors if t.kind in public_kinds}
        expected = load_tensors(public_path, wanted, F, "public values", types)
    keys, keys_file = _load_keys(plan, digest, plan_path, keys_path, proving=False)
    proof = read_bytes(proof_path, "proof", magics=(PROOF_MAGIC,))
    start = time.perf_counter()
    try:
        _check_trusted_plan(plan, digest, source, expected_digest)
        public = run_verifier(plan, digest, proof, str(proof_path), keys)
        if expected is not None:
            _check_public(F, public, expected, shapes, types)
    except ProofRejected as e:
        _rejected(f"{proof_path}: REJECTED: {e}", str(e), as_json)
    seconds = time.perf_counter() - start
    public_digest = tensors_digest(F, public).hex()
    given = {"source": source, "digest": expected_digest, "public": public_path}
    pinned = [name for name, arg in given.items() if arg is not None]
    if as_json:
        _emit_json(
            {
                "status": "accepted",
                "seconds": round(seconds, 3),
                "plan_digest": digest.hex(),
                "public": _values_json(F, public, shapes, plan),
                "public_digest": public_digest,
                "estimate": {"seconds": round(_estimate(plan).verify_seconds, 3)},
                "pinned": pinned,
                "keys": keys_file,
                "soundness": plan_soundness(plan).to_json(),
                "privacy": privacy_report(plan).to_json(),
            }
        )
        return
    click.echo(f"{proof_path}: accepted ({seconds:.2f}s)")
    click.echo(f"  public values digest: {public_digest}")
    if keys_file:
        click.echo(f"  Groth16 verifying keys: {keys_file}")
    if not pinned:
        click.echo(
            "  note: nothing was pinned: the proof is valid for PLAN and the public values it "
            "carries (use --source/--digest and --public to check they are the ones you expect)",
            err=True,
        )


def _check_trusted_plan(plan, digest: bytes, source: str | None, expected: str | None) -> None:
    """ProofRejected unless the plan is the trusted one: the compilation of `source` (with
    the plan's recorded options: PCS, zk, and the assignment's --backend, --optimize and
    limits) and/or the plan with digest `expected`."""
    from zkcc.plan.plan import plan_digest

    if expected is not None:
        want = expected.strip().lower()
        if len(want) != 64 or any(c not in "0123456789abcdef" for c in want):
            raise UserError(f"--digest {expected[:80]!r}: expected 64 hex digits")
        if want != digest.hex():
            raise ProofRejected(
                f"the plan's digest is {digest.hex()[:16]}..., not the trusted {want[:16]}..."
            )
    if source is not None:
        from zkcc.driver import compile_path  # the front end, only when there is a source

        again = compile_path(source, pcs=plan.pcs, zk=plan.zk, options=plan.options)
        theirs = plan_digest(again.to_bytes())
        if theirs != digest:
            # the main file's name is part of the plan (its source locations name it)
            named = Path(source).name
            hint = (
                f"; the plan was compiled from a file named {plan.source_name}, and a "
                "source's file name is part of its plan"
                if plan.source_name and plan.source_name != named
                else ""
            )
            raise ProofRejected(
                f"the plan is not the compilation of {source} (compiled with the plan's "
                f"options: digest {theirs.hex()[:16]}..., the plan's {digest.hex()[:16]}...)"
                f"{hint}"
            )


def _check_public(F, public: dict, expected: dict, shapes: dict, types: dict) -> None:
    """ProofRejected naming the first tensor and index where the proof's public values
    differ from the expected ones, both shown as values of the tensor's type (an i8's -1,
    not 2147483646; an fx's 5.0, not its stored 80)."""
    for name in sorted(expected):
        got, want = F.to_ints(public[name]), F.to_ints(expected[name])
        diff = next((i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b), None)
        if diff is not None:
            index = "".join(f"[{i}]" for i in np.unravel_index(diff, shapes[name]))
            is_, expected_ = _as_typed(F, types.get(name, "field"), [got[diff], want[diff]])
            raise ProofRejected(f"public value {name}{index} is {is_}, expected {expected_}")


@cli.group()
def export() -> None:
    """Export parts of a proof for other tools."""


@export.command("snarkjs")
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False), help="Directory to write."
)
@click.option("--launch", type=int, help="Host step index of the Groth16 launch (if several).")
@click.option(
    "--keys",
    "keys_path",
    type=click.Path(dir_okay=False),
    help="Groth16 verifying keys (default: PLAN with suffix .zkvk).",
)
def export_snarkjs(
    plan_path: str, proof_path: str, output: str, launch: int | None, keys_path: str | None
) -> None:
    """verification_key.json, proof.json and public.json of one Groth16 launch, for
    `snarkjs groth16 verify`. Launches that commit to private tensors (commit-and-prove) cannot
    be exported: snarkjs has no commitment check. Verify the whole PROOF first: the export
    is only the launch's Groth16 statement."""
    from zkcc.backends.groth16 import snarkjs
    from zkcc.encoding import Schema
    from zkcc.field import get_field
    from zkcc.runtime.bundle import MAGIC as PROOF_MAGIC
    from zkcc.runtime.bundle import ProofBundle
    from zkcc.runtime.groth16_launch import (
        groth16_steps,
        kernel_public_values,
        launch_boundary,
        proof_from_tree,
    )

    plan, digest = _load_plan(plan_path)
    steps = groth16_steps(plan)
    if not steps:
        raise UserError(f"{plan_path}: the plan has no Groth16 launch to export")
    if launch is None:
        if len(steps) > 1:
            raise UserError(f"{plan_path}: Groth16 launches {steps}; choose one with --launch")
        launch = steps[0]
    if launch not in steps:
        raise UserError(f"--launch {launch}: not a Groth16 launch (the plan's are {steps})")
    b = launch_boundary(plan.program, launch)
    if b.committed:
        raise UserError(
            f"launch {launch} ({b.kernel}) commits to private tensors "
            f"({', '.join(c.tensor for c in b.committed)}): its proof needs the commitment "
            "check, which snarkjs does not have; only launches whose tensors are all public "
            "can be exported"
        )
    keys, _ = _load_keys(plan, digest, plan_path, keys_path, proving=False)
    proof = read_bytes(proof_path, "proof", magics=(PROOF_MAGIC,))
    bundle, _ = ProofBundle.from_bytes(proof, proof_path)
    if bundle.plan_digest != digest:
        raise UserError(f"{proof_path}: the proof was made for a different plan")
    F = get_field(plan.field)
    sizes = {t.name: int(np.prod(t.shape)) for t in plan.host.tensors}
    public = {}
    for _, tensor in b.public:
        raw = Schema(bundle.public.get(tensor), f"{proof_path}.public.{tensor}")
        public[tensor] = F.decode(raw.bytes(length=sizes[tensor] * F.byte_len), sizes[tensor])
    ss = Schema(bundle.steps[launch], f"{proof_path}.steps[{launch}]")
    ss.dict({"a", "b", "c"})
    proof = proof_from_tree(ss)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "verification_key.json": snarkjs.vk_json(keys[launch]),
        "proof.json": snarkjs.proof_json(proof),
        "public.json": snarkjs.public_json(kernel_public_values(plan.program, b, public)),
    }
    for name, obj in files.items():
        write_atomic(out / name, (json.dumps(obj, indent=1) + "\n").encode())
    click.echo(f"wrote {', '.join(files)} to {out} (launch {launch}, {b.kernel})")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(path: str, as_json: bool) -> None:
    """Summarise a plan or a proof file."""
    from zkcc.plan.plan import MAGIC as PLAN_MAGIC
    from zkcc.plan.plan import Plan, plan_digest
    from zkcc.runtime.bundle import MAGIC as PROOF_MAGIC
    from zkcc.runtime.bundle import ProofBundle

    data = read_bytes(path, "plan or proof", magics=(PLAN_MAGIC, PROOF_MAGIC))
    if data[:4] not in (PLAN_MAGIC, PROOF_MAGIC):
        kind = FILE_KINDS.get(bytes(data[:4]))
        raise UserError(
            f"{path}: this is {kind}; inspect reads plans and proofs"
            if kind
            else f"{path}: not a zkcc plan or proof (no zkcc file of a known kind)"
        )
    if data[:4] == PLAN_MAGIC:
        summary = _plan_summary(Plan.from_bytes(data, path), plan_digest(data), len(data))
    else:
        bundle, _ = ProofBundle.from_bytes(data, path)
        summary = {
            "kind": "proof",
            "bytes": len(data),
            "plan_digest": bundle.plan_digest.hex(),
            "public": {n: len(v) for n, v in bundle.public.items()},
            "commitments": {n: c.hex() for n, c in bundle.commitments.items()},
            "steps": len(bundle.steps),
        }
    if as_json:
        _emit_json(summary)
        return
    for key in ("kind", "field", "pcs", "zk", "source", "digest", "plan_digest", "bytes"):
        if key in summary:
            click.echo(f"{key}: {summary[key]}")
    if summary["kind"] == "plan":
        _print_kernels(summary)
    else:
        for n, c in summary["commitments"].items():
            click.echo(f"  commitment {n}: {c[:16]}...")
        click.echo(f"  public tensors: {', '.join(summary['public'])}; steps: {summary['steps']}")


from zkcc.cli_cost import calibrate_cmd  # noqa: E402  (the commands in their own modules)
from zkcc.cli_setup import setup_group  # noqa: E402  (it imports this module's helpers lazily)

cli.add_command(setup_group, "setup")
cli.add_command(calibrate_cmd, "calibrate")


def main() -> None:
    """Run the CLI; every failure ends in one exit code and one message (a JSON error object
    on stdout, {"status", "exit_code", "error"}, when the command was given --json)."""
    as_json = "--json" in sys.argv[1:]
    signal.signal(signal.SIGTERM, _terminated)
    with _default_sigpipe():
        _main(as_json)


def _main(as_json: bool) -> None:
    try:
        _check_environment()
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        if _a_peer_says_it():
            sys.exit(EXIT_ERROR)
        if as_json or isinstance(e, click.BadParameter):  # a bad value: one line
            _fail(EXIT_ERROR, "error", e.format_message(), as_json)
        e.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        _fail(EXIT_ERROR, "error", "aborted", as_json)
    except ProofRejected as e:
        _fail(EXIT_REJECTED, "rejected", f"rejected: {e}", as_json)
    except InternalError as e:
        _fail(EXIT_INTERNAL, "internal_error", f"zkcc: {e} {_REPORT_IT}", as_json)
    except (UserError, ZkccError) as e:
        if _a_peer_says_it() and not _guarded():
            sys.exit(EXIT_ERROR)
        _fail(EXIT_ERROR, "error", str(e), as_json, **_error_details(e))
    except MemoryError:
        _fail(EXIT_ERROR, "error", "error: out of memory", as_json)
    except OSError as e:
        if e.errno not in _ENVIRONMENT_ERRNOS:
            _internal(e, as_json)
        _fail(EXIT_ERROR, "error", _environment_text(e), as_json)
    except Exception as e:  # a bug in zkcc, not a verdict on the proof: never exit 1
        _internal(e, as_json)


def _a_peer_says_it() -> bool:
    """Under mpiexec every rank parses the same command line, so a usage error is every
    rank's: rank 0 prints it and the others exit with the same status in silence (each
    printed its own, and --json gave several objects)."""
    from zkcc.runtime.report import env_rank

    return env_rank() != 0


def _guarded() -> bool:
    """Whether the command reached its MPI guard (which reports what fails after it)."""
    from zkcc.runtime.comm import guarded

    return guarded()


def _internal(e: Exception, as_json: bool) -> NoReturn:
    if os.environ.get("ZKCC_DEBUG", "") not in ("", "0"):
        traceback.print_exc()
    _fail(
        EXIT_INTERNAL,
        "internal_error",
        f"zkcc: internal error: {type(e).__name__}: {_one_line(e)} {_REPORT_IT}",
        as_json,
    )


# OSErrors that are the machine's state, not zkcc's: reported as errors (exit 2), not bugs
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENAMETOOLONG,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EMFILE,
    errno.ENFILE,
    errno.EIO,
}


def _environment_text(e: OSError) -> str:
    """One line for an OSError of the machine's: the file when it names one, what the system
    said, and for a full disk where zkcc writes (a prove's spill files go to --tmpdir)."""
    where = f"{e.filename}: " if e.filename else ""
    text = f"error: {where}{e.strerror or e}"
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        text += " (outputs go where -o says; a prove's spill files to --tmpdir, or TMPDIR)"
    return text


_REPORT_IT = "(please report this, with the command and files)"


@contextlib.contextmanager
def _default_sigpipe():
    """A reader that closes the pipe early (`zkcc inspect P | head -1`) ends zkcc as it ends
    `cat`: by SIGPIPE, status 141. Python ignores SIGPIPE, and click then turned the EPIPE
    into exit 1, which CI reads as "rejected". Not under an MPI launcher, whose transports
    may write to sockets of peers that are gone; restored afterwards, for a caller (a test)
    that runs main() in its own process."""
    from zkcc.runtime.comm import detect_launch

    if not hasattr(signal, "SIGPIPE") or detect_launch() is not None:
        yield
        return
    before = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGPIPE, before)


def _check_environment() -> None:
    """Environment variables read when modules load, before errors can be reported."""
    from zkcc.field.m31_kernels import THREADS_PROBLEM

    if THREADS_PROBLEM is not None:
        raise UserError(THREADS_PROBLEM)


def _terminated(_signum: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C: the command stops through its cleanup (temporary and spill
    directories removed, no partial output) and exits 2, "aborted"; Python's default was to
    die at once and leave the spill directories behind."""
    raise KeyboardInterrupt


def _error_details(e: ZkccError) -> dict:
    """A compile error's diagnostics, for --json. The front end is imported here, not at
    start-up: only commands that compile load it, and a compile error means it is loaded."""
    from zkcc.frontend.diagnostics import CompileError

    return {"diagnostics": _diagnostics_json(e.diagnostics)} if isinstance(e, CompileError) else {}


def _fail(code: int, status: str, message: str, as_json: bool, **extra) -> None:
    """Report a failure once, as text on stderr or as a JSON error object on stdout, and exit
    with `code` (docs/cli.md lists the codes and the object's fields)."""
    try:
        if as_json:
            _emit_json({"status": status, "exit_code": code, "error": message, **extra})
        else:
            click.echo(message, err=True)
    except OSError:  # stdout is a full disk, say: the status still tells what happened
        with contextlib.suppress(OSError):
            sys.stderr.write(f"{message}\n(and it could not be written to standard output)\n")
    sys.exit(code)


def _one_line(e: BaseException, limit: int = 500) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
