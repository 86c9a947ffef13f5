"""lagesbild_geo: a Swedish kommun's crime and trygghet lägesbild on a map.

The modules are the API (``lagesbild_geo.read.read_incidents``,
``lagesbild_geo.grid.count_cells`` ...); see the README and ``docs/``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lagesbild_geo")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
