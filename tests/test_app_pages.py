"""AppTest of the pages that show the lägesbild itself (Karta, Uppföljning, Export) on Exempelkommun."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
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


def test_karta_filters_change_figures(store_path: Path) -> None:
    at = _app()
    total = _metric(at, "Antal händelser")
    assert total > 1000
    assert _metric(at, "Hotspots (hexagoner)") > 0
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
    table = at.dataframe[0].value.set_index("Kod")
    assert table.loc["_total", "Distrikt"] == "Hela kommunen"
    assert int(table.loc["_total", "Antal händelser"]) == evening
    # privacy by default: no district shows a count below min_count (3) unless asked for
    shown = pd.to_numeric(table["Antal händelser"], errors="coerce").dropna()
    assert not ((shown > 0) & (shown < 3)).any()
    hidden = table["Antal händelser"].isna()
    assert hidden.any() and (table.loc[hidden, "Anmärkning"] == "för få fall för att visas").all()
    at.toggle(key="show_small").set_value(True)
    at.run()
    raw = at.dataframe[0].value.set_index("Kod")["Antal händelser"]
    assert raw.notna().all() and ((raw > 0) & (raw < 3)).any()
    assert int(raw.drop("_total").sum()) <= evening


def test_karta_layers_and_district_measure(store_path: Path) -> None:
    at = _app()
    at.multiselect(key="layers").set_value(["clusters", "emerging", "districts", "survey"])
    at.radio(key="district_measure").set_value("per_1000")
    at.run()
    assert not at.exception and not at.error
    total = _metric(at, "Antal händelser")
    hot9 = _metric(at, "Hotspots (hexagoner)")
    at.select_slider(key="resolution").set_value(8)
    at.run()
    assert not at.exception and not at.error
    # bigger hexagons: the same incidents, fewer (and different) hot cells
    assert _metric(at, "Antal händelser") == total
    assert _metric(at, "Hotspots (hexagoner)") < hot9


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
    whole_rest = _int(table["Före"].iloc[2])
    # a saved area as the comparison instead of the rest of the kommun (beyond the buffer)
    with MeasureStore(store_path, user="anna") as s:
        ctrl = s.add_area(name="Norr", geometry={"type": "Polygon", "coordinates": [[
            [17.05, 59.43], [17.20, 59.43], [17.20, 59.45], [17.05, 59.45], [17.05, 59.43]]]})
    at.run()
    at.selectbox(key="fu_control").set_value(ctrl.id)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert 0 < _int(at.dataframe[0].value["Före"].iloc[2]) < whole_rest


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


def test_export_then_import_police_package(store_path: Path) -> None:
    at = _app("export")
    at.radio(key="export_kind").set_value("zip")
    next(b for b in at.button if b.label == "Skapa filen").click()
    at.run()
    _, data, _ = at.session_state["export_file"]
    at.file_uploader(key="police_upload").set_value(("polisens_paket.zip", data, "application/zip"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table.index) == ["Kommunen (vår)", "Importerat paket"]
    # our own package read back: the same hot cells and districts on both sides
    assert table["Hotspots (hexagoner)"].nunique() == 1
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
    at.date_input(key="period").set_value((dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    at.radio(key="district_measure").set_value("change")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    in_2025 = _metric(at, "Antal händelser")
    assert 0 < in_2025 < total
    table = at.dataframe[0].value.set_index("Kod")
    assert int(table.loc["_total", "Antal händelser"]) == in_2025
    # the comparison is the 365 days before (2024-01-02 .. 2024-12-31: 2024 is a leap year),
    # so it holds all of 2024's incidents but those of 1 January
    previous = int(table.loc["_total", "Antal föregående period"])
    assert 0.99 * (total - in_2025) < previous <= total - in_2025
    assert "Förändring (%)" in table.columns
    assert not any("Förändring kräver en period" in i.value for i in at.info)
