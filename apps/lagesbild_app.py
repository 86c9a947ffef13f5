"""Lägesbild – the coordinator's app (Streamlit entry script).

Start from the repository root: ``make run`` (``apps/serve.py``: this script plus the
warm-up of the starting picture) or ``.venv/bin/streamlit run apps/lagesbild_app.py``.
Pages live in ``app_pages/``; every library call that costs time goes through ``app_state``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:  # AppTest and `streamlit run` from another cwd
    sys.path.insert(0, str(APP_DIR))

import app_warm  # noqa: E402

# the icon from this computer: a Material icon as page icon is fetched from Google's font
# service on every visit (a request outside the kommun's network, refused on an intranet)
st.set_page_config(page_title="Lägesbild", page_icon=str(APP_DIR / "static" / "lagesbild.png"), layout="wide")
app_warm.wait()  # "Bygger lägesbilden …" while the server's warm-up (apps/serve.py) runs

import app_prefs  # noqa: E402
import app_state  # noqa: E402

from lagesbild_geo.maps import base_maps  # noqa: E402

app_state.cleanup_uploads_now_and_then()  # uploads of ended sessions, and any older than a day
access = app_state.access()
# the base map this user chose in an earlier session
app_prefs.remember_base_map(access.user, known=lambda: base_maps(app_state.lagesbild_settings()))

pages = [
    st.Page("app_pages/karta.py", title="Karta", icon=":material/map:", default=True),
    st.Page("app_pages/omraden.py", title="Områden och åtgärder", icon=":material/draw:"),
    st.Page("app_pages/atgardsplan.py", title="Åtgärdsplan", icon=":material/checklist:"),
    st.Page("app_pages/uppfoljning.py", title="Uppföljning", icon=":material/monitoring:"),
    st.Page("app_pages/upprepning.py", title="Upprepning", icon=":material/repeat:"),
    st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
]
nav = st.navigation(pages)
app_state.sidebar_status(access)
nav.run()
