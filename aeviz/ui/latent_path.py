"""The latent page's interpolation strip as a Streamlit component (components v2, inline JS and CSS from
aeviz/ui/components/, no build step). Its JS is js/latent_path.js with the modules it imports (the maths, the
drawing helpers and the plane it shares with the map; see components.bundle), and it decodes with the model the
map on the same page has already loaded: Python sends only the endpoints, the radius and the text size (a few hundred bytes), never the decoder
again. K, the step, the map's radius slider and clicks on the map repaint the strip in the browser; nothing
comes back to Python.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import streamlit as st

from .components import bundle
from .lesson import font_px, presenting

NAME = "aeviz_latent_path"
KEY = "latent_path"  # the element carries the class st-key-latent_path
K_MIN, K_MAX, K_DEFAULT = 3, 30, 12  # points on the path (the slider in the browser)
_ASSETS = Path(__file__).parent / "components"


def script() -> str:
    """The strip's JS: js/latent_path.js after the modules it imports, each whole (components.bundle)."""
    return bundle.script("latent_path.js")


@cache
def _renderer():
    """The component's mount function (defined once per process)."""
    return st.components.v2.component(NAME, js=script(),
                                      css=(_ASSETS / "latent_path.css").read_text(encoding="utf-8"))


def path_args(*, run_id: str, source: str, za, zb, ends: tuple[str, str], clicks, r: float,
              present: bool = False, font: int = 11) -> dict:
    """What the strip receives on each run: the endpoints' codes za, zb (latent,) for two training samples, or
    the map's last two clicks (plane points [a, b]) for "clicks", the radius r and the text size."""
    return {"run": run_id, "source": "clicks" if source == "clicks" else "samples",
            "za": [float(v) for v in np.asarray(za, dtype=np.float32).ravel()],
            "zb": [float(v) for v in np.asarray(zb, dtype=np.float32).ravel()],
            "ends": [str(e) for e in ends], "clicks": [[float(a), float(b)] for a, b in clicks][-2:],
            "r": float(r), "k": K_DEFAULT, "k_min": K_MIN, "k_max": K_MAX, "present": bool(present),
            "font_px": int(font)}


def latent_path(*, run_id: str, source: str, za, zb, ends: tuple[str, str], clicks, r: float):
    """Mount the strip (always under the same key, so reruns update it in place)."""
    data = path_args(run_id=run_id, source=source, za=za, zb=zb, ends=ends, clicks=clicks, r=r,
                     present=presenting(), font=font_px(11))
    return _renderer()(key=KEY, data=data)
