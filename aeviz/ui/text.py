"""Text that comes from a visitor (a link, a file name, a file's keys) shown as text, never as Markdown."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:])")  # characters Markdown (or st.markdown's LaTeX) acts on


def plain(text: str) -> str:
    """Text shown literally by Streamlit's Markdown: file names and the key names inside a file are
    the user's, so no link, emphasis, LaTeX or HTML tag in them is interpreted."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))
