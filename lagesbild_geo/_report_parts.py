"""HTML building blocks shared by the lägesbild report and the area profile (private).

Cells, tables, inline SVG charts and maps (matplotlib, no tiles), the measures
table and the follow-up block with its small-count caution. Every number is
formatted with :mod:`lagesbild_geo.svformat` (decimal comma, no-break space
between thousands, "–" for a hidden value) and carries ``data-value`` (the
plain number) so a program can check the page against the data.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__, _protect
from .measures import ACTORS, overdue_measures
from .nearrepeat import KnoxResult, knox_html, knox_summary
from .privacy import protect_table
from .schema import CATEGORY_LABELS
from .svformat import MISSING, date_sv, datetime_sv, integer, is_missing, number, percent, to_local

#: Below this many incidents before or after the start, in the measure's area or its
#: buffer ring, a follow-up is shown with a caution and its WDQ is not read as an effect.
FOLLOWUP_CAUTION_MIN = 20

SUPPRESSED_TITLE = "För få för att visas"
STATUS_ORDER = ("pågående", "planerad", "genomförd", "avbruten")
_ZONE_SV = {"area": "Området", "buffer": "Buffertzon", "control": "Jämförelseområde"}

CSS = """
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
tr.overdue td { background: #fdecea; }
tr.spread td { color: var(--muted); }
figure { margin: .8rem 0 1.2rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: var(--muted); }
.note { font-size: .85rem; color: var(--muted); }
.caution { border-left: 4px solid #d08c00; background: #fff7e6; padding: .4rem .7rem; }
.empty { font-style: italic; color: var(--muted); }
.knox { margin: .5rem 0 1rem; }
nav ol { columns: 2; font-size: .95rem; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--line);
         padding-top: .5rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-before: page; }
  h2.first { break-before: avoid; }
  table, figure, .keyfigs, .knox, .caution { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  tr.overdue td { background: #fdecea; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@page { size: A4; margin: 18mm 16mm; }
"""


# ----------------------------------------------------------------- cells and tables

def missing(v: Any) -> bool:
    """svformat's missing test; lists, arrays and dicts are values, never missing."""
    if isinstance(v, (list, tuple, dict, np.ndarray)):
        return False
    return is_missing(v)


def td_num(v: Any, *, kind: str = "int", decimals: int = 1, key: str | None = None,
           as_shown: bool = True, signed: bool = False) -> str:
    """A right-aligned number cell (``kind`` int, num or pct) with its plain ``data-value``,
    rounded as shown (:func:`shown_value`; ``as_shown=False`` writes a measure such as an
    area in full); a missing value shows as "–" with the tooltip "För få för att visas".
    ``signed``: a change, a rise shown with its "+"."""
    attr = f' data-key="{html.escape(key)}"' if key else ""
    if missing(v):
        return (f'<td class="num suppressed"{attr} data-value="" '
                f'title="{SUPPRESSED_TITLE}">{MISSING}</td>')
    f = float(v)
    if kind == "int":
        text, value = integer(f), str(round(f))
    elif kind == "pct":
        text = percent(f, decimals=decimals)
        value = shown_value(f, decimals=decimals, pct=True) if as_shown else repr(f)
    else:
        text = number(f, decimals=decimals)
        value = shown_value(f, decimals=decimals) if as_shown else repr(f)
    if signed and f > 0:
        text = "+" + text
    return f'<td class="num"{attr} data-value="{value}">{text}</td>'


def shown_value(v: float, *, decimals: int, pct: bool = False) -> str:
    """The plain ``data-value`` of a rate or share, rounded as the page shows it: a share of
    37 % is ``0.37``, never the full float (a count divided by a full-precision share gives
    the denominator back, e.g. a total the page does not publish).

    Examples
    --------
    >>> shown_value(0.08333333, decimals=1, pct=True), shown_value(12.3456, decimals=1)
    ('0.083', '12.3')
    """
    if pct:
        return repr(round(float(f"{v * 100:.{decimals}f}") / 100, decimals + 2))
    return repr(float(f"{v:.{decimals}f}"))


def td(text: Any) -> str:
    return f"<td>{html.escape('' if missing(text) else str(text))}</td>"


def table(headers: Sequence[str], rows: Iterable[str], *, table_id: str,
          num_cols: Sequence[int] = ()) -> str:
    ths = "".join(f'<th class="num">{html.escape(h)}</th>' if i in num_cols
                  else f"<th>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join(rows)
    return (f'<table id="{table_id}"><thead><tr>{ths}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")


def keyfigures(figs: Sequence[tuple[str, Any, str]]) -> str:
    """Key figures: (data-key, value or None for hidden, label)."""
    kf = []
    for key, v, label in figs:
        text = MISSING if v is None else integer(v)
        value = "" if v is None else str(int(v))
        kf.append(f'<div class="keyfig"><span class="v" data-key="{html.escape(key)}" '
                  f'data-value="{value}">{text}</span><span class="l">{html.escape(label)}</span></div>')
    return '<div class="keyfigs">' + "".join(kf) + "</div>"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in rec.items()} for rec in pd.DataFrame(frame).to_dict(orient="records")]


def cat_label(cat: Any) -> str:
    return CATEGORY_LABELS.get(str(cat), str(cat))


def date_text(v: Any) -> str:
    """A date in Swedish words ("1 juli 2025"), "" when missing or unreadable."""
    if missing(v) or v == "":
        return ""
    try:
        return date_sv(pd.Timestamp(v).date())
    except (TypeError, ValueError):
        return str(v)


# --------------------------------------------------------------------- charts and maps

def svg(fig: Any) -> str:
    """A matplotlib figure as inline SVG: text kept as text, no metadata, stable ids."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lagesbild"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text


def new_figure(width: float = 7.5, height: float = 3.2) -> tuple[Any, Any]:
    """A pyplot-free matplotlib figure (safe in the app's threads) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def fig_block(svg_text: str, caption: str, fig_id: str) -> str:
    return (f'<figure id="{fig_id}">{svg_text}<figcaption>{html.escape(caption)}</figcaption>'
            "</figure>")


def _sv_axis(ax: Any, axis: str) -> None:
    """Tick labels with a decimal comma and no-break thousands."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: number(v, decimals=0 if float(v).is_integer() else 1))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str,
              horizontal: bool = False, color: str = "#8a1c2b") -> str:
    fig, ax = new_figure(7.5, 3.0 if not horizontal else max(2.2, 0.35 * len(labels) + 0.8))
    v = np.asarray(values, dtype="float64")
    shown = np.where(np.isfinite(v), v, 0.0)
    if horizontal:
        y = np.arange(len(labels))[::-1]
        ax.barh(y, shown, color=color)
        ax.set_yticks(y, labels)
        ax.set_xlabel(ylabel)
        _sv_axis(ax, "x")
    else:
        x = np.arange(len(labels))
        ax.bar(x, shown, color=color)
        if len(labels) > 8 and max(len(lab) for lab in labels) > 3:
            ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
        else:
            ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylabel(ylabel)
        _sv_axis(ax, "y")
        hidden = ~np.isfinite(v)
        if hidden.any():
            ax.plot(x[hidden], np.zeros(hidden.sum()), linestyle="none", marker="x",
                    color="#5b5b5b", label=SUPPRESSED_TITLE)
            ax.legend(frameon=False, fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    return svg(fig)


def _scale_bar(ax: Any) -> None:
    """A metric scale bar (SWEREF 99 TM metres) in the lower right corner."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = (x1 - x0) / 5
    nice = [50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000]
    length = max([n for n in nice if n <= span] or [nice[0]])
    xe = x1 - (x1 - x0) * 0.04
    ys = y0 + (y1 - y0) * 0.04
    ax.plot([xe - length, xe], [ys, ys], color="#222222", linewidth=2.5, solid_capstyle="butt")
    text = f"{integer(length)} m" if length < 1000 else f"{number(length / 1000, decimals=0)} km"
    ax.text(xe - length / 2, ys + (y1 - y0) * 0.015, text, ha="center", va="bottom", fontsize=8)


def map_svg(layers: Sequence[tuple[gpd.GeoDataFrame | gpd.GeoSeries, dict[str, Any]]], *, title: str,
            legend: Sequence[tuple[str, str]] = (), extent: tuple[float, float, float, float] | None = None,
            labels: Sequence[tuple[float, float, str] | tuple[float, float, str, float]] = (),
            size: tuple[float, float] = (7.5, 6.0)) -> str:
    """A small static map in SWEREF 99 TM (no tiles): polygons drawn with matplotlib.

    ``extent`` (minx, miny, maxx, maxy in EPSG:3006) crops the view; ``labels`` are
    (x, y, text) or (x, y, text, font size) in EPSG:3006 (district names). A metric
    scale bar is drawn.
    """
    from matplotlib.patches import Patch

    fig, ax = new_figure(*size)
    ax.set_axis_off()
    for gdf, style in layers:
        if gdf is None or len(gdf) == 0:
            continue
        g = gdf.to_crs("EPSG:3006") if gdf.crs is not None else gdf.set_crs(4326).to_crs(3006)
        g.plot(ax=ax, **style)
    if extent is not None:
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    for lab in labels:
        x, y, text = lab[0], lab[1], lab[2]
        ax.text(x, y, text, fontsize=lab[3] if len(lab) > 3 else 8, ha="center", va="center", color="#333333",
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    _scale_bar(ax)
    ax.set_title(title, fontsize=11, loc="left")
    if legend:
        handles = [Patch(facecolor=c, edgecolor="#777777", label=lab) for lab, c in legend]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, framealpha=0.9)
    return svg(fig)


# ------------------------------------------------------------------------- measures

def actor(v: Any) -> str:
    if missing(v) or v == "":
        return "ej angiven"
    return ACTORS.get(str(v), str(v))


def overdue_rows(measures: pd.DataFrame, *, today: _dt.date) -> pd.Index:
    """Index of the open measures whose next follow-up date has passed
    (:func:`lagesbild_geo.measures.overdue_measures`; none without a ``status`` column)."""
    if "status" not in measures.columns:
        return measures.index[:0]
    return overdue_measures(measures, today=today).index


def sort_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """Ongoing first, then planned, done and cancelled; by area name within."""
    m = measures.copy()
    if "status" in m.columns:
        order = {s: i for i, s in enumerate(STATUS_ORDER)}
        by = ["_o", "area_name"] if "area_name" in m.columns else ["_o"]
        m = m.assign(_o=m["status"].map(order).fillna(9)).sort_values(by, kind="stable").drop(columns="_o")
    return m


def measures_table(measures: pd.DataFrame, *, table_id: str, today: _dt.date,
                   with_area: bool = True) -> str:
    """The measures as a table; an overdue follow-up is marked "(försenad)" and highlighted."""
    rows = []
    m = sort_measures(measures).reset_index(drop=True)
    overdue = set(overdue_rows(m, today=today))
    for i, r in enumerate(m.to_dict(orient="records")):
        cats = r.get("target_categories")
        cats = cats if isinstance(cats, (list, tuple, np.ndarray)) else []
        mid = r.get("measure_id") or r.get("id") or ""
        late = i in overdue
        follow = date_text(r.get("next_followup")) + (" (försenad)" if late else "")
        cls = ' class="overdue"' if late else ""
        cells = [td(r.get("area_name"))] if with_area else []
        cells += [td(r.get("title")), td(", ".join(cat_label(c) for c in cats)),
                  td(actor(r.get("responsible"))), td(r.get("status")),
                  td(date_text(r.get("start_date"))), td(follow)]
        rows.append(f'<tr data-measure="{html.escape(str(mid))}"{cls}>' + "".join(cells) + "</tr>")
    headers = (["Område"] if with_area else []) + [
        "Åtgärd", "Riktar sig mot", "Ansvarig aktör", "Status", "Start", "Nästa uppföljning"]
    return table(headers, rows, table_id=table_id)


# ------------------------------------------------------------------------- follow-up

def followup_caution(counts: pd.DataFrame, *, threshold: int = FOLLOWUP_CAUTION_MIN) -> str | None:
    """The caution, in words, when the area's or the buffer's count before or after the start
    is below ``threshold``; None when the counts are large enough to read."""
    small = []
    for zone in ("area", "buffer"):
        if zone not in counts.index:
            continue
        b: Any = counts.loc[zone, "before"]
        a: Any = counts.loc[zone, "after"]
        if missing(b) or missing(a) or min(float(b), float(a)) < threshold:
            small.append(zone)
    if not small:
        return None
    where = " och ".join({"area": "området", "buffer": "buffertzonen"}[z] for z in small)
    return (f"Försiktighet: färre än {threshold} händelser före eller efter start i {where}. "
            "Så små antal ändras mycket av slumpen; förändringen och förflyttningskvoten (WDQ) "
            "ska inte läsas som en effekt av åtgärden.")


def _counts_sentence(c: pd.DataFrame, zones: Sequence[str]) -> str:
    names = {"area": "i området", "buffer": "i buffertzonen", "control": "i jämförelseområdet"}
    parts = [f"{names[z]} {integer(c.loc[z, 'before'])} före och {integer(c.loc[z, 'after'])} efter"
             for z in zones]
    return "Antal händelser av de riktade slagen: " + ", ".join(parts) + "."


def published_followup_counts(counts: pd.DataFrame, *, min_count: int) -> pd.DataFrame:
    """A follow-up's before/after counts per zone as published.

    A count of 1 … ``min_count``−1 is hidden, and so is every other zone's count of the same
    period: area, buffer and the default comparison area (the rest of the kommun) add up to
    every incident of the target categories in the window, a total the reader gets from
    another measure with the same categories and dates, or from the Knox test's number of
    events; with the other zones shown, subtraction would give the hidden one back.
    ``attrs["small"]`` lists the zones hidden for their own count.

    Examples
    --------
    >>> c = pd.DataFrame({"before": [0, 4, 511], "after": [1, 9, 510]},
    ...                  index=["area", "buffer", "control"])
    >>> pub = published_followup_counts(c, min_count=3)
    >>> pub["before"].tolist(), pub["after"].isna().tolist(), pub.attrs["small"]
    ([0, 4, 511], [True, True, True], ['area'])
    """
    out = protect_table(counts[["before", "after"]], ["before", "after"], min_count=min_count)
    small = [str(z) for z in out.index if out.loc[z, ["before", "after"]].isna().any()]
    for col in ("before", "after"):
        if out[col].isna().any():
            out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.attrs["small"] = small
    return out


def _hidden_followup_text(small: Sequence[str], *, min_count: int, caution_min: int) -> str:
    """Why a follow-up with a hidden count shows no effect (``small``: the zones too small)."""
    if "area" in small:
        text = (f"För få händelser i området för en uppföljning (färre än {min_count} före eller "
                "efter start).")
    else:
        text = (f"Antalet händelser är för litet (färre än {min_count} i någon zon) för att redovisa "
                "effekten utan att röja enskilda händelser.")
    text += (" Antalen i de andra zonerna visas inte heller för samma period: tillsammans med "
             "kommunens totala antal skulle de röja det dolda antalet.")
    few = [{"area": "området", "buffer": "buffertzonen"}[z] for z in ("area", "buffer") if z in small]
    if few and min_count <= caution_min:
        text += (f" Med färre än {caution_min} händelser före eller efter start i {' och '.join(few)} "
                 "ska en förändring inte läsas som en effekt av åtgärden.")
    return text + " Förändring och förflyttningskvot (WDQ) redovisas inte."


def followup_block(res: Any, *, mid: str, title: str, min_count: int,
                   caution_min: int = FOLLOWUP_CAUTION_MIN) -> str:
    """Before/after counts per zone (published: :func:`published_followup_counts`), the WDQ
    and its reading, or the small-count caution instead of a reading. With a hidden count
    nothing derived from the counts (WDQ, changes, rates, the summary) is shown."""
    zones = [z for z in ("area", "buffer", "control") if z in res.counts.index]
    c = published_followup_counts(res.counts.loc[zones], min_count=min_count)
    any_hidden = bool(c[["before", "after"]].isna().any().any())
    rows = [f'<tr data-zone="{z}">{td(_ZONE_SV[z])}{td_num(c.loc[z, "before"])}{td_num(c.loc[z, "after"])}</tr>'
            for z in zones]
    parts = [f'<h3 data-measure="{html.escape(mid)}">{html.escape(title)}</h3>',
             f'<p class="note">Före: {date_sv(res.before[0])} – {date_sv(res.before[1])}; '
             f"efter: {date_sv(res.after[0])} – {date_sv(res.after[1])}.</p>",
             table(["Zon", "Före", "Efter"], rows, table_id=f"uppfoljning-{mid}", num_cols=(1, 2))]
    if any_hidden:
        text = _hidden_followup_text(c.attrs["small"], min_count=min_count, caution_min=caution_min)
        parts.append(f'<p class="caution" data-caution="{html.escape(mid)}">{html.escape(text)}</p>')
        return "\n".join(parts)
    caution = followup_caution(res.counts, threshold=caution_min)
    w = res.wdq
    has_wdq = w is not None and not missing(getattr(w, "wdq", None))
    if caution:
        parts.append(f'<p class="caution" data-caution="{html.escape(mid)}">{html.escape(caution)}</p>')
        parts.append(f"<p>{html.escape(_counts_sentence(c, zones))}</p>")
        if has_wdq:
            parts.append(f'<p class="note">WDQ: <span data-key="wdq-{html.escape(mid)}">'
                         f"{number(float(w.wdq), decimals=2)}</span> (tolkas inte: för få händelser).</p>")
        return "\n".join(parts)
    if has_wdq:
        parts.append(f'<p>WDQ: <span data-key="wdq-{html.escape(mid)}">'
                     f"{number(float(w.wdq), decimals=2)}</span> ({html.escape(w.band_sv)}).</p>")
    parts.append(f"<p>{html.escape(res.summary_sv)}</p>")
    return "\n".join(parts)


# ------------------------------------------------------------------------- near repeat

def published_pairs(observed: pd.DataFrame, *, min_count: int, same_place: bool = False
                    ) -> pd.DataFrame | None:
    """A Knox table's observed pair counts as published: NaN where hidden; None when no
    choice of hidden values protects them.

    A pair count of 1 … ``min_count``−1 is hidden (two burglaries at one address within a
    week). The table's row and column sums (pairs per distance band, per time band: the sums
    of the expected counts give them) and its number of pairs (the summary states it) are
    taken as known, so more counts are hidden (:mod:`lagesbild_geo._protect`, as for every
    published table) until no hidden count can be worked out from the shown ones: first in
    the "and more" bands and, with ``same_place`` (the first distance band is "the same
    place"), in that band, so the cells near in space and time stay readable.

    Examples
    --------
    >>> obs = pd.DataFrame([[0, 1, 6], [4, 9, 40], [30, 80, 900]])
    >>> pub = published_pairs(obs, min_count=3)
    >>> bool(pub.isna().iloc[0, 1]), int(pub.isna().to_numpy().sum()) >= 4
    (True, True)
    """
    obs = observed.to_numpy(dtype="float64")
    k, m = obs.shape
    system = _protect.System(min_count)
    # the cells a reading rests on (near in space and time) are the last to hide: the "and
    # more" bands (the rest of the pairs) and the same-place band give way first
    prio = np.ones((k, m), dtype=np.int64)
    prio[-1, :] = prio[:, -1] = 0
    if same_place:
        prio[0, :] = 0
    cells = system.block(obs.ravel(), prio=prio.ravel()).reshape(k, m)
    known = {"prio": _protect.NEVER, "status": _protect.SHOWN}
    rows = system.block(obs.sum(axis=1), **known)
    cols = system.block(obs.sum(axis=0), **known)
    grand = system.block([obs.sum()], **known)
    idx = np.c_[cells, rows]
    coef = np.r_[np.ones(m), -1.0]
    system.relate_rows(idx, coef)
    system.grid(idx, coef)
    for j in range(m):
        system.relate(np.r_[cells[:, j], cols[j]], np.r_[np.ones(k), -1.0])
    system.relate(np.r_[rows, grand], np.r_[np.ones(k), -1.0])
    status, exposed = _protect.protect(system)
    if exposed.any() or (status[np.r_[rows, cols, grand]] != _protect.SHOWN).any():
        return None
    hidden = status[cells] != _protect.SHOWN
    return observed.astype("float64").mask(hidden)


def published_knox(result: KnoxResult, *, min_count: int) -> KnoxResult | str:
    """A Knox result as the report may show it, or a Swedish sentence why it is not shown.

    Hidden pair counts (:func:`published_pairs`) take their Knox ratio, p-value and expected
    count with them (observed = ratio × expected), and the summary is read from the shown
    cells only. A test on fewer than ``min_count`` events is not shown.
    """
    if result.n_events < min_count:
        return (f"För få händelser med exakt position (färre än {min_count}) för att pröva nära "
                "upprepning.")
    edges = tuple(result.distance_bands)
    pub = published_pairs(result.observed, min_count=min_count,
                          same_place=len(edges) > 1 and float(edges[1]) <= 1)
    if pub is None:
        return ("Paren per avstånd och tid visas inte: antalen är för små för att redovisa utan "
                "att röja enskilda händelser.")
    hide = pub.isna().to_numpy()
    if not hide.any():
        return result

    def masked(t: pd.DataFrame) -> pd.DataFrame:
        return t.astype("float64").mask(hide)

    out = dataclasses.replace(result, observed=pub, expected=masked(result.expected),
                              knox_ratio=masked(result.knox_ratio), p_value=masked(result.p_value),
                              simulated=np.zeros((0, 0, 0), np.int64))
    return dataclasses.replace(out, summary=knox_summary(out))


def knox_block(result: KnoxResult, *, min_count: int) -> str:
    """The published Knox grid (:func:`published_knox`) as HTML: a hidden pair count reads "–"."""
    pub = published_knox(result, min_count=min_count)
    if isinstance(pub, str):
        return f'<p class="empty">{html.escape(pub)}</p>'
    return knox_html(pub)


def latest_date(incidents: pd.DataFrame) -> _dt.date:
    if "occurred_at" not in incidents.columns:
        return _dt.date.min
    t = pd.to_datetime(incidents["occurred_at"], errors="coerce").dropna()
    return t.max().date() if len(t) else _dt.date.min


# ------------------------------------------------------------------ bundle facts, page

def period_text(meta: dict[str, Any]) -> str:
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


def kommun_name(meta: dict[str, Any]) -> str:
    k = meta.get("kommun")
    if isinstance(k, dict):
        return str(k.get("name") or "")
    if k is not None and hasattr(k, "name"):
        return str(k.name)
    return str(k or meta.get("kommun_name") or "")


def created_text(meta: dict[str, Any]) -> str:
    """The build's ``created_at`` in Swedish local time (a fixed time gives a byte-identical
    report); the present time when the bundle has none."""
    return datetime_sv(created_at(meta))


def created_at(meta: dict[str, Any]) -> pd.Timestamp:
    stamp = meta.get("created_at")
    try:
        t = pd.Timestamp(stamp) if stamp else pd.Timestamp.now(tz="UTC")
    except (ValueError, TypeError):
        t = pd.Timestamp.now(tz="UTC")
    return t.tz_localize("UTC") if t.tzinfo is None else t


def report_today(meta: dict[str, Any]) -> _dt.date:
    """The report's "today" (for overdue follow-ups): the build's date in Swedish time."""
    return to_local(created_at(meta)).date()


def html_document(*, heading: str, lead: str, body: str, footer: str, nav: str = "",
                  extra_css: str = "") -> str:
    """A standalone Swedish HTML page: inline CSS, no scripts, a CSP that forbids any request."""
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="lagesbild_geo {html.escape(__version__)}">
<title>{html.escape(heading)}</title>
<style>{CSS}{extra_css}</style>
</head>
<body>
<header>
<h1>{html.escape(heading)}</h1>
<p class="lead">{lead}</p>
</header>
{nav}
<main>
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""
