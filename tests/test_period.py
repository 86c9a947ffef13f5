"""Tests for lagesbild_geo.period: periods, the one before, days and months on the local clock."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lagesbild_geo.errors import InputError
from lagesbild_geo.period import (
    Period,
    between_days,
    days_period,
    in_period,
    month_of,
    parse_period,
)

TZ = "Europe/Stockholm"


@pytest.mark.parametrize(("text", "previous"), [
    ("2025", "2024"), ("2025-Q1", "2024-Q4"), ("2025-03", "2025-02"),
    # custom periods: the same number of calendar days just before, over a summer-time change too
    ("2025-03-01/2025-04-30", "2024-12-30/2025-02-28"),
    ("2025-10-20/2025-11-05", "2025-10-03/2025-10-19"),
    ("2025-03-31/2025-03-31", "2025-03-30/2025-03-30"),
])
def test_previous_period_starts_at_midnight(text: str, previous: str) -> None:
    p = parse_period(text).previous()
    assert p.label == previous
    assert p.start == p.start.normalize() and p.end == parse_period(text).start
    assert p.days == parse_period(text).days or p.kind != "custom"


def test_from_dict_gives_back_the_period() -> None:
    for text in ("2025", "2025-Q2", "2025-03", "2025-01-01/2025-06-30"):
        p = parse_period(text)
        q = Period.from_dict(p.to_dict())
        assert q == p and q.kind == p.kind
    custom = Period(pd.Timestamp("2025-01-01 06:00", tz=TZ), pd.Timestamp("2025-01-02", tz=TZ), "morgon")
    assert Period.from_dict(custom.to_dict()) == custom
    with pytest.raises(InputError, match="is not a period's start, end and label"):
        Period.from_dict({"label": "2025"})


def test_first_and_last_day() -> None:
    p = parse_period(("2025-02-01", "2025-02-28"))
    assert (p.first_day, p.last_day) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    assert parse_period("2024").last_day == dt.date(2024, 12, 31)


def test_between_days_is_inclusive_whole_days() -> None:
    t = pd.Series(pd.to_datetime(["2025-03-29 23:59", "2025-03-30 02:30", "2025-03-31 00:00", None])
                  .tz_localize(TZ, nonexistent="shift_forward"))
    assert between_days(t).tolist() == [True, True, True, True]
    assert between_days(t, "2025-03-30", "2025-03-30").tolist() == [False, True, False, False]
    assert between_days(t, end="2025-03-30").tolist() == [True, True, False, False]
    assert between_days(t.dt.tz_localize(None), start="2025-03-31").tolist() == [False, False, True, False]
    with pytest.raises(InputError, match="start 'igår': a date is expected"):
        between_days(t, "igår")


def test_days_period_takes_missing_ends_from_the_data() -> None:
    t = pd.Series(pd.to_datetime(["2025-01-10 08:00", "2025-02-03 23:30", None]).tz_localize(TZ))
    assert days_period(t).label == "2025-01-10/2025-02-03"
    assert days_period(t, end="2025-01-31").label == "2025-01-10/2025-01-31"
    p = days_period(t, "2025-01-01", "2025-01-31")
    assert p == parse_period(("2025-01-01", "2025-01-31"))
    assert in_period(t, p).tolist() == [True, False, False]
    with pytest.raises(InputError, match="no dated incidents"):
        days_period(pd.Series(pd.to_datetime([None, None])).dt.tz_localize(TZ))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_in_period_on_aware_times_of_any_unit_matches_the_comparison(unit: str) -> None:
    # the instants around the period's edges (local midnight; a DST change inside), NaT outside
    local = pd.to_datetime(["2024-12-31 23:59:59", "2025-01-01 00:00:00", "2025-03-30 03:30:00",
                            "2025-12-31 23:59:59", "2026-01-01 00:00:00", None])
    t = pd.Series(local.tz_localize(TZ)).dt.as_unit(unit)
    p = parse_period("2025")
    expected = [(x is not pd.NaT) and bool(p.start <= x < p.end) for x in t]
    assert expected == [False, True, True, True, False, False]
    assert in_period(t, p).tolist() == expected
    assert in_period(t.dt.tz_convert("UTC"), p).tolist() == expected  # the same instants in another zone


def test_month_of_uses_the_local_clock() -> None:
    t = pd.Series(pd.to_datetime(["2025-01-31 23:30", "2025-06-30 22:30", None]).tz_localize("UTC"))
    assert [str(m) for m in month_of(t)[:2]] == ["2025-02", "2025-07"]
    assert month_of(t).isna().tolist() == [False, False, True]
