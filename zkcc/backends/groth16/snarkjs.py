"""snarkjs JSON: verification_key.json, proof.json, public.json (Groth16, curve "bn128").

Points are projective triples of decimal strings: G1 [x, y, "1"], G2 [[x0, x1], [y0, y1],
["1", "0"]] with x = x0 + x1 u; the point at infinity is ["0", "1", "0"] (G2 likewise). Import
parses with bounds checks (FormatError on anything malformed); curve and subgroup membership
are left to `verifier.verify`, which checks every point.
"""

from __future__ import annotations

import json
from typing import Any

from zkcc.backends.groth16.curve import QI, R, _f2mul
from zkcc.backends.groth16.prover import Proof
from zkcc.backends.groth16.setup import VerifyingKey
from zkcc.errors import FormatError

MAX_PUBLIC = 1 << 24


def g1_json(p) -> list[str]:
    return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]


def g2_json(p) -> list[list[str]]:
    if p is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    return [[str(p[0][0]), str(p[0][1])], [str(p[1][0]), str(p[1][1])], ["1", "0"]]


def vk_json(vk: VerifyingKey) -> dict[str, Any]:
    return {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.num_public,
        "vk_alpha_1": g1_json(vk.alpha_g1),
        "vk_beta_2": g2_json(vk.beta_g2),
        "vk_gamma_2": g2_json(vk.gamma_g2),
        "vk_delta_2": g2_json(vk.delta_g2),
        "IC": [g1_json(p) for p in vk.ic],
    }


def proof_json(proof: Proof) -> dict[str, Any]:
    return {
        "pi_a": g1_json(proof.a),
        "pi_b": g2_json(proof.b),
        "pi_c": g1_json(proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    }


def public_json(values) -> list[str]:
    return [str(int(v)) for v in values]


# -- import ---------------------------------------------------------------------------------
def _num(v, what: str, bound: int) -> int:
    if not isinstance(v, str) or not v.isdigit() or len(v) > 80:
        raise FormatError(f"snarkjs: {what} is not a decimal string")
    x = int(v)
    if x >= bound:
        raise FormatError(f"snarkjs: {what} is not reduced")
    return x


def _fp(v, what):
    return _num(v, what, QI)


def parse_g1(v, what: str):
    if not isinstance(v, list) or len(v) != 3:
        raise FormatError(f"snarkjs: {what} is not a G1 point [x, y, z]")
    x, y, z = (_fp(c, what) for c in v)
    if z == 0:
        return None
    zi = pow(z, -1, QI)
    return (x * zi * zi % QI, y * zi * zi * zi % QI) if z != 1 else (x, y)


def parse_g2(v, what: str):
    if not isinstance(v, list) or len(v) != 3 or not all(isinstance(c, list) for c in v):
        raise FormatError(f"snarkjs: {what} is not a G2 point [[x0, x1], [y0, y1], [z0, z1]]")
    coords = []
    for c in v:
        if len(c) != 2:
            raise FormatError(f"snarkjs: {what} has a coordinate that is not in F_q2")
        coords.append((_fp(c[0], what), _fp(c[1], what)))
    x, y, z = coords
    if z == (0, 0):
        return None
    if z != (1, 0):  # Jacobian, as snarkjs writes after its own arithmetic
        n = pow((z[0] * z[0] + z[1] * z[1]) % QI, -1, QI)
        zi = (z[0] * n % QI, -z[1] * n % QI)
        zi2 = _f2mul(zi, zi)
        x, y = _f2mul(x, zi2), _f2mul(y, _f2mul(zi2, zi))
    return (x, y)


def _obj(data, what: str) -> dict:
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise FormatError(f"snarkjs: {what} is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise FormatError(f"snarkjs: {what} is not a JSON object")
    return data


def _get(d: dict, key: str, what: str):
    if key not in d:
        raise FormatError(f"snarkjs: {what} has no field {key!r}")
    return d[key]


def vk_from_json(data) -> VerifyingKey:
    d = _obj(data, "verification key")
    if d.get("protocol") != "groth16" or d.get("curve") not in ("bn128", "bn254"):
        raise FormatError("snarkjs: verification key is not groth16 over bn128")
    ic = _get(d, "IC", "verification key")
    if not isinstance(ic, list) or not 1 <= len(ic) <= MAX_PUBLIC + 1:
        raise FormatError("snarkjs: IC is not a non-empty list")
    n_public = d.get("nPublic", len(ic) - 1)
    if n_public != len(ic) - 1:
        raise FormatError(f"snarkjs: nPublic {n_public} but {len(ic)} IC points")
    return VerifyingKey(
        parse_g1(_get(d, "vk_alpha_1", "vk"), "vk_alpha_1"),
        parse_g2(_get(d, "vk_beta_2", "vk"), "vk_beta_2"),
        parse_g2(_get(d, "vk_gamma_2", "vk"), "vk_gamma_2"),
        parse_g2(_get(d, "vk_delta_2", "vk"), "vk_delta_2"),
        [parse_g1(p, f"IC[{i}]") for i, p in enumerate(ic)],
    )


def proof_from_json(data) -> Proof:
    d = _obj(data, "proof")
    if d.get("protocol", "groth16") != "groth16":
        raise FormatError("snarkjs: proof is not groth16")
    return Proof(
        parse_g1(_get(d, "pi_a", "proof"), "pi_a"),
        parse_g2(_get(d, "pi_b", "proof"), "pi_b"),
        parse_g1(_get(d, "pi_c", "proof"), "pi_c"),
    )


def public_from_json(data) -> list[int]:
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise FormatError(f"snarkjs: public values are not JSON: {e}") from None
    if not isinstance(data, list) or len(data) > MAX_PUBLIC:
        raise FormatError("snarkjs: public values are not a list")
    return [_num(v, f"public[{i}]", R) for i, v in enumerate(data)]
