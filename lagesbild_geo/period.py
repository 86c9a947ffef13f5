"""Periods: the one place where time intervals and period bins are computed.

* :class:`Period` and :func:`parse_period`: a half-open interval ``[start, end)`` in
  Europe/Stockholm from ``"2025"``, ``"2025-Q2"``, ``"2025-03"``, two dates, a pair or
  a mapping; :meth:`Period.previous` the one before it;
* :func:`in_period`: which timestamps fall in a period;
* :data:`PERIODS` and :func:`period_codes`: calendar bins (week, month, quarter, year)
  or custom bin edges for the space-time cube (``grid.count_cells(period=...)``).

This module sits at the bottom of the library (it imports only :mod:`errors`).
"""

from __future__ import annotations

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
    "in_period",
    "parse_period",
    "period_codes",
]

#: Period names accepted by :func:`period_codes` (and ``grid.count_cells``) and their
#: pandas Period frequency.
PERIODS: dict[str, str] = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}


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

    def previous(self) -> Period:
        """The period of the same kind and length just before this one.

        Examples
        --------
        >>> parse_period("2025").previous().label
        '2024'
        >>> parse_period("2025-Q1").previous().label
        '2024-Q4'
        """
        if self.kind == "year":
            return parse_period(str(self.start.year - 1), tz=str(self.start.tz))
        if self.kind == "quarter":
            start = self.start - pd.DateOffset(months=3)
            return parse_period(f"{start.year}-Q{(start.month - 1) // 3 + 1}", tz=str(self.start.tz))
        if self.kind == "month":
            start = self.start - pd.DateOffset(months=1)
            return parse_period(f"{start.year}-{start.month:02d}", tz=str(self.start.tz))
        length = self.end - self.start
        start = self.start - length
        last = self.start - pd.Timedelta(days=1)
        return Period(start, self.start, f"{start.date()}/{last.date()}", "custom")

    def to_dict(self) -> dict[str, str]:
        """Plain dict for metadata (ISO dates; ``end`` exclusive)."""
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


def parse_period(
    period: str | Period | tuple[Any, Any] | Mapping[str, Any], *, tz: str = "Europe/Stockholm"
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
    if getattr(t.dt, "tz", None) is None:
        t = t.dt.tz_localize(period.start.tz)
    return ((t >= period.start) & (t < period.end)).to_numpy(dtype=bool, na_value=False)


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
