"""WeightedRandomSampler, StackDataset and ChainDataset vs PyTorch (structure, lengths,
errors), and the sampler's draws: reproducible from a tenkai seed, distributed by weight."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tenkai
from tenkai.utils.data import (
    ChainDataset,
    DataLoader,
    IterableDataset,
    StackDataset,
    TensorDataset,
    WeightedRandomSampler,
)


def _lib(name: str) -> Any:
    return pytest.importorskip("torch") if name == "torch" else tenkai


def test_weighted_sampler_is_multinomial_under_the_seed() -> None:
    # tenkai's generator is not PyTorch's (Philox, docs: samplers draw from a tenkai
    # Generator), so the promise is the algorithm: multinomial(weights as float64, n, repl.)
    weights = [0.1, 0.5, 0.2, 0.2, 0.0]
    for replacement, n in ((True, 50), (False, 4)):
        sampler = WeightedRandomSampler(weights, n, replacement,
                                        generator=tenkai.Generator().manual_seed(3))
        direct = tenkai.multinomial(tenkai.tensor(weights, dtype=tenkai.float64), n,
                                    replacement, generator=tenkai.Generator().manual_seed(3))
        assert list(sampler) == direct.tolist() and len(sampler) == n
        assert list(sampler) != list(sampler)  # the generator moves on between epochs
        assert sampler.weights.dtype == tenkai.float64
    assert sorted(WeightedRandomSampler(weights, 4, replacement=False)) == [0, 1, 2, 3]
    tenkai.manual_seed(0)
    first = list(WeightedRandomSampler(weights, 20))
    tenkai.manual_seed(0)
    assert list(WeightedRandomSampler(weights, 20)) == first  # the default generator


def test_weighted_sampler_frequencies_follow_weights() -> None:
    weights = np.array([1.0, 3.0, 6.0])
    draws = list(WeightedRandomSampler(weights.tolist(), 30000,
                                       generator=tenkai.Generator().manual_seed(0)))
    freq = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.015)
    loader = DataLoader(TensorDataset(tenkai.arange(3)), batch_size=4,
                        sampler=WeightedRandomSampler([0.0, 0.0, 1.0], 8))
    assert [b[0].tolist() for b in loader] == [[2, 2, 2, 2], [2, 2, 2, 2]]


def _error(make: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        make()
    return info.type, str(info.value)


def _error_cases(lib: Any) -> dict[str, Any]:
    data = lib.utils.data
    return {
        "num_samples": lambda: data.WeightedRandomSampler([1.0, 2.0], 0),
        "num_samples_bool": lambda: data.WeightedRandomSampler([1.0, 2.0], True),
        "replacement": lambda: data.WeightedRandomSampler([1.0, 2.0], 2, replacement=1),
        "weights_2d": lambda: data.WeightedRandomSampler([[1.0, 2.0]], 2),
        "stack_both": lambda: data.StackDataset([1, 2], b=[3, 4]),
        "stack_none": lambda: data.StackDataset(),
        "stack_sizes": lambda: data.StackDataset([1, 2], [3]),
        "stack_sizes_kw": lambda: data.StackDataset(a=[1, 2], b=[3]),
        "chain_map_style": lambda: list(data.ChainDataset([[1, 2]])),
        "chain_len_map_style": lambda: len(data.ChainDataset([[1, 2]])),
    }


@pytest.mark.torch
@pytest.mark.parametrize("case", list(_error_cases(tenkai)))
def test_errors_match_torch(case: str) -> None:
    ours = _error(_error_cases(tenkai)[case])
    theirs = _error(_error_cases(_lib("torch"))[case])
    assert ours == theirs


class _Count(IterableDataset):
    def __init__(self, start: int, n: int) -> None:
        self.start, self.n = start, n

    def __iter__(self) -> Any:
        return iter(range(self.start, self.start + self.n))

    def __len__(self) -> int:
        return self.n


class _Batched:
    """A map-style dataset with ``__getitems__`` (counts its batch calls)."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return 100 + i

    def __getitems__(self, indices: list[int]) -> list[int]:
        self.calls += 1
        return [100 + i for i in indices]


@pytest.mark.torch
def test_stack_dataset_matches_torch() -> None:
    torch = _lib("torch")
    for lib in (tenkai, torch):
        xs, ys = lib.arange(4), [10, 11, 12, 13]
        by_pos, by_name = lib.utils.data.StackDataset(xs, ys), \
            lib.utils.data.StackDataset(x=xs, y=ys)
        assert len(by_pos) == len(by_name) == 4
        assert by_pos[2][0].item() == 2 and by_pos[2][1] == 12
        assert by_name[3]["x"].item() == 3 and by_name[3]["y"] == 13
    batched = _Batched(4)
    ours = StackDataset(batched, [1, 2, 3, 4]).__getitems__([3, 0])
    assert ours == [(103, 4), (100, 1)] and batched.calls == 1
    theirs = torch.utils.data.StackDataset(batched, [1, 2, 3, 4]).__getitems__([3, 0])
    assert ours == theirs
    named = StackDataset(a=_Batched(3), b=[7, 8, 9]).__getitems__([1, 2])
    assert named == torch.utils.data.StackDataset(a=_Batched(3), b=[7, 8, 9]).__getitems__(
        [1, 2]) == [{"a": 101, "b": 8}, {"a": 102, "b": 9}]
    loader = DataLoader(StackDataset(x=tenkai.arange(4), y=tenkai.arange(4) * 2), batch_size=2)
    batches = [{k: v.tolist() for k, v in b.items()} for b in loader]
    assert batches == [{"x": [0, 1], "y": [0, 2]}, {"x": [2, 3], "y": [4, 6]}]


def test_chain_dataset_and_iterable_plus() -> None:
    chain = ChainDataset([_Count(0, 2), _Count(10, 3)])
    assert list(chain) == [0, 1, 10, 11, 12] and len(chain) == 5
    both = _Count(0, 2) + _Count(5, 1)
    assert isinstance(both, ChainDataset) and list(both) == [0, 1, 5]
    loader = DataLoader(chain, batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [10, 11], [12]]
