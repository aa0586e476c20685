"""`zkcc setup`: Groth16 keys for every Groth16 launch of a plan, in two files; their provenance.

    prog.zkpk  magic "ZKPK" version 3  {plan_digest: 32 bytes, launches: [{step, key}]}
    prog.zkvk  magic "ZKVK" version 3  {plan_digest: 32 bytes, launches: [{step, key}]}

`key` is a proving (.zkpk) or verifying (.zkvk) key tree of zkcc/backends/groth16/keys.py, which
documents the fields; `step` is the launch's host step index, each Groth16 launch of the plan
exactly once, in increasing order. Keys made from a powers-of-tau file carry their phase-2
contribution chain (keys.py `contributions`; phase2.py) in both files, so that `zkcc setup
verify` can check a .zkvk alone; a .zkpk also holds its verifying key's points, so a
contribution (`contribute_plan`) needs only the .zkpk and writes both files again. Version 3
added the chain and the verifying points in the .zkpk; older files are refused with a message.

Keys are circuit-specific: a launch's R1CS depends on the kernel, the instance count and which
params are public or committed, all fixed by the plan, so the files are bound to the plan digest
and refused for any other plan; the plan digest and the step are also the context of each
contribution's proof of knowledge (`launch_context`). `verify` needs only the .zkvk. Toxic waste
lives only inside the backend's setup and contribution functions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from zkcc.backends.groth16 import keys as key_format
from zkcc.backends.groth16 import phase2, setup, setup_from_ptau
from zkcc.backends.groth16.ptau import Ptau, initial_keys
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError, ZkccError
from zkcc.runtime.groth16_launch import (
    build_launch_circuit,
    groth16_steps,
    launch_boundary,
)

PK_MAGIC, VK_MAGIC, VERSION = b"ZKPK", b"ZKVK", 3  # 3: contribution chains, vk points in the pk
PK_SUFFIX, VK_SUFFIX = ".zkpk", ".zkvk"
MAX_LAUNCHES = 1 << 20


def default_key_path(plan_path: str | Path, suffix: str) -> Path:
    return Path(plan_path).with_suffix(suffix)


def launch_context(digest: bytes, step: int) -> bytes:
    """What a launch's contribution proofs are bound to: the plan and the launch."""
    return b"zkcc plan " + digest + step.to_bytes(4, "little")


def _describe(lc) -> str:
    s = lc.size
    return (
        f"launch {lc.boundary.step} {lc.boundary.kernel}<<<{lc.boundary.count}>>> "
        f"({s['constraints']} constraints, {s['wires']} wires, {s['public_inputs']} public, "
        f"{s['committed_wires']} committed)"
    )


def setup_plan(
    plan,
    ptau: str | Path | None = None,
    progress: Callable | None = None,
    digest: bytes | None = None,
):
    """({step: ProvingKey}, {step: VerifyingKey}) for every Groth16 launch of `plan`. With a
    .ptau: the initial key and one contribution per launch, bound to `digest` (the plan's,
    computed when not given)."""
    say = progress or (lambda _msg: None)
    program = plan.program
    if ptau is not None and digest is None:
        from zkcc.plan.plan import plan_digest

        digest = plan_digest(plan.to_bytes())
    pks, vks = {}, {}
    with nullcontext() if ptau is None else Ptau.open(ptau) as pt:
        for i in groth16_steps(plan):
            lc = build_launch_circuit(program, i)
            say(f"setup: {_describe(lc)}")
            if pt is not None:
                pks[i], vks[i] = setup_from_ptau(
                    lc.r1cs, pt, committed=lc.committed, context=launch_context(digest, i)
                )
            else:
                pks[i], vks[i] = setup(lc.r1cs, committed=lc.committed)
    return pks, vks


def keys_to_bytes(magic: bytes, digest: bytes, keys: dict) -> bytes:
    to_tree = key_format.pk_to_tree if magic == PK_MAGIC else key_format.vk_to_tree
    launches = [{"step": i, "key": to_tree(k)} for i, k in sorted(keys.items())]
    return encode(magic, VERSION, {"plan_digest": digest, "launches": launches})


def _kind(magic: bytes) -> str:
    return "proving" if magic == PK_MAGIC else "verifying"


def _other_plan(kind: str, theirs: bytes, ours: bytes) -> str:
    return (
        f"these {kind} keys were made for another plan (their plan digest "
        f"{theirs.hex()[:16]}..., this plan's {ours.hex()[:16]}...)"
    )


@dataclass
class KeyFile:
    """A parsed key file, not yet matched against a plan."""

    magic: bytes
    digest: bytes
    keys: dict  # step -> ProvingKey or VerifyingKey

    @property
    def kind(self) -> str:
        return _kind(self.magic)


@dataclass
class KeyTrees:
    """A key file read up to its keys, whose points are not decoded yet: decoding checks
    every point (a Python call each), so a file is matched against the plan (`check_plan`)
    before that, and a key made for another plan or circuit, however large, costs no more
    than reading it."""

    magic: bytes
    digest: bytes
    trees: dict[int, Schema]  # step -> the key's tree
    what: str

    def check_plan(self, plan, digest: bytes, other_plan: type[ZkccError] = UserError) -> None:
        """Refuse keys made for another plan (as `other_plan`: a usage error to `verify`,
        named by the file; a verdict to `setup verify`, which names the file), not covering
        its Groth16 launches, or whose public input count (the `ic` points) or commitment
        does not fit a launch's circuit (FormatError)."""
        kind = _kind(self.magic)
        if self.digest != digest:
            why = f"{_other_plan(kind, self.digest, digest)}; run `zkcc setup` on this plan"
            raise other_plan(why if other_plan is ProofRejected else f"{self.what}: {why}")
        want = groth16_steps(plan)
        if sorted(self.trees) != want:
            raise FormatError(
                f"{self.what}: keys for launches {sorted(self.trees)}, the plan's Groth16 "
                f"launches are {want}"
            )
        for step, tree in self.trees.items():
            public, committed = key_format.tree_shape(tree, self.magic == PK_MAGIC)
            b = launch_boundary(plan.program, step)
            if public != b.num_public or committed != bool(b.committed):
                with_c = " and committed wires" if committed else ""
                raise FormatError(
                    f"{self.what}: the key for launch {step} ({b.kernel}) does not fit its "
                    f"circuit ({public} public inputs{with_c}, the circuit has {b.num_public}"
                    f"{' and committed wires' if b.committed else ''})"
                )

    def decode(self) -> KeyFile:
        from_tree = key_format.pk_from_tree if self.magic == PK_MAGIC else key_format.vk_from_tree
        return KeyFile(self.magic, self.digest, {i: from_tree(t) for i, t in self.trees.items()})


def read_key_trees(data: bytes, what: str, magic: bytes | None = None) -> KeyTrees:
    """A .zkpk or .zkvk (`magic` None: whichever it is) up to its keys' trees."""
    if magic is None:
        magic = bytes(data[:4])
        if magic not in (PK_MAGIC, VK_MAGIC):
            raise FormatError(f"{what}: not a zkcc key file (.zkpk or .zkvk)")
    kind = _kind(magic)
    version, tree = decode(data, magic, VERSION, f"{what} ({kind} keys)")
    if version != VERSION:
        raise FormatError(
            f"{what}: {kind} keys in format version {version}, from an older zkcc (this one "
            f"reads {VERSION}, with phase-2 contribution chains): run `zkcc setup` again"
        )
    s = Schema(tree, what)
    s.dict({"plan_digest", "launches"})
    digest = s.field("plan_digest").bytes(length=32)
    trees = {}
    for ls in s.field("launches").list(0, MAX_LAUNCHES):
        ls.dict({"step", "key"})
        i = ls.field("step").int(0, 1 << 32)
        if i in trees:
            raise FormatError(f"{ls.path}: launch {i} appears twice")
        trees[i] = ls.field("key")
    return KeyTrees(magic, digest, trees, what)


def read_keys(data: bytes, what: str, magic: bytes | None = None) -> KeyFile:
    """Parse a .zkpk or .zkvk (`magic` None: whichever it is), decoding every key."""
    return read_key_trees(data, what, magic).decode()


def keys_from_bytes(data: bytes, magic: bytes, plan, digest: bytes, what: str) -> dict:
    """Keys by step index; refuses keys made for another plan, not covering its launches or
    not fitting a launch's circuit (checked here, where the key file's name is known, not
    first when the proof is checked, whose errors name the proof file), before any point is
    decoded."""
    trees = read_key_trees(data, what, magic)
    trees.check_plan(plan, digest)
    return trees.decode().keys


def contribute_plan(pks: dict, digest: bytes, entropy: bytes = b"", rng=None):
    """({step: ProvingKey}, {step: VerifyingKey}, {step: contribution hash}) after one more
    phase-2 contribution to every launch's key, each with its own secrets from the OS CSPRNG
    mixed with `entropy` (phase2.EntropyRng). Keys from fresh toxic waste are refused."""
    rng = rng or phase2.EntropyRng(entropy)
    fresh = [i for i, pk in sorted(pks.items()) if pk.contributions is None]
    if fresh:
        raise UserError(
            f"launches {fresh}: the keys were made from fresh toxic waste (`zkcc setup` "
            "without --ptau) and have no contribution chain to extend; make them with "
            "`zkcc setup PLAN --ptau FILE`"
        )
    new_pks, vks, hashes = {}, {}, {}
    for i, pk in sorted(pks.items()):
        ctx = launch_context(digest, i)
        new_pks[i] = phase2.contribute(pk, ctx, rng)
        vks[i] = new_pks[i].verifying_key()
        hashes[i] = phase2.chain_state(new_pks[i], ctx)
    return new_pks, vks, hashes


@dataclass
class LaunchProvenance:
    step: int
    kernel: str
    count: int
    contributions: int
    checks: list[str]
    chain_hash: bytes  # the transcript after the last contribution (its published hash)

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "kernel": self.kernel,
            "count": self.count,
            "contributions": self.contributions,
            "checks": len(self.checks),
            "chain_hash": self.chain_hash.hex(),
        }


def verify_plan_keys(
    plan, digest: bytes, kf: KeyFile, ptau: str | Path, progress: Callable | None = None
) -> list[LaunchProvenance]:
    """Check that every Groth16 key in `kf` is derived from `ptau` and the plan's R1CS through
    valid phase-2 contributions (phase2.check_key, like `snarkjs zkey verify`). Raises
    ProofRejected naming the launch and the first failing check; FormatError for bad files."""
    say = progress or (lambda _msg: None)
    if kf.digest != digest:
        raise ProofRejected(_other_plan(kf.kind, kf.digest, digest))
    want = groth16_steps(plan)
    if sorted(kf.keys) != want:
        raise ProofRejected(
            f"keys for launches {sorted(kf.keys)}, the plan's Groth16 launches are {want}"
        )
    out = []
    with Ptau.open(ptau) as pt:
        for i in want:
            lc = build_launch_circuit(plan.program, i)
            say(f"verify: {_describe(lc)}")
            key, ctx = kf.keys[i], launch_context(digest, i)
            initial = initial_keys(lc.r1cs, pt, lc.committed)
            where = f"launch {i} {lc.boundary.kernel}<<<{lc.boundary.count}>>>"
            try:
                checks = phase2.check_key(key, initial, ctx)
            except ProofRejected as e:
                raise ProofRejected(f"{where}: {e}") from None
            except FormatError as e:
                raise FormatError(f"{where}: {e}") from None
            b, n, chain = lc.boundary, len(key.contributions), phase2.chain_state(key, ctx)
            out.append(LaunchProvenance(i, b.kernel, b.count, n, checks, chain))
    return out
