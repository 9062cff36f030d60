"""Run under ``tenkai run``: rank 1 is killed by a signal (as a crash in native code would be)."""

import os
import signal

import tenkai as torch
import tenkai.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    os.kill(os.getpid(), signal.SIGSEGV)
dist.all_reduce(torch.ones(3))
print("should not happen", flush=True)
