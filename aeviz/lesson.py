"""A lesson in a link: presenter mode, the controls a teacher hides, and each page's own state, as URL
query parameters read and written without Streamlit (aeviz.ui.lesson does the reading and writing).

Every value a link may set is bounded like aeviz.config.LIMITS: a value that is not understood, not
finite or out of range is refused with one plain sentence, and the default is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .analysis.anomaly import PRESETS, AnomalyConfig
from .analysis.recon import SELECTIONS
from .config import LIMITS

PRESENT_PARAM = "present"  # ?present=1: presenter mode (chart text >= 16 px, compact layout)
HIDE_PARAM = "hide"  # ?hide=settings,share,train: controls a teacher hides for a lesson
PRESENT_MIN_PX = 16  # chart text in presenter mode is at least this size
MAX_TEXT = 200  # a longer parameter is not read at all
MAX_LATENT = int(LIMITS["m_latent"][1])  # the most numbers a linked point can have

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


@dataclass(frozen=True)
class LinkField:
    """One page setting a link may carry: its URL name, default, and what it accepts (a number between
    lo and hi rounded to `step`, a whole number, one of `choices`, or a point: 1 to `max_items` comma-separated
    numbers, each between lo and hi)."""

    param: str
    default: Any
    kind: str  # "float", "int", "choice" or "point"
    lo: float = -math.inf
    hi: float = math.inf
    step: float | None = None
    choices: tuple[str, ...] = ()
    max_items: int = 1
    max_len: int = MAX_TEXT
    default_text: str = ""  # what happens instead of a refused value (default: "the default ... is used")


_A = AnomalyConfig()
# name -> field; the name is what aeviz.ui.lesson and the pages use, the param what the URL shows
PAGE_FIELDS: dict[str, LinkField] = {
    "preset": LinkField("a_preset", "obvious", "choice", choices=(*PRESETS, "custom")),
    "mu": LinkField("a_mu", _A.mu, "float", -2.0, 10.0, 0.1),
    "sigma": LinkField("a_sigma", _A.sigma, "float", 0.0, 3.0, 0.1),
    "nf": LinkField("a_nf", _A.n_features, "int", 1, 1024),
    "k": LinkField("a_k", _A.k, "int", 10, 200, 10),
    "thr_mode": LinkField("a_mode", "percentile", "choice", choices=("percentile", "raw")),
    "pct": LinkField("a_pct", 95.0, "float", 50.0, 99.9, 0.1),
    "raw": LinkField("a_raw", None, "float", 0.0, 1e6),  # None: the 95th percentile of the page's normal errors
    "grid": LinkField("l_grid", 15, "int", 2, 30),
    "show": LinkField("r_show", "worst", "choice", choices=SELECTIONS),
    "index": LinkField("r_index", 0, "int", 0, 100_000),
    "rk": LinkField("r_k", 4, "int", 1, 8),
    # the latent page: the hole radius (standardised units; None: the model's own r) and the pinned point, the
    # full code z (every latent number, so a point off the map's plane such as a draw from the prior comes back
    # exactly); a z whose length is not the model's latent size is dropped by the page
    "r": LinkField("l_r", None, "float", 0.0, 100.0, default_text="the model's own radius is used"),
    "z": LinkField("l_z", None, "point", -1e6, 1e6, max_items=MAX_LATENT, max_len=MAX_LATENT * 16,
                   default_text="no point is pinned"),
}


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:24] + "…"


def read_field(f: LinkField, text: str) -> Any:
    """`text` as `f`'s value; ValueError saying why ("not a finite number", "outside 2 to 30", ...)."""
    text = str(text).strip()
    if len(text) > f.max_len:
        raise ValueError("too long")
    if f.kind == "point":
        parts = text.split(",")
        if not 1 <= len(parts) <= f.max_items:
            raise ValueError(f"not 1 to {f.max_items} numbers")
        item = LinkField(f.param, None, "float", f.lo, f.hi)
        return tuple(read_field(item, p) for p in parts)
    if f.kind == "choice":
        if text not in f.choices:
            raise ValueError(f"not one of {', '.join(f.choices)}")
        return text
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if not f.lo <= value <= f.hi:
        raise ValueError(f"outside {f.lo:g} to {f.hi:g}")
    if f.kind == "int":
        if value != int(value):
            raise ValueError("not a whole number")
        value = int(value)
        if f.step and (value - f.lo) % f.step:
            raise ValueError(f"not a multiple of {f.step:g}")
        return value
    if f.step:
        value = round(round(value / f.step) * f.step, 6)
    return value


def encode_field(f: LinkField, value: Any) -> str:
    """The URL text of a value of `f` (numbers without trailing zeros)."""
    if f.kind == "float":
        return f"{float(value):g}" if abs(value) < 1e5 else repr(float(value))
    if f.kind == "point":
        return ",".join(encode_field(LinkField(f.param, None, "float"), v) for v in value)
    return str(value)


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


def page_values(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(each page field's value: the link's where it is valid, else the default; one sentence per
    value the link sets that was refused)."""
    values, problems = {}, []
    for name, f in PAGE_FIELDS.items():
        values[name] = f.default
        if f.param not in params:
            continue
        text = str(params[f.param])
        try:
            values[name] = read_field(f, text)
        except ValueError as exc:
            default = "none" if f.default is None else encode_field(f, f.default)
            instead = f.default_text or f"the default {default} is used"
            problems.append(f"The link's {f.param}={_shown(text)} was ignored ({exc}); {instead}.")
    return values, problems


def page_query(values: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters for page values: only those that differ from their defaults."""
    return {f.param: encode_field(f, values[name]) for name, f in PAGE_FIELDS.items()
            if name in values and values[name] is not None and values[name] != f.default}


def parse_present(text: str | None) -> bool:
    """?present=1 (or true, yes, on) turns presenter mode on; anything else leaves it off."""
    return str(text or "").strip().lower() in ("1", "true", "yes", "on")


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
