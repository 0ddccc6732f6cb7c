"""The threshold chart's JavaScript against the Python it must repeat, and the chart in the real app.

Part 1 loads the component's script (aeviz/ui/components/js/threshold.js and its modules) into a plain
page and compares its detection metrics, percentiles and ROC curve with aeviz.analysis.anomaly (and so sklearn and numpy) on random error
arrays, count for count. Part 2 drags, taps and presses keys on the Anomaly page: no server message
while dragging, one when the drag is let go, and the server's numbers then equal the chart's.
Skipped unless Chromium and Playwright are installed."""

import math
import re

import numpy as np
import pytest

from aeviz.analysis import anomaly as an
from aeviz.ui.components import threshold as tc
from conftest import wait_for_app

pytestmark = pytest.mark.browser

_LOAD = """async (src) => {
  const url = URL.createObjectURL(new Blob([src], {type: 'text/javascript'}));
  window.T = await import(url);
  return Object.keys(window.T).length;
}"""

# every threshold and percentile of one case, computed in the page from the same bytes Python compares
_RUN = """([normal, anomalous, dtype, thresholds, percentiles]) => {
  const T = window.T;
  const n = T.decodeFloats(normal, dtype), a = T.decodeFloats(anomalous, dtype);
  const ns = T.sortedCopy(n), as = T.sortedCopy(a);
  const plain = (m) => ({...m, detection_rate: Number.isNaN(m.detection_rate) ? 'nan' : m.detection_rate,
                         false_positive_rate: Number.isNaN(m.false_positive_rate) ? 'nan' : m.false_positive_rate});
  const roc = (n.length && a.length) ? T.rocCurve(n, a) : null;
  return {
    decoded: [Array.from(n), Array.from(a)],
    metrics: thresholds.map((t) => plain(T.detectionMetrics(n, a, t))),
    fast: thresholds.map((t) => plain(T.metricsSorted(ns, as, t))),
    percentiles: percentiles.map((p) => T.percentile(ns, p)),
    inverse: percentiles.map((p) => T.percentileOf(ns, T.percentile(ns, p))),
    roc: roc && {fpr: roc.fpr, tpr: roc.tpr, thresholds: roc.thresholds.map((t) => t === Infinity ? 'inf' : t),
                 auc: roc.auc},
  };
}"""


@pytest.fixture(scope="module")
def js(browser):
    """A plain page with the component's script imported as `window.T` (its pure functions are named exports)."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.set_content("<!doctype html><title>threshold.js</title>")
    assert pg.evaluate(_LOAD, tc.script()) >= 8
    yield pg
    ctx.close()


def _cases():
    """(name, normal, anomalous) error arrays: float32 like the page's, ties, overlap, one-class edge cases."""
    rng = np.random.default_rng(7)
    out = []
    for i, (n, k) in enumerate([(160, 50), (324, 86), (80, 50), (7, 3), (1, 1), (500, 200)]):
        normal = rng.lognormal(-3, 0.5, n).astype(np.float32)
        anomalous = rng.lognormal(-2 + 0.3 * i, 1.0, k).astype(np.float32)
        out.append((f"lognormal-{n}-{k}", normal, anomalous))
    coarse = rng.integers(0, 12, 120).astype(np.float32) / 8  # many exact ties, within and across classes
    out.append(("ties", coarse[:80], coarse[80:] + np.float32(0.25)))
    out.append(("float64", rng.random(90), rng.random(40) + 0.3))  # float64 errors travel as f8
    out.append(("no-anomalies", rng.random(30).astype(np.float32), np.zeros(0, np.float32)))
    return out


@pytest.mark.parametrize("name, normal, anomalous", _cases(), ids=[c[0] for c in _cases()])
def test_js_metrics_percentiles_and_roc_equal_python(js, name, normal, anomalous):
    data = tc.payload(normal, anomalous, mode="percentile", pct=95.0, threshold=0.0, log_x=True)
    every = np.concatenate([normal, anomalous]).astype(float)
    # thresholds: on data values (the strict > matters there), between them, below and above everything
    thresholds = sorted({float(v) for v in every[:: max(1, len(every) // 15)]} | {-1.0, 0.0, 1e9}
                        | {float(v) + 1e-7 for v in every[:5]})
    percentiles = [50.0, 80.0, 90.0, 95.0, 97.5, 99.0, 99.9, 62.3, 100.0 * 3 / max(1, len(normal) - 1) + 50]
    percentiles = [p for p in percentiles if p <= 100]
    out = js.evaluate(_RUN, [data["normal"], data["anomalous"], data["dtype"], thresholds, percentiles])

    assert out["decoded"][0] == normal.astype(float).tolist()  # the bytes are the numbers, exactly
    assert out["decoded"][1] == anomalous.astype(float).tolist()
    for t, m_js, m_fast in zip(thresholds, out["metrics"], out["fast"]):
        m = an.detection_metrics(normal, anomalous, t)
        assert m_js == m_fast
        assert (m_js["tp"], m_js["fp"], m_js["tn"], m_js["fn"]) == (m["tp"], m["fp"], m["tn"], m["fn"]), t
        for k in ("detection_rate", "false_positive_rate"):
            assert (m_js[k] == "nan") if math.isnan(m[k]) else m_js[k] == m[k], (k, t)
        assert m_js["precision"] == m["precision"] and m_js["f1"] == pytest.approx(m["f1"], rel=1e-15, abs=0), t
    for p, v, back in zip(percentiles, out["percentiles"], out["inverse"]):
        assert v == an.threshold(normal, "percentile", p), p  # numpy's linear rule, bit for bit
        assert an.threshold(normal, "percentile", back) == pytest.approx(v, rel=1e-12)  # the drag's inverse
    if len(anomalous):
        ref = an.roc(normal, anomalous)
        assert out["roc"]["fpr"] == ref["fpr"].tolist() and out["roc"]["tpr"] == ref["tpr"].tolist()
        thr = [math.inf if t == "inf" else t for t in out["roc"]["thresholds"]]
        assert thr == ref["thresholds"].tolist()
        assert out["roc"]["auc"] == pytest.approx(ref["auc"], rel=1e-12)


def test_js_raw_threshold_is_the_number_shown(js):
    """Raw thresholds go to Python rounded to the four significant digits the chart prints."""
    out = js.evaluate("() => [T.roundSig(0.0123456), T.roundSig(1234.56), T.roundSig(0), T.roundSig(-3)]")
    assert out == [0.01235, 1235, 0, 0]


# ---- the chart on the Anomaly page -----------------------------------------------------------------

CHART = "canvas.hist"


ERRORS: list[str] = []  # uncaught errors in the page (e.g. the app's renderer refusing a delta)


def _open(pg, server_url, query="d_name=gw&t_epochs=20"):
    sent = []
    ERRORS.clear()
    pg.on("pageerror", lambda e: ERRORS.append(str(e)))
    pg.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    pg.goto(f"{server_url}/anomaly?{query}")
    wait_for_app(pg, timeout=300_000)
    pg.locator(CHART).wait_for(timeout=300_000)
    pg.locator(CHART).scroll_into_view_if_needed()
    pg.wait_for_timeout(300)
    return sent


def _tiles(pg) -> dict:
    """The chart's numbers: {'tpr': '98.0%', 'fpr': ..., 'precision': ..., 'f1': ..., 'thr': ...}."""
    return pg.locator(".thr").evaluate("(root) => Object.fromEntries(Array.from(root.querySelectorAll('[data-m]'),"
                                       " (el) => [el.dataset.m, el.textContent]))")


def _server(pg) -> str:
    return next(t for t in pg.locator('[data-testid="stMarkdown"]').all_inner_texts() if t.startswith("At threshold"))


def _wait_server(pg, tiles: dict, timeout=30_000) -> str:
    """Wait until the server's sentence carries the chart's threshold and rates; return it."""
    pg.wait_for_function(
        "([thr, tpr, fpr]) => Array.from(document.querySelectorAll('[data-testid=\"stMarkdown\"]')).some((el) =>"
        " el.innerText.startsWith('At threshold τ = ' + thr) && el.innerText.includes('detection rate ' + tpr)"
        " && el.innerText.includes('false-positive rate ' + fpr))",
        arg=[tiles["thr"], tiles["tpr"], tiles["fpr"]], timeout=timeout)
    wait_for_app(pg)
    return _server(pg)


def test_drag_is_answered_in_the_browser_and_sent_once(page, server_url):
    sent = _open(page, server_url)
    first = _tiles(page)
    assert first["thr"] in _server(page) and first["tpr"] in _server(page)  # both start from Python's threshold
    box = page.locator(CHART).bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.8 * box["width"], y)
    before = len(sent)
    page.mouse.down()
    seen = set()
    for i in range(12):
        page.mouse.move(box["x"] + (0.8 - 0.05 * i) * box["width"], y)
        page.wait_for_timeout(20)
        seen.add(_tiles(page)["thr"])
    assert len(sent) == before, "a drag step reached the server"
    assert len(seen) >= 6  # the numbers moved with the pointer
    last = _tiles(page)
    assert float(last["thr"]) < float(first["thr"])
    page.mouse.up()
    text = _wait_server(page, last)
    assert len(sent) - before == 1, "letting go should send exactly one message"
    assert "percentile" in text and last["precision"] in text and last["f1"] in text
    assert not ERRORS, ERRORS


def test_keyboard_moves_the_threshold_and_the_slider_follows(page, server_url):
    _open(page, server_url, "t_epochs=20")  # digits, the dataset the page opens on
    page.locator(CHART).focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    tiles = _tiles(page)
    text = _wait_server(page, tiles)
    assert "the 94.7th percentile" in text
    assert "94.7" in page.locator(".st-key-an_pct").inner_text()  # the server's slider moved with the keys
    for key in ("ArrowRight", "ArrowLeft", "ArrowRight"):  # the server's own slider, one rerun each
        before = _server(page)
        page.locator('.st-key-an_pct input[type="range"]').press(key)
        page.wait_for_function("(before) => Array.from(document.querySelectorAll('[data-testid=\"stMarkdown\"]'))"
                               ".some((el) => el.innerText.startsWith('At threshold') && el.innerText !== before)",
                               arg=before, timeout=30_000)
        wait_for_app(page)
    for _ in range(100):  # the chart updates just after the page's text (its module runs asynchronously)
        if _tiles(page)["thr"] in _server(page):
            break
        page.wait_for_timeout(100)
    assert f"τ = {_tiles(page)['thr']} " in _server(page)  # the chart followed the server's slider
    assert not ERRORS, ERRORS


def test_a_tap_on_a_phone_moves_the_threshold_there(browser, server_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    pg = ctx.new_page()
    try:
        _open(pg, server_url)
        box = pg.locator(CHART).bounding_box()
        scroll = pg.evaluate("() => window.scrollY")
        thresholds = []
        for dx in (-25, 20):  # left of the line, then right of where the first tap put it
            line = float(pg.locator(CHART).get_attribute("data-line-x"))
            pg.touchscreen.tap(box["x"] + line + dx, box["y"] + box["height"] / 2)
            tiles = _tiles(pg)
            thresholds.append(float(tiles["thr"]))
            _wait_server(pg, tiles)  # the server has this tap's threshold, not the previous one's
        assert thresholds[0] < thresholds[1]  # each tap moved the line to the tapped point
        assert pg.evaluate("() => window.scrollY") == scroll  # the chart does not scroll under a finger
        assert pg.locator(CHART).evaluate("(el) => getComputedStyle(el).touchAction") == "none"
    finally:
        ctx.close()


def test_chart_describes_itself_for_screen_readers(page, server_url):
    _open(page, server_url)
    chart = page.locator(CHART)
    assert chart.get_attribute("role") == "slider" and chart.get_attribute("tabindex") == "0"
    assert re.search(r"detection rate \d+\.\d%", chart.get_attribute("aria-valuetext"))
    assert "AUC" in page.locator("canvas.roc").get_attribute("aria-label")
