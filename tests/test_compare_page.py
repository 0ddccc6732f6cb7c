"""The Variants & comparisons page driven like a user (AppTest): it renders on the defaults and on gw."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _open(dataset: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if dataset:
        at.sidebar.selectbox(key="w_dataset").set_value(dataset).run()
    at.switch_page("pages/compare.py")
    at.run()
    return at


def _metrics(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


@pytest.mark.slow
@pytest.mark.parametrize("dataset", [None, "gw"])
def test_page_renders_every_section(dataset):
    at = _open(dataset)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    headers = [h.value for h in at.header]
    for h in ("Autoencoder vs VAE", "Linear autoencoder vs PCA", "Curves PCA cannot follow", "Is the code useful?",
              "Sparse: most units silent", "Contractive: a code that barely moves"):
        assert h in headers
    metrics = _metrics(at)
    holes = [float(v.rstrip("%")) for k, v in metrics if k.startswith("Hole fraction")]
    assert len(holes) == 2 and holes[1] < holes[0]  # the VAE's map (right) has fewer holes
    angle = float(dict(metrics)["Largest principal angle"].rstrip("°"))
    assert 0 <= angle <= 10
    assert any(k.startswith("AUC on the codes") for k, _ in metrics)
    assert len(at.get("plotly_chart")) >= 9  # 2 maps + 2 decoding strips + 2 PCA + 2 roll + histogram
    assert "Try this" in [s.value for s in at.subheader]


def test_denoising_demo_on_the_reconstruction_page():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("pages/reconstruction.py")
    at.run()
    assert not at.exception, at.exception
    assert "Denoising: noisy input, plain output, denoising output" in [s.value for s in at.subheader]
    values = {m.label: float(m.value) for m in at.metric if m.label.endswith("vs clean")}
    assert values["Denoising AE output vs clean"] < values["Plain AE output vs clean"] < values["Noisy input vs clean"]
    at.number_input(key="recon_dn_start").set_value(10).run()
    assert not at.exception


@pytest.mark.parametrize("widget, value", [("w_lr", 10.0), pytest.param("w_latent", 1, marks=pytest.mark.slow),
                                           ("w_dataset", "line")])
def test_awkward_settings_end_in_messages_not_tracebacks(widget, value):
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    w = at.sidebar.select_slider(key=widget) if widget == "w_lr" else (
        at.sidebar.number_input(key=widget) if widget == "w_latent" else at.sidebar.selectbox(key=widget))
    w.set_value(value).run()
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, at.exception
    if widget == "w_lr":
        assert any("learning rate" in e.value for e in at.error)  # the trainer says why it stopped
    if widget == "w_dataset":  # 2 features, code of 2: nothing for PCA to compare
        assert any("as wide as the input" in i.value for i in at.info)
    assert "Try this" in [s.value for s in at.subheader]
