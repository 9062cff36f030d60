"""The compile path of ``tenkai.compile`` and ``tenkai.trace``: from a traced graph to a loaded
executable for a target, talking to targets only through ``tenkai.codegen.target``.

* :mod:`~tenkai.compiler.backend`: passes -> lowering -> the target's codegen -> its runtime
  (``compile_graph(graph, target)``), the compiled step the frontend calls (``NativeStep``);
* :mod:`~tenkai.compiler.step_cache`: cache keys (graph, ``Target.key()``, versions) and the
  memory/disk cache of compiled steps;
* :mod:`~tenkai.compiler.debug`: ``TENKAI_DEBUG`` lines, stage dumps, kernel summaries;
* :mod:`~tenkai.compiler.validate`: ``TENKAI_VALIDATE``, kernel by kernel against the
  interpreter;
* :mod:`~tenkai.compiler.staged`: ``tenkai.trace(...).lower(target=...).compile()``.

Nothing here imports the ``tenkai`` package root or a target's own modules.
"""

from __future__ import annotations



from tenkai import _trace
from tenkai.codegen.target import runnable, runtime_module
from tenkai.compiler import prebuild, step_cache

prebuild.start()  # an empty disk cache: generate the CPU library meanwhile (compiler/prebuild.py)


def is_compiling() -> bool:
    """True while ``tenkai.compile`` / ``tenkai.trace`` records the calling code (as
    ``torch.compiler.is_compiling``): code can skip work a compiled step should not contain.

    >>> tenkai.compiler.is_compiling()
    False
    """
    return _trace.active() is not None


is_dynamo_compiling = is_compiling


def reset() -> None:
    """Forget this process's compiled steps held in memory (as ``torch.compiler.reset``); the
    next call of a compiled function looks them up again (the disk cache stays)."""
    step_cache.clear_memory()


def _has_device(name: str) -> bool:
    """Whether target ``name``'s runtime finds a device here (a GPU target without a GPU
    does not; a runtime without ``device_count`` runs on the host)."""
    count = getattr(runtime_module(name), "device_count", None)
    return count is None or count() > 0


def list_backends(exclude_tags: tuple[str, ...] | None = ("debug", "experimental")
                  ) -> list[str]:
    """The ``backend=`` names ``tenkai.compile`` accepts: ``"tenkai"`` (the default, native
    code for the host), ``"interp"`` (the reference interpreter; tagged debug) and every
    target that can run here."""
    names = {"tenkai", *(n for n in runnable() if _has_device(n))}
    if exclude_tags is None or "debug" not in exclude_tags:
        names.add("interp")
    return sorted(names)


__all__ = ["is_compiling", "is_dynamo_compiling", "list_backends", "reset"]
