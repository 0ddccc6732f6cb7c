"""Every "Try this" prompt on the Anomaly page does what it says, on the dataset it is shown for.

Each prompt is followed with the analysis functions (the same scenario, model and threshold rule as the
page) and its predicted effect checked; and every control a prompt names (in *italics*) exists on that
dataset's page, so no prompt sends a student to a preset or slider that is not there."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aeviz import DATASETS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import anomaly as an
from aeviz.ui import anomaly as anomaly_ui

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KIND = {name: anomaly_ui.prompt_kind(load(DataConfig(name=name))) for name in sorted(DATASETS)}


def _run(data):
    t = TrainConfig()
    return Trainer(build(ModelConfig(), data, seed=t.seed), data, t).run().model


@pytest.fixture(scope="module")
def models():
    """name -> (data, model trained as the page trains it), trained on first use."""
    cache = {}

    def get(name, held_out=()):
        if (name, held_out) not in cache:
            data = load(DataConfig(name=name))
            cache[name, held_out] = (data, _run(an.normal_subset(data, held_out) if held_out else data))
        return cache[name, held_out]
    return get


def _at(data, model, cfg, pct=95.0) -> dict:
    scn = an.scenario(data, model, cfg)
    return an.detection_metrics(scn.normal, scn.anomalous, an.threshold(scn.normal, "percentile", pct))


def _preset(name: str) -> an.AnomalyConfig:
    mu, sigma, nf = an.PRESETS[name]
    return an.AnomalyConfig(mu=mu, sigma=sigma, n_features=nf)


# ---- each prompt's predicted effect ---------------------------------------------------------------

def check_digits_only_unseen(models):
    data, model = models("digits", (7,))
    assert _at(data, model, an.AnomalyConfig(k=0))["detection_rate"] < _at(data, model, an.AnomalyConfig())["detection_rate"] - 0.2


def check_digits_hold_out_8(models):
    d7, m7 = models("digits", (7,))
    d8, m8 = models("digits", (8,))
    assert _at(d8, m8, an.AnomalyConfig(held_out=(8,)))["detection_rate"] < _at(d7, m7, an.AnomalyConfig())["detection_rate"]


def check_gw_subtle(models):
    data, model = models("gw")
    assert _at(data, model, _preset("subtle"))["detection_rate"] < _at(data, model, _preset("obvious"))["detection_rate"] - 0.3


def check_gw_literal(models):
    data, model = models("gw")
    literal = _at(data, model, _preset("literal"))["detection_rate"]
    assert literal >= 0.9 and literal >= _at(data, model, _preset("obvious"))["detection_rate"] - 0.05
    assert literal > _at(data, model, _preset("subtle"))["detection_rate"] + 0.3


def check_gw_more_features(models):
    data, model = models("gw")
    subtle = _preset("subtle")
    more = an.AnomalyConfig(mu=subtle.mu, sigma=subtle.sigma, n_features=6)
    assert _at(data, model, more)["detection_rate"] > _at(data, model, subtle)["detection_rate"] + 0.1


def check_points_closer(models):
    for name in [n for n, k in KIND.items() if k == "points"]:
        data, model = models(name)
        near, far = (_at(data, model, an.AnomalyConfig(distance=d))["detection_rate"] for d in (0.2, 1.0))
        assert near < far - 0.2, name


def check_threshold_80(models):
    for name in sorted(KIND):
        held = {"image": (7,), "labelled": load(DataConfig(name=name)).anomaly_labels}.get(KIND[name], ())
        data, model = models(name, held)
        cfg = an.AnomalyConfig()
        at95, at80 = _at(data, model, cfg, 95.0), _at(data, model, cfg, 80.0)
        assert at80["detection_rate"] >= at95["detection_rate"], name
        assert at80["false_positive_rate"] > at95["false_positive_rate"] + 0.1, name


def check_bin_rightmost(models):
    for name in sorted(KIND):
        held = {"image": (7,), "labelled": load(DataConfig(name=name)).anomaly_labels}.get(KIND[name], ())
        data, model = models(name, held)
        scn = an.scenario(data, model, an.AnomalyConfig(held_out=held) if held else an.AnomalyConfig())
        b = an.bins.bin_layout(scn.normal, scn.anomalous)  # the chart's bins (no upload)
        normal, anomalous = an.bins.in_bin(scn, b, b.n - 1)
        assert len(anomalous) >= 1 and len(normal) == 0, name


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


@pytest.mark.parametrize("prompt_id", sorted({pid for prompts in anomaly_ui.PROMPTS.values() for pid, _ in prompts}))
def test_each_prompt_does_what_it_says(models, prompt_id):
    CHECKS[prompt_id](models)


def test_every_prompt_has_a_check_and_every_kind_has_prompts():
    ids = {pid for prompts in anomaly_ui.PROMPTS.values() for pid, _ in prompts}
    assert ids == set(CHECKS)
    assert set(anomaly_ui.PROMPTS) == set(KIND.values())


# ---- each prompt names only what its page shows ------------------------------------------------------

def _page_words(at: AppTest) -> str:
    """Every widget label and option on the page, one per line."""
    words = []
    for kind in ("slider", "radio", "multiselect", "number_input", "checkbox", "selectbox"):
        for w in at.get(kind):
            words.append(w.label)
            words += [str(o) for o in getattr(w, "options", [])]
    return "\n".join(words)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_prompts_name_controls_that_this_page_shows(name):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["d_name"], at.query_params["t_epochs"] = name, "5"
    at.run()
    at.switch_page("pages/anomaly.py").run()
    assert not at.exception
    shown = [m.value for m in at.markdown if m.value.startswith("- ")]
    expected = [text for _, text in anomaly_ui.PROMPTS[KIND[name]]]
    assert shown and "\n".join(shown).replace("- ", "", 1).split("\n- ") == expected
    words = _page_words(at)
    for text in expected:
        for named in re.findall(r"\*([^*]+)\*", text):
            assert named in words, f"{name}: a prompt names '{named}', which this page does not show"
