"""A kernel's instructions as columns: the form plans store and the vectorised lowering reads.

Each instruction is one op code and three int64 operands (-1 where unused):

    CONST           (constant-table index, -1, -1)
    INPUT           (param, element, -1)
    OUTPUT          (value, param, element)
    HINT            (value, hint-kind code, hint parameter)
    INDEX           (-1, -1, -1)
    ADD, SUB, MUL   (value, value, -1)
    NEG             (value, -1, -1)
    ASSERT_ZERO     (value, F of a fixed-point range check or -1, -1)
    LOOKUP          (key, value or -1 on a range table, table index)

Plan decoding produces these columns before it builds any `Instr`, so the loader lowers from
them directly; a kernel built in memory is turned into columns by `IRColumns.of`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zkcc.ir.kernel import OP_CODES, HintKind, Instr, KernelIR, Op

HINT_CODES = {k.value: i for i, k in enumerate(HintKind)}


@dataclass(frozen=True, eq=False)
class IRColumns:
    codes: np.ndarray  # uint8 (n,): OP_CODES of each instruction
    operands: np.ndarray  # int64 (n, 3), as in the module docstring
    consts: list[int]  # the constant table CONST instructions index

    @staticmethod
    def of(kernel: KernelIR) -> IRColumns:
        consts: dict[int, int] = {}
        return IRColumns(
            op_codes(kernel.instrs), operand_table(kernel.instrs, consts), list(consts)
        )


def op_codes(instrs: list[Instr]) -> np.ndarray:
    """Each instruction's op code, by one identity comparison per op over all of them (an
    enum member hashes in Python, so a dictionary lookup per instruction costs more)."""
    ops = np.fromiter((ins[0] for ins in instrs), dtype=object, count=len(instrs))
    codes = np.zeros(len(instrs), dtype=np.uint8)
    for op, k in OP_CODES.items():
        codes[ops == op] = k
    return codes


def operand_table(instrs: list[Instr], consts: dict[int, int]) -> np.ndarray:
    """The (n, 3) operand table, built column by column (one pass per column over the
    instructions' fields rather than a function call per instruction); `consts` collects
    the constant table, each value at its first use."""
    n = len(instrs)
    table = np.full((n, 3), -1, dtype="<i8")
    if n == 0:
        return table
    args = [ins[1] for ins in instrs]
    table[:, 0] = [a[0] if a else -1 for a in args]
    table[:, 1] = [a[1] if len(a) == 2 else -1 for a in args]
    for i in [i for i, ins in enumerate(instrs) if ins[2] is not None]:  # attributes
        op, attr = instrs[i][0], instrs[i][2]
        if op is Op.CONST:
            table[i, 0] = consts.setdefault(attr, len(consts))  # type: ignore[arg-type]
        elif op is Op.INPUT:
            table[i, 0], table[i, 1] = attr  # type: ignore[misc]
        elif op is Op.OUTPUT:
            table[i, 1], table[i, 2] = attr  # type: ignore[misc]
        elif op is Op.HINT:
            kind, param = attr  # type: ignore[misc]
            table[i, 1], table[i, 2] = HINT_CODES[kind], param
        elif op is Op.ASSERT_ZERO:
            table[i, 1] = attr  # type: ignore[assignment]
        elif op is Op.LOOKUP:
            table[i, 2] = attr  # type: ignore[assignment]
    return table
