"""pyproject.toml lists its packages by hand (``tenkai`` is ``frontend/``, ``tenkai.ir`` is
``ir/`` ...): every package folder of the source tree must be in the list, or a regular
(non-editable) install silently ships without it."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+


ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for package, folder in config["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            if any(p.startswith(".") or p == "__pycache__" for p in rel):
                continue
            found.add(".".join((package, *rel)))
    missing = sorted(found - listed)
    assert not missing, f"package folders missing from pyproject.toml [tool.setuptools] " \
                        f"packages: {missing}"
