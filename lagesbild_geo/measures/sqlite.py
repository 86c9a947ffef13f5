"""The SQLite backend of the measure store: one file, no server.

WAL journal (readers never block writers), ``foreign_keys=ON``, ``synchronous=FULL``
(a committed change survives a crash or power cut), a 60 s busy timeout, every write
one ``BEGIN IMMEDIATE`` transaction (writers take turns, so a read inside it cannot
go stale), the schema version in ``PRAGMA user_version`` with migrations on open
after a safety copy, and every SQLite failure mapped to a :class:`StoreError` that
says what to do (read-only file or folder, disk full, damage → the newest backup).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely

from ..errors import StoreError
from .backend import (
    AREA_COLUMNS,
    AUDIT_COLUMNS,
    LIST_COLUMNS,
    MEASURE_COLUMNS,
    Backend,
    InvalidRow,
    json_text,
)
from .model import json_value
from .schema import INDEXES_AND_TRIGGERS, MIGRATIONS, SCHEMA_VERSION, create_schema

__all__ = ["SQLiteBackend", "is_sqlite_file", "newest_backup", "restore_sqlite_file",
           "sqlite_store_error"]

_BUSY_TIMEOUT_MS = 60_000
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a file that starts like an SQLite database."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


_BACKUP_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".bak", ".backup")


def newest_backup(path: str | os.PathLike[str]) -> Path | None:
    """The newest file beside a store (or in its ``backups/`` folder) that looks like a
    backup of it: an SQLite file named after the store or with "backup" in its name
    (what ``lagesbild measures backup``, migrations and restores write there).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> from lagesbild_geo.measures import MeasureStore
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


def sqlite_store_error(path: Path, exc: BaseException, action: str) -> StoreError:
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




def invalid_row_error(path: Path, exc: InvalidRow) -> StoreError:
    """The message for a hand-edited or damaged row of the file."""
    return StoreError(
        f"The measure store {path}: {exc} — the file was edited by hand or is damaged. Nothing "
        "was changed. Correct the value (e.g. in DB Browser for SQLite), or "
        + _restore_hint(path, lead="restore"))


class SQLiteBackend(Backend):
    """The measure store in one SQLite file (see the module docstring)."""

    kind = "sqlite"
    driver_errors = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path

    # ------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise sqlite_store_error(self.path, exc, "opened") from None
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(exc) from None
        return conn

    def _close_connection(self, conn: Any) -> None:
        conn.close()

    def _open_error(self, exc: sqlite3.Error) -> StoreError:
        """An error while opening: not an SQLite file at all, or the store's own trouble."""
        code = str(getattr(exc, "sqlite_errorname", "") or "")
        if code.startswith("SQLITE_NOTADB") or "not a database" in str(exc).lower():
            try:
                with self.path.open("rb") as fh:
                    sqlite_file = fh.read(16) == _SQLITE_MAGIC
            except OSError:
                sqlite_file = True
            if not sqlite_file:
                return StoreError(
                    f"{self.path} is not a measure store (not an SQLite file at all); nothing was "
                    "changed. Check the path given with --store / LAGESBILD_STORE.")
        return sqlite_store_error(self.path, exc, "opened")

    def _begin(self, conn: Any) -> None:
        # busy_timeout covers BEGIN IMMEDIATE; the loop only guards against the rare
        # SQLITE_BUSY returned without waiting (e.g. during WAL recovery).
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise sqlite_store_error(self.path, exc, "saved") from None
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"Store {self.path} stayed locked by another writer for more than "
                        f"{_BUSY_TIMEOUT_MS // 1000} s; try again.") from None
                time.sleep(0.05)

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        conn.execute("ROLLBACK")

    def store_error(self, exc: BaseException, action: str) -> StoreError:
        return sqlite_store_error(self.path, exc, action)

    def invalid_row_error(self, exc: InvalidRow) -> StoreError:
        return invalid_row_error(self.path, exc)

    # ------------------------------------------------------------------ schema

    def open(self) -> None:
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"Store path {self.path} is a folder; give a file name such as "
                             f"{self.path / 'atgarder.sqlite'}.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for store {self.path}: {exc}.") from None
        conn = self.conn()
        self._wal(conn)
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

    def _wal(self, conn: sqlite3.Connection) -> None:
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

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"areas", "measures", "audit"} - have)
        if missing:
            raise StoreError(
                f"The measure store {self.path} lacks the table(s) {', '.join(missing)}: the file "
                "was edited by hand or is damaged. Nothing was changed. "
                + _restore_hint(self.path))

    def _migrate(self, version: int) -> None:
        conn = self.conn()
        safety = self.path.with_name(f"{self.path.stem}.v{version}-backup{self.path.suffix}")
        if not safety.exists():
            self.file_backup(safety)
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

    def schema_version(self) -> int:
        return int(self.conn().execute("PRAGMA user_version").fetchone()[0])

    # -------------------------------------------------------------------- SQL

    def param(self, name: str) -> str:
        return f":{name}"

    def table(self, name: str) -> str:
        return name

    def encode(self, table: str, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in record.items():
            if k == "geometry":
                out[k] = shapely.to_wkb(v)
            elif k in LIST_COLUMNS:
                out[k] = json.dumps(list(v), ensure_ascii=False)
            elif k in ("before", "after"):
                out[k] = json_text(v)
            else:
                out[k] = json_value(v) if isinstance(v, dt.date) else v
        return out

    def lock_area_names(self, conn: Any) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already lets one writer in at a time."""

    def replace_content(self, conn: Any, areas: Sequence[Mapping[str, Any]],
                        measures: Sequence[Mapping[str, Any]],
                        audit: Sequence[Mapping[str, Any]]) -> None:
        # the append-only triggers are dropped and made again inside this transaction
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        for table in ("audit", "measures", "areas"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'audit'")
        for stmt in INDEXES_AND_TRIGGERS:
            if stmt.startswith("CREATE TRIGGER"):
                conn.execute(stmt)
        for r in areas:
            self.insert_row(conn, "areas", {k: r[k] for k in AREA_COLUMNS})
        for r in measures:
            self.insert_row(conn, "measures", {k: r[k] for k in MEASURE_COLUMNS})
        for r in audit:
            self.insert_row(conn, "audit", {k: r[k] for k in AUDIT_COLUMNS})

    def file_backup(self, dest: Path) -> Path:
        """A consistent copy made with SQLite's online backup API while others keep
        reading and writing (written beside ``dest`` first, then moved into place)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(tmp)
        try:
            self.conn().backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(tmp, dest)
        return dest


def restore_sqlite_file(src_path: Path, dest_path: Path, *, keep_current: bool) -> Path:
    """Replace the store file ``dest_path`` with the SQLite backup ``src_path`` (checked
    first), keeping the current content beside it; the path of that copy (or of the
    store). See :func:`lagesbild_geo.measures.restore_backup`."""
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
            current = SQLiteBackend(dest_path)
            try:
                current.open()
                current.file_backup(result)
            finally:
                current.close()
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

