"""Uppföljning: before/after for a measure's area, buffer and comparison, with WDQ and a summary."""

from __future__ import annotations

import app_state as S
import streamlit as st
from streamlit_folium import st_folium

st.title("Uppföljning")
acc = S.access()

measures = S.measures_or_stop(
    "Åtgärderna kunde inte läsas",
    "Det finns inga åtgärder att följa upp ännu. Lägg till dem på sidan Områden och åtgärder.")

titles = S.measure_titles(measures)
mid = st.selectbox("Åtgärd", options=list(titles), format_func=lambda i: titles[i], key="fu_measure")
buffer_m = st.slider("Buffertzon runt området (meter)", 50, 1000, 250, step=50, key="fu_buffer",
                     help="Ringen runt området där brott kan ha flyttat (förskjutning) eller minskat "
                          "också (spridning av nytta).")
rec = S.measure_record(measures, mid)
areas = S.list_areas()
others = {i: n for i, n in S.area_names(areas).items() if i != str(rec.get("area_id"))}
control = st.selectbox("Jämför med", options=["", *others], key="fu_control",
                       format_func=lambda a: others.get(a, "Resten av kommunen (utanför området "
                                                           "och buffertzonen)"))
if rec.get("start_date") is None or str(rec.get("start_date")) in ("NaT", "None"):
    st.info("Åtgärden har inget startdatum ännu. Ange det på sidan Områden och åtgärder för att kunna "
            "jämföra före och efter.")
    st.stop()

result = None
with S.friendly_errors("Uppföljningen kunde inte beräknas"):
    result = S.followup_result(mid, buffer_m=buffer_m, control_area=control or None)
if result is None:
    st.stop()

st.info(result.summary_sv)
c1, c2, c3 = st.columns(3)
c1.metric("Före", int(result.counts.loc["area", "before"]),
          help=f"{result.before[0]} – {result.before[1]}")
c2.metric("Efter", int(result.counts.loc["area", "after"]),
          delta=int(result.counts.loc["area", "change"]), delta_color="inverse",
          help=f"{result.after[0]} – {result.after[1]}")
w = result.wdq
c3.metric("WDQ", "–" if w.wdq != w.wdq else f"{w.wdq:.2f}".replace(".", ","), help=w.band_sv)
st.caption(f"Tolkning av WDQ: {w.band_sv}. Kategorier: "
           + ", ".join(S.category_label(c) for c in result.categories) + ".")

st.dataframe(S.followup_table(result), hide_index=True, width="stretch")
with S.friendly_errors("Kartan över zonerna kunde inte visas"):
    st.markdown("**Zonerna på kartan** (området, buffertzonen och ett ritat jämförelseområde)")
    st_folium(S.zones_map(result), key="fu_zones", height=420, width=None, returned_objects=[])
st.markdown("**Brott per månad (index, 100 = genomsnittlig månad före start)**")
st.line_chart(S.followup_chart(result))
for _en, sv in result.notes:
    st.caption(sv)
