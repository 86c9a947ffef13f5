"""What is particular to the PostgreSQL/PostGIS store: kommun isolation enforced by the
database, refusals on opening, server-init and migrations, PostGIS geometry, errors.

Runs on the private cluster of ``tests/pg_cluster.py`` (skipped without PostgreSQL,
a failure then with ``CI=true``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import shapely
from pg_cluster import PrivateCluster
from store_samples import SQUARE

from lagesbild_geo.errors import InputError, NotFoundError, StoreError, ValidationError
from lagesbild_geo.measures import MeasureStore, restore_backup, schema
from lagesbild_geo.measures import postgres as pgmod


@pytest.fixture
def cluster(pg_cluster: PrivateCluster) -> Iterator[PrivateCluster]:
    pg_cluster.wipe()
    yield pg_cluster
    pg_cluster.wipe()


@pytest.fixture
def two_kommuner(cluster: PrivateCluster) -> Iterator[tuple[MeasureStore, MeasureStore]]:
    """Kommun 0180 with an area and two measures (one deleted); 0380 with one of each."""
    s180 = MeasureStore(cluster.url("app_0180"), kommun="0180", user="anna")
    s380 = MeasureStore(cluster.url("app_0380"), kommun="0380", user="olle")
    a = s180.add_area(name="Sergels torg", geometry=SQUARE)
    s180.add_measure(area_id=a.id, title="Väktare", target_categories=["ran"])
    gone = s180.add_measure(area_id=a.id, title="Struken", target_categories=["stold"])
    s180.delete_measure(gone.id)
    b = s380.add_area(name="Stora torget", geometry=SQUARE)
    s380.add_measure(area_id=b.id, title="Belysning", target_categories=["vald"])
    yield s180, s380
    s180.close()
    s380.close()


# ------------------------------------------------------------------ kommun isolation


def test_a_kommun_sees_none_of_another_kommuns_rows(
        two_kommuner: tuple[MeasureStore, MeasureStore]) -> None:
    s180, s380 = two_kommuner
    assert list(s380.list_areas(include_deleted=True)["name"]) == ["Stora torget"]
    assert list(s380.list_measures(include_deleted=True)["title"]) == ["Belysning"]
    assert set(s380.history(entity="measure")["user"]) == {"olle"}
    assert set(s380.history(entity="area")["entity_id"]) == set(s380.list_areas().index)
    assert len(s180.list_measures(include_deleted=True)) == 2
    theirs_area = s180.list_areas().index[0]
    theirs = s180.list_measures(include_deleted=True).index[0]
    for call in (lambda: s380.get_area(theirs_area), lambda: s380.get_measure(theirs),
                 lambda: s380.update_measure(theirs, {"title": "x"}, expected_version=1),
                 lambda: s380.delete_measure(theirs), lambda: s380.restore_measure(theirs),
                 lambda: s380.update_area(theirs_area, {"name": "x"}, expected_version=1),
                 lambda: s380.delete_area(theirs_area, cascade=True),
                 lambda: s380.history(theirs)):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(ValidationError, match="no area"):
        s380.add_measure(area_id=theirs_area, title="Inbrytning", target_categories=["ran"])
    # the same name in two kommuner is two areas
    area, created = s380.get_or_create_area("Sergels torg", geometry=SQUARE)
    assert created and area.id != theirs_area
    assert s180.get_measure(theirs).title in ("Väktare", "Struken")
    assert s180.list_areas()["version"].tolist() == [1]


def test_raw_sql_on_a_scoped_connection_cannot_reach_another_kommun(
        two_kommuner: tuple[MeasureStore, MeasureStore]) -> None:
    s180, s380 = two_kommuner
    theirs = s180.list_measures().index[0]
    conn = s380._conn()
    assert conn.execute("SELECT count(*) AS n FROM lagesbild.measures").fetchone()["n"] == 1
    assert conn.execute("SELECT count(*) AS n FROM lagesbild.areas WHERE kommun = '0180'"
                        ).fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM lagesbild.audit").fetchone()["n"] == 2
    cur = conn.execute("UPDATE lagesbild.measures SET title = 'kapad' WHERE id = %s", (theirs,))
    assert cur.rowcount == 0
    cur = conn.execute("DELETE FROM lagesbild.measures WHERE kommun = '0180'")
    assert cur.rowcount == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("INSERT INTO lagesbild.areas (kommun, id, name, geometry, version, "
                     "created_at, created_by, updated_at, updated_by) VALUES ('0180', 'x', 'x', "
                     "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 3006), 1, now(), 'm', now(), "
                     "'m')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("UPDATE lagesbild.measures SET kommun = '0180'")
    # choosing another kommun on the connection does not help: the role is not a member
    conn.execute("SET lagesbild.kommun = '0180'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not use the rows"):
        conn.execute("SELECT count(*) FROM lagesbild.measures")
    conn.execute("RESET lagesbild.kommun")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="no kommun chosen"):
        conn.execute("SELECT count(*) FROM lagesbild.measures")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SET ROLE lagesbild_kommun_0180")
    s380.close()
    # kommun 0180's rows are untouched
    assert s180.get_measure(theirs).title == "Väktare"
    assert len(s180.list_measures(include_deleted=True)) == 2


def test_a_role_granted_several_kommuner_switches_only_through_the_store(
        cluster: PrivateCluster) -> None:
    with MeasureStore(cluster.url("lagesbild_test"), kommun="0180") as a, \
            MeasureStore(cluster.url("lagesbild_test"), kommun="0380") as b:
        a.add_area(name="A", geometry=SQUARE)
        assert b.list_areas().empty and len(a.list_areas()) == 1


# ------------------------------------------------------------------ refusals on opening


def test_opening_without_kommun_is_refused(cluster: PrivateCluster,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAGESBILD_KOMMUN", raising=False)
    with pytest.raises(StoreError, match=r"shared database .* give the kommun"):
        MeasureStore(cluster.url("app_0180"))
    monkeypatch.setenv("LAGESBILD_KOMMUN", "Stockholm")  # a name works too
    with MeasureStore(cluster.url("app_0180")) as s:
        assert s.kommun == "0180"
    monkeypatch.setenv("LAGESBILD_STORE", cluster.url("app_0180"))
    with MeasureStore() as s:
        assert s.backend == "postgresql" and s.path is None
    with pytest.raises(InputError, match="not one of Sweden's 290"):
        MeasureStore(cluster.url("app_0180"), kommun="Atlantis")


def test_other_kommun_superuser_and_missing_store_are_refused(cluster: PrivateCluster) -> None:
    with pytest.raises(StoreError, match=r"permission denied .* may not use the rows of kommun "
                                         r"0380.*--grant ROLE=CODE"):
        MeasureStore(cluster.url("app_0180"), kommun="0380")
    with pytest.raises(StoreError, match="bypasses row-level security"):
        MeasureStore(cluster.url(), kommun="0180")
    with psycopg.connect(cluster.url(database="postgres"), autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS empty_db")
        c.execute("CREATE DATABASE empty_db")
    with pytest.raises(StoreError, match=r"holds no measure store .* server-init"):
        MeasureStore(cluster.url("app_0180", "empty_db"), kommun="0180")
    with pytest.raises(StoreError, match=r"database does not exist.*createdb"):
        MeasureStore(cluster.url("app_0180", "no_such_db"), kommun="0180")
    unreachable = f"postgresql://app_0180@127.0.0.1:{cluster.port + 1}/lagesbild"
    with pytest.raises(StoreError, match=r"could not be reached .* server runs"):
        MeasureStore(unreachable, kommun="0180")


def test_password_never_appears_in_messages(cluster: PrivateCluster) -> None:
    url = f"postgresql://app_0180:hemligt@127.0.0.1:{cluster.port + 1}/lagesbild"
    with pytest.raises(StoreError) as info:
        MeasureStore(url, kommun="0180")
    assert "hemligt" not in str(info.value)
    assert pgmod.redact_url(url) == f"postgresql://app_0180@127.0.0.1:{cluster.port + 1}/lagesbild"


# ------------------------------------------------------------------ schema and server-init


def test_server_init_is_idempotent_and_checks_roles(cluster: PrivateCluster) -> None:
    again = pgmod.init_server(cluster.url(), kommuner=["0180"], grant={"app_0180": ["0180"]})
    assert again == {"version": 3, "created": False, "migrated_from": None,
                     "kommuner": ["0180"], "granted": {"app_0180": ["0180"]}}
    with pytest.raises(InputError, match="does not exist; create it first"):
        pgmod.init_server(cluster.url(), grant={"nobody_here": ["0180"]})
    with pytest.raises(InputError, match="not a PostgreSQL role name"):
        pgmod.init_server(cluster.url(), grant={"x; DROP TABLE y": ["0180"]})
    with pytest.raises(StoreError, match=r"permission denied|must be superuser|privilege"):
        pgmod.init_server(cluster.url("app_0180"), kommuner=["0181"])


def test_schema_versions_and_migration(cluster: PrivateCluster,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url = cluster.url("app_0180")
    with MeasureStore(url, kommun="0180") as s:
        assert s.schema_version == 3
        a = s.add_area(name="Före", geometry=SQUARE)
    # a library one version newer, with a migration that adds a column
    monkeypatch.setattr(pgmod, "SCHEMA_VERSION", 4)
    monkeypatch.setitem(schema.POSTGRES_MIGRATIONS, 3, (
        "ALTER TABLE lagesbild.areas ADD COLUMN colour text",))
    with pytest.raises(StoreError, match=r"schema version 3; this library needs 4.*server-init"):
        MeasureStore(url, kommun="0180")
    result = pgmod.init_server(cluster.url())
    assert result["migrated_from"] == 3 and result["version"] == 4
    with MeasureStore(url, kommun="0180") as s:
        assert s.schema_version == 4 and s.get_area(a.id).name == "Före"
    # and the library that is now too old refuses
    monkeypatch.setattr(pgmod, "SCHEMA_VERSION", 3)
    with pytest.raises(StoreError, match="newer than this library"):
        MeasureStore(url, kommun="0180")
    with psycopg.connect(cluster.url(), autocommit=True) as c:  # put the test cluster back
        c.execute("ALTER TABLE lagesbild.areas DROP COLUMN colour")
        c.execute("UPDATE lagesbild.schema_info SET version = 3")


def test_a_version_2_server_store_is_migrated_by_server_init(
        two_kommuner: tuple[MeasureStore, MeasureStore], cluster: PrivateCluster) -> None:
    """A server store of schema version 2 (areas without the drawn-on columns) is refused
    by the app until the administrator runs server-init, which adds the columns in one
    transaction; every kommun's rows and audit trail stay, and the fields then work."""
    s180, s380 = two_kommuner
    aid = s180.list_areas().index[0]
    before = (s180.list_areas().drop(columns="geometry"), s380.list_measures(),
              s180.history(entity="measure"))
    s180.close()
    with psycopg.connect(cluster.url(), autocommit=True) as c:  # what version 2 created
        c.execute("ALTER TABLE lagesbild.areas DROP COLUMN drawn_kommun, "
                  "DROP COLUMN drawn_dataset, DROP COLUMN drawn_dataset_label")
        c.execute("UPDATE lagesbild.schema_info SET version = 2")
    with pytest.raises(StoreError, match=r"schema version 2; this library needs 3.*server-init"):
        MeasureStore(cluster.url("app_0180"), kommun="0180")
    result = pgmod.init_server(cluster.url())
    assert (result["migrated_from"], result["version"], result["created"]) == (2, 3, False)
    assert pgmod.init_server(cluster.url())["migrated_from"] is None  # once only
    with MeasureStore(cluster.url("app_0180"), kommun="0180", user="anna") as s:
        assert s.schema_version == 3
        assert s.list_areas().drop(columns="geometry").equals(before[0])
        assert s.history(entity="measure").equals(before[2])
        a = s.update_area(aid, {"drawn_kommun": "0180", "drawn_dataset": "sha256:cd",
                                "drawn_dataset_label": "polisen (2025)"}, expected_version=1)
        assert (a.drawn_kommun, a.drawn_dataset, a.version) == ("0180", "sha256:cd", 2)
    assert s380.list_measures().equals(before[1])


def test_areas_are_postgis_geometries_in_sweref_with_a_gist_index(
        two_kommuner: tuple[MeasureStore, MeasureStore], cluster: PrivateCluster) -> None:
    s180, _ = two_kommuner
    area = s180.get_area(s180.list_areas().index[0])
    with psycopg.connect(cluster.url(), autocommit=True) as c:
        row = c.execute("SELECT ST_SRID(geometry) AS srid, ST_Area(geometry) AS m2, "
                        "ST_XMin(geometry) AS x FROM lagesbild.areas WHERE id = %s",
                        (area.id,)).fetchone()
        index = c.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'lagesbild' "
                          "AND indexname = 'areas_geometry'").fetchone()[0]
        # PostGIS's own transformation agrees with the store's (pyproj) to the millimetre
        diff = c.execute("SELECT ST_HausdorffDistance(geometry, ST_Transform("
                         "ST_GeomFromWKB(geometry_wgs84, 4326), 3006)) FROM lagesbild.areas "
                         "WHERE id = %s", (area.id,)).fetchone()[0]
    assert row[0] == 3006 and 600_000 < row[2] < 700_000  # SWEREF 99 TM metres
    assert row[1] / 1e6 == pytest.approx(area.area_km2, rel=1e-9)
    assert "USING gist (geometry)" in index
    assert diff < 0.001


def test_a_geometry_edited_in_gis_is_what_the_store_reads(
        two_kommuner: tuple[MeasureStore, MeasureStore], cluster: PrivateCluster) -> None:
    s180, _ = two_kommuner
    aid = s180.list_areas().index[0]
    with psycopg.connect(cluster.url(), autocommit=True) as c:  # as QGIS would: move 100 m east
        c.execute("UPDATE lagesbild.areas SET geometry = ST_Translate(geometry, 100, 0) "
                  "WHERE id = %s", (aid,))
    moved = s180.get_area(aid).geometry
    assert moved.bounds[0] == pytest.approx(SQUARE.bounds[0] + 0.00176, abs=2e-5)
    assert shapely.is_valid(moved)


def test_a_deadlock_is_tried_again(two_kommuner: tuple[MeasureStore, MeasureStore],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    s180, _ = two_kommuner
    m = s180.list_measures().iloc[0]
    real = s180._backend.get_row
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(s180._backend, "get_row", flaky)
    done = s180.update_measure(m.name, {"title": "Två väktare"}, expected_version=1)
    assert done.version == 2 and calls["n"] >= 2
    assert list(s180.history(m.name)["action"]) == ["create", "update"]


# ------------------------------------------------------------------ without PostgreSQL


@pytest.mark.slow
@pytest.mark.parametrize(("ci", "code", "needle"), [
    ("", 0, "1 skipped"),
    ("true", 1, "CI=true: the PostgreSQL tests must run in CI"),
])
def test_missing_postgresql_skips_locally_and_fails_in_ci(ci: str, code: int,
                                                          needle: str) -> None:
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, CI=ci, LAGESBILD_PG_BINDIR="/nonexistent/bin")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                        "tests/test_store_postgres.py::test_server_init_is_idempotent_and_"
                        "checks_roles"], cwd=root, env=env, capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == code, r.stdout + r.stderr
    assert needle in r.stdout
    assert "make postgres" in r.stdout


def test_an_sqlite_backup_restores_into_the_server(cluster: PrivateCluster,
                                                   tmp_path: Path) -> None:
    with MeasureStore(tmp_path / "laptop.sqlite", user="anna") as laptop:
        a = laptop.add_area(name="Torget", geometry=SQUARE)
        m = laptop.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"])
        laptop.update_measure(m.id, {"status": "pågående"}, expected_version=1, user="bo")
        copy = laptop.backup(tmp_path / "laptop-backup.sqlite")
    before = copy.read_bytes()
    kept = restore_backup(copy, cluster.url("app_0180"), kommun="0180")
    assert kept.name.startswith("0180.before-restore-") and kept.suffix == ".gz"
    assert copy.read_bytes() == before  # the backup itself was never opened for writing
    with MeasureStore(cluster.url("app_0180"), kommun="0180") as s:
        got = s.get_measure(m.id)
        assert (got.status, got.version, got.updated_by) == ("pågående", 2, "bo")
        assert list(s.history(m.id)["user"]) == ["anna", "bo"]
    with pytest.raises(StoreError, match="neither an SQLite backup nor"):
        (tmp_path / "junk.bin").write_bytes(b"\x00junk")
        restore_backup(tmp_path / "junk.bin", cluster.url("app_0180"), kommun="0180")
