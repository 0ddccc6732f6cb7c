"""Figure builders, checked on their traces and layout without a browser."""

import numpy as np
import pytest

from aeviz import DataConfig, ModelConfig, build, layer_table, load
from aeviz.analysis import layer_activations
from aeviz.figures import forward_pass_figure, hourglass_figure, sample_figure


def test_hourglass_labels_every_layer_with_width_and_params():
    rows = layer_table(ModelConfig(hidden=(64, 32)), 16)
    fig = hourglass_figure(rows)
    texts = [a.text for a in fig.layout.annotations]
    assert "1,088<br>params" in texts and "<b>64</b>" in texts
    assert len(fig.layout.shapes) == len(rows)
    heights = [s.y1 - s.y0 for s in fig.layout.shapes]
    widths = [r["width"] for r in rows]  # 16, 64, 32, 2, 32, 64, 16
    assert np.argsort(heights, kind="stable").tolist() == np.argsort(widths, kind="stable").tolist()
    assert heights[1] == max(heights) and heights[3] == min(heights)
    total = sum(r["params"] for r in rows)
    assert f"{total:,}" in fig.layout.title.text
    colours = {s.fillcolor for s in fig.layout.shapes}
    assert len(colours) >= 3  # encoder, bottleneck, decoder distinct


def test_forward_pass_has_one_frame_per_layer_lighting_in_turn():
    data = load(DataConfig())
    cfg = ModelConfig()
    rows = layer_table(cfg, data.n_features)
    acts = layer_activations(build(cfg, data, seed=0), data.X[0])
    fig = forward_pass_figure(rows, acts)
    assert len(fig.frames) == len(rows)
    lit = [sum(not isinstance(t.marker.color, str) for t in fr.data[:-1]) for fr in fig.frames]  # [-1]: the bar
    assert lit == list(range(1, len(rows) + 1))
    assert [len(t.y) for t in fig.data[:-1]] == [r["width"] for r in rows]
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"


def test_forward_pass_draws_positive_blue_negative_red_with_a_colour_bar():
    from plotly.colors import sample_colorscale

    rows = layer_table(ModelConfig(hidden=(3,), latent=1), 2)
    acts = [np.array([1.0, -1.0]), np.array([0.5, -0.5, 0.0]), np.array([0.2]), np.array([0.1, 0.1, 0.1]),
            np.array([1.0, -1.0])]
    fig = forward_pass_figure(rows, acts)
    m = fig.data[-1].marker  # the bar's own invisible trace, after one trace per layer
    assert len(fig.data) == len(rows) + 1 and m.opacity == 0
    assert m.showscale and m.colorbar.ticktext[-1].endswith("(blue)")
    assert sum(bool(t.marker.showscale) for t in fig.data) == 1  # one bar, not one per layer
    assert all(bool(t.marker.showscale) == (i == len(rows)) for fr in fig.frames for i, t in enumerate(fr.data))
    assert not m.reversescale
    hi, lo = sample_colorscale([list(s) for s in m.colorscale], [1.0, 0.0])  # what +max and -max are drawn in
    r_hi, _, b_hi = (int(v) for v in hi[4:-1].split(","))
    r_lo, _, b_lo = (int(v) for v in lo[4:-1].split(","))
    assert b_hi > r_hi and r_lo > b_lo  # positive is blue, negative is red


def test_sample_figure_kinds():
    img = sample_figure(np.linspace(0, 1, 64), "image", image_shape=(8, 8))
    assert img.data[0].type == "heatmap" and np.asarray(img.data[0].z).shape == (8, 8)
    tab = sample_figure(np.zeros(3), "tabular", feature_names=["a", "b", "c"], reference=np.ones(3))
    assert [t.type for t in tab.data] == ["scatter", "scatter"] and list(tab.data[0].x) == ["a", "b", "c"]
    pts = sample_figure(np.zeros(3), "points", data=np.random.default_rng(0).normal(size=(10, 3)))
    assert pts.data[0].type == "scatter3d"


@pytest.mark.parametrize("top", [1.02, 1.3, 3.0, 150.0, 3000.0])
def test_the_angle_charts_ratio_ticks_never_print_on_top_of_each_other(top):
    from aeviz.figures.compare import angle_trace_figure

    trace = [{"epoch": e, "angles": [80.0 / (e + 1), 5.0], "error_ratio": 1 + (top - 1) / (e + 1) ** 2}
             for e in range(8)]
    fig = angle_trace_figure(trace)
    axis = fig.layout.yaxis2
    ticks = np.log10(np.asarray(axis.tickvals, dtype=float))
    span = np.log10(max(r["error_ratio"] for r in trace) * 1.5) - np.log10(min(r["error_ratio"] for r in trace))
    assert axis.type == "log" and len(ticks) >= 2 and list(axis.ticktext) == [f"{v:g}×" for v in axis.tickvals]
    assert np.diff(ticks).min() >= span / 10 - 1e-12  # labels a tenth of the axis apart, at least


def test_the_draws_key_heads_the_latent_maps_legend():
    """On a projector the map's legend (ten classes and the two kinds of draw) is taller than the map and scrolls: the
    key to the red crosses and green pluses, what the map teaches, comes first so it is always in view."""
    from aeviz.figures.compare import latent_map_figure

    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(200, 2)), np.arange(200) % 10
    fig = latent_map_figure(codes, labels, [str(k) for k in range(10)], background=rng.normal(size=(50, 2)),
                            samples=rng.normal(size=(40, 2)), holes=np.arange(40) % 3 == 0, legend_below=False)
    # plotly lists the legend by legendrank (1000 unless set), ties in trace order
    order = [t.name for t in sorted(fig.data, key=lambda t: 1000 if t.legendrank is None else t.legendrank)]
    assert order[:2] == ["draw in a hole", "draw near a code"], order
    assert sorted(order[2:]) == sorted(["sampled z", *map(str, range(10))])
