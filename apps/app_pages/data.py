"""Data: upload files, check recognised columns, read the ingest report; or keep Exempelkommun."""

from __future__ import annotations

import app_sources
import app_state as S
import app_ui
import streamlit as st

from lagesbild_geo import svformat
from lagesbild_geo.errors import CRSError

st.title("Data")
acc = S.access()

st.markdown(f"**Du arbetar nu med:** {S.data_label()}")
if st.session_state.get("sources") is not None and st.button("Gå tillbaka till Exempelkommun",
                                                              key="use_example"):
    S.use_example()
    st.rerun()

# ------------------------------------------------------------------ what the current picture rests on
shown = S.view(S.Filters())  # published, like every figure of the app
if shown is not None:
    pub, _, fig = shown
    counts = (pub.metadata or {}).get("counts", {})
    parts = list((counts.get("excluded") or {}).values())
    excluded = None if None in parts else sum(parts)

    def shown_count(v: int | None) -> str:
        return S.TOO_FEW_CASES if v is None else svformat.integer(v)

    c1, c2, c3 = st.columns(3)
    c1.metric("Händelser i lägesbilden", shown_count(fig["incidents"]))
    c2.metric("Utelämnade efter kategori", shown_count(excluded),
              help="Till exempel polisens händelser som inte är brott (trafikolyckor, sammanfattningar).")
    c3.metric("Avvisade rader", shown_count(counts.get("rejected", 0)),
              help="Rader som inte kunde användas, med orsak (t.ex. andra kommuners händelser).")
    kommun = ((pub.metadata or {}).get("kommun") or {}).get("name")
    st.markdown(f"**Kommun:** {S.md_escape(kommun)}" if kommun else "**Kommun:** ingen vald")
    st.caption("Appen väljer kommun efter den uppladdade områdesindelningen (DeSO-, RegSO-koder "
               "eller kommunkod) eller kommungränsen. Polisens händelseflöde täcker hela landet: "
               "ladda upp din kommuns områdesindelning, så räknas bara kommunens händelser.")
    levels = S.levels_caption(fig)
    if levels:
        st.caption(levels)
lb = S.lagesbild(resolution=9) if acc.can_edit else None  # the ingest report: raw counts
if lb is not None:
    with st.expander("Inläsningsrapport för den data som används nu (exakta antal, visas bara för "
                     "dig som får ändra)", expanded=False):
        for name, report in (lb.reports or {}).items():
            st.markdown(f"**{name}**")
            c1, c2, c3, c4 = st.columns(4)
            c1.metric("Rader", svformat.integer(report.get("rows_read", 0)))
            c2.metric("Placerade", svformat.integer(report.get("placed", 0)))
            c3.metric("Väntar", svformat.integer(report.get("pending", 0)))
            c4.metric("Avvisade", svformat.integer(report.get("rejected", 0)))
            prec, reasons = S.ingest_tables(report)
            a, b = st.columns(2)
            with a:
                app_ui.show_table_or(prec, empty="Inga placerade rader.", key=f"prec_{name}")
            with b:
                app_ui.show_table_or(reasons, empty="Inga avvisade rader.", key=f"reasons_{name}")
        if lb.rejected is not None and len(lb.rejected):
            if len(addr := app_ui.address_reasons(lb.rejected)):
                st.markdown("**Adresser som inte hittades, efter skäl**")
                app_ui.show_table(addr, key="addr_current")
            S.rejected_download(acc, lb.rejected, file_name="avvisade_rader.csv", key="rej_current")

# ------------------------------------------------------------------ uploads
st.subheader("Ladda upp egna filer")
st.caption("Filerna stannar i den här sessionen; inget skickas vidare. CSV, Excel, GeoJSON, "
           "GeoPackage och polisens händelse-JSON läses som de är: kolumner, teckenkodning, "
           "decimalkomma och koordinatsystem känns igen automatiskt.")
max_mb = int(st.get_option("server.maxUploadSize") or 200)
app_ui.uploader_styles()
for kind, (label, types) in S.UPLOAD_TYPES.items():
    # any type: a wrong one is refused below in Swedish (Streamlit's own refusal is English)
    files = st.file_uploader(label, type=None, accept_multiple_files=(kind == "incidents"),
                             key=f"upload_{kind}")
    st.caption(S.upload_help(types, multiple=kind == "incidents", max_mb=max_mb))
    if files is None:
        continue
    for f in files if isinstance(files, list) else [files]:
        if refused := app_ui.refused_upload(f.name, types):
            st.error(refused, icon=":material/block:")
            continue
        with S.friendly_errors(f"Filen {f.name} kunde inte tas emot"):
            S.stage(kind, S.save_upload(f.name, f.getvalue(), kind))

stage = S.staged()
gazetteers = stage.get("gazetteer") or []
gaz = gazetteers[0] if gazetteers else None
boundary = next(iter(stage.get("boundary") or []), None)  # the files are read within it, as the build does


def crs_box(src: S.Source) -> None:
    """The file's coordinate system: recognised from the values, or chosen (the command
    line's --crs); a change reads the file again."""
    crs_now = app_sources.crs_choice(src) or ""
    names_crs = app_sources.CRS_CHOICES_SV
    crs = st.selectbox("Koordinatsystem", options=list(names_crs), index=list(names_crs).index(crs_now),
                       format_func=names_crs.__getitem__, key=f"crs_{src.sha256[:12]}_{crs_now}",
                       help="Koordinatsystemet känns igen av värdena (WGS84, SWEREF 99 TM, RT90 och, när "
                            "bara en passar, en lokal SWEREF 99-zon). Välj det här om filen har ett annat, "
                            "till exempel kommunens lokala zon eller Web Mercator från en webbkarta.")
    if crs != crs_now:
        S.replace_staged(src, app_sources.with_crs(src, crs or None))
        app_sources.mark_readable(src)  # read again with the choice
        st.rerun()


for src in list(stage.get("incidents", [])):
    with st.expander(f"Händelsefil: {src.name}", expanded=True):
        result, crs_problem = None, False
        with S.friendly_errors(f"{src.name} kunde inte läsas"):
            preview, columns = S.table_preview(src)
            try:
                result = S.read_incident_file(src, gazetteer=gaz, boundary=boundary)
            except CRSError:  # a local zone the values cannot tell: the user names it below
                crs_problem = True
                raise
        if result is None:
            S.mark_unreadable(src)
            if crs_problem:
                crs_box(src)
                continue
            st.caption("Filen används inte. Kontrollera att den är en tabell med en rubrikrad "
                       "(eller GeoJSON/GeoPackage) och ladda upp den igen.")
            continue
        rep = result.report
        if not rep.get("rows_read"):
            S.mark_unreadable(src)
            st.warning("Filen har inga rader med händelser (bara en rubrikrad, eller ett tomt blad) "
                       "och används inte. Kontrollera att du exporterat rätt blad eller urval och "
                       "ladda upp den igen.")
            continue
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Rader", svformat.integer(rep.get("rows_read", 0)))
        c2.metric("Placerade", svformat.integer(rep.get("placed", 0)))
        c3.metric("Väntar på geokodning", svformat.integer(rep.get("pending", 0)))
        c4.metric("Avvisade", svformat.integer(rep.get("rejected", 0)))
        if rep.get("pending") and gaz is None and stage.get("districts"):
            st.info("Rader utan koordinater väntar här på geokodning. Rader som anger ett område "
                    "(DeSO-kod eller områdesnamn) räknas i det området när du använder filerna med "
                    "den uppladdade områdesindelningen; resten behöver ett adressregister.")
        elif rep.get("pending") and gaz is None:
            st.info("Rader med bara adress eller plats väntar på geokodning: ladda upp ett adressregister. "
                    "Rader som anger ett område (DeSO-kod eller områdesnamn) räknas i det området när "
                    "en områdesindelning är uppladdad, även utan adressregister.")
        st.markdown("**Igenkända kolumner** – rätta om något blev fel:")
        used = rep.get("columns_used", {})
        choice: dict[str, str] = {}
        cols = st.columns(4)
        for i, (role, label) in enumerate(S.ROLE_LABELS_SV.items()):
            opts = ["", *columns]
            cur = used.get(role, "")
            sel = cols[i % 4].selectbox(label, options=opts, index=opts.index(cur) if cur in opts else 0,
                                        format_func=lambda c: c or "(ingen)",
                                        key=f"map_{src.sha256[:12]}_{role}")
            if sel:
                choice[role] = sel
        if choice != {k: v for k, v in used.items() if v} and st.button(
                app_ui.REREAD, key=f"reread_{src.sha256[:12]}"):
            S.replace_staged(src, S.with_columns(src, choice))
            st.rerun()
        # (the police feed's positions are WGS84 by definition: nothing to choose)
        if app_sources.crs_choice(src) or rep.get("wkt_column") or (not rep.get("police_feed") and set(used) & {
                "x", "y", "northing", "easting", "lat", "lon", "gps"}):
            crs_box(src)
        st.dataframe(preview, hide_index=True, width="stretch", placeholder="–")
        prec, reasons = S.ingest_tables(rep)
        a, b = st.columns(2)
        with a:
            st.markdown("**Placerade per precision**")
            app_ui.show_table_or(prec, empty="Inga placerade rader.", key=f"prec_{src.sha256[:12]}")
        with b:
            st.markdown("**Avvisade per orsak**")
            app_ui.show_table_or(reasons, empty="Inga avvisade rader.", key=f"reasons_{src.sha256[:12]}")
        if len(addr := app_ui.address_reasons(result.rejected)):
            st.markdown("**Adresser som inte hittades, efter skäl** – rätta dem i filen eller i adressregistret")
            app_ui.show_table(addr, key=f"addr_{src.sha256[:12]}")
        if len(result.rejected):
            S.rejected_download(acc, result.rejected, file_name=f"avvisade_{src.name}.csv",
                                key=f"rej_{src.sha256[:12]}")
        if rep.get("warnings"):
            st.warning(app_ui.reader_notes_sv(rep["warnings"]))
        if axes := app_ui.axes_note_sv(rep):
            st.info(f"**Koordinater:** {axes}")

others = [s for k, files in stage.items() if k != "incidents" for s in files]
for src in others:
    label = S.UPLOAD_TYPES[src.kind][0]
    ok, crs_problem = False, False
    if src.kind in ("districts", "boundary"):  # a layer of the whole country: one kommun of it is used
        with S.friendly_errors(f"{label}: {src.name} kan inte läsas"):
            try:
                found = app_sources.layer_kommuner(src)
            except CRSError:  # a layer without a CRS in a local zone: the user names it below
                crs_problem = True
                raise
            if len(found) > 1:
                names: dict[str, str] = {"": "Välj kommun …", **dict(found)}
                chosen = app_sources.source_kommun(src) or ""
                other = app_sources.chosen_kommun([s for s in others if s is not src])
                if not chosen and other in names:  # the kommun chosen in the other national file
                    S.replace_staged(src, app_sources.with_kommun(src, other))
                    app_sources.mark_readable(src)
                    st.rerun()
                # (a key per choice: the box shows the choice however it was made)
                pick = st.selectbox(f"Kommun i {src.name} ({svformat.integer(len(found))} kommuner i filen)",
                                    options=list(names), index=list(names).index(chosen) if chosen in names else 0,
                                    format_func=names.__getitem__, key=f"kommun_{src.sha256[:12]}_{chosen}")
                if pick and pick != chosen:
                    S.replace_staged(src, app_sources.with_kommun(src, pick))
                    app_sources.mark_readable(src)
                    st.rerun()
    if not crs_problem:
        with S.friendly_errors(f"{label}: {src.name} kan inte användas"):
            st.markdown(f"**{label}:** {src.name} – {S.check_file(src)}")
            ok = True
    if src.kind == "districts" and (crs_problem or app_sources.crs_choice(src)):
        crs_box(src)  # (the command line's --districts-crs)
    if not ok:
        S.mark_unreadable(src)

if conflict := app_sources.kommun_conflict(others):
    st.warning("Filerna gäller olika kommuner: " + ", ".join(f"{f} {k}" for f, k in conflict)
               + ". Välj samma kommun i listorna ovan; lägesbilden gäller en kommun.")
if S.usable_incident_files():
    keep = st.checkbox("Använd Exempelkommuns områden, adressregister och enkät där jag inte laddat upp egna",
                       value=False, key="keep_example_layers")
    if st.button("Använd de uppladdade filerna", type="primary", key="use_staged", disabled=bool(conflict)):
        S.use_staged(keep_example_layers=keep)
        st.success("Klart: kartan och rapporterna bygger nu på dina filer.")
        st.rerun()
elif not stage:
    st.caption("Inga egna filer uppladdade: appen visar Exempelkommun.")
