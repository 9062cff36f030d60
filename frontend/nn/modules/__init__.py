"""``tenkai.nn.modules``: PyTorch's ``torch.nn.modules`` layout over tenkai's layers.

Every submodule PyTorch has (``batchnorm``, ``conv``, ``loss``, ``module``, ...) exists here
and holds the same names, bound to the classes tenkai's layers are built from, so
``from tenkai.nn.modules.batchnorm import _BatchNorm`` and ``isinstance(m,
nn.modules.loss._Loss)`` work as with ``import torch``. The package itself holds every
public layer class, as ``torch.nn.modules`` does.
"""

from __future__ import annotations

import sys
from types import ModuleType

from .. import _layout
from . import utils

__all__: list[str] = []


def _build() -> None:
    package = sys.modules[__name__]
    for sub, names in _layout.LAYOUT.items():
        mod = ModuleType(f"{__name__}.{sub}", f"PyTorch's ``torch.nn.modules.{sub}`` names.")
        public = []
        for name in names.split():
            setattr(mod, name, _layout.lookup(name))
            if not name.startswith("_"):
                public.append(name)
                if not name.startswith("register_"):
                    setattr(package, name, getattr(mod, name))
                    __all__.append(name)
        mod.__all__ = public  # type: ignore[attr-defined]
        sys.modules[mod.__name__] = mod
        setattr(package, sub, mod)


_build()
