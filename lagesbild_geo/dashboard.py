"""The coordinator's dashboard: the figures, tables and lists shown beside the map.

The app (``apps/``) only lays these out; a notebook gets exactly what the app shows:

* :class:`Filters`, :func:`filter_mask`, :func:`filtered_lagesbild`: the picture narrowed
  to a period, categories, hours and weekdays (cells, Gi*, clusters and the district
  table recomputed with the library's own steps);
* :func:`headline`, :func:`level_counts`, :func:`levels_text`, :func:`picture_notes`:
  the figures above the map and what the picture cannot show;
* :func:`district_table`, :func:`area_figures`, :func:`area_candidates`,
  :func:`followup_table`, :func:`followup_chart`, :func:`compare_packages`: the tables;
* :func:`trend_filters`, :func:`trend_table`, :func:`attention_items`: the trend panel
  (this period against the same period a year earlier, per month, category and
  district) and the "Behöver uppmärksamhet" list;
* :func:`table_sv`: any table as Swedish text (decimal comma, no-break thousands,
  Swedish dates, "–" for a missing value) through :mod:`lagesbild_geo.svformat`;
* :func:`risk_zones_map`: near-repeat risk zones on a small map.

Privacy: every figure comes from the publishing step
(:func:`lagesbild_geo.privacy.publishable`, or :func:`~lagesbild_geo.privacy.protect_table`
for an area's own table); a hidden figure stays missing and says why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from . import grid, hotspots, svformat
from .bundle import Lagesbild
from .districts import LEVEL_ROW_NAMES_SV, SUMMARY_LABELS_SV, district_code_kind
from .errors import InputError
from .followup import area_figures as _followup_area_figures
from .maps import BASE_OSM, empty_map
from .measures import Area, overdue_measures
from .period import instants
from .pipeline import filter_incidents, rebuild
from .privacy import hidden_kind, left_out_sv, protect_table, publishable
from .schema import CATEGORY_LABELS, POINT_PRECISIONS
from .settings import Settings

__all__ = [
    "PROTECTED",
    "TOO_FEW",
    "TOO_FEW_SHORT",
    "TREND_BY",
    "Filters",
    "area_candidates",
    "area_figures",
    "attention_items",
    "compare_packages",
    "district_table",
    "district_table_sv",
    "filter_mask",
    "filtered_lagesbild",
    "followup_chart",
    "followup_table",
    "headline",
    "level_counts",
    "levels_text",
    "overdue_items",
    "period_bounds",
    "picture_notes",
    "risk_zones_map",
    "table_sv",
    "trend_filters",
    "trend_periods",
    "trend_pictures",
    "trend_table",
    "trend_table_sv",
]

#: Text shown instead of a figure that rests on too few incidents.
TOO_FEW = "för få fall för att visas"
#: The same, short (a cell of a narrow table).
TOO_FEW_SHORT = "för få fall"
#: Text shown instead of a figure hidden so that a small one cannot be worked out.
PROTECTED = "dolt för att skydda små tal"
#: What :func:`trend_table` can be broken down by.
TREND_BY: tuple[str, ...] = ("month", "category", "district")

_LEVEL_ROWS = ("stadsdel", "kommun")


def _label(cat: Any) -> str:
    return CATEGORY_LABELS.get(str(cat), str(cat))


# ------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filters:
    """What the coordinator narrowed the picture to (hashable: a cache key).

    ``start``/``end`` are the first and last day (inclusive, naive dates as
    ``pd.Timestamp``); ``hours`` is ``(from, to)`` in whole hours, ``(22, 6)`` wrapping
    midnight; ``weekdays`` 0 = Monday; ``resolution`` the H3 resolution of the cells.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    categories: tuple[str, ...] = ()
    hours: tuple[int, int] = (0, 24)
    weekdays: tuple[int, ...] = ()
    resolution: int = 9

    @property
    def is_default(self) -> bool:
        """No narrowing (the resolution may still differ from the base picture's)."""
        return (self.start is None and self.end is None and not self.categories
                and self.hours == (0, 24) and not self.weekdays)


def filter_mask(incidents: pd.DataFrame, filters: Filters) -> npt.NDArray[np.bool_]:
    """Boolean mask of the incidents the filters keep (period, categories, hours, weekdays).

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"category": ["vald", "stold", "vald"],
    ...     "occurred_at": pd.to_datetime(["2025-01-01 23:00", "2025-01-02 12:00",
    ...                                    "2025-02-01 02:00"]).tz_localize("Europe/Stockholm")})
    >>> filter_mask(inc, Filters(categories=("vald",), hours=(22, 6))).tolist()
    [True, False, True]
    >>> filter_mask(inc, Filters(end=pd.Timestamp("2025-01-02"))).tolist()
    [True, True, False]
    """
    return filter_incidents(incidents, categories=filters.categories, start=filters.start,
                            end=filters.end, hours=filters.hours, weekdays=filters.weekdays)


def filtered_lagesbild(base: Lagesbild, filters: Filters) -> Lagesbild:
    """The picture of the incidents the filters keep.

    Cells, Gi*, clusters and the district table are recomputed with the library's own
    steps (the same ones ``build_lagesbild`` runs); with a period, the district table
    also counts the same-length period before it. Emerging hotspots stay those of
    every date (a trend needs the whole time line), and are left out at another
    resolution than the base picture's. The result is not published: pass it through
    :func:`lagesbild_geo.privacy.publishable` before showing it.

    Parameters
    ----------
    base
        The picture of every date (``build_lagesbild`` without a period).
    filters
        What to keep.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> base = example_lagesbild(clusters=False, emerging=False)
    >>> lb = filtered_lagesbild(base, Filters(categories=("vald",), hours=(22, 6)))
    >>> sorted(set(lb.incidents["category"].astype(str))), len(lb.incidents) < len(base.incidents)
    (['vald'], True)
    """
    return _filtered(base, filters)


def _filtered(base: Lagesbild, filters: Filters, *, cells: bool = True) -> Lagesbild:
    """:func:`filtered_lagesbild`; ``cells=False``: the district table only (see :func:`rebuild`)."""
    mask = filter_incidents(base.incidents, categories=filters.categories, hours=filters.hours,
                            weekdays=filters.weekdays)
    dated = filters.start is not None or filters.end is not None
    out = rebuild(base, mask, resolution=filters.resolution,
                  period=(filters.start, filters.end) if dated else None, cells=cells)
    if dated:  # the map page's bundle holds the period's incidents only
        keep = filter_incidents(out.incidents, start=filters.start, end=filters.end)
        out = dataclasses.replace(out, incidents=out.incidents.loc[keep])
    return out


def period_bounds(lb: Lagesbild) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last incident day of a picture (local midnight), or ``None`` without times.

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> inc = pd.DataFrame({"occurred_at": pd.to_datetime(["2025-03-02 10:00", "2025-01-05 23:00"])
    ...                     .tz_localize("Europe/Stockholm")})
    >>> lb = Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e,
    ...                clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> [str(d.date()) for d in period_bounds(lb)]
    ['2025-01-05', '2025-03-02']
    """
    t = lb.incidents.get("occurred_at") if len(lb.incidents) else None
    if t is None or t.dropna().empty:
        return None
    return t.min().normalize(), t.max().normalize()


# ------------------------------------------------------------------------------ headline


def level_counts(summary: pd.DataFrame | None) -> dict[str, int | None]:
    """Rows in a district / known only at stadsdel level / only at kommun level.

    From the (published) district table's level rows; ``None`` where the publishing
    step hid the value.

    Examples
    --------
    >>> s = pd.DataFrame({"row_type": ["district", "district", "kommun", "total"],
    ...                   "total": [10, None, 4, 20]})
    >>> level_counts(s)
    {'in_district': None, 'stadsdel_level': 0, 'kommun_level': 4}
    """
    out: dict[str, int | None] = {"in_district": None, "stadsdel_level": 0, "kommun_level": 0}
    if summary is None or not len(summary) or "row_type" not in summary.columns:
        return out
    kinds = summary["row_type"].astype(str)

    def total(mask: pd.Series) -> int | None:
        v = pd.to_numeric(summary.loc[mask, "total"], errors="coerce")
        return None if v.isna().any() else int(v.sum())

    out["in_district"] = total(kinds == "district")
    out["stadsdel_level"] = total(kinds == "stadsdel")
    out["kommun_level"] = total(kinds == "kommun")
    return out


def _published_levels(meta: Mapping[str, Any] | None) -> dict[str, int | None] | None:
    """The level figures as the publishing step protected them (``metadata.counts.levels``):
    the districts' sum is one protected value there, shown even when some districts are
    hidden, and hidden when the other levels would give it away."""
    counts = (meta or {}).get("counts")
    lv = counts.get("levels") if isinstance(counts, Mapping) else None
    if not isinstance(lv, Mapping) or "district" not in lv:
        return None
    return {"in_district": lv.get("district"), "stadsdel_level": lv.get("stadsdel", 0),
            "kommun_level": lv.get("kommun", 0)}


def headline(lb: Lagesbild) -> dict[str, Any]:
    """The figures shown above the map, from a published picture.

    Returns ``incidents`` (``None`` when the total is hidden, e.g. a filter that leaves
    fewer than ``min_count``), the :func:`level_counts`, ``hot`` and ``cold`` (cells
    classed ``hot_*``/``cold_*``), ``clusters`` and ``rejected`` (rows).

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> hs = pd.DataFrame({"hotspot_class": ["hot_99", "none", "cold_90", "hot_95"]})
    >>> lb = Lagesbild(incidents=pd.DataFrame({"x": range(7)}), rejected=pd.DataFrame(),
    ...                reports={}, cells=e, hotspots=hs, clusters=e, emerging=e, districts=e,
    ...                district_summary=pd.DataFrame())
    >>> h = headline(lb)
    >>> h["incidents"], h["hot"], h["cold"], h["clusters"]
    (7, 2, 1, 0)
    """
    hs = lb.hotspots
    cls = hs["hotspot_class"].astype(str) if len(hs) and "hotspot_class" in hs else pd.Series([], dtype=str)
    tot = (lb.tables or {}).get("totals")
    incidents: int | None = len(lb.incidents)
    if tot is not None and len(tot):
        v = tot["count"].iloc[0]
        incidents = None if pd.isna(v) else int(v)
    return {
        "incidents": incidents,
        **(_published_levels(lb.metadata) or level_counts(lb.district_summary)),
        "hot": int(cls.str.startswith("hot").sum()),
        "cold": int(cls.str.startswith("cold").sum()),
        "clusters": len(lb.clusters),
        "rejected": len(lb.rejected),
    }


def levels_text(figures: Mapping[str, Any]) -> str | None:
    """"1 071 händelser, varav 412 placerade på område …" when some rows are known only
    at stadsdel or kommun level (the police feed); ``None`` when every row is in a district.

    Examples
    --------
    >>> levels_text({"incidents": 30, "in_district": 12, "stadsdel_level": 0, "kommun_level": 18})[:60]
    '30 händelser, varav 12 placerade på område, 0 bara på stadsd'
    >>> levels_text({"incidents": 30, "in_district": 30, "stadsdel_level": 0, "kommun_level": 0}) is None
    True
    """
    if all(figures.get(k) == 0 for k in ("kommun_level", "stadsdel_level")):
        return None  # a hidden (None) level may hold incidents: say so

    def n(v: Any) -> str:
        return "(dolt)" if v is None else svformat.integer(v)

    return (f"{n(figures.get('incidents'))} händelser, varav {n(figures.get('in_district'))} placerade på "
            f"område, {n(figures.get('stadsdel_level'))} bara på stadsdelsnivå och "
            f"{n(figures.get('kommun_level'))} bara på kommunnivå. Händelser som bara är kända på kommun- "
            "eller stadsdelsnivå ritas inte in i något område; de står på egna rader i distriktstabellen.")


_NO_POINTS = ("Ingen händelse har en punkt- eller adressposition (till exempel bara polisens "
              "händelseflöde, vars positioner är kommunens mitt): hexagoner, hotspots och kluster "
              "blir tomma; distriktstabellen räknar rader efter namn.")


def picture_notes(lb: Lagesbild) -> list[str]:
    """Swedish notes on what the picture cannot show (e.g. only kommun-level positions) and
    what it leaves out (:func:`lagesbild_geo.privacy.left_out_sv`: give it the published bundle).

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame({"precision": ["place", "area"]}),
    ...                rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e, clusters=e,
    ...                emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> picture_notes(lb)[0][:44]
    'Ingen händelse har en punkt- eller adresspos'
    """
    notes = [*(lb.metadata or {}).get("notes_sv", []), *left_out_sv(lb)]
    inc = lb.incidents
    if (len(inc) and "precision" in inc.columns and not inc["precision"].isin(POINT_PRECISIONS).any()
            and _NO_POINTS not in notes):
        notes.append(_NO_POINTS)
    return notes


def filter_notes(lb: Lagesbild, *, hours: tuple[int, int] = (0, 24), weekdays: Sequence[int] = ()) -> list[str]:
    """Swedish notes on incidents a filter by hour or weekday cannot include: those whose date
    has no time of day (or is a month alone) have no hour, a month alone no weekday. Words,
    no counts (the reading reports say how many; a small number is not shown here).

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(),
    ...                reports={"a.csv": {"time": {"time_unknown": 3}}}, cells=e, hotspots=e, clusters=e,
    ...                emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> filter_notes(lb, hours=(22, 6))[0][:40]
    'Händelser med bara datum (utan klockslag'
    >>> filter_notes(lb)
    []
    """
    reports = [r for r in (lb.reports or {}).values() if isinstance(r, Mapping)]
    months = any(r.get("month_only") for r in reports)
    no_clock = any((r.get("time") or {}).get("time_unknown") or (r.get("time") or {}).get("date_only")
                   for r in reports)
    notes = []
    if tuple(hours) != (0, 24) and (months or no_clock):
        notes.append("Händelser med bara datum (utan klockslag) eller bara månad räknas inte när du väljer "
                     "tid på dygnet: deras klockslag är okänt.")
    if weekdays and months:
        notes.append("Händelser med bara månad räknas inte när du väljer veckodagar: deras dag är okänd.")
    return notes


# ------------------------------------------------------------------------------ tables

#: Columns of :func:`district_table`, in order (Swedish headers in the result).
DISTRICT_TABLE_COLUMNS: tuple[str, ...] = (
    "district_name", "population", "total", "per_1000", "share_of_total", "total_previous",
    "change_pct", "change_significant", "top1", "top2", "top3", "n_hot_cells",
    "trygg_otrygg_share", "trygg_n",
)
_DISTRICT_LABELS: dict[str, str] = {
    **SUMMARY_LABELS_SV, "district_name": "Distrikt", "note": "Anmärkning",
    "share_of_total": "Andel av kommunen (%)", "n_hot_cells": "Hotspot-hexagoner",
    "trygg_otrygg_share": "Otrygga, enkät (%)", "trygg_n": "Enkätsvar", "population": "Invånare",
}


_SUPPRESSION_COLUMNS = ("suppressed_primary", "suppressed_secondary")


def _records(frame: pd.DataFrame, *columns: str) -> list[dict[Any, Any]]:
    """Rows as dicts of only ``columns`` and the suppression lists (what ``hidden_kind`` reads)."""
    keep = [c for c in (*columns, *_SUPPRESSION_COLUMNS) if c in frame.columns]
    return frame[keep].to_dict(orient="records")


def _hidden_note(row: Mapping[Any, Any], *columns: str, short: bool = False) -> str:
    for c in columns:
        kind = hidden_kind(row, c)
        if kind is not None:
            return PROTECTED if kind == "protect" else (TOO_FEW_SHORT if short else TOO_FEW)
    return ""


def district_table(lb: Lagesbild, *, show_small: bool = False,
                   raw: Lagesbild | None = None) -> pd.DataFrame | None:
    """The per-district lägesbild table (districts and the kommun total) with Swedish headers.

    Privacy by default: the figures are the publishing step's
    (:func:`lagesbild_geo.privacy.publishable`): a count resting on fewer than
    ``min_count`` incidents, and any value that would reveal one, is missing with its
    rate, share and change, and the "Anmärkning" column says why ("för få fall för att
    visas" / "dolt för att skydda små tal"). ``show_small=True`` (asked for explicitly)
    shows ``raw``'s figures (or ``lb``'s as given). Numbers stay numbers (see
    :func:`district_table_sv` for the text shown); ``None`` without a district table.

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> s = pd.DataFrame({"district_name": ["Centrum", "Norr", "Söder", ""],
    ...     "row_type": ["district", "district", "district", "total"], "total": [12, 2, 9, 23]},
    ...     index=pd.Index(["C1", "N1", "S1", "_total"], name="district_code"))
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=e, clusters=e, emerging=e, districts=e, district_summary=s)
    >>> t = district_table(lb)
    >>> t["Distrikt"].tolist(), t["Antal händelser"].tolist()
    (['Centrum', 'Norr', 'Söder', 'Hela kommunen'], [12, <NA>, <NA>, 23])
    >>> t["Anmärkning"].tolist()
    ['', 'för få fall för att visas', 'dolt för att skydda små tal', '']
    """
    src = raw if show_small and raw is not None else (lb if show_small else publishable(lb))
    t = src.district_summary
    if t is None or len(t) == 0:
        return None
    t = pd.DataFrame(t.drop(columns="geometry", errors="ignore"))
    if "row_type" in t.columns:
        # the level rows (known only in a stadsdel / only in the kommun) when there are such rows
        level_row = t["row_type"].isin(list(_LEVEL_ROWS))
        t = t[t["row_type"].isin(["district", "total"]) | (level_row & (t["total"].fillna(1) > 0))]
        t = _most_first(t)
    recs = _records(t, "total", "total_previous")
    t = t[[c for c in DISTRICT_TABLE_COLUMNS if c in t.columns]].copy()
    if not show_small and "total" in t.columns:
        note = pd.Series([_hidden_note(r, "total", "total_previous") for r in recs], index=t.index, dtype=object)
        if note.ne("").any():
            t["note"] = note
    if "district_name" in t.columns:
        for code, name in LEVEL_ROW_NAMES_SV.items():
            if code in t.index:
                t.loc[code, "district_name"] = name
    for c in ("top1", "top2", "top3"):
        if c in t.columns:
            t[c] = pd.Series([_label(v) if isinstance(v, str) and v else None for v in t[c].tolist()],
                             index=t.index, dtype=object)
    if "change_significant" in t.columns:
        sig = t["change_significant"]
        t["change_significant"] = pd.Series(
            [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else ("ja" if v else "nej")
             for v in sig.tolist()], index=t.index, dtype=object)
    for c in ("share_of_total", "trygg_otrygg_share"):
        if c in t.columns:
            t[c] = (pd.to_numeric(t[c], errors="coerce").astype("float64") * 100).round(1)
    for c in ("per_1000", "change_pct"):
        if c in t.columns:
            t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64").round(1)
    for c in ("total", "total_previous", "n_hot_cells", "trygg_n", "population"):
        if c in t.columns:
            t[c] = pd.to_numeric(t[c], errors="coerce").round().astype("Int64")
    t.index.name = "Kod"
    return t.reset_index().rename(columns=_DISTRICT_LABELS)


def _most_first(t: pd.DataFrame) -> pd.DataFrame:
    """The district rows by their shown count, most first (a hidden count last, so the order
    tells nothing a hidden value holds; ties in the layer's order), then the level rows and
    the kommun total as they were."""
    if "total" not in t.columns:
        return t
    district = (t["row_type"] == "district").to_numpy()
    counts = pd.to_numeric(t["total"], errors="coerce")
    rows = t[district].assign(_n=counts[district]).sort_values("_n", ascending=False, kind="stable",
                                                                na_position="last")
    return pd.concat([rows.drop(columns="_n"), t[~district]])


def district_table_sv(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """:func:`district_table` as the text shown: Swedish number formats, "–" for a missing
    value, the level rows' internal codes (``_total`` …) left out of the code column.

    Examples
    --------
    >>> t = pd.DataFrame({"Kod": ["C1", "_total"], "Distrikt": ["Centrum", "Hela kommunen"],
    ...                   "Antal händelser": pd.array([1234, None], dtype="Int64")})
    >>> district_table_sv(t).to_dict("records")[1]
    {'Kod': '', 'Distrikt': 'Hela kommunen', 'Antal händelser': '–'}
    """
    if table is None:
        return None
    out = table_sv(table)
    if "Kod" in table.columns:
        out["Kod"] = ["" if str(c).startswith("_") else str(c) for c in table["Kod"]]
    return out


def area_figures(lb: Lagesbild, area: Area | Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Incidents inside an area by category (Swedish table) and the area's key figures.

    From :func:`lagesbild_geo.followup.area_figures`; the counts go through the
    publishing step (:func:`lagesbild_geo.privacy.protect_table`: hidden below
    ``min_count`` and where the area's total would reveal them; rates and shares go
    with their counts).

    Returns
    -------
    (DataFrame, dict)
        The table ("Kategori", "Antal i området", "Per km²", "Andel av kommunens (%)",
        "Anmärkning") and ``area_km2``, ``total`` (``None`` when hidden), ``hot_cells``.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": ["ran"] * 5 + ["stold"] * 2 + ["vald"] * 8, "lon": 17.11,
    ...                     "lat": 59.372, "precision": "point"}, index=range(15))
    >>> t, info = area_figures(inc, "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.37))")
    >>> t["Antal i området"].tolist(), info["total"]  # 2 is too few; 5 would give it away
    ([8, <NA>, <NA>], 15)
    >>> t["Anmärkning"].tolist()
    ['', 'dolt för att skydda små tal', 'för få fall för att visas']
    """
    f = _followup_area_figures(lb, area)
    settings = getattr(lb, "settings", None)
    min_count = settings.min_count if settings is not None else 3
    p = protect_table(f, ["count"], min_count=min_count, column_totals=True,
                      derived={"per_km2": "count", "share_pct": "count"})
    recs = _records(p, "count")
    notes = ["" if pd.notna(v) else (_hidden_note(r, "count") or TOO_FEW)
             for v, r in zip(p["count"].tolist(), recs, strict=True)]
    table = pd.DataFrame({
        "Kategori": p["label"].to_numpy(),
        "Antal i området": p["count"].astype("Int64").array,
        "Per km²": pd.to_numeric(p["per_km2"], errors="coerce").round(1).to_numpy(),
        "Andel av kommunens (%)": pd.to_numeric(p["share_pct"], errors="coerce").round(1).to_numpy(),
        "Anmärkning": notes,
    })
    info: dict[str, Any] = {str(k): v for k, v in f.attrs.items()}
    info["total"] = p.attrs["column_totals"].get("count") if len(f) else 0
    return table, info


def _hotspot_groups(hs: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Touching hot hexagons joined into areas, largest first."""
    hot = hs[hs["hotspot_class"].astype(str).str.startswith("hot")]
    if not len(hot):
        return []
    hot = hot.to_crs("EPSG:4326") if hot.crs is not None else hot
    geoms = hot.geometry.to_numpy()
    merged = shapely.union_all(shapely.buffer(geoms, 1e-7))  # touching hexagons join
    parts = list(getattr(merged, "geoms", [merged]))
    centres = shapely.centroid(geoms)
    hexes = np.asarray(grid.cells_to_str(hot.index.to_numpy()), dtype=object)
    rows = []
    for i, part in enumerate(sorted(parts, key=lambda g: -g.area), start=1):
        inside = hexes[shapely.contains(part, centres)].tolist()
        hexagons = "1 hexagon" if len(inside) == 1 else f"{svformat.integer(len(inside))} hexagoner"
        rows.append({"label": f"Hotspot-område {i} ({hexagons})",
                     "name": f"Hotspot-område {i}", "kind": "hotspot",
                     "source_id": ",".join(inside), "geometry": part})
    return rows


def area_candidates(lb: Lagesbild) -> pd.DataFrame:
    """Hotspot groups (touching hot hexagons), clusters and districts that can become areas.

    Returns
    -------
    DataFrame
        ``label`` (Swedish, for a list), ``name`` (a suggested area name), ``kind``
        (``hotspot``, ``cluster``, ``district``), ``source_id`` (the hexagons as H3
        strings joined by commas, the cluster id or the district code) and
        ``geometry`` (WGS84), hotspot groups largest first.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> d = gpd.GeoDataFrame({"district_name": ["Centrum"]}, geometry=[shapely.box(17, 59, 17.1, 59.1)],
    ...     index=pd.Index(["C1"], name="district_code"), crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=e, clusters=e, emerging=e, districts=d, district_summary=pd.DataFrame())
    >>> area_candidates(lb)[["label", "kind", "source_id"]].to_dict("records")
    [{'label': 'Område Centrum (C1)', 'kind': 'district', 'source_id': 'C1'}]
    """
    rows: list[dict[str, Any]] = []
    hs = lb.hotspots
    if hs is not None and len(hs) and "hotspot_class" in hs and "geometry" in hs:
        rows += _hotspot_groups(hs)
    cl = lb.clusters
    if cl is not None and len(cl) and "geometry" in cl:
        cl = cl.to_crs("EPSG:4326") if cl.crs is not None else cl
        for idx, r in cl.iterrows():
            cid = r.get("cluster_id", idx)
            n = r.get("n")
            rows.append({"label": f"Kluster {cid}" + (f" ({svformat.integer(n)} händelser)" if pd.notna(n) else ""),
                         "name": f"Kluster {cid}", "kind": "cluster", "source_id": str(cid),
                         "geometry": r.geometry})
    d = lb.districts
    if d is not None and len(d) and "geometry" in d:
        d = d.to_crs("EPSG:4326") if d.crs is not None else d
        for idx, r in d.iterrows():
            code = r.get("district_code", idx)
            name = r.get("district_name", code)
            rows.append({"label": f"{_district_label(code, name)} ({code})", "name": str(name), "kind": "district",
                         "source_id": str(code), "geometry": r.geometry})
    return pd.DataFrame(rows, columns=["label", "name", "kind", "source_id", "geometry"])


def _district_label(code: Any, name: Any) -> str:
    """A district's name with its kind by its code (DeSO, RegSO, else "Område"), the kind not
    repeated when the name already begins with it (SCB's "RegSO-Lindängen")."""
    kind = district_code_kind(code) or "Område"
    shown = str(name)
    return shown if shown.casefold().startswith(kind.casefold()) else f"{kind} {shown}"


_ZONE_SV = {"area": "Området", "buffer": "Buffertzon", "control": "Jämförelseområde"}


def followup_table(result: Any) -> pd.DataFrame:
    """A follow-up's before/after counts per zone, in Swedish (``FollowupResult.counts``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> c = pd.DataFrame({"before": [10, 4], "after": [6, 5], "change": [-4, 1],
    ...                   "change_pct": [-40.0, 25.0]}, index=["area", "buffer"])
    >>> followup_table(SimpleNamespace(counts=c))["Zon"].tolist()
    ['Området', 'Buffertzon']
    """
    c = result.counts
    return pd.DataFrame({
        "Zon": [_ZONE_SV.get(z, z) for z in c.index],
        "Före": c["before"].to_numpy(), "Efter": c["after"].to_numpy(),
        "Förändring": c["change"].to_numpy(),
        "Förändring (%)": pd.to_numeric(c["change_pct"], errors="coerce").round(1).to_numpy(),
    })


def followup_chart(result: Any) -> pd.DataFrame:
    """Monthly index (100 = the mean month before the start) for the area and the
    comparison, indexed by month (first day), Swedish series names.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> m = pd.DataFrame({"area_index": [90.0, 110.0], "control_index": [100.0, 98.0]},
    ...                  index=pd.to_datetime(["2025-01-01", "2025-02-01"]))
    >>> list(followup_chart(SimpleNamespace(monthly=m)).columns)
    ['Området', 'Jämförelseområde']
    """
    m = result.monthly
    cols = {"area_index": "Området", "control_index": "Jämförelseområde"}
    return m[[c for c in cols if c in m.columns]].rename(columns=cols)


def compare_packages(ours: Lagesbild, theirs: Lagesbild) -> pd.DataFrame:
    """Hotspots, areas with few crimes, clusters and districts on each side (our picture
    vs an imported package), from the published bundles.

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=pd.DataFrame({"hotspot_class": ["hot_95"]}), clusters=e, emerging=e,
    ...     districts=e, district_summary=pd.DataFrame())
    >>> compare_packages(lb, lb).iloc[0].tolist()
    [1, 0, 0, 0]
    """
    def row(lb: Lagesbild) -> dict[str, Any]:
        h = headline(lb)
        return {"Hotspots (hexagoner)": h["hot"], "Områden med få brott (hexagoner)": h["cold"],
                "Täta samlingar (kluster)": h["clusters"], "Distrikt": len(lb.districts)}

    return pd.DataFrame([row(ours), row(theirs)], index=["Kommunen (vår)", "Importerat paket"])


# ------------------------------------------------------------------------------ Swedish text


def _cell_sv(v: Any, *, decimals: int | None) -> str:
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return ", ".join(str(x) for x in v) or svformat.MISSING
    if svformat.is_missing(v):
        return svformat.MISSING
    if isinstance(v, (bool, np.bool_)):
        return "ja" if v else "nej"
    if isinstance(v, (int, np.integer)):
        return svformat.integer(v)
    if isinstance(v, (float, np.floating)):
        if decimals is None:
            return svformat.integer(v) if float(v).is_integer() else svformat.number(v, decimals=1)
        return svformat.number(v, decimals=decimals)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        local = svformat.to_local(v) if getattr(v, "tzinfo", None) is not None else v
        return svformat.date_sv(local) if (local.hour, local.minute) == (0, 0) else svformat.datetime_sv(v)
    if isinstance(v, dt.date):
        return svformat.date_sv(v)
    return str(v)


def table_sv(frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """A table as the text a coordinator reads: every cell a Swedish string.

    Numbers with decimal comma and no-break thousands (whole numbers without
    decimals, others with one unless ``decimals`` names the digits per column),
    ``ja``/``nej`` for truth values, dates in words ("5 december 2026"), times in
    Swedish local time, lists joined by commas and "–" for every missing value
    (never "None", "nan" or "<NA>").

    Examples
    --------
    >>> t = pd.DataFrame({"Antal": pd.array([1234, None], dtype="Int64"), "Andel": [12.5, float("nan")],
    ...                   "Datum": [dt.date(2026, 12, 5), None], "Klar": [True, None]})
    >>> table_sv(t).to_dict("records")
    [{'Antal': '1\\xa0234', 'Andel': '12,5', 'Datum': '5 december 2026', 'Klar': 'ja'}, {'Antal': '–', 'Andel': '–', 'Datum': '–', 'Klar': '–'}]
    """
    dec = dict(decimals or {})
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        values = frame[c].astype(object).tolist()
        d = dec.get(str(c))
        if d is None and pd.api.types.is_float_dtype(frame[c].dtype):
            finite = pd.to_numeric(frame[c], errors="coerce").dropna()
            d = 0 if len(finite) and bool((finite == finite.round()).all()) else 1
        out[c] = pd.Series([_cell_sv(v, decimals=d) for v in values], index=frame.index, dtype=object)
    return out


# ------------------------------------------------------------------------------ trends


def trend_filters(filters: Filters, span: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[Filters, Filters]:
    """The trend panel's two periods: this period and the same period a year earlier.

    This period is the chosen one (``filters.start``/``end``, an open end taken from the
    data ``span``), or the last twelve months of the data when none is chosen. The other
    filters (categories, hours, weekdays, resolution) are kept on both sides.

    Examples
    --------
    >>> span = (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    >>> now, before = trend_filters(Filters(), span)
    >>> str(now.start.date()), str(now.end.date()), str(before.start.date()), str(before.end.date())
    ('2025-01-01', '2025-12-31', '2024-01-01', '2024-12-31')
    >>> now, before = trend_filters(Filters(start=pd.Timestamp("2025-03-01"), categories=("vald",)), span)
    >>> str(before.start.date()), str(before.end.date()), before.categories
    ('2024-03-01', '2024-12-31', ('vald',))
    """
    first, last = (pd.Timestamp(span[0]).tz_localize(None).normalize(),
                   pd.Timestamp(span[1]).tz_localize(None).normalize())
    if filters.start is None and filters.end is None:
        end = last
        start = max(first, end - pd.DateOffset(years=1) + pd.Timedelta(days=1))
    else:
        start = filters.start if filters.start is not None else first
        end = filters.end if filters.end is not None else last
    year = pd.DateOffset(years=1)
    now = dataclasses.replace(filters, start=pd.Timestamp(start), end=pd.Timestamp(end))
    before = dataclasses.replace(filters, start=pd.Timestamp(start - year), end=pd.Timestamp(end - year))
    return now, before


def _published_counts(frame: pd.DataFrame | None, column: str) -> tuple[pd.Series, pd.Series]:
    """Counts of a published table (NA where hidden) and why each hidden one is hidden."""
    if frame is None or not len(frame) or column not in frame.columns:
        return pd.Series(dtype="Int64"), pd.Series(dtype=object)
    counts = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    why = pd.Series([_hidden_note(r, column, short=True) for r in _records(frame, column)],
                    index=frame.index, dtype=object)
    return counts, why


def trend_periods(filters: Filters, span: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[Filters, Filters, bool]:
    """:func:`trend_filters` and whether the data (first and last day ``span``) reach back to
    the start of the year before.

    Examples
    --------
    >>> span = (pd.Timestamp("2024-03-01"), pd.Timestamp("2025-12-31"))
    >>> trend_periods(Filters(), span)[2]  # the year before would begin 1 January 2024
    False
    """
    now, before = trend_filters(filters, span)
    first = pd.Timestamp(span[0])
    first = first.tz_localize(None) if first.tzinfo is not None else first
    return now, before, before.start is not None and before.start >= first.normalize()


def trend_pictures(base: Lagesbild, filters: Filters) -> list[Lagesbild]:
    """The trend panel's pictures under ``filters``, not yet published: this period, and the
    same period a year earlier when the data reach back that far (:func:`trend_periods`).

    Each holds what the trend panel shows of its period and nothing else: the district
    table's totals (no counts per category, no previous period), and the incidents, from
    which publishing counts the months, categories, hours and weekdays. No cells, hotspots,
    clusters or emerging hotspots: the map shows those from its own picture. What is not
    shown need not be protected, and every table left out is one the protection does not
    have to tie to the map's (for a kommun of 400 districts, the map and its trend panel
    were published together in 100 s with every table, in about 1 s without).

    Publish them together with the map's picture
    (:func:`lagesbild_geo.privacy.publishable_together`): published one at a time, a count
    hidden in one could be the difference of the other two.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> base = example_lagesbild(clusters=False, emerging=False, period=None, previous_period=None)
    >>> now, before = trend_pictures(base, Filters())
    >>> now.metadata["period"]["label"], before.metadata["period"]["label"]
    ('2025-01-01/2025-12-31', '2024-01-01/2024-12-31')
    >>> len(now.cells), "total" in now.district_summary, "count_vald" in now.district_summary
    (0, True, False)
    """
    span = period_bounds(base)
    if span is None:
        return []
    now_f, before_f, covered = trend_periods(filters, span)
    return [_trend_part(_filtered(base, f, cells=False)) for f in ((now_f, before_f) if covered else (now_f,))]


#: The district table's columns the trend panel shows (with the rows' names and kinds).
_TREND_COLUMNS = ("district_name", "row_type", "population", "total", "kommun_level", "stadsdel_level")


def _trend_part(lb: Lagesbild) -> Lagesbild:
    """``lb`` (made without cells) with only what the trend panel shows of its district table
    (see :func:`trend_pictures`)."""
    s = lb.district_summary
    # no survey layers and no density surface: the panel shows neither, and publishing them
    # was two thirds of the time it took to publish the map with its trend panel
    return dataclasses.replace(lb, district_summary=s[[c for c in s.columns if c in _TREND_COLUMNS]],
                               survey={}, metadata={**(lb.metadata or {}), "publish_density": False})


def _same_period(a: Any, b: Any) -> bool:
    """Two period records (``{"start": …, "end": …}``) cover the same instants."""
    when = instants(a)
    return when != (None, None) and when == instants(b)


def _trend_sides(current: Lagesbild, previous: Lagesbild, by: str, *, prev_column: str = "total"
                 ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """(counts and why-hidden of both sides, index in display order), labels; the districts'
    previous side is ``previous``'s ``prev_column``."""
    if by == "month":
        cur, cw = _published_counts(current.tables.get("months"), "count")
        prev, pw = _published_counts(previous.tables.get("months"), "count")
        # the same month a year earlier
        prev.index = pw.index = [f"{int(k[:4]) + 1}{k[4:]}" for k in prev.index.astype(str)]
        keys = pd.Index(sorted(set(cur.index.astype(str)) | set(prev.index)))
        labels = pd.Series([f"{svformat.month_sv(int(k[5:7]))} {k[:4]}" for k in keys], index=keys)
    elif by == "category":
        cur, cw = _published_counts(current.tables.get("categories"), "count")
        prev, pw = _published_counts(previous.tables.get("categories"), "count")
        seen = set(cur.index.astype(str)) | set(prev.index.astype(str))
        keys = pd.Index([c for c in CATEGORY_LABELS if c in seen] + sorted(seen - set(CATEGORY_LABELS)))
        labels = pd.Series([_label(k) for k in keys], index=keys)
    else:
        names: dict[str, str] = {}
        sides = []
        for lb, column in ((current, "total"), (previous, prev_column)):
            s = pd.DataFrame(lb.district_summary)
            if len(s) and "row_type" in s.columns:
                s = s[s["row_type"].isin(["district", *_LEVEL_ROWS, "outside"])]
                s = s[(s["row_type"] == "district") | (s[column].fillna(1) > 0)]
            s.index = s.index.astype(str)
            for code, name in s.get("district_name", pd.Series(dtype=object)).items():
                names.setdefault(str(code), LEVEL_ROW_NAMES_SV.get(str(code)) or str(name))
            sides.append(_published_counts(s, column))
        (cur, cw), (prev, pw) = sides
        keys = pd.Index(list(dict.fromkeys([*cur.index.astype(str), *prev.index.astype(str)])))
        labels = pd.Series([names.get(k, k) for k in keys], index=keys)
    frame = pd.DataFrame(index=keys)
    frame["current"] = cur.reindex(keys) if len(cur) else pd.Series(pd.NA, index=keys, dtype="Int64")
    frame["previous"] = prev.reindex(keys) if len(prev) else pd.Series(pd.NA, index=keys, dtype="Int64")
    frame["why_current"] = cw.reindex(keys).fillna("") if len(cw) else ""
    frame["why_previous"] = pw.reindex(keys).fillna("") if len(pw) else ""
    return frame, labels, keys.to_series()


def trend_table(current: Lagesbild, previous: Lagesbild | None, *, by: str = "month",
                alpha: float = 0.05, page: Lagesbild | None = None) -> pd.DataFrame:
    """This period against the same period a year earlier, per month, category or district.

    Both sides are the published pictures of the same filters over the two periods
    (see :func:`trend_filters`; an unpublished bundle is published first), so every
    count is one the publishing step shows for that period: a hidden count stays
    missing and ``note`` says "för få fall" (or "dolt för att skydda små tal"). A row
    missing on one side counts 0 there (a month of a period before the data began is
    then 0 too: look at the data's first day). ``direction`` comes from the exact
    conditional test of :func:`lagesbild_geo.hotspots.change` (two-sided, ``alpha``):
    ``increase``/``decrease`` only when the change is statistically significant,
    ``no_change`` otherwise, missing where a count is hidden.

    Parameters
    ----------
    current, previous
        Published (or publishable) pictures of this period and of the same period a
        year earlier; ``previous=None`` when the data do not reach back that far (the
        ``previous`` column is then missing throughout and nothing is compared).
    by
        ``"month"`` (the months of this period; a month a year earlier is compared with
        the same month), ``"category"`` or ``"district"`` (districts and the level rows).
    alpha
        Significance level of ``direction``.
    page
        The picture the rest of the page shows (the map's district table). Where it
        counts the same period as ``current``, its counts are taken instead, and where its
        previous period (``total_previous``) is the period of ``previous``, the districts'
        previous counts come from it: one published number per district and period on
        the page. Two publications of one count, each protected on its own, could give
        each other's hidden values away (a total shown in one beside the parts hidden in
        the other).

    Returns
    -------
    DataFrame
        Index: month (``YYYY-MM``), category id or district code; columns ``label``
        (Swedish), ``current``, ``previous`` (``Int64``, missing when hidden), ``change``,
        ``change_pct``, ``direction`` and ``note``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> def bundle(days, cats):
    ...     t = pd.to_datetime(days).tz_localize("Europe/Stockholm")
    ...     return Lagesbild(incidents=pd.DataFrame({"occurred_at": t, "category": cats}),
    ...         rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e, clusters=e, emerging=e,
    ...         districts=e, district_summary=pd.DataFrame())
    >>> now = bundle(["2025-01-05"] * 30 + ["2025-02-03"] * 2 + ["2025-03-03"] * 9, ["vald"] * 41)
    >>> before = bundle(["2024-01-07"] * 10 + ["2024-02-09"] * 6 + ["2024-03-09"] * 8, ["vald"] * 24)
    >>> t = trend_table(now, before, by="month")
    >>> t["label"].tolist(), t["current"].tolist(), t["previous"].tolist()
    (['januari 2025', 'februari 2025', 'mars 2025'], [30, <NA>, <NA>], [10, 6, 8])
    >>> t["direction"].tolist(), t["note"].tolist()  # 9 is hidden: it would give the 2 away
    (['increase', None, None], ['', 'för få fall', 'dolt för att skydda små tal'])
    """
    if by not in TREND_BY:
        raise InputError(f"trend_table: by must be one of {list(TREND_BY)}; got {by!r}.")
    cur_pub = publishable(current)
    prev_pub = publishable(previous) if previous is not None else _nothing(cur_pub)
    prev_src, prev_column = prev_pub, "total"
    if page is not None:
        on_page = publishable(page)
        meta = on_page.metadata or {}
        if _same_period(meta.get("period"), (cur_pub.metadata or {}).get("period")):
            cur_pub = on_page
        if (previous is not None and "total_previous" in on_page.district_summary.columns
                and _same_period(meta.get("previous_period"), (prev_pub.metadata or {}).get("period"))):
            prev_src, prev_column = on_page, "total_previous"
    frame, labels, _ = _trend_sides(cur_pub, prev_src if by == "district" else prev_pub, by,
                                    prev_column=prev_column if by == "district" else "total")
    if previous is None:
        frame["previous"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
        frame["why_previous"] = ""
    if by == "month":  # the months of this period only
        months = set(pd.Index(cur_pub.tables.get("months", pd.DataFrame()).index).astype(str))
        frame = frame.loc[[k for k in frame.index if k in months]]
    c = frame["current"].fillna(0).where(~frame["why_current"].astype(bool), pd.NA).astype("Int64")
    p = frame["previous"].fillna(0).where(~frame["why_previous"].astype(bool), pd.NA).astype("Int64")
    if previous is None:
        p = frame["previous"].astype("Int64")
    shown = c.notna() & p.notna()
    change = (c - p).where(shown)
    pct = pd.Series(np.nan, index=frame.index, dtype="float64")
    ok = shown & (p > 0)
    pct[ok.to_numpy(dtype=bool)] = ((c[ok] - p[ok]).astype("float64") / p[ok].astype("float64") * 100).round(1)
    direction = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if bool(shown.any()):
        test = hotspots.change(pd.DataFrame({"count": p[shown].astype("int64")}),
                               pd.DataFrame({"count": c[shown].astype("int64")}), alpha=alpha)
        direction[shown.to_numpy(dtype=bool)] = test["direction"].reindex(frame.index[shown.to_numpy(dtype=bool)]).to_numpy()
    note = [w_c or w_p for w_c, w_p in zip(frame["why_current"], frame["why_previous"], strict=True)]
    return pd.DataFrame({"label": labels.reindex(frame.index).to_numpy(), "current": c, "previous": p,
                         "change": change.astype("Int64"), "change_pct": pct, "direction": direction,
                         "note": note}, index=frame.index)


def _nothing(lb: Lagesbild) -> Lagesbild:
    """An empty side (no counts at all) shaped like ``lb``."""
    return dataclasses.replace(lb, district_summary=lb.district_summary.iloc[0:0], tables={})


_DIRECTION_SV = {"increase": "säkerställd ökning", "decrease": "säkerställd minskning",
                 "no_change": "ingen säkerställd förändring"}
_TREND_FIRST = {"month": "Månad", "category": "Kategori", "district": "Distrikt"}


def trend_table_sv(table: pd.DataFrame, *, by: str = "month") -> pd.DataFrame:
    """:func:`trend_table` as the text shown: Swedish headers and numbers, "för få fall"
    (or "dolt") in a hidden count's own cell, "–" for a change that cannot be given.

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["januari 2025"], "current": pd.array([None], dtype="Int64"),
    ...     "previous": pd.array([1200], dtype="Int64"), "change": pd.array([None], dtype="Int64"),
    ...     "change_pct": [float("nan")], "direction": [None], "note": ["för få fall"]})
    >>> trend_table_sv(t).iloc[0].tolist()
    ['januari 2025', 'för få fall', '1\\xa0200', '–', '–', '–']
    """
    def counts(col: str) -> list[str]:
        return [note if pd.isna(v) and note else svformat.integer(v)
                for v, note in zip(table[col].tolist(), table["note"].tolist(), strict=True)]

    return pd.DataFrame({
        _TREND_FIRST.get(by, "Rad"): table["label"].astype(str).to_numpy(),
        "Perioden": counts("current"),
        "Året innan": counts("previous"),
        "Förändring": [svformat.number(v) if not svformat.is_missing(v) else svformat.MISSING
                       for v in table["change"].tolist()],
        "Förändring (%)": [svformat.number(v, decimals=1) for v in table["change_pct"].tolist()],
        "Bedömning": [_DIRECTION_SV.get(str(d), svformat.MISSING) if d is not None else svformat.MISSING
                      for d in table["direction"].tolist()],
    })


# ------------------------------------------------------------------------------ attention

_EMERGING_ATTENTION: dict[str, str] = {
    "new_hot": "Ny hotspot", "intensifying_hot": "Hotspot som förstärks",
    "consecutive_hot": "Hotspot som återkommit flera perioder i rad",
}


def _district_of(points: gpd.GeoSeries, districts: gpd.GeoDataFrame | None) -> list[str]:
    """The name of the district each point lies in ("utanför distrikten" elsewhere)."""
    out = ["utanför distrikten"] * len(points)
    if districts is None or not len(districts) or "geometry" not in districts:
        return out
    d = districts.to_crs("EPSG:4326") if districts.crs is not None else districts
    names = (d["district_name"] if "district_name" in d.columns else pd.Series(d.index, index=d.index)).astype(str)
    tree = shapely.STRtree(d.geometry.to_numpy())
    pts, polys = tree.query(points.to_numpy(), predicate="within")
    for i, j in zip(pts.tolist(), polys.tolist(), strict=True):
        out[i] = names.iloc[j]
    return out


def _emerging_items(current: Lagesbild) -> list[dict[str, Any]]:
    em = current.emerging
    if em is None or not len(em) or "emerging_class" not in em.columns or "geometry" not in em:
        return []
    em = em[em["emerging_class"].astype(str).isin(list(_EMERGING_ATTENTION))]
    if not len(em):
        return []
    em = em.to_crs("EPSG:4326") if em.crs is not None else em
    where = _district_of(gpd.GeoSeries(shapely.centroid(em.geometry.to_numpy()), crs="EPSG:4326"),
                         current.districts)
    groups = pd.DataFrame({"cls": em["emerging_class"].astype(str).to_numpy(), "where": where})
    items = []
    for key, n in groups.value_counts(sort=False).items():
        cls, place = str(key[0]), str(key[1])  # type: ignore[index]
        hexes = "1 hexagon" if n == 1 else f"{svformat.integer(n)} hexagoner"
        items.append({"kind": "hotspot", "ref": f"{cls}:{place}", "order": (list(_EMERGING_ATTENTION).index(cls), -n),
                      "text": f"{_EMERGING_ATTENTION[cls]} i {place} ({hexes})."})
    return sorted(items, key=lambda r: r["order"])


def _district_items(trend: pd.DataFrame) -> list[dict[str, Any]]:
    rising = trend[trend["direction"].astype(str) == "increase"]
    items = []
    for code, r in rising.sort_values("change", ascending=False).iterrows():
        pct = "" if pd.isna(r["change_pct"]) else f"{svformat.number(r['change_pct'], decimals=0)} % fler, "
        items.append({"kind": "district", "ref": str(code), "order": (0, -int(r["change"])),
                      "text": (f"{r['label']}: {pct}{svformat.integer(r['current'])} händelser mot "
                               f"{svformat.integer(r['previous'])} samma period året innan "
                               "(en statistiskt säkerställd ökning).")})
    return items


def _measure_items(measures: pd.DataFrame, today: dt.date | None) -> list[dict[str, Any]]:
    late = overdue_measures(measures, today=today)
    items = []
    for mid, r in late.iterrows():
        area = r.get("area_name")
        where = f" ({area})" if isinstance(area, str) and area else ""
        days = int(r["days_overdue"])
        ago = "i går" if days == 1 else f"för {svformat.integer(days)} dagar sedan"
        items.append({"kind": "measure", "ref": str(mid), "order": (0, -days),
                      "text": (f"Uppföljningen av åtgärden ”{r.get('title', '')}”{where} skulle ha gjorts "
                               f"{svformat.date_sv(pd.Timestamp(r['next_followup']).date())}, {ago}.")})
    return items


_ATTENTION_COLUMNS = ["kind", "ref", "text"]


def _items_frame(items: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{k: r[k] for k in _ATTENTION_COLUMNS} for r in items], columns=_ATTENTION_COLUMNS)


def overdue_items(measures: pd.DataFrame, *, today: dt.date | None = None) -> pd.DataFrame:
    """The measures part of :func:`attention_items`: one Swedish sentence per open measure
    whose follow-up date has passed (:func:`lagesbild_geo.measures.overdue_measures`),
    most overdue first.

    Examples
    --------
    >>> m = pd.DataFrame({"title": ["Belysning"], "area_name": ["Torget"], "status": ["planerad"],
    ...                   "next_followup": pd.to_datetime(["2026-12-05"])}, index=["m1"])
    >>> overdue_items(m, today=dt.date(2026, 12, 6))["text"].tolist()
    ['Uppföljningen av åtgärden ”Belysning” (Torget) skulle ha gjorts 5 december 2026, i går.']
    """
    return _items_frame(_measure_items(measures, today) if len(measures) else [])


def attention_items(current: Lagesbild, previous: Lagesbild | None, *,
                    measures: pd.DataFrame | None = None, today: dt.date | None = None,
                    alpha: float = 0.05, page: Lagesbild | None = None) -> pd.DataFrame:
    """What needs attention, in plain Swedish: overdue follow-ups, districts with a
    significant rise, new and intensifying hotspots.

    * **Measures** whose follow-up date has passed while they are still open
      (:func:`lagesbild_geo.measures.overdue_measures`), most overdue first.
    * **Districts** (and the level rows) whose count rose significantly against the
      same period a year earlier (:func:`trend_table` by district: published counts and
      the exact conditional test at ``alpha``), largest rise first.
    * **Hotspots** of the emerging layer classed new, intensifying or consecutive
      (``emerging_class``), grouped by class and the district they lie in.

    Parameters
    ----------
    current, previous
        Published (or publishable) pictures of this period and the same period a year
        earlier (see :func:`trend_filters`); ``previous=None`` leaves the districts out
        (the data do not reach back a year).
    measures
        ``MeasureStore.list_measures()``; ``None`` leaves measures out.
    today
        The date overdue is counted from (default today in Swedish time).
    alpha
        Significance level of a district's rise.
    page
        The picture the rest of the page shows (see :func:`trend_table`); its emerging
        hotspots are the ones listed (the trend's pictures, :func:`trend_pictures`, have none).

    Returns
    -------
    DataFrame
        ``kind`` (``measure``, ``district``, ``hotspot``), ``ref`` (measure id, district
        code, or class and place) and ``text`` (one Swedish sentence), in that order.

    Examples
    --------
    >>> import geopandas as gpd
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> empty = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=e, clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> m = pd.DataFrame({"title": ["Belysning"], "area_name": ["Torget"], "status": ["pågående"],
    ...                   "next_followup": pd.to_datetime(["2026-11-01"])}, index=["m1"])
    >>> attention_items(empty, empty, measures=m, today=dt.date(2026, 12, 6))["text"].tolist()
    ['Uppföljningen av åtgärden ”Belysning” (Torget) skulle ha gjorts 1 november 2026, för 35 dagar sedan.']
    """
    items: list[dict[str, Any]] = []
    if measures is not None and len(measures):
        items += _measure_items(measures, today)
    cur_pub = publishable(current)
    if previous is not None and len(cur_pub.district_summary):
        items += _district_items(trend_table(cur_pub, publishable(previous), by="district", alpha=alpha,
                                             page=page))
    # the map's emerging hotspots when it is given (those of every date, as the periods')
    items += _emerging_items(publishable(page) if page is not None else cur_pub)
    return _items_frame(items)


# ------------------------------------------------------------------------------ near repeats


def risk_zones_map(zones: gpd.GeoDataFrame, *, base: str | None = BASE_OSM, settings: Settings | None = None,
                   assets: str | None = None, height: int | str = 420) -> folium.Map:
    """Near-repeat risk zones (:func:`lagesbild_geo.nearrepeat.risk_zones`) on a small map,
    each with its Swedish text as tooltip; the view fits the zones. ``base``/``settings``
    choose the base map as for every map (:func:`lagesbild_geo.maps.empty_map`).

    The zones tell roughly where recent events happened: for internal use and
    grannsamverkan, not for publication.

    Examples
    --------
    >>> z = gpd.GeoDataFrame({"text_sv": ["Förhöjd risk till och med 7 december inom 200 m"]},
    ...                      geometry=[shapely.box(17.10, 59.36, 17.11, 59.37)], crs="EPSG:4326")
    >>> m = risk_zones_map(z, base="ingen")
    >>> "7 december" in m.get_root().render()
    True
    """
    m = empty_map(base=base, settings=settings, assets=assets, height=height)
    if len(zones):
        z = zones.to_crs("EPSG:4326") if zones.crs is not None else zones
        texts = z["text_sv"].astype(str) if "text_sv" in z.columns else pd.Series("Riskzon", index=z.index)
        fc = json.loads(gpd.GeoDataFrame({"text": [html.escape(t) for t in texts]},
                                         geometry=z.geometry.to_numpy(), crs="EPSG:4326").to_json())
        folium.GeoJson(fc, name="Riskzoner", tooltip=folium.GeoJsonTooltip(fields=["text"], labels=False),
                       style_function=lambda _f: {"color": "#7a0177", "weight": 2, "fillColor": "#c51b8a",
                                                  "fillOpacity": 0.15}).add_to(m)
        b = z.total_bounds
        m.fit_bounds([[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]])
    return m
