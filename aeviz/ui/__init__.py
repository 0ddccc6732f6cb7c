"""The Streamlit layer (the only part of aeviz that imports streamlit): the shared sidebar,
cached training, per-session state and the widgets pages share."""

from .cache import dataset, serve_on_one_thread
from .charts import shared_figure, shared_table
from .runs import current_run, finished_run, model_or_stop, warm_up
from .layout import explain, heading, intro, on_demand, try_this
from .lesson import chart, font_px, hidden, lesson_help, lesson_sidebar, link_value, linked, presenting, remember, sync_link
from .export import take_it_home
from .share import share_sidebar
from .live import live_training
from .state import configs, entry_script
from .sidebar import settings_summary, sidebar

__all__ = [
    "settings_summary",
    "chart", "configs", "current_run", "dataset", "entry_script", "explain", "heading", "finished_run", "font_px", "hidden", "intro",
    "lesson_help", "lesson_sidebar", "link_value", "linked", "live_training", "model_or_stop", "on_demand", "presenting",
    "remember",
    "serve_on_one_thread", "share_sidebar", "shared_figure", "shared_table", "sidebar", "sync_link", "take_it_home", "try_this", "warm_up",
]
