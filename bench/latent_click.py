"""Latent explorer speed: click-to-decode latency in headless Chromium, and the 30×30 grid decode +
hole test on the server side.

    python bench/latent_click.py [--clicks 15] [--query "t_epochs=100"] [--skip-browser]

Prints the median click latency (from the mouse click to the server's reply about the clicked point; the
decoding itself happens in the browser, see bench/latent_hover.py) against
the 300 ms target, and the median time of one 30×30 grid decode + hole test against the 50 ms target,
with the ratio of each median to its target. The defaults measure the default model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CLICK_TARGET_MS = 300.0
GRID_TARGET_MS = 50.0
OUTPUT = ".st-key-latent_output"
HOST = "[data-testid=stBidiComponentIsolated]"


def grid_timing(repeats: int = 30) -> tuple[list[float], list[float]]:
    """Milliseconds of `decode_grid` at n = 30 on the default model (trained here once), with torch's
    default thread count and then with one thread (tiny batches lose time waking a thread pool)."""
    import torch

    from aeviz import Trainer, build, load
    from aeviz.analysis import latent as la
    from aeviz.config import DEFAULTS

    d, m, t = DEFAULTS
    data = load(d)
    run = Trainer(build(m, data, seed=t.seed), data, t).run()
    v = la.latent_view(run.model, data)

    def measure() -> list[float]:
        la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, 30, v.radius)  # warm up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            g = la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, 30, v.radius)
            times.append(1000 * (time.perf_counter() - t0))
        assert g.X.shape[0] == 900
        return times

    default = measure()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = measure()
    finally:
        torch.set_num_threads(threads)
    return default, single


def click_timing(clicks: int, query: str) -> list[float]:
    """Milliseconds from a click on the map to the server's reply about that point, over `clicks` clicks.

    The map decodes in the browser (bench/latent_hover.py times that); a click still sends its point to
    the server, which answers with its own hole test: this is that round trip."""
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_for_app
    from playwright.sync_api import sync_playwright

    api = f"document.querySelector('{HOST}').aevizLatentMap"
    proc, url = start_server()
    times: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(f"{url}/latent?{query}")
            wait_for_app(page, timeout=600_000)
            page.wait_for_function(f"() => document.querySelector('{HOST}') && {api} && {api}.view", timeout=600_000)
            page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                          ".scrollIntoView({block: 'center'})")
            view = page.evaluate(f"() => {api}.view")
            # a spiral of positions over the plot area, a few percent apart, never the same twice
            for i in range(clicks + 2):
                fx = 0.06 + 0.88 * ((i * 0.37) % 1.0)
                fy = 0.06 + 0.88 * ((i * 0.61) % 1.0)
                pt = page.evaluate(f"([a, b]) => {api}.toClient(a, b)",
                                   [view[0] + fx * (view[2] - view[0]), view[1] + fy * (view[3] - view[1])])
                page.mouse.move(pt["x"], pt["y"])
                s = page.evaluate(f"() => {api}.state()")
                want = f"z = ({s['z'][0]:.3f}, {s['z'][1]:.3f})"
                t0 = time.perf_counter()
                page.mouse.click(pt["x"], pt["y"])
                page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.includes(want)",
                                       arg=[OUTPUT, want], timeout=30_000, polling="raf")
                ms = 1000 * (time.perf_counter() - t0)
                if i >= 2:  # the first two warm the caches
                    times.append(ms)
                wait_for_app(page)
            browser.close()
    finally:
        proc.terminate()
    return times


def main() -> None:
    """Run both measurements and print medians against their targets."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--clicks", type=int, default=15)
    ap.add_argument("--query", default="")
    ap.add_argument("--skip-browser", action="store_true")
    args = ap.parse_args()
    import os

    grid, single = grid_timing()
    med, med1 = statistics.median(grid), statistics.median(single)
    print(f"30x30 grid decode + hole test: median {med:.2f} ms over {len(grid)} runs "
          f"(target {GRID_TARGET_MS:.0f} ms, ratio {med / GRID_TARGET_MS:.2f}); with torch on one thread "
          f"{med1:.2f} ms (ratio {med1 / GRID_TARGET_MS:.2f}); load average {os.getloadavg()[0]:.1f}")
    if not args.skip_browser:
        clicks = click_timing(args.clicks, args.query)
        med = statistics.median(clicks)
        print(f"click -> the server's reply in headless Chromium: median {med:.0f} ms over {len(clicks)} clicks "
              f"(min {min(clicks):.0f}, max {max(clicks):.0f}; target {CLICK_TARGET_MS:.0f} ms, "
              f"ratio {med / CLICK_TARGET_MS:.2f}); load average {os.getloadavg()[0]:.1f}")
        print("all clicks (ms):", " ".join(f"{t:.0f}" for t in clicks))


if __name__ == "__main__":
    main()
