"""The areas-and-measures model (validation rules) and what is particular to the SQLite file.

The store's behaviour on both backends (CRUD, audit trail, locking, soft delete, import,
export, backup) is in ``test_store_conformance.py``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import shapely
from store_samples import BOWTIE, SQUARE, fields

from lagesbild_geo.errors import StoreError, ValidationError
from lagesbild_geo.measures import (
    ACTORS,
    MAX_AREA_KM2,
    STATUSES,
    Area,
    MeasureStore,
    default_store,
    default_store_path,
    validate_geometry,
    validate_measure,
)


@pytest.fixture
def store(tmp_path: Path) -> MeasureStore:
    s = MeasureStore(tmp_path / "data" / "atgarder.sqlite", user="anna")
    yield s
    s.close()


@pytest.fixture
def area(store: MeasureStore) -> Area:
    return store.add_area(name="Stationsområdet", geometry=SQUARE, description="Kvällar")


# ------------------------------------------------------------------ geometry rules


def test_geometry_accepts_shapely_geojson_feature_wkt_and_wkb() -> None:
    feature = {"type": "Feature", "properties": {},
               "geometry": shapely.geometry.mapping(SQUARE)}
    collection = {"type": "FeatureCollection", "features": [feature]}
    for value in (SQUARE, shapely.geometry.mapping(SQUARE), feature, collection, SQUARE.wkt,
                  shapely.to_wkb(SQUARE), '{"type": "Polygon", "coordinates": '
                  '[[[17.1, 59.37], [17.12, 59.37], [17.12, 59.375], [17.1, 59.37]]]}'):
        g, problems, notes = validate_geometry(value)
        assert problems == [] and notes == []
        assert g is not None and g.geom_type == "Polygon"


def test_geometry_drops_z() -> None:
    g, problems, _ = validate_geometry(
        "POLYGON Z ((17.1 59.37 5, 17.12 59.37 5, 17.12 59.375 5, 17.1 59.37 5))")
    assert problems == [] and not shapely.has_z(g)


def test_bowtie_is_repaired_and_reported() -> None:
    g, problems, notes = validate_geometry(BOWTIE)
    assert problems == []
    assert g.geom_type == "MultiPolygon" and len(g.geoms) == 2 and g.is_valid
    assert "repaired" in notes[0][0] and "lagats" in notes[0][1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("POLYGON EMPTY", "is empty"),
        ("POINT (17.1 59.37)", "must be a Polygon or MultiPolygon"),
        ("LINESTRING (17.1 59.37, 17.2 59.4)", "must be a Polygon or MultiPolygon"),
        ("not a geometry", "cannot be read"),
        (42, "cannot be read"),
        # all corners on one line: make_valid leaves a line, nothing polygonal
        ("POLYGON ((17.1 59.37, 17.11 59.37, 17.12 59.37, 17.1 59.37))", "beyond repair"),
        # SWEREF 99 TM metres instead of lon/lat
        ("POLYGON ((660000 6580000, 661000 6580000, 661000 6581000, 660000 6580000))",
         "look like metres"),
        # lat/lon swapped
        ("POLYGON ((59.37 17.1, 59.37 17.12, 59.375 17.12, 59.37 17.1))", "look swapped"),
        ("POLYGON ((2.3 48.8, 2.4 48.8, 2.4 48.9, 2.3 48.8))", "outside Sweden"),
        # ~55 x 110 km: 6 000 km², far more than any measure area
        ("POLYGON ((15 59, 16 59, 16 60, 15 60, 15 59))", "more than the 2,500 km²"),
        # a sliver below 1 m²
        ("POLYGON ((17.1 59.37, 17.100001 59.37, 17.100001 59.370001, 17.1 59.37))",
         "has no area"),
    ],
)
def test_geometry_refusals(value: object, expected: str) -> None:
    g, problems, _ = validate_geometry(value)
    assert g is None
    assert len(problems) == 1 and problems[0][0] == "geometry"
    assert expected in problems[0][1], problems[0][1]
    assert problems[0][2]  # Swedish text present


def test_max_area_is_documented_value() -> None:
    assert MAX_AREA_KM2 == 2500.0
    # a 40 x 40 km kommun-sized box (about 1 600 km²) passes
    g, problems, _ = validate_geometry("POLYGON ((16.6 59.2, 17.3 59.2, 17.3 59.56, 16.6 59.56, "
                                       "16.6 59.2))")
    assert problems == [], problems
    assert 1500 < Area(id="x", name="x", geometry=g).area_km2 < 1700


# ------------------------------------------------------------------ measure rules


def test_validate_measure_collects_every_problem_at_once() -> None:
    _, problems = validate_measure({
        "area_id": "", "title": "  ", "target_categories": [], "status": "klar",
        "responsible": "kungen", "start_date": "2024-05-01", "end_date": "2024-04-30",
        "cost": -1, "next_followup": "snart", "partners": [3], "bogus": 1,
    })
    got = [f for f, _, _ in problems]
    assert sorted(got) == sorted(["", "area_id", "title", "target_categories", "status",
                                  "responsible", "end_date", "cost", "next_followup",
                                  "partners"])
    assert all(en and sv for _, en, sv in problems)


def test_validate_measure_normalises() -> None:
    clean, problems = validate_measure({
        "area_id": "x", "title": " Belysning ", "target_categories": "Rån; skadegorelse, rån",
        "status": "Pagaende", "responsible": "Fastighetsägare", "start_date": dt.date(2024, 1, 1),
        "end_date": "2024-01-01", "cost": "12 500,50", "cause_tags": ["Belysning", " skymd  sikt"],
        "partners": "Polisen, Bostadsbolaget",
    })
    assert problems == []
    assert clean["title"] == "Belysning"
    assert clean["target_categories"] == ("ran", "skadegorelse")
    assert clean["status"] == "pågående"
    assert clean["responsible"] == "fastighetsagare"
    assert clean["end_date"] == clean["start_date"] == dt.date(2024, 1, 1)
    assert clean["cost"] == 12500.5
    assert clean["cause_tags"] == ("belysning", "skymd sikt")
    assert clean["partners"] == ("Polisen", "Bostadsbolaget")


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"title": ""}, "title", "required"),
        ({"target_categories": []}, "target_categories", "at least one"),
        ({"target_categories": ["inbrott i rymden"]}, "target_categories", "unknown category"),
        ({"target_categories": None}, "target_categories", "at least one"),
        ({"status": "done-ish"}, "status", "unknown status"),
        ({"responsible": "Kungen"}, "responsible", "unknown actor"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-31"}, "end_date", "before the start"),
        ({"start_date": "1 mars"}, "start_date", "YYYY-MM-DD"),
        ({"next_followup": "2999-01-01"}, "next_followup", "years 1900–2200"),
        ({"cost": -0.01}, "cost", "negative"),
        ({"cost": "gratis"}, "cost", "number"),
        ({"cost": float("inf")}, "cost", "number"),
        ({"cost": True}, "cost", "number"),
        ({"area_id": "00000000-0000-0000-0000-000000000000"}, "area_id", "no area"),
    ],
)
def test_every_measure_rule(store: MeasureStore, area: Area, changes: dict, field: str,
                            needle: str) -> None:
    values = {"area_id": area.id, "title": "T", "target_categories": ["ran"]} | changes
    with pytest.raises(ValidationError) as info:
        store.add_measure(**values)
    assert fields(info.value) == [field]
    assert needle in str(info.value)
    assert info.value.message_sv.startswith(f"{field}: ")
    assert store.list_measures(include_deleted=True).empty


def test_statuses_and_actors_are_the_documented_lists() -> None:
    assert STATUSES == ("planerad", "pågående", "genomförd", "avbruten")
    assert list(ACTORS.values()) == ["Kommunens förvaltning", "Kommunalt bolag", "Polisen",
                                     "Fastighetsägare", "Näringsliv", "Civilsamhälle", "Annan"]


# ------------------------------------------------------------------ the store


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAGESBILD_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_store_path() == tmp_path / "lagesbild_data" / "atgarder.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "x" / "s.sqlite"))
    with MeasureStore(user="u") as s:
        assert s.path == tmp_path / "x" / "s.sqlite" and s.path.exists()
        assert s.location == str(s.path) and s.backend == "sqlite" and s.kommun is None
    monkeypatch.setenv("LAGESBILD_STORE", "postgresql://app@db.example.se/lagesbild")
    assert default_store() == "postgresql://app@db.example.se/lagesbild"
    with pytest.raises(StoreError, match="names a server store"):
        default_store_path()


def test_store_file_settings(store: MeasureStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.schema_version == 3
    conn.close()
    c = store._conn()
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] == 60000


def test_refuses_a_folder_and_a_foreign_sqlite(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        MeasureStore(tmp_path)
    other = tmp_path / "other.sqlite"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="not a measure store"):
        MeasureStore(other)
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        MeasureStore(tmp_path / "junk.sqlite")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "s.sqlite"
    MeasureStore(p).close()
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 99")
    c.close()
    with pytest.raises(StoreError, match="newer than this library"):
        MeasureStore(p)
