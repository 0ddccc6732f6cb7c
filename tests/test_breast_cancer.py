"""The real anomaly lesson: breast cancer's malignant tumours scored by an autoencoder trained on benign rows,
beside a supervised baseline, and detection falling as anomalies contaminate the training rows."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from aeviz.analysis.anomaly import labelled
from aeviz.datasets import DATASETS, make_breast_cancer


@pytest.fixture(scope="module")
def data():
    return make_breast_cancer(random_state=42)


@pytest.fixture(scope="module")
def detector(data):
    spec = DATASETS["breast_cancer"]
    return labelled.train_detector(data, spec.model, spec.train).model


def test_the_table_is_scikit_learns_standardised_on_training_rows(data):
    bunch = load_breast_cancer()
    assert data.X.shape == (569, 30) and data.label_names == ("benign", "malignant")
    np.testing.assert_array_equal(data.y, bunch.target == 0)  # scikit-learn's 0 is malignant
    assert np.bincount(data.y).tolist() == [357, 212] and data.anomaly_labels == (1,)
    ref = StandardScaler().fit(bunch.data[data.train_idx])
    np.testing.assert_allclose(data.X, ref.transform(bunch.data), rtol=1e-5, atol=1e-5)
    assert DATASETS["breast_cancer"].kind == "tabular"


def test_the_detector_trains_on_benign_training_rows_only(data):
    subset = labelled.normal_training(data)
    assert set(subset.train_idx) == set(data.train_idx[data.y_train == 0])
    assert (subset.y[subset.test_idx] == 0).all() and set(subset.test_idx) < set(data.test_idx)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5])
def test_contamination_mixes_that_share_of_anomalies_into_a_fixed_size(data, fraction):
    total = labelled.training_size(data)
    subset = labelled.normal_training(data, fraction)
    assert len(subset.train_idx) == total
    assert subset.y[subset.train_idx].sum() == round(fraction * total)
    assert set(subset.train_idx) <= set(data.train_idx)  # never a test row
    if fraction:
        smaller = labelled.normal_training(data, fraction / 2)
        anom = set(subset.train_idx[subset.y[subset.train_idx] == 1])
        assert set(smaller.train_idx[smaller.y[smaller.train_idx] == 1]) <= anom  # nested as the slider moves


def test_contamination_outside_the_slider_is_refused(data):
    with pytest.raises(ValueError, match="must lie in"):
        labelled.normal_training(data, 0.6)


def test_the_autoencoders_auc_beside_logistic_regressions(data, detector):
    result = labelled.labelled_detection(data, detector)
    # reference: the errors recomputed with torch, the AUC with scikit-learn
    detector.eval()
    with torch.no_grad():
        X = torch.from_numpy(data.X_test)
        errors = ((detector(X) - X) ** 2).mean(dim=1).numpy()
    malignant = data.y_test == 1
    assert result.auc == pytest.approx(roc_auc_score(malignant, errors), abs=1e-9)
    clf = LogisticRegression(max_iter=5000).fit(data.X_train, data.y_train)
    reference = roc_auc_score(malignant, clf.predict_proba(data.X_test)[:, 1])
    baseline = labelled.baseline_auc(data)
    assert baseline == pytest.approx(reference, abs=1e-3)
    print(f"\nbreast cancer AUC: autoencoder {result.auc:.3f} (no labels) vs logistic regression {baseline:.3f}")
    assert 0.75 < result.auc < baseline  # detecting without labels works, and costs something
    assert result.threshold == pytest.approx(np.percentile(errors[~malignant].astype(np.float64), 95))
    assert result.false_positive_rate == pytest.approx((errors[~malignant] > result.threshold).mean())
    assert result.detection_rate == pytest.approx((errors[malignant] > result.threshold).mean())


def test_detection_falls_as_contamination_goes_from_0_to_50_percent(data):
    spec = DATASETS["breast_cancer"]
    rates = [labelled.contamination_detection(data, spec.model, spec.train, f) for f in (0.0, 0.25, 0.5)]
    print("\ndetection rate at 0 %, 25 %, 50 % contamination:", [f"{r:.2f}" for r in rates])
    assert rates[0] >= rates[1] >= rates[2] and rates[0] - rates[2] > 0.3


def test_the_anomaly_page_scores_the_real_malignant_rows():
    """On the Anomaly page the anomalies are the dataset's own (every malignant row), none injected, and the
    model that scores them trained on benign rows only."""
    from aeviz.analysis.anomaly import AnomalyConfig, make_anomalies
    from conftest import open_app_page

    data = make_breast_cancer(random_state=42)
    normal, anomalous, kinds = make_anomalies(data, AnomalyConfig())
    malignant = data.y == data.anomaly_labels[0]
    assert len(anomalous) == int(malignant.sum()) == 212 and set(kinds) == {"malignant"}
    assert len(normal) == int((~malignant[data.test_idx]).sum())
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer", "t_epochs": "5"})
    assert any("every malignant row" in c.value for c in at.caption), [c.value for c in at.caption]
    assert not any(r.key == "an_preset" for r in at.radio)  # no synthetic preset to choose
    assert not at.exception and at.session_state["aeviz_configs"][0].name == "breast_cancer"
