"""lagesbild_geo.dashboard: the figures, trends and attention list the app shows beside the map."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from lagesbild_geo import dashboard as D
from lagesbild_geo import grid
from lagesbild_geo.districts import summarize
from lagesbild_geo.errors import InputError, PrivacyError
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.privacy import publishable

TZ = "Europe/Stockholm"
EMPTY = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
#: Two districts side by side and one to the north.
DISTRICTS = gpd.GeoDataFrame(
    {"district_name": ["Centrum", "Väster", "Norr"], "population": [1000.0, 800.0, 600.0]},
    geometry=[shapely.box(17.00, 59.00, 17.10, 59.10), shapely.box(16.90, 59.00, 17.00, 59.10),
              shapely.box(16.90, 59.10, 17.10, 59.20)],
    index=pd.Index(["C1", "V1", "N1"], name="district_code"), crs="EPSG:4326")
CENTRE = {"C1": (59.05, 17.05), "V1": (59.05, 16.95), "N1": (59.15, 17.00)}


def _incidents(counts: dict[tuple[str, str, str], int]) -> pd.DataFrame:
    """``{(district, category, day): n}`` → n incidents at the district's centre that day (noon)."""
    rows = []
    for (code, cat, day), n in counts.items():
        lat, lon = CENTRE[code]
        rows += [{"lat": lat, "lon": lon, "category": cat, "precision": "point",
                  "occurred_at": pd.Timestamp(f"{day} 12:00", tz=TZ)}] * n
    return pd.DataFrame(rows)


def _bundle(inc: pd.DataFrame, *, districts: bool = True, emerging: gpd.GeoDataFrame | None = None
            ) -> Lagesbild:
    summary = summarize(inc, DISTRICTS, period=None) if districts else pd.DataFrame()
    return Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=EMPTY, hotspots=EMPTY,
                     clusters=EMPTY, emerging=emerging if emerging is not None else EMPTY,
                     districts=DISTRICTS if districts else EMPTY, district_summary=summary)


# ------------------------------------------------------------------------------ filters and periods


def test_filter_mask_period_end_inclusive_hours_wrap_and_weekdays() -> None:
    t = pd.to_datetime(["2025-03-03 23:30", "2025-03-04 05:59", "2025-03-04 06:00",
                        "2025-03-05 12:00", None]).tz_localize(TZ)
    inc = pd.DataFrame({"occurred_at": t, "category": ["vald", "stold", "vald", "vald", "vald"]})
    assert D.filter_mask(inc, D.Filters(hours=(22, 6))).tolist() == [True, True, False, False, False]
    assert D.filter_mask(inc, D.Filters(end=pd.Timestamp("2025-03-04"))).tolist() == [
        True, True, True, False, False]
    assert D.filter_mask(inc, D.Filters(weekdays=(0,))).tolist() == [True, False, False, False, False]
    assert D.filter_mask(inc, D.Filters(categories=("stold",))).tolist() == [False, True, False, False, False]


def test_trend_filters_last_twelve_months_or_the_chosen_period() -> None:
    span = (pd.Timestamp("2023-05-10", tz=TZ), pd.Timestamp("2025-03-31", tz=TZ))
    now, before = D.trend_filters(D.Filters(hours=(8, 17), resolution=8), span)
    assert (now.start, now.end) == (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert (before.start, before.end) == (pd.Timestamp("2023-04-01"), pd.Timestamp("2024-03-31"))
    assert before.hours == (8, 17) and before.resolution == 8
    # a chosen period ending on leap day: the year before ends on 28 February
    now, before = D.trend_filters(D.Filters(start=pd.Timestamp("2024-02-01"), end=pd.Timestamp("2024-02-29")),
                                  span)
    assert (before.start, before.end) == (pd.Timestamp("2023-02-01"), pd.Timestamp("2023-02-28"))
    # short data: this period starts with the data
    now, _ = D.trend_filters(D.Filters(), (pd.Timestamp("2025-01-10"), pd.Timestamp("2025-03-31")))
    assert now.start == pd.Timestamp("2025-01-10")


# ------------------------------------------------------------------------------ trend tables


def test_trend_table_by_category_counts_change_and_exact_test() -> None:
    now = _bundle(_incidents({("C1", "vald", "2025-02-01"): 40, ("C1", "stold", "2025-02-01"): 12,
                              ("V1", "ran", "2025-02-02"): 20}), districts=False)
    before = _bundle(_incidents({("C1", "vald", "2024-02-01"): 10, ("C1", "stold", "2024-02-01"): 10,
                                 ("V1", "ran", "2024-02-02"): 20}), districts=False)
    t = D.trend_table(now, before, by="category")
    assert list(t.index) == ["vald", "ran", "stold"]  # the schema's order
    assert t["label"].tolist() == ["Våld och hot", "Rån", "Stöld och snatteri"]
    assert t["current"].tolist() == [40, 20, 12] and t["previous"].tolist() == [10, 20, 10]
    assert t["change"].tolist() == [30, 0, 2]
    assert t["change_pct"].tolist() == [300.0, 0.0, 20.0]
    # the exact conditional test against scipy's binomial test (equal periods: p = 1/2)
    for cat, r in t.iterrows():
        p = stats.binomtest(int(r["current"]), int(r["current"] + r["previous"]), 0.5).pvalue
        expected = "no_change" if p >= 0.05 else ("increase" if r["change"] > 0 else "decrease")
        assert r["direction"] == expected, cat
    assert t.loc["vald", "direction"] == "increase" and (t["note"] == "").all()


def test_trend_table_hides_what_the_publishing_step_hides() -> None:
    now = _bundle(_incidents({("C1", "vald", "2025-01-05"): 30, ("C1", "vald", "2025-02-03"): 2,
                              ("C1", "vald", "2025-03-03"): 9}), districts=False)
    before = _bundle(_incidents({("C1", "vald", "2024-01-07"): 10, ("C1", "vald", "2024-02-09"): 6,
                                 ("C1", "vald", "2024-03-09"): 8}), districts=False)
    t = D.trend_table(now, before, by="month")
    pub = publishable(now).tables["months"]
    assert t["current"].isna().tolist() == pub["count"].isna().tolist() == [False, True, True]
    assert t["note"].tolist() == ["", "för få fall", "dolt för att skydda små tal"]
    assert t["change"].isna().tolist() == [False, True, True]
    shown = D.trend_table_sv(t, by="month")
    assert shown.columns.tolist() == ["Månad", "Perioden", "Året innan", "Förändring",
                                      "Förändring (%)", "Bedömning"]
    assert shown["Perioden"].tolist() == ["30", "för få fall", "dolt för att skydda små tal"]
    assert shown["Förändring"].tolist() == ["20", "–", "–"]
    assert shown["Förändring (%)"].tolist() == ["200,0", "–", "–"]


def test_trend_table_by_district_includes_level_rows_and_without_a_year_before() -> None:
    inc = _incidents({("C1", "vald", "2025-02-01"): 25, ("V1", "vald", "2025-02-01"): 7,
                      ("N1", "stold", "2025-02-01"): 5})
    before_inc = _incidents({("C1", "vald", "2024-02-01"): 5, ("V1", "vald", "2024-02-01"): 7,
                             ("N1", "stold", "2024-02-01"): 4})
    t = D.trend_table(_bundle(inc), _bundle(before_inc), by="district")
    assert t.loc[["C1", "V1", "N1"], "label"].tolist() == ["Centrum", "Väster", "Norr"]
    assert t.loc[["C1", "V1", "N1"], "current"].tolist() == [25, 7, 5]
    assert t.loc[["C1", "V1", "N1"], "previous"].tolist() == [5, 7, 4]
    assert t.loc["C1", "direction"] == "increase" and t.loc["V1", "direction"] == "no_change"
    only_now = D.trend_table(_bundle(inc), None, by="district")
    assert only_now["previous"].isna().all() and only_now["direction"].isna().all()
    assert only_now.loc["C1", "current"] == 25
    with pytest.raises(InputError, match="by must be one of"):
        D.trend_table(_bundle(inc), None, by="week")


# ------------------------------------------------------------------------------ attention


def _emerging(classes: dict[str, list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for cls, points in classes.items():
        for lat, lon in points:
            rows.append(cls)
            geoms.append(shapely.box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001))
    return gpd.GeoDataFrame({"emerging_class": rows, "count": [10] * len(rows)}, geometry=geoms,
                            crs="EPSG:4326", index=pd.Index(np.arange(1, len(rows) + 1, dtype="uint64"), name="cell"))


def test_attention_items_measures_districts_and_hotspots_in_plain_swedish() -> None:
    em = _emerging({"new_hot": [(59.05, 17.05), (59.06, 17.06)], "intensifying_hot": [(59.15, 17.0)],
                    "persistent_hot": [(59.05, 16.95)], "diminishing_hot": [(59.05, 16.96)]})
    now = _bundle(_incidents({("C1", "vald", "2025-02-01"): 40, ("V1", "vald", "2025-02-01"): 8,
                              ("N1", "vald", "2025-02-01"): 6}), emerging=em)
    before = _bundle(_incidents({("C1", "vald", "2024-02-01"): 12, ("V1", "vald", "2024-02-01"): 9,
                                 ("N1", "vald", "2024-02-01"): 6}))
    measures = pd.DataFrame({
        "title": ["Belysning", "Väktare", "Kameror", "Klotterplank"],
        "area_name": ["Torget", "Stationen", "Parken", ""],
        "status": ["pågående", "genomförd", "planerad", "planerad"],
        "next_followup": pd.to_datetime(["2026-11-01", "2026-10-01", "2027-01-01", "2026-12-05"]),
    }, index=["m1", "m2", "m3", "m4"])
    items = D.attention_items(now, before, measures=measures, today=dt.date(2026, 12, 6))
    assert items["kind"].tolist() == ["measure", "measure", "district", "hotspot", "hotspot"]
    assert items["ref"].tolist()[:3] == ["m1", "m4", "C1"]
    assert items["text"].tolist() == [
        "Uppföljningen av åtgärden ”Belysning” (Torget) skulle ha gjorts 1 november 2026, för 35 dagar sedan.",
        "Uppföljningen av åtgärden ”Klotterplank” skulle ha gjorts 5 december 2026, i går.",
        "Centrum: 233 % fler, 40 händelser mot 12 samma period året innan (en statistiskt säkerställd ökning).",
        "Ny hotspot i Centrum (2 hexagoner).",
        "Hotspot som förstärks i Norr (1 hexagon).",
    ]
    # nothing to report: an empty table with the columns
    calm = D.attention_items(before, before, measures=measures.iloc[1:2], today=dt.date(2026, 12, 6))
    assert calm.empty and calm.columns.tolist() == ["kind", "ref", "text"]
    # without a year before, no district is said to rise
    assert "district" not in set(D.attention_items(now, None)["kind"])


def test_attention_items_district_rise_uses_published_figures_only() -> None:
    """Every district in the list has both its figures shown; a hidden count (Väster's 2,
    and Centrum's 30 hidden with it: a zero outside the districts protects nothing) never
    gives a direction."""
    now = _bundle(_incidents({("C1", "vald", "2025-02-01"): 30, ("V1", "vald", "2025-02-01"): 2,
                              ("N1", "vald", "2025-02-01"): 40}))
    before = _bundle(_incidents({("C1", "vald", "2024-02-01"): 5, ("V1", "vald", "2024-02-01"): 9,
                                 ("N1", "vald", "2024-02-01"): 5}))
    t = D.trend_table(now, before, by="district")
    assert t.loc["V1", "note"] == "för få fall" and t.loc["V1", "direction"] is None
    items = D.attention_items(now, before)
    assert t.loc["C1", "direction"] is None  # hidden so that Väster's 2 cannot be subtracted
    assert items["ref"].tolist() == ["N1"]
    assert t.loc[items["ref"], ["current", "previous"]].notna().all().all()
    assert items["text"].tolist()[0] == ("Norr: 700 % fler, 40 händelser mot 5 samma period året innan "
                                         "(en statistiskt säkerställd ökning).")


# ------------------------------------------------------------------------------ figures and tables


def test_headline_hidden_total_and_level_counts() -> None:
    inc = _incidents({("C1", "vald", "2025-02-01"): 2})
    pub = publishable(_bundle(inc))
    h = D.headline(pub)
    assert h["incidents"] is None and h["in_district"] is None
    assert D.levels_text(h) is None
    assert D.levels_text({"incidents": 1234, "in_district": 1000, "stadsdel_level": 34,
                          "kommun_level": 200}).startswith(
        "1\u00a0234 händelser, varav 1\u00a0000 placerade på område, 34 bara på stadsdelsnivå och 200 bara")


def test_district_table_and_its_swedish_text() -> None:
    inc = _incidents({("C1", "vald", "2025-02-01"): 25, ("C1", "stold", "2025-02-01"): 5,
                      ("V1", "vald", "2025-02-01"): 2, ("N1", "stold", "2025-02-01"): 9})
    t = D.district_table(_bundle(inc))
    assert t["Kod"].tolist() == ["C1", "V1", "N1", "_total"]
    assert t["Distrikt"].tolist() == ["Centrum", "Väster", "Norr", "Hela kommunen"]
    assert t["Antal händelser"].tolist()[0] == 25 + 5 and t["Antal händelser"].tolist()[3] == 41
    assert t["Antal händelser"].isna().tolist() == [False, True, True, False]
    shown = D.district_table_sv(t)
    assert shown["Kod"].tolist() == ["C1", "V1", "N1", ""]
    assert shown["Antal händelser"].tolist() == ["30", "–", "–", "41"]
    assert shown["Per 1 000 invånare"].tolist()[0] == "30,0"
    assert set(shown["Tredje vanligaste kategori"]) == {"–"}  # no third category anywhere
    assert not {"None", "nan", "<NA>"} & set(shown.to_numpy().ravel().tolist())


def test_table_sv_every_kind_of_value() -> None:
    t = pd.DataFrame({
        "n": pd.array([1234567, None, -3], dtype="Int64"),
        "x": [0.25, float("nan"), -1234.5],
        "whole": [2.0, 3.0, None],
        "ok": pd.array([True, False, None], dtype="boolean"),
        "day": [dt.date(2026, 3, 1), None, pd.NaT],
        "at": [pd.Timestamp("2026-06-01 10:00", tz="UTC"), pd.Timestamp("2026-06-02", tz=TZ), None],
        "tags": [["a", "b"], [], None],
        "text": ["Vårberg", None, float("nan")],
    })
    out = D.table_sv(t)
    assert out.to_dict("list") == {
        "n": ["1\u00a0234\u00a0567", "–", "\u22123"],
        "x": ["0,2", "–", "\u22121\u00a0234,5"],  # one decimal (round half to even)
        "whole": ["2", "3", "–"],
        "ok": ["ja", "nej", "–"],
        "day": ["1 mars 2026", "–", "–"],
        "at": ["1 juni 2026 12:00", "2 juni 2026", "–"],
        "tags": ["a, b", "–", "–"],
        "text": ["Vårberg", "–", "–"],
    }
    assert D.table_sv(t, decimals={"x": 2})["x"].tolist()[0] == "0,25"


def test_area_candidates_group_touching_hot_hexagons() -> None:
    disk = grid.disk_cells(grid.points_to_cells([59.05], [17.05], 9), 1)  # 7 touching cells
    far = grid.points_to_cells([59.15], [17.0], 9)  # one hot cell far away
    cells = np.concatenate([disk, far])
    hs = gpd.GeoDataFrame({"hotspot_class": ["hot_95"] * 7 + ["hot_99"]},
                          geometry=grid.cells_to_polygons(cells).to_numpy(), crs="EPSG:4326",
                          index=pd.Index(cells, name="cell"))
    lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=EMPTY,
                   hotspots=hs, clusters=EMPTY, emerging=EMPTY, districts=DISTRICTS,
                   district_summary=pd.DataFrame())
    c = D.area_candidates(lb)
    assert c["label"].tolist() == ["Hotspot-område 1 (7 hexagoner)", "Hotspot-område 2 (1 hexagon)",
                                   "Område Centrum (C1)", "Område Väster (V1)", "Område Norr (N1)"]
    assert sorted(c["source_id"].iloc[0].split(",")) == sorted(grid.cells_to_str(disk))
    assert c["source_id"].iloc[1] == grid.cells_to_str(far)[0]


def test_risk_zones_map_escapes_text() -> None:
    z = gpd.GeoDataFrame({"text_sv": ['<img src=x onerror="alert(1)"> inom 200 m']},
                         geometry=[shapely.box(17.1, 59.3, 17.11, 59.31)], crs="EPSG:4326")
    html = D.risk_zones_map(z, base="ingen", assets="/app/static/vendor").get_root().render()
    assert "<img" not in html and "\\u0026lt;img src=x" in html  # shown as text in the tooltip
    assert "/app/static/vendor/leaflet/leaflet.js" in html and "cdn.jsdelivr" not in html


def test_risk_zones_map_follows_the_kommuns_own_base_map() -> None:
    """The base-map choice of the Karta (a kommun's own service from the settings) works for
    the risk-zone map too, instead of failing as an unknown tile URL."""
    from lagesbild_geo.settings import BaseMapService, Settings

    own = BaseMapService(name="Kommunens WMS", type="wms", url="https://karta.example.se/wms",
                         layers="grundkarta", attribution="Exempelkommun")
    z = gpd.GeoDataFrame({"text_sv": ["Förhöjd risk"]}, geometry=[shapely.box(17.1, 59.3, 17.11, 59.31)],
                         crs="EPSG:4326")
    html = D.risk_zones_map(z, base="Kommunens WMS", settings=Settings(base_maps=(own,))).get_root().render()
    assert "karta.example.se/wms" in html and "grundkarta" in html
    assert "tile.openstreetmap.org" not in D.risk_zones_map(z, base="ingen").get_root().render()


def test_trend_by_district_shows_the_pages_own_numbers_so_nothing_can_be_subtracted() -> None:
    """Exempelkommun, "skadegörelse": the map's district table (2025, with 2024 beside it) and
    the trend panel's year before (2024 published on its own) once protected Norrby Östra's
    4 differently: the map showed it, the trend hid it to protect three districts of 2, and
    the trend's total less its shown districts less 4 gave the three 2s. With the page's
    picture, every district has one number per period on the page."""
    from lagesbild_geo.sample import example_lagesbild

    base = example_lagesbild(clusters=False, emerging=False)
    f = D.Filters(categories=("skadegorelse",))
    page = D.filtered_lagesbild(base, f)
    now_f, before_f = D.trend_filters(f, D.period_bounds(base))
    now, before = D.filtered_lagesbild(base, now_f), D.filtered_lagesbild(base, before_f)
    shown = publishable(page).district_summary
    t = D.trend_table(now, before, by="district", page=page)
    for side, column in (("current", "total"), ("previous", "total_previous")):
        page_counts = pd.to_numeric(shown[column], errors="coerce").reindex(t.index).astype("Int64")
        assert t[side].isna().equals(page_counts.isna()), side
        assert (t[side].dropna() == page_counts.dropna()).all(), side
    assert t.loc["9999B0120", "previous"] == 4
    # the year before, published alone, protects the 2s by hiding the 4: the reason for `page`
    alone = D.trend_table(now, before, by="district")
    assert pd.isna(alone.loc["9999B0120", "previous"])


def test_the_map_and_the_trend_panel_published_together_leave_nothing_to_subtract() -> None:
    """The app's Karta shows the picture of every date beside the trend panel's two years.
    Published one at a time, "stöld" in Exempelkommun leaves districts whose small count in
    one year is the map's count less the other year's; published together, none."""
    from lagesbild_geo.privacy import publishable_together
    from lagesbild_geo.sample import example_lagesbild

    base = example_lagesbild(clusters=False, emerging=False, period=None, previous_period=None)
    f = D.Filters(categories=("stold",))
    whole, parts = D.filtered_lagesbild(base, f), D.trend_pictures(base, f)
    assert [p.metadata["period"]["label"] for p in parts] == ["2025-01-01/2025-12-31", "2024-01-01/2024-12-31"]
    idx = whole.district_summary.index

    def totals(x: Lagesbild) -> pd.Series:
        return pd.to_numeric(x.district_summary["total"], errors="coerce").reindex(idx)

    def recoverable(m: Lagesbild, n: Lagesbild, b: Lagesbild) -> int:
        (pm, pn, pb), (rm, rn, rb) = map(totals, (m, n, b)), map(totals, (whole, *parts))
        assert (rm == rn + rb).all()  # the two years make up the map's picture
        found = 0
        for hid, rest, true in ((pn, (pm, pb), rn), (pb, (pm, pn), rb), (pm, (pn, pb), rm)):
            alone = hid.isna() & rest[0].notna() & rest[1].notna()
            found += int((alone & (true > 0) & (true < 3)).sum())
        return found

    assert recoverable(publishable(whole), *map(publishable, parts)) >= 1
    pub, (now, before) = publishable_together(whole, parts)
    assert recoverable(pub, now, before) == 0
    assert "unprotected" not in pub.metadata["published_notes"]
    assert publishable(now) is now  # marked as published
    with pytest.raises(PrivacyError, match="before publishing"):
        publishable_together(pub, [now])


def test_the_trend_panels_periods_are_published_without_survey_or_density() -> None:
    # the panel shows neither; publishing them was two thirds of the time of the map's view
    from lagesbild_geo.privacy import publishable_together
    from lagesbild_geo.sample import example_lagesbild

    base = example_lagesbild(clusters=False, emerging=False, period=None, previous_period=None)
    assert base.survey and "districts" in base.survey
    parts = D.trend_pictures(base, D.Filters())
    assert [p.survey for p in parts] == [{}, {}]
    pub, published = publishable_together(D.filtered_lagesbild(base, D.Filters()), parts)
    assert "density" in pub.tables and pub.survey
    assert [("density" in p.tables, p.survey) for p in published] == [(False, {}), (False, {})]
    assert all(p.tables["months"]["count"].notna().any() for p in published)


def test_a_dated_map_and_the_year_before_leave_no_single_day_to_subtract() -> None:
    """The year 2025 chosen: the map's district table counts the 365 days before it
    (2 January – 31 December 2024) beside each district, the trend panel the year before
    (1 January – 31 December 2024). The difference is the 1 January count: published one at
    a time, it comes out below min_count for a district; together, the day's count is a value
    of its own that must not be pinned."""
    from lagesbild_geo.privacy import publishable_together
    from lagesbild_geo.sample import example_lagesbild

    base = example_lagesbild(clusters=False, emerging=False, period=None, previous_period=None)
    f = D.Filters(start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2025-12-31"), categories=("vald",))
    page, parts = D.filtered_lagesbild(base, f), D.trend_pictures(base, f)
    assert page.metadata["previous_period"]["label"] == "2024-01-02/2024-12-31"
    assert parts[1].metadata["period"]["label"] == "2024-01-01/2024-12-31"
    idx = page.district_summary.index

    def day_counts_shown(pg: Lagesbild, before: Lagesbild) -> int:
        prev = pd.to_numeric(pg.district_summary["total_previous"], errors="coerce")
        year = pd.to_numeric(before.district_summary["total"], errors="coerce").reindex(idx)
        day = (pd.to_numeric(parts[1].district_summary["total"], errors="coerce").reindex(idx)
               - pd.to_numeric(page.district_summary["total_previous"], errors="coerce"))
        return int((prev.notna() & year.notna() & (day > 0) & (day < 3)).sum())

    assert day_counts_shown(publishable(page), publishable(parts[1])) >= 1
    pub, (_, before) = publishable_together(page, parts)
    assert day_counts_shown(pub, before) == 0


def test_area_candidates_name_the_kind_of_district_by_its_code() -> None:
    """A RegSO was offered as "DeSO RegSO-Lindängen (1280R045)": the kind comes from the code
    (DeSO, RegSO, else Område) and is not repeated when the name begins with it."""
    d = gpd.GeoDataFrame({"district_name": ["RegSO-Lindängen", "Centrum", "Västra Skrävlinge", "Åby"]},
                         geometry=[shapely.box(17, 59, 17.1, 59.1)] * 4, crs="EPSG:4326",
                         index=pd.Index(["1280R045", "0380C1010", "24407", "0180R001"], name="district_code"))
    lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=EMPTY,
                   hotspots=EMPTY, clusters=EMPTY, emerging=EMPTY, districts=d, district_summary=pd.DataFrame())
    assert D.area_candidates(lb)["label"].tolist() == [
        "RegSO-Lindängen (1280R045)", "DeSO Centrum (0380C1010)", "Område Västra Skrävlinge (24407)",
        "RegSO Åby (0180R001)"]


def test_district_table_lists_the_districts_with_most_events_first() -> None:
    """With a real layer (91 RegSO in Malmö, 1 012 basområden in Göteborg) the table came in
    the layer's order: the few districts with events were lost among rows of 0. Now the shown
    count orders them, most first; a hidden count goes last (its place reveals nothing), and
    the level rows and the kommun total stay at the end."""
    s = pd.DataFrame({"district_name": ["A", "B", "C", "D", "E", "", ""],
                      "row_type": ["district"] * 5 + ["kommun", "total"],
                      "total": [0, 4, 1, 9, 4, 30, 48]},
                     index=pd.Index(["A1", "B1", "C1", "D1", "E1", "_kommun", "_total"], name="district_code"))
    lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=EMPTY,
                   hotspots=EMPTY, clusters=EMPTY, emerging=EMPTY, districts=EMPTY, district_summary=s)
    shown = D.district_table(lb)
    assert shown["Kod"].tolist()[:5] == ["D1", "B1", "E1", "A1", "C1"]  # C1's 1 is hidden: last
    assert shown["Kod"].tolist()[5:] == ["_kommun", "_total"]
    assert D.district_table(lb, show_small=True)["Kod"].tolist()[:5] == ["D1", "B1", "E1", "C1", "A1"]
