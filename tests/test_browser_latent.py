"""The latent explorer in a real browser: `streamlit run` on a free port, headless Chromium via Playwright.

A click on empty space far from every code must say "in a hole" and show a decoding; a click on the
densest cluster must say "not a hole". Skipped unless Chromium and Playwright are installed."""

from conftest import wait_for_app

MAP = ".st-key-latent_map .js-plotly-plot"
OUTPUT = ".st-key-latent_output"

# Where to click, in page pixels: the click-grid point farthest from every code, or the code with the most
# other codes nearby. Reads the traces Plotly drew and converts data to pixels with Plotly's own axes.
_TARGET_JS = """([sel, want]) => {
  const gd = document.querySelector(sel);
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  const codes = [], grid = [];
  for (const t of gd._fullData) {
    if (t.type !== 'scatter' || !t.x || !t.x.length || t.x[0] === null) continue;
    const pts = Array.from(t.x, (x, i) => [x, t.y[i]]);
    if (t.name === 'click anywhere') grid.push(...pts); else if (t.customdata) codes.push(...pts);
  }
  const d2 = (a, b) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;
  const inside = (p, ax, v) => { const [lo, hi] = [Math.min(...ax.range), Math.max(...ax.range)];
    return v > lo + 0.05 * (hi - lo) && v < hi - 0.05 * (hi - lo); };
  grid.splice(0, grid.length, ...grid.filter(g => inside(g, xa, g[0]) && inside(g, ya, g[1])));
  let best = null, score = -1;
  if (want === 'hole') {
    for (const g of grid) { let m = Infinity; for (const c of codes) m = Math.min(m, d2(g, c));
      if (m > score) { score = m; best = g; } }
  } else {
    const span = (xa.range[1] - xa.range[0]) / 40;
    for (let i = 0; i < codes.length; i += 3) { let n = 0;
      for (const c of codes) if (d2(codes[i], c) < span * span) n++;
      if (n > score) { score = n; best = codes[i]; } }
  }
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  return {x: box.left + xa.d2p(best[0]), y: box.top + ya.d2p(best[1]), score: score, n: codes.length};
}"""


def _open(page, server_url):
    page.goto(f"{server_url}/latent?t_epochs=20")
    wait_for_app(page, timeout=300_000)
    page.locator(MAP).wait_for(timeout=300_000)
    page.locator(MAP).scroll_into_view_if_needed()
    page.wait_for_timeout(500)


def _click(page, want: str) -> str:
    before = page.locator(OUTPUT).inner_text()
    target = page.evaluate(_TARGET_JS, [MAP, want])
    assert target["n"] > 1000, target  # every training code of digits is on the map
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(150)
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function(
        "([sel, before]) => { const el = document.querySelector(sel);"
        " return el && el.innerText !== before && el.innerText.includes('Decoded at'); }",
        arg=[OUTPUT, before], timeout=30_000)
    wait_for_app(page)
    return page.locator(OUTPUT).inner_text()


def test_click_on_empty_space_is_a_hole_and_on_a_cluster_is_not(page, server_url):
    _open(page, server_url)
    assert "Click anywhere" in page.locator(OUTPUT).inner_text()

    text = _click(page, "hole")
    assert "in a hole" in text and "not a hole" not in text, text
    assert "from a click" in text  # empty space, not a training code
    img = page.locator(f"{OUTPUT} img").first
    img.wait_for()
    assert page.evaluate("(el) => el.complete && el.naturalWidth > 0", img.element_handle())  # a decoded image

    text = _click(page, "dense")
    assert "not a hole" in text and "in a hole" not in text, text
    # the numbers below the map followed the click
    assert page.locator('[data-testid="stNumberInput"] input').first.input_value() != ""
