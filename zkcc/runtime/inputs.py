"""Reading program inputs: JSON (nested lists of ints, negative ints or decimal strings) or .npz.

Every input tensor of the plan must be given exactly once with exactly its shape; values must
lie in (-p, p) and are reduced into [0, p). Errors name the file, the tensor and the position.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from zkcc.errors import UserError
from zkcc.ir.host import Program, TensorKind

INPUT_KINDS = (TensorKind.PUBLIC_IN, TensorKind.PRIVATE_IN)


def _element(v, p: int, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise UserError(f"{where}: expected an integer or a decimal string, got {json.dumps(v)}")
    if isinstance(v, str):
        text = v.strip()
        body = text[1:] if text[:1] in "+-" else text
        if not body.isdigit() or len(body) > 200:
            raise UserError(f"{where}: {v!r} is not a decimal integer")
        v = int(text)
    if not -p < v < p:
        raise UserError(f"{where}: value {v} is outside the field (|v| must be below p = {p})")
    return v % p


def _flatten(value, shape: tuple[int, ...], p: int, where: str, out: list[int]) -> None:
    if not shape:
        out.append(_element(value, p, where))
        return
    if not isinstance(value, list) or len(value) != shape[0]:
        got = f"a list of {len(value)}" if isinstance(value, list) else json.dumps(value)[:40]
        raise UserError(f"{where}: expected a list of {shape[0]} items, got {got}")
    for i, item in enumerate(value):
        _flatten(item, shape[1:], p, f"{where}[{i}]", out)


def load_inputs(path: str | Path, program: Program, F) -> dict[str, np.ndarray]:
    """Input tensor name -> flat field array (row-major)."""
    path = Path(path)
    wanted = {t.name: t for t in program.host.tensors if t.kind in INPUT_KINDS}
    try:
        raw = _read_npz(path) if path.suffix == ".npz" else _read_json(path)
    except OSError as e:
        raise UserError(f"{path}: cannot read inputs: {e.strerror or e}") from None
    missing = sorted(set(wanted) - set(raw))
    extra = sorted(set(raw) - set(wanted))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing inputs {missing}")
        if extra:
            parts.append(f"unknown names {extra} (inputs are {sorted(wanted)})")
        raise UserError(f"{path}: " + "; ".join(parts))
    out = {}
    for name, t in wanted.items():
        flat: list[int] = []
        value = raw[name]
        if isinstance(value, np.ndarray):
            if value.shape != t.shape:
                raise UserError(
                    f"{path}: {name}: shape {list(value.shape)}, expected {list(t.shape)}"
                )
            if value.dtype.kind not in "iu":
                raise UserError(f"{path}: {name}: integer array expected, got dtype {value.dtype}")
            out[name] = F.array(value.reshape(-1))  # reduced mod p, negatives included
            continue
        _flatten(value, t.shape, F.p, f"{path}: {name}", flat)
        out[name] = F.array(flat)
    return out


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object mapping input names to values")
    return data


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, zipfile.BadZipFile) as e:
        raise UserError(f"{path}: not a valid .npz file: {e}") from None


def inputs_digest(F, values: dict[str, np.ndarray]) -> bytes:
    """SHA-256 of the inputs' canonical encoding, name by name: what MPI ranks compare to be
    sure they prove the same statement."""
    h = hashlib.sha256()
    for name in sorted(values):
        raw = F.encode(values[name])
        h.update(len(name).to_bytes(4, "little") + name.encode() + len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.digest()
