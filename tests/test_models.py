"""Every registered variant: shapes, finite named losses, gradients everywhere, parameter counts."""

import pytest
import torch

from aeviz import VARIANTS, DataConfig, ModelConfig, build, layer_table, load
from aeviz.activations import ACTIVATIONS
from conftest import assert_backprop_matches_autograd


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_shapes_loss_and_gradients(variant, digits):
    model = build(ModelConfig(variant=variant, latent=3), digits, seed=0)
    x = torch.from_numpy(digits.X[:16])
    assert model.encode(x).shape == (16, 3)
    assert model.decode(model.encode(x)).shape == (16, 64)
    assert model(x).shape == (16, 64)
    model.train()
    terms = model.loss(x)
    assert "total" in terms and "recon" in terms
    assert all(torch.isfinite(v) for v in terms.values())
    terms["total"].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("hidden", [(64,), (32, 16), (8, 8, 4)])
def test_parameter_counts_match_the_built_model(variant, hidden, gw):
    cfg = ModelConfig(variant=variant, hidden=hidden, latent=2)
    rows = layer_table(cfg, gw.n_features)
    model = build(cfg, gw, seed=0)
    assert sum(r["params"] for r in rows) == sum(p.numel() for p in model.parameters())
    assert [r["width"] for r in rows] == [16, *hidden, 2, *reversed(hidden), 16]


def test_gw_first_layer_of_64_has_1088_parameters():
    rows = layer_table(ModelConfig(hidden=(64, 32)), 16)
    assert rows[1]["params"] == 16 * 64 + 64 == 1088


def test_output_activation_fits_the_data(digits, gw):
    x = torch.from_numpy(digits.X[:8])
    out = build(ModelConfig(), digits, seed=0)(x)
    assert out.min() >= 0 and out.max() <= 1  # sigmoid for pixels in [0, 1]
    lin = build(ModelConfig(), gw, seed=0)
    assert not isinstance(lin.decoder[-1], torch.nn.Sigmoid)  # none for standardised features
    lae = build(ModelConfig(variant="linear"), digits, seed=0)
    assert all(isinstance(m, torch.nn.Linear) for m in [*lae.encoder, *lae.decoder])


def test_same_seed_same_weights(digits):
    a, b = build(ModelConfig(), digits, seed=3), build(ModelConfig(), digits, seed=3)
    c = build(ModelConfig(), digits, seed=4)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["digits", "gw"])
def test_hand_written_backprop_equals_autograd(activation, dataset):
    data = load(DataConfig(dataset))
    model = build(ModelConfig(activation=activation, hidden=(24, 8), latent=3), data, seed=1)
    assert model.can_backprop()
    assert_backprop_matches_autograd(model, torch.from_numpy(data.X[:40]))


def test_impossible_settings_are_clear_errors(digits):
    with pytest.raises(ValueError, match="at least one unit"):
        build(ModelConfig(hidden=(0,)), digits)
    with pytest.raises(ValueError, match="Unknown variant"):
        build(ModelConfig(variant="gan"), digits)
