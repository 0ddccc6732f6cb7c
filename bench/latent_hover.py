"""Latent map speed in the browser: pointer move -> decoded output repainted, and websocket messages per hover,
against a click's round trip to the server on the same page in the same run.

    python bench/latent_hover.py [--moves 240] [--clicks 12] [--query "t_epochs=100"]

Inside headless Chromium, for every pointer move the map dispatches "aeviz-decoded" once it has decoded and
repainted; the bench then waits for the next frame to be painted (requestAnimationFrame, then a task) and
records performance.now() − the pointer event's timeStamp. Printed: median and p95 over the moves against the
targets (20 ms, 50 ms), the websocket frames the page sent while hovering (target 0), and the median time from
a click to the server's reply on the page (the old way every decode went) with the ratio hover / click.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import app_page, p95  # noqa: E402  (bench/, after the path is set)

MEDIAN_TARGET_MS, P95_TARGET_MS = 20.0, 50.0
HOST = "[data-testid=stBidiComponentIsolated]"
API = f"document.querySelector('{HOST}').aevizLatentMap"
OUTPUT = ".st-key-latent_output"

_RECORD = """() => {
  window.__hover = [];
  document.addEventListener('aeviz-decoded', (e) => {
    const t0 = e.detail.t0, now = performance.now();
    requestAnimationFrame(() => { const raf = performance.now();
      setTimeout(() => window.__hover.push([performance.now() - t0, now - e.detail.start, e.detail.start - t0,
                                            raf - now]), 0); });
  });
}"""


def measure(moves: int, clicks: int, query: str) -> dict:
    """Hover latencies (ms), the frames sent while hovering, and click -> server reply latencies (ms)."""
    from conftest import wait_for_app

    frames: list = []
    with app_page(f"latent?{query}", frames.append) as page:
        page.wait_for_function(f"() => document.querySelector('{HOST}') && {API} && {API}.view",
                               timeout=900_000)
        page.evaluate(f"() => document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map')"
                      ".scrollIntoView({block: 'center'})")
        wait_for_app(page)
        page.wait_for_timeout(1000)
        page.evaluate(_RECORD)
        view = page.evaluate(f"() => {API}.view")

        def at(k: int) -> tuple[float, float]:
            a = view[0] + (0.05 + 0.9 * ((k * 0.3819) % 1)) * (view[2] - view[0])
            b = view[1] + (0.05 + 0.9 * ((k * 0.6180) % 1)) * (view[3] - view[1])
            pt = page.evaluate(f"([a, b]) => {API}.toClient(a, b)", [a, b])
            return pt["x"], pt["y"]

        points = [at(k) for k in range(moves + 10)]
        sent = len(frames)
        phase = random.Random(0)
        for k, (x, y) in enumerate(points):
            # a hand's moves arrive at any moment of the 16.7 ms between two frames: without this wait each
            # move would leave right after the previous frame, always at the same point of the next one
            page.wait_for_timeout(phase.uniform(0.0, 1000 / 60))
            page.mouse.move(x, y)
            page.wait_for_function("(n) => window.__hover.length >= n", arg=k + 1, polling="raf")
        page.wait_for_timeout(500)
        hover_frames = len(frames) - sent
        records = page.evaluate("() => window.__hover")[10:]  # the first few warm the JIT
        # the same moves as pointer events dispatched inside the page, one per frame: the component's own
        # time to the painted frame, without the browser's input routing (rAF-aligned pointer delivery)
        synthetic = page.evaluate(f"""async (points) => {{
          const map = document.querySelector('{HOST}').shadowRoot.querySelector('.lm-map');
          const out = [];
          for (const [x, y] of points) {{
            await new Promise((done) => requestAnimationFrame(() => {{
              const t0 = performance.now();
              // the event the component handles moves with (pointerrawupdate where the browser has it)
              const type = 'onpointerrawupdate' in window ? 'pointerrawupdate' : 'pointermove';
              map.dispatchEvent(new PointerEvent(type, {{clientX: x, clientY: y, pointerType: 'mouse',
                                                                 bubbles: true, composed: true}}));
              setTimeout(() => {{ out.push(performance.now() - t0); done(); }}, 0);
            }}));
          }}
          return out.slice(10);
        }}""", points)
        # the reference: a click, sent to the server, until the page shows the server's reply
        click_ms = []
        for k in range(clicks + 2):
            x, y = points[k * 7 % len(points)]
            page.mouse.move(x, y)
            want = page.evaluate(f"() => {{ const s = {API}.state(); return `z = (${{s.z[0].toFixed(3)}}, "
                                 f"${{s.z[1].toFixed(3)}})`; }}")
            t0 = time.perf_counter()
            page.mouse.down()
            page.mouse.up()
            page.wait_for_function("([sel, want]) => document.querySelector(sel)?.innerText.includes(want)",
                                   arg=[OUTPUT, want], timeout=60_000, polling="raf")
            if k >= 2:
                click_ms.append(1000 * (time.perf_counter() - t0))
            wait_for_app(page)
    return {"synthetic": synthetic, "hover": [r[0] for r in records], "work": [r[1] for r in records], "queue": [r[2] for r in records], "raf": [r[3] for r in records],
            "frames": hover_frames,
            "moves": len(points), "click": click_ms}


def main() -> None:
    """Measure and print medians and p95 against the targets and the click reference."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=240)
    ap.add_argument("--clicks", type=int, default=12)
    ap.add_argument("--query", default="")
    args = ap.parse_args()
    r = measure(max(200, args.moves), args.clicks, args.query)
    hover, work, click = r["hover"], r["work"], r["click"]
    med, tail = statistics.median(hover), p95(hover)
    print(f"pointer move -> decoded output painted (headless Chromium, performance.now()): median {med:.1f} ms, "
          f"p95 {tail:.1f} ms over {len(hover)} moves (targets {MEDIAN_TARGET_MS:.0f} / {P95_TARGET_MS:.0f} ms, "
          f"ratios {med / MEDIAN_TARGET_MS:.2f} / {tail / P95_TARGET_MS:.2f})")
    print(f"  handler end -> its frame's animation callbacks: median {statistics.median(r['raf']):.2f} ms")
    print(f"  of which: event queued before the handler ran: median {statistics.median(r['queue']):.2f} ms; "
          f"decode + repaint in the handler: median {statistics.median(work):.2f} ms, p95 {p95(work):.2f} ms")
    syn = r["synthetic"]
    print(f"  the same moves dispatched inside the page (no input routing): median {statistics.median(syn):.1f} ms, "
          f"p95 {p95(syn):.1f} ms to the next painted frame")
    print(f"websocket messages sent while hovering: {r['frames']} for {r['moves']} moves "
          f"({r['frames'] / r['moves']:.3f} per hover; target 0)")
    if click:
        cm = statistics.median(click)
        print(f"reference, a click -> the server's reply on the page (one rerun): median {cm:.0f} ms, p95 "
              f"{p95(click):.0f} ms over {len(click)} clicks; hover median / click median = {med / cm:.3f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
