"""The pass driver: the one place that lists the compile pipeline's stages.

``run_pipeline(g)`` runs ``DEFAULT = (simplify, fuse, recompute, plan_memory)``; each pass is a pure
``Graph -> Graph`` function. When ``verify`` is on, the driver checks the graph after every
pass (the verifier, then the fusion annotation and the memory plan once they exist) and names
the pass that broke it: "in pass `fuse` (after `simplify`)". It times every pass and can dump
the text after passes named in ``dump_after``. It reads no environment variables: the frontend
maps ``TENKAI_VERIFY`` / ``TENKAI_PRINT_AFTER`` / ``TENKAI_DEBUG`` onto these arguments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from ..errors import VerifyError
from ..graph import Graph
from ..verify import verify as verify_graph
from .fusion import check_groups, fuse
from .memory import check_plan, plan_memory
from .recompute import recompute
from .simplify import simplify

Pass = Callable[[Graph], Graph]

DEFAULT: tuple[Pass, ...] = (simplify, fuse, recompute, plan_memory)


def _where(name: str, done: list[str]) -> str:
    after = ", ".join(f"`{d}`" for d in done)
    return f"in pass `{name}` ({f'after {after}' if done else 'the first pass'})"


def check_all(g: Graph) -> None:
    """Every invariant a graph at this point of the pipeline must keep."""
    verify_graph(g)
    if "groups" in g.meta:
        check_groups(g)
    if "memory" in g.meta:
        check_plan(g)


def run_pipeline(g: Graph, passes: Sequence[Pass] = DEFAULT, verify: bool = True,
                 dump_after: Iterable[str] = (), dump: Callable[[str], None] = print,
                 timings: dict[str, float] | None = None) -> Graph:
    """Run ``passes`` over ``g`` (which is not modified) and return the last result.

    ``dump_after`` names passes whose output text goes to ``dump``; ``timings``, when given,
    receives ``pass name -> seconds``. A broken invariant raises VerifyError naming the pass.
    """
    wanted, done = set(dump_after), list[str]()
    for p in passes:
        name = getattr(p, "__name__", repr(p))
        start = time.perf_counter()
        try:
            g = p(g)
        except Exception as err:
            err.add_note(_where(name, done))
            raise
        seconds = time.perf_counter() - start
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + seconds
        if verify:
            try:
                check_all(g)
            except VerifyError as err:
                raise VerifyError(f"{_where(name, done)}: {err}") from err
        if name in wanted:
            text = g.dump()
            if name == "plan_memory" and "memory" in g.meta:
                text += "\n" + g.meta["memory"].as_text()
            dump(f"// IR after {name}\n{text}")
        done.append(name)
    return g
