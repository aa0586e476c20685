"""Groth16 on the chain x_{i+1} = x_i * x_i + c (public x_0 and x_N), zkcc beside snarkjs 0.7.6.

The chain has N - 3 constraints, so with the 3 public-input rows (constant, x_0, x_N) the QAP
domain is exactly N = 2^k for both provers. Each zkcc size runs in a fresh subprocess so its peak
RSS is its own. snarkjs runs when found (.snarkjs/node_modules/.bin/snarkjs, from
`npm install --prefix .snarkjs snarkjs@0.7.6`) with a .ptau from ../shared/ptau big enough.
Prints a table and writes bench/results/groth16.json. zkcc's prove uses a forked worker process
on a multi-core machine (`ZKCC_GROTH16_WORKERS=1` for one process); snarkjs uses its threads.

    .venv/bin/python bench/groth16.py [--log-sizes 12 14 16] [--no-snarkjs]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PTAU_DIR = ROOT.parent / "shared" / "ptau"  # the project's shared files, beside the checkout
PTAUS = {13: PTAU_DIR / "pot13_test.ptau", 15: PTAU_DIR / "pot15_test.ptau"}


def chain(n: int, c: int = 7):
    from zkcc.backends.groth16.curve import R
    from zkcc.backends.groth16.r1cs import R1CS, Sparse

    steps = n - 3
    # wires: 0 one, 1 x_0, 2 x_N, 3.. x_1 .. x_{N-1}
    wire = np.r_[1, np.arange(3, 3 + steps - 1), 2]  # wire of x_i, i = 0..N
    i = np.arange(steps)
    ones = np.ones(steps, dtype=object)
    a = Sparse.build(i, wire[:-1], ones)
    b = Sparse.build(i, wire[:-1], ones)
    cm = Sparse.build(
        np.r_[i, i],
        np.r_[wire[1:], np.zeros(steps, np.int64)],
        np.r_[ones, np.full(steps, R - c, dtype=object)],
    )
    r1cs = R1CS(steps + 2, 2, steps, a, b, cm)
    xs = [3]
    for _ in range(steps):
        xs.append((xs[-1] * xs[-1] + c) % R)
    w = np.zeros(steps + 2, dtype=object)
    w[0] = 1
    w[wire] = xs
    return r1cs, w


def run_zkcc(log_n: int) -> dict:
    from zkcc.backends.groth16 import prove, setup, verify
    from zkcc.backends.groth16.workers import default_workers

    r1cs, w = chain(1 << log_n)
    t0 = time.perf_counter()
    pk, vk = setup(r1cs)
    t1 = time.perf_counter()
    proof = prove(pk, r1cs, w)
    t2 = time.perf_counter()
    ok = verify(vk, [int(w[1]), int(w[2])], proof)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the prover's forked worker (prover.py), if any; it shares the key copy-on-write
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "setup_s": t1 - t0,
        "prove_s": t2 - t1,
        "verify_s": t3 - t2,
        "ok": ok,
        "peak_mb": peak,
        "worker_peak_mb": worker,
        "workers": default_workers(),
        "constraints": r1cs.num_constraints,
    }


def snarkjs_bin():
    p = ROOT / ".snarkjs/node_modules/.bin/snarkjs"
    return str(p) if p.exists() and shutil.which("node") else None


def timed(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of a command, via /usr/bin/time -v when present."""
    tv = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    t = time.perf_counter()
    res = subprocess.run(tv + cmd, capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return dt, (int(m.group(1)) / 1024 if m else float("nan"))


def run_snarkjs(log_n: int, sj: str) -> dict | None:
    from zkcc.backends.groth16 import iden3

    ptau = next((p for k, p in sorted(PTAUS.items()) if k >= log_n and p.exists()), None)
    if ptau is None:
        return {"skipped": f"no .ptau of power >= {log_n} in {PTAU_DIR}"}
    r1cs, w = chain(1 << log_n)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)
        (p / "c.r1cs").write_bytes(iden3.write_r1cs(r1cs))
        (p / "c.wtns").write_bytes(iden3.write_wtns(w))
        s = [
            str(p / f) for f in ("c.r1cs", "c.zkey", "c.wtns", "vk.json", "proof.json", "pub.json")
        ]
        setup_s, _ = timed([sj, "groth16", "setup", s[0], str(ptau), s[1]])
        subprocess.run(
            [sj, "zkey", "export", "verificationkey", s[1], s[3]], check=True, capture_output=True
        )
        prove_s, prove_mb = timed([sj, "groth16", "prove", s[1], s[2], s[4], s[5]])
        verify_s, _ = timed([sj, "groth16", "verify", s[3], s[5], s[4]])
    return {
        "setup_s": setup_s,
        "prove_s": prove_s,
        "verify_s": verify_s,
        "peak_mb": prove_mb,
        "ptau": ptau.name,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log-sizes", type=int, nargs="+", default=[12, 14, 16])
    ap.add_argument("--no-snarkjs", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(run_zkcc(args.child)))
        return
    from zkcc.backends.groth16.fastint import HAVE_GMPY2

    sj = None if args.no_snarkjs else snarkjs_bin()
    rows = []
    for k in args.log_sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(k)],
            capture_output=True,
            text=True,
            check=True,
        )
        z = json.loads(out.stdout.strip().splitlines()[-1])
        s = run_snarkjs(k, sj) if sj else {"skipped": "snarkjs not found"}
        rows.append({"log_n": k, "zkcc": z, "snarkjs": s})
        fmt = lambda d, key: f"{d[key]:8.2f}" if key in d else "       -"  # noqa: E731
        print(
            f"2^{k}: zkcc setup {fmt(z, 'setup_s')} prove {fmt(z, 'prove_s')} verify "
            f"{fmt(z, 'verify_s')} peak {z['peak_mb']:.0f} MB (worker "
            f"{z['worker_peak_mb']:.0f} MB, {z['workers']} processes) ok={z['ok']} | snarkjs setup "
            f"{fmt(s, 'setup_s')} prove {fmt(s, 'prove_s')} verify {fmt(s, 'verify_s')} "
            f"peak {s.get('peak_mb', float('nan')):.0f} MB {s.get('skipped', '')}",
            flush=True,
        )
    res = ROOT / "bench/results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "groth16.json").write_text(json.dumps({"gmpy2": HAVE_GMPY2, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
