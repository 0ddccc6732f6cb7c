"""Lesson mode: presenter mode (chart text >= 16 px), the teacher's hide flags, and each page's own state
carried by the link — the parsing without Streamlit, then the pages driven by AppTest."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest
from conftest import LATENT_SECTIONS, open_sections

from aeviz.figures import live
from aeviz.figures.style import presented
from aeviz.fields import PAGE_FIELDS, page_query, page_values, read_present
from aeviz.lesson import HIDE_FLAGS, parse_hide, round_point, round_radius
from aeviz.ui.components import threshold as threshold_component
from aeviz.ui.state import LESSON
from conftest import open_app_page

ROOT = Path(__file__).resolve().parents[1]
CHART_PAGES = ["pages/train.py", "pages/architecture.py", "pages/latent.py", "pages/reconstruction.py",
               "pages/anomaly.py", "pages/compare.py"]


# --- the link's values, without Streamlit ---------------------------------------------------------------

@pytest.mark.parametrize("param,text", [
    ("a_pct", "nan"), ("a_pct", "inf"), ("a_pct", "-inf"), ("a_pct", "1e308"), ("a_pct", "49.9"), ("a_pct", "abc"),
    ("a_pct", ""), ("l_grid", "999"), ("l_grid", "2.5"), ("l_grid", "1"), ("a_k", "15"), ("r_show", "<script>"),
    ("a_preset", "../../etc/passwd"), ("a_mode", "RAW"), ("a_raw", "-1"), ("r_index", "9" * 400),
    ("l_r", "nan"), ("l_r", "inf"), ("l_r", "-0.5"), ("l_r", "1e300"), ("l_r", "abc"), ("l_r", "0.5,0.5"),
    ("l_z", "nan,0"), ("l_z", "0.1,inf"), ("l_z", "1e300,0"), ("l_z", "0.1;0.2"), ("l_z", ""), ("l_z", "0.1,,0.2"),
    ("l_z", ",".join(["0.1"] * 65)), ("l_z", "0.123," * 2000), ("l_z", "<b>1</b>,2"), ("l_z", "0x10,1"),
    ("a_pct", "80.04"), ("a_mu", "0.55"), ("speed", "evil"), ("speed", "max"), ("r_index", "-1"), ("r_index", "2.5"),
])
def test_hostile_page_values_keep_the_default_and_say_so(param, text):
    name = next(n for n, f in PAGE_FIELDS.items() if f.key == param)
    values, problems = page_values({param: text})
    assert values[name] == PAGE_FIELDS[name].default
    assert len(problems) == 1 and problems[0].startswith(f"The link's {param}=") and "ignored" in problems[0]
    assert len(problems[0]) < 200  # a long value is shortened in the note


def test_good_page_values_are_read_on_their_step():
    values, problems = page_values({"a_pct": "80.0", "l_grid": "20", "r_show": "best", "a_preset": "subtle",
                                    "a_k": "60", "a_raw": "0.25", "a_mode": "raw"})
    assert not problems
    assert values["pct"] == 80.0 and values["grid"] == 20 and values["show"] == "best"
    assert values["preset"] == "subtle" and values["k"] == 60 and values["raw"] == 0.25 and values["thr_mode"] == "raw"


def test_the_latent_pages_radius_and_point_are_read_and_rounded():
    values, problems = page_values({"l_r": "0.8123", "l_z": "0.123,-0.456"})
    assert not problems and values["r"] == 0.8123 and values["z"] == (0.123, -0.456)
    assert page_values({"l_z": "1.5"})[0]["z"] == (1.5,)  # latent size 1
    assert len(page_values({"l_z": ",".join(["0.25"] * 64)})[0]["z"]) == 64  # the largest latent size
    # each number keeps about a thousandth of its unit's spread: short links, the same point to the eye
    assert round_point(np.array([0.1234567, -12.34567, 0.000123456, -0.0001], np.float32), [1.3, 25.0, 0.004, 1.0]) \
        == (0.123, -12.35, 0.000123, 0.0)
    assert round_radius(0.81234567) == 0.812346 and round_radius(12.3456789) == 12.3457
    query = page_query({"r": 0.8123, "z": (0.123, -12.35, 0.0001235)})
    assert query == {"l_r": "0.8123", "l_z": "0.123,-12.35,0.0001235"}
    assert page_values(query)[0]["z"] == (0.123, -12.35, 0.0001235)
    assert page_query({"r": None, "z": None}) == {}


def test_page_query_round_trips_and_leaves_defaults_out():
    values = {name: f.default for name, f in PAGE_FIELDS.items()}
    assert page_query(values) == {}
    values.update(pct=90.5, grid=7, show="random", preset="literal")
    query = page_query(values)
    assert query == {"a_pct": "90.5", "l_grid": "7", "r_show": "random", "a_preset": "literal"}
    back, problems = page_values(query)
    assert not problems and all(back[n] == values[n] for n in ("pct", "grid", "show", "preset"))


def test_read_field_refuses_non_finite_numbers():
    for text in ("nan", "NaN", "inf", "1e400"):
        with pytest.raises(ValueError):
            PAGE_FIELDS["pct"].read(text)


def test_hide_and_present_flags():
    known, unknown = parse_hide("settings, Share,train,<b>bold</b>,nope")
    assert known == {"settings", "share", "train"} and unknown == ["<b>bold</b>", "nope"]
    assert parse_hide(None) == (frozenset(), [])
    assert parse_hide("x" * 10_000)[1] == ["x" * 24 + "…"]
    assert read_present("1") == (True, None) and read_present("true") == (True, None)
    assert read_present("0") == (False, None) and read_present(None) == (False, None)
    on, note = read_present("2")
    assert not on and note.startswith("The link's present=2 was ignored")


# --- fonts: Plotly, ECharts and the threshold component -------------------------------------------------

def _font_sizes(node, path=()):
    """Every explicit font size in a Plotly figure dict (not its template), with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if key.endswith("font") and isinstance(value, dict) and "size" in value:
                sizes = value["size"] if isinstance(value["size"], list) else [value["size"]]
                yield from ((path + (key,), s) for s in sizes)
            yield from _font_sizes(value, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _font_sizes(item, path + (i,))


def _assert_presented(spec: dict, where: str) -> None:
    layout = spec["layout"]
    assert layout["font"]["size"] >= 16, where
    small = [(p, s) for p, s in _font_sizes(spec) if s < 16]
    assert not small, (where, small)
    for key, axis in layout.items():
        if key.rstrip("0123456789") in ("xaxis", "yaxis"):
            assert axis["tickfont"]["size"] >= 16, (where, key)
    if layout.get("showlegend") is not False:
        assert layout["legend"]["font"]["size"] >= 16, where
    for note in layout.get("annotations", []):
        assert note["font"]["size"] >= 16, where


def test_presented_raises_every_font_and_leaves_the_figure_alone():
    fig = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]], colorbar=dict(tickfont=dict(size=9))),
                    layout=dict(title="t", legend=dict(font=dict(size=10)), annotations=[dict(text="a", font=dict(size=8))]))
    fig.add_trace(go.Scatter(x=[1], y=[1], text=["x"], textfont=dict(size=[9])))
    before = fig.to_dict()
    out = presented(fig, 16)
    _assert_presented(out.to_dict(), "heatmap")
    assert out.layout.title.font.size >= 20 and out.data[0].colorbar.tickfont.size == 16
    assert fig.to_dict() == before  # shared figures are never changed


def test_echarts_builders_take_a_font_size():
    history = [{"epoch": e, "train_total": 1 / e, "test_total": 1.1 / e} for e in range(1, 4)]
    codes = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3
    box = (codes.min(0), codes.max(0))
    for option in (live.loss_chart(history, font_px=16),
                   live.latent_chart(codes, labels, ["a", "b", "c"], box, font_px=16)):
        assert option["xAxis"]["axisLabel"]["fontSize"] == 16 and option["yAxis"]["axisLabel"]["fontSize"] == 16
        assert option["xAxis"]["nameTextStyle"]["fontSize"] == 16 and option["legend"]["textStyle"]["fontSize"] == 16
        assert option["title"]["textStyle"]["fontSize"] >= 16
    plain = live.loss_chart(history)
    assert plain["xAxis"]["axisLabel"]["fontSize"] == 12 and live._TITLE["textStyle"]["fontSize"] == 14


def test_threshold_payload_carries_a_bounded_font_size():
    a, b = np.array([0.1, 0.2]), np.array([0.5, 0.9])
    kw = dict(mode="percentile", pct=95.0, threshold=0.2, log_x=True)
    assert threshold_component.payload(a, b, **kw)["font_px"] == 12
    assert threshold_component.payload(a, b, **kw, font_px=16)["font_px"] == 16
    assert threshold_component.payload(a, b, **kw, font_px=10**9)["font_px"] == 40


# --- the app under AppTest ------------------------------------------------------------------------------

def _app(page: str | None = None, **params) -> AppTest:
    return open_app_page(page, params)


def _qp(at: AppTest, key: str):
    """A query parameter's value as the browser would show it (None when absent)."""
    if key not in at.query_params:
        return None
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def _keys(at: AppTest, kind: str) -> set:
    return {getattr(w, "key", None) for w in at.get(kind)}


@pytest.mark.parametrize("page", CHART_PAGES)
def test_presenter_mode_sets_every_chart_font_to_16px(page):
    at = _app(page, present="1", d_name="gw" if page.endswith("anomaly.py") else "digits")
    if page.endswith("latent.py"):  # every section drawn, so every chart is checked
        open_sections(at, *LATENT_SECTIONS)
    plotly = at.get("plotly_chart")
    echarts = at.get("echarts_chart")
    assert plotly or echarts
    for el in plotly:
        _assert_presented(json.loads(el.proto.spec), f"{page}: {el.proto.id[-20:]}")
    for el in echarts:
        spec = json.loads(el.proto.spec)
        assert spec["xAxis"]["axisLabel"]["fontSize"] >= 16 and spec["legend"]["textStyle"]["fontSize"] >= 16
    if page.endswith(("anomaly.py", "latent.py")):  # the threshold chart and the latent map are told their text size
        components = at.get("bidi_component")  # the latent page has the map, the interpolation strip and the traversals
        assert len(components) == (3 if page.endswith("latent.py") else 1)
        for component in components:
            assert json.loads(component.proto.json)["font_px"] >= 16


def test_without_presenter_mode_charts_keep_their_own_sizes():
    at = _app("pages/architecture.py")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"].get("font", {}).get("size", 12) < 16


def test_the_switch_turns_presenter_mode_on_and_writes_the_link():
    at = _app("pages/architecture.py")
    assert "present" not in at.query_params
    at.toggle(key="w_present").set_value(True).run()
    assert not at.exception and _qp(at, "present") == "1"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] >= 16
    at.toggle(key="w_present").set_value(False).run()
    assert "present" not in at.query_params


def test_hidden_settings_and_share_keep_the_links_values():
    at = _app("pages/architecture.py", hide="settings,share", d_name="gw", m_latent="3", t_epochs="5")
    assert "w_dataset" not in _keys(at, "selectbox") and "w_latent" not in _keys(at, "number_input")
    assert not any("Share and export" in h.value for h in at.sidebar.header)
    data_cfg, model_cfg, train_cfg = at.session_state["aeviz_configs"]
    assert data_cfg.name == "gw" and model_cfg.latent == 3 and model_cfg.hidden == (64, 32) and train_cfg.epochs == 5
    assert any("Settings for this lesson" in c.value for c in at.sidebar.caption)
    assert _qp(at, "hide") == "settings,share"


def test_hidden_train_buttons_keep_the_speed():
    at = _app("pages/train.py", hide="train", speed="Slow")
    assert not any(b.label in ("Play", "Step") for b in at.button)
    at2 = _app("pages/train.py")
    assert any(b.label == "Play" for b in at2.button) and any(b.label == "Step" for b in at2.button)


def test_hidden_threshold_uses_the_links_value():
    at = _app("pages/anomaly.py", hide="threshold", a_pct="80")
    assert "an_pct" not in _keys(at, "slider") and "an_mode" not in _keys(at, "radio")
    assert any("80.0th percentile" in m.value for m in at.markdown)


def test_hidden_anomalies_keep_the_links_preset():
    at = _app("pages/anomaly.py", hide="anomalies", d_name="gw", a_preset="literal")
    assert "an_preset" not in _keys(at, "radio") and "an_mu" not in _keys(at, "slider")
    assert any("Literal" in c.value for c in at.caption)


def test_hidden_samples_keep_the_links_choice():
    at = _app("pages/reconstruction.py", hide="samples,trythis", r_show="best", r_k="2")
    assert "rc_mode" not in _keys(at, "radio") and "rc_k" not in _keys(at, "slider")
    assert len([e for e in at.get("plotly_chart") if "rc_sample" in e.proto.id]) == 2
    assert not any(s.value == "Try this" for s in at.subheader)


def test_page_state_goes_into_the_link_and_comes_back():
    at = _app("pages/anomaly.py", d_name="gw")
    at.radio(key="an_preset").set_value("subtle").run()
    at.slider(key="an_pct").set_value(90.0).run()
    assert not at.exception
    qp = {k: at.query_params[k] for k in at.query_params}
    flat = {k: (v[0] if isinstance(v, list) else v) for k, v in qp.items()}
    assert flat["a_preset"] == "subtle" and flat["a_pct"] == "90"
    back = _app("pages/anomaly.py", **flat)
    assert back.radio(key="an_preset").value == "subtle" and back.slider(key="an_mu").value == 1.0
    assert back.slider(key="an_pct").value == 90.0


def test_recon_and_grid_state_round_trip():
    at = _app("pages/reconstruction.py")
    at.radio(key="rc_mode").set_value("best").run()
    at.slider(key="rc_k").set_value(6).run()
    flat = {k: (v[0] if isinstance(v, list) else v) for k, v in ((k, at.query_params[k]) for k in at.query_params)}
    assert flat["r_show"] == "best" and flat["r_k"] == "6"
    back = _app("pages/reconstruction.py", **flat)
    assert back.radio(key="rc_mode").value == "best" and back.slider(key="rc_k").value == 6
    grid = _app("pages/latent.py", l_grid="9")
    assert grid.slider(key="latent_grid_n").value == 9
    grid.slider(key="latent_grid_n").set_value(12).run()
    assert _qp(grid, "l_grid") == "12"


def test_hostile_links_are_refused_with_a_plain_note():
    at = _app("pages/anomaly.py", a_pct="nan", a_mode="<img src=x>", l_grid="1e999", r_show="**bold**",
              hide="<b>x</b>,share")
    assert at.slider(key="an_pct").value == 95.0 and at.radio(key="an_mode").value == "percentile"
    notes = [w.value for w in at.sidebar.warning]
    assert any("a\\_pct=nan" in n for n in notes) and any("hide=" in n for n in notes)
    assert any("\\<img" in n for n in notes)  # Markdown-escaped: shown as text
    assert all("<" not in n.replace("\\<", "") for n in notes)
    assert "a_pct" not in at.query_params and "l_grid" not in at.query_params
    assert not any("Share and export" in h.value for h in at.sidebar.header)
    lesson = at.session_state[LESSON]
    assert lesson.page["grid"] == 15 and lesson.page["show"] == "worst" and math.isfinite(lesson.page["pct"])


def test_every_hide_flag_is_documented():
    readme = (ROOT / "README.md").read_text()
    for name in HIDE_FLAGS:
        assert f"`{name}`" in readme
    for f in PAGE_FIELDS.values():
        assert f"`{f.key}`" in readme
