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

from lagesbild_geo.errors import InputError, ValidationError
from lagesbild_geo.grid import points_to_cells
from lagesbild_geo.maps import (
    DRAW_LOCAL_SV,
    LAYERS,
    PALETTES,
    PROTECTED,
    TILE_ERROR_NOTE,
    TOO_FEW,
    add_swedish_draw,
    asset_links,
    base_maps,
    lagesbild_map,
    map_html,
    map_parts,
    map_payload_bytes,
    resolve_base,
    script_links,
    zones_map,
)
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.settings import BaseMapService, Settings, load_settings

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
        "Statistiskt säkerställd koncentration (Gi*)", "Kluster", "Sparade områden",
    ]


def test_privacy_small_counts_and_no_incidents() -> None:
    m = lagesbild_map(_lb(), layers=("cells", "districts", "clusters"), tiles=None, assets=ASSETS,
                      show_suppressed=True)
    html = map_html(m)
    fcs = _geojson_layers(html)
    districts_fc, cells_fc, clusters_fc = fcs
    antal = [f["properties"]["antal"] for f in cells_fc["features"]]
    # 1 is too few; one more is hidden with it (the publishing step picks the 12), or the
    # kommun's total (60) minus the others would give the 1
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
    assert d["9999C1020"]["kod"] == "9999C1020" and d["9999C1010"]["invanare"] == "1\u00a0200"
    # the incident coordinates never appear
    assert "59.35123" not in html and "17.05123" not in html


def test_hotspot_layer_only_significant_cells() -> None:
    m = lagesbild_map(_lb(), layers=("hotspots",), tiles=None, assets=ASSETS)
    (fc,) = _geojson_layers(map_html(m))
    klass = [f["properties"]["klass"] for f in fc["features"]]
    assert klass == ["Hög koncentration, 99 % säkerhet", "Låg förekomst, 95 % säkerhet"]
    # a count of the layer is hidden (the 1): no z or p anywhere (two would give the grid's
    # mean and deviation, and so the hidden counts' sum of squares); the class stays
    assert fc["features"][0]["properties"]["z"] == "–"
    assert fc["features"][0]["properties"]["p"] == "–"
    # the cold cell's count is shown (the 12 protects the 1)
    assert fc["features"][1]["properties"]["antal"] == "7"
    # hover names the district the hexagon lies in
    assert [f["properties"]["omrade"] for f in fc["features"]] == ["Centrum", "Centrum"]


def test_emerging_joined_to_cell_geometry() -> None:
    m = lagesbild_map(_lb(), layers=("emerging",), tiles=None, assets=ASSETS)
    (fc,) = _geojson_layers(map_html(m))
    assert [f["properties"]["monster"] for f in fc["features"]] == ["Ny hotspot"]


def test_survey_suppresses_few_respondents() -> None:
    m = lagesbild_map(_lb(), layers=("survey",), tiles=None, assets=ASSETS)
    fc, pins = _geojson_layers(map_html(m))
    props = {f["id"]: f["properties"]["otrygga"] for f in fc["features"]}
    assert props == {"9999C1010": "25\u00a0%", "9999C1020": "för få svar för att visas"}
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
    assert [f["properties"]["antal"] for f in cells_fc["features"]] == ["30"]  # too few: not drawn
    m = lagesbild_map(_lb(), layers=("cells", "areas"), areas=areas, category="vald",
                      tiles=None, assets=ASSETS, show_suppressed=True)
    cells_fc, areas_fc = _geojson_layers(map_html(m))
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


def _legend_sections(html: str) -> dict[str, dict]:
    """Each layer's legend section as the map's script receives it (key → options)."""
    out = {}
    for m in re.finditer(r'\}\)\(feature_group_[0-9a-f]+, (\{"key":.*\})\);$', html, flags=re.MULTILINE):
        opts = json.loads(m.group(1))
        out[opts["key"]] = opts
    return out


def _visible_text(fragment: str) -> str:
    """Text a user sees in an HTML fragment (tags and their attributes, e.g. title, removed)."""
    return re.sub(r"<[^>]*>", " ", fragment)


def test_legend_and_change_measure() -> None:
    d = _districts().assign(total=[55, 5])
    m = lagesbild_map(_lb(districts=d), layers=("districts",), district_measure="change", tiles=None,
                      assets=ASSETS)
    legend = _legend_sections(map_html(m))["districts"]["html"]
    assert "Distrikt: förändring mot föregående period (%)" in legend
    # diverging classes around zero (limit 50 %): +12.5 % and -50 % in different colours
    text = re.sub(r"<span style=\"[^\"]*background:(#[0-9a-f]{6})\"></span>", r"[\1]", legend)
    assert "[#dfc27d]5 till 25\u00a0%" in text
    assert "[#018571]under \u221225\u00a0%" in text
    assert "#a6611a" not in legend  # no district above +25 %


def test_legend_one_section_per_layer_top_layer_first() -> None:
    areas = gpd.GeoDataFrame({"name": ["Torget"]}, geometry=[box(17.05, 59.35, 17.06, 59.36)],
                             crs="EPSG:4326")
    parts = map_parts(_lb(), layers=ALL, tiles=None, assets=ASSETS, areas=areas)
    sections = _legend_sections(map_html(lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS,
                                                       areas=areas)))
    assert sorted(sections, key=lambda k: sections[k]["order"]) == [
        "areas", "clusters", "hotspots", "emerging", "cells", "survey", "districts"]
    # the same sections, as plain HTML for a page beside the map
    for key in ("hotspots", "cells", "districts"):
        assert sections[key]["html"] in parts.legend_html
    assert lagesbild_map(_lb(), layers=ALL, tiles=None, legend=False).get_root().render().count(
        '"key":') == 0


def test_plain_words_with_the_technical_term_on_hover() -> None:
    html = map_html(lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS, show_suppressed=True))
    sections = _legend_sections(html)
    visible = " ".join(_visible_text(s["html"]) for s in sections.values())
    aliases = " ".join(_visible_text(" ".join(json.loads(a)))
                       for a in re.findall(r"let aliases = (\[.*?\]);", html))
    for shown in (visible, aliases):
        for word in ("Gi* z", "DBSCAN", "Coldspot", "coldspot", "Cell:", "None", "nan"):
            assert word not in shown, word
    assert "Statistiskt säkerställd koncentration (Gi*)" in visible
    assert "Hög koncentration, 99 % säkerhet" in visible and "Tät samling av händelser" in visible
    # the technical terms are there, in title attributes (shown on hover)
    assert 'title="Getis-Ord Gi*:' in sections["hotspots"]["html"]
    assert 'title="Täthetskluster (DBSCAN)' in sections["clusters"]["html"]
    raw_aliases = " ".join(" ".join(json.loads(a)) for a in re.findall(r"let aliases = (\[.*?\]);", html))
    assert "Avvikelse från genomsnittet" in aliases and 'title="Gi* z-värde' in raw_aliases
    # the hexagon id is not shown anywhere (it stays the feature's id)
    cells = _geojson_layers(html)[2]
    assert "cell" not in cells["features"][0]["properties"]


def _style_of(group: folium.FeatureGroup) -> list[dict]:
    """The style each feature of a layer is drawn with (its GeoJson's style function)."""
    gj = next(c for c in group._children.values() if isinstance(c, folium.GeoJson))
    return [gj.style_function(f) for f in gj.data["features"]]


def test_palettes_distinct_per_layer() -> None:
    groups = {g.layer_name: g for g in map_parts(_lb(), layers=ALL, tiles=None).layers}
    names = list(PALETTES)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if {a, b} != {"districts", "districts_change"}:  # one layer, two measures
                assert not set(PALETTES[a]) & set(PALETTES[b]), (a, b)
    fills = {key: {s["fillColor"] for s in _style_of(groups[LAYERS[key]]) if s["fillOpacity"] > 0}
             for key in ("cells", "hotspots", "emerging", "districts")}
    assert fills["cells"] <= set(PALETTES["cells"]) and fills["cells"]
    assert fills["hotspots"] == {PALETTES["hotspots"][0], PALETTES["hotspots"][4]}  # hot 99, cold 95
    assert fills["emerging"] == {"#e69f00"}  # "new": the categorical palette's first colour
    assert fills["districts"] <= set(PALETTES["districts"])
    # counts: one hue, light to dark; hotspots: reds, then blues
    import colorsys

    def hls(c: str) -> tuple[float, float, float]:
        return colorsys.rgb_to_hls(*(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)))

    hues = [hls(c)[0] * 360 for c in PALETTES["cells"]]
    assert max(hues) - min(hues) < 30
    assert [hls(c)[1] for c in PALETTES["cells"]] == sorted((hls(c)[1] for c in PALETTES["cells"]),
                                                             reverse=True)
    hot, cold = PALETTES["hotspots"][:3], PALETTES["hotspots"][3:]
    assert all(int(c[1:3], 16) > int(c[5:7], 16) for c in hot)  # red > blue
    assert all(int(c[5:7], 16) > int(c[1:3], 16) for c in cold)


def test_suppressed_cells_left_out_by_default_outlines_on_request() -> None:
    lb = _lb()
    (cells,) = map_parts(lb, layers=("cells",), tiles=None).layers
    assert len(_style_of(cells)) == 2  # 40 and 7; the 1 and the protected 12 are not drawn
    legend = _legend_sections(map_html(lagesbild_map(lb, layers=("cells",), tiles=None)))["cells"]
    assert "Färre än 3 händelser: visas inte" in legend["html"]
    (cells,) = map_parts(lb, layers=("cells",), tiles=None, show_suppressed=True).layers
    styles = _style_of(cells)
    assert [s["fillOpacity"] for s in styles] == [0.7, 0.0, 0.0, 0.7]
    assert styles[1]["dashArray"] == "3 3" and styles[2]["color"] == "#8c8c8c"


def test_swedish_numbers_in_tooltips() -> None:
    d = _districts().assign(total=[12345, 6789], population=[23456.0, 9000.0],
                            per_1000=[526.31, 754.33], change_pct=[12.5, -50.0])
    cells = _cells().assign(count=[1234, 12, 3, 7])
    html = map_html(lagesbild_map(_lb(districts=d, cells=cells, hotspots=cells),
                                  layers=("districts", "cells"), tiles=None, min_count=1))
    dist, hexes = _geojson_layers(html)
    props = {f["id"]: f["properties"] for f in dist["features"]}
    assert props["9999C1010"]["antal"] == "12\u00a0345"
    assert props["9999C1010"]["invanare"] == "23\u00a0456"
    assert props["9999C1010"]["per_1000"] == "526,3"
    assert props["9999C1020"]["change"] == "\u221250,0\u00a0%"
    assert hexes["features"][0]["properties"]["antal"] == "1\u00a0234"
    assert [f["properties"]["omrade"] for f in hexes["features"]] == ["Centrum"] * 4


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
    def base_html(lb: Lagesbild, **kw: object) -> tuple[str, list[str], str]:
        parts = map_parts(lb, layers=ALL, tiles=None, assets=ASSETS, **kw)  # type: ignore[arg-type]
        html = re.sub(r"_[0-9a-f]{32}", "_X", map_html(parts.map))
        return html, [g.layer_name for g in parts.layers], parts.legend_html

    a, names, legend_a = base_html(_lb())
    fewer = _cells().iloc[:2]
    b, _, legend_b = base_html(_lb(cells=fewer, hotspots=fewer), category="vald")
    assert a == b  # same base map: the browser keeps it (and the user's zoom)
    assert "antal" not in a and '"key":' not in a  # no data layer, no legend section
    assert "LagesbildOfflineBase" not in a and '"outline":' in a  # the offline base is there
    assert names[0] == "Distrikt (DeSO)" and len(names) == 7
    assert legend_a != legend_b and "Våld och hot" in legend_b


# ------------------------------------------------------------------ Swedish Leaflet and Leaflet.draw
#: Leaflet.draw 1.0.4's own L.drawLocal (the English texts it ships with).
DRAW_LOCAL_EN = {
    "draw": {
        "toolbar": {
            "actions": {"title": "Cancel drawing", "text": "Cancel"},
            "finish": {"title": "Finish drawing", "text": "Finish"},
            "undo": {"title": "Delete last point drawn", "text": "Delete last point"},
            "buttons": {"polyline": "Draw a polyline", "polygon": "Draw a polygon",
                        "rectangle": "Draw a rectangle", "circle": "Draw a circle",
                        "marker": "Draw a marker", "circlemarker": "Draw a circlemarker"},
        },
        "handlers": {
            "circle": {"tooltip": {"start": "Click and drag to draw circle."}, "radius": "Radius"},
            "circlemarker": {"tooltip": {"start": "Click map to place circle marker."}},
            "marker": {"tooltip": {"start": "Click map to place marker."}},
            "polygon": {"tooltip": {"start": "Click to start drawing shape.",
                                    "cont": "Click to continue drawing shape.",
                                    "end": "Click first point to close this shape."}},
            "polyline": {"error": "<strong>Error:</strong> shape edges cannot cross!",
                         "tooltip": {"start": "Click to start drawing line.",
                                     "cont": "Click to continue drawing line.",
                                     "end": "Click last point to finish line."}},
            "rectangle": {"tooltip": {"start": "Click and drag to draw rectangle."}},
            "simpleshape": {"tooltip": {"end": "Release mouse to finish drawing."}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {"save": {"title": "Save changes", "text": "Save"},
                        "cancel": {"title": "Cancel editing, discards all changes", "text": "Cancel"},
                        "clearAll": {"title": "Clear all layers", "text": "Clear All"}},
            "buttons": {"edit": "Edit layers", "editDisabled": "No layers to edit",
                        "remove": "Delete layers", "removeDisabled": "No layers to delete"},
        },
        "handlers": {
            "edit": {"tooltip": {"text": "Drag handles or markers to edit features.",
                                 "subtext": "Click cancel to undo changes."}},
            "remove": {"tooltip": {"text": "Click on a feature to remove."}},
        },
    },
}


def _leaves(d: dict, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for k, v in d.items():
        out.update(_leaves(v, (*path, k)) if isinstance(v, dict) else {(*path, k): v})
    return out


def test_draw_texts_are_swedish_and_set_before_the_control() -> None:
    html = map_html(lagesbild_map(_lb(), layers=("districts",), tiles=None, assets=ASSETS, draw=True))
    local = json.loads(re.search(r"L\.drawLocal = (\{.*?\});\n", html).group(1))
    assert local == DRAW_LOCAL_SV
    en, sv = _leaves(DRAW_LOCAL_EN), _leaves(local)
    assert set(en) <= set(sv)  # every text Leaflet.draw uses has a Swedish one
    assert all(sv[k] != en[k] for k in en)
    for text in en.values():  # and not one English text reaches the page
        assert text not in html, text
    assert sv[("draw", "toolbar", "finish", "text")] == "Avsluta"
    assert sv[("edit", "toolbar", "buttons", "removeDisabled")] == "Inga ritade områden att ta bort"
    assert html.index("L.drawLocal = ") < html.index("new L.Control.Draw(")
    assert "alert(" not in html  # no alert with the GeoJSON on clicking a drawn shape


def test_draw_in_streamlit_folium_keeps_drawn_items_and_swedish() -> None:
    sf = pytest.importorskip("streamlit_folium")
    m = lagesbild_map(_lb(), layers=("districts",), tiles=None, assets=ASSETS, draw=True)
    m.get_root().render()
    script = sf._get_map_string(m)
    assert script.index("L.drawLocal = ") < script.index("new L.Control.Draw(")
    assert "var drawnItems =" in script  # streamlit-folium reads the drawings from drawnItems
    assert "Avbryt ritningen" in script and "Cancel drawing" not in script
    # the offline base and the Swedish controls come along in the component's script
    assert "Zooma in" in script and '"outline":' in script


def test_add_swedish_draw_on_any_map() -> None:
    m = folium.Map(tiles=None)
    d = add_swedish_draw(m, assets=ASSETS, rectangle=False, remove=False)
    assert d.draw_options["rectangle"] is False and d.edit_options == {"edit": False, "remove": False}
    assert d.draw_options["polygon"]["metric"] is True and d.draw_options["polygon"]["feet"] is False
    assert script_links(m)[-2:] == ["/app/static/vendor/leaflet-draw/leaflet.draw.js",
                                    "/app/static/vendor/leaflet-draw/leaflet.draw.css"]


def test_leaflet_controls_in_swedish_and_metric_scale() -> None:
    html = map_html(lagesbild_map(_lb(), layers=("districts", "cells"), assets=ASSETS))
    for text in ("Zooma in", "Zooma ut", "Välj lager", "Stäng", "Teckenförklaring",
                 "Ett JavaScript-bibliotek för interaktiva kartor"):
        assert text in html, text
    assert "L.control.scale({metric: true, imperial: false" in html
    assert "L.control.scale()" not in html  # folium's scale shows miles and feet too
    assert "Zoom in" not in html and '"Layers"' not in html


# ------------------------------------------------------------------ base maps and the offline base
def _offline_base(html: str) -> dict | None:
    m = re.search(r'^\}\)\(map_[0-9a-f]+, (\{"districts":.*\})\);$', html, flags=re.MULTILINE)
    return json.loads(m.group(1)) if m else None


def _chrome(html: str) -> dict:
    m = re.search(r'^\}\)\(map_[0-9a-f]+, (\{"css":.*\})\);$', html, flags=re.MULTILINE)
    return json.loads(m.group(1))


def test_offline_base_with_outline_and_labels() -> None:
    html = map_html(lagesbild_map(_lb(), layers=("cells",), base="ingen", assets=ASSETS))
    base = _offline_base(html)
    assert [f["properties"]["n"] for f in base["districts"]["features"]] == ["Centrum", "Norr"]
    outline = shapely.geometry.shape(base["outline"]["geometry"])
    assert outline.geom_type == "Polygon" and not outline.interiors
    assert outline.bounds == pytest.approx((17.0, 59.3, 17.2, 59.4), abs=1e-4)  # both districts
    labels = {row[0]: row for row in base["labels"]}
    assert set(labels) == {"Centrum", "Norr"}
    for name, district in (("Centrum", box(17.0, 59.3, 17.1, 59.4)), ("Norr", box(17.1, 59.3, 17.2, 59.4))):
        _, lat, lng, radius_m, length = labels[name]
        assert district.contains(shapely.Point(lng, lat))  # inside its own district
        assert 2500 < radius_m < 3000  # half the width of a 0.1° x 0.1° box at 59.35° N
        assert length == len(name)
    assert base["tiles"] is False and base["minZoom"] == 9
    assert "lagesbildLabels" in html and "bindTooltip(f.properties.n" in html  # hover: the name


def test_offline_base_escapes_names_and_drops_labels_on_request() -> None:
    d = _districts().assign(district_name=["<b>Torget</b>", "Norr"])
    html = map_html(lagesbild_map(_lb(districts=d), layers=("cells",), base="ingen", labels=False))
    base = _offline_base(html)
    assert base["districts"]["features"][0]["properties"]["n"] == "&lt;b&gt;Torget&lt;/b&gt;"
    assert base["labels"] == [] and "<b>Torget" not in html


def test_base_choice_ingen_has_no_tile_layer_and_no_tile_note() -> None:
    html = map_html(lagesbild_map(_lb(), layers=("cells",), base="ingen", assets=ASSETS))
    assert "L.tileLayer" not in html and "openstreetmap" not in html.lower().replace(
        "openstreetmap-bidragsgivare", "")
    assert _chrome(html)["tiles"] is False
    assert _offline_base(html) is not None  # the map is still readable


def test_tile_error_note_with_tiles() -> None:
    html = map_html(lagesbild_map(_lb(), layers=("cells",), assets=ASSETS))
    assert 'L.tileLayer(\n                "https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    chrome = _chrome(html)
    assert chrome["tiles"] is True and chrome["tileNote"] == TILE_ERROR_NOTE
    assert TILE_ERROR_NOTE == ("Bakgrundskartan kunde inte hämtas – kartan visas med kommunens "
                               "och områdenas gränser")
    for hook in ('layer.on("tileerror"', 'layer.on("tileload"', 'map.on("layeradd"',
                 'map.fire("lagesbild:tiles"', "setTimeout("):
        assert hook in html, hook
    assert _offline_base(html)["tiles"] is True  # filled only when the tiles fail


SERVICES = (
    BaseMapService(name="Lantmäteriet topografisk", type="wmts",
                   url="https://lm.example/open/topowebb/v1/wmts/1.0.0/topowebb/default/3857/"
                       "{TileMatrix}/{TileRow}/{TileCol}.png",
                   attribution="&copy; Lantmäteriet", max_zoom=17),
    BaseMapService(name="Kommunens WMTS", type="wmts", url="https://karta.example.se/wmts",
                   layers="baskarta", matrix_set="GoogleMapsCompatible", format="image/jpeg"),
    BaseMapService(name="Kommunens WMS", type="wms", url="https://karta.example.se/wms",
                   layers="grundkarta,vagar", format="image/png", transparent=False,
                   attribution="Exempelkommun", version="1.3.0"),
    BaseMapService(name="Kommunens XYZ", url="https://{s}.karta.example.se/{z}/{x}/{y}.png",
                   attribution="Exempelkommun"),
)


def test_base_maps_lists_osm_the_kommuns_services_and_ingen() -> None:
    s = Settings(base_maps=SERVICES)
    assert list(base_maps(s)) == ["OpenStreetMap", "Lantmäteriet topografisk", "Kommunens WMTS",
                                  "Kommunens WMS", "Kommunens XYZ", "ingen"]
    assert list(base_maps()) == ["OpenStreetMap", "ingen"] and base_maps()["ingen"] is None
    assert resolve_base("kommunens wms", settings=s) is SERVICES[2]
    assert resolve_base("OSM").name == "OpenStreetMap" and resolve_base(None) is None
    with pytest.raises(InputError, match="Kommunens WMS"):
        resolve_base("Kommunens WNS", settings=s)
    with pytest.raises(InputError, match="not both"):
        lagesbild_map(_lb(), base="ingen", tiles=None)


def test_kommun_services_rendered_as_leaflet_layers() -> None:
    lb = _lb(settings=Settings(min_count=3, base_maps=SERVICES))
    html = {b.name: map_html(lagesbild_map(lb, layers=("cells",), base=b.name, assets=ASSETS))
            for b in SERVICES}
    rest = html["Lantmäteriet topografisk"]
    assert ('L.tileLayer(\n                "https://lm.example/open/topowebb/v1/wmts/1.0.0/topowebb/'
            'default/3857/{z}/{y}/{x}.png"') in rest
    assert '"maxZoom": 17' in rest and '"\\u0026copy; Lantm\\u00e4teriet"' in rest
    kvp = html["Kommunens WMTS"]
    assert ('"https://karta.example.se/wmts?SERVICE=WMTS\\u0026REQUEST=GetTile\\u0026VERSION=1.0.0'
            '\\u0026LAYER=baskarta\\u0026STYLE=default\\u0026TILEMATRIXSET=GoogleMapsCompatible'
            '\\u0026TILEMATRIX={z}\\u0026TILEROW={y}\\u0026TILECOL={x}\\u0026FORMAT=image/jpeg"') in kvp
    wms = html["Kommunens WMS"]
    options = json.loads(re.search(r'L\.tileLayer\.wms\(\s*"https://karta\.example\.se/wms",\s*'
                                   r"(\{.*?\})\s*\);", wms, flags=re.S).group(1))
    assert {k: options[k] for k in ("layers", "format", "transparent", "version", "attribution")} == {
        "layers": "grundkarta,vagar", "format": "image/png", "transparent": False,
        "version": "1.3.0", "attribution": "Exempelkommun"}
    assert 'L.tileLayer(\n                "https://{s}.karta.example.se/{z}/{x}/{y}.png"' in html[
        "Kommunens XYZ"]
    for text in html.values():
        assert text.count("L.tileLayer") == 1 and "tile.openstreetmap.org" not in text
        assert _chrome(text)["tiles"] is True


def test_base_map_settings_from_toml_and_their_errors(tmp_path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(
        "[settings]\nmin_count = 3\n\n[[settings.base_maps]]\nname = \"Lantmäteriet\"\n"
        "type = \"wmts\"\nurl = \"https://lm.example/{z}/{y}/{x}.png\"\n"
        "attribution = \"© Lantmäteriet\"\n\n[[settings.base_maps]]\nname = \"Kommunens WMS\"\n"
        "type = \"wms\"\nurl = \"https://karta.example.se/wms\"\nlayers = \"grund\"\n",
        encoding="utf-8")
    s = load_settings(p)
    assert [(b.name, b.type) for b in s.base_maps] == [("Lantmäteriet", "wmts"), ("Kommunens WMS", "wms")]
    assert "base_maps" not in s.to_dict()  # a token in a URL never travels with exported metadata
    with pytest.raises(ValidationError, match=r"\{z\}"):
        BaseMapService(name="X", url="https://x.example/tiles.png")
    with pytest.raises(ValidationError, match="layers"):
        BaseMapService(name="X", type="wms", url="https://x.example/wms")
    with pytest.raises(ValidationError, match="https://"):
        BaseMapService(name="X", url="javascript:alert(1)/{z}/{x}/{y}")
    with pytest.raises(ValidationError, match="type"):
        BaseMapService(name="X", type="arcgis", url="https://x.example/{z}/{x}/{y}")
    with pytest.raises(ValidationError, match="reserved"):
        Settings(base_maps=(BaseMapService(name="Ingen", url="https://x.example/{z}/{x}/{y}"),))
    with pytest.raises(ValidationError, match="same name"):
        Settings(base_maps=(SERVICES[0], SERVICES[0]))
    with pytest.raises(InputError, match="urll"):
        load_settings(table={"base_maps": [{"name": "X", "urll": "https://x"}]})
    with pytest.raises(InputError, match="lacks url"):
        load_settings(table={"base_maps": [{"name": "X"}]})


def test_legend_collapses_on_small_maps_and_fits_the_map() -> None:
    html = map_html(lagesbild_map(_lb(), layers=ALL, tiles=None, assets=ASSETS))
    chrome = _chrome(html)
    assert (chrome["smallHeight"], chrome["smallWidth"]) == (450, 720)  # the Karta's map (~600 px) starts folded
    assert "m.getSize().y - 130" in html and 'm.on("resize", fit)' in html  # never taller than the map
    assert "btn.textContent = \"Teckenförklaring\"" in html


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
    assert _offline_base(html) is None
    with_base = map_html(zones_map(zones, base="ingen", districts=_districts()))
    assert [row[0] for row in _offline_base(with_base)["labels"]] == ["Centrum", "Norr"]
    bounds = next(c for c in m._children.values() if type(c).__name__ == "FitBounds").bounds
    (s, w), (n, e) = bounds
    assert (s, w, n, e) == pytest.approx((59.360 - 0.004, 17.100 - 0.004, 59.362 + 0.004, 17.105 + 0.004), abs=1e-4)
    with pytest.raises(InputError, match="zone"):
        zones_map(zones.drop(columns="zone"), tiles=None)
