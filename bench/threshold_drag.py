"""Anomaly threshold speed: a drag answered in the browser against the server slider's round trip.

    python bench/threshold_drag.py [--steps 60] [--server-steps 10] [--query "d_name=gw"]

In headless Chromium on a live server it drags the threshold chart's line in `--steps` pointer moves and
measures, with performance.now() inside the page, each step from the pointer event to the chart drawn
(rates, histogram, ROC point) and to the next animation frame after it; it counts the websocket frames
the page sends during the drag (target 0) and on letting go (1), and times letting go -> the server's
numbers updated. Then, as the reference in the same run, it moves the page's Streamlit percentile slider
`--server-steps` times with the arrow key, the way the page worked before the chart, and times each key
press -> the server's numbers updated, counting frames per step. Prints medians, p95s and the ratio.
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

CHART = "canvas.hist"
REPAINT_TARGET_MS = 20.0

_LISTEN = """() => {
  window.__paints = [];
  document.addEventListener('aeviz-threshold-paint', (e) => {
    const d = e.detail;
    requestAnimationFrame(() => window.__paints.push({event: d.event, drawn: d.drawn, frame: performance.now()}));
  });
}"""

_SUMMARY = """() => { const el = Array.from(document.querySelectorAll('[data-testid="stMarkdown"]'))
  .find((m) => m.innerText.startsWith('At threshold')); return el ? el.innerText : ''; }"""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _wait_summary_change(page, before: str, timeout_s: float = 60.0) -> float:
    """Poll (every animation frame, in the page) until the server's sentence changes; returns the time."""
    page.wait_for_function(f"(before) => ({_SUMMARY})() !== before && ({_SUMMARY})() !== ''", arg=before,
                           timeout=timeout_s * 1000, polling="raf")
    return time.perf_counter()


def run(steps: int, server_steps: int, query: str) -> dict:
    """Drive one server and one browser; return the measured lists."""
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_for_app
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            sent: list[float] = []
            page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
            page.goto(f"{url}/anomaly?{query}")
            wait_for_app(page, timeout=600_000)
            chart = page.locator(CHART)
            chart.wait_for(timeout=600_000)
            chart.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.evaluate(_LISTEN)

            # ---- the chart: drag in the browser --------------------------------------------------------
            box = chart.bounding_box()
            y = box["y"] + box["height"] / 2
            x0 = box["x"] + float(chart.get_attribute("data-line-x"))
            page.mouse.move(x0, y)
            page.mouse.down()
            before = len(sent)
            span = 0.2 * box["width"]
            for i in range(steps):  # left and back, so percentiles both fall and rise
                frac = (i / max(1, steps - 1)) * 2
                dx = -span * (frac if frac <= 1 else 2 - frac)
                page.mouse.move(x0 + dx + (i % 2), y)
                page.wait_for_timeout(16)
            page.wait_for_timeout(100)
            drag_frames = len(sent) - before
            paints = page.evaluate("() => window.__paints.splice(0)")
            summary = page.evaluate(_SUMMARY)
            # end away from the start so letting go changes the server's numbers
            page.mouse.move(x0 - 0.08 * box["width"], y)
            page.wait_for_timeout(50)
            before = len(sent)
            t0 = time.perf_counter()
            page.mouse.up()
            release_ms = 1000 * (_wait_summary_change(page, summary) - t0)
            wait_for_app(page)
            release_frames = len(sent) - before

            # ---- the reference: the Streamlit slider, one server round trip per step -------------------
            thumb = page.locator('.st-key-an_pct input[type="range"]').first
            server_ms, server_frames, lost = [], [], 0
            for i in range(server_steps):
                thumb.focus()  # a rerun may re-render the slider
                summary = page.evaluate(_SUMMARY)
                before = len(sent)
                t0 = time.perf_counter()
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                try:
                    server_ms.append(1000 * (_wait_summary_change(page, summary, timeout_s=20) - t0))
                except PlaywrightTimeout:
                    lost += 1  # the key press never reached the slider: not a round trip, not counted
                    continue
                wait_for_app(page)
                page.wait_for_timeout(100)
                server_frames.append(len(sent) - before)
            browser.close()
    finally:
        proc.terminate()
    return {
        "drawn": [p["drawn"] - p["event"] for p in paints],
        "frame": [p["frame"] - p["event"] for p in paints],
        "drag_frames": drag_frames, "steps": steps, "release_ms": release_ms, "release_frames": release_frames,
        "server_ms": server_ms, "server_frames": server_frames, "lost": lost,
    }


def main() -> None:
    """Parse the arguments, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=60, help="pointer moves in the drag")
    ap.add_argument("--server-steps", type=int, default=10, help="arrow-key steps of the server slider")
    ap.add_argument("--query", default="", help="query string of the Anomaly page (default: the default model)")
    args = ap.parse_args()
    r = run(args.steps, args.server_steps, args.query)
    drawn, frame, server = r["drawn"], r["frame"], r["server_ms"]
    if not frame:
        sys.exit("no repaint was recorded: is the threshold chart on the page?")
    print(f"Anomaly page ({args.query or 'defaults'}), 1400x1000, headless Chromium")
    print(f"drag -> chart drawn      : median {statistics.median(drawn):6.2f} ms, p95 {_p95(drawn):6.2f} ms "
          f"({len(drawn)} repaints for {r['steps']} pointer moves)")
    print(f"drag -> next frame       : median {statistics.median(frame):6.2f} ms, p95 {_p95(frame):6.2f} ms "
          f"(target median <= {REPAINT_TARGET_MS:g} ms: ratio {statistics.median(frame) / REPAINT_TARGET_MS:.2f})")
    print(f"websocket frames sent    : {r['drag_frames']} during the drag ({r['drag_frames'] / r['steps']:.2f} per step), "
          f"{r['release_frames']} on letting go")
    print(f"let go -> server numbers : {r['release_ms']:6.0f} ms (one rerun of the threshold fragment)")
    print(f"server slider step       : median {statistics.median(server):6.0f} ms, p95 {_p95(server):6.0f} ms, "
          f"{statistics.mean(r['server_frames']):.1f} frames per step ({len(server)} steps"
          + (f"; {r['lost']} key presses lost and not counted)" if r["lost"] else ")"))
    print(f"ratio server slider step / browser drag step (medians, to the next frame): "
          f"{statistics.median(server) / statistics.median(frame):.0f}x")


if __name__ == "__main__":
    main()
