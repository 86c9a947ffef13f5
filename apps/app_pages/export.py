"""Export: the police package, the GeoPackage and the HTML report; import the police's package."""

from __future__ import annotations

import app_state as S
import app_ui
import streamlit as st
from streamlit_folium import st_folium

st.title("Export")
acc = S.access()
st.caption("Paketet följer integritetsreglerna: inga enskilda händelser, och siffror som vilar på "
           "för få fall döljs. Områden och åtgärder från åtgärdsplanen följer med.")

st.subheader("Ladda ner")
kind = st.radio("Vad vill du ladda ner?", key="export_kind", horizontal=True,
                options=["zip", "gpkg", "html"],
                format_func={"zip": "Paket till polisen (zip)", "gpkg": "GeoPackage",
                             "html": "Rapport (HTML)"}.get)
with st.expander("Tillåt personuppgifter i fritext (bara om det verkligen ska med)"):
    st.caption("Exporten stoppas om ett områdesnamn, en åtgärdstitel, en samverkanspartner, ett "
               "avtal eller ett distriktsnamn ser ut att innehålla ett personnummer, ett "
               "telefonnummer, en e-postadress eller ett personnamn. Ändra helst texten. Ska "
               "uppgiften ändå med kan du tillåta fältet här; det noteras i paketets metadata.")
    allow = st.multiselect("Tillåt personuppgifter i", options=list(S.ALLOW_FIELDS_SV),
                           format_func=lambda f: S.ALLOW_FIELDS_SV.get(f, f), key="export_allow",
                           placeholder="Inga fält (rekommenderas)")
if st.button("Skapa filen", type="primary", key="export_make"):
    st.session_state.pop("export_file", None)
    with S.friendly_errors("Filen kunde inte skapas"):
        if kind == "zip":
            st.session_state["export_file"] = ("lagesbild_paket.zip", S.police_package_zip(allow),
                                               "application/zip")
        elif kind == "gpkg":
            st.session_state["export_file"] = ("lagesbild.gpkg", S.geopackage_bytes(allow),
                                               "application/geopackage+sqlite3")
        else:
            st.session_state["export_file"] = ("lagesbild_rapport.html", S.report_html(allow),
                                               "text/html")
made = st.session_state.get("export_file")
if made:
    name, data, mime = made
    st.download_button(f"Ladda ner {name}", data=data, file_name=name, mime=mime, key="export_dl")

st.subheader("Importera polisens paket")
app_ui.uploader_styles()
# any type: a wrong one is refused below in Swedish (Streamlit's own refusal is English)
up = st.file_uploader("Paket (zip, GeoPackage)", type=None, key="police_upload")
st.caption(S.upload_help(["zip", "gpkg"], max_mb=int(st.get_option("server.maxUploadSize") or 200)))
if up is not None and (refused := app_ui.refused_upload(up.name, ["zip", "gpkg"])):
    st.error(refused, icon=":material/block:")
elif up is not None:
    with S.friendly_errors(f"{up.name} kunde inte läsas som ett lägesbildspaket"):
        theirs = S.read_police_package(S.save_upload(up.name, up.getvalue(), "package"))
        S.show_table(S.compare_packages(theirs).rename_axis("Underlag").reset_index(), key="compare")
        m = S.make_map(theirs, layers=("cells", "hotspots", "districts"), with_areas=False)
        st_folium(m, key="police_map", height=480, width=None, returned_objects=[])
