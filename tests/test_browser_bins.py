"""A histogram bin's samples in the real app: press "Show a bin's samples" on the threshold chart, click a bar, and
the page lists the rows in it (a table on breast cancer, images on digits), sent to the server once; the threshold
does not move. Skipped unless Chromium and Playwright are installed."""

import pytest

from conftest import wait_for_app

pytestmark = pytest.mark.browser

CHART = ".st-key-an_drag canvas.hist"
PICK = ".st-key-an_drag button.pick"


def _open(pg, server_url, query):
    sent, errors = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    pg.goto(f"{server_url}/anomaly?{query}")
    wait_for_app(pg, timeout=300_000)
    pg.locator(CHART).wait_for(timeout=300_000)
    pg.locator(CHART).scroll_into_view_if_needed()
    pg.wait_for_timeout(300)
    return sent, errors


def _listed(pg, timeout=60_000) -> str:
    """The listing's first line, once the server has drawn it."""
    pg.wait_for_function("() => Array.from(document.querySelectorAll('[data-testid=\"stMarkdown\"]'))"
                         ".some((el) => el.innerText.startsWith('Bin '))", timeout=timeout)
    wait_for_app(pg)
    return next(t for t in pg.locator('[data-testid="stMarkdown"]').all_inner_texts() if t.startswith("Bin "))


def _threshold(pg) -> str:
    return pg.locator(".st-key-an_drag .thr").get_attribute("data-threshold")


def test_clicking_the_rightmost_bar_lists_its_samples(page, server_url):
    sent, errors = _open(page, server_url, "d_name=breast_cancer")
    thr = _threshold(page)
    page.locator(PICK).click()
    assert page.locator(PICK).get_attribute("aria-pressed") == "true"
    box = page.locator(CHART).bounding_box()
    before = len(sent)
    page.mouse.click(box["x"] + box["width"] - 14, box["y"] + box["height"] / 2)  # the plot's right end
    text = _listed(page)
    assert text.startswith("Bin 40 of 40") and "anomalies and 0 normal rows" in text, text
    assert len(sent) - before == 1, "a pick should send exactly one message"
    assert _threshold(page) == thr  # picking a bar is not a drag: the threshold stays
    assert page.locator(PICK).get_attribute("aria-pressed") == "false"
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.first.wait_for(timeout=30_000)
    assert grid.count() == 1 and grid.first.is_visible()
    page.locator(".st-key-an_bin_hide").get_by_role("button", name="Hide these samples").click()
    page.wait_for_function("() => !Array.from(document.querySelectorAll('[data-testid=\"stMarkdown\"]'))"
                           ".some((el) => el.innerText.startsWith('Bin '))", timeout=30_000)
    assert not errors, errors


def test_on_digits_a_bins_images_are_shown_and_the_keys_pick_too(page, server_url):
    sent, errors = _open(page, server_url, "t_epochs=20")  # digits, the dataset the page opens on
    page.locator(PICK).click()
    page.locator(CHART).focus()
    for _ in range(45):  # the highlighted bar starts at the threshold's; go to the left end, then 5 bars right
        page.keyboard.press("ArrowLeft")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    text = _listed(page)
    assert text.startswith("Bin 6 of 40"), text
    images = page.locator('[data-testid="stImage"] img')
    images.first.wait_for(timeout=30_000)
    shown = images.count()
    counts = [int(w) for w in text.split(":")[-1].split() if w.isdigit()]
    assert shown == min(24, sum(counts)) and shown > 0, (shown, text)
    assert not errors, errors
