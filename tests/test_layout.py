"""The import graph of ``mapdiff/``: no cycle, and layers that point one way.

Every ``import`` and ``from ... import`` in the package is read from the source (module
level and inside functions alike), and importing ``a.b.c`` counts as importing ``a`` and
``a.b`` too, since Python runs their ``__init__`` first. The rules:

- the graph has no cycle;
- nothing imports ``mapdiff.cli``, and only ``cli`` imports the package root;
- modules outside ``draw/`` import ``draw`` only inside a ``plot``/``explore`` method or a
  ``save``-style delegate, and ``draw`` never imports an analysis module (it draws results
  by what they expose: ``to_gdf()``, attributes), so delegating never closes a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mapdiff"
DELEGATES = {"plot", "explore", "_repr_png_", "save_figure", "plot_panels"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = module.split(".") if is_pkg else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    # ``from . import x`` imports the submodule x when there is one, else a name of the package
    return [f"{target}.{a.name}" for a in node.names] + [target]


def _with_parents(name: str) -> list[str]:
    # the root package is every module's parent: only an explicit import of it is an edge
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def import_graph() -> dict[str, set[tuple[str, str | None]]]:
    """Map each module to the set of (module it imports, enclosing function or None)."""
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(f) for f in files}
    graph: dict[str, set[tuple[str, str | None]]] = {}
    for f in files:
        name = _module_name(f)
        is_pkg = f.name == "__init__.py"
        tree = ast.parse(f.read_text(encoding="utf-8"))
        edges: set[tuple[str, str | None]] = set()

        def visit(node, func, name=name, is_pkg=is_pkg, edges=edges):
            for child in ast.iter_child_nodes(node):
                inner = func
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner = child.name
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    targets = _resolve(name, is_pkg, child)
                for t in targets:
                    if (
                        isinstance(child, ast.ImportFrom)
                        and t == targets[-1]
                        and len(targets) > 1
                        and any(x in modules for x in targets[:-1])
                    ):
                        continue  # the names were submodules: the package itself is only their parent
                    for m in _with_parents(t):
                        if m in modules and m != name and (m != "mapdiff" or t == "mapdiff"):
                            edges.add((m, func))
                visit(child, inner)

        visit(tree, None)
        graph[name] = edges
    return graph


def _cycle(graph) -> list[str] | None:
    adj = {m: {t for t, _ in e} for m, e in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(adj.get(m, ())):
            if state.get(t) == 1:
                return [*stack[stack.index(t) :], t]
            if t not in state and (found := dfs(t)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(adj):
        if m not in state and (found := dfs(m)):
            return found
    return None


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_import_cycle(graph):
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_graph_is_read(graph):
    # the reader must see the package's real edges, or the tests above prove nothing
    assert ("mapdiff.model.control_map", None) in graph["mapdiff.io.read"]
    assert any(t == "mapdiff.cli" for t, _ in graph["mapdiff.cli.claim"])


def test_nothing_imports_cli_or_the_root(graph):
    bad = [
        (m, t)
        for m, edges in graph.items()
        for t, _ in edges
        if (_in(t, "mapdiff.cli") and not _in(m, "mapdiff.cli") and m != "mapdiff.__main__")
        or (t == "mapdiff" and not _in(m, "mapdiff.cli") and m != "mapdiff.__main__")
    ]
    assert not bad, bad


def test_draw_is_only_reached_through_delegates(graph):
    bad = [
        (m, t, f)
        for m, edges in graph.items()
        if not _in(m, "mapdiff.draw") and not _in(m, "mapdiff.cli") and m != "mapdiff"
        for t, f in edges
        if _in(t, "mapdiff.draw") and f not in DELEGATES
    ]
    assert not bad, bad


ANALYSES = (
    "mapdiff.comparison.core",
    "mapdiff.claims.check",
    "mapdiff.encircle",
    "mapdiff.history.change",
    "mapdiff.history.lag",
    "mapdiff.claims.ledger",
    "mapdiff.history.releases",
    "mapdiff.history._engine",
)


def test_draw_never_imports_an_analysis(graph):
    bad = [
        (m, t)
        for m, edges in graph.items()
        if _in(m, "mapdiff.draw") and not m.endswith(".report")
        for t, _ in edges
        if any(_in(t, a) for a in ANALYSES)
    ]
    assert not bad, bad


# ------------------------------------------------------------------------------- layers
#: Each module's layer (longest matching prefix wins); a module imports only its own layer
#: or lower ones (a same-layer cycle is caught above). ``draw`` sits beside ``places``:
#: analyses reach it only through delegates, and it reads only what results expose.
LAYERS: dict[str, tuple[int, str]] = {
    "mapdiff._version": (0, "base"),
    "mapdiff._json": (0, "base"),
    "mapdiff._dates": (0, "base"),
    "mapdiff._dirs": (0, "base"),
    "mapdiff._resources": (0, "base"),
    "mapdiff._lazy": (0, "base"),
    "mapdiff._moved": (0, "base"),
    "mapdiff.errors": (0, "base"),
    "mapdiff.config": (0, "base"),
    "mapdiff.labels": (0, "base"),
    "mapdiff._http": (1, "model"),
    "mapdiff._geo": (1, "model"),
    "mapdiff.model": (1, "model"),
    "mapdiff.profiles": (1, "model"),
    "mapdiff.io": (1, "model"),  # formats, the gate and the writers
    "mapdiff.places": (2, "places"),
    "mapdiff.draw": (2, "draw"),
    "mapdiff.io.read": (3, "reading"),
    "mapdiff.io.lines": (3, "reading"),
    "mapdiff.io.cache": (3, "reading"),
    "mapdiff.sources": (3, "reading"),
    "mapdiff.comparison": (4, "analyses"),
    "mapdiff.encircle": (4, "analyses"),
    "mapdiff.claims": (4, "analyses"),
    "mapdiff.history": (4, "analyses"),
    "mapdiff.history.releases": (5, "history"),
    "mapdiff.history.regions": (5, "history"),
    "mapdiff.history.report": (5, "history"),
    "mapdiff.claims.across": (6, "across sources"),
    "mapdiff.claims.tracker": (6, "across sources"),
    "mapdiff.update": (7, "update"),
    "mapdiff.cli": (8, "cli"),
    "mapdiff.__main__": (8, "cli"),
    "mapdiff": (8, "cli"),
}


#: The imports allowed to point up a layer, each inside a function and with its reason.
UPWARD = {
    # check_claims/check_claim_all/track take a folder, glob or files and read them as
    # Releases; a ledger of ControlMaps never loads history (nor pandas).
    ("mapdiff.claims._maps", "mapdiff.history.releases"),
    # a set of places (all hromadas) is kept in the read cache's folder between runs
    ("mapdiff.places.footprints", "mapdiff.io.cache"),
}


def layer(module: str) -> tuple[int, str]:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        if (key := ".".join(parts[:i])) in LAYERS:
            return LAYERS[key]
    raise KeyError(module)


def test_every_module_has_a_layer(graph):
    missing = []
    for m in graph:
        try:
            layer(m)
        except KeyError:
            missing.append(m)
    assert not missing, f"add these modules to LAYERS in tests/test_layout.py: {missing}"


def test_imports_point_down_the_layers(graph):
    bad = [
        f"{m} ({layer(m)[1]}) imports {t} ({layer(t)[1]})"
        for m, edges in graph.items()
        for t, func in edges
        if layer(t)[0] > layer(m)[0]
        and not (_in(t, "mapdiff.draw") and func in DELEGATES)
        and not (_in(t, "mapdiff.draw") and not _in(m, "mapdiff.draw"))  # the delegate rule above
        and not ((m, t) in UPWARD and func is not None)
    ]
    assert not bad, "\n".join(bad)


def test_the_import_graph_picture_is_current():
    """docs/img/import-graph.txt (and the .png beside it) is what tools/import_graph.py writes
    for the code as it is: regenerate both after changing who imports whom."""
    import subprocess
    import sys

    tool = PACKAGE.parent / "tools" / "import_graph.py"
    out = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_tests_mirror_the_packages():
    """tests/<package>/ for each package of mapdiff (tests/ itself for the base and the
    whole-package rules), and no test folder without its package."""
    tests = Path(__file__).resolve().parent
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() and p.name != "data"}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert folders == packages, (sorted(folders - packages), sorted(packages - folders))


# ------------------------------------------------------------------------- house limits
# Counted over mapdiff/ without cli/ (whose subcommands import lazily on purpose).
MAX_LINES, MAX_LINES_DRAW = 900, 600
MAX_PRIVATE_IMPORTS, MAX_IMPORTS_IN_FUNCTIONS, MAX_LONG_FUNCTIONS, LONG = 10, 40, 4, 120


def _library_files():
    return [f for f in sorted(PACKAGE.rglob("*.py")) if "cli" not in f.relative_to(PACKAGE).parts]


def _walk(tree):
    """(node, enclosing function name or None) for every node."""
    stack = [(tree, None)]
    while stack:
        node, func = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            yield child, func
            stack.append((child, inner))


def _is_module(f: Path, node: ast.ImportFrom, name: str) -> bool:
    """``from <package> import <name>`` names a module (a private module is fine to import)."""
    base = f.parent
    for _ in range(node.level - 1):
        base = base.parent
    pkg = base.joinpath(*(node.module or "").split(".")) if node.module else base
    return (pkg / f"{name}.py").is_file() or (pkg / name / "__init__.py").is_file()


def test_no_module_is_too_long():
    long = {
        str(f.relative_to(PACKAGE)): n
        for f in _library_files()
        if (n := f.read_text(encoding="utf-8").count("\n"))
        > (MAX_LINES_DRAW if f.parent.name == "draw" else MAX_LINES)
    }
    assert not long, f"split these modules by concept: {long}"


def test_few_imports_of_another_modules_private_names():
    found = [
        f"{f.relative_to(PACKAGE)}: {node.module}.{a.name}"
        for f in _library_files()
        for node, _ in _walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level
        for a in node.names
        if a.name.startswith("_") and not a.name.startswith("__") and not _is_module(f, node, a.name)
    ]
    assert len(found) <= MAX_PRIVATE_IMPORTS, "give them a public name in their module:\n" + "\n".join(found)


#: Underscore attributes read across modules on purpose: the result protocol's hooks (as
#: IPython's ``_repr_html_``) that writers and figures call, and other libraries' own.
PROTOCOL_HOOKS = {"_class_style", "_export_provenance", "_exit", "_get_renderer"}
MAX_PRIVATE_ATTRIBUTE_READS = 2


def _private_attribute_reads(f: Path) -> list[str]:
    """``obj._name`` reads where no object of this module defines ``_name`` (a function,
    a class, an assignment or an attribute set): another module's private state."""
    tree = ast.parse(f.read_text(encoding="utf-8"))
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    return [
        f"{f.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and node.attr not in defined | PROTOCOL_HOOKS
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]


def test_few_reads_of_another_modules_private_attributes():
    """Other modules never read a module's or an object's private state (STYLE: "speed
    without hidden state"); the two left are Releases' measuring calls the tracker makes."""
    found = [hit for f in _library_files() for hit in _private_attribute_reads(f)]
    assert len(found) <= MAX_PRIVATE_ATTRIBUTE_READS, "give them a public name:\n" + "\n".join(found)


def test_few_imports_inside_functions():
    """An import of our own inside a function needs a reason (a cycle, or a heavy optional
    dependency kept off `import mapdiff`); a plot/explore delegate importing draw has one."""
    found = [
        f"{f.relative_to(PACKAGE)}:{node.lineno} in {func}()"
        for f in _library_files()
        for node, func in _walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.level
        and func is not None
        and not (func in DELEGATES and "draw" in (node.module or ""))
        and not ((node.module or "").startswith("draw") or ".draw" in (node.module or ""))
    ]
    assert len(found) <= MAX_IMPORTS_IN_FUNCTIONS, "\n".join(found)


def test_few_long_functions():
    found = [
        f"{f.relative_to(PACKAGE)}: {node.name} ({n} lines)"
        for f in _library_files()
        for node, _ in _walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n := node.end_lineno - node.lineno + 1) > LONG
    ]
    assert len(found) <= MAX_LONG_FUNCTIONS, "split into named steps:\n" + "\n".join(found)
