"""Streamlit custom components (st.components.v2): each is a small Python wrapper with its JavaScript
in a .js file beside it, inlined when the component registers (no build step, nothing fetched at run
time)."""
