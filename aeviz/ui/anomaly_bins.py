"""The Anomaly page's "samples in a bin": the threshold chart sends the index of the bar a student picked
("Show a bin's samples"), once; this lists the rows in that bin under the chart (a table of errors and
values, or the images themselves). The bins are aeviz.analysis.anomaly.bins' rule, read from the very
numbers the chart draws (components.threshold.bins_of), so the bar and the list always agree."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from ..analysis.anomaly import Scenario, bins as bin_rule
from ..datasets import Dataset
from ..run import Run
from .cache import per_run
from .charts import shared_table
from .components import threshold as threshold_component

_PICKED = "an_bin"  # session: (Bins, index) of the bin whose samples are listed
_SHOWN = "an_bin_layout"  # session: the Bins the chart was last drawn with (what a sent index refers to)


def taker(drag_key: str) -> Callable[[], None]:
    """The chart's on_bin callback: keep the sent bin index, if it is a bin of the chart as last drawn."""
    def take() -> None:
        shown = st.session_state.get(_SHOWN)
        event = (st.session_state.get(drag_key) or {}).get("bin")
        k = threshold_component.sent_bin(event, shown.n) if shown is not None else None
        if k is not None:
            st.session_state[_PICKED] = (shown, k)
    return take


def _unpick() -> None:
    st.session_state.pop(_PICKED, None)


def picked(b: bin_rule.Bins) -> int | None:
    """The bin to list on the chart drawn with bins `b`, or None (none picked, or picked on other bins)."""
    st.session_state[_SHOWN] = b
    stored = st.session_state.get(_PICKED)
    return stored[1] if stored is not None and stored[0] == b else None


@per_run(max_entries=32, frozen=True)
def _images(run: Run, key: tuple, b: bin_rule.Bins, k: int, _scn: Scenario, _shape: tuple[int, int]):
    """Per run, scenario (`key`) and bin: the bin's images and captions."""
    return bin_rule.bin_images(_scn, b, k, _shape)


def listing(scn: Scenario, data: Dataset, run: Run, key: tuple, b: bin_rule.Bins, k: int) -> None:
    """The samples in bin `k` of the chart: images for an image dataset, else a table of rows with their errors."""
    normal, anomalous = bin_rule.in_bin(scn, b, k)
    lo, hi = bin_rule.bin_range(b, k)
    head, close = st.columns([4, 1], vertical_alignment="center")
    head.markdown(f"**Bin {k + 1} of {b.n}** (errors {lo:.3g} to {hi:.3g}): **{len(anomalous)}** anomalies and "
                  f"**{len(normal)}** normal rows.")
    close.button("Hide these samples", key="an_bin_hide", help="Stop listing this bin's samples.", on_click=_unpick)
    if not len(normal) + len(anomalous):
        st.caption("This bin is empty: pick a bar with something in it.")
        return
    if data.kind == "image":
        images, captions = _images(run, key, b, k, _scn=scn, _shape=data.image_shape)
        st.image(images, caption=captions, width=72)
        if len(images) < len(normal) + len(anomalous):
            st.caption(f"The first {len(images)} shown, anomalies first, largest error first.")
        return
    names = tuple(data.feature_names or ())
    table = shared_table((*key, "an bin rows", b, k), lambda: bin_rule.bin_rows(scn, b, k, names))
    st.dataframe(table, hide_index=True, height=min(400, 38 + 35 * table.num_rows), key="an_bin_table")
    if table.num_rows < len(normal) + len(anomalous):
        st.caption(f"The first {table.num_rows} rows, anomalies first, largest error first.")
