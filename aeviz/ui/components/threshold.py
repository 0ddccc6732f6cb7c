"""The anomaly threshold as a browser component: the errors go to the page once per scenario, and the
histogram line, the detection and false-alarm rates, precision, F1 and the ROC point follow every drag
in the browser (js/threshold.js and the modules it imports, assembled by components.bundle). Letting go
sends the threshold back once, through `on_change`; picking a bar ("Show a bin's samples") sends its bin
index once, through `on_bin`. The bins are aeviz.analysis.anomaly.bins' rule, repeated by js/maths.js
(`bins_of` gives Python's bins for the very numbers the browser decodes).

The flagging rule stays defined in Python (aeviz.analysis.anomaly.detection_metrics: error > τ); the
JS repeats it on the exact same numbers (the errors travel as float32/float64 bytes, not rounded
decimals), and tests/test_browser_threshold.py checks the two agree count for count.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from pathlib import Path
from typing import Callable

import numpy as np
import streamlit as st

from ...analysis.anomaly import bins as bin_rule
from . import bundle

NAME = "aeviz_threshold"
HERE = Path(__file__).resolve().parent
CSS_PATH = HERE / "threshold.css"
MAX_SCORED = 20_000  # errors per class the page may send (the datasets give a few hundred)
MAX_TICKS = 2_000  # uploaded rows drawn as ticks; more are thinned (ticks only, never counted)
PERCENTILE_RANGE = (50.0, 99.9, 0.1)  # the percentile slider's min, max and step
FONT_PX = 12  # the charts' text size; presenter mode sends 16 or more


@functools.cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def script() -> str:
    """The component's JS: js/threshold.js after the modules it imports, each whole (components.bundle)."""
    return bundle.script("threshold.js")


def encode_floats(values: np.ndarray, dtype: str) -> str:
    """Little-endian float32 ("f4") or float64 ("f8") bytes of `values`, base64: exact, and about
    5.3 characters per float32 (a JSON decimal would be rounded or three times longer)."""
    values = np.asarray(values, dtype=np.float64)
    if dtype == "f4":  # an uploaded row's error can pass float32's range: draw it at the axis' end, not as inf
        top = float(np.finfo(np.float32).max)
        values = np.clip(values, -top, top)
    return base64.b64encode(np.ascontiguousarray(values, dtype="<" + dtype).tobytes()).decode("ascii")


def payload(normal: np.ndarray, anomalous: np.ndarray, *, mode: str, pct: float, threshold: float,
            log_x: bool, uploaded: np.ndarray | None = None, colours: dict | None = None, bins: int = 40,
            font_px: int = FONT_PX) -> dict:
    """The component's data: the two error arrays (and uploaded rows' errors, as ticks), the threshold
    mode with its current value, the axis scale, the colours and the charts' text size in pixels
    (presenter mode: 16 or more). Raises ValueError past MAX_SCORED."""
    normal, anomalous = np.asarray(normal).ravel(), np.asarray(anomalous).ravel()
    if max(len(normal), len(anomalous)) > MAX_SCORED:
        raise ValueError(f"At most {MAX_SCORED:,} errors per class can be sent to the threshold chart.")
    dtype = "f4" if normal.dtype == np.float32 and anomalous.dtype == np.float32 else "f8"
    ticks = np.asarray(uploaded if uploaded is not None else [], dtype=float).ravel()
    if len(ticks) > MAX_TICKS:
        ticks = ticks[np.linspace(0, len(ticks) - 1, MAX_TICKS).astype(int)]
    lo, hi, step = PERCENTILE_RANGE
    return {
        "dtype": dtype, "normal": encode_floats(normal, dtype), "anomalous": encode_floats(anomalous, dtype),
        "uploaded": encode_floats(ticks, dtype), "mode": mode, "pct": float(pct),
        "threshold": float(threshold), "log": bool(log_x), "bins": int(bins),
        "pct_min": lo, "pct_max": hi, "pct_step": step, "colours": dict(colours or {}),
        "font_px": int(min(40, max(8, font_px))),
    }


def decode_floats(text: str, dtype: str) -> np.ndarray:
    """The numbers `encode_floats` wrote (what the browser decodes), as float64."""
    return np.frombuffer(base64.b64decode(text), dtype="<" + dtype).astype(np.float64)


def bins_of(data: dict) -> bin_rule.Bins:
    """The histogram's bins as the browser draws them from this payload (its numbers, its bin count, its axis)."""
    arrays = [decode_floats(data[k], data["dtype"]) for k in ("normal", "anomalous", "uploaded")]
    return bin_rule.bin_layout(*arrays, bins=data["bins"], log=data["log"])


def sent_bin(event, n_bins: int) -> int | None:
    """The bin index from the component's "bin" event ({"index": k}), or None unless it is a whole number
    from 0 to n_bins - 1 (the browser is not trusted to send well-formed values)."""
    if not isinstance(event, dict):
        return None
    k = event.get("index")
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or k != int(k):
        return None
    return int(k) if 0 <= k < n_bins else None


def payload_bytes(data: dict) -> int:
    """The size of the payload as the page sends it (its JSON)."""
    return len(json.dumps(data))


def sent_threshold(event) -> tuple[str, float] | None:
    """(mode, value) from the component's "threshold" event, or None when it is not a finite number in a
    known mode (the browser is not trusted to send well-formed values)."""
    if not isinstance(event, dict) or event.get("mode") not in ("percentile", "raw"):
        return None
    try:
        value = float(event.get("value"))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    if event["mode"] == "percentile":
        lo, hi, _ = PERCENTILE_RANGE
        return "percentile", round(min(hi, max(lo, value)), 1)
    return "raw", max(0.0, value)


def threshold_drag(data: dict, *, key: str, on_change: Callable[[], None], on_bin: Callable[[], None] = lambda: None,
                   picked: int | None = None):
    """Mount the threshold component (registered on every call: Streamlit keeps one definition per name,
    and AppTest builds a fresh registry per app), outlining bin `picked` (the one whose samples the page
    lists). Returns the component's result."""
    mount = st.components.v2.component(NAME, css=_source(CSS_PATH), js=script())
    return mount(data={**data, "picked": picked}, key=key, on_threshold_change=on_change, on_bin_change=on_bin,
                 height="content")
