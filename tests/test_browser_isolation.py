"""One student's uploaded weights stay in that student's session: in two other browser contexts with the
same settings, every page shows the same numbers, the shared model's, whatever the uploader did first."""

from __future__ import annotations

import re

import pytest

from aeviz import ModelConfig, build
from aeviz.io import weights_to_bytes

from conftest import wait_for_app

pytestmark = pytest.mark.browser

PAGES = {"architecture": "Architecture", "latent": "Latent space", "reconstruction": "Reconstruction",
         "anomaly": "Anomaly detection", "compare": "Variants & comparisons", "train": "Train"}
READY = {"architecture": "Total:", "latent": "Hole fraction", "reconstruction": "Denoising AE output",
         "anomaly": "At threshold", "compare": "Hole fraction", "train": "Test error"}
NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def _open(page, name: str) -> None:
    """Open a page through the app's navigation (a reload would start a new session)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGES[name], exact=True).click()
    page.wait_for_url(re.compile(f"/{name}"), timeout=60_000)


def _numbers(pages: list, name: str) -> list[list[str]]:
    """The numbers each of `pages` (all open on page `name`) shows in its main area, in order (the sidebar's
    link and settings left out), once every one has stopped changing: the pages render at the same time."""
    for page in pages:
        page.get_by_text(READY[name], exact=False).first.wait_for(timeout=300_000)
    last = None
    for _ in range(120):  # until no page changes between two looks (charts and components arrive after the text)
        now = []
        for page in pages:
            wait_for_app(page, timeout=300_000)
            main = page.locator('[data-testid="stMain"]')
            # a training's progress bar can stand still for a while on a busy machine
            now.append((NUMBER.findall(main.inner_text()), main.locator('[data-testid="stProgress"]').count() > 0))
        if now == last and not any(training for _, training in now):
            break
        last = now
        pages[0].wait_for_timeout(1500)
    return [numbers for numbers, _ in now]


def test_an_upload_never_reaches_another_sessions_pages(browser, server_url, tmp_path, digits):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    mine, other, fresh = (c.new_page() for c in contexts)
    try:
        path = tmp_path / "untrained.pt"  # weights that were never trained: every number they give differs
        path.write_bytes(weights_to_bytes(build(ModelConfig(), digits, seed=123)))
        for pg in (mine, other, fresh):
            pg.goto(server_url)
            wait_for_app(pg, timeout=300_000)
        sidebar = mine.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Download or restore this model").click()
        sidebar.locator('input[type="file"]').set_input_files(str(path))
        sidebar.get_by_text("uploaded weights (untrained.pt)", exact=False).wait_for(timeout=120_000)
        changed = 0
        for name in PAGES:
            _open(mine, name)  # the uploader opens each page first
            [uploaded] = _numbers([mine], name)
            _open(other, name)
            _open(fresh, name)
            seen, shared = _numbers([other, fresh], name)
            assert seen == shared, name
            changed += uploaded != shared
        assert changed >= 4  # the upload did change the uploader's own pages
    finally:
        for c in contexts:
            c.close()
