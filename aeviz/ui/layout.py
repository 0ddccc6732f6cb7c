"""Page furniture shared by every page: the opening explanation and the "Try this" prompts."""

from __future__ import annotations

import streamlit as st

from .lesson import hidden, presenting
from .state import ensure_entry_script


def intro(title: str, text: str, formula: str | None = None) -> None:
    """Title, two to four plain sentences, and the one formula that matters (in presenter mode folded
    under the title, so the page's main chart comes first)."""
    ensure_entry_script()
    st.title(title)
    body = st.expander("What this page shows, and its formula") if presenting() else st.container()
    with body:
        st.markdown(text)
        if formula:
            st.latex(formula)


def try_this(prompts: list[str]) -> None:
    """A short list of experiments: turn a knob, predict, then look (unless the lesson's link hides them)."""
    if hidden("trythis"):
        return
    st.subheader("Try this")
    st.markdown("\n".join(f"- {p}" for p in prompts))
