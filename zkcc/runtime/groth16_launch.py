"""Groth16 launches inside a program proof: boundary, circuit, witness, public inputs, step proofs.

A Groth16 launch proves its kernel's R1CS over all N instances (zkcc/lower/r1cs.py). Its
boundary is split by the host graph, never by the proof:

* params bound to public tensors are Groth16 public inputs, in the R1CS wire order (public
  broadcast params, then public split params instance-major), taken from the proof's public
  values, which the transcript absorbed first;
* a param bound to a private tensor that no other step touches is plain private witness
  (claims.single_use): nothing has to agree with it, so it is neither committed nor linked;
* params bound to other private tensors (private inputs, intermediates) are *committed
  wires*: the proof carries D, a Pedersen-style commitment to them and to one uniform mask
  wire mu_j per such param (with a proof of knowledge), absorbed with the tensor commitments
  before any challenge; then per such param a point r_j is drawn and the circuit evaluates
  the param's canonical padded table at r_j (zkcc/lower/r1cs_eval.py), r_j and
  u_j = T_j~(r_j) + mu_j being public inputs. The masks are also a PCS-committed tensor of
  the launch (claims.link_mask_tensor), and the PCS proves T_j~(r_j) + M[j] = u_j as a
  linked claim, which reveals neither term. See docs/groth16.md for the soundness argument.

The launch's hints stay private witness: nothing outside the launch reads them.

Step proof tree: {"a", "b", "c"} (G1, G2, G1 points, keys.py encoding), plus {"d", "pok",
"values"} when the launch commits to wires (values: u_j, one field element per committed
param).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from zkcc.encoding import Schema
from zkcc.errors import FormatError
from zkcc.ir.host import Launch, Program, resolve
from zkcc.ir.layout import padded_shape
from zkcc.plan.validate import seen_span
from zkcc.runtime.claims import (
    Claim,
    Link,
    arg_layouts,
    committed_args,
    link_mask_tensor,
    reads_private,
)
from zkcc.runtime.execute import launch_args as execute_launch_args
from zkcc.runtime.layout import TableLayout
from zkcc.runtime.tensors import TensorStore

if TYPE_CHECKING:
    from zkcc.backends.groth16.prover import Commitment, Proof
    from zkcc.lower.r1cs import KernelR1CS
    from zkcc.lower.r1cs_eval import EvalCircuit

BACKEND = "groth16"


def groth16_steps(plan) -> list[int]:
    """Indices of the host steps that the plan proves with Groth16 (the plan assigns a
    backend per launch, zkcc.analysis.assign)."""
    return [
        i
        for i, s in enumerate(plan.host.steps)
        if isinstance(s, Launch) and plan.backend(i) == BACKEND
    ]


@dataclass(frozen=True)
class Committed:
    param: int
    tensor: str
    layout: TableLayout  # the launch's view: (count, *param shape) or the broadcast shape
    # (of a slice of `tensor` when the argument is one: claims then move to the whole tensor)


@dataclass
class LaunchBoundary:
    step: int
    kernel: str
    count: int
    public: list[tuple[int, str]]  # (param index, base tensor) of params on public tensors
    committed: list[Committed]
    public_size: int  # kernel public inputs (before the evaluation points and values)
    spans: dict[int, slice] = field(default_factory=dict)  # param on a slice -> its flat part

    @property
    def num_public(self) -> int:
        return self.public_size + sum(c.layout.num_vars + 1 for c in self.committed)


def launch_boundary(program: Program, i: int) -> LaunchBoundary:
    step = program.host.steps[i]
    assert isinstance(step, Launch)
    names = resolve(program)
    kernel = program.kernels[step.kernel]
    private = reads_private(program, step.args)
    linked = committed_args(program, step.args)
    public, committed, size = [], [], 0
    layouts = arg_layouts(program, step)
    spans = {j: seen_span(program, names[a]) for j, a in enumerate(step.args) if names[a].index}
    for j, (prm, (base, layout)) in enumerate(zip(kernel.params, layouts, strict=True)):
        if not private[j]:
            public.append((j, base))
            size += prm.size * (1 if prm.broadcast else step.count)
        elif linked[j]:  # else only this launch's private witness (claims.single_use)
            committed.append(Committed(j, base, layout))
    return LaunchBoundary(i, step.kernel, step.count, public, committed, size, spans)


def wire_table(layout: TableLayout, wires: np.ndarray) -> np.ndarray:
    """Wire indices in the canonical padded table of `layout`, -1 for zero padding."""
    out = np.full(padded_shape(layout.shape), -1, dtype=np.int64)
    out[tuple(slice(0, d) for d in layout.shape)] = wires.reshape(layout.shape)
    return out.reshape(-1)


@dataclass
class LaunchCircuit:
    boundary: LaunchBoundary
    kernel: KernelR1CS
    ev: EvalCircuit

    @property
    def r1cs(self):
        return self.ev.r1cs

    @property
    def committed(self) -> np.ndarray:
        return self.ev.committed

    @cached_property
    def size(self) -> dict[str, int]:
        r = self.ev.r1cs
        return {
            "constraints": r.num_constraints,
            "wires": r.num_wires,
            "public_inputs": r.num_public,
            "committed_wires": int(self.ev.committed.size),
        }


def build_launch_circuit(program: Program, i: int) -> LaunchCircuit:
    from zkcc.field.bn254 import R
    from zkcc.lower.r1cs import build_kernel_r1cs
    from zkcc.lower.r1cs_eval import with_evaluations

    b = launch_boundary(program, i)
    kernel = program.kernels[b.kernel]
    kr = build_kernel_r1cs(kernel, b.count, {j for j, _ in b.public}, R)
    tables = []
    for c in b.committed:
        prm = kernel.params[c.param]
        tables.append(wire_table(c.layout, kr.param_wires(c.param, prm.size, prm.broadcast)))
    ev = with_evaluations(kr.r1cs, tables)
    if ev.r1cs.num_public != b.num_public:
        raise AssertionError("launch boundary and circuit disagree on the public inputs")
    return LaunchCircuit(b, kr, ev)


def launch_args(program: Program, i: int, data: TensorStore) -> list:
    """Every param's values (inputs and outputs) in the R1CS witness function's layout, of
    every instance (collective: zkcc/runtime/tensors.py)."""
    args = execute_launch_args(program, program.host.steps[i], data, outputs=True)
    return [np.asarray(a, dtype=object) for a in args]


def kernel_public_values(program: Program, b: LaunchBoundary, public: dict) -> list[int]:
    """The kernel's public inputs from the public tensors' flat values, in R1CS wire order:
    public broadcast params, then public split params instance-major."""
    kernel = program.kernels[b.kernel]
    shared, split = [], []
    for j, tensor in b.public:
        prm = kernel.params[j]
        flat = np.asarray(public[tensor], dtype=object).reshape(-1)[b.spans.get(j, slice(None))]
        if prm.broadcast:
            shared.append(flat)
        else:
            split.append(flat.reshape(b.count, prm.size))
    parts = shared + ([np.concatenate(split, axis=1).reshape(-1)] if split else [])
    if not parts:
        return []
    return [int(x) for x in np.concatenate(parts)]


def public_inputs(kernel_values: list[int], points: list[list[int]], values: list[int]):
    """All public inputs: the kernel's, then per committed param its point and value."""
    out = list(kernel_values)
    for pt, v in zip(points, values, strict=True):
        out += [int(x) for x in pt] + [int(v)]
    return out


# -- step proof trees ---------------------------------------------------------------------------
# The Groth16 backend (curve arithmetic on gmpy2, the prover, the key format) is imported on
# first use, here and in build_launch_circuit: a plan without Groth16 launches never loads
# it, where importing it cost every m31 command about 20 ms of its start-up.
def _enc(point, g2: bool = False) -> bytes:
    from zkcc.backends.groth16 import keys
    from zkcc.backends.groth16.curve import G1, G2

    return keys._enc_point(G2 if g2 else G1, point)


def _dec(raw: bytes, g2: bool = False):
    from zkcc.backends.groth16 import keys
    from zkcc.backends.groth16.curve import G1, G2

    return keys._dec_point(G2 if g2 else G1, raw)


def commitment_bytes(c: Commitment) -> bytes:
    return _enc(c.d) + _enc(c.pok)


def proof_bytes(p: Proof) -> bytes:
    return _enc(p.a) + _enc(p.b, g2=True) + _enc(p.c)


def step_to_tree(proof: Proof, commitment: Commitment | None, values: bytes | None) -> dict:
    tree = {"a": _enc(proof.a), "b": _enc(proof.b, g2=True), "c": _enc(proof.c)}
    if commitment is not None:
        tree["d"] = _enc(commitment.d)
        tree["pok"] = _enc(commitment.pok)
        tree["values"] = values
    return tree


def commitment_from_tree(ss: Schema, b: LaunchBoundary) -> Commitment | None:
    """D and PoK of a step (None for a launch without committed params); checks the key set."""
    from zkcc.backends.groth16.prover import Commitment

    keys = {"a", "b", "c"} | ({"d", "pok", "values"} if b.committed else set())
    ss.dict(keys)
    if not b.committed:
        return None
    return Commitment(_dec(ss.field("d")), _dec(ss.field("pok")))


def proof_from_tree(ss: Schema) -> Proof:
    from zkcc.backends.groth16.prover import Proof

    return Proof(_dec(ss.field("a")), _dec(ss.field("b"), g2=True), _dec(ss.field("c")))


def check_key_shape(key, launch: LaunchCircuit | LaunchBoundary, what: str) -> None:
    """A key (proving or verifying) must fit the launch: public input count and commitment
    presence; a proving key also the circuit's wires and committed wires."""
    b = launch.boundary if isinstance(launch, LaunchCircuit) else launch
    if key.num_public != b.num_public or key.has_commitment != bool(b.committed):
        raise FormatError(
            f"{what}: the key for launch {b.step} ({b.kernel}) does not fit its circuit "
            f"({key.num_public} public inputs, the circuit has {b.num_public})"
        )
    if isinstance(launch, LaunchCircuit):
        r = launch.r1cs
        if key.num_wires != r.num_wires or not np.array_equal(key.committed, launch.committed):
            raise FormatError(
                f"{what}: the proving key for launch {b.step} ({b.kernel}) does not fit its "
                f"circuit ({key.num_wires} wires, the circuit has {r.num_wires})"
            )


def draw_points(F, b: LaunchBoundary, transcript) -> list[list[int]]:
    """One challenge point per committed boundary tensor, drawn after D and the tensor
    commitments are fixed (bn254: challenge field = base field)."""
    return [
        [int(x) for x in transcript.challenge_exts("groth16-point", F, c.layout.num_vars)[0]]
        for c in b.committed
    ]


def boundary_claims(
    F, b: LaunchBoundary, points: list[list[int]], values: list[int], masks: list[int] | None
) -> list[Claim]:
    """The PCS claims a Groth16 launch leaves, two per committed tensor T_j, linked: T_j~(r_j)
    + M[j] = u_j, the masked value the circuit made public (u_j = T_j~(r_j) + mu_j, with M
    the launch's link mask table). Their values are hidden: the prover knows them (`masks`
    given), the verifier does not (`masks` None)."""
    E = F.ext
    layout = TableLayout((len(b.committed),))
    out = []
    for j, (c, pt, u) in enumerate(zip(b.committed, points, values, strict=True)):
        origin = f"launch {b.step} ({b.kernel}), groth16 param {c.param}"
        link = Link(f"groth16/{b.step:08d}/{j:04d}", E.one(), E.scalar(u))
        at = E.from_base(F.array([(j >> k) & 1 for k in range(layout.num_vars)]))
        v = mu = None
        if masks is not None:
            mu = E.scalar(masks[j])
            v = E.scalar((u - masks[j]) % F.p)
        on, point = c.layout.on_base(F, E.from_base(F.array(pt)))
        out.append(Claim(c.tensor, on, point, v, origin, link))
        out.append(Claim(link_mask_tensor(b.step), layout, at, mu, f"{origin} mask", link))
    return out
