"""Run under mpiexec: compiled DDP training (backend from argv) equals eager single-process
training on the concatenated batch, step by step: losses, grads, parameters, Adam state."""

import sys

import numpy as np

import tenkai as torch
import tenkai.distributed as dist
import tenkai.nn.functional as F
from tenkai import nn

backend = sys.argv[1]
dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()


def net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


data = np.random.default_rng(1)
steps = 5
X = data.standard_normal((steps, 4 * world, 5)).astype(np.float32)
Y = data.integers(0, 3, (steps, 4 * world))
reference = net(0)
model = nn.parallel.DistributedDataParallel(net(rank), bucket_cap_mb=0.0005)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
ref_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
mine = slice(4 * rank, 4 * rank + 4)


@torch.compile(backend=backend)
def train_step(x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


for step in range(steps):
    x, y = torch.tensor(X[step]), torch.tensor(Y[step])
    loss = train_step(x[mine].contiguous(), y[mine].contiguous())
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
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(s[key].numpy(), r[key].numpy(), rtol=1e-4, atol=1e-7)
assert train_step.stats["replays"] >= steps - 2, train_step.stats
assert type(train_step.steps[-1].program).__name__ == "CutProgram"  # reduced in the step
assert train_step.steps[-1].program.n_grads == [len(model._buckets)]  # one per bucket
assert len(model._buckets) > 1
sys.stdout.write(f"OK {rank}\n")
