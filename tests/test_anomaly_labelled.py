"""The Anomaly page's labelled lessons on breast cancer: the autoencoder's AUC beside logistic regression's, and the
contamination slider (a_contam: one shared run per stop, detection falling from 0 % to 50 %), driven like a student
(AppTest) and checked against scikit-learn and a model trained here; and each section's "Try this" followed."""

import re

import json

import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from aeviz import load
from aeviz.analysis import anomaly as an
from aeviz.analysis.anomaly import labelled
from aeviz.datasets import defaults_for
from aeviz.fields import PAGE_FIELDS
from aeviz.ui import anomaly_labelled as al
from aeviz.ui import runs
from conftest import open_app_page

CFGS = defaults_for("breast_cancer")


@pytest.fixture(scope="module")
def data():
    return load(CFGS[0])


@pytest.fixture(scope="module")
def trained(data):
    """percent -> the page's model at that contamination stop, trained here the way the page trains it."""
    cache = {}

    def get(percent):
        if percent not in cache:
            cache[percent] = labelled.train_detector(data, CFGS[1], CFGS[2], percent / 100, seed=CFGS[0].seed).model
        return cache[percent]
    return get


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _number(text: str) -> float:
    return float(re.search(r"-?\d+(\.\d+)?", text).group())


def test_the_autoencoders_auc_is_printed_beside_logistic_regressions(data, trained):
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer"})
    sentence = next(m.value for m in at.markdown if m.value.startswith("Autoencoder AUC"))
    ae, lr = (float(v) for v in re.findall(r"AUC \*\*(\d\.\d{3})\*\*", sentence))
    assert "beside logistic regression AUC" in sentence and "detecting without labels costs" in sentence
    assert _metric(at, "Autoencoder AUC (no labels)") == f"{ae:.3f}"
    assert _metric(at, "Logistic regression AUC (labels)") == f"{lr:.3f}"
    # references: the benign-only model's test errors scored by scikit-learn; logistic regression fitted here
    malignant = labelled.anomaly_mask(data)
    model = trained(0)
    X = data.X_test
    model.eval()
    with torch.no_grad():
        err = ((model(torch.from_numpy(X)).numpy() - X) ** 2).mean(axis=1)  # (n_test,)
    assert ae == pytest.approx(roc_auc_score(malignant[data.test_idx], err), abs=2e-3)
    clf = LogisticRegression(max_iter=5000).fit(data.X_train, malignant[data.train_idx])
    assert lr == pytest.approx(roc_auc_score(malignant[data.test_idx], clf.predict_proba(X)[:, 1]), abs=1e-3)
    assert ae < lr  # detecting without labels costs something
    assert f"costs **{lr - ae:.3f}**" in sentence or f"costs **{round(lr - ae, 3):.3f}**" in sentence


def test_contamination_from_0_to_50_percent_lowers_the_detection_rate(data, trained):
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer", "a_contam": "0"})
    slider = at.select_slider(key=al.CONTAM_KEY)
    assert slider.value == 0 and slider.label == PAGE_FIELDS["contam"].label
    assert list(slider.options) == [f"{p} %" for p in (0, 10, 20, 30, 40, 50)]
    clean = _number(_metric(at, "Detection rate at 0 %")) / 100
    slider.set_value(50).run()
    assert not at.exception, [e.value for e in at.exception]
    dirty = _number(_metric(at, "Detection rate at 50 %")) / 100
    print(f"\nbreast cancer detection rate: {clean:.3f} at 0 %, {dirty:.3f} at 50 % contamination")
    assert dirty < clean - 0.3
    for percent, shown in ((0, clean), (50, dirty)):  # the page's numbers are those of the models trained here
        ref = labelled.labelled_detection(data, trained(percent))
        assert shown == pytest.approx(ref.detection_rate, abs=1.5e-3)
    assert at.query_params["a_contam"] in ("50", ["50"])  # the link carries the stop
    # each stop is one shared run in the server's store, under its own key
    assert runs.STORE.get(al.contamination_key(CFGS, 50)) is not None
    assert runs.STORE.get(al.contamination_key(CFGS, 0)) is not None
    # with two stops trained, the chart of detection against contamination shows both
    (fig,) = [c for c in at.get("plotly_chart") if "an_contam_chart" in str(c.proto.id)]
    spec = json.loads(fig.proto.spec)
    xs = spec["data"][0]["x"]
    assert {0, 50} <= set(xs)
    assert spec["data"][0]["y"][xs.index(50)] == pytest.approx(dirty, abs=1.5e-3)


def test_a_link_opens_at_its_stop_and_hostile_values_are_refused_with_a_note():
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer", "a_contam": "30"})
    assert at.select_slider(key=al.CONTAM_KEY).value == 30
    assert any(m.label == "Detection rate at 30 %" for m in at.metric)
    for bad in ("nan", "33", "-1", "lots", "1e400"):
        at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer", "a_contam": bad})
        notes = [w.value.replace("\\", "") for w in at.sidebar.warning]  # shown as plain text (escaped)
        assert any(f"a_contam={bad}" in n and "was ignored" in n for n in notes), (bad, notes)
        assert at.select_slider(key=al.CONTAM_KEY).value == 0


def test_the_lessons_are_only_on_a_dataset_with_labelled_anomalies():
    at = open_app_page("pages/anomaly.py", {"d_name": "gw", "t_epochs": "5"})
    assert not [s for s in at.get("select_slider") if s.key == al.CONTAM_KEY]
    assert not any(m.value.startswith("Autoencoder AUC") for m in at.markdown)


# ---- each section's "Try this", followed -------------------------------------------------------------------

def check_auc_threshold_free(data, trained):
    model = trained(0)
    at95, at80 = (labelled.labelled_detection(data, model, p) for p in (95.0, 80.0))
    assert at80.auc == at95.auc  # the AUC does not depend on the threshold
    assert at80.detection_rate > at95.detection_rate and at80.false_positive_rate > at95.false_positive_rate
    scn = an.scenario(data, model, an.AnomalyConfig(held_out=data.anomaly_labels))  # the chart's rows
    rates = [an.detection_metrics(scn.normal, scn.anomalous, an.threshold(scn.normal, "percentile", p))["detection_rate"]
             for p in (95.0, 80.0)]
    assert rates[1] > rates[0]


def check_contam_0_to_50(data, trained):
    clean, dirty = (labelled.labelled_detection(data, trained(p)) for p in (0, 50))
    assert dirty.detection_rate < clean.detection_rate / 2 and dirty.auc < clean.auc


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


@pytest.mark.parametrize("prompt_id", sorted(al.PROMPTS))
def test_each_sections_prompt_does_what_it_says(data, trained, prompt_id):
    CHECKS[prompt_id](data, trained)


def test_every_sections_prompt_is_on_the_page_checked_and_names_a_control_it_shows():
    assert set(CHECKS) == set(al.PROMPTS)
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer"})
    shown = [m.value for m in at.markdown if m.value.startswith("**Try this.**")]
    assert shown == [f"**Try this.** {p}" for p in al.PROMPTS.values()]
    labels = {w.label for kind in ("slider", "select_slider", "radio") for w in at.get(kind)}
    for text in al.PROMPTS.values():
        for named in re.findall(r"\*([^*]+)\*", text):
            assert named in labels, named
    at = open_app_page("pages/anomaly.py", {"d_name": "breast_cancer", "hide": "trythis"})
    assert not [m for m in at.markdown if m.value.startswith("**Try this.**")]
