"""The run taken home: the exported script (run in a subprocess) and notebook (executed with nbclient) reproduce
the app's final test error, and with the run's weights imported its numbers exactly."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from aeviz import export
from aeviz.analysis.anomaly import threshold
from aeviz.analysis.core import reconstruction_errors
from aeviz.analysis.latent import model_hole_rate
from aeviz.config import DataConfig
from aeviz.datasets import DATASETS, defaults_for, from_csv, load
from aeviz.io import weights_to_bytes
from aeviz.models import build
from aeviz.train import Trainer

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.03


def _table() -> bytes:
    """An uploaded table: 300 rows of six columns driven by two factors, a text label, a constant column and
    a few missing cells (dropped and filled by from_csv; the export must do the same)."""
    rng = np.random.default_rng(5)
    f = rng.normal(size=(300, 2))
    X = f @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    lines = ["u,v,w,x,y,z,site,const"]
    for i, row in enumerate(X):
        cells = [repr(float(v)) for v in row]
        if i % 37 == 5:
            cells[i % 6] = ""
        lines.append(",".join(cells) + f",{'north' if f[i, 0] > 0 else 'south'},3.5")
    return ("\n".join(lines) + "\n").encode()


TABLE = _table()

# name: (data config, model config, train config, export options); epochs cut so each run stays short
CASES = {}
for _name in ("digits", "gw", "line"):
    _d, _m, _t = defaults_for(_name)
    CASES[_name] = (_d, _m, dataclasses.replace(_t, epochs=15), {})
_d, _m, _t = defaults_for("gw")
CASES["gw variational"] = (_d, dataclasses.replace(_m, variant="variational"), dataclasses.replace(_t, epochs=15), {})
CASES["uploaded table"] = (DataConfig("upload"), defaults_for("gw")[1], dataclasses.replace(_t, epochs=15),
                           {"csv": TABLE, "label_column": "site"})


def _app_run(name):
    """What the app computes for a case: (trainer, dataset)."""
    d, m, t, options = CASES[name]
    data = from_csv(options["csv"], label_column=options["label_column"], random_state=d.seed,
                    test_size=d.test_size) if d.name == "upload" else load(d)
    return Trainer(build(m, data, seed=t.seed), data, t).run(), data


_RUNS: dict = {}


def app_run(name):
    if name not in _RUNS:
        _RUNS[name] = _app_run(name)
    return _RUNS[name]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_script(source: str, tmp_path: Path) -> str:
    path = tmp_path / "run.py"
    path.write_text(source)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, env=_env(),
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def run_notebook(source: str, tmp_path: Path, monkeypatch) -> str:
    from nbclient import NotebookClient

    nb = nbformat.reads(source, as_version=4)
    nbformat.validate(nb)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel inherits it
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream")


def final_error(stdout: str) -> float:
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"final test error: (\S+)", last)
    assert match, f"the last printed line is {last!r}"
    return float(match.group(1))


def _export(kind: str, name: str, **extra) -> str:
    d, m, t, options = CASES[name]
    return getattr(export, kind)(d, m, t, **options, **extra)


def _slow_but(*fast):
    return [n if n in fast else pytest.param(n, marks=pytest.mark.slow) for n in CASES]


@pytest.mark.parametrize("name", _slow_but("digits", "uploaded table"))
def test_the_script_reproduces_the_apps_final_test_error(name, tmp_path):
    trainer, _ = app_run(name)
    app = trainer.history[-1]["test_recon"]
    got = final_error(run_script(_export("script", name), tmp_path))
    assert got == pytest.approx(app, rel=TOLERANCE), (got, app)


@pytest.mark.parametrize("name", _slow_but("gw"))
def test_the_notebook_executed_reproduces_the_apps_final_test_error(name, tmp_path, monkeypatch):
    trainer, _ = app_run(name)
    got = final_error(run_notebook(_export("notebook", name), tmp_path, monkeypatch))
    assert got == pytest.approx(trainer.history[-1]["test_recon"], rel=TOLERANCE)


@pytest.mark.parametrize("name", _slow_but("digits", "uploaded table"))
def test_with_the_runs_weights_every_number_is_the_apps(name, tmp_path):
    trainer, data = app_run(name)
    weights = tmp_path / "run.pt"
    weights.write_bytes(weights_to_bytes(trainer.model))
    out = run_script(_export("script", name, weights_path=str(weights)), tmp_path)
    assert "training skipped" in out and "epoch" not in out
    assert final_error(out) == trainer.history[-1]["test_recon"]  # exactly: the same weights, the same sums
    holes = model_hole_rate(trainer.model, data.X_train).fraction
    assert f"hole fraction: {holes:.3f} of 1,000 draws" in out
    thr = threshold(reconstruction_errors(trainer.model, data.X_test), "percentile", 95)
    assert f"95th-percentile threshold: {thr:.6g} " in out
    n_params = sum(p.numel() for p in trainer.model.parameters())
    assert f"total: {n_params:,} parameters" in out


@pytest.mark.slow
def test_the_notebook_with_weights_gives_the_apps_number(tmp_path, monkeypatch):
    trainer, _ = app_run("line")
    weights = tmp_path / "run.pt"
    weights.write_bytes(weights_to_bytes(trainer.model))
    out = run_notebook(_export("notebook", "line", weights_path=str(weights)), tmp_path, monkeypatch)
    assert final_error(out) == trainer.history[-1]["test_recon"]


@pytest.mark.parametrize("variant", ["autoencoder", "linear", "denoising", "sparse", "contractive", "variational"])
def test_every_variants_model_has_aevizs_layers_and_weight_names(variant):
    """The script's model, built in-process from its own code, has the state dict aeviz's model has."""
    d, m, t = defaults_for("gw")
    m = dataclasses.replace(m, variant=variant, sparse_hidden=True, mask_prob=0.1)
    sections = export.sections(d, m, dataclasses.replace(t, epochs=1))
    env: dict = {}
    for _, code in sections[:3]:  # settings, data, model
        exec(compile(code, "<export>", "exec"), env)
    theirs = env["model"].state_dict()
    ours = build(m, load(d), seed=t.seed).state_dict()
    assert list(theirs) == list(ours)
    for k in ours:
        np.testing.assert_array_equal(theirs[k].numpy(), ours[k].numpy())  # the same seeded initialisation


def test_the_code_is_plain_torch_numpy_and_scikit_learn():
    for name in ("digits", "uploaded table"):
        source = _export("script", name)
        ast.parse(source)
        imports = {line.split()[1].split(".")[0] for line in source.splitlines()
                   if line.startswith(("import ", "from "))}
        assert imports <= {"math", "numpy", "torch", "sklearn", "csv", "io"}, imports
        loop = [source.index(s) for s in ("optimizer.zero_grad()", "loss_terms(xb, training=True)",
                                          '.backward()', "optimizer.step()")]
        assert loop == sorted(loop)
    assert "from aeviz.datasets import DATASETS" in _export("script", "gw")  # aeviz's own synthetic data


def test_the_table_is_embedded_exactly():
    text = export.table_csv(TABLE, label_column="site")
    header = text.splitlines()[0]
    assert header == "u,v,w,x,y,z,site"  # the constant column dropped, the label last
    data = from_csv(TABLE, label_column="site", random_state=42)
    raw = np.genfromtxt(text.splitlines()[1:], delimiter=",", usecols=range(6))
    restored = data.X * data.feature_scale + data.feature_mean
    ok = ~np.isnan(raw)
    np.testing.assert_allclose(restored[ok], raw[ok], rtol=1e-5, atol=1e-5)


def test_an_upload_without_its_bytes_and_an_unknown_dataset_are_refused():
    d, m, t, _ = CASES["uploaded table"]
    with pytest.raises(ValueError, match="needs its bytes"):
        export.script(d, m, t)
    with pytest.raises(ValueError, match="Unknown dataset"):
        export.script(DataConfig("nope"), m, t)


@pytest.mark.parametrize("name", [*sorted(DATASETS), "upload", "upload from a path"])
def test_the_exported_data_section_rebuilds_the_same_rows(name, tmp_path):
    """Run the settings and data steps in-process: the same X, split and labels as aeviz's loader, exactly."""
    d, m, t, options = (CASES["uploaded table"] if name.startswith("upload")
                        else (DataConfig(name), *defaults_for(name)[1:], {}))
    if name == "upload from a path":
        path = tmp_path / "table.csv"
        path.write_text(export.table_csv(TABLE, label_column="site"), encoding="utf-8")
        options = {**options, "csv_path": str(path)}
    env: dict = {}
    for _, code in export.sections(d, m, t, **options)[:2]:
        exec(compile(code, "<export>", "exec"), env)
    data = from_csv(TABLE, label_column="site", random_state=d.seed) if d.name == "upload" else load(d)
    np.testing.assert_array_equal(env["X"], data.X)
    np.testing.assert_array_equal(env["y"], data.y)
    np.testing.assert_array_equal(env["train_idx"], data.train_idx)
    np.testing.assert_array_equal(env["test_idx"], data.test_idx)
    assert env["X"].dtype == np.float32
