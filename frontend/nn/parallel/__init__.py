"""``tenkai.nn.parallel``: ``DistributedDataParallel`` over ``tenkai.distributed`` (MPI)."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
