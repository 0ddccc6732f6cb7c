"""js/traversal.js against aeviz.analysis.units under `node --test`, no browser: this test writes the traversal
fixtures from the real Python functions (trained runs' payloads, as the page sends them, with `units.traversal`'s
codes and torch's decodings) and runs tests/js/units/*.test.mjs on them. Without node the test is skipped, unless
CI or AEVIZ_REQUIRE_BROWSER is set."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import encode
from aeviz.analysis import units as un
from aeviz.ui.components import bundle
from test_js import _node

HERE = Path(__file__).resolve().parent
TESTS = sorted((HERE / "js" / "units").glob("*.test.mjs"))


def _traversal_cases() -> list[dict]:
    """Trained runs (an image set at 784 and 64 inputs, a table, a VAE, a 1-number code) with their traversals."""
    out = []
    for dataset, variant, latent, act, steps in [("mnist", "autoencoder", 2, "relu", 9), ("digits", "variational", 3,
                                                 "elu", 7), ("gw", "autoencoder", 5, "tanh", 5),
                                                ("line", "autoencoder", 1, "leaky_relu", 3)]:
        data = load(DataConfig(dataset))
        model = build(ModelConfig(variant=variant, latent=latent, activation=act), data, seed=1)
        run = Trainer(model, data, TrainConfig(epochs=3)).run()
        p = un.traversal_payload(run.model, data)
        t = un.traversal(run.model, encode(run.model, data.X_train), steps)
        out.append({"name": f"{dataset}/{variant}/{latent}/{act}", "payload": p, "steps": steps,
                    "offsets": t.offsets.tolist(), "Z": t.Z.astype(float).tolist(), "X": t.X.astype(float).tolist(),
                    "mean32": t.mean.astype(np.float32).astype(float).tolist()})
    return out


def test_traversal_parity_under_node(tmp_path):
    """`node --test` on tests/js/units/: every test runs (none skipped) and passes."""
    node = _node()
    assert TESTS, "no tests/js/units/*.test.mjs"
    (tmp_path / "traversal.json").write_text(json.dumps(_traversal_cases()), encoding="utf-8")
    proc = subprocess.run([node, "--test", "--test-reporter=tap", *map(str, TESTS)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "AEVIZ_JS_FIXTURES": str(tmp_path)})
    summary = dict(re.findall(r"^# (tests|pass|fail|skipped|cancelled|todo) (\d+)$", proc.stdout, re.M))
    assert proc.returncode == 0 and summary.get("fail") == "0", proc.stdout[-4000:] + proc.stderr
    assert int(summary.get("pass", 0)) >= 3 and summary.get("skipped", "0") == "0", summary


def test_the_traversal_script_assembles_with_the_shared_decoder():
    """The component's script imports the decoder from maths.js (one copy of it), not a fork."""
    text = bundle.script("traversal.js")
    assert "js/maths.js" in text and "js/traversal.js" in text
    assert text.count("export function decode(") == 1
    assert "function decode(" not in (HERE.parent / "aeviz/ui/components/js/traversal.js").read_text()
