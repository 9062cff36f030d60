"""The picture object every ``tenkai.viz`` drawing returns: DOT source always, rendering
through Graphviz's ``dot`` program when it is installed.

The ``graphviz`` Python package (``pip install 'tenkai[viz]'``) builds the DOT text; the
``dot`` program (Debian/Ubuntu ``apt-get install graphviz``, macOS ``brew install graphviz``)
turns it into SVG/PNG/PDF. Without ``dot``, ``.source`` and ``.save("x.dot")`` still work and
rendering raises :class:`GraphvizMissingError` saying what to install.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

INSTALL_DOT = ("Graphviz's `dot` program is not installed (not found on PATH); install it with "
               "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS), "
               "or save the DOT source instead (picture.save('graph.dot') / picture.source)")
FORMATS = ("svg", "png", "pdf", "dot")


class GraphvizMissingError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, which is not installed."""


def graphviz_module() -> Any:
    """The ``graphviz`` package, imported lazily with an install hint when absent."""
    try:
        import graphviz
    except ImportError as err:
        raise ImportError("tenkai.viz needs the `graphviz` Python package: "
                          "pip install 'tenkai[viz]' (or pip install graphviz)") from err
    return graphviz


def have_dot() -> bool:
    return shutil.which("dot") is not None


class Picture:
    """A drawing: ``.source`` (DOT text), ``.render(path, format)``, ``.pipe(format)`` and
    ``_repr_svg_`` for Jupyter. ``.digraph`` is the underlying ``graphviz.Digraph``."""

    def __init__(self, digraph: Any) -> None:
        self.digraph = digraph

    @property
    def source(self) -> str:
        return self.digraph.source

    def __str__(self) -> str:
        return self.source

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered bytes (needs ``dot``)."""
        _check_format(format)
        if format == "dot":
            return self.source.encode()
        if not have_dot():
            raise GraphvizMissingError(f"cannot render {format}: {INSTALL_DOT}")
        return self.digraph.pipe(format=format)

    def render(self, path: str, format: str | None = None) -> str:
        """Write the picture and return the file's path. The format comes from ``format``,
        else the path's suffix, else svg; as with graphviz/torchviz, ``render("net",
        format="png")`` writes ``net.png``. ``format="dot"`` (or a ``.dot``/``.gv`` path)
        writes the DOT source and needs no ``dot`` program."""
        suffix = os.path.splitext(path)[1].lstrip(".").lower()
        if suffix == "gv":
            return self.save(path)
        fmt = format or (suffix if suffix in FORMATS else "svg")
        _check_format(fmt)
        if suffix != fmt:
            path = f"{path}.{fmt}"
        if fmt == "dot":
            return self.save(path)
        data = self.pipe(fmt)
        _write_bytes(path, data)
        return path

    def save(self, path: str) -> str:
        """Write the DOT source to ``path``."""
        _write_bytes(path, (self.source if self.source.endswith("\n") else self.source + "\n")
                     .encode())
        return path

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode()


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"tenkai.viz: unknown picture format {fmt!r}; expected one of "
                         f"{', '.join(FORMATS)}")


def _write_bytes(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
