"""The seeds' own numbers, visible: per-population errors against each population's own variance, the
linear autoencoder against PCA trained to convergence, the line's hand-computed toy, and the swiss roll."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeviz import Trainer, build, load
from aeviz.analysis import recon, reconstruct
from aeviz.datasets import defaults_for

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


# ---- the linear autoencoder against PCA, trained to convergence -------------------------------------------

from aeviz import DataConfig, ModelConfig, TrainConfig  # noqa: E402
from aeviz.analysis import compare as C  # noqa: E402


def test_linear_run_reaches_pcas_subspace_and_the_trace_shows_the_angle_falling():
    data = load(DataConfig("line"))
    run = C.train_linear(data, ModelConfig(hidden=(), latent=1), TrainConfig())
    largest = [float(r["angles"].max()) for r in run["trace"]]
    assert run["reason"] == "same_subspace" and largest[-1] <= C.LINEAR_SAME_DEG
    assert largest[0] > 20  # it started far away: the angle at 100 epochs would not have been the answer
    assert run["epochs"] > 100 and run["trace"][-1]["epoch"] == run["epochs"]
    assert run["trainer"].model.cfg.variant == "linear"


@pytest.mark.slow
def test_digits_at_latent_8_converges_long_after_100_epochs():
    data = load(DataConfig("digits"))
    run = C.train_linear(data, ModelConfig(latent=8), TrainConfig())
    at_100 = next(r for r in run["trace"] if r["epoch"] == 100)
    assert at_100["angles"].max() > 45  # the old comparison stopped here
    res = C.linear_vs_pca(run["trainer"].model, data)
    assert run["epochs"] > 100 and res["angles"].max() < 5
    assert res["ae_mse"] == pytest.approx(res["pca_mse"], rel=0.05)


def test_an_early_plateau_far_from_pcas_error_is_not_called_converged():
    data = load(DataConfig("digits"))
    run = C.train_linear(data, ModelConfig(hidden=(), latent=2), TrainConfig(), max_epochs=300)
    assert run["reason"] == "max_epochs"  # the angle sits near 88° early on, but the error is far above PCA's


def test_linear_comparison_trains_on_mse_even_when_the_sidebar_says_bce():
    cfg = C.linear_config(ModelConfig(recon_loss="bce", variant="variational"))
    assert cfg.variant == "linear" and cfg.recon_loss == "mse"


def test_angle_trace_figure_draws_the_largest_angle_and_the_error_ratio():
    from aeviz.figures.compare import angle_trace_figure

    trace = [{"epoch": e, "angles": np.array([a, a / 2]), "error_ratio": 1 + a / 100} for e, a in
             ((0, 80.0), (10, 40.0), (20, 1.0))]
    fig = angle_trace_figure(trace, 2.0)
    largest = next(t for t in fig.data if t.name == "largest angle")
    assert list(largest.y) == [80.0, 40.0, 1.0] and list(largest.x) == [0, 10, 20]
    assert any(t.name == "train error ÷ PCA's" for t in fig.data)


# ---- the line's hand-computed toy ----------------------------------------------------------------------

def test_line_toy_hand_numbers_are_the_lessons():
    data = load(DataConfig("line"))
    model = Trainer(build(C.TOY_MODEL, data, seed=42), data, C.TOY_TRAIN).run().model
    res = C.line_toy(model)
    on, off = res["hand"]["rows"]
    assert on["z"] == pytest.approx(2.0) and on["x_hat"] == pytest.approx([2.0, 1.8]) and on["sq_error"] < 1e-12
    assert off["z"] == pytest.approx(2.298, abs=5e-4) and off["sq_error"] == pytest.approx(0.199, abs=5e-4)
    t_on, t_off = res["trained"]["rows"]
    assert res["trained"]["angle_to_hand"] < 1.0  # training finds the line the hand arithmetic assumed
    assert t_on["sq_error"] < 0.01 and t_off["sq_error"] == pytest.approx(0.199, abs=0.02)
    np.testing.assert_allclose(res["trained"]["projection"], res["hand"]["projection"], atol=0.02)


@pytest.mark.slow
def test_compare_page_shows_the_toy_and_the_converged_linear_run():
    at = _open("pages/compare.py", d_name="line", m_latent="1")
    toy = next(df.value for df in at.dataframe if "by hand" in df.value.columns)
    hand = " ".join(toy["by hand"])
    assert "2.298" in hand and "0.199" in hand and "(2.000, 1.800)" in hand
    assert any(label.startswith("(2.0, 2.4)") for label in toy[""])
    trained = " ".join(toy["trained model"])
    assert "b = " in trained and "c = " in trained
    text = " ".join(m.value for m in at.markdown)
    assert "it stopped after" in text


# ---- the swiss roll: measured, not assumed --------------------------------------------------------------



def test_unrolling_scores_on_a_flat_sheet_and_on_noise():
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 10, 500)
    flat = np.stack([t * 0.6 + 1, rng.uniform(0, 1, 500)], axis=1)  # the position along one straight direction
    good = C.unrolling_scores(flat, t)
    assert good["spearman"] > 0.99 and good["readout_r2"] > 0.95
    bad = C.unrolling_scores(rng.normal(size=(500, 2)), t)
    assert bad["spearman"] < 0.2 and bad["readout_r2"] < 0.1
    assert C.roll_verdict(good, bad) == "unrolled" and C.roll_verdict(bad, bad) == "fails"


@pytest.fixture(scope="module")
def roll_runs():
    d, m, t = defaults_for("swiss_roll")
    data = load(d)
    new = Trainer(build(m, data, seed=t.seed), data, t).run()
    old = Trainer(build(ModelConfig(), data, seed=42), data, TrainConfig()).run()  # the global defaults
    return data, new, old


@pytest.mark.slow
def test_swiss_roll_defaults_pull_the_turns_apart_but_do_not_unroll_it_flat(roll_runs):
    data, new, old = roll_runs
    v_new = C.roll_views(new.model, data)
    v_old = C.roll_views(old.model, data)
    pca, codes = v_new["scores"]["pca"], v_new["scores"]["codes"]
    assert codes["readout_r2"] >= 0.85 and codes["readout_r2"] >= pca["readout_r2"] + 0.2
    assert v_old["scores"]["codes"]["readout_r2"] < codes["readout_r2"] - 0.2  # the old defaults mixed the turns
    assert codes["spearman"] < C.ROLL_STRAIGHT  # ... and no straight direction follows the roll: the page says so
    assert v_new["verdict"] == "apart_but_curled" and v_old["verdict"] == "fails"


@pytest.mark.slow
def test_compare_page_states_the_swiss_roll_verdict_with_its_numbers():
    at = _open("pages/compare.py", d_name="swiss_roll")
    text = " ".join(m.value for m in at.markdown)
    assert "do not unroll it flat" in text and "Spearman's rank correlation" in text
    labels = [m.label for m in at.metric]
    assert any("Rank correlation with the position" in x for x in labels)
