"""Configs are hashable and round-trip through URL query parameters (the state table's codec)."""

from aeviz import DATASETS, DataConfig, ModelConfig, TrainConfig
from aeviz.datasets import defaults_for
from aeviz.fields import read_settings, settings_query


def test_defaults_make_an_empty_query():
    assert settings_query(DataConfig(), ModelConfig(), TrainConfig()) == {}


def test_round_trip():
    d, m, t = DataConfig("gw", seed=7, test_size=0.3), \
        ModelConfig(variant="variational", hidden=(64, 8), latent=3, beta=0.5), \
        TrainConfig(lr=3e-3, epochs=40, seed=7, snapshot_every=2)
    q = settings_query(d, m, t)
    assert q["m_hidden"] == "64-8" and q["d_name"] == "gw" and q["d_seed"] == "7" and q["t_snapshot_every"] == "2"
    assert read_settings(q) == ((d, m, t), [])
    assert len({d, DataConfig("gw", seed=7, test_size=0.3)}) == 1  # hashable, equal by value


def test_malformed_values_keep_defaults():
    q = {"m_latent": "two", "t_lr": "fast", "m_hidden": "8-x", "d_name": "line"}
    (d, m, t), notes = read_settings(q)
    assert (d, m, t) == (DataConfig("line"), ModelConfig(), TrainConfig())
    assert len(notes) == 3


def test_each_dataset_has_its_own_defaults_and_the_url_omits_them():
    d, m, t = defaults_for("gw")
    assert m.hidden == (64, 32) and t.epochs == 120
    assert settings_query(d, m, t) == {"d_name": "gw"}  # gw's own defaults are not repeated in the link
    assert read_settings({"d_name": "gw"})[0] == (d, m, t)
    # the global default widths on gw are a change, and are kept in the link
    q = settings_query(d, ModelConfig(hidden=(32, 16)), t)
    assert q["m_hidden"] == "32-16" and read_settings(q)[0][1].hidden == (32, 16)
    assert defaults_for("digits") == (DataConfig(), ModelConfig(), TrainConfig())


def test_every_dataset_default_round_trips():
    for name in DATASETS:
        cfgs = defaults_for(name)
        assert read_settings(settings_query(*cfgs)) == (cfgs, [])


def test_each_dataset_entry_says_its_kind():
    for name, spec in DATASETS.items():
        data = spec.make(random_state=0)
        assert data.kind == spec.kind and data.bounded == spec.bounded, name
