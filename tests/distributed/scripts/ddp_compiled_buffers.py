"""Run under mpiexec: compiled DDP training of a model with buffers (BatchNorm running stats,
broadcast from rank 0 at every forward, as broadcast_buffers=True does) follows eager DDP
training step by step: losses, parameters, gradients and buffers, on every rank."""

import sys

import numpy as np

import tenkai as torch
import tenkai.distributed as dist
import tenkai.nn.functional as F
from tenkai import nn

backend = sys.argv[1]
dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()


def ddp():
    torch.manual_seed(rank)  # different on every rank: DDP copies rank 0's at construction
    net = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    return nn.parallel.DistributedDataParallel(net)


def trainer(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return train_step


eager_model, compiled_model = ddp(), ddp()
eager_step = trainer(eager_model)
compiled_step = torch.compile(trainer(compiled_model), backend=backend)
data = np.random.default_rng(10 + rank)  # each rank its own batches: running stats differ
for step in range(4):
    x = torch.tensor(data.standard_normal((6, 5)).astype(np.float32) * (1 + rank))
    y = torch.tensor(data.integers(0, 3, 6))
    want, got = eager_step(x, y), compiled_step(x, y)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5, err_msg=f"step {step}")
    for (name, a), b in zip(compiled_model.module.state_dict().items(),
                            eager_model.module.state_dict().values(), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"step {step} {name} on rank {rank}")
    for (name, a), b in zip(compiled_model.module.named_parameters(),
                            eager_model.module.parameters(), strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"step {step} {name}.grad on rank {rank}")
assert compiled_step.stats["replays"] >= 2, compiled_step.stats
# the running stats really are rank 0's on every rank before each forward: after the last
# step they are rank 0's plus this rank's last batch, so ranks differ only by that update
mean = compiled_model.module[1].running_mean.numpy().copy()
everyone = [torch.zeros(8) for _ in range(world)]
dist.all_gather(everyone, torch.tensor(mean))
assert world == 1 or not np.allclose(everyone[0].numpy(), everyone[1].numpy())


def twice(x):  # eager broadcasts before each forward; a replay could only do the first
    return compiled_model(x).sum() + compiled_model(x).sum()


try:
    torch.compile(twice, backend=backend)(x)
except NotImplementedError as e:
    assert "a second forward of the model in one step" in str(e), e
else:
    raise AssertionError("two DDP forwards with buffers in one compiled step were not refused")
sys.stdout.write(f"OK {rank}\n")
