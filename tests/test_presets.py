"""A dataset's lesson presets: each sidebar button sets exactly the registry entry's network and training,
which then go through the state table into the session's settings and the link."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aeviz.budget import over_budget
from aeviz.datasets import DATASETS, IMAGE_PRESETS
from aeviz.fields import read_settings, settings_query
from conftest import ROOT


def _home(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", sorted(IMAGE_PRESETS))
def test_a_preset_button_sets_its_network_and_training(name):
    at = _home(d_name="mnist")
    at.button(key=f"preset_{name}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    d, m, t = at.session_state["aeviz_configs"]
    model, train = DATASETS["mnist"].presets[name]
    assert d.name == "mnist" and m == model
    assert (t.epochs, t.batch_size, t.lr) == (train.epochs, train.batch_size, train.lr)
    # the link written for it reads back to the same settings
    again, notes = read_settings(settings_query(d, m, t))
    assert not notes and again[1] == model


@pytest.mark.parametrize("name", sorted(IMAGE_PRESETS))
def test_every_preset_fits_the_budget_on_both_image_datasets(name):
    model, train = IMAGE_PRESETS[name]
    for rows in (4000,):  # the 5,000-image default split's training rows
        assert over_budget(model, train, rows, 784) is None


def test_a_dataset_without_presets_shows_no_preset_buttons():
    at = _home(d_name="gw")
    assert not [b for b in at.button if (b.key or "").startswith("preset_")]


def test_home_names_the_settings_the_sidebar_holds():
    text = " ".join(m.value for m in _home(d_name="mnist").markdown)
    assert "MNIST digits (28×28 images)" in text and "784→64→16→2" in text and "30 epochs" in text
    assert "digits, 64→32→16" not in text  # not the default dataset's network
