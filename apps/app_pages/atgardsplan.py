"""Åtgärdsplan: every measure in one table and on a map; overdue follow-ups, filter, sort,
download, history."""

from __future__ import annotations

import app_management as M
import app_state as S
import streamlit as st
from streamlit_folium import st_folium

from lagesbild_geo.measures import STATUSES
from lagesbild_geo.svformat import integer, sort_key

st.title("Åtgärdsplan")
acc = S.access()

measures = S.measures_or_stop(
    "Åtgärdsplanen kunde inte läsas",
    "Det finns inga åtgärder ännu. Lägg till dem på sidan Områden och åtgärder.")
M.overdue_notice(measures)

c1, c2, c3 = st.columns(3)
status = c1.multiselect("Status", options=list(STATUSES), placeholder="Alla", key="plan_status")
cats = c2.multiselect("Målkategori", options=list(S.CATEGORIES), format_func=S.category_label,
                      placeholder="Alla", key="plan_cats")
area_names = sorted(set(measures["area_name"].astype(str)), key=sort_key) if "area_name" in measures else []
areas = c3.multiselect("Område", options=area_names, placeholder="Alla", key="plan_areas")
sort = st.selectbox("Sortera efter", options=list(S.PLAN_SORT), format_func=lambda k: S.PLAN_SORT[k],
                    key="plan_sort")

selected = S.filter_measures(measures, statuses=status, categories=cats, areas=areas, sort=sort)
st.caption(f"{integer(len(selected))} av {integer(len(measures))} åtgärder. Rader i rött har "
           "passerat sitt datum för nästa uppföljning.")
if len(selected):
    st.dataframe(M.plan_table(selected), hide_index=True, width="stretch")
else:  # (Streamlit draws an empty table with the English word "empty")
    st.caption("Ingen åtgärd stämmer med filtret. Ta bort något av valen ovan för att se fler.")

with st.expander("Karta över åtgärderna", expanded=True), \
        S.friendly_errors("Kartan kunde inte ritas"):
    all_areas = S.list_areas()
    shown_areas = all_areas[all_areas.index.astype(str).isin(set(selected["area_id"].astype(str)))]
    if len(shown_areas):
        # the kommun's districts as the background, the view fitted to them
        view = M.measures_map(S.lagesbild(resolution=9), shown_areas, selected,
                              context=("districts",))
        col_map, col_legend = st.columns([5, 1])
        with col_map:
            st_folium(view.map, key="plan_karta", height=420, width=None, returned_objects=[],
                      feature_group_to_add=view.layers)
        with col_legend:
            st.html(view.legend_html)
    else:
        st.caption("Inga områden att visa för det här urvalet.")

with st.expander("Tillåt personuppgifter i fritext (bara om det verkligen ska med)"):
    st.caption("Nedladdningen stoppas om en text i planen ser ut att innehålla ett personnummer, "
               "ett telefonnummer, en e-postadress eller ett personnamn. Ändra helst texten; ska "
               "uppgiften ändå med kan du tillåta fältet här.")
    allow = st.multiselect("Tillåt personuppgifter i", options=list(S.ALLOW_FIELDS_SV),
                           format_func=lambda f: S.ALLOW_FIELDS_SV.get(f, f), key="plan_allow")
d1, d2 = st.columns(2)
with S.friendly_errors("Exporten misslyckades"):
    d1.download_button("Ladda ner som Excel", data=S.plan_excel_bytes(allow), file_name="atgardsplan.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="plan_xlsx")
    d2.download_button("Ladda ner som CSV", data=S.plan_csv_bytes(allow), file_name="atgardsplan.csv",
                       mime="text/csv", key="plan_csv")

st.subheader("Historik")
titles = S.measure_titles(measures)
mid = st.selectbox("Åtgärd", options=list(titles), format_func=lambda i: titles[i], key="plan_history")
with S.friendly_errors("Historiken kunde inte läsas"):
    st.dataframe(M.measure_history(mid), hide_index=True, width="stretch")
