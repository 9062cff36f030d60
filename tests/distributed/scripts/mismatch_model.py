"""Run under mpiexec: ranks build different models; DDP says which rank differs."""

import sys

import tenkai.distributed as dist
from tenkai import nn

dist.init_process_group(backend="mpi")
rank = dist.get_rank()
try:
    nn.parallel.DistributedDataParallel(nn.Linear(4, 3 + rank))
except RuntimeError as e:
    assert "DDP expects same model across all ranks" in str(e), e
    assert f"on rank {1 - rank}" in str(e) or "rank 1" in str(e), e
    sys.stdout.write(f"OK {rank}\n")
