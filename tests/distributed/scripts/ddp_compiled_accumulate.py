"""Run under mpiexec: gradient accumulation with compiled DDP (backend from argv) equals eager
single-process training on the concatenated batches, step by step, three ways:

* ``two_reductions``: one compiled step with two reducing backward() calls (no no_sync);
* ``inner_no_sync``: one compiled step, the first backward() under ``model.no_sync()``;
* ``outer_no_sync``: a compiled forward+backward called under ``no_sync()`` for the first
  micro-batch and outside it for the second (the guards give two compiled variants), then an
  eager optimizer step.
"""

import sys
import warnings

import numpy as np

import tenkai as torch
import tenkai.distributed as dist
import tenkai.nn.functional as F
from tenkai import nn

backend, mode = sys.argv[1], sys.argv[2]
warnings.simplefilter("ignore", UserWarning)  # the guard's RecompileWarning (outer_no_sync)
dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()


def net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


data = np.random.default_rng(2)
steps, micro = 4, 3
X = data.standard_normal((steps, 2, micro * world, 5)).astype(np.float32)
Y = data.integers(0, 3, (steps, 2, micro * world))
reference = net(0)
model = nn.parallel.DistributedDataParallel(net(rank), bucket_cap_mb=0.0005)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
ref_opt = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
mine = slice(micro * rank, micro * rank + micro)


@torch.compile(backend=backend)
def two_reductions(x1, y1, x2, y2):
    opt.zero_grad()
    loss1 = F.cross_entropy(model(x1), y1)
    loss1.backward()
    loss2 = F.cross_entropy(model(x2), y2)
    loss2.backward()
    opt.step()
    return loss1 + loss2


@torch.compile(backend=backend)
def inner_no_sync(x1, y1, x2, y2):
    opt.zero_grad()
    with model.no_sync():
        loss1 = F.cross_entropy(model(x1), y1)
        loss1.backward()
    loss2 = F.cross_entropy(model(x2), y2)
    loss2.backward()
    opt.step()
    return loss1 + loss2


@torch.compile(backend=backend)
def grad_step(x, y):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss


def outer_no_sync(x1, y1, x2, y2):
    opt.zero_grad()
    with model.no_sync():
        loss1 = grad_step(x1, y1)
    loss2 = grad_step(x2, y2)
    opt.step()
    return loss1 + loss2


step_fn = {"two_reductions": two_reductions, "inner_no_sync": inner_no_sync,
           "outer_no_sync": outer_no_sync}[mode]
for step in range(steps):
    parts = []
    for j in range(2):
        parts += [torch.tensor(X[step, j, mine]), torch.tensor(Y[step, j, mine])]
    loss = step_fn(*parts)
    ref_opt.zero_grad()
    ref_loss = 0
    for j in range(2):
        piece = F.cross_entropy(reference(torch.tensor(X[step, j])), torch.tensor(Y[step, j]))
        piece.backward()
        ref_loss = ref_loss + piece.item()
    ref_opt.step()
    total = loss.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(total.item(), ref_loss, rtol=1e-5)
    for (name, p), q in zip(model.module.named_parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{mode} step {step} grad {name}")
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=f"{mode} step {step} param {name}")
    for s, r in zip(opt.state.values(), ref_opt.state.values(), strict=True):
        np.testing.assert_allclose(s["momentum_buffer"].numpy(), r["momentum_buffer"].numpy(),
                                   rtol=1e-4, atol=1e-7)
compiled = grad_step if mode == "outer_no_sync" else step_fn
assert compiled.stats["replays"] >= 1, compiled.stats
programs = [type(s.program).__name__ for s in compiled.steps]
if mode == "two_reductions":
    assert compiled.steps[-1].program.n_grads == [len(model._buckets)] * 2, programs
elif mode == "inner_no_sync":
    assert compiled.steps[-1].program.n_grads == [len(model._buckets)], programs
else:  # one variant without a reduction (under no_sync), one with
    assert sorted(programs)[0] == "CutProgram" and len(set(programs)) == 2, programs
sys.stdout.write(f"OK {rank}\n")
