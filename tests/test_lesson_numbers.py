"""The seeds' own numbers, visible: per-population errors against each population's own variance, the
linear autoencoder against PCA trained to convergence, the line's hand-computed toy, and the swiss roll."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeviz import Trainer, build, load
from aeviz.analysis import recon, reconstruct
from aeviz.config import defaults_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def _open(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---- errors relative to each population's own variance ------------------------------------------------

def test_relative_errors_by_label_by_hand():
    X = np.array([[0.0, 0.0], [2.0, 2.0], [10.0, 10.0], [10.2, 9.8]])
    X_hat = np.array([[1.0, 1.0], [1.0, 1.0], [10.1, 9.9], [10.1, 9.9]])  # each label rebuilt as its mean
    rows = recon.relative_errors_by_label(X, X_hat, np.array([0, 0, 1, 1]), ("wide", "tight"))
    assert [r["count"] for r in rows] == [2, 2]
    assert rows[0]["mean"] == pytest.approx(1.0) and rows[1]["mean"] == pytest.approx(0.01)
    assert rows[0]["own_variance"] == pytest.approx(1.0) and rows[1]["own_variance"] == pytest.approx(0.01)
    # 100x apart in shared units, the same share (1: no better than the population's mean) against their own
    assert rows[0]["relative"] == pytest.approx(1.0) and rows[1]["relative"] == pytest.approx(1.0)
    assert recon.bottleneck_verdict(rows)[0] == "too_small_for_all"
    lone = recon.relative_errors_by_label(X[:1], X_hat[:1], np.array([0]), ("one",))
    assert np.isnan(lone[0]["relative"])


def test_bottleneck_verdict_cases():
    def rows(*rel):
        return [{"relative": r} for r in rel]

    assert recon.bottleneck_verdict(rows(0.3, 0.35, 0.9)) == ("too_small_for_one", 2)
    assert recon.bottleneck_verdict(rows(0.3, 0.4, 0.45)) == ("fair", 2)
    assert recon.bottleneck_verdict(rows(0.9, 1.2, 1.0)) == ("too_small_for_all", 1)


@pytest.fixture(scope="module")
def gw_default():
    d, m, t = defaults_for("gw")
    data = load(d)
    run = Trainer(build(m, data, seed=t.seed), data, t).run()
    return data, run


def test_gw_global_ratio_is_a_units_effect_the_relative_errors_undo(gw_default):
    data, run = gw_default
    X = data.X_test
    X_hat = reconstruct(run.model, X)
    errors = ((X - X_hat) ** 2).mean(axis=1)
    worst, ratio = recon.worst_label_ratio(errors, data.y_test)
    rows = recon.relative_errors_by_label(X, X_hat, data.y_test, data.label_names)
    by = {r["label"]: r for r in rows}
    assert ratio >= 1.5  # read in standardised units, one population "stands apart" ...
    assert by["BNS"]["own_variance"] < 0.3 * by["stellar BBH"]["own_variance"]  # ... BNS is a tight cluster
    rel = [r["relative"] for r in rows]
    assert max(rel) < 1.5 * np.mean(sorted(rel)[:2])  # ... but against their own spread they are alike
    assert recon.bottleneck_verdict(rows)[0] == "fair"


def test_reconstruction_page_shows_both_errors_and_says_which_answers_the_question():
    at = _open("pages/reconstruction.py", d_name="gw")
    table = next(df.value for df in at.dataframe if "error ÷ own variance" in df.value.columns)
    assert table["label"].tolist() == ["stellar BBH", "high-mass BBH", "BNS"]
    text = " ".join(m.value for m in at.markdown)
    assert "Is the bottleneck too small?" in text and "answers the question" in text
    shares = " / ".join(f"{v:.2f}" for v in table["error ÷ own variance"])
    assert shares in text
