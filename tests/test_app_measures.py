"""AppTest of the measures as a management view, on Exempelkommun: overdue follow-ups,
areas renamed and reshaped (with their history), areas tied to the data set they were
drawn on, the follow-up's coverage warnings, the comparison-area refusal and the
small-count caution.

The map component is inert in AppTest; a drawing is injected by patching
``streamlit_folium.st_folium`` (the name every page imports)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import box, mapping, shape
from streamlit.testing.v1 import AppTest

from lagesbild_geo.measures import MeasureStore
from lagesbild_geo.svformat import date_sv

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "apps" / "lagesbild_app.py")
SAMPLE = ROOT / "sample_data"

pytestmark = pytest.mark.skipif(not (SAMPLE / "incidents_kommun.csv").exists(),
                                reason="sample_data/ (Exempelkommun) is missing; run `make sample`")

#: The middle of Exempelstad, with hundreds of incidents a year.
CENTRUM = box(17.05, 59.33, 17.20, 59.42)
#: North of it, beyond a 250 m buffer (59.42 + 0.01° ≈ 1.1 km).
NORR = box(17.05, 59.43, 17.20, 59.45)
#: A sliver just north of Centrum: inside its 250 m buffer ring.
GRANNE = box(17.05, 59.421, 17.20, 59.422)
#: A small square in Centrum with only a handful of incidents a year.
LITEN = box(17.100, 59.370, 17.102, 59.371)
#: In Göteborg: far outside Exempelkommun's data.
GOTEBORG = box(11.95, 57.70, 11.97, 57.71)


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(path))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_USER", "testaren")
    return path


def _draw(monkeypatch: pytest.MonkeyPatch, geometry: Any | None) -> None:
    import streamlit_folium

    feature = None if geometry is None else {
        "type": "Feature", "properties": {}, "geometry": mapping(geometry)}
    value = ({"all_drawings": [feature], "last_active_drawing": feature} if feature
             else {"all_drawings": None, "last_active_drawing": None})
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: value)


def _app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; have {[b.label for b in at.button]}"
    return matches[0]


def _frame(at: AppTest, column: str) -> Any:
    """The first table on the page with this column."""
    for d in at.dataframe:
        if column in d.value.columns:
            return d.value
    raise AssertionError(f"no table with column {column!r}")


# ------------------------------------------------------------------ overdue follow-ups


def test_overdue_followups_are_highlighted(store_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    t = today()
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Stationen", geometry=LITEN)
        b = s.add_area(name="Torget", geometry=NORR)
        s.add_measure(area_id=a.id, title="Kameror", target_categories=["ran"],
                      status="pågående", next_followup=t - dt.timedelta(days=12))
        s.add_measure(area_id=b.id, title="Belysning", target_categories=["vald"],
                      status="planerad", next_followup=t + dt.timedelta(days=5))
        s.add_measure(area_id=b.id, title="Väktare", target_categories=["stold"],
                      status="genomförd", next_followup=t - dt.timedelta(days=30))
    at = _app("atgardsplan")
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("**Uppföljning försenad:** en åtgärd har passerat sitt datum")
    assert "**Kameror** (Stationen): skulle ha följts upp" in warning
    assert warning.endswith("– 12 dagar sen")
    assert "Väktare" not in warning  # a finished measure is not waiting for a follow-up
    plan = at.dataframe[0]
    table = plan.value.set_index("Åtgärd")
    assert table.loc["Kameror", "Uppföljning"] == "12 dagar sen"
    assert table.loc["Belysning", "Uppföljning"] == "om 5 dagar"
    assert table.loc["Väktare", "Uppföljning"] == date_sv(t - dt.timedelta(days=30))
    assert list(table["Status"]) == ["Planerad", "Pågående", "Genomförd"]
    assert table.loc["Kameror", "Kostnad (kr)"] == "–"  # never "None"
    # the overdue row is coloured: the table's styles colour exactly that row
    css = plan.proto.arrow_data.styler.styles
    assert "#fde0dd" in css and "#c51b1b" in css
    # the same on Områden: the notice and the area's row
    at.switch_page("app_pages/omraden.py")
    at.run()
    _ok(at)
    assert any("12 dagar sen" in w.value for w in at.warning)
    areas = _frame(at, "Namn").set_index("Namn")
    assert areas.loc["Stationen", "Uppföljning"] == "12 dagar sen"
    assert areas.loc["Torget", "Uppföljning"] == "–"
    assert (areas.loc["Stationen", "Status"], areas.loc["Torget", "Status"]) == \
        ("Pågående", "Planerad")


# ------------------------------------------------------------------ areas


def test_new_area_remembers_the_data_set_it_was_drawn_on(store_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, LITEN)
    at = _app("omraden")
    at.text_input(key="new_area_name").input("Hörnet")
    _button(at, "Spara området").click()
    at.run()
    _ok(at)
    with MeasureStore(store_path) as s:
        (area,) = [s.get_area(i) for i in s.list_areas().index]
    assert area.name == "Hörnet" and area.drawn_kommun == "Exempelkommun"
    assert area.drawn_dataset.startswith("sha256:") and len(area.drawn_dataset) == 71
    assert area.drawn_dataset_label == ("incidents_polis.xlsx + incidents_kommun.csv, "
                                        "1 januari 2024–31 december 2025")
    # the drawing was used: the form for it is gone although the map still returns it
    assert not [t for t in at.text_input if t.key == "new_area_name"]
    assert _frame(at, "Namn").set_index("Namn").loc["Hörnet", "Ritat på"] == \
        area.drawn_dataset_label


def test_rename_and_reshape_an_area_with_its_history(store_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        area = s.add_area(name="Stationen", geometry=LITEN)
    at = _app("omraden")
    at.text_input(key=f"rename_{area.id}_name").input("Resecentrum")
    _button(at, "Spara namn och beskrivning").click()
    at.run()
    _ok(at)
    with MeasureStore(store_path) as s:
        renamed = s.get_area(area.id)
    assert (renamed.name, renamed.version, renamed.updated_by) == ("Resecentrum", 2, "testaren")
    history = _frame(at, "Ändring")
    assert list(history["Ändring"]) == ["området skapat",
                                        "namn ändrat: «Stationen» → «Resecentrum»"]
    assert list(history["Vem"]) == ["anna", "testaren"]
    # a new shape drawn on the map replaces the area's polygon
    bigger = box(17.100, 59.370, 17.104, 59.372)
    _draw(monkeypatch, bigger)
    at.run()
    _ok(at)
    at.radio(key="drawn_use").set_value("reshape")
    at.run()
    assert at.selectbox(key="reshape_target").value == area.id
    assert any("i dag 0,01 km²; den nya formen är 0,05 km²" in c.value for c in at.caption)
    _button(at, "Spara den nya formen").click()
    at.run()
    _ok(at)
    with MeasureStore(store_path) as s:
        reshaped = s.get_area(area.id)
        h = s.history(area.id, entity="area")
    assert reshaped.version == 3 and reshaped.geometry.equals(shape(mapping(bigger)))
    assert reshaped.name == "Resecentrum" and reshaped.drawn_kommun == "Exempelkommun"
    assert h["fields"][2] == ["drawn_dataset", "drawn_dataset_label", "drawn_kommun",
                              "geometry"]
    changes = list(_frame(at, "Ändring")["Ändring"])
    assert changes[2].startswith("form ändrad (0,01 km² → 0,05 km²)")
    assert not [r for r in at.radio if r.key == "drawn_use"]  # the drawing was used


# ------------------------------------------------------------------ follow-up checks


def test_comparison_area_with_its_own_measure_or_in_the_buffer_is_refused(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Centrum", geometry=CENTRUM)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["vald", "ran"],
                      start_date="2025-01-01")
        norr = s.add_area(name="Norr", geometry=NORR)
        s.add_measure(area_id=norr.id, title="Kameror", target_categories=["ran"],
                      status="pågående", start_date="2024-06-01")
        granne = s.add_area(name="Granne", geometry=GRANNE)
    at = _app("uppfoljning")
    assert at.selectbox(key="fu_control").options == [
        "Resten av kommunen (utanför området och buffertzonen)", "Granne – kan inte användas",
        "Norr – kan inte användas"]
    assert [m.label for m in at.metric]  # the rest of the kommun works
    at.selectbox(key="fu_control").set_value(norr.id)
    at.run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("**«Norr» kan inte vara jämförelseområde.**")
    assert ("«Norr» har en egen åtgärd under uppföljningsperioden (2 januari 2024–31 december "
            "2025): «Kameror» (pågående, från 1 juni 2024).") in error
    assert error.endswith("Välj ett annat område eller «Resten av kommunen».")
    assert not at.metric and not at.dataframe  # nothing is computed with it
    at.selectbox(key="fu_control").set_value(granne.id)
    at.run()
    (error,) = [e.value for e in at.error]
    assert "«Granne» ligger delvis i buffertzonen (250 m) runt «Centrum»" in error
    # a narrower buffer: Granne is no longer in it, and is used
    at.slider(key="fu_buffer").set_value(50)
    at.run()
    _ok(at)
    assert [m.label for m in at.metric] == ["Före", "Efter", "Förflyttning till omgivningen"]


@pytest.mark.parametrize(("geometry", "drawn", "start", "expected"), [
    (GOTEBORG, {}, "2025-01-01", "Området ligger utanför det som underlaget «incidents_polis"
                                 ".xlsx + incidents_kommun.csv, 1 januari 2024–31 december 2025» "
                                 "täcker"),
    (CENTRUM, {}, "2026-03-01", "Åtgärden startade 1 mars 2026, men underlaget slutar 31 "
                                "december 2025"),
    (CENTRUM, {"drawn_kommun": "0180"}, "2025-01-01",
     "Området ritades på underlag för Stockholm (0180), men underlaget nu gäller "
     "Exempelkommun."),
], ids=["outside", "after-the-data", "other-kommun"])
def test_follow_up_on_data_that_do_not_cover_the_measure_warns(
        store_path: Path, monkeypatch: pytest.MonkeyPatch, geometry: Any, drawn: dict,
        start: str, expected: str) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Området", geometry=geometry, **drawn)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["vald"],
                      start_date=start)
    at = _app("uppfoljning")
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("**Uppföljningen kan inte göras på det här underlaget.**")
    assert expected in warning
    assert not at.metric and not [i for i in at.info if "startade" in i.value]  # no "0 → 0"
    page = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.warning])
    assert "ingen jämförelse möjlig" not in page


def test_small_counts_give_a_caution_in_words(store_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Hörnet", geometry=LITEN)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["ran"],
                      start_date="2025-01-01")
    at = _app("uppfoljning")
    cautions = [w.value for w in at.warning if w.value.startswith("För få händelser")]
    assert len(cautions) == 1
    assert "färre än 20 i minst en av perioderna" in cautions[0]
    metric = next(m for m in at.metric if m.label == "Förflyttning till omgivningen")
    assert metric.value == "för få händelser"
    assert "WDQ" in metric.help  # the technical term lives in the tooltip
    assert any("färre än 20" in c.value for c in at.caption)
    assert "WDQ" not in " ".join(m.label for m in at.metric)


# ------------------------------------------------------------------ the status layer


def test_status_layer_colours_by_status_and_shows_markup_as_text() -> None:
    """The status map: each area in its status colour, an overdue one with the red dashed
    outline; names with markup are escaped (tooltips render HTML)."""
    import sys

    import folium
    import geopandas as gpd
    import pandas as pd

    sys.path.insert(0, str(ROOT / "apps"))
    import app_management

    from lagesbild_geo.measures import OVERDUE_COLOUR, STATUS_COLOURS

    payload = '<img src=x onerror="alert(1)">'
    areas = gpd.GeoDataFrame({"name": [f"{payload} Torget", "Tom"]}, geometry=[LITEN, NORR],
                             crs=4326, index=pd.Index(["a1", "a2"], name="id"))
    measures = pd.DataFrame({
        "area_id": ["a1", "a1"], "title": [payload, "Väktare"],
        "status": ["genomförd", "pågående"],
        "next_followup": pd.to_datetime([None, today() - dt.timedelta(days=3)]),
        "deleted_at": [None, None]}, index=["m1", "m2"])
    fg = app_management.status_layer(areas, measures)
    m = folium.Map(tiles=None)
    fg.add_to(m)
    page = m.get_root().render()
    assert payload not in page
    geo = next(c for c in fg._children.values() if isinstance(c, folium.GeoJson))
    shown = {f["id"]: f["properties"] for f in geo.data["features"]}
    assert shown["a1"]["namn"] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Torget"
    assert shown["a1"]["atgarder"].startswith("&lt;img src=x")
    styles = {f["id"]: geo.style_function(f) for f in geo.data["features"]}
    assert styles["a1"]["fillColor"] == STATUS_COLOURS["pågående"]  # the running one wins
    assert (styles["a1"]["color"], styles["a1"]["dashArray"]) == (OVERDUE_COLOUR, "8 5")
    assert styles["a2"]["fillOpacity"] == 0.05 and styles["a2"]["dashArray"] == "8 5"
    props = {f["id"]: f["properties"] for f in geo.data["features"]}
    assert props["a1"]["uppfoljning"] == "försenad, 3 dagar sen"
    assert props["a2"]["status"] == "Utan åtgärd" and props["a2"]["atgarder"] == "–"
