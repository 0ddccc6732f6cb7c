"""Warm render of each page (the server-side script run a student's visit costs), one of two comparisons:

- `--compare template` (default): Plotly's default template set to the house one (as the server does)
  against naming the template on every figure;
- `--compare sharing`: every figure built in every session on every rerun (ui.charts.shared_figure
  bypassed) against the figures shared by every session (as the server does);
- `--compare spec`: shared figures turned into their dict again every time a session draws them against
  turned into it once and kept (as the server does).

    python bench/page_render.py [--runs 5] [--pages reconstruction,compare,anomaly] [--compare sharing|spec]

Each page is rendered once to warm the caches, then `--runs` times per variant, alternating, in one
process (AppTest, no browser); prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    """Time warm page renders in the two variants of `--compare`."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from aeviz.figures import style
    from aeviz.ui import charts

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", default="architecture,reconstruction,anomaly,compare")
    ap.add_argument("--compare", choices=("template", "sharing", "spec"), default="template")
    args = ap.parse_args()
    original = PagesManager.__init__

    def init(self, *a, **k):  # as tests/conftest.py: st.navigation, not the pages/ folder
        original(self, *a, **k)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    shared = charts._figure

    def per_session(key, build):  # what a page cost before its figures were shared
        return build()

    if args.compare == "template":
        style.use_house_template = lambda: None  # the bench sets the default itself, per variant

        def use(variant):
            pio.templates.default = variant
        variants = {"template named on each figure (before)": "plotly", "house template as default (now)": "plotly_white"}
    elif args.compare == "sharing":
        def use(variant):
            charts._figure = variant
        variants = {"figures built per session (before)": per_session, "figures shared (now)": shared}
    else:
        def use(variant):
            charts.SharedFigure.to_dict = variant
        variants = {"shared figures to dict per draw (before)": go.Figure.to_dict,
                    "shared figures to dict once (now)": charts.SharedFigure.to_dict}
    print(f"{'page':<16}" + "".join(f"{v:>42}" for v in variants) + f"{'ratio':>8}")
    for page in args.pages.split(","):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page(f"pages/{page}.py")
        at.run()  # warm: trains and caches what the page needs
        times: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(args.runs):
            for name, variant in variants.items():
                use(variant)
                t0 = time.perf_counter()
                at.run()
                times[name].append(time.perf_counter() - t0)
                assert not at.exception, [e.value for e in at.exception]
        med = {k: statistics.median(v) for k, v in times.items()}
        before, now = med.values()
        print(f"{page:<16}" + "".join(f"{m * 1000:>39.0f} ms" for m in med.values()) + f"{before / now:>7.2f}×")


if __name__ == "__main__":
    main()
