"""lagesbild_geo.maps: layers, privacy, offline assets, payload."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from lagesbild_geo.errors import InputError
from lagesbild_geo.grid import points_to_cells
from lagesbild_geo.maps import (
    PROTECTED,
    TOO_FEW,
    asset_links,
    lagesbild_map,
    map_html,
    map_payload_bytes,
    script_links,
    zones_map,
)
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.settings import Settings

ASSETS = "/app/static/vendor"


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")


def _cells() -> gpd.GeoDataFrame:
    lat = np.array([59.35, 59.36, 59.37, 59.38])
    lon = np.array([17.05, 17.06, 17.07, 17.08])
    cells = points_to_cells(lat, lon, 9)
    geoms = [box(x - 0.002, y - 0.001, x + 0.002, y + 0.001) for x, y in zip(lon, lat, strict=True)]
    return gpd.GeoDataFrame(
        {
            "count": [40, 12, 2, 7],
            "count_vald": [30, 2, 1, 0],
            "count_stold": [10, 10, 1, 7],
            "gi_z": [3.1, 0.2, -0.1, -2.8],
            "gi_p": [0.001, 0.8, 0.9, 0.004],
            "gi_p_adj": [0.004, 0.9, 0.9, 0.01],
            "hotspot_class": ["hot_99", "none", "none", "cold_95"],
        },
        geometry=geoms,
        crs="EPSG:4326",
        index=pd.Index(cells, name="cell"),
    )


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "district_code": ["9999C1010", "9999C1020"],
            "district_name": ["Centrum", "Norr"],
            "population": [1200.0, np.nan],
            "total": [55, 2],
            "per_1000": [45.83, np.nan],
            "change_pct": [12.5, -50.0],
        },
        geometry=[box(17.0, 59.3, 17.1, 59.4), box(17.1, 59.3, 17.2, 59.4)],
        crs="EPSG:4326",
    ).set_index("district_code", drop=False)


def _lb(**changes: object) -> Lagesbild:
    cells = _cells()
    base: dict[str, object] = dict(
        incidents=pd.DataFrame({"lat": [59.3512345], "lon": [17.0512345]}),
        rejected=pd.DataFrame(),
        reports={},
        cells=cells,
        hotspots=cells,
        clusters=gpd.GeoDataFrame(
            {"cluster_id": [1, 2], "n": [25, 2], "area_m2": [52000.0, 900.0],
             "top_categories": ["vald,stold", "stold"]},
            geometry=[box(17.04, 59.34, 17.06, 59.36), box(17.2, 59.4, 17.201, 59.401)],
            crs="EPSG:4326",
        ),
        emerging=pd.DataFrame({"emerging_class": ["new", "none"]}, index=cells.index[:2]),
        districts=_districts(),
        district_summary=pd.DataFrame(),
        survey={"districts": pd.DataFrame({"district_code": ["9999C1010", "9999C1020"],
                                           "otrygg_share": [0.25, 0.6], "n": [40, 3]}),
                "pins": gpd.GeoDataFrame(
                    {"n": pd.array([7, 2, pd.NA], dtype="Int64"),
                     "top_reason": ["Dålig belysning", "Annat", None],
                     "suppressed": [False, True, True]},
                    geometry=list(cells.geometry[:3]), crs="EPSG:4326", index=cells.index[:3])},
        settings=Settings(min_count=3),
    )
    base.update(changes)
    return Lagesbild(**base)  # type: ignore[arg-type]


ALL = ("cells", "hotspots", "clusters", "emerging", "districts", "survey", "areas")


def _geojson_layers(html: str) -> list[dict]:
    """Every FeatureCollection embedded in the rendered map."""
    out = []
    for m in re.finditer(r'_add\((\{"features".*\})\);\s*$', html, flags=re.MULTILINE):
        out.append(json.loads(m.group(1)))
    return out


def test_offline_assets_only_local_links() -> None:
    m = lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS, draw=True)
    links = script_links(m)
    assert links == [
        "/app/static/vendor/leaflet/leaflet.js",
        "/app/static/vendor/leaflet/leaflet.css",
        "/app/static/vendor/leaflet-draw/leaflet.draw.js",
        "/app/static/vendor/leaflet-draw/leaflet.draw.css",
    ]
    html = map_html(m)
    assert "jquery" not in html and "bootstrap" not in html and "cdn" not in html.lower()
    # folium's class defaults are untouched (other maps in the process still work).
    assert any("jquery" in u for u in script_links(folium.Map(tiles=None)))


def test_cdn_fallback_links() -> None:
    m = lagesbild_map(_lb(), layers=("cells",), tiles=None, assets=None, draw=True)
    links = script_links(m)
    assert all(u.startswith("https://cdn.jsdelivr.net/npm/leaflet") for u in links)
    assert len(links) == 4
    assert asset_links("/x/")["leaflet_draw_css"] == "/x/leaflet-draw/leaflet.draw.css"


def test_layers_are_feature_groups_with_swedish_names() -> None:
    m = lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS)
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    # drawn bottom to top: districts under the hexagons, saved areas on top
    assert [g.layer_name for g in groups] == [
        "Distrikt (DeSO)", "Trygghet (enkät)", "Antal per hexagon", "Framväxande hotspots",
        "Hot- och coldspots (Gi*)", "Kluster", "Sparade områden",
    ]


def test_privacy_small_counts_and_no_incidents() -> None:
    m = lagesbild_map(_lb(), layers=("cells", "districts", "clusters"), tiles=None, assets=ASSETS)
    html = map_html(m)
    fcs = _geojson_layers(html)
    districts_fc, cells_fc, clusters_fc = fcs
    antal = [f["properties"]["antal"] for f in cells_fc["features"]]
    # 2 is too few; 12 is hidden too (its cell already holds a hidden value: hiding it there
    # closes a cycle), or the cells' total (61) minus the others would give the 2
    assert antal == ["40", PROTECTED, TOO_FEW, "7"]
    # top categories only with published counts
    tops = [f["properties"]["vanligast"] for f in cells_fc["features"]]
    assert tops[0] == "Våld och hot 30, Stöld och snatteri 10"
    assert tops[1] == "" and tops[2] == "" and tops[3] == "Stöld och snatteri 7"
    # the cluster with n=2 is not drawn at all
    assert [f["properties"]["kluster"] for f in clusters_fc["features"]] == ["1"]
    d = {f["id"]: f["properties"] for f in districts_fc["features"]}
    # two districts: hiding Norr's 2 means hiding Centrum's 55 too (their sum is published)
    assert d["9999C1010"]["antal"] == PROTECTED
    assert d["9999C1010"]["per_1000"] == PROTECTED
    assert d["9999C1020"]["antal"] == TOO_FEW
    assert d["9999C1020"]["change"] == TOO_FEW  # no rate or change for too few incidents
    assert d["9999C1020"]["invanare"] == "okänt"
    # the incident coordinates never appear
    assert "59.35123" not in html and "17.05123" not in html


def test_hotspot_layer_only_significant_cells() -> None:
    m = lagesbild_map(_lb(), layers=("hotspots",), tiles=None, assets=ASSETS)
    (fc,) = _geojson_layers(map_html(m))
    klass = [f["properties"]["klass"] for f in fc["features"]]
    assert klass == ["Hotspot, 99 % säkerhet", "Coldspot, 95 % säkerhet"]
    assert fc["features"][0]["properties"]["z"] == "3,10"


def test_emerging_joined_to_cell_geometry() -> None:
    m = lagesbild_map(_lb(), layers=("emerging",), tiles=None, assets=ASSETS)
    (fc,) = _geojson_layers(map_html(m))
    assert [f["properties"]["monster"] for f in fc["features"]] == ["Ny hotspot"]


def test_survey_suppresses_few_respondents() -> None:
    m = lagesbild_map(_lb(), layers=("survey",), tiles=None, assets=ASSETS)
    fc, pins = _geojson_layers(map_html(m))
    props = {f["id"]: f["properties"]["otrygga"] for f in fc["features"]}
    assert props == {"9999C1010": "25 %", "9999C1020": "för få svar för att visas"}
    # pins: only the hexagon with enough pins, as a count (never single pins)
    assert [f["properties"] for f in pins["features"]] == [
        {"nalar": "7", "orsak": "Dålig belysning"}]


def test_areas_layer_and_category_filter() -> None:
    areas = gpd.GeoDataFrame(
        {"area_id": ["a-1"], "name": ["Torget"]},
        geometry=[Polygon([(17.05, 59.35), (17.06, 59.35), (17.06, 59.36)])], crs="EPSG:4326",
    )
    m = lagesbild_map(_lb(), layers=("cells", "areas"), areas=areas, category="vald",
                      tiles=None, assets=ASSETS)
    cells_fc, areas_fc = _geojson_layers(map_html(m))  # cells below areas
    assert [f["properties"]["antal"] for f in cells_fc["features"]] == ["30", TOO_FEW, TOO_FEW]
    assert areas_fc["features"][0]["properties"]["namn"] == "Torget"
    assert areas_fc["features"][0]["id"] == "a-1"


def test_coordinates_rounded() -> None:
    m = lagesbild_map(_lb(), layers=("districts",), tiles=None, assets=ASSETS)
    (fc,) = _geojson_layers(map_html(m))
    coords = np.array(fc["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, np.round(coords, 5))


def test_tiles_options() -> None:
    lb = _lb()
    assert "tile.openstreetmap.org" in map_html(lagesbild_map(lb, layers=("cells",), assets=ASSETS))
    assert "tile.openstreetmap.org" not in map_html(
        lagesbild_map(lb, layers=("cells",), tiles=None, assets=ASSETS))
    html = map_html(lagesbild_map(lb, layers=("cells",), tiles="https://karta.example.se/{z}/{x}/{y}.png",
                                  attribution="Exempelkommun", assets=ASSETS))
    assert "karta.example.se" in html and "Exempelkommun" in html
    with pytest.raises(InputError, match="tiles"):
        lagesbild_map(lb, tiles="satellite")


def test_bad_options_raise() -> None:
    with pytest.raises(InputError, match="Unknown layer"):
        lagesbild_map(_lb(), layers=("heatmap",))
    with pytest.raises(InputError, match="district_measure"):
        lagesbild_map(_lb(), district_measure="rate")
    with pytest.raises(InputError, match="category"):
        lagesbild_map(_lb(), category="bilar")


def test_legend_and_change_measure() -> None:
    d = _districts().assign(total=[55, 5])
    m = lagesbild_map(_lb(districts=d), layers=("districts",), district_measure="change", tiles=None,
                      assets=ASSETS)
    html = map_html(m)
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", html).group(1))
    assert "Distrikt: förändring mot föregående period (%)" in legend
    # diverging classes around zero (limit 50 %): +12.5 % and -50 % in different colours
    assert "#f4a582\"></span>5 till 25 %" in legend.replace(";border:1px solid #777;margin-right:5px;vertical-align:middle", "")
    assert "under -25 %" in legend and "#2166ac" in legend and "#b2182b" not in legend


def test_empty_lagesbild_renders() -> None:
    e = _empty()
    lb = _lb(cells=e, hotspots=e, clusters=e, emerging=e, districts=e, survey={})
    m = lagesbild_map(lb, layers=ALL, tiles=None, assets=ASSETS)
    assert map_payload_bytes(m) < 20_000


def test_inputs_not_mutated() -> None:
    lb = _lb()
    before = lb.cells.copy()
    lagesbild_map(lb, layers=ALL, tiles=None, assets=ASSETS)
    pd.testing.assert_frame_equal(lb.cells, before)


def test_count_classes_do_not_overlap() -> None:
    from lagesbild_geo.maps import _class_labels

    labels = _class_labels(np.array([9.0, 20.5]), 3, 1010, str, integer=True)
    assert labels == ["3–8", "9–20", "21–1010"]
    assert _class_labels(np.array([0.5]), 0.1, 2.0, str) == ["0.1–0.5", "0.5–2.0"]


def test_fast_geojson_renders_exactly_like_folium(monkeypatch: pytest.MonkeyPatch) -> None:
    import lagesbild_geo.maps as maps_mod

    def html(**kw: object) -> str:
        m = lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS, **kw)  # type: ignore[arg-type]
        return re.sub(r"_[0-9a-f]{32}", "_X", map_html(m))

    fast = html()
    monkeypatch.setattr(maps_mod, "_GeoJson", folium.GeoJson)
    assert fast == html()


def test_map_parts_base_map_does_not_change_with_the_data() -> None:
    from lagesbild_geo.maps import map_parts

    def base_html(lb: Lagesbild, **kw: object) -> tuple[str, list[str], str]:
        parts = map_parts(lb, layers=ALL, tiles=None, assets=ASSETS, **kw)  # type: ignore[arg-type]
        html = re.sub(r"_[0-9a-f]{32}", "_X", map_html(parts.map))
        return html, [g.layer_name for g in parts.layers], parts.legend_html

    a, names, legend_a = base_html(_lb())
    fewer = _cells().iloc[:2]
    b, _, legend_b = base_html(_lb(cells=fewer, hotspots=fewer), category="vald")
    assert a == b  # same base map: the browser keeps it (and the user's zoom)
    assert "FeatureCollection" not in a and "features" not in a
    assert names[0] == "Distrikt (DeSO)" and len(names) == 7
    assert legend_a != legend_b and "Våld och hot" in legend_b


def test_zones_map_local_scripts_and_view_on_area_and_buffer() -> None:
    area = shapely.box(17.100, 59.360, 17.105, 59.362)
    buffer = area.buffer(0.004).difference(area)
    control = shapely.box(16.9, 59.2, 17.4, 59.5)
    zones = gpd.GeoDataFrame({"zone": ["area", "buffer", "control"]},
                             geometry=[area, buffer, control], crs="EPSG:4326")
    m = zones_map(zones, tiles=None, assets=ASSETS)
    assert script_links(m) == ["/app/static/vendor/leaflet/leaflet.js",
                               "/app/static/vendor/leaflet/leaflet.css"]
    html = map_html(m)
    assert all(label in html for label in ("Åtgärdens område", "Buffertzon", "Jämförelseområde"))
    bounds = next(c for c in m._children.values() if type(c).__name__ == "FitBounds").bounds
    (s, w), (n, e) = bounds
    assert (s, w, n, e) == pytest.approx((59.360 - 0.004, 17.100 - 0.004, 59.362 + 0.004, 17.105 + 0.004), abs=1e-4)
    with pytest.raises(InputError, match="zone"):
        zones_map(zones.drop(columns="zone"), tiles=None)
