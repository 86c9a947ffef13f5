"""A sheet's rows read by python-calamine (Rust), where that is safe; old .xls and
OpenDocument .ods workbooks, which only calamine reads here (:class:`Book`).

calamine reads a police export of 10 000 rows about three times faster than streaming the
sheet's XML with ElementTree (``tables._Xlsx``), but it holds the sheet as a dense
rectangle from its first to its last cell: one stray cell at ``XFD1048576`` makes it ask
for 512 GB and abort the whole process (no Python exception: the app's server would go).
So the sheet's XML is scanned first, with byte searches and regular expressions, and
calamine is used only when

* every cell and row carries its reference (``r="B7"``), so the scan sees them all;
* the rectangle is not much larger than the cells it holds (:data:`_DENSE_LIMIT`).

Otherwise, or when calamine is not installed or fails, :func:`sheet_rows` returns ``None``
and the caller streams the XML itself. Error cells (``#N/A``, ``#DIV/0!``), which calamine
reads as empty, are put back from the scan: a coordinate of ``#N/A`` is then rejected
with that text as its reason, as with the XML reader.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

#: The dense rectangle calamine builds may hold this many times the sheet's cells (or
#: :data:`_DENSE_FLOOR` cells, whichever is more) before the XML reader is used instead.
_DENSE_LIMIT = 8
_DENSE_FLOOR = 1_000_000

_ROW_REF = re.compile(rb'<row r="(\d{1,7})"')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})\d')
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>]*?\st="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)

#: A non-empty row: (1-based row number, [(0-based column, text), ...]), as ``tables`` uses.
SparseRow = tuple[int, list[tuple[int, str]]]


def column_index(letters: bytes) -> int:
    """0-based column of a reference's letters (b"A" -> 0, b"AB" -> 27)."""
    col = 0
    for ch in letters:
        col = col * 26 + (ch - 64)
    return col - 1


def _scan(xml: bytes) -> dict[int, dict[int, str]] | None:
    """The sheet's error cells (row -> column -> text), or ``None`` when calamine is not
    safe for the sheet."""
    cells = xml.count(b'<c r="')
    if cells == 0 or cells != xml.count(b"<c ") or b"<c>" in xml or b"<c/>" in xml:
        return None  # cells without a reference (or prefixed tags): the scan cannot size them
    if xml.count(b"<row ") != xml.count(b'<row r="') or b"<row>" in xml or b"<row/>" in xml:
        return None
    rows = [int(r) for r in _ROW_REF.findall(xml)]  # every row: their order is not checked
    if not rows:
        return None
    height = max(rows) - min(rows) + 1
    wide = _WIDE_CELL.findall(xml)  # columns past Z are rare: only those are looked at
    width = max((column_index(w) + 1 for w in wide), default=26)
    if height <= 0 or height * width > max(_DENSE_LIMIT * cells, _DENSE_FLOOR):
        return None
    errors: dict[int, dict[int, str]] = {}
    if b't="e"' in xml:
        for letters, row, value in _ERROR_CELL.findall(xml):
            text = value.decode("utf-8", "replace").strip()
            if text:
                errors.setdefault(int(row), {})[column_index(letters)] = text
    return errors


def _text(v: object, cell_text: Callable[[object], str | None]) -> str | None:
    # a date-formatted whole day: the XML reader's text (a date and a time of midnight)
    if type(v) is _dt.date:
        return f"{v.isoformat()} 00:00:00"
    return cell_text(v)


def sheet_rows(path: Path, zf: zipfile.ZipFile, member: str, sheet: str,
               cell_text: Callable[[object], str | None]) -> list[SparseRow] | None:
    """The non-empty rows of ``sheet`` (stored as ``member`` in the workbook's zip) read by
    calamine, each cell's value as ``cell_text`` writes it; ``None`` when calamine is not
    installed, not safe for this sheet (see the module's note) or fails on it."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    errors = _scan(zf.read(member))
    if errors is None:
        return None
    try:
        book = CalamineWorkbook.from_path(str(path))
        try:
            ws = book.get_sheet_by_name(sheet)
            r0, c0 = ws.start or (0, 0)
            grid = ws.to_python(skip_empty_area=True)
        finally:
            book.close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # calamine's errors, or a panic in Rust (pyo3 raises a BaseException for
        return None  # it): the XML reader decides, and words the error
    out = _sparse(grid, r0, c0, cell_text)
    if errors:  # put back, also a row of nothing but errors (outside the rectangle calamine read)
        merged = dict(out)
        for r, e in errors.items():
            merged[r] = sorted({**dict(merged.get(r, [])), **e}.items())
        out = sorted(merged.items())
    return out


def _sparse(grid: Sequence[Sequence[object]], r0: int, c0: int, cell_text: Callable[[object], str | None]
            ) -> list[SparseRow]:
    """The non-empty rows of calamine's rectangle whose first cell is (``r0``, ``c0``)."""
    out: list[SparseRow] = []
    for i, row in enumerate(grid, start=r0 + 1):
        cells = [(c, t) for c, v in enumerate(row, start=c0)
                 if (t := (v if v and not v.isspace() else None) if type(v) is str else _text(v, cell_text))]
        if cells:
            out.append((i, cells))
    return out


#: The most cells an .xls or .ods sheet may span (first to last cell) to be read: calamine
#: holds the sheet as a dense rectangle, and its cells would become as many Python objects
#: (an .xls sheet has at most 65 536 × 256).
BOOK_CELLS = 20_000_000


class Book:
    """An old Excel 97–2003 .xls or an OpenDocument .ods workbook read by calamine: its sheet
    names, the hidden ones, and a sheet's non-empty rows as :func:`sheet_rows` gives them.
    calamine's own error for a file it cannot open."""

    def __init__(self, path: Path, cell_text: Callable[[object], str | None]) -> None:
        from python_calamine import CalamineWorkbook

        self._book = CalamineWorkbook.from_path(str(path))
        self._text = cell_text
        self.names = [str(n) for n in self._book.sheet_names]
        self.hidden = {m.name for m in self._book.sheets_metadata if "Visible" not in str(m.visible)}

    def rows(self, sheet: str, max_rows: int | None = None) -> list[SparseRow] | None:
        """The sheet's first ``max_rows`` rows (every row when None); None when the whole
        sheet spans more than :data:`BOOK_CELLS` cells."""
        ws = self._book.get_sheet_by_name(sheet)
        if max_rows is None and int(ws.height) * int(ws.width) > BOOK_CELLS:
            return None
        r0, c0 = ws.start or (0, 0)
        return _sparse(ws.to_python(skip_empty_area=True, nrows=max_rows), r0, c0, self._text)

    def close(self) -> None:
        self._book.close()
