"""measures.coverage and measures.overview: data-set identity, coverage of an area and its
periods, the small-count caution, status colours, follow-ups due and the trail in words."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from lagesbild_geo.errors import InputError, ValidationError
from lagesbild_geo.measures import (
    Area,
    DataSet,
    area_status,
    check_coverage,
    dataset_of,
    days_late_sv,
    describe_change,
    followup_caution,
    followup_due_sv,
    followup_windows,
    kommun_label,
    same_kommun,
)

TZ = "Europe/Stockholm"
SQUARE = box(17.10, 59.37, 17.12, 59.375)


def incidents(days: list[str], lon: float = 17.11, lat: float = 59.372) -> pd.DataFrame:
    return pd.DataFrame({
        "incident_id": [f"i{i}" for i in range(len(days))],
        "occurred_at": pd.to_datetime(days).tz_localize(TZ),
        "category": ["ran"] * len(days), "lon": [lon] * len(days), "lat": [lat] * len(days),
        "precision": ["point"] * len(days)})


def picture(inc: pd.DataFrame, *, shas: list[str], kommun: dict, districts=None):
    """A stand-in for a Lagesbild: incidents, districts and the pipeline's metadata."""
    return SimpleNamespace(
        incidents=inc, districts=districts if districts is not None else gpd.GeoDataFrame(
            geometry=[], crs=4326),
        metadata={"kommun": kommun, "sources": [
            {"name": f"fil{i}.csv", "path": f"fil{i}.csv", "sha256": sha}
            for i, sha in enumerate(shas)]})


# ------------------------------------------------------------------------- data sets


def test_dataset_identity_is_the_files_whatever_their_order() -> None:
    inc = incidents(["2024-01-01 00:30", "2025-12-31 23:30"])
    a = dataset_of(picture(inc, shas=["aa", "bb"], kommun={"name": "Uppsala", "code": None}))
    b = dataset_of(picture(inc.iloc[::-1], shas=["bb", "aa"],
                           kommun={"name": "Uppsala", "code": None}))
    c = dataset_of(picture(inc, shas=["aa", "cc"], kommun={"name": None, "code": "0380"}))
    assert a.id == b.id != c.id
    assert a.id == "sha256:" + __import__("hashlib").sha256(b"aa\nbb").hexdigest()
    assert (a.kommun, c.kommun) == ("0380", "0380")  # a name becomes its code
    assert a.label == "fil0.csv + fil1.csv, 1 januari 2024–31 december 2025"
    assert (a.first_day, a.last_day, a.n_incidents) == (dt.date(2024, 1, 1),
                                                        dt.date(2025, 12, 31), 2)
    assert a.area_fields() == {"drawn_kommun": "0380", "drawn_dataset": a.id,
                               "drawn_dataset_label": a.label}


def test_dataset_of_a_plain_table_hashes_its_rows() -> None:
    inc = incidents(["2024-03-01", "2024-03-02"])
    d = dataset_of(inc)
    assert d.id == dataset_of(inc.copy()).id
    assert d.id != dataset_of(inc.assign(category=["stold", "ran"])).id
    assert (d.kommun, d.label) == (None, "1 mars 2024–2 mars 2024")
    assert dataset_of(inc, kommun="Exempelkommun", label=" Mitt ").kommun == "Exempelkommun"
    assert dataset_of(inc, label=" Mitt ").label == "Mitt"
    # the extent: the positions' box padded by about 500 m
    x0, y0, x1, y1 = d.extent.bounds
    assert (x0, y0, x1, y1) == pytest.approx((17.10, 59.367, 17.12, 59.377))
    empty = dataset_of(inc.iloc[0:0])
    assert (empty.first_day, empty.extent, empty.n_incidents) == (None, None, 0)
    with pytest.raises(InputError, match="Lagesbild or an incident DataFrame"):
        dataset_of([1, 2])


def test_dataset_extent_is_the_district_layer_when_there_is_one() -> None:
    inc = incidents(["2024-03-01"])
    districts = gpd.GeoDataFrame({"district_name": ["A", "B"]},
                                 geometry=[box(17.0, 59.3, 17.1, 59.4), box(17.1, 59.3, 17.2, 59.4)],
                                 crs=4326).to_crs(3006)
    d = dataset_of(picture(inc, shas=["aa"], kommun={}, districts=districts))
    assert d.extent.bounds == pytest.approx((17.0, 59.3, 17.2, 59.4), abs=1e-6)
    assert d.kommun is None


def test_kommun_comparison_keeps_aao_as_letters() -> None:
    assert same_kommun("0180", "Stockholms stad") is True
    assert same_kommun("Exempelkommun", "exempelkommun") is True
    assert same_kommun("Exempelkommun", "0180") is False
    assert same_kommun("Håbo", "Habo") is False  # 0305 and 0643: two kommuner
    assert same_kommun(None, "0180") is None
    assert kommun_label("0380") == "Uppsala (0380)" and kommun_label("9999") == "kommun 9999"


# -------------------------------------------------------------------------- coverage


def area(**drawn: str | None) -> Area:
    return Area(id="a1", name="Torget", geometry=SQUARE, **drawn)


DATA = DataSet(id="sha256:new", label="nya.csv (2024–2025)", kommun="0180",
               first_day=dt.date(2024, 1, 1), last_day=dt.date(2025, 12, 31),
               extent=box(17.0, 59.3, 17.2, 59.4))


def codes(notes: list) -> list[tuple[str, str]]:
    return [(n.code, n.severity) for n in notes]


def test_data_that_cover_area_and_periods_give_no_note() -> None:
    a = area(drawn_kommun="0180", drawn_dataset="sha256:new")
    assert check_coverage(a, DATA, start_date="2025-01-01") == []
    assert check_coverage(a, DATA) == []  # no start: the periods are not checked


def test_another_kommun_stops_the_follow_up() -> None:
    (note,) = check_coverage(area(drawn_kommun="0380"), DATA, start_date="2025-01-01")
    assert (note.code, note.severity) == ("kommun", "stop")
    assert note.sv == ("Området ritades på underlag för Uppsala (0380), men underlaget nu gäller "
                       "Stockholm (0180). Uppföljningen måste göras på data för samma kommun – "
                       "välj rätt filer på sidan Data.")
    # unknown on either side: nothing to say
    assert check_coverage(area(), DATA, start_date="2025-01-01") == []
    assert check_coverage(area(drawn_kommun="0180"),
                          DataSet(id="x", label="x", extent=None), start_date="2025-01-01") == []


def test_area_outside_or_partly_outside_the_data() -> None:
    notes = check_coverage(box(11.90, 57.70, 11.95, 57.72), DATA, start_date="2025-01-01")
    assert codes(notes) == [("outside", "stop")]
    assert notes[0].sv == ("Området ligger utanför det som underlaget «nya.csv (2024–2025)» "
                           "täcker, så inga händelser kan räknas där. Välj underlag som täcker "
                           "området på sidan Data.")
    half = box(17.19, 59.37, 17.21, 59.375)  # half of it east of the data's edge
    (note,) = check_coverage(half, DATA, start_date="2025-01-01")
    assert (note.code, note.severity) == ("partly_outside", "warning")
    assert note.sv == ("Bara 50 % av området ligger inom det underlaget täcker; antalen i "
                       "området blir för låga.")


@pytest.mark.parametrize(("start", "before", "after", "expected"), [
    ("2026-02-01", None, None, [("no_after", "stop")]),
    ("2024-01-01", None, None, [("no_before", "stop")]),
    ("2023-06-01", None, None, [("no_before", "stop")]),
    ("2024-06-01", None, None, [("before_incomplete", "warning")]),
    ("2025-01-01", None, ("2025-01-01", "2026-06-30"), [("before_incomplete", "warning"),
                                                          ("after_incomplete", "warning")]),
    ("2025-01-01", ("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31"), []),
])
def test_periods_the_data_do_not_cover(start: str, before: tuple | None, after: tuple | None,
                                       expected: list) -> None:
    notes = check_coverage(SQUARE, DATA, start_date=start, before=before, after=after)
    assert codes(notes) == expected


def test_period_notes_in_swedish() -> None:
    (late,) = check_coverage(SQUARE, DATA, start_date="2026-02-01")
    assert late.sv == ("Åtgärden startade 1 februari 2026, men underlaget slutar 31 december "
                       "2025: det finns inga händelser efter start att jämföra med. Läs in nyare "
                       "data på sidan Data.")
    (early,) = check_coverage(SQUARE, DATA, start_date="2024-06-01")
    assert early.sv == ("Underlaget börjar 1 januari 2024, men perioden före start börjar "
                        "31 oktober 2022: antalet före blir för lågt.")


def test_other_data_set_is_told_as_information() -> None:
    a = area(drawn_kommun="0180", drawn_dataset="sha256:old",
             drawn_dataset_label="gamla.csv (2023)")
    (note,) = check_coverage(a, DATA, start_date="2025-01-01")
    assert (note.code, note.severity) == ("other_dataset", "info")
    assert note.sv == ("Området ritades på ett annat underlag, «gamla.csv (2023)»; uppföljningen "
                       "räknar på «nya.csv (2024–2025)».")


def test_data_without_positions_cannot_be_counted_in_an_area() -> None:
    """Only the police's events feed (rows at the kommun's centre): nothing can be counted
    in an area, whatever the extent."""
    feed = incidents(["2024-03-01", "2025-03-01"]).assign(precision=["kommun", "kommun"])
    data = dataset_of(feed)
    assert (data.n_incidents, data.n_positioned) == (2, 0)
    notes = check_coverage(SQUARE, data, start_date="2025-01-01")
    assert [(n.code, n.severity) for n in notes] == [("no_positions", "stop")]
    assert notes[0].sv.startswith("Ingen händelse i underlaget har en punkt- eller "
                                  "adressposition")
    mixed = incidents(["2024-03-01", "2025-03-01"]).assign(precision=["kommun", "address"])
    assert dataset_of(mixed).n_positioned == 1
    assert [n.code for n in check_coverage(SQUARE, dataset_of(mixed),
                                           start_date="2024-09-01")] == []


def test_windows_follow_followup_and_bad_input_is_refused() -> None:
    assert followup_windows("2025-01-01", last_day="2025-12-31") == (
        (dt.date(2024, 1, 2), dt.date(2024, 12, 31)), (dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    with pytest.raises(ValidationError, match="before"):
        followup_windows("2025-01-01", last_day="2025-12-31", before=("2024-05-01", "2024-01-01"))
    with pytest.raises(ValidationError):
        check_coverage("POLYGON ((5 5, 6 5, 6 6, 5 5))", DATA)


def test_the_real_followup_uses_the_same_windows() -> None:
    """The windows the checks assume are the ones followup() counts on."""
    from lagesbild_geo.followup import followup

    inc = incidents(["2024-01-05", "2024-04-10", "2024-09-01"])
    m = {"geometry": SQUARE, "start_date": "2024-03-01", "target_categories": ["ran"]}
    r = followup(m, inc)
    assert (r.before, r.after) == followup_windows("2024-03-01",
                                                   last_day=dataset_of(inc).last_day)


# ------------------------------------------------------------------------- cautions


def counts(area_b: int, area_a: int, buf_b: int, buf_a: int) -> pd.DataFrame:
    return pd.DataFrame({"before": [area_b, buf_b, 900], "after": [area_a, buf_a, 870]},
                        index=pd.Index(["area", "buffer", "control"], name="zone"))


def test_caution_when_area_or_buffer_counts_are_small() -> None:
    assert followup_caution(counts(40, 31, 25, 20)) is None  # 20 is enough
    en, sv = followup_caution(counts(40, 31, 8, 6))
    assert "buffer ring has 8 before and 6 after" in en and "fewer than 20" in en
    assert sv.startswith("För få händelser för att läsa effekten: buffertzonen har 8 före och "
                         "6 efter start, färre än 20 i minst en av perioderna.")
    _, both = followup_caution(counts(19, 40, 1200, 3))
    assert "området har 19 före och 40 efter start och buffertzonen har 1\xa0200 före" in both
    assert followup_caution(counts(19, 40, 30, 30), threshold=10) is None
    with pytest.raises(InputError):
        followup_caution(pd.DataFrame({"x": [1]}))


# ------------------------------------------------------------------------- overview


def test_area_status_prefers_running_measures() -> None:
    m = pd.DataFrame({
        "area_id": ["a", "a", "b", "c", "c", "d"],
        "status": ["genomförd", "pågående", "avbruten", "planerad", "genomförd", "pågående"],
        "deleted_at": [None, None, None, None, None, "2025-01-01T00:00:00+00:00"]})
    assert area_status(m).to_dict() == {"a": "pågående", "b": "avbruten", "c": "planerad"}
    assert area_status(m.iloc[0:0]).empty


@pytest.mark.parametrize(("due", "status", "expected"), [
    ("2026-01-31", "pågående", "1 dag sen"),
    ("2025-02-01", "planerad", "365 dagar sen"),
    ("2026-02-01", "planerad", "i dag"),
    ("2026-02-02", "planerad", "i morgon"),
    ("2026-03-03", "pågående", "om 30 dagar"),
    ("2026-01-01", "genomförd", "1 januari 2026"),
    (None, "pågående", "–"),
    (pd.NaT, "planerad", "–"),
])
def test_followup_due_in_words(due: object, status: str, expected: str) -> None:
    assert followup_due_sv(due, status, today=dt.date(2026, 2, 1)) == expected
    assert days_late_sv(2) == "2 dagar sen"


def test_describe_change_in_words() -> None:
    assert describe_change("area", "create", None, {"name": "A"}) == "området skapat"
    assert describe_change("area", "delete", {}, {}) == "området borttaget"
    assert describe_change("area", "update", {"name": "A", "description": ""},
                           {"name": "B", "description": "x"}) == \
        "namn ändrat: «A» → «B»; beskrivning ändrad"
    assert describe_change("measure", "update",
                           {"target_categories": ["ran"], "next_followup": None, "cost": None},
                           {"target_categories": ["ran", "vald"], "next_followup": "2025-03-01",
                            "cost": 12000.0}) == (
        "Målkategorier: Rån → Rån, Våld och hot; Nästa uppföljning: – → 1 mars 2025; "
        "Kostnad (kr): – → 12\xa0000 kr")
    assert describe_change("measure", "create", None, {}) == "ny åtgärd"
