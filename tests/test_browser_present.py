"""Presenter mode on a 1280x720 projector: each page's main chart, and the control above it, lie fully
inside the first screen; on a 390x844 phone no button or chart is wider than the screen."""

import time

import pytest

from conftest import wait_for_app

pytestmark = pytest.mark.browser

# page path -> (the main chart, its control): CSS selectors of elements that must be fully visible.
# The latent page's map is an in-browser component (aeviz/ui/latent_map.py) keyed "latent_map"; in presenter
# mode it draws a shorter map with 16 px text (the whole component: map, legend, radius slider, output).
MAIN = {
    "train": ('[data-testid="stEChartsChart"]', '[data-testid="stMain"] button:has-text("Play")'),
    "architecture": (".st-key-hourglass", None),
    "latent": (".st-key-latent_map", None),
    "reconstruction": ('[class*="st-key-rc_sample_0_"]', ".st-key-rc_mode"),
    "anomaly": (".st-key-an_drag canvas.hist", ".st-key-an_pct"),
    "compare": (".st-key-cmp_map_Autoencoder", None),
}


@pytest.fixture
def projector(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _settle(pg, selector: str) -> None:
    wait_for_app(pg, 180_000)
    pg.wait_for_selector(selector, state="visible", timeout=180_000)
    time.sleep(1.0)  # late layout (fonts, component sizing)
    wait_for_app(pg, 180_000)


def _boxes(pg, selector: str) -> list[dict]:
    boxes = [pg.locator(selector).nth(i).bounding_box() for i in range(pg.locator(selector).count())]
    return [b for b in boxes if b is not None and b["width"] > 0]


def _fits(box: dict) -> bool:
    return box["y"] >= 0 and box["y"] + box["height"] <= 720.5 and box["x"] >= 0 and box["x"] + box["width"] <= 1280.5


def _inside(pg, selector: str) -> None:
    boxes = _boxes(pg, selector)
    for _ in range(60):  # a page still training a model further down can shift for a while: let it settle
        if boxes and all(_fits(b) for b in boxes):
            break
        time.sleep(1.0)
        wait_for_app(pg, 180_000)
        boxes = _boxes(pg, selector)
    assert boxes, f"nothing visible matches {selector}"
    for box in boxes:
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720 + 0.5, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280 + 0.5, (selector, box)


@pytest.mark.parametrize("path", list(MAIN))
def test_each_pages_main_chart_is_in_the_first_projector_screen(server_url, projector, path):
    chart, control = MAIN[path]
    projector.goto(f"{server_url}/{path}?present=1")
    _settle(projector, chart)
    assert projector.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0  # opened closed
    _inside(projector, chart)
    if control:
        _inside(projector, control)


def test_phone_buttons_and_charts_fit_the_screen(server_url, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    try:
        for path in ("train", "reconstruction", "compare"):
            pg.goto(f"{server_url}/{path}")
            _settle(pg, '[data-testid="stEChartsChart"], .stPlotlyChart')
            too_wide = pg.evaluate("""() => [...document.querySelectorAll(
                  '[data-testid="stMain"] button, [data-testid="stMain"] .stPlotlyChart, [data-testid="stEChartsChart"]')]
                .filter(e => e.offsetParent !== null)
                .map(e => [e.innerText.slice(0, 30), e.getBoundingClientRect()])
                .filter(([, r]) => r.width > 0 && (r.left < -0.5 || r.right > 390.5))
                .map(([t, r]) => `${t} ${r.left.toFixed(0)}..${r.right.toFixed(0)}`)""")
            assert not too_wide, (path, too_wide)
            cut = pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] button')]
                .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)
                .map(b => b.innerText)""")
            assert not cut, (path, cut)  # no label cut off ("Step (1 e…")
    finally:
        ctx.close()
