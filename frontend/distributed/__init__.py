"""``tenkai.distributed``: PyTorch's ``torch.distributed`` API on MPI (through mpi4py).

Install the engine with ``pip install 'tenkai[distributed]'`` (mpi4py and MPICH from PyPI)
and start a script on N processes with ``tenkai run -n N train.py`` (or ``mpiexec -n N``)::

    import tenkai as torch, tenkai.distributed as dist
    dist.init_process_group(backend="mpi")
    t = torch.ones(3) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

See docs/distributed.md for the design.
"""

from ._collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_reduce,
                           barrier, broadcast, irecv, isend, recv, reduce_scatter,
                           reduce_scatter_tensor, send)
from ._group import (DistBackendError, DistError, ProcessGroup, default_pg_timeout,
                     destroy_process_group, get_backend, get_rank, get_world_size,
                     init_process_group, is_available, is_initialized, is_mpi_available)

# PyTorch spells the group of all ranks ``GroupMember.WORLD``; None means the default group
class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = -100


group = GroupMember

__all__ = ["DistBackendError", "DistError", "GroupMember", "ProcessGroup", "ReduceOp", "Work",
           "all_gather", "all_gather_into_tensor", "all_reduce", "barrier", "broadcast",
           "default_pg_timeout", "destroy_process_group", "get_backend", "get_rank",
           "get_world_size", "group", "init_process_group", "irecv", "is_available",
           "is_initialized", "is_mpi_available", "isend", "recv", "reduce_scatter",
           "reduce_scatter_tensor", "send"]
