"""Configs are hashable and round-trip through URL query parameters."""

from aeviz import DataConfig, ModelConfig, TrainConfig
from aeviz.config import from_query, to_query


def test_defaults_make_an_empty_query():
    assert to_query(DataConfig(), ModelConfig(), TrainConfig()) == {}


def test_round_trip():
    d, m, t = DataConfig("gw"), ModelConfig(variant="variational", hidden=(64, 8), latent=3, beta=0.5), \
        TrainConfig(lr=3e-3, epochs=40, seed=7)
    q = to_query(d, m, t)
    assert q["m_hidden"] == "64-8" and q["d_name"] == "gw"
    assert (from_query(q, DataConfig), from_query(q, ModelConfig), from_query(q, TrainConfig)) == (d, m, t)
    assert len({d, DataConfig("gw")}) == 1  # hashable, equal by value


def test_malformed_values_keep_defaults():
    q = {"m_latent": "two", "t_lr": "fast", "m_hidden": "8-x", "d_name": "line"}
    assert from_query(q, ModelConfig) == ModelConfig()
    assert from_query(q, TrainConfig) == TrainConfig()
    assert from_query(q, DataConfig) == DataConfig("line")
