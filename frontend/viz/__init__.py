"""``tenkai.viz``: pictures of graphs and a report of a compiled step.

* :func:`make_dot` — the autograd graph behind a tensor, with torchviz's conventions.
* :func:`draw` / :func:`to_dot` — tenkai's own graphs at any stage (traced, fused, lowered).
* :func:`to_graphml` / :func:`to_json` / :func:`to_networkx` — for networkx users.
* :func:`report` — one self-contained HTML page (picture, stage texts, groups, memory plan,
  kernel table).

Building DOT needs the ``graphviz`` Python package (``pip install 'tenkai[viz]'``);
rendering SVG/PNG/PDF needs Graphviz's ``dot`` program (``apt-get install graphviz``).
"""

from ._autograd_dot import make_dot
from ._graph_dot import draw, parts, to_dot, to_graphml, to_json, to_networkx
from ._render import GraphvizMissingError, Picture, have_dot
from ._report import report
from ._timeline import memory_timeline_svg

__all__ = ["GraphvizMissingError", "Picture", "draw", "have_dot", "make_dot",
           "memory_timeline_svg", "parts", "report", "to_dot", "to_graphml", "to_json",
           "to_networkx"]
