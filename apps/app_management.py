"""UI helpers of the measures pages: Områden och åtgärder, Åtgärdsplan and Uppföljning.

The management view of the åtgärdsplan: areas on the map coloured by their measures'
status (with a Swedish legend), overdue follow-ups highlighted ("12 dagar sen"),
renaming and reshaping areas with their history, areas tied to the data set they were
drawn on, and the follow-up's checks (coverage of the data, the comparison area, the
small-count caution). Every computation is the library's
(:mod:`lagesbild_geo.measures.coverage`, :mod:`lagesbild_geo.measures.overview`);
this module lays it out. Every number and date goes through
:mod:`lagesbild_geo.svformat`; a missing value shows as "–".
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import altair as alt
import app_state as S
import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping, shape

from lagesbild_geo import dashboard, maps
from lagesbild_geo.measures import (
    ACTORS,
    NO_MEASURE_COLOUR,
    OVERDUE_COLOUR,
    STATUS_COLOURS,
    STATUS_LABELS_SV,
    STATUSES,
    Area,
    CoverageNote,
    DataSet,
    area_status,
    check_coverage,
    comparison_area_problems,
    dataset_of,
    days_late_sv,
    followup_due_sv,
    followup_windows,
    history_sv,
    overdue_measures,
    parse_kommun,
    to_3006,
)
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.svformat import (
    MISSING,
    MONTHS_SHORT,
    date_sv,
    datetime_sv,
    integer,
    is_missing,
    month_sv,
    number,
)

if TYPE_CHECKING:  # pandas' Styler module is large; the tables import it when they style
    from pandas.io.formats.style import Styler

__all__ = [
    "MapView",
    "area_figures_table",
    "area_history",
    "areas_table",
    "comparison_choices",
    "consume_drawing",
    "coverage_notes",
    "current_dataset",
    "drawn_km2",
    "followup_chart",
    "followup_table",
    "fresh_drawing",
    "measure_history",
    "measures_map",
    "overdue_notice",
    "plan_table",
    "rename_area",
    "reshape_area",
    "save_new_area",
    "status_layer",
    "status_legend_html",
]

#: Row colours of an overdue follow-up in the tables.
_LATE_ROW = f"background-color: #fde0dd; color: {OVERDUE_COLOUR}"
_CLEAR_FLAG = "measures_clear_drawing"
_CONSUMED = "measures_consumed_drawings"


# --------------------------------------------------------------------------- the data


def current_dataset(lb: Lagesbild | None) -> DataSet | None:
    """The data set on screen (identity, kommun, period, extent); ``None`` without data.

    The kommun is the data's own (``metadata["kommun"]``); when the data name none, the
    kommun the store is opened for (a server store)."""
    if lb is None or lb.incidents is None or not len(lb.incidents):
        return None
    data = dataset_of(lb)
    if data.kommun is None and S.store_kommun():
        # a kommun setting the name list does not know: leave the kommun unknown
        with contextlib.suppress(Exception):
            data = dataclasses.replace(data, kommun=parse_kommun(S.store_kommun()))
    return data


# --------------------------------------------------------------------------- drawings


def _fingerprint(feature: dict[str, Any]) -> str:
    text = json.dumps(feature.get("geometry"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def fresh_drawing(result: Any) -> dict[str, Any] | None:
    """The polygon just drawn on the map, unless it was already saved (as an area or as
    an area's new shape): the map keeps returning the last drawing after a save."""
    feature = S.drawn_feature(result)
    if feature is None or _fingerprint(feature) in st.session_state.get(_CONSUMED, set()):
        return None
    return feature


def consume_drawing(feature: dict[str, Any]) -> None:
    """Remember that this drawing was saved, and clear it from the map at the next run."""
    st.session_state.setdefault(_CONSUMED, set()).add(_fingerprint(feature))
    st.session_state[_CLEAR_FLAG] = True


def drawn_km2(feature: dict[str, Any]) -> float:
    """The drawn polygon's area in km² (SWEREF 99 TM)."""
    return float(to_3006(shape(feature["geometry"])).area) / 1e6


# --------------------------------------------------------------------------- the map


def _area_states(measures: pd.DataFrame | None, *, today: dt.date | None
                 ) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """The measures (empty frame for none), each area's status
    (:func:`lagesbild_geo.measures.area_status`) and the days its most overdue follow-up is
    late, by area id (only areas with one)."""
    ms = measures if measures is not None else pd.DataFrame(columns=["area_id", "status"])
    if not len(ms):
        return ms, pd.Series(dtype=object), {}
    late = overdue_measures(ms, today=today)
    worst = ({str(k): int(v) for k, v in late.groupby(late["area_id"].astype(str))["days_overdue"].max().items()}
             if len(late) else {})
    return ms, area_status(ms), worst


def status_legend_html() -> str:
    """The legend of :func:`status_layer`, in Swedish."""
    rows = [(STATUS_COLOURS[s], STATUS_LABELS_SV[s], "solid") for s in STATUSES]
    rows.append((NO_MEASURE_COLOUR, "Utan åtgärd", "dashed"))
    items = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{c}33;'
        f'border:2px {style} {c};margin-right:5px;vertical-align:middle"></span>'
        f"{html.escape(label)}</div>" for c, label, style in rows)
    late = (f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'border:3px dashed {OVERDUE_COLOUR};margin-right:5px;vertical-align:middle"></span>'
            "Uppföljning försenad</div>")
    return ('<div style="font:12px/1.4 sans-serif;margin-top:6px">'
            '<div style="font-weight:bold">Åtgärder per område (status)</div>'
            f"{items}{late}</div>")


def _clear_drawings_element() -> MacroElement:
    """Removes what was drawn with the drawing tool (the drawing became a saved area)."""
    el = MacroElement()
    el._template = Template(
        "{% macro script(this, kwargs) %}"
        "if (window.drawnItems && window.drawnItems.clearLayers) "
        "{ window.drawnItems.clearLayers(); }"
        "{% endmacro %}")
    return el


def status_layer(areas: gpd.GeoDataFrame | None, measures: pd.DataFrame | None, *,
                 today: dt.date | None = None, clear_drawings: bool = False
                 ) -> folium.FeatureGroup:
    """The saved areas coloured by the status of their measures.

    Fill and outline in the colour of the area's most active measure
    (:func:`lagesbild_geo.measures.area_status`), a dashed grey outline for an area
    without measures, and a thick dashed red outline when a follow-up date has passed.
    The tooltip names the area, its status, its measures and the follow-up due."""
    fg = folium.FeatureGroup(name="Åtgärder per område", show=True)
    if clear_drawings:
        fg.add_child(_clear_drawings_element())
    if areas is None or not len(areas):
        return fg
    ms, status, worst = _area_states(measures, today=today)
    a = areas.to_crs(4326) if areas.crs is not None else areas
    features = []
    for aid, row in a.iterrows():
        aid = str(aid)
        st_ = status.get(aid)
        mine = ms[ms["area_id"].astype(str) == aid] if len(ms) else ms
        listed = "; ".join(f"{t} ({s})" for t, s in zip(mine["title"], mine["status"], strict=True))
        days = worst.get(aid)
        colour = STATUS_COLOURS.get(st_, NO_MEASURE_COLOUR) if st_ else NO_MEASURE_COLOUR
        features.append({
            "type": "Feature", "id": aid, "geometry": mapping(row.geometry),
            "properties": {
                "namn": html.escape(str(row["name"])),
                "status": STATUS_LABELS_SV.get(st_, "Utan åtgärd") if st_ else "Utan åtgärd",
                "atgarder": html.escape(listed) or MISSING,
                "uppfoljning": (f"försenad, {days_late_sv(days)}"
                                if days is not None else MISSING),
                "_colour": colour, "_late": days is not None, "_none": st_ is None,
            }})

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        late_ = bool(p["_late"])
        return {"color": OVERDUE_COLOUR if late_ else p["_colour"], "weight": 4 if late_ else 2.5,
                "dashArray": "8 5" if late_ or p["_none"] else None,
                "fillColor": p["_colour"], "fillOpacity": 0.05 if p["_none"] else 0.25}

    fields = ["namn", "status", "atgarder", "uppfoljning"]
    aliases = ["Område:", "Status:", "Åtgärder:", "Uppföljning:"]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="Åtgärder per område",
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fg)
    return fg


@dataclass(frozen=True)
class MapView:
    """What a page hands to ``st_folium``: the base map (kept in the browser across
    reruns, so zoom and position stay), the layers swapped into it, and the legend."""

    map: folium.Map
    layers: list[folium.FeatureGroup]
    legend_html: str


def measures_map(lb: Lagesbild | None, areas: gpd.GeoDataFrame | None,
                 measures: pd.DataFrame | None, *, draw: bool = False,
                 context: Sequence[str] = ("districts", "hotspots", "clusters"),
                 height: int = 520) -> MapView:
    """The map of the measures pages: the lägesbild's context layers and the saved areas
    coloured by status, with the drawing tool when ``draw``.

    The base map depends only on the data (the view is fitted to the districts), never
    on the saved areas: saving, renaming or reshaping an area changes only the layers,
    so the user's zoom and position are kept. Without data the view is fitted to the
    areas instead."""
    shown = lb if lb is not None else S.empty_lagesbild()
    no_districts = lb is None or lb.districts is None or not len(lb.districts)
    fit_areas = areas if no_districts else None
    # the legend stands beside the map (with the areas' status colours), not inside it too
    parts = maps.map_parts(shown, layers=tuple(context), areas=fit_areas, draw=draw,
                           base=S.base_choice(), settings=shown.settings, attribution=S.tiles_attribution(),
                           assets=S.assets_url(), height=height, legend=False)
    clear = bool(st.session_state.pop(_CLEAR_FLAG, False)) if draw else False
    status = status_layer(areas, measures, clear_drawings=clear)
    legend = (parts.legend_html or "") + status_legend_html()
    return MapView(map=parts.map, layers=[*parts.layers, status], legend_html=legend)


# --------------------------------------------------------------------------- overdue


def overdue_notice(measures: pd.DataFrame, *, today: dt.date | None = None) -> None:
    """A warning listing the open measures whose follow-up date has passed, most late first."""
    late = overdue_measures(measures, today=today)
    if late.empty:
        return
    n = len(late)
    head = (f"**Uppföljning försenad:** {'en åtgärd har' if n == 1 else f'{integer(n)} åtgärder har'}"
            " passerat sitt datum för nästa uppföljning.")
    lines = []
    for _, r in late.head(10).iterrows():
        where = f" ({S.md_escape(r['area_name'])})" if r.get("area_name") else ""
        days = int(r["days_overdue"])
        lines.append(f"- **{S.md_escape(r['title'])}**{where}: skulle ha följts upp "
                     f"{date_sv(pd.Timestamp(r['next_followup']).date())} – "
                     f"{days_late_sv(days)}")
    if n > 10:
        lines.append(f"- … och {integer(n - 10)} till")
    st.warning(head + "\n\n" + "\n".join(lines), icon=":material/schedule:")


def _date_text(v: Any) -> str:
    return MISSING if is_missing(v) else date_sv(pd.Timestamp(v).date())


PLAN_COLUMNS_SV = ("Åtgärd", "Område", "Status", "Uppföljning", "Nästa uppföljning",
                   "Målkategorier", "Ansvarig", "Start", "Slut", "Indikator", "Kostnad (kr)",
                   "Samverkan", "Senast ändrad av")


def plan_table(measures: pd.DataFrame, *, today: dt.date | None = None) -> Styler:
    """The measures as a Swedish table: status in its map colour, "Uppföljning" in words
    ("12 dagar sen", "om 5 dagar"), overdue rows in red; dates in Swedish, "–" when unset."""
    actors = ACTORS
    late = set(overdue_measures(measures, today=today).index) if len(measures) else set()
    rows = []
    for _, r in measures.iterrows():
        resp = r.get("responsible")
        cost = r.get("cost")
        rows.append({
            "Åtgärd": str(r["title"]), "Område": str(r.get("area_name") or MISSING),
            "Status": STATUS_LABELS_SV.get(str(r["status"]), str(r["status"])),
            "Uppföljning": followup_due_sv(r.get("next_followup"), str(r["status"]), today=today),
            "Nästa uppföljning": _date_text(r.get("next_followup")),
            "Målkategorier": ", ".join(S.category_label(c) for c in (r.get("target_categories") or []))
            or MISSING,
            "Ansvarig": actors.get(resp, resp) if isinstance(resp, str) and resp else MISSING,
            "Start": _date_text(r.get("start_date")), "Slut": _date_text(r.get("end_date")),
            "Indikator": str(r.get("indicator") or "") or MISSING,
            "Kostnad (kr)": MISSING if is_missing(cost) else number(cost),
            "Samverkan": ", ".join(r.get("partners") or []) or MISSING,
            "Senast ändrad av": str(r.get("updated_by") or MISSING),
        })
    t = pd.DataFrame(rows, columns=list(PLAN_COLUMNS_SV),
                     index=pd.Index([str(i) for i in measures.index], name="id"))
    def rows_style(row: pd.Series) -> list[str]:
        return [_LATE_ROW if row.name in late else "" for _ in row]

    return (t.style.apply(rows_style, axis=1)
            .map(_status_cell, subset=["Status"])
            .map(lambda v: "font-weight: 600" if str(v).endswith(" sen") else "",
                 subset=["Uppföljning"]))


_COLOUR_OF_LABEL = {STATUS_LABELS_SV[s]: STATUS_COLOURS[s] for s in STATUSES}


def _status_cell(label: object) -> str:
    """A status cell tinted with the status's map colour (dark text stays readable)."""
    colour = _COLOUR_OF_LABEL.get(str(label))
    if colour is None:
        return ""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"background-color: rgba({r}, {g}, {b}, 0.28); color: #1f1f1f; font-weight: 600"


def areas_table(areas: gpd.GeoDataFrame, measures: pd.DataFrame | None, *,
                today: dt.date | None = None) -> Styler:
    """Saved areas as a Swedish table: status, measures, follow-up due, size, the data set
    it was drawn on, last change (local time); areas with an overdue follow-up in red."""
    _, status, worst = _area_states(measures, today=today)
    rows = []
    for aid, r in areas.iterrows():
        aid = str(aid)
        st_ = status.get(aid)
        days = worst.get(aid)
        rows.append({
            "Namn": str(r["name"]),
            "Status": STATUS_LABELS_SV.get(st_, "Utan åtgärd") if st_ else "Utan åtgärd",
            "Åtgärder": integer(r.get("n_measures", 0)),
            "Uppföljning": days_late_sv(days) if days is not None else MISSING,
            "Yta (km²)": number(r.get("area_km2"), decimals=2),
            "Ritat på": str(r.get("drawn_dataset_label") or MISSING),
            "Beskrivning": str(r.get("description") or "") or MISSING,
            "Senast ändrad av": str(r.get("updated_by") or MISSING),
            "Ändrad": datetime_sv(pd.Timestamp(r["updated_at"])) if r.get("updated_at") else MISSING,
        })
    t = pd.DataFrame(rows, index=pd.Index([str(i) for i in areas.index], name="id"))
    def rows_style(row: pd.Series) -> list[str]:
        return [_LATE_ROW if row.name in worst else "" for _ in row]

    if not len(t):
        return t.style
    return t.style.apply(rows_style, axis=1).map(_status_cell, subset=["Status"])


def area_figures_table(lb: Lagesbild, area_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The incidents in a saved area by category (the publishing step's figures, from
    ``app_state.area_figures``) with Swedish numbers; a hidden figure shows as "–" and
    the "Anmärkning" column says why."""
    table, info = S.area_figures(lb, area_id)
    out = table.copy()
    for col, decimals in (("Antal i området", 0), ("Per km²", 1),
                          ("Andel av kommunens (%)", 1)):
        if col in out.columns:
            out[col] = [number(v, decimals=decimals) for v in out[col].tolist()]
    return out, info


# --------------------------------------------------------------------------- saving


def save_new_area(*, name: str, geometry: dict[str, Any], description: str = "",
                  measure: dict[str, Any] | None = None, user: str,
                  data: DataSet | None) -> str | None:
    """Save a drawn area, tied to the data set on screen, with an optional first measure,
    in one transaction; ``None`` after showing the problems."""
    problems: list[tuple[str, str, str]] = []
    if not name.strip():
        problems.append(("name", "name required", "ge området ett namn"))
    with_measure = measure is not None and bool(measure.get("title") or
                                                measure.get("target_categories"))
    if with_measure:
        assert measure is not None
        problems += S.check_measure(measure)
    if problems:
        S.show_problems(problems, "Området sparades inte")
        return None
    s = S.store()
    with s.transaction():
        area = s.add_area(name=name.strip(), geometry=geometry, description=description,
                          created_by=user, **(data.area_fields() if data else {}))
        if with_measure:
            assert measure is not None
            s.add_measure(area_id=area.id, created_by=user, **measure)
    return str(area.id)


def rename_area(area_id: str, *, name: str, description: str, expected_version: int,
                user: str) -> bool:
    """Save a new name and description (optimistic locking); False after showing problems."""
    if not name.strip():
        S.show_problems([("name", "name required", "ge området ett namn")],
                        "Namnet sparades inte")
        return False
    S.store().update_area(area_id, {"name": name.strip(), "description": description},
                          expected_version=int(expected_version), user=user)
    return True


def reshape_area(area_id: str, feature: dict[str, Any], *, expected_version: int, user: str,
                 data: DataSet | None) -> Area:
    """Give an area the drawn shape, tied to the data set it was redrawn on."""
    changes: dict[str, Any] = {"geometry": feature["geometry"]}
    if data is not None:
        changes |= data.area_fields()
    return S.store().update_area(area_id, changes, expected_version=int(expected_version),
                                 user=user)


def area_history(area_id: str) -> pd.DataFrame:
    """The area's audit trail in Swedish ("namn ändrat …", "form ändrad …"), local time."""
    return history_sv(S.store(), area_id, entity="area")


def measure_history(measure_id: str) -> pd.DataFrame:
    """The measure's audit trail in Swedish, local time."""
    return history_sv(S.store(), measure_id, entity="measure")


# --------------------------------------------------------------------------- follow-up


def coverage_notes(area: Area, data: DataSet, start_date: Any) -> list[CoverageNote]:
    """:func:`lagesbild_geo.measures.check_coverage` for a stored measure's start date."""
    start = None if is_missing(start_date) else pd.Timestamp(start_date).date()
    return check_coverage(area, data, start_date=start)


def followup_period(start_date: Any, data: DataSet | None) -> tuple[dt.date, dt.date] | None:
    """The follow-up's whole span (before's first day, after's last day), or ``None``."""
    if data is None or data.last_day is None or is_missing(start_date):
        return None
    (b0, _), (_, a1) = followup_windows(pd.Timestamp(start_date).date(), last_day=data.last_day)
    return (b0, a1) if a1 >= b0 else None


def comparison_choices(area_id: str, areas: gpd.GeoDataFrame, *, buffer_m: float,
                       period: tuple[dt.date, dt.date] | None
                       ) -> dict[str, list[tuple[str, str, str]]]:
    """Every other saved area → the reasons it cannot be the comparison area (empty: it can)."""
    s = S.store()
    out: dict[str, list[tuple[str, str, str]]] = {}
    for aid in areas.index:
        if str(aid) == str(area_id):
            continue
        out[str(aid)] = comparison_area_problems(s, str(area_id), str(aid), buffer_m=buffer_m,
                                                 period=period)
    return out


def _signed(v: Any) -> str:
    if is_missing(v):
        return MISSING
    return ("+" if float(v) > 0 else "") + integer(v)


def followup_table(result: Any) -> pd.DataFrame:
    """Before/after counts per zone, in Swedish (numbers as Swedish text, "–" when none)."""
    t = dashboard.followup_table(result)
    return t.assign(**{
        "Före": [integer(v) for v in t["Före"]],
        "Efter": [integer(v) for v in t["Efter"]],
        "Förändring": [_signed(v) for v in t["Förändring"]],
        "Förändring (%)": [MISSING if is_missing(v) else
                           ("+" if v > 0 else "") + number(v, decimals=1) + "\u00a0%"
                           for v in t["Förändring (%)"]],
    })


def followup_chart(result: Any) -> alt.Chart:
    """The monthly index (100 = the mean month before the start) of the area and the
    comparison, with Swedish month names and a line at the start."""
    m = result.monthly
    series = {"area_index": "Området", "control_index": "Jämförelseområdet"}
    rows = []
    for month, r in m.iterrows():
        ts = pd.Timestamp(month)
        for col, name in series.items():
            if col in m.columns and not is_missing(r[col]):
                rows.append({"month": ts, "zon": name, "index": float(r[col]),
                             "manad": f"{month_sv(ts.month)} {ts.year}",
                             "text": number(r[col], decimals=1)})
    df = pd.DataFrame(rows, columns=["month", "zon", "index", "manad", "text"])
    names = json.dumps(list(MONTHS_SHORT))
    x = alt.X("month:T", title=None,
              axis=alt.Axis(labelExpr=f"{names}[month(datum.value)] + ' ' + year(datum.value)",
                            tickCount="month"))
    lines = alt.Chart(df).mark_line(point=True).encode(
        x=x, y=alt.Y("index:Q", title="Index", axis=alt.Axis(format="d")),
        color=alt.Color("zon:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(series.values()),
                                        range=["#b2182b", "#4575b4"])),
        tooltip=[alt.Tooltip("manad:N", title="Månad"), alt.Tooltip("zon:N", title="Zon"),
                 alt.Tooltip("text:N", title="Index")])
    start = pd.Timestamp(result.start_date).to_period("M").to_timestamp()
    rule = alt.Chart(pd.DataFrame({"month": [start], "text": ["Start"]})).mark_rule(
        strokeDash=[4, 4], color="#555").encode(x="month:T")
    return (lines + rule).properties(height=300)
