"""``python -m tenkai.distributed._rank SCRIPT ARGS...``: one rank of ``tenkai run``.

The MPI launcher starts this small watcher as each rank; it runs the user's script as a child
(which inherits the launcher's environment and PMI connection, so the child is the MPI process)
and, when the child ends abnormally, prints which rank it was and how it ended before passing
the status on. A rank that dies without a Python exception (``os._exit``, a signal, a crash in
native code) thus still names itself: the MPI launcher reports only that "a process" ended.
The child is tied to the watcher (``PR_SET_PDEATHSIG``), so it never outlives the job.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

# environment variables MPI launchers set to the process's rank (MPICH/Hydra, Open MPI, Slurm)
RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
PR_SET_PDEATHSIG = 1


def rank_of(env: dict[str, str]) -> str:
    return next((env[v] for v in RANK_VARIABLES if v in env), "?")


def describe(status: int) -> str:
    """How a child ended, from :attr:`subprocess.Popen.returncode`."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with code {status}"


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tenkai.distributed._rank SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    keep = tuple(int(os.environ[v]) for v in ("PMI_FD",) if os.environ.get(v, "").isdigit())
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen([sys.executable, *argv], pass_fds=keep, preexec_fn=preexec)
    forward = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2)
    for sig in forward:
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    status = child.wait()
    if status != 0:
        print(f"tenkai run: rank {rank_of(dict(os.environ))} {describe(status)} "
              f"({' '.join(argv)})", file=sys.stderr, flush=True)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
