"""Areas and measures (åtgärder): the model, its validation and the embedded store.

An :class:`Area` (område) is a named polygon a coordinator drew or imported; a
:class:`Measure` (åtgärd) belongs to an area and says which crime categories it
targets, who is responsible, when it runs and how it is followed up.

:class:`MeasureStore` keeps them in one SQLite file (stdlib :mod:`sqlite3`, no
server): WAL journal, foreign keys, ``BEGIN IMMEDIATE`` write transactions, a
schema version with migrations, an append-only audit trail, soft delete with
restore and optimistic locking (a stale save raises :class:`ConflictError`
naming who saved first and when). See ``docs/measures.md``.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> with MeasureStore(tmp / "atgarder.sqlite", user="anna") as store:
...     area = store.add_area(name="Stationsområdet",
...                           geometry="POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.38, 17.10 59.37))")
...     m = store.add_measure(area_id=area.id, title="Bättre belysning",
...                           target_categories=["Skadegörelse och klotter", "ran"],
...                           start_date="2024-03-01")
...     m.target_categories, m.status, m.version
(('skadegorelse', 'ran'), 'planerad', 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from . import _store_schema
from .errors import ConflictError, NotFoundError, StoreError, ValidationError
from .schema import CATEGORIES, CATEGORY_LABELS, fold

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "ACTORS",
    "AREA_FIELDS",
    "CAUSE_TAGS",
    "DEFAULT_STORE_ENV",
    "MAX_AREA_KM2",
    "MEASURE_FIELDS",
    "STATUSES",
    "Area",
    "Measure",
    "MeasureStore",
    "default_store_path",
    "restore_backup",
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
DEFAULT_STORE_ENV = "LAGESBILD_STORE"
_SWEDEN = (10.0, 55.0, 24.5, 69.5)  # lon/lat box, as Settings.bounds_wgs84
_BUSY_TIMEOUT_MS = 60_000

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def default_store_path() -> Path:
    """The store file used when none is given.

    ``$LAGESBILD_STORE`` when set, else ``./lagesbild_data/atgarder.sqlite`` under the
    current working directory (the project folder when the app is started there).

    Examples
    --------
    >>> default_store_path().name
    'atgarder.sqlite'
    """
    env = os.environ.get(DEFAULT_STORE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.cwd() / "lagesbild_data" / "atgarder.sqlite"


def _default_user() -> str:
    env = os.environ.get("LAGESBILD_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "okänd"


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
        return float(_to_3006(self.geometry).area) / 1e6


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
#: Fields of an area a caller may set.
AREA_FIELDS: tuple[str, ...] = ("name", "geometry", "description", "source_cells",
                                "source_cluster")
_META = ("version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at",
         "deleted_by")


# ----------------------------------------------------------------------- validation

Problem = tuple[str, str, str]


def _to_3006(geom: BaseGeometry) -> BaseGeometry:
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
    f = field_name
    notes: list[tuple[str, str]] = []
    try:
        geom = _parse_geometry(value)
    except Exception as exc:
        return None, [(f, f"cannot be read as a geometry ({exc}); give a shapely Polygon, "
                          "a GeoJSON dict or WKT in lon/lat",
                       f"kan inte läsas som en geometri ({exc}); ange en polygon som GeoJSON "
                       "eller WKT i lon/lat")], notes
    if geom is None or geom.is_empty:
        return None, [(f, "is empty; draw a polygon with at least three corners",
                       "är tom; rita en polygon med minst tre hörn")], notes
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, [(f, f"must be a Polygon or MultiPolygon, got a {geom.geom_type}; "
                          "draw the area as a polygon",
                       f"måste vara en polygon, fick en {geom.geom_type}; rita området "
                       "som en polygon")], notes
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return None, [(f, "has missing or infinite coordinates",
                       "har saknade eller oändliga koordinater")], notes
    minx, miny, maxx, maxy = geom.bounds
    lon0, lat0, lon1, lat1 = _SWEDEN
    if not (lon0 <= minx and maxx <= lon1 and lat0 <= miny and maxy <= lat1):
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
        return None, [(f, f"lies outside Sweden (bounds {minx:.4f}, {miny:.4f}, {maxx:.4f}, "
                          f"{maxy:.4f}; expected lon {lon0}–{lon1}, lat {lat0}–{lat1}); "
                          + hint_en,
                       f"ligger utanför Sverige; {hint_sv}")], notes
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom)
        polys = [g for g in getattr(repaired, "geoms", [repaired])
                 if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
        if not polys:
            return None, [(f, f"crosses itself beyond repair ({reason}); nothing polygonal "
                              "is left after repair; redraw the area",
                           f"korsar sig själv så att den inte kan lagas ({reason}); "
                           "rita om området")], notes
        repaired = shapely.unary_union(polys)
        if repaired.geom_type not in ("Polygon", "MultiPolygon") or repaired.is_empty:
            return None, [(f, f"crosses itself beyond repair ({reason}); redraw the area",
                           f"korsar sig själv så att den inte kan lagas ({reason}); "
                           "rita om området")], notes
        notes.append((f"The geometry was self-crossing or invalid ({reason}) and was repaired "
                      f"into a {repaired.geom_type}; check the area on the map.",
                      f"Geometrin korsade sig själv eller var ogiltig ({reason}) och har "
                      "lagats; kontrollera området på kartan."))
        geom = repaired
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        geom = geom.geoms[0]  # GIS layers promote polygons to one-part multipolygons
    area_m2 = float(_to_3006(geom).area)
    if area_m2 < MIN_AREA_M2:
        return None, [(f, f"has no area ({area_m2:.2f} m²); draw a polygon, not a line",
                       f"saknar yta ({area_m2:.2f} m²); rita en polygon, inte en linje")], notes
    if area_m2 / 1e6 > MAX_AREA_KM2:
        return None, [(f, f"covers {area_m2 / 1e6:,.0f} km², more than the {MAX_AREA_KM2:,.0f} km² "
                          "allowed for an area; draw the part of the kommun the measure acts on",
                       f"täcker {area_m2 / 1e6:,.0f} km², mer än tillåtna {MAX_AREA_KM2:,.0f} km²; "
                       "rita den del av kommunen som åtgärden gäller")], notes
    return geom, [], notes


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


def _date(value: object, f: str, problems: list[Problem]) -> dt.date | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    problems.append((f, f"must be a date as YYYY-MM-DD, got {value!r}",
                     f"måste vara ett datum som ÅÅÅÅ-MM-DD, fick {value!r}"))
    return None


def _categories(value: object, problems: list[Problem]) -> tuple[str, ...]:
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
    out["target_categories"] = _categories(values.get("target_categories"), problems)
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
    out["start_date"] = _date(values.get("start_date"), "start_date", problems)
    out["end_date"] = _date(values.get("end_date"), "end_date", problems)
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        problems.append(("end_date", f"{out['end_date']} is before the start date "
                                     f"{out['start_date']}; the end must be on or after the start",
                         f"{out['end_date']} är före startdatum {out['start_date']}; "
                         "slutdatum måste vara samma dag eller senare"))
    status = values.get("status", "planerad")
    st = _STATUS_BY_FOLD.get(fold(status)) if isinstance(status, str) else None
    if st is None:
        problems.append(("status", f"unknown status {status!r}; use one of {', '.join(STATUSES)}",
                         f"okänd status {status!r}; välj bland {', '.join(STATUSES)}"))
    out["status"] = st or "planerad"
    out["indicator"] = _text(values.get("indicator"), "indicator", problems)
    out["next_followup"] = _date(values.get("next_followup"), "next_followup", problems)
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


def _validate_area(values: Mapping[str, Any]
                   ) -> tuple[dict[str, Any], list[Problem], list[tuple[str, str]]]:
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
    return out, problems, notes


# ------------------------------------------------------------------ (de)serialising


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _measure_json(m: Measure) -> dict[str, Any]:
    d = dataclasses.asdict(m)
    for k in ("start_date", "end_date", "next_followup"):
        d[k] = _iso(d[k])
    for k in ("target_categories", "cause_tags", "partners"):
        d[k] = list(d[k])
    return d


def _area_json(a: Area) -> dict[str, Any]:
    d = {k: getattr(a, k) for k in ("id", "name", "description", "source_cluster", *_META)}
    d["source_cells"] = list(a.source_cells)
    d["geometry"] = mapping(a.geometry)
    return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, BaseGeometry):
        return mapping(v)
    return v


def _row_to_measure(r: sqlite3.Row) -> Measure:
    def d(v: str | None) -> dt.date | None:
        return None if v is None else dt.date.fromisoformat(v)

    return Measure(
        id=r["id"], area_id=r["area_id"], title=r["title"], description=r["description"],
        target_categories=tuple(json.loads(r["target_categories"])), problem=r["problem"],
        cause_tags=tuple(json.loads(r["cause_tags"])), responsible=r["responsible"],
        partners=tuple(json.loads(r["partners"])), start_date=d(r["start_date"]),
        end_date=d(r["end_date"]), status=r["status"], indicator=r["indicator"],
        next_followup=d(r["next_followup"]), cost=r["cost"], agreement=r["agreement"],
        **{k: r[k] for k in _META},
    )


def _row_to_area(r: sqlite3.Row, notes: Sequence[tuple[str, str]] = ()) -> Area:
    return Area(
        id=r["id"], name=r["name"], geometry=shapely.from_wkb(r["geometry"]),
        description=r["description"], source_cells=tuple(json.loads(r["source_cells"])),
        source_cluster=r["source_cluster"], notes=tuple(notes), **{k: r[k] for k in _META},
    )


def _measure_params(v: Mapping[str, Any]) -> dict[str, Any]:
    p = dict(v)
    for k in ("target_categories", "cause_tags", "partners"):
        p[k] = json.dumps(list(p[k]), ensure_ascii=False)
    for k in ("start_date", "end_date", "next_followup"):
        p[k] = _iso(p[k])
    return p


# --------------------------------------------------------------------------- store


class MeasureStore:
    """The areas-and-measures store: one SQLite file, safe for many users at once.

    Parameters
    ----------
    path
        The store file; created (with parent folders) when missing. Default:
        :func:`default_store_path` (``$LAGESBILD_STORE`` or
        ``./lagesbild_data/atgarder.sqlite``).
    user
        Name recorded in the audit trail for changes made through this object
        (default ``$LAGESBILD_USER`` or the login name). Every write method also
        takes ``user=`` for apps that serve several people.

    Notes
    -----
    *Connections.* SQLite connections must not be shared between threads while in
    use, so the store opens one connection per thread (and per process, after a
    fork) on first use and reuses it; connections of threads that have ended are
    closed when the next one is opened. A ``MeasureStore`` object may therefore be
    shared by Streamlit's script threads (e.g. via ``st.cache_resource``). Each write
    runs in its own ``BEGIN IMMEDIATE`` transaction; readers are never blocked (WAL),
    writers wait for each other up to a 60 s busy timeout. ``synchronous=FULL``: a
    committed change survives a crash or power cut.

    *Optimistic locking.* ``update_*``/``delete_*``/``restore_*`` take the version the
    user's form was based on; when someone saved in between, :class:`ConflictError`
    says who and when, and nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna")
    >>> a = store.add_area(name="Torget", geometry={"type": "Polygon", "coordinates":
    ...     [[[17.1, 59.37], [17.11, 59.37], [17.11, 59.375], [17.1, 59.37]]]})
    >>> a2 = store.update_area(a.id, {"name": "Centrumtorget"}, expected_version=1)
    >>> a2.name, a2.version, len(store.list_areas())
    ('Centrumtorget', 2, 1)
    >>> store.close()
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 user: str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.user = user or _default_user()
        self._local = threading.local()
        self._lock = threading.Lock()
        # (owning thread, connection): connections of finished threads are closed
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._pid = os.getpid()
        self._closed = False
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"Store path {self.path} is a folder; give a file name such as "
                             f"{self.path / 'atgarder.sqlite'}.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for store {self.path}: {exc}.") from None
        try:
            self._open_schema()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open store {self.path}: {exc}.") from None
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a measure store (SQLite says: {exc}); "
                             "choose another file or restore a backup.") from None
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"Store {self.path} is closed; open a new MeasureStore.")
        if os.getpid() != self._pid:  # forked: never reuse the parent's connections
            self._pid = os.getpid()
            self._local = threading.local()
            self._conns = []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                # Streamlit runs each script run in a new thread: close what dead threads left
                alive = []
                for t, c in self._conns:
                    if t.is_alive():
                        alive.append((t, c))
                    else:
                        with contextlib.suppress(sqlite3.Error):
                            c.close()
                alive.append((threading.current_thread(), conn))
                self._conns = alive
        return conn

    def close(self) -> None:
        """Close every connection this object opened (in any thread)."""
        with self._lock:
            for _, c in self._conns:
                with contextlib.suppress(sqlite3.Error):
                    c.close()
            self._conns = []
        self._local = threading.local()
        self._closed = True

    def __enter__(self) -> MeasureStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MeasureStore({str(self.path)!r}, user={self.user!r})"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``) around several calls.

        Calls made inside reuse it; all of them commit together or none does.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as store:
        ...     with store.transaction():
        ...         a = store.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...         b = store.add_area(name="B", geometry=a.geometry)
        ...     len(store.list_areas())
        2
        """
        conn = self._conn()
        if self._local.depth > 0:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        self._begin(conn)
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise StoreError(f"Could not save to store {self.path}: {exc}.") from None

    def _begin(self, conn: sqlite3.Connection) -> None:
        # busy_timeout covers BEGIN IMMEDIATE; the loop only guards against the rare
        # SQLITE_BUSY returned without waiting (e.g. during WAL recovery).
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreError(f"Cannot write to store {self.path}: {exc}.") from None
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"Store {self.path} stayed locked by another writer for more than "
                        f"{_BUSY_TIMEOUT_MS // 1000} s; try again.") from None
                time.sleep(0.05)

    def _open_schema(self) -> None:
        conn = self._conn()
        for attempt in range(200):
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreError(f"Cannot open store {self.path}: {exc}.") from None
                time.sleep(0.05 * (1 + attempt % 5))
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} is not a measure store (SQLite says: {exc}); "
                                 "choose another file or restore a backup.") from None
        else:  # pragma: no cover
            raise StoreError(f"Cannot switch store {self.path} to WAL mode (locked).")
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network file systems
            raise StoreError(f"Store {self.path} cannot use WAL mode (got {mode}); keep the "
                             "file on a local disk.")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a measure store (SQLite says: {exc}).") from None
        if version == _store_schema.SCHEMA_VERSION:
            return
        if version > _store_schema.SCHEMA_VERSION:
            raise StoreError(
                f"Store {self.path} has schema version {version}, newer than this library "
                f"understands ({_store_schema.SCHEMA_VERSION}); upgrade lagesbild_geo.")
        with self.transaction():
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # re-read under lock
            if version == 0:
                tables = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
                if tables:
                    raise StoreError(f"{self.path} is an SQLite file but not a measure store "
                                     "(it has other tables); choose another file.")
                _store_schema.create_schema(conn)
                return
            if version == _store_schema.SCHEMA_VERSION:
                return
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        conn = self._conn()
        safety = self.path.with_name(f"{self.path.stem}.v{version}-backup{self.path.suffix}")
        if not safety.exists():
            self.backup(safety)
        conn.execute("PRAGMA foreign_keys = OFF")  # table rebuilds; checked after
        try:
            with self.transaction():
                v = conn.execute("PRAGMA user_version").fetchone()[0]
                while v < _store_schema.SCHEMA_VERSION:
                    _store_schema.MIGRATIONS[v](conn)
                    v += 1
                    conn.execute(f"PRAGMA user_version = {v}")
                bad = conn.execute("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise StoreError(f"Migrating store {self.path} found {len(bad)} rows "
                                     "pointing at missing areas; the file is unchanged and a "
                                     f"copy is at {safety}.")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (``PRAGMA user_version``)."""
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ audit

    def _audit(self, conn: sqlite3.Connection, entity: str, entity_id: str, action: str,
               version: int, user: str, at: str, before: Mapping[str, Any] | None,
               after: Mapping[str, Any] | None) -> None:
        def js(d: Mapping[str, Any] | None) -> str | None:
            if d is None:
                return None
            return json.dumps({k: _jsonable(v) for k, v in d.items()}, ensure_ascii=False)

        conn.execute(
            "INSERT INTO audit (entity, entity_id, action, version, user, at, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entity, entity_id, action, version, user, at, js(before), js(after)))

    # ------------------------------------------------------------------ areas

    def _area_row(self, conn: sqlite3.Connection, area_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM areas WHERE id = ?", (str(area_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"No area with id {area_id!r} in store {self.path}; list the "
                                "areas with list_areas(include_deleted=True).")
        return row

    def add_area(self, *, name: str, geometry: object, description: str = "",
                 created_by: str | None = None, source_cells: Iterable[int | str] | None = None,
                 source_cluster: str | None = None, id: str | None = None) -> Area:
        """Add an area.

        Parameters
        ----------
        name
            What people call it ("Stationsområdet").
        geometry
            Polygon/MultiPolygon in WGS84 lon/lat: shapely, GeoJSON dict (geometry or
            Feature), WKT or WKB. See :func:`validate_geometry` for the rules.
        description
            Why the area was drawn.
        created_by
            User name (default: the store's user).
        source_cells, source_cluster
            The hotspot cells (uint64 or hex) or cluster id it was drawn from.
        id
            Keep this id (a UUID string; used by imports); default a new UUID.

        Returns
        -------
        Area
            As stored; ``notes`` tells when the geometry was repaired.

        Raises
        ------
        ValidationError
            Listing every problem as ``(field, English, Swedish)``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as store:
        ...     a = store.add_area(name="Torget", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     round(a.area_km2, 3)
        0.158
        """
        values, problems, notes = _validate_area(
            {"name": name, "geometry": geometry, "description": description,
             "source_cells": source_cells, "source_cluster": source_cluster})
        new_id = self._check_id(id, problems)
        if problems:
            raise ValidationError(problems)
        user = created_by or self.user
        now = _now()
        with self.transaction() as conn:
            if id is not None and conn.execute("SELECT 1 FROM areas WHERE id = ?",
                                               (new_id,)).fetchone():
                raise ValidationError([("id", f"an area with id {new_id} already exists",
                                        f"ett område med id {new_id} finns redan")])
            conn.execute(
                "INSERT INTO areas (id, name, description, geometry, source_cells, "
                "source_cluster, version, created_at, created_by, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (new_id, values["name"], values["description"],
                 shapely.to_wkb(values["geometry"]),
                 json.dumps(list(values["source_cells"])), values["source_cluster"],
                 now, user, now, user))
            row = self._area_row(conn, new_id)
            area = _row_to_area(row, notes)
            after = _area_json(area)
            if notes:
                after["notes"] = [n[0] for n in notes]
            self._audit(conn, "area", new_id, "create", 1, user, now, None, after)
        return area

    @staticmethod
    def _check_id(value: str | None, problems: list[Problem]) -> str:
        if value is None:
            return str(uuid.uuid4())
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            problems.append(("id", f"{value!r} is not a UUID", f"{value!r} är inte ett UUID"))
            return ""

    def get_area(self, area_id: str) -> Area:
        """The area with this id (also when soft-deleted: see ``is_deleted``).

        Raises :class:`NotFoundError` for an unknown id.
        """
        return _row_to_area(self._area_row(self._conn(), area_id))

    def update_area(self, area_id: str, changes: Mapping[str, Any], *, expected_version: int,
                    user: str | None = None) -> Area:
        """Change an area's name, geometry, description or source links.

        ``expected_version`` is the version the change was based on; when the stored
        version differs, :class:`ConflictError` names who saved it and when.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     s.update_area(a.id, {"description": "Kvällstid"}, expected_version=1).version
        2
        """
        user = user or self.user
        with self.transaction() as conn:
            row = self._area_row(conn, area_id)
            current = _row_to_area(row)
            self._check_version("area", current, expected_version)
            if current.is_deleted:
                raise NotFoundError(f"Area {area_id} ({current.name!r}) is deleted; restore it "
                                    "with restore_area() before changing it.")
            merged = {k: getattr(current, k) for k in AREA_FIELDS} | dict(changes)
            values, problems, notes = _validate_area(merged)
            if problems:
                raise ValidationError(problems)
            before, after = {}, {}
            for k in AREA_FIELDS:
                old, new = getattr(current, k), values[k]
                same = old.equals_exact(new, 0) if k == "geometry" else old == new
                if not same:
                    before[k], after[k] = old, new
            if not after:
                return dataclasses.replace(current, notes=tuple(notes))
            now = _now()
            v = current.version + 1
            conn.execute(
                "UPDATE areas SET name = ?, description = ?, geometry = ?, source_cells = ?, "
                "source_cluster = ?, version = ?, updated_at = ?, updated_by = ? "
                "WHERE id = ? AND version = ?",
                (values["name"], values["description"], shapely.to_wkb(values["geometry"]),
                 json.dumps(list(values["source_cells"])), values["source_cluster"], v, now,
                 user, current.id, current.version))
            self._audit(conn, "area", current.id, "update", v, user, now, before, after)
            return _row_to_area(self._area_row(conn, current.id), notes)

    def _check_version(self, kind: str, current: Area | Measure, expected: int | None) -> None:
        if expected is None or int(expected) == current.version:
            return
        label = current.name if isinstance(current, Area) else current.title
        exc = ConflictError(
            f"The {kind} {label!r} ({current.id}) was changed by {current.updated_by} at "
            f"{current.updated_at} (now version {current.version}); your change was based on "
            f"version {expected} and was not saved. Reload it and apply your change again.")
        exc.current = current  # type: ignore[attr-defined]
        exc.changed_by = current.updated_by  # type: ignore[attr-defined]
        exc.changed_at = current.updated_at  # type: ignore[attr-defined]
        raise exc

    def delete_area(self, area_id: str, *, expected_version: int | None = None,
                    user: str | None = None, cascade: bool = False) -> Area:
        """Soft-delete an area (it stays in the file and can be restored).

        An area with measures that are not deleted is refused unless ``cascade=True``,
        which soft-deletes those measures too (each recorded in the audit trail).
        """
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_area(self._area_row(conn, area_id))
            self._check_version("area", current, expected_version)
            if current.is_deleted:
                return current
            live = conn.execute("SELECT id, title, version FROM measures WHERE area_id = ? "
                                "AND deleted_at IS NULL ORDER BY created_at", (current.id,)
                                ).fetchall()
            if live and not cascade:
                titles = ", ".join(repr(r["title"]) for r in live[:5])
                raise ValidationError([(
                    "area_id", f"area {current.name!r} still has {len(live)} measure(s) "
                               f"({titles}); delete them first or pass cascade=True",
                    f"området {current.name!r} har {len(live)} åtgärd(er) kvar; ta bort dem "
                    "först")])
            for r in live:
                self.delete_measure(r["id"], user=user)
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE areas SET deleted_at = ?, deleted_by = ?, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (now, user, v, now, user, current.id))
            self._audit(conn, "area", current.id, "delete", v, user, now,
                        {"deleted_at": None}, {"deleted_at": now})
            return _row_to_area(self._area_row(conn, current.id))

    def restore_area(self, area_id: str, *, expected_version: int | None = None,
                     user: str | None = None) -> Area:
        """Undo a soft delete of an area (its measures are restored one by one)."""
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_area(self._area_row(conn, area_id))
            self._check_version("area", current, expected_version)
            if not current.is_deleted:
                return current
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE areas SET deleted_at = NULL, deleted_by = NULL, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (v, now, user, current.id))
            self._audit(conn, "area", current.id, "restore", v, user, now,
                        {"deleted_at": current.deleted_at}, {"deleted_at": None})
            return _row_to_area(self._area_row(conn, current.id))

    def list_areas(self, *, include_deleted: bool = False) -> gpd.GeoDataFrame:
        """Areas as a GeoDataFrame (EPSG:4326) indexed by ``id``.

        Columns: ``name``, ``description``, ``source_cells`` (list of hex strings),
        ``source_cluster``, ``n_measures`` (measures not deleted), ``area_km2``,
        ``version``, ``created_at``, ``created_by``, ``updated_at``, ``updated_by``,
        ``deleted_at``, ``deleted_by``, ``geometry``. Sorted by name.
        """
        import geopandas as gpd

        where = "" if include_deleted else "WHERE a.deleted_at IS NULL"
        rows = self._conn().execute(
            "SELECT a.*, (SELECT count(*) FROM measures m WHERE m.area_id = a.id AND "
            f"m.deleted_at IS NULL) AS n_measures FROM areas a {where} "
            "ORDER BY a.name COLLATE NOCASE, a.created_at").fetchall()
        cols = ["name", "description", "source_cells", "source_cluster", "n_measures",
                "area_km2", *_META]
        geoms = shapely.from_wkb([r["geometry"] for r in rows]) if rows else []
        data: dict[str, Any] = {
            "name": [r["name"] for r in rows],
            "description": [r["description"] for r in rows],
            "source_cells": [json.loads(r["source_cells"]) for r in rows],
            "source_cluster": [r["source_cluster"] for r in rows],
            "n_measures": np.array([r["n_measures"] for r in rows], dtype="int64"),
        }
        gs = gpd.GeoSeries(list(geoms), crs="EPSG:4326")
        data["area_km2"] = (gs.to_crs(3006).area / 1e6).to_numpy() if rows else \
            np.array([], dtype="float64")
        for k in _META:
            data[k] = [r[k] for r in rows]
        gdf = gpd.GeoDataFrame(data, columns=cols, geometry=gs.array, crs="EPSG:4326",
                               index=pd.Index([r["id"] for r in rows], name="id", dtype=object))
        gdf["version"] = gdf["version"].astype("int64")
        for k in ("source_cluster", "deleted_at", "deleted_by", "source_cells"):
            gdf[k] = pd.Series(data[k], index=gdf.index, dtype=object)  # None stays None
        for k in ("name", "description", "created_at", "created_by", "updated_at",
                  "updated_by"):
            gdf[k] = pd.Series(data[k], index=gdf.index, dtype="str")
        gdf["area_km2"] = gdf["area_km2"].astype("float64")
        return gdf

    # --------------------------------------------------------------- measures

    def _measure_row(self, conn: sqlite3.Connection, measure_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM measures WHERE id = ?", (str(measure_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"No measure with id {measure_id!r} in store {self.path}; list "
                                "the measures with list_measures(include_deleted=True).")
        return row

    def _check_area_live(self, conn: sqlite3.Connection, area_id: str,
                         problems: list[Problem]) -> None:
        if not area_id:
            return
        row = conn.execute("SELECT name, deleted_at FROM areas WHERE id = ?",
                           (area_id,)).fetchone()
        if row is None:
            problems.append(("area_id", f"no area with id {area_id!r}; add the area first",
                             "området finns inte; lägg till området först"))
        elif row["deleted_at"] is not None:
            problems.append(("area_id", f"area {row['name']!r} is deleted; restore it or choose "
                                        "another area",
                             f"området {row['name']!r} är borttaget; återställ det eller välj "
                             "ett annat område"))

    def add_measure(self, *, area_id: str, title: str, target_categories: Iterable[str] | str,
                    description: str = "", problem: str = "",
                    cause_tags: Iterable[str] | None = None, responsible: str | None = None,
                    partners: Iterable[str] | None = None,
                    start_date: dt.date | str | None = None,
                    end_date: dt.date | str | None = None, status: str = "planerad",
                    indicator: str = "", next_followup: dt.date | str | None = None,
                    cost: float | None = None, agreement: str = "",
                    created_by: str | None = None, id: str | None = None) -> Measure:
        """Add a measure to an area.

        Parameters
        ----------
        area_id
            An area that exists and is not deleted.
        title
            What is done (required).
        target_categories
            At least one canonical id or Swedish label (``"skadegorelse"``,
            ``"Skadegörelse och klotter"``); stored as ids.
        description, problem, cause_tags, responsible, partners, start_date, end_date,
        status, indicator, next_followup, cost, agreement
            See :class:`Measure`; rules in :func:`validate_measure`.
        created_by
            User name (default: the store's user).
        id
            Keep this id (UUID; used by imports); default a new UUID.

        Raises
        ------
        ValidationError
            Every problem at once, ``(field, English, Swedish)``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     m = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"],
        ...                       responsible="Näringsliv", start_date="2024-05-01")
        ...     m.responsible, m.start_date
        ('naringsliv', datetime.date(2024, 5, 1))
        """
        raw = {"area_id": area_id, "title": title, "target_categories": target_categories,
               "description": description, "problem": problem, "cause_tags": cause_tags,
               "responsible": responsible, "partners": partners, "start_date": start_date,
               "end_date": end_date, "status": status, "indicator": indicator,
               "next_followup": next_followup, "cost": cost, "agreement": agreement}
        values, problems = validate_measure(raw)
        new_id = self._check_id(id, problems)
        user = created_by or self.user
        with self.transaction() as conn:
            self._check_area_live(conn, values["area_id"], problems)
            if id is not None and new_id and conn.execute(
                    "SELECT 1 FROM measures WHERE id = ?", (new_id,)).fetchone():
                problems.append(("id", f"a measure with id {new_id} already exists",
                                 f"en åtgärd med id {new_id} finns redan"))
            if problems:
                raise ValidationError(problems)
            now = _now()
            p = _measure_params(values) | {"id": new_id, "version": 1, "created_at": now,
                                           "created_by": user, "updated_at": now,
                                           "updated_by": user}
            cols = ", ".join(p)
            conn.execute(f"INSERT INTO measures ({cols}) VALUES "
                         f"({', '.join(':' + k for k in p)})", p)
            m = _row_to_measure(self._measure_row(conn, new_id))
            self._audit(conn, "measure", new_id, "create", 1, user, now, None,
                        {k: getattr(m, k) for k in MEASURE_FIELDS})
        return m

    def get_measure(self, measure_id: str) -> Measure:
        """The measure with this id (also when soft-deleted). Unknown id: NotFoundError."""
        return _row_to_measure(self._measure_row(self._conn(), measure_id))

    def update_measure(self, measure_id: str, changes: Mapping[str, Any], *,
                       expected_version: int, user: str | None = None) -> Measure:
        """Change fields of a measure (keys of ``changes`` are :data:`MEASURE_FIELDS`).

        Optimistic locking: ``expected_version`` is the version the edit was based on;
        a stale save raises :class:`ConflictError` (``.changed_by``, ``.changed_at``,
        ``.current``) and writes nothing. The audit trail records the changed fields
        before and after. Moving a measure to another area is ``{"area_id": ...}``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     m = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"])
        ...     m2 = s.update_measure(m.id, {"status": "pågående"}, expected_version=1, user="bo")
        ...     try:
        ...         s.update_measure(m.id, {"title": "Två väktare"}, expected_version=1)
        ...     except ConflictError as exc:
        ...         print(exc.changed_by, m2.version)
        bo 2
        """
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_measure(self._measure_row(conn, measure_id))
            self._check_version("measure", current, expected_version)
            if current.is_deleted:
                raise NotFoundError(f"Measure {measure_id} ({current.title!r}) is deleted; "
                                    "restore it with restore_measure() before changing it.")
            merged = {k: getattr(current, k) for k in MEASURE_FIELDS} | dict(changes)
            values, problems = validate_measure(merged)
            if values["area_id"] != current.area_id:
                self._check_area_live(conn, values["area_id"], problems)
            if problems:
                raise ValidationError(problems)
            before = {k: getattr(current, k) for k in MEASURE_FIELDS
                      if getattr(current, k) != values[k]}
            after = {k: values[k] for k in before}
            if not after:
                return current
            now = _now()
            v = current.version + 1
            p = _measure_params(values) | {"version": v, "updated_at": now, "updated_by": user,
                                           "id": current.id, "old_version": current.version}
            sets = ", ".join(f"{k} = :{k}" for k in (*MEASURE_FIELDS, "version", "updated_at",
                                                      "updated_by"))
            cur = conn.execute(f"UPDATE measures SET {sets} WHERE id = :id AND "
                               "version = :old_version", p)
            if cur.rowcount != 1:  # pragma: no cover - impossible under BEGIN IMMEDIATE
                raise StoreError(f"Measure {measure_id} changed during the save; try again.")
            self._audit(conn, "measure", current.id, "update", v, user, now, before, after)
            return _row_to_measure(self._measure_row(conn, current.id))

    def _set_deleted(self, measure_id: str, deleted: bool, expected_version: int | None,
                     user: str | None) -> Measure:
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_measure(self._measure_row(conn, measure_id))
            self._check_version("measure", current, expected_version)
            if current.is_deleted == deleted:
                return current
            if not deleted:
                problems: list[Problem] = []
                self._check_area_live(conn, current.area_id, problems)
                if problems:
                    raise ValidationError(problems)
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE measures SET deleted_at = ?, deleted_by = ?, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (now if deleted else None, user if deleted else None, v, now, user,
                          current.id))
            self._audit(conn, "measure", current.id, "delete" if deleted else "restore", v,
                        user, now, {"deleted_at": current.deleted_at},
                        {"deleted_at": now if deleted else None})
            return _row_to_measure(self._measure_row(conn, current.id))

    def delete_measure(self, measure_id: str, *, expected_version: int | None = None,
                       user: str | None = None) -> Measure:
        """Soft-delete a measure (kept in the file, hidden from lists, restorable)."""
        return self._set_deleted(measure_id, True, expected_version, user)

    def restore_measure(self, measure_id: str, *, expected_version: int | None = None,
                        user: str | None = None) -> Measure:
        """Undo a soft delete (refused while its area is deleted: restore the area first)."""
        return self._set_deleted(measure_id, False, expected_version, user)

    def list_measures(self, *, include_deleted: bool = False, status: str | None = None,
                      area_id: str | None = None) -> pd.DataFrame:
        """Measures as a DataFrame indexed by ``id``.

        Columns: the :class:`Measure` fields (lists for ``target_categories``,
        ``cause_tags``, ``partners``; ``start_date``, ``end_date``, ``next_followup``
        as ``datetime64`` dates, NaT when unset) plus ``area_name``. Sorted by status
        (plan order), start date, title.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     _ = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"])
        ...     s.list_measures()[["title", "area_name", "status"]].to_numpy().tolist()
        [['Väktare', 'A', 'planerad']]
        """
        sql = ("SELECT m.*, a.name AS area_name FROM measures m JOIN areas a ON a.id = m.area_id")
        where: list[str] = []
        params: list[Any] = []
        if not include_deleted:
            where.append("m.deleted_at IS NULL")
        if status is not None:
            st = _STATUS_BY_FOLD.get(fold(status))
            if st is None:
                raise ValidationError([("status", f"unknown status {status!r}; use one of "
                                                  f"{', '.join(STATUSES)}",
                                        f"okänd status {status!r}")])
            where.append("m.status = ?")
            params.append(st)
        if area_id is not None:
            where.append("m.area_id = ?")
            params.append(str(area_id))
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql, params).fetchall()
        return _measures_frame(rows)

    def history(self, measure_id: str | None = None, *, entity: str = "measure"
                ) -> pd.DataFrame:
        """The audit trail of one measure (or area with ``entity="area"``), oldest first.

        With ``measure_id=None``: the whole trail of that entity type.

        Columns: ``seq``, ``entity``, ``entity_id``, ``action`` (create, update, delete,
        restore), ``version`` (after the change), ``user``, ``at`` (UTC ISO),
        ``fields`` (changed field names), ``before`` and ``after`` (dicts of those
        fields; ``after`` holds the full record on create).

        Raises :class:`NotFoundError` when the id was never in the store.
        """
        conn = self._conn()
        if entity not in ("measure", "area"):
            raise ValidationError([("entity", f"must be 'measure' or 'area', got {entity!r}",
                                    "måste vara 'measure' eller 'area'")])
        if measure_id is None:
            rows = conn.execute("SELECT * FROM audit WHERE entity = ? ORDER BY seq",
                                (entity,)).fetchall()
        else:
            if entity == "measure":
                self._measure_row(conn, measure_id)
            else:
                self._area_row(conn, measure_id)
            rows = conn.execute("SELECT * FROM audit WHERE entity = ? AND entity_id = ? "
                                "ORDER BY seq", (entity, str(measure_id))).fetchall()
        before = [json.loads(r["before"]) if r["before"] else {} for r in rows]
        after = [json.loads(r["after"]) if r["after"] else {} for r in rows]
        return pd.DataFrame({
            "seq": np.array([r["seq"] for r in rows], dtype="int64"),
            "entity": [r["entity"] for r in rows],
            "entity_id": [r["entity_id"] for r in rows],
            "action": [r["action"] for r in rows],
            "version": np.array([r["version"] for r in rows], dtype="int64"),
            "user": [r["user"] for r in rows],
            "at": [r["at"] for r in rows],
            "fields": [sorted(set(b) | set(a)) for b, a in zip(before, after, strict=True)],
            "before": before,
            "after": after,
        })

    # ------------------------------------------------------- export / import

    def to_geodataframe(self, *, kind: str = "measures", include_deleted: bool = False
                        ) -> gpd.GeoDataFrame:
        """Areas and measures as one flat, export-ready GeoDataFrame (EPSG:4326).

        ``kind="measures"`` (default): one row per measure, geometry = its area's
        polygon, columns ``measure_id``, ``area_id``, ``area_name`` and the measure
        fields, lists joined with ``", "``, dates as ISO strings. Areas without
        measures are not included.

        ``kind="areas"``: one row per area with ``area_id``, ``name``,
        ``description``, ``n_measures``, ``measure_ids`` / ``measure_titles`` /
        ``target_categories`` (``", "``-joined; ``"; "`` for titles) and audit fields.

        See ``docs/measures.md`` for the property names (stable, for GIS users).
        """
        from ._measures_io import to_geodataframe

        return to_geodataframe(self, kind=kind, include_deleted=include_deleted)

    def export_geojson(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                       ) -> Path:
        """Write the areas, each with its measures as a ``measures`` property list, to an
        RFC 7946 GeoJSON FeatureCollection (WGS84). Re-importable with
        :meth:`import_areas` (measures included)."""
        from ._measures_io import export_geojson

        return export_geojson(self, path, include_deleted=include_deleted)

    def export_gpkg(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                    ) -> Path:
        """Write layers ``areas`` and ``measures`` (area polygon per measure) to a
        GeoPackage. Re-importable with :meth:`import_areas` (measures included)."""
        from ._measures_io import export_gpkg

        return export_gpkg(self, path, include_deleted=include_deleted)

    def import_areas(self, path: str | os.PathLike[str], *, name_column: str | None = None,
                     layer: str | None = None, user: str | None = None) -> list[Area]:
        """Import areas (e.g. drawn by the police) from GeoJSON, GeoPackage or any file
        geopandas reads; reprojected to WGS84. All or nothing: one invalid feature
        refuses the file with every problem listed. Files written by
        :meth:`export_geojson`/:meth:`export_gpkg` bring their measures and ids along
        (ids already in the store get new ones)."""
        from ._measures_io import import_areas

        return import_areas(self, path, name_column=name_column, layer=layer, user=user)

    def export_plan_excel(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                          allow_personal_data: Iterable[str] = ()) -> Path:
        """The åtgärdsplan as Excel: sheet ``Åtgärdsplan`` (all measures sorted by status,
        start date, area) and one sheet per status; Swedish headers, real dates.

        The plan leaves the kommun: a text that looks like personal data (personnummer,
        phone number, e-mail address, a person's name) stops the export with a
        :class:`~lagesbild_geo.errors.PrivacyError` naming field and row, unless its field
        is in ``allow_personal_data`` (e.g. ``{"measures.title"}``; see
        :data:`lagesbild_geo.privacy.FREE_TEXT_FIELDS`). Text cells that a spreadsheet
        would run as formulas are written as text."""
        from ._measures_io import export_plan_excel

        return export_plan_excel(self, path, include_deleted=include_deleted,
                                 allow_personal_data=allow_personal_data)

    def export_plan_csv(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                        allow_personal_data: Iterable[str] = ()) -> Path:
        """The åtgärdsplan as CSV for Swedish Excel: UTF-8 with BOM, ``;`` separator,
        ISO dates, the same columns as the Excel sheet (personal data and formula cells
        as for :meth:`export_plan_excel`)."""
        from ._measures_io import export_plan_csv

        return export_plan_csv(self, path, include_deleted=include_deleted,
                               allow_personal_data=allow_personal_data)

    def plan_table(self, *, include_deleted: bool = False) -> pd.DataFrame:
        """The åtgärdsplan as a DataFrame with Swedish column names (what the Excel and
        CSV exports write)."""
        from ._measures_io import plan_table

        return plan_table(self, include_deleted=include_deleted)

    # --------------------------------------------------------------- backup

    def backup(self, dest: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """A consistent copy of the store, made with SQLite's online backup API while
        others keep reading and writing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> with MeasureStore(tmp / "s.sqlite") as s:
        ...     s.backup(tmp / "copy.sqlite").name
        'copy.sqlite'
        """
        dest = Path(dest).expanduser()
        if dest.resolve() == self.path.resolve():
            raise StoreError(f"Backup target {dest} is the store itself; choose another file.")
        if dest.exists() and not overwrite:
            raise StoreError(f"Backup target {dest} exists; choose a new name or pass "
                             "overwrite=True.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(tmp)
        try:
            self._conn().backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(tmp, dest)
        return dest


_LIST_FIELDS = ("target_categories", "cause_tags", "partners")
_DATE_FIELDS = ("start_date", "end_date", "next_followup")


def _measures_frame(rows: Sequence[sqlite3.Row]) -> pd.DataFrame:
    ms = [_row_to_measure(r) for r in rows]
    index = pd.Index([m.id for m in ms], name="id", dtype="str")
    cols = ["area_id", "area_name", *[f for f in MEASURE_FIELDS if f != "area_id"], *_META]
    data: dict[str, pd.Series] = {}
    for c in cols:
        if c == "area_name":
            vals: list[Any] = [r["area_name"] for r in rows]
        else:
            vals = [getattr(m, c) for m in ms]
        if c in _LIST_FIELDS:
            data[c] = pd.Series([list(v) for v in vals], index=index, dtype=object)
        elif c in _DATE_FIELDS:
            data[c] = pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in vals],
                                index=index, dtype="datetime64[ns]")
        elif c == "cost":
            data[c] = pd.Series([np.nan if v is None else v for v in vals], index=index,
                                dtype="float64")
        elif c == "version":
            data[c] = pd.Series(vals, index=index, dtype="int64")
        elif c in ("responsible", "deleted_at", "deleted_by"):  # None stays None
            data[c] = pd.Series(vals, index=index, dtype=object)
        else:
            data[c] = pd.Series(vals, index=index, dtype="str")
    df = pd.DataFrame(data, columns=cols, index=index)
    order = {s: i for i, s in enumerate(STATUSES)}
    key = pd.DataFrame({"s": df["status"].map(order), "d": df["start_date"],
                        "t": df["title"].str.lower()}, index=df.index)
    return df.loc[key.sort_values(["s", "d", "t"], na_position="last").index]


def restore_backup(backup: str | os.PathLike[str], path: str | os.PathLike[str] | None = None,
                   *, keep_current: bool = True) -> Path:
    """Replace a store's content with a backup, safely while the app is running.

    The backup is checked first (``PRAGMA integrity_check``, a measure store, a schema
    version this library reads). The current content is kept beside the store as
    ``<name>.before-restore-<UTC time>.sqlite`` (``keep_current=True``), then the backup
    is copied in with SQLite's backup API inside the store's own locking, so readers
    see either the old or the new content, never a mix. Older schema versions are
    migrated on the next open.

    Returns the path of the safety copy (or of the store when ``keep_current=False``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "s.sqlite") as s:
    ...     _ = s.backup(tmp / "b.sqlite")
    >>> restore_backup(tmp / "b.sqlite", tmp / "s.sqlite").name.startswith("s.before-restore-")
    True
    """
    src_path = Path(backup).expanduser()
    dest_path = Path(path).expanduser() if path is not None else default_store_path()
    if not src_path.is_file():
        raise StoreError(f"Backup {src_path} does not exist; give the file written by "
                         "'lagesbild measures backup'.")
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
    try:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
            version = src.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{src_path} is not an SQLite file ({exc}); nothing restored."
                             ) from None
        if ok != "ok":
            raise StoreError(f"Backup {src_path} is damaged (integrity_check: {ok}); nothing "
                             "restored.")
        if not {"areas", "measures", "audit"} <= tables or version < 1:
            raise StoreError(f"{src_path} is not a measure store; nothing restored.")
        if version > _store_schema.SCHEMA_VERSION:
            raise StoreError(f"Backup {src_path} has schema version {version}, newer than this "
                             "library reads; upgrade lagesbild_geo.")
        result = dest_path
        if dest_path.exists() and keep_current:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            result = dest_path.with_name(
                f"{dest_path.stem}.before-restore-{stamp}{dest_path.suffix}")
            with MeasureStore(dest_path) as current:
                current.backup(result)
        dest_path.parent.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(dest_path, timeout=_BUSY_TIMEOUT_MS / 1000)
        try:
            dest.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()
    return result
