"""The shape of the code: no import cycle among tsstore's own modules, no module named by
when it was written.

The import graph is read from the source (every import statement, at module level or inside
a function, except under `if TYPE_CHECKING:`), plus dynamic loading (a module that imports
its package's modules by name through pkgutil, as the render-function registry does, depends
on every module below its package), plus the implied import of each parent package.
"""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(os.environ.get("TSSTORE_ROOT") or Path(__file__).resolve().parents[1])
CHRONOLOGICAL = re.compile(r"_(more|extra|misc|new|old|continued|\d+)$")


def _modules() -> dict[str, Path]:
    """Dotted name -> file, for tsstore/ and api/ (installed as tsstore.api)."""
    found = {}
    for base, prefix in ((ROOT / "tsstore", ("tsstore",)), (ROOT / "api", ("tsstore", "api"))):
        for path in base.rglob("*.py"):
            if path.is_symlink() or any(p.is_symlink() for p in path.relative_to(base).parents if str(p) != "."):
                continue
            rel = path.relative_to(base).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            found[".".join(prefix + rel)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                targets.add(full if full in modules else source)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    edges = set()
    for target in targets:
        # the nearest enclosing module of ours (import a.b.c loads a.b.c)
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != module:
            edges.add(target)
    parent = module.rpartition(".")[0]
    if parent in modules and parent != module:
        edges.add(parent)  # importing a submodule runs its package's __init__ first
    return edges


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    for name, path in modules.items():
        text = path.read_text()
        if "pkgutil." in text and "import_module" in text:
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            graph[name] |= {m for m in modules if m.startswith(package + ".") and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def strongconnect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def test_the_graph_is_read():
    graph = import_graph()
    assert "tsstore.api.app" in graph and "tsstore.query.engine" in graph
    assert len(graph) > 40
    loaders = [m for m, deps in graph.items() if any(d.startswith("tsstore.query.functions.") for d in deps)
               and "pkgutil." in _modules()[m].read_text()]
    assert loaders, "the render-function loader was not seen: dynamic imports would go unchecked"


def test_no_import_cycle_among_our_modules():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_named_by_chronology():
    named = [m for m in import_graph() if CHRONOLOGICAL.search(m.rpartition(".")[2])]
    assert not named, f"modules named by when they were written, not by concern: {named}"


def test_every_package_is_installed_by_pip():
    """pyproject.toml lists packages by hand (api/ is installed as tsstore.api): a package
    missing from the list would be absent from `pip install .` though the tests pass here."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {m for m, path in _modules().items() if path.name == "__init__.py"}
    assert packages - listed == set(), f"packages missing from pyproject.toml [tool.setuptools] packages: {sorted(packages - listed)}"
    assert listed - packages == set(), f"pyproject.toml lists packages that do not exist: {sorted(listed - packages)}"
