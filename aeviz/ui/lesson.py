"""Lesson mode: presenter mode for a projector (chart text at least 16 px, a compact page), the controls a
teacher hides with ?hide=..., and each page's own state (anomaly preset, threshold, grid size, samples)
carried in the link. The link is read once, on a session's first run; changes are written back to it.

Hooks for components drawn elsewhere: `presenting()` says whether presenter mode is on, `font_px(normal)`
gives the text size a chart should use, `chart(fig)` draws a Plotly figure with those sizes, and
`linked(name, key)` ties a widget someone else draws to a link field.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

from ..fields import PAGE_FIELDS, fitted, page_query, page_values, read_present
from ..figures.style import presented
from ..lesson import HIDE_FLAGS, HIDE_PARAM, PRESENT_PARAM, hide_text, parse_hide, presenter_px
from .state import LESSON
from .text import plain

TOGGLE_KEY = "w_present"  # the presenter switch's widget key
# presenter mode: less space above the page, so each page's main chart fits a 1280x720 projector
_PRESENT_CSS = """<style>
.stMainBlockContainer { padding-top: 3rem; padding-bottom: 2rem; }
.stMainBlockContainer h1 { font-size: 2.1rem; padding-top: 0.25rem; padding-bottom: 0.25rem; }
.stMainBlockContainer h2, .stMainBlockContainer h3 { font-size: 1.5rem; padding-top: 0.25rem; padding-bottom: 0; }
</style>"""


# every session: on a narrow screen a long formula wraps between its terms (a scroller with nothing to focus
# would be out of a keyboard's reach: WCAG's scrollable-region rule) and scrolls only if one term is wider
# than the screen, instead of being cut off; a page link's label
# wraps instead of ending in "…", and Plotly's tool bar (always shown on touch screens) no longer covers
# chart titles
_PHONE_CSS = """<style>
.katex-display { overflow-x: auto; overflow-y: hidden; }
@media (max-width: 640px) { .katex-display > .katex > .katex-html { white-space: normal; } }
[data-testid="stPageLink-NavLink"] span, [data-testid="stPageLink-NavLink"] p { white-space: normal; }
@media (max-width: 640px) { .stPlotlyChart .modebar-container { display: none; } }
</style>"""


@dataclass
class Lesson:
    """One session's lesson state: presenter mode, the hidden controls, each page field's value, the
    link's refused values and the page values they were read with (the notes show until one changes)."""

    present: bool = False
    hide: frozenset[str] = frozenset()
    page: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    read: dict[str, Any] = field(default_factory=dict)


def _lesson() -> Lesson:
    """This session's lesson, read from the link on its first run."""
    lesson = st.session_state.get(LESSON)
    if isinstance(lesson, Lesson):
        return lesson
    params = {k: st.query_params[k] for k in st.query_params}
    page, notes = page_values(params)
    hide, unknown = parse_hide(params.get(HIDE_PARAM))
    if unknown:
        notes.append(f"The link's hide= names {', '.join(unknown)}, which this app does not have; ignored "
                     f"(it knows {', '.join(HIDE_FLAGS)}).")
    present, refused = read_present(params.get(PRESENT_PARAM))
    if refused:
        notes.append(refused)
    lesson = Lesson(present, hide, page, tuple(notes), dict(page))
    st.session_state[LESSON] = lesson
    return lesson


def presenting() -> bool:
    """True when this session is in presenter mode (the sidebar switch, or ?present=1 in the link)."""
    if TOGGLE_KEY in st.session_state:  # the switch's newest value, even before it is drawn in this run
        return bool(st.session_state[TOGGLE_KEY])
    return _lesson().present


def font_px(normal: int = 12) -> int:
    """The text size, in pixels, for chart text that is `normal` px: at least 16 when presenting."""
    return presenter_px(normal) if presenting() else normal


def hidden(name: str) -> bool:
    """True when the link hides the control `name` (one of aeviz.lesson.HIDE_FLAGS) for this lesson."""
    return name in _lesson().hide


def chart(fig, *, where=None, **kwargs):
    """st.plotly_chart for every page: in presenter mode a copy of `fig` with all its text at least 16 px
    (the figure itself, often shared between sessions, is never changed). `where` is a column or
    container to draw in (default: here)."""
    if presenting():
        fig = presented(fig, font_px())
    return (where if where is not None else st).plotly_chart(fig, **kwargs)


def link_value(name: str) -> Any:
    """The current value of the page field `name` (the link's, until a widget changes it)."""
    return _lesson().page[name]


def remember(name: str, value: Any) -> None:
    """A page field's new value: kept for the session and written to the link (left out at its default)."""
    lesson = _lesson()
    if lesson.page.get(name) == value:
        return
    lesson.page[name] = value
    f = PAGE_FIELDS[name]
    if value is None or value == f.default:
        if f.key in st.query_params:
            del st.query_params[f.key]
    else:
        st.query_params[f.key] = f.encode(value)


def seed(name: str, key: str, fit: Callable[[Any], Any] | None = None) -> str:
    """Start the widget with session key `key` at the page field's value (through `fit`, e.g. a clamp to
    the widget's range) unless it already has one; returns `key`."""
    if key not in st.session_state:
        value = link_value(name)
        if value is not None:
            st.session_state[key] = fit(value) if fit else value
    return key


def fit_link(name: str, lo: float, hi: float, what: str) -> Any:
    """The page field's value brought within what this page's data allows ([lo, hi], e.g. the test samples
    there are); while it is still the link's value and had to change, a note here says so."""
    lesson = _lesson()
    value, note = fitted(name, link_value(name), lo, hi, what)
    if note and lesson.page.get(name) == lesson.read.get(name):
        st.warning(plain(note), icon=":material/info:")
    return value


@contextmanager
def linked(name: str, key: str, fit: Callable[[Any], Any] | None = None):
    """Tie a widget drawn inside the block (by code that knows nothing of links) to the page field `name`:
    its session key `key` starts at the link's value, and its value afterwards goes back to the link."""
    seed(name, key, fit)
    yield
    if key in st.session_state:
        remember(name, st.session_state[key])


def _set_param(param: str, value: str | None) -> None:
    if value is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def sync_link() -> None:
    """Keep the link equal to this session's lesson: present=1, hide=..., and the page fields that differ
    from their defaults (other parameters are left alone)."""
    lesson = _lesson()
    _set_param(PRESENT_PARAM, "1" if presenting() else None)
    _set_param(HIDE_PARAM, hide_text(lesson.hide) or None)
    wanted = page_query(lesson.page)
    for name, f in PAGE_FIELDS.items():
        _set_param(f.key, wanted.get(f.key))


def _toggled() -> None:
    _lesson().present = bool(st.session_state[TOGGLE_KEY])


def lesson_sidebar() -> None:
    """The presenter switch (top of the sidebar, unless hidden), the page style it asks for, and a note
    for each value of the link that was refused."""
    lesson = _lesson()
    if not hidden("present"):
        st.session_state.setdefault(TOGGLE_KEY, lesson.present)
        st.sidebar.toggle("Presenter mode", key=TOGGLE_KEY, on_change=_toggled,
                          help="For a projector: chart text at least 16 px, a compact page with each page's main "
                               "chart near the top, and the sidebar closed when the link is opened. The link "
                               "keeps it (present=1).")
    lesson.present = presenting()
    st.html(_PHONE_CSS)
    if lesson.present:
        st.html(_PRESENT_CSS)
    if lesson.notes and lesson.page == lesson.read:
        for note in lesson.notes:  # they quote the link: shown as text
            st.sidebar.warning(plain(note))
    if lesson.hide:
        st.sidebar.caption("This lesson's link hides some controls: " + "; ".join(
            HIDE_FLAGS[n] for n in HIDE_FLAGS if n in lesson.hide) + ".")


def lesson_help() -> None:
    """The Home page's short guide for teachers: presenter mode, the hide flags, and what a link keeps."""
    with st.expander("For teachers: a lesson in a link"):
        st.markdown(
            "Every setting and each page's own state (anomaly preset, threshold, contamination, grid size, the latent map's hole "
            "radius and pinned point, chosen samples, training speed) is kept in the address bar, so a link reproduces the lesson. Add `present=1` for "
            "presenter mode (chart text at least 16 px, compact pages, sidebar closed). Add `hide=` with a "
            "comma-separated list to hide controls; a hidden control keeps the value the link gives it:")
        st.markdown("\n".join(f"- `{name}`: {text}" for name, text in HIDE_FLAGS.items()))
        st.caption("Example: ?present=1&hide=settings,share,train opens the current page on a projector with "
                   "the settings fixed.")
