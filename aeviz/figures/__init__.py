"""Plotly figure builders: each takes arrays and options and returns a go.Figure (no Streamlit)."""

from .samples import image_figure, sample_figure
from .training import WIDE_LAYER, forward_pass_figure, hourglass_figure

__all__ = ["WIDE_LAYER", "forward_pass_figure", "hourglass_figure", "image_figure", "sample_figure"]
