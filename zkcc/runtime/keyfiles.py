"""`zkcc setup`: Groth16 keys for every Groth16 launch of a plan, in two files.

    prog.zkpk  magic "ZKPK"   {plan_digest, launches: [{step, key: proving key tree}]}
    prog.zkvk  magic "ZKVK"   {plan_digest, launches: [{step, key: verifying key tree}]}

The key trees are zkcc/backends/groth16/keys.py's. Keys are circuit-specific: a launch's R1CS
depends on the kernel, the instance count and which params are public or committed, all fixed
by the plan, so the files are bound to the plan digest and refused for any other plan.
`verify` needs only the .zkvk. Toxic waste lives only inside the backend's setup function.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zkcc.backends.groth16 import keys as key_format
from zkcc.backends.groth16 import setup, setup_from_ptau
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError, UserError
from zkcc.runtime.groth16_launch import build_launch_circuit, groth16_steps

PK_MAGIC, VK_MAGIC, VERSION = b"ZKPK", b"ZKVK", 2  # 2: proving keys carry the blinding of D
PK_SUFFIX, VK_SUFFIX = ".zkpk", ".zkvk"


def default_key_path(plan_path: str | Path, suffix: str) -> Path:
    return Path(plan_path).with_suffix(suffix)


def setup_plan(plan, ptau: str | Path | None = None, progress: Callable | None = None):
    """({step: ProvingKey}, {step: VerifyingKey}) for every Groth16 launch of `plan`."""
    say = progress or (lambda _msg: None)
    program = plan.program
    pks, vks = {}, {}
    for i in groth16_steps(plan):
        lc = build_launch_circuit(program, i)
        s = lc.size
        say(
            f"setup: launch {i} {lc.boundary.kernel}<<<{lc.boundary.count}>>> "
            f"({s['constraints']} constraints, {s['wires']} wires, {s['public_inputs']} public, "
            f"{s['committed_wires']} committed)"
        )
        if ptau is not None:
            pks[i], vks[i] = setup_from_ptau(lc.r1cs, ptau, committed=lc.committed)
        else:
            pks[i], vks[i] = setup(lc.r1cs, committed=lc.committed)
    return pks, vks


def keys_to_bytes(magic: bytes, digest: bytes, keys: dict) -> bytes:
    to_tree = key_format.pk_to_tree if magic == PK_MAGIC else key_format.vk_to_tree
    launches = [{"step": i, "key": to_tree(k)} for i, k in sorted(keys.items())]
    return encode(magic, VERSION, {"plan_digest": digest, "launches": launches})


def keys_from_bytes(data: bytes, magic: bytes, plan, digest: bytes, what: str) -> dict:
    """Keys by step index; refuses keys made for another plan or not covering its launches."""
    kind = "proving" if magic == PK_MAGIC else "verifying"
    _, tree = decode(data, magic, VERSION, f"{what} ({kind} keys)")
    s = Schema(tree, what)
    s.dict({"plan_digest", "launches"})
    theirs = s.field("plan_digest").bytes(length=32)
    if theirs != digest:
        raise UserError(
            f"{what}: these {kind} keys were made for another plan (their plan digest "
            f"{theirs.hex()[:16]}..., this plan's {digest.hex()[:16]}...); run `zkcc setup` "
            "on this plan"
        )
    from_tree = key_format.pk_from_tree if magic == PK_MAGIC else key_format.vk_from_tree
    out = {}
    for ls in s.field("launches").list(0, 1 << 20):
        ls.dict({"step", "key"})
        i = ls.field("step").int(0, 1 << 32)
        if i in out:
            raise FormatError(f"{ls.path}: launch {i} appears twice")
        out[i] = from_tree(ls.field("key"))
    want = groth16_steps(plan)
    if sorted(out) != want:
        raise FormatError(
            f"{what}: keys for launches {sorted(out)}, the plan's Groth16 launches are {want}"
        )
    return out
