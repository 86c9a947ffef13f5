"""The areas-and-measures model and store: validation rules, CRUD, audit, locking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from lagesbild_geo.errors import ConflictError, NotFoundError, StoreError, ValidationError
from lagesbild_geo.measures import (
    ACTORS,
    MAX_AREA_KM2,
    STATUSES,
    Area,
    Measure,
    MeasureStore,
    default_store_path,
    validate_geometry,
    validate_measure,
)
from lagesbild_geo.schema import CATEGORY_LABELS

# ~1.1 km x 0.56 km rectangle in Exempelstad (lon/lat)
SQUARE = Polygon([(17.10, 59.37), (17.12, 59.37), (17.12, 59.375), (17.10, 59.375)])
BOWTIE = "POLYGON ((17.10 59.37, 17.12 59.38, 17.12 59.37, 17.10 59.38, 17.10 59.37))"


@pytest.fixture
def store(tmp_path: Path) -> MeasureStore:
    s = MeasureStore(tmp_path / "data" / "atgarder.sqlite", user="anna")
    yield s
    s.close()


@pytest.fixture
def area(store: MeasureStore) -> Area:
    return store.add_area(name="Stationsområdet", geometry=SQUARE, description="Kvällar")


def fields(exc: ValidationError) -> list[str]:
    return [f for f, _, _ in exc.problems]


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


def test_repaired_area_is_reported_on_the_area(store: MeasureStore) -> None:
    a = store.add_area(name="Fjärilen", geometry=BOWTIE)
    assert a.geometry.geom_type == "MultiPolygon"
    assert a.notes and "Self-intersection" in a.notes[0][0]
    # the note is in the audit trail too, but not a stored field
    assert "notes" in store.history(a.id, entity="area")["after"][0]
    assert store.get_area(a.id).notes == ()


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


def test_area_rules(store: MeasureStore) -> None:
    with pytest.raises(ValidationError) as info:
        store.add_area(name=" ", geometry="POINT (17 59)", source_cells=["zz!"])
    assert fields(info.value) == ["name", "geometry", "source_cells"]
    assert store.list_areas(include_deleted=True).empty


# ------------------------------------------------------------------ the store


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAGESBILD_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_store_path() == tmp_path / "lagesbild_data" / "atgarder.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "x" / "s.sqlite"))
    with MeasureStore(user="u") as s:
        assert s.path == tmp_path / "x" / "s.sqlite" and s.path.exists()


def test_store_file_settings(store: MeasureStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.schema_version == 2
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


def test_add_and_get_roundtrip(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(
        area_id=area.id, title="Belysning i gångtunneln", target_categories=["Rån", "vald"],
        description="LED", problem="Mörk tunnel", cause_tags=["belysning"],
        responsible="bolag", partners=["Polisen"], start_date="2024-03-01",
        end_date=dt.date(2024, 12, 31), status="pågående", indicator="Antal rån",
        next_followup="2024-09-01", cost=250_000, agreement="Samverkan 2024")
    got = store.get_measure(m.id)
    assert got == m
    assert isinstance(got, Measure) and got.version == 1
    assert got.target_categories == ("ran", "vald")
    assert got.created_by == got.updated_by == "anna"
    assert dt.datetime.fromisoformat(got.created_at).tzinfo == dt.UTC
    assert got.start_date == dt.date(2024, 3, 1) and got.cost == 250000.0
    assert store.get_area(area.id) == area
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.title = "x"  # type: ignore[misc]


def test_unknown_ids_raise_not_found(store: MeasureStore) -> None:
    for call in (lambda: store.get_area("nope"), lambda: store.get_measure("nope"),
                 lambda: store.update_measure("nope", {}, expected_version=1),
                 lambda: store.update_area("nope", {}, expected_version=1),
                 lambda: store.delete_measure("nope"), lambda: store.restore_area("nope"),
                 lambda: store.history("nope")):
        with pytest.raises(NotFoundError, match="nope") as info:
            call()
        assert isinstance(info.value, KeyError)


def test_update_records_before_after_and_bumps_version(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    m2 = store.update_measure(m.id, {"status": "genomförd", "cost": 100}, expected_version=1,
                              user="bo")
    assert (m2.version, m2.status, m2.cost, m2.updated_by, m2.created_by) == \
        (2, "genomförd", 100.0, "bo", "anna")
    # a no-op update writes nothing
    assert store.update_measure(m.id, {"cost": 100.0}, expected_version=2).version == 2
    h = store.history(m.id)
    assert list(h["action"]) == ["create", "update"]
    assert list(h["version"]) == [1, 2]
    assert list(h["user"]) == ["anna", "bo"]
    assert h["fields"][1] == ["cost", "status"]
    assert h["before"][1] == {"status": "planerad", "cost": None}
    assert h["after"][1] == {"status": "genomförd", "cost": 100.0}
    assert h["after"][0]["title"] == "Väktare" and h["after"][0]["target_categories"] == ["stold"]


def test_invalid_update_changes_nothing(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    with pytest.raises(ValidationError) as info:
        store.update_measure(m.id, {"target_categories": [], "title": ""}, expected_version=1)
    assert fields(info.value) == ["title", "target_categories"]
    with pytest.raises(ValidationError, match="unknown field"):
        store.update_measure(m.id, {"colour": "red"}, expected_version=1)
    assert store.get_measure(m.id) == m
    assert len(store.history(m.id)) == 1


def test_stale_save_raises_conflict_naming_who_and_when(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    other = MeasureStore(store.path, user="bo")
    theirs = other.update_measure(m.id, {"title": "Två väktare"}, expected_version=1)
    other.close()
    with pytest.raises(ConflictError) as info:
        store.update_measure(m.id, {"cost": 5}, expected_version=1)
    exc = info.value
    assert "changed by bo at " + theirs.updated_at in str(exc)
    assert exc.changed_by == "bo" and exc.changed_at == theirs.updated_at  # type: ignore[attr-defined]
    assert exc.current == theirs  # type: ignore[attr-defined]
    assert store.get_measure(m.id) == theirs  # nothing written
    # stale area save too
    store.update_area(area.id, {"name": "Stationen"}, expected_version=1)
    with pytest.raises(ConflictError, match="changed by anna"):
        store.update_area(area.id, {"name": "Resecentrum"}, expected_version=1)


def test_soft_delete_and_restore(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    d = store.delete_measure(m.id, expected_version=1, user="bo")
    assert d.is_deleted and d.deleted_by == "bo" and d.version == 2
    assert store.list_measures().empty
    assert list(store.list_measures(include_deleted=True).index) == [m.id]
    with pytest.raises(NotFoundError, match="is deleted"):
        store.update_measure(m.id, {"title": "x"}, expected_version=2)
    r = store.restore_measure(m.id, expected_version=2)
    assert not r.is_deleted and r.version == 3 and r.deleted_by is None
    assert list(store.history(m.id)["action"]) == ["create", "delete", "restore"]
    assert store.history(m.id)["after"][1]["deleted_at"] == d.deleted_at


def test_area_delete_needs_cascade_and_measure_restore_needs_area(store: MeasureStore,
                                                                   area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    with pytest.raises(ValidationError, match="still has 1 measure"):
        store.delete_area(area.id)
    a = store.delete_area(area.id, cascade=True, user="bo")
    assert a.is_deleted and store.get_measure(m.id).is_deleted
    assert store.list_areas().empty and len(store.list_areas(include_deleted=True)) == 1
    with pytest.raises(ValidationError, match="is deleted; restore it"):
        store.restore_measure(m.id)
    with pytest.raises(ValidationError, match="is deleted"):
        store.add_measure(area_id=area.id, title="Ny", target_categories=["stold"])
    store.restore_area(area.id)
    assert store.restore_measure(m.id).is_deleted is False
    assert list(store.history(area.id, entity="area")["action"]) == ["create", "delete",
                                                                     "restore"]


def test_audit_trail_is_append_only(store: MeasureStore, area: Area) -> None:
    c = store._conn()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        c.execute("UPDATE audit SET user = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        c.execute("DELETE FROM audit")


def test_foreign_key_enforced_in_the_file(store: MeasureStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store._conn().execute(
            "INSERT INTO measures (id, area_id, title, target_categories, status, version, "
            "created_at, created_by, updated_at, updated_by) VALUES "
            "('m', 'missing', 't', '[\"ran\"]', 'planerad', 1, '', '', '', '')")


def test_transaction_groups_calls_and_rolls_back(store: MeasureStore, area: Area) -> None:
    with pytest.raises(ValidationError), store.transaction():
        store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
        store.add_measure(area_id=area.id, title="B", target_categories=[])
    assert store.list_measures().empty
    assert len(store.history(entity="measure")) == 0


def test_list_measures_filters_sorting_and_dtypes(store: MeasureStore, area: Area) -> None:
    b = store.add_area(name="Torget", geometry=SQUARE)
    store.add_measure(area_id=area.id, title="C", target_categories=["ran"], status="avbruten")
    store.add_measure(area_id=area.id, title="B", target_categories=["ran"],
                      start_date="2024-05-01")
    store.add_measure(area_id=b.id, title="A", target_categories=["ran"], start_date="2024-01-01")
    df = store.list_measures()
    assert list(df["title"]) == ["A", "B", "C"]
    assert df.index.name == "id"
    assert str(df["start_date"].dtype) == "datetime64[ns]"
    assert df["start_date"].isna().tolist() == [False, False, True]
    assert list(store.list_measures(status="avbruten")["title"]) == ["C"]
    assert list(store.list_measures(area_id=b.id)["title"]) == ["A"]
    with pytest.raises(ValidationError):
        store.list_measures(status="klar")
    areas = store.list_areas()
    assert list(areas["name"]) == ["Stationsområdet", "Torget"]
    assert areas.crs.to_epsg() == 4326 and areas.index.name == "id"
    assert list(areas["n_measures"]) == [2, 1]
    assert areas["area_km2"].iloc[0] == pytest.approx(0.6275, rel=0.01)


def test_history_of_everything_is_ordered(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
    store.update_measure(m.id, {"title": "B"}, expected_version=1)
    h = store.history(entity="measure")
    assert list(h["seq"]) == sorted(h["seq"]) and len(h) == 2
    assert len(store.history(entity="area")) == 1


def test_update_area_geometry_and_move_measure(store: MeasureStore, area: Area) -> None:
    other = store.add_area(name="Torget", geometry=SQUARE.buffer(0.001))
    m = store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
    moved = store.update_measure(m.id, {"area_id": other.id}, expected_version=1)
    assert moved.area_id == other.id
    a2 = store.update_area(area.id, {"geometry": BOWTIE}, expected_version=1)
    assert a2.geometry.geom_type == "MultiPolygon" and a2.notes
    h = store.history(area.id, entity="area")
    assert h["fields"][1] == ["geometry"] and h["after"][1]["geometry"]["type"] == "MultiPolygon"


def test_connection_per_thread(store: MeasureStore, area: Area) -> None:
    """Streamlit runs each session's script in its own thread: one connection each."""
    errors: list[BaseException] = []
    conns: list[int] = []

    def work(i: int) -> None:
        try:
            conns.append(id(store._conn()))
            for j in range(10):
                store.add_measure(area_id=area.id, title=f"t{i}-{j}", target_categories=["ran"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(conns)) == 4
    assert len(store.list_measures()) == 40


def test_closed_store_refuses(tmp_path: Path) -> None:
    s = MeasureStore(tmp_path / "s.sqlite")
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.list_measures()


def test_connections_of_finished_threads_are_closed(store: MeasureStore, area: Area) -> None:
    """A new thread per script run (Streamlit) must not leak one connection each."""
    for _ in range(20):
        t = threading.Thread(target=lambda: store.list_measures())
        t.start()
        t.join()
    assert len(store._conns) <= 2  # this thread's and the last finished one's
    assert len(store.list_areas()) == 1


_text_st = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=40, deadline=None)
@given(title=_text_st.filter(lambda t: t.strip() != ""), description=_text_st,
       partners=st.lists(_text_st.filter(lambda t: "," not in t and ";" not in t
                                         and t.strip() != ""), max_size=3),
       cost=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)),
       cats=st.lists(st.sampled_from(list(CATEGORY_LABELS) + list(CATEGORY_LABELS.values())),
                     min_size=1, max_size=4))
def test_any_valid_measure_round_trips(tmp_path_factory: pytest.TempPathFactory, title: str,
                                       description: str, partners: list[str],
                                       cost: float | None, cats: list[str]) -> None:
    with MeasureStore(tmp_path_factory.mktemp("h") / "s.sqlite") as s:
        a = s.add_area(name="A", geometry=SQUARE)
        m = s.add_measure(area_id=a.id, title=title, description=description,
                          partners=partners, cost=cost, target_categories=cats)
        assert s.get_measure(m.id) == m
        assert m.title == title.strip() and m.description == description.strip()
        assert m.cost == cost
        assert set(m.target_categories) <= set(CATEGORY_LABELS)
        assert len(m.target_categories) == len({c if c in CATEGORY_LABELS else
                                                {v: k for k, v in CATEGORY_LABELS.items()}[c]
                                                for c in cats})
        row = s.list_measures().loc[m.id]
        assert row["title"] == m.title and list(row["partners"]) == list(m.partners)
