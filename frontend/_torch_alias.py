"""Run an unchanged PyTorch script on tenkai: ``import torch`` (and ``torch.nn``,
``torch.utils.data``, ``from torch import optim``...) resolve to tenkai's modules.

:func:`install` puts a finder first on ``sys.meta_path`` that answers every ``torch`` /
``torch.<sub>`` import with ``tenkai`` / ``tenkai.<sub>``; a submodule tenkai does not have
fails as in PyTorch-less Python (``ModuleNotFoundError: No module named 'torch.xyz'``), saying
which tenkai module was looked for. ``tenkai bench --script FILE.py`` runs scripts this way;
so does ``python -m tenkai.as_torch FILE.py`` (see :mod:`tenkai.as_torch`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any


class _Alias(importlib.abc.Loader):
    """Loads ``torch.x`` as the already imported module ``tenkai.x``."""

    def __init__(self, target: types.ModuleType) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.target

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the tenkai module is imported already."""


class TorchFinder(importlib.abc.MetaPathFinder):
    """Maps the ``torch`` package tree onto ``tenkai``'s."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        name = "tenkai" + fullname[len("torch"):]
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            raise ModuleNotFoundError(f"No module named {fullname!r} (running on tenkai, "
                                      f"which has no {name!r})", name=fullname) from None
        _alias_loaded(fullname, name)
        return importlib.machinery.ModuleSpec(fullname, _Alias(module),
                                              is_package=hasattr(module, "__path__"))


def _alias_loaded(fullname: str, name: str) -> None:
    """Register ``torch.<sub>`` for every ``tenkai.<sub>`` below ``name`` imported already, so
    a later import of one finds it in ``sys.modules`` as in PyTorch, and does not set the
    submodule as an attribute of its package: ``from torch.autograd.gradcheck import
    GradcheckError`` leaves ``torch.autograd.gradcheck`` the function."""
    prefix = name + "."
    for key, module in list(sys.modules.items()):
        if key.startswith(prefix):
            sys.modules.setdefault(fullname + key[len(name):], module)


def install() -> None:
    """Make ``import torch`` import tenkai in this process (idempotent)."""
    if not any(isinstance(f, TorchFinder) for f in sys.meta_path):
        stale = [k for k in sys.modules if k == "torch" or k.startswith("torch.")]
        if stale:
            raise RuntimeError(f"tenkai: cannot alias torch to tenkai: {stale[0]} is imported "
                               "already (install the alias before anything imports torch)")
        sys.meta_path.insert(0, TorchFinder())
