"""The ``lagesbild read`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import lagesbild_geo.cli as cli

N, E = 6_582_861, 619_689


@pytest.fixture
def main(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    # only this command: other command modules may still be under construction
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("read",))
    return cli.main


@pytest.fixture
def incidents(tmp_path: Path) -> Path:
    rows = [
        "Diarienummer;Brottsdatum;Klockslag;Brottstyp;Adress;X;Y",
        f"K1;2024-03-05;22:15;Misshandel;;{N};{E}",
        f"K2;2024-03-06;0:40;Klotter;;{N + 10};{E + 10}",
        "K3;;22:15;Klotter;;0;0",
        "K4;2024-03-07;12:00;Stöld;Storgatan 12;;",
        "K5;2024-03-07;12:00;Stöld;;0;0",
    ]
    p = tmp_path / "brott.csv"
    p.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    return p


def test_read_prints_summary_and_writes_files(main, incidents: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out, rej, rep, pend = (tmp_path / n for n in ("placed.csv", "rejected.csv", "report.json", "pending.csv"))
    code = main(["read", str(incidents), "--out", str(out), "--rejected", str(rej),
                 "--report", str(rep), "--pending", str(pend)])
    assert code == 0
    text = capsys.readouterr().out
    assert "5 rows read" in text and "placed:   2 (point 2)" in text
    assert "rejected: 2 (missing time 1, no location 1)" in text
    assert "EPSG:3006; axes swapped (2 rows)" in text
    report = json.loads(rep.read_text(encoding="utf-8"))
    for key in ("rows_read", "placed", "pending", "rejected", "by_precision", "rejected_by_reason",
                "crs_detected", "axes_swapped", "encoding", "delimiter"):
        assert key in report
    assert (report["rows_read"], report["placed"], report["pending"], report["rejected"]) == (5, 2, 1, 2)
    assert report["crs_detected"] == "EPSG:3006" and report["axes_swapped"] is True
    assert (report["encoding"], report["delimiter"]) == ("cp1252", ";")
    placed = pd.read_csv(out, dtype=str)
    assert placed["incident_id"].tolist() == ["K1", "K2"]
    assert placed["cell"].str.fullmatch(r"\d+").all()
    rejected = pd.read_csv(rej, sep=";", encoding="utf-8-sig", dtype=str)
    assert rejected["source_row"].tolist() == ["4", "6"]
    assert rejected["reason"].tolist() == ["missing time", "no location"]  # 0/0: a missing position
    assert pd.read_csv(pend, dtype=str)["location_text"].tolist() == ["Storgatan 12"]


@pytest.mark.parametrize("suffix", [".parquet", ".geojson"])
def test_read_out_formats(main, incidents: Path, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"placed{suffix}"
    assert main(["read", str(incidents), "--out", str(out)]) == 0
    if suffix == ".parquet":
        df = pd.read_parquet(out)
        assert str(df["occurred_at"].dtype) == "datetime64[ns, Europe/Stockholm]"
    else:
        import geopandas as gpd

        df = gpd.read_file(out)
        assert df.crs.to_epsg() == 4326
    assert len(df) == 2


def test_read_exit_codes(main, incidents: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", str(tmp_path / "saknas.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    broken = tmp_path / "trasig.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert main(["read", str(broken)]) == 1
    assert "trasig.xlsx cannot be opened as an Excel" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["read", str(incidents), "--out", "x.txt"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["read"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["read", str(incidents), "--bogus"])
    assert exc.value.code == 2


def test_read_with_crs_and_sheet_options(main, tmp_path: Path,  # type: ignore[no-untyped-def]
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Datum", "X", "Y"])
    ws.append(["2024-05-01 12:00", 6_581_000, 153_000])  # SWEREF 99 18 00
    wb.save(tmp_path / "zon.xlsx")
    assert main(["read", str(tmp_path / "zon.xlsx")]) == 1
    assert "local zone" in capsys.readouterr().err
    assert main(["read", str(tmp_path / "zon.xlsx"), "--crs", "3011", "--sheet", "Data"]) == 0
    assert "EPSG:3011" in capsys.readouterr().out
    assert main(["read", str(tmp_path / "zon.xlsx"), "--sheet", "0", "--crs", "3011"]) == 0


def test_read_with_gazetteer(main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    gaz = tmp_path / "gaz.csv"
    gaz.write_text("typ,gatunamn,husnummer,postort,nord,ost\nadress,Storgatan,12,Exempelstad,6582861,619689\n",
                   encoding="utf-8")
    src = tmp_path / "k.csv"
    src.write_text("Datum;Tid;Adress\n2024-01-01;10:00;Storgatan 12\n2024-01-01;11:00;Okändavägen 3\n",
                   encoding="utf-8")
    report = tmp_path / "r.json"
    assert main(["read", str(src), "--gazetteer", str(gaz), "--report", str(report)]) == 0
    assert "geocoded: match rate 50.0%" in capsys.readouterr().out
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert (rep["placed"], rep["pending"], rep["rejected"]) == (1, 0, 1)
    assert rep["rejected_by_reason"] == {"address not found": 1}
    assert rep["by_precision"] == {"address": 1}


def test_read_with_gazetteer_and_districts(main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import shapely

    gaz = tmp_path / "gaz.csv"
    gaz.write_text("typ,gatunamn,husnummer,postort,nord,ost\nadress,Storgatan,12,Exempelstad,6582861,619689\n",
                   encoding="utf-8")
    districts = tmp_path / "d.geojson"
    gpd.GeoDataFrame({"deso": ["9999C1010"], "namn": ["Björkhagen"], "befolkning": [1200]},
                     geometry=[shapely.box(17.0, 59.3, 17.1, 59.4)], crs=4326).to_file(districts)
    src = tmp_path / "k.csv"
    src.write_text("Datum;Tid;Adress\n2024-01-01;10:00;Storgatan 12\n2024-01-01;11:00;Björkhagen\n",
                   encoding="utf-8")
    report = tmp_path / "r.json"
    assert main(["read", str(src), "--gazetteer", str(gaz), "--districts", str(districts),
                 "--report", str(report)]) == 0
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert (rep["placed"], rep["rejected"]) == (2, 0)
    assert rep["by_precision"] == {"address": 1, "area": 1}
    # without a gazetteer: the row naming a district is placed, the address stays pending
    assert main(["read", str(src), "--districts", str(districts), "--report", str(report)]) == 0
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert (rep["placed"], rep["pending"], rep["rejected"]) == (1, 1, 0)
    assert rep["by_precision"] == {"area": 1}


def test_unexpected_failure_is_a_message_not_a_traceback(main, incidents: Path,  # type: ignore[no-untyped-def]
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import lagesbild_geo.read as lio

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("weird")

    monkeypatch.setattr(lio, "read_incidents", boom)
    monkeypatch.delenv("LAGESBILD_DEBUG", raising=False)
    assert main(["read", str(incidents)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "read failed on an input it did not expect (KeyError: 'weird')" in err
    monkeypatch.setenv("LAGESBILD_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["read", str(incidents)])

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_ambiguous_columns_name_the_file_and_cli_column_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "amb.csv"
    p.write_text("Datum;Brottsdatum;Tid;X;Y\n2024-03-05;2024-03-06;22:15;6580000;660000\n", encoding="utf-8")
    assert cli.main(["read", str(p)]) == 1
    err = capsys.readouterr().err
    assert "amb.csv: Several columns could be the date column: ['Datum', 'Brottsdatum']" in err
    assert "--column ROLE=NAME" in err
    out = tmp_path / "ut.csv"
    assert cli.main(["read", str(p), "--column", "date=Brottsdatum", "--out", str(out)]) == 0

    assert pd.read_csv(out)["occurred_at"].tolist() == ["2024-03-06 22:15:00+01:00"]
    with pytest.raises(SystemExit):
        cli.main(["read", str(p), "--column", "Brottsdatum"])
