"""The run taken home from a page: download it as a Jupyter notebook or as a plain Python script
(aeviz.export builds both; they are built only when a button is pressed). On a session's own table the code
embeds that table's bytes as aeviz read them (the session's reading: its bytes and label column)."""

from __future__ import annotations

import streamlit as st

from .. import export
from ..datasets import UPLOAD
from .state import Configs
from .table_upload import current_upload

HOME_INTRO = ("Everything this page did fits in one file you can run without aeviz's app: the same data and "
              "split, the same network (each layer's parameter count printed), an explicit training loop "
              "(zero_grad, forward, loss, backward, step) and the numbers the pages show. The notebook has one "
              "cell per step with a sentence above it; the script is the same code top to bottom.")
HOME_TRY = ("**Try this:** download the script and run `python` on it: its last line, `final test error: …`, "
            "lands within 3 % of the *Test error (final model)* above, trained afresh from the same seeds. Load the "
            "run's weights (*Download weights*, set `WEIGHTS`) and it matches exactly.")


def _stem(cfgs: Configs) -> str:
    data_cfg, model_cfg, _ = cfgs
    return f"aeviz_{data_cfg.name}_{model_cfg.variant}_{'-'.join(map(str, model_cfg.hidden))}-{model_cfg.latent}"


def export_options(cfgs: Configs) -> dict | None:
    """What the export needs beyond the settings: {} for aeviz's own data, the table's bytes and label column
    for this session's upload, None if the session holds no table for these settings."""
    if cfgs[0].name != UPLOAD:
        return {}
    upload = current_upload(cfgs[0])
    if upload is None or upload.dataset is None:
        return None
    return {"csv": upload.raw, "label_column": upload.label_column}


def export_buttons(cfgs: Configs, *, csv: bytes | None = None, label_column: str | None = None,
                   key: str = "export") -> None:
    """Two download buttons, the notebook and the script of the run these settings make (an uploaded table's
    bytes and label column when the run trains on one)."""
    options = {"csv": csv, "label_column": label_column} if cfgs[0].name == export.UPLOAD else {}
    stem = _stem(cfgs)
    st.download_button("Download as a notebook (.ipynb)", lambda: export.notebook(*cfgs, **options).encode(),
                       file_name=f"{stem}.ipynb", mime="application/x-ipynb+json", on_click="ignore",
                       key=f"{key}_notebook", width="stretch",
                       help="The same data, model and training with torch, numpy and scikit-learn, step by step; "
                            "its last line prints the final test error. Set WEIGHTS to the downloaded .pt to get "
                            "the app's numbers exactly.")
    st.download_button("Download as a Python script (.py)", lambda: export.script(*cfgs, **options).encode(),
                       file_name=f"{stem}.py", mime="text/x-python", on_click="ignore", key=f"{key}_script",
                       width="stretch", help="The notebook's code as one script: python it.py")


def session_export_buttons(cfgs: Configs, key: str = "export") -> bool:
    """The two buttons for this session's settings (with its table's bytes on an upload); False, drawing
    nothing, when the settings name an upload this session does not hold."""
    options = export_options(cfgs)
    if options is None:
        return False
    export_buttons(cfgs, key=key, **options)
    return True


def take_it_home(cfgs: Configs) -> None:
    """The Train page's "Take it home" section: what the export holds, the two buttons, and a prompt."""
    st.subheader("Take it home")
    st.markdown(HOME_INTRO)
    if not session_export_buttons(cfgs, key="home_export"):
        st.info("Upload a table first (sidebar, *Your own table*): the code embeds it.")
    st.markdown(HOME_TRY)
