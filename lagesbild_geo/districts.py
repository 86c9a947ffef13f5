"""Districts: reading district layers, assigning incidents and cells, the per-district table.

A coordinator thinks in districts (DeSO, RegSO, stadsdelar, kommundelar,
lokalpolisområden), not hexagons. This module

* reads a district layer in any vector format and CRS (:func:`read_districts`),
* assigns incidents to districts exactly and fast (:func:`assign_districts`),
* spreads cell counts over districts (:func:`cells_to_districts`),
* builds the per-district lägesbild table (:func:`summarize`).

See ``docs/districts.md`` for the columns and the rules.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy import ndimage

from . import _geometry, grid
from .crs import (  # the layer CRS guess lives with the CRS rules; its names stay here too
    check_layer_axes,
    degrees_declared_but_metres,
    detect_crs,
    guess_layer_crs,
    normalise_crs,
    to_wgs84,
    wgs84_crs,
)
from .errors import CRSError, InputError, SchemaError
from .hotspots import change
from .limits import Limits, check_vertices
from .names import is_lan_name, kommun_keys, loose_key, name_key
from .period import Period, in_period, parse_period
from .read.tables import read_table
from .schema import CATEGORIES, CATEGORY_LABELS, fold, text_codes

__all__ = [
    "KOMMUN_CODE",
    "OUTSIDE_CODE",
    "STADSDEL_CODE",
    "SUMMARY_LABELS_SV",
    "TOTAL_CODE",
    "Period",
    "assign_districts",
    "cells_to_districts",
    "district_code_kind",
    "district_kommun_codes",
    "district_population",
    "districts_in_kommun",
    "parse_period",
    "read_districts",
    "summarize",
    "survey_columns",
]

#: ``district_code`` of the summary row for incidents outside every district.
OUTSIDE_CODE = "_outside"
#: ``district_code`` of the summary row for incidents known only at kommun level.
KOMMUN_CODE = "_kommun"
#: ``district_code`` of the summary row for incidents known only in a named area larger
#: than a district (a stadsdel spanning several districts).
STADSDEL_CODE = "_stadsdel"
#: ``district_code`` of the kommun-wide total row of the summary.
TOTAL_CODE = "_total"

_METRIC_CRS = "EPSG:3006"

# Column-name candidates (folded, see schema.fold), in order of preference.
_CODE_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("district code", "other"),
    ("deso", "deso"),
    ("desokod", "deso"),
    ("deso kod", "deso"),
    ("deso code", "deso"),
    ("deso id", "deso"),
    ("regsokod", "regso"),
    ("regso kod", "regso"),
    ("regso", "regso"),
    ("regso code", "regso"),
    ("kod", "other"),
    ("code", "other"),
    ("omradeskod", "other"),
    ("omrade kod", "other"),
    ("stadsdelskod", "other"),
    ("nyckelkod", "other"),
    ("basomradeskod", "other"),
    ("delomradeskod", "other"),
    ("do kod", "other"),
    ("district id", "other"),
    ("id", "other"),
    ("kommunkod", "kommun"),
    ("kommun kod", "kommun"),
    ("kn kod", "kommun"),
)
_NAME_CANDIDATES: tuple[str, ...] = (
    "district name", "namn", "name", "desonamn", "deso namn", "regsonamn", "regso namn",
    "omradesnamn", "omrade", "stadsdel", "stadsdelsnamn", "kommundel", "basomrade",
    "basomradesnamn", "delomrade", "delomradesnamn", "stadsdelsomrade", "kommunnamn", "kommun",
    "kn namn",
)
_POPULATION_CANDIDATES: tuple[str, ...] = (
    "population", "befolkning", "folkmangd", "invanare", "antal invanare", "folkmangd totalt",
    "pop", "antal", "inhabitants",
)
_POPULATION_PREFIXES: tuple[str, ...] = ("befolkning", "folkmangd", "population", "invanare",
                                         "pop total", "derived pop total")

_CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "deso": re.compile(r"^\d{4}[ABC]\d{4}$"),
    "regso": re.compile(r"^\d{4}R\d{3}$"),
    "kommun": re.compile(r"^\d{4}$"),
}
_CODE_EXAMPLES = {"deso": "0180C1090", "regso": "0180R009", "kommun": "0180"}



# ----------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------


def _find(columns: list[str], candidates: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> str | None:
    folded = {c: fold(c) for c in columns}
    for cand in candidates:
        for c, f in folded.items():
            if f == cand or f.replace(" ", "") == cand.replace(" ", ""):
                return c
    for pre in prefixes:
        hits = [c for c, f in folded.items() if f.startswith(pre)]
        if hits:
            # several yearly columns (folkmangd_2014 ... folkmangd_2016): take the latest year
            def year(c: str) -> int:
                found = re.findall(r"(?:19|20)\d\d", folded[c])
                return int(found[-1]) if found else -1

            return max(hits, key=lambda c: (year(c), -hits.index(c)))
    return None


def _to_code_text(values: pd.Series) -> pd.Series:
    """Codes as text; numbers that arrived as floats (180.0) lose the '.0'."""
    if isinstance(values.dtype, pd.StringDtype):  # text already: no function call per value
        out = values.fillna("")
    elif pd.api.types.is_float_dtype(values):
        out = values.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    else:
        out = values.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out.astype(str).str.strip()


def _parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers as SCB and Excel write them: '1 565', '1565,0', 1565."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.astype(str).str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    return pd.to_numeric(text, errors="coerce").astype("float64")


#: Sweden with a margin (lon/lat): a layer read with its declared CRS should lie in it.
_SWEDEN_BOX = (9.0, 54.0, 25.5, 70.5)


def check_declared_crs(geoms: npt.NDArray[Any], crs: CRS, source: str, *, given: bool) -> None:
    """Refuse a declared CRS that contradicts the coordinate values.

    A GeoJSON that says EPSG:3006 but holds lon/lat degrees would put every district in
    the Gulf of Guinea and every incident outside all districts. When the values fit
    another Swedish CRS better (the ranges of :func:`lagesbild_geo.crs.detect_crs`) and,
    read with the declared CRS, most of the layer lies outside Sweden, both are named
    with the fix.
    """
    epsg = crs.to_epsg()
    if epsg is None:
        return
    xy = shapely.get_coordinates(geoms)
    if not len(xy):
        return
    if len(xy) > 20_000:
        xy = xy[:: len(xy) // 20_000 + 1]
    try:
        guess = detect_crs(xy[:, 0], xy[:, 1], crs=epsg, names=("x", "y"))
    except CRSError:
        return
    marker = " Warning: the values look like "
    if marker not in guess.note:
        return
    seen = guess.note.split(marker, 1)[1].split(", not ", 1)[0]
    try:
        lon, lat = (xy[:, 0], xy[:, 1]) if epsg == 4326 else to_wgs84(xy[:, 0], xy[:, 1],
                                                                        f"EPSG:{epsg}")
    except Exception:  # pyproj refuses values far outside the CRS: certainly not in Sweden
        lon = lat = np.full(len(xy), np.nan)
    b0, b1, b2, b3 = _SWEDEN_BOX
    with np.errstate(invalid="ignore"):
        inside = (lon >= b0) & (lon <= b2) & (lat >= b1) & (lat <= b3)
    if inside.mean() >= 0.5:
        return
    code = re.search(r"\(EPSG:(\d+)\)", seen)
    fix_crs = code.group(1) if code else "3011"
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    declared = ("the crs= given" if given else "the file") + f" says {crs.to_string()} ({crs.name})"
    where = ("" if not np.isfinite(lon).any() else
             f" (around lon {np.nanmedian(lon):.2f}, lat {np.nanmedian(lat):.2f})")
    raise CRSError(
        f"District layer {source}: {declared}, but its coordinates ({minx:.6g}, {miny:.6g} – "
        f"{maxx:.6g}, {maxy:.6g}) look like {seen}. Read as {crs.to_string()} the districts "
        f"would lie outside Sweden{where} and every incident outside all districts. Fix the CRS: "
        + ("pass the right one" if given else
           "set it on the file (QGIS: Layer → Set CRS, not Reproject; then export)")
        + f", or pass crs={fix_crs} to read_districts (lagesbild.toml: crs = {fix_crs} under "
        "[districts]).")


def read_districts(
    source: str | Path | gpd.GeoDataFrame,
    *,
    code: str | None = None,
    name: str | None = None,
    population: str | None = None,
    layer: str | int | None = None,
    population_table: str | Path | pd.DataFrame | None = None,
    check: bool = True,
    crs: Any = None,
    limits: Limits | None = None,
) -> gpd.GeoDataFrame:
    """Read a district layer (DeSO, RegSO, stadsdelar ...) in any vector format and CRS.

    Parameters
    ----------
    source
        A file geopandas/pyogrio reads (GeoJSON, GeoPackage, Shapefile, FlatGeobuf,
        GeoParquet ``.parquet``) or a GeoDataFrame (not modified).
    code, name, population
        Column names to use; by default recognised: ``deso``/``desokod``,
        ``regsokod``, ``kod``/``code``, ``kommunkod``; ``namn``/``name``/``regsonamn``;
        ``befolkning``/``folkmängd``/``population``/``invånare`` (also ``folkmangd_2023``).
    layer
        Layer of a multi-layer file (GeoPackage).
    population_table
        A separate table (CSV/Excel file or DataFrame, as SCB publishes it: a code
        column and a value column) joined on the district code; wins over a
        population column in the layer.
    check
        Measure overlaps and gaps between districts (in m², EPSG:3006).
    crs
        The CRS of the coordinates (EPSG code or name, e.g. ``3011``) for a file
        without one (a shapefile without its ``.prj``); it overrides the file's.
        Without it, a file lacking a CRS is recognised from its values (WGS84,
        SWEREF 99 TM, RT90, or a local zone when only one fits) with a warning.
        A CRS (the file's or this one) that contradicts the values (it says SWEREF 99 TM,
        the values are degrees) is refused with :class:`CRSError` naming both.
    limits
        Resource limits (:class:`lagesbild_geo.limits.Limits`): a polygon with more
        than ``max_polygon_vertices`` vertices is refused.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, index ``district_code`` (text: leading zeros kept), columns
        ``district_name``, ``population`` (float, NaN when unknown), the other source
        columns, ``geometry``. ``gdf.attrs["report"]`` holds the reading report:
        ``features_read``, ``districts``, ``crs_detected``, ``crs_guessed``,
        ``code_column``, ``code_kind`` (deso|regso|kommun|other), ``name_column``,
        ``population_column``, ``population_source``, ``population_missing``,
        ``codes_padded``, ``invalid_repaired``, ``empty_dropped``, ``duplicates_dissolved``,
        ``overlaps`` (``pairs``, ``area_m2``, ``largest``), ``gaps`` (``count``,
        ``area_m2``), ``total_area_m2``, ``warnings``.

    Raises
    ------
    InputError
        The file cannot be read, has no polygons, codes break their known pattern, or a
        polygon exceeds the vertex limit.
    SchemaError
        No code column can be found (the message lists the columns).
    CRSError
        No CRS and none recognisable, or a CRS that contradicts the coordinates.

    Examples
    --------
    >>> import shapely, geopandas as gpd
    >>> g = gpd.GeoDataFrame({"deso": ["0180C1090"], "namn": ["Centrum"], "befolkning": [1500]},
    ...                      geometry=[shapely.box(18.0, 59.3, 18.01, 59.31)], crs=4326)
    >>> d = read_districts(g)
    >>> d.index[0], d.loc["0180C1090", "population"], d.attrs["report"]["code_kind"]
    ('0180C1090', np.float64(1500.0), 'deso')
    """
    layer_notes: list[str] = []
    label, gdf = _read_layer(source, layer, layer_notes)
    report: dict[str, Any] = {"source": label, "features_read": len(gdf), "warnings": layer_notes}
    if len(gdf) == 0:
        raise InputError(f"District layer {label} has no features; expected polygons of districts.")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    code_col, name_col, pop_col, kind = _district_columns(gdf, columns, code=code, name=name,
                                                          population=population, label=label, report=report)
    codes = _district_codes(gdf[code_col], kind, code_col, label, report)
    names, pop = _names_and_population(gdf, name_col, pop_col, codes, report)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    layer_crs = _layer_crs(geoms, gdf.crs, crs, label, report)
    check_vertices(geoms, name=f"District layer {label}", labels=codes.tolist(), limits=limits)
    geoms, polygonal = _polygons(geoms, codes, label, report)
    frame = _district_table(gdf, [c for c in columns if c not in {code_col, name_col, pop_col}],
                            codes, names, pop)
    frame, geoseries = _dissolve_duplicates(frame[polygonal], gpd.GeoSeries(geoms[polygonal], crs=layer_crs),
                                            report)
    frame["population"] = _joined_population(frame, population_table, pop_col, report)
    out, coverage = _districts_frame(frame, geoseries, check=check, report=report)
    _warn_problems(label, report, check=check)
    out.attrs["report"] = report
    out.attrs["_coverage"] = coverage  # remembered for assign_districts (checked before use)
    return out


def _district_columns(gdf: gpd.GeoDataFrame, columns: list[str], *, code: str | None, name: str | None,
                      population: str | None, label: str,
                      report: dict[str, Any]) -> tuple[str, str | None, str | None, str]:
    """(code, name and population columns, the kind of code: deso, regso, kommun, name, other)."""
    code_col, kind = _pick_code_column(gdf, columns, code, label)
    name_col = _pick_column(columns, name, _NAME_CANDIDATES, (), label, "name",
                            exclude=set() if kind == "name" else {code_col})
    if kind == "name" and _to_code_text(gdf[code_col]).str.fullmatch(r"\d+").all():
        # digits only (Göteborg's basområden: basomrade = "21052"): codes, and no names
        report["warnings"].append(
            f"District layer {label}: no name column; the districts are named by their codes in "
            f"{code_col!r}."
        )
    elif kind == "name":
        report["warnings"].append(
            f"District layer {label}: no code column; the names in {code_col!r} are used as codes."
        )
    pop_col = _pick_column(columns, population, _POPULATION_CANDIDATES, _POPULATION_PREFIXES,
                           label, "population", exclude={code_col, name_col})
    report.update(code_column=code_col, name_column=name_col, population_column=pop_col)
    return code_col, name_col, pop_col, kind


def _district_codes(values: pd.Series, kind: str, code_col: str, label: str, report: dict[str, Any]) -> pd.Series:
    """The codes as text, every one present, leading zeros restored where the kind tells."""
    codes = _to_code_text(values)
    if (codes == "").any():
        rows = (np.flatnonzero((codes == "").to_numpy()) + 1).tolist()[:10]
        raise InputError(
            f"District layer {label}: column {code_col!r} is empty in feature(s) {rows}; every "
            "district needs a code. Fill them in or pass code= to choose another column."
        )
    if kind == "other":
        # also codes that lost their leading zero (read as numbers somewhere: 180C1010)
        loose = {"deso": r"\d{3,4}[ABCabc]\d{4}", "regso": r"\d{3,4}[Rr]\d{3}"}
        for k in ("deso", "regso"):
            if codes.str.fullmatch(loose[k]).all():
                kind = k
    codes, padded = _normalise_codes(codes, kind, code_col, label)
    report.update(code_kind=kind, codes_padded=padded)
    return codes


def _names_and_population(gdf: gpd.GeoDataFrame, name_col: str | None, pop_col: str | None,
                          codes: pd.Series, report: dict[str, Any]) -> tuple[pd.Series, pd.Series]:
    """Names (the code where none) and population (NaN where unknown or negative)."""
    names = _to_code_text(gdf[name_col]) if name_col else codes.copy()
    names = names.where(names != "", codes)
    pop = _parse_numbers(gdf[pop_col]) if pop_col else pd.Series(np.nan, index=gdf.index)
    if (pop < 0).any():
        report["warnings"].append(f"{int((pop < 0).sum())} negative population value(s) set to unknown")
        pop = pop.where(pop >= 0)
    return names, pop


def _layer_crs(geoms: npt.NDArray[Any], declared: Any, given: Any, label: str, report: dict[str, Any]) -> CRS:
    """The layer's CRS: given, declared or recognised from the values; checked against them."""
    if given is not None:
        try:
            crs = CRS.from_user_input(normalise_crs(given))
        except Exception as exc:
            raise CRSError(f"District layer {label}: {exc}") from None
        guessed = False
    elif declared is None:
        crs, guessed = guess_layer_crs(geoms, label)
    else:
        crs, guessed = CRS.from_user_input(declared), False
    if not guessed:
        check_declared_crs(geoms, crs, label, given=given is not None)
    check_layer_axes(geoms, crs, label)
    report["crs_detected"] = crs.to_string()
    report["crs_guessed"] = guessed
    if guessed:
        report["warnings"].append(
            f"the file has no CRS; {crs.to_string()} ({crs.name}) was recognised from the coordinate "
            "values: check that the districts lie where they should (set the CRS on the file to be sure)")
    return crs


def _polygons(geoms: npt.NDArray[Any], codes: pd.Series, label: str,
              report: dict[str, Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """The geometries repaired, and which are (non-empty) polygons; none at all is an error."""
    geoms, invalid = _geometry.repair_polygons(geoms)
    report["invalid_repaired"] = codes[invalid].tolist()
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    if not polygonal.any():
        raise InputError(
            f"District layer {label} has no polygons (geometry types: "
            f"{sorted({str(t) for t in gpd.GeoSeries(geoms).geom_type.dropna()})}); expected "
            "Polygon/MultiPolygon. Points (e.g. label points) cannot be districts: use the layer "
            "with the district areas."
        )
    report["empty_dropped"] = codes[~polygonal].tolist()
    return geoms, polygonal


def _district_table(gdf: gpd.GeoDataFrame, rest: list[str], codes: pd.Series, names: pd.Series,
                    pop: pd.Series) -> pd.DataFrame:
    """Code, name, population and the layer's other columns (no geometry)."""
    frame = pd.DataFrame({"district_code": codes.to_numpy(), "district_name": names.to_numpy(),
                          "population": pop.to_numpy(dtype="float64")})
    for c in rest:
        if c not in frame.columns:
            frame[c] = gdf[c].to_numpy()
    return frame


def _dissolve_duplicates(frame: pd.DataFrame, geoseries: gpd.GeoSeries,
                         report: dict[str, Any]) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    """A district split into several features (one code) becomes one (population: the largest)."""
    dup = frame["district_code"].duplicated(keep=False).to_numpy()
    report["duplicates_dissolved"] = sorted(set(frame.loc[dup, "district_code"]))
    if dup.any():
        g = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geoseries.reset_index(drop=True))
        agg = {c: "first" for c in g.columns if c not in ("district_code", "geometry")}
        agg["population"] = "max"
        g = g.dissolve(by="district_code", sort=False, aggfunc=agg).reset_index()
        frame = pd.DataFrame(g.drop(columns="geometry"))
        geoseries = g.geometry
    return frame.reset_index(drop=True), geoseries.reset_index(drop=True)


def _joined_population(frame: pd.DataFrame, population_table: str | Path | pd.DataFrame | None,
                       pop_col: str | None, report: dict[str, Any]) -> pd.Series:
    """The population column, from a separate table when one is given (it wins)."""
    population = frame["population"]
    if population_table is not None:
        pop_values, pop_report = _population_from_table(population_table, frame["district_code"])
        population = pd.Series(pop_values, index=frame.index)
        report["population_source"] = "table"
        report["population_table"] = pop_report
    else:
        report["population_source"] = "column" if pop_col else None
    report["population_missing"] = frame.loc[population.isna(), "district_code"].tolist()
    return population


def _districts_frame(frame: pd.DataFrame, geoseries: gpd.GeoSeries, *, check: bool,
                     report: dict[str, Any]) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The districts in WGS84 indexed by code, with the topology (in EPSG:3006) in the report,
    and what assign_districts may reuse about the coverage."""
    crs = geoseries.crs
    wgs = geoseries.to_crs(4326) if crs.to_epsg() != 4326 else geoseries
    wg = np.asarray(wgs.array, dtype=object)
    # reprojection can bend a valid ring into an invalid one (the polygons as read, neither
    # repaired nor dissolved, were all found valid by _repair already)
    changed = wgs is not geoseries or report["invalid_repaired"] or report["duplicates_dissolved"]
    if changed and (~_geometry.is_valid(wg)).any():
        wg, _ = _geometry.repair_polygons(wg)
    # A valid polygonal coverage (no overlaps, matching shared edges) lets the topology
    # check skip its overlap search and assign_districts take its fast path.
    valid_cov = len(wg) < 2 or bool(shapely.coverage_is_valid(wg))
    report["is_coverage"] = valid_cov
    metric = geoseries.to_crs(_METRIC_CRS) if crs.to_epsg() != 3006 else geoseries
    mg = np.asarray(metric.array, dtype=object)
    if check:
        report.update(_topology(mg, frame["district_code"].to_numpy(), coverage=valid_cov))
    report["total_area_m2"] = float(shapely.area(mg).sum())
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(wg, crs=wgs84_crs()))
    out["district_code"] = out["district_code"].astype(str)
    out["district_name"] = out["district_name"].astype(str)
    out = out.set_index("district_code")
    report["districts"] = len(out)
    return out, {"n": len(wg), "area": float(shapely.area(wg).sum()), "valid": valid_cov}


def _warn_problems(label: str, report: dict[str, Any], *, check: bool) -> None:
    """One warning (at read_districts' caller) naming what was repaired, dissolved or dropped."""
    problems = []
    if report["invalid_repaired"]:
        problems.append(f"{len(report['invalid_repaired'])} invalid geometr(y/ies) repaired "
                        f"({', '.join(report['invalid_repaired'][:5])})")
    if report["duplicates_dissolved"]:
        problems.append(f"{len(report['duplicates_dissolved'])} duplicated code(s) dissolved")
    if report["empty_dropped"]:
        problems.append(f"{len(report['empty_dropped'])} empty/non-polygon feature(s) dropped")
    # Digitising slivers (a few m² along shared borders) are reported, not warned about.
    sliver_m2 = max(100.0, 1e-5 * float(report.get("total_area_m2") or 0.0))
    if check and report["overlaps"]["area_m2"] > sliver_m2:
        problems.append(f"districts overlap in {report['overlaps']['pairs']} pair(s), "
                        f"{report['overlaps']['area_m2']:.0f} m² in all")
    if problems:
        msg = (f"District layer {label}: " + "; ".join(problems) + " (listed in the layer's report: "
               "gdf.attrs['report'] in Python, \"districts\" in a build's lagesbild.json).")
        report["warnings"].append(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)


def _read_layer(source: str | Path | gpd.GeoDataFrame, layer: str | int | None,
                notes: list[str] | None = None) -> tuple[str, gpd.GeoDataFrame]:
    notes = [] if notes is None else notes
    if isinstance(source, gpd.GeoDataFrame):
        if source.index.name is not None and source.index.name not in source.columns:
            return "(GeoDataFrame)", source.reset_index()  # e.g. an earlier read_districts result
        return "(GeoDataFrame)", source.copy()
    path = Path(source)
    if not path.exists():
        raise InputError(f"District file {path} does not exist; check the path.")
    _geometry.check_shapefile_parts(path, "District layer")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            kwargs: dict[str, Any] = {} if layer is None else {"layer": layer}
            if layer is None:
                import pyogrio

                try:
                    names = [str(r[0]) for r in pyogrio.list_layers(path)]
                except Exception:  # unreadable: read_file below words the error
                    names = []
                if len(names) > 1:
                    kwargs["layer"] = names[0]
                    notes.append(f"read layer {names[0]!r} of {names} (choose another with layer=, "
                                 "or layer = under [districts] in lagesbild.toml)")
            gdf = gpd.read_file(path, **kwargs)
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(
            f"District file {path} cannot be read as a vector layer ({type(exc).__name__}: {exc}); "
            "expected GeoJSON, GeoPackage, Shapefile, FlatGeobuf or GeoParquet."
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(f"District file {path} has no geometry; expected polygons of districts.")
    if degrees_declared_but_metres(gdf):
        # a GeoJSON in SWEREF 99 TM without a "crs" member is read as WGS84 by GDAL
        notes.append("the file says WGS84 (GeoJSON's default) but its coordinates are metres; "
                     "the CRS is recognised from the values instead")
        gdf = gdf.set_crs(None, allow_override=True)
    return str(path), gdf


def _pick_code_column(gdf: gpd.GeoDataFrame, columns: list[str], code: str | None,
                      label: str) -> tuple[str, str]:
    if code is not None:
        if code not in columns:
            raise SchemaError(f"District layer {label} has no column {code!r}; columns are {columns}.")
        f = fold(code)
        kind = ("deso" if f.startswith("deso") else "regso" if f.startswith("regso")
                else "kommun" if f.replace(" ", "") == "kommunkod" else "other")
        return code, kind
    folded = {c: fold(c) for c in columns}
    for cand, kind in _CODE_CANDIDATES:
        for c, f in folded.items():
            if f == cand or f.replace(" ", "") == cand.replace(" ", ""):
                return c, kind
    # A kommun's own areas often have a column ending in "kod" (do_kod, stadsdel_kod).
    for c, f in folded.items():
        if f.replace(" ", "").endswith("kod") and gdf[c].notna().all() and gdf[c].is_unique:
            return c, "other"
    # No code at all (stadsdelar with only a name): unique names serve as codes.
    name_col = _find(columns, _NAME_CANDIDATES)
    if name_col is not None:
        names = _to_code_text(gdf[name_col])
        if (names != "").all() and names.is_unique:
            return name_col, "name"
    raise SchemaError(
        f"District layer {label}: no district code column found among {columns}; expected one of "
        "deso, desokod, regsokod, kod, code, kommunkod, or unique names (namn, name, stadsdel). "
        "Pass code='<column>'."
    )


def _pick_column(columns: list[str], given: str | None, cands: tuple[str, ...],
                 prefixes: tuple[str, ...], label: str, what: str,
                 exclude: set[str | None]) -> str | None:
    if given is not None:
        if given not in columns:
            raise SchemaError(f"District layer {label} has no {what} column {given!r}; columns are {columns}.")
        return given
    return _find([c for c in columns if c not in exclude], cands, prefixes)


def _normalise_codes(codes: pd.Series, kind: str, column: str, label: str) -> tuple[pd.Series, int]:
    padded = 0
    if kind == "kommun":
        short = codes.str.fullmatch(r"\d{1,3}")
        padded = int(short.sum())
        codes = codes.where(~short, codes.str.zfill(4))
    elif kind == "deso":
        short = codes.str.fullmatch(r"\d{3}[ABC]\d{4}")
        padded = int(short.sum())
        codes = codes.where(~short, "0" + codes)
        codes = codes.str.upper()
    elif kind == "regso":
        short = codes.str.fullmatch(r"\d{3}R\d{3}")
        padded = int(short.sum())
        codes = codes.where(~short, "0" + codes)
        codes = codes.str.upper()
    pattern = _CODE_PATTERNS.get(kind)
    if pattern is not None:
        bad = codes[~codes.str.fullmatch(pattern)]
        if len(bad):
            raise InputError(
                f"District layer {label}: column {column!r} looks like {kind.upper()} codes "
                f"(like {_CODE_EXAMPLES[kind]!r}) but {len(bad)} value(s) do not fit, e.g. "
                f"{bad.head(5).tolist()}. Correct them or pass code='<other column>'."
            )
    return codes, padded


def _population_from_table(table: str | Path | pd.DataFrame, codes: pd.Series) -> tuple[npt.NDArray[np.float64], dict[str, Any]]:
    if isinstance(table, pd.DataFrame):
        df, label = table.copy(), "(DataFrame)"
    else:
        path = Path(table)
        label = str(path)
        if not path.exists():
            raise InputError(f"Population table {path} does not exist; check the path.")
        df = _read_plain_table(path)
    wanted = set(codes)
    # The code column: the text column whose (first-token) values match most district codes.
    best, best_hits, best_values = None, 0, None
    for c in df.columns:
        vals = _to_code_text(df[c]).str.split(" ").str[0]
        padded = vals.where(~vals.str.fullmatch(r"\d{3}([ABC]\d{4}|R\d{3})?"), "0" + vals)
        hits = int(padded.isin(wanted).sum())
        if hits > best_hits:
            best, best_hits, best_values = c, hits, padded
    if best is None or best_values is None:
        raise InputError(
            f"Population table {label}: no column holds the district codes (e.g. "
            f"{sorted(wanted)[:3]}); columns are {list(df.columns)}.{_code_kind_hint(df, wanted)}"
        )
    others = [c for c in df.columns if c != best]
    value_col = _population_column(others, label)
    if value_col is None:
        numeric = [c for c in others if _parse_numbers(df[c]).notna().mean() > 0.9]
        if not numeric:
            raise InputError(
                f"Population table {label}: no population column (befolkning, folkmängd, "
                f"population or one numeric column) among {others}."
            )
        value_col = numeric[-1]  # SCB tables put years in columns: take the latest
    values = _parse_numbers(df[value_col])
    lookup = pd.Series(values.to_numpy(), index=best_values.to_numpy())
    lookup = lookup[~lookup.index.duplicated(keep="first")]
    out = lookup.reindex(codes.to_numpy()).to_numpy(dtype="float64")
    return out, {"source": label, "code_column": str(best), "value_column": str(value_col),
                 "matched": int(np.isfinite(out).sum()), "unmatched": int((~np.isfinite(out)).sum())}


_DESO = r"\d{4}[ABC]\d{4}"
_REGSO = r"\d{4}R\d{3}"


def _codes_in(values: pd.Series) -> pd.Series:
    """Codes as text, a lost leading zero restored (180C1010 → 0180C1010, 180 → 0180)."""
    v = _to_code_text(values).str.split(" ").str[0].str.strip()
    v = v.where(~v.str.fullmatch(r"\d{3}([ABCabc]\d{4}|[Rr]\d{3})?"), "0" + v)
    return v.str.upper()


def _year_of(text: object) -> int | None:
    found = re.findall(r"(?<!\d)((?:19|20)\d\d)(?:\d{4})?(?!\d)", str(text))
    return int(found[-1]) if found else None


def _layer_year(districts: gpd.GeoDataFrame) -> int | None:
    """The districts' year from SCB's columns (``version`` "2025_v2", ``referensdatum``)."""
    for c in districts.columns:
        if fold(c).replace(" ", "") in ("version", "referensdatum", "ar", "year", "giltigfran"):
            vals = districts[c].dropna().astype(str)
            if len(vals):
                y = _year_of(vals.iloc[0])
                if y is not None:
                    return y
    return None


def district_population(
    table: str | Path | pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    key: str | Path | pd.DataFrame | None = None,
) -> pd.Series:
    """Population per district from a table of smaller areas: SCB's DeSO population summed
    to RegSO through SCB's key table (DeSO → RegSO).

    Parameters
    ----------
    table
        Population per area (CSV/Excel/DataFrame as SCB exports it: a code column such as
        ``deso`` and a value column such as ``folkmangd_2023``). When its codes are the
        districts' own codes it is joined directly.
    districts
        From :func:`read_districts` (index ``district_code``, ``district_name``).
    key
        SCB's key table: a DeSO column and a RegSO column holding **codes** ("0180R009",
        summed by code) or **names** (the 2018 table ``kopplingstabell-deso-regso``:
        ``DeSO``, ``RegSO`` name, ``Kommunnamn`` and the kommun code; summed by kommun
        and name, names compared by :func:`lagesbild_geo.names.name_key`, so å, ä and ö
        count). Needed unless the table has the districts' codes.

    Returns
    -------
    Series
        Population (float, NaN where unknown) aligned to ``districts.index``;
        ``attrs["report"]``: ``method`` (codes|key_codes|key_names), ``year`` (of the
        population), ``key_year``, ``districts_year``, ``areas_in_table``,
        ``areas_without_key`` (count and examples), ``districts_matched``,
        ``districts_without_population`` (codes), ``warnings`` (the year check and what
        did not match, in plain words).

    Raises
    ------
    InputError
        No code or value column; DeSO codes without a key table; a key table without a
        DeSO and a RegSO column.

    Examples
    --------
    >>> import shapely
    >>> d = gpd.GeoDataFrame({"district_name": ["Vårberg", "Varberg"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    ...     index=pd.Index(["0180R101", "0180R102"], name="district_code"), crs=4326)
    >>> pop = pd.DataFrame({"deso": ["0180C1010", "0180C1020", "0180C1030"],
    ...                     "folkmangd_2023": [1000, 1500, 700]})
    >>> key = pd.DataFrame({"bro": [180, 180, 180], "DeSO": ["0180C1010", "0180C1020", "0180C1030"],
    ...                     "RegSO": ["Vårberg", "Vårberg", "Varberg"]})
    >>> district_population(pop, d, key=key).tolist()
    [2500.0, 700.0]
    """
    tdf, tlabel = _table_of(table, "Population table")
    codes = pd.Index(districts.index.astype(str))
    code_col, tcodes, value_col, values, year = _population_columns(tdf, tlabel, set(codes))
    dyear = _layer_year(districts)
    report: dict[str, Any] = {"source": tlabel, "code_column": str(code_col), "value_column": str(value_col),
                              "year": year, "districts_year": dyear, "key_year": None,
                              "areas_in_table": int(tcodes.notna().sum()), "warnings": []}
    by_area = pd.Series(values.to_numpy(), index=tcodes.to_numpy()).groupby(level=0).sum(min_count=1)
    direct = by_area.reindex(codes)
    if direct.notna().sum() >= max(1, 0.5 * len(codes)):
        out = direct
        report["method"] = "codes"
    else:
        out = _population_through_key(by_area, tcodes, districts, key, tlabel, report)
    out = pd.Series(out.to_numpy(dtype="float64"), index=districts.index, name="population")
    _population_notes(out, districts, tlabel, report)
    out.attrs["report"] = report
    return out


def _population_column(others: list[str], label: str) -> str | None:
    """The population column among ``others`` by its name (``None``: none is named so). SCB's
    key table DeSO → RegSO given as the population is refused: its only numeric column is
    the kommun code ('bro': 1440), which must not become anyone's population."""
    value_col = _find(others, _POPULATION_CANDIDATES, _POPULATION_PREFIXES)
    if value_col is None and any(fold(c).startswith("regso") for c in others):
        raise InputError(f"Population table {label} looks like SCB's key table between DeSO and RegSO (a "
                         "RegSO column, no population column): give it as --population-key, and the "
                         "population (e.g. SCB's DeSO population) as --population.")
    return value_col


def _population_columns(tdf: pd.DataFrame, tlabel: str, wanted: set[str]
                        ) -> tuple[str, pd.Series, str, pd.Series, int | None]:
    """(code column, the codes, value column, the values, the population's year)."""
    code_col, tcodes = _best_code_column(tdf, wanted, (_DESO, _REGSO))
    if code_col is None or tcodes is None:
        raise InputError(f"Population table {tlabel}: no column of area codes (DeSO like 0180C1090, RegSO "
                         f"like 0180R009, or the districts' codes); columns are {list(tdf.columns)}.")
    others = [c for c in tdf.columns if c != code_col]
    value_col = _population_column(others, tlabel)
    if value_col is None:
        numeric = [c for c in others if _parse_numbers(tdf[c]).notna().mean() > 0.9]
        if not numeric:
            raise InputError(f"Population table {tlabel}: no population column (befolkning, folkmängd, "
                             f"population or one numeric column) among {others}.")
        value_col = numeric[-1]
    year = _year_of(value_col) or next((_year_of(v) for c in others if fold(c) in ("ar", "year", "tid")
                                        for v in tdf[c].dropna().astype(str).head(1)), None)
    return code_col, tcodes, value_col, _parse_numbers(tdf[value_col]), year


def _population_through_key(by_area: pd.Series, tcodes: pd.Series, districts: gpd.GeoDataFrame,
                            key: str | Path | pd.DataFrame | None, tlabel: str,
                            report: dict[str, Any]) -> pd.Series:
    """Population per district summed from smaller areas through SCB's key table (codes or names)."""
    codes = pd.Index(districts.index.astype(str))
    wanted = set(codes)
    if key is None:
        is_deso = bool(tcodes.dropna().str.fullmatch(_DESO).mean() > 0.5)
        raise InputError(
            f"Population table {tlabel} has {'DeSO' if is_deso else 'other'} codes (e.g. "
            f"{tcodes.dropna().iloc[0]!r}) but the districts have other codes (e.g. {codes[0]!r}). Give "
            "SCB's key table between them (--population-key FILE; for DeSO → RegSO SCB's 'kopplingstabell "
            "DeSO–RegSO').")
    kdf, klabel = _table_of(key, "Key table")
    report["key_year"] = _year_of(klabel) if not isinstance(key, pd.DataFrame) else None
    deso_col, kdeso = _best_code_column(kdf, set(tcodes.dropna()), (_DESO,))
    if deso_col is None or kdeso is None:
        raise InputError(f"Key table {klabel}: no column of DeSO codes matching the population table; "
                         f"columns are {list(kdf.columns)}.")
    rest = [c for c in kdf.columns if c != deso_col]
    reg_col, kreg = _best_code_column(kdf[rest], wanted, (_REGSO,))
    agg = pd.DataFrame({"deso": kdeso, "value": by_area.reindex(kdeso.to_numpy()).to_numpy()})
    if reg_col is not None and kreg is not None and kreg.isin(wanted).any():
        report["method"] = "key_codes"
        agg["target"] = kreg.to_numpy()
        out = agg.dropna(subset=["target"]).groupby("target")["value"].sum(min_count=1).reindex(codes)
    else:
        out = _population_by_names(agg, kdf, kdeso, rest, districts, klabel)
        report["method"] = "key_names"
    no_key = sorted(set(tcodes.dropna()) - set(kdeso.dropna()))
    in_kommun = [c for c in no_key if c[:4] in {x[:4] for x in codes}]
    report["areas_without_key"] = {"count": len(in_kommun), "examples": in_kommun[:5]}
    if in_kommun:
        report["warnings"].append(
            f"Population: {len(in_kommun)} area(s) of the population table are not in the key table "
            f"(e.g. {', '.join(in_kommun[:3])}): their people are not counted in any district. "
            "The population table and the key table are probably of different DeSO versions.")
    return out


def _population_by_names(agg: pd.DataFrame, kdf: pd.DataFrame, kdeso: pd.Series, rest: list[str],
                         districts: gpd.GeoDataFrame, klabel: str) -> pd.Series:
    """Sums by kommun and RegSO name (the 2018 key table names RegSO instead of coding them)."""
    name_col = next((c for c in rest if fold(c).replace(" ", "") in ("regso", "regsonamn", "regsonamn2018")),
                    None)
    if name_col is None:
        raise InputError(f"Key table {klabel}: no RegSO column (codes like 0180R009 or names in a "
                         f"'RegSO' column) among {list(kdf.columns)}.")
    kcol = next((c for c in rest if fold(c).replace(" ", "") in ("bro", "kommunkod", "kommun kod",
                                                                 "knkod", "kommun")
                 and _codes_in(kdf[c]).str.fullmatch(r"\d{4}").mean() > 0.9), None)
    kommun = _codes_in(kdf[kcol]) if kcol is not None else kdeso.str[:4]
    agg = agg.assign(target=(kommun.fillna("") + "|" + kdf[name_col].map(name_key)).to_numpy())
    summed = agg[agg["target"].str.len() > 5].groupby("target")["value"].sum(min_count=1)
    dk = _district_kommun(districts)
    dkeys = dk + "|" + pd.Series(districts["district_name"].astype(str).map(name_key).to_numpy(),
                                 index=districts.index)
    return pd.Series(summed.reindex(dkeys.to_numpy()).to_numpy(), index=pd.Index(districts.index.astype(str)))


def _population_notes(out: pd.Series, districts: gpd.GeoDataFrame, tlabel: str, report: dict[str, Any]) -> None:
    """The districts left without population, and the years that do not fit, in the report."""
    codes = pd.Index(districts.index.astype(str))
    missing = codes[out.isna().to_numpy()].tolist()
    report["districts_matched"] = int(out.notna().sum())
    report["districts_without_population"] = missing
    if missing:
        names = districts["district_name"].astype(str).reindex(pd.Index(missing)).tolist()
        report["warnings"].append(
            f"Population: {len(missing)} of {len(codes)} districts got none from {tlabel} "
            f"({', '.join(names[:5])}{' …' if len(names) > 5 else ''}); their rates per 1 000 are left "
            "empty. A district whose code or name changed between the key table's and the layer's "
            "year is not matched: check those by hand.")
    ky, dyear, year = report["key_year"], report["districts_year"], report["year"]
    if dyear is not None and ky is not None and ky < 2025 <= dyear:
        report["warnings"].append(
            f"Population: the key table ({ky}) links DeSO 2018 to RegSO 2018; the districts are of "
            f"{dyear} (RegSO 2025 changed some areas). Use SCB's key table for DeSO/RegSO 2025 for exact figures.")
    if dyear is not None and year is not None and abs(dyear - year) > 1:
        report["warnings"].append(
            f"Population: the population is of {year}, the districts of {dyear}; rates per 1 000 use "
            f"{year}'s population.")


def _table_of(table: str | Path | pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    if isinstance(table, pd.DataFrame):
        return table.copy(), "(DataFrame)"
    path = Path(table)
    if not path.exists():
        raise InputError(f"{what} {path} does not exist; check the path.")
    df = _read_plain_table(path)
    # SCB's key table ends with blank rows and empty columns (";;;;"): drop them
    df = df.loc[:, [c for c in df.columns if not (str(c).startswith("Unnamed") or str(c).strip() == "")
                    or df[c].notna().any()]]
    df = df.dropna(how="all")
    return df, path.name


def _best_code_column(df: pd.DataFrame, wanted: set[str], patterns: tuple[str, ...]
                      ) -> tuple[str | None, pd.Series | None]:
    """The column whose codes match most of ``wanted`` (or fit one of ``patterns``)."""
    best: tuple[int, str | None, pd.Series | None] = (0, None, None)
    for c in df.columns:
        vals = _codes_in(df[c])
        score = int(vals.isin(wanted).sum()) * 2
        if not score:
            score = max(int(vals.str.fullmatch(p).sum()) for p in patterns)
        if score > best[0]:
            best = (score, str(c), vals.where(vals != ""))
    return best[1], best[2]


def _district_kommun(districts: gpd.GeoDataFrame) -> pd.Series:
    """Each district's kommun code (a kommun-code column, else the code's first four digits)."""
    kcol = next((c for c in districts.columns if fold(c).replace(" ", "") in ("kommunkod", "knkod")), None)
    if kcol is not None:
        return districts[kcol].astype("string").str.strip().str.zfill(4).fillna("")
    return pd.Series(districts.index.astype(str).str[:4], index=districts.index)


def _code_kind_hint(df: pd.DataFrame, wanted: set[str]) -> str:
    """Why the codes do not match: DeSO codes against a RegSO layer, another kommun ..."""
    kinds = {"DeSO": r"\d{4}[ABC]\d{4}", "RegSO": r"\d{4}R\d{3}"}
    layer_kind = next((k for k, pat in kinds.items() if wanted and all(
        re.fullmatch(pat, w) for w in list(wanted)[:50])), None)
    for c in df.columns:
        vals = _to_code_text(df[c]).dropna().str.split(" ").str[0]
        vals = vals.where(~vals.str.fullmatch(r"\d{3}([ABC]\d{4}|R\d{3})"), "0" + vals)
        if not len(vals):
            continue
        for kind, pat in kinds.items():
            fits = vals[vals.str.fullmatch(pat)]
            if len(fits) < max(1, 0.5 * len(vals)):
                continue
            if layer_kind and kind != layer_kind:
                return (f" Column {c!r} holds {kind} codes (e.g. {fits.iloc[0]!r}) but the layer has "
                        f"{layer_kind} codes: give a {layer_kind} population table, or a {kind} layer.")
            kommuner = sorted({w[:4] for w in wanted})[:3]
            return (f" Column {c!r} holds {kind} codes (e.g. {fits.iloc[0]!r}), none of the layer's "
                    f"(kommun {', '.join(kommuner)}): is the table for another kommun or year?")
    return ""


def _read_plain_table(path: Path) -> pd.DataFrame:
    """A population table as text, read by read_table (delimiter, encoding, Excel sheets)."""
    table, _info = read_table(path)
    return pd.DataFrame(table)


def _topology(metric: npt.NDArray[Any], codes: npt.NDArray[Any], *, coverage: bool) -> dict[str, Any]:
    """Overlaps (pairs and m²) and gaps (holes in the union, m²) of a district layer in metres."""
    tree = shapely.STRtree(metric)
    if coverage:
        pairs = np.zeros((2, 0), dtype=np.int64)  # a valid coverage: no overlaps, skip the search
    else:
        ov = tree.query(metric, predicate="overlaps")
        ct = tree.query(metric, predicate="contains")
        pairs = np.hstack([ov, ct, ct[::-1]])
    keep = pairs[0] < pairs[1]
    a, b = pairs[0][keep], pairs[1][keep]
    areas = shapely.area(shapely.intersection(metric[a], metric[b])) if a.size else np.zeros(0)
    order = np.argsort(-areas, kind="stable")[:10]
    largest = [[str(codes[a[i]]), str(codes[b[i]]), round(float(areas[i]), 1)] for i in order]
    if a.size == 0:
        union = shapely.coverage_union_all(metric)
        # the union of a valid coverage covers exactly the sum of its areas; checking
        # that is linear, where is_valid on a union with a spiky ring can be quadratic
        total = float(shapely.area(metric).sum())
        if not abs(float(shapely.area(union)) - total) <= 1e-6 * max(total, 1.0):
            union = shapely.union_all(metric)
    else:
        union = shapely.union_all(metric)
    # Gaps: area enclosed by the districts but covered by none (holes of the union,
    # minus districts lying inside those holes, e.g. an island district in a lake).
    parts = shapely.get_parts(union)
    gap_parts = np.zeros(0, dtype=object)
    if parts.size and int(shapely.get_num_interior_rings(parts).sum()) > 0:
        filled = shapely.union_all(shapely.polygons(shapely.get_exterior_ring(parts)))
        gap_parts = shapely.get_parts(shapely.difference(filled, union))
    hole_areas = shapely.area(gap_parts) if gap_parts.size else np.zeros(0)
    hole_areas = hole_areas[hole_areas > 0]
    return {
        "overlaps": {"pairs": int(a.size), "area_m2": round(float(areas.sum()), 1), "largest": largest},
        "gaps": {"count": int(hole_areas.size), "area_m2": round(float(hole_areas.sum()), 1)},
    }


# ----------------------------------------------------------------------------------------
# Exact point-in-district, fast
# ----------------------------------------------------------------------------------------


class _Locator:
    """Exact point-in-polygon for many points against many districts.

    A square raster over the districts' extent (in lon/lat, cells about square in
    metres) marks every cell a district boundary passes through ("border cells"),
    remembering the lowest and highest district whose boundary crosses it. Every
    other cell lies wholly inside one district or wholly outside all of them:
    connected runs of such cells are labelled with one point-in-polygon test
    each. A point in a non-border cell is assigned by one array lookup. A point in
    a border cell crossed by at most two districts' boundaries is tested exactly
    against those two (``shapely.intersects_xy``); in a coverage without overlaps
    no other district can contain it. Points in cells crossed by three or more
    boundaries, and every border point when districts overlap, go through an
    STRtree query. No geometry object is built per point except for those.

    A border cell that only one straight edge of the boundaries passes through (the
    common case where districts have long straight edges) is split by that edge: the
    district on each side of it is known from the rings' orientation, so a point
    there is placed by the sign of one orientation determinant, computed in floating
    point and used only where its error bound proves the sign (the exact test
    otherwise). Needs valid polygons whose interiors do not intersect.
    """

    def __init__(self, geoms: npt.NDArray[Any], *, target_cells: int, coverage: bool | None = None,
                 wkb: npt.NDArray[Any] | None = None) -> None:
        # Private copies: preparing attaches a cache to a geometry; leave the caller's alone.
        self.geoms = shapely.from_wkb(shapely.to_wkb(geoms) if wkb is None else wkb)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(self.geoms))
        kx = max(math.cos(math.radians((miny + maxy) / 2)), 0.05)
        w = max((maxx - minx) * kx, 1e-9)
        h = max(maxy - miny, 1e-9)
        sy = math.sqrt(w * h / max(target_cells, 64))
        self.sy = sy
        self.sx = sy / kx
        self.x0 = minx - self.sx
        self.y0 = miny - self.sy
        self.nx = math.ceil((maxx - minx) / self.sx) + 3
        self.ny = math.ceil((maxy - miny) / self.sy) + 3
        # Interiors that intersect (overlaps, one inside another): candidates by boundary
        # alone would be incomplete, so border points then take the STRtree path.
        self.overlapping = (not coverage) if coverage is not None else _interiors_intersect(self.geoms, self.tree)
        # ``coverage=True`` comes from read_districts, whose polygons are valid
        valid = bool(coverage) or (not self.overlapping and bool(shapely.is_valid(self.geoms).all()))
        self.lock = threading.Lock()  # a remembered locator may be shared between threads
        self._build(halfplanes=valid and not self.overlapping)

    def _build(self, *, halfplanes: bool) -> None:
        nx, ny = self.nx, self.ny
        ncell = nx * ny
        lo = np.full(ncell, np.iinfo(np.int32).max, dtype=np.int32)
        hi = np.full(ncell, -1, dtype=np.int32)
        mid = np.full(ncell, -1, dtype=np.int32)
        multi = np.zeros(ncell, dtype=bool)
        edges = _Edges(self.geoms)
        smin = np.full(ncell if halfplanes else 0, np.iinfo(np.int32).max, dtype=np.int32)
        smax = np.full(ncell if halfplanes else 0, -1, dtype=np.int32)
        if edges.gmin.size:
            # each segment once (an edge two districts share too), with the districts on its sides
            u0, v0 = (edges.ends[0] - self.x0) / self.sx, (edges.ends[1] - self.y0) / self.sy
            u1, v1 = (edges.ends[2] - self.x0) / self.sx, (edges.ends[3] - self.y0) / self.sy
            # Samples at most 1/2 cell apart; a box of half-width 1/4 around each sample
            # then contains every point of the segment near it, and the box's corners
            # fall in every cell it touches: all cells the segment crosses get marked.
            n = np.maximum(np.ceil(np.maximum(np.abs(u1 - u0), np.abs(v1 - v0)) * 2.0), 1).astype(np.int64)
            seg = np.repeat(np.arange(n.size, dtype=np.int32), n + 1)
            first = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
            t = (np.arange(seg.size) - first) / n[seg]
            su = u0[seg] + (u1 - u0)[seg] * t
            sv = v0[seg] + (v1 - v0)[seg] * t
            del first, t
            h = 0.25 + 1e-6
            ium, iup = (np.clip(np.floor(su + d).astype(np.int64), 0, nx - 1) for d in (-h, h))
            ivm, ivp = (np.clip(np.floor(sv + d).astype(np.int64), 0, ny - 1) for d in (-h, h))
            across_u, across_v = ium != iup, ivm != ivp
            passes = []
            # the box's lower left corner for every sample; another corner only where it
            # lies in another cell (the box straddles a cell edge)
            for iu, iv, rows in ((ium, ivm, None), (ium, ivp, np.flatnonzero(across_v)),
                                 (iup, ivm, np.flatnonzero(across_u)),
                                 (iup, ivp, np.flatnonzero(across_u & across_v))):
                key = iv * nx + iu if rows is None else iv[rows] * nx + iu[rows]
                sk = seg if rows is None else seg[rows]
                # Consecutive samples mostly repeat a cell: drop the repeats first.
                keep = np.ones(key.size, dtype=bool)
                keep[1:] = (key[1:] != key[:-1]) | (sk[1:] != sk[:-1])
                passes.append((key[keep], sk[keep]))
            for key, sk in passes:
                np.minimum.at(lo, key, edges.gmin[sk])
                np.maximum.at(hi, key, edges.gmax[sk])
                if halfplanes:
                    np.minimum.at(smin, key, sk)
                    np.maximum.at(smax, key, sk)
                multi[key[edges.crowded[sk]]] = True  # a segment of three districts or more
            # A third district (a triple junction) goes in the middle slot; a fourth
            # makes the cell "multi": its points take the STRtree path.
            odd_passes = []
            for key, sk in passes:
                lok, hik = lo[key], hi[key]
                for gk in (edges.gmin[sk], edges.gmax[sk]):
                    odd = (gk != lok) & (gk != hik)
                    mid[key[odd]] = gk[odd]
                    odd_passes.append((key[odd], gk[odd]))
            for key, gk in odd_passes:
                multi[key[gk != mid[key]]] = True
        border = hi >= 0
        labels, ncomp = ndimage.label(~border.reshape(ny, nx))
        flat = labels.ravel()
        rep = np.zeros(ncomp + 1, dtype=np.int64)
        rep[flat] = np.arange(flat.size)  # any cell of a component represents it
        rep = rep[1:]
        cx = self.x0 + (rep % nx + 0.5) * self.sx
        cy = self.y0 + (rep // nx + 0.5) * self.sy
        table = np.empty(ncomp + 1, dtype=np.int32)
        table[0] = -2  # border cells
        table[1:] = self._query(cx, cy)
        self.raster = table[flat]
        self.lo = np.where(border, lo, -1)
        self.hi = hi
        self.mid = mid
        self.multi = multi
        # the one segment of a border cell only one edge crosses (-1: none, or not usable)
        self.edges = edges
        self.halfplane = (edges.halfplanes(smin, smax, self.x0, self.y0, self.sx, self.sy, nx)
                          if halfplanes else None)

    def _query(self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        """District position of each point via the STRtree (lowest position when several), -1 when none."""
        out = np.full(x.size, -1, dtype=np.int32)
        if x.size == 0:
            return out
        pts = shapely.points(x, y)
        hit = self.tree.query(pts, predicate="intersects")
        if hit.shape[1]:
            # Smallest district position per point: sort by (point, -district); the last
            # entry of each point's run is its smallest district.
            order = np.lexsort((-hit[1], hit[0]))
            p, d = hit[0][order], hit[1][order]
            last = np.ones(p.size, dtype=bool)
            last[:-1] = p[1:] != p[:-1]
            out[p[last]] = d[last]
        return out

    def locate(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """District position (row in the layer) of each point, -1 outside every district."""
        x = np.asarray(lon, dtype="float64")
        y = np.asarray(lat, dtype="float64")
        out = np.full(x.size, -1, dtype=np.int32)
        u = (x - self.x0) / self.sx
        v = (y - self.y0) / self.sy
        inside = (u >= 0) & (u < self.nx) & (v >= 0) & (v < self.ny)  # NaN → False
        rows = None if inside.all() else np.flatnonzero(inside)  # None: every point, no gathers
        idx = slice(None) if rows is None else rows
        key = v[idx].astype(np.int64)
        key *= self.nx
        key += u[idx].astype(np.int64)
        lab = self.raster[key]
        out[idx] = lab
        isb = np.flatnonzero(lab == -2)
        bidx, bkey = (isb if rows is None else rows[isb]), key[isb]
        slow = np.ones(bidx.size, dtype=bool) if self.overlapping else self.multi[bkey]
        out[bidx[slow]] = self._query(x[bidx[slow]], y[bidx[slow]])
        fidx, fkey = bidx[~slow], bkey[~slow]
        if fidx.size and self.halfplane is not None:  # one segment splits the cell: its sides
            seg = self.halfplane[fkey]
            hidx = np.flatnonzero(seg >= 0)
            side = self.edges.sides(seg[hidx], x[fidx[hidx]], y[fidx[hidx]])
            sure = side != -3
            out[fidx[hidx[sure]]] = side[sure]
            rest = np.ones(fidx.size, dtype=bool)
            rest[hidx[sure]] = False
            fidx, fkey = fidx[rest], fkey[rest]
        if fidx.size:
            fx, fy = x[fidx], y[fidx]
            # Candidates in ascending district order (lo < mid < hi): the first that
            # contains the point wins, as on the STRtree path.
            res = np.full(fidx.size, -1, dtype=np.int32)
            todo = np.ones(fidx.size, dtype=bool)
            for cand in (self.lo[fkey], self.mid[fkey], self.hi[fkey]):
                test = np.flatnonzero(todo & (cand >= 0))
                if test.size == 0:
                    continue
                hit = shapely.intersects_xy(self.geoms[cand[test]], fx[test], fy[test])
                res[test[hit]] = cand[test[hit]]
                todo[test[hit]] = False
                todo &= ~((cand >= 0) & (cand == self.hi[fkey]))  # hi tested: done
            # In none of them: outside every district, or in one whose boundary only
            # passes near the cell while a neighbour's edge along it marked the cell (edges
            # split at different vertices on the two sides): the STRtree decides.
            none = np.flatnonzero(res == -1)
            res[none] = self._query(fx[none], fy[none])
            out[fidx] = res
        return out

    def locate_clear(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64],
                     tolerance: float) -> npt.NDArray[np.int32]:
        """Like :meth:`locate` for points known only within ``tolerance`` (degrees) of their
        true position: the district of each point whose raster cell lies wholly in one
        district (or outside all) and is farther than ``tolerance`` from the cell's edges,
        so that the true point gets the same answer; -3 for the others (to be located
        from their exact positions)."""
        x = np.asarray(lon, dtype="float64")
        y = np.asarray(lat, dtype="float64")
        out = np.full(x.size, -3, dtype=np.int32)
        u = (x - self.x0) / self.sx
        v = (y - self.y0) / self.sy
        mu, mv = tolerance / self.sx, tolerance / self.sy
        iu, iv = np.floor(u), np.floor(v)
        with np.errstate(invalid="ignore"):  # NaN: not clear
            clear = ((u - iu >= mu) & (iu + 1 - u >= mu) & (v - iv >= mv) & (iv + 1 - v >= mv)
                     & (iu >= 0) & (iu < self.nx) & (iv >= 0) & (iv < self.ny))
        idx = np.flatnonzero(clear)
        key = iv[idx].astype(np.int64) * self.nx + iu[idx].astype(np.int64)
        lab = self.raster[key]
        out[idx] = lab
        border = np.flatnonzero(lab == -2)
        if border.size and self.halfplane is not None and not self.overlapping:
            seg = self.halfplane[key[border]]
            split = border[seg >= 0]  # one segment splits the cell: the side, if certain
            out[idx[split]] = self.edges.sides(seg[seg >= 0], x[idx[split]], y[idx[split]], tolerance)
            border = border[seg < 0]
        out[idx[border]] = -3
        return out


class _Edges:
    """The segments of the districts' rings, each once (an edge two districts share is one
    segment): its ends, the districts on its sides (``gmin``/``gmax``; ``crowded`` when
    more than two rings run along it) and which district lies left and right of it (-1:
    none; known from the rings' orientation), ``usable`` when that is unambiguous."""

    def __init__(self, geoms: npt.NDArray[Any]) -> None:
        polys, pidx = shapely.get_parts(geoms, return_index=True)
        rings, ridx = shapely.get_rings(polys, return_index=True)
        coords, part = shapely.get_coordinates(rings, return_index=True)
        exterior = np.ones(rings.size, dtype=bool)  # a polygon's first ring
        exterior[1:] = ridx[1:] != ridx[:-1]
        # the interior lies left of an exterior ring running counter-clockwise, and left
        # of a hole running clockwise
        inside_left = np.asarray(shapely.is_ccw(rings), dtype=bool) == exterior
        vid, vertices = pd.factorize(np.ascontiguousarray(coords, dtype="float64").view(np.complex128).ravel())
        same = part[1:] == part[:-1]  # consecutive coordinates of one ring: an edge
        a, b = vid[:-1][same], vid[1:][same]
        flip = a > b  # a segment runs from its lower vertex to its higher
        sid, keys = pd.factorize(np.minimum(a, b).astype(np.int64) * len(vertices) + np.maximum(a, b))
        ring = part[:-1][same]
        g = pidx[ridx][ring].astype(np.int32)
        left = inside_left[ring] != flip
        n = len(keys)
        self.gmin = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
        self.gmax = np.full(n, -1, dtype=np.int32)
        np.minimum.at(self.gmin, sid, g)
        np.maximum.at(self.gmax, sid, g)
        self.crowded = np.bincount(sid, minlength=n) > 2
        self.left = np.full(n, -1, dtype=np.int32)
        self.right = np.full(n, -1, dtype=np.int32)
        self.left[sid[left]] = g[left]
        self.right[sid[~left]] = g[~left]
        va, vb = keys // len(vertices), keys % len(vertices)
        vx, vy = np.real(vertices), np.imag(vertices)
        self.ends = np.stack([vx[va], vy[va], vx[vb], vy[vb]])
        # one district at most on each side (more: overlapping rings), and a real segment
        self.usable = ((np.bincount(sid[left], minlength=n) <= 1) & (np.bincount(sid[~left], minlength=n) <= 1)
                       & (va != vb))

    def halfplanes(self, smin: npt.NDArray[np.int32], smax: npt.NDArray[np.int32], x0: float, y0: float,
                   sx: float, sy: float, nx: int) -> npt.NDArray[np.int32]:
        """Per raster cell, the segment when exactly one crosses it and its line truly passes
        through the cell (marking is generous: a segment near the cell marks it too); -1
        otherwise. The segment then crosses the cell: were its line to cross beyond an end,
        that end would be nearer the cell than the sample that marked it, and the next
        segment of the ring, which starts there, would have marked the cell too."""
        out = np.full(smin.size, -1, dtype=np.int32)
        cell = np.flatnonzero(smin == smax)
        s = smin[cell]
        ok = self.usable[s]
        cell, s = cell[ok], s[ok]
        # the line's sign at the cell's corners: both signs, beyond 1e-6 of a cell, so
        # that rounding cannot make it cross (per segment first, then per cell)
        au, av = (self.ends[0] - x0) / sx, (self.ends[1] - y0) / sy
        du, dv = (self.ends[2] - x0) / sx - au, (self.ends[3] - y0) / sy - av
        c0 = au * dv - av * du  # f(cu, cv) = cu * dv - cv * du - c0
        lo_off = np.minimum(dv, 0) - np.maximum(du, 0) - c0
        hi_off = np.maximum(dv, 0) - np.minimum(du, 0) - c0
        margin = 1e-6 * (np.abs(du) + np.abs(dv))
        f = (cell % nx) * dv[s] - (cell // nx) * du[s]
        cross = (f + lo_off[s] < -margin[s]) & (f + hi_off[s] > margin[s])
        out[cell[cross]] = s[cross]
        return out

    def sides(self, s: npt.NDArray[np.int32], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64],
              tolerance: float = 0.0) -> npt.NDArray[np.int32]:
        """The district on the side of segment ``s`` each point lies on (-1: none), -3 where the
        sign of the orientation determinant is not certain: within its floating-point error
        bound (Shewchuk's, taken three times) or, for points known within ``tolerance``
        degrees, within the change that tolerance allows (taken twice)."""
        ax, ay = self.ends[0, s] - x, self.ends[1, s] - y
        bx, by = self.ends[2, s] - x, self.ends[3, s] - y
        dl, dr = ax * by, ay * bx
        det = dl - dr
        bound = 1e-15 * (np.abs(dl) + np.abs(dr))
        if tolerance:
            bound += 2.0 * tolerance * (np.abs(bx - ax) + np.abs(by - ay))
        out = np.where(det > 0, self.left[s], self.right[s])
        out[~(np.abs(det) > bound)] = -3
        return out


def _interiors_intersect(geoms: npt.NDArray[Any], tree: shapely.STRtree) -> bool:
    """Whether any two districts share interior area (overlap or one inside another)."""
    if geoms.size < 2 or bool(shapely.coverage_is_valid(geoms)):
        return False  # a valid polygonal coverage has no overlapping interiors
    for predicate in ("overlaps", "contains"):
        pairs = tree.query(geoms, predicate=predicate)
        if bool((pairs[0] != pairs[1]).any()):
            return True
    return False


def _target_cells(n_points: int, geoms: npt.NDArray[Any]) -> int:
    """Raster size: the raster's cost grows with its cells, the exact tests with the share
    of points in border cells (which falls as cells shrink). About one cell per point
    balances them; at least ~64 cells per typical (median) district keeps border cells
    a minority where districts are small beside the extent (a national DeSO layer)."""
    areas = shapely.area(geoms)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    med = float(np.median(areas)) if areas.size else 0.0
    by_size = 64.0 * (maxx - minx) * (maxy - miny) / med if med > 0 else 0.0
    return int(min(max(n_points, by_size, 64 * len(geoms), 1 << 16), 1 << 23))


def _coverage_flag(districts: gpd.GeoDataFrame, geoms: npt.NDArray[Any]) -> bool | None:
    """The valid-coverage flag read_districts computed, if the geometries are still the same."""
    known = districts.attrs.get("_coverage")
    if not isinstance(known, dict) or known.get("n") != len(geoms):
        return None
    if not np.isclose(float(shapely.area(geoms).sum()), known.get("area", -1.0), rtol=1e-12, atol=0):
        return None
    return bool(known.get("valid"))


# The last locators built, by the districts' geometry (WKB digest) and coverage flag:
# assign_districts and then summarize (cells to districts) use the same layer, and a
# locator answers exactly whatever its raster size, so the second call reuses it.
_LOCATORS: OrderedDict[tuple[bytes, bool | None], _Locator] = OrderedDict()
_LOCATORS_LOCK = threading.Lock()
_LOCATORS_SIZE = 2


def _locate(districts: gpd.GeoDataFrame, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.int32]:
    geoms = np.asarray(districts.geometry.array, dtype=object)
    n = np.asarray(lon).size
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    loc = _locator(districts, geoms, n)
    with loc.lock:  # GEOS prepares and indexes lazily: one caller at a time
        return loc.locate(lon, lat)


def _locate_cells(districts: gpd.GeoDataFrame, cells: npt.NDArray[np.uint64]) -> npt.NDArray[np.int32]:
    """District position of each H3 cell's centre (-1 outside every district), exactly as
    :func:`_locate` gives it for :func:`grid.cells_to_latlng`'s centres (ValueError for
    values that are not cells). The vectorised centres
    (:func:`grid.approx_cells_to_latlng`) decide every centre whose raster cell lies in
    one district and not within their tolerance of its edges; h3-py's exact centres the
    rest (about a quarter of the cells on a DeSO-like layer)."""
    approx = grid.approx_cells_to_latlng(cells) if cells.size else None
    if approx is None:
        lat, lon = grid.cells_to_latlng(cells)
        return _locate(districts, lon, lat)
    geoms = np.asarray(districts.geometry.array, dtype=object)
    loc = _locator(districts, geoms, cells.size)
    with loc.lock:
        out = loc.locate_clear(approx[1], approx[0], grid.CENTRE_TOLERANCE)
        rest = np.flatnonzero(out == -3)
        if rest.size:
            lat, lon = grid.cells_to_latlng(cells[rest])
            out[rest] = loc.locate(lon, lat)
    return out


def _locator(districts: gpd.GeoDataFrame, geoms: npt.NDArray[Any], n: int) -> _Locator:
    """The district locator of the layer (built for ``n`` points, or the one remembered)."""
    coverage = _coverage_flag(districts, geoms)
    wkb = shapely.to_wkb(geoms)
    parts = wkb.tolist()
    h = hashlib.blake2b(digest_size=20)
    h.update(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)).tobytes())
    h.update(b"".join(parts))
    key = (h.digest(), coverage)
    with _LOCATORS_LOCK:
        loc = _LOCATORS.get(key)
        if loc is not None:
            _LOCATORS.move_to_end(key)
    if loc is None:
        loc = _Locator(geoms, target_cells=_target_cells(n, geoms), coverage=coverage, wkb=wkb)
        with _LOCATORS_LOCK:
            _LOCATORS[key] = loc
            while len(_LOCATORS) > _LOCATORS_SIZE:
                _LOCATORS.popitem(last=False)
    return loc


def _check_districts(districts: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(districts, gpd.GeoDataFrame):
        raise InputError(f"{what}: districts must be a GeoDataFrame from read_districts(), got {type(districts).__name__}.")
    if districts.index.name != "district_code":
        if "district_code" in districts.columns:
            districts = districts.set_index("district_code")
        else:
            raise SchemaError(
                f"{what}: districts need a 'district_code' index or column (use read_districts())."
            )
    if districts.crs is None:
        raise CRSError(f"{what}: districts have no CRS; use read_districts() or .set_crs(4326).")
    if CRS.from_user_input(districts.crs).to_epsg() != 4326:
        districts = districts.to_crs(4326)
    return districts


#: Values of ``district_method`` (see :func:`assign_districts`).
_METHODS: tuple[str, ...] = ("point", "area_point", "name", "text", "stadsdel", "kommun", "lan",
                             "outside", "none")


def assign_districts(
    incidents: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    kommun_name: str | None = None,
) -> pd.DataFrame:
    """Assign each incident to the district that contains it (exact point-in-polygon).

    Rules
    -----
    * Rows known only at a level (``precision`` ``kommun``, ``stadsdel``, ``lan``: the
      police feed, whose coordinates are a kommun's or a län's centre) are **never**
      placed by their coordinates: they keep their level (``district_method`` =
      the precision). A ``district`` row takes the district its text named
      (``place_district``, from :func:`lagesbild_geo.polisen.place_events`; ``"text"``).
    * Rows with ``precision == "area"``: a ``location_text`` naming the kommun
      (``kommun_name``, also "X kommun"/"X stad") stays at kommun level (``"kommun"``),
      even when a district carries the kommun's name; one naming a län ("Uppsala län")
      is at län level (``"lan"``), never the kommun; one naming a district (by name or
      code) gets that district (``"name"``). Names are compared by
      :func:`lagesbild_geo.names.name_key`: case, spacing, hyphens and punctuation are
      folded, **å, ä and ö are not** (Varberg is not Vårberg); a text that matches a
      district only with å/ä/ö folded is listed in ``attrs["district_suggestions"]``,
      never applied. Other area rows are assigned by their representative point
      (``"area_point"``).
    * Every other row with coordinates is assigned by its ``lon``/``lat`` exactly
      (``"point"``; a point on a shared border goes to the first district in the
      layer's order).
    * Rows outside every district get ``district_code`` NA and ``"outside"``; rows
      without coordinates ``"none"``.

    Never by a hexagon's centre. Fast: a raster of the districts answers every point
    away from a border by lookup; only points near a border are tested with shapely.

    Parameters
    ----------
    incidents
        Incident table (``lat``, ``lon``; ``precision``, ``location_text`` and
        ``place_district`` used when present). Not modified.
    districts
        From :func:`read_districts` (index ``district_code``).
    kommun_name
        Name of the kommun, for area rows that name the whole kommun.

    Returns
    -------
    DataFrame
        A copy of ``incidents`` with ``district_code`` (categorical over the district
        codes in layer order, NA when none) and ``district_method`` (categorical:
        point|area_point|name|text|stadsdel|kommun|lan|outside|none);
        ``.attrs["district_assignment"]`` counts rows per method.

    Examples
    --------
    >>> import shapely, geopandas as gpd, pandas as pd
    >>> d = gpd.GeoDataFrame({"district_name": ["A", "Vårberg"]},
    ...     geometry=[shapely.box(17.0, 59.0, 17.1, 59.1), shapely.box(17.1, 59.0, 17.2, 59.1)],
    ...     index=pd.Index(["A1", "B1"], name="district_code"), crs=4326)
    >>> inc = pd.DataFrame({"lat": [59.05, 59.05, 60.0, 59.05], "lon": [17.05, 17.15, 17.0, 17.15],
    ...                     "precision": ["point", "point", "point", "kommun"],
    ...                     "location_text": [None, None, None, "Varberg"]})
    >>> out = assign_districts(inc, d)
    >>> out["district_code"].astype(object).fillna("-").tolist(), out["district_method"].tolist()
    (['A1', 'B1', '-', '-'], ['point', 'point', 'outside', 'kommun'])
    """
    districts = _check_districts(districts, "assign_districts")
    for col in ("lat", "lon"):
        if col not in incidents.columns:
            raise SchemaError(
                f"assign_districts: incidents have no {col!r} column; expected the canonical "
                "incident table (lagesbild_geo.read.read_incidents)."
            )
    n = len(incidents)
    lat = incidents["lat"].to_numpy(dtype="float64", na_value=np.nan)
    lon = incidents["lon"].to_numpy(dtype="float64", na_value=np.nan)
    has_xy = np.isfinite(lat) & np.isfinite(lon)
    codes_index = pd.Index(districts.index.astype(str))
    prec = _Precision(incidents["precision"] if "precision" in incidents.columns else None, n)
    area = prec.rows("area")
    a = _Assignment(n)
    _assign_levels(a, prec, incidents, codes_index)
    suggestions: dict[str, list[str]] = {}
    if area.any() and "location_text" in incidents.columns:
        suggestions = _assign_area_names(a, np.flatnonzero(area), incidents["location_text"], districts,
                                         kommun_name)
    todo = has_xy & ~a.decided
    # every row by its point (the usual case): a slice, no gathers of a million coordinates
    tidx = slice(None) if todo.all() else np.flatnonzero(todo)
    a.pos[tidx] = _locate(districts, lon[tidx], lat[tidx])
    in_pt = todo & (a.pos >= 0)
    a.method[in_pt & ~area] = _METHODS.index("point")
    a.method[in_pt & area] = _METHODS.index("area_point")
    a.method[~has_xy & ~a.decided] = _METHODS.index("none")
    return _with_districts(incidents, a, codes_index, suggestions)


def _with_districts(incidents: pd.DataFrame, a: _Assignment, codes_index: pd.Index,
                    suggestions: dict[str, list[str]]) -> pd.DataFrame:
    out = incidents.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    out["district_code"] = pd.Categorical.from_codes(a.pos, categories=codes_index)
    out["district_method"] = pd.Categorical.from_codes(a.method.astype(np.int64),
                                                       categories=pd.Index(list(_METHODS)))
    out.attrs = dict(incidents.attrs)
    out.attrs["district_assignment"] = {m: int((a.method == i).sum()) for i, m in enumerate(_METHODS)}
    if suggestions:
        out.attrs["district_suggestions"] = suggestions
        _warn_suggestions(suggestions)
    return out


def _warn_suggestions(suggestions: dict[str, list[str]]) -> None:
    """Warn (at assign_districts' caller) about texts that match a district only with å, ä, ö folded."""
    warnings.warn(
        "assign_districts: place text(s) that match a district only when å, ä and ö are "
        "ignored were not placed there (å, ä and ö are letters; Varberg is not Vårberg): "
        + "; ".join(f"{t!r} (did you mean {', '.join(v)}?)" for t, v in list(suggestions.items())[:5])
        + ". Correct the names in the source if they mean these districts.",
        UserWarning, stacklevel=4)


class _Assignment:
    """Per row: the district (position in the layer, -1 none), the method, whether decided."""

    def __init__(self, n: int) -> None:
        self.pos = np.full(n, -1, dtype=np.int32)
        self.method = np.full(n, _METHODS.index("outside"), dtype=np.int8)
        self.decided = np.zeros(n, dtype=bool)


class _Precision:
    """The precision of each row as codes over its few distinct values (no string per row)."""

    def __init__(self, values: pd.Series | None, n: int) -> None:
        if values is None:  # no precision column: every row missing
            self.codes, self.labels = np.full(n, -1, dtype=np.intp), np.array([], dtype=object)
        else:  # computed once per column (the read's codes)
            self.codes, self.labels = text_codes(values)

    def rows(self, level: str) -> npt.NDArray[np.bool_]:
        """Which rows have precision ``level`` (a missing precision: none)."""
        return np.append(self.labels == level, False)[self.codes]


def _assign_levels(a: _Assignment, prec: _Precision, incidents: pd.DataFrame,
                   codes_index: pd.Index) -> None:
    """Rows known only at a level keep it (never placed by their coordinates: a kommun's or
    län's centre); a ``district`` row takes the district its text named."""
    for level in ("stadsdel", "kommun", "lan"):
        m = prec.rows(level)
        a.method[m] = _METHODS.index(level)
        a.decided |= m
    is_district = prec.rows("district")
    if not is_district.any():
        return
    hint = (incidents["place_district"].astype("string").fillna("").to_numpy(dtype=object)
            if "place_district" in incidents.columns else np.full(len(is_district), "", dtype=object))
    idx = np.flatnonzero(is_district)
    p = codes_index.get_indexer(pd.Index(hint[idx].astype(str)))
    ok = p >= 0
    a.pos[idx[ok]] = p[ok]
    a.method[idx[ok]] = _METHODS.index("text")
    # a district of another layer: the row is known in the kommun, not in these districts
    a.method[idx[~ok]] = _METHODS.index("kommun")
    a.decided[idx] = True


def _assign_area_names(a: _Assignment, idx: npt.NDArray[np.int64], location_text: pd.Series,
                       districts: gpd.GeoDataFrame, kommun_name: str | None) -> dict[str, list[str]]:
    """Area rows whose text names the kommun, a län or a district; returns the texts that
    match a district only with å, ä and ö folded (suggested, never applied)."""
    text = location_text.iloc[idx]
    codes_u, uniques = pd.factorize(text.astype("string").fillna(""), sort=False)
    lookup: dict[str, int] = {}
    loose: dict[str, list[str]] = {}
    for i, (c, nm) in enumerate(zip(districts.index, districts["district_name"], strict=True)):
        lookup.setdefault(name_key(nm), i)
        lookup.setdefault(name_key(c), i)
        loose.setdefault(loose_key(nm), []).append(str(nm))
    kkeys = kommun_keys(kommun_name)
    keys = [name_key(u) for u in uniques]
    # the kommun itself wins over a district of the same name; a län is its own level
    ukommun = np.array([bool(k) and k in kkeys for k in keys], dtype=bool)
    ulan = np.array([is_lan_name(u) and not kk for u, kk in zip(uniques, ukommun, strict=True)], dtype=bool)
    upos = np.array([-1 if (kk or ll) else lookup.get(k, -1)
                     for k, kk, ll in zip(keys, ukommun, ulan, strict=True)], dtype=np.int32)
    suggestions: dict[str, list[str]] = {}
    for u, k, p_, kk, ll in zip(uniques, keys, upos, ukommun, ulan, strict=True):
        if k and p_ < 0 and not kk and not ll:
            similar = [x for x in loose.get(loose_key(u), []) if name_key(x) != k]
            if similar:
                suggestions[str(u)] = similar
    if len(uniques):
        p = upos[codes_u]
        km = ukommun[codes_u]
        la = ulan[codes_u]
        a.pos[idx[p >= 0]] = p[p >= 0]
        a.method[idx[p >= 0]] = _METHODS.index("name")
        a.method[idx[km]] = _METHODS.index("kommun")
        a.method[idx[la]] = _METHODS.index("lan")
        a.decided[idx[(p >= 0) | km | la]] = True
    return suggestions


def district_code_kind(code: object) -> str | None:
    """``"DeSO"`` or ``"RegSO"`` for a code of that form (SCB's ``0180C1090``, ``0180R009``),
    else ``None``.

    Examples
    --------
    >>> district_code_kind("0180C1090"), district_code_kind("1280R021"), district_code_kind("Centrum")
    ('DeSO', 'RegSO', None)
    """
    text = str(code)
    return next((label for kind, label in (("deso", "DeSO"), ("regso", "RegSO"))
                 if _CODE_PATTERNS[kind].fullmatch(text)), None)


def district_kommun_codes(districts: gpd.GeoDataFrame) -> set[str]:
    """The kommun codes a district layer spans: its kommun-code column, or its DeSO/RegSO
    codes' first four digits; empty when neither tells.

    Examples
    --------
    >>> import geopandas as gpd
    >>> d = gpd.GeoDataFrame(index=pd.Index(["0180R001", "0380R002"], name="district_code"), geometry=[None, None])
    >>> sorted(district_kommun_codes(d))
    ['0180', '0380']
    """
    cols = [c for c in districts.columns if name_key(c) in ("kommunkod", "knkod", "kommunkodtext")]
    if cols:
        return set(districts[cols[0]].astype("string").dropna().str.strip().str.zfill(4))
    idx = pd.Series(districts.index.astype(str))
    if len(idx) and idx.str.fullmatch(r"\d{4}([ABC]\d{4}|R\d{3})").all():
        return set(idx.str[:4])
    return set()


def districts_in_kommun(districts: gpd.GeoDataFrame, kommun_code: str) -> gpd.GeoDataFrame:
    """The districts of one kommun from a layer of several (SCB's national DeSO/RegSO).

    The kommun of a district is read from a kommun-code column (``kommunkod``,
    ``kommun_kod``, ``kn_kod``) or, for DeSO and RegSO codes, from the code's first four
    digits ("0180R009" is in 0180). A layer with neither, or with only this kommun, is
    returned as it is.

    Raises
    ------
    InputError
        None of the layer's districts is in this kommun.

    Examples
    --------
    >>> import shapely, geopandas as gpd, pandas as pd
    >>> d = gpd.GeoDataFrame({"district_name": ["Torsby", "Centrum"]},
    ...     geometry=[shapely.box(18, 59, 18.1, 59.1), shapely.box(13, 60, 13.1, 60.1)],
    ...     index=pd.Index(["0120R005", "1737R001"], name="district_code"), crs=4326)
    >>> districts_in_kommun(d, "0120").index.tolist()
    ['0120R005']
    """
    code = str(kommun_code).strip().zfill(4)
    kcol = next((c for c in districts.columns
                 if fold(c).replace(" ", "") in ("kommunkod", "kommunkodtext", "knkod")), None)
    if kcol is not None:
        kv = districts[kcol].astype("string").str.strip().str.zfill(4)
    else:
        idx = pd.Series(districts.index.astype(str), index=districts.index)
        if not idx.str.fullmatch(r"\d{4}([ABC]\d{4}|R\d{3})").all():
            return districts
        kv = idx.str[:4]
    kommuner = set(kv.dropna())
    if not kommuner or kommuner == {code}:
        return districts
    keep = (kv == code).to_numpy(dtype=bool, na_value=False)
    if not keep.any():
        raise InputError(
            f"The district layer holds districts of kommun {', '.join(sorted(kommuner)[:5])}"
            f"{' …' if len(kommuner) > 5 else ''} (by their kommun codes) but none of kommun {code}. "
            "Check the kommun (--kommun / [kommun] code) or give the district layer of this kommun.")
    out = districts.loc[keep]
    out.attrs = dict(districts.attrs)
    out.attrs.pop("_coverage", None)
    rep = dict(out.attrs.get("report", {}))
    rep["kommun_filter"] = {"kommun_code": code, "kept": int(keep.sum()), "of": len(districts)}
    out.attrs["report"] = rep
    return out


# ----------------------------------------------------------------------------------------
# Cells → districts
# ----------------------------------------------------------------------------------------


def cells_to_districts(
    cells: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    how: Literal["centroid", "area"] = "centroid",
) -> pd.DataFrame:
    """Map H3 cells (or any polygons) to districts.

    Parameters
    ----------
    cells
        GeoDataFrame with polygons (e.g. :func:`lagesbild_geo.grid.count_cells`,
        index ``cell``). Numeric count columns (``count``, ``count_<category>``) are
        carried along, multiplied by the share.
    districts
        From :func:`read_districts`.
    how
        ``"centroid"``: each cell wholly to the district containing its centre (the H3
        cell centre when the index holds H3 cells, else the polygon's centroid; share 1;
        the cell is an areal unit here, so this is a choice, not a point assignment).
        ``"area"``: shares by the area (EPSG:3006) of the cell in each district; the part
        outside every district becomes a row with ``district_code`` NA. Shares of a cell
        sum to 1, so totals are preserved.

    Returns
    -------
    DataFrame
        Long table: ``cell`` (the cells' index), ``district_code`` (NA: outside),
        ``share``, and every ``count*`` column times ``share``. Sum per district with
        ``.groupby("district_code", dropna=False).sum()``.

    Examples
    --------
    >>> import shapely, geopandas as gpd, pandas as pd
    >>> d = gpd.GeoDataFrame({"district_name": ["A", "B"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    ...     index=pd.Index(["A", "B"], name="district_code"), crs=4326)
    >>> c = gpd.GeoDataFrame({"count": [10]}, geometry=[shapely.box(0.5, 0.2, 1.5, 0.4)],
    ...     index=pd.Index([1], name="cell"), crs=4326)
    >>> cells_to_districts(c, d, how="area")[["district_code", "share"]].round(2).values.tolist()
    [['A', 0.5], ['B', 0.5]]
    """
    districts = _check_districts(districts, "cells_to_districts")
    if how not in ("centroid", "area"):
        raise InputError(f"cells_to_districts: how must be 'centroid' or 'area', got {how!r}.")
    if not isinstance(cells, gpd.GeoDataFrame):
        raise InputError(f"cells_to_districts: cells must be a GeoDataFrame with polygons, got {type(cells).__name__}.")
    if cells.crs is not None and CRS.from_user_input(cells.crs).to_epsg() != 4326:
        cells = cells.to_crs(4326)
    cell_name = cells.index.name or "cell"
    cell_ids = cells.index.to_numpy()
    count_cols = [c for c in cells.columns
                  if str(c).startswith("count") and pd.api.types.is_numeric_dtype(cells[c])]
    codes = np.asarray(districts.index, dtype=object)
    geoms = np.asarray(cells.geometry.array, dtype=object)
    if how == "centroid":
        pos = _cell_districts(cells, districts)
        cell_idx = np.arange(len(geoms))
        share = np.ones(len(geoms))
    else:
        dm = np.asarray(districts.to_crs(_METRIC_CRS).geometry.array, dtype=object)
        cm = np.asarray(gpd.GeoSeries(geoms, crs=4326).to_crs(_METRIC_CRS).array, dtype=object)
        tree = shapely.STRtree(dm)
        pairs = tree.query(cm, predicate="intersects")
        inter = shapely.area(shapely.intersection(cm[pairs[0]], dm[pairs[1]]))
        cell_area = shapely.area(cm)
        with np.errstate(divide="ignore", invalid="ignore"):
            sh = np.where(cell_area[pairs[0]] > 0, inter / cell_area[pairs[0]], 0.0)
        keep = sh > 1e-12
        ci, di, sh = pairs[0][keep], pairs[1][keep], sh[keep]
        tot = np.bincount(ci, weights=sh, minlength=len(cm))
        over = tot > 1.0  # overlapping districts: normalise so the cell still counts once
        sh = np.where(over[ci], sh / np.where(tot[ci] > 0, tot[ci], 1.0), sh)
        rest = np.where(over, 0.0, 1.0 - tot)
        out_cells = np.flatnonzero(rest > 1e-9)
        cell_idx = np.concatenate([ci, out_cells])
        pos = np.concatenate([di, np.full(out_cells.size, -1)]).astype(np.int64)
        share = np.concatenate([sh, rest[out_cells]])
        order = np.lexsort((np.where(pos < 0, len(codes), pos), cell_idx))
        cell_idx, pos, share = cell_idx[order], pos[order], share[order]
    with_na = np.array([*codes.tolist(), None], dtype=object)
    code_values = with_na[np.where(pos >= 0, pos, len(codes))]
    out = pd.DataFrame({
        cell_name: cell_ids[cell_idx],
        "district_code": pd.array(list(code_values), dtype="string"),
        "share": share.astype("float64"),
    })
    for c in count_cols:
        out[c] = cells[c].to_numpy(dtype="float64")[cell_idx] * share
    return out


# ----------------------------------------------------------------------------------------
# The per-district table
# ----------------------------------------------------------------------------------------

#: Swedish column headers of the summary table (for Excel/CSV exports and the report).
SUMMARY_LABELS_SV: dict[str, str] = {
    "district_code": "Distriktskod",
    "district_name": "Distrikt",
    "row_type": "Radtyp",
    "population": "Befolkning",
    "total": "Antal händelser",
    "per_1000": "Per 1 000 invånare",
    "share_of_total": "Andel av kommunens total",
    "total_previous": "Antal föregående period",
    "change": "Förändring (antal)",
    "change_pct": "Förändring (%)",
    "change_p": "p-värde förändring",
    "change_significant": "Säkerställd förändring",
    "change_direction": "Riktning",
    "top1": "Vanligaste kategori",
    "top2": "Näst vanligaste kategori",
    "top3": "Tredje vanligaste kategori",
    "n_cells": "Antal celler",
    "n_hot_cells": "Antal hotspotceller",
    "n_cold_cells": "Antal coldspotceller",
    "share_hot_cells": "Andel hotspotceller",
    "kommun_level": "Händelser bara på kommunnivå (hela kommunen)",
    "stadsdel_level": "Händelser på stadsdelsnivå som kan ligga här",
    **{f"count_{c}": f"Antal: {label}" for c, label in CATEGORY_LABELS.items()},
}

#: Swedish names of the summary's level rows.
LEVEL_ROW_NAMES_SV: dict[str, str] = {
    STADSDEL_CODE: "Bara känd stadsdel (flera områden)",
    KOMMUN_CODE: "Bara kommunnivå (inget område angivet)",
    OUTSIDE_CODE: "Utanför alla områden",
    TOTAL_CODE: "Hela kommunen",
}


def _in_period(incidents: pd.DataFrame, period: Period | None) -> npt.NDArray[np.bool_]:
    if period is None:
        return np.ones(len(incidents), dtype=bool)
    if "occurred_at" not in incidents.columns:
        raise SchemaError("summarize: incidents have no 'occurred_at' column; needed to select the period.")
    return in_period(incidents["occurred_at"], period)


def _row_positions(inc: pd.DataFrame, codes: pd.Index) -> npt.NDArray[np.int64]:
    """Summary row of each incident: its district's position; ``len(codes)`` stadsdel level,
    ``+1`` kommun level, ``+2`` outside every district; -1 for län-level rows (not the kommun's)."""
    nd = len(codes)
    dc, duniq = text_codes(inc["district_code"])  # a categorical's own codes (assign_districts')
    upos = codes.get_indexer(pd.Index(duniq))
    dpos = np.where(dc >= 0, np.append(upos, -1)[dc], -1).astype(np.int64)
    out = np.where(dpos >= 0, dpos, nd + 2)
    if "district_method" in inc.columns:
        mc, muniq = text_codes(inc["district_method"])
        extra = {"stadsdel": nd, "kommun": nd + 1, "lan": -1}
        umap = np.array([extra.get(str(u), nd + 2) for u in muniq] + [nd + 2], dtype=np.int64)
        by_method = umap[np.where(mc >= 0, mc, len(muniq))]
        out = np.where(dpos >= 0, dpos, by_method)
    elif "precision" in inc.columns:
        pr = inc["precision"].astype("string").fillna("").to_numpy(dtype=object)
        out = np.where((dpos < 0) & (pr == "stadsdel"), nd, out)
        out = np.where((dpos < 0) & (pr == "kommun"), nd + 1, out)
        out = np.where((dpos < 0) & (pr == "lan"), -1, out)
    return out


def _category_positions(inc: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Position of each incident's category in :data:`CATEGORIES` (unknown and missing: ``ovrigt``)."""
    cc, cuniq = text_codes(inc["category"])  # computed once per column (the read's codes)
    ucat = pd.Index(CATEGORIES).get_indexer(pd.Index(cuniq.astype(str)))
    ucat = np.where(ucat < 0, CATEGORIES.index("ovrigt"), ucat)
    return np.where(cc >= 0, np.append(ucat, CATEGORIES.index("ovrigt"))[cc],
                    CATEGORIES.index("ovrigt")).astype(np.int64)


def _count_matrix(dpos: npt.NDArray[np.int64], cat: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_],
                  nd: int) -> npt.NDArray[np.int64]:
    """Counts per summary row (districts, stadsdel level, kommun level, outside) × category,
    from each row's summary position (:func:`_row_positions`) and category position."""
    nc = len(CATEGORIES)
    keep = mask & (dpos >= 0)
    key = dpos[keep].astype(np.int64) * nc + cat[keep]
    return np.bincount(key, minlength=(nd + 3) * nc).reshape(nd + 3, nc)


def _stadsdel_overlaps(inc: pd.DataFrame, mask: npt.NDArray[np.bool_], codes: pd.Index) -> npt.NDArray[np.int64]:
    """Per district: stadsdel-level rows whose named area overlaps it (``place_districts``)."""
    out = np.zeros(len(codes), dtype=np.int64)
    if "place_districts" not in inc.columns or "precision" not in inc.columns:
        return out
    sel = mask & (inc["precision"].astype("string") == "stadsdel").to_numpy(dtype=bool, na_value=False)
    if not sel.any():
        return out
    lists = inc.loc[sel, "place_districts"].astype("string").fillna("").str.split(";").explode()
    pos = codes.get_indexer(pd.Index(lists.astype(str).to_numpy()))
    pos = pos[pos >= 0]
    return np.bincount(pos, minlength=len(codes)).astype(np.int64)


def _stadsdel_groups(inc: pd.DataFrame, mask: npt.NDArray[np.bool_], codes: pd.Index) -> dict[str, list[Any]]:
    """The period's stadsdel-level rows grouped by the districts their area overlaps: ``districts``
    (codes joined by ";", sorted) and ``count`` per group. A district's ``stadsdel_level`` is the
    sum of the groups that name it; the publishing step protects the groups' counts."""
    if "place_districts" not in inc.columns or "precision" not in inc.columns:
        return {"districts": [], "count": []}
    sel = mask & (inc["precision"].astype("string") == "stadsdel").to_numpy(dtype=bool, na_value=False)
    if not sel.any():
        return {"districts": [], "count": []}
    known = set(codes.astype(str))
    # the text of each distinct overlap once, not of every row
    raw = inc.loc[sel, "place_districts"].astype("string").fillna("").value_counts()
    keys = [";".join(sorted({c for c in str(v).split(";") if c in known})) for v in raw.index]
    vc = pd.Series(raw.to_numpy(), index=pd.Index(keys, dtype=object)).groupby(level=0).sum().sort_index()
    return {"districts": [str(k) for k in vc.index], "count": [int(v) for v in vc.to_numpy()]}


def summarize(
    incidents: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    period: str | Period | tuple[Any, Any] | Mapping[str, Any] | None,
    previous_period: str | Period | tuple[Any, Any] | Mapping[str, Any] | None = None,
    survey: pd.DataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    kommun_name: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The per-district lägesbild table: one row per district, rows for the levels above a
    district (stadsdel, kommun), an outside row and a total row.

    Parameters
    ----------
    incidents
        Placed incidents; assigned with :func:`assign_districts` first unless they
        already have ``district_code``. Every placed row counts once, at its own level:
        in its district, in the stadsdel row (known only in an area larger than a
        district), in the kommun row (known only in the kommun: the police feed's
        kommun-level rows, never in the district that holds the kommun's centre) or in
        the outside row. Rows at län level ("Uppsala län") are not the kommun's and are
        not counted (their number is in ``attrs["levels"]["lan_not_counted"]``).
    districts
        From :func:`read_districts`.
    period
        The period counted (see :func:`parse_period`); ``None`` counts every row.
    previous_period
        The period compared with; ``"previous"`` means the same-length period before.
    survey
        Trygghet indicators per district (a DataFrame indexed by district code, or with
        a ``district_code`` column, e.g. from :mod:`lagesbild_geo.survey`); its columns
        are joined as ``trygg_<column>``.
    hotspots
        Cells with ``hotspot_class`` (:func:`lagesbild_geo.hotspots.gistar`); cells go
        to the district containing their centroid.
    kommun_name
        Passed to :func:`assign_districts`.
    alpha
        Significance level for ``change_significant``.

    Returns
    -------
    DataFrame
        Index ``district_code`` (districts in layer order, then ``"_stadsdel"``,
        ``"_kommun"``, ``"_outside"`` and ``"_total"``); columns ``district_name``,
        ``row_type`` (district|stadsdel|kommun|outside|total), ``population``,
        ``count_<category>`` for every category, ``total``, ``per_1000``,
        ``share_of_total``, ``kommun_level`` (rows known only at kommun level, on every
        row), ``stadsdel_level`` (per district: stadsdel-level rows whose area overlaps
        it; on the other rows all stadsdel-level rows), ``top1``..``top3``; with a previous period
        ``total_previous``, ``change``, ``change_pct``, ``change_p``,
        ``change_significant``, ``change_direction`` (increase|decrease|no_change, from
        :func:`lagesbild_geo.hotspots.change`); with hotspots ``n_cells``, ``n_hot_cells``,
        ``n_cold_cells``, ``share_hot_cells``; with a survey the ``trygg_*`` columns.
        See ``docs/districts.md``; Swedish headers in :data:`SUMMARY_LABELS_SV`.
        ``attrs["levels"]`` counts the period's rows per level (district, stadsdel,
        kommun, outside, total, lan_not_counted); ``attrs["stadsdel_groups"]`` the
        stadsdel-level rows per set of overlapped districts (for the publishing step).

    Examples
    --------
    >>> import shapely, geopandas as gpd, pandas as pd
    >>> d = gpd.GeoDataFrame({"district_name": ["A"], "population": [2000.0]},
    ...     geometry=[shapely.box(17.0, 59.0, 17.1, 59.1)],
    ...     index=pd.Index(["A1"], name="district_code"), crs=4326)
    >>> inc = pd.DataFrame({"lat": [59.05, 59.06, 60.0], "lon": [17.05, 17.05, 17.0],
    ...     "category": ["vald", "stold", "vald"],
    ...     "occurred_at": pd.to_datetime(["2025-02-01"] * 3).tz_localize("Europe/Stockholm")})
    >>> s = summarize(inc, d, period="2025")
    >>> int(s.loc["A1", "total"]), float(s.loc["A1", "per_1000"]), int(s.loc["_outside", "total"])
    (2, 1.0, 1)
    """
    districts = _check_districts(districts, "summarize")
    if "category" not in incidents.columns:
        raise SchemaError("summarize: incidents have no 'category' column (canonical incident table expected).")
    inc = incidents
    if "district_code" not in inc.columns:
        inc = assign_districts(inc, districts, kommun_name=kommun_name)
    per, prev = _summary_periods(period, previous_period)
    codes = pd.Index(districts.index.astype(str), name="district_code")
    in_per = _in_period(inc, per)
    dpos, cat = _row_positions(inc, codes), _category_positions(inc)  # once for both periods
    mat = _count_matrix(dpos, cat, in_per, len(codes))
    out = _summary_counts(districts, codes, mat, _stadsdel_overlaps(inc, in_per, codes))
    if prev is not None:
        out = _with_change(out, inc, dpos, cat, per, prev, n_codes=len(codes), alpha=alpha)
    if hotspots is not None and len(hotspots):
        out = out.join(_hotspot_counts(hotspots, districts, out.index))
    if survey is not None:
        out = out.join(survey_columns(survey), how="left")
    out.attrs["period"] = per.to_dict() if per is not None else None
    out.attrs["previous_period"] = prev.to_dict() if prev is not None else None
    out.attrs["district_assignment"] = dict(inc.attrs.get("district_assignment", {}))
    out.attrs["levels"] = _levels(mat, len(codes), lan_rows=int((in_per & (dpos < 0)).sum()))
    out.attrs["stadsdel_groups"] = _stadsdel_groups(inc, in_per, codes)
    return out


def _with_change(out: pd.DataFrame, inc: pd.DataFrame, dpos: npt.NDArray[np.int64], cat: npt.NDArray[np.int64],
                 per: Period | None, prev: Period, *, n_codes: int, alpha: float) -> pd.DataFrame:
    """``out`` with the change columns against the previous period ``prev`` (rows counted from
    the row positions ``dpos`` and categories ``cat`` computed once for both periods)."""
    pmat = _count_matrix(dpos, cat, _in_period(inc, prev), n_codes)
    ptot = np.concatenate([pmat.sum(axis=1), [pmat.sum()]]).astype("int64")
    ratio = per.days / prev.days if per is not None else 1.0
    return out.assign(**_change_columns(out["total"].to_numpy(), ptot, ratio=ratio, alpha=alpha))


def _levels(mat: npt.NDArray[np.int64], nd: int, *, lan_rows: int) -> dict[str, int]:
    """The period's rows per level (the count matrix's rows: districts, stadsdel, kommun, outside)."""
    total = mat.sum(axis=1)
    return {"district": int(total[:nd].sum()), "stadsdel": int(total[nd]), "kommun": int(total[nd + 1]),
            "outside": int(total[nd + 2]), "total": int(total.sum()), "lan_not_counted": lan_rows}


def _summary_periods(period: str | Period | tuple[Any, Any] | Mapping[str, Any] | None,
                     previous_period: str | Period | tuple[Any, Any] | Mapping[str, Any] | None
                     ) -> tuple[Period | None, Period | None]:
    per = parse_period(period) if period is not None else None
    if isinstance(previous_period, str) and previous_period.strip().lower() in ("previous", "auto"):
        if per is None:
            raise InputError("summarize: previous_period='previous' needs a period.")
        return per, per.previous()
    return per, parse_period(previous_period) if previous_period is not None else None


def _summary_counts(districts: gpd.GeoDataFrame, codes: pd.Index, mat: npt.NDArray[np.int64],
                    overlaps: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Name, row type, population, counts per category, total, rate, share, the rows known only
    at kommun or stadsdel level (``overlaps``: per district, the stadsdel rows whose area
    overlaps it) and the top three categories of every row."""
    nd = len(codes)
    specials = [STADSDEL_CODE, KOMMUN_CODE, OUTSIDE_CODE, TOTAL_CODE]
    index = pd.Index([*codes, *specials], name="district_code")
    # the columns gathered first, the frame built once (a column inserted at a time costs
    # more than the arithmetic on a few thousand rows)
    cols: dict[str, Any] = {
        "district_name": [*districts["district_name"].astype(str).tolist(), *(LEVEL_ROW_NAMES_SV[c] for c in specials)],
        "row_type": ["district"] * nd + ["stadsdel", "kommun", "outside", "total"],
    }
    pop = districts["population"].to_numpy(dtype="float64") if "population" in districts else np.full(nd, np.nan)
    pop_total = float(pop.sum()) if nd and np.isfinite(pop).all() else np.nan
    pops = np.concatenate([pop, [np.nan, np.nan, np.nan, pop_total]])
    cols["population"] = pops
    full = np.vstack([mat, mat.sum(axis=0, keepdims=True)])
    for j, c in enumerate(CATEGORIES):
        cols[f"count_{c}"] = full[:, j].astype("int64")
    tot = full.sum(axis=1).astype("int64")
    grand = int(mat.sum())
    cols["total"] = tot
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["per_1000"] = np.where(pops > 0, tot / pops * 1000.0, np.nan)
        cols["share_of_total"] = tot / grand if grand else np.full(len(index), np.nan)
    # Beside every district's count: how many of the kommun's rows are known only at
    # kommun level (the same for every district) and how many only in a stadsdel that
    # overlaps this district (they may lie here).
    row_total = mat.sum(axis=1)
    n_kommun, n_stadsdel = int(row_total[nd + 1]), int(row_total[nd])
    cols["kommun_level"] = np.full(len(index), n_kommun, dtype="int64")
    cols["stadsdel_level"] = np.concatenate([overlaps, [n_stadsdel] * 4]).astype("int64")
    for k, top in enumerate(_top_three(full), start=1):
        cols[f"top{k}"] = pd.Series(top, index=index, dtype="string")
    return pd.DataFrame(cols, index=index)


def _top_three(full: npt.NDArray[np.int64]) -> list[list[Any]]:
    """The three most frequent categories of each row (None past the last one; ties: category order)."""
    order = np.argsort(-full, axis=1, kind="stable")
    cats = np.array(CATEGORIES, dtype=object)
    tops = []
    for k in range(3):
        kth = order[:, k]
        has = full[np.arange(len(full)), kth] > 0
        tops.append([c if h else None for c, h in zip(cats[kth].tolist(), has.tolist(), strict=True)])
    return tops


def _change_columns(tot: npt.NDArray[np.int64], ptot: npt.NDArray[np.int64], *, ratio: float,
                    alpha: float) -> dict[str, Any]:
    """Change from the previous period, with the Poisson caution of :func:`hotspots.change`
    (its conditional binomial test; ``ratio``: this period's length over the previous one's)."""
    index = pd.RangeIndex(len(tot))
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(ptot > 0, (tot - ptot) / ptot * 100.0, np.nan)
    ch = change(pd.DataFrame({"count": ptot}, index=index), pd.DataFrame({"count": tot}, index=index),
                exposure_ratio=ratio, alpha=alpha).reindex(index)
    return {"total_previous": ptot, "change": tot - ptot, "change_pct": pct,
            "change_p": ch["p_value"].to_numpy(dtype="float64"),
            "change_significant": ch["significant"].to_numpy(dtype=bool),
            "change_direction": ch["direction"].to_numpy()}


def _hotspot_counts(hotspots: pd.DataFrame, districts: gpd.GeoDataFrame, index: pd.Index) -> pd.DataFrame:
    """Cells, hot cells and cold cells per summary row (a cell goes where its centroid lies),
    and the share of hot cells."""
    if "hotspot_class" not in hotspots.columns:
        raise SchemaError("summarize: hotspots have no 'hotspot_class' column (use hotspots.gistar()).")
    if isinstance(hotspots, gpd.GeoDataFrame) and hotspots.crs is not None \
            and CRS.from_user_input(hotspots.crs).to_epsg() != 4326:
        hotspots = hotspots.to_crs(4326)
    pos = _cell_districts(hotspots, districts)
    # hot/cold per distinct class (seven at most), then counted per summary row
    ccodes, cuniq = pd.factorize(hotspots["hotspot_class"].astype(str), use_na_sentinel=False)
    labels = [str(u) for u in cuniq]
    hot = np.asarray([u.startswith("hot") for u in labels], dtype=bool)[ccodes]
    cold = np.asarray([u.startswith("cold") for u in labels], dtype=bool)[ccodes]
    # summary row of each district position (and of "outside", position -1): a lookup per
    # district, not a string per cell
    rows = index.get_indexer(pd.Index([*districts.index.astype(str).tolist(), OUTSIDE_CODE]))
    dpos = rows[pos]
    known = dpos >= 0
    nrow = len(index)
    counts = np.stack([np.bincount(dpos[known], minlength=nrow),
                       np.bincount(dpos[known], weights=hot[known], minlength=nrow).astype(np.int64),
                       np.bincount(dpos[known], weights=cold[known], minlength=nrow).astype(np.int64)],
                      axis=1).astype("int64")
    counts[index.get_loc(TOTAL_CODE)] = [len(dpos), int(hot.sum()), int(cold.sum())]  # every cell
    out = pd.DataFrame(counts, index=index, columns=["n_cells", "n_hot_cells", "n_cold_cells"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_hot_cells"] = np.where(out["n_cells"] > 0, out["n_hot_cells"] / out["n_cells"], np.nan)
    return out


def _cell_districts(cells: pd.DataFrame, districts: gpd.GeoDataFrame) -> npt.NDArray[np.int32]:
    """The district (position in ``districts``, -1 outside every district) of each cell's centre
    (cells in WGS84): H3 cells, a uint64 index, need no polygons (:func:`_locate_cells`), other
    cells are located by their polygons' centroids."""
    idx = cells.index
    if idx.dtype == np.uint64 and len(idx):
        try:
            return _locate_cells(districts, idx.to_numpy())
        except ValueError:  # not H3 cells: the polygons' centroids
            pass
    cent = shapely.centroid(np.asarray(cells.geometry.array, dtype=object))
    return _locate(districts, shapely.get_x(cent), shapely.get_y(cent))


def survey_columns(survey: pd.DataFrame) -> pd.DataFrame:
    """The survey's indicators by district code, as ``trygg_<column>`` (the columns
    :func:`summarize` joins to the district table).

    Examples
    --------
    >>> s = pd.DataFrame({"district_code": ["A1"], "n": [12], "otrygg_share": [0.25]})
    >>> survey_columns(s).to_dict("index")
    {'A1': {'trygg_n': 12, 'trygg_otrygg_share': 0.25}}
    """
    s = survey
    if "district_code" in s.columns:
        s = s.set_index("district_code")
    s = s.drop(columns=[c for c in s.columns if c == "geometry"], errors="ignore")
    s = pd.DataFrame(s)
    s.index = s.index.astype(str)
    return s.add_prefix("trygg_")
