"""aeviz: the entry point. Page config, the shared sidebar, and the navigation over pages/."""

import streamlit as st

from aeviz import ui

# presenter mode (?present=1) opens with the sidebar closed, so the charts get the projector's width
st.set_page_config(page_title="aeviz — learn autoencoders", page_icon="⏳", layout="wide",
                   initial_sidebar_state="collapsed" if ui.presenting() else "auto")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/play_circle:"),
    st.Page("pages/architecture.py", title="Architecture", icon=":material/hourglass_empty:"),
    st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:"),
    st.Page("pages/reconstruction.py", title="Reconstruction", icon=":material/compare:"),
    st.Page("pages/anomaly.py", title="Anomaly detection", icon=":material/troubleshoot:"),
    st.Page("pages/compare.py", title="Variants & comparisons", icon=":material/difference:"),
]

ui.serve_on_one_thread()
with ui.entry_script():  # marks this run as one that went through app.py (see ui.state)
    nav = st.navigation(PAGES)
    ui.lesson_sidebar()
    ui.warm_up(ui.sidebar())  # the defaults' model starts training in the background at once
    ui.share_sidebar(nav)
    ui.sync_link()
    nav.run()
