"""Positions written as geometry text in a table column (WKT, or WKB in hex).

QGIS writes a layer's geometry into a CSV as a ``WKT`` column ("Save Features As… ▸ CSV",
GEOMETRY=AS_WKT), PostGIS's ``ST_AsText``/``ST_AsEWKT`` and many GIS and case systems
export positions the same way: ``POINT (674032 6580822)``, ``SRID=3006;POINT(…)``; a table
exported straight from PostGIS (``COPY``, DBeaver, pgAdmin) holds its geometry column as hex
EWKB (``0101000020BE0B…``). Such a column is found by its values (any name), parsed with
shapely in one vectorised call, and read as the table's geometry: its CRS is the SRID when
every row gives the same one, else recognised from the values like any coordinate columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

#: The start of a WKT or EWKT geometry (2D, Z, M or ZM), or an empty one.
_WKT_START = (r"^\s*(?:SRID=\d+\s*;\s*)?(?:MULTI)?(?:POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)"
              r"(?:\s*(?:Z|M|ZM))?\s*(?:\(|EMPTY)")
_SRID = r"^\s*SRID=(\d+)\s*;\s*"
#: Hex WKB/EWKB of a 2D point or more (byte order, type, at least 16 bytes of coordinates).
_HEX_WKB = r"^\s*0[01][0-9A-Fa-f]{40,}\s*$"
#: Values looked at per column to recognise WKT, and the share of them that must be WKT.
_SAMPLE = 50
_SHARE = 0.5


@dataclass(frozen=True)
class WktColumn:
    """A column of geometry text, parsed."""

    column: str
    geometries: np.ndarray  # shapely geometries; None where the text is empty or no geometry
    unreadable: np.ndarray  # bool: text that is not a geometry
    epsg: int | None  # the one SRID every row gives, else None
    notes: list[str]
    kind: str = "WKT"  # or "WKB" (hex)


def find_wkt_column(data: pd.DataFrame) -> str | None:
    """The first column whose values are geometries as text (WKT/EWKT or hex WKB/EWKB), by a
    sample of them.

    Examples
    --------
    >>> find_wkt_column(pd.DataFrame({"Datum": ["2025-03-01"], "WKT": ["POINT (674032 6580822)"]}))
    'WKT'
    """
    wkt, hexed = re.compile(_WKT_START, re.IGNORECASE), re.compile(_HEX_WKB)
    for col in data.columns:
        s = data[col]
        if s.dtype.kind not in "OUT" and not isinstance(s.dtype, pd.StringDtype):
            continue
        head = [t for v in s.iloc[:20 * _SAMPLE].tolist() if isinstance(v, str) and (t := v.strip())][:_SAMPLE]
        if head and max(sum(map(bool, map(wkt.match, head))),
                        sum(map(bool, map(hexed.match, head)))) >= _SHARE * len(head):
            return str(col)
    return None


def parse_wkt_column(values: pd.Series, column: str, name: str) -> WktColumn:
    """The geometries of a WKT/EWKT column (``name``: the file, for the notes).

    Examples
    --------
    >>> w = parse_wkt_column(pd.Series(["SRID=3006;POINT(674032 6580822)", "", "okänt"]), "WKT", "f.csv")
    >>> [None if g is None else g.wkt for g in w.geometries], w.unreadable.tolist(), w.epsg
    (['POINT (674032 6580822)', None, None], [False, False, True], 3006)
    """
    text = values.astype("string")
    filled = (text.notna() & (text.str.strip() != "")).to_numpy(dtype=bool, na_value=False)
    hexed = text.str.contains(_HEX_WKB, regex=True).to_numpy(dtype=bool, na_value=False)
    kind = "WKB" if hexed.sum() > filled.sum() / 2 else "WKT"
    if kind == "WKB":
        texts = _objects(text.str.strip())
        texts[~hexed] = None  # anything else in the column is no geometry
        geoms: np.ndarray = shapely.from_wkb(texts, on_invalid="ignore")
        ids = np.asarray(shapely.get_srid(geoms))
        srid = pd.Series(np.where(ids > 0, ids, np.nan)).astype("Int64")
    else:
        srid = text.str.extract(_SRID, flags=re.IGNORECASE)[0]
        body = text.str.replace(_SRID, "", regex=True, flags=re.IGNORECASE)
        geoms = shapely.from_wkt(_objects(body), on_invalid="ignore")
    unreadable = filled & np.asarray(shapely.is_missing(geoms), dtype=bool)
    notes = [f"{name}: positions read from the geometry {'text (WKT)' if kind == 'WKT' else 'in hex WKB'} "
             f"in column {column!r}."]
    codes = sorted({int(v) for v in srid.dropna().tolist()})
    epsg = codes[0] if len(codes) == 1 and int(srid.notna().sum()) == int(filled.sum() - unreadable.sum()) else None
    if len(codes) > 1:
        notes.append(f"{name}: column {column!r} gives several SRIDs ({', '.join(map(str, codes))}); "
                     "the CRS is recognised from the values instead.")
    return WktColumn(column=column, geometries=geoms, unreadable=unreadable, epsg=epsg, notes=notes, kind=kind)


def _objects(text: pd.Series) -> np.ndarray:
    """Text as a writable object array, None where missing (what shapely's readers take)."""
    return np.array(text.astype(object).where(text.notna(), None).to_numpy(), dtype=object)
