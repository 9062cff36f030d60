"""Run under mpiexec: DDP training on N ranks equals one process on the concatenated batch."""

import copy
import sys

import numpy as np

import tenkai as torch
import tenkai.distributed as dist
import tenkai.nn.functional as F
from tenkai import nn

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()


def net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


data = np.random.default_rng(0)
X = data.standard_normal((6, 4 * world, 5)).astype(np.float32)  # 6 steps, global batch 4*world
Y = data.integers(0, 3, (6, 4 * world))

reference = net(0)  # rank 0's initial weights, which DDP broadcasts
model = nn.parallel.DistributedDataParallel(net(rank), bucket_cap_mb=0.0005)  # several buckets
assert len(model._buckets) > 1
for p, q in zip(model.module.parameters(), reference.parameters(), strict=True):
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
assert list(model.state_dict())[0] == "module.0.weight"

opt = torch.optim.Adam(model.parameters(), lr=0.01)
ref_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
mine = slice(4 * rank, 4 * rank + 4)
for step in range(4):
    x, y = torch.tensor(X[step]), torch.tensor(Y[step])
    opt.zero_grad()
    loss = F.cross_entropy(model(x[mine]), y[mine])
    loss.backward()
    opt.step()
    ref_opt.zero_grad()
    ref_loss = F.cross_entropy(reference(x), y)
    ref_loss.backward()
    ref_opt.step()
    total = loss.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(total.item(), ref_loss.item(), rtol=1e-5)
    for (name, p), q in zip(model.module.named_parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"step {step} grad {name}")
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=f"step {step} param {name}")
    for s, r in zip(opt.state.values(), ref_opt.state.values(), strict=True):
        np.testing.assert_allclose(s["exp_avg"].numpy(), r["exp_avg"].numpy(), rtol=1e-4,
                                   atol=1e-7)

# no_sync: the first micro-batch accumulates locally, the second backward reduces the sum
before = copy.deepcopy(reference.state_dict())
opt.zero_grad()
ref_opt.zero_grad()
for step in (4, 5):
    x, y = torch.tensor(X[step]), torch.tensor(Y[step])
    if step == 4:
        with model.no_sync():
            F.cross_entropy(model(x[mine]), y[mine]).backward()
        local = [p.grad.numpy().copy() for p in model.parameters()]
    else:
        F.cross_entropy(model(x[mine]), y[mine]).backward()
    F.cross_entropy(reference(x), y).backward()
for p, q in zip(model.parameters(), reference.parameters(), strict=True):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)
params = model.parameters()
assert any(not np.allclose(a, p.grad.numpy()) for a, p in zip(local, params, strict=True))
sys.stdout.write(f"OK {rank}\n")

