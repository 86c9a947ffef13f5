"""Values as they arrive: numbers (:func:`parse_numbers`) and times (:func:`parse_times`).

Both are vectorised (pyarrow compute and numpy) and never loop over rows in Python:
decimal commas, thousands spaces, ISO and Swedish date forms, month names, Excel
serial dates, a separate time column, offsets, and the Europe/Stockholm clock
(the repeated autumn hour and the missing spring hour counted).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["as_text_array", "as_text_chunks", "parse_numbers", "parse_times", "text_data", "text_offsets"]

# --------------------------------------------------------------------------- numbers

_NUM_OK = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def parse_numbers(values: pd.Series | pa.Array | pa.ChunkedArray | Sequence[object],
                  *, decimal: str | None = None) -> np.ndarray:
    """Numbers from text as it arrives: decimal comma or point, spaces as
    thousands separators (also non-breaking and thin spaces). Vectorised.

    Parameters
    ----------
    values
        Text (or numbers) to convert.
    decimal
        ``","`` or ``"."``; None accepts both (a comma is taken as the decimal
        mark when the value has no point).

    Returns
    -------
    numpy.ndarray
        float64; NaN where the value is missing or not a number.

    Examples
    --------
    >>> parse_numbers(["59,3", "6 580 000", "17.25", "x", None]).tolist()
    [59.3, 6580000.0, 17.25, nan, nan]
    """
    if isinstance(values, pd.Series):
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype="float64", na_value=np.nan)
        arr = pa.array(values.astype("str"), type=pa.string(), from_pandas=True) if values.dtype != "str" else pa.array(values, from_pandas=True)
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        arr = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                        for v in values], type=pa.string())
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    fast = pc.replace_substring(arr, ",", ".") if decimal == "," else arr
    try:  # the common case: plain numbers, one C++ cast
        out = pc.cast(fast, pa.float64())
        return np.asarray(out.to_numpy(zero_copy_only=False), dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    del fast
    s = pc.utf8_trim_whitespace(arr)
    s = pc.replace_substring_regex(s, r"[ \x{00a0}\x{202f}']", "")
    if decimal == ",":
        s = pc.replace_substring(s, ",", ".")
    elif decimal is None:
        has_point = pc.match_substring(s, ".")
        s = pc.if_else(has_point, s, pc.replace_substring(s, ",", "."))
    ok = pc.match_substring_regex(s, _NUM_OK)
    s = pc.if_else(ok, s, pa.scalar(None, pa.string()))
    out = pc.cast(s, pa.float64())
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype="float64")


#: Degrees, minutes and seconds as a GPS or a map writes them: 59°21'36"N, N 59° 21.600',
#: 17°06'00,5" E; Swedish V (väst) and Ö (öst) as well as W and E.
_DMS = (r"^\s*(?P<h1>[NSEWÖOV])?\s*(?P<d>\d{1,3}(?:[.,]\d+)?)\s*°\s*(?:(?P<m>\d{1,2}(?:[.,]\d+)?)\s*['′´]\s*)?"
        r"(?:(?P<s>\d{1,2}(?:[.,]\d+)?)\s*(?:[\"″]|'')\s*)?(?P<h2>[NSEWÖOV])?\s*$")


def parse_degrees(values: pd.Series) -> np.ndarray:
    """Degrees from text written in degrees, minutes and seconds (NaN where it is not).

    Examples
    --------
    >>> parse_degrees(pd.Series(["59°21'36''N", "N 59° 21,6'", "17°06'00'' V", "59.36"])).round(4).tolist()
    [59.36, 59.36, -17.1, nan]
    """
    text = values.astype("string")
    out = np.full(len(text), np.nan)
    has = text.str.contains("°", regex=False).to_numpy(dtype=bool, na_value=False)
    if not has.any():
        return out
    parts = text[has].str.upper().str.extract(_DMS)
    num = {k: pd.to_numeric(parts[k].str.replace(",", ".", regex=False), errors="coerce").fillna(0.0)
           for k in ("m", "s")}
    deg = pd.to_numeric(parts["d"].str.replace(",", ".", regex=False), errors="coerce")
    value = deg + num["m"] / 60.0 + num["s"] / 3600.0
    hemi = parts["h1"].fillna(parts["h2"])
    value = value.where(~hemi.isin(["S", "W", "V"]).fillna(False), -value)
    ok = (num["m"] < 60) & (num["s"] < 60)
    out[np.flatnonzero(has)] = value.where(ok).to_numpy(dtype="float64", na_value=np.nan)
    return out


# --------------------------------------------------------------------------- time

_MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "augusti": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oct": 10, "oktober": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_TIME_RE = (r"(?:[Tt ]+(?:kl\.?\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})"
            r"(?:[:.](?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?(?:\s*(?P<ap>[ap])\.?m\.?)?)?")
_TZ_RE = r"\s*(?P<tz>[Zz]|UTC|utc|[+-]\d{2}(?::?\d{2})?)?"
_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("iso", r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME_RE + _TZ_RE + "$"),
    ("compact", r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[Tt ]?(?P<H>\d{2}):?(?P<M>\d{2})"
                r"(?::?(?P<S>\d{2}))?)?" + _TZ_RE + "$"),
    ("dayfirst", r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})" + _TIME_RE + _TZ_RE + "$"),
    # only for a column whose dates with "/" are month first (see _month_first)
    ("monthfirst", r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})" + _TIME_RE + _TZ_RE + "$"),
    ("monthname", r"^(?P<d>\d{1,2})\s+(?P<mon>[a-zåäö]+)\.?\s+(?P<y>\d{4})" + _TIME_RE + _TZ_RE + "$"),
)
_SERIAL_RE = r"^(?P<serial>\d{5}(?:[.,]\d+)?)$"
_WEEKDAY_RE = (r"^(?:(?:(?:mån|man|tis|ons|tors|tor|fre|lör|lor|sön|son)(?:dag(?:en)?)?|monday|tuesday|"
               r"wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\.?,?\s+)?"
               r"(?:den\s+)?(\d)")
_NS_DAY = 86_400 * 10**9


def _field(struct: pa.Array, name: str) -> np.ndarray:
    """Integer group of an extract_regex struct; -1 where absent."""
    f = pc.struct_field(struct, [struct.type.get_field_index(name)])
    f = pc.if_else(pc.equal(f, ""), pa.scalar(None, pa.string()), f)
    return np.asarray(pc.fill_null(pc.cast(f, pa.int64()), -1).to_numpy(zero_copy_only=False))


def as_text_chunks(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A pandas column as Arrow text (``string`` or ``large_string``), chunked as stored: no copy
    of an Arrow-backed column.

    Examples
    --------
    >>> as_text_chunks(pd.Series(["a", None], dtype="str")).to_pylist()
    ['a', None]
    """
    arr = pa.array(s, from_pandas=True) if s.dtype == "str" else pa.array(
        s.astype("str"), from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return arr


def as_text_array(s: pd.Series) -> pa.Array:
    """A pandas column as one Arrow ``string`` array (nulls where missing), without a copy for text.

    Examples
    --------
    >>> as_text_array(pd.Series(["a", None, 3], dtype=object)).to_pylist()
    ['a', None, '3']
    """
    arr = as_text_chunks(s)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


#: Days of each month (February of a common year), and a 13th entry for out-of-range months.
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31], dtype=np.int64)


def _naive_ns(y: np.ndarray, m: np.ndarray, d: np.ndarray, hh: np.ndarray, mm: np.ndarray,
              ss: np.ndarray, frac_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Naive wall-clock nanoseconds since 1970 and a validity mask (years 1900–2200).

    Days from the civil date in integer arithmetic (H. Hinnant's ``days_from_civil``);
    30 February and friends are invalid.
    """
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    ok = (y >= _YEARS[0]) & (y <= _YEARS[1]) & (m >= 1) & (m <= 12) & (d >= 1)
    ok &= d <= _MONTH_DAYS[np.clip(m - 1, 0, 12)] + (leap & (m == 2))
    # "24:00" is the end of the day (ISO 8601, "kl. 24.00"): the next day's 00:00
    ok &= ((hh <= 23) & (mm <= 59) & (ss <= 59)) | ((hh == 24) & (mm <= 0) & (ss <= 0) & (frac_ns == 0))
    mo = np.where(ok, m, 1)
    yy = np.where(ok, y, 1970) - (mo <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * np.where(mo > 2, mo - 3, mo + 9) + 2) // 5 + np.where(ok, d, 1) - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    ns = days * _NS_DAY + (np.maximum(hh, 0) * 3600 + np.maximum(mm, 0) * 60 + np.maximum(ss, 0)) * 10**9
    return ns + frac_ns, ok


#: A date in front of a time of day: an Excel or Access date-time cell in a time column
#: ("2025-03-01 14:30:00", "1899-12-30 14:30" for a time kept as a date-time, "1900-01-00
#: 22:15" as Swedish Excel shows a time formatted as a date) or a day-first "01.03.2025 14:30".
_DATE_IN_TIME_RE = r"^\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{4})(?:[ T]+|$)"
#: SQL Server's fraction of a second after a time of day ("14:30:00.0000000").
_SECOND_FRACTION_RE = r"^(\s*\d{1,2}:\d{2}:\d{2})[.,]\d+\s*$"
#: The longest time of day the time parser reads as it is ("kl. 22.15").
_PLAIN_TIME_CHARS = 9


def time_of_day_text(time: pd.Series) -> pd.Series:
    """A time column as the time parser reads it: a date in front of the time of day taken
    off (the date comes from the date column), and SQL Server's fraction of a second; a
    value that was only a date becomes missing (the row's time is then unknown, 00:00).

    Read as it was, "2025-03-01 14:30" gave 20:25 (the year as hours and minutes). A column
    of short values (the usual "14:30") is returned as it is, after one look at the lengths.

    Examples
    --------
    >>> time_of_day_text(pd.Series(["2025-03-01 14:30", "1899-12-30 08:05:00", "1900-01-00 22:15",
    ...                             "14:30:00.0000000", "22.15", "2025-03-01", None])).tolist()
    ['14:30', '08:05:00', '22:15', '14:30:00', '22.15', <NA>, <NA>]
    """
    arr = as_text_chunks(time)
    longest = pc.max(pc.utf8_length(arr)).as_py()
    if longest is None or longest <= _PLAIN_TIME_CHARS:
        return time
    arr = pc.replace_substring_regex(arr, _DATE_IN_TIME_RE, "")
    arr = pc.replace_substring_regex(arr, _SECOND_FRACTION_RE, r"\1")
    arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), pa.scalar(None, arr.type), arr)
    return pd.Series(arr.to_pandas(), index=time.index, dtype="string")


def _tz_offset_ns(tz: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    t = pc.fill_null(tz, "")
    has = np.asarray(pc.not_equal(t, "").to_numpy(zero_copy_only=False), dtype=bool)
    parts = pc.extract_regex(t, r"^(?P<sign>[+-]?)(?P<h>\d{0,2}):?(?P<m>\d{0,2})")
    sign = np.where(np.asarray(pc.struct_field(parts, [0]).to_numpy(zero_copy_only=False)) == "-", -1, 1)
    h = np.maximum(_field(parts, "h"), 0)
    m = np.maximum(_field(parts, "m"), 0)
    return sign * (h * 3600 + m * 60) * 10**9, has


def parse_times(
    date: pd.Series,
    time: pd.Series | None = None,
    *,
    tz: str = "Europe/Stockholm",
) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Parse incident times as they arrive, vectorised.

    Accepted: ISO (``2024-03-05 22:15``, ``2024-03-05T22:15:00``,
    ``2024/03/05``), with unpadded hours (``2024-01-01 0:40:16 +01:00``), an
    offset or ``Z``; compact ``20240305 2215``; day first ``05.03.2024`` and
    ``5/3/2024`` (Swedish/European order; month first ``03/15/2025`` only when a
    column's dates with "/" can only be read so, counted as ``month_first``); month names
    ``5 mars 2024``; Excel serial dates (``45356``, ``45356.927``). The time
    may be a separate column: ``22:15``, ``22.15``, ``2215``, ``kl. 22.15``,
    ``22:15:00`` or an Excel day fraction (``0.927``).

    Times with an offset are exact instants. Times without one are wall-clock
    time in ``tz``: in the autumn hour that happens twice the **first**
    (summer-time) occurrence is taken; a time inside the spring gap that does
    not exist (02:00–02:59 on the last Sunday of March) is moved **one hour
    forward** (02:30 → 03:30 summer time). Both are counted.

    Returns
    -------
    (occurred_at, status, counts)
        ``occurred_at``: ``datetime64[ns, tz]`` (NaT where not parsed);
        ``status``: int8 array, 0 parsed, 1 missing, 2 unparseable, 3 a date outside
        the valid range (years 1900–2200: ``9999-12-31``, ``0001-01-01``);
        ``counts``: ``dst_ambiguous``, ``dst_nonexistent``, ``excel_serial``,
        ``date_only`` (rows with a date but no time of day, set to 00:00), and
        ``month_first`` when some were read month first. A 12-hour clock (``10:15 PM``),
        a comma before the clock and an hour alone after "kl" (``15 mars 2025 kl 22``)
        are read too.

    Examples
    --------
    >>> t, status, _ = parse_times(pd.Series(["2024-01-01 0:40:16 +01:00", "5 mars 2024 22.15", "x", None]))
    >>> [str(v) for v in t], status.tolist()
    (['2024-01-01 00:40:16+01:00', '2024-03-05 22:15:00+01:00', 'NaT', 'NaT'], [0, 0, 2, 1])
    """
    typed = _parse_typed(date, tz) if time is None else None
    if typed is not None:
        return typed
    if time is not None:
        time = time_of_day_text(time)
    n = len(date)
    status = np.zeros(n, dtype=np.int8)
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    dates = as_text_chunks(date)
    clocks = None if time is None else as_text_chunks(time)
    whole = _parse_iso_cast(dates) if clocks is None else _parse_date_clock_cast(dates, clocks)
    naive, done, clock = whole if whole is not None else _parse_fixed_width(dates, clocks)
    if done.all():  # the usual export: no other parser needed (and no array of NaT first)
        utc = _localize(naive, tz, counts)
        counts["date_only"] += int((~clock).sum())
        return _times_series(utc, date.index, tz), status, counts
    utc = np.full(n, _NAT, dtype=np.int64)
    d = as_text_array(date)
    t = None if time is None else as_text_array(time)
    choice = _fast_choice(d, t)
    if choice is not None:  # the rest in C++ when most of the column has one ISO form
        idx = np.flatnonzero(~done)
        sel = pa.array(idx)
        sub_d = d if len(idx) == n else pc.take(d, sel)
        sub_t = None if t is None else (t if len(idx) == n else pc.take(t, sel))
        fast, ok = _strptime_rows(sub_d, sub_t, choice)
        naive[idx[ok]] = fast[ok]
        done[idx[ok]] = True
        clock[idx[ok]] = choice.clock
    if done.any():
        utc[done] = _localize(naive[done], tz, counts)
        counts["date_only"] += int((done & ~clock).sum())
    if not done.all():
        idx = np.flatnonzero(~done)
        sel = pa.array(idx)
        sub_d = d if len(idx) == n else pc.take(d, sel)
        sub_t = None if t is None else (t if len(idx) == n else pc.take(t, sel))
        u, st, c = _parse_times_slow(sub_d, sub_t, tz)
        utc[idx] = u
        status[idx] = st
        for k, v in c.items():
            counts[k] = counts.get(k, 0) + v
    return _times_series(utc, date.index, tz), status, counts


def _times_series(utc: np.ndarray, index: pd.Index, tz: str) -> pd.Series:
    """UTC nanoseconds (NaT as int64 min) as a tz-aware Series in ``tz``."""
    return pd.Series(pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz),
                     index=index).astype(pd.DatetimeTZDtype("ns", tz))


_NAT = np.iinfo(np.int64).min
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_TYPED_RANGE_S = (-2177452800, 7258118400)  # 1901-01-01 .. 2200-01-01 UTC, in seconds
#: Times accepted at all: 1900-01-01 up to the end of 2200 (seconds since 1970, naive).
_VALID_RANGE_S = (-2208988800, 7289654400)
_YEARS = (1900, 2200)


def _parse_typed(date: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, dict[str, int]] | None:
    """A column that is already datetime (Parquet, GIS files) straight to instants.

    Gives exactly what the text path gives for the same values (naive values are
    wall-clock time in ``tz``, aware ones exact instants; all-midnight naive values
    count as ``date_only`` as their text would), without formatting them as text and
    parsing them back. Only whole seconds within 1901–2199; otherwise ``None`` and
    the text path decides.
    """
    dt = date.dtype
    aware = isinstance(dt, pd.DatetimeTZDtype)
    if not aware and not (isinstance(dt, np.dtype) and dt.kind == "M"):
        return None
    idx = pd.DatetimeIndex(date)
    per_s = _PER_SECOND.get(str(idx.unit))
    if per_s is None:
        return None
    raw = np.asarray(idx.asi8, dtype=np.int64)  # UTC when aware, wall clock when naive
    valid = raw != _NAT
    every = bool(valid.all())
    v = raw if every else raw[valid]
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    if v.size:
        secs, frac = np.divmod(v, per_s) if per_s != 1 else (v, None)
        if frac is not None and frac.any():
            return None
        del frac
        if int(secs.min()) < _TYPED_RANGE_S[0] or int(secs.max()) >= _TYPED_RANGE_S[1]:
            return None
        ns = secs * 10**9
        if not aware:
            if not (secs % 86_400).any():  # shown as dates only: no time of day
                counts["date_only"] = int(v.size)
            ns = _localize(ns, tz, counts)
    else:
        ns = v
    if every:
        utc = ns
    else:
        utc = np.full(len(raw), _NAT, dtype=np.int64)
        utc[valid] = ns
    status = (~valid).astype(np.int8)
    out = pd.Series(pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz),
                    index=date.index).astype(pd.DatetimeTZDtype("ns", tz))
    return out, status, counts


_FAST_FORMATS: tuple[tuple[str, str, bool], ...] = (
    ("%Y-%m-%d %H:%M", r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}$", True),
    ("%Y-%m-%d %H:%M:%S", r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}$", True),
    ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", False),
)


@dataclass(frozen=True)
class _FastChoice:
    """The one ISO form most of a column has (decided on its first 500 rows)."""

    format: str
    clock: bool
    has_t: bool  # "2024-03-05T22:15": the T becomes a space first
    strip_midnight: bool  # Excel date cells "2024-03-05 00:00:00" beside a time column


_MIDNIGHT = r"[ T]00:00(?::00)?$"


def _joined(d: pa.Array, t: pa.Array | None, strip_midnight: bool) -> pa.Array:
    """Date text, with the time column's text after a space when there is one."""
    if t is None:
        return d
    if strip_midnight:
        d = pc.replace_substring_regex(d, _MIDNIGHT, "")
    return pc.binary_join_element_wise(d, t, " ")


def _fast_choice(d: pa.Array, t: pa.Array | None) -> _FastChoice | None:
    """The :data:`_FAST_FORMATS` entry that at least 90 % of the first 500 rows match, if any."""
    head = d.slice(0, 500)
    # Excel date cells arrive as "2024-03-05 00:00:00"; the time column has the time
    strip = t is not None and bool(pc.any(pc.match_substring_regex(head, _MIDNIGHT)).as_py())
    sample = _joined(head, None if t is None else t.slice(0, 500), strip).drop_null()
    if len(sample) == 0:
        return None
    has_t = bool(pc.any(pc.match_substring(sample, "T")).as_py())
    if has_t:
        sample = pc.replace_substring(sample, "T", " ")
    for fmt, pattern, clock in _FAST_FORMATS:
        if pc.sum(pc.match_substring_regex(sample, pattern)).as_py() >= 0.9 * len(sample):
            return _FastChoice(fmt, clock, has_t, strip)
    return None


def _strptime_rows(d: pa.Array, t: pa.Array | None, choice: _FastChoice) -> tuple[np.ndarray, np.ndarray]:
    """Naive ns and a mask of the rows ``pc.strptime`` reads in the chosen form."""
    s = _joined(d, t, choice.strip_midnight)  # no trimming: a padded value goes the slow way
    if choice.has_t:
        s = pc.replace_substring(s, "T", " ")
    # strptime insists on the whole text (no trailing characters) and valid
    # months/hours, but rolls 30 February over into 1 March: recheck the
    # rows that landed on day 1-3 against the day digits they were written with
    ts = pc.strptime(s, format=choice.format, unit="s", error_is_null=True)
    okn = np.asarray(pc.is_valid(ts).to_numpy(zero_copy_only=False), dtype=bool)
    early = np.flatnonzero(okn & np.asarray(pc.fill_null(pc.less_equal(pc.day(ts), 3), False)
                                             .to_numpy(zero_copy_only=False), dtype=bool))
    if len(early):
        sel = pa.array(early)
        ex = pc.extract_regex(pc.take(s, sel), r"^\s*\d{4}-\d{1,2}-(?P<d>\d{1,2})")
        day = _field(ex, "d")
        same = np.asarray(pc.take(pc.day(ts), sel).to_numpy(zero_copy_only=False)) == day
        okn[early[~same]] = False
    secs = np.asarray(pc.fill_null(pc.cast(ts, pa.int64()), 0).to_numpy(zero_copy_only=False),
                      dtype=np.int64)
    # years outside 1900-2200 would overflow nanoseconds (9999 → 1816): the slow
    # path parses them again and rejects them as out of range
    far = (secs < _VALID_RANGE_S[0]) | (secs >= _VALID_RANGE_S[1])
    if far.any():
        okn &= ~far
        secs = np.where(far, 0, secs)
    return secs * 10**9, okn


class _Text(NamedTuple):
    """A string array's bytes, where each value starts, its length in bytes and its validity."""

    data: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    valid: np.ndarray


def text_offsets(arr: pa.Array) -> np.ndarray:
    """Where each value of a non-empty string array starts in its data buffer, and where
    the last ends (``len(arr) + 1`` offsets: a view of the array's own buffer, int32 or
    int64), so that lengths and first bytes need no pass over the text.

    Examples
    --------
    >>> np.diff(text_offsets(pa.array(["2025", "", "ab"]))).tolist()
    [4, 0, 2]
    """
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    return np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]


def text_data(arr: pa.Array) -> np.ndarray:
    """The bytes of a string array's values, back to back (see :func:`text_offsets`)."""
    data_buf = arr.buffers()[2]
    return np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)


def _text_buffers(arr: pa.Array) -> _Text | None:
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) or len(arr) == 0:
        return None
    offsets = text_offsets(arr).astype(np.int64)
    data = text_data(arr)
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return _Text(data, offsets[:-1], np.diff(offsets), valid)


def _matrix(text: _Text, rows: np.ndarray, width: int) -> np.ndarray:
    """The bytes of ``rows`` (each ``width`` bytes long) as a ``(len(rows), width)`` uint8 array:
    a view when they lie back to back in the buffer (a column as read), else gathered in chunks."""
    starts = text.starts[rows]
    if len(starts) and int(starts[-1] - starts[0]) == (len(starts) - 1) * width \
            and bool((np.diff(starts) == width).all()):
        first = int(starts[0])
        return text.data[first:first + len(starts) * width].reshape(len(starts), width)
    out = np.empty((len(starts), width), dtype=np.uint8)
    step = np.arange(width)
    for i in range(0, len(starts), 65_536):
        out[i:i + 65_536] = text.data[starts[i:i + 65_536, None] + step]
    return out


def _month_table() -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970 of the first of each month of the valid years (:data:`_YEARS`), and the
    days of that month (February of a leap year 29): the civil calendar as two small tables,
    indexed ``(year - 1900) * 12 + month - 1``."""
    first = np.arange(np.datetime64(f"{_YEARS[0]}-01"), np.datetime64(f"{_YEARS[1] + 1}-01"),
                      dtype="datetime64[M]")
    days = np.append(first, np.datetime64(f"{_YEARS[1] + 1}-01")).astype("datetime64[D]").astype(np.int64)
    return days[:-1], np.diff(days)


_MONTH_START, _MONTH_LENGTH = _month_table()


def _digits(cols: np.ndarray, first: int, count: int, ok: np.ndarray) -> np.ndarray:
    """The number written in ``count`` digits from byte ``first`` of each row (``cols`` holds
    the rows' bytes column by column; int32: the fields have at most four digits); ``ok``
    cleared where one of them is not a digit."""
    value = np.zeros(cols.shape[1], dtype=np.int32)
    for c in cols[first:first + count]:
        digit = c - np.uint8(48)  # uint8: a byte below "0" wraps past 9
        ok &= digit <= 9
        value *= 10
        value += digit
    return value


def _iso_values(date: np.ndarray, clock: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Naive ns and validity of ``YYYY-MM-DD`` rows and their ``HH:MM[:SS]`` (None: midnight).

    The same values and validity as :func:`_naive_ns` gives, with the day of the month
    looked up in :data:`_MONTH_START`/:data:`_MONTH_LENGTH` instead of computed per row.
    """
    dc = np.ascontiguousarray(date.T)  # byte j of every row together: fast row-wise arithmetic
    ok = (dc[4] == 45) & (dc[7] == 45)  # "-"
    y, m, d = _digits(dc, 0, 4, ok), _digits(dc, 5, 2, ok), _digits(dc, 8, 2, ok)
    ok &= (y >= _YEARS[0]) & (y <= _YEARS[1]) & (m >= 1) & (m <= 12) & (d >= 1)
    ym = (y - _YEARS[0]) * 12 + (m - 1)
    ym[~ok] = 0
    ok &= d <= _MONTH_LENGTH[ym]
    ns = (_MONTH_START[ym] + (d - 1)) * _NS_DAY
    if clock is not None:
        ns += _clock_seconds(np.ascontiguousarray(clock.T), ok).astype(np.int64) * 10**9
    return ns, ok


def _clock_seconds(cols: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Seconds since midnight of rows written ``HH:MM`` or ``HH:MM:SS`` (``cols``: their 5 or
    8 bytes column by column); ``ok`` cleared where a row is no such clock."""
    ok &= cols[2] == 58  # ":"
    hh, mm = _digits(cols, 0, 2, ok), _digits(cols, 3, 2, ok)
    ok &= (hh <= 23) & (mm <= 59)
    secs = hh * 3600 + mm * 60
    if len(cols) == 8:
        ok &= cols[5] == 58
        ss = _digits(cols, 6, 2, ok)
        ok &= ss <= 59
        secs += ss
    return secs


#: Rows per window of :func:`_parse_fixed_width`. Its temporary arrays (int64: 64 KiB) stay
#: under glibc's 128 KiB mmap threshold, so they are reused from the heap instead of being
#: mapped and faulted in anew each time (which cost more CPU than the parsing itself).
_WINDOW = 8_192


def _parse_fixed_width(d: pa.Array | pa.ChunkedArray,
                       t: pa.Array | pa.ChunkedArray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(naive ns, parsed, has a clock) of the rows written exactly ``YYYY-MM-DD``, ``YYYY-MM-DD
    HH:MM[:SS]`` (space or T), or a date beside an ``HH:MM[:SS]`` time column, read digit by
    digit from the Arrow buffers: the usual export, without building a string per row.

    Every other row is left for the general parsers; the ones read here get the values those
    parsers give. Works through the column in windows of :data:`_WINDOW` rows.
    """
    n = len(d)
    naive = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    clock = np.zeros(n, dtype=bool)
    for start in range(0, n, _WINDOW):
        dw = _window_of(d, start)
        tw = None if t is None else _window_of(t, start)
        end = start + len(dw)
        naive[start:end], done[start:end], clock[start:end] = _fixed_width_window(dw, tw)
    return naive, done, clock


#: The valid range of :data:`_YEARS` as naive ns: from its first day to the day after its last.
_NS_RANGE = (int(np.datetime64(f"{_YEARS[0]}-01-01", "ns").astype(np.int64)),
             int(np.datetime64(f"{_YEARS[1] + 1}-01-01", "ns").astype(np.int64)))


def _parse_iso_cast(d: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """What :func:`_parse_fixed_width` gives a column whose every row it reads, by Arrow's
    cast (C++, about a third of the time): when every row is present and 10, 16 or 19
    characters long, Arrow's ISO 8601 parser accepts exactly the forms that reader does
    (``YYYY-MM-DD``, with ``HH:MM[:SS]`` after a space or a T; the same calendar checks,
    tested on mutated strings), and every date lies in :data:`_YEARS`. ``None`` otherwise:
    the caller reads the rows one form at a time."""
    chunks = d.chunks if isinstance(d, pa.ChunkedArray) else [d]
    n = len(d)
    if n == 0 or d.null_count or not (pa.types.is_string(d.type) or pa.types.is_large_string(d.type)):
        return None
    length = np.concatenate([np.diff(text_offsets(chunk)) for chunk in chunks if len(chunk)])
    if not ((length == 10) | (length == 16) | (length == 19)).all():
        return None
    try:
        stamps = pc.cast(d, pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # some row in another form
        return None
    parts = stamps.chunks if isinstance(stamps, pa.ChunkedArray) else [stamps]
    naive = np.concatenate([np.asarray(p.to_numpy(zero_copy_only=False)).view(np.int64) for p in parts])
    if int(naive.min()) < _NS_RANGE[0] or int(naive.max()) >= _NS_RANGE[1]:
        return None
    return naive, np.ones(n, dtype=bool), length != 10


def _parse_date_clock_cast(d: pa.Array | pa.ChunkedArray, t: pa.Array | pa.ChunkedArray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """What :func:`_parse_fixed_width` gives a date column beside a time column when it reads
    every row, in about half the time: the dates by Arrow's ``date32`` cast (every row present
    and 10 characters long: Arrow's parser then accepts exactly ``YYYY-MM-DD`` with the same
    calendar checks) and the clock, every row ``HH:MM`` (or every row ``HH:MM:SS``), read from
    its bytes as one matrix. ``None`` when any row is in another form: the caller reads the
    rows one form at a time."""
    n = len(d)
    texts = (pa.types.is_string(d.type) or pa.types.is_large_string(d.type)) and \
        (pa.types.is_string(t.type) or pa.types.is_large_string(t.type))
    if n == 0 or len(t) != n or d.null_count or t.null_count or not texts:
        return None
    d_chunks = d.chunks if isinstance(d, pa.ChunkedArray) else [d]
    t_chunks = [c for c in (t.chunks if isinstance(t, pa.ChunkedArray) else [t]) if len(c)]
    t_offsets = [text_offsets(c) for c in t_chunks]
    width = int(t_offsets[0][1] - t_offsets[0][0])
    if width not in (5, 8) or any(int(o[-1] - o[0]) != width * (len(o) - 1) or
                                  bool((np.diff(o) != width).any()) for o in t_offsets):
        return None
    if any(bool((np.diff(text_offsets(c)) != 10).any()) for c in d_chunks if len(c)):
        return None
    try:
        days = pc.cast(d, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # some row in another form
        return None
    day_parts = days.chunks if isinstance(days, pa.ChunkedArray) else [days]
    day = np.concatenate([pc.cast(p, pa.int32()).to_numpy(zero_copy_only=False) for p in day_parts])
    lo, hi = _NS_RANGE[0] // _NS_DAY, _NS_RANGE[1] // _NS_DAY
    if int(day.min()) < lo or int(day.max()) >= hi:
        return None
    naive = day.astype(np.int64) * _NS_DAY
    row = 0
    for c, o in zip(t_chunks, t_offsets, strict=True):
        cols = np.ascontiguousarray(text_data(c)[int(o[0]):int(o[-1])].reshape(-1, width).T)
        ok = np.ones(cols.shape[1], dtype=bool)
        secs = _clock_seconds(cols, ok)
        if not ok.all():
            return None
        naive[row:row + len(secs)] += secs.astype(np.int64) * 10**9
        row += len(secs)
    return naive, np.ones(n, dtype=bool), np.ones(n, dtype=bool)


def _window_of(arr: pa.Array | pa.ChunkedArray, start: int) -> pa.Array:
    part = arr.slice(start, _WINDOW)
    return part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part


def _fixed_width_window(d: pa.Array, t: pa.Array | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(d)
    naive = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    clock = np.zeros(n, dtype=bool)
    dt = _text_buffers(d)
    tt = None if t is None else _text_buffers(t)
    # (rows, their date bytes, their clock bytes or None, rows whose separators fit)
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]] = []
    if dt is not None and t is None:
        for width in (10, 16, 19):
            rows = np.flatnonzero(dt.valid & (dt.lengths == width))
            if len(rows):
                mat = _matrix(dt, rows, width)
                if width == 10:
                    groups.append((rows, mat, None, np.ones(len(rows), dtype=bool)))
                else:  # "YYYY-MM-DD HH:MM[:SS]" or with a T
                    groups.append((rows, mat[:, :10], mat[:, 11:], np.isin(mat[:, 10], (32, 84))))
    elif dt is not None and tt is not None:
        dated = dt.valid & (dt.lengths == 10) & tt.valid
        for width in (5, 8):
            rows = np.flatnonzero(dated & (tt.lengths == width))
            if len(rows):
                groups.append((rows, _matrix(dt, rows, 10), _matrix(tt, rows, width),
                               np.ones(len(rows), dtype=bool)))
    for rows, date, time_of_day, fits in groups:
        ns, ok = _iso_values(date, time_of_day)
        ok &= fits
        naive[rows[ok]] = ns[ok]
        done[rows[ok]] = True
        clock[rows[ok]] = time_of_day is not None
    return naive, done, clock


@functools.lru_cache(maxsize=64)
def _tz_transitions(tz: str, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Offset changes of ``tz`` in years y0..y1: (instant T, offset before, offset after) in ns,
    plus the offset in force at the start (a one-element array)."""
    days = pd.date_range(f"{y0}-01-01", f"{y1 + 1}-01-02", freq="D", tz="UTC", unit="ns")

    def offsets(idx: pd.DatetimeIndex) -> np.ndarray:
        idx = idx.as_unit("ns")
        local = idx.tz_convert(tz).tz_localize(None).asi8
        return np.asarray(local - idx.tz_localize(None).asi8, dtype=np.int64)

    off = offsets(days)
    change = np.flatnonzero(off[1:] != off[:-1])
    t_list, before, after = [], [], []
    for i in change.tolist():  # a few per year: find the minute within the day
        minutes = pd.date_range(start=days[int(i)], periods=24 * 60 + 1, freq="min", unit="ns")
        mo = offsets(minutes)
        j = int(np.flatnonzero(mo != mo[0])[0])
        t_list.append(minutes[j].value)
        before.append(mo[0])
        after.append(mo[j])
    return (np.asarray(t_list, dtype=np.int64), np.asarray(before, dtype=np.int64),
            np.asarray(after, dtype=np.int64), off[:1].copy())


def _localize(naive: np.ndarray, tz: str, counts: dict[str, int]) -> np.ndarray:
    """UTC ns of wall-clock ns in ``tz`` (rules in :func:`parse_times`), by binary search
    over the zone's offset changes: times before a change's end use the old offset, so
    the repeated autumn hour is summer time and a spring-gap time moves one hour forward."""
    if len(naive) == 0:
        return naive.copy()
    lo, hi = int(naive.min()), int(naive.max())
    y1 = min(2200, pd.Timestamp(hi).year + 1)
    y0 = min(max(1900, pd.Timestamp(lo).year - 1), y1)
    t, before, after, first = _tz_transitions(tz, y0, y1)
    if len(t) == 0:
        return naive - first[0]
    boundary = t + np.maximum(before, after)  # wall clock where the new offset is certain
    start = t + np.minimum(before, after)  # wall clock where the change's hour begins
    # the offset after each boundary (before the first: the offset in force), and whether
    # the hour before a boundary is missing (spring) or repeated (autumn)
    offsets = np.concatenate([before[:1], after])
    spring = np.append(after > before, False)
    out = np.empty_like(naive)
    for i in range(0, len(naive), _WINDOW):  # small temporaries (see _WINDOW)
        part = naive[i:i + _WINDOW]
        k = np.searchsorted(boundary, part, side="right")
        nxt = np.minimum(k, len(t) - 1)
        in_hour = (k < len(t)) & (part >= start[nxt])
        counts["dst_nonexistent"] += int((in_hour & spring[k]).sum())
        counts["dst_ambiguous"] += int((in_hour & ~spring[k]).sum())
        np.subtract(part, offsets[k], out=out[i:i + _WINDOW])
    return out


def _parse_times_slow(
    date: pa.Array, time: pa.Array | None, tz: str
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Every date form of :func:`parse_times`, pattern by pattern (the rows the fast path left)."""
    n = len(date)
    d_arr = _clean_dates(date)
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    clock: _TimeOfDay | None = None
    if time is not None:
        clock = _time_of_day(time)
        # a date cell that carries a (midnight) time from Excel: keep the date only
        d_arr = pc.replace_substring_regex(d_arr, r"^(\d{4}-\d{1,2}-\d{1,2})[ t]00:00(?::00)?$", r"\1")
    d_missing = np.asarray(pc.fill_null(pc.equal(d_arr, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    d_fill = pc.fill_null(d_arr, "")
    dates = _match_dates(d_fill, d_missing)
    counts["excel_serial"] = _excel_serials(d_fill, dates, d_missing)
    t_missing = np.zeros(n, dtype=bool)
    t_bad = np.zeros(n, dtype=bool)
    if clock is not None:
        # the time column gives the time of day on top of the date; a date that
        # carries its own clock does not need it (an empty time is then no problem)
        use = dates.parsed & ~dates.has_clock
        dates.naive = np.where(use, dates.naive + clock.ns, dates.naive)
        t_missing = clock.missing & use
        t_bad = clock.bad & use
        dates.has_clock |= use & ~clock.missing & ~clock.bad
    ok_rows = dates.parsed & ~d_missing & ~t_missing & ~t_bad
    counts["date_only"] = int((ok_rows & ~dates.has_clock).sum())
    if dates.month_first:
        counts["month_first"] = dates.month_first
    utc = np.full(n, _NAT, dtype=np.int64)
    with_off = ok_rows & dates.has_offset
    utc[with_off] = dates.naive[with_off] - dates.offset[with_off]
    local = ok_rows & ~dates.has_offset
    if local.any():
        utc[local] = _localize(dates.naive[local], tz, counts)
    # what is wrong with the date comes first, then the time column
    status = np.zeros(n, dtype=np.int8)
    status[t_bad] = 2
    status[t_missing] = 1
    status[~d_missing & ~dates.parsed] = 2
    status[~d_missing & ~dates.parsed & dates.far] = 3
    status[d_missing] = 1
    return utc, status, counts


def _clean_dates(date: pa.Array) -> pa.Array:
    """Date text lower-cased and trimmed, weekday words, spans and two-digit years dealt with."""
    d_arr = pc.utf8_lower(pc.utf8_trim_whitespace(date))
    # "tisdag 5 mars 2024", "tis. den 5 mars 2024", "den 5 mars": the weekday and "den" go
    d_arr = pc.replace_substring_regex(d_arr, _WEEKDAY_RE, r"\1")
    # a span of dates ("2024-03-05 - 2024-03-06", "2024-03-05--2024-03-06"): its start
    d_arr = pc.replace_substring_regex(
        d_arr, r"^(\d{4}-\d{1,2}-\d{1,2}(?:[ t](?:kl\.?\s*)?\d{1,2}[:.]\d{2})?)\s*(?:--|-|–|/|till)\s*"
               r"\d{4}-\d{1,2}-\d{1,2}.*$", r"\1")
    # a clock of four digits without a colon after the date ("2025-03-01 1430", "01.03.2025
    # kl 2215"), as in a separate time column: 14:30 (never three digits, "143" is no time)
    d_arr = pc.replace_substring_regex(
        d_arr, r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})[ t]+(?:kl\.?\s*)?"
               r"([01]\d|2[0-4])([0-5]\d)$", r"\1 \2:\3")
    # a comma before the clock ("15 mars 2025, 22:15", "3/15/2025, 10:15 pm"); an hour alone
    # after "kl" ("15 mars 2025 kl 22", "2025-03-15 kl. 7"): on the hour
    ends = r"^(\d{4}-\d{1,2}-\d{1,2}|.*\d{4})"  # a date: year first, or ending in its year
    d_arr = pc.replace_substring_regex(d_arr, ends + r",\s*((?:kl\.?\s*)?\d{1,2}[:.]\d{2}.*)$", r"\1 \2")
    d_arr = pc.replace_substring_regex(d_arr, ends + r"\s+kl\.?\s*(\d{1,2})$", r"\1 \2:00")
    # two-digit years, day first: "05.03.24", "5/3-24" (Swedish short form) → 2024; not
    # "24-03-05", which may well be year first (SS-ISO 8601 short form): left unparseable
    return pc.replace_substring_regex(
        d_arr, r"^(\d{1,2})[/.](\d{1,2})[-/.](\d{2})($|[ t].*$)", r"\1.\2.20\3\4")


@dataclass
class _TimeOfDay:
    """A separate time column: nanoseconds into the day, and which rows are empty or unreadable."""

    ns: np.ndarray
    missing: np.ndarray
    bad: np.ndarray


def _time_of_day(time: pa.Array) -> _TimeOfDay:
    t_arr = pc.utf8_lower(pc.utf8_trim_whitespace(time))
    # "ca 22", "omkring 22.15": about that time; "22.15-23.00", "2215–2300": a span → its start
    t_arr = pc.replace_substring_regex(t_arr, r"^(?:cirka|ca\.?|omkring|omkr\.?)\s*", "")
    t_arr = pc.replace_substring_regex(
        t_arr, r"^((?:kl\.?\s*)?\d{1,2}(?:[:.]?\d{2})?(?:[:.]\d{2})?)\s*(?:-|–|till)\s*\d.*$", r"\1")
    missing = np.asarray(pc.fill_null(pc.equal(t_arr, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    tm = pc.extract_regex(
        pc.fill_null(t_arr, ""),
        r"^(?:kl\.?\s*)?(?P<H>\d{1,2})(?:[:.]?(?P<M>\d{2}))?(?:[:.](?P<S>\d{2}))?(?:\s*(?P<ap>[ap])\.?m\.?)?$")
    matched = np.asarray(pc.is_valid(tm).to_numpy(zero_copy_only=False), dtype=bool)
    hh, mm, ss = _twelve_hour(tm, _field(tm, "H")), _field(tm, "M"), _field(tm, "S")
    # "2215" is 22:15 and "815" is 8:15 (the regex backtracks); "22" alone is 22:00
    # "24:00", "2400", "kl. 24": the end of the day, the next day's 00:00 (ISO 8601)
    t_ok = matched & (((hh >= 0) & (hh <= 23) & (mm <= 59) & (ss <= 59))
                      | ((hh == 24) & (mm <= 0) & (ss <= 0)))
    ns_time = (np.maximum(hh, 0) * 3600 + np.maximum(mm, 0) * 60 + np.maximum(ss, 0)) * 10**9
    # an Excel day fraction (0.927083) or "1899-12-30 22:15:00" style leftovers
    frac = parse_numbers(t_arr, decimal=None)
    is_frac = ~t_ok & np.isfinite(frac) & (frac >= 0) & (frac < 1)
    ns_time = np.where(is_frac, np.round(np.nan_to_num(frac) * _NS_DAY / 1e9).astype(np.int64) * 10**9,
                       ns_time)
    full = pc.extract_regex(pc.fill_null(t_arr, ""), r"^\d{4}-\d{2}-\d{2}[ t](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?$")
    is_full = ~t_ok & ~is_frac & np.asarray(pc.is_valid(full).to_numpy(zero_copy_only=False), dtype=bool)
    if is_full.any():
        fh, fm, fs = _field(full, "H"), _field(full, "M"), _field(full, "S")
        ns_time = np.where(is_full, (fh * 3600 + fm * 60 + np.maximum(fs, 0)) * 10**9, ns_time)
    good = t_ok | is_frac | is_full
    return _TimeOfDay(ns=np.where(good, ns_time, 0), missing=missing, bad=~missing & ~good)


@dataclass
class _Dates:
    """What the date patterns found, per row (naive wall-clock ns; an offset where one was written)."""

    naive: np.ndarray
    parsed: np.ndarray
    has_clock: np.ndarray
    offset: np.ndarray
    has_offset: np.ndarray
    far: np.ndarray  # a real date, but outside 1900-2200
    month_first: int = 0  # rows read month first (the column's dates with "/" are: 03/15/2025)


def _match_dates(d_fill: pa.Array, d_missing: np.ndarray) -> _Dates:
    """Try :data:`_DATE_PATTERNS` in order on the rows not parsed yet."""
    n = len(d_fill)
    out = _Dates(naive=np.zeros(n, dtype=np.int64), parsed=np.zeros(n, dtype=bool),
                 has_clock=np.zeros(n, dtype=bool), offset=np.zeros(n, dtype=np.int64),
                 has_offset=np.zeros(n, dtype=bool), far=np.zeros(n, dtype=bool))
    month_first = _month_first(d_fill, d_missing)
    for kind, pattern in _DATE_PATTERNS:
        if month_first != (kind == "monthfirst") and kind in ("dayfirst", "monthfirst"):
            continue  # one order for the whole column: never 03/04 one way and 03/15 the other
        todo = ~out.parsed & ~d_missing
        if not todo.any():
            break
        sub_idx = np.flatnonzero(todo)
        sub = d_fill if todo.all() else pc.take(d_fill, pa.array(sub_idx))
        ex = pc.extract_regex(sub, pattern)
        hit = np.asarray(pc.is_valid(ex).to_numpy(zero_copy_only=False), dtype=bool)
        if hit.any():
            _take_pattern(out, ex, hit, sub_idx, kind)
            if kind == "monthfirst":
                out.month_first = int(out.parsed[sub_idx[hit]].sum())
    return out


def _twelve_hour(ex: pa.StructArray, hh: np.ndarray) -> np.ndarray:
    """The hours of rows with am/pm (``ap`` group: "10:15 pm", "12:05 am" is 00:05) on the
    24-hour clock; 99, no time, for an hour outside 1–12 beside am/pm ("13:00 pm")."""
    i = ex.type.get_field_index("ap")
    if i < 0:
        return hh
    ap = np.asarray(pc.fill_null(pc.struct_field(ex, [i]), "").to_numpy(zero_copy_only=False), dtype=object)
    twelve = ap != ""
    if not twelve.any():
        return hh
    out = np.where(twelve, hh % 12 + np.where(ap == "p", 12, 0), hh)
    return np.where(twelve & ((hh < 1) | (hh > 12)), 99, out)


def _month_first(d_fill: pa.Array, d_missing: np.ndarray) -> bool:
    """Whether the column's dates with "/" are written month first (``03/15/2025``, the
    American order of a US-locale export): some can only be month first and none only day
    first. Otherwise day first, the Swedish and European order."""
    if d_missing.all():
        return False
    ex = pc.extract_regex(d_fill, r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/\d{4}(?:$|[ t,])")
    if ex.null_count == len(ex):
        return False
    a, b = _field(ex, "a"), _field(ex, "b")
    return bool((b > 12).any()) and not bool((a > 12).any())


def _take_pattern(out: _Dates, ex: pa.StructArray, hit: np.ndarray, sub_idx: np.ndarray, kind: str) -> None:
    """Store the rows one date pattern matched (``ex`` its groups on the rows ``sub_idx``)."""
    y, d = _field(ex, "y"), _field(ex, "d")
    if kind == "monthname":
        mon = np.asarray(pc.struct_field(ex, [ex.type.get_field_index("mon")]).to_numpy(zero_copy_only=False))
        m = np.array([_MONTHS.get(str(v), -1) if v is not None else -1 for v in mon], dtype=np.int64)
    else:
        m = _field(ex, "m")
    hh, mi, ss = _field(ex, "H"), _field(ex, "M"), _field(ex, "S")
    hh = _twelve_hour(ex, hh)
    fr = pc.struct_field(ex, [ex.type.get_field_index("f")]) if kind != "compact" else None
    frac_ns = np.zeros(len(sub_idx), dtype=np.int64)
    if fr is not None:
        f9 = pc.utf8_rpad(pc.fill_null(fr, ""), 9, "0")
        frac_ns = np.maximum(_field(pa.StructArray.from_arrays([f9], ["f"]), "f"), 0)
    ns, ok = _naive_ns(y, m, d, hh, mi, ss, frac_ns)
    ok &= hit
    out.far[sub_idx[hit & ((y < _YEARS[0]) | (y > _YEARS[1])) & (m >= 1) & (m <= 12)
                    & (d >= 1) & (d <= 31)]] = True
    tz_text = pc.fill_null(pc.struct_field(ex, [ex.type.get_field_index("tz")]), "")
    tzs = pc.replace_substring(pc.replace_substring(tz_text, "z", ""), "utc", "+00:00")
    z_is = np.asarray(pc.match_substring_regex(tz_text, r"^(z|utc)$").to_numpy(zero_copy_only=False), dtype=bool)
    off, has_off = _tz_offset_ns(tzs)
    has_off |= z_is
    idx = sub_idx[ok]
    out.naive[idx] = ns[ok]
    out.parsed[idx] = True
    out.has_clock[idx] = (hh >= 0)[ok]
    out.offset[idx] = off[ok]
    out.has_offset[idx] = has_off[ok]


def _excel_serials(d_fill: pa.Array, dates: _Dates, d_missing: np.ndarray) -> int:
    """Excel serial dates (days since 1899-12-30, fraction = time of day) among the rows left;
    returns how many."""
    todo = ~dates.parsed & ~d_missing
    if not todo.any():
        return 0
    sub_idx = np.flatnonzero(todo)
    sub = pc.take(d_fill, pa.array(sub_idx))
    serial = parse_numbers(sub, decimal=None)
    ok = np.isfinite(serial) & (serial >= 20_000) & (serial < 80_000) & np.asarray(
        pc.match_substring_regex(sub, _SERIAL_RE).to_numpy(zero_copy_only=False), dtype=bool)
    if not ok.any():
        return 0
    base = np.datetime64("1899-12-30", "ns").astype(np.int64)
    days = np.where(ok, serial, 0.0)
    ns = base + np.round(days * 86_400).astype(np.int64) * 10**9
    idx = sub_idx[ok]
    dates.naive[idx] = ns[ok]
    dates.parsed[idx] = True
    dates.has_clock[idx] = (days % 1 > 0)[ok]
    return int(ok.sum())
