"""Every page opens on mnist in a real browser with no exception, and the latent map decodes 28×28 images on
hover (the decoded canvas's pixels change between two points). One shared server for all pages."""

import numpy as np
import pytest
from conftest import wait_for_app

pytestmark = pytest.mark.browser

PAGES = ["", "train", "architecture", "latent", "reconstruction", "anomaly", "compare"]  # app.py's URL paths
HOST = "[data-testid=stBidiComponentIsolated]"
API = f"document.querySelector('{HOST}').aevizLatentMap"
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# finished: no running indicator (Streamlit 1.67's reads "Stop" while a script runs) and no spinner left
FINISHED = """() => { const s = document.querySelector('[data-testid="stStatusWidget"]');
  return !(s && /Running|Stop/.test(s.innerText)) && !document.querySelector('[data-testid="stSpinner"]'); }"""


def _finished(page, timeout=300_000):
    wait_for_app(page, timeout=timeout)
    page.wait_for_function(FINISHED, timeout=timeout)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_on_mnist_with_no_exception(page, server_url, path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server_url}/{path}?d_name=mnist")
    wait_for_app(page, timeout=300_000)
    page.wait_for_selector('[data-testid="stMain"] h1, [data-testid="stMain"] h2', timeout=300_000)
    _finished(page)  # every section has run (the comparisons train their models first)
    shown = [page.locator(ERRORS).nth(i).inner_text() for i in range(page.locator(ERRORS).count())]
    assert not shown, shown
    assert not errors, errors


def _pixels(page):
    return np.asarray(page.evaluate(f"""() => {{
        const c = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-img');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0));
    }}"""), np.float64)


def test_the_mnist_map_decodes_on_hover(page, server_url):
    page.goto(f"{server_url}/latent?d_name=mnist")
    wait_for_app(page, timeout=300_000)
    page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.view", timeout=300_000)
    wait_for_app(page, timeout=300_000)
    page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                  ".scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    view = page.evaluate(f"() => {API}.view")
    outputs = []
    for fa, fb in ((0.2, 0.25), (0.8, 0.7)):
        a, b = view[0] + fa * (view[2] - view[0]), view[1] + fb * (view[3] - view[1])
        pt = page.evaluate(f"([a, b]) => {API}.toClient(a, b)", [a, b])
        page.mouse.move(pt["x"], pt["y"])
        state = page.evaluate(f"() => {API}.state()")
        assert state["source"] == "the pointer" and len(state["x"]) == 784  # a 28×28 decoding
        px = _pixels(page)
        assert px.size >= 784
        # the canvas shows the decoding of the point under the pointer (dark = 1), sampled at the 28×28 grid
        side = int(round(np.sqrt(px.size)))
        img = px.reshape(side, side)[:: side // 28, :: side // 28][:28, :28].ravel()
        x = np.clip(np.asarray(state["x"]), 0, 1)
        assert np.abs(img - (255 - np.round(255 * x))).max() <= 1
        outputs.append(img)
    assert np.abs(outputs[0] - outputs[1]).max() > 30  # two points, two different decoded images
