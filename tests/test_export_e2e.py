"""End to end on Exempelkommun: build → export → validate → read back → report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from test_report import _Cells

from lagesbild_geo.cli import main
from lagesbild_geo.export import LAYERS, export_package, read_package, validate_package
from lagesbild_geo.pipeline import build_lagesbild
from lagesbild_geo.report import period_incidents, write_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    if not (sample_dir / "incidents_polis.xlsx").exists():
        pytest.skip("sample_data/ is missing (run `lagesbild sample sample_data`)")
    d = tmp_path_factory.mktemp("e2e")
    cfg = d / "lagesbild.toml"
    assert main(["init", str(cfg), "--sample-dir", str(sample_dir)]) == 0
    lb = build_lagesbild(cfg)
    export_package(lb, d / "pkg")
    write_report(lb, d / "rapport.html")
    return lb, d


def test_exempelkommun_package_is_valid_and_private(built) -> None:
    lb, d = built
    pkg = d / "pkg"
    assert validate_package(pkg).empty
    meta = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    assert meta["kommun"] == {"name": "Exempelkommun", "code": "9999"}
    layers = dict(pyogrio.list_layers(pkg / "lagesbild.gpkg"))
    counts = {lay["name"]: lay["features"] for lay in meta["layers"]}
    for name in LAYERS:
        fc = json.loads((pkg / f"{name}.geojson").read_text(encoding="utf-8"))
        assert len(fc["features"]) == counts[name]
        if counts[name]:
            assert name in layers
            assert len(pyogrio.read_dataframe(pkg / "lagesbild.gpkg", layer=name)) == counts[name]
            gj = pyogrio.read_dataframe(pkg / f"{name}.geojson")  # GDAL opens the GeoJSON too
            assert len(gj) == counts[name] and gj.crs.to_epsg() == 4326
        for f in fc["features"]:
            p = f["properties"]
            for k in ("count", *(k for k in p if k.startswith("count_"))):
                v = p.get(k)
                assert v is None or v == 0 or v >= 3, (name, k, v)
    assert counts["cells"] > 1000 and counts["districts"] == 28
    # raw source text (addresses, case numbers) never leaves
    data = b"".join(f.read_bytes() for f in pkg.iterdir())
    for col in ("Adress", "location_text", "Diarienummer", "Ärendenummer"):
        if col in lb.incidents.columns:
            vals = lb.incidents[col].dropna().astype(str)
            vals = vals[vals.str.len() >= 8].head(200)
            assert not any(v.encode() in data for v in vals), col


def test_exempelkommun_round_trip(built) -> None:
    lb, d = built
    back = read_package(d / "pkg" / "lagesbild.gpkg")
    np.testing.assert_array_equal(np.sort(back.cells.index.to_numpy()),
                                  np.sort(lb.cells.index.to_numpy()))
    src = lb.cells["count"].astype(float)
    shown = back.cells["count"].reindex(src.index).astype(float)
    ok = shown.notna()
    np.testing.assert_array_equal(shown[ok].to_numpy(), src[ok].to_numpy())
    assert (src[~ok] < 3).all()
    assert list(back.hotspots["hotspot_class"].reindex(lb.hotspots.index)) == list(
        lb.hotspots["hotspot_class"])


def test_exempelkommun_report_numbers(built) -> None:
    lb, d = built
    p = _Cells()
    p.feed((d / "rapport.html").read_text(encoding="utf-8"))
    n = len(period_incidents(lb))
    assert p.keys["total"] == str(n)
    assert int(lb.district_summary.loc["_total", "total"]) == n
    dist = {r["district"]: r["values"][0] for r in p.tables["distrikt"]}
    summary = lb.district_summary
    for code, v in dist.items():
        assert v == str(int(summary.loc[code, "total"]))
    assert len(dist) == 28
