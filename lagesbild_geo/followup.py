"""Follow-up of a measure: before/after counts in its area, a buffer ring and a
comparison area; the Weighted Displacement Quotient; a Swedish summary.

Method (Bowers & Johnson 2003; Guerette 2009, appendix B)
--------------------------------------------------------
With ``R`` the target crimes in the measure's area (response area), ``D`` in the
buffer ring around it (displacement area) and ``C`` in the comparison (control)
area, subscripts ``b`` before and ``a`` after the start, over equal-length periods:

* gross effect ``GE = Rb − Ra`` (positive: fewer crimes after)
* net effect ``NE = Rb/Cb − Ra/Ca`` (positive: the area improved relative to the control)
* success measure ``SM = Ra/Ca − Rb/Cb`` (negative: success)
* buffer displacement measure ``DM = Da/Ca − Db/Cb`` (positive: displacement,
  negative: diffusion of benefits)
* ``WDQ = DM / SM``, interpreted only when ``SM < 0``: ``> 1`` diffusion larger than
  the direct effect, ``0 … 1`` diffusion of benefits, ``0`` neither, ``−1 … 0``
  displacement smaller than the direct effect (a net gain), ``< −1`` displacement
  larger than the direct effect
* total net effect ``TNE = [Rb·(Ca/Cb) − Ra] + [Db·(Ca/Cb) − Da]``: crimes
  prevented in area and buffer together, after the control trend (positive: gain)

The WDQ is descriptive, not a test. :func:`followup` adds a conditional binomial
test (two-sided) of whether the area's after-share ``Ra / (Ra + Rb)`` differs from
the control's ``Ca / (Ca + Cb)``, and a caution when counts are small.

References: Bowers, K. J. & Johnson, S. D. (2003). Measuring the geographical
displacement and diffusion of benefit effects of crime prevention activity.
*Journal of Quantitative Criminology* 19(3), 275–301. Guerette, R. T. (2009).
*Analyzing crime displacement and diffusion*. Problem-Oriented Guides for Police,
Tool Guide No. 10, appendices B and C.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy import special
from shapely.geometry.base import BaseGeometry

from .errors import InputError, ValidationError
from .measures import Area, Measure, MeasureStoreProtocol, validate_geometry
from .measures.model import parse_categories, require_date, require_window, to_3006
from .period import Period, in_period, month_of, parse_period
from .schema import CATEGORY_LABELS, POINT_PRECISIONS
from .svformat import date_sv, integer, number

__all__ = ["FollowupResult", "WDDResult", "WDQResult", "area_figures", "followup", "wdd", "wdq"]

TZ = "Europe/Stockholm"
_TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)

_BANDS: dict[str, tuple[str, str]] = {
    "undefined": (
        "undefined: the control area has no crimes in one of the periods",
        "kan inte beräknas eftersom jämförelseområdet saknar brott under en av perioderna"),
    "no_success": (
        "not interpreted: the area did not improve relative to the control area",
        "tolkas inte eftersom området inte har utvecklats bättre än jämförelseområdet"),
    "diffusion_exceeds": (
        "diffusion of benefits larger than the direct effect in the area",
        "spridning av positiva effekter till omgivningen, större än effekten i själva området"),
    "diffusion": (
        "diffusion of benefits to the buffer",
        "viss spridning av positiva effekter till omgivningen"),
    "no_displacement": (
        "neither displacement nor diffusion",
        "varken förflyttning av brott eller spridning av positiva effekter"),
    "displacement_partial": (
        "some displacement to the buffer, at most as large as the direct effect",
        "viss förflyttning av brott till omgivningen, högst lika stor som minskningen i området"),
    "displacement_exceeds": (
        "displacement to the buffer larger than the direct effect",
        "förflyttningen av brott till omgivningen är större än minskningen i området"),
}


@dataclass(frozen=True)
class WDQResult:
    """The Weighted Displacement Quotient and its parts (see the module docstring).

    ``wdq`` is NaN when undefined (a control count is 0, or ``SM == 0``); ``band``
    is one of ``undefined``, ``no_success``, ``diffusion_exceeds``, ``diffusion``,
    ``no_displacement``, ``displacement_partial``, ``displacement_exceeds``, with
    ``band_en``/``band_sv`` in words.
    """

    target_before: float
    target_after: float
    buffer_before: float
    buffer_after: float
    control_before: float
    control_after: float
    gross_effect: float
    net_effect: float
    success_measure: float
    displacement_measure: float
    wdq: float
    total_net_effect: float
    band: str
    band_en: str
    band_sv: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready; NaN stays NaN)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def wdq(target_before: float, target_after: float, buffer_before: float, buffer_after: float,
        control_before: float, control_after: float) -> WDQResult:
    """Weighted Displacement Quotient (Bowers & Johnson 2003) with its parts.

    Parameters
    ----------
    target_before, target_after
        Counts in the measure's area before and after (``Rb``, ``Ra``).
    buffer_before, buffer_after
        Counts in the buffer ring (``Db``, ``Da``).
    control_before, control_after
        Counts in the comparison area (``Cb``, ``Ca``).

    Returns
    -------
    WDQResult
        ``SM = Ra/Ca − Rb/Cb``, ``DM = Da/Ca − Db/Cb``, ``WDQ = DM/SM``,
        ``GE = Rb − Ra``, ``NE = Rb/Cb − Ra/Ca``,
        ``TNE = [Rb(Ca/Cb) − Ra] + [Db(Ca/Cb) − Da]`` and the interpretation band
        (Guerette 2009, appendix C).

    Examples
    --------
    Crime halves in the area, rises by half in the buffer, the control is flat:
    everything prevented moved next door.

    >>> r = wdq(100, 50, 100, 150, 100, 100)
    >>> r.success_measure, r.displacement_measure, r.wdq, r.total_net_effect, r.band
    (-0.5, 0.5, -1.0, 0.0, 'displacement_partial')
    """
    vals = [target_before, target_after, buffer_before, buffer_after, control_before,
            control_after]
    for name, v in zip(("target_before", "target_after", "buffer_before", "buffer_after",
                        "control_before", "control_after"), vals, strict=True):
        if not isinstance(v, int | float | np.integer | np.floating) or isinstance(v, bool) \
                or not math.isfinite(float(v)) or v < 0:
            raise ValidationError([(name, f"must be a count ≥ 0, got {v!r}",
                                    f"måste vara ett antal ≥ 0, fick {v!r}")])
    rb, ra, db, da, cb, ca = (float(v) for v in vals)
    ge = rb - ra
    if cb == 0 or ca == 0:
        nan = float("nan")
        en, sv = _BANDS["undefined"]
        return WDQResult(rb, ra, db, da, cb, ca, ge, nan, nan, nan, nan, nan, "undefined",
                         en, sv)
    ne = rb / cb - ra / ca
    sm = ra / ca - rb / cb
    dm = da / ca - db / cb
    tne = (rb * (ca / cb) - ra) + (db * (ca / cb) - da)
    q = dm / sm if sm != 0 else float("nan")
    if not sm < 0:
        band = "no_success"
    elif abs(q) < 1e-12:
        band = "no_displacement"
    elif q > 1:
        band = "diffusion_exceeds"
    elif q > 0:
        band = "diffusion"
    elif q >= -1:
        band = "displacement_partial"
    else:
        band = "displacement_exceeds"
    en, sv = _BANDS[band]
    return WDQResult(rb, ra, db, da, cb, ca, ge, ne, sm, dm, q, tne, band, en, sv)


@dataclass(frozen=True)
class WDDResult:
    """The Weighted Displacement Difference test (Wheeler & Ratcliffe 2018).

    ``local`` = ΔT − ΔC (treated minus control change), ``displacement`` = ΔD − ΔCd
    (buffer minus its control), ``total`` = their sum (negative: crimes prevented),
    ``se`` its standard error (Poisson: √ of the sum of all counts), ``z`` and the
    two-sided ``p_value`` and confidence interval ``ci_low``/``ci_high``.
    """

    local: float
    displacement: float
    total: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


def wdd(treated: tuple[float, float], control: tuple[float, float],
        disp_treated: tuple[float, float] = (0, 0), disp_control: tuple[float, float] = (0, 0),
        *, alpha: float = 0.05) -> WDDResult:
    """Weighted Displacement Difference test (Wheeler & Ratcliffe 2018).

    A difference-in-differences of counts with a Poisson standard error, as a test
    beside the descriptive WDQ. Each argument is ``(before, after)``. It assumes the
    control is comparable in size to the treated area (as in the paper's matched
    controls); with the whole rest of a kommun as control, use the WDQ instead.

    ``WDD = (T1 − T0) − (C1 − C0) + (D1 − D0) − (Cd1 − Cd0)``,
    ``Var = T0 + T1 + C0 + C1 + D0 + D1 + Cd0 + Cd1``, ``z = WDD / √Var``,
    two-sided p-value, ``1 − alpha`` confidence interval.

    Examples
    --------
    The paper's worked example (treated 207 → 110, control 308 → 318, displacement
    area 178 → 157, its control 150 → 140):

    >>> r = wdd((207, 110), (308, 318), (178, 157), (150, 140))
    >>> r.total, r.se ** 2, round(r.z, 2), round(r.ci_low), round(r.ci_high)
    (-118.0, 1568.0, -2.98, -196, -40)
    """
    parts = {"treated": treated, "control": control, "disp_treated": disp_treated,
             "disp_control": disp_control}
    vals: dict[str, tuple[float, float]] = {}
    for name, v in parts.items():
        ok = (isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2
              and all(isinstance(x, int | float | np.integer | np.floating)
                      and not isinstance(x, bool) and math.isfinite(float(x)) and x >= 0
                      for x in v))
        if not ok:
            raise ValidationError([(name, f"must be (before, after) counts ≥ 0, got {v!r}",
                                    f"måste vara antal (före, efter) ≥ 0, fick {v!r}")])
        vals[name] = (float(v[0]), float(v[1]))
    if not 0 < alpha < 1:
        raise ValidationError([("alpha", f"must be between 0 and 1, got {alpha!r}",
                                f"måste ligga mellan 0 och 1, fick {alpha!r}")])
    t, c, d, cd = (vals[k] for k in parts)
    local = (t[1] - t[0]) - (c[1] - c[0])
    disp = (d[1] - d[0]) - (cd[1] - cd[0])
    total = local + disp
    var = sum(t) + sum(c) + sum(d) + sum(cd)
    se = math.sqrt(var)
    z = total / se if se > 0 else float("nan")
    p = float(2 * special.ndtr(-abs(z))) if se > 0 else float("nan")  # = 2 · norm.sf(|z|)
    q = float(special.ndtri(1 - alpha / 2))  # = norm.ppf
    return WDDResult(local, disp, total, se, z, p, total - q * se, total + q * se)


@dataclass(frozen=True)
class FollowupResult:
    """What :func:`followup` found.

    Attributes
    ----------
    counts
        Index ``zone`` (``area``, ``buffer``, ``control``); columns ``before``,
        ``after``, ``change`` (after − before) and ``change_pct`` (NaN when before is 0).
    wdq
        :class:`WDQResult` over the same counts.
    before, after
        The periods as (first day, last day), both inclusive, equal length.
    start_date
        The measure's start (first day of ``after``).
    categories
        Target category ids counted.
    buffer_m
        Width of the buffer ring in metres.
    p_value
        Two-sided conditional binomial test: does the area's share of its crimes
        falling after the start differ from the control's? NaN when not computable.
    rate_ratio
        ``(Ra/Rb) / (Ca/Cb)``: below 1 the area fell more (or rose less) than the
        control. NaN when a before count is 0.
    small_counts
        True when the area's counts are too small to read much into.
    summary_sv
        A plain Swedish summary (with the small-count caution when it applies).
    monthly
        Index ``month`` (first day, naive); columns ``area``, ``buffer``,
        ``control`` (counts), ``area_index`` and ``control_index`` (100 = the mean
        month before the start), ``period`` (``"before"``/``"after"``).
    zones
        GeoDataFrame (EPSG:4326) of the area, buffer ring and, when given, the
        control polygon, for maps.
    notes
        ``(English, Swedish)`` remarks (e.g. data not covering the before period).
    """

    counts: pd.DataFrame
    wdq: WDQResult
    before: tuple[dt.date, dt.date]
    after: tuple[dt.date, dt.date]
    start_date: dt.date
    categories: tuple[str, ...]
    buffer_m: float
    p_value: float
    rate_ratio: float
    small_counts: bool
    summary_sv: str
    monthly: pd.DataFrame
    zones: Any = field(repr=False)
    notes: tuple[tuple[str, str], ...] = ()
    title: str = ""






def _resolve_measure(measure: object, area: object, store: MeasureStoreProtocol | None
                     ) -> tuple[str, BaseGeometry, dt.date, tuple[str, ...]]:
    if isinstance(measure, Measure):
        title = measure.title
        if measure.start_date is None:
            raise ValidationError([("start_date", f"measure {measure.title!r} has no start "
                                                  "date; set start_date to follow it up",
                                    f"åtgärden {measure.title!r} saknar startdatum; ange "
                                    "startdatum för att kunna följa upp den")])
        start = measure.start_date
        cats = measure.target_categories
        if area is None:
            if store is None:
                raise InputError("followup() needs the measure's area: pass area=store."
                                 "get_area(measure.area_id) or store=store.")
            area = store.get_area(measure.area_id)
        geom_src: object = area.geometry if isinstance(area, Area) else area
    elif isinstance(measure, Mapping):
        title = str(measure.get("title") or measure.get("name") or "")
        start = require_date(measure.get("start_date", measure.get("start")), "start_date")
        problems: list[tuple[str, str, str]] = []
        cats = parse_categories(measure.get("target_categories", measure.get("categories")),
                                problems)
        if problems:
            raise ValidationError(problems)
        geom_src = area if area is not None else next(
            (measure[k] for k in ("geometry", "area_polygon", "polygon", "area")
             if k in measure), None)
        if isinstance(geom_src, Area):
            geom_src = geom_src.geometry
    else:
        raise InputError(f"measure must be a Measure or a mapping with geometry, start_date "
                         f"and target_categories; got {type(measure).__name__}.")
    geom, problems, _ = validate_geometry(geom_src, field_name="area")
    if geom is None:
        raise ValidationError(problems)
    return title, geom, start, tuple(cats)


def _xy(incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if {"easting", "northing"} <= set(incidents.columns):
        x = incidents["easting"].to_numpy(dtype="float64", na_value=np.nan)
        y = incidents["northing"].to_numpy(dtype="float64", na_value=np.nan)
        if np.isfinite(x).all() and np.isfinite(y).all():
            return x, y
    else:
        x = np.full(len(incidents), np.nan)
        y = np.full(len(incidents), np.nan)
    if {"lon", "lat"} <= set(incidents.columns):
        miss = ~(np.isfinite(x) & np.isfinite(y))
        lon = incidents["lon"].to_numpy(dtype="float64", na_value=np.nan)[miss]
        lat = incidents["lat"].to_numpy(dtype="float64", na_value=np.nan)[miss]
        ex, ny = _TO_3006.transform(lon, lat)
        x = x.copy()
        y = y.copy()
        x[miss], y[miss] = ex, ny
        return x, y
    if not {"easting", "northing"} <= set(incidents.columns):
        raise InputError("incidents need easting/northing (SWEREF 99 TM) or lon/lat columns; "
                         f"got {', '.join(map(str, incidents.columns))}. Read them with "
                         "lagesbild_geo.io.read_incidents.")
    return x, y


def _pair(counts: pd.DataFrame, zone: str) -> tuple[int, int]:
    v = np.asarray(counts.loc[zone, ["before", "after"]], dtype="int64")
    return int(v[0]), int(v[1])


def _pct(before: float, after: float) -> str:
    if before == 0:
        return "ingen jämförelse möjlig (0 före)"
    v = 100 * (after - before) / before
    return ("+" if round(v) > 0 else "") + f"{number(v)} %"


def followup(measure: Measure | Mapping[str, Any], incidents: pd.DataFrame, *,
             area: Area | BaseGeometry | Mapping[str, Any] | str | None = None,
             store: MeasureStoreProtocol | None = None,
             before: tuple[Any, Any] | None = None, after: tuple[Any, Any] | None = None,
             buffer_m: float = 250.0,
             control: BaseGeometry | Mapping[str, Any] | str | None = None,
             as_of: dt.date | str | None = None,
             precisions: Sequence[str] | None = POINT_PRECISIONS,
             small_count: int = 20) -> FollowupResult:
    """Before/after counts for a measure's area, buffer ring and comparison area.

    Parameters
    ----------
    measure
        A :class:`~lagesbild_geo.measures.Measure` (give ``area=`` or ``store=`` for
        its polygon) or a mapping with ``geometry`` (or ``area_polygon``),
        ``start_date`` and ``target_categories`` (e.g. ``truth.json``'s measure).
    incidents
        Placed incidents (canonical columns: ``occurred_at``, ``category``,
        ``easting``/``northing`` or ``lon``/``lat``, ``precision``).
    area, store
        Where the measure's polygon comes from when ``measure`` is a Measure.
    before, after
        Periods as (first day, last day), inclusive. Default: ``after`` runs from the
        start date to ``as_of``; ``before`` is the same number of days just before
        the start.
    buffer_m
        Width of the buffer ring around the area (metres, in SWEREF 99 TM).
    control
        Comparison polygon (WGS84), e.g. the kommun boundary; the area and buffer are
        always cut out of it. Default: every incident outside area and buffer.
    as_of
        Last day of the after period; default the date of the last incident.
    precisions
        Incident precisions counted (default ``point`` and ``address``: place- and
        area-level positions are too coarse for a small area). ``None``: all.
    small_count
        Below this many crimes in the area (before + after) the summary warns that
        the counts are small.

    Returns
    -------
    FollowupResult

    Notes
    -----
    Points are assigned with ``shapely.contains_xy`` on the easting/northing arrays
    (vectorised; a point on the area's edge counts in the buffer). Periods are whole
    days in Europe/Stockholm time.

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({
    ...     "occurred_at": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-04-10",
    ...                                    "2024-01-15", "2024-04-15"]).tz_localize(TZ),
    ...     "category": ["ran"] * 5,
    ...     "lon": [17.11, 17.11, 17.11, 17.30, 17.30], "lat": [59.372] * 5,
    ...     "precision": ["point"] * 5})
    >>> m = {"geometry": "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.37))",
    ...      "start_date": "2024-03-01", "target_categories": ["ran"]}
    >>> r = followup(m, inc, as_of="2024-04-30")
    >>> r.counts[["before", "after"]].to_dict("index")["area"]
    {'before': 2, 'after': 1}
    """
    title, geom, start, cats = _resolve_measure(measure, area, store)
    _check_followup_inputs(incidents, buffer_m)
    notes: list[tuple[str, str]] = []
    t = _local_times(incidents)
    before_p, after_p = _followup_periods(t, start, before=before, after=after, as_of=as_of, notes=notes)
    in_before, in_after = in_period(t, before_p), in_period(t, after_p)
    zones_mask, ring, ctrl_m = _zone_masks(incidents, geom, cats, precisions=precisions,
                                           buffer_m=buffer_m, control=control)
    counts = _zone_counts(zones_mask, in_before, in_after)
    rb, ra = _pair(counts, "area")
    db, da = _pair(counts, "buffer")
    cb, ca = _pair(counts, "control")
    w = wdq(rb, ra, db, da, cb, ca)
    p_value, rate_ratio = _against_control(rb, ra, cb, ca)
    small = (rb + ra) < small_count
    b0, b1 = before_p.first_day, before_p.last_day
    a0, a1 = after_p.first_day, after_p.last_day
    monthly = _monthly(t, zones_mask, in_before | in_after, (b0, a0, a1))
    zone_geoms = [geom, _to_4326(ring)] + ([_to_4326(ctrl_m)] if ctrl_m is not None else [])
    zone_names = ["area", "buffer"] + (["control"] if ctrl_m is not None else [])
    zones = gpd.GeoDataFrame({"zone": zone_names}, geometry=zone_geoms, crs="EPSG:4326")

    summary = _summary_sv(title, cats, start, (b0, b1), (a0, a1), counts, w, buffer_m,
                          p_value, small, control is None, notes)
    return FollowupResult(
        counts=counts, wdq=w, before=(b0, b1), after=(a0, a1), start_date=start,
        categories=cats, buffer_m=float(buffer_m), p_value=p_value, rate_ratio=rate_ratio,
        small_counts=small, summary_sv=summary, monthly=monthly, zones=zones,
        notes=tuple(notes), title=title)


def _zone_counts(zones_mask: Mapping[str, np.ndarray], in_before: np.ndarray,
                 in_after: np.ndarray) -> pd.DataFrame:
    """Counts per zone before and after, the change and the change in per cent."""
    counts = pd.DataFrame(
        {"before": [int((m & in_before).sum()) for m in zones_mask.values()],
         "after": [int((m & in_after).sum()) for m in zones_mask.values()]},
        index=pd.Index(list(zones_mask), name="zone"))
    counts["change"] = counts["after"] - counts["before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        counts["change_pct"] = np.where(counts["before"] > 0,
                                        100.0 * counts["change"] / counts["before"].clip(lower=1),
                                        np.nan)
    return counts


def _against_control(rb: int, ra: int, cb: int, ca: int) -> tuple[float, float]:
    """The conditional binomial test's two-sided p-value (the area's after-share against
    the control's) and the rate ratio ``(Ra/Rb) / (Ca/Cb)``; NaN when not computable."""
    p_value = float("nan")
    if rb + ra > 0 and cb > 0 and ca > 0:
        from scipy import stats  # a heavy import, only for this test

        p0 = ca / (ca + cb)
        p_value = float(stats.binomtest(ra, rb + ra, p0, alternative="two-sided").pvalue)
    rate_ratio = (ra / rb) / (ca / cb) if rb > 0 and cb > 0 and ca > 0 else float("nan")
    return p_value, rate_ratio


def _check_followup_inputs(incidents: object, buffer_m: object) -> None:
    if not isinstance(incidents, pd.DataFrame):
        raise InputError(f"incidents must be a DataFrame, got {type(incidents).__name__}.")
    missing = [c for c in ("occurred_at", "category") if c not in incidents.columns]
    if missing:
        raise InputError(f"incidents lack column(s) {', '.join(missing)}; read them with "
                         "lagesbild_geo.io.read_incidents.")
    if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m > 0):
        raise ValidationError([("buffer_m", f"must be a distance > 0 in metres, got "
                                            f"{buffer_m!r}",
                                f"måste vara ett avstånd > 0 i meter, fick {buffer_m!r}")])


def _local_times(incidents: pd.DataFrame) -> pd.Series:
    """The incident times in Europe/Stockholm (naive times taken as local; an hour that does
    not exist or exists twice becomes NaT)."""
    t = pd.to_datetime(incidents["occurred_at"])
    if t.dt.tz is None:
        return t.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT")
    return t.dt.tz_convert(TZ)


def _followup_periods(t: pd.Series, start: dt.date, *, before: tuple[Any, Any] | None,
                      after: tuple[Any, Any] | None, as_of: dt.date | str | None,
                      notes: list[tuple[str, str]]) -> tuple[Period, Period]:
    """The before and after periods (whole days): ``after`` from the start to ``as_of`` (or
    the last incident) unless given, ``before`` as long just before it unless given."""
    if after is not None:
        a0, a1 = require_window(after, "after")
    else:
        if as_of is not None:
            a1 = require_date(as_of, "as_of")
        else:
            if t.notna().sum() == 0:
                raise InputError("incidents have no times; give as_of= or after=.")
            a1 = t.max().date()
        a0 = start
        if a1 < a0:
            raise ValidationError([("as_of", f"{a1} is before the measure's start {start}; "
                                             "there is no after period yet",
                                    f"{a1} är före åtgärdens start {start}; det finns ingen "
                                    "period efter start ännu")])
    after_p = parse_period((a0.isoformat(), a1.isoformat()), tz=TZ)
    if before is None:
        before_p = after_p.previous()
    else:
        b0, b1 = require_window(before, "before")
        before_p = parse_period((b0.isoformat(), b1.isoformat()), tz=TZ)
    b0, b1 = before_p.first_day, before_p.last_day
    if b1 >= a0 and before is not None and b0 <= a1:
        notes.append(("The before and after periods overlap.",
                      "Perioderna före och efter överlappar."))
    if t.notna().any():
        first = t.min().date()
        if first > b0:
            notes.append((f"The data start on {first}, after the before period starts ({b0}); "
                          "the before count is incomplete.",
                          f"Underlaget börjar {first}, efter att perioden före börjar ({b0}); "
                          "antalet före är ofullständigt."))
        last = t.max().date()
        if last < a1:
            notes.append((f"The data end on {last}, before the after period ends ({a1}).",
                          f"Underlaget slutar {last}, före periodens slut ({a1})."))
    return before_p, after_p


def _zone_masks(incidents: pd.DataFrame, geom: BaseGeometry, cats: Sequence[str], *,
                precisions: Sequence[str] | None, buffer_m: float,
                control: BaseGeometry | Mapping[str, Any] | str | None
                ) -> tuple[dict[str, np.ndarray], BaseGeometry, BaseGeometry | None]:
    """Which target incidents lie in the area, the buffer ring and the comparison area
    (points on the area's edge count in the buffer); the ring and the control in metres."""
    sel = incidents["category"].astype("string").isin(list(cats)).to_numpy(dtype=bool,
                                                                          na_value=False)
    if precisions is not None and "precision" in incidents.columns:
        sel = sel & incidents["precision"].astype("string").isin(list(precisions)).to_numpy(
            dtype=bool, na_value=False)
    x, y = _xy(incidents)
    sel = sel & np.isfinite(x) & np.isfinite(y)
    a_m = to_3006(geom)
    full = a_m.buffer(float(buffer_m))
    ring = full.difference(a_m)
    shapely.prepare(a_m)
    shapely.prepare(full)
    in_area = sel & shapely.contains_xy(a_m, x, y)
    in_full = shapely.contains_xy(full, x, y)
    in_buffer = sel & in_full & ~in_area
    ctrl_m: BaseGeometry | None = None
    if control is None:
        in_control = sel & ~in_full
    else:
        cgeom, cprob, _ = validate_geometry(control, field_name="control")
        if cgeom is None:
            raise ValidationError(cprob)
        ctrl_m = to_3006(cgeom).difference(full)
        shapely.prepare(ctrl_m)
        in_control = sel & shapely.contains_xy(ctrl_m, x, y) & ~in_full
    return {"area": in_area, "buffer": in_buffer, "control": in_control}, ring, ctrl_m


def _monthly(t: pd.Series, zones_mask: Mapping[str, np.ndarray], window: np.ndarray,
             days: tuple[dt.date, dt.date, dt.date]) -> pd.DataFrame:
    """Counts per month and zone from the before period's first month to the after period's
    last, with the area's and the control's index (100 = the mean month before the start)."""
    b0, a0, a1 = days
    months = pd.period_range(pd.Period(b0, "M"), pd.Period(a1, "M"), freq="M")
    mon = month_of(t, tz=TZ)
    monthly = pd.DataFrame(index=months)
    for name, m in zones_mask.items():
        mm = m & window
        monthly[name] = mon[mm].value_counts().reindex(months, fill_value=0).astype("int64")
    monthly["period"] = np.where(months.start_time < pd.Timestamp(a0), "before", "after")
    base = monthly[monthly["period"] == "before"]
    for name in ("area", "control"):
        mean = base[name].mean() if len(base) else float("nan")
        monthly[f"{name}_index"] = 100.0 * monthly[name] / mean if mean and mean > 0 \
            else np.nan
    monthly.index = months.to_timestamp()
    monthly.index.name = "month"
    return monthly


_TO_4326 = Transformer.from_crs(3006, 4326, always_xy=True)


def _to_4326(g: BaseGeometry) -> BaseGeometry:
    return shapely.transform(g, lambda xy: np.column_stack(_TO_4326.transform(xy[:, 0], xy[:, 1])))


def _summary_sv(title: str, cats: Sequence[str], start: dt.date,
                before: tuple[dt.date, dt.date], after: tuple[dt.date, dt.date],
                counts: pd.DataFrame, w: WDQResult, buffer_m: float, p_value: float,
                small: bool, control_is_rest: bool, notes: Sequence[tuple[str, str]]) -> str:
    rb, ra = _pair(counts, "area")
    db, da = _pair(counts, "buffer")
    cb, ca = _pair(counts, "control")
    labels = ", ".join(CATEGORY_LABELS[c].lower() for c in cats)
    days = (after[1] - after[0]).days + 1
    name = f"«{title}»" if title else "Åtgärden"
    what = f"antalet brott av typen {labels}"
    if ra < rb:
        verb = f"minskade {what} från {integer(rb)} till {integer(ra)} ({_pct(rb, ra)})"
    elif ra > rb:
        verb = f"ökade {what} från {integer(rb)} till {integer(ra)} ({_pct(rb, ra)})"
    else:
        verb = f"var {what} oförändrat ({integer(rb)} före och {integer(ra)} efter)"
    parts = [
        f"{name} startade {date_sv(start)}. I området {verb} under {integer(days)} dagar efter "
        f"start ({date_sv(after[0])}–{date_sv(after[1])}) jämfört med lika lång tid före "
        f"({date_sv(before[0])}–{date_sv(before[1])}).",
    ]
    ctrl = "resten av kommunen" if control_is_rest else "jämförelseområdet"
    parts.append(f"I {ctrl} var förändringen {_pct(cb, ca)} ({integer(cb)} → {integer(ca)}) och i en zon "
                 f"{number(buffer_m)} m runt området {_pct(db, da)} ({integer(db)} → {integer(da)}).")
    said_chance = False
    net = (f"ungefär {number(w.total_net_effect)} {'färre' if w.total_net_effect >= 0 else 'fler'} brott i "
           "området och zonen runt det än utvecklingen i jämförelseområdet skulle ge")
    if w.band == "undefined":
        parts.append("Förflyttningskvoten (WDQ) " + w.band_sv + ".")
    elif w.band == "no_success":
        parts.append("Området har inte utvecklats bättre än jämförelseområdet, så "
                     "förflyttningskvoten (WDQ) tolkas inte.")
    elif not math.isnan(p_value) and p_value >= 0.05:
        said_chance = True
        # not säkerställd: the quotient and the net effect are what it would mean, not a result
        parts.append(f"Området utvecklades bättre än jämförelseområdet, men skillnaden kan bero på "
                     f"slumpen (p = {number(p_value, decimals=2)}) och är inte ett säkerställt resultat. "
                     f"Om den vore verklig skulle den viktade förflyttningskvoten (WDQ) "
                     f"{number(w.wdq, decimals=2)} betyda: {w.band_sv}, och {net}.")
    else:
        parts.append(f"Området utvecklades bättre än jämförelseområdet. Den viktade "
                     f"förflyttningskvoten (WDQ) är {number(w.wdq, decimals=2)}: {w.band_sv}. "
                     f"Sammantaget motsvarar det {net}.")
    if not math.isnan(p_value) and not said_chance:
        if p_value < 0.05:
            p_text = "p < 0,001" if p_value < 0.001 else f"p = {number(p_value, decimals=3)}"
            parts.append(f"Skillnaden mot jämförelseområdet är för stor för att troligen "
                         f"bero på slumpen ({p_text}).")
        else:
            parts.append(f"Skillnaden mot jämförelseområdet kan bero på slumpen "
                         f"(p = {number(p_value, decimals=2)}).")
    if small:
        parts.append(f"Observera att antalen är små ({integer(rb)} och {integer(ra)} brott i området), så "
                     "förändringen säger lite och kan vara en slump.")
    parts += [sv for _, sv in notes]
    parts.append("Jämförelsen visar vad som hänt, inte säkert varför.")
    return " ".join(parts)


def area_figures(source: Any, area: Area | BaseGeometry | Mapping[str, Any] | str, *,
                 precisions: Sequence[str] | None = POINT_PRECISIONS) -> pd.DataFrame:
    """Incidents inside an area by category, with the area's share of the kommun.

    Parameters
    ----------
    source
        A :class:`~lagesbild_geo.pipeline.Lagesbild` (its ``incidents``, and its
        ``hotspots`` for the hot-cell count) or a placed incident DataFrame.
    area
        The area: an :class:`Area` or a polygon in WGS84 (as for ``add_area``).
    precisions
        Incident precisions counted (default ``point`` and ``address``).

    Returns
    -------
    DataFrame
        Index ``category`` (ids, every category with incidents in the data, most
        frequent in the area first); columns ``label`` (Swedish), ``count`` (inside
        the area), ``per_km2``, ``share_pct`` (the area's share of that category in
        the whole data). ``attrs["area_km2"]``, ``attrs["total"]`` and
        ``attrs["hot_cells"]`` (cells classed ``hot_*`` whose centre lies inside;
        ``None`` without hotspots) carry the rest.

    Examples
    --------
    >>> import pandas as pd
    >>> inc = pd.DataFrame({"category": ["ran", "ran", "stold"], "lon": [17.11, 17.3, 17.11],
    ...                     "lat": [59.372] * 3, "precision": ["point"] * 3})
    >>> f = area_figures(inc, "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.37))")
    >>> f[["count", "share_pct"]].to_dict("index")
    {'stold': {'count': 1, 'share_pct': 100.0}, 'ran': {'count': 1, 'share_pct': 50.0}}
    """
    incidents = getattr(source, "incidents", source)
    hotspots = getattr(source, "hotspots", None)
    if not isinstance(incidents, pd.DataFrame) or "category" not in incidents.columns:
        raise InputError("area_figures() needs a Lagesbild or an incident table with a "
                         "'category' column.")
    geom_src = area.geometry if isinstance(area, Area) else area
    geom, problems, _ = validate_geometry(geom_src, field_name="area")
    if geom is None:
        raise ValidationError(problems)
    sel = np.ones(len(incidents), dtype=bool)
    if precisions is not None and "precision" in incidents.columns:
        sel = incidents["precision"].astype("string").isin(list(precisions)).to_numpy(
            dtype=bool, na_value=False)
    x, y = _xy(incidents)
    sel = sel & np.isfinite(x) & np.isfinite(y)
    a_m = to_3006(geom)
    shapely.prepare(a_m)
    inside = sel & shapely.contains_xy(a_m, x, y)
    cat = incidents["category"].astype("string")
    total = cat[sel].value_counts()
    within = cat[inside].value_counts().reindex(total.index, fill_value=0)
    km2 = float(a_m.area) / 1e6
    out = pd.DataFrame({
        "label": [CATEGORY_LABELS.get(str(c), str(c)) for c in total.index],
        "count": within.to_numpy(dtype="int64"),
        "per_km2": within.to_numpy(dtype="float64") / km2,
        "share_pct": 100.0 * within.to_numpy(dtype="float64") / total.to_numpy(dtype="float64"),
    }, index=pd.Index([str(c) for c in total.index], name="category"))
    out = out.sort_values(["count", "share_pct"], ascending=False, kind="stable")
    hot: int | None = None
    if hotspots is not None and len(hotspots) and "hotspot_class" in hotspots.columns:
        cells = hotspots[hotspots["hotspot_class"].astype(str).str.startswith("hot")]
        if len(cells):
            cells = cells if cells.crs is not None else cells.set_crs(4326)
            c = cells.to_crs(3006).geometry.centroid
            hot = int(shapely.contains_xy(a_m, c.x.to_numpy(), c.y.to_numpy()).sum())
        else:
            hot = 0
    out.attrs.update({"area_km2": km2, "total": int(inside.sum()), "hot_cells": hot})
    return out
