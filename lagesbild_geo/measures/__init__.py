"""Areas and measures (åtgärder): the model, its validation and the store.

The package's modules, each importing only those before it: ``model`` (Area, Measure,
validation), ``schema`` (the SQL schema and its migrations), ``store``
(:class:`MeasureStore`), ``io`` (GeoJSON/GeoPackage import and export, the
åtgärdsplan as Excel/CSV). Every public name is available from here:
``from lagesbild_geo.measures import MeasureStore, Area, Measure``.
"""

from __future__ import annotations

from .store import (
    ACTORS,
    AREA_FIELDS,
    CAUSE_TAGS,
    DEFAULT_STORE_ENV,
    MAX_AREA_KM2,
    MEASURE_FIELDS,
    STATUSES,
    Area,
    Measure,
    MeasureStore,
    default_store_path,
    newest_backup,
    restore_backup,
    validate_geometry,
    validate_measure,
)

__all__ = [
    "ACTORS",
    "AREA_FIELDS",
    "CAUSE_TAGS",
    "DEFAULT_STORE_ENV",
    "MAX_AREA_KM2",
    "MEASURE_FIELDS",
    "STATUSES",
    "Area",
    "Measure",
    "MeasureStore",
    "default_store_path",
    "newest_backup",
    "restore_backup",
    "validate_geometry",
    "validate_measure",
]
