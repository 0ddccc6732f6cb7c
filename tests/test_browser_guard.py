"""The server as a class meets it, in headless Chromium: a link opened in many tabs on a cold server,
a long training cancelled from the page, and a training abandoned by closing the tab."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import start_server, wait_for_app

pytestmark = pytest.mark.browser

LONG = "/latent?t_epochs=1000&t_batch_size=8&m_hidden=128-64&m_latent=3"  # about a minute of training


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_over(pid: int, seconds: float) -> float:
    before = _cpu_seconds(pid)
    time.sleep(seconds)
    return _cpu_seconds(pid) - before


@pytest.fixture
def long_server():
    proc, url = start_server(extra_env={"AEVIZ_TRAIN_BUDGET_S": "100000"})
    yield proc, url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _training_tab(browser, url: str):
    """A new tab on the long link, once its training has started: (context, page)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.goto(url + LONG)
    pg.wait_for_function("() => /epoch [1-9]\\d* of 1000/.test(document.body.innerText)", timeout=90_000)
    return ctx, pg


def test_eight_tabs_on_a_cold_server_all_get_the_links_settings(browser):
    """Every tab opening a page link at once on a fresh server runs through app.py: the sidebar and the
    link's model (gw, latent 3), not the default."""
    proc, url = start_server()
    try:
        ctxs = [browser.new_context(viewport={"width": 1280, "height": 720}) for _ in range(8)]
        pages = [c.new_page() for c in ctxs]
        for pg in pages:  # no waiting in between: all arrive while the server is cold
            pg.goto(url + "/architecture?d_name=gw&m_latent=3", wait_until="commit")
        for pg in pages:
            pg.get_by_text("Total:", exact=False).first.wait_for(timeout=120_000)
            wait_for_app(pg, timeout=120_000)
            body = pg.locator("body").inner_text()
            assert "Settings" in body  # the sidebar ran
            assert "16 numbers in" in body  # the link's dataset (gw: 16 features), not the default digits (64)
            assert pg.get_by_label("Latent size (code units)").input_value() == "3"
        for c in ctxs:
            c.close()
    finally:
        proc.terminate()


def test_cancel_stops_a_long_training_within_five_seconds(browser, long_server):
    proc, url = long_server
    ctx, pg = _training_tab(browser, url)
    training = _cpu_over(proc.pid, 2.0)  # CPU seconds in 2 s while it trains (less on a busy machine)
    pg.get_by_role("button", name="Cancel training").click()
    pg.get_by_text("Training cancelled", exact=False).wait_for(timeout=30_000)
    time.sleep(5.0)
    idle = _cpu_over(proc.pid, 2.0)
    assert idle < max(0.1, 0.25 * training), (idle, training)  # stopped: what is left is the idle server
    pg.get_by_role("button", name="Train these settings").wait_for(timeout=10_000)
    ctx.close()


def test_closing_the_tab_stops_its_training(browser, long_server):
    proc, url = long_server
    ctx, pg = _training_tab(browser, url)
    training = _cpu_over(proc.pid, 2.0)
    ctx.close()  # the student leaves
    time.sleep(13.0)
    idle = _cpu_over(proc.pid, 2.0)
    assert idle < max(0.1, 0.25 * training), (idle, training)  # no training CPU 15 s after the tab closed
