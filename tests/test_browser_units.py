"""The traversal view in a real browser (headless Chromium via Playwright).

1. The component's script, loaded in a plain page, gives traversal rows equal to torch's decodings of the same codes
   (aeviz.analysis.units.traversal) within 1e-4, on mnist.
2. In the running app on mnist: the Latent page's view borrows the map's decoder, every row at offset 0 is the
   mean code's decoding, and moving the offset slider repaints every row with no websocket message.
"""

import numpy as np
import pytest
from conftest import js_module_page, wait_for_app

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import encode
from aeviz.analysis import units as un
from aeviz.ui.components import bundle

pytestmark = pytest.mark.browser

HOST = ".st-key-traversal_latent [data-testid=stBidiComponentIsolated]"
API = f"document.querySelector('{HOST}').aevizTraversal"


def test_the_browsers_traversal_rows_equal_torchs_decodings_on_mnist(browser):
    pg, names = js_module_page(browser, bundle.script("traversal.js"), "tv")
    assert {"default", "offsetsOf", "traversalRows", "loadLayers"} <= set(names)
    data = load(DataConfig("mnist"))
    run = Trainer(build(ModelConfig(hidden=(64, 16), latent=3), data, seed=0), data, TrainConfig(epochs=2)).run()
    p = un.traversal_payload(run.model, data)
    t = un.traversal(run.model, encode(run.model, data.X_train), 7)
    got = pg.evaluate("""(p) => tv.traversalRows(tv.loadLayers(p.decoder), p.mean, p.std, tv.offsetsOf(7, p.span))
                          .map((r) => r.X.map((x) => Array.from(x)))""", p)
    pg.close()
    assert np.asarray(got).shape == t.X.shape == (3, 7, 784)
    assert np.abs(np.asarray(got) - t.X).max() <= 1e-4


def test_the_offset_slider_moves_every_row_with_no_server_message(page, server_url):
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    page.goto(f"{server_url}/latent?d_name=mnist&t_epochs=3")
    wait_for_app(page, timeout=300_000)
    page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.state()", timeout=300_000)
    s = page.evaluate(f"() => {API}.state()")
    assert len(s["X"]) == 2 and len(s["X"][0]) == un.STEPS_DEFAULT and len(s["X"][0][0]) == 784
    now = np.asarray(s["now"])
    assert s["t"] == 0 and np.abs(now - now[0]).max() == 0  # at 0 every row is the mean code's decoding
    mid = un.STEPS_DEFAULT // 2
    assert np.abs(np.asarray(s["X"])[:, mid] - now).max() <= 1e-12
    wait_for_app(page)
    page.wait_for_timeout(800)
    sent, paints = len(frames), page.evaluate(f"() => {API}.paints")
    assert sent > 0  # the page's own messages were counted: the counter works
    slider = page.locator(f"{HOST} >> input.tv-t")
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    s = page.evaluate(f"() => {API}.state()")
    assert s["t"] == pytest.approx(1.5)
    now = np.asarray(s["now"])
    assert all(np.abs(now[j] - np.asarray(s["X"])[j][mid]).max() > 1e-3 for j in range(2))  # every row moved
    assert page.evaluate(f"() => {API}.paints") - paints >= 15
    page.wait_for_timeout(500)
    assert len(frames) == sent, f"{len(frames) - sent} websocket messages while the slider moved"


def test_a_click_on_a_code_of_the_sampling_map_follows_that_sample(page, server_url):
    page.goto(f"{server_url}/latent?d_name=digits&m_variant=variational&t_epochs=5")
    wait_for_app(page, timeout=300_000)
    page.wait_for_selector(".st-key-vae_step_map .js-plotly-plot", timeout=300_000)
    page.locator(".st-key-vae_step_map").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    row = 37
    where = """(i) => { const gd = document.querySelector('.st-key-vae_step_map .js-plotly-plot');
        const L = gd._fullLayout, tr = gd._fullData[0], r = gd.getBoundingClientRect();
        return [r.left + L._size.l + L.xaxis.l2p(tr.x[i]), r.top + L._size.t + L.yaxis.l2p(tr.y[i])]; }"""
    xy = page.evaluate(where, row)
    page.mouse.move(*xy)
    page.mouse.click(*xy)
    page.wait_for_function(f"() => document.querySelector('.st-key-vae_step_sample input').value !== '0'",
                           timeout=60_000)
    wait_for_app(page)
    picked = int(page.locator(".st-key-vae_step_sample input").input_value())
    # the code under the pointer: this one, or one drawn within a few pixels of it
    assert picked == row or np.hypot(*np.subtract(page.evaluate(where, picked), page.evaluate(where, row))) < 4, \
        (picked, page.evaluate(where, picked), page.evaluate(where, row), xy)
    assert not page.locator("[data-testid=stException]").count()
