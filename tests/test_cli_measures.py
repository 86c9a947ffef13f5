"""``lagesbild measures …`` and ``lagesbild followup``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pg_cluster import PrivateCluster
from pyproj import Transformer

from lagesbild_geo.cli import main
from lagesbild_geo.measures import MeasureStore

SQUARE = "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.375, 17.10 59.37))"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_history_export_import(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s.sqlite")
    code, out, _ = run(capsys, "measures", "add", "--store", store, "--user", "anna",
                       "--area", "Stationen", "--geometry", SQUARE, "--title", "Belysning",
                       "--categories", "Rån,skadegorelse", "--start", "2024-03-01",
                       "--responsible", "Polisen", "--cost", "1000")
    assert code == 0 and "added area" in out and "added measure" in out
    # a second measure in the same area, found by name
    code, out, _ = run(capsys, "measures", "add", "--store", store, "--area", "stationen",
                       "--title", "Väktare", "--categories", "stold", "--status", "pågående")
    assert code == 0
    code, out, _ = run(capsys, "measures", "list", "--store", store)
    assert code == 0 and "Belysning" in out and "ran, skadegorelse" in out and "Väktare" in out
    code, out, _ = run(capsys, "measures", "list", "--store", store, "--areas")
    assert "Stationen" in out and "2" in out
    code, out, _ = run(capsys, "measures", "list", "--store", store, "--format", "json",
                       "--status", "pågående")
    assert [r["title"] for r in json.loads(out)] == ["Väktare"]

    with MeasureStore(store) as s:
        mid = s.list_measures(status="planerad").index[0]
        s.update_measure(mid, {"title": "Bättre belysning"}, expected_version=1, user="bo")
    code, out, _ = run(capsys, "measures", "history", mid, "--store", store)
    assert code == 0 and "create" in out and "anna" in out
    assert "title: 'Belysning' -> 'Bättre belysning'" in out

    for name in ("a.geojson", "a.gpkg", "plan.xlsx", "plan.csv"):
        code, out, _ = run(capsys, "measures", "export", str(tmp_path / name), "--store", store)
        assert code == 0 and "(2 measures)" in out
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert wb["Åtgärdsplan"]["C2"].value == "Bättre belysning"

    other = str(tmp_path / "other.sqlite")
    code, out, _ = run(capsys, "measures", "import", str(tmp_path / "a.geojson"), "--store",
                       other)
    assert code == 0 and "imported 1 areas and 2 measures" in out
    # the same file again: nothing added twice, and said so
    code, out, _ = run(capsys, "measures", "import", str(tmp_path / "a.geojson"), "--store",
                       other)
    assert code == 0 and "note: already in the store (the same name and boundary)" in out
    assert "imported 0 areas; 1 already in the store (the same name and boundary) not imported again" in out


def test_refusals_exit_1_with_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    store = str(tmp_path / "s.sqlite")
    code, _, err = run(capsys, "measures", "add", "--store", store, "--area", "Nytt",
                       "--title", "X", "--categories", "ran")
    assert code == 1 and "No area with id or name 'Nytt'" in err
    run(capsys, "measures", "add", "--store", store, "--area", "A", "--geometry", SQUARE,
        "--title", "X", "--categories", "ran")
    code, _, err = run(capsys, "measures", "add", "--store", store, "--area", "A", "--title",
                       "Y", "--categories", "ufo", "--start", "2024-05-01", "--end",
                       "2024-01-01")
    assert code == 1
    assert "target_categories: unknown category 'ufo'" in err and "end_date:" in err
    code, _, err = run(capsys, "measures", "export", str(tmp_path / "x.txt"), "--store", store)
    assert code == 1 and ".geojson" in err
    code, _, err = run(capsys, "measures", "history", "nope", "--store", store)
    assert code == 1 and "No measure with id 'nope'" in err
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                           "coordinates": [17, 59]}}]}),
        encoding="utf-8")
    code, _, err = run(capsys, "measures", "import", str(bad), "--store", store)
    assert code == 1 and "feature 1: geometry" in err


def test_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s.sqlite")
    run(capsys, "measures", "add", "--store", store, "--area", "A", "--geometry", SQUARE,
        "--title", "Först", "--categories", "ran")
    code, out, _ = run(capsys, "measures", "backup", str(tmp_path / "b.sqlite"), "--store",
                       store)
    assert code == 0 and "(1 measures)" in out
    run(capsys, "measures", "add", "--store", store, "--area", "A", "--title", "Sedan",
        "--categories", "ran")
    code, out, _ = run(capsys, "measures", "restore", str(tmp_path / "b.sqlite"), "--store",
                       store)
    assert code == 0 and "previous content is kept" in out
    with MeasureStore(store) as s:
        assert list(s.list_measures()["title"]) == ["Först"]
    code, _, err = run(capsys, "measures", "backup", str(tmp_path / "b.sqlite"), "--store",
                       store)
    assert code == 1 and "exists" in err


def test_followup_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # incidents as a CSV with lat/lon: 4 before and 1 after inside, 5 + 5 far away
    to_wgs = Transformer.from_crs(3006, 4326, always_xy=True)
    lon_in, lat_in = 17.11, 59.372
    lon_far, lat_far = to_wgs.transform(680000.0, 6590000.0)
    rows = ([("2024-01-10 12:00", lat_in, lon_in)] * 4 + [("2024-03-10 12:00", lat_in, lon_in)]
            + [("2024-01-10 12:00", lat_far, lon_far)] * 5
            + [("2024-03-10 12:00", lat_far, lon_far)] * 5)
    df = pd.DataFrame(rows, columns=["Datum", "Lat", "Long"])
    df.insert(0, "Ärendenummer", [f"K{i}" for i in range(len(df))])
    df["Kategori"] = "Rån"
    csv = tmp_path / "inc.csv"
    df.to_csv(csv, index=False)
    store = str(tmp_path / "s.sqlite")
    run(capsys, "measures", "add", "--store", store, "--area", "A", "--geometry", SQUARE,
        "--title", "Kameror", "--categories", "ran", "--start", "2024-03-01")
    with MeasureStore(store) as s:
        mid = s.list_measures().index[0]
    code, out, err = run(capsys, "followup", "--store", store, "--measure", mid, "--incidents",
                         str(csv), "--as-of", "2024-04-30", "--monthly",
                         str(tmp_path / "m.csv"), "--json", str(tmp_path / "f.json"))
    assert code == 0, err
    assert "minskade antalet brott av typen rån från 4 till 1 (−75 %)" in out
    assert "Observera att antalen är små" in out
    doc = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    counts = {r["zone"]: (r["before"], r["after"]) for r in doc["counts"]}
    assert counts == {"area": (4, 1), "buffer": (0, 0), "control": (5, 5)}
    # SM = 1/5 - 4/5 = -0.6, DM = 0: WDQ 0
    assert doc["wdq"]["success_measure"] == pytest.approx(-0.6)
    assert doc["wdq"]["band"] == "no_displacement"
    monthly = pd.read_csv(tmp_path / "m.csv")
    assert int(np.sum(monthly["area"])) == 5


def test_example_measure_is_added_once(tmp_path: Path, sample_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cli_main = main
    store = tmp_path / "s.sqlite"
    args = ["measures", "example", "--store", str(store), "--sample-dir", str(sample_dir)]
    assert cli_main(args) == 0
    assert "added the example area" in capsys.readouterr().out
    assert cli_main(args) == 0
    assert "nothing added" in capsys.readouterr().out
    with MeasureStore(store) as s:
        measures = s.list_measures()
        areas = s.list_areas()
    assert len(measures) == 1 and list(areas["name"]) == ["Stationsparken"]
    row = measures.iloc[0]
    assert sorted(row["target_categories"]) == ["ordning", "skadegorelse"]
    assert str(row["start_date"])[:10] == "2025-03-01"


def test_example_without_sample_dir_creates_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["measures", "example", "--store", str(store), "--sample-dir", str(tmp_path / "nope")]) == 1
    assert "truth.json does not exist" in capsys.readouterr().err
    assert not store.exists()


# ------------------------------------------------------------------ on a PostgreSQL server


def test_measures_commands_on_a_server_store(pg_cluster: PrivateCluster, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """--store postgresql://... --kommun works everywhere a store path does."""
    pg_cluster.wipe()
    monkeypatch.delenv("LAGESBILD_KOMMUN", raising=False)
    admin, url = pg_cluster.url(), pg_cluster.url("app_0380")
    code, out, _ = run(capsys, "measures", "server-init", "--store", admin, "--kommun", "0380",
                       "--grant", "app_0380=0380")
    assert code == 0 and "already up to date" in out and "app_0380 may use kommun 0380" in out
    code, _, err = run(capsys, "measures", "list", "--store", url)
    assert code == 1 and "give the kommun" in err and "Traceback" not in err
    s = ["--store", url, "--kommun", "Uppsala"]
    code, out, _ = run(capsys, "measures", "add", *s, "--user", "anna", "--area", "Stora torget",
                       "--geometry", SQUARE, "--title", "Belysning", "--categories", "Rån")
    assert code == 0 and "added area" in out
    mid = out.split("added measure ")[1].split()[0]
    code, out, _ = run(capsys, "measures", "list", *s, "--format", "json")
    assert code == 0 and json.loads(out)[0]["title"] == "Belysning"
    code, out, _ = run(capsys, "measures", "history", mid, *s)
    assert code == 0 and "create" in out and "anna" in out
    backup = tmp_path / "uppsala.json.gz"
    code, out, _ = run(capsys, "measures", "backup", *s, str(backup))
    assert code == 0 and backup.exists() and "(1 measures)" in out
    code, _, err = run(capsys, "measures", "backup", *s, str(tmp_path / "x.sqlite"))
    assert code == 1 and ".json.gz" in err
    code, out, _ = run(capsys, "measures", "export", *s, str(tmp_path / "plan.xlsx"))
    assert code == 0
    with MeasureStore(url, kommun="0380") as store:
        store.delete_measure(mid)
    code, out, _ = run(capsys, "measures", "restore", str(backup), *s)
    assert code == 0 and "restored postgresql://app_0380@" in out and "before-restore" in out
    with MeasureStore(url, kommun="0380") as store:
        assert not store.get_measure(mid).is_deleted
    # kommun 0180 (another role) sees nothing of it
    with MeasureStore(pg_cluster.url("app_0180"), kommun="0180") as other:
        assert other.list_measures(include_deleted=True).empty
    code, _, err = run(capsys, "measures", "server-init", "--store", str(tmp_path / "a.sqlite"))
    assert code == 1 and "PostgreSQL database" in err
    pg_cluster.wipe()


def test_a_laptop_store_moves_to_the_server(pg_cluster: PrivateCluster, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """backup to .json.gz from the file, restore into the server: everything comes along."""
    pg_cluster.wipe()
    laptop = str(tmp_path / "s.sqlite")
    assert run(capsys, "measures", "add", "--store", laptop, "--area", "Torget", "--geometry",
               SQUARE, "--title", "Väktare", "--categories", "stold")[0] == 0
    assert run(capsys, "measures", "backup", "--store", laptop, str(tmp_path / "e.json.gz"))[0] \
        == 0
    code, _, _ = run(capsys, "measures", "restore", str(tmp_path / "e.json.gz"), "--store",
                     pg_cluster.url("app_0180"), "--kommun", "0180", "--no-keep")
    assert code == 0
    with MeasureStore(laptop) as a, MeasureStore(pg_cluster.url("app_0180"), kommun="0180") as b:
        assert a.list_measures().equals(b.list_measures())
        assert a.history(entity="measure").drop(columns="seq").equals(
            b.history(entity="measure").drop(columns="seq"))
    pg_cluster.wipe()

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_measures_cli_refuses_a_store_that_does_not_exist_and_a_table_as_areas(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "saknas.sqlite"
    for cmd in (["list"], ["history"], ["export", str(tmp_path / "x.geojson")]):
        assert main(["measures", *cmd, "--store", str(store)]) == 1
        assert "does not exist (a typo in --store?)" in capsys.readouterr().err
    assert not store.exists()
    table = tmp_path / "t.csv"
    table.write_text("namn;yta\nTorget;3\n", encoding="utf-8")
    assert main(["measures", "import", "--store", str(store), str(table)]) == 1
    err = capsys.readouterr().err
    assert "has no area polygons" in err and "Traceback" not in err
