"""The Streamlit app, page by page, with streamlit.testing.v1.AppTest on Exempelkommun.

The map component is inert in AppTest; a drawing is injected by patching
``streamlit_folium.st_folium`` (the name every page imports).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
from app_tables import html_tables
from pg_cluster import PrivateCluster
from streamlit.testing.v1 import AppTest

from lagesbild_geo.measures import MeasureStore

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "apps" / "lagesbild_app.py")

POLYGON = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[17.10, 59.37], [17.12, 59.37], [17.12, 59.38], [17.10, 59.38],
                         [17.10, 59.37]]],
    },
}


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(path))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_USER", "testaren")
    return path


def _app(page: str | None = None, *, secrets: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if secrets:
        at.secrets.update(secrets)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _draw(monkeypatch: pytest.MonkeyPatch, feature: dict[str, Any] | None) -> None:
    import streamlit_folium

    value = ({"all_drawings": [feature], "last_active_drawing": feature} if feature
             else {"all_drawings": None, "last_active_drawing": None})
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: value)


def _sign_in(at: AppTest, user: str, password: str, *, then: str | None = None) -> None:
    """Fill in and send the sign-in form; then open the page ``then``, if given."""
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    if then:
        at.switch_page(f"app_pages/{then}.py")
        at.run()


def _button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; have {[b.label for b in at.button]}"
    return matches[0]


def _use_uploads_and_open_karta(at: AppTest) -> AppTest:
    """Click "Använd de uppladdade filerna" on the Data page, then open the Karta."""
    _button(at, "Använd de uppladdade filerna").click()
    at.run()
    _no_exception(at)
    at.switch_page("app_pages/karta.py")
    at.run()
    _no_exception(at)
    return at


def _karta_with_upload(name: str, data: bytes, mime: str) -> AppTest:
    """The Karta after uploading one incident file on the Data page and using it."""
    at = _app("data")
    at.file_uploader[0].set_value([(name, data, mime)])
    at.run()
    return _use_uploads_and_open_karta(at)


# ----------------------------------------------------------------------------- Områden


@pytest.mark.slow
def test_omraden_saves_drawn_area_with_measure(store_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, POLYGON)
    at = _app("omraden")
    _no_exception(at)
    at.text_input(key="new_area_name").input("Torget")
    at.text_input(key="new_area_m_title").input("Bättre belysning")
    at.multiselect(key="new_area_m_cats").select("skadegorelse")
    _button(at, "Spara området").click()
    at.run()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    with MeasureStore(store_path) as s:
        areas = s.list_areas()
        measures = s.list_measures()
    assert list(areas["name"]) == ["Torget"]
    assert list(measures["title"]) == ["Bättre belysning"]
    assert list(measures.iloc[0]["target_categories"]) == ["skadegorelse"]
    assert measures.iloc[0]["created_by"] == "testaren"  # the audit trail names the user


def test_omraden_refuses_measure_without_target_category(store_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, POLYGON)
    at = _app("omraden")
    at.text_input(key="new_area_name").input("Torget")
    at.text_input(key="new_area_m_title").input("Väktare")
    _button(at, "Spara området").click()
    at.run()
    _no_exception(at)
    assert any("målkategori" in e.value for e in at.error)
    with MeasureStore(store_path) as s:
        assert len(s.list_areas()) == 0  # all or nothing
        assert len(s.list_measures()) == 0


def test_omraden_add_measure_to_saved_area(store_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        area = s.add_area(name="Stationen", geometry=POLYGON["geometry"])
    at = _app("omraden")
    _no_exception(at)
    # without a category: refused
    at.text_input(key="add_m_title").input("Kameror")
    _button(at, "Spara åtgärden").click()
    at.run()
    assert any("målkategori" in e.value for e in at.error)
    at.text_input(key="add_m_title").input("Kameror")
    at.multiselect(key="add_m_cats").select("ran").select("vald")
    _button(at, "Spara åtgärden").click()
    at.run()
    _no_exception(at)
    with MeasureStore(store_path) as s:
        m = s.list_measures()
    assert list(m["area_id"]) == [area.id]
    assert sorted(m.iloc[0]["target_categories"]) == ["ran", "vald"]


def test_omraden_edit_conflict_is_friendly(store_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        area = s.add_area(name="Stationen", geometry=POLYGON["geometry"])
        m = s.add_measure(area_id=area.id, title="Kameror", target_categories=["ran"])
    at = _app("omraden")
    # someone else saves first
    with MeasureStore(store_path, user="bo") as s:
        s.update_measure(m.id, {"status": "pågående"}, expected_version=1)
    at.text_input(key=f"edit_{m.id}_title").input("Fler kameror")
    _button(at, "Spara ändringar").click()
    at.run()
    _no_exception(at)
    assert any("Någon annan har sparat" in e.value for e in at.error)
    with MeasureStore(store_path) as s:
        assert s.get_measure(m.id).title == "Kameror"


def test_reader_cannot_edit(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, POLYGON)
    secrets = {"lagesbild": {"passwords": {"redaktör": "r-hemligt", "läsare": "l-hemligt"}}}
    at = _app(secrets=secrets)
    _no_exception(at)
    assert at.text_input  # sign-in form
    _sign_in(at, "Lisa", "fel")
    assert any("Fel lösenord" in e.value for e in at.error)
    _sign_in(at, "Lisa", "l-hemligt", then="omraden")
    _no_exception(at)
    assert any("läsare" in i.value for i in at.info)
    assert not [t for t in at.text_input if t.key == "new_area_name"]


# ----------------------------------------------------------------------------- Åtgärdsplan


def test_atgardsplan_filters_and_history(store_path: Path) -> None:
    with MeasureStore(store_path, user="anna") as s:
        area = s.add_area(name="Stationen", geometry=POLYGON["geometry"])
        m1 = s.add_measure(area_id=area.id, title="Kameror", target_categories=["ran"])
        s.add_measure(area_id=area.id, title="Belysning", target_categories=["skadegorelse"],
                      status="pågående")
        s.update_measure(m1.id, {"title": "Fler kameror"}, expected_version=1, user="bo")
    at = _app("atgardsplan")
    _no_exception(at)
    assert len(at.dataframe[0].value) == 2
    at.multiselect(key="plan_cats").select("ran")
    at.run()
    assert list(at.dataframe[0].value["Åtgärd"]) == ["Fler kameror"]
    at.multiselect(key="plan_status").select("pågående")
    at.run()
    # no measure left: a Swedish line instead of an empty table (Streamlit's English "empty")
    assert any("Ingen åtgärd stämmer med filtret" in c.value for c in at.caption)
    assert len(at.dataframe) == 1  # only the history below
    at.selectbox(key="plan_history").select(m1.id)
    at.run()
    hist = at.dataframe[-1].value
    assert list(hist["Vem"]) == ["anna", "bo"]
    assert "Fler kameror" in hist["Ändring"].iloc[1]


# ----------------------------------------------------------------------------- Data

GOOD_CSV = (
    "Ärendenummer;Datum;Tid;Kategori;Lat;Long\n"
    "K1;2024-03-01;22:10;Misshandel;59,37;17,10\n"
    "K2;2024-03-02;01:15;Klotter;59,371;17,101\n"
    "K3;;12:00;Stöld;59,372;17,102\n"  # no date: rejected (an empty time alone is kept at the date)
).encode("cp1252")


def test_data_upload_shows_report_and_survives_bad_file(store_path: Path) -> None:
    at = _app("data")
    _no_exception(at)
    up = at.file_uploader[0]
    up.set_value([("trasig.xlsx", b"this is not an excel file", "application/octet-stream")])
    at.run()
    _no_exception(at)
    assert any("trasig.xlsx" in e.value for e in at.error)  # friendly, no traceback
    assert "Traceback" not in " ".join(e.value for e in at.error)
    at.file_uploader[0].set_value([("handelser.csv", GOOD_CSV, "text/csv")])
    at.run()
    _no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rader"] == "3"
    assert metrics["Placerade"] == "2"
    assert metrics["Avvisade"] == "1"
    assert at.get("download_button")  # the rejected rows can be downloaded
    # recognised columns are shown and can be corrected
    lat_key = next(k for k in (s.key for s in at.selectbox) if k.endswith("_lat"))
    lon_key = next(k for k in (s.key for s in at.selectbox) if k.endswith("_lon"))
    assert at.selectbox(key=lat_key).value == "Lat"
    assert at.selectbox(key=lon_key).value == "Long"
    # point the time role at the wrong column: no time can be read, nothing is placed
    time_key = next(k for k in (s.key for s in at.selectbox) if k.endswith("_time"))
    assert at.selectbox(key=time_key).value == "Tid"
    assert _reread_with(at, time_key, "Kategori")["Placerade"] == "0"
    assert any("tiden kan inte tolkas" in str(d.value.to_dict()) for d in at.dataframe)
    assert _reread_with(at, time_key, "Tid")["Placerade"] == "2"  # and back
    _button(at, "Använd de uppladdade filerna").click()
    at.run()
    _no_exception(at)
    assert at.session_state["sources"][0].name == "handelser.csv"


def test_data_upload_of_an_aggregated_table_counts_its_rows_when_the_count_column_is_chosen(
        store_path: Path) -> None:
    at = _app("data")
    table = ("Datum;Tid;Kategori;Lat;Long;Antal\n2025-03-01;12:00;Stöld;59.40;17.10;3\n"
             "2025-03-02;13:00;Rån;59.41;17.11;2\n").encode()
    at.file_uploader[0].set_value([("sammanstallning.csv", table, "text/csv")])
    at.run()
    _no_exception(at)
    assert {m.label: m.value for m in at.metric}["Rader"] == "2"
    # the reader's note in Swedish, saying what to do in the app
    assert not any("looks like a number of incidents per row" in w.value for w in at.warning)
    assert any("Anmärkningar från inläsningen" in w.value and "kolumnen ”Antal” ser ut att ange "
               "antal händelser per rad" in w.value and "Antal per rad \\(sammanställd tabell\\)" in w.value
               for w in at.warning)
    count_key = next(k for k in (s.key for s in at.selectbox) if k.endswith("_count"))
    assert at.selectbox(key=count_key).label == "Antal per rad (sammanställd tabell)"
    metrics = _reread_with(at, count_key, "Antal")
    assert (metrics["Rader"], metrics["Placerade"]) == ("5", "5")


def _upload_points(at: AppTest, name: str, crs: int, corner: tuple[float, float], cols: tuple[str, str]) -> None:
    """Upload 40 incidents on a grid of 40 H3 cells from ``corner`` (lon, lat), their
    coordinates written in ``crs`` under the columns ``cols`` (easting's, northing's)."""
    from pyproj import Transformer

    lon = [corner[0] + k % 8 / 100 for k in range(40)]
    lat = [corner[1] + k // 8 / 100 for k in range(40)]
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    table = f"Datum;Tid;Brottstyp;{cols[0]};{cols[1]}\n" + "".join(
        f"2025-03-{1 + i % 28:02d};12:00;Stöld;{a:.1f};{b:.1f}\n" for i, (a, b) in enumerate(zip(x, y, strict=True)))
    at.file_uploader[0].set_value([(name, table.encode(), "text/csv")])
    at.run()
    _no_exception(at)


def _file_metrics(at: AppTest) -> list[str]:
    """"Placerade" and "Avvisade" of the last staged incident file."""
    return [[m.value for m in at.metric if m.label == k][-1] for k in ("Placerade", "Avvisade")]


def test_data_upload_of_a_qgis_csv_with_wkt_is_placed_and_said_in_swedish(store_path: Path) -> None:
    """A layer saved from QGIS as CSV (its geometry as WKT text) was 'no location' on every row."""
    rows = "".join(f'"POINT ({619689 + 40 * k} {6582861 + 30 * k})",2025-03-{1 + k % 28:02d} 12:00,Stöld\n'
                   for k in range(30))
    at = _app("data")
    at.file_uploader[0].set_value([("qgis.csv", ("WKT,Datum,Brottstyp\n" + rows).encode(), "text/csv")])
    at.run()
    _no_exception(at)
    assert _file_metrics(at) == ["30", "0"]
    assert any("platserna lästes ur geometrin som text" in w.value and "kolumnen ”WKT”" in w.value
               for w in at.warning)
    # no coordinate columns, yet the coordinate system can be named (a local zone, Web Mercator)
    assert [s.value for s in at.selectbox if s.label == "Koordinatsystem"] == [""]


def test_karta_says_a_filter_by_hour_leaves_out_dates_without_a_time(store_path: Path) -> None:
    """Rows with a date but an empty time are kept at their date; the hour filter cannot include
    them, and the Karta says so in words (no count)."""
    rows = "".join(f"2025-03-{1 + k % 28:02d};{'' if k % 4 == 0 else '12:00'};Stöld;59,37;17,1{k % 10}\n"
                   for k in range(40))
    at = _karta_with_upload("utan_tid.csv", ("Datum;Tid;Kategori;Lat;Long\n" + rows).encode(), "text/csv")
    note = "Händelser med bara datum (utan klockslag) eller bara månad räknas inte när du väljer tid på dygnet"
    assert not any(note in c.value for c in at.caption)  # the whole day: every row counts
    at.slider(key="hours").set_value((6, 18))
    at.run()
    _no_exception(at)
    assert any(note in c.value for c in at.caption)


def test_data_upload_in_web_mercator_is_placed_once_its_crs_is_chosen(store_path: Path) -> None:
    """Numbers in no Swedish CRS (an export from a web map) are rejected with that reason; the
    coordinator chooses the CRS on the Data page (the command line's --crs) and the picture
    counts them."""
    at = _app("data")
    _upload_points(at, "webbkarta.csv", 3857, (17.0, 59.4), ("X", "Y"))
    assert _file_metrics(at) == ["0", "40"]
    assert any("koordinaterna passar inget svenskt koordinatsystem (ange vilket)" in str(d.value.to_dict())
               for d in at.dataframe)
    assert any("välj det under ”Koordinatsystem” för filen" in w.value for w in at.warning)
    box = next(s for s in at.selectbox if s.label == "Koordinatsystem")
    assert box.value == "" and "Web Mercator (webbkartor, EPSG:3857)" in box.options
    box.set_value("EPSG:3857")
    at.run()
    _no_exception(at)
    assert _file_metrics(at) == ["40", "0"]
    assert next(s for s in at.selectbox if s.label == "Koordinatsystem").value == "EPSG:3857"
    _use_uploads_and_open_karta(at)
    assert next(m.value for m in at.metric if m.label == "Antal händelser") == "40"


def test_data_upload_in_a_local_zone_the_values_cannot_tell_asks_for_the_zone(store_path: Path) -> None:
    """A kommun's GIS export in SWEREF 99 18 00: six zones fit the values. The page says so in
    Swedish and offers the zones; the one chosen places the rows."""
    at = _app("data")
    _upload_points(at, "gis_1800.csv", 3011, (18.0, 59.3), ("Ost", "Nord"))
    (err,) = [e.value for e in at.error if "gis_1800.csv" in e.value]
    assert "ser ut att vara i en lokal SWEREF 99-zon" in err and "Välj zonen under ”Koordinatsystem”" in err
    assert "engelska" not in err
    box = next(s for s in at.selectbox if s.label == "Koordinatsystem")
    assert "SWEREF 99 18 00 (lokal zon, EPSG:3011)" in box.options
    box.set_value("EPSG:3011")
    at.run()
    _no_exception(at)
    assert not [e.value for e in at.error if "gis_1800.csv" in e.value]
    assert _file_metrics(at) == ["40", "0"]
    assert not _button(at, "Använd de uppladdade filerna").disabled


def test_a_district_shapefile_without_its_prj_in_a_local_zone_asks_for_the_zone(store_path: Path,
                                                                                 tmp_path: Path) -> None:
    """Stadsdelar exported in SWEREF 99 18 00 as a zipped shapefile without its .prj: six zones
    fit the values. The page says so in Swedish and offers the zones (the command line's
    --districts-crs); with the zone chosen the layer is read and used by the build."""
    import io
    import zipfile

    import geopandas as gpd
    import shapely

    d = gpd.GeoDataFrame({"kod": ["S1", "S2"], "namn": ["Norr", "Söder"]},
                         geometry=[shapely.box(18.0, 59.34, 18.08, 59.38), shapely.box(18.0, 59.3, 18.08, 59.34)],
                         crs=4326).to_crs(3011)
    d.to_file(tmp_path / "stadsdelar.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in (".shp", ".shx", ".dbf"):  # no .prj
            z.write(tmp_path / f"stadsdelar{ext}", f"stadsdelar{ext}")
    at = _app("data")
    {u.label: u for u in at.file_uploader}["Områdesindelning (DeSO, stadsdelar)"].set_value(
        ("stadsdelar.zip", buf.getvalue(), "application/zip"))
    at.run()
    _no_exception(at)
    (err,) = [e.value for e in at.error if "stadsdelar" in e.value]
    assert "anger inget koordinatsystem" in err and "Välj zonen under ”Koordinatsystem”" in err, err
    assert "engelska" not in err
    box = next(s for s in at.selectbox if s.label == "Koordinatsystem")
    box.set_value("EPSG:3011")
    at.run()
    _no_exception(at)
    assert not [e.value for e in at.error if "stadsdelar" in e.value]
    assert any("stadsdelar.zip – 2 områden" in m.value for m in at.markdown), [m.value for m in at.markdown]
    _upload_points(at, "brott.csv", 3006, (18.0, 59.3), ("Ost", "Nord"))
    _use_uploads_and_open_karta(at)
    assert next(m.value for m in at.metric if m.label == "Antal händelser") == "40"


def test_the_zone_chosen_for_a_district_layer_reaches_the_build() -> None:
    sys.path.insert(0, str(ROOT / "apps"))
    import app_sources

    inc = app_sources.Source(kind="incidents", path="b.csv", sha256="1", name="b.csv")
    lay = app_sources.Source(kind="districts", path="s.zip", sha256="2", name="s.zip")
    assert app_sources.pipeline_config((inc, lay), 9).district_options == {}
    chosen = app_sources.with_crs(lay, "EPSG:3011")
    assert app_sources.pipeline_config((inc, chosen), 9).district_options == {"crs": "EPSG:3011"}
    assert app_sources.pipeline_config((inc, chosen), 9).incidents[0].crs is None  # the layer's alone


def test_data_upload_in_a_local_zone_is_told_by_the_kommun_boundary_uploaded(store_path: Path) -> None:
    """With the kommun's boundary uploaded (here SCB's file of every kommun, Stockholm chosen),
    the page reads the file as the build does: the zone that puts the points in the kommun."""
    import geopandas as gpd
    import shapely

    kommuner = gpd.GeoDataFrame({"KnKod": ["0180", "0114"], "KnNamn": ["Stockholm", "Upplands Väsby"]},
                                geometry=[shapely.box(17.95, 59.25, 18.15, 59.4), shapely.box(17.8, 59.45, 18.0, 59.55)],
                                crs=4326)
    at = _app("data")
    {u.label: u for u in at.file_uploader}["Kommungräns"].set_value(
        ("kommuner.geojson", kommuner.to_json().encode(), "application/json"))
    at.run()
    next(s for s in at.selectbox if s.label.startswith("Kommun i kommuner.geojson")).set_value("0180")
    at.run()
    _upload_points(at, "gis_1800.csv", 3011, (18.0, 59.3), ("Ost", "Nord"))
    assert not [e.value for e in at.error if "gis_1800.csv" in e.value]
    assert _file_metrics(at) == ["40", "0"]
    assert next(s for s in at.selectbox if s.label == "Koordinatsystem").value == ""  # recognised


def test_data_upload_of_a_table_with_no_rows_says_so_and_is_not_used(store_path: Path) -> None:
    at = _app("data")
    at.file_uploader[0].set_value([("bara_rubrik.csv", b"Datum;Brottstyp;Omr\xc3\xa5de\n", "text/csv")])
    at.run()
    _no_exception(at)
    assert any("inga rader med händelser" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Använd de uppladdade filerna"]


def _reread_with(at: AppTest, key: str, column: str) -> dict[str, str]:
    """Choose ``column`` in the role box ``key``, read the file again: the page's figures."""
    at.selectbox(key=key).set_value(column)
    at.run()
    _button(at, "Läs om med de här kolumnerna").click()
    at.run()
    _no_exception(at)
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_omraden_delete_and_restore(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _draw(monkeypatch, None)
    with MeasureStore(store_path, user="anna") as s:
        area = s.add_area(name="Stationen", geometry=POLYGON["geometry"])
        m = s.add_measure(area_id=area.id, title="Kameror", target_categories=["ran"])
    at = _app("omraden")
    at.selectbox(key="edit_measure_pick").select(m.id)
    at.run()
    _button(at, "Ta bort åtgärden").click()
    at.run()
    _no_exception(at)
    with MeasureStore(store_path) as s:
        assert len(s.list_measures()) == 0
        assert s.history(m.id)["user"].tolist() == ["anna", "testaren"]
    _button(at, "Återställ åtgärden").click()
    at.run()
    _no_exception(at)
    with MeasureStore(store_path) as s:
        assert s.list_measures()["title"].tolist() == ["Kameror"]
    # an area with measures is refused with a friendly message; after removing it, restorable
    _button(at, "Ta bort området").click()
    at.run()
    _no_exception(at)
    assert at.error and "Traceback" not in at.error[0].value
    with MeasureStore(store_path) as s:
        s.delete_measure(m.id, user="anna")
    at.run()
    _button(at, "Ta bort området").click()
    at.run()
    with MeasureStore(store_path) as s:
        assert len(s.list_areas()) == 0
    _button(at, "Återställ").click()
    at.run()
    _no_exception(at)
    with MeasureStore(store_path) as s:
        assert s.list_areas()["name"].tolist() == ["Stationen"]


def test_oidc_login_is_offered_when_configured(store_path: Path) -> None:
    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                        "cookie_secret": "x" * 32, "client_id": "id", "client_secret": "s",
                        "server_metadata_url": "https://login.example.se/.well-known/openid-configuration"}}
    at = _app(secrets=secrets)
    _no_exception(at)
    assert [b.label for b in at.button] == ["Logga in"]
    assert [t.value for t in at.title] == ["Lägesbild – logga in"]  # no page before sign-in


def test_data_other_files_checked(store_path: Path) -> None:
    sample = ROOT / "sample_data" / "districts.geojson"
    if not sample.exists():
        pytest.skip("sample_data/ missing")
    at = _app("data")
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Områdesindelning (DeSO, stadsdelar)"].set_value(
        ("deso.geojson", sample.read_bytes(), "application/geo+json"))
    at.run()
    _no_exception(at)
    assert any("deso.geojson" in m.value and "områden" in m.value for m in at.markdown)
    # counts in Swedish: a no-break space between thousands
    rows = "".join(f"adress,Almvägen,{k},,645 33,Exempelstad,,{6583000 + k},620700\n" for k in range(1, 1201))
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Adressregister (för geokodning)"].set_value(
        ("adresser.csv", ("typ,gatunamn,husnummer,bokstav,postnummer,postort,platsnamn,nord,ost\n"
                          + rows).encode(), "text/csv"))
    at.run()
    _no_exception(at)
    assert any("adresser.csv – 1\xa0200 adresser" in m.value for m in at.markdown), [m.value for m in at.markdown]
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Trygghetsenkät (svar)"].set_value(("enkat.csv", b"\x00\x01 trasig", "text/csv"))
    at.run()
    _no_exception(at)
    assert any("enkat.csv" in e.value for e in at.error)


def _district_upload(at: AppTest, name: str, data: bytes) -> None:
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Områdesindelning (DeSO, stadsdelar)"].set_value((name, data, "application/json"))
    at.run()
    _no_exception(at)


def test_a_district_layer_of_many_kommuner_is_refused_in_swedish(store_path: Path) -> None:
    """The kommun layer (every kommun a polygon) or a national RegSO layer uploaded as the
    districts would make a picture of the whole country: refused, in Swedish, never used."""
    import geopandas as gpd
    import shapely

    boxes = [shapely.box(11 + k, 58, 11.5 + k, 58.5) for k in range(3)]
    kommuner = gpd.GeoDataFrame({"KnKod": ["0114", "0115", "0117"], "KnNamn": ["A", "B", "C"]},
                                geometry=boxes, crs=4326)
    regso = gpd.GeoDataFrame({"regsokod": ["0114R001", "0115R001", "0117R001"], "regsonamn": ["a", "b", "c"],
                              "kommunkod": ["0114", "0115", "0117"]}, geometry=boxes, crs=4326)
    at = _app("data")
    for name, layer in (("kommuner.geojson", kommuner), ("regso_sverige.geojson", regso)):
        _district_upload(at, name, layer.to_json().encode())
        errors = [e.value for e in at.error if name in e.value]
        assert errors and "delar in 3 kommuner" in errors[0], [e.value for e in at.error]
        assert "på engelska" not in errors[0] and "Traceback" not in errors[0]
        assert not any(name in m.value and "områden (" in m.value for m in at.markdown)
    # one kommun's RegSO is taken
    _district_upload(at, "regso.geojson", regso.iloc[:1].to_json().encode())
    assert any("regso.geojson – 1 områden" in m.value for m in at.markdown)


def test_a_district_layer_of_the_whole_country_is_narrowed_to_the_kommun_chosen(store_path: Path) -> None:
    """SCB publishes DeSO and RegSO for the whole country: the coordinator picks the kommun in
    the app (the command line's --kommun) instead of cutting the file in a GIS."""
    import json

    import geopandas as gpd
    import shapely

    boxes = [shapely.box(17.8 + k / 10, 59.4, 17.85 + k / 10, 59.45) for k in range(4)]
    regso = gpd.GeoDataFrame({"regsokod": ["0114R001", "0114R002", "0115R001", "0117R001"],
                              "regsonamn": ["Väsby centrum", "Runby", "Vallentuna C", "Österåker C"]},
                             geometry=boxes, crs=4326)
    at = _app("data")
    _district_upload(at, "regso_sverige.geojson", regso.to_json().encode())
    assert any("delar in 3 kommuner" in e.value and "Välj din kommun" in e.value for e in at.error)
    pick = [s for s in at.selectbox if s.label.startswith("Kommun i regso_sverige.geojson")]
    assert pick and pick[0].label == "Kommun i regso_sverige.geojson (3 kommuner i filen)"
    assert pick[0].options == ["Välj kommun …", "Upplands Väsby", "Vallentuna", "Österåker"]
    pick[0].set_value("0114")
    at.run()
    _no_exception(at)
    assert not [e.value for e in at.error if "regso_sverige" in e.value]
    assert any("regso_sverige.geojson – 2 områden i Upplands Väsby (av filens 4; 0 med befolkning)" in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    # the police feed of both kommuner: only Upplands Väsby's events are counted, in its districts
    events = [{"id": k, "datetime": f"2025-03-0{1 + k % 9} 12:00:00 +01:00",
               "name": f"0{1 + k % 9} mars 12.00, Misshandel, {kommun}", "summary": "Runby." if k % 2 else "",
               "url": "/", "type": "Misshandel", "location": {"name": kommun, "gps": "59.5,17.9"}}
              for k, kommun in enumerate(["Upplands Väsby"] * 6 + ["Vallentuna"] * 5)]
    at.file_uploader[0].set_value([("events.json", json.dumps(events).encode(), "application/json")])
    at.run()
    _use_uploads_and_open_karta(at)
    assert next((m.label, m.value) for m in at.metric) == ("Antal händelser", "6")
    assert not any("gäller" in i.value and "kommuner" in i.value for i in at.info)  # one kommun chosen


def test_a_boundary_file_of_every_kommun_is_narrowed_to_the_kommun_chosen(store_path: Path) -> None:
    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame({"KnKod": ["0117", "0114", "0115"], "KnNamn": ["Österåker", "Upplands Väsby", "Vallentuna"]},
                             geometry=[shapely.box(17.8 + k / 10, 59.4, 17.85 + k / 10, 59.45) for k in range(3)],
                             crs=4326)
    at = _app("data")
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Kommungräns"].set_value(("kommuner.geojson", layer.to_json().encode(), "application/json"))
    at.run()
    _no_exception(at)
    assert any("gränserna för 3 kommuner" in e.value and "Välj din kommun" in e.value for e in at.error)
    pick = [s for s in at.selectbox if s.label == "Kommun i kommuner.geojson (3 kommuner i filen)"]
    assert pick and pick[0].options == ["Välj kommun …", "Upplands Väsby", "Vallentuna", "Österåker"]
    pick[0].set_value("0115")
    at.run()
    _no_exception(at)
    assert not at.error
    assert any("kommuner.geojson – kommungräns för Vallentuna (av filens 3 kommuner)" in m.value for m in at.markdown)


def test_two_files_of_the_whole_country_are_narrowed_to_the_same_kommun(store_path: Path) -> None:
    """The kommun chosen in a national district layer is taken for a national boundary file;
    two different kommuner are refused in words (a build uses one kommun)."""
    import json

    import geopandas as gpd
    import shapely

    boxes = [shapely.box(17.8 + k / 10, 59.4, 17.85 + k / 10, 59.45) for k in range(3)]
    regso = gpd.GeoDataFrame({"regsokod": ["0114R001", "0115R001", "0117R001"],
                              "regsonamn": ["Runby", "Vallentuna C", "Österåker C"]}, geometry=boxes, crs=4326)
    kommuner = gpd.GeoDataFrame({"KnKod": ["0114", "0115", "0117"],
                                 "KnNamn": ["Upplands Väsby", "Vallentuna", "Österåker"]}, geometry=boxes, crs=4326)
    at = _app("data")
    _district_upload(at, "regso_sverige.geojson", regso.to_json().encode())
    next(s for s in at.selectbox if s.label.startswith("Kommun i regso_sverige")).set_value("0115")
    at.run()
    {u.label: u for u in at.file_uploader}["Kommungräns"].set_value(
        ("kommuner.geojson", kommuner.to_json().encode(), "application/json"))
    at.run()
    _no_exception(at)
    assert not at.error and not at.warning
    box = next(s for s in at.selectbox if s.label.startswith("Kommun i kommuner.geojson"))
    assert box.value == "0115"
    assert any("kommuner.geojson – kommungräns för Vallentuna (av filens 3 kommuner)" in m.value for m in at.markdown)
    events = [{"id": 1, "datetime": "2025-03-01 12:00:00 +01:00", "name": "01 mars 12.00, Rån, Vallentuna",
               "summary": "", "url": "/", "type": "Rån", "location": {"name": "Vallentuna", "gps": "59.5,18.0"}}]
    at.file_uploader[0].set_value([("events.json", json.dumps(events).encode(), "application/json")])
    at.run()
    assert not _button(at, "Använd de uppladdade filerna").disabled
    next(s for s in at.selectbox if s.label.startswith("Kommun i kommuner.geojson")).set_value("0117")
    at.run()
    _no_exception(at)
    assert [w.value for w in at.warning] == [
        "Filerna gäller olika kommuner: regso_sverige.geojson Vallentuna, kommuner.geojson Österåker. "
        "Välj samma kommun i listorna ovan; lägesbilden gäller en kommun."]
    assert _button(at, "Använd de uppladdade filerna").disabled


def test_a_zipped_shapefile_is_taken_as_districts_and_as_boundary(store_path: Path, tmp_path: Path) -> None:
    """A kommun's GIS hands out shapefiles: several files, uploaded as one zip."""
    import zipfile

    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame({"KOD": ["A1", "B2"], "NAMN": ["Västra", "Östra"]},
                             geometry=[shapely.box(660_000, 6_580_000, 661_000, 6_581_000),
                                       shapely.box(661_000, 6_580_000, 662_000, 6_581_000)], crs=3006)
    layer.to_file(tmp_path / "omraden.shp")
    with zipfile.ZipFile(tmp_path / "omraden.zip", "w") as z:
        for part in tmp_path.glob("omraden.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    data = (tmp_path / "omraden.zip").read_bytes()
    at = _app("data")
    assert any("ZIP (till exempel en shapefil" in c.value for c in at.caption)
    _district_upload(at, "omraden.zip", data)
    assert not at.error
    assert any("omraden.zip – 2 områden" in m.value for m in at.markdown), [m.value for m in at.markdown]
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Kommungräns"].set_value(("grans.zip", data, "application/zip"))
    at.run()
    _no_exception(at)
    assert not at.error
    assert any("grans.zip – kommungräns (polygon)" in m.value for m in at.markdown)
    # incidents too: a zipped point shapefile
    pts = gpd.GeoDataFrame({"datum": ["2025-03-01 12:00", "2025-03-02 13:00"], "brott": ["Rån", "Stöld"]},
                           geometry=[shapely.Point(660_500, 6_580_500), shapely.Point(661_500, 6_580_500)], crs=3006)
    pts.to_file(tmp_path / "handelser.shp")
    with zipfile.ZipFile(tmp_path / "handelser.zip", "w") as z:
        for part in tmp_path.glob("handelser.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    at.file_uploader[0].set_value([("handelser.zip", (tmp_path / "handelser.zip").read_bytes(), "application/zip")])
    at.run()
    _no_exception(at)
    # the staged file's figures come after those of the picture in use
    assert [[m.value for m in at.metric if m.label == k][-1] for k in ("Rader", "Placerade")] == ["2", "2"]


def test_population_per_deso_with_the_key_table_gives_regso_their_population(store_path: Path) -> None:
    """SCB's population is per DeSO; a RegSO layer has none: the app takes both tables (the
    command line's --population and --population-key)."""
    import json

    import geopandas as gpd
    import shapely

    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    regso = gpd.GeoDataFrame({"regsokod": ["0114R001", "0114R002"], "regsonamn": ["Väsby centrum", "Runby"]},
                             geometry=[shapely.box(17.9, 59.5, 17.95, 59.55), shapely.box(17.95, 59.5, 18.0, 59.55)],
                             crs=4326)
    population = "deso,folkmangd_2023\n0114C1010,1000\n0114C1020,500\n0114C1030,700\n"
    key = ("Kommun;Kommunnamn;DeSO;RegSO\n0114;Upplands Väsby;0114C1010;Väsby centrum\n"
           "0114;Upplands Väsby;0114C1020;Väsby centrum\n0114;Upplands Väsby;0114C1030;Runby\n")
    at = _app("data")
    _district_upload(at, "regso.geojson", regso.to_json().encode())
    uploads = {u.label.split(" (")[0]: u for u in at.file_uploader}
    uploads["Befolkning per område"].set_value(("befolkning.csv", population.encode(), "text/csv"))
    at.run()
    uploads = {u.label.split(" (")[0]: u for u in at.file_uploader}
    uploads["Kopplingstabell DeSO → RegSO"].set_value(("koppling.csv", key.encode("utf-8"), "text/csv"))
    at.run()
    _no_exception(at)
    assert not at.error
    assert any("befolkning.csv – 3 områden" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert any("koppling.csv – 3 rader" in m.value for m in at.markdown)
    events = [{"id": k, "datetime": "2025-03-01 12:00:00 +01:00", "name": "01 mars 12.00, Misshandel, Upplands Väsby",
               "summary": "Runby.", "url": "/", "type": "Misshandel",
               "location": {"name": "Upplands Väsby", "gps": "59.5,17.9"}} for k in range(4)]
    at.file_uploader[0].set_value([("events.json", json.dumps(events).encode(), "application/json")])
    at.run()
    _button(at, "Använd de uppladdade filerna").click()
    at.run()
    _no_exception(at)
    lb = app_state._build(tuple(at.session_state["sources"]), app_state.BASE_RESOLUTION)
    assert lb.districts["population"].to_dict() == {"0114R001": 1500.0, "0114R002": 700.0}


def test_an_upload_error_names_the_file_not_where_the_app_keeps_it(store_path: Path) -> None:
    at = _app("data")
    _district_upload(at, "tom.geojson", b"")
    errors = [e.value for e in at.error]
    assert errors and "tom.geojson" in errors[0]
    assert "lagesbild_upload" not in errors[0]
    assert "e3b0c44298fc1c14" not in errors[0]  # the content hash the stored name starts with


def test_police_feed_only_upload_shows_why_the_map_has_no_hexagons(store_path: Path) -> None:
    import json

    events = [{"id": k, "datetime": f"2025-03-0{1 + k % 9} 12:00:00 +01:00", "name": "x", "summary": "",
               "url": "/", "type": "Misshandel",
               "location": {"name": "Exempelkommun", "gps": "59.37,17.1"}} for k in range(40)]
    at = _karta_with_upload("events.json", json.dumps(events).encode(), "application/json")
    assert not at.error, [e.value for e in at.error]
    assert any("Ingen händelse har en punkt- eller adressposition" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Antal händelser"] == "40"


def test_police_feed_upload_report_names_its_levels_in_swedish(store_path: Path) -> None:
    """The Data page's "Placerade per precision" showed the feed's level ids "kommun" and
    "lan" (län without its ä), and "Avvisade per orsak" with no rejected row showed
    Streamlit's English "empty"."""
    import json

    events = [{"id": k, "datetime": f"2025-03-0{1 + k % 9} 12:00:00 +01:00",
               "name": f"{1 + k % 9} mars 11.00, Misshandel, {'Uppsala län' if k < 3 else 'Uppsala'}",
               "summary": "", "url": "/", "type": "Misshandel",
               "location": {"name": "Uppsala län" if k < 3 else "Uppsala", "gps": "59.86,17.64"}}
              for k in range(10)]
    at = _app("data")
    at.file_uploader[0].set_value([("events.json", json.dumps(events).encode(), "application/json")])
    at.run()
    _no_exception(at)
    tables = [d.value for d in at.dataframe if "Placering" in d.value.columns]
    assert tables and sorted(tables[-1]["Placering"]) == ["Bara kommunen", "Bara länet"], tables
    assert all(len(d.value) for d in at.dataframe if "Orsak" in d.value.columns)
    assert any(c.value == "Inga avvisade rader." for c in at.caption)
    # its positions are WGS84 by definition: no coordinate system to choose
    assert not [s for s in at.selectbox if s.label == "Koordinatsystem"]


def test_every_precision_has_a_swedish_label() -> None:
    sys.path.insert(0, str(ROOT / "apps"))
    import app_ui

    from lagesbild_geo.schema import PRECISIONS

    assert set(PRECISIONS) <= set(app_ui.PRECISION_SV)
    assert all(k != v for k, v in app_ui.PRECISION_SV.items())


def test_police_feed_of_several_kommuner_without_a_kommun_says_so_in_swedish(store_path: Path) -> None:
    """The feed alone (the whole country) and nothing that names the kommun: every kommun's
    rows are counted, and the Karta says so in Swedish (with how to choose the kommun)."""
    import json

    events = [{"id": k, "datetime": f"2025-03-0{1 + k % 9} 12:00:00 +01:00", "name": "x", "summary": "",
               "url": "/", "type": "Misshandel",
               "location": {"name": "Lysekil" if k % 2 else "Torsby",
                            "gps": "58.275,11.435" if k % 2 else "60.13,13.0"}} for k in range(40)]
    at = _app("data")
    at.file_uploader[0].set_value([("events.json", json.dumps(events).encode(), "application/json")])
    at.run()
    _button(at, "Använd de uppladdade filerna").click()
    at.run()
    _no_exception(at)
    assert "**Kommun:** ingen vald" in [m.value for m in at.markdown]
    at.switch_page("app_pages/karta.py")
    at.run()
    _no_exception(at)
    assert any("gäller 2 kommuner och ingen kommun är vald" in i.value for i in at.info), \
        [i.value for i in at.info]


def test_police_feed_with_regso_upload_keeps_levels_apart(store_path: Path) -> None:
    """A real-shaped feed (two kommuner) and a RegSO layer: the kommun is read from the RegSO
    codes, the other kommun's rows are left out, kommun-level rows are never drawn into the
    district holding the centre, and the Data page's count equals the Karta's."""
    import io as _io
    import json

    import geopandas as gpd
    import shapely

    names = ["Brastad", "Lysekil"]
    events = [{"id": k, "datetime": f"2025-03-0{1 + k % 9} 12:00:00 +01:00",
               "name": f"0{1 + k % 9} mars 11.00, Misshandel, {'Lysekil' if k < 30 else 'Torsby'}",
               "summary": "Bråk i Brastad." if k < 12 else "Bråk.", "url": "/", "type": "Misshandel",
               "location": {"name": "Lysekil" if k < 30 else "Torsby",
                            "gps": "58.275,11.435" if k < 30 else "60.13,13.0"}} for k in range(40)]
    regso = gpd.GeoDataFrame({"regsokod": ["1484R002", "1484R001"], "regsonamn": names},
                             geometry=[shapely.box(11.48, 58.38, 11.50, 58.39), shapely.box(11.42, 58.27, 11.44, 58.28)],
                             crs=4326)
    buf = _io.BytesIO(regso.to_json().encode("utf-8"))
    at = _app("data")
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Händelser (brott, ordningsstörningar …)"].set_value(
        [("events.json", json.dumps(events).encode(), "application/json")])
    by_label["Områdesindelning (DeSO, stadsdelar)"].set_value(("regso.geojson", buf.getvalue(), "application/json"))
    at.run()
    _button(at, "Använd de uppladdade filerna").click()
    at.run()
    _no_exception(at)
    data_metrics = {m.label: m.value for m in at.metric}
    assert data_metrics["Händelser i lägesbilden"] == "30"
    assert data_metrics["Avvisade rader"] == "10"
    assert "**Kommun:** Lysekil" in [m.value for m in at.markdown]  # the kommun chosen is named
    assert any("30 händelser, varav 12 placerade på område" in c.value for c in at.caption)
    at.switch_page("app_pages/karta.py")
    at.run()
    _no_exception(at)
    assert {m.label: m.value for m in at.metric}["Antal händelser"] == "30"
    assert "Polisens händelser i andra kommuner (10) och bara på länsnivå (0) ingår inte." in [
        i.value for i in at.info]
    assert any("varav 12 placerade på område, 0 bara på stadsdelsnivå och 18 bara på kommunnivå" in c.value
               for c in at.caption)
    table = html_tables(at)[-1]  # the district table, at the bottom of the Karta
    rows = dict(zip(table["Distrikt"], table["Antal händelser"], strict=True))
    assert rows["Brastad"] == "12"  # the district named in the text (tables show Swedish text)
    assert rows["Lysekil"] == "0"  # the RegSO named like the kommun (and holding its centre)
    assert rows["Bara kommunnivå (inget område angivet)"] == "18"


# ----------------------------------------------------------------------------- server store


def test_app_on_a_server_store_records_the_signed_in_user(
        pg_cluster: PrivateCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """LAGESBILD_STORE=postgresql://... and LAGESBILD_KOMMUN: the app works on the shared
    store, and the audit trail names the person who signed in."""
    pg_cluster.wipe()
    url = pg_cluster.url("app_0180")
    monkeypatch.setenv("LAGESBILD_STORE", url)
    monkeypatch.setenv("LAGESBILD_KOMMUN", "0180")
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    _draw(monkeypatch, POLYGON)
    at = _app(secrets={"lagesbild": {"passwords": {"redaktör": "r-hemligt"}}})
    _sign_in(at, "Lisa Lind", "r-hemligt", then="omraden")
    _no_exception(at)
    at.text_input(key="new_area_name").input("Sergels torg")
    at.text_input(key="new_area_m_title").input("Fler väktare")
    at.multiselect(key="new_area_m_cats").select("ran")
    _button(at, "Spara området").click()
    at.run()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    with MeasureStore(url, kommun="0180") as s:
        measures = s.list_measures()
        assert list(measures["title"]) == ["Fler väktare"]
        assert measures.iloc[0]["created_by"] == "Lisa Lind"
        assert set(s.history(entity="area")["user"]) == {"Lisa Lind"}
    with MeasureStore(pg_cluster.url("app_0380"), kommun="0380") as other:
        assert other.list_areas(include_deleted=True).empty
    at.switch_page("app_pages/atgardsplan.py")
    at.run()
    _no_exception(at)
    pg_cluster.wipe()


# ----------------------------------------------------------------------------- safe defaults

@pytest.fixture
def on_network() -> Any:
    """The app as if started with `make run HOST=0.0.0.0` (listening on every interface)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_network_without_sign_in_is_read_only(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              on_network: Any) -> None:
    _draw(monkeypatch, POLYGON)
    at = _app("omraden")
    _no_exception(at)
    text = " ".join(w.value for w in [*at.warning, *at.info])
    assert "skrivskyddad" in text and "secrets.toml" in text and "make run" in text
    assert not [t for t in at.text_input if t.key == "new_area_name"]  # no edit form


def test_network_with_passwords_may_edit(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         on_network: Any) -> None:
    _draw(monkeypatch, POLYGON)
    at = _app(secrets={"lagesbild": {"passwords": {"redaktör": "r-hemligt"}}})
    _sign_in(at, "Rita", "r-hemligt", then="omraden")
    _no_exception(at)
    assert [t for t in at.text_input if t.key == "new_area_name"]


def test_local_mode_sidebar_speaks_to_the_coordinator(store_path: Path) -> None:
    at = _app()
    _no_exception(at)
    text = " ".join(i.value for i in at.sidebar.info)
    assert "lokalt läge" in text and "den här datorn" in text
    assert "Lägg lösenord per roll" not in text  # not the administrator's instructions


def test_base_map_choice_is_remembered_per_user(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Karta's base-map choice is kept for the user's next session (and every page's map),
    not for another user; a saved service no longer in the settings is forgotten."""
    at = _app()
    import app_prefs  # apps/ is on the path once the app has run

    assert at.selectbox(key="tiles").value == "ingen"  # LAGESBILD_TILES=none
    at.selectbox(key="tiles").set_value("OpenStreetMap")
    at.run()
    _no_exception(at)
    assert app_prefs.load("testaren", "base_map") == "OpenStreetMap"
    assert (store_path.parent / "preferences.sqlite").is_file()

    again = _app()  # a new session of the same user
    assert again.selectbox(key="tiles").value == "OpenStreetMap"
    assert again.session_state["saved_tiles"] == "OpenStreetMap"

    monkeypatch.setenv("LAGESBILD_USER", "någon annan")
    other = _app()
    assert other.selectbox(key="tiles").value == "ingen"

    app_prefs.save("testaren", "base_map", "Kommunens karta (borttagen)")
    monkeypatch.setenv("LAGESBILD_USER", "testaren")
    gone = _app()
    _no_exception(gone)
    assert gone.selectbox(key="tiles").value == "ingen"
