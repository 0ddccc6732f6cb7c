"""Every registered dataset: shapes, dtypes, ranges, population sizes, split and seed determinism."""

import numpy as np
import pytest

from aeviz import DATASETS, DataConfig, load

SIZES = {"digits": (1797, 64), "gw": (800, 16), "line": (400, 2), "swiss_roll": (1000, 3),
         "breast_cancer": (569, 30), "mnist": (5000, 784), "fashion_mnist": (5000, 784)}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request):
    return DATASETS[request.param].make(random_state=0)


def test_registry_is_covered():
    assert set(SIZES) == set(DATASETS)


def test_shapes_and_dtypes(data):
    assert data.X.shape == SIZES[data.name]
    assert data.X.dtype == np.float32 and data.y.dtype == np.int64
    assert len(data.feature_names) == data.n_features
    assert set(np.unique(data.y)) == set(range(len(data.label_names)))
    assert np.isfinite(data.X).all()
    if data.kind == "image":
        assert np.prod(data.image_shape) == data.n_features


def test_split_is_a_partition(data):
    tr, te = set(data.train_idx), set(data.test_idx)
    assert not tr & te and tr | te == set(range(len(data.X)))
    assert abs(len(te) / len(data.X) - 0.2) < 0.01


def test_same_seed_same_data_other_seed_other_split(data):
    again = DATASETS[data.name].make(random_state=0)
    np.testing.assert_array_equal(again.X, data.X)
    np.testing.assert_array_equal(again.test_idx, data.test_idx)
    other = DATASETS[data.name].make(random_state=1)
    assert not np.array_equal(other.test_idx, data.test_idx)


def test_digits_pixels_in_unit_interval():
    d = load(DataConfig("digits"))
    assert d.X.min() == 0.0 and d.X.max() == 1.0 and d.bounded
    assert np.bincount(d.y).min() >= 170


def test_gw_populations_imbalanced_standardised_and_separable():
    from sklearn.linear_model import LogisticRegression

    d = load(DataConfig("gw"))
    assert np.bincount(d.y).tolist() == [400, 250, 150]
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-3)
    acc = LogisticRegression(max_iter=2000).fit(d.X_train, d.y_train).score(d.X_test, d.y_test)
    assert 0.85 < acc  # separable ...
    corr = np.corrcoef(d.X.T)
    assert np.abs(corr[np.triu_indices(16, 1)]).max() > 0.9  # ... with strongly correlated features


@pytest.mark.parametrize("name", ["gw", "swiss_roll"])
def test_standardised_with_the_training_rows_statistics_only(name):
    d = load(DataConfig(name))
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-4)
    # the test rows were not used: their mean is not forced to zero
    assert np.abs(d.X_test.mean(axis=0)).max() > 1e-3
    # and the stored statistics are the training rows' own
    raw = d.X.astype(np.float64) * d.feature_scale + d.feature_mean
    np.testing.assert_allclose(raw[d.train_idx].mean(axis=0), d.feature_mean, rtol=1e-5, atol=1e-5)
    assert not np.allclose(raw.mean(axis=0), d.feature_mean, rtol=1e-5, atol=1e-5)


def _gw_raw():
    d = load(DataConfig("gw"))
    return d, d.X.astype(np.float64) * d.feature_scale + d.feature_mean  # (800, 16) physical units


def test_gw_every_event_is_above_the_detection_threshold():
    from aeviz.datasets import GW_FEATURES, SNR_THRESHOLD

    d, raw = _gw_raw()
    snr = 10 ** raw[:, GW_FEATURES.index("log_snr")]
    assert snr.min() >= SNR_THRESHOLD * (1 - 1e-5)
    # no floor: nothing piles up at the threshold (the old max(snr, 6) put two thirds at the floor)
    assert np.mean(snr < SNR_THRESHOLD * 1.05) < 0.15


def test_gw_detection_drops_and_redraws_undetected_sources():
    from aeviz.datasets import SNR_THRESHOLD, _gw_detected, _gw_population, _measured_snr

    rng = np.random.default_rng(0)
    drawn = _gw_population(rng, "stellar BBH", 2000)
    assert np.mean(_measured_snr(drawn, rng) >= SNR_THRESHOLD) < 0.5  # most sources are too faint
    events = _gw_detected(np.random.default_rng(0), "stellar BBH", 400)
    assert len(events["snr"]) == 400 and events["snr"].min() >= SNR_THRESHOLD


def test_gw_mass_ratio_and_symmetric_mass_ratio_stay_physical_after_noise():
    from aeviz.datasets import GW_FEATURES, _gw_detected, _gw_features

    _, raw = _gw_raw()
    q, eta = raw[:, GW_FEATURES.index("mass_ratio")], raw[:, GW_FEATURES.index("sym_mass_ratio")]
    assert q.max() <= 1 + 1e-5 and eta.max() <= 0.25 + 1e-6 and q.min() > 0
    rng = np.random.default_rng(3)
    for kind in ("stellar BBH", "high-mass BBH", "BNS"):  # exact, before float32 storage
        X = _gw_features(_gw_detected(rng, kind, 500), rng)
        assert X[:, 4].max() <= 1.0 and X[:, 5].max() <= 0.25
        np.testing.assert_allclose(X[:, 4], 10 ** (X[:, 1] - X[:, 0]), rtol=1e-9)  # q = m2 / m1


def test_gw_secondary_masses_do_not_pile_at_a_floor():
    from aeviz.datasets import GW_FEATURES

    d, raw = _gw_raw()
    m2 = 10 ** raw[:, GW_FEATURES.index("log_mass_2")]
    assert not np.any(np.abs(m2 - 3.0) < 1e-3)
    stellar = np.sort(m2[d.y == 0])
    assert stellar[0] >= 3.0 * 0.9  # the 3-solar-mass lower bound, up to measurement noise
    assert np.min(np.diff(stellar[:20])) > 0  # the lowest values are spread out, not repeated
    assert np.mean(stellar < 3.3) < 0.05


def test_line_is_near_slope_point_nine():
    d = load(DataConfig("line"))
    slope = np.polyfit(d.X[:, 0], d.X[:, 1], 1)[0]
    assert abs(slope - 0.9) < 0.05


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown dataset"):
        load(DataConfig("imagenet"))
