"""The variants (denoising, sparse, contractive, VAE) and the comparisons: the generic model contract for
every registered variant, exactness checks against trusted references, and the numbers issue 5 asks for."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from aeviz import VARIANTS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import compare as C
from aeviz.analysis import decode
from aeviz.analysis import latent as la
from conftest import assert_backprop_matches_autograd


_RUNS: dict = {}


def trained(data, **model_kw):
    """A model trained with the default TrainConfig (100 epochs, seed 42), once per test session."""
    key = (data.name, tuple(sorted(model_kw.items())))
    if key not in _RUNS:
        model = build(ModelConfig(**model_kw), data, seed=42)
        trainer = Trainer(model, data, TrainConfig()).run()
        assert trainer.error is None
        _RUNS[key] = model
    return _RUNS[key]


# ---------------------------------------------------------------- the generic contract, every variant


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("dataset", ["digits", "gw"])
def test_shapes_finite_terms_and_gradients_everywhere(variant, dataset, digits, gw):
    data = {"digits": digits, "gw": gw}[dataset]
    model = build(ModelConfig(variant=variant, latent=3, hidden=(24, 8)), data, seed=0)
    x = torch.from_numpy(data.X[:32])  # (32, features)
    assert model.encode(x).shape == (32, 3)
    assert model.decode(torch.zeros(5, 3)).shape == (5, data.n_features)
    assert model(x).shape == (32, data.n_features)
    model.train()
    terms = model.loss(x)
    assert {"total", "recon"} <= set(terms)
    assert all(v.ndim == 0 and torch.isfinite(v) for v in terms.values())
    model.zero_grad()
    terms["total"].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{variant}: no gradient reaches {name}"
    model.eval()
    with torch.no_grad():  # how the trainer scores the test set
        assert all(torch.isfinite(v) for v in model.loss(x).values())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_loss_term_reaches_the_history(variant, gw):
    model = build(ModelConfig(variant=variant), gw, seed=0)
    trainer = Trainer(model, gw, TrainConfig(epochs=2))
    trainer.run()
    model.train()
    names = set(model.loss(torch.from_numpy(gw.X[:8])))
    assert set(trainer.terms) == names
    assert {f"test_{n}" for n in names} <= set(trainer.history[-1])
    if variant in ("sparse", "contractive", "variational"):
        assert len(names) == 3  # total, recon and the variant's own term: the loss curve draws each


def _reset(model: torch.nn.Module, seed: int) -> None:
    model.generator = torch.Generator().manual_seed(seed)  # same noise draws for both gradient paths


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("dataset", ["digits", "gw"])
@pytest.mark.parametrize("mask_prob", [0.0, 0.25])
def test_manual_backprop_equals_autograd_where_offered(variant, dataset, mask_prob, digits, gw):
    data = {"digits": digits, "gw": gw}[dataset]
    model = build(ModelConfig(variant=variant, hidden=(24, 8), latent=3, mask_prob=mask_prob), data, seed=1)
    if not model.can_backprop():
        assert variant in ("sparse", "contractive", "variational")  # extra terms: autograd only
        return
    assert_backprop_matches_autograd(model, torch.from_numpy(data.X[:40]), before=lambda: _reset(model, 7))


# ---------------------------------------------------------------- each variant does what it says


def test_denoising_corrupts_only_while_training(gw):
    model = build(ModelConfig(variant="denoising", noise_std=0.0, mask_prob=0.5), gw, seed=0)
    x = torch.from_numpy(gw.X[:200])
    model.eval()
    assert torch.equal(model.training_input(x), x)
    model.train()
    _reset(model, 0)
    seen = model.training_input(x)
    zeroed = float((seen == 0).float().mean())
    assert 0.45 < zeroed < 0.55 and torch.equal(seen[seen != 0], x[seen != 0])


@dataclass(frozen=True)
class _HiddenSparseConfig(ModelConfig):
    sparse_hidden: bool = True  # the field the sparse variant reads when a config has it


def test_sparse_penalty_is_l1_of_code_and_optionally_hidden(gw):
    x = torch.from_numpy(gw.X[:50])
    for cfg in (ModelConfig(variant="sparse", sparsity=0.1), _HiddenSparseConfig(variant="sparse", sparsity=0.1)):
        model = build(cfg, gw, seed=0)
        h = model.encode(x)
        expected = h.abs().sum(1).mean()
        if model.penalises_hidden():
            a = x
            for layer in list(model.encoder)[:-1]:
                a = layer(a)
                if not isinstance(layer, torch.nn.Linear):
                    expected = expected + a.abs().sum(1).mean()
        assert float(model.loss(x)["sparsity"].detach()) == pytest.approx(0.1 * float(expected.detach()), rel=1e-5)
    assert build(_HiddenSparseConfig(variant="sparse"), gw).penalises_hidden()
    assert not build(ModelConfig(variant="sparse"), gw).penalises_hidden()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_contractive_penalty_is_the_exact_jacobian_norm(activation, gw):
    model = build(ModelConfig(variant="contractive", activation=activation, contractive=1.0), gw, seed=0)
    x = torch.from_numpy(gw.X[:6])
    J = torch.stack([torch.autograd.functional.jacobian(model.encode, row[None])[0, :, 0] for row in x])
    reference = float((J**2).sum(dim=(1, 2)).mean())  # J: (6, latent, features)
    assert float(model.jacobian_penalty(x, create_graph=False).detach()) == pytest.approx(reference, rel=1e-5)
    assert C.jacobian_penalty(model, x.numpy()) == pytest.approx(reference, rel=1e-5)


def test_vae_kl_matches_torch_distributions_and_sampling_only_in_training(gw):
    model = build(ModelConfig(variant="variational", beta=2.0), gw, seed=0)
    x = torch.from_numpy(gw.X[:64])
    mu, logvar = model.encode_stats(x)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    reference = torch.distributions.kl_divergence(q, p).sum(1).mean().detach() / gw.n_features
    model.train()
    terms = {k: v.detach() for k, v in model.loss(x).items()}
    assert float(terms["kl"]) == pytest.approx(float(reference), rel=1e-5)
    assert float(terms["total"]) == pytest.approx(float(terms["recon"] + 2.0 * terms["kl"]), rel=1e-6)
    assert not torch.equal(model(x), model(x))  # z = μ + σ·ε is sampled while training
    model.eval()
    assert torch.equal(model(x), model.decode(mu))  # and is μ when evaluating


# ---------------------------------------------------------------- the numbers issue 5 must reproduce


@pytest.mark.slow
def test_linear_autoencoder_spans_pca_subspace_on_digits(digits):
    pca = C.fit_pca(digits.X_train, 2)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(0.285, abs=0.005)
    untrained = build(ModelConfig(variant="linear"), digits, seed=42)
    assert C.principal_angles(untrained, pca).max() > 30  # a random subspace is far from PCA's
    angles = C.principal_angles(trained(digits, variant="linear"), pca)
    assert angles.shape == (2,) and angles.max() <= 5.0, angles
    basis = C.decoder_basis(trained(digits, variant="linear"))
    assert np.degrees(subspace_angles(basis, pca.components_.T)).max() == pytest.approx(angles.max())


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["gw", "digits"])
def test_vae_has_fewer_holes_than_the_autoencoder(dataset, digits, gw):
    """At each dataset's own default settings (what the Variants page opens on)."""
    from dataclasses import replace

    from aeviz.datasets import defaults_for

    data = {"digits": digits, "gw": gw}[dataset]
    _, m, t = defaults_for(dataset)
    fractions = {}
    for v in ("autoencoder", "variational"):
        model = build(replace(m, variant=v), data, seed=t.seed)
        Trainer(model, data, t).run()
        fractions[v] = C.generator_view(model, data)["hole_fraction"]
    assert fractions["variational"] < fractions["autoencoder"], fractions


def test_generator_view_decodes_the_first_of_the_same_draws(digits):
    view = C.generator_view(trained(digits, variant="autoencoder"), digits)
    rate = la.model_hole_rate(trained(digits, variant="autoencoder"), digits.X_train)
    assert view["n_draws"] == la.HOLE_DRAWS and np.array_equal(view["decoded_holes"], rate.holes[:8])
    assert np.allclose(view["decoded"], decode(trained(digits, variant="autoencoder"), rate.Z[:8]))


@pytest.mark.slow
def test_sparse_penalty_silences_more_activations(digits):
    plain = C.bottleneck_activations(trained(digits, variant="sparse", sparsity=0.0), digits.X_test)
    sparse = C.bottleneck_activations(trained(digits, variant="sparse", sparsity=1e-3), digits.X_test)
    assert C.near_zero_share(sparse) > C.near_zero_share(plain)


@pytest.mark.slow
def test_denoising_beats_vanilla_on_noisy_test_inputs(digits):
    noisy = C.corrupt(digits.X_test, noise_std=0.3, seed=0)
    vanilla = C.denoising_error(trained(digits, variant="autoencoder"), noisy, digits.X_test)
    denoising = C.denoising_error(trained(digits, variant="denoising", noise_std=0.3), noisy, digits.X_test)
    assert denoising < vanilla


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["digits", "gw"])
def test_contractive_has_a_smaller_jacobian_on_test_data(dataset, digits, gw):
    data = {"digits": digits, "gw": gw}[dataset]
    vanilla = C.jacobian_penalty(trained(data, variant="autoencoder"), data.X_test)
    contractive = C.jacobian_penalty(trained(data, variant="contractive"), data.X_test)
    assert contractive < vanilla


def test_gw_code_nearly_as_useful_as_the_raw_features(gw):
    res = C.code_usefulness(trained(gw, variant="autoencoder"), gw)
    assert res["raw_dims"] == 8 * res["code_dims"]
    assert res["code_auc"] > 0.95 and abs(res["raw_auc"] - res["code_auc"]) < 0.03


def test_swiss_roll_views_have_one_point_per_sample():
    data = load(DataConfig("swiss_roll"))
    model = build(ModelConfig(latent=2), data, seed=0)
    views = C.roll_views(model, data)
    assert views["pca"].shape == views["codes"].shape == (len(data.X), 2)
    assert np.array_equal(views["position"], data.position)
