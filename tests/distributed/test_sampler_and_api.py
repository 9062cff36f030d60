"""DistributedSampler partitions and the not-initialized errors (no MPI process needed)."""

from __future__ import annotations

import pytest

import tenkai as torch
import tenkai.distributed as dist
from tenkai.utils.data import DataLoader, DistributedSampler, TensorDataset


@pytest.mark.parametrize("n,world", [(10, 2), (10, 3), (7, 3), (2, 3)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sampler_partitions_pad_by_repeating(n: int, world: int, shuffle: bool) -> None:
    parts = [list(DistributedSampler(range(n), world, r, shuffle=shuffle, seed=3))
             for r in range(world)]
    size = -(-n // world)
    assert all(len(p) == size for p in parts)
    everything = [i for p in parts for i in p]
    assert set(everything) == set(range(n))  # every sample is seen; padding repeats some
    assert len(everything) == size * world


def test_sampler_drop_last_is_disjoint() -> None:
    parts = [list(DistributedSampler(range(7), 3, r, shuffle=True, drop_last=True))
             for r in range(3)]
    assert [len(p) for p in parts] == [2, 2, 2]
    assert len({i for p in parts for i in p}) == 6


def test_sampler_order_matches_pytorch_without_shuffle() -> None:
    torch_ = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as Reference

    for n, world, drop in [(10, 3, False), (10, 3, True), (2, 3, False), (9, 2, False)]:
        for r in range(world):
            assert list(DistributedSampler(range(n), world, r, shuffle=False, drop_last=drop)) \
                == list(Reference(range(n), world, r, shuffle=False, drop_last=drop))
    del torch_


def test_sampler_set_epoch_reshuffles_the_same_on_every_rank() -> None:
    samplers = [DistributedSampler(range(20), 2, r, seed=1) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == list(range(20))
    assert [list(s) for s in samplers] == first  # same epoch: same order
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(second[0] + second[1]) == list(range(20))


def test_sampler_bad_rank_and_loader() -> None:
    message = r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    data = TensorDataset(torch.arange(6))
    loader = DataLoader(data, batch_size=2, sampler=DistributedSampler(data, 2, 1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1, 3], [5]]


def test_not_initialized_errors_are_pytorchs() -> None:
    assert not dist.is_initialized()
    message = "Default process group has not been initialized"
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, dist.destroy_process_group,
                 lambda: dist.all_reduce(torch.ones(2))):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=message):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    assert dist.ReduceOp.SUM is dist.ReduceOp.RedOpType.SUM
    assert repr(dist.ReduceOp.AVG) == "<RedOpType.AVG: 1>"


def test_post_accumulate_grad_hook_and_final_callback() -> None:
    from tenkai.autograd._core import queue_callback

    w = torch.ones(3, requires_grad=True)
    seen: list = []

    def hook(p: torch.Tensor) -> None:
        seen.append(p.grad.tolist())
        queue_callback(lambda: seen.append("end"))

    handle = w.register_post_accumulate_grad_hook(hook)
    (w * 2).sum().backward()
    (w * 3).sum().backward()  # the hook sees the accumulated gradient
    assert seen == [[2.0, 2.0, 2.0], "end", [5.0, 5.0, 5.0], "end"]
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 4
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(hook)
