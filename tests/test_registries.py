"""A dataset and a variant are each one registry entry: a toy of each, registered at test time with no
other code changed, is offered by the sidebar, accepted in a link, trained, and every page renders with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from aeviz import DATASETS, VARIANTS, Autoencoder, DataConfig, ModelConfig, TrainConfig
from aeviz.budget import training_cost
from aeviz.datasets import Dataset, DatasetSpec, _split
from aeviz.fields import read_settings
from conftest import ROOT

PAGES = ["pages/home.py", "pages/train.py", "pages/architecture.py", "pages/latent.py", "pages/reconstruction.py",
         "pages/anomaly.py", "pages/compare.py"]


def make_ring(*, test_size: float = 0.2, random_state=None) -> Dataset:
    """A noisy ring in 3-D, four arcs as labels: a toy registered only by this test."""
    rng = np.random.default_rng(random_state)
    t = rng.uniform(0, 2 * np.pi, 300)
    X = np.stack([np.cos(t), np.sin(t), 0.3 * np.cos(3 * t)], axis=1) + rng.normal(0, 0.05, (300, 3))
    y = (t // (np.pi / 2)).astype(np.int64)
    train, test = _split(y, test_size, random_state)
    return Dataset(name="ring", X=X.astype(np.float32), y=y, label_names=("arc 1", "arc 2", "arc 3", "arc 4"),
                   feature_names=("x", "y", "z"), kind="points", train_idx=train, test_idx=test,
                   description="300 points on a wavy ring (a test's toy).")


class ShrinkingAutoencoder(Autoencoder):
    """A toy variant: the plain loss plus `contractive` times the code's mean square (a weight-decay on z)."""

    title = "Shrinking (toy)"
    description = "Pulls every code towards 0 a little."
    knobs = ("contractive",)
    manual_backprop = False

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction plus contractive · mean ‖z‖²."""
        z = self.encode(x)  # (batch, latent)
        recon = self.reconstruction_loss(self.decode(z), x)
        shrink = self.cfg.contractive * z.pow(2).sum(dim=1).mean()
        return {"total": recon + shrink, "recon": recon, "shrink": shrink}

    @classmethod
    def cost_factors(cls, cfg: ModelConfig) -> tuple[float, float]:
        """A little more arithmetic than the plain autoencoder, autograd's steps."""
        return 1.1, 7.0


@pytest.fixture
def toys(monkeypatch):
    monkeypatch.setitem(DATASETS, "ring", DatasetSpec(make_ring, "Wavy ring (toy)", "points",
                                                      ModelConfig(hidden=(16, 8)), TrainConfig(epochs=5)))
    monkeypatch.setitem(VARIANTS, "shrinking", ShrinkingAutoencoder)
    yield


def test_a_toy_is_read_from_a_link_and_costs_what_its_entry_says(toys):
    (d, m, t), notes = read_settings({"d_name": "ring", "m_variant": "shrinking", "m_contractive": "0.1"})
    assert not notes and d.name == "ring" and m.variant == "shrinking" and m.hidden == (16, 8) and t.epochs == 5
    plain = training_cost(ModelConfig(hidden=(16, 8)), t, 240, 3)
    toy = training_cost(m, t, 240, 3)
    assert toy.seconds > plain.seconds  # its own cost factors, read from the entry


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_toy_dataset_and_variant(toys, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"d_name": "ring", "m_variant": "shrinking", "m_contractive": "0.1"})
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    d, m, _ = at.session_state["aeviz_configs"]
    assert (d.name, m.variant, m.contractive) == ("ring", "shrinking", 0.1)
    boxes = {s.key: s for s in at.sidebar.selectbox}
    assert boxes["w_dataset"].value == "ring" and "Wavy ring (toy)" in boxes["w_dataset"].options
    assert "Shrinking (toy)" in boxes["w_variant"].options
    assert any(s.key == "w_contractive" for s in at.sidebar.select_slider)  # its knob, drawn from its entry
    assert not any("was ignored" in w.value for w in at.sidebar.warning)
