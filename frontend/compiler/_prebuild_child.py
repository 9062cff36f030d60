"""The child process of :mod:`tenkai.compiler.prebuild`: ``python _prebuild_child.py DIR``
generates the CPU library pieces of ``PREBUILT`` missing from the disk cache ``DIR`` and
stores them there (the entries ``tenkai.compiler.step_cache`` would store). Run by path, so
it imports the codegen and the cache without the ``tenkai`` package's API (whose import
is most of a second). Exit status 0: every piece is on disk; 3: another child holds the lock.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys


def _bare_package() -> None:
    """Register the ``tenkai`` package without running its ``__init__`` (the API): its
    subpackages (codegen, runtime, compiler) import as usual."""
    spec = importlib.util.find_spec("tenkai")
    if spec is None or spec.submodule_search_locations is None:
        raise SystemExit(2)
    sys.modules["tenkai"] = importlib.util.module_from_spec(spec)


def _take_lock(directory: str, name: str) -> str | None:
    """Create the lock file (O_EXCL); None when another child holds a fresh one."""
    from tenkai.compiler.prebuild import lock_held

    path = os.path.join(directory, name)
    if lock_held(directory):
        return None
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a stale lock (lock_held said so)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return None
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return path


def main(directory: str) -> int:
    _bare_package()
    from tenkai import config
    from tenkai.codegen.target import describe
    from tenkai.compiler import prebuild, step_cache

    library = importlib.import_module("tenkai.codegen.cpu.library")
    os.makedirs(directory, exist_ok=True)
    cache = step_cache.open_cache(directory, config.cache_key_file())
    if cache is None:
        return 1
    lock = _take_lock(cache.directory, prebuild.LOCK)
    if lock is None:
        return 3
    try:
        target = describe("cpu")
        table = library.pieces()
        for name in library.PREBUILT:
            if name in table:
                step_cache.prebuild_piece(cache, table[name], target)
    finally:
        os.unlink(lock)
    return 0


if __name__ == "__main__":
    del sys.path[0]  # this file's folder: its modules are not top-level modules
    sys.exit(main(sys.argv[1]))
