"""``tenkai.compiler``: the part of ``torch.compiler`` that user code calls."""

from __future__ import annotations

import warnings

import tenkai


def test_is_compiling_is_true_only_while_tracing() -> None:
    seen = []

    @tenkai.compile
    def f(x):
        seen.append(tenkai.compiler.is_compiling())
        return (x * 2).sum()

    assert not tenkai.compiler.is_compiling()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the append is a traced side effect (warned)
        assert float(f(tenkai.ones(3))) == 6.0
    assert seen == [True] and not tenkai.compiler.is_compiling()
    assert tenkai.compiler.is_dynamo_compiling() is False


def test_reset_forgets_compiled_steps_in_memory(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TENKAI_CACHE_DIR", str(tmp_path))

    def step(x):
        return (x * 3).sum()

    tenkai.compiler.reset()
    tenkai.compile(step)(tenkai.ones(2))
    again = tenkai.compile(step)
    again(tenkai.ones(2))
    assert again.steps[-1].program.stats["memory_cache_hits"] == 1
    tenkai.compiler.reset()
    fresh = tenkai.compile(step)
    fresh(tenkai.ones(2))
    stats = fresh.steps[-1].program.stats
    assert stats["memory_cache_hits"] == 0 and stats["disk_cache_hits"] == 1


def test_list_backends_names_what_compile_accepts() -> None:
    names = tenkai.compiler.list_backends()
    assert "tenkai" in names and "cpu" in names and "interp" not in names
    assert "interp" in tenkai.compiler.list_backends(exclude_tags=None)
    for backend in tenkai.compiler.list_backends(exclude_tags=None):
        assert float(tenkai.compile(lambda x: x.sum(), backend=backend)(tenkai.ones(4))) == 4.0
