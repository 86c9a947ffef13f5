"""lagesbild_geo.survey: reading answers, indicators, suppression, roll-up, pins, perceived vs reported."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, shape

from lagesbild_geo import grid, survey
from lagesbild_geo.errors import InputError, SchemaError
from lagesbild_geo.settings import Settings


def _responses(rows: list[tuple[str, str, float | None, float]]) -> pd.DataFrame:
    return survey.read_survey(pd.DataFrame({
        "svar_id": [f"S{i}" for i in range(len(rows))],
        "deso": [r[0] for r in rows],
        "trygg_kvall": [r[1] for r in rows],
        "oro_brott": [None if r[2] is None else str(r[2]).replace(".", ",") for r in rows],
        "vikt": [str(r[3]).replace(".", ",") for r in rows],
    }))


# ---------------------------------------------------------------- reading
def test_read_survey_csv_semicolon_decimal_comma(tmp_path):
    p = tmp_path / "enkat.csv"
    p.write_text(
        "svar_id;deso;trygg_kvall;oro_brott;vikt\n"
        "S1;9999C0010;Mycket trygg;1;1,2\n"
        "S2;9999C0010;GANSKA OTRYGG ;4;0,8\n"
        "S3;9999C0010;Går aldrig ut av oro;5;1\n"
        "S4;9999C0010;Vet ej;;1\n"
        "S5;9999C0010;;7;-1\n"
        "S6;9999C0020;Kanske;3;1\n", encoding="utf-8")
    s = survey.read_survey(p)
    assert s["respondent_id"].tolist() == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert s["district_code"].tolist()[:1] == ["9999C0010"]
    assert s["safety_level"].tolist() == [1, 3, 5, pd.NA, pd.NA, pd.NA]
    np.testing.assert_allclose(s["worry_score"].to_numpy(), [1, 4, 5, np.nan, np.nan, 3])
    np.testing.assert_allclose(s["weight"].to_numpy(), [1.2, 0.8, 1, 1, np.nan, 1])
    rep = s.attrs["survey_report"]
    assert rep["unknown_answers"] == ["Kanske"]
    assert rep["invalid_worry_scores"] == 1 and rep["invalid_weights"] == 1


def test_worry_text_that_is_no_score_is_counted_invalid_and_dont_know_is_no_answer() -> None:
    raw = pd.DataFrame({"svar_id": list("abcdef"), "deso": ["9999C0010"] * 6, "trygg_kvall": ["Mycket trygg"] * 6,
                        "oro_brott": ["4", "x", "Vet ej", "99", "2,5", " "]})
    s = survey.read_survey(raw)
    np.testing.assert_allclose(s["worry_score"].to_numpy(), [4, np.nan, np.nan, np.nan, 2.5, np.nan])
    assert s.attrs["survey_report"]["invalid_worry_scores"] == 1  # "x" alone
    from lagesbild_geo.pipeline import _survey_notes

    assert _survey_notes(s, None) == [(
        "Survey: 1 of 6 worry score(s) in 'oro_brott' are no score from 1 to 5 (counted as no answer).",
        "Enkäten: oroskattningar som inte är ett tal från 1 till 5 räknas som inget svar.")]


def test_read_survey_column_override_and_missing_columns():
    raw = pd.DataFrame({"Område": ["A", "B"], "Svar": ["Mycket otrygg", "Ganska trygg"]})
    s = survey.read_survey(raw, columns={"district_code": "Område", "safety": "Svar"})
    assert s["safety_level"].tolist() == [4, 2]
    assert s["weight"].tolist() == [1.0, 1.0]
    with pytest.raises(SchemaError):
        survey.read_survey(pd.DataFrame({"x": [1]}))
    with pytest.raises(SchemaError, match="not a column"):
        survey.read_survey(raw, columns={"district_code": "Stadsdel"})


# ---------------------------------------------------------------- indicators
def test_indicators_exact_shares_means_and_weights():
    rows = [("A", "Mycket trygg", 1, 1.0), ("A", "Ganska trygg", 2, 1.0),
            ("A", "Ganska otrygg", 4, 2.0), ("A", "Mycket otrygg", 5, 1.0),
            ("A", "Går aldrig ut", 5, 1.0), ("A", "Vet ej", None, 1.0),
            ("B", "Ganska otrygg", 3, 1.0)]
    r = _responses(rows)
    before = r.copy()
    t = survey.survey_indicators(r)
    pd.testing.assert_frame_equal(r, before)
    a = t.loc["A"]
    assert (a["n"], a["n_safety"], a["n_worry"]) == (6, 5, 5)
    # weighted: unsafe = 2 + 1 + 1 (never out) of 1+1+2+1+1 = 6
    assert a["otrygg_share"] == pytest.approx(4 / 6)
    assert a["never_out_share"] == pytest.approx(1 / 6)
    assert a["mean_worry"] == pytest.approx((1 + 2 + 8 + 5 + 5) / 6)
    assert not a["suppressed"]
    b = t.loc["B"]
    assert b["suppressed"] and np.isnan(b["otrygg_share"]) and np.isnan(b["mean_worry"])
    assert b["n"] == 1
    u = survey.survey_indicators(r, weighted=False, include_never_out=False)
    assert u.loc["A", "otrygg_share"] == pytest.approx(2 / 5)
    assert u.loc["A", "mean_worry"] == pytest.approx((1 + 2 + 4 + 5 + 5) / 5)


def test_threshold_comes_from_settings_and_applies_per_value():
    rows = [("A", "Ganska otrygg", None, 1.0)] * 3 + [("A", "Vet ej", 3, 1.0)] * 2
    r = _responses(rows)
    t5 = survey.survey_indicators(r)
    assert not t5.loc["A", "suppressed"]  # 5 respondents
    assert np.isnan(t5.loc["A", "otrygg_share"])  # but only 3 valid safety answers
    assert np.isnan(t5.loc["A", "mean_worry"])  # and 2 worry scores
    t3 = survey.survey_indicators(r, settings=Settings(min_respondents=2))
    assert t3.loc["A", "otrygg_share"] == 1.0 and t3.loc["A", "mean_worry"] == 3.0
    t9 = survey.survey_indicators(r, settings=Settings(min_respondents=9))
    assert t9.loc["A", "suppressed"]


def test_indicators_with_districts_list_every_district():
    r = _responses([("A", "Mycket trygg", 1, 1.0)] * 5)
    d = gpd.GeoDataFrame({"district_name": ["a", "b"]},
                         index=pd.Index(["A", "B"], name="district_code"),
                         geometry=[Point(0, 0).buffer(1), Point(5, 5).buffer(1)], crs="EPSG:4326")
    t = survey.survey_indicators(r, districts=d)
    assert t.index.tolist() == ["A", "B"]
    assert t["n"].tolist() == [5, 0] and t["suppressed"].tolist() == [False, True]
    assert isinstance(t, gpd.GeoDataFrame) and t.geometry.iloc[1].centroid.x == pytest.approx(5)


def test_indicators_per_cell_with_roll_up():
    rng = np.random.default_rng(0)
    centre = grid.points_to_cells([59.40], [17.10], 9)[0]
    ring = grid.disk_cells(np.array([centre], dtype=np.uint64), 1)
    lat, lon = grid.cells_to_latlng(ring)
    # 6 respondents in the centre cell, 1 in each of the six neighbours
    la = np.r_[np.repeat(lat[ring == centre], 5), lat]
    lo = np.r_[np.repeat(lon[ring == centre], 5), lon]
    r = pd.DataFrame({"lat": la, "lon": lo, "safety_level": pd.array(rng.integers(1, 5, la.size),
                                                                       dtype="Int64"),
                      "worry_score": 3.0, "weight": 1.0})
    plain = survey.survey_indicators(r, by="cell")
    assert plain.loc[centre, "n"] == 6 and not plain.loc[centre, "suppressed"]
    assert plain["suppressed"].sum() == 6
    up = survey.survey_indicators(r, by="cell", roll_up=True, min_resolution=5)
    assert up["n"].sum() == len(r)  # nobody lost, nobody counted twice
    assert up.loc[centre, "resolution"] == 9
    coarse = up[up["resolution"] < 9]
    assert len(coarse) >= 1 and not coarse["suppressed"].all()
    assert set(grid.cells_resolution(up.index.to_numpy()).tolist()) == set(up["resolution"].tolist())
    assert up.crs.to_epsg() == 4326


def test_indicators_errors():
    with pytest.raises(SchemaError, match="read_survey"):
        survey.survey_indicators(pd.DataFrame({"district_code": ["A"]}))
    r = _responses([("A", "Mycket trygg", 1, 1.0)])
    with pytest.raises(InputError, match="by must be"):
        survey.survey_indicators(r, by="kommun")


# ---------------------------------------------------------------- pins
def test_read_pins_drops_free_text(tmp_path):
    g = gpd.GeoDataFrame({"pin_id": ["P1", "P2"], "orsak": ["Dålig belysning", "Annat"],
                          "kommentar": ["Ring mig 070-1234567", "Anna Andersson"],
                          "datum": ["2025-10-01", "2025-10-02"]},
                         geometry=[Point(17.1, 59.4), Point(17.2, 59.41)], crs="EPSG:4326")
    p = tmp_path / "pins.geojson"
    g.to_file(p, driver="GeoJSON")
    pins = survey.read_pins(p)
    assert list(pins.columns) == ["pin_id", "reason", "date", "lat", "lon", "geometry"]
    text = pins.astype(str).to_csv()
    assert "Ring mig" not in text and "Andersson" not in text
    assert pins["lat"].tolist() == [59.4, 59.41]
    assert str(pins["date"].iloc[0].date()) == "2025-10-01"


def test_pins_to_cells_counts_and_suppression():
    pins = pd.DataFrame({"lat": [59.40] * 6 + [59.43] * 2, "lon": [17.10] * 6 + [17.20] * 2,
                         "reason": ["Dålig belysning"] * 4 + ["Skymd sikt"] * 2 + ["Annat"] * 2})
    c = survey.pins_to_cells(pins)
    big = grid.points_to_cells([59.40], [17.10], 9)[0]
    small = grid.points_to_cells([59.43], [17.20], 9)[0]
    assert c.loc[big, "n"] == 6 and c.loc[big, "n_dalig_belysning"] == 4
    assert c.loc[big, "n_skymd_sikt"] == 2 and c.loc[big, "top_reason"] == "Dålig belysning"
    assert c.loc[small, "suppressed"] and pd.isna(c.loc[small, "n"])
    assert pd.isna(c.loc[small, "top_reason"])
    assert c.attrs["reasons"] == ["Annat", "Dålig belysning", "Skymd sikt"]


# ---------------------------------------------------------------- perceived vs reported
def test_perceived_vs_reported_standardised_difference():
    ind = pd.DataFrame({"otrygg_share": [0.1, 0.2, 0.5, np.nan], "suppressed": [False] * 3 + [True]},
                       index=pd.Index(list("ABCD"), name="district_code"))
    rep = pd.DataFrame({"count": [50, 20, 5, 9], "population": [1000, 2000, 1000, 800]},
                       index=ind.index)
    out = survey.perceived_vs_reported(ind, rep)
    rate = np.array([50.0, 10.0, 5.0])
    assert out["reported_rate"].tolist()[:3] == rate.tolist()
    x = np.array([0.1, 0.2, 0.5])
    zx = (x - x.mean()) / x.std(ddof=1)
    zy = (rate - rate.mean()) / rate.std(ddof=1)
    np.testing.assert_allclose(out["std_diff"].to_numpy()[:3], zx - zy)
    assert np.isnan(out.loc["D", "std_diff"]) and pd.isna(out.loc["D", "pattern"])
    assert out.loc["A", "pattern"] == "many_reports_feels_safe"
    assert out.loc["C", "pattern"] == "feels_unsafe_few_reports"
    assert out.attrs["rate_unit"] == "per 1000 inhabitants"


# ---------------------------------------------------------------- Exempelkommun
@pytest.fixture(scope="module")
def truth(sample_dir):
    return json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))


def test_sample_survey_matches_truth(sample_dir, truth):
    s = survey.read_survey(sample_dir / "survey_trygghet.csv")
    assert len(s) == truth["survey"]["respondents"]
    t = survey.survey_indicators(s, weighted=False)
    for code, d in truth["survey"]["districts"].items():
        a = d["answers"]
        valid = d["n"] - a["(blank)"] - a["Vet ej"]
        assert t.loc[code, "n"] == d["n"]
        assert t.loc[code, "n_safety"] == valid
        if d["n"] >= 5 and valid >= 5:
            share = (a["Ganska otrygg"] + a["Mycket otrygg"] + a["Går aldrig ut"]) / valid
            assert t.loc[code, "otrygg_share"] == pytest.approx(share)
    small = {d["deso"] for d in truth["survey"]["too_few_respondents"]}
    assert set(t.index[t["suppressed"]]) == small
    assert t.loc[sorted(small), "otrygg_share"].isna().all()


def test_sample_pins_perceived_only_place(sample_dir, truth):
    from lagesbild_geo.geocode import place_pending
    from lagesbild_geo.read import read_incidents

    pins = survey.read_pins(sample_dir / "survey_pins.geojson")
    assert len(pins) == truth["pins"]["pins"]
    assert truth["pins"]["free_text_column"] not in pins.columns
    cells = survey.pins_to_cells(pins, resolution=8)
    assert int(cells["n"].fillna(0).sum()) + int(cells.loc[cells["suppressed"]].shape[0]) > 0
    po = truth["pins"]["perceived_only"]
    area = shape(po["polygon"])
    c = grid.points_to_cells([area.centroid.y], [area.centroid.x], 8)[0]
    assert cells.loc[c, "n"] >= 50
    # almost no incidents there: perceived vs reported puts it first, as feeling unsafe
    inc = place_pending(read_incidents(sample_dir / "incidents_kommun.csv"),
                        sample_dir / "gazetteer.csv").placed
    reported = grid.count_cells(inc, resolution=8)
    pvr = survey.perceived_vs_reported(cells.assign(n=cells["n"].astype("float64")), reported,
                                       perceived="n", population=None, log=True)
    assert pvr.attrs["rate_unit"] == "per km²"
    assert pvr["std_diff"].idxmax() == c
    assert pvr.loc[c, "pattern"] == "feels_unsafe_few_reports"
    assert pvr["pattern"].notna().sum() == int((~cells["suppressed"]).sum())


def test_read_survey_with_positions_only():
    raw = pd.DataFrame({"trygg_kvall": ["Mycket otrygg", "Ganska trygg"], "lat": ["59,4", "59,41"],
                        "lon": ["17,1", "17,1"]})
    s = survey.read_survey(raw)
    assert s["lat"].tolist() == [59.4, 59.41] and s["district_code"].isna().all()
    with pytest.raises(SchemaError, match="no district column"):
        survey.read_survey(raw.drop(columns=["lat"]))

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_pins_from_a_csv_with_lat_lon_and_a_non_gis_file(tmp_path: Path) -> None:
    p = tmp_path / "pins.csv"
    p.write_text("pin_id;orsak;Lat;Lon;kommentar\n1;Dålig belysning;59,36;17,10;Anna 070\n"
                 "2;Skymd sikt;59,37;17,11;\n3;Annat;;;\n", encoding="utf-8")
    pins = survey.read_pins(p)
    assert pins["pin_id"].tolist() == ["1", "2"]
    assert pins["lat"].tolist() == [59.36, 59.37] and pins["lon"].tolist() == [17.10, 17.11]
    assert "kommentar" not in pins.columns
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv is a table without Lat/Lon columns"):
        survey.read_pins(bad)


def test_survey_areas_without_leading_zero_or_by_name_join_their_districts():
    # Excel dropped the leading zero ("180C1010"); another export names the district;
    # "Angby" is not "Ängby" (å, ä, ö are letters); a postnummer matches nothing.
    districts = pd.DataFrame({"district_name": ["Ängby", "Södra Åby", "Norr"]},
                             index=pd.Index(["0180C1010", "0180C1020", "0180C1030"],
                                            name="district_code"))
    rows = ([("180C1010", "Ganska otrygg", 3.0, 1.0)] * 5
            + [(" södra  åby ", "Mycket trygg", 1.0, 1.0)] * 5
            + [("0180C1030", "Mycket otrygg", 4.0, 1.0)] * 5
            + [("Angby", "Ganska trygg", 2.0, 1.0)] * 5
            + [("75320", "Ganska trygg", 2.0, 1.0)] * 2)
    t = survey.survey_indicators(_responses(rows), districts=districts)
    assert t["n"].to_dict() == {"0180C1010": 5, "0180C1020": 5, "0180C1030": 5, "75320": 2, "Angby": 5}
    assert t.loc["0180C1010", "otrygg_share"] == 1.0
    assert t.loc["0180C1020", "otrygg_share"] == 0.0
    assert t.attrs["district_matches"] == {"leading_zero": 5, "name": 5}
    assert t.attrs["unknown_districts"] == ["75320", "Angby"]
    assert t.attrs["unknown_respondents"] == 7


def test_survey_code_9_is_dont_know_not_an_unknown_answer():
    s = survey.read_survey(pd.DataFrame({"deso": ["A"] * 6, "trygg_kvall": ["1", "2", "3", "4", "9", "7"]}))
    assert s["safety_level"].tolist() == [1, 2, 3, 4, pd.NA, pd.NA]
    assert s.attrs["survey_report"]["unknown_answers"] == ["7"]
    t = survey.survey_indicators(s)
    assert (t.loc["A", "n"], t.loc["A", "n_safety"]) == (6, 4)


def test_build_notes_say_what_the_survey_matched_and_lost():
    from lagesbild_geo.pipeline import _survey_notes

    districts = pd.DataFrame({"district_name": ["Ängby"]},
                             index=pd.Index(["0180C1010"], name="district_code"))
    s = survey.read_survey(pd.DataFrame({
        "deso": ["180C1010"] * 5 + ["75320"] * 2, "trygg_kvall": ["Mycket trygg"] * 6 + ["Kanske"],
        "vikt": ["1"] * 6 + [""]}))
    notes = _survey_notes(s, survey.survey_indicators(s, districts=districts))
    assert [en for en, _ in notes] == [
        "Survey: respondents' areas matched to districts by a code without its leading zero (5).",
        "Survey: 2 of 7 respondent(s) name an area that is no district ('75320'); they are counted in "
        "rows of their own, not in any district. Give the areas as district codes or names of the "
        "district layer.",
        "Survey: 1 of 7 answer(s) not recognised (counted as no valid answer); labels given by fewer "
        "than 5 respondents are not named (they may be free text).",
        "Survey: 1 of 7 respondent(s) have no valid weight (blank, zero or negative) and are left out "
        "of the weighted shares and means (and of the answers they rest on).",
    ]
    # the Swedish notes are published (lagesbild.json, beside the app's map, the report): no
    # number of respondents, for "2 of 7" gave the hidden count of the one area that is no
    # district back (its row shows "för få svar")
    assert [sv for _, sv in notes] == [
        "Enkäten: svarandes område kopplat till distrikt via kod utan inledande nolla.",
        "Enkäten: svarande som anger ett område som inte är något distrikt räknas inte in i något distrikt.",
        "Enkäten: svar som inte kändes igen räknas som ogiltiga.",
        "Enkäten: svarande utan giltig vikt ingår inte i de viktade andelarna.",
    ]
    from lagesbild_geo.privacy import suppress_survey

    t = survey.survey_indicators(s, districts=districts)
    published = suppress_survey(t, value_columns=["otrygg_share"], min_respondents=5)
    assert int(t.loc["75320", "n"]) == 2 and pd.isna(published.loc["75320", "n"])


def test_build_notes_never_quote_free_text_in_the_answer_column():
    from lagesbild_geo.pipeline import _survey_notes

    s = survey.read_survey(pd.DataFrame({
        "deso": ["A"] * 8, "trygg_kvall": ["Kanske"] * 5 + ["Ring Kalle 070-1234567", "Vet ej", "2"]}))
    (en, sv), = _survey_notes(s, None, 5)
    assert en == ("Survey: 6 of 8 answer(s) not recognised (counted as no valid answer): 'Kanske'; labels "
                  "given by fewer than 5 respondents are not named (they may be free text).")
    assert "Kalle" not in en + sv and "070" not in en + sv


def test_config_survey_section_names_the_sheet_and_columns(tmp_path):
    from lagesbild_geo.config import PipelineConfig, load_config

    (tmp_path / "lagesbild.toml").write_text(
        '[[sources]]\npath = "a.csv"\n[inputs]\nsurvey = "old.csv"\n'
        '[survey]\npath = "enkat.xlsx"\nsheet = "Svar"\n'
        'columns = { safety = "Hur trygg känner du dig?", district_code = "Område" }\n', encoding="utf-8")
    c = load_config(tmp_path / "lagesbild.toml")
    assert c.survey == str(tmp_path / "enkat.xlsx")
    assert dict(c.survey_options) == {"sheet": "Svar", "columns": {
        "safety": "Hur trygg känner du dig?", "district_code": "Område"}}
    with pytest.raises(InputError, match=r"survey: unknown option\(s\) \['trygghet'\]"):
        PipelineConfig(survey_options={"columns": {"trygghet": "X"}})


def test_survey_layers_reads_with_the_configured_columns():
    from lagesbild_geo.bundle import Lagesbild
    from lagesbild_geo.pipeline import survey_layers

    raw = pd.DataFrame({"Område": ["A"] * 5, "Kommentar om trygghet": ["Ring Kalle 070-1234567"] * 5,
                        "Hur trygg känner du dig?": ["Mycket otrygg"] * 4 + ["Mycket trygg"]})
    with pytest.raises(SchemaError, match=r"\[survey\] columns = \{ safety = "):
        survey.read_survey(raw)
    districts = gpd.GeoDataFrame({"district_name": ["Ängby"]}, geometry=[Point(17, 59).buffer(0.01)],
                                 index=pd.Index(["A"], name="district_code"), crs="EPSG:4326")
    lb = survey_layers(Lagesbild.empty().replace(districts=districts), survey=raw,
                       survey_options={"columns": {"safety": "Hur trygg känner du dig?"}})
    ind = lb.survey["districts"]
    assert (ind.loc["A", "n"], ind.loc["A", "otrygg_share"]) == (5, 0.8)
    assert "Kalle" not in repr(lb.metadata) + ind.to_string()


def test_respondents_without_a_weight_do_not_count_as_answers_a_share_rests_on():
    # 3 of 6 have no weight: the share rests on 3 answers (< 5), so it is not published,
    # not 100 % "from 6 answers"
    s = survey.read_survey(pd.DataFrame({
        "deso": ["A"] * 6, "trygg_kvall": ["Mycket otrygg"] * 3 + ["Mycket trygg"] * 3,
        "oro_brott": ["4"] * 6, "vikt": ["1"] * 3 + [""] * 3}))
    t = survey.survey_indicators(s)
    assert (t.loc["A", "n"], t.loc["A", "n_safety"], t.loc["A", "n_worry"]) == (6, 3, 3)
    assert np.isnan(t.loc["A", "otrygg_share"]) and np.isnan(t.loc["A", "mean_worry"])
    u = survey.survey_indicators(s, weighted=False)
    assert (u.loc["A", "n_safety"], u.loc["A", "otrygg_share"]) == (6, 0.5)


def test_an_empty_weight_column_means_unweighted_with_a_note():
    from lagesbild_geo.pipeline import _survey_notes

    s = survey.read_survey(pd.DataFrame({
        "deso": ["A"] * 6, "trygg_kvall": ["Mycket otrygg"] * 3 + ["Mycket trygg"] * 3, "vikt": [""] * 6}))
    assert s["weight"].tolist() == [1.0] * 6
    assert s.attrs["survey_report"]["empty_weight_column"] == "vikt"
    assert survey.survey_indicators(s).loc["A", "otrygg_share"] == 0.5
    assert [en for en, _ in _survey_notes(s, None)] == [
        "Survey: the weight column 'vikt' is empty; the answers are not weighted."]


def test_answer_labels_with_option_numbers_as_survey_tools_export_them():
    labels = ["4 - Mycket otrygg", "Ganska trygg (2)", "1. Mycket trygg", "3) Ganska otrygg",
              "Jag går aldrig ut", "Går ej ut", "Ingen åsikt", "5 Vet ej", "Inte särskilt trygg"]
    s = survey.read_survey(pd.DataFrame({"deso": ["A"] * len(labels), "trygg_kvall": labels}))
    assert s["safety_level"].tolist() == [4, 2, 1, 3, 5, 5, pd.NA, pd.NA, pd.NA]
    assert s.attrs["survey_report"]["unknown_answers"] == ["Inte särskilt trygg"]
