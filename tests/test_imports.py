"""Import discipline (issue #9; STYLE.md §1 and §12), checked from the source text alone.

The import graph has one node per module of ``frontend/`` (the package ``tenkai``), ``ir/``,
``codegen/`` and ``runtime/``, and one edge per import statement that names another of them:
at module level, inside functions and under ``if TYPE_CHECKING:`` alike, since an import moved
into a function still makes the two modules depend on each other. ``from pkg import name``
is an edge to the submodule ``pkg.name`` when there is one, else to ``pkg``. The implicit import
of a parent package (``import tenkai.ir.graph`` runs ``tenkai/__init__.py`` first) is not an
edge, and neither are imports by string (``importlib.import_module``).

The rules:
* no cycles: no module imports one that imports it back, directly or through others;
* layers import downward: ``ir`` imports only ``ir``; ``codegen`` imports ``codegen`` and
  ``ir``; ``runtime`` imports only ``runtime``; the frontend may import any of them;
* private names stay in their folder: ``from X import _name`` (or ``X._name`` on an imported
  module X) is allowed only when X's file is in the importer's folder. A private *submodule*
  (``from tenkai import _trace``) is a module, not a private name, and is allowed.

Nothing here imports tenkai, so a cycle that breaks ``import tenkai`` still gets a readable
report. The ``test_checker_*`` tests run the same checks on small packages written to a temp
dir, to show that each rule does fail when broken.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"frontend": "tenkai", "ir": "tenkai.ir", "codegen": "tenkai.codegen",
            "runtime": "tenkai.runtime"}
# what each layer may import (besides itself); the frontend may import every layer
ALLOWED = {"ir": {"ir"}, "codegen": {"codegen", "ir"}, "runtime": {"runtime"},
           "frontend": {"frontend", "ir", "codegen", "runtime"}}


@dataclass(frozen=True)
class Edge:
    """``importer`` imports ``target`` at ``where`` (``path:line``)."""

    importer: str
    target: str
    where: str


def find_modules(root: Path, packages: dict[str, str]) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` file under the package folders."""
    mods: dict[str, Path] = {}
    for folder, package in packages.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            if any(p.startswith(".") or p == "__pycache__" for p in parts):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join((package, *parts))] = path
    return mods


def _resolve(mod: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module name of a ``from ... import`` statement."""
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_package else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str, mods: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules (None for outside ones)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


@dataclass
class Scan:
    """Everything the rules need from the source: the edges and the private-name imports."""

    edges: list[Edge]
    private: list[str]


def scan(root: Path, packages: dict[str, str]) -> Scan:
    mods = find_modules(root, packages)
    edges: list[Edge] = []
    private: list[str] = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = f"{path.relative_to(root)}:"
        aliases: dict[str, str] = {}  # local name -> our module it is bound to
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                for a in node.names:
                    target = _known(a.name, mods)
                    if target is not None:
                        targets.append(target)
                        if a.asname:
                            aliases[a.asname] = target
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(mod, path.name == "__init__.py", node)
                for a in node.names:
                    sub = f"{source}.{a.name}"
                    if sub in mods:
                        targets.append(sub)
                        aliases[a.asname or a.name] = sub
                        continue
                    target = _known(source, mods)
                    if target is None:
                        continue
                    targets.append(target)
                    if _is_private(a.name) and mods[target].parent != path.parent:
                        private.append(f"{where}{node.lineno}: from {source} import {a.name} "
                                       f"({mods[target].relative_to(root)} is in another folder)")
            edges += [Edge(mod, t, f"{where}{node.lineno}") for t in targets if t != mod]
        private += _private_attributes(tree, aliases, mods, path, where, root)
    return Scan(edges, private)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_attributes(tree: ast.AST, aliases: dict[str, str], mods: dict[str, Path],
                        path: Path, where: str, root: Path) -> list[str]:
    """``X._name`` where X names one of our modules in another folder (not a submodule)."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and _is_private(node.attr)):
            target = aliases[node.value.id]
            if f"{target}.{node.attr}" not in mods and mods[target].parent != path.parent:
                found.append(f"{where}{node.lineno}: {node.value.id}.{node.attr} "
                             f"({mods[target].relative_to(root)} is in another folder)")
    return found


def layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("ir", "codegen", "runtime") else "frontend"


def find_cycles(edges: list[Edge]) -> list[str]:
    """One report per strongly connected group of modules: its members and one cycle through
    them, each step with the import statement that makes it."""
    graph = nx.DiGraph()
    for e in edges:
        graph.add_edge(e.importer, e.target, where=e.where)
    reports = []
    for group in sorted(nx.strongly_connected_components(graph), key=lambda c: sorted(c)):
        if len(group) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(group))
        steps = "\n".join(f"      {a} -> {b}  ({graph.edges[a, b]['where']})" for a, b in cycle)
        reports.append(f"{len(group)} modules import each other: {', '.join(sorted(group))}\n"
                       f"    for example:\n{steps}")
    return reports


def upward_imports(edges: list[Edge]) -> list[str]:
    return [f"{e.where}: {e.importer} ({layer(e.importer)}) imports {e.target} "
            f"({layer(e.target)}); {layer(e.importer)} may import only "
            f"{', '.join(sorted(ALLOWED[layer(e.importer)]))}"
            for e in edges if layer(e.target) not in ALLOWED[layer(e.importer)]]


# ---------------------------------------------------------------- the rules, on tenkai

_SCAN = scan(ROOT, PACKAGES)


def test_the_scan_sees_the_tree() -> None:
    mods = find_modules(ROOT, PACKAGES)
    assert len(mods) > 100 and "tenkai._tensor" in mods and "tenkai.ir.graph" in mods
    assert len(_SCAN.edges) > 500  # the rules below check the real import graph


def test_no_import_cycles() -> None:
    cycles = find_cycles(_SCAN.edges)
    assert not cycles, ("import cycles (imports inside functions and under TYPE_CHECKING "
                        "count): move the shared piece down a layer or pass it in from the "
                        "higher module\n  " + "\n  ".join(cycles))


def test_layers_import_downward() -> None:
    bad = upward_imports(_SCAN.edges)
    assert not bad, "imports against the layering (ir <- codegen <- frontend; runtime alone):\n  " \
        + "\n  ".join(bad)


def test_private_names_stay_in_their_folder() -> None:
    assert not _SCAN.private, ("private names imported from another folder: make them public "
                               "or move them\n  " + "\n  ".join(_SCAN.private))


def _patches_of_tensor(tree: ast.AST) -> list[int]:
    """Lines that set an attribute of the class ``Tensor`` (``Tensor.x = ...``, setattr)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            lines += [node.lineno for t in targets if isinstance(t, ast.Attribute)
                      and isinstance(t.value, ast.Name) and t.value.id == "Tensor"]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "setattr" and node.args
              and isinstance(node.args[0], ast.Name) and node.args[0].id == "Tensor"):
            lines.append(node.lineno)
    return lines


def test_tensor_methods_are_attached_in_one_place() -> None:
    """Tensor's op-built methods come from one table in ``_methods.py`` (issue #9: no
    patching in import order); only the package ``__init__`` imports that module."""
    importers = sorted({e.importer for e in _SCAN.edges if e.target == "tenkai._methods"})
    assert importers == ["tenkai"], f"tenkai._methods is imported by {importers}"
    patches = [f"{path.relative_to(ROOT)}:{line}"
               for mod, path in find_modules(ROOT, {"frontend": "tenkai"}).items()
               if mod != "tenkai._methods"
               for line in _patches_of_tensor(ast.parse(path.read_text()))]
    assert not patches, ("Tensor is patched outside _methods.py; list the method in the "
                         "module's METHODS table instead:\n  " + "\n  ".join(patches))


# ---------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> dict[str, str]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"pkg": "tk"}


def test_checker_finds_a_cycle_hidden_in_a_function_or_type_checking(tmp_path: Path) -> None:
    packages = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from . import b\n",
        "pkg/b.py": "def f():\n    from .c import x\n",
        "pkg/c.py": ("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from tk.a import y\n")})
    cycles = find_cycles(scan(tmp_path, packages).edges)
    assert len(cycles) == 1 and "tk.a, tk.b, tk.c" in cycles[0]
    assert "pkg/b.py:2" in cycles[0] and "pkg/c.py:3" in cycles[0]


def test_checker_finds_private_names_across_folders(tmp_path: Path) -> None:
    packages = _write(tmp_path, {
        "pkg/__init__.py": "", "pkg/_impl.py": "_helper = 1\n",
        "pkg/same.py": "from ._impl import _helper\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/far.py": ("from .. import _impl\nfrom .._impl import _helper\n"
                           "from ..same import __doc__\nx = _impl._helper\n")})
    private = scan(tmp_path, packages).private
    assert len(private) == 2, private
    assert private[0].startswith("pkg/sub/far.py:2: from tk._impl import _helper")
    assert private[1].startswith("pkg/sub/far.py:4: _impl._helper")


def test_checker_finds_patches_of_tensor() -> None:
    tree = ast.parse("Tensor.exp = f\nsetattr(Tensor, 'log', g)\nt.Tensor = 1\nx.exp = f\n")
    assert _patches_of_tensor(tree) == [1, 2]


def test_checker_finds_upward_imports() -> None:
    edges = [Edge("tenkai.ir.graph", "tenkai.codegen.kir", "ir/graph.py:1"),
             Edge("tenkai.codegen.cpu.jit", "tenkai.runtime.jit", "codegen/cpu/jit.py:2"),
             Edge("tenkai.runtime.cache", "tenkai.ir.graph", "runtime/cache.py:3"),
             Edge("tenkai.codegen.lower.kernel", "tenkai", "codegen/lower/kernel.py:4"),
             Edge("tenkai.codegen.cpu.codegen", "tenkai.ir.graph", "codegen/cpu/codegen.py:5"),
             Edge("tenkai._backend", "tenkai.runtime.jit", "frontend/_backend.py:6")]
    bad = upward_imports(edges)
    assert [b.split(":")[0] for b in bad] == ["ir/graph.py", "codegen/cpu/jit.py",
                                              "runtime/cache.py", "codegen/lower/kernel.py"]
