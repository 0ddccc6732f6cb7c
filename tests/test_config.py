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


def test_each_dataset_has_its_own_defaults_and_the_url_omits_them():
    from aeviz.config import DATASET_DEFAULTS, defaults_for

    d, m, t = defaults_for("gw")
    assert m.hidden == (64, 32) and t.epochs == 120
    assert to_query(d, m, t) == {"d_name": "gw"}  # gw's own defaults are not repeated in the link
    assert from_query({"d_name": "gw"}, ModelConfig) == m and from_query({"d_name": "gw"}, TrainConfig) == t
    # the global default widths on gw are a change, and are kept in the link
    q = to_query(d, ModelConfig(hidden=(32, 16)), t)
    assert q["m_hidden"] == "32-16" and from_query(q, ModelConfig).hidden == (32, 16)
    assert defaults_for("digits") == (DataConfig(), ModelConfig(), TrainConfig())
    assert set(DATASET_DEFAULTS) <= {"digits", "gw", "line", "swiss_roll"}


def test_every_dataset_default_round_trips():
    from aeviz import DATASETS
    from aeviz.config import defaults_for

    for name in DATASETS:
        cfgs = defaults_for(name)
        q = to_query(*cfgs)
        assert tuple(from_query(q, type(c)) for c in cfgs) == cfgs
