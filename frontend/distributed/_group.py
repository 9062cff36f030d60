"""The default process group: MPI's ``COMM_WORLD`` through mpi4py, with PyTorch's API.

mpi4py is imported only by :func:`init_process_group`, so ``import tenkai.distributed`` works
without the ``distributed`` extra. Rank and world size come from the MPI launcher
(``mpiexec -n 4 python train.py`` or ``tenkai run -n 4 train.py``).
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
import time
from typing import Any

from ..config import distributed_env

# PyTorch's default collective timeout for CPU backends
default_pg_timeout = datetime.timedelta(minutes=30)


class DistError(RuntimeError):
    """PyTorch's ``torch.distributed.DistError``: a failure in the distributed layer."""


class DistBackendError(DistError):
    """A collective failed or timed out in the communication backend."""


class ProcessGroup:
    """The group of all ranks (tenkai has one group: MPI's COMM_WORLD)."""

    def __init__(self, comm: Any, timeout: datetime.timedelta) -> None:
        self.comm, self.timeout = comm, timeout

    def rank(self) -> int:
        return int(self.comm.Get_rank())

    def size(self) -> int:
        return int(self.comm.Get_size())

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"<ProcessGroup mpi rank={self.rank()} size={self.size()}>"


class _World:
    group: ProcessGroup | None = None
    previous_excepthook: Any = None


WORLD = _World()


def is_available() -> bool:
    """True when the MPI engine (the ``distributed`` extra: mpi4py + an MPI) is installed."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_initialized() -> bool:
    return WORLD.group is not None


def _mpi() -> Any:
    if not is_available():
        raise RuntimeError("tenkai.distributed needs mpi4py and an MPI library: "
                           "pip install 'tenkai[distributed]'")
    from mpi4py import MPI

    return MPI


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Join the MPI job started by ``mpiexec``/``tenkai run`` (``backend="mpi"``).

    >>> import tenkai.distributed as dist
    >>> dist.init_process_group(backend="mpi")  # doctest: +SKIP
    """
    if WORLD.group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    if name != "mpi":
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in: "
                           "tenkai's engine is MPI; use init_process_group(backend='mpi') and "
                           "start the script with mpiexec or `tenkai run -n N script.py`")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method={init_method!r} does not apply to "
                         "the MPI backend (the MPI launcher connects the ranks); leave it unset")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    # PyTorch's env:// variables, where set, must agree with what the launcher says
    env_rank, env_world = distributed_env()
    world_size = env_world if world_size == -1 else world_size
    rank = env_rank if rank == -1 else rank
    if world_size not in (-1, size) or rank not in (-1, me):
        raise ValueError(f"init_process_group: world_size={world_size}, rank={rank} disagree "
                         f"with the MPI launcher (size {size}, rank {me}); with backend='mpi' "
                         "leave them (and RANK, WORLD_SIZE) unset")
    WORLD.group = ProcessGroup(comm, timeout or default_pg_timeout)
    _install_excepthook(comm)


def _install_excepthook(comm: Any) -> None:
    """An uncaught exception on one rank aborts the whole job instead of hanging the others."""
    if comm.Get_size() == 1 or WORLD.previous_excepthook is not None:
        return
    WORLD.previous_excepthook = sys.excepthook
    previous = sys.excepthook

    def abort_all_ranks(kind: Any, value: Any, tb: Any) -> None:
        previous(kind, value, tb)
        sys.stderr.write(f"tenkai.distributed: rank {comm.Get_rank()} raised "
                         f"{kind.__name__}: {value}; aborting all {comm.Get_size()} ranks\n")
        sys.stdout.flush()
        sys.stderr.flush()
        # MPI_Abort makes the launcher kill every rank, and output it has not forwarded yet
        # is lost with them: give its forwarder a moment to pass the report on
        time.sleep(0.5)
        comm.Abort(1)

    sys.excepthook = abort_all_ranks


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (MPI itself is finalized when the process exits)."""
    if WORLD.group is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    WORLD.group = None
    if WORLD.previous_excepthook is not None:
        sys.excepthook, WORLD.previous_excepthook = WORLD.previous_excepthook, None


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    if group is not None:
        return group
    if WORLD.group is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return WORLD.group


def get_rank(group: ProcessGroup | None = None) -> int:
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    default_group(group)
    return "mpi"
