"""Scale benchmark of `zkcc prove`: peak memory, a memory limit, linearity and MPI ranks.

    .venv/bin/python bench/scale.py [--quick] [--only memory|commit|linear|mpi|...]
                                    [--memory-log 18] [--mpi-log 14] [--groth16-batch 64]

Every program is generated here (an m31 kernel of `rounds` rounds of a 16-wide mix, each new
a[j] = a[j]*a[j+1] + a[j+5]*a[j+9] mod 16, so mul gates dominate: 128 per round per instance)
and proved by the CLI as a subprocess. Peak RSS comes from os.wait4 (the largest process:
for mpiexec, the largest rank; never below this script's own ~40 MiB, which the exec
inherits); cpu_s is the child's user + system time, a check on wall times when other work
shares the cores. Sections and targets:

* memory: one launch of 2^18 instances x 1104 mul gates (>= 2^28): peak RSS and bytes per
  mul gate, then the same under --mem-limit at a quarter of that peak (or the smallest limit
  the prover accepts): peak RSS <= limit, time <= 2x unconstrained, byte-identical proof.
* commit: a private input of 2^16 x 1024 = 2^26 elements, summed (a small circuit), so the
  tensor commitment dominates: the same two runs; under the limit its encoded matrix goes
  through a file.
* linear: 2^10 .. 2^18 instances x 208 mul gates: time ratio per 4x instances <= 4.4x.
* mpi: 2^14 (--mpi-log) x 1104 mul gates by 1 process (ZKCC_THREADS=1), `mpiexec -n 2` (1 thread per
  rank) and 1 process with 2 threads: 2 ranks vs 1 >= 1.7x, all proofs byte-identical.
* mpi-commit: a private input of 2^12 x 1024 = 2^22 elements (the wide kernel), proved by 1,
  2 and 3 ranks (ZKCC_THREADS=1): the commit and open phases, and the peak RSS of the largest
  rank; all proofs byte-identical. Three ranks on two cores are oversubscribed: their times
  show the per-rank work, not a speedup.
* mpi-groth16: the Poseidon example's Groth16 launch with 64 hashes (--groth16-batch; 6,144
  constraints) by 1 rank, 2 ranks (one MSM worker each, ZKCC_GROTH16_WORKERS=1) and 1 rank
  with the forked MSM worker: the launch's time, the proofs byte-identical.
* pcs-split: the PCS alone under `mpiexec -n 1, 2, 3` (this script as the ranks' program,
  `--pcs-rank`): a random 2^22-element m31 table committed (hiding) and opened with two
  claims; the commit and open times (rank 0, between barriers) and each rank's peak RSS
  during them above its RSS before (Linux: the peak is reset with /proc/self/clear_refs);
  roots and openings identical for every R.
* mpi-inputs: reading a 2^24-element private .npz input (the wide kernel at 2^14 instances)
  under `mpiexec -n 1, 2, 3` (`--inputs-rank`), as `zkcc prove` does (each rank reads its part
  of the entry) and as it did before (each rank reads the whole and keeps its share): each
  rank's peak RSS growth while reading, and the time; the shares kept are identical.

--quick divides every instance count by 16. The machine's own rate (m31 multiply of 2^24
uint64 elements with numpy, in place) is printed beside the results. Prints tables and writes
bench/results/scale.json (sections not run keep their previous numbers).
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

P = (1 << 31) - 1
BIN = Path(sys.executable).parent
ZKCC = str(BIN / "zkcc")
MPIEXEC = BIN / "mpiexec"
MIB = 1 << 20
ROOT = Path(__file__).resolve().parents[1]
BN254_R = 21888242871839275222246405745257275088548364400416903763908559133453906743297
KERNEL = """#pragma field m31
__global__ void mix(const field x[16], field y[16]) {{
    field a[16];
    for (int j = 0; j < 16; j++) {{ a[j] = x[j]; }}
    for (int r = 0; r < {rounds}; r++) {{
        field b[16];
        for (int j = 0; j < 16; j++) {{
            b[j] = a[j] * a[(j + 1) % 16] + a[(j + 5) % 16] * a[(j + 9) % 16];
        }}
        for (int j = 0; j < 16; j++) {{ a[j] = b[j]; }}
    }}
    for (int j = 0; j < 16; j++) {{ y[j] = a[j]; }}
}}

__host__ void main(private field x[{n}][16], public out field y[{n}][16]) {{
    mix<<<{n}>>>(x, y);
}}
"""
# a wide private input and a small circuit: the tensor commitment dominates the memory
WIDE_KERNEL = """#pragma field m31
__global__ void fold(const field x[{width}], field y[1]) {{
    field s = x[0];
    for (int j = 1; j < {width}; j++) {{ s = s + x[j]; }}
    y[0] = s * s;
}}

__host__ void main(private field x[{n}][{width}], public out field y[{n}][1]) {{
    fold<<<{n}>>>(x, y);
}}
"""
FEASIBLE = re.compile(r"smallest feasible limit is about ([\d.]+) (B|KiB|MiB|GiB|TiB)")
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


@dataclass
class Proc:
    rc: int
    wall_s: float
    rss: int  # bytes: ru_maxrss of the child, or of its largest waited-for descendant
    cpu_s: float  # user + system time of the child and its descendants (robust to load)
    out: str
    err: str

    def summary(self) -> dict:
        """The JSON that `zkcc prove --json` printed (under mpiexec: rank 0's)."""
        return json.loads(self.out[self.out.index("{") :]) if "{" in self.out else {}


def spawn(cmd: list[str], env: dict[str, str] | None = None, what: str = "") -> Proc:
    """Run `cmd` to its end; with `what`, exit with its stderr if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
        out.seek(0), err.seek(0)
        text, errors = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if what and proc.returncode != 0:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{errors[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Proc(proc.returncode, wall, usage.ru_maxrss * 1024, cpu, text, errors)


def machine_rate(log_n: int = 24, repeat: int = 3) -> float:
    """Million m31 products per second: a *= b, then two folds of the high bits, in place."""
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, P, 1 << log_n, dtype=np.int64).astype(np.uint64) for _ in "ab")
    hi, best = np.empty_like(a), float("inf")
    for _ in range(repeat):
        x, t0 = a.copy(), time.perf_counter()
        np.multiply(x, b, out=x)
        for _ in range(2):
            np.right_shift(x, 31, out=hi)
            np.bitwise_and(x, P, out=x)
            np.add(x, hi, out=x)
        best = min(best, time.perf_counter() - t0)
    return round((1 << log_n) / best / 1e6, 1)


@dataclass
class Program:
    plan: Path
    inputs: Path
    instances: int
    mul_per_instance: int
    mul_gates: int
    layer_widths: list[int]
    soundness_bits: float  # the plan's computed bound (zkcc compile --json)


def program(work: Path, log_n: int, rounds: int, width: int = 0) -> Program:
    """The mix kernel of `rounds` rounds, or (width > 0) the wide kernel of `width` inputs."""
    n = 1 << log_n
    name = f"wide{width}_n{log_n}" if width else f"mix_d{rounds}_n{log_n}"
    src = work / f"{name}.zkcu"
    text = WIDE_KERNEL.format(n=n, width=width) if width else KERNEL.format(n=n, rounds=rounds)
    src.write_text(text)
    plan = work / f"{name}.zkplan"
    compiled = spawn([ZKCC, "compile", str(src), "-o", str(plan), "--json"], what="compile")
    summary = json.loads(compiled.out)
    k = summary["kernels"]["fold" if width else "mix"]
    inputs = work / f"{name}.npz"
    x = np.random.default_rng(log_n).integers(0, P, (n, width or 16), dtype=np.int32)
    np.savez(inputs, x=x)
    bits = summary["soundness"]["bits"]
    return Program(plan, inputs, n, k["mul_gates"], n * k["mul_gates"], k["layer_widths"], bits)


def prove_cmd(plan: Path, inputs: Path, proof: Path, ranks: int = 1) -> list[str]:
    """`zkcc prove --json`, seeded: the sections compare proofs byte for byte, and the PCS
    masks of a zk plan (and Groth16 blinding) are fresh per proof otherwise."""
    cmd = [ZKCC, "prove", str(plan), "-i", str(inputs), "-o", str(proof), "--json"]
    cmd += ["--seed", "1"]
    return [str(MPIEXEC), "-n", str(ranks), *cmd] if ranks > 1 else cmd


def prove(prog: Program, proof: Path, *extra: str, ranks: int = 1, **kw: Any) -> Proc:
    return spawn([*prove_cmd(prog.plan, prog.inputs, proof, ranks), *extra], **kw)


def mpi_missing(section: str) -> dict | None:
    """The section's JSON when it cannot run (no mpiexec or mpi4py), after saying so."""
    if MPIEXEC.exists() and importlib.util.find_spec("mpi4py") is not None:
        return None
    reason = f"{MPIEXEC} or mpi4py is missing"
    print(f"\n== {section}: skipped ({reason})")
    return {"skipped": reason}


def verify(prog: Program, proof: Path) -> bool:
    return spawn([ZKCC, "verify", str(prog.plan), str(proof)]).rc == 0


def row(p: Proc, prog: Program) -> dict:
    s = p.summary()
    return {
        "wall_s": round(p.wall_s, 3),
        "prove_s": s.get("seconds"),
        "cpu_s": round(p.cpu_s, 3),
        "peak_rss_bytes": p.rss,
        "prover_peak_rss_bytes": s.get("peak_rss_bytes"),
        "bytes_per_mul_gate": round(p.rss / prog.mul_gates, 2),
        "spilled_bytes": s.get("spilled_bytes"),
        "phases": s.get("phases"),
    }


def table(rows: list[dict], cols: str) -> None:
    """Print `rows` aligned: one column per "heading=key" in `cols` (the first left-aligned;
    keys ending in _bytes shown in MiB; a missing key as -)."""
    spec = [c.split("=") for c in cols.split(",")]
    cells = [[_cell(r.get(k, "-"), k) for _, k in spec] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (h, _) in enumerate(spec)]
    for line in [[h for h, _ in spec], *cells]:
        pairs = enumerate(zip(line, widths, strict=True))
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in pairs))


def _cell(v: object, key: str) -> str:
    if key.endswith("_bytes") and isinstance(v, int):
        return f"{v / MIB:.1f}"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


RESULTS = Path(__file__).parent / "results" / "scale.json"


def tagged_runs(section: str, tag: str, run: dict) -> dict:
    """The section's runs kept in scale.json with this one added under `tag` (a before/after
    pair is measured in two invocations, on two checkouts)."""
    old = json.loads(RESULTS.read_text()).get(section, {}) if RESULTS.exists() else {}
    return {**old.get("runs", {}), tag: run}


def header(prog: Program, title: str) -> dict:
    """Print the section's title line; return its program's sizes for the JSON."""
    print(
        f"\n== {title}: {prog.instances} instances x {prog.mul_per_instance} mul gates = "
        f"{prog.mul_gates} (2^{np.log2(prog.mul_gates):.2f}); layer widths {prog.layer_widths}; "
        f"soundness {prog.soundness_bits} bits"
    )
    keys = ("instances", "mul_per_instance", "mul_gates", "soundness_bits")
    return {k: getattr(prog, k) for k in keys}


def memory(work: Path, log_n: int, rounds: int, width: int = 0) -> dict:
    """Unconstrained, then under a limit of a quarter of that peak (see the module doc)."""
    prog = program(work, log_n, rounds, width)
    sizes = header(
        prog, f"commit: a private input of {prog.instances} x {width}" if width else "memory"
    )
    if width:
        sizes["committed_elements"] = prog.instances * width
    elif prog.mul_gates < 1 << 28:
        print("note: below the target size of 2^28 mul gates (--quick or --memory-log)")
    free_p, limited_p = work / "free.zkproof", work / "limited.zkproof"
    free = row(prove(prog, free_p, "--tmpdir", str(work), what="prove"), prog)
    limit, refusals = free["peak_rss_bytes"] // 4, []
    while True:  # a refusal names the smallest feasible limit: retry there (3 times at most)
        p = prove(prog, limited_p, "--mem-limit", str(limit), "--tmpdir", str(work))
        m = FEASIBLE.search(p.err)
        if p.rc == 0 or m is None or len(refusals) == 3:
            break
        refusals.append(f"--mem-limit {limit}: {p.err.strip()}")
        print(f"refused: {refusals[-1]}")
        limit = -(-int(float(m[1]) * UNITS[m[2]] * 1.005) // MIB) * MIB  # +0.5%, in MiB
    if p.rc != 0:
        sys.exit(f"prove --mem-limit {limit} failed (exit {p.rc}):\n{p.err[-3000:]}")
    limited = {"mem_limit_bytes": limit, **row(p, prog)}
    free["run"], limited["run"] = "unconstrained", "limited"
    table(
        [free, limited],
        "run=run,limit MiB=mem_limit_bytes,prove_s=prove_s,cpu_s=cpu_s,wall_s=wall_s,"
        "peak MiB=peak_rss_bytes,B/mul gate=bytes_per_mul_gate,spilled MiB=spilled_bytes",
    )
    out = dict(
        **sizes,
        unconstrained=free,
        limited=limited,
        refusals=refusals,
        within_limit=limited["peak_rss_bytes"] <= limit,
        time_ratio=round(limited["prove_s"] / free["prove_s"], 3),
        cpu_ratio=round(limited["cpu_s"] / free["cpu_s"], 3),
        identical=filecmp.cmp(free_p, limited_p, shallow=False),
        verified=verify(prog, limited_p),
    )
    print(
        f"peak RSS <= limit: {'PASS' if out['within_limit'] else 'FAIL'}; "
        f"time ratio {out['time_ratio']:.2f}x, cpu {out['cpu_ratio']:.2f}x (target <= 2x); "
        f"proofs identical: {out['identical']}; verified: {out['verified']}"
    )
    return out


def linear(work: Path, logs: list[int], rounds: int) -> dict:
    rows: list[dict] = []
    for log_n in logs:
        prog = program(work, log_n, rounds)
        if not rows:
            header(prog, "linear")
        proof = work / "linear.zkproof"
        r = {"instances": prog.instances, "mul_gates": prog.mul_gates}
        r.update(row(prove(prog, proof, what="prove"), prog))
        if rows:
            r["time_ratio"] = round(r["prove_s"] / rows[-1]["prove_s"], 3)
            r["cpu_ratio"] = round(r["cpu_s"] / rows[-1]["cpu_s"], 3)
            r["rss_ratio"] = round(r["peak_rss_bytes"] / rows[-1]["peak_rss_bytes"], 3)
        rows.append(r)
        prog.inputs.unlink()
    verified = verify(prog, proof)
    table(
        rows,
        "instances=instances,mul gates=mul_gates,prove_s=prove_s,x time=time_ratio,cpu_s=cpu_s,"
        "x cpu=cpu_ratio,wall_s=wall_s,peak MiB=peak_rss_bytes,x RSS=rss_ratio,"
        "B/mul gate=bytes_per_mul_gate",
    )
    worst = max((r["time_ratio"] for r in rows[1:]), default=0.0)
    worst_cpu = max((r["cpu_ratio"] for r in rows[1:]), default=0.0)
    print(
        f"worst ratio per 4x instances: time {worst:.2f}x, cpu {worst_cpu:.2f}x (target <= "
        f"4.4x); largest proof verified: {verified}"
    )
    out = {"mul_per_instance": prog.mul_per_instance, "rows": rows, "verified": verified}
    return {**out, "worst_time_ratio": worst, "worst_cpu_ratio": worst_cpu}


def mpi(work: Path, log_n: int, rounds: int) -> dict:
    if skipped := mpi_missing("mpi"):
        return skipped
    prog = program(work, log_n, rounds)
    sizes = header(prog, "mpi")
    rows, proofs = [], []
    for ranks, threads in ((1, 1), (2, 1), (1, 2)):
        name = f"{ranks} rank{'s' * (ranks > 1)} x {threads} thread{'s' * (threads > 1)}"
        proofs.append(work / f"mpi{ranks}_{threads}.zkproof")
        p = prove(prog, proofs[-1], env={"ZKCC_THREADS": str(threads)}, ranks=ranks)
        if p.rc != 0:
            print(f"{name}: failed (exit {p.rc}): {p.err.strip()[-1500:]}")
            return {"failed": name, "exit": p.rc, "stderr": p.err[-3000:]}
        rows.append({"run": name, "ranks": ranks, "threads": threads, **row(p, prog)})
    for r in rows:
        r["speedup"] = round(rows[0]["prove_s"] / r["prove_s"], 3)
    identical = all(filecmp.cmp(proofs[0], q, shallow=False) for q in proofs)
    verified = verify(prog, proofs[1])
    table(
        rows,
        "run=run,prove_s=prove_s,cpu_s=cpu_s,wall_s=wall_s,speedup=speedup,"
        "peak MiB/rank=peak_rss_bytes",
    )
    print(
        f"2 ranks vs 1: {rows[1]['speedup']:.2f}x (target >= 1.7x); "
        f"proofs identical: {identical}; 2-rank proof verified: {verified}"
    )
    return {**sizes, "rows": rows, "identical": identical, "verified": verified}


def mpi_commit(work: Path, log_n: int, tag: str) -> dict:
    """The tensor commitment and opening of a 2^(log_n + 10)-element private input by 1, 2 and
    3 ranks; the JSON keeps each `tag`'s runs (before/after a change) side by side."""
    if skipped := mpi_missing("mpi-commit"):
        return skipped
    prog = program(work, log_n, 0, width=1024)
    sizes = header(prog, f"mpi-commit: a private input of {prog.instances} x 1024 ({tag})")
    rows, proofs = [], []
    for ranks in (1, 2, 3):
        proofs.append(work / f"commit{ranks}.zkproof")
        p = prove(prog, proofs[-1], env={"ZKCC_THREADS": "1"}, ranks=ranks, what="prove")
        r = {"ranks": ranks, **row(p, prog)}
        r["commit_s"], r["open_s"] = (r["phases"].get(k) for k in ("commit", "open"))
        rows.append(r)
    for r in rows:
        r["rss_ratio"] = round(r["peak_rss_bytes"] / rows[0]["peak_rss_bytes"], 3)
    identical = all(filecmp.cmp(proofs[0], q, shallow=False) for q in proofs)
    verified = verify(prog, proofs[-1])
    table(
        rows,
        "ranks=ranks,commit_s=commit_s,open_s=open_s,prove_s=prove_s,cpu_s=cpu_s,"
        "peak MiB/rank=peak_rss_bytes,x RSS=rss_ratio",
    )
    print(f"proofs identical: {identical}; 3-rank proof verified: {verified}")
    runs = tagged_runs("mpi-commit", tag, {"rows": rows, "identical": identical})
    return {
        **sizes,
        "committed_elements": prog.instances * 1024,
        "runs": runs,
        "verified": verified,
    }


def mpi_groth16(work: Path, batch: int) -> dict:
    """A Groth16 launch's MSMs split over 2 ranks (zkcc/backends/groth16/prover.py msm_sums)
    against 1 rank, with one MSM worker per rank, and against 1 rank with the forked worker."""
    if skipped := mpi_missing("mpi-groth16"):
        return skipped
    example = ROOT / "examples" / "poseidon_bn254_groth16" / "poseidon_bn254_groth16.zkcu"
    text = example.read_text()
    src = work / "poseidon_groth16.zkcu"
    src.write_text(text.replace("const int BATCH = 8;", f"const int BATCH = {batch};"))
    plan, inputs = work / "poseidon_groth16.zkplan", work / "poseidon_groth16.json"
    compiled = spawn([ZKCC, "compile", str(src), "-o", str(plan), "--backend", "groth16", "--json"])
    if compiled.rc != 0:
        sys.exit(f"compile failed:\n{compiled.err[-3000:]}")
    spawn([ZKCC, "setup", str(plan)], what="setup")
    rng = random.Random(batch)
    pairs = [[str(rng.randrange(BN254_R)) for _ in range(2)] for _ in range(batch)]
    inputs.write_text(json.dumps({"pairs": pairs}))
    print(f"\n== mpi-groth16: {batch} Poseidon hashes in one Groth16 launch")
    rows, proofs = [], []
    for ranks, workers in ((1, 1), (2, 1), (1, 2)):
        proofs.append(work / f"g16_{ranks}_{workers}.zkproof")
        env = {"ZKCC_GROTH16_WORKERS": str(workers), "ZKCC_THREADS": "1"}
        p = spawn(prove_cmd(plan, inputs, proofs[-1], ranks), env=env, what="prove")
        s = p.summary()
        name = f"{ranks} rank{'s' * (ranks > 1)} x {workers} MSM worker{'s' * (workers > 1)}"
        rows.append(
            {
                "run": name,
                "launch_s": s["launches"][0]["seconds"],
                "prove_s": s["seconds"],
                "cpu_s": round(p.cpu_s, 3),
                "peak_rss_bytes": p.rss,
            }
        )
    for r in rows:
        r["speedup"] = round(rows[0]["launch_s"] / r["launch_s"], 3)
    identical = all(filecmp.cmp(proofs[0], q, shallow=False) for q in proofs)
    verified = spawn([ZKCC, "verify", str(plan), str(proofs[1])]).rc == 0
    table(
        rows,
        "run=run,launch_s=launch_s,prove_s=prove_s,cpu_s=cpu_s,speedup=speedup,"
        "peak MiB/rank=peak_rss_bytes",
    )
    print(f"proofs identical: {identical}; 2-rank proof verified: {verified}")
    return {"batch": batch, "rows": rows, "identical": identical, "verified": verified}


def pcs_rank(log_n: int) -> None:
    """One rank of pcs-split: commit to and open a seeded random table with the others."""
    import hashlib

    from zkcc.encoding import encode
    from zkcc.field import get_field, mle_evaluate
    from zkcc.pcs.base import PcsClaim
    from zkcc.pcs.ligero import LigeroPCS
    from zkcc.runtime.comm import get_comm
    from zkcc.runtime.randomness import Randomness
    from zkcc.transcript import Transcript

    comm = get_comm()
    F = get_field("m31")
    rng = np.random.default_rng(log_n)
    table = F.array(rng.integers(0, P, 1 << log_n, dtype=np.int64))
    points = [F.array(rng.integers(0, P, (F.ext.degree, log_n), dtype=np.int64)) for _ in "ab"]
    claims = [PcsClaim("t", pt, mle_evaluate(F, table, pt)) for pt in points]
    split = {"comm": comm} if comm.size > 1 else {}  # one process: the code before the split
    pcs = LigeroPCS(hiding=True)
    rss0 = _reset_peak_rss()  # the setup's temporaries (the claims' values) are not counted
    comm.barrier()
    t0 = time.perf_counter()
    root, state = pcs.commit(F, table, rng=Randomness(1).source("t"), **split)
    comm.barrier()
    t1 = time.perf_counter()
    tree = pcs.open(F, {"t": state}, claims, Transcript(b"bench"), **split)
    comm.barrier()
    t2 = time.perf_counter()
    grown = _status_bytes("VmHWM") - rss0
    grew = [int.from_bytes(b, "little") for b in comm.allgather(grown.to_bytes(8, "little"))]
    if comm.rank == 0:
        digest = hashlib.sha256(root + encode(b"BNCH", 1, tree)).hexdigest()
        out = {"commit_s": round(t1 - t0, 3), "open_s": round(t2 - t1, 3), "digest": digest}
        print(json.dumps({**out, "rss_growth_bytes": grew}))


def inputs_rank(plan_path: str, inputs: str, whole: bool) -> None:
    """One rank of mpi-inputs: read the inputs, keep this rank's share (module doc)."""
    import hashlib
    from functools import partial

    from zkcc.field import get_field
    from zkcc.plan.plan import Plan
    from zkcc.runtime.comm import get_comm
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.tensors import TensorStore, even_share

    comm = get_comm()
    program = Plan.from_bytes(Path(plan_path).read_bytes()).program
    F = get_field("m31")
    sizes = {t.name: t.size for t in program.host.tensors if t.name == "x"}
    rss0 = _reset_peak_rss()
    comm.barrier()
    t0 = time.perf_counter()
    if whole:
        store = TensorStore.of(F, load_inputs(inputs, program, F), comm, consume=True)
    else:
        part = partial(even_share, comm=comm)
        store = TensorStore.of(F, load_inputs(inputs, program, F, part), comm, True, sizes)
    comm.barrier()
    seconds = time.perf_counter() - t0
    grown = _status_bytes("VmHWM") - rss0
    grew = [int.from_bytes(b, "little") for b in comm.allgather(grown.to_bytes(8, "little"))]
    share = hashlib.sha256(F.encode(store.local("x"))).digest()
    shares = hashlib.sha256(b"".join(comm.allgather(share))).hexdigest()
    if comm.rank == 0:
        print(json.dumps({"read_s": round(seconds, 3), "rss_growth_bytes": grew, "shares": shares}))


def mpi_inputs(work: Path, log_n: int) -> dict:
    """Each rank's memory and time to read its share of a large input, by part and whole."""
    if skipped := mpi_missing("mpi-inputs"):
        return skipped
    prog = program(work, log_n, 0, width=1024)
    size = prog.instances * 1024
    print(f"\n== mpi-inputs: a private .npz input of {size:,} int32 elements (2^{log_n} x 1024)")
    rows = []
    for ranks in (1, 2, 3):
        for how in ("part", "whole"):
            cmd = [str(MPIEXEC), "-n", str(ranks), sys.executable, __file__, "--inputs-rank"]
            cmd += [str(prog.plan), str(prog.inputs), how]
            p = spawn(cmd, env={"ZKCC_THREADS": "1"}, what=f"mpi-inputs at {ranks} ranks")
            r = {"ranks": ranks, "read": how, **json.loads(p.out[p.out.index("{") :])}
            r["max_growth_bytes"] = max(r["rss_growth_bytes"])
            r["bytes_per_element"] = round(r["max_growth_bytes"] / size, 2)
            rows.append(r)
    for r in rows:
        r["growth_ratio"] = round(r["max_growth_bytes"] / rows[0]["max_growth_bytes"], 3)
    identical = all(
        len({r["shares"] for r in rows if r["ranks"] == ranks}) == 1 for ranks in (1, 2, 3)
    )
    table(
        rows,
        "ranks=ranks,read=read,read_s=read_s,growth MiB/rank=max_growth_bytes,"
        "B/element=bytes_per_element,x growth=growth_ratio",
    )
    print(f"shares identical (part and whole): {identical}")
    return {"elements": size, "rows": rows, "identical": identical}


def _status_bytes(key: str) -> int:
    """A size from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak_rss() -> int:
    """Reset this process's peak RSS to its current RSS (Linux: clear_refs 5); returns it."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_bytes("VmRSS")


def pcs_split(log_n: int, tag: str) -> dict:
    """The PCS alone at 1, 2 and 3 ranks (module doc); JSON runs kept by `tag`."""
    if skipped := mpi_missing("pcs-split"):
        return skipped
    print(f"\n== pcs-split: a 2^{log_n}-element m31 table, hiding, 2 claims ({tag})")
    rows = []
    for ranks in (1, 2, 3):
        cmd = [str(MPIEXEC), "-n", str(ranks), sys.executable, __file__, "--pcs-rank", str(log_n)]
        p = spawn(cmd, env={"ZKCC_THREADS": "1"}, what=f"pcs-split at {ranks} ranks")
        r = {"ranks": ranks, **json.loads(p.out[p.out.index("{") :])}
        r["max_growth_bytes"] = max(r["rss_growth_bytes"])
        r["peak_rss_bytes"] = p.rss
        rows.append(r)
    for r in rows:
        r["growth_ratio"] = round(r["max_growth_bytes"] / rows[0]["max_growth_bytes"], 3)
    identical = len({r["digest"] for r in rows}) == 1
    table(
        rows,
        "ranks=ranks,commit_s=commit_s,open_s=open_s,state MiB/rank=max_growth_bytes,"
        "x state=growth_ratio,peak MiB/rank=peak_rss_bytes",
    )
    print(f"roots and openings identical: {identical}")
    runs = tagged_runs("pcs-split", tag, {"rows": rows, "identical": identical})
    return {"log_n": log_n, "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--only",
        choices=[
            "memory",
            "commit",
            "linear",
            "mpi",
            "mpi-commit",
            "mpi-groth16",
            "pcs-split",
            "mpi-inputs",
        ],
    )
    ap.add_argument("--pcs-rank", type=int, help=argparse.SUPPRESS)  # pcs-split's ranks
    ap.add_argument("--inputs-rank", nargs=3, help=argparse.SUPPRESS)  # mpi-inputs' ranks
    ap.add_argument("--inputs-log", type=int, default=14, help="log2 instances of mpi-inputs")
    ap.add_argument("--quick", action="store_true", help="every instance count / 16")
    ap.add_argument("--memory-log", type=int, default=18, help="log2 instances of `memory`")
    ap.add_argument("--memory-rounds", type=int, default=9, help="1104 mul gates/instance")
    ap.add_argument("--mpi-log", type=int, default=14, help="log2 instances of `mpi`")
    ap.add_argument("--groth16-batch", type=int, default=64, help="hashes of `mpi-groth16`")
    ap.add_argument("--linear-rounds", type=int, default=2, help="208 mul gates/instance")
    ap.add_argument("--commit-tag", default="after", help="mpi-commit: the JSON key of the run")
    args = ap.parse_args()
    if args.pcs_rank is not None:
        return pcs_rank(args.pcs_rank)
    if args.inputs_rank is not None:
        plan, inputs, how = args.inputs_rank
        return inputs_rank(plan, inputs, how == "whole")
    sys.stdout.reconfigure(line_buffering=True)  # progress through a pipe, too
    q = 4 if args.quick else 0
    doc = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="zkcc-scale-") as tmp:
        work = Path(tmp)
        sections = {
            "memory": lambda: memory(work, args.memory_log - q, args.memory_rounds),
            "commit": lambda: memory(work, 16 - q, 0, width=1024),
            "linear": lambda: linear(work, [m - q for m in range(10, 19, 2)], args.linear_rounds),
            "mpi": lambda: mpi(work, args.mpi_log - q, args.memory_rounds),
            "mpi-commit": lambda: mpi_commit(work, 12 - q, args.commit_tag),
            "mpi-groth16": lambda: mpi_groth16(work, max(4, args.groth16_batch >> q)),
            "pcs-split": lambda: pcs_split(22 - q, args.commit_tag),
            "mpi-inputs": lambda: mpi_inputs(work, args.inputs_log - q),
        }
        for name, section in sections.items():
            if args.only in (None, name):
                doc[name] = {"quick": args.quick, **section()}
    # measured last: a child's ru_maxrss starts at this process's high-water mark (the exec
    # records it), so the 512 MiB of the rate's arrays would show up in every peak RSS
    rate = machine_rate()
    print(
        f"\nmachine: {os.cpu_count()} CPUs; m31 multiply (numpy, 2^24 uint64, in place) {rate} M/s"
    )
    doc["machine"] = {"cpus": os.cpu_count(), "m31_mul_numpy_mps": rate}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
