"""The measures package: one-way layers inside it, every public name re-exported, the protocol."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lagesbild_geo.measures as measures
from lagesbild_geo.measures import MeasureStore, MeasureStoreProtocol

PKG = Path(measures.__file__).resolve().parent

#: module -> the package modules it may import (directly, at module level)
ALLOWED = {
    "model": set(),
    "schema": {"model"},
    "backend": {"model", "schema"},
    "sqlite": {"model", "schema", "backend"},
    "postgres": {"model", "schema", "backend"},
    "io": {"model", "schema"},
    "store": {"model", "schema", "backend", "sqlite", "postgres", "io"},
    "coverage": {"model"},
    "overview": {"model"},
    "__init__": {"model", "store", "coverage", "overview"},
}
#: modules whose public names are the package's API (the others are reached as modules)
API_MODULES = ("model", "store", "coverage", "overview")


def _own_imports(path: Path) -> tuple[set[str], list[str]]:
    """Package modules imported by ``path`` at module level, and any inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    local: list[str] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    in_function = {id(n) for f in functions for n in ast.walk(f)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        if node.level == 1:
            names = [node.module] if node.module else [a.name for a in node.names]
        else:  # ..x: the library outside the package
            names = []
            if id(node) in in_function:
                local.append(f"{'.' * node.level}{node.module}")
        for name in names:
            assert name is not None
            (local.append(name) if id(node) in in_function else top.add(name))
    return top, local


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_layers_inside_the_package_are_one_way(module: str) -> None:
    top, local = _own_imports(PKG / f"{module}.py")
    assert local == [], f"function-local imports of our own modules in measures/{module}.py"
    assert top <= ALLOWED[module], f"measures/{module}.py imports {sorted(top - ALLOWED[module])}"


def test_every_module_is_in_the_layer_table() -> None:
    assert {p.stem for p in PKG.glob("*.py")} == set(ALLOWED)


def test_every_public_name_is_re_exported() -> None:
    for module in API_MODULES:
        mod = importlib.import_module(f"lagesbild_geo.measures.{module}")
        names = set(mod.__all__)
        assert names <= set(measures.__all__), sorted(names - set(measures.__all__))
    for name in measures.__all__:
        assert getattr(measures, name) is not None


def test_old_import_paths_keep_working() -> None:
    """What users imported from the single ``measures`` module resolves to the same objects
    in the package, with the same values."""
    from lagesbild_geo.measures import (
        ACTORS,
        MAX_AREA_KM2,
        STATUSES,
        Area,
        Measure,
        default_store_path,
        model,
        newest_backup,
        restore_backup,
        store,
        validate_geometry,
        validate_measure,
    )

    assert (Area, Measure, validate_geometry, validate_measure) == (
        model.Area, model.Measure, model.validate_geometry, model.validate_measure)
    assert (default_store_path, newest_backup, restore_backup) == (
        store.default_store_path, store.newest_backup, store.restore_backup)
    assert STATUSES == ("planerad", "pågående", "genomförd", "avbruten")
    assert ACTORS is model.ACTORS and ACTORS["polisen"] == "Polisen"
    assert MAX_AREA_KM2 == model.MAX_AREA_KM2 > 0


def test_the_store_satisfies_the_protocol(tmp_path: Path) -> None:
    with MeasureStore(tmp_path / "s.sqlite") as store:
        assert isinstance(store, MeasureStoreProtocol)
    # every public method of the store is in the protocol (code typed with it sees them all)
    public = {n for n in dir(MeasureStore) if not n.startswith("_")}
    in_protocol = {n for n in dir(MeasureStoreProtocol) if not n.startswith("_")}
    assert public - in_protocol <= {"path", "schema_version"}, public - in_protocol
