"""A printable profile of one area (område): one standalone HTML page for A4.

For a meeting about one place: a map of the area and its surroundings (drawn
as inline SVG without background tiles, so it prints anywhere), the area's
incidents by category in the analysis period, the districts it lies in, its
measures with their status (an overdue follow-up highlighted) and the follow-up
of every started measure, with the small-count caution of the report.

Privacy as in the report: every count goes through the publishing rules
(:func:`lagesbild_geo.privacy.publishable` for cells, hotspots and districts;
:func:`lagesbild_geo.privacy.protect_table` for the area's own table, so a count
below ``min_count`` and the values that would reveal it show as "–"); no
individual incident is drawn or listed; free text with personal data stops the
page unless the field is allowed (``allow_personal_data``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _report_parts as rp
from .bundle import Lagesbild
from .errors import InputError, NotFoundError
from .export import with_id_column
from .followup import area_figures
from .measures import Area, MeasureStore, MeasureStoreProtocol
from .privacy import check_free_text, hidden_kind, protect_table, publishable, resolve_privacy
from .report import HOTSPOT_LABELS_SV, followup_sections, period_incidents
from .settings import Settings
from .svformat import MISSING, integer, number, percent

__all__ = ["BUFFER_M", "area_profile_html", "profile_file_name", "write_area_profiles"]

#: Width of the ring drawn around the area (the follow-up's default buffer).
BUFFER_M = 250.0
_FIELDS = ("areas.name", "areas.description", "measures.title", "measures.description",
           "measures.problem", "measures.indicator", "measures.partners")
_MAP_COLORS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7",
               "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac"}
# One page: sections flow (no page break before each), the map fits half a page.
_PROFILE_CSS = """
body { max-width: 52rem; }
h2 { margin-top: 1.4rem; }
dl.details { display: grid; grid-template-columns: 11rem 1fr; gap: .15rem .8rem; font-size: .9rem;
             margin: .3rem 0 1rem; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; }
@media print {
  body { font-size: 10pt; }
  h1 { font-size: 1.6rem; }
  h2 { break-before: auto; break-after: avoid; margin-top: 1rem; }
  h3 { break-after: avoid; }
  .keyfig .v { font-size: 1.3rem; }
  figure svg { max-height: 105mm; width: auto; margin: 0 auto; }
  dl.details { break-inside: avoid; }
}
"""


def _open_store(store: MeasureStoreProtocol | str | Path) -> MeasureStoreProtocol:
    return MeasureStore(store) if isinstance(store, str | Path) else store


def _area(store: MeasureStoreProtocol, area_id: str) -> Area:
    try:
        area = store.get_area(str(area_id))
    except NotFoundError:
        known = store.list_areas()
        names = ", ".join(f"{n} ({i})" for i, n in zip(known.index, known["name"], strict=True)) or "inga"
        raise InputError(f"area_profile_html: no area with id {area_id!r} in the store; its areas are: "
                         f"{names}. Give one of these ids.") from None
    if area.is_deleted:
        raise InputError(f"area_profile_html: the area {area.name!r} ({area.id}) is deleted; restore it "
                         "in the store (restore_area) to print its profile.")
    return area


def _area_measures(store: MeasureStoreProtocol, area: Area) -> pd.DataFrame:
    m = with_id_column(store.list_measures(), "measure_id")
    if not len(m) or "area_id" not in m.columns:
        return pd.DataFrame()
    m = m[m["area_id"] == area.id]
    if "deleted_at" in m.columns:
        m = m[m["deleted_at"].isna()]
    return m.reset_index(drop=True)


def _area_gdf(area: Area) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [area.name]}, geometry=[area.geometry], crs="EPSG:4326")


# ----------------------------------------------------------------------------- map

def _view(area_m: Any, aspect: float = 1.4) -> tuple[float, float, float, float]:
    """A view around the area (EPSG:3006), ``aspect`` wide, with room for its buffer ring."""
    minx, miny, maxx, maxy = area_m.bounds
    size = max(maxx - minx, maxy - miny)
    pad = max(BUFFER_M + 150.0, 0.6 * size)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_h = max((maxy - miny) / 2, (maxx - minx) / 2 / aspect) + pad
    half_w = half_h * aspect
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _in_view(g: gpd.GeoDataFrame | None, box: Any) -> gpd.GeoDataFrame | None:
    if g is None or not len(g):
        return None
    g = (g if g.crs is not None else g.set_crs(4326)).to_crs(3006)
    return g[g.intersects(box)]


def _map(pub: Lagesbild, area: Area, others: gpd.GeoDataFrame) -> str:
    area_m = _area_gdf(area).to_crs(3006)
    geom = area_m.geometry.iloc[0]
    view = _view(geom)
    box = shapely.box(*view)
    layers: list[tuple[Any, dict[str, Any]]] = []
    labels: list[tuple[float, float, str]] = []
    dist = _in_view(pub.districts if isinstance(pub.districts, gpd.GeoDataFrame) else None, box)
    if dist is not None and len(dist):
        layers.append((dist, {"facecolor": "#f7f7f7", "edgecolor": "#9a9a9a", "linewidth": 0.7}))
        clip = dist.geometry.intersection(box).representative_point()
        names = dist["district_name"] if "district_name" in dist.columns else pd.Series("", index=dist.index)
        labels = [(float(p.x), float(p.y), str(n)) for p, n in zip(clip, names, strict=True)
                  if not rp.missing(n) and str(n)]
    legend: list[tuple[str, str]] = [(f"Området: {area.name}", "#ffffff")]
    hot = _in_view(pub.hotspots if isinstance(pub.hotspots, gpd.GeoDataFrame) else None, box)
    if hot is not None and len(hot) and "hotspot_class" in hot.columns:
        for cls, color in _MAP_COLORS.items():
            part = hot[hot["hotspot_class"] == cls]
            if len(part):
                layers.append((part, {"color": color, "edgecolor": "#ffffff", "linewidth": 0.3, "alpha": 0.6}))
                legend.append((HOTSPOT_LABELS_SV[cls], color))
    if dist is not None and len(dist):  # outlines on top of the cells
        layers.append((dist, {"facecolor": "none", "edgecolor": "#6f6f6f", "linewidth": 0.8}))
    near = _in_view(others, box)
    if near is not None and len(near):
        layers.append((near, {"facecolor": "none", "edgecolor": "#555555", "linewidth": 0.8,
                              "linestyle": "--"}))
    ring = gpd.GeoDataFrame(geometry=[geom.buffer(BUFFER_M).difference(geom)], crs="EPSG:3006")
    layers.append((ring, {"facecolor": "none", "edgecolor": "#1d1d1b", "linewidth": 1.1, "linestyle": ":"}))
    layers.append((area_m, {"facecolor": "#ffffff", "edgecolor": "#1d1d1b", "linewidth": 2.4, "alpha": 0.75}))
    layers.append((area_m, {"facecolor": "none", "edgecolor": "#1d1d1b", "linewidth": 2.4}))
    return rp.fig_block(
        rp.map_svg(layers, title=f"{area.name} och omgivningen", legend=legend, extent=view,
                   labels=labels, size=(9.0, 6.4)),
        f"Området (tjock svart linje), en zon på {integer(BUFFER_M)} m runt det (prickad) och hotspots per H3-cell under perioden "
        "(Getis-Ord Gi*; röda: fler händelser än väntat, blå: färre). Streckat: andra områden. "
        "Grå linjer: distrikt. Ingen bakgrundskarta och inga enskilda händelser.", "fig-omrade")


# ------------------------------------------------------------------------- figures

def _figures(lb: Lagesbild, pub: Lagesbild, area: Area, mc: int) -> tuple[pd.DataFrame, int | None, int | None]:
    """The area's published category table, its total (None when hidden) and hot cells."""
    inc = period_incidents(lb)
    if len(inc) == 0 or "category" not in inc.columns:
        return pd.DataFrame(), None, None
    source = dataclasses.replace(lb, incidents=inc, hotspots=pub.hotspots)
    f = area_figures(source, area)
    p = protect_table(f, ["count"], min_count=mc, column_totals=True,
                      derived={"per_km2": "count", "share_pct": "count"})
    total = p.attrs["column_totals"].get("count") if len(f) else 0
    return p, total, f.attrs.get("hot_cells")


def _figures_block(p: pd.DataFrame, mc: int) -> str:
    if not len(p):
        return '<p class="empty">Inga händelser med exakt position under perioden.</p>'
    shown = p[(pd.to_numeric(p["count"], errors="coerce").fillna(1) > 0)]
    if not len(shown):  # every category 0: a sentence, not a table of headers only
        return '<p class="empty">Inga händelser med exakt position under perioden.</p>'
    rows = []
    for cat, r in shown.iterrows():
        rec = {str(k): v for k, v in r.items()}
        note = ""
        if rp.missing(rec["count"]):
            note = "skyddat" if hidden_kind(rec, "count") == "protect" else f"färre än {mc}"
        share: Any = rec.get("share_pct")
        rows.append(f'<tr data-category="{html.escape(str(cat))}">{rp.td(rec.get("label"))}'
                    f"{rp.td_num(rec['count'])}{rp.td_num(rec.get('per_km2'), kind='num', decimals=0)}"
                    f"{rp.td_num(None if rp.missing(share) else float(share) / 100, kind='pct', decimals=1)}"
                    f"{rp.td(note)}</tr>")
    # the share is of the kommun's incidents with an exact position (the report's category
    # table counts every placed incident, so "of the kommun's" alone would not add up)
    return rp.table(["Brottskategori", "Antal i området", "Per km²", "Andel av kommunens med exakt position",
                     "Anmärkning"],
                    rows, table_id="omrade-kategorier", num_cols=(1, 2, 3))


def _districts_text(pub: Lagesbild, area: Area) -> str:
    """"Området ligger i Centrum (80 % av ytan) och Stationsområdet (20 %)."""
    d = pub.districts
    if not isinstance(d, gpd.GeoDataFrame) or not len(d) or "district_name" not in d.columns:
        return ""
    dm = (d if d.crs is not None else d.set_crs(4326)).to_crs(3006)
    am = _area_gdf(area).to_crs(3006).geometry.iloc[0]
    share = dm.geometry.intersection(am).area / max(am.area, 1.0)
    parts = [(float(s), str(n)) for s, n in zip(share, dm["district_name"], strict=True) if s >= 0.005]
    parts.sort(reverse=True)
    if not parts:
        return ""
    words = [f"{html.escape(n)} ({percent(s, decimals=0)} av ytan)" for s, n in parts[:6]]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " och " + words[-1]
    return f'<p id="omrade-distrikt">Området ligger i {text}.</p>'


# ------------------------------------------------------------------------ measures

def _list_text(v: Any) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return ", ".join(str(x) for x in v)
    return "" if rp.missing(v) else str(v)


def _measure_details(measures: pd.DataFrame) -> str:
    """What the table does not show: partners, problem, description, indicator, end date."""
    parts = []
    for r in rp.records(rp.sort_measures(measures)):
        items = [("Samverkanspartner", ", ".join(rp.actor(p) for p in (r.get("partners") or [])
                                                  if not rp.missing(p))),
                 ("Problem", _list_text(r.get("problem"))),
                 ("Beskrivning", _list_text(r.get("description"))),
                 ("Uppföljningsindikator", _list_text(r.get("indicator"))),
                 ("Slutdatum", rp.date_text(r.get("end_date")))]
        dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items if v)
        if not dl:
            continue
        mid = html.escape(str(r.get("measure_id") or ""))
        parts.append(f'<h3 data-measure-details="{mid}">{html.escape(str(r.get("title") or ""))}</h3>'
                     f'<dl class="details">{dl}</dl>')
    return "\n".join(parts)


# ----------------------------------------------------------------------------- API

def _body(lb: Lagesbild, pub: Lagesbild, store: MeasureStoreProtocol, area: Area, measures: pd.DataFrame,
          others: gpd.GeoDataFrame, mc: int, today: _dt.date) -> str:
    p, total, hot = _figures(lb, pub, area, mc)
    km2 = float(_area_gdf(area).to_crs(3006).area.iloc[0]) / 1e6
    figs = rp.keyfigures([("area_total", total, "händelser i området under perioden"),
                          ("area_hot_cells", hot, "hotspotceller (Gi*) i området"),
                          ("area_measures", len(measures), "åtgärd" if len(measures) == 1 else "åtgärder")])
    parts = ['<h2 id="karta" class="first">Karta</h2>', _map(pub, area, others),
             '<h2 id="omfattning">Händelser i området</h2>',
             f'<p class="note">Yta {number(km2, decimals=2)} km². Händelser med exakt position (punkt eller '
             f"adress) under perioden. Antal under {mc} och värden som skulle avslöja dem visas som "
             f"”{MISSING}”.</p>",
             figs, _districts_text(pub, area), _figures_block(p, mc),
             '<h2 id="atgarder">Åtgärder</h2>']
    if len(measures):
        parts += [rp.measures_table(measures, table_id="omrade-atgarder", today=today, with_area=False),
                  _measure_details(measures)]
    else:
        parts.append('<p class="empty">Inga åtgärder är registrerade för området.</p>')
    parts.append('<h2 id="uppfoljning">Uppföljning</h2>')
    follow = followup_sections(lb, measures, store, mc) if len(measures) and len(lb.incidents) else []
    parts += follow or ['<p class="empty">Ingen åtgärd i området har startat inom händelsedatans period '
                        "(eller händelsedata saknas).</p>"]
    return "\n".join(x for x in parts if x)


def area_profile_html(
    lb: Lagesbild,
    store: MeasureStoreProtocol | str | Path,
    area_id: str,
    *,
    settings: Settings | None = None,
    today: _dt.date | None = None,
    allow_personal_data: Iterable[str] = (),
) -> str:
    """One printable HTML page (A4) about one area: map, figures, measures, follow-up.

    The page is standalone (inline CSS and SVG; no scripts, tiles, fonts or images
    from elsewhere) and prints on A4 (``@page``, sections kept whole). It holds:

    - a map of the area, a 250 m ring around it, the published hotspot classes of
      the H3 cells around it, other areas and the district outlines with names;
    - the area's incidents in the analysis period by category (count, per km²,
      share of the kommun's), published with :func:`lagesbild_geo.privacy.protect_table`
      (below ``min_count`` hidden, and what would reveal it), the hotspot cells inside
      and the districts it lies in;
    - its measures with status, target categories, responsible actor, partners,
      problem, description, indicator and dates (an overdue follow-up marked
      "försenad");
    - the follow-up of every started measure (:func:`lagesbild_geo.followup.followup`)
      as in the report, with its caution when fewer than 20 incidents fall before or
      after in the area or the buffer.

    Parameters
    ----------
    lb
        The bundle (its incidents for the figures and the follow-up; not modified).
    store
        The measure store (or its path) holding the area.
    area_id
        The area's id in the store.
    settings
        Thresholds (``min_count``, ``min_respondents``); default the bundle's.
    today
        The date overdue follow-ups are judged against; default the bundle's
        ``created_at`` date (Swedish time).
    allow_personal_data
        Free-text fields to print although they look like personal data (as for
        the report); otherwise such a value stops the page (``PrivacyError``).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.measures import MeasureStore
    >>> from lagesbild_geo.sample import add_example_measures, example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # build_lagesbild(example_config())
    >>> tmp = Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "atgarder.sqlite") as store:
    ...     _ = add_example_measures(store, "sample_data")
    ...     area_id = store.list_areas().index[0]
    ...     html = area_profile_html(lb, store, area_id)
    >>> _ = (tmp / "omrade.html").write_text(html, encoding="utf-8")
    >>> html.startswith("<!DOCTYPE html>"), "Stationsparken" in html
    (True, True)
    """
    if not isinstance(lb, Lagesbild):
        raise InputError(f"area_profile_html needs a Lagesbild bundle, got {type(lb).__name__}; build one "
                         "with lagesbild_geo.pipeline.build_lagesbild.")
    st = _open_store(store)
    area = _area(st, area_id)
    measures = _area_measures(st, area)
    allow = tuple(allow_personal_data)
    areas_table = pd.DataFrame({"name": [area.name], "description": [area.description or ""]},
                               index=pd.Index([area.id], name="id"))
    check_free_text({"areas": areas_table, "measures": measures if len(measures) else None},
                    allow_personal_data=allow, what="områdesprofilen", fields=_FIELDS)
    privacy = resolve_privacy(lb, settings)
    mc = int(privacy.min_count or 1)
    pub = publishable(lb, privacy)
    meta = dict(lb.metadata or {})
    when = today or rp.report_today(meta)
    all_areas = st.list_areas()
    others = all_areas[all_areas.index != area.id] if len(all_areas) else all_areas
    import matplotlib

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "axes.titleweight": "bold"}):
        body = _body(lb, pub, st, area, measures, others, mc, when)
    period = rp.period_text(meta)
    desc = f" {html.escape(area.description)}" if area.description else ""
    lead = (f"{html.escape(rp.kommun_name(meta))}{', ' + html.escape(period) if period else ''}. "
            f"Områdesprofil ur lägesbilden, skapad {html.escape(rp.created_text(meta))}.{desc}")
    footer = (f"Antal som bygger på färre än {mc} händelser visas som ”{MISSING}”. Enskilda händelser "
              "visas aldrig. Kartan är ritad utan bakgrundskarta.")
    return rp.html_document(heading=f"Områdesprofil: {area.name}", lead=lead, body=body, footer=footer,
                            extra_css=_PROFILE_CSS)


def profile_file_name(name: str, area_id: str, taken: set[str] | None = None) -> str:
    """The file name of an area's profile: ``omradesprofil-<name>.html``.

    Letters (å, ä, ö included) and digits are kept, anything else becomes "_"; the
    start of the id is added when the name is already in ``taken`` (which is updated).

    Examples
    --------
    >>> profile_file_name("Torget/Östra sidan", "a1b2c3d4-0000")
    'omradesprofil-Torget_Östra_sidan.html'
    >>> profile_file_name("Torget", "a1b2c3d4-0000", {"omradesprofil-Torget.html"})
    'omradesprofil-Torget-a1b2c3d4.html'
    """
    safe = re.sub(r"[^\w\-]+", "_", name).strip("_") or "omrade"
    out = f"omradesprofil-{safe}.html"
    if taken is not None and out in taken:
        out = f"omradesprofil-{safe}-{area_id[:8]}.html"
    if taken is not None:
        taken.add(out)
    return out


def write_area_profiles(
    lb: Lagesbild,
    store: MeasureStoreProtocol | str | Path,
    directory: str | Path,
    *,
    area_ids: Sequence[str] | None = None,
    settings: Settings | None = None,
    today: _dt.date | None = None,
    allow_personal_data: Iterable[str] = (),
) -> list[Path]:
    """Write one profile page (:func:`area_profile_html`) per area into ``directory``.

    Parameters
    ----------
    lb, store, settings, today, allow_personal_data
        As for :func:`area_profile_html`.
    directory
        Folder for the pages (created when missing), named ``omradesprofil-<name>.html``.
    area_ids
        The areas (default: every area of the store that is not deleted).

    Returns
    -------
    list of Path
        The files written, in the store's order.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.measures import MeasureStore
    >>> from lagesbild_geo.sample import add_example_measures, example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # build_lagesbild(example_config())
    >>> tmp = Path(tempfile.mkdtemp())
    >>> with MeasureStore(tmp / "atgarder.sqlite") as store:
    ...     _ = add_example_measures(store, "sample_data")
    >>> [p.relative_to(tmp) for p in write_area_profiles(lb, tmp / "atgarder.sqlite", tmp / "profiler")]
    [PosixPath('profiler/omradesprofil-Stationsparken.html')]
    """
    st = _open_store(store)
    areas = st.list_areas()
    ids = list(areas.index) if area_ids is None else [str(a) for a in area_ids]
    if not ids:
        raise InputError("write_area_profiles: the store has no areas; draw or import one first "
                         "(the app's Områden page or `lagesbild measures`).")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for aid in ids:
        page = area_profile_html(lb, st, aid, settings=settings, today=today,
                                 allow_personal_data=allow_personal_data)
        name = str(areas.loc[aid, "name"]) if aid in areas.index else str(aid)
        path = out / profile_file_name(name, str(aid), taken)
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written
