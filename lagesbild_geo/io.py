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

import contextlib
import csv
import functools
import io as _io
import json
import math
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import polisen
from ._columns import INCIDENT_ALIASES, find_column, find_columns, normalise_aliases
from .crs import CRSGuess, detect_crs, orient_axes, to_sweref, to_wgs84
from .errors import InputError, SchemaError
from .grid import points_to_cells
from .limits import DEFAULT_LIMITS, Limits, cell_too_long, check_table, check_zip, load_json
from .schema import INCIDENT_COLUMNS, fold, map_categories
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


def _sub_header(header: Sequence[object], nxt: Sequence[object] | None) -> list[str | None] | None:
    """The merged header when the row under the header is a second header row, else None.

    A second header row holds only text, at least two cells, and at least one of them
    under a blank header cell (the rest of a merged cell: "Koordinater" over "Lat" "Lon").
    Its cells win over the ones above them; blank ones keep the row above.
    """
    if nxt is None:
        return None
    vals = [v for v in nxt if not _is_blank(v)]
    if len(vals) < 2 or not all(isinstance(v, str) and not _NUMERIC_LIKE.match(v.strip()) for v in vals):
        return None
    under_blank = any(not _is_blank(v) and (j >= len(header) or _is_blank(header[j]))
                      for j, v in enumerate(nxt))
    if not under_blank:
        return None
    width = max(len(header), len(nxt))
    out: list[str | None] = []
    for j in range(width):
        top = header[j] if j < len(header) else None
        low = nxt[j] if j < len(nxt) else None
        out.append(str(low).strip() if not _is_blank(low) else (None if _is_blank(top) else str(top)))
    return out


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


def _duplicate_names(header: Sequence[object], names: Sequence[str]) -> dict[str, list[str]]:
    """Header names used by more than one column → the names they were given (``Datum``, ``Datum.1``)."""
    groups: dict[str, list[str]] = {}
    for h, nm in zip(header, names, strict=False):
        base = "" if _is_blank(h) else str(h).strip()
        if base:
            groups.setdefault(base, []).append(nm)
    return {k: v for k, v in groups.items() if len(v) > 1}


def _sniff_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        if b"application/vnd.oasis.opendocument" in head[:200] or ext in (".ods", ".odt"):
            return "ods"
        if ext in _EXCEL_EXT or ext not in _GEO_EXT:
            return "excel"
        return "geo"
    if head.startswith(b"SQLite format 3"):
        return "geo"
    if head.startswith(b"PAR1"):
        return "parquet"
    if ext in _EXCEL_EXT:
        return "excel"  # not a zip: reported as corrupt by the Excel reader
    low = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ext not in _GEO_EXT and (low.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml"))
                                or b"<html" in low[:300]):
        return "html"
    if ext == ".xls":
        return "xls"
    if ext in (".ods", ".numbers"):
        return "ods"
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
            # each line on its own: an unclosed quote must not swallow the lines after it
            counts = [len(r) for ln in lines for r in csv.reader([ln], delimiter=delim) if r]
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


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _normalise_newlines(data: bytes) -> tuple[bytes, str]:
    """LF line ends for CR-only (classic Mac, Excel for Mac "CSV (Macintosh)") and mixed files.

    Returns the data and what was seen: ``"LF"``, ``"CRLF"``, ``"CR"`` or ``"mixed"``.
    Only ASCII-compatible bytes (UTF-8, cp1252) come here.
    """
    cr = data.count(b"\r")
    if not cr:
        return data, "LF"
    crlf = data.count(b"\r\n")
    if cr == crlf:
        return data, "CRLF"
    lf = data.count(b"\n")
    kind = "CR" if lf == 0 else "mixed"
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"), kind


def _decode_fallback(data: bytes) -> tuple[bytes, str, list[int]]:
    """UTF-8 bytes of data that is not valid UTF-8 as a whole.

    A file without any UTF-8 multi-byte sequence is cp1252 (latin-1 as the last resort).
    A file that has them is mostly UTF-8 with some rows written in cp1252 (an export
    appended to by another program): each line that is not valid UTF-8 is decoded as
    cp1252 on its own. Returns (data, encoding, 1-based numbers of re-decoded lines).
    """
    if _UTF8_MULTIBYTE.search(data) is None:
        try:
            return data.decode("cp1252").encode("utf-8"), "cp1252", []
        except UnicodeDecodeError:
            return data.decode("latin-1").encode("utf-8"), "latin-1", []
    parts = data.split(b"\n")
    redecoded: list[int] = []
    for i, line in enumerate(parts):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            try:
                parts[i] = line.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError:
                parts[i] = line.decode("latin-1").encode("utf-8")
            redecoded.append(i + 1)
    return b"\n".join(parts), "utf-8", redecoded


def _to_utf8(data: bytes, name: str) -> tuple[bytes, str, str, list[int]]:
    """UTF-8 bytes of CSV data with LF line ends, without decoding big UTF-8 files.

    Returns (data, encoding, line ends seen, re-decoded line numbers); see
    :func:`_decode_fallback` for files that mix UTF-8 and cp1252 rows.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data, newlines = _normalise_newlines(data[3:])
        return data, "utf-8-sig", newlines, []  # pyarrow checks it; a failure comes back here
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = _decode(data, name)
        out, newlines = _normalise_newlines(text.encode("utf-8"))
        return out, enc, newlines, []
    if b"\x00" in data[:65536]:
        _decode(data[:65536], name)  # raises the binary-file error
    data, newlines = _normalise_newlines(data)
    head = data[:200_000]
    if len(data) > len(head):
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        fixed, enc, lines = _decode_fallback(data)
        return fixed, enc, newlines, lines
    return data, "utf-8", newlines, []  # pyarrow checks the rest; a failure comes back here


def _arrow_csv(body: memoryview, generated: list[str], delimiter: str, quotes: bool) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),
        read_options=pacsv.ReadOptions(column_names=generated),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True,
            newlines_in_values=quotes, ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(generated, pa.string()),
            strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
        ),
    )


def _data_offset(data: bytes, lines: int) -> int:
    """Byte offset after the first ``lines`` lines (LF line ends)."""
    offset = 0
    for _ in range(lines):
        nl = data.find(b"\n", offset)
        offset = len(data) if nl < 0 else nl + 1
    return offset


def _python_csv(body: bytes, ncol: int, names: list[str], delimiter: str, name: str,
                header_line: int, limits: Limits) -> tuple[pa.Table, list[str]]:
    """Ragged rows (more or fewer fields than the header) with the csv module."""
    reader = csv.reader(_io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    width = ncol
    try:
        for r in reader:
            if len(r) > width:
                width = len(r)
                if width > limits.max_columns:
                    check_table(0, width, name=name, limits=limits)
            records.append(r)
    except csv.Error as exc:  # e.g. a field beyond the csv module's own size limit
        if "field larger than field limit" in str(exc):
            row, column = _unclosed_quote(body, delimiter, names)
            raise cell_too_long(name, header_line + row if row else None, column,
                                csv.field_size_limit(), limits) from None
        raise InputError(f"{name} cannot be read as CSV near line {header_line + reader.line_num} "
                         f"({exc}). Check the quotes (\") in that line, or export the file again."
                         ) from None
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
    return table, names


def _unclosed_quote(body: bytes, delimiter: str, names: list[str]) -> tuple[int | None, str]:
    """(1-based line within ``body``, column name) of the first line with an odd number of
    quotes: where a quoted value that never ends begins. (None, "?") when there is none."""
    for i, line in enumerate(body.split(b"\n"), start=1):
        if line.count(b'"') % 2:
            text = line.decode("utf-8", errors="replace")
            j = text.count(delimiter, 0, text.index('"'))
            return i, names[j] if j < len(names) else f"column_{j + 1}"
    return None, "?"


def _check_cells(table: pa.Table, names: list[str], source_row: np.ndarray, name: str,
                 limits: Limits) -> None:
    """Refuse a cell longer than ``limits.max_cell_chars`` (vectorised per column)."""
    for j in range(table.num_columns):
        col = table.column(j)
        if not pa.types.is_string(col.type) or col.null_count == len(col):
            continue
        lengths = pc.utf8_length(col)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limits.max_cell_chars:
            i = pc.index(pc.greater(lengths, limits.max_cell_chars), True).as_py()
            row = int(source_row[i]) if 0 <= i < len(source_row) else None
            raise cell_too_long(name, row, names[j], int(longest), limits)


def _read_csv(path: Path, data: bytes, name: str, hint: set[str],
              limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    data, encoding, newlines, redecoded = _to_utf8(data, name)
    if not data[:65536].strip() and not data.strip():
        raise InputError(f"{name} is empty (no rows). Export the table again with a header row and data.")
    sample = data[:200_000].decode("utf-8", errors="replace")
    lines = sample.split("\n")[:200]
    if len(data) > 200_000 and lines:
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
    duplicates = _duplicate_names(header, names)
    ncol = len(names)
    check_table(0, ncol, name=name, limits=limits)
    # Byte offset of the first data line (only the first lines are scanned).
    offset = _data_offset(data, h + 1)
    body = memoryview(data)[offset:]
    generated = [f"c{i}" for i in range(ncol)]
    table: pa.Table | None = None
    if ncol:
        try:
            table = _arrow_csv(body, generated, delimiter, data.find(b'"', offset) >= 0)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            if "utf8" in str(exc).lower() and encoding in ("utf-8", "utf-8-sig"):
                # not UTF-8 after all (the first 200 kB were plain ASCII, or a BOM file
                # with some cp1252 rows): cp1252, or line by line for a mixed file
                del body
                data, enc, redecoded = _decode_fallback(data)
                encoding = enc if encoding == "utf-8" else encoding
                offset = _data_offset(data, h + 1)
                body = memoryview(data)[offset:]
                try:
                    table = _arrow_csv(body, generated, delimiter, data.find(b'"', offset) >= 0)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    table = None
            else:
                table = None  # ragged rows: fall back to the csv module below
    used = "pyarrow"
    if table is None:
        used = "python"
        table, names = _python_csv(bytes(body), ncol, names, delimiter, name, header_line, limits)
        ncol = len(names)
    del body
    n = table.num_rows
    check_table(n, ncol, name=name, limits=limits)
    source_row = np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    _check_cells(table, names, source_row, name, limits)
    if n and ncol:
        # rows blank in every column (null or whitespace): test the first column on
        # all rows, the others only on the rows still blank (usually none)
        def blank_of(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
            return np.asarray(pc.fill_null(pc.utf8_is_space(col), True).to_numpy(zero_copy_only=False),
                              dtype=bool)

        cand = np.flatnonzero(blank_of(table.column(0)))
        for j in range(1, ncol):
            if not len(cand):
                break
            cand = cand[blank_of(pc.take(table.column(j), pa.array(cand)))]
        if len(cand):
            keep_np = np.ones(n, dtype=bool)
            keep_np[cand] = False
            table = table.filter(pa.array(keep_np))
            source_row = source_row[keep_np]
    df = table.rename_columns(names).to_pandas() if ncol else pd.DataFrame(index=range(0))
    warnings: list[str] = []
    if newlines in ("CR", "mixed"):
        warnings.append(
            f"{name}: the lines end in CR only (classic Mac, Excel for Mac \"CSV (Macintosh)\")"
            if newlines == "CR" else f"{name}: the file mixes line ends (CR, LF and CR LF)")
        warnings[-1] += "; every line end was read as one."
    if redecoded:
        shown = ", ".join(str(r) for r in redecoded[:20]) + (" …" if len(redecoded) > 20 else "")
        warnings.append(
            f"{name}: {len(redecoded)} line(s) were not valid UTF-8 and were read as cp1252 "
            f"(Windows-1252), the rest of the file as UTF-8: line(s) {shown}. Check å, ä and ö "
            "there; save the file as UTF-8 to avoid this.")
    info: dict[str, Any] = {
        "format": "csv", "encoding": encoding, "delimiter": delimiter, "decimal": decimal,
        "thousands": thousands, "sheet": None, "layer": None, "header_row": header_line,
        "parser": used, "line_endings": newlines, "redecoded_rows": redecoded,
        "duplicate_columns": duplicates, "warnings": warnings,
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


#: A non-empty spreadsheet row: (1-based row number, [(0-based column, text), ...]).
_SparseRow = tuple[int, list[tuple[int, str]]]

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_DATE_FORMAT_IDS = set(range(14, 23)) | {27, 30, 36, 45, 46, 47, 50, 57}
_TIME_ONLY_IDS = {18, 19, 20, 21, 45, 46, 47}


class _Xlsx:
    """A minimal, fast .xlsx cell reader (values as text, like ``_cell_text``).

    openpyxl builds an object per cell and takes seconds for a 10 000-row police
    export; this streams the sheet XML with ElementTree. Anything unusual makes
    it raise, and the caller falls back to openpyxl.
    """

    def __init__(self, path: Path) -> None:
        import xml.etree.ElementTree as ET

        self._ET = ET
        self.zf = zipfile.ZipFile(path)
        names = set(self.zf.namelist())
        wb = ET.fromstring(self.zf.read("xl/workbook.xml"))
        rels = ET.fromstring(self.zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        self.sheets: dict[str, str] = {}
        for sh in wb.iter(f"{_NS_MAIN}sheet"):
            target = targets[sh.get(f"{_NS_REL}id")]
            target = target.lstrip("/")
            if not target.startswith("xl/"):
                target = "xl/" + target
            self.sheets[str(sh.get("name"))] = target
        self.shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(self.zf.read("xl/sharedStrings.xml"))
            for si in root.iter(f"{_NS_MAIN}si"):
                self.shared.append("".join(t.text or "" for t in si.iter(f"{_NS_MAIN}t")))
        self.date_styles: set[int] = set()
        self.time_styles: set[int] = set()
        if "xl/styles.xml" in names:
            st = ET.fromstring(self.zf.read("xl/styles.xml"))
            custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "")
                      for f in st.iter(f"{_NS_MAIN}numFmt")}
            xfs = st.find(f"{_NS_MAIN}cellXfs")
            for i, xf in enumerate(xfs if xfs is not None else []):
                fid = int(xf.get("numFmtId", "0"))
                code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", custom.get(fid, "")).lower()
                is_date = fid in _DATE_FORMAT_IDS or (fid in custom and re.search(r"[dmyhs]", code) is not None)
                if is_date:
                    self.date_styles.add(i)
                    if fid in _TIME_ONLY_IDS or (fid in custom and not re.search(r"[dy]", code)
                                                 and not re.search(r"m{3,}", code)):
                        self.time_styles.add(i)

    def close(self) -> None:
        self.zf.close()

    def rows(self, sheet: str, max_rows: int | None = None) -> list[_SparseRow]:
        """The non-empty rows of a sheet as ``(row number, [(column, text), ...])``.

        Sparse, so a stray cell far away (``XFD1048576``) costs one entry, not a
        million empty rows of 16 384 cells; the sheet's declared dimension is ignored.
        """
        ET = self._ET
        out: list[_SparseRow] = []
        c_tag, v_tag, row_tag, is_tag, t_tag = (f"{_NS_MAIN}c", f"{_NS_MAIN}v", f"{_NS_MAIN}row",
                                               f"{_NS_MAIN}is", f"{_NS_MAIN}t")
        last = 0
        with self.zf.open(self.sheets[sheet]) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                if el.tag != row_tag:
                    continue
                rnum = int(el.get("r", last + 1))
                last = rnum
                cells: list[tuple[int, str]] = []
                col = -1
                for c in el.iter(c_tag):
                    ref = c.get("r")
                    col += 1
                    if ref:
                        col = 0
                        for ch in ref:
                            if ch.isalpha():
                                col = col * 26 + (ord(ch.upper()) - 64)
                            else:
                                break
                        col -= 1
                    v = self._value(c, v_tag, is_tag, t_tag)
                    if v is not None:
                        cells.append((col, v))
                el.clear()
                if cells:
                    out.append((rnum, cells))
                    if max_rows is not None and len(out) >= max_rows:
                        break
        return out

    def _value(self, c: Any, v_tag: str, is_tag: str, t_tag: str) -> str | None:
        t = c.get("t", "n")
        if t == "inlineStr":
            node = c.find(is_tag)
            text = "" if node is None else "".join(x.text or "" for x in node.iter(t_tag))
            return text if text.strip() else None
        v = c.find(v_tag)
        if v is None or v.text is None:
            return None
        raw = v.text
        if t == "s":
            text = self.shared[int(raw)]
            return text if text.strip() else None
        if t in ("str", "e", "d"):
            return raw if raw.strip() else None
        if t == "b":
            return "True" if raw.strip() == "1" else "False"
        number = float(raw)
        style = int(c.get("s", "0"))
        if style in self.date_styles:
            import datetime as _dt

            if style in self.time_styles and number < 1:
                return _cell_text(_dt.time(*_split_day_fraction(number)))
            try:
                moment = _dt.datetime(1899, 12, 30) + _dt.timedelta(seconds=round(number * 86400))
            except (OverflowError, ValueError):  # not a date Excel can show: keep the number
                return _cell_text(number)
            return _cell_text(moment)
        return _cell_text(number)


def _split_day_fraction(fraction: float) -> tuple[int, int, int]:
    total = round(fraction * 86400) % 86400
    return total // 3600, total % 3600 // 60, total % 60


def _dense(rows: Sequence[_SparseRow]) -> list[list[str | None]]:
    """Sparse rows as plain lists (for the few rows scanned for the header)."""
    out: list[list[str | None]] = []
    for _, cells in rows:
        width = max(c for c, _ in cells) + 1 if cells else 0
        r: list[str | None] = [None] * width
        for c, v in cells:
            r[c] = v
        out.append(r)
    return out


def _sheet_score(top: list[_SparseRow], hint: set[str]) -> tuple[int, int]:
    dense = _dense(top)
    h = _find_header(dense, hint)
    score = sum(1 for v in (dense[h] if dense else []) if v and fold(v) in hint)
    return score, 1 if len(top) > 1 else 0


def _read_excel_fast(
    path: Path, name: str, sheet: str | int | None, hint: set[str]
) -> tuple[list[_SparseRow], str, list[str], list[str]]:
    """(sparse rows, chosen sheet, sheet names, warnings) with the fast reader."""
    book = _Xlsx(path)
    try:
        names = list(book.sheets)
        warnings: list[str] = []
        chosen = _choose_sheet(names, name, sheet)
        if chosen is None:
            best: tuple[tuple[int, int], str] | None = None
            for sname in names:
                key = _sheet_score(book.rows(sname, max_rows=_HEADER_SCAN), hint)
                if best is None or key > best[0]:
                    best = (key, sname)
            if best is None:
                raise InputError(f"{name} has no sheets. Open it in Excel and save it again.")
            chosen = best[1]
            if len(names) > 1:
                warnings.append(f"{name}: read sheet {chosen!r} of {names} (choose another with sheet=).")
        rows = book.rows(chosen)
    finally:
        book.close()
    return rows, chosen, names, warnings


def _choose_sheet(names: list[str], name: str, sheet: str | int | None) -> str | None:
    if sheet is None:
        return names[0] if len(names) == 1 else None
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise InputError(
                f"{name} has no sheet number {sheet} (sheets are numbered from 0); "
                f"its sheets are {names}. Choose one with sheet=."
            )
        return names[sheet]
    match = [s for s in names if s == str(sheet)] or [s for s in names if fold(s) == fold(sheet)]
    if not match:
        raise InputError(f"{name} has no sheet {sheet!r}; its sheets are {names}. Choose one with sheet=.")
    return match[0]


def _text_rows_to_frame(
    rows: list[_SparseRow], name: str, chosen: str, names: list[str], hint: set[str],
    warnings: list[str], limits: Limits,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table of a sheet's sparse rows: header found below title rows; the columns
    are those with a header or a value (the sheet's size comes from its data)."""
    if not rows:
        raise InputError(
            f"Sheet {chosen!r} of {name} is empty. Choose the sheet with the data with sheet= "
            f"(sheets: {names})."
        )
    top = _dense(rows[:_HEADER_SCAN])
    h = _find_header(top, hint)
    header: list[str | None] = list(top[h])
    nxt = top[h + 1] if h + 1 < len(top) and rows[h + 1][0] == rows[h][0] + 1 else None
    sub_header = _sub_header(header, nxt)
    if sub_header is not None:  # a two-row header ("Koordinater" merged over "Lat" "Lon")
        header = sub_header
        warnings = [*warnings, f"{name}: the header spans rows {rows[h][0]}–{rows[h][0] + 1} "
                    f"(merged cells); columns read as {[v for v in header if v]}."]
    first = h + (2 if sub_header is not None else 1)
    body = rows[first:]
    used = {j for j, v in enumerate(header) if not _is_blank(v)}
    for _, cells in body:
        used.update(c for c, _ in cells)
    order = sorted(used)
    check_table(len(body), len(order), name=f"{name} (sheet {chosen!r})", limits=limits)
    position = {j: k for k, j in enumerate(order)}
    values: list[list[str | None]] = [[None] * len(body) for _ in order]
    for i, (_, cells) in enumerate(body):
        for c, v in cells:
            values[position[c]][i] = v
    labels = [header[j] if j < len(header) and not _is_blank(header[j]) else f"column_{j + 1}"
              for j in order]
    cols = _unique_names(labels)
    data = {c: pd.array(v, dtype="str") for c, v in zip(cols, values, strict=True)}
    df = pd.DataFrame(data, columns=cols)
    info = {
        "format": "excel", "encoding": None, "delimiter": None, "decimal": ".", "thousands": None,
        "sheet": chosen, "sheets": names, "layer": None, "header_row": rows[h][0],
        "source_row": np.array([r for r, _ in body], dtype=np.int64), "warnings": warnings,
        "duplicate_columns": _duplicate_names(labels, cols),
    }
    return df, info


def _openpyxl_rows(ws: Any, max_rows: int | None = None) -> list[_SparseRow]:
    """Sparse rows of an openpyxl read-only sheet, sized by its data (not its dimension)."""
    with contextlib.suppress(AttributeError):
        ws.reset_dimensions()  # a declared A1:XFD1048576 would make every row 16 384 wide
    out: list[_SparseRow] = []
    for i, r in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
        cells = [(j, t) for j, v in enumerate(r) if (t := _cell_text(v)) is not None]
        if cells:
            out.append((i, cells))
            if max_rows is not None and len(out) >= max_rows:
                break
    return out


def _check_workbook_zip(path: Path, name: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, name=name, limits=limits, what="Excel workbook (a zip inside)")
    except (zipfile.BadZipFile, OSError):
        pass  # not a zip at all: the readers below word the error


def _read_excel(
    path: Path, name: str, sheet: str | int | None, hint: set[str], limits: Limits
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import xml.etree.ElementTree as ET

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_workbook_zip(path, name, limits)
    try:
        rows_fast, chosen_fast, names_fast, warn_fast = _read_excel_fast(path, name, sheet, hint)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, TypeError, OSError, ET.ParseError):
        pass  # unusual workbook: openpyxl below decides (and words the error)
    else:
        return _text_rows_to_frame(rows_fast, name, chosen_fast, names_fast, hint, warn_fast, limits)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
            AttributeError, IndexError, ET.ParseError) as exc:
        raise InputError(
            f"{name} cannot be opened as an Excel .xlsx workbook ({type(exc).__name__}: {exc}). "
            "The file is corrupt or not really .xlsx: open it in Excel and save it again as "
            ".xlsx, or export it as CSV."
        ) from None
    try:
        names = list(wb.sheetnames)
        warnings: list[str] = []
        chosen = _choose_sheet(names, name, sheet)
        if chosen is None:
            best: tuple[tuple[int, int], str] | None = None
            for sname in names:
                key = _sheet_score(_openpyxl_rows(wb[sname], max_rows=_HEADER_SCAN), hint)
                if best is None or key > best[0]:
                    best = (key, sname)
            if best is None:
                raise InputError(f"{name} has no sheets. Open it in Excel and save it again.")
            chosen = best[1]
            if len(names) > 1:
                warnings.append(f"{name}: read sheet {chosen!r} of {names} (choose another with sheet=).")
        try:
            rows = _openpyxl_rows(wb[chosen])
        except (KeyError, ValueError, IndexError, TypeError, OSError, ET.ParseError,
                zipfile.BadZipFile) as exc:
            raise InputError(
                f"{name}: sheet {chosen!r} cannot be read ({type(exc).__name__}: {exc}). Open the "
                "file in Excel and save it again as .xlsx, or export it as CSV.") from None
    finally:
        wb.close()
    return _text_rows_to_frame(rows, name, chosen, names, hint, warnings, limits)


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


def _read_json(path: Path, data: bytes, name: str, layer: str | None,
               limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    text, encoding = _decode(data, name)
    obj = load_json(text, name=name, limits=limits)
    if isinstance(obj, dict) and obj.get("type") in ("FeatureCollection", "Feature"):
        return _read_geo(path, name, layer, limits)
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
    police = polisen.is_police_table(df.columns)
    info = {
        "format": "police_json" if police else "json", "encoding": encoding, "delimiter": None,
        "decimal": ".", "thousands": None, "sheet": None, "layer": None, "header_row": None,
        "source_row": np.arange(1, len(df) + 1, dtype=np.int64),
    }
    return df, info


def _read_geo(path: Path, name: str, layer: str | None,
              limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    warnings: list[str] = []
    if zipfile.is_zipfile(path):  # a zipped shapefile: GDAL would unpack whatever it holds
        try:
            with zipfile.ZipFile(path) as zf:
                check_zip(zf, name=name, limits=limits)
        except zipfile.BadZipFile:
            pass  # GDAL words the error below
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
    check_table(len(gdf), len(gdf.columns), name=name, limits=limits)
    if not isinstance(gdf, gpd.GeoDataFrame) and path.suffix.lower() not in _GEO_EXT | {".json"}:
        raise InputError(
            f"{name} holds GeoJSON but its name ends in {path.suffix or '(nothing)'}, so it is not "
            "read as a map layer. Rename it to .geojson and read it again.")
    fmt = {".gpkg": "gpkg", ".shp": "shapefile", ".geojson": "geojson", ".json": "geojson",
           ".fgb": "flatgeobuf"}.get(path.suffix.lower(), "gis")
    info = {
        "format": fmt, "encoding": None, "delimiter": None, "decimal": ".", "thousands": None,
        "sheet": None, "layer": chosen if chosen is not None else (layers[0] if layers else None),
        "layers": layers, "header_row": None,
        "crs": None if getattr(gdf, "crs", None) is None else gdf.crs.to_string(),
        "source_row": np.arange(1, len(gdf) + 1, dtype=np.int64), "warnings": warnings,
    }
    return gdf, info


def _read_parquet(path: Path, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyarrow.parquet as pq

    df: pd.DataFrame
    try:
        # Plain Parquet (no "geo" metadata) goes straight to pandas: geopandas would
        # read the whole table only to refuse it, and then pandas reads it again.
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{name} cannot be read as Parquet ({exc}).") from None
    try:
        if b"geo" not in meta:
            raise ValueError("no geo metadata")
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
    limits: Limits | None = None,
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
    limits
        Resource limits (rows, columns, cell length, JSON depth, zip size); default
        :data:`lagesbild_geo.limits.DEFAULT_LIMITS`. See ``docs/reading-data.md``.

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
        ``duplicate_columns`` (a header name used by several columns → the names
        they were given, ``{"Datum": ["Datum", "Datum.1"]}``), and ``crs`` for GIS
        formats; for CSV also ``line_endings`` (LF, CRLF, CR, mixed) and
        ``redecoded_rows`` (lines read as cp1252 in an otherwise UTF-8 file).

    Raises
    ------
    InputError
        Missing, empty, binary or corrupt file; unknown sheet or layer; a
        resource limit exceeded. The message names the file and the fix.

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
    limits = limits or DEFAULT_LIMITS
    if isinstance(source, pd.DataFrame):
        info: dict[str, Any] = {
            "format": "dataframe", "source": "<DataFrame>", "encoding": None, "delimiter": None,
            "decimal": ".", "thousands": None, "sheet": None, "layer": None, "header_row": None,
            "source_row": np.arange(1, len(source) + 1, dtype=np.int64), "warnings": [],
            "duplicate_columns": {},
        }
        out = source.copy()
        if out.columns.duplicated().any():  # pandas allows it; every later step needs unique names
            header = [str(c) for c in out.columns]
            out.columns = _unique_names(header)
            info["duplicate_columns"] = _duplicate_names(header, list(out.columns))
        return out, info
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
    if path.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix"):
        shp = path.with_suffix(".shp")
        raise InputError(
            f"{name} is one part of a shapefile, not a table of its own: read "
            f"{shp.name if shp.exists() else 'the .shp file next to it (with its .shx, .dbf and .prj)'}."
        )
    df: pd.DataFrame
    if fmt == "xls":
        raise InputError(
            f"{name} is an old Excel 97–2003 .xls workbook, which is not supported. "
            "Open it in Excel and save it as .xlsx (or export CSV)."
        )
    if fmt == "html":
        raise InputError(
            f"{name} is a web page or XML file (HTML/XML text), not a table file, even if its name "
            "says Excel: many systems export like that. Open it in Excel and save it as .xlsx, or "
            "export CSV, then read that file."
        )
    if fmt == "ods":
        raise InputError(
            f"{name} is an OpenDocument (LibreOffice .ods) or Apple Numbers spreadsheet, which "
            "is not supported. Open it (LibreOffice Calc, Excel, Numbers) and save it as Excel "
            ".xlsx or export CSV, then read that file."
        )
    if fmt == "excel":
        df, info = _read_excel(path, name, sheet, hint, limits)
    elif fmt == "parquet":
        df, info = _read_parquet(path, name)
        check_table(len(df), len(df.columns), name=name, limits=limits)
    elif fmt == "geo":
        df, info = _read_geo(path, name, layer, limits)
    elif fmt == "json":
        df, info = _read_json(path, path.read_bytes(), name, layer, limits)
        check_table(len(df), len(df.columns), name=name, limits=limits)
    else:
        if head.startswith(b"PK") or head.startswith(b"%PDF") or head.startswith(b"\x89PNG"):
            raise InputError(
                f"{name} is a binary file (zip/PDF/image), not a CSV table. "
                "Export the data as CSV or .xlsx and read that file."
            )
        df, info = _read_csv(path, path.read_bytes(), name, hint, limits)
    if sheet is not None and fmt != "excel":
        info.setdefault("warnings", []).append(f"{name}: sheet={sheet!r} ignored (not an Excel file).")
    info.setdefault("warnings", [])
    info.setdefault("duplicate_columns", {})
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
    fast = pc.replace_substring(arr, ",", ".") if decimal == "," else arr
    try:  # the common case: plain numbers, one C++ cast
        out = pc.cast(fast, pa.float64())
        return np.asarray(out.to_numpy(zero_copy_only=False), dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    del fast
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


# --------------------------------------------------------------------------- time

_MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3, "apr": 4, "april": 4, "maj": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "augusti": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oct": 10, "oktober": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_TIME_RE = (r"(?:[Tt ]+(?:kl\.?\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})"
            r"(?:[:.](?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?")
_TZ_RE = r"\s*(?P<tz>[Zz]|UTC|utc|[+-]\d{2}(?::?\d{2})?)?"
_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("iso", r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME_RE + _TZ_RE + "$"),
    ("compact", r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[Tt ]?(?P<H>\d{2}):?(?P<M>\d{2})"
                r"(?::?(?P<S>\d{2}))?)?" + _TZ_RE + "$"),
    ("dayfirst", r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})" + _TIME_RE + _TZ_RE + "$"),
    ("monthname", r"^(?P<d>\d{1,2})\s+(?P<mon>[a-zåäö]+)\.?\s+(?P<y>\d{4})" + _TIME_RE + _TZ_RE + "$"),
)
_SERIAL_RE = r"^(?P<serial>\d{5}(?:[.,]\d+)?)$"
_WEEKDAY_RE = (r"^(?:(?:(?:mån|man|tis|ons|tors|tor|fre|lör|lor|sön|son)(?:dag(?:en)?)?|monday|tuesday|"
               r"wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\.?,?\s+)?"
               r"(?:den\s+)?(\d)")
_NS_DAY = 86_400 * 10**9


def _field(struct: pa.Array, name: str) -> np.ndarray:
    """Integer group of an extract_regex struct; -1 where absent."""
    f = pc.struct_field(struct, [struct.type.get_field_index(name)])
    f = pc.if_else(pc.equal(f, ""), pa.scalar(None, pa.string()), f)
    return np.asarray(pc.fill_null(pc.cast(f, pa.int64()), -1).to_numpy(zero_copy_only=False))


def _to_str_array(s: pd.Series) -> pa.Array:
    arr = pa.array(s, from_pandas=True) if s.dtype == "str" else pa.array(
        s.astype("str"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _naive_ns(y: np.ndarray, m: np.ndarray, d: np.ndarray, hh: np.ndarray, mm: np.ndarray,
              ss: np.ndarray, frac_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Naive wall-clock nanoseconds since 1970 and a validity mask (years 1900–2200)."""
    ok = (y >= _YEARS[0]) & (y <= _YEARS[1]) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    ok &= (hh <= 23) & (mm <= 59) & (ss <= 59)
    yy = np.where(ok, y, 1970)
    mo = np.where(ok, m, 1)
    dd = np.where(ok, d, 1)
    months = ((yy - 1970) * 12 + (mo - 1)).astype("timedelta64[M]")
    month_start = np.datetime64("1970-01", "M") + months
    day = month_start.astype("datetime64[D]") + (dd - 1).astype("timedelta64[D]")
    ok &= day.astype("datetime64[M]") == month_start  # 30 February and friends
    ns = day.astype("datetime64[ns]").astype(np.int64)
    ns = ns + (np.maximum(hh, 0) * 3600 + np.maximum(mm, 0) * 60 + np.maximum(ss, 0)) * 10**9
    ns = ns + frac_ns
    return ns, ok


def _tz_offset_ns(tz: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    t = pc.fill_null(tz, "")
    has = np.asarray(pc.not_equal(t, "").to_numpy(zero_copy_only=False), dtype=bool)
    parts = pc.extract_regex(t, r"^(?P<sign>[+-]?)(?P<h>\d{0,2}):?(?P<m>\d{0,2})")
    sign = np.where(np.asarray(pc.struct_field(parts, [0]).to_numpy(zero_copy_only=False)) == "-", -1, 1)
    h = np.maximum(_field(parts, "h"), 0)
    m = np.maximum(_field(parts, "m"), 0)
    return sign * (h * 3600 + m * 60) * 10**9, has


def parse_times(
    date: pd.Series,
    time: pd.Series | None = None,
    *,
    tz: str = "Europe/Stockholm",
) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Parse incident times as they arrive, vectorised.

    Accepted: ISO (``2024-03-05 22:15``, ``2024-03-05T22:15:00``,
    ``2024/03/05``), with unpadded hours (``2024-01-01 0:40:16 +01:00``), an
    offset or ``Z``; compact ``20240305 2215``; day first ``05.03.2024`` and
    ``5/3/2024`` (Swedish/European order, never month first); month names
    ``5 mars 2024``; Excel serial dates (``45356``, ``45356.927``). The time
    may be a separate column: ``22:15``, ``22.15``, ``2215``, ``kl. 22.15``,
    ``22:15:00`` or an Excel day fraction (``0.927``).

    Times with an offset are exact instants. Times without one are wall-clock
    time in ``tz``: in the autumn hour that happens twice the **first**
    (summer-time) occurrence is taken; a time inside the spring gap that does
    not exist (02:00–02:59 on the last Sunday of March) is moved **one hour
    forward** (02:30 → 03:30 summer time). Both are counted.

    Returns
    -------
    (occurred_at, status, counts)
        ``occurred_at``: ``datetime64[ns, tz]`` (NaT where not parsed);
        ``status``: int8 array, 0 parsed, 1 missing, 2 unparseable, 3 a date outside
        the valid range (years 1900–2200: ``9999-12-31``, ``0001-01-01``);
        ``counts``: ``dst_ambiguous``, ``dst_nonexistent``, ``excel_serial``,
        ``date_only`` (rows with a date but no time of day, set to 00:00).

    Examples
    --------
    >>> t, status, _ = parse_times(pd.Series(["2024-01-01 0:40:16 +01:00", "5 mars 2024 22.15", "x", None]))
    >>> [str(v) for v in t], status.tolist()
    (['2024-01-01 00:40:16+01:00', '2024-03-05 22:15:00+01:00', 'NaT', 'NaT'], [0, 0, 2, 1])
    """
    typed = _parse_typed(date, tz) if time is None else None
    if typed is not None:
        return typed
    d = _to_str_array(date)
    t = None if time is None else _to_str_array(time)
    n = len(d)
    utc = np.full(n, _NAT, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    fast = _parse_fast(d, t)
    done = np.zeros(n, dtype=bool)
    if fast is not None:
        naive, done, clock = fast
        if done.any():
            utc[done] = _localize(naive[done], tz, counts)
            counts["date_only"] += int((done & ~clock).sum())
    if not done.all():
        idx = np.flatnonzero(~done)
        sel = pa.array(idx)
        sub_d = d if len(idx) == n else pc.take(d, sel)
        sub_t = None if t is None else (t if len(idx) == n else pc.take(t, sel))
        u, st, c = _parse_times_slow(sub_d, sub_t, tz)
        utc[idx] = u
        status[idx] = st
        for k, v in c.items():
            counts[k] += v
    out = pd.Series(pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz),
                    index=date.index).astype(pd.DatetimeTZDtype("ns", tz))
    return out, status, counts


_NAT = np.iinfo(np.int64).min
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_TYPED_RANGE_S = (-2177452800, 7258118400)  # 1901-01-01 .. 2200-01-01 UTC, in seconds
#: Times accepted at all: 1900-01-01 up to the end of 2200 (seconds since 1970, naive).
_VALID_RANGE_S = (-2208988800, 7289654400)
_YEARS = (1900, 2200)


def _parse_typed(date: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray, dict[str, int]] | None:
    """A column that is already datetime (Parquet, GIS files) straight to instants.

    Gives exactly what the text path gives for the same values (naive values are
    wall-clock time in ``tz``, aware ones exact instants; all-midnight naive values
    count as ``date_only`` as their text would), without formatting them as text and
    parsing them back. Only whole seconds within 1901–2199; otherwise ``None`` and
    the text path decides.
    """
    dt = date.dtype
    aware = isinstance(dt, pd.DatetimeTZDtype)
    if not aware and not (isinstance(dt, np.dtype) and dt.kind == "M"):
        return None
    idx = pd.DatetimeIndex(date)
    per_s = _PER_SECOND.get(str(idx.unit))
    if per_s is None:
        return None
    raw = np.asarray(idx.asi8, dtype=np.int64)  # UTC when aware, wall clock when naive
    valid = raw != _NAT
    every = bool(valid.all())
    v = raw if every else raw[valid]
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    if v.size:
        secs, frac = np.divmod(v, per_s) if per_s != 1 else (v, None)
        if frac is not None and frac.any():
            return None
        del frac
        if int(secs.min()) < _TYPED_RANGE_S[0] or int(secs.max()) >= _TYPED_RANGE_S[1]:
            return None
        ns = secs * 10**9
        if not aware:
            if not (secs % 86_400).any():  # shown as dates only: no time of day
                counts["date_only"] = int(v.size)
            ns = _localize(ns, tz, counts)
    else:
        ns = v
    if every:
        utc = ns
    else:
        utc = np.full(len(raw), _NAT, dtype=np.int64)
        utc[valid] = ns
    status = (~valid).astype(np.int8)
    out = pd.Series(pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz),
                    index=date.index).astype(pd.DatetimeTZDtype("ns", tz))
    return out, status, counts


_FAST_FORMATS: tuple[tuple[str, str, bool], ...] = (
    ("%Y-%m-%d %H:%M", r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}$", True),
    ("%Y-%m-%d %H:%M:%S", r"^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}$", True),
    ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", False),
)


def _parse_fast(d: pa.Array, t: pa.Array | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The common case in C++: ISO date (and HH:MM[:SS] time) → naive ns; None if not common."""
    s = d  # no trimming here: a padded value fails strptime and goes the slow way
    if t is not None:
        # Excel date cells arrive as "2024-03-05 00:00:00"; the time column has the time
        midnight = r"[ T]00:00(?::00)?$"
        if pc.any(pc.match_substring_regex(s.slice(0, 500), midnight)).as_py():
            s = pc.replace_substring_regex(s, midnight, "")
        s = pc.binary_join_element_wise(s, t, " ")
    sample = s.slice(0, 500).drop_null()
    if len(sample) == 0:
        return None
    has_t = bool(pc.any(pc.match_substring(sample, "T")).as_py())
    if has_t:
        sample = pc.replace_substring(sample, "T", " ")
    for fmt, pattern, clock in _FAST_FORMATS:
        if pc.sum(pc.match_substring_regex(sample, pattern)).as_py() < 0.9 * len(sample):
            continue
        if has_t:
            s = pc.replace_substring(s, "T", " ")
        # strptime insists on the whole text (no trailing characters) and valid
        # months/hours, but rolls 30 February over into 1 March: recheck the
        # rows that landed on day 1-3 against the day digits they were written with
        ts = pc.strptime(s, format=fmt, unit="s", error_is_null=True)
        okn = np.asarray(pc.is_valid(ts).to_numpy(zero_copy_only=False), dtype=bool)
        early = np.flatnonzero(okn & np.asarray(pc.fill_null(pc.less_equal(pc.day(ts), 3), False)
                                                 .to_numpy(zero_copy_only=False), dtype=bool))
        if len(early):
            sel = pa.array(early)
            ex = pc.extract_regex(pc.take(s, sel), r"^\s*\d{4}-\d{1,2}-(?P<d>\d{1,2})")
            day = _field(ex, "d")
            same = np.asarray(pc.take(pc.day(ts), sel).to_numpy(zero_copy_only=False)) == day
            okn[early[~same]] = False
        secs = np.asarray(pc.fill_null(pc.cast(ts, pa.int64()), 0).to_numpy(zero_copy_only=False),
                          dtype=np.int64)
        # years outside 1900-2200 would overflow nanoseconds (9999 → 1816): the slow
        # path parses them again and rejects them as out of range
        far = (secs < _VALID_RANGE_S[0]) | (secs >= _VALID_RANGE_S[1])
        if far.any():
            okn &= ~far
            secs = np.where(far, 0, secs)
        naive = secs * 10**9
        return naive, okn, np.full(len(okn), clock)
    return None


@functools.lru_cache(maxsize=64)
def _tz_transitions(tz: str, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Offset changes of ``tz`` in years y0..y1: (instant T, offset before, offset after) in ns,
    plus the offset in force at the start (a one-element array)."""
    days = pd.date_range(f"{y0}-01-01", f"{y1 + 1}-01-02", freq="D", tz="UTC", unit="ns")

    def offsets(idx: pd.DatetimeIndex) -> np.ndarray:
        idx = idx.as_unit("ns")
        local = idx.tz_convert(tz).tz_localize(None).asi8
        return np.asarray(local - idx.tz_localize(None).asi8, dtype=np.int64)

    off = offsets(days)
    change = np.flatnonzero(off[1:] != off[:-1])
    t_list, before, after = [], [], []
    for i in change.tolist():  # a few per year: find the minute within the day
        minutes = pd.date_range(start=days[int(i)], periods=24 * 60 + 1, freq="min", unit="ns")
        mo = offsets(minutes)
        j = int(np.flatnonzero(mo != mo[0])[0])
        t_list.append(minutes[j].value)
        before.append(mo[0])
        after.append(mo[j])
    return (np.asarray(t_list, dtype=np.int64), np.asarray(before, dtype=np.int64),
            np.asarray(after, dtype=np.int64), off[:1].copy())


def _localize(naive: np.ndarray, tz: str, counts: dict[str, int]) -> np.ndarray:
    """UTC ns of wall-clock ns in ``tz`` (rules in :func:`parse_times`), by binary search
    over the zone's offset changes: times before a change's end use the old offset, so
    the repeated autumn hour is summer time and a spring-gap time moves one hour forward."""
    if len(naive) == 0:
        return naive.copy()
    lo, hi = int(naive.min()), int(naive.max())
    y1 = min(2200, pd.Timestamp(hi).year + 1)
    y0 = min(max(1900, pd.Timestamp(lo).year - 1), y1)
    t, before, after, first = _tz_transitions(tz, y0, y1)
    if len(t) == 0:
        return naive - first[0]
    boundary = t + np.maximum(before, after)  # wall clock where the new offset is certain
    k = np.searchsorted(boundary, naive, side="right")
    offset = np.where(k > 0, after[np.maximum(k - 1, 0)], before[0])
    # the hour around a change: repeated (autumn) or missing (spring)
    nxt = np.minimum(k, len(t) - 1)
    window = (k < len(t)) & (naive >= (t + np.minimum(before, after))[nxt])
    spring = after > before
    counts["dst_nonexistent"] += int((window & spring[nxt]).sum())
    counts["dst_ambiguous"] += int((window & ~spring[nxt]).sum())
    return naive - offset


def _parse_times_slow(
    date: pa.Array, time: pa.Array | None, tz: str
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    n = len(date)
    d_arr = pc.utf8_lower(pc.utf8_trim_whitespace(date))
    # "tisdag 5 mars 2024", "tis. den 5 mars 2024", "den 5 mars": the weekday and "den" go
    d_arr = pc.replace_substring_regex(d_arr, _WEEKDAY_RE, r"\1")
    # a span of dates ("2024-03-05 - 2024-03-06", "2024-03-05--2024-03-06"): its start
    d_arr = pc.replace_substring_regex(
        d_arr, r"^(\d{4}-\d{1,2}-\d{1,2}(?:[ t](?:kl\.?\s*)?\d{1,2}[:.]\d{2})?)\s*(?:--|-|–|/|till)\s*"
               r"\d{4}-\d{1,2}-\d{1,2}.*$", r"\1")
    # two-digit years, day first: "05.03.24", "5/3-24" (Swedish short form) → 2024; not
    # "24-03-05", which may well be year first (SS-ISO 8601 short form): left unparseable
    d_arr = pc.replace_substring_regex(
        d_arr, r"^(\d{1,2})[/.](\d{1,2})[-/.](\d{2})($|[ t].*$)", r"\1.\2.20\3\4")
    d_missing = np.asarray(pc.fill_null(pc.equal(d_arr, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    counts = {"dst_ambiguous": 0, "dst_nonexistent": 0, "excel_serial": 0, "date_only": 0}
    t_missing = np.zeros(n, dtype=bool)
    t_extra_ns = np.zeros(n, dtype=np.int64)
    t_bad = np.zeros(n, dtype=bool)
    has_time_col = time is not None
    if time is not None:
        t_arr = pc.utf8_lower(pc.utf8_trim_whitespace(time))
        # "ca 22", "omkring 22.15": about that time; "22.15-23.00", "2215–2300": a span → its start
        t_arr = pc.replace_substring_regex(t_arr, r"^(?:cirka|ca\.?|omkring|omkr\.?)\s*", "")
        t_arr = pc.replace_substring_regex(
            t_arr, r"^((?:kl\.?\s*)?\d{1,2}(?:[:.]?\d{2})?(?:[:.]\d{2})?)\s*(?:-|–|till)\s*\d.*$", r"\1")
        t_missing = np.asarray(pc.fill_null(pc.equal(t_arr, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        # a date cell that carries a (midnight) time from Excel: keep the date only
        d_arr = pc.replace_substring_regex(d_arr, r"^(\d{4}-\d{1,2}-\d{1,2})[ t]00:00(?::00)?$", r"\1")
        tm = pc.extract_regex(
            pc.fill_null(t_arr, ""),
            r"^(?:kl\.?\s*)?(?P<H>\d{1,2})(?:[:.]?(?P<M>\d{2}))?(?:[:.](?P<S>\d{2}))?$")
        matched = np.asarray(pc.is_valid(tm).to_numpy(zero_copy_only=False), dtype=bool)
        hh, mm, ss = _field(tm, "H"), _field(tm, "M"), _field(tm, "S")
        # "2215" is 22:15 and "815" is 8:15 (the regex backtracks); "22" alone is 22:00
        t_ok = matched & (hh >= 0) & (hh <= 23) & (mm <= 59) & (ss <= 59)
        ns_time = (np.maximum(hh, 0) * 3600 + np.maximum(mm, 0) * 60 + np.maximum(ss, 0)) * 10**9
        # an Excel day fraction (0.927083) or "1899-12-30 22:15:00" style leftovers
        frac = parse_numbers(t_arr, decimal=None)
        is_frac = ~t_ok & np.isfinite(frac) & (frac >= 0) & (frac < 1)
        ns_time = np.where(is_frac, np.round(np.nan_to_num(frac) * _NS_DAY / 1e9).astype(np.int64) * 10**9,
                           ns_time)
        full = pc.extract_regex(pc.fill_null(t_arr, ""), r"^\d{4}-\d{2}-\d{2}[ t](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?$")
        is_full = ~t_ok & ~is_frac & np.asarray(pc.is_valid(full).to_numpy(zero_copy_only=False), dtype=bool)
        if is_full.any():
            fh, fm, fs = _field(full, "H"), _field(full, "M"), _field(full, "S")
            ns_time = np.where(is_full, (fh * 3600 + fm * 60 + np.maximum(fs, 0)) * 10**9, ns_time)
        t_good = t_ok | is_frac | is_full
        t_bad = ~t_missing & ~t_good
        t_extra_ns = np.where(t_good, ns_time, 0)

    naive = np.zeros(n, dtype=np.int64)
    parsed = np.zeros(n, dtype=bool)
    has_clock = np.zeros(n, dtype=bool)
    offset = np.zeros(n, dtype=np.int64)
    has_offset = np.zeros(n, dtype=bool)
    far = np.zeros(n, dtype=bool)  # a real date, but outside 1900-2200
    d_fill = pc.fill_null(d_arr, "")
    for kind, pattern in _DATE_PATTERNS:
        todo = ~parsed & ~d_missing
        if not todo.any():
            break
        sub_idx = np.flatnonzero(todo)
        sub = d_fill if todo.all() else pc.take(d_fill, pa.array(sub_idx))
        ex = pc.extract_regex(sub, pattern)
        hit = np.asarray(pc.is_valid(ex).to_numpy(zero_copy_only=False), dtype=bool)
        if not hit.any():
            continue
        y, d = _field(ex, "y"), _field(ex, "d")
        if kind == "monthname":
            mon = np.asarray(pc.struct_field(ex, [ex.type.get_field_index("mon")]).to_numpy(zero_copy_only=False))
            m = np.array([_MONTHS.get(str(v), -1) if v is not None else -1 for v in mon], dtype=np.int64)
        else:
            m = _field(ex, "m")
        hh, mi, ss = _field(ex, "H"), _field(ex, "M"), _field(ex, "S")
        fr = pc.struct_field(ex, [ex.type.get_field_index("f")]) if kind != "compact" else None
        frac_ns = np.zeros(len(sub_idx), dtype=np.int64)
        if fr is not None:
            f9 = pc.utf8_rpad(pc.fill_null(fr, ""), 9, "0")
            frac_ns = np.maximum(_field(pa.StructArray.from_arrays([f9], ["f"]), "f"), 0)
        ns, ok = _naive_ns(y, m, d, hh, mi, ss, frac_ns)
        ok &= hit
        far[sub_idx[hit & ((y < _YEARS[0]) | (y > _YEARS[1])) & (m >= 1) & (m <= 12)
                    & (d >= 1) & (d <= 31)]] = True
        tzs = pc.struct_field(ex, [ex.type.get_field_index("tz")])
        tzs = pc.replace_substring(pc.replace_substring(pc.fill_null(tzs, ""), "z", ""), "utc", "+00:00")
        z_is = np.asarray(pc.match_substring_regex(pc.fill_null(pc.struct_field(ex, [ex.type.get_field_index("tz")]), ""),
                                                   r"^(z|utc)$").to_numpy(zero_copy_only=False), dtype=bool)
        off, has_off = _tz_offset_ns(tzs)
        has_off |= z_is
        idx = sub_idx[ok]
        naive[idx] = ns[ok]
        parsed[idx] = True
        has_clock[idx] = (hh >= 0)[ok]
        offset[idx] = off[ok]
        has_offset[idx] = has_off[ok]
    # Excel serial dates (days since 1899-12-30, fraction = time of day)
    todo = ~parsed & ~d_missing
    if todo.any():
        sub_idx = np.flatnonzero(todo)
        sub = pc.take(d_fill, pa.array(sub_idx))
        serial = parse_numbers(sub, decimal=None)
        ok = np.isfinite(serial) & (serial >= 20_000) & (serial < 80_000) & np.asarray(
            pc.match_substring_regex(sub, _SERIAL_RE).to_numpy(zero_copy_only=False), dtype=bool)
        if ok.any():
            base = np.datetime64("1899-12-30", "ns").astype(np.int64)
            days = np.where(ok, serial, 0.0)
            ns = base + np.round(days * 86_400).astype(np.int64) * 10**9
            idx = sub_idx[ok]
            naive[idx] = ns[ok]
            parsed[idx] = True
            has_clock[idx] = (days % 1 > 0)[ok]
            counts["excel_serial"] = int(ok.sum())

    t_missing_eff = np.zeros(n, dtype=bool)
    t_bad_eff = np.zeros(n, dtype=bool)
    if has_time_col:
        # the time column gives the time of day on top of the date; a date that
        # carries its own clock does not need it (an empty time is then no problem)
        use = parsed & ~has_clock
        naive = np.where(use, naive + t_extra_ns, naive)
        t_missing_eff = t_missing & use
        t_bad_eff = t_bad & use
        has_clock |= use & ~t_missing & ~t_bad
    ok_rows = parsed & ~d_missing & ~t_missing_eff & ~t_bad_eff
    counts["date_only"] = int((ok_rows & ~has_clock).sum())

    utc = np.full(n, _NAT, dtype=np.int64)
    with_off = ok_rows & has_offset
    utc[with_off] = naive[with_off] - offset[with_off]
    local = ok_rows & ~has_offset
    if local.any():
        utc[local] = _localize(naive[local], tz, counts)
    # what is wrong with the date comes first, then the time column
    status = np.zeros(n, dtype=np.int8)
    status[t_bad_eff] = 2
    status[t_missing_eff] = 1
    status[~d_missing & ~parsed] = 2
    status[~d_missing & ~parsed & far] = 3
    status[d_missing] = 1
    return utc, status, counts




# --------------------------------------------------------------------------- incidents

_PRECISION_CODES = ("point", "area", "pending", "kommun", "lan")

#: Rejection reasons: English (``reason``) → Swedish (``reason_sv``).
REASONS: dict[str, str] = {
    "missing time": "tid saknas",
    "unparseable time": "tiden kan inte tolkas",
    "date out of range": "datum utanför giltigt intervall",
    "no location": "plats saknas (varken koordinater, adress eller platsnamn)",
    "unparseable coordinates": "koordinaterna kan inte tolkas",
    "outside Sweden": "utanför Sverige",
    "outside boundary": "utanför området",
    "address not found": "adressen hittades inte",
    "other kommun": "annan kommun",
    "lan level": "bara länsnivå (länet är inte kommunen)",
}


@dataclass(frozen=True)
class ReadResult:
    """The outcome of :func:`read_incidents`.

    Attributes
    ----------
    placed
        Canonical incident table (``docs/data-contracts.md``); precision is
        ``point``, ``address``, ``place`` or ``area``.
    pending
        Rows awaiting geocoding: precision ``pending``, ``location_text`` set,
        coordinates NaN, ``cell`` 0.
    rejected
        ``source``, ``source_row``, ``reason``, ``reason_sv`` and the raw values
        as ``raw_<column>`` (text).
    report
        Counts and what was detected; ``rows_read == placed + pending + rejected``.
    """

    placed: pd.DataFrame
    pending: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any]

    @property
    def incidents(self) -> pd.DataFrame:
        """The placed incidents (same as ``placed``)."""
        return self.placed


def _clean_pa(s: pd.Series) -> pa.Array:
    """A column as trimmed Arrow text, null where empty."""
    a = pc.utf8_trim_whitespace(_to_str_array(s))
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _has_text(s: pd.Series) -> np.ndarray:
    """True where a cell holds something other than whitespace."""
    a = _to_str_array(s)
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


def _repeat_text(values: Sequence[str], codes: np.ndarray) -> pd.Series:
    """``values[codes]`` as a ``string`` Series, built in Arrow."""
    n = len(codes)
    if n and int(codes.min()) == int(codes.max()):
        # one value everywhere (a file's source name, all-"point" precision): the
        # Arrow buffers are a repeated byte string and an arithmetic offset column
        word = str(values[int(codes[0])]).encode("utf-8")
        if len(word) * n < 2**31 - 1:
            offsets = np.arange(0, (n + 1) * len(word), len(word) or 1, dtype=np.int32)[: n + 1]
            if not word:
                offsets = np.zeros(n + 1, dtype=np.int32)
            arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(word * n))
            return _str_series(arr)
    return _str_series(pc.take(pa.array(list(values), type=pa.string()), pa.array(codes)))


def make_rejected(
    raw: pd.DataFrame, reason: str | Sequence[str] | np.ndarray, *, source: str | Sequence[str],
    source_row: npt.ArrayLike,
) -> pd.DataFrame:
    """Build the rejected-rows table (``source``, ``source_row``, ``reason``,
    ``reason_sv``, ``raw_<column>`` as text) for rows of ``raw``.

    Examples
    --------
    >>> r = make_rejected(pd.DataFrame({"Datum": ["?"]}), "unparseable time", source="a.csv", source_row=[2])
    >>> r.iloc[0].to_dict()
    {'source': 'a.csv', 'source_row': 2, 'reason': 'unparseable time', 'reason_sv': 'tiden kan inte tolkas', 'raw_Datum': '?'}
    """
    n = len(raw)
    reasons = np.full(n, reason, dtype=object) if isinstance(reason, str) else np.asarray(reason, dtype=object)
    codes, uniq = pd.factorize(pd.Series(reasons, dtype=object).astype(str))
    reason_sv = np.asarray([REASONS.get(r, r) for r in uniq], dtype=object)[codes] if n else reasons
    data: dict[str, Any] = {
        "source": pd.array(np.full(n, source, dtype=object) if isinstance(source, str) else list(source),
                           dtype="string"),
        "source_row": np.asarray(source_row, dtype=np.int64),
        "reason": pd.array(reasons, dtype="string"),
        "reason_sv": pd.array(reason_sv, dtype="string"),
    }
    # every raw column in one step (one DataFrame built at the end: linear in the
    # number of columns; adding them one by one was quadratic)
    names = _raw_names(raw.columns)
    for (_, col), key in zip(raw.items(), names, strict=True):
        if key is None:
            continue
        data[key] = (col if isinstance(col.dtype, pd.StringDtype) and col.dtype.na_value is pd.NA
                     else col.astype("string")).array
    return pd.DataFrame(data, copy=False)


def _raw_names(columns: Iterable[object]) -> list[str | None]:
    """``raw_<column>`` names (None for the geometry), unique even if the columns are not."""
    out: list[str | None] = []
    seen = {"source", "source_row", "reason", "reason_sv"}
    for c in columns:
        if c == "geometry":
            out.append(None)
            continue
        key = f"raw_{c}"
        k = 1
        while key in seen:
            key = f"raw_{c}.{k}"
            k += 1
        seen.add(key)
        out.append(key)
    return out


def _empty_rejected(raw_columns: Iterable[object] = ()) -> pd.DataFrame:
    data: dict[str, Any] = {
        "source": pd.Series([], dtype="string"), "source_row": pd.Series([], dtype="int64"),
        "reason": pd.Series([], dtype="string"), "reason_sv": pd.Series([], dtype="string"),
    }
    for key in _raw_names(raw_columns):
        if key is not None:
            data[key] = pd.Series([], dtype="string")
    return pd.DataFrame(data)


def _pair(raw: pd.DataFrame, cols: dict[str, str], first: str, second: str,
          decimal: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, str]] | None:
    if first not in cols or second not in cols:
        return None
    ca, cb = cols[first], cols[second]
    a = parse_numbers(raw[ca], decimal=decimal)
    b = parse_numbers(raw[cb], decimal=decimal)
    present = np.ones(len(a), dtype=bool)  # rows with two numbers certainly have text
    bad = np.flatnonzero(~(np.isfinite(a) & np.isfinite(b)))
    if len(bad):
        present[bad] = _has_text(raw[ca].iloc[bad]) | _has_text(raw[cb].iloc[bad])
    return a, b, present, (ca, cb)


def _gps_pair(raw: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, str]]:
    """The police feed's ``"lat,lon"`` text → (lon, lat)."""
    arr = pc.fill_null(_to_str_array(raw[col]), "")
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
    return lon, lat, present, (col, col)


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
    """Read an incident file as it arrives into the canonical incident table.

    Every row ends up in exactly one of ``placed``, ``pending`` (no coordinates
    but an address or place name: waiting for geocoding) or ``rejected`` (with
    a reason); ``report["rows_read"]`` is their sum.

    Parameters
    ----------
    source
        Path of a CSV/TXT, Excel .xlsx, GeoJSON, GeoPackage, Shapefile,
        GeoParquet or police events JSON file, or a DataFrame.
    columns
        Role → column name, overriding recognition. Roles: ``id``, ``datetime``,
        ``date``, ``time``, ``category``, ``x``, ``y``, ``northing``, ``easting``,
        ``lat``, ``lon``, ``gps``, ``address``, ``place``, ``postcode``, ``town``.
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
    gazetteer
        A :class:`lagesbild_geo.geocode.Gazetteer` or the path of a gazetteer
        file: the pending rows are geocoded against it (placed or rejected with
        "address not found").
    time_optional
        Keep rows whose time is missing or unparseable (``occurred_at`` NaT).
    boundary
        A polygon (shapely, WGS84) or GeoDataFrame (any CRS): points outside it
        are rejected with "outside boundary".
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
    >>> df = pd.DataFrame({"Datum": ["2024-03-05", "2024-03-06"], "Tid": ["22:15", ""],
    ...                    "Brottstyp": ["Misshandel", "Klotter"],
    ...                    "X": ["6580000", "6580100"], "Y": ["660000", "660100"]})
    >>> r = read_incidents(df, source_name="demo")
    >>> len(r.placed), len(r.rejected), r.report["crs_detected"], r.report["axes_swapped"]
    (1, 1, 'EPSG:3006', True)
    >>> r.rejected["reason"].tolist()
    ['missing time']
    """
    settings = settings or Settings()
    tz = settings.timezone
    raw, info = read_table(source, sheet=sheet, layer=layer, limits=settings.limits)
    name = source_name or info["source"]
    n = len(raw)
    src_row = np.asarray(info["source_row"], dtype=np.int64)
    warnings: list[str] = list(info.get("warnings", []))
    geom = None
    if isinstance(raw, gpd.GeoDataFrame) and raw.geometry.name in raw.columns:
        geom = raw.geometry
        raw_df = pd.DataFrame(raw.drop(columns=[raw.geometry.name])).reset_index(drop=True)
    else:
        raw_df = pd.DataFrame(raw).reset_index(drop=True)
    data_cols = [str(c) for c in raw_df.columns]
    raw_df.columns = data_cols
    try:
        cols = find_columns(data_cols, overrides=columns)
    except SchemaError as exc:
        raise SchemaError(f"{name}: {exc} (lagesbild read: --column ROLE=NAME; "
                          "lagesbild.toml: columns = {...} under [[sources]])") from None
    warnings.extend(_check_duplicate_roles(raw_df, cols, info.get("duplicate_columns") or {},
                                           set(columns or {}), name))
    fmt = info["format"]
    # the police events feed (also as a DataFrame of its flattened fields): polisen.py
    police = fmt == "police_json" or (fmt == "dataframe" and polisen.is_police_table(data_cols))

    has_time = any(r in cols for r in ("datetime", "date", "time"))
    coord_roles = (("x", "y"), ("easting", "northing"), ("lon", "lat"))
    has_coords = any(a in cols and b in cols for a, b in coord_roles) or "gps" in cols or geom is not None
    has_text = "address" in cols or "place" in cols
    if not (has_coords or has_text) and not has_time:
        raise SchemaError(
            f"{name}: no recognisable incident columns among "
            f"{data_cols[:30]}{f' (and {len(data_cols) - 30} more)' if len(data_cols) > 30 else ''}. Expected a time column "
            "(Datum, Brottsdatum, Tid, Klockslag, date ...) and a location (X/Y, Nord/Öst, Lat/Long, "
            "Adress, Plats ...). Name them with columns={'date': ..., 'x': ..., ...}."
            + (f" Read sheet {info.get('sheet')!r} of {info.get('sheets')}: if the data is on "
               "another sheet, choose it with sheet= (--sheet)."
               if len(info.get("sheets") or []) > 1 else "")
        )
    half = [f"{a}/{b}" for a, b in coord_roles if (a in cols) != (b in cols)]
    if half:
        warnings.append(f"{name}: only one column of the coordinate pair(s) {half} was found; "
                        "name the other with columns=.")

    # ---- time
    time_status = np.zeros(n, dtype=np.int8)
    tcounts: dict[str, int] = {}
    pcols: polisen.PoliceColumns | None = None
    if police:
        # the event time is in "name"; "datetime" is when the police published it
        if "datetime" in raw_df.columns:
            published, pub_status, tcounts = parse_times(raw_df["datetime"], None, tz=tz)
        else:
            published = pd.Series(pd.NaT, index=raw_df.index, dtype=pd.DatetimeTZDtype("ns", tz))
            pub_status, tcounts = np.ones(n, dtype=np.int8), {}
        pcols = polisen.event_columns(raw_df, published, pub_status, tz=tz, category_map=category_map)
        occurred, time_status = pcols.occurred_at, pcols.time_status
        tcounts = {**tcounts, **pcols.time_counts}
    elif "datetime" in cols and "date" not in cols:
        occurred, time_status, tcounts = parse_times(
            raw_df[cols["datetime"]], raw_df[cols["time"]] if "time" in cols else None, tz=tz)
    elif "date" in cols:
        occurred, time_status, tcounts = parse_times(
            raw_df[cols["date"]], raw_df[cols["time"]] if "time" in cols else None, tz=tz)
    elif "time" in cols:
        # a lone "Tid" column holding full timestamps
        occurred, time_status, tcounts = parse_times(raw_df[cols["time"]], None, tz=tz)
    else:
        occurred = pd.Series(pd.NaT, index=raw_df.index, dtype=pd.DatetimeTZDtype("ns", tz))
        time_status = np.ones(n, dtype=np.int8)
        if not time_optional:
            warnings.append(f"{name}: no time column found; every row is rejected as 'missing time' "
                            "(name it with columns={'date': ...} / --column date=NAME, or pass time_optional=True / --time-optional).")
    if tcounts.get("date_only"):
        warnings.append(f"{name}: {tcounts['date_only']} rows have a date but no time of day; set to 00:00.")
    time_ok = np.ones(n, dtype=bool) if time_optional else time_status == 0

    # ---- categories
    if pcols is not None:
        category, cat_raw, unknown = pcols.category, pcols.category_raw, pcols.unknown
    elif "category" in cols:
        # map the few distinct labels, then spread them in Arrow
        enc = pc.dictionary_encode(_to_str_array(raw_df[cols["category"]]))
        labels = [None if v is None or not v.strip() else v.strip() for v in enc.dictionary.to_pylist()]
        labels.append(None)
        codes = np.asarray(pc.fill_null(enc.indices, len(labels) - 1).to_numpy(zero_copy_only=False))
        cat_u, unk_u = map_categories(pd.Series(labels, dtype="string"), category_map)
        category = _repeat_text([str(c) for c in cat_u], codes)
        unknown = pd.Series(unk_u.to_numpy(dtype=bool)[codes])
        raw_labels = enc.dictionary.to_pylist()
        if all(v == lab for v, lab in zip(raw_labels, labels, strict=False)):
            cat_raw = _str_series(_to_str_array(raw_df[cols["category"]]))  # as given: no copy
        else:
            cat_raw = _str_series(pc.take(pa.array(labels, type=pa.string()), pa.array(codes)))
    else:
        cat_raw = pd.Series(pd.NA, index=raw_df.index, dtype="string")
        category = _repeat_text(["ovrigt"], np.zeros(n, dtype=np.int8))
        unknown = pd.Series(np.zeros(n, dtype=bool))
        warnings.append(f"{name}: no category column found; every row is 'ovrigt'.")

    # ---- coordinates
    decimal = info.get("decimal")
    decimal = None if decimal in (None, ".") else decimal
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    east = np.full(n, np.nan)
    north = np.full(n, np.nan)
    coord_present = np.zeros(n, dtype=bool)
    coord_valid = np.zeros(n, dtype=bool)
    area_rows = np.zeros(n, dtype=bool)
    guesses: list[tuple[tuple[str, str], CRSGuess]] = []
    pairs: list[tuple[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, str]], object | None]] = []
    for a, b in coord_roles:
        p = _pair(raw_df, cols, a, b, decimal)
        if p is not None:
            pairs.append((p, crs))
    if "gps" in cols:
        pairs.append((_gps_pair(raw_df, cols["gps"]), "EPSG:4326"))
    if geom is not None and not pairs:
        import shapely

        garr = np.asarray(geom.array, dtype=object)
        is_point = np.asarray(shapely.get_type_id(garr) == 0, dtype=bool)
        rep = garr.copy()
        other = ~is_point & ~shapely.is_missing(garr) & ~shapely.is_empty(garr)
        if other.any():
            rep[other] = shapely.point_on_surface(garr[other])
            area_rows |= other
        rep[~(is_point | other)] = None
        gx = shapely.get_x(rep)
        gy = shapely.get_y(rep)
        gcrs: object | None = crs if crs is not None else (raw.crs.to_epsg() if getattr(raw, "crs", None) is not None and raw.crs.to_epsg() else None)
        if crs is None and gcrs == 4326:
            fin = np.isfinite(gx) & np.isfinite(gy)
            if fin.any() and max(np.abs(gx[fin]).max(), np.abs(gy[fin]).max()) > 360:
                # a GeoJSON in metres without a "crs" member: GDAL says WGS84 (the default)
                gcrs = None
                warnings.append(f"{name}: the file says WGS84 (GeoJSON's default) but its coordinates "
                                "are metres; the CRS is recognised from the values instead.")
        pairs.append(((np.asarray(gx, dtype="float64"), np.asarray(gy, dtype="float64"),
                       ~shapely.is_missing(garr), ("geometry", "geometry")), gcrs))
    for (va, vb, present, names), pcrs in pairs:
        ok = np.isfinite(va) & np.isfinite(vb)
        guess = detect_crs(va, vb, crs=pcrs, names=names)
        guesses.append((names, guess))
        coord_present |= present & ~coord_valid
        take = ok & ~coord_valid
        if not take.any() or guess.crs is None:
            continue
        x, y, _sw = orient_axes(va[take], vb[take])
        if guess.crs == "EPSG:4326":
            lo, la = x, y
            e, no = to_sweref(lo, la)
        elif guess.crs == "EPSG:3006":
            e, no = x, y
            lo, la = to_wgs84(e, no, "EPSG:3006")
        else:
            lo, la = to_wgs84(x, y, guess.crs)
            e, no = to_sweref(lo, la)
        lon[take], lat[take], east[take], north[take] = lo, la, e, no
        coord_valid |= take
    coord_valid &= np.isfinite(lon) & np.isfinite(lat)
    b0, b1, b2, b3 = settings.bounds_wgs84
    in_sweden = coord_valid & (lon >= b0) & (lon <= b2) & (lat >= b1) & (lat <= b3)
    outside_n = int((coord_valid & ~in_sweden).sum())
    for ((va, vb, _present, _names), _pc), (nm, g) in zip(pairs, guesses, strict=True):
        if g.crs is None and g.rows:
            ok = np.flatnonzero(np.isfinite(va) & np.isfinite(vb))
            warnings.append(
                f"{name}: {'/'.join(dict.fromkeys(nm))}: {g.rows} row(s) hold numbers that fit no "
                f"Swedish CRS (WGS84, SWEREF 99 TM, a SWEREF 99 local zone, RT90), e.g. "
                f"({va[ok[0]]:g}, {vb[ok[0]]:g}); they cannot be placed by these coordinates. "
                "If they are in another CRS (e.g. Web Mercator), name it with crs= (--crs 3857).")
    for nm, g in guesses:
        if g.named and " Warning: the values look like " in g.note:
            seen = g.note.split(" Warning: the values look like ", 1)[1].split(", not ", 1)[0]
            warnings.append(
                f"{name}: {'/'.join(dict.fromkeys(nm))}: the CRS was given as {g.crs}, but the values "
                f"look like {seen}; {outside_n} row(s) fall outside Sweden. Check the CRS: leave "
                f"crs= (--crs) out to have it recognised, or name the right one.")
    in_boundary = np.ones(n, dtype=bool)
    if boundary is not None and in_sweden.any():
        in_boundary = _inside_boundary(lon, lat, in_sweden, boundary)

    # ---- location text
    loc_text = pd.Series(pd.NA, index=raw_df.index, dtype="string")
    if "address" in cols:
        loc_text = _text(raw_df[cols["address"]])
    if "place" in cols:
        loc_text = loc_text.fillna(_text(raw_df[cols["place"]]))
    has_loc_text = loc_text.notna().to_numpy(dtype=bool)

    # ---- decide every row
    reason = np.full(n, "", dtype=object)
    bad_time = ~time_ok
    reason[bad_time & (time_status == 1)] = "missing time"
    reason[bad_time & (time_status == 2)] = "unparseable time"
    reason[bad_time & (time_status == 3)] = "date out of range"
    undecided = ~bad_time
    placed_m = undecided & in_sweden & in_boundary
    out_sw = undecided & coord_valid & ~in_sweden
    out_bd = undecided & in_sweden & ~in_boundary
    reason[out_sw] = "outside Sweden"
    reason[out_bd] = "outside boundary"
    rest = undecided & ~coord_valid
    pending_m = rest & has_loc_text
    unparse = rest & ~has_loc_text & coord_present
    reason[unparse] = "unparseable coordinates"
    reason[rest & ~has_loc_text & ~coord_present] = "no location"
    fell_back = int((pending_m & coord_present).sum())
    if fell_back:
        warnings.append(f"{name}: {fell_back} rows with unusable coordinates but an address or place "
                        "name were kept for geocoding.")
    rejected_m = reason != ""

    prec_code = np.zeros(n, dtype=np.int8)  # index into _PRECISION_CODES
    prec_code[area_rows] = 1
    if pcols is not None:
        # a kommun's or a län's centre: the row is at that level, never a point
        prec_code[:] = np.where(pcols.precision.to_numpy(dtype=object) == "lan", 4, 3)
        loc_text = pcols.location_text
    prec_code[pending_m] = 2

    cells = np.zeros(n, dtype=np.uint64)
    pt = placed_m & (prec_code == 0)
    if pt.any():
        idx = np.flatnonzero(pt)
        for i in range(0, len(idx), 100_000):  # chunks keep h3's Python lists small
            part = idx[i:i + 100_000]
            cells[part] = points_to_cells(lat[part], lon[part], settings.resolution)

    if "id" in cols:
        ids = raw_df[cols["id"]].astype("string")  # as given (no copy for text columns)
        no_id = ids.isna().to_numpy(dtype=bool)
        if no_id.any():
            fallback = pd.Series([f"{name}:{r}" for r in src_row[no_id]], index=ids.index[no_id], dtype="string")
            ids = ids.mask(pd.Series(no_id, index=ids.index), fallback)
    else:
        ids = _str_series(pc.binary_join_element_wise(
            pa.scalar(f"{name}:"), pc.cast(pa.array(src_row), pa.string()), ""))

    for arr, m in ((lon, ~placed_m), (lat, ~placed_m), (east, ~placed_m), (north, ~placed_m)):
        arr[m] = np.nan
    columns_out: dict[str, Any] = {
        "incident_id": ids,
        "occurred_at": occurred.reset_index(drop=True),
        "category": category,
        "category_raw": cat_raw,
        "lat": lat, "lon": lon, "easting": east, "northing": north,
        "precision": _repeat_text(_PRECISION_CODES, prec_code),
        "location_text": loc_text,
        "cell": cells,
        "source": _repeat_text([name], np.zeros(n, dtype=np.int8)),
        "source_row": src_row,
    }
    for c in data_cols:  # other source columns ride along
        columns_out[f"source_{c}" if c in INCIDENT_COLUMNS else c] = raw_df[c]
    if pcols is not None:  # the feed's derived fields: publication time, kommun and län codes
        columns_out.update(pcols.extra)
    frame = pd.DataFrame(columns_out, copy=False)

    def pick(mask: np.ndarray) -> pd.DataFrame:
        if mask.all():
            return frame
        if not mask.any():  # no gather over (chunked) columns for an empty part
            return frame.iloc[:0].reset_index(drop=True)
        return frame.loc[mask].reset_index(drop=True)

    placed = pick(placed_m)
    pending = pick(pending_m)
    rej_raw = raw_df.loc[rejected_m] if rejected_m.any() else raw_df.iloc[:0]
    rejected = make_rejected(rej_raw, reason[rejected_m], source=name, source_row=src_row[rejected_m])
    if not rejected_m.any():
        rejected = _empty_rejected(data_cols)

    unknown_counts: dict[str, int] = {}
    # rejected rows (a totals row, a second header ...) are not unknown categories
    unknown = unknown & pd.Series(~rejected_m, index=unknown.index)
    if unknown.any():
        vc = cat_raw[unknown.to_numpy(dtype=bool)].fillna("").value_counts()
        unknown_counts = {str(k): int(v) for k, v in vc.items()}
    first_guess = guesses[0][1] if guesses else None
    swapped_rows = sum(g.swapped_rows for _, g in guesses)
    report: dict[str, Any] = {
        "source": name,
        "format": fmt,
        "rows_read": n,
        "placed": 0, "pending": 0, "rejected": 0,
        "by_precision": {},
        "rejected_by_reason": {},
        "crs_detected": first_guess.crs if first_guess else None,
        "crs_note": "; ".join(f"{'/'.join(dict.fromkeys(nm))}: {g.note}" for nm, g in guesses),
        "crs_by_columns": {"/".join(dict.fromkeys(nm)): g.crs for nm, g in guesses},
        "axes_swapped": bool(first_guess.swapped) if first_guess else False,
        "swapped_rows": int(swapped_rows),
        "encoding": info.get("encoding"),
        "redecoded_rows": [int(r) for r in info.get("redecoded_rows") or []],
        "line_endings": info.get("line_endings"),
        "delimiter": info.get("delimiter"),
        "decimal": info.get("decimal"),
        "sheet": info.get("sheet"),
        "layer": info.get("layer"),
        "header_row": info.get("header_row"),
        "columns_used": dict(cols),
        "unknown_categories": unknown_counts,
        "unknown_category_rows": int(unknown.sum()),
        "time": {k: int(v) for k, v in tcounts.items()},
        "time_optional": bool(time_optional),
        "coordinates_zero": int(sum(int(((p[0] == 0) & (p[1] == 0)).sum()) for p, _ in pairs)),
        "geocoded_by_tier": {},
        "match_rate": None,
        "warnings": warnings,
    }
    result = ReadResult(placed=placed, pending=pending, rejected=rejected, report=report)
    if gazetteer is not None and len(pending):
        result = _geocode_pending(result, gazetteer, settings)
    return _finish(result)


def _finish(result: ReadResult) -> ReadResult:
    placed, pending, rejected, report = result.placed, result.pending, result.rejected, dict(result.report)
    report["placed"] = len(placed)
    report["pending"] = len(pending)
    report["rejected"] = len(rejected)
    report["by_precision"] = {str(k): int(v) for k, v in placed["precision"].value_counts().items()}
    report["rejected_by_reason"] = {str(k): int(v) for k, v in rejected["reason"].value_counts().items()}
    total = len(placed) + len(pending) + len(rejected)
    if total != report["rows_read"]:  # pragma: no cover - an invariant; a bug if it fires
        raise RuntimeError(f"row accounting broke: {total} != {report['rows_read']}")
    return ReadResult(placed=placed, pending=pending, rejected=rejected, report=report)


def _inside_boundary(lon: np.ndarray, lat: np.ndarray, mask: np.ndarray, boundary: Any) -> np.ndarray:
    import shapely

    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        b = boundary.to_crs(4326) if boundary.crs is not None else boundary
        geom = shapely.union_all(np.asarray(b.geometry.array if isinstance(b, gpd.GeoDataFrame) else b.array))
    elif isinstance(boundary, shapely.Geometry):
        geom = boundary
    else:
        raise InputError(f"boundary must be a shapely polygon in WGS84 or a GeoDataFrame, got {type(boundary).__name__}.")
    out = np.ones(len(lon), dtype=bool)
    idx = np.flatnonzero(mask)
    shapely.prepare(geom)
    out[idx] = shapely.contains_xy(geom, lon[idx], lat[idx]) | shapely.intersects_xy(geom, lon[idx], lat[idx])
    return out


def _geocode_pending(result: ReadResult, gazetteer: Any, settings: Settings) -> ReadResult:
    from .geocode import Gazetteer, geocode

    gaz = gazetteer if isinstance(gazetteer, Gazetteer) else Gazetteer.from_file(gazetteer, settings=settings)
    g = geocode(result.pending, gaz, settings=settings)
    gp = g.placed
    if len(gp) and "cell" in gp.columns:
        need = (gp["cell"].to_numpy() == 0) & gp["precision"].isin(["point", "address"]).to_numpy(dtype=bool)
        if need.any():
            cells = gp["cell"].to_numpy(dtype=np.uint64).copy()
            cells[need] = points_to_cells(gp["lat"].to_numpy()[need], gp["lon"].to_numpy()[need], settings.resolution)
            gp = gp.assign(cell=cells)
    placed = pd.concat([result.placed, gp], ignore_index=True) if len(gp) else result.placed
    rej = g.rejected
    rejected = pd.concat([result.rejected, rej], ignore_index=True) if len(rej) else result.rejected
    if len(rej) and len(result.rejected) == 0:
        rejected = rej.reset_index(drop=True)
    text_cols = {c: "string" for c in rejected.columns if c not in ("source_row",)
                 and str(rejected[c].dtype) != "string"}
    if text_cols:
        rejected = rejected.astype(text_cols)
    report = dict(result.report)
    report["geocoded_by_tier"] = dict(g.report.get("geocoded_by_tier", {}))
    report["match_rate"] = g.report.get("match_rate")
    report["geocode"] = {k: v for k, v in g.report.items() if k not in ("geocoded_by_tier", "match_rate")}
    return ReadResult(placed=placed, pending=result.pending.iloc[:0], rejected=rejected, report=report)
