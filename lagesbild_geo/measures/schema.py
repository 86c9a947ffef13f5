"""SQL schema of the measure store, its version and the migrations between versions.

The schema version lives in ``PRAGMA user_version``. A store written by an older
version of the library is migrated on open, inside one write transaction, after a
safety copy of the file was made (see :mod:`lagesbild_geo.measures`).

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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: The schema version this library writes.
SCHEMA_VERSION = 2

STATUSES_SQL = "('planerad', 'pågående', 'genomförd', 'avbruten')"

AREAS_DDL = """
CREATE TABLE areas (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    description TEXT NOT NULL DEFAULT '',
    geometry BLOB NOT NULL,
    source_cells TEXT NOT NULL DEFAULT '[]',
    source_cluster TEXT,
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


#: ``MIGRATIONS[v]`` turns a version-``v`` database into version ``v + 1``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2}


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the current schema in an empty database (inside the caller's transaction)."""
    for stmt in (AREAS_DDL, MEASURES_DDL, AUDIT_DDL, *INDEXES_AND_TRIGGERS):
        conn.execute(stmt)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
