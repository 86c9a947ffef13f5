"""The ``Lagesbild`` bundle: every frame of one lägesbild, and an empty but valid one.

A bottom module: it imports only the library's base modules (``schema``, ``settings``)
and pandas/geopandas, so everything that reads or writes a lägesbild (export, maps,
report, privacy, the app) depends on the bundle without depending on how it was built
(:mod:`lagesbild_geo.pipeline`).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .schema import CATEGORIES, REJECTED_COLUMNS, empty_incidents
from .settings import Settings

__all__ = [
    "CLUSTER_COLUMNS",
    "DISTRICT_SUMMARY_COLUMNS",
    "EMERGING_COLUMNS",
    "GISTAR_COLUMNS",
    "Lagesbild",
    "PendingGeometry",
    "empty_frame",
]

#: Columns :func:`lagesbild_geo.hotspots.gistar` adds to the cell counts.
GISTAR_COLUMNS: dict[str, str] = {
    "gi_z": "float64", "gi_p": "float64", "gi_p_adj": "float64", "gi_bin": "int64",
    "hotspot_class": "string", "gi_significant": "bool", "n_neighbours": "int64",
}

#: Columns of a density cluster (:func:`lagesbild_geo.hotspots.clusters`), one row per cluster.
CLUSTER_COLUMNS: dict[str, str] = {
    "cluster_id": "int64", "n": "int64", "area_m2": "float64", "density_per_km2": "float64",
    "top1_category": "string", "top1_share": "float64", "top2_category": "string",
    "top2_share": "float64", "top3_category": "string", "top3_share": "float64",
    "peak_weekday": "Int64", "peak_weekday_sv": "string", "peak_hour": "Int64",
    "first_date": "object", "last_date": "object",
}

#: Columns of the emerging hotspot classes (:func:`lagesbild_geo.emerging.emerging`), per cell.
EMERGING_COLUMNS: dict[str, str] = {
    "emerging_class": "string", "emerging_class_sv": "string", "n_periods": "int64",
    "n_hot": "int64", "n_cold": "int64", "last_gi_z": "float64", "last_gi_bin": "int64",
    "mk_s": "float64", "mk_z": "float64", "mk_p": "float64", "mk_tau": "float64",
    "trend": "string", "count": "int64",
}

#: The columns every district table has (:func:`lagesbild_geo.districts.summarize`);
#: a previous period, hotspots and a survey add more.
DISTRICT_SUMMARY_COLUMNS: dict[str, str] = {
    "district_name": "str", "row_type": "str", "population": "float64",
    **{f"count_{c}": "int64" for c in CATEGORIES},
    "total": "int64", "per_1000": "float64", "share_of_total": "float64",
    "kommun_level": "int64", "stadsdel_level": "int64",
    "top1": "string", "top2": "string", "top3": "string",
}


def empty_frame(columns: dict[str, str], *, index: str | None = None, index_dtype: str = "object",
                geometry: bool = False) -> pd.DataFrame:
    """A frame with these columns and dtypes and no rows.

    With ``geometry=True`` a GeoDataFrame in WGS84 whose geometry column stands where
    ``columns`` has the key ``"geometry"`` (last when it has none). The index is named
    ``index`` with ``index_dtype``; without ``index`` it is a range index.

    Examples
    --------
    >>> f = empty_frame({"count": "int64"}, index="cell", index_dtype="uint64", geometry=True)
    >>> len(f), f.index.name, str(f.index.dtype), str(f["count"].dtype), f.crs.to_epsg()
    (0, 'cell', 'uint64', 'int64', 4326)
    """
    idx: pd.Index = (pd.RangeIndex(0) if index is None
                     else pd.Index(np.array([], dtype=index_dtype), dtype=index_dtype, name=index))
    if geometry and "geometry" not in columns:
        columns = {**columns, "geometry": "geometry"}
    data: dict[str, Any] = {}
    for k, v in columns.items():
        if k == "geometry" and geometry:
            data[k] = gpd.GeoSeries([], index=idx, crs="EPSG:4326")
        else:
            data[k] = pd.Series([], dtype=v, index=idx)
    frame = pd.DataFrame(data, index=idx)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326") if geometry else frame


def _cell_columns() -> dict[str, str]:
    # count_cells orders the per-category columns by category id
    return {"count": "int64", **{f"count_{c}": "int64" for c in sorted(CATEGORIES)}, "geometry": "geometry"}


@dataclass(frozen=True, eq=False)
class PendingGeometry:
    """A cell table whose hex polygons are built when it is first used.

    The pipeline counts and analyses cells without polygons (aggregate first, geometry
    last); a :class:`Lagesbild` holding one of these in ``cells`` or ``hotspots`` builds
    the polygons on the first access of that attribute and keeps them, so the
    attribute is always the GeoDataFrame it documents.

    Attributes
    ----------
    frame
        The table without geometry, indexed by ``cell`` (uint64).
    build
        ``build(cells)`` gives the polygons of an array of cells as a GeoSeries in
        WGS84 (:func:`lagesbild_geo.grid.cells_to_polygons`).
    loc
        Where the ``geometry`` column goes among the columns (default: last).
    like
        Another pending table over the same cells whose polygons are shared (built
        once for both).

    Examples
    --------
    >>> import shapely, geopandas as gpd
    >>> def squares(cells):
    ...     return gpd.GeoSeries([shapely.box(c, 0, c + 1, 1) for c in cells], crs=4326)
    >>> t = pd.DataFrame({"count": [3, 0]}, index=pd.Index([1, 2], dtype="uint64", name="cell"))
    >>> g = PendingGeometry(t, squares).geodataframe()
    >>> list(g.columns), g.crs.to_epsg(), g.geometry.iloc[1].bounds
    (['count', 'geometry'], 4326, (2.0, 0.0, 3.0, 1.0))
    """

    frame: pd.DataFrame
    build: Callable[[Any], gpd.GeoSeries]
    loc: int | None = None
    like: PendingGeometry | None = None

    def polygons(self) -> gpd.GeoSeries:
        """The polygons of the table's cells (built once)."""
        if self.like is not None and self.like.frame.index.equals(self.frame.index):
            return self.like.polygons()
        with _LAZY_LOCK:
            built = self.__dict__.get("_polygons")
            if built is None:
                built = self.build(self.frame.index.to_numpy())
                object.__setattr__(self, "_polygons", built)  # a memo, not a field
        return built

    def geodataframe(self) -> gpd.GeoDataFrame:
        """The table with its polygons, the ``geometry`` column at ``loc``."""
        frame = self.frame
        out = frame.copy(deep=False)
        loc = len(frame.columns) if self.loc is None else self.loc
        out.insert(loc, "geometry", gpd.GeoSeries(self.polygons().values, index=frame.index, crs="EPSG:4326"))
        g = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
        g.attrs = dict(frame.attrs)
        return g


_LAZY_LOCK = threading.RLock()


class _LazyFrame:
    """A field holding a GeoDataFrame or a :class:`PendingGeometry`, built on first access."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:  # no default value for the dataclass field
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        if isinstance(value, PendingGeometry):
            value = value.geodataframe()
            obj.__dict__[self.name] = value  # kept: later accesses give the same frame
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value  # only reached by __init__ (the dataclass is frozen)


@dataclass(frozen=True)
class Lagesbild:
    """One complete lägesbild.

    Build one with :func:`lagesbild_geo.pipeline.build_lagesbild` (or its steps);
    :meth:`empty` gives one with nothing in it.

    Attributes
    ----------
    incidents
        Placed incidents of every source and every date (canonical columns, see
        ``docs/data-contracts.md``), plus ``district_code`` and ``district_method``
        when districts were given. The analysis period is in ``metadata["period"]``.
    rejected
        Rejected rows of every source (``source``, ``source_row``, ``reason`` ...).
    reports
        Ingest report per source name.
    cells
        Counts per H3 cell for the period (index ``cell`` uint64; ``count`` and
        ``count_<category>``), hex polygons in WGS84.
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
        The per-district lägesbild table with an outside row and a kommun-wide total
        row (see ``docs/districts.md``).
    survey
        Survey layers by name (e.g. ``"districts"``, ``"cells"``, ``"pins"``, ``"perceived_vs_reported"``).
    metadata
        Kommun, period, previous period, sources with file hashes, settings,
        library version, created at.
    settings
        The settings used.
    pending
        Rows still awaiting geocoding (no gazetteer given, or not tried).
    tables
        Published one-way tables (``"categories"``, ``"months"``, ``"hours"``,
        ``"weekdays"``: counts of the period's incidents), filled by
        :func:`lagesbild_geo.privacy.publishable`; empty in a built bundle.
    boundary
        The kommun boundary the build was given (WGS84), or ``None``: the grid was
        filled over it (:func:`lagesbild_geo.pipeline.aggregate`).

    Examples
    --------
    >>> lb = Lagesbild.empty()
    >>> len(lb.incidents), lb.cells.index.name, lb.hotspots.crs.to_epsg()
    (0, 'cell', 4326)
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
    pending: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    boundary: gpd.GeoDataFrame | None = None

    def replace(self, **changes: Any) -> Lagesbild:
        """A copy with some fields changed, as :func:`dataclasses.replace`.

        Unlike ``dataclasses.replace`` it does not build the hex polygons of cells or
        hotspots that are still pending (:class:`PendingGeometry`): the copy builds them
        when they are first used.

        Examples
        --------
        >>> lb = Lagesbild.empty()
        >>> lb.replace(metadata={"kommun": "X"}).metadata
        {'kommun': 'X'}
        """
        values = {f.name: self.__dict__[f.name] for f in dataclasses.fields(self) if f.init}
        return type(self)(**{**values, **changes})

    def stored(self, name: str) -> Any:
        """Field ``name`` as it is stored: a :class:`PendingGeometry` while the polygons are pending.

        For steps that need the cells' values, not their polygons (Gi*, the district
        table), so that the polygons are built only when a map or an export uses them.

        Examples
        --------
        >>> Lagesbild.empty().stored("cells").index.name
        'cell'
        """
        return self.__dict__[name]

    def table(self, name: str) -> pd.DataFrame:
        """The values of field ``name`` (``cells``, ``hotspots`` …) without building polygons
        that are still pending: the pending table, or the field itself.

        Examples
        --------
        >>> t = Lagesbild.empty().table("hotspots")
        >>> t.index.name, "geometry" in t.columns
        ('cell', True)
        """
        value = self.__dict__[name]
        return value.frame if isinstance(value, PendingGeometry) else value

    @classmethod
    def empty(cls, *, settings: Settings | None = None) -> Lagesbild:
        """A lägesbild with nothing in it, valid everywhere a built one is.

        Every frame has its columns, dtypes, index and CRS (WGS84) and no rows: the
        canonical incident columns, the rejected-rows columns, cell counts with
        ``count_<category>`` for every category, the Gi* columns, the cluster and
        emerging columns, district polygons indexed by ``district_code`` and the
        district table's columns. For a map or a form before any data is chosen.

        Parameters
        ----------
        settings
            The settings to carry (default :class:`~lagesbild_geo.settings.Settings`).

        Examples
        --------
        >>> lb = Lagesbild.empty()
        >>> list(lb.hotspots.columns[-3:]), str(lb.incidents["occurred_at"].dtype)
        (['hotspot_class', 'gi_significant', 'n_neighbours'], 'datetime64[ns, Europe/Stockholm]')
        """
        frames: dict[str, Any] = {k: v.copy() for k, v in _empty_frames().items()}  # each caller its own
        return cls(reports={}, settings=settings if settings is not None else Settings(), **frames)


@functools.lru_cache(maxsize=1)
def _empty_frames() -> dict[str, pd.DataFrame]:
    """The frames of :meth:`Lagesbild.empty`, built once (about 20 ms): callers get copies."""
    cells = empty_frame(_cell_columns(), index="cell", index_dtype="uint64", geometry=True)
    hot = empty_frame({**_cell_columns(), **GISTAR_COLUMNS}, index="cell",
                      index_dtype="uint64", geometry=True)
    districts = empty_frame({"district_name": "str", "population": "float64", "geometry": "geometry"},
                            index="district_code", index_dtype="str", geometry=True)
    return {
        "incidents": empty_incidents(),
        "rejected": empty_frame(dict.fromkeys(REJECTED_COLUMNS, "string") | {"source_row": "int64"}),
        "cells": cells,
        "hotspots": hot,
        "clusters": empty_frame(CLUSTER_COLUMNS, geometry=True),
        "emerging": empty_frame(EMERGING_COLUMNS, index="cell", index_dtype="uint64", geometry=True),
        "districts": districts,
        "district_summary": empty_frame(DISTRICT_SUMMARY_COLUMNS, index="district_code", index_dtype="str"),
        "pending": empty_incidents(),
    }


# cells and hotspots may hold a PendingGeometry: the descriptors build the polygons on access
for _name in ("cells", "hotspots"):
    setattr(Lagesbild, _name, _LazyFrame(_name))
