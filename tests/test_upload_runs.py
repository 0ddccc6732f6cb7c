"""A session's own-table runs: recognised by their settings, kept in that session's state within its bounds
(oldest out first), never in the server's store; an over-budget setting on a table is refused before training,
with the same message as any other."""

from __future__ import annotations

from dataclasses import replace

from streamlit.testing.v1 import AppTest

from aeviz.config import DEFAULTS, DataConfig
from aeviz.datasets import UPLOAD
from aeviz.ui import runs
from aeviz.ui.state import CONFIGS, TABLE_RUNS
from test_upload_pages import _app, _clean, _on_upload

TABLE = DataConfig(name=UPLOAD, table="0123456789abcdef")


def test_which_keys_name_a_session_table():
    cfgs = (TABLE, *DEFAULTS[1:])
    assert runs.on_session_table(cfgs) and runs.on_session_table(("normal classes", *cfgs, (1,)))
    assert runs.on_session_table(TABLE)
    assert not runs.on_session_table(DEFAULTS) and not runs.on_session_table(("normal classes", *DEFAULTS, (1,)))


def _keep(n: int, size: int) -> None:
    from aeviz.config import DataConfig, DEFAULTS
    from aeviz.datasets import UPLOAD
    from aeviz.ui import runs

    class Fake:
        def __init__(self, i):
            self.i = i

        def nbytes(self):
            return size

    for i in range(n):
        runs.keep_table_run((DataConfig(name=UPLOAD, table=f"{i:016x}"), *DEFAULTS[1:]), Fake(i))


def test_the_session_keeps_its_newest_table_runs_within_its_bounds():
    at = AppTest.from_function(_keep, args=(runs.MAX_TABLE_RUNS + 3, 10), default_timeout=30)
    at.run()
    kept = at.session_state[TABLE_RUNS]
    assert [r.i for r in kept.values()] == list(range(3, runs.MAX_TABLE_RUNS + 3))  # the oldest three are out
    big = runs.MAX_TABLE_RUN_BYTES // 2 + 1
    at = AppTest.from_function(_keep, args=(3, big), default_timeout=30)
    at.run()
    assert [r.i for r in at.session_state[TABLE_RUNS].values()] == [2]  # two would pass the byte bound
    assert len(runs.STORE) == 0 or not any(runs.on_session_table(k) for k in runs.STORE._runs)


def test_a_too_costly_setting_on_a_table_is_refused_before_training():
    at = _on_upload(_app(), anomalies=())
    at.text_input(key="w_hidden").set_value("1024, 1024, 1024").run()
    _clean(at)
    assert at.session_state[CONFIGS][1].hidden == (1024, 1024, 1024)
    [message] = [e.value for e in at.sidebar.error if "this server trains at most" in e.value]
    at.switch_page("pages/latent.py").run()
    _clean(at)
    assert message in [e.value for e in at.error]  # the page refuses it with the sidebar's words
    assert TABLE_RUNS not in at.session_state or not at.session_state[TABLE_RUNS]  # and trained nothing
