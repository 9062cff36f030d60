"""Building the CPU's shared library (thread pool, float32 GEMM) ahead of its first use, in a
background process, so that a fresh machine's first step does not wait for it.

On a machine whose disk cache holds no library yet (no ``lib-*.tkc`` file: a fresh install, an
emptied cache), ``import tenkai`` starts one child process (:func:`start`) that generates the
pieces of :data:`tenkai.codegen.cpu.library.PREBUILT` and stores them in the cache, exactly as
the first eager matmul or compiled step would (same keys, same signed entries). The import,
the model's construction and tracing go on meanwhile; when a step first needs a piece that is
not on disk yet, :func:`wait` lets the child finish (it is usually done or nearly done) and
the piece is loaded from the cache instead of generated a second time. If the child fails or
is slow, the piece is generated in this process as before: the child never decides what runs.

The child (``_prebuild_child.py``, run by path) imports only the codegen and the cache, not the
``tenkai`` package's API. A lock file in the cache directory keeps several processes started
together (data-parallel ranks, a test's workers) from each starting a child.
It starts only when a core is free for it (:func:`spare_core`: at least two usable cores
and a load average that leaves one idle), or always with ``TENKAI_PREBUILD=1``;
``TENKAI_PREBUILD=0`` (or ``TENKAI_CACHE=0``) turns it off; the test suite turns it off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tenkai import config
from tenkai.runtime.cache import LIBRARY_PREFIX, SUFFIX

LOCK = "prebuild.lock"
STALE_LOCK_S = 300.0  # a lock older than this is a child that died: ignored
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_prebuild_child.py")
WAIT_S = 60.0  # the longest a step waits for the child before generating the piece itself

_RUNNING: dict[str, subprocess.Popen] = {}  # cache directory -> the child building into it


def has_library(directory: str) -> bool:
    """Whether ``directory`` holds any library piece (a file ``lib-*.tkc``)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    return any(n.startswith(LIBRARY_PREFIX) and n.endswith(SUFFIX) for n in names)


def lock_held(directory: str) -> bool:
    """Whether a child (of any process) is building into ``directory`` now."""
    try:
        age = time.time() - os.stat(os.path.join(directory, LOCK)).st_mtime
    except OSError:
        return False
    return age < STALE_LOCK_S


def spare_core() -> bool:
    """Whether a core is idle for the child: this process may use at least two and the load
    average leaves one free. On a busy machine the child's own imports would only compete
    with this process, so the piece is generated here at first use instead."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here: assume the cores are free
        load = 0.0
    return cores >= 2 and load + 1.0 <= cores


def _is_python(executable: str) -> bool:
    """Whether ``executable`` runs Python scripts (not an embedding host or a frozen app)."""
    return bool(executable) and not getattr(sys, "frozen", False) and \
        os.path.basename(executable).lower().startswith(("python", "pypy"))


def start(directory: str | None = None) -> subprocess.Popen | None:
    """Start the child for ``directory`` (default: the cache directory) when prebuilding is on
    (``TENKAI_PREBUILD``), the directory holds no library piece and no other child is building
    into it; returns the child, or None when none was started."""
    if not config.prebuild_enabled() or not _is_python(sys.executable) or \
            not (config.prebuild_forced() or spare_core()):
        return None
    directory = os.path.abspath(directory or config.cache_dir())
    running = _RUNNING.get(directory)
    if running is not None and running.poll() is None:
        return running
    if has_library(directory) or lock_held(directory) or \
            (os.path.exists(directory) and not os.path.isdir(directory)):
        return None
    env = {**os.environ, "TENKAI_PREBUILD": "0", "TENKAI_CACHE_DIR": directory,
           "TENKAI_CACHE_KEY_FILE": config.cache_key_file()}
    try:
        child = subprocess.Popen([sys.executable, CHILD, directory], env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, close_fds=True,
                                 start_new_session=True)
    except OSError:  # no process to spare: the first use generates the library, as before
        return None
    _RUNNING[directory] = child
    return child


def wait(directory: str, timeout: float = WAIT_S) -> bool:
    """Let this process's child for ``directory`` finish (at most ``timeout`` seconds); True if
    there was one and it succeeded (its pieces are then on disk). Called before a piece is
    generated in this process."""
    child = _RUNNING.pop(os.path.abspath(directory), None)
    if child is None:
        return False
    try:
        return child.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        return False
