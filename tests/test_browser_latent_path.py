"""The interpolation strip in a real browser (headless Chromium via Playwright).

1. Its JS module (the map's pure functions + the strip), loaded in a plain page, computes the path exactly as
   `la.interpolate` does — the points, the decodings (within 1e-5), the standardised distances, the hole verdicts,
   the nearest training rows and the labels passed (`la.path_labels`) — and prints the same verdict the page printed
   before, for every dataset, latent 1, 2 and above, and a VAE.
2. In the running app: the strip uses the model the map loaded; changing K, the step or the map's radius repaints
   it with no message to the server; two clicks on the map become the path's ends.
Skipped unless Chromium and Playwright are installed.
"""

import numpy as np
import pytest
from conftest import js_module_page, wait_for_app

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import encode
from aeviz.analysis import latent as la
from aeviz.analysis import latent_map as lm
from aeviz.ui import latent_path as lpath
from aeviz.analysis.latent import default_ends

pytestmark = pytest.mark.browser

HOST = "[data-testid=stBidiComponentIsolated]"
MAP = f"document.querySelector('{HOST}').aevizLatentMap"
STRIP = f"[...document.querySelectorAll('{HOST}')].map((h) => h.aevizLatentPath).find(Boolean)"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def module_page(browser):
    """A blank page with the strip's module (as the component receives it) imported as window.lp."""
    pg, names = js_module_page(browser, lpath.script(), "lp")
    assert {"decode", "default", "interpolate", "loadModel", "nearest", "pathLabels", "verdict"} <= set(names)
    yield pg
    pg.close()


def _python_verdict(path: la.Interpolation, r: float) -> str:
    """The text the page printed when Python drew the strip (aeviz/ui/latent.py before the strip moved)."""
    crossed = path.t[path.holes]
    if crossed.size:
        return (f"The path is in a hole for t from {crossed.min():.2f} to {crossed.max():.2f} "
                f"({crossed.size} of {len(path.t)} points, shaded red).")
    return f"The whole path stays within r = {r:.3g} of a training code."


@pytest.mark.parametrize("dataset,variant,latent", [
    ("digits", "autoencoder", 2), ("digits", "variational", 2), ("digits", "variational", 3), ("gw", "autoencoder", 2),
    ("gw", "autoencoder", 5), ("line", "autoencoder", 1), ("swiss_roll", "autoencoder", 2)])
def test_js_path_equals_la_interpolate(module_page, dataset, variant, latent):
    data = load(DataConfig(name=dataset))
    run = Trainer(build(ModelConfig(variant=variant, latent=latent), data, seed=42), data,
                  TrainConfig(epochs=10)).run()
    v = la.latent_view(run.model, data)
    p = lm.latent_map_payload(run.model, data, v, run_id="test-run")
    a, b = default_ends(data)
    za, zb = encode(run.model, data.X[[a, b]])
    far = v.index.unstandardise(np.full((1, latent), 4.0, np.float32))[0]  # off the codes: the path meets holes
    cases = [(za, zb, k, v.radius) for k in (3, lpath.K_DEFAULT, 30)] + [(za, far, 17, v.radius),
                                                                          (far, zb, 9, 0.5 * v.radius)]
    out = module_page.evaluate("""([p, cases]) => {
      const m = lp.loadModel(p);
      return cases.map(([za, zb, k, r]) => { const path = lp.interpolate(m, za, zb, k, r);
        return {t: path.map((q) => q.t), Z: path.map((q) => Array.from(q.z)), X: path.map((q) => Array.from(q.x)),
                dist: path.map((q) => q.dist), rows: path.map((q) => q.row), holes: path.map((q) => q.hole),
                labels: lp.pathLabels(m, path), verdict: lp.verdict(path, r).text}; });
    }""", [p, [[list(map(float, za_)), list(map(float, zb_)), k, r] for za_, zb_, k, r in cases]])
    holes_seen = 0
    for (za_, zb_, k, r), o in zip(cases, out):
        path = la.interpolate(run.model, v.index, za_, zb_, k, r)
        assert len(o["t"]) == k and np.array_equal(np.float32(o["t"]), path.t)
        assert np.array_equal(np.float32(o["Z"]), path.Z)  # float32 points, as numpy computes them
        assert np.abs(np.asarray(o["X"]) - path.X).max() <= TOLERANCE
        assert np.abs(np.asarray(o["dist"]) - path.dist).max() <= TOLERANCE
        near_edge = np.abs(path.dist - r) < 1e-5
        assert np.array_equal(np.asarray(o["holes"])[~near_edge], path.holes[~near_edge])
        assert np.array_equal(o["rows"], path.nearest)
        assert o["labels"] == [int(x) for x in la.path_labels(path, data.y_train)]
        assert o["verdict"] == _python_verdict(path, r)
        holes_seen += int(path.holes.sum())
    assert holes_seen > 0  # the far ends put some of the path in holes: both verdicts were compared


def test_try_this_the_0_to_1_path_stays_on_the_codes_in_the_browser(module_page, digits):
    """The Try this prompt (tests/test_holes.py checks it in Python): at the defaults the browser's path from A (a 0)
    to B (a 1) never leaves the codes but passes other digits."""
    from test_holes import model

    m = model(digits)
    v = la.latent_view(m, digits)
    p = lm.latent_map_payload(m, digits, v)
    a, b = default_ends(digits)
    za, zb = encode(m, digits.X[[a, b]])
    o = module_page.evaluate("""([p, za, zb, k, r]) => { const m = lp.loadModel(p);
      const path = lp.interpolate(m, za, zb, k, r);
      return {labels: lp.pathLabels(m, path).map((k) => m.payload.label_names[k]), verdict: lp.verdict(path, r)}; }""",
                             [p, za.tolist(), zb.tolist(), lpath.K_DEFAULT, v.radius])
    assert not o["verdict"]["hole"] and o["verdict"]["text"].startswith("The whole path stays within")
    assert o["labels"][0] == "0" and o["labels"][-1] == "1" and set(o["labels"]) - {"0", "1"}


# ---------------------------------------------------------------- the running app

def _open(page, server_url, frames):
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    page.goto(f"{server_url}/latent?t_epochs=20")
    wait_for_app(page, timeout=300_000)
    page.get_by_text("Walk between two codes", exact=True).click()  # the strip is built once opened
    page.wait_for_function(f"() => {STRIP} && {STRIP}.ready", timeout=300_000)
    page.evaluate(f"() => [...document.querySelectorAll('{HOST}')].find((h) => h.aevizLatentPath)"
                  ".shadowRoot.querySelector('.lp-k').scrollIntoView({block: 'center'})")
    page.wait_for_timeout(500)


def _strip_el(page, selector):
    return page.locator(f"{HOST} {selector}")


def test_k_step_and_radius_repaint_without_a_server_message(page, server_url):
    frames = []
    _open(page, server_url, frames)
    wait_for_app(page)
    page.wait_for_timeout(800)
    sent = len(frames)
    assert sent > 0  # the page's own messages were counted: the counter works
    s0 = page.evaluate(f"() => {STRIP}.state()")
    assert len(s0["t"]) == lpath.K_DEFAULT and s0["verdict"].startswith("The ")
    paints = page.evaluate(f"() => {STRIP}.paints")
    k_slider = _strip_el(page, ".lp-k")
    k_slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")  # the keyboard moves K
    assert page.evaluate(f"() => {STRIP}.k") == lpath.K_DEFAULT + 5
    s1 = page.evaluate(f"() => {STRIP}.state()")
    assert len(s1["t"]) == lpath.K_DEFAULT + 5 and s1["Z"][0] == s0["Z"][0] and s1["Z"][-1] == s0["Z"][-1]
    assert page.evaluate(f"() => {STRIP}.paints") >= paints + 5
    step = _strip_el(page, ".lp-s")
    step.focus()
    page.keyboard.press("Home")
    assert page.evaluate(f"() => {STRIP}.state().step") == 0
    assert "Step 1 of 17, t = 0.00" in _strip_el(page, ".lp-dtext").inner_text()
    # a finger or the mouse on a tile shows that step large
    box = _strip_el(page, ".lp-tiles").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + 3)
    assert page.evaluate(f"() => {STRIP}.state().step") > 0
    # the map's radius slider, dragged in the browser: the strip follows it live
    r0 = page.evaluate(f"() => {MAP}.r")
    page.evaluate(f"""() => {{ const s = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-radius input');
        s.value = String({r0} / 50); s.dispatchEvent(new Event('input', {{bubbles: true}})); }}""")
    s2 = page.evaluate(f"() => {STRIP}.state()")
    r1 = page.evaluate(f"() => {MAP}.r")  # the slider's step rounds the value
    assert r1 < r0 / 10 and s2["r"] == r1 and any(s2["holes"])  # a tiny r: the path is in holes
    assert s2["verdict"].startswith("The path is in a hole")
    page.wait_for_timeout(500)
    assert len(frames) == sent, f"{len(frames) - sent} websocket messages while changing K, the step and r"


def test_two_clicks_on_the_map_become_the_paths_ends(page, server_url):
    frames = []
    _open(page, server_url, frames)
    page.get_by_text("my last two clicks").click()
    wait_for_app(page)
    page.wait_for_function(f"() => {STRIP} && !{STRIP}.ready && {STRIP}.message.startsWith('Click two points')")
    view = page.evaluate(f"() => {MAP}.view")
    page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                  ".scrollIntoView({block: 'center'})")
    zs = []
    for fa, fb in ((0.2, 0.3), (0.8, 0.7)):
        a, b = view[0] + fa * (view[2] - view[0]), view[1] + fb * (view[3] - view[1])
        pt = page.evaluate(f"([a, b]) => {MAP}.toClient(a, b)", [a, b])
        page.mouse.click(pt["x"], pt["y"])
        zs.append(page.evaluate(f"() => {MAP}.state().z"))
    page.wait_for_function(f"() => {STRIP}.ready")
    s = page.evaluate(f"() => {STRIP}.state()")
    assert np.allclose(s["Z"][0], zs[0], atol=1e-5) and np.allclose(s["Z"][-1], zs[1], atol=1e-5)
    wait_for_app(page)  # the clicks reached the server too; after its rerun the strip keeps them
    page.wait_for_timeout(500)
    s = page.evaluate(f"() => {STRIP}.state()")
    assert np.allclose(s["Z"][0], zs[0], atol=1e-4) and np.allclose(s["Z"][-1], zs[1], atol=1e-4)


def test_numbers_print_as_python_prints_them(module_page):
    """Every t the strip can show (K = 2 … 30, float32) and a few radii print as Python's f-strings do."""
    ts = sorted({float(t) for k in range(2, 31) for t in np.linspace(0, 1, k, dtype=np.float32)})
    rs = [0.5, 0.125, 1.0, 0.0123456, 2.675, 12.5, 1234.5, 0.000123]
    got = module_page.evaluate("([ts, rs]) => [ts.map((t) => lp.fixed(t, 2)), rs.map((r) => lp.g3(r))]", [ts, rs])
    assert got[0] == [f"{t:.2f}" for t in ts]
    assert got[1] == [f"{r:.3g}" for r in rs]
