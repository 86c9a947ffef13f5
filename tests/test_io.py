"""Reading tables and incidents as they arrive (lagesbild_geo.io)."""

from __future__ import annotations

import datetime as dt
import gc
import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from lagesbild_geo import geocode
from lagesbild_geo import io as old_io
from lagesbild_geo.districts import read_districts
from lagesbild_geo.errors import CRSError, InputError, SchemaError
from lagesbild_geo.read import (
    INCIDENT_ALIASES,
    REASONS,
    find_column,
    find_columns,
    make_rejected,
    parse_numbers,
    parse_times,
    read_incidents,
    read_table,
)
from lagesbild_geo.read.tables import _drop_blank_rows
from lagesbild_geo.read.values import parse_degrees
from lagesbild_geo.schema import INCIDENT_COLUMNS

# A point in Exempelkommun: SWEREF 99 TM and WGS84.
N, E = 6_582_861, 619_689
LAT, LON = 59.367441, 17.105982
# Three points in Stockholm.
LATS = [59.3293, 59.3350, 59.3400]
LONS = [18.0686, 18.0700, 18.0500]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _accounted(r) -> None:  # type: ignore[no-untyped-def]
    assert len(r.placed) + len(r.pending) + len(r.rejected) == r.report["rows_read"]
    assert list(r.placed.columns[: len(INCIDENT_COLUMNS)]) == list(INCIDENT_COLUMNS)


# --------------------------------------------------------------------------- columns


def test_find_column_case_and_accents() -> None:
    assert find_column(["ÄRENDENUMMER", "x"], INCIDENT_ALIASES["id"], role="id") == "ÄRENDENUMMER"
    assert find_column(["Händelsedatum"], INCIDENT_ALIASES["date"], role="date") == "Händelsedatum"
    assert find_column(["X-koordinat", "Y-koordinat"], INCIDENT_ALIASES["x"], role="x") == "X-koordinat"
    assert find_column(["Brottskod", "Brottstyp"], INCIDENT_ALIASES["category"], role="category") == "Brottstyp"
    assert find_column(["Brottskod"], INCIDENT_ALIASES["category"], role="category") == "Brottskod"
    assert find_column(["E-post"], INCIDENT_ALIASES["easting"], role="easting") is None


@pytest.mark.parametrize(("north", "east"), [
    ("SWEREF99 N", "SWEREF99 E"), ("N (SWEREF 99 TM)", "E (SWEREF 99 TM)"), ("SWEREF 99 TM N", "SWEREF 99 TM E"),
    ("Nkoord", "Ekoord"), ("N-koord", "Ö-koord"), ("Nord koord", "Ost koord"), ("SWEREF99 N", "SWEREF99 Ö")])
def test_coordinate_columns_named_with_their_crs_are_found(north: str, east: str) -> None:
    # the axis letter beside the CRS's name: such files were all 'no location'
    assert find_columns(["Datum", north, east]) == {"date": "Datum", "northing": north, "easting": east}


@pytest.mark.parametrize(("x", "y"), [("SWEREF99 X", "SWEREF99 Y"), ("RT90 X", "RT90 Y"), ("X SWEREF 99", "Y SWEREF 99")])
def test_x_y_columns_named_with_their_crs_are_found(x: str, y: str) -> None:
    assert find_columns(["Datum", x, y]) == {"date": "Datum", "x": x, "y": y}


def test_the_police_from_date_wins_over_the_report_date_and_the_to_date() -> None:
    # "Brottsdatum fr.o.m." / "t.o.m.": the first is when it happened; "Anmälningsdatum" is when
    # it was reported (taken before, as the police feed's publication time once was)
    cols = ["Anmälningsdatum", "Brottsdatum fr.o.m.", "Brottsdatum t.o.m.", "Brottstid fr.o.m.",
            "Brottstid t.o.m.", "Koordinat N", "Koordinat E"]
    assert find_columns(cols) == {"date": "Brottsdatum fr.o.m.", "time": "Brottstid fr.o.m.",
                                  "northing": "Koordinat N", "easting": "Koordinat E"}


def test_a_street_and_its_number_in_columns_of_their_own_are_one_address() -> None:
    df = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 5, "Ärende nummer": ["A1", "A2", "A3", "A4", "A5"],
                       "Gatunamn": ["Storgatan", "Kyrkvägen", "Torget 3", None, "Ågatan"],
                       "Gatunummer": ["12", "4 B", "3", "7", None]})
    r = read_incidents(df, source_name="gata")
    assert r.report["columns_used"]["house_number"] == "Gatunummer"
    assert r.report["columns_used"]["id"] == "Ärende nummer"  # never a house number
    assert r.pending["location_text"].tolist() == ["Storgatan 12", "Kyrkvägen 4 B", "Torget 3", "Ågatan"]
    assert r.rejected["reason"].tolist() == ["no location"]  # a number alone is no address
    assert [w for w in r.report["warnings"] if "house numbers" in w] == [
        "gata: the house numbers in 'Gatunummer' were joined to the streets in 'Gatunamn' for geocoding "
        "(2 row(s), e.g. 'Storgatan 12')."]


def test_degrees_minutes_seconds_are_read() -> None:
    # a GPS's or a web map's way of writing a position; S/W/V are negative
    df = pd.DataFrame({"Datum": ["2024-03-05 22:15"] * 4,
                       "Lat": ['59°21\'36"N', "N 59° 21,600'", "59,36", '59°21\'36"'],
                       "Long": ['17°06\'00"E', "E 17° 6,000'", "17,1", "okänt"]})
    r = read_incidents(df, source_name="dms")
    np.testing.assert_allclose(r.placed[["lat", "lon"]].to_numpy(), [[59.36, 17.1]] * 3, atol=1e-9)
    assert r.rejected["reason"].tolist() == ["unparseable coordinates"]  # half a pair
    assert parse_degrees(pd.Series(["33°52'S", "151° 12' W", "91°", "59°61'"])).round(4).tolist()[:2] == [-33.8667, -151.2]


def test_a_time_said_to_be_unknown_is_kept_at_its_date_and_a_wrong_one_is_not() -> None:
    df = pd.DataFrame({"Datum": ["2024-03-05", "2024-03-05", "2024-03-05", "okänt", "2024-03-05"],
                       "Tid": ["okänd", "-", "25:99", "22:00", "Uppgift saknas"],
                       "X": ["6580000"] * 5, "Y": ["660000"] * 5})
    r = read_incidents(df, source_name="okand")
    assert r.placed["source_row"].tolist() == [1, 2, 5]
    assert r.placed["date_precision"].tolist() == ["day"] * 3
    assert [str(t) for t in r.placed["occurred_at"]] == ["2024-03-05 00:00:00+01:00"] * 3
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[3, "unparseable time"], [4, "unparseable time"]]


def test_find_column_ambiguity_lists_candidates() -> None:
    with pytest.raises(SchemaError, match=r"\['Datum', 'Brottsdatum'\].*columns="):
        find_column(["Datum", "Brottsdatum"], INCIDENT_ALIASES["date"], role="date")
    with pytest.raises(SchemaError, match="No date column"):
        find_column(["a"], ["datum"], role="date", required=True)


def test_find_columns_overrides_and_exclusion() -> None:
    cols = find_columns(["Datum", "Tid", "Nord", "Öst", "Text"], overrides={"address": "text"})
    assert cols == {"date": "Datum", "time": "Tid", "northing": "Nord", "easting": "Öst", "address": "Text"}
    with pytest.raises(SchemaError, match="does not exist"):
        find_columns(["Datum"], overrides={"date": "Dag"})


# --------------------------------------------------------------------------- numbers and times


def test_parse_numbers() -> None:
    out = parse_numbers(["59,3", "6 580 000", "6\u00a0580\u00a0000,5", "17.25", "-1e3", "x", "", None, " 12 "])
    np.testing.assert_array_equal(out[:5], [59.3, 6580000.0, 6580000.5, 17.25, -1000.0])
    assert np.isnan(out[5:8]).all() and out[8] == 12.0
    assert parse_numbers(pd.Series(["1,5", "2,25"]), decimal=",").tolist() == [1.5, 2.25]
    assert parse_numbers(pd.Series([1, 2])).tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("2024-03-05 22:15", None, "2024-03-05 22:15:00+01:00"),
        ("2024-03-05T22:15:00", None, "2024-03-05 22:15:00+01:00"),
        ("2024-01-01 0:40:16 +01:00", None, "2024-01-01 00:40:16+01:00"),
        ("2024-07-01 6:38:28 +02:00", None, "2024-07-01 06:38:28+02:00"),
        ("2024-07-01T12:00:00Z", None, "2024-07-01 14:00:00+02:00"),
        ("05.03.2024", "22.15", "2024-03-05 22:15:00+01:00"),
        ("5/3/2024", "kl. 8.05", "2024-03-05 08:05:00+01:00"),
        ("5 mars 2024", "2215", "2024-03-05 22:15:00+01:00"),
        ("20240305", "815", "2024-03-05 08:15:00+01:00"),
        ("45356", "0.5", "2024-03-05 12:00:00+01:00"),  # Excel serial date and day fraction
        ("45356.75", None, "2024-03-05 18:00:00+01:00"),
        ("2024-03-05 00:00:00", "22:15:00", "2024-03-05 22:15:00+01:00"),  # Excel date cell + time
        ("2024-07-15", "9:05", "2024-07-15 09:05:00+02:00"),
    ],
)
def test_parse_times_formats(date: str, time: str | None, expected: str) -> None:
    t, status, _ = parse_times(pd.Series([date]), None if time is None else pd.Series([time]))
    assert status.tolist() == [0]
    assert str(t.iloc[0]) == expected
    assert str(t.dtype) == "datetime64[ns, Europe/Stockholm]"


def test_parse_times_dst_rules() -> None:
    s = pd.Series(["2024-03-31 02:30", "2024-10-27 02:30", "2024-10-27 02:30 +01:00",
                   "2024-10-27 01:59", "2024-03-31 03:00"])
    t, status, counts = parse_times(s)
    assert status.tolist() == [0, 0, 0, 0, 0]
    assert [str(v) for v in t] == [
        "2024-03-31 03:30:00+02:00",  # inside the spring gap: one hour forward
        "2024-10-27 02:30:00+02:00",  # the repeated hour: the first (summer-time) one
        "2024-10-27 02:30:00+01:00",  # an explicit offset is exact
        "2024-10-27 01:59:00+02:00",
        "2024-03-31 03:00:00+02:00",
    ]
    assert counts["dst_nonexistent"] == 1 and counts["dst_ambiguous"] == 1
    # the same through the fast path (many rows of one format)
    big = pd.Series(["2024-03-31 02:30"] * 600 + ["2024-10-27 02:30"] * 600)
    t2, st2, c2 = parse_times(big)
    assert (st2 == 0).all() and (c2["dst_nonexistent"], c2["dst_ambiguous"]) == (600, 600)
    assert str(t2.iloc[0]) == "2024-03-31 03:30:00+02:00"
    assert str(t2.iloc[-1]) == "2024-10-27 02:30:00+02:00"


_TYPED_CASES = {
    "naive_dst": ["2024-01-01 10:00", "2024-03-31 02:30", "2024-10-27 02:30", None, "2023-12-31 23:59:59"],
    "midnight_only": ["2024-01-01", "2024-03-31", None],
    "half_second": ["2024-01-01 10:00:00.5", "2024-01-01 10:00"],
    "before_1901": ["1850-01-01 10:00", "2024-01-01 10:00"],
    "all_missing": [None, None],
}


@pytest.mark.parametrize("case", sorted(_TYPED_CASES))
@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
def test_parse_times_typed_column_equals_its_text(case: str, unit: str) -> None:
    """A datetime column (Parquet) is not formatted to text and parsed back, but the
    result is exactly what its text gives: values, status and counts."""
    s = pd.Series(pd.to_datetime(_TYPED_CASES[case], format="ISO8601")).astype(f"datetime64[{unit}]")
    typed = parse_times(s)
    text = parse_times(s.astype("str"))
    assert typed[0].equals(text[0]) and typed[0].dtype == text[0].dtype
    assert typed[1].tolist() == text[1].tolist()
    assert typed[2] == text[2]


def test_parse_times_typed_aware_column_and_counts() -> None:
    naive = pd.to_datetime(["2024-10-27 02:30", "2024-10-27 02:30", "2024-01-01 00:00", None])
    s = pd.Series(naive.tz_localize("Europe/Stockholm", ambiguous=np.array([True, False, False, False])))
    t, status, counts = parse_times(s)
    assert [str(v) for v in t] == ["2024-10-27 02:30:00+02:00", "2024-10-27 02:30:00+01:00",
                                   "2024-01-01 00:00:00+01:00", "NaT"]
    assert status.tolist() == [0, 0, 0, 1]
    assert counts == {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    text = parse_times(s.astype("str"))
    assert t.equals(text[0]) and text[1].tolist() == status.tolist() and text[2] == counts
    # naive wall-clock values: the DST rules and the date-only count as for text
    t2, _, c2 = parse_times(pd.Series(pd.to_datetime(["2024-03-31 02:30", "2024-10-27 02:30"])))
    assert [str(v) for v in t2] == ["2024-03-31 03:30:00+02:00", "2024-10-27 02:30:00+02:00"]
    assert (c2["dst_nonexistent"], c2["dst_ambiguous"]) == (1, 1)
    _, _, c3 = parse_times(pd.Series(pd.to_datetime(["2024-03-05", "2024-03-06"])))
    assert c3["date_only"] == 2


def test_parse_times_fixed_width_rows_agree_with_the_general_parser() -> None:
    # the usual export is read digit by digit from the Arrow buffers; a leading space sends
    # the same values through the general parsers: both must give the same instants
    dates = ["2024-03-05", "2024-02-29", "2023-02-29", "2024-02-30", "2024-13-01", "2024-03-31",
             "2024-10-27", "9999-12-31", "1899-12-31", "2200-12-31", "2024-0a-05", None]
    times = ["22:15", "02:30", "02:30:15", "24:00", "23:60", "00:00", "7:05", None, "22:15:59",
             "12:3x", "10:00", "10:00"]
    for t in (pd.Series(times), None):
        fixed = parse_times(pd.Series(dates), t)
        general = parse_times(pd.Series([None if d is None else " " + d for d in dates]), t)
        assert fixed[0].equals(general[0])
        assert fixed[1].tolist() == general[1].tolist() and fixed[2] == general[2]
    stamps = ["2024-03-05 22:15", "2024-03-05T22:15:09", "2024-10-27 02:30:00", "2024-03-05 25:00",
              "2024-03-05x22:15", "2024-03-05 22:15:60"]
    fixed = parse_times(pd.Series(stamps))
    general = parse_times(pd.Series([" " + v for v in stamps]))
    assert fixed[0].equals(general[0]) and fixed[1].tolist() == general[1].tolist()
    assert fixed[1].tolist() == [0, 0, 0, 2, 2, 2] and fixed[2]["dst_ambiguous"] == 1
    # the windows of the fast path: a column longer than one window, with a bad row in it
    many = pd.Series(["2024-01-01 10:00"] * 20_000 + ["2024-02-30 10:00"] + ["2024-01-02 10:00"] * 20_000)
    t, st, _ = parse_times(many)
    assert st[20_000] == 2 and (np.delete(st, 20_000) == 0).all()
    assert str(t.iloc[-1]) == "2024-01-02 10:00:00+01:00"


def test_parse_times_fixed_width_calendar_agrees_with_the_general_parser() -> None:
    # the fast path looks the day up in a month table: every year 1899-2201 (century and
    # leap years, the ends of the valid range), days 0-32 of months 0-13, clocks 23:59:59
    # and 24:00, against the general parsers (a leading space) row by row
    rng = np.random.default_rng(13)
    n = 6_000
    years = np.concatenate([np.arange(1899, 2202), rng.integers(1899, 2202, n - 303)])
    months = rng.integers(0, 14, n)
    days = rng.integers(0, 33, n)
    feb = rng.random(n) < 0.3
    months[feb], days[feb] = 2, rng.integers(28, 31, int(feb.sum()))
    dates = [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(years, months, days, strict=True)]
    # (seconds 0-59 only: ":60" in a time column beside ISO dates is read by pc.strptime as
    # the next minute, where the general parsers refuse it; not the month table's concern)
    clocks = [f"{h:02d}:{mi:02d}:{s:02d}" for h, mi, s in zip(rng.integers(0, 25, n), rng.integers(0, 61, n),
                                                           rng.integers(0, 60, n), strict=True)]
    for t in (pd.Series(clocks), pd.Series([c[:5] for c in clocks]), None):
        fixed = parse_times(pd.Series(dates), t)
        general = parse_times(pd.Series([" " + d for d in dates]), t)
        assert fixed[0].equals(general[0])
        assert fixed[1].tolist() == general[1].tolist() and fixed[2] == general[2]
    t, st, _ = parse_times(pd.Series(["1900-01-01", "2200-12-31", "2000-02-29", "1900-02-29", "2100-02-29",
                                      "2201-01-01", "1899-12-31"]), pd.Series(["00:00", "23:59"] + ["12:00"] * 5))
    assert st.tolist() == [0, 0, 0, 2, 2, 3, 3]
    assert [str(v) for v in t[:3]] == ["1900-01-01 00:00:00+01:00", "2200-12-31 23:59:00+01:00",
                                       "2000-02-29 12:00:00+01:00"]



def test_parse_times_whole_iso_column_agrees_with_the_general_parser() -> None:
    # a column whose every row is YYYY-MM-DD[( |T)HH:MM[:SS]] in 1900-2200 is cast by Arrow
    # at once: the same instants and counts as the general parsers (a leading space), and a
    # column with one row of another form or year goes row by row (the same answers again)
    rng = np.random.default_rng(17)
    n = 4_000
    days = rng.integers(np.datetime64("1900-01-01").astype(int), np.datetime64("2201-01-01").astype(int), n)
    secs = rng.integers(0, 86_400, n)
    stamps = (days.astype("datetime64[D]") + secs.astype("timedelta64[s]")).astype(str)
    form = rng.integers(0, 5, n)
    rows = [v[:10] if f == 0 else v[:16] if f == 1 else v if f == 2 else v[:16].replace("T", " ")
            if f == 3 else v.replace("T", " ") for v, f in zip(stamps, form, strict=True)]
    rows += ["1900-01-01", "2200-12-31 23:59:59", "2024-03-31 02:30", "2024-10-27T02:30:00"]
    for extra in ([], ["2201-01-01"], ["2024-02-30"], ["2024-03-05 22"], [None]):
        fast = parse_times(pd.Series(rows + extra))
        general = parse_times(pd.Series([" " + v for v in rows] + extra))
        assert fast[0].equals(general[0])
        assert fast[1].tolist() == general[1].tolist() and fast[2] == general[2]
    assert fast[2]["dst_nonexistent"] == 1 and fast[2]["dst_ambiguous"] >= 1


def test_parse_times_date_and_clock_columns_read_at_once_agree_with_the_general_parser() -> None:
    # a date column beside a clock column, every row YYYY-MM-DD and HH:MM (or every row
    # HH:MM:SS), is read at once (Arrow's date cast, the clocks as one byte matrix): the same
    # instants and counts as the general parsers, and one row of another form anywhere sends
    # the column row by row (the same answers again)
    rng = np.random.default_rng(19)
    n = 3_000
    days = rng.integers(np.datetime64("1900-01-01").astype(int), np.datetime64("2201-01-01").astype(int), n)
    dates = [str(d) for d in days.astype("datetime64[D]")] + ["2024-03-31", "2024-10-27", "2200-12-31"]
    secs = rng.integers(0, 86_400, len(dates))
    clocks = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in secs.tolist()]
    clocks[-3:] = ["02:30:00", "02:30:00", "23:59:59"]
    for width in (8, 5):
        tm = [c[:width] for c in clocks]
        for bad_date, bad_clock, status in ((None, None, 0), ("2024-02-30", None, 2), ("2201-01-01", None, 3),
                                            (None, "24:00:00"[:width], 0), (None, "7:05", 0),
                                            (None, "12:3x:00"[:width], 2)):
            d = [*dates, bad_date or "2024-03-05"]
            t = [*tm, bad_clock or "10:00:00"[:width]]
            fast = parse_times(pd.Series(d), pd.Series(t))
            general = parse_times(pd.Series([" " + v for v in d]), pd.Series(t))
            assert fast[0].equals(general[0])
            assert fast[1].tolist() == general[1].tolist() and fast[2] == general[2]
            assert (fast[1][:-1] == 0).all() and fast[1][-1] == status
        assert fast[2]["dst_nonexistent"] == 1 and fast[2]["dst_ambiguous"] == 1


def test_parse_times_status_codes() -> None:
    d = pd.Series(["2024-02-30 10:00", "okänt", None, "2024-03-05", "2024-03-05", "31/02/2024"])
    tm = pd.Series(["", "10:00", "10:00", None, "25:00", "10:00"])
    _, status, _ = parse_times(d, tm)
    # bad date → 2, missing date → 1, missing time → 1, bad time → 2
    assert status.tolist() == [2, 2, 1, 1, 2, 2]
    # a date that carries its own clock needs no time column value
    t2, st2, _ = parse_times(pd.Series(["2024-03-05 22:15", "2024-03-05 00:00:00", "2024-03-05"]),
                             pd.Series([None, None, "7:05"]))
    assert st2.tolist() == [0, 1, 0]
    assert [str(v) for v in t2] == ["2024-03-05 22:15:00+01:00", "NaT", "2024-03-05 07:05:00+01:00"]
    # the fast path also refuses 30 February
    many = pd.Series(["2024-02-30 10:00"] + ["2024-03-01 10:00"] * 999)
    t, st, _ = parse_times(many)
    assert st[0] == 2 and (st[1:] == 0).all() and pd.isna(t.iloc[0])


# --------------------------------------------------------------------------- read_table formats


def test_csv_semicolon_cp1252_decimal_comma(tmp_path: Path) -> None:
    p = _write(tmp_path / "k.csv", "Ärende;Datum;Lat;Long\r\n007;2024-03-05;59,3;17,1\r\n", "cp1252")
    df, info = read_table(p)
    assert df["Ärende"].tolist() == ["007"]
    assert (info["format"], info["encoding"], info["delimiter"], info["decimal"]) == ("csv", "cp1252", ";", ",")
    assert info["source_row"].tolist() == [2] and info["header_row"] == 1


def test_csv_comma_utf8_bom_title_rows_blank_lines(tmp_path: Path) -> None:
    text = "\ufeffRapport brott 2024\nUttag 2025-01-05\n\nID,Datum,X,Y\n001,2024-01-01,\"6 580 000\",660000\n\n002,2024-01-02,6581000,661000\n"
    df, info = read_table(_write(tmp_path / "a.csv", text))
    assert (info["encoding"], info["delimiter"], info["header_row"]) == ("utf-8-sig", ",", 4)
    assert df["ID"].tolist() == ["001", "002"]
    assert info["source_row"].tolist() == [5, 7]  # the blank line 6 is not a row
    assert info["thousands"] == " "


def test_tab_separated_utf16(tmp_path: Path) -> None:
    p = tmp_path / "b.txt"
    p.write_bytes("ID\tDatum\tLat\n001\t2024-01-01\t59,3\n".encode("utf-16"))
    df, info = read_table(p)
    assert (info["encoding"], info["delimiter"]) == ("utf-16", "\t")
    assert df.columns.tolist() == ["ID", "Datum", "Lat"]


def test_cp1252_after_long_ascii_start(tmp_path: Path) -> None:
    p = _write(tmp_path / "late.csv", "A;B\n" + "x;1\n" * 60_000 + "Malmö;2\n", "cp1252")
    df, info = read_table(p)
    assert info["encoding"] == "cp1252"
    assert df["A"].iloc[-1] == "Malmö" and info["source_row"][-1] == 60_002


def test_ragged_rows_are_kept(tmp_path: Path) -> None:
    df, info = read_table(_write(tmp_path / "c.csv", "a;b\n1;2;3\n4\n"))
    assert df.columns.tolist() == ["a", "b", "column_3"]
    assert df["a"].tolist() == ["1", "4"] and info["parser"] == "python"
    assert info["source_row"].tolist() == [2, 3]


def _polis_xlsx(path: Path, *, rows: list[list[object]], sheet: str = "Brott") -> Path:
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Info"
    info["A1"] = "Uttag ur polisens system"
    ws = wb.create_sheet(sheet)
    ws["A1"] = "Anmälda brott, Exempelkommun"
    ws["A2"] = "Period 2024-01-01 – 2024-12-31"
    ws.append(["Diarienummer", "Brottsdatum", "Klockslag", "Brottskod", "Brottstyp", "Adress", "X", "Y"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_excel_header_on_row_3_and_sheet_choice(tmp_path: Path) -> None:
    p = _polis_xlsx(tmp_path / "polis.xlsx", rows=[
        ["5000-K1-24", dt.datetime(2024, 3, 5), "22:15", "0356", "Misshandel", "Storgatan 1", N, E],
        [None, None, None, None, None, None, None, None],
        ["5000-K2-24", 45356, "0:40", "0093", "Klotter", None, N + 0.5, E],
    ])
    df, info = read_table(p)
    assert (info["format"], info["sheet"], info["header_row"]) == ("excel", "Brott", 3)
    assert info["source_row"].tolist() == [4, 6]
    assert df["Brottskod"].tolist() == ["0356", "0093"]
    assert df["Brottsdatum"].tolist() == ["2024-03-05 00:00:00", "45356"]
    assert df["X"].tolist() == [str(N), f"{N + 0.5}"]
    assert "sheet=" in info["warnings"][0]
    r = read_incidents(p)
    assert r.report["rows_read"] == 2 and len(r.placed) == 2
    assert [str(t) for t in r.placed["occurred_at"]] == ["2024-03-05 22:15:00+01:00", "2024-03-05 00:40:00+01:00"]
    assert r.placed["source_row"].tolist() == [4, 6]
    assert r.report["header_row"] == 3 and r.report["axes_swapped"] is True
    _df2, info2 = read_table(p, sheet="info")
    assert info2["sheet"] == "Info"


def test_geojson_gpkg_shapefile_geoparquet(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "datum": ["2024-05-01 10:00", "2024-05-02 11:00"], "typ": ["Stöld", "Rån"]},
        geometry=[Point(LON, LAT), Point(11.0, 50.0)], crs=4326)
    gdf.to_file(tmp_path / "i.geojson", driver="GeoJSON")
    gdf.to_crs(3006).to_file(tmp_path / "i.gpkg", layer="brott")
    gdf.iloc[:0].to_file(tmp_path / "i.gpkg", layer="tom")
    gdf.to_file(tmp_path / "i.shp")
    gdf.to_parquet(tmp_path / "i.parquet")
    for name, kw, fmt in [("i.geojson", {}, "geojson"), ("i.gpkg", {"layer": "brott"}, "gpkg"),
                          ("i.shp", {}, "shapefile"), ("i.parquet", {}, "geoparquet")]:
        _, info = read_table(tmp_path / name, **kw)
        assert info["format"] == fmt
        r = read_incidents(tmp_path / name, **kw)
        _accounted(r)
        assert r.report["rows_read"] == 2
        assert r.placed["incident_id"].tolist() == ["a"]
        assert r.placed["category"].tolist() == ["stold"]
        np.testing.assert_allclose(r.placed[["lat", "lon"]].to_numpy()[0], [LAT, LON], atol=1e-7)
        assert r.rejected["reason"].tolist() == ["outside Sweden"]
        assert r.rejected["source_row"].tolist() == [2]
    assert read_incidents(tmp_path / "i.gpkg", layer="brott").report["crs_detected"] == "EPSG:3006"
    with pytest.raises(InputError, match=r"no layer 'x'.*\['brott', 'tom'\]"):
        read_table(tmp_path / "i.gpkg", layer="x")


def test_plain_parquet_with_typed_columns_reads_as_its_csv(tmp_path: Path) -> None:
    """Typed Parquet columns (datetime, float coordinates) give the same placed table
    as the same values written as text in a CSV (no text round trip inside)."""
    when = pd.to_datetime(["2024-05-01 10:00", "2024-10-27 02:30", None, "2024-03-31 02:30"])
    df = pd.DataFrame({"Diarienummer": ["a", "b", "c", "d"], "Brottsdatum": when.astype("datetime64[ms]"),
                       "Brottstyp": ["Stöld", "Rån", "Klotter", "Stöld"],
                       "X": [float(N), float(N) + 10, float(N), 1.0], "Y": [float(E), float(E), float(E), 1.0]})
    df.to_parquet(tmp_path / "i.parquet")
    text = df.assign(Brottsdatum=df["Brottsdatum"].astype("str"))
    text.to_csv(tmp_path / "i.csv", index=False)
    rp, rc = read_incidents(tmp_path / "i.parquet"), read_incidents(tmp_path / "i.csv")
    _, info = read_table(tmp_path / "i.parquet")
    assert info["format"] == "parquet"
    assert rp.report["time"] == rc.report["time"] == {
        "dst_ambiguous": 1, "dst_nonexistent": 1, "excel_serial": 0, "date_only": 0}
    assert rp.placed["occurred_at"].equals(rc.placed["occurred_at"])
    assert [str(t) for t in rp.placed["occurred_at"]] == ["2024-05-01 10:00:00+02:00", "2024-10-27 02:30:00+02:00"]
    for col in ("incident_id", "category", "lat", "lon", "easting", "northing", "cell"):
        assert rp.placed[col].tolist() == rc.placed[col].tolist(), col
    assert rp.placed["source_row"].tolist() == [1, 2]  # feature number; the CSV counts its header
    assert rc.placed["source_row"].tolist() == [2, 3]
    assert rp.rejected["reason"].tolist() == rc.rejected["reason"].tolist() == ["missing time", "outside Sweden"]
    assert rp.report["axes_swapped"] and rc.report["axes_swapped"]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1" + b"\x00" * 64)
    with pytest.raises(InputError, match="cannot be read as Parquet"):
        read_incidents(bad)


def test_police_events_json(tmp_path: Path) -> None:
    events = [
        {"id": 480687, "datetime": "2024-01-01 0:40:16 +01:00", "name": "31 december 00.07, Brand, Nacka",
         "summary": "En brand.", "url": "/a/", "type": "Brand",
         "location": {"name": "Nacka", "gps": "59.307903,18.156042"}},
        {"id": 480700, "datetime": "2024-07-01 13:05:00 +02:00", "name": "x", "summary": "", "url": "/b/",
         "type": "Sammanfattning natt", "location": {"name": "Skåne län", "gps": "55.990257,13.595769"}},
        {"id": 480701, "datetime": "2024-07-01 13:05:00 +02:00", "name": "y", "summary": "", "url": "/c/",
         "type": "Ufo-larm", "location": {"name": "Nacka", "gps": ""}},
    ]
    p = tmp_path / "events.json"
    p.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.report["format"] == "police_json"
    # a kommun's or a län's centre: the row is at that level (see test_polisen.py)
    assert r.placed["precision"].tolist() == ["kommun", "lan"]
    assert r.placed["location_text"].tolist() == ["Nacka", "Skåne län"]
    assert r.placed["incident_id"].tolist() == ["480687", "480700"]
    assert r.placed["category"].tolist() == ["brand", "ej_brott"]
    # the event time from the name (published the next year), the publication kept
    assert str(r.placed["occurred_at"].iloc[0]) == "2023-12-31 00:07:00+01:00"
    assert str(r.placed["published_at"].iloc[0]) == "2024-01-01 00:40:16+01:00"
    assert r.placed["time_source"].tolist() == ["name", "published"]
    assert r.placed["cell"].tolist() == [0, 0]  # area rows never enter cell counts
    np.testing.assert_allclose(r.placed["lat"].iloc[0], 59.307903)
    # no gps but a location name: waits for geocoding
    assert r.pending["location_text"].tolist() == ["Nacka"]
    assert r.report["unknown_categories"] == {"Ufo-larm": 1}
    assert r.report["crs_detected"] == "EPSG:4326"


# --------------------------------------------------------------------------- read_incidents


def test_canonical_table_dtypes_and_ride_along() -> None:
    df = pd.DataFrame({"Diarienummer": ["K1"], "Datum": ["2024-03-05"], "Tid": ["22:15"],
                       "Brottstyp": ["Misshandel"], "X": [str(N)], "Y": [str(E)], "lat": ["x"]})
    r = read_incidents(df, source_name="demo")
    p = r.placed
    for col, dtype in INCIDENT_COLUMNS.items():
        assert str(p[col].dtype) == dtype, col
    from lagesbild_geo.grid import points_to_cells

    assert p["cell"].tolist() == points_to_cells(p["lat"], p["lon"], 9).tolist()
    assert p["source"].tolist() == ["demo"] and p["source_row"].tolist() == [1]
    assert "source_lat" in p.columns and "Diarienummer" in p.columns
    np.testing.assert_allclose([p["lat"].iloc[0], p["lon"].iloc[0]], [LAT, LON], atol=2e-6)
    assert (p["easting"].iloc[0], p["northing"].iloc[0]) == (E, N)
    assert df.columns.tolist() == ["Diarienummer", "Datum", "Tid", "Brottstyp", "X", "Y", "lat"]


@pytest.mark.parametrize(
    ("cols", "values", "crs", "detected", "swapped"),
    [
        (("X", "Y"), (N, E), None, "EPSG:3006", True),      # X = northing (Swedish habit)
        (("X", "Y"), (E, N), None, "EPSG:3006", False),
        (("Nord", "Öst"), (N, E), None, "EPSG:3006", False),
        (("Lat", "Lon"), (LAT, LON), None, "EPSG:4326", False),
        (("Lon", "Lat"), (LAT, LON), None, "EPSG:4326", True),  # lat/lon swapped
    ],
)
def test_coordinates_and_swaps(cols: tuple[str, str], values: tuple[float, float], crs: object,
                               detected: str, swapped: bool) -> None:
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 2, cols[0]: [str(values[0])] * 2,
                       cols[1]: [str(values[1])] * 2})
    r = read_incidents(df, crs=crs)
    assert r.report["crs_detected"] == detected
    assert r.report["axes_swapped"] is swapped
    np.testing.assert_allclose(r.placed["lat"], LAT, atol=2e-6)
    np.testing.assert_allclose(r.placed["lon"], LON, atol=2e-6)


def test_rt90_and_local_zone() -> None:
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 3021, always_xy=True).transform(LON, LAT)
    r = read_incidents(pd.DataFrame({"Datum": ["2024-05-01 12:00"], "X": [y], "Y": [x]}))
    assert (r.report["crs_detected"], r.report["axes_swapped"]) == ("EPSG:3021", True)
    np.testing.assert_allclose([r.placed["lat"].iloc[0], r.placed["lon"].iloc[0]], [LAT, LON], atol=1e-7)
    zx, zy = pyproj.Transformer.from_crs(4326, 3010, always_xy=True).transform(LON, LAT)
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"], "X": [zy], "Y": [zx]})
    with pytest.raises(CRSError, match="local zone"):
        read_incidents(df)
    r = read_incidents(df, crs="EPSG:3010")
    assert r.report["crs_detected"] == "EPSG:3010"
    np.testing.assert_allclose([r.placed["lat"].iloc[0], r.placed["lon"].iloc[0]], [LAT, LON], atol=1e-7)


def test_local_zone_told_by_the_boundary() -> None:
    """A kommun's GIS export in its own local zone: the boundary tells the zone the values
    cannot (SWEREF 99 18 00 for Stockholm, not 18 45)."""
    import geopandas as gpd
    import pyproj
    import shapely

    zx, zy = pyproj.Transformer.from_crs(4326, 3011, always_xy=True).transform(LONS, LATS)
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 3, "Nord": zy, "Ost": zx})
    with pytest.raises(CRSError, match="local zone"):
        read_incidents(df)
    kommun = gpd.GeoDataFrame(geometry=[shapely.box(17.75, 59.2, 18.25, 59.45)], crs=4326).to_crs(3006)
    r = read_incidents(df, boundary=kommun)
    _accounted(r)
    assert r.report["crs_detected"] == "EPSG:3011" and len(r.placed) == 3
    np.testing.assert_allclose(r.placed["lat"], LATS, atol=1e-7)
    assert "SWEREF99 18 00 (EPSG:3011) chosen" in r.report["crs_note"]


def test_broken_rows_exact_counts_and_reasons(tmp_path: Path) -> None:
    rows = [
        "Ärendenummer;Datum;Tid;Kategori;Adress;Plats;X;Y",
        f"A1;2024-03-05;22:15;Klotter;;;{N};{E}",               # 2 placed point
        f"A2;;22:15;Klotter;;;{N};{E}",                          # 3 missing time (no date)
        f"A3;2024-03-05;;Klotter;;;{N};{E}",                     # 4 placed: a date, no time (kept, "day")
        f"A4;okänt;22:15;Klotter;;;{N};{E}",                     # 5 unparseable time
        f"A5;31/02/2024;22:15;Klotter;;;{N};{E}",                # 6 unparseable time
        f"A6;2024-03-05;25:99;Klotter;;;{N};{E}",                # 7 unparseable time
        "A7;2024-03-05;22:15;Klotter;;;0;0",                     # 8 no location (0/0: a missing position)
        "A8;2024-03-05;22:15;Klotter;;;7250000;991772",          # 9 outside Sweden (Oulu)
        "A9;2024-03-05;22:15;Klotter;;;ej angivet;ej angivet",   # 10 unparseable coordinates
        "A10;2024-03-05;22:15;Klotter;;;;",                      # 11 no location
        "A11;2024-03-05;22:15;Klotter;Storgatan 12 B;;;",        # 12 pending (address)
        "A12;2024-03-05;22:15;Ufo;; Resecentrum ;;",             # 13 pending (place)
        f"A13;2024-03-05;22:15;Klotter;;;{N};",                  # 14 unparseable coordinates (half)
        "A14;2024-03-05;22:15;Klotter;Torget 1;;abc;def",        # 15 pending: bad coords, has address
    ]
    p = _write(tmp_path / "broken.csv", "\r\n".join(rows) + "\r\n", "cp1252")
    r = read_incidents(p)
    _accounted(r)
    rep = r.report
    assert (rep["rows_read"], rep["placed"], rep["pending"], rep["rejected"]) == (14, 2, 3, 9)
    assert r.placed["date_precision"].fillna("").tolist() == ["", "day"] and rep["time"]["time_unknown"] == 1
    assert rep["rejected_by_reason"] == {"missing time": 1, "unparseable time": 3, "outside Sweden": 1,
                                         "unparseable coordinates": 2, "no location": 2}
    got = dict(zip(r.rejected["source_row"], r.rejected["reason"], strict=True))
    assert got == {3: "missing time", 5: "unparseable time", 6: "unparseable time",
                   7: "unparseable time", 8: "no location", 9: "outside Sweden",
                   10: "unparseable coordinates", 11: "no location", 14: "unparseable coordinates"}
    assert r.rejected["reason_sv"].tolist()[0] == REASONS["missing time"] == "tid saknas"
    assert r.rejected.loc[r.rejected["source_row"] == 10, "raw_X"].tolist() == ["ej angivet"]
    assert r.pending["location_text"].tolist() == ["Storgatan 12 B", "Resecentrum", "Torget 1"]
    assert r.pending["precision"].unique().tolist() == ["pending"]
    assert r.pending["cell"].tolist() == [0, 0, 0] and r.pending["lat"].isna().all()
    assert r.pending["source_row"].tolist() == [12, 13, 15]
    assert rep["unknown_categories"] == {"Ufo": 1}
    assert rep["encoding"] == "cp1252" and rep["delimiter"] == ";"


def test_time_optional_and_boundary() -> None:
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00", None, "2024-05-01 12:00"],
                       "Lat": [LAT, LAT, 59.43], "Lon": [LON, LON, 17.28]})
    r = read_incidents(df, time_optional=True, boundary=box(17.0, 59.3, 17.2, 59.4))
    assert len(r.placed) == 2 and pd.isna(r.placed["occurred_at"].iloc[1])
    assert r.rejected["reason"].tolist() == ["outside boundary"]
    assert r.rejected["reason_sv"].tolist() == ["utanför området"]
    gdf = gpd.GeoDataFrame(geometry=[box(17.0, 59.3, 17.2, 59.4)], crs=4326).to_crs(3006)
    assert len(read_incidents(df, boundary=gdf).placed) == 1


def test_category_map_and_no_category_column() -> None:
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 3, "Typ": ["Mopedbus", "Misshandel", None],
                       "Lat": [LAT] * 3, "Lon": [LON] * 3})
    r = read_incidents(df, category_map={"Mopedbus": "ordning"})
    assert r.placed["category"].tolist() == ["ordning", "vald", "ovrigt"]
    assert r.report["unknown_category_rows"] == 1
    r2 = read_incidents(df.drop(columns="Typ"))
    assert r2.placed["category"].unique().tolist() == ["ovrigt"]
    assert any("no category column" in w for w in r2.report["warnings"])


def test_geocoding_hook_merges_placed_and_rejected() -> None:
    g = geocode.Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Storgatan", "Storgatan"], "husnummer": [1, 5], "postort": ["Exempelstad"] * 2,
        "nord": [6_580_000.0, 6_580_040.0], "ost": [660_000.0, 660_000.0]}))
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 3, "Adress": ["Storgatan 5", "Lillgatan 1", None],
                       "Lat": [None, None, LAT], "Lon": [None, None, LON]})
    r = old_io.read_incidents(df, gazetteer=g)
    _accounted(r)
    assert len(r.pending) == 0
    assert sorted(r.placed["precision"].tolist()) == ["address", "point"]
    assert r.rejected["reason"].tolist() == ["address not found"]
    assert r.report["match_rate"] == 0.5
    assert sum(r.report["geocoded_by_tier"].values()) == 1
    addr = r.placed[r.placed["precision"] == "address"]
    assert addr["northing"].tolist() == [6_580_040.0] and int(addr["cell"].iloc[0]) != 0


def test_make_rejected_shape() -> None:
    r = make_rejected(pd.DataFrame({"Datum": ["?"], "n": [1]}), "unparseable time", source="a.csv",
                      source_row=[2])
    assert r.columns.tolist() == ["source", "source_row", "reason", "reason_sv", "raw_Datum", "raw_n"]
    assert r["raw_n"].tolist() == ["1"]


# --------------------------------------------------------------------------- bad files


def test_bad_files_raise_input_error_naming_the_file(tmp_path: Path) -> None:
    cases: list[tuple[Path, str, dict[str, object]]] = []
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    cases.append((empty, r"empty\.csv is empty", {}))
    blank = _write(tmp_path / "blank.csv", "\n\n  \n")
    cases.append((blank, r"blank\.csv is empty", {}))
    png = tmp_path / "bild.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    cases.append((png, r"bild\.csv .*binary", {}))
    corrupt = tmp_path / "trasig.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    cases.append((corrupt, r"trasig\.xlsx cannot be opened as an Excel", {}))
    notzip = tmp_path / "fake.xlsx"
    notzip.write_text("Datum;Tid\n", encoding="utf-8")
    cases.append((notzip, r"fake\.xlsx cannot be opened as an Excel", {}))
    xls = tmp_path / "gammal.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    cases.append((xls, r"gammal\.xls .*save it as \.xlsx", {}))
    bad_json = _write(tmp_path / "events.json", '[{"id": 1, ')
    cases.append((bad_json, r"events\.json is not valid JSON", {}))
    book = _polis_xlsx(tmp_path / "polis.xlsx", rows=[["K1", "2024-01-01", "10:00", "1", "Rån", None, N, E]])
    cases.append((book, r"polis\.xlsx has no sheet 'Blad1'; its sheets are \['Info', 'Brott'\]", {"sheet": "Blad1"}))
    cases.append((book, r"no sheet number 5", {"sheet": 5}))
    cases.append((tmp_path / "saknas.csv", r"saknas\.csv does not exist", {}))
    cases.append((tmp_path, r"is a folder", {}))
    for path, pattern, kw in cases:
        with pytest.raises(InputError, match=pattern):
            read_incidents(path, **kw)  # type: ignore[arg-type]


def test_no_recognisable_columns_and_ambiguity(tmp_path: Path) -> None:
    p = _write(tmp_path / "konstig.csv", "foo;bar\n1;2\n")
    with pytest.raises(SchemaError, match=r"konstig\.csv: no recognisable incident columns.*'foo', 'bar'"):
        read_incidents(p)
    p2 = _write(tmp_path / "tva.csv", "Datum;Brottsdatum;Lat;Lon\n2024-01-01;2024-01-01;59,3;17,1\n")
    with pytest.raises(SchemaError, match=r"\['Datum', 'Brottsdatum'\]"):
        read_incidents(p2)
    r = read_incidents(p2, columns={"date": "Brottsdatum", "datetime": "Datum"})
    assert r.report["columns_used"]["date"] == "Brottsdatum"


def test_header_only_file_reads_zero_rows(tmp_path: Path) -> None:
    r = read_incidents(_write(tmp_path / "tom.csv", "Datum;Tid;Lat;Long\n"))
    assert (r.report["rows_read"], len(r.placed), len(r.pending), len(r.rejected)) == (0, 0, 0, 0)


def test_no_time_column_rejects_every_row_unless_optional() -> None:
    df = pd.DataFrame({"Lat": [LAT], "Lon": [LON]})
    r = read_incidents(df)
    assert r.rejected["reason"].tolist() == ["missing time"]
    assert any("no time column" in w for w in r.report["warnings"])
    assert len(read_incidents(df, time_optional=True).placed) == 1


def test_fast_xlsx_reader_agrees_with_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lagesbild_geo.read.tables as lio

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blad"
    ws.append(["Datum", "Tid", "Lat", "Lon", "Flagga", "Kod", "Text"])
    ws.append([dt.date(2024, 3, 5), dt.time(22, 15), 59.367441, 17.105982, True, "0356", "Å ä ö"])
    ws.append([dt.datetime(2024, 10, 27, 2, 30, 15), dt.time(0, 40), 59.0, 17, False, None, " "])
    ws["B3"].number_format = "h:mm"
    ws["G4"] = "efter lucka"
    wb.save(tmp_path / "b.xlsx")
    fast_df, fast_info = read_table(tmp_path / "b.xlsx")
    assert fast_df["Tid"].tolist()[:2] == ["22:15:00", "00:40:00"] and fast_df["Tid"].isna().iloc[2]
    assert fast_df["Datum"].tolist()[:2] == ["2024-03-05 00:00:00", "2024-10-27 02:30:15"]
    assert fast_df["Flagga"].tolist()[:2] == ["True", "False"]
    assert fast_df["Lat"].tolist()[:2] == ["59.367441", "59"]
    assert fast_info["source_row"].tolist() == [2, 3, 4]

    def refuse(*args: object, **kwargs: object) -> None:
        raise KeyError("force the openpyxl path")

    monkeypatch.setattr(lio, "_read_excel_fast", refuse)
    slow_df, slow_info = read_table(tmp_path / "b.xlsx")
    pd.testing.assert_frame_equal(fast_df, slow_df)
    assert slow_info["source_row"].tolist() == fast_info["source_row"].tolist()


def test_a_workbook_in_the_1904_date_system_keeps_its_dates(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # old Mac Excel counts days from 1904-01-01: read as 1900 dates they came out 4 years early
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    import lagesbild_geo.read.tables as lio

    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Brottsdatum", "Klockslag", "X", "Y"])
    ws.append([dt.datetime(2024, 3, 5, 22, 15), dt.time(22, 15), 6580000, 660000])
    ws.append([dt.date(2025, 12, 31), dt.time(0, 5), 6580100, 660100])
    wb.save(tmp_path / "mac.xlsx")
    fast_df, _ = read_table(tmp_path / "mac.xlsx")
    assert fast_df["Brottsdatum"].tolist() == ["2024-03-05 22:15:00", "2025-12-31 00:00:00"]
    assert fast_df["Klockslag"].tolist() == ["22:15:00", "00:05:00"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise KeyError("force the openpyxl path")

    monkeypatch.setattr(lio, "_read_excel_fast", refuse)
    pd.testing.assert_frame_equal(read_table(tmp_path / "mac.xlsx")[0], fast_df)
    monkeypatch.undo()
    r = read_incidents(tmp_path / "mac.xlsx")
    assert r.placed["occurred_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2024-03-05 22:15",
                                                                                "2025-12-31 00:05"]


def test_reading_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    # the reader pauses it while it makes a sheet's cells; on again after, even after an error
    wb = openpyxl.Workbook()
    wb.active.append(["Datum", "X", "Y"])
    wb.active.append(["2024-03-05 22:15", 6580000, 660000])
    wb.save(tmp_path / "ok.xlsx")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    assert gc.isenabled()
    assert len(read_table(tmp_path / "ok.xlsx")[0]) == 1 and gc.isenabled()
    with pytest.raises(InputError):
        read_table(tmp_path / "bad.xlsx")
    assert gc.isenabled()
    gc.disable()  # someone else's choice is kept
    try:
        read_table(tmp_path / "ok.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_place_pending_is_the_old_gazetteer_hook() -> None:
    from lagesbild_geo.geocode import Gazetteer, place_pending

    g = Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Storgatan", "Storgatan"], "husnummer": [1, 5], "postort": ["Exempelstad"] * 2,
        "nord": [6_580_000.0, 6_580_040.0], "ost": [660_000.0, 660_000.0]}))
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 4, "Adress": ["Storgatan 5", "Lillgatan 1", None, "Storgatan 1"],
                       "Lat": [None, None, LAT, None], "Lon": [None, None, LON, None]})
    r = read_incidents(df)
    assert (len(r.placed), len(r.pending), len(r.rejected)) == (1, 3, 0)
    assert r.report["geocoded_by_tier"] == {} and r.report["match_rate"] is None
    new = place_pending(r, g)
    old = old_io.read_incidents(df, gazetteer=g)
    _accounted(new)
    pd.testing.assert_frame_equal(new.placed, old.placed)
    pd.testing.assert_frame_equal(new.rejected, old.rejected)
    assert new.report == old.report
    assert new.report["geocoded_by_tier"] == {"exact": 2} and new.report["pending"] == 0
    assert len(new.pending) == 0 and list(new.pending.columns) == list(r.pending.columns)
    # nothing pending: the result comes back as it is, the gazetteer is not even read
    done = read_incidents(df.iloc[[2]])
    assert place_pending(done, "no/such/gazetteer.csv") is done


def test_geocoded_rejected_rows_keep_text_dtypes() -> None:
    g = geocode.Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Storgatan"], "husnummer": [1], "postort": ["Exempelstad"],
        "nord": [6_580_000.0], "ost": [660_000.0]}))
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00", None, "2024-05-01 12:00"],
                       "Adress": ["Lillgatan 1", "Storgatan 1", "Storgatan 1"]})
    r = old_io.read_incidents(df, gazetteer=g)
    assert r.rejected["reason"].tolist() == ["missing time", "address not found"]
    assert r.rejected["source_row"].tolist() == [2, 1]
    assert str(r.rejected["source_row"].dtype) == "int64"
    assert all(str(r.rejected[c].dtype) == "string" for c in r.rejected.columns if c != "source_row")
    assert r.placed["precision"].tolist() == ["address"]


def test_columns_hint_finds_the_header_of_other_tables(tmp_path: Path) -> None:
    text = "Adressregister 2025\nKälla: kommunen\ntyp;gatunamn;husnummer;nord;ost\nadress;Storgatan;1;6580000;660000\n"
    df, info = read_table(_write(tmp_path / "gaz.csv", text), columns_hint=["gatunamn", "nord", "ost"])
    assert info["header_row"] == 3 and df.columns.tolist() == ["typ", "gatunamn", "husnummer", "nord", "ost"]
    assert info["source_row"].tolist() == [4]


def test_several_coordinate_pairs_first_usable_wins() -> None:
    df = pd.DataFrame({"Datum": ["2024-05-01 12:00"] * 3,
                       "X": [str(N), None, None], "Y": [str(E), None, None],
                       "Lat": [None, "59,367441", None], "Long": [None, "17,105982", None]})
    r = read_incidents(df)
    assert len(r.placed) == 2 and r.rejected["reason"].tolist() == ["no location"]
    assert r.report["crs_by_columns"] == {"X/Y": "EPSG:3006", "Long/Lat": "EPSG:4326"}
    np.testing.assert_allclose(r.placed["lat"], [LAT, LAT], atol=2e-6)


def test_geodataframe_in_memory_with_polygons() -> None:
    gdf = gpd.GeoDataFrame({"datum": ["2024-05-01 10:00", "2024-05-01 11:00", "2024-05-01 12:00"]},
                           geometry=[Point(LON, LAT), box(17.0, 59.3, 17.01, 59.31), None], crs=4326)
    r = read_incidents(gdf, source_name="lager")
    _accounted(r)
    assert r.placed["precision"].tolist() == ["point", "area"]
    assert r.placed["cell"].iloc[1] == 0 and r.placed["cell"].iloc[0] != 0
    assert r.rejected["reason"].tolist() == ["no location"]
    assert r.rejected["source_row"].tolist() == [3]

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_excel_export_with_title_merged_cells_totals_and_rt90(tmp_path: Path) -> None:
    e, n = Transformer.from_crs(4326, 3021, always_xy=True).transform(LONS, LATS)
    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active["A1"] = "Uttag ur RAR"
    ws = wb.create_sheet("Data")
    ws["A1"] = "Anmälda brott 2024"
    ws.merge_cells("A1:F1")
    ws.append(["Diarienr", "Händelsedatum", "Klockslag", "Brottsrubricering", "Gärningsort",
               "Nordkoordinat", "Östkoordinat"])
    ws.append(["K1", "5 mars 2024", "22.15", "Misshandel", "Storgatan 12", n[0], e[0]])
    ws.append([None] * 7)
    ws.append(["K2", "05.03.2024", "2215", "Skadegörelse", "", n[1], e[1]])
    ws.append(["K3", "2024-03-06 kl. 08.15", None, "Rån", "Torget", None, None])
    ws.append(["Summa", None, None, None, None, None, None])
    p = tmp_path / "brott.xlsx"
    wb.save(p)
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rows_read"] == 4
    assert r.report["crs_detected"] == "EPSG:3021"
    assert r.report["columns_used"]["category"] == "Brottsrubricering"
    assert r.report["columns_used"]["place"] == "Gärningsort"
    assert list(r.placed["category"]) == ["vald", "skadegorelse"]
    assert list(r.placed["source_row"]) == [3, 5]
    assert r.placed["lat"].round(4).tolist() == [59.3293, 59.335]
    assert list(r.pending["location_text"]) == ["Torget"]
    assert str(r.pending["occurred_at"].iloc[0]) == "2024-03-06 08:15:00+01:00"
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[7, "totals row"]]


def test_a_lists_footer_is_a_totals_row_and_a_row_without_time_stays_so(tmp_path: Path) -> None:
    # an export's footer ("Antal rader: 3", "Summa:") is said as what it is; an incident row
    # without a time, or with an address that merely begins like a total, keeps its own reason
    p = tmp_path / "lista.csv"
    p.write_text("Datum;Tid;Brottstyp;Adress;Lat;Lon\n"
                 f"2024-03-05;22:15;Stöld;Storgatan 1;{LATS[0]};{LONS[0]}\n"
                 f";;Rån;Totalvägen 3;{LATS[1]};{LONS[1]}\n"
                 f"2024-03-06;kl 25;Summa brott;;;\n"
                 "Antal rader: 3;;;;;\n"
                 "Summa:;;;;;\n", encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rows_read"] == 5
    assert r.rejected[["source_row", "reason"]].values.tolist() == [
        [3, "missing time"], [4, "totals row"], [5, "totals row"], [6, "totals row"]]
    assert r.rejected["reason_sv"].tolist()[1] == "summeringsrad (summerar de andra raderna)"
    assert [w for w in r.report["warnings"] if "totals row" in w] == [
        "lista.csv: 3 row(s) under or within the list say they are a total or a count of the rows (row 4, row 5, "
        "row 6), not an incident: rejected as 'totals row'."]


@pytest.mark.parametrize("crs", [3011, "EPSG:3006"])
def test_wrong_crs_given_says_so_in_the_warnings(tmp_path: Path, crs: object) -> None:
    p = tmp_path / "latlon.csv"
    p.write_text("Datum;Tid;Lat;Lon\n" + "".join(
        f"2024-03-05;22:15;{a};{b}\n".replace(".", ",") for a, b in zip(LATS, LONS, strict=True)), encoding="utf-8")
    r = read_incidents(p, crs=crs)
    _accounted(r)
    assert r.report["rejected_by_reason"] == {"outside Sweden": 3}
    msg = [w for w in r.report["warnings"] if "the CRS was given as" in w]
    assert len(msg) == 1
    assert "look like WGS84 (EPSG:4326); 3 row(s) fall outside Sweden" in msg[0]
    assert "leave crs= (--crs) out" in msg[0]
    assert not [w for w in read_incidents(p).report["warnings"] if "the CRS was given as" in w]


@pytest.mark.parametrize("fname", ["data.ods", "renamed.xlsx"])
def test_a_broken_ods_is_refused_with_the_fix(tmp_path: Path, fname: str) -> None:
    p = tmp_path / fname
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(InputError, match=r"cannot be opened as an OpenDocument \.ods spreadsheet .*save it as "
                                         r"\.xlsx, or export CSV"):
        read_incidents(p)


def _write_ods(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A minimal OpenDocument spreadsheet (as LibreOffice Calc saves one): {sheet: rows};
    a cell is text, a number, ("date", ISO) or None."""
    from xml.sax.saxutils import escape

    def cell(v: Any) -> str:
        if v is None:
            return "<table:table-cell/>"
        if isinstance(v, tuple):
            return (f'<table:table-cell office:value-type="date" office:date-value="{v[1]}">'
                    f"<text:p>{v[1]}</text:p></table:table-cell>")
        if isinstance(v, int | float):
            return (f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p>'
                    "</table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    tables = "".join(f'<table:table table:name="{escape(n)}">' + "".join(
        "<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows) + "</table:table>"
        for n, rows in sheets.items())
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                   'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
        z.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
                   f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
                   "</office:document-content>", compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_an_old_xls_workbook_is_read_as_an_xlsx_is(tmp_path: Path) -> None:
    # Excel 97–2003, as many case systems still export: a sheet of notes first, title rows,
    # date and time cells, numbers as text, and a totals row under the list
    xlwt = pytest.importorskip("xlwt")  # (a dev dependency: only the tests write .xls)
    wb = xlwt.Workbook()
    wb.add_sheet("Info").write(0, 0, "Uttag ur ärendesystemet")
    ws = wb.add_sheet("Brott 2025")
    ws.write(0, 0, "Anmälda brott 2025")
    for c, h in enumerate(["Ärendenummer", "Brottsdatum", "Klockslag", "Brottstyp", "Nord", "Öst"]):
        ws.write(2, c, h)
    e, n = Transformer.from_crs(4326, 3006, always_xy=True).transform(LONS, LATS)
    rows = [("K1", dt.date(2025, 3, 1), dt.time(22, 15), "Misshandel", n[0], e[0]),
            ("K2", dt.datetime(2025, 3, 2, 1, 5), None, "Skadegörelse", n[1], e[1]),
            ("K3", "2025-03-04", "09:30", "Stöld", str(n[2]), str(e[2]))]
    fmt = {dt.datetime: "YYYY-MM-DD HH:MM", dt.date: "YYYY-MM-DD", dt.time: "HH:MM"}
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v, *([xlwt.easyxf(num_format_str=fmt[type(v)])] if type(v) in fmt else []))
    ws.write(6, 0, "Summa")
    p = tmp_path / "brott.xls"
    wb.save(p)
    r = read_incidents(p)
    _accounted(r)
    assert [str(t) for t in r.placed["occurred_at"]] == [
        "2025-03-01 22:15:00+01:00", "2025-03-02 01:05:00+01:00", "2025-03-04 09:30:00+01:00"]
    assert r.placed["lat"].round(4).tolist() == LATS
    assert list(r.placed["incident_id"]) == ["K1", "K2", "K3"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[7, "totals row"]]
    assert any("read sheet 'Brott 2025' of ['Info', 'Brott 2025']" in w for w in r.report["warnings"])
    assert read_incidents(p, sheet="brott 2025").report["rows_read"] == 4


def test_an_ods_spreadsheet_is_read_as_an_xlsx_is(tmp_path: Path) -> None:
    p = _write_ods(tmp_path / "brott.ods", {
        "Anteckningar": [["Uttag 2025-03-05"]],
        "Brott": [["Händelser i mars"], [], ["Datum", "Brottstyp", "Lat", "Lon"],
                  [("date", "2025-03-01T22:15:00"), "Stöld", LATS[0], LONS[0]],
                  ["2025-03-02 12:00", "Rån", str(LATS[1]).replace(".", ","), str(LONS[1]).replace(".", ",")]]})
    r = read_incidents(p)
    _accounted(r)
    assert [str(t) for t in r.placed["occurred_at"]] == ["2025-03-01 22:15:00+01:00", "2025-03-02 12:00:00+01:00"]
    assert r.placed["lat"].tolist() == LATS[:2]
    assert list(r.placed["source_row"]) == [4, 5]


def test_an_xls_that_is_tab_separated_text_is_read_as_the_table_it_is(tmp_path: Path) -> None:
    # "Export to Excel" of many systems writes text with tabs under an .xls name
    p = tmp_path / "export.xls"
    p.write_bytes(("Datum\tTid\tBrottstyp\tLat\tLon\n" + "".join(
        f"2025-03-0{i + 1}\t22:15\tStöld\t{a}\t{b}\n" for i, (a, b) in enumerate(zip(LATS, LONS, strict=True))
    )).encode("cp1252"))
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rows_read"] == 3 and len(r.placed) == 3
    assert r.placed["category_raw"].tolist() == ["Stöld"] * 3


def test_excel_two_row_header_with_merged_cells(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ärende", "Tidpunkt", "Brottstyp", "Koordinater", None])
    ws.merge_cells("D1:E1")
    ws.append([None, None, None, "Lat", "Lon"])
    ws.append(["A1", dt.datetime(2024, 3, 5, 22, 15), "Stöld", LATS[0], LONS[0]])
    ws.append(["A2", dt.datetime(2024, 3, 6, 1, 5), "Rån", LATS[1], LONS[1]])
    ws.append(["Totalt", None, 2, None, None])
    p = tmp_path / "tva_rader.xlsx"
    wb.save(p)
    r = read_incidents(p)
    _accounted(r)
    assert list(r.placed["source_row"]) == [3, 4]
    assert r.placed["lat"].tolist() == LATS[:2]
    assert list(r.placed["category"]) == ["stold", "ran"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[5, "totals row"]]
    assert r.report["unknown_categories"] == {}
    assert any("header spans rows 1–2" in w for w in r.report["warnings"])


def test_a_wrong_crs_given_for_every_row_is_said_once_not_as_a_mix(tmp_path: Path) -> None:
    p = tmp_path / "wgs.csv"
    p.write_text("Datum;Tid;Lat;Lon\n" + "".join(f"2024-03-05;22:15;{a};{b}\n" for a, b in zip(LATS, LONS, strict=True)),
                 encoding="utf-8")
    r = read_incidents(p, crs=3006)
    _accounted(r)
    assert r.report["rejected_by_reason"] == {"outside Sweden": 3}
    assert [w for w in r.report["warnings"] if "CRS" in w or "coordinate systems" in w] == [
        "wgs.csv: Lon/Lat: the CRS was given as EPSG:3006, but the values look like WGS84 (EPSG:4326); 3 row(s) "
        "fall outside Sweden. Check the CRS: leave crs= (--crs) out to have it recognised, or name the right one."]


def test_coordinates_in_a_foreign_crs_say_so_and_crs_fixes_them(tmp_path: Path) -> None:
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(LONS, LATS)
    p = tmp_path / "merc.csv"
    p.write_text("Datum;Tid;X;Y\n" + "".join(f"2024-03-05;22:15;{a};{b}\n" for a, b in zip(x, y, strict=True)),
                 encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    # numbers, not unreadable text: the reason says they fit no Swedish CRS
    assert r.report["rejected_by_reason"] == {"unknown CRS": 3}
    assert set(r.rejected["reason_sv"]) == {"koordinaterna passar inget svenskt koordinatsystem (ange vilket)"}
    msg = [w for w in r.report["warnings"] if "fit no Swedish CRS" in w]
    assert len(msg) == 1 and "X/Y: 3 row(s)" in msg[0] and "--crs 3857" in msg[0]
    r = read_incidents(p, crs=3857)
    assert r.placed["lat"].round(4).tolist() == LATS


@pytest.mark.parametrize("fname", ["export.xls", "export.csv"])
def test_html_saved_as_excel_is_refused_with_the_fix(tmp_path: Path, fname: str) -> None:
    p = tmp_path / fname
    p.write_text("<html><body><table><tr><td>Datum</td><td>X</td></tr></table></body></html>",
                 encoding="utf-8")
    with pytest.raises(InputError, match=r"is a web page or XML file.*save it as \.xlsx, or export CSV"):
        read_incidents(p)


def test_geojson_in_metres_without_crs_member(tmp_path: Path) -> None:
    d = gpd.GeoDataFrame({"deso": ["0180C1010", "0180C1020"]},
                         geometry=[box(18.0, 59.3, 18.1, 59.4), box(18.1, 59.3, 18.2, 59.4)], crs=4326)
    fc = json.loads(d.to_crs(3006).to_json())
    fc.pop("crs", None)  # RFC 7946 writers leave it out; GDAL then says WGS84
    p = tmp_path / "d.geojson"
    p.write_text(json.dumps(fc), encoding="utf-8")
    r = read_districts(p)
    assert r.total_bounds.round(3).tolist() == [18.0, 59.3, 18.2, 59.4]
    assert any("coordinates are metres" in w for w in r.attrs["report"]["warnings"])

    pts = gpd.GeoDataFrame({"Datum": ["2024-03-05 22:15"] * 3},
                           geometry=[Point(lo, la) for lo, la in zip(LONS, LATS, strict=True)], crs=4326)
    fc = json.loads(pts.to_crs(3006).to_json())
    fc.pop("crs", None)
    q = tmp_path / "p.geojson"
    q.write_text(json.dumps(fc), encoding="utf-8")
    res = read_incidents(q)
    _accounted(res)
    assert res.report["crs_detected"] == "EPSG:3006" and len(res.placed) == 3
    assert res.placed["lat"].round(4).tolist() == LATS
    assert any("coordinates are metres" in w for w in res.report["warnings"])


def test_swedish_date_forms() -> None:
    texts = ["05.03.24", "5/3-24", "tisdag 5 mars 2024", "Tis. den 5 mars 2024 kl. 22.15",
             "den 5 mars 2024", "Sön 10 mars 2024", "05.03.24 22:15", "24-03-05", "söndag"]
    times, status, _ = parse_times(pd.Series(texts))
    got = [str(t) if s == 0 else None for t, s in zip(times, status, strict=True)]
    assert got == ["2024-03-05 00:00:00+01:00", "2024-03-05 00:00:00+01:00", "2024-03-05 00:00:00+01:00",
                   "2024-03-05 22:15:00+01:00", "2024-03-05 00:00:00+01:00", "2024-03-10 00:00:00+01:00",
                   "2024-03-05 22:15:00+01:00", None, None]
    assert status.tolist()[-2:] == [2, 2]  # ambiguous short form and a bare weekday: unparseable


def test_a_comma_before_the_clock_and_an_hour_alone_after_kl_are_read() -> None:
    texts = ["15 mars 2025 kl 22", "2025-03-15 kl. 7", "15 mars 2025, 22:15", "2025-03-15, 22:15",
             "15/3/2025 kl 24", "2025-03-15 kl 25"]
    times, status, _ = parse_times(pd.Series(texts))
    assert [str(t) if s == 0 else None for t, s in zip(times, status, strict=True)] == [
        "2025-03-15 22:00:00+01:00", "2025-03-15 07:00:00+01:00", "2025-03-15 22:15:00+01:00",
        "2025-03-15 22:15:00+01:00", "2025-03-16 00:00:00+01:00", None]


def test_month_first_dates_are_read_so_only_when_the_column_can_be_nothing_else() -> None:
    # a US-locale export (Survey123, a US system): 03/15 can only be month first, so 03/04 is 4 March
    us = ["03/15/2025 10:15:00 PM", "3/4/2025 12:05 AM", "3/4/2025, 12:05 PM", "03/04/2025", "3/4/2025 9:30 a.m."]
    times, status, counts = parse_times(pd.Series(us))
    assert [str(t) for t in times] == ["2025-03-15 22:15:00+01:00", "2025-03-04 00:05:00+01:00",
                                       "2025-03-04 12:05:00+01:00", "2025-03-04 00:00:00+01:00",
                                       "2025-03-04 09:30:00+01:00"]
    assert counts["month_first"] == 5
    # day first wherever a date can be read so: 03/04 is 3 April; 03/15 beside 15/03 stays unread
    for texts in (["03/04/2025", "1/3/2025"], ["03/04/2025", "15/03/2025", "03/15/2025"]):
        times, status, counts = parse_times(pd.Series(texts))
        assert str(times.iloc[0]) == "2025-04-03 00:00:00+02:00"
        assert "month_first" not in counts
    assert status.tolist() == [0, 0, 2]
    # a separate time column on the 12-hour clock; no hour 13 beside pm
    times, status, _ = parse_times(pd.Series(["2025-03-15"] * 3), pd.Series(["10:15 PM", "12:30 am", "13:00 pm"]))
    assert [str(t) for t in times[:2]] == ["2025-03-15 22:15:00+01:00", "2025-03-15 00:30:00+01:00"]
    assert status.tolist() == [0, 0, 2]


def test_a_us_export_says_its_dates_were_read_month_first(tmp_path: Path) -> None:
    p = tmp_path / "survey123.csv"
    p.write_text("ObjectID,Date of incident,Type,x,y\n"
                 f"1,3/15/2025 10:15:00 PM,Vandalism,{LONS[0]},{LATS[0]}\n"
                 f"2,3/4/2025 8:05:00 AM,Theft,{LONS[1]},{LATS[1]}\n", encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert [str(t) for t in r.placed["occurred_at"]] == ["2025-03-15 22:15:00+01:00", "2025-03-04 08:05:00+01:00"]
    assert "survey123.csv: the dates written with '/' are month first (03/15/2025, the American order; some " \
           "cannot be day first and none must be), so all 2 were read month/day/year." in r.report["warnings"]


def test_time_spans_and_approximate_times_take_the_start() -> None:
    t = ["22.15-23.00", "2215–2300", "ca 22", "ca. 22.15", "omkring 8", "22 till 23", "okänd"]
    times, status, _ = parse_times(pd.Series(["2024-03-05"] * len(t)), pd.Series(t))
    assert [str(x) if s == 0 else None for x, s in zip(times, status, strict=True)] == [
        "2024-03-05 22:15:00+01:00", "2024-03-05 22:15:00+01:00", "2024-03-05 22:00:00+01:00",
        "2024-03-05 22:15:00+01:00", "2024-03-05 08:00:00+01:00", "2024-03-05 22:00:00+01:00", None]
    d = ["2024-03-05 - 2024-03-06", "2024-03-05 22:15 - 2024-03-06 01:00", "2024-03-05--2024-03-06"]
    times, status, _ = parse_times(pd.Series(d))
    assert status.tolist() == [0, 0, 0]
    assert [str(x) for x in times] == ["2024-03-05 00:00:00+01:00", "2024-03-05 22:15:00+01:00",
                                       "2024-03-05 00:00:00+01:00"]


def test_a_part_of_a_shapefile_points_to_the_shp(tmp_path: Path) -> None:
    gpd.GeoDataFrame({"Datum": ["2024-03-05"]}, geometry=[Point(18.0, 59.3)], crs=4326).to_file(
        tmp_path / "brott.shp")
    with pytest.raises(InputError, match=r"brott.dbf is one part of a shapefile.*read brott.shp"):
        read_incidents(tmp_path / "brott.dbf")


def test_coordinates_in_one_column_in_other_spellings(tmp_path: Path) -> None:
    p = tmp_path / "pos.csv"
    p.write_text("Datum;Tid;Position\n" + "".join(f"2024-03-05;22:15;{v}\n" for v in (
        "59.33, 18.06", "59.33 18.06", "N 59.33 E 18.06", "59,33, 18,06", "(59.33, 18.06)",
        "POINT (18.06 59.33)", "59,33 18,06", "okänd")), encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.placed["lat"].tolist() == [59.33] * 7 and r.placed["lon"].tolist() == [18.06] * 7
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[9, "unparseable coordinates"]]


@pytest.mark.parametrize("large", [False, True])
def test_blank_rows_dropped_as_utf8_is_space_says(large: bool) -> None:
    """The first-byte pre-check leaves exactly the rows a full utf8_is_space pass leaves: every
    space character Arrow knows (ASCII, U+0085, NBSP, U+1680, U+2000-U+205F, U+3000) alone and
    mixed, nulls, empty strings (not blank), text that starts with a multi-byte letter (å) or a
    non-space character sharing a space's lead byte, over sliced chunks; a second column
    keeps a row whose first column is blank."""
    spaces = ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", " ", "\x85", "\xa0", "\u1680",
              "\u2000", "\u200a", "\u2028", "\u202f", "\u205f", "\u3000"]
    values = [*spaces, " \u3000 ", None, "", "å", "\u00e9", "\u2014x", "\u30a2", "\u1681", " a", "x", "\xa0b"]
    other = [None] * len(values)
    other[1] = "kept"
    typ = pa.large_string() if large else pa.string()
    whole = pa.array(values * 3, type=typ)
    col = pa.chunked_array([whole.slice(0, 5), whole.slice(5, 40), pa.array([], type=typ),
                            whole.slice(45)], type=typ)
    table = pa.table({"a": col, "b": pa.array(other * 3, type=typ)})
    rows = np.arange(table.num_rows) + 2
    got, got_rows = _drop_blank_rows(table, rows)
    blank = np.asarray(pc.fill_null(pc.utf8_is_space(table.column(0)), True).to_numpy(zero_copy_only=False))
    blank &= np.asarray(pc.fill_null(pc.utf8_is_space(table.column(1)), True).to_numpy(zero_copy_only=False))
    assert got_rows.tolist() == rows[~blank].tolist()
    assert got.equals(table.filter(pa.array(~blank)))
    assert 3 in got_rows.tolist() and "" in got.column("a").to_pylist()  # "kept"; empty is not blank


# ---------------------------------------------------------------- time columns as exports give them
@pytest.mark.parametrize(("clock", "want"), [
    ("2025-03-01 14:30", "14:30"),  # an Excel/Access date-time cell in the time column (was 20:25)
    ("2025-03-01 14:30:00", "14:30"),
    ("1899-12-30 14:30:00", "14:30"),  # a time kept as a date-time (Access, SQL exports)
    ("1900-01-00 22:15", "22:15"),  # as Swedish Excel shows a time formatted as a date
    ("01.03.2025 14:30", "14:30"),
    ("14:30:00.0000000", "14:30"),  # SQL Server's time(7)
    ("14:30:00.000", "14:30"),
    ("14:30", "14:30"),
    ("kl. 14.30", "14:30"),
])
def test_a_time_column_holding_a_date_time_or_fractions_gives_its_time_of_day(clock: str, want: str) -> None:
    got, status, _ = parse_times(pd.Series(["2025-03-01", "2025-03-02"]), pd.Series([clock, "08:05"]))
    assert status.tolist() == [0, 0]
    assert got.dt.strftime("%Y-%m-%d %H:%M").tolist() == [f"2025-03-01 {want}", "2025-03-02 08:05"]


def test_a_time_column_holding_only_a_date_is_a_missing_time_as_an_empty_one_is() -> None:
    _, status, _ = parse_times(pd.Series(["2025-03-01"] * 3), pd.Series(["2025-03-01", "2025-03-01 ", None]))
    assert status.tolist() == [1, 1, 1]


@pytest.mark.parametrize(("date_col", "time_col"), [
    ("Startdatum", "Starttid"), ("Händelsedatum", "Händelsetid"), ("Datum", "Tidpunkt"),
])
def test_a_date_column_with_a_start_time_column_keeps_the_time(tmp_path: Path, date_col: str,
                                                               time_col: str) -> None:
    # the second column's name is an alias of a date-time; it holds the time of day
    p = tmp_path / "a.csv"
    p.write_text(f"Ärendenr;{date_col};{time_col};Brottstyp;Lat;Long\n"
                 "K-1;2025-03-01;14:30;Stöld;59,36;17,10\n"
                 "K-2;2025-03-02;2025-03-02 22:15;Stöld;59,37;17,11\n", encoding="utf-8")
    r = read_incidents(p)
    assert r.placed["occurred_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2025-03-01 14:30", "2025-03-02 22:15"]
    assert r.report.get("date_only", 0) == 0


def test_a_semicolon_file_with_decimal_commas_and_two_line_values_is_read_with_semicolons(
        tmp_path: Path) -> None:
    # counted line by line, ',' gave three fields on every line ("…;59,36;17,10") and won
    rows = [f"K-{i};2025-03-{i % 28 + 1:02d};12:00;Skadegörelse;Sönderslagen ruta;59,{3600 + i};17,{1000 + i}"
            for i in range(1, 61)]
    rows[9] = 'K-10;2025-03-11;12:00;Skadegörelse;"Sönderslagen\nruta";59,3610;17,1010'
    rows[20] = 'K-21;2025-03-22;12:00;Skadegörelse;"Två\nrader";59,3621;17,1021'
    p = tmp_path / "a.csv"
    p.write_text("Ärendenr;Datum;Tid;Brottstyp;Beskrivning;Lat;Long\n" + "\n".join(rows) + "\n",
                 encoding="cp1252")
    r = read_incidents(p)
    assert len(r.placed) == 60 and len(r.rejected) == 0
    assert r.placed["lat"].round(4).iloc[9] == 59.361


def test_a_semicolon_file_with_some_rows_ending_in_a_semicolon_is_read_with_semicolons(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("Ärendenr;Datum;Tid;Brottstyp;Lat;Long\n"
                 "K-1;2025-03-01;14:30;Stöld;59,3601;17,1001\n"
                 "K-2;2025-03-01;14:30;Stöld;59,3602;17,1002;\n"
                 "K-3;2025-03-01;14:30;Stöld;59,3603;17,1003\n"
                 "K-4;2025-03-01;14:30;Stöld;59,3604;17,1004;\n", encoding="utf-8")
    r = read_incidents(p)
    assert r.placed["lon"].round(4).tolist() == [17.1001, 17.1002, 17.1003, 17.1004]


@pytest.mark.parametrize("reader", ["fast", "openpyxl"])
def test_a_visible_data_sheet_is_chosen_before_a_hidden_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             reader: str) -> None:
    from lagesbild_geo.read import tables

    if reader == "openpyxl":  # the reader for workbooks the fast one leaves
        monkeypatch.setattr(tables, "_Xlsx", lambda path: (_ for _ in ()).throw(ValueError("unusual")))
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Info"
    info.append(["Uttag ur RAR, 2025"])
    for title, state, rows in (("Dold", "hidden", 3), ("Brott 2025", "visible", 2)):
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        ws.append(["Diarienummer", "Brottsdatum", "Klockslag", "Brottstyp", "X", "Y"])
        for i in range(rows):
            ws.append([f"{title[0]}-{i}", "2025-03-01", "14:30", "Stöld", 6583496, 620743])
    p = tmp_path / "b.xlsx"
    wb.save(p)
    r = read_incidents(p)
    assert r.placed["incident_id"].tolist() == ["B-0", "B-1"]
    assert any("read sheet 'Brott 2025'" in w for w in r.report["warnings"])
    # with no visible sheet of incidents the hidden one is read, and the note says it is hidden
    wb["Brott 2025"].delete_rows(1, 3)
    wb.save(p)
    r = read_incidents(p)
    assert len(r.placed) == 3
    assert any("read the hidden sheet 'Dold'" in w for w in r.report["warnings"])


def test_a_single_coordinate_column_of_metres_is_recognised(tmp_path: Path) -> None:
    # "Koordinater" holding SWEREF 99 TM northing, easting: it was read as WGS84 ("outside Sweden")
    p = tmp_path / "a.csv"
    p.write_text("Ärendenr;Datum;Tid;Brottstyp;Koordinater\n"
                 "K-1;2025-03-01;12:00;Stöld;6583496, 620743\n"
                 "K-2;2025-03-01;12:00;Stöld;6583476, 620752\n", encoding="utf-8")
    r = read_incidents(p)
    assert r.report["crs_detected"] == "EPSG:3006" and len(r.rejected) == 0
    assert r.placed[["lat", "lon"]].round(4).values.tolist() == [[59.3728, 17.1249], [59.3727, 17.125]]
    feed = tmp_path / "b.csv"  # degrees stay WGS84, as the police feed gives them
    feed.write_text("Ärendenr;Datum;Tid;Brottstyp;Koordinater\nK-1;2025-03-01;12:00;Stöld;59.3728, 17.1249\n",
                    encoding="utf-8")
    assert read_incidents(feed).placed[["lat", "lon"]].round(4).values.tolist() == [[59.3728, 17.1249]]
