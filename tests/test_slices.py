"""Slices of tensors as launch arguments: a host loop that launches a kernel per layer, proved
and verified (GKR on m31, Groth16 on bn254), against a plain-Python reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.helpers import SEEDED
from zkcc.analysis.assign import AssignOptions
from zkcc.driver import plan_program
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field
from zkcc.field.mle import mle_evaluate
from zkcc.frontend import compile_source
from zkcc.ir.host import View, WrittenParts
from zkcc.ir.layout import padded_index, slice_bits, slice_span
from zkcc.plan.plan import Plan, plan_digest
from zkcc.plan.validate import validate_host
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.layout import TableLayout, launch_layout
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

# Layers of a tiny network, one launch per layer: acts[l + 1] = f(acts[l], w[l]). The input
# batch is itself a slice (x[1]; x[0] is a second batch, summed in by the first launch).
LAYERS = """
#pragma field {field}
const int L = {layers};
const int N = {n};
const int K = {k};

template <int M>
__global__ void layer(const field a[M], __broadcast__ const field w[M][M], field b[M]) {{
    for (int j = 0; j < M; j++) {{
        field acc = 0;
        for (int i = 0; i < M; i++) {{ acc += a[i] * w[j][i]; }}
        b[j] = acc * acc + j;
    }}
}}

__global__ void add(const field a[K], const field b[K], field c[K]) {{
    for (int i = 0; i < K; i++) {{ c[i] = a[i] + b[i]; }}
}}

__host__ void main(public field x[2][N][K], private field w[L][K][K],
                   public out field acts[L + 1][N][K], public out field z[N][K]) {{
    add<<<N>>>(x[0], x[1], acts[0]);
    for (int l = 0; l < L; l++) {{
        layer<K><<<N>>>(acts[l], w[l], acts[l + 1]);
    }}
    field h[2][N][K];  // only h[1] is written: an intermediate read and written by slice
    add<<<N>>>(acts[L], x[1], h[1]);
    add<<<N>>>(h[1], h[1], z);
}}
"""


def reference(p: int, x: np.ndarray, w: np.ndarray) -> tuple[list[int], list[int]]:
    """acts and z, flattened, computed with Python ints."""
    a = [
        [(int(u) + int(v)) % p for u, v in zip(r0, r1, strict=True)]
        for r0, r1 in zip(*x, strict=True)
    ]
    acts = [a]
    for wl in w:
        a = [
            [
                (sum(int(r) * int(c) for r, c in zip(row, wj, strict=True)) ** 2 + j) % p
                for j, wj in enumerate(wl)
            ]
            for row in a
        ]
        acts.append(a)
    z = [
        2 * (v + int(u)) % p
        for row, xr in zip(a, x[1], strict=True)
        for v, u in zip(row, xr, strict=True)
    ]
    return [v for layer in acts for row in layer for v in row], z


def build(field: str, layers: int, n: int, k: int, backend: str | None = None):
    src = LAYERS.format(field=field, layers=layers, n=n, k=k)
    options = AssignOptions(backend=backend) if backend else None
    data = plan_program(compile_source(src, "layers.zkcu"), options=options).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


def inputs_for(F, layers: int, n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, F.p if F.p < 1 << 62 else 1 << 62, size=(2, n, k))
    w = rng.integers(0, 1 << 20, size=(layers, k, k))
    return x, w, {"x": F.array(x.reshape(-1).tolist()), "w": F.array(w.reshape(-1).tolist())}


def test_slice_geometry_matches_the_padded_layout() -> None:
    """The span of a slice in the flat data and its fixed bits in the padded table agree
    with listing the padded index of every element (the slow, obvious version)."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        shape = tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(1, 4)))
        depth = int(rng.integers(1, len(shape) + 1))
        index = tuple(int(rng.integers(0, d)) for d in shape[:depth])
        flat = np.arange(int(np.prod(shape))).reshape(shape)
        span = slice_span(shape, index)
        assert np.array_equal(np.arange(int(np.prod(shape)))[span], flat[index].reshape(-1))
        rest = shape[depth:]
        m = int(np.log2(int(np.prod([1 << int(d - 1).bit_length() for d in rest])))) if rest else 0
        block = sum(b << j for j, b in enumerate(slice_bits(shape, index)))
        positions = padded_index(shape)[span]
        assert np.array_equal(positions, block * (1 << m) + padded_index(rest))


def test_slice_layout_reads_the_slice_of_the_base() -> None:
    """A launch's table of a slice argument, whole or by instance rows (a shard), is the
    slice's own table; on_base moves a claim on it to the base table, same value."""
    F = get_field("m31")
    base = (3, 5, 3)
    flat = F.array(list(range(1, 46)))
    for i in range(3):
        layout = launch_layout(5, (3,), False, base, (i,))
        own = TableLayout((5, 3))
        want = own.table(F, F.array(list(range(1 + 15 * i, 16 + 15 * i))))
        assert np.array_equal(layout.table(F, flat), want)
        rows = layout.rows_from(F, layout.own(flat)[2 * 3 : 5 * 3], 2, 6)  # real rows 2..4
        assert np.array_equal(rows.reshape(-1), want[2 * 4 : 6 * 4])
        point = [F.ext.scalar([7 + j, 1, 2, 3]) for j in range(layout.num_vars)]
        on, moved = layout.on_base(F, point)
        assert on == TableLayout(base)
        assert np.array_equal(
            mle_evaluate(F, on.table(F, flat), moved), mle_evaluate(F, want, point)
        )


def test_names_are_resolved_once_until_the_host_graph_grows() -> None:
    """`resolve` keeps its table on the host graph (every step asks for it: a host loop of
    2,048 launches took minutes to schedule), and makes it again once a view is added."""
    from zkcc.ir.host import resolve

    plan, _ = build("m31", 2, 2, 2)
    program = plan.program
    first = resolve(program)
    assert resolve(program) is first and first["acts"].base == "acts"
    program.host.views.append(View("late", "w", (2, 2), None, (1,)))
    again = resolve(program)
    assert again is not first and again["late"] == ("w", (2, 2), (1,))
    assert {k: v for k, v in again.items() if k != "late"} == first


def test_written_parts_tracks_overlaps_and_coverage() -> None:
    parts = WrittenParts[str]((3, 2, 4))
    parts.add((0,), "a")
    assert parts.overlap((0, 1)) == "a" and parts.overlap(()) == "a"
    parts.add((1, 0), "b")
    assert parts.overlap((1,)) == "b" and parts.overlap((1, 1)) is None
    assert parts.written() == 8 + 4 and not parts.covers()
    parts.add((1, 1), "c")
    parts.add((2,), "d")
    assert parts.covers() and parts.covers((1,))


@pytest.mark.parametrize("layers, n, k", [(3, 5, 4), (2, 4, 3)])
def test_layer_loop_proves_and_verifies_on_m31(layers: int, n: int, k: int) -> None:
    F = get_field("m31")
    plan, digest = build("m31", layers, n, k)
    assert [s.kernel for s in plan.host.steps] == ["add"] + [f"layer<{k}>"] * layers + ["add"] * 2
    x, w, inputs = inputs_for(F, layers, n, k, seed=layers)
    proof = prove(plan, digest, inputs).to_bytes()
    public = verify(plan, digest, proof)
    acts, z = reference(F.p, x, w)
    assert F.to_ints(public["acts"]) == acts
    assert F.to_ints(public["z"]) == z


def test_tampered_slice_output_is_rejected() -> None:
    """Changing one element of an intermediate layer's slice of the public output makes the
    proof fail: the claims on that slice land on the whole tensor's table."""
    F = get_field("m31")
    plan, digest = build("m31", 2, 4, 4)
    _, _, inputs = inputs_for(F, 2, 4, 4, seed=9)
    bundle = prove(plan, digest, inputs)
    acts = F.to_ints(F.decode(bundle.public["acts"], 3 * 4 * 4))
    for j in (17, 3 * 16 - 1):  # inside acts[1], then the last element of acts[2]
        bad = list(acts)
        bad[j] = (bad[j] + 1) % F.p
        public = {**bundle.public, "acts": F.encode(F.array(bad))}
        tampered = dataclasses.replace(bundle, public=public).to_bytes()
        with pytest.raises(ProofRejected):
            verify(plan, digest, tampered)


def test_groth16_launches_read_and_write_slices() -> None:
    """bn254 with every launch proved by Groth16: committed slices (w[l], read; h[1], written
    then read) link to their whole tensors' tables, public slices (x[0], x[1], acts[l]) are
    read from the proof."""
    F = get_field("bn254")
    plan, digest = build("bn254", 2, 3, 2, backend="groth16")
    assert {plan.backend(i) for i in range(5)} == {"groth16"}
    x, w, inputs = inputs_for(F, 2, 3, 2, seed=4)
    pks, vks = setup_plan(plan)
    bundle = prove(plan, digest, inputs, keys=pks, randomness=SEEDED)
    public = verify(plan, digest, bundle.to_bytes(), keys=vks)
    want, z = reference(F.p, x, w)
    assert F.to_ints(public["acts"]) == want
    assert F.to_ints(public["z"]) == z
    bad = list(want)
    bad[-1] = (bad[-1] + 1) % F.p
    tampered = dataclasses.replace(bundle, public={**bundle.public, "acts": F.encode(F.array(bad))})
    with pytest.raises(ProofRejected):
        verify(plan, digest, tampered.to_bytes(), keys=vks)


def test_plan_validation_refuses_bad_slices() -> None:
    """A plan may come from anyone: slices out of bounds, overlapping writes and a public
    output left partly written are refused on load."""
    plan, _ = build("m31", 2, 4, 4)
    program = plan.program
    validate_host(program, "plan")
    views = program.host.views

    def with_views(vs: list[View]) -> None:
        p = dataclasses.replace(program, host=dataclasses.replace(program.host, views=vs))
        validate_host(p, "plan")

    first = next(v for v in views if v.name == "acts[1]")
    with pytest.raises(FormatError, match="slices outside"):
        with_views([dataclasses.replace(v, index=(7,)) if v is first else v for v in views])
    with pytest.raises(FormatError, match="cannot be written here"):  # acts[1] written twice
        with_views(
            [dataclasses.replace(v, index=(1,)) if v.name == "acts[2]" else v for v in views]
        )
    steps = program.host.steps[:-1]  # z never written
    p = dataclasses.replace(program, host=dataclasses.replace(program.host, steps=steps))
    with pytest.raises(FormatError, match="never written, or not fully"):
        validate_host(p, "plan")


def test_plans_are_deterministic_and_old_formats_refused() -> None:
    a, _ = build("m31", 2, 4, 4)
    b, _ = build("m31", 2, 4, 4)
    assert a.to_bytes() == b.to_bytes()
    from zkcc.encoding import decode, encode
    from zkcc.plan.plan import MAGIC, VERSION

    _, tree = decode(a.to_bytes(), MAGIC, VERSION, "plan")
    with pytest.raises(FormatError, match="plan format 4 is from an older zkcc"):
        Plan.from_bytes(encode(MAGIC, 4, tree))
    with pytest.raises(FormatError, match=f"unsupported format version {VERSION + 1}"):
        Plan.from_bytes(encode(MAGIC, VERSION + 1, tree))


SCALAR = """
__global__ void shift(const field x[2], __broadcast__ const field c, field y[2]) {
    y[0] = x[0] * c + c;
    y[1] = x[1] * x[1] + c;
}
__host__ void main(public field x[5][2], {kind} field c, private field cs[3],
                   public out field y[5][2], public out field z[5][2]) {
    shift<<<5>>>(x, c, y);
    shift<<<5>>>(y, cs[1], z);
}
"""


@pytest.mark.parametrize("kind", ["public", "private"])
def test_broadcast_scalar_parameters_prove(monkeypatch, tmp_path, kind) -> None:
    """A `__broadcast__` scalar parameter, given a scalar tensor or a one-element slice: its
    table is one row of one element, also when the launch is proved in chunks."""
    import zkcc.runtime.memory as memory_module
    import zkcc.runtime.prover as prover_module

    F = get_field("m31")
    data = plan_program(compile_source(SCALAR.replace("{kind}", kind), "s.zkcu")).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    rng = np.random.default_rng(5)
    x, c, cs = rng.integers(0, F.p, (5, 2)), int(rng.integers(F.p)), rng.integers(0, F.p, 3)
    inputs = {"x": F.array(x.reshape(-1).tolist()), "c": F.array([c]), "cs": F.array(cs.tolist())}
    proof = prove(plan, digest, inputs, randomness=SEEDED).to_bytes()
    public = verify(plan, digest, proof)

    def shift(rows, k):
        return [[(a * k + k) % F.p, (b * b + k) % F.p] for a, b in rows]

    y = shift([[int(a), int(b)] for a, b in x], c)
    assert F.to_ints(public["y"]) == [v for row in y for v in row]
    assert F.to_ints(public["z"]) == [v for row in shift(y, int(cs[1])) for v in row]
    real = memory_module.plan_memory

    def chunked(plan_, ranks, limit, tmpdir, rep, comm=None):
        return dataclasses.replace(real(plan_, ranks, None, str(tmp_path), rep), parts=2)

    monkeypatch.setattr(prover_module, "plan_memory", chunked)
    assert prove(plan, digest, inputs, randomness=SEEDED).to_bytes() == proof
