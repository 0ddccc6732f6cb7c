"""Each "Try this" prompt of the Train, Architecture, Reconstruction and Variants pages, followed with the
analysis functions: what the prompt says will happen does happen at the app's settings. (The latent and
anomaly pages' prompts are followed in tests/test_holes.py and tests/test_anomaly_prompts.py.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from aeviz import DataConfig, Trainer, build, layer_table, load
from aeviz.analysis import compare as cmp
from aeviz.analysis import reconstruct, reconstruction_errors
from aeviz.analysis.recon import errors_by_label
from aeviz.datasets import defaults_for

_RUNS: dict = {}


def run(name: str, **changes) -> Trainer:
    """The run the app trains for dataset `name` at its defaults with `changes` (model or training fields)."""
    _, m, t = defaults_for(name)
    m = replace(m, **{k: v for k, v in changes.items() if hasattr(m, k)})
    t = replace(t, **{k: v for k, v in changes.items() if hasattr(t, k) and not hasattr(m, k)})
    key = (name, m, t)
    if key not in _RUNS:
        data = load(DataConfig(name))
        _RUNS[key] = Trainer(build(m, data, seed=t.seed), data, t).run()
    return _RUNS[key]


# ---------------------------------------------------------------- Train page


def test_learning_rate_10_stops_training_with_a_message_that_names_the_rate():
    tr = run("digits", lr=10.0)
    assert tr.error and "learning rate 10" in tr.error and tr.epoch < 100


@pytest.mark.slow
def test_latent_8_lowers_the_test_error():
    assert run("digits", latent=8).final("recon")[1] < 0.8 * run("digits").final("recon")[1]


def test_batch_2048_takes_one_step_per_epoch_and_learns_slower():
    tr = run("digits", batch_size=2048)
    assert np.ceil(len(tr.data.X_train) / 2048) == 1
    assert tr.final("recon")[1] > 1.2 * run("digits").final("recon")[1]  # 100 steps instead of 1,200


def test_the_seed_moves_the_error_a_little():
    errors = [run("digits", seed=s).final("recon")[1] for s in (42, 7)]
    assert errors[0] != errors[1] and abs(errors[0] - errors[1]) < 0.15 * min(errors)


# ---------------------------------------------------------------- Architecture page


def test_the_architecture_prompts_arithmetic():
    gw = load(DataConfig("gw"))
    _, m, _ = defaults_for("gw")
    assert m.hidden == (64, 32) and layer_table(m, gw.n_features)[1]["params"] == 16 * 64 + 64 == 1088
    code = {v: next(r for r in layer_table(replace(m, variant=v), 16) if r["part"] == "bottleneck")["params"]
            for v in ("autoencoder", "variational")}
    assert code["variational"] == 2 * code["autoencoder"]
    wide = layer_table(replace(defaults_for("digits")[1], hidden=(256, 16)), 64)
    biggest = sorted(wide, key=lambda r: -r["params"])[:2]
    assert {r["layer"] for r in biggest} == {"encoder 1", "output"}  # the layers next to the 64 pixels


# ---------------------------------------------------------------- Reconstruction page


def test_latent_8_sharpens_every_digit():
    data = load(DataConfig("digits"))
    by = {k: errors_by_label(reconstruction_errors(run("digits", latent=k).model, data.X_test), data.y_test,
                             data.label_names) for k in (2, 8)}
    better = sum(b["mean"] < a["mean"] for a, b in zip(by[2], by[8]))
    assert better >= 9


def test_a_4_number_code_helps_gw_s_worst_population():
    data = load(DataConfig("gw"))
    errs = {k: errors_by_label(reconstruction_errors(run("gw", latent=k).model, data.X_test), data.y_test,
                               data.label_names) for k in (2, 4)}
    worst = max(range(len(errs[2])), key=lambda i: errs[2][i]["mean"])
    assert errs[4][worst]["mean"] < 0.8 * errs[2][worst]["mean"]


def test_the_linear_variant_reconstructs_the_swiss_roll_onto_a_plane():
    tr = run("swiss_roll", variant="linear")
    X_hat = reconstruct(tr.model, tr.data.X_test)
    s = np.linalg.svd(X_hat - X_hat.mean(axis=0), compute_uv=False)
    assert s[2] < 1e-3 * s[0]  # a 2-number linear code: the reconstructions span a plane


# ---------------------------------------------------------------- Variants page


@pytest.mark.slow
@pytest.mark.parametrize("lam", [1e-2])
def test_a_stronger_sparsity_penalty_grows_the_spike_at_zero(lam):
    data = load(DataConfig("digits"))
    plain = run("digits")
    shares = [cmp.sparsity_view(plain.model, run("digits", variant="sparse", sparsity=s).model,
                                data.X_test)["shares"] for s in (1e-3, lam)]
    assert list(shares[1].values())[1] > list(shares[0].values())[1]


def test_gw_codes_classify_about_as_well_as_the_raw_features():
    tr = run("gw")
    res = cmp.code_usefulness(tr.model, tr.data, seed=42)
    assert res["code_auc"] >= res["raw_auc"] - 0.05 and res["code_dims"] * 8 == res["raw_dims"]
