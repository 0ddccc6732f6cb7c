"""The in-browser latent map as a Streamlit component (components v2, inline JS and CSS from
aeviz/ui/components/, no build step): the payload is built once per trained run and cached; the
browser decodes every pointer move itself and only a click, a tap or the radius slider's release
comes back to Python.

What comes back: the trigger "pick" = {"z": [latent floats], "ab": [a, b] (plane coordinates),
"dist", "row", "sample", "source"} and the state "r" (the hole radius, a float).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Callable

import streamlit as st

from ..analysis import latent as la
from ..analysis import latent_map as lm
from ..figures.style import QUALITATIVE
from ..train import Trainer
from .cache import shared_cache
from .lesson import font_px, presenting
from .state import configs

NAME = "aeviz_latent_map"
KEY = "latent_map"  # the element carries the class st-key-latent_map
_ASSETS = Path(__file__).parent / "components"


@cache
def _renderer():
    """The component's mount function (defined once per process; Streamlit re-registers it per runtime)."""
    return st.components.v2.component(NAME, js=(_ASSETS / "latent_map.js").read_text(encoding="utf-8"),
                                      css=(_ASSETS / "latent_map.css").read_text(encoding="utf-8"))


@shared_cache(max_entries=16)
def _payload(cfgs, run_id: str, axis_titles: tuple[str, str], _run: Trainer, _view: la.LatentView) -> dict:
    """The browser's copy of one trained run (built once per run, shared by every session, never changed)."""
    return lm.latent_map_payload(_run.model, _run.data, _view, run_id=run_id, axis_titles=axis_titles,
                                 colours=QUALITATIVE)


def payload(run: Trainer, view: la.LatentView, axis_titles: tuple[str, str]) -> dict:
    """The cached payload of this session's run."""
    return _payload(configs(), run.run_id, tuple(axis_titles), run, view)


PRESENT_HEIGHT = 360  # px: the map's plot in presenter mode, so map and slider fit a 1280x720 projector's screen


def latent_map(run: Trainer, view: la.LatentView, *, r: float, point: dict | None,
               axis_titles: tuple[str, str], on_pick: Callable[[], None], on_radius: Callable[[], None]):
    """Mount the map (always under the same key, so reruns update it in place); returns its result. In presenter
    mode its text is at least 16 px and the map shorter."""
    present = presenting()
    data = {"payload": payload(run, view, axis_titles), "r": float(r), "point": point, "present": present,
            "font_px": font_px(11), "max_height": PRESENT_HEIGHT if present else None}
    return _renderer()(key=KEY, data=data, on_pick_change=on_pick, on_r_change=on_radius)


def picked() -> dict | None:
    """The point the browser just sent ({"z", "ab", ...}), read inside the pick callback; None if malformed."""
    value = (st.session_state.get(KEY) or {}).get("pick")
    if not isinstance(value, dict) or not isinstance(value.get("z"), list) or not isinstance(value.get("ab"), list):
        return None
    try:
        z = [float(v) for v in value["z"]]
        ab = [float(v) for v in value["ab"]][:2]
    except (TypeError, ValueError):
        return None
    if not z or len(ab) != 2 or not all(abs(v) < 1e12 for v in z + ab):
        return None
    source = value.get("source") if isinstance(value.get("source"), str) else "a click"
    return {"z": z, "ab": ab, "source": source[:40]}


def radius_state() -> float | None:
    """The radius the browser's slider last sent, if any."""
    value = (st.session_state.get(KEY) or {}).get("r")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
