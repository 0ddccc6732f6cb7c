"""Shared fixtures: a real `streamlit run` server on a free port, and headless Chromium pages."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("AEVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    """Every browser test is slow too: `-m "not slow"` leaves them all out."""
    for item in items:
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def digits():
    """The default digits dataset (seed 42), loaded once per test run."""
    from aeviz import DataConfig, load

    return load(DataConfig("digits"))


@pytest.fixture(scope="session")
def gw():
    """The gravitational-wave catalogue (seed 42), loaded once per test run."""
    from aeviz import DataConfig, load

    return load(DataConfig("gw"))


def assert_backprop_matches_autograd(model, x, before=lambda: None) -> None:
    """model.backprop(x) writes the gradient autograd gets from model.loss(x), overwriting stale values;
    `before()` runs ahead of each path (e.g. to reseed the same noise)."""
    import numpy as np
    import torch

    model.train()
    for p in model.parameters():
        p.grad = torch.full_like(p, 7.0)  # stale values must be overwritten, not accumulated
    before()
    terms = model.backprop(x)
    manual = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    before()
    ref = model.loss(x)
    ref["total"].backward()
    assert float(terms["total"]) == pytest.approx(float(ref["total"].detach()), rel=1e-5)
    for g, p in zip(manual, model.parameters()):
        np.testing.assert_allclose(g.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-7)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_app_page(page: str | None, query: dict):
    """AppTest of app.py opened from a link with `query`, then (unless `page` is None) on `page` (e.g.
    "pages/latent.py"), every run without an exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


LATENT_SECTIONS = ("latent_open_grid", "latent_open_interp", "latent_open_evolution")  # pages/latent.py on demand


def open_sections(at, *keys: str):
    """Open the page's on-demand sections with session keys `keys` (as a student's click on each expander
    does), rerun, and check that no exception came of it; returns `at`."""
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def js_module_page(browser, src: str, name: str):
    """A new blank page with the ES module `src` imported as window[name], and the module's exported names, sorted."""
    pg = browser.new_page()
    pg.set_content("<!doctype html><html><body></body></html>")
    return pg, pg.evaluate("""async ([src, name]) => {
      window[name] = await import(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
      return Object.keys(window[name]).sort();
    }""", [src, name])


def start_server(port: int | None = None, extra_env: dict | None = None,
                 entry: str = "serve.py") -> tuple[subprocess.Popen, str]:
    """Start `streamlit run serve.py` (the README's command; `entry="app.py"` for the app without the
    server's warm-up) headless on a free port; returns (process, base URL) once healthy."""
    port = port or _free_port()
    env = {**os.environ, **(extra_env or {})}
    # the server's log goes to a file: a pipe nobody reads would block the server once it fills
    log = tempfile.NamedTemporaryFile(prefix="aeviz-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / entry), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    proc.log_path = log.name
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in 60 s")


def browser_available() -> bool:
    """Chromium on disk and Playwright importable."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


def _need_browser():
    if not browser_available():
        if os.environ.get("AEVIZ_REQUIRE_BROWSER"):
            pytest.fail(f"AEVIZ_REQUIRE_BROWSER is set but Chromium ({CHROMIUM}) or Playwright is missing.")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium) and playwright")


@pytest.fixture(scope="session")
def server_url():
    """Base URL of a live aeviz server shared by the browser tests of one pytest run."""
    _need_browser()
    proc, url = start_server()
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own context, so no session is shared between tests)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def wait_for_app(pg, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script (no 'Running…' indicator)."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout,
    )


@pytest.fixture(autouse=True)
def _navigation_not_pages_folder(monkeypatch):
    """AppTest forgets before every run that app.py uses st.navigation and, seeing a `pages/`
    folder, runs the current page script alone (the legacy multipage mode). The app recovers by
    rerunning through app.py (ui.state.ensure_entry_script), which would swallow a button click
    under AppTest; so tell the pages manager what st.navigation would."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
