"""The app as a user meets it: headless Chromium against a real `streamlit run`."""

import re
import time

import pytest

from conftest import start_server, wait_for_app

pytestmark = pytest.mark.browser


def test_first_visit_straight_to_a_page_has_the_sidebar(browser):
    """A fresh server whose first visitor opens /architecture still runs app.py (sidebar and all)."""
    proc, url = start_server()
    try:
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.goto(url + "/architecture")
        pg.get_by_text("Total:", exact=False).first.wait_for(timeout=60_000)
        assert pg.get_by_text("Settings").count() >= 1
        assert pg.get_by_text("5,346 trainable parameters", exact=False).count() == 1
        pg.close()
    finally:
        proc.terminate()


def _epoch(pg) -> int:
    text = pg.locator('[data-testid="stProgress"]').first.inner_text()
    return int(re.search(r"Epoch (\d+)", text).group(1))


def test_play_moves_the_curve_and_pause_stops_it(server_url, page):
    page.goto(server_url + "/train?t_epochs=1000&t_batch_size=8")  # slow enough to pause mid-run
    wait_for_app(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=60_000)
    page.wait_for_function("() => /Epoch ([1-9]\\d*) \\//.test(document.body.innerText)", timeout=60_000)
    first = _epoch(page)
    # the page redraws while training runs
    page.wait_for_function(f"() => (/Epoch (\\d+) \\//.exec(document.body.innerText) || [0, 0])[1] > {first}",
                           timeout=30_000)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('paused')", timeout=30_000)
    paused_at = _epoch(page)
    time.sleep(1.5)
    assert _epoch(page) == paused_at < 1000
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"() => document.body.innerText.includes('Epoch {paused_at + 1} /')", timeout=30_000)
    # the loss curve and the live map
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stEChartsChart\"]').length == 2",
                           timeout=30_000)
