"""What each unit learned (aeviz.analysis.units, aeviz.figures.units, the forward pass at 784 inputs): traversals
against torch's decoder, the first layer's tiles against its weights, a VAE's sampling step against the model's own
loss terms, and each new section's "Try this" prompt followed and its predicted effect checked."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from aeviz import DataConfig, Trainer, build, layer_table, load
from aeviz.analysis import encode, layer_activations
from aeviz.analysis import units as un
from aeviz.datasets import defaults_for
from aeviz.figures import forward_pass_figure
from aeviz.figures import units as fu
from aeviz.ui import units as units_ui

_RUNS: dict = {}


def trained(name: str, **changes):
    """The run the app trains for dataset `name` at its defaults with model `changes` (cached per module)."""
    d, m, t = defaults_for(name)
    m = replace(m, **changes)
    if (name, m) not in _RUNS:
        data = load(d)
        _RUNS[name, m] = Trainer(build(m, data, seed=t.seed), data, t).run()
    return _RUNS[name, m]


# ---------------------------------------------------------------- traversals


@pytest.mark.parametrize("name, changes", [("digits", {}), ("gw", {"latent": 5}),
                                           ("digits", {"variant": "variational", "latent": 3})])
def test_a_traversal_row_is_the_decoders_output_for_its_codes(name, changes):
    tr = trained(name, **changes)
    codes = encode(tr.model, tr.data.X_train)
    t = un.traversal(tr.model, codes, steps=7)
    k = codes.shape[1]
    assert t.Z.shape == (k, 7, k) and t.X.shape == (k, 7, tr.data.n_features)
    np.testing.assert_allclose(t.mean, codes.mean(0), rtol=0, atol=1e-5)
    np.testing.assert_allclose(t.std, codes.std(0), rtol=1e-5)
    np.testing.assert_allclose(t.offsets, np.linspace(-3, 3, 7), atol=1e-12)
    for j in range(k):
        others = np.delete(t.Z[j], j, axis=1)  # every other unit stays at the mean
        np.testing.assert_array_equal(others, np.tile(np.delete(t.mean, j), (7, 1)))
        np.testing.assert_allclose(t.Z[j, :, j], t.mean[j] + np.linspace(-3, 3, 7) * t.std[j], rtol=1e-6, atol=1e-6)
        with torch.no_grad():
            ref = tr.model.decode(torch.as_tensor(t.Z[j])).numpy()  # (steps, features)
        np.testing.assert_allclose(t.X[j], ref, rtol=0, atol=1e-6)


def test_the_traversal_payload_carries_the_decoder_and_the_codes_spread():
    tr = trained("digits")
    p = un.traversal_payload(tr.model, tr.data)
    mean, std = un.code_stats(encode(tr.model, tr.data.X_train))
    assert p["mean"] == mean.astype(float).tolist() and p["std"] == std.astype(float).tolist()
    assert p["kind"] == "image" and p["shape"] == [8, 8] and p["span"] == un.SPAN
    assert [l["out"] for l in p["decoder"]][-1] == 64
    table = un.traversal_payload(trained("gw").model, trained("gw").data)
    assert table["kind"] == "profile" and len(table["names"]) == len(table["lo"]) == 16


def test_prompt_at_offset_zero_every_row_is_the_mean_codes_decoding():
    """Latent page: "drag *Every unit at* to 0: every row shows the same picture ... which unit changes it most?"."""
    tr = trained("mnist")
    codes = encode(tr.model, tr.data.X_train)
    t = un.traversal(tr.model, codes, steps=un.STEPS_DEFAULT)
    mid = un.STEPS_DEFAULT // 2
    assert t.offsets[mid] == 0
    mean_picture = tr.model.decode(torch.as_tensor(t.mean[None])).detach().numpy()[0]
    for j in range(codes.shape[1]):
        np.testing.assert_allclose(t.X[j, mid], mean_picture, atol=1e-6)
    change = un.row_change(t)
    assert change.max() > 1.2 * change.min()  # one unit does change the picture more: the question has an answer


@pytest.mark.parametrize("name", ["digits", "mnist"])
def test_prompt_at_beta_1_one_row_stays_still(name):
    """Variants page: "at β = 1 one row barely changes ... At β = 0.25 every row changes the picture"."""
    assert "β = 1" in units_ui.COLLAPSE_PROMPT and units_ui.VAE_BETAS == (0.25, 1.0)
    change = {}
    for beta in units_ui.VAE_BETAS:
        tr = trained(name, variant="variational", beta=beta)
        change[beta] = un.row_change(un.traversal(tr.model, encode(tr.model, tr.data.X_train)))
    assert change[1.0].min() < 0.1 * change[1.0].max(), change
    assert change[0.25].min() > 0.5 * change[0.25].max(), change
    tr = trained(name, variant="variational", beta=1.0)  # the still row is the collapsed unit: its KL is near 0
    kl = un.mean_kl_per_unit(tr.model, tr.data.X_train)
    assert kl[np.argmin(change[1.0])] < 0.1 * kl.max()


# ---------------------------------------------------------------- first-layer weights


def test_weight_tiles_are_the_first_layers_weights_in_the_images_shape():
    tr = trained("mnist")
    W = un.weight_tiles(tr.model, (28, 28))
    ref = tr.model.encoder[0].weight.detach().numpy()  # (64, 784)
    assert W.shape == (64, 28, 28)
    np.testing.assert_array_equal(W.reshape(64, -1), ref)
    with pytest.raises(ValueError, match="not a 8×8 image"):
        un.weight_tiles(tr.model, (8, 8))


def test_the_tiles_figure_lays_out_every_tile_on_a_symmetric_scale():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(10, 8, 8))
    W[3, 2, 5] = -7.0  # the largest |weight| sets both ends
    fig = fu.weight_tiles_figure(W)
    h = fig.data[0]
    z, unit = np.asarray(h.z, dtype=float), np.asarray(h.customdata)
    assert h.zmin == -7.0 and h.zmax == 7.0 and h.zmid == 0 and h.colorscale[0][1] != h.colorscale[-1][1]
    assert z.shape == (3 * 9 - 1, 4 * 9 - 1)  # 4 tiles a row, 3 rows, 1 blank pixel between tiles
    for u in range(10):
        r, c = divmod(u, 4)
        np.testing.assert_array_equal(z[r * 9:r * 9 + 8, c * 9:c * 9 + 8], W[u])
        assert (unit[r * 9:r * 9 + 8, c * 9:c * 9 + 8] == u).all()
    assert np.isnan(z[unit == -1]).all() and (unit == -1).sum() == z.size - 10 * 64
    many = fu.weight_tiles_figure(rng.normal(size=(100, 4, 4)))
    assert np.asarray(many.data[0].customdata).max() == fu.MAX_TILES - 1  # the first 64 of 100


def _neighbour_correlation(W: np.ndarray, mask: np.ndarray) -> float:
    """Correlation of horizontally adjacent weights (units, rows, cols) where both pixels are in `mask`."""
    pair = mask[:, :-1] & mask[:, 1:]
    return float(np.corrcoef(W[:, :, :-1][:, pair].ravel(), W[:, :, 1:][:, pair].ravel())[0, 1])


def test_prompt_the_never_lit_edge_keeps_its_starting_weights_and_the_centre_grows_strokes():
    """Architecture page: "on mnist ... pixels that are blank in every training image keep the random weights they
    started with ...; where the digits are drawn the weights have grown into smooth strokes"."""
    assert "on mnist" in units_ui.TILES_PROMPT
    tr = trained("mnist")
    _, m, t = defaults_for("mnist")
    start = un.weight_tiles(build(m, tr.data, seed=t.seed), (28, 28))  # the same seed: the starting weights
    W = un.weight_tiles(tr.model, (28, 28))
    blank = un.never_lit(tr.data.X_train, (28, 28))
    assert blank.sum() > 50 and blank[un.border_mask((28, 28), 1)].mean() > 0.5  # mostly the edge
    np.testing.assert_array_equal(W[:, blank], start[:, blank])
    assert (W[:, ~blank] != start[:, ~blank]).mean() > 0.9
    assert _neighbour_correlation(start, ~blank) < 0.05  # speckle: neighbours unrelated
    assert _neighbour_correlation(W, ~blank) > 0.4  # strokes: neighbours alike


# ---------------------------------------------------------------- the forward pass at 784 inputs


def test_the_forward_pass_draws_mnists_input_and_output_as_images_not_784_markers():
    tr = trained("mnist")
    rows = layer_table(tr.model.cfg, 784)
    x = tr.data.X[0]
    acts = layer_activations(tr.model, x)
    fig = forward_pass_figure(rows, acts, tr.data.image_shape)
    types = [t.type for t in fig.data[:-1]]
    assert types[0] == types[-1] == "heatmap" and types[1:-1] == ["scatter"] * (len(rows) - 2)
    assert not any(t.type == "scatter" and len(t.x) > 64 for t in fig.data)
    assert all(not (t.type == "scatter" and len(t.x) > 64) for fr in fig.frames for t in fr.data)
    lit_in = np.asarray(fig.frames[-1].data[0].z)
    np.testing.assert_allclose(lit_in[::-1], x.reshape(28, 28), atol=1e-7)  # the top row drawn at the top
    np.testing.assert_allclose(np.asarray(fig.frames[-1].data[len(rows) - 1].z)[::-1], acts[-1].reshape(28, 28),
                               atol=1e-7)
    assert np.asarray(fig.frames[0].data[len(rows) - 1].z).max() == 0  # the output not reached in frame 0
    wide = forward_pass_figure(layer_table(replace(tr.model.cfg, hidden=(512, 16)), 784),
                               layer_activations(build(replace(tr.model.cfg, hidden=(512, 16)), tr.data), x),
                               tr.data.image_shape)
    assert [t.type for t in wide.data[:3]] == ["heatmap", "heatmap", "scatter"]  # 512 units: a strip of cells
    assert np.asarray(wide.data[1].z).shape == (512, 1)


# ---------------------------------------------------------------- a VAE's sampling, step by step


@pytest.mark.parametrize("name, latent", [("digits", 2), ("gw", 4)])
def test_the_sampling_step_is_the_models_own_loss_for_that_sample(name, latent):
    tr = trained(name, variant="variational", latent=latent)
    model = tr.model
    for row in (0, 7):
        x = tr.data.X_train[row]
        s = un.sampling_step(model, x, seed=3)
        xt = torch.as_tensor(x[None])
        model.eval()
        with torch.no_grad():
            mu, logvar = model.encode_stats(xt)
            terms = model.loss(xt)  # eval mode: the KL term of this one sample
        np.testing.assert_allclose(s["mu"], mu.numpy()[0], atol=1e-7)
        np.testing.assert_allclose(s["sigma"] ** 2, logvar.exp().numpy()[0], rtol=1e-5)
        assert abs(s["kl_units"].sum() / model.n_features - float(terms["kl"])) < 1e-5
        assert abs(s["kl"] - float(terms["kl"])) < 1e-5
        np.testing.assert_allclose(s["kl_units"], 0.5 * (s["mu"] ** 2 + s["sigma"] ** 2 - 1 - np.log(s["sigma"] ** 2)),
                                   rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(s["z"], s["mu"] + s["sigma"] * s["eps"], atol=1e-6)
        eps = torch.randn((1, latent), generator=torch.Generator().manual_seed(3)).numpy()[0]
        np.testing.assert_array_equal(s["eps"], eps)
        with torch.no_grad():  # the reconstruction term of z's decoding, by the model's own loss
            want = float(model.reconstruction_loss(model.decode(torch.as_tensor(s["z"][None])), xt))
            np.testing.assert_allclose(s["x_mu"], model.decode(mu).numpy()[0], atol=1e-6)
        assert abs(s["recon"] - want) < 1e-7 and s["beta"] == model.cfg.beta
        assert abs(s["total"] - (s["recon"] + s["beta"] * s["kl"])) < 1e-12
    with pytest.raises(ValueError, match="VAE"):
        un.sampling_step(trained(name).model, tr.data.X_train[0])


def test_prompt_raising_beta_lowers_the_kl_per_unit_and_widens_the_ellipses():
    """Latent page (a VAE): "raise β (sidebar) and retrain: the KL per unit falls and the ellipses grow toward
    N(0, 1)"; small and fast: digits at β = 0.25 and 1."""
    assert "raise β" in units_ui.SAMPLING_PROMPT
    kl, sigma = {}, {}
    for beta in (0.25, 1.0):
        tr = trained("digits", variant="variational", beta=beta)
        kl[beta] = un.mean_kl_per_unit(tr.model, tr.data.X_train)
        sigma[beta] = un.posterior_stats(tr.model, tr.data.X_train)[1].mean(axis=0)
    assert kl[1.0].mean() < 0.5 * kl[0.25].mean(), kl
    assert (kl[1.0] < kl[0.25]).all()
    assert (sigma[1.0] > sigma[0.25]).all() and (sigma[1.0] <= 1.05).all(), sigma  # wider, up to the prior's 1


def test_the_sampling_figures_draw_mu_sigma_z_and_the_prior():
    tr = trained("digits", variant="variational")
    s = un.sampling_step(tr.model, tr.data.X_train[0], seed=1)
    mu_all = un.posterior_stats(tr.model, tr.data.X_train)[0]
    fig = fu.sampling_map_figure(mu_all, s, (0, 1))
    by = {t.name: t for t in fig.data}
    ell = by["μ ± σ"]
    ex, ey = np.asarray(ell.x), np.asarray(ell.y)
    np.testing.assert_allclose([ex.max(), ex.min()], [s["mu"][0] + s["sigma"][0], s["mu"][0] - s["sigma"][0]],
                               atol=1e-6)
    np.testing.assert_allclose([ey.max(), ey.min()], [s["mu"][1] + s["sigma"][1], s["mu"][1] - s["sigma"][1]],
                               atol=1e-6)
    assert list(by["z = μ + σ·ε"].x) == [s["z"][0]] and list(by["μ"].y) == [s["mu"][1]]
    prior = by["prior N(0, I): radius 1"]
    np.testing.assert_allclose(np.hypot(prior.x, prior.y), 1.0, atol=1e-9)
    bars = fu.kl_units_figure(s["kl_units"])
    np.testing.assert_allclose(bars.data[0].y, s["kl_units"])


# ---------------------------------------------------------------- the pages on mnist


def _sections(at) -> list[str]:
    return [h.value for h in at.subheader] + [h.value for h in at.header]


@pytest.mark.parametrize("page, query, sections, prompt", [
    ("pages/architecture.py", {}, ["What each first-layer unit looks for"], units_ui.TILES_PROMPT),
    ("pages/latent.py", {}, ["What each code unit does: traversals"], units_ui.ZERO_PROMPT),
    ("pages/latent.py", {"m_variant": "variational"},
     ["What each code unit does: traversals", "The VAE's sampling, step by step"], units_ui.SAMPLING_PROMPT),
    pytest.param("pages/compare.py", {}, ["What the VAE's units encode: traversals"], units_ui.COLLAPSE_PROMPT,
                 marks=pytest.mark.slow),
], ids=["architecture", "latent", "latent-vae", "compare"])
def test_the_pages_open_on_mnist_with_the_new_sections(page, query, sections, prompt):
    from conftest import open_app_page

    at = open_app_page(page, {"d_name": "mnist", "t_epochs": "3", **query})
    assert not at.error, [e.value for e in at.error]
    assert set(sections) <= set(_sections(at)), _sections(at)
    assert any(m.value == f"**Try this:** {prompt}" for m in at.markdown)
    if "m_variant" in query:  # the sampling step's numbers: β, and a KL that is the sum of the bars
        assert [m.value for m in at.metric][-1] == "0.25"
        at.number_input(key=units_ui.SAMPLE_KEY).set_value(12).run()
        at.number_input(key=units_ui.DRAW_KEY).set_value(4).run()
        assert not at.exception and not at.error


def test_a_tampered_sample_index_is_refused_by_its_widget_not_a_traceback():
    from conftest import open_app_page

    at = open_app_page("pages/latent.py", {"d_name": "digits", "m_variant": "variational", "t_epochs": "3"})
    box = at.number_input(key=units_ui.SAMPLE_KEY)
    assert box.max == len(load(DataConfig("digits")).X_train) - 1 and box.min == 0


def test_the_zoomed_sampling_map_frames_the_ellipse_and_z():
    tr = trained("digits", variant="variational")
    s = un.sampling_step(tr.model, tr.data.X_train[3], seed=2)
    fig = fu.sampling_map_figure(un.posterior_stats(tr.model, tr.data.X_train)[0], s, (0, 1), zoom=True)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for v, lo, hi, k in ((s["mu"][0], x0, x1, 0), (s["mu"][1], y0, y1, 1)):
        assert lo < v - s["sigma"][k] and v + s["sigma"][k] < hi and lo < s["z"][k] < hi
    assert fu.sampling_map_figure(np.zeros((3, 2)), s, (0, 1)).layout.xaxis.range is None  # unzoomed: every code


def test_tiles_on_their_own_scale_are_each_divided_by_their_largest_weight():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(5, 4, 4)) * np.arange(1, 6)[:, None, None]
    z = np.asarray(fu.weight_tiles_figure(W, per_tile=True).data[0].z, dtype=float)
    h = fu.weight_tiles_figure(W, per_tile=True).data[0]
    assert h.zmin == -1 and h.zmax == 1
    for u in range(5):
        r, c = divmod(u, 3)
        np.testing.assert_allclose(z[r * 5:r * 5 + 4, c * 5:c * 5 + 4], W[u] / np.abs(W[u]).max())


def test_a_click_on_a_code_chooses_its_sample_and_anything_else_is_ignored(monkeypatch):
    state = {units_ui.SAMPLE_KEY: 0}
    monkeypatch.setattr(units_ui.st, "session_state", state)
    for sent in ({"selection": {"points": [{"curve_number": 4, "point_index": 0}]}},  # μ's marker, not a code
                 {"selection": {"points": [{"curve_number": 0, "point_index": 100}]}},  # past the last row
                 {"selection": {"points": [{"curve_number": 0, "point_index": "x"}]}}, {"selection": None}, None):
        state[units_ui.MAP_KEY] = sent
        units_ui._picked(100)
        assert state[units_ui.SAMPLE_KEY] == 0
    state[units_ui.MAP_KEY] = {"selection": {"points": [{"curve_number": 0, "point_index": 42}]}}
    units_ui._picked(100)
    assert state[units_ui.SAMPLE_KEY] == 42


def test_the_latent_pages_traversal_borrows_the_maps_decoder():
    """On the Latent page the view's payload carries no layers (the map's are used), only the codes' mean and std."""
    import json

    from conftest import open_app_page

    at = open_app_page("pages/latent.py", {"d_name": "mnist", "t_epochs": "3"})
    comps = {n.proto.component_name: n.proto for n in at._tree if getattr(n, "type", "") == "bidi_component"}
    tv, m = json.loads(comps["aeviz_traversal"].json), json.loads(comps["aeviz_latent_map"].json)
    assert tv["payload"]["decoder"] is None and tv["borrow"] and tv["run"] == m["payload"]["run"]
    assert len(tv["payload"]["mean"]) == m["payload"]["latent"] and len(comps["aeviz_traversal"].json) < 2000
    assert "export function traversalRows(" in comps["aeviz_traversal"].js_content
