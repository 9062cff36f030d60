"""``multinomial`` without replacement when fewer categories have positive weight than
samples are asked for: every index once, the positive-weight categories first (PyTorch's
draw, whose order among the zero-weight ones is its own), eager and compiled alike."""

from __future__ import annotations

import pytest

import tenkai

torch = pytest.importorskip("torch")

ROWS = [[1.0, 0.0], [0.0, 3.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]


@pytest.mark.parametrize("weights", ROWS, ids=str)
def test_zero_weight_categories_come_last_and_never_repeat(weights) -> None:
    positive = {i for i, w in enumerate(weights) if w > 0}
    for lib in (torch, tenkai):
        lib.manual_seed(0)
        for _ in range(20):
            got = lib.multinomial(lib.tensor(weights), len(weights)).tolist()
            assert sorted(got) == list(range(len(weights))), (lib.__name__, got)
            assert set(got[:len(positive)]) == positive, (lib.__name__, got)


def test_batched_rows_and_the_compiled_draw_agree_with_eager() -> None:
    probs = tenkai.tensor([[0.0, 3.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    tenkai.manual_seed(3)
    eager = [tenkai.multinomial(probs, 4).tolist() for _ in range(3)]
    draw = tenkai.compile(lambda p: tenkai.multinomial(p, 4))
    tenkai.manual_seed(3)
    compiled = [draw(probs).tolist() for _ in range(3)]
    assert compiled == eager
    for rows in eager:
        for row, weights in zip(rows, probs.tolist(), strict=True):
            assert len(set(row)) == 4
            positive = [i for i, w in enumerate(weights) if w > 0]
            assert set(row[:len(positive)]) == set(positive)
