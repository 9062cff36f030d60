"""Run under mpiexec: rank 1 dies without a Python exception (as a crash would)."""

import os

import tenkai as torch
import tenkai.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    os._exit(3)
dist.all_reduce(torch.ones(3))
