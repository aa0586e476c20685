"""A slow, obviously-correct interpreter of kernel IR and host graphs over Python ints
(STYLE.md #11).

One instance at a time, hints included: the independent reference that the vectorised witness
generator, the circuit lowering and the examples are held against.
"""

from __future__ import annotations

from zkcc.ir.host import AssertEq, Program
from zkcc.ir.kernel import HintKind, KernelIR, Op


class ConstraintFailed(Exception):
    pass


def eval_instance(kernel: KernelIR, p: int, inputs: list[list[int] | None], instance: int = 0):
    """inputs[i]: the flat values param i sees on this instance (None for outputs); `instance`
    its number in the launch (what INDEX reads).
    Returns (outputs {param: list}, hints list, residues list)."""
    vals: list[int] = []
    outputs = {i: [None] * prm.size for i, prm in enumerate(kernel.params) if prm.is_output}
    hints, residues = [], []
    for ins in kernel.instrs:
        a = [vals[x] for x in ins.args]
        v = 0
        if ins.op is Op.INPUT:
            v = inputs[ins.attr[0]][ins.attr[1]] % p
        elif ins.op is Op.CONST:
            v = ins.attr
        elif ins.op is Op.INDEX:
            v = instance % p
        elif ins.op is Op.ADD:
            v = (a[0] + a[1]) % p
        elif ins.op is Op.SUB:
            v = (a[0] - a[1]) % p
        elif ins.op is Op.MUL:
            v = a[0] * a[1] % p
        elif ins.op is Op.NEG:
            v = -a[0] % p
        elif ins.op is Op.HINT:
            kind, param = HintKind(ins.attr[0]), ins.attr[1]
            if kind is HintKind.BIT:
                v = (a[0] >> param) & 1
            elif kind is HintKind.QUOT:
                v = a[0] // param
            else:
                if kind is HintKind.INV and a[0] == 0:
                    raise ConstraintFailed(f"division by zero at {ins.loc}")
                v = pow(a[0], -1, p) if a[0] else 0
            hints.append(v)
        elif ins.op is Op.ASSERT_ZERO:
            residues.append(a[0])
        elif ins.op is Op.OUTPUT:
            outputs[ins.attr[0]][ins.attr[1]] = a[0]
        vals.append(v)
    return outputs, hints, residues


def flatten(value) -> list[int]:
    if isinstance(value, list):
        return [x for v in value for x in flatten(v)]
    return [int(value)]


def _size(prog: Program, name: str) -> int:
    """Elements seen through a tensor or view name."""
    shape = next(x.shape for x in (*prog.host.tensors, *prog.host.views) if x.name == name)
    n = 1
    for d in shape:
        n *= d
    return n


def run_program(prog: Program, p: int, inputs: dict) -> dict[str, list[int]]:
    """Run the host graph: tensors as flat lists; a view reads and writes its base's list,
    from the row-major offset of its slice index (0 for a reshape)."""
    data: dict[str, list[int]] = {}
    where: dict[str, tuple[str, int]] = {}  # name -> (base, offset in the base)
    for t in prog.host.tensors:
        if t.name in inputs:
            data[t.name] = [x % p for x in flatten(inputs[t.name])]
            assert len(data[t.name]) == t.size
        else:
            data[t.name] = [None] * t.size  # type: ignore[list-item]
        where[t.name] = (t.name, 0)
    shapes = {t.name: t.shape for t in prog.host.tensors}
    for v in prog.host.views:
        offset, shape = 0, shapes[v.base]
        for k, i in enumerate(v.index):
            inner = 1
            for d in shape[k + 1 :]:
                inner *= d
            offset += i * inner
        where[v.name] = (v.base, offset)

    def part(name: str, lo: int, n: int) -> list[int]:
        base, offset = where[name]
        return data[base][offset + lo : offset + lo + n]

    for step in prog.host.steps:
        if isinstance(step, AssertEq):
            a, b = (part(n, 0, _size(prog, n)) for n in (step.a, step.b))
            if a != b:
                raise ConstraintFailed(f"assert_eq failed at {step.loc}")
            continue
        k = prog.kernels[step.kernel]
        for i in range(step.count):
            args = []
            for param, name in zip(k.params, step.args, strict=True):
                if param.is_output:
                    args.append(None)
                else:
                    args.append(part(name, 0 if param.broadcast else i * param.size, param.size))
            outputs, _, residues = eval_instance(k, p, args, i)
            if any(residues):
                raise ConstraintFailed(f"assertion failed in {k.name}, instance {i}")
            for param, values in outputs.items():
                base, offset = where[step.args[param]]
                lo = offset + i * k.params[param].size
                data[base][lo : lo + len(values)] = values
    for name, (base, _) in where.items():
        if name != base:
            data[name] = part(name, 0, _size(prog, name))
    return data
