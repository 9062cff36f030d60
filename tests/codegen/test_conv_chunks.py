"""Convolutions fill their column matrix chunk by chunk (codegen/lower/conv.py): the kernel
scratch is one tile of at most ``COL_TILE_BYTES``, whatever the batch, and every chunk
(including a short last one) computes what the interpreter does."""

from __future__ import annotations

import pytest
from cpu_harness import check_against_interpreter, compile_batch, random_feeds

import tenkai.ir as ir
from tenkai.codegen.cpu.codegen import build_module
from tenkai.codegen.kir.nodes import Const, Contraction, Expr, Load, Loop, Store, Var, scalar, walk
from tenkai.codegen.kir.shift import shifted_form, split_offset
from tenkai.codegen.lower import conv
from tenkai.codegen.lower.program import lower_program


def _conv_graph(n: int, c: int = 3, o: int = 4, hw: tuple[int, int] = (7, 6),
                groups: int = 1, stride: tuple[int, int] = (1, 1)) -> ir.Graph:
    """conv2d forward plus both gradients (weight and input) of one convolution."""
    g = ir.Graph(f"conv_n{n}")
    x = g.add("input", shape=(n, c, *hw), dtype="float32", name="x")
    w = g.add("param", shape=(o, c // groups, 3, 3), dtype="float32", name="w")
    attrs = {"stride": stride, "padding": (1, 1), "dilation": (1, 1), "groups": groups}
    y = g.add("conv2d", [x, w], **attrs)
    g.add_output(y)
    gy = g.add("tanh", [y])
    g.add_output(g.add("conv2d_grad_weight", [x, gy], weight_shape=(o, c // groups, 3, 3),
                       **attrs))
    g.add_output(g.add("conv2d_grad_input", [gy, w], input_shape=(n, c, *hw), **attrs))
    return g


def _per_image(c: int = 3, hw: tuple[int, int] = (7, 6)) -> int:
    """Bytes of one image's float32 columns (3x3 window, padding 1, stride 1)."""
    return c * 9 * hw[0] * hw[1] * 4


def test_chunks_split_evenly_and_cover_the_batch() -> None:
    assert conv.chunks(32, 100, budget=1000) == (8, [0, 8, 16, 24])  # 4 chunks of 8, not 10
    assert conv.chunks(7, 100, budget=300) == (3, [0, 3, 6])  # a short last chunk
    assert conv.chunks(5, 100, budget=10_000) == (5, [0])  # fits: one chunk
    assert conv.chunks(3, 500, budget=100) == (1, [0, 1, 2])  # at least one image per chunk
    nb, starts = conv.chunks(1000, 100, budget=100)  # past MAX_CHUNKS the chunks grow
    assert len(starts) == conv.MAX_CHUNKS and nb * len(starts) >= 1000
    assert conv.chunks(0, 100, budget=100) == (1, [0])


def _tiles(program) -> dict[str, int]:
    return {b.name: b.nbytes for b in program.buffers if "cols" in b.name}


def test_column_tiles_are_bounded_independently_of_the_batch(monkeypatch) -> None:
    monkeypatch.setattr(conv, "COL_TILE_BYTES", 3 * _per_image())
    sizes = {}
    for n in (3, 6, 12):
        program = lower_program(_conv_graph(n))
        tiles = _tiles(program)
        assert tiles and max(tiles.values()) <= 3 * _per_image(), (n, tiles)
        sizes[n] = (program.arena_size, max(tiles.values()))
        if n > 3:  # one GEMM call per chunk and kernel: the forward's is batched over 3 images
            gemms = [s for k in program.kernels for s in walk(k.body)
                     if isinstance(s, Contraction)]
            assert len(gemms) == 3 * (n // 3) and gemms[0].batch == (3,)
    assert sizes[3][1] == sizes[6][1] == sizes[12][1]
    # the rest of the arena (activations, gradients) grows with the batch; the tiles do not
    chunked = lower_program(_conv_graph(12))
    monkeypatch.setattr(conv, "COL_TILE_BYTES", 1 << 40)
    whole = lower_program(_conv_graph(12))
    assert max(_tiles(whole).values()) == 12 * _per_image()
    assert chunked.arena_size < whole.arena_size


@pytest.mark.parametrize("case", ["even", "short_last", "grouped_strided", "single_image"])
def test_chunked_conv_matches_interpreter(monkeypatch, case: str) -> None:
    n, kwargs, budget = {
        "even": (6, {}, 2 * _per_image()),
        "short_last": (7, {}, 3 * _per_image()),
        "grouped_strided": (5, {"c": 4, "o": 6, "groups": 2, "stride": (2, 1)},
                            2 * _per_image(c=4)),
        "single_image": (4, {}, 1),
    }[case]
    monkeypatch.setattr(conv, "COL_TILE_BYTES", budget)
    g = _conv_graph(n, **kwargs)
    (item,) = compile_batch([g], tag=f"cc_{case}_")
    assert item.program is not None
    gemms = [s for k in item.program.kernels for s in walk(k.body) if isinstance(s, Contraction)]
    assert len(gemms) > 3  # really chunked (one contraction per kernel when not)
    check_against_interpreter(item, random_feeds(g, seed=3), f"chunked conv {case}",
                              (1e-4, 1e-5))


@pytest.mark.parametrize("batch", [8, 48])
def test_training_step_tiles_fit_in_the_planned_arena(monkeypatch, batch: int) -> None:
    """In a planned CNN training step the column tiles shrink to the arena bytes the memory
    plan leaves free at their kernel, so the executable's arena is the plan's (given enough
    chunks: the default MAX_CHUNKS trades some of that for compile time)."""
    import tenkai
    from tenkai import bench

    monkeypatch.setattr(conv, "MAX_CHUNKS", 16)
    step, args = bench.WORKLOADS["cnn"](tenkai, batch)
    step(*args)
    lowered = tenkai.trace(step, *args).lower()
    plan = lowered.fused.meta["memory"]
    tiles = [b.nbytes for b in lowered.program.buffers if "cols" in b.name]
    assert len(tiles) == 5 and max(tiles) <= conv.COL_TILE_BYTES
    assert lowered.program.arena_size == plan.arena_bytes


def test_chunk_nests_share_one_outlined_function(monkeypatch) -> None:
    """The chunks' im2col nests differ only in where they read the input: the CPU target
    compiles one range function per kernel for them (codegen/kir/shift.py), each chunk
    passing its own shifted pointer, and the step still matches the interpreter."""
    monkeypatch.setattr(conv, "COL_TILE_BYTES", 2 * _per_image(c=16, hw=(16, 16)))
    g = _conv_graph(8, c=16, o=8, hw=(16, 16))
    (item,) = compile_batch([g], tag="cc_shared_")
    module_ir = str(build_module([item.program]))
    kernels = {k.name: k for k in item.program.kernels}
    forward = next(k for name, k in kernels.items() if "grad" not in name and "conv2d" in name)
    nests = [s for s in forward.body if isinstance(s, Loop) and s.parallel]
    assert len(nests) == 4  # one im2col nest per chunk
    tasks = [line for line in module_ir.splitlines()
             if line.startswith("define") and f"{forward.name}.par" in line
             and ".task" in line]
    assert len(tasks) == 1, tasks
    check_against_interpreter(item, random_feeds(g, seed=6), "shared chunk nests",
                              (1e-4, 1e-5))


def test_shifted_form_keys_equal_nests_up_to_offsets_and_names() -> None:
    def nest(var: str, offset: int, extent: int = 4) -> Loop:
        at = Var(var)
        index: Expr = scalar("mul", (at, Const(3, "int64")), "int64")
        if offset:
            index = scalar("add", (index, Const(offset, "int64")), "int64")
        return Loop(var, extent, [Store("y", at, Load("x", index, "float32"))], parallel=True)

    sizes = {"x": 4, "y": 4}
    key0, body0, shifts0 = shifted_form(nest("i", 0), sizes)
    key1, body1, shifts1 = shifted_form(nest("j.7", 12), sizes)
    assert shifts0 == {} and shifts1 == {"x": 12}
    assert key0 == key1  # x[3j + 12] from x + 12 is x[3i] from x: one body
    assert body1.var == "j.7"  # the body keeps its own names
    store = body1.body[0]
    assert isinstance(store, Store) and isinstance(store.value, Load)
    assert split_offset(store.value.index) == (scalar("mul", (Var("j.7"), Const(3, "int64")),
                                                      "int64"), 0)
    assert shifted_form(nest("i", 0, extent=5), sizes)[0] != key0  # another extent
    assert shifted_form(nest("i", 0), {"x": 2, "y": 4})[0] == key0  # not shifted: same code
    assert shifted_form(nest("i", 12), {"x": 2, "y": 4})[2] == {}  # float32 read of 2-byte x
