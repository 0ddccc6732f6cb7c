"""The run taken home from a page: download it as a Jupyter notebook or as a plain Python script
(aeviz.export builds both; they are built only when a button is pressed)."""

from __future__ import annotations

import streamlit as st

from .. import export
from .state import Configs


def _stem(cfgs: Configs) -> str:
    data_cfg, model_cfg, _ = cfgs
    return f"aeviz_{data_cfg.name}_{model_cfg.variant}_{'-'.join(map(str, model_cfg.hidden))}-{model_cfg.latent}"


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
