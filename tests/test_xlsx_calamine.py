"""Excel sheets read by python-calamine: the same rows as the streaming XML reader, and
the XML reader wherever calamine could not hold the sheet safely."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lagesbild_geo import read as lio
from lagesbild_geo.read import tables, xlsx_calamine


def _both(path: Path, sheet: str | None = None) -> tuple[list, list | None]:
    book = tables._Xlsx(path)
    try:
        name = sheet or next(iter(book.sheets))
        xml_rows = book.rows(name)
        fast = xlsx_calamine.sheet_rows(path, book.zf, book.sheets[name], name, tables._cell_text)
    finally:
        book.close()
    return xml_rows, fast


def _with_error_cell(src: Path, dst: Path, ref: str, error: str) -> None:
    """A copy of ``src`` where cell ``ref`` holds a cached Excel error, as Excel saves it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = data.index(f'<c r="{ref}"'.encode())
                end = data.index(b"</c>", start) + 4
                data = data[:start] + f'<c r="{ref}" t="e"><f>VLOOKUP(A1,B:C,2)</f><v>{error}</v></c>'.encode() + data[end:]
            zout.writestr(item, data)


def test_calamine_reads_the_rows_the_xml_reader_reads(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"] = "Anmälda brott i Exempelkommun"  # a title row, data from column B
    ws.append([None, "Diarienummer", "Brottsdatum", "Klockslag", "Brottstyp", "X", "Y", "Aktiv"])
    ws.append([None, "5000-K1-25", dt.datetime(2025, 3, 1, 14, 30), dt.time(22, 15), "Rån", 6580000.5, 660000,
               True])
    ws.append([None, "5000-K2-25", dt.date(2025, 3, 2), "  ", "Skadegörelse, övrig", 6580001, 660001.25, False])
    ws.append([])
    ws.append([None, "5000-K3-25", 45717.5, 0.75, "Stöld ur bil", 1.5e20, -3, None])
    ws.cell(ws.max_row, 3).number_format = "yyyy-mm-dd hh:mm"
    ws.cell(ws.max_row, 4).number_format = "hh:mm"
    p = tmp_path / "brott.xlsx"
    wb.save(p)
    xml_rows, fast = _both(p)
    assert fast is not None and fast == xml_rows
    assert fast[0] == (2, [(1, "Anmälda brott i Exempelkommun")])
    assert fast[2] == (4, [(1, "5000-K1-25"), (2, "2025-03-01 14:30:00"), (3, "22:15:00"), (4, "Rån"),
                           (5, "6580000.5"), (6, "660000"), (7, "True")])
    assert fast[3][1][1] == (2, "2025-03-02 00:00:00")  # a whole day: a date and midnight, as before
    assert [r for r, _ in fast] == [2, 3, 4, 5, 7]  # an empty row is left out, numbers kept


def test_an_excel_error_cell_keeps_its_text(tmp_path: Path) -> None:
    # calamine reads #N/A as empty: the scan puts it back, so the row is rejected with it
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ärendenummer", "Datum", "Tid", "Brottstyp", "X", "Y"])
    ws.append(["K1", "2024-03-05", "22:15", "Rån", 6580000, 660000])
    ws.append(["K2", "2024-03-05", "22:15", "Rån", 0, 660000])
    p, q = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    wb.save(p)
    _with_error_cell(p, q, "E3", "#N/A")
    xml_rows, fast = _both(q)
    assert fast == xml_rows and fast[2] == (3, [(0, "K2"), (1, "2024-03-05"), (2, "22:15"), (3, "Rån"),
                                                  (4, "#N/A"), (5, "660000")])
    raw, _ = lio.read_table(q)
    assert raw["X"].tolist() == ["6580000", "#N/A"]


def test_a_stray_far_cell_is_read_by_the_xml_reader_not_calamine(tmp_path: Path) -> None:
    # calamine would build the 1 048 576 x 16 384 rectangle and abort the process
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Datum", "Brottstyp"])
    ws.append(["2024-03-05", "Rån"])
    ws["XFD1048576"] = "bortglömd"
    p = tmp_path / "stray.xlsx"
    wb.save(p)
    xml_rows, fast = _both(p)
    assert fast is None and xml_rows[-1] == (1048576, [(16383, "bortglömd")])


@pytest.mark.parametrize(("xml", "safe"), [
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B2"><v>2</v></c></row>', True),
    (b'<row r="1"><c><v>1</v></c></row>', False),  # a cell without its reference
    (b'<row><c r="A1"><v>1</v></c></row>', False),  # a row without its number
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="900000"><c r="A900000"><v>1</v></c></row>'
     b'<row r="2"><c r="A2"><v>1</v></c></row>', False),  # rows out of order, one far down
    (b'<row r="1"><c r="A1"><v>1</v></c><c r="ZZZ1"><v>1</v></c></row>', True),  # 1 x 18 278
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="100"><c r="ZZZ100"><v>1</v></c></row>', False),
    (b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', False),  # prefixed tags
])
def test_the_scan_uses_calamine_only_where_it_is_safe(xml: bytes, safe: bool) -> None:
    assert (xlsx_calamine._scan(xml) is not None) is safe


def test_the_sample_police_export_reads_the_same_with_either_reader(sample_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    p = sample_dir / "incidents_polis.xlsx"
    fast_raw, fast_info = lio.read_table(p)
    monkeypatch.setattr(xlsx_calamine, "sheet_rows", lambda *a: None)
    xml_raw, xml_info = lio.read_table(p)
    assert fast_raw.equals(xml_raw) and len(fast_raw) > 1000
    assert fast_info["source_row"].tolist() == xml_info["source_row"].tolist()
