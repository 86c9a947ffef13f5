"""UI helpers of the lägesbild app: Swedish texts, errors, tables, charts and forms.

Nothing here computes an analysis or reads the store: these helpers only turn what
the library returns into widgets and Swedish text (numbers, dates and missing values
through :mod:`lagesbild_geo.svformat` and :func:`lagesbild_geo.dashboard.table_sv`).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import altair as alt
import folium
import pandas as pd
import streamlit as st
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
    if isinstance(exc, InputError | CRSError | GeocodeError):
        return ("Filen kunde inte användas som den är. Kontrollera att det är rätt fil och att "
                "den har en rubrikrad med kolumnnamn; rätta kolumnerna på sidan Data om de "
                f"kändes igen fel.\n\nBeskrivning (på engelska): {exc}")
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


def show_table(frame: pd.DataFrame | None, *, shown: pd.DataFrame | None = None,
               decimals: Mapping[str, int] | None = None, key: str | None = None) -> None:
    """A table in Swedish: numbers with decimal comma and no-break thousands, dates in words,
    "–" for every missing value (``table_sv``), number columns aligned right. ``shown``: the
    text to show when the library already made it (e.g. ``trend_table_sv``)."""
    if frame is None:
        return
    text = shown if shown is not None else table_sv(frame, decimals=decimals)
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype)}
    # right-align the columns that hold numbers (by position: ``shown`` may rename them)
    right = [text.columns[i] for i, c in enumerate(frame.columns) if c in numeric and i < len(text.columns)]
    if shown is not None:
        right = [c for c in text.columns if text[c].map(_looks_numeric).all()]
    config = {c: st.column_config.TextColumn(alignment="right") for c in right}
    st.dataframe(text, hide_index=True, width="stretch", placeholder=svformat.MISSING,
                 column_config=config or None, key=key)


_NUMERIC_TEXT = re.compile(r"^[\u2212\-+]?[\d\u00a0 ]+(,\d+)?(\u00a0%)?$")


def _looks_numeric(v: object) -> bool:
    s = str(v)
    return s == svformat.MISSING or bool(_NUMERIC_TEXT.match(s)) or s in (TOO_FEW_SHORT, PROTECTED)


def _month_keys(index: pd.Index) -> list[str]:
    return [pd.Timestamp(i).strftime("%Y-%m") if not isinstance(i, str) else str(i)[:7] for i in index]


def month_chart(frame: pd.DataFrame, *, y_title: str = "Antal", bars: bool = False) -> alt.Chart:
    """A chart per month with Swedish month names: ``frame`` indexed by month (first day or
    ``YYYY-MM``), one column per series. Missing values (hidden counts) leave a gap."""
    keys = _month_keys(frame.index)
    long = frame.set_axis(keys).rename_axis("key").reset_index().melt(
        "key", var_name="Serie", value_name="value").dropna(subset=["value"])
    long["Månad"] = [f"{svformat.month_sv(int(k[5:7]), short=True)} {k[:4]}" for k in long["key"]]
    long["Värde"] = [svformat.number(v, decimals=0 if float(v).is_integer() else 1) for v in long["value"]]
    order = [f"{svformat.month_sv(int(k[5:7]), short=True)} {k[:4]}" for k in keys]
    x = alt.X("Månad:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45))
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format="d"))
    base = alt.Chart(long)
    mark = base.mark_bar() if bars else base.mark_line(point=True)
    enc: dict[str, Any] = {"x": x, "y": y, "color": alt.Color("Serie:N", title=None,
                                                              legend=alt.Legend(orient="bottom")),
                           "tooltip": [alt.Tooltip("Månad:N"), alt.Tooltip("Serie:N", title="Serie"),
                                       alt.Tooltip("Värde:N", title=y_title)]}
    if bars:
        enc["xOffset"] = alt.XOffset("Serie:N")
    return mark.encode(**enc).properties(height=260)


def trend_month_spec(month: pd.DataFrame) -> dict[str, Any] | None:
    """The trend's month chart (this period and the year before as bars) as a Vega-Lite
    spec, made once per trend and cached with it: altair's validation costs 0,05–0,25 s,
    which ``st.altair_chart`` would pay on every rerun. ``None`` without months."""
    if not len(month):
        return None
    frame = month[["current", "previous"]].astype("Float64").rename(
        columns={"current": "Perioden", "previous": "Året innan"})
    return month_chart(frame, bars=True).to_dict()


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
        cause = st.multiselect("Orsaker", options=sorted(set(tags) | set(cur.get("cause_tags", []) or [])),
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

ROLE_LABELS_SV: dict[str, str] = {
    "id": "Ärende-id", "datetime": "Datum och tid", "date": "Datum", "time": "Klockslag",
    "category": "Brottstyp/kategori", "x": "X-koordinat", "y": "Y-koordinat",
    "northing": "Nordkoordinat", "easting": "Ostkoordinat", "lat": "Latitud", "lon": "Longitud",
    "gps": "GPS (lat,lon i en kolumn)", "address": "Adress", "place": "Plats",
    "postcode": "Postnummer", "town": "Postort",
}
PRECISION_SV: dict[str, str] = {
    "point": "Koordinat", "address": "Adress (geokodad)", "place": "Platsnamn (geokodad)",
    "area": "Område (ungefärlig)", "pending": "Väntar på geokodning",
}
UPLOAD_TYPES: dict[str, tuple[str, list[str]]] = {
    "incidents": ("Händelser (brott, ordningsstörningar …)",
                  ["csv", "txt", "xlsx", "geojson", "json", "gpkg", "parquet", "fgb"]),
    "districts": ("Områdesindelning (DeSO, stadsdelar)", ["geojson", "json", "gpkg", "fgb"]),
    "boundary": ("Kommungräns", ["geojson", "json", "gpkg"]),
    "gazetteer": ("Adressregister (för geokodning)", ["csv", "txt", "xlsx"]),
    "survey": ("Trygghetsenkät (svar)", ["csv", "txt", "xlsx"]),
    "pins": ("Enkätens kartnålar", ["geojson", "json", "gpkg"]),
}


def upload_help(types: Sequence[str], *, multiple: bool = False, max_mb: int | None = None) -> str:
    """The Swedish line under an uploader: Streamlit's own button and size texts are English
    and cannot be translated ("Upload", "200MB per file")."""
    size = f"högst {svformat.integer(max_mb)} MB per fil" if max_mb else "stora filer går bra"
    what = "en eller flera filer" if multiple else "en fil"
    kinds = ", ".join(t.upper() for t in types)
    return (f"Dra hit {what} eller klicka på knappen (den heter ”Upload” på engelska) för att välja; "
            f"{size}. Filtyper: {kinds}.")


def ingest_tables(report: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(placed by precision, rejected by reason) from an ingest report, in Swedish."""
    by_prec = report.get("by_precision", {})
    prec = pd.DataFrame({"Placering": [PRECISION_SV.get(k, k) for k in by_prec],
                         "Antal": list(by_prec.values())})
    rej = report.get("rejected_by_reason", {})
    reasons = pd.DataFrame({"Orsak": [REASONS.get(k, k) for k in rej], "Antal": list(rej.values())})
    return prec, reasons


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
