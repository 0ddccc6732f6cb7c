"""The in-browser components' JavaScript modules (aeviz/ui/components/js/) against the Python they repeat, under
`node --test`, no browser: this test writes JSON fixtures from the real Python functions (the decoder of every
variant and activation, trained runs' latent-map payloads with `la.hole_test`'s verdicts and `la.interpolate`'s
paths, the anomaly threshold's rates, percentiles and ROC curves, its histogram's bins, Python's number formats) to a temporary directory,
then runs tests/js/*.test.mjs on them. Node is needed: without it the test is skipped, unless CI or
AEVIZ_REQUIRE_BROWSER is set, where a missing node is a failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import numpy as np
import pytest

from aeviz import DATASETS, VARIANTS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import anomaly as an
from aeviz.analysis import decode, draw, encode
from aeviz.analysis import latent as la
from aeviz.analysis import latent_map as lm
from aeviz.activations import ACTIVATIONS, JS_MODULE, js_module
from aeviz.ui.components import bundle
from aeviz.ui.components import threshold as tc

HERE = Path(__file__).resolve().parent
TESTS = sorted((HERE / "js").glob("*.test.mjs"))


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        if os.environ.get("CI") or os.environ.get("AEVIZ_REQUIRE_BROWSER"):
            pytest.fail("node is missing (apt-get install nodejs): the JS parity tests cannot run")
        pytest.skip("the JS parity tests need node (Debian's nodejs)")
    return node


def _decoder_cases() -> list[dict]:
    """Untrained decoders (seed 7) of every dataset, variant and activation, with torch's decodings of 16 points."""
    rng = np.random.default_rng(0)
    combos = [(d, v, a, 2) for d in DATASETS for v in VARIANTS
              for a in (tuple(ACTIVATIONS)[:1] if v == "linear" else tuple(ACTIVATIONS))]
    combos += [("gw", "autoencoder", "tanh", 5), ("line", "variational", "elu", 1)]
    out = []
    for dataset, variant, act, latent in combos:
        data = load(DataConfig(dataset))
        model = build(ModelConfig(variant=variant, activation=act, latent=latent), data, seed=7)
        out.append(_coder_case(f"{dataset}/{variant}/{act}/{latent}", model, data, rng))
    for dataset in ("mnist", "digits"):  # trained (2 epochs): weights as training leaves them
        data = load(DataConfig(dataset))
        for variant in VARIANTS:
            run = Trainer(build(ModelConfig(variant=variant), data, seed=7), data, TrainConfig(epochs=2)).run()
            out.append(_coder_case(f"{dataset}/{variant}/trained", run.model, data, rng))
    return out


def _coder_case(name: str, model, data, rng) -> dict:
    """One model's payload layers with torch's decodings of 16 codes and encodings (μ for a VAE) of 8 inputs;
    the tolerance is 1e-5 when every layer is exact float32, 1e-3 when one travels as 16-bit steps."""
    latent = model.cfg.latent
    Z = np.concatenate([rng.normal(0, 1, (8, latent)), rng.normal(0, 6, (8, latent))]).astype(np.float32)
    X = data.X_train[rng.choice(len(data.X_train), 8, replace=False)]
    dec, enc = lm.decoder_layers(model), lm.encoder_layers(model)
    exact = all("w" in layer for layer in dec + enc)
    return {"name": name, "layers": dec, "Z": Z.tolist(), "X": decode(model, Z).astype(float).tolist(),
            "encoder": enc, "latent": latent, "inputs": X.astype(float).tolist(),
            "codes": encode(model, X).astype(float).tolist(), "tol": 1e-5 if exact else 1e-3}


def _ties(index: la.CodeIndex, Z: np.ndarray) -> dict[int, list[int]]:
    """Points of Z whose nearest reference code is a tie within 1e-6 (float64, standardised): index -> the tied rows.
    float32 (Python) and float64 (JS) arithmetic may break such a tie either way."""
    ref = (index.codes.astype(np.float64) - index.center) / index.scale  # (n, latent)
    u = (np.asarray(Z, np.float64) - index.center) / index.scale  # (m, latent)
    d = np.sqrt(((u[:, None, :] - ref[None, :, :]) ** 2).sum(-1))  # (m, n)
    near = d <= d.min(1, keepdims=True) + 1e-6
    return {int(i): np.flatnonzero(near[i]).tolist() for i in np.flatnonzero(near.sum(1) > 1)}


def _latent_cases() -> list[dict]:
    """Trained runs' payloads with the hole rule's answers for points on and off the map's plane, at three radii,
    the plane's points, and an interpolation path through a hole."""
    out = []
    for dataset, variant, latent in [("digits", "autoencoder", 2), ("digits", "variational", 3), ("gw", "autoencoder", 4),
                                     ("line", "autoencoder", 1), ("swiss_roll", "variational", 2)]:
        data = load(DataConfig(dataset))
        run = Trainer(build(ModelConfig(variant=variant, latent=latent), data, seed=42), data,
                      TrainConfig(epochs=5)).run()
        v = la.latent_view(run.model, data)
        p = lm.latent_map_payload(run.model, data, v, run_id=f"js-{dataset}-{variant}-{latent}")
        rng = np.random.default_rng(3)
        ab = rng.uniform(v.lo - 0.2 * (v.hi - v.lo), v.hi + 0.2 * (v.hi - v.lo), (200, 2)).astype(np.float32)
        if latent == 1:
            ab[:, 1] = 0
        on_plane = v.plane.to_latent(ab)
        drawn = v.index.unstandardise(la.sample_normal(200, latent, 1.0, seed=5))  # off the plane for latent > 2
        Z = np.concatenate([on_plane, drawn]).astype(np.float32)
        radii = [v.radius, 0.5 * v.radius, 2 * v.radius]
        holes = []
        for r in radii:
            dist, idx, hole = la.hole_test(v.index, Z, r)
            holes.append({"r": r, "dist": dist.astype(float).tolist(), "row": idx.tolist(), "hole": hole.tolist(),
                          "edge": (np.abs(dist - r) < 1e-5).tolist()})  # float32 vs float64 could decide these
        a, b = la.default_ends(data)
        za, zb = encode(run.model, data.X[[a, b]])
        far = v.index.unstandardise(np.full((1, latent), 4.0, np.float32))[0]  # off the codes: the path meets holes
        paths = []
        for end in (zb, far):
            path = la.interpolate(run.model, v.index, za, end, 13, v.radius)
            paths.append({"za": za.astype(float).tolist(), "zb": np.asarray(end, np.float32).astype(float).tolist(),
                          "k": 13, "r": v.radius, "t": path.t.astype(float).tolist(),
                          "Z": path.Z.astype(float).tolist(), "X": path.X.astype(float).tolist(),
                          "dist": path.dist.astype(float).tolist(), "row": path.nearest.tolist(),
                          "hole": path.holes.tolist(),
                          "labels": [int(x) for x in la.path_labels(path, data.y[data.train_idx])],
                          "ties": _ties(v.index, path.Z)})
        out.append({"name": f"{dataset}/{variant}/{latent}", "payload": p, "ab": ab.astype(float).tolist(),
                    "plane_z": on_plane.astype(float).tolist(), "Z": Z.astype(float).tolist(), "holes": holes,
                    "ties": _ties(v.index, Z),
                    "paths": paths, "sample_ids": [int(i) for i in data.train_idx[: p["n"]]],
                    "codes": lm.drawn_codes(p).astype(float).tolist()})
    return out


def _strokes() -> dict[str, list]:
    """Drawings as a pad records them (pixels, y down): a 1, a 0, a 7 in two strokes, a dot, a scribble, an L."""
    rng = np.random.default_rng(11)
    t = np.linspace(0, 2 * np.pi, 60)
    return {
        "one": [[[150, 40 + 4 * i] for i in range(50)]],
        "zero": [np.c_[140 + 55 * np.sin(t), 140 - 90 * np.cos(t)].round(2).tolist()],
        "seven": [[[60, 50], [120, 50], [200, 52]], [[200, 52], [150, 150], [110, 250]]],
        "dot": [[[10, 10]]],
        "scribble": [np.cumsum(rng.normal(0, 6, (80, 2)), 0).round(3).tolist()],
        "wide": [[[0, 0], [300, 20]]],
        "two-strokes-and-an-empty-one": [[[20, 20], [20, 120]], [], [[20, 120], [90, 120]]],
    }


def _draw_cases() -> list[dict]:
    """The Python preprocessing of each drawing in each format (aeviz.analysis.draw), and an empty drawing."""
    out = []
    for spec in draw.SPECS.values():
        for name, strokes in _strokes().items():
            img = draw.preprocess(strokes, spec)
            out.append({"name": f"{name}/{spec['size']}", "spec": spec, "strokes": strokes,
                        "image": img.ravel().tolist()})
        out.append({"name": f"empty/{spec['size']}", "spec": spec, "strokes": [[]], "image": None})
    return out


def _nan(x: float):
    return "nan" if isinstance(x, float) and np.isnan(x) else x


def _rate_cases() -> list[dict]:
    """Error arrays (float32 like the page's, ties, float64, one class empty) with detection_metrics at thresholds
    on, between, below and above the errors, numpy's percentiles and the ROC curve."""
    rng = np.random.default_rng(7)
    arrays = []
    for i, (n, k) in enumerate([(160, 50), (324, 86), (7, 3), (1, 1), (500, 200)]):
        arrays.append((f"lognormal-{n}-{k}", rng.lognormal(-3, 0.5, n).astype(np.float32),
                       rng.lognormal(-2 + 0.3 * i, 1.0, k).astype(np.float32)))
    coarse = rng.integers(0, 12, 120).astype(np.float32) / 8  # many exact ties, within and across classes
    arrays.append(("ties", coarse[:80], coarse[80:] + np.float32(0.25)))
    arrays.append(("float64", rng.random(90), rng.random(40) + 0.3))
    arrays.append(("no-anomalies", rng.random(30).astype(np.float32), np.zeros(0, np.float32)))
    out = []
    for name, normal, anomalous in arrays:
        data = tc.payload(normal, anomalous, mode="percentile", pct=95.0, threshold=0.0, log_x=True)
        every = np.concatenate([normal, anomalous]).astype(float)
        thresholds = sorted({float(v) for v in every[:: max(1, len(every) // 15)]} | {-1.0, 0.0, 1e9}
                            | {float(v) + 1e-7 for v in every[:5]})
        metrics = []
        for t in thresholds:
            m = an.detection_metrics(normal, anomalous, t)
            metrics.append({k: _nan(float(m[k])) for k in ("detection_rate", "false_positive_rate", "precision", "f1")}
                           | {k: int(m[k]) for k in ("tp", "fp", "tn", "fn")})
        percentiles = [50.0, 62.3, 80.0, 90.0, 95.0, 97.5, 99.0, 99.9, 100.0]
        case = {"name": name, "dtype": data["dtype"], "normal": data["normal"], "anomalous": data["anomalous"],
                "values": [normal.astype(float).tolist(), anomalous.astype(float).tolist()],
                "thresholds": thresholds, "metrics": metrics, "percentiles": percentiles,
                "percentile_values": [an.threshold(normal, "percentile", p) for p in percentiles]}
        if len(anomalous):
            ref = an.roc(normal, anomalous)
            case["roc"] = {"fpr": ref["fpr"].tolist(), "tpr": ref["tpr"].tolist(), "auc": float(ref["auc"]),
                           "thresholds": ["inf" if np.isinf(t) else float(t) for t in ref["thresholds"]]}
        out.append(case)
    return out


def _bin_cases() -> list[dict]:
    """The threshold histogram's bins (aeviz.analysis.anomaly.bins) for error arrays as the chart receives them
    (components.threshold.payload's bytes): log and linear axes, uploaded ticks widening the axis, errors exactly
    on bin edges, errors under the log floor, one value repeated, no errors at all."""
    rng = np.random.default_rng(11)
    arrays = [("lognormal", rng.lognormal(-3, 0.5, 300).astype(np.float32), rng.lognormal(-1.5, 1.0, 90).astype(np.float32),
               None),
              ("with-upload", rng.lognormal(-3, 0.5, 120).astype(np.float32), rng.lognormal(-2, 0.8, 40).astype(np.float32),
               rng.lognormal(0, 2, 30)),
              ("floored", np.r_[np.zeros(5), rng.random(40) * 1e-9, rng.random(40)].astype(np.float32),
               rng.random(10).astype(np.float32) + 1, None),
              ("one-value", np.full(20, 0.25, np.float32), np.full(3, 0.25, np.float32), None),
              ("empty", np.zeros(0, np.float32), np.zeros(0, np.float32), None)]
    edges = 0.5 + 0.125 * np.arange(41)  # float64 values exactly on the edges of 40 bins from 0.5 to 5.5
    arrays.append(("on-edges", edges[:30], edges[30:], None))
    below = np.nextafter(edges[1:-1], -np.inf)  # a hair under each inner edge: the bin before it
    arrays.append(("under-edges", np.r_[edges[0], below[:20]], np.r_[below[20:], edges[-1]], None))
    out = []
    for name, normal, anomalous, uploaded in arrays:
        for log in (True, False):
            for n_bins in (40, 7):
                data = tc.payload(normal, anomalous, mode="percentile", pct=95.0, threshold=0.0, log_x=log,
                                  uploaded=uploaded, bins=n_bins)
                b = tc.bins_of(data)
                sent = [tc.decode_floats(data[k], data["dtype"]) for k in ("normal", "anomalous", "uploaded")]
                out.append({"name": f"{name}/{'log' if log else 'linear'}/{n_bins}", "payload": data,
                            "lo": b.lo, "size": b.size, "bins": b.n,
                            "index": [an.bins.bin_of(v, b).tolist() for v in sent],
                            "counts": [an.bins.counts(v, b).tolist() for v in sent[:2]]})
    return out


def _format_cases() -> dict:
    """Python's f"{x:.3g}" and f"{x:.2f}" of awkward numbers (ties, tiny, huge, negative)."""
    xs = [0.0, 1.0, -1.0, 0.125, 0.625, 2.675, 1234.5, 0.000123456, 1e-5, 123456789.0, -0.0049, 0.995, 99.95,
          1 / 3, 2 / 3, 0.5, 1.5, 2.5, 0.015, 0.025, 0.035, 5e-324]
    return {"g3": [[x, f"{x:.3g}"] for x in xs], "fixed2": [[x, f"{x:.2f}"] for x in xs]}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    """The JSON fixtures, written from the Python functions, and the components' assembled scripts."""
    out = tmp_path_factory.mktemp("js-fixtures")
    for name, make in [("decoder", _decoder_cases), ("latent", _latent_cases), ("rates", _rate_cases),
                       ("bins", _bin_cases), ("formats", _format_cases), ("draw", _draw_cases)]:
        (out / f"{name}.json").write_text(json.dumps(make()), encoding="utf-8")
    for entry in ("latent_map.js", "latent_path.js", "threshold.js"):  # as Streamlit receives them
        (out / entry.replace(".js", ".bundle.mjs")).write_text(bundle.script(entry), encoding="utf-8")
    return out


def test_node_parity_tests_pass(fixtures):
    """`node --test` on tests/js/: every test runs (none skipped) and passes."""
    node = _node()
    assert TESTS, "no tests/js/*.test.mjs"
    proc = subprocess.run([node, "--test", "--test-reporter=tap", *map(str, TESTS)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "AEVIZ_JS_FIXTURES": str(fixtures)})
    summary = dict(re.findall(r"^# (tests|pass|fail|skipped|cancelled|todo) (\d+)$", proc.stdout, re.M))
    failures = [line for line in proc.stdout.splitlines() if line.lstrip().startswith("not ok")]
    assert proc.returncode == 0 and summary.get("fail") == "0", "\n".join(failures) + proc.stdout[-4000:] + proc.stderr
    assert int(summary.get("pass", 0)) >= 10 and summary.get("skipped", "0") == "0", summary
    print(f"node --test: {summary}")


def test_the_browsers_activations_are_written_from_the_python_registry():
    """One definition: js/activations.js is what aeviz.activations.js_module() writes from ACTIVATIONS."""
    committed = (ROOT / JS_MODULE).read_text(encoding="utf-8")
    assert committed == js_module(), "run: python -c \"import aeviz.activations as a; a.write_js()\""
    for name in ACTIVATIONS:
        assert f"  {name}: " in committed
