"""The joint lägesbild package: GeoJSON (RFC 7946) per layer, one GeoPackage,
``metadata.json``; reading packages back and merging the kommun's with the police's.

Every number comes from the one publishing step, :func:`lagesbild_geo.privacy.publishable`
(small counts and whatever would reveal them hidden); no points unless asked, no
free text, no column that looks like personal data, and free-text names and titles
with personal data refused unless allowed. See ``docs/export-format.md``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__, grid
from ._personal import FIELD_ALIASES
from .bundle import Lagesbild
from .errors import InputError, LagesbildError, PrivacyError
from .limits import Limits, extract_zip, load_json
from .measures import MeasureStore, MeasureStoreProtocol
from .privacy import (
    FINDING_COLUMNS,
    Privacy,
    check_free_text,
    find_personal_data,
    publishable,
    suppress_survey,
)
from .schema import CATEGORIES, CATEGORY_LABELS
from .settings import Settings

__all__ = [
    "AREA_LAYERS",
    "FORMAT_VERSION",
    "LAYERS",
    "POINT_LAYERS",
    "LagesbildPackage",
    "areas_and_measures",
    "export_package",
    "feature_collection",
    "load_schema",
    "merge",
    "package_layers",
    "published_package",
    "read_package",
    "validate_package",
    "with_id_column",
    "zip_package",
]

#: Version of the package format (metadata ``format_version``); bumped on breaking changes.
FORMAT_VERSION = "1.0"
#: Aggregate layers, in package order.
LAYERS: tuple[str, ...] = ("cells", "hotspots", "clusters", "emerging", "districts", "trygghet",
                           "trygghet_cells", "trygghet_pins", "areas")
#: Layers of individual points, written only with ``include_points=True``.
POINT_LAYERS: tuple[str, ...] = ("incidents", "survey_pins")
#: Layers that may come from the measure store.
AREA_LAYERS: tuple[str, ...] = ("areas",)
GPKG_NAME = "lagesbild.gpkg"
METADATA_NAME = "metadata.json"
_GPKG_META_TABLE = "lagesbild_metadata"
_SOURCES = ("kommun", "polis")
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_HOTSPOT_CLASSES = ("hot_99", "hot_95", "hot_90", "none", "cold_90", "cold_95", "cold_99")


def _empty_gdf(columns: Sequence[str] = ()) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs="EPSG:4326"),
                            crs="EPSG:4326")


@dataclass(frozen=True)
class LagesbildPackage(Lagesbild):
    """A :class:`~lagesbild_geo.pipeline.Lagesbild` read from (or bound for) a
    package: the same fields plus ``areas`` (areas with their measures).

    Frames that a package does not carry (incidents unless points were
    exported, rejected rows, ingest reports) are empty. After :func:`merge`
    every layer has a ``source`` column (``"kommun"`` / ``"polis"``).
    """

    areas: gpd.GeoDataFrame = field(default_factory=_empty_gdf)


# ----------------------------------------------------------------- small helpers

def _grid_func(*names: str) -> Any:
    for n in names:
        f = getattr(grid, n, None)
        if f is not None:
            return f
    raise InputError(
        f"lagesbild_geo.grid has none of {', '.join(names)}; the export needs it to build "
        "hex polygons / parent cells. Update lagesbild_geo or pass cells with geometry."
    )


def _hex_polygons(cells: np.ndarray) -> gpd.GeoSeries:
    f = _grid_func("cells_to_polygons", "cell_polygons", "cells_to_geometry", "hex_polygons")
    geoms = f(np.asarray(cells, dtype=np.uint64))
    if isinstance(geoms, gpd.GeoSeries):
        return geoms.reset_index(drop=True).set_crs("EPSG:4326", allow_override=True)
    return gpd.GeoSeries(list(geoms), crs="EPSG:4326")


def _parents(cells: np.ndarray, resolution: int) -> np.ndarray:
    f = _grid_func("cells_to_parent", "cells_to_parents", "cell_to_parent", "parent_cells")
    return np.asarray(f(np.asarray(cells, dtype=np.uint64), resolution), dtype=np.uint64)


def _cell_resolution(cells: np.ndarray, default: int) -> np.ndarray:
    f = getattr(grid, "cells_resolution", None) or getattr(grid, "cell_resolution", None)
    if f is not None and len(cells):
        try:
            return np.asarray(f(np.asarray(cells, dtype=np.uint64)), dtype=np.int64)
        except Exception:  # pragma: no cover - foreign signature
            pass
    # H3 bit layout: resolution in bits 52..55
    arr = np.asarray(cells, dtype=np.uint64)
    res = ((arr >> np.uint64(52)) & np.uint64(0xF)).astype(np.int64)
    return np.where(arr == 0, default, res)


def _to_wgs84(g: gpd.GeoDataFrame | gpd.GeoSeries) -> Any:
    if g.crs is None:
        return g.set_crs("EPSG:4326")
    if g.crs.to_epsg() != 4326:
        return g.to_crs("EPSG:4326")
    return g


def _index_to_column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if name in frame.columns:
        return frame.reset_index(drop=True)
    if frame.index.name == name or (frame.index.name is None and name in ("cell",)
                                    and frame.index.dtype.kind == "u"):
        out = frame.reset_index()
        return out.rename(columns={out.columns[0]: name})
    return frame.reset_index(drop=True)


def _first(frame: pd.DataFrame, names: Iterable[str]) -> str | None:
    for n in names:
        if n in frame.columns:
            return n
    return None


def _cells_as_uint64(values: pd.Series) -> np.ndarray:
    if values.dtype.kind in "ui":
        return values.to_numpy(dtype=np.uint64)
    strs = values.astype(str).tolist()
    return grid.str_to_cells(strs)


def _categories_in(values: object) -> list[str] | None:
    """A list of canonical category ids / codes, or None when it isn't one."""
    if isinstance(values, str):
        parts = [p.strip() for p in re.split(r"[,;|]", values) if p.strip()]
    elif isinstance(values, (list, tuple, np.ndarray)):
        parts = [str(p) for p in values]
    else:
        return None
    return parts if all(_CODE.match(p) for p in parts) else None


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if not math.isfinite(f) else f
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, np.ndarray):
        return [_json_value(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    return v


# ------------------------------------------------------------- geometry → JSON

def _clean_geometries(geoms: gpd.GeoSeries, precision: int) -> np.ndarray:
    """Rounded to ``precision`` decimals, exteriors counter-clockwise (RFC 7946)."""
    arr = np.asarray(geoms.values, dtype=object)
    if arr.size == 0:
        return arr
    orig = arr
    arr = shapely.transform(arr, lambda xy: np.round(xy, precision))
    poly = np.isin(shapely.get_type_id(arr), (3, 6, 7))
    # Rounding can make a valid polygon self-intersect (two vertices closer than the
    # grid): its ring then has no single winding and fails RFC 7946 checks. Those are
    # snapped to the grid by GEOS instead, which keeps them valid.
    broken = poly & ~shapely.is_valid(arr) & shapely.is_valid(orig)
    if broken.any():
        arr[broken] = shapely.force_2d(shapely.set_precision(orig[broken], 10.0 ** -precision))
    if poly.any():
        arr[poly] = shapely.orient_polygons(arr[poly], exterior_cw=False)
    return arr


def _round_coords(obj: Any, precision: int) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(x), precision) for x in obj]
        return [_round_coords(o, precision) for o in obj]
    return obj


def feature_collection(
    layer: gpd.GeoDataFrame, *, id_column: str | None = None, precision: int = 6,
    name: str | None = None,
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of a WGS84 GeoDataFrame.

    Coordinates are lon/lat rounded to ``precision`` decimals, polygon
    exteriors counter-clockwise and holes clockwise, no ``crs`` member;
    missing values become ``null``; timestamps ISO 8601.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[box(17.0, 59.3, 17.1, 59.4)], crs=4326)
    >>> fc = feature_collection(g, id_column="k")
    >>> fc["features"][0]["geometry"]["coordinates"][0][:2]
    [[17.1, 59.3], [17.1, 59.4]]
    """
    g = _to_wgs84(layer)
    geoms = _clean_geometries(g.geometry, precision)
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    records = props.to_dict(orient="records")
    features = []
    for geom, rec in zip(geoms, records, strict=True):
        gj = None if geom is None or shapely.is_empty(geom) else json.loads(shapely.to_geojson(geom))
        if gj is not None:
            gj["coordinates"] = _round_coords(gj["coordinates"], precision)
        p = {str(k): _json_value(v) for k, v in rec.items()}
        feat: dict[str, Any] = {"type": "Feature"}
        if id_column is not None and p.get(id_column) is not None:
            fid = p[id_column]
            if p.get("source") in _SOURCES:
                fid = f"{p['source']}:{fid}"
            feat["id"] = fid
        feat["geometry"] = gj
        feat["properties"] = p
        features.append(feat)
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        fc["name"] = name
    fc["features"] = features
    return fc


# ------------------------------------------------------------------ the layers

@dataclass
class _Notes:
    excluded: list[dict[str, str]] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)
    rolled_up: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def drop(self, layer: str, cols: Iterable[str]) -> None:
        cols = [str(c) for c in cols]
        if cols:
            self.dropped.setdefault(layer, [])
            self.dropped[layer].extend(c for c in cols if c not in self.dropped[layer])


def _settings_of(lb: Lagesbild) -> Settings:
    s = getattr(lb, "settings", None)
    return s if isinstance(s, Settings) else Settings()


def _resolved_privacy(lb: Lagesbild, privacy: Privacy | None, include_points: bool) -> Privacy:
    s = _settings_of(lb)
    p = privacy or Privacy()
    return replace(
        p,
        min_count=p.min_count if p.min_count is not None else s.min_count,
        min_respondents=p.min_respondents if p.min_respondents is not None else s.min_respondents,
        include_points=p.include_points or include_points,
    )


def _detect(frame: pd.DataFrame | None, table: str, notes: _Notes,
            extra: Sequence[str] = ()) -> set[str]:
    """Flag personal-data / free-text columns of an input table; return their names."""
    if frame is None or len(frame.columns) == 0:
        return set()
    found = find_personal_data(pd.DataFrame(frame), table=table)
    names = set(found["column"])
    for rec in found.to_dict(orient="records"):
        notes.excluded.append({k: str(rec[k]) for k in FINDING_COLUMNS})
    for c in extra:
        if c in frame.columns and c not in names:
            names.add(c)
            notes.excluded.append({"table": table, "column": c, "kind": "excluded_by_caller",
                                   "evidence": "privacy.exclude_columns", "detail": ""})
    return names


@functools.cache
def _schema_names(layer: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """Property names and name patterns a layer's schema allows (the export's whitelist)."""
    props = load_schema(layer)["properties"]["features"]["items"]["properties"]["properties"]
    return (frozenset(props.get("properties", {})),
            tuple(re.compile(p) for p in props.get("patternProperties", {})))


def _in_schema(layer: str, name: str) -> bool:
    names, patterns = _schema_names(layer)
    return name in names or any(p.search(name) for p in patterns)


def _generic_columns(frame: pd.DataFrame, fixed: Sequence[str], layer: str, notes: _Notes,
                     blocked: set[str]) -> list[str]:
    """Columns beyond ``fixed`` that may pass: those the layer's schema documents, holding
    numbers, booleans, dates or category codes. Everything else is dropped (and noted)."""
    keep: list[str] = []
    dropped: list[str] = []
    for c in frame.columns:
        if c in fixed or c == "geometry" or isinstance(frame[c].dtype, gpd.array.GeometryDtype):
            continue
        if (c in blocked or not isinstance(c, str) or not _SNAKE.match(c)
                or not _in_schema(layer, c)):
            dropped.append(str(c))
            continue
        s = frame[c]
        kind = s.dtype.kind
        if kind in "biuf" or kind == "M":
            keep.append(c)
        else:
            vals = s.dropna()
            if (len(vals) and all(isinstance(v, (_dt.date, pd.Timestamp)) for v in vals.tolist())) or len(vals) == 0 or all(_categories_in(v) is not None for v in vals.tolist()):
                keep.append(c)
            else:
                dropped.append(c)
    notes.drop(layer, dropped)
    return keep


def _count_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(c, str)
            and (c == "count" or (c.startswith("count_") and c[6:] in CATEGORIES))]


_HIDDEN_LISTS = ("suppressed_primary", "suppressed_secondary")


def _lists(df: pd.DataFrame, out: pd.DataFrame) -> None:
    """Copy the published rows' lists of hidden properties (as lists of names)."""
    for c in _HIDDEN_LISTS:
        vals = df[c].tolist() if c in df.columns else [()] * len(df)
        out[c] = pd.Series([list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in vals],
                           index=out.index, dtype=object)


def _cells_layer(src: gpd.GeoDataFrame, lb: Lagesbild, p: Privacy, notes: _Notes, layer: str,
                 blocked: set[str]) -> gpd.GeoDataFrame:
    settings = _settings_of(lb)
    df = _index_to_column(pd.DataFrame(src), "cell")
    if "cell" not in df.columns:
        raise InputError(f"The {layer} table has no 'cell' column or index; columns: "
                         f"{', '.join(map(str, df.columns))}.")
    cells = _cells_as_uint64(df["cell"])
    geom = (src.geometry.reset_index(drop=True) if isinstance(src, gpd.GeoDataFrame)
            and src.geometry.name in src.columns else None)
    df = df.drop(columns=[c for c in ("geometry",) if c in df.columns])
    counts = _count_columns(df)
    gi = [c for c in ("gi_z", "gi_p", "gi_p_adj", "gi_bin", "hotspot_class", "n_neighbours")
          if c in df.columns]
    fixed = ["cell", *counts, *gi, "suppressed", "source", "rolled_up", *_HIDDEN_LISTS]
    extra = _generic_columns(df, fixed, layer, notes, blocked)
    out = pd.DataFrame({"cell": cells})
    out["resolution"] = _cell_resolution(cells, settings.resolution)
    for c in counts:
        out[c] = pd.to_numeric(df[c], errors="coerce").round().astype("Int64").array
    for c in gi + extra:
        out[c] = df[c].to_numpy()
    if "source" in df.columns:
        out["source"] = df["source"].to_numpy()
    out["suppressed"] = (df["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in df.columns
                         else np.zeros(len(df), dtype=bool))
    if "rolled_up" in df.columns and layer == "cells":
        out["rolled_up"] = df["rolled_up"].fillna(False).astype(bool).to_numpy()
        rolled = (lb.metadata or {}).get("published_notes", {}).get("rolled_up")
        notes.rolled_up[layer] = int(rolled if rolled is not None else out["rolled_up"].sum())
    _lists(df, out)
    geometry = geom if geom is not None else _hex_polygons(cells)
    notes.suppressed[layer] = int(out["suppressed"].sum())
    out["cell"] = grid.cells_to_str(out["cell"].to_numpy(dtype=np.uint64))
    if "gi_bin" in out.columns:
        out["gi_bin"] = pd.to_numeric(out["gi_bin"], errors="coerce").round().astype("Int64")
    if "n_neighbours" in out.columns:
        out["n_neighbours"] = pd.to_numeric(out["n_neighbours"], errors="coerce").round().astype("Int64")
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry.values, crs="EPSG:4326"),
                            crs="EPSG:4326")


def _clusters_layer(src: gpd.GeoDataFrame, lb: Lagesbild, p: Privacy, notes: _Notes,
                    blocked: set[str]) -> gpd.GeoDataFrame:
    df = _index_to_column(pd.DataFrame(src), "cluster_id")
    if "cluster_id" not in df.columns:
        df = df.reset_index(drop=True)
        df["cluster_id"] = np.arange(1, len(df) + 1)
    ncol = _first(df, ("n", "count", "n_incidents"))
    fixed = ["cluster_id", "n", "count", "n_incidents", "suppressed", "source", *_HIDDEN_LISTS]
    extra = _generic_columns(df, fixed, "clusters", notes, blocked)
    out = pd.DataFrame({"cluster_id": df["cluster_id"].astype(str).to_numpy()})
    out["n"] = (pd.to_numeric(df[ncol], errors="coerce").round().astype("Int64").array if ncol
                else pd.array([pd.NA] * len(df), dtype="Int64"))
    for c in extra:
        if c in df.columns:
            v = df[c]
            if v.dtype.kind == "O" and c == "top_categories":  # the one list property
                v = v.map(lambda x: _categories_in(x) if x is not None else None)
            out[c] = v.to_numpy()
    if "source" in df.columns:
        out["source"] = df["source"].to_numpy()
    out["suppressed"] = (df["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in df.columns
                         else out["n"].isna().to_numpy())
    _lists(df, out)
    notes.suppressed["clusters"] = int(out["suppressed"].sum())
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(src.geometry.values, crs=src.crs),
                            crs=src.crs).pipe(_to_wgs84)


def _emerging_layer(src: pd.DataFrame, lb: Lagesbild, p: Privacy, notes: _Notes,
                    blocked: set[str]) -> gpd.GeoDataFrame:
    df = _index_to_column(pd.DataFrame(src), "cell")
    if "cell" not in df.columns:
        raise InputError("The emerging table has no 'cell' column or index.")
    cells = _cells_as_uint64(df["cell"])
    cls = _first(df, ("emerging_class", "pattern", "category", "class", "emerging"))
    fixed = ["cell", "source", "suppressed", *_HIDDEN_LISTS] + ([cls] if cls else [])
    frame = df.drop(columns=[c for c in ("geometry",) if c in df.columns])
    extra = _generic_columns(frame, fixed, "emerging", notes, blocked)
    out = pd.DataFrame({"cell": grid.cells_to_str(cells)})
    out["emerging_class"] = df[cls].astype("string").to_numpy() if cls else pd.NA
    for c in extra:
        out[c] = df[c].to_numpy()
    if "source" in df.columns:
        out["source"] = df["source"].to_numpy()
    counts = _count_columns(out)
    for c in counts:
        out[c] = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
    if counts:
        out["suppressed"] = (df["suppressed"].fillna(False).astype(bool).to_numpy()
                             if "suppressed" in df.columns else out["count"].isna().to_numpy())
        _lists(df, out)
        notes.suppressed["emerging"] = int(out["suppressed"].sum())
    if isinstance(src, gpd.GeoDataFrame) and src.geometry.name in src.columns:
        geometry = gpd.GeoSeries(src.geometry.values, crs=src.crs)
    else:
        geometry = _hex_polygons(cells)
    return gpd.GeoDataFrame(out, geometry=geometry, crs=geometry.crs).pipe(_to_wgs84)


def _district_geometry(lb: Lagesbild) -> pd.Series:
    d = _index_to_column(pd.DataFrame(lb.districts), "district_code")
    if "district_code" not in d.columns or "geometry" not in d.columns:
        return pd.Series(dtype=object)
    g = gpd.GeoSeries(d["geometry"].values, crs=lb.districts.crs if isinstance(
        lb.districts, gpd.GeoDataFrame) else "EPSG:4326")
    g = _to_wgs84(g)
    return pd.Series(g.values, index=d["district_code"].astype(str).to_numpy())


def _districts_layer(lb: Lagesbild, p: Privacy, notes: _Notes,
                     blocked: set[str]) -> gpd.GeoDataFrame:
    src = lb.districts
    df = _index_to_column(pd.DataFrame(src), "district_code")
    summary = _index_to_column(pd.DataFrame(lb.district_summary), "district_code")
    if "district_code" not in df.columns and "district_code" in summary.columns:
        df = summary
    elif "district_code" in summary.columns:
        extra_cols = [c for c in summary.columns if c not in df.columns]
        if extra_cols:
            df = df.merge(summary[["district_code", *extra_cols]], on="district_code", how="left")
    if "district_code" not in df.columns:
        return _empty_gdf(["district_code"])
    df["district_code"] = df["district_code"].astype(str)
    geoms = _district_geometry(lb)
    df = df[df["district_code"].isin(geoms.index)].reset_index(drop=True)
    # districts.summarize names the total "total" (and "total_previous"); the format says count
    renames = {"total": "count", "total_previous": "count_previous"}
    df = df.rename(columns={k: v for k, v in renames.items() if k in df.columns and v not in df.columns})
    df = df.drop(columns=[c for c in ("row_type", "total", "total_previous") if c in df.columns])
    counts = _count_columns(df) + (["count_previous"] if "count_previous" in df.columns else [])
    fixed = ["district_code", "district_name", "population", *counts, "suppressed", "source",
             *_HIDDEN_LISTS]
    frame = df.drop(columns=[c for c in ("geometry",) if c in df.columns])
    extra = _generic_columns(frame, fixed, "districts", notes, blocked)
    out = pd.DataFrame({"district_code": df["district_code"].to_numpy()})
    out["district_name"] = (df["district_name"].astype("string") if "district_name" in df.columns
                            else pd.NA)
    out["population"] = (pd.to_numeric(df["population"], errors="coerce").to_numpy()
                         if "population" in df.columns else np.nan)
    for c in counts:
        out[c] = pd.to_numeric(df[c], errors="coerce").round().astype("Int64").array
    for c in extra:
        out[c] = df[c].to_numpy()
    if "source" in df.columns:
        out["source"] = df["source"].to_numpy()
    out["suppressed"] = (df["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in df.columns
                         else out["count"].isna().to_numpy() if "count" in out.columns
                         else np.zeros(len(out), dtype=bool))
    _lists(df.rename(columns={"total": "count", "total_previous": "count_previous"}), out)
    for c in ("suppressed_primary", "suppressed_secondary"):  # the format's names for the totals
        out[c] = out[c].map(lambda v: [{"total": "count", "total_previous": "count_previous"}.get(x, x)
                                       for x in v])
    survey_like = [c for c in extra if c.startswith(("trygg", "otrygg", "survey", "n_respond",
                                                     "respondents", "share_unsafe", "mean_score"))]
    notes.suppressed["districts"] = int(out["suppressed"].sum())
    # survey columns inside the district table follow the respondent rule
    ncol = _first(out, ("trygg_n", "n_respondents", "survey_n", "respondents", "trygghet_n"))
    bools = [c for c in survey_like if out[c].dtype.kind == "b" or c.endswith("suppressed")]
    out = out.drop(columns=bools)
    survey_like = [c for c in survey_like if c not in bools]
    if survey_like and ncol:
        out = out.rename(columns={"suppressed": "_s"})
        out = suppress_survey(out, n_column=ncol,
                              value_columns=[c for c in survey_like if c != ncol],
                              min_respondents=int(p.min_respondents or 1))
        out = out.rename(columns={"suppressed": "survey_suppressed", "_s": "suppressed"})
    elif survey_like:
        notes.drop("districts", survey_like)
        out = out.drop(columns=survey_like)
    geometry = gpd.GeoSeries(geoms.reindex(out["district_code"]).values, crs="EPSG:4326")
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def _trygghet_layer(src: pd.DataFrame, lb: Lagesbild, p: Privacy, notes: _Notes, layer: str,
                    blocked: set[str]) -> gpd.GeoDataFrame:
    by_cell = layer != "trygghet"
    key = "cell" if by_cell else "district_code"
    df = _index_to_column(pd.DataFrame(src), key)
    if key not in df.columns:
        raise InputError(f"The survey table for layer {layer!r} has no {key!r} column or index; "
                         f"columns: {', '.join(map(str, df.columns))}.")
    ncol = _first(df, ("n", "n_respondents", "respondents", "n_answers"))
    if ncol is None:
        raise InputError(f"The survey table for layer {layer!r} has no respondent count "
                         "('n' or 'n_respondents'); without it nothing can be published safely.")
    fixed = [key, ncol, "suppressed", "source", "district_name"]
    frame = df.drop(columns=[c for c in ("geometry",) if c in df.columns])
    extra = _generic_columns(frame, fixed, layer, notes, blocked)
    codes = [c for c in extra if not (pd.api.types.is_numeric_dtype(df[c]) or df[c].dtype.kind == "b")]
    out = pd.DataFrame({key: df[key].to_numpy()})
    out["n"] = pd.to_numeric(df[ncol], errors="coerce").to_numpy()
    for c in extra:
        out[c] = df[c].to_numpy()
    if "source" in df.columns:
        out["source"] = df["source"].to_numpy()
    if "suppressed" in df.columns:
        out["suppressed"] = df["suppressed"].fillna(False).astype(bool).to_numpy()
    values = [c for c in extra if df[c].dtype.kind != "b" and c not in codes and c != "resolution"]
    out = suppress_survey(out, n_column="n", value_columns=values,
                          min_respondents=int(p.min_respondents or 1))
    for c in codes:  # e.g. top_reason: hidden with the row
        out[c] = out[c].astype(object).mask(out["suppressed"].to_numpy())
        out[c] = out[c].map(lambda v: None if _is_na(v) else str(v))
    notes.suppressed[layer] = int(out["suppressed"].sum())
    if by_cell:
        cells = _cells_as_uint64(out["cell"])
        out["cell"] = grid.cells_to_str(cells)
        if isinstance(src, gpd.GeoDataFrame) and src.geometry.name in src.columns:
            geometry = _to_wgs84(gpd.GeoSeries(src.geometry.values, crs=src.crs))
        else:
            geometry = _hex_polygons(cells)
    else:
        out["district_code"] = out["district_code"].astype(str)
        geoms = _district_geometry(lb)
        if isinstance(src, gpd.GeoDataFrame) and src.geometry.name in src.columns:
            geometry = _to_wgs84(gpd.GeoSeries(src.geometry.values, crs=src.crs))
        else:
            keep = out["district_code"].isin(geoms.index).to_numpy()
            if not keep.all():
                notes.warnings.append(f"{int((~keep).sum())} survey rows of layer {layer} have a "
                                      "district code without a district polygon and were left out.")
            out = out.loc[keep].reset_index(drop=True)
            geometry = gpd.GeoSeries(geoms.reindex(out["district_code"]).values, crs="EPSG:4326")
        names = _district_names(lb)
        out.insert(1, "district_name", out["district_code"].map(names).astype("string"))
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry.values, crs="EPSG:4326"),
                            crs="EPSG:4326")


def _is_na(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _district_names(lb: Lagesbild) -> dict[str, str]:
    d = _index_to_column(pd.DataFrame(lb.districts), "district_code")
    if "district_code" in d.columns and "district_name" in d.columns:
        return dict(zip(d["district_code"].astype(str), d["district_name"].astype(str), strict=True))
    return {}


_MEASURE_FIELDS = ("measure_id", "title", "target_categories", "status", "responsible",
                   "partners", "start_date", "end_date", "next_followup", "followup_indicator",
                   "cause_tags", "agreement", "cost")
_MEASURE_ALIASES = {
    "measure_id": ("measure_id", "id"),
    "title": ("title",),
    "target_categories": ("target_categories", "categories"),
    "status": ("status",),
    "responsible": ("responsible", "responsible_actor", "actor"),
    "partners": ("partners",),
    "start_date": ("start_date", "start"),
    "end_date": ("end_date", "end"),
    "next_followup": ("next_followup", "next_followup_date", "followup_date", "next_follow_up"),
    "followup_indicator": ("followup_indicator", "indicator", "follow_up_indicator"),
    "cause_tags": ("cause_tags", "tags", "problem_tags"),
    "agreement": ("agreement", "samverkansoverenskommelse", "collaboration_agreement"),
    "cost": ("cost", "cost_sek"),
}


def _as_list(v: Any) -> list[Any]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            try:
                return list(json.loads(s))
            except json.JSONDecodeError:
                pass
        return [p.strip() for p in re.split(r"[,;|]", s) if p.strip()]
    if isinstance(v, (list, tuple, np.ndarray)):
        return list(v)
    return [v]


def _date_text(v: Any) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.date().isoformat()


def areas_and_measures(store: MeasureStoreProtocol | str | Path | None
                       ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The areas and the measures of a measure store (or its path); empty for ``None``.

    Examples
    --------
    >>> areas, measures = areas_and_measures(None)
    >>> len(areas), len(measures)
    (0, 0)
    """
    if store is None:
        return _empty_gdf(), pd.DataFrame()
    if isinstance(store, (str, Path)):
        store = MeasureStore(store)
    areas = store.list_areas()
    measures = store.list_measures()
    return areas, measures


def with_id_column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Plain frame with the id (index ``id``/``name`` or column ``id``) as column ``name``.

    Examples
    --------
    >>> with_id_column(pd.DataFrame({"title": ["Belysning"]}, index=pd.Index(["m1"], name="id")),
    ...                "measure_id").to_dict("records")
    [{'measure_id': 'm1', 'title': 'Belysning'}]
    """
    df = pd.DataFrame(frame)
    if name not in df.columns and df.index.name in ("id", name):
        df = df.reset_index()
        df = df.rename(columns={df.columns[0]: name})
    else:
        df = df.reset_index(drop=True)
    if name not in df.columns and "id" in df.columns:
        df = df.rename(columns={"id": name})
    return df


def _areas_layer(areas: gpd.GeoDataFrame, measures: pd.DataFrame, notes: _Notes,
                 blocked: set[str]) -> gpd.GeoDataFrame:
    a = with_id_column(areas, "area_id")
    if "area_id" not in a.columns or len(a) == 0:
        return _empty_gdf(["area_id", "area_name", "measures"])
    name_col = _first(a, ("area_name", "name", "namn"))
    m = with_id_column(measures, "measure_id") if len(measures) else pd.DataFrame()
    dropped = [c for c in m.columns if c not in {x for al in _MEASURE_ALIASES.values() for x in al}
               and c not in ("area_id", "area_name", "geometry", "deleted_at", "deleted", "version")]
    notes.drop("areas.measures", dropped)
    mlists: dict[str, list[dict[str, Any]]] = {}
    if len(m) and "area_id" in m.columns:
        if "deleted_at" in m.columns:
            m = m[m["deleted_at"].isna()]
        for rec in m.to_dict(orient="records"):
            item: dict[str, Any] = {}
            for out_name, aliases in _MEASURE_ALIASES.items():
                col = next((x for x in aliases if x in rec), None)
                v = rec.get(col) if col else None
                if col in blocked:
                    v = None
                if out_name in ("target_categories", "partners", "cause_tags"):
                    item[out_name] = [str(x) for x in _as_list(v)]
                elif out_name in ("start_date", "end_date", "next_followup"):
                    item[out_name] = _date_text(v)
                elif out_name == "cost":
                    item[out_name] = _json_value(v) if isinstance(v, (int, float, np.number)) else None
                else:
                    item[out_name] = None if v is None or (isinstance(v, float) and math.isnan(v)) \
                        else str(v)
            mlists.setdefault(str(rec["area_id"]), []).append(item)
    out = pd.DataFrame({"area_id": a["area_id"].astype(str).to_numpy()})
    names = a[name_col].astype("string") if name_col else pd.Series([pd.NA] * len(a))
    out["area_name"] = names.to_numpy()
    out["measures"] = pd.Series([mlists.get(k, []) for k in out["area_id"]], dtype=object)
    out["n_measures"] = [len(v) for v in out["measures"]]
    if "source" in a.columns:
        out["source"] = a["source"].to_numpy()
    notes.drop("areas", [c for c in a.columns if c not in ("area_id", name_col, "geometry", "source",
                                                            "measures", "n_measures")])
    geom = gpd.GeoSeries(a["geometry"].values, crs=areas.crs if isinstance(
        areas, gpd.GeoDataFrame) else "EPSG:4326")
    return gpd.GeoDataFrame(out, geometry=_to_wgs84(geom).values, crs="EPSG:4326")


def _incidents_layer(lb: Lagesbild, blocked: set[str], notes: _Notes) -> gpd.GeoDataFrame:
    inc = pd.DataFrame(lb.incidents)
    cols = ["incident_id", "occurred_at", "category", "precision", "cell", "source"]
    notes.drop("incidents", [c for c in inc.columns if c not in cols
                             and c not in ("lat", "lon", "easting", "northing")])
    if len(inc) == 0 or "lat" not in inc.columns:
        return _empty_gdf(cols)
    out = pd.DataFrame(index=range(len(inc)))
    for c in cols:
        if c in inc.columns and c not in blocked:
            out[c] = inc[c].to_numpy()
    if "cell" in out.columns:
        out["cell"] = grid.cells_to_str(pd.to_numeric(out["cell"]).to_numpy(dtype=np.uint64))
    if "occurred_at" in out.columns:
        out["occurred_at"] = pd.Series(inc["occurred_at"]).map(
            lambda t: None if pd.isna(t) else pd.Timestamp(t).isoformat()).to_numpy()
    if "source" in out.columns:
        out["source"] = inc["source"].astype(str).map(lambda s: Path(s).name).to_numpy()
    geometry = gpd.points_from_xy(inc["lon"].to_numpy(), inc["lat"].to_numpy(), crs="EPSG:4326")
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def _pins_layer(pins: pd.DataFrame, blocked: set[str], notes: _Notes) -> gpd.GeoDataFrame:
    if (not isinstance(pins, gpd.GeoDataFrame) or len(pins) == 0
            or not (pins.geometry.geom_type == "Point").all()):
        if isinstance(pins, gpd.GeoDataFrame) and len(pins):
            notes.warnings.append("survey_pins: the bundle holds pins aggregated to cells, not "
                                  "points; they are in layer trygghet_pins.")
        return _empty_gdf(["pin_id", "reason", "date"])
    df = pd.DataFrame(pins)
    out = pd.DataFrame(index=range(len(df)))
    idc = _first(df, ("pin_id", "id"))
    rc = _first(df, ("reason", "orsak"))
    dc = _first(df, ("date", "datum", "created_at"))
    out["pin_id"] = df[idc].astype(str).to_numpy() if idc and idc not in blocked else None
    out["reason"] = df[rc].astype("string").to_numpy() if rc and rc not in blocked else None
    out["date"] = df[dc].map(_date_text).to_numpy() if dc and dc not in blocked else None
    notes.drop("survey_pins", [c for c in df.columns if c not in (idc, rc, dc, pins.geometry.name)])
    geom = _to_wgs84(gpd.GeoSeries(pins.geometry.values, crs=pins.crs))
    return gpd.GeoDataFrame(out, geometry=geom.values, crs="EPSG:4326")


def package_layers(
    lagesbild: Lagesbild,
    *,
    store: MeasureStoreProtocol | str | Path | None = None,
    layers: Sequence[str] | None = None,
    privacy: Privacy | None = None,
    include_points: bool = False,
    allow_personal_data: Iterable[str] = (),
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, Any]]:
    """The export layers after the privacy rules, and the privacy notes.

    This is what :func:`export_package` writes and what the report shows. Every
    number comes from :func:`lagesbild_geo.privacy.publishable`.

    Parameters
    ----------
    lagesbild
        The bundle (not modified).
    store
        A :class:`~lagesbild_geo.measures.MeasureStore` (or its path) for the
        ``areas`` layer; ``None`` gives an empty ``areas`` layer (or the
        bundle's own areas when it is a :class:`LagesbildPackage`).
    layers
        Layer names to build (default: all of :data:`LAYERS`, plus
        :data:`POINT_LAYERS` when points are included).
    privacy
        :class:`~lagesbild_geo.privacy.Privacy` options.
    include_points
        Same as ``Privacy(include_points=True)``.
    allow_personal_data
        Free-text fields (``"areas.name"``, ``"measures.title"`` …, see
        :data:`lagesbild_geo.privacy.FREE_TEXT_FIELDS`) to publish even though they
        look like personal data. Otherwise such a value stops the export with a
        :class:`~lagesbild_geo.errors.PrivacyError` naming field and row.

    Returns
    -------
    (dict of GeoDataFrame, dict)
        Layers by name (WGS84, export property names) and the privacy notes
        (``excluded_columns``, ``dropped_columns``, ``suppressed``, ``rolled_up``, ``warnings``,
        ``totals``: the kommun's and the outside row's published counts).
    """
    _, out, info = published_package(lagesbild, store=store, layers=layers, privacy=privacy,
                                     include_points=include_points, allow_personal_data=allow_personal_data)
    return out, info


def published_package(lagesbild: Lagesbild, *, store: MeasureStoreProtocol | str | Path | None = None,
                      layers: Sequence[str] | None = None, privacy: Privacy | None = None,
                      include_points: bool = False, allow_personal_data: Iterable[str] = ()
                      ) -> tuple[Lagesbild, dict[str, gpd.GeoDataFrame], dict[str, Any]]:
    """:func:`package_layers` together with the published bundle its layers come from
    (:func:`lagesbild_geo.privacy.publishable`, computed once), for a caller that shows
    both, like the report.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> pub, layers, info = published_package(example_lagesbild(clusters=False, emerging=False),
    ...                                       layers=["districts"])
    >>> list(layers), pub.metadata["published"]["min_count"] == info["min_count"]
    (['districts'], True)
    """
    p = _resolved_privacy(lagesbild, privacy, include_points)
    wanted = _wanted_layers(layers, p)
    notes = _Notes()
    extra = tuple(p.exclude_columns)
    blocked_inc, blocked = _blocked_columns(lagesbild, notes, extra)
    lagesbild = publishable(lagesbild, p)
    out: dict[str, gpd.GeoDataFrame] = {}
    if "districts" in wanted and len(lagesbild.districts) and "district_name" in lagesbild.districts.columns:
        check_free_text({"districts": pd.DataFrame(lagesbild.districts)},
                        allow_personal_data=allow_personal_data, fields=("districts.district_name",))
    for name in wanted:
        if name == "areas":
            out[name] = _areas_export(lagesbild, store, notes, extra, allow_personal_data)
        elif name == "incidents":
            out[name] = _incidents_layer(lagesbild, blocked_inc, notes)
        else:
            out[name] = _published_layer(name, lagesbild, p, notes, blocked)
    return lagesbild, out, _package_info(lagesbild, p, notes, allow_personal_data)


def _wanted_layers(layers: Sequence[str] | None, p: Privacy) -> list[str]:
    """The layers asked for (default: every layer, points only when included), checked."""
    wanted = list(layers) if layers is not None else list(LAYERS) + (
        list(POINT_LAYERS) if p.include_points else [])
    unknown = [n for n in wanted if n not in LAYERS + POINT_LAYERS]
    if unknown:
        raise InputError(f"Unknown layer(s) {', '.join(unknown)}; known layers are "
                         f"{', '.join(LAYERS + POINT_LAYERS)}.")
    if not p.include_points and any(n in POINT_LAYERS for n in wanted):
        raise PrivacyError(
            "Layers of individual points (incidents, survey_pins) are exported only with "
            "include_points=True (CLI: --include-points); they are personal data."
        )
    return wanted


def _blocked_columns(raw: Lagesbild, notes: _Notes, extra: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """Columns that look like personal data: in the incidents, and in every other frame."""
    blocked_inc = _detect(raw.incidents, "incidents", notes, extra)
    blocked = set(extra)
    for name, frame in (("cells", raw.cells), ("hotspots", raw.hotspots),
                        ("clusters", raw.clusters), ("emerging", raw.emerging),
                        ("districts", raw.districts),
                        ("district_summary", raw.district_summary)):
        blocked |= _detect(frame, name, notes, extra)
    for name, frame in (raw.survey or {}).items():
        if isinstance(frame, pd.DataFrame):
            blocked |= _detect(frame, f"survey.{name}", notes, extra)
    # our own key/name columns are exempt from header-only findings
    blocked -= {"district_name", "district_code", "cell", "cluster_id"}
    return blocked_inc, blocked


def _published_layer(name: str, pub: Lagesbild, p: Privacy, notes: _Notes,
                     blocked: set[str]) -> gpd.GeoDataFrame:
    """One aggregate layer of the published bundle (empty with its id column when there is none)."""
    survey = dict(pub.survey or {})
    if name in ("cells", "hotspots"):
        src = pub.cells if name == "cells" else pub.hotspots
        return _cells_layer(src, pub, p, notes, name, blocked) if len(src) else _empty_gdf(["cell"])
    if name == "clusters":
        src = pub.clusters
        return (_clusters_layer(src, pub, p, notes, blocked)
                if len(src) and isinstance(src, gpd.GeoDataFrame) else _empty_gdf(["cluster_id"]))
    if name == "emerging":
        return _emerging_layer(pub.emerging, pub, p, notes, blocked) if len(pub.emerging) else _empty_gdf(["cell"])
    if name == "districts":
        return _districts_layer(pub, p, notes, blocked)
    if name == "trygghet_pins":
        src = survey.get("pins")
        aggregated = isinstance(src, pd.DataFrame) and len(src) and (
            src.index.name == "cell" or "cell" in src.columns)
        return (_trygghet_layer(src, pub, p, notes, name, blocked)
                if aggregated and src is not None else _empty_gdf(["n"]))
    if name in ("trygghet", "trygghet_cells"):
        key = "cells" if name == "trygghet_cells" else "districts"
        src = survey.get(key, survey.get(name))
        if src is None and name == "trygghet" and "trygghet" in survey:
            src = survey["trygghet"]
        return (_trygghet_layer(src, pub, p, notes, name, blocked)
                if src is not None and len(src) else _empty_gdf(["n"]))
    # survey_pins
    pins = survey.get("pin_points", survey.get("pins"))
    return _pins_layer(pins if isinstance(pins, pd.DataFrame) else pd.DataFrame(), blocked, notes)


def _areas_export(pub: Lagesbild, store: MeasureStoreProtocol | str | Path | None, notes: _Notes,
                  extra: tuple[str, ...], allow_personal_data: Iterable[str]) -> gpd.GeoDataFrame:
    """The areas layer: the store's areas with their measures (a package's own without a store)."""
    if store is None and isinstance(pub, LagesbildPackage):
        a = pub.areas
        measures = pd.DataFrame(
            [dict(it, area_id=aid) for aid, ms in zip(a.get("area_id", []), a.get("measures", []),
                                                      strict=False) for it in (ms or [])])
        src_a: gpd.GeoDataFrame = a
    else:
        src_a, measures = areas_and_measures(store)
    blocked_a = _detect(pd.DataFrame(src_a).drop(columns=["measures"], errors="ignore"),
                        "areas", notes, extra) - {"area_name", "name", "namn"}
    blocked_m = _detect(measures, "measures", notes, extra) - {"title"}
    # a field the user explicitly allowed is published as written
    blocked_a -= {c for f in allow_personal_data if f.startswith("areas.")
                  for c in FIELD_ALIASES.get(f, ())}
    blocked_m -= {c for f in allow_personal_data if f.startswith("measures.")
                  for c in FIELD_ALIASES.get(f, ())}
    check_free_text({"areas": pd.DataFrame(src_a), "measures": measures},
                    allow_personal_data=allow_personal_data, fields=_PACKAGE_TEXT_FIELDS)
    return _areas_layer(src_a, measures, notes, blocked_a | blocked_m)


def _package_info(pub: Lagesbild, p: Privacy, notes: _Notes,
                  allow_personal_data: Iterable[str]) -> dict[str, Any]:
    """The privacy notes of a package (with the warnings points and allowed fields bring)."""
    if p.include_points:
        notes.warnings.append(
            "VARNING: paketet innehåller enskilda händelser och/eller enkätmarkeringar som punkter "
            "(include_points=True). Punkterna kan vara personuppgifter; lämna inte ut dem utan "
            "sekretessprövning. / WARNING: the package contains individual incidents and/or "
            "survey pins as points (include_points=True); they may be personal data."
        )
    allowed = sorted(set(allow_personal_data))
    if allowed:
        notes.warnings.append(
            "Fält som kan innehålla personuppgifter har tagits med på användarens uttryckliga begäran: "
            f"{', '.join(allowed)}. / Free-text fields that may hold personal data were included "
            "on the user's explicit request.")
    return {
        "min_count": p.min_count,
        "min_respondents": p.min_respondents,
        "small_cells": p.small_cells,
        "include_points": p.include_points,
        "free_text": "never exported",
        "excluded_columns": notes.excluded,
        "dropped_columns": notes.dropped,
        "suppressed": notes.suppressed,
        "rolled_up": notes.rolled_up,
        "warnings": notes.warnings,
        "allowed_personal_data": allowed,
        "totals": _totals(pub),
        "counts": dict((pub.metadata or {}).get("counts") or {}),
    }


#: Free-text fields the package writes (checked for personal data before writing).
_PACKAGE_TEXT_FIELDS = ("areas.name", "measures.title", "measures.agreement", "measures.partners",
                        "measures.indicator", "measures.cause_tags")


def _totals(pub: Lagesbild) -> dict[str, Any]:
    """The kommun's and the outside row's published counts (metadata ``totals``)."""
    s = pub.district_summary
    if not len(s) or "row_type" not in s.columns:
        return {}
    names = {"total": "count", "total_previous": "count_previous"}
    out: dict[str, Any] = {}
    for key, rt in (("kommun", "total"), ("outside", "outside"), ("stadsdel_level", "stadsdel"),
                    ("kommun_level", "kommun")):
        rows = s.loc[s["row_type"] == rt]
        if not len(rows):
            continue
        r = rows.iloc[0]
        d: dict[str, Any] = {}
        for c in s.columns:
            if c in names or (c.startswith("count_") and c[6:] in CATEGORIES):
                v = r[c]
                d[names.get(c, c)] = None if pd.isna(v) else int(v)
        for c in ("suppressed_primary", "suppressed_secondary"):
            v = r.get(c)
            d[c] = [names.get(x, x) for x in v] if isinstance(v, (list, tuple)) else []
        out[key] = d
    return out


# --------------------------------------------------------------------- metadata

_LABELS_SV: dict[str, str] = {
    "cell": "H3-cell (id)",
    "resolution": "H3-upplösning",
    "count": "Antal händelser",
    "suppressed": "Undertryckt (för få för att visas)",
    "rolled_up": "Sammanslagen till överordnad cell",
    "gi_z": "Gi*-z-värde",
    "gi_p": "p-värde (tvåsidigt)",
    "gi_p_adj": "p-värde efter korrektion för multipla test",
    "gi_bin": "Gi*-klass (−3…3)",
    "hotspot_class": "Hotspotklass",
    "n_neighbours": "Antal grannceller",
    "cluster_id": "Kluster (id)",
    "n": "Antal",
    "area_m2": "Yta (m²)",
    "density_per_km2": "Täthet per km²",
    "emerging_class": "Trendklass (framväxande hotspot)",
    "district_code": "Områdeskod",
    "district_name": "Områdesnamn",
    "population": "Befolkning",
    "area_id": "Område (id)",
    "area_name": "Områdesnamn",
    "measures": "Åtgärder",
    "n_measures": "Antal åtgärder",
    "measure_id": "Åtgärd (id)",
    "title": "Åtgärd",
    "target_categories": "Brottskategorier som åtgärden riktar sig mot",
    "status": "Status",
    "responsible": "Ansvarig aktör",
    "partners": "Samverkanspartner",
    "start_date": "Startdatum",
    "end_date": "Slutdatum",
    "next_followup": "Nästa uppföljning",
    "followup_indicator": "Uppföljningsindikator",
    "cause_tags": "Orsaker (taggar)",
    "agreement": "Samverkansöverenskommelse",
    "cost": "Kostnad (kr)",
    "survey_suppressed": "Enkätvärden undertryckta (för få svar)",
    "source": "Källa (kommun/polis)",
    "incident_id": "Händelse (id)",
    "occurred_at": "Tidpunkt",
    "category": "Brottskategori",
    "precision": "Lägesnoggrannhet",
    "pin_id": "Markering (id)",
    "reason": "Orsak",
    "date": "Datum",
    "share_unsafe": "Andel otrygga",
    "mean_score": "Medelvärde",
    "count_previous": "Antal händelser föregående period",
    "kommun_level": "Händelser bara på kommunnivå (i inget område)",
    "stadsdel_level": "Händelser på stadsdelsnivå som kan ligga i området",
    "per_1000": "Händelser per 1 000 invånare",
    "share_of_total": "Andel av kommunens händelser",
    "top1": "Vanligaste brottskategori",
    "top2": "Näst vanligaste brottskategori",
    "top3": "Tredje vanligaste brottskategori",
    "change": "Förändring mot föregående period (antal)",
    "change_pct": "Förändring mot föregående period (%)",
    "change_p": "p-värde för förändringen (Poisson, tvåsidigt)",
    "change_significant": "Statistiskt säkerställd förändring",
    "change_direction": "Riktning (ökning/minskning/oförändrat)",
    "n_cells": "Antal H3-celler",
    "n_hot_cells": "Antal hotspotceller",
    "n_cold_cells": "Antal kalla celler",
    "share_hot_cells": "Andel hotspotceller",
    "trygg_n": "Antal enkätsvar",
    "trygg_n_safety": "Antal svar om trygghet",
    "trygg_n_worry": "Antal svar om oro",
    "trygg_otrygg_share": "Andel otrygga",
    "trygg_never_out_share": "Andel som aldrig går ut av oro",
    "trygg_mean_worry": "Oro för brott (medel 1–5)",
    "n_safety": "Antal svar om trygghet",
    "n_worry": "Antal svar om oro",
    "otrygg_share": "Andel otrygga",
    "never_out_share": "Andel som aldrig går ut av oro",
    "mean_worry": "Oro för brott (medel 1–5)",
    "n_periods": "Antal tidsperioder",
    "n_hot": "Antal perioder som hotspot",
    "n_cold": "Antal perioder som kallt område",
    "last_gi_z": "Gi*-z-värde senaste perioden",
    "last_gi_bin": "Gi*-klass senaste perioden",
    "mk_s": "Mann–Kendall S",
    "mk_z": "Mann–Kendall z",
    "mk_p": "Mann–Kendall p-värde",
    "mk_tau": "Kendalls tau",
    "trend": "Trend (upp/ned/ingen)",
    "gi_significant": "Signifikant efter korrektion",
    "peak_weekday": "Mest aktiva veckodag (0 = måndag)",
    "peak_hour": "Mest aktiva timme (0–23)",
    "first_date": "Första händelsen",
    "last_date": "Senaste händelsen",
    "top_reason": "Vanligaste orsak",
}
for _i in (1, 2, 3):
    _LABELS_SV[f"top{_i}_category"] = f"Brottskategori nr {_i}"
    _LABELS_SV[f"top{_i}_share"] = f"Andel för brottskategori nr {_i}"


def _labels_sv(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    labels = dict(_LABELS_SV)
    for cat, lab in CATEGORY_LABELS.items():
        labels[f"count_{cat}"] = f"Antal: {lab}"
    for g in layers.values():
        for c in g.columns:
            if c != "geometry" and c not in labels:
                labels[c] = c.replace("_", " ")
    return labels


def _safe_sources(meta: Mapping[str, Any]) -> Any:
    src = meta.get("sources")
    if src is None:
        return []
    keep = ("name", "file", "path", "sha256", "hash", "file_hash", "rows", "rows_read", "placed",
            "rejected", "pending", "format", "kind", "size")

    def one(s: Any) -> Any:
        if isinstance(s, Mapping):
            d = {k: _json_value(s[k]) for k in keep if k in s}
            for k in ("file", "path", "name"):
                if isinstance(d.get(k), str):
                    d[k] = Path(d[k]).name
            return d
        if isinstance(s, (str, Path)):
            return Path(str(s)).name
        return None

    if isinstance(src, Mapping):
        return {Path(str(k)).name: one(v) for k, v in src.items()}
    if isinstance(src, (list, tuple)):
        return [one(s) for s in src]
    return []


def _period_json(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _json_value(x) for k, x in v.items()}
    return _json_value(v) if not hasattr(v, "isoformat") else v.isoformat()


def _build_metadata(lb: Lagesbild, layers: Mapping[str, gpd.GeoDataFrame], info: Mapping[str, Any],
                    precision: int) -> dict[str, Any]:
    meta = dict(lb.metadata or {})
    settings = _settings_of(lb)
    kommun = meta.get("kommun")
    if not isinstance(kommun, Mapping):
        kommun = {"name": meta.get("kommun_name", kommun), "code": meta.get("kommun_code")}
    reports = {Path(str(name)).name: {k: _json_value(rep[k]) for k in ("pending", "rejected") if k in rep}
               for name, rep in (lb.reports or {}).items() if isinstance(rep, Mapping)}
    method = {k: v for k, v in settings.to_dict().items() if k not in ("extra", "limits")}
    for k in ("method", "parameters", "hotspot_parameters"):
        if isinstance(meta.get(k), Mapping):
            method[k] = _json_value(dict(meta[k]))
    created = meta.get("created_at") or _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    return {
        "format_version": FORMAT_VERSION,
        "kommun": {"name": _json_value(kommun.get("name")), "code": _json_value(kommun.get("code"))},
        "period": _period_json(meta.get("period")),
        "previous_period": _period_json(meta.get("previous_period")),
        "sources": _safe_sources(meta),
        "ingest": reports,
        "method": _json_value(method),
        "suppression": {"min_count": info["min_count"], "min_respondents": info["min_respondents"],
                        "small_cells": info["small_cells"]},
        "coordinate_precision": precision,
        "crs": "OGC:CRS84 (WGS 84 longitude, latitude; RFC 7946)",
        "created_at": _json_value(created) if not isinstance(created, str) else created,
        "library": {"name": "lagesbild_geo", "version": __version__},
        "layers": [
            {"name": n, "file": f"{n}.geojson", "gpkg_layer": n, "schema": f"{n}.schema.json",
             "features": len(g),
             "geometry_type": ("Point" if n in POINT_LAYERS else "Polygon")}
            for n, g in layers.items()
        ],
        "privacy": {k: _json_value(v) for k, v in info.items() if k not in ("totals", "counts")},
        "totals": _json_value(info.get("totals") or {}),
        "categories": dict(CATEGORY_LABELS),
        "labels_sv": _labels_sv(layers),
        "merged": _json_value(meta.get("merged", False)) if isinstance(lb, LagesbildPackage) else False,
        **_levels_meta({"counts": info["counts"]} if "counts" in info else meta),
    }


def _levels_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """How exactly the period's incidents are known (district, stadsdel, kommun level) and
    what was left out by category, from the build's counts."""
    counts = meta.get("counts") if isinstance(meta.get("counts"), Mapping) else {}
    out: dict[str, Any] = {}
    levels = counts.get("levels") if isinstance(counts, Mapping) else None
    if isinstance(levels, Mapping) and "total" in levels:
        out["levels"] = {k: None if levels[k] is None else int(levels[k])
                         for k in ("district", "stadsdel", "kommun", "outside", "total",
                                   "lan_not_counted") if k in levels}
    excluded = counts.get("excluded") if isinstance(counts, Mapping) else None
    if isinstance(excluded, Mapping):
        out["excluded_by_category"] = {str(k): None if v is None else int(v) for k, v in excluded.items()}
    return out


# ----------------------------------------------------------------------- export

def _id_column(name: str) -> str | None:
    return {"cells": "cell", "hotspots": "cell", "emerging": "cell", "trygghet_cells": "cell",
            "trygghet_pins": "cell",
            "clusters": "cluster_id", "districts": "district_code", "trygghet": "district_code",
            "areas": "area_id", "incidents": "incident_id", "survey_pins": "pin_id"}.get(name)


def _gpkg_frame(g: gpd.GeoDataFrame, precision: int) -> gpd.GeoDataFrame:
    out = g.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        s = out[c]
        if s.dtype.kind == "O" and s.map(lambda v: isinstance(v, (list, dict, tuple))).astype(bool).any():
            out[c] = s.map(lambda v: json.dumps(_json_value(v), ensure_ascii=False)
                           if isinstance(v, (list, dict, tuple)) else None)
        elif s.dtype.kind == "M":
            out[c] = s.map(lambda v: None if pd.isna(v) else pd.Timestamp(v).isoformat())
    geoms = _clean_geometries(out.geometry, precision)
    return out.set_geometry(gpd.GeoSeries(geoms, crs="EPSG:4326", index=out.index))


def export_package(
    lagesbild: Lagesbild,
    out_dir: str | Path,
    *,
    store: MeasureStoreProtocol | str | Path | None = None,
    layers: Sequence[str] | None = None,
    privacy: Privacy | None = None,
    include_points: bool = False,
    precision: int | None = None,
    gpkg: bool = True,
    allow_personal_data: Iterable[str] = (),
) -> dict[str, Any]:
    """Write the joint lägesbild package into ``out_dir``.

    One RFC 7946 GeoJSON FeatureCollection per layer (``<layer>.geojson``),
    the same layers in ``lagesbild.gpkg``, and ``metadata.json``. Privacy
    rules apply by default (see :mod:`lagesbild_geo.privacy`).

    Parameters
    ----------
    lagesbild
        The bundle (a :class:`~lagesbild_geo.pipeline.Lagesbild` or a
        :class:`LagesbildPackage`); not modified.
    out_dir
        Directory to write (created; existing package files are overwritten).
    store
        Measure store (or its path) for the ``areas`` layer; ``None`` writes an
        empty ``areas`` layer (unless the bundle is a package with areas).
    layers
        Layers to write; default :data:`LAYERS` (+ :data:`POINT_LAYERS` with points).
    privacy
        :class:`~lagesbild_geo.privacy.Privacy` options (thresholds default to the bundle's settings).
    include_points
        Export individual incidents and survey pins (a warning goes into the metadata).
    precision
        Decimals of lon/lat (default ``settings.coordinate_precision``, 6 ≈ 0.1 m).
    gpkg
        Also write ``lagesbild.gpkg``.
    allow_personal_data
        Free-text fields to publish although they look like personal data (see
        :func:`package_layers`); without it such a value stops the export.

    Returns
    -------
    dict
        The metadata written to ``metadata.json``.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # build_lagesbild(example_config())
    >>> meta = export_package(lb, tempfile.mkdtemp() + "/paket", gpkg=False)
    >>> [lay["name"] for lay in meta["layers"]][:3], meta["privacy"]["include_points"]
    (['cells', 'hotspots', 'clusters'], False)
    """
    prec = precision if precision is not None else _settings_of(lagesbild).coordinate_precision
    if not 0 <= prec <= 15:
        raise InputError(f"precision must be 0..15 decimals, got {prec}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pub, built, info = published_package(lagesbild, store=store, layers=layers, privacy=privacy,
                                         include_points=include_points,
                                         allow_personal_data=allow_personal_data)
    meta = _build_metadata(pub, built, info, prec)
    for name, g in built.items():
        fc = feature_collection(g, id_column=_id_column(name), precision=prec, name=name)
        (out / f"{name}.geojson").write_text(
            json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    if gpkg:
        path = out / GPKG_NAME
        if path.exists():
            path.unlink()
        import pyogrio

        # GDAL stamps gpkg_contents.last_change with the clock: the package's created_at
        # instead, so a fixed created_at gives a byte-identical GeoPackage
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _gdal_time(meta.get("created_at"))})
        try:
            for name, g in built.items():
                frame = _gpkg_frame(g, prec)
                gtype = "Point" if name in POINT_LAYERS else "MultiPolygon"
                pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG",
                                        promote_to_multi=gtype == "MultiPolygon",
                                        geometry_type=gtype if len(frame) == 0 else None,
                                        append=path.exists())
            meta_frame = pd.DataFrame({"key": ["metadata"],
                                       "value": [json.dumps(meta, ensure_ascii=False)]})
            pyogrio.write_dataframe(meta_frame, path, layer=_GPKG_META_TABLE, driver="GPKG",
                                    append=True)
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    (out / METADATA_NAME).write_text(json.dumps(meta, ensure_ascii=False, indent=2),
                                     encoding="utf-8")
    return meta


def _gdal_time(created: Any) -> str | None:
    """``created_at`` as GDAL's OGR_CURRENT_DATE wants it (UTC, ``YYYY-MM-DDTHH:MM:SS.000Z``)."""
    try:
        t = _dt.datetime.fromisoformat(str(created))
    except (TypeError, ValueError):
        return None
    t = t.replace(tzinfo=_dt.UTC) if t.tzinfo is None else t.astimezone(_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def zip_package(source: str | Path, dest: str | Path) -> Path:
    """Zip a package directory (or a single ``.gpkg``) into ``dest``.

    A directory is zipped with its GeoJSON, GeoPackage and metadata files only
    (nothing else that happens to lie there); a GeoPackage is zipped with a
    ``metadata.json`` extracted from it.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> d = tempfile.mkdtemp()
    >>> _ = export_package(example_lagesbild(clusters=False, emerging=False), f"{d}/paket",
    ...                    layers=["districts"])
    >>> sorted(zipfile.ZipFile(zip_package(f"{d}/paket", f"{d}/polis.zip")).namelist())
    ['districts.geojson', 'lagesbild.gpkg', 'metadata.json']
    """
    src = Path(source)
    dst = Path(dest)
    if not src.exists():
        raise InputError(f"{src} does not exist; give a package directory or a lagesbild.gpkg.")
    if src.is_file():
        with src.open("rb") as fh:
            head = fh.read(16)
        if head != b"SQLite format 3\x00":
            what = "a zip file (already a package to hand over?)" if head.startswith(b"PK") else \
                "neither a package directory nor a GeoPackage"
            raise InputError(f"{src.name} is {what}; give the package directory written by "
                             "`lagesbild build` or its lagesbild.gpkg.")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if src.is_dir():
            if not (src / METADATA_NAME).exists():
                raise InputError(f"{src} has no {METADATA_NAME}; it is not a lagesbild package "
                                 "(write one with `lagesbild build` or export_package).")
            names = [METADATA_NAME, GPKG_NAME] + [f"{n}.geojson" for n in LAYERS + POINT_LAYERS]
            for n in names:
                if (src / n).exists():
                    zf.write(src / n, arcname=n)
        else:
            meta = _gpkg_metadata(src)
            zf.write(src, arcname=GPKG_NAME)
            if meta:
                zf.writestr(METADATA_NAME, json.dumps(meta, ensure_ascii=False, indent=2))
    return dst


# ------------------------------------------------------------------------- read

def _gpkg_metadata(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    import pyogrio

    try:
        names = [n for n, _ in pyogrio.list_layers(path)]
        if _GPKG_META_TABLE not in names:
            return {}
        df = pyogrio.read_dataframe(path, layer=_GPKG_META_TABLE)
    except Exception as exc:  # pyogrio raises its own DataSourceError and friends
        raise InputError(f"{path.name} cannot be opened as a GeoPackage ({type(exc).__name__}: "
                         f"{exc}); give a lagesbild.gpkg written by `lagesbild build`.") from None
    if len(df) == 0 or "value" not in df.columns:
        return {}
    value = load_json(str(df["value"].iloc[0]), name=f"{path.name} (metadata)", limits=limits)
    return value if isinstance(value, dict) else {}


def _frame_from_fc(fc: Mapping[str, Any]) -> gpd.GeoDataFrame:
    feats = fc.get("features") or []
    if not feats:
        return _empty_gdf()
    props = pd.DataFrame([f.get("properties") or {} for f in feats])
    geoms = [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in feats]
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


_LIST_PROPS = ("measures", "top_categories", "target_categories")


def _decode_gpkg_lists(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = g.copy()
    for c in out.columns:
        if c == out.geometry.name or not (out[c].dtype == object
                                           or pd.api.types.is_string_dtype(out[c].dtype)):
            continue
        vals = out[c].dropna()
        if len(vals) and vals.map(lambda v: isinstance(v, str) and v[:1] in "[{").all():
            with contextlib.suppress(json.JSONDecodeError):
                out[c] = pd.Series([json.loads(v) if isinstance(v, str) else v for v in out[c]],
                                   index=out.index, dtype=object)
    return out


def _demote_single_multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """MultiPolygons of one part back to Polygons (the GeoPackage layer is promoted to multi)."""
    arr = np.asarray(geoms.values, dtype=object)
    single = (shapely.get_type_id(arr) == 6) & (shapely.get_num_geometries(arr) == 1)
    if single.any():
        arr = arr.copy()
        arr[single] = shapely.get_geometry(arr[single], 0)
    return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs, name=geoms.name)


def _check_format(meta: Mapping[str, Any], path: Path) -> None:
    version = str(meta.get("format_version") or FORMAT_VERSION)
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise InputError(
            f"Package {path} has format_version {version}; this lagesbild_geo reads "
            f"{FORMAT_VERSION.split('.')[0]}.x. Update lagesbild_geo (pip install -U lagesbild_geo)."
        )


def _to_bundle(frames: Mapping[str, gpd.GeoDataFrame], meta: dict[str, Any]) -> LagesbildPackage:
    def get(n: str) -> gpd.GeoDataFrame:
        return frames.get(n, _empty_gdf())

    def by_cell(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if "cell" in g.columns and len(g):
            g = g.copy()
            g.index = pd.Index(grid.str_to_cells(g["cell"].astype(str).tolist()), name="cell")
            g = g.drop(columns=["cell"])
        return g

    districts = get("districts")
    if "district_code" in districts.columns:
        districts = districts.set_index("district_code", drop=True)
    summary = pd.DataFrame(districts.drop(columns=districts.geometry.name)) if len(districts) \
        else pd.DataFrame()
    survey: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    if len(get("trygghet")):
        survey["districts"] = get("trygghet")
    if len(get("trygghet_cells")):
        survey["cells"] = by_cell(get("trygghet_cells"))
    if len(get("trygghet_pins")):
        survey["pins"] = by_cell(get("trygghet_pins"))
    if len(get("survey_pins")):
        survey["pin_points"] = get("survey_pins")
    incidents = pd.DataFrame(get("incidents"))
    if len(incidents):
        geo = gpd.GeoSeries(incidents["geometry"])
        incidents = incidents.drop(columns=["geometry"]).assign(lon=geo.x.to_numpy(), lat=geo.y.to_numpy())
        if "cell" in incidents.columns:
            incidents["cell"] = grid.str_to_cells(incidents["cell"].astype(str).tolist())
    else:
        incidents = pd.DataFrame()
    supp = meta.get("suppression") or {}
    settings = Settings()
    with contextlib.suppress(TypeError, ValueError):
        settings = settings.replace(
            min_count=int(supp.get("min_count") or settings.min_count),
            min_respondents=int(supp.get("min_respondents") or settings.min_respondents),
            coordinate_precision=int(meta.get("coordinate_precision") or 6),
            resolution=int((meta.get("method") or {}).get("resolution") or settings.resolution),
        )
    return LagesbildPackage(
        incidents=incidents,
        rejected=pd.DataFrame(),
        reports={},
        cells=by_cell(get("cells")),
        hotspots=by_cell(get("hotspots")),
        clusters=get("clusters"),
        emerging=by_cell(get("emerging")),
        districts=districts,
        district_summary=summary,
        survey=survey,
        metadata=meta,
        settings=settings,
        areas=get("areas"),
    )


def read_package(path: str | Path, *, limits: Limits | None = None) -> LagesbildPackage:
    """Read a package (directory, ``.gpkg`` or ``.zip``) back into a bundle.

    Layers come back with their export property names; cell-keyed layers are
    indexed by ``cell`` (uint64) and districts by ``district_code``, as in a
    :class:`~lagesbild_geo.pipeline.Lagesbild`. What a package does not carry
    is empty.

    A package comes from outside (another organisation, an upload): a zip is checked
    against ``limits`` (member count, unpacked size, compression ratio; see
    :mod:`lagesbild_geo.limits`) before anything is unpacked, only the package's own
    files are unpacked, and anything unreadable raises :class:`InputError`.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)
    >>> d = tempfile.mkdtemp()
    >>> _ = export_package(lb, f"{d}/paket", layers=["hotspots", "districts"], gpkg=False)
    >>> pkg = read_package(f"{d}/paket")
    >>> pkg.hotspots.index.name, len(pkg.hotspots) == len(lb.hotspots), len(pkg.incidents)
    ('cell', True, 0)
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"Package {p} does not exist; give a package directory, a lagesbild.gpkg "
                         "or a zip written by `lagesbild export`.")
    try:
        return _read_package(p, limits)
    except LagesbildError:
        raise
    except Exception as exc:  # a damaged or foreign package: never a traceback
        raise InputError(
            f"{p.name} cannot be read as a lägesbild package ({type(exc).__name__}: {exc}). "
            "Ask for the package again (written by `lagesbild build` / `lagesbild export`)."
        ) from None


_PACKAGE_FILES = (METADATA_NAME, GPKG_NAME, *(f"{n}.geojson" for n in LAYERS + POINT_LAYERS))


def _read_package(p: Path, limits: Limits | None) -> LagesbildPackage:
    if p.is_file() and (p.suffix.lower() == ".zip" or zipfile.is_zipfile(p)):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            extract_zip(p, tmp, limits=limits, names=_PACKAGE_FILES, what="package")
            unpacked = [f for f in Path(tmp).rglob("*") if f.is_file()]
            if not unpacked:
                raise InputError(f"{p.name} holds no package files ({', '.join(_PACKAGE_FILES[:3])} "
                                 "...); it is not a lägesbild package.")
            return _read_package(unpacked[0].parent, limits)
    frames: dict[str, gpd.GeoDataFrame] = {}
    if p.is_dir():
        meta_path = p / METADATA_NAME
        meta = load_json(meta_path.read_bytes(), name=METADATA_NAME, limits=limits) \
            if meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise InputError(f"{METADATA_NAME} of {p.name} is not a JSON object; it is not a "
                             "lägesbild package.")
        found = False
        for n in LAYERS + POINT_LAYERS:
            f = p / f"{n}.geojson"
            if f.exists():
                found = True
                fc = load_json(f.read_bytes(), name=f.name, limits=limits)
                if not isinstance(fc, dict):
                    raise InputError(f"{f.name} is not a GeoJSON FeatureCollection.")
                frames[n] = _frame_from_fc(fc)
        if not found and (p / GPKG_NAME).exists():
            return _read_package(p / GPKG_NAME, limits)
        if not found:
            raise InputError(f"{p} holds no layer files (<layer>.geojson) nor {GPKG_NAME}; "
                             "it is not a lagesbild package.")
    else:
        import pyogrio

        try:
            names = [n for n, _ in pyogrio.list_layers(p)]
        except Exception as exc:  # pyogrio raises its own DataSourceError
            raise InputError(f"{p} cannot be opened as a GeoPackage: {exc}") from None
        meta = _gpkg_metadata(p, limits)
        for n in LAYERS + POINT_LAYERS:
            if n in names:
                g = pyogrio.read_dataframe(p, layer=n)
                if not isinstance(g, gpd.GeoDataFrame):
                    continue
                g = _decode_gpkg_lists(g)
                g = g.set_geometry(_demote_single_multi(g.geometry))
                if g.geometry.name != "geometry":
                    g = g.rename_geometry("geometry")
                frames[n] = _to_wgs84(g)
    _check_format(meta, p)
    return _to_bundle(frames, meta)


# ------------------------------------------------------------------------ merge

def _tag(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    if len(frame) == 0:
        return frame
    out = frame.copy()
    out["source"] = source
    return out


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> Any:
    parts = [x for x in (a, b) if len(x)]
    if not parts:
        return a
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(x, gpd.GeoDataFrame) for x in parts):
        return gpd.GeoDataFrame(pd.concat(parts), crs="EPSG:4326")
    return pd.concat(parts)


def merge(
    kommun: LagesbildPackage | Lagesbild | str | Path,
    polis: LagesbildPackage | Lagesbild | str | Path,
) -> LagesbildPackage:
    """The joint picture: both sides' layers together, tagged by ``source``.

    Every layer of both packages is kept, with a ``source`` column
    (``"kommun"`` or ``"polis"``); a cell that is hot on both sides appears
    twice, once per source. The merged package's thresholds are the stricter
    (larger) of the two; its metadata keeps both sides' metadata.

    Parameters
    ----------
    kommun, polis
        Packages (or paths to them, read with :func:`read_package`).

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)
    >>> d = tempfile.mkdtemp()
    >>> _ = export_package(lb, f"{d}/kommun_paket", layers=["hotspots"], gpkg=False)
    >>> # the police's package (here the same picture)
    >>> _ = export_package(lb, f"{d}/polis_paket", layers=["hotspots"], gpkg=False)
    >>> joint = merge(f"{d}/kommun_paket", f"{d}/polis_paket")
    >>> sorted(joint.hotspots["source"].unique()), len(joint.hotspots) == 2 * len(lb.hotspots)
    (['kommun', 'polis'], True)
    """
    a = kommun if isinstance(kommun, Lagesbild) else read_package(kommun)
    b = polis if isinstance(polis, Lagesbild) else read_package(polis)
    if (isinstance(a, LagesbildPackage) and a.metadata.get("merged")) or \
            (isinstance(b, LagesbildPackage) and b.metadata.get("merged")):
        raise InputError("One of the packages is already a merged package; merge the two original "
                         "packages instead.")
    empty = _empty_gdf()
    areas_a = a.areas if isinstance(a, LagesbildPackage) else empty
    areas_b = b.areas if isinstance(b, LagesbildPackage) else empty
    survey: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    for key in set(a.survey) | set(b.survey):
        survey[key] = _concat(_tag(a.survey.get(key, pd.DataFrame()), "kommun"),
                              _tag(b.survey.get(key, pd.DataFrame()), "polis"))
    sa, sb = _settings_of(a), _settings_of(b)
    settings = sa.replace(min_count=max(sa.min_count, sb.min_count),
                          min_respondents=max(sa.min_respondents, sb.min_respondents))
    meta = {
        "kommun": a.metadata.get("kommun"),
        "period": a.metadata.get("period"),
        "merged": True,
        "parts": {"kommun": a.metadata, "polis": b.metadata},
        "sources": {"kommun": _safe_sources(a.metadata), "polis": _safe_sources(b.metadata)},
    }
    return LagesbildPackage(
        incidents=_concat(_tag(a.incidents, "kommun"), _tag(b.incidents, "polis")),
        rejected=pd.DataFrame(),
        reports={},
        cells=_concat(_tag(a.cells, "kommun"), _tag(b.cells, "polis")),
        hotspots=_concat(_tag(a.hotspots, "kommun"), _tag(b.hotspots, "polis")),
        clusters=_concat(_tag(a.clusters, "kommun"), _tag(b.clusters, "polis")),
        emerging=_concat(_tag(a.emerging, "kommun"), _tag(b.emerging, "polis")),
        districts=_concat(_tag(a.districts, "kommun"), _tag(b.districts, "polis")),
        district_summary=_concat(_tag(a.district_summary, "kommun"), _tag(b.district_summary, "polis")),
        survey=survey,
        metadata=meta,
        settings=settings,
        areas=_concat(_tag(areas_a, "kommun"), _tag(areas_b, "polis")),
    )


# ------------------------------------------------------------------- validation

def load_schema(layer: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a layer (or ``"metadata"``).

    Examples
    --------
    >>> load_schema("cells")["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    name = f"{layer}.schema.json"
    try:
        text = resources.files("lagesbild_geo").joinpath("schemas", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"No schema for layer {layer!r}; known layers are "
                         f"{', '.join(LAYERS + POINT_LAYERS)}.") from None
    value = json.loads(text)
    if not isinstance(value, dict):  # pragma: no cover
        raise InputError(f"Schema {name} is not a JSON object.")
    return value


def _winding_problems(fc: Mapping[str, Any], bounds: tuple[float, float, float, float]) -> list[
        tuple[int | None, str, str]]:
    probs: list[tuple[int | None, str, str]] = []
    feats = fc.get("features")
    for i, f in enumerate(feats if isinstance(feats, list) else []):
        try:
            probs.extend(_feature_winding(i, f, bounds))
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            continue  # malformed coordinates: the schema check reports them
    return probs


def _feature_winding(i: int, f: Any, bounds: tuple[float, float, float, float]) -> list[
        tuple[int | None, str, str]]:
    probs: list[tuple[int | None, str, str]] = []
    min_lon, min_lat, max_lon, max_lat = bounds
    g = f.get("geometry")
    if not g or g.get("type") not in ("Polygon", "MultiPolygon", "Point"):
        return probs
    polys = ([g["coordinates"]] if g["type"] == "Polygon" else
             g["coordinates"] if g["type"] == "MultiPolygon" else [])
    pts = np.asarray([g["coordinates"]] if g["type"] == "Point" else
                     [xy for poly in polys for ring in poly for xy in ring], dtype="float64")
    if pts.size and not ((pts[:, 0] >= min_lon) & (pts[:, 0] <= max_lon)
                         & (pts[:, 1] >= min_lat) & (pts[:, 1] <= max_lat)).all():
        probs.append((i, "geometry", "coordinates outside Sweden (expected lon, lat in WGS84; "
                      "are they swapped or in SWEREF 99 TM?)"))
    for poly in polys:
        for k, ring in enumerate(poly):
            r = np.asarray(ring, dtype="float64")
            area2 = float(np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]))
            if (k == 0 and area2 < 0) or (k > 0 and area2 > 0):
                probs.append((i, "geometry", "polygon ring wound the wrong way (RFC 7946: "
                              "exterior counter-clockwise, holes clockwise)"))
                break
    return probs


def validate_package(path: str | Path, *, limits: Limits | None = None) -> pd.DataFrame:
    """Check a package directory against the schemas and RFC 7946 rules.

    Checks every ``<layer>.geojson`` against its schema (``jsonschema``,
    draft 2020-12), coordinates within Sweden, polygon winding, no ``crs``
    member, ``metadata.json`` against its schema and its feature counts.

    Returns
    -------
    DataFrame
        One row per problem: ``file``, ``feature`` (index, or missing),
        ``property`` (a JSON path inside the feature) and ``message``. Empty when valid.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> d = tempfile.mkdtemp()
    >>> _ = export_package(example_lagesbild(clusters=False, emerging=False), f"{d}/paket",
    ...                    layers=["districts"], gpkg=False)
    >>> validate_package(f"{d}/paket").empty
    True
    """
    from jsonschema import Draft202012Validator

    p = Path(path)
    rows: list[dict[str, Any]] = []

    def add(file: str, feature: int | None, prop: str, msg: str) -> None:
        rows.append({"file": file, "feature": feature, "property": prop, "message": msg})

    if p.is_file() and (p.suffix.lower() == ".zip" or zipfile.is_zipfile(p)):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            extract_zip(p, tmp, limits=limits, what="package")
            dirs = {f.parent for f in Path(tmp).rglob("*.geojson")} | \
                {f.parent for f in Path(tmp).rglob(METADATA_NAME)}
            return validate_package(dirs.pop() if len(dirs) == 1 else tmp, limits=limits)
    if not p.is_dir():
        raise InputError(f"{p} is not a package directory (or .zip); validate checks the "
                         "GeoJSON files and metadata.json of a directory.")
    meta_path = p / METADATA_NAME
    meta: dict[str, Any] = {}
    if not meta_path.exists():
        add(METADATA_NAME, None, "", "missing")
    else:
        try:
            loaded = load_json(meta_path.read_bytes(), name=METADATA_NAME, limits=limits)
        except InputError as exc:
            add(METADATA_NAME, None, "", str(exc))
        else:
            if isinstance(loaded, dict):
                meta = loaded
            else:
                add(METADATA_NAME, None, "", "not a JSON object")
            v = Draft202012Validator(load_schema("metadata"))
            for err in sorted(v.iter_errors(meta), key=lambda e: list(e.path)):
                add(METADATA_NAME, None, "/".join(map(str, err.path)), err.message)
    layers_meta = meta.get("layers")
    counts = {d.get("name"): d.get("features") for d in
              (layers_meta if isinstance(layers_meta, list) else []) if isinstance(d, dict)}
    bounds = Settings().bounds_wgs84
    files = sorted(f for f in p.glob("*.geojson"))
    if not files:
        add("", None, "", "no <layer>.geojson files")
    for f in files:
        layer = f.stem
        try:
            fc = load_json(f.read_bytes(), name=f.name, limits=limits)
        except InputError as exc:
            add(f.name, None, "", str(exc))
            continue
        if layer not in LAYERS + POINT_LAYERS:
            add(f.name, None, "", f"unknown layer {layer!r}")
            continue
        validator = Draft202012Validator(load_schema(layer),
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        for err in validator.iter_errors(fc):
            path_ = list(err.absolute_path)
            feature = int(path_[1]) if len(path_) > 1 and path_[0] == "features" else None
            prop = "/".join(map(str, path_[2:])) if feature is not None else "/".join(map(str, path_))
            add(f.name, feature, prop, err.message)
        if isinstance(fc, dict):
            if "crs" in fc:
                add(f.name, None, "crs", "a 'crs' member is not allowed (RFC 7946)")
            for i, prop, msg in _winding_problems(fc, bounds):
                add(f.name, i, prop, msg)
            n = len(fc.get("features") or [])
            if layer in counts and counts[layer] != n:
                add(f.name, None, "", f"metadata says {counts[layer]} features, file has {n}")
    rows.sort(key=lambda r: (r["file"], -1 if r["feature"] is None else r["feature"], r["property"]))
    return pd.DataFrame(rows, columns=["file", "feature", "property", "message"])
