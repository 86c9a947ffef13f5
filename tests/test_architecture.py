"""Architecture rules (``/docs`` and the project's ARCH plan): the library's layers, no import
cycles, no function-local imports of our own modules outside ``cli/``, no private names
imported across modules, h3 only in ``grid``, the library importable without the app.

Every rule reads the source with ``ast``: an import inside a function counts as much as
one at the top of a module (a function-local import only hides a cycle or an upward
dependency, it does not remove it).
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from lagesbild_geo.settings import Settings

LIB = Path(__file__).resolve().parents[1] / "lagesbild_geo"
PKG = "lagesbild_geo"

# ----------------------------------------------------------------------------------------
# The layers, bottom (0) to top. A module may import modules of its own layer or below;
# a fraction orders the modules of one package or layer where one imports the other.
# ----------------------------------------------------------------------------------------

L0 = ("errors", "limits", "settings", "schema", "names", "period", "svformat", "_columns",
      "_address", "_geometry", "_spreadsheet", "_personal")
LAYERS: dict[str, float] = {
    PKG: 0,  # __init__: only the version
    **{f"{PKG}.{m}": 0 for m in L0},
    # L1 geo
    f"{PKG}.crs": 1, f"{PKG}.grid": 1,
    # L2 read (tables/values/result below incidents; polisen beside them, read.tables uses it)
    f"{PKG}.polisen": 2,
    f"{PKG}.read.result": 2, f"{PKG}.read.values": 2, f"{PKG}.read.xlsx_calamine": 2, f"{PKG}.read.wkt": 2, f"{PKG}.read.tables": 2.1,
    f"{PKG}.read.incidents": 2.2, f"{PKG}.read": 2.3,
    # L3 place
    f"{PKG}._nominatim": 3, f"{PKG}.geocode": 3.1,
    # L4 analysis (the Gi* core below hotspots and emerging)
    f"{PKG}.gistar": 4, f"{PKG}.hotspots": 4.1, f"{PKG}.emerging": 4.1, f"{PKG}.nearrepeat": 4.1,
    f"{PKG}.survey": 4.1,
    # L5 districts
    f"{PKG}.districts": 5,
    # L6 bundle, configuration, steps; the measures package one way: model ← schema ←
    # backend ← sqlite/postgres, model/schema ← io, all ← store ← the package
    f"{PKG}.bundle": 6, f"{PKG}.config": 6,
    f"{PKG}.measures.model": 6, f"{PKG}.measures.schema": 6.1, f"{PKG}.measures.backend": 6.2,
    f"{PKG}.measures.io": 6.2, f"{PKG}.measures.coverage": 6.1, f"{PKG}.measures.overview": 6.1, f"{PKG}.measures.sqlite": 6.3, f"{PKG}.measures.postgres": 6.3,
    f"{PKG}.measures.store": 6.4, f"{PKG}.measures": 6.5,
    f"{PKG}.pipeline": 6.6, f"{PKG}.followup": 6.6,
    # L7 the one publishing step
    f"{PKG}._protect": 7, f"{PKG}.privacy": 7.1,
    # L8 outputs
    f"{PKG}._report_parts": 7.5,
    f"{PKG}.export": 8, f"{PKG}.maps": 8, f"{PKG}.report": 8.1, f"{PKG}.area_profile": 8.2,
    # the app's figures (headline, trend, attention) over the published outputs
    f"{PKG}.dashboard": 8.5,
    # top: the CLI, the sample generator, the old io alias module
    f"{PKG}.io": 9, f"{PKG}._sample_geo": 9, f"{PKG}._sample_events": 9.1,
    f"{PKG}._sample_survey": 9.1, f"{PKG}._sample_files": 9.2, f"{PKG}.sample": 9.3,
    f"{PKG}.cli": 10,
}

#: Edges the layers would allow but the plan forbids.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # the bundle is a bottom module: only the base layer
    f"{PKG}.bundle": tuple(m for m in LAYERS if LAYERS[m] > 0),
    # the feed and the geocoder build on tables and values, never on the incident reader
    f"{PKG}.polisen": (f"{PKG}.read.incidents", f"{PKG}.read"),
    f"{PKG}.geocode": (f"{PKG}.read.incidents", f"{PKG}.read"),
    # emerging builds on the Gi* core, not on hotspots (hotspots re-exports emerging and
    # mann_kendall, as documented: hotspots.emerging)
    f"{PKG}.emerging": (f"{PKG}.hotspots",),
}


def layer_of(module: str) -> float:
    """The layer of a module (a ``cli`` submodule is in the ``cli`` layer)."""
    if module in LAYERS:
        return LAYERS[module]
    if module.startswith(f"{PKG}.cli."):
        return LAYERS[f"{PKG}.cli"]
    raise KeyError(module)


# ----------------------------------------------------------------------------------------
# The import graph, read from the source
# ----------------------------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = LIB) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


class Import:
    """One import of our own code: where (module, line, function or None) and what."""

    def __init__(self, module: str, line: int, function: str | None, target: str,
                 names: tuple[str, ...]) -> None:
        self.module, self.line, self.function, self.target, self.names = (
            module, line, function, target, names)

    def __repr__(self) -> str:
        where = f"{self.module}:{self.line}" + (f" in {self.function}()" if self.function else "")
        return f"{where} imports {self.target}" + (f" ({', '.join(self.names)})" if self.names else "")


@functools.cache
def _parse(path: Path, mtime: float) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def own_imports(mods: Mapping[str, Path]) -> Iterator[Import]:
    """Every import of a ``lagesbild_geo`` module, at any depth of the source."""
    for name, path in mods.items():
        tree = _parse(path, path.stat().st_mtime)
        is_package = path.name == "__init__.py"
        for node, function in _walk(tree, None):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == PKG or a.name.startswith(f"{PKG}."):
                        yield Import(name, node.lineno, function, a.name, ())
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, is_package, node)
                if target != PKG and not target.startswith(f"{PKG}."):
                    continue
                names = tuple(a.name for a in node.names)
                submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
                if submodules:  # from . import grid, polisen
                    for sub in submodules:
                        yield Import(name, node.lineno, function, sub, ())
                    rest = tuple(n for n in names if f"{target}.{n}" not in mods)
                    if rest:
                        yield Import(name, node.lineno, function, target, rest)
                else:
                    yield Import(name, node.lineno, function, target, names)


def _walk(node: ast.AST, function: str | None) -> Iterator[tuple[ast.AST, str | None]]:
    for child in ast.iter_child_nodes(node):
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        yield child, function
        yield from _walk(child, inner)


def import_graph(mods: Mapping[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for imp in own_imports(mods):
        if imp.target != imp.module:
            graph[imp.module].add(imp.target)
    return graph


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    """Imports of a higher layer, and imports the plan forbids."""
    bad = []
    for a, targets in sorted(graph.items()):
        for b in sorted(targets):
            if layer_of(b) > layer_of(a):
                bad.append(f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})")
            elif b in FORBIDDEN.get(a, ()):
                bad.append(f"{a} imports {b}, which the plan forbids")
    return bad


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules())


# ----------------------------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    missing = [m for m in modules() if not (m in LAYERS or m.startswith(f"{PKG}.cli."))]
    assert missing == [], "add the new module(s) to LAYERS (tests/test_architecture.py)"


def test_no_upward_or_forbidden_import(graph: dict[str, set[str]]) -> None:
    assert layer_violations(graph) == []


def test_no_import_cycles_counting_function_local_imports(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_function_local_import_of_our_own_modules_outside_cli() -> None:
    local = [imp for imp in own_imports(modules())
             if imp.function is not None and not imp.module.startswith(f"{PKG}.cli")]
    assert local == []


def test_no_private_names_imported_across_modules() -> None:
    mods = modules()
    private = [imp for imp in own_imports(mods)
               if any(n.startswith("_") and n != "__version__" for n in imp.names)]
    assert private == []


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    # a synthetic library: errors (layer 0) imports pipeline (layer 6.6) inside a function,
    # pipeline imports errors at the top; grid imports a private name of crs
    root = tmp_path / PKG
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "errors.py").write_text("def f():\n    from .pipeline import build_lagesbild\n")
    (root / "pipeline.py").write_text("from .errors import f\n")
    (root / "crs.py").write_text("_X = 1\n")
    (root / "grid.py").write_text("from lagesbild_geo.crs import _X\n")
    mods = modules(root)
    g = import_graph(mods)
    assert g[f"{PKG}.errors"] == {f"{PKG}.pipeline"}
    assert layer_violations(g) == [f"{PKG}.errors (layer 0) imports {PKG}.pipeline (layer 6.6)"]
    assert cycles(g) == [[f"{PKG}.errors", f"{PKG}.pipeline"]]
    local = [imp for imp in own_imports(mods) if imp.function is not None]
    assert [(i.module, i.function, i.target) for i in local] == [(f"{PKG}.errors", "f", f"{PKG}.pipeline")]
    assert [i.names for i in own_imports(mods) if i.module == f"{PKG}.grid"] == [("_X",)]


def test_the_rules_catch_a_forbidden_edge_and_allow_a_downward_one() -> None:
    g = {f"{PKG}.bundle": {f"{PKG}.schema", f"{PKG}.grid"}, f"{PKG}.grid": {f"{PKG}.errors"},
         f"{PKG}.geocode": {f"{PKG}.read.tables"}, f"{PKG}.polisen": {f"{PKG}.read.incidents"}}
    assert layer_violations(g) == [
        f"{PKG}.bundle imports {PKG}.grid, which the plan forbids",
        f"{PKG}.polisen (layer 2) imports {PKG}.read.incidents (layer 2.2)",
    ]


def test_only_grid_imports_h3() -> None:
    offenders = []
    for name, path in modules().items():
        tree = _parse(path, path.stat().st_mtime)
        for node in ast.walk(tree):
            roots = ([a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import)
                     else [(node.module or "").split(".")[0]] if isinstance(node, ast.ImportFrom)
                     and not node.level else [])
            if "h3" in roots or "h3ronpy" in roots:
                offenders.append(name)
    assert sorted(set(offenders)) == [f"{PKG}.grid"]


def _loaded_after_importing(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has loaded after importing ``modules``."""
    code = f"import sys, {', '.join(modules)}; print(','.join(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.slow
def test_importing_library_does_not_import_streamlit() -> None:
    modules = ["lagesbild_geo", "lagesbild_geo.read", "lagesbild_geo.io", "lagesbild_geo.schema",
               "lagesbild_geo.cli", "lagesbild_geo.pipeline", "lagesbild_geo.export", "lagesbild_geo.maps",
               "lagesbild_geo.report"]
    assert _loaded_after_importing(modules, ("streamlit",)) == []


@pytest.mark.slow
def test_the_apps_path_leaves_the_heavy_scipy_modules_out() -> None:
    # scipy.stats, scipy.signal and scipy.optimize cost a fresh process 0.2-0.8 s each: the
    # app's first start and every command line call would pay them for a p-value or a
    # convolution (scipy.special and scipy.fft do those; the rare users import them late);
    # scipy.spatial (0.1 s with its rotations and constants) only where a KD-tree is built
    modules = ["lagesbild_geo.pipeline", "lagesbild_geo.privacy", "lagesbild_geo.hotspots",
               "lagesbild_geo.followup", "lagesbild_geo.emerging", "lagesbild_geo.dashboard",
               "lagesbild_geo.maps", "lagesbild_geo.nearrepeat", "lagesbild_geo.report", "lagesbild_geo.export"]
    assert _loaded_after_importing(
        modules, ("scipy.stats", "scipy.signal", "scipy.optimize", "scipy.spatial")) == []


def test_the_apps_modules_stay_under_600_lines() -> None:
    # the app's state and its UI helpers were split out of one 1 434-line app_state: no module
    # of the app grows back into one (issue 13)
    apps = LIB.parent / "apps"
    lines = {p.relative_to(apps).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(apps.rglob("*.py"))}
    assert len(lines) > 10 and {n: k for n, k in lines.items() if k >= 600} == {}


#: The sample generator writes whole files of Exempelkommun row by row: long, by nature.
_LONG_ALLOWED = frozenset({"_sample_files.py", "_sample_events.py", "_sample_geo.py", "_sample_survey.py",
                           "sample.py"})


def _long_functions(root: Path, limit: int) -> list[tuple[str, str, int]]:
    out = []
    for p in sorted(root.rglob("*.py")):
        if p.name in _LONG_ALLOWED:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    out.append((p.relative_to(root).as_posix(), node.name, length))
    return out


def test_no_library_function_is_over_100_lines() -> None:
    # issue 13: read_incidents was 370 lines, build_lagesbild 263; the docstring counts too
    assert _long_functions(LIB, 100) == []


def test_the_function_length_rule_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(100))
    (tmp_path / "m.py").write_text(f"def f():\n{body}\n", encoding="utf-8")
    (tmp_path / "_sample_files.py").write_text(f"def g():\n{body}\n", encoding="utf-8")
    assert _long_functions(tmp_path, 100) == [("m.py", "f", 101)]


def test_no_module_level_mutable_settings() -> None:
    s = Settings()
    try:
        s.resolution = 7  # type: ignore[misc]
    except AttributeError:
        frozen = True
    else:
        frozen = False
    assert frozen
