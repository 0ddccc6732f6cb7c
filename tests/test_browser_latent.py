"""The latent map in a real browser (headless Chromium via Playwright).

1. The component's JS module, loaded in a plain page, decodes exactly as torch does for every variant,
   activation and dataset, finds the same nearest codes and planes as aeviz.analysis, and gives the one hole
   rule's verdict and distance (standardised units, the decoder's training codes) that `la.hole_test` gives.
2. In the running app: hovering decodes and repaints with no message to the server; a tap on a phone
   viewport decodes (and sends) the tapped point, not the previous one; arrow keys move the point; the
   holes are shaded where aeviz.analysis says. Skipped unless Chromium and Playwright are installed.
"""

import re

import numpy as np
import pytest
from conftest import js_module_page, wait_for_app

from aeviz import DATASETS, VARIANTS, DataConfig, ModelConfig, TrainConfig, Trainer, build, load
from aeviz.analysis import decode
from aeviz.analysis import latent as la
from aeviz.analysis import latent_map as lm
from aeviz.activations import ACTIVATIONS
from aeviz.ui.components import bundle

pytestmark = pytest.mark.browser

JS = bundle.script("latent_map.js")  # the component's script, as Streamlit receives it
HOST = "[data-testid=stBidiComponentIsolated]"
API = f"document.querySelector('{HOST}').aevizLatentMap"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def module_page(browser):
    """A blank page with the component's module imported as window.lm."""
    pg, names = js_module_page(browser, JS, "lm")
    assert {"decode", "default", "holeTest", "loadLayers", "loadModel", "nearest", "project", "toLatent"} <= set(names)
    yield pg
    pg.close()


def _cases():
    """(dataset, variant, activation, latent) for every combination (the linear variant has no activation)."""
    for dataset in DATASETS:
        for variant in VARIANTS:
            for act in (tuple(ACTIVATIONS)[:1] if variant == "linear" else tuple(ACTIVATIONS)):
                yield dataset, variant, act, 2
    yield "gw", "autoencoder", "tanh", 5
    yield "line", "variational", "elu", 1


def test_js_decode_equals_torch_for_every_variant_activation_and_dataset(module_page):
    rng = np.random.default_rng(0)
    cases = []
    for dataset, variant, act, latent in _cases():
        data = load(DataConfig(name=dataset))
        model = build(ModelConfig(variant=variant, activation=act, latent=latent), data, seed=7)
        Z = np.concatenate([rng.normal(0, 1, (8, latent)), rng.normal(0, 6, (8, latent))]).astype(np.float32)
        layers = lm.decoder_layers(model)  # exact float32, or 16-bit steps per row for the 784-wide layers
        cases.append({"layers": layers, "Z": Z.tolist(), "ref": decode(model, Z).tolist(),
                      "name": f"{dataset}/{variant}/{act}/{latent}",
                      "tol": TOLERANCE if all("w" in layer for layer in layers) else 1e-3})
    errors = module_page.evaluate("""(cases) => cases.map(c => {
      const layers = lm.loadLayers(c.layers);
      let worst = 0;
      c.Z.forEach((z, i) => { const x = lm.decode(layers, z);
        if (x.length !== c.ref[i].length) worst = Infinity;
        x.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - c.ref[i][j])); }); });
      return [c.name, worst, c.tol];
    })""", cases)
    assert len(errors) == len(cases) > 100
    bad = [(name, err) for name, err, tol in errors if not err <= tol]  # NaN or a wrong length fails too
    assert not bad, bad
    print(f"{len(cases)} models, max |JS - torch| {max(err for _, err, _ in errors):.1e}")


@pytest.mark.parametrize("dataset,latent", [("digits", 2), ("gw", 4), ("line", 1), ("swiss_roll", 2)])
def test_js_payload_matches_the_analysis_trained_model(module_page, dataset, latent):
    """A trained model's whole payload: decoding, plane and nearest code as aeviz.analysis computes them."""
    data = load(DataConfig(name=dataset))
    run = Trainer(build(ModelConfig(latent=latent), data, seed=42), data, TrainConfig(epochs=10)).run()
    v = la.latent_view(run.model, data)
    p = lm.latent_map_payload(run.model, data, v, run_id="test-run")
    ab = np.random.default_rng(1).uniform(v.lo, v.hi, (25, 2)).astype(np.float32)
    Z = v.plane.to_latent(ab)
    dist, idx, _ = la.hole_test(v.index, Z, v.radius)
    out = module_page.evaluate("""([p, ab]) => {
      const m = lm.loadModel(p);
      return ab.map(([a, b]) => { const z = lm.toLatent(m, a, b); const n = lm.nearest(m, z);
        return {z: Array.from(z), x: Array.from(lm.decode(m.layers, z)), dist: n.dist, row: n.row,
                back: lm.project(m, z), sample: m.sampleIds[n.row]}; });
    }""", [p, ab.tolist()])
    for k, o in enumerate(out):
        assert np.allclose(o["z"], Z[k], atol=1e-5)
        assert np.abs(np.asarray(o["x"]) - decode(run.model, np.asarray(o["z"], np.float32)[None])[0]).max() <= TOLERANCE
        assert o["dist"] == pytest.approx(dist[k], abs=1e-5)  # the rule's standardised distance, exact codes
        assert o["row"] == idx[k]
        assert o["sample"] == data.train_idx[o["row"]]
        if latent > 1:
            assert np.allclose(o["back"], ab[k], atol=1e-4)


@pytest.mark.parametrize("variant,latent", [("autoencoder", 2), ("variational", 2), ("autoencoder", 4),
                                            ("variational", 4)])
def test_js_hole_test_agrees_with_the_python_rule(module_page, variant, latent):
    """The browser's "in a hole" / "not a hole" and its distance are `la.hole_test`'s for the same z: standardised
    units, against the codes the decoder was trained on (a VAE's sampled z), at the rule's default r and the
    slider's end; the payload's r and slider range are the LatentView's."""
    data = load(DataConfig())
    run = Trainer(build(ModelConfig(variant=variant, latent=latent), data, seed=42), data,
                  TrainConfig(epochs=15)).run()
    v = la.latent_view(run.model, data)
    p = lm.latent_map_payload(run.model, data, v, run_id="test-run")
    assert (p["radius"], p["radius_max"]) == (v.radius, max(v.radius_max, v.radius))
    rng = np.random.default_rng(3)
    on_plane = v.plane.to_latent(rng.uniform(v.lo - 0.2 * (v.hi - v.lo), v.hi + 0.2 * (v.hi - v.lo), (1000, 2)))
    drawn = v.index.unstandardise(la.sample_normal(1000, latent, 1.0, seed=5))  # off the plane for latent > 2
    Z = np.concatenate([on_plane, drawn]).astype(np.float32)
    out = module_page.evaluate("""([p, Z, rs]) => {
      const m = lm.loadModel(p);
      return rs.map((r) => Z.map((z) => { const t = lm.holeTest(m, z, r); return [t.dist, t.row, t.hole]; }));
    }""", [p, Z.tolist(), [v.radius, 0.5 * v.radius, 2 * v.radius]])
    worst = 0.0
    for r, got in zip([v.radius, 0.5 * v.radius, 2 * v.radius], out):
        dist, idx, hole = la.hole_test(v.index, Z, r)
        js_dist = np.array([g[0] for g in got])
        worst = max(worst, float(np.abs(js_dist - dist).max()))
        js_hole = np.array([g[2] for g in got])
        assert np.abs(js_dist - dist).max() < 1e-5
        assert np.array_equal(np.array([g[1] for g in got]), idx)
        near_edge = np.abs(dist - r) < 1e-5  # float32 vs float64 could decide these; none in practice
        assert np.array_equal(js_hole[~near_edge], hole[~near_edge]) and near_edge.sum() <= 1
        assert 0 < hole.sum() < len(Z) or r > v.radius  # both verdicts occur (at 2r a VAE may have no holes)
    print(f"{variant} latent {latent}: {len(Z) * 3} tests, max |JS - Python| distance {worst:.1e}, verdicts agree")


# ---------------------------------------------------------------- the running app

def _open(page, server_url, frames=None):
    if frames is not None:
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    page.goto(f"{server_url}/latent?t_epochs=20")
    wait_for_app(page, timeout=300_000)
    page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.view", timeout=300_000)
    page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                  ".scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)


def _client(page, a, b):
    return page.evaluate(f"([a, b]) => {API}.toClient(a, b)", [a, b])


def _state(page):
    return page.evaluate(f"() => {API}.state()")


def _server_text(page):
    return page.locator(".st-key-latent_output").inner_text()


def test_hover_decodes_in_the_browser_without_a_server_message(page, server_url):
    frames = []
    _open(page, server_url, frames)
    wait_for_app(page)
    page.wait_for_timeout(1000)
    view = page.evaluate(f"() => {API}.view")
    # before any pointer the output already shows a decoding: the codes' mean, the map's centre
    start, mean = _state(page), page.evaluate(f"() => Array.from({API}.model.center)")
    assert start["source"].startswith("the codes' mean") and start["z"] == pytest.approx(mean, abs=1e-6)
    assert len(start["x"]) == 64 and np.ptp(start["x"]) > 0.05
    before, sent = page.evaluate(f"() => {API}.decodes"), len(frames)
    assert sent > 0  # the page's own requests were counted: the counter works
    seen = set()
    for k in range(30):
        a = view[0] + (0.1 + 0.8 * ((k * 0.37) % 1)) * (view[2] - view[0])
        b = view[1] + (0.1 + 0.8 * ((k * 0.61) % 1)) * (view[3] - view[1])
        pt = _client(page, a, b)
        page.mouse.move(pt["x"], pt["y"])
        s = _state(page)
        assert s["a"] == pytest.approx(a, abs=(view[2] - view[0]) / 200) and s["source"] == "the pointer"
        seen.add(round(s["x"][20], 6))
    assert page.evaluate(f"() => {API}.decodes") - before >= 30
    assert len(seen) > 20  # the output changed with the point
    # the decoded image on screen is the decoding of the point under the pointer
    pixels = page.evaluate(f"""() => {{ const c = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-img');
        return Array.from(c.getContext('2d').getImageData(0, 0, 8, 8).data.filter((_, i) => i % 4 === 0)); }}""")
    x = np.clip(np.asarray(_state(page)["x"]), 0, 1)
    assert np.abs(np.asarray(pixels) - (255 - np.round(255 * x))).max() <= 1
    page.wait_for_timeout(500)
    assert len(frames) == sent, f"{len(frames) - sent} websocket messages during hovering"
    assert "send a point to the page" in _server_text(page)  # nothing was sent


def test_a_tap_on_a_phone_decodes_and_sends_the_tapped_point(browser, server_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = ctx.new_page()
    try:
        _open(page, server_url)
        view = page.evaluate(f"() => {API}.view")
        span = view[2] - view[0]
        first = None
        for fa, fb in [(0.3, 0.35), (0.7, 0.65), (0.45, 0.8)]:
            a, b = view[0] + fa * span, view[1] + fb * (view[3] - view[1])
            pt = _client(page, a, b)
            page.touchscreen.tap(pt["x"], pt["y"])
            s = _state(page)
            assert s["source"] == "a tap"
            assert s["a"] == pytest.approx(a, abs=span / 150) and s["b"] == pytest.approx(b, abs=span / 150)
            # the server receives this tap's point, not the previous one
            want = f"z = ({s['z'][0]:.3f}, {s['z'][1]:.3f}), from a tap"
            page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.includes(want)",
                                   arg=[".st-key-latent_output", want], timeout=60_000)
            if first:
                assert first not in _server_text(page)
            first = want
            wait_for_app(page)
            # the map was not rebuilt by the rerun: the same point is still shown
            assert _state(page)["a"] == pytest.approx(s["a"])
        # a finger on the map does not scroll the page
        assert page.evaluate(f"() => getComputedStyle(document.querySelector('{HOST}').shadowRoot"
                             ".querySelector('.lm-map')).touchAction") == "none"
    finally:
        ctx.close()


def test_arrow_keys_move_the_point_and_enter_sends_it(page, server_url):
    _open(page, server_url)
    view = page.evaluate(f"() => {API}.view")
    pt = _client(page, (view[0] + view[2]) / 2, (view[1] + view[3]) / 2)
    page.mouse.click(pt["x"], pt["y"])
    page.mouse.move(5, 5)  # away from the map: it shows the kept point
    start = _state(page)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowUp")
    s = _state(page)
    assert s["source"] == "the arrow keys"
    assert s["a"] == pytest.approx(start["a"] + 3 * 0.02 * (view[2] - view[0]), rel=1e-6)
    assert s["b"] == pytest.approx(start["b"] + 0.02 * (view[3] - view[1]), rel=1e-6)
    live = page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('[aria-live]').textContent")
    assert "hole" in live and f"{s['z'][0]:.2f}" in live  # said to screen readers
    page.keyboard.press("Enter")
    want = f"z = ({s['z'][0]:.3f}, {s['z'][1]:.3f})"
    page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.includes(want)",
                           arg=[".st-key-latent_output", want], timeout=60_000)


def test_holes_are_shaded_where_the_analysis_says(page, server_url):
    _open(page, server_url)
    view = page.evaluate(f"() => {API}.view")
    ref = np.asarray(page.evaluate(f"() => {API}.reference()"), np.float32).reshape(-1, 2)
    r = page.evaluate(f"() => {API}.r")
    assert r == la.default_radius(ref)  # the one rule's r, in standardised units
    index = la.index_codes(ref)
    rng = np.random.default_rng(0)
    ab = rng.uniform(view[:2], view[2:], (400, 2)).astype(np.float32)
    dist, _, holes = la.hole_test(index, ab, r)
    pixel = (view[2] - view[0]) / page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot"
                                                ".querySelector('.lm-holes').width")
    clear_cut = np.abs(dist - r) > 4 * pixel / index.scale.min()  # away from the edge (standardised units)
    pts = [(_client(page, float(a), float(b)), bool(h)) for (a, b), h, c in zip(ab, holes, clear_cut) if c]
    assert sum(h for _, h in pts) > 20 and sum(not h for _, h in pts) > 20
    shades = page.evaluate(f"(pts) => pts.map(p => {API}.shadeAt(p.x, p.y))", [p for p, _ in pts])
    wrong = [(p, h, s) for (p, h), s in zip(pts, shades) if (s > 0) != h]
    assert not wrong, wrong[:5]
    # hovering one of each says so
    for (p, h) in (next(x for x in pts if x[1]), next(x for x in pts if not x[1])):
        page.mouse.move(p["x"], p["y"])
        status = page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-status').innerText")
        assert ("in a hole" if h else "not a hole") in status, status
    # a larger radius in the browser shrinks the holes at once, without the server
    before = sum(s > 0 for s in shades)
    page.evaluate(f"""() => {{ const s = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-radius input');
        s.value = String(3 * Number(s.value)); s.dispatchEvent(new Event('input')); }}""")
    after = page.evaluate(f"(pts) => pts.map(p => {API}.shadeAt(p.x, p.y))", [p for p, _ in pts])
    assert sum(s > 0 for s in after) < before
    # releasing the slider sends r to the server: the sections below count their holes with it (the grid is
    # built once opened)
    page.get_by_text("Decode the grid", exact=True).click()
    grid = page.get_by_text(re.compile(r"grid cells are in a hole")).first
    grid.wait_for(timeout=120_000)
    counted = grid.inner_text()
    page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-radius input')"
                  ".dispatchEvent(new Event('change'))")
    page.wait_for_function("([want]) => ![...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
                           ".some(e => e.innerText === want)", arg=[counted], timeout=120_000)
    wait_for_app(page)
    slider = page.evaluate(f"() => Number(document.querySelector('{HOST}').shadowRoot.querySelector('.lm-radius input').value)")
    assert page.evaluate(f"() => {API}.r") == pytest.approx(slider) and slider > 2.5 * r  # the server's r came back


def _metric(page) -> str:
    return page.locator("[data-testid=stMetricValue]").first.inner_text()


def _query(url: str) -> dict:
    from urllib.parse import parse_qs, urlparse
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_a_link_brings_back_the_pinned_point_and_the_radius(browser, server_url):
    """Click a point, move it with the arrow keys, let the radius slider go; the address bar now holds l_z and
    l_r; the same address in a fresh browser shows the same point pinned and decoded, the same r and the same
    hole verdict, in the map and in the page's reply."""
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = first.new_page()
    try:
        _open(page, server_url)
        view = page.evaluate(f"() => {API}.view")
        pt = _client(page, view[0] + 0.3 * (view[2] - view[0]), view[1] + 0.7 * (view[3] - view[1]))
        page.mouse.click(pt["x"], pt["y"])
        page.wait_for_function("(sel) => document.querySelector(sel)?.innerText.includes('from a click')",
                               arg=".st-key-latent_output", timeout=60_000)
        wait_for_app(page)
        page.mouse.move(5, 5)
        for _ in range(2):  # moved with the keys, then let go: that point goes to the page and the link
            page.keyboard.press("ArrowRight")
        page.wait_for_function("(sel) => document.querySelector(sel)?.innerText.includes('from the arrow keys')",
                               arg=".st-key-latent_output", timeout=60_000)
        wait_for_app(page)
        r0 = page.evaluate(f"() => {API}.r")
        page.evaluate(f"""() => {{ const s = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-radius input');
            s.value = String(0.6 * Number(s.value)); s.dispatchEvent(new Event('input'));
            s.dispatchEvent(new Event('change')); }}""")
        r_set = page.evaluate(f"() => {API}.r")  # on the slider's steps
        assert r_set < 0.7 * r0
        page.wait_for_function("() => location.search.includes('l_r=') && location.search.includes('l_z=')",
                               timeout=120_000)
        wait_for_app(page)
        page.wait_for_timeout(500)
        wait_for_app(page)
        # the app's rerun after the slider may remount the map, which gets its point back from the page
        page.wait_for_function(f"() => {API}.state() && {API}.state().source", timeout=60_000)
        url, q = page.url, _query(page.url)
        before = _state(page)
        assert before["source"] == "the arrow keys" and float(q["l_r"]) == pytest.approx(r_set, rel=1e-3)
        z_link = [float(t) for t in q["l_z"].split(",")]
        assert z_link == pytest.approx(before["z"], abs=2e-3)
        reply, metric = _server_text(page), _metric(page)
        verdict = "in a hole" if before["hole"] else "not a hole"
        assert verdict in reply and f"r = {float(q['l_r']):.3g}" in reply
    finally:
        first.close()

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = fresh.new_page()
    try:
        page.goto(url)
        wait_for_app(page, timeout=300_000)
        page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.state()", timeout=300_000)
        wait_for_app(page)
        after = _state(page)
        assert after["source"] == "the link" and after["z"] == pytest.approx(z_link, abs=1e-6)  # pinned, decoded
        assert after["x"] == pytest.approx(before["x"], abs=0.05)  # the same decoding (the point moved < 1e-3)
        assert after["hole"] == before["hole"] and after["row"] == before["row"]
        assert page.evaluate(f"() => {API}.r") == float(q["l_r"])  # the same radius, on the slider too
        shown = page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-rval').textContent")
        assert float(shown) == pytest.approx(float(q["l_r"]), rel=1e-2)
        status = page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-status').innerText")
        assert verdict in status
        again = _server_text(page)
        assert "from the link" in again and verdict in again and f"r = {float(q['l_r']):.3g}" in again
        assert _metric(page) == metric  # the same hole fraction below
        assert _query(page.url)["l_z"] == q["l_z"] and _query(page.url)["l_r"] == q["l_r"]  # the link stays
    finally:
        fresh.close()
