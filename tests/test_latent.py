"""Latent space explorer: the hole test, hole rate and sweep, grid and interpolation decodings, the
PCA plane, the map's figures, and the page itself under AppTest on every dataset (and a VAE)."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA
from streamlit.testing.v1 import AppTest

from conftest import open_app_page, open_sections

from aeviz import DATASETS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import decode, encode
from aeviz.analysis import latent as la
from aeviz.datasets import defaults_for
from aeviz.figures import latent as fl

ROOT = Path(__file__).resolve().parents[1]
FAST = TrainConfig(epochs=3)


@pytest.fixture(scope="module")
def small_run():
    """A digits model trained for a few epochs (latent 2)."""
    data = load(DataConfig())
    model = build(ModelConfig(), data, seed=FAST.seed)
    return Trainer(model, data, FAST).run(), data


def two_clusters(rng=np.random.default_rng(0)):
    return np.concatenate([rng.normal((-5, 0), 0.2, (100, 2)), rng.normal((5, 0), 0.2, (100, 2))]).astype(np.float32)


# ---------------------------------------------------------------- analysis

def test_point_between_far_clusters_is_a_hole_and_a_point_on_a_cluster_is_not():
    codes = two_clusters()
    index = la.index_codes(codes)
    r = la.default_radius(codes)
    dist, idx, holes = la.hole_test(index, np.array([[0, 0], [5, 0], [-5.05, 0.02]], np.float32), r)
    assert holes.tolist() == [True, False, False]
    # distances are standardised: each unit divided by the codes' own spread along it
    assert dist[0] == pytest.approx(np.linalg.norm((codes - codes.mean(0)) / codes.std(0) - index.standardise(
        np.zeros((1, 2)))[0], axis=1).min(), rel=1e-4)
    assert np.linalg.norm(codes[idx[1]] - [5, 0]) < 0.6


def test_default_radius_follows_the_codes_spacing_in_standardised_units():
    codes = two_clusters()
    r = la.default_radius(codes)
    assert la.default_radius(10 * codes) == pytest.approx(r, rel=1e-4)  # blind to the codes' scale
    z = (codes - codes.mean(0)) / codes.std(0)
    gaps = np.sort(np.linalg.norm(z[:, None] - z[None], axis=2), axis=1)[:, 1]
    assert r == pytest.approx(np.percentile(gaps, 99), rel=1e-4)
    assert 0 < r < 0.5  # far smaller than the gap between the clusters (2 standard deviations along z₁)


def test_hole_rate_is_seeded_and_counts_holes():
    index = la.index_codes(two_clusters())
    a, b = la.hole_rate(index, 0.3, n=300, s=1.5, seed=3), la.hole_rate(index, 0.3, n=300, s=1.5, seed=3)
    assert np.array_equal(a.Z, b.Z) and a.Z.shape == (300, 2)
    assert a.fraction == pytest.approx(a.holes.mean())
    assert a.fraction > 0.7  # the draws land mostly between two clusters at ±1 standard deviation
    assert la.hole_rate(index, 100.0, n=50).fraction == 0.0


def test_hole_fraction_rises_from_latent_size_2_to_8_on_trained_models():
    data = load(DataConfig(name="gw"))
    f2, f8 = la.latent_size_sweep(data, ModelConfig(), TrainConfig(epochs=30), sizes=(2, 8))
    assert f8 > f2 + 0.3
    assert f8 > 0.5


def test_grid_decode_shapes_and_holes(small_run):
    run, data = small_run
    v = la.latent_view(run.model, data)
    g = la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, 7, v.radius)
    assert g.X.shape == (49, data.n_features) and g.dist.shape == g.holes.shape == (49,)
    assert g.xs.shape == g.ys.shape == (7,)
    # row by row, y rising: the first row is the bottom of the box, decoded in one batch equals one by one
    _, _, pts = la.grid_coords(v.lo, v.hi, 7)
    assert np.allclose(pts[:7, 1], v.lo[1]) and np.allclose(pts[-1], v.hi)
    assert np.allclose(g.X[10], decode(run.model, pts[10:11])[0], atol=1e-6)
    assert np.array_equal(g.holes, g.dist > v.radius)


def test_interpolation_endpoints_decode_to_the_endpoints_decodings(small_run):
    run, data = small_run
    v = la.latent_view(run.model, data)
    za, zb = encode(run.model, data.X[[0, 1]])
    path = la.interpolate(run.model, v.index, za, zb, 9, v.radius)
    assert path.X.shape == (9, data.n_features) and path.t[0] == 0 and path.t[-1] == 1
    assert np.allclose(path.X[0], decode(run.model, za[None])[0], atol=1e-6)
    assert np.allclose(path.X[-1], decode(run.model, zb[None])[0], atol=1e-6)
    assert np.allclose(path.Z[4], (za + zb) / 2, atol=1e-6)


def test_plane_is_exact_for_latent_2_and_pca_above():
    rng = np.random.default_rng(1)
    two = rng.normal(size=(50, 2)).astype(np.float32)
    p2 = la.plane_for(two)
    assert p2.exact and np.allclose(p2.project(two), two) and np.allclose(p2.to_latent(two), two)
    five = (rng.normal(size=(200, 5)) * [5, 3, 1, 0.5, 0.1]).astype(np.float32)
    p5 = la.plane_for(five)
    ref = PCA(2).fit(five)
    assert np.allclose(np.abs(p5.project(five)), np.abs(ref.transform(five)), atol=1e-4)
    ab = np.array([[1.0, -2.0]], np.float32)
    assert np.allclose(p5.project(p5.to_latent(ab)), ab, atol=1e-5)  # a click on the plane round-trips
    one = la.plane_for(rng.normal(size=(30, 1)).astype(np.float32))
    assert one.to_latent([[0.7, 5.0]]).tolist() == [[pytest.approx(0.7)]]  # latent 1: b is ignored


def test_latent_view_click_grid_covers_the_box(small_run):
    run, data = small_run
    v = la.latent_view(run.model, data)
    assert v.coords.shape == (len(data.train_idx), 2)
    assert np.allclose(v.click_grid.min(0), v.lo) and np.allclose(v.click_grid.max(0), v.hi)
    assert (v.coords >= v.lo).all() and (v.coords <= v.hi).all()


# ---------------------------------------------------------------- figures

def test_hole_samples_figure_marks_holes_with_red_crosses():
    samples = np.array([[0, 0], [1, 1], [2, 2]], np.float32)
    fig = fl.hole_samples_figure(samples, samples, np.array([True, False, True]), 2 / 3)
    red, green = fig.data[1], fig.data[2]
    assert red.marker.symbol == "x-thin" and len(red.x) == 2 and red.marker.line.color == "#ef4444"
    assert green.marker.symbol == "cross-thin" and len(green.x) == 1
    assert "67%" in fig.layout.title.text


def test_tiles_and_evolution_figures(small_run):
    run, data = small_run
    X = np.random.default_rng(0).uniform(size=(12, 64))
    fig = fl.tiles_figure(X, 3, 4, np.arange(12) % 2 == 0, "image", image_shape=(8, 8))
    assert np.asarray(fig.data[0].z).shape == (24, 32)
    assert np.nansum(np.asarray(fig.data[1].z, dtype=float)) == 6  # six hole cells shaded
    frames = la.snapshot_coords(run.snapshots)
    evo = fl.evolution_figure(frames, data.y, data.label_names)
    assert len(evo.frames) == len(run.snapshots) == len(evo.layout.sliders[0].steps)
    assert evo.layout.updatemenus[0].buttons[0].label.startswith("▶")


# ---------------------------------------------------------------- the page

def _open(dataset: str = "digits", **query) -> AppTest:
    return open_app_page("pages/latent.py", {"d_name": dataset, "t_epochs": "3", **query})


def _type(at: AppTest, a: float, b: float | None) -> None:
    at.number_input(key="latent_z1").set_value(a)
    if b is not None:
        at.number_input(key="latent_z2").set_value(b)
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _answers(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _point(at: AppTest) -> list[float] | None:
    """The point the page sends to the in-browser map (typed or drawn on the server), if any."""
    (comp,) = [n for n in at._tree if getattr(n, "type", "") == "bidi_component"
               and n.proto.component_name == "aeviz_latent_map"]
    point = json.loads(comp.proto.json)["point"]
    return point and point["z"]


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_page_decodes_a_hole_and_a_code_on_every_dataset(dataset):
    latent = 1 if dataset == "line" else 2
    at = _open(dataset, m_latent=str(latent))
    assert any("never used in training" in c.value for c in at.caption)
    assert any("send a point to the page" in c.value for c in at.caption)
    _type(at, 500.0, -500.0 if latent > 1 else None)
    assert "This point is **in a hole**" in _answers(at)
    assert _point(at) == pytest.approx([500.0, -500.0][:latent])  # the map decodes it in the browser
    # the first training sample's own code is no hole
    data = load(DataConfig(name=dataset))
    _, model_cfg, train_cfg = defaults_for(dataset)  # the page's model: the dataset's own defaults
    run = Trainer(build(replace(model_cfg, latent=latent), data, seed=42), data, replace(train_cfg, epochs=3)).run()
    code = encode(run.model, data.X_train[:1])[0]
    _type(at, float(code[0]), float(code[1]) if latent > 1 else None)
    assert "This point is **not a hole**" in _answers(at), _answers(at)
    assert "This point is **in a hole**" not in _answers(at)


def test_page_with_latent_above_two_says_it_shows_a_pca_plane():
    at = _open("gw", m_latent="4")
    assert any("principal axes" in i.value for i in at.info)
    _type(at, 0.0, 0.0)
    assert "This point is **" in _answers(at)
    assert len(_point(at)) == 4  # the plane point, in the full latent space


def test_vae_sample_from_the_prior_decodes_a_draw():
    at = _open("digits", m_variant="variational")
    button = next(b for b in at.button if b.label == "Sample from the prior")
    button.click().run()
    assert not at.exception
    assert "a draw from the prior" in _answers(at) and "hole**" in _answers(at)
    assert len(_point(at)) == 2


def test_sweep_button_and_interpolation_from_two_samples():
    at = _open("gw")
    next(b for b in at.button if b.label.startswith("Run the sweep")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("curse of dimensionality" in m.value for m in at.markdown)
    open_sections(at, "latent_open_interp")  # the interpolation is built once a student opens it
    at.number_input(key="latent_interp_b").set_value(5).run()
    assert not at.exception
    # the strip (decoded in the browser) receives sample 5's exact code as its end B
    (strip,) = [n.proto for n in at._tree if getattr(n, "type", "") == "bidi_component"
                and n.proto.component_name == "aeviz_latent_path"]
    args = json.loads(strip.json)
    data = load(DataConfig(name="gw"))
    _, model_cfg, train_cfg = defaults_for("gw")  # the page's model: the dataset's own defaults
    run = Trainer(build(model_cfg, data, seed=42), data, replace(train_cfg, epochs=3)).run()
    assert np.allclose(args["zb"], encode(run.model, data.X[[5]])[0], atol=1e-6)
    assert args["source"] == "samples" and len(args["za"]) == model_cfg.latent
    assert args["ends"][1].startswith("sample 5, label ")
