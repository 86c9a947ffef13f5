"""Reading incident data as it really arrives.

Two public layers:

- :func:`read_table` opens any supported file and returns the **raw** table
  (text kept as text, leading zeros kept) plus an ``info`` dict saying how it
  was read (format, encoding, delimiter, decimal mark, sheet, header row, the
  source row number of every row). Other readers (gazetteer, districts) build on it.
- :func:`read_incidents` turns a table of incidents into the canonical incident
  table (see ``docs/data-contracts.md``): placed rows, rows pending geocoding,
  rejected rows with a reason, and a report. Every row is accounted for.

Column recognition lives in :mod:`lagesbild_geo._columns` and is re-exported
here (:func:`find_column`, :data:`INCIDENT_ALIASES`).
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._columns import INCIDENT_ALIASES, find_column, find_columns, normalise_aliases
from .errors import InputError
from .schema import fold

__all__ = [
    "INCIDENT_ALIASES",
    "find_column",
    "find_columns",
    "parse_numbers",
    "read_table",
]

SourceLike = str | os.PathLike[str] | pd.DataFrame

_CSV_EXT = {".csv", ".txt", ".tsv", ".tab", ".dat"}
_EXCEL_EXT = {".xlsx", ".xlsm"}
_GEO_EXT = {".geojson", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".zip"}
_PARQUET_EXT = {".parquet", ".geoparquet", ".pq"}
_DELIMITERS = (";", "\t", ",", "|")
_HEADER_SCAN = 30
_NUMERIC_LIKE = re.compile(r"^[-+]?\d[\d\s.,:/\-T+]*$")


# --------------------------------------------------------------------------- helpers


def _name(source: object) -> str:
    return Path(str(source)).name if not isinstance(source, pd.DataFrame) else "<DataFrame>"


def _hint_set(columns_hint: Iterable[str] | None) -> set[str]:
    if columns_hint is None:
        names = [a for tiers in INCIDENT_ALIASES.values() for tier in tiers for a in tier]
    else:
        names = list(columns_hint)
    return {a for tier in normalise_aliases(names) for a in tier}


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _find_header(rows: Sequence[Sequence[object]], hint: set[str]) -> int:
    """Index of the header row among the first rows of a sheet/CSV.

    The header is the row with the most cells that are known column names
    (``hint``); when none has any, the first row that is at least half as wide
    as the widest row and holds only text (no numbers, dates or times).
    """
    scan = list(rows[:_HEADER_SCAN])
    if not scan:
        return 0
    widths = [sum(not _is_blank(v) for v in r) for r in scan]
    wmax = max(widths) if widths else 0

    def texty(r: Sequence[object]) -> bool:
        vals = [v for v in r if not _is_blank(v)]
        return bool(vals) and all(isinstance(v, str) and not _NUMERIC_LIKE.match(v.strip()) for v in vals)

    best, best_score = -1, 0
    for i, r in enumerate(scan):
        if not texty(r) or widths[i] < max(1, math.ceil(wmax * 0.5)):
            continue
        score = sum(1 for v in r if isinstance(v, str) and fold(v) in hint)
        if score > best_score:
            best, best_score = i, score
    if best >= 0:
        return best
    for i, r in enumerate(scan):
        if texty(r) and widths[i] >= max(1, math.ceil(wmax * 0.5)):
            return i
    return 0


def _unique_names(header: Sequence[object]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        base = "" if _is_blank(h) else str(h).strip()
        if not base:
            base = f"column_{i + 1}"
        name = base
        k = seen.get(base, 0)
        while name in seen:
            k += 1
            name = f"{base}.{k}"
        seen[base] = k
        seen.setdefault(name, 0)
        names.append(name)
    return names


def _sniff_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        if ext in _EXCEL_EXT or ext not in _GEO_EXT:
            return "excel"
        return "geo"
    if head.startswith(b"SQLite format 3"):
        return "geo"
    if head.startswith(b"PAR1"):
        return "parquet"
    if ext in _EXCEL_EXT:
        return "excel"  # not a zip: reported as corrupt by the Excel reader
    if ext == ".xls":
        return "xls"
    if ext in _PARQUET_EXT:
        return "parquet"
    if ext in (".gpkg", ".shp", ".fgb"):
        return "geo"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in (".json", ".geojson") or stripped[:1] in (b"[", b"{"):
        return "json"
    if ext in _GEO_EXT:
        return "geo"
    return "csv"


# --------------------------------------------------------------------------- CSV


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of CSV bytes: UTF-8 (with/without BOM), UTF-16 with BOM, cp1252, latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise InputError(
            f"{name} looks like a binary file, not a text/CSV table (it contains NUL bytes). "
            "Export the data as CSV (UTF-8) or .xlsx and read that file."
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_key = ",", (0, 0)
    for delim in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        vals, freq = np.unique(np.array(counts), return_counts=True)
        ok = vals > 1
        if not ok.any():
            continue
        # the most frequent field count above 1, and how many lines have it
        i = int(np.argmax(np.where(ok, freq, -1)))
        key = (int(freq[i]), int(vals[i]))
        if key > best_key:
            best, best_key = delim, key
    return best


_DEC_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_DEC_POINT = re.compile(r"^\s*[-+]?\d+\.\d+\s*$")
_THOUSANDS_SPACE = re.compile(r"^\s*[-+]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?\s*$")


def _sniff_decimal(rows: Sequence[Sequence[str]], delimiter: str) -> tuple[str, str | None]:
    comma = point = spaces = 0
    for r in rows:
        for v in r:
            if not v:
                continue
            if delimiter != "," and _DEC_COMMA.match(v):
                comma += 1
            elif _DEC_POINT.match(v):
                point += 1
            if _THOUSANDS_SPACE.match(v):
                spaces += 1
    return ("," if comma > point else "."), (" " if spaces else None)


def _read_csv(path: Path, data: bytes, name: str, hint: set[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    text, encoding = _decode(data, name)
    if not text.strip():
        raise InputError(f"{name} is empty (no rows). Export the table again with a header row and data.")
    sample = text[:200_000]
    lines = sample.splitlines()[:200]
    if len(text) > len(sample) and lines:
        lines = lines[:-1]  # the last sampled line may be cut
    delimiter = _sniff_delimiter([ln for ln in lines if ln.strip()][:60])
    rows = list(csv.reader(lines, delimiter=delimiter))
    h = _find_header(rows, hint)
    header = rows[h] if rows else []
    # Physical line of the header (1-based): the csv rows and lines agree up to
    # the header unless a title row holds a quoted newline (not seen in practice).
    header_line = h + 1
    decimal, thousands = _sniff_decimal(rows[h + 1:], delimiter)
    names = _unique_names(header)
    ncol = len(names)
    # Offset of the first data line in the text (cheap: only the first lines are scanned).
    offset = 0
    for _ in range(h + 1):
        nl = text.find("\n", offset)
        offset = len(text) if nl < 0 else nl + 1
    body_text = text[offset:]
    del text
    body = body_text.encode("utf-8")
    del body_text
    generated = [f"c{i}" for i in range(ncol)]
    table: pa.Table | None = None
    if ncol:
        try:
            table = pacsv.read_csv(
                pa.BufferReader(body),
                read_options=pacsv.ReadOptions(column_names=generated, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, quote_char='"', double_quote=True,
                    newlines_in_values=b'"' in body, ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(generated, pa.string()),
                    strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = None  # ragged rows: fall back to the csv module below
    used = "pyarrow"
    if table is None:
        used = "python"
        records = list(csv.reader(_io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter))
        width = max([ncol, *(len(r) for r in records)]) if records else ncol
        if width > ncol:
            names = _unique_names([*names, *([""] * (width - ncol))])
            ncol = width
        cols: list[list[str | None]] = [[] for _ in range(ncol)]
        for r in records:
            for j in range(ncol):
                v = r[j] if j < len(r) else ""
                cols[j].append(v if v != "" else None)
        generated = [f"c{i}" for i in range(ncol)]
        table = pa.table({g: pa.array(c, type=pa.string()) for g, c in zip(generated, cols, strict=True)})
    del body
    n = table.num_rows
    source_row = np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    if n and ncol:
        blank = None
        for col in table.columns:
            isnull = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(col), ""), True)
            blank = isnull if blank is None else pc.and_(blank, isnull)
        if blank is not None and pc.any(blank).as_py():
            keep = pc.invert(blank)
            table = table.filter(keep)
            source_row = source_row[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
    df = table.rename_columns(names).to_pandas() if ncol else pd.DataFrame(index=range(0))
    info: dict[str, Any] = {
        "format": "csv", "encoding": encoding, "delimiter": delimiter, "decimal": decimal,
        "thousands": thousands, "sheet": None, "layer": None, "header_row": header_line,
        "parser": used,
    }
    return df, {**info, "source_row": source_row}


# --------------------------------------------------------------------------- Excel


def _cell_text(v: object) -> str | None:
    import datetime as _dt

    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):  # a duration-formatted time of day
        total = round(v.total_seconds())
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return str(v)


def _read_excel(
    path: Path, name: str, sheet: str | int | None, hint: set[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"{name} cannot be opened as an Excel .xlsx workbook ({type(exc).__name__}: {exc}). "
            "The file is corrupt or not really .xlsx: open it in Excel and save it again as "
            ".xlsx, or export it as CSV."
        ) from None
    try:
        names = list(wb.sheetnames)
        warnings: list[str] = []
        if sheet is not None:
            if isinstance(sheet, int) and not isinstance(sheet, bool):
                if not 0 <= sheet < len(names):
                    raise InputError(
                        f"{name} has no sheet number {sheet} (sheets are numbered from 0); "
                        f"its sheets are {names}. Choose one with sheet=."
                    )
                chosen = names[sheet]
            else:
                match = [s for s in names if s == str(sheet)] or [s for s in names if fold(s) == fold(sheet)]
                if not match:
                    raise InputError(
                        f"{name} has no sheet {sheet!r}; its sheets are {names}. Choose one with sheet=."
                    )
                chosen = match[0]
            candidates = [chosen]
        else:
            candidates = names
        best: tuple[int, int, str, list[tuple[object, ...]]] | None = None
        for sname in candidates:
            ws = wb[sname]
            rows = [tuple(r) for r in ws.iter_rows(min_row=1, values_only=True)]
            top = [[_cell_text(v) for v in r] for r in rows[:_HEADER_SCAN]]
            h = _find_header(top, hint)
            score = sum(1 for v in (top[h] if top else []) if v and fold(v) in hint)
            nonempty = sum(1 for r in rows if any(not _is_blank(v) for v in r))
            key = (score, 1 if nonempty > 1 else 0)
            if best is None or key > (best[0], best[1]):
                best = (key[0], key[1], sname, rows)
            if sheet is None and len(candidates) > 1 and key[0] >= 2:
                break
        if best is None:
            raise InputError(f"{name} has no sheets. Open it in Excel and save it again.")
        chosen, rows = best[2], best[3]
        if sheet is None and len(names) > 1:
            warnings.append(f"{name}: read sheet {chosen!r} of {names} (choose another with sheet=).")
    finally:
        wb.close()
    text_rows = [[_cell_text(v) for v in r] for r in rows]
    if not any(any(v is not None for v in r) for r in text_rows):
        raise InputError(
            f"Sheet {chosen!r} of {name} is empty. Choose the sheet with the data with sheet= "
            f"(sheets: {names})."
        )
    h = _find_header(text_rows, hint)
    header = text_rows[h]
    body = text_rows[h + 1:]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    # drop trailing columns that are empty everywhere
    while width > 0 and (width > len(header) or _is_blank(header[width - 1])) and all(
        len(r) < width or r[width - 1] is None for r in body
    ):
        width -= 1
    cols = _unique_names([*(header[:width]), *([""] * max(0, width - len(header)))])
    src = np.arange(h + 2, h + 2 + len(body), dtype=np.int64)
    keep = np.array([any(v is not None for v in r[:width]) for r in body], dtype=bool)
    data = {c: pd.array([(r[j] if j < len(r) else None) for r, k in zip(body, keep, strict=True) if k],
                        dtype="str")
            for j, c in enumerate(cols)}
    df = pd.DataFrame(data, columns=cols)
    info = {
        "format": "excel", "encoding": None, "delimiter": None, "decimal": ".", "thousands": None,
        "sheet": chosen, "sheets": names, "layer": None, "header_row": h + 1,
        "source_row": src[keep], "warnings": warnings,
    }
    return df, info


# --------------------------------------------------------------------------- JSON / geo


def _flatten_records(records: list[Any], name: str) -> pd.DataFrame:
    if not all(isinstance(r, dict) for r in records):
        raise InputError(f"{name} is a JSON list but not a list of objects (records); cannot read it as a table.")
    flat: list[dict[str, Any]] = []
    for r in records:
        row: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    row[f"{k}.{k2}"] = v2
            else:
                row[k] = v
        flat.append(row)
    cols = list(dict.fromkeys(k for r in flat for k in r))
    data = {}
    for c in cols:
        vals = [r.get(c) for r in flat]
        data[c] = pd.array([None if v is None else (v if isinstance(v, str) else
                                                    json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict))
                                                    else str(v)) for v in vals], dtype="str")
    return pd.DataFrame(data, columns=cols)


def _read_json(path: Path, data: bytes, name: str, layer: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    text, encoding = _decode(data, name)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON ({exc}). Check that the file is complete.") from None
    if isinstance(obj, dict) and obj.get("type") in ("FeatureCollection", "Feature"):
        return _read_geo(path, name, layer)
    if isinstance(obj, dict):
        lists = [k for k, v in obj.items() if isinstance(v, list)]
        if len(lists) == 1:
            obj = obj[lists[0]]
    if not isinstance(obj, list):
        raise InputError(
            f"{name} is JSON but neither GeoJSON nor a list of records (such as the police events "
            "feed). Convert it to CSV or GeoJSON."
        )
    df = _flatten_records(obj, name)
    police = {"datetime", "type", "location.gps"} <= set(df.columns)
    info = {
        "format": "police_json" if police else "json", "encoding": encoding, "delimiter": None,
        "decimal": ".", "thousands": None, "sheet": None, "layer": None, "header_row": None,
        "source_row": np.arange(1, len(df) + 1, dtype=np.int64),
    }
    return df, info


def _read_geo(path: Path, name: str, layer: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    warnings: list[str] = []
    try:
        layers = [str(x[0]) for x in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(
            f"{name} cannot be opened as a GIS file ({exc}). Check that it is a complete GeoJSON, "
            "GeoPackage or Shapefile (with its .shx/.dbf beside it)."
        ) from None
    chosen: str | None = None
    if layer is not None:
        match = [x for x in layers if x == layer] or [x for x in layers if fold(x) == fold(layer)]
        if not match:
            raise InputError(f"{name} has no layer {layer!r}; its layers are {layers}. Choose one with layer=.")
        chosen = match[0]
    elif len(layers) > 1:
        chosen = layers[0]
        warnings.append(f"{name}: read layer {chosen!r} of {layers} (choose another with layer=).")
    try:
        gdf = gpd.read_file(path, layer=chosen, engine="pyogrio")
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{name} cannot be read as a GIS layer ({exc}).") from None
    fmt = {".gpkg": "gpkg", ".shp": "shapefile", ".geojson": "geojson", ".json": "geojson",
           ".fgb": "flatgeobuf"}.get(path.suffix.lower(), "gis")
    info = {
        "format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "thousands": None,
        "sheet": None, "layer": chosen if chosen is not None else (layers[0] if layers else None),
        "layers": layers, "header_row": None, "crs": None if gdf.crs is None else gdf.crs.to_string(),
        "source_row": np.arange(1, len(gdf) + 1, dtype=np.int64), "warnings": warnings,
    }
    return gdf, info


def _read_parquet(path: Path, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    df: pd.DataFrame
    try:
        df = gpd.read_parquet(path)
        fmt = "geoparquet"
    except (ValueError, KeyError):
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise InputError(f"{name} cannot be read as Parquet ({exc}).") from None
        fmt = "parquet"
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{name} cannot be read as Parquet ({exc}).") from None
    info = {
        "format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "thousands": None,
        "sheet": None, "layer": None, "header_row": None,
        "crs": getattr(getattr(df, "crs", None), "to_string", lambda: None)(),
        "source_row": np.arange(1, len(df) + 1, dtype=np.int64),
    }
    return df, info


# --------------------------------------------------------------------------- public


def read_table(
    source: SourceLike,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    columns_hint: Iterable[str] | None = None,
) -> tuple[pd.DataFrame | gpd.GeoDataFrame, dict[str, Any]]:
    """Open a table file as it arrives and return its raw rows.

    Formats: CSV/TXT (delimiter ``;`` ``,`` tab or ``|`` sniffed; UTF-8, UTF-8
    with BOM, UTF-16 with BOM, cp1252, latin-1; title rows above the header
    skipped), Excel ``.xlsx`` (sheet chosen by name/number or the first sheet
    with a recognisable header; header found below title rows), GeoJSON,
    GeoPackage (``layer``), Shapefile, FlatGeobuf, GeoParquet/Parquet, the
    police events JSON (``location`` flattened to ``location.name`` and
    ``location.gps``) and other JSON lists of records. A DataFrame is passed
    through (copied).

    CSV, Excel and JSON values are returned **as text** (``str`` dtype, NA for
    empty cells): leading zeros survive, decimal commas are not interpreted
    (``info["decimal"]`` says what was seen; :func:`parse_numbers` converts).
    Excel dates become ISO text (``"2024-03-05 22:15:00"``); Excel numbers
    their plain text (``6580000``, ``59.3``). GIS formats keep their types.
    Rows that are completely empty are dropped.

    Parameters
    ----------
    source
        A path, or a DataFrame.
    sheet
        Excel sheet name (case-insensitive) or 0-based number.
    layer
        Layer of a GeoPackage (or other multi-layer GIS file).
    columns_hint
        Column names expected in the header; they help find the header row
        (and the sheet) when title rows are above it. Default: every incident
        column alias of :data:`INCIDENT_ALIASES`.

    Returns
    -------
    (table, info)
        ``info`` keys: ``format`` (csv, excel, geojson, gpkg, shapefile,
        flatgeobuf, geoparquet, parquet, police_json, json, dataframe),
        ``source`` (file name), ``encoding``, ``delimiter``, ``decimal``,
        ``thousands``, ``sheet``, ``layer``, ``header_row`` (1-based line/row of
        the header, None without one), ``source_row`` (int64 array: for every
        returned row the row number a person sees in the file, header counted;
        for GIS/JSON/Parquet the 1-based feature number), ``warnings`` (list),
        and ``crs`` for GIS formats.

    Raises
    ------
    InputError
        Missing, empty, binary or corrupt file; unknown sheet or layer. The
        message names the file and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes("Ärende;Datum;Lat\\n007;2024-03-05;59,3\\n".encode("cp1252"))
    >>> df, info = read_table(p)
    >>> df["Ärende"].tolist(), info["delimiter"], info["decimal"], info["encoding"]
    (['007'], ';', ',', 'cp1252')
    >>> info["source_row"].tolist()
    [2]
    """
    hint = _hint_set(columns_hint)
    if isinstance(source, pd.DataFrame):
        info: dict[str, Any] = {
            "format": "dataframe", "source": "<DataFrame>", "encoding": None, "delimiter": None,
            "decimal": ".", "thousands": None, "sheet": None, "layer": None, "header_row": None,
            "source_row": np.arange(1, len(source) + 1, dtype=np.int64), "warnings": [],
        }
        return source.copy(), info
    path = Path(source)
    name = path.name
    if not path.exists():
        raise InputError(f"File {path} does not exist. Check the path (and the working directory).")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file. Give the path of the data file inside it.")
    if path.stat().st_size == 0:
        raise InputError(f"{name} is empty (0 bytes). Export the data again.")
    with path.open("rb") as fh:
        head = fh.read(4096)
    fmt = _sniff_format(path, head)
    df: pd.DataFrame
    if fmt == "xls":
        raise InputError(
            f"{name} is an old Excel 97–2003 .xls workbook, which is not supported. "
            "Open it in Excel and save it as .xlsx (or export CSV)."
        )
    if fmt == "excel":
        df, info = _read_excel(path, name, sheet, hint)
    elif fmt == "parquet":
        df, info = _read_parquet(path, name)
    elif fmt == "geo":
        df, info = _read_geo(path, name, layer)
    elif fmt == "json":
        df, info = _read_json(path, path.read_bytes(), name, layer)
    else:
        if head.startswith(b"PK") or head.startswith(b"%PDF") or head.startswith(b"\x89PNG"):
            raise InputError(
                f"{name} is a binary file (zip/PDF/image), not a CSV table. "
                "Export the data as CSV or .xlsx and read that file."
            )
        df, info = _read_csv(path, path.read_bytes(), name, hint)
    if sheet is not None and fmt != "excel":
        info.setdefault("warnings", []).append(f"{name}: sheet={sheet!r} ignored (not an Excel file).")
    info.setdefault("warnings", [])
    info["source"] = name
    if len(df.columns) == 0:
        raise InputError(f"{name} has no columns. Check that the file holds a table with a header row.")
    return df, info


# --------------------------------------------------------------------------- numbers

_NUM_OK = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def parse_numbers(values: pd.Series | pa.Array | pa.ChunkedArray | Sequence[object],
                  *, decimal: str | None = None) -> np.ndarray:
    """Numbers from text as it arrives: decimal comma or point, spaces as
    thousands separators (also non-breaking and thin spaces). Vectorised.

    Parameters
    ----------
    values
        Text (or numbers) to convert.
    decimal
        ``","`` or ``"."``; None accepts both (a comma is taken as the decimal
        mark when the value has no point).

    Returns
    -------
    numpy.ndarray
        float64; NaN where the value is missing or not a number.

    Examples
    --------
    >>> parse_numbers(["59,3", "6 580 000", "17.25", "x", None]).tolist()
    [59.3, 6580000.0, 17.25, nan, nan]
    """
    if isinstance(values, pd.Series):
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype="float64", na_value=np.nan)
        arr = pa.array(values.astype("str"), type=pa.string(), from_pandas=True) if values.dtype != "str" else pa.array(values, from_pandas=True)
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        arr = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                        for v in values], type=pa.string())
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    s = pc.utf8_trim_whitespace(arr)
    s = pc.replace_substring_regex(s, r"[ \x{00a0}\x{202f}']", "")
    if decimal == ",":
        s = pc.replace_substring(s, ",", ".")
    elif decimal is None:
        has_point = pc.match_substring(s, ".")
        s = pc.if_else(has_point, s, pc.replace_substring(s, ",", "."))
    ok = pc.match_substring_regex(s, _NUM_OK)
    s = pc.if_else(ok, s, pa.scalar(None, pa.string()))
    out = pc.cast(s, pa.float64())
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype="float64")
