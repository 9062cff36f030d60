"""Run under mpiexec: every collective against numpy; prints OK <rank> when all pass."""

import sys

import numpy as np

import tenkai as torch
import tenkai.distributed as dist

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()
ranks = list(range(world))


def base(r):  # what rank r contributes
    return np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * r + 1


every = np.stack([base(r) for r in ranks])
expect = {dist.ReduceOp.SUM: every.sum(0), dist.ReduceOp.AVG: every.mean(0),
          dist.ReduceOp.MAX: every.max(0), dist.ReduceOp.MIN: every.min(0),
          dist.ReduceOp.PRODUCT: every.prod(0)}
for op, want in expect.items():
    t = torch.tensor(base(rank))
    buffer = t.numpy()
    assert dist.all_reduce(t, op=op) is None
    assert t.numpy() is buffer, "all_reduce must work in place on the tensor's buffer"
    np.testing.assert_allclose(t.numpy(), want, rtol=1e-6, err_msg=str(op))

t = torch.tensor(base(rank))
work = dist.all_reduce(t, async_op=True)
work.wait()
assert work.is_completed()
np.testing.assert_allclose(t.numpy(), every.sum(0))

col = torch.tensor(base(rank)).t()  # non-contiguous: staged through a copy, written back
dist.all_reduce(col)
np.testing.assert_allclose(col.numpy(), every.sum(0).T)

t = torch.tensor(base(rank))
dist.broadcast(t, src=world - 1)
np.testing.assert_array_equal(t.numpy(), base(world - 1))

outs = [torch.zeros(2, 3) for _ in ranks]
dist.all_gather(outs, torch.tensor(base(rank)))
for r in ranks:
    np.testing.assert_array_equal(outs[r].numpy(), base(r))
big = torch.zeros(2 * world, 3)
dist.all_gather_into_tensor(big, torch.tensor(base(rank)))
np.testing.assert_array_equal(big.numpy(), every.reshape(-1, 3))

inputs = [torch.tensor(base(rank) * (r + 1)) for r in ranks]
out = torch.zeros(2, 3)
dist.reduce_scatter(out, inputs)
np.testing.assert_allclose(out.numpy(), every.sum(0) * (rank + 1))
flat = torch.tensor(np.concatenate([base(rank) * (r + 1) for r in ranks]))
dist.reduce_scatter_tensor(out, flat, op=dist.ReduceOp.MAX)
np.testing.assert_allclose(out.numpy(), every.max(0) * (rank + 1))

ints = torch.tensor([rank + 1, 7], dtype=torch.int64)
dist.all_reduce(ints, op=dist.ReduceOp.PRODUCT)
assert ints.tolist() == [int(np.prod(np.array(ranks) + 1)), 7 ** world]

if rank == 0:
    dist.send(torch.tensor([1.5, 2.5]), dst=1, tag=3)
    got = torch.zeros(2)
    assert dist.recv(got) == 1
    assert got.tolist() == [5.0, 6.0]
elif rank == 1:
    got = torch.zeros(2)
    assert dist.recv(got, src=0, tag=3) == 0
    assert got.tolist() == [1.5, 2.5]
    dist.isend(torch.tensor([5.0, 6.0]), dst=0).wait()

dist.barrier()
try:  # the ranks disagree on the shape: reported on every rank, nothing hangs
    dist.all_reduce(torch.zeros(2 + rank))
except RuntimeError as e:
    assert "ranks disagree" in str(e) and "rank 1" in str(e), e
else:
    raise AssertionError("mismatched shapes were not detected")
dist.destroy_process_group()
assert not dist.is_initialized()
sys.stdout.write(f"OK {rank}\n")
