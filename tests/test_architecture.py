"""Architecture rules: the library stays importable without the app, h3 stays in grid."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lagesbild_geo"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_grid_imports_h3() -> None:
    offenders = [p.name for p in LIB.rglob("*.py") if "h3" in _imports(p) and p.name != "grid.py"]
    assert offenders == []


def test_importing_library_does_not_import_streamlit() -> None:
    code = (
        "import sys, lagesbild_geo, lagesbild_geo.read, lagesbild_geo.io, lagesbild_geo.schema, lagesbild_geo.cli;"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_module_level_mutable_settings() -> None:
    from lagesbild_geo.settings import Settings

    s = Settings()
    try:
        s.resolution = 7  # type: ignore[misc]
    except AttributeError:
        frozen = True
    else:
        frozen = False
    assert frozen
