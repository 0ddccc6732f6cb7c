"""Figures shared by every session: built once per server for a key (a run's id and the options the
figure depends on), never changed afterwards.

Building a Plotly figure (validating every trace, copying its template) costs far more than sending
it; thirty students opening the same page at once would otherwise build the same figures thirty times
while every other session waits for the CPU. Turning a figure into the dict that st.plotly_chart sends
(`to_dict`: a deep copy, every array encoded) is the next biggest cost, so a shared figure does it once;
and st.plotly_chart then encodes that dict as JSON on every draw (`plotly.io.to_json`), so a shared
figure keeps its JSON too: every session's draw of it sends the same string without encoding it again.
"""

from __future__ import annotations

from typing import Callable

import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa

from .cache import shared_cache


class SharedFigure(go.Figure):
    """A figure that is never changed after it is built: its dict form is computed on the first
    `to_dict()` and the same dict is returned after that. Treat that dict as read-only."""

    def to_dict(self) -> dict:
        """The figure as a dict (computed once; do not change it)."""
        spec = self.__dict__.get("_aeviz_spec")
        if spec is None:
            spec = self._aeviz_spec = super().to_dict()
        return spec

    def json_once(self) -> str:
        """The figure as st.plotly_chart sends it (`plotly.io.to_json(fig, validate=False)`), encoded once."""
        text = self.__dict__.get("_aeviz_json")
        if text is None:
            text = self._aeviz_json = _plotly_to_json(self, validate=False)
        return text


_plotly_to_json = pio.to_json


def _to_json(fig, *args, **kwargs) -> str:
    """plotly.io.to_json, answered from a shared figure's one encoding (what st.plotly_chart calls on every draw)."""
    if type(fig) is SharedFigure and not args and set(kwargs) <= {"validate"}:
        return fig.json_once()
    return _plotly_to_json(fig, *args, **kwargs)


pio.to_json = _to_json  # st.plotly_chart looks it up on plotly.io at every call


@shared_cache(max_entries=256)
def _figure(key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    fig = _build()
    fig.__class__ = SharedFigure  # same data, same layout: only to_dict is remembered
    fig.json_once()  # serialised here, once, instead of in the first sessions that draw it
    return fig


def shared_figure(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure for `key`, built with `build()` the first time any session asks for it.

    `key` must name everything the figure depends on (a run id, a sample index, an option), since
    every session with the same key gets the same figure object.
    """
    return _figure(key, build)


@shared_cache(max_entries=64)
def _table(key: tuple, _build: Callable[[], list[dict]]) -> pa.Table:
    return pa.Table.from_pylist(_build())


def shared_table(key: tuple, build: Callable[[], list[dict]]) -> pa.Table:
    """The rows `build()` returns (a list of dicts) as the Arrow table st.dataframe sends, built the first time
    any session asks for `key` (which must name everything the rows depend on)."""
    return _table(key, build)
