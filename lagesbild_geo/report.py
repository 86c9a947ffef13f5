"""The lägesbild report: one standalone HTML file in Swedish.

Structured like the law's lägesbild (lag 2023:196): **omfattning**,
**konsekvenser och trygghet**, **orsaker och mönster**, then the
**åtgärdsplan** and its **uppföljning**. Charts and maps are drawn with
matplotlib and inlined as SVG: the file makes no external request (no
scripts, fonts, tiles or images from elsewhere) and prints cleanly to PDF.

Every number comes from the publishing step, :func:`lagesbild_geo.privacy.publishable`
(the same as the export's): counts resting on fewer than ``min_count`` incidents,
and values that would reveal them, show as "–"; survey values need
``min_respondents`` answers. Area names and measure titles with personal data
stop the report unless allowed (``allow_personal_data``).
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError
from .export import LagesbildPackage, _areas_from_store, _id_frame, package_layers
from .measures import ACTORS, MeasureStore, MeasureStoreProtocol
from .pipeline import Lagesbild
from .privacy import Privacy, check_free_text, protect_table, publishable, resolve_privacy
from .schema import CATEGORY_LABELS
from .settings import Settings

__all__ = ["HOTSPOT_LABELS_SV", "period_incidents", "write_report"]

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
_EMERGING_SV = {
    "new_hot": "Ny hotspot", "consecutive_hot": "Sammanhängande hotspot",
    "intensifying_hot": "Förstärkt hotspot", "persistent_hot": "Ihållande hotspot",
    "diminishing_hot": "Avtagande hotspot", "sporadic_hot": "Sporadisk hotspot",
    "oscillating_hot": "Växlande hotspot", "historical_hot": "Historisk hotspot",
    "new_cold": "Nytt kallt område", "consecutive_cold": "Sammanhängande kallt område",
    "intensifying_cold": "Förstärkt kallt område", "persistent_cold": "Ihållande kallt område",
    "diminishing_cold": "Avtagande kallt område", "sporadic_cold": "Sporadiskt kallt område",
    "oscillating_cold": "Växlande kallt område", "historical_cold": "Historiskt kallt område",
    "no_pattern": "Inget mönster",
}
_WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_STATUS_ORDER = ("pågående", "planerad", "genomförd", "avbruten")
_PATTERN_SV = {
    "feels_unsafe_few_reports": "Upplevs otryggt, få anmälda händelser",
    "many_reports_feels_safe": "Många händelser, upplevs tryggt",
    "consistent": "Samstämmigt",
}
_SUPPRESSED = "–"
_SUPPRESSED_TITLE = "För få för att visas"

_CSS = """
:root { --ink:#1d1d1b; --muted:#5b5b5b; --line:#d0d0d0; --accent:#8a1c2b; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 60rem; padding: 1.5rem 2rem 3rem; line-height: 1.45; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; color: var(--accent); }
h2 { font-size: 1.4rem; margin: 2.2rem 0 .6rem; border-bottom: 2px solid var(--accent);
     padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
p.lead { color: var(--muted); margin-top: 0; }
.keyfigs { display: flex; flex-wrap: wrap; gap: .8rem; margin: .8rem 0; }
.keyfig { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .9rem; min-width: 9rem; }
.keyfig .v { font-size: 1.6rem; font-weight: bold; display: block; }
.keyfig .l { font-size: .85rem; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f4f1ef; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.suppressed { color: var(--muted); }
figure { margin: .8rem 0 1.2rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: var(--muted); }
.note { font-size: .85rem; color: var(--muted); }
.empty { font-style: italic; color: var(--muted); }
nav ol { columns: 2; font-size: .95rem; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--line);
         padding-top: .5rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-before: page; }
  h2.first { break-before: avoid; }
  table, figure, .keyfigs { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 18mm 16mm; }
"""


# ----------------------------------------------------------------- formatting

def _fmt_int(v: float | int) -> str:
    return f"{round(v):,}".replace(",", "\u00a0").replace("-", "\u2212")


def _fmt_num(v: float, decimals: int = 1) -> str:
    s = f"{v:,.{decimals}f}"
    return s.replace(",", "\u00a0").replace(".", ",").replace("-", "\u2212")


def _fmt_pct(share: float, decimals: int = 0) -> str:
    return _fmt_num(100 * share, decimals) + "\u00a0%"


def _is_missing(v: Any) -> bool:
    if isinstance(v, (list, tuple, dict, np.ndarray)):
        return False
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _td_num(v: Any, *, kind: str = "int", decimals: int = 1, key: str | None = None) -> str:
    attr = f' data-key="{html.escape(key)}"' if key else ""
    if _is_missing(v):
        return (f'<td class="num suppressed"{attr} data-value="" '
                f'title="{_SUPPRESSED_TITLE}">{_SUPPRESSED}</td>')
    f = float(v)
    if kind == "int":
        text, value = _fmt_int(f), str(round(f))
    elif kind == "pct":
        text, value = _fmt_pct(f, decimals), repr(f)
    else:
        text, value = _fmt_num(f, decimals), repr(f)
    return f'<td class="num"{attr} data-value="{value}">{text}</td>'


def _td(text: Any) -> str:
    return f"<td>{html.escape('' if _is_missing(text) else str(text))}</td>"


def _table(headers: Sequence[str], rows: Iterable[str], *, table_id: str,
           num_cols: Sequence[int] = ()) -> str:
    ths = "".join(f'<th class="num">{html.escape(h)}</th>' if i in num_cols
                  else f"<th>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join(rows)
    return (f'<table id="{table_id}"><thead><tr>{ths}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in rec.items()} for rec in pd.DataFrame(frame).to_dict(orient="records")]


def _cat_label(cat: Any) -> str:
    return CATEGORY_LABELS.get(str(cat), str(cat))


# --------------------------------------------------------------------- charts

def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lagesbild"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text


def _figure(width: float = 7.5, height: float = 3.2) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _fig_block(svg: str, caption: str, fig_id: str) -> str:
    return (f'<figure id="{fig_id}">{svg}<figcaption>{html.escape(caption)}</figcaption>'
            "</figure>")


def _bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str,
               horizontal: bool = False, color: str = "#8a1c2b") -> str:
    fig, ax = _figure(7.5, 3.0 if not horizontal else max(2.2, 0.35 * len(labels) + 0.8))
    v = np.asarray(values, dtype="float64")
    shown = np.where(np.isfinite(v), v, 0.0)
    if horizontal:
        y = np.arange(len(labels))[::-1]
        ax.barh(y, shown, color=color)
        ax.set_yticks(y, labels)
        ax.set_xlabel(ylabel)
    else:
        x = np.arange(len(labels))
        ax.bar(x, shown, color=color)
        if len(labels) > 8 and max(len(lab) for lab in labels) > 3:
            ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
        else:
            ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylabel(ylabel)
        hidden = ~np.isfinite(v)
        if hidden.any():
            ax.plot(x[hidden], np.zeros(hidden.sum()), linestyle="none", marker="x",
                    color="#5b5b5b", label=_SUPPRESSED_TITLE)
            ax.legend(frameon=False, fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    return _svg(fig)


def _map(layers: Sequence[tuple[gpd.GeoDataFrame, dict[str, Any]]], *, title: str,
         legend: Sequence[tuple[str, str]] = ()) -> str:
    """A small static map in SWEREF 99 TM (no tiles): polygons drawn with matplotlib."""
    from matplotlib.patches import Patch

    fig, ax = _figure(7.5, 6.0)
    ax.set_axis_off()
    for gdf, style in layers:
        if gdf is None or len(gdf) == 0:
            continue
        g = gdf.to_crs("EPSG:3006") if gdf.crs is not None else gdf.set_crs(4326).to_crs(3006)
        g.plot(ax=ax, **style)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=11, loc="left")
    if legend:
        handles = [Patch(facecolor=c, edgecolor="#777777", label=lab) for lab, c in legend]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, framealpha=0.9)
    return _svg(fig)


# ---------------------------------------------------------------- sections

def _published(pub: Lagesbild, name: str) -> pd.Series | None:
    """A published one-way table's counts (hidden: NaN), or None."""
    t = (pub.tables or {}).get(name)
    if t is None or not len(t):
        return None
    return pd.to_numeric(t["count"], errors="coerce").astype("float64")


def _period_text(meta: dict[str, Any]) -> str:
    p = meta.get("period")
    if isinstance(p, dict):
        if p.get("label"):
            return str(p["label"])
        if p.get("start") and p.get("end"):
            return f"{p['start']} – {p['end']}"
    if isinstance(p, (list, tuple)) and len(p) == 2:
        return f"{p[0]} – {p[1]}"
    if p is not None and hasattr(p, "label"):
        return str(p.label)
    return "" if p is None else str(p)


def _kommun_name(meta: dict[str, Any]) -> str:
    k = meta.get("kommun")
    if isinstance(k, dict):
        return str(k.get("name") or "")
    if k is not None and hasattr(k, "name"):
        return str(k.name)
    return str(k or meta.get("kommun_name") or "")


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
    >>> period_incidents(lb)  # doctest: +SKIP
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


def _omfattning(lb: Lagesbild, layers: dict[str, gpd.GeoDataFrame], areas: gpd.GeoDataFrame,
                mc: int) -> str:
    parts = ['<h2 id="omfattning" class="first">1. Omfattning</h2>',
             '<p class="lead">Hur många händelser som registrerats, av vilka slag, hur det har '
             "förändrats över tid och var de koncentreras.</p>"]
    cats = _published(lb, "categories")
    tot = _published(lb, "totals")
    total = None if tot is None or _is_missing(tot.iloc[0]) else int(tot.iloc[0])
    hot = layers.get("hotspots", gpd.GeoDataFrame())
    n_hot = int(hot["hotspot_class"].astype(str).str.startswith("hot").sum()) if len(hot) and \
        "hotspot_class" in hot.columns else 0
    n_cells = len(layers.get("cells", []))
    figs = [("total", total, "placerade händelser under perioden"),
            ("n_categories", len(cats) if cats is not None else 0, "brottskategorier"),
            ("n_cells", n_cells, "H3-celler med händelser"),
            ("n_hot_cells", n_hot, "hotspotceller (Gi*)")]
    if cats is None:  # e.g. a package read back: it carries no incidents
        figs = figs[2:]
        parts.append('<p class="note">Enskilda händelser ingår inte i underlaget (till exempel ett '
                     "exporterat paket); antal per kategori, månad och tid visas därför inte.</p>")
    kf = []
    for key, v, label in figs:
        text = _SUPPRESSED if v is None else _fmt_int(v)
        value = "" if v is None else str(int(v))
        kf.append(f'<div class="keyfig"><span class="v" data-key="{key}" data-value="{value}">'
                  f'{text}</span><span class="l">{html.escape(label)}</span></div>')
    parts.append('<div class="keyfigs">' + "".join(kf) + "</div>")
    levels = _levels_text(lb, mc)
    if levels:
        parts.append(f'<p class="levels" id="nivaer">{levels}</p>')
    # per category
    if cats is not None and len(cats):
        rows = []
        for cat, v in cats.items():
            share = None if _is_missing(v) or not total else float(v) / total
            rows.append(f'<tr data-category="{html.escape(str(cat))}">{_td(_cat_label(cat))}'
                        f"{_td_num(v)}{_td_num(share, kind='pct', decimals=1)}</tr>")
        parts.append("<h3>Händelser per brottskategori</h3>")
        parts.append(_table(["Brottskategori", "Antal", "Andel"], rows, table_id="kategorier",
                            num_cols=(1, 2)))
        ordered = cats.sort_values(ascending=False, na_position="last")
        parts.append(_fig_block(
            _bar_chart([_cat_label(c) for c in ordered.index], ordered.to_list(),
                       title="Händelser per brottskategori", ylabel="Antal", horizontal=True),
            "Antal placerade händelser per brottskategori. Kategorier med färre än "
            f"{mc} händelser (och värden som skulle avslöja dem) visas inte.", "fig-kategorier"))
    # trend per month: every month of the data, not only the period
    months = _published(lb, "months")
    if months is not None and len(months):
        periods = [pd.Period(m, freq="M") for m in months.index]
        labels = [f"{_MONTHS_SV[p.month - 1]} {p.year}" for p in periods]
        parts.append("<h3>Utveckling över tid</h3>")
        parts.append(_fig_block(
            _bar_chart(labels, months.to_list(), title="Händelser per månad", ylabel="Antal"),
            f"Antal händelser per månad. Månader med färre än {mc} händelser (och månader dolda "
            "för att skydda dem) markeras med ×.", "fig-manad"))
        rows = [f'<tr data-month="{p}">{_td(lab)}{_td_num(v)}</tr>'
                for p, lab, v in zip(periods, labels, months.to_list(), strict=True)]
        parts.append(_table(["Månad", "Antal"], rows, table_id="manader", num_cols=(1,)))
    # hotspot map
    if len(hot) and "hotspot_class" in hot.columns:
        layers_ = []
        for cls, color in _HOTSPOT_COLORS.items():
            part = hot[hot["hotspot_class"] == cls]
            if len(part):
                edge = {"linewidth": 0.0} if cls == "none" else {"edgecolor": "#ffffff",
                                                                 "linewidth": 0.2}
                layers_.append((part, {"color": color, **edge}))
        dist = layers.get("districts")
        if dist is not None and len(dist):  # outlines on top of the cells
            layers_.append((dist, {"facecolor": "none", "edgecolor": "#7a7a7a", "linewidth": 0.6}))
        if len(areas):
            layers_.append((areas, {"facecolor": "none", "edgecolor": "#222222", "linewidth": 1.4,
                                    "linestyle": "--"}))
        present = [c for c in _HOTSPOT_COLORS if (hot["hotspot_class"] == c).any()]
        legend = [(HOTSPOT_LABELS_SV[c], _HOTSPOT_COLORS[c]) for c in present]
        parts.append("<h3>Var händelserna koncentreras</h3>")
        parts.append(_fig_block(
            _map(layers_, title="Hotspots (Getis-Ord Gi*) per H3-cell", legend=legend),
            "Celler där antalet händelser i cellen och dess grannar är statistiskt signifikant "
            "högt (hotspot) eller lågt, efter korrektion för multipla test. Streckade linjer: "
            "områden med åtgärder. Grå linjer: distrikt.", "fig-hotspots"))
        counts = hot["hotspot_class"].value_counts()
        rows = [f'<tr data-class="{c}">{_td(HOTSPOT_LABELS_SV[c])}{_td_num(counts.get(c, 0))}</tr>'
                for c in _HOTSPOT_COLORS if counts.get(c, 0)]
        parts.append(_table(["Klass", "Antal celler"], rows, table_id="hotspotklasser",
                            num_cols=(1,)))
    # districts
    dist = layers.get("districts")
    if dist is not None and len(dist):
        parts.append("<h3>Per distrikt</h3>")
        has_change = "change" in dist.columns
        headers = ["Distrikt", "Kod", "Antal", "Per 1 000 inv.", "Andel av kommunen"]
        if has_change:
            headers.append("Förändring")
        rows = []
        for d in _records(dist.sort_values("district_code")):
            cells = [_td(d.get("district_name")), _td(d.get("district_code")),
                     _td_num(d.get("count")),
                     _td_num(d.get("per_1000"), kind="num", decimals=1),
                     _td_num(d.get("share_of_total"), kind="pct", decimals=1)]
            if has_change:
                cells.append(_td_num(d.get("change")))
            rows.append(f'<tr data-district="{html.escape(str(d["district_code"]))}">'
                        + "".join(cells) + "</tr>")
        parts.append(_table(headers, rows, table_id="distrikt", num_cols=(2, 3, 4, 5)))
    return "\n".join(parts)


def _levels_text(lb: Lagesbild, mc: int) -> str:
    """"1 071 händelser, varav 412 placerade på område …": how exactly the period's
    incidents are known, what was left out and why (from the build's counts)."""
    counts = (lb.metadata or {}).get("counts") or {}
    lv = counts.get("levels") or {}
    if "total" not in lv or lv["total"] == 0:
        return ""

    def n(v: Any) -> str:  # None: hidden by the publishing step
        if v is None:
            return "ett dolt antal"
        v = int(v)
        return _fmt_int(v) if v == 0 or v >= mc else f"färre än {mc}"

    text = (f"{n(lv['total'])} händelser, varav {n(lv.get('district'))} placerade på område, "
            f"{n(lv.get('stadsdel'))} bara på stadsdelsnivå och {n(lv.get('kommun'))} bara på "
            "kommunnivå (i kommunen men i inget område: de räknas inte in i något områdes antal)")
    if lv.get("outside") or ("outside" in lv and lv["outside"] is None):
        text += f"; {n(lv['outside'])} utanför alla områden"
    text += "."
    excluded = counts.get("excluded") or {}
    if excluded:
        shown = ", ".join(f"{_cat_label(k)} {n(v)}" for k, v in sorted(excluded.items()))
        text += f" Utelämnade efter kategori: {shown}."
    rejected: dict[str, int] = {}
    for rep in (lb.reports or {}).values():
        for reason, k in (rep.get("rejected_by_reason") or {}).items():
            rejected[reason] = rejected.get(reason, 0) + int(k)
    if rejected.get("other kommun") or rejected.get("lan level"):
        text += (f" Polisens händelser i andra kommuner ({n(rejected.get('other kommun', 0))}) och bara på "
                 f"länsnivå ({n(rejected.get('lan level', 0))}) ingår inte.")
    return html.escape(text)


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
    for d in _records(tr.sort_values("district_code")):
        cells = [_td(d.get("district_name") or d.get("district_code")),
                 _td_num(d.get("n"))]
        if share_col:
            cells.append(_td_num(d.get(share_col), kind="pct", decimals=0))
        if mean_col:
            cells.append(_td_num(d.get(mean_col), kind="num", decimals=2))
        note = "för få svar för att visas" if d.get("suppressed") else ""
        cells.append(_td(note))
        rows.append(f'<tr data-district="{html.escape(str(d["district_code"]))}">'
                    + "".join(cells) + "</tr>")
    headers = ["Distrikt", "Antal svar"] + (["Andel otrygga"] if share_col else []) + \
        (["Oro för brott (medel 1–5)"] if mean_col else []) + ["Anmärkning"]
    parts.append("<h3>Trygghet per distrikt</h3>")
    parts.append(_table(headers, rows, table_id="trygghet",
                        num_cols=tuple(range(1, len(headers) - 1))))
    parts.append(f'<p class="note">Värden som bygger på färre än {mr} svar visas inte '
                 "(”för få svar för att visas”).</p>")
    if share_col and tr[share_col].notna().any():
        vals = tr[share_col].astype("float64")
        edges = [0.0, 0.1, 0.2, 0.3, 0.4, np.inf]
        palette = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
        labels = ["under 10 %", "10–20 %", "20–30 %", "30–40 %", "40 % eller mer"]
        bins = np.digitize(vals.to_numpy(), edges[1:-1])
        layers_ = []
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
        parts.append(_fig_block(
            _map(layers_, title="Andel som känner sig otrygga", legend=legend),
            "Andel svarande som känner sig ganska eller mycket otrygga (eller aldrig går ut) "
            "sent en kväll i sitt bostadsområde. Skrafferade distrikt: för få svar.",
            "fig-trygghet"))
    pvr = lb.survey.get("perceived_vs_reported") if lb.survey else None
    if isinstance(pvr, pd.DataFrame) and len(pvr) and "pattern" in pvr.columns:
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
        for d in _records(df[ok]):
            code = str(d.get(key))
            rows.append(f'<tr data-district="{html.escape(code)}">{_td(names.get(code, code))}'
                        f"{_td(_PATTERN_SV.get(str(d['pattern']), str(d['pattern'])))}"
                        f"{_td_num(d.get('std_diff'), kind='num', decimals=2)}</tr>")
        if rows:
            parts.append("<h3>Upplevd otrygghet jämfört med anmälda händelser</h3>")
            parts.append(_table(["Distrikt", "Mönster", "Standardiserad skillnad"], rows,
                                table_id="upplevt-anmalt", num_cols=(2,)))
            parts.append('<p class="note">Positiv skillnad: platsen upplevs otryggare än '
                         "antalet anmälda händelser per invånare antyder.</p>")
    return "\n".join(parts)


def _orsaker(lb: Lagesbild, layers: dict[str, gpd.GeoDataFrame], mc: int) -> str:
    parts = ['<h2 id="orsaker">3. Orsaker och mönster</h2>',
             '<p class="lead">När händelserna inträffar, var nya eller förändrade koncentrationer '
             "växer fram, och vilka slags händelser som dominerar i klustren.</p>"]
    hours = _published(lb, "hours")
    days = _published(lb, "weekdays")
    if hours is not None and days is not None:
        parts.append("<h3>Tid på dygnet och veckodag</h3>")
        parts.append(_fig_block(
            _bar_chart([f"{h:02d}" for h in range(24)], hours.reindex(range(24)).to_list(),
                       title="Händelser per timme", ylabel="Antal", color="#5e3c99"),
            "Antal händelser per timme (lokal tid).", "fig-timme"))
        parts.append(_fig_block(
            _bar_chart(list(_WEEKDAYS_SV), days.reindex(range(7)).to_list(),
                       title="Händelser per veckodag", ylabel="Antal", color="#5e3c99"),
            "Antal händelser per veckodag.", "fig-veckodag"))
        rows = [f'<tr data-weekday="{i}">{_td(_WEEKDAYS_SV[i])}{_td_num(v)}</tr>'
                for i, v in enumerate(days.reindex(range(7)).to_list())]
        parts.append(_table(["Veckodag", "Antal"], rows, table_id="veckodagar", num_cols=(1,)))
    em = layers.get("emerging")
    parts.append("<h3>Framväxande hotspots</h3>")
    if em is not None and len(em) and "emerging_class" in em.columns:
        vc = em["emerging_class"].astype(str).value_counts()
        order = [c for c in _EMERGING_SV if c in vc.index and c != "no_pattern"]
        if order:
            rows = [f'<tr data-class="{c}">{_td(_EMERGING_SV[c])}{_td_num(vc[c])}</tr>'
                    for c in order]
            parts.append(_table(["Trendklass", "Antal celler"], rows, table_id="framvaxande",
                                num_cols=(1,)))
        else:
            parts.append('<p class="empty">Inga celler visar ett trendmönster.</p>')
    else:
        parts.append('<p class="empty">Ingen analys av framväxande hotspots ingår.</p>')
    cl = layers.get("clusters")
    parts.append("<h3>Kluster av händelser</h3>")
    if cl is not None and len(cl):
        rows = []
        for d in _records(cl):
            tops = d.get("top_categories")
            if not isinstance(tops, (list, tuple)):
                tops = [d.get(f"top{i}_category") for i in (1, 2, 3)]
            tops = [str(x) for x in tops if not _is_missing(x)]
            area_ha = None if _is_missing(d.get("area_m2")) else float(d["area_m2"]) / 1e4
            peak = ""
            if not _is_missing(d.get("peak_weekday")) and not _is_missing(d.get("peak_hour")):
                peak = f"{_WEEKDAYS_SV[int(d['peak_weekday'])]} kl. {int(d['peak_hour']):02d}"
            elif not _is_missing(d.get("peak_hour")):
                peak = f"kl. {int(d['peak_hour']):02d}"
            rows.append(f'<tr data-cluster="{html.escape(str(d["cluster_id"]))}">'
                        f"{_td(d['cluster_id'])}{_td_num(d.get('n'))}"
                        f"{_td_num(area_ha, kind='num', decimals=1)}"
                        f"{_td(', '.join(_cat_label(c) for c in tops))}{_td(peak)}</tr>")
        parts.append(_table(["Kluster", "Antal händelser", "Yta (ha)", "Dominerande kategorier",
                             "Mest aktiv"], rows, table_id="kluster", num_cols=(1, 2)))
    else:
        parts.append('<p class="empty">Inga täthetskluster hittades.</p>')
    return "\n".join(parts)


def _measures_table(store: MeasureStoreProtocol | str | Path | None, lb: Lagesbild) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    if store is None:
        if isinstance(lb, LagesbildPackage) and len(lb.areas):
            rows = []
            for d in _records(lb.areas):
                for m in d.get("measures") or []:
                    rows.append(dict(m, area_id=d["area_id"], area_name=d.get("area_name")))
            return pd.DataFrame(rows), lb.areas
        return pd.DataFrame(), gpd.GeoDataFrame()
    areas, measures = _areas_from_store(store)
    return _id_frame(measures, "measure_id"), areas


def _actor(v: Any) -> str:
    if _is_missing(v) or v == "":
        return "ej angiven"
    return ACTORS.get(str(v), str(v))


def _date_cell(v: Any) -> str:
    if _is_missing(v) or v == "":
        return _td("")
    return _td(pd.Timestamp(v).date().isoformat())


def _atgardsplan(measures: pd.DataFrame) -> str:
    parts = ['<h2 id="atgardsplan">4. Åtgärdsplan</h2>',
             '<p class="lead">Beslutade och planerade åtgärder: var de genomförs, vilka '
             "brottskategorier de riktar sig mot, vem som ansvarar och när de följs upp.</p>"]
    if measures is None or len(measures) == 0:
        parts.append('<p class="empty">Inga åtgärder är registrerade.</p>')
        return "\n".join(parts)
    m = measures.copy()
    if "status" in m.columns:
        order = {s: i for i, s in enumerate(_STATUS_ORDER)}
        m = m.assign(_o=m["status"].map(order).fillna(9)).sort_values(
            ["_o", "area_name" if "area_name" in m.columns else "_o"])
    rows = []
    for r in m.to_dict(orient="records"):
        cats = r.get("target_categories")
        cats = cats if isinstance(cats, (list, tuple, np.ndarray)) else []
        mid = r.get("measure_id") or r.get("id") or ""
        rows.append(f'<tr data-measure="{html.escape(str(mid))}">{_td(r.get("area_name"))}'
                    f"{_td(r.get('title'))}{_td(', '.join(_cat_label(c) for c in cats))}"
                    f"{_td(_actor(r.get('responsible')))}{_td(r.get('status'))}"
                    f"{_date_cell(r.get('start_date'))}"
                    f"{_date_cell(r.get('next_followup'))}</tr>")
    parts.append(_table(["Område", "Åtgärd", "Riktar sig mot", "Ansvarig aktör", "Status",
                         "Start", "Nästa uppföljning"], rows, table_id="atgarder"))
    return "\n".join(parts)


def _uppfoljning(lb: Lagesbild, measures: pd.DataFrame,
                 store: MeasureStoreProtocol | str | Path | None, mc: int,
                 followup_fn: Callable[..., Any] | None) -> str:
    parts = ['<h2 id="uppfoljning">5. Uppföljning</h2>',
             '<p class="lead">Hur de riktade brottskategorierna har utvecklats i åtgärdens område, '
             "i en buffertzon runt det och i resten av kommunen, lika långa perioder före och "
             "efter start (Weighted Displacement Quotient, Bowers &amp; Johnson 2003).</p>"]
    if measures is None or len(measures) == 0:
        parts.append('<p class="empty">Inga åtgärder att följa upp.</p>')
        return "\n".join(parts)
    if followup_fn is None or len(lb.incidents) == 0:
        parts.append('<p class="empty">Uppföljning kräver händelsedata och modulen för '
                     "uppföljning.</p>")
        return "\n".join(parts)
    done = 0
    for rec in measures.to_dict(orient="records"):
        r: dict[str, Any] = {str(k): v for k, v in rec.items()}
        start: Any = r.get("start_date")
        mid = str(r.get("measure_id") or r.get("id") or "")
        title = str(r.get("title") or "")
        if _is_missing(start):
            continue
        if pd.Timestamp(start).date() > _latest_date(lb.incidents):
            continue
        try:
            res = _run_followup(followup_fn, r, lb, store)
        except Exception as exc:  # one measure must not stop the report
            parts.append(f'<h3>{html.escape(title)}</h3><p class="note">Uppföljningen kunde inte '
                         f"beräknas: {html.escape(str(exc))}</p>")
            continue
        if res is None:
            continue
        done += 1
        zones = [z for z in ("area", "buffer", "control") if z in res.counts.index]
        c = protect_table(res.counts.loc[zones, ["before", "after"]], ["before", "after"], min_count=mc)
        rows = []
        zone_sv = {"area": "Området", "buffer": "Buffertzon", "control": "Jämförelseområde"}
        any_hidden = bool(c[["before", "after"]].isna().any().any())
        for zone in zones:
            b, a = c.loc[zone, "before"], c.loc[zone, "after"]
            rows.append(f'<tr data-zone="{zone}">{_td(zone_sv[zone])}{_td_num(b)}{_td_num(a)}</tr>')
        parts.append(f'<h3 data-measure="{html.escape(mid)}">{html.escape(title)}</h3>')
        parts.append(f'<p class="note">Före: {res.before[0]} – {res.before[1]}; '
                     f"efter: {res.after[0]} – {res.after[1]}.</p>")
        parts.append(_table(["Zon", "Före", "Efter"], rows, table_id=f"uppfoljning-{mid}",
                            num_cols=(1, 2)))
        w = res.wdq
        if any_hidden:
            parts.append(f'<p>Antalet händelser är för litet (färre än {mc} i någon zon) för att '
                         "redovisa effekten utan att röja enskilda händelser.</p>")
        else:
            if w is not None and not _is_missing(getattr(w, "wdq", None)):
                parts.append(f'<p>WDQ: <span data-key="wdq-{html.escape(mid)}">'
                             f"{_fmt_num(float(w.wdq), 2)}</span> ({html.escape(w.band_sv)}).</p>")
            parts.append(f"<p>{html.escape(res.summary_sv)}</p>")
    if not done:
        parts.append('<p class="empty">Ingen åtgärd har startat inom händelsedatans period.</p>')
    return "\n".join(parts)


def _latest_date(incidents: pd.DataFrame) -> _dt.date:
    t = pd.to_datetime(incidents["occurred_at"], errors="coerce").dropna()
    return t.max().date() if len(t) else _dt.date.min


def _run_followup(fn: Callable[..., Any], r: dict[str, Any], lb: Lagesbild,
                  store: MeasureStoreProtocol | str | Path | None) -> Any:
    if store is not None:
        st = MeasureStore(store) if isinstance(store, str | Path) else store
        m = st.get_measure(str(r.get("measure_id") or r.get("id")))
        return fn(m, lb.incidents, store=st)
    return None


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
    items = [
        f"Källor: {html.escape(', '.join(names) or 'ej angivna')}.",
        f"H3-upplösning {settings.resolution}; Getis-Ord Gi* med {settings.rings} grannring(ar), "
        f"signifikansnivå {_fmt_num(settings.alpha, 2)}, korrektion {html.escape(settings.correction)}.",
        f"Sekretess: antal som bygger på färre än {info['min_count']} händelser och enkätvärden "
        f"som bygger på färre än {info['min_respondents']} svar visas inte (–).",
        "Enskilda händelser, enkätsvar och fritext redovisas aldrig; kolumner som liknar "
        f"personuppgifter ({excluded} st.) har uteslutits.",
    ]
    return ('<h2 id="metod">Metod och sekretess</h2><ul>'
            + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


# ------------------------------------------------------------------------ API

def _created_text(meta: dict[str, Any]) -> str:
    """The build's ``created_at`` in Swedish local time (a fixed time gives a byte-identical
    report); the present time when the bundle has none."""
    stamp = meta.get("created_at")
    try:
        t = pd.Timestamp(stamp) if stamp else pd.Timestamp.now(tz="Europe/Stockholm")
    except (ValueError, TypeError):
        t = pd.Timestamp.now(tz="Europe/Stockholm")
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    return t.tz_convert("Europe/Stockholm").strftime("%Y-%m-%d %H:%M")


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

    Sections: *Omfattning* (totals, categories, months, hotspot map, districts),
    *Konsekvenser och trygghet* (survey indicators per district, a map, perceived
    vs reported), *Orsaker och mönster* (hour and weekday, emerging hotspots,
    clusters), *Åtgärdsplan* (measures from ``store``) and *Uppföljning* (before/after
    counts and WDQ per started measure, :func:`lagesbild_geo.followup.followup`),
    then method and privacy notes. Charts and maps are matplotlib SVG inlined in
    the page; no external requests. Privacy rules as in the export: counts below
    ``min_count`` and survey values below ``min_respondents`` show as "–".

    Every shown number carries a ``data-value`` attribute (plain number) so the
    report can be checked against the bundle by a program.

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
    >>> from lagesbild_geo.export import read_package  # doctest: +SKIP
    >>> write_report(read_package("paket"), "rapport.html")  # doctest: +SKIP
    PosixPath('rapport.html')
    """
    if not isinstance(lagesbild, Lagesbild):
        raise InputError(f"write_report needs a Lagesbild bundle, got {type(lagesbild).__name__}; "
                         "build one with lagesbild_geo.pipeline.build_lagesbild or read_package.")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    p = resolve_privacy(lagesbild, privacy)
    layers, info = package_layers(lagesbild, store=store, privacy=p,
                                  layers=["cells", "hotspots", "clusters", "emerging", "districts",
                                          "trygghet"], allow_personal_data=allow_personal_data)
    pub = publishable(lagesbild, p)
    settings = lagesbild.settings if isinstance(lagesbild.settings, Settings) else Settings()
    mc = int(info["min_count"])
    mr = int(info["min_respondents"])
    measures, areas = _measures_table(store, lagesbild)
    check_free_text({"areas": pd.DataFrame(areas) if len(areas) else None,
                     "measures": measures if len(measures) else None},
                    allow_personal_data=allow_personal_data, what="rapporten",
                    fields=("areas.name", "measures.title"))
    followup_fn: Callable[..., Any] | None
    try:
        from .followup import followup as followup_fn
    except ImportError:  # pragma: no cover - followup is part of the package
        followup_fn = None
    meta = dict(lagesbild.metadata or {})
    kommun = _kommun_name(meta)
    period = _period_text(meta)
    heading = title or " ".join(x for x in ("Lägesbild", kommun, period) if x)
    created = _created_text(meta)
    import matplotlib

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9,
                                "axes.titleweight": "bold"}):
        body = "\n".join([
            _omfattning(pub, layers, areas if isinstance(areas, gpd.GeoDataFrame)
                        else gpd.GeoDataFrame(), mc),
            _konsekvenser(pub, layers, mr),
            _orsaker(pub, layers, mc),
            _atgardsplan(measures),
            _uppfoljning(lagesbild, measures, store, mc, followup_fn),
            _metod(lagesbild, info, settings),
        ])
    nav = ('<nav><ol><li><a href="#omfattning">Omfattning</a></li>'
           '<li><a href="#konsekvenser">Konsekvenser och trygghet</a></li>'
           '<li><a href="#orsaker">Orsaker och mönster</a></li>'
           '<li><a href="#atgardsplan">Åtgärdsplan</a></li>'
           '<li><a href="#uppfoljning">Uppföljning</a></li>'
           '<li><a href="#metod">Metod och sekretess</a></li></ol></nav>')
    doc = f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="lagesbild_geo {html.escape(__version__)}">
<title>{html.escape(heading)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(heading)}</h1>
<p class="lead">Kartläggning och lägesbild enligt lagen (2023:196) om kommuners ansvar för
brottsförebyggande arbete. Skapad {html.escape(created)} med lagesbild_geo {html.escape(__version__)}.</p>
</header>
{nav}
<main>
{body}
</main>
<footer>Antal som bygger på färre än {mc} händelser och enkätvärden som bygger på färre än {mr}
svar visas som ”{_SUPPRESSED}”. Kartor: H3-celler och distrikt ritade utan bakgrundskarta.</footer>
</body>
</html>
"""
    out.write_text(doc, encoding="utf-8")
    return out
