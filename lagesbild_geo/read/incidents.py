"""The incident table: :func:`read_incidents` turns a table as it arrives into the canonical one.

The reader is a short sequence of named steps, each a function of what the ones
before found:

1. read the table (:func:`lagesbild_geo.read.read_table`) and split off a geometry;
2. find the columns' roles (time, category, coordinates, address ...);
3. parse the times (the police feed's event time through :mod:`lagesbild_geo.polisen`);
4. map the categories;
5. parse the coordinates, recognise their CRS, transform to WGS84 and SWEREF 99 TM;
6. decide every row: placed, pending (an address or place name to geocode) or rejected;
7. assemble the canonical table and the report.

Every row is accounted for: ``placed + pending + rejected == rows_read``. Geocoding
the pending rows is the next step (:func:`lagesbild_geo.geocode.place_pending`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from .. import polisen
from .._columns import COUNT_HINTS, INCIDENT_ALIASES, find_columns
from .._geometry import boundary_geometry, inside_boundary
from ..crs import (
    CRS_RANGE_LABELS,
    CRSGuess,
    detect_crs,
    fits_range,
    orient_axes,
    to_sweref,
    to_wgs84,
)
from ..errors import InputError, SchemaError
from ..grid import points_to_cells
from ..limits import Limits, raise_hint, spaced
from ..schema import DATE_PRECISION, INCIDENT_COLUMNS, fold, map_categories, remember_text_codes
from ..settings import Settings
from .result import REASONS, ReadResult, empty_rejected, make_rejected, with_counts
from .tables import SourceLike, read_table
from .values import as_text_array, as_text_chunks, parse_degrees, parse_numbers, parse_times
from .wkt import find_wkt_column, parse_wkt_column

__all__ = ["REASONS", "ReadResult", "make_rejected", "read_incidents"]

_PRECISION_CODES = ("point", "area", "pending", "kommun", "lan")
#: The Arrow type of text columns built here: what pandas keeps ``string`` columns in (a
#: ``string`` array would be converted on the way, with new offsets).
_TEXT = pa.large_string()
_COORD_ROLES = (("x", "y"), ("easting", "northing"), ("lon", "lat"))


def read_incidents(
    source: SourceLike,
    *,
    columns: dict[str, str] | None = None,
    crs: object | None = None,
    category_map: dict[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    settings: Settings | None = None,
    time_optional: bool = False,
    boundary: Any = None,
    source_name: str | None = None,
) -> ReadResult:
    """Read an incident file as it arrives into the canonical incident table.

    Every row ends up in exactly one of ``placed``, ``pending`` (no coordinates
    but an address or place name: waiting for geocoding) or ``rejected`` (with
    a reason); ``report["rows_read"]`` is their sum. Geocode the pending rows with
    :func:`lagesbild_geo.geocode.place_pending`.

    Parameters
    ----------
    source
        Path of a CSV/TXT, Excel .xlsx, GeoJSON, GeoPackage, Shapefile,
        GeoParquet or police events JSON file, or a DataFrame.
    columns
        Role → column name, overriding recognition. Roles: ``id``, ``datetime``,
        ``date``, ``time``, ``category``, ``x``, ``y``, ``northing``, ``easting``,
        ``lat``, ``lon``, ``gps``, ``address``, ``house_number`` (a street's number in a column
        of its own: joined to ``address``), ``place``, ``postcode``, ``town``, and
        ``count`` (only when named: the number of incidents each row of an aggregated
        table counts; the row becomes that many incidents).
    crs
        CRS of the coordinate columns (EPSG code or name) when known; required
        for SWEREF 99 local zones unless only one fits. Default: detected from
        the values (see :mod:`lagesbild_geo.crs`).
    category_map
        Extra ``raw type → category id`` entries (see :func:`lagesbild_geo.schema.map_categories`).
    sheet, layer
        Excel sheet, GeoPackage layer.
    settings
        H3 resolution for ``cell``, time zone, the bounds of Sweden.
    time_optional
        Keep rows whose time is missing or unparseable (``occurred_at`` NaT).
    boundary
        A polygon (shapely, WGS84) or GeoDataFrame (any CRS): points outside it
        are rejected with "outside boundary". Not the police feed's rows: their
        position is a kommun's or län's centre, which may lie outside the kommun's
        polygon (Varberg's is in its harbour); a build keeps the kommun's rows by name.
    source_name
        Value of the ``source`` column (default: the file name).

    Returns
    -------
    ReadResult

    Raises
    ------
    InputError
        The file cannot be read, or has neither a time nor a location column
        (``SchemaError``, a subclass, for missing or ambiguous columns).
    CRSError
        Coordinates in a SWEREF 99 local zone that cannot be told apart.

    Examples
    --------
    >>> df = pd.DataFrame({"Datum": ["2024-03-05", ""], "Tid": ["22:15", "23:40"],
    ...                    "Brottstyp": ["Misshandel", "Klotter"],
    ...                    "X": ["6580000", "6580100"], "Y": ["660000", "660100"]})
    >>> r = read_incidents(df, source_name="demo")
    >>> len(r.placed), len(r.rejected), r.report["crs_detected"], r.report["axes_swapped"]
    (1, 1, 'EPSG:3006', True)
    >>> r.rejected["reason"].tolist()
    ['missing time']
    """
    settings = settings or Settings()
    raw = _read_raw(source, sheet=sheet, layer=layer, settings=settings, source_name=source_name)
    roles = _find_roles(raw, columns)
    raw = _by_count(raw, roles, settings.limits)
    times = _incident_times(raw, roles, tz=settings.timezone, category_map=category_map,
                            time_optional=time_optional)
    categories = _categories(raw, roles, times.police, category_map)
    # the police feed's positions are kommun and län centres, never tested against the
    # boundary: a build keeps the kommun's rows by name (Varberg's centre lies in the sea,
    # outside SCB's polygon, and all its rows were 'outside boundary')
    coords = _coordinates(raw, roles, crs=crs, settings=settings, boundary=None if raw.police else boundary)
    location_text = _location_text(raw, roles)
    decision = _decide(raw, times, coords, location_text)
    frame = _incident_frame(raw, roles, times, categories, coords, decision, location_text, settings)
    return with_counts(_result(raw, roles, frame, decision, times, categories, coords))


# --------------------------------------------------------------------------- 1. the table


@dataclass(frozen=True)
class _Raw:
    """The table as read: its data columns (text), a geometry if it had one, where rows came from."""

    data: pd.DataFrame
    geometry: gpd.GeoSeries | None
    geometry_epsg: int | None
    info: dict[str, Any]
    name: str
    source_row: np.ndarray
    warnings: list[str]  # filled by the steps, in the order they run

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def columns(self) -> list[str]:
        return list(self.data.columns)

    @property
    def police(self) -> bool:
        """The police events feed, also as a table of its flattened fields (a DataFrame, or
        the feed saved as CSV/Excel/Parquet with ``pandas.json_normalize``: read as a table
        of points, every event sat on its kommun's centre at its publication time)."""
        fmt = self.info["format"]
        return fmt == "police_json" or polisen.is_police_table(self.columns)


def _read_raw(source: SourceLike, *, sheet: str | int | None, layer: str | None, settings: Settings,
              source_name: str | None) -> _Raw:
    raw, info = read_table(source, sheet=sheet, layer=layer, limits=settings.limits)
    geometry = None
    epsg = None
    if isinstance(raw, gpd.GeoDataFrame) and raw.geometry.name in raw.columns:
        geometry = raw.geometry
        epsg = (raw.crs.to_epsg() or None) if raw.crs is not None else None
        data = pd.DataFrame(raw.drop(columns=[raw.geometry.name])).reset_index(drop=True)
    else:
        data = pd.DataFrame(raw).reset_index(drop=True)
    data.columns = [str(c) for c in data.columns]
    name = source_name or info["source"]
    warnings = list(info.get("warnings", []))
    wkt_col = find_wkt_column(data) if geometry is None and len(data) else None
    if wkt_col is not None:  # a CSV/Excel export of a GIS layer: its geometry as text
        wkt = parse_wkt_column(data[wkt_col], wkt_col, name)
        geometry, epsg = gpd.GeoSeries(wkt.geometries), wkt.epsg
        info = {**info, "wkt_column": wkt_col, "wkt_unreadable": wkt.unreadable}
        warnings.extend(wkt.notes)
    return _Raw(data=data, geometry=geometry, geometry_epsg=epsg, info=info, name=name,
                source_row=np.asarray(info["source_row"], dtype=np.int64), warnings=warnings)


# --------------------------------------------------------------------------- 2. column roles


def _find_roles(raw: _Raw, columns: dict[str, str] | None) -> dict[str, str]:
    """Role → column; refuses a table with neither a time nor a location column, and notes
    (in ``raw.warnings``) a table without any location column."""
    name = raw.name
    try:
        roles = find_columns(raw.columns, overrides=columns)
    except SchemaError as exc:
        raise SchemaError(f"{name}: {exc} (lagesbild read: --column ROLE=NAME; "
                          "lagesbild.toml: columns = {...} under [[sources]])") from None
    raw.warnings.extend(_check_duplicate_roles(raw.data, roles, raw.info.get("duplicate_columns") or {},
                                               set(columns or {}), name))
    has_time = any(r in roles for r in ("datetime", "date", "time"))
    has_coords = (any(a in roles and b in roles for a, b in _COORD_ROLES) or "gps" in roles
                  or raw.geometry is not None)
    has_text = "address" in roles or "place" in roles
    if not (has_coords or has_text) and not has_time:
        data_cols, info = raw.columns, raw.info
        raise SchemaError(
            f"{name}: no recognisable incident columns among "
            f"{data_cols[:30]}{f' (and {len(data_cols) - 30} more)' if len(data_cols) > 30 else ''}. Expected a time column "
            "(Datum, Brottsdatum, Tid, Klockslag, date ...) and a location (X/Y, Nord/Öst, Lat/Long, "
            "Adress, Plats ...). Name them with columns={'date': ..., 'x': ..., ...}."
            + (f" Read sheet {info.get('sheet')!r} of {info.get('sheets')}: if the data is on "
               "another sheet, choose it with sheet= (--sheet)."
               if len(info.get("sheets") or []) > 1 else "")
        )
    half = [f"{a}/{b}" for a, b in _COORD_ROLES if (a in roles) != (b in roles)]
    if half:
        raw.warnings.append(f"{name}: only one column of the coordinate pair(s) {half} was found; "
                            "name the other with columns=.")
    elif not (has_coords or has_text or raw.police):
        raw.warnings.append(_no_location_note(name, raw.columns, roles))
    return roles


def _by_count(raw: _Raw, roles: dict[str, str], limits: Limits | None = None) -> _Raw:
    """An aggregated table (a row per area, month and type with its number of incidents):
    with ``columns={"count": NAME}`` each row becomes as many incidents as it counts (a
    row of 0 none); without it, a note when a column named like a count holds counts."""
    if "count" not in roles:
        hinted = [c for c in raw.columns if fold(c) in COUNT_HINTS and c not in roles.values()]
        for c in hinted[:1]:
            v = parse_numbers(raw.data[c])
            whole = np.isfinite(v) & (v >= 0) & (v == np.round(v))
            if raw.n and whole.mean() > 0.9 and (v[whole] > 1).any():
                raw.warnings.append(
                    f"{raw.name}: column {c!r} looks like a number of incidents per row (whole numbers, "
                    f"up to {int(v[whole].max())}); every row is read as ONE incident. If each row "
                    f"counts several, name it: --column count={c} (columns={{'count': {c!r}}}).")
        return raw
    col = roles["count"]
    _check_month_columns(raw, col)
    v = parse_numbers(raw.data[col])
    totals = _totals_rows(raw, col)
    bad = ~(np.isfinite(v) & (v >= 0) & (v == np.round(v))) & ~totals
    if bad.any():
        rows = raw.source_row[bad][:5].tolist()
        shown = ", ".join(f"row {r}: " + ("empty" if pd.isna(x) or not str(x).strip() else repr(x))
                          for r, x in zip(rows, raw.data[col][bad][:5].tolist(), strict=True))
        raise InputError(f"{raw.name}: the count column {col!r} must hold whole numbers of 0 or more in "
                         f"every row; {int(bad.sum())} row(s) do not ({shown}). Correct them (0 where "
                         "there were none), or do not name a count column if each row is one incident.")
    counts = np.where(totals, 1, np.where(np.isfinite(v), v, 0)).astype(np.int64)
    lim = (limits or Limits()).max_rows
    if int(counts.sum()) > lim:
        # a year, a kommun code or a sum in the count column: a clear error, not a MemoryError
        top = np.argsort(-counts, kind="stable")[:3]
        shown = ", ".join(f"row {raw.source_row[i]}: {raw.data[col].iloc[i]!s}" for i in top)
        raise InputError(f"{raw.name}: the count column {col!r} adds up to {spaced(int(counts.sum()))} incidents, "
                         f"more than the limit of {spaced(lim)} rows (largest: {shown}). Is {col!r} the number of "
                         f"incidents per row? {raise_hint('max_rows')}")
    if totals.any():
        # a totals row ("Totalt", "Summa", an Excel pivot's "Totalsumma") counts the other
        # rows again: one rejected row, never as many incidents as it sums
        shown = ", ".join(f"row {r} ({_total_label(raw, i)!r}, {raw.data[col].iloc[i]!s} in {col!r})"
                          for r, i in zip(raw.source_row[totals][:3].tolist(), np.flatnonzero(totals)[:3],
                                          strict=True))
        raw.warnings.append(f"{raw.name}: {int(totals.sum())} totals row(s) left out, rejected as 'totals row' "
                            f"(they sum the other rows, which would count them twice): {shown}.")
    take = np.repeat(np.arange(raw.n), counts)
    # the k-th incident of a row (1, 2, ...): ids stay unique
    copy = np.arange(take.size) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    n_inc = int(counts[~totals].sum())
    info = {**raw.info, "count_copy": np.where(counts[take] > 1, copy, 0),
            "count_column": {"column": col, "rows_in_file": raw.n, "rows_with_0": int((counts == 0).sum()),
                             "incidents": n_inc, **({"totals_rows": int(totals.sum())} if totals.any() else {})},
            "totals_row": totals[take]}
    if "wkt_unreadable" in info:
        info["wkt_unreadable"] = info["wkt_unreadable"][take]
    n0 = int((counts == 0).sum())
    raw.warnings.append(f"{raw.name}: {raw.n - int(totals.sum())} row(s) counting {n_inc} incident(s) by column "
                        f"{col!r}, read as one row per incident"
                        + (f"; {n0} row(s) count 0 and hold none" if n0 else "") + ".")
    geometry = raw.geometry.iloc[take].reset_index(drop=True) if raw.geometry is not None else None
    return dataclasses.replace(raw, data=raw.data.take(take).reset_index(drop=True), geometry=geometry,
                               info=info, source_row=raw.source_row[take])


#: What a totals row of an aggregated table says in one of its cells (folded): "Totalt",
#: "Summa", Excel's Swedish pivot "Totalsumma", its subtotals "Stöld Summa" / "Summa Stöld".
_TOTAL_WORDS = frozenset({"totalt", "total", "totalsumma", "summa", "summa totalt", "totalt antal", "sum",
                          "grand total", "samtliga", "alla", "summering"})
_TOTAL_PARTS = ("summa", "totalt", "total", "totalsumma")


#: A footer under an exported list (folded): "Antal rader: 412", "Summa: 12", "Totalt 3".
_FOOTER = re.compile(r"(antal|summa|totalt|total|sum)( rader| poster| arenden| brott| handelser| anmalningar"
                     r"| traffar)?( \d[\d ]*)?")


def _is_total_text(text: str) -> bool:
    t = " ".join(fold(text).replace(":", " ").split())
    if t in _TOTAL_WORDS:
        return True
    words = t.split(" ")
    return len(words) > 1 and (words[0] in _TOTAL_PARTS or words[-1] in _TOTAL_PARTS)


#: Rows checked for a totals text at most (beyond it, the file's last rows only).
_FOOTER_ROWS = 10_000


def _is_footer_text(text: str) -> bool:
    """A total, or the count an export writes under its list ("Antal rader: 412")."""
    return _is_total_text(text) or _FOOTER.fullmatch(fold(text)) is not None


def _footer_rows(raw: _Raw, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (positions of rows without a time or a location) have a cell saying
    they are a total or a list's footer ("Summa", "Totalt", "Antal rader: 412"): the
    sums and counts an export writes under its list, not incidents."""
    if rows.size > _FOOTER_ROWS:
        rows = rows[rows >= raw.n - 20]  # a file without times or places: its last rows only
    return rows[_rows_saying(raw, _is_footer_text, rows)] if rows.size else rows


def _totals_rows(raw: _Raw, count_col: str) -> np.ndarray:
    """Rows of an aggregated table whose text cells say they are a total or a subtotal."""
    return _rows_saying(raw, _is_total_text, skip=count_col)


def _rows_saying(raw: _Raw, says: Callable[[str], bool], rows: np.ndarray | None = None,
                 skip: str | None = None) -> np.ndarray:
    """Mask over ``rows`` (every row when None): the rows with a text cell (in a column other
    than ``skip``) of which ``says`` holds, each distinct text asked once."""
    out = np.zeros(raw.n if rows is None else rows.size, dtype=bool)
    for c in raw.columns:
        if c == skip:
            continue
        vals = (raw.data[c] if rows is None else raw.data[c].iloc[rows]).astype("string")
        hits = [u for u in vals.dropna().unique() if isinstance(u, str) and u.strip() and says(u)]
        if hits:
            out |= vals.isin(hits).fillna(False).to_numpy(dtype=bool)
    return out


def _total_label(raw: _Raw, i: int) -> str:
    """The cell of row ``i`` that says it is a total."""
    for c in raw.columns:
        x = raw.data[c].iloc[i]
        if isinstance(x, str) and _is_total_text(x):
            return x
    return ""


def _check_month_columns(raw: _Raw, count_col: str) -> None:
    """A wide table (one column per month) read with one of its months as the count would
    count that month alone: refused, naming the month columns."""
    months = _month_columns(raw.columns)
    if count_col in months and len(months) > 1:
        raise InputError(
            f"{raw.name}: the count column {count_col!r} is one of {len(months)} columns named as months "
            f"({', '.join(months[:4])}{' ...' if len(months) > 4 else ''}): a wide table, one column per month. "
            "Counting one of them leaves the other months out. Turn the table into one row per area, type "
            "and month with its number (Excel: Data > From Table/Range, then Unpivot Columns in Power Query; "
            "pandas: DataFrame.melt), then read it with --column count=Antal --column date=Månad.")


def _month_columns(columns: list[str]) -> list[str]:
    """Column headers that name a month ("2025-01", "2025M01", "202501", "jan 2025", "Januari")."""
    out = []
    for c in columns:
        t = fold(str(c)).strip()
        if (_month_of(c) or t.rstrip(".") in _MONTH_NUMBER
                or re.fullmatch(r"(19|20)\d\d[ m]?(0[1-9]|1[0-2])", t)):  # fold made "2025-01" "2025 01"
            out.append(str(c))
    return out


def _no_location_note(name: str, data_cols: list[str], roles: dict[str, str]) -> str:
    """Why every row will be 'no location', with the columns left over that might hold them."""
    used = set(roles.values())
    unused = [c for c in data_cols if c not in used]
    listed = ", ".join(repr(c) for c in unused[:20]) + (f" (and {len(unused) - 20} more)" if len(unused) > 20 else "")
    return (f"{name}: no coordinate columns found (nor a geometry, address or place column); every row is "
            f"rejected as 'no location'. Columns not used: {listed or 'none'}. If two of them hold the "
            "coordinates, name them with columns={'x': ..., 'y': ...} / --column x=NAME --column y=NAME "
            "(the CRS is recognised from the values).")


def _check_duplicate_roles(raw: pd.DataFrame, cols: dict[str, str], duplicates: dict[str, list[str]],
                           chosen: set[str], name: str) -> list[str]:
    """A role read from a column whose header name several columns share ("Datum" twice).

    Columns with the same values: a note says which one is used. Different values:
    :class:`SchemaError` asking to choose, never a silent pick of the first.
    """
    notes: list[str] = []
    by_column = {c: (base, group) for base, group in duplicates.items() for c in group}
    for role, col in cols.items():
        if role in chosen or col not in by_column:
            continue
        base, group = by_column[col]
        first = raw[group[0]].astype("string")
        same = all(first.equals(raw[g].astype("string")) for g in group[1:])
        listed = ", ".join(repr(g) for g in group)
        if same:
            notes.append(f"{name}: {len(group)} columns are named {base!r} ({listed}, left to right) "
                         f"and hold the same values; {col!r} is used as the {role} column.")
            continue
        options = " or ".join(f"--column {role}={g}" for g in group)
        raise SchemaError(
            f"{name}: {len(group)} columns are named {base!r} and they hold different values, so "
            f"it is not clear which one is the {role} column. They are read as {listed} (left to "
            f"right). Choose one: lagesbild read {options} (in Python columns={{'{role}': "
            f"'{group[-1]}'}}), or rename one of them in the file.")
    return notes


# --------------------------------------------------------------------------- 3. times


@dataclass(frozen=True)
class _Times:
    occurred: pd.Series
    status: np.ndarray  # int8: 0 parsed, 1 missing, 2 unparseable, 3 out of range
    counts: dict[str, int]
    ok: np.ndarray  # the rows whose time lets them stay
    optional: bool  # time_optional: rows without a usable time stay
    police: polisen.PoliceColumns | None  # the feed's derived columns (time, category, level)


def _incident_times(raw: _Raw, roles: dict[str, str], *, tz: str, category_map: dict[str, str] | None,
                    time_optional: bool) -> _Times:
    police = None
    if raw.police:
        police = _police_columns(raw, tz=tz, category_map=category_map)
        occurred, status, counts = police.occurred_at, police.time_status, police.time_counts
    else:
        occurred, status, counts = _column_times(raw, roles, tz=tz, time_optional=time_optional)
    if counts.get("date_only"):
        raw.warnings.append(f"{raw.name}: {counts['date_only']} rows have a date but no time of day; set to 00:00.")
    if counts.get("month_first"):
        raw.warnings.append(f"{raw.name}: the dates written with '/' are month first (03/15/2025, the American "
                            f"order; some cannot be day first and none must be), so all {counts['month_first']} "
                            "were read month/day/year.")
    ok = np.ones(raw.n, dtype=bool) if time_optional else status == 0
    return _Times(occurred=occurred, status=status, counts=counts, ok=ok, optional=bool(time_optional),
                  police=police)


def _police_columns(raw: _Raw, *, tz: str, category_map: dict[str, str] | None) -> polisen.PoliceColumns:
    """The feed's own columns: the event time is in "name"; "datetime" is when it was published."""
    data = raw.data
    if "datetime" in data.columns:
        published, pub_status, counts = parse_times(data["datetime"], None, tz=tz)
    else:
        published = pd.Series(pd.NaT, index=data.index, dtype=pd.DatetimeTZDtype("ns", tz))
        pub_status, counts = np.ones(raw.n, dtype=np.int8), {}
    police = polisen.event_columns(data, published, pub_status, tz=tz, category_map=category_map)
    return dataclasses.replace(police, time_counts={**counts, **police.time_counts})


def _column_times(raw: _Raw, roles: dict[str, str], *, tz: str,
                  time_optional: bool) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    data = raw.data
    time_col = data[roles["time"]] if "time" in roles else None
    if "datetime" in roles and "date" not in roles:
        parsed = parse_times(data[roles["datetime"]], time_col, tz=tz)
        return _day_only(raw, data[roles["datetime"]], parsed) if time_col is None else parsed
    if "date" in roles:
        if time_col is None and "datetime" in roles:
            # "Startdatum" + "Starttid", "Händelsedatum" + "Händelsetid", "Datum" + "Tidpunkt":
            # the second holds the time of day (or a date-time, whose time of day is taken)
            time_col = data[roles["datetime"]]
        dates = _month_dates(raw, data[roles["date"]], roles["date"])
        parsed = parse_times(dates, time_col, tz=tz)
        if time_col is None:
            _first_days_as_months(raw, roles, parsed[0])
            return _day_only(raw, dates, parsed)
        return _kept_without_time(raw, dates, time_col, parsed, tz=tz, names=(roles["date"], time_col.name))
    if "time" in roles:  # a lone "Tid" column holding full timestamps
        return _day_only(raw, data[roles["time"]], parse_times(data[roles["time"]], None, tz=tz))
    if not time_optional:
        raw.warnings.append(
            f"{raw.name}: no time column found; every row is rejected as 'missing time' "
            "(name it with columns={'date': ...} / --column date=NAME, or pass time_optional=True / --time-optional).")
    months = _month_columns(raw.columns)
    if len(months) > 1:
        raw.warnings.append(
            f"{raw.name}: {len(months)} columns are named as months ({', '.join(months[:4])}"
            f"{' ...' if len(months) > 4 else ''}): a wide table, one column per month, which is not read as "
            "counts. Turn it into one row per area, type and month with its number (Excel: Unpivot Columns in "
            "Power Query; pandas: DataFrame.melt), then read it with --column count=Antal --column date=Månad.")
    occurred = pd.Series(pd.NaT, index=data.index, dtype=pd.DatetimeTZDtype("ns", tz))
    return occurred, np.ones(raw.n, dtype=np.int8), {}


def _kept_without_time(raw: _Raw, dates: pd.Series, times: pd.Series,
                       parsed: tuple[pd.Series, np.ndarray, dict[str, int]], *, tz: str,
                       names: tuple[object, object]) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Rows with a date and an empty time cell, or one that says the time is not known ("okänd",
    "-": a burglary during a holiday): kept at the date, marked ``day`` (``date_precision``),
    so they count per day, month and district but not by hour. Before, they were rejected as
    'missing time' or 'unparseable time'."""
    occurred, status, counts = parsed
    missing, unreadable = status == 1, status == 2
    if not (missing.any() or unreadable.any()):  # the usual export: every time given
        return parsed
    no_time = ~_has_text(times)
    if unreadable.any():  # "okänd", "uppgift saknas", "-": the time is said not to be known
        said = np.flatnonzero(unreadable)
        no_time[said] = times.iloc[said].astype("string").str.strip().str.lower().isin(
            _UNKNOWN_TIME).to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero((missing | unreadable) & no_time & _has_text(dates))
    if not rows.size:
        return parsed
    day, day_status, _ = parse_times(dates.iloc[rows].reset_index(drop=True), None, tz=tz)
    ok = day_status == 0
    if not ok.any():
        return parsed
    idx = rows[ok]
    occurred = occurred.copy()
    occurred.iloc[idx] = day[ok].to_numpy()
    status = status.copy()
    status[idx] = 0
    _mark_days(raw, idx)
    raw.warnings.append(f"{raw.name}: {idx.size} row(s) have a date in {names[0]!r} but no time in {names[1]!r}; "
                        "they are kept at their date: counted per day, month and district, left out of the "
                        "tables by hour and of a filter by hour.")
    return occurred, status, {**counts, "time_unknown": int(idx.size)}


#: What a time cell says when the time is not known (a row kept at its date, as an empty one).
_UNKNOWN_TIME = frozenset({"okänd", "okänt", "okand", "okant", "ej känd", "ej känt", "uppgift saknas", "saknas",
                           "vet ej", "?", "-", "–", "—", "unknown", "n/a"})


#: A time of day in a date text ("2024-03-05 22:15", "…T22:15:00", "kl. 22.15").
_CLOCK_IN_TEXT = r"\d{1,2}:\d{2}|[Tt ]\s*(?:kl\.?\s*)?\d{1,2}[.]\d{2}\s*$"


def _day_only(raw: _Raw, dates: pd.Series, parsed: tuple[pd.Series, np.ndarray, dict[str, int]]
              ) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Rows whose date has no time of day (read as 00:00, counted as ``date_only``) are marked
    ``day``: their midnight is no hour of the incidents (the tables by hour put them all at 0)."""
    occurred, status, counts = parsed
    if not counts.get("date_only"):
        return parsed
    midnight = ((occurred.dt.hour == 0) & (occurred.dt.minute == 0) & (occurred.dt.second == 0)).to_numpy(
        dtype=bool, na_value=False) & (status == 0)  # (wall-clock time in the time zone)
    text = dates.astype("string")
    clock = text.str.contains(_CLOCK_IN_TEXT, regex=True).to_numpy(dtype=bool, na_value=False)
    _mark_days(raw, np.flatnonzero(midnight & ~clock))
    return parsed


def _mark_days(raw: _Raw, rows: np.ndarray) -> None:
    if not rows.size:
        return
    day = raw.info.get("day_only")
    day = np.zeros(raw.n, dtype=bool) if day is None else day
    day[rows] = True
    raw.info["day_only"] = day


def _month_dates(raw: _Raw, dates: pd.Series, column: str) -> pd.Series:
    """A month given as the date ("2025-03", SCB's "2025M03", "mars 2025", "03/2025", Excel's
    "mar-25": an aggregated table per month): its first day, with a note (hours and weekdays
    then mean nothing for these rows)."""
    if dates.dtype.kind in "Mm" or not raw.n:
        return dates
    probe = dates.iloc[:200].dropna().astype(str)
    if not len(probe) or not (probe.map(_month_of) != "").mean() >= 0.5:  # the usual file: a glance
        return dates
    text = dates.astype("string")
    firsts = {u: _month_of(u) for u in text.dropna().unique()}
    first = text.map(firsts).fillna("")
    is_month = first != ""
    n = int(is_month.sum())
    if not n or n < 0.5 * int(text.notna().sum()):  # a stray value is for the parser to refuse
        return dates
    raw.warnings.append(f"{raw.name}: {n} row(s) give only a month in {column!r} (e.g. {text[is_month].iloc[0]!r}); "
                        "each is set to the month's first day at 00:00: counts per month and period hold, "
                        "hours and weekdays do not.")
    # their weekday and hour are the first day's midnight, not the incidents': the report's
    # tables by hour and weekday leave them out (the weekday of each month's first day gave
    # the hidden months back: 2025-02-01 and 2025-03-01 are Saturdays)
    raw.info["month_only"] = is_month.to_numpy(dtype=bool)
    return text.mask(is_month, first + "-01")


_MONTH_NUMBER = {name: i for i, names in enumerate(
    (("jan", "januari", "january"), ("feb", "februari", "february"), ("mar", "mars", "march"),
     ("apr", "april"), ("maj", "may"), ("jun", "juni", "june"), ("jul", "juli", "july"),
     ("aug", "augusti", "august"), ("sep", "sept", "september"), ("okt", "oct", "oktober", "october"),
     ("nov", "november"), ("dec", "december")), start=1) for name in names}
_MONTH_FORMS = (
    re.compile(r"(?P<y>\d{4})\s*(?:[-/.]|\s*m)\s*(?P<m>\d{1,2})"),  # 2025-03, 2025/3, 2025M03
    re.compile(r"(?P<m>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})"),  # 03/2025, 3-2025
    re.compile(r"(?P<n>[a-zåäö]+)\.?[\s-]*(?P<y>\d{4}|\d{2})"),  # mars 2025, jan. 2025, Mar-25 (Excel)
    re.compile(r"(?P<y>\d{4})[\s-]*(?P<n>[a-zåäö]+)\.?"),  # 2025 mars
)


def _month_of(value: object) -> str:
    """ "2025-03" for a text naming a month alone (no day), else ""."""
    t = str(value).strip().lower()
    if not t or len(t) > 20:
        return ""
    for form in _MONTH_FORMS:
        m = form.fullmatch(t)
        if m is None:
            continue
        parts = m.groupdict()
        month = _MONTH_NUMBER.get(parts["n"], 0) if "n" in parts else int(parts["m"])
        year = int(parts["y"]) + (2000 if len(parts["y"]) == 2 else 0)
        if 1 <= month <= 12 and 1900 <= year <= 2100:
            return f"{year:04d}-{month:02d}"
    return ""


#: Folded names of a date column that holds months ("Månad"): the date role's month tier.
_MONTH_COLUMN_NAMES = frozenset(next(t for t in INCIDENT_ALIASES["date"] if "manad" in t))


def _first_days_as_months(raw: _Raw, roles: dict[str, str], occurred: pd.Series) -> None:
    """Months given as dates (an Excel "Månad" column of 2025-03-01, or an aggregated table whose
    every date is a month's first day at 00:00): marked like "2025-03" (``month_only``), so
    their first day's weekday and midnight are not taken as the incidents'."""
    found = raw.info.get("month_only")
    if (found is not None and found.any()) or not raw.n:
        return
    by_name = fold(roles["date"]) in _MONTH_COLUMN_NAMES
    if not (by_name or "count_column" in raw.info):
        return
    t = occurred.reset_index(drop=True)
    first = ((t.dt.day == 1) & (t.dt.hour == 0) & (t.dt.minute == 0) & (t.dt.second == 0)).to_numpy(
        dtype=bool, na_value=False)
    if not first.any() or not (by_name or first.sum() == int(t.notna().sum())):
        return
    raw.info["month_only"] = first
    raw.warnings.append(f"{raw.name}: {int(first.sum())} row(s) of {roles['date']!r} are a month's first day "
                        "at 00:00 (a table per month): their weekday and hour are not the incidents' and are "
                        "left out of the tables by weekday and hour.")


# --------------------------------------------------------------------------- 4. categories


class _Categories(NamedTuple):
    category: pd.Series
    raw: pd.Series  # category_raw
    unknown: pd.Series  # bool: the label is not a known category


def _categories(raw: _Raw, roles: dict[str, str], police: polisen.PoliceColumns | None,
                category_map: dict[str, str] | None) -> _Categories:
    if police is not None:
        return _Categories(police.category, police.category_raw, police.unknown)
    if "category" not in roles:
        raw.warnings.append(f"{raw.name}: no category column found; every row is 'ovrigt'.")
        return _Categories(_repeat_text(["ovrigt"], np.zeros(raw.n, dtype=np.int8)),
                           _str_series(pa.nulls(raw.n, _TEXT)),
                           pd.Series(np.zeros(raw.n, dtype=bool)))
    # map the few distinct labels, then spread them in Arrow (on the column's own chunks)
    column = as_text_chunks(raw.data[roles["category"]])
    distinct = pc.unique(column).drop_null()
    raw_labels = distinct.to_pylist()
    labels = [None if not v.strip() else v.strip() for v in raw_labels]
    labels.append(None)
    codes = np.asarray(pc.fill_null(pc.index_in(column, value_set=distinct), len(labels) - 1)
                       .to_numpy(zero_copy_only=False))
    cat_u, unk_u = map_categories(pd.Series(labels, dtype="string"), category_map)
    category = _repeat_text([str(c) for c in cat_u], codes)
    remember_text_codes(category, codes, [str(c) for c in cat_u])  # later steps use the codes
    unknown = pd.Series(unk_u.to_numpy(dtype=bool)[codes])
    if all(v == lab for v, lab in zip(raw_labels, labels, strict=False)):
        cat_raw = _str_series(column)  # as given: no copy
    else:
        cat_raw = _str_series(pc.take(pa.array(labels, type=_TEXT), pa.array(codes)))
    return _Categories(category, cat_raw, unknown)


# --------------------------------------------------------------------------- 5. coordinates


class _Pair(NamedTuple):
    """Two coordinate columns as numbers, which rows hold any text, their names, a known CRS."""

    a: np.ndarray
    b: np.ndarray
    present: np.ndarray
    names: tuple[str, str]
    crs: object | None


@dataclass(frozen=True)
class _Coordinates:
    lon: np.ndarray
    lat: np.ndarray
    east: np.ndarray
    north: np.ndarray
    present: np.ndarray  # the row holds coordinates (usable or not)
    numeric: np.ndarray  # both of a pair are numbers (placed, or in no CRS recognised)
    valid: np.ndarray  # they were recognised and transformed
    in_sweden: np.ndarray
    in_boundary: np.ndarray
    area_rows: np.ndarray  # a polygon or line of a GIS file: placed at a point on it
    zero_rows: int  # rows whose coordinates are (0, 0): a common placeholder
    placeholder: np.ndarray  # rows whose only coordinates are (0, 0): read as none
    guesses: list[tuple[tuple[str, str], CRSGuess]]


def _coordinates(raw: _Raw, roles: dict[str, str], *, crs: object | None, settings: Settings,
                 boundary: Any) -> _Coordinates:
    n = raw.n
    pairs = _coordinate_pairs(raw, roles, crs)
    area_rows = np.zeros(n, dtype=bool)
    if raw.geometry is not None and not pairs:
        pair, area_rows = _geometry_pair(raw.geometry, raw, crs)
        pairs.append(pair)
    lon = lat = east = north = None
    present = np.zeros(n, dtype=bool)
    numeric = np.zeros(n, dtype=bool)
    valid = np.zeros(n, dtype=bool)
    guesses: list[tuple[tuple[str, str], CRSGuess]] = []
    # one geometry for every test below; a SWEREF 99 local zone the values cannot tell is the
    # one that puts the points in the boundary
    if boundary is not None:
        boundary = boundary_geometry(boundary)
    inside = None if boundary is None else (
        lambda lo, la: inside_boundary(lo, la, np.ones(lo.size, dtype=bool), boundary))
    zeros = np.zeros(n, dtype=bool)
    zero_rows = 0
    for i, pair in enumerate(pairs):  # the first pair that places a row wins
        # (0, 0) is how many systems write a missing position: no coordinates, so the row's
        # address or place name still places it (before, it was lost as 'outside Sweden')
        zero = (pair.a == 0) & (pair.b == 0)
        if zero.any():
            zero_rows += int(zero.sum())
            zeros |= zero
            pair = pairs[i] = pair._replace(a=np.where(zero, np.nan, pair.a), b=np.where(zero, np.nan, pair.b))
        guess = detect_crs(pair.a, pair.b, crs=pair.crs, names=pair.names, inside=inside)
        guesses.append((pair.names, guess))
        present |= pair.present & ~valid & ~zero
        take = np.isfinite(pair.a) & np.isfinite(pair.b) & ~valid
        numeric |= take
        if not take.any() or guess.crs is None:
            continue
        if take.all():  # the usual file: every row from one pair, no copies
            lon, lat, east, north = _transform(pair.a, pair.b, guess.crs)
        else:
            if lon is None or lat is None or east is None or north is None:
                lon, lat, east, north = (np.full(n, np.nan) for _ in range(4))
            lon[take], lat[take], east[take], north[take] = _transform(pair.a[take], pair.b[take], guess.crs)
        valid |= take
    if lon is None or lat is None or east is None or north is None:
        lon, lat, east, north = (np.full(n, np.nan) for _ in range(4))
    valid &= np.isfinite(lon) & np.isfinite(lat)
    b0, b1, b2, b3 = settings.bounds_wgs84
    in_sweden = valid & (lon >= b0) & (lon <= b2) & (lat >= b1) & (lat <= b3)
    raw.warnings.extend(_crs_warnings(raw.name, pairs, guesses, int((valid & ~in_sweden).sum())))
    if pairs and guesses and guesses[0][1].crs is not None and (valid & ~in_sweden).any() and in_sweden.any():
        # (a mix only beside rows that do fit: none fitting is a wrong CRS, said above)
        raw.warnings.extend(_rows_in_another_crs(raw, pairs[0], guesses[0][1].crs, valid & ~in_sweden))
    in_boundary = np.ones(n, dtype=bool)
    if boundary is not None and in_sweden.any():
        in_boundary = inside_boundary(lon, lat, in_sweden, boundary)
    return _Coordinates(lon=lon, lat=lat, east=east, north=north, present=present, numeric=numeric, valid=valid,
                        in_sweden=in_sweden, in_boundary=in_boundary, area_rows=area_rows,
                        zero_rows=zero_rows, placeholder=zeros & ~valid & ~present, guesses=guesses)


def _coordinate_pairs(raw: _Raw, roles: dict[str, str], crs: object | None) -> list[_Pair]:
    decimal = raw.info.get("decimal")
    decimal = None if decimal in (None, ".") else decimal
    pairs = [p for a, b in _COORD_ROLES if (p := _pair(raw.data, roles, a, b, decimal, crs)) is not None]
    if "gps" in roles:
        pairs.append(_gps_pair(raw.data, roles["gps"], crs))
    return pairs


def _pair(raw: pd.DataFrame, cols: dict[str, str], first: str, second: str,
          decimal: str | None, crs: object | None) -> _Pair | None:
    if first not in cols or second not in cols:
        return None
    ca, cb = cols[first], cols[second]
    a = parse_numbers(raw[ca], decimal=decimal)
    b = parse_numbers(raw[cb], decimal=decimal)
    a, b = _with_degrees(a, raw[ca]), _with_degrees(b, raw[cb])
    present = np.ones(len(a), dtype=bool)  # rows with two numbers certainly have text
    bad = np.flatnonzero(~(np.isfinite(a) & np.isfinite(b)))
    if len(bad):
        present[bad] = _has_text(raw[ca].iloc[bad]) | _has_text(raw[cb].iloc[bad])
    return _Pair(a, b, present, (ca, cb), crs)


def _with_degrees(values: np.ndarray, text: pd.Series) -> np.ndarray:
    """``values`` with the cells written in degrees, minutes and seconds (59°21'36"N: a GPS's
    way) read too."""
    bad = np.flatnonzero(~np.isfinite(values))
    if not bad.size:
        return values
    dms = parse_degrees(text.iloc[bad])
    found = np.isfinite(dms)
    if not found.any():
        return values
    out = values.copy()
    out[bad[found]] = dms[found]
    return out


def _gps_pair(raw: pd.DataFrame, col: str, crs: object | None = None) -> _Pair:
    """The police feed's ``"lat,lon"`` text → (lon, lat); WGS84 unless ``crs`` is given or the
    values are metres ("6583496, 620743": a "Koordinater" column of SWEREF 99 TM), whose
    CRS is then recognised from the values."""
    arr = pc.fill_null(as_text_array(raw[col]), "")
    ex = pc.extract_regex(pc.utf8_trim_whitespace(arr),
                          r"^(?P<lat>[-+]?\d+(?:\.\d+)?)\s*[,; ]\s*(?P<lon>[-+]?\d+(?:\.\d+)?)$")
    lat = parse_numbers(pc.struct_field(ex, [0]), decimal=".")
    lon = parse_numbers(pc.struct_field(ex, [1]), decimal=".")
    miss = ~(np.isfinite(lat) & np.isfinite(lon))
    if miss.any():
        # other spellings: "(59.33, 18.06)", "N 59.33 E 18.06", "POINT (18.06 59.33)" (the
        # axis order is decided per row by value), decimal commas "59,33, 18,06" / "59,33;18,06"
        idx = np.flatnonzero(miss)
        sub = pc.utf8_lower(pc.take(arr, pa.array(idx)))
        sub = pc.utf8_trim_whitespace(pc.replace_substring_regex(sub, r"[^0-9.,;+\- ]+", " "))
        num = r"[-+]?\d+(?:[.,]\d+)?"
        ex2 = pc.extract_regex(sub, r"^(?P<a>[-+]?\d+(?:\.\d+)?)\s*[,; ]\s*(?P<b>[-+]?\d+(?:\.\d+)?)$")
        a = parse_numbers(pc.struct_field(ex2, [0]), decimal=".")
        b = parse_numbers(pc.struct_field(ex2, [1]), decimal=".")
        ex3 = pc.extract_regex(sub, f"^(?P<a>{num})\\s*(?:;|,\\s+|\\s+)\\s*(?P<b>{num})$")
        a3 = parse_numbers(pc.replace_substring(pc.struct_field(ex3, [0]), ",", "."), decimal=".")
        b3 = parse_numbers(pc.replace_substring(pc.struct_field(ex3, [1]), ",", "."), decimal=".")
        use3 = ~(np.isfinite(a) & np.isfinite(b))
        a, b = np.where(use3, a3, a), np.where(use3, b3, b)
        lat[idx], lon[idx] = a, b
    present = np.asarray(pc.not_equal(pc.utf8_trim_whitespace(arr), "").to_numpy(zero_copy_only=False), dtype=bool)
    if crs is None:
        fin = np.isfinite(lat) & np.isfinite(lon)
        degrees = not fin.any() or max(float(np.abs(lat[fin]).max()), float(np.abs(lon[fin]).max())) <= 180
        crs = "EPSG:4326" if degrees else None
    return _Pair(lon, lat, present, (col, col), crs)


def _geometry_pair(geometry: gpd.GeoSeries, raw: _Raw, crs: object | None) -> tuple[_Pair, np.ndarray]:
    """Points of a GIS file's geometry (a point on the surface of other shapes: area rows).

    A MultiPoint of one distinct point is that point. An empty geometry (``POINT EMPTY``)
    counts as no geometry: the row has no location.
    """
    garr = np.asarray(geometry.array, dtype=object)
    # no shape: None, or empty (POINT EMPTY in a GeoPackage or GeoParquet; get_x would raise)
    has_shape = ~np.asarray(shapely.is_missing(garr) | shapely.is_empty(garr), dtype=bool)
    type_id = np.asarray(shapely.get_type_id(garr))
    is_point = has_shape & (type_id == 0)
    rep = garr.copy()
    multi = np.flatnonzero(has_shape & (type_id == 4))
    if len(multi):
        # GIS exports (a MultiPoint layer) wrap single points; repeats of one point are one too
        unique = shapely.extract_unique_points(garr[multi])
        single = np.asarray(shapely.get_num_geometries(unique) == 1, dtype=bool)
        rep[multi[single]] = shapely.get_geometry(unique[single], 0)
        is_point[multi[single]] = True
    other = has_shape & ~is_point
    if other.any():
        rep[other] = shapely.point_on_surface(garr[other])
    rep[~has_shape] = None
    gx = np.asarray(shapely.get_x(rep), dtype="float64")
    gy = np.asarray(shapely.get_y(rep), dtype="float64")
    gcrs: object | None = crs if crs is not None else raw.geometry_epsg
    if crs is None and gcrs == 4326:
        fin = np.isfinite(gx) & np.isfinite(gy)
        if fin.any() and max(np.abs(gx[fin]).max(), np.abs(gy[fin]).max()) > 360:
            # a GeoJSON in metres without a "crs" member: GDAL says WGS84 (the default)
            gcrs = None
            raw.warnings.append(f"{raw.name}: the file says WGS84 (GeoJSON's default) but its coordinates "
                                "are metres; the CRS is recognised from the values instead.")
    # geometry text that is no geometry (a WKT column's "okänt") is coordinates unreadable
    unreadable = raw.info.get("wkt_unreadable")
    present = has_shape if unreadable is None else has_shape | unreadable
    names = ("geometry", "geometry") if "wkt_column" not in raw.info else (raw.info["wkt_column"],) * 2
    pair = _Pair(gx, gy, present, names, gcrs)
    return pair, other


def _transform(a: np.ndarray, b: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lon, lat, easting, northing) of coordinates in ``crs`` (axes put in order first)."""
    x, y, _swapped = orient_axes(a, b)
    if crs == "EPSG:4326":
        east, north = to_sweref(x, y)
        return x, y, east, north
    if crs == "EPSG:3006":
        lon, lat = to_wgs84(x, y, "EPSG:3006")
        return lon, lat, x, y
    lon, lat = to_wgs84(x, y, crs)
    east, north = to_sweref(lon, lat)
    return lon, lat, east, north


def _rows_in_another_crs(raw: _Raw, pair: _Pair, used: str, outside: np.ndarray) -> list[str]:
    """A note when rows outside Sweden in the file's CRS fit another Swedish CRS: the file
    mixes coordinate systems (an RT90 row in a SWEREF 99 TM export, a lat/lon typed by
    hand). They stay rejected as 'outside Sweden'; the note says what they look like."""
    idx = np.flatnonzero(outside & np.isfinite(pair.a) & np.isfinite(pair.b))
    if not len(idx):
        return []
    x, y, _ = orient_axes(pair.a[idx], pair.b[idx])
    fits: list[str] = []
    for key, label in CRS_RANGE_LABELS.items():
        if key == used:
            continue
        m = fits_range(x, y, key)
        if m.any():
            rows = raw.source_row[idx[m]]
            fits.append(f"{label} ({len(rows)} row(s): {', '.join(str(r) for r in rows[:5])}"
                        f"{' …' if len(rows) > 5 else ''})")
    if not fits:
        return []
    return [f"{raw.name}: {len(idx)} row(s) lie outside Sweden read as {CRS_RANGE_LABELS.get(used, used)} like "
            "the rest of the file, "
            f"but fit {'; '.join(fits)}: the file mixes coordinate systems. They are rejected as "
            "'outside Sweden'; correct them in the source, or put them in a file of their own "
            "(read with --crs / crs= when needed)."]


def _crs_warnings(name: str, pairs: list[_Pair], guesses: list[tuple[tuple[str, str], CRSGuess]],
                  outside_n: int) -> list[str]:
    out: list[str] = []
    for pair, (names, g) in zip(pairs, guesses, strict=True):
        if g.crs is None and g.rows:
            ok = np.flatnonzero(np.isfinite(pair.a) & np.isfinite(pair.b))
            out.append(
                f"{name}: {'/'.join(dict.fromkeys(names))}: {g.rows} row(s) hold numbers that fit no "
                f"Swedish CRS (WGS84, SWEREF 99 TM, a SWEREF 99 local zone, RT90), e.g. "
                f"({pair.a[ok[0]]:g}, {pair.b[ok[0]]:g}); they cannot be placed by these coordinates. "
                "If they are in another CRS (e.g. Web Mercator), name it with crs= (--crs 3857).")
    for names, g in guesses:
        if g.named and " Warning: the values look like " in g.note:
            seen = g.note.split(" Warning: the values look like ", 1)[1].split(", not ", 1)[0]
            out.append(
                f"{name}: {'/'.join(dict.fromkeys(names))}: the CRS was given as {g.crs}, but the values "
                f"look like {seen}; {outside_n} row(s) fall outside Sweden. Check the CRS: leave "
                f"crs= (--crs) out to have it recognised, or name the right one.")
    return out


# --------------------------------------------------------------------------- 6. every row decided


def _location_text(raw: _Raw, roles: dict[str, str]) -> pd.Series:
    """The address, else the place name (for geocoding); NA where neither."""
    text = _str_series(pa.nulls(raw.n, _TEXT))
    if "address" in roles:
        text = _text(raw.data[roles["address"]])
        if "house_number" in roles:
            text = _with_house_numbers(raw, text, roles)
    if "place" in roles:
        text = text.fillna(_text(raw.data[roles["place"]]))
    return text


def _with_house_numbers(raw: _Raw, street: pd.Series, roles: dict[str, str]) -> pd.Series:
    """"Storgatan" + "12 B" → "Storgatan 12 B": a street and its number in columns of their own
    (an export of Lantmäteriet's address fields). A street text that already ends in a number
    keeps it; a number without a street is not an address."""
    number = _text(raw.data[roles["house_number"]]).str.replace(r"\.0$", "", regex=True)  # Excel's 12.0
    join = street.notna() & number.notna() & ~street.str.contains(r"\d\s*[A-Za-zÅÄÖåäö]?\s*$", regex=True,
                                                                   na=False)
    n = int(join.sum())
    if n:
        raw.warnings.append(f"{raw.name}: the house numbers in {roles['house_number']!r} were joined to the streets "
                            f"in {roles['address']!r} for geocoding ({n} row(s), e.g. "
                            f"{(street[join].iloc[0] + ' ' + number[join].iloc[0])!r}).")
    return street.mask(join, street + " " + number)


#: Why a row is rejected, by code (0: it is not).
_REJECT_CODES = ("", "missing time", "unparseable time", "date out of range", "outside Sweden",
                 "outside boundary", "unparseable coordinates", "no location", "totals row", "unknown CRS")


@dataclass(frozen=True)
class _Decision:
    reason: np.ndarray  # int8 index into _REJECT_CODES
    placed: np.ndarray
    pending: np.ndarray
    rejected: np.ndarray

    def reasons(self) -> np.ndarray:
        """The reason of each rejected row, as text."""
        return np.asarray(_REJECT_CODES, dtype=object)[self.reason[self.rejected]]


def _decide(raw: _Raw, times: _Times, coords: _Coordinates, location_text: pd.Series) -> _Decision:
    """Placed, pending or rejected (with the first reason that applies) for every row."""
    reason = np.zeros(raw.n, dtype=np.int8)
    bad_time = ~times.ok
    reason[bad_time & (times.status == 1)] = 1  # missing time
    reason[bad_time & (times.status == 2)] = 2  # unparseable time
    reason[bad_time & (times.status == 3)] = 3  # date out of range
    undecided = ~bad_time
    placed = undecided & coords.in_sweden & coords.in_boundary
    reason[undecided & coords.valid & ~coords.in_sweden] = 4  # outside Sweden
    reason[undecided & coords.in_sweden & ~coords.in_boundary] = 5  # outside boundary
    rest = undecided & ~coords.valid
    has_text = location_text.notna().to_numpy(dtype=bool)
    pending = rest & has_text
    reason[rest & ~has_text & coords.present] = 6  # unparseable coordinates
    reason[rest & ~has_text & coords.numeric] = 9  # numbers, but in no CRS recognised (crs= names it)
    reason[rest & ~has_text & ~coords.present] = 7  # no location
    totals = raw.info.get("totals_row")
    if totals is not None and totals.any():  # a totals row of an aggregated table: counted once, rejected
        reason[totals] = 8
        placed, pending = placed & ~totals, pending & ~totals
    footers = _footer_rows(raw, np.flatnonzero((reason == 1) | (reason == 2) | (reason == 7)))
    if footers.size:  # "Summa" or "Antal rader: 412" under a list: said as what it is
        reason[footers] = 8
        shown = ", ".join(f"row {r}" for r in raw.source_row[footers][:3].tolist())
        raw.warnings.append(f"{raw.name}: {footers.size} row(s) under or within the list say they are a total or "
                            f"a count of the rows ({shown}{', ...' if footers.size > 3 else ''}), not an "
                            "incident: rejected as 'totals row'.")
    fell_back = int((pending & coords.present).sum())
    if fell_back:
        raw.warnings.append(f"{raw.name}: {fell_back} rows with unusable coordinates but an address or place "
                            "name were kept for geocoding.")
    zeros = rest & coords.placeholder
    if zeros.any():
        kept = int((zeros & has_text).sum())
        raw.warnings.append(f"{raw.name}: {int(zeros.sum())} row(s) have the coordinates (0, 0), the usual stand-in "
                            f"for a missing position, and are read as having none: {kept} kept for geocoding by "
                            f"their address or place name, {int(zeros.sum()) - kept} rejected as 'no location'.")
    return _Decision(reason=reason, placed=placed, pending=pending, rejected=reason != 0)


# --------------------------------------------------------------------------- 7. the result


def _incident_frame(raw: _Raw, roles: dict[str, str], times: _Times, categories: _Categories,
                    coords: _Coordinates, decision: _Decision, location_text: pd.Series,
                    settings: Settings) -> pd.DataFrame:
    """Every row in the canonical columns (coordinates only on placed rows); other columns ride along."""
    n = raw.n
    precision = np.zeros(n, dtype=np.int8)  # index into _PRECISION_CODES
    precision[coords.area_rows] = 1
    police = times.police
    if police is not None:
        # a kommun's or a län's centre: the row is at that level, never a point
        precision[:] = np.where(police.precision.to_numpy(dtype=object) == "lan", 4, 3)
        location_text = police.location_text
    precision[decision.pending] = 2
    lon, lat, east, north = coords.lon, coords.lat, coords.east, coords.north
    for values in (lon, lat, east, north):  # in place: four arrays of n floats are not copied
        values[~decision.placed] = np.nan
    precision_text = _repeat_text(_PRECISION_CODES, precision)
    remember_text_codes(precision_text, precision, _PRECISION_CODES)  # later steps use the codes
    columns_out: dict[str, Any] = {
        "incident_id": _incident_ids(raw, roles),
        "occurred_at": times.occurred.reset_index(drop=True),
        "category": categories.category,
        "category_raw": categories.raw,
        "lat": lat, "lon": lon, "easting": east, "northing": north,
        "precision": precision_text,
        "location_text": location_text,
        "cell": _cells(lat, lon, decision.placed & (precision == 0), settings.resolution),
        "source": _repeat_text([raw.name], np.zeros(n, dtype=np.int8)),
        "source_row": raw.source_row,
    }
    for c in raw.columns:  # other source columns ride along
        columns_out[f"source_{c}" if c in INCIDENT_COLUMNS else c] = raw.data[c]
    if police is not None:  # the feed's derived fields: publication time, kommun and län codes
        columns_out.update(police.extra)
    month_only, day_only = raw.info.get("month_only"), raw.info.get("day_only")
    if (month_only is not None and month_only.any()) or (day_only is not None and day_only.any()):
        # a month as the date: no weekday, no hour; a date without a time: no hour
        codes = np.zeros(n, dtype=np.int8)
        if day_only is not None:
            codes[day_only] = 1
        if month_only is not None:
            codes[month_only] = 2
        columns_out[DATE_PRECISION] = pd.Series(np.asarray([None, "day", "month"], dtype=object)[codes],
                                                dtype="string")
    return pd.DataFrame(columns_out, copy=False)


def _cells(lat: np.ndarray, lon: np.ndarray, mask: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell of the rows in ``mask`` (0 elsewhere)."""
    if mask.all():  # every row: no gathers; h3ronpy spreads a million points over the cores
        return points_to_cells(lat, lon, resolution)
    cells = np.zeros(len(lat), dtype=np.uint64)
    if mask.any():
        idx = np.flatnonzero(mask)
        cells[idx] = points_to_cells(lat[idx], lon[idx], resolution)
    return cells


def _incident_ids(raw: _Raw, roles: dict[str, str]) -> pd.Series:
    """The id column as given, ``<source>:<row>`` where it is empty or missing; ``#k`` added
    for the k-th incident of a row that counts several (a count column)."""
    if "id" not in roles:
        ids = _str_series(pc.binary_join_element_wise(
            pa.scalar(f"{raw.name}:", _TEXT), pc.cast(pa.array(raw.source_row), _TEXT), pa.scalar("", _TEXT)))
    else:
        ids = raw.data[roles["id"]].astype("string")  # as given (no copy for text columns)
        no_id = ids.isna().to_numpy(dtype=bool)
        if no_id.any():
            fallback = pd.Series([f"{raw.name}:{r}" for r in raw.source_row[no_id]], index=ids.index[no_id],
                                 dtype="string")
            ids = ids.mask(pd.Series(no_id, index=ids.index), fallback)
    copy = raw.info.get("count_copy")
    if copy is not None and (copy > 0).any():
        many = copy > 0
        ids = ids.copy()
        ids[many] = ids[many] + pd.Series([f"#{k}" for k in copy[many]], index=ids.index[many], dtype="string")
    return ids


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    if mask.all():
        return frame
    if not mask.any():  # no gather over (chunked) columns for an empty part
        return frame.iloc[:0].reset_index(drop=True)
    return frame.loc[mask].reset_index(drop=True)


def _result(raw: _Raw, roles: dict[str, str], frame: pd.DataFrame, decision: _Decision, times: _Times,
            categories: _Categories, coords: _Coordinates) -> ReadResult:
    rejected_m = decision.rejected
    if rejected_m.any():
        rejected = make_rejected(raw.data.loc[rejected_m], decision.reasons(), source=raw.name,
                                 source_row=raw.source_row[rejected_m])
    else:
        rejected = empty_rejected(raw.columns)
    # rejected rows (a totals row, a second header ...) are not unknown categories
    unknown = categories.unknown & pd.Series(~rejected_m, index=categories.unknown.index)
    report = _report(raw, roles, times, coords, unknown, categories.raw)
    return ReadResult(placed=_rows(frame, decision.placed), pending=_rows(frame, decision.pending),
                      rejected=rejected, report=report)


def _report(raw: _Raw, roles: dict[str, str], times: _Times, coords: _Coordinates, unknown: pd.Series,
            category_raw: pd.Series) -> dict[str, Any]:
    """What was read and detected; the counts are filled in by ``with_counts``."""
    unknown_counts: dict[str, int] = {}
    if unknown.any():
        vc = category_raw[unknown.to_numpy(dtype=bool)].fillna("").value_counts()
        unknown_counts = {str(k): int(v) for k, v in vc.items()}
    guesses, info = coords.guesses, raw.info
    first_guess = guesses[0][1] if guesses else None
    return {
        "source": raw.name,
        "format": info["format"],
        "police_feed": raw.police,
        "month_only": int(np.count_nonzero(raw.info["month_only"])) if raw.info.get("month_only") is not None else 0,
        "wkt_column": info.get("wkt_column"),
        "rows_read": raw.n,
        **({"count_column": dict(info["count_column"])} if "count_column" in info else {}),
        "placed": 0, "pending": 0, "rejected": 0,
        "by_precision": {},
        "rejected_by_reason": {},
        "crs_detected": first_guess.crs if first_guess else None,
        "crs_note": "; ".join(f"{'/'.join(dict.fromkeys(nm))}: {g.note}" for nm, g in guesses),
        "crs_by_columns": {"/".join(dict.fromkeys(nm)): g.crs for nm, g in guesses},
        "axes_swapped": bool(first_guess.swapped) if first_guess else False,
        "swapped_rows": int(sum(g.swapped_rows for _, g in guesses)),
        "encoding": info.get("encoding"),
        "redecoded_rows": [int(r) for r in info.get("redecoded_rows") or []],
        "line_endings": info.get("line_endings"),
        "delimiter": info.get("delimiter"),
        "decimal": info.get("decimal"),
        "sheet": info.get("sheet"),
        "layer": info.get("layer"),
        "header_row": info.get("header_row"),
        "columns_used": dict(roles),
        "unknown_categories": unknown_counts,
        "unknown_category_rows": int(unknown.sum()),
        "time": {k: int(v) for k, v in times.counts.items()},
        "time_optional": times.optional,
        "coordinates_zero": coords.zero_rows,
        "geocoded_by_tier": {},
        "match_rate": None,
        "warnings": raw.warnings,
    }


# --------------------------------------------------------------------------- text columns in Arrow


def _clean_pa(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column as trimmed Arrow text, null where empty."""
    a = pc.utf8_trim_whitespace(pc.cast(as_text_chunks(s), _TEXT))
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, _TEXT), a)


def _has_text(s: pd.Series) -> np.ndarray:
    """True where a cell holds something other than whitespace."""
    a = as_text_array(s)
    some = pc.and_(pc.greater(pc.utf8_length(a), 0), pc.invert(pc.utf8_is_space(a)))
    return np.asarray(pc.fill_null(some, False).to_numpy(zero_copy_only=False), dtype=bool)


def _str_series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Arrow text → pandas ``string`` Series (RangeIndex), without a copy."""
    out = arr.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow"),
                                      pa.large_string(): pd.StringDtype("pyarrow")}.get)
    return pd.Series(out, copy=False).reset_index(drop=True)


def _text(s: pd.Series) -> pd.Series:
    """A column as trimmed text (``string`` dtype, NA for empty)."""
    return _str_series(_clean_pa(s))


#: Rows per chunk of a column that holds one value everywhere (every chunk shares its buffers).
_REPEAT_CHUNK = 65_536


def _repeat_text(values: Sequence[str], codes: np.ndarray) -> pd.Series:
    """``values[codes]`` as a ``string`` Series, built in Arrow."""
    n = len(codes)
    if n and int(codes.min()) == int(codes.max()):
        # one value everywhere (a file's source name, all-"point" precision): one chunk of
        # a repeated byte string and an arithmetic offset column, used for every part of
        # the column (Arrow arrays are immutable, so the chunks may share their buffers)
        word = str(values[int(codes[0])]).encode("utf-8")
        m = min(n, _REPEAT_CHUNK)
        if len(word) * m < 2**31 - 1:
            offsets = np.arange(0, (m + 1) * len(word), len(word) or 1, dtype=np.int64)[: m + 1]
            if not word:
                offsets = np.zeros(m + 1, dtype=np.int64)
            chunk = pa.LargeStringArray.from_buffers(m, pa.py_buffer(offsets), pa.py_buffer(word * m))
            whole, rest = divmod(n, m)
            return _str_series(pa.chunked_array([chunk] * whole + ([chunk.slice(0, rest)] if rest else []),
                                                type=_TEXT))
    return _str_series(pc.take(pa.array(list(values), type=_TEXT), pa.array(codes)))
