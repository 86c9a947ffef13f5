"""The PostgreSQL/PostGIS backend of the measure store: one server, several kommuner.

``MeasureStore("postgresql://app@db.example.se/lagesbild", kommun="0180")`` opens the
same API as the SQLite file, on tables in the schema ``lagesbild`` (created by
:func:`init_server`, the administrator's step). Areas are PostGIS geometries in
SWEREF 99 TM (EPSG:3006, transformed by the store with pyproj as everywhere in the
library) with a GiST index, for spatial SQL and GIS users; beside each the exact WGS84
geometry as saved is kept, which is what the store reads back, so what was saved is
what is read, to the last decimal.

Every row carries its kommun, and row-level security (forced, so the tables' owner is
bound too) lets a connection read and change only the rows of the kommun it chose
(``lagesbild.kommun``, set by the store) when its role is a member of that kommun's
role (``lagesbild_kommun_0180``): a connection cannot widen its reach with raw SQL,
not even by setting ``lagesbild.kommun`` itself. Every statement of the store also
names the kommun. Roles that bypass row-level security (superusers, ``BYPASSRLS``)
are refused: the kommun boundary would rest on the application alone.

Concurrency: ``READ COMMITTED`` transactions; a row read for a change is locked
(``FOR NO KEY UPDATE``) until the change commits, so optimistic locking raises
:class:`~lagesbild_geo.errors.ConflictError` exactly as on SQLite; get-or-create of
areas by name runs under a per-kommun advisory lock; a deadlock or serialization
failure is retried by the store. A client killed mid-transaction leaves nothing: the
server rolls its transaction back.

psycopg (3) is imported when the first server store is opened, so importing the
library stays fast for those who keep the SQLite file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import shapely

from ..errors import InputError, StoreError
from .backend import (
    AREA_COLUMNS,
    AUDIT_COLUMNS,
    LIST_COLUMNS,
    MEASURE_COLUMNS,
    TIME_COLUMNS,
    Backend,
    InvalidRow,
)
from .model import parse_kommun, to_3006
from .schema import (
    PG_SCHEMA,
    PG_USER_ROLE,
    POSTGRES_MIGRATIONS,
    SCHEMA_VERSION,
    pg_kommun_role,
    postgres_schema_sql,
)

__all__ = ["PostgresBackend", "init_server", "is_postgres_url", "postgres_store_error",
           "redact_url"]

_RETRYABLE = ("40001", "40P01")  # serialization failure, deadlock


def is_postgres_url(value: object) -> bool:
    """True for ``postgresql://...`` (or ``postgres://...``) store locations.

    Examples
    --------
    >>> is_postgres_url("postgresql://app@localhost/lagesbild"), is_postgres_url("a.sqlite")
    (True, False)
    """
    return isinstance(value, str) and value.strip().lower().startswith(
        ("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """The URL without its password (for messages and logs); connection parameters in
    the query other than ``host``, ``port``, ``user`` and ``dbname`` are left out.

    Examples
    --------
    >>> redact_url("postgresql://app:hemligt@db:5432/lagesbild?sslmode=require")
    'postgresql://app@db:5432/lagesbild'
    >>> redact_url("postgresql:///lagesbild?host=/var/run/postgresql&password=x")
    'postgresql:///lagesbild?host=/var/run/postgresql'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"{parts.username}@" if parts.username else "") + host + (
        f":{parts.port}" if parts.port else "")
    keep = [(k, v) for k, v in parse_qsl(parts.query) if k in ("host", "port", "user", "dbname")]
    query = "&".join(f"{k}={v}" for k, v in keep)
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency of lagesbild_geo
        raise StoreError("A postgresql:// store needs the psycopg package: "
                         "pip install 'psycopg[binary]'.") from None
    return psycopg


# --------------------------------------------------------------------------- errors


def postgres_store_error(location: str, exc: BaseException, action: str) -> StoreError:
    """A :class:`StoreError` that says what a PostgreSQL failure means and what to do."""
    state = str(getattr(exc, "sqlstate", None) or "")
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    hint = getattr(diag, "message_hint", None)
    text = (primary + (f"; hint: {hint}" if hint else "")) if primary else (
        " ".join(str(exc).split()) or type(exc).__name__)
    where = f"The measure store {location}"
    if not state:  # failures while connecting carry no SQLSTATE: read the server's words
        low = text.lower()
        state = ("3D000" if re.search(r'database ".*" does not exist', low) else
                 "28P01" if "password authentication failed" in low
                 or re.search(r'role ".*" does not exist', low) or "no pg_hba.conf" in low
                 else "")
    if state in ("28P01", "28000"):
        return StoreError(f"{where}: the server refused the sign-in ({text}); nothing was "
                          f"{action}. Check the user name and password in the URL (or "
                          "~/.pgpass / PGPASSWORD) and the server's pg_hba.conf.")
    if state == "3D000":
        return StoreError(f"{where}: the database does not exist ({text}); nothing was "
                          f"{action}. Create it (createdb), then run `lagesbild measures "
                          "server-init` as the administrator (docs/server.md).")
    if state == "42501":
        return StoreError(f"{where}: permission denied ({text}); nothing was {action}. The "
                          "role in the URL may only use the kommuner it was granted: the "
                          "administrator runs `lagesbild measures server-init --kommun CODE "
                          "--grant ROLE=CODE` (docs/server.md).")
    if state in ("42P01", "3F000"):
        return StoreError(f"{where} has no measure store tables ({text}); nothing was {action}. "
                          "The administrator creates them with `lagesbild measures server-init "
                          "--store ADMIN_URL --kommun CODE --grant ROLE=CODE` (docs/server.md).")
    if state == "53100":
        return StoreError(f"{where}: the server's disk is full; nothing was {action} (a change "
                          "is saved completely or not at all). Free space on the database "
                          "server and try again.")
    if state == "53300":
        return StoreError(f"{where}: the server has too many connections; nothing was "
                          f"{action}. Try again in a moment; the administrator may raise "
                          "max_connections or put a connection pooler in front.")
    if state in ("57P01", "57P02", "57P03") or state.startswith("08") or (
            not state and type(exc).__name__ in ("OperationalError", "InterfaceError")):
        return StoreError(f"{where} could not be reached or the connection broke ({text}); "
                          f"nothing was {action}. Check that the server runs and is reachable "
                          "(host, port, firewall), then try again.")
    if state == "25006":
        return StoreError(f"{where} is read-only (a standby server?); nothing was {action}. "
                          "Connect to the primary server.")
    if state in _RETRYABLE:
        return StoreError(f"{where}: the change collided with other users' changes several "
                          f"times ({text}); nothing was {action}. Try again.")
    if state.startswith("XX"):
        return StoreError(f"{where}: the server reports damaged data ({text}); nothing was "
                          f"{action}. Stop writing, ask the database administrator to check the "
                          "server, and restore the kommun's latest export if needed "
                          "(lagesbild measures restore EXPORT --store URL --kommun CODE).")
    if state.startswith("23"):
        return StoreError(f"{where} refused a row ({text}); nothing was {action}. The tables "
                          "may have been changed by hand; report this with the message.")
    return StoreError(f"{where} could not be used (PostgreSQL{' ' + state if state else ''}: "
                      f"{text}); nothing was {action}. Try again; if it persists, report it "
                      "with this message.")


# -------------------------------------------------------------------------- backend


class PostgresBackend(Backend):
    """The measure store on a PostgreSQL/PostGIS server, scoped to one kommun."""

    kind = "postgresql"

    def __init__(self, url: str, *, kommun: str | None) -> None:
        super().__init__(redact_url(url), kommun=kommun)
        self._url = url
        self.driver_errors = (_psycopg().Error,)

    # ------------------------------------------------------------ connections

    def _connect(self) -> Any:
        pg = _psycopg()
        from psycopg.rows import dict_row

        try:
            conn = pg.connect(self._url, autocommit=True, row_factory=dict_row,
                              connect_timeout=15, application_name="lagesbild_geo")
        except pg.Error as exc:
            raise postgres_store_error(self.location, exc, "opened") from None
        try:
            conn.execute("SELECT set_config('lagesbild.kommun', %s, false)", (self.kommun,))
        except pg.Error as exc:
            conn.close()
            raise postgres_store_error(self.location, exc, "opened") from None
        return conn

    def _close_connection(self, conn: Any) -> None:
        conn.close()

    def _begin(self, conn: Any) -> None:
        try:
            conn.execute("BEGIN")
        except self.driver_errors as exc:
            raise self.store_error(exc, "saved") from None

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        conn.execute("ROLLBACK")

    def store_error(self, exc: BaseException, action: str) -> StoreError:
        return postgres_store_error(self.location, exc, action)

    def invalid_row_error(self, exc: InvalidRow) -> StoreError:
        return StoreError(
            f"The measure store {self.location} (kommun {self.kommun}): {exc} — the tables were "
            "changed by hand. Nothing was changed. Correct the value with SQL, or restore the "
            "kommun's latest export (lagesbild measures restore EXPORT --store URL "
            f"--kommun {self.kommun}).")

    def is_retryable(self, exc: BaseException) -> bool:
        return str(getattr(exc, "sqlstate", None) or "") in _RETRYABLE

    # ------------------------------------------------------------------ schema

    def open(self) -> None:
        if self.kommun is None:
            raise StoreError(
                f"The measure store {self.location} is a shared database that can hold several "
                "kommuner; give the kommun whose areas and measures to open: "
                "MeasureStore(url, kommun='0180'), --kommun 0180 or LAGESBILD_KOMMUN=0180.")
        conn = self.conn()
        row = conn.execute("SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles "
                           "WHERE rolname = current_user").fetchone()
        if row is not None and (row["rolsuper"] or row["rolbypassrls"]):
            raise StoreError(
                f"The measure store {self.location}: the role {row['role']!r} bypasses row-level "
                "security (superuser or BYPASSRLS), so the kommun boundary would not hold. "
                "Connect as an application role granted the kommun (docs/server.md); the "
                "administrator's role is for `lagesbild measures server-init` only.")
        have = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS ok",
                            (f"{PG_SCHEMA}.schema_info",)).fetchone()["ok"]
        if not have:
            raise StoreError(
                f"The database {self.location} holds no measure store (schema {PG_SCHEMA!r}); "
                "the administrator creates it once with `lagesbild measures server-init --store "
                f"ADMIN_URL --kommun {self.kommun} --grant ROLE={self.kommun}` (docs/server.md).")
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The measure store {self.location} has schema version {version}, newer than "
                f"this library understands ({SCHEMA_VERSION}); upgrade lagesbild_geo.")
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"The measure store {self.location} has schema version {version}; this library "
                f"needs {SCHEMA_VERSION}. The administrator migrates it (after an export of each "
                "kommun) with `lagesbild measures server-init --store ADMIN_URL` (docs/server.md).")
        conn.execute(f"SELECT {PG_SCHEMA}.current_kommun()")  # 42501 when not granted

    def schema_version(self) -> int:
        row = self.conn().execute(f"SELECT version FROM {PG_SCHEMA}.schema_info").fetchone()
        return int(row["version"]) if row else 0

    # -------------------------------------------------------------------- SQL

    def param(self, name: str) -> str:
        return f"%({name})s"

    def table(self, name: str) -> str:
        return f"{PG_SCHEMA}.{name}"

    def scope(self, alias: str) -> str:
        return f"{alias}.kommun = %(kommun)s"

    def _params(self, **values: Any) -> dict[str, Any]:
        return values | {"kommun": self.kommun}

    def extra_columns(self) -> dict[str, Any]:
        return {"kommun": self.kommun}

    def value_sql(self, table: str, column: str) -> str:
        if column == "geometry":
            return "ST_GeomFromWKB(%(geometry)s, 3006)"
        return self.param(column)

    def column_sql(self, table: str, column: str, alias: str) -> str:
        if column == "geometry":  # the area exactly as saved (WKB, WGS84)
            return f"{alias}.geometry_wgs84 AS geometry"
        return f"{alias}.{column}"

    def for_update(self) -> str:
        return "FOR NO KEY UPDATE"  # does not block the foreign-key checks of other writers

    def encode(self, table: str, record: Mapping[str, Any]) -> dict[str, Any]:
        from psycopg.types.json import Jsonb

        out: dict[str, Any] = {}
        for k, v in record.items():
            if k == "geometry":
                out[k] = shapely.to_wkb(to_3006(v))
                out["geometry_wgs84"] = shapely.to_wkb(v)
            elif k in LIST_COLUMNS:
                out[k] = list(v)
            elif k in ("before", "after"):
                out[k] = None if v is None else Jsonb(v)
            elif k in TIME_COLUMNS and isinstance(v, str):
                out[k] = dt.datetime.fromisoformat(v)
            else:
                out[k] = v
        return out

    def lock_area_names(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('lagesbild.areas'), hashtext(%s))",
                     (self.kommun,))

    def replace_content(self, conn: Any, areas: Sequence[Mapping[str, Any]],
                        measures: Sequence[Mapping[str, Any]],
                        audit: Sequence[Mapping[str, Any]]) -> None:
        conn.execute("SET LOCAL lagesbild.restoring = 'on'")
        for table in ("audit", "measures", "areas"):
            conn.execute(f"DELETE FROM {self.table(table)} t WHERE {self.scope('t')}",
                         self._params())
        conn.execute("SET LOCAL lagesbild.restoring = 'off'")
        cur = conn.cursor()
        for table, rows, cols in (("areas", areas, AREA_COLUMNS),
                                  ("measures", measures, MEASURE_COLUMNS),
                                  ("audit", audit, AUDIT_COLUMNS)):
            if not rows:
                continue
            first = self.encode(table, {k: rows[0][k] for k in cols}) | self.extra_columns()
            names = list(first)
            sql = (f"INSERT INTO {self.table(table)} ({', '.join(self._quote(c) for c in names)})"
                   f" VALUES ({', '.join(self.value_sql(table, c) for c in names)})")
            cur.executemany(sql, [self.encode(table, {k: r[k] for k in cols})
                                  | self.extra_columns() for r in rows])

    def file_backup(self, dest: Path) -> Path:
        raise StoreError(f"The measure store {self.location} is on a server: its backup is the "
                         "store's own export (a file ending in .json.gz), or pg_dump of the "
                         "whole database; give a name such as backup-0180.json.gz.")


# ----------------------------------------------------------------- server set-up

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


def _connect_admin(url: str) -> Any:
    pg = _psycopg()
    from psycopg.rows import dict_row

    try:
        return pg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=15,
                          application_name="lagesbild_geo server-init")
    except pg.Error as exc:
        raise postgres_store_error(redact_url(url), exc, "set up") from None


def init_server(url: str, *, kommuner: Iterable[str] = (),
                grant: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """Set up (or migrate) the measure store in a PostgreSQL database: the administrator's step.

    Connect as a role that may create extensions and roles (a superuser, once). In one
    transaction: the ``postgis`` extension; the role ``lagesbild_user`` (the table
    privileges); the schema ``lagesbild`` with its tables, GiST index, row-level security
    and the append-only audit guard — or the migrations from an older schema version;
    a role ``lagesbild_kommun_<code>`` for each of ``kommuner``; and each role in
    ``grant`` made a member of the kommun roles listed for it (the login roles the app
    and the CLI connect with; create them first: ``CREATE ROLE app LOGIN PASSWORD '…'``).
    Running it again changes nothing that is already in place.

    Parameters
    ----------
    url
        ``postgresql://ADMIN@HOST/DATABASE``.
    kommuner
        4-digit kommun codes.
    grant
        Login role → the kommun codes it may use, e.g. ``{"lagesbild_app": ["0180"]}``.

    Returns
    -------
    dict
        ``version``, ``created`` (the tables were made now), ``migrated_from`` (the old
        version or ``None``), ``kommuner`` and ``granted``.
    """
    codes = [_kommun_code(k) for k in kommuner]
    grants = {str(role): [_kommun_code(k) for k in ks] for role, ks in (grant or {}).items()}
    for role in grants:
        if not _ROLE_NAME.match(role):
            raise InputError(f"{role!r} is not a PostgreSQL role name.")
    codes += [k for ks in grants.values() for k in ks if k not in codes]
    conn = _connect_admin(url)
    pg = _psycopg()
    try:
        with conn.transaction():
            result = _init_in_transaction(conn, codes, grants)
    except pg.Error as exc:
        raise postgres_store_error(redact_url(url), exc, "set up") from None
    finally:
        conn.close()
    return result


def _kommun_code(value: object) -> str:
    code = parse_kommun(value)
    if code is None:
        raise InputError("A kommun code is needed (4 digits, e.g. 0180).")
    return code


def _init_in_transaction(conn: Any, codes: list[str],
                         grants: dict[str, list[str]]) -> dict[str, Any]:
    from psycopg import sql

    conn.execute("SELECT pg_advisory_xact_lock(hashtext('lagesbild.server-init'))")
    have_postgis = conn.execute(
        "SELECT count(*) AS n FROM pg_extension WHERE extname = 'postgis'").fetchone()["n"]
    if not have_postgis:
        conn.execute("CREATE EXTENSION postgis")
    _ensure_role(conn, PG_USER_ROLE)
    created, migrated_from = _schema_up_to_date(conn)
    for k in codes:
        role = pg_kommun_role(k)
        _ensure_role(conn, role)
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(PG_USER_ROLE),
                                                      sql.Identifier(role)))
    for login, ks in grants.items():
        exists = conn.execute("SELECT count(*) AS n FROM pg_roles WHERE rolname = %s",
                              (login,)).fetchone()["n"]
        if not exists:
            raise InputError(f"The role {login!r} does not exist; create it first, e.g. "
                             f"CREATE ROLE {login} LOGIN PASSWORD '...'; then run server-init "
                             "again.")
        for k in ks:
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(pg_kommun_role(k)),
                                                          sql.Identifier(login)))
    return {"version": SCHEMA_VERSION, "created": created, "migrated_from": migrated_from,
            "kommuner": codes, "granted": grants}


def _ensure_role(conn: Any, role: str) -> None:
    from psycopg import sql

    n = conn.execute("SELECT count(*) AS n FROM pg_roles WHERE rolname = %s",
                     (role,)).fetchone()["n"]
    if not n:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))


def _schema_up_to_date(conn: Any) -> tuple[bool, int | None]:
    """Create the schema, or migrate it; (created, the version migrated from)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS ok",
                          (f"{PG_SCHEMA}.schema_info",)).fetchone()["ok"]
    if not exists:
        for stmt in postgres_schema_sql():
            conn.execute(stmt)
        return True, None
    version = int(conn.execute(f"SELECT version FROM {PG_SCHEMA}.schema_info").fetchone()["version"])
    if version > SCHEMA_VERSION:
        raise StoreError(f"The measure store has schema version {version}, newer than this "
                         f"library understands ({SCHEMA_VERSION}); upgrade lagesbild_geo.")
    if version == SCHEMA_VERSION:
        return False, None
    old = version
    while version < SCHEMA_VERSION:
        if version not in POSTGRES_MIGRATIONS:
            raise StoreError(f"No migration from schema version {version} of the measure store; "
                             "upgrade lagesbild_geo.")
        for stmt in POSTGRES_MIGRATIONS[version]:
            conn.execute(stmt)
        version += 1
    conn.execute(f"UPDATE {PG_SCHEMA}.schema_info SET version = %s, migrated_at = now()",
                 (version,))
    return False, old
