"""Tests for ``lagesbild build`` and ``lagesbild init``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pg_cluster import PrivateCluster

from lagesbild_geo.cli import main
from lagesbild_geo.pipeline import load_config


def _small_inputs(tmp: Path) -> tuple[Path, Path]:
    """Two districts (WGS84 GeoJSON) and 120 incidents (CSV, lat/lon) in a fixed pattern."""
    d = gpd.GeoDataFrame({"deso": ["9999C1010", "9999C1020"], "namn": ["Centrum", "Åby"],
                          "befolkning": [1500, 500]},
                         geometry=[shapely.box(17.00, 59.30, 17.02, 59.31), shapely.box(17.02, 59.30, 17.04, 59.31)],
                         crs=4326)
    dpath = tmp / "districts.geojson"
    d.to_file(dpath, driver="GeoJSON")
    rng = np.random.default_rng(3)
    n = 120
    west = np.arange(n) < 90  # 90 in Centrum, 30 in Åby
    lon = np.where(west, rng.uniform(17.001, 17.019, n), rng.uniform(17.021, 17.039, n))
    lat = rng.uniform(59.301, 59.309, n)
    days = (np.arange(n) % 28) + 1
    df = pd.DataFrame({"Datum": [f"2025-02-{d:02d}" for d in days], "Tid": "22:15",
                       "Brottstyp": np.where(np.arange(n) % 4 == 0, "Klotter", "Misshandel"),
                       "Lat": np.round(lat, 6), "Long": np.round(lon, 6)})
    ipath = tmp / "incidents.csv"
    df.to_csv(ipath, index=False, sep=";")
    return ipath, dpath


@pytest.mark.slow
def test_build_flag_form_writes_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ipath, dpath = _small_inputs(tmp_path)
    out = tmp_path / "ut"
    code = main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--period", "2025",
                 "--kommun", "Exempelkommun", "--no-clusters", "--no-emerging",
                 "--created-at", "2026-01-01T00:00:00+00:00", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "Centrum" in captured.out and "Hela kommunen" in captured.out
    assert "100%" in captured.err  # the progress bar
    for name in ("distrikt.csv", "distrikt.xlsx", "cells.geojson", "hotspots.geojson", "districts.geojson",
                 "metadata.json", "lagesbild.json", "lagesbild.gpkg", "rapport.html"):
        assert (out / name).exists(), name
    table = pd.read_csv(out / "distrikt.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Distriktskod": str})
    assert list(table.columns[:3]) == ["Distriktskod", "Distrikt", "Radtyp"]
    assert table["Antal händelser"].tolist() == [90, 30, 0, 120]
    assert table["Per 1 000 invånare"].tolist()[:2] == [60.0, 60.0]
    assert table["Vanligaste kategori"].tolist()[0] == "Våld och hot"
    xl = pd.read_excel(out / "distrikt.xlsx", sheet_name="Distrikt", dtype={"Distriktskod": str}, engine="openpyxl")
    assert xl["Antal händelser"].tolist() == [90, 30, 0, 120]
    meta = json.loads((out / "lagesbild.json").read_text(encoding="utf-8"))
    assert meta["period"]["label"] == "2025" and meta["created_at"] == "2026-01-01T00:00:00+00:00"
    assert meta["sources"][0]["path"] == "incidents.csv" and len(meta["sources"][0]["sha256"]) == 64
    cells = json.loads((out / "cells.geojson").read_text(encoding="utf-8"))
    assert cells["type"] == "FeatureCollection" and cells["features"]


@pytest.mark.slow
def test_build_is_byte_identical_with_fixed_created_at(tmp_path: Path) -> None:
    ipath, dpath = _small_inputs(tmp_path)
    outs = []
    for k in range(2):
        out = tmp_path / f"ut{k}"
        assert main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--period", "2025",
                     "--no-clusters", "--no-emerging", "--quiet",
                     "--created-at", "2026-01-01T00:00:00+00:00", "--out", str(out)]) == 0
        outs.append(out)
    for name in ("distrikt.csv", "lagesbild.json", "cells.geojson", "hotspots.geojson", "districts.geojson"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.mark.slow
def test_build_config_form_on_exempelkommun(tmp_path: Path, sample_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "lagesbild.toml"
    assert main(["init", str(cfg), "--sample-dir", str(sample_dir)]) == 0
    out = tmp_path / "resultat"
    assert main(["build", "--config", str(cfg), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Lägesbild Exempelkommun 2025" in text and "Stationsområdet" in text
    table = pd.read_csv(out / "distrikt.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Distriktskod": str})
    assert len(table) == 28 + 2
    total = table["Antal händelser"].iloc[-1]
    assert table["Antal händelser"].iloc[:-1].sum() == total
    assert (out / "rapport.html").stat().st_size > 1000


def test_build_needs_inputs_and_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", str(tmp_path)]) == 1
    assert "--config" in capsys.readouterr().err
    ipath, _ = _small_inputs(tmp_path)
    assert main(["build", "--incidents", str(ipath)]) == 1
    assert "--out" in capsys.readouterr().err
    assert main(["build", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path)]) == 1
    assert "lagesbild init" in capsys.readouterr().err


def test_init_writes_loadable_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lagesbild.toml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# lagesbild.toml") and 'path = "sample_data/incidents_polis.xlsx"' in text
    assert "lagesbild sample" in capsys.readouterr().out  # no sample data beside it yet
    c = load_config(path)
    assert c.sources[0].path == str(tmp_path.resolve() / "sample_data" / "incidents_polis.xlsx")
    assert c.out_dir == str(tmp_path.resolve() / "lagesbild_ut")
    # Refuses to overwrite without --force.
    assert main(["init", str(path)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["init", str(path), "--force", "--sample-dir", str(tmp_path / "data" / "ex")]) == 0
    assert 'path = "data/ex/districts.geojson"' in path.read_text(encoding="utf-8")
    # A folder as PATH gets lagesbild.toml inside.
    sub = tmp_path / "sub"
    sub.mkdir()
    assert main(["init", str(sub)]) == 0
    assert (sub / "lagesbild.toml").exists()


def test_build_without_districts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ipath, _ = _small_inputs(tmp_path)
    out = tmp_path / "ut"
    assert main(["build", "--incidents", str(ipath), "--period", "2025-02", "--previous-period", "previous",
                 "--no-clusters", "--no-emerging", "--quiet", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Lägesbild 2025-02: 120 incidents in the period")
    assert not (out / "distrikt.csv").exists()
    meta = json.loads((out / "lagesbild.json").read_text(encoding="utf-8"))
    assert meta["counts"]["placed_in_period"] == 120
    # the incidents begin on 1 February: January is not compared (no data is not no crimes)
    assert meta["previous_period"] is None
    assert any(n.startswith("Jämförelseperioden 2025-01 jämförs inte: händelserna börjar 1 februari 2025")
               for n in meta["notes_sv"])
    assert "placed" not in meta["counts"]  # every period's rows: with the period's total, a hidden previous one


@pytest.mark.slow
def test_build_with_store_and_include_points(tmp_path: Path) -> None:
    from lagesbild_geo.measures import MeasureStore

    ipath, dpath = _small_inputs(tmp_path)
    store_path = tmp_path / "atgarder.sqlite"
    with MeasureStore(store_path, user="test") as store:
        area = store.add_area(name="Torget", geometry=shapely.box(17.005, 59.302, 17.010, 59.305))
        store.add_measure(area_id=area.id, title="Bättre belysning", target_categories=["vald"])
    base = ["build", "--incidents", str(ipath), "--districts", str(dpath), "--period", "2025",
            "--no-clusters", "--no-emerging", "--quiet", "--store", str(store_path)]
    out = tmp_path / "ut"
    assert main([*base, "--out", str(out)]) == 0
    areas = json.loads((out / "areas.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["area_name"] for f in areas["features"]] == ["Torget"]
    assert "Bättre belysning" in (out / "rapport.html").read_text(encoding="utf-8")
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert not any(layer["name"] == "incidents" for layer in meta["layers"])
    out2 = tmp_path / "ut2"
    assert main([*base, "--include-points", "--out", str(out2)]) == 0
    meta2 = json.loads((out2 / "metadata.json").read_text(encoding="utf-8"))
    assert "incidents" in json.dumps(meta2["layers"])
    assert main([*base[:-2], "--store", str(tmp_path / "nope.sqlite"), "--out", str(out2)]) == 1


@pytest.mark.slow
def test_build_with_a_server_store(tmp_path: Path, pg_cluster: PrivateCluster,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild_geo.measures import MeasureStore

    pg_cluster.wipe()
    ipath, dpath = _small_inputs(tmp_path)
    url = pg_cluster.url("app_0180")
    with MeasureStore(url, kommun="0180", user="test") as store:
        area = store.add_area(name="Torget", geometry=shapely.box(17.005, 59.302, 17.010, 59.305))
        store.add_measure(area_id=area.id, title="Bättre belysning", target_categories=["vald"])
    monkeypatch.setenv("LAGESBILD_KOMMUN", "0180")
    out = tmp_path / "ut"
    assert main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--period",
                 "2025", "--no-clusters", "--no-emerging", "--quiet", "--store", url,
                 "--out", str(out)]) == 0
    areas = json.loads((out / "areas.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["area_name"] for f in areas["features"]] == ["Torget"]
    assert "Bättre belysning" in (out / "rapport.html").read_text(encoding="utf-8")
    pg_cluster.wipe()


def test_build_emerging_time_step_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from lagesbild_geo.cli import build as cli_build

    ap = argparse.ArgumentParser()
    cli_build.register(ap.add_subparsers())
    args = ap.parse_args(["build", "--incidents", "a.csv", "--emerging-time-step", "2"])
    assert cli_build._config(args).emerging_time_step == 2
    assert cli_build._config(ap.parse_args(["build", "--incidents", "a.csv"])).emerging_time_step == 1
    ipath, _ = _small_inputs(tmp_path)
    assert main(["build", "--incidents", str(ipath), "--emerging-time-step", "-1", "--quiet",
                 "--out", str(tmp_path / "ut")]) == 1
    assert "emerging_time_step" in capsys.readouterr().err


@pytest.mark.slow
def test_build_is_byte_identical_with_created_at(tmp_path: Path) -> None:
    """With --created-at the xlsx, the GeoPackage and the HTML report carry no clock time:
    two builds a moment apart are byte for byte the same (openpyxl's core properties, the
    zip entries' times and GeoPackage's gpkg_contents.last_change included)."""
    import sqlite3
    import time
    import zipfile

    ipath, dpath = _small_inputs(tmp_path)
    outs = []
    for k in range(2):
        out = tmp_path / f"ut{k}"
        assert main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--period", "2025",
                     "--kommun", "Exempelkommun", "--no-clusters", "--no-emerging", "--quiet",
                     "--created-at", "2026-01-01T09:30:00+01:00", "--out", str(out)]) == 0
        outs.append(out)
        time.sleep(2.1)  # a later second, and a later two-second zip time
    for name in sorted(p.name for p in outs[0].iterdir()):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    with zipfile.ZipFile(outs[0] / "distrikt.xlsx") as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(2026, 1, 1, 8, 30, 0)}
    assert core.count("2026-01-01T08:30:00Z") == 2
    with sqlite3.connect(outs[0] / "lagesbild.gpkg") as con:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2026-01-01T08:30:00.000Z"}


@pytest.mark.slow
def test_build_police_feed_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--kommun by code, --exclude-categories '' and --categories; the printed levels."""
    events = [{"id": i, "datetime": "2025-03-05 12:10:00 +01:00", "name": f"5 mars 11.{i:02d}, {t}, {loc}",
               "summary": s, "url": "/", "type": t, "location": {"name": loc, "gps": "59.35,17.10"}}
              for i, (t, loc, s) in enumerate([("Rån", "Lysekil", "Rån i Brastad."),
                                                ("Stöld", "Lysekil", "Stöld."),
                                                ("Trafikolycka", "Lysekil", "Olycka."),
                                                ("Stöld", "Torsby", "Stöld.")])]
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    d = gpd.GeoDataFrame({"regsokod": ["1484R001", "1484R002"], "regsonamn": ["Lysekil", "Brastad"]},
                         geometry=[shapely.box(17.0, 59.3, 17.2, 59.4), shapely.box(17.2, 59.3, 17.4, 59.4)],
                         crs=4326)
    dpath = tmp_path / "regso.geojson"
    d.to_file(dpath, driver="GeoJSON")
    base = ["build", "--incidents", str(feed), "--districts", str(dpath), "--period", "2025", "--kommun", "1484",
            "--no-clusters", "--no-emerging", "--quiet"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "Lägesbild Lysekil 2025: 2 incidents" in out and "1 left out by category" in out
    assert "levels: 1 placed in a district, 0 only at stadsdel level, 1 only at kommun level" in out
    assert "Bara kommunnivå" in out
    table = pd.read_csv(tmp_path / "a" / "distrikt.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert table["Radtyp"].tolist() == ["distrikt", "distrikt", "kommunnivå", "utanför", "totalt"]
    # 1, 1 and 2 rest on fewer than min_count (3) incidents: hidden in every file written, the
    # kommun-level row and the kommun_level column included (the printed summary is the kommun's own)
    counts = table["Antal händelser"].tolist()
    assert counts[0] == 0 and counts[3] == 0 and all(pd.isna(v) for v in (counts[1], counts[2], counts[4]))
    assert table["Händelser bara på kommunnivå (hela kommunen)"].isna().all()
    assert table["Dolda värden"].iloc[2].startswith("för få fall: Antal: Stöld och snatteri, Antal händelser")
    meta = json.loads((tmp_path / "a" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["levels"] == {"district": None, "stadsdel": 0, "kommun": None, "outside": 0, "total": None,
                              "lan_not_counted": 0}
    assert meta["totals"]["kommun_level"]["count"] is None and meta["excluded_by_category"] == {"ej_brott": None}
    build_meta = json.loads((tmp_path / "a" / "lagesbild.json").read_text(encoding="utf-8"))
    assert build_meta["counts"]["levels"]["kommun"] is None
    districts = json.loads((tmp_path / "a" / "districts.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["kommun_level"] for f in districts["features"]] == [None, None]
    report = (tmp_path / "a" / "rapport.html").read_text(encoding="utf-8")
    assert "ett dolt antal bara på kommunnivå" in report
    assert main(["validate", str(tmp_path / "a")]) == 0
    assert main([*base, "--exclude-categories", "", "--out", str(tmp_path / "b")]) == 0
    assert "Lysekil 2025: 3 incidents" in capsys.readouterr().out
    assert main([*base, "--categories", "ran", "--out", str(tmp_path / "c")]) == 0
    assert "Lysekil 2025: 1 incidents" in capsys.readouterr().out
    assert main([*base, "--categories", "mord", "--out", str(tmp_path / "d")]) == 1
    assert "unknown category" in capsys.readouterr().err

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_cli_build_lists_rejections_and_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    feed_and_districts: tuple[Path, Path]) -> None:
    ipath, dpath = feed_and_districts
    rej = tmp_path / "avvisade.csv"
    code = main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--kommun",
                     "Exempelkommun", "--out", str(tmp_path / "ut"), "--quiet", "--no-clusters",
                     "--no-emerging", "--rejected", str(rej)])
    assert code == 0
    out = capsys.readouterr().out
    assert "3 placed in all, 0 pending, 2 rejected" in out
    assert f"rejected: other kommun 2 (rows in {rej})" in out
    assert "2 row(s) of other kommuner" in out
    table = pd.read_csv(rej, sep=";", encoding="utf-8-sig")
    assert table[["source_row", "reason"]].values.tolist() == [[4, "other kommun"], [5, "other kommun"]]
    assert not (tmp_path / "ut" / "avvisade.csv").exists()
    assert main(["build", "--incidents", str(ipath), "--out", str(tmp_path / "ut2"), "--quiet",
                     "--rejected", str(tmp_path / "x.txt")]) == 1
    assert "give a .csv file name" in capsys.readouterr().err


@pytest.mark.filterwarnings("always::UserWarning")
def test_warnings_come_as_one_plain_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # a bow-tie district is repaired with a warning: one "lagesbild: warning:" line, not
    # Python's "file.py:297: UserWarning:" with a line of the library's source under it
    monkeypatch.delenv("LAGESBILD_DEBUG", raising=False)
    ipath, _ = _small_inputs(tmp_path)
    bowtie = shapely.Polygon([(17.00, 59.30), (17.02, 59.31), (17.02, 59.30), (17.00, 59.31)])
    d = gpd.GeoDataFrame({"deso": ["9999C1010", "9999C1020"], "namn": ["Centrum", "Åby"]},
                         geometry=[bowtie, shapely.box(17.02, 59.30, 17.04, 59.31)], crs=4326)
    d.to_file(tmp_path / "bowtie.geojson", driver="GeoJSON")
    before = warnings.showwarning
    assert main(["build", "--incidents", str(ipath), "--districts", str(tmp_path / "bowtie.geojson"),
                 "--no-clusters", "--no-emerging", "--quiet", "--out", str(tmp_path / "ut")]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "repaired" in ln]
    assert len(lines) == 1 and lines[0].startswith("lagesbild: warning: District layer "), err
    assert "UserWarning" not in err and "read_districts(" not in err
    assert warnings.showwarning is before  # restored for whoever called main


def test_build_takes_the_crs_flag_its_notes_suggest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Coordinates in Web Mercator: the note names `--crs 3857`, which `lagesbild build` takes
    for every incident file; a CRS it does not know is an error in words."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform([17.10, 17.11], [59.40, 59.41])
    table = tmp_path / "webbkarta.csv"
    table.write_text("Datum;Tid;Kategori;X;Y\n" + "".join(
        f"2025-03-0{i + 1};12:00;Stöld;{a:.1f};{b:.1f}\n" for i, (a, b) in enumerate(zip(x, y, strict=True))),
        encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Gi* on a handful of cells
        assert main(["build", "--incidents", str(table), "--out", str(tmp_path / "a"), "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "rejected: unknown CRS 2" in out and "--crs 3857" in out, out
        assert main(["build", "--incidents", str(table), "--crs", "3857", "--out", str(tmp_path / "b"),
                     "--quiet"]) == 0
    assert "2 incidents in the period (2 placed in all, 0 pending, 0 rejected)" in capsys.readouterr().out
    assert main(["build", "--incidents", str(table), "--crs", "foo", "--out", str(tmp_path / "c")]) != 0
    assert "Unknown coordinate reference system 'foo'" in capsys.readouterr().err


def test_build_takes_the_districts_crs_its_error_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A district shapefile in SWEREF 99 18 00 without its .prj: the error names
    --districts-crs, which gives the layer's CRS (and not the incidents')."""
    ipath, dpath = _small_inputs(tmp_path)
    shp = tmp_path / "stadsdelar.shp"
    gpd.read_file(dpath).to_crs(3011).to_file(shp)
    shp.with_suffix(".prj").unlink()
    assert main(["build", "--incidents", str(ipath), "--districts", str(shp), "--out", str(tmp_path / "a")]) != 0
    err = capsys.readouterr().err
    assert "has no CRS" in err and "lagesbild build --districts-crs 3011" in err, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Gi* on a handful of cells
        assert main(["build", "--incidents", str(ipath), "--districts", str(shp), "--districts-crs", "3011",
                     "--out", str(tmp_path / "b"), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "b" / "distrikt.csv", sep=";", encoding="utf-8-sig", dtype=str)
    rows = table[table["Radtyp"] == "distrikt"]
    assert dict(zip(rows["Distrikt"], rows["Antal händelser"], strict=True)) == {"Centrum": "90", "Åby": "30"}


def test_build_takes_the_column_flag_its_notes_suggest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A reader note tells the user `--column count=Antal`: `lagesbild build` takes it (every
    --incidents file), so an aggregated table counts its rows' numbers."""
    table = tmp_path / "sammanstallning.csv"
    table.write_text("Datum;Tid;Kategori;Lat;Long;Antal\n2025-03-01;12:00;Stöld;59.40;17.10;3\n"
                     "2025-03-02;13:00;Rån;59.41;17.11;2\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Gi* on a handful of cells
        assert main(["build", "--incidents", str(table), "--out", str(tmp_path / "a"), "--quiet"]) == 0
        assert "--column count=Antal" in capsys.readouterr().out
        assert main(["build", "--incidents", str(table), "--column", "count=Antal",
                     "--out", str(tmp_path / "b"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "5 incidents in the period" in out, out
    assert main(["build", "--incidents", str(table), "--column", "antal", "--out", str(tmp_path / "c")]) != 0
