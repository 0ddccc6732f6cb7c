"""The default run, watched in a browser: it plays for long enough to be paused mid-run, with both charts."""

import re

import pytest

from conftest import wait_for_app

pytestmark = pytest.mark.browser


def _status(pg) -> str:
    return pg.locator('[data-testid="stProgress"]').first.inner_text()


def _two_charts(pg) -> None:
    pg.wait_for_function("() => document.querySelectorAll('[data-testid=\"stEChartsChart\"] canvas').length == 2",
                         timeout=30_000)


def test_the_default_run_can_be_paused_mid_run_with_curve_and_map_drawn(server_url, page):
    page.goto(server_url + "/train")
    wait_for_app(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => /Epoch [1-9]\\d* \\/ 100 · playing at 10 epochs/.test(document.body.innerText)",
                           timeout=60_000)
    _two_charts(page)  # the loss curve and the live map, while it plays
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('· paused')", timeout=30_000)
    epoch = int(re.search(r"Epoch (\d+) / 100", _status(page)).group(1))
    assert 0 < epoch < 100  # the first updates came long before the end: Pause could be pressed
    _two_charts(page)
