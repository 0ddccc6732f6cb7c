"""Take it home from an uploaded table, through the app: the Train page's "Take it home" and the Share box
offer the notebook and the script; the script of the session's table (its bytes and label column, as the
buttons pass them) reproduces the run the app trained within 3 %, and with that run's weights exactly (the
section's "Try this" prompt predicts both)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aeviz import export
from aeviz.io import weights_to_bytes
from aeviz.ui.export import HOME_TRY
from aeviz.ui.share import OPEN_KEY
from aeviz.ui.state import CONFIGS, TABLE, TABLE_RUNS
from test_export import TOLERANCE, final_error, run_script
from test_upload_pages import APP, _clean, _on_upload

LABELS = ["Download as a notebook (.ipynb)", "Download as a Python script (.py)"]


def _session_table(at: AppTest, cfg):
    """The session's reading that the settings name (what the buttons hand to aeviz.export)."""
    return next(u for u in at.session_state[TABLE].values() if u.table == cfg.table)


@pytest.mark.slow
def test_the_exported_script_of_an_upload_reproduces_the_apps_run(tmp_path):
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at = _on_upload(at, anomalies=(), epochs=30)
    at.switch_page("pages/reconstruction.py").run()  # trains this session's run on its table
    _clean(at)
    cfgs = at.session_state[CONFIGS]
    run = at.session_state[TABLE_RUNS][cfgs]
    at.switch_page("pages/train.py").run()
    _clean(at)
    assert [b.label for b in at.main.get("download_button")] == LABELS
    assert any(HOME_TRY in m.value for m in at.markdown)
    at.session_state[OPEN_KEY] = True
    at.run()
    assert [b.label for b in at.sidebar.get("download_button")][:2] == LABELS
    assert any("cannot be shared" in w.value for w in at.sidebar.warning)
    upload = _session_table(at, cfgs[0])
    options = {"csv": upload.raw, "label_column": upload.label_column}
    assert options["label_column"] == "status"
    app = run.history[-1]["test_recon"]
    got = final_error(run_script(export.script(*cfgs, **options), tmp_path))
    assert got == pytest.approx(app, rel=TOLERANCE), (got, app)
    weights = tmp_path / "run.pt"
    weights.write_bytes(weights_to_bytes(run.model))
    assert final_error(run_script(export.script(*cfgs, **options, weights_path=str(weights)), tmp_path)) == app
