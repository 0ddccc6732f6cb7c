"""Share and export: weights through bytes and back, every way a weights file can be wrong, the CSV
exports, and the sidebar's link, downloads and per-session upload under AppTest and in a browser."""

from __future__ import annotations

import io
import os
import pickle
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from aeviz import VARIANTS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import encode, reconstruct
from aeviz.io import codes_csv, history_csv, restored_run, weights_from_bytes, weights_to_bytes
from aeviz.ui.share import OPEN_KEY, UPLOADED, share_url
from aeviz.ui.text import plain

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TRAIN = TrainConfig(epochs=2, seed=3)


@pytest.fixture(scope="module")
def digits():
    return load(DataConfig("digits"))


def _trained(data, model_cfg=ModelConfig(), train_cfg=TRAIN) -> Trainer:
    return Trainer(build(model_cfg, data, seed=train_cfg.seed), data, train_cfg).run()


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


# --- weights through bytes ------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_weights_round_trip_gives_the_same_model(digits, variant):
    cfg = ModelConfig(variant=variant, hidden=(16,), latent=3)
    run = _trained(digits, cfg)
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    data = weights_to_bytes(run.model)
    assert all(torch.equal(before[k], v) for k, v in run.model.state_dict().items())  # not changed
    state = torch.load(io.BytesIO(data), weights_only=True)
    assert set(state) == set(before) and all(torch.equal(state[k], before[k]) for k in before)
    restored = restored_run(data, digits, cfg, TRAIN)
    assert restored.model is not run.model
    np.testing.assert_array_equal(encode(restored.model, digits.X), encode(run.model, digits.X))
    np.testing.assert_array_equal(reconstruct(restored.model, digits.X), reconstruct(run.model, digits.X))
    assert restored.done and not restored.error and len(restored.history) == 1
    if variant != "variational":  # a VAE's loss samples its codes; the others' is a function of the weights
        assert restored.history[0]["test_recon"] == pytest.approx(run.history[-1]["test_recon"], rel=1e-5)


def test_saved_weights_are_plain_tensors_not_views_of_the_trainers_buffer(digits):
    run = _trained(digits)
    state = torch.load(io.BytesIO(weights_to_bytes(run.model)), weights_only=True)
    n = sum(p.numel() for p in run.model.parameters())
    assert sum(v.untyped_storage().nbytes() for v in state.values()) == 4 * n


@pytest.mark.parametrize("cfg, words", [
    (ModelConfig(latent=3), ["encoder.4.weight", "[3, 16]", "[2, 16]", "64→32→16→3", "64→32→16→2"]),
    (ModelConfig(hidden=(32,)), ["different architecture", "missing", "encoder.4.weight", "64→32→2"]),
    (ModelConfig(hidden=(32, 16, 8)), ["different architecture", "unexpected", "encoder.6.weight", "64→32→16→8→2"]),
    (ModelConfig(variant="variational"), ["shape", "[4, 16]", "[2, 16]"]),
])
def test_weights_for_other_settings_are_refused_with_the_reason(digits, cfg, words):
    data = weights_to_bytes(build(cfg, digits))
    with pytest.raises(ValueError) as err:
        restored_run(data, digits, ModelConfig(), TRAIN)
    assert all(w in str(err.value) for w in words), str(err.value)
    assert "settings the file was saved with" in str(err.value)


def test_weights_for_another_dataset_are_refused(digits):
    gw = load(DataConfig("gw"))
    with pytest.raises(ValueError, match="16→32→16→2"):
        restored_run(weights_to_bytes(build(ModelConfig(), gw)), digits, ModelConfig(), TRAIN)


class _Payload:
    """A pickle that would run code on load (it must never be loaded)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on the plain pickles below
def test_files_that_are_not_a_state_dict_get_a_clear_message(digits, tmp_path):
    good = build(ModelConfig(), digits).state_dict()
    marker = tmp_path / "pwned"
    bad = {
        "empty": b"",
        "random bytes": np.random.default_rng(0).bytes(4096),
        "text": b"epoch,loss\n1,0.5\n",
        "pickle of a dict": pickle.dumps({"a": 1}),
        "pickle that runs code": pickle.dumps({"encoder.0.weight": _Payload(str(marker))}),
        "torch list": _saved([torch.zeros(2)]),
        "torch empty dict": _saved({}),
        "torch dict of ints": _saved({"encoder.0.weight": 3}),
        "truncated": weights_to_bytes(build(ModelConfig(), digits))[:500],
    }
    for name, data in bad.items():
        with pytest.raises(ValueError, match="Not an aeviz weights file: ") as err:
            restored_run(data, digits, ModelConfig(), TRAIN)
        assert "Traceback" not in str(err.value), name
    assert not marker.exists()
    nan = {k: v.clone() for k, v in good.items()}
    nan["decoder.0.bias"][0] = float("nan")
    with pytest.raises(ValueError, match="decoder.0.bias contains NaN"):
        restored_run(_saved(nan), digits, ModelConfig(), TRAIN)
    ints = {k: v.to(torch.int64) for k, v in good.items()}
    with pytest.raises(ValueError, match="not floating-point"):
        restored_run(_saved(ints), digits, ModelConfig(), TRAIN)
    assert set(weights_from_bytes(_saved(good))) == set(good)


# --- CSV exports ----------------------------------------------------------------------------------------

def test_codes_csv_has_one_row_per_sample_with_labels_and_split(digits):
    run = _trained(digits, ModelConfig(latent=3))
    codes = encode(run.model, digits.X)
    frame = pd.read_csv(io.BytesIO(codes_csv(codes, digits)))
    assert list(frame.columns) == ["z1", "z2", "z3", "label", "label_name", "split"]
    assert len(frame) == len(digits.X) == 1797
    np.testing.assert_allclose(frame[["z1", "z2", "z3"]].to_numpy(), codes, rtol=1e-6)
    np.testing.assert_array_equal(frame["label"], digits.y)
    assert (frame["split"] == "test").sum() == len(digits.test_idx)
    assert set(frame.loc[digits.test_idx, "split"]) == {"test"}
    gw = load(DataConfig("gw"))
    names = pd.read_csv(io.BytesIO(codes_csv(np.zeros((len(gw.y), 2)), gw)))["label_name"]
    assert set(names) == set(gw.label_names)
    with pytest.raises(ValueError, match="one code per sample"):
        codes_csv(codes[:10], digits)


def test_history_csv_has_one_row_per_epoch(digits):
    run = _trained(digits, ModelConfig(variant="variational"), TrainConfig(epochs=4))
    frame = pd.read_csv(io.BytesIO(history_csv(run.history)))
    assert list(frame.columns) == list(run.history[0])
    assert {"epoch", "train_total", "test_recon", "train_kl"} <= set(frame.columns)
    assert frame["epoch"].tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(frame["test_recon"], [r["test_recon"] for r in run.history], rtol=1e-6)
    assert history_csv([]) == b"epoch\n"


def test_share_url_keeps_the_page_and_every_setting():
    url = share_url("http://host:8501/latent", {"m_latent": "3", "m_hidden": "64-32", "t_lr": "0.01"})
    assert url == "http://host:8501/latent?m_latent=3&m_hidden=64-32&t_lr=0.01"
    assert share_url("http://host:8501", {}) == "http://host:8501"
    assert share_url(None, {}) == "/"
    assert share_url("/x", {"d_name": "a b&c"}) == "/x?d_name=a+b%26c"


# --- the sidebar under AppTest --------------------------------------------------------------------------

def _set(at: AppTest, key: str, value) -> None:
    w = next(w for kind in ("text_input", "number_input", "selectbox") for w in at.sidebar.get(kind)
             if w.key == key)
    w.set_value(value)
    at.run()


def _app(**widgets) -> AppTest:
    """The app with "Download or restore this model" opened (it is built only while open)."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[OPEN_KEY] = True
    at.run()
    for key, value in {"w_epochs": 2, **widgets}.items():
        _set(at, key, value)
    return at


def _upload(at: AppTest, name: str, data: bytes) -> None:
    uploaders = at.sidebar.get("file_uploader")
    assert len(uploaders) == 1
    uploaders[0].set_value((name, data, "application/octet-stream"))
    at.run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_sidebar_has_the_link_the_code_and_the_three_downloads():
    at = _app(w_latent=3)
    at.switch_page("pages/architecture.py")
    at.run()
    _clean(at)
    labels = [b.label for b in at.sidebar.get("download_button")]
    assert labels == ["Download as a notebook (.ipynb)", "Download as a Python script (.py)", "Download weights (.pt)",
                      "Download latent codes (.csv)", "Download loss history (.csv)"]
    links = [c.value for c in at.sidebar.code]
    assert len(links) == 1
    assert links[0].startswith("/architecture?") and "m_latent=3" in links[0] and "t_epochs=2" in links[0]


def test_a_wrong_upload_shows_an_error_and_loses_nothing(digits):
    cfg = ModelConfig(latent=3)
    at = _app(w_latent=3)
    good = weights_to_bytes(build(cfg, digits, seed=9))
    _upload(at, "mine.pt", good)
    assert any(plain("uploaded weights (mine.pt)") in s.value for s in at.sidebar.success)
    slot = at.session_state[UPLOADED]
    assert all(torch.equal(v, good_v) for v, good_v in
               zip(slot.run.model.state_dict().values(), weights_from_bytes(good).values()))
    for name, data in [("other.pt", weights_to_bytes(build(ModelConfig(latent=5), digits))),
                       ("data.csv", b"a,b\n1,2\n"), ("empty.pt", b"")]:
        _upload(at, name, data)
        _clean(at)
        errors = [e.value for e in at.sidebar.error]
        assert len(errors) == 1 and errors[0].startswith(plain(f"Could not use {name}: ")), errors
        assert at.session_state[UPLOADED].run is slot.run  # the earlier upload is kept
        assert _widget_value(at, "w_latent") == 3
    at.switch_page("pages/architecture.py")
    at.run()
    _clean(at)
    assert [t.value for t in at.title] == ["Architecture"]


def test_the_downloads_and_the_upload_are_built_only_once_opened(digits):
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    _clean(at)
    assert [e.label for e in at.sidebar.expander if e.label.startswith("Download")] == ["Download or restore this model"]
    assert not at.sidebar.get("download_button") and not at.sidebar.get("file_uploader")
    at.session_state[OPEN_KEY] = True
    at.run()
    assert len(at.sidebar.get("download_button")) == 5 and len(at.sidebar.get("file_uploader")) == 1
    _upload(at, "mine.pt", weights_to_bytes(build(ModelConfig(), digits)))
    assert any("mine.pt" in s.value for s in at.sidebar.success)
    at.session_state[OPEN_KEY] = False  # closed with an upload in use: a line still says so
    at.run()
    _clean(at)
    assert at.session_state[UPLOADED].run is not None and not at.sidebar.get("file_uploader")
    assert any("uploaded weights are loaded" in c.value for c in at.sidebar.caption)


def _widget_value(at: AppTest, key: str):
    return next(w.value for w in at.sidebar.get("number_input") if w.key == key)


def test_an_upload_stays_in_its_session_and_follows_its_settings(digits):
    at = _app()
    _upload(at, "mine.pt", weights_to_bytes(build(ModelConfig(), digits)))
    assert at.session_state[UPLOADED].run is not None
    other = _app()
    assert UPLOADED not in other.session_state
    assert not other.sidebar.success and not other.sidebar.info
    _set(at, "w_latent", 4)  # other settings: the upload waits, the shared model is used
    assert UPLOADED in at.session_state and not at.sidebar.success
    assert any("belong to other settings" in i.value for i in at.sidebar.info)
    _set(at, "w_latent", 2)
    assert any("mine.pt" in s.value for s in at.sidebar.success)
    next(b for b in at.sidebar.button if b.label.startswith("Forget")).click()
    at.run()
    _clean(at)
    assert at.session_state[UPLOADED].run is None and not at.sidebar.success
    assert at.sidebar.get("file_uploader")[0].value is None  # the uploader was emptied too


def test_pages_draw_the_uploaded_model_for_that_session_only(digits):
    def charts(at: AppTest) -> list[str]:
        at.switch_page("pages/latent.py")
        at.run()
        _clean(at)
        return [c.proto.spec for c in at.get("plotly_chart")]

    mine = _app()
    _upload(mine, "init.pt", weights_to_bytes(build(ModelConfig(), digits, seed=123)))
    shared, other = charts(_app()), charts(_app())
    uploaded = charts(mine)
    assert shared and shared == other
    assert uploaded[0] != shared[0]  # the map of the codes comes from the uploaded weights


def test_uploads_are_size_limited():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 0 < config["server"]["maxUploadSize"] <= 50  # megabytes


# --- in a browser: the deferred download really produces the file ----------------------------------------

@pytest.mark.browser
def test_download_weights_and_upload_them_back_in_a_browser(server_url, page, tmp_path, digits):
    from conftest import wait_for_app

    page.goto(server_url + "/architecture?t_epochs=3&m_latent=3")
    wait_for_app(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    code = sidebar.locator('[data-testid="stCode"]').first
    code.wait_for(timeout=90_000)
    wait_for_app(page)
    link = code.inner_text().strip()
    assert link.startswith(server_url + "/architecture?") and "m_latent=3" in link and "t_epochs=3" in link
    sidebar.get_by_text("Download or restore this model").click()
    with page.expect_download(timeout=60_000) as dl:
        sidebar.get_by_role("button", name="Download weights (.pt)").click()
    path = tmp_path / "weights.pt"
    dl.value.save_as(path)
    state = torch.load(path, weights_only=True)
    want = build(ModelConfig(latent=3), digits).state_dict()
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in want.items()}
    sidebar.locator('input[type="file"]').set_input_files(str(path))
    sidebar.get_by_text("uploaded weights (weights.pt)", exact=False).wait_for(timeout=60_000)
    name = "<img src=x onerror=alert(1)> **notes** $x$ [a](b).pt"  # a file name a student could make
    bad = tmp_path / name
    bad.write_text("<script>alert(1)</script>")
    sidebar.locator('input[type="file"]').set_input_files(str(bad))
    alert = sidebar.locator('[data-testid="stAlert"]').filter(has_text="Could not use")
    alert.wait_for(timeout=60_000)
    assert f"Could not use {name}: Not an aeviz weights file" in alert.inner_text()
    assert alert.locator("img, strong, a, script, .katex").count() == 0  # shown as text, nothing interpreted
