"""The old home of the readers, kept for one release: use :mod:`lagesbild_geo.read`.

Everything here is :mod:`lagesbild_geo.read` (``read_table``, ``read_incidents``,
``parse_numbers``, ``parse_times``, ``ReadResult``, ``REASONS``, ``make_rejected``,
``find_column``, ``INCIDENT_ALIASES``), except that :func:`read_incidents` here still
takes ``gazetteer=`` and geocodes the pending rows itself. The new way is two steps::

    from lagesbild_geo.geocode import place_pending
    from lagesbild_geo.read import read_incidents

    result = place_pending(read_incidents("brott.xlsx"), "adresser.csv")
"""

from __future__ import annotations

from typing import Any

from .geocode import place_pending
from .read import (
    INCIDENT_ALIASES,
    REASONS,
    ReadResult,
    find_column,
    find_columns,
    make_rejected,
    parse_numbers,
    parse_times,
    read_table,
)
from .read import read_incidents as read_without_geocoding
from .read.tables import SourceLike
from .settings import Settings

__all__ = [
    "INCIDENT_ALIASES",
    "REASONS",
    "ReadResult",
    "find_column",
    "find_columns",
    "make_rejected",
    "parse_numbers",
    "parse_times",
    "read_incidents",
    "read_table",
]


def read_incidents(
    source: SourceLike,
    *,
    columns: dict[str, str] | None = None,
    crs: object | None = None,
    category_map: dict[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    settings: Settings | None = None,
    gazetteer: Any = None,
    time_optional: bool = False,
    boundary: Any = None,
    source_name: str | None = None,
) -> ReadResult:
    """:func:`lagesbild_geo.read.read_incidents`, then, with ``gazetteer=``,
    :func:`lagesbild_geo.geocode.place_pending`.

    ``gazetteer`` is a :class:`lagesbild_geo.geocode.Gazetteer` or the path of a
    gazetteer file: the pending rows are geocoded against it (placed or rejected with
    "address not found"). Every other parameter is that of
    :func:`lagesbild_geo.read.read_incidents`.

    Examples
    --------
    >>> import pandas as pd
    >>> from lagesbild_geo.geocode import Gazetteer
    >>> gaz = Gazetteer.from_frame(pd.DataFrame({"gatunamn": ["Storgatan"], "husnummer": ["1"],
    ...                                          "lat": [59.33], "lon": [18.06]}))
    >>> r = read_incidents(pd.DataFrame({"Datum": ["2024-03-05 22:15"], "Adress": ["Storgatan 1"]}),
    ...                    gazetteer=gaz)
    >>> r.placed["precision"].tolist(), len(r.pending)
    (['address'], 0)
    """
    settings = settings or Settings()
    result = read_without_geocoding(
        source, columns=columns, crs=crs, category_map=category_map, sheet=sheet, layer=layer,
        settings=settings, time_optional=time_optional, boundary=boundary, source_name=source_name)
    if gazetteer is not None:
        result = place_pending(result, gazetteer, settings=settings, boundary=boundary)
    return result
