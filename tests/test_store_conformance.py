"""The store's conformance suite: every method, on both backends (SQLite file, PostgreSQL).

Each test runs twice through the ``store_location`` fixture (``[sqlite]`` and
``[postgresql]``, the latter on the private cluster of ``tests/pg_cluster.py``): the
same calls must give the same results, the same errors and the same audit trail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pg_cluster import PrivateCluster
from shapely.geometry import box
from store_samples import BOWTIE, SQUARE, TWO, fields, fill

from lagesbild_geo.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from lagesbild_geo.measures import (
    ALREADY_IN_STORE,
    Area,
    Measure,
    MeasureStore,
    MeasureStoreProtocol,
    check_comparison_area,
    comparison_area_problems,
    history_sv,
    restore_backup,
)
from lagesbild_geo.schema import CATEGORY_LABELS

Opener = Callable[..., MeasureStore]


@pytest.fixture
def open_store(store_location: tuple[str, str | None]) -> Iterator[Opener]:
    """Opens (more) store objects on the test's store; all closed at the end."""
    location, kommun = store_location
    opened: list[MeasureStore] = []

    def opener(user: str = "anna") -> MeasureStore:
        s = MeasureStore(location, kommun=kommun, user=user)
        opened.append(s)
        return s

    yield opener
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store: Opener) -> MeasureStore:
    return open_store("anna")


@pytest.fixture
def area(store: MeasureStore) -> Area:
    return store.add_area(name="Stationsområdet", geometry=SQUARE, description="Kvällar")


@pytest.fixture
def filled(store: MeasureStore) -> MeasureStore:
    return fill(store)


def content(store: MeasureStore) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Everything stored, deleted rows and the audit trail included (seq left out)."""
    areas = sorted((a.id, a.name, a.description, a.geometry.wkb, a.source_cells,
                    a.source_cluster, a.drawn_kommun, a.drawn_dataset, a.drawn_dataset_label,
                    a.version, a.created_at, a.created_by, a.updated_at,
                    a.updated_by, a.deleted_at, a.deleted_by)
                   for a in (store.get_area(i) for i in store.list_areas(include_deleted=True).index))
    ms = sorted(dataclasses.astuple(store.get_measure(i))
                for i in store.list_measures(include_deleted=True).index)
    trail = pd.concat([store.history(entity="area"), store.history(entity="measure")])
    audit = [(r.entity, r.entity_id, r.action, r.version, r.user, r.at,
              json.dumps(r.before, sort_keys=True), json.dumps(r.after, sort_keys=True))
             for r in trail.sort_values("seq").itertuples()]
    return areas, ms, audit


def raw_table(store: MeasureStore, name: str) -> str:
    return name if store.backend == "sqlite" else f"lagesbild.{name}"


# ------------------------------------------------------------------ opening


def test_the_store_satisfies_the_protocol(store: MeasureStore) -> None:
    assert isinstance(store, MeasureStoreProtocol)
    assert store.schema_version == 3
    assert store.user == "anna"
    assert store.backend in ("sqlite", "postgresql")
    assert "password" not in store.location and repr(store).startswith("MeasureStore(")


def test_closed_store_refuses(store: MeasureStore) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_measures()


# ------------------------------------------------------------------ areas and measures


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
    assert area.geometry.equals_exact(SQUARE, 0)  # what was saved is what is read
    assert area.source_cells == () and area.source_cluster is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.title = "x"  # type: ignore[misc]


def test_text_survives_exactly(store: MeasureStore) -> None:
    odd = "Åre'; DROP TABLE areas; -- \"citat\" \\ 100 % _ 😀 Ölandsgatan\tflik"
    a = store.add_area(name=odd, geometry=SQUARE, description=odd, source_cluster=odd)
    m = store.add_measure(area_id=a.id, title=odd, target_categories=["ran"], partners=[odd],
                          cause_tags=[odd.lower()], problem=odd)
    assert store.get_area(a.id).name == odd.strip()
    got = store.get_measure(m.id)
    assert got.title == odd.strip() and got.problem == odd
    assert got.partners == (" ".join(odd.split()),)  # list items: spaces normalised
    assert store.list_measures().loc[m.id, "title"] == odd.strip()


def test_repaired_area_is_reported_on_the_area(store: MeasureStore) -> None:
    a = store.add_area(name="Fjärilen", geometry=BOWTIE)
    assert a.geometry.geom_type == "MultiPolygon"
    assert a.notes and "Self-intersection" in a.notes[0][0]
    assert "notes" in store.history(a.id, entity="area")["after"][0]
    assert store.get_area(a.id).notes == ()
    assert store.get_area(a.id).geometry.equals_exact(a.geometry, 0)


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"title": ""}, "title", "required"),
        ({"target_categories": []}, "target_categories", "at least one"),
        ({"target_categories": ["inbrott i rymden"]}, "target_categories", "unknown category"),
        ({"status": "done-ish"}, "status", "unknown status"),
        ({"responsible": "Kungen"}, "responsible", "unknown actor"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-31"}, "end_date", "before the start"),
        ({"cost": -0.01}, "cost", "negative"),
        ({"area_id": "00000000-0000-0000-0000-000000000000"}, "area_id", "no area"),
    ],
)
def test_measure_rules(store: MeasureStore, area: Area, changes: dict, field: str,
                       needle: str) -> None:
    values = {"area_id": area.id, "title": "T", "target_categories": ["ran"]} | changes
    with pytest.raises(ValidationError) as info:
        store.add_measure(**values)
    assert fields(info.value) == [field]
    assert needle in str(info.value)
    assert store.list_measures(include_deleted=True).empty
    assert store.history(entity="measure").empty


def test_area_rules(store: MeasureStore) -> None:
    with pytest.raises(ValidationError) as info:
        store.add_area(name=" ", geometry="POINT (17 59)", source_cells=["zz!"])
    assert fields(info.value) == ["name", "geometry", "source_cells"]
    with pytest.raises(ValidationError, match="not a UUID"):
        store.add_area(name="A", geometry=SQUARE, id="nope")
    assert store.list_areas(include_deleted=True).empty


def test_kept_ids_and_duplicate_ids(store: MeasureStore, area: Area) -> None:
    kept = "0b7f1c2e-7f67-4f6a-9a3c-3b0a4c1c9e11"
    a = store.add_area(name="B", geometry=SQUARE, id=kept)
    assert a.id == kept
    with pytest.raises(ValidationError, match="already exists"):
        store.add_area(name="C", geometry=SQUARE, id=kept)
    m = store.add_measure(area_id=a.id, title="T", target_categories=["ran"], id=kept)
    assert m.id == kept  # areas and measures are separate tables
    with pytest.raises(ValidationError, match="already exists"):
        store.add_measure(area_id=a.id, title="T", target_categories=["ran"], id=kept)


def test_unknown_ids_raise_not_found(store: MeasureStore) -> None:
    for call in (lambda: store.get_area("nope"), lambda: store.get_measure("nope"),
                 lambda: store.update_measure("nope", {}, expected_version=1),
                 lambda: store.update_area("nope", {}, expected_version=1),
                 lambda: store.delete_measure("nope"), lambda: store.restore_area("nope"),
                 lambda: store.delete_area("nope"), lambda: store.restore_measure("nope"),
                 lambda: store.history("nope"), lambda: store.history("nope", entity="area")):
        with pytest.raises(NotFoundError, match="nope") as info:
            call()
        assert isinstance(info.value, KeyError)
    with pytest.raises(ValidationError, match="'measure' or 'area'"):
        store.history(entity="district")


def test_update_records_before_after_and_bumps_version(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    m2 = store.update_measure(m.id, {"status": "genomförd", "cost": 100}, expected_version=1,
                              user="bo")
    assert (m2.version, m2.status, m2.cost, m2.updated_by, m2.created_by) == \
        (2, "genomförd", 100.0, "bo", "anna")
    assert m2.updated_at > m2.created_at
    # a no-op update writes nothing
    assert store.update_measure(m.id, {"cost": 100.0}, expected_version=2).version == 2
    h = store.history(m.id)
    assert list(h["action"]) == ["create", "update"]
    assert list(h["version"]) == [1, 2]
    assert list(h["user"]) == ["anna", "bo"]
    assert list(h["at"]) == [m.created_at, m2.updated_at]
    assert h["fields"][1] == ["cost", "status"]
    assert h["before"][1] == {"status": "planerad", "cost": None}
    assert h["after"][1] == {"status": "genomförd", "cost": 100.0}
    assert h["after"][0]["title"] == "Väktare" and h["after"][0]["target_categories"] == ["stold"]
    assert h["before"][0] == {}


def test_invalid_update_changes_nothing(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    with pytest.raises(ValidationError) as info:
        store.update_measure(m.id, {"target_categories": [], "title": ""}, expected_version=1)
    assert fields(info.value) == ["title", "target_categories"]
    with pytest.raises(ValidationError, match="unknown field"):
        store.update_measure(m.id, {"colour": "red"}, expected_version=1)
    with pytest.raises(ValidationError, match="no area"):
        store.update_measure(m.id, {"area_id": "elsewhere"}, expected_version=1)
    assert store.get_measure(m.id) == m
    assert len(store.history(m.id)) == 1


def test_stale_save_raises_conflict_naming_who_and_when(open_store: Opener, store: MeasureStore,
                                                        area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    other = open_store("bo")
    theirs = other.update_measure(m.id, {"title": "Två väktare"}, expected_version=1)
    with pytest.raises(ConflictError) as info:
        store.update_measure(m.id, {"cost": 5}, expected_version=1)
    exc = info.value
    assert "changed by bo at " + theirs.updated_at in str(exc)
    assert exc.changed_by == "bo" and exc.changed_at == theirs.updated_at  # type: ignore[attr-defined]
    assert exc.current == theirs  # type: ignore[attr-defined]
    assert store.get_measure(m.id) == theirs  # nothing written
    with pytest.raises(ConflictError):
        store.delete_measure(m.id, expected_version=1)
    store.update_area(area.id, {"name": "Stationen"}, expected_version=1)
    with pytest.raises(ConflictError, match="changed by anna"):
        other.update_area(area.id, {"name": "Resecentrum"}, expected_version=1)
    with pytest.raises(ConflictError):
        other.delete_area(area.id, expected_version=1, cascade=True)
    assert len(store.history(m.id)) == 2 and len(store.history(area.id, entity="area")) == 2


def test_soft_delete_and_restore(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="Väktare", target_categories=["stold"])
    d = store.delete_measure(m.id, expected_version=1, user="bo")
    assert d.is_deleted and d.deleted_by == "bo" and d.version == 2
    assert store.delete_measure(m.id).version == 2  # deleting again changes nothing
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
    assert a.is_deleted and a.deleted_by == "bo" and store.get_measure(m.id).is_deleted
    assert store.list_areas().empty and len(store.list_areas(include_deleted=True)) == 1
    with pytest.raises(NotFoundError, match="is deleted"):
        store.update_area(area.id, {"name": "x"}, expected_version=2)
    with pytest.raises(ValidationError, match="is deleted; restore it"):
        store.restore_measure(m.id)
    with pytest.raises(ValidationError, match="is deleted"):
        store.add_measure(area_id=area.id, title="Ny", target_categories=["stold"])
    restored = store.restore_area(area.id)
    assert not restored.is_deleted and restored.version == 3
    assert store.restore_area(area.id).version == 3  # restoring again changes nothing
    assert store.restore_measure(m.id).is_deleted is False
    assert list(store.history(area.id, entity="area")["action"]) == ["create", "delete",
                                                                     "restore"]
    assert list(store.history(m.id)["user"]) == ["anna", "bo", "anna"]


def test_audit_trail_is_append_only_in_the_database(store: MeasureStore, area: Area) -> None:
    audit = raw_table(store, "audit")
    for sql in (f'UPDATE {audit} SET "user" = \'mallory\'', f"DELETE FROM {audit}"):
        with pytest.raises(Exception, match=r"append-only|permission denied"), \
                store.transaction() as conn:
            conn.execute(sql)
    assert list(store.history(area.id, entity="area")["user"]) == ["anna"]


def test_foreign_key_enforced_in_the_database(store: MeasureStore) -> None:
    cols = ("id, area_id, title, target_categories, status, version, created_at, created_by, "
            "updated_at, updated_by")
    t = "'2024-01-01T00:00:00+00:00'"
    if store.backend == "sqlite":
        sql = (f"INSERT INTO measures ({cols}) VALUES ('m', 'missing', 't', '[\"ran\"]', "
               f"'planerad', 1, {t}, '', {t}, '')")
    else:
        sql = (f"INSERT INTO lagesbild.measures ({cols}, kommun) VALUES ('m', 'missing', 't', "
               f"ARRAY['ran'], 'planerad', 1, {t}, '', {t}, '', '{store.kommun}')")
    with pytest.raises(Exception, match=r"(?i)foreign key"), store.transaction() as conn:
        conn.execute(sql)
    assert store.list_measures(include_deleted=True).empty


def test_transaction_groups_calls_and_rolls_back(store: MeasureStore, area: Area) -> None:
    with pytest.raises(ValidationError), store.transaction():
        store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
        store.add_measure(area_id=area.id, title="B", target_categories=[])
    assert store.list_measures().empty
    assert len(store.history(entity="measure")) == 0
    with store.transaction():
        store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
        store.add_measure(area_id=area.id, title="B", target_categories=["ran"])
    assert len(store.list_measures()) == 2


def test_list_measures_filters_sorting_and_dtypes(store: MeasureStore, area: Area) -> None:
    b = store.add_area(name="Torget", geometry=SQUARE)
    store.add_measure(area_id=area.id, title="C", target_categories=["ran"], status="avbruten")
    store.add_measure(area_id=area.id, title="B", target_categories=["ran"],
                      start_date="2024-05-01")
    store.add_measure(area_id=b.id, title="A", target_categories=["ran"], start_date="2024-01-01")
    df = store.list_measures()
    assert list(df["title"]) == ["A", "B", "C"]
    assert df.index.name == "id"
    assert list(df["area_name"]) == ["Torget", "Stationsområdet", "Stationsområdet"]
    assert str(df["start_date"].dtype) == "datetime64[ns]"
    assert df["start_date"].isna().tolist() == [False, False, True]
    assert str(df["cost"].dtype) == "float64" and str(df["version"].dtype) == "int64"
    assert list(store.list_measures(status="avbruten")["title"]) == ["C"]
    assert list(store.list_measures(status="cancelled")["title"]) == ["C"]
    assert list(store.list_measures(area_id=b.id)["title"]) == ["A"]
    with pytest.raises(ValidationError):
        store.list_measures(status="klar")


def test_list_areas_columns_and_order(store: MeasureStore, area: Area) -> None:
    store.add_area(name="torget", geometry=TWO, source_cells=["89089a4c263ffff"])
    store.add_area(name="Åbacka", geometry=SQUARE)
    store.add_area(name="Berga", geometry=SQUARE)
    store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
    areas = store.list_areas()
    assert list(areas["name"]) == ["Berga", "Stationsområdet", "torget", "Åbacka"]
    assert areas.crs.to_epsg() == 4326 and areas.index.name == "id"
    assert list(areas["n_measures"]) == [0, 1, 0, 0]
    assert areas["area_km2"].iloc[0] == pytest.approx(0.6331, rel=0.01)
    assert areas.loc[areas["name"] == "torget", "source_cells"].item() == ["89089a4c263ffff"]
    assert list(areas.columns) == ["name", "description", "source_cells", "source_cluster",
                                   "drawn_kommun", "drawn_dataset", "drawn_dataset_label",
                                   "n_measures", "area_km2", "version", "created_at",
                                   "created_by", "updated_at", "updated_by", "deleted_at",
                                   "deleted_by", "geometry"]
    assert areas.geometry.iloc[0].equals_exact(SQUARE, 0)


def test_history_of_everything_is_ordered(store: MeasureStore, area: Area) -> None:
    m = store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
    store.update_measure(m.id, {"title": "B"}, expected_version=1)
    h = store.history(entity="measure")
    assert list(h["seq"]) == sorted(h["seq"]) and len(h) == 2
    assert len(store.history(entity="area")) == 1
    assert str(h["seq"].dtype) == "int64"


def test_update_area_geometry_and_move_measure(store: MeasureStore, area: Area) -> None:
    other = store.add_area(name="Torget", geometry=SQUARE.buffer(0.001))
    m = store.add_measure(area_id=area.id, title="A", target_categories=["ran"])
    moved = store.update_measure(m.id, {"area_id": other.id}, expected_version=1)
    assert moved.area_id == other.id
    assert store.update_area(area.id, {"geometry": SQUARE}, expected_version=1).version == 1
    a2 = store.update_area(area.id, {"geometry": BOWTIE, "description": "Ny"},
                           expected_version=1)
    assert a2.geometry.geom_type == "MultiPolygon" and a2.notes and a2.version == 2
    assert store.get_area(area.id).geometry.equals_exact(a2.geometry, 0)
    h = store.history(area.id, entity="area")
    assert h["fields"][1] == ["description", "geometry"]
    assert h["after"][1]["geometry"]["type"] == "MultiPolygon"


def test_rename_and_reshape_are_versioned_and_audited(open_store: Opener, store: MeasureStore,
                                                      area: Area) -> None:
    """Renaming and reshaping an area: one version each, the audit trail names the field and
    holds before and after, the trail reads "namn ändrat" / "form ändrad" in Swedish, and a
    stale rename is refused naming who saved first."""
    bigger = box(17.10, 59.37, 17.12, 59.38)  # twice the square's height
    renamed = store.update_area(area.id, {"name": "Centrumtorget"}, expected_version=1,
                                user="bo")
    reshaped = store.update_area(area.id, {"geometry": bigger}, expected_version=2, user="cia")
    assert (renamed.version, reshaped.version) == (2, 3)
    assert reshaped.name == "Centrumtorget" and reshaped.geometry.equals(bigger)
    assert reshaped.area_km2 == pytest.approx(2 * area.area_km2, rel=1e-3)
    h = store.history(area.id, entity="area")
    assert list(h["action"]) == ["create", "update", "update"]
    assert list(h["user"]) == ["anna", "bo", "cia"]
    assert h["fields"][1] == ["name"] and h["fields"][2] == ["geometry"]
    assert (h["before"][1], h["after"][1]) == ({"name": "Stationsområdet"},
                                               {"name": "Centrumtorget"})
    assert shapely.geometry.shape(h["before"][2]["geometry"]).equals(area.geometry)
    assert shapely.geometry.shape(h["after"][2]["geometry"]).equals(bigger)
    words = history_sv(store, area.id, entity="area")
    assert list(words["Ändring"]) == [
        "området skapat", "namn ändrat: «Stationsområdet» → «Centrumtorget»",
        "form ändrad (0,63 km² → 1,27 km²)"]
    assert list(words["Vem"]) == ["anna", "bo", "cia"] and list(words["Version"]) == [1, 2, 3]
    # a second user's rename based on version 1 is refused, naming who saved first
    with pytest.raises(ConflictError, match="cia") as info:
        open_store("dan").update_area(area.id, {"name": "Torget"}, expected_version=1)
    assert info.value.changed_by == "cia"  # type: ignore[attr-defined]
    assert store.get_area(area.id).name == "Centrumtorget"
    assert len(store.history(area.id, entity="area")) == 3
    # a reshape that breaks the rules changes nothing
    with pytest.raises(ValidationError) as bad:
        store.update_area(area.id, {"geometry": "POLYGON ((5 5, 6 5, 6 6, 5 5))"},
                          expected_version=3)
    assert fields(bad.value) == ["geometry"]
    assert store.get_area(area.id).version == 3


def test_area_remembers_the_kommun_and_data_set_it_was_drawn_on(store: MeasureStore,
                                                                 tmp_path: Path) -> None:
    ds = "sha256:" + "0f" * 32
    a = store.add_area(name="Torget", geometry=SQUARE, drawn_kommun="Stockholm",
                       drawn_dataset=ds, drawn_dataset_label="polisen.xlsx (2024)")
    assert (a.drawn_kommun, a.drawn_dataset, a.drawn_dataset_label) == \
        ("0180", ds, "polisen.xlsx (2024)")  # a kommun name is stored as its code
    assert store.get_area(a.id) == a
    row = store.list_areas().loc[a.id]
    assert (row["drawn_kommun"], row["drawn_dataset"], row["drawn_dataset_label"]) == \
        ("0180", ds, "polisen.xlsx (2024)")
    assert store.history(a.id, entity="area")["after"][0]["drawn_dataset"] == ds
    # a kommun the name list does not know is kept by name; an area without data set is None
    b = store.add_area(name="Övning", geometry=SQUARE, drawn_kommun=" Exempelkommun ")
    assert (b.drawn_kommun, b.drawn_dataset, b.drawn_dataset_label) == \
        ("Exempelkommun", None, None)
    with pytest.raises(ValidationError) as info:
        store.add_area(name="Fel", geometry=SQUARE, drawn_kommun="12345")
    assert fields(info.value) == ["drawn_kommun"]
    # reshaped on newer data: the tie moves with the shape, in the audit trail
    ds2 = "sha256:" + "1e" * 32
    c = store.update_area(a.id, {"geometry": SQUARE.buffer(0.001), "drawn_dataset": ds2,
                                 "drawn_dataset_label": "polisen.xlsx (2025)"},
                          expected_version=1)
    assert (c.version, c.drawn_dataset, c.drawn_kommun) == (2, ds2, "0180")
    h = store.history(a.id, entity="area")
    assert h["fields"][1] == ["drawn_dataset", "drawn_dataset_label", "geometry"]
    assert history_sv(store, a.id, entity="area")["Ändring"][1].startswith(
        "form ändrad (0,63 km² → ")
    assert "kopplat till underlaget «polisen.xlsx (2025)»" in \
        history_sv(store, a.id, entity="area")["Ändring"][1]
    # the store's own export keeps the tie exactly, also in the GIS exports
    out = store.export_store(tmp_path / "s.json.gz")
    with MeasureStore(tmp_path / "copy.sqlite") as copy:
        copy.import_store(out)
        assert copy.get_area(a.id) == store.get_area(a.id)
    store.export_geojson(tmp_path / "areas.geojson")
    store.export_gpkg(tmp_path / "areas.gpkg")
    for name in ("areas.geojson", "areas.gpkg"):
        with MeasureStore(tmp_path / f"from-{name}.sqlite") as s2:
            got = {x.name: x for x in s2.import_areas(tmp_path / name)}
            assert (got["Torget"].drawn_kommun, got["Torget"].drawn_dataset) == ("0180", ds2)
            assert got["Övning"].drawn_dataset is None


def test_comparison_area_refusal(store: MeasureStore, area: Area) -> None:
    """A comparison area is refused when it has its own measure during the follow-up or
    overlaps the treated area or its buffer ring; a clean one is accepted."""
    far = store.add_area(name="Norr", geometry=box(17.10, 59.40, 17.12, 59.405))
    near = store.add_area(name="Granne", geometry=box(17.121, 59.37, 17.13, 59.375))
    over = store.add_area(name="Halva", geometry=box(17.11, 59.37, 17.13, 59.375))
    check_comparison_area(store, area.id, far.id, buffer_m=250)  # accepted: no error
    assert comparison_area_problems(store, area.id, far.id) == []
    with pytest.raises(ValidationError) as info:
        check_comparison_area(store, area.id, over.id)
    assert fields(info.value) == ["control"]
    assert "«Halva» överlappar åtgärdens område «Stationsområdet» (50 % av" in \
        info.value.problems[0][2]
    (_, en, sv), = comparison_area_problems(store, area.id, near.id, buffer_m=250)
    assert "buffer ring" in en and sv.startswith("«Granne» ligger delvis i buffertzonen (250 m)")
    assert comparison_area_problems(store, area.id, near.id, buffer_m=50) == []
    # its own measure, active in the follow-up period, is a reason; outside the period not
    store.add_measure(area_id=far.id, title="Kameror", target_categories=["ran"],
                      status="genomförd", start_date="2023-01-01", end_date="2023-06-30")
    period = ("2024-01-01", "2025-12-31")
    assert comparison_area_problems(store, area.id, far.id, period=period) == []
    m = store.add_measure(area_id=far.id, title="Väktare", target_categories=["stold"],
                          status="pågående", start_date="2024-05-01")
    (_, en, sv), = comparison_area_problems(store, area.id, far.id, period=period)
    assert "'Norr' has 1 measure(s) of its own" in en
    assert sv == ("«Norr» har en egen åtgärd under uppföljningsperioden (1 januari 2024–31 "
                  "december 2025): «Väktare» (pågående, från 1 maj 2024). Dess effekt skulle "
                  "blandas in i jämförelsen; välj ett område utan egna åtgärder under perioden, "
                  "eller resten av kommunen.")
    store.delete_measure(m.id)  # a deleted measure does not count
    assert comparison_area_problems(store, area.id, far.id, period=period) == []
    # a planned measure without a start date has not acted; the area itself is refused
    store.add_measure(area_id=far.id, title="Plan", target_categories=["ran"])
    assert comparison_area_problems(store, area.id, far.id, period=period) == []
    (_, _, sv), = comparison_area_problems(store, area.id, area.id)
    assert "åtgärdens eget område" in sv
    store.delete_area(over.id)
    assert any("borttaget" in p[2] for p in comparison_area_problems(store, area.id, over.id))
    with pytest.raises(NotFoundError):
        comparison_area_problems(store, area.id, "finns-inte")


def test_get_or_create_area(store: MeasureStore) -> None:
    a, new = store.get_or_create_area("Torget", geometry=SQUARE)
    b, again = store.get_or_create_area("  TORGET ", geometry=TWO)
    assert (new, again, a.id == b.id) == (True, False, True)
    c, other = store.get_or_create_area("Torgét", geometry=SQUARE)
    assert other and c.id != a.id
    store.delete_area(a.id)
    d, fresh = store.get_or_create_area("Torget", geometry=SQUARE)
    assert fresh and d.id != a.id  # a deleted area does not count
    store.restore_area(a.id)
    with pytest.raises(ValidationError, match="2 areas are called"):
        store.get_or_create_area("torget", geometry=SQUARE)


def test_connection_per_thread(store: MeasureStore, area: Area) -> None:
    """Streamlit runs each session's script in its own thread: one connection each."""
    errors: list[BaseException] = []
    conns: list[object] = []  # the objects, not their ids: a freed one's id is reused
    all_connected = threading.Barrier(4, timeout=30)

    def work(i: int) -> None:
        try:
            conns.append(store._conn())
            all_connected.wait()  # the four threads hold their connections at once
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
    assert len({id(c) for c in conns}) == 4
    assert len(store.list_measures()) == 40
    for _ in range(10):  # connections of finished threads are closed
        t = threading.Thread(target=store.list_measures)
        t.start()
        t.join()
    assert len(store._backend._conns) <= 2


# ------------------------------------------------------------------ import and export


def test_geojson_round_trip(filled: MeasureStore, open_store: Opener, tmp_path: Path) -> None:
    out = filled.export_geojson(tmp_path / "a.geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["lagesbild_geo"]["kind"] == "lagesbild_geo.measures"
    f = {x["properties"]["name"]: x for x in doc["features"]}["Stationsområdet"]
    assert [m["title"] for m in f["properties"]["measures"]] == ["Belysning i tunneln",
                                                                 "Väktare"]
    assert f["properties"]["measures"][0]["target_labels"] == "Rån, Våld och hot"
    assert f["geometry"]["coordinates"][0][0] == [17.1, 59.37]
    # importing into the same store: every area is already there, nothing is added twice
    areas = filled.import_areas(out, user="bo")
    assert len(areas) == 3 and all(ALREADY_IN_STORE in a.notes for a in areas)
    assert len(filled.list_measures()) == 3
    assert len(filled.list_areas()) == 3
    # one renamed in the file is another area: a new id, made by the importing user
    doc["features"][0]["properties"]["name"] = "Nytt namn"
    out.write_text(json.dumps(doc), encoding="utf-8")
    areas = filled.import_areas(out, user="bo")
    new = [a for a in areas if ALREADY_IN_STORE not in a.notes]
    assert [a.name for a in new] == ["Nytt namn"] and new[0].created_by == "bo"
    assert len(filled.list_areas()) == 4


def test_gpkg_round_trip(filled: MeasureStore, tmp_path: Path) -> None:
    out = filled.export_gpkg(tmp_path / "a.gpkg")
    layers = {str(r[0]) for r in pyogrio.list_layers(out)}
    assert layers == {"areas", "measures", "metadata"}
    measures = gpd.read_file(out, layer="measures")
    assert len(measures) == 3 and measures.crs.to_epsg() == 4326
    assert sorted(measures["status"]) == ["genomförd", "planerad", "pågående"]
    areas = gpd.read_file(out, layer="areas")
    assert list(areas.sort_values("name")["n_measures"]) == [1, 2, 0]


def test_to_geodataframe_and_plan(filled: MeasureStore, tmp_path: Path) -> None:
    m = filled.to_geodataframe()
    assert len(m) == 3 and m.crs.to_epsg() == 4326
    a = filled.to_geodataframe(kind="areas", include_deleted=True)
    assert sorted(a["n_measures"]) == [0, 2, 2]
    with pytest.raises(InputError):
        filled.to_geodataframe(kind="cells")
    plan = filled.plan_table()
    assert list(plan["Status"]) == ["Planerad", "Pågående", "Genomförd"]
    assert plan.loc[1, "Brottskategorier"] == "Rån, Våld och hot"
    assert len(filled.plan_table(include_deleted=True)) == 4
    wb = openpyxl.load_workbook(filled.export_plan_excel(tmp_path / "p.xlsx"))
    assert wb["Åtgärdsplan"].max_row == 4
    csv = filled.export_plan_csv(tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0].startswith("Status;Område;Åtgärd")
    assert "125000,5" in csv


def test_import_areas_all_or_nothing(store: MeasureStore, tmp_path: Path) -> None:
    good = gpd.GeoDataFrame({"namn": ["Norr", "Söder"]}, geometry=[SQUARE, TWO], crs=4326)
    good.to_file(tmp_path / "ok.geojson", driver="GeoJSON")
    got = store.import_areas(tmp_path / "ok.geojson")
    assert [a.name for a in got] == ["Norr", "Söder"]
    bad = gpd.GeoDataFrame({"namn": ["Ok", "Linje"]},
                           geometry=[SQUARE, shapely.LineString([(17.1, 59.37), (17.2, 59.4)])],
                           crs=4326)
    bad.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(ValidationError, match="feature 2"):
        store.import_areas(tmp_path / "bad.geojson")
    assert len(store.list_areas()) == 2
    assert len(store.history(entity="area")) == 2


# ------------------------------------------------------------------ the store's own export


def test_export_store_round_trip_is_exact(filled: MeasureStore, tmp_path: Path) -> None:
    a = filled.list_areas().index[0]
    filled.update_area(a, {"description": "Ändrad"}, expected_version=1, user="bo")
    out = filled.export_store(tmp_path / "export.json.gz")
    with pytest.raises(InputError, match="exists"):
        filled.export_store(out)
    before = content(filled)
    with MeasureStore(tmp_path / "copy.sqlite") as copy:
        copy.import_store(out)
        assert content(copy) == before
        with pytest.raises(StoreError, match="not empty"):
            copy.import_store(out)
    doc = json.loads(gzip.decompress(out.read_bytes()))
    assert doc["kind"] == "lagesbild_geo.measure-store" and doc["kommun"] == filled.kommun
    assert doc["counts"] == {"areas": 3, "measures": 4, "audit": 3 + 4 + 1 + 1}


def test_export_store_moves_between_backends(tmp_path: Path,
                                             pg_cluster: PrivateCluster) -> None:
    """SQLite → PostgreSQL → SQLite keeps everything; another kommun's export is refused."""
    pg_cluster.wipe()
    with MeasureStore(tmp_path / "laptop.sqlite", user="anna") as laptop:
        before = content(fill(laptop))
        out = laptop.export_store(tmp_path / "laptop.json")
    with MeasureStore(pg_cluster.url("lagesbild_test"), kommun="0180") as server:
        server.import_store(out)
        assert content(server) == before
        back = server.export_store(tmp_path / "server.json.gz")
        server.add_area(name="Ny på servern", geometry=SQUARE)
    with MeasureStore(tmp_path / "back.sqlite") as s:
        s.import_store(back)
        assert content(s) == before
    with MeasureStore(pg_cluster.url("lagesbild_test"), kommun="0380") as other:
        with pytest.raises(StoreError, match="kommun 0180"):
            other.import_store(back)
        assert other.list_areas(include_deleted=True).empty
    pg_cluster.wipe()


def test_backup_and_restore_with_the_export(filled: MeasureStore, open_store: Opener,
                                            store_location: tuple[str, str | None],
                                            tmp_path: Path) -> None:
    backup = filled.backup(tmp_path / "backups" / "b.json.gz")
    before = content(filled)
    first = filled.list_measures().index[0]
    filled.delete_measure(first)
    filled.add_area(name="Efter backup", geometry=SQUARE)
    changed = content(filled)
    location, kommun = store_location
    safety = restore_backup(backup, location, kommun=kommun)
    assert safety.exists() and "before-restore" in safety.name
    # the open store object sees the restored content at once
    assert content(filled) == before
    # a second store object too, and the safety copy holds what was replaced
    assert content(open_store("bo")) == before
    if filled.backend == "sqlite":
        with MeasureStore(safety) as s:
            assert content(s) == changed
    else:
        with MeasureStore(tmp_path / "safety.sqlite") as s:
            s.import_store(safety)
            assert content(s) == changed
    # the store keeps working: ids, versions and the audit trail carry on
    m = filled.get_measure(first)
    assert filled.update_measure(m.id, {"title": "Efter"}, expected_version=m.version).version \
        == m.version + 1


def test_bad_exports_are_refused_and_change_nothing(filled: MeasureStore, tmp_path: Path) -> None:
    before = content(filled)
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"kind": "something"}', encoding="utf-8")
    out = filled.export_store(tmp_path / "ok.json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["measures"][0]["status"] = "klar"
    doc["areas"][1]["geometry"] = {"type": "Point", "coordinates": [17.1, 59.37]}
    doc["measures"][1]["area_id"] = "elsewhere"
    (tmp_path / "edited.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="not a readable store export"):
        filled.import_store(tmp_path / "junk.json", replace=True)
    with pytest.raises(InputError, match="not an export of a measure store"):
        filled.import_store(tmp_path / "other.json", replace=True)
    with pytest.raises(ValidationError) as info:
        filled.import_store(tmp_path / "edited.json", replace=True)
    assert sorted(fields(info.value)) == ["area 2: geometry", "measure 1: status",
                                          "measure 2: area_id"]
    assert content(filled) == before


# ------------------------------------------------------------------ any valid measure


_text_st = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_any_valid_measure_round_trips(backend: str, request: pytest.FixtureRequest,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    cluster = request.getfixturevalue("pg_cluster") if backend == "postgresql" else None

    def open_new() -> MeasureStore:
        if cluster is None:
            return MeasureStore(tmp_path_factory.mktemp("h") / "s.sqlite")
        cluster.wipe()
        return MeasureStore(cluster.url("lagesbild_test"), kommun="9999")

    @settings(max_examples=25, deadline=None)
    @given(title=_text_st.filter(lambda t: t.strip() != ""), description=_text_st,
           partners=st.lists(_text_st.filter(lambda t: "," not in t and ";" not in t
                                             and t.strip() != ""), max_size=3),
           cost=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)),
           cats=st.lists(st.sampled_from(list(CATEGORY_LABELS) + list(CATEGORY_LABELS.values())),
                         min_size=1, max_size=4))
    def check(title: str, description: str, partners: list[str], cost: float | None,
              cats: list[str]) -> None:
        with open_new() as s:
            a = s.add_area(name="A", geometry=SQUARE)
            m = s.add_measure(area_id=a.id, title=title, description=description,
                              partners=partners, cost=cost, target_categories=cats)
            assert s.get_measure(m.id) == m
            assert m.title == title.strip() and m.description == description.strip()
            assert m.cost == cost
            row = s.list_measures().loc[m.id]
            assert row["title"] == m.title and list(row["partners"]) == list(m.partners)

    check()
