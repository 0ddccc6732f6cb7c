"""aeviz's server: the app (app.py) behind Streamlit's own ASGI server, warmed up before the first visitor.

    streamlit run serve.py

Before the server answers, it imports what the pages need (PyTorch, scikit-learn, Plotly: about 3 s on a
small machine) and trains the default lesson's models (aeviz.ui.warm.lesson_runs: the default model, the
reconstruction page's denoising model, the anomaly page's model of the normal classes), so a class that
opens the link at once does not wait for them. `streamlit run app.py` serves the same app without the warm-up.
"""

import asyncio
from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def _warm_up(_app):
    from aeviz.ui.warm import warm_server

    await asyncio.to_thread(warm_server)
    yield


app = st.App("app.py", lifespan=_warm_up)
