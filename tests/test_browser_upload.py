"""Two browser contexts on one server: A chooses "Your own table", uploads a CSV, trains on it and sees its run;
B opens every page and sees nothing of it (none of the table's column names, the default dataset), and the
page address A would copy opens, in B, the default dataset with the note that an upload cannot be shared."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import wait_for_app

pytestmark = pytest.mark.browser

PAGES = {"train": "Train", "architecture": "Architecture", "latent": "Latent space", "reconstruction": "Reconstruction",
         "anomaly": "Anomaly detection", "compare": "Variants & comparisons"}
# column names no page of aeviz's own datasets shows, so that any of them on B's screen came from A's table
COLUMNS = ["quokka_mass", "wombat_girth", "numbat_tail", "bilby_ears", "dingo_speed", "emu_height"]
DEFAULT = "Digits (8×8 images)"


def _csv(path) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    lines = [",".join([*COLUMNS, "marsupial"])]
    lines += [",".join(f"{v:.4f}" for v in row) + f",{'yes' if i % 3 else 'no'}" for i, row in enumerate(X)]
    path.write_text("\n".join(lines) + "\n")


def _open(pg, name: str) -> None:
    """Open a page through the app's navigation (a reload would start a new session)."""
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(PAGES[name], exact=True).click()
    pg.wait_for_url(re.compile(f"/{name}"), timeout=60_000)
    wait_for_app(pg, timeout=300_000)


def _choose_table(pg, path) -> None:
    sb = pg.locator('[data-testid="stSidebar"]')
    sb.get_by_role("combobox", name="Dataset").click()
    pg.get_by_role("option", name="Your own table").click()
    wait_for_app(pg)
    sb.locator('input[type="file"]').first.set_input_files(str(path))
    sb.get_by_text("holds text", exact=False).wait_for(timeout=120_000)  # the label column is text: choose it
    wait_for_app(pg)
    box = sb.get_by_role("combobox", name="Label column (colour only, never training)")
    box.click()
    box.fill("marsupial")
    pg.keyboard.press("Enter")
    sb.get_by_text("300 rows, 6 feature columns", exact=False).wait_for(timeout=120_000)
    wait_for_app(pg)


def _dataset_shown(pg) -> str:
    return pg.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Dataset").input_value()


def _text(pg) -> str:
    return pg.locator('[data-testid="stApp"]').inner_text()


def test_an_uploaded_table_stays_in_its_session(browser, server_url, tmp_path):
    path = tmp_path / "marsupials.csv"
    _csv(path)
    a_ctx, b_ctx = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    a, b = a_ctx.new_page(), b_ctx.new_page()
    try:
        a.goto(server_url + "/train")
        wait_for_app(a, timeout=300_000)
        _choose_table(a, path)
        a.get_by_role("button", name="Play").click()
        a.get_by_text("finished", exact=False).first.wait_for(timeout=300_000)
        wait_for_app(a)
        assert "Test error (final model)" in _text(a)
        _open(a, "architecture")  # A's own pages show its table
        a.get_by_text("Total:", exact=False).first.wait_for(timeout=120_000)
        assert _dataset_shown(a) == "Your own table"
        assert "6 numbers in" in _text(a)  # the hourglass of its six columns
        link = a.url
        assert "d_name=upload" in link and "d_table" not in link

        b.goto(server_url)
        wait_for_app(b, timeout=300_000)
        for name in PAGES:
            _open(b, name)
            b.wait_for_timeout(1500)
            wait_for_app(b, timeout=300_000)
            seen = _text(b)
            assert not any(c in seen for c in COLUMNS), name
            assert "marsupial" not in seen and "Upload a table first" not in seen, name
            assert _dataset_shown(b) == DEFAULT, name

        b.goto(link)  # the link A would copy from its address bar
        wait_for_app(b, timeout=300_000)
        b.get_by_text("cannot be shared", exact=False).first.wait_for(timeout=60_000)
        assert _dataset_shown(b) == DEFAULT
        assert not any(c in _text(b) for c in COLUMNS)
    finally:
        a_ctx.close()
        b_ctx.close()
