"""The model of areas and measures (åtgärder): what they hold and the rules they obey.

An :class:`Area` (område) is a named polygon a coordinator drew or imported; a
:class:`Measure` (åtgärd) belongs to an area and says which crime categories it
targets, who is responsible, when it runs and how it is followed up.

This module needs no store: :func:`validate_measure`, :func:`validate_area` and
:func:`validate_geometry` run the same checks as the store does (for forms), and
:class:`MeasureStoreProtocol` is the typed interface every store offers (the SQLite
file and the PostgreSQL server), for code that only uses a store.

Examples
--------
>>> clean, problems = validate_measure({"area_id": "a1", "title": "Belysning",
...     "target_categories": ["Skadegörelse och klotter", "ran"]})
>>> clean["target_categories"], clean["status"], problems
(('skadegorelse', 'ran'), 'planerad', [])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from .. import _geometry
from ..errors import InputError, ValidationError
from ..limits import DEFAULT_LIMITS, check_vertices
from ..names import find_kommun
from ..schema import CATEGORIES, CATEGORY_LABELS, fold

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "ACTORS",
    "AREA_FIELDS",
    "CAUSE_TAGS",
    "DRAWN_ON_FIELDS",
    "MAX_AREA_KM2",
    "MEASURE_FIELDS",
    "META_FIELDS",
    "MIN_AREA_M2",
    "STATUSES",
    "Area",
    "Measure",
    "MeasureStoreProtocol",
    "Problem",
    "StoreExport",
    "json_value",
    "overdue_measures",
    "parse_categories",
    "parse_date",
    "parse_kommun",
    "parse_status",
    "require_date",
    "require_window",
    "to_3006",
    "validate_area",
    "validate_geometry",
    "validate_measure",
]

#: Status values, in plan order (stored exactly like this).
STATUSES: tuple[str, ...] = ("planerad", "pågående", "genomförd", "avbruten")
#: Responsible actors: stored id → Swedish label.
ACTORS: dict[str, str] = {
    "forvaltning": "Kommunens förvaltning",
    "bolag": "Kommunalt bolag",
    "polisen": "Polisen",
    "fastighetsagare": "Fastighetsägare",
    "naringsliv": "Näringsliv",
    "civilsamhalle": "Civilsamhälle",
    "annan": "Annan",
}
#: Suggested cause tags (others are accepted; tags are stored lower case).
CAUSE_TAGS: tuple[str, ...] = (
    "belysning", "folksamling", "skadegörelse", "droger", "trafikmiljö", "nedskräpning",
    "skymd sikt", "alkohol", "ungdomar", "otrygghet", "bostadsmiljö", "utemiljö",
)
#: Largest accepted area. Sweden's largest kommun (Kiruna) is ~20 000 km²; an area
#: a measure acts on is a neighbourhood, a centre or at most a town, so anything over
#: 2 500 km² is almost surely a drawing or CRS mistake.
MAX_AREA_KM2 = 2500.0
#: Smallest accepted area (a degenerate sliver is refused).
MIN_AREA_M2 = 1.0
#: Environment variable that names the default store file.
_SWEDEN = (10.0, 55.0, 24.5, 69.5)  # lon/lat box, as Settings.bounds_wgs84

_STATUS_BY_FOLD = {fold(s): s for s in STATUSES} | {
    "planned": "planerad", "ongoing": "pågående", "done": "genomförd", "completed": "genomförd",
    "cancelled": "avbruten", "canceled": "avbruten", "in progress": "pågående",
}
_ACTOR_BY_FOLD = {fold(k): k for k in ACTORS} | {fold(v): k for k, v in ACTORS.items()} | {
    "kommunen": "forvaltning", "forvaltningen": "forvaltning", "kommunalt bostadsbolag": "bolag",
    "bostadsbolag": "bolag", "polis": "polisen", "foreningsliv": "civilsamhalle",
    "other": "annan", "ovrig": "annan", "ovrigt": "annan",
}
_CATEGORY_BY_FOLD = {fold(k): k for k in CATEGORIES} | {
    fold(v): k for k, v in CATEGORY_LABELS.items()}

_TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)


#: The note on an area an import finds already in the store (the same name and boundary:
#: the same file imported twice), which is then not added again.
ALREADY_IN_STORE = ("already in the store (the same name and boundary): not imported again",
                    "finns redan (samma namn och gräns): importerades inte igen")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Area:
    """An area (område): a named polygon in WGS84 (lon/lat).

    Attributes
    ----------
    id
        UUID (string).
    name, description
        What people call it and why it was drawn.
    geometry
        Valid Polygon or MultiPolygon, WGS84 lon/lat.
    source_cells
        H3 cells (hex strings) the area was drawn from, if any.
    source_cluster
        Id of the density cluster it was drawn from, if any.
    drawn_kommun
        The kommun of the data the area was drawn on: its 4-digit code, or its name
        when the data named no known kommun (Exempelkommun); ``None`` when unknown
        (imported areas, stores older than schema version 3).
    drawn_dataset, drawn_dataset_label
        The data set the area was drawn on: its stable identity (``"sha256:…"``, see
        :func:`lagesbild_geo.measures.dataset_of`) and a label people read (file
        names and period); ``None`` when unknown. A follow-up on other data checks
        that the data still cover the area (:func:`lagesbild_geo.measures.check_coverage`).
    version
        Increases by one with every saved change (optimistic locking).
    created_at, updated_at, deleted_at
        UTC ISO 8601 timestamps (``deleted_at`` is ``None`` unless soft-deleted).
    created_by, updated_by, deleted_by
        User names.
    notes
        ``(English, Swedish)`` notes from validation of the last save, e.g. that the
        geometry was repaired. Not stored.
    """

    id: str
    name: str
    geometry: BaseGeometry
    description: str = ""
    source_cells: tuple[str, ...] = ()
    source_cluster: str | None = None
    drawn_kommun: str | None = None
    drawn_dataset: str | None = None
    drawn_dataset_label: str | None = None
    version: int = 1
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    updated_by: str = ""
    deleted_at: str | None = None
    deleted_by: str | None = None
    notes: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_deleted(self) -> bool:
        """True when soft-deleted."""
        return self.deleted_at is not None

    @property
    def area_km2(self) -> float:
        """Area in km² (computed in SWEREF 99 TM)."""
        return float(to_3006(self.geometry).area) / 1e6

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the stored fields (geometry as a GeoJSON dict; no notes)."""
        return _area_json(self)


@dataclass(frozen=True)
class Measure:
    """A measure (åtgärd) in an area.

    Attributes
    ----------
    id, area_id
        UUIDs (strings).
    title, description
        What is done.
    target_categories
        Canonical category ids the measure targets (at least one).
    problem
        The problem or cause it addresses (free text).
    cause_tags
        Short tags for the cause (see :data:`CAUSE_TAGS`), lower case.
    responsible
        Responsible actor id (a key of :data:`ACTORS`) or ``None`` when not decided.
    partners
        Partner names (free text).
    start_date, end_date
        Dates (end ≥ start).
    status
        One of :data:`STATUSES`.
    indicator
        The follow-up indicator (what is measured).
    next_followup
        Date of the next follow-up.
    cost
        Cost in kronor (≥ 0) or ``None``.
    agreement
        The samverkansöverenskommelse it belongs to (free text).
    version, created_at, created_by, updated_at, updated_by, deleted_at, deleted_by
        As for :class:`Area`.
    """

    id: str
    area_id: str
    title: str
    target_categories: tuple[str, ...]
    description: str = ""
    problem: str = ""
    cause_tags: tuple[str, ...] = ()
    responsible: str | None = None
    partners: tuple[str, ...] = ()
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    status: str = "planerad"
    indicator: str = ""
    next_followup: dt.date | None = None
    cost: float | None = None
    agreement: str = ""
    version: int = 1
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    updated_by: str = ""
    deleted_at: str | None = None
    deleted_by: str | None = None

    @property
    def is_deleted(self) -> bool:
        """True when soft-deleted."""
        return self.deleted_at is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings, tuples as lists)."""
        return _measure_json(self)


#: Fields of a measure a caller may set (``add_measure`` keywords / ``update_measure`` keys).
MEASURE_FIELDS: tuple[str, ...] = (
    "area_id", "title", "description", "target_categories", "problem", "cause_tags",
    "responsible", "partners", "start_date", "end_date", "status", "indicator",
    "next_followup", "cost", "agreement",
)
#: Fields of a measure that hold a date (``datetime.date`` or ``None``).
DATE_FIELDS: tuple[str, ...] = ("start_date", "end_date", "next_followup")
#: Fields of a measure that hold a list (a tuple of texts).
LIST_FIELDS: tuple[str, ...] = ("target_categories", "cause_tags", "partners")
#: Fields of an area a caller may set.
AREA_FIELDS: tuple[str, ...] = ("name", "geometry", "description", "source_cells",
                                "source_cluster", "drawn_kommun", "drawn_dataset",
                                "drawn_dataset_label")
#: Fields that tie an area to the data it was drawn on (schema version 3).
DRAWN_ON_FIELDS: tuple[str, ...] = ("drawn_kommun", "drawn_dataset", "drawn_dataset_label")
#: Bookkeeping fields every stored area and measure has (set by the store, not by callers).
META_FIELDS: tuple[str, ...] = ("version", "created_at", "created_by", "updated_at", "updated_by",
                                "deleted_at", "deleted_by")


# ----------------------------------------------------------------------- validation

#: One validation problem: ``(field, English, Swedish)``.
Problem = tuple[str, str, str]


def to_3006(geom: BaseGeometry) -> BaseGeometry:
    """A WGS84 lon/lat geometry in SWEREF 99 TM metres (EPSG:3006), for areas and distances.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(to_3006(box(17.10, 59.37, 17.12, 59.375)).area / 1e6, 3)
    0.633
    """
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TO_3006.transform(xy[:, 0], xy[:, 1])))


def _parse_geometry(value: object) -> BaseGeometry:
    if isinstance(value, BaseGeometry):
        return value
    if isinstance(value, Mapping):
        obj: Any = value
        if obj.get("type") == "FeatureCollection":
            feats = obj.get("features") or []
            if len(feats) != 1:
                raise ValueError(f"a FeatureCollection with {len(feats)} features (one expected)")
            obj = feats[0]
        if obj.get("type") == "Feature":
            obj = obj.get("geometry")
            if obj is None:
                raise ValueError("a GeoJSON Feature without geometry")
        return shape(obj)
    if isinstance(value, bytes | bytearray | memoryview):
        return shapely.from_wkb(bytes(value))
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            return _parse_geometry(json.loads(text))
        return shapely.from_wkt(text)
    raise TypeError(f"a {type(value).__name__}")


def validate_geometry(value: object, *, field_name: str = "geometry"
                      ) -> tuple[BaseGeometry | None, list[Problem], list[tuple[str, str]]]:
    """Check and repair an area geometry.

    Accepts a shapely geometry, a GeoJSON dict (geometry, Feature, or a
    FeatureCollection holding one Feature: what streamlit-folium's draw tool
    returns), a GeoJSON string, WKT or WKB, in WGS84 lon/lat.

    Rules: Polygon or MultiPolygon only; invalid rings are repaired with
    ``shapely.make_valid`` (reported in the notes) and refused when nothing
    polygonal survives; refused when empty, smaller than 1 m², larger than
    :data:`MAX_AREA_KM2`, or outside Sweden (coordinates that look like SWEREF 99 TM
    metres or swapped lat/lon are named as such). Z values are dropped; a
    MultiPolygon with one part becomes a Polygon.

    Returns
    -------
    (geometry, problems, notes)
        The cleaned geometry (``None`` when refused), the problems as
        ``(field, English, Swedish)`` and the notes as ``(English, Swedish)``.

    Examples
    --------
    >>> g, problems, notes = validate_geometry(
    ...     "POLYGON ((17.10 59.37, 17.12 59.38, 17.12 59.37, 17.10 59.38, 17.10 59.37))")
    >>> g.geom_type, problems, notes[0][0][:29]
    ('MultiPolygon', [], 'The geometry was self-crossin')
    """
    notes: list[tuple[str, str]] = []
    try:
        geom = _polygon_from(value)
        _check_inside_sweden(geom)
        _check_vertex_count(geom)
        geom = _repaired(geom, notes)
        _check_size(geom)
    except _Refused as refused:
        return None, [(field_name, refused.en, refused.sv)], notes
    return geom, [], notes


class _Refused(Exception):
    """A geometry refused by one step of :func:`validate_geometry` (English, Swedish)."""

    def __init__(self, en: str, sv: str) -> None:
        super().__init__(en)
        self.en, self.sv = en, sv


def _polygon_from(value: object) -> BaseGeometry:
    """Step 1: a readable, non-empty 2D Polygon/MultiPolygon with finite coordinates."""
    try:
        geom = _parse_geometry(value)
    except Exception as exc:
        raise _Refused(f"cannot be read as a geometry ({exc}); give a shapely Polygon, "
                       "a GeoJSON dict or WKT in lon/lat",
                       f"kan inte läsas som en geometri ({exc}); ange en polygon som GeoJSON "
                       "eller WKT i lon/lat") from None
    if geom is None or geom.is_empty:
        raise _Refused("is empty; draw a polygon with at least three corners",
                       "är tom; rita en polygon med minst tre hörn")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise _Refused(f"must be a Polygon or MultiPolygon, got a {geom.geom_type}; "
                       "draw the area as a polygon",
                       f"måste vara en polygon, fick en {geom.geom_type}; rita området "
                       "som en polygon")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise _Refused("has missing or infinite coordinates",
                       "har saknade eller oändliga koordinater")
    return geom


def _check_inside_sweden(geom: BaseGeometry) -> None:
    """Step 2: lon/lat inside Sweden; metres and swapped axes are named as such."""
    minx, miny, maxx, maxy = geom.bounds
    lon0, lat0, lon1, lat1 = _SWEDEN
    if lon0 <= minx and maxx <= lon1 and lat0 <= miny and maxy <= lat1:
        return
    if maxx > 1000 or maxy > 1000:
        hint_en = ("the coordinates look like metres (SWEREF 99 TM?); transform to WGS84 "
                   "lon/lat (EPSG:4326) first, e.g. GeoSeries.to_crs(4326)")
        hint_sv = ("koordinaterna ser ut som meter (SWEREF 99 TM?); gör om till WGS84 "
                   "lon/lat (EPSG:4326) först")
    elif lat0 <= minx and maxx <= lat1 and lon0 <= miny and maxy <= lon1:
        hint_en = "longitude and latitude look swapped; give (lon, lat) pairs"
        hint_sv = "longitud och latitud ser ut att ha bytt plats; ange (lon, lat)"
    else:
        hint_en = "draw the area inside the kommun"
        hint_sv = "rita området inom kommunen"
    raise _Refused(f"lies outside Sweden (bounds {minx:.4f}, {miny:.4f}, {maxx:.4f}, "
                   f"{maxy:.4f}; expected lon {lon0}–{lon1}, lat {lat0}–{lat1}); " + hint_en,
                   f"ligger utanför Sverige; {hint_sv}")


def _check_vertex_count(geom: BaseGeometry) -> None:
    """Step 3: no polygon beyond the vertex limit (validity checks would take minutes)."""
    try:
        check_vertices([geom], name="the area", limits=DEFAULT_LIMITS)
    except InputError:
        n = int(shapely.get_num_coordinates(geom))
        lim = DEFAULT_LIMITS.max_polygon_vertices
        raise _Refused(f"has a polygon with more than {lim:,} vertices ({n:,} points); simplify "
                       "it first (QGIS: Vector → Geometry Tools → Simplify, tolerance 1 m)",
                       f"har en polygon med fler än {lim:,} hörn ({n:,} punkter); förenkla den "
                       "först (QGIS: Vektor → Geometriverktyg → Förenkla, tolerans 1 m)"
                       ) from None


def _repaired(geom: BaseGeometry, notes: list[tuple[str, str]]) -> BaseGeometry:
    """Step 4: invalid rings repaired (a note says so); a one-part MultiPolygon unwrapped."""
    if not bool(_geometry.is_valid(geom)):
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        polys = [g for g in getattr(repaired, "geoms", [repaired])
                 if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
        if not polys:
            raise _Refused(f"crosses itself beyond repair ({reason}); nothing polygonal "
                           "is left after repair; redraw the area",
                           f"korsar sig själv så att den inte kan lagas ({reason}); "
                           "rita om området")
        repaired = shapely.unary_union(polys)
        if repaired.geom_type not in ("Polygon", "MultiPolygon") or repaired.is_empty:
            raise _Refused(f"crosses itself beyond repair ({reason}); redraw the area",
                           f"korsar sig själv så att den inte kan lagas ({reason}); "
                           "rita om området")
        notes.append((f"The geometry was self-crossing or invalid ({reason}) and was repaired "
                      f"into a {repaired.geom_type}; check the area on the map.",
                      f"Geometrin korsade sig själv eller var ogiltig ({reason}) och har "
                      "lagats; kontrollera området på kartan."))
        geom = repaired
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        geom = geom.geoms[0]  # GIS layers promote polygons to one-part multipolygons
    return geom


def _check_size(geom: BaseGeometry) -> None:
    """Step 5: at least :data:`MIN_AREA_M2`, at most :data:`MAX_AREA_KM2` (in SWEREF 99 TM)."""
    area_m2 = float(to_3006(geom).area)
    if area_m2 < MIN_AREA_M2:
        raise _Refused(f"has no area ({area_m2:.2f} m²); draw a polygon, not a line",
                       f"saknar yta ({area_m2:.2f} m²); rita en polygon, inte en linje")
    if area_m2 / 1e6 > MAX_AREA_KM2:
        raise _Refused(f"covers {area_m2 / 1e6:,.0f} km², more than the {MAX_AREA_KM2:,.0f} km² "
                       "allowed for an area; draw the part of the kommun the measure acts on",
                       f"täcker {area_m2 / 1e6:,.0f} km², mer än tillåtna {MAX_AREA_KM2:,.0f} "
                       "km²; rita den del av kommunen som åtgärden gäller")


def _text(value: object, f: str, problems: list[Problem], *, required: bool = False,
          max_len: int = 10_000) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = ""
    if not isinstance(value, str):
        problems.append((f, f"must be text, got {type(value).__name__}",
                         f"måste vara text, fick {type(value).__name__}"))
        return ""
    value = value.strip()
    if required and not value:
        problems.append((f, "is required and cannot be blank", "måste fyllas i"))
    if len(value) > max_len:
        problems.append((f, f"is longer than {max_len} characters", f"är längre än {max_len} tecken"))
    return value


def _text_list(value: object, f: str, problems: list[Problem], *, lower: bool = False
               ) -> tuple[str, ...]:
    if value is None:
        return ()
    items: list[object]
    if isinstance(value, str):
        items = [p for p in value.replace(";", ",").split(",")]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        problems.append((f, f"must be a list of text, got {type(value).__name__}",
                         f"måste vara en lista med text, fick {type(value).__name__}"))
        return ()
    out: list[str] = []
    for it in items:
        if not isinstance(it, str):
            problems.append((f, f"must contain text only, got {it!r}",
                             f"får bara innehålla text, fick {it!r}"))
            continue
        s = " ".join(it.split())
        s = s.lower() if lower else s
        if s and s not in out:
            out.append(s)
    return tuple(out)


#: Years a measure's dates may fall in (as the incident reader's times: a year 2999 is a typo,
#: and pandas cannot hold it as a date).
DATE_YEARS = (1900, 2200)


def parse_date(value: object, f: str, problems: list[Problem]) -> dt.date | None:
    """A date from a ``date``, ``datetime``, ``Timestamp`` or ``"YYYY-MM-DD…"`` text.

    Empty values (``None``, ``""``, NaN, NaT) give ``None``; anything else that is not a
    date appends a problem for field ``f`` to ``problems`` and gives ``None``.

    Examples
    --------
    >>> problems = []
    >>> parse_date("2024-03-01T08:00", "start_date", problems), parse_date("1 mars", "x", problems)
    (datetime.date(2024, 3, 1), None)
    >>> problems[0][:2]
    ('x', "must be a date as YYYY-MM-DD, got '1 mars'")
    >>> parse_date("2999-01-01", "next_followup", problems), problems[1][1]
    (None, 'must be a date in the years 1900–2200, got 2999-01-01')
    """
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    date: dt.date | None = None
    if isinstance(value, dt.datetime | pd.Timestamp):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            date = None
    if date is not None:
        if DATE_YEARS[0] <= date.year <= DATE_YEARS[1]:
            return date
        problems.append((f, f"must be a date in the years {DATE_YEARS[0]}–{DATE_YEARS[1]}, got {date}",
                         f"måste vara ett datum mellan år {DATE_YEARS[0]} och {DATE_YEARS[1]}, fick {date}"))
        return None
    problems.append((f, f"must be a date as YYYY-MM-DD, got {value!r}",
                     f"måste vara ett datum som ÅÅÅÅ-MM-DD, fick {value!r}"))
    return None


def parse_categories(value: object, problems: list[Problem]) -> tuple[str, ...]:
    """Canonical category ids from ids or Swedish labels (a list, or text split on ``,``/``;``).

    At least one known category is required; unknown ones append a problem for
    ``target_categories`` to ``problems``. Duplicates are dropped, order is kept.

    Examples
    --------
    >>> parse_categories("Rån; skadegorelse, rån", [])
    ('ran', 'skadegorelse')
    """
    f = "target_categories"
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    if value is None or not isinstance(value, Iterable):
        problems.append((f, "needs at least one crime category (e.g. 'skadegorelse')",
                         "ange minst en brottskategori"))
        return ()
    out: list[str] = []
    unknown: list[str] = []
    for v in value:
        cat = _CATEGORY_BY_FOLD.get(fold(v)) if isinstance(v, str) else None
        if cat is None:
            unknown.append(repr(v))
        elif cat not in out:
            out.append(cat)
    if unknown:
        problems.append((f, f"unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                            f"{', '.join(unknown)}; use ids or labels of "
                            f"{', '.join(CATEGORIES)}",
                         f"okänd brottskategori {', '.join(unknown)}; välj bland "
                         f"{', '.join(CATEGORY_LABELS.values())}"))
    elif not out:
        problems.append((f, "needs at least one crime category (e.g. 'skadegorelse')",
                         "ange minst en brottskategori"))
    return tuple(out)


def parse_status(value: object) -> str | None:
    """The stored status for a status as people write it, or ``None`` when unknown.

    Accepts the Swedish statuses with or without å/ä/ö (``pagaende``) and English
    (``planned``, ``ongoing``, ``done``, ``cancelled``).

    Examples
    --------
    >>> parse_status("Pagaende"), parse_status("done"), parse_status("klar")
    ('pågående', 'genomförd', None)
    """
    return _STATUS_BY_FOLD.get(fold(value)) if isinstance(value, str) else None


def parse_kommun(value: object) -> str | None:
    """A kommun as its 4-digit code: ``"0180"``, ``"180"`` and ``180`` give ``"0180"``, a
    name gives its SCB code (``"Stockholms stad"`` → ``"0180"``); ``None`` or blank gives
    ``None``. Any 4-digit code is accepted (Exempelkommun is ``"9999"``).

    Raises :class:`~lagesbild_geo.errors.InputError` for an unknown name.

    Examples
    --------
    >>> parse_kommun(180), parse_kommun("Göteborg"), parse_kommun(None)
    ('0180', '1480', None)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text.isdigit() and len(text) <= 4:
        return text.zfill(4)
    return find_kommun(text).code


def validate_measure(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Check and normalise the user-settable fields of a measure.

    Every rule is checked and every problem returned (nothing is raised here):
    title required; at least one target category, each a canonical id or its
    Swedish label (stored as ids); status one of :data:`STATUSES` (English
    ``planned``… accepted); responsible actor one of :data:`ACTORS` (id or label) or
    empty; dates as dates, ``end_date ≥ start_date``; cost a finite number ≥ 0.

    Examples
    --------
    >>> clean, problems = validate_measure({"area_id": "a1", "title": "Belysning",
    ...     "target_categories": ["Rån"], "status": "pagaende", "cost": -5})
    >>> clean["target_categories"], clean["status"], [p[0] for p in problems]
    (('ran',), 'pågående', ['cost'])
    """
    problems: list[Problem] = []
    unknown = sorted(set(values) - set(MEASURE_FIELDS))
    if unknown:
        problems.append(("", f"unknown field(s) {', '.join(unknown)}; known fields are "
                             f"{', '.join(MEASURE_FIELDS)}",
                         f"okända fält {', '.join(unknown)}"))
    out: dict[str, Any] = {}
    out["area_id"] = _text(values.get("area_id"), "area_id", problems, required=True)
    out["title"] = _text(values.get("title"), "title", problems, required=True, max_len=300)
    out["description"] = _text(values.get("description"), "description", problems)
    out["target_categories"] = parse_categories(values.get("target_categories"), problems)
    out["problem"] = _text(values.get("problem"), "problem", problems)
    out["cause_tags"] = _text_list(values.get("cause_tags"), "cause_tags", problems, lower=True)
    resp = values.get("responsible")
    if resp is None or (isinstance(resp, str) and not resp.strip()) or (
            isinstance(resp, float) and math.isnan(resp)):
        out["responsible"] = None
    else:
        actor = _ACTOR_BY_FOLD.get(fold(resp)) if isinstance(resp, str) else None
        if actor is None:
            problems.append(("responsible", f"unknown actor {resp!r}; use one of "
                                            f"{', '.join(ACTORS)}",
                             f"okänd ansvarig aktör {resp!r}; välj bland "
                             f"{', '.join(ACTORS.values())}"))
        out["responsible"] = actor
    out["partners"] = _text_list(values.get("partners"), "partners", problems)
    out["start_date"] = parse_date(values.get("start_date"), "start_date", problems)
    out["end_date"] = parse_date(values.get("end_date"), "end_date", problems)
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        problems.append(("end_date", f"{out['end_date']} is before the start date "
                                     f"{out['start_date']}; the end must be on or after the start",
                         f"{out['end_date']} är före startdatum {out['start_date']}; "
                         "slutdatum måste vara samma dag eller senare"))
    status = values.get("status", "planerad")
    st = parse_status(status)
    if st is None:
        problems.append(("status", f"unknown status {status!r}; use one of {', '.join(STATUSES)}",
                         f"okänd status {status!r}; välj bland {', '.join(STATUSES)}"))
    out["status"] = st or "planerad"
    out["indicator"] = _text(values.get("indicator"), "indicator", problems)
    out["next_followup"] = parse_date(values.get("next_followup"), "next_followup", problems)
    cost = values.get("cost")
    if cost is None or (isinstance(cost, str) and not cost.strip()):
        out["cost"] = None
    else:
        try:
            c = float(cost.replace(" ", "").replace(",", ".")) if isinstance(cost, str) \
                else float(cost)
            if isinstance(cost, bool):
                raise TypeError
        except (TypeError, ValueError):
            c = float("nan")
        if not math.isfinite(c):
            problems.append(("cost", f"must be a number of kronor, got {cost!r}",
                             f"måste vara ett belopp i kronor, fick {cost!r}"))
            out["cost"] = None
        elif c < 0:
            problems.append(("cost", f"cannot be negative, got {c:g}",
                             f"kan inte vara negativ, fick {c:g}"))
            out["cost"] = None
        else:
            out["cost"] = c
    out["agreement"] = _text(values.get("agreement"), "agreement", problems)
    return out, problems


def validate_area(values: Mapping[str, Any]
                  ) -> tuple[dict[str, Any], list[Problem], list[tuple[str, str]]]:
    """Check and normalise the user-settable fields of an area (:data:`AREA_FIELDS`).

    Name required (≤ 200 characters); the geometry by :func:`validate_geometry`;
    ``source_cells`` as H3 cells (uint64 or hex, stored as lower-case hex).

    Returns
    -------
    (values, problems, notes)
        As :func:`validate_measure`, plus the geometry notes ``(English, Swedish)``.

    Examples
    --------
    >>> clean, problems, notes = validate_area({"name": " Torget ", "source_cells": [0x89089A4C263FFFF],
    ...     "geometry": "POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))"})
    >>> clean["name"], clean["source_cells"], problems
    ('Torget', ('89089a4c263ffff',), [])
    """
    problems: list[Problem] = []
    unknown = sorted(set(values) - set(AREA_FIELDS))
    if unknown:
        problems.append(("", f"unknown field(s) {', '.join(unknown)}; known fields are "
                             f"{', '.join(AREA_FIELDS)}", f"okända fält {', '.join(unknown)}"))
    out: dict[str, Any] = {}
    out["name"] = _text(values.get("name"), "name", problems, required=True, max_len=200)
    out["description"] = _text(values.get("description"), "description", problems)
    geom, gprob, notes = validate_geometry(values.get("geometry"))
    problems += gprob
    out["geometry"] = geom
    cells = values.get("source_cells")
    out_cells: list[str] = []
    for c in (cells if cells is not None else []):
        if isinstance(c, int | np.integer) and not isinstance(c, bool):
            out_cells.append(format(int(c), "x"))
        elif isinstance(c, str) and c.strip() and all(ch in "0123456789abcdefABCDEF"
                                                      for ch in c.strip()):
            out_cells.append(c.strip().lower())
        else:
            problems.append(("source_cells", f"{c!r} is not an H3 cell (uint64 or hex string)",
                             f"{c!r} är inte en H3-cell"))
    out["source_cells"] = tuple(dict.fromkeys(out_cells))
    sc = values.get("source_cluster")
    missing = sc is None or (isinstance(sc, float) and math.isnan(sc)) or str(sc).strip() == ""
    out["source_cluster"] = None if missing else str(sc).strip()
    out["drawn_kommun"] = _drawn_kommun(values.get("drawn_kommun"), problems)
    for f, max_len in (("drawn_dataset", 200), ("drawn_dataset_label", 500)):
        text = _text(values.get(f), f, problems, max_len=max_len)
        out[f] = text or None
    return out, problems, notes


def _drawn_kommun(value: object, problems: list[Problem]) -> str | None:
    """A kommun code when the value names a known kommun, else the name as given."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _text(value, "drawn_kommun", problems, max_len=100)
    if not text:
        return None
    try:
        return parse_kommun(text)
    except InputError:
        if text.isdigit():
            problems.append(("drawn_kommun", f"{text!r} is not a kommun code (4 digits)",
                             f"{text!r} är ingen kommunkod (4 siffror)"))
            return None
        return text  # a kommun the name list does not know (Exempelkommun)


# ------------------------------------------------------------------ (de)serialising


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _measure_json(m: Measure) -> dict[str, Any]:
    d = dataclasses.asdict(m)
    for k in DATE_FIELDS:
        d[k] = _iso(d[k])
    for k in LIST_FIELDS:
        d[k] = list(d[k])
    return d


def _area_json(a: Area) -> dict[str, Any]:
    d = {k: getattr(a, k) for k in ("id", "name", "description", "source_cluster",
                                    *DRAWN_ON_FIELDS, *META_FIELDS)}
    d["source_cells"] = list(a.source_cells)
    d["geometry"] = mapping(a.geometry)
    return d


def json_value(v: Any) -> Any:
    """A field value as JSON wants it: dates as ISO text, tuples as lists, geometries as
    GeoJSON dicts; other values unchanged.

    Examples
    --------
    >>> json_value(dt.date(2024, 3, 1)), json_value(("ran", "vald"))
    ('2024-03-01', ['ran', 'vald'])
    """
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, BaseGeometry):
        return mapping(v)
    return v



# ------------------------------------------------------------------------- protocol


@dataclass(frozen=True)
class StoreExport:
    """The checked content of a store export: records ready to be written back as they
    were (geometries as shapely objects in WGS84, lists as tuples, dates as dates,
    timestamps as UTC ISO text), in their original order."""

    kommun: str | None
    schema_version: int
    created_at: str
    areas: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    audit: list[dict[str, Any]]



@runtime_checkable
class MeasureStoreProtocol(Protocol):
    """What every measure store offers, whatever keeps the data.

    :class:`~lagesbild_geo.measures.MeasureStore` satisfies it on both backends (an
    SQLite file and a PostgreSQL/PostGIS server). Code that only *uses* a store
    (follow-up, export, report, the app) is typed with this protocol, so it needs
    neither the store module nor a particular backend. Rules and errors are those of
    :class:`~lagesbild_geo.measures.MeasureStore` (see ``docs/measures.md``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lagesbild_geo.measures import MeasureStore
    >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as store:
    ...     isinstance(store, MeasureStoreProtocol)
    True
    """

    #: Name recorded in the audit trail when a write method gets no ``user=``.
    user: str
    #: The kommun (4-digit code) the store is scoped to, or ``None``.
    kommun: str | None

    @property
    def location(self) -> str: ...

    @property
    def backend(self) -> str: ...

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[Any]: ...

    # areas
    def add_area(self, *, name: str, geometry: object, description: str = "",
                 created_by: str | None = None,
                 source_cells: Iterable[int | str] | None = None,
                 source_cluster: str | None = None, drawn_kommun: str | None = None,
                 drawn_dataset: str | None = None, drawn_dataset_label: str | None = None,
                 id: str | None = None) -> Area: ...

    def get_or_create_area(self, name: str, *, geometry: object, description: str = "",
                           created_by: str | None = None) -> tuple[Area, bool]: ...

    def get_area(self, area_id: str) -> Area: ...

    def update_area(self, area_id: str, changes: Mapping[str, Any], *, expected_version: int,
                    user: str | None = None) -> Area: ...

    def delete_area(self, area_id: str, *, expected_version: int | None = None,
                    user: str | None = None, cascade: bool = False) -> Area: ...

    def restore_area(self, area_id: str, *, expected_version: int | None = None,
                     user: str | None = None) -> Area: ...

    def list_areas(self, *, include_deleted: bool = False) -> gpd.GeoDataFrame: ...

    # measures
    def add_measure(self, *, area_id: str, title: str,
                    target_categories: Iterable[str] | str, description: str = "",
                    problem: str = "", cause_tags: Iterable[str] | None = None,
                    responsible: str | None = None, partners: Iterable[str] | None = None,
                    start_date: dt.date | str | None = None,
                    end_date: dt.date | str | None = None, status: str = "planerad",
                    indicator: str = "", next_followup: dt.date | str | None = None,
                    cost: float | None = None, agreement: str = "",
                    created_by: str | None = None, id: str | None = None) -> Measure: ...

    def get_measure(self, measure_id: str) -> Measure: ...

    def update_measure(self, measure_id: str, changes: Mapping[str, Any], *,
                       expected_version: int, user: str | None = None) -> Measure: ...

    def delete_measure(self, measure_id: str, *, expected_version: int | None = None,
                       user: str | None = None) -> Measure: ...

    def restore_measure(self, measure_id: str, *, expected_version: int | None = None,
                        user: str | None = None) -> Measure: ...

    def list_measures(self, *, include_deleted: bool = False, status: str | None = None,
                      area_id: str | None = None) -> pd.DataFrame: ...

    def history(self, measure_id: str | None = None, *, entity: str = "measure"
                ) -> pd.DataFrame: ...

    # export and import (the åtgärdsplan, GIS files)
    def to_geodataframe(self, *, kind: str = "measures", include_deleted: bool = False
                        ) -> gpd.GeoDataFrame: ...

    def plan_table(self, *, include_deleted: bool = False) -> pd.DataFrame: ...

    def export_geojson(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                       ) -> Path: ...

    def export_gpkg(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                    ) -> Path: ...

    def export_plan_excel(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                          allow_personal_data: Iterable[str] = ()) -> Path: ...

    def export_plan_csv(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                        allow_personal_data: Iterable[str] = ()) -> Path: ...

    def import_areas(self, path: str | os.PathLike[str], *, name_column: str | None = None,
                     layer: str | None = None, user: str | None = None,
                     crs: object | None = None) -> list[Area]: ...

    def backup(self, dest: str | os.PathLike[str], *, overwrite: bool = False) -> Path: ...

    def export_store(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path: ...

    def import_store(self, source: str | os.PathLike[str] | StoreExport, *,
                     replace: bool = False) -> None: ...


def overdue_measures(measures: pd.DataFrame, *, today: dt.date | None = None) -> pd.DataFrame:
    """Measures whose follow-up date has passed while they are still open.

    Open means status ``planerad`` or ``pågående`` (a finished or cancelled measure is
    not waiting for a follow-up). Takes the frame of ``MeasureStore.list_measures()``
    and returns its overdue rows with ``days_overdue`` added, most overdue first.

    Parameters
    ----------
    measures
        Measures with ``status`` and ``next_followup`` (dates or datetime64; NaT when
        unset); deleted measures (``deleted`` true) are skipped when that column exists.
    today
        The date to compare with; default: today in Swedish time.

    Examples
    --------
    >>> import pandas as pd, datetime as dt
    >>> m = pd.DataFrame({"title": ["A", "B", "C"], "status": ["pågående", "genomförd", "planerad"],
    ...                   "next_followup": pd.to_datetime(["2026-01-10", "2026-01-01", None])})
    >>> overdue_measures(m, today=dt.date(2026, 2, 1))[["title", "days_overdue"]].to_dict("records")
    [{'title': 'A', 'days_overdue': 22}]
    """
    if today is None:
        today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    if measures.empty or "next_followup" not in measures.columns:
        return measures.iloc[0:0].assign(days_overdue=pd.Series(dtype="int64"))
    due = pd.to_datetime(measures["next_followup"], errors="coerce")
    open_ = measures["status"].isin(("planerad", "pågående"))
    if "deleted" in measures.columns:
        open_ &= ~measures["deleted"].fillna(False).astype(bool)
    late = open_ & due.notna() & (due.dt.normalize() < pd.Timestamp(today))
    out = measures.loc[late].copy()
    out["days_overdue"] = (pd.Timestamp(today) - due[late].dt.normalize()).dt.days.astype("int64")
    return out.sort_values("days_overdue", ascending=False, kind="stable")


def require_date(value: object, name: str) -> dt.date:
    """A required date, parsed by :func:`parse_date`'s rules; ValidationError otherwise.

    >>> require_date("2025-03-01", "start_date")
    datetime.date(2025, 3, 1)
    """
    problems: list[Problem] = []
    date = parse_date(value, name, problems)
    if date is None:
        raise ValidationError(problems or [(name, f"must be a date (YYYY-MM-DD), got {value!r}",
                                            f"måste vara ett datum (ÅÅÅÅ-MM-DD), fick {value!r}")])
    return date


def require_window(value: object, name: str) -> tuple[dt.date, dt.date]:
    """A required (first day, last day) pair, in order; ValidationError otherwise.

    >>> require_window(("2025-01-01", "2025-06-30"), "before")
    (datetime.date(2025, 1, 1), datetime.date(2025, 6, 30))
    """
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValidationError([(name, f"must be (first day, last day), got {value!r}",
                                f"måste vara (första dag, sista dag), fick {value!r}")])
    a, b = require_date(value[0], name), require_date(value[1], name)
    if b < a:
        raise ValidationError([(name, f"ends ({b}) before it starts ({a})",
                                f"slutar ({b}) före början ({a})")])
    return a, b

