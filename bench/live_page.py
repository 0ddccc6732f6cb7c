"""Benchmark: the live Train page against the trainer alone, same machine, same command.

The page trains the default model in chunks and redraws the loss curve, progress bar and numbers
between them; it reports its own wall-clock time from Play to the last epoch ("Finished 100 epochs
in X s"). The reference is Trainer.run() on the same settings in this process. Runs alternate;
the medians and their ratio are printed (target: the page takes less than 2x the trainer alone).

    python bench/live_page.py [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_for_app  # noqa: E402

from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load  # noqa: E402


def trainer_alone() -> float:
    """Seconds for Trainer.run() on the default settings."""
    data = load(DataConfig())
    model = build(ModelConfig(), data, seed=42)
    t0 = time.perf_counter()
    Trainer(model, data, TrainConfig()).run()
    return time.perf_counter() - t0


def page_run(pg) -> float:
    """Press Play on the Train page and return the page's own Play-to-finish seconds."""
    pg.get_by_role("button", name="Play", exact=True).click()
    pg.wait_for_function("() => /Finished 100 epochs in [0-9.]+ s/.test(document.body.innerText)", timeout=300_000)
    text = pg.locator("body").inner_text()
    return float(re.search(r"Finished 100 epochs in ([0-9.]+) s", text).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.goto(url + "/train?speed=Max")  # full speed: the page against the trainer alone
            wait_for_app(pg)
            trainer_alone()  # warm-up
            alone, page = [], []
            for i in range(args.runs):
                alone.append(trainer_alone())
                page.append(page_run(pg))
                print(f"run {i + 1}: trainer alone {alone[-1]:.2f} s | live page {page[-1]:.2f} s | "
                      f"ratio {page[-1] / alone[-1]:.2f}")
            a, b = statistics.median(alone), statistics.median(page)
            paired = statistics.median(p / t for p, t in zip(page, alone))
            print(f"\nmedian of {args.runs}: trainer alone {a:.2f} s, live page {b:.2f} s -> page/trainer = "
                  f"{b / a:.2f}; median of the paired ratios {paired:.2f} (target < 2)")
            browser.close()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
