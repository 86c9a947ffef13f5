"""Upprepning: do new crimes follow close to an earlier one, soon after (near repeats)?
The Knox test and, asked for explicitly, the risk zones after the latest events."""

from __future__ import annotations

import app_state as S
import streamlit as st
from streamlit_folium import st_folium

from lagesbild_geo.nearrepeat import has_points, knox_html

st.title("Upprepning")
st.caption("Följs ett brott ofta av ett nytt i närheten inom några dagar? Det är vanligt för "
           "bostadsinbrott: samma tjuvar återvänder till ett område de känner. Testet jämför hur "
           "många par av händelser som ligger nära varandra i både tid och rum med hur många "
           "det skulle bli om tiderna var slumpvis fördelade.")

categories = list(S.CATEGORIES)
c1, c2, c3 = st.columns(3)
cat = c1.selectbox("Kategori", options=categories, format_func=S.category_label,
                   index=categories.index("bostadsinbrott") if "bostadsinbrott" in categories else 0,
                   key="nr_category")
step_m = c2.select_slider("Avståndsband", options=[100, 200, 300, 500], value=200, key="nr_step_m",
                          format_func=lambda m: f"{m} m",
                          help="Bredden på varje avståndsband; tre band prövas (t.ex. 1–200, 200–400 "
                               "och 400–600 m) och ett band för ”samma plats”.")
step_d = c3.select_slider("Tidsband", options=[3, 7, 14], value=7, key="nr_step_d",
                          format_func=lambda d: f"{d} dagar",
                          help="Bredden på varje tidsband; fyra band prövas och ett för ”samma dag”.")
distances = [0, 1, *(step_m * k for k in (1, 2, 3))]
days = [0, 1, *(step_d * k for k in (1, 2, 3, 4))]

tested = None
with S.friendly_errors("Testet kunde inte göras"):
    tested = S.knox(cat, distances=distances, days=days)
    current = S.lagesbild() if tested is None else None
    if tested is None and current is not None and not has_points(current.incidents):
        st.info("Ingen händelse i de data du använder har en exakt position (polisens "
                "händelseflöde anger bara kommunens eller en plats mittpunkt), så upprepning kan "
                "inte prövas i någon kategori. Ladda upp händelser med koordinater eller adresser "
                "på sidan Data.")
    elif tested is None:
        st.info(f"För få händelser i kategorin {S.category_label(cat)} för att pröva upprepning: "
                "testet behöver minst tio med position och tid. Välj en annan kategori.")
if tested is None:
    st.stop()
result, zones = tested

st.html(knox_html(result, caption=f"{S.category_label(cat)}: observerade par delat med förväntade "
                                  "(över 1: fler än om tid och plats vore oberoende)"))

st.subheader("Riskzoner efter de senaste händelserna")
st.caption("Zonerna visar ungefär var de senaste händelserna skedde (på kvartersnivå) och är "
           "till för internt arbete och grannsamverkan, inte för publicering.")
if st.toggle("Visa riskzonerna", value=False, key="nr_show_zones"):
    if zones is None or zones.empty:
        st.info("Inga riskzoner just nu: inget avstånds- och tidsband har säkerställt fler par än "
                "slumpen ger, eller så ligger de senaste händelserna för långt tillbaka.")
    else:
        table = zones[["text_sv", "n_events", "start_date", "end_date"]].rename(columns={
            "text_sv": "Risk", "n_events": "Händelser", "start_date": "Från", "end_date": "Till och med"})
        S.show_table(table, key="nr_zones")
        with S.friendly_errors("Kartan kunde inte ritas"):
            st_folium(S.risk_zones_map(zones), key="nr_map", height=420, width=None, returned_objects=[])
