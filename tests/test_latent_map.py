"""The in-browser latent map, Python side: the payload (shape, exactness, size budget) and the page driven
by what the browser sends back (a picked point, a new radius), under AppTest."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from conftest import open_app_page, open_sections
from torch import nn

from aeviz import DATASETS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import latent as la
from aeviz.analysis import latent_map as lm
from aeviz.activations import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 120_000  # bytes: the default model's payload (the encoder, for drawing, adds 14 kB)


def _payload(dataset="digits", epochs=2, **model):
    data = load(DataConfig(name=dataset))
    run = Trainer(build(ModelConfig(**model), data, seed=42), data, TrainConfig(epochs=epochs)).run()
    v = la.latent_view(run.model, data)
    return lm.latent_map_payload(run.model, data, v, run_id="test-run"), run, data, v


@pytest.fixture(scope="module")
def default_payload():
    return _payload()


def test_default_payload_fits_the_budget_and_round_trips(default_payload):
    p, run, data, v = default_payload
    size = lm.payload_size(p)
    assert 20_000 < size <= BUDGET, size
    assert json.loads(json.dumps(p)) == p  # plain JSON: no arrays Streamlit would turn into Arrow tables
    assert (p["n"], p["latent"], p["radius"]) == (len(data.train_idx), 2, v.radius)  # the rule's exact r
    assert p["radius_max"] == max(v.radius_max, v.radius)
    # a plain autoencoder's reference codes are its codes: sent once, exact, with the rule's mean and spread
    assert p["codes"] is None
    ref = lm.unb64(p["ref"]["x"], "<f4").reshape(p["n"], 2)
    assert np.array_equal(ref, v.index.codes) and np.array_equal(ref, v.codes)
    assert np.array_equal(np.float32(p["ref"]["center"]), v.index.center)
    assert np.array_equal(np.float32(p["ref"]["scale"]), v.index.scale)
    assert np.array_equal(lm.drawn_codes(p), v.codes)
    labels = lm.unpack_nibbles(p["labels"], p["n"])
    assert np.array_equal(labels, data.y_train)
    mask = np.unpackbits(lm.unb64(p["train_mask"], "u1"), bitorder="little")[:len(data.X)]
    assert np.array_equal(np.flatnonzero(mask), data.train_idx)
    pixels = lm.unpack_nibbles(p["samples"]["x"], p["n"] * 64).reshape(-1, 64) / p["samples"]["levels"]
    assert np.abs(pixels - data.X_train).max() <= 0.5 / 15 + 1e-6  # 4-bit grey levels, for display
    assert p["samples"]["shape"] == [8, 8] and len(p["colours"]) == 10


def test_vae_payload_sends_the_sampled_reference_and_the_drawn_means():
    p, run, data, v = _payload(variant="variational")
    ref = lm.unb64(p["ref"]["x"], "<f4").reshape(p["n"], 2)
    assert np.array_equal(ref, la.decoder_training_codes(run.model, data.X_train))  # z = μ + σ·ε, seeded
    assert p["radius"] == la.default_radius(ref) == v.radius
    mu = lm.drawn_codes(p)  # the map draws μ (display only: 16-bit steps over their range)
    span = v.codes.max(0) - v.codes.min(0)
    assert np.abs(mu - v.codes).max() <= span.max() / 65535 + 1e-7
    assert np.abs(ref - v.codes).max() > 10 * span.max() / 65535  # the two differ: both are needed
    print(f"VAE payload {lm.payload_size(p) / 1000:.1f} kB")


def test_decoder_layers_are_exact_float32_with_every_activation():
    data = load(DataConfig())
    for act in ACTIVATIONS:
        model = build(ModelConfig(activation=act), data, seed=1)
        layers = lm.decoder_layers(model)
        linears = [m for m in model.decoder if isinstance(m, nn.Linear)]
        assert [(l["in"], l["out"]) for l in layers] == [(2, 16), (16, 32), (32, 64)]
        assert [l["act"] for l in layers] == [act, act, "sigmoid"]  # digits are bounded: a sigmoid output
        for l, m in zip(layers, linears):
            w = lm.unb64(l["w"], "<f4").reshape(l["out"], l["in"])
            assert np.array_equal(w, m.weight.detach().numpy())
            assert np.array_equal(lm.unb64(l["b"], "<f4"), m.bias.detach().numpy())
    gw = load(DataConfig(name="gw"))
    assert [l["act"] for l in lm.decoder_layers(build(ModelConfig(variant="linear"), gw))] == [None, None, None]
    elu = lm.decoder_layers(build(ModelConfig(activation="elu"), gw))[0]
    assert elu["p"] == 1.0
    assert lm.decoder_layers(build(ModelConfig(activation="leaky_relu"), gw))[0]["p"] == 0.01


def test_decoder_the_browser_cannot_run_is_refused():
    model = build(ModelConfig(), load(DataConfig()))
    model.decoder = nn.Sequential(nn.Linear(2, 3), nn.Softplus())
    with pytest.raises(ValueError, match="Softplus"):
        lm.decoder_layers(model)


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_payload_per_dataset_says_how_to_draw_the_output(dataset):
    latent = 1 if dataset == "line" else 4 if dataset == "gw" else 2
    p, run, data, v = _payload(dataset, epochs=1, latent=latent)
    s = p["samples"]
    assert s["kind"] == data.kind
    if data.kind != "image":
        X = lm.unb64(s["x"], "<f4").reshape(p["n"], data.n_features)
        assert np.array_equal(X, data.X_train) and s["names"] == list(data.feature_names)
    if data.kind == "points":
        assert s["view"] == ([0, 2] if data.n_features == 3 else [0, 1])
    if latent == 1:
        assert len(lm.unb64(p["jitter"], "u1")) == p["n"]
    if latent > 2:  # the plane: mean + a·u₁ + b·u₂
        assert np.allclose(p["plane"]["mean"], v.plane.mean) and np.array(p["plane"]["axes"]).shape == (2, latent)


# ---------------------------------------------------------------- the page, driven like the browser drives it

def _open(dataset: str = "digits", **query) -> AppTest:
    return open_app_page("pages/latent.py", {"d_name": dataset, "t_epochs": "3", **query})


def _component(at: AppTest, name: str = "aeviz_latent_map"):
    (comp,) = [n for n in at._tree if getattr(n, "type", "") == "bidi_component" and n.proto.component_name == name]
    return comp.proto


def _send(at: AppTest, *, pick: dict | None = None, r: float | None = None) -> AppTest:
    """What the browser sends: the trigger "pick" and/or the state "r", with the other widgets' values."""
    proto = _component(at)
    ws: WidgetStates = at._tree.get_widget_states()
    if pick is not None:
        w = ws.widgets.add()
        w.id = f"$$STREAMLIT_INTERNAL_KEY_{proto.id}__events"
        w.json_trigger_value = json.dumps([{"event": "pick", "value": pick}])
    if r is not None:
        w = ws.widgets.add()
        w.id = proto.id
        w.json_value = json.dumps({"r": r})
    at._run(ws)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _data(at: AppTest) -> dict:
    return json.loads(_component(at).json)


def test_page_sends_the_payload_once_keyed_and_within_budget():
    at = _open()
    proto = _component(at)
    assert proto.id.endswith("latent_map") and proto.component_name == "aeviz_latent_map"
    assert "export default function mount" in proto.js_content and ".lm-map" in proto.css_content
    data = _data(at)
    assert lm.payload_size(data["payload"]) <= BUDGET
    assert data["payload"]["latent"] == 2 and data["point"] is None
    assert data["r"] == data["payload"]["radius"]  # Python knows the default radius
    assert any("send a point to the page" in c.value for c in at.caption)


def test_a_picked_point_drives_the_page():
    at = _open()
    p = _data(at)["payload"]
    far = {"z": [500.0, -500.0], "ab": [500.0, -500.0], "source": "a tap"}
    _send(at, pick=far)
    text = " ".join(m.value for m in at.markdown)
    assert "The page has your point" in text and "z = (500.000, -500.000), from a tap" in text
    assert "This point is **in a hole**" in text
    assert at.number_input(key="latent_z1").value == 500.0 and at.number_input(key="latent_z2").value == -500.0
    codes = lm.drawn_codes(p)
    near = {"z": codes[0].tolist(), "ab": codes[0].tolist(), "source": "a click"}
    _send(at, pick=near)
    text = " ".join(m.value for m in at.markdown)
    assert "This point is **not a hole**" in text and "from a click" in text
    # the last two clicks feed the interpolation (the strip in the browser gets them as plane points)
    open_sections(at, "latent_open_interp")  # the interpolation is built once a student opens it
    at.radio(key="latent_interp_src").set_value("my last two clicks").run()
    assert not at.exception
    strip = json.loads(_component(at, "aeviz_latent_path").json)
    assert strip["source"] == "clicks" and strip["run"] == p["run"]
    assert strip["clicks"] == [[500.0, -500.0], pytest.approx(codes[0].tolist())]
    # a malformed message changes nothing
    _send(at, pick={"z": "nonsense", "ab": [1]})
    assert "from a click" in " ".join(m.value for m in at.markdown)


def test_a_new_radius_from_the_browser_reaches_every_section():
    at = _open()
    assert _data(at)["r"] != pytest.approx(0.5)
    _send(at, r=0.5)
    assert _data(at)["r"] == pytest.approx(0.5)
    texts = [m.help or "" for m in at.metric] + [t.value for t in [*at.markdown, *at.success, *at.warning, *at.caption]]
    assert any("r = 0.5" in t for t in texts), texts  # the sections below use it too
    _send(at, r=-3.0)  # refused: r stays
    assert _data(at)["r"] == pytest.approx(0.5)


def test_typed_numbers_and_prior_draws_are_sent_to_the_map():
    at = _open(m_variant="variational")
    at.number_input(key="latent_z1").set_value(0.25)
    at.number_input(key="latent_z2").set_value(-0.5).run()
    point = _data(at)["point"]
    assert point["z"] == pytest.approx([0.25, -0.5]) and point["source"] == "the numbers you typed"
    next(b for b in at.button if b.label == "Sample from the prior").click().run()
    drawn = _data(at)["point"]
    assert drawn["seq"] > point["seq"] and drawn["source"].startswith("a draw from the prior")
    assert drawn["z"] == pytest.approx(la.sample_normal(1, 2, 1.0, seed=1)[0].tolist())
    assert any("a draw from the prior" in m.value for m in at.markdown)

