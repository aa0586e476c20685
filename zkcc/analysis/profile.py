"""The machine profile the cost model multiplies its operation counts by, and `calibrate`.

Machines differ several-fold on the same numpy loop (DESIGN.md, "Measured limits"), so the
cost model (zkcc/analysis/costmodel.py) never hard-codes a speed: it counts the primitive
operations a proof performs and multiplies them by this profile's seconds per operation.
`zkcc calibrate` measures the rates on the machine itself by timing the very functions the
prover calls (field and extension multiplies, a whole sumcheck, the tensor code's encoder,
SHA-256 leaf hashing, MSMs, pairings), each for a fraction of a second, and stores them in
the user's cache directory. Defaults measured on the project's 2-core development machine
ship with the package; a missing, corrupt or stale profile (written by another zkcc version
or on another machine: hostname, CPU model and core count) falls back to them with a note, as
does a file that is not a profile calibrate could have written (not a regular file, over
MAX_PROFILE_BYTES, nested JSON, a rate or base memory out of range): an estimate must never
fail, hang or mislead because of what lies in the cache directory.

Every rate is seconds per unit; the unit is in RATE_UNITS.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zkcc.errors import UserError
from zkcc.fileio import check_writable, read_bytes, write_atomic

FORMAT = 1  # of profile.json
ZKCC_VERSION = "0.1.0"

RATE_UNITS = {
    "{f}.mul": "base-field multiply, numpy, per element",
    "{f}.ext_mul": "challenge-field (extension) multiply, per element",
    "{f}.call": "fixed cost of one vectorised extension operation (numpy call overhead)",
    "{f}.scalar": "one operation on two extension scalars (a masked round's arithmetic)",
    "{f}.sumcheck_point": "one whole sumcheck (all rounds) per point of its tables",
    "{f}.sumcheck_round": "fixed cost of one prover sumcheck round (transcript, interpolation)",
    "{f}.verify_round": "one verifier sumcheck round",
    "{f}.encode": "tensor-code encoding (circle code / RS), per code symbol",
    "sha256.byte": "SHA-256 of Merkle leaves, per byte",
    "sha256.call": "one hashlib call (a 64-byte node or a leaf's fixed cost)",
    "bn254.g1_msm_point": "G1 multi-scalar multiplication per point (256 points)",
    "bn254.g2_msm_point": "G2 multi-scalar multiplication per point (256 points)",
    "bn254.g1_mul": "one G1 scalar multiplication",
    "bn254.g2_mul": "one G2 scalar multiplication",
    "bn254.miller": "one Miller loop with a prepared G2 point",
    "bn254.final_exp": "one final exponentiation",
    "bn254.prepare_g2": "line coefficients of one G2 point",
    "bn254.g2_subgroup": "one G2 subgroup check",
}
FIELDS = ("m31", "bn254")

# Measured with `zkcc calibrate` on the project's 2-core development machine (Xeon-class).
DEFAULT_RATES: dict[str, float] = {
    "bn254.call": 6.24e-06,
    "bn254.scalar": 3.6e-06,
    "bn254.encode": 2.65e-06,
    "bn254.ext_mul": 7.31e-07,
    "bn254.final_exp": 0.0433,
    "bn254.g1_msm_point": 0.000223,
    "bn254.g1_mul": 0.00331,
    "bn254.g2_msm_point": 0.000639,
    "bn254.g2_mul": 0.0167,
    "bn254.g2_subgroup": 0.0121,
    "bn254.miller": 0.00396,
    "bn254.mul": 7.25e-07,
    "bn254.prepare_g2": 0.00453,
    "bn254.sumcheck_point": 4.21e-06,
    "bn254.sumcheck_round": 0.000355,
    "bn254.verify_round": 0.000154,
    "m31.call": 0.000113,
    "m31.scalar": 3.3e-06,
    "m31.encode": 3.73e-08,
    "m31.ext_mul": 6.41e-08,
    "m31.mul": 3.74e-09,
    "m31.sumcheck_point": 3.41e-07,
    "m31.sumcheck_round": 0.000821,
    "m31.verify_round": 0.000188,
    "sha256.byte": 8.51e-10,
    "sha256.call": 6.54e-07,
}
DEFAULT_BASE_RSS = 40 << 20  # a prover process before its first tensor: interpreter, numpy

# What load_profile accepts. A profile is about 1.3 KB nested 2 deep; the rate bounds are 1e-13
# to 1e3 seconds per operation (calibrate stores at least 1e-12), the base memory 1 MiB to
# 1 TiB: a number outside them is a damaged or hand-made file, and would give estimates such
# as a negative peak memory.
MAX_PROFILE_BYTES = 64 << 10
MAX_PROFILE_DEPTH = 4
RATE_RANGE = (1e-13, 1e3)
BASE_RSS_RANGE = (1 << 20, 1 << 40)


@dataclass
class Profile:
    """Seconds per primitive operation (RATE_UNITS) and the prover's resident memory before
    any work (`base_rss`), with where they came from: "calibrated" or "defaults"."""

    rates: dict[str, float]
    base_rss: int
    source: str = "defaults"
    machine: dict[str, str | int] = field(default_factory=dict)
    zkcc_version: str = ZKCC_VERSION
    created: float = 0.0
    note: str | None = None  # why the defaults are used, when a profile was expected

    def rate(self, key: str) -> float:
        """A rate by name; a key the stored profile lacks (an older calibrate) falls back
        to the default, so an estimate never fails for want of one number."""
        return self.rates.get(key, DEFAULT_RATES[key])

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "zkcc_version": self.zkcc_version,
            "machine": self.machine,
            "created": self.created,
            "base_rss": self.base_rss,
            "rates": self.rates,
        }


def default_profile(note: str | None = None) -> Profile:
    return Profile(dict(DEFAULT_RATES), DEFAULT_BASE_RSS, "defaults", machine_id(), note=note)


def machine_id() -> dict[str, str | int]:
    """What makes a stored profile this machine's: hostname, CPU model, core count."""
    return {"host": socket.gethostname(), "cpu": _cpu_model(), "cores": os.cpu_count() or 1}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def profile_path() -> Path | None:
    """$XDG_CACHE_HOME/zkcc/profile.json, else ~/.cache/zkcc/profile.json; None when there is
    no home directory either (HOME unset for a user without a passwd entry, or HOME="~x"),
    which Path.home() reports as a RuntimeError that must not end a prove or compile."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):
            return None
    return Path(base) / "zkcc" / "profile.json"


def load_profile(path: str | Path | None = None) -> Profile:
    """The calibrated profile at `path` (default: profile_path()), or the defaults with a
    one-line note saying why (no home directory, missing, unreadable, too large, corrupt,
    stale). Never raises for a bad file: an estimate with default rates is still useful, and
    `zkcc calibrate` fixes it. The file is read only if it is a regular file of at most
    MAX_PROFILE_BYTES, so a FIFO, /dev/zero or a huge file costs nothing."""
    p = Path(path) if path is not None else profile_path()
    hint = "run `zkcc calibrate`"
    if p is None:
        return default_profile(
            "no home directory to find the machine profile in: default rates (set XDG_CACHE_HOME)"
        )
    try:
        raw = read_bytes(p, "machine profile", MAX_PROFILE_BYTES)
    except UserError as e:
        if not os.path.lexists(p):
            return default_profile(f"no machine profile at {p}: default rates ({hint})")
        return default_profile(f"{e}: default rates ({hint})")
    try:
        stored = _decode(raw)
    except ValueError:
        return default_profile(f"machine profile {p} is corrupt: default rates ({hint})")
    if stored.zkcc_version != ZKCC_VERSION:
        return default_profile(
            f"machine profile {p} is from zkcc {stored.zkcc_version}, not {ZKCC_VERSION}: "
            f"default rates ({hint})"
        )
    machine = stored.machine
    if machine != machine_id():
        return default_profile(
            f"machine profile {p} was measured on another machine "
            f"({machine.get('host')}, {machine.get('cores')} cores): default rates ({hint})"
        )
    return stored


def _decode(raw: bytes) -> Profile:
    """The profile that `raw` holds, checked to be one calibrate could have written; a
    ValueError (JSON's errors are ValueErrors too) when it is not."""
    from zkcc.runtime.inputs import json_deeper_than

    text = raw.decode("utf-8")  # a UnicodeDecodeError is a ValueError
    if json_deeper_than(text, MAX_PROFILE_DEPTH):
        raise ValueError("nested too deep")
    tree = json.loads(text)
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise ValueError("unknown format")
    rates, base_rss = tree.get("rates"), tree.get("base_rss")
    machine, version = tree.get("machine"), tree.get("zkcc_version")
    created = tree.get("created", 0.0)
    if not (
        isinstance(rates, dict)
        and all(_number_in(v, *RATE_RANGE) for v in rates.values())
        and _number_in(base_rss, *BASE_RSS_RANGE)
        and isinstance(base_rss, int)
        and isinstance(machine, dict)
        and isinstance(version, str)
        and _number_in(created, 0.0, math.inf)
    ):
        raise ValueError("a field is missing or out of range")
    rates = {k: float(v) for k, v in rates.items()}
    return Profile(rates, base_rss, "calibrated", machine, version, float(created))


def _number_in(v: object, low: float, high: float) -> bool:
    """`v` is a JSON number within [low, high]. true and false are refused although Python
    counts them as ints; NaN fails both comparisons, and infinity the upper one."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high


def profile_target(output: str | Path | None = None) -> Path:
    """Where a profile is to be written, checked before calibrate spends seconds measuring:
    `output` as given (its directory must exist, as for every zkcc output), else
    profile_path(), whose two directories (.cache/zkcc, or zkcc under $XDG_CACHE_HOME) are
    created if missing, but nothing above them. A UserError names what cannot be written."""
    if output is not None:
        p = Path(output)
    else:
        found = profile_path()
        if found is None:
            raise UserError(
                "no home directory to write the machine profile to (~/.cache/zkcc/profile.json):"
                " use -o FILE or set XDG_CACHE_HOME"
            )
        p = found
        for directory in (p.parent.parent, p.parent):
            try:
                directory.mkdir(exist_ok=True)
            except OSError as e:
                why = "not a directory" if isinstance(e, FileExistsError) else e.strerror or e
                raise UserError(
                    f"{directory}: cannot create the machine profile's directory: {why} "
                    "(use -o FILE or set XDG_CACHE_HOME)"
                ) from None
    check_writable(p)
    return p


def save_profile(profile: Profile, path: str | Path | None = None) -> Path:
    """Write the profile atomically (a reader never sees half a file) to `path`, else to
    profile_target()."""
    p = Path(path) if path is not None else profile_target()
    write_atomic(p, (json.dumps(profile.to_json(), indent=1, sort_keys=True) + "\n").encode())
    return p


# ---- calibrate ------------------------------------------------------------------------------
def _best(fn: Callable[[], object], budget: float, reps: int = 7) -> float:
    """The least time of up to `reps` calls within about `budget` seconds (the least is
    the least disturbed by other work on a shared machine)."""
    best = math.inf
    start = time.perf_counter()
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        if time.perf_counter() - start > budget:
            break
    return best


def _field_rates(name: str, quick: bool, budget: float) -> dict[str, float]:
    """Rates of one field's primitives, timed on the prover's own functions."""
    import numpy as np

    from zkcc.backends.gkr.sumcheck import SumcheckProver, SumcheckVerifier
    from zkcc.field import get_field
    from zkcc.pcs import codes
    from zkcc.pcs.ligero_params import RATE_LOG
    from zkcc.transcript import Transcript

    F = get_field(name)
    E = F.ext
    rng = np.random.default_rng(1)
    big = (14 if quick else 16) if name == "m31" else (9 if quick else 11)
    n = 1 << big

    def rand(shape) -> object:
        """Uniform field elements: bn254 products cost with the size of their operands, so
        small integers would measure a rate several times too fast."""
        count = math.prod(shape) if isinstance(shape, tuple) else shape
        ints = [
            int(x) % F.p
            for x in rng.integers(0, 1 << 62, size=(count, 5)).tolist()
            for x in [x[0] | x[1] << 62 | x[2] << 124 | x[3] << 186 | x[4] << 248]
        ]
        return F.array(np.array(ints, dtype=object).reshape(shape))

    a, b = rand(n), rand(n)
    ea, eb = rand((E.degree, n)), rand((E.degree, n))
    out: dict[str, float] = {}
    out[f"{name}.mul"] = _best(lambda: F.mul(a, b), budget) / n
    one_a, one_e = a[:1], ea[:, :1]
    out[f"{name}.call"] = _best(lambda: [E.mul(one_e, one_e) for _ in range(100)], budget) / 100
    sx, sy = ea[:, 0], eb[:, 0]
    out[f"{name}.scalar"] = (
        _best(lambda: [(E.mul(sx, sy), E.add(sx, sy)) for _ in range(100)], budget) / 200
    )
    del one_a
    out[f"{name}.ext_mul"] = _best(lambda: E.mul(ea, eb), budget) / n

    def sumcheck(f, g):
        claim = E.sum(E.mul(E.from_base(f), g))
        res = SumcheckProver(F, Transcript(b"calibrate"), "s").prove(f, g, claim)
        return claim, res.proof

    small_f, small_g = rand(4), rand((E.degree, 4))
    t_small = _best(lambda: sumcheck(small_f, small_g), budget)
    t_big = _best(lambda: sumcheck(a, eb), budget, reps=3)
    out[f"{name}.sumcheck_round"] = t_small / 2
    out[f"{name}.sumcheck_point"] = max(t_big - big * out[f"{name}.sumcheck_round"], 0.0) / n
    claim, proof = sumcheck(small_f, small_g)

    def verify() -> None:
        SumcheckVerifier(F, Transcript(b"calibrate"), "s").verify(claim, proof, 2, "calibrate")

    out[f"{name}.verify_round"] = _best(verify, budget) / 2
    rows, cols = (16, 1 << (big - 4)) if name == "m31" else (4, 1 << (big - 2))
    M = rand((rows, cols))
    t = _best(lambda: codes.encode_rows(F, M, RATE_LOG), budget)
    out[f"{name}.encode"] = t / (rows * (cols << RATE_LOG))
    return out


def _hash_rates(quick: bool, budget: float) -> dict[str, float]:
    import numpy as np

    from zkcc.pcs.merkle_tree import hash_leaves

    leaves = np.zeros((256 if quick else 1024, 4096), dtype=np.uint8)
    small = np.zeros((4096, 64), dtype=np.uint8)
    t_small = _best(lambda: hash_leaves(b"c", small), budget) / small.shape[0]
    t_big = _best(lambda: hash_leaves(b"c", leaves), budget) / leaves.shape[0]
    return {"sha256.call": t_small, "sha256.byte": max(t_big - t_small, 1e-12) / 4096}


def _curve_rates(quick: bool, budget: float) -> dict[str, float]:
    from zkcc.backends.groth16 import pairing
    from zkcc.backends.groth16.curve import (
        G1,
        G1_GEN,
        G2,
        G2_GEN,
        R,
        g1_add,
        g1_mul,
        g2_add,
        g2_mul,
    )
    from zkcc.backends.groth16.msm import msm

    n1 = n2 = 64 if quick else 256
    p1, p2 = [G1_GEN], [G2_GEN]
    for _ in range(n1 - 1):
        p1.append(g1_add(p1[-1], G1_GEN))
    for _ in range(n2 - 1):
        p2.append(g2_add(p2[-1], G2_GEN))
    k = [(7**i * 0x9E3779B97F4A7C15 + i) % R for i in range(n1)]
    b1, b2 = G1.to_batch(p1), G2.to_batch(p2)
    reps = 2 if quick else 3
    out = {
        "bn254.g1_msm_point": _best(lambda: msm(G1, b1, k), budget, reps) / n1,
        "bn254.g2_msm_point": _best(lambda: msm(G2, b2, k[:n2]), budget, reps) / n2,
        "bn254.g1_mul": _best(lambda: g1_mul(G1_GEN, k[1]), budget, reps),
        "bn254.g2_mul": _best(lambda: g2_mul(G2_GEN, k[1]), budget, reps),
        "bn254.prepare_g2": _best(lambda: pairing.prepare_g2(G2_GEN), budget, reps),
        "bn254.g2_subgroup": _best(lambda: pairing.in_subgroup_g2(G2_GEN), budget, reps),
    }
    prep = pairing.prepare_g2(G2_GEN)
    out["bn254.miller"] = _best(lambda: pairing.multi_miller([(G1_GEN, prep)]), budget, reps)
    f = pairing.multi_miller([(G1_GEN, prep)])
    out["bn254.final_exp"] = _best(lambda: pairing.final_exponentiate(f), budget, reps)
    return out


def calibrate(quick: bool = False, progress: Callable[[str], None] | None = None) -> Profile:
    """Measure every rate of RATE_UNITS on this machine: about 15 s, `quick` about 3 s (for
    tests; smaller sizes, so per-element rates carry more fixed cost). The base memory is
    this process's peak RSS once the prover's modules are imported, which is what a
    `zkcc prove` process holds before its first tensor."""
    from zkcc.runtime import prover as _prover  # noqa: F401  (what a prover process imports)
    from zkcc.runtime.report import peak_rss_bytes

    base_rss = peak_rss_bytes() or DEFAULT_BASE_RSS
    budget = 0.15 if quick else 1.0
    rates: dict[str, float] = {}
    for name in FIELDS:
        if progress:
            progress(f"field {name}")
        rates.update(_field_rates(name, quick, budget))
    if progress:
        progress("sha256")
    rates.update(_hash_rates(quick, budget))
    if progress:
        progress("bn254 curve")
    rates.update(_curve_rates(quick, budget))
    rates = {k: max(v, 1e-12) for k, v in rates.items()}
    return Profile(rates, base_rss, "calibrated", machine_id(), ZKCC_VERSION, time.time())
