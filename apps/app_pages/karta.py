"""Karta: the lägesbild map with filters and layers; beside it what needs attention and the
trend against the same period a year earlier; below it the district table."""

from __future__ import annotations

import app_map
import app_prefs
import app_state as S
import app_ui
import pandas as pd
import streamlit as st

from lagesbild_geo import svformat
from lagesbild_geo.dashboard import filter_notes
from lagesbild_geo.maps import DEFAULT_LAYERS, DISTRICT_MEASURES, LAYERS, base_maps

st.title("Lägesbild")
app_ui.page_styles()  # the tables' look (and more), once for the page (not per table)
st.caption("Händelser sammanräknade per hexagon och område. Enskilda händelser visas aldrig; "
           "siffror som vilar på för få fall döljs.")

bounds = S.data_span()
if bounds is False:
    st.stop()

# The period picker and the map's settings sit in popovers: a closed popover's widgets are
# not drawn, which takes about 0.1 s off every visit (the date picker alone is 200 kB of
# script); each popover's label stays the same, so it stays open while its values change.
with st.sidebar:
    st.subheader("Filter")
    start = end = None
    if bounds:
        with st.popover("Period", icon=":material/date_range:", width="stretch"):
            period = st.date_input("Period", value=(bounds[0].date(), bounds[1].date()),
                                   min_value=bounds[0].date(), max_value=bounds[1].date(),
                                   format="YYYY-MM-DD", key="period",
                                   help="Första och sista dag. Trenden jämför perioden med samma "
                                        "period året innan.")
        if isinstance(period, tuple | list) and len(period) == 2:
            start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
            if (start.date(), end.date()) == (bounds[0].date(), bounds[1].date()):
                start = end = None
        span = (start, end) if start is not None and end is not None else bounds
        st.caption(f"{'Vald period' if start is not None else 'Hela tiden'}: "
                   f"{svformat.date_sv(span[0].date())} – {svformat.date_sv(span[1].date())}")
    cats = st.multiselect("Kategorier", options=list(S.CATEGORIES), format_func=S.category_label,
                          placeholder="Alla kategorier", key="categories")
    hours = st.slider("Tid på dygnet (timmar)", 0, 24, (0, 24), key="hours")
    weekdays = st.multiselect("Veckodagar", options=list(range(7)),
                              format_func=lambda d: S.WEEKDAYS_SV[d], placeholder="Alla dagar",
                              key="weekdays")
    st.subheader("Karta")
    layers = st.multiselect("Lager", options=list(LAYERS), default=list(DEFAULT_LAYERS),
                            format_func=lambda k: S.LAYER_LABELS_SV.get(k, LAYERS[k]), key="layers",
                            placeholder="Välj lager", help=S.LAYER_HELP)
    settings_box = st.popover("Kartinställningar", icon=":material/tune:", width="stretch",
                              help="Hexagonstorlek, vad distrikten färgas efter, bakgrundskarta och "
                                   "hexagoner med för få fall.")
with settings_box:
    resolution = st.select_slider(
        "Hexagonstorlek", options=[7, 8, 9, 10], value=9, key="resolution",
        format_func=lambda r: {7: "stora (≈5 km²)", 8: "medel (≈0,7 km²)", 9: "kvarter (≈0,1 km²)",
                               10: "små (≈0,015 km²)"}[r],
        help="Hur stora hexagonerna är (H3-upplösning 7–10).")
    measure = st.radio("Distrikten färgas efter", options=list(DISTRICT_MEASURES),
                       format_func=lambda k: DISTRICT_MEASURES[k], key="district_measure")
    base_names = list(base_maps(S.lagesbild_settings()))
    chosen = S.base_choice()
    st.selectbox("Bakgrundskarta", options=base_names, key="tiles",
                 index=base_names.index(chosen) if chosen in base_names else 0,
                 on_change=app_prefs.save_base_map, args=(S.access().user,),
                 help="OpenStreetMap, kommunens egen karttjänst (om den finns i inställningarna) "
                      "eller ingen. Utan bakgrundskarta ritas kommunens och distriktens gränser.")
    show_suppressed = st.toggle("Visa hexagoner med för få fall (som konturer)", value=False,
                                key="show_suppressed")
    one_cat = cats[0] if len(cats) == 1 else None

filters = S.Filters(start=start, end=end, categories=tuple(cats), hours=(int(hours[0]), int(hours[1])),
                    weekdays=tuple(weekdays), resolution=resolution)
shown = S.view(filters)
if shown is None:
    st.stop()
lb, _, fig = shown  # lb: published (everything shown); the unpublished part serves "Visa även små tal"
c1, c2, c3, c4 = st.columns(4)
c1.metric("Antal händelser", S.TOO_FEW_CASES if fig["incidents"] is None else svformat.integer(fig["incidents"]))
c2.metric("Hotspots", svformat.integer(fig["hot"]),
          help="Hexagoner där brotten är statistiskt säkerställt fler än i omgivningen "
               "(Getis-Ord Gi*, minst 90 % säkerhet).")
c3.metric("Områden med få brott", svformat.integer(fig["cold"]),
          help="Hexagoner där brotten är statistiskt säkerställt färre än i omgivningen "
               "(”coldspots” i Gi*-analysen).")
c4.metric("Täta samlingar", svformat.integer(fig["clusters"]),
          help="Ställen där många händelser ligger nära varandra (klusteranalys, DBSCAN).")
levels = S.levels_caption(fig)
if levels:
    st.caption(levels)
for note in S.picture_notes(lb):
    st.info(note)
# (from the reading reports of the unpublished part: the published one keeps only its counts)
for note in filter_notes(shown[1], hours=filters.hours, weekdays=filters.weekdays):
    st.caption(note)

col_map, col_side = st.columns([3, 2], gap="medium")
with col_map:
    if measure == "change" and start is None and end is None:
        st.info("Förändring kräver en period: välj en period i sidopanelen, så jämförs den med "
                "lika lång period närmast före.")
    if "emerging" in layers and resolution != S.BASE_RESOLUTION:
        st.caption("Framväxande hotspots finns bara med hexagonstorlek ”kvarter”.")
    if not layers:
        st.info("Välj minst ett lager i sidopanelen för att se kartan.")
    else:
        with S.friendly_errors("Kartan kunde inte ritas"):
            # The base map stays in the browser; only the layers are swapped on a filter change.
            app_map.show_map(filters, layers=layers, category=one_cat, district_measure=measure,
                             show_suppressed=show_suppressed, key="karta", height=560)
        st.caption("Klicka på en hexagon eller ett område för att se siffrorna. "
                   "Lagren slås av och på med knappen uppe till höger i kartan.")

with col_side:
    st.subheader("Behöver uppmärksamhet")
    trend = None
    with S.friendly_errors("Trenden kunde inte beräknas"):
        trend = S.trend(filters)
    if trend is not None:
        items = S.attention(trend)
        if items.empty:
            st.caption("Inget särskilt just nu: inga försenade uppföljningar, inga distrikt med "
                       "säkerställd ökning och inga nya eller förstärkta hotspots.")
        icons = {"measure": ":material/event_busy:", "district": ":material/trending_up:",
                 "hotspot": ":material/local_fire_department:"}
        lines = [f"{icons.get(k, '')} {S.md_escape(t)}" for k, t in zip(items["kind"], items["text"], strict=True)]
        for line in lines[:6]:
            st.markdown(line)
        if len(lines) > 6:
            with st.expander(f"{len(lines) - 6} till"):
                for line in lines[6:]:
                    st.markdown(line)

        st.subheader("Trend")
        now_f, before_f = trend.now, trend.before
        span_text = f"{svformat.date_sv(now_f.start)} – {svformat.date_sv(now_f.end)}"
        if not trend.covered:
            st.caption(f"{span_text}. Uppgifterna räcker inte ett år bakåt "
                       f"(de börjar {svformat.date_sv(bounds[0]) if bounds else '–'}), "
                       "så perioden jämförs inte med året innan.")
        else:
            st.caption(f"{span_text} jämfört med samma period året innan "
                       f"({svformat.date_sv(before_f.start)} – {svformat.date_sv(before_f.end)}), "
                       "med samma filter. Siffror som vilar på för få fall visas inte.")
        by_month, by_cat, by_district = st.tabs(["Per månad", "Per kategori", "Per distrikt"])
        with by_month:
            if trend.month_chart:  # inline SVG, made once per trend (no charting library to load)
                st.markdown(trend.month_chart, unsafe_allow_html=True)
            S.show_html_table(trend.month, shown=trend.text["month"], label="Trend per månad")
        with by_cat:
            S.show_html_table(trend.category, shown=trend.text["category"], label="Trend per kategori")
        with by_district:
            if len(trend.district):
                S.show_html_table(trend.district, shown=trend.text["district"], label="Trend per distrikt")
            else:
                st.caption("Inga distrikt (DeSO) finns i underlaget.")

st.subheader("Distrikt")
with S.friendly_errors("Distriktstabellen kunde inte visas"):
    show_small = st.toggle(
        f"Visa även små tal (under {lb.settings.min_count} fall)", value=False, key="show_small",
        help="Små tal döljs som standard för att skydda enskilda. Visa dem bara för intern analys.")
    tables = S.district_tables(filters, show_small=show_small)
    if tables is not None and len(tables[0]):
        S.show_html_table(tables[0], shown=tables[1], label="Distrikt")
    else:
        st.caption("Inga distrikt (DeSO) finns i underlaget.")
