"""AppTest: the threshold chart's Python side. Its payload (shape, exact numbers, size bound), and a
threshold the browser sends back driving the page's numbers, slider and confusion matrix."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from aeviz.analysis import anomaly as an
from aeviz.ui.components import threshold as tc

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KEYS = {"dtype", "normal", "anomalous", "uploaded", "mode", "pct", "threshold", "log", "bins", "pct_min",
        "pct_max", "pct_step", "colours", "font_px"}
BUDGET = 32_000  # bytes of JSON: the largest scenario plus an upload's ticks at their cap


def _open(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/anomaly.py")
    return at.run()


def _chart(at: AppTest) -> dict:
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def _floats(data: dict, name: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data[name]), dtype="<" + data["dtype"]).astype(float)


def _summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("At threshold"))


def _send(at: AppTest, value) -> AppTest:
    """What the browser does when a drag is let go: one "threshold" event from the component."""
    (el,) = at.get("bidi_component")
    states = at._tree.get_widget_states()
    trigger = WidgetState(id=_make_trigger_id(el.proto.id, "events"),
                          json_trigger_value=json.dumps([{"event": "threshold", "value": value}]))
    states.widgets.append(trigger)
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def gw_page():
    at = _open(d_name="gw", t_epochs="20")
    assert not at.exception
    return at


def test_payload_has_the_page_errors_exactly(gw_page):
    data = _chart(gw_page)
    assert set(data) == KEYS | {"picked"} and data["mode"] == "percentile" and data["pct"] == 95.0 and data["log"] is True
    assert data["picked"] is None  # no bin's samples listed until one is picked
    assert data["dtype"] == "f4"  # the model's errors are float32 and travel as such
    normal, anomalous = _floats(data, "normal"), _floats(data, "anomalous")
    scored = next(m.value for m in gw_page.markdown if m.value.startswith("Scored"))
    assert f"**{len(normal)}** held-out normal rows and **{len(anomalous)}** anomalies" in scored
    # the threshold Python uses is the 95th percentile of exactly these numbers
    assert data["threshold"] == an.threshold(normal, "percentile", 95.0)
    m = an.detection_metrics(normal, anomalous, data["threshold"])
    assert f"**{m['tp']} of {len(anomalous)}** anomalies" in _summary(gw_page)
    assert tc.payload_bytes(data) < 3_000


@pytest.mark.parametrize("n_normal, n_anomalous, n_uploaded", [(360, 474, 0), (360, 474, 5_000), (0, 0, 0)])
def test_payload_size_is_bounded(n_normal, n_anomalous, n_uploaded):
    rng = np.random.default_rng(0)
    data = tc.payload(rng.random(n_normal, dtype=np.float32), rng.random(n_anomalous, dtype=np.float32),
                      mode="percentile", pct=95.0, threshold=0.5, log_x=False, uploaded=rng.random(n_uploaded))
    assert set(data) == KEYS
    assert tc.payload_bytes(data) <= BUDGET
    assert len(_floats(data, "uploaded")) == min(n_uploaded, tc.MAX_TICKS)  # ticks are thinned, never counted
    assert len(_floats(data, "normal")) == n_normal and len(_floats(data, "anomalous")) == n_anomalous


def test_payload_refuses_more_errors_than_the_bound():
    with pytest.raises(ValueError, match="At most"):
        tc.payload(np.zeros(tc.MAX_SCORED + 1, np.float32), np.zeros(3, np.float32), mode="raw", pct=95.0,
                   threshold=1.0, log_x=False)


def test_float64_errors_travel_as_float64():
    x = np.array([0.1, 1 / 3, 2.0 ** -30])
    data = tc.payload(x, x, mode="raw", pct=95.0, threshold=0.2, log_x=False)
    assert data["dtype"] == "f8" and _floats(data, "normal").tolist() == x.tolist()


@pytest.mark.parametrize("event, expected", [
    ({"mode": "percentile", "value": 80}, ("percentile", 80.0)),
    ({"mode": "percentile", "value": 80.04}, ("percentile", 80.0)),
    ({"mode": "percentile", "value": 12}, ("percentile", 50.0)),
    ({"mode": "percentile", "value": 100}, ("percentile", 99.9)),
    ({"mode": "raw", "value": 0.0123}, ("raw", 0.0123)),
    ({"mode": "raw", "value": -1}, ("raw", 0.0)),
    ({"mode": "raw", "value": "abc"}, None),
    ({"mode": "raw", "value": float("nan")}, None),
    ({"mode": "other", "value": 1}, None),
    ("95", None),
    (None, None),
])
def test_sent_threshold_is_checked(event, expected):
    assert tc.sent_threshold(event) == expected


def test_a_threshold_sent_back_drives_the_page(gw_page):
    at = _send(gw_page, {"mode": "percentile", "value": 80.0})
    assert at.slider(key="an_pct").value == 80.0  # the server's slider moved to the dragged value
    text = _summary(at)
    assert "the 80.0th percentile" in text and "**32 of 160** normal rows" in text  # (160 - 1) · 0.8 = 127.2
    assert "false-positive rate 20.0%" in text
    cm = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "an_cm" in c.proto.id)
    z = cm["data"][0]["z"]  # Plotly JSON: a plain list, or base64 with a dtype and a shape
    if isinstance(z, dict):
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape([int(v) for v in str(z["shape"]).split(",")])
    assert np.asarray(z)[0].tolist() == [128, 32]  # true normal: passed, flagged
    data = _chart(at)
    assert data["pct"] == 80.0 and data["threshold"] == an.threshold(_floats(data, "normal"), "percentile", 80.0)

    before = _summary(at)
    for bad in ({"mode": "percentile", "value": "x"}, {"mode": "raw", "value": 1.0}):  # garbage, wrong mode
        assert _summary(_send(at, bad)) == before

    at.radio(key="an_mode").set_value("raw").run()
    at = _send(at, {"mode": "raw", "value": 1000.0})
    assert at.number_input(key="an_raw").value == 1000.0
    assert "(detection rate 0.0%)" in _summary(at) and "(false-positive rate 0.0%)" in _summary(at)
    assert _chart(at)["mode"] == "raw" and _chart(at)["threshold"] == 1000.0
    at.radio(key="an_mode").set_value("percentile").run()
    at.slider(key="an_pct").set_value(95.0).run()
