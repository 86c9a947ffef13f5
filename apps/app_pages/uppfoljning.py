"""uppfoljning page (being built)."""

import streamlit as st

st.title("uppfoljning")
st.info("Sidan byggs.")
