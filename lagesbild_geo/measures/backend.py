"""The backend layer of the measure store: everything that differs between databases.

:class:`~lagesbild_geo.measures.MeasureStore` holds the rules (validation, versions
and optimistic locking, the audit trail, soft delete and restore) and talks to a
:class:`Backend`, which holds what depends on the database: connections (one per
thread and per process), transactions, the SQL text, how values are stored and read
back, and what a driver error means for the user (:class:`StoreError` messages that
say what to do). Two backends exist: :class:`~lagesbild_geo.measures.sqlite.SQLiteBackend`
(one file) and :class:`~lagesbild_geo.measures.postgres.PostgresBackend` (a shared
PostgreSQL/PostGIS server, scoped to one kommun).

Records cross this layer as plain mappings. Written records hold canonical Python
values (text, numbers, ``tuple`` for lists, ``datetime.date``, a shapely geometry in
WGS84, timestamps as UTC ISO text, audit ``before``/``after`` as JSON-ready dicts);
read rows may hold what the database returns (JSON text or lists, ISO text or
dates/datetimes, WKB or a geometry): :func:`decode_area`, :func:`decode_measure` and
:func:`decode_audit` accept both, and refuse a value no version of the library writes
(a hand-edited or damaged row) with :class:`InvalidRow`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import StoreError
from ..schema import CATEGORIES
from .model import (
    DRAWN_ON_FIELDS,
    LIST_FIELDS,
    MEASURE_FIELDS,
    META_FIELDS,
    STATUSES,
    Area,
    Measure,
)

__all__ = [
    "AREA_COLUMNS",
    "AUDIT_COLUMNS",
    "LIST_COLUMNS",
    "MEASURE_COLUMNS",
    "TIME_COLUMNS",
    "Backend",
    "InvalidRow",
    "Row",
    "ascii_nocase",
    "decode_area",
    "decode_audit",
    "decode_measure",
    "json_text",
    "now_text",
    "timestamp_text",
]

#: A row as a backend returns it (``sqlite3.Row`` or a dict): read with ``row["column"]``.
Row = Mapping[str, Any]

#: Stored columns of each table (PostgreSQL adds ``kommun``; audit ``seq`` is generated).
AREA_COLUMNS: tuple[str, ...] = ("id", "name", "description", "geometry", "source_cells",
                                 "source_cluster", *DRAWN_ON_FIELDS, *META_FIELDS)
MEASURE_COLUMNS: tuple[str, ...] = ("id", *MEASURE_FIELDS, *META_FIELDS)
AUDIT_COLUMNS: tuple[str, ...] = ("entity", "entity_id", "action", "version", "user", "at",
                                  "before", "after")
LIST_COLUMNS = (*LIST_FIELDS, "source_cells")
TIME_COLUMNS = ("created_at", "updated_at", "deleted_at", "at")


class InvalidRow(StoreError):
    """A stored row that does not decode (the store was edited by hand or damaged)."""

    def __init__(self, table: str, row_id: object, problem: BaseException | str) -> None:
        self.table, self.row_id, self.problem = table, row_id, problem
        super().__init__(f"row {row_id!r} of table {table!r} holds an invalid value ({problem})")


# ------------------------------------------------------------------------- decoding


def _row_id(r: Row) -> object:
    try:
        return r["id"]
    except (IndexError, KeyError):
        return None


def _text_list(value: object, table: str, row_id: object, column: str) -> tuple[str, ...]:
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise InvalidRow(table, row_id, f"{column} must be a JSON list of texts, got {value!r}")
    return tuple(items)


def _date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise TypeError(f"{value!r} is not a date")


def timestamp_text(value: object) -> str | None:
    """A stored timestamp as UTC ISO text (what the store writes and returns)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    raise TypeError(f"{value!r} is not a UTC timestamp")


def _meta(r: Row, table: str) -> dict[str, Any]:
    out = {k: r[k] for k in META_FIELDS}
    if not isinstance(out["version"], int) or out["version"] < 1:
        raise InvalidRow(table, _row_id(r), f"version {out['version']!r} is not a whole number ≥ 1")
    for k in ("created_at", "updated_at", "deleted_at"):
        out[k] = timestamp_text(out[k])
    for k in ("created_at", "created_by", "updated_at", "updated_by"):
        if not isinstance(out[k], str):
            raise InvalidRow(table, _row_id(r), f"{k} {out[k]!r} is not text")
    return out


def _geometry(r: Row) -> BaseGeometry:
    value = r["geometry"]
    if isinstance(value, BaseGeometry):
        geom = value
    else:
        try:
            geom = shapely.from_wkb(value)
        except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
            raise InvalidRow("areas", r["id"], f"geometry is not WKB ({exc})") from None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise InvalidRow("areas", r["id"], "geometry is not a polygon")
    return geom


def decode_area(r: Row, notes: Sequence[tuple[str, str]] = ()) -> Area:
    """An :class:`Area` from a stored row; :class:`InvalidRow` when a value is not one the
    store writes."""
    try:
        geom = _geometry(r)
        if not isinstance(r["name"], str) or not r["name"].strip():
            raise InvalidRow("areas", r["id"], f"name {r['name']!r} is not a name")
        drawn = {k: r[k] for k in DRAWN_ON_FIELDS}
        for k, v in drawn.items():
            if v is not None and not isinstance(v, str):
                raise InvalidRow("areas", r["id"], f"{k} {v!r} is not text")
        return Area(
            id=r["id"], name=r["name"], geometry=geom, description=r["description"],
            source_cells=_text_list(r["source_cells"], "areas", r["id"], "source_cells"),
            source_cluster=r["source_cluster"], notes=tuple(notes), **drawn,
            **_meta(r, "areas"),
        )
    except InvalidRow:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidRow("areas", _row_id(r), exc) from None


def decode_measure(r: Row) -> Measure:
    """A :class:`Measure` from a stored row (see :func:`decode_area`)."""
    try:
        return _decode_measure(r)
    except InvalidRow:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidRow("measures", _row_id(r), exc) from None


def _decode_measure(r: Row) -> Measure:
    rid = r["id"]
    cats = _text_list(r["target_categories"], "measures", rid, "target_categories")
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown or not cats:
        raise InvalidRow("measures", rid, f"target_categories {list(cats)} must name at least "
                         f"one of {', '.join(CATEGORIES)}")
    if r["status"] not in STATUSES:
        raise InvalidRow("measures", rid,
                         f"status {r['status']!r} is not one of {', '.join(STATUSES)}")
    cost = r["cost"]
    if cost is not None and (isinstance(cost, str | bytes) or not math.isfinite(cost)):
        raise InvalidRow("measures", rid, f"cost {cost!r} is not a number")
    for k in ("title", "area_id"):
        if not isinstance(r[k], str):
            raise InvalidRow("measures", rid, f"{k} {r[k]!r} is not text")
    return Measure(
        id=rid, area_id=r["area_id"], title=r["title"], description=r["description"],
        target_categories=cats, problem=r["problem"],
        cause_tags=_text_list(r["cause_tags"], "measures", rid, "cause_tags"),
        responsible=r["responsible"],
        partners=_text_list(r["partners"], "measures", rid, "partners"),
        start_date=_date(r["start_date"]), end_date=_date(r["end_date"]), status=r["status"],
        indicator=r["indicator"], next_followup=_date(r["next_followup"]),
        cost=None if cost is None else float(cost), agreement=r["agreement"],
        **_meta(r, "measures"),
    )


def decode_audit(r: Row) -> dict[str, Any]:
    """One audit row as a dict, ``before``/``after`` decoded to dicts (``{}`` when empty)."""
    def decoded(key: str) -> dict[str, Any]:
        raw = r[key]
        try:
            value = json.loads(raw) if isinstance(raw, str | bytes) else (raw or {})
        except (ValueError, TypeError) as exc:
            raise InvalidRow("audit", r["seq"], f"{key} is not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise InvalidRow("audit", r["seq"], f"{key} is not a JSON object")
        return value

    try:
        at = timestamp_text(r["at"])
    except TypeError as exc:
        raise InvalidRow("audit", r["seq"], exc) from None
    return {"seq": r["seq"], "entity": r["entity"], "entity_id": r["entity_id"],
            "action": r["action"], "version": r["version"], "user": r["user"], "at": at,
            "before": decoded("before"), "after": decoded("after")}


def ascii_nocase(text: str) -> str:
    """SQLite's NOCASE order key: ASCII letters folded, å, ä, ö and the rest unchanged."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# -------------------------------------------------------------------------- backend


class Backend(ABC):
    """Connections, transactions and SQL of one database (see the module docstring).

    Connections are opened per thread (and per process, after a fork) on first use and
    reused; connections of threads that have ended are closed when the next one is
    opened (Streamlit runs every script run in a new thread). Transactions nest: only
    the outermost one begins and commits.
    """

    #: ``"sqlite"`` or ``"postgresql"``.
    kind: ClassVar[str]
    #: The driver's base exception classes (mapped to :class:`StoreError`).
    driver_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, location: str, *, kommun: str | None = None) -> None:
        #: Where the store is, for messages (a path, or a URL without its password).
        self.location = location
        #: The kommun (4-digit code) the store is scoped to, if any.
        self.kommun = kommun
        self._local = threading.local()
        self._lock = threading.Lock()
        # (owning thread, connection): connections of finished threads are closed
        self._conns: list[tuple[threading.Thread, Any]] = []
        self._pid = os.getpid()
        self._closed = False

    # ------------------------------------------------------------ to implement

    @abstractmethod
    def _connect(self) -> Any:
        """A new connection (errors mapped to :class:`StoreError`)."""

    @abstractmethod
    def _close_connection(self, conn: Any) -> None: ...

    @abstractmethod
    def _begin(self, conn: Any) -> None: ...

    @abstractmethod
    def _commit(self, conn: Any) -> None: ...

    @abstractmethod
    def _rollback(self, conn: Any) -> None: ...

    @abstractmethod
    def open(self) -> None:
        """Check (and on SQLite create or migrate) the schema; called once by the store."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def store_error(self, exc: BaseException, action: str) -> StoreError:
        """A :class:`StoreError` saying what happened and what to do (``action``: what was
        not done, e.g. ``"saved"``)."""

    @abstractmethod
    def invalid_row_error(self, exc: InvalidRow) -> StoreError: ...

    def is_retryable(self, exc: BaseException) -> bool:
        """True for a failure that the same call succeeds after (a deadlock)."""
        return False

    @abstractmethod
    def param(self, name: str) -> str:
        """The placeholder for the named parameter ``name``."""

    @abstractmethod
    def table(self, name: str) -> str:
        """The table's name as SQL (schema-qualified on PostgreSQL)."""

    @abstractmethod
    def encode(self, table: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record's canonical values as this database stores them (parameters)."""

    def value_sql(self, table: str, column: str) -> str:
        """The SQL of a column's value in INSERT and UPDATE (a placeholder by default)."""
        return self.param(column)

    def column_sql(self, table: str, column: str, alias: str) -> str:
        """The SQL that reads a column (the column itself by default)."""
        return f"{alias}.{column}"

    def scope(self, alias: str) -> str:
        """The predicate that limits a statement to the store's kommun (always true if none)."""
        return "1 = 1"

    def extra_columns(self) -> dict[str, Any]:
        """Columns every inserted row gets besides the record's (PostgreSQL: the kommun)."""
        return {}

    def rows_read(self, table: str, rows: list[Row]) -> list[Row]:
        """Rows as read, made decodable (PostgreSQL: geometries back to WGS84)."""
        return rows

    def for_update(self) -> str:
        """The clause that locks a row read inside a write transaction (empty on SQLite,
        whose write transactions are exclusive)."""
        return ""

    @abstractmethod
    def lock_area_names(self, conn: Any) -> None:
        """Serialise get-or-create of areas by name with every other writer."""

    @abstractmethod
    def replace_content(self, conn: Any, areas: Sequence[Mapping[str, Any]],
                        measures: Sequence[Mapping[str, Any]],
                        audit: Sequence[Mapping[str, Any]]) -> None:
        """Replace every area, measure and audit row (of the kommun) inside ``conn``'s
        transaction: the restore of an export."""

    @abstractmethod
    def file_backup(self, dest: Path) -> Path:
        """A consistent copy of the database file (SQLite only)."""

    # ------------------------------------------------------------ connections

    def conn(self) -> Any:
        """This thread's connection (opened on first use)."""
        if self._closed:
            raise StoreError(f"Store {self.location} is closed; open a new MeasureStore.")
        if os.getpid() != self._pid:  # forked: never reuse (or close) the parent's connections
            self._pid = os.getpid()
            _FORKED_AWAY.extend(c for _, c in self._conns)
            self._local = threading.local()
            self._conns = []
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                alive = []
                for t, c in self._conns:
                    if t.is_alive():
                        alive.append((t, c))
                    else:
                        with contextlib.suppress(Exception):
                            self._close_connection(c)
                alive.append((threading.current_thread(), conn))
                self._conns = alive
        return conn

    def close(self) -> None:
        """Close every connection opened (in any thread)."""
        with self._lock:
            for _, c in self._conns:
                with contextlib.suppress(Exception):
                    self._close_connection(c)
            self._conns = []
        self._local = threading.local()
        self._closed = True

    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` in this thread."""
        return bool(getattr(self._local, "depth", 0))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction; calls made inside reuse it, and all of them commit
        together or none does."""
        conn = self.conn()
        if self._local.depth > 0:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        self._begin(conn)
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            with contextlib.suppress(Exception):
                self._rollback(conn)
            raise
        self._local.depth = 0
        try:
            self._commit(conn)
        except self.driver_errors as exc:
            with contextlib.suppress(Exception):
                self._rollback(conn)
            raise self.store_error(exc, "saved") from None

    # ------------------------------------------------------------------- data

    def _select(self, table: str, alias: str) -> str:
        cols = {"areas": AREA_COLUMNS, "measures": MEASURE_COLUMNS}[table]
        return ", ".join(self.column_sql(table, c, alias) for c in cols)

    def get_row(self, conn: Any, table: str, row_id: str, *, lock: bool = False) -> Row | None:
        """The row of ``table`` (``areas``/``measures``) with this id, or ``None``; with
        ``lock`` the row stays locked until the transaction ends."""
        sql = (f"SELECT {self._select(table, 't')} FROM {self.table(table)} t "
               f"WHERE {self.scope('t')} AND t.id = {self.param('id')}"
               + (f" {self.for_update()}" if lock else ""))
        row = conn.execute(sql, self._params(id=str(row_id))).fetchone()
        return None if row is None else self.rows_read(table, [row])[0]

    def insert_row(self, conn: Any, table: str, record: Mapping[str, Any]) -> None:
        """Insert one area or measure (``record``: every stored column)."""
        values = self.encode(table, record) | self.extra_columns()
        cols = list(values)
        conn.execute(f"INSERT INTO {self.table(table)} ({', '.join(self._quote(c) for c in cols)})"
                     f" VALUES ({', '.join(self.value_sql(table, c) for c in cols)})", values)

    def update_row(self, conn: Any, table: str, row_id: str, changes: Mapping[str, Any], *,
                   version: int) -> int:
        """Set ``changes`` on the row when it still has ``version``; the rows changed (0 or 1)."""
        values = self.encode(table, changes)
        sets = ", ".join(f"{self._quote(c)} = {self.value_sql(table, c)}" for c in values)
        cur = conn.execute(  # no alias: older SQLite versions do not take one in UPDATE
            f"UPDATE {self.table(table)} SET {sets} WHERE {self.scope(table)} AND "
            f"id = {self.param('row_id')} AND version = {self.param('old_version')}",
            values | self._params(row_id=str(row_id), old_version=int(version)))
        return int(cur.rowcount)

    def area_state(self, conn: Any, area_id: str) -> Row | None:
        """``name`` and ``deleted_at`` of an area (no geometry), or ``None``."""
        row = conn.execute(
            f"SELECT t.name, t.deleted_at FROM {self.table('areas')} t WHERE {self.scope('t')} "
            f"AND t.id = {self.param('id')}", self._params(id=str(area_id))).fetchone()
        return None if row is None else row

    def live_area_names(self, conn: Any) -> list[Row]:
        """``id`` and ``name`` of every area not deleted, oldest first."""
        return list(conn.execute(
            f"SELECT t.id, t.name FROM {self.table('areas')} t WHERE {self.scope('t')} AND "
            "t.deleted_at IS NULL ORDER BY t.created_at", self._params()).fetchall())

    def live_measures(self, conn: Any, area_id: str) -> list[Row]:
        """``id``, ``title``, ``version`` of the area's measures not deleted, oldest first."""
        return list(conn.execute(
            f"SELECT t.id, t.title, t.version FROM {self.table('measures')} t "
            f"WHERE {self.scope('t')} AND t.area_id = {self.param('area_id')} AND "
            "t.deleted_at IS NULL ORDER BY t.created_at", self._params(area_id=area_id)
        ).fetchall())

    def area_rows(self, conn: Any, *, include_deleted: bool) -> list[Row]:
        """Every area (with ``n_measures``: its measures not deleted)."""
        live = "" if include_deleted else " AND a.deleted_at IS NULL"
        rows = conn.execute(
            f"SELECT {self._select('areas', 'a')}, (SELECT count(*) FROM "
            f"{self.table('measures')} m WHERE {self.scope('m')} AND m.area_id = a.id AND "
            f"m.deleted_at IS NULL) AS n_measures FROM {self.table('areas')} a "
            f"WHERE {self.scope('a')}{live}", self._params()).fetchall()
        return self.rows_read("areas", list(rows))

    def measure_rows(self, conn: Any, *, include_deleted: bool, status: str | None,
                     area_id: str | None) -> list[Row]:
        """Measures (with ``area_name``), filtered."""
        where = [self.scope("m"), self.scope("a")]
        if not include_deleted:
            where.append("m.deleted_at IS NULL")
        if status is not None:
            where.append(f"m.status = {self.param('status')}")
        if area_id is not None:
            where.append(f"m.area_id = {self.param('area_id')}")
        rows = conn.execute(
            f"SELECT {self._select('measures', 'm')}, a.name AS area_name FROM "
            f"{self.table('measures')} m JOIN {self.table('areas')} a ON a.id = m.area_id "
            f"WHERE {' AND '.join(where)}",
            self._params(status=status, area_id=area_id)).fetchall()
        return self.rows_read("measures", list(rows))

    def insert_audit(self, conn: Any, entry: Mapping[str, Any]) -> None:
        """Append one audit row (``entry``: :data:`AUDIT_COLUMNS`)."""
        self.insert_row(conn, "audit", entry)

    def audit_rows(self, conn: Any, entity: str, entity_id: str | None = None) -> list[Row]:
        """The audit trail of an entity type (or of one id), in ``seq`` order."""
        one = "" if entity_id is None else f" AND t.entity_id = {self.param('entity_id')}"
        cols = ", ".join(f"t.{self._quote(c)}" for c in ("seq", *AUDIT_COLUMNS))
        return list(conn.execute(
            f"SELECT {cols} FROM {self.table('audit')} t WHERE {self.scope('t')} AND "
            f"t.entity = {self.param('entity')}{one} ORDER BY t.seq",
            self._params(entity=entity, entity_id=entity_id)).fetchall())

    def _params(self, **values: Any) -> dict[str, Any]:
        return values

    @staticmethod
    def _quote(column: str) -> str:
        return '"user"' if column == "user" else column


#: Connections inherited from a parent process: kept referenced so that they are never
#: closed (closing would end the parent's session) nor used in the child.
_FORKED_AWAY: list[Any] = []


def now_text() -> str:
    """The current time as UTC ISO text with microseconds (what the store records)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def json_text(value: Mapping[str, Any] | Sequence[Any] | None) -> str | None:
    """JSON text (Unicode kept) or ``None``."""
    return None if value is None else json.dumps(value, ensure_ascii=False)

