"""Figures shared by every session: built once per server for a key (a run's id and the options the
figure depends on), never changed afterwards.

Building a Plotly figure (validating every trace, copying its template) costs far more than sending
it; thirty students opening the same page at once would otherwise build the same figures thirty times
while every other session waits for the CPU.
"""

from __future__ import annotations

from typing import Callable

import plotly.graph_objects as go
import streamlit as st


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


def shared_figure(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure for `key`, built with `build()` the first time any session asks for it.

    `key` must name everything the figure depends on (a run id, a sample index, an option), since
    every session with the same key gets the same figure object.
    """
    return _figure(key, build)
