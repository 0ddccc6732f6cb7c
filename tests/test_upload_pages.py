"""Every page on a session's own uploaded table (AppTest): the sidebar's "Your own table", a small labelled
table, each page opened with no exception; without a table the pages say to upload one; a link made on the
table names no table and opens the default dataset with a note; the run stays in this session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aeviz.datasets import UPLOAD
from aeviz.fields import UPLOAD_LINK_NOTE
from aeviz.ui.state import CONFIGS, TABLE_RUNS
from aeviz.ui.table_upload import NO_TABLE

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ["pages/home.py", "pages/train.py", "pages/architecture.py", "pages/latent.py", "pages/reconstruction.py",
         "pages/anomaly.py", "pages/compare.py"]
COLUMNS = ["pressure", "flow", "temp", "vibration", "current", "humidity"]


def lab_table(n: int = 300, seed: int = 0) -> bytes:
    """n rows of 6 correlated measurements and a label column ("ok" or "fault": every tenth row is shifted)."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 2))
    X = t @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))
    fault = np.arange(n) % 10 == 0
    X[fault] += 3.0
    lines = [",".join([*COLUMNS, "status"])]
    lines += [",".join(f"{v:.5f}" for v in row) + ("," + ("fault" if f else "ok")) for row, f in zip(X, fault)]
    return ("\n".join(lines) + "\n").encode()


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    return at


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _on_upload(at: AppTest, *, label: str | None = "status", anomalies=("fault",), epochs: int = 20) -> AppTest:
    at.selectbox(key="w_dataset").set_value(UPLOAD).run()
    _clean(at)
    at.number_input(key="w_epochs").set_value(epochs).run()
    at.get("file_uploader")[0].set_value(("lab.csv", lab_table(), "text/csv"))
    at.run()
    _clean(at)
    if label:
        at.selectbox(key="tbl_label").set_value(label).run()
    if anomalies:
        at.multiselect(key="tbl_anomalies").set_value(list(anomalies)).run()
    _clean(at)
    return at


def test_without_a_table_every_page_says_to_upload_one():
    at = _app()
    at.selectbox(key="w_dataset").set_value(UPLOAD).run()
    _clean(at)
    for page in PAGES[1:]:
        at.switch_page(page).run()
        _clean(at)
        assert any(NO_TABLE in i.value for i in at.info), page


@pytest.mark.slow
def test_every_page_works_on_an_uploaded_table():
    at = _on_upload(_app())
    cfg = at.session_state[CONFIGS][0]
    assert cfg.name == UPLOAD and len(cfg.table) == 16
    for page in PAGES:
        at.switch_page(page).run()
        _clean(at)
        assert not any(NO_TABLE in i.value for i in at.info), page
        assert not at.error, (page, [e.value for e in at.error])
    # the anomaly page scores the rows labelled "fault", not injected ones
    at.switch_page("pages/anomaly.py").run()
    assert any("fault" in m.value for m in [*at.markdown, *at.info, *at.caption])
    runs = at.session_state[TABLE_RUNS]
    assert runs and all(k[0].table == cfg.table if not isinstance(k[0], str) else k[1].table == cfg.table
                        for k in runs)


def test_a_link_to_an_upload_opens_the_default_with_a_note():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["d_name"] = UPLOAD
    at.query_params["m_latent"] = "3"
    at.run()
    _clean(at)
    d, m, _ = at.session_state[CONFIGS]
    assert d.name == "digits" and d.table == "" and m.latent == 3
    note = UPLOAD_LINK_NOTE.format(default="Digits (8×8 images)")
    assert any(note in w.value.replace("\\", "") for w in at.sidebar.warning)  # (shown as plain text)


def test_a_link_cannot_name_a_table():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["d_table"] = "0123456789abcdef"
    at.run()
    _clean(at)
    assert at.session_state[CONFIGS][0].table == ""
    assert any("d_table" in w.value.replace("\\", "") for w in at.sidebar.warning)
