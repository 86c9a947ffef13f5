"""Reading data as it really arrives.

Three layers, one module each:

- :mod:`~lagesbild_geo.read.tables`: :func:`read_table` opens any supported file
  and returns the **raw** table (text kept as text, leading zeros kept) plus an
  ``info`` dict saying how it was read (format, encoding, delimiter, decimal mark,
  sheet, header row, the source row number of every row). Other readers (gazetteer,
  districts, survey) build on it.
- :mod:`~lagesbild_geo.read.values`: :func:`parse_numbers` and :func:`parse_times`,
  vectorised.
- :mod:`~lagesbild_geo.read.incidents`: :func:`read_incidents` turns a table of
  incidents into the canonical incident table (see ``docs/data-contracts.md``):
  placed rows, rows pending geocoding, rejected rows with a reason, and a report.
  Every row is accounted for. :func:`lagesbild_geo.geocode.place_pending` geocodes
  the pending rows.

Column recognition lives in :mod:`lagesbild_geo._columns` and is re-exported
here (:func:`find_column`, :data:`INCIDENT_ALIASES`).

Examples
--------
>>> import pandas as pd
>>> from lagesbild_geo import read
>>> df = pd.DataFrame({"Datum": ["2024-03-05 22:15", "2024-03-06 08:00", "?"],
...                    "Adress": ["", "Storgatan 1", ""], "Lat": ["59,33", "", "59,3"],
...                    "Long": ["18,06", "", "18,1"]})
>>> r = read.read_incidents(df)
>>> len(r.placed), len(r.pending), r.rejected["reason"].tolist()
(1, 1, ['unparseable time'])
"""

from .._columns import INCIDENT_ALIASES, find_column, find_columns
from .incidents import read_incidents
from .result import REASONS, ReadResult, make_rejected
from .tables import read_table
from .values import parse_numbers, parse_times

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
