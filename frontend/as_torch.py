"""``python -m tenkai.as_torch SCRIPT.py [args...]``: run an unchanged PyTorch script on
tenkai (``import torch`` imports tenkai; see :mod:`tenkai._torch_alias`), as ``python
SCRIPT.py`` would run it (``sys.argv``, ``__main__``, the script's folder on ``sys.path``)."""

from __future__ import annotations

import os
import runpy
import sys

from ._torch_alias import install


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        raise SystemExit(0 if argv else 2)
    install()
    script = argv[0]
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
