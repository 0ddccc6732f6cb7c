"""Every registered dataset: shapes, dtypes, ranges, population sizes, split and seed determinism."""

import numpy as np
import pytest

from aeviz import DATASETS, DataConfig, load

SIZES = {"digits": (1797, 64), "gw": (800, 16), "line": (400, 2), "swiss_roll": (1000, 3)}


@pytest.fixture(scope="module", params=sorted(DATASETS))
def data(request):
    return DATASETS[request.param](random_state=0)


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
    again = DATASETS[data.name](random_state=0)
    np.testing.assert_array_equal(again.X, data.X)
    np.testing.assert_array_equal(again.test_idx, data.test_idx)
    other = DATASETS[data.name](random_state=1)
    assert not np.array_equal(other.test_idx, data.test_idx)


def test_digits_pixels_in_unit_interval():
    d = load(DataConfig("digits"))
    assert d.X.min() == 0.0 and d.X.max() == 1.0 and d.bounded
    assert np.bincount(d.y).min() >= 170


def test_gw_populations_imbalanced_standardised_and_separable():
    from sklearn.linear_model import LogisticRegression

    d = load(DataConfig("gw"))
    assert np.bincount(d.y).tolist() == [400, 250, 150]
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(d.X.std(axis=0), 1, atol=1e-3)
    acc = LogisticRegression(max_iter=2000).fit(d.X_train, d.y_train).score(d.X_test, d.y_test)
    assert 0.85 < acc  # separable ...
    corr = np.corrcoef(d.X.T)
    assert np.abs(corr[np.triu_indices(16, 1)]).max() > 0.9  # ... with strongly correlated features


def test_line_is_near_slope_point_nine():
    d = load(DataConfig("line"))
    slope = np.polyfit(d.X[:, 0], d.X[:, 1], 1)[0]
    assert abs(slope - 0.9) < 0.05


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown dataset"):
        load(DataConfig("mnist"))
