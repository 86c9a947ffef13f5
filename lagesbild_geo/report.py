"""The lägesbild report: one standalone HTML file in Swedish.

Structured like the law's lägesbild (lag 2023:196): **omfattning**,
**konsekvenser och trygghet**, **orsaker och mönster**, then the
**åtgärdsplan** and its **uppföljning**. Charts and maps are drawn with
matplotlib and inlined as SVG: the file makes no external request (no
scripts, fonts, tiles or images from elsewhere) and prints cleanly to PDF.

Every number comes from the publishing step, :func:`lagesbild_geo.privacy.publishable`
(the same as the export's), or is protected the same way: counts resting on fewer than
``min_count`` incidents, and values that would reveal them, show as "–"; survey values
need ``min_respondents`` answers. No table's rows tell which hidden counts are not zero
(every category of the build is listed as the kommun row publishes it, the months of the
periods are always shown), a follow-up hides every zone of a period with a hidden zone,
Knox pair counts below ``min_count`` are hidden with those that would give them back, and
shares and rates are written as shown. Area names and measure titles with personal data
stop the report unless allowed (``allow_personal_data``). Numbers, dates and
times are Swedish (:mod:`lagesbild_geo.svformat`).
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from . import _report_parts as rp
from .bundle import Lagesbild
from .emerging import EMERGING_CLASSES, EMERGING_LABELS_SV
from .errors import InputError, NotFoundError, ValidationError
from .export import LagesbildPackage, areas_and_measures, published_package, with_id_column
from .followup import followup
from .hotspots import SPREAD_SHARE, describe_clusters
from .measures import MeasureStore, MeasureStoreProtocol
from .nearrepeat import MIN_EVENTS, KnoxResult, knox
from .privacy import Privacy, check_free_text, hidden_kind, left_out_sv, resolve_privacy
from .schema import CATEGORY_LABELS, POINT_PRECISIONS
from .settings import Settings
from .svformat import MISSING, WEEKDAYS, count_text, integer, month_sv, number, percent

__all__ = [
    "HOTSPOT_LABELS_SV",
    "NEAR_REPEAT_BANDS",
    "NEAR_REPEAT_CATEGORIES",
    "cells_with_events",
    "emerging_settings_text",
    "near_repeat_results",
    "period_incidents",
    "write_report",
]

#: Swedish labels of the Gi* classes.
HOTSPOT_LABELS_SV: dict[str, str] = {
    "hot_99": "Hotspot, 99 % säkerhet",
    "hot_95": "Hotspot, 95 % säkerhet",
    "hot_90": "Hotspot, 90 % säkerhet",
    "none": "Inget mönster",
    "cold_90": "Kallt område, 90 %",
    "cold_95": "Kallt område, 95 %",
    "cold_99": "Kallt område, 99 %",
}
_HOTSPOT_COLORS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7",
                   "none": "#f2f2f2", "cold_90": "#d1e5f0", "cold_95": "#67a9cf",
                   "cold_99": "#2166ac"}
_PATTERN_SV = {
    "feels_unsafe_few_reports": "Upplevs otryggt, få anmälda händelser",
    "many_reports_feels_safe": "Många händelser, upplevs tryggt",
    "consistent": "Samstämmigt",
}
#: Categories the report tests for near repeats (Knox), in order, when they have events.
NEAR_REPEAT_CATEGORIES: tuple[str, ...] = ("bostadsinbrott", "fordonsbrott")
#: Distance bands (metres) and time bands (days) of the report's Knox test.
NEAR_REPEAT_BANDS: dict[str, tuple[float, ...]] = {
    "distance_bands": (0, 1, 200, 400, 600),
    "time_bands": (0, 7, 14, 21, 28),
}
_PERIOD_WORDS = {  # emerging period → (a period, "det/den" + the period, the periods)
    "quarter": ("kvartal", "det närmast föregående kvartalet", "kvartalen"),
    "month": ("månad", "den närmast föregående månaden", "månaderna"),
    "week": ("vecka", "den närmast föregående veckan", "veckorna"),
    "year": ("år", "det närmast föregående året", "åren"),
}
_WINDOW_SV = {
    "cube": "hela rum–tid-kuben (alla celler och perioder)",
    "neighbourhood": "varje periods tidsgrannskap (perioden och de föregående i tidssteget)",
    "period": "varje period för sig",
}


# ----------------------------------------------------------------- bundle facts

def _published(pub: Lagesbild, name: str) -> pd.Series | None:
    """A published one-way table's counts (hidden: NaN), or None."""
    t = (pub.tables or {}).get(name)
    if t is None or not len(t):
        return None
    return pd.to_numeric(t["count"], errors="coerce").astype("float64")


def _period_bounds(meta: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(start, end) of the bundle's period, end exclusive, Europe/Stockholm; None if unknown."""
    p = meta.get("period")
    if p is not None and not isinstance(p, dict) and hasattr(p, "to_dict"):
        p = p.to_dict()
    if not isinstance(p, dict) or not p.get("start") or not p.get("end"):
        return None
    try:
        start = pd.Timestamp(p["start"])
        end = pd.Timestamp(p["end"])
    except (TypeError, ValueError):
        return None
    tz = "Europe/Stockholm"
    start = start.tz_localize(tz) if start.tzinfo is None else start.tz_convert(tz)
    end = end.tz_localize(tz) if end.tzinfo is None else end.tz_convert(tz)
    return start, end


def period_incidents(lagesbild: Lagesbild) -> pd.DataFrame:
    """The bundle's incidents within its analysis period (all when no period is set).

    The report's totals, categories, hours and weekdays count these; its monthly
    trend shows every month of the data.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # period 2025 of 2024–2025
    >>> len(period_incidents(lb)) < len(lb.incidents)
    True
    """
    inc = lagesbild.incidents
    bounds = _period_bounds(dict(lagesbild.metadata or {}))
    if bounds is None or len(inc) == 0 or "occurred_at" not in inc.columns:
        return inc
    t = pd.to_datetime(inc["occurred_at"], errors="coerce")
    if getattr(t.dt, "tz", None) is None:
        t = t.dt.tz_localize("Europe/Stockholm")
    mask = ((t >= bounds[0]) & (t < bounds[1])).to_numpy(dtype=bool, na_value=False)
    return inc.loc[mask]


def cells_with_events(cells: pd.DataFrame) -> int:
    """Number of H3 cells with at least one event (the report's headline).

    A built bundle's ``cells`` also hold the empty cells that fill the kommun (the
    grid Gi* needs); they are not counted. In a published table a hidden count
    (``<NA>``: 1 … ``min_count`` − 1 events, or more hidden to protect them) counts
    as a cell with events. The report counts the published cells: counted in the
    build's cells, the figure told how many hidden cells are not empty.

    Examples
    --------
    >>> cells_with_events(pd.DataFrame({"count": [0, 3, 0, 1]}))
    2
    >>> cells_with_events(pd.DataFrame({"count": pd.array([0, 4, None], dtype="Int64")}))
    2
    """
    if "count" not in cells.columns or len(cells) == 0:
        return 0
    c = pd.to_numeric(cells["count"], errors="coerce")
    return int((c > 0).sum() + c.isna().sum())


def without_positions(pub: Lagesbild, layers: dict[str, gpd.GeoDataFrame]) -> bool:
    """True when there are incidents but no H3 cell at all: no incident had a point or an
    address (e.g. only the police events feed, whose positions are kommun centres), so
    cells, hotspots, emerging hotspots and clusters could not be computed (they are not
    zero). A built bundle's cells fill the kommun whenever any incident has a position."""
    cells = layers.get("cells")
    cells = cells if cells is not None else pub.cells
    if cells is not None and len(cells):
        return False
    tot = _published(pub, "totals")
    if tot is not None and not rp.missing(tot.iloc[0]):
        return int(tot.iloc[0]) > 0
    inc = getattr(pub, "incidents", None)
    if inc is not None and len(inc) > 0:
        return True
    meta = pub.metadata or {}  # a package read back: its metadata's levels (or totals)
    lv = (meta.get("counts") or {}).get("levels") or meta.get("levels") or {}
    total = lv.get("total")
    if total is None:
        total = ((meta.get("totals") or {}).get("kommun") or {}).get("count")
    return isinstance(total, int | float) and total > 0


NO_POSITIONS_TEXT = ("Inga händelser har exakt position (polisens händelseflöde anger bara kommunens "
                     "eller ett områdes mittpunkt). Hotspots, framväxande hotspots och täthetskluster "
                     "kan därför inte beräknas; händelserna räknas per distrikt efter de platsnamn "
                     "som anges.")


# ------------------------------------------------------------------ 1. omfattning

def _omfattning(pub: Lagesbild, layers: dict[str, gpd.GeoDataFrame], areas: gpd.GeoDataFrame,
                mc: int) -> str:
    parts = ['<h2 id="omfattning" class="first">1. Omfattning</h2>',
             '<p class="lead">Hur många händelser som registrerats, av vilka slag, hur det har '
             "förändrats över tid och var de koncentreras.</p>",
             _keyfigures_block(pub, layers)]
    levels = _levels_text(pub, mc)
    if levels:
        parts.append(f'<p class="levels" id="nivaer">{levels}</p>')
    parts += [_categories_block(pub, mc), _months_block(pub, mc),
              _hotspot_map_block(layers, areas), _districts_block(layers, pub.settings.alpha)]
    return "\n".join(p for p in parts if p)


def _keyfigures_block(pub: Lagesbild, layers: dict[str, gpd.GeoDataFrame]) -> str:
    cats = _published_categories(pub)
    tot = _published(pub, "totals")
    total = None if tot is None or rp.missing(tot.iloc[0]) else int(tot.iloc[0])
    hot = layers.get("hotspots", gpd.GeoDataFrame())
    n_hot = int(hot["hotspot_class"].astype(str).str.startswith("hot").sum()) if len(hot) and \
        "hotspot_class" in hot.columns else 0
    # both from published figures only: a hidden count counts as one with events, so the figure
    # tells nothing the tables do not (the build's own count told which hidden ones are not 0)
    n_cats = 0 if cats is None else int(((cats > 0) | cats.isna()).sum())
    cells = layers.get("cells")
    figs: list[tuple[str, Any, str]] = [
        ("total", total, "placerade händelser under perioden"),
        ("n_categories", n_cats, "brottskategorier"),
        ("n_cells", cells_with_events(cells if cells is not None else pub.cells), "H3-celler med händelser"),
        ("n_hot_cells", n_hot, "hotspotceller (Gi*)")]
    note = ""
    if without_positions(pub, layers):  # not "0 hotspots": they could not be computed
        figs = figs[:2]
        note = f'<p class="note" id="utan-position">{NO_POSITIONS_TEXT}</p>'
    if cats is None:  # e.g. a package read back: it carries no incidents
        figs = figs[2:]
        note += ('<p class="note">Enskilda händelser ingår inte i underlaget (till exempel ett '
                "exporterat paket); antal per kategori, månad och tid visas därför inte.</p>")
    return note + rp.keyfigures(figs)


def _build_categories(pub: Lagesbild) -> list[str]:
    """Every category of the build, in the schema's order: the kommun row's columns (or every
    known category), within the configured ``included`` and without the ``excluded`` ones.
    The list never depends on which categories have events."""
    conf = (pub.metadata or {}).get("categories")
    conf = conf if isinstance(conf, dict) else {}
    included = conf.get("included")
    excluded = {str(c) for c in conf.get("excluded") or ()}
    summary = pub.district_summary
    from_row = [str(c)[len("count_"):] for c in getattr(summary, "columns", ())
                if str(c).startswith("count_") and c != "count_previous"]
    names = [str(c) for c in included] if included else (from_row or list(CATEGORY_LABELS))
    names = [c for c in dict.fromkeys(names) if c not in excluded]
    return [c for c in CATEGORY_LABELS if c in names] + sorted(c for c in names if c not in CATEGORY_LABELS)


def _kommun_row(pub: Lagesbild) -> dict[str, Any] | None:
    """The published district table's kommun row (the kommun's totals), or None."""
    s = pub.district_summary
    if not isinstance(s, pd.DataFrame) or "row_type" not in s.columns:
        return None
    rows = s.loc[s["row_type"] == "total"]
    return {str(k): v for k, v in rows.iloc[0].items()} if len(rows) == 1 else None


def _published_categories(pub: Lagesbild) -> pd.Series | None:
    """The period's count per category as published (hidden: NaN), for every category of the
    build (:func:`_build_categories`), 0 included; None without incidents.

    The one-way table of the publishing step lists only the categories with events, so a
    hidden row of it is at least 1, and with the total and the shown rows the hidden ones
    could be pinned (90 − 87 = 3 over three rows: each is 1). Every category is listed
    instead, each as the kommun row publishes it (the same value, hidden where that row hides
    it, a zero hidden to protect others included), so "–" means what it means in the package.
    """
    cats = _published(pub, "categories")
    if cats is None:
        return None
    names = _build_categories(pub)
    names += [str(c) for c in cats.index if str(c) not in names]
    row = _kommun_row(pub)
    values = {}
    for c in names:
        if c in cats.index:
            values[c] = float(cats[c]) if not rp.missing(cats[c]) else np.nan
        elif row is not None and hidden_kind(row, f"count_{c}") is not None:
            values[c] = np.nan  # a zero the kommun row hides to protect others
        else:
            values[c] = 0.0
    out = pd.Series(values, dtype="float64")
    out.index.name = "category"
    if row is None:  # no kommun row: nothing in the publishing step hides a zero category
        out = _protect_nonzero(out, _published(pub, "totals"))
    return out


def _protect_nonzero(cats: pd.Series, totals: pd.Series | None) -> pd.Series:
    """Hide a zero category as well when the hidden ones could only all be 1.

    Without a kommun row, the publishing step protects only the categories with events: the
    hidden ones are known to be at least 1, and when the total less the shown ones equals
    their number, each is 1. A zero category hidden beside them (or, without any, the
    largest shown one) leaves two possible values for each."""
    hidden = cats.isna()
    if totals is None or not hidden.any() or rp.missing(totals.iloc[0]):
        return cats
    rest = float(totals.iloc[0]) - float(cats[~hidden].sum())
    if rest > hidden.sum():
        return cats
    zeros = np.flatnonzero((cats == 0).to_numpy())
    extra = int(zeros[0]) if zeros.size else int(np.nanargmax(cats.to_numpy()))
    return cats.mask(np.arange(len(cats)) == extra)


def _categories_block(pub: Lagesbild, mc: int) -> str:
    cats = _published_categories(pub)
    if cats is None or not len(cats):
        return ""
    tot = _published(pub, "totals")
    total = None if tot is None or rp.missing(tot.iloc[0]) else float(tot.iloc[0])
    rows = []
    for cat, v in cats.items():
        share = None if rp.missing(v) or not total else float(v) / total
        rows.append(f'<tr data-category="{html.escape(str(cat))}">{rp.td(rp.cat_label(cat))}'
                    f"{rp.td_num(v)}{rp.td_num(share, kind='pct', decimals=1)}</tr>")
    ordered = cats.sort_values(ascending=False, na_position="last")
    return "\n".join([
        "<h3>Händelser per brottskategori</h3>",
        rp.table(["Brottskategori", "Antal", "Andel"], rows, table_id="kategorier", num_cols=(1, 2)),
        rp.fig_block(
            rp.bar_chart([rp.cat_label(c) for c in ordered.index], ordered.to_list(),
                         title="Händelser per brottskategori", ylabel="Antal", horizontal=True),
            "Antal placerade händelser per brottskategori. Kategorier med färre än "
            f"{mc} händelser (och värden som skulle avslöja dem) visas inte.", "fig-kategorier")])


def _month_span(meta: dict[str, Any]) -> tuple[pd.Period, pd.Period] | None:
    """First and last month of the previous period and the period together (None without)."""
    spans = []
    for key in ("previous_period", "period"):
        b = _period_bounds({"period": meta.get(key)})
        if b is not None:
            start = b[0].tz_localize(None).to_period("M")
            end = (b[1].tz_localize(None) - pd.Timedelta(microseconds=1)).to_period("M")
            spans.append((start, end))
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _months_shown(months: pd.Series, meta: dict[str, Any]) -> tuple[pd.Series, bool]:
    """The monthly table as shown, and whether months at its ends were left out.

    The publishing step's table runs from the first to the last month with events, so its
    first and last rows hold at least one event each: hidden there, "–" would say "1 or
    more". The months of the period and the previous period are therefore always shown (0
    where there were none), and a hidden month at an end outside them is left out."""
    if not len(months):
        return months, False
    per = pd.PeriodIndex([pd.Period(m, freq="M") for m in months.index])
    s = pd.Series(months.to_numpy(dtype="float64"), index=per)
    span = _month_span(meta)
    lo, hi = per.min(), per.max()
    if span is not None:
        lo, hi = min(lo, span[0]), max(hi, span[1])
    s = s.reindex(pd.period_range(lo, hi, freq="M"), fill_value=0.0)
    keep = np.ones(len(s), dtype=bool)
    inside = (np.zeros(len(s), dtype=bool) if span is None else
              ((s.index >= span[0]) & (s.index <= span[1])))
    hidden = s.isna().to_numpy()
    for order in (range(len(s)), range(len(s) - 1, -1, -1)):
        for i in order:
            if inside[i] or not hidden[i]:
                break
            keep[i] = False
    out = s[keep]
    out.index = pd.Index([str(p) for p in out.index], name="month")
    return out, not keep.all()


def _months_block(pub: Lagesbild, mc: int) -> str:
    """Trend per month: every month of the data, not only the period (see :func:`_months_shown`)."""
    published = _published(pub, "months")
    if published is None or not len(published):
        return ""
    months, cut = _months_shown(published, dict(pub.metadata or {}))
    if not len(months):
        return ""
    periods = [pd.Period(m, freq="M") for m in months.index]
    labels = [f"{month_sv(p.month, short=True)} {p.year}" for p in periods]
    rows = [f'<tr data-month="{p}">{rp.td(f"{month_sv(p.month)} {p.year}")}{rp.td_num(v)}</tr>'
            for p, v in zip(periods, months.to_list(), strict=True)]
    caption = (f"Antal händelser per månad. Månader med färre än {mc} händelser (och månader "
               "dolda för att skydda dem) markeras med ×.")
    if cut:
        caption += (f" Månader före eller efter perioderna med färre än {mc} händelser i början "
                    "eller slutet av underlaget visas inte.")
    return "\n".join([
        "<h3>Utveckling över tid</h3>",
        rp.fig_block(rp.bar_chart(labels, months.to_list(), title="Händelser per månad", ylabel="Antal"),
                     caption, "fig-manad"),
        rp.table(["Månad", "Antal"], rows, table_id="manader", num_cols=(1,))])


def _district_labels(dist: gpd.GeoDataFrame | None) -> list[tuple[float, float, str, float]]:
    """(x, y, name, font size) in SWEREF 99 TM at a point inside each district, for map labels:
    small districts get smaller letters and the smallest none, so names do not pile up."""
    if dist is None or not len(dist) or "district_name" not in dist.columns:
        return []
    g = dist.to_crs(3006) if dist.crs is not None else dist.set_crs(4326).to_crs(3006)
    share = g.area / max(float(g.area.sum()), 1.0)
    pts = g.geometry.representative_point()
    out = []
    for p, n, s in zip(pts, g["district_name"], share, strict=True):
        if rp.missing(n) or s < 0.004:
            continue
        out.append((float(p.x), float(p.y), str(n), 8.0 if s >= 0.02 else 6.0))
    return out


def _hotspot_map_block(layers: dict[str, gpd.GeoDataFrame], areas: gpd.GeoDataFrame) -> str:
    hot = layers.get("hotspots", gpd.GeoDataFrame())
    if not len(hot) or "hotspot_class" not in hot.columns:
        return ""
    layers_: list[tuple[Any, dict[str, Any]]] = []
    for cls, color in _HOTSPOT_COLORS.items():
        part = hot[hot["hotspot_class"] == cls]
        if len(part) and cls != "none":
            layers_.append((part, {"color": color, "edgecolor": "#ffffff", "linewidth": 0.2}))
    dist = layers.get("districts")
    if dist is not None and len(dist):  # outlines on top of the cells
        layers_.insert(0, (dist, {"facecolor": "#f7f7f7", "edgecolor": "none"}))
        layers_.append((dist, {"facecolor": "none", "edgecolor": "#7a7a7a", "linewidth": 0.6}))
    if len(areas):
        layers_.append((areas, {"facecolor": "none", "edgecolor": "#222222", "linewidth": 1.4,
                                "linestyle": "--"}))
    present = [c for c in _HOTSPOT_COLORS if c != "none" and (hot["hotspot_class"] == c).any()]
    legend = [(HOTSPOT_LABELS_SV[c], _HOTSPOT_COLORS[c]) for c in present]
    counts = hot["hotspot_class"].value_counts()
    rows = [f'<tr data-class="{c}">{rp.td(HOTSPOT_LABELS_SV[c])}{rp.td_num(counts.get(c, 0))}</tr>'
            for c in _HOTSPOT_COLORS if counts.get(c, 0)]
    return "\n".join([
        "<h3>Var händelserna koncentreras</h3>",
        rp.fig_block(
            rp.map_svg(layers_, title="Hotspots (Getis-Ord Gi*) per H3-cell", legend=legend,
                       labels=_district_labels(dist) if dist is not None and len(dist) <= 60 else ()),
            "Celler där antalet händelser i cellen och dess grannar är statistiskt signifikant "
            "högt (hotspot) eller lågt, efter korrektion för multipla test. Streckade linjer: "
            "områden med åtgärder. Grå linjer: distrikt.", "fig-hotspots"),
        rp.table(["Klass", "Antal celler"], rows, table_id="hotspotklasser", num_cols=(1,))])


def _districts_block(layers: dict[str, gpd.GeoDataFrame], alpha: float = 0.05) -> str:
    dist = layers.get("districts")
    if dist is None or not len(dist):
        return ""
    pop = (pd.to_numeric(dist["population"], errors="coerce") if "population" in dist.columns
           else pd.Series(np.nan, index=dist.index))
    has_pop = bool((pop > 0).any())  # no population at all: no rate column (not "–", hidden)
    has_change = "change" in dist.columns
    has_sig = has_change and "change_significant" in dist.columns
    headers = ["Distrikt", "Kod", "Antal", *(["Per 1 000 inv."] if has_pop else []), "Andel av kommunen"]
    if has_change:
        headers.append("Förändring")
    if has_sig:
        headers.append("Säkerställd")
    rows = []
    for d in rp.records(dist.sort_values("district_code")):
        cells = [rp.td(d.get("district_name")), rp.td(d.get("district_code")),
                 rp.td_num(d.get("count"))]
        if has_pop:
            p_ok = not rp.missing(d.get("population")) and float(d["population"]) > 0
            cells.append(rp.td_num(d.get("per_1000"), kind="num", decimals=1) if p_ok else
                         '<td class="num" data-value="" title="Befolkning saknas">saknas</td>')
        cells.append(rp.td_num(d.get("share_of_total"), kind="pct", decimals=1))
        if has_change:
            ch: Any = d.get("change")
            cells.append(rp.td_num(ch, signed=True))  # "+56": a rise, not a count
        if has_sig:
            sig = d.get("change_significant")
            cells.append(rp.td("" if rp.missing(ch) or rp.missing(sig) else ("ja" if bool(sig) else "nej")))
        rows.append(f'<tr data-district="{html.escape(str(d["district_code"]))}">'
                    + "".join(cells) + "</tr>")
    n = len(headers)
    notes = []
    if not has_pop:
        notes.append("Distriktsskiktet saknar befolkning, så antal per 1 000 invånare kan inte beräknas.")
    if has_change:
        notes.append("Förändring: antal jämfört med den lika långa perioden före."
                     + (f" Säkerställd: förändringen är statistiskt säkerställd (Poissontest, "
                        f"signifikansnivå {number(alpha, decimals=2)}); övriga förändringar kan vara "
                        "slumpmässig variation, särskilt när antalen är små." if has_sig else ""))
    return ("<h3>Per distrikt</h3>\n"
            + rp.table(headers, rows, table_id="distrikt", num_cols=tuple(range(2, n - has_sig)))
            + "".join(f'\n<p class="note">{html.escape(t)}</p>' for t in notes))


def _levels_text(lb: Lagesbild, mc: int) -> str:
    """"1 071 händelser, varav 412 placerade på område …": how exactly the period's
    incidents are known, what was left out and why (from the build's counts)."""
    counts = (lb.metadata or {}).get("counts") or {}
    lv = counts.get("levels") or {}
    if "total" not in lv or lv["total"] == 0:
        return ""

    def n(v: Any) -> str:  # None: hidden by the publishing step
        return count_text(v, mc)

    text = (f"{n(lv['total'])} händelser, varav {n(lv.get('district'))} placerade på område, "
            f"{n(lv.get('stadsdel'))} bara på stadsdelsnivå och {n(lv.get('kommun'))} bara på "
            "kommunnivå (i kommunen men i inget område: de räknas inte in i något områdes antal)")
    if lv.get("outside") or ("outside" in lv and lv["outside"] is None):
        text += f"; {n(lv['outside'])} utanför alla områden"
    text += "."
    text = " ".join([text, *left_out_sv(lb)])
    return html.escape(text)


# ------------------------------------------------------- 2. konsekvenser och trygghet

def _konsekvenser(lb: Lagesbild, layers: dict[str, gpd.GeoDataFrame], mr: int) -> str:
    parts = ['<h2 id="konsekvenser">2. Konsekvenser och trygghet</h2>',
             '<p class="lead">Hur trygga invånarna känner sig, enligt trygghetsenkäten, och hur '
             "den upplevda otryggheten förhåller sig till de anmälda händelserna.</p>"]
    tr = layers.get("trygghet")
    if tr is None or len(tr) == 0:
        parts.append('<p class="empty">Ingen trygghetsenkät ingår i denna lägesbild.</p>')
        return "\n".join(parts)
    share_col = next((c for c in ("otrygg_share", "share_unsafe") if c in tr.columns), None)
    mean_col = next((c for c in ("mean_worry", "mean_score") if c in tr.columns), None)
    rows = []
    for d in rp.records(tr.sort_values("district_code")):
        cells = [rp.td(d.get("district_name") or d.get("district_code")), rp.td_num(d.get("n"))]
        if share_col:
            cells.append(rp.td_num(d.get(share_col), kind="pct", decimals=0))
        if mean_col:
            cells.append(rp.td_num(d.get(mean_col), kind="num", decimals=2))
        cells.append(rp.td(_trygghet_remark(d, tr, share_col, mean_col)))
        rows.append(f'<tr data-district="{html.escape(str(d["district_code"]))}">'
                    + "".join(cells) + "</tr>")
    headers = ["Distrikt", "Antal svar"] + (["Andel otrygga"] if share_col else []) + \
        (["Oro för brott (medel 1–5)"] if mean_col else []) + ["Anmärkning"]
    parts += ["<h3>Trygghet per distrikt</h3>",
              rp.table(headers, rows, table_id="trygghet", num_cols=tuple(range(1, len(headers) - 1))),
              f'<p class="note">Värden som bygger på färre än {mr} svar visas inte '
              "(”för få svar för att visas”).</p>"]
    if share_col and tr[share_col].notna().any():
        parts.append(_trygghet_map(tr, share_col))
    parts.append(_perceived_block(lb, tr, mr))
    return "\n".join(p for p in parts if p)


def _trygghet_remark(d: dict[str, Any], tr: pd.DataFrame, share_col: str | None,
                     mean_col: str | None) -> str:
    """Why a row shows "–": too few respondents, or too few valid answers ("Vet ej", no
    weight) though enough answered; and a survey area that is no district of the layer."""
    if d.get("suppressed"):
        text = "för få svar för att visas"
    elif any(c and rp.missing(d.get(c)) and tr[c].notna().any() for c in (share_col, mean_col)):
        text = "för få giltiga svar för att visas"
    else:
        text = ""
    if "district_name" in tr.columns and rp.missing(d.get("district_name")):
        text = "; ".join(t for t in (text, "inte ett distrikt i distriktsskiktet") if t)
    return text


def _trygghet_map(tr: gpd.GeoDataFrame, share_col: str) -> str:
    vals = tr[share_col].astype("float64")
    edges = [0.0, 0.1, 0.2, 0.3, 0.4, np.inf]
    palette = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
    labels = ["under 10 %", "10–20 %", "20–30 %", "30–40 %", "40 % eller mer"]
    bins = np.digitize(vals.to_numpy(), edges[1:-1])
    layers_: list[tuple[Any, dict[str, Any]]] = []
    legend = []
    for k, (color, lab) in enumerate(zip(palette, labels, strict=True)):
        sel = (vals.notna() & (bins == k)).to_numpy()
        if sel.any():
            layers_.append((tr[sel], {"color": color, "edgecolor": "#666666", "linewidth": 0.5}))
            legend.append((lab, color))
    hidden = tr[vals.isna().to_numpy()]
    if len(hidden):
        layers_.append((hidden, {"color": "#eeeeee", "edgecolor": "#999999", "linewidth": 0.5,
                                 "hatch": "///"}))
        legend.append(("för få svar för att visas", "#eeeeee"))
    return rp.fig_block(
        rp.map_svg(layers_, title="Andel som känner sig otrygga", legend=legend),
        "Andel svarande som känner sig ganska eller mycket otrygga (eller aldrig går ut) "
        "sent en kväll i sitt bostadsområde. Skrafferade distrikt: för få svar.", "fig-trygghet")


def _perceived_block(lb: Lagesbild, tr: gpd.GeoDataFrame, mr: int) -> str:
    pvr = lb.survey.get("perceived_vs_reported") if lb.survey else None
    if not (isinstance(pvr, pd.DataFrame) and len(pvr) and "pattern" in pvr.columns):
        return ""
    df = pvr.reset_index() if "district_code" not in pvr.columns else pvr
    n_ok = df["n"] if "n" in df.columns else pd.Series(np.inf, index=df.index)
    ok = df["pattern"].notna() & ~(pd.to_numeric(n_ok, errors="coerce") < mr).fillna(False)
    if "suppressed" in df.columns:
        ok &= ~df["suppressed"].fillna(False).astype(bool)
    names: dict[str, str] = (
        {str(k): str(v) for k, v in zip(tr["district_code"], tr["district_name"], strict=False)}
        if "district_name" in tr.columns else {})
    rows = []
    key = "district_code" if "district_code" in df.columns else df.columns[0]
    for d in rp.records(df[ok]):
        code = str(d.get(key))
        rows.append(f'<tr data-district="{html.escape(code)}">{rp.td(names.get(code, code))}'
                    f"{rp.td(_PATTERN_SV.get(str(d['pattern']), str(d['pattern'])))}"
                    f"{rp.td_num(d.get('std_diff'), kind='num', decimals=2)}</tr>")
    if not rows:
        return ""
    return "\n".join([
        "<h3>Upplevd otrygghet jämfört med anmälda händelser</h3>",
        rp.table(["Distrikt", "Mönster", "Standardiserad skillnad"], rows, table_id="upplevt-anmalt",
                 num_cols=(2,)),
        '<p class="note">Positiv skillnad: platsen upplevs otryggare än antalet anmälda händelser '
        "per invånare antyder.</p>"])


# ------------------------------------------------------------ 3. orsaker och mönster

def _orsaker(lb: Lagesbild, pub: Lagesbild, layers: dict[str, gpd.GeoDataFrame], mc: int,
             near: Sequence[tuple[str, KnoxResult | str]]) -> str:
    parts = ['<h2 id="orsaker">3. Orsaker och mönster</h2>',
             '<p class="lead">När händelserna inträffar, om inbrott följs av nya inbrott i närheten, '
             "var nya eller förändrade koncentrationer växer fram, och vilka slags händelser som "
             "dominerar i klustren.</p>",
             _time_block(pub), _near_repeat_block(near, mc), _emerging_block(lb, layers),
             _clusters_block(lb, pub, layers, mc)]
    return "\n".join(p for p in parts if p)


def _time_block(pub: Lagesbild) -> str:
    hours = _published(pub, "hours")
    days = _published(pub, "weekdays")
    if hours is None or days is None:
        return ""
    rows = [f'<tr data-weekday="{i}">{rp.td(WEEKDAYS[i])}{rp.td_num(v)}</tr>'
            for i, v in enumerate(days.reindex(range(7)).to_list())]
    return "\n".join([
        "<h3>Tid på dygnet och veckodag</h3>",
        rp.fig_block(rp.bar_chart([f"{h:02d}" for h in range(24)], hours.reindex(range(24)).to_list(),
                                  title="Händelser per timme", ylabel="Antal", color="#5e3c99"),
                     "Antal händelser per timme (lokal tid).", "fig-timme"),
        rp.fig_block(rp.bar_chart(list(WEEKDAYS), days.reindex(range(7)).to_list(),
                                  title="Händelser per veckodag", ylabel="Antal", color="#5e3c99"),
                     "Antal händelser per veckodag.", "fig-veckodag"),
        rp.table(["Veckodag", "Antal"], rows, table_id="veckodagar", num_cols=(1,))])


def near_repeat_results(lagesbild: Lagesbild, *, categories: Sequence[str] = NEAR_REPEAT_CATEGORIES,
                        seed: int | None = None, permutations: int = 99
                        ) -> list[tuple[str, KnoxResult | str]]:
    """The report's Knox tests: one per category with events in the period.

    Each category's incidents of the analysis period placed at a point or an
    address are tested with :func:`lagesbild_geo.nearrepeat.knox`
    (:data:`NEAR_REPEAT_BANDS`, manhattan distance, ``permutations`` permutations,
    ``seed`` = the bundle's ``Settings.seed`` so the report is reproducible). A
    category with fewer than :data:`lagesbild_geo.nearrepeat.MIN_EVENTS` such events
    gets a Swedish sentence instead of a result; a category without events is left out.

    Returns
    -------
    list of (category, KnoxResult or str)

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> [c for c, r in near_repeat_results(example_lagesbild(clusters=False, emerging=False))]
    ['bostadsinbrott', 'fordonsbrott']
    """
    inc = period_incidents(lagesbild)
    if len(inc) == 0 or "category" not in inc.columns:
        return []
    settings = lagesbild.settings if isinstance(lagesbild.settings, Settings) else Settings()
    out: list[tuple[str, KnoxResult | str]] = []
    for cat in categories:
        sel = inc["category"].astype("string").eq(cat).to_numpy(dtype=bool, na_value=False)
        if not sel.any():
            continue
        events = inc.loc[sel]
        if "precision" in events.columns:
            events = events.loc[events["precision"].astype("string").isin(list(POINT_PRECISIONS))
                                .to_numpy(dtype=bool, na_value=False)]
        if len(events) < MIN_EVENTS:
            out.append((cat, f"För få händelser med exakt position (färre än {MIN_EVENTS}) för att "
                             "pröva nära upprepning."))
            continue
        out.append((cat, knox(events, category=cat, permutations=permutations,
                              seed=settings.seed if seed is None else seed,
                              distance_bands=NEAR_REPEAT_BANDS["distance_bands"],
                              time_bands=NEAR_REPEAT_BANDS["time_bands"])))
    return out


def _near_repeat_block(near: Sequence[tuple[str, KnoxResult | str]], mc: int) -> str:
    parts = ["<h3>Nära upprepning (near repeat)</h3>",
             '<p class="note">Följs ett inbrott av nya inbrott i grannskapet inom kort? Knoxtestet '
             "räknar par av händelser efter avstånd och tid mellan dem och jämför med slumpade "
             "omfördelningar av tiderna. Rött: fler par än om tid och plats vore oberoende. "
             "Riskzoner runt enskilda händelser visas inte i rapporten: de skulle röja var "
             "händelserna inträffade.</p>"]
    if not near:
        parts.append('<p class="empty">Inga bostadsinbrott eller fordonsbrott med exakt position och '
                     "tid under perioden (eller enskilda händelser ingår inte i underlaget).</p>")
    for cat, res in near:
        parts.append(f'<div class="near-repeat" data-category="{html.escape(cat)}">'
                     f"<h4>{html.escape(rp.cat_label(cat))}</h4>")
        if isinstance(res, str):
            parts.append(f'<p class="empty">{html.escape(res)}</p></div>')
            continue
        parts.append(rp.knox_block(res, min_count=mc))
        parts.append("</div>")
    return "\n".join(parts)


def _period_label(label: str, period: str) -> str:
    """"2024Q1" → "kvartal 1 2024", "2024-03" → "mars 2024"; other labels as they are."""
    try:
        if period == "quarter" and "Q" in label:
            year, q = label.split("Q")
            return f"kvartal {int(q)} {int(year)}"
        if period == "month":
            p = pd.Period(label, freq="M")
            return f"{month_sv(p.month)} {p.year}"
    except (ValueError, TypeError):
        pass
    return label


def emerging_settings_text(parameters: dict[str, Any] | None) -> str:
    """The emerging-hotspot neighbourhood and time settings in Swedish words.

    From ``metadata["parameters"]["emerging"]`` (``period``, ``rings``, ``time_step``,
    ``global_window``, ``history_periods``); "" when there are none.

    Examples
    --------
    >>> print(emerging_settings_text({"period": "quarter", "rings": 1, "time_step": 1,
    ...                               "global_window": "cube", "history_periods": ["2024Q1"]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Inställningar: varje H3-cell jämförs med sina grannar inom 1 steg (ring) per kvartal.
    Grannskapet omfattar också samma celler under det närmast föregående kvartalet (tidssteg 1,
    som i ArcGIS). Medelvärde och spridning beräknas över hela rum–tid-kuben (alla celler och
    perioder). Kvartal 1 2024 används bara som historik och klassas inte.
    """
    if not parameters:
        return ""
    period = str(parameters.get("period") or "")
    one, previous, many = _PERIOD_WORDS.get(period, ("period", "den närmast föregående perioden",
                                                      "perioderna"))
    rings = int(parameters.get("rings") or 1)
    step = int(parameters.get("time_step") or 0)
    text = (f"Inställningar: varje H3-cell jämförs med sina grannar inom {rings} "
            f"{'steg (ring)' if rings == 1 else 'steg (ringar)'} per {one}.")
    if step == 0:
        text += f" Grannskapet omfattar bara samma {one} (tidssteg 0: bara rumsligt grannskap)."
    elif step == 1:
        text += f" Grannskapet omfattar också samma celler under {previous} (tidssteg 1, som i ArcGIS)."
    else:
        text += (f" Grannskapet omfattar också samma celler under de {step} närmast föregående "
                 f"{many} (tidssteg {step}).")
    window = parameters.get("global_window")
    if window:
        text += f" Medelvärde och spridning beräknas över {_WINDOW_SV.get(str(window), str(window))}."
    hist = [str(h) for h in (parameters.get("history_periods") or [])]
    if hist:
        names = " och ".join(_period_label(h, period) for h in hist)
        text += f" {names[0].upper() + names[1:]} används bara som historik och klassas inte."
    return text


def _emerging_block(lb: Lagesbild, layers: dict[str, gpd.GeoDataFrame]) -> str:
    em = layers.get("emerging")
    parts = ["<h3>Framväxande hotspots</h3>"]
    params = ((lb.metadata or {}).get("parameters") or {}).get("emerging")
    if not params and isinstance(lb.emerging, pd.DataFrame):
        params = lb.emerging.attrs.get("emerging")
    if em is None or not len(em) or "emerging_class" not in em.columns:
        parts.append('<p class="empty">Framväxande hotspots kan inte beräknas: inga händelser har exakt '
                     'position.</p>' if without_positions(lb, layers) else
                     '<p class="empty">Ingen analys av framväxande hotspots ingår.</p>')
        return "\n".join(parts)
    settings_text = emerging_settings_text(params)
    if settings_text:
        parts.append(f'<p class="note" id="framvaxande-installningar">{html.escape(settings_text)}</p>')
    vc = em["emerging_class"].astype(str).value_counts()
    order = [c for c in EMERGING_CLASSES if c in vc.index and c != "no_pattern"]
    if order:
        rows = [f'<tr data-class="{c}">{rp.td(EMERGING_LABELS_SV[c])}{rp.td_num(vc[c])}</tr>'
                for c in order]
        parts.append(rp.table(["Trendklass", "Antal celler"], rows, table_id="framvaxande",
                              num_cols=(1,)))
    else:
        parts.append('<p class="empty">Inga celler visar ett trendmönster.</p>')
    return "\n".join(parts)


def _clusters_total(lb: Lagesbild, pub: Lagesbild) -> int | None:
    """All incidents the clusters were found among: the build's clustering count, else the
    published period total."""
    n = (lb.clusters.attrs or {}).get("n_points") if isinstance(lb.clusters, pd.DataFrame) else None
    if n:
        return int(n)
    tot = _published(pub, "totals")
    return None if tot is None or rp.missing(tot.iloc[0]) else int(tot.iloc[0])


def _cluster_categories(d: dict[str, Any]) -> str:
    tops = d.get("top_categories")
    if not isinstance(tops, (list, tuple, np.ndarray)):
        tops = [d.get(f"top{i}_category") for i in (1, 2, 3)]
    return ", ".join(rp.cat_label(x) for x in tops if not rp.missing(x))


def _cluster_peak(d: dict[str, Any]) -> str:
    day: Any = d.get("peak_weekday")
    hour: Any = d.get("peak_hour")
    if rp.missing(hour):
        return ""
    if not rp.missing(day):
        return f"{WEEKDAYS[int(day)]} kl. {int(hour):02d}"
    return f"kl. {int(hour):02d}"


def _clusters_block(lb: Lagesbild, pub: Lagesbild, layers: dict[str, gpd.GeoDataFrame], mc: int) -> str:
    cl = layers.get("clusters")
    parts = ["<h3>Kluster av händelser</h3>"]
    if cl is None or not len(cl):
        parts.append('<p class="empty">Täthetskluster kan inte beräknas: inga händelser har exakt '
                     'position.</p>' if without_positions(pub, layers) else
                     '<p class="empty">Inga täthetskluster hittades.</p>')
        return "\n".join(parts)
    desc = describe_clusters(cl, _clusters_total(lb, pub), spread_share=SPREAD_SHARE)
    rows = []
    for (_, d), (_, dd) in zip(cl.iterrows(), desc.iterrows(), strict=True):
        rec = {str(k): v for k, v in d.items()}
        area_ha = None if rp.missing(rec.get("area_m2")) else float(rec["area_m2"]) / 1e4
        cls = ' class="spread"' if dd["spread"] else ""
        rows.append(f'<tr data-cluster="{html.escape(str(rec["cluster_id"]))}"{cls} '
                    f'data-spread="{str(bool(dd["spread"])).lower()}">'
                    f"{rp.td(dd['label_sv'])}{rp.td_num(rec.get('n'))}"
                    # the area of the published polygon: a measure, not a rate, written in full
                    f"{rp.td_num(area_ha, kind='num', decimals=1, as_shown=False)}"
                    f"{rp.td_num(dd['share'], kind='pct', decimals=0)}"
                    f"{rp.td(_cluster_categories(rec))}{rp.td(_cluster_peak(rec))}</tr>")
    parts.append(rp.table(["Koncentration", "Antal händelser", "Yta (ha)", "Andel av alla",
                           "Dominerande kategorier", "Mest aktiv"], rows, table_id="kluster",
                          num_cols=(1, 2, 3)))
    limit = percent(SPREAD_SHARE, decimals=0)
    parts.append(f'<p class="note" id="kluster-spridd">Täthetskluster (DBSCAN): platser där många '
                 f"händelser ligger tätt. Ett kluster med mer än {limit} av alla händelser med exakt "
                 "position redovisas som spridd förekomst, inte som en hotspot: det täcker en stor "
                 f"del av tätorten. Kluster med färre än {mc} händelser visas inte.</p>")
    for text in desc.loc[desc["spread"], "description_sv"]:
        parts.append(f'<p class="spread-text">{html.escape(str(text))}</p>')
    return "\n".join(parts)


# ------------------------------------------------------ 4. åtgärdsplan, 5. uppföljning

def _measures_table(store: MeasureStoreProtocol | str | Path | None, lb: Lagesbild
                    ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    if store is None:
        if isinstance(lb, LagesbildPackage) and len(lb.areas):
            rows = []
            for d in rp.records(lb.areas):
                for m in d.get("measures") or []:
                    rows.append(dict(m, area_id=d["area_id"], area_name=d.get("area_name")))
            return pd.DataFrame(rows), lb.areas
        return pd.DataFrame(), gpd.GeoDataFrame()
    areas, measures = areas_and_measures(store)
    return with_id_column(measures, "measure_id"), areas


def _atgardsplan(measures: pd.DataFrame, today: _dt.date) -> str:
    parts = ['<h2 id="atgardsplan">4. Åtgärdsplan</h2>',
             '<p class="lead">Beslutade och planerade åtgärder: var de genomförs, vilka '
             "brottskategorier de riktar sig mot, vem som ansvarar och när de följs upp.</p>"]
    if measures is None or len(measures) == 0:
        parts.append('<p class="empty">Inga åtgärder är registrerade.</p>')
        return "\n".join(parts)
    parts.append(rp.measures_table(measures, table_id="atgarder", today=today))
    n_late = len(rp.overdue_rows(measures, today=today))
    if n_late:
        parts.append(f'<p class="note">{integer(n_late)} åtgärd{"er" if n_late > 1 else ""} har passerat '
                     f"sitt uppföljningsdatum ({rp.date_text(today)}) och är markerad"
                     f'{"e" if n_late > 1 else ""} ”försenad”.</p>')
    return "\n".join(parts)


def _run_followup(r: dict[str, Any], lb: Lagesbild, store: MeasureStoreProtocol | str | Path | None) -> Any:
    if store is None:
        return None
    st = MeasureStore(store) if isinstance(store, str | Path) else store
    m = st.get_measure(str(r.get("measure_id") or r.get("id")))
    return followup(m, lb.incidents, store=st)


def _uppfoljning(lb: Lagesbild, measures: pd.DataFrame,
                 store: MeasureStoreProtocol | str | Path | None, mc: int) -> str:
    parts = ['<h2 id="uppfoljning">5. Uppföljning</h2>',
             '<p class="lead">Hur de riktade brottskategorierna har utvecklats i åtgärdens område, '
             "i en buffertzon runt det och i resten av kommunen, lika långa perioder före och "
             "efter start (Weighted Displacement Quotient, Bowers &amp; Johnson 2003). Med färre "
             f"än {rp.FOLLOWUP_CAUTION_MIN} händelser före eller efter i området eller buffertzonen "
             "redovisas antalen med en varning i stället för som en effekt.</p>"]
    if measures is None or len(measures) == 0:
        parts.append('<p class="empty">Inga åtgärder att följa upp.</p>')
        return "\n".join(parts)
    if len(lb.incidents) == 0:
        parts.append('<p class="empty">Uppföljning kräver händelsedata.</p>')
        return "\n".join(parts)
    parts += followup_sections(lb, measures, store, mc)
    if len(parts) == 2:
        parts.append('<p class="empty">Ingen åtgärd har startat inom händelsedatans period.</p>')
    return "\n".join(parts)


def followup_sections(lb: Lagesbild, measures: pd.DataFrame,
                      store: MeasureStoreProtocol | str | Path | None, mc: int) -> list[str]:
    """One follow-up block per measure that has started within the data (for the report and
    the area profile); a measure whose follow-up fails gets a note, not an error."""
    parts: list[str] = []
    last = rp.latest_date(lb.incidents)
    for r in rp.records(measures):
        start: Any = r.get("start_date")
        mid = str(r.get("measure_id") or r.get("id") or "")
        title = str(r.get("title") or "")
        if rp.missing(start) or pd.Timestamp(start).date() > last:
            continue
        try:
            res = _run_followup(r, lb, store)
        except Exception as exc:  # one measure must not stop the report
            parts.append(f'<h3>{html.escape(title)}</h3><p class="note">Uppföljningen kunde inte '
                         f"beräknas: {html.escape(_followup_failure_sv(exc))}</p>")
            continue
        if res is not None:
            parts.append(rp.followup_block(res, mid=mid, title=title, min_count=mc))
    return parts


def _followup_failure_sv(exc: Exception) -> str:
    """Why a measure's follow-up failed, in Swedish for the report's readers: a rule the
    measure breaks in the model's own Swedish words, anything else plainly, with the
    technical text (English) after it."""
    if isinstance(exc, ValidationError):
        return "; ".join(sv.rstrip(".") for _, _, sv in exc.problems) + "."
    if isinstance(exc, NotFoundError):
        return "åtgärden eller dess område finns inte längre i åtgärdsregistret."
    return f"uppgifterna räckte inte till (teknisk beskrivning, på engelska: {exc})"


#: The multiple-testing correction in words (Settings.correction's ids are English).
CORRECTION_SV = {
    "fdr": "korrektion för många samtidiga test: FDR (Benjamini–Hochberg)",
    "bonferroni": "korrektion för många samtidiga test: Bonferroni",
    "none": "ingen korrektion för många samtidiga test",
}


def _metod(lb: Lagesbild, info: dict[str, Any], settings: Settings) -> str:
    meta = dict(lb.metadata or {})
    srcs = meta.get("sources") or []
    names: list[str] = []
    if isinstance(srcs, dict):
        names = [Path(str(k)).name for k in srcs]
    elif isinstance(srcs, (list, tuple)):
        for s in srcs:
            if isinstance(s, dict):
                n = s.get("name") or s.get("file") or s.get("path")
                if n:
                    names.append(Path(str(n)).name)
            elif isinstance(s, (str, Path)):
                names.append(Path(str(s)).name)
    excluded = len(info.get("excluded_columns") or [])
    nr = NEAR_REPEAT_BANDS
    items = [
        f"Källor: {html.escape(', '.join(names) or 'ej angivna')}.",
        f"H3-upplösning {settings.resolution}; Getis-Ord Gi* med {settings.rings} grannring(ar), "
        f"signifikansnivå {number(settings.alpha, decimals=2)}, "
        f"{CORRECTION_SV.get(settings.correction, html.escape(settings.correction))}.",
        "Nära upprepning: Knoxtest med avståndsbanden "
        f"{', '.join(integer(v) for v in nr['distance_bands'])} m och tidsbanden "
        f"{', '.join(integer(v) for v in nr['time_bands'])} dagar (manhattanavstånd, 99 "
        f"omfördelningar, slumpfrö {settings.seed}).",
        f"Sekretess: antal som bygger på färre än {info['min_count']} händelser och enkätvärden "
        f"som bygger på färre än {info['min_respondents']} svar visas inte ({MISSING}).",
        "Enskilda händelser, enkätsvar och fritext redovisas aldrig; kolumner som liknar "
        f"personuppgifter ({excluded} st.) har uteslutits.",
    ]
    # what the build says about the data in Swedish (published with the package, shown beside
    # the app's map: no counts that would need protecting)
    items += [html.escape(str(n)) for n in meta.get("notes_sv") or [] if str(n).strip()]
    return ('<h2 id="metod">Metod och sekretess</h2><ul>'
            + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


# ------------------------------------------------------------------------ API

@dataclass(frozen=True)
class _Inputs:
    """What every section needs, prepared once."""

    pub: Lagesbild
    layers: dict[str, gpd.GeoDataFrame]
    info: dict[str, Any]
    measures: pd.DataFrame
    areas: gpd.GeoDataFrame
    settings: Settings
    mc: int
    mr: int


def _prepare(lagesbild: Lagesbild, store: MeasureStoreProtocol | str | Path | None,
             privacy: Privacy | None, allow_personal_data: Iterable[str]) -> _Inputs:
    if not isinstance(lagesbild, Lagesbild):
        raise InputError(f"write_report needs a Lagesbild bundle, got {type(lagesbild).__name__}; "
                         "build one with lagesbild_geo.pipeline.build_lagesbild or read_package.")
    allow = tuple(allow_personal_data)
    p = resolve_privacy(lagesbild, privacy)
    pub, layers, info = published_package(lagesbild, store=store, privacy=p,
                                          layers=["cells", "hotspots", "clusters", "emerging", "districts",
                                                  "trygghet"], allow_personal_data=allow)
    measures, areas = _measures_table(store, lagesbild)
    check_free_text({"areas": pd.DataFrame(areas) if len(areas) else None,
                     "measures": measures if len(measures) else None},
                    allow_personal_data=allow, what="rapporten",
                    fields=("areas.name", "measures.title"))
    settings = lagesbild.settings if isinstance(lagesbild.settings, Settings) else Settings()
    return _Inputs(pub=pub, layers=layers, info=info, measures=measures,
                   areas=areas if isinstance(areas, gpd.GeoDataFrame) else gpd.GeoDataFrame(),
                   settings=settings, mc=int(info["min_count"]), mr=int(info["min_respondents"]))


_NAV = ('<nav><ol><li><a href="#omfattning">Omfattning</a></li>'
        '<li><a href="#konsekvenser">Konsekvenser och trygghet</a></li>'
        '<li><a href="#orsaker">Orsaker och mönster</a></li>'
        '<li><a href="#atgardsplan">Åtgärdsplan</a></li>'
        '<li><a href="#uppfoljning">Uppföljning</a></li>'
        '<li><a href="#metod">Metod och sekretess</a></li></ol></nav>')


def write_report(
    lagesbild: Lagesbild,
    path: str | Path,
    *,
    store: MeasureStoreProtocol | str | Path | None = None,
    privacy: Privacy | None = None,
    title: str | None = None,
    allow_personal_data: Iterable[str] = (),
) -> Path:
    """Write the lägesbild report as one standalone HTML file in Swedish.

    Sections: *Omfattning* (totals, H3 cells with events, categories, months,
    hotspot map, districts), *Konsekvenser och trygghet* (survey indicators per
    district, a map, perceived vs reported), *Orsaker och mönster* (hour and
    weekday, near repeats of bostadsinbrott and fordonsbrott as Knox grids
    (:func:`near_repeat_results`), emerging hotspots with the neighbourhood and time
    settings in words, clusters described by size with "spridd förekomst" for a
    cluster holding more than 40 % of all incidents (:func:`lagesbild_geo.hotspots.describe_clusters`)),
    *Åtgärdsplan* (measures from ``store``, overdue follow-ups marked) and
    *Uppföljning* (before/after counts and WDQ per started measure,
    :func:`lagesbild_geo.followup.followup`, with a caution instead of a reading when
    fewer than 20 incidents fall before or after in the area or the buffer), then
    method and privacy notes. Charts and maps are matplotlib SVG inlined in the page;
    no external requests. Privacy rules as in the export: counts below
    ``min_count`` and survey values below ``min_respondents`` show as "–"; a hidden
    follow-up count hides the other zones of its period (they add up to a total known
    from elsewhere), and a Knox grid hides pair counts below ``min_count``
    (:func:`lagesbild_geo._report_parts.published_knox`).

    Every shown number carries a ``data-value`` attribute (plain number, a share or a
    rate rounded as shown) so the report can be checked against the bundle by a program.

    Parameters
    ----------
    lagesbild
        The bundle (not modified).
    path
        The HTML file to write.
    store
        A :class:`~lagesbild_geo.measures.MeasureStore` (or its path) for the
        åtgärdsplan and follow-up; ``None``: the bundle's areas when it is a
        package, else the sections say that no measures are registered.
    privacy
        Thresholds (default: the bundle's settings).
    title
        Page title (default "Lägesbild <kommun> <period>").
    allow_personal_data
        Free-text fields (``"areas.name"``, ``"measures.title"``,
        ``"districts.district_name"``) to print although they look like personal
        data; otherwise such a value stops the report
        (:class:`~lagesbild_geo.errors.PrivacyError`, naming field and row).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.export import export_package, read_package
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = export_package(example_lagesbild(clusters=False, emerging=False), tmp / "paket", gpkg=False)
    >>> write_report(read_package(tmp / "paket"), tmp / "rapport.html").name  # from the package alone
    'rapport.html'
    """
    x = _prepare(lagesbild, store, privacy, allow_personal_data)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(lagesbild.metadata or {})
    heading = title or " ".join(v for v in ("Lägesbild", rp.kommun_name(meta), rp.period_text(meta)) if v)
    near = near_repeat_results(lagesbild)
    import matplotlib

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9,
                                "axes.titleweight": "bold"}):
        body = "\n".join([
            _omfattning(x.pub, x.layers, x.areas, x.mc),
            _konsekvenser(x.pub, x.layers, x.mr),
            _orsaker(lagesbild, x.pub, x.layers, x.mc, near),
            _atgardsplan(x.measures, rp.report_today(meta)),
            _uppfoljning(lagesbild, x.measures, store, x.mc),
            _metod(lagesbild, x.info, x.settings),
        ])
    lead = ("Kartläggning och lägesbild enligt lagen (2023:196) om kommuners ansvar för "
            f"brottsförebyggande arbete. Skapad {html.escape(rp.created_text(meta))} med lagesbild_geo "
            f"{html.escape(__version__)}.")
    footer = (f"Antal som bygger på färre än {x.mc} händelser och enkätvärden som bygger på färre än "
              f"{x.mr} svar visas som ”{MISSING}”. Kartor: H3-celler och distrikt ritade utan "
              "bakgrundskarta.")
    out.write_text(rp.html_document(heading=heading, lead=lead, body=body, footer=footer, nav=_NAV),
                   encoding="utf-8")
    return out
