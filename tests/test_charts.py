"""Shared figures (aeviz.ui.charts): built and turned into a dict once, the same for every session, and never
changed by the presenter-mode copy."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from aeviz.figures.style import presented
from aeviz.ui import charts


def _build() -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(5.0), y=np.arange(5.0) ** 2, name="squares"))
    fig.update_layout(title="A shared figure", font=dict(size=11))
    return fig


def test_a_shared_figure_is_built_once_and_serialises_like_a_plain_one():
    calls = []

    def build():
        calls.append(1)
        return _build()

    key = ("test_charts", np.random.default_rng().integers(1 << 30))
    a = charts.shared_figure(key, build)
    b = charts.shared_figure(key, build)
    assert a is b and len(calls) == 1
    assert a.to_dict() is a.to_dict()  # kept, not recomputed
    plain = _build()
    assert pio.to_json(a.to_dict(), validate=False) == pio.to_json(plain.to_dict(), validate=False)
    assert isinstance(a, go.Figure)  # st.plotly_chart takes it without validating it again


def test_a_shared_figure_is_encoded_once_as_the_plain_one_would_be():
    key = ("test_charts", "json", np.random.default_rng().integers(1 << 30))
    a = charts.shared_figure(key, _build)
    plain = _build()
    # what st.plotly_chart sends: plotly.io.to_json(fig, validate=False) on every draw
    assert pio.to_json(a, validate=False) is pio.to_json(a, validate=False)
    assert pio.to_json(a, validate=False) == charts._plotly_to_json(plain, validate=False)
    assert pio.to_json(plain, validate=False) == charts._plotly_to_json(plain, validate=False)
    assert pio.to_json(a, pretty=True) == charts._plotly_to_json(plain, pretty=True)  # other options: not kept


def test_the_presenter_copy_leaves_the_shared_dict_as_it_was():
    fig = charts.shared_figure(("test_charts", "presented", np.random.default_rng().integers(1 << 30)), _build)
    before = json.dumps(fig.to_dict(), sort_keys=True, default=str)
    big = presented(fig, 20)
    assert big.layout.font.size >= 20
    assert json.dumps(fig.to_dict(), sort_keys=True, default=str) == before
    assert fig.to_dict()["layout"]["font"]["size"] == 11


def test_a_shared_table_is_built_once_with_the_rows_columns_and_types():
    import pandas as pd

    calls = []
    rows = [{"layer": "input", "width": 64, "params": 0}, {"layer": "encoder 1", "width": 32, "params": 2080}]

    def build():
        calls.append(1)
        return rows

    key = ("test_charts", "table", np.random.default_rng().integers(1 << 30))
    a, b = charts.shared_table(key, build), charts.shared_table(key, build)
    assert a is b and len(calls) == 1
    pd.testing.assert_frame_equal(a.to_pandas(), pd.DataFrame(rows))  # what st.dataframe(rows) would show
