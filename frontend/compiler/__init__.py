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
