"""Export package: GeoJSON/GeoPackage rules, schemas, privacy in every byte, round trip, merge."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from jsonschema import Draft202012Validator
from pyproj import Transformer
from shapely.geometry import Polygon
from test_export_data import COUNTS, PIN_COMMENT, PLANTED, RES, tiny_lagesbild

from lagesbild_geo import grid, measures
from lagesbild_geo.cli import export as cli_export
from lagesbild_geo.errors import InputError, PrivacyError
from lagesbild_geo.export import (
    LAYERS,
    LagesbildPackage,
    export_package,
    feature_collection,
    load_schema,
    merge,
    package_layers,
    read_package,
    validate_package,
    zip_package,
)
from lagesbild_geo.privacy import Privacy, audit_package
from lagesbild_geo.settings import Settings

NEEDLES = [*PLANTED.values(), PIN_COMMENT, "Planted", "planted", "Storgatan", "fritext A",
           "8112189876", "Sven", "balkong", "langar"]


@pytest.fixture(scope="module")
def lb():
    return tiny_lagesbild()


@pytest.fixture(scope="module")
def pkg(lb, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pkg")
    export_package(lb, out)
    return out


def cli_main(argv: list[str]) -> int:
    """Run our commands through argparse without importing other helpers' CLI modules."""
    import argparse

    from lagesbild_geo.errors import LagesbildError

    parser = argparse.ArgumentParser(prog="lagesbild")
    cli_export.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except LagesbildError as exc:
        import sys

        print(f"lagesbild: error: {exc}", file=sys.stderr)
        return 1


def _all_bytes(path: Path) -> list[tuple[str, bytes]]:
    return [(str(f), f.read_bytes()) for f in sorted(path.rglob("*")) if f.is_file()]


def _load(pkg: Path, layer: str) -> dict:
    return json.loads((pkg / f"{layer}.geojson").read_text(encoding="utf-8"))


def _needle_hits(files: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    hits = []
    for name, data in files:
        for needle in NEEDLES:
            for enc in ("utf-8", "utf-16-le"):
                if needle.encode(enc) in data:
                    hits.append((name, needle))
    return hits


# ------------------------------------------------------------------ files/format

def test_package_has_every_layer_file_and_gpkg(pkg: Path) -> None:
    names = {f.name for f in pkg.iterdir()}
    assert {f"{n}.geojson" for n in LAYERS} <= names
    assert {"metadata.json", "lagesbild.gpkg"} <= names
    assert "incidents.geojson" not in names and "survey_pins.geojson" not in names


def test_every_layer_validates_against_its_schema(pkg: Path) -> None:
    for layer in LAYERS:
        schema = load_schema(layer)
        Draft202012Validator.check_schema(schema)
        errors = list(Draft202012Validator(schema).iter_errors(_load(pkg, layer)))
        assert errors == [], (layer, [e.message for e in errors[:3]])
    meta = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(load_schema("metadata")).iter_errors(meta)) == []
    assert validate_package(pkg).empty


def test_geojson_rules_rfc7946(pkg: Path) -> None:
    for layer in LAYERS:
        fc = _load(pkg, layer)
        assert "crs" not in fc
        for f in fc["features"]:
            g = shapely.geometry.shape(f["geometry"])
            x0, y0, x1, y1 = g.bounds
            assert 10.0 <= x0 <= x1 <= 24.5 and 55.0 <= y0 <= y1 <= 69.5  # lon, lat in Sweden
            polys = [g] if g.geom_type == "Polygon" else list(g.geoms)
            for poly in polys:
                assert poly.exterior.is_ccw  # right-hand rule
                assert all(not r.is_ccw for r in poly.interiors)
            coords = shapely.get_coordinates(g)
            np.testing.assert_array_equal(coords, np.round(coords, 6))
            txt = json.dumps(f["geometry"])
            assert all(len(num.split(".")[1]) <= 6 for num in
                       txt.replace("[", " ").replace("]", " ").replace(",", " ").split()
                       if "." in num)


def test_clockwise_input_comes_out_counter_clockwise(tmp_path: Path) -> None:
    cw = Polygon([(17.0, 59.3), (17.0, 59.4), (17.1, 59.4), (17.1, 59.3)])
    assert not cw.exterior.is_ccw
    hole = Polygon(cw.exterior.coords, [[(17.02, 59.32), (17.05, 59.32), (17.05, 59.35), (17.02, 59.32)]])
    g = gpd.GeoDataFrame({"k": ["a", "b"]}, geometry=[cw, hole], crs="EPSG:4326")
    fc = feature_collection(g, id_column="k", precision=3)
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    assert ring == [[17.0, 59.3], [17.1, 59.3], [17.1, 59.4], [17.0, 59.4], [17.0, 59.3]]
    hole_ring = fc["features"][1]["geometry"]["coordinates"][1]
    assert not shapely.LinearRing(hole_ring).is_ccw
    assert fc["features"][0]["id"] == "a"


def test_sweref_input_is_transformed_to_lonlat() -> None:
    g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[shapely.box(660000, 6580000, 660100, 6580100)],
                         crs="EPSG:3006")
    fc = feature_collection(g)
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    elon, elat = Transformer.from_crs(3006, 4326, always_xy=True).transform(660100, 6580000)
    assert (lon, lat) == (round(elon, 6), round(elat, 6))


def test_h3_ids_are_hex_strings_and_counts_match(lb, pkg: Path) -> None:
    fc = _load(pkg, "cells")
    ids = [f["properties"]["cell"] for f in fc["features"]]
    assert ids == grid.cells_to_str(lb.cells.index.to_numpy())
    assert [f["id"] for f in fc["features"]] == ids
    shown = [f["properties"]["count"] for f in fc["features"]]
    # every small count hidden; a shown count is the true one (others may be hidden to protect)
    assert all((s is None) if c < 3 else (s is None or s == c) for s, c in zip(shown, COUNTS, strict=True))
    assert all(isinstance(s, int) for s in shown if s is not None)  # integers, not 9.0
    assert audit_package(pkg).empty


def test_gpkg_opens_with_gdal_and_has_the_same_layers(pkg: Path) -> None:
    layers = dict(pyogrio.list_layers(pkg / "lagesbild.gpkg"))
    assert set(LAYERS) <= set(layers)
    cells = pyogrio.read_dataframe(pkg / "lagesbild.gpkg", layer="cells")
    assert cells.crs.to_epsg() == 4326
    gj = gpd.read_file(pkg / "cells.geojson")  # GDAL reads our GeoJSON too
    assert list(cells["cell"]) == list(gj["cell"])
    assert cells["count"].isna().sum() == gj["count"].isna().sum() >= sum(c < 3 for c in COUNTS)


def test_metadata_contents(lb, pkg: Path) -> None:
    meta = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    assert meta["format_version"] == "1.0"
    assert meta["kommun"] == {"name": "Exempelkommun", "code": "9999"}
    assert meta["suppression"] == {"min_count": 3, "min_respondents": 5, "small_cells": "suppress"}
    assert meta["coordinate_precision"] == 6
    assert {d["name"]: d["features"] for d in meta["layers"]}["cells"] == 12
    hidden = sum(f["properties"]["count"] is None for f in _load(pkg, "cells")["features"])
    assert meta["privacy"]["suppressed"]["cells"] == hidden >= sum(c < 3 for c in COUNTS)
    excluded = {(e["column"], e["kind"], e["evidence"]) for e in meta["privacy"]["excluded_columns"]
                if e["table"] == "incidents"}
    assert {("personnr", "personnummer", "header"), ("ref_no_header", "personnummer", "content"),
            ("namn", "name", "header"), ("falt_7", "name", "content"),
            ("telefon", "phone", "header"), ("kontaktinfo", "phone", "content"),
            ("epost", "email", "header"), ("info", "email", "content"),
            ("kommentar", "free_text", "header"), ("beskrivning", "free_text", "header"),
            ("summary", "free_text", "header")} <= excluded
    assert meta["labels_sv"]["count_vald"] == "Antal: Våld och hot"
    assert meta["sources"] == [{"name": "incidents_kommun.csv", "sha256": "ab" * 32}]  # no raw row count
    assert meta["privacy"]["include_points"] is False and meta["privacy"]["warnings"] == []


# ---------------------------------------------------------------------- privacy

def test_no_planted_value_in_any_output_byte(pkg: Path) -> None:
    assert _needle_hits(_all_bytes(pkg)) == []


def test_no_planted_value_even_with_points(lb, tmp_path: Path) -> None:
    meta = export_package(lb, tmp_path, include_points=True)
    assert _needle_hits(_all_bytes(tmp_path)) == []
    assert any("include_points" in w for w in meta["privacy"]["warnings"])
    inc = _load(tmp_path, "incidents")
    assert len(inc["features"]) == len(lb.incidents)
    assert set(inc["features"][0]["properties"]) == {"incident_id", "occurred_at", "category",
                                                     "precision", "cell", "source"}
    assert inc["features"][0]["properties"]["occurred_at"].endswith("+01:00")
    pins = _load(tmp_path, "survey_pins")
    assert [f["properties"]["reason"] for f in pins["features"]] == ["Dålig belysning", "Droghandel"]
    assert validate_package(tmp_path).empty
    zipped = zip_package(tmp_path, tmp_path.parent / "p.zip")
    with zipfile.ZipFile(zipped) as zf:
        assert _needle_hits([(n, zf.read(n)) for n in zf.namelist()]) == []


def test_no_point_geometry_unless_asked(pkg: Path) -> None:
    for layer in LAYERS:
        for f in _load(pkg, layer)["features"]:
            assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    for _, info in pyogrio.list_layers(pkg / "lagesbild.gpkg"):
        assert info in ("MultiPolygon", "Polygon", None)


def test_point_layers_refused_without_include_points(lb, tmp_path: Path) -> None:
    with pytest.raises(PrivacyError, match="include_points"):
        export_package(lb, tmp_path, layers=["incidents"])


def test_no_count_below_threshold_anywhere(lb, tmp_path: Path) -> None:
    export_package(lb, tmp_path, privacy=Privacy(min_count=5))
    for layer in ("cells", "hotspots", "clusters", "districts"):
        for f in _load(tmp_path, layer)["features"]:
            for k, v in f["properties"].items():
                if k == "n" or k == "count" or k.startswith("count_"):
                    assert v is None or v == 0 or v >= 5, (layer, k, v)
    for f in _load(tmp_path, "trygghet")["features"]:
        p = f["properties"]
        assert (p["n"] is None and p["suppressed"] and p["otrygg_share"] is None) or p["n"] >= 5


def test_secondary_suppression_hides_recoverable_category(lb) -> None:
    layers, _ = package_layers(lb)
    cells = layers["cells"]
    for _, row in cells.iterrows():
        if pd.isna(row["count"]):
            continue
        hidden = [c for c in ("count_vald", "count_stold", "count_skadegorelse") if pd.isna(row[c])]
        assert len(hidden) != 1, row  # one hidden value could be recovered from the total
    # the kommun total is published, so one hidden district/cell count would be recoverable
    for name in ("cells", "districts"):
        assert int(layers[name]["count"].isna().sum()) != 1


def test_survey_suppressed_below_min_respondents(pkg: Path) -> None:
    props = {f["properties"]["district_code"]: f["properties"]
             for f in _load(pkg, "trygghet")["features"]}
    assert props["9999C1020"] == {"district_code": "9999C1020", "district_name": "Stationsområdet",
                                  "n": None, "otrygg_share": None, "mean_worry": None,
                                  "suppressed": True}
    assert props["9999C1010"]["otrygg_share"] == 0.25 and props["9999C1010"]["n"] == 40


def test_rollup_merges_small_cells_into_parents(lb, tmp_path: Path) -> None:
    layers, info = package_layers(lb, privacy=Privacy(small_cells="rollup"))
    cells = layers["cells"]
    small_cells = lb.cells.index[lb.cells["count"] < 3].to_numpy()
    assert info["rolled_up"]["cells"] == len(small_cells) == 4
    parents = grid.cells_to_parent(small_cells, RES - 1)
    expected = (pd.Series(lb.cells.loc[small_cells, "count"].to_numpy(), index=parents)
                .groupby(level=0).sum())
    rolled = cells[cells["resolution"] == RES - 1].set_index("cell")
    assert list(rolled.index) == grid.cells_to_str(expected.index.to_numpy())
    assert rolled["rolled_up"].all() and not cells.loc[cells["resolution"] == RES, "rolled_up"].any()
    for cell, total in zip(rolled.index, expected.to_numpy(), strict=True):
        shown = rolled.loc[cell, "count"]
        assert (pd.isna(shown) and total < 3) or pd.isna(shown) or shown == total
    # no small cell remains at the base resolution; shown counts are the true ones
    base = cells[cells["resolution"] == RES]
    assert len(base) == 12 - 4 and not (base["count"].dropna() < 3).any()
    # the parents and the hotspots layer's children are one system: nothing is pinned
    out = tmp_path / "rollup"
    export_package(lb, out, privacy=Privacy(small_cells="rollup"))
    assert audit_package(out).empty


# -------------------------------------------------------------- read and merge

def test_round_trip_geojson_and_gpkg(lb, pkg: Path) -> None:
    for src in (pkg, pkg / "lagesbild.gpkg"):
        back = read_package(src)
        assert isinstance(back, LagesbildPackage)
        assert back.cells.index.dtype == np.uint64
        np.testing.assert_array_equal(back.cells.index.to_numpy(), lb.cells.index.to_numpy())
        written = [f["properties"]["count"] for f in _load(pkg, "cells")["features"]]
        exp = [np.nan if c is None else float(c) for c in written]
        np.testing.assert_array_equal(back.cells["count"].to_numpy(dtype=float), exp)
        gz = back.hotspots["gi_z"].to_numpy(dtype=float)  # hidden beside a hidden count
        np.testing.assert_allclose(gz[np.isfinite(gz)], lb.hotspots["gi_z"].to_numpy()[np.isfinite(gz)])
        assert list(back.hotspots["hotspot_class"]) == list(lb.hotspots["hotspot_class"])
        assert list(back.districts.index) == ["9999C1010", "9999C1020", "9999C1030"]
        assert back.districts.loc["9999C1020", "district_name"] == "Stationsområdet"
        assert back.metadata["format_version"] == "1.0"
        assert back.settings.min_count == 3
        geom_in = shapely.normalize(lb.districts.geometry.iloc[0])
        geom_out = shapely.normalize(back.districts.geometry.iloc[0])
        assert shapely.equals_exact(geom_in, geom_out, tolerance=1e-6)
        assert list(back.clusters["top_categories"].iloc[0]) == ["vald", "stold"]


def test_areas_from_a_store_like_object(lb, tmp_path: Path) -> None:
    class FakeStore:
        def list_areas(self):
            return gpd.GeoDataFrame(
                {"area_id": ["a1"], "name": ["Stationsområdet"], "description": [PLANTED["kommentar"]],
                 "created_by": ["anna.planted"]},
                geometry=[shapely.box(17.09, 59.36, 17.11, 59.38)], crs="EPSG:4326")

        def list_measures(self):
            return pd.DataFrame({
                "id": ["m1", "m2"], "area_id": ["a1", "a1"],
                "title": ["Bättre belysning", "Ring kalle.planted@example.se"],
                "description": [PLANTED["beskrivning"], "x"],
                "target_categories": [["vald", "ran"], ["narkotika"]],
                "status": ["pågående", "planerad"], "responsible": ["Tekniska förvaltningen", "Polisen"],
                "partners": [["Bostadsbolaget"], []],
                "start_date": [pd.Timestamp("2025-03-01"), pd.NaT],
                "next_followup_date": ["2025-09-01", None], "created_by": ["anna.planted", "x"]})

    # a title with an e-mail address stops the export, naming field and row
    with pytest.raises(PrivacyError, match=r"åtgärdens titel \(measures.title\) rad 2.*e-postadress"):
        export_package(lb, tmp_path, store=FakeStore())
    assert not (tmp_path / "areas.geojson").exists()
    # explicitly allowed, it goes out as written (and the metadata says so)
    meta = export_package(lb, tmp_path, store=FakeStore(), allow_personal_data={"measures.title"})
    assert meta["privacy"]["allowed_personal_data"] == ["measures.title"]
    fc = _load(tmp_path, "areas")
    p = fc["features"][0]["properties"]
    assert p["area_name"] == "Stationsområdet" and p["n_measures"] == 2
    m1, m2 = p["measures"]
    assert m1["title"] == "Bättre belysning" and m1["target_categories"] == ["vald", "ran"]
    assert m1["start_date"] == "2025-03-01" and m1["next_followup"] == "2025-09-01"
    assert m2["title"] == "Ring kalle.planted@example.se"
    assert validate_package(tmp_path).empty
    # only the allowed title carries it; nothing else planted gets out
    assert {needle for _, needle in _needle_hits(_all_bytes(tmp_path))} <= {
        "planted", "kalle.planted@example.se"}
    back = read_package(tmp_path / "lagesbild.gpkg")
    assert back.areas["measures"].iloc[0][0]["target_categories"] == ["vald", "ran"]


def test_areas_from_a_real_measure_store(lb, tmp_path: Path) -> None:
    store = measures.MeasureStore(tmp_path / "s.sqlite", user="anna.planted")
    a = store.add_area(name="Centrumtorget", description=PLANTED["kommentar"],
                       geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
    store.add_measure(area_id=a.id, title="Trygghetsvandring och belysning",
                      target_categories=["vald", "skadegorelse"], responsible="forvaltning",
                      description=PLANTED["beskrivning"], problem=PLANTED["summary"],
                      start_date="2025-04-01", next_followup="2025-10-01", status="pågående",
                      partners=["Polisen"], cause_tags=["belysning"], cost=12000)
    export_package(lb, tmp_path / "pkg", store=store)
    p = _load(tmp_path / "pkg", "areas")["features"][0]["properties"]
    assert p["area_id"] == a.id and p["area_name"] == "Centrumtorget"
    (m,) = p["measures"]
    assert m["title"] == "Trygghetsvandring och belysning"
    assert m["target_categories"] == ["vald", "skadegorelse"] and m["status"] == "pågående"
    assert m["responsible"] == "forvaltning" and m["cost"] == 12000
    assert (m["start_date"], m["next_followup"]) == ("2025-04-01", "2025-10-01")
    assert validate_package(tmp_path / "pkg").empty
    assert _needle_hits(_all_bytes(tmp_path / "pkg")) == []
    store.close()


@pytest.mark.slow
def test_merge_tags_both_sides(lb, pkg: Path, tmp_path: Path) -> None:
    polis_lb = tiny_lagesbild(Settings(min_count=4))
    export_package(polis_lb, tmp_path / "polis")
    joint = merge(pkg, tmp_path / "polis")
    assert joint.settings.min_count == 4
    assert joint.hotspots["source"].value_counts().to_dict() == {"kommun": 12, "polis": 12}
    hot = joint.hotspots[joint.hotspots["hotspot_class"].str.startswith("hot")]
    assert set(hot["source"]) == {"kommun", "polis"}
    out = tmp_path / "joint"
    meta = export_package(joint, out)
    assert meta["merged"] is True
    assert validate_package(out).empty
    fc = _load(out, "hotspots")
    ids = [f["id"] for f in fc["features"]]
    assert len(set(ids)) == 24 and ids[0].startswith("kommun:") and ids[-1].startswith("polis:")
    counts = [f["properties"]["count"] for f in fc["features"]]
    assert all(c is None or c >= 4 for c in counts)
    with pytest.raises(InputError, match="already a merged"):
        merge(read_package(out), pkg)


def test_validate_reports_file_feature_and_property(pkg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in [*pkg.glob("*.json"), *pkg.glob("*.geojson")]:
        (bad / f.name).write_bytes(f.read_bytes())
    fc = _load(bad, "cells")
    fc["features"][2]["properties"]["count"] = -1
    fc["features"][3]["properties"]["cell"] = 123
    ring = fc["features"][4]["geometry"]["coordinates"][0]
    fc["features"][4]["geometry"]["coordinates"][0] = ring[::-1]
    fc["crs"] = {"type": "name"}
    (bad / "cells.geojson").write_text(json.dumps(fc), encoding="utf-8")
    problems = validate_package(bad)
    got = {(r.file, r.feature, r.property) for r in problems.itertuples()}
    assert ("cells.geojson", 2, "properties/count") in got
    assert ("cells.geojson", 3, "properties/cell") in got
    assert ("cells.geojson", 4, "geometry") in got
    assert any(p == "crs" for _, _, p in got)
    assert cli_main(["validate", str(bad)]) == 1
    assert cli_main(["validate", str(pkg)]) == 0


def test_cli_export_zips_directory_and_gpkg(pkg: Path, tmp_path: Path, capsys) -> None:
    assert cli_main(["export", "--from", str(pkg), "--to", str(tmp_path / "police.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "police.zip") as zf:
        names = set(zf.namelist())
    assert {"metadata.json", "lagesbild.gpkg", "cells.geojson"} <= names
    assert cli_main(["export", "--from", str(pkg / "lagesbild.gpkg"), "--to",
                     str(tmp_path / "g.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "g.zip") as zf:
        assert json.loads(zf.read("metadata.json"))["format_version"] == "1.0"
    back = read_package(tmp_path / "police.zip")
    assert len(back.cells) == 12
    assert cli_main(["export", "--from", str(tmp_path / "nope"), "--to", str(tmp_path / "x.zip")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_layers_without_geometry_get_hex_polygons(lb) -> None:
    emerging = pd.DataFrame(lb.emerging.drop(columns="geometry")).assign(
        count=lb.cells["count"].to_numpy(), emerging_class_sv="Ny hotspot")
    bare = replace(lb, emerging=emerging)
    layers, info = package_layers(bare, layers=["emerging"])
    g = layers["emerging"]
    assert len(g) == 12 and g.geometry.geom_type.eq("Polygon").all()
    expected = grid.cells_to_polygons(lb.cells.index.to_numpy())
    assert all(a.equals(b) for a, b in zip(g.geometry, expected, strict=True))
    # counts in the emerging layer obey the threshold too; Swedish free labels are not exported
    assert g["count"].isna().sum() >= 4 and not (g["count"].dropna() < 3).any()
    assert "emerging_class_sv" not in g.columns
    assert info["dropped_columns"]["emerging"] == ["emerging_class_sv"]


def test_bad_inputs_are_refused_with_clear_messages(lb, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Unknown layer"):
        export_package(lb, tmp_path, layers=["hotpots"])
    with pytest.raises(InputError, match="small_cells"):
        Privacy(small_cells="blur")
    with pytest.raises(InputError, match="not a lagesbild package"):
        read_package(tmp_path)
    with pytest.raises(InputError, match="precision"):
        export_package(lb, tmp_path, precision=20)


def test_unknown_major_format_version_is_refused(pkg: Path, tmp_path: Path) -> None:
    for f in [*pkg.glob("*.json"), *pkg.glob("*.geojson")]:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    meta = json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8"))
    meta["format_version"] = "2.0"
    (tmp_path / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError, match=r"format_version 2\.0"):
        read_package(tmp_path)
    assert not validate_package(tmp_path).empty


def test_commands_are_registered_in_the_lagesbild_cli(pkg: Path, capsys) -> None:
    from lagesbild_geo.cli import main

    assert main(["validate", str(pkg)]) == 0
    assert "valid" in capsys.readouterr().out


def test_export_does_not_mutate_input(lb, tmp_path: Path) -> None:
    before = lb.cells.copy()
    export_package(lb, tmp_path, privacy=Privacy(min_count=10))
    pd.testing.assert_frame_equal(lb.cells, before)


def test_precision_is_configurable(lb, tmp_path: Path) -> None:
    meta = export_package(lb, tmp_path, precision=4, gpkg=False)
    assert meta["coordinate_precision"] == 4
    coords = shapely.get_coordinates(shapely.geometry.shape(
        _load(tmp_path, "cells")["features"][0]["geometry"]))
    np.testing.assert_array_equal(coords, np.round(coords, 4))
    assert not (tmp_path / "lagesbild.gpkg").exists()


def test_pins_aggregated_per_cell_become_trygghet_pins(lb, tmp_path: Path) -> None:
    cells = lb.cells.index.to_numpy()[:3]
    pins = gpd.GeoDataFrame(
        {"n": pd.array([7, 2, 5], dtype="Int64"), "n_droghandel": pd.array([4, 1, 0], dtype="Int64"),
         "top_reason": ["droghandel", "skymd_sikt", "annat"], "resolution": 9,
         "suppressed": [False, False, False]},
        index=pd.Index(cells, name="cell"), geometry=lb.cells.geometry.iloc[:3].to_numpy(),
        crs="EPSG:4326")
    bundle = replace(lb, survey={**lb.survey, "pins": pins})
    export_package(bundle, tmp_path)
    props = [f["properties"] for f in _load(tmp_path, "trygghet_pins")["features"]]
    assert [p["n"] for p in props] == [7, None, 5]
    assert [p["top_reason"] for p in props] == ["droghandel", None, "annat"]
    assert props[1]["n_droghandel"] is None and props[1]["suppressed"] is True
    assert [p["resolution"] for p in props] == [9, 9, 9]
    assert validate_package(tmp_path).empty
    # aggregated pins are no points: the point layer stays empty even when asked
    layers, info = package_layers(bundle, include_points=True)
    assert len(layers["survey_pins"]) == 0
    assert any("trygghet_pins" in w for w in info["warnings"])


def test_columns_outside_the_format_are_dropped_and_noted(pkg: Path) -> None:
    meta = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    dropped = meta["privacy"]["dropped_columns"]
    assert "unknown_metric" in dropped["trygghet"] and "kommentar" in dropped["trygghet"]
    assert dropped["clusters"] == ["label_text"]
    assert "trygg_suppressed" in dropped["districts"]
    for f in _load(pkg, "trygghet")["features"]:
        assert "unknown_metric" not in f["properties"]


def test_docs_describe_every_schema_property() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "export-format.md").read_text(encoding="utf-8")
    missing = []
    for layer in (*LAYERS, "incidents", "survey_pins"):
        props = load_schema(layer)["properties"]["features"]["items"]["properties"]["properties"]
        for name in props["properties"]:
            if f"`{name}`" not in docs:
                missing.append((layer, name))
        for measure_prop in props["properties"].get("measures", {}).get("items", {}).get("properties", {}):
            if f"`{measure_prop}`" not in docs:
                missing.append(("areas.measures", measure_prop))
    assert missing == []
    assert "`count_<category>`" in docs and "`n_<reason>`" in docs


@pytest.mark.slow
def test_merge_shows_both_sides_areas(lb, tmp_path: Path) -> None:
    paths = {}
    for side, name in (("kommun", "Centrumtorget"), ("polis", "Stationen (polisens område)")):
        store = measures.MeasureStore(tmp_path / f"{side}.sqlite")
        a = store.add_area(name=name, geometry=shapely.box(17.09, 59.36, 17.11, 59.38).wkt)
        store.add_measure(area_id=a.id, title=f"Åtgärd {side}", target_categories=["vald"])
        paths[side] = tmp_path / side
        export_package(lb, paths[side], store=store)
        store.close()
    joint = merge(paths["kommun"], paths["polis"])
    assert sorted(joint.areas["source"]) == ["kommun", "polis"]
    export_package(joint, tmp_path / "joint")
    fc = _load(tmp_path / "joint", "areas")
    got = {f["properties"]["source"]: (f["properties"]["area_name"], f["properties"]["measures"][0]["title"])
           for f in fc["features"]}
    assert got == {"kommun": ("Centrumtorget", "Åtgärd kommun"),
                   "polis": ("Stationen (polisens område)", "Åtgärd polis")}
    assert validate_package(tmp_path / "joint").empty


def test_polygon_that_rounding_would_make_self_intersect_stays_valid() -> None:
    # a narrow neck: vertex V sits 1e-7 above the opposite edge; rounding to 6 decimals
    # would move V below it (a self-intersecting ring, no single winding)
    ring = [(17.0, 59.0), (17.01, 59.0), (17.01, 59.0049999), (17.011, 59.0050007),
            (17.011, 59.0), (17.02, 59.0), (17.02, 59.01), (17.011, 59.01),
            (17.011, 59.0050017), (17.0105, 59.0050004), (17.01, 59.005001),
            (17.01, 59.01), (17.0, 59.01)]
    poly = Polygon([(x, y, 0.0) for x, y in ring])  # with Z, as some sources have it
    assert poly.is_valid
    assert not shapely.transform(poly, lambda xy: np.round(xy, 6)).is_valid
    g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[poly], crs="EPSG:4326")
    fc = feature_collection(g, id_column="k", precision=6)
    out = shapely.geometry.shape(fc["features"][0]["geometry"])
    assert not out.has_z  # RFC 7946 package: lon, lat only
    assert out.is_valid
    assert abs(out.area - poly.area) < 1e-8
    for p in getattr(out, "geoms", [out]):
        assert p.exterior.is_ccw
