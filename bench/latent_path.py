"""Interpolation strip speed in the browser: a change of K -> the strip decoded and painted, and the websocket
messages those changes send, against a change that still goes to the server (sample B's number input: a rerun of
the section, the way every change of K went before) on the same page in the same run.

    python bench/latent_path.py [--changes 120] [--reruns 8] [--query "t_epochs=100"]
    python bench/latent_path.py --server    # the section's server work per render, before and now

Inside headless Chromium, the K slider is moved with the arrow keys; for every change the strip dispatches
"aeviz-path-painted" once it has decoded and painted; the bench then waits for the next frame (requestAnimationFrame,
then a task) and records performance.now() − the input event's timeStamp.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import app_page, p95  # noqa: E402  (bench/, after the path is set)

HOST = "[data-testid=stBidiComponentIsolated]"
STRIP = f"[...document.querySelectorAll('{HOST}')].map((h) => h.aevizLatentPath).find(Boolean)"

_RECORD = """() => {
  window.__path = [];
  document.addEventListener('aeviz-path-painted', (e) => {
    const t0 = e.detail.t0, now = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__path.push([performance.now() - t0, now - e.detail.start,
                                                                     e.detail.k]), 0));
  });
}"""


def measure(changes: int, reruns: int, query: str) -> dict:
    """K change -> painted latencies (ms), the frames sent meanwhile, and sample change -> strip updated (ms)."""
    from conftest import wait_for_app

    frames: list = []
    with app_page(f"latent?{query}", frames.append) as page:
        page.get_by_text("Walk between two codes", exact=True).click()  # the strip is built once opened
        page.wait_for_function(f"() => {STRIP} && {STRIP}.ready", timeout=900_000)
        k_slider = page.locator(f"{HOST} .lp-k")
        k_slider.scroll_into_view_if_needed()
        wait_for_app(page)
        page.wait_for_timeout(1000)
        page.evaluate(_RECORD)
        k_slider.focus()
        sent = len(frames)
        key = "ArrowRight"
        for n in range(changes + 10):
            k = page.evaluate(f"() => {STRIP}.k")
            key = "ArrowLeft" if k >= 30 else "ArrowRight" if k <= 3 else key
            page.keyboard.press(key)
            page.wait_for_function("(n) => window.__path.length >= n", arg=n + 1, polling="raf")
        page.wait_for_timeout(500)
        k_frames = len(frames) - sent
        records = page.evaluate("() => window.__path")[10:]  # the first few warm the JIT
        # the reference: sample B's number input, a rerun of the section, until the strip shows the new end
        rerun_ms = []
        b_input = page.locator(".st-key-latent_interp_b input")
        for n in range(reruns + 2):
            b = int(b_input.input_value()) + 1
            t0 = time.perf_counter()
            b_input.fill(str(b))
            b_input.press("Enter")
            page.wait_for_function(f"(b) => {STRIP}.instance.ends.textContent.includes(`sample ${{b}},`)", arg=b,
                                   timeout=60_000, polling="raf")
            if n >= 2:
                rerun_ms.append(1000 * (time.perf_counter() - t0))
            wait_for_app(page)
    return {"painted": [r[0] for r in records], "work": [r[1] for r in records], "ks": [r[2] for r in records],
            "frames": k_frames, "changes": changes + 10, "rerun": rerun_ms}


def server_cost(repeats: int = 30) -> None:
    """The section's server work per render, alternating in one process: before (la.interpolate at K = 12 and the
    two Plotly figures, serialised as st.plotly_chart does) and now (the two samples' codes and the strip's args)."""
    import json

    import plotly.io as pio

    from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load
    from aeviz.analysis import encode
    from aeviz.analysis import latent as la
    from aeviz.figures import latent as fl
    from aeviz.ui import latent_path as lpath
    from aeviz.analysis.latent import default_ends

    data = load(DataConfig())
    run = Trainer(build(ModelConfig(), data, seed=42), data, TrainConfig(epochs=20)).run()
    v = la.latent_view(run.model, data)
    a, b = default_ends(data)

    def before():
        za, zb = encode(run.model, data.X[[a, b]])
        path = la.interpolate(run.model, v.index, za, zb, lpath.K_DEFAULT, v.radius)
        la.path_labels(path, data.y_train)
        for fig in (fl.tiles_figure(path.X, 1, len(path.t), path.holes, data.kind, image_shape=data.image_shape,
                                    flip_rows=False, height=180, title="From A (left) to B (right)"),
                    fl.distance_strip_figure(path.t, path.dist, v.radius)):
            pio.to_json(fig, validate=False)

    def now():
        za, zb = encode(run.model, data.X[[a, b]])
        json.dumps(lpath.path_args(run_id="bench", source="samples", za=za, zb=zb, ends=("A", "B"), clicks=[],
                                   r=v.radius))

    times = {"before": [], "now": []}
    for _ in range(3):
        before(), now()
    for _ in range(repeats):
        for name, f in (("before", before), ("now", now)):
            t0 = time.perf_counter()
            f()
            times[name].append(1000 * (time.perf_counter() - t0))
    b_ms, n_ms = statistics.median(times["before"]), statistics.median(times["now"])
    print(f"server work of the interpolation section per render (digits, K = 12): before {b_ms:.2f} ms (interpolate + "
          f"two figures serialised), now {n_ms:.2f} ms (two codes + args); ratio {b_ms / n_ms:.0f}×")


def main() -> None:
    """Measure and print medians and p95, and the ratio against a rerun of the section."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--changes", type=int, default=120)
    ap.add_argument("--reruns", type=int, default=8)
    ap.add_argument("--query", default="")
    ap.add_argument("--server", action="store_true", help="only the section's server work, before and now")
    args = ap.parse_args()
    if args.server:
        server_cost()
        return
    r = measure(args.changes, args.reruns, args.query)
    painted, work = r["painted"], r["work"]
    med = statistics.median(painted)
    print(f"K change -> strip decoded and painted (headless Chromium, performance.now()): median {med:.1f} ms, "
          f"p95 {p95(painted):.1f} ms over {len(painted)} changes (K {min(r['ks'])}–{max(r['ks'])})")
    print(f"  of which decode + hole test + paint in the handler: median {statistics.median(work):.2f} ms, "
          f"p95 {p95(work):.2f} ms")
    print(f"websocket messages sent while changing K: {r['frames']} for {r['changes']} changes (target 0)")
    if r["rerun"]:
        rm = statistics.median(r["rerun"])
        print(f"reference, sample B changed -> the strip shows it (one rerun of the section): median {rm:.0f} ms, "
              f"p95 {p95(r['rerun']):.0f} ms over {len(r['rerun'])}; K change median / rerun median = {med / rm:.3f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
