"""Page furniture shared by every page: the opening explanation, sections drawn on demand and the "Try
this" prompts."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from .lesson import hidden, presenting
from .state import ensure_entry_script


def intro(title: str, text: str, formula: str | None = None, *, more: str | None = None,
          note: str | None = None) -> None:
    """Title, two to four plain sentences, the one formula that matters, then optionally `more` (Markdown)
    and a `note` (a caption); in presenter mode all folded under the title, so the main chart comes first."""
    ensure_entry_script()
    st.title(title)
    body = st.expander("What this page shows, and its formula") if presenting() else st.container()
    with body:
        st.markdown(text)
        if formula:
            st.latex(formula)
        if more:
            st.markdown(more)
        if note:
            st.caption(note)


def heading(text: str) -> None:
    """A section heading; left out in presenter mode, where the page keeps to its main chart and controls."""
    if not presenting():
        st.subheader(text)


def explain(text: str, *, caption: bool = False, label: str = "How to read this") -> None:
    """A paragraph of explanation (Markdown, or a caption): as it is, or in presenter mode folded under
    `label`, so the chart it explains stays near the top of a projector's screen."""
    if presenting():
        with st.expander(label):
            st.markdown(text)
    elif caption:
        st.caption(text)
    else:
        st.markdown(text)


def on_demand(label: str, key: str, draw: Callable[[], None], *, expanded: bool = False) -> None:
    """A section the student opens: `draw()` inside an expander (session key `key`, open at first if
    `expanded`), run only while it is open, so a closed section costs the server nothing. Opening or closing
    it, and any widget inside, reruns this part alone (a fragment)."""
    _on_demand(label, key, draw, expanded)


@st.fragment
def _on_demand(label: str, key: str, draw: Callable[[], None], expanded: bool) -> None:
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    if box.open:
        with box:
            draw()


def try_this(prompts: list[str]) -> None:
    """A short list of experiments: turn a knob, predict, then look (unless the lesson's link hides them)."""
    if hidden("trythis"):
        return
    st.subheader("Try this")
    st.markdown("\n".join(f"- {p}" for p in prompts))


def try_this_here(prompt: str) -> None:
    """One "Try this" prompt closing a section of a page (unless the lesson's link hides the prompts)."""
    if not hidden("trythis"):
        st.markdown(f"**Try this.** {prompt}")
