"""Draw your own digit in a real browser (headless Chromium via Playwright): scripted pointer strokes on the
latent map's pad, with the default mnist model (and the 8x8 digits), land nearer the codes of their own class
than of any other; what the encoder saw equals Python's preprocessing of the same strokes; the end of a stroke
sends the code to the page; Clear empties the pad. Skipped unless Chromium and Playwright are installed."""

import json

import numpy as np
import pytest
from conftest import wait_for_app

from aeviz.analysis import draw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOST = "[data-testid=stBidiComponentIsolated]"
API = f"document.querySelector('{HOST}').aevizLatentMap"
ROOT = f"document.querySelector('{HOST}').shadowRoot"


def _open(page, server_url, dataset):
    page.goto(f"{server_url}/latent?d_name={dataset}")
    wait_for_app(page, timeout=300_000)
    page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.view", timeout=300_000)
    page.evaluate(f"() => {ROOT}.querySelector('.lm-pad').scrollIntoView({{block: 'center'}})")
    page.wait_for_timeout(300)


def _pad(page) -> dict:
    return page.evaluate(f"() => {{ const r = {ROOT}.querySelector('.lm-pad').getBoundingClientRect();"
                         " return {x: r.left, y: r.top, w: r.width, h: r.height}; }")


def _stroke(page, pad, points):
    """Press, move through `points` (fractions of the pad), let go: as a mouse draws."""
    xy = [(pad["x"] + fx * pad["w"], pad["y"] + fy * pad["h"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y)
    page.mouse.up()
    return [[x - pad["x"], y - pad["y"]] for x, y in xy]


ONE = [(0.5, 0.12 + 0.76 * i / 30) for i in range(31)]
_T = np.linspace(0, 2 * np.pi, 61)
ZERO = list(zip(0.5 + 0.3 * np.sin(_T), 0.5 - 0.38 * np.cos(_T)))  # round: 0.6 wide, 0.76 tall


@pytest.mark.parametrize("dataset", ["mnist", "digits"])
def test_a_drawn_1_and_0_land_among_their_own_class(page, server_url, dataset):
    _open(page, server_url, dataset)
    model = page.evaluate(f"() => ({{codes: {API}.codes(), labels: Array.from({API}.model.labels),"
                          f" latent: {API}.model.latent, spec: {API}.model.draw}})")
    codes = np.asarray(model["codes"]).reshape(-1, model["latent"])
    labels = np.asarray(model["labels"])
    means = np.stack([codes[labels == k].mean(0) for k in range(10)])
    pad = _pad(page)
    assert pad["w"] >= 120 and pad["w"] == pytest.approx(pad["h"])
    assert page.evaluate(f"() => getComputedStyle({ROOT}.querySelector('.lm-pad')).touchAction") == "none"
    for digit, points in [(1, ONE), (0, ZERO)]:
        page.evaluate(f"() => {ROOT}.querySelector('.lm-draw-clear').click()")
        assert page.evaluate(f"() => {API}.drawing()") is None
        strokes = [_stroke(page, pad, points)]
        page.wait_for_function(f"() => {ROOT}.querySelector('.lm-wrap').dataset.drawnCode")
        z = np.asarray(json.loads(page.evaluate(f"() => {ROOT}.querySelector('.lm-wrap').dataset.drawnCode")))
        seen = page.evaluate(f"() => {API}.drawing()")
        # what the encoder saw is Python's preprocessing of the strokes the pad recorded (the mouse's points)
        want = draw.preprocess(strokes, model["spec"]).ravel()
        assert np.abs(np.asarray(seen["image"]) - want).max() < 0.05
        d = np.linalg.norm(means - z, axis=1)
        nearest = labels[np.argsort(np.linalg.norm(codes - z, axis=1))[:15]]
        print(f"{dataset}: drawn {digit} -> z {np.round(z, 2)}; distance to each class's mean code {np.round(d, 2)}; "
              f"15 nearest codes' labels {np.bincount(nearest, minlength=10).tolist()}")
        assert d.argmin() == digit, d
        state = page.evaluate(f"() => {API}.state()")
        assert state["source"] == "your drawing" and np.allclose(state["z"], z)
        badge = page.evaluate(f"() => {ROOT}.querySelector('.lm-badge').textContent")
        assert badge == ("in a hole" if state["hole"] else "not a hole")
        assert page.evaluate(f"() => {ROOT}.querySelector('.lm-draw-head .lm-badge').textContent") == badge
        # the end of the stroke sent the code to the page, like a click
        want_text = f"z = ({z[0]:.3f}, {z[1]:.3f}), from your drawing"
        page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.includes(want)",
                               arg=[".st-key-latent_output", want_text], timeout=60_000)
        wait_for_app(page)
    page.evaluate(f"() => {ROOT}.querySelector('.lm-draw-clear').click()")
    assert page.evaluate(f"() => {API}.drawing()") is None
    assert page.evaluate(f"() => {ROOT}.querySelector('.lm-wrap').dataset.drawnCode") is None


def test_the_pad_is_left_out_where_there_is_nothing_to_draw(page, server_url):
    page.goto(f"{server_url}/latent?d_name=gw")
    wait_for_app(page, timeout=300_000)
    page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.view", timeout=300_000)
    assert page.evaluate(f"() => {ROOT}.querySelector('.lm-draw').hidden") is True
