"""Which data a follow-up can rest on.

A follow-up counts incidents before and after a measure's start in its area, a buffer
ring and a comparison area. It says something only when the data cover all of that:
the same kommun, the area's ground and both periods. This module holds the checks a
follow-up (the app's Uppföljning page, ``lagesbild followup``, the report) runs first:

:class:`DataSet` / :func:`dataset_of`
    A stable identity for the data on screen (the SHA-256 of the incident files), its
    kommun, period and extent. An area remembers the data set it was drawn on
    (``Area.drawn_kommun``, ``drawn_dataset``, ``drawn_dataset_label``).
:func:`check_coverage`
    Whether a data set covers an area and a measure's periods: "stop" notes when the
    comparison cannot say anything (another kommun, the area outside the data, no data
    before or after the start), "warning" notes when it is incomplete.
:func:`check_comparison_area` / :func:`comparison_area_problems`
    A comparison area must not have its own measure during the follow-up, nor overlap
    the treated area or its buffer ring.
:func:`followup_caution`
    The plain-words caution when the counts are too small to read an effect from.

Examples
--------
>>> import pandas as pd
>>> inc = pd.DataFrame({"occurred_at": pd.to_datetime(["2024-01-05", "2024-12-20"])
...                                      .tz_localize("Europe/Stockholm"),
...                     "lon": [17.10, 17.12], "lat": [59.37, 59.38], "category": ["ran", "ran"]})
>>> data = dataset_of(inc, kommun="0180", label="Testdata")
>>> data.kommun, data.first_day, data.last_day
('0180', datetime.date(2024, 1, 5), datetime.date(2024, 12, 20))
>>> far = "POLYGON ((11.9 57.7, 11.95 57.7, 11.95 57.72, 11.9 57.7))"  # Göteborg
>>> [n.code for n in check_coverage(far, data, start_date="2024-09-01")]
['outside']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from ..errors import InputError, ValidationError
from ..names import find_kommun
from ..schema import POINT_PRECISIONS
from ..svformat import date_sv, integer, number
from .model import (
    Area,
    MeasureStoreProtocol,
    Problem,
    require_date,
    require_window,
    to_3006,
    validate_geometry,
)

__all__ = [
    "FEW_EVENTS",
    "CoverageNote",
    "DataSet",
    "check_comparison_area",
    "check_coverage",
    "comparison_area_problems",
    "dataset_of",
    "followup_caution",
    "followup_windows",
    "kommun_label",
    "same_kommun",
]

TZ = "Europe/Stockholm"
#: Fewer incidents than this in the area or the buffer ring, before or after the start,
#: and a follow-up is read as a description, not as an effect (:func:`followup_caution`).
FEW_EVENTS = 20
#: Share of an area the data must cover; below it the counts in the area are too low.
_COVERED = 0.95
#: Below this share the area lies outside the data altogether.
_OUTSIDE = 0.01
#: Padding of an extent taken from incident positions (degrees: about 550 m in Sweden).
_PAD_LAT, _PAD_LON = 0.005, 0.01


# --------------------------------------------------------------------------- data sets


@dataclass(frozen=True)
class DataSet:
    """One data set as a follow-up sees it.

    Attributes
    ----------
    id
        Stable identity: ``"sha256:"`` and the SHA-256 of the incident files' own
        SHA-256 sums (sorted), so the same files give the same id in any order, on any
        machine; for a table without source files, of its rows.
    label
        What people read: the file names and the period.
    kommun
        The kommun the data are for: a 4-digit code, or a name when the data named no
        known kommun (Exempelkommun); ``None`` when unknown.
    first_day, last_day
        The first and last day with an incident (Swedish time); ``None`` when no time.
    extent
        The ground the data cover (WGS84): the union of the district layer when there
        is one, else the box around the incident positions padded by about 500 m.
    n_incidents
        Number of incidents.
    n_positioned
        Incidents placed at a point or an address (what a follow-up counts in an area);
        the police's events feed, placed at the kommun's centre, has none.
    """

    id: str
    label: str
    kommun: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    extent: BaseGeometry | None = None
    n_incidents: int = 0
    n_positioned: int | None = None

    def area_fields(self) -> dict[str, str | None]:
        """The fields that tie an area to this data set, for ``add_area``/``update_area``.

        Examples
        --------
        >>> DataSet(id="sha256:ab", label="A", kommun="0180").area_fields()
        {'drawn_kommun': '0180', 'drawn_dataset': 'sha256:ab', 'drawn_dataset_label': 'A'}
        """
        return {"drawn_kommun": self.kommun, "drawn_dataset": self.id,
                "drawn_dataset_label": self.label}


def _kommun_of(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit() and len(text) <= 4:
        return text.zfill(4)
    try:
        return find_kommun(text).code
    except InputError:
        return text


def kommun_label(kommun: str | None) -> str:
    """A kommun code or name as people read it: ``"Stockholm (0180)"``, ``"Exempelkommun"``.

    Examples
    --------
    >>> kommun_label("0180"), kommun_label("Exempelkommun"), kommun_label(None)
    ('Stockholm (0180)', 'Exempelkommun', 'okänd kommun')
    """
    if not kommun:
        return "okänd kommun"
    if kommun.isdigit() and len(kommun) == 4:
        try:
            return f"{find_kommun(kommun).name} ({kommun})"
        except InputError:
            return f"kommun {kommun}"
    return kommun


def same_kommun(a: str | None, b: str | None) -> bool | None:
    """Whether two kommuner (codes or names) are the same; ``None`` when one is unknown.

    Names are compared without regard to case; å, ä and ö stay letters.

    Examples
    --------
    >>> same_kommun("0180", "Stockholm"), same_kommun("Varberg", "Vårberg"), same_kommun("0180", None)
    (True, False, None)
    """
    ka, kb = _kommun_of(a), _kommun_of(b)
    if ka is None or kb is None:
        return None
    return ka.casefold() == kb.casefold()


def _local_days(incidents: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    if "occurred_at" not in incidents.columns or not len(incidents):
        return None, None
    t = pd.to_datetime(incidents["occurred_at"], errors="coerce")
    if t.dt.tz is None:
        t = t.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT")
    else:
        t = t.dt.tz_convert(TZ)
    if t.notna().sum() == 0:
        return None, None
    return t.min().date(), t.max().date()


def _content_hash(incidents: pd.DataFrame) -> str:
    cols = [c for c in ("incident_id", "occurred_at", "category", "lon", "lat", "source",
                        "source_row") if c in incidents.columns]
    h = hashlib.sha256()
    h.update(",".join(cols).encode())
    if cols and len(incidents):
        frame = incidents[cols].astype(object).where(incidents[cols].notna(), None)
        h.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()


def _positioned(incidents: pd.DataFrame) -> np.ndarray:
    """Rows with a position a follow-up can count in an area (point or address precision
    when the table says; finite lon/lat)."""
    if not {"lon", "lat"} <= set(incidents.columns) or not len(incidents):
        return np.zeros(len(incidents), dtype=bool)
    lon = incidents["lon"].to_numpy(dtype="float64", na_value=np.nan)
    lat = incidents["lat"].to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if "precision" in incidents.columns:
        ok &= incidents["precision"].astype("string").isin(list(POINT_PRECISIONS)).to_numpy(
            dtype=bool, na_value=False)
    return ok


def _extent(source: Any, incidents: pd.DataFrame) -> BaseGeometry | None:
    districts: Any = getattr(source, "districts", None)
    if isinstance(districts, pd.DataFrame) and len(districts) and "geometry" in districts:
        to_crs = getattr(districts, "to_crs", None)  # a GeoDataFrame: into WGS84
        d = to_crs(4326) if to_crs is not None and getattr(districts, "crs", None) else districts
        geoms = np.asarray(d["geometry"].to_numpy(), dtype=object)
        geoms = geoms[~shapely.is_missing(geoms)]
        if len(geoms):
            union = shapely.union_all(shapely.make_valid(geoms))
            if not union.is_empty:
                return union
    if not {"lon", "lat"} <= set(incidents.columns) or not len(incidents):
        return None
    lon = incidents["lon"].to_numpy(dtype="float64", na_value=np.nan)
    lat = incidents["lat"].to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if "precision" in incidents.columns:
        point = incidents["precision"].astype("string").isin(list(POINT_PRECISIONS)).to_numpy(
            dtype=bool, na_value=False)
        if (ok & point).any():
            ok &= point
    if not ok.any():
        return None
    return box(float(lon[ok].min()) - _PAD_LON, float(lat[ok].min()) - _PAD_LAT,
               float(lon[ok].max()) + _PAD_LON, float(lat[ok].max()) + _PAD_LAT)


def dataset_of(source: Any, *, kommun: str | int | None = None,
               label: str | None = None) -> DataSet:
    """The :class:`DataSet` of a lägesbild or an incident table.

    Parameters
    ----------
    source
        A :class:`~lagesbild_geo.pipeline.Lagesbild` (its ``incidents``, ``districts``
        and ``metadata``: kommun and the incident files' SHA-256 sums) or a placed
        incident DataFrame (``occurred_at``, ``lon``/``lat``).
    kommun
        The kommun (code or name); default the one in ``source.metadata``.
    label
        What people read; default the incident file names and the period.

    Returns
    -------
    DataSet

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"occurred_at": pd.to_datetime(["2024-03-01 10:00"]).tz_localize("UTC"),
    ...                     "lon": [17.1], "lat": [59.37]})
    >>> d = dataset_of(inc, kommun="Göteborg")
    >>> d.id.startswith("sha256:"), d.kommun, d.label
    (True, '1480', '1 mars 2024–1 mars 2024')
    >>> d.id == dataset_of(inc.copy()).id  # the same rows, the same identity
    True
    """
    incidents = getattr(source, "incidents", source)
    if not isinstance(incidents, pd.DataFrame):
        raise InputError(f"dataset_of() needs a Lagesbild or an incident DataFrame, got "
                         f"{type(source).__name__}.")
    meta = getattr(source, "metadata", None) or {}
    files = [s for s in (meta.get("sources") or [])
             if isinstance(s, Mapping) and isinstance(s.get("sha256"), str) and s["sha256"]]
    if files:
        digest = hashlib.sha256("\n".join(sorted(s["sha256"] for s in files)).encode()).hexdigest()
        names = [str(s.get("name") or s.get("path") or "") for s in files]
    else:
        digest = _content_hash(incidents)
        names = []
    if kommun is None:
        k = meta.get("kommun") or {}
        kommun = (k.get("code") or k.get("name")) if isinstance(k, Mapping) else None
    first, last = _local_days(incidents)
    if label is None or not str(label).strip():
        period = f"{date_sv(first)}–{date_sv(last)}" if first and last else "utan tider"
        label = f"{' + '.join(n for n in names if n)}, {period}" if any(names) else period
    return DataSet(id=f"sha256:{digest}", label=str(label).strip(), kommun=_kommun_of(kommun),
                   first_day=first, last_day=last, extent=_extent(source, incidents),
                   n_incidents=len(incidents), n_positioned=int(_positioned(incidents).sum()))


# -------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class CoverageNote:
    """One finding of :func:`check_coverage`.

    ``severity`` is ``"stop"`` (the follow-up cannot say anything about the measure on
    these data: show the note instead of the figures), ``"warning"`` (the figures are
    incomplete: show the note beside them) or ``"info"``. ``code`` is one of
    ``kommun``, ``no_positions``, ``outside``, ``partly_outside``, ``no_after``,
    ``no_before``, ``before_incomplete``, ``after_incomplete``, ``other_dataset``.
    """

    code: str
    severity: str
    en: str
    sv: str






def followup_windows(start_date: dt.date | str, *, last_day: dt.date | str,
                     before: tuple[Any, Any] | None = None,
                     after: tuple[Any, Any] | None = None
                     ) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The before and after periods of a follow-up, as :func:`lagesbild_geo.followup.followup`
    chooses them: ``after`` from the start to ``last_day`` (the data's last day),
    ``before`` the same number of days just before the start; given periods are kept.

    The after period may end before it starts (a start after the data's last day);
    :func:`check_coverage` reports that.

    Examples
    --------
    >>> followup_windows("2024-03-01", last_day="2024-03-10")
    ((datetime.date(2024, 2, 20), datetime.date(2024, 2, 29)), (datetime.date(2024, 3, 1), datetime.date(2024, 3, 10)))
    """
    start = require_date(start_date, "start_date")
    if after is not None:
        a0, a1 = require_window(after, "after")
    else:
        a0, a1 = start, require_date(last_day, "last_day")
    if before is not None:
        b0, b1 = require_window(before, "before")
    else:
        days = max((a1 - a0).days + 1, 1)
        b1 = a0 - dt.timedelta(days=1)
        b0 = a0 - dt.timedelta(days=days)
    return (b0, b1), (a0, a1)


def check_coverage(area: Area | BaseGeometry | Mapping[str, Any] | str, data: DataSet, *,
                   start_date: dt.date | str | None = None,
                   before: tuple[Any, Any] | None = None,
                   after: tuple[Any, Any] | None = None) -> list[CoverageNote]:
    """Do these data cover the area and the measure's periods?

    Parameters
    ----------
    area
        The measure's area: an :class:`Area` (its ``drawn_kommun`` and ``drawn_dataset``
        are checked too) or a polygon in WGS84.
    data
        The data the follow-up would count on (:func:`dataset_of`).
    start_date
        The measure's start; without it the periods are not checked.
    before, after
        The periods when chosen; default as :func:`followup_windows`.

    Returns
    -------
    list of CoverageNote
        Empty when the data cover everything. Checked in this order: the kommun the
        area was drawn on, whether any incident has a position to count in an area
        (``no_positions``: e.g. only the police's events feed), the area's ground
        (``outside`` below 1 % covered, ``partly_outside`` below 95 %), the periods, the
        data set the area was drawn on.

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"occurred_at": pd.to_datetime(["2024-01-01", "2024-12-31"])
    ...                                      .tz_localize("Europe/Stockholm"),
    ...                     "lon": [17.10, 17.12], "lat": [59.37, 59.38]})
    >>> sq = "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.38, 17.10 59.37))"
    >>> notes = check_coverage(sq, dataset_of(inc), start_date="2025-02-01")
    >>> [(n.code, n.severity) for n in notes]
    [('no_after', 'stop')]
    >>> notes[0].sv
    'Åtgärden startade 1 februari 2025, men underlaget slutar 31 december 2024: det finns inga händelser efter start att jämföra med. Läs in nyare data på sidan Data.'
    """
    notes: list[CoverageNote] = []
    source = area.geometry if isinstance(area, Area) else area
    geom, problems, _ = validate_geometry(source, field_name="area")
    if geom is None:
        raise ValidationError(problems)
    drawn_on = area if isinstance(area, Area) else None

    if drawn_on is not None and same_kommun(drawn_on.drawn_kommun, data.kommun) is False:
        a_k, d_k = kommun_label(drawn_on.drawn_kommun), kommun_label(data.kommun)
        notes.append(CoverageNote(
            "kommun", "stop",
            f"The area was drawn on data of {a_k}, but these data are of {d_k}; follow the "
            "measure up on data of the same kommun.",
            f"Området ritades på underlag för {a_k}, men underlaget nu gäller {d_k}. "
            "Uppföljningen måste göras på data för samma kommun – välj rätt filer på sidan Data."))

    notes.extend(_ground_notes(geom, data))

    if start_date is not None:
        notes.extend(_period_notes(data, start_date, before=before, after=after))

    if drawn_on is not None and drawn_on.drawn_dataset and drawn_on.drawn_dataset != data.id:
        was = drawn_on.drawn_dataset_label or drawn_on.drawn_dataset
        notes.append(CoverageNote(
            "other_dataset", "info",
            f"The area was drawn on other data ({was}); the follow-up counts on {data.label}.",
            f"Området ritades på ett annat underlag, «{was}»; uppföljningen räknar på "
            f"«{data.label}»."))
    return notes


def _ground_notes(geom: BaseGeometry, data: DataSet) -> list[CoverageNote]:
    """Whether any incident has a position and how much of the area ``geom`` the data cover."""
    notes: list[CoverageNote] = []
    if data.n_incidents and data.n_positioned == 0:
        notes.append(CoverageNote(
            "no_positions", "stop",
            "No incident in the data has a point or address position (e.g. only the police's "
            "events feed, placed at the kommun's centre), so none can be counted in an area. "
            "Add the kommun's own incident data with coordinates or addresses.",
            "Ingen händelse i underlaget har en punkt- eller adressposition (till exempel bara "
            "polisens händelseflöde, som placeras i kommunens mitt), så inga händelser kan "
            "räknas i ett område. Lägg till händelser med koordinater eller adresser på sidan "
            "Data."))
    elif data.extent is not None:
        a_m = to_3006(geom)
        covered = float(a_m.intersection(to_3006(data.extent)).area) / max(float(a_m.area), 1e-9)
        if covered < _OUTSIDE:
            notes.append(CoverageNote(
                "outside", "stop",
                f"The area lies outside the ground the data cover ({data.label}); no incident "
                "can be counted there. Use data that cover the area.",
                f"Området ligger utanför det som underlaget «{data.label}» täcker, så inga "
                "händelser kan räknas där. Välj underlag som täcker området på sidan Data."))
        elif covered < _COVERED:
            pct = number(100 * covered, decimals=0)
            notes.append(CoverageNote(
                "partly_outside", "warning",
                f"Only {100 * covered:.0f} % of the area lies where the data cover; the counts "
                "in the area are too low.",
                f"Bara {pct} % av området ligger inom det underlaget täcker; antalen i området "
                "blir för låga."))
    return notes


def _period_notes(data: DataSet, start_date: dt.date | str, *, before: tuple[Any, Any] | None,
                  after: tuple[Any, Any] | None) -> list[CoverageNote]:
    """Whether the data cover the before and after periods of a measure started on ``start_date``."""
    notes: list[CoverageNote] = []
    if data.first_day is None or data.last_day is None:
        return notes
    start = require_date(start_date, "start_date")
    first, last = data.first_day, data.last_day
    (b0, b1), (a0, a1) = followup_windows(start, last_day=last, before=before, after=after)
    if a0 > last:
        notes.append(CoverageNote(
            "no_after", "stop",
            f"The after period starts on {a0}, but the data end on {last}: there is "
            "nothing after the start to compare with. Load newer data.",
            f"Åtgärden startade {date_sv(a0)}, men underlaget slutar {date_sv(last)}: det "
            "finns inga händelser efter start att jämföra med. Läs in nyare data på sidan "
            "Data."))
    elif b1 < first:
        notes.append(CoverageNote(
            "no_before", "stop",
            f"The data start on {first}, after the before period ends ({b1}): there is "
            "nothing before the start to compare with. Load older data.",
            f"Underlaget börjar {date_sv(first)}, efter att perioden före start slutar "
            f"({date_sv(b1)}): det finns inga händelser före start att jämföra med. Läs in "
            "äldre data på sidan Data."))
    else:
        if b0 < first:
            notes.append(CoverageNote(
                "before_incomplete", "warning",
                f"The data start on {first}, after the before period starts ({b0}); the "
                "before count is incomplete.",
                f"Underlaget börjar {date_sv(first)}, men perioden före start börjar "
                f"{date_sv(b0)}: antalet före blir för lågt."))
        if a1 > last:
            notes.append(CoverageNote(
                "after_incomplete", "warning",
                f"The data end on {last}, before the after period ends ({a1}); the after "
                "count is incomplete.",
                f"Underlaget slutar {date_sv(last)}, före periodens slut ({date_sv(a1)}): "
                "antalet efter blir för lågt."))
    return notes


# ------------------------------------------------------------------ comparison areas


def _area_of(store: MeasureStoreProtocol, value: Area | str) -> Area:
    return value if isinstance(value, Area) else store.get_area(str(value))


def _active(status: str, start: Any, end: Any,
            period: tuple[dt.date, dt.date] | None) -> bool:
    """Whether a measure acts during ``period`` (any time when ``None``)."""
    s = None if start is None or start is pd.NaT or pd.isna(start) else pd.Timestamp(start).date()
    e = None if end is None or end is pd.NaT or pd.isna(end) else pd.Timestamp(end).date()
    if s is None:
        # no start date: a running or finished measure acted at some time we do not know
        return status in ("pågående", "genomförd")
    if period is None:
        return True
    p0, p1 = period
    return s <= p1 and (e is None or e >= p0)


def comparison_area_problems(store: MeasureStoreProtocol, area: Area | str,
                             comparison_area: Area | str, *, buffer_m: float = 250.0,
                             period: tuple[Any, Any] | None = None) -> list[Problem]:
    """Why an area cannot be a measure's comparison area (empty when it can).

    A comparison area shows how crime would have gone without the measure, so it is
    refused when it

    * is the measure's own area, or is deleted;
    * overlaps the measure's area (the same incidents would count on both sides), or
      its buffer ring of ``buffer_m`` metres (where crime may have moved to or fallen
      with the measure);
    * has a measure of its own that acts during ``period`` (its effect would be mixed
      into the comparison). A measure acts from its start date to its end date (open
      when missing); one without a start date counts when it is ``pågående`` or
      ``genomförd``. Without ``period`` any such measure counts.

    Parameters
    ----------
    store
        The store holding both areas.
    area, comparison_area
        Area ids (or :class:`Area` objects).
    buffer_m
        Width of the follow-up's buffer ring (metres).
    period
        The follow-up's whole span, (first day of the before period, last day of the
        after period): see :func:`followup_windows`.

    Returns
    -------
    list of (field, English, Swedish)
        Field ``"control"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lagesbild_geo.measures import MeasureStore
    >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
    ...     a = s.add_area(name="Torget", geometry="POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.38, 17.10 59.37))")
    ...     b = s.add_area(name="Norr", geometry="POLYGON ((17.10 59.40, 17.12 59.40, 17.12 59.41, 17.10 59.40))")
    ...     _ = s.add_measure(area_id=b.id, title="Kameror", target_categories=["ran"],
    ...                       status="pågående", start_date="2024-01-01")
    ...     [sv for _, _, sv in comparison_area_problems(s, a.id, b.id)]
    ['«Norr» har en egen åtgärd under uppföljningsperioden: «Kameror» (pågående, från 1 januari 2024). Dess effekt skulle blandas in i jämförelsen; välj ett område utan egna åtgärder under perioden, eller resten av kommunen.']
    """
    if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m >= 0):
        raise ValidationError([("buffer_m", f"must be a distance ≥ 0 in metres, got {buffer_m!r}",
                                f"måste vara ett avstånd ≥ 0 i meter, fick {buffer_m!r}")])
    span = None if period is None else require_window(period, "period")
    treated = _area_of(store, area)
    comp = _area_of(store, comparison_area)
    problems: list[Problem] = []
    if comp.id == treated.id:
        return [("control", "the comparison area is the measure's own area",
                 f"«{comp.name}» är åtgärdens eget område och kan inte vara jämförelseområde; "
                 "välj ett annat område eller resten av kommunen.")]
    if comp.is_deleted:
        problems.append(("control", f"the comparison area {comp.name!r} is deleted",
                         f"«{comp.name}» är borttaget; återställ det eller välj ett annat "
                         "område."))
    problems.extend(_overlap_problems(treated, comp, buffer_m=buffer_m))
    problems.extend(_active_measure_problems(store, comp, span))
    return problems


def _overlap_problems(treated: Area, comp: Area, *, buffer_m: float) -> list[Problem]:
    """The comparison area ``comp`` overlaps the measure's area ``treated`` or its buffer ring."""
    problems: list[Problem] = []
    t_m, c_m = to_3006(treated.geometry), to_3006(comp.geometry)
    overlap = float(c_m.intersection(t_m).area)
    if overlap > 1.0:
        share = 100 * overlap / max(float(c_m.area), 1e-9)
        problems.append((
            "control", f"the comparison area {comp.name!r} overlaps the measure's area "
                       f"{treated.name!r} ({overlap:.0f} m², {share:.0f} % of it)",
            f"«{comp.name}» överlappar åtgärdens område «{treated.name}» "
            f"({number(share, decimals=0)} % av jämförelseområdet): samma händelser skulle "
            "räknas på båda sidor. Välj ett område som ligger utanför."))
    elif buffer_m > 0:
        ring = t_m.buffer(float(buffer_m)).difference(t_m)
        if float(c_m.intersection(ring).area) > 1.0:
            problems.append((
                "control", f"the comparison area {comp.name!r} reaches into the {buffer_m:g} m "
                           f"buffer ring around {treated.name!r}",
                f"«{comp.name}» ligger delvis i buffertzonen ({integer(buffer_m)} m) runt "
                f"«{treated.name}», där brott kan ha flyttat eller minskat av åtgärden. Välj "
                "ett område längre bort, eller en smalare buffertzon."))
    return problems


def _measure_when(b: Any, e: Any) -> str:
    """A measure's span in Swedish, from its start ``b`` and end ``e`` (either may be missing)."""
    if b is None or pd.isna(b):
        return "startdatum saknas"
    text = f"från {date_sv(pd.Timestamp(b).date())}"
    return text if e is None or pd.isna(e) else f"{text} till {date_sv(pd.Timestamp(e).date())}"


def _active_measure_problems(store: MeasureStoreProtocol, comp: Area,
                             span: tuple[dt.date, dt.date] | None) -> list[Problem]:
    """The comparison area ``comp`` has measures of its own acting during ``span``."""
    problems: list[Problem] = []
    ms = store.list_measures(area_id=comp.id)
    active = [(str(t), s, b, e) for t, s, b, e in zip(
        ms["title"], ms["status"], ms["start_date"], ms["end_date"], strict=True)
        if _active(str(s), b, e, span)]
    if active:
        listed = ", ".join(f"«{t}» ({s}, {_measure_when(b, e)})" for t, s, b, e in active[:3])
        more = f" och {len(active) - 3} till" if len(active) > 3 else ""
        during = "under uppföljningsperioden" if span is None else (
            f"under uppföljningsperioden ({date_sv(span[0])}–{date_sv(span[1])})")
        problems.append((
            "control", f"the comparison area {comp.name!r} has {len(active)} measure(s) of its "
                       f"own acting during the follow-up ({', '.join(t for t, *_ in active[:3])})",
            f"«{comp.name}» har {'en egen åtgärd' if len(active) == 1 else 'egna åtgärder'} "
            f"{during}: {listed}{more}. Dess effekt skulle blandas in i jämförelsen; välj ett "
            "område utan egna åtgärder under perioden, eller resten av kommunen."))
    return problems


def check_comparison_area(store: MeasureStoreProtocol, area: Area | str,
                          comparison_area: Area | str, *, buffer_m: float = 250.0,
                          period: tuple[Any, Any] | None = None) -> None:
    """Refuse a comparison area that cannot serve as one.

    Raises :class:`~lagesbild_geo.errors.ValidationError` (field ``"control"``, every
    reason in English and Swedish) when :func:`comparison_area_problems` finds any;
    returns ``None`` when the area can be used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lagesbild_geo.measures import MeasureStore
    >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
    ...     a = s.add_area(name="Torget", geometry="POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.38, 17.10 59.37))")
    ...     b = s.add_area(name="Granne", geometry="POLYGON ((17.121 59.37, 17.13 59.37, 17.13 59.38, 17.121 59.37))")
    ...     try:
    ...         check_comparison_area(s, a.id, b.id, buffer_m=250)
    ...     except ValidationError as exc:
    ...         print(exc.problems[0][1])
    the comparison area 'Granne' reaches into the 250 m buffer ring around 'Torget'
    """
    problems = comparison_area_problems(store, area, comparison_area, buffer_m=buffer_m,
                                        period=period)
    if problems:
        raise ValidationError(problems)


# ------------------------------------------------------------------------ cautions


def followup_caution(counts: pd.DataFrame, *, threshold: int = FEW_EVENTS
                     ) -> tuple[str, str] | None:
    """The caution in words when a follow-up's counts are too small to read an effect from.

    Parameters
    ----------
    counts
        The follow-up's counts (``FollowupResult.counts``): index ``zone`` with
        ``area`` and ``buffer``, columns ``before`` and ``after``.
    threshold
        Fewer incidents than this in the area or the buffer ring, before or after the
        start, gives the caution (:data:`FEW_EVENTS`, 20).

    Returns
    -------
    (English, Swedish) or None
        ``None`` when every count reaches the threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"before": [40, 8, 900], "after": [31, 6, 870]},
    ...                  index=pd.Index(["area", "buffer", "control"], name="zone"))
    >>> print(followup_caution(c)[1])
    För få händelser för att läsa effekten: buffertzonen har 8 före och 6 efter start, färre än 20 i minst en av perioderna. Med så små tal kan skillnaden lika gärna vara slumpen, och förflyttningsmåttet säger inget om åtgärdens effekt. Läs siffrorna som en beskrivning av vad som hänt.
    """
    if not {"before", "after"} <= set(counts.columns):
        raise InputError("followup_caution() needs the follow-up's counts (columns before, "
                         "after; index area, buffer, control).")
    small_en: list[str] = []
    small_sv: list[str] = []
    for zone, en, sv in (("area", "the area", "området"), ("buffer", "the buffer ring",
                                                                "buffertzonen")):
        if zone not in counts.index:
            continue
        pair = counts.loc[zone, ["before", "after"]].to_numpy(dtype="int64")
        b, a = int(pair[0]), int(pair[1])
        if b < threshold or a < threshold:
            small_en.append(f"{en} has {b} before and {a} after the start")
            small_sv.append(f"{sv} har {integer(b)} före och {integer(a)} efter start")
    if not small_sv:
        return None
    return (f"Too few incidents to read an effect: {' and '.join(small_en)}, fewer than "
            f"{threshold} in at least one period. With numbers this small the difference may "
            "well be chance, and the displacement measure (WDQ) says nothing about the "
            "measure's effect.",
            f"För få händelser för att läsa effekten: {' och '.join(small_sv)}, färre än "
            f"{integer(threshold)} i minst en av perioderna. Med så små tal kan skillnaden lika "
            "gärna vara slumpen, och förflyttningsmåttet säger inget om åtgärdens effekt. Läs "
            "siffrorna som en beskrivning av vad som hänt.")
