"""bench/load_protocol.py against a real server: two protocol-level students reach the latent page and
get a hole answer for a click, with no errors (no browser needed; a server that does not start fails the test)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import start_server

pytestmark = pytest.mark.slow  # real servers of their own

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import load_protocol


@pytest.fixture(scope="module")
def protocol_server():
    """A fresh aeviz server of its own, with its training log (one that does not start is an error)."""
    log = str(Path(tempfile.mkdtemp(prefix="aeviz-protocol-test-")) / "train.log")
    proc, url = start_server(extra_env={"AEVIZ_TRAIN_LOG": log, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"})
    yield url, proc.pid, log
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_the_server_trains_the_default_lesson_before_anyone_visits(protocol_server):
    """serve.py (the README's command) answers only once the default lesson's runs are trained: the model, the
    reconstruction page's denoising model and the anomaly page's model of the normal classes; nobody has
    visited yet."""
    _, _, log = protocol_server
    lines = Path(log).read_text().splitlines()
    assert len(lines) == 3, lines
    assert all("name='digits'" in line for line in lines)
    assert sum("variant='autoencoder'" in line and "normal classes" not in line for line in lines) == 1
    assert sum("variant='denoising'" in line for line in lines) == 1
    assert sum(line.split("\t")[2].startswith("('normal classes'") and "(7,)" in line for line in lines) == 1


def test_the_default_lesson_trains_nothing_more_on_any_of_its_pages(protocol_server):
    """A student's whole lesson (the default link, then the latent, reconstruction and anomaly pages, as
    bench/abuse.py's students do it) finds every model the pages need already trained: the log gets no line,
    so a class's first lesson never waits on a training."""
    import random

    import abuse

    url, _, log = protocol_server
    before = Path(log).read_text().splitlines()
    out = {"render_s": {name: [] for name, _ in abuse.LESSON}, "first_s": [], "later_s": [], "errors": [],
           "timeline": [], "lessons": 0}
    load_protocol.run_async(abuse.lesson(url, 120, random.Random(0), out))
    assert out["errors"] == []
    assert all(len(v) == 1 for v in out["render_s"].values()), out["render_s"]
    assert Path(log).read_text().splitlines() == before


def test_a_server_that_cannot_start_raises():
    """What the fixture above and bench/abuse.py meet when the app cannot start: an error, so the test fails."""
    with pytest.raises(RuntimeError, match="streamlit exited"):
        start_server(entry="no_such_app.py")


def test_app_py_alone_trains_nothing_until_a_visit():
    """The reference: `streamlit run app.py` has no warm-up (its first visitor pays for the imports and training)."""
    log = Path(tempfile.mkdtemp(prefix="aeviz-protocol-test-")) / "train.log"
    proc, _ = start_server(extra_env={"AEVIZ_TRAIN_LOG": str(log)}, entry="app.py")
    try:
        assert not log.exists() or not log.read_text().strip()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("via", ["inputs", "map"])
def test_two_students_get_a_hole_answer(protocol_server, via):
    url, pid, log = protocol_server
    args = argparse.Namespace(clicks=1, via=via, timeout=120)
    result = load_protocol.phase("test", url, 2, args, [pid], log)
    assert result["errors"] == 0, result["error_examples"]
    assert result["home_render_s"]["n"] == 2 and result["latent_render_s"]["n"] == 2
    assert result["click_to_decode_ms"]["n"] == 2
    assert sum(result["answers"].values()) == 2
    assert set(result["answers"]) <= {"in a hole", "not a hole"}
    assert result["peak_rss_mb"] > 0
    assert result["training_runs"] == 0  # the default model was trained when the server started


def test_an_exception_on_the_page_is_counted(protocol_server):
    """A malformed message (a z input sent text instead of a number) raises in the app: the bench must see it.
    (The in-browser map's own messages are validated and cannot raise.)"""
    url, _, _ = protocol_server

    async def broken() -> list[str]:
        import websockets
        from streamlit.proto.ClientState_pb2 import ClientState

        ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
            s = load_protocol.Session(ws, 120)
            await s.run(ClientState())
            await s.run(ClientState(page_name="latent"))
            widget, fragment = s.widgets["latent_z1"]
            state = ClientState(page_script_hash=s.page_hash, fragment_id=fragment)
            state.widget_states.widgets.add(id=widget.id, string_value="not a number")
            await s.run(state)
            return s.exceptions

    assert any("TypeError" in e for e in load_protocol.run_async(broken()))
