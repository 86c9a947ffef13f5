"""SQL schema of the measure store, its version and the migrations between versions.

Two backends hold the same records (see ``docs/measures.md``):

SQLite (one file, one kommun)
    The schema version lives in ``PRAGMA user_version``. A store written by an older
    version of the library is migrated on open, inside one write transaction, after a
    safety copy of the file was made.
PostgreSQL/PostGIS (a server, several kommuner)
    Tables in the schema ``lagesbild``; areas as PostGIS geometries in SWEREF 99 TM
    (EPSG:3006) with a GiST index (and, beside it, the exact WGS84 geometry as saved);
    every row carries its ``kommun`` and row-level
    security lets a connection see and change only the rows of the kommun it chose
    (``lagesbild.kommun``) *and* is a member of (role ``lagesbild_kommun_<code>``). The
    version lives in ``lagesbild.schema_info``; :func:`postgres_schema_sql` creates the
    current version and :data:`POSTGRES_MIGRATIONS` brings older ones up, both run by
    ``lagesbild measures server-init`` (the administrator's step).

The version numbers are shared: version 3 means the same records on both backends.

Version history
---------------
1
    First shape: areas, measures and a measure-only ``audit`` table (``measure_id``);
    status stored in English (``planned``/``ongoing``/``done``/``cancelled``).
2
    Areas gain ``source_cells``, ``source_cluster`` and ``deleted_by``; measures gain
    ``cause_tags``, ``partners``, ``indicator``, ``next_followup``, ``cost``,
    ``agreement`` and ``deleted_by``; status is stored in Swedish; the audit trail
    covers areas and measures (``entity``, ``entity_id``, ``version``) and is
    append-only (triggers refuse UPDATE and DELETE).
3
    Areas gain ``drawn_kommun``, ``drawn_dataset`` and ``drawn_dataset_label``: the
    kommun and the data set an area was drawn on (``NULL`` for areas saved before,
    and for imported ones), so that a follow-up on other data can say when those data
    do not cover the area. Nothing else changes; the migration only adds the columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: The schema version this library writes.
SCHEMA_VERSION = 3

STATUSES_SQL = "('planerad', 'pågående', 'genomförd', 'avbruten')"

AREAS_DDL = """
CREATE TABLE areas (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    description TEXT NOT NULL DEFAULT '',
    geometry BLOB NOT NULL,
    source_cells TEXT NOT NULL DEFAULT '[]',
    source_cluster TEXT,
    drawn_kommun TEXT,
    drawn_dataset TEXT,
    drawn_dataset_label TEXT,
    version INTEGER NOT NULL CHECK (version >= 1),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by TEXT
)"""

MEASURES_DDL = f"""
CREATE TABLE measures (
    id TEXT PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas(id) ON DELETE RESTRICT,
    title TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description TEXT NOT NULL DEFAULT '',
    target_categories TEXT NOT NULL CHECK (target_categories != '[]'),
    problem TEXT NOT NULL DEFAULT '',
    cause_tags TEXT NOT NULL DEFAULT '[]',
    responsible TEXT,
    partners TEXT NOT NULL DEFAULT '[]',
    start_date TEXT,
    end_date TEXT,
    status TEXT NOT NULL CHECK (status IN {STATUSES_SQL}),
    indicator TEXT NOT NULL DEFAULT '',
    next_followup TEXT,
    cost REAL CHECK (cost IS NULL OR cost >= 0),
    agreement TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL CHECK (version >= 1),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by TEXT
)"""

AUDIT_DDL = """
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL CHECK (entity IN ('area', 'measure')),
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    before TEXT,
    after TEXT
)"""

INDEXES_AND_TRIGGERS: tuple[str, ...] = (
    "CREATE INDEX measures_area ON measures(area_id)",
    "CREATE INDEX audit_entity ON audit(entity, entity_id, seq)",
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
)

_V1_STATUS = {"planned": "planerad", "ongoing": "pågående", "done": "genomförd",
              "cancelled": "avbruten"}


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    for col in ("source_cells TEXT NOT NULL DEFAULT '[]'", "source_cluster TEXT",
                "deleted_by TEXT"):
        conn.execute(f"ALTER TABLE areas ADD COLUMN {col}")
    # measures and audit are rebuilt: new CHECK constraints and a renamed column
    # cannot be added with ALTER TABLE.
    conn.execute("DROP INDEX IF EXISTS measures_area")
    conn.execute("ALTER TABLE measures RENAME TO measures_v1")
    conn.execute(MEASURES_DDL)
    case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _V1_STATUS.items())
    conn.execute(
        "INSERT INTO measures (id, area_id, title, description, target_categories, problem, "
        "responsible, start_date, end_date, status, version, created_at, created_by, "
        "updated_at, updated_by, deleted_at) "
        "SELECT id, area_id, title, description, target_categories, problem, responsible, "
        f"start_date, end_date, CASE status {case} ELSE status END, version, created_at, "
        "created_by, updated_at, updated_by, deleted_at FROM measures_v1"
    )
    conn.execute("DROP TABLE measures_v1")
    conn.execute("ALTER TABLE audit RENAME TO audit_v1")
    conn.execute(AUDIT_DDL)
    # v1 kept no version in the audit: number each measure's rows in order.
    conn.execute(
        "INSERT INTO audit (entity, entity_id, action, version, user, at, before, after) "
        "SELECT 'measure', measure_id, action, "
        "ROW_NUMBER() OVER (PARTITION BY measure_id ORDER BY seq), user, at, before, after "
        "FROM audit_v1 ORDER BY seq"
    )
    conn.execute("DROP TABLE audit_v1")
    for stmt in INDEXES_AND_TRIGGERS:
        conn.execute(stmt)


#: Columns added to ``areas`` by version 3 (the same on both backends).
DRAWN_ON_COLUMNS: tuple[str, ...] = ("drawn_kommun", "drawn_dataset", "drawn_dataset_label")


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    for col in DRAWN_ON_COLUMNS:
        conn.execute(f"ALTER TABLE areas ADD COLUMN {col} TEXT")


#: ``MIGRATIONS[v]`` turns a version-``v`` database into version ``v + 1``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2,
                                                               2: _migrate_2_to_3}


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the current schema in an empty database (inside the caller's transaction)."""
    for stmt in (AREAS_DDL, MEASURES_DDL, AUDIT_DDL, *INDEXES_AND_TRIGGERS):
        conn.execute(stmt)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


# --------------------------------------------------------------------- PostgreSQL

#: The PostgreSQL schema (namespace) holding the store's tables.
PG_SCHEMA = "lagesbild"
#: Role holding the table privileges; every kommun role is a member of it.
PG_USER_ROLE = "lagesbild_user"
#: Prefix of the per-kommun roles: a login role that is a member of
#: ``lagesbild_kommun_0180`` may open the store with ``kommun="0180"``.
PG_KOMMUN_ROLE_PREFIX = "lagesbild_kommun_"


def pg_kommun_role(kommun: str) -> str:
    """The role whose members may use ``kommun``'s rows (``lagesbild_kommun_0180``)."""
    return f"{PG_KOMMUN_ROLE_PREFIX}{kommun}"


_PG_META_COLUMNS = """
    version integer NOT NULL CHECK (version >= 1),
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    deleted_at timestamptz,
    deleted_by text"""

PG_TABLES: tuple[str, ...] = (
    f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}",
    f"""CREATE TABLE {PG_SCHEMA}.schema_info (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    migrated_at timestamptz
)""",
    f"""CREATE TABLE {PG_SCHEMA}.areas (
    kommun text NOT NULL CHECK (kommun ~ '^[0-9]{{4}}$'),
    id text NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) > 0),
    description text NOT NULL DEFAULT '',
    geometry geometry(Geometry, 3006) NOT NULL
        CHECK (GeometryType(geometry) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsEmpty(geometry)),
    geometry_wgs84 bytea NOT NULL,
    source_cells text[] NOT NULL DEFAULT '{{}}',
    source_cluster text,
    drawn_kommun text,
    drawn_dataset text,
    drawn_dataset_label text,{_PG_META_COLUMNS},
    PRIMARY KEY (kommun, id)
)""",
    f"CREATE INDEX areas_geometry ON {PG_SCHEMA}.areas USING gist (geometry)",
    f"""CREATE TABLE {PG_SCHEMA}.measures (
    kommun text NOT NULL CHECK (kommun ~ '^[0-9]{{4}}$'),
    id text NOT NULL,
    area_id text NOT NULL,
    title text NOT NULL CHECK (length(btrim(title)) > 0),
    description text NOT NULL DEFAULT '',
    target_categories text[] NOT NULL CHECK (cardinality(target_categories) > 0),
    problem text NOT NULL DEFAULT '',
    cause_tags text[] NOT NULL DEFAULT '{{}}',
    responsible text,
    partners text[] NOT NULL DEFAULT '{{}}',
    start_date date,
    end_date date,
    status text NOT NULL CHECK (status IN {STATUSES_SQL}),
    indicator text NOT NULL DEFAULT '',
    next_followup date,
    cost double precision CHECK (cost IS NULL OR cost >= 0),
    agreement text NOT NULL DEFAULT '',{_PG_META_COLUMNS},
    PRIMARY KEY (kommun, id),
    FOREIGN KEY (kommun, area_id) REFERENCES {PG_SCHEMA}.areas (kommun, id) ON DELETE RESTRICT
)""",
    f"CREATE INDEX measures_area ON {PG_SCHEMA}.measures (kommun, area_id)",
    f"""CREATE TABLE {PG_SCHEMA}.audit (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kommun text NOT NULL CHECK (kommun ~ '^[0-9]{{4}}$'),
    entity text NOT NULL CHECK (entity IN ('area', 'measure')),
    entity_id text NOT NULL,
    action text NOT NULL,
    version integer NOT NULL,
    "user" text NOT NULL,
    at timestamptz NOT NULL,
    before jsonb,
    after jsonb
)""",
    f"CREATE INDEX audit_entity ON {PG_SCHEMA}.audit (kommun, entity, entity_id, seq)",
)

#: The kommun a connection may use: the one it chose (``SET lagesbild.kommun``) when its
#: role is a member of that kommun's role; anything else is refused (SQLSTATE 42501).
PG_CURRENT_KOMMUN = f"""
CREATE OR REPLACE FUNCTION {PG_SCHEMA}.current_kommun() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    k text := current_setting('lagesbild.kommun', true);
BEGIN
    IF k IS NULL OR k = '' THEN
        RAISE EXCEPTION 'no kommun chosen for this connection'
            USING ERRCODE = '42501',
                  HINT = 'open the store with a kommun: MeasureStore(url, kommun=''0180'')';
    END IF;
    IF k !~ '^[0-9]{{4}}$'
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{PG_KOMMUN_ROLE_PREFIX}' || k)
       OR NOT pg_has_role(current_user, '{PG_KOMMUN_ROLE_PREFIX}' || k, 'MEMBER') THEN
        RAISE EXCEPTION 'role % may not use the rows of kommun %', current_user, k
            USING ERRCODE = '42501',
                  HINT = 'GRANT {PG_KOMMUN_ROLE_PREFIX}' || k || ' TO ' || current_user;
    END IF;
    RETURN k;
END
$$"""

#: Refuses UPDATE, DELETE and TRUNCATE of the audit trail, except while a restore
#: replaces a kommun's content (``SET LOCAL lagesbild.restoring = 'on'``, in the
#: restore's own transaction; row-level security still limits it to that kommun).
PG_AUDIT_GUARD = f"""
CREATE OR REPLACE FUNCTION {PG_SCHEMA}.audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('lagesbild.restoring', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the audit trail is append-only';
    END IF;
    IF TG_LEVEL = 'STATEMENT' THEN
        RETURN NULL;
    END IF;
    RETURN OLD;
END
$$"""

#: ``geometry_wgs84`` holds the area exactly as saved (WKB, WGS84 lon/lat: what the store
#: reads back); ``geometry`` the same in SWEREF 99 TM for the index and GIS users. When
#: ``geometry`` is edited by hand (e.g. in QGIS), the WGS84 copy is derived from it.
PG_GEOMETRY_SYNC = f"""
CREATE OR REPLACE FUNCTION {PG_SCHEMA}.area_geometry_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.geometry_wgs84 IS NULL OR (TG_OP = 'UPDATE'
            AND NEW.geometry IS DISTINCT FROM OLD.geometry
            AND NEW.geometry_wgs84 IS NOT DISTINCT FROM OLD.geometry_wgs84) THEN
        NEW.geometry_wgs84 := ST_AsBinary(ST_Transform(NEW.geometry, 4326));
    END IF;
    RETURN NEW;
END
$$"""

PG_SECURITY: tuple[str, ...] = (
    PG_GEOMETRY_SYNC,
    f"CREATE TRIGGER area_geometry_sync BEFORE INSERT OR UPDATE ON {PG_SCHEMA}.areas "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_SCHEMA}.area_geometry_sync()",
    PG_CURRENT_KOMMUN,
    PG_AUDIT_GUARD,
    f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {PG_SCHEMA}.audit "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_SCHEMA}.audit_append_only()",
    f"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {PG_SCHEMA}.audit "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_SCHEMA}.audit_append_only()",
    *[stmt for table in ("areas", "measures", "audit") for stmt in (
        f"ALTER TABLE {PG_SCHEMA}.{table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {PG_SCHEMA}.{table} FORCE ROW LEVEL SECURITY",
        # (SELECT ...): evaluated once per statement, not once per row
        f"CREATE POLICY kommun_scope ON {PG_SCHEMA}.{table} "
        f"USING (kommun = (SELECT {PG_SCHEMA}.current_kommun())) "
        f"WITH CHECK (kommun = (SELECT {PG_SCHEMA}.current_kommun()))",
    )],
)

#: Privileges of :data:`PG_USER_ROLE` (no UPDATE of the audit trail at all).
PG_GRANTS: tuple[str, ...] = (
    f"GRANT USAGE ON SCHEMA {PG_SCHEMA} TO {PG_USER_ROLE}",
    f"GRANT SELECT ON {PG_SCHEMA}.schema_info TO {PG_USER_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {PG_SCHEMA}.areas, {PG_SCHEMA}.measures "
    f"TO {PG_USER_ROLE}",
    f"GRANT SELECT, INSERT, DELETE ON {PG_SCHEMA}.audit TO {PG_USER_ROLE}",
    f"GRANT EXECUTE ON FUNCTION {PG_SCHEMA}.current_kommun() TO {PG_USER_ROLE}",
)


def postgres_schema_sql() -> list[str]:
    """The statements that create the current PostgreSQL schema in an empty database
    (the ``postgis`` extension and the role :data:`PG_USER_ROLE` must exist)."""
    return [*PG_TABLES, *PG_SECURITY, *PG_GRANTS,
            f"INSERT INTO {PG_SCHEMA}.schema_info (version) VALUES ({SCHEMA_VERSION})"]


#: ``POSTGRES_MIGRATIONS[v]``: the statements that turn a version-``v`` PostgreSQL store
#: into version ``v + 1`` (run in one transaction by ``server-init``). Version 2 is the
#: first PostgreSQL schema.
POSTGRES_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: tuple(f"ALTER TABLE {PG_SCHEMA}.areas ADD COLUMN IF NOT EXISTS {col} text"
             for col in DRAWN_ON_COLUMNS),
}
