"""Run under mpiexec: rank 1 stays away from the collective; rank 0 times out, naming itself."""

import datetime
import time

import tenkai as torch
import tenkai.distributed as dist

dist.init_process_group(backend="mpi", timeout=datetime.timedelta(seconds=1))
if dist.get_rank() == 1:
    time.sleep(60)
dist.barrier()  # rank 1 never arrives (a dead or stuck peer)
dist.all_reduce(torch.ones(3))
