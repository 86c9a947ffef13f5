"""The areas-and-measures store: the same API on an SQLite file or a PostgreSQL server.

:class:`MeasureStore` keeps :class:`~lagesbild_geo.measures.model.Area` and
:class:`~lagesbild_geo.measures.model.Measure` records, either in one SQLite file
(stdlib :mod:`sqlite3`, no server: the embedded default for one coordinator) or on a
PostgreSQL/PostGIS server shared by several users and kommuner
(``MeasureStore("postgresql://...", kommun="0180")``). The rules live here and are
the same on both: validation, versions with optimistic locking (a stale save raises
:class:`ConflictError` naming who saved first and when), the append-only audit
trail, soft delete with restore, get-or-create of areas by name in one transaction,
and every database failure mapped to a :class:`StoreError` that says what to do. What
differs between the databases lives in :mod:`lagesbild_geo.measures.backend`,
:mod:`~lagesbild_geo.measures.sqlite` and :mod:`~lagesbild_geo.measures.postgres`.
See ``docs/measures.md`` and ``docs/server.md``.

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
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from ..crs import wgs84_crs
from ..errors import ConflictError, NotFoundError, StoreError, ValidationError
from .backend import (
    Backend,
    InvalidRow,
    ascii_nocase,
    decode_area,
    decode_audit,
    decode_measure,
    now_text,
)
from .io import (
    export_geojson,
    export_gpkg,
    export_plan_csv,
    export_plan_excel,
    import_areas,
    is_store_export,
    plan_table,
    read_store_export,
    store_export,
    to_geodataframe,
    write_store_export,
)
from .model import (
    AREA_FIELDS,
    DATE_FIELDS,
    DRAWN_ON_FIELDS,
    LIST_FIELDS,
    MEASURE_FIELDS,
    META_FIELDS,
    STATUSES,
    Area,
    Measure,
    MeasureStoreProtocol,
    Problem,
    StoreExport,
    json_value,
    parse_kommun,
    parse_status,
    validate_area,
    validate_measure,
)
from .postgres import PostgresBackend, is_postgres_url
from .sqlite import SQLiteBackend, is_sqlite_file, newest_backup, restore_sqlite_file

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_STORE_ENV",
    "KOMMUN_ENV",
    "MeasureStore",
    "default_store",
    "default_store_path",
    "newest_backup",
    "restore_backup",
]

#: Environment variable that names the default store (a file path or a postgresql:// URL).
DEFAULT_STORE_ENV = "LAGESBILD_STORE"
#: Environment variable that names the kommun of a server store (4-digit code or name).
KOMMUN_ENV = "LAGESBILD_KOMMUN"
_RETRIES = 6  # a deadlock on the server: the whole call is tried again this many times


def default_store() -> str | Path:
    """The store used when none is given: ``$LAGESBILD_STORE`` (a file path or a
    ``postgresql://`` URL), else ``./lagesbild_data/atgarder.sqlite`` under the current
    working directory (the project folder when the app is started there).

    Examples
    --------
    >>> str(default_store()).endswith("atgarder.sqlite")
    True
    """
    env = os.environ.get(DEFAULT_STORE_ENV, "").strip()
    if is_postgres_url(env):
        return env
    return default_store_path()


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
    if env and is_postgres_url(env.strip()):
        raise StoreError(f"${DEFAULT_STORE_ENV} names a server store ({env.split('@')[-1]}), "
                         "not a file; use default_store() for either.")
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


_F = TypeVar("_F", bound=Callable[..., Any])


def _store_errors(action: str) -> Callable[[_F], _F]:
    """Map every database failure of a store method to a :class:`StoreError` saying what
    to do; a deadlock on the server (outside a caller's transaction) is tried again."""

    def deco(fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(self: MeasureStore, *args: Any, **kwargs: Any) -> Any:
            backend = self._backend
            for attempt in range(_RETRIES + 1):
                try:
                    return fn(self, *args, **kwargs)
                except InvalidRow as exc:
                    raise backend.invalid_row_error(exc) from None
                except backend.driver_errors as exc:
                    if (attempt < _RETRIES and backend.is_retryable(exc)
                            and not backend.in_transaction()):
                        time.sleep(0.01 * 2 ** attempt)
                        continue
                    raise backend.store_error(exc, action) from None
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper  # type: ignore[return-value]

    return deco


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {k: json_value(v) for k, v in values.items()}


class MeasureStore:
    """The areas-and-measures store, safe for many users at once: an SQLite file or a
    PostgreSQL/PostGIS server.

    Parameters
    ----------
    path
        Where the store is: a file (created, with parent folders, when missing), or a
        ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` URL of a server set up
        with ``lagesbild measures server-init`` (docs/server.md). Default:
        :func:`default_store` (``$LAGESBILD_STORE`` or ``./lagesbild_data/atgarder.sqlite``).
    kommun
        The kommun whose areas and measures to open (4-digit code such as ``"0180"``, or
        its name); default ``$LAGESBILD_KOMMUN``. Required on a server, where every read
        and write is limited to that kommun by the database itself (row-level security);
        an SQLite file is one kommun's own store and only checks the code's form.
    user
        Name recorded in the audit trail for changes made through this object
        (default ``$LAGESBILD_USER`` or the login name). Every write method also
        takes ``user=`` for apps that serve several people (the signed-in user).

    Notes
    -----
    *Connections.* Connections must not be shared between threads while in use, so
    the store opens one connection per thread (and per process, after a fork) on first
    use and reuses it; connections of threads that have ended are closed when the next
    one is opened. A ``MeasureStore`` object may therefore be shared by Streamlit's
    script threads (e.g. via ``st.cache_resource``).

    *SQLite.* Each write runs in its own ``BEGIN IMMEDIATE`` transaction; readers are
    never blocked (WAL), writers wait for each other up to a 60 s busy timeout.
    ``synchronous=FULL``: a committed change survives a crash or power cut.

    *PostgreSQL.* ``READ COMMITTED`` transactions with the changed row locked; a
    deadlock is retried; a client killed mid-transaction leaves nothing behind.

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
                 kommun: str | int | None = None, user: str | None = None) -> None:
        location = default_store() if path is None else path
        self.user = user or _default_user()
        #: The kommun (4-digit code) the store is scoped to, or ``None``.
        self.kommun = parse_kommun(os.environ.get(KOMMUN_ENV) if kommun is None else kommun)
        self._backend: Backend
        if is_postgres_url(location):
            #: The store file (``None`` for a server store: see :attr:`location`).
            self.path: Path | None = None
            self._backend = PostgresBackend(str(location).strip(), kommun=self.kommun)
        else:
            self.path = Path(location).expanduser()
            self._backend = SQLiteBackend(self.path)
        try:
            self._backend.open()
        except InvalidRow as exc:
            self.close()
            raise self._backend.invalid_row_error(exc) from None
        except self._backend.driver_errors as exc:
            self.close()
            raise self._backend.store_error(exc, "opened") from None
        except BaseException:
            self.close()
            raise

    @property
    def location(self) -> str:
        """Where the store is: the file's path, or the server's URL without the password."""
        return self._backend.location

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._backend.kind

    def _conn(self) -> Any:
        """This thread's database connection (for tests and maintenance)."""
        return self._backend.conn()

    def close(self) -> None:
        """Close every connection this object opened (in any thread)."""
        self._backend.close()

    def __enter__(self) -> MeasureStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        scope = f", kommun={self.kommun!r}" if self.kommun else ""
        return f"MeasureStore({self.location!r}{scope}, user={self.user!r})"

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """One write transaction around several calls (``BEGIN IMMEDIATE`` on SQLite).

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
        return self._backend.transaction()

    @property
    def schema_version(self) -> int:
        """The schema version of the open store (``PRAGMA user_version`` on SQLite)."""
        return self._backend.schema_version()

    # ------------------------------------------------------------------ audit

    def _audit(self, conn: Any, entity: str, entity_id: str, action: str, version: int,
               user: str, at: str, before: Mapping[str, Any] | None,
               after: Mapping[str, Any] | None) -> None:
        self._backend.insert_audit(conn, {
            "entity": entity, "entity_id": entity_id, "action": action, "version": version,
            "user": user, "at": at, "before": _jsonable(before), "after": _jsonable(after)})

    # ------------------------------------------------------------------ areas

    def _area(self, conn: Any, area_id: str, notes: Sequence[tuple[str, str]] = (), *,
              lock: bool = False) -> Area:
        row = self._backend.get_row(conn, "areas", str(area_id), lock=lock)
        if row is None:
            raise NotFoundError(f"No area with id {area_id!r} in store {self.location}; list "
                                "the areas with list_areas(include_deleted=True).")
        return decode_area(row, notes)

    @_store_errors("saved")
    def add_area(self, *, name: str, geometry: object, description: str = "",
                 created_by: str | None = None, source_cells: Iterable[int | str] | None = None,
                 source_cluster: str | None = None, drawn_kommun: str | None = None,
                 drawn_dataset: str | None = None, drawn_dataset_label: str | None = None,
                 id: str | None = None) -> Area:
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
        drawn_kommun, drawn_dataset, drawn_dataset_label
            The kommun (code or name) and the data set (identity and label) it was
            drawn on; :meth:`DataSet.area_fields() <lagesbild_geo.measures.DataSet.area_fields>`
            gives all three for the data on screen.
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
             "source_cells": source_cells, "source_cluster": source_cluster,
             "drawn_kommun": drawn_kommun, "drawn_dataset": drawn_dataset,
             "drawn_dataset_label": drawn_dataset_label})
        new_id = self._check_id(id, problems)
        if problems:
            raise ValidationError(problems)
        user = created_by or self.user
        now = now_text()
        with self.transaction() as conn:
            if id is not None and self._backend.get_row(conn, "areas", new_id) is not None:
                raise ValidationError([("id", f"an area with id {new_id} already exists",
                                        f"ett område med id {new_id} finns redan")])
            self._backend.insert_row(conn, "areas", values | {
                "id": new_id, "version": 1, "created_at": now, "created_by": user,
                "updated_at": now, "updated_by": user, "deleted_at": None, "deleted_by": None})
            area = self._area(conn, new_id, notes)
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
            self._backend.lock_area_names(conn)
            rows = self._backend.live_area_names(conn)
            hits = [r["id"] for r in rows if str(r["name"]).strip().casefold() == key]
            if len(hits) > 1:
                raise ValidationError([("name", f"{len(hits)} areas are called {name!r} "
                                                f"({', '.join(hits)}); give the id instead",
                                        f"{len(hits)} områden heter {name!r}; ange id i stället")])
            if hits:
                return self._area(conn, hits[0]), False
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
        return self._area(self._backend.conn(), area_id)

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
            current = self._area(conn, area_id, lock=True)
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
            self._save_version(conn, current, "update", user, now_text(), values, before,
                               after)
            return self._area(conn, current.id, notes)

    def _save_version(self, conn: Any, current: Area | Measure, action: str, user: str,
                      now: str, changes: Mapping[str, Any], before: Mapping[str, Any],
                      after: Mapping[str, Any]) -> None:
        """Write ``changes`` as the next version of ``current`` (saved by ``user`` at
        ``now``) and record it in the audit trail, in the caller's transaction."""
        kind, table = ("area", "areas") if isinstance(current, Area) else ("measure", "measures")
        v = current.version + 1
        if self._backend.update_row(conn, table, current.id, {
                **changes, "version": v, "updated_at": now, "updated_by": user},
                version=current.version) != 1:  # pragma: no cover
            raise StoreError(f"{current.id} changed during the save (the row lock failed); "
                             "try again.")
        self._audit(conn, kind, current.id, action, v, user, now, before, after)

    def _save_deleted(self, conn: Any, current: Area | Measure, deleted: bool,
                      user: str) -> None:
        """Soft-delete (``deleted``) or restore ``current`` as its next version."""
        now = now_text()
        at = now if deleted else None
        self._save_version(conn, current, "delete" if deleted else "restore", user, now,
                           {"deleted_at": at, "deleted_by": user if deleted else None},
                           {"deleted_at": current.deleted_at}, {"deleted_at": at})

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
        """Soft-delete an area (it stays in the store and can be restored).

        An area with measures that are not deleted is refused unless ``cascade=True``,
        which soft-deletes those measures too (each recorded in the audit trail).
        """
        user = user or self.user
        with self.transaction() as conn:
            current = self._area(conn, area_id, lock=True)
            self._check_version("area", current, expected_version)
            if current.is_deleted:
                return current
            live = self._backend.live_measures(conn, current.id)
            if live and not cascade:
                titles = ", ".join(repr(r["title"]) for r in live[:5])
                raise ValidationError([(
                    "area_id", f"area {current.name!r} still has {len(live)} measure(s) "
                               f"({titles}); delete them first or pass cascade=True",
                    f"området {current.name!r} har {len(live)} åtgärd(er) kvar; ta bort dem "
                    "först")])
            for r in live:
                self.delete_measure(r["id"], user=user)
            self._save_deleted(conn, current, True, user)
            return self._area(conn, current.id)

    @_store_errors("saved")
    def restore_area(self, area_id: str, *, expected_version: int | None = None,
                     user: str | None = None) -> Area:
        """Undo a soft delete of an area (its measures are restored one by one)."""
        user = user or self.user
        with self.transaction() as conn:
            current = self._area(conn, area_id, lock=True)
            self._check_version("area", current, expected_version)
            if not current.is_deleted:
                return current
            self._save_deleted(conn, current, False, user)
            return self._area(conn, current.id)

    @_store_errors("read")
    def list_areas(self, *, include_deleted: bool = False) -> gpd.GeoDataFrame:
        """Areas as a GeoDataFrame (EPSG:4326) indexed by ``id``.

        Columns: ``name``, ``description``, ``source_cells`` (list of hex strings),
        ``source_cluster``, ``drawn_kommun``, ``drawn_dataset``, ``drawn_dataset_label``
        (the data it was drawn on, ``None`` when unknown), ``n_measures`` (measures not
        deleted), ``area_km2``,
        ``version``, ``created_at``, ``created_by``, ``updated_at``, ``updated_by``,
        ``deleted_at``, ``deleted_by``, ``geometry``. Sorted by name.
        """
        import geopandas as gpd

        rows = self._backend.area_rows(self._backend.conn(), include_deleted=include_deleted)
        pairs = sorted(((decode_area(r), int(r["n_measures"])) for r in rows),
                       key=lambda p: (ascii_nocase(p[0].name), p[0].created_at))
        areas = [a for a, _ in pairs]
        cols = ["name", "description", "source_cells", "source_cluster", *DRAWN_ON_FIELDS,
                "n_measures", "area_km2", *META_FIELDS]
        index = pd.Index([a.id for a in areas], name="id", dtype=object)
        gs = gpd.GeoSeries([a.geometry for a in areas], crs=wgs84_crs(), index=index)
        data: dict[str, Any] = {
            "name": pd.Series([a.name for a in areas], index=index, dtype="str"),
            "description": pd.Series([a.description for a in areas], index=index, dtype="str"),
            "source_cells": pd.Series([list(a.source_cells) for a in areas], index=index,
                                      dtype=object),
            "source_cluster": pd.Series([a.source_cluster for a in areas], index=index,
                                        dtype=object),
            **{k: pd.Series([getattr(a, k) for a in areas], index=index, dtype=object)
               for k in DRAWN_ON_FIELDS},
            "n_measures": pd.Series([n for _, n in pairs], index=index, dtype="int64"),
            "area_km2": pd.Series((gs.to_crs(3006).area / 1e6).to_numpy() if areas else
                                  np.array([], dtype="float64"), index=index, dtype="float64"),
        }
        for k in META_FIELDS:
            vals = [getattr(a, k) for a in areas]
            dtype = ("int64" if k == "version" else
                     object if k in ("deleted_at", "deleted_by") else "str")  # None stays None
            data[k] = pd.Series(vals, index=index, dtype=dtype)
        # the geometry carries the CRS (a crs= here would compare two CRSs: milliseconds)
        return gpd.GeoDataFrame(data, columns=cols, geometry=gs.array, index=index)

    # --------------------------------------------------------------- measures

    def _measure(self, conn: Any, measure_id: str, *, lock: bool = False) -> Measure:
        row = self._backend.get_row(conn, "measures", str(measure_id), lock=lock)
        if row is None:
            raise NotFoundError(f"No measure with id {measure_id!r} in store {self.location}; "
                                "list the measures with list_measures(include_deleted=True).")
        return decode_measure(row)

    def _check_area_live(self, conn: Any, area_id: str, problems: list[Problem]) -> None:
        if not area_id:
            return
        row = self._backend.area_state(conn, area_id)
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
            if id is not None and new_id and self._backend.get_row(
                    conn, "measures", new_id) is not None:
                problems.append(("id", f"a measure with id {new_id} already exists",
                                 f"en åtgärd med id {new_id} finns redan"))
            if problems:
                raise ValidationError(problems)
            now = now_text()
            self._backend.insert_row(conn, "measures", values | {
                "id": new_id, "version": 1, "created_at": now, "created_by": user,
                "updated_at": now, "updated_by": user, "deleted_at": None, "deleted_by": None})
            m = self._measure(conn, new_id)
            self._audit(conn, "measure", new_id, "create", 1, user, now, None,
                        {k: getattr(m, k) for k in MEASURE_FIELDS})
        return m

    @_store_errors("read")
    def get_measure(self, measure_id: str) -> Measure:
        """The measure with this id (also when soft-deleted). Unknown id: NotFoundError."""
        return self._measure(self._backend.conn(), measure_id)

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
            current = self._measure(conn, measure_id, lock=True)
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
            self._save_version(conn, current, "update", user, now_text(), values, before,
                               after)
            return self._measure(conn, current.id)

    @_store_errors("saved")
    def _set_deleted(self, measure_id: str, deleted: bool, expected_version: int | None,
                     user: str | None) -> Measure:
        user = user or self.user
        with self.transaction() as conn:
            current = self._measure(conn, measure_id, lock=True)
            self._check_version("measure", current, expected_version)
            if current.is_deleted == deleted:
                return current
            if not deleted:
                problems: list[Problem] = []
                self._check_area_live(conn, current.area_id, problems)
                if problems:
                    raise ValidationError(problems)
            self._save_deleted(conn, current, deleted, user)
            return self._measure(conn, current.id)

    def delete_measure(self, measure_id: str, *, expected_version: int | None = None,
                       user: str | None = None) -> Measure:
        """Soft-delete a measure (kept in the store, hidden from lists, restorable)."""
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
        st = None
        if status is not None:
            st = parse_status(status)
            if st is None:
                raise ValidationError([("status", f"unknown status {status!r}; use one of "
                                                  f"{', '.join(STATUSES)}",
                                        f"okänd status {status!r}")])
        rows = self._backend.measure_rows(
            self._backend.conn(), include_deleted=include_deleted, status=st,
            area_id=None if area_id is None else str(area_id))
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
        conn = self._backend.conn()
        if entity not in ("measure", "area"):
            raise ValidationError([("entity", f"must be 'measure' or 'area', got {entity!r}",
                                    "måste vara 'measure' eller 'area'")])
        if measure_id is not None:
            if entity == "measure":
                self._measure(conn, measure_id)
            else:
                self._area(conn, measure_id)
        rows = [decode_audit(r) for r in self._backend.audit_rows(
            conn, entity, None if measure_id is None else str(measure_id))]
        return pd.DataFrame({
            "seq": np.array([r["seq"] for r in rows], dtype="int64"),
            "entity": [r["entity"] for r in rows],
            "entity_id": [r["entity_id"] for r in rows],
            "action": [r["action"] for r in rows],
            "version": np.array([r["version"] for r in rows], dtype="int64"),
            "user": [r["user"] for r in rows],
            "at": [r["at"] for r in rows],
            "fields": [sorted(set(r["before"]) | set(r["after"])) for r in rows],
            "before": [r["before"] for r in rows],
            "after": [r["after"] for r in rows],
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
                     layer: str | None = None, user: str | None = None, crs: object | None = None) -> list[Area]:
        """Import areas (e.g. drawn by the police) from GeoJSON, GeoPackage or any file
        geopandas reads; reprojected to WGS84 (``crs``: the CRS of a file that declares
        none, a shapefile without its .prj, e.g. ``3011``). All or nothing: one invalid feature
        refuses the file with every problem listed. Files written by
        :meth:`export_geojson`/:meth:`export_gpkg` bring their measures and ids along
        (ids already in the store get new ones)."""
        return import_areas(self, path, name_column=name_column, layer=layer, user=user, crs=crs)

    @_store_errors("exported")
    def export_plan_excel(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                          allow_personal_data: Iterable[str] = ()) -> Path:
        """The åtgärdsplan as Excel: sheet ``Åtgärdsplan`` (all measures sorted by status,
        start date, area) and one sheet per status; Swedish headers, real dates.

        The plan leaves the kommun: a text that looks like personal data (personnummer,
        phone number, e-mail address, a person's name) stops the export with a
        :class:`~lagesbild_geo.errors.PrivacyError` naming field and row, unless its field
        is in ``allow_personal_data`` (e.g. ``{"measures.title"}``; see
        :data:`lagesbild_geo.privacy.FREE_TEXT_FIELDS`). Text cells that a spreadsheet
        would run as formulas are written as text."""
        return export_plan_excel(self, path, include_deleted=include_deleted,
                                 allow_personal_data=allow_personal_data)

    @_store_errors("exported")
    def export_plan_csv(self, path: str | os.PathLike[str], *, include_deleted: bool = False,
                        allow_personal_data: Iterable[str] = ()) -> Path:
        """The åtgärdsplan as CSV for Swedish Excel: UTF-8 with BOM, ``;`` separator,
        ISO dates, the same columns as the Excel sheet (personal data and formula cells
        as for :meth:`export_plan_excel`)."""
        return export_plan_csv(self, path, include_deleted=include_deleted,
                               allow_personal_data=allow_personal_data)

    @_store_errors("read")
    def plan_table(self, *, include_deleted: bool = False) -> pd.DataFrame:
        """The åtgärdsplan as a DataFrame with Swedish column names (what the Excel and
        CSV exports write)."""
        return plan_table(self, include_deleted=include_deleted)

    # ------------------------------------------------- the store's own export

    @_store_errors("exported")
    def export_store(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Everything in the store (of its kommun) as one file in the store's own format:
        areas and measures with every field, deleted ones too, and the whole audit trail.

        JSON (``.json``) or gzip-compressed JSON (``.json.gz``); geometries as GeoJSON in
        WGS84. Read back with :meth:`import_store` or :func:`restore_backup`, into either
        backend: the way to back up a server store without ``pg_dump``, and to move a
        kommun's store from an SQLite file to a server (or back). See ``docs/measures.md``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> with MeasureStore(tmp / "s.sqlite") as s:
        ...     _ = s.add_area(name="A", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
        ...     s.export_store(tmp / "s.json.gz").name
        's.json.gz'
        >>> with MeasureStore(tmp / "copy.sqlite") as c:
        ...     c.import_store(tmp / "s.json.gz")
        ...     list(c.list_areas()["name"]), len(c.history(entity="area"))
        (['A'], 1)
        """
        return write_store_export(store_export(self), path, overwrite=overwrite)

    @_store_errors("imported")
    def import_store(self, source: str | os.PathLike[str] | StoreExport, *,
                     replace: bool = False) -> None:
        """Load a file written by :meth:`export_store` (or its parsed content), exactly:
        ids, versions, who and when, deleted rows and the audit trail (renumbered in the
        same order). All or nothing, in one transaction.

        A store that already holds areas or measures is only overwritten with
        ``replace=True`` (what :func:`restore_backup` does after keeping a copy). An
        export of another kommun is refused.
        """
        doc = source if isinstance(source, StoreExport) else read_store_export(source)
        if doc.kommun and self.kommun and doc.kommun != self.kommun:
            raise StoreError(f"The export holds kommun {doc.kommun}'s areas and measures, but "
                             f"the store is opened for kommun {self.kommun}; nothing was "
                             "imported. Open the store with the export's kommun.")
        with self.transaction() as conn:
            if not replace and (self._backend.area_rows(conn, include_deleted=True)
                                or self._backend.audit_rows(conn, "measure")):
                raise StoreError(f"The store {self.location} is not empty; nothing was "
                                 "imported. Pass replace=True to replace its content (or use "
                                 "`lagesbild measures restore`, which keeps a copy first).")
            self._backend.replace_content(conn, doc.areas, doc.measures, doc.audit)

    # --------------------------------------------------------------- backup

    @_store_errors("backed up")
    def backup(self, dest: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """A consistent copy of the store, made while others keep reading and writing.

        An SQLite store is copied with SQLite's online backup API to ``dest`` (an
        SQLite file, openable as a store). A name ending in ``.json`` or ``.json.gz``
        gets the store's own export instead (:meth:`export_store`), which is also how a
        server store is backed up (one kommun at a time; ``pg_dump`` of the database is
        the administrator's other way). Restore with :func:`restore_backup`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> with MeasureStore(tmp / "s.sqlite") as s:
        ...     s.backup(tmp / "copy.sqlite").name
        'copy.sqlite'
        """
        target = Path(dest).expanduser()
        if self.path is not None and target.resolve() == self.path.resolve():
            raise StoreError(f"Backup target {target} is the store itself; choose another file.")
        if target.exists() and not overwrite:
            raise StoreError(f"Backup target {target} exists; choose a new name or pass "
                             "overwrite=True.")
        if _is_export_name(target):
            return write_store_export(store_export(self), target, overwrite=True)
        return self._backend.file_backup(target)


def _is_export_name(path: Path) -> bool:
    """True for file names the store's own export is written to (``.json``, ``.json.gz``)."""
    name = path.name.lower()
    return name.endswith((".json", ".json.gz"))


def _measure_order(m: Measure) -> tuple[Any, ...]:
    """Sort key of the measures table: status (in :data:`STATUSES` order), start date, title
    (case-insensitive); a missing or unknown value after every known one."""
    s = _STATUS_ORDER.get(m.status)
    d = pd.Timestamp(m.start_date) if m.start_date is not None else None
    t = m.title.lower() if isinstance(m.title, str) else None
    return (s is None, s or 0, d is None, d or pd.Timestamp(0), t is None, t or "")


_STATUS_ORDER = {s: i for i, s in enumerate(STATUSES)}


def _measures_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    # sorted as Python objects first (a few hundred at most), then one frame in that order:
    # no reindexing of two dozen Arrow columns (which cost 20 ms per page in the app, for
    # an empty store, while the server's other threads wanted the GIL)
    pairs = sorted(((decode_measure(r), r) for r in rows), key=lambda p: _measure_order(p[0]))
    ms = [m for m, _ in pairs]
    rows = [r for _, r in pairs]
    index = pd.Index([m.id for m in ms], name="id", dtype="str")
    cols = ["area_id", "area_name", *[f for f in MEASURE_FIELDS if f != "area_id"], *META_FIELDS]
    data: dict[str, pd.Series] = {}
    for c in cols:
        if c == "area_name":
            vals: list[Any] = [r["area_name"] for r in rows]
        else:
            vals = [getattr(m, c) for m in ms]
        if c in LIST_FIELDS:
            data[c] = pd.Series([list(v) for v in vals], index=index, dtype=object)
        elif c in DATE_FIELDS:
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
    return pd.DataFrame(data, columns=cols, index=index)


def restore_backup(backup: str | os.PathLike[str],
                   path: str | os.PathLike[str] | None = None, *,
                   kommun: str | int | None = None, keep_current: bool = True) -> Path:
    """Replace a store's content with a backup, safely while the app is running.

    ``backup`` is an SQLite copy written by :meth:`MeasureStore.backup`, or the store's
    own export (:meth:`MeasureStore.export_store`, ``.json``/``.json.gz``); ``path`` is
    the store (a file or a ``postgresql://`` URL with ``kommun``; default
    :func:`default_store`). The backup is checked first (an SQLite copy with ``PRAGMA
    integrity_check``, a measure store, a schema version this library reads; an export
    record by record). The current content is kept first: beside an SQLite store as
    ``<name>.before-restore-<UTC time>.sqlite``, for a server store as an export
    ``<kommun>.before-restore-<UTC time>.json.gz`` beside the backup
    (``keep_current=True``). Then the content is replaced in one transaction (an SQLite
    copy into an SQLite store with SQLite's backup API inside the store's own locking),
    so readers see either the old or the new content, never a mix. Older SQLite schema
    versions are migrated on the next open.

    Returns the path of the safety copy (or, with ``keep_current=False``, of the store
    file, or of the backup for a server store).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "s.sqlite") as s:
    ...     _ = s.backup(tmp / "b.sqlite")
    >>> restore_backup(tmp / "b.sqlite", tmp / "s.sqlite").name.startswith("s.before-restore-")
    True
    """
    src = Path(backup).expanduser()
    dest: str | Path = default_store() if path is None else (
        str(path) if is_postgres_url(str(path)) else Path(path).expanduser())
    if not src.is_file():
        raise StoreError(f"Backup {src} does not exist; give the file written by "
                         "'lagesbild measures backup'.")
    if isinstance(dest, Path) and not is_store_export(src):
        try:
            return restore_sqlite_file(src, dest, keep_current=keep_current)
        except sqlite3.Error as exc:
            raise SQLiteBackend(dest).store_error(exc, "restored") from None
    doc = read_store_export(src) if is_store_export(src) else _export_of_sqlite_file(src)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with MeasureStore(dest, kommun=kommun) as store:
        result = store.path if store.path is not None else src
        if keep_current:
            if store.path is not None:
                result = store.backup(store.path.with_name(
                    f"{store.path.stem}.before-restore-{stamp}{store.path.suffix}"))
            else:
                result = store.export_store(
                    src.with_name(f"{store.kommun}.before-restore-{stamp}.json.gz"))
        store.import_store(doc, replace=True)
    return result


def _export_of_sqlite_file(src: Path) -> StoreExport:
    """The content of an SQLite backup as an export (read from a temporary copy, so the
    backup itself is never opened for writing)."""
    if not is_sqlite_file(src):
        raise StoreError(f"{src} is neither an SQLite backup nor the store's own export; "
                         "nothing restored.")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "backup.sqlite"
        shutil.copyfile(src, copy)
        with MeasureStore(copy) as store:
            doc = read_store_export(store_export(store))
    return doc


if TYPE_CHECKING:  # mypy checks that the store offers everything the protocol promises
    _satisfies_protocol: type[MeasureStoreProtocol] = MeasureStore
