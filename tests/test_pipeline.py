"""Tests for lagesbild_geo.pipeline: config loading, build_lagesbild on Exempelkommun and on messy districts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pandas.testing import assert_frame_equal
from pyproj import Transformer

from lagesbild_geo import __version__, bundle, config, grid, hotspots, pipeline
from lagesbild_geo.dashboard import picture_notes
from lagesbild_geo.districts import KOMMUN_CODE, OUTSIDE_CODE, STADSDEL_CODE, TOTAL_CODE, summarize
from lagesbild_geo.errors import InputError, ValidationError
from lagesbild_geo.export import export_package, validate_package
from lagesbild_geo.maps import lagesbild_map, map_html
from lagesbild_geo.pipeline import (
    Lagesbild,
    PipelineConfig,
    SourceConfig,
    aggregate,
    analyse,
    build_lagesbild,
    describe,
    filter_incidents,
    join_districts,
    load_config,
    place,
    rebuild,
    survey_layers,
)
from lagesbild_geo.privacy import publishable
from lagesbild_geo.report import write_report

CREATED = "2026-01-15T08:00:00+01:00"


def _sample_config(sample_dir: Path, **changes: object) -> PipelineConfig:
    cfg = PipelineConfig(
        incidents=(SourceConfig(str(sample_dir / "incidents_polis.xlsx"), name="Polisen", sheet="Brott"),
                   SourceConfig(str(sample_dir / "incidents_kommun.csv"), name="Kommunen")),
        kommun_name="Exempelkommun", kommun_code="9999", period="2025", previous_period="previous",
        districts=str(sample_dir / "districts.geojson"), gazetteer=str(sample_dir / "gazetteer.csv"),
        survey=str(sample_dir / "survey_trygghet.csv"), pins=str(sample_dir / "survey_pins.geojson"),
        boundary=str(sample_dir / "kommun.geojson"), created_at=CREATED,
    )
    return cfg.replace(**changes) if changes else cfg


@pytest.fixture(scope="module")
def sample_build(sample_dir: Path) -> tuple[Lagesbild, list[tuple[str, float]]]:
    steps: list[tuple[str, float]] = []
    lb = build_lagesbild(_sample_config(sample_dir), progress=lambda s, f: steps.append((s, f)))
    return lb, steps


# ---------------------------------------------------------------------------- Exempelkommun


def test_summary_totals_equal_placed_counts(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    s = lb.district_summary
    inc = lb.incidents
    t = inc["occurred_at"]
    in_2025 = (t >= pd.Timestamp("2025-01-01", tz="Europe/Stockholm")) & (t < pd.Timestamp("2026-01-01", tz="Europe/Stockholm"))
    in_2024 = (t >= pd.Timestamp("2024-01-01", tz="Europe/Stockholm")) & (t < pd.Timestamp("2025-01-01", tz="Europe/Stockholm"))
    assert s.loc[TOTAL_CODE, "total"] == int(in_2025.sum()) == lb.metadata["counts"]["placed_in_period"]
    assert s.loc[TOTAL_CODE, "total_previous"] == int(in_2024.sum())
    # Per district: exactly the placed incidents assigned there.
    counts = inc.loc[in_2025, "district_code"].astype(object).fillna(OUTSIDE_CODE).value_counts()
    districts = s.index[s["row_type"] == "district"]
    assert len(districts) == 28
    for code in [*districts, OUTSIDE_CODE]:
        assert s.loc[code, "total"] == counts.get(code, 0), code
    assert s.loc[[*districts, OUTSIDE_CODE], "total"].sum() == s.loc[TOTAL_CODE, "total"]
    # Per category too.
    cat = s.filter(like="count_").loc[TOTAL_CODE]
    want = inc.loc[in_2025, "category"].value_counts()
    assert {k[6:]: int(v) for k, v in cat.items() if v} == {k: int(v) for k, v in want.items()}


def test_area_rows_naming_a_district_are_assigned_by_name(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    from lagesbild_geo.schema import fold

    inc = lb.incidents
    named = inc[inc["district_method"] == "name"]
    assert len(named) > 0 and (named["precision"] == "area").all()
    names = lb.districts["district_name"].map(fold)
    want = [names.index[names == fold(t)][0] for t in named["location_text"]]
    assert named["district_code"].astype(str).tolist() == want
    assert lb.metadata["districts"]["assignment"]["name"] == len(named)


def test_rates_use_district_population(sample_build: tuple[Lagesbild, list], sample_dir: Path) -> None:
    lb, _ = sample_build
    s = lb.district_summary
    raw = gpd.read_file(sample_dir / "districts.geojson").set_index("deso")
    d = s[s["row_type"] == "district"]
    pop = raw.loc[d.index, "befolkning"].astype(float)
    np.testing.assert_allclose(d["population"].to_numpy(), pop.to_numpy())
    np.testing.assert_allclose(d["per_1000"].to_numpy(), d["total"].to_numpy() / pop.to_numpy() * 1000)
    assert s.loc[TOTAL_CODE, "population"] == pop.sum()


def test_cells_hotspots_and_districts_layer(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    inc = lb.incidents
    t = inc["occurred_at"]
    on_grid = (inc["precision"].isin(["point", "address"]) & (t >= pd.Timestamp("2025-01-01", tz="Europe/Stockholm"))
               & (t < pd.Timestamp("2026-01-01", tz="Europe/Stockholm")))
    assert lb.cells["count"].sum() == int(on_grid.sum())
    assert {"gi_z", "gi_p_adj", "hotspot_class"} <= set(lb.hotspots.columns)
    n_hot = int(lb.hotspots["hotspot_class"].str.startswith("hot").sum())
    # Every hot cell with its centroid in a district is counted once in the summary.
    assert lb.district_summary.loc[TOTAL_CODE, "n_hot_cells"] == n_hot
    assert lb.districts.crs.to_epsg() == 4326
    assert list(lb.districts.index) == list(lb.district_summary.index[:28])
    assert (lb.districts["total"] == lb.district_summary["total"].iloc[:28]).all()
    assert len(lb.clusters) > 0 and len(lb.emerging) > 0


def test_survey_layers_and_suppression(sample_build: tuple[Lagesbild, list], sample_dir: Path) -> None:
    lb, _ = sample_build
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    few = [c for c, v in truth["survey"]["districts"].items() if v["n"] < 5]
    assert few, "the sample plants districts with too few respondents"
    s = lb.district_summary
    for code in few:
        assert bool(s.loc[code, "trygg_suppressed"]) and np.isnan(s.loc[code, "trygg_otrygg_share"])
    many = [c for c, v in truth["survey"]["districts"].items() if v["n"] >= 5]
    assert all(s.loc[c, "trygg_n"] == truth["survey"]["districts"][c]["n"] for c in many)
    assert {"districts", "pins", "perceived_vs_reported"} <= set(lb.survey)


def test_metadata_sources_hashes_and_reports(sample_build: tuple[Lagesbild, list], sample_dir: Path) -> None:
    lb, _ = sample_build
    m = lb.metadata
    assert m["kommun"] == {"name": "Exempelkommun", "code": "9999"}
    assert m["period"]["label"] == "2025" and m["previous_period"]["label"] == "2024"
    assert m["created_at"] == CREATED and m["library"]["version"] == __version__
    assert m["settings"]["resolution"] == 9
    names = [s["name"] for s in m["sources"]]
    assert names == ["Polisen", "Kommunen"]
    sha = hashlib.sha256((sample_dir / "incidents_polis.xlsx").read_bytes()).hexdigest()
    assert m["sources"][0]["sha256"] == sha and m["sources"][0]["options"] == {"sheet": "Brott"}
    assert m["inputs"]["districts"]["sha256"] == hashlib.sha256(
        (sample_dir / "districts.geojson").read_bytes()).hexdigest()
    for name, rep in lb.reports.items():
        srcs = lb.incidents["source"] == name
        assert rep["rows_read"] == int(srcs.sum()) + int((lb.rejected["source"] == name).sum()) + int(
            (lb.pending["source"] == name).sum() if len(lb.pending) else 0)
    json.dumps(m)  # metadata is plain JSON


def test_progress_reports_every_step(sample_build: tuple[Lagesbild, list]) -> None:
    _, steps = sample_build
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and steps[-1] == ("done", 1.0)
    assert [s for s, _ in steps][::2][:7] == ["read", "cells", "hotspots", "clusters", "emerging",
                                              "districts", "survey"]


@pytest.mark.slow
def test_deterministic(sample_dir: Path, sample_build: tuple[Lagesbild, list]) -> None:
    lb1, _ = sample_build
    lb2 = build_lagesbild(_sample_config(sample_dir))
    assert_frame_equal(lb1.district_summary, lb2.district_summary)
    assert_frame_equal(lb1.cells, lb2.cells)
    assert_frame_equal(lb1.hotspots, lb2.hotspots)
    assert_frame_equal(lb1.clusters, lb2.clusters)
    assert_frame_equal(lb1.incidents, lb2.incidents)
    assert lb1.metadata == lb2.metadata


# ---------------------------------------------------------------------------- messy districts


E0, N0 = 660_000.0, 6_580_000.0


def test_pipeline_on_messy_districts(tmp_path: Path) -> None:
    """Multipolygon with an island, a polygon with a hole holding another district, an invalid
    bow-tie, districts in EPSG:3006 as a GeoPackage; incidents in WGS84 as CSV."""
    ring = shapely.Polygon(
        [(E0, N0), (E0 + 2000, N0), (E0 + 2000, N0 + 2000), (E0, N0 + 2000)],
        holes=[[(E0 + 500, N0 + 500), (E0 + 1500, N0 + 500), (E0 + 1500, N0 + 1500), (E0 + 500, N0 + 1500)]],
    )
    island = shapely.box(E0 + 700, N0 + 700, E0 + 1300, N0 + 1300)
    multi = shapely.MultiPolygon([shapely.box(E0 + 2000, N0, E0 + 4000, N0 + 2000),
                                  shapely.box(E0 + 4500, N0 + 500, E0 + 5000, N0 + 1000)])
    bowtie = shapely.Polygon([(E0, N0 + 2000), (E0 + 2000, N0 + 4000), (E0 + 2000, N0 + 2000), (E0, N0 + 4000)])
    layer = gpd.GeoDataFrame({"DeSO": ["0180C1010", "0180C1020", "0180C1030", "0180A0040"],
                              "Namn": ["Ringen", "Ön", "Hamnen", "Flugan"],
                              "Folkmängd": [1000, 500, 2000, 250]},
                             geometry=[ring, island, multi, bowtie], crs=3006)
    dpath = tmp_path / "deso.gpkg"
    layer.to_file(dpath, driver="GPKG")
    # Planted incidents (SWEREF 99 TM positions, written as WGS84 lat/lon).
    plants = [
        ((E0 + 200, N0 + 200), 7),      # Ringen
        ((E0 + 1000, N0 + 1000), 5),    # Ön (inside Ringen's hole)
        ((E0 + 600, N0 + 1000), 3),     # the hole outside Ön: outside every district
        ((E0 + 4750, N0 + 750), 4),     # Hamnen's island
        ((E0 + 3000, N0 + 1000), 6),    # Hamnen's main part
        ((E0 + 300, N0 + 3000), 2),     # Flugan's left triangle
        ((E0 + 1000, N0 + 2900), 1),    # between the bow-tie's triangles: outside
    ]
    e = np.concatenate([np.full(k, x) for (x, _), k in plants])
    n = np.concatenate([np.full(k, y) for (_, y), k in plants])
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(e, n)
    cats = np.array(["Misshandel", "Klotter", "Stöld"])[np.arange(e.size) % 3]
    df = pd.DataFrame({"Datum": "2025-05-0" + pd.Series(np.arange(e.size) % 9 + 1).astype(str),
                       "Tid": "21:30", "Brottstyp": cats,
                       "Lat": np.round(lat, 7), "Long": np.round(lon, 7)})
    ipath = tmp_path / "incidents.csv"
    df.to_csv(ipath, index=False)
    cfg = PipelineConfig(incidents=(str(ipath),), districts=str(dpath), period="2025",
                         clusters=False, emerging=False, created_at=CREATED)
    with pytest.warns(UserWarning):
        lb = build_lagesbild(cfg)
    s = lb.district_summary
    assert s["total"].to_dict() == {"0180C1010": 7, "0180C1020": 5, "0180C1030": 10, "0180A0040": 2,
                                    STADSDEL_CODE: 0, KOMMUN_CODE: 0, OUTSIDE_CODE: 4, TOTAL_CODE: 28}
    assert s.loc["0180C1020", "per_1000"] == 10.0
    assert lb.metadata["districts"]["invalid_repaired"] == ["0180A0040"]
    assert lb.metadata["districts"]["crs_detected"] == "EPSG:3006"
    assert lb.metadata["districts"]["assignment"]["outside"] == 4


# ---------------------------------------------------------------------------- config


def test_load_config_resolves_paths_and_names_unknown_keys(tmp_path: Path) -> None:
    cfg_path = tmp_path / "sub" / "lagesbild.toml"
    cfg_path.parent.mkdir()
    cfg_path.write_text(
        'period = "2025-Q1"\nprevious_period = "previous"\n'
        '[kommun]\nname = "Exempelkommun"\ncode = 999\n'
        '[[sources]]\npath = "data/a.csv"\ncrs = 3011\ncolumns = { datetime = "Tidpunkt" }\n'
        '[districts]\npath = "../deso.gpkg"\ncode = "DeSO"\npopulation_table = "pop.csv"\n'
        '[inputs]\ngazetteer = "/abs/gaz.csv"\n'
        '[analysis]\nresolution = 8\nclusters = false\n'
        '[outputs]\ndir = "ut"\n', encoding="utf-8")
    c = load_config(cfg_path)
    base = cfg_path.resolve().parent
    assert c.period == "2025-Q1" and c.kommun_code == "0999"
    assert c.sources[0] == SourceConfig(path=str(base / "data/a.csv"), crs=3011, columns={"datetime": "Tidpunkt"})
    assert c.districts == str(base / "../deso.gpkg")
    assert c.district_options == {"code": "DeSO", "population_table": str(base / "pop.csv")}
    assert c.gazetteer == "/abs/gaz.csv" and c.out_dir == str(base / "ut")
    assert c.settings.resolution == 8 and c.clusters is False

    cfg_path.write_text('[analysis]\nresolutoin = 8\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"resolutoin.*known keys"):
        load_config(cfg_path)
    cfg_path.write_text('[analysis]\nresolution = 99\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="resolution"):
        load_config(cfg_path)
    cfg_path.write_text('period = \n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(cfg_path)
    with pytest.raises(InputError, match="lagesbild init"):
        load_config(tmp_path / "missing.toml")


def test_example_config_loads(sample_dir: Path, tmp_path: Path) -> None:
    from lagesbild_geo.cli.build import example_config_text

    path = tmp_path / "lagesbild.toml"
    path.write_text(example_config_text(str(sample_dir)), encoding="utf-8")
    c = load_config(path)
    assert c.kommun_name == "Exempelkommun" and c.period == "2025"
    assert [Path(s.path).name for s in c.sources] == ["incidents_polis.xlsx", "incidents_kommun.csv"]
    for p in [*(s.path for s in c.sources), c.districts, c.gazetteer, c.survey, c.pins, c.boundary]:
        assert p is not None and Path(p).exists(), p


def test_build_refuses_missing_sources(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no incident sources"):
        build_lagesbild(PipelineConfig())
    with pytest.raises(InputError, match="does not exist"):
        build_lagesbild(PipelineConfig(incidents=(str(tmp_path / "nope.csv"),)))
    with pytest.raises(InputError, match="unknown option"):
        PipelineConfig(district_options={"kod": "x"})
    src = tmp_path / "a.csv"
    src.write_text("Datum;Brottstyp;Lat;Long\n2025-01-01;Stöld;59.3;17.1\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs a period"):
        build_lagesbild(PipelineConfig(incidents=(str(src),), previous_period="previous"))
    with pytest.raises(InputError, match="not understood"):
        build_lagesbild(PipelineConfig(incidents=(str(src),), period="last year"))


def test_police_feed_only_builds_without_points(tmp_path: Path) -> None:
    """The police events feed alone (kommun-centre positions): no cells, no emerging step,
    a note that says why, and the district table counts rows by kommun name."""
    events = [
        {"id": k, "datetime": f"2024-0{1 + k % 6}-1{k % 9} 2{k % 4}:10:00 +01:00", "name": "x",
         "summary": "", "url": f"/{k}/", "type": "Misshandel" if k % 2 else "Stöld",
         "location": {"name": "Exempelkommun" if k < 8 else "Annanstad",
                      "gps": "59.35,17.10" if k < 8 else "60.60,15.60"}}
        for k in range(10)
    ]
    ipath = tmp_path / "events.json"
    ipath.write_text(json.dumps(events), encoding="utf-8")
    d = gpd.GeoDataFrame({"deso": ["9999C1010"], "namn": ["Centrum"], "befolkning": [1000]},
                         geometry=[shapely.box(17.0, 59.3, 17.2, 59.4)], crs=4326)
    dpath = tmp_path / "d.geojson"
    d.to_file(dpath, driver="GeoJSON")
    lb = build_lagesbild(PipelineConfig(incidents=(str(ipath),), districts=str(dpath), period="2024",
                                        kommun_name="Exempelkommun", created_at=CREATED))
    assert len(lb.incidents) == 8 and (lb.incidents["precision"] == "kommun").all()
    assert len(lb.cells) == 0 and len(lb.emerging) == 0
    notes = " ".join(lb.metadata["notes"])
    assert "No incident has a point or address position" in notes
    total = lb.district_summary.loc[TOTAL_CODE]
    assert int(total["total"]) == 8
    # kommun-level rows are in no district, never in the district that holds the
    # kommun's centre; the other kommun's rows (a nationwide feed) are not this kommun's:
    # rejected as 'other kommun' (by name), and the counts add up
    assert int(lb.district_summary.loc[KOMMUN_CODE, "total"]) == 8
    assert int(lb.district_summary.loc["9999C1010", "total"]) == 0
    assert int(lb.district_summary.loc[OUTSIDE_CODE, "total"]) == 0
    assert lb.district_summary["kommun_level"].tolist() == [8] * len(lb.district_summary)
    methods = lb.incidents["district_method"].astype(str).value_counts().to_dict()
    assert methods == {"kommun": 8}
    assert lb.rejected[["source_row", "reason"]].values.tolist() == [[9, "other kommun"],
                                                                     [10, "other kommun"]]
    assert lb.rejected["reason_sv"].tolist() == ["annan kommun", "annan kommun"]
    assert lb.rejected["raw_location.name"].tolist() == ["Annanstad", "Annanstad"]
    src = lb.metadata["sources"][0]
    assert (src["rows_read"], src["placed"], src["pending"], src["rejected"]) == (10, 8, 0, 2)
    assert lb.metadata["counts"]["placed_in_period"] == 8
    levels = lb.metadata["counts"]["levels"]
    assert (levels["district"], levels["kommun"], levels["total"]) == (0, 8, 8)
    rep = lb.reports["events.json"]
    assert rep["placed"] + rep["pending"] + rep["rejected"] == rep["rows_read"] == 10
    assert rep["rejected_by_reason"] == {"other kommun": 2}
    assert "2 row(s) of other kommuner" in notes
    assert (lb.metadata["counts"]["other_kommun"], lb.metadata["counts"]["lan_level"]) == (2, 0)
    # what a coordinator is shown says how many were left out only as the publishing step allows
    pub_notes = picture_notes(publishable(lb))
    assert "Polisens händelser i andra kommuner (färre än 3) och bara på länsnivå (0) ingår inte." in pub_notes
    assert not any("2" in n for n in pub_notes)


def test_emerging_neighbourhood_in_metadata(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    assert lb.metadata["parameters"]["emerging"] == {
        "period": "quarter", "rings": 1, "time_step": 1, "global_window": "cube",
        "history_periods": ["2024Q1"]}
    assert lb.emerging.attrs["emerging"]["time_step"] == 1
    assert len(lb.emerging.attrs["periods"]) == 7  # 2024Q2 … 2025Q4 classified


def test_emerging_time_step_in_config(tmp_path: Path) -> None:
    path = tmp_path / "lagesbild.toml"
    path.write_text('[analysis]\nemerging_time_step = 0\n', encoding="utf-8")
    assert load_config(path).emerging_time_step == 0
    assert PipelineConfig().emerging_time_step == 1
    for bad in ("-1", '"1"', "1.5", "true"):
        path.write_text(f"[analysis]\nemerging_time_step = {bad}\n", encoding="utf-8")
        with pytest.raises(InputError, match="emerging_time_step"):
            load_config(path)


# ------------------------------------------------------------------- the police feed over a national layer


def _national_feed(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A tiny national RegSO extract (Stockholm's Vårberg and Bagarmossen, Värmdö's Torsby,
    Lysekil's RegSO named like the kommun, Uppsala's centre holding the län centre) and a
    2025 feed in the API's shape with the traps of the real one."""
    regso = gpd.GeoDataFrame(
        {"regsokod": ["0180R101", "0180R102", "0120R005", "0120R006", "1484R001", "1484R002", "0380R001"],
         "regsonamn": ["Vårberg", "Bagarmossen", "Torsby", "Gustavsberg", "Lysekil", "Brastad",
                       "Uppsala centrum"],
         "kommunkod": ["0180", "0180", "0120", "0120", "1484", "1484", "0380"],
         "version": "2025_v2"},
        geometry=[shapely.box(17.89, 59.27, 17.91, 59.28), shapely.box(18.12, 59.27, 18.14, 59.28),
                  shapely.box(18.50, 59.31, 18.52, 59.32), shapely.box(18.38, 59.32, 18.40, 59.33),
                  shapely.box(11.42, 58.27, 11.44, 58.28), shapely.box(11.48, 58.38, 11.50, 58.39),
                  shapely.box(17.60, 59.80, 17.70, 59.90)], crs=4326)
    rpath = tmp_path / "regso_sverige.gpkg"
    regso.to_file(rpath, driver="GPKG")
    centre = {"Stockholm": "59.329324,18.068581", "Varberg": "57.107118,12.252091",
              "Värmdö": "59.317,18.453", "Torsby": "60.136,13.0", "Lysekil": "58.275573,11.435558",
              "Uppsala": "59.858562,17.638927", "Uppsala län": "59.858562,17.638927"}
    rows = [  # (location.name, type, summary, name's place)
        ("Stockholm", "Explosion", "Explosion i Bagarmossen.", None),
        ("Stockholm", "Misshandel", "Man misshandlad i Vårberg.", None),
        ("Stockholm", "Stöld", "Stöld i centrala Stockholm.", None),
        ("Stockholm", "Trafikolycka", "Olycka i Bagarmossen.", None),      # ej_brott
        ("Varberg", "Stöld", "Stöld i Varberg.", None),                    # not Vårberg
        ("Varberg", "Rån", "Rån i centrala Varberg.", None),
        ("Torsby", "Misshandel", "Misshandel i Torsby.", None),            # Torsby kommun
        ("Värmdö", "Brand", "Brand i Torsby.", None),                      # Värmdö's Torsby
        ("Värmdö", "Brand", "Brand i Värmdö.", None),
        *[("Lysekil", "Stöld", "Stöld i Lysekil.", None)] * 3,             # the kommun, not the RegSO
        ("Lysekil", "Skadegörelse", "Klotter i Brastad.", None),
        ("Uppsala län", "Misshandel", "Misshandel.", None),                # län level only
        ("Uppsala län", "Rån", "Rån i Uppsala.", "Uppsala"),               # the län's row naming Uppsala
        ("Uppsala", "Inbrott", "Inbrott i villa.", None),
    ]
    events = []
    for i, (loc, typ, summary, named) in enumerate(rows):
        place = named or loc
        events.append({"id": 1000 + i, "datetime": f"2025-05-{1 + i:02d} 12:30:00 +02:00",
                       "name": f"{1 + i} maj 11.{i:02d}, {typ}, {place}", "summary": summary,
                       "url": f"/aktuellt/handelser/2025/maj/{1 + i}/x/", "type": typ,
                       "location": {"name": loc, "gps": centre[loc]}})
    events.append({"id": 999, "datetime": "2025-01-01 0:40:16 +01:00", "name": "31 december 23.50, Rån, Stockholm",
                   "summary": "Rån i Bagarmossen.", "url": "/", "type": "Rån",
                   "location": {"name": "Stockholm", "gps": centre["Stockholm"]}})  # a 2024 event
    fpath = tmp_path / "polisen_2025.json"
    fpath.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    return fpath, rpath, tmp_path


@pytest.mark.parametrize(("kommun", "expected"), [
    # kommun: (rows in 2025 after exclusions, district counts, kommun-level rows)
    ("Stockholm", (3, {"0180R101": 1, "0180R102": 1}, 1)),
    ("0120", (2, {"0120R005": 1, "0120R006": 0}, 1)),          # Värmdö by code
    ("Lysekil", (4, {"1484R001": 0, "1484R002": 1}, 3)),
    ("Uppsala", (2, {"0380R001": 0}, 2)),
])
def test_police_feed_per_kommun_over_a_national_layer(tmp_path: Path, kommun: str,
                                                      expected: tuple[int, dict[str, int], int]) -> None:
    feed, regso, _ = _national_feed(tmp_path)
    cfg = PipelineConfig(incidents=(str(feed),), districts=str(regso), period="2025", created_at=CREATED,
                         **({"kommun_code": kommun} if kommun.isdigit() else {"kommun_name": kommun}))
    lb = build_lagesbild(cfg)
    s = lb.district_summary
    total, per_district, kommun_level = expected
    assert int(s.loc[TOTAL_CODE, "total"]) == total
    assert {c: int(s.loc[c, "total"]) for c in per_district} == per_district
    assert int(s.loc[KOMMUN_CODE, "total"]) == kommun_level
    assert set(s.index[s["row_type"] == "district"]) == set(per_district)  # only the kommun's districts
    # the totals equal a plain count of the raw JSON: the kommun's rows (by location.name, or
    # its län's rows naming it), not ej_brott, with the event time (from name) in 2025
    raw = json.loads(feed.read_text(encoding="utf-8"))
    name = lb.metadata["kommun"]["name"]
    plain = sum(1 for e in raw if (e["location"]["name"] == name or e["name"].endswith(f", {name}"))
                and e["type"] != "Trafikolycka" and not e["name"].startswith("31 december"))
    assert plain == total
    levels = lb.metadata["counts"]["levels"]
    assert levels["district"] + levels["stadsdel"] + levels["kommun"] + levels["outside"] == levels["total"] == total
    rep = lb.reports["polisen_2025.json"]
    assert rep["placed"] + rep["pending"] + rep["rejected"] + lb.metadata["sources"][0].get("excluded", 0) \
        == rep["rows_read"] + lb.metadata["sources"][0].get("excluded", 0)
    src = lb.metadata["sources"][0]
    assert src["placed"] + src["pending"] + src["rejected"] + src.get("excluded", 0) == src["rows_read"]


def test_uppsala_lan_rows_never_count_as_the_kommun(tmp_path: Path) -> None:
    feed, regso, _ = _national_feed(tmp_path)
    lb = build_lagesbild(PipelineConfig(incidents=(str(feed),), districts=str(regso), period="2025",
                                        kommun_name="Uppsala", created_at=CREATED))
    rej = lb.rejected
    assert rej.loc[rej["reason"] == "lan level", "raw_name"].tolist() == ["14 maj 11.13, Misshandel, Uppsala län"]
    kept = lb.incidents["name"].tolist()
    assert "15 maj 11.14, Rån, Uppsala" in kept  # the län's row whose name says Uppsala
    assert "lan level" in lb.reports["polisen_2025.json"]["rejected_by_reason"]
    assert lb.metadata["counts"]["lan_level"] == 1


def test_categories_include_exclude(tmp_path: Path) -> None:
    feed, regso, _ = _national_feed(tmp_path)
    base = PipelineConfig(incidents=(str(feed),), districts=str(regso), period="2025",
                          kommun_name="Stockholm", created_at=CREATED)
    everything = build_lagesbild(base.replace(exclude_categories=()))
    assert int(everything.district_summary.loc[TOTAL_CODE, "total"]) == 4
    assert int(everything.district_summary.loc[TOTAL_CODE, "count_ej_brott"]) == 1
    only = build_lagesbild(base.replace(categories="vald,vapen"))
    assert int(only.district_summary.loc[TOTAL_CODE, "total"]) == 2
    assert only.metadata["counts"]["excluded"] == {"ej_brott": 1, "ran": 1, "stold": 1}
    assert only.metadata["categories"] == {"included": ["vald", "vapen"], "excluded": ["ej_brott"]}
    with pytest.raises(InputError, match="unknown category"):
        PipelineConfig(categories=("vald", "mord"))


def test_kommun_by_name_and_code_must_agree(tmp_path: Path) -> None:
    feed, regso, _ = _national_feed(tmp_path)
    with pytest.raises(InputError, match="different kommuner"):
        build_lagesbild(PipelineConfig(incidents=(str(feed),), districts=str(regso), kommun_name="Lysekil",
                                       kommun_code="0180"))
    # no kommun named: the one of a one-kommun layer is taken from its codes
    one = gpd.read_file(regso)
    one = one[one["kommunkod"] == "1484"]
    path = tmp_path / "lysekil.gpkg"
    one.to_file(path, driver="GPKG")
    lb = build_lagesbild(PipelineConfig(incidents=(str(feed),), districts=str(path), period="2025",
                                        created_at=CREATED))
    assert lb.metadata["kommun"] == {"name": "Lysekil", "code": "1484"}
    assert int(lb.district_summary.loc[TOTAL_CODE, "total"]) == 4


def test_population_from_deso_through_the_key_table(tmp_path: Path) -> None:
    feed, regso, _ = _national_feed(tmp_path)
    pop = tmp_path / "deso_folkmangd.csv"
    pop.write_text("deso,folkmangd_2023\n0180C1010,1000\n0180C1020,1500\n0180C1030,2000\n0180C1040,99\n",
                   encoding="utf-8")
    key = tmp_path / "kopplingstabell-deso-regso-20210702.csv"
    key.write_text("\ufeffbro;Kommunnamn;DeSO;RegSO;;;;\n180;Stockholm;0180C1010;Vårberg;;;;\n"
                   "180;Stockholm;0180C1020;Vårberg;;;;\n180;Stockholm;0180C1030;Bagarmossen;;;;\n;;;;;;;\n",
                   encoding="utf-8")
    lb = build_lagesbild(PipelineConfig(incidents=(str(feed),), districts=str(regso), period="2025",
                                        kommun_name="Stockholm", population=str(pop), population_key=str(key),
                                        created_at=CREATED))
    s = lb.district_summary
    assert s.loc[["0180R101", "0180R102"], "population"].tolist() == [2500.0, 2000.0]
    assert s.loc["0180R101", "per_1000"] == pytest.approx(1 / 2500 * 1000)
    agg = lb.metadata["districts"]["population_aggregation"]
    assert agg["method"] == "key_names" and agg["year"] == 2023 and agg["key_year"] == 2021
    assert agg["areas_without_key"] == {"count": 1, "examples": ["0180C1040"]}
    notes = " ".join(lb.metadata["notes"])
    assert "not in the key table" in notes and "RegSO 2025 changed some areas" in notes
    with pytest.raises(InputError, match="population-key"):
        build_lagesbild(PipelineConfig(incidents=(str(feed),), districts=str(regso), kommun_name="Stockholm",
                                       population=str(pop)))


def test_config_keys_for_the_feed(tmp_path: Path) -> None:
    toml = tmp_path / "lagesbild.toml"
    toml.write_text(
        'period = "2025"\n[kommun]\ncode = "1484"\n[[sources]]\npath = "polisen.json"\n'
        '[inputs]\nplaces = ["stadsdelar.geojson", "orter.csv"]\npopulation = "deso.csv"\n'
        'population_key = "nyckel.csv"\n[analysis]\ncategories = ["vald", "ran"]\nexclude_categories = []\n',
        encoding="utf-8")
    cfg = load_config(toml)
    assert cfg.places == (str(tmp_path / "stadsdelar.geojson"), str(tmp_path / "orter.csv"))
    assert (cfg.population, cfg.population_key) == (str(tmp_path / "deso.csv"), str(tmp_path / "nyckel.csv"))
    assert cfg.categories == ("vald", "ran") and cfg.exclude_categories == ()
    assert PipelineConfig().exclude_categories == ("ej_brott",)
    toml.write_text('[analysis]\ncategories = ["vald", "mord"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown category \['mord'\]"):
        load_config(toml)

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_boundary_from_a_layer_of_every_kommun(tmp_path: Path, feed_and_districts: tuple[Path, Path]) -> None:
    ipath, dpath = feed_and_districts
    kommuner = gpd.GeoDataFrame(
        {"KnKod": ["9999", "2080"], "KnNamn": ["Exempelkommun", "Annanstad"]},
        geometry=[shapely.box(17.0, 59.3, 17.2, 59.4), shapely.box(15.5, 60.5, 15.7, 60.7)],
        crs=4326).to_crs(3006)
    bpath = tmp_path / "kommuner.gpkg"
    kommuner.to_file(bpath, layer="kommun")
    base = PipelineConfig(incidents=(str(ipath),), districts=str(dpath), boundary=str(bpath),
                          clusters=False, emerging=False, created_at="2026-01-01T00:00:00+00:00")
    for kw in ({"kommun_name": "Exempelkommun"}, {"kommun_code": "9999"}):
        lb = build_lagesbild(base.replace(**kw))
        assert len(lb.incidents) == 3
        # the feed's rows of other kommuner are kept out by name, as without a boundary
        assert lb.rejected["reason"].tolist() == ["other kommun"] * 2
        assert any("Boundary: 1 of 2 feature(s)" in n for n in lb.metadata["notes"])
        # Exempelkommun's feature only; no zero cells over it, as the feed has no position on the grid
        assert len(lb.boundary) == 1
        assert lb.boundary.to_crs(4326).total_bounds == pytest.approx([17.0, 59.3, 17.2, 59.4])
        assert len(lb.cells) == 0
    with pytest.raises(InputError, match=r"has 2 features and none is the kommun Norrby.*--kommun"):
        build_lagesbild(base.replace(kommun_name="Norrby"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"Boundary file bad.csv (has no polygon features|cannot be read as a vector layer)"):
        build_lagesbild(base.replace(boundary=str(bad), kommun_name="Exempelkommun"))


def test_feed_without_kommun_name_warns_about_centres_in_one_district(tmp_path: Path, feed_and_districts: tuple[Path, Path]) -> None:
    ipath, dpath = feed_and_districts
    lb = build_lagesbild(PipelineConfig(incidents=(str(ipath),), districts=str(dpath), clusters=False,
                                        emerging=False, created_at="2026-01-01T00:00:00+00:00"))
    # the feed's rows are never put in the district that holds their kommun's centre; the
    # kommun is the one feed kommun whose centre lies in the districts, and it says so
    assert lb.incidents["district_method"].astype(str).tolist() == ["kommun"] * 3
    note = next(n for n in lb.metadata["notes"] if n.startswith("Kommun: Exempelkommun"))
    assert "--kommun" in note
    assert lb.rejected["reason"].tolist() == ["other kommun"] * 2


# --------------------------------------------------------------------------- the steps


def _assert_same(a: Lagesbild, b: Lagesbild, fields: tuple[str, ...] = (
        "incidents", "rejected", "cells", "hotspots", "clusters", "emerging", "districts",
        "district_summary", "pending")) -> None:
    for f in fields:
        x, y = getattr(a, f), getattr(b, f)
        if len(x) or len(y):
            assert_frame_equal(x, y, obj=f)


@pytest.fixture(scope="module")
def placed(sample_dir: Path) -> Lagesbild:
    """Exempelkommun placed (the first step); the later steps never change it."""
    return place(_sample_config(sample_dir))


@pytest.mark.slow
def test_build_is_the_sequence_of_its_steps(sample_build: tuple[Lagesbild, list], sample_dir: Path,
                                            placed: Lagesbild) -> None:
    lb, _ = sample_build
    cfg = _sample_config(sample_dir)
    steps = placed
    assert len(steps.cells) == 0 and len(steps.district_summary) == 0  # placed, not counted
    assert steps.boundary is not None and steps.boundary.crs.to_epsg() == 4326
    steps = aggregate(steps)
    steps = analyse(steps, clusters=cfg.clusters, emerging=cfg.emerging)
    steps = join_districts(steps)
    steps = survey_layers(steps, survey=cfg.survey, pins=cfg.pins)
    steps = describe(steps, config=cfg)
    _assert_same(steps, lb)
    assert list(steps.survey) == list(lb.survey)
    for name in lb.survey:
        assert_frame_equal(pd.DataFrame(steps.survey[name]), pd.DataFrame(lb.survey[name]))
    assert steps.metadata == lb.metadata
    assert steps.reports == lb.reports


def test_old_import_paths_still_work() -> None:
    assert pipeline.Lagesbild is bundle.Lagesbild
    assert (pipeline.PipelineConfig, pipeline.SourceConfig, pipeline.load_config) == (
        config.PipelineConfig, config.SourceConfig, config.load_config)


def test_example_config_is_the_example_toml(sample_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "lagesbild.toml"
    path.write_text(config.example_config_text(str(sample_dir)), encoding="utf-8")
    assert config.example_config(sample_dir) == load_config(path).replace(out_dir=None)
    assert config.example_config(sample_dir, period="2024").period == "2024"


@pytest.mark.slow
def test_survey_layers_before_the_district_table_give_the_same_table(sample_dir: Path,
                                                                      placed: Lagesbild) -> None:
    cfg = _sample_config(sample_dir)
    analysed = analyse(aggregate(placed), clusters=False, emerging=False)
    after = survey_layers(join_districts(analysed), survey=cfg.survey)
    before = join_districts(survey_layers(analysed, survey=cfg.survey))
    assert_frame_equal(after.district_summary, before.district_summary)
    assert_frame_equal(after.districts, before.districts)
    assert "trygg_otrygg_share" in after.district_summary.columns
    assert "perceived_vs_reported" in after.survey and "perceived_vs_reported" not in before.survey


@pytest.mark.slow
def test_steps_do_not_change_their_input(placed: Lagesbild) -> None:
    lb = aggregate(placed)
    meta = json.dumps(lb.metadata, sort_keys=True, default=str)
    n, cols = len(lb.incidents), list(lb.incidents.columns)
    out = join_districts(analyse(lb, clusters=False, emerging=False))
    assert "district_code" in out.incidents.columns and "district_code" not in cols
    assert json.dumps(lb.metadata, sort_keys=True, default=str) == meta
    assert (len(lb.incidents), list(lb.incidents.columns)) == (n, cols)
    assert len(lb.district_summary) == 0


def test_empty_bundle_has_the_frames_of_a_built_one(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    empty = Lagesbild.empty()
    for f in ("incidents", "cells", "hotspots", "clusters", "emerging", "districts", "district_summary"):
        e, full = getattr(empty, f), getattr(lb, f)
        assert len(e) == 0
        assert e.index.name == full.index.name and e.index.dtype == full.index.dtype, f
        for c in e.columns:
            if c in full.columns:
                assert e[c].dtype == full[c].dtype, (f, c)
        shared = [c for c in full.columns if c in e.columns]
        assert shared == [c for c in e.columns if c in shared], f  # the same order
        if isinstance(full, gpd.GeoDataFrame):
            assert e.crs == full.crs and e.geometry.name == full.geometry.name, f
    assert set(lb.hotspots.columns) - set(empty.hotspots.columns) == set()
    assert set(lb.clusters.columns) == set(empty.clusters.columns)
    assert set(lb.emerging.columns) == set(empty.emerging.columns)
    assert list(empty.rejected.columns) == ["source", "source_row", "reason", "reason_sv"]


@pytest.mark.slow
def test_empty_bundle_is_published_exported_mapped_and_reported(tmp_path: Path) -> None:
    lb = Lagesbild.empty()
    pub = publishable(lb)
    assert len(pub.cells) == 0
    meta = export_package(lb, tmp_path / "paket")
    assert {lay["name"]: lay["features"] for lay in meta["layers"]}["cells"] == 0
    assert validate_package(tmp_path / "paket").empty
    assert "<html" in map_html(lagesbild_map(lb, tiles=None))
    write_report(lb, tmp_path / "rapport.html")
    assert (tmp_path / "rapport.html").stat().st_size > 0


# --------------------------------------------------------------------------- filter_incidents


def test_filter_incidents_each_option() -> None:
    t = pd.to_datetime(["2025-03-03 23:10", "2025-03-04 09:00", "2025-03-08 12:00", "2025-03-31 00:00",
                        None]).tz_localize("Europe/Stockholm")
    inc = pd.DataFrame({"category": ["vald", "ran", "vald", "stold", "vald"], "occurred_at": t,
                        "district_code": pd.Series(["A", "B", None, "A", "A"], dtype="category")})
    f = lambda **kw: filter_incidents(inc, **kw).tolist()  # noqa: E731
    assert f() == [True] * 5
    assert f(categories=["vald"]) == [True, False, True, False, True]
    assert f(start="2025-03-04") == [False, True, True, True, False]
    assert f(end="2025-03-30") == [True, True, True, False, False]  # 31 March 00:00 is the next day
    assert f(start="2025-03-04", end="2025-03-04") == [False, True, False, False, False]
    assert f(hours=(22, 6)) == [True, False, False, True, False]
    assert f(hours=(9, 12)) == [False, True, False, False, False]  # 12:00 is not before 12
    assert f(hours=(0, 24)) == [True] * 5
    assert f(weekdays=[0, 5]) == [True, False, True, True, False]  # Monday, Saturday
    assert f(districts=["A"]) == [True, False, False, True, True]
    assert f(categories=["vald"], districts=["A"], hours=(20, 24)) == [True, False, False, False, False]
    with pytest.raises(InputError, match="no 'district_code' column"):
        filter_incidents(inc.drop(columns="district_code"), districts=["A"])
    with pytest.raises(InputError, match="no 'occurred_at' column"):
        filter_incidents(inc.drop(columns="occurred_at"), hours=(1, 2))


def test_filter_incidents_by_hour_leaves_out_dates_without_a_time_of_day() -> None:
    # a date without a time ("day") or a month alone ("month") is read as 00:00: no hour of
    # the incident, so in no part of the day; a day's weekday is known, a month's is not
    t = pd.to_datetime(["2025-03-03 00:00", "2025-03-03 00:00", "2025-03-01 00:00", "2025-03-03 01:00"]
                       ).tz_localize("Europe/Stockholm")
    inc = pd.DataFrame({"occurred_at": t, "date_precision": pd.Series([None, "day", "month", None], dtype="string")})
    assert filter_incidents(inc, hours=(0, 6)).tolist() == [True, False, False, True]
    assert filter_incidents(inc, hours=(0, 24)).tolist() == [True] * 4  # the whole day: every row
    assert filter_incidents(inc, weekdays=[0]).tolist() == [True, True, False, True]  # Monday 3 March
    assert filter_incidents(inc, weekdays=[5]).tolist() == [False] * 4  # 1 March, a Saturday: a month


def test_filter_incidents_takes_dates_and_timestamps_on_the_local_clock() -> None:
    t = pd.Series(pd.to_datetime(["2025-06-30 23:30", "2025-07-01 00:30"]).tz_localize("Europe/Stockholm"))
    inc = pd.DataFrame({"occurred_at": t})
    for end in ("2025-06-30", pd.Timestamp("2025-06-30"), pd.Timestamp("2025-06-30").date()):
        assert filter_incidents(inc, end=end).tolist() == [True, False]
    # UTC 2025-06-30 22:30 is 1 July 00:30 in Stockholm
    assert filter_incidents(inc.assign(occurred_at=t.dt.tz_convert("UTC")), start="2025-07-01").tolist() == [
        False, True]


# --------------------------------------------------------------------------- rebuild


@pytest.fixture(scope="module")
def app_build(sample_dir: Path) -> Lagesbild:
    """Exempelkommun as the app builds it: every date, no period, the kommun by name."""
    cfg = _sample_config(sample_dir, period=None, previous_period=None, kommun_code=None)
    return build_lagesbild(cfg)


def _app_filter_mask(incidents: pd.DataFrame, f: dict) -> np.ndarray:
    """``apps/app_state.filter_mask`` as it was before ``filter_incidents`` (commit c509499)."""
    keep = np.ones(len(incidents), dtype=bool)
    t = incidents.get("occurred_at")
    if t is not None and f["start"] is not None:
        keep &= (t >= f["start"].tz_localize(t.dt.tz)).to_numpy(dtype=bool, na_value=False)
    if t is not None and f["end"] is not None:
        end = (f["end"] + pd.Timedelta(days=1)).tz_localize(t.dt.tz)
        keep &= (t < end).to_numpy(dtype=bool, na_value=False)
    if f["categories"]:
        keep &= incidents["category"].isin(list(f["categories"])).to_numpy(dtype=bool, na_value=False)
    if t is not None and f["hours"] != (0, 24):
        h = t.dt.hour.to_numpy(dtype="float64", na_value=np.nan)
        lo, hi = f["hours"]
        keep &= (h >= lo) & (h < hi) if lo <= hi else (h >= lo) | (h < hi)
    if t is not None and f["weekdays"]:
        keep &= t.dt.day_of_week.isin(list(f["weekdays"])).to_numpy(dtype=bool, na_value=False)
    return keep


def _app_filtered(base: Lagesbild, f: dict) -> Lagesbild:
    """``apps/app_state.filtered_lagesbild`` as it was before ``rebuild`` (commit c509499):
    the reference ``rebuild`` must reproduce."""
    s = base.settings.replace(resolution=f["resolution"])
    inc = base.incidents.loc[_app_filter_mask(base.incidents, f)]
    cells = grid.count_cells(inc, resolution=s.resolution, by="category", fill=True, rings=s.rings)
    hot = (hotspots.gistar(cells, "count", rings=s.rings, alpha=s.alpha, correction=s.correction)
           if len(cells) else cells.copy())
    clusters = base.clusters.iloc[0:0]
    if len(inc):
        clusters = hotspots.clusters(inc)
    districts, summary = base.districts, base.district_summary
    if len(base.districts):
        period = None
        if f["start"] is not None or f["end"] is not None:
            t = base.incidents["occurred_at"]
            lo = f["start"] if f["start"] is not None else t.min().tz_localize(None).normalize()
            hi = f["end"] if f["end"] is not None else t.max().tz_localize(None).normalize()
            period = (lo.date().isoformat(), hi.date().isoformat())
        geo = base.districts[["district_name", "population", "geometry"]]
        survey = base.survey.get("districts")
        inc_all_dates = base.incidents.loc[_app_filter_mask(base.incidents, {**f, "start": None, "end": None})]
        summary = summarize(
            inc_all_dates, geo, period=period, previous_period="previous" if period else None,
            survey=pd.DataFrame(survey).drop(columns="geometry", errors="ignore") if survey is not None else None,
            hotspots=hot if len(hot) else None, alpha=s.alpha)
        rows = summary.loc[summary["row_type"] == "district"].drop(columns=["district_name", "population"])
        districts = geo.join(rows)
    emerging = base.emerging
    if s.resolution != base.settings.resolution:
        emerging = base.emerging.iloc[0:0]
    return dataclasses.replace(base, incidents=inc, cells=cells, hotspots=hot, clusters=clusters,
                               emerging=emerging, districts=districts, district_summary=summary,
                               settings=s)


def _filters(**kw: object) -> dict:
    return {"start": None, "end": None, "categories": (), "hours": (0, 24), "weekdays": (),
            "resolution": 9, **kw}


@pytest.mark.slow
def test_rebuild_on_a_category_mask_equals_the_app(app_build: Lagesbild) -> None:
    f = _filters(categories=("vald", "stold"))
    got = rebuild(app_build, filter_incidents(app_build.incidents, categories=["vald", "stold"]))
    want = _app_filtered(app_build, f)
    _assert_same(got, want)
    assert got.settings == want.settings
    assert int(got.cells["count"].sum()) == int(app_build.cells[["count_vald", "count_stold"]].sum().sum())
    assert got.metadata["counts"]["placed"] == int(app_build.incidents["category"].isin(["vald", "stold"]).sum())


@pytest.mark.slow
def test_rebuild_with_period_hours_weekdays_and_resolution_equals_the_app(app_build: Lagesbild) -> None:
    start, end = pd.Timestamp("2024-07-01"), pd.Timestamp("2025-03-31")
    f = _filters(start=start, end=end, hours=(20, 4), weekdays=(4, 5), resolution=8)
    mask = filter_incidents(app_build.incidents, hours=(20, 4), weekdays=[4, 5])
    got = rebuild(app_build, mask, period=(start, end), resolution=8)
    want = _app_filtered(app_build, f)
    _assert_same(got, want, ("cells", "hotspots", "clusters", "emerging", "districts", "district_summary"))
    assert got.settings.resolution == 8 and len(got.emerging) == 0
    # the bundle keeps every date of the subset; the period says which ones were counted
    assert got.metadata["period"]["label"] == "2024-07-01/2025-03-31"
    assert got.metadata["previous_period"]["label"] == "2023-10-01/2024-06-30"
    in_days = filter_incidents(got.incidents, start=start, end=end)
    assert_frame_equal(got.incidents.loc[in_days], want.incidents)
    # what the map page shows: the published picture, its tables and headline figures
    pub, ref = publishable(got), publishable(want)
    _assert_same(pub, ref, ("cells", "hotspots", "clusters", "districts", "district_summary"))
    for name, table in ref.tables.items():
        if name != "months":  # every month of the data; the app's bundle had only the period's
            assert_frame_equal(pub.tables[name], table, obj=name)


@pytest.mark.slow
def test_rebuild_with_an_open_period_ends_on_the_data(app_build: Lagesbild) -> None:
    start = pd.Timestamp("2025-01-01")
    got = rebuild(app_build, np.ones(len(app_build.incidents), dtype=bool), period=(start, None))
    want = _app_filtered(app_build, _filters(start=start))
    _assert_same(got, want, ("cells", "hotspots", "clusters", "districts", "district_summary"))
    last = app_build.incidents["occurred_at"].max()
    assert got.metadata["period"]["label"] == f"2025-01-01/{last.date()}"


@pytest.mark.slow
def test_rebuild_of_everything_as_the_build_gives_the_build(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    again = rebuild(lb, np.ones(len(lb.incidents), dtype=bool), fill=None)
    _assert_same(again, lb)
    assert again.metadata["counts"] == lb.metadata["counts"]
    assert again.metadata["parameters"] == lb.metadata["parameters"]
    # the app's grid (fill=True) keeps the cells near incidents, the build's the whole kommun
    ringed = rebuild(lb, np.ones(len(lb.incidents), dtype=bool))
    assert len(ringed.cells) < len(lb.cells) and ringed.cells["count"].sum() == lb.cells["count"].sum()
    assert ringed.metadata["parameters"]["fill"] == "rings=1"


@pytest.mark.slow
def test_rebuild_without_cells_gives_the_same_district_table(app_build: Lagesbild) -> None:
    # what the trend panel needs of a period: the district table, without the grid's work
    start, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")
    mask = filter_incidents(app_build.incidents, categories=["vald", "stold"], hours=(20, 4))
    full = rebuild(app_build, mask, period=(start, end))
    light = rebuild(app_build, mask, period=(start, end), cells=False)
    assert all(len(light.table(k)) == 0 for k in ("cells", "hotspots", "clusters", "emerging"))
    cols = [c for c in full.district_summary.columns if not c.startswith(("n_", "share_hot"))]
    assert_frame_equal(light.district_summary[cols], full.district_summary[cols])
    assert light.metadata["period"] == full.metadata["period"]
    assert light.metadata["counts"]["levels"] == full.metadata["counts"]["levels"]
    assert light.metadata["counts"]["not_on_grid"] == {}  # nothing of a grid it has not made


def test_rebuild_checks_the_mask(sample_build: tuple[Lagesbild, list]) -> None:
    lb, _ = sample_build
    with pytest.raises(InputError, match=r"the mask has 3 values for \d+ incidents"):
        rebuild(lb, [True, False, True])
    none = rebuild(lb, np.zeros(len(lb.incidents), dtype=bool))
    assert len(none.incidents) == 0 and len(none.cells) == 0 and len(none.clusters) == 0
    assert int(none.district_summary.loc[TOTAL_CODE, "total"]) == 0


def test_aggregate_counts_by_the_read_codes_as_by_the_strings(placed: Lagesbild) -> None:
    """aggregate hands the whole columns' codes (from the read) on to the period's rows:
    the same cells and counts as from plain text columns, which carry no codes."""
    inc = placed.incidents
    assert inc["precision"].dtype == "string" and 0 < int(pipeline._in_period(placed).sum()) < len(inc)
    plain = placed.replace(incidents=inc.astype({"precision": object, "category": object}))
    got, want = aggregate(placed), aggregate(plain)
    assert_frame_equal(got.table("cells"), want.table("cells"))
    assert got.table("cells").attrs["not_on_grid"] == want.table("cells").attrs["not_on_grid"]
    assert int(got.table("cells")["count"].sum()) > 0


@pytest.mark.parametrize("dtype", ["string", object])
def test_text_counts_as_value_counts_with_ties_and_missing(dtype: object) -> None:
    """The metadata's counts by precision: most first, ties in the order they first occur,
    as pandas' value_counts words them (a missing value too)."""
    values = pd.Series(["area", "point", "kommun", "point", "area", "kommun", "lan", None], dtype=dtype)
    mask = np.array([True, True, True, True, True, True, False, False])
    assert list(pipeline._text_counts(values, mask).items()) == [("area", 2), ("point", 2), ("kommun", 2)]
    mask[-1] = True
    want = {str(k): int(v) for k, v in values[mask].astype(str).value_counts().items()}
    assert list(pipeline._text_counts(values, mask).items()) == list(want.items())


def test_ids_of_one_file_in_another_are_noted_but_not_within_one(tmp_path: Path) -> None:
    a, b = tmp_path / "jan.csv", tmp_path / "feb.csv"
    head = "Ärendenr;Datum;Tid;Brottstyp;Lat;Long\n"
    a.write_text(head + "K-1;2025-01-30;12:00;Stöld;59,36;17,10\nK-2;2025-01-31;12:00;Stöld;59,36;17,10\n"
                 "K-2;2025-01-31;12:00;Rån;59,36;17,10\n", encoding="utf-8")  # one case, two crimes
    b.write_text(head + "K-2;2025-01-31;12:00;Stöld;59,36;17,10\nK-3;2025-02-01;12:00;Stöld;59,36;17,10\n",
                 encoding="utf-8")
    one = place(PipelineConfig(incidents=(SourceConfig(str(a)),)))
    assert not [n for n in one.metadata["notes"] if "incident id" in n]
    both = place(PipelineConfig(incidents=(SourceConfig(str(a)), SourceConfig(str(b)))))
    notes = [n for n in both.metadata["notes"] if "incident id" in n]
    assert notes == ["1 incident id(s) of jan.csv are in feb.csv too (e.g. 'K-2'): if the files overlap, "
                     "those incidents are counted twice; leave the overlap out of one of them."]
    assert len(both.incidents) == 5  # every row kept


def test_a_district_layers_own_notes_are_notes_of_the_build(tmp_path: Path, sample_dir: Path) -> None:
    # a GeoPackage of two layers: which one was read is said where the build prints its notes
    import pyogrio

    d = gpd.read_file(sample_dir / "districts.geojson")
    gpkg = tmp_path / "distrikt.gpkg"
    pyogrio.write_dataframe(d, gpkg, layer="gamla")
    pyogrio.write_dataframe(d, gpkg, layer="nya", append=False)
    lb = place(PipelineConfig(incidents=(SourceConfig(str(sample_dir / "incidents_kommun.csv")),),
                              districts=str(gpkg)))
    assert [n for n in lb.metadata["notes"] if n.startswith("Districts (")] == [
        "Districts (distrikt.gpkg): read layer 'gamla' of ['gamla', 'nya'] (choose another with layer=, "
        "or layer = under [districts] in lagesbild.toml)"]


@pytest.mark.filterwarnings("ignore:Gi\\* on only:UserWarning")
@pytest.mark.parametrize(("first_day", "compared"), [("2025-01-01", False), ("2024-01-01", True),
                                                     ("2024-01-04", True)])
def test_previous_period_the_data_do_not_reach_is_not_compared(tmp_path: Path, first_day: str,
                                                               compared: bool) -> None:
    """An archive that begins in 2025, compared with 2024, counted 2024 as zero: every
    district's whole count was a significant rise. The data must reach back to the
    comparison period's first day, else it is dropped with a note; a first incident a few
    days into the period is chance, not missing data (13 incidents over 20 months: ten mean
    gaps are about 480 days, so 3 days late is covered and a year late, at 20 days' gap, is not)."""
    rows = [f"{first_day};Stöld;59.35;17.10"] + [f"2025-0{1 + k % 9}-1{k % 9};Stöld;59.35;17.10"
                                                for k in range(12)]
    src = tmp_path / "a.csv"
    src.write_text("Datum;Brottstyp;Lat;Long\n" + "\n".join(rows) + "\n", encoding="utf-8")
    d = gpd.GeoDataFrame({"deso": ["9999C1010"], "namn": ["Centrum"]},
                         geometry=[shapely.box(17.0, 59.3, 17.2, 59.4)], crs=4326)
    d.to_file(tmp_path / "d.geojson", driver="GeoJSON")
    lb = build_lagesbild(PipelineConfig(incidents=(str(src),), districts=str(tmp_path / "d.geojson"),
                                        period="2025", previous_period="previous", created_at=CREATED))
    total = lb.district_summary.loc[TOTAL_CODE]
    notes, notes_sv = " ".join(lb.metadata["notes"]), " ".join(lb.metadata["notes_sv"])
    if compared:
        assert lb.metadata["previous_period"]["label"] == "2024"
        assert int(total["total_previous"]) == 1 and int(total["change"]) == 11
        assert "not compared" not in notes
    else:
        assert lb.metadata["previous_period"] is None
        assert pd.isna(total.get("change"))
        assert "Previous period 2024: the incidents begin on 2025-01-01" in notes
        assert "Jämförelseperioden 2024 jämförs inte: händelserna börjar 1 januari 2025" in notes_sv
        # the report's readers are told too, in its method section
        text = write_report(lb, tmp_path / "r.html").read_text(encoding="utf-8")
        assert "Jämförelseperioden 2024 jämförs inte: händelserna börjar 1 januari 2025" in text
