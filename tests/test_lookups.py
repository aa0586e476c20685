"""Range checks and table lookups as LOOKUPs, proved by LogUp in GKR (plans without zero
knowledge), and as bits everywhere else.

Results are held against plain Python ints; the two lowerings of one program agree; LOOKUP
IR survives a plan file and hostile plans are refused; proofs verify, and a prover whose
looked-up rows are not table rows, whose counts are wrong, or whose argument is altered is
rejected; failures at prove time name the value, the bound and the instance.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from helpers import forced_proof
from test_frontend_ints import OPS, check, values

from zkcc.driver import plan_program
from zkcc.encoding import Schema
from zkcc.errors import FormatError, ProofRejected, WitnessError
from zkcc.field import get_field
from zkcc.frontend import compile_source
from zkcc.ir.kernel import KernelBuilder, Op, Param
from zkcc.ir.lookups import LookupLayout
from zkcc.ir.passes import expand_lookups, validate_kernel
from zkcc.plan.irformat import kernel_from_tree, kernel_to_tree
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import witness as witness_module
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify
from zkcc.runtime.witness import run_kernel

TABLE = """#pragma field {field}
const int SQ[{rows}] = {{{values}}};
__global__ void sq(const i16 x[4], const field k[3], i16 y[4], field w[3]) {{
    for (int i = 0; i < 4; i++) {{ y[i] = relu(x[i]); }}
    for (int i = 0; i < 3; i++) {{ w[i] = lookup(SQ, k[i]); }}
}}
__host__ void main(private field x[{n}][4], private field k[{n}][3],
                   public out field y[{n}][4], public out field w[{n}][3]) {{
    sq<<<{n}>>>(x, k, y, w);
}}
"""
SQ_VALUES = [(3 * j * j - 7) for j in range(13)]  # 13 rows: not a power of two; negatives


def table_source(field: str, n: int) -> str:
    return TABLE.format(
        field=field, rows=len(SQ_VALUES), values=", ".join(map(str, SQ_VALUES)), n=n
    )


def table_inputs(F, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    x = [[rng.randint(-(1 << 15), (1 << 15) - 1) for _ in range(4)] for _ in range(n)]
    k = [[rng.randrange(len(SQ_VALUES)) for _ in range(3)] for _ in range(n)]
    return np.array(x, dtype=object), np.array(k, dtype=object)


def signed(F, t) -> list[int]:
    return [v if v <= F.p // 2 else v - F.p for v in F.to_ints(np.asarray(t).reshape(-1))]


def no_zk_plan(src: str) -> tuple[Plan, bytes]:
    program = compile_source(src, "t.zkcu", lookups=True)
    data = plan_program(program, zk=False, choose_lookups=False).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


# ---- IR ---------------------------------------------------------------------------------


def test_builder_splits_wide_range_checks_into_limbs():
    b = KernelBuilder("k", [Param("x", (2,), False, False)], (1 << 31) - 1, lookups=True)
    b.range_check(b.input(0, 0), 12)
    b.range_check(b.input(0, 1), 30)
    k = b.finish()
    assert validate_kernel(k, (1 << 31) - 1) == []
    looked = [k.tables[ins.attr] for ins in k.instrs if ins.op is Op.LOOKUP]
    assert [t.bits for t in looked] == [12, 15, 15]  # 30 = 15 + 15: one 2^15-row table
    layout = LookupLayout.of(k)
    assert layout.width == 4 and layout.key_column.tolist() == [2, 0, 1]  # the pair first


@pytest.mark.parametrize("field", ["m31", "bn254"])
def test_operations_with_lookups_match_python_ints(field):
    """The comparison suite of test_frontend_ints with range checks as LOOKUPs."""
    n, k = 120, 16
    program = compile_source(OPS.format(field=field, backend="", k=k, k1=k + 2, n=n), "o", True)
    assert program.kernels["ops"].tables
    F = get_field(field)
    a, b = values(k, n, seed=5)
    w = run_kernel(F, program.kernels["ops"], [F.array(a), F.array(b), None, None], n)
    check(F, a, b, w.outputs[2], w.outputs[3])


@pytest.mark.parametrize("lookups", [False, True])
def test_table_lookup_matches_python(lookups):
    F, n = get_field("m31"), 40
    program = compile_source(table_source("m31", n), "t.zkcu", lookups)
    x, k = table_inputs(F, n, seed=2)
    w = run_kernel(F, program.kernels["sq"], [F.array(x), F.array(k), None, None], n)
    assert signed(F, w.outputs[2]) == [max(v, 0) for v in x.reshape(-1)]
    assert signed(F, w.outputs[3]) == [SQ_VALUES[j] for j in k.reshape(-1)]


def test_expanded_kernel_agrees_and_has_no_lookups():
    """expand_lookups (what a Groth16 launch gets) computes the same outputs by bits."""
    F, n = get_field("bn254"), 30
    kernel = compile_source(table_source("bn254", n), "t.zkcu", True).kernels["sq"]
    expanded = expand_lookups(kernel, F.p)
    assert not expanded.tables and all(ins.op is not Op.LOOKUP for ins in expanded.instrs)
    assert validate_kernel(expanded, F.p) == []
    x, k = table_inputs(F, n, seed=4)
    args = [F.array(x), F.array(k), None, None]
    a, b = run_kernel(F, kernel, args, n), run_kernel(F, expanded, args, n)
    for prm in (2, 3):
        assert F.to_ints(a.outputs[prm].reshape(-1)) == F.to_ints(b.outputs[prm].reshape(-1))


def test_lookup_ir_round_trips_through_a_plan_and_hostile_tables_are_refused():
    p = (1 << 31) - 1
    kernel = compile_source(table_source("m31", 4), "t.zkcu", True).kernels["sq"]
    back = kernel_from_tree(Schema(kernel_to_tree(kernel), "k"), p)
    assert back.tables == kernel.tables and back.instrs == kernel.instrs
    tree = kernel_to_tree(kernel)
    bad_value = dict(tree, tables=[[4, [p] * 13, None]])  # not a reduced element
    wide = dict(tree, tables=[[17, None, None]] * len(kernel.tables))  # over 16 bits
    for t in (bad_value, wide, dict(tree, tables=[])):
        with pytest.raises(FormatError):
            kernel_from_tree(Schema(t, "k"), p)


def test_lookup_ir_in_a_groth16_kernel_is_refused():
    """R1CS has no lookup argument: a plan file whose Groth16 kernel carries LOOKUPs is
    refused (zero-knowledge and plain GKR plans keep them: zkcc/runtime/zk_lookups.py)."""
    src = table_source("bn254", 2)
    for zk in (False, True):
        plan = plan_program(compile_source(src, "t.zkcu", True), zk=zk, choose_lookups=False)
        assert Plan.from_bytes(plan.to_bytes()).kernels["sq"].ir.tables
    sneaky = plan_program(compile_source(src, "t.zkcu", True), backend="groth16", zk=False)
    lookups = dataclasses.replace(plan.kernels["sq"], backends=sneaky.kernels["sq"].backends)
    sneaky.kernels = {**sneaky.kernels, "sq": lookups}
    with pytest.raises(FormatError, match="has lookups"):
        Plan.from_bytes(sneaky.to_bytes())


def test_groth16_kernels_get_bits():
    plan = plan_program(
        compile_source(table_source("bn254", 2), "t.zkcu", True), backend="groth16", zk=False
    )
    assert not plan.kernels["sq"].ir.tables
    Plan.from_bytes(plan.to_bytes())


# ---- failures at prove time -------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "value", "want"),
    [
        ("i16", 40000, "value 40000 does not fit i16, whose range is -32768..32767"),
        ("i32", -(1 << 31) - 5, "value -2147483653 does not fit i32"),
        ("fx24.8", 1 << 30, "does not fit fx24.8"),
    ],
)
def test_range_failures_name_the_value_and_type(src, value, want):
    code = f"""#pragma field bn254
__global__ void k(const {src} a[1], {src} b[1]) {{ b[0] = a[0]; }}
__host__ void main(private field a[3][1], public out field b[3][1]) {{ k<<<3>>>(a, b); }}
"""
    kernel = compile_source(code, "k.zkcu", True).kernels["k"]
    assert kernel.tables
    F = get_field("bn254")
    with pytest.raises(WitnessError, match="instance 2") as e:
        run_kernel(F, kernel, [F.array([[1], [2], [value]]), None], 3)
    assert want in str(e.value)


def test_key_outside_a_table_is_named():
    F = get_field("m31")
    kernel = compile_source(table_source("m31", 2), "t.zkcu", True).kernels["sq"]
    x = F.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    with pytest.raises(WitnessError, match="key 13 is outside the table of 13 entries"):
        run_kernel(F, kernel, [x, F.array([[0, 1, 2], [3, 13, 4]]), None, None], 2)


# ---- proofs -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["m31", "bn254"])
def test_lookup_program_proves_and_verifies(field):
    n = 5
    plan, digest = no_zk_plan(table_source(field, n))
    F = get_field(field)
    x, k = table_inputs(F, n, seed=8)
    inputs = {"x": F.array(x).reshape(-1), "k": F.array(k).reshape(-1)}
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    public = verify(plan, digest, proof)
    assert signed(F, public["y"]) == [max(v, 0) for v in x.reshape(-1)]
    assert signed(F, public["w"]) == [SQ_VALUES[j] for j in k.reshape(-1)]


def _proved(n: int = 3):
    plan, digest = no_zk_plan(table_source("m31", n))
    F = get_field("m31")
    x, k = table_inputs(F, n, seed=9)
    inputs = {"x": F.array(x).reshape(-1), "k": F.array(k).reshape(-1)}
    return plan, digest, inputs


def test_wrong_table_values_are_rejected(monkeypatch):
    """A prover that answers lookup(SQ, k) with SQ[k] + 1 and puts those values in its lookup
    columns (so the circuit's residues vanish) is caught by LogUp: the pair is not a row."""
    plan, digest, inputs = _proved()
    lying_table_hint(monkeypatch)
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    with pytest.raises(ProofRejected, match="not rows of the table"):
        verify(plan, digest, proof)


def lying_table_hint(monkeypatch) -> None:
    """lookup(SQ, k) answered with SQ[k] + 1, in the lookup columns too (the kernel's
    residues vanish), and the prover's own lookup check off."""
    real_hint = witness_module._hint

    def lying_hint(F, kernel, idx, attr, x, vals, first):
        out = real_hint(F, kernel, idx, attr, x, vals, first)
        return F.add(out, F.array(1)) if attr[0] == "table" else out

    monkeypatch.setattr(witness_module, "_hint", lying_hint)
    monkeypatch.setattr(witness_module, "_check_lookups", lambda *args: None)


def test_wrong_counts_are_rejected(monkeypatch):
    plan, digest, inputs = _proved()
    off_by_one_counts(monkeypatch)
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    with pytest.raises(ProofRejected, match="not rows of the table"):
        verify(plan, digest, proof)


def off_by_one_counts(monkeypatch) -> None:
    """The first counts tensor's row 0 counted once too often."""
    from zkcc.runtime.lookups import LaunchLookups

    real = LaunchLookups.counts

    def off_by_one(self, F, columns, comm=None):
        out = real(self, F, columns, comm)
        name = sorted(out)[0]
        out[name] = F.add(out[name], F.array(np.eye(1, len(out[name]), 0, dtype=np.int64)[0]))
        return out

    monkeypatch.setattr(LaunchLookups, "counts", off_by_one)


def flipped(tree):
    """A copy of a proof tree with one byte of its first byte string flipped, and whether
    it had one."""
    if isinstance(tree, bytes):
        return bytes([tree[0] ^ 1]) + tree[1:], True
    if isinstance(tree, dict):
        out, done = {}, False
        for key in sorted(tree):
            out[key], hit = (tree[key], False) if done else flipped(tree[key])
            done |= hit
        return out, done
    if isinstance(tree, list):
        out, done = [], False
        for item in tree:
            new, hit = (item, False) if done else flipped(item)
            out.append(new)
            done |= hit
        return out, done
    return tree, False


def test_altered_lookup_arguments_are_rejected():
    plan, digest, inputs = _proved()
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    verify(plan, digest, proof)
    bundle, _ = ProofBundle.from_bytes(proof, "proof")
    arguments = bundle.steps[0]["lookups"]
    assert len(arguments) == 2  # the i16 check (sign split off: 15 bits, reused by relu), SQ

    for i in range(len(arguments)):
        for part in ("queries", "table"):
            steps = [dict(s) for s in bundle.steps]
            args = [dict(a) for a in arguments]
            args[i][part] = flipped(args[i][part])[0]
            steps[0]["lookups"] = args
            bad = ProofBundle(
                bundle.plan_digest, bundle.public, bundle.commitments, steps, bundle.opening
            ).to_bytes()
            with pytest.raises((ProofRejected, FormatError)):
                verify(plan, digest, bad)


def test_plans_with_p_lookups_into_one_table_are_refused():
    """LogUp counts multiplicities in the field: 2^31 - 1 lookups into one table would count
    as zero, so a plan whose launch could make that many is refused (declared shapes are
    never materialised)."""
    n = 1 << 29  # 2^29 instances x 4 relu range checks = 2^31 > p (m31)
    src = TABLE.format(field="m31", rows=len(SQ_VALUES), values=", ".join(map(str, SQ_VALUES)), n=n)
    plan = plan_program(compile_source(src, "t.zkcu", True), zk=False, choose_lookups=False)
    with pytest.raises(FormatError, match="p or more lookups"):
        Plan.from_bytes(plan.to_bytes())


def test_proof_with_spilled_chunked_layers_is_byte_identical(monkeypatch, tmp_path):
    """--mem-limit's path (layers in files, each launch in chunks) gives the same proof bytes
    with lookups: the lookup columns and trees do not depend on the chunks."""
    plan, digest, inputs = _proved(n=6)
    want = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    assert spilled_proof(monkeypatch, tmp_path, plan, digest, inputs) == want


def spilled_proof(monkeypatch, tmp_path, plan: Plan, digest: bytes, inputs: dict) -> bytes:
    """The proof made on --mem-limit's path: layers spilled to files, each launch in 4
    chunks."""
    from zkcc.runtime import memory as memory_module
    from zkcc.runtime import prover as prover_module

    real = memory_module.plan_memory

    def forced(plan, ranks, limit, tmpdir, rep, comm=None):
        return dataclasses.replace(real(plan, ranks, None, str(tmp_path), rep), spill=True, parts=4)

    monkeypatch.setattr(prover_module, "plan_memory", forced)
    return prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()


# ---- limb widths for a launch's size ----------------------------------------------------


@pytest.mark.parametrize("bits", [1, 7, 15, 16, 17, 20, 30, 33])
@pytest.mark.parametrize("limb", [4, 8, 16])
def test_range_limbs_cover_the_bits_with_equal_limbs(bits, limb):
    from zkcc.ir.kernel import range_limbs

    widths = range_limbs(bits, limb)
    assert sum(widths) == bits and max(widths) <= limb
    assert len(widths) == -(-bits // limb)  # as few as it takes
    assert len(set(widths[:-1])) <= 1 and widths[-1] <= widths[0]  # equal, the top narrower


def test_relimbed_kernel_agrees_and_fails_the_same_way():
    """relimb_lookups (8-bit limbs) computes what the 16-bit kernel does, with tables no
    wider than 8 bits, and an overflow still reads as the type's."""
    from zkcc.ir.passes import relimb_lookups

    F, n = get_field("m31"), 30
    kernel = compile_source(table_source("m31", n), "t.zkcu", True).kernels["sq"]
    narrow = relimb_lookups(kernel, F.p, 8)
    assert validate_kernel(narrow, F.p) == []
    assert (
        max(t.bits for t in narrow.tables if not t.is_map)
        == 8
        < max(t.bits for t in kernel.tables if not t.is_map)
    )
    x, k = table_inputs(F, n, seed=6)
    args = [F.array(x), F.array(k), None, None]
    a, b = run_kernel(F, kernel, args, n), run_kernel(F, narrow, args, n)
    for prm in (2, 3):
        assert F.to_ints(a.outputs[prm].reshape(-1)) == F.to_ints(b.outputs[prm].reshape(-1))
    x[3][1] = 40000  # not an i16
    with pytest.raises(WitnessError, match="value 40000 does not fit i16"):
        run_kernel(F, narrow, [F.array(x), F.array(k), None, None], n)


def test_small_launches_get_narrow_limbs_and_large_ones_wide():
    from zkcc.ir.lookups import best_limb_bits

    kernel = compile_source(table_source("m31", 4), "t.zkcu", True).kernels["sq"]
    assert best_limb_bits(kernel, 4) < 15 and best_limb_bits(kernel, 1 << 16) == 16
    program = compile_source(table_source("m31", 4), "t.zkcu", True)
    plan = plan_program(program, zk=False, choose_lookups=False)
    assert max(t.bits for t in plan.kernels["sq"].ir.tables if not t.is_map) < 15


RELU = """#pragma field m31
__global__ void k(const i16 x[1], i16 y[1]) {{ y[0] = relu(x[0]); }}
__host__ void main(private i16 x[{n}][1], public out i16 y[{n}][1]) {{ k<<<{n}>>>(x, y); }}
"""


def test_the_cost_model_keeps_lookups_only_where_they_pay():
    """One ReLU per instance: a few instances cannot amortise the range tables, so the
    compiler checks them with bits; thousands can (zkcc.driver.lookups_or_bits). The choice
    uses the default rates, so the plan is the same on every machine."""
    plans = {
        n: plan_program(compile_source(RELU.format(n=n), "r.zkcu", True), zk=False)
        for n in (4, 4096)
    }
    assert not plans[4].kernels["k"].ir.tables
    assert plans[4096].kernels["k"].ir.tables
    again = plan_program(compile_source(RELU.format(n=4096), "r.zkcu", True), zk=False)
    assert again.to_bytes() == plans[4096].to_bytes()


def test_a_value_outside_its_range_cannot_be_proved(monkeypatch):
    """An i16 input of 40000: with the prover's own check off and the out-of-table count
    dropped (no counts tensor can hold it), the proof is made and LogUp rejects it."""
    plan, digest, inputs = _proved(n=3)
    proof = out_of_range_proof(monkeypatch, plan, digest, inputs)
    with pytest.raises(ProofRejected, match="not rows of the table"):
        verify(plan, digest, proof)


def out_of_range_proof(monkeypatch, plan: Plan, digest: bytes, inputs: dict) -> bytes:
    """A proof of the table program with x[5] = 40000 (an i16), the prover's own lookup
    check off and the out-of-table count dropped (no counts tensor can hold it)."""
    from zkcc.runtime.lookups import LaunchLookups

    F = get_field("m31")
    x = F.to_ints(inputs["x"])
    x[5] = 40000
    inputs = {**inputs, "x": F.array(x)}
    real = LaunchLookups.counts

    def truncated(self, F, columns, comm=None):
        """The honest counts of the keys each table has; an out-of-range key counts nowhere."""
        kept, outside = columns.copy(), {}
        for b in self.layout.used():
            block = kept[:, b.offset : b.offset + b.sites]
            bad = block >= self.tables[b.table].rows
            outside[f"counts@{self.step}/{b.table}"] = int(bad.sum())
            block[bad] = 0  # counted at row 0 below, then taken off again
        assert sum(outside.values()) == 1
        out = real(self, F, kept, comm)
        for name, extra in outside.items():
            first = np.zeros(len(out[name]), dtype=np.int64)
            first[0] = extra
            out[name] = F.sub(out[name], F.array(first))
        return out

    monkeypatch.setattr(witness_module, "_check_lookups", lambda *args: None)
    monkeypatch.setattr(LaunchLookups, "counts", truncated)
    return prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()


def test_a_count_smuggled_into_a_padded_table_row_matches_no_lookup(monkeypatch):
    """SQ has 13 rows, its counts tensor 16 entries: the prover fills the 3 padded ones as it
    likes (nothing makes them zero). A prover that looks up the key 13, answers 0 and counts
    it in padded entry 13 would pass if padded rows were (j, 0); they repeat row 0 instead,
    which no lookup outside the table matches."""
    plan, digest, inputs = _proved(n=3)
    proof = smuggled_proof(monkeypatch, plan, digest, inputs)
    with pytest.raises(ProofRejected, match="not rows of the table"):
        verify(plan, digest, proof)


def smuggled_proof(monkeypatch, plan: Plan, digest: bytes, inputs: dict) -> bytes:
    """A proof of the table program where k[4] = 13, one past SQ, is answered 0 and counted
    in the counts tensor's padded entry 13, the prover's own lookup check off."""
    F = get_field(plan.field)
    k = F.to_ints(inputs["k"])
    k[4] = len(SQ_VALUES)
    inputs = {**inputs, "k": F.array(k)}
    real_hint = witness_module._hint

    def outside_is_zero(F, kernel, idx, attr, x, vals, first):
        out = real_hint(F, kernel, idx, attr, x, vals, first)
        if attr[0] != "table":
            return out
        return F.array(np.where(x < len(SQ_VALUES), F.to_ints(out), 0))

    monkeypatch.setattr(witness_module, "_check_lookups", lambda *args: None)
    monkeypatch.setattr(witness_module, "_hint", outside_is_zero)
    return prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()


# ---- hints that live in lookup columns ----------------------------------------------------

CHAINED = """#pragma field m31
const int T[4] = {1, 3, 0, 2};
__global__ void g(const field k[2], field y[2]) {
    for (int i = 0; i < 2; i++) { y[i] = lookup(T, lookup(T, k[i])); }
}
__host__ void main(private field k[5][2], public out field y[5][2]) { g<<<5>>>(k, y); }
"""
T_CHAINED = [1, 3, 0, 2]


def chained_plan(zk: bool) -> tuple[Plan, bytes]:
    program = compile_source(CHAINED, "t.zkcu", lookups=True)
    data = plan_program(program, zk=zk, choose_lookups=False).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


def lookup_checks_reference(kernel) -> tuple[list[int], list[int]]:
    """What a kernel's circuit checks against lookup columns (every LOOKUP's key, then every
    map LOOKUP's value) and its HINTs, in plain Python."""
    lookups = [ins.args for ins in kernel.instrs if ins.op is Op.LOOKUP]
    checks = [args[0] for args in lookups] + [args[1] for args in lookups if len(args) == 2]
    return checks, [i for i, ins in enumerate(kernel.instrs) if ins.op is Op.HINT]


def segment_hints_reference(kernel) -> list[int]:
    """The hints no lookup checks: the only ones left in the hints segment."""
    checks, hints = lookup_checks_reference(kernel)
    return [h for h in hints if h not in checks]


def test_a_hint_checked_by_two_lookups_lives_in_one_column_and_keeps_the_other_check():
    """The inner lookup's value is a hint checked twice: as its own value and as the outer
    lookup's key. It lives in the column of its first check (the key's: keys come first);
    the value's check stays. Every hint here is checked, so the hints segment is empty."""
    kernel = compile_source(CHAINED, "t.zkcu", lookups=True).kernels["g"]
    checks, hints = lookup_checks_reference(kernel)
    assert kernel.column_hint_checks().tolist() == sorted(checks.index(h) for h in hints)
    assert len(kernel.column_hint_checks()) == len(hints) < len(checks) - 1
    assert kernel.segment_hints().tolist() == segment_hints_reference(kernel) == []
    assert kernel.hint_count() == 0


@pytest.mark.parametrize("zk", [False, True])
def test_chained_lookups_prove_and_a_lie_between_them_is_rejected(monkeypatch, zk):
    """An honest proof of y = T[T[k]] verifies. A prover whose inner hint is T[k] + 1 (mod 4,
    still a key of T), with the inner lookup's columns honest (k, T[k]) and the outer one's
    (T[k] + 1, T[T[k] + 1]), has every column pair in the table: only the kept check of the
    inner value against its column catches it (the prover's own residue check first)."""
    plan, digest = chained_plan(zk)
    F = get_field("m31")
    rng = random.Random(3)
    k = [rng.randrange(4) for _ in range(10)]
    inputs = {"k": F.array(k)}
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    assert F.to_ints(verify(plan, digest, proof)["y"].reshape(-1)) == [
        T_CHAINED[T_CHAINED[v]] for v in k
    ]

    real_hint, real_columns = witness_module._hint, witness_module._lookup_columns

    def lying_hint(F, kernel, idx, attr, x, vals, first):
        out = real_hint(F, kernel, idx, attr, x, vals, first)
        if all(kernel.instrs[kernel.instrs[i].args[0]].op is Op.INPUT for i in idx):  # inner
            out = F.array([(v + 1) % 4 for v in F.to_ints(out.reshape(-1))]).reshape(out.shape)
        return out

    def honest_inner_columns(F, kernel, sites, vals):
        out = real_columns(F, kernel, sites, vals)
        layout = LookupLayout.of(kernel)
        for site, i in enumerate(sites):
            key = kernel.instrs[i].args[0]
            if kernel.instrs[key].op is Op.INPUT:  # an inner lookup
                good = [T_CHAINED[v] for v in F.to_ints(vals[:, key])]
                out[:, layout.value_column[site]] = F.array(good)
        return out

    monkeypatch.setattr(witness_module, "_hint", lying_hint)
    monkeypatch.setattr(witness_module, "_lookup_columns", honest_inner_columns)
    monkeypatch.setattr(witness_module, "_check_lookups", lambda *args: None)
    lie = forced_proof(monkeypatch, plan, digest, inputs, None, None)
    with pytest.raises(ProofRejected):
        verify(plan, digest, lie)
