"""The one hole rule (issue 12): one function behind the latent page's hole fraction, its sweep and the
Variants page; the rule's meaning on hand-made codes; the VAE default that does not collapse; the VAE's
deterministic evaluation; and one test per "Try this" prompt of the latent page (and the VAE prompts of
the Variants page), each checking the predicted effect with the analysis functions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from aeviz import ModelConfig, TrainConfig, Trainer, build
from aeviz.analysis import compare as C
from aeviz.analysis import decode, encode, reconstruction_errors
from aeviz.analysis import latent as la
from aeviz.io import restored_run, weights_to_bytes

APP = str(Path(__file__).resolve().parents[1] / "app.py")
_RUNS: dict = {}


def model(data, train: TrainConfig = TrainConfig(), **kw):
    """The model the app trains for these settings (default TrainConfig: 100 epochs, seed 42), cached."""
    key = (data.name, train, tuple(sorted(kw.items())))
    if key not in _RUNS:
        _RUNS[key] = la.train_model(data, ModelConfig(**kw), train)
    return _RUNS[key]


def gaussian(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("d", [2, 4, 8, 16])
def test_codes_that_fill_the_gaussian_leave_about_one_percent_in_holes_at_any_size(d):
    codes = gaussian(1500, d)
    rate = la.hole_rate(la.index_codes(codes), la.default_radius(codes))
    assert rate.fraction < 0.04, (d, rate.fraction)  # the rule's baseline does not grow with the size


def test_the_rule_ignores_the_codes_scale_and_offset():
    codes = np.concatenate([gaussian(300, 3, 1) * 0.1 + 4, gaussian(300, 3, 2) * 0.1 - 4])  # two blobs
    a = la.hole_rate(la.index_codes(codes), la.default_radius(codes))
    moved = codes * np.array([10.0, 0.5, 3.0], np.float32) + 7
    b = la.hole_rate(la.index_codes(moved), la.default_radius(moved))
    assert la.default_radius(moved) == pytest.approx(la.default_radius(codes), rel=1e-4)
    assert np.array_equal(a.holes, b.holes) and a.fraction > 0.9  # the draws fall between the blobs
    assert np.allclose(b.Z, a.Z * np.array([10.0, 0.5, 3.0]) + 7, atol=1e-3)  # same draws, in the codes' units


def test_distances_are_in_standardised_units():
    codes = np.array([[0, 0], [10, 0], [0, 1], [10, 1]], np.float32)  # std 5 along z1, 0.5 along z2
    index = la.index_codes(codes)
    dist, row = index.nearest(np.array([[5.0, 0.0]], np.float32))
    assert dist[0] == pytest.approx(1.0, rel=1e-5) and row[0] in (0, 1)  # 5 units of z1 = one standard deviation


def test_vae_reference_codes_are_seeded_samples_around_mu(digits):
    vae = model(digits, variant="variational")
    a, b = la.decoder_training_codes(vae, digits.X_train), la.decoder_training_codes(vae, digits.X_train)
    mu = encode(vae, digits.X_train)
    assert np.array_equal(a, b) and not np.allclose(a, mu)  # z = μ + σ·ε, the same ε every time
    ae = model(digits)
    assert np.array_equal(la.decoder_training_codes(ae, digits.X_train), encode(ae, digits.X_train))


# ---------------------------------------------------------------- one function behind every number


@pytest.mark.parametrize("variant", ["autoencoder", "variational"])
def test_latent_page_sweep_and_variants_page_give_the_same_hole_fraction(variant, digits):
    m = model(digits, variant=variant)
    one = la.model_hole_rate(m, digits.X_train)
    v = la.latent_view(m, digits)
    page = la.hole_rate(v.index, v.radius)  # the latent page's section at its defaults
    compare = C.generator_view(m, digits)  # the Variants page
    assert v.radius == one.radius == compare["radius"]
    assert np.array_equal(page.holes, one.holes) and np.array_equal(page.Z, one.Z)
    assert compare["hole_fraction"] == page.fraction == one.fraction
    sweep = la.latent_size_sweep(digits, ModelConfig(variant=variant), TrainConfig(), sizes=(2,),
                                 train=lambda d, mc, tc: model(d, tc, **{"variant": mc.variant}))
    assert sweep == [one.fraction]


def test_sweep_follows_every_setting_and_varies_only_the_latent_size(digits):
    seen = []

    def train(data, mc, tc):
        seen.append((data.name, mc, tc))
        return build(mc, data, seed=tc.seed)  # untrained is enough to see what is asked for

    mc = ModelConfig(variant="sparse", hidden=(48, 12), activation="tanh", sparsity=0.01)
    tc = TrainConfig(epochs=7, lr=3e-3, seed=5)
    fractions = la.latent_size_sweep(digits, mc, tc, sizes=(2, 5), train=train)
    assert len(fractions) == 2 and all(0 <= f <= 1 for f in fractions)
    assert seen == [("digits", replace(mc, latent=2), tc), ("digits", replace(mc, latent=5), tc)]
    assert la.sweep_sizes(5) == (2, 3, 4, 5, 6, 8) and la.sweep_sizes(2) == la.SWEEP_SIZES


# ---------------------------------------------------------------- the VAE: no collapse by default, deterministic


def test_default_vae_keeps_both_units_on_digits_and_beta_one_collapses_one(digits):
    assert ModelConfig().beta < 1
    default = la.unit_signal(model(digits, variant="variational"), digits.X_train)
    assert (default > 0.5).all(), default  # both units carry the digits
    collapsed = la.unit_signal(model(digits, variant="variational", beta=1.0), digits.X_train)
    assert (collapsed < la.COLLAPSED_SHARE).sum() == 1, collapsed  # the map of μ is almost one line
    assert la.unit_signal(model(digits), digits.X_train) is None


def test_vae_evaluation_is_deterministic_and_survives_download_and_upload(digits):
    cfg, train = ModelConfig(variant="variational"), TrainConfig(epochs=20)
    trainer = Trainer(build(cfg, digits, seed=train.seed), digits, train).run()
    m = trainer.model
    m.eval()
    x = torch.from_numpy(digits.X_test)
    with torch.no_grad():
        first, second = m.loss(x)["recon"], m.loss(x)["recon"]
        on_mu = torch.nn.functional.mse_loss(m.decode(m.encode(x)), x)
    assert float(first) == float(second) == pytest.approx(float(on_mu), rel=1e-6)  # evaluated on μ
    restored = restored_run(weights_to_bytes(m), digits, cfg, train)
    assert restored.final("recon") == pytest.approx(trainer.final("recon"), rel=1e-6)  # train and test errors
    with torch.no_grad():
        on_train = torch.nn.functional.mse_loss(m.decode(m.encode(torch.from_numpy(digits.X_train))),
                                                torch.from_numpy(digits.X_train))
    assert trainer.final("recon")[0] == pytest.approx(float(on_train), rel=1e-6)  # the final model's, not an average


# ---------------------------------------------------------------- the latent page's "Try this", one test each


def test_prompt_click_an_empty_region(digits):
    """A corner of the map is a hole, yet the decoder draws a crisp digit close to a real one there."""
    m = model(digits)
    v = la.latent_view(m, digits)
    dist, _ = v.index.nearest(v.plane.to_latent(v.click_grid))
    far = v.plane.to_latent(v.click_grid[[int(np.argmax(dist))]])
    _, _, hole = la.hole_test(v.index, far, v.radius)
    assert hole[0] and dist.max() > 5 * v.radius
    x = decode(m, far)[0]
    assert x.max() > 0.9  # crisp strokes, not a grey smudge
    closest = ((digits.X_train - x) ** 2).mean(axis=1).min()
    assert closest < np.percentile(reconstruction_errors(m, digits.X_train), 90)  # like some training digit


@pytest.mark.slow
def test_prompt_sweep_hole_fraction_climbs_with_latent_size(digits):
    fractions = la.latent_size_sweep(digits, ModelConfig(), TrainConfig(), sizes=la.SWEEP_SIZES,
                                     train=lambda d, mc, tc: model(d, tc, latent=mc.latent))
    assert fractions[-1] > fractions[0] + 0.5 and fractions[-1] > 0.8, fractions
    assert all(b > a for a, b in zip(fractions, fractions[1:])), fractions  # climbs at every step
    at8 = la.model_hole_rate(model(digits, latent=8), digits.X_train).fraction
    assert at8 == fractions[la.SWEEP_SIZES.index(8)]  # what the page reads after setting the latent size to 8


def test_prompt_spread_of_the_draws(digits):
    v = la.latent_view(model(digits), digits)
    f = {s: la.hole_rate(v.index, v.radius, s=s).fraction for s in (0.5, 1.0, 3.0)}
    assert f[0.5] < f[1.0] < f[3.0] and f[3.0] > 0.5, f  # wide draws leave the codes' cloud


def test_prompt_variational_fills_the_holes_and_beta_one_collapses(digits):
    ae = la.model_hole_rate(model(digits), digits.X_train).fraction
    vae = la.model_hole_rate(model(digits, variant="variational"), digits.X_train).fraction
    assert vae < 0.06 and ae > 2 * vae, (ae, vae)  # "falls to a few percent"
    beta1 = model(digits, variant="variational", beta=1.0)
    assert la.model_hole_rate(beta1, digits.X_train).fraction < ae  # the holes stay few
    assert (la.unit_signal(beta1, digits.X_train) < la.COLLAPSED_SHARE).any()  # the note says one unit collapsed


def test_prompt_interpolate_between_a_0_and_a_1(digits):
    m = model(digits)
    v = la.latent_view(m, digits)
    from aeviz.analysis.latent import default_ends
    from aeviz.ui.latent_path import K_DEFAULT

    first, other = default_ends(digits)  # the section's default samples A and B
    assert (digits.label_names[digits.y[first]], digits.label_names[digits.y[other]]) == ("0", "1")
    za, zb = encode(m, digits.X[[first, other]])
    path = la.interpolate(m, v.index, za, zb, K_DEFAULT, v.radius)  # the strip's default K (the browser's path is
    # this one: tests/test_browser_latent_path.py)
    assert not path.holes.any()  # the path never leaves the codes at latent size 2 ...
    passes = la.path_labels(path, digits.y_train)
    assert passes[0] == 0 and passes[-1] == 1 and set(passes) - {0, 1}  # ... but runs through other digits


# ---------------------------------------------------------------- the Variants page's VAE prompts


@pytest.mark.slow
def test_variants_prompts_beta_zero_and_four(digits):
    default = la.model_hole_rate(model(digits, variant="variational"), digits.X_train).fraction
    zero = la.model_hole_rate(model(digits, variant="variational", beta=0.0), digits.X_train).fraction
    assert zero > 2 * default  # without the KL term the holes come back
    four = model(digits, variant="variational", beta=4.0)
    assert la.model_hole_rate(four, digits.X_train).fraction <= default  # the holes close further ...
    err = {b: float(reconstruction_errors(model(digits, variant="variational", beta=b), digits.X_test).mean())
           for b in (0.25, 4.0)}
    assert err[4.0] > 1.3 * err[0.25]  # ... and reconstruction pays for it


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["digits", "gw"])
def test_vae_has_fewer_holes_than_the_autoencoder(dataset, digits, gw):
    """At each dataset's own default settings (what the app opens on)."""
    from aeviz.datasets import defaults_for

    data = {"digits": digits, "gw": gw}[dataset]
    _, m, t = defaults_for(dataset)
    ae = la.model_hole_rate(model(data, t, hidden=m.hidden), data.X_train).fraction
    vae = la.model_hole_rate(model(data, t, hidden=m.hidden, variant="variational"), data.X_train).fraction
    assert vae < ae, (ae, vae)


# ---------------------------------------------------------------- the pages show the same numbers


def _pct(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_both_pages_show_the_rule_and_the_same_vae_hole_fraction(digits):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"m_variant": "variational"})
    at.run()
    at.switch_page("pages/latent.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value == la.HOLE_RULE for m in at.markdown)
    page = _pct(next(m.value for m in at.metric if m.label == "Hole fraction"))
    expected = la.model_hole_rate(model(digits, variant="variational"), digits.X_train).fraction
    assert page == pytest.approx(round(expected, 2), abs=0.006)
    assert not at.warning or not any("Posterior collapse" in w.value for w in at.warning)  # default: no collapse
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    holes = [_pct(m.value) for m in at.metric if m.label == "Hole fraction"]
    ae = la.model_hole_rate(model(digits), digits.X_train).fraction
    assert holes == [pytest.approx(round(ae, 2), abs=0.006), pytest.approx(page, abs=1e-9)]


@pytest.mark.slow
def test_latent_page_sweep_runs_with_the_sidebar_settings_and_shows_the_collapse():
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"m_variant": "variational", "m_beta": "1.0", "t_epochs": "40"})
    at.run()
    at.switch_page("pages/latent.py")
    at.run()
    assert any("Posterior collapse" in w.value for w in at.warning)
    page = _pct(next(m.value for m in at.metric if m.label == "Hole fraction"))
    next(b for b in at.button if b.label.startswith("Run the sweep")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    spec = json.loads(next(c for c in at.get("plotly_chart") if "latent_sweep" in c.proto.id).proto.spec)
    xs, ys = spec["data"][0]["x"], spec["data"][0]["y"]
    assert xs == list(la.SWEEP_SIZES)
    assert round(ys[0], 2) == pytest.approx(page, abs=0.006)  # the sweep's point at latent 2 is this model
    assert any("(variational, widths 32, 16, relu)" in m.value and "stays low" in m.value for m in at.markdown)
