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
``coverage``
    Which data a follow-up can rest on: the data set an area was drawn on
    (:func:`dataset_of`), whether other data cover it (:func:`check_coverage`), the
    refusal of an unusable comparison area (:func:`check_comparison_area`) and the
    small-count caution (:func:`followup_caution`).
``overview``
    The management view: status colours (:func:`area_status`), follow-ups due in words
    (:func:`followup_due_sv`) and the audit trail in Swedish (:func:`history_sv`).

Every public name is available from here:
``from lagesbild_geo.measures import MeasureStore, Area, Measure``.
"""

from __future__ import annotations

from .coverage import (
    FEW_EVENTS,
    CoverageNote,
    DataSet,
    check_comparison_area,
    check_coverage,
    comparison_area_problems,
    dataset_of,
    followup_caution,
    followup_windows,
    kommun_label,
    same_kommun,
)
from .model import (
    ACTORS,
    ALREADY_IN_STORE,
    AREA_FIELDS,
    CAUSE_TAGS,
    DRAWN_ON_FIELDS,
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
    require_date,
    require_window,
    to_3006,
    validate_area,
    validate_geometry,
    validate_measure,
)
from .overview import (
    AREA_FIELD_LABELS_SV,
    MEASURE_FIELD_LABELS_SV,
    NO_MEASURE_COLOUR,
    OVERDUE_COLOUR,
    STATUS_COLOURS,
    STATUS_LABELS_SV,
    area_status,
    days_late_sv,
    describe_change,
    followup_due_sv,
    history_sv,
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
    "ALREADY_IN_STORE",
    "AREA_FIELDS",
    "AREA_FIELD_LABELS_SV",
    "CAUSE_TAGS",
    "DEFAULT_STORE_ENV",
    "DRAWN_ON_FIELDS",
    "FEW_EVENTS",
    "KOMMUN_ENV",
    "MAX_AREA_KM2",
    "MEASURE_FIELDS",
    "MEASURE_FIELD_LABELS_SV",
    "META_FIELDS",
    "MIN_AREA_M2",
    "NO_MEASURE_COLOUR",
    "OVERDUE_COLOUR",
    "STATUSES",
    "STATUS_COLOURS",
    "STATUS_LABELS_SV",
    "Area",
    "CoverageNote",
    "DataSet",
    "Measure",
    "MeasureStore",
    "MeasureStoreProtocol",
    "Problem",
    "StoreExport",
    "area_status",
    "check_comparison_area",
    "check_coverage",
    "comparison_area_problems",
    "dataset_of",
    "days_late_sv",
    "default_store",
    "default_store_path",
    "describe_change",
    "followup_caution",
    "followup_due_sv",
    "followup_windows",
    "history_sv",
    "json_value",
    "kommun_label",
    "newest_backup",
    "overdue_measures",
    "parse_categories",
    "parse_date",
    "parse_kommun",
    "parse_status",
    "require_date",
    "require_window",
    "restore_backup",
    "same_kommun",
    "to_3006",
    "validate_area",
    "validate_geometry",
    "validate_measure",
]
