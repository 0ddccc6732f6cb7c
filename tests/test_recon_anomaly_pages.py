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


# --- figures shared by every session (a class opening the same page builds each figure once) -----------

def _spy_shared(monkeypatch, module) -> list[tuple[tuple, object]]:
    """Record (key, figure) for every shared figure `module` (an aeviz.ui module) asks for, starting empty."""
    from aeviz.ui import charts

    charts._figure.clear()
    seen = []

    def spy(key, build):
        fig = charts.shared_figure(key, build)
        seen.append((key, fig))
        return fig
    monkeypatch.setattr(module, "shared_figure", spy)
    return seen


def _by_name(seen, name: str) -> list[tuple[tuple, object]]:
    return [(k, f) for k, f in seen if name in k]


def test_two_sessions_get_the_same_reconstruction_figures_and_an_option_a_new_one(monkeypatch):
    from aeviz.figures import recon as fr
    from aeviz.ui import recon as recon_ui

    seen = _spy_shared(monkeypatch, recon_ui)
    builds = []
    real = fr.image_triplet
    monkeypatch.setattr(fr, "image_triplet", lambda *a, **k: builds.append(k["title"]) or real(*a, **k))
    first = _open("pages/reconstruction.py", r_show="index", r_index="5", **FAST)
    _ok(first)
    mine = list(seen)
    seen.clear()
    second = _open("pages/reconstruction.py", r_show="index", r_index="5", **FAST)
    _ok(second)
    assert len(builds) == 1 and builds[0].startswith("test #5 ")  # built for the first session only
    for name in ("rc sample", "rc by label"):
        (key, fig), = _by_name(mine, name)
        (key2, fig2), = _by_name(seen, name)
        assert key == key2 and fig is fig2  # one figure object for both sessions
    assert [c.proto.spec for c in _sample_charts(first)] == [c.proto.spec for c in _sample_charts(second)]
    seen.clear()
    second.number_input(key="rc_index").set_value(6).run()
    _ok(second)
    (key6, fig6), = _by_name(seen, "rc sample")
    assert key6 != key and fig6 is not fig and len(builds) == 2 and builds[1].startswith("test #6 ")
    seen.clear()
    second.radio(key="rc_plot").set_value("box").run()
    (_, box), = _by_name(seen, "rc by label")
    assert box is not _by_name(mine, "rc by label")[0][1] and box.data[0].type == "box"


def test_an_uploaded_model_gets_its_own_reconstruction_figures(monkeypatch, digits):
    from aeviz import ModelConfig, TrainConfig, build
    from aeviz.config import DEFAULTS
    from aeviz.io import restored_run, weights_to_bytes
    from aeviz.ui import recon as recon_ui
    from aeviz.ui.share import UPLOADED, UploadSlot

    seen = _spy_shared(monkeypatch, recon_ui)
    _ok(_open("pages/reconstruction.py", r_show="index", r_index="5"))
    (key, shared), = _by_name(seen, "rc sample")
    seen.clear()
    run = restored_run(weights_to_bytes(build(ModelConfig(), digits, seed=123)), digits, ModelConfig(), TrainConfig())
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(r_show="index", r_index="5")
    at.run()
    at.session_state[UPLOADED] = UploadSlot(run, DEFAULTS, "init.pt", "id-1", 0)
    at.switch_page("pages/reconstruction.py")
    _ok(at.run())
    (upload_key, fig), = _by_name(seen, "rc sample")
    assert run.id in upload_key and run.id not in key and fig is not shared


def test_two_sessions_share_the_anomaly_scenario_and_figures(monkeypatch):
    from aeviz.ui import anomaly as anomaly_ui
    from aeviz.ui import anomaly_threshold  # the threshold panel draws the shared figures

    seen = _spy_shared(monkeypatch, anomaly_threshold)
    anomaly_ui._scenario.clear()
    scenarios = []
    real = anomaly_ui.anomaly.scenario
    monkeypatch.setattr(anomaly_ui.anomaly, "scenario", lambda *a: scenarios.append(a) or real(*a))
    first = _open("pages/anomaly.py", d_name="digits", **FAST)
    _ok(first)
    mine = list(seen)
    seen.clear()
    second = _open("pages/anomaly.py", d_name="digits", **FAST)
    _ok(second)
    assert len(scenarios) == 1  # scored once for both sessions
    tops, tops2 = _by_name(mine, "an top"), _by_name(seen, "an top")
    assert len(tops) >= 2 and [k for k, _ in tops] == [k for k, _ in tops2]
    assert all(f is f2 for (_, f), (_, f2) in zip(tops, tops2))
    seen.clear()
    second.slider(key="an_kc").set_value(20).run()  # other anomalies: scored again, new figures
    _ok(second)
    assert len(scenarios) == 2
    assert not {k for k, _ in _by_name(seen, "an top")} & {k for k, _ in tops}
