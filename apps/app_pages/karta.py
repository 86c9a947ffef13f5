"""Karta: the lägesbild map with filters, layers and the district table."""

from __future__ import annotations

import app_state as S
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lagesbild_geo.maps import DEFAULT_LAYERS, DISTRICT_MEASURES, LAYERS

st.title("Lägesbild")
st.caption("Händelser sammanräknade per hexagon och område. Enskilda händelser visas aldrig; "
           "siffror som vilar på för få fall döljs.")

bounds = S.data_span()
if bounds is False:
    st.stop()

with st.sidebar:
    st.subheader("Filter")
    start = end = None
    if bounds:
        period = st.date_input("Period", value=(bounds[0].date(), bounds[1].date()),
                               min_value=bounds[0].date(), max_value=bounds[1].date(),
                               format="YYYY-MM-DD", key="period")
        if isinstance(period, tuple | list) and len(period) == 2:
            start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
            if (start.date(), end.date()) == (bounds[0].date(), bounds[1].date()):
                start = end = None
    cats = st.multiselect("Kategorier", options=list(S.CATEGORIES), format_func=S.category_label,
                          placeholder="Alla kategorier", key="categories")
    hours = st.slider("Tid på dygnet (timmar)", 0, 24, (0, 24), key="hours")
    weekdays = st.multiselect("Veckodagar", options=list(range(7)),
                              format_func=lambda d: S.WEEKDAYS_SV[d], placeholder="Alla dagar",
                              key="weekdays")
    st.subheader("Karta")
    resolution = st.select_slider(
        "Hexagonstorlek", options=[7, 8, 9, 10], value=9, key="resolution",
        format_func=lambda r: {7: "7 (stor, ≈5 km²)", 8: "8 (≈0,7 km²)", 9: "9 (kvarter, ≈0,1 km²)",
                               10: "10 (liten, ≈0,015 km²)"}[r],
        help="H3-upplösning: lägre siffra ger större hexagoner.")
    layers = st.multiselect("Lager", options=list(LAYERS), default=list(DEFAULT_LAYERS),
                            format_func=lambda k: LAYERS[k], key="layers")
    measure = st.radio("Distrikten färgas efter", options=list(DISTRICT_MEASURES),
                       format_func=lambda k: DISTRICT_MEASURES[k], key="district_measure")
    one_cat = cats[0] if len(cats) == 1 else None

filters = S.Filters(start=start, end=end, categories=tuple(cats), hours=tuple(hours),
                    weekdays=tuple(weekdays), resolution=resolution)
shown = S.view(filters)
if shown is None:
    st.stop()
lb, raw, fig = shown  # lb: published (everything shown); raw: only for "show small numbers"
c1, c2, c3, c4 = st.columns(4)
c1.metric("Antal händelser", S.TOO_FEW_CASES if fig["incidents"] is None
          else f"{fig['incidents']:,}".replace(",", " "))
c2.metric("Hotspots (hexagoner)", fig["hot"])
c3.metric("Coldspots (hexagoner)", fig["cold"])
c4.metric("Kluster", fig["clusters"])
levels = S.levels_caption(fig)
if levels:
    st.caption(levels)
for note in S.picture_notes(lb):
    st.info(note)

if measure == "change" and start is None and end is None:
    st.info("Förändring kräver en period: välj en period i sidopanelen, så jämförs den med "
            "lika lång period närmast före.")
if not layers:
    st.info("Välj minst ett lager i sidopanelen för att se kartan.")
else:
    with S.friendly_errors("Kartan kunde inte ritas"):
        parts = S.make_map_parts(lb, layers=layers, category=one_cat, district_measure=measure)
        col_map, col_legend = st.columns([5, 1])
        with col_map:
            # The base map stays in the browser; only the layers are swapped on a filter change.
            st_folium(parts.map, key="karta", height=560, width=None, returned_objects=[],
                      feature_group_to_add=parts.layers, layer_control=S.layer_control())
        with col_legend:
            if parts.legend_html:
                st.html(parts.legend_html)
    st.caption("Klicka på en hexagon eller ett område för att se siffrorna. "
               "Lagren slås av och på med knappen uppe till höger i kartan.")

st.subheader("Distrikt")
with S.friendly_errors("Distriktstabellen kunde inte visas"):
    show_small = st.toggle(
        "Visa även små tal (under " + str(lb.settings.min_count) + " fall)", value=False,
        key="show_small",
        help="Små tal döljs som standard för att skydda enskilda. Visa dem bara för intern analys.")
    table = S.district_table(lb, show_small=show_small, raw=raw)
    if table is not None and len(table):
        st.dataframe(table, hide_index=True, width="stretch")
    else:
        st.caption("Inga distrikt (DeSO) finns i underlaget.")
