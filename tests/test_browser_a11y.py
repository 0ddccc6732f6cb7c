"""Every page passes axe-core's WCAG 2.1 A and AA audit (axe-playwright-python bundles axe-core, the engine behind
Lighthouse's accessibility score) with no serious or critical violation: on a 1400x1000 desktop, on a 1280x720
projector in presenter mode (?present=1) and on a 390x844 phone, each page audited once it has rendered fully.

The canvases the audit cannot read (the latent map, the threshold chart, the interpolation strip) are named for
screen readers and have keyboard input and aria-live text; the last test checks they keep them."""

import pytest

from conftest import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# page path -> what shows that it has rendered (the main chart or component)
PAGES = {
    "": '[data-testid="stPageLink-NavLink"]',
    "train": '[data-testid="stMain"] button:has-text("Play")',
    "architecture": ".st-key-hourglass",
    "latent": ".st-key-latent_map",
    "reconstruction": '[class*="st-key-rc_sample_0_"]',
    "anomaly": ".st-key-an_drag",
    "compare": ".st-key-cmp_map_Autoencoder",
}
SIZES = {"desktop": ((1400, 1000), ""), "projector": ((1280, 720), "&present=1"), "phone": ((390, 844), "")}
QUERY = "?t_epochs=20"  # a short training: the same page, sooner

# The DOM has stopped changing: the same number of elements (shadow roots included) on two looks 400 ms apart.
_STEADY = """() => new Promise((done) => {
  const count = (root) => [...root.querySelectorAll('*')].reduce((n, e) => n + 1 + (e.shadowRoot ? count(e.shadowRoot) : 0), 0);
  const first = count(document);
  setTimeout(() => done(first === count(document) && !document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')), 400);
})"""


def _rendered(pg, selector: str) -> None:
    """Wait until the script has run, the page's main element is there and the DOM has settled; on the latent
    page the interpolation (built only once opened) is opened first, so the audit reads its strip too."""
    wait_for_app(pg, 300_000)
    pg.wait_for_selector(selector, state="attached", timeout=300_000)
    if selector == PAGES["latent"]:
        pg.get_by_text("Walk between two codes", exact=True).click()
        pg.wait_for_selector(".st-key-latent_path", state="attached", timeout=300_000)
    for _ in range(150):
        wait_for_app(pg, 300_000)
        if pg.evaluate(_STEADY):
            return
    raise AssertionError(f"{pg.url} kept changing")


def _audit(pg) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(pg, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_has_no_serious_wcag_violation(server_url, browser, size):
    (w, h), extra = SIZES[size]
    phone = w < 500
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=phone, has_touch=phone)
    pg = ctx.new_page()
    found = {}
    try:
        for path, selector in PAGES.items():
            pg.goto(f"{server_url}/{path}{QUERY}{extra}")
            _rendered(pg, selector)
            violations = _audit(pg)
            if violations:
                found[path or "home"] = violations
    finally:
        ctx.close()
    assert not found, "\n".join(f"{size} /{page}: {v}" for page, vs in found.items() for v in vs)


def test_the_canvases_keep_their_names_keys_and_live_text(server_url, page):
    """The latent map and the threshold chart take the keyboard and announce what they show."""
    page.goto(f"{server_url}/latent{QUERY}")
    _rendered(page, PAGES["latent"])
    host = "document.querySelector('.st-key-latent_map [data-testid=stBidiComponentIsolated]').shadowRoot"
    lm = page.evaluate(f"""() => {{ const r = {host}; const m = r.querySelector('.lm-map');
        return {{tab: m.tabIndex, label: m.getAttribute('aria-label'), live: !!r.querySelector('[aria-live]'),
                 imgs: [...r.querySelectorAll('[role=img]')].map((e) => e.getAttribute('aria-label'))}}; }}""")
    assert lm["tab"] == 0 and "arrow keys" in lm["label"] and lm["live"] and lm["imgs"] and all(lm["imgs"]), lm
    page.evaluate(f"() => {host}.querySelector('.lm-map').focus()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => {host}.querySelector('.lm-sr').textContent.startsWith('Point z = (')")
    strip = "document.querySelector('.st-key-latent_path [data-testid=stBidiComponentIsolated]').shadowRoot"
    page.wait_for_function(f"() => {strip}.querySelector('.lp-verdict').textContent.length > 0")
    assert page.evaluate(f"() => [...{strip}.querySelectorAll('canvas[role=img]')].every((c) => c.getAttribute('aria-label'))")
    page.goto(f"{server_url}/anomaly{QUERY}")
    _rendered(page, "canvas.hist")
    hist = page.locator("canvas.hist")  # (locators reach into the component's shadow root)
    assert hist.get_attribute("role") == "slider" and hist.get_attribute("tabindex") == "0"
    assert page.locator("canvas.roc").get_attribute("aria-label")
    before = hist.get_attribute("aria-valuenow")
    hist.focus()
    page.keyboard.press("ArrowRight")
    for _ in range(100):
        if hist.get_attribute("aria-valuenow") != before and page.locator(".thr .sr").text_content().startswith("Threshold "):
            break
        page.wait_for_timeout(100)
    assert hist.get_attribute("aria-valuenow") != before
    assert page.locator(".thr .sr").text_content().startswith("Threshold ")  # announced once the key is let go
