"""Areas and measures (åtgärder): the model, its validation and the store.

The package's modules, each importing only those before it:

``model``
    :class:`Area`, :class:`Measure`, the validation rules and
    :class:`MeasureStoreProtocol` (what every store offers).
``schema``
    The SQL schema of the store (SQLite and PostgreSQL), its versions and migrations.
``backend``, ``sqlite``, ``postgres``
    The backend layer: connections, transactions, SQL and error messages of each
    database (everything that differs between them).
``io``
    GeoJSON/GeoPackage import and export, the åtgärdsplan as Excel/CSV; works on any
    store (the protocol).
``store``
    :class:`MeasureStore`: the rules (validation, audit trail, optimistic locking, soft
    delete) on either backend; it offers the ``io`` functions as methods.

Every public name is available from here:
``from lagesbild_geo.measures import MeasureStore, Area, Measure``.
"""

from __future__ import annotations

from .model import (
    ACTORS,
    AREA_FIELDS,
    CAUSE_TAGS,
    MAX_AREA_KM2,
    MEASURE_FIELDS,
    META_FIELDS,
    MIN_AREA_M2,
    STATUSES,
    Area,
    Measure,
    MeasureStoreProtocol,
    Problem,
    StoreExport,
    json_value,
    overdue_measures,
    parse_categories,
    parse_date,
    parse_kommun,
    parse_status,
    to_3006,
    validate_area,
    validate_geometry,
    validate_measure,
)
from .store import (
    DEFAULT_STORE_ENV,
    KOMMUN_ENV,
    MeasureStore,
    default_store,
    default_store_path,
    newest_backup,
    restore_backup,
)

__all__ = [
    "ACTORS",
    "AREA_FIELDS",
    "CAUSE_TAGS",
    "DEFAULT_STORE_ENV",
    "KOMMUN_ENV",
    "MAX_AREA_KM2",
    "MEASURE_FIELDS",
    "META_FIELDS",
    "MIN_AREA_M2",
    "STATUSES",
    "Area",
    "Measure",
    "MeasureStore",
    "MeasureStoreProtocol",
    "Problem",
    "StoreExport",
    "default_store",
    "default_store_path",
    "json_value",
    "newest_backup",
    "overdue_measures",
    "parse_categories",
    "parse_date",
    "parse_kommun",
    "parse_status",
    "restore_backup",
    "to_3006",
    "validate_area",
    "validate_geometry",
    "validate_measure",
]
