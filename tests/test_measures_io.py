"""Store migrations, import/export round trips, the åtgärdsplan in Excel/CSV, backup/restore."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box
from store_samples import SQUARE, fill

from lagesbild_geo.errors import InputError, StoreError, ValidationError
from lagesbild_geo.measures import ALREADY_IN_STORE, MEASURE_FIELDS, MeasureStore, restore_backup


@pytest.fixture
def filled(tmp_path: Path) -> MeasureStore:
    s = fill(MeasureStore(tmp_path / "src.sqlite", user="anna"))
    yield s
    s.close()


def _content(store: MeasureStore) -> tuple[list[tuple], list[tuple]]:
    areas = store.list_areas()
    a = sorted((i, r["name"], r["description"], r.geometry.wkb, tuple(r["source_cells"]),
                r["source_cluster"]) for i, r in areas.iterrows())
    ms = [store.get_measure(i) for i in store.list_measures().index]
    m = sorted((x.id, *[getattr(x, f) for f in MEASURE_FIELDS]) for x in ms)
    return a, m


# ------------------------------------------------------------------ migrations

V1 = """
CREATE TABLE areas (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  geometry BLOB NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE measures (id TEXT PRIMARY KEY, area_id TEXT NOT NULL REFERENCES areas(id),
  title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', target_categories TEXT NOT NULL,
  problem TEXT NOT NULL DEFAULT '', responsible TEXT, start_date TEXT, end_date TEXT,
  status TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_at TEXT);
CREATE INDEX measures_area ON measures(area_id);
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, measure_id TEXT NOT NULL,
  action TEXT NOT NULL, user TEXT NOT NULL, at TEXT NOT NULL, before TEXT, after TEXT);
PRAGMA user_version = 1;
"""
A1 = "11111111-1111-4111-8111-111111111111"
M1 = "22222222-2222-4222-8222-222222222222"
M2 = "33333333-3333-4333-8333-333333333333"
T = "2023-05-01T10:00:00+00:00"


def _make_v1(path: Path) -> None:
    c = sqlite3.connect(path)
    c.executescript(V1)
    c.execute("INSERT INTO areas VALUES (?, 'Torget', 'gammal', ?, 1, ?, 'eva', ?, 'eva', NULL)",
              (A1, shapely.to_wkb(SQUARE), T, T))
    c.execute("INSERT INTO measures VALUES (?, ?, 'Kameror', '', '[\"ran\"]', 'Rån på kvällen', "
              "'polisen', '2023-06-01', NULL, 'ongoing', 2, ?, 'eva', ?, 'olle', NULL)",
              (M1, A1, T, T))
    c.execute("INSERT INTO measures VALUES (?, ?, 'Gammal', '', '[\"stold\"]', '', NULL, NULL, "
              "NULL, 'cancelled', 1, ?, 'eva', ?, 'eva', ?)", (M2, A1, T, T, T))
    c.executemany("INSERT INTO audit (measure_id, action, user, at, before, after) VALUES "
                  "(?, ?, ?, ?, ?, ?)",
                  [(M1, "create", "eva", T, None, '{"title": "Kameror"}'),
                   (M2, "create", "eva", T, None, '{"title": "Gammal"}'),
                   (M1, "update", "olle", T, '{"status": "planned"}', '{"status": "ongoing"}')])
    c.commit()
    c.close()


def test_v1_store_is_migrated_with_data_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_v1(path)
    with MeasureStore(path, user="anna") as s:
        assert s.schema_version == 3
        # a safety copy of the v1 file was made first
        copy = tmp_path / "old.v1-backup.sqlite"
        assert copy.exists()
        assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == 1
        a = s.get_area(A1)
        assert (a.name, a.description, a.created_by, a.source_cells, a.version) == \
            ("Torget", "gammal", "eva", (), 1)
        assert a.geometry.equals_exact(SQUARE, 0)
        m = s.get_measure(M1)
        assert (m.title, m.status, m.target_categories, m.responsible, m.problem) == \
            ("Kameror", "pågående", ("ran",), "polisen", "Rån på kvällen")
        assert (m.start_date, m.version, m.updated_by, m.partners, m.cost) == \
            (dt.date(2023, 6, 1), 2, "olle", (), None)
        old = s.get_measure(M2)
        assert old.status == "avbruten" and old.is_deleted
        h = s.history(M1)
        assert list(h["action"]) == ["create", "update"]
        assert list(h["version"]) == [1, 2]
        assert h["after"][1] == {"status": "ongoing"}  # the trail is kept verbatim
        # the migrated store works like a new one: locking, audit, constraints
        m3 = s.update_measure(M1, {"cost": 10}, expected_version=2)
        assert m3.version == 3 and list(s.history(M1)["version"]) == [1, 2, 3]
        conn = s._conn()
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
    # opening again does not migrate twice
    with MeasureStore(path) as s:
        assert s.schema_version == 3 and len(s.history(M1)) == 3


def _as_version_2(path: Path) -> None:
    """Turn a store file into what schema version 2 wrote (areas without the drawn-on
    columns), as a store saved before this library version would be."""
    c = sqlite3.connect(path)
    for col in ("drawn_kommun", "drawn_dataset", "drawn_dataset_label"):
        c.execute(f"ALTER TABLE areas DROP COLUMN {col}")
    c.execute("PRAGMA user_version = 2")
    c.commit()
    c.close()


def test_v2_store_is_migrated_to_v3_with_data_kept(filled: MeasureStore, tmp_path: Path) -> None:
    """A store of schema version 2 (before areas knew their kommun and data set) opens,
    is migrated once with a safety copy, keeps every record and the audit trail, and
    then stores the drawn-on fields."""
    path = tmp_path / "v2.sqlite"
    filled.backup(path)
    before = _content(filled)
    trail = filled.history(entity="area")[["entity_id", "action", "version", "user"]]
    _as_version_2(path)
    cols = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(areas)")}
    assert "drawn_dataset" not in cols
    with MeasureStore(path, user="bo") as s:
        assert s.schema_version == 3
        copy = tmp_path / "v2.v2-backup.sqlite"
        assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == 2
        assert _content(s) == before
        assert s.history(entity="area")[["entity_id", "action", "version", "user"]].equals(trail)
        areas = s.list_areas()
        assert areas[["drawn_kommun", "drawn_dataset", "drawn_dataset_label"]].isna().all().all()
        aid = areas.index[0]
        a = s.update_area(aid, {"drawn_kommun": "0180", "drawn_dataset": "sha256:ab",
                                "drawn_dataset_label": "ny"}, expected_version=1)
        assert (a.drawn_kommun, a.drawn_dataset, a.version) == ("0180", "sha256:ab", 2)
        conn = s._conn()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
    with MeasureStore(path) as s:  # opened again: nothing more to migrate
        assert s.schema_version == 3 and s.get_area(aid).drawn_dataset == "sha256:ab"


def test_a_version_2_export_is_read(filled: MeasureStore, tmp_path: Path) -> None:
    """An export written by the previous library version (schema 2, no drawn-on fields)
    restores; the fields are unknown (None)."""
    out = filled.export_store(tmp_path / "v3.json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["schema_version"] = 2
    for a in doc["areas"]:
        for k in ("drawn_kommun", "drawn_dataset", "drawn_dataset_label"):
            del a[k]
    (tmp_path / "v2.json").write_text(json.dumps(doc), encoding="utf-8")
    with MeasureStore(tmp_path / "restored.sqlite") as s:
        s.import_store(tmp_path / "v2.json")
        assert _content(s) == _content(filled)
        assert s.list_areas()["drawn_dataset"].isna().all()
    doc["schema_version"] = 1
    (tmp_path / "v1.json").write_text(json.dumps(doc), encoding="utf-8")
    with MeasureStore(tmp_path / "other.sqlite") as s, \
            pytest.raises(InputError, match="reads format 1, schema versions 2, 3"):
        s.import_store(tmp_path / "v1.json")


# ------------------------------------------------------------------ GeoJSON / GeoPackage


def test_geojson_round_trip(filled: MeasureStore, tmp_path: Path) -> None:
    out = filled.export_geojson(tmp_path / "out" / "atgarder.geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3
    f = next(f for f in doc["features"] if f["properties"]["name"] == "Stationsområdet")
    assert f["geometry"]["type"] == "Polygon"
    assert f["geometry"]["coordinates"][0][0] == [17.10, 59.37]  # lon, lat
    assert [m["title"] for m in f["properties"]["measures"]] == ["Belysning i tunneln",
                                                                 "Väktare"]
    assert f["properties"]["measures"][0]["target_labels"] == "Rån, Våld och hot"
    assert f["properties"]["source_cells"] == ["89089a4c263ffff", "89089a4c267ffff"]
    with MeasureStore(tmp_path / "dst.sqlite", user="bo") as dst:
        areas = dst.import_areas(out)
        assert len(areas) == 3
        assert _content(dst) == _content(filled)
        # importing the same file again adds nothing: each area is already there
        again = dst.import_areas(out)
        assert {a.id for a in again} == {a.id for a in areas}
        assert all(ALREADY_IN_STORE in a.notes for a in again)
        assert len(dst.list_areas()) == 3 and len(dst.list_measures()) == 3
        # an area of the same name with another boundary is another area: a new id
        f["geometry"]["coordinates"][0][1][0] += 0.001  # Stationsområdet, a polygon
        moved = tmp_path / "moved.geojson"
        moved.write_text(json.dumps(doc), encoding="utf-8")
        third = dst.import_areas(moved)
        assert [ALREADY_IN_STORE in a.notes for a in third].count(False) == 1
        assert len(dst.list_areas()) == 4
        new = next(a for a in third if ALREADY_IN_STORE not in a.notes)
        assert new.id not in {a.id for a in areas}
        assert len(dst.list_measures()) == 3 + len(f["properties"]["measures"])


def test_gpkg_round_trip(filled: MeasureStore, tmp_path: Path) -> None:
    out = filled.export_gpkg(tmp_path / "atgarder.gpkg")
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == {"areas", "measures", "metadata"}
    measures = gpd.read_file(out, layer="measures")
    assert len(measures) == 3 and measures.crs.to_epsg() == 4326
    assert sorted(measures["status"]) == ["genomförd", "planerad", "pågående"]
    areas = gpd.read_file(out, layer="areas")
    assert list(areas.sort_values("name")["n_measures"]) == [1, 2, 0]
    with MeasureStore(tmp_path / "dst.sqlite") as dst:
        dst.import_areas(out)
        assert _content(dst) == _content(filled)


def test_to_geodataframe_kinds(filled: MeasureStore) -> None:
    m = filled.to_geodataframe()
    assert len(m) == 3 and m.crs.to_epsg() == 4326
    assert list(m.columns[:4]) == ["measure_id", "area_id", "area_name", "title"]
    row = m[m["title"] == "Belysning i tunneln"].iloc[0]
    assert row["target_categories"] == "ran, vald" and row["partners"] == "Polisen, Bostadsbolaget"
    assert row["start_date"] == "2024-03-01" and row.geometry.equals_exact(SQUARE, 0)
    a = filled.to_geodataframe(kind="areas")
    assert sorted(a["n_measures"]) == [0, 1, 2]
    assert len(filled.to_geodataframe(include_deleted=True)) == 4
    with pytest.raises(InputError, match="kind"):
        filled.to_geodataframe(kind="cells")


def test_import_foreign_file_in_sweref(tmp_path: Path) -> None:
    polys = gpd.GeoDataFrame(
        {"Namn": ["Polisens område 1", None], "Beskrivning": ["Ritat av polisen", None]},
        geometry=[box(660000, 6580000, 660500, 6580400), box(661000, 6580000, 661300, 6580300)],
        crs="EPSG:3006")
    path = tmp_path / "polisen.gpkg"
    polys.to_file(path, layer="omraden")
    with MeasureStore(tmp_path / "s.sqlite", user="anna") as s:
        got = s.import_areas(path)
        assert [a.name for a in got] == ["Polisens område 1", "polisen 2"]
        assert got[0].description == "Ritat av polisen"
        assert got[0].area_km2 == pytest.approx(0.2, rel=1e-3)
        minx, miny, _, _ = got[0].geometry.bounds
        assert 16 < minx < 18 and 59 < miny < 60  # reprojected to lon/lat
        assert got[0].created_by == "anna"
        # an explicit name column
        got2 = s.import_areas(path, name_column="Beskrivning")
        assert got2[0].name == "Ritat av polisen"
        with pytest.raises(InputError, match="Column 'Finns inte'"):
            s.import_areas(path, name_column="Finns inte")


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"namn": "Bra"}, "geometry": shapely.geometry.mapping(SQUARE)},
        {"type": "Feature", "properties": {"namn": "Punkt"},
         "geometry": {"type": "Point", "coordinates": [17.1, 59.37]}},
        {"type": "Feature", "properties": {"namn": "Paris"},
         "geometry": shapely.geometry.mapping(box(2.3, 48.8, 2.4, 48.9))},
    ]}
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    with MeasureStore(tmp_path / "s.sqlite") as s:
        with pytest.raises(ValidationError) as info:
            s.import_areas(path)
        assert [f for f, _, _ in info.value.problems] == ["feature 2: geometry",
                                                          "feature 3: geometry"]
        assert s.list_areas(include_deleted=True).empty
        with pytest.raises(InputError, match="does not exist"):
            s.import_areas(tmp_path / "nope.geojson")
        (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
        with pytest.raises(InputError):
            s.import_areas(tmp_path / "bad.geojson")


# ------------------------------------------------------------------ the plan


HEADER = ["Status", "Område", "Åtgärd", "Beskrivning", "Brottskategorier", "Problem/orsak",
          "Orsaker (taggar)", "Ansvarig aktör", "Samverkanspartner", "Startdatum", "Slutdatum",
          "Uppföljningsindikator", "Nästa uppföljning", "Kostnad (kr)",
          "Samverkansöverenskommelse", "Senast ändrad", "Ändrad av", "Version", "Åtgärds-id",
          "Områdes-id"]


def test_excel_plan_cell_by_cell(filled: MeasureStore, tmp_path: Path) -> None:
    out = filled.export_plan_excel(tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Åtgärdsplan", "Planerad", "Pågående", "Genomförd", "Avbruten"]
    ws = wb["Åtgärdsplan"]
    assert [c.value for c in ws[1]] == HEADER
    assert ws.max_row == 4  # header + 3 measures (the deleted one is left out)
    # sorted by status in plan order
    assert [ws.cell(row=r, column=1).value for r in (2, 3, 4)] == ["Planerad", "Pågående",
                                                                  "Genomförd"]
    row = {h: c for h, c in zip(HEADER, ws[3], strict=True)}
    assert row["Område"].value == "Stationsområdet"
    assert row["Åtgärd"].value == "Belysning i tunneln"
    assert row["Beskrivning"].value == "LED-armaturer"
    assert row["Brottskategorier"].value == "Rån, Våld och hot"
    assert row["Problem/orsak"].value == "Mörkt"
    assert row["Orsaker (taggar)"].value == "belysning"
    assert row["Ansvarig aktör"].value == "Kommunens förvaltning"
    assert row["Samverkanspartner"].value == "Polisen, Bostadsbolaget"
    assert row["Startdatum"].value == dt.datetime(2024, 3, 1)  # a real date cell
    assert row["Startdatum"].is_date and row["Startdatum"].number_format == "yyyy-mm-dd"
    assert row["Slutdatum"].value == dt.datetime(2024, 12, 31)
    assert row["Nästa uppföljning"].value == dt.datetime(2024, 9, 1)
    assert row["Uppföljningsindikator"].value == "Rån per månad"
    assert row["Kostnad (kr)"].value == 125000.5
    assert row["Samverkansöverenskommelse"].value == "Samverkan 2024"
    assert row["Senast ändrad"].is_date
    assert row["Ändrad av"].value == "anna" and row["Version"].value == 1
    assert len(row["Åtgärds-id"].value) == 36
    # empty values are empty cells, not "nan"
    planerad = {h: c.value for h, c in zip(HEADER, ws[2], strict=True)}
    assert planerad["Startdatum"] is None and planerad["Kostnad (kr)"] is None
    assert planerad["Ansvarig aktör"] in (None, "")
    # one sheet per status
    assert wb["Pågående"].max_row == 2 and wb["Pågående"]["C2"].value == "Belysning i tunneln"
    assert wb["Avbruten"].max_row == 1 and [c.value for c in wb["Avbruten"][1]] == HEADER
    assert ws.freeze_panes == "A2"


def test_csv_plan(filled: MeasureStore, tmp_path: Path) -> None:
    out = filled.export_plan_csv(tmp_path / "plan.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    df = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(df.columns) == HEADER
    assert list(df["Åtgärd"]) == ["Klotterplank", "Belysning i tunneln", "Väktare"]
    row = df.iloc[1]
    assert row["Startdatum"] == "2024-03-01" and row["Kostnad (kr)"] == "125000,5"
    assert df.iloc[0]["Startdatum"] == "" and df.iloc[0]["Kostnad (kr)"] == ""


def test_plan_table_with_deleted(filled: MeasureStore) -> None:
    t = filled.plan_table(include_deleted=True)
    assert list(t["Status"]) == ["Planerad", "Pågående", "Genomförd", "Avbruten"]


def test_empty_store_exports(tmp_path: Path) -> None:
    with MeasureStore(tmp_path / "s.sqlite") as s:
        wb = openpyxl.load_workbook(s.export_plan_excel(tmp_path / "p.xlsx"))
        assert wb["Åtgärdsplan"].max_row == 1
        s.export_plan_csv(tmp_path / "p.csv")
        doc = json.loads(s.export_geojson(tmp_path / "a.geojson").read_text(encoding="utf-8"))
        assert doc["features"] == []
        assert s.to_geodataframe().empty


# ------------------------------------------------------------------ backup / restore


def test_backup_is_consistent_while_another_thread_writes(filled: MeasureStore,
                                                          tmp_path: Path) -> None:
    area_id = filled.list_areas().index[0]
    stop = threading.Event()
    written: list[str] = []

    def writer() -> None:
        w = MeasureStore(filled.path, user="writer")
        while not stop.is_set():
            written.append(w.add_measure(area_id=area_id, title=f"w{len(written)}",
                                         target_categories=["ran"]).id)
        w.close()

    t = threading.Thread(target=writer)
    t.start()
    while len(written) < 5:
        pass
    dest = filled.backup(tmp_path / "backups" / "copy.sqlite")
    stop.set()
    t.join()
    c = sqlite3.connect(dest)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()
    with MeasureStore(dest) as b:
        n = len(b.list_measures())
        # every measure in the copy has its complete audit row (one transaction each)
        assert len(b.history(entity="measure")) == n + 1 + 1  # + deleted one's create/delete
        assert 3 + 5 <= n <= 3 + len(written)
    with pytest.raises(StoreError, match="exists"):
        filled.backup(dest)
    with pytest.raises(StoreError, match="store itself"):
        filled.backup(filled.path, overwrite=True)


def test_restore_backup(filled: MeasureStore, tmp_path: Path) -> None:
    backup = filled.backup(tmp_path / "b.sqlite")
    before = _content(filled)
    first = filled.list_measures().index[0]
    filled.delete_measure(first)
    filled.add_area(name="Efter backup", geometry=SQUARE)
    changed = _content(filled)
    safety = restore_backup(backup, filled.path)
    assert safety.name.startswith("src.before-restore-") and safety.exists()
    # the open store object sees the restored content at once
    assert _content(filled) == before
    with MeasureStore(safety) as s:
        assert _content(s) == changed
    # refusals: not a store, damaged, missing
    junk = tmp_path / "junk.sqlite"
    c = sqlite3.connect(junk)
    c.execute("CREATE TABLE x (y)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="not a measure store"):
        restore_backup(junk, filled.path)
    (tmp_path / "text.sqlite").write_text("hello", encoding="utf-8")
    with pytest.raises(StoreError, match="not an SQLite file"):
        restore_backup(tmp_path / "text.sqlite", filled.path)
    with pytest.raises(StoreError, match="does not exist"):
        restore_backup(tmp_path / "missing.sqlite", filled.path)
    assert _content(filled) == before

