"""Hostile and broken input (issue 17): every case gives a correct result or a clear
message, never a traceback, a hang, a silent loss, a shifted value or markup in a map.

Every input is generated here, deterministically and small; the suite runs in seconds.
A case that once hung carries a timeout, so a regression fails instead of stalling CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from lagesbild_geo import read as lio
from lagesbild_geo.districts import read_districts
from lagesbild_geo.errors import CRSError, InputError, SchemaError, StoreError
from lagesbild_geo.export import read_package, validate_package
from lagesbild_geo.geocode import Gazetteer, geocode
from lagesbild_geo.limits import Limits, load_json
from lagesbild_geo.maps import lagesbild_map, map_html
from lagesbild_geo.measures import MeasureStore, newest_backup
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HEADER = "Ärendenummer;Datum;Tid;Brottstyp;Lat;Long"
WKT = "POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))"
BUG = "this is a bug"


def _row(i: int, date: str = "2024-03-05", cat: str = "Skadegörelse") -> str:
    return f"K{i};{date};22:15;{cat};59,3{i % 10};18,0{i % 10}"


def _accounted(r: Any) -> None:
    assert len(r.placed) + len(r.pending) + len(r.rejected) == r.report["rows_read"]


def _cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lagesbild_geo.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, input=stdin)


# ============================================================================ line ends


@pytest.mark.parametrize(("newline", "kind"), [(b"\r", "CR"), (b"\r\n", "CRLF"), (b"\n", "LF")])
def test_line_ends_cr_crlf_lf_read_every_row(tmp_path: Path, newline: bytes, kind: str) -> None:
    p = tmp_path / "mac.csv"
    p.write_bytes(newline.join([HEADER.encode("cp1252"), *(_row(i).encode("cp1252") for i in range(5))])
                  + newline)
    r = lio.read_incidents(p)
    _accounted(r)
    assert (r.report["rows_read"], r.report["placed"]) == (5, 5)
    assert r.placed["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert r.placed["incident_id"].tolist() == ["K0", "K1", "K2", "K3", "K4"]
    notes = [w for w in r.report["warnings"] if "CR only" in w]
    assert len(notes) == (1 if kind == "CR" else 0)


def test_csv_scan_over_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the usual CSV is scanned in blocks for its line ends and quotes, then read by pyarrow
    # from the file: a CR LF or a quote split between two blocks must not matter
    from lagesbild_geo.read import tables

    rows = [_row(i) for i in range(6)]
    rows[3] = rows[3].replace("Skadegörelse", '"Skadegörelse; klotter"')
    p = tmp_path / "windows.csv"
    p.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8"))
    whole = lio.read_table(p)
    for block in (1, 2, 3, 5):
        monkeypatch.setattr(tables, "_SCAN_BLOCK", block)
        df, info = lio.read_table(p)
        pd.testing.assert_frame_equal(df, whole[0])
        assert (info["line_endings"], info["parser"]) == ("CRLF", "pyarrow")
    assert whole[0].iloc[3]["Brottstyp"] == "Skadegörelse; klotter"


def test_mixed_line_ends_keep_line_numbers(tmp_path: Path) -> None:
    body = (HEADER + "\r\n" + _row(1) + "\r" + _row(2) + "\n\r" + _row(3) + "\r\n").encode("utf-8")
    p = tmp_path / "blandat.csv"
    p.write_bytes(body)
    r = lio.read_incidents(p)
    _accounted(r)
    assert r.placed["incident_id"].tolist() == ["K1", "K2", "K3"]
    assert r.placed["source_row"].tolist() == [2, 3, 5]  # the blank line 4 still counts
    assert any("mixes line ends" in w for w in r.report["warnings"])


# ============================================================================ encodings


@pytest.mark.parametrize("pad_kb", [0, 260])  # the bad row inside, and after, the sniffed head
def test_utf8_file_with_cp1252_rows_is_decoded_per_row(tmp_path: Path, pad_kb: int) -> None:
    rows = [_row(i) for i in range(1, 4)]
    pad = [f"P{i};2024-03-05;22:15;Stöld;59,30;18,00" for i in range(pad_kb * 1024 // 40)]
    head = "\n".join([HEADER, *pad, *rows]).encode("utf-8") + b"\n"
    bad = "Ö9;2024-03-05;22:15;Skadegörelse;59,35;18,05\n".encode("cp1252")
    tail = "Å10;2024-03-06;10:00;Misshandel;59,36;18,06\n".encode()
    p = tmp_path / "blandad.csv"
    p.write_bytes(head + bad + tail)
    r = lio.read_incidents(p)
    _accounted(r)
    bad_line = 1 + len(pad) + len(rows) + 1
    assert r.report["rejected"] == 0
    ids = r.placed["incident_id"].tolist()
    assert ids[-2:] == ["Ö9", "Å10"] and ids[-5:-2] == ["K1", "K2", "K3"]
    assert r.placed["category"].tolist()[-2:] == ["skadegorelse", "vald"]
    assert r.report["encoding"] == "utf-8"
    note = [w for w in r.report["warnings"] if "not valid UTF-8" in w]
    assert len(note) == 1 and f"line(s) {bad_line}." in note[0]
    assert r.report["redecoded_rows"] == [bad_line]
    _, info = lio.read_table(p)
    assert info["redecoded_rows"] == [bad_line]


def test_plain_cp1252_file_is_still_cp1252(tmp_path: Path) -> None:
    p = tmp_path / "ansi.csv"
    p.write_bytes("\n".join([HEADER, _row(1), _row(2)]).encode("cp1252"))
    r = lio.read_incidents(p)
    assert r.report["encoding"] == "cp1252" and r.placed["category"].tolist() == ["skadegorelse"] * 2
    assert not [w for w in r.report["warnings"] if "UTF-8" in w]


# ============================================================================ dates


OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1816-03-30", "2262-04-12", "99991231", "31.12.9999",
                "5 mars 9999"]


@pytest.mark.parametrize("date", OUT_OF_RANGE)
def test_dates_outside_the_range_are_rejected_never_shifted(tmp_path: Path, date: str) -> None:
    p = tmp_path / "datum.csv"
    p.write_text("\n".join([HEADER, _row(1, date), _row(2, "2024-01-01")]) + "\n", encoding="utf-8")
    r = lio.read_incidents(p)
    _accounted(r)
    assert r.placed["occurred_at"].astype(str).tolist() == ["2024-01-01 22:15:00+01:00"]
    assert r.rejected[["source_row", "reason", "reason_sv"]].values.tolist() == [
        [2, "date out of range", "datum utanför giltigt intervall"]]


@pytest.mark.parametrize("column", ["Datum och tid", "Datum"])
def test_every_date_out_of_range_is_no_index_error(tmp_path: Path, column: str) -> None:
    times = ["9999-12-31 22:15", "0001-01-01T10:00", "9999-12-31 22:15 +01:00", "0001-01-01"]
    p = tmp_path / "alla.csv"
    p.write_text(f"{column};Lat;Long\n" + "".join(f"{t};59,3;18,0\n" for t in times), encoding="utf-8")
    r = lio.read_incidents(p)
    _accounted(r)
    assert len(r.placed) == 0
    assert r.rejected["reason"].tolist() == ["date out of range"] * 4
    kept = lio.read_incidents(p, time_optional=True)
    assert kept.placed["occurred_at"].isna().all() and len(kept.placed) == 4


def test_parse_times_status_three_and_typed_columns() -> None:
    t, status, _ = lio.parse_times(pd.Series(["9999-12-31", "2024-03-05 22:15", "x", None, "1899-12-31"]))
    assert status.tolist() == [3, 0, 2, 1, 3]
    assert str(t.iloc[1]) == "2024-03-05 22:15:00+01:00" and t.isna().tolist() == [True, False, True, True, True]
    typed = pd.Series(pd.to_datetime(["9999-12-31 22:15", "2024-03-05 22:15"]).as_unit("us"))
    t2, status2, _ = lio.parse_times(typed)
    assert status2.tolist() == [3, 0] and str(t2.iloc[1]) == "2024-03-05 22:15:00+01:00"


# ============================================================================ spreadsheets


def _stray_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ärendenummer", "Datum", "Tid", "Brottstyp", "Lat", "Long"])
    ws.append(["K1", "2024-03-05", "22:15", "Rån", 59.33, 18.06])
    ws["XFD1048576"] = "bortglömd"
    wb.save(path)


@pytest.mark.timeout(30)
def test_xlsx_with_a_stray_cell_in_its_last_cell_reads_at_once(tmp_path: Path) -> None:
    p = tmp_path / "stray.xlsx"
    _stray_workbook(p)
    assert p.stat().st_size < 10_000
    r = lio.read_incidents(p)
    _accounted(r)
    assert r.placed["incident_id"].tolist() == ["K1"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[1048576, "missing time"]]
    assert r.rejected["raw_column_16384"].tolist() == ["bortglömd"]  # nothing lost
    raw, info = lio.read_table(p)
    assert list(raw.columns) == ["Ärendenummer", "Datum", "Tid", "Brottstyp", "Lat", "Long",
                                 "column_16384"]
    assert info["source_row"].tolist() == [2, 1048576]


@pytest.mark.timeout(30)
def test_xlsx_fallback_reader_ignores_the_declared_dimension(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "stray.xlsx"
    _stray_workbook(p)

    def unusual(*a: object, **k: object) -> None:
        raise KeyError("unusual workbook")  # the fast reader gives up: openpyxl reads it

    monkeypatch.setattr(lio.tables, "_read_excel_fast", unusual)
    raw, info = lio.read_table(p)
    assert len(raw.columns) == 7 and info["source_row"].tolist() == [2, 1048576]


def test_xlsx_zip_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "bomb.xlsx"
    _stray_workbook(p)
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/fyllnad.bin", b"\0" * 2_000_000)
    with pytest.raises(InputError, match="zip bomb"):
        lio.read_table(p, limits=Limits(ratio_from_bytes=1_000_000))


# ============================================================================ columns


def test_rejected_rows_are_built_in_one_step(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = pd.DataFrame({f"c{i}": pd.array(["x", None], dtype="str") for i in range(4000)})

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("a column added one by one: quadratic in the number of columns")

    monkeypatch.setattr(pd.DataFrame, "__setitem__", refuse)
    out = lio.make_rejected(raw, ["no location", "no location"], source="f.csv", source_row=[2, 3])
    assert out.shape == (2, 4004)
    assert out["raw_c3999"].tolist() == ["x", None] or out["raw_c3999"].isna().tolist() == [False, True]


@pytest.mark.timeout(60)
def test_four_thousand_columns_with_rejected_rows(tmp_path: Path) -> None:
    extra = 4000
    head = HEADER + ";" + ";".join(f"extra{i}" for i in range(extra))
    good = _row(1) + ";" + ";".join(["7"] * extra)
    bad = "K2;;;;;" + ";" + ";".join(["8"] * extra)
    p = tmp_path / "bred.csv"
    p.write_text("\n".join([head, good, bad]) + "\n", encoding="utf-8")
    r = lio.read_incidents(p)
    _accounted(r)
    assert (r.report["placed"], r.report["rejected"]) == (1, 1)
    assert r.rejected.shape[1] == 4 + 6 + extra and r.rejected["raw_extra3999"].tolist() == ["8"]


def test_duplicate_columns_never_silently_pick_the_first(tmp_path: Path) -> None:
    p = tmp_path / "tva.csv"
    p.write_text("Datum;Datum;Tid;Lat;Long\n2024-03-05;2023-01-01;22:15;59,3;18,0\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        lio.read_incidents(p)
    msg = str(err.value)
    assert "2 columns are named 'Datum'" in msg
    assert "--column date=Datum or --column date=Datum.1" in msg
    second = lio.read_incidents(p, columns={"date": "Datum.1"})
    assert str(second.placed["occurred_at"].iloc[0]) == "2023-01-01 22:15:00+01:00"
    same = tmp_path / "samma.csv"
    same.write_text("Datum;Datum;Tid;Lat;Long\n2024-03-05;2024-03-05;22:15;59,3;18,0\n", encoding="utf-8")
    r = lio.read_incidents(same)
    assert len(r.placed) == 1
    assert any("hold the same values; 'Datum' is used as the date column" in w
               for w in r.report["warnings"])
    frame = pd.DataFrame([["2024-03-05", "2023-01-01", "22:15", "59.3", "18.0"]],
                         columns=["Datum", "Datum", "Tid", "Lat", "Long"])
    with pytest.raises(SchemaError, match="named 'Datum'"):
        lio.read_incidents(frame)


# ============================================================================ limits


def test_limit_rows_and_columns(tmp_path: Path) -> None:
    p = tmp_path / "rader.csv"
    p.write_text("\n".join([HEADER, *(_row(i) for i in range(20))]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"20 rows, more than the limit of 10.*max_rows"):
        lio.read_table(p, limits=Limits(max_rows=10))
    with pytest.raises(InputError, match=r"rader\.csv: .*limit|more than the limit"):
        lio.read_incidents(p, settings=Settings(limits=Limits(max_rows=10)))
    wide = tmp_path / "bred.csv"
    wide.write_text("a;b\n" + ";".join(["1"] * 20_000) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"20 000 columns, more than the limit of 16 384"):
        lio.read_table(wide)


def test_limit_cell_length_names_the_unclosed_quote(tmp_path: Path) -> None:
    rows = [_row(1), 'K2;2024-03-05;22:15;"Skadegörelse;59,3;18,0',
            *(_row(i) for i in range(3, 3000))]
    p = tmp_path / "citat.csv"
    p.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        lio.read_incidents(p)
    assert "row 3, column 'Brottstyp'" in str(err.value) and "unclosed quote" in str(err.value)


def test_limit_json_depth(tmp_path: Path) -> None:
    deep = {"datetime": "2024-01-01 10:00:00 +01:00", "type": "Stöld",
            "location": {"name": "Exempelstad", "gps": "59.3,18.0"}}
    text = json.dumps([deep])[:-2] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}]"
    p = tmp_path / "polisen.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"nested 500\d levels deep, more than the limit of 64"):
        lio.read_incidents(p)
    assert load_json('{"a": "[[[[["}', name="x") == {"a": "[[[[["}
    from lagesbild_geo.limits import json_depth

    assert json_depth(b'{"a": "x\\"[[[", "b": [[1]]}') == 3  # an escaped quote stays in its string
    assert json_depth(b'{"a": "x\\\\", "b": [[[1]]]}') == 4  # an escaped backslash ends it


def test_limit_zip_members_size_and_names(tmp_path: Path) -> None:
    many = tmp_path / "manga.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(1001):
            z.writestr(f"f{i}.geojson", "{}")
    with pytest.raises(InputError, match=r"holds 1 001 files, more than the limit of 1 000"):
        read_package(many)
    big = tmp_path / "stor.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("cells.geojson", b" " * 3_000_000)
    with pytest.raises(InputError, match=r"unpacks to 2\.9 MB .* more than the limit"):
        read_package(big, limits=Limits(max_unpacked_bytes=1_000_000))
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as z:
        z.writestr("../../metadata.json", "{}")
    with pytest.raises(InputError, match="outside the folder"):
        read_package(slip)


@pytest.mark.timeout(30)
def test_zip_bomb_package_is_refused_without_unpacking(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "polisens_paket.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z, z.open("cells.geojson", "w") as f:
        for _ in range(120):
            f.write(b" " * (1 << 20))
    assert bomb.stat().st_size < 400_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(str(name)) or real_open(self, name, *a, **k))
    with pytest.raises(InputError, match=r"120\.0 MB .*zip bomb"):
        read_package(bomb)
    with pytest.raises(InputError, match="zip bomb"):
        validate_package(bomb)
    assert opened == []  # refused from the zip's directory: nothing was unpacked


def _star(n: int, cx: float = 18.0, cy: float = 59.3) -> shapely.Polygon:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.where(np.arange(n) % 2 == 0, 0.05, 0.02)
    return shapely.Polygon(np.c_[cx + 2 * r * np.cos(t), cy + r * np.sin(t)])


@pytest.mark.timeout(30)
def test_star_shaped_district_of_50000_vertices_reads_fast(tmp_path: Path) -> None:
    star = _star(50_000)
    layer = gpd.GeoDataFrame({"kod": ["A", "B"], "namn": ["Stjärnan", "Lådan"]},
                             geometry=[star, shapely.box(18.3, 59.2, 18.4, 59.3)], crs=4326)
    path = tmp_path / "stjarna.geojson"
    layer.to_file(path, driver="GeoJSON")
    d = read_districts(path)
    assert d.index.tolist() == ["A", "B"] and d.attrs["report"]["invalid_repaired"] == []
    assert abs(float(d.to_crs(3006).area.iloc[0]) - float(gpd.GeoSeries([star], crs=4326).to_crs(3006).area.iloc[0])) < 1


def test_polygon_over_the_vertex_limit_is_refused(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame({"kod": ["A"]}, geometry=[_star(2_000)], crs=4326)
    with pytest.raises(InputError, match=r"feature 1 \(A\) has a polygon with 2 000 vertices, more "
                                         r"than the limit of 1 000"):
        read_districts(layer, limits=Limits(max_polygon_vertices=1000))


def test_fast_validity_agrees_with_geos() -> None:
    from lagesbild_geo import _geometry

    rng = np.random.default_rng(17)
    star = _star(2100)
    holed = shapely.Polygon(star.exterior.coords, [shapely.box(17.99, 59.29, 18.01, 59.31).exterior.coords])
    shapes = [star, holed,  # a hole: not the fast path, GEOS decides
              shapely.Polygon(rng.random((2100, 2))),  # random zigzag: self-crossing
              shapely.MultiPolygon([star, _star(2100, cx=19.0)]),
              shapely.MultiPolygon([star, _star(2100, cx=18.01)]),  # overlapping parts
              shapely.Polygon([*star.exterior.coords[:-1], star.exterior.coords[5]]),  # touches itself
              shapely.box(0, 0, 1, 1), None]
    assert _geometry.is_valid(shapes).tolist() == shapely.is_valid(shapes).tolist()


# ============================================================================ districts


def _crs_geojson(path: Path, epsg: int, coords: list[list[float]]) -> None:
    fc = {"type": "FeatureCollection",
          "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
          "features": [{"type": "Feature", "properties": {"kod": "A", "namn": "Centrum"},
                        "geometry": {"type": "Polygon", "coordinates": [coords]}}]}
    path.write_text(json.dumps(fc), encoding="utf-8")


def test_district_crs_that_contradicts_the_values_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "distrikt.geojson"
    _crs_geojson(p, 3006, [[18.0, 59.3], [18.1, 59.3], [18.1, 59.4], [18.0, 59.3]])
    with pytest.raises(CRSError) as err:
        read_districts(p)
    msg = str(err.value)
    assert "says EPSG:3006" in msg and "look like WGS84 (EPSG:4326)" in msg
    assert "crs=4326" in msg and "Set CRS" in msg
    assert read_districts(p, crs=4326).index.tolist() == ["A"]  # the fix works
    good = tmp_path / "ratt.geojson"
    _crs_geojson(good, 3006, [[674000, 6580000], [675000, 6580000], [675000, 6581000], [674000, 6580000]])
    assert read_districts(good).attrs["report"]["crs_detected"] == "EPSG:3006"


@pytest.mark.slow
def test_build_with_a_contradicting_boundary_or_district_layer_exits_1(tmp_path: Path) -> None:
    inc = tmp_path / "h.csv"
    inc.write_text("\n".join([HEADER, *(_row(i) for i in range(5))]) + "\n", encoding="utf-8")
    bad = tmp_path / "fel.geojson"
    _crs_geojson(bad, 3006, [[17.9, 59.2], [18.2, 59.2], [18.2, 59.5], [17.9, 59.2]])
    for flag in ("--districts", "--boundary"):
        out = _cli("build", "--incidents", str(inc), flag, str(bad), "--out", str(tmp_path / "ut"),
                   "--quiet", "--no-clusters", "--no-emerging")
        assert out.returncode == 1, out.stderr
        assert "look like WGS84 (EPSG:4326)" in out.stderr and BUG not in out.stderr


# ============================================================================ store


@contextlib.contextmanager
def _other_user() -> Iterator[Callable[[Callable[[], object]], str]]:
    """Run a function as an unprivileged user (file permissions bind root-owned tests too)."""
    base = Path(tempfile.mkdtemp(prefix="lagesbild_fuzz_", dir="/tmp"))
    base.chmod(0o777)

    def run(fn: Callable[[], object]) -> str:
        if os.geteuid() != 0:
            try:
                fn()
            except StoreError as exc:
                return str(exc)
            return "ok"
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            try:
                os.setgid(65534)
                os.setuid(65534)
                fn()
                msg = "ok"
            except StoreError as exc:
                msg = str(exc)
            except BaseException as exc:
                msg = f"RAW {type(exc).__name__}: {exc}"
            os.write(w, msg.encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as fh:
            out = fh.read().decode()
        os.waitpid(pid, 0)
        return out

    try:
        yield lambda fn: run(fn)
    finally:
        import shutil

        for d in [base, *base.rglob("*")]:
            with contextlib.suppress(OSError):
                d.chmod(0o777)
        shutil.rmtree(base, ignore_errors=True)


def _filled_store(path: Path) -> None:
    with MeasureStore(path, user="anna") as s:
        a = s.add_area(name="Torget", geometry=WKT)
        s.add_measure(area_id=a.id, title="Belysning", target_categories=["skadegorelse"])


def test_store_read_only_file_and_read_only_folder() -> None:
    with _other_user() as as_user:
        base = Path(tempfile.mkdtemp(dir="/tmp", prefix="lagesbild_fuzz_ro_"))
        try:
            base.chmod(0o777)
            store = base / "atgarder.sqlite"
            _filled_store(store)
            store.chmod(0o444)

            def add() -> None:
                with MeasureStore(store) as s:
                    s.add_area(name="Nytt", geometry=WKT)

            def read() -> None:
                with MeasureStore(store) as s:
                    assert len(s.list_measures()) == 1

            msg = as_user(add)
            assert "is a read-only file; nothing was saved" in msg and "writable" in msg, msg
            store.chmod(0o666)
            base.chmod(0o555)
            msg = as_user(add)
            assert f"The folder {base} holding the measure store is read-only" in msg, msg
            assert "not a measure store" not in msg and "restore" not in msg.lower(), msg
            msg = as_user(read)  # reading works, or says the same; never "restore a backup"
            assert msg == "ok" or f"The folder {base} holding the measure store" in msg, msg
        finally:
            base.chmod(0o777)
            import shutil

            shutil.rmtree(base, ignore_errors=True)


def test_store_disk_full(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    _filled_store(path)
    with MeasureStore(path) as s:
        conn = s._conn()
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(StoreError, match=r"is full; nothing was saved .*Free some space"):
            for i in range(50):
                s.add_area(name=f"Område {i}", geometry=WKT, description="x" * 4000)
        assert len(s.list_areas()) < 50  # whole changes only: what was saved is intact
        assert s.list_measures()["title"].tolist() == ["Belysning"]


def test_store_corruption_names_the_newest_backup(tmp_path: Path) -> None:
    path = tmp_path / "atgarder.sqlite"
    _filled_store(path)
    with MeasureStore(path) as s:
        old = s.backup(tmp_path / "atgarder-backup-1.sqlite")
        new = s.backup(tmp_path / "backups" / "atgarder-backup-2.sqlite")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    assert newest_backup(path) == new
    data = bytearray(path.read_bytes())
    data[4096 * 2:] = b"\x55" * (len(data) - 4096 * 2)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err, MeasureStore(path) as s:
        s.list_measures()
        s.list_areas()
    msg = str(err.value)
    assert "is damaged" in msg and f"Restore the newest backup, {new}" in msg
    assert f"lagesbild measures restore {new} --store {path}" in msg


@pytest.mark.parametrize("sql", [
    "UPDATE measures SET start_date = '31/12/2024'",
    "UPDATE measures SET target_categories = 'nej'",
    "UPDATE measures SET target_categories = '[\"okänd\"]'",
    "UPDATE measures SET cost = 'dyrt'",
    "UPDATE measures SET version = 'v1'",
    "UPDATE areas SET geometry = x'0102'",
    "UPDATE areas SET source_cells = '{'",
    "UPDATE areas SET name = ' '",
])
def test_store_hand_edited_rows_give_store_errors(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "s.sqlite"
    _filled_store(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(sql)
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"holds an invalid value .*edited by hand or is damaged"), \
            MeasureStore(path) as s:
        s.list_measures()
        s.list_areas()
        s.get_measure(s.list_measures(include_deleted=True).index[0])


@pytest.mark.parametrize("version", [-1, 7, 99])
def test_store_unknown_schema_version_writes_no_backup(tmp_path: Path, version: int) -> None:
    path = tmp_path / "s.sqlite"
    _filled_store(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as err:
        MeasureStore(path)
    assert ("which no version of lagesbild_geo writes" in str(err.value)
            or "newer than this library" in str(err.value))
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []


def test_store_that_is_not_sqlite_is_named_as_such(tmp_path: Path) -> None:
    p = tmp_path / "atgarder.sqlite"
    p.write_text("id;namn\n1;Torget\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"is not a measure store \(not an SQLite file at all"):
        MeasureStore(p)
    assert p.read_text(encoding="utf-8") == "id;namn\n1;Torget\n"  # untouched


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_concurrent_measure_adds_create_one_area(tmp_path: Path) -> None:
    store = tmp_path / "samtidigt.sqlite"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "lagesbild_geo.cli", "measures", "add", "--store", str(store),
         "--area", "Stationen", "--geometry", WKT, "--title", f"Åtgärd {i}", "--categories", "stold"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(5)]
    outs = [p.communicate(timeout=110) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, outs
    with MeasureStore(store) as s:
        areas = s.list_areas()
        assert areas["name"].tolist() == ["Stationen"]
        assert sorted(s.list_measures()["title"]) == [f"Åtgärd {i}" for i in range(5)]
        assert set(s.list_measures()["area_id"]) == {areas.index[0]}
    assert sum("added area" in o for o, _ in outs) == 1


# ============================================================================ CLI


@pytest.mark.slow
def test_read_piped_into_head_still_writes_its_files(tmp_path: Path) -> None:
    src = tmp_path / "h.csv"
    src.write_text("\n".join([HEADER, *(_row(i) for i in range(200)), "K9;;;;;"]) + "\n",
                   encoding="utf-8")
    cmd = (f"{sys.executable} -m lagesbild_geo.cli read {src} --out {tmp_path / 'ut.csv'} "
           f"--rejected {tmp_path / 'av.csv'} --report {tmp_path / 'r.json'} | head -c 1")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(pd.read_csv(tmp_path / "ut.csv")) == 200
    assert len(pd.read_csv(tmp_path / "av.csv")) == 1
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows_read"] == 201


def _garbage(seed: int, size: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_validate_and_export_on_garbage_exit_1_with_a_clear_message(tmp_path: Path, seed: int) -> None:
    folder = tmp_path / "paket"
    folder.mkdir()
    (folder / "metadata.json").write_bytes(_garbage(seed, 3000))
    (folder / "cells.geojson").write_bytes(b'{"type": "FeatureCollection", "features": '
                                           b'[{"type": "Feature", "geometry": {"type": "Polygon", '
                                           b'"coordinates": "x"}, "properties": 5}]}')
    zipped = tmp_path / "skrap.zip"
    zipped.write_bytes(b"PK\x03\x04" + _garbage(seed, 3000))
    gpkg = tmp_path / "skrap.gpkg"
    gpkg.write_bytes(_garbage(seed + 10, 3000))
    for args in (["validate", str(folder)], ["validate", str(zipped)],
                 ["export", "--from", str(folder), "--to", str(tmp_path / "a.zip")],
                 ["export", "--from", str(gpkg), "--to", str(tmp_path / "b.zip")],
                 ["export", "--from", str(zipped), "--to", str(tmp_path / "c.zip")]):
        out = _cli(*args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        assert BUG not in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
        assert (out.stdout + out.stderr).strip(), args


def test_police_json_nested_5000_deep_exits_1(tmp_path: Path) -> None:
    p = tmp_path / "polisen.json"
    p.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    out = _cli("read", str(p))
    assert out.returncode == 1 and "nested 5000 levels deep" in out.stderr and BUG not in out.stderr


def test_measures_add_with_a_garbage_geometry_file_exits_1(tmp_path: Path) -> None:
    g = tmp_path / "omrade.geojson"
    g.write_bytes(_garbage(3, 500))
    out = _cli("measures", "add", "--store", str(tmp_path / "s.sqlite"), "--area", "X",
               "--geometry", str(g), "--title", "T", "--categories", "stold")
    assert out.returncode == 1 and BUG not in out.stderr and "omrade.geojson" in out.stderr


# ============================================================================ geocoding


def test_a_minus_sign_is_no_house_number() -> None:
    gaz = Gazetteer.from_frame(pd.DataFrame({"address": ["Almvägen 5", "Almvägen 7"],
                                             "lat": [59.30, 59.31], "lon": [18.00, 18.01]}))
    texts = ["Almvägen -5", "Almvägen \u22125", "Almvägen 5", "Almvägen 5-7"]
    r = geocode(pd.DataFrame({"location_text": texts}), gaz)
    by = dict(zip(r.placed["location_text"], r.placed["geocode_match"], strict=True))
    assert by["Almvägen 5"] == by["Almvägen 5-7"] == "exact"
    assert by["Almvägen -5"] != "exact" and by["Almvägen \u22125"] != "exact"
    assert set(r.placed.loc[r.placed["location_text"] == "Almvägen -5", "precision"]) != {"address"}


# ============================================================================ maps


def test_map_properties_are_html_escaped_everywhere() -> None:
    x = '<img src=x onerror="alert(1)">'
    cell = pd.Index([617733122422996991], dtype="uint64", name="cell")
    box = shapely.box(18.0, 59.3, 18.01, 59.31)

    def g(data: dict[str, list[Any]], index: Any = None) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=[box], crs=4326, index=index)

    pins = g({"n": [9], "top_reason": [x], "suppressed": [False]}, cell)
    survey = pd.DataFrame({"district_code": ["D1"], "otrygg_share": [0.3], "n": [40]})
    lb = Lagesbild(
        incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={},
        cells=g({"count": [5]}, cell), hotspots=g({"hotspot_class": ["hot_99"], "gi_z": [3.1]}, cell),
        clusters=g({"cluster_id": [1], "n": [30], "top_categories": [x]}),
        emerging=g({"pattern": [x]}, cell),
        districts=g({"district_name": [x], "total": [9]}, pd.Index(["D1"], name="district_code")),
        district_summary=pd.DataFrame(), survey={"districts": survey, "pins": pins})
    areas = g({"name": [x], "n_measures": [x]}, pd.Index(["a1"], name="id"))
    html = map_html(lagesbild_map(lb, layers=tuple(["districts", "survey", "cells", "emerging",
                                                     "hotspots", "clusters", "areas"]),
                                  areas=areas, tiles=None, assets="/static"))
    data = "".join(re.findall(r"_add\((\{.*\})\);", html))
    assert data and "<img" not in data and "\\u003cimg" not in data
    assert data.count("\\u0026lt;img src=x onerror=\\u0026quot;alert(1)\\u0026quot;\\u0026gt;") >= 6


# ============================================================================ app


def test_sign_in_throttle_grows_locks_and_clears() -> None:
    pytest.importorskip("streamlit")
    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    now = [1000.0]
    t = app_state.SignInThrottle(clock=lambda: now[0])
    waits = []
    for _ in range(9):
        t.failure("Lisa")
        waits.append(t.wait_s("lisa"))
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    t.failure(" LISA ")
    assert t.is_locked("Lisa") and t.wait_s("Lisa") == 900.0
    assert t.wait_s("Bo") == 0.0  # another name is not locked (30 failures slow everyone)
    now[0] += 901
    assert not t.is_locked("Lisa") and t.wait_s("Lisa") == 0.0
    t.failure("Lisa")
    t.success("Lisa")
    assert t.wait_s("Lisa") == 0.0
    for i in range(40):
        t.failure(f"namn{i}")
    assert t.wait_s("ny") > 0  # many names tried: everyone waits a little


def _sign_in(at: Any, name: str, password: str) -> None:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()


def test_app_sign_in_is_throttled_across_sessions(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    secrets = {"lagesbild": {"passwords": {"redaktör": "r-hemligt", "läsare": "l-hemligt"}}}

    def new_session() -> Any:
        at = AppTest.from_file(str(ROOT / "apps" / "lagesbild_app.py"), default_timeout=120)
        at.secrets.update(secrets)
        at.run()
        return at

    at = new_session()
    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    app_state.sign_in_throttle.clear()
    at = new_session()
    for _ in range(3):
        _sign_in(at, "Mallory", "fel")
    assert any("Fel lösenord" in e.value for e in at.error)
    fresh = new_session()  # a new tab: the throttle is shared, not per session
    _sign_in(fresh, "mallory", "r-hemligt")
    assert any("Vänta" in e.value for e in fresh.error)
    assert "access" not in fresh.session_state
    throttle = app_state.sign_in_throttle()
    for _ in range(10):
        throttle.failure("Mallory")
    _sign_in(fresh, "Mallory", "r-hemligt")
    assert any("spärrad" in e.value for e in fresh.error)
    assert "access" not in fresh.session_state
    _sign_in(fresh, "Lisa", "l-hemligt")  # another name signs in as before
    assert fresh.session_state["access"].role == "läsare"
    app_state.sign_in_throttle.clear()


def test_rejected_rows_download_only_for_editors(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_UPLOADS", str(tmp_path / "uppladdat"))
    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    app_state.sign_in_throttle.clear()
    csv = "\n".join([HEADER, _row(1), "K2;;;Stöld;59,3;18,0"]).encode("cp1252")
    secrets = {"lagesbild": {"passwords": {"redaktör": "r-hemligt", "läsare": "l-hemligt"}}}
    seen = {}
    for role, password in (("läsare", "l-hemligt"), ("redaktör", "r-hemligt")):
        at = AppTest.from_file(str(ROOT / "apps" / "lagesbild_app.py"), default_timeout=120)
        at.secrets.update(secrets)
        at.run()
        _sign_in(at, f"Test {role}", password)
        at.switch_page("app_pages/data.py")
        at.run()
        at.file_uploader[0].set_value([("handelser.csv", csv, "text/csv")])
        at.run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["Avvisade"] == "1"
        seen[role] = len(at.get("download_button"))
        if role == "läsare":
            assert any("bara laddas ner av redaktörer" in c.value for c in at.caption)
    assert seen["läsare"] == 0 and seen["redaktör"] >= 1
    assert list((tmp_path / "uppladdat").iterdir())  # uploads kept per session folder


def test_old_and_ended_uploads_are_deleted(tmp_path: Path) -> None:
    pytest.importorskip("streamlit")
    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    root = tmp_path / "uppladdat"
    old, fresh, ended = root / "gammal", root / "ny", root / "avslutad"
    for d in (old, fresh, ended):
        d.mkdir(parents=True)
        (d / "fil.csv").write_text("x", encoding="utf-8")
    now = 2_000_000_000.0
    os.utime(old, (now - 2 * 86400, now - 2 * 86400))
    os.utime(fresh, (now - 600, now - 600))
    os.utime(ended, (now - 600, now - 600))
    gone = app_state.cleanup_uploads(root, now=now, is_active=lambda sid: sid != "avslutad")
    assert sorted(p.name for p in gone if p.parent == root) == ["avslutad", "gammal"]
    assert sorted(p.name for p in root.iterdir()) == ["ny"]
    os.utime(fresh, (now - 3 * 86400, now - 3 * 86400))
    app_state.cleanup_uploads(root, now=now, keep=None, is_active=lambda sid: None)  # no runtime: by age
    assert list(root.iterdir()) == []


def test_app_police_package_import_refuses_a_zip_bomb(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_UPLOADS", str(tmp_path / "uppladdat"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("cells.geojson", "w") as f:
        for _ in range(60):
            f.write(b" " * (1 << 20))
    at = AppTest.from_file(str(ROOT / "apps" / "lagesbild_app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/export.py")
    at.run()
    at.file_uploader[0].set_value([("polisen.zip", buf.getvalue(), "application/zip")])
    at.run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "zip bomb" in text and "Traceback" not in text
    unpacked = sum(f.stat().st_size for f in (tmp_path / "uppladdat").rglob("*") if f.is_file())
    assert unpacked < 1_000_000  # only the small zip itself was stored


def test_area_names_are_not_markdown_for_other_users(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An area name is shown as typed on the Områden page: no image fetched, no link, no colour."""
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    store = tmp_path / "s.sqlite"
    monkeypatch.setenv("LAGESBILD_STORE", str(store))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    name = "![spår](http://127.0.0.1:9/x.png) :red[Torget] <b>fet</b>"
    with MeasureStore(store, user="[länk](http://127.0.0.1:9)") as s:
        s.add_area(name=name, geometry=WKT)
    at = AppTest.from_file(str(ROOT / "apps" / "lagesbild_app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/omraden.py")
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown if "spår" in m.value]
    assert shown and all(app_state.md_escape(name) in v for v in shown)
    assert app_state.md_escape(name) == ("\\!\\[spår\\]\\(http\\://127\\.0\\.0\\.1\\:9/x\\.png\\) "
                                         "\\:red\\[Torget\\] \\<b\\>fet\\</b\\>")
