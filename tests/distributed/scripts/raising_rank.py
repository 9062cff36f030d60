"""Run under mpiexec: rank 1 raises while rank 0 waits in a collective."""

import tenkai as torch
import tenkai.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    raise ValueError("boom on purpose")
dist.all_reduce(torch.ones(3))  # never completes: rank 1 is gone
print("rank 0 finished (should not happen)", flush=True)
