"""Områden och åtgärder: draw, rename and reshape areas, attach measures, edit, delete, restore."""

from __future__ import annotations

import app_management as M
import app_state as S
import streamlit as st
from streamlit_folium import st_folium

from lagesbild_geo.nearrepeat import has_points
from lagesbild_geo.svformat import number

st.title("Områden och åtgärder")
acc = S.access()
editor = S.require_editor(acc)

lb = S.lagesbild(resolution=9)
data = M.current_dataset(lb)

areas = measures = None
with S.friendly_errors("Sparade områden kunde inte läsas"):
    areas = S.list_areas()
    measures = S.list_measures()
if measures is not None and len(measures):
    M.overdue_notice(measures)

# ------------------------------------------------------------------ the map
st.caption("Rita ett område med polygon- eller rektangelverktyget uppe till vänster i kartan "
           "(klicka ut hörnen och avsluta på första punkten). Sparade områden färgas efter "
           "åtgärdernas status; en röd streckad kant betyder att en uppföljning är försenad.")
result = None
with S.friendly_errors("Kartan kunde inte ritas"):
    view = M.measures_map(lb, areas, measures, draw=editor)
    col_map, col_legend = st.columns([5, 1])
    with col_map:
        # The base map stays in the browser; saving an area only swaps the layers, so the
        # zoom and position the user chose are kept.
        result = st_folium(view.map, key="omraden_karta", height=520, width=None,
                           returned_objects=["all_drawings", "last_active_drawing"],
                           feature_group_to_add=view.layers, layer_control=S.layer_control())
    with col_legend:
        st.html(view.legend_html)
drawn = M.fresh_drawing(result)

toast = st.session_state.pop("measures_toast", None)
if toast:
    st.toast(toast, icon=":material/check_circle:")

area_ids = [str(a) for a in areas.index] if areas is not None else []
names = S.area_names(areas) if areas is not None else {}

# ------------------------------------------------------------------ what was drawn
if editor:
    st.subheader("Ritat område")
    if drawn is None:
        st.caption("Inget ritat område ännu. Rita i kartan ovan – ett nytt område, eller en ny "
                   "form för ett sparat område – eller gör ett område av en hotspot, ett kluster "
                   "eller ett område ur områdesindelningen nedan.")
    else:
        use = "new"
        if area_ids:
            use = st.radio("Vad har du ritat?", options=["new", "reshape"], horizontal=True,
                           format_func={"new": "Ett nytt område",
                                        "reshape": "En ny form för ett sparat område"}.get,
                           key="drawn_use")
        if use == "new":
            st.success("Ge området ett namn och spara.", icon=":material/draw:")
            with st.form("new_area", clear_on_submit=False):
                name = st.text_input("Områdets namn", key="new_area_name")
                descr = st.text_area("Beskrivning (valfritt)", key="new_area_description")
                st.markdown("**Första åtgärd (valfritt)**")
                fields = S.measure_fields(prefix="new_area_m")
                saved = st.form_submit_button("Spara området", type="primary")
            if saved:
                with S.friendly_errors("Området sparades inte"):
                    area_id = M.save_new_area(name=name, geometry=drawn["geometry"],
                                              description=descr, measure=fields, user=acc.user,
                                              data=data)
                    if area_id:
                        M.consume_drawing(drawn)
                        st.session_state["last_saved_area"] = area_id
                        st.session_state["measures_toast"] = "Området är sparat."
                        st.rerun()
        else:
            target = st.selectbox("Område som får den nya formen", options=area_ids,
                                  format_func=lambda a: names.get(a, a), key="reshape_target")
            current = areas.loc[target]
            based_on = st.session_state.setdefault(f"area_version_{target}",
                                                   int(current["version"]))
            st.caption(f"«{S.md_escape(names[target])}» är i dag "
                       f"{number(current['area_km2'], decimals=2)} km²; den nya formen är "
                       f"{number(M.drawn_km2(drawn), decimals=2)} km². Den gamla formen finns kvar "
                       "i områdets historik.")
            if st.button("Spara den nya formen", type="primary", key="reshape_save"):
                with S.friendly_errors("Den nya formen sparades inte"):
                    M.reshape_area(target, drawn, expected_version=based_on, user=acc.user,
                                   data=data)
                    M.consume_drawing(drawn)
                    st.session_state.pop(f"area_version_{target}", None)
                    st.session_state["area_select"] = target
                    st.session_state["measures_toast"] = "Den nya formen är sparad."
                    st.rerun()

    if lb is not None:
        with st.expander("Gör ett område av en hotspot, ett kluster eller ett område ur områdesindelningen"):
            cand = S.area_candidates(lb)
            if cand.empty:
                st.caption("Det finns inga hotspots, kluster eller områden (DeSO, RegSO, stadsdelar) i underlaget.")
            else:
                pick = st.selectbox("Välj", options=list(cand.index),
                                    format_func=lambda i: cand.loc[i, "label"], key="pick_candidate")
                pick_name = st.text_input("Namn på området", value=str(cand.loc[pick, "name"]),
                                          key="pick_name")
                if st.button("Skapa området", key="pick_save"):
                    with S.friendly_errors("Området sparades inte"):
                        S.save_candidate_area(cand.loc[pick], name=pick_name, user=acc.user)
                        st.rerun()

# ------------------------------------------------------------------ saved areas
st.subheader("Sparade områden")
if areas is None or len(areas) == 0:
    st.caption("Inga sparade områden ännu.")
else:
    st.dataframe(M.areas_table(areas, measures), hide_index=True, width="stretch")
    sel = st.selectbox("Område", options=area_ids, format_func=lambda a: names.get(a, a),
                       key="area_select")

    with S.friendly_errors("Områdets siffror kunde inte beräknas"):
        if lb is not None:
            figs, info = M.area_figures_table(lb, sel)
            hot = info.get("hot_cells")
            total = info.get("total")
            total_text = S.TOO_FEW_CASES if total is None else f"{number(total)} händelser"
            st.markdown(f"**{S.md_escape(names.get(sel, sel))}**: {total_text}, "
                        f"{number(info.get('area_km2', 0), decimals=2)} km²"
                        + ("" if hot is None else f", {number(hot)} hotspot-hexagoner"))
            if not has_points(lb.incidents):
                st.caption("Händelserna i underlaget har ingen exakt position (polisens händelseflöde "
                           "anger bara kommunens eller en plats mittpunkt), så de kan inte räknas i ett "
                           "ritat område. Tabellen Distrikt på sidan Karta räknar dem efter de "
                           "platsnamn som anges.")
            elif figs.empty:
                st.caption("Inga händelser i området.")
            else:
                st.dataframe(figs, hide_index=True, width="stretch")

    if editor:
        current = areas.loc[sel]
        based_on = st.session_state.setdefault(f"area_version_{sel}", int(current["version"]))
        with st.form(f"rename_area_{sel}"):
            st.markdown(f"**Byt namn eller beskrivning på {S.md_escape(names.get(sel, sel))}**")
            new_name = st.text_input("Nytt namn", value=str(current["name"]),
                                     key=f"rename_{sel}_name")
            new_descr = st.text_area("Beskrivning", value=str(current["description"] or ""),
                                     key=f"rename_{sel}_descr")
            rename = st.form_submit_button("Spara namn och beskrivning")
        if rename:
            with S.friendly_errors("Namnet sparades inte"):
                if M.rename_area(sel, name=new_name, description=new_descr,
                                 expected_version=based_on, user=acc.user):
                    S.forget_form(f"rename_{sel}", f"area_version_{sel}")
                    st.session_state["measures_toast"] = "Namnet är sparat."
                    st.rerun()
        if based_on != int(current["version"]):
            st.warning(f"Området har ändrats av {S.md_escape(current.get('updated_by'))} sedan "
                       "du öppnade det.")
            if st.button("Hämta senaste versionen", key=f"reload_area_{sel}"):
                S.forget_form(f"rename_{sel}", f"area_version_{sel}")
                st.rerun()
        st.caption("Ny form: rita den nya formen i kartan ovan och välj «En ny form för ett "
                   "sparat område».")

    with st.expander("Områdets historik"), S.friendly_errors("Historiken kunde inte läsas"):
        st.dataframe(M.area_history(sel), hide_index=True, width="stretch")

    if editor:
        with st.form("add_measure", clear_on_submit=True):
            st.markdown(f"**Ny åtgärd i {S.md_escape(names.get(sel, sel))}**")
            fields = S.measure_fields(prefix="add_m", require_title=True)
            add = st.form_submit_button("Spara åtgärden", type="primary")
        if add:
            with S.friendly_errors("Åtgärden sparades inte"):
                if S.save_measure(area_id=sel, fields=fields, user=acc.user):
                    st.success("Åtgärden är sparad.")

        if st.button("Ta bort området", key="delete_area",
                     help="Området göms men finns kvar och kan återställas. Ta bort dess åtgärder först."):
            with S.friendly_errors("Området togs inte bort"):
                S.store().delete_area(sel, user=acc.user)
                st.rerun()

if editor:
    deleted = None
    with S.friendly_errors("Borttagna områden kunde inte läsas"):
        deleted = S.deleted_areas()
    if deleted is not None and len(deleted):
        d_names = S.area_names(deleted)
        restore = st.selectbox("Återställ borttaget område", options=list(d_names),
                               format_func=lambda a: d_names[a], key="restore_area_pick")
        if st.button("Återställ", key="restore_area"):
            with S.friendly_errors("Området återställdes inte"):
                S.store().restore_area(restore, user=acc.user)
                st.rerun()

# ------------------------------------------------------------------ measures: edit / delete
st.subheader("Åtgärder")
measures = None
with S.friendly_errors("Åtgärderna kunde inte läsas"):
    measures = S.list_measures()
if measures is None or len(measures) == 0:
    st.caption("Inga åtgärder ännu.")
else:
    st.dataframe(M.plan_table(measures), hide_index=True, width="stretch")
    if editor:
        ids = [str(i) for i in measures.index]
        titles = S.measure_titles(measures)
        mid = st.selectbox("Ändra åtgärd", options=ids, format_func=lambda i: titles.get(i, i),
                           key="edit_measure_pick")
        current = S.measure_record(measures, mid)
        # The version this user's form is based on (kept until they save or reload).
        based_on = st.session_state.setdefault(f"edit_version_{mid}", int(current["version"]))
        with st.form(f"edit_measure_{mid}"):
            fields = S.measure_fields(prefix=f"edit_{mid}", current=current, require_title=True)
            c1, c2 = st.columns(2)
            save = c1.form_submit_button("Spara ändringar", type="primary")
            delete = c2.form_submit_button("Ta bort åtgärden")
        if save:
            with S.friendly_errors("Ändringen sparades inte"):
                if S.update_measure(mid, fields, expected_version=based_on, user=acc.user):
                    S.forget_form(f"edit_{mid}", f"edit_version_{mid}")
                    st.rerun()
        if based_on != int(current["version"]):
            st.warning(f"Åtgärden har ändrats av {S.md_escape(current.get('updated_by'))} sedan du "
                       "öppnade den.")
            if st.button("Hämta senaste versionen", key=f"reload_{mid}"):
                S.forget_form(f"edit_{mid}", f"edit_version_{mid}")
                st.rerun()
        if delete:
            with S.friendly_errors("Åtgärden togs inte bort"):
                S.store().delete_measure(mid, user=acc.user)
                st.rerun()

if editor:
    deleted_m = None
    with S.friendly_errors("Borttagna åtgärder kunde inte läsas"):
        deleted_m = S.deleted_measures()
    if deleted_m is not None and len(deleted_m):
        dt = S.measure_titles(deleted_m)
        r = st.selectbox("Återställ borttagen åtgärd", options=list(dt),
                         format_func=lambda i: dt[i], key="restore_measure_pick")
        if st.button("Återställ åtgärden", key="restore_measure"):
            with S.friendly_errors("Åtgärden återställdes inte"):
                S.store().restore_measure(r, user=acc.user)
                st.rerun()
