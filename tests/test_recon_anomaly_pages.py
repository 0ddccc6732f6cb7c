"""AppTest: the Reconstruction and Anomaly pages driven like a user (sliders, presets, uploads)."""

import base64
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aeviz import DATASETS

APP = str(Path(__file__).resolve().parents[1] / "app.py")
FAST = {"t_epochs": "5"}  # rendering tests do not need a converged model


def _open(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _figure(at: AppTest, key_part: str) -> dict:
    """The Plotly JSON of the chart whose element id mentions `key_part`."""
    for chart in at.get("plotly_chart"):
        if key_part in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no chart {key_part!r}")


def _chart(at: AppTest) -> dict:
    """The threshold chart's data (the browser component's JSON payload)."""
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def _summary(at: AppTest) -> str:
    """The server's sentence of numbers under the threshold chart."""
    return next(m.value for m in at.markdown if m.value.startswith("At threshold"))


def _detection(at: AppTest) -> float:
    """The detection rate (percent) the server reports."""
    text = _summary(at)
    return float(text[text.index("detection rate ") + 15:].split("%")[0])


def _trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name", "").startswith(name))


def _values(v) -> list:
    """A Plotly JSON array, plain or base64-encoded ({"bdata", "dtype"})."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_renders_both_pages(name):
    rc = _open("pages/reconstruction.py", d_name=name, **FAST)
    _ok(rc)
    assert rc.title[0].value == "Reconstruction" and len(rc.get("plotly_chart")) >= 2
    assert any("reconstructs worst" in m.value for m in rc.markdown)
    an = _open("pages/anomaly.py", d_name=name, **FAST)
    _ok(an)
    assert an.title[0].value == "Anomaly detection" and not an.error
    assert "detection rate" in _summary(an) and "false-positive rate" in _summary(an)
    assert _chart(an)["normal"] and _chart(an)["anomalous"]


@pytest.fixture(scope="module")
def gw_anomaly():
    """The Anomaly page on gw with the default model (the issue's setting)."""
    at = _open("pages/anomaly.py", d_name="gw")
    _ok(at)
    return at


def test_threshold_slider_moves_counts_and_the_chart(gw_anomaly):
    at = gw_anomaly
    at.slider(key="an_pct").set_value(95.0).run()
    before = _chart(at)
    assert "false-positive rate 5.0%" in _summary(at) and before["pct"] == 95.0
    at.slider(key="an_pct").set_value(50.0).run()
    _ok(at)
    after = _chart(at)
    assert "false-positive rate 50.0%" in _summary(at) and "80 of 160" in _summary(at)
    assert after["pct"] == 50.0 and after["threshold"] < before["threshold"]
    assert after["normal"] == before["normal"]  # the errors are the same scenario's: only the threshold moved
    assert f"τ = {after['threshold']:.4g}" in _summary(at)
    at.slider(key="an_pct").set_value(95.0).run()


def test_raw_threshold_mode(gw_anomaly):
    at = gw_anomaly
    at.radio(key="an_mode").set_value("raw").run()
    at.number_input(key="an_raw").set_value(1000.0).run()
    _ok(at)
    assert "(detection rate 0.0%)" in _summary(at) and "(false-positive rate 0.0%)" in _summary(at)
    assert _chart(at)["mode"] == "raw" and _chart(at)["threshold"] == 1000.0
    at.radio(key="an_mode").set_value("percentile").run()


def test_subtle_preset_lowers_detection(gw_anomaly):
    at = gw_anomaly
    obvious = _detection(at)
    at.radio(key="an_preset").set_value("subtle").run()
    _ok(at)
    assert at.slider(key="an_mu").value == 1.0 and at.slider(key="an_sigma").value == 0.8
    assert _detection(at) < obvious - 30
    at.radio(key="an_preset").set_value("obvious").run()


BAD_FILES = [
    (b"log_mass_1,log_mass_2\n0.1,0.2\n", "missing 14"),
    (b"", "empty"),
]


@pytest.mark.parametrize("content, message", BAD_FILES)
def test_bad_upload_shows_error_and_page_still_renders(gw_anomaly, content, message):
    at = gw_anomaly
    at.file_uploader(key="an_upload").set_value(("bad.csv", content, "text/csv")).run()
    _ok(at)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert _summary(at) and _chart(at)["normal"]
    assert at.markdown and at.get("plotly_chart")
    at.file_uploader(key="an_upload").set_value(None).run()


def test_good_upload_scores_rows_on_the_histogram(gw_anomaly):
    from aeviz.analysis import anomaly as an
    from aeviz import DataConfig, load

    data = load(DataConfig(name="gw"))
    text = an.to_csv(data.X_test[:3], data.feature_names).decode()
    text += ",".join(["6"] * 16) + "\n"  # three held-out events, then one obvious anomaly
    at = gw_anomaly
    at.file_uploader(key="an_upload").set_value(("mine.csv", text.encode(), "text/csv")).run()
    _ok(at)
    assert not at.error
    assert len(base64.b64decode(_chart(at)["uploaded"])) == 4 * 4  # four float32 ticks on the histogram
    table = at.dataframe[-1].value
    assert list(table["flagged"]) == [False, False, False, True]
    at.file_uploader(key="an_upload").set_value(None).run()


def _sample_charts(at: AppTest) -> list:
    return [c for c in at.get("plotly_chart") if "rc_sample" in c.proto.id]


def test_reconstruction_selection_modes():
    at = _open("pages/reconstruction.py", d_name="gw", **FAST)
    assert len(_sample_charts(at)) == 4  # default: the 4 worst
    at.radio(key="rc_mode").set_value("index").run()
    at.number_input(key="rc_index").set_value(5).run()
    _ok(at)
    (chart,) = _sample_charts(at)
    assert "test #5 " in json.dumps(json.loads(chart.proto.spec)["layout"]["title"])
    at.radio(key="rc_mode").set_value("best").run()
    at.slider(key="rc_k").set_value(2).run()
    _ok(at)
    assert len(_sample_charts(at)) == 2


def test_latent_sweep_toggle_draws_the_curve():
    at = _open("pages/reconstruction.py", d_name="line", **FAST)
    at.toggle(key="rc_sweep").set_value(True).run()
    _ok(at)
    fig = _figure(at, "rc_sweep_fig")
    assert _values(_trace(fig, "test")["x"]) == [1, 2]


def test_digits_held_out_choices_and_no_anomalies_message():
    import numpy as np
    from aeviz import DataConfig, load

    y = load(DataConfig(name="digits")).y_test
    at = _open("pages/anomaly.py", d_name="digits", **FAST)
    at.multiselect(key="an_held").set_value([1, 8]).run()
    _ok(at)
    held = int(np.isin(y, [1, 8]).sum())
    scored = next(m.value for m in at.markdown if m.value.startswith("Scored"))
    assert f"**{len(y) - held}** held-out normal rows and **{held + 50}** anomalies" in scored
    at.multiselect(key="an_held").set_value([]).run()
    at.multiselect(key="an_corr").set_value([]).run()
    _ok(at)
    assert any("no anomalies" in w.value for w in at.warning)
