"""Near-repeat analysis: the Knox test, its Swedish reading, and near-repeat risk zones.

:func:`knox` counts pairs of events by distance band × time band and compares
the counts with Monte Carlo permutations of the times (Knox 1964; as
Ratcliffe's Near Repeat Calculator and the R package NearRepeat do).
:func:`risk_zones` turns a result into the zones and days after recent events
where the test says the risk of a new event is raised (the basis of a
grannsamverkan warning). :func:`knox_html` renders the table as a coloured
grid with the Swedish summary for the app and the report.

Methods, the interval convention, the fast algorithm and the privacy rules of
the risk zones: ``docs/methods-nearrepeat.md``.
"""

from __future__ import annotations

import datetime as _dt
import html
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from . import crs as _crs
from . import grid
from .errors import CRSError, InputError, SchemaError
from .schema import CATEGORY_LABELS, POINT_PRECISIONS
from .svformat import number

__all__ = [
    "MAX_NEAR_PAIRS",
    "MIN_EVENTS",
    "KnoxResult",
    "distance_labels",
    "has_points",
    "knox",
    "knox_html",
    "knox_summary",
    "raised_durations",
    "risk_zones",
    "time_labels",
]

#: Fewest events (after dropping rows without a position or a time) the test runs on.
MIN_EVENTS = 10
#: Pairs handled per numpy step in the permutation loop (fits the CPU cache).
_CHUNK = 1 << 16
#: Points per spatial strip when the near pairs are collected (bounds memory).
_STRIP = 8192
#: A strip whose every pair fits in this many is queried without counting first.
_SAFE_STRIP_PAIRS = 8_000_000
#: Most near pairs kept in memory (8 bytes each): beyond, knox refuses with advice.
MAX_NEAR_PAIRS = 100_000_000
_METRICS = {"manhattan": 1, "euclidean": 2}
_NS_PER_DAY = 86_400 * 10**9
_MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
              "september", "oktober", "november", "december")

# The event in the summary ("efter ett bostadsinbrott ... med ett nytt") and in a
# zone's text ("Förhöjd risk för bostadsinbrott").
_EVENT_SV: dict[str | None, tuple[str, str, str]] = {
    "vald": ("ett fall av våld eller hot", "ett nytt", "våld och hot"),
    "sexualbrott": ("ett sexualbrott", "ett nytt", "sexualbrott"),
    "ran": ("ett rån", "ett nytt", "rån"),
    "bostadsinbrott": ("ett bostadsinbrott", "ett nytt", "bostadsinbrott"),
    "stold": ("en stöld", "en ny", "stöld"),
    "fordonsbrott": ("ett fordonsbrott", "ett nytt", "fordonsbrott"),
    "skadegorelse": ("en skadegörelse", "en ny", "skadegörelse"),
    "brand": ("en brand", "en ny", "brand"),
    "narkotika": ("ett narkotikabrott", "ett nytt", "narkotikabrott"),
    "ordning": ("en ordningsstörning", "en ny", "ordningsstörning"),
    "bedrageri": ("ett bedrägeri", "ett nytt", "bedrägeri"),
    "vapen": ("en vapenhändelse", "en ny", "vapenhändelser"),
    "trafik": ("ett trafikbrott", "ett nytt", "trafikbrott"),
    "ovrigt": ("en händelse", "en ny", "nya händelser"),
    None: ("en händelse", "en ny", "nya händelser"),
}


# ---------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KnoxResult:
    """The result of :func:`knox`.

    Every table has one row per distance band (index ``avstånd``) and one column
    per time band (columns ``tid``), labelled in Swedish ("1–200 m",
    "7–13 dagar", "600 m eller mer"). Bands are half-open ``[a, b)``; the edges
    are in :attr:`distance_bands` and :attr:`time_bands` (the last band of each
    is "and more").

    Attributes
    ----------
    observed
        Number of pairs of events in each distance × time band.
    expected
        Mean number of pairs over the permutations of the times.
    knox_ratio
        ``observed / expected`` (NaN where nothing was expected).
    p_value
        ``(number of permutations with a count ≥ observed + 1) / (permutations + 1)``:
        one-sided (more pairs than chance); the smallest possible value is
        ``1 / (permutations + 1)``.
    summary
        Swedish sentences that read the table (see :func:`knox_summary`).
    distance_bands, time_bands
        The band edges as given (metres, days).
    metric
        ``"manhattan"`` or ``"euclidean"``.
    permutations, seed
        Number of permutations and the seed that reproduces them (drawn when
        ``seed=None`` was given).
    whole_days
        True when time differences were counted in whole calendar days.
    alpha
        Significance level used by the summary and the risk zones.
    category
        The category tested (an id such as ``"bostadsinbrott"``), or None.
    n_events, n_pairs, n_near_pairs
        Events tested, all pairs ``n(n−1)/2``, and pairs closer than the largest
        finite distance edge (the pairs the permutations touch).
    dropped
        Rows left out and why (``{"utan tid": 3, "utan position": 2,
        "annan precision": 40, "annan kategori": 900}``).
    simulated
        The permuted tables, shape ``(permutations, rows, columns)``.
    """

    observed: pd.DataFrame
    expected: pd.DataFrame
    knox_ratio: pd.DataFrame
    p_value: pd.DataFrame
    summary: list[str]
    distance_bands: tuple[float, ...]
    time_bands: tuple[float, ...]
    metric: str
    permutations: int
    seed: int
    whole_days: bool
    alpha: float
    category: str | None
    n_events: int
    n_pairs: int
    n_near_pairs: int
    dropped: dict[str, int] = field(default_factory=dict)
    simulated: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 0, 0), np.int64),
                                             repr=False)

    @property
    def metadata(self) -> dict[str, Any]:
        """The run's parameters and sizes as plain JSON-able values (for reports and exports).

        Examples
        --------
        >>> _example_result().metadata["distance_bands"]
        [0.0, 1.0, 200.0, 400.0]
        """
        return {
            "method": "Knox test, Monte Carlo permutation of the times",
            "distance_bands": list(self.distance_bands), "time_bands": list(self.time_bands),
            "intervals": "[a, b); the last edge opens an 'and more' band",
            "metric": self.metric, "permutations": self.permutations, "seed": self.seed,
            "whole_days": self.whole_days, "alpha": self.alpha, "category": self.category,
            "n_events": self.n_events, "n_pairs": self.n_pairs, "n_near_pairs": self.n_near_pairs,
            "dropped": dict(self.dropped),
        }

    def raised(self, alpha: float | None = None) -> pd.DataFrame:
        """Cells where the risk is raised: ``p_value ≤ alpha`` and ``knox_ratio > 1``.

        Examples
        --------
        >>> r = _example_result()
        >>> bool(r.raised().iloc[1, 0]), bool(r.raised().iloc[-1, -1])
        (True, False)
        """
        a = self.alpha if alpha is None else float(alpha)
        with np.errstate(invalid="ignore"):
            out = (self.p_value <= a) & (self.knox_ratio > 1)
        return out.fillna(False).astype(bool)


# ---------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------
def _edges(values: Any, name: str, unit: str) -> npt.NDArray[np.float64]:
    example = "[0, 1, 200, 400, 600]" if unit == "m" else "[0, 1, 7, 14, 21, 28]"
    try:
        if isinstance(values, str | bytes):
            raise TypeError
        e = np.asarray(list(values), dtype="float64")
    except (TypeError, ValueError):
        raise InputError(
            f"knox: {name} must be a list of band edges in {'metres' if unit == 'm' else 'days'}, "
            f"e.g. {example}; got {values!r}."
        ) from None
    problem = None
    if e.ndim != 1 or e.size < 2:
        problem = "give at least two edges (the last one opens an 'and more' band)"
    elif not np.isfinite(e).all():
        problem = "every edge must be a finite number (the last band is open by itself)"
    elif e[0] != 0:
        problem = (f"the first edge must be 0 so that every pair is counted (got {e[0]:g}); "
                   "a negative or later first edge would leave pairs out")
    elif (np.diff(e) <= 0).any():
        k = int(np.flatnonzero(np.diff(e) <= 0)[0])
        problem = f"edges must increase strictly ({e[k]:g} is followed by {e[k + 1]:g}); sort them"
    if problem:
        raise InputError(f"knox: {name}={list(values)!r}: {problem}. Example: {name}={example}.")
    return e


def _column(frame: pd.DataFrame, name: str, fallbacks: Sequence[str]) -> str | None:
    if name in frame.columns:
        return name
    for f in fallbacks:
        if f in frame.columns:
            return f
    return None


def _coordinates(
    frame: pd.DataFrame, x: str, y: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Metric (x, y) in metres: named columns, easting/northing, lat/lon or point geometry."""
    cols = frame.columns
    xc = _column(frame, x, ("easting",) if x == "x" else ())
    yc = _column(frame, y, ("northing",) if y == "y" else ())
    if xc is not None and yc is not None:
        xs = _numeric(frame[xc], xc)
        ys = _numeric(frame[yc], yc)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if ok.any() and (np.abs(xs[ok]) <= 180).all() and (np.abs(ys[ok]) <= 90).all():
            raise CRSError(
                f"knox: the coordinates in {xc!r}/{yc!r} look like degrees (longitude/latitude), "
                "but distances are measured in metres. Pass SWEREF 99 TM easting/northing "
                "(crs.to_sweref(lon, lat)) or a GeoDataFrame with its CRS."
            )
        return xs, ys
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in cols:
        g = frame.geometry
        if g.crs is not None and g.crs.is_geographic:
            g = g.to_crs("EPSG:3006")
        geom = np.asarray(g.values, dtype=object)
        kinds = shapely.get_type_id(geom)
        bad = (kinds != 0) & ~shapely.is_missing(geom) & ~shapely.is_empty(geom)
        if bad.any():
            raise InputError(
                f"knox needs point geometries; {int(bad.sum())} rows have other shapes "
                f"(e.g. {shapely.get_type_id(geom[bad][:1])}). Use .centroid or "
                ".representative_point() first."
            )
        xs = np.asarray(shapely.get_x(geom), dtype="float64")
        ys = np.asarray(shapely.get_y(geom), dtype="float64")
        if g.crs is None:
            ok = np.isfinite(xs) & np.isfinite(ys)
            if ok.any() and (np.abs(xs[ok]) <= 180).all() and (np.abs(ys[ok]) <= 90).all():
                raise CRSError("knox: the GeoDataFrame has no CRS and its coordinates look like "
                               "degrees; set it (gdf.set_crs('EPSG:4326')) first.")
        return xs, ys
    if {"lat", "lon"} <= set(cols):
        e, n = _crs.to_sweref(_numeric(frame["lon"], "lon"), _numeric(frame["lat"], "lat"))
        return e, n
    raise SchemaError(
        f"knox: no coordinates; expected columns {x!r} and {y!r} (metres), easting/northing "
        f"(SWEREF 99 TM), lat/lon, or a GeoDataFrame of points. Columns are {list(cols)}. "
        "Name yours with x=... and y=...."
    )


def _numeric(s: pd.Series, name: str) -> npt.NDArray[np.float64]:
    v = pd.to_numeric(s, errors="coerce")
    bad = v.isna() & s.notna()
    if bad.any():
        example = s[bad].iloc[0]
        raise InputError(
            f"knox: column {name!r} has {int(bad.sum())} values that are not numbers "
            f"(e.g. {example!r} in row {s.index[bad][0]!r}); fix or remove them."
        )
    return v.to_numpy(dtype="float64", na_value=np.nan)


@dataclass(frozen=True)
class _Times:
    ticks: npt.NDArray[np.int64]     # integer time of each row (meaningless where missing)
    missing: npt.NDArray[np.bool_]
    per_day: float                   # ticks per day
    whole_days: bool
    local: pd.Series | None          # local wall-clock times (for dates in texts)


def _times(frame: pd.DataFrame, time: str, whole_days: bool | None) -> _Times:
    col = _column(frame, time, ("occurred_at",) if time == "date" else ())
    if col is None:
        raise SchemaError(
            f"knox: no time column {time!r}; columns are {list(frame.columns)}. "
            "Name it with time=... (dates or date-times; numbers are read as days)."
        )
    s = frame[col]
    if pd.api.types.is_bool_dtype(s.dtype):
        raise InputError(f"knox: time column {col!r} holds true/false values, not times.")
    if pd.api.types.is_numeric_dtype(s.dtype):
        days = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        missing = ~np.isfinite(days)
        ok_days = days[~missing]
        whole = bool(np.all(ok_days == np.round(ok_days))) if whole_days is None else bool(whole_days)
        if whole:
            ticks = np.where(missing, 0, np.floor(np.nan_to_num(days))).astype(np.int64)
            return _Times(ticks, missing, 1.0, True, None)
        ns = np.where(missing, 0, np.round(np.nan_to_num(days) * _NS_PER_DAY)).astype(np.int64)
        return _fractional(ns, missing, None)
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        t = s
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t = pd.to_datetime(s, errors="coerce", format="mixed")
        bad = t.isna() & s.notna() & (s.astype("string").str.strip() != "").fillna(False)
        if bad.any():
            raise InputError(
                f"knox: {int(bad.sum())} values in time column {col!r} are not dates or times "
                f"(e.g. {s[bad].iloc[0]!r} in row {s.index[bad][0]!r}); write them as "
                "2024-03-05 or 2024-03-05 22:15, or remove those rows."
            )
    missing = t.isna().to_numpy(dtype=bool)
    local = t.dt.tz_localize(None) if isinstance(t.dtype, pd.DatetimeTZDtype) else t
    local = local.astype("datetime64[ns]")
    at_midnight = bool((local[~missing] == local[~missing].dt.normalize()).all())
    whole = at_midnight if whole_days is None else bool(whole_days)
    if whole:
        day = local.dt.normalize().to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        ticks = np.where(missing, 0, day.astype(np.int64, copy=False))
        return _Times(np.asarray(ticks, np.int64), missing, 1.0, True, local)
    ns = pd.DatetimeIndex(t).as_unit("ns").asi8.copy()  # UTC instants for tz-aware times
    ns[missing] = 0
    return _fractional(ns, missing, local)


def _fractional(ns: npt.NDArray[np.int64], missing: npt.NDArray[np.bool_],
                local: pd.Series | None) -> _Times:
    """Integer ticks in the coarsest unit (minute, second, ... ns) that holds every time exactly."""
    ok = ~missing
    base = ns - (int(ns[ok].min()) if ok.any() else 0)
    unit = 1
    for u in (60 * 10**9, 10**9, 10**6, 10**3):
        if ok.any() and not (base[ok] % u).any():
            unit = u
            break
    ticks = np.where(ok, base // unit, 0).astype(np.int64)
    return _Times(ticks, missing, _NS_PER_DAY / unit, False, local)


def _thresholds(edges: npt.NDArray[np.float64], per_day: float) -> npt.NDArray[np.int64]:
    """Integer tick thresholds: for an integer difference d, ``d < e·per_day ⇔ d < threshold``."""
    out = []
    for e in edges[1:]:
        v = float(e) * per_day
        r = round(v)
        out.append(r if abs(v - r) <= 1e-9 * max(1.0, abs(v)) else math.ceil(v))
    return np.asarray(out, dtype=np.int64)


def has_points(frame: pd.DataFrame | None, precisions: Sequence[str] | None = POINT_PRECISIONS) -> bool:
    """Whether any row of ``frame`` is a point :func:`knox` can use (its ``precision``).

    The police events feed alone has none (every row is a kommun's or a place's centre):
    then no category can be tested, and a page should say so rather than suggest another.

    Parameters
    ----------
    frame
        Incidents with a ``precision`` column (a frame without one counts as points).
    precisions
        The precisions that take part, as in :func:`knox`.

    Returns
    -------
    bool
        True when at least one row has one of ``precisions``.

    Examples
    --------
    >>> has_points(pd.DataFrame({"precision": ["kommun", "place"]}))
    False
    >>> has_points(pd.DataFrame({"precision": ["kommun", "address"]}))
    True
    """
    if frame is None or not len(frame):
        return False
    if precisions is None or "precision" not in frame.columns:
        return True
    return bool(frame["precision"].astype("string").isin(list(precisions)).fillna(False).any())


def _select(
    frame: pd.DataFrame, category: str | None, precisions: Sequence[str] | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    dropped: dict[str, int] = {}
    keep = np.ones(len(frame), dtype=bool)
    if category is not None:
        if "category" not in frame.columns:
            raise SchemaError(f"knox(category={category!r}): the points have no 'category' column.")
        if category not in CATEGORY_LABELS:
            raise InputError(f"Unknown category {category!r}; use one of {list(CATEGORY_LABELS)}.")
        in_cat = (frame["category"].astype("string") == category).fillna(False).to_numpy(dtype=bool)
        dropped["annan kategori"] = int((~in_cat).sum())
        keep &= in_cat
    if precisions is not None and "precision" in frame.columns:
        p = frame["precision"].astype("string").isin(list(precisions)).fillna(False).to_numpy(dtype=bool)
        n_other = int((keep & ~p).sum())
        if n_other:
            dropped["annan precision"] = n_other
        keep &= p
    return (frame if keep.all() else frame.loc[keep]), dropped


def _prepare(
    points: pd.DataFrame, *, x: str, y: str, time: str, category: str | None,
    precisions: Sequence[str] | None, whole_days: bool | None, missing: str, what: str,
) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64], _Times, dict[str, int]]:
    if not isinstance(points, pd.DataFrame):
        raise InputError(f"{what} expects a DataFrame or GeoDataFrame of events, "
                         f"got {type(points).__name__}.")
    if missing not in ("drop", "raise"):
        raise InputError(f"{what}: missing must be 'drop' or 'raise'; got {missing!r}.")
    frame, dropped = _select(points, category, precisions)
    xs, ys = _coordinates(frame, x, y)
    times = _times(frame, time, whole_days)
    no_xy = ~(np.isfinite(xs) & np.isfinite(ys))
    no_t = times.missing & ~no_xy
    if no_xy.any() or no_t.any():
        msg = (f"{what}: {int(no_xy.sum())} events without a position and {int(no_t.sum())} "
               "without a time")
        if missing == "raise":
            first = frame.index[no_xy | no_t][0]
            raise InputError(f"{msg} (first: row {first}); give them coordinates and a time, "
                             "or pass missing='drop' to leave them out.")
        warnings.warn(f"{msg} were left out.", UserWarning, stacklevel=3)
        if no_xy.any():
            dropped["utan position"] = int(no_xy.sum())
        if no_t.any():
            dropped["utan tid"] = int(no_t.sum())
    keep = ~(no_xy | no_t)
    if not keep.all():
        frame = frame.loc[keep]
        xs, ys = xs[keep], ys[keep]
        local = times.local.loc[keep] if times.local is not None else None
        times = _Times(times.ticks[keep], times.missing[keep], times.per_day, times.whole_days, local)
    return frame, xs, ys, times, dropped


# ---------------------------------------------------------------------------
# pair counting
# ---------------------------------------------------------------------------
def _distance(dx: npt.NDArray[np.float64], dy: npt.NDArray[np.float64],
              metric: str) -> npt.NDArray[np.float64]:
    if metric == "manhattan":
        return np.abs(dx) + np.abs(dy)
    return np.hypot(dx, dy)


def _check_pairs(total: int, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64],
                 radius: float) -> None:
    if total <= MAX_NEAR_PAIRS:
        return
    n = xs.size
    uniq = np.unique(np.column_stack([xs, ys]), axis=0).shape[0]
    raise InputError(
        f"knox: more than {MAX_NEAR_PAIRS:,} pairs of events lie closer than "
        f"{radius:g} m (the largest finite distance edge), too many to permute in memory. "
        f"Use a smaller largest distance edge, a shorter period or one category"
        + (f"; note that the {n:,} events sit on only {uniq:,} distinct positions "
           "(events placed at an area's centre are not points)" if uniq < 0.5 * n else "")
        + "."
    )


def _near_pairs(
    xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64],
    d_edges: npt.NDArray[np.float64], metric: str,
) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]]:
    """Pairs (i < j) closer than the largest finite distance edge, grouped by distance band.

    ``xs`` must be sorted. The points are taken in strips of ``_STRIP`` along x; a
    strip's KD-tree also holds the points up to the radius west of it (its halo),
    and a pair is kept by the strip that owns its eastern point, so every pair is
    found exactly once and memory is bounded by a strip's pairs.
    """
    # scipy.spatial imported here: it costs 0,1 s (its rotations and constants), which every
    # process that imports this module (the report, the app) paid without testing anything
    from scipy.spatial import cKDTree

    n = xs.size
    k = d_edges.size - 1
    radius = float(d_edges[-1])
    query = radius * (1 + 1e-9) + 1e-6  # a superset; exact distances decide below
    p = _METRICS[metric]
    parts: list[list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]]] = [[] for _ in range(k)]
    total = 0
    for s0 in range(0, n, _STRIP):
        s1 = min(n, s0 + _STRIP)
        h0 = int(np.searchsorted(xs, xs[s0] - query, side="left"))
        tree = cKDTree(np.column_stack([xs[h0:s1], ys[h0:s1]]))
        size = s1 - h0
        if size * (size - 1) // 2 > _SAFE_STRIP_PAIRS:
            # count before materialising: many events on one position make pairs explode
            total += (int(tree.count_neighbors(tree, query, p=p)) - size) // 2
        _check_pairs(total, xs, ys, radius)
        pr = tree.query_pairs(query, p=p, output_type="ndarray")
        if size * (size - 1) // 2 <= _SAFE_STRIP_PAIRS:
            total += pr.shape[0]
            _check_pairs(total, xs, ys, radius)
        if pr.size == 0:
            continue
        a = pr[:, 0] + h0
        b = pr[:, 1] + h0
        del pr
        keep = (a >= s0) | (b >= s0)
        a, b = a[keep], b[keep]
        d = _distance(xs[a] - xs[b], ys[a] - ys[b], metric)
        near = d < radius
        a, b, d = a[near], b[near], d[near]
        row = np.searchsorted(d_edges, d, side="right") - 1
        order = np.argsort(row, kind="stable")
        bounds = np.searchsorted(row[order], np.arange(k + 1))
        a = a[order].astype(np.int32)
        b = b[order].astype(np.int32)
        for r in range(k):
            lo, hi = bounds[r], bounds[r + 1]
            if hi > lo:
                parts[r].append((a[lo:hi], b[lo:hi]))
    out = []
    for r in range(k):
        if parts[r]:
            out.append((np.concatenate([q[0] for q in parts[r]]), np.concatenate([q[1] for q in parts[r]])))
        else:
            out.append((np.zeros(0, np.int32), np.zeros(0, np.int32)))
        parts[r] = []
    return out


def _all_pairs_below(ticks: npt.NDArray[np.int64], thr: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For each threshold e: the number of pairs (all n(n−1)/2) with |Δt| < e, in O(n log n).

    It does not change when the times are permuted among the events.
    """
    ts = np.sort(ticks)
    idx = np.arange(ts.size, dtype=np.int64)
    return np.asarray([int((np.searchsorted(ts, ts + e, side="left") - idx - 1).sum()) for e in thr],
                      dtype=np.int64)


class _Counter:
    """Counts the near pairs of each distance band below each time threshold, for any times."""

    def __init__(self, pairs: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]],
                 thr: npt.NDArray[np.int64], span: int) -> None:
        self.pairs = pairs
        self.thr = thr
        big = max(span, int(thr[-1]) + 1)  # times and thresholds must fit the dtype
        self.dtype = np.int16 if big < 2**15 else np.int32 if big < 2**31 else np.int64
        # A histogram of |Δt| (clipped at the last threshold) beats one count per
        # threshold when there are many thresholds and they are small integers.
        self.hist = thr.size > 4 and int(thr[-1]) <= 1 << 16

    def below(self, ticks: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        t: npt.NDArray[Any] = ticks.astype(self.dtype, copy=False)
        k, m = len(self.pairs), self.thr.size
        out = np.zeros((k, m), dtype=np.int64)
        top = int(self.thr[-1])
        for r, (i, j) in enumerate(self.pairs):
            h = np.zeros(top + 1, dtype=np.int64) if self.hist else None
            for s in range(0, i.size, _CHUNK):
                d = t[i[s:s + _CHUNK]] - t[j[s:s + _CHUNK]]
                np.abs(d, out=d)
                if h is not None:
                    np.minimum(d, top, out=d)
                    h += np.bincount(d, minlength=top + 1)
                else:
                    for q, e in enumerate(self.thr.tolist()):
                        out[r, q] += np.count_nonzero(d < e)
            if h is not None:
                c = np.cumsum(h)
                out[r] = np.where(self.thr > 0, c[np.maximum(self.thr - 1, 0)], 0)
        return out


def _table(below: npt.NDArray[np.int64], row_totals: npt.NDArray[np.int64],
           all_below: npt.NDArray[np.int64], n_pairs: int) -> npt.NDArray[np.int64]:
    """The full (K+1) × (L+1) table from the near rows' cumulative counts and the all-pairs ones."""
    k, m = below.shape
    out = np.zeros((k + 1, m + 1), dtype=np.int64)
    cum = np.concatenate([np.zeros((k, 1), np.int64), below], axis=1)
    out[:k, :m] = np.diff(cum, axis=1)
    out[:k, m] = row_totals - below[:, -1]
    col_all = np.diff(np.r_[0, all_below, n_pairs])
    out[k] = col_all - out[:k].sum(axis=0)
    return out


# ---------------------------------------------------------------------------
# labels and Swedish text
# ---------------------------------------------------------------------------
def _num(v: float, decimals: int | None = None) -> str:
    """A number the Swedish way (:func:`lagesbild_geo.svformat.number`); without
    ``decimals`` a whole number has none and another up to six significant digits."""
    if decimals is None and not float(v).is_integer():
        return f"{v:,.6g}".replace(",", "\u00a0").replace(".", ",")
    return number(v, decimals=decimals or 0)


def _days(v: float) -> str:
    return f"{_num(v)} {'dag' if v == 1 else 'dagar'}"


def _same_place(edges: npt.NDArray[np.float64]) -> bool:
    """True when the first distance band is a 'same location' band (upper edge ≤ 1 m)."""
    return edges.size > 1 and edges[1] <= 1


def distance_labels(edges: Sequence[float]) -> list[str]:
    """Swedish labels of the distance bands [a, b) and the last 'and more' band.

    Examples
    --------
    >>> distance_labels([0, 1, 200, 400])
    ['Samma plats (< 1 m)', '1–200 m', '200–400 m', '400 m eller mer']
    """
    e = np.asarray(edges, dtype="float64")
    out = []
    for a, b in itertools.pairwise(e.tolist()):
        out.append(f"Samma plats (< {_num(b)} m)" if a == 0 and b <= 1 else f"{_num(a)}–{_num(b)} m")
    out.append(f"{_num(e[-1])} m eller mer")
    return out


def time_labels(edges: Sequence[float], *, whole_days: bool) -> list[str]:
    """Swedish labels of the time bands [a, b) and the last 'and more' band.

    In whole days a band [a, b) holds the differences a, a+1, …, b−1 and is
    labelled so ("7–13 dagar"); with fractional days it is "7–14 dagar".

    Examples
    --------
    >>> time_labels([0, 1, 7, 14], whole_days=True)
    ['Samma dag', '1–6 dagar', '7–13 dagar', '14 dagar eller mer']
    >>> time_labels([0, 7, 14], whole_days=False)
    ['0–7 dagar', '7–14 dagar', '14 dagar eller mer']
    """
    e = np.asarray(edges, dtype="float64")
    out = []
    for a, b in itertools.pairwise(e.tolist()):
        if whole_days and float(a).is_integer() and float(b).is_integer():
            if a == 0 and b == 1:
                out.append("Samma dag")
            elif b - a == 1:
                out.append(_days(a))
            else:
                out.append(f"{_num(a)}–{_num(b - 1)} dagar")
        else:
            out.append(f"{_num(a)}–{_num(b)} dagar")
    out.append(f"{_days(e[-1])} eller mer")
    return out


def _p_text(p: float) -> str:
    if p < 0.001:
        return "p < 0,001"
    return f"p = {_num(p, 3 if p < 0.01 else 2)}"


def _where(a: float, b: float, same_place: bool) -> str:
    if a == 0 and b <= 1:
        return "På samma plats"
    if a == 0 or (same_place and a <= 1):
        return f"Inom {_num(b)} m"
    return f"På {_num(a)}–{_num(b)} m avstånd"


def _when(a: float, b: float, whole: bool) -> str:
    if whole and a == 0 and b == 1:
        return "samma dag som"
    if a == 0:
        return f"och {_days(b)} efter"
    if whole and float(a).is_integer() and float(b).is_integer():
        return f"och {_days(a)} efter" if b - 1 == a else f"och {_num(a)}–{_num(b - 1)} dagar efter"
    return f"och {_num(a)}–{_num(b)} dagar efter"


def raised_durations(result: KnoxResult, *, alpha: float | None = None) -> pd.DataFrame:
    """For each finite distance band, how long after an event the risk stays raised.

    The rule (also used by :func:`risk_zones` and the summary): a cell is
    *raised* when ``p_value ≤ alpha`` and ``knox_ratio > 1``. Walking a
    distance band's time bands from the first, as long as pairs are more
    common than chance (``knox_ratio > 1``), the band's raised time ends at the
    upper edge of the last raised cell met. So a first band that is above
    chance but not significant on its own (the same day, with few pairs) does
    not hide a raised second band, while a lone significant cell after a band
    at or below chance (often a chance finding among many tests) does not
    stretch a warning. The 'and more' bands never count.

    Returns
    -------
    DataFrame
        One row per finite distance band: ``from_m``, ``to_m``, ``days`` (upper
        time edge of the last raised cell of the walk, 0 when none),
        ``time_bands`` (time bands up to it), ``min_ratio`` (smallest Knox ratio
        up to it) and ``min_p`` (smallest p-value among them).

    Examples
    --------
    >>> raised_durations(_example_result())[["to_m", "days"]].to_numpy().tolist()
    [[1.0, 0.0], [200.0, 7.0], [400.0, 0.0]]
    """
    a = result.alpha if alpha is None else float(alpha)
    ok = result.raised(a).to_numpy()
    d = np.asarray(result.distance_bands, dtype="float64")
    t = np.asarray(result.time_bands, dtype="float64")
    ratio = result.knox_ratio.to_numpy(dtype="float64")
    p = result.p_value.to_numpy(dtype="float64")
    rows = []
    for r in range(d.size - 1):
        last = 0
        for c in range(t.size - 1):
            if not ratio[r, c] > 1:
                break
            if ok[r, c]:
                last = c + 1
        rows.append({
            "from_m": float(d[r]), "to_m": float(d[r + 1]),
            "days": float(t[last]) if last else 0.0, "time_bands": last,
            "min_ratio": float(ratio[r, :last].min()) if last else np.nan,
            "min_p": float(p[r, :last].min()) if last else np.nan,
        })
    return pd.DataFrame(rows, index=pd.Index(result.observed.index[:-1], name="avstånd"))


def knox_summary(result: KnoxResult, *, alpha: float | None = None) -> list[str]:
    """Swedish sentences that read a Knox table, in the spirit of the Near Repeat Calculator.

    1. The headline: the raised cell (p ≤ alpha, ratio > 1, not an 'and more'
       band) with the largest Knox ratio, e.g. "Inom 200 m och 7 dagar efter ett
       bostadsinbrott är det 2,1 gånger så vanligt med ett nytt som om tid och
       plats vore oberoende (p = 0,01)."
    2. Repeats at the same place (a first distance band below 1 m), when raised.
    3. Per distance band, how long the risk stays raised (:func:`raised_durations`).
    4. When nothing is raised, a sentence that says so.
    5. How the test was run, the smallest possible p-value and a word on
       multiple testing.

    Examples
    --------
    >>> knox_summary(_example_result())[0]
    'Inom 200 m och 7 dagar efter ett bostadsinbrott är det 3,0 gånger så vanligt med ett nytt som om tid och plats vore oberoende (p = 0,01).'
    """
    a = result.alpha if alpha is None else float(alpha)
    ev, new, _ = _EVENT_SV.get(result.category, _EVENT_SV[None])
    d = np.asarray(result.distance_bands, dtype="float64")
    t = np.asarray(result.time_bands, dtype="float64")
    same = _same_place(d)
    raised = result.raised(a).to_numpy()
    ratio = result.knox_ratio.to_numpy(dtype="float64")
    p = result.p_value.to_numpy(dtype="float64")
    k, m = d.size - 1, t.size - 1
    lines: list[str] = []
    near = np.zeros_like(raised)
    near[:k, :m] = raised[:k, :m]
    if same:
        near[0] = False
    if near.any():
        cand = np.where(near, ratio, -np.inf)
        r, c = (int(v) for v in np.unravel_index(int(np.argmax(cand)), cand.shape))
        lines.append(
            f"{_where(d[r], d[r + 1], same)} {_when(t[c], t[c + 1], result.whole_days)} {ev} är det "
            f"{_num(ratio[r, c], 1)} gånger så vanligt med {new} som om tid och plats vore "
            f"oberoende ({_p_text(p[r, c])})."
        )
    if same and raised[0, :m].any():
        c0 = int(np.flatnonzero(raised[0, :m])[0])
        lines.append(
            f"Upprepning på samma plats: "
            f"{('inom ' if t[c0] == 0 else '') + _when(t[c0], t[c0 + 1], result.whole_days).removeprefix('och ')} "
            f"{ev} är det {_num(ratio[0, c0], 1)} gånger så vanligt med {new} på samma plats "
            f"({_p_text(p[0, c0])})."
        )
    dur = raised_durations(result, alpha=a)
    for r in range(1 if same else 0, k):
        days = float(dur["days"].iloc[r])
        if days <= 0:
            continue
        if result.whole_days:
            span = ("samma dag" if days == 1 else
                    f"i {_days(days)} (händelsedagen och {_days(days - 1)} efter)")
        else:
            span = f"i {_days(days)} efter"
        where = _where(d[r], d[r + 1], same)
        lines.append(f"Nära upprepning: {where[0].lower()}{where[1:]} från {ev} är risken för "
                     f"{new} förhöjd {span}.")
    if not near.any() and not (same and raised[0, :m].any()):
        lines.append(
            "Inget tydligt mönster av upprepning: inget avstånds- och tidsband har signifikant fler "
            f"par än om tid och plats vore oberoende (p ≤ {_num(a, 2)})."
        )
    lines.append(
        f"Knoxtest på {_num(result.n_events)} händelser ({_num(result.n_pairs)} par, "
        f"{'manhattanavstånd' if result.metric == 'manhattan' else 'fågelvägen'}) med "
        f"{_num(result.permutations)} slumpade omfördelningar av tiderna; minsta möjliga p-värde "
        f"är {_num(1 / (result.permutations + 1), 3)}. Många band prövas samtidigt, så ett enstaka "
        "signifikant band kan vara slump."
    )
    return lines


# ---------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------
def knox(
    points: pd.DataFrame,
    *,
    x: str = "x",
    y: str = "y",
    time: str = "date",
    distance_bands: Sequence[float],
    time_bands: Sequence[float],
    metric: str = "manhattan",
    permutations: int = 99,
    seed: int | None = None,
    category: str | None = None,
    whole_days: bool | None = None,
    alpha: float = 0.05,
    precisions: Sequence[str] | None = POINT_PRECISIONS,
    missing: str = "drop",
) -> KnoxResult:
    """The Knox test for near repeats, with Monte Carlo permutation of the times.

    Every pair of events is counted in a distance band × time band. If when an event
    happens does not depend on where, the times can be shuffled among the events: the
    test permutes them ``permutations`` times and compares each cell's observed count
    with the permuted ones; ``p_value`` is one-sided (Knox 1964; Johnson & Bowers 2004;
    as Ratcliffe's Near Repeat Calculator, NRC). Bands are half-open ``[a, b)``:
    ``distance_bands=[0, 1, 200, 400, 600]`` gives [0, 1) ("samma plats"), [1, 200),
    [200, 400), [400, 600) and [600, ∞). NRC labels its bands one unit off; each
    permutation here costs O(near pairs), not O(n²): ``docs/methods-nearrepeat.md``.

    Parameters
    ----------
    points
        Events: metric coordinates (metres) in ``x``/``y`` (else ``easting``/``northing``
        or ``lat``/``lon``, so ``Lagesbild.incidents`` works as is), or a GeoDataFrame
        of points (projected to SWEREF 99 TM when geographic).
    x, y
        Coordinate columns in metres.
    time
        Dates, date-times (``occurred_at`` when there is no ``date``) or numbers of days.
    distance_bands, time_bands
        Edges in metres and days, starting at 0, strictly increasing; the last edge
        opens an "and more" band.
    metric
        ``"manhattan"`` (|dx| + |dy|, a walk on a street grid; NRC's default) or ``"euclidean"``.
    permutations
        Number of permutations (99 → smallest p = 0.01; 999 → 0.001).
    seed
        Seed of the permutations (drawn when None; kept in the result).
    category
        Test only this category (``"bostadsinbrott"``); it names the events in the summary.
    whole_days
        Count time differences in whole calendar days (0 = the same day). Default: when
        every time is at midnight (date-only data); fractional days otherwise.
    alpha
        Significance level of the summary (and of :func:`risk_zones`).
    precisions
        With a ``precision`` column only these rows take part (point, address): a row at
        a district's or the kommun's centre would make false "same place" pairs.
    missing
        Rows without a position or a time: ``"drop"`` (with a warning; counted in
        ``result.dropped``) or ``"raise"``.

    Returns
    -------
    KnoxResult

    References
    ----------
    Knox, E. G. (1964). The detection of space-time interactions. *JRSS C* 13(1), 25–30.
    Johnson, S. D. & Bowers, K. J. (2004). The burglary as clue to the future. *European
    Journal of Criminology* 1(2), 237–255. Ratcliffe, J. H. (2009). Near Repeat Calculator 1.3.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> first = pd.DataFrame({"x": rng.uniform(0, 5000, 150), "y": rng.uniform(0, 5000, 150),
    ...                       "date": pd.Timestamp("2024-01-01")
    ...                       + pd.to_timedelta(rng.integers(0, 300, 150), unit="D")})
    >>> follow = first.iloc[:60].assign(x=lambda d: d.x + 40, date=lambda d: d.date + pd.Timedelta(days=2))
    >>> r = knox(pd.concat([first, follow]), distance_bands=[0, 1, 200, 400],
    ...          time_bands=[0, 7, 14], seed=1)
    >>> int(r.observed.loc["1–200 m", "0–6 dagar"]), float(r.p_value.loc["1–200 m", "0–6 dagar"])
    (62, 0.01)
    """
    _check_knox_options(metric, permutations, alpha)
    d_edges = _edges(distance_bands, "distance_bands", "m")
    t_edges = _edges(time_bands, "time_bands", "days")
    frame, xs, ys, times, dropped = _prepare(
        points, x=x, y=y, time=time, category=category, precisions=precisions,
        whole_days=whole_days, missing=missing, what="knox")
    _check_enough(xs.size, dropped)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    tables = _knox_tables(xs, ys, times, d_edges, t_edges, metric=metric, permutations=permutations,
                          rng=np.random.default_rng(seed))
    result = _knox_result(tables, d_edges, t_edges, whole_days=times.whole_days, metric=metric,
                          seed=int(seed), alpha=float(alpha), category=_tested_category(frame, category),
                          dropped=dropped)
    result.summary.extend(knox_summary(result))
    return result


def _tested_category(frame: pd.DataFrame, category: str | None) -> str | None:
    """The category named in the summary: given, or the only one the events have."""
    if category is not None or "category" not in frame.columns:
        return category
    u = frame["category"].dropna().unique()
    return str(u[0]) if len(u) == 1 and str(u[0]) in CATEGORY_LABELS else None


def _check_knox_options(metric: str, permutations: Any, alpha: float) -> None:
    if metric not in _METRICS:
        raise InputError(f"knox: metric must be 'manhattan' or 'euclidean'; got {metric!r}.")
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) or permutations < 1:
        raise InputError(f"knox: permutations must be a whole number ≥ 1 (99 or 999); got {permutations!r}.")
    if not 0 < alpha < 1:
        raise InputError(f"knox: alpha must be between 0 and 1; got {alpha}.")


def _check_enough(n: int, dropped: dict[str, int]) -> None:
    if n < MIN_EVENTS:
        raise InputError(
            f"knox: only {n} events with a position and a time (at least {MIN_EVENTS} are needed)"
            + (f"; left out: {dropped}" if dropped else "")
            + (". Rows placed only at a place or an area (precision 'place'/'area', e.g. the police "
               "feed's kommun centres) are not points and are left out" if "annan precision" in dropped
               else "")
            + ". Use a longer period or a broader category."
        )


@dataclass(frozen=True)
class _KnoxTables:
    observed: npt.NDArray[np.int64]
    simulated: npt.NDArray[np.int64]  # permutations × distance bands × time bands
    n_events: int
    n_pairs: int
    n_near_pairs: int


def _knox_tables(xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64], times: _Times,
                 d_edges: npt.NDArray[np.float64], t_edges: npt.NDArray[np.float64], *, metric: str,
                 permutations: int, rng: np.random.Generator) -> _KnoxTables:
    """The observed table and one table per permutation of the times."""
    n = xs.size
    order = np.argsort(xs, kind="stable")  # strips along x; neighbours get near indices
    xs, ys = xs[order], ys[order]
    ticks = times.ticks[order]
    ticks = ticks - ticks.min()
    pairs = _near_pairs(xs, ys, d_edges, metric)
    row_totals = np.asarray([p[0].size for p in pairs], dtype=np.int64)
    thr = _thresholds(t_edges, times.per_day)
    n_pairs = n * (n - 1) // 2
    all_below = _all_pairs_below(ticks, thr)
    counter = _Counter(pairs, thr, int(ticks.max()) + 1)
    observed = _table(counter.below(ticks), row_totals, all_below, n_pairs)
    sims = np.empty((permutations, *observed.shape), dtype=np.int64)
    for q in range(permutations):
        sims[q] = _table(counter.below(ticks[rng.permutation(n)]), row_totals, all_below, n_pairs)
    return _KnoxTables(observed, sims, int(n), int(n_pairs), int(row_totals.sum()))


def _knox_result(t: _KnoxTables, d_edges: npt.NDArray[np.float64], t_edges: npt.NDArray[np.float64], *,
                 whole_days: bool, metric: str, seed: int, alpha: float, category: str | None,
                 dropped: dict[str, int]) -> KnoxResult:
    """Expected counts, Knox ratios and p-values as labelled tables, with the run's options."""
    expected = t.simulated.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, t.observed / expected, np.nan)
    pval = ((t.simulated >= t.observed[None]).sum(axis=0) + 1) / (t.simulated.shape[0] + 1)
    rows = pd.Index(distance_labels(d_edges.tolist()), name="avstånd")
    cols = pd.Index(time_labels(t_edges.tolist(), whole_days=whole_days), name="tid")

    def frame_of(v: npt.NDArray[Any]) -> pd.DataFrame:
        return pd.DataFrame(v, index=rows.copy(), columns=cols.copy())

    return KnoxResult(
        observed=frame_of(t.observed), expected=frame_of(expected), knox_ratio=frame_of(ratio),
        p_value=frame_of(pval), summary=[], distance_bands=tuple(float(v) for v in d_edges),
        time_bands=tuple(float(v) for v in t_edges), metric=metric, permutations=int(t.simulated.shape[0]),
        seed=seed, whole_days=whole_days, alpha=alpha, category=category,
        n_events=t.n_events, n_pairs=t.n_pairs, n_near_pairs=t.n_near_pairs,
        dropped=dropped, simulated=t.simulated,
    )


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------
_VALUE_SV = {"knox_ratio": "Knoxkvot (observerat / förväntat)", "observed": "Observerade par",
             "expected": "Förväntade par", "p_value": "p-värde"}


def _cell_colour(ratio: float, p: float, alpha: float) -> tuple[str, str]:
    if not (math.isfinite(ratio) and p <= alpha):
        return "#f7f7f7", "#222222"
    if ratio >= 2:
        return "#b2182b", "#ffffff"
    if ratio >= 1.5:
        return "#ef8a62", "#222222"
    if ratio > 1:
        return "#fddbc7", "#222222"
    return "#d1e5f0", "#222222"


def knox_html(
    result: KnoxResult,
    *,
    value: str = "knox_ratio",
    alpha: float | None = None,
    caption: str | None = None,
    summary: bool = True,
) -> str:
    """The Knox table as a coloured HTML grid with the Swedish summary (for the app and report).

    Rows are distance bands, columns time bands; each cell shows ``value``
    (Knox ratio by default, with a decimal comma) and is coloured when
    ``p_value ≤ alpha``: reds for more pairs than chance (ratio > 1, 1,5, 2),
    blue for fewer; grey when not significant; the "and more" bands (the rest
    of the pairs, which take up the complement of any excess) are left white.
    A cell's tooltip gives observed,
    expected and p. All text is HTML-escaped. Inline styles only, so the
    fragment works in Streamlit (``st.html``) and in a standalone report.

    Examples
    --------
    >>> h = knox_html(_example_result())
    >>> h.startswith('<div class="knox">'), "3,0" in h, "Inom 200 m och 7 dagar" in h
    (True, True, True)
    """
    if value not in _VALUE_SV:
        raise InputError(f"knox_html: value must be one of {list(_VALUE_SV)}; got {value!r}.")
    a = result.alpha if alpha is None else float(alpha)
    esc = html.escape
    obs = result.observed.to_numpy()
    exp = result.expected.to_numpy(dtype="float64")
    ratio = result.knox_ratio.to_numpy(dtype="float64")
    p = result.p_value.to_numpy(dtype="float64")
    shown = {"knox_ratio": ratio, "observed": obs, "expected": exp, "p_value": p}[value]

    def fmt(v: float) -> str:
        if not math.isfinite(float(v)):
            return "–"
        if value == "observed":
            return _num(float(v))
        return _num(float(v), 2 if value == "p_value" else 1)

    cap = caption if caption is not None else (
        f"{_VALUE_SV[value]} per avstånd och tid mellan två "
        f"{_EVENT_SV.get(result.category, _EVENT_SV[None])[2]}"
        if result.category else f"{_VALUE_SV[value]} per avstånd och tid mellan två händelser")
    th = 'style="border:1px solid #ccc;padding:3px 6px;background:#eee;text-align:left"'
    parts = ['<div class="knox">',
             '<table style="border-collapse:collapse;font:13px/1.35 sans-serif">',
             f'<caption style="text-align:left;font-weight:bold;padding:4px 0">{esc(cap)}</caption>',
             f"<thead><tr><th {th}>Avstånd&nbsp;/ tid</th>"]
    parts += [f"<th {th}>{esc(str(c))}</th>" for c in result.observed.columns]
    parts.append("</tr></thead><tbody>")
    for r, label in enumerate(result.observed.index):
        parts.append(f"<tr><th {th}>{esc(str(label))}</th>")
        for c in range(obs.shape[1]):
            last = r == obs.shape[0] - 1 or c == obs.shape[1] - 1
            bg, fg = ("#ffffff", "#555555") if last else _cell_colour(ratio[r, c], p[r, c], a)
            kvot = _num(ratio[r, c], 2) if math.isfinite(ratio[r, c]) else "–"
            seen = _num(float(obs[r, c])) if math.isfinite(obs[r, c]) else "–"  # a published grid hides some
            tip = (f"Observerat {seen}, förväntat {_num(exp[r, c], 1)}, "
                   f"kvot {kvot}, {_p_text(p[r, c])}")
            parts.append(
                f'<td title="{esc(tip)}" style="border:1px solid #ccc;padding:3px 6px;'
                f'text-align:right;background:{bg};color:{fg}">{esc(fmt(shown[r, c]))}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    legend = [("#b2182b", "minst 2 gånger så vanligt"), ("#ef8a62", "1,5–2 gånger"),
              ("#fddbc7", "fler än väntat"), ("#d1e5f0", "färre än väntat"),
              ("#f7f7f7", f"inte signifikant (p > {_num(a, 2)})"),
              ("#ffffff", "”eller mer”-banden: resten av paren, färgas inte")]
    parts.append('<div style="font:12px sans-serif;margin:4px 0">')
    parts += [f'<span style="display:inline-block;width:11px;height:11px;background:{c};'
              f'border:1px solid #999;margin:0 3px 0 8px;vertical-align:middle"></span>{esc(t)}'
              for c, t in legend]
    parts.append("</div>")
    if summary:
        parts.append('<ul style="font:13px/1.4 sans-serif;margin:6px 0 0 0;padding-left:18px">')
        lines = result.summary if alpha is None else knox_summary(result, alpha=a)
        parts += [f"<li>{esc(s)}</li>" for s in lines]
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


# ---------------------------------------------------------------------------
# risk zones
# ---------------------------------------------------------------------------
_ZONE_COLUMNS = ["zone_id", "category", "radius_m", "start_date", "end_date", "days", "n_events",
                 "cell", "incident_id", "knox_ratio", "p_value", "text_sv"]


def _discs(result: KnoxResult, alpha: float | None) -> list[tuple[float, float, float, float]]:
    """(radius m, days, min ratio, max p) of the nested zones, innermost first.

    Walking out from the first distance band (a 'same place' band below 1 m is
    skipped: it neither makes nor stops a zone), a disc of radius b reaches as
    long as every band inside it is raised, and lasts the shortest raised time
    among them. Only the largest disc of each duration is kept.
    """
    dur = raised_durations(result, alpha=alpha)
    d = np.asarray(result.distance_bands, dtype="float64")
    start = 1 if _same_place(d) else 0
    out: list[tuple[float, float, float, float]] = []
    days = math.inf
    ratio, pmax = math.inf, 0.0
    for r in range(start, d.size - 1):
        row = dur.iloc[r]
        if row["days"] <= 0:
            break
        days = min(days, float(row["days"]))
        ratio = min(ratio, float(row["min_ratio"]))
        pmax = max(pmax, float(row["min_p"]))
        if out and out[-1][1] == days:
            out[-1] = (float(row["to_m"]), days, ratio, pmax)
        else:
            out.append((float(row["to_m"]), days, ratio, pmax))
    return out


def _date_sv(d: _dt.date, *, year: bool) -> str:
    return f"{d.day} {_MONTHS_SV[d.month - 1]}" + (f" {d.year}" if year else "")


def _ball(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], r: float, metric: str) -> Any:
    if metric == "manhattan":
        ring = np.stack([np.column_stack([x + r, y]), np.column_stack([x, y + r]),
                         np.column_stack([x - r, y]), np.column_stack([x, y - r]),
                         np.column_stack([x + r, y])], axis=1)
        return shapely.polygons(ring)
    return shapely.buffer(shapely.points(x, y), r, quad_segs=16)


def _minkowski(cells_m: Any, r: float, metric: str) -> Any:
    """Every point within r (in the metric) of some point of each cell polygon."""
    if metric == "euclidean":
        return shapely.buffer(cells_m, r, quad_segs=16)
    out = []
    diamond = np.array([[r, 0.0], [0.0, r], [-r, 0.0], [0.0, -r]])
    for g in np.atleast_1d(cells_m):
        v = shapely.get_coordinates(g)
        pts = (v[:, None, :] + diamond[None, :, :]).reshape(-1, 2)
        out.append(shapely.convex_hull(shapely.multipoints(pts)))
    return np.asarray(out, dtype=object)


def risk_zones(
    incidents: pd.DataFrame,
    result: KnoxResult,
    *,
    since: Any = None,
    x: str = "x",
    y: str = "y",
    time: str = "date",
    alpha: float | None = None,
    exact: bool = False,
    resolution: int = 9,
) -> gpd.GeoDataFrame:
    """Zones and days after recent events where the Knox test says the risk is raised.

    The basis of a grannsamverkan warning: "Förhöjd risk för bostadsinbrott
    till och med 14 december inom 200 m".

    Rule: a cell of the Knox table is raised when ``p_value ≤ alpha`` and
    ``knox_ratio > 1``; a distance band's raised time ends with the last raised
    cell met while walking its time bands as long as the ratio stays above 1
    (:func:`raised_durations`). Zones are nested: a zone of radius b holds while
    every band inside it is raised, and lasts the shortest of their raised times.
    The zone has the test's shape: a diamond for ``"manhattan"``, a circle for
    ``"euclidean"``. In full: ``docs/methods-nearrepeat.md``.

    Privacy: a zone around one event tells where that event happened; these zones
    are for internal use and grannsamverkan, not for publication. By default
    (``exact=False``) each event is replaced by its H3 cell and the zone is every
    point within the radius of some point of the cell (the Minkowski sum of the
    hexagon and the metric's ball); events in one cell share a zone.
    ``exact=True`` draws one zone per exact position, with ``incident_id``.

    Parameters
    ----------
    incidents
        Events (as for :func:`knox`; ``Lagesbild.incidents`` works as is). Only
        the category the test was run on takes part.
    result
        A :class:`KnoxResult` from :func:`knox`.
    since
        Events on or after this date get zones. Default: the zones still
        running on the day of the last event (events within the longest raised
        time before it).
    x, y, time
        Columns as in :func:`knox` (x/y in SWEREF 99 TM metres).
    alpha
        Significance level; default ``result.alpha``.
    exact
        Centre the zones on the exact positions (internal use only).
    resolution
        H3 resolution of the generalised centre (default 9; 8 is coarser).

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        One row per zone: ``zone_id``, ``category``, ``radius_m`` (the band's
        edge, as in the text), ``start_date`` (the first event), ``end_date``
        (the last day of raised risk, inclusive), ``days``, ``n_events``,
        ``cell`` (H3 hex string; None when exact), ``incident_id`` (when exact),
        ``knox_ratio`` (the smallest ratio behind the zone), ``p_value`` (the
        largest of the distance bands' smallest p-values), ``text_sv`` and ``geometry``. Empty (same columns) when no
        band is raised or no event is recent. ``attrs["risk_zones"]`` records the
        rule, alpha, since, metric, exact and resolution.

    Examples
    --------
    >>> r = _example_result()
    >>> inc = pd.DataFrame({"easting": [674000.0], "northing": [6580000.0],
    ...                     "occurred_at": [pd.Timestamp("2025-12-01 21:30", tz="Europe/Stockholm")],
    ...                     "category": ["bostadsinbrott"]})
    >>> z = risk_zones(inc, r)
    >>> z["text_sv"].tolist()
    ['Förhöjd risk för bostadsinbrott till och med 7 december inom 200 m']
    """
    a = result.alpha if alpha is None else float(alpha)
    if not 0 <= resolution <= 15:
        raise InputError(f"risk_zones: resolution must be 0..15; got {resolution}.")
    discs = _discs(result, a)
    attrs = {"rule": "raised cells (p ≤ alpha, ratio > 1) while the ratio stays > 1 from the first "
                     "time band; zones nested outwards",
             "alpha": a, "metric": result.metric, "exact": bool(exact),
             "resolution": None if exact else int(resolution), "since": None}
    recent = _recent_events(incidents, result, discs, x=x, y=y, time=time, since=since, attrs=attrs) \
        if discs else None
    if recent is None:
        empty = gpd.GeoDataFrame({c: [] for c in _ZONE_COLUMNS}, geometry=[], crs="EPSG:4326")
        empty.attrs["risk_zones"] = attrs
        return empty
    if exact:
        records, geoms = _exact_zones(recent, discs, result)
    else:
        records, geoms = _cell_zones(recent, discs, result, resolution)
    gdf = _zones_frame(records, geoms, result)
    gdf.attrs["risk_zones"] = attrs
    return gdf


@dataclass(frozen=True)
class _Recent:
    """The events that get zones: position (SWEREF 99 TM), day, id and when each zone ends."""

    xs: npt.NDArray[np.float64]
    ys: npt.NDArray[np.float64]
    day: npt.NDArray[np.datetime64]
    ids: npt.NDArray[np.object_]
    moment: npt.NDArray[np.datetime64]  # the exact time (for fractional days)
    whole_days: bool

    def ends(self, days: float) -> npt.NDArray[np.datetime64]:
        """The last day (inclusive) of a raised time of ``days`` after each event."""
        if self.whole_days:
            return self.day + np.timedelta64(math.ceil(days) - 1, "D")
        t = self.moment + np.timedelta64(int(days * _NS_PER_DAY) - 1, "ns")
        return t.astype("datetime64[D]")


def _recent_events(incidents: pd.DataFrame, result: KnoxResult, discs: list[tuple[float, float, float, float]],
                   *, x: str, y: str, time: str, since: Any, attrs: dict[str, Any]) -> _Recent | None:
    """The events on or after ``since`` (default: those whose zones still run on the last
    event's day); None when there are none. Sets ``attrs["since"]``."""
    frame, xs, ys, times, _ = _prepare(
        incidents, x=x, y=y, time=time, category=result.category,
        precisions=POINT_PRECISIONS, whole_days=result.whole_days, missing="drop", what="risk_zones")
    if xs.size == 0:
        return None
    if times.local is None:
        raise InputError("risk_zones needs dates or date-times in the time column; numbers of days "
                         "cannot be turned into calendar dates for a warning.")
    day = times.local.dt.normalize().to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    if since is None:
        longest = max(dd[1] for dd in discs)
        start = day.max() - np.timedelta64(max(math.ceil(longest) - 1, 0), "D")
    else:
        try:
            start = np.datetime64(pd.Timestamp(since).date(), "D")
        except (TypeError, ValueError):
            raise InputError(f"risk_zones: since={since!r} is not a date; use e.g. '2025-12-01'.") from None
    attrs["since"] = str(start)
    idx = np.flatnonzero(day >= start)
    if not idx.size:
        return None
    ids = (frame["incident_id"].astype("string").to_numpy(dtype=object)[idx]
           if "incident_id" in frame.columns else np.full(idx.size, None, dtype=object))
    return _Recent(xs=xs[idx], ys=ys[idx], day=day[idx], ids=ids,
                   moment=times.local.to_numpy(dtype="datetime64[ns]")[idx], whole_days=result.whole_days)


def _exact_zones(r: _Recent, discs: list[tuple[float, float, float, float]],
                 result: KnoxResult) -> tuple[list[dict[str, Any]], list[Any]]:
    """One zone per event and distance band, around its exact position."""
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for radius, days, ratio, pmax in discs:
        ends = r.ends(days)
        polys = _ball(r.xs, r.ys, radius, result.metric)
        for q in range(r.xs.size):
            records.append({"radius_m": radius, "start_date": r.day[q], "end_date": ends[q],
                            "days": days, "n_events": 1, "cell": None, "incident_id": r.ids[q],
                            "knox_ratio": ratio, "p_value": pmax})
            geoms.append(polys[q])
    return records, geoms


def _cell_zones(r: _Recent, discs: list[tuple[float, float, float, float]], result: KnoxResult,
                resolution: int) -> tuple[list[dict[str, Any]], list[Any]]:
    """One zone per H3 cell with events and distance band: around the whole hexagon."""
    lon, lat = _crs.to_wgs84(r.xs, r.ys, "EPSG:3006")
    cells = grid.points_to_cells(lat, lon, resolution)
    uniq, inv = np.unique(cells, return_inverse=True)
    hexes = grid.cells_to_polygons(uniq).to_crs("EPSG:3006")
    hex_arr = np.asarray(hexes.values, dtype=object)
    names = grid.cells_to_str(uniq)
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for radius, days, ratio, pmax in discs:
        ends = r.ends(days)
        shapes = _minkowski(hex_arr, radius, result.metric)
        for u in range(uniq.size):
            m = inv == u
            records.append({"radius_m": radius, "start_date": r.day[m].min(), "end_date": ends[m].max(),
                            "days": days, "n_events": int(m.sum()), "cell": names[u],
                            "incident_id": None, "knox_ratio": ratio, "p_value": pmax})
            geoms.append(shapes[u])
    return records, geoms


def _zones_frame(records: list[dict[str, Any]], geoms: list[Any], result: KnoxResult) -> gpd.GeoDataFrame:
    """The zones with their Swedish text, latest end first, in WGS84."""
    label = _EVENT_SV.get(result.category, _EVENT_SV[None])[2]
    out = pd.DataFrame.from_records(records)
    out["start_date"] = pd.to_datetime(out["start_date"]).dt.date
    out["end_date"] = pd.to_datetime(out["end_date"]).dt.date
    years = {d.year for d in out["end_date"]} | {d.year for d in out["start_date"]}
    out["text_sv"] = [
        f"Förhöjd risk för {label} till och med {_date_sv(e, year=len(years) > 1)} inom {_num(r)} m"
        for e, r in zip(out["end_date"], out["radius_m"], strict=True)]
    out["category"] = result.category
    gdf = gpd.GeoDataFrame(out, geometry=np.asarray(geoms, dtype=object), crs="EPSG:3006")
    gdf = gdf.sort_values(["end_date", "radius_m"], ascending=[False, True], kind="stable")
    gdf = gdf.reset_index(drop=True)
    gdf.insert(0, "zone_id", np.arange(len(gdf), dtype=np.int64))
    return gdf[[*_ZONE_COLUMNS, "geometry"]].to_crs("EPSG:4326")


def _example_result() -> KnoxResult:
    """A small fixed result for the docstring examples (raised within 200 m and 7 days)."""
    rows = pd.Index(distance_labels([0, 1, 200, 400]), name="avstånd")
    cols = pd.Index(time_labels([0, 7, 14], whole_days=True), name="tid")
    obs = np.array([[1, 0, 3], [30, 12, 300], [20, 21, 600], [2000, 2100, 90000]])
    exp = np.array([[1.0, 1.0, 2.0], [10.0, 11.0, 321.0], [20.0, 20.0, 601.0], [2022.0, 2101.0, 89978.0]])
    p = np.array([[0.5, 1.0, 0.4], [0.01, 0.4, 0.9], [0.5, 0.4, 0.6], [0.7, 0.5, 0.2]])

    def f(v: npt.NDArray[Any]) -> pd.DataFrame:
        return pd.DataFrame(v, index=rows, columns=cols)

    r = KnoxResult(observed=f(obs), expected=f(exp), knox_ratio=f(obs / exp), p_value=f(p),
                   summary=[], distance_bands=(0.0, 1.0, 200.0, 400.0), time_bands=(0.0, 7.0, 14.0),
                   metric="euclidean", permutations=99, seed=0, whole_days=True, alpha=0.05,
                   category="bostadsinbrott", n_events=430, n_pairs=92235, n_near_pairs=407)
    r.summary.extend(knox_summary(r))
    return r
