"""Anomaly detection core: the issue's numbers on gw, sklearn-backed metrics against hand-computed
arrays, the anomaly generators, CSV validation, sample selection and the figure builders."""

import math

import numpy as np
import pytest

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import anomaly as an
from aeviz.analysis import recon
from aeviz.figures import anomaly as fa
from aeviz.figures import recon as fr


@pytest.fixture(scope="module")
def gw_run():
    """The default model (sidebar defaults) trained on gw."""
    data = load(DataConfig(name="gw"))
    train_cfg = TrainConfig()
    return data, Trainer(build(ModelConfig(), data, seed=train_cfg.seed), data, train_cfg).run()


def _at_95(data, model, cfg):
    scn = an.scenario(data, model, cfg)
    thr = an.threshold(scn.normal, "percentile", 95)
    return scn, an.detection_metrics(scn.normal, scn.anomalous, thr)


# ---- the numbers -------------------------------------------------------------------------

def test_gw_obvious_anomalies_detected_at_95th_percentile(gw_run):
    data, run = gw_run
    scn, m = _at_95(data, run.model, an.AnomalyConfig())  # defaults: obvious preset, K = 50
    assert len(scn.anomalous) == 50 and len(scn.normal) == len(data.test_idx)
    assert m["detection_rate"] >= 0.90
    assert abs(m["false_positive_rate"] - 0.05) <= 0.03


def test_gw_subtle_preset_is_clearly_harder(gw_run):
    data, run = gw_run
    obvious_cfg = an.AnomalyConfig()
    subtle_cfg = an.AnomalyConfig(mu=an.PRESETS["subtle"][0], sigma=an.PRESETS["subtle"][1])
    so, mo = _at_95(data, run.model, obvious_cfg)
    ss, ms = _at_95(data, run.model, subtle_cfg)
    assert ms["detection_rate"] <= mo["detection_rate"] - 0.3
    assert an.roc(ss.normal, ss.anomalous)["auc"] < an.roc(so.normal, so.anomalous)["auc"] - 0.05
    assert abs(ms["false_positive_rate"] - 0.05) <= 0.03  # same normal rows, same threshold rule


def test_gw_fully_random_events_break_correlations_and_are_caught(gw_run):
    """Redrawing all 16 features (the literal 'every feature from N(μ, σ²)') is easy even when subtle."""
    data, run = gw_run
    cfg = an.AnomalyConfig(mu=1.0, sigma=0.8, n_features=16)
    _, m = _at_95(data, run.model, cfg)
    assert m["detection_rate"] >= 0.9


# ---- metrics against hand-computed values ----------------------------------------------------------

NORMAL = np.array([0.1, 0.2, 0.3, 0.4])
ANOMALOUS = np.array([0.35, 0.5, 0.6])


def test_metrics_match_hand_counts():
    m = an.detection_metrics(NORMAL, ANOMALOUS, 0.3)  # 0.3 itself is not above the threshold
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (3, 1, 0, 3)
    assert m["confusion"].tolist() == [[3, 1], [0, 3]]
    assert m["detection_rate"] == 1.0 and m["false_positive_rate"] == 0.25
    assert m["precision"] == pytest.approx(0.75) and m["f1"] == pytest.approx(2 * 0.75 / 1.75)
    m = an.detection_metrics(NORMAL, ANOMALOUS, 0.45)
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (4, 0, 1, 2)
    assert m["detection_rate"] == pytest.approx(2 / 3) and m["false_positive_rate"] == 0.0
    assert m["precision"] == 1.0 and m["f1"] == pytest.approx(0.8)


def test_metrics_when_nothing_is_flagged():
    m = an.detection_metrics(NORMAL, ANOMALOUS, 10.0)
    assert (m["tp"], m["fp"]) == (0, 0) and m["precision"] == 0.0 and m["f1"] == 0.0
    assert math.isnan(an.detection_metrics(NORMAL, np.array([]), 0.3)["detection_rate"])


def test_roc_and_auc_match_hand_computation():
    r = an.roc(NORMAL, ANOMALOUS)
    # 11 of the 12 (normal, anomalous) pairs are ordered correctly: 0.4 > 0.35 is the only miss
    assert r["auc"] == pytest.approx(11 / 12)
    assert (r["fpr"][0], r["tpr"][0]) == (0.0, 0.0) and (r["fpr"][-1], r["tpr"][-1]) == (1.0, 1.0)
    assert an.roc(np.array([0.1, 0.2]), np.array([0.3, 0.4]))["auc"] == 1.0


def test_threshold_modes():
    assert an.threshold(np.arange(101.0), "percentile", 95) == pytest.approx(95.0)
    assert an.threshold(np.arange(101.0), "raw", 0.123) == 0.123
    with pytest.raises(ValueError):
        an.threshold(NORMAL, "sideways", 1)


def test_top_flagged_orders_largest_first_above_threshold():
    errors = np.array([0.5, 0.1, 0.9, 0.3, 0.7])
    assert an.top_flagged(errors, 0.4, k=2).tolist() == [2, 4]
    assert an.top_flagged(errors, 0.4).tolist() == [2, 4, 0]
    assert an.top_flagged(errors, 5.0).tolist() == []
    kinds = ["a", "b", "a", "a", "a"]
    assert an.top_flagged(errors, 0.0, k=3, groups=kinds, per_group=2).tolist() == [2, 4, 1]


# ---- anomaly generators -----------------------------------------------------------------------------

def test_gw_anomalies_redraw_exactly_n_features():
    X = np.zeros((30, 16), np.float32)
    A = an.gw_anomalies(X, 40, mu=7.0, sigma=0.0, n_features=3, rng=np.random.default_rng(0))
    assert A.shape == (40, 16)
    assert ((A == 7.0).sum(axis=1) == 3).all()
    B = an.gw_anomalies(X, 40, mu=7.0, sigma=0.0, n_features=3, rng=np.random.default_rng(0))
    assert np.array_equal(A, B)


def test_image_corruptions():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (5, 64)).astype(np.float32)
    assert np.allclose(an.corrupt_images(X, "inverted", rng), 1 - X)
    assert not an.corrupt_images(X, "blank", rng).any()
    noisy = an.corrupt_images(X, "noise", rng)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, X)
    with pytest.raises(ValueError):
        an.corrupt_images(X, "smudged", rng)


def test_points_pushed_off_the_line_by_the_chosen_distance():
    data = load(DataConfig(name="line"))  # x2 ≈ 0.9 x1 with noise 0.1
    A = an.off_manifold(data.X_test, data.X_train, 1.0, np.random.default_rng(0))
    dist = np.abs(A[:, 1] - 0.9 * A[:, 0]) / np.hypot(1, 0.9)  # distance to the true line
    assert np.median(dist) == pytest.approx(1.0, abs=0.1)
    assert np.median(np.abs(data.X_test[:, 1] - 0.9 * data.X_test[:, 0])) < 0.15


def test_digits_held_out_classes_are_removed_from_training_and_become_anomalies():
    data = load(DataConfig(name="digits"))
    sub = an.normal_subset(data, (3, 7))
    assert not np.isin(sub.y_train, [3, 7]).any() and not np.isin(sub.y_test, [3, 7]).any()
    assert len(sub.train_idx) + (np.isin(data.y_train, [3, 7])).sum() == len(data.train_idx)
    cfg = an.AnomalyConfig(held_out=(3, 7), corruptions=("blank",), k=10)
    X_normal, X_anom, kinds = an.make_anomalies(data, cfg)
    n_held = int(np.isin(data.y_test, [3, 7]).sum())
    assert len(X_normal) == len(sub.test_idx) and len(X_anom) == n_held + 10
    assert kinds.count("blank") == 10 and kinds.count("digit 3") + kinds.count("digit 7") == n_held


# ---- CSV validation ---------------------------------------------------------------------------------

COLS = ("a", "b", "c")


def _csv(text: str, **kw):
    return an.read_csv(text.encode(), COLS, **kw)


def test_csv_valid_file_parses_and_notes_extra_columns():
    r = _csv("a,b,c,label\n1,2,3,x\n4.5, -1e-3 ,6,y\n")
    assert r.error is None and r.X.shape == (2, 3) and r.X.dtype == np.float32
    assert r.X[1].tolist() == pytest.approx([4.5, -1e-3, 6])
    assert any("label" in n for n in r.notes)
    assert _csv("c,a,b\n3,1,2\n").X.tolist() == [[1, 2, 3]]  # columns matched by name, not position


@pytest.mark.parametrize("text, words", [
    ("a,b\n1,2\n", ["missing 1", "'c'"]),
    ("a,b,c\n1,2,3\n4,hello,6\n", ["row 2", "line 3", "column 'b'", "text", "hello"]),
    ("a,b,c\n1,2,3\n4,5,NaN\n", ["row 2", "column 'c'", "NaN"]),
    ("a,b,c\n1,,3\n", ["row 1", "column 'b'", "missing"]),
    ("a,b,c\n1,2,inf\n", ["row 1", "column 'c'", "infinite"]),
    ("a,b,c\n", ["no rows"]),
    ("", ["empty"]),
    ("   \n", ["empty"]),
])
def test_csv_problems_are_named(text, words):
    r = _csv(text)
    assert r.X is None and r.error
    for w in words:
        assert w.lower() in r.error.lower(), (w, r.error)


def test_csv_too_large_and_not_text():
    big = "a,b,c\n" + "1,2,3\n" * 50
    assert "too large" in _csv(big, max_bytes=100).error
    assert "too many rows" in _csv(big, max_rows=10).error
    assert "UTF-8" in an.read_csv(b"\xff\xfe\x00\x81a,b", COLS).error


def test_csv_round_trip_and_pixel_range_note():
    X = np.array([[0.1, 0.2, 0.3], [1.5, 0.0, 1.0]], np.float32)
    r = an.read_csv(an.to_csv(X, COLS), COLS, bounded=True)
    assert np.allclose(r.X, X, atol=1e-4)
    assert any("[0, 1]" in n for n in r.notes)


# ---- reconstruction helpers -------------------------------------------------------------------------

def test_select_samples():
    e = np.array([0.3, 0.1, 0.9, 0.5])
    assert recon.select_samples(e, "worst", k=2).tolist() == [2, 3]
    assert recon.select_samples(e, "best", k=2).tolist() == [1, 0]
    assert recon.select_samples(e, "index", index=7).tolist() == [3]
    r = recon.select_samples(e, "random", k=3, seed=1)
    assert len(set(r.tolist())) == 3 and np.array_equal(r, recon.select_samples(e, "random", k=3, seed=1))
    assert recon.sweep_sizes(64) == (1, 2, 4, 8, 16) and recon.sweep_sizes(2) == (1, 2)


def test_worst_label_ratio():
    errors = np.array([1.0, 1.0, 1.0, 1.0, 6.0, 6.0])
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert recon.worst_label_ratio(errors, labels) == (2, pytest.approx(6.0))
    rows = recon.errors_by_label(errors, labels, ("x", "y", "z", "unused"))
    assert [r["label"] for r in rows] == ["x", "y", "z"] and rows[2]["mean"] == 6.0


# ---- figures ----------------------------------------------------------------------------------------

def _trace(fig, name):
    return next(t for t in fig.data if t.name and t.name.startswith(name))


def test_confusion_figure():
    cm = an.detection_metrics(NORMAL, ANOMALOUS, 0.3)["confusion"]
    assert np.array_equal(np.asarray(fa.confusion_figure(cm).data[0].z), cm)


def test_reconstruction_figures():
    x, x_hat = np.linspace(0, 1, 64), np.full(64, 0.5)
    trip = fr.image_triplet(x, x_hat, (8, 8))
    assert len(trip.data) == 3 and np.allclose(np.asarray(trip.data[2].z).ravel(), np.abs(x - x_hat))
    prof = fr.profile_overlay(x[:16], x_hat[:16], [f"f{i}" for i in range(16)])
    assert prof.data[1].fill == "tonexty" and "239, 68, 68" in prof.data[1].fillcolor  # red between the lines
    P = np.random.default_rng(0).normal(size=(10, 2))
    pts = fr.points_joined(P, P * 0.5, np.ones(10), highlight=np.array([1, 2]))
    assert len(pts.data[0].x) == 30 and np.isnan(pts.data[0].x[2])  # start, end, gap per point
    assert len(_trace(pts, "selected").x) == 2
    box = fr.error_by_label_figure(np.arange(6.0), np.array([0, 0, 1, 1, 2, 2]), ("a", "b", "c"), kind="box")
    assert [t.type for t in box.data] == ["box"] * 3
    sweep = fr.latent_sweep_figure([{"latent": 1, "train": 0.2, "test": 0.3}, {"latent": 2, "train": 0.1, "test": 0.2}],
                                   current=2)
    assert list(_trace(sweep, "test").y) == [0.3, 0.2] and _trace(sweep, "your latent").y[0] == 0.2
