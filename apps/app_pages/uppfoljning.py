"""Uppföljning: before/after for a measure's area, buffer and comparison area, in plain words.

Checked first: that the data cover the area and the periods (else a warning instead of
empty figures), and that the comparison area is usable (no measure of its own, no
overlap with the area or its buffer). Small counts get a caution in words."""

from __future__ import annotations

import app_management as M
import app_state as S
import streamlit as st
from streamlit_folium import st_folium

from lagesbild_geo.measures import FEW_EVENTS, followup_caution
from lagesbild_geo.svformat import date_sv, integer, number

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
area_id = str(rec.get("area_id"))
areas = S.list_areas()
lb = S.lagesbild(resolution=9)
data = M.current_dataset(lb)
period = M.followup_period(rec.get("start_date"), data)

choices: dict[str, list[tuple[str, str, str]]] = {}
with S.friendly_errors("Jämförelseområdena kunde inte kontrolleras"):
    choices = M.comparison_choices(area_id, areas, buffer_m=buffer_m, period=period)
others = S.area_names(areas)
REST = "Resten av kommunen (utanför området och buffertzonen)"


def _choice_label(a: str) -> str:
    if not a:
        return REST
    return others.get(a, a) + (" – kan inte användas" if choices.get(a) else "")


control = st.selectbox("Jämför med", options=["", *choices], key="fu_control",
                       format_func=_choice_label,
                       help="Ett jämförelseområde visar hur brottsligheten hade utvecklats utan "
                            "åtgärden. Det får inte ha egna åtgärder under perioden och inte "
                            "överlappa området eller buffertzonen.")
if rec.get("start_date") is None or str(rec.get("start_date")) in ("NaT", "None"):
    st.info("Åtgärden har inget startdatum ännu. Ange det på sidan Områden och åtgärder för att kunna "
            "jämföra före och efter.")
    st.stop()
if data is None:
    st.info("Det finns inget underlag med händelser att följa upp på. Läs in data på sidan Data.")
    st.stop()

# ---------------------------------------------------------------- does the data cover it?
notes = []
with S.friendly_errors("Underlaget kunde inte kontrolleras"):
    notes = M.coverage_notes(S.store().get_area(area_id), data, rec.get("start_date"))
stops = [n for n in notes if n.severity == "stop"]
if stops:
    st.warning("**Uppföljningen kan inte göras på det här underlaget.**\n\n"
               + "\n\n".join(n.sv for n in stops), icon=":material/block:")
    for n in notes:
        if n.severity == "info":
            st.caption(n.sv)
    st.stop()

if control and choices.get(control):
    st.error(f"**«{S.md_escape(others.get(control, control))}» kan inte vara jämförelseområde.**"
             "\n\n" + "\n\n".join(sv for _, _, sv in choices[control])
             + "\n\nVälj ett annat område eller «Resten av kommunen».", icon=":material/block:")
    st.stop()

result = None
with S.friendly_errors("Uppföljningen kunde inte beräknas"):
    result = S.followup_result(mid, buffer_m=buffer_m, control_area=control or None)
if result is None:
    st.stop()

for n in notes:  # incomplete periods are said in the summary
    if n.severity == "warning" and n.code not in ("before_incomplete", "after_incomplete"):
        st.warning(n.sv, icon=":material/warning:")
caution = followup_caution(result.counts, threshold=FEW_EVENTS)
if caution:  # before the summary: read this first
    st.warning(caution[1], icon=":material/info:")
st.info(result.summary_sv)

w = result.wdq
c1, c2, c3 = st.columns(3)
c1.metric("Före", integer(result.counts.loc["area", "before"]),
          help=f"Brott i området {date_sv(result.before[0])}–{date_sv(result.before[1])}")
c2.metric("Efter", integer(result.counts.loc["area", "after"]),
          delta=int(result.counts.loc["area", "change"]), delta_color="inverse",
          help=f"Brott i området {date_sv(result.after[0])}–{date_sv(result.after[1])}")
wdq_help = ("Hur mycket brott som flyttat till eller minskat i buffertzonen runt området, vägt "
            "mot förändringen i själva området. Tekniskt: den viktade förflyttningskvoten, "
            "Weighted Displacement Quotient (WDQ, Bowers & Johnson 2003). Över 0: spridning av "
            "positiva effekter; under 0: förflyttning av brott; mellan −1 och 0 är nettot ändå en "
            f"vinst. Visas inte när området eller buffertzonen har färre än {FEW_EVENTS} brott "
            "före eller efter.")
if caution:
    shown = "för få händelser"
elif w.band == "undefined":
    shown = "kan inte beräknas"
elif w.band == "no_success":
    shown = "tolkas inte"
else:
    shown = number(w.wdq, decimals=2)
c3.metric("Förflyttning till omgivningen", shown, help=wdq_help)
if caution:
    st.caption(f"Förflyttningen visas inte: för få händelser (färre än {FEW_EVENTS} i området "
               "eller buffertzonen före eller efter start).")
else:
    st.caption(f"Vad förflyttningsmåttet säger: {w.band_sv}.")
st.caption("Kategorier: " + ", ".join(S.category_label(c) for c in result.categories) + ".")

st.dataframe(M.followup_table(result), hide_index=True, width="stretch")
with S.friendly_errors("Kartan över zonerna kunde inte visas"):
    st.markdown("**Zonerna på kartan** (området, buffertzonen och ett ritat jämförelseområde)")
    st_folium(S.zones_map(result), key="fu_zones", height=420, width=None, returned_objects=[])
st.markdown("**Brott per månad (index, 100 = genomsnittlig månad före start)**")
with S.friendly_errors("Diagrammet kunde inte visas"):
    st.altair_chart(M.followup_chart(result), width="stretch")
for _en, sv in result.notes:
    st.caption(sv)
for n in notes:
    if n.severity == "info":
        st.caption(n.sv)
