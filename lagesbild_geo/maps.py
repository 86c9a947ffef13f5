"""Folium maps of a :class:`~lagesbild_geo.pipeline.Lagesbild`, for the app and notebooks.

:func:`lagesbild_map` returns a :class:`folium.Map` with one feature group per
layer (hex counts, Gi* hot and cold spots, clusters, emerging hotspots, the
district choropleth, trygghet and saved areas), a legend, and tooltips/popups
that show the figures behind each shape.

Privacy: individual incidents are never drawn, and every figure comes from the
publishing step (:func:`lagesbild_geo.privacy.publishable`): a value resting on
fewer than ``min_count`` incidents is drawn grey with "för få fall för att visas",
a value hidden so that such a value cannot be worked out shows "dolt för att
skydda små tal".

Offline use: folium loads Leaflet and its plugins from CDNs, and a map whose
Leaflet script fails to load never appears. Pass ``assets="/app/static/vendor"``
(or any URL under which ``leaflet/leaflet.js`` and ``leaflet-draw/leaflet.draw.js``
are served) and every script and stylesheet of the map comes from there; folium's
jQuery, Bootstrap and Font Awesome links are dropped (nothing here needs them).
With ``assets=None`` the map uses the public CDN links (fine in a notebook online).

Payload: shapes are aggregates only (a few thousand cells at most), coordinates are
rounded to 5 decimals (about 1 m) and district polygons are simplified, so the map
stays well below 3 MB for 100 000 incidents.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import branca.element
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.elements import ElementAddToElement
from folium.features import GeoJsonStyleMapper
from folium.utilities import get_obj_in_upper_tree
from jinja2 import Template

from . import hotspots as _hotspots
from .errors import InputError
from .grid import cells_to_str
from .pipeline import Lagesbild
from .privacy import Privacy, hidden_kind, publishable
from .schema import CATEGORY_LABELS

__all__ = [
    "CDN_LINKS",
    "DISTRICT_MEASURES",
    "LAYERS",
    "PROTECTED",
    "TOO_FEW",
    "MapParts",
    "asset_links",
    "density_layer",
    "lagesbild_map",
    "map_html",
    "map_parts",
    "map_payload_bytes",
    "script_links",
]

#: Layer ids → Swedish names (as shown in the layer switcher).
LAYERS: dict[str, str] = {
    "cells": "Antal per hexagon",
    "hotspots": "Hot- och coldspots (Gi*)",
    "clusters": "Kluster",
    "emerging": "Framväxande hotspots",
    "districts": "Distrikt (DeSO)",
    "survey": "Trygghet (enkät)",
    "areas": "Sparade områden",
    "density": "Täthet",
}
DEFAULT_LAYERS: tuple[str, ...] = ("districts", "cells", "hotspots", "areas")
#: Drawing order (bottom to top), whatever order ``layers`` lists them in.
_Z_ORDER: tuple[str, ...] = ("districts", "survey", "density", "cells", "emerging", "hotspots", "clusters",
                             "areas")

#: District choropleth measures → Swedish names.
DISTRICT_MEASURES: dict[str, str] = {
    "count": "Antal",
    "per_1000": "Per 1 000 invånare",
    "change": "Förändring mot föregående period (%)",
}

#: Text shown instead of a figure that rests on too few incidents.
TOO_FEW = "för få fall för att visas"
#: Text shown instead of a figure hidden so that a small one cannot be worked out.
PROTECTED = "dolt för att skydda små tal"


def _hidden_text(row: Any, column: str) -> str:
    return PROTECTED if hidden_kind(row, column) == "protect" else TOO_FEW

#: Where folium would load its scripts from (the fallback when no local copies exist).
CDN_LINKS: dict[str, str] = {
    "leaflet_js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
    "leaflet_draw_js": "https://cdn.jsdelivr.net/npm/leaflet-draw@1.0.4/dist/leaflet.draw.js",
    "leaflet_draw_css": "https://cdn.jsdelivr.net/npm/leaflet-draw@1.0.4/dist/leaflet.draw.css",
}

_DECIMALS = 5  # ~1 m: plenty for hexagons and districts, and keeps the payload small
_SIMPLIFY_DEG = 0.0002  # ~15-20 m in Sweden: invisible at kommun zoom

_HOT_COLD: dict[str, tuple[str, str]] = {
    "hot_99": ("#b2182b", "Hotspot, 99 % säkerhet"),
    "hot_95": ("#ef6548", "Hotspot, 95 % säkerhet"),
    "hot_90": ("#fdbb84", "Hotspot, 90 % säkerhet"),
    "cold_90": ("#9ecae1", "Coldspot, 90 % säkerhet"),
    "cold_95": ("#4292c6", "Coldspot, 95 % säkerhet"),
    "cold_99": ("#08519c", "Coldspot, 99 % säkerhet"),
}
_SEQ = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
_SEQ_DISTRICTS = ("#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")
_DIV = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
_GREY = "#bdbdbd"
_EMERGING_PALETTE = ("#d7301f", "#fc8d59", "#fdcc8a", "#756bb1", "#9e9ac8", "#54278f", "#636363")
_EMERGING_LABELS_SV: dict[str, str] = {
    "new": "Ny hotspot",
    "emerging": "Framväxande hotspot",
    "intensifying": "Förstärkt hotspot",
    "persistent": "Bestående hotspot",
    "diminishing": "Avtagande hotspot",
    "declining": "Avtagande hotspot",
    "sporadic": "Sporadisk hotspot",
    "historical": "Historisk hotspot",
    "cold": "Coldspot",
}


@dataclasses.dataclass(frozen=True)
class MapParts:
    """A base map and its data layers apart (see :func:`map_parts`)."""

    map: folium.Map
    layers: list[folium.FeatureGroup]
    legend_html: str


def asset_links(assets: str | None) -> dict[str, str]:
    """URLs of Leaflet and Leaflet.draw (JS and CSS) under ``assets``, or the CDN links.

    Parameters
    ----------
    assets
        Base URL under which ``leaflet/leaflet.js``, ``leaflet/leaflet.css``,
        ``leaflet-draw/leaflet.draw.js`` and ``leaflet-draw/leaflet.draw.css`` are
        served (the app uses ``"/app/static/vendor"``). ``None``: the CDN links.

    Examples
    --------
    >>> asset_links("/app/static/vendor")["leaflet_js"]
    '/app/static/vendor/leaflet/leaflet.js'
    >>> asset_links(None)["leaflet_js"].startswith("https://")
    True
    """
    if assets is None:
        return dict(CDN_LINKS)
    base = assets.rstrip("/")
    return {
        "leaflet_js": f"{base}/leaflet/leaflet.js",
        "leaflet_css": f"{base}/leaflet/leaflet.css",
        "leaflet_draw_js": f"{base}/leaflet-draw/leaflet.draw.js",
        "leaflet_draw_css": f"{base}/leaflet-draw/leaflet.draw.css",
    }


class _RawScript(branca.element.Element):
    """Script text added to the figure as it is (branca would compile it as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _GeoJson(folium.GeoJson):
    """``folium.GeoJson`` that renders the same script without one wasted step.

    branca's ``MacroElement.render`` wraps each rendered script in a new
    ``Element(text)``, which compiles the whole text (here: all the GeoJSON) as a
    Jinja template only to render it back unchanged. For a few thousand hexagons
    that compile was a third of the time streamlit-folium spends on the map.
    The style and highlight maps are computed exactly as ``folium.GeoJson.render``
    does (the output is identical; see tests/test_maps.py).
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as folium's
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)  # type: ignore[assignment]
        if (self.style or self.highlight) and self.data["features"]:
            mapper = GeoJsonStyleMapper(self.data, self.feature_identifier, self)
            if self.style:
                self.style_map = mapper.get_style_map(self.style_function)
            if self.highlight:
                self.highlight_map = mapper.get_highlight_map(self.highlight_function)
        parent: Any = self._parent
        if self.show:  # as folium.map.Layer.render
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=parent.get_name()),
                           name=self.get_name() + "_add")
        figure: Any = self.get_root()
        module = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html),
                             ("script", figure.script)):
            macro = module.get(part)
            if macro is not None:
                target.add_child(_RawScript(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Legend(folium.MacroElement):
    """A legend as a Leaflet control (plain HTML; no branca colormap, which pulls d3 from a CDN)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "lagesbild-legend");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text


def _plain(frame: Any) -> Any:
    """A shallow copy of a (Geo)DataFrame with empty ``attrs`` (anything else as is)."""
    if isinstance(frame, pd.DataFrame):
        out = frame.copy(deep=False)
        out.attrs = {}
        return out
    return frame


def _legend_html(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    parts = [
        '<div style="background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;'
        'font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,0.3);max-width:230px">'
    ]
    for title, items in sections:
        parts.append(f'<div style="font-weight:bold;margin-top:3px">{html.escape(title)}</div>')
        for color, label in items:
            parts.append(
                f'<div><span style="display:inline-block;width:12px;height:12px;'
                f'background:{color};border:1px solid #777;margin-right:5px;'
                f'vertical-align:middle"></span>{html.escape(label)}</div>'
            )
    parts.append("</div>")
    return "".join(parts)


def _round_geoms(geoms: gpd.GeoSeries, *, simplify: float = 0.0) -> np.ndarray:
    """Rounded (and optionally simplified) shapely geometries as an array (vectorised)."""
    arr = np.asarray(geoms.values, dtype=object)
    if simplify > 0:
        arr = shapely.simplify(arr, simplify, preserve_topology=True)
    return np.asarray(shapely.transform(arr, lambda xy: np.round(xy, _DECIMALS)), dtype=object)


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise InputError(
            f"{what} must be a GeoDataFrame with a geometry column, got {type(gdf).__name__}; "
            "build it with the library (e.g. build_lagesbild) or geopandas."
        )
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        return gdf.to_crs("EPSG:4326")
    return gdf


def _html_safe(value: Any) -> Any:
    """Text as HTML that shows it literally (``<`` → ``&lt;``), anything else as is.

    Folium's tooltips and popups put property values into ``innerHTML``: an area named
    ``<img src=x onerror=...>`` would run script for every user who hovers it.
    """
    return html.escape(value, quote=True) if isinstance(value, str) else value


def _feature_collection(
    gdf: gpd.GeoDataFrame, props: pd.DataFrame, ids: Sequence[str], *, simplify: float = 0.0
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (dict) with rounded geometries and JSON-safe properties.

    Every text property is HTML-escaped (:func:`_html_safe`): they are shown by
    tooltips and popups, which render HTML.
    """
    geoms = _round_geoms(gdf.geometry, simplify=simplify)
    records = [{k: _html_safe(v) for k, v in rec.items()}
               for rec in props.astype(object).where(props.notna(), None).to_dict(orient="records")]
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    texts = np.full(len(geoms), None, dtype=object)
    texts[ok] = shapely.to_geojson(geoms[ok])
    features = [
        {"type": "Feature", "id": fid, "properties": rec, "geometry": json.loads(text)}
        for fid, text, rec in zip(ids, texts, records, strict=True) if text is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def _fmt_int(x: Any) -> str:
    return f"{int(x):,}".replace(",", "\u00a0")


def _fmt_num(x: Any, decimals: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")


def _bins(values: np.ndarray, n: int) -> np.ndarray:
    """Quantile class breaks (unique, ascending) for ``n`` classes."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return np.array([0.0])
    qs = np.unique(np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]))
    return qs


def _classify(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    return np.searchsorted(breaks, values, side="right")


def _class_labels(breaks: np.ndarray, vmin: float, vmax: float, fmt: Callable[[Any], str],
                  *, integer: bool = False) -> list[str]:
    """Legend text per class; class k holds values in [edge k, edge k+1) (the last one closed)."""
    edges = [vmin, *breaks.tolist(), vmax]
    labels = []
    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        if integer:
            lo = math.ceil(lo)
            hi = hi if i == len(edges) - 2 else math.ceil(hi) - 1
        labels.append(f"{fmt(lo)}–{fmt(hi)}" if lo < hi else fmt(lo))
    return labels


def _style(color: str, *, fill_opacity: float = 0.6, weight: float = 0.5,
           line: str = "#555555", dash: str | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"fillColor": color, "color": line, "weight": weight,
                         "fillOpacity": fill_opacity, "opacity": 0.8}
    if dash:
        s["dashArray"] = dash
    return s


def _first_col(df: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    for c in candidates:
        if c in df.columns:
            return c
    return None


def _cell_ids(index: pd.Index) -> list[str]:
    if index.dtype == np.uint64 or str(index.dtype).startswith(("uint", "int")):
        return cells_to_str(index.to_numpy())
    return [str(v) for v in index]


def _cells_layer(cells: gpd.GeoDataFrame, *, category: str | None, min_count: int,
                 legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["cells"], show=True)
    col = "count" if category is None else f"count_{category}"
    if cells.empty:
        return fg
    if col not in cells.columns:
        raise InputError(
            f"The cells have no column {col!r} (category {category!r}); "
            f"available: {[c for c in cells.columns if c.startswith('count')]}. "
            "Count cells with by='category' or pick another category."
        )
    cells = _to_wgs84(cells, "cells")
    raw = pd.to_numeric(cells[col], errors="coerce").to_numpy(dtype="float64")
    keep = ~(raw == 0)  # zeros are not drawn; hidden values are (grey)
    cells = cells.loc[keep]
    counts = raw[keep]
    if cells.empty:
        return fg
    shown = np.isfinite(counts)
    breaks = _bins(counts[shown], len(_SEQ)) if shown.any() else np.array([0.0])
    klass = _classify(np.nan_to_num(counts), breaks)
    ids = _cell_ids(cells.index)
    recs = [{k: r.get(k) for k in ("suppressed_primary", "suppressed_secondary")}
            for r in cells.to_dict(orient="records")] if "suppressed_primary" in cells.columns \
        else [{} for _ in range(len(cells))]
    props = pd.DataFrame({
        "antal": [_fmt_int(c) if ok else _hidden_text(r, col)
                  for c, ok, r in zip(counts, shown, recs, strict=True)],
        "cell": ids,
    })
    # Top categories (published category counts only).
    cat_cols = [c for c in cells.columns if c.startswith("count_") and c[6:] in CATEGORY_LABELS]
    if category is None and cat_cols:
        m = np.column_stack([pd.to_numeric(cells[c], errors="coerce").to_numpy(dtype="float64")
                             for c in cat_cols])
        order = np.argsort(-np.nan_to_num(m, nan=-1.0), axis=1)[:, :3]
        names = np.array([CATEGORY_LABELS[c[6:]] for c in cat_cols], dtype=object)
        tops = []
        for i in range(len(cells)):
            parts = [f"{names[j]} {int(m[i, j])}" for j in order[i]
                     if np.isfinite(m[i, j]) and m[i, j] > 0]
            tops.append(", ".join(parts))
        props["vanligast"] = tops
    styles = np.where(shown, klass, -1)
    style_by_id = dict(zip(ids, styles.tolist(), strict=True))

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = style_by_id.get(feature["id"], -1)
        if k < 0:
            return _style(_GREY, fill_opacity=0.35)
        return _style(_SEQ[min(k, len(_SEQ) - 1)])

    fields = ["antal"] + (["vanligast"] if "vanligast" in props else [])
    aliases = ["Antal händelser:"] + (["Vanligast:"] if "vanligast" in props else [])
    _GeoJson(
        _feature_collection(cells, props, ids),
        name=LAYERS["cells"],
        style_function=style_fn,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
        popup=folium.GeoJsonPopup(fields=[*fields, "cell"], aliases=[*aliases, "Cell:"]),
    ).add_to(fg)
    if shown.any():
        labels = _class_labels(breaks, float(counts[shown].min()), float(counts[shown].max()),
                               _fmt_int, integer=True)
        used = sorted(set(klass[shown].tolist()))
        items = [(_SEQ[min(k, len(_SEQ) - 1)], labels[k]) for k in used if k < len(labels)]
    else:
        items = []
    title = "Antal händelser" + ("" if category is None else f" – {CATEGORY_LABELS.get(category, category)}")
    legend.append((title, [*items, (_GREY, f"Färre än {min_count} (eller dolt för att skydda dem): "
                                    f"{TOO_FEW}")]))
    return fg


def _hotspots_layer(hotspots: gpd.GeoDataFrame, *,
                    legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["hotspots"], show=True)
    if hotspots.empty or "hotspot_class" not in hotspots.columns:
        return fg
    hs = _to_wgs84(hotspots, "hotspots")
    hs = hs.loc[hs["hotspot_class"].astype("string").isin(list(_HOT_COLD)).fillna(False).to_numpy()]
    if hs.empty:
        legend.append((LAYERS["hotspots"], [("#ffffff", "Inga signifikanta hot- eller coldspots")]))
        return fg
    ids = _cell_ids(hs.index)
    cls = hs["hotspot_class"].astype(str).to_numpy()
    props = pd.DataFrame({
        "klass": [_HOT_COLD[c][1] for c in cls],
        "z": [_fmt_num(z, 2) for z in pd.to_numeric(hs.get("gi_z", pd.Series(np.nan, index=hs.index)),
                                                     errors="coerce")],
        "p": [_fmt_num(p, 4) for p in pd.to_numeric(hs.get("gi_p_adj", hs.get("gi_p", pd.Series(
            np.nan, index=hs.index))), errors="coerce")],
    })
    if "count" in hs.columns:
        recs = hs.to_dict(orient="records")
        props["antal"] = [_hidden_text(r, "count") if pd.isna(c) else _fmt_int(c)
                          for c, r in zip(hs["count"].tolist(), recs, strict=True)]
    cls_by_id = dict(zip(ids, cls.tolist(), strict=True))

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        return _style(_HOT_COLD[cls_by_id[feature["id"]]][0], fill_opacity=0.7, weight=0.3)

    fields = ["klass", "z", "p"]
    aliases = ["Klass:", "Gi* z:", "p (justerat):"]
    _GeoJson(
        _feature_collection(hs, props, ids),
        name=LAYERS["hotspots"],
        style_function=style_fn,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
    ).add_to(fg)
    present = [c for c in _HOT_COLD if c in set(cls.tolist())]
    legend.append((LAYERS["hotspots"], [_HOT_COLD[c] for c in present]))
    return fg


def _clusters_layer(clusters: gpd.GeoDataFrame, *, min_count: int,
                    legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["clusters"], show=True)
    if clusters.empty:
        return fg
    cl = _to_wgs84(clusters, "clusters")
    n = (pd.to_numeric(cl["n"], errors="coerce").to_numpy(dtype="float64") if "n" in cl.columns
         else np.full(len(cl), np.nan))
    cl = cl.loc[np.isfinite(n)]  # a hidden cluster is not drawn
    n = n[np.isfinite(n)]
    if cl.empty:
        return fg
    ids = [f"k{v}" for v in (cl["cluster_id"] if "cluster_id" in cl.columns else range(len(cl)))]
    props = pd.DataFrame({"kluster": [i[1:] for i in ids],
                          "antal": [_fmt_int(v) if np.isfinite(v) else "–" for v in n]})
    if "area_m2" in cl.columns:
        props["yta"] = [f"{_fmt_num(a / 1e4, 1)} ha" for a in cl["area_m2"].to_numpy(dtype="float64")]
    top_col = _first_col(cl, ("top_categories", "top_category"))
    tops = [c for c in ("top1_category", "top2_category", "top3_category") if c in cl.columns]
    if top_col:
        props["vanligast"] = [_category_text(v) for v in cl[top_col]]
    elif tops:
        props["vanligast"] = [_category_text([v for v in row if isinstance(v, str) and v])
                              for row in cl[tops].astype(object).itertuples(index=False)]
    if "peak_weekday_sv" in cl.columns:
        props["dag"] = cl["peak_weekday_sv"].astype(object).where(cl["peak_weekday_sv"].notna(), "").tolist()
    if "peak_hour" in cl.columns:
        props["timme"] = [f"kl. {int(h):02d}" if pd.notna(h) else "" for h in cl["peak_hour"]]
    fields = list(props.columns)
    alias_sv = {"kluster": "Kluster:", "antal": "Antal händelser:", "yta": "Yta:",
                "vanligast": "Vanligast:", "dag": "Vanligaste veckodag:", "timme": "Vanligaste timme:"}
    _GeoJson(
        _feature_collection(cl, props, ids),
        name=LAYERS["clusters"],
        style_function=lambda f: _style("#6a3d9a", fill_opacity=0.15, weight=2, line="#6a3d9a"),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[alias_sv[f] for f in fields]),
    ).add_to(fg)
    legend.append((LAYERS["clusters"], [("#6a3d9a", "Täthetskluster (DBSCAN)")]))
    return fg


def _category_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, str):
        items: list[Any] = [s.strip() for s in v.replace(";", ",").split(",") if s.strip()]
    elif isinstance(v, Mapping):
        items = list(v)
    else:
        try:
            items = list(v)
        except TypeError:
            items = [v]
    return ", ".join(CATEGORY_LABELS.get(str(i), str(i)) for i in items)


def _emerging_layer(emerging: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *,
                    legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["emerging"], show=False)
    if emerging.empty:
        return fg
    col = _first_col(emerging, ("emerging_class", "pattern", "trend_class", "category", "class"))
    if col is None:
        return fg
    em = emerging
    if not isinstance(em, gpd.GeoDataFrame) or "geometry" not in em.columns:
        if cells.empty:
            return fg
        em = gpd.GeoDataFrame(em.join(cells[["geometry"]], how="inner"), geometry="geometry",
                              crs=cells.crs)
    em = _to_wgs84(em, "emerging")
    labels = em[col].astype("string").fillna("")
    keep = ~labels.str.lower().isin(["", "none", "no_pattern", "ingen", "no pattern"]).to_numpy()
    em = em.loc[keep]
    labels = labels[keep]
    if em.empty:
        legend.append((LAYERS["emerging"], [("#ffffff", "Inga framväxande mönster")]))
        return fg
    kinds = sorted(labels.unique().tolist())
    colors = {k: _EMERGING_PALETTE[i % len(_EMERGING_PALETTE)] for i, k in enumerate(kinds)}
    sv = {k: _EMERGING_LABELS_SV.get(k.lower().split("_")[0], k.replace("_", " ")) for k in kinds}
    if f"{col}_sv" in em.columns:  # the library's own Swedish names win
        pairs = em[[col, f"{col}_sv"]].astype("string").dropna().drop_duplicates(col)
        sv.update(dict(zip(pairs[col], pairs[f"{col}_sv"], strict=True)))
    ids = _cell_ids(em.index)
    by_id = dict(zip(ids, labels.tolist(), strict=True))
    props = pd.DataFrame({"monster": [sv[k] for k in labels]})
    _GeoJson(
        _feature_collection(em, props, ids),
        name=LAYERS["emerging"],
        style_function=lambda f: _style(colors[by_id[f["id"]]], fill_opacity=0.65, weight=0.3),
        tooltip=folium.GeoJsonTooltip(fields=["monster"], aliases=["Mönster:"]),
    ).add_to(fg)
    legend.append((LAYERS["emerging"], [(colors[k], sv[k]) for k in kinds]))
    return fg


_DISTRICT_COLS: dict[str, tuple[str, ...]] = {
    "count": ("total", "count", "antal", "n_incidents", "incidents"),
    "per_1000": ("per_1000", "rate_per_1000", "count_per_1000", "per_1000_inv"),
    "change": ("change_pct", "change_percent", "change", "forandring"),
}


def _districts_layer(lb: Lagesbild, *, measure: str, min_count: int,
                     legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["districts"], show=True)
    d = lb.districts
    if d is None or d.empty:
        return fg
    d = _to_wgs84(d, "districts")
    if measure not in _DISTRICT_COLS:
        raise InputError(f"district_measure must be one of {list(_DISTRICT_COLS)}, got {measure!r}.")
    count_col = _first_col(d, _DISTRICT_COLS["count"])
    value_col = _first_col(d, _DISTRICT_COLS[measure])
    ids = [str(v) for v in (d["district_code"] if "district_code" in d.columns else d.index)]
    names = d["district_name"].astype(str).tolist() if "district_name" in d.columns else ids
    counts = (pd.to_numeric(d[count_col], errors="coerce").to_numpy(dtype="float64") if count_col
              else np.full(len(d), np.nan))
    values = (pd.to_numeric(d[value_col], errors="coerce").to_numpy(dtype="float64") if value_col
              else np.full(len(d), np.nan))
    recs = d.to_dict(orient="records")
    # Hidden by the publishing step: no figure at all (rates and changes are hidden with it).
    too_few = ~np.isfinite(counts) if count_col else np.zeros(len(d), dtype=bool)
    why = [_hidden_text(r, count_col) if tf and count_col else "" for r, tf in zip(recs, too_few, strict=True)]
    values = np.where(too_few, np.nan, values)
    pop = (d["population"].to_numpy(dtype="float64") if "population" in d.columns
           else np.full(len(d), np.nan))
    props = pd.DataFrame({
        "namn": names,
        "kod": ids,
        "antal": [w if tf else (_fmt_int(c) if np.isfinite(c) else "–")
                  for c, tf, w in zip(counts, too_few, why, strict=True)],
        "invanare": [_fmt_int(p) if np.isfinite(p) else "okänt" for p in pop],
    })
    for key, label_col in (("per_1000", "per_1000"), ("change", "change")):
        col = _first_col(d, _DISTRICT_COLS[key])
        if col:
            v = pd.to_numeric(d[col], errors="coerce").to_numpy(dtype="float64")
            props[label_col] = [w if tf else ("–" if not np.isfinite(x) else
                                              _fmt_num(x) + (" %" if key == "change" else ""))
                                for x, tf, w in zip(v, too_few, why, strict=True)]
    fin = np.isfinite(values)
    if measure == "change":
        lim = float(np.nanmax(np.abs(values[fin]))) if fin.any() else 1.0
        lim = max(lim, 1.0)
        breaks = np.array([-lim / 2, -lim / 10, lim / 10, lim / 2])
        palette: Sequence[str] = _DIV
    else:
        breaks = _bins(values[fin], len(_SEQ_DISTRICTS)) if fin.any() else np.array([0.0])
        palette = _SEQ_DISTRICTS
    klass = np.where(fin, _classify(np.nan_to_num(values), breaks), -1)
    by_id = dict(zip(ids, klass.tolist(), strict=True))

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = by_id.get(feature["id"], -1)
        if k < 0:
            return _style(_GREY, fill_opacity=0.25, weight=1, line="#333333")
        return _style(palette[min(k, len(palette) - 1)], fill_opacity=0.4, weight=1, line="#333333")

    fields = ["namn", "kod", "antal", "invanare"] + [c for c in ("per_1000", "change") if c in props]
    alias_sv = {"namn": "Område:", "kod": "Kod:", "antal": "Antal händelser:",
                "invanare": "Invånare:", "per_1000": "Per 1 000 inv.:", "change": "Förändring:"}
    _GeoJson(
        _feature_collection(d, props, ids, simplify=_SIMPLIFY_DEG),
        name=LAYERS["districts"],
        style_function=style_fn,
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["namn", "antal"], aliases=["Område:", "Antal:"]),
        popup=folium.GeoJsonPopup(fields=fields, aliases=[alias_sv[f] for f in fields]),
    ).add_to(fg)
    title = f"Distrikt: {DISTRICT_MEASURES[measure].lower()}"
    if fin.any():
        fmt = _fmt_int if measure == "count" else _fmt_num
        if measure == "change":
            b = [_fmt_num(x, 0) for x in breaks]
            labels = [f"under {b[0]} %", f"{b[0]} till {b[1]} %", f"{b[1]} till {b[2]} %",
                      f"{b[2]} till {b[3]} %", f"över {b[3]} %"]
        else:
            labels = _class_labels(breaks, float(values[fin].min()), float(values[fin].max()), fmt,
                                   integer=measure == "count")
        used = sorted(set(klass[fin].tolist()))
        items = [(palette[min(k, len(palette) - 1)], labels[k]) for k in used if k < len(labels)]
    else:
        items = []
    missing = "saknas" if value_col is None else TOO_FEW
    legend.append((title, [*items, (_GREY, f"{missing.capitalize()}")]))
    return fg


def _survey_layer(lb: Lagesbild, *, min_respondents: int,
                  legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["survey"], show=False)
    table = lb.survey.get("districts") if lb.survey else None
    if table is None or len(table) == 0 or lb.districts is None or lb.districts.empty:
        return fg
    value_col = _first_col(table, ("otrygg_share", "share_unsafe", "andel_otrygga", "unsafe_share"))
    if value_col is None:
        return fg
    d = _to_wgs84(lb.districts, "districts")
    key = "district_code"
    left = d.set_index(key) if key in d.columns else d
    right = table.set_index(key) if key in table.columns else table
    right = pd.DataFrame(right.drop(columns="geometry", errors="ignore"))
    right = right.rename(columns={"suppressed": "_survey_suppressed"})
    right = right.drop(columns=[c for c in right.columns if c in left.columns])
    joined = gpd.GeoDataFrame(left[["geometry"]].join(right, how="inner"), geometry="geometry",
                              crs=d.crs)
    if joined.empty:
        return fg
    v = pd.to_numeric(joined[value_col], errors="coerce").to_numpy(dtype="float64")
    if np.nanmax(np.abs(np.nan_to_num(v)), initial=0) <= 1:
        v = v * 100  # shares → percent
    n_col = _first_col(joined, ("n", "n_respondents", "respondents", "antal_svar"))
    n = joined[n_col].to_numpy(dtype="float64") if n_col else np.full(len(joined), np.nan)
    few = np.isfinite(n) & (n < min_respondents)
    if "_survey_suppressed" in joined.columns:
        few |= joined["_survey_suppressed"].fillna(False).to_numpy(dtype=bool)
    v = np.where(few, np.nan, v)
    fin = np.isfinite(v)
    breaks = np.array([10.0, 20.0, 30.0, 40.0])
    klass = np.where(fin, _classify(np.nan_to_num(v), breaks), -1)
    ids = [str(i) for i in joined.index]
    by_id = dict(zip(ids, klass.tolist(), strict=True))
    pal = ("#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c")
    props = pd.DataFrame({
        "otrygga": ["för få svar för att visas" if f else (_fmt_num(x, 0) + " %" if np.isfinite(x) else "–")
                    for x, f in zip(v, few, strict=True)],
        "svar": [_fmt_int(x) if np.isfinite(x) else "–" for x in n],
    })

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = by_id.get(feature["id"], -1)
        return _style(_GREY if k < 0 else pal[k], fill_opacity=0.55, weight=1, line="#555555")

    _GeoJson(
        _feature_collection(joined, props, ids, simplify=_SIMPLIFY_DEG),
        name=LAYERS["survey"],
        style_function=style_fn,
        tooltip=folium.GeoJsonTooltip(fields=["otrygga", "svar"],
                                      aliases=["Otrygga kvällstid:", "Antal svar:"]),
    ).add_to(fg)
    _pins_into(fg, lb.survey.get("pins"), legend)
    legend.append(("Andel otrygga (enkät)",
                   [(pal[0], "under 10 %"), (pal[1], "10–20 %"), (pal[2], "20–30 %"),
                    (pal[3], "30–40 %"), (pal[4], "40 % och mer"),
                    (_GREY, f"Färre än {min_respondents} svar")]))
    return fg


def _pins_into(fg: folium.FeatureGroup, pins: Any,
               legend: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """Survey map pins per hexagon (only hexagons with enough pins; never single pins)."""
    if not isinstance(pins, gpd.GeoDataFrame) or pins.empty or "n" not in pins.columns:
        return
    p = _to_wgs84(pins, "survey pins")
    keep = pd.to_numeric(p["n"], errors="coerce").fillna(0).to_numpy() > 0
    if "suppressed" in p.columns:
        keep &= ~p["suppressed"].fillna(True).to_numpy(dtype=bool)
    p = p.loc[keep]
    if p.empty:
        return
    ids = [f"pin{c}" for c in _cell_ids(p.index)]
    props = pd.DataFrame({
        "nalar": [_fmt_int(n) for n in p["n"].to_numpy(dtype="float64")],
        "orsak": (p["top_reason"].astype(object).where(p["top_reason"].notna(), "").tolist()
                  if "top_reason" in p.columns else [""] * len(p)),
    })
    _GeoJson(
        _feature_collection(p, props, ids),
        name="Kartnålar",
        style_function=lambda f: _style("#ffffff", fill_opacity=0.0, weight=2, line="#e7298a",
                                        dash="3 3"),
        tooltip=folium.GeoJsonTooltip(fields=["nalar", "orsak"],
                                      aliases=["Kartnålar i enkäten:", "Vanligaste orsak:"]),
    ).add_to(fg)
    legend.append(("Enkätens kartnålar", [("#e7298a", "Hexagon med flera kartnålar (kant)")]))


def _areas_layer(areas: gpd.GeoDataFrame,
                 legend: list[tuple[str, list[tuple[str, str]]]]) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["areas"], show=True)
    if areas is None or len(areas) == 0:
        return fg
    a = _to_wgs84(areas, "areas")
    id_col = _first_col(a, ("area_id", "id"))
    ids = [str(v) for v in (a[id_col] if id_col else a.index)]
    name_col = _first_col(a, ("name", "namn"))
    props = pd.DataFrame({
        "namn": a[name_col].astype(str).tolist() if name_col else ids,
        "area_id": ids,
    })
    n_col = _first_col(a, ("n_measures", "measures"))
    fields, aliases = ["namn"], ["Område:"]
    if n_col:
        props["atgarder"] = [str(x) for x in a[n_col].tolist()]
        fields.append("atgarder")
        aliases.append("Åtgärder:")
    _GeoJson(
        _feature_collection(a, props, ids),
        name=LAYERS["areas"],
        style_function=lambda f: _style("#1b9e77", fill_opacity=0.12, weight=3, line="#1b9e77",
                                        dash="6 4"),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fg)
    legend.append((LAYERS["areas"], [("#1b9e77", "Område med åtgärder")]))
    return fg


_DENSITY_COLORS = ("#fff7ec", "#fee8c8", "#fdd49e", "#fc8d59", "#e34a33", "#b30000")


def density_layer(lb: Lagesbild, *, category: str | None = None, min_count: int | None = None,
                  legend: list[tuple[str, list[tuple[str, str]]]] | None = None,
                  bandwidth_m: float | None = None) -> folium.FeatureGroup:
    """The "Täthet" layer: a kernel density surface (:func:`lagesbild_geo.hotspots.kde`) of the
    period's point/address incidents (of one category), drawn as six quantile classes.

    The surface is the publishing step's (``publishable(lb).tables["density"]``, made from
    the incidents before they are dropped), so a published bundle draws it too.

    Cells of one class are merged into one polygon (aggregate first, geometry last), so the
    payload stays small. Only cells with at least ``min_count`` incidents within the bandwidth
    have a value (the surface never shows a single incident); the legend says so.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lagesbild_geo.pipeline import Lagesbild
    >>> rng = np.random.default_rng(0)
    >>> inc = pd.DataFrame({"easting": 660000 + rng.normal(0, 300, 200),
    ...                     "northing": 6580000 + rng.normal(0, 300, 200), "precision": "point"})
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e,
    ...                clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> fg = density_layer(lb)
    >>> fg.layer_name, len(list(fg._children))
    ('Täthet', 1)
    """
    fg = folium.FeatureGroup(name=LAYERS["density"], show=True)
    sections = legend if legend is not None else []
    mc = lb.settings.min_count if min_count is None else int(min_count)
    title = "Täthet, händelser per km²" + ("" if category is None else
                                           f" – {CATEGORY_LABELS.get(category, category)}")
    if bandwidth_m is None:
        # the surface the publishing step made (already generalised: no incident leaves it)
        pub = publishable(lb, Privacy(min_count=mc, min_respondents=lb.settings.min_respondents))
        surf = (pub.tables or {}).get("density")
        key = "" if category is None else category
        kde_attrs = surf.attrs.get("kde", {}) if surf is not None else {}
        if surf is None or key not in kde_attrs:
            if surf is not None:
                sections.append((title, [("#ffffff", f"Visas där minst {mc} händelser finns inom "
                                                     "bandbredden (kärntäthet): inget område här")]))
            return fg
        a = kde_attrs[key]
        dens = surf.loc[(surf["surface"] == key).to_numpy()]
    else:  # a bandwidth of the caller's: from the period's incidents, under kde's own rule
        inc = _plain(lb.incidents)
        if not isinstance(inc, pd.DataFrame) or inc.empty:
            return fg
        keep = np.ones(len(inc), dtype=bool)
        period = (lb.metadata or {}).get("period")
        if period and "occurred_at" in inc.columns:
            t = inc["occurred_at"]
            keep &= ((t >= pd.Timestamp(period["start"])) & (t < pd.Timestamp(period["end"]))).to_numpy(
                dtype=bool, na_value=False)
        if category is not None and "category" in inc.columns:
            keep &= (inc["category"].astype("string") == category).fillna(False).to_numpy(dtype=bool)
        dens = _hotspots.kde(inc.loc[keep], min_count=mc, bandwidth_m=bandwidth_m)
        a = dens.attrs["kde"]
    note = (f"Visas där minst {mc} händelser finns inom {_fmt_int(round(a['bandwidth_m']))} m "
            "(kärntäthet)")
    if dens.empty:
        sections.append((title, [("#ffffff", note)]))
        return fg
    c = float(a["cell_size_m"])
    x0, y0 = a["origin"]
    col = np.rint((dens["easting"].to_numpy() - x0) / c - 0.5)
    row = np.rint((dens["northing"].to_numpy() - y0) / c - 0.5)
    squares = shapely.box(x0 + col * c, y0 + row * c, x0 + (col + 1) * c, y0 + (row + 1) * c)
    v = dens["density_per_km2"].to_numpy(dtype="float64")
    breaks = _bins(v, len(_DENSITY_COLORS))
    klass = _classify(v, breaks)
    labels = _class_labels(breaks, float(v.min()), float(v.max()), lambda z: _fmt_num(z, 0))
    used = sorted(set(klass.tolist()))
    polys = [shapely.coverage_union_all(squares[klass == k]) for k in used]
    shapes = gpd.GeoDataFrame(geometry=polys, crs="EPSG:3006").to_crs("EPSG:4326")
    ids = [f"t{k}" for k in used]
    props = pd.DataFrame({"tathet": [f"{labels[k]} per km²" for k in used]})
    colour = {f"t{k}": _DENSITY_COLORS[min(k, len(_DENSITY_COLORS) - 1)] for k in used}
    _GeoJson(
        _feature_collection(shapes, props, ids, simplify=_SIMPLIFY_DEG / 4),
        name=LAYERS["density"],
        style_function=lambda f: _style(colour[f["id"]], fill_opacity=0.55, weight=0),
        tooltip=folium.GeoJsonTooltip(fields=["tathet"], aliases=["Täthet:"], sticky=False),
    ).add_to(fg)
    sections.append((title, [*[(colour[f"t{k}"], labels[k]) for k in used], ("#ffffff", note)]))
    return fg


def _bounds(lb: Lagesbild, areas: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    for g in (lb.districts, lb.cells, areas):
        if g is not None and isinstance(g, gpd.GeoDataFrame) and len(g) and "geometry" in g:
            b = _to_wgs84(g, "layer").total_bounds
            if np.all(np.isfinite(b)):
                return [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]]
    return None


def lagesbild_map(
    lagesbild: Lagesbild,
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    areas: gpd.GeoDataFrame | None = None,
    category: str | None = None,
    district_measure: str = "count",
    tiles: str | None = "OpenStreetMap",
    attribution: str | None = None,
    assets: str | None = None,
    draw: bool = False,
    min_count: int | None = None,
    legend: bool = True,
    height: int | str = "100%",
) -> folium.Map:
    """A folium map of a lägesbild: one feature group per layer, a legend and tooltips.

    Parameters
    ----------
    lagesbild
        The picture to draw (from :func:`lagesbild_geo.pipeline.build_lagesbild`).
    layers
        Layer ids to include (see :data:`LAYERS`): ``"districts"``, ``"survey"``,
        ``"density"``, ``"cells"``, ``"emerging"``, ``"hotspots"``, ``"clusters"``, ``"areas"``; drawn
        bottom to top in that order, whatever order they are given in.
    areas
        Saved areas indexed by id with ``name`` (and ``n_measures``), e.g.
        ``MeasureStore.list_areas()``,
        for the ``"areas"`` layer.
    category
        Show the hex counts of one category id instead of the total.
    district_measure
        District choropleth: ``"count"``, ``"per_1000"`` or ``"change"``.
    tiles
        ``"OpenStreetMap"`` (default), a tile URL template containing ``{z}``, ``{x}``,
        ``{y}`` (a kommun's own tile server), or ``None`` for no base map.
    attribution
        Attribution text for a custom tile URL.
    assets
        Base URL of local copies of Leaflet and Leaflet.draw (see :func:`asset_links`);
        ``None`` loads them from the CDN.
    draw
        Add the drawing tool (polygon and rectangle only).
    min_count
        Aggregates below this many incidents are shown as "för få fall för att visas";
        default ``lagesbild.settings.min_count``.
    legend
        Add the legend.
    height
        Map height (CSS, or pixels).

    Returns
    -------
    folium.Map
        Never contains individual incidents.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from lagesbild_geo.pipeline import Lagesbild
    >>> cells = gpd.GeoDataFrame({"count": [5, 4, 1]}, geometry=[box(17.0, 59.3, 17.01, 59.31),
    ...     box(17.01, 59.3, 17.02, 59.31), box(17.02, 59.3, 17.03, 59.31)], crs="EPSG:4326",
    ...     index=pd.Index([617733122422996991, 617733122423259135, 617733122423521279],
    ...                    dtype="uint64", name="cell"))
    >>> empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={},
    ...     cells=cells, hotspots=cells, clusters=empty, emerging=empty, districts=empty,
    ...     district_summary=pd.DataFrame())
    >>> m = lagesbild_map(lb, layers=["cells"], tiles=None, assets="/app/static/vendor")
    >>> script_links(m)
    ['/app/static/vendor/leaflet/leaflet.js', '/app/static/vendor/leaflet/leaflet.css']
    >>> '"antal": "5"' in map_html(m), '"antal": "1"' in map_html(m)  # 4 hidden to protect the 1
    (True, False)
    """
    parts = map_parts(lagesbild, layers=layers, areas=areas, category=category,
                      district_measure=district_measure, tiles=tiles, attribution=attribution,
                      assets=assets, draw=draw, min_count=min_count, height=height)
    m = parts.map
    for fg in parts.layers:
        fg.add_to(m)
    if len(parts.layers) > 1:
        folium.LayerControl(collapsed=True).add_to(m)
    if legend and parts.legend_html:
        _Legend(parts.legend_html).add_to(m)
    return m


def _base_map(center: list[float], zoom: int, *, tiles: str | None, attribution: str | None,
              links: dict[str, str], height: int | str) -> folium.Map:
    """An empty Leaflet map loading only Leaflet itself (from ``links``) and the chosen tiles."""
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, height=height,
                   control_scale=True, prefer_canvas=False)
    # Own lists (never mutate folium's class-level defaults): only Leaflet itself.
    m.default_js = [("leaflet", links["leaflet_js"])]
    m.default_css = [("leaflet_css", links["leaflet_css"])]
    if tiles is not None:
        if tiles.lower() in ("openstreetmap", "osm"):
            folium.TileLayer("OpenStreetMap", name="Bakgrundskarta", control=False).add_to(m)
        elif "{z}" in tiles and "{x}" in tiles and "{y}" in tiles:
            folium.TileLayer(tiles=tiles, attr=attribution or "Kartdata", name="Bakgrundskarta",
                             control=False).add_to(m)
        else:
            raise InputError(
                f"tiles must be 'OpenStreetMap', a URL template with {{z}}/{{x}}/{{y}}, or None; got {tiles!r}."
            )
    return m


def map_parts(
    lagesbild: Lagesbild,
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    areas: gpd.GeoDataFrame | None = None,
    category: str | None = None,
    district_measure: str = "count",
    tiles: str | None = "OpenStreetMap",
    attribution: str | None = None,
    assets: str | None = None,
    draw: bool = False,
    min_count: int | None = None,
    height: int | str = "100%",
) -> MapParts:
    """The pieces of :func:`lagesbild_map`: a base map and the data layers apart.

    The base map holds what does not change with a filter (Leaflet, tiles, the
    drawing tool, the view fitted to the districts); the layers and the legend do.
    An app can keep the base map in the browser and swap only the layers
    (streamlit-folium's ``feature_group_to_add``), so a filter change keeps the
    user's zoom and position. Parameters as for :func:`lagesbild_map`.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from lagesbild_geo.pipeline import Lagesbild
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=e, clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> parts = map_parts(lb, layers=("cells", "areas"), tiles=None)
    >>> [g.layer_name for g in parts.layers]
    ['Antal per hexagon', 'Sparade områden']
    """
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown:
        raise InputError(f"Unknown layer(s) {unknown}; use some of {list(LAYERS)}.")
    if district_measure not in DISTRICT_MEASURES:
        raise InputError(
            f"district_measure must be one of {list(DISTRICT_MEASURES)}, got {district_measure!r}."
        )
    if category is not None and category not in CATEGORY_LABELS:
        raise InputError(f"Unknown category {category!r}; use one of {list(CATEGORY_LABELS)}.")
    settings = lagesbild.settings
    mc = settings.min_count if min_count is None else int(min_count)
    # every figure on the map comes from the publishing step (a published bundle passes as is)
    lagesbild = publishable(lagesbild, Privacy(min_count=mc, min_respondents=settings.min_respondents))
    # Work on shallow copies without ``attrs``: pandas deep-copies attrs (e.g. the
    # districts' read report) on every column access, which dominated the build time.
    lagesbild = dataclasses.replace(
        lagesbild, **{f: _plain(getattr(lagesbild, f))
                      for f in ("cells", "hotspots", "clusters", "emerging", "districts")},
        survey={k: _plain(v) for k, v in (lagesbild.survey or {}).items()})
    areas = _plain(areas) if areas is not None else None
    links = asset_links(assets)

    bounds = _bounds(lagesbild, areas)
    center = ([(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
              if bounds else [59.33, 18.06])
    m = _base_map(center, 12, tiles=tiles, attribution=attribution, links=links, height=height)

    sections: list[tuple[str, list[tuple[str, str]]]] = []
    groups: list[folium.FeatureGroup] = []
    for layer in sorted(set(layers), key=_Z_ORDER.index):
        if layer == "cells":
            fg = _cells_layer(lagesbild.cells, category=category, min_count=mc, legend=sections)
        elif layer == "hotspots":
            fg = _hotspots_layer(lagesbild.hotspots, legend=sections)
        elif layer == "clusters":
            fg = _clusters_layer(lagesbild.clusters, min_count=mc, legend=sections)
        elif layer == "emerging":
            fg = _emerging_layer(lagesbild.emerging, lagesbild.cells, legend=sections)
        elif layer == "districts":
            fg = _districts_layer(lagesbild, measure=district_measure, min_count=mc, legend=sections)
        elif layer == "survey":
            fg = _survey_layer(lagesbild, min_respondents=settings.min_respondents, legend=sections)
        elif layer == "density":
            fg = density_layer(lagesbild, category=category, min_count=mc, legend=sections)
        else:
            fg = _areas_layer(areas if areas is not None else gpd.GeoDataFrame(geometry=[]),
                              legend=sections)
        groups.append(fg)

    if draw:
        d = folium.plugins.Draw(
            export=False,
            position="topleft",
            draw_options={"polyline": False, "circle": False, "marker": False,
                          "circlemarker": False,
                          "polygon": {"allowIntersection": False, "showArea": False},
                          "rectangle": True},
            edit_options={"edit": False, "remove": True},
        )
        d.default_js = [("leaflet_draw_js", links["leaflet_draw_js"])]
        d.default_css = [("leaflet_draw_css", links["leaflet_draw_css"])]
        d.add_to(m)
    if bounds:
        m.fit_bounds(bounds)
    return MapParts(map=m, layers=groups, legend_html=_legend_html(sections) if sections else "")


def script_links(m: folium.Map) -> list[str]:
    """Every JS and CSS URL the map (and its elements) will load, in order.

    This mirrors what streamlit-folium hands to the browser; offline, each of them
    must be reachable or the map does not appear.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> any("jquery" in u for u in script_links(m))
    True
    """
    out: list[str] = []

    def walk(el: Any) -> None:
        if type(el).__module__.startswith("branca.colormap"):
            out.append("https://d3js.org/d3.v4.min.js")  # streamlit-folium adds d3 for colormaps
        out.extend(u for _, u in getattr(el, "default_js", []))
        out.extend(u for _, u in getattr(el, "default_css", []))
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(out))


def map_html(m: folium.Map) -> str:
    """The standalone HTML folium renders for the map (what a browser receives)."""
    return m.get_root().render()


def map_payload_bytes(m: folium.Map) -> int:
    """Size in bytes (UTF-8) of :func:`map_html`: the map's payload to the browser."""
    return len(map_html(m).encode("utf-8"))


#: Colours and Swedish names of the follow-up zones.
_ZONES: dict[str, tuple[str, str]] = {
    "area": ("#b2182b", "Åtgärdens område"),
    "buffer": ("#ef8a62", "Buffertzon"),
    "control": ("#4575b4", "Jämförelseområde"),
}


def zones_map(
    zones: gpd.GeoDataFrame,
    *,
    tiles: str | None = "OpenStreetMap",
    attribution: str | None = None,
    assets: str | None = None,
    height: int | str = 420,
) -> folium.Map:
    """A small map of a follow-up's zones: the measure's area, the buffer ring and,
    when it is a drawn area, the comparison area (``FollowupResult.zones``).

    The view fits the area and its buffer (a comparison area that is the rest of
    the kommun is not drawn). No incidents are shown.

    Examples
    --------
    >>> import shapely
    >>> z = gpd.GeoDataFrame({"zone": ["area", "buffer"]},
    ...     geometry=[shapely.box(17.10, 59.36, 17.11, 59.37),
    ...               shapely.box(17.09, 59.35, 17.12, 59.38).difference(shapely.box(17.10, 59.36, 17.11, 59.37))],
    ...     crs="EPSG:4326")
    >>> m = zones_map(z, tiles=None)
    >>> "Buffertzon" in map_html(m)
    True
    """
    if "zone" not in zones.columns:
        raise InputError("zones_map needs a 'zone' column (area, buffer, control), as in FollowupResult.zones.")
    z = _to_wgs84(_plain(zones), "zones")
    links = asset_links(assets)
    m = _base_map([59.33, 18.06], 14, tiles=tiles, attribution=attribution, links=links,
                  height=height)
    focus = z[z["zone"].isin(["area", "buffer"])]
    for name in ("control", "buffer", "area"):
        part = z[z["zone"] == name]
        if not len(part):
            continue
        color, label = _ZONES[name]
        folium.GeoJson(
            json.loads(part[["geometry"]].to_json()), name=label, tooltip=label,
            style_function=lambda _f, c=color: {"color": c, "weight": 2, "fillColor": c,
                                                "fillOpacity": 0.15},
        ).add_to(m)
    if len(focus):
        b = focus.total_bounds
        m.fit_bounds([[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]])
    return m
