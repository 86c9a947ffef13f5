"""Periods: the one place where time intervals and period bins are computed.

* :class:`Period` and :func:`parse_period`: a half-open interval ``[start, end)`` in
  Europe/Stockholm from ``"2025"``, ``"2025-Q2"``, ``"2025-03"``, two dates, a pair or
  a mapping; :meth:`Period.previous` the one before it;
* :func:`in_period`: which timestamps fall in a period; :func:`between_days` which fall
  on the days from one date to another (either open); :func:`days_period` the period
  of such days, a missing end taken from the data;
* :func:`month_of`: the calendar month of each timestamp (local clock);
* :data:`PERIODS` and :func:`period_codes`: calendar bins (week, month, quarter, year)
  or custom bin edges for the space-time cube (``grid.count_cells(period=...)``).

This module sits at the bottom of the library (it imports only :mod:`errors`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import InputError, SchemaError

__all__ = [
    "PERIODS",
    "Period",
    "between_days",
    "days_period",
    "in_period",
    "instants",
    "month_of",
    "parse_period",
    "period_codes",
]

#: Period names accepted by :func:`period_codes` (and ``grid.count_cells``) and their
#: pandas Period frequency.
PERIODS: dict[str, str] = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}

_TZ = "Europe/Stockholm"


@dataclass(frozen=True)
class Period:
    """A half-open time interval ``[start, end)`` in Europe/Stockholm with a label.

    Build one with :func:`parse_period`.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    label: str
    kind: str = "custom"

    @property
    def days(self) -> float:
        """Length in calendar days (a DST change does not make a day shorter)."""
        return float((self.end.tz_localize(None) - self.start.tz_localize(None)) / pd.Timedelta(days=1))

    @property
    def first_day(self) -> dt.date:
        """The first day (local date of ``start``)."""
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        """The last day included (the day before ``end`` for a period of whole days).

        Examples
        --------
        >>> str(parse_period("2025-Q1").last_day)
        '2025-03-31'
        """
        return (self.end - pd.Timedelta(microseconds=1)).date()

    def previous(self) -> Period:
        """The period of the same kind and length just before this one.

        A custom period's length is counted in calendar days, so the one before it
        starts at midnight too when a summer-time change lies in between.

        Examples
        --------
        >>> parse_period("2025").previous().label
        '2024'
        >>> parse_period("2025-Q1").previous().label
        '2024-Q4'
        >>> parse_period(("2025-03-01", "2025-04-30")).previous().label
        '2024-12-30/2025-02-28'
        """
        if self.kind == "year":
            return parse_period(str(self.start.year - 1), tz=str(self.start.tz))
        if self.kind == "quarter":
            start = self.start - pd.DateOffset(months=3)
            return parse_period(f"{start.year}-Q{(start.month - 1) // 3 + 1}", tz=str(self.start.tz))
        if self.kind == "month":
            start = self.start - pd.DateOffset(months=1)
            return parse_period(f"{start.year}-{start.month:02d}", tz=str(self.start.tz))
        local_start = self.start.tz_localize(None)
        length = self.end.tz_localize(None) - local_start
        start = (local_start - length).tz_localize(self.start.tz, ambiguous=True, nonexistent="shift_forward")
        return _days(start, self.start)

    def to_dict(self) -> dict[str, str]:
        """Plain dict for metadata (ISO dates; ``end`` exclusive)."""
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Period:
        """The period :meth:`to_dict` wrote (as in a lägesbild's ``metadata["period"]``).

        Examples
        --------
        >>> p = parse_period("2025-Q2")
        >>> Period.from_dict(p.to_dict()) == p
        True
        """
        try:
            start, end = pd.Timestamp(data["start"]), pd.Timestamp(data["end"])
            label = str(data.get("label") or "")
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"period {data!r} is not a period's start, end and label ({exc}).") from None
        start = start.tz_localize(_TZ) if start.tzinfo is None else start.tz_convert(_TZ)
        end = end.tz_localize(_TZ) if end.tzinfo is None else end.tz_convert(_TZ)
        try:
            parsed = parse_period(label, tz=str(start.tz))
        except InputError:
            parsed = None
        if parsed is not None and parsed.start == start and parsed.end == end:
            return parsed
        return cls(start, end, label, "custom") if label else _days(start, end)


def _days(start: pd.Timestamp, end: pd.Timestamp) -> Period:
    """A custom period labelled by its first and last day (:attr:`Period.first_day`,
    :attr:`Period.last_day`)."""
    return Period(start, end, f"{start.date()}/{(end - pd.Timedelta(microseconds=1)).date()}", "custom")


def parse_period(
    period: str | Period | tuple[Any, Any] | Mapping[str, Any], *, tz: str = _TZ
) -> Period:
    """Parse a period: ``"2025"``, ``"2025-Q2"``, ``"2025-03"``, ``"2025-01-01/2025-06-30"``,
    a ``(start, end)`` pair or a ``{"start": ..., "end": ...}`` mapping.

    Dates given as start and end are both inclusive whole days (a user's
    "1 January to 30 June"); the returned :class:`Period` is half-open.

    Examples
    --------
    >>> p = parse_period("2025-Q2")
    >>> str(p.start.date()), str(p.end.date()), p.label
    ('2025-04-01', '2025-07-01', '2025-Q2')
    >>> parse_period(("2025-01-01", "2025-06-30")).days
    181.0
    """
    if isinstance(period, Period):
        return period
    if isinstance(period, Mapping):
        if "start" not in period or "end" not in period:
            raise InputError(
                f"period {dict(period)!r} needs both 'start' and 'end' (e.g. "
                "{start = \"2025-01-01\", end = \"2025-06-30\"})."
            )
        return _period_from_dates(period["start"], period["end"], tz)
    if isinstance(period, tuple | list):
        if len(period) != 2:
            raise InputError(f"period {period!r}: expected (start, end), got {len(period)} values.")
        return _period_from_dates(period[0], period[1], tz)
    text = str(period).strip()
    if m := re.fullmatch(r"(\d{4})", text):
        start = pd.Timestamp(int(m[1]), 1, 1, tz=tz)
        return Period(start, pd.Timestamp(int(m[1]) + 1, 1, 1, tz=tz), text, "year")
    if m := re.fullmatch(r"(\d{4})-?[QqKk]([1-4])", text):
        y, q = int(m[1]), int(m[2])
        start = pd.Timestamp(y, 3 * q - 2, 1, tz=tz)
        return Period(start, start + pd.DateOffset(months=3), f"{y}-Q{q}", "quarter")
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise InputError(f"period {text!r}: month must be 1..12.")
        start = pd.Timestamp(y, mo, 1, tz=tz)
        return Period(start, start + pd.DateOffset(months=1), f"{y}-{mo:02d}", "month")
    if "/" in text:
        a, b = text.split("/", 1)
        return _period_from_dates(a, b, tz)
    raise InputError(
        f"period {text!r} is not understood; use a year ('2025'), a quarter ('2025-Q2'), "
        "a month ('2025-03') or two dates ('2025-01-01/2025-06-30')."
    )


def _period_from_dates(a: Any, b: Any, tz: str) -> Period:
    try:
        start = pd.Timestamp(a)
        last = pd.Timestamp(b)
    except (ValueError, TypeError) as exc:
        raise InputError(f"period ({a!r}, {b!r}): dates not understood ({exc}); use YYYY-MM-DD.") from None
    start = start.tz_localize(tz) if start.tzinfo is None else start.tz_convert(tz)
    last = last.tz_localize(tz) if last.tzinfo is None else last.tz_convert(tz)
    start = start.normalize()
    end = last.normalize() + pd.Timedelta(days=1)
    if end <= start:
        raise InputError(f"period ({a!r}, {b!r}) ends before it starts.")
    return Period(start, end, f"{start.date()}/{last.date()}", "custom")


def in_period(times: pd.Series, period: Period | None) -> npt.NDArray[np.bool_]:
    """True where a time lies in ``[period.start, period.end)``; all True without a period.

    Missing times (NaT) are outside. Naive times are taken as the period's time zone.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-03-31 23:59", "2025-04-01 00:00", None]))
    >>> in_period(t, parse_period("2025-Q1")).tolist()
    [True, False, False]
    """
    if period is None:
        return np.ones(len(times), dtype=bool)
    t = times
    arr = t.array
    if isinstance(arr, pd.arrays.DatetimeArray) and arr.tz is not None:
        # aware times: compare the instants as integers (NaT is the smallest: outside)
        i8 = np.asarray(arr.asi8)  # type: ignore[attr-defined]  # (the stubs lack it)
        start, end = (np.datetime64(p.as_unit(arr.unit).asm8).astype(np.int64) for p in (period.start, period.end))
        return (i8 >= start) & (i8 < end)
    if getattr(t.dt, "tz", None) is None:
        t = t.dt.tz_localize(period.start.tz)
    return ((t >= period.start) & (t < period.end)).to_numpy(dtype=bool, na_value=False)


def _day(value: Any, name: str, tz: str) -> pd.Timestamp:
    """Midnight (local) of a date given as text, date or timestamp."""
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} {value!r}: a date is expected (YYYY-MM-DD); {exc}.") from None
    if t is pd.NaT:
        raise InputError(f"{name} {value!r}: a date is expected (YYYY-MM-DD).")
    t = t.tz_convert(tz).tz_localize(None) if t.tzinfo is not None else t
    return t.normalize().tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def between_days(times: pd.Series, start: Any = None, end: Any = None, *, tz: str = _TZ
                 ) -> npt.NDArray[np.bool_]:
    """True where a time falls on a day from ``start`` to ``end``, both whole days and
    inclusive, on the local clock; ``None`` leaves that side open.

    Missing times (NaT) are outside (unless both sides are open). Naive times are taken
    as local time.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-03-04 23:59", "2025-03-05 00:00", None]))
    >>> between_days(t, end="2025-03-04").tolist(), between_days(t, "2025-03-05").tolist()
    ([True, False, False], [False, True, False])
    """
    keep = np.ones(len(times), dtype=bool)
    if start is None and end is None:
        return keep
    t = times
    if getattr(t.dt, "tz", None) is None:
        t = t.dt.tz_localize(tz)
    if start is not None:
        keep &= (t >= _day(start, "start", tz)).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        hi = _day(_day(end, "end", tz).tz_localize(None) + pd.Timedelta(days=1), "end", tz)
        keep &= (t < hi).to_numpy(dtype=bool, na_value=False)
    return keep


def instants(record: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Start and end of a period record (:meth:`Period.to_dict`, as in a lägesbild's
    ``metadata["period"]``); ``(None, None)`` for no period or one that cannot be read.

    Examples
    --------
    >>> instants(parse_period("2025").to_dict()) == instants(parse_period("2025").to_dict())
    True
    >>> instants(None)
    (None, None)
    """
    if not isinstance(record, Mapping):
        return None, None
    try:
        return (pd.Timestamp(record["start"]) if record.get("start") else None,
                pd.Timestamp(record["end"]) if record.get("end") else None)
    except (KeyError, TypeError, ValueError):
        return None, None


def days_period(times: pd.Series, start: Any = None, end: Any = None, *, tz: str = _TZ) -> Period:
    """The period from ``start`` to ``end`` (whole days, both inclusive); a missing side
    is the first or last day of ``times`` (local clock).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-01-10 08:00", "2025-02-03 23:30"]).tz_localize(_TZ))
    >>> days_period(t, start="2025-01-01").label, days_period(t).label
    ('2025-01-01/2025-02-03', '2025-01-10/2025-02-03')
    """
    if start is None or end is None:
        t = times.dropna()
        if not len(t):
            raise InputError("The data have no dated incidents: give both the first and the last day "
                             "of the period.")
        local = t.dt.tz_convert(tz).dt.tz_localize(None) if getattr(t.dt, "tz", None) is not None else t
        start = local.min().normalize() if start is None else start
        end = local.max().normalize() if end is None else end
    first, last = _day(start, "start", tz), _day(end, "end", tz)
    return parse_period((first.date().isoformat(), last.date().isoformat()), tz=tz)


def month_of(times: pd.Series, *, tz: str = _TZ) -> pd.Series:
    """The calendar month (``pandas.Period``, freq ``M``) of each time on the local clock;
    NaT stays missing.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-01-31 23:30"]).tz_localize("UTC"))
    >>> str(month_of(t).iloc[0])
    '2025-02'
    """
    t = times
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert(tz).dt.tz_localize(None)
    return t.dt.to_period("M")


def period_codes(
    times: pd.Series, period: str | Sequence[Any]
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Integer period code per row (-1 when outside / missing) and all labels in range.

    ``period`` is a name of :data:`PERIODS` (labels as pandas writes them: ``"2024-03"``,
    ``"2024Q1"``, ``"2024"``, ``"2024-01-01/2024-01-07"`` for a week) or at least two
    increasing bin edges (labels ``"start/end"``, the end exclusive). Times are binned
    on the local clock of their time zone.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2024-02-03", "2024-07-01"]).tz_localize("Europe/Stockholm"))
    >>> codes, labels = period_codes(t, "quarter")
    >>> codes.tolist(), labels
    ([0, 2], ['2024Q1', '2024Q2', '2024Q3'])
    """
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        local = times.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(times.dtype):
        local = times
    else:
        raise SchemaError(
            f"occurred_at must be a datetime column to bin by period, got dtype {times.dtype}; "
            "read incidents with lagesbild_geo.read.read_incidents."
        )
    if isinstance(period, str):
        return _calendar_codes(local, period)
    return _edge_codes(local, period)


def _calendar_codes(local: pd.Series, period: str) -> tuple[npt.NDArray[np.int64], list[str]]:
    if period not in PERIODS:
        raise InputError(
            f"period must be one of {sorted(PERIODS)} or a list of bin edges; got {period!r}."
        )
    per = local.dt.to_period(PERIODS[period])
    valid = per.notna().to_numpy()
    codes = np.full(len(per), -1, dtype=np.int64)
    if not valid.any():
        return codes, []
    ords = per.array.asi8[valid]
    lo, hi = int(ords.min()), int(ords.max())
    codes[valid] = ords - lo
    labels = [str(p) for p in pd.period_range(
        pd.Period(ordinal=lo, freq=PERIODS[period]), periods=hi - lo + 1)]
    return codes, labels


def _edge_codes(local: pd.Series, period: Sequence[Any]) -> tuple[npt.NDArray[np.int64], list[str]]:
    edges = pd.DatetimeIndex(pd.to_datetime(list(period)))
    if edges.tz is not None:
        edges = edges.tz_convert("Europe/Stockholm").tz_localize(None)
    if len(edges) < 2 or not edges.is_monotonic_increasing or edges.has_duplicates:
        raise InputError(
            "Custom period bins must be at least two increasing, distinct edges "
            f"(e.g. ['2024-01-01', '2024-07-01', '2025-01-01']); got {list(period)!r}."
        )
    t = local.to_numpy(dtype="datetime64[ns]")
    e = edges.to_numpy(dtype="datetime64[ns]")
    codes = np.searchsorted(e, t, side="right").astype(np.int64) - 1
    codes[(codes < 0) | (codes >= len(e) - 1) | np.isnat(t)] = -1
    labels = [f"{a.date().isoformat()}/{b.date().isoformat()}" for a, b in itertools.pairwise(edges)]
    return codes, labels
