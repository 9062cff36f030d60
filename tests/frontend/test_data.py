"""tenkai.utils.data: datasets, samplers, default_collate and the DataLoader (with workers),
checked against PyTorch where it is installed."""

from __future__ import annotations

import contextlib
import gc
import io
import multiprocessing
import os
import re
import time
from collections import namedtuple

import numpy as np
import pytest

import tenkai
from tenkai.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)

SEED_SNIPPET = """
from {mod}.utils.data import DataLoader, TensorDataset
data_1 = torch.tensor([1, 2, 3, 4])
data_2 = torch.tensor([10, 20, 30, 40])
dataset = TensorDataset(data_1, data_2)
batch_data = DataLoader(dataset, batch_size=2, shuffle=False)
print('batch_data:',batch_data, '\\n')
print({first}, '\\n')
for i, (x, y) in enumerate(batch_data):
  print(str(i+1)+'バッチ目:', '\\n', x, '\\n', y)
"""


def _run(module: object, name: str, first: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(SEED_SNIPPET.format(mod=name, first=first), {"torch": module})
    return out.getvalue()


def test_seed_tutorial_prints_like_torch() -> None:
    torch = pytest.importorskip("torch")
    # The seed's ``iter(batch_data).next()`` is gone from PyTorch 2; tenkai keeps the alias.
    ours = _run(tenkai, "tenkai", "iter(batch_data).next()").splitlines()
    theirs = _run(torch, "torch", "next(iter(batch_data))").splitlines()
    assert re.fullmatch(r"batch_data: <tenkai\.utils\.data\.dataloader\.DataLoader object at "
                        r"0x[0-9a-f]+> ", ours[0])
    assert theirs[0].startswith("batch_data: <torch.utils.data.dataloader.DataLoader object at")
    assert ours[1:] == theirs[1:]


class Squares(Dataset):
    """Items ``(i, i*i, pid)``; the pid shows which process fetched them."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[int, int, int]:
        return i, i * i, os.getpid()


def _values(loader: DataLoader) -> list[list[int]]:
    return [batch[0].tolist() for batch in loader]


def test_shuffle_is_seeded_and_covers_each_item_once() -> None:
    ds = Squares(10)
    a = DataLoader(ds, batch_size=3, shuffle=True, generator=tenkai.Generator().manual_seed(0))
    b = DataLoader(ds, batch_size=3, shuffle=True, generator=tenkai.Generator().manual_seed(0))
    epochs_a = [_values(a) for _ in range(3)]
    assert epochs_a == [_values(b) for _ in range(3)]
    for epoch in epochs_a:
        assert sorted(sum(epoch, [])) == list(range(10))
        assert [len(batch) for batch in epoch] == [3, 3, 3, 1]
    assert epochs_a[0] != epochs_a[1] or epochs_a[1] != epochs_a[2]
    tenkai.manual_seed(7)
    first = _values(DataLoader(ds, batch_size=4, shuffle=True))
    tenkai.manual_seed(7)
    assert _values(DataLoader(ds, batch_size=4, shuffle=True)) == first


def test_drop_last_and_len() -> None:
    ds = Squares(10)
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert _values(DataLoader(ds, batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5],
                                                                     [6, 7, 8]]
    assert _values(DataLoader(ds, batch_size=5, drop_last=True)) == [[0, 1, 2, 3, 4],
                                                                     [5, 6, 7, 8, 9]]


def _assert_same(ours: object, theirs: object, torch: object) -> None:
    if isinstance(theirs, torch.Tensor):  # type: ignore[attr-defined]
        assert isinstance(ours, tenkai.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and ours.keys() == theirs.keys()
        for key in theirs:
            _assert_same(ours[key], theirs[key], torch)
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            _assert_same(o, t, torch)
    else:
        assert ours == theirs


Point = namedtuple("Point", "x y")

COLLATE_CASES = {
    "ints": lambda m: [1, 2, 3],
    "floats": lambda m: [1.5, 2.0],
    "bools": lambda m: [True, False],
    "tensors": lambda m: [m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0])],
    "tuples": lambda m: [(m.tensor([1, 2]), 0, "a"), (m.tensor([3, 4]), 1, "b")],
    "dicts": lambda m: [{"x": m.tensor(1.0), "y": (2, "p")}, {"x": m.tensor(3.0), "y": (4, "q")}],
    "lists": lambda m: [[1, 2.5], [3, 4.5]],
    "strings": lambda m: ["cat", "dog"],
    "numpy": lambda m: [np.zeros((2, 3), np.uint8), np.ones((2, 3), np.uint8)],
    "numpy_scalars": lambda m: [np.float32(1.5), np.float32(2.5)],
    "namedtuple": lambda m: [Point(1, 2.0), Point(3, 4.0)],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case: str) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    make = COLLATE_CASES[case]
    _assert_same(default_collate(make(tenkai)), torch_collate(make(torch)), torch)


def test_default_collate_errors() -> None:
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([None, None])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([tenkai.zeros(2), tenkai.zeros(3)])


def test_workers_give_the_same_batches_from_other_processes() -> None:
    ds = Squares(23)
    serial = list(DataLoader(ds, batch_size=4))
    parallel = list(DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True,
                               persistent_workers=True, prefetch_factor=3))
    assert [b[0].tolist() for b in parallel] == [b[0].tolist() for b in serial]
    assert [b[1].tolist() for b in parallel] == [b[1].tolist() for b in serial]
    pids = {pid for b in parallel for pid in b[2].tolist()}
    assert os.getpid() not in pids and len(pids) == 2
    assert {pid for b in serial for pid in b[2].tolist()} == {os.getpid()}


def test_workers_keep_the_seeded_shuffle_order() -> None:
    def run(num_workers: int) -> list[list[int]]:
        g = tenkai.Generator().manual_seed(3)
        loader = DataLoader(Squares(17), batch_size=5, shuffle=True, generator=g,
                            num_workers=num_workers)
        return [v for _ in range(2) for v in _values(loader)]

    assert run(2) == run(0)


def _live_workers(pids: set[int]) -> set[int]:
    return {p.pid for p in multiprocessing.active_children()} & pids


def test_workers_are_cleaned_up_after_an_early_break() -> None:
    it = iter(DataLoader(Squares(100), batch_size=2, num_workers=2))
    pids = set(it._pool.pids)
    next(it)
    assert _live_workers(pids) == pids
    del it
    gc.collect()
    assert _live_workers(pids) == set()


class Failing(Squares):
    def __getitem__(self, i: int) -> tuple[int, int, int]:
        if i == 5:
            raise KeyError(f"bad index {i}")
        return super().__getitem__(i)


def test_worker_errors_are_reraised_in_order() -> None:
    it = iter(DataLoader(Failing(8), batch_size=2, num_workers=2))
    assert next(it)[0].tolist() == [0, 1]
    assert next(it)[0].tolist() == [2, 3]
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        next(it)
    it._shutdown()


class Dying(Squares):
    def __getitem__(self, i: int) -> tuple[int, int, int]:
        if get_worker_info() is not None and i == 3:
            os._exit(3)
        return super().__getitem__(i)


def test_a_dead_worker_raises_instead_of_hanging() -> None:
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Dying(8), batch_size=2, num_workers=2))


class Slow(Squares):
    def __getitem__(self, i: int) -> tuple[int, int, int]:
        time.sleep(0.5)
        return super().__getitem__(i)


def test_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.1 seconds"):
        list(DataLoader(Slow(4), batch_size=1, num_workers=1, timeout=0.1))
    assert time.monotonic() - start < 5


def test_spawn_context_works() -> None:
    loader = DataLoader(Squares(6), batch_size=4, num_workers=1, multiprocessing_context="spawn")
    assert _values(loader) == [[0, 1, 2, 3], [4, 5]]


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):  # type: ignore[no-untyped-def]
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self) -> int:
        return self.n


def test_iterable_dataset() -> None:
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3
    got = [b.tolist() for b in DataLoader(Stream(10), batch_size=3, num_workers=2)]
    assert got == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # PyTorch's interleaving
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)


def test_samplers() -> None:
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    perm = list(RandomSampler(range(6), generator=tenkai.Generator().manual_seed(1)))
    assert sorted(perm) == list(range(6))
    assert perm == list(RandomSampler(range(6), generator=tenkai.Generator().manual_seed(1)))
    draws = list(RandomSampler(range(3), replacement=True, num_samples=8))
    assert len(draws) == 8 and set(draws) <= {0, 1, 2}
    batches = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False)
    assert list(batches) == [[0, 1], [2, 3], [4]] and len(batches) == 3
    loader = DataLoader(Squares(6), batch_sampler=[[5, 0], [2]])
    assert _values(loader) == [[5, 0], [2]]
    assert _values(DataLoader(Squares(4), batch_size=2, sampler=[3, 2, 1, 0])) == [[3, 2], [1, 0]]
    assert [b[0] for b in DataLoader(Squares(3), batch_size=None)] == [0, 1, 2]
    sizes = DataLoader(Squares(5), batch_size=2, collate_fn=len, num_workers=2)
    assert list(sizes) == [2, 2, 1]


BAD_CONFIGS = {
    "batch_size=0": lambda m, ds: m.utils.data.DataLoader(ds, batch_size=0),
    "shuffle+sampler": lambda m, ds: m.utils.data.DataLoader(ds, shuffle=True, sampler=[0]),
    "batch_sampler+batch_size": lambda m, ds: m.utils.data.DataLoader(ds, batch_size=2,
                                                                      batch_sampler=[[0]]),
    "num_workers<0": lambda m, ds: m.utils.data.DataLoader(ds, num_workers=-1),
    "persistent without workers": lambda m, ds: m.utils.data.DataLoader(ds,
                                                                        persistent_workers=True),
    "random_split sum": lambda m, ds: m.utils.data.random_split(ds, [1, 1]),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_configs_raise_like_torch(case: str) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("torch.utils.data")
    with pytest.raises(Exception) as theirs:
        BAD_CONFIGS[case](torch, list(range(4)))
    with pytest.raises(type(theirs.value)) as ours:
        BAD_CONFIGS[case](tenkai, list(range(4)))
    assert str(ours.value).startswith(str(theirs.value).split("!")[0])


def test_random_split_subset_and_concat() -> None:
    ds = TensorDataset(tenkai.arange(10))
    parts = random_split(ds, [0.7, 0.3], generator=tenkai.Generator().manual_seed(42))
    assert [len(p) for p in parts] == [7, 3]
    seen = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert seen == list(range(10))
    again = random_split(ds, [7, 3], generator=tenkai.Generator().manual_seed(42))
    assert again[1].indices == parts[1].indices
    assert [len(p) for p in random_split(range(10), [0.5, 0.25, 0.25])] == [6, 2, 2]  # as torch
    sub = Subset(ds, [4, 2])
    assert len(sub) == 2 and int(sub[1][0]) == 2
    assert _values(DataLoader(sub, batch_size=2)) == [[4, 2]]
    cat = ConcatDataset([TensorDataset(tenkai.arange(3)), TensorDataset(tenkai.arange(10, 12))])
    assert len(cat) == 5 and int(cat[3][0]) == 10 and int(cat[-1][0]) == 11
    assert len(ds + sub) == 12
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(tenkai.zeros(3), tenkai.zeros(4))


class CustomDataset(Dataset):
    """Seed 001's custom dataset, verbatim."""

    def __init__(self, data, labels):  # type: ignore[no-untyped-def]
        self.data = data
        self.labels = labels

    def __len__(self):  # type: ignore[no-untyped-def]
        return len(self.data)

    def __getitem__(self, idx):  # type: ignore[no-untyped-def]
        sample = self.data[idx]
        label = self.labels[idx]
        return sample, label


def test_custom_dataset_from_seed_001() -> None:
    data = tenkai.randn(100, 3, 32, 32)
    labels = tenkai.randint(0, 10, (100,))
    dataset = CustomDataset(data, labels)
    assert f"Dataset size: {len(dataset)}" == "Dataset size: 100"
    sample, label = dataset[0]
    text = f"Sample shape: {sample.shape}, Label: {label}"
    # f"{t}" of a 0-d tensor formats its item, as in torch
    assert re.fullmatch(r"Sample shape: torch\.Size\(\[3, 32, 32\]\), Label: \d", text)
    batches = list(DataLoader(dataset, batch_size=16, shuffle=True))
    assert len(batches) == 7 and tuple(batches[0][0].shape) == (16, 3, 32, 32)
    assert tuple(batches[-1][1].shape) == (4,) and batches[0][1].dtype == tenkai.int64
