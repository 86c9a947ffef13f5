"""The areas-and-measures store.

:class:`MeasureStore` keeps :class:`~lagesbild_geo.measures.model.Area` and
:class:`~lagesbild_geo.measures.model.Measure` records in one SQLite file (stdlib :mod:`sqlite3`, no
server): WAL journal, foreign keys, ``BEGIN IMMEDIATE`` write transactions, a
schema version with migrations, an append-only audit trail, soft delete with
restore and optimistic locking (a stale save raises :class:`ConflictError`
naming who saved first and when). See ``docs/measures.md``.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> with MeasureStore(tmp / "atgarder.sqlite", user="anna") as store:
...     area = store.add_area(name="Stationsområdet",
...                           geometry="POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.38, 17.10 59.37))")
...     m = store.add_measure(area_id=area.id, title="Bättre belysning",
...                           target_categories=["Skadegörelse och klotter", "ran"],
...                           start_date="2024-03-01")
...     m.target_categories, m.status, m.version
(('skadegorelse', 'ran'), 'planerad', 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import getpass
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..errors import ConflictError, NotFoundError, StoreError, ValidationError
from ..schema import CATEGORIES
from .io import (
    export_geojson,
    export_gpkg,
    export_plan_csv,
    export_plan_excel,
    import_areas,
    plan_table,
    to_geodataframe,
)
from .model import (
    AREA_FIELDS,
    MEASURE_FIELDS,
    META_FIELDS,
    STATUSES,
    Area,
    Measure,
    MeasureStoreProtocol,
    Problem,
    json_value,
    parse_status,
    validate_area,
    validate_measure,
)
from .schema import MIGRATIONS, SCHEMA_VERSION, create_schema

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_STORE_ENV",
    "MeasureStore",
    "default_store_path",
    "newest_backup",
    "restore_backup",
]

#: Environment variable that names the default store file.
DEFAULT_STORE_ENV = "LAGESBILD_STORE"
_BUSY_TIMEOUT_MS = 60_000


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def default_store_path() -> Path:
    """The store file used when none is given.

    ``$LAGESBILD_STORE`` when set, else ``./lagesbild_data/atgarder.sqlite`` under the
    current working directory (the project folder when the app is started there).

    Examples
    --------
    >>> default_store_path().name
    'atgarder.sqlite'
    """
    env = os.environ.get(DEFAULT_STORE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.cwd() / "lagesbild_data" / "atgarder.sqlite"


def _default_user() -> str:
    env = os.environ.get("LAGESBILD_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "okänd"



def _row_to_measure(r: sqlite3.Row) -> Measure:
    try:
        return _decode_measure(r)
    except _InvalidRow:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _InvalidRow("measures", _row_id(r), exc) from None


def _row_id(r: sqlite3.Row) -> object:
    try:
        return r["id"]
    except (IndexError, KeyError):
        return None


def _json_list(value: object, table: str, row_id: object, column: str) -> tuple[str, ...]:
    items = json.loads(value) if isinstance(value, str) else None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise _InvalidRow(table, row_id, f"{column} must be a JSON list of texts, got {value!r}")
    return tuple(items)


def _decode_measure(r: sqlite3.Row) -> Measure:
    def d(v: str | None) -> dt.date | None:
        return None if v is None else dt.date.fromisoformat(v)

    rid = r["id"]
    cats = _json_list(r["target_categories"], "measures", rid, "target_categories")
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown or not cats:
        raise _InvalidRow("measures", rid, f"target_categories {list(cats)} must name at least one "
                          f"of {', '.join(CATEGORIES)}")
    if r["status"] not in STATUSES:
        raise _InvalidRow("measures", rid, f"status {r['status']!r} is not one of {', '.join(STATUSES)}")
    if r["cost"] is not None and (isinstance(r["cost"], str | bytes) or not math.isfinite(r["cost"])):
        raise _InvalidRow("measures", rid, f"cost {r['cost']!r} is not a number")
    if not isinstance(r["version"], int) or r["version"] < 1:
        raise _InvalidRow("measures", rid, f"version {r['version']!r} is not a whole number ≥ 1")
    for k in ("title", "area_id", "created_at", "created_by", "updated_at", "updated_by"):
        if not isinstance(r[k], str):
            raise _InvalidRow("measures", rid, f"{k} {r[k]!r} is not text")
    _json_list(r["cause_tags"], "measures", rid, "cause_tags")
    _json_list(r["partners"], "measures", rid, "partners")
    return Measure(
        id=r["id"], area_id=r["area_id"], title=r["title"], description=r["description"],
        target_categories=cats, problem=r["problem"],
        cause_tags=tuple(json.loads(r["cause_tags"])), responsible=r["responsible"],
        partners=tuple(json.loads(r["partners"])), start_date=d(r["start_date"]),
        end_date=d(r["end_date"]), status=r["status"], indicator=r["indicator"],
        next_followup=d(r["next_followup"]), cost=r["cost"], agreement=r["agreement"],
        **{k: r[k] for k in META_FIELDS},
    )


def _row_to_area(r: sqlite3.Row, notes: Sequence[tuple[str, str]] = ()) -> Area:
    try:
        geom = _area_geometry(r)
        if not isinstance(r["version"], int) or r["version"] < 1:
            raise _InvalidRow("areas", r["id"], f"version {r['version']!r} is not a whole number ≥ 1")
        if not isinstance(r["name"], str) or not r["name"].strip():
            raise _InvalidRow("areas", r["id"], f"name {r['name']!r} is not a name")
        return Area(
            id=r["id"], name=r["name"], geometry=geom,
            description=r["description"],
            source_cells=_json_list(r["source_cells"], "areas", r["id"], "source_cells"),
            source_cluster=r["source_cluster"], notes=tuple(notes), **{k: r[k] for k in META_FIELDS},
        )
    except _InvalidRow:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _InvalidRow("areas", _row_id(r), exc) from None


def _area_geometry(r: sqlite3.Row) -> BaseGeometry:
    try:
        geom = shapely.from_wkb(r["geometry"])
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        raise _InvalidRow("areas", r["id"], f"geometry is not WKB ({exc})") from None
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise _InvalidRow("areas", r["id"], "geometry is not a polygon")
    return geom


def _measure_params(v: Mapping[str, Any]) -> dict[str, Any]:
    p = dict(v)
    for k in ("target_categories", "cause_tags", "partners"):
        p[k] = json.dumps(list(p[k]), ensure_ascii=False)
    for k in ("start_date", "end_date", "next_followup"):
        p[k] = json_value(p[k])
    return p


# --------------------------------------------------------------------------- errors

_BACKUP_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".bak", ".backup")


def newest_backup(path: str | os.PathLike[str]) -> Path | None:
    """The newest file beside a store (or in its ``backups/`` folder) that looks like a
    backup of it: an SQLite file named after the store or with "backup" in its name
    (what ``lagesbild measures backup``, migrations and restores write there).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "atgarder.sqlite") as s:
    ...     _ = s.backup(tmp / "atgarder-backup.sqlite")
    >>> newest_backup(tmp / "atgarder.sqlite").name
    'atgarder-backup.sqlite'
    """
    store = Path(path)
    stem = store.stem.lower()
    found: list[tuple[float, str, Path]] = []
    for folder in (store.parent, store.parent / "backups", store.parent / "backup"):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for f in entries:
            low = f.name.lower()
            if f.suffix.lower() not in _BACKUP_SUFFIXES or f.name == store.name:
                continue
            if stem not in low and "backup" not in low and "kopia" not in low:
                continue
            try:
                if not f.is_file():
                    continue
                with f.open("rb") as fh:
                    if fh.read(16) != b"SQLite format 3\x00":
                        continue
                found.append((f.stat().st_mtime, f.name, f))
            except OSError:
                continue
    return max(found)[2] if found else None


def _restore_hint(path: Path, *, lead: str = "Restore") -> str:
    b = newest_backup(path)
    if b is not None:
        return (f"{lead} the newest backup, {b} (lagesbild measures restore {b} --store {path}; "
                "the current file is kept beside it).")
    return (f"{lead} your latest backup (lagesbild measures restore BACKUP --store {path}); no "
            f"backup was found beside {path.name}.")


def _store_error(path: Path, exc: BaseException, action: str) -> StoreError:
    """A :class:`StoreError` that says what happened to the store and what to do."""
    code = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc)
    low = text.lower()
    folder = path.parent
    wal = [p for p in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
           if p.exists()]
    if code.startswith("SQLITE_READONLY") or "readonly" in low or "read-only" in low \
            or code == "SQLITE_CANTOPEN" or "unable to open database" in low:
        if not folder.is_dir():
            return StoreError(f"The folder of the measure store {path} does not exist; nothing was "
                              f"{action}. Create it, or give another store with --store.")
        if path.exists() and not os.access(path, os.R_OK):
            return StoreError(f"The measure store {path} cannot be read (file permissions); "
                              f"nothing was {action}. Give the user running lagesbild read and "
                              "write access to it.")
        if path.exists() and not os.access(path, os.W_OK):
            return StoreError(f"The measure store {path} is a read-only file; nothing was "
                              f"{action}. Make the file writable (file permissions) for the user "
                              "running lagesbild or the app, or work on a writable copy "
                              "(--store / LAGESBILD_STORE).")
        if not os.access(folder, os.W_OK | os.X_OK):
            return StoreError(f"The folder {folder} holding the measure store is read-only; nothing "
                              f"was {action}. The store itself is fine: SQLite needs to create its "
                              f"journal files ({path.name}-wal, {path.name}-shm) beside it. Make "
                              "the folder writable, or move the store to a writable folder "
                              "(--store / LAGESBILD_STORE).")
        locked = [p.name for p in wal if not os.access(p, os.W_OK)]
        if locked:
            return StoreError(f"The journal file(s) {', '.join(locked)} beside the measure store "
                              f"{path} are read-only (left by another user?); nothing was {action}. "
                              "Give the user running lagesbild write access to them.")
        return StoreError(f"The measure store {path} cannot be written (SQLite: {text}); nothing "
                          f"was {action}. Check the permissions of the file and its folder.")
    if code == "SQLITE_FULL" or "disk is full" in low:
        return StoreError(f"The disk holding the measure store {path} is full; nothing was "
                          f"{action} (a change is saved completely or not at all). Free some "
                          "space, or move the store to another disk (--store), and try again.")
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in low \
            or "not a database" in low:
        return StoreError(f"The measure store {path} is damaged (SQLite: {text}); nothing was "
                          f"{action}. Do not write to it. {_restore_hint(path)}")
    if code.startswith("SQLITE_IOERR") or "disk i/o error" in low:
        return StoreError(f"A disk error occurred on the measure store {path} (SQLite: {text}); "
                          f"nothing was {action}. Check the disk or network share and try again; "
                          "if it persists the file may be damaged: "
                          + _restore_hint(path, lead="restore"))
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in low:
        return StoreError(f"The measure store {path} stayed locked by another program for more "
                          f"than {_BUSY_TIMEOUT_MS // 1000} s; nothing was {action}. Try again; "
                          "close other programs that have the file open (e.g. DB Browser).")
    return StoreError(f"The measure store {path} could not be used (SQLite: {text}); nothing was "
                      f"{action}. Try again; if it persists, "
                      + _restore_hint(path, lead="restore"))


class _InvalidRow(StoreError):
    """A stored row that does not decode (the store was edited by hand or damaged)."""

    def __init__(self, table: str, row_id: object, problem: BaseException | str) -> None:
        self.table, self.row_id, self.problem = table, row_id, problem
        super().__init__(f"row {row_id!r} of table {table!r} holds an invalid value ({problem})")


def _invalid_row_error(path: Path, exc: _InvalidRow) -> StoreError:
    return StoreError(
        f"The measure store {path}: {exc} — the file was edited by hand or is damaged. Nothing "
        "was changed. Correct the value (e.g. in DB Browser for SQLite), or "
        + _restore_hint(path, lead="restore"))


_F = TypeVar("_F", bound=Callable[..., Any])


def _store_errors(action: str) -> Callable[[_F], _F]:
    """Map every SQLite failure of a store method to a :class:`StoreError` saying what to do."""

    def deco(fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(self: MeasureStore, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except _InvalidRow as exc:
                raise _invalid_row_error(self.path, exc) from None
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc, action) from None

        return wrapper  # type: ignore[return-value]

    return deco


# --------------------------------------------------------------------------- store


class MeasureStore:
    """The areas-and-measures store: one SQLite file, safe for many users at once.

    Parameters
    ----------
    path
        The store file; created (with parent folders) when missing. Default:
        :func:`default_store_path` (``$LAGESBILD_STORE`` or
        ``./lagesbild_data/atgarder.sqlite``).
    user
        Name recorded in the audit trail for changes made through this object
        (default ``$LAGESBILD_USER`` or the login name). Every write method also
        takes ``user=`` for apps that serve several people.

    Notes
    -----
    *Connections.* SQLite connections must not be shared between threads while in
    use, so the store opens one connection per thread (and per process, after a
    fork) on first use and reuses it; connections of threads that have ended are
    closed when the next one is opened. A ``MeasureStore`` object may therefore be
    shared by Streamlit's script threads (e.g. via ``st.cache_resource``). Each write
    runs in its own ``BEGIN IMMEDIATE`` transaction; readers are never blocked (WAL),
    writers wait for each other up to a 60 s busy timeout. ``synchronous=FULL``: a
    committed change survives a crash or power cut.

    *Optimistic locking.* ``update_*``/``delete_*``/``restore_*`` take the version the
    user's form was based on; when someone saved in between, :class:`ConflictError`
    says who and when, and nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna")
    >>> a = store.add_area(name="Torget", geometry={"type": "Polygon", "coordinates":
    ...     [[[17.1, 59.37], [17.11, 59.37], [17.11, 59.375], [17.1, 59.37]]]})
    >>> a2 = store.update_area(a.id, {"name": "Centrumtorget"}, expected_version=1)
    >>> a2.name, a2.version, len(store.list_areas())
    ('Centrumtorget', 2, 1)
    >>> store.close()
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 user: str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.user = user or _default_user()
        self._local = threading.local()
        self._lock = threading.Lock()
        # (owning thread, connection): connections of finished threads are closed
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._pid = os.getpid()
        self._closed = False
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"Store path {self.path} is a folder; give a file name such as "
                             f"{self.path / 'atgarder.sqlite'}.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for store {self.path}: {exc}.") from None
        try:
            self._open_schema()
        except _InvalidRow as exc:
            self.close()
            raise _invalid_row_error(self.path, exc) from None
        except sqlite3.Error as exc:
            self.close()
            raise _store_error(self.path, exc, "opened") from None
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, "opened") from None
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(exc) from None
        return conn

    def _open_error(self, exc: sqlite3.Error) -> StoreError:
        """An error while opening: not an SQLite file at all, or the store's own trouble."""
        code = str(getattr(exc, "sqlite_errorname", "") or "")
        if code.startswith("SQLITE_NOTADB") or "not a database" in str(exc).lower():
            try:
                with self.path.open("rb") as fh:
                    sqlite_file = fh.read(16) == b"SQLite format 3\x00"
            except OSError:
                sqlite_file = True
            if not sqlite_file:
                return StoreError(
                    f"{self.path} is not a measure store (not an SQLite file at all); nothing was "
                    "changed. Check the path given with --store / LAGESBILD_STORE.")
        return _store_error(self.path, exc, "opened")

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"Store {self.path} is closed; open a new MeasureStore.")
        if os.getpid() != self._pid:  # forked: never reuse the parent's connections
            self._pid = os.getpid()
            self._local = threading.local()
            self._conns = []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                # Streamlit runs each script run in a new thread: close what dead threads left
                alive = []
                for t, c in self._conns:
                    if t.is_alive():
                        alive.append((t, c))
                    else:
                        with contextlib.suppress(sqlite3.Error):
                            c.close()
                alive.append((threading.current_thread(), conn))
                self._conns = alive
        return conn

    def close(self) -> None:
        """Close every connection this object opened (in any thread)."""
        with self._lock:
            for _, c in self._conns:
                with contextlib.suppress(sqlite3.Error):
                    c.close()
            self._conns = []
        self._local = threading.local()
        self._closed = True

    def __enter__(self) -> MeasureStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MeasureStore({str(self.path)!r}, user={self.user!r})"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``) around several calls.

        Calls made inside reuse it; all of them commit together or none does.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as store:
        ...     with store.transaction():
        ...         a = store.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...         b = store.add_area(name="B", geometry=a.geometry)
        ...     len(store.list_areas())
        2
        """
        conn = self._conn()
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
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _store_error(self.path, exc, "saved") from None

    def _begin(self, conn: sqlite3.Connection) -> None:
        # busy_timeout covers BEGIN IMMEDIATE; the loop only guards against the rare
        # SQLITE_BUSY returned without waiting (e.g. during WAL recovery).
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise _store_error(self.path, exc, "saved") from None
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"Store {self.path} stayed locked by another writer for more than "
                        f"{_BUSY_TIMEOUT_MS // 1000} s; try again.") from None
                time.sleep(0.05)

    def _open_schema(self) -> None:
        conn = self._conn()
        for attempt in range(200):
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._open_error(exc) from None
                time.sleep(0.05 * (1 + attempt % 5))
            except sqlite3.DatabaseError as exc:
                raise self._open_error(exc) from None
        else:  # pragma: no cover
            raise StoreError(f"Cannot switch store {self.path} to WAL mode (locked).")
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network file systems
            raise StoreError(f"Store {self.path} cannot use WAL mode (got {mode}); keep the "
                             "file on a local disk.")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise self._open_error(exc) from None
        if version == SCHEMA_VERSION:
            self._check_tables(conn)
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"Store {self.path} has schema version {version}, newer than this library "
                f"understands ({SCHEMA_VERSION}); upgrade lagesbild_geo.")
        if version < 0 or (version > 0 and version not in MIGRATIONS):
            raise StoreError(
                f"The measure store {self.path} says it has schema version {version}, which no "
                "version of lagesbild_geo writes: the file was edited by hand or is damaged. "
                f"Nothing was changed. {_restore_hint(self.path)}")
        with self.transaction():
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # re-read under lock
            if version == 0:
                tables = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
                if tables:
                    raise StoreError(f"{self.path} is an SQLite file but not a measure store "
                                     "(it has other tables); choose another file.")
                create_schema(conn)
                return
            if version == SCHEMA_VERSION:
                return
        self._migrate(version)

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"areas", "measures", "audit"} - have)
        if missing:
            raise StoreError(
                f"The measure store {self.path} lacks the table(s) {', '.join(missing)}: the file "
                "was edited by hand or is damaged. Nothing was changed. "
                + _restore_hint(self.path))

    def _migrate(self, version: int) -> None:
        conn = self._conn()
        safety = self.path.with_name(f"{self.path.stem}.v{version}-backup{self.path.suffix}")
        if not safety.exists():
            self.backup(safety)
        conn.execute("PRAGMA foreign_keys = OFF")  # table rebuilds; checked after
        try:
            with self.transaction():
                v = conn.execute("PRAGMA user_version").fetchone()[0]
                while v < SCHEMA_VERSION:
                    try:
                        MIGRATIONS[v](conn)
                    except (sqlite3.Error, KeyError) as exc:
                        raise StoreError(
                            f"The measure store {self.path} (schema version {v}) could not be "
                            f"brought up to version {SCHEMA_VERSION} ({exc}): its "
                            "tables are not what that version wrote (edited by hand?). The file "
                            f"is unchanged and a copy is at {safety}.") from None
                    v += 1
                    conn.execute(f"PRAGMA user_version = {v}")
                bad = conn.execute("PRAGMA foreign_key_check").fetchall()
                if bad:
                    raise StoreError(f"Migrating store {self.path} found {len(bad)} rows "
                                     "pointing at missing areas; the file is unchanged and a "
                                     f"copy is at {safety}.")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (``PRAGMA user_version``)."""
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ audit

    def _audit(self, conn: sqlite3.Connection, entity: str, entity_id: str, action: str,
               version: int, user: str, at: str, before: Mapping[str, Any] | None,
               after: Mapping[str, Any] | None) -> None:
        def js(d: Mapping[str, Any] | None) -> str | None:
            if d is None:
                return None
            return json.dumps({k: json_value(v) for k, v in d.items()}, ensure_ascii=False)

        conn.execute(
            "INSERT INTO audit (entity, entity_id, action, version, user, at, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entity, entity_id, action, version, user, at, js(before), js(after)))

    # ------------------------------------------------------------------ areas

    def _area_row(self, conn: sqlite3.Connection, area_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM areas WHERE id = ?", (str(area_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"No area with id {area_id!r} in store {self.path}; list the "
                                "areas with list_areas(include_deleted=True).")
        return row

    @_store_errors("saved")
    def add_area(self, *, name: str, geometry: object, description: str = "",
                 created_by: str | None = None, source_cells: Iterable[int | str] | None = None,
                 source_cluster: str | None = None, id: str | None = None) -> Area:
        """Add an area.

        Parameters
        ----------
        name
            What people call it ("Stationsområdet").
        geometry
            Polygon/MultiPolygon in WGS84 lon/lat: shapely, GeoJSON dict (geometry or
            Feature), WKT or WKB. See :func:`validate_geometry` for the rules.
        description
            Why the area was drawn.
        created_by
            User name (default: the store's user).
        source_cells, source_cluster
            The hotspot cells (uint64 or hex) or cluster id it was drawn from.
        id
            Keep this id (a UUID string; used by imports); default a new UUID.

        Returns
        -------
        Area
            As stored; ``notes`` tells when the geometry was repaired.

        Raises
        ------
        ValidationError
            Listing every problem as ``(field, English, Swedish)``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as store:
        ...     a = store.add_area(name="Torget", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     round(a.area_km2, 3)
        0.158
        """
        values, problems, notes = validate_area(
            {"name": name, "geometry": geometry, "description": description,
             "source_cells": source_cells, "source_cluster": source_cluster})
        new_id = self._check_id(id, problems)
        if problems:
            raise ValidationError(problems)
        user = created_by or self.user
        now = _now()
        with self.transaction() as conn:
            if id is not None and conn.execute("SELECT 1 FROM areas WHERE id = ?",
                                               (new_id,)).fetchone():
                raise ValidationError([("id", f"an area with id {new_id} already exists",
                                        f"ett område med id {new_id} finns redan")])
            conn.execute(
                "INSERT INTO areas (id, name, description, geometry, source_cells, "
                "source_cluster, version, created_at, created_by, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (new_id, values["name"], values["description"],
                 shapely.to_wkb(values["geometry"]),
                 json.dumps(list(values["source_cells"])), values["source_cluster"],
                 now, user, now, user))
            row = self._area_row(conn, new_id)
            area = _row_to_area(row, notes)
            after = area.to_dict()
            if notes:
                after["notes"] = [n[0] for n in notes]
            self._audit(conn, "area", new_id, "create", 1, user, now, None, after)
        return area

    @_store_errors("saved")
    def get_or_create_area(self, name: str, *, geometry: object, description: str = "",
                           created_by: str | None = None) -> tuple[Area, bool]:
        """The area called ``name``, or a new one with ``geometry``, in one transaction.

        Names are compared without regard to case or surrounding spaces (å, ä and ö
        stay letters: "Vårberg" is not "Varberg"); deleted areas do not count. The look-up
        and the insert run under the store's write lock, so several processes asking for
        the same new name at once create exactly one area.

        Returns
        -------
        (Area, bool)
            The area and whether it was created now.

        Raises
        ------
        ValidationError
            Several live areas have that name (their ids are listed), or the new area's
            values are invalid.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
        ...     wkt = "POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))"
        ...     a, new = s.get_or_create_area("Torget", geometry=wkt)
        ...     b, again = s.get_or_create_area(" torget ", geometry=wkt)
        ...     (new, again, a.id == b.id)
        (True, False, True)
        """
        key = str(name).strip().casefold()
        with self.transaction() as conn:
            rows = conn.execute("SELECT id, name FROM areas WHERE deleted_at IS NULL "
                                "ORDER BY created_at").fetchall()
            hits = [r["id"] for r in rows if str(r["name"]).strip().casefold() == key]
            if len(hits) > 1:
                raise ValidationError([("name", f"{len(hits)} areas are called {name!r} "
                                                f"({', '.join(hits)}); give the id instead",
                                        f"{len(hits)} områden heter {name!r}; ange id i stället")])
            if hits:
                return _row_to_area(self._area_row(conn, hits[0])), False
            area = self.add_area(name=name, geometry=geometry, description=description,
                                 created_by=created_by)
            return area, True

    @staticmethod
    def _check_id(value: str | None, problems: list[Problem]) -> str:
        if value is None:
            return str(uuid.uuid4())
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            problems.append(("id", f"{value!r} is not a UUID", f"{value!r} är inte ett UUID"))
            return ""

    @_store_errors("read")
    def get_area(self, area_id: str) -> Area:
        """The area with this id (also when soft-deleted: see ``is_deleted``).

        Raises :class:`NotFoundError` for an unknown id.
        """
        return _row_to_area(self._area_row(self._conn(), area_id))

    @_store_errors("saved")
    def update_area(self, area_id: str, changes: Mapping[str, Any], *, expected_version: int,
                    user: str | None = None) -> Area:
        """Change an area's name, geometry, description or source links.

        ``expected_version`` is the version the change was based on; when the stored
        version differs, :class:`ConflictError` names who saved it and when.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     s.update_area(a.id, {"description": "Kvällstid"}, expected_version=1).version
        2
        """
        user = user or self.user
        with self.transaction() as conn:
            row = self._area_row(conn, area_id)
            current = _row_to_area(row)
            self._check_version("area", current, expected_version)
            if current.is_deleted:
                raise NotFoundError(f"Area {area_id} ({current.name!r}) is deleted; restore it "
                                    "with restore_area() before changing it.")
            merged = {k: getattr(current, k) for k in AREA_FIELDS} | dict(changes)
            values, problems, notes = validate_area(merged)
            if problems:
                raise ValidationError(problems)
            before, after = {}, {}
            for k in AREA_FIELDS:
                old, new = getattr(current, k), values[k]
                same = old.equals_exact(new, 0) if k == "geometry" else old == new
                if not same:
                    before[k], after[k] = old, new
            if not after:
                return dataclasses.replace(current, notes=tuple(notes))
            now = _now()
            v = current.version + 1
            conn.execute(
                "UPDATE areas SET name = ?, description = ?, geometry = ?, source_cells = ?, "
                "source_cluster = ?, version = ?, updated_at = ?, updated_by = ? "
                "WHERE id = ? AND version = ?",
                (values["name"], values["description"], shapely.to_wkb(values["geometry"]),
                 json.dumps(list(values["source_cells"])), values["source_cluster"], v, now,
                 user, current.id, current.version))
            self._audit(conn, "area", current.id, "update", v, user, now, before, after)
            return _row_to_area(self._area_row(conn, current.id), notes)

    def _check_version(self, kind: str, current: Area | Measure, expected: int | None) -> None:
        if expected is None or int(expected) == current.version:
            return
        label = current.name if isinstance(current, Area) else current.title
        exc = ConflictError(
            f"The {kind} {label!r} ({current.id}) was changed by {current.updated_by} at "
            f"{current.updated_at} (now version {current.version}); your change was based on "
            f"version {expected} and was not saved. Reload it and apply your change again.")
        exc.current = current  # type: ignore[attr-defined]
        exc.changed_by = current.updated_by  # type: ignore[attr-defined]
        exc.changed_at = current.updated_at  # type: ignore[attr-defined]
        raise exc

    @_store_errors("saved")
    def delete_area(self, area_id: str, *, expected_version: int | None = None,
                    user: str | None = None, cascade: bool = False) -> Area:
        """Soft-delete an area (it stays in the file and can be restored).

        An area with measures that are not deleted is refused unless ``cascade=True``,
        which soft-deletes those measures too (each recorded in the audit trail).
        """
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_area(self._area_row(conn, area_id))
            self._check_version("area", current, expected_version)
            if current.is_deleted:
                return current
            live = conn.execute("SELECT id, title, version FROM measures WHERE area_id = ? "
                                "AND deleted_at IS NULL ORDER BY created_at", (current.id,)
                                ).fetchall()
            if live and not cascade:
                titles = ", ".join(repr(r["title"]) for r in live[:5])
                raise ValidationError([(
                    "area_id", f"area {current.name!r} still has {len(live)} measure(s) "
                               f"({titles}); delete them first or pass cascade=True",
                    f"området {current.name!r} har {len(live)} åtgärd(er) kvar; ta bort dem "
                    "först")])
            for r in live:
                self.delete_measure(r["id"], user=user)
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE areas SET deleted_at = ?, deleted_by = ?, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (now, user, v, now, user, current.id))
            self._audit(conn, "area", current.id, "delete", v, user, now,
                        {"deleted_at": None}, {"deleted_at": now})
            return _row_to_area(self._area_row(conn, current.id))

    @_store_errors("saved")
    def restore_area(self, area_id: str, *, expected_version: int | None = None,
                     user: str | None = None) -> Area:
        """Undo a soft delete of an area (its measures are restored one by one)."""
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_area(self._area_row(conn, area_id))
            self._check_version("area", current, expected_version)
            if not current.is_deleted:
                return current
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE areas SET deleted_at = NULL, deleted_by = NULL, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (v, now, user, current.id))
            self._audit(conn, "area", current.id, "restore", v, user, now,
                        {"deleted_at": current.deleted_at}, {"deleted_at": None})
            return _row_to_area(self._area_row(conn, current.id))

    @_store_errors("read")
    def list_areas(self, *, include_deleted: bool = False) -> gpd.GeoDataFrame:
        """Areas as a GeoDataFrame (EPSG:4326) indexed by ``id``.

        Columns: ``name``, ``description``, ``source_cells`` (list of hex strings),
        ``source_cluster``, ``n_measures`` (measures not deleted), ``area_km2``,
        ``version``, ``created_at``, ``created_by``, ``updated_at``, ``updated_by``,
        ``deleted_at``, ``deleted_by``, ``geometry``. Sorted by name.
        """
        import geopandas as gpd

        where = "" if include_deleted else "WHERE a.deleted_at IS NULL"
        rows = self._conn().execute(
            "SELECT a.*, (SELECT count(*) FROM measures m WHERE m.area_id = a.id AND "
            f"m.deleted_at IS NULL) AS n_measures FROM areas a {where} "
            "ORDER BY a.name COLLATE NOCASE, a.created_at").fetchall()
        cols = ["name", "description", "source_cells", "source_cluster", "n_measures",
                "area_km2", *META_FIELDS]
        for r in rows:  # a hand-edited or damaged row: a StoreError naming it
            _row_to_area(r)
        geoms = shapely.from_wkb([r["geometry"] for r in rows]) if rows else []
        data: dict[str, Any] = {
            "name": [r["name"] for r in rows],
            "description": [r["description"] for r in rows],
            "source_cells": [json.loads(r["source_cells"]) for r in rows],
            "source_cluster": [r["source_cluster"] for r in rows],
            "n_measures": np.array([r["n_measures"] for r in rows], dtype="int64"),
        }
        gs = gpd.GeoSeries(list(geoms), crs="EPSG:4326")
        data["area_km2"] = (gs.to_crs(3006).area / 1e6).to_numpy() if rows else \
            np.array([], dtype="float64")
        for k in META_FIELDS:
            data[k] = [r[k] for r in rows]
        gdf = gpd.GeoDataFrame(data, columns=cols, geometry=gs.array, crs="EPSG:4326",
                               index=pd.Index([r["id"] for r in rows], name="id", dtype=object))
        gdf["version"] = gdf["version"].astype("int64")
        for k in ("source_cluster", "deleted_at", "deleted_by", "source_cells"):
            gdf[k] = pd.Series(data[k], index=gdf.index, dtype=object)  # None stays None
        for k in ("name", "description", "created_at", "created_by", "updated_at",
                  "updated_by"):
            gdf[k] = pd.Series(data[k], index=gdf.index, dtype="str")
        gdf["area_km2"] = gdf["area_km2"].astype("float64")
        return gdf

    # --------------------------------------------------------------- measures

    def _measure_row(self, conn: sqlite3.Connection, measure_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM measures WHERE id = ?", (str(measure_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"No measure with id {measure_id!r} in store {self.path}; list "
                                "the measures with list_measures(include_deleted=True).")
        return row

    def _check_area_live(self, conn: sqlite3.Connection, area_id: str,
                         problems: list[Problem]) -> None:
        if not area_id:
            return
        row = conn.execute("SELECT name, deleted_at FROM areas WHERE id = ?",
                           (area_id,)).fetchone()
        if row is None:
            problems.append(("area_id", f"no area with id {area_id!r}; add the area first",
                             "området finns inte; lägg till området först"))
        elif row["deleted_at"] is not None:
            problems.append(("area_id", f"area {row['name']!r} is deleted; restore it or choose "
                                        "another area",
                             f"området {row['name']!r} är borttaget; återställ det eller välj "
                             "ett annat område"))

    @_store_errors("saved")
    def add_measure(self, *, area_id: str, title: str, target_categories: Iterable[str] | str,
                    description: str = "", problem: str = "",
                    cause_tags: Iterable[str] | None = None, responsible: str | None = None,
                    partners: Iterable[str] | None = None,
                    start_date: dt.date | str | None = None,
                    end_date: dt.date | str | None = None, status: str = "planerad",
                    indicator: str = "", next_followup: dt.date | str | None = None,
                    cost: float | None = None, agreement: str = "",
                    created_by: str | None = None, id: str | None = None) -> Measure:
        """Add a measure to an area.

        Parameters
        ----------
        area_id
            An area that exists and is not deleted.
        title
            What is done (required).
        target_categories
            At least one canonical id or Swedish label (``"skadegorelse"``,
            ``"Skadegörelse och klotter"``); stored as ids.
        description, problem, cause_tags, responsible, partners, start_date, end_date,
        status, indicator, next_followup, cost, agreement
            See :class:`Measure`; rules in :func:`validate_measure`.
        created_by
            User name (default: the store's user).
        id
            Keep this id (UUID; used by imports); default a new UUID.

        Raises
        ------
        ValidationError
            Every problem at once, ``(field, English, Swedish)``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     m = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"],
        ...                       responsible="Näringsliv", start_date="2024-05-01")
        ...     m.responsible, m.start_date
        ('naringsliv', datetime.date(2024, 5, 1))
        """
        raw = {"area_id": area_id, "title": title, "target_categories": target_categories,
               "description": description, "problem": problem, "cause_tags": cause_tags,
               "responsible": responsible, "partners": partners, "start_date": start_date,
               "end_date": end_date, "status": status, "indicator": indicator,
               "next_followup": next_followup, "cost": cost, "agreement": agreement}
        values, problems = validate_measure(raw)
        new_id = self._check_id(id, problems)
        user = created_by or self.user
        with self.transaction() as conn:
            self._check_area_live(conn, values["area_id"], problems)
            if id is not None and new_id and conn.execute(
                    "SELECT 1 FROM measures WHERE id = ?", (new_id,)).fetchone():
                problems.append(("id", f"a measure with id {new_id} already exists",
                                 f"en åtgärd med id {new_id} finns redan"))
            if problems:
                raise ValidationError(problems)
            now = _now()
            p = _measure_params(values) | {"id": new_id, "version": 1, "created_at": now,
                                           "created_by": user, "updated_at": now,
                                           "updated_by": user}
            cols = ", ".join(p)
            conn.execute(f"INSERT INTO measures ({cols}) VALUES "
                         f"({', '.join(':' + k for k in p)})", p)
            m = _row_to_measure(self._measure_row(conn, new_id))
            self._audit(conn, "measure", new_id, "create", 1, user, now, None,
                        {k: getattr(m, k) for k in MEASURE_FIELDS})
        return m

    @_store_errors("read")
    def get_measure(self, measure_id: str) -> Measure:
        """The measure with this id (also when soft-deleted). Unknown id: NotFoundError."""
        return _row_to_measure(self._measure_row(self._conn(), measure_id))

    @_store_errors("saved")
    def update_measure(self, measure_id: str, changes: Mapping[str, Any], *,
                       expected_version: int, user: str | None = None) -> Measure:
        """Change fields of a measure (keys of ``changes`` are :data:`MEASURE_FIELDS`).

        Optimistic locking: ``expected_version`` is the version the edit was based on;
        a stale save raises :class:`ConflictError` (``.changed_by``, ``.changed_at``,
        ``.current``) and writes nothing. The audit trail records the changed fields
        before and after. Moving a measure to another area is ``{"area_id": ...}``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     m = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"])
        ...     m2 = s.update_measure(m.id, {"status": "pågående"}, expected_version=1, user="bo")
        ...     try:
        ...         s.update_measure(m.id, {"title": "Två väktare"}, expected_version=1)
        ...     except ConflictError as exc:
        ...         print(exc.changed_by, m2.version)
        bo 2
        """
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_measure(self._measure_row(conn, measure_id))
            self._check_version("measure", current, expected_version)
            if current.is_deleted:
                raise NotFoundError(f"Measure {measure_id} ({current.title!r}) is deleted; "
                                    "restore it with restore_measure() before changing it.")
            merged = {k: getattr(current, k) for k in MEASURE_FIELDS} | dict(changes)
            values, problems = validate_measure(merged)
            if values["area_id"] != current.area_id:
                self._check_area_live(conn, values["area_id"], problems)
            if problems:
                raise ValidationError(problems)
            before = {k: getattr(current, k) for k in MEASURE_FIELDS
                      if getattr(current, k) != values[k]}
            after = {k: values[k] for k in before}
            if not after:
                return current
            now = _now()
            v = current.version + 1
            p = _measure_params(values) | {"version": v, "updated_at": now, "updated_by": user,
                                           "id": current.id, "old_version": current.version}
            sets = ", ".join(f"{k} = :{k}" for k in (*MEASURE_FIELDS, "version", "updated_at",
                                                      "updated_by"))
            cur = conn.execute(f"UPDATE measures SET {sets} WHERE id = :id AND "
                               "version = :old_version", p)
            if cur.rowcount != 1:  # pragma: no cover - impossible under BEGIN IMMEDIATE
                raise StoreError(f"Measure {measure_id} changed during the save; try again.")
            self._audit(conn, "measure", current.id, "update", v, user, now, before, after)
            return _row_to_measure(self._measure_row(conn, current.id))

    @_store_errors("saved")
    def _set_deleted(self, measure_id: str, deleted: bool, expected_version: int | None,
                     user: str | None) -> Measure:
        user = user or self.user
        with self.transaction() as conn:
            current = _row_to_measure(self._measure_row(conn, measure_id))
            self._check_version("measure", current, expected_version)
            if current.is_deleted == deleted:
                return current
            if not deleted:
                problems: list[Problem] = []
                self._check_area_live(conn, current.area_id, problems)
                if problems:
                    raise ValidationError(problems)
            now = _now()
            v = current.version + 1
            conn.execute("UPDATE measures SET deleted_at = ?, deleted_by = ?, version = ?, "
                         "updated_at = ?, updated_by = ? WHERE id = ?",
                         (now if deleted else None, user if deleted else None, v, now, user,
                          current.id))
            self._audit(conn, "measure", current.id, "delete" if deleted else "restore", v,
                        user, now, {"deleted_at": current.deleted_at},
                        {"deleted_at": now if deleted else None})
            return _row_to_measure(self._measure_row(conn, current.id))

    def delete_measure(self, measure_id: str, *, expected_version: int | None = None,
                       user: str | None = None) -> Measure:
        """Soft-delete a measure (kept in the file, hidden from lists, restorable)."""
        return self._set_deleted(measure_id, True, expected_version, user)

    def restore_measure(self, measure_id: str, *, expected_version: int | None = None,
                        user: str | None = None) -> Measure:
        """Undo a soft delete (refused while its area is deleted: restore the area first)."""
        return self._set_deleted(measure_id, False, expected_version, user)

    @_store_errors("read")
    def list_measures(self, *, include_deleted: bool = False, status: str | None = None,
                      area_id: str | None = None) -> pd.DataFrame:
        """Measures as a DataFrame indexed by ``id``.

        Columns: the :class:`Measure` fields (lists for ``target_categories``,
        ``cause_tags``, ``partners``; ``start_date``, ``end_date``, ``next_followup``
        as ``datetime64`` dates, NaT when unset) plus ``area_name``. Sorted by status
        (plan order), start date, title.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite") as s:
        ...     a = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     _ = s.add_measure(area_id=a.id, title="Väktare", target_categories=["stold"])
        ...     s.list_measures()[["title", "area_name", "status"]].to_numpy().tolist()
        [['Väktare', 'A', 'planerad']]
        """
        sql = ("SELECT m.*, a.name AS area_name FROM measures m JOIN areas a ON a.id = m.area_id")
        where: list[str] = []
        params: list[Any] = []
        if not include_deleted:
            where.append("m.deleted_at IS NULL")
        if status is not None:
            st = parse_status(status)
            if st is None:
                raise ValidationError([("status", f"unknown status {status!r}; use one of "
                                                  f"{', '.join(STATUSES)}",
                                        f"okänd status {status!r}")])
            where.append("m.status = ?")
            params.append(st)
        if area_id is not None:
            where.append("m.area_id = ?")
            params.append(str(area_id))
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql, params).fetchall()
        return _measures_frame(rows)

    @_store_errors("read")
    def history(self, measure_id: str | None = None, *, entity: str = "measure"
                ) -> pd.DataFrame:
        """The audit trail of one measure (or area with ``entity="area"``), oldest first.

        With ``measure_id=None``: the whole trail of that entity type.

        Columns: ``seq``, ``entity``, ``entity_id``, ``action`` (create, update, delete,
        restore), ``version`` (after the change), ``user``, ``at`` (UTC ISO),
        ``fields`` (changed field names), ``before`` and ``after`` (dicts of those
        fields; ``after`` holds the full record on create).

        Raises :class:`NotFoundError` when the id was never in the store.
        """
        conn = self._conn()
        if entity not in ("measure", "area"):
            raise ValidationError([("entity", f"must be 'measure' or 'area', got {entity!r}",
                                    "måste vara 'measure' eller 'area'")])
        if measure_id is None:
            rows = conn.execute("SELECT * FROM audit WHERE entity = ? ORDER BY seq",
                                (entity,)).fetchall()
        else:
            if entity == "measure":
                self._measure_row(conn, measure_id)
            else:
                self._area_row(conn, measure_id)
            rows = conn.execute("SELECT * FROM audit WHERE entity = ? AND entity_id = ? "
                                "ORDER BY seq", (entity, str(measure_id))).fetchall()
        def decoded(r: sqlite3.Row, key: str) -> dict[str, Any]:
            try:
                value = json.loads(r[key]) if r[key] else {}
            except (ValueError, TypeError) as exc:
                raise _InvalidRow("audit", r["seq"], f"{key} is not JSON ({exc})") from None
            if not isinstance(value, dict):
                raise _InvalidRow("audit", r["seq"], f"{key} is not a JSON object")
            return value

        before = [decoded(r, "before") for r in rows]
        after = [decoded(r, "after") for r in rows]
        return pd.DataFrame({
            "seq": np.array([r["seq"] for r in rows], dtype="int64"),
            "entity": [r["entity"] for r in rows],
            "entity_id": [r["entity_id"] for r in rows],
            "action": [r["action"] for r in rows],
            "version": np.array([r["version"] for r in rows], dtype="int64"),
            "user": [r["user"] for r in rows],
            "at": [r["at"] for r in rows],
            "fields": [sorted(set(b) | set(a)) for b, a in zip(before, after, strict=True)],
            "before": before,
            "after": after,
        })

    # ------------------------------------------------------- export / import

    @_store_errors("read")
    def to_geodataframe(self, *, kind: str = "measures", include_deleted: bool = False
                        ) -> gpd.GeoDataFrame:
        """Areas and measures as one flat, export-ready GeoDataFrame (EPSG:4326).

        ``kind="measures"`` (default): one row per measure, geometry = its area's
        polygon, columns ``measure_id``, ``area_id``, ``area_name`` and the measure
        fields, lists joined with ``", "``, dates as ISO strings. Areas without
        measures are not included.

        ``kind="areas"``: one row per area with ``area_id``, ``name``,
        ``description``, ``n_measures``, ``measure_ids`` / ``measure_titles`` /
        ``target_categories`` (``", "``-joined; ``"; "`` for titles) and audit fields.

        See ``docs/measures.md`` for the property names (stable, for GIS users).
        """
        return to_geodataframe(self, kind=kind, include_deleted=include_deleted)

    @_store_errors("exported")
    def export_geojson(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                       ) -> Path:
        """Write the areas, each with its measures as a ``measures`` property list, to an
        RFC 7946 GeoJSON FeatureCollection (WGS84). Re-importable with
        :meth:`import_areas` (measures included)."""
        return export_geojson(self, path, include_deleted=include_deleted)

    @_store_errors("exported")
    def export_gpkg(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                    ) -> Path:
        """Write layers ``areas`` and ``measures`` (area polygon per measure) to a
        GeoPackage. Re-importable with :meth:`import_areas` (measures included)."""
        return export_gpkg(self, path, include_deleted=include_deleted)

    @_store_errors("imported")
    def import_areas(self, path: str | os.PathLike[str], *, name_column: str | None = None,
                     layer: str | None = None, user: str | None = None) -> list[Area]:
        """Import areas (e.g. drawn by the police) from GeoJSON, GeoPackage or any file
        geopandas reads; reprojected to WGS84. All or nothing: one invalid feature
        refuses the file with every problem listed. Files written by
        :meth:`export_geojson`/:meth:`export_gpkg` bring their measures and ids along
        (ids already in the store get new ones)."""
        return import_areas(self, path, name_column=name_column, layer=layer, user=user)

    @_store_errors("exported")
    def export_plan_excel(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                          ) -> Path:
        """The åtgärdsplan as Excel: sheet ``Åtgärdsplan`` (all measures sorted by status,
        start date, area) and one sheet per status; Swedish headers, real dates."""
        return export_plan_excel(self, path, include_deleted=include_deleted)

    @_store_errors("exported")
    def export_plan_csv(self, path: str | os.PathLike[str], *, include_deleted: bool = False
                        ) -> Path:
        """The åtgärdsplan as CSV for Swedish Excel: UTF-8 with BOM, ``;`` separator,
        ISO dates, the same columns as the Excel sheet."""
        return export_plan_csv(self, path, include_deleted=include_deleted)

    @_store_errors("read")
    def plan_table(self, *, include_deleted: bool = False) -> pd.DataFrame:
        """The åtgärdsplan as a DataFrame with Swedish column names (what the Excel and
        CSV exports write)."""
        return plan_table(self, include_deleted=include_deleted)

    # --------------------------------------------------------------- backup

    @_store_errors("backed up")
    def backup(self, dest: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """A consistent copy of the store, made with SQLite's online backup API while
        others keep reading and writing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> with MeasureStore(tmp / "s.sqlite") as s:
        ...     s.backup(tmp / "copy.sqlite").name
        'copy.sqlite'
        """
        dest = Path(dest).expanduser()
        if dest.resolve() == self.path.resolve():
            raise StoreError(f"Backup target {dest} is the store itself; choose another file.")
        if dest.exists() and not overwrite:
            raise StoreError(f"Backup target {dest} exists; choose a new name or pass "
                             "overwrite=True.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(tmp)
        try:
            self._conn().backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(tmp, dest)
        return dest


_LIST_FIELDS = ("target_categories", "cause_tags", "partners")
_DATE_FIELDS = ("start_date", "end_date", "next_followup")


def _measures_frame(rows: Sequence[sqlite3.Row]) -> pd.DataFrame:
    ms = [_row_to_measure(r) for r in rows]
    index = pd.Index([m.id for m in ms], name="id", dtype="str")
    cols = ["area_id", "area_name", *[f for f in MEASURE_FIELDS if f != "area_id"], *META_FIELDS]
    data: dict[str, pd.Series] = {}
    for c in cols:
        if c == "area_name":
            vals: list[Any] = [r["area_name"] for r in rows]
        else:
            vals = [getattr(m, c) for m in ms]
        if c in _LIST_FIELDS:
            data[c] = pd.Series([list(v) for v in vals], index=index, dtype=object)
        elif c in _DATE_FIELDS:
            data[c] = pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in vals],
                                index=index, dtype="datetime64[ns]")
        elif c == "cost":
            data[c] = pd.Series([np.nan if v is None else v for v in vals], index=index,
                                dtype="float64")
        elif c == "version":
            data[c] = pd.Series(vals, index=index, dtype="int64")
        elif c in ("responsible", "deleted_at", "deleted_by"):  # None stays None
            data[c] = pd.Series(vals, index=index, dtype=object)
        else:
            data[c] = pd.Series(vals, index=index, dtype="str")
    df = pd.DataFrame(data, columns=cols, index=index)
    order = {s: i for i, s in enumerate(STATUSES)}
    key = pd.DataFrame({"s": df["status"].map(order), "d": df["start_date"],
                        "t": df["title"].str.lower()}, index=df.index)
    return df.loc[key.sort_values(["s", "d", "t"], na_position="last").index]


def restore_backup(backup: str | os.PathLike[str], path: str | os.PathLike[str] | None = None,
                   *, keep_current: bool = True) -> Path:
    """Replace a store's content with a backup, safely while the app is running.

    The backup is checked first (``PRAGMA integrity_check``, a measure store, a schema
    version this library reads). The current content is kept beside the store as
    ``<name>.before-restore-<UTC time>.sqlite`` (``keep_current=True``), then the backup
    is copied in with SQLite's backup API inside the store's own locking, so readers
    see either the old or the new content, never a mix. Older schema versions are
    migrated on the next open.

    Returns the path of the safety copy (or of the store when ``keep_current=False``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "s.sqlite") as s:
    ...     _ = s.backup(tmp / "b.sqlite")
    >>> restore_backup(tmp / "b.sqlite", tmp / "s.sqlite").name.startswith("s.before-restore-")
    True
    """
    src_path = Path(backup).expanduser()
    dest_path = Path(path).expanduser() if path is not None else default_store_path()
    try:
        return _restore_backup(src_path, dest_path, keep_current=keep_current)
    except sqlite3.Error as exc:
        raise _store_error(dest_path, exc, "restored") from None


def _restore_backup(src_path: Path, dest_path: Path, *, keep_current: bool) -> Path:
    if not src_path.is_file():
        raise StoreError(f"Backup {src_path} does not exist; give the file written by "
                         "'lagesbild measures backup'.")
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
    try:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
            version = src.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{src_path} is not an SQLite file ({exc}); nothing restored."
                             ) from None
        if ok != "ok":
            raise StoreError(f"Backup {src_path} is damaged (integrity_check: {ok}); nothing "
                             "restored.")
        if not {"areas", "measures", "audit"} <= tables or version < 1:
            raise StoreError(f"{src_path} is not a measure store; nothing restored.")
        if version > SCHEMA_VERSION:
            raise StoreError(f"Backup {src_path} has schema version {version}, newer than this "
                             "library reads; upgrade lagesbild_geo.")
        result = dest_path
        if dest_path.exists() and keep_current:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            result = dest_path.with_name(
                f"{dest_path.stem}.before-restore-{stamp}{dest_path.suffix}")
            with MeasureStore(dest_path) as current:
                current.backup(result)
        dest_path.parent.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(dest_path, timeout=_BUSY_TIMEOUT_MS / 1000)
        try:
            dest.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()
    return result


if TYPE_CHECKING:  # mypy checks that the store offers everything the protocol promises
    _satisfies_protocol: type[MeasureStoreProtocol] = MeasureStore
