"""Åtgärdsplan: every measure in one table; filter, sort, download, history."""

from __future__ import annotations

import app_state as S
import streamlit as st

st.title("Åtgärdsplan")
acc = S.access()

measures = S.measures_or_stop(
    "Åtgärdsplanen kunde inte läsas",
    "Det finns inga åtgärder ännu. Lägg till dem på sidan Områden och åtgärder.")

statuses, _, _ = S._measure_constants()
c1, c2, c3 = st.columns(3)
status = c1.multiselect("Status", options=list(statuses), placeholder="Alla", key="plan_status")
cats = c2.multiselect("Målkategori", options=list(S.CATEGORIES), format_func=S.category_label,
                      placeholder="Alla", key="plan_cats")
area_names = sorted(set(measures["area_name"].astype(str))) if "area_name" in measures else []
areas = c3.multiselect("Område", options=area_names, placeholder="Alla", key="plan_areas")
sort = st.selectbox("Sortera efter", options=list(S.PLAN_SORT), format_func=lambda k: S.PLAN_SORT[k],
                    key="plan_sort")

selected = S.filter_measures(measures, statuses=status, categories=cats, areas=areas, sort=sort)
st.caption(f"{len(selected)} av {len(measures)} åtgärder")
st.dataframe(S.measures_table(selected), hide_index=True, width="stretch")

with st.expander("Tillåt personuppgifter i fritext (bara om det verkligen ska med)"):
    st.caption("Nedladdningen stoppas om en text i planen ser ut att innehålla ett personnummer, "
               "ett telefonnummer, en e-postadress eller ett personnamn. Ändra helst texten; ska "
               "uppgiften ändå med kan du tillåta fältet här.")
    allow = st.multiselect("Tillåt personuppgifter i", options=list(S.ALLOW_FIELDS_SV),
                           format_func=S.ALLOW_FIELDS_SV.get, key="plan_allow")
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
    st.dataframe(S.history_table(mid), hide_index=True, width="stretch")
