"""Shared colours and layout defaults for every figure."""

PART_COLOURS = {
    "input": "#9aa5b1",
    "encoder": "#3b82f6",
    "bottleneck": "#ef4444",
    "decoder": "#10b981",
    "output": "#9aa5b1",
}
TRAIN_COLOUR = "#3b82f6"
TEST_COLOUR = "#f97316"
HOLE_COLOUR = "#ef4444"
QUALITATIVE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)


def tight(fig, height: int = 360, **layout):
    """Small margins, a fixed height and a white template: the house look."""
    layout.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    fig.update_layout(template="plotly_white", height=height, **layout)
    return fig
