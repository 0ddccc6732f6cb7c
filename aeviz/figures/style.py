"""Shared colours and layout defaults for every figure."""

import copy

import plotly.io as pio

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


HOUSE_TEMPLATE = "plotly_white"


def use_house_template() -> None:
    """Make the house template Plotly's default for every figure this process builds.

    Naming a template on each figure deep-copies it (about 40 ms a figure, most of a warm page render);
    a figure born with the default template costs well under 1 ms and serialises to the same JSON.
    The server calls this once at start; elsewhere `tight` names the template on each figure instead.
    """
    if pio.templates.default != HOUSE_TEMPLATE:  # setting it validates the whole template again
        pio.templates.default = HOUSE_TEMPLATE


def tight(fig, height: int = 360, **layout):
    """Small margins, a fixed height and a white template: the house look."""
    layout.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    if pio.templates.default != HOUSE_TEMPLATE:
        layout.setdefault("template", HOUSE_TEMPLATE)
    fig.update_layout(height=height, **layout)
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


def _at_least(parent: dict, key: str, px: int) -> None:
    """parent[key]["size"] raised to at least px (the font dict created if absent)."""
    font = parent.get(key)
    font = font if isinstance(font, dict) else {}
    size = font.get("size")
    font["size"] = [max(s, px) for s in size] if isinstance(size, (list, tuple)) else max(size or 0, px)
    parent[key] = font


def _axis_fonts(axis: dict, px: int) -> None:
    _at_least(axis, "tickfont", px)
    title = axis.get("title")
    if isinstance(title, dict):
        _at_least(title, "font", px)


def _colorbar_fonts(owner: dict, px: int) -> None:
    bar = owner.get("colorbar")
    if isinstance(bar, dict):
        _axis_fonts(bar, px)


def presented(fig, px: int = 16, title_px: int | None = None):
    """A copy of `fig` for the projector: every text at least `px` — the base font, axes' tick labels and
    titles, the legend, annotations (subplot titles too), colour bars, hover labels — the title at
    `title_px`, and the top margin grown to fit it. Sizes are set explicitly, because a chart theme's
    template (Streamlit's) would otherwise win over the base font. `fig` itself (often shared between
    sessions) is left as it is."""
    import plotly.graph_objects as go

    spec = copy.deepcopy(fig.to_dict())  # a shared figure's dict is kept for every session: change a copy
    _raise_fonts(spec, px)
    layout = spec.setdefault("layout", {})
    _at_least(layout, "font", px)
    layout.setdefault("xaxis", {}), layout.setdefault("yaxis", {})  # harmless on a figure without axes
    for key, value in list(layout.items()):
        if isinstance(value, dict) and key.rstrip("0123456789") in ("xaxis", "yaxis"):
            _axis_fonts(value, px)
        elif isinstance(value, dict) and key.rstrip("0123456789") == "scene":
            for axis in ("xaxis", "yaxis", "zaxis"):
                _axis_fonts(value.setdefault(axis, {}), px)
        elif isinstance(value, dict) and key.rstrip("0123456789") == "coloraxis":
            _colorbar_fonts(value, px)
    if layout.get("showlegend") is not False:
        legend = layout.setdefault("legend", {})
        _at_least(legend, "font", px)
    _at_least(layout.setdefault("hoverlabel", {}), "font", px)
    for note in layout.get("annotations", []) or []:
        _at_least(note, "font", px)
    for trace in spec.get("data", []):
        _colorbar_fonts(trace, px)
        if isinstance(trace.get("marker"), dict):
            _colorbar_fonts(trace["marker"], px)
    title_px = title_px or round(px * 1.25)
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        _at_least(title, "font", title_px)
        margin = layout.setdefault("margin", {})
        # plotly centres a title's first line in the top margin and hangs the others below it: room for each
        lines = title["text"].count("<br>") + 1
        margin["t"] = max(margin.get("t") or 0, title_px + 30, round((2 * lines - 1) * 1.3 * title_px) + 8)
    return go.Figure(spec)
