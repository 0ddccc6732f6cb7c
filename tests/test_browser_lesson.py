"""The main lesson path in a real browser, on each dataset: the numbers the pages show are the numbers the
analysis functions compute for the same settings (the server and this test train the same seeded models)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from aeviz import DataConfig, Trainer, build, layer_table, load
from aeviz.analysis import anomaly
from aeviz.analysis import latent as la
from aeviz.datasets import defaults_for

from conftest import wait_for_app

pytestmark = pytest.mark.browser

DATASETS = ("digits", "gw", "line", "swiss_roll")
_RUNS: dict = {}


def _trained(data, model_cfg, train_cfg):
    """The model the server trains for these settings (same seed, same data)."""
    key = (data.name, len(data.X_train), model_cfg, train_cfg)
    if key not in _RUNS:
        _RUNS[key] = Trainer(build(model_cfg, data, seed=train_cfg.seed), data, train_cfg).run().model
    return _RUNS[key]


def _text(page, url: str, ready: str | None = None) -> str:
    page.goto(url)
    if ready:
        page.get_by_text(ready).first.wait_for(timeout=300_000)
    wait_for_app(page, timeout=300_000)
    return page.locator("body").inner_text()


@pytest.mark.parametrize("name", DATASETS)
def test_architecture_counts_the_parameters_the_model_has(name, server_url, page):
    _, m, _ = defaults_for(name)
    data = load(DataConfig(name))
    total = sum(r["params"] for r in layer_table(m, data.n_features))
    _text(page, f"{server_url}/architecture?d_name={name}", f"Total: {total:,} trainable parameters")


@pytest.mark.parametrize("name", DATASETS)
def test_anomaly_rates_are_the_analysis_rates(name, server_url, page):
    _, m, t = defaults_for(name)
    data = load(DataConfig(name))
    acfg = anomaly.AnomalyConfig()
    if data.kind == "image":  # the page trains on the normal classes only
        model = _trained(anomaly.normal_subset(data, acfg.held_out), m, t)
    else:
        model = _trained(data, m, t)
    scn = anomaly.scenario(data, model, acfg)
    thr = anomaly.threshold(scn.normal, "percentile", 95.0)
    want = anomaly.detection_metrics(scn.normal, scn.anomalous, thr)
    body = _text(page, f"{server_url}/anomaly?d_name={name}", "At threshold τ")
    found = re.search(r"At threshold τ = ([\d.e+-]+).*?detection rate ([\d.]+)%.*?false-positive rate ([\d.]+)%",
                      body, re.S)
    assert found, body[:2000]
    assert float(found.group(1)) == pytest.approx(thr, rel=2e-3)
    assert float(found.group(2)) == pytest.approx(100 * want["detection_rate"], abs=0.06)
    assert float(found.group(3)) == pytest.approx(100 * want["false_positive_rate"], abs=0.06)


def test_variants_hole_fractions_are_the_one_rules(server_url, page):
    data = load(DataConfig("digits"))
    _, m, t = defaults_for("digits")
    want = {v: la.model_hole_rate(_trained(data, replace(m, variant=v), t), data.X_train).fraction
            for v in ("autoencoder", "variational")}
    body = _text(page, f"{server_url}/compare", "Hole fraction")
    shown = [int(p) for p in re.findall(r"Hole fraction[^%]*?(\d+)%", body)]
    for _ in range(60):  # the tiles arrive with the rest of the run: read until both are on the page
        if len(shown) >= 2:
            break
        page.wait_for_timeout(1000)
        body = page.locator("body").inner_text()
        shown = [int(p) for p in re.findall(r"Hole fraction[^%]*?(\d+)%", body)]
    assert shown[:2] == [round(100 * want["autoencoder"]), round(100 * want["variational"])], body[:3000]
