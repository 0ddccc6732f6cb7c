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


def test_phone_home_page_links_are_read_whole(server_url, browser):
    """At 390x844 each of the Home page's links to the other pages wraps onto more lines instead of ending in "…"."""
    ctx, pg = _phone(browser)
    try:
        pg.goto(server_url)
        wait_for_app(pg, timeout=300_000)
        pg.locator('[data-testid="stPageLink-NavLink"]').first.wait_for()
        links = pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPageLink-NavLink"]')]
            .map(a => ({text: a.innerText, cut: [...a.querySelectorAll('span, p')].some(e => e.scrollWidth > e.clientWidth + 1),
                        right: a.getBoundingClientRect().right}))""")
        assert len(links) >= 6
        assert all(not link["cut"] and link["right"] <= 390.5 for link in links), links
    finally:
        ctx.close()


def _phone(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    return ctx, ctx.new_page()


def test_phone_train_buttons_and_speed_fit_one_row(server_url, browser):
    """At 390x844 Play, Pause, Step, Reset and the speed share one row inside the screen (icons only, each still
    named for screen readers); at 1280x720 in presenter mode the buttons keep their words."""
    ctx, pg = _phone(browser)
    try:
        pg.goto(f"{server_url}/train")
        _settle(pg, '.st-key-train_controls')
        shown = """() => [...document.querySelectorAll('.st-key-train_controls button')]
            .filter(b => b.offsetParent !== null && b.getBoundingClientRect().width > 0 && b.innerText.trim())"""
        pg.wait_for_function(f"() => ({shown})().length >= 8", timeout=60_000)  # four buttons and four speeds
        boxes = pg.evaluate(f"""() => ({shown})().map(b => {{ const r = b.getBoundingClientRect();
            return {{t: b.innerText, l: r.left, r: r.right, b: r.bottom}}; }})""")
        bottoms = [b["b"] for b in boxes]
        assert max(bottoms) - min(bottoms) < 12, boxes  # one row (not two)
        assert min(b["l"] for b in boxes) >= 0 and max(b["r"] for b in boxes) <= 390, boxes
        for name in ("Play", "Pause", "Step", "Reset"):  # the accessible names stay
            assert pg.get_by_role("button", name=name, exact=True).is_visible()
    finally:
        ctx.close()
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    try:
        pg.goto(f"{server_url}/train?present=1")
        _settle(pg, '.st-key-train_controls')
        play = pg.locator('[data-testid="stMain"] button:visible:has-text("Play")').first
        play.wait_for(state="visible", timeout=60_000)
        assert play.bounding_box()["width"] > 60  # the word is shown beside the icon
    finally:
        ctx.close()


def test_phone_latent_map_and_its_output_share_one_screen(server_url, browser):
    """At 390x844 the latent page reaches the map within the first screen, and the map with its decoded output
    (directly below it, not beside) fits one screen once scrolled to."""
    ctx, pg = _phone(browser)
    try:
        pg.goto(f"{server_url}/latent")
        _settle(pg, ".st-key-latent_map")
        host = "[data-testid=stBidiComponentIsolated]"
        pg.wait_for_function(f"() => document.querySelector('{host}')?.aevizLatentMap?.view", timeout=180_000)
        top = pg.evaluate(f"() => document.querySelector('{host}').shadowRoot.querySelector('.lm-map')"
                          ".getBoundingClientRect().top")
        assert top < 700, top  # the map starts on the first screen: the intro is short
        header = pg.evaluate("() => document.querySelector('[data-testid=stHeader]')?.getBoundingClientRect().bottom || 0")
        pg.evaluate(f"() => document.querySelector('{host}').shadowRoot.querySelector('.lm-out')"
                    ".scrollIntoView({block: 'end'})")  # scrolled until the output's foot is on the screen
        time.sleep(0.5)
        m, legend, o = (pg.evaluate(f"() => document.querySelector('{host}').shadowRoot.querySelector('{sel}')"
                                    ".getBoundingClientRect().toJSON()") for sel in (".lm-map", ".lm-legend", ".lm-out"))
        assert m["top"] >= header - 0.5 and o["bottom"] <= 844.5, (header, m, o)  # both on the screen
        # the output directly below the map, with only the colours' key between them
        assert abs(o["left"] - m["left"]) < 1 and 0 <= legend["top"] - m["bottom"] < 24, (m, legend)
        assert 0 <= o["top"] - legend["bottom"] < 24, (legend, o)
    finally:
        ctx.close()


FORMULA_PAGES = ("", "train", "architecture", "latent", "reconstruction", "anomaly", "compare")


def test_phone_formulas_fit_the_screen_and_break_only_between_their_parts(server_url, browser):
    """At 390x844 every formula fits the screen, and where one wraps it wraps between its parts (each equation or
    term kept whole): never inside a bracket, as the VAE's objective once did after "q(z |"."""
    ctx, pg = _phone(browser)
    try:
        for path in FORMULA_PAGES:
            pg.goto(f"{server_url}/{path}")
            pg.wait_for_selector(".katex-display .base", timeout=300_000)
            pg.evaluate("document.fonts.ready")
            time.sleep(0.5)
            # KaTeX lays each stretch it may break after out as one .base box: one per line chunk
            chunks = pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] .katex-display')]
                .map(f => [...f.querySelectorAll('.katex-html > .base')].map(b => {
                    const r = b.getBoundingClientRect();
                    return {text: b.textContent, left: r.left, right: r.right, top: r.top};
                }))""")
            assert chunks and all(chunks), (path, chunks)
            for formula in chunks:
                for c in formula:
                    assert c["left"] >= -0.5 and c["right"] <= 390.5, (path, c)
                tops = sorted({round(c["top"]) for c in formula})
                for top in tops:  # the text of each screen line: its brackets close on that line
                    line = "".join(c["text"] for c in formula if round(c["top"]) == top)
                    assert line.count("(") == line.count(")"), (path, line, [c["text"] for c in formula])
    finally:
        ctx.close()
