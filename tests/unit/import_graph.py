"""The import graph of the code packages, read statically with ast, and the rules the tests hold it to.

The layers run ``adapters -> projections -> workflows -> domain``: a module may import its own package and
the packages to its right, never to its left. Besides, ``domain`` may import only the standard library,
pydantic, ``eventsourcing.domain`` and ``eventsourcing.utils``; ``workflows`` only ``domain``, the standard
library, pydantic and eventsourcing; and neither may import an I/O library (sqlite3, psycopg, httpx, ...).

How the sources are read (no module is imported):

- ``import x`` and ``from x import y`` count wherever they stand: at module level, in a function, in a class,
  in ``try``. Relative imports are resolved against the importing module's package. ``from pkg import name``
  means the submodule ``pkg.name`` when that is a module file, else ``pkg`` itself (for installed
  libraries too, found on disk without importing them). Dynamic imports (``importlib``) are not seen.
- ``pkg/__init__.py`` is the module ``pkg``. Python runs ``pkg/__init__.py`` before ``pkg.sub``, so an
  import of ``pkg.sub`` from outside ``pkg`` adds an implied edge to ``pkg`` too (to every enclosing
  package with an ``__init__.py``). From inside ``pkg`` that implication is left out: ``pkg`` is already
  being (or has been) initialised there, and the edge would put every submodule that ``pkg/__init__.py``
  re-exports in a false cycle with its package. So ``pkg/__init__.py`` importing its own submodules is
  no cycle by itself; a submodule taking a name from it (``from pkg import NAME``) is an edge to ``pkg``
  and is a cycle when ``pkg/__init__.py`` imports that submodule. Implied edges count for cycles only.
- An import under ``if TYPE_CHECKING:`` is not run, so it makes no runtime cycle; it still states a
  dependency a reader follows, so it counts for the layers and for the type checker's cycle test.
  The ``else:`` branch of such an ``if`` is runtime code and counts in full.

Inside ``adapters`` the driven side (stores, locks, notifiers) never uses the driving side (API, CLI,
scheduler jobs) or the composition root, which wires both.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "workflows", "projections", "adapters")
"""Innermost first: a layer may import itself and the layers before it in this tuple."""
IO_LIBRARIES = frozenset({"sqlite3", "psycopg", "psycopg2", "psycopg_pool", "httpx", "fastapi", "typer",
                          "structlog", "uvicorn", "apscheduler", "filelock", "jinja2"})
"""Forbidden in domain and workflows even where the allow-list below would let them through."""
ALLOWED_EXTERNAL: Mapping[str, tuple[str, ...]] = {
    "domain": ("pydantic", "eventsourcing.domain", "eventsourcing.utils"),
    # holidays and chinese_calendar: the official calendar as data (no I/O, no clock).
    "workflows": ("pydantic", "eventsourcing", "holidays", "chinese_calendar"),
}
"""Besides the standard library, what the inner layers may import from outside the code packages."""
MAX_CYCLES = 200
"""The cycle listing stops here: a tangle that large needs its strongly connected component, not a list."""


@dataclass(frozen=True)
class Import:
    """One import statement's edge: which module imports which, where, and whether only for type checkers."""

    source: str
    target: str
    line: int
    type_checking: bool
    implied: bool = False
    """An enclosing package that Python initialises first: ``pkg`` for an import of ``pkg.sub``."""


def module_files(root: Path, packages: Iterable[str] = LAYERS) -> dict[str, Path]:
    """Every module of the packages by dotted name, ``pkg/__init__.py`` as ``pkg``."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """Whether an ``if`` test is ``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _statements(node: ast.AST, type_checking: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, each with whether it stands in an ``if TYPE_CHECKING:`` body."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield child.test, type_checking
            for statement in child.body:
                yield statement, True
                yield from _statements(statement, True)
            for statement in child.orelse:
                yield statement, type_checking
                yield from _statements(statement, type_checking)
        else:
            yield child, type_checking
            yield from _statements(child, type_checking)


def _is_external_module(dotted: str) -> bool:
    """Whether an installed (non-project) module file exists by that name, found on disk, not imported."""
    top, *rest = dotted.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    directories = [Path(p) for p in spec.submodule_search_locations or ()]
    suffixes = importlib.machinery.all_suffixes()
    for index, part in enumerate(rest):
        last = index == len(rest) - 1
        if last and any((d / f"{part}{suffix}").is_file() for d in directories for suffix in suffixes):
            return True
        directories = [d / part for d in directories if (d / part).is_dir()]
    return bool(directories) or not rest


def _resolve(dotted: str, modules: Mapping[str, Path]) -> str:
    """A project module by its longest existing dotted prefix; an outside name as it is."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return dotted


def _is_project(dotted: str, packages: Iterable[str]) -> bool:
    """Whether a dotted name lies in one of the code packages."""
    return dotted.split(".")[0] in packages


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: Mapping[str, Path],
             packages: tuple[str, ...]) -> list[str]:
    """The modules an import names: relative ones resolved, ``from pkg import sub`` as ``pkg.sub``."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, node.module] if node.module else parts)
        else:
            base = node.module or ""
        if base == "__future__":
            return []
        names = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if alias.name == "*":
                names.append(base)
            elif _is_project(base, packages):
                names.append(candidate if candidate in modules else base)
            else:
                names.append(candidate if _is_external_module(candidate) else base)
    return [_resolve(name, modules) if _is_project(name, packages) else name for name in names]


def _enclosing_packages(source: str, target: str, modules: Mapping[str, Path]) -> list[str]:
    """The packages Python initialises before ``target`` that ``source`` is not inside of."""
    parts = target.split(".")
    enclosing = (".".join(parts[:end]) for end in range(1, len(parts)))
    return [p for p in enclosing if p in modules and source != p and not source.startswith(f"{p}.")]


def collect_imports(root: Path, packages: Iterable[str] = LAYERS) -> list[Import]:
    """Every import edge of every module of the packages under ``root``, read with ``ast``."""
    packages = tuple(packages)
    modules = module_files(root, packages)
    imports: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, type_checking in _statements(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(node, package, modules, packages):
                imports.append(Import(name, target, node.lineno, type_checking))
                imports.extend(
                    Import(name, enclosing, node.lineno, type_checking, implied=True)
                    for enclosing in _enclosing_packages(name, target, modules)
                )
    return imports


def runtime_graph(
    imports: Iterable[Import], packages: Iterable[str] = LAYERS, *, type_checking: bool = False
) -> dict[str, set[str]]:
    """Module -> the project modules it imports when run (``TYPE_CHECKING`` imports left out,
    unless ``type_checking``: then every import a reader follows)."""
    packages = tuple(packages)
    graph: dict[str, set[str]] = {}
    for edge in imports:
        successors = graph.setdefault(edge.source, set())
        if (type_checking or not edge.type_checking) and _is_project(edge.target, packages):
            successors.add(edge.target)
            graph.setdefault(edge.target, set())
    return graph


def strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _circuits(start: str, graph: Mapping[str, set[str]], cycles: list[list[str]], limit: int) -> None:
    """Johnson's circuit search: append every elementary cycle through ``start`` within ``graph``."""
    blocked: set[str] = set()
    blocks: dict[str, set[str]] = defaultdict(set)
    path = [start]

    def unblock(node: str) -> None:
        blocked.discard(node)
        for waiting in blocks.pop(node, set()):
            if waiting in blocked:
                unblock(waiting)

    def circuit(node: str) -> bool:
        found = False
        blocked.add(node)
        for successor in sorted(graph[node]):
            if len(cycles) >= limit:
                return True
            if successor == start:
                cycles.append([*path, start])
                found = True
            elif successor not in blocked:
                path.append(successor)
                found = circuit(successor) or found
                path.pop()
        if found:
            unblock(node)
        else:
            for successor in graph[node]:
                blocks[successor].add(node)
        return found

    circuit(start)


def find_cycles(graph: Mapping[str, set[str]], limit: int = MAX_CYCLES) -> list[list[str]]:
    """Every elementary cycle (Johnson), each from its least module and closed, e.g. ``[a, b, a]``."""
    cycles: list[list[str]] = []
    nodes = sorted(graph)
    for position, start in enumerate(nodes):
        later = set(nodes[position:])
        sub = {n: graph.get(n, set()) & later for n in later}
        component = next(c for c in strongly_connected(sub) if start in c)
        if len(component) > 1 or start in sub[start]:
            _circuits(start, {n: sub[n] & component for n in component}, cycles, limit)
        if len(cycles) >= limit:
            break
    return cycles


def _allowed_external(layer: str, target: str) -> bool:
    """Whether an inner layer may import this module from outside the code packages."""
    top = target.split(".")[0]
    if top.lower() in IO_LIBRARIES:
        return False
    if top in sys.stdlib_module_names:
        return True
    return any(target == allowed or target.startswith(f"{allowed}.") for allowed in ALLOWED_EXTERNAL[layer])


def layer_violations(imports: Iterable[Import], layers: tuple[str, ...] = LAYERS) -> list[str]:
    """Each import against the grain, as ``module imports target (layer X may not import layer Y)``."""
    rank = {layer: position for position, layer in enumerate(layers)}
    found: dict[tuple[str, str], str] = {}
    for edge in imports:
        if edge.implied:
            continue
        layer = edge.source.split(".")[0]
        top = edge.target.split(".")[0]
        if top in rank:
            if rank[top] > rank[layer]:
                found[edge.source, edge.target] = f"layer {layer} may not import layer {top}"
        elif layer in ALLOWED_EXTERNAL and not _allowed_external(layer, edge.target):
            found[edge.source, edge.target] = f"layer {layer} may not import {edge.target}"
    return [f"{source} imports {target} ({why})" for (source, target), why in sorted(found.items())]


def cycle_report(root: Path, *, type_checking: bool = False) -> str:
    """Every import cycle under ``root`` and where its imports stand, or "" when there is none."""
    imports = collect_imports(root)
    cycles = find_cycles(runtime_graph(imports, type_checking=type_checking))
    if not cycles:
        return ""
    lines = [" -> ".join(cycle) for cycle in cycles]
    if len(cycles) >= MAX_CYCLES:
        lines.append(f"... stopped after {MAX_CYCLES} cycles")
    files = module_files(root)
    used = {(a, b) for cycle in cycles for a, b in pairwise(cycle)}
    where: dict[tuple[str, str], str] = {}
    for edge in imports:
        key = (edge.source, edge.target)
        if (edge.type_checking and not type_checking) or key not in used or key in where:
            continue
        runs = ""
        if edge.implied:
            runs = f" (a submodule import, which runs {files[edge.target].relative_to(root)})"
        where[key] = f"{files[edge.source].relative_to(root)}:{edge.line}{runs}"
    edges = [f"{a} -> {b}: {where[a, b]}" for a, b in sorted(used)]
    return (
        f"{len(cycles)} import cycle(s) between modules:\n  " + "\n  ".join(lines)
        + "\nwhere each of their imports stands:\n  " + "\n  ".join(edges)
    )


def layer_report(root: Path) -> str:
    """Every import against the layers under ``root``, or "" when there is none."""
    violations = layer_violations(collect_imports(root))
    if not violations:
        return ""
    return f"{len(violations)} import(s) against the layers {' -> '.join(reversed(LAYERS))}:\n  " + (
        "\n  ".join(violations)
    )


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """A synthetic source tree: relative path -> text."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


#: Inside adapters: the driving side may use the composition root and the driven side; the
#: driven side uses neither the driving side nor the root; settings and logging use no side.
ADAPTER_RULES = {
    "adapters.driven": ("adapters.driving", "adapters.bootstrap"),
    "adapters.settings": ("adapters.driving", "adapters.driven", "adapters.bootstrap"),
    "adapters.logging": ("adapters.driving", "adapters.driven", "adapters.bootstrap"),
}


def adapter_violations(imports: Iterable[Import]) -> list[str]:
    """Imports inside ``adapters`` that go from a side to one it may not use."""
    found = set()
    for edge in imports:
        for source, banned in ADAPTER_RULES.items():
            hit = next((b for b in banned if edge.target == b or edge.target.startswith(b + ".")), None)
            if (edge.source == source or edge.source.startswith(source + ".")) and hit is not None:
                found.add(f"{edge.source} imports {edge.target} ({source} may not use {hit})")
    return sorted(found)
