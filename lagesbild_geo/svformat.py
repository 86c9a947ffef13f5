"""Swedish formats for numbers, dates and times shown to people.

One place for what a coordinator reads: decimal comma, a no-break space between
thousands (the Swedish "tusentalsavgränsare"), a real minus sign, Swedish month
and weekday names, local time (Europe/Stockholm) and "–" for a missing value.
Tables, charts, maps, reports and the app all format through these functions,
so a figure reads the same everywhere.

Examples
--------
>>> from lagesbild_geo.svformat import number, percent, date_sv, datetime_sv
>>> number(1234567)
'1\\xa0234\\xa0567'
>>> number(-2.5, decimals=1)
'−2,5'
>>> percent(0.256)
'25,6\\xa0%'
>>> number(None)
'–'
>>> import datetime as dt
>>> date_sv(dt.date(2026, 12, 5))
'5 december 2026'
>>> datetime_sv(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC))
'1 juni 2026 12:00'
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "MISSING",
    "MONTHS",
    "MONTHS_SHORT",
    "TIMEZONE",
    "WEEKDAYS",
    "WEEKDAYS_SHORT",
    "count_text",
    "date_sv",
    "datetime_sv",
    "integer",
    "is_missing",
    "month_sv",
    "number",
    "percent",
    "sort_key",
    "to_local",
]

#: What a missing value shows as (an en dash, never "None" or "nan").
MISSING = "\u2013"
#: Swedish time zone; every time shown to a person is in it.
TIMEZONE = ZoneInfo("Europe/Stockholm")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")
MONTHS_SHORT = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt",
                "nov", "dec")
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAYS_SHORT = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")

_NBSP = "\u00a0"
_MINUS = "\u2212"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA.

    >>> is_missing(float("nan")), is_missing(0)
    (True, False)
    """
    if value is None:
        return True
    try:
        if value != value:  # NaN, NaT
            return True
    except (TypeError, ValueError):  # pandas.NA raises on bool()
        return True
    return type(value).__name__ in {"NAType", "NaTType"}


def number(value: Any, *, decimals: int = 0, missing: str = MISSING) -> str:
    """A number in Swedish: ``1 234,5`` (no-break space, decimal comma, minus sign).

    Parameters
    ----------
    value
        Any real number; None/NaN give ``missing``.
    decimals
        Digits after the decimal comma (rounded half away from zero is not promised;
        Python's round-half-even applies as in ``format``).
    missing
        Text for a missing value, "–" by default.

    >>> number(12345.678, decimals=2)
    '12\\xa0345,68'
    >>> number(float("inf"))
    '∞'
    """
    if is_missing(value):
        return missing
    v = float(value)
    if math.isinf(v):
        return "\u221e" if v > 0 else _MINUS + "\u221e"
    text = f"{abs(v):,.{decimals}f}".replace(",", _NBSP).replace(".", ",")
    if v < 0 and text.strip("0,\u00a0"):
        text = _MINUS + text
    return text


def integer(value: Any, *, missing: str = MISSING) -> str:
    """A count in Swedish (``12 345``).

    >>> integer(12345)
    '12\\xa0345'
    """
    return number(value, decimals=0, missing=missing)


def count_text(value: Any, min_count: int) -> str:
    """A published count in words: hidden (``None``) as "ett dolt antal", a count of
    1 … ``min_count``−1 as "färre än ``min_count``", otherwise the number.

    >>> count_text(None, 5), count_text(3, 5), count_text(0, 5), count_text(1200, 5)
    ('ett dolt antal', 'färre än 5', '0', '1\xa0200')
    """
    if is_missing(value):
        return "ett dolt antal"
    v = int(value)
    return integer(v) if v == 0 or v >= min_count else f"färre än {min_count}"


def percent(share: Any, *, decimals: int = 1, missing: str = MISSING) -> str:
    """A share (0–1) as a Swedish percentage: ``25,6 %``.

    >>> percent(1)
    '100,0\\xa0%'
    """
    if is_missing(share):
        return missing
    return f"{number(float(share) * 100, decimals=decimals)}{_NBSP}%"


def to_local(value: Any) -> dt.datetime:
    """A datetime (or pandas Timestamp) in Swedish local time.

    A naive value is taken as UTC, the project's storage convention.

    >>> to_local(dt.datetime(2026, 1, 1, 12, 0)).hour
    13
    """
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        raise TypeError(f"to_local needs a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TIMEZONE)


def month_sv(month: int, *, short: bool = False) -> str:
    """Swedish month name for 1–12.

    >>> month_sv(5), month_sv(10, short=True)
    ('maj', 'okt')
    """
    return (MONTHS_SHORT if short else MONTHS)[int(month) - 1]


def date_sv(value: Any, *, year: bool = True, missing: str = MISSING) -> str:
    """A date in Swedish words: ``5 december 2026`` (``year=False``: ``5 december``).

    Datetimes are first put in Swedish local time.

    >>> date_sv(dt.date(2026, 3, 1), year=False)
    '1 mars'
    """
    if is_missing(value):
        return missing
    if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
        value = to_local(value)
    text = f"{value.day} {MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def datetime_sv(value: Any, *, missing: str = MISSING) -> str:
    """Date and local time: ``1 juni 2026 12:00`` (naive values are UTC).

    >>> datetime_sv(None)
    '–'
    """
    if is_missing(value):
        return missing
    local = to_local(value)
    return f"{date_sv(local)} {local:%H:%M}"


# Swedish alphabetical order: å, ä and ö are the last letters (after z, in that order); æ and
# ø are filed as ä and ö, é and è as e, ü as y; case is ignored.
_SORT = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}", "é": "e", "è": "e", "ü": "y"})


def sort_key(text: str) -> str:
    """A key that puts names in Swedish alphabetical order (``sorted(names, key=sort_key)``):
    Python's own order puts Ä before Å and both before lower-case letters.

    >>> sorted(["Örebro", "Åre", "Älmhult", "Ale", "Österåker", "Åmål", "alingsås"], key=sort_key)
    ['Ale', 'alingsås', 'Åmål', 'Åre', 'Älmhult', 'Örebro', 'Österåker']
    """
    return text.casefold().translate(_SORT)
