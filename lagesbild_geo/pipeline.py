"""The ``Lagesbild`` bundle: one complete picture, and (later) ``build_lagesbild``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from .settings import Settings

__all__ = ["Lagesbild"]


@dataclass(frozen=True)
class Lagesbild:
    """One complete lägesbild.

    Attributes
    ----------
    incidents
        Placed incidents (canonical columns, see ``docs/data-contracts.md``),
        plus ``district_code`` when districts were given.
    rejected
        Rejected rows of every source (``source``, ``source_row``, ``reason`` ...).
    reports
        Ingest report per source name.
    cells
        Counts per H3 cell (index ``cell`` uint64; ``count`` and ``count_<category>``),
        hex polygons in WGS84.
    hotspots
        ``cells`` with Gi* columns (``gi_z``, ``gi_p``, ``gi_p_adj``, ``gi_bin``,
        ``hotspot_class``, ``n_neighbours``).
    clusters
        Density clusters as polygons (may be empty).
    emerging
        Emerging hotspot class per cell (may be empty).
    districts
        District polygons (``district_code`` index) with the summary columns.
    district_summary
        The per-district lägesbild table with a kommun-wide total row.
    survey
        Survey layers by name (e.g. ``"districts"``, ``"cells"``, ``"pins"``, ``"perceived_vs_reported"``).
    metadata
        Kommun, period, previous period, sources with file hashes, settings,
        library version, created at.
    settings
        The settings used.
    """

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    reports: dict[str, dict[str, Any]]
    cells: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    emerging: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    district_summary: pd.DataFrame
    survey: dict[str, gpd.GeoDataFrame | pd.DataFrame] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
