"""A slow, obviously-correct interpreter of kernel IR over Python ints (STYLE.md #11).

Evaluates one instance at a time; used by tests as the independent reference for the
vectorised witness generator and the layered-circuit lowering.
"""

from __future__ import annotations

from zkcc.ir.kernel import HintKind, KernelIR, Op


def eval_instance(kernel: KernelIR, p: int, inputs: list[list[int] | None]):
    """inputs[i]: the flat values param i sees on this instance (None for outputs).
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
            else:
                if kind is HintKind.INV and a[0] == 0:
                    raise ZeroDivisionError
                v = pow(a[0], -1, p) if a[0] else 0
            hints.append(v)
        elif ins.op is Op.ASSERT_ZERO:
            residues.append(a[0])
        elif ins.op is Op.OUTPUT:
            outputs[ins.attr[0]][ins.attr[1]] = a[0]
        vals.append(v)
    return outputs, hints, residues
