"""No formulas in what we write: every CSV/Excel writer neutralises formula-looking text."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pandas as pd
import shapely
from test_export_data import tiny_lagesbild

from lagesbild_geo._spreadsheet import neutralise_formulas, safe_cell
from lagesbild_geo.cli.build import write_outputs
from lagesbild_geo.measures import MeasureStore

EVIL = ["=HYPERLINK(\"http://x\",\"klicka\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_safe_cell_and_frames() -> None:
    for v in EVIL:
        assert safe_cell(v) == "'" + v
    assert safe_cell(-5) == -5 and safe_cell(2.5) == 2.5 and safe_cell("Torget") == "Torget"
    df = pd.DataFrame({"t": EVIL, "n": range(-3, 3)})
    out = neutralise_formulas(df)
    assert out["t"].str.startswith("'").all() and out["n"].tolist() == list(range(-3, 3))
    assert df["t"].tolist() == EVIL  # input untouched


def _cells(path: Path) -> list:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_atgardsplan_excel_and_csv(tmp_path: Path) -> None:
    with MeasureStore(tmp_path / "s.sqlite") as s:
        a = s.add_area(name="=HYPERLINK(\"http://x\")", geometry=shapely.box(17.1, 59.3, 17.2, 59.4))
        s.add_measure(area_id=a.id, title="+cmd|' /C calc'!A0", target_categories=["vald"],
                      description="@SUM(A1)", problem="-1+1", cost=500.0)
        s.export_plan_excel(tmp_path / "plan.xlsx")
        s.export_plan_csv(tmp_path / "plan.csv")
    cells = _cells(tmp_path / "plan.xlsx")
    assert not any(c.data_type == "f" for c in cells)  # no formula anywhere
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'+cmd|' /C calc'!A0" in texts and "'@SUM(A1)" in texts and "'-1+1" in texts
    assert 500 in {c.value for c in cells}  # a number stays a number
    csv = (tmp_path / "plan.csv").read_text(encoding="utf-8-sig")
    for line in csv.splitlines()[1:]:
        for field in line.split(";"):
            assert not field.startswith(("=", "+", "@", "\t", "\r")), field
    assert "'=HYPERLINK" in csv


def test_distrikt_csv_xlsx_and_rejected(tmp_path: Path) -> None:
    lb = tiny_lagesbild()
    d = lb.district_summary.copy()
    d.iloc[0, d.columns.get_loc("district_name")] = "=cmd|' /C calc'!A0"
    lb = dataclasses.replace(lb, district_summary=d)
    write_outputs(lb, tmp_path)
    csv = (tmp_path / "distrikt.csv").read_text(encoding="utf-8-sig")
    assert "'=cmd" in csv and not any(f.startswith("=") for line in csv.splitlines() for f in line.split(";"))
    cells = _cells(tmp_path / "distrikt.xlsx")
    assert not any(c.data_type == "f" for c in cells)
    assert "'=cmd|' /C calc'!A0" in {c.value for c in cells}


def test_rejected_rows_csv_of_the_app() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps"))
    import app_state

    rej = pd.DataFrame({"source": ["f.csv"], "source_row": [2], "reason": ["no position"],
                        "Adress": ["=HYPERLINK(\"http://x\")"], "X": [-1.5]})
    out = pd.read_csv(io.BytesIO(app_state.rejected_csv(rej)), sep=";", encoding="utf-8-sig")
    assert out["Adress"].iloc[0].startswith("'=") and out["X"].iloc[0] == -1.5


def test_cli_read_rejected_csv(tmp_path: Path) -> None:
    from lagesbild_geo.cli import main

    src = tmp_path / "inc.csv"
    src.write_text("Datum;Kategori;Lat;Long;Adress\n2025-01-01 10:00;Stöld;59.33;18.06;Torget 1\n"
                   "=HYPERLINK(\"http://x\");Stöld;59.33;18.06;-3\n", encoding="utf-8")
    rej = tmp_path / "rej.csv"
    assert main(["read", str(src), "--rejected", str(rej)]) == 0
    text = rej.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
