"""Folium maps of a :class:`~lagesbild_geo.pipeline.Lagesbild`, for the app and notebooks.

:func:`lagesbild_map` returns a :class:`folium.Map` with one feature group per
layer (hex counts, statistically significant concentrations (Gi*), clusters,
emerging hotspots, the district choropleth, trygghet and saved areas), one compact
legend and tooltips/popups that show the figures behind each shape.

Swedish throughout: Leaflet's own controls (zoom, layer switcher, attribution,
popup close button) and Leaflet.draw's toolbar (:func:`add_swedish_draw`) speak
Swedish, the scale bar is metric only, and every figure is formatted by
:mod:`lagesbild_geo.svformat` (decimal comma, no-break space between thousands,
"–" for a missing value). Statistics are named in plain words; the technical term
sits in a ``title`` tooltip (hover the legend's heading).

Base map: :func:`base_maps` lists the choices (OpenStreetMap, the kommun's own
XYZ/WMTS/WMS services from :attr:`Settings.base_maps
<lagesbild_geo.settings.Settings.base_maps>`, "ingen"); every builder takes
``base=``. Under every map lies an offline base drawn from the data itself (the
kommun's outline, the districts' outlines and their names from a zoom level), so
the map stays readable when no tiles arrive; when tiles fail to load (an intranet
that blocks outside requests) the map says so in Swedish.

A calmer map: each layer has its own palette (:data:`PALETTES`: counts sequential
in one hue, concentrations diverging red/blue, emerging hotspots categorical,
density, districts and trygghet each their own); hexagons with too few incidents
are left out unless ``show_suppressed=True`` (then outlines only); the legend is one
collapsible control that lists only the layers switched on, never taller than the map.

Privacy: individual incidents are never drawn, and every figure comes from the
publishing step (:func:`lagesbild_geo.privacy.publishable`): a value resting on
fewer than ``min_count`` incidents says "för få fall för att visas", a value hidden
so that such a value cannot be worked out says "dolt för att skydda små tal".

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

import collections
import dataclasses
import hashlib
import html
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import branca.element
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.elements import ElementAddToElement
from folium.features import GeoJsonStyleMapper
from folium.template import Template
from folium.utilities import get_obj_in_upper_tree

from . import hotspots as _hotspots
from . import svformat as sv
from .bundle import Lagesbild
from .errors import InputError
from .grid import cells_to_str
from .privacy import Privacy, hidden_kind, publishable
from .schema import CATEGORY_LABELS
from .settings import BaseMapService, Settings

__all__ = [
    "BASE_NONE",
    "BASE_OSM",
    "CDN_LINKS",
    "DISTRICT_MEASURES",
    "DRAW_LOCAL_SV",
    "LAYERS",
    "OSM",
    "PALETTES",
    "PROTECTED",
    "TILE_ERROR_NOTE",
    "TOO_FEW",
    "MapParts",
    "add_swedish_draw",
    "asset_links",
    "base_maps",
    "density_layer",
    "empty_map",
    "lagesbild_map",
    "map_html",
    "map_parts",
    "map_payload_bytes",
    "resolve_base",
    "script_links",
    "zones_map",
]

#: Layer ids → Swedish names (as shown in the layer switcher).
LAYERS: dict[str, str] = {
    "cells": "Antal per hexagon",
    "hotspots": "Statistiskt säkerställd koncentration (Gi*)",
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
#: The note a map shows when its base-map tiles cannot be fetched.
TILE_ERROR_NOTE = ("Bakgrundskartan kunde inte hämtas – kartan visas med kommunens och "
                   "områdenas gränser")

#: Name of the OpenStreetMap base map, and of the choice "no base map".
BASE_OSM = "OpenStreetMap"
BASE_NONE = "ingen"
#: OpenStreetMap's standard tiles (the default base map).
OSM = BaseMapService(
    name=BASE_OSM, type="xyz", url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    attribution='&copy; <a href="https://www.openstreetmap.org/copyright">'
                "OpenStreetMap</a>-bidragsgivare",
    max_zoom=19,
)


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
_BASE_SIMPLIFY_M = 25.0  # the offline base's outlines (metres, SWEREF 99 TM)
_LABEL_MIN_ZOOM = 9  # district names appear from this zoom (and where the district has room)

#: Colours of each layer. Every layer has its own: counts a sequential purple, the
#: concentrations (Gi*) a diverging red/blue, emerging hotspots a categorical set
#: (Okabe–Ito, colour-blind safe), density yellow-orange-brown, districts yellow-green
#: (change: brown/teal), trygghet red-purple, clusters black and saved areas orange outlines.
PALETTES: dict[str, tuple[str, ...]] = {
    "cells": ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"),
    "hotspots": ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"),
    "emerging": ("#e69f00", "#f0e442", "#d55e00", "#cc79a7", "#56b4e9", "#009e73",
                 "#0072b2", "#999999"),
    "density": ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404"),
    "districts": ("#ffffcc", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837"),
    "districts_change": ("#018571", "#80cdc1", "#f5f5f5", "#dfc27d", "#a6611a"),
    "survey": ("#feebe2", "#fbb4b9", "#f768a1", "#c51b8a", "#7a0177"),
    "clusters": ("#000000",),
    "areas": ("#e66101",),
}
_SUPPRESSED_LINE = "#8c8c8c"  # outline of a hexagon with too few incidents (show_suppressed)
_MISSING_FILL = "#ffffff"  # a district without a figure: white, dashed outline

_HOT_COLD: dict[str, tuple[str, str]] = {
    "hot_99": (PALETTES["hotspots"][0], "Hög koncentration, 99 % säkerhet"),
    "hot_95": (PALETTES["hotspots"][1], "Hög koncentration, 95 % säkerhet"),
    "hot_90": (PALETTES["hotspots"][2], "Hög koncentration, 90 % säkerhet"),
    "cold_90": (PALETTES["hotspots"][3], "Låg förekomst, 90 % säkerhet"),
    "cold_95": (PALETTES["hotspots"][4], "Låg förekomst, 95 % säkerhet"),
    "cold_99": (PALETTES["hotspots"][5], "Låg förekomst, 99 % säkerhet"),
}
_GI_HINT = ("Getis-Ord Gi*: hexagonen och dess grannar har tillsammans fler (rött) eller färre "
            "(blått) händelser än kommunen i genomsnitt – så många att det knappast är en slump. "
            "Säkerheten är justerad för att många hexagoner prövas samtidigt (FDR).")
#: Emerging-hotspot kinds → their colour (one per kind; cold variants are outlined).
_EMERGING_COLORS: dict[str, str] = dict(zip(
    ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
     "oscillating", "historical"), PALETTES["emerging"], strict=True))
_EMERGING_COLORS["declining"] = _EMERGING_COLORS["diminishing"]
_EMERGING_LABELS_SV: dict[str, str] = {
    "new": "Ny hotspot",
    "consecutive": "Sammanhängande hotspot",
    "emerging": "Framväxande hotspot",
    "intensifying": "Förstärkt hotspot",
    "persistent": "Bestående hotspot",
    "diminishing": "Avtagande hotspot",
    "declining": "Avtagande hotspot",
    "sporadic": "Sporadisk hotspot",
    "oscillating": "Växlande hotspot",
    "historical": "Historisk hotspot",
    "cold": "Kallpunkt",
}
_EMERGING_HINT = ("Framväxande hotspots (rum–tid-analys, Mann–Kendall-trend på Gi* per period): hur "
                  "en koncentration har utvecklats över tiden. Fylld färg = koncentration, "
                  "streckad kant = låg förekomst (kallpunkt).")

#: Leaflet.draw's texts in Swedish (the whole of ``L.drawLocal`` of Leaflet.draw 1.0.4).
DRAW_LOCAL_SV: dict[str, Any] = {
    "draw": {
        "toolbar": {
            "actions": {"title": "Avbryt ritningen", "text": "Avbryt"},
            "finish": {"title": "Avsluta ritningen", "text": "Avsluta"},
            "undo": {"title": "Ta bort den senast ritade punkten", "text": "Ta bort senaste punkten"},
            "buttons": {
                "polyline": "Rita en linje",
                "polygon": "Rita ett område (polygon)",
                "rectangle": "Rita en rektangel",
                "circle": "Rita en cirkel",
                "marker": "Sätt ut en markör",
                "circlemarker": "Sätt ut en cirkelmarkör",
            },
        },
        "handlers": {
            "circle": {"tooltip": {"start": "Klicka och dra för att rita en cirkel."},
                       "radius": "Radie"},
            "circlemarker": {"tooltip": {"start": "Klicka i kartan för att sätta ut en cirkelmarkör."}},
            "marker": {"tooltip": {"start": "Klicka i kartan för att sätta ut en markör."}},
            "polygon": {"tooltip": {
                "start": "Klicka i kartan för att sätta ut områdets första hörn.",
                "cont": "Klicka för att sätta ut nästa hörn.",
                "end": "Klicka på första hörnet (eller Avsluta) för att stänga området.",
            }},
            "polyline": {
                "error": "<strong>Fel:</strong> områdets kanter får inte korsa varandra!",
                "tooltip": {
                    "start": "Klicka för att börja rita linjen.",
                    "cont": "Klicka för att fortsätta rita linjen.",
                    "end": "Klicka på sista punkten för att avsluta linjen.",
                },
            },
            "rectangle": {"tooltip": {"start": "Klicka och dra för att rita en rektangel."}},
            "simpleshape": {"tooltip": {"end": "Släpp musknappen för att avsluta."}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {
                "save": {"title": "Spara ändringarna", "text": "Spara"},
                "cancel": {"title": "Avbryt och ångra alla ändringar", "text": "Avbryt"},
                "clearAll": {"title": "Ta bort alla ritade områden", "text": "Ta bort alla"},
            },
            "buttons": {
                "edit": "Ändra ritade områden",
                "editDisabled": "Inga ritade områden att ändra",
                "remove": "Ta bort ritade områden",
                "removeDisabled": "Inga ritade områden att ta bort",
            },
        },
        "handlers": {
            "edit": {"tooltip": {"text": "Dra i hörnen för att ändra formen.",
                                 "subtext": "Klicka på Avbryt för att ångra ändringarna."}},
            "remove": {"tooltip": {"text": "Klicka på ett ritat område för att ta bort det."}},
        },
    },
    # areas and lengths while drawing: decimal comma, no-break space between thousands
    "format": {"numeric": {"delimiters": {"thousands": "\u00a0", "decimal": ","}}},
}


class _Item(NamedTuple):
    """One legend row: a swatch (``fill``, ``line`` or ``dash`` outline, ``none``) and its text."""

    color: str
    label: str
    kind: str = "fill"
    hint: str = ""


class _Section(NamedTuple):
    """One layer's part of the legend; ``hint`` is the technical term (shown on hover)."""

    title: str
    items: list[_Item]
    hint: str = ""


_LegendList = list[Any]  # list of _Section (also accepts plain (title, [(color, label)]) tuples)


@dataclasses.dataclass(frozen=True)
class MapParts:
    """A base map and its data layers apart (see :func:`map_parts`).

    ``layers`` carry their own legend sections (one shared, collapsible legend on the
    map lists the layers that are switched on); ``legend_html`` is the same legend as
    plain HTML, for a page or a report that shows it elsewhere.
    """

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


# ----------------------------------------------------------------------------- base maps
def base_maps(settings: Settings | None = None) -> dict[str, BaseMapService | None]:
    """The base-map choices by name: OpenStreetMap, the kommun's own services, "ingen".

    The kommun's services come from ``settings.base_maps`` (see
    :class:`~lagesbild_geo.settings.BaseMapService`; in TOML one
    ``[[settings.base_maps]]`` table each). ``"ingen"`` maps to ``None``: no tiles, only
    the offline base drawn from the data. Pass any of the names as ``base=`` to a map
    builder.

    Examples
    --------
    >>> from lagesbild_geo.settings import BaseMapService, Settings
    >>> s = Settings(base_maps=(BaseMapService(name="Lantmäteriet topografisk", type="wmts",
    ...     url="https://lm.example/topowebb/default/3857/{z}/{y}/{x}.png"),))
    >>> list(base_maps(s))
    ['OpenStreetMap', 'Lantmäteriet topografisk', 'ingen']
    >>> base_maps(s)["ingen"] is None
    True
    """
    own = tuple(settings.base_maps) if settings is not None else ()
    return {BASE_OSM: OSM, **{b.name: b for b in own}, BASE_NONE: None}


def resolve_base(base: str | BaseMapService | None, *,
                 settings: Settings | None = None) -> BaseMapService | None:
    """The :class:`~lagesbild_geo.settings.BaseMapService` a ``base=`` argument names.

    Parameters
    ----------
    base
        A name from :func:`base_maps` (case does not matter; å, ä and ö are letters),
        ``"osm"``, ``"none"``/``"ingen"``/``None`` for no tiles, a service object as it
        is, or a tile URL template with ``{z}``, ``{x}``, ``{y}`` (an XYZ service).
    settings
        Where the kommun's own services are listed.

    Raises
    ------
    InputError
        An unknown name (the message lists the choices).

    Examples
    --------
    >>> resolve_base("openstreetmap").name
    'OpenStreetMap'
    >>> resolve_base("ingen") is None
    True
    """
    if base is None or isinstance(base, BaseMapService):
        return base
    text = str(base).strip()
    key = text.casefold()
    if key in ("", "none", BASE_NONE):
        return None
    if key in ("osm", BASE_OSM.casefold()):
        return OSM
    choices = base_maps(settings)
    for name, service in choices.items():
        if name.strip().casefold() == key:
            return service
    if all(k in text for k in ("{z}", "{x}", "{y}")):
        return BaseMapService(name="Bakgrundskarta", type="xyz", url=text, attribution="Kartdata")
    raise InputError(
        f"Unknown base map {text!r}; choose one of {list(choices)} (a kommun's own service is "
        "listed in settings.base_maps), or give a tile URL template with {z}/{x}/{y}."
    )


def _base_from_tiles(tiles: str | None, attribution: str | None) -> BaseMapService | None:
    """The older ``tiles=``/``attribution=`` spelling → a base-map service."""
    if tiles is None:
        return None
    text = str(tiles).strip()
    if text.casefold() in ("openstreetmap", "osm"):
        return OSM
    if text.casefold() in ("", "none", BASE_NONE):
        return None
    if "{z}" in text and "{x}" in text and "{y}" in text:
        return BaseMapService(name="Bakgrundskarta", type="xyz", url=text,
                              attribution=attribution or "Kartdata")
    raise InputError(
        f"tiles must be 'OpenStreetMap', a URL template with {{z}}/{{x}}/{{y}}, or None; got {tiles!r}. "
        "Prefer base= with a name from maps.base_maps()."
    )


def _tile_layer(service: BaseMapService) -> folium.map.Layer:
    """The folium tile layer of a base-map service (XYZ, WMTS as XYZ, WMS)."""
    if service.type == "wms":
        return folium.WmsTileLayer(
            url=service.tile_url(), layers=service.layers, styles=service.style,
            fmt=service.format, transparent=service.transparent, version=service.version,
            attr=service.attribution or service.name, max_zoom=service.max_zoom,
            name="Bakgrundskarta", control=False, overlay=False)
    return folium.TileLayer(tiles=service.tile_url(), attr=service.attribution or service.name,
                            max_zoom=service.max_zoom, name="Bakgrundskarta", control=False,
                            overlay=False)


# ----------------------------------------------------------------------------- scripts
class _RawScript(branca.element.Element):
    """Script text added to the figure as it is (branca would compile it as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _render_raw(element: folium.MacroElement, kwargs: dict[str, Any]) -> None:
    """Add an element's header/html/script macros to the figure as plain text.

    branca's ``MacroElement.render`` wraps each rendered part in ``Element(text)``,
    which compiles it as a Jinja template again: slow for big GeoJSON, and a district
    named ``{{ ... }}`` would be evaluated. Text added here is shown as it is.
    """
    figure: Any = element.get_root()
    module = element._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html),
                         ("script", figure.script)):
        macro = module.get(part)
        if macro is not None:
            target.add_child(_RawScript(str(macro(element, kwargs))), name=element.get_name())


def _js_json(value: Any) -> str:
    """JSON for a ``<script>``: readable UTF-8, with ``<``, ``>`` and ``&`` escaped."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class _JsCall(folium.MacroElement):
    """``(function (target, options) {...})(parent, options)``: a script that works on its
    parent's Leaflet object (the map, or a feature group)."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "({{ this.js }})({{ this._parent.get_name() }}, {{ this.options }});\n"
        "{% endmacro %}"
    )

    def __init__(self, js: str, options: Mapping[str, Any], *, name: str) -> None:
        super().__init__()
        self._name = name
        self.js = js.strip()
        self.options = _js_json(dict(options))

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        _render_raw(self, kwargs)
        for child in self._children.values():
            child.render(**kwargs)


_CSS = """
.lagesbild-legend{background:rgba(255,255,255,.95);border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font:12px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:250px;color:#222}
.lagesbild-legend-toggle{display:block;width:100%;margin:0;border:0;background:none;cursor:pointer;
 font:600 12px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:6px 9px;text-align:left;color:#222}
.lagesbild-legend-toggle:after{content:" \\25BE";}
.lagesbild-collapsed .lagesbild-legend-toggle:after{content:" \\25B8";}
.lagesbild-legend-body{overflow-y:auto;padding:0 9px 7px}
.lagesbild-collapsed .lagesbild-legend-body{display:none}
.lagesbild-label{pointer-events:none}
.lagesbild-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;
 font:600 11px/1.2 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#3b3b3b;
 text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}
.lagesbild-tile-note{background:#fff4ce;border:1px solid #c9a227;color:#4a3b00;padding:6px 9px;
 border-radius:4px;max-width:330px;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.25)}
""".strip()

#: Leaflet's own controls in Swedish, the metric scale bar, the shared legend control and
#: the note shown when the base map's tiles do not load.
_CHROME_JS = """
function (map, o) {
  if (!document.getElementById("lagesbild-css")) {
    var css = document.createElement("style");
    css.id = "lagesbild-css";
    css.textContent = o.css;
    document.head.appendChild(css);
  }
  L.Control.Zoom.prototype.options.zoomInTitle = "Zooma in";
  L.Control.Zoom.prototype.options.zoomOutTitle = "Zooma ut";
  if (map.zoomControl) {
    [[map.zoomControl._zoomInButton, "Zooma in"], [map.zoomControl._zoomOutButton, "Zooma ut"]]
      .forEach(function (b) { if (b[0]) { b[0].title = b[1]; b[0].setAttribute("aria-label", b[1]); } });
  }
  if (!L.Control.Layers.prototype._lagesbildSv) {
    var initLayers = L.Control.Layers.prototype._initLayout;
    L.Control.Layers.prototype._initLayout = function () {
      initLayers.call(this);
      if (this._layersLink) {
        this._layersLink.title = "Välj lager";
        this._layersLink.setAttribute("aria-label", "Välj lager");
      }
    };
    var initPopup = L.Popup.prototype._initLayout;
    L.Popup.prototype._initLayout = function () {
      initPopup.call(this);
      if (this._closeButton) {
        this._closeButton.title = "Stäng";
        this._closeButton.setAttribute("aria-label", "Stäng");
      }
    };
    L.Control.Layers.prototype._lagesbildSv = true;
  }
  L.Control.Attribution.prototype.options.prefix = o.prefix;
  if (map.attributionControl) { map.attributionControl.setPrefix(o.prefix); }
  L.control.scale({metric: true, imperial: false, maxWidth: 120}).addTo(map);

  window.lagesbildLegend = window.lagesbildLegend || function (m) {
    if (m._lagesbildLegend) { return m._lagesbildLegend; }
    var sections = {}, box = null, body = null, btn = null, collapsed = null;
    var ctl = L.control({position: "bottomright"});
    function fit() {
      if (body) { body.style.maxHeight = Math.max(60, m.getSize().y - 130) + "px"; }
    }
    function draw() {
      if (!box) { return; }
      var keys = Object.keys(sections).sort(function (a, b) { return sections[a].order - sections[b].order; });
      body.innerHTML = keys.map(function (k) { return sections[k].html; }).join("");
      box.style.display = keys.length ? "" : "none";
      if (collapsed) { L.DomUtil.addClass(box, "lagesbild-collapsed"); }
      else { L.DomUtil.removeClass(box, "lagesbild-collapsed"); }
      btn.setAttribute("aria-expanded", collapsed ? "false" : "true");
      fit();
    }
    ctl.onAdd = function () {
      box = L.DomUtil.create("div", "lagesbild-legend");
      btn = L.DomUtil.create("button", "lagesbild-legend-toggle", box);
      btn.type = "button";
      btn.textContent = "Teckenförklaring";
      btn.title = "Visa eller dölj teckenförklaringen";
      body = L.DomUtil.create("div", "lagesbild-legend-body", box);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(btn, "click", function () { collapsed = !collapsed; draw(); });
      if (collapsed === null) {
        var s = m.getSize();
        collapsed = (s.y > 0 && s.y < o.smallHeight) || (s.x > 0 && s.x < o.smallWidth);
      }
      draw();
      return box;
    };
    ctl.put = function (key, order, html) { sections[key] = {order: order, html: html}; draw(); };
    ctl.drop = function (key) { delete sections[key]; draw(); };
    m.on("resize", fit);
    ctl.addTo(m);
    m._lagesbildLegend = ctl;
    return ctl;
  };

  if (o.tiles) {
    var ok = 0, bad = 0, started = 0, shown = false, note = null;
    var noteCtl = L.control({position: "bottomleft"});
    noteCtl.onAdd = function () {
      note = L.DomUtil.create("div", "lagesbild-tile-note");
      note.setAttribute("role", "status");
      note.textContent = o.tileNote;
      note.style.display = "none";
      return note;
    };
    noteCtl.addTo(map);
    var update = function (waited) {
      var failed = ok === 0 && (bad > 0 || waited);
      if (failed === shown) { return; }
      shown = failed;
      note.style.display = failed ? "" : "none";
      if (failed) { L.DomUtil.addClass(map.getContainer(), "lagesbild-no-tiles"); }
      else { L.DomUtil.removeClass(map.getContainer(), "lagesbild-no-tiles"); }
      map.fire("lagesbild:tiles", {failed: failed});
    };
    var watch = function (layer) {
      if (!(layer instanceof L.TileLayer) || layer._lagesbildWatched) { return; }
      layer._lagesbildWatched = true;
      started += Object.keys(layer._tiles || {}).length;
      layer.on("tileloadstart", function () { started += 1; });
      layer.on("tileload", function () { ok += 1; update(false); });
      layer.on("tileerror", function () { bad += 1; update(false); });
    };
    map.eachLayer(watch);
    map.on("layeradd", function (e) { watch(e.layer); });
    setTimeout(function () { if (started > 0) { update(true); } }, o.waitMs);
  }
}
"""

#: The offline base: the kommun's outline, the districts' outlines (hover: the name) and
#: their names from a zoom level where each fits, under every data layer.
_OFFLINE_BASE_JS = """
function (map, o) {
  var basePane = map.getPane("lagesbildBase") || map.createPane("lagesbildBase");
  basePane.style.zIndex = 250;
  var labelPane = map.getPane("lagesbildLabels") || map.createPane("lagesbildLabels");
  labelPane.style.zIndex = 450;
  labelPane.style.pointerEvents = "none";
  // in the page's order as on screen: the base before the data layers, the names after them
  var panes = map.getPanes();
  panes.mapPane.insertBefore(basePane, panes.overlayPane);
  panes.mapPane.insertBefore(labelPane, panes.shadowPane);
  var filled = !o.tiles;
  var style = function () {
    return {color: "#707070", weight: 1, opacity: 0.9, fill: true, fillColor: "#f2efe9",
            fillOpacity: filled ? 0.85 : 0};
  };
  var districts = L.geoJSON(o.districts, {
    pane: "lagesbildBase", style: style,
    onEachFeature: function (f, layer) {
      if (f.properties && f.properties.n) {
        layer.bindTooltip(f.properties.n, {sticky: true, direction: "top", opacity: 0.9});
      }
    }
  }).addTo(map);
  L.geoJSON(o.outline, {pane: "lagesbildBase", interactive: false,
    style: {color: "#2f2f2f", weight: 2.5, opacity: 0.9, fill: false}}).addTo(map);
  map.on("lagesbild:tiles", function (e) { filled = !!e.failed; districts.setStyle(style); });
  var marks = o.labels.map(function (d) {
    return {d: d, on: false, m: L.marker([d[1], d[2]], {
      pane: "lagesbildLabels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "lagesbild-label", html: "<span>" + d[0] + "</span>", iconSize: null})
    })};
  });
  var place = function () {
    var z = map.getZoom(), size = map.getSize(), taken = [];
    marks.forEach(function (k) {
      var d = k.d, show = z >= o.minZoom;
      if (show) {
        var mpp = 40075016.686 * Math.cos(d[1] * Math.PI / 180) / (256 * Math.pow(2, z));
        var p = map.latLngToContainerPoint([d[1], d[2]]);
        var w = d[4] * 6.6 + 8, h = 16;
        var r = [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
        show = 2 * d[3] / mpp >= 0.6 * w && r[2] > 0 && r[3] > 0 && r[0] < size.x && r[1] < size.y &&
          !taken.some(function (t) { return r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3]; });
        if (show) { taken.push(r); }
      }
      if (show && !k.on) { k.m.addTo(map); k.on = true; }
      else if (!show && k.on) { k.m.remove(); k.on = false; }
    });
  };
  map.on("zoomend moveend resize", place);
  place();
}
"""

#: One layer's legend section: shown while its feature group is on the map.
_LEGEND_SECTION_JS = """
function (fg, o) {
  fg.on("add", function () {
    if (window.lagesbildLegend && this._map) { window.lagesbildLegend(this._map).put(o.key, o.order, o.html); }
  });
  fg.on("remove", function () {
    if (window.lagesbildLegend && this._map) { window.lagesbildLegend(this._map).drop(o.key); }
  });
}
"""

_ATTRIBUTION_PREFIX = ('<a href="https://leafletjs.com" title="Ett JavaScript-bibliotek för '
                       'interaktiva kartor">Leaflet</a>')


def _add_chrome(m: folium.Map, *, tiles: bool) -> None:
    """Swedish controls, metric scale, the legend control and (with tiles) the tile note."""
    _JsCall(_CHROME_JS, {"css": _CSS, "prefix": _ATTRIBUTION_PREFIX, "tiles": tiles,
                         "tileNote": TILE_ERROR_NOTE, "waitMs": 12000, "smallHeight": 450,
                         "smallWidth": 720}, name="LagesbildChrome").add_to(m)


class _SwedishDraw(folium.plugins.Draw):
    """Leaflet.draw with ``L.drawLocal`` set to Swedish before the control is created.

    The script follows folium's ``Draw`` (streamlit-folium finds the drawn shapes in
    ``drawnItems_<name>``), without folium's alert on clicking a drawn shape.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.drawLocal = {{ this.local }};
            var options = {
              position: {{ this.position|tojson }},
              draw: {{ this.draw_options|tojson }},
              edit: {{ this.edit_options|tojson }},
            };
            var drawnItems_{{ this.get_name() }} =
                new L.featureGroup().addTo({{ this._parent.get_name() }});
            options.edit.featureGroup = drawnItems_{{ this.get_name() }};
            var {{ this.get_name() }} = new L.Control.Draw(options).addTo({{ this._parent.get_name() }});
            {{ this._parent.get_name() }}.on(L.Draw.Event.CREATED, function (e) {
                drawnItems_{{ this.get_name() }}.addLayer(e.layer);
            });
        {% endmacro %}
        """
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.local = _js_json(DRAW_LOCAL_SV)


def add_swedish_draw(m: folium.Map, *, assets: str | None = None, rectangle: bool = True,
                     remove: bool = True) -> folium.plugins.Draw:
    """Add Leaflet.draw to a map with every text in Swedish (polygons and rectangles only).

    ``L.drawLocal`` (the toolbar buttons, the Avsluta/Avbryt/Ta bort senaste punkten
    actions, the drawing tooltips, the edit and remove texts) is set in the control's own
    script, right before the control is created, so it works in a standalone HTML file
    and in streamlit-folium alike. Lengths and areas while drawing are metric, with a
    decimal comma.

    Parameters
    ----------
    m
        The map to draw on.
    assets
        Base URL of local Leaflet.draw copies (see :func:`asset_links`); ``None``: the CDN.
    rectangle
        Offer the rectangle tool beside the polygon tool.
    remove
        Offer the tool that removes drawn shapes.

    Returns
    -------
    folium.plugins.Draw
        The control (already added to ``m``).

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> d = add_swedish_draw(m, assets="/app/static/vendor")
    >>> "Avsluta ritningen" in map_html(m), "Finish drawing" in map_html(m)
    (True, False)
    """
    links = asset_links(assets)
    d = _SwedishDraw(
        export=False,
        position="topleft",
        show_geometry_on_click=False,
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                      "polygon": {"allowIntersection": False, "showArea": False, "metric": True,
                                  "feet": False, "nautic": False},
                      "rectangle": {"showArea": True, "metric": ["km", "ha", "m"]} if rectangle
                      else False},
        edit_options={"edit": False, "remove": bool(remove)},
    )
    d.default_js = [("leaflet_draw_js", links["leaflet_draw_js"])]
    d.default_css = [("leaflet_draw_css", links["leaflet_draw_css"])]
    d.add_to(m)
    return d


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
        _render_raw(self, kwargs)
        for child in self._children.values():
            child.render(**kwargs)


def _plain(frame: Any) -> Any:
    """A shallow copy of a (Geo)DataFrame with empty ``attrs`` (anything else as is)."""
    if isinstance(frame, pd.DataFrame):
        out = frame.copy(deep=False)
        out.attrs = {}
        return out
    return frame


# ----------------------------------------------------------------------------- legend
def _as_section(section: Any) -> _Section:
    if isinstance(section, _Section):
        return section
    title, items = section[0], section[1]
    return _Section(str(title), [it if isinstance(it, _Item) else _Item(*it) for it in items])


def _swatch(item: _Item) -> str:
    base = ("display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-2px;"
            "box-sizing:border-box;")
    if item.kind == "none":
        return ""
    if item.kind == "line":
        return f'<span style="{base}border:2px solid {item.color};background:transparent"></span>'
    if item.kind == "dash":
        return f'<span style="{base}border:2px dashed {item.color};background:transparent"></span>'
    return f'<span style="{base}border:1px solid #777;background:{item.color}"></span>'


def _section_html(section: Any) -> str:
    s = _as_section(section)
    hint = f' title="{html.escape(s.hint, quote=True)}" style="font-weight:600;margin:5px 0 2px;cursor:help"' \
        if s.hint else ' style="font-weight:600;margin:5px 0 2px"'
    parts = [f"<div{hint}>{html.escape(s.title)}</div>"]
    for item in s.items:
        title = f' title="{html.escape(item.hint, quote=True)}"' if item.hint else ""
        parts.append(f"<div{title}>{_swatch(item)}{html.escape(item.label)}</div>")
    return "".join(parts)


def _legend_html(sections: Sequence[Any]) -> str:
    """The whole legend as plain HTML with inline styles (for a page beside the map)."""
    return ('<div class="lagesbild-legend-static" style="background:rgba(255,255,255,0.95);'
            "padding:4px 9px 7px;border-radius:4px;font:12px/1.3 sans-serif;"
            'box-shadow:0 1px 4px rgba(0,0,0,0.3);max-width:250px">'
            + "".join(_section_html(s) for s in sections) + "</div>")


def _attach_legend(fg: folium.FeatureGroup, layer: str, sections: Sequence[Any]) -> None:
    """The layer's legend sections, shown in the map's shared legend while ``fg`` is on."""
    if not sections:
        return
    order = len(_Z_ORDER) - _Z_ORDER.index(layer)  # the top layer first
    _JsCall(_LEGEND_SECTION_JS,
            {"key": layer, "order": order, "html": "".join(_section_html(s) for s in sections)},
            name="LagesbildLegendSection").add_to(fg)


# ----------------------------------------------------------------------------- helpers
def _round_geoms(geoms: gpd.GeoSeries, *, simplify: float = 0.0,
                 decimals: int = _DECIMALS) -> np.ndarray:
    """Rounded (and optionally simplified) shapely geometries as an array (vectorised)."""
    arr = np.asarray(geoms.values, dtype=object)
    if simplify > 0:
        arr = shapely.simplify(arr, simplify, preserve_topology=True)
    return np.asarray(shapely.transform(arr, lambda xy: np.round(xy, decimals)), dtype=object)


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
    return sv.integer(x)


def _fmt_num(x: Any, decimals: int = 1) -> str:
    return sv.number(x, decimals=decimals)


def _fmt_p(p: Any) -> str:
    if sv.is_missing(p):
        return sv.MISSING
    return "< 0,0001" if float(p) < 0.0001 else sv.number(p, decimals=4)


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


def _class_style(classes: dict[str, int], palette: Sequence[str], *,
                 fill_opacity: float) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A choropleth's style function: each feature filled with its class's colour (a class past
    the palette takes its last colour); one without a class (-1 or not listed) white, dashed."""

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = classes.get(feature["id"], -1)
        if k < 0:
            return _style(_MISSING_FILL, fill_opacity=0.0, weight=1, line="#555555", dash="4 3")
        return _style(palette[min(k, len(palette) - 1)], fill_opacity=fill_opacity, weight=1,
                      line="#555555")

    return style_fn


def _first_col(df: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    for c in candidates:
        if c in df.columns:
            return c
    return None


def _cell_ids(index: pd.Index) -> list[str]:
    if index.dtype == np.uint64 or str(index.dtype).startswith(("uint", "int")):
        return cells_to_str(index.to_numpy())
    return [str(v) for v in index]


def _district_names(districts: gpd.GeoDataFrame | None) -> tuple[np.ndarray, list[str]] | None:
    """District polygons (WGS84, as an array) and their names, or None without districts."""
    if districts is None or not isinstance(districts, gpd.GeoDataFrame) or districts.empty:
        return None
    d = _to_wgs84(districts, "districts")
    if "district_name" in d.columns:
        names = d["district_name"].astype(object).where(d["district_name"].notna(), "").astype(str)
    elif "district_code" in d.columns:
        names = d["district_code"].astype(str)
    else:
        names = pd.Series([str(i) for i in d.index], index=d.index)
    return np.asarray(d.geometry.values, dtype=object), names.tolist()


def _district_at(shapes: gpd.GeoDataFrame, districts: tuple[np.ndarray, list[str]] | None) -> list[str]:
    """The name of the district each shape's centre lies in ("" outside every district)."""
    out = np.full(len(shapes), "", dtype=object)
    if districts is None or not len(shapes):
        return out.tolist()
    geoms, names = districts
    centres = shapely.centroid(np.asarray(shapes.geometry.values, dtype=object))
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    tree = shapely.STRtree(geoms[ok])
    pt, di = tree.query(centres, predicate="within")
    out[pt] = np.asarray(names, dtype=object)[ok[di]]
    return out.tolist()


# ----------------------------------------------------------------------------- layers
def _cells_layer(cells: gpd.GeoDataFrame, *, category: str | None, min_count: int,
                 legend: _LegendList, districts: tuple[np.ndarray, list[str]] | None = None,
                 show_suppressed: bool = False) -> folium.FeatureGroup:
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
    keep = ~(raw == 0)  # zeros are not drawn
    if not show_suppressed:
        keep &= np.isfinite(raw)  # nor, by default, hexagons whose count is hidden
    n_hidden = int((~np.isfinite(raw)).sum())
    cells = cells.loc[keep]
    counts = raw[keep]
    palette = PALETTES["cells"]
    title = "Antal händelser per hexagon" + (
        "" if category is None else f" – {CATEGORY_LABELS.get(category, category)}")
    few_note = (f"Färre än {min_count} händelser: "
                + ("bara kant, ingen siffra" if show_suppressed else "visas inte"))
    few_hint = (f"Hexagoner med färre än {min_count} händelser, och de som döljs för att sådana "
                "inte ska kunna räknas fram, visar ingen siffra"
                + (" (streckad kant)." if show_suppressed else " och ritas inte."))
    few_item = _Item(_SUPPRESSED_LINE, few_note, "dash" if show_suppressed else "none", few_hint)
    if cells.empty:
        if n_hidden:
            legend.append(_Section(title, [few_item]))
        return fg
    shown = np.isfinite(counts)
    breaks = _bins(counts[shown], len(palette)) if shown.any() else np.array([0.0])
    klass = _classify(np.nan_to_num(counts), breaks)
    ids = _cell_ids(cells.index)
    recs = [{k: r.get(k) for k in ("suppressed_primary", "suppressed_secondary")}
            for r in cells.to_dict(orient="records")] if "suppressed_primary" in cells.columns \
        else [{} for _ in range(len(cells))]
    props = pd.DataFrame({
        "antal": [_fmt_int(c) if ok else _hidden_text(r, col)
                  for c, ok, r in zip(counts, shown, recs, strict=True)],
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
            parts = [f"{names[j]} {_fmt_int(m[i, j])}" for j in order[i]
                     if np.isfinite(m[i, j]) and m[i, j] > 0]
            tops.append(", ".join(parts))
        props["vanligast"] = tops
    if districts is not None:
        props["omrade"] = _district_at(cells, districts)
    styles = np.where(shown, klass, -1)
    style_by_id = dict(zip(ids, styles.tolist(), strict=True))

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = style_by_id.get(feature["id"], -1)
        if k < 0:  # too few: an outline, no fill (only with show_suppressed)
            return _style(_SUPPRESSED_LINE, fill_opacity=0.0, weight=1, line=_SUPPRESSED_LINE,
                          dash="3 3")
        return _style(palette[min(k, len(palette) - 1)], fill_opacity=0.7, weight=0.4,
                      line="#6a5d8f")

    fields = ["antal"] + (["vanligast"] if "vanligast" in props else []) \
        + (["omrade"] if "omrade" in props else [])
    alias_sv = {"antal": "Antal händelser:", "vanligast": "Vanligast:", "omrade": "Område:"}
    aliases = [alias_sv[f] for f in fields]
    _GeoJson(
        _feature_collection(cells, props, ids),
        name=LAYERS["cells"],
        style_function=style_fn,
        highlight_function=lambda f: {"weight": 2, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fg)
    if shown.any():
        labels = _class_labels(breaks, float(counts[shown].min()), float(counts[shown].max()),
                               _fmt_int, integer=True)
        used = sorted(set(klass[shown].tolist()))
        items = [_Item(palette[min(k, len(palette) - 1)], labels[k]) for k in used if k < len(labels)]
    else:
        items = []
    if n_hidden:
        items.append(few_item)
    legend.append(_Section(title, items))
    return fg


def _hotspots_layer(hotspots: gpd.GeoDataFrame, *, legend: _LegendList,
                    districts: tuple[np.ndarray, list[str]] | None = None) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=LAYERS["hotspots"], show=True)
    if hotspots.empty or "hotspot_class" not in hotspots.columns:
        return fg
    hs = _to_wgs84(hotspots, "hotspots")
    hs = hs.loc[hs["hotspot_class"].astype("string").isin(list(_HOT_COLD)).fillna(False).to_numpy()]
    if hs.empty:
        legend.append(_Section(LAYERS["hotspots"],
                               [_Item("#ffffff", "Inga statistiskt säkerställda koncentrationer",
                                      "none")], _GI_HINT))
        return fg
    ids = _cell_ids(hs.index)
    cls = hs["hotspot_class"].astype(str).to_numpy()
    props = pd.DataFrame({
        "klass": [_HOT_COLD[c][1] for c in cls],
        "z": [_fmt_num(z, 2) for z in pd.to_numeric(hs.get("gi_z", pd.Series(np.nan, index=hs.index)),
                                                     errors="coerce")],
        "p": [_fmt_p(p) for p in pd.to_numeric(hs.get("gi_p_adj", hs.get("gi_p", pd.Series(
            np.nan, index=hs.index))), errors="coerce")],
    })
    if "count" in hs.columns:
        recs = hs.to_dict(orient="records")
        props["antal"] = [_hidden_text(r, "count") if pd.isna(c) else _fmt_int(c)
                          for c, r in zip(hs["count"].tolist(), recs, strict=True)]
    if districts is not None:
        props["omrade"] = _district_at(hs, districts)
    cls_by_id = dict(zip(ids, cls.tolist(), strict=True))

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        return _style(_HOT_COLD[cls_by_id[feature["id"]]][0], fill_opacity=0.75, weight=0.3)

    plain = ["klass"] + [f for f in ("antal", "omrade") if f in props]
    alias_sv = {"klass": "Resultat:", "antal": "Antal händelser:", "omrade": "Område:",
                "z": '<span title="Gi* z-värde: hur många standardavvikelser hexagonens grannskap '
                     'ligger över (+) eller under (−) kommunens genomsnitt">Avvikelse från '
                     "genomsnittet:</span>",
                "p": '<span title="p-värde, justerat för att många hexagoner prövas samtidigt (FDR). '
                     'Ju lägre, desto säkrare.">Risk att det är slumpen:</span>'}
    _GeoJson(
        _feature_collection(hs, props, ids),
        name=LAYERS["hotspots"],
        style_function=style_fn,
        tooltip=folium.GeoJsonTooltip(fields=plain, aliases=[alias_sv[f] for f in plain],
                                      sticky=False),
        popup=folium.GeoJsonPopup(fields=[*plain, "z", "p"],
                                  aliases=[alias_sv[f] for f in (*plain, "z", "p")]),
    ).add_to(fg)
    present = [c for c in _HOT_COLD if c in set(cls.tolist())]
    legend.append(_Section(LAYERS["hotspots"],
                           [_Item(*_HOT_COLD[c], hint=_GI_HINT) for c in present], _GI_HINT))
    return fg


def _clusters_layer(clusters: gpd.GeoDataFrame, *, min_count: int,
                    legend: _LegendList) -> folium.FeatureGroup:
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
                          "antal": [_fmt_int(v) for v in n]})
    if "area_m2" in cl.columns:
        props["yta"] = [f"{_fmt_num(a / 1e4, 1)}\u00a0ha" for a in cl["area_m2"].to_numpy(dtype="float64")]
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
    color = PALETTES["clusters"][0]
    _GeoJson(
        _feature_collection(cl, props, ids),
        name=LAYERS["clusters"],
        style_function=lambda f: _style(color, fill_opacity=0.06, weight=2, line=color),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[alias_sv[f] for f in fields]),
    ).add_to(fg)
    hint = ("Täthetskluster (DBSCAN): platser där många händelser ligger tätt, oavsett "
            "hexagonernas gränser. Små samlingar (färre än minsta antal) ritas inte.")
    legend.append(_Section(LAYERS["clusters"],
                           [_Item(color, "Tät samling av händelser", "line", hint)], hint))
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


def _emerging_kind(label: str) -> tuple[str, bool]:
    """(kind, is cold) of an emerging class name (``new_hot``, ``intensifying_cold``, ``new``)."""
    low = label.lower()
    cold = low.endswith("_cold") or low == "cold"
    return low.split("_")[0], cold


def _emerging_layer(emerging: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *,
                    legend: _LegendList) -> folium.FeatureGroup:
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
        legend.append(_Section(LAYERS["emerging"], [_Item("#ffffff", "Inga framväxande mönster",
                                                          "none")], _EMERGING_HINT))
        return fg
    kinds = sorted(labels.unique().tolist(), key=lambda k: (_emerging_kind(k)[1], k))
    others = iter(PALETTES["emerging"][::-1])
    colors: dict[str, str] = {}
    for k in kinds:
        kind, _ = _emerging_kind(k)
        colors[k] = _EMERGING_COLORS.get(kind) or next(others, PALETTES["emerging"][-1])
    cold = {k: _emerging_kind(k)[1] for k in kinds}
    sv_names = {k: _EMERGING_LABELS_SV.get(_emerging_kind(k)[0], k.replace("_", " ")) for k in kinds}
    if f"{col}_sv" in em.columns:  # the library's own Swedish names win
        pairs = em[[col, f"{col}_sv"]].astype("string").dropna().drop_duplicates(col)
        sv_names.update(dict(zip(pairs[col], pairs[f"{col}_sv"], strict=True)))
    ids = _cell_ids(em.index)
    by_id = dict(zip(ids, labels.tolist(), strict=True))
    props = pd.DataFrame({"monster": [sv_names[k] for k in labels]})

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        k = by_id[feature["id"]]
        if cold[k]:
            return _style(colors[k], fill_opacity=0.1, weight=2, line=colors[k], dash="4 3")
        return _style(colors[k], fill_opacity=0.7, weight=0.4)

    _GeoJson(
        _feature_collection(em, props, ids),
        name=LAYERS["emerging"],
        style_function=style_fn,
        tooltip=folium.GeoJsonTooltip(fields=["monster"], aliases=["Mönster:"]),
    ).add_to(fg)
    legend.append(_Section(LAYERS["emerging"],
                           [_Item(colors[k], sv_names[k], "dash" if cold[k] else "fill") for k in kinds],
                           _EMERGING_HINT))
    return fg


_DISTRICT_COLS: dict[str, tuple[str, ...]] = {
    "count": ("total", "count", "antal", "n_incidents", "incidents"),
    "per_1000": ("per_1000", "rate_per_1000", "count_per_1000", "per_1000_inv"),
    "change": ("change_pct", "change_percent", "change", "forandring"),
}


def _districts_layer(lb: Lagesbild, *, measure: str, min_count: int,
                     legend: _LegendList) -> folium.FeatureGroup:
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
    pop = (pd.to_numeric(d["population"], errors="coerce").to_numpy(dtype="float64")
           if "population" in d.columns else np.full(len(d), np.nan))
    props = pd.DataFrame({
        "namn": names,
        "kod": ids,
        "antal": [w if tf else _fmt_int(c) for c, tf, w in zip(counts, too_few, why, strict=True)],
        "invanare": [_fmt_int(p) if np.isfinite(p) else "okänt" for p in pop],
    })
    for key, label_col in (("per_1000", "per_1000"), ("change", "change")):
        col = _first_col(d, _DISTRICT_COLS[key])
        if col:
            v = pd.to_numeric(d[col], errors="coerce").to_numpy(dtype="float64")
            props[label_col] = [w if tf else ("–" if not np.isfinite(x) else
                                              _fmt_num(x) + ("\u00a0%" if key == "change" else ""))
                                for x, tf, w in zip(v, too_few, why, strict=True)]
    fin = np.isfinite(values)
    if measure == "change":
        lim = float(np.nanmax(np.abs(values[fin]))) if fin.any() else 1.0
        lim = max(lim, 1.0)
        breaks = np.array([-lim / 2, -lim / 10, lim / 10, lim / 2])
        palette: Sequence[str] = PALETTES["districts_change"]
    else:
        breaks = _bins(values[fin], len(PALETTES["districts"])) if fin.any() else np.array([0.0])
        palette = PALETTES["districts"]
    klass = np.where(fin, _classify(np.nan_to_num(values), breaks), -1)
    style_fn = _class_style(dict(zip(ids, klass.tolist(), strict=True)), palette, fill_opacity=0.45)
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
            labels = [f"under {b[0]}\u00a0%", f"{b[0]} till {b[1]}\u00a0%", f"{b[1]} till {b[2]}\u00a0%",
                      f"{b[2]} till {b[3]}\u00a0%", f"över {b[3]}\u00a0%"]
        else:
            labels = _class_labels(breaks, float(values[fin].min()), float(values[fin].max()), fmt,
                                   integer=measure == "count")
        used = sorted(set(klass[fin].tolist()))
        items = [_Item(palette[min(k, len(palette) - 1)], labels[k]) for k in used if k < len(labels)]
    else:
        items = []
    missing = "saknas" if value_col is None else TOO_FEW
    if (~fin).any():
        items.append(_Item("#555555", missing.capitalize(), "dash"))
    legend.append(_Section(title, items))
    return fg


def _survey_layer(lb: Lagesbild, *, min_respondents: int,
                  legend: _LegendList) -> folium.FeatureGroup:
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
    n = (pd.to_numeric(joined[n_col], errors="coerce").to_numpy(dtype="float64") if n_col
         else np.full(len(joined), np.nan))
    few = np.isfinite(n) & (n < min_respondents)
    if "_survey_suppressed" in joined.columns:
        few |= joined["_survey_suppressed"].fillna(False).to_numpy(dtype=bool)
    v = np.where(few, np.nan, v)
    fin = np.isfinite(v)
    breaks = np.array([10.0, 20.0, 30.0, 40.0])
    klass = np.where(fin, _classify(np.nan_to_num(v), breaks), -1)
    ids = [str(i) for i in joined.index]
    pal = PALETTES["survey"]
    props = pd.DataFrame({
        "otrygga": ["för få svar för att visas" if f else (_fmt_num(x, 0) + "\u00a0%" if np.isfinite(x) else "–")
                    for x, f in zip(v, few, strict=True)],
        "svar": [_fmt_int(x) for x in n],
    })

    _GeoJson(
        _feature_collection(joined, props, ids, simplify=_SIMPLIFY_DEG),
        name=LAYERS["survey"],
        style_function=_class_style(dict(zip(ids, klass.tolist(), strict=True)), pal,
                                    fill_opacity=0.55),
        tooltip=folium.GeoJsonTooltip(fields=["otrygga", "svar"],
                                      aliases=["Otrygga kvällstid:", "Antal svar:"]),
    ).add_to(fg)
    _pins_into(fg, lb.survey.get("pins"), legend)
    legend.append(_Section("Andel otrygga (enkät)",
                           [_Item(pal[0], "under 10\u00a0%"), _Item(pal[1], "10–20\u00a0%"),
                            _Item(pal[2], "20–30\u00a0%"), _Item(pal[3], "30–40\u00a0%"),
                            _Item(pal[4], "40\u00a0% och mer"),
                            _Item("#555555", f"Färre än {min_respondents} svar", "dash")]))
    return fg


def _pins_into(fg: folium.FeatureGroup, pins: Any, legend: _LegendList) -> None:
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
    color = PALETTES["survey"][-1]
    _GeoJson(
        _feature_collection(p, props, ids),
        name="Kartnålar",
        style_function=lambda f: _style("#ffffff", fill_opacity=0.0, weight=2, line=color,
                                        dash="3 3"),
        tooltip=folium.GeoJsonTooltip(fields=["nalar", "orsak"],
                                      aliases=["Kartnålar i enkäten:", "Vanligaste orsak:"]),
    ).add_to(fg)
    legend.append(_Section("Enkätens kartnålar", [_Item(color, "Hexagon med flera kartnålar", "dash")]))


def _areas_layer(areas: gpd.GeoDataFrame, legend: _LegendList) -> folium.FeatureGroup:
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
    color = PALETTES["areas"][0]
    _GeoJson(
        _feature_collection(a, props, ids),
        name=LAYERS["areas"],
        style_function=lambda f: _style(color, fill_opacity=0.08, weight=3, line=color,
                                        dash="6 4"),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fg)
    legend.append(_Section(LAYERS["areas"], [_Item(color, "Område med åtgärder", "dash")]))
    return fg


_DENSITY_COLORS = PALETTES["density"]


def density_layer(lb: Lagesbild, *, category: str | None = None, min_count: int | None = None,
                  legend: _LegendList | None = None,
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
    >>> from lagesbild_geo.bundle import Lagesbild
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
    hint = ("Kärntäthetsskattning (KDE, kvartisk kärna): händelser utsmetade över en bandbredd "
            f"på {_fmt_int(round(a['bandwidth_m']))} m, per km².")
    if dens.empty:
        sections.append(_Section(title, [_Item("#ffffff", note, "none")], hint))
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
        style_function=lambda f: _style(colour[f["id"]], fill_opacity=0.6, weight=0),
        tooltip=folium.GeoJsonTooltip(fields=["tathet"], aliases=["Täthet:"], sticky=False),
    ).add_to(fg)
    sections.append(_Section(title, [*[_Item(colour[f"t{k}"], labels[k]) for k in used],
                                     _Item("#ffffff", note, "none")], hint))
    return fg


# ----------------------------------------------------------------------------- the offline base
def _offline_base_options(named: tuple[np.ndarray, list[str]] | None, *, tiles: bool,
                          labels: bool) -> dict[str, Any] | None:
    """Options of the offline base script (see :func:`_offline_base_shapes`)."""
    if named is None or not len(named[0]):
        return None
    geoms, names = named
    digest = hashlib.sha256()
    for wkb in shapely.to_wkb(geoms):
        digest.update(wkb or b"-")
    digest.update("\x00".join(names).encode("utf-8"))
    key = digest.hexdigest()
    with _BASE_CACHE_LOCK:
        shapes = _BASE_CACHE.get(key)
        if shapes is not None:
            _BASE_CACHE.move_to_end(key)
    if shapes is None:
        shapes = _offline_base_shapes(geoms, names)
        with _BASE_CACHE_LOCK:
            _BASE_CACHE[key] = shapes
            while len(_BASE_CACHE) > _BASE_CACHE_SIZE:
                _BASE_CACHE.popitem(last=False)
    if shapes is None:
        return None
    return {"districts": shapes["districts"], "outline": shapes["outline"], "tiles": tiles,
            "minZoom": _LABEL_MIN_ZOOM, "labels": shapes["labels"] if labels else []}


#: Offline bases by the districts' content: the union and the label points of a large
#: kommun take a second, and the app asks for the same base on every filter change. A
#: pure function's results (the same districts give the same base for every user).
_BASE_CACHE: collections.OrderedDict[str, dict[str, Any] | None] = collections.OrderedDict()
_BASE_CACHE_LOCK = threading.Lock()
_BASE_CACHE_SIZE = 8


def _offline_base_shapes(geoms_wgs84: np.ndarray, names: list[str]) -> dict[str, Any] | None:
    """The kommun's outline (the union of the districts), the districts (simplified, with
    their names) and one label point per district, as GeoJSON-ready data.

    Label points are the centres of each district's largest inscribed circle (inside the
    district, as far from its edges as can be); the circle's radius decides from which
    zoom the name fits. Names are HTML-escaped (they are shown as HTML). Coordinates have
    4 decimals (about 10 m: a background outline, half the payload of the data layers').
    """
    metric = gpd.GeoSeries(geoms_wgs84, crs="EPSG:4326").to_crs("EPSG:3006")
    geoms = np.asarray(metric.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms, names = geoms[ok], [n for n, k in zip(names, ok, strict=True) if k]
    if not len(geoms):
        return None
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # repaired as polygons (a bow-tie stays an area, never a line collection)
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    try:  # neighbours keep one shared edge (no gaps or double lines between them)
        simple = shapely.coverage_simplify(geoms, _BASE_SIMPLIFY_M)
    except shapely.errors.GEOSException:
        simple = shapely.simplify(geoms, _BASE_SIMPLIFY_M, preserve_topology=True)
    areas = shapely.area(geoms[polygonal])
    min_hole = max(10_000.0, 0.5 * float(np.median(areas))) if len(areas) else 10_000.0
    outline = _without_slivers(shapely.union_all(simple[polygonal]), min_hole)
    to_wgs = gpd.GeoSeries([*simple, outline], crs="EPSG:3006").to_crs("EPSG:4326")
    shapes = _round_geoms(to_wgs, decimals=4)
    texts = shapely.to_geojson(shapes)
    feats = [{"type": "Feature", "properties": {"n": html.escape(n, quote=True)},
              "geometry": json.loads(t)} for n, t in zip(names, texts[:-1], strict=True)]
    points = shapely.point_on_surface(geoms)
    radius = np.zeros(len(geoms))
    if polygonal.any():
        circles = shapely.maximum_inscribed_circle(simple[polygonal])
        points[polygonal] = shapely.get_point(circles, 0)
        radius[polygonal] = shapely.length(circles)
    centres = gpd.GeoSeries(points, crs="EPSG:3006").to_crs("EPSG:4326")
    rows = [[html.escape(n, quote=True), round(float(p.y), _DECIMALS), round(float(p.x), _DECIMALS),
             round(float(r)), len(n)]
            for n, p, r in zip(names, centres, radius, strict=True) if n.strip()]
    return {"districts": {"type": "FeatureCollection", "features": feats},
            "outline": {"type": "Feature", "properties": {}, "geometry": json.loads(texts[-1])},
            "labels": sorted(rows, key=lambda row: -row[3])}


def _without_slivers(geom: Any, min_hole_m2: float) -> Any:
    """A polygon (or multipolygon) without the small holes left between neighbours that
    do not quite meet; a real hole (an area outside every district, as large as half a
    typical district or more) stays."""
    parts = shapely.get_parts(geom)
    out = []
    for part in parts:
        if part.geom_type != "Polygon":
            continue
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= min_hole_m2]
        out.append(shapely.Polygon(part.exterior, holes))
    return shapely.simplify(shapely.MultiPolygon(out) if len(out) != 1 else out[0], _BASE_SIMPLIFY_M)


def _add_offline_base(m: folium.Map, named: tuple[np.ndarray, list[str]] | None, *, tiles: bool,
                      labels: bool = True) -> None:
    options = _offline_base_options(named, tiles=tiles, labels=labels)
    if options is not None:
        _JsCall(_OFFLINE_BASE_JS, options, name="LagesbildOfflineBase").add_to(m)


def _base_map(center: list[float], zoom: int, *, base: BaseMapService | None, links: dict[str, str],
              height: int | str, districts: tuple[np.ndarray, list[str]] | None = None,
              labels: bool = True) -> folium.Map:
    """An empty Leaflet map loading only Leaflet itself (from ``links``), the chosen tiles,
    Swedish controls and the offline base drawn from ``districts``."""
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, height=height,
                   control_scale=False, prefer_canvas=False)
    # Own lists (never mutate folium's class-level defaults): only Leaflet itself.
    m.default_js = [("leaflet", links["leaflet_js"])]
    m.default_css = [("leaflet_css", links["leaflet_css"])]
    if base is not None:
        _tile_layer(base).add_to(m)
    _add_chrome(m, tiles=base is not None)
    _add_offline_base(m, districts, tiles=base is not None, labels=labels)
    return m


def empty_map(*, base: str | BaseMapService | None = BASE_OSM, settings: Settings | None = None,
              assets: str | None = None, height: int | str = 420, zoom: int = 13) -> folium.Map:
    """An empty map with the chosen base map (:func:`resolve_base`), the Swedish controls
    and the tile-failure note, loading Leaflet from ``assets``: for a small map of other
    layers (e.g. near-repeat risk zones) that follows the user's base-map choice.

    Examples
    --------
    >>> m = empty_map(base="ingen")
    >>> "tile.openstreetmap.org" in m.get_root().render()
    False
    """
    return _base_map([59.33, 18.06], zoom, base=resolve_base(base, settings=settings),
                     links=asset_links(assets), height=height)


def _choose_base(base: str | BaseMapService | None, tiles: Any, attribution: str | None,
                 settings: Settings | None) -> BaseMapService | None:
    if tiles is not _DEFAULT:
        if base != BASE_OSM:
            raise InputError("Give the base map as base= (a name from maps.base_maps()) or, in the "
                             "older spelling, as tiles=, not both.")
        return _base_from_tiles(tiles, attribution)
    return resolve_base(base, settings=settings)


class _Default:
    def __repr__(self) -> str:
        return "<default>"


_DEFAULT: Any = _Default()


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
    base: str | BaseMapService | None = BASE_OSM,
    tiles: str | None = _DEFAULT,
    attribution: str | None = None,
    assets: str | None = None,
    draw: bool = False,
    min_count: int | None = None,
    legend: bool = True,
    height: int | str = "100%",
    show_suppressed: bool = False,
    labels: bool = True,
    settings: Settings | None = None,
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
    base
        The base map: a name from :func:`base_maps` (``"OpenStreetMap"``, a kommun
        service listed in ``settings.base_maps``, ``"ingen"``), a
        :class:`~lagesbild_geo.settings.BaseMapService`, or ``None`` (no tiles). The
        offline base drawn from the districts lies under it whatever the choice.
    tiles, attribution
        The older spelling of ``base``: ``"OpenStreetMap"``, a tile URL template with
        ``{z}``, ``{x}``, ``{y}`` (and its attribution), or ``None``.
    assets
        Base URL of local copies of Leaflet and Leaflet.draw (see :func:`asset_links`);
        ``None`` loads them from the CDN.
    draw
        Add the drawing tool in Swedish (polygon and rectangle only; :func:`add_swedish_draw`).
    min_count
        Aggregates below this many incidents are shown as "för få fall för att visas";
        default ``lagesbild.settings.min_count``.
    legend
        Add the legend (one collapsible control listing the layers switched on).
    height
        Map height (CSS, or pixels).
    show_suppressed
        Draw hexagons whose count is hidden (too few incidents) as dashed outlines;
        by default they are left out (the legend says so).
    labels
        Show the districts' names on the map (from a zoom level where each fits).
    settings
        Where the kommun's base-map services are listed; default ``lagesbild.settings``.

    Returns
    -------
    folium.Map
        Never contains individual incidents.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> from lagesbild_geo.bundle import Lagesbild
    >>> cells = gpd.GeoDataFrame({"count": [5, 4, 1]}, geometry=[box(17.0, 59.3, 17.01, 59.31),
    ...     box(17.01, 59.3, 17.02, 59.31), box(17.02, 59.3, 17.03, 59.31)], crs="EPSG:4326",
    ...     index=pd.Index([617733122422996991, 617733122423259135, 617733122423521279],
    ...                    dtype="uint64", name="cell"))
    >>> empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={},
    ...     cells=cells, hotspots=cells, clusters=empty, emerging=empty, districts=empty,
    ...     district_summary=pd.DataFrame())
    >>> m = lagesbild_map(lb, layers=["cells"], base="ingen", assets="/app/static/vendor")
    >>> script_links(m)
    ['/app/static/vendor/leaflet/leaflet.js', '/app/static/vendor/leaflet/leaflet.css']
    >>> '"antal": "5"' in map_html(m), '"antal": "1"' in map_html(m)  # 4 hidden to protect the 1
    (True, False)
    """
    parts = map_parts(lagesbild, layers=layers, areas=areas, category=category,
                      district_measure=district_measure, base=base, tiles=tiles,
                      attribution=attribution, assets=assets, draw=draw, min_count=min_count,
                      height=height, legend=legend, show_suppressed=show_suppressed,
                      labels=labels, settings=settings)
    m = parts.map
    for fg in parts.layers:
        fg.add_to(m)
    if len(parts.layers) > 1:
        folium.LayerControl(collapsed=True).add_to(m)
    return m


def map_parts(
    lagesbild: Lagesbild,
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    areas: gpd.GeoDataFrame | None = None,
    category: str | None = None,
    district_measure: str = "count",
    base: str | BaseMapService | None = BASE_OSM,
    tiles: str | None = _DEFAULT,
    attribution: str | None = None,
    assets: str | None = None,
    draw: bool = False,
    min_count: int | None = None,
    height: int | str = "100%",
    legend: bool = True,
    show_suppressed: bool = False,
    labels: bool = True,
    settings: Settings | None = None,
) -> MapParts:
    """The pieces of :func:`lagesbild_map`: a base map and the data layers apart.

    The base map holds what does not change with a filter (Leaflet, tiles, Swedish
    controls, the offline base of district outlines and names, the drawing tool, the
    view fitted to the districts); the layers and their legend sections do. An app can
    keep the base map in the browser and swap only the layers (streamlit-folium's
    ``feature_group_to_add``), so a filter change keeps the user's zoom and position;
    each layer adds its section to the map's one legend while it is switched on.
    Parameters as for :func:`lagesbild_map`.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from lagesbild_geo.bundle import Lagesbild
    >>> e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    >>> lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
    ...     hotspots=e, clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame())
    >>> parts = map_parts(lb, layers=("cells", "areas"), base="ingen")
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
    lb_settings = lagesbild.settings if isinstance(lagesbild.settings, Settings) else Settings()
    service = _choose_base(base, tiles, attribution, settings or lb_settings)
    mc = lb_settings.min_count if min_count is None else int(min_count)
    # every figure on the map comes from the publishing step (a published bundle passes as is)
    lagesbild = publishable(lagesbild, Privacy(min_count=mc, min_respondents=lb_settings.min_respondents))
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
    named = _district_names(lagesbild.districts)
    m = _base_map(center, 12, base=service, links=links, height=height, districts=named,
                  labels=labels)

    sections_all: list[Any] = []
    groups: list[folium.FeatureGroup] = []
    for layer in sorted(set(layers), key=_Z_ORDER.index):
        sections: list[Any] = []
        fg = _data_layer(layer, lagesbild, areas=areas, category=category,
                         district_measure=district_measure, min_count=mc,
                         min_respondents=lb_settings.min_respondents, districts=named,
                         show_suppressed=show_suppressed, legend=sections)
        if legend:
            _attach_legend(fg, layer, sections)
        # the legend lists the top layer first
        sections_all[:0] = sections
        groups.append(fg)

    if draw:
        add_swedish_draw(m, assets=assets)
    if bounds:
        m.fit_bounds(bounds)
    return MapParts(map=m, layers=groups,
                    legend_html=_legend_html(sections_all) if sections_all else "")


def _data_layer(layer: str, lagesbild: Lagesbild, *, areas: gpd.GeoDataFrame | None,
                category: str | None, district_measure: str, min_count: int, min_respondents: int,
                districts: tuple[np.ndarray, list[str]] | None, show_suppressed: bool,
                legend: _LegendList) -> folium.FeatureGroup:
    """The feature group of one of :data:`LAYERS` (its legend sections go into ``legend``)."""
    if layer == "cells":
        return _cells_layer(lagesbild.cells, category=category, min_count=min_count, legend=legend,
                            districts=districts, show_suppressed=show_suppressed)
    if layer == "hotspots":
        return _hotspots_layer(lagesbild.hotspots, legend=legend, districts=districts)
    if layer == "clusters":
        return _clusters_layer(lagesbild.clusters, min_count=min_count, legend=legend)
    if layer == "emerging":
        return _emerging_layer(lagesbild.emerging, lagesbild.cells, legend=legend)
    if layer == "districts":
        return _districts_layer(lagesbild, measure=district_measure, min_count=min_count, legend=legend)
    if layer == "survey":
        return _survey_layer(lagesbild, min_respondents=min_respondents, legend=legend)
    if layer == "density":
        return density_layer(lagesbild, category=category, min_count=min_count, legend=legend)
    return _areas_layer(areas if areas is not None else gpd.GeoDataFrame(geometry=[]), legend=legend)


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
    base: str | BaseMapService | None = BASE_OSM,
    tiles: str | None = _DEFAULT,
    attribution: str | None = None,
    assets: str | None = None,
    height: int | str = 420,
    districts: gpd.GeoDataFrame | None = None,
    settings: Settings | None = None,
) -> folium.Map:
    """A small map of a follow-up's zones: the measure's area, the buffer ring and,
    when it is a drawn area, the comparison area (``FollowupResult.zones``).

    The view fits the area and its buffer (a comparison area that is the rest of
    the kommun is not drawn). No incidents are shown. ``base``/``tiles``/``settings``
    as for :func:`lagesbild_map`; ``districts`` (e.g. ``lagesbild.districts``) draws
    the offline base of district outlines and names under the zones.

    Examples
    --------
    >>> import shapely
    >>> z = gpd.GeoDataFrame({"zone": ["area", "buffer"]},
    ...     geometry=[shapely.box(17.10, 59.36, 17.11, 59.37),
    ...               shapely.box(17.09, 59.35, 17.12, 59.38).difference(shapely.box(17.10, 59.36, 17.11, 59.37))],
    ...     crs="EPSG:4326")
    >>> m = zones_map(z, base="ingen")
    >>> "Buffertzon" in map_html(m)
    True
    """
    if "zone" not in zones.columns:
        raise InputError("zones_map needs a 'zone' column (area, buffer, control), as in FollowupResult.zones.")
    service = _choose_base(base, tiles, attribution, settings)
    z = _to_wgs84(_plain(zones), "zones")
    links = asset_links(assets)
    m = _base_map([59.33, 18.06], 14, base=service, links=links, height=height,
                  districts=_district_names(_plain(districts)))
    focus = z[z["zone"].isin(["area", "buffer"])]
    fg = folium.FeatureGroup(name="Uppföljningens zoner", show=True)
    items: list[_Item] = []
    for name in ("control", "buffer", "area"):
        part = z[z["zone"] == name]
        if not len(part):
            continue
        color, label = _ZONES[name]
        folium.GeoJson(
            json.loads(part[["geometry"]].to_json()), name=label, tooltip=label,
            style_function=lambda _f, c=color: {"color": c, "weight": 2, "fillColor": c,
                                                "fillOpacity": 0.15},
        ).add_to(fg)
        items.insert(0, _Item(color, label))
    _JsCall(_LEGEND_SECTION_JS, {"key": "zones", "order": 1,
                                 "html": _section_html(_Section("Uppföljning", items))},
            name="LagesbildLegendSection").add_to(fg)
    fg.add_to(m)
    if len(focus):
        b = focus.total_bounds
        m.fit_bounds([[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]])
    return m
