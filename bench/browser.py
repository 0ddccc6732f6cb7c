"""What the in-browser benches share: one headless Chromium page on a fresh aeviz server, recording the
websocket frames the page sends, and the 95th percentile of a list of times."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def app_page(path: str, on_frame: Callable[[object], None]) -> Iterator:
    """A 1400x1000 page of a fresh `streamlit run serve.py` (tests/conftest.py), opened at `path` (e.g.
    "latent?d_name=gw") and loaded; `on_frame(payload)` is called for every websocket frame the page sends.
    The browser and the server are stopped afterwards."""
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_for_app
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.on("websocket", lambda ws: ws.on("framesent", lambda payload: on_frame(payload)))
                page.goto(f"{url}/{path}")
                wait_for_app(page, timeout=900_000)
                yield page
            finally:
                browser.close()
    finally:
        proc.terminate()


def p95(xs: list[float]) -> float:
    """The 95th percentile of `xs` (the nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
