"""Reading tables as they arrive: sniffing, the CSV, Excel, JSON, GIS and Parquet readers.

:func:`read_table` opens any supported file and returns the **raw** table (text
kept as text, leading zeros kept) plus an ``info`` dict saying how it was read
(format, encoding, delimiter, decimal mark, sheet, header row, the source row
number of every row). The incident reader (:mod:`lagesbild_geo.read.incidents`),
the gazetteer, district and survey readers all build on it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as _dt
import functools
import gc
import io as _io
import json
import math
import os
import re
import warnings as _warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import polisen
from .._columns import INCIDENT_ALIASES, normalise_aliases
from .._geometry import check_shapefile_parts
from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits, cell_too_long, check_table, check_zip, load_json
from ..schema import fold
from . import xlsx_calamine
from .values import text_data, text_offsets

__all__ = ["SourceLike", "read_table"]

SourceLike = str | os.PathLike[str] | pd.DataFrame

_CSV_EXT = {".csv", ".txt", ".tsv", ".tab", ".dat"}
_EXCEL_EXT = {".xlsx", ".xlsm"}
_GEO_EXT = {".geojson", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".kmz", ".gpx", ".zip"}
_PARQUET_EXT = {".parquet", ".geoparquet", ".pq"}
_DELIMITERS = (";", "\t", ",", "|")
_HEADER_SCAN = 30
_NUMERIC_LIKE = re.compile(r"^[-+]?\d[\d\s.,:/\-T+]*$")


# --------------------------------------------------------------------------- helpers


def _name(source: object) -> str:
    return Path(str(source)).name if not isinstance(source, pd.DataFrame) else "<DataFrame>"


def _hint_set(columns_hint: Iterable[str] | None) -> frozenset[str]:
    if columns_hint is None:
        return _incident_hints()
    return frozenset(a for tier in normalise_aliases(list(columns_hint)) for a in tier)


@functools.cache
def _incident_hints() -> frozenset[str]:
    """The folded names of every incident column alias (the header hint's default)."""
    names = [a for tiers in INCIDENT_ALIASES.values() for tier in tiers for a in tier]
    return frozenset(a for tier in normalise_aliases(names) for a in tier)


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


def _find_header(rows: Sequence[Sequence[object]], hint: frozenset[str]) -> int:
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
    # (an ".xls" that is text, not a workbook: tab-separated "Excel" exports of many systems,
    # read as the CSV it is)
    if ext in (".ods", ".numbers"):
        return "ods"
    if ext in _PARQUET_EXT:
        return "parquet"
    if ext in (".gpkg", ".shp", ".fgb"):
        return "geo"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in (".json", ".geojson", ".jsonl", ".ndjson") or stripped[:1] in (b"[", b"{"):
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
    """The delimiter that gives the most lines the same number of fields (more than one),
    the larger number on a tie.

    Each delimiter is scored four ways, the best counting: line by line (an unclosed quote
    must not swallow the lines after it) and over the whole sample (a quoted value may hold
    a line break: a semicolon file whose descriptions span two lines lost to the commas of
    its decimal numbers, "59,36;17,10" giving three fields on every line), each with and
    without the empty fields at a row's end (an export that ends some rows with a ";").
    """
    best, best_key = ",", (0, 0)
    text = "\n".join(lines)
    for delim in _DELIMITERS:
        key = (0, 0)
        for rows in (lambda d=delim: [r for ln in lines for r in csv.reader([ln], delimiter=d) if r],
                     lambda d=delim: [r for r in csv.reader(_io.StringIO(text), delimiter=d) if r]):
            try:
                parsed = rows()
            except csv.Error:
                continue
            for strip in (False, True):
                key = max(key, _field_count_key([_trimmed(r) if strip else len(r) for r in parsed]))
        if key > best_key:
            best, best_key = delim, key
    return best


def _trimmed(row: list[str]) -> int:
    """Fields of a row without the empty ones at its end."""
    n = len(row)
    while n and not row[n - 1].strip():
        n -= 1
    return n


def _field_count_key(counts: list[int]) -> tuple[int, int]:
    """(how many rows have the most frequent field count above 1, that count)."""
    if not counts:
        return (0, 0)
    vals, freq = np.unique(np.array(counts), return_counts=True)
    ok = vals > 1
    if not ok.any():
        return (0, 0)
    i = int(np.argmax(np.where(ok, freq, -1)))
    return (int(freq[i]), int(vals[i]))


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


def _arrow_csv(source: pa.NativeFile, generated: list[str], delimiter: str, quotes: bool) -> pa.Table:
    # With quotes a value may hold a line end, so the file is split into blocks in one
    # pass anyway: threads then only add CPU time (every column is read as text).
    # The table's buffers come from the C library's allocator: with pyarrow's default
    # (mimalloc) the kernel time of a 1 000 000-row read was 0.29-0.57 s, with malloc
    # 0.13-0.28 s, the rest the same (benchmarks/bench_read.py, measured in turn).
    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=generated, use_threads=not quotes),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char='"', double_quote=True,
            newlines_in_values=quotes, ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            # large_string: what pandas keeps its text in (a string column would get new offsets)
            column_types=dict.fromkeys(generated, pa.large_string()),
            strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
        ),
        memory_pool=pa.system_memory_pool(),
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


def _longest_bytes(col: pa.ChunkedArray) -> int:
    """The longest value of a string column in bytes (from its offsets: no pass over the text)."""
    return max((int(np.diff(text_offsets(chunk)).max()) for chunk in col.chunks if len(chunk)), default=0)


def _check_cells(table: pa.Table, names: list[str], source_row: np.ndarray, name: str,
                 limits: Limits) -> None:
    """Refuse a cell longer than ``limits.max_cell_chars`` (vectorised per column)."""
    for j in range(table.num_columns):
        col = table.column(j)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) or col.null_count == len(col):
            continue
        if _longest_bytes(col) <= limits.max_cell_chars:
            continue  # a character takes at least a byte: no cell can be too long
        lengths = pc.utf8_length(col)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limits.max_cell_chars:
            i = pc.index(pc.greater(lengths, limits.max_cell_chars), True).as_py()
            row = int(source_row[i]) if 0 <= i < len(source_row) else None
            raise cell_too_long(name, row, names[j], int(longest), limits)


@dataclass(frozen=True)
class _CsvLayout:
    """How a CSV file is laid out: what the sniffers found in its first lines."""

    delimiter: str
    header_line: int  # 1-based physical line of the header
    header_rows: int  # lines up to and including the header
    decimal: str
    thousands: str | None
    names: list[str]
    duplicates: dict[str, list[str]]


def _csv_layout(head: bytes, more: bool, name: str, hint: frozenset[str], limits: Limits) -> _CsvLayout:
    """Delimiter, header and decimal mark from the first 200 kB (``more``: the file goes on)."""
    sample = head[:200_000].decode("utf-8", errors="replace")
    lines = sample.split("\n")[:200]
    if more and lines:
        lines = lines[:-1]  # the last sampled line may be cut
    delimiter = _sniff_delimiter([ln for ln in lines if ln.strip()][:60])
    rows = list(csv.reader(lines, delimiter=delimiter))
    h = _find_header(rows, hint)
    header = rows[h] if rows else []
    decimal, thousands = _sniff_decimal(rows[h + 1:], delimiter)
    names = _unique_names(header)
    check_table(0, len(names), name=name, limits=limits)
    # Physical line of the header (1-based): the csv rows and lines agree up to
    # the header unless a title row holds a quoted newline (not seen in practice).
    return _CsvLayout(delimiter=delimiter, header_line=h + 1, header_rows=h + 1, decimal=decimal,
                      thousands=thousands, names=names, duplicates=_duplicate_names(header, names))


def _read_csv(path: Path, name: str, hint: frozenset[str], limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A CSV file: pyarrow reads the file itself when it is plain UTF-8 with LF or CR LF line
    ends (the usual case); anything else goes through its bytes (:func:`_read_csv_bytes`)."""
    direct = _read_csv_direct(path, name, hint, limits)
    if direct is not None:
        return direct
    return _read_csv_bytes(path.read_bytes(), name, hint, limits)


#: Bytes per read when a CSV file is scanned for its line ends and quotes.
_SCAN_BLOCK = 1 << 20


def _read_csv_direct(path: Path, name: str, hint: frozenset[str],
                     limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """The usual CSV without holding its bytes: None when it needs :func:`_read_csv_bytes`
    (another encoding, a BOM other than UTF-8's, CR-only or mixed line ends, an Arrow error)."""
    with path.open("rb") as fh:
        head = fh.read(200_000 + 3)
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    size = path.stat().st_size - bom
    head = head[bom:bom + 200_000]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:65536] or not head.strip():
        return None
    cut = head if size <= len(head) else head[: head.rfind(b"\n") + 1] or head
    try:
        cut.decode("utf-8")
    except UnicodeDecodeError:
        return None
    scan = _scan_csv(path, bom)
    if scan is None:
        return None
    newlines, last_quote = scan
    layout = _csv_layout(head, size > 200_000, name, hint, limits)
    offset = _data_offset(head, layout.header_rows)
    if (offset >= len(head) and size > len(head)) or not layout.names:
        return None  # the header is further down than the sample reaches, or there is none
    quotes = last_quote >= offset
    generated = [f"c{i}" for i in range(len(layout.names))]
    try:
        with pa.OSFile(str(path)) as f:
            f.seek(bom + offset)
            table = _arrow_csv(f, generated, layout.delimiter, quotes)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # not UTF-8 after all, or ragged rows: the bytes path sorts it out
    encoding = "utf-8-sig" if bom else "utf-8"
    return _csv_frame(table, layout, name, limits, parser="pyarrow", encoding=encoding,
                      newlines=newlines, redecoded=[])


def _scan_csv(path: Path, bom: int) -> tuple[str, int] | None:
    """(line ends, position of the last quote or -1) in one pass over the file in blocks;
    None when the line ends are CR only or mixed (they are normalised on the bytes path)."""
    cr = crlf = 0
    last_quote = -1
    prev_cr = False
    at = 0
    block = bytearray(_SCAN_BLOCK)  # one buffer for every block: no fresh memory per read
    with path.open("rb") as fh:
        fh.seek(bom)
        while k := fh.readinto(block):
            if prev_cr and block[0] == 10:
                crlf += 1
            if block.find(b"\r", 0, k) >= 0:  # memchr: an LF file costs one quick pass
                cr += block.count(b"\r", 0, k)
                crlf += block.count(b"\r\n", 0, k)
            prev_cr = block[k - 1] == 13
            q = block.rfind(b'"', 0, k)
            if q >= 0:
                last_quote = at + q
            at += k
    if cr != crlf:
        return None
    return ("CRLF" if cr else "LF"), last_quote


def _read_csv_bytes(data: bytes, name: str, hint: frozenset[str],
                    limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A CSV file from its bytes: any encoding :func:`_to_utf8` knows, any line ends, rows
    that are not valid UTF-8, ragged rows (read with the csv module)."""
    data, encoding, newlines, redecoded = _to_utf8(data, name)
    if not data[:65536].strip() and not data.strip():
        raise InputError(f"{name} is empty (no rows). Export the table again with a header row and data.")
    layout = _csv_layout(data[:200_000], len(data) > 200_000, name, hint, limits)
    names = layout.names
    ncol = len(names)
    # Byte offset of the first data line (only the first lines are scanned).
    offset = _data_offset(data, layout.header_rows)
    body = memoryview(data)[offset:]
    generated = [f"c{i}" for i in range(ncol)]
    table: pa.Table | None = None
    if ncol:
        try:
            table = _arrow_csv(_buffer(body), generated, layout.delimiter, data.find(b'"', offset) >= 0)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            if "utf8" in str(exc).lower() and encoding in ("utf-8", "utf-8-sig"):
                # not UTF-8 after all (the first 200 kB were plain ASCII, or a BOM file
                # with some cp1252 rows): cp1252, or line by line for a mixed file
                del body
                data, enc, redecoded = _decode_fallback(data)
                encoding = enc if encoding == "utf-8" else encoding
                offset = _data_offset(data, layout.header_rows)
                body = memoryview(data)[offset:]
                try:
                    table = _arrow_csv(_buffer(body), generated, layout.delimiter,
                                       data.find(b'"', offset) >= 0)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    table = None
            else:
                table = None  # ragged rows: fall back to the csv module below
    used = "pyarrow"
    if table is None:
        used = "python"
        table, names = _python_csv(bytes(body), ncol, names, layout.delimiter, name, layout.header_line, limits)
        layout = dataclasses.replace(layout, names=names)
    del body
    return _csv_frame(table, layout, name, limits, parser=used, encoding=encoding, newlines=newlines,
                      redecoded=redecoded)


def _buffer(body: memoryview) -> pa.BufferReader:
    return pa.BufferReader(pa.py_buffer(body))


def _csv_frame(table: pa.Table, layout: _CsvLayout, name: str, limits: Limits, *, parser: str,
               encoding: str, newlines: str, redecoded: list[int]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The read table as a DataFrame (blank rows dropped) and its ``info``."""
    names = layout.names
    ncol = len(names)
    n = table.num_rows
    check_table(n, ncol, name=name, limits=limits)
    source_row = np.arange(layout.header_line + 1, layout.header_line + 1 + n, dtype=np.int64)
    _check_cells(table, names, source_row, name, limits)
    if n and ncol:
        table, source_row = _drop_blank_rows(table, source_row)
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
        "format": "csv", "encoding": encoding, "delimiter": layout.delimiter, "decimal": layout.decimal,
        "thousands": layout.thousands, "sheet": None, "layer": None, "header_row": layout.header_line,
        "parser": parser, "line_endings": newlines, "redecoded_rows": redecoded,
        "duplicate_columns": layout.duplicates, "warnings": warnings,
    }
    return df, {**info, "source_row": source_row}


#: First bytes of the UTF-8 characters ``pyarrow.compute.utf8_is_space`` calls space
#: (tab to CR, 0x1C-0x1F, space; U+0085 and U+00A0; U+1680; U+2000-U+205F; U+3000).
_SPACE_LEAD = np.zeros(256, dtype=bool)
_SPACE_LEAD[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0xC2, 0xE1, 0xE2, 0xE3]] = True


def _maybe_blank(col: pa.ChunkedArray) -> np.ndarray | None:
    """Rows of a string column that may be blank: null, or not empty and starting with a
    byte that can begin a space character (from the offsets and one byte per row: no pass
    over the text); ``None`` for a column that is not text."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    parts = []
    for chunk in col.chunks:
        n = len(chunk)
        if not n:
            continue
        offsets, data = text_offsets(chunk), text_data(chunk)
        start = offsets[:-1]
        filled = np.greater(offsets[1:], start)
        lead = np.zeros(n, dtype=bool)
        lead[filled] = _SPACE_LEAD[data[start[filled]]]
        if chunk.null_count:
            lead |= np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        parts.append(lead)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _drop_blank_rows(table: pa.Table, source_row: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Rows blank in every column (null or whitespace) go: the first column is tested on
    all rows, the others only on the rows still blank (usually none)."""
    def blank_of(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(pc.utf8_is_space(col), True).to_numpy(zero_copy_only=False),
                          dtype=bool)

    first = table.column(0)
    maybe = _maybe_blank(first)
    if maybe is None:
        cand = np.flatnonzero(blank_of(first))
    else:  # only rows that can be blank by their first byte are tested (usually none)
        cand = np.flatnonzero(maybe)
        cand = cand[blank_of(pc.take(first, pa.array(cand)))] if len(cand) else cand
    for j in range(1, table.num_columns):
        if not len(cand):
            break
        cand = cand[blank_of(pc.take(table.column(j), pa.array(cand)))]
    if not len(cand):
        return table, source_row
    keep = np.ones(table.num_rows, dtype=bool)
    keep[cand] = False
    return table.filter(pa.array(keep)), source_row[keep]


# --------------------------------------------------------------------------- Excel


def _cell_text(v: object) -> str | None:
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
_V_TAG, _IS_TAG, _T_TAG = f"{_NS_MAIN}v", f"{_NS_MAIN}is", f"{_NS_MAIN}t"
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
        # day 0 of the serial dates: 1899-12-30, or 1904-01-01 in a workbook saved with the
        # 1904 date system (old Mac Excel; the dates would otherwise come out 4 years early)
        pr = wb.find(f"{_NS_MAIN}workbookPr")
        in_1904 = pr is not None and (pr.get("date1904") or "").strip().lower() in ("1", "true")
        self.epoch = _dt.datetime(1904, 1, 1) if in_1904 else _dt.datetime(1899, 12, 30)
        rels = ET.fromstring(self.zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        self.sheets: dict[str, str] = {}
        self.hidden: set[str] = set()
        for sh in wb.iter(f"{_NS_MAIN}sheet"):
            if (sh.get("state") or "visible") != "visible":
                self.hidden.add(str(sh.get("name")))
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
        c_tag, row_tag = f"{_NS_MAIN}c", f"{_NS_MAIN}row"
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
                    col = _column_index(ref) if ref else col + 1
                    v = self._value(c)
                    if v is not None:
                        cells.append((col, v))
                el.clear()
                if cells:
                    out.append((rnum, cells))
                    if max_rows is not None and len(out) >= max_rows:
                        break
        return out

    def _value(self, c: Any) -> str | None:
        t = c.get("t")
        if t == "inlineStr":
            node = c.find(_IS_TAG)
            text = "" if node is None else "".join(x.text or "" for x in node.iter(_T_TAG))
            return text if text.strip() else None
        v = c.find(_V_TAG)
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
        s = c.get("s")
        style = int(s) if s else 0
        if style in self.date_styles:
            if style in self.time_styles and number < 1:
                return _cell_text(_dt.time(*_split_day_fraction(number)))
            try:
                moment = self.epoch + _dt.timedelta(seconds=round(number * 86400))
            except (OverflowError, ValueError):  # not a date Excel can show: keep the number
                return _cell_text(number)
            return _cell_text(moment)
        return _cell_text(number)


def _column_index(ref: str) -> int:
    """0-based column of a cell reference ("A1" -> 0, "AB7" -> 27; -1 without letters)."""
    col = 0
    for ch in ref:
        if not ch.isalpha():
            break
        col = col * 26 + (ord(ch.upper()) - 64)
    return col - 1


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


def _sheet_score(top: list[_SparseRow], hint: frozenset[str]) -> tuple[int, int]:
    dense = _dense(top)
    h = _find_header(dense, hint)
    score = sum(1 for v in (dense[h] if dense else []) if v and fold(v) in hint)
    return score, 1 if len(top) > 1 else 0


def _read_excel_fast(
    path: Path, name: str, sheet: str | int | None, hint: frozenset[str]
) -> tuple[list[_SparseRow], str, list[str], list[str]]:
    """(sparse rows, chosen sheet, sheet names, warnings) with the fast reader."""
    book = _Xlsx(path)
    try:
        names = list(book.sheets)
        warnings: list[str] = []
        chosen = _choose_sheet(names, name, sheet)
        if chosen is None:
            best: tuple[tuple[int, ...], str] | None = None
            for sname in names:
                key = _sheet_key(book.rows(sname, max_rows=_HEADER_SCAN), hint, sname in book.hidden)
                if best is None or key > best[0]:
                    best = (key, sname)
            if best is None:
                raise InputError(f"{name} has no sheets. Open it in Excel and save it again.")
            chosen = best[1]
            if len(names) > 1:
                warnings.append(_sheet_note(name, chosen, names, chosen in book.hidden))
        rows = xlsx_calamine.sheet_rows(path, book.zf, book.sheets[chosen], chosen, _cell_text)
        if rows is None:  # not installed, or not safe for this sheet (a stray far cell)
            rows = book.rows(chosen)
    finally:
        book.close()
    return rows, chosen, names, warnings


def _sheet_note(name: str, chosen: str, names: list[str], hidden: bool = False) -> str:
    """The note that a workbook's sheet was chosen by its header (either reader)."""
    return (f"{name}: read {'the hidden ' if hidden else ''}sheet {chosen!r} of {names} (choose another "
            "with sheet=, --sheet on the command line or sheet = in lagesbild.toml)"
            + (": no visible sheet has incident columns." if hidden else "."))


def _sheet_key(top: list[_SparseRow], hint: frozenset[str], hidden: bool) -> tuple[int, ...]:
    """How well a sheet fits as the data sheet: a visible sheet with incident columns before
    a hidden one (a hidden sheet of old data or lookups sat before "Brott 2025"), then the
    number of incident columns, then data below the header."""
    score, rows = _sheet_score(top, hint)
    return (score > 0, not hidden, score, rows)


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
    rows: list[_SparseRow], name: str, chosen: str, names: list[str], hint: frozenset[str],
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
    path: Path, name: str, sheet: str | int | None, hint: frozenset[str], limits: Limits
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import xml.etree.ElementTree as ET

    _check_workbook_zip(path, name, limits)
    try:
        rows_fast, chosen_fast, names_fast, warn_fast = _read_excel_fast(path, name, sheet, hint)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, TypeError, OSError, ET.ParseError):
        pass  # unusual workbook: openpyxl below decides (and words the error)
    else:
        return _text_rows_to_frame(rows_fast, name, chosen_fast, names_fast, hint, warn_fast, limits)
    # imported only for the unusual workbook (0.17 s for a fresh process)
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
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
            best: tuple[tuple[int, ...], str] | None = None
            hidden = {sname for sname in names if getattr(wb[sname], "sheet_state", "visible") != "visible"}
            for sname in names:
                key = _sheet_key(_openpyxl_rows(wb[sname], max_rows=_HEADER_SCAN), hint, sname in hidden)
                if best is None or key > best[0]:
                    best = (key, sname)
            if best is None:
                raise InputError(f"{name} has no sheets. Open it in Excel and save it again.")
            chosen = best[1]
            if len(names) > 1:
                warnings.append(_sheet_note(name, chosen, names, chosen in hidden))
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
        with _warnings.catch_warnings(record=True) as said:
            _warnings.simplefilter("always")
            gdf = gpd.read_file(path, layer=chosen, engine="pyogrio")
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise InputError(f"{name} cannot be read as a GIS layer ({exc}).") from None
    # GDAL's remarks (an empty point, a bad coordinate) as notes of the file, once each
    warnings.extend(dict.fromkeys(f"{name}: GDAL, reading the file: {w.message}" for w in said
                                  if issubclass(w.category, RuntimeWarning)))
    for w in said:
        if not issubclass(w.category, RuntimeWarning):
            _warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
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
        return _from_dataframe(source)
    path = Path(source)
    head = _check_file(path)
    fmt = _sniff_format(path, head)
    _refuse_unsupported(path, fmt)
    with _cycle_collection_paused():
        df, info = _read_format(path, fmt, head, sheet=sheet, layer=layer, hint=hint, limits=limits)
    name = path.name
    if sheet is not None and fmt not in ("excel", "xls", "ods"):
        info.setdefault("warnings", []).append(f"{name}: sheet={sheet!r} ignored (not an Excel file).")
    info.setdefault("warnings", [])
    info.setdefault("duplicate_columns", {})
    info["source"] = name
    if len(df.columns) == 0:
        raise InputError(f"{name} has no columns. Check that the file holds a table with a header row.")
    return df, info


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused while a reader makes hundreds of thousands of objects
    that hold no cycles (a sheet's cells, a JSON feed's records): it would walk them over
    and over, half the time of reading a 10 000-row police workbook. Restored afterwards
    (also after an error); left off if something else had turned it off."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _from_dataframe(source: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A copy of a DataFrame with unique column names, and its ``info``."""
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


def _check_file(path: Path) -> bytes:
    """The first 4 KiB of a file that exists, is a file and is not empty."""
    if not path.exists():
        raise InputError(f"File {path} does not exist. Check the path (and the working directory).")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file. Give the path of the data file inside it.")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes). Export the data again.")
    with path.open("rb") as fh:
        return fh.read(4096)


def _refuse_unsupported(path: Path, fmt: str) -> None:
    """A part of a shapefile or a web page: say what to do."""
    name = path.name
    if path.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix"):
        shp = path.with_suffix(".shp")
        raise InputError(
            f"{name} is one part of a shapefile, not a table of its own: read "
            f"{shp.name if shp.exists() else 'the .shp file next to it (with its .shx, .dbf and .prj)'}."
        )
    if path.suffix.lower() == ".shp":  # a .shp without its .dbf is shapes without any column
        check_shapefile_parts(path, "")
    if fmt == "html":
        raise InputError(
            f"{name} is a web page or XML file (HTML/XML text), not a table file, even if its name "
            "says Excel: many systems export like that. Open it in Excel and save it as .xlsx, or "
            "export CSV, then read that file."
        )


def _read_book(path: Path, name: str, fmt: str, sheet: str | int | None, hint: frozenset[str],
               limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    """An old .xls or an OpenDocument .ods workbook (calamine), read as an .xlsx is: the
    sheet chosen by its header, the header found below title rows."""
    kind = "an Excel 97–2003 .xls workbook" if fmt == "xls" else "an OpenDocument .ods spreadsheet"
    try:
        book = xlsx_calamine.Book(path, _cell_text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors (pyo3 may raise a BaseException)
        raise InputError(f"{name} cannot be opened as {kind} ({type(exc).__name__}: {exc}). The file is "
                         "corrupt or not what its name says: open it and save it as .xlsx, or export "
                         "CSV.") from None
    try:
        names = book.names
        warnings: list[str] = []
        chosen = _choose_sheet(names, name, sheet)
        if chosen is None:
            keys = [(_sheet_key(book.rows(s, _HEADER_SCAN) or [], hint, s in book.hidden), s) for s in names]
            if not keys:
                raise InputError(f"{name} has no sheets. Open it and save it again.")
            chosen = max(keys, key=lambda k: k[0])[1]
            if len(names) > 1:
                warnings.append(_sheet_note(name, chosen, names, chosen in book.hidden))
        rows = book.rows(chosen)
        if rows is None:
            raise InputError(f"Sheet {chosen!r} of {name} spans more than {xlsx_calamine.BOOK_CELLS:,} cells "
                             "(a stray cell far from the data?). Delete the empty rows and columns below and "
                             "right of the data, or save it as .xlsx, and read it again.".replace(",", " "))
    finally:
        book.close()
    df, info = _text_rows_to_frame(rows, name, chosen, names, hint, warnings, limits)
    info["format"] = fmt
    return df, info


def _read_format(path: Path, fmt: str, head: bytes, *, sheet: str | int | None, layer: str | None,
                 hint: frozenset[str], limits: Limits) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table and ``info`` of a file of a supported format (``fmt`` as sniffed)."""
    name = path.name
    if fmt == "excel":
        return _read_excel(path, name, sheet, hint, limits)
    if fmt in ("xls", "ods"):
        return _read_book(path, name, fmt, sheet, hint, limits)
    if fmt == "parquet":
        df, info = _read_parquet(path, name)
        check_table(len(df), len(df.columns), name=name, limits=limits)
        return df, info
    if fmt == "geo":
        return _read_geo(path, name, layer, limits)
    if fmt == "json":
        df, info = _read_json(path, path.read_bytes(), name, layer, limits)
        check_table(len(df), len(df.columns), name=name, limits=limits)
        return df, info
    if head.startswith(b"PK") or head.startswith(b"%PDF") or head.startswith(b"\x89PNG"):
        raise InputError(
            f"{name} is a binary file (zip/PDF/image), not a CSV table. "
            "Export the data as CSV or .xlsx and read that file."
        )
    return _read_csv(path, name, hint, limits)
