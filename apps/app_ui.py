"""UI helpers of the lägesbild app: Swedish texts, errors, tables, charts and forms.

Nothing here computes an analysis or reads the store: these helpers only turn what
the library returns into widgets and Swedish text (numbers, dates and missing values
through :mod:`lagesbild_geo.svformat` and :func:`lagesbild_geo.dashboard.table_sv`).
"""

from __future__ import annotations

import contextlib
import html
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import folium
import pandas as pd
import streamlit as st
from app_notes_sv import crs_error_sv, crs_note_sv, notes_sv
from app_notes_text import REREAD as REREAD
from app_notes_text import ROLE_LABELS_SV as ROLE_LABELS_SV
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from lagesbild_geo import svformat
from lagesbild_geo._spreadsheet import neutralise_formulas
from lagesbild_geo.dashboard import PROTECTED, TOO_FEW, TOO_FEW_SHORT, levels_text, table_sv
from lagesbild_geo.errors import (
    ConflictError,
    CRSError,
    GeocodeError,
    InputError,
    LagesbildError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from lagesbild_geo.geocode import geocode_note_kind_sv
from lagesbild_geo.measures import ACTORS, CAUSE_TAGS, MEASURE_FIELD_LABELS_SV, STATUSES
from lagesbild_geo.privacy import FREE_TEXT_FIELDS
from lagesbild_geo.read import REASONS
from lagesbild_geo.schema import CATEGORIES, CATEGORY_LABELS

log = logging.getLogger("lagesbild_app")

WEEKDAYS_SV = svformat.WEEKDAYS
#: A count hidden because it rests on too few cases / to protect such a count.
TOO_FEW_CASES = TOO_FEW
PROTECTED_TEXT = PROTECTED

#: The map's layers as the coordinator reads them (the technical term in LAYER_HELP).
LAYER_LABELS_SV: dict[str, str] = {
    "districts": "Distrikt", "cells": "Antal per hexagon", "hotspots": "Hotspots",
    "emerging": "Framväxande hotspots", "clusters": "Täta samlingar", "survey": "Trygghet (enkät)",
    "density": "Täthet", "areas": "Sparade områden",
}
LAYER_HELP = (
    "**Hotspots**: hexagoner där brotten är statistiskt säkerställt fler än i omgivningen "
    "(Getis-Ord Gi*, 90–99 % säkerhet), blå där de är säkerställt färre. "
    "**Framväxande hotspots**: hur varje hexagon har utvecklats över tid (ny, förstärkt, "
    "avtagande …; en analys av hela tidslinjen, alla kategorier, bara hexagonstorlek 9). "
    "**Täta samlingar**: ställen där många händelser ligger nära varandra (klusteranalys, DBSCAN). "
    "**Täthet**: en jämn yta av hur tätt händelserna ligger (kärnskattning)."
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")


def md_escape(text: object) -> str:
    """Text to put into ``st.markdown`` as it is: names other people typed (areas, user
    names) must not turn into links, images, colours or emphasis for everyone else.

    Streamlit already escapes HTML in markdown; this escapes the markdown itself.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def category_label(cat: str) -> str:
    """Swedish label of a category id."""
    return CATEGORY_LABELS.get(cat, cat)


# --------------------------------------------------------------------------- errors

FIELD_LABELS_SV: dict[str, str] = {
    **MEASURE_FIELD_LABELS_SV, "title": "Åtgärd (rubrik)", "name": "Namn", "geometry": "Område i kartan",
}


def problems_text(problems: Sequence[tuple[str, str, str]]) -> str:
    """Validation problems as Swedish lines with Swedish field names."""
    return "\n".join(f"- **{FIELD_LABELS_SV.get(f, f)}**: {sv}" if f else f"- {sv}"
                     for f, _, sv in problems)


def show_problems(problems: Sequence[tuple[str, str, str]], what: str) -> None:
    st.error(f"**{what}**\n\n{problems_text(problems)}", icon=":material/error:")


#: An uploaded file as the app keeps it: its session folder and its content-hash prefix.
_UPLOAD_PATH = re.compile(r"(?:[^\s'\"]*[/\\\\])?[0-9a-f]{16}_(?=\S)")


def upload_names(text: str) -> str:
    """``text`` with every uploaded file's stored path (session folder, hash prefix) cut
    down to the name the user gave it."""
    return _UPLOAD_PATH.sub("", text)


def reader_notes_sv(warnings: Sequence[str]) -> str:
    """The reader's notes in Swedish (:func:`app_notes_sv.notes_sv`) under a line that says
    what they are. A note without a Swedish text is still shown, as the library wrote it,
    under a Swedish line saying that it is in English: nothing is left out."""
    swedish, english = notes_sv([upload_names(w) for w in warnings])
    text = ("**Anmärkningar från inläsningen** – de beskriver hur filen tolkades (blad, kolumner, "
            "datum utan klockslag …); siffrorna ovan tar redan hänsyn till dem.")
    if swedish:
        text += "\n\n" + "\n".join(f"- {md_escape(sv)}" for sv in swedish)
    if english:
        text += ("\n\nFöljande anmärkningar finns bara på engelska, så som läsaren skrev dem:\n\n"
                 + "\n".join(f"- {md_escape(w)}" for w in english))
    return text


def axes_note_sv(report: Mapping[str, Any]) -> str | None:
    """The reader's note on swapped coordinate axes in Swedish (None when no row had them)."""
    text = crs_note_sv(dict(report))
    return None if text is None else md_escape(upload_names(text))


def error_text(exc: BaseException) -> str:
    """A Swedish, actionable message for an exception."""
    if isinstance(exc, ValidationError):
        return "Det gick inte, eftersom:\n\n" + problems_text(exc.problems)
    if isinstance(exc, ConflictError):
        who, when = getattr(exc, "changed_by", None), getattr(exc, "changed_at", None)
        by = f" ({who}, {svformat.datetime_sv(pd.Timestamp(when))})" if who and when else ""
        return (f"Någon annan har sparat ändringar i samma post efter att du öppnade den{by}. "
                "Ladda om sidan för att se den senaste versionen och gör sedan din ändring igen.")
    if isinstance(exc, NotFoundError):
        return "Posten finns inte längre (den kan ha tagits bort). Ladda om sidan."
    if isinstance(exc, InputError) and getattr(exc, "swedish", False):
        return str(exc)
    if isinstance(exc, CRSError) and (zone := crs_error_sv(upload_names(str(exc)))):
        return zone
    if isinstance(exc, InputError | CRSError | GeocodeError):
        return ("Filen kunde inte användas som den är. Kontrollera att det är rätt fil och att "
                "den har en rubrikrad med kolumnnamn; rätta kolumnerna på sidan Data om de "
                f"kändes igen fel.\n\nBeskrivning (på engelska): {upload_names(str(exc))}")
    if isinstance(exc, StoreError):
        return ("Åtgärdsregistret kunde inte läsas eller skrivas; inget har ändrats. Försök igen om "
                "en stund och kontakta den som administrerar appen om felet kvarstår.\n\n"
                f"Beskrivning (på engelska): {exc}")
    if isinstance(exc, LagesbildError):
        return f"{exc}\n\nFörsök igen, eller kontakta den som administrerar appen."
    return ("Något gick fel och åtgärden avbröts; inget har sparats till hälften. "
            "Försök igen, och kontakta den som administrerar appen om felet kvarstår "
            f"(teknisk uppgift: {type(exc).__name__}).")


def show_error(exc: BaseException, what: str = "") -> None:
    """Show ``exc`` as a friendly Swedish error (never a traceback); log the details."""
    if not isinstance(exc, LagesbildError):
        log.exception("Unexpected error in the app: %s", what)
    st.error((f"**{what}**\n\n" if what else "") + error_text(exc), icon=":material/error:")


@contextlib.contextmanager
def friendly_errors(what: str) -> Iterator[None]:
    """``with friendly_errors("Kunde inte läsa filen"):`` shows errors in Swedish and continues."""
    try:
        yield
    except ScriptControlException:  # st.rerun() / st.stop() must pass through
        raise
    except Exception as exc:
        show_error(exc, what)


# --------------------------------------------------------------------------- tables and charts


def _table_text(frame: pd.DataFrame, shown: pd.DataFrame | None,
                decimals: Mapping[str, int] | None) -> tuple[pd.DataFrame, list[str]]:
    """The Swedish text of ``frame`` (``shown`` when the library already made it) and the
    columns that hold numbers (to align right)."""
    text = shown if shown is not None else table_sv(frame, decimals=decimals)
    if shown is not None:
        return text, [c for c in text.columns if text[c].map(_looks_numeric).all()]
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype)}
    # the columns that hold numbers, by position (``table_sv`` renames them)
    return text, [text.columns[i] for i, c in enumerate(frame.columns) if c in numeric and i < len(text.columns)]


def show_table(frame: pd.DataFrame | None, *, shown: pd.DataFrame | None = None,
               decimals: Mapping[str, int] | None = None, key: str | None = None) -> None:
    """A table in Swedish: numbers with decimal comma and no-break thousands, dates in words,
    "–" for every missing value (``table_sv``), number columns aligned right. ``shown``: the
    text to show when the library already made it (e.g. ``trend_table_sv``)."""
    if frame is None:
        return
    text, right = _table_text(frame, shown, decimals)
    config = {c: st.column_config.TextColumn(alignment="right") for c in right}
    st.dataframe(text, hide_index=True, width="stretch", placeholder=svformat.MISSING,
                 column_config=config or None, key=key)


def show_table_or(frame: pd.DataFrame | None, *, empty: str, key: str | None = None) -> None:
    """:func:`show_table`, or the caption ``empty`` when the table has no rows (Streamlit
    draws an empty table with the English word "empty")."""
    if frame is None or not len(frame):
        st.caption(empty)
    else:
        show_table(frame, key=key)


#: The page's one style sheet (:func:`page_styles`): the look of :func:`table_html`'s tables
#: (Streamlit's light theme: a scrolling box with the header kept in view and one line per
#: row, as ``st.dataframe`` shows a long table), and the date picker's quick select hidden.
_PAGE_CSS = (
    "<style>"
    # the date range picker's quick select ("Date range", "Select...", "Last week" ...) is in
    # English only: Streamlit offers no translation nor a way to leave it out
    "[data-testid=stDateInputQuickSelect]{display:none}"
    ".lb-table{max-height:24rem;overflow:auto;border:1px solid rgba(49,51,63,.15);"
    "border-radius:.5rem;margin:0 0 1rem}"
    ".lb-table table{border-collapse:collapse;width:100%;font-size:.875rem;line-height:1.4}"
    ".lb-table th,.lb-table td{padding:.3rem .55rem;border-bottom:1px solid rgba(49,51,63,.1);"
    "text-align:left;vertical-align:top}"
    ".lb-table td{white-space:nowrap}"
    ".lb-table thead th{position:sticky;top:0;z-index:1;background:#f0f2f6;font-weight:600;"
    "color:rgba(49,51,63,.8)}"
    ".lb-table .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    ".lb-table tbody tr:last-child td{border-bottom:0}"
    ".lb-table tbody tr:hover td{background:#f7f8fa}"
    "</style>"
)


def table_html(frame: pd.DataFrame, *, shown: pd.DataFrame | None = None,
               decimals: Mapping[str, int] | None = None, label: str | None = None) -> str:
    """The Swedish table of :func:`show_table` as plain HTML (``st.html``): the same text,
    "–" for every missing value, number columns aligned right, every value HTML-escaped.
    Drawn with the page, without the data grid's JavaScript (its scripts weigh about
    1,3 MB, which a visitor's browser loads and runs before the table shows).
    ``label``: the table's accessible name. Its look is the page's style sheet
    (:func:`page_styles`, put in once)."""
    text, right = _table_text(frame, shown, decimals)
    esc = html.escape
    num = [c in right for c in text.columns]
    cls = {True: ' class="num"', False: ""}
    head = "".join(f'<th scope="col"{cls[n]}>{esc(str(c))}</th>' for c, n in zip(text.columns, num, strict=True))
    rows = []
    for values in text.itertuples(index=False, name=None):
        cells = "".join(f"<td{cls[n]}>{esc(svformat.MISSING if svformat.is_missing(v) else str(v))}</td>"
                        for v, n in zip(values, num, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    aria = f' aria-label="{esc(label)}"' if label else ""
    return (f'<div class="lb-table"><table{aria}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def page_styles() -> None:
    """The page's style sheet, once (not drawn): the look of :func:`show_html_table`'s
    tables, and the date range picker's English-only quick select hidden. Each style
    sheet added to a page makes the browser work out the look of the whole page again:
    one for all its tables, not one per table."""
    st.html(_PAGE_CSS)


def show_html_table(frame: pd.DataFrame | None, *, shown: pd.DataFrame | None = None,
                    decimals: Mapping[str, int] | None = None, label: str | None = None) -> None:
    """:func:`show_table` as plain HTML (:func:`table_html`): for a page that must draw
    quickly (the Karta), at the cost of the data grid's sorting and search. The page calls
    :func:`page_styles` once before its first table."""
    if frame is None:
        return
    st.html(table_html(frame, shown=shown, decimals=decimals, label=label))


_NUMERIC_TEXT = re.compile(r"^[\u2212\-+]?[\d\u00a0 ]+(,\d+)?(\u00a0%)?$")


def _looks_numeric(v: object) -> bool:
    s = str(v)
    return s == svformat.MISSING or bool(_NUMERIC_TEXT.match(s)) or s in (TOO_FEW_SHORT, PROTECTED)


def _nice_step(top: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 × 10ⁿ) that splits 0 … ``top`` into about ``ticks`` parts."""
    raw = max(top / ticks, 1.0)
    mag = 10 ** math.floor(math.log10(raw))
    return int(next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw))


#: The month chart's two series: this period and the same months a year earlier.
_SERIES = (("current", "Perioden", "#1b6e9e"), ("previous", "Året innan", "#9cc3dc"))


def trend_month_svg(month: pd.DataFrame) -> str | None:
    """The trend's month chart as inline SVG (``st.markdown(..., unsafe_allow_html=True)``;
    every text in it is ours or escaped): per month a bar for this period
    and one for the same month a year earlier, Swedish month names ("jan 2025"), counts
    with a no-break space between thousands, a hidden count as a gap. Each bar's tooltip
    gives month, series and count. Made once per trend and cached with it; drawn without
    a charting library's JavaScript. ``None`` without months.

    ``month``: :func:`lagesbild_geo.dashboard.trend_table` by month (indexed ``YYYY-MM``,
    columns ``current`` and ``previous``)."""
    if not len(month):
        return None
    keys = [str(k)[:7] for k in month.index]
    labels = [f"{svformat.month_sv(int(k[5:7]), short=True)} {k[:4]}" for k in keys]
    series = [(name, colour, [None if svformat.is_missing(v) else int(v) for v in month[col].tolist()])
              for col, name, colour in _SERIES if col in month.columns]
    series = [s for s in series if any(v is not None for v in s[2])]  # a series with no value has no bar
    top = max([v for _, _, vals in series for v in vals if v is not None] or [0])
    step = _nice_step(top)
    y_max = max(step * math.ceil(top / step), step)
    width, height, left, right, top_m, bottom = 380, 240, 44, 4, 8, 72
    plot_w, plot_h = width - left - right, height - top_m - bottom
    n, esc = len(keys), html.escape

    def y(v: float) -> float:
        return top_m + plot_h * (1 - v / y_max)

    # in a <div>: Markdown passes the whole block through as HTML (st.html's sanitiser drops SVG)
    out = [f'<div class="lb-chart"><svg viewBox="0 0 {width} {height}" width="100%" role="img" '
           'aria-label="Antal händelser per månad, perioden och året innan" '
           'style="max-width:100%;height:auto;font-family:inherit;font-size:11px">']
    for t in range(0, y_max + 1, step):  # grid lines and the count axis
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="{"#8a8d93" if t == 0 else "#e3e5e8"}" stroke-width="1"/>'
                   f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#5b5e63">'
                   f"{esc(svformat.integer(t))}</text>")
    out.append(f'<text x="12" y="{top_m + plot_h / 2:.1f}" text-anchor="middle" fill="#5b5e63" '
               f'transform="rotate(-90 12 {top_m + plot_h / 2:.1f})">Antal</text>')
    group = plot_w / n
    bar = group * 0.8 / max(len(series), 1)
    every = max(1, math.ceil(n / 24))  # at most 24 month names under the bars
    for i, label in enumerate(labels):
        x0 = left + i * group + group * 0.1
        for j, (name, colour, vals) in enumerate(series):
            v = vals[i]
            if v is None:
                continue
            out.append(f'<rect x="{x0 + j * bar:.1f}" y="{y(v):.1f}" width="{max(bar - 1, 1):.1f}" '
                       f'height="{max(y(0) - y(v), 0):.1f}" fill="{colour}">'
                       f"<title>{esc(label)}, {esc(name)}: {esc(svformat.integer(v))}</title></rect>")
        if i % every == 0:
            cx, ty = left + (i + 0.5) * group + 3, y(0) + 12
            out.append(f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="end" fill="#31333f" '
                       f'transform="rotate(-45 {cx:.1f} {ty:.1f})">{esc(label)}</text>')
    lx = left
    for name, colour, _ in series:  # the legend under the chart
        out.append(f'<rect x="{lx}" y="{height - 16}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{lx + 17}" y="{height - 6}" fill="#31333f">{esc(name)}</text>')
        lx += 28 + 7 * len(name)
    out.append("</svg></div>")
    return "".join(out)


def levels_caption(figures: Mapping[str, Any]) -> str | None:
    """See :func:`lagesbild_geo.dashboard.levels_text`."""
    return levels_text(figures)


# --------------------------------------------------------------------------- maps


def layer_control() -> folium.LayerControl:
    return folium.LayerControl(collapsed=True)


def drawn_feature(result: Any) -> dict[str, Any] | None:
    """The last drawn polygon from ``st_folium``'s return value (or ``None``)."""
    if not isinstance(result, dict):
        return None
    feat = result.get("last_active_drawing")
    if not feat:
        drawings = result.get("all_drawings") or []
        feat = drawings[-1] if drawings else None
    if not isinstance(feat, dict):
        return None
    geom = feat.get("geometry") or {}
    if geom.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    return feat


# --------------------------------------------------------------------------- the measure form


def _as_date(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
        return None
    return pd.Timestamp(v).date()


def measure_fields(*, prefix: str, current: dict[str, Any] | None = None,
                   require_title: bool = False) -> dict[str, Any]:
    """Render the measure form's widgets (inside an ``st.form``) and return their values."""
    statuses, actors, tags = STATUSES, ACTORS, CAUSE_TAGS
    cur = current or {}
    title = st.text_input("Åtgärd (rubrik)" + (" *" if require_title else ""),
                          value=cur.get("title", ""), key=f"{prefix}_title")
    cats = st.multiselect("Målkategorier * (vilka brott ska åtgärden minska?)",
                          options=list(CATEGORIES), format_func=category_label,
                          default=[c for c in cur.get("target_categories", []) or [] if c in CATEGORIES],
                          key=f"{prefix}_cats", placeholder="Välj minst en kategori")
    with st.expander("Fler uppgifter (valfria)", expanded=bool(current)):
        descr = st.text_area("Beskrivning", value=cur.get("description", ""), key=f"{prefix}_descr")
        problem = st.text_input("Problem eller orsak som åtgärden riktar sig mot",
                                value=cur.get("problem", ""), key=f"{prefix}_problem")
        cause = st.multiselect("Orsaker", options=sorted(set(tags) | set(cur.get("cause_tags", []) or []), key=svformat.sort_key),
                               default=list(cur.get("cause_tags", []) or []), key=f"{prefix}_cause",
                               placeholder="Välj orsaker (valfritt)")
        c1, c2 = st.columns(2)
        actor_ids = ["", *actors]
        resp_cur = cur.get("responsible") or ""
        responsible = c1.selectbox("Ansvarig", options=actor_ids,
                                   index=actor_ids.index(resp_cur) if resp_cur in actor_ids else 0,
                                   format_func=lambda a: actors.get(a, "(inte bestämt)"),
                                   key=f"{prefix}_resp")
        partners = c2.text_input("Samverkanspartner (kommaseparerade)",
                                 value=", ".join(cur.get("partners", []) or []), key=f"{prefix}_partners")
        status = c1.selectbox("Status", options=list(statuses),
                              index=list(statuses).index(cur["status"]) if cur.get("status") in statuses else 0,
                              key=f"{prefix}_status")
        cost = c2.text_input("Kostnad (kr)", value="" if cur.get("cost") is None or pd.isna(cur.get("cost"))
                             else f"{cur['cost']:g}", key=f"{prefix}_cost")
        start = c1.date_input("Startdatum", value=_as_date(cur.get("start_date")), key=f"{prefix}_start",
                              format="YYYY-MM-DD")
        end = c2.date_input("Slutdatum", value=_as_date(cur.get("end_date")), key=f"{prefix}_end",
                            format="YYYY-MM-DD")
        indicator = c1.text_input("Uppföljningsindikator", value=cur.get("indicator", ""),
                                  key=f"{prefix}_indicator")
        nextf = c2.date_input("Nästa uppföljning", value=_as_date(cur.get("next_followup")),
                              key=f"{prefix}_next", format="YYYY-MM-DD")
        agreement = st.text_input("Samverkansöverenskommelse", value=cur.get("agreement", ""),
                                  key=f"{prefix}_agreement")
    return {
        "title": title.strip(), "target_categories": list(cats), "description": descr,
        "problem": problem, "cause_tags": list(cause), "responsible": responsible or None,
        "partners": [p.strip() for p in partners.split(",") if p.strip()],
        "status": status, "cost": cost.strip() or None, "start_date": start, "end_date": end,
        "indicator": indicator, "next_followup": nextf, "agreement": agreement,
    }


def forget_form(prefix: str, *keys: str) -> None:
    """Drop a form's widget values (and other keys) so it shows the stored record again."""
    for k in [k for k in st.session_state if str(k).startswith(prefix + "_")] + list(keys):
        st.session_state.pop(k, None)


#: Free-text fields the coordinator may explicitly allow to leave with personal data.
ALLOW_FIELDS_SV: dict[str, str] = {k: v[0].upper() + v[1:] for k, v in FREE_TEXT_FIELDS.items()}


# --------------------------------------------------------------------------- the Data page

PRECISION_SV: dict[str, str] = {
    "point": "Koordinat", "address": "Adress (geokodad)", "place": "Platsnamn (geokodad)",
    "area": "Område (ungefärlig)", "pending": "Väntar på geokodning",
    # levels known only from a name (the police feed): never a point on the map
    "district": "Område (namnges i texten)", "stadsdel": "Bara stadsdel (namnges i texten)",
    "kommun": "Bara kommunen", "lan": "Bara länet",
}
UPLOAD_TYPES: dict[str, tuple[str, list[str]]] = {
    "incidents": ("Händelser (brott, ordningsstörningar …)",
                  ["csv", "txt", "xlsx", "xls", "ods", "geojson", "json", "jsonl", "gpkg", "parquet", "fgb", "kml",
                   "kmz", "zip"]),
    "districts": ("Områdesindelning (DeSO, stadsdelar)", ["geojson", "json", "gpkg", "fgb", "kml", "kmz", "zip"]),
    "boundary": ("Kommungräns", ["geojson", "json", "gpkg", "kml", "kmz", "zip"]),
    "gazetteer": ("Adressregister (för geokodning)", ["csv", "txt", "xlsx", "xls", "ods"]),
    "survey": ("Trygghetsenkät (svar)", ["csv", "txt", "xlsx", "xls", "ods"]),
    "pins": ("Enkätens kartnålar", ["geojson", "json", "gpkg"]),
    "population": ("Befolkning per område (t.ex. SCB:s tabell per DeSO), om områdesindelningen saknar den",
                   ["csv", "txt", "xlsx", "xls", "ods"]),
    "population_key": ("Kopplingstabell DeSO → RegSO (när befolkningen är per DeSO och områdena RegSO)",
                       ["csv", "txt", "xlsx", "xls", "ods"]),
}


#: The button's word instead of Streamlit's "Upload" (see :func:`uploader_styles`).
UPLOAD_BUTTON = "Välj fil"

# Streamlit's uploader has English texts it cannot translate: its button ("Upload") and the
# line beside it ("200MB per file • CSV, …"). Drawn over with Swedish ones; the size and the
# types are in the line under the uploader (upload_help). If a later Streamlit names these
# parts otherwise, nothing matches and its own texts show again, still explained below.
_UPLOADER_CSS = (
    "<style>"
    "[data-testid=stFileUploaderDropzone] [data-testid=stBaseButton-secondary] "
    "[data-testid=stMarkdownContainer] p{font-size:0}"
    "[data-testid=stFileUploaderDropzone] [data-testid=stBaseButton-secondary] "
    f'[data-testid=stMarkdownContainer] p::after{{content:"{UPLOAD_BUTTON}";font-size:.875rem}}'
    "[data-testid=stFileUploaderDropzoneInstructions] span{font-size:0}"
    '[data-testid=stFileUploaderDropzoneInstructions] span::after{content:"eller dra och släpp här";'
    "font-size:.875rem}"
    "</style>"
)


def uploader_styles() -> None:
    """Swedish texts on the page's file uploaders (once per page, not drawn)."""
    st.html(_UPLOADER_CSS)


def upload_help(types: Sequence[str], *, multiple: bool = False, max_mb: int | None = None) -> str:
    """The Swedish line under an uploader: the size limit and the file types (Streamlit's own
    line beside the button is English, and drawn over by :func:`uploader_styles`)."""
    size = f"högst {svformat.integer(max_mb)} MB per fil" if max_mb else "stora filer går bra"
    what = "en eller flera filer" if multiple else "en fil"
    # a shapefile is several files: uploaded as one zip of them
    kinds = ", ".join("ZIP (till exempel en shapefil: .shp, .shx, .dbf och .prj i en zip-fil)"
                      if t == "zip" else t.upper() for t in types)
    return f"Dra hit {what} eller klicka på ”{UPLOAD_BUTTON}”; {size}. Filtyper: {kinds}."


def refused_upload(name: str, types: Sequence[str]) -> str | None:
    """The Swedish refusal of a file whose type an uploader does not take (None when it does).

    The uploaders accept any file: Streamlit's own refusal of a wrong type is English
    ("… files are not allowed"). The check is Streamlit's: the file name's extension must
    be one of ``types`` and the name holds no null byte.
    """
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if "\0" not in name and ext in {t.lower().lstrip(".") for t in types}:
        return None
    what = f"filer av typen .{ext}" if ext and "\0" not in name else "den här sortens filer"
    kinds = ", ".join(t.upper() for t in types)
    return (f"Filen {md_escape(name.replace(chr(0), ''))} togs inte emot: här går det inte att ladda upp "
            f"{md_escape(what)}. Välj en fil av någon av typerna {kinds}.")


def ingest_tables(report: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(placed by precision, rejected by reason) from an ingest report, in Swedish."""
    by_prec = report.get("by_precision", {})
    prec = pd.DataFrame({"Placering": [PRECISION_SV.get(k, k) for k in by_prec],
                         "Antal": list(by_prec.values())})
    rej = report.get("rejected_by_reason", {})
    reasons = pd.DataFrame({"Orsak": [REASONS.get(k, k) for k in rej], "Antal": list(rej.values())})
    return prec, reasons


def address_reasons(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected addresses counted by what to do about them (``geocode_note_kind_sv``), most
    first; empty when no row was rejected by the geocoder."""
    notes = rejected["geocode_note"] if "geocode_note" in rejected.columns else pd.Series(dtype="string")
    kinds = pd.Series([geocode_note_kind_sv(n) if isinstance(n, str) else None for n in notes], dtype="object")
    counts = kinds.dropna().value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"Skäl": counts.index.astype(str), "Antal": counts.to_numpy(dtype="int64")})


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """Rejected rows as CSV for Swedish Excel (UTF-8 with BOM, semicolon); cells that a
    spreadsheet would run as formulas are neutralised."""
    return neutralise_formulas(rejected).to_csv(index=False, sep=";").encode("utf-8-sig")


def rejected_download(acc: Any, rejected: pd.DataFrame, *, file_name: str, key: str) -> None:
    """The download of rejected rows, for redaktörer only: the rows are raw source data
    (individual incidents with their positions, free text), which a läsare may not take."""
    if not acc.can_edit:
        st.caption("Avvisade rader kan bara laddas ner av redaktörer: de innehåller enskilda "
                   "händelser ur filen.")
        return
    st.download_button("Ladda ner avvisade rader (CSV)", data=rejected_csv(rejected),
                       file_name=file_name, mime="text/csv", key=key)
