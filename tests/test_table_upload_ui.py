"""The new UI sections under AppTest: training on an uploaded table (its notes, its one message, its label
column and anomaly labels, kept in its own session) and the run's notebook and script downloads."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from aeviz.ui.table_upload import TABLE


def _section():
    from aeviz.ui.table_upload import table_upload_section

    table_upload_section()


def _buttons():
    from aeviz.config import DEFAULTS
    from aeviz.ui.export import export_buttons

    export_buttons(DEFAULTS)


def _table(n: int = 60) -> bytes:
    rng = np.random.default_rng(0)
    t = rng.normal(size=n)
    lines = ["a,b,c,const,kind"] + [f"{t[i]:.5f},{2 * t[i]:.5f},{rng.normal():.5f},1,{'odd' if i % 4 == 0 else 'ok'}"
                                    for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.get("file_uploader")[0].set_value((name, data, "text/csv"))
    at.run()


def _app(fn) -> AppTest:
    at = AppTest.from_function(fn, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_a_table_with_a_text_label_column_trains_after_the_label_is_chosen():
    at = _app(_section)
    _upload(at, "lab.csv", _table())
    assert not at.exception
    assert any("'kind' holds text" in e.value and "label column" in e.value for e in at.error)  # first: no label
    at.selectbox(key="tbl_label").set_value("kind").run()
    assert not at.exception and not at.error
    assert any("60 rows, 3 feature columns" in s.value for s in at.success)
    assert any("'const'" in i.value for i in at.info)  # the constant column's note
    at.multiselect(key="tbl_anomalies").set_value(["odd"]).run()
    reading = next(v for k, v in at.session_state[TABLE].items() if k[2] == ("odd",))
    assert reading.dataset.anomaly_labels == (reading.dataset.label_names.index("odd"),)
    assert "Try this" in at.markdown[-1].value


def test_a_bad_table_gets_one_message_and_another_session_sees_nothing():
    at = _app(_section)
    _upload(at, "one.csv", b"a,b\n1,2\n")
    assert [e.value for e in at.error] == ["Could not train on one.csv: The table has 1 row of data; training needs "
                                           "at least 20 (a fifth of them are held out to test the model on)."]
    other = _app(_section)
    assert TABLE not in other.session_state and not other.error and not other.success


def test_the_export_buttons():
    at = _app(_buttons)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download as a notebook (.ipynb)", "Download as a Python script (.py)"]
