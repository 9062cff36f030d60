"""One rank of ``tenkai bench --ranks N``: a built-in workload, data-parallel and compiled.

Run under the MPI launcher (``python -m tenkai.distributed._bench WORKLOAD STEPS REPEATS
THREADS``): THREADS is the size of each rank's native thread pool.
The global batch is the workload's default; each rank trains on its 1/N share, with the
workload's own step compiled by ``tenkai.compile`` and its parameters wrapped in
DistributedDataParallel (the step closes over the model, so DDP wraps a module that holds
the same parameters: its gradient hooks fire whichever module ran them). Rank 0 prints one
JSON line: the slowest rank's step time.
"""

from __future__ import annotations

import json
import sys

import tenkai
from tenkai import bench, nn
from tenkai import distributed as dist
from tenkai.codegen.target import runtime_module


def main(argv: list[str]) -> int:
    name, steps, repeats, threads = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    dist.init_process_group(backend="mpi")
    world = dist.get_world_size()
    global_batch = tenkai.Size(bench.WORKLOADS[name](tenkai)[1][0].shape)[0]
    if global_batch % world:
        raise ValueError(f"tenkai bench --ranks: the global batch {global_batch} of {name} "
                         f"does not split over {world} ranks")
    step, args = bench.WORKLOADS[name](tenkai, global_batch // world)
    holder = nn.Module()
    for k, p in enumerate(bench.optimizer_of(step).param_groups[0]["params"]):
        holder.register_parameter(f"p{k}", p)
    nn.parallel.DistributedDataParallel(holder)
    compiled = tenkai.compile(step)

    def one() -> object:
        return compiled(*args)

    for _ in range(3):  # trace (state is created), trace again and compile, replay
        one()
    if runtime_module(compiled.target.name).set_threads(threads) == 0:
        raise RuntimeError("tenkai bench --ranks: no native thread pool was loaded")
    dist.barrier()
    seconds, loss = bench.time_steps(one, steps, repeats, warmup=1)
    slowest = tenkai.tensor([seconds], dtype=tenkai.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    if dist.get_rank() == 0:
        print(json.dumps({"workload": name, "ranks": world, "global_batch": global_batch,
                          "step_s": slowest.item(), "loss": float(loss.item())}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
