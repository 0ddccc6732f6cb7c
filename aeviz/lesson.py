"""A lesson in a link: presenter mode and the controls a teacher hides (each page's own state is in the
state table, aeviz.fields), read and written without Streamlit (aeviz.ui.lesson does the reading and writing).
"""

from __future__ import annotations

import math

from .fields import MAX_TEXT

PRESENT_PARAM = "present"  # ?present=1: presenter mode (chart text >= 16 px, compact layout)
HIDE_PARAM = "hide"  # ?hide=settings,share,train: controls a teacher hides for a lesson
PRESENT_MIN_PX = 16  # chart text in presenter mode is at least this size

# What each hide flag hides (the Home page and README list the same). A hidden control keeps the value the
# link gives it (or its default), and nothing on the page can change it.
HIDE_FLAGS: dict[str, str] = {
    "settings": "the sidebar's dataset, model and training settings",
    "share": "the sidebar's Share and export box (link, downloads, upload)",
    "present": "the presenter-mode switch",
    "train": "the Train page's Play, Pause, Step, Reset buttons and speed",
    "anomalies": "the Anomaly page's preset and anomaly settings",
    "threshold": "the Anomaly page's threshold inputs (the chart can still be dragged)",
    "samples": "the Reconstruction page's choice of test samples",
    "trythis": "every page's Try this prompts",
}


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:24] + "…"


def round_point(z, scale) -> tuple[float, ...]:
    """A code z (latent,) rounded for a link: each number to about a thousandth of its unit's standard
    deviation `scale` (latent,), a power of ten, so the link is short and the point moves by far less than
    anything the page shows."""
    out = []
    for v, s in zip(z, scale):
        s = float(s) if math.isfinite(float(s)) and float(s) > 0 else 1.0
        digits = 3 - math.floor(math.log10(s))  # decimals that keep 1/1000 of the unit's spread
        out.append(round(float(v), max(0, min(12, digits))) + 0.0)  # + 0.0: no "-0"
    return tuple(out)


def round_radius(r: float) -> float:
    """A hole radius rounded for a link: six significant digits (the slider's steps are a 400th of its range,
    so a radius read back from a link lands on the same step)."""
    return float(f"{float(r):.6g}")


def parse_hide(text: str | None) -> tuple[frozenset[str], list[str]]:
    """(the known flags in a comma-separated hide list, the unknown names in it, shortened)."""
    text = str(text or "")[:MAX_TEXT]
    names = [n.strip().lower() for n in text.replace(";", ",").split(",") if n.strip()]
    known = frozenset(n for n in names if n in HIDE_FLAGS)
    unknown = [_shown(n) for n in names if n not in HIDE_FLAGS][:5]
    return known, unknown


def hide_text(flags: frozenset[str]) -> str:
    """The hide parameter for a set of flags, in HIDE_FLAGS' order ("" for none)."""
    return ",".join(n for n in HIDE_FLAGS if n in flags)


def presenter_px(normal: float, minimum: int = PRESENT_MIN_PX) -> int:
    """A text size raised for the projector: a third larger, and never under `minimum` pixels."""
    return max(minimum, round(normal * 4 / 3))
