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


def _raise_fonts(node, px: int) -> None:
    """Raise every explicit font size under `node` (a figure dict) to at least `px`, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and value.get("size") is not None:
                size = value["size"]
                value["size"] = [max(s, px) for s in size] if isinstance(size, (list, tuple)) else max(size, px)
            _raise_fonts(value, px)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _raise_fonts(item, px)


def presented(fig, px: int = 16, title_px: int | None = None):
    """A copy of `fig` for the projector: the base font `px`, every smaller explicit font (legend, ticks,
    annotations, colour bars, subplot titles) raised to `px`, the title at `title_px`, and the top
    margin grown to fit it. `fig` itself (often shared between sessions) is left as it is."""
    import plotly.graph_objects as go

    spec = fig.to_dict()
    _raise_fonts(spec, px)
    layout = spec.setdefault("layout", {})
    font = layout.setdefault("font", {})
    font["size"] = max(font.get("size") or 0, px)
    title_px = title_px or round(px * 1.25)
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        title.setdefault("font", {})["size"] = max(title.get("font", {}).get("size") or 0, title_px)
        margin = layout.setdefault("margin", {})
        margin["t"] = max(margin.get("t") or 0, title_px + 30)
    return go.Figure(spec)
