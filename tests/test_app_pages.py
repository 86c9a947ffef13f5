"""AppTest of the pages that show the lägesbild itself (Karta, Uppföljning, Export) on Exempelkommun."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from app_tables import shown_tables, svg_charts
from streamlit.testing.v1 import AppTest

from lagesbild_geo.measures import MeasureStore

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "apps" / "lagesbild_app.py")
SAMPLE = ROOT / "sample_data"

pytestmark = pytest.mark.skipif(not (SAMPLE / "incidents_kommun.csv").exists(),
                                reason="sample_data/ (Exempelkommun) is missing; run `make sample`")

AREA = {"type": "Polygon", "coordinates": [[[17.05, 59.33], [17.20, 59.33], [17.20, 59.42],
                                             [17.05, 59.42], [17.05, 59.33]]]}


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(path))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_USER", "testaren")
    return path


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _int(text: object) -> int:
    """A count shown in Swedish ("1 234" with a no-break space) as an int."""
    return int(str(text).replace(" ", "").replace("\u00a0", ""))


def _int_or_none(text: object) -> int | None:
    return None if str(text) == "–" else _int(text)


def _metric(at: AppTest, label: str) -> int:
    v = next(m.value for m in at.metric if m.label == label)
    return int(str(v).replace(" ", "").replace("\u00a0", ""))


def _num(text: object) -> float | None:
    """A number as the app shows it ("1\u00a0234", "−12,5"); None for "–" and notes."""
    s = str(text).replace("\u00a0", "").replace(" ", "").replace("\u2212", "-").replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def _frame(at: AppTest, first: str) -> pd.DataFrame:
    """The shown table whose first column is ``first`` (tables are Swedish text; the Karta
    draws them as HTML, other pages as ``st.dataframe``)."""
    tables = shown_tables(at)
    frames = [t for t in tables if len(t.columns) and t.columns[0] == first]
    assert frames, f"no table starting with {first!r}: {[list(t.columns[:2]) for t in tables]}"
    return frames[0]


def _district_table(at: AppTest) -> pd.DataFrame:
    return _frame(at, "Kod").set_index("Distrikt")


def test_karta_filters_change_figures(store_path: Path) -> None:
    at = _app()
    total = _metric(at, "Antal händelser")
    assert total > 1000
    assert _metric(at, "Hotspots") > 0
    at.multiselect(key="categories").select("vald")
    at.run()
    assert not at.exception and not at.error
    only_vald = _metric(at, "Antal händelser")
    assert 0 < only_vald < total
    at.slider(key="hours").set_range(22, 24)
    at.run()
    evening = _metric(at, "Antal händelser")
    assert 0 < evening < only_vald
    # the district table follows the filter too: its kommun total is the headline figure
    assert {"Antal händelser", "Per 1 000 invånare"} <= set(_frame(at, "Kod").attrs["right"])
    assert not {"Kod", "Distrikt", "Anmärkning"} & set(_frame(at, "Kod").attrs["right"])
    assert not at.dataframe  # the Karta's tables are plain HTML (no data grid to load)
    table = _district_table(at)
    assert table.loc["Hela kommunen", "Kod"] == ""  # no internal code shown
    assert _num(table.loc["Hela kommunen", "Antal händelser"]) == evening
    # privacy by default: no district shows a count below min_count (3) unless asked for
    counts = table["Antal händelser"].map(_num)
    shown = counts.dropna()
    assert not ((shown > 0) & (shown < 3)).any()
    hidden = counts.isna()
    assert hidden.any() and (table.loc[hidden, "Antal händelser"] == "–").all()
    why = table.loc[hidden, "Anmärkning"]
    assert why.isin(["för få fall för att visas", "dolt för att skydda små tal"]).all()
    at.toggle(key="show_small").set_value(True)
    at.run()
    raw = _district_table(at)["Antal händelser"].map(_num)
    assert raw.notna().all() and ((raw > 0) & (raw < 3)).any()
    # every small count reads "för få fall"; others are hidden to protect them (here also
    # against the trend panel's two years, published with the map as one)
    small = ((raw > 0) & (raw < 3)).reindex(why.index, fill_value=False)
    assert small.any() and (why[small] == "för få fall för att visas").all()
    assert int(raw.drop("Hela kommunen").sum()) <= evening


def _map_arguments(at: AppTest) -> dict[str, object]:
    """What the page handed streamlit-folium's component (its one map)."""
    [map_] = [c for c in at.get("component_instance") if c.proto.component_name == "streamlit_folium.st_folium"]
    return dict(json.loads(map_.proto.json_args))


def test_karta_map_arguments_are_made_once_and_are_st_folium_s(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app()
    first = _map_arguments(at)
    # the base map's script and each layer's GeoJSON as st_folium writes them
    assert "map_div" in str(first["script"]) and "feature_group_feature_group_0" in str(first["feature_group"])
    assert first["returned_objects"] == [] and first["height"] == 560
    at.run()
    assert _map_arguments(at) == first
    # exactly what st_folium itself gives the component for the same map (the page's way
    # when the arguments cannot be kept)
    monkeypatch.setattr(sys.modules["app_map"], "_arguments", lambda *a, **k: None)
    at.run()
    assert not at.exception
    assert _map_arguments(at) == first
    monkeypatch.undo()
    # another filter: the same base map (the component keeps it, with the user's zoom), other layers
    at.multiselect(key="categories").select("vald")
    at.run()
    other = _map_arguments(at)
    assert other["key"] == first["key"] and other["script"] == first["script"]
    assert other["feature_group"] != first["feature_group"]
    # another page's map in the same session is drawn by st_folium as before
    at.switch_page("app_pages/omraden.py")
    at.run()
    assert not at.exception
    assert len(_map_arguments(at)["script"]) > 0


def test_karta_layers_and_district_measure(store_path: Path) -> None:
    at = _app()
    at.multiselect(key="layers").set_value(["clusters", "emerging", "districts", "survey"])
    at.radio(key="district_measure").set_value("per_1000")
    at.run()
    assert not at.exception and not at.error
    total = _metric(at, "Antal händelser")
    hot9 = _metric(at, "Hotspots")
    at.select_slider(key="resolution").set_value(8)
    at.run()
    assert not at.exception and not at.error
    # bigger hexagons: the same incidents, fewer (and different) hot cells
    assert _metric(at, "Antal händelser") == total
    assert _metric(at, "Hotspots") < hot9


def test_uppfoljning_shows_result(store_path: Path) -> None:
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Centrum", geometry=AREA)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["vald", "ran"],
                      start_date="2025-01-01")
    at = _app("uppfoljning")
    assert at.info and at.info[0].value  # the plain-language summary
    labels = [m.label for m in at.metric]
    assert labels == ["Före", "Efter", "Förflyttning till omgivningen"]  # plain words, not "WDQ"
    table = at.dataframe[0].value
    assert list(table["Zon"]) == ["Området", "Buffertzon", "Jämförelseområde"]
    whole_rest = _num(table["Före"].iloc[2])
    assert whole_rest is not None and whole_rest > 0
    # a saved area as the comparison instead of the rest of the kommun (beyond the buffer)
    with MeasureStore(store_path, user="anna") as s:
        ctrl = s.add_area(name="Norr", geometry={"type": "Polygon", "coordinates": [[
            [17.05, 59.43], [17.20, 59.43], [17.20, 59.45], [17.05, 59.45], [17.05, 59.43]]]})
    at.run()
    at.selectbox(key="fu_control").set_value(ctrl.id)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _num(at.dataframe[0].value["Före"].iloc[2])
    assert after is not None and 0 < after < whole_rest


def test_export_makes_package(store_path: Path) -> None:
    at = _app("export")
    at.radio(key="export_kind").set_value("zip")
    next(b for b in at.button if b.label == "Skapa filen").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    name, data, _ = at.session_state["export_file"]
    assert name == "lagesbild_paket.zip" and data[:2] == b"PK"


def test_omraden_area_figures_and_report(store_path: Path) -> None:
    with MeasureStore(store_path, user="anna") as s:
        s.add_area(name="Centrum", geometry=AREA)
    at = _app("omraden")
    fig = next(d.value for d in at.dataframe if "Antal i området" in d.value.columns)
    # Swedish numbers ("1 234"); a hidden count shows as "–"
    counts = pd.to_numeric(fig["Antal i området"].map(_int_or_none), errors="coerce")
    assert counts.sum() > 0
    assert not ((counts > 0) & (counts < 3)).any()
    assert (fig.loc[counts.isna(), "Anmärkning"] == "för få fall för att visas").all()
    assert any("Centrum" in m.value and "händelser" in m.value for m in at.markdown)
    at.switch_page("app_pages/export.py")
    at.run()
    at.radio(key="export_kind").set_value("html")
    next(b for b in at.button if b.label == "Skapa filen").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    name, data, _ = at.session_state["export_file"]
    assert name == "lagesbild_rapport.html" and b"<html" in data[:500].lower()


@pytest.mark.slow
def test_export_then_import_police_package(store_path: Path) -> None:
    at = _app("export")
    at.radio(key="export_kind").set_value("zip")
    next(b for b in at.button if b.label == "Skapa filen").click()
    at.run()
    _, data, _ = at.session_state["export_file"]
    at.file_uploader(key="police_upload").set_value(("polisens_paket.zip", data, "application/zip"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _frame(at, "Underlag")
    assert list(table["Underlag"]) == ["Kommunen (vår)", "Importerat paket"]
    # our own package read back: the same hot cells and districts on both sides
    assert table["Hotspots (hexagoner)"].nunique() == 1 and _num(table["Hotspots (hexagoner)"].iloc[0]) > 0
    assert table["Distrikt"].nunique() == 1


def test_bad_package_upload_is_friendly(store_path: Path) -> None:
    at = _app("export")
    at.file_uploader(key="police_upload").set_value(("paket.zip", b"PK not a zip", "application/zip"))
    at.run()
    assert not at.exception
    assert at.error and "paket.zip" in at.error[0].value


def test_omraden_area_from_hotspot_and_cluster(store_path: Path) -> None:
    at = _app("omraden")
    options = at.selectbox(key="pick_candidate").options
    assert options[0].startswith("Hotspot-område 1 (")
    at.text_input(key="pick_name").input("Hotspoten")
    next(b for b in at.button if b.label == "Skapa området").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with MeasureStore(store_path) as s:
        a = s.list_areas()
    n_hex = int(options[0].split("(")[1].split()[0])
    assert a["name"].tolist() == ["Hotspoten"] and len(a["source_cells"].iloc[0]) == n_hex
    first = next(o for o in options if o.startswith("Kluster"))
    at.selectbox(key="pick_candidate").set_value(options.index(first))
    at.text_input(key="pick_name").input("Klusterområdet")
    next(b for b in at.button if b.label == "Skapa området").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with MeasureStore(store_path) as s:
        areas = s.list_areas().set_index("name")
    assert sorted(areas.index) == ["Hotspoten", "Klusterområdet"]
    assert areas.loc["Klusterområdet", "source_cluster"] is not None


def test_karta_period_gives_change_against_previous(store_path: Path) -> None:
    import datetime as dt

    at = _app()
    total = _metric(at, "Antal händelser")
    assert any(c.value.startswith("Hela tiden: 1 januari 2024 – ") for c in at.sidebar.caption)
    at.date_input(key="period").set_value((dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    at.radio(key="district_measure").set_value("change")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # the picker sits in a popover: the chosen period is written under its button
    assert "Vald period: 1 januari 2025 – 31 december 2025" in [c.value for c in at.sidebar.caption]
    in_2025 = _metric(at, "Antal händelser")
    assert 0 < in_2025 < total
    table = _district_table(at)
    assert _num(table.loc["Hela kommunen", "Antal händelser"]) == in_2025
    # the comparison is the 365 days before (2024-01-02 .. 2024-12-31: 2024 is a leap year),
    # so it holds all of 2024's incidents but those of 1 January
    previous = _num(table.loc["Hela kommunen", "Antal föregående period"])
    assert 0.99 * (total - in_2025) < previous <= total - in_2025
    assert "Förändring (%)" in table.columns
    assert not any("Förändring kräver en period" in i.value for i in at.info)


# ----------------------------------------------------------------------------- trend and attention

#: What a missing or raw value must never look like in a table the coordinator reads.
RAW_VALUES = {"None", "nan", "NaN", "<NA>", "NaT", "True", "False", "inf"}


def _cells(at: AppTest) -> list[str]:
    return [str(v) for t in shown_tables(at) for col in t.columns for v in t[col].tolist()]


def test_karta_trend_panel_this_period_against_the_year_before(store_path: Path) -> None:
    import datetime as dt

    at = _app()
    total = _metric(at, "Antal händelser")
    at.date_input(key="period").set_value((dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    in_2025 = _metric(at, "Antal händelser")
    months = _frame(at, "Månad")
    assert list(months["Månad"]) == [f"{m} 2025" for m in (
        "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
        "oktober", "november", "december")]
    now = months["Perioden"].map(_num)
    before = months["Året innan"].map(_num)
    # every month of Exempelkommun has enough incidents: all shown, and they add up
    assert now.notna().all() and before.notna().all()
    assert int(now.sum()) == in_2025
    assert int(before.sum()) == total - in_2025  # the data are 2024 and 2025
    change = months["Förändring"].map(_num)
    assert (change == now - before).all()
    assert set(months["Bedömning"]) <= {"säkerställd ökning", "säkerställd minskning",
                                         "ingen säkerställd förändring"}
    cats = _frame(at, "Kategori")
    assert "Våld och hot" in set(cats["Kategori"]) and int(cats["Perioden"].map(_num).sum()) == in_2025
    districts = _frame(at, "Distrikt")
    assert len(districts) >= 10
    # the month chart: Swedish month names in order, a bar per month and period whose
    # tooltip gives the table's count
    [(bars, texts)] = svg_charts(at)
    short = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    assert [t for t in texts if t.endswith(" 2025")] == [f"{m} 2025" for m in short]
    assert bars == [f"{m} 2025, {series}: {v}" for m, now_v, before_v in
                    zip(short, months["Perioden"], months["Året innan"], strict=True)
                    for series, v in (("Perioden", now_v), ("Året innan", before_v))]
    assert texts[-2:] == ["Perioden", "Året innan"]  # the legend
    # the number columns are aligned right, the text columns left
    assert months.attrs["right"] == ["Perioden", "Året innan", "Förändring", "Förändring (%)"]
    assert any("jämfört med samma period året innan" in c.value for c in at.caption)


def test_karta_tables_share_one_style_sheet(store_path: Path) -> None:
    # every style sheet added to a page makes the browser restyle the whole page: the
    # Karta's four tables are drawn with one, put in once and not drawn itself
    at = _app()
    assert not at.exception and not at.error, [e.value for e in at.error]
    bodies = [h.value for h in at.get("html")]
    sheets = [b for b in bodies if "<style" in b]
    tables = [b for b in bodies if "<table" in b]
    assert len(sheets) == 1 and sheets[0].startswith("<style>") and sheets[0].endswith("</style>")
    assert ".lb-table" in sheets[0] and "<table" not in sheets[0]
    assert len(tables) == 4 and all('class="lb-table"' in b for b in tables)


def test_karta_trend_hides_small_counts_and_says_so(store_path: Path) -> None:
    import datetime as dt

    at = _app()
    at.date_input(key="period").set_value((dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    at.multiselect(key="categories").select("vapen")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    months = _frame(at, "Månad")
    shown = [v for col in ("Perioden", "Året innan") for v in months[col]]
    numbers = [n for n in map(_num, shown) if n is not None]
    assert not [n for n in numbers if 0 < n < 3]  # nothing below min_count is shown
    assert "för få fall" in shown  # and a hidden month says why
    hidden = months["Perioden"] == "för få fall"
    assert (months.loc[hidden, "Förändring"] == "–").all()
    # the chart leaves a gap where the table hides a count: a bar only for a shown count
    [(bars, _)] = svg_charts(at)
    short = {f"{m} 2025": f"{m[:3]} 2025" for m in (
        "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
        "oktober", "november", "december")}
    short["maj 2025"] = "maj 2025"
    assert bars == [f"{short[label]}, {series}: {v}"
                    for label, now_v, before_v in zip(months["Månad"], months["Perioden"], months["Året innan"],
                                                      strict=True)
                    for series, v in (("Perioden", now_v), ("Året innan", before_v)) if _num(v) is not None]
    assert not RAW_VALUES & set(_cells(at))


def test_karta_trend_without_a_year_before(store_path: Path) -> None:
    import datetime as dt

    at = _app()
    at.date_input(key="period").set_value((dt.date(2024, 3, 1), dt.date(2024, 6, 30)))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("räcker inte ett år bakåt" in c.value for c in at.caption)
    months = _frame(at, "Månad")
    assert list(months["Månad"]) == ["mars 2024", "april 2024", "maj 2024", "juni 2024"]
    assert set(months["Året innan"]) == {"–"} and set(months["Bedömning"]) == {"–"}
    assert not any("säkerställd ökning" in m.value for m in at.markdown)  # no rise against nothing


def test_karta_attention_lists_overdue_follow_up(store_path: Path) -> None:
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Centrum", geometry=AREA)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["vald"], status="pågående",
                      start_date="2025-01-01", next_followup="2025-06-01")
        s.add_measure(area_id=a.id, title="Klar åtgärd", target_categories=["vald"], status="genomförd",
                      start_date="2025-01-01", next_followup="2025-06-01")
        s.add_measure(area_id=a.id, title="Kommande", target_categories=["vald"], status="planerad",
                      next_followup="2099-01-01")
    at = _app()
    text = [m.value for m in at.markdown]
    overdue = [t for t in text if "Uppföljningen av åtgärden" in t]
    assert len(overdue) == 1
    assert "Belysning" in overdue[0] and "Centrum" in overdue[0] and "1 juni 2025" in overdue[0]
    assert "dagar sedan" in overdue[0]
    # the other kinds: emerging hotspots (Exempelkommun has new and consecutive ones)
    assert any("hotspot" in t.lower() and "hexagon" in t for t in text)


def test_pages_show_swedish_tables_without_raw_values(store_path: Path) -> None:
    with MeasureStore(store_path, user="anna") as s:
        a = s.add_area(name="Centrum", geometry=AREA)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["vald", "ran"],
                      start_date="2025-01-01")  # no end date, no follow-up date, no cost
    at = _app()
    at.toggle(key="show_small").set_value(True)
    at.run()
    cells = _cells(at)
    assert cells and not RAW_VALUES & set(cells)
    assert not [c for c in cells if "." in c and c.replace(".", "").isdigit()]  # no decimal points
    for m in at.metric:  # thousands with a no-break space
        digits = str(m.value).replace("\u00a0", "")
        assert not digits.isdigit() or int(digits) < 1000 or "\u00a0" in str(m.value), m.value
    for page in ("atgardsplan", "uppfoljning", "data"):
        at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        cells = _cells(at)
        assert not RAW_VALUES & set(cells), (page, sorted(RAW_VALUES & set(cells)))
    at.switch_page("app_pages/atgardsplan.py")
    at.run()
    row = at.dataframe[0].value.iloc[0]
    assert row["Start"] == "1 januari 2025" and row["Slut"] == "–" and row["Nästa uppföljning"] == "–"


def test_upprepning_page_knox_and_risk_zones(store_path: Path) -> None:
    at = _app("upprepning")
    assert not at.exception and not at.error, [e.value for e in at.error]
    html = " ".join(h.value for h in at.get("html"))
    assert 'class="knox"' in html and "Bostadsinbrott" in html
    at.toggle(key="nr_show_zones").set_value(True)
    at.run()
    assert not at.exception and not at.error
    # Exempelkommun's burglaries show no near-repeat pattern: no zones, and the page says so
    assert any("Inga riskzoner just nu" in i.value for i in at.info)
    at.selectbox(key="nr_category").set_value("vapen")
    at.select_slider(key="nr_step_m").set_value(500)
    at.run()
    assert not at.exception and not at.error
    assert "Vapen" in " ".join(h.value for h in at.get("html"))
    at.selectbox(key="nr_category").set_value("trafik")  # none in Exempelkommun
    at.run()
    assert not at.exception and not at.error
    assert any("För få händelser i kategorin Trafikbrott" in i.value for i in at.info)



def _police_feed_in_use(districts: bytes | None = None) -> AppTest:
    """The app on the Data page with 20 of the police feed's events in Lysekil (no exact
    positions: the kommun's centre) uploaded and in use, with ``districts`` (GeoJSON) if given."""
    events = [{"id": 100 + k, "datetime": f"2025-03-{1 + k:02d} 12:30:00 +01:00",
               "name": f"{1 + k} mars 11.{k:02d}, Inbrott, Lysekil",
               "summary": "Inbrott i villa i Brastad." if k < 5 else "Inbrott i villa.",
               "url": f"/aktuellt/handelser/2025/mars/{1 + k}/x/", "type": "Inbrott",
               "location": {"name": "Lysekil", "gps": "58.274,11.435"}} for k in range(20)]
    at = _app("data")
    at.file_uploader[0].set_value([("polisen.json", json.dumps(events, ensure_ascii=False).encode("utf-8"),
                                    "application/json")])
    if districts is not None:
        at.file_uploader[1].set_value(("regso.geojson", districts, "application/geo+json"))
    at.run()
    next(b for b in at.button if b.label == "Använd de uppladdade filerna").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upprepning_page_says_the_police_feed_has_no_positions(store_path: Path) -> None:
    """The police feed alone has only kommun centres: no category can be tested, so the page
    says that instead of "choose another category" (which a coordinator tried one by one)."""
    at = _police_feed_in_use()
    at.switch_page("app_pages/upprepning.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    infos = " ".join(i.value for i in at.info)
    assert "Ingen händelse i de data du använder har en exakt position" in infos, infos
    assert "Välj en annan kategori" not in infos


def test_omraden_with_the_police_feed_explains_the_area_count(store_path: Path) -> None:
    """An area made from a RegSO of the police feed's data showed "0 händelser" over an empty
    table (Streamlit's English "empty") while the district table counted its events by name;
    and the RegSO was offered as "DeSO RegSO-…". Now the candidate is named by its kind, and
    the page says why a drawn area counts none of the feed's events."""
    regso = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"regsokod": code, "regsonamn": name},
         "geometry": {"type": "Polygon", "coordinates": [[[x, 58.2], [x + 0.1, 58.2], [x + 0.1, 58.4],
                                                          [x, 58.4], [x, 58.2]]]}}
        for code, name, x in (("1484R001", "RegSO-Brastad", 11.3), ("1484R002", "RegSO-Lysekil centrum", 11.4))]}
    at = _police_feed_in_use(json.dumps(regso, ensure_ascii=False).encode("utf-8"))
    at.switch_page("app_pages/omraden.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    pick = at.selectbox(key="pick_candidate")
    labels = list(pick.options)  # as shown (AppTest gives the formatted options)
    assert labels == ["RegSO-Brastad (1484R001)", "RegSO-Lysekil centrum (1484R002)"], labels
    next(b for b in at.button if b.label == "Skapa området").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = " ".join(c.value for c in at.caption)
    assert "Händelserna i underlaget har ingen exakt position" in captions, captions
    assert not [d for d in at.dataframe if "Antal i området" in d.value.columns]
