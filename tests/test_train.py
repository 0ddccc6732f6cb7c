"""The trainer: the loss falls, same seed same history, the NaN guard, Adam, and the PCA anchor."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, TrainingDiverged, build, fit, load
from aeviz.datasets import defaults_for
from aeviz.fastpath import FlatAdam, flatten_parameters as _flatten_parameters
from aeviz.train import _one_thread


def _trainer(data, model_cfg=ModelConfig(), **train):
    cfg = TrainConfig(**{"epochs": 10, **train})
    return Trainer(build(model_cfg, data, seed=cfg.seed), data, cfg)


def test_loss_falls_on_digits(digits):
    tr = _trainer(digits, epochs=15).run()
    first, last = tr.history[0], tr.history[-1]
    assert last["train_recon"] < 0.8 * first["train_recon"]
    assert last["test_recon"] < 0.8 * first["test_recon"]
    assert [h["epoch"] for h in tr.history] == list(range(1, 16))
    assert tr.done and tr.error is None


@pytest.mark.parametrize("variant", ["autoencoder", "variational", "denoising"])
def test_same_seed_same_history(digits, variant):
    a = _trainer(digits, ModelConfig(variant=variant), epochs=3).run()
    b = _trainer(digits, ModelConfig(variant=variant), epochs=3).run()
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    c = _trainer(digits, ModelConfig(variant=variant), epochs=3, seed=7).run()
    assert strip(c.history) != strip(a.history)


def test_stepping_in_chunks_equals_running_through(digits):
    a = _trainer(digits, epochs=6).run()
    b = _trainer(digits, epochs=6)
    b.step(2)
    b.step(1)
    while not b.done:
        b.step(2)
    assert [r["test_recon"] for r in a.history] == [r["test_recon"] for r in b.history]


def test_snapshots_every_few_epochs(digits):
    tr = _trainer(digits, epochs=12, snapshot_every=5).run()
    assert [e for e, _ in tr.snapshots] == [0, 5, 10, 12]
    assert tr.snapshots[-1][1].shape == (len(digits.X), 2)
    assert not np.allclose(tr.snapshots[0][1], tr.snapshots[-1][1])


@pytest.mark.parametrize("dataset", ["digits", "gw", "line"])
def test_divergence_guard_fires_at_learning_rate_10(dataset):
    data = load(DataConfig(dataset))
    tr = _trainer(data, lr=10.0, epochs=30).run()
    assert tr.error is not None and tr.done and tr.epoch < 30
    assert "Training stopped at epoch" in tr.error and "learning rate 10" in tr.error
    assert all(math.isfinite(v) for r in tr.history for v in r.values())
    assert all(torch.isfinite(p).all() for p in tr.model.parameters())


def test_nan_guard_fires_on_a_nan_loss_and_rolls_back(digits, monkeypatch):
    tr = _trainer(digits, epochs=5)
    tr.step(2)
    before, m, v, t = (tr._flat.detach().clone(), tr.optimizer.m.clone(), tr.optimizer.v.clone(), tr.optimizer.t)
    real_epoch = tr._epoch
    monkeypatch.setattr(tr, "_epoch", lambda: {**real_epoch(), "train_total": float("nan")})
    tr.step(1)
    assert "NaN or infinite" in tr.error and tr.epoch == 2 and len(tr.history) == 2
    assert torch.equal(tr._flat.detach(), before)  # the weights and Adam's state as before the broken epoch
    assert torch.equal(tr.optimizer.m, m) and torch.equal(tr.optimizer.v, v) and tr.optimizer.t == t
    assert all(math.isfinite(v) for r in tr.history for v in r.values())
    assert all(torch.isfinite(p).all() for p in tr.model.parameters())
    with pytest.raises(TrainingDiverged):
        fit(build(ModelConfig(), digits, seed=42), digits, TrainConfig(lr=10.0, epochs=30))


def test_batch_larger_than_data_and_one_epoch(digits):
    tr = _trainer(digits, batch_size=5000, epochs=1).run()
    assert len(tr.history) == 1 and tr.done and tr.error is None


@pytest.mark.parametrize("fused", [True, False], ids=["fused kernel", "five tensor ops"])
def test_flat_adam_matches_torch_adam(fused):
    torch.manual_seed(0)
    net_a = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    net_b = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    net_b.load_state_dict(net_a.state_dict())
    flat, grad = _flatten_parameters(net_a)
    ours = FlatAdam(flat.data, grad, lr=1e-2)
    assert ours._fused, "torch 2.13 has the fused CPU Adam kernel"
    ours._fused = fused
    ref = torch.optim.Adam(net_b.parameters(), lr=1e-2)
    x = torch.randn(32, 5)
    for _ in range(25):
        grad.zero_()
        net_a(x).pow(2).mean().backward()
        ours.step()
        ref.zero_grad()
        net_b(x).pow(2).mean().backward()
        ref.step()
    for pa, pb in zip(net_a.parameters(), net_b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def _angle_deg(u, v):
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    return np.degrees(np.arccos(min(1.0, abs(float(u @ v)))))


def test_linear_autoencoder_on_line_finds_pcas_direction():
    data = load(DataConfig("line"))
    tr = _trainer(data, ModelConfig(variant="linear", hidden=(), latent=1), epochs=300, lr=1e-2, batch_size=64)
    tr.run()
    decoder_dir = tr.model.decoder[0].weight.detach().numpy()[:, 0]  # (2,) the column the code spans
    pca_dir = PCA(1).fit(data.X_train).components_[0]
    assert _angle_deg(decoder_dir, pca_dir) < 2.0
    assert _angle_deg(pca_dir, np.array([1.0, 0.9])) < 3.0  # and that direction is the line's


@pytest.mark.parametrize("name,activation,variant", [
    ("digits", "relu", "autoencoder"), ("mnist", "relu", "autoencoder"), ("gw", "tanh", "autoencoder"),
    ("digits", "elu", "autoencoder"), ("digits", "leaky_relu", "linear"), ("mnist", "sigmoid", "autoencoder"),
])
def test_compiled_epoch_trains_as_the_batch_loop(name, activation, variant):
    """The TorchScript epoch (one call per epoch, Python's lock free while it runs) gives the weights, Adam moments,
    training losses and test errors of mse_backprop + FlatAdam batch by batch, for every activation and a sigmoid
    output: to float32's rounding, since it groups the same sums into fewer products (each layer's bias with its
    weights) and sums the batch losses in another order."""
    d, m, t = defaults_for(name)
    m, t = replace(m, activation=activation, variant=variant), replace(t, epochs=3)
    data = load(d)
    compiled, loop = Trainer(build(m, data, seed=1), data, t), Trainer(build(m, data, seed=1), data, t)
    assert compiled._compiled is not None
    loop._compiled = None
    compiled.run(), loop.run()

    def rel(a, b):  # the largest difference, relative to the largest value
        return float((a - b).abs().max() / b.abs().max())

    # measured: 1e-7 to 3e-7 after 3 epochs (a bias gradient off by one row gives 1e-2)
    assert rel(compiled._flat.detach(), loop._flat.detach()) < 2e-6
    assert rel(compiled.optimizer.m, loop.optimizer.m) < 2e-6 and rel(compiled.optimizer.v, loop.optimizer.v) < 2e-6
    assert compiled.optimizer.t == loop.optimizer.t
    for key in ("train_total", "test_recon"):
        assert [h[key] for h in compiled.history] == pytest.approx([h[key] for h in loop.history], rel=2e-6, abs=0)
    # the test error, computed in the compiled call, is model.loss's through the modules, to the bit
    with torch.no_grad(), _one_thread():  # as the trainer computes it (a reduction's blocking follows the threads)
        assert compiled.history[-1]["test_recon"] == float(compiled.model.loss(compiled._X_test)["recon"])


def test_compiled_epoch_is_not_used_where_its_arithmetic_differs():
    """Denoising draws its noise per batch and the sparse penalty adds a term: both train batch by batch."""
    d, m, t = defaults_for("digits")
    data = load(d)
    for variant in ("denoising", "sparse", "variational"):
        mc = replace(m, variant=variant)
        assert Trainer(build(mc, data, seed=1), data, t)._compiled is None, variant
