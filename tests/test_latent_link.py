"""The latent page's own state in the link: the hole radius (l_r) and the pinned point (l_z), driven by AppTest.
A link opens the map, the hole fraction, the grid and the reply beside the map at the link's r and point; a hostile
link is ignored with a note and never a traceback; changing the settings drops both without a word. (The round
trip through a real browser, click and slider included, is in test_browser_latent.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import LATENT_SECTIONS, open_app_page, open_sections

from aeviz import DataConfig, ModelConfig, TrainConfig
from aeviz.analysis import latent as la
from aeviz.ui import latent as ui_latent
from aeviz.ui.runs import finished_run
from aeviz.ui.text import plain

EPOCHS = "20"  # a short run: the link's state is what is tested, not the model


def _open(**params) -> AppTest:
    """The latent page opened from a link, its on-demand sections (grid, interpolation, evolution) opened."""
    return open_sections(open_app_page("pages/latent.py", {"t_epochs": EPOCHS, **params}), *LATENT_SECTIONS)


def _qp(at: AppTest, key: str):
    if key not in at.query_params:
        return None
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def _map_data(at: AppTest, name: str = "aeviz_latent_map") -> dict:
    (component,) = [c for c in at.get("bidi_component") if c.proto.component_name == name]
    return json.loads(component.proto.json)


def _reply(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown if "The page has your point" in m.value)


def _view():
    """The page's model and map, as the page computes them (the same cached run)."""
    run = finished_run(DataConfig(), ModelConfig(), TrainConfig(epochs=int(EPOCHS)))
    return run, la.latent_view(run.model, run.data)


def test_a_link_opens_the_page_at_its_radius_and_point():
    run, v = _view()
    z = np.array([0.5, -0.25], np.float32)
    r = 0.6
    at = _open(l_z="0.5,-0.25", l_r="0.6")
    data = _map_data(at)
    assert data["r"] == r  # the map's slider and shading
    assert data["point"]["z"] == [0.5, -0.25] and data["point"]["source"] == "the link"  # pinned in the browser
    dist, _, hole = la.hole_test(v.index, z[None], r)
    verdict = "in a hole" if hole[0] else "not a hole"
    reply = _reply(at)  # Python's reply beside the map
    assert "z = (0.500, -0.250), from the link" in reply and f"**{verdict}**" in reply
    assert f"{float(dist[0]):.3f} code standard deviations" in reply and "r = 0.6." in reply
    assert at.number_input(key="latent_z1").value == 0.5 and at.number_input(key="latent_z2").value == -0.25
    # everything below the map uses the link's r: the hole fraction, the grid's hole cells, the interpolation
    (metric,) = at.get("metric")
    rate = la.hole_rate(v.index, r, n=la.HOLE_DRAWS, s=la.HOLE_SPREAD, seed=la.HOLE_SEED)
    assert metric.value == f"{rate.fraction:.0%}" and "r = 0.6 " in metric.proto.help
    grid = la.decode_grid(run.model, v.plane, v.index, v.lo, v.hi, 15, r)
    assert any(c.value.startswith(f"{int(grid.holes.sum())} of 225 grid cells") for c in at.caption)
    assert _map_data(at, "aeviz_latent_path")["r"] == r  # the interpolation strip (drawn in the browser)
    # and the link keeps them
    assert _qp(at, "l_z") == "0.5,-0.25" and _qp(at, "l_r") == "0.6"
    assert not at.sidebar.warning


def test_without_the_link_nothing_is_pinned_and_the_link_stays_clean():
    run, v = _view()
    at = _open()
    assert _map_data(at)["point"] is None and _map_data(at)["r"] == v.radius
    assert not _reply(at) and _qp(at, "l_z") is None and _qp(at, "l_r") is None


def test_a_draw_from_the_prior_goes_into_the_link_whole():
    at = _open(m_variant="variational", m_latent="3")
    at.button(key="latent_prior").click().run()
    assert not at.exception
    z = at.session_state[ui_latent.STATE]["z"][1]
    linked = tuple(float(t) for t in _qp(at, "l_z").split(","))
    assert len(linked) == 3 and np.allclose(linked, z, atol=1e-2)  # the full z, not only its plane coordinates
    back = _open(m_variant="variational", m_latent="3", l_z=_qp(at, "l_z"))
    assert back.session_state[ui_latent.STATE]["z"][1].tolist() == pytest.approx(list(linked), abs=1e-6)
    assert "from the link" in _reply(back)


@pytest.mark.parametrize("params, words", [
    ({"l_z": "0.5"}, "has 1 number, but this model's code has 2"),
    ({"l_z": "0.5,0.5,0.5"}, "has 3 numbers, but this model's code has 2"),
    ({"l_z": "nan,0.5"}, "l_z=nan,0.5 was ignored (not a finite number)"),
    ({"l_z": "1e300,0"}, "was ignored (outside -1e+06 to 1e+06)"),
    ({"l_z": "0.1," * 5000}, "was ignored (too long)"),
    ({"l_z": "**x**,[a](javascript:1)"}, "was ignored (not a number)"),
    ({"l_r": "nan"}, "l_r=nan was ignored (not a finite number)"),
    ({"l_r": "inf"}, "l_r=inf was ignored (not a finite number)"),
    ({"l_r": "-1"}, "l_r=-1 was ignored (outside 0 to 100)"),
    ({"l_r": "1e300"}, "l_r=1e300 was ignored (outside 0 to 100)"),
    ({"l_r": "big"}, "l_r=big was ignored (not a number)"),
], ids=["z one", "z three", "z nan", "z huge", "z 10 kB", "z markdown", "r nan", "r inf", "r negative", "r 1e300",
        "r text"])
def test_a_hostile_link_keeps_the_defaults_with_a_note(params, words):
    _, v = _view()
    at = _open(**params)
    notes = [w.value for w in at.warning]  # the sidebar's and the page's
    assert any(plain(words) in n or words in n for n in notes), notes
    data = _map_data(at)
    assert data["point"] is None and data["r"] == v.radius  # the defaults: no point, the model's own r
    assert _qp(at, "l_z") is None and _qp(at, "l_r") is None
    assert not _reply(at)


def test_new_settings_drop_the_point_and_radius_without_a_word():
    at = _open(l_z="0.5,-0.25", l_r="0.6")
    assert _qp(at, "l_z") == "0.5,-0.25"
    at.number_input(key="w_latent").set_value(3).run()
    at.run()  # the new model's page
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["aeviz_configs"][1].latent == 3
    assert _qp(at, "l_z") is None and _qp(at, "l_r") is None
    assert _map_data(at)["point"] is None and not _reply(at)
    assert not [w.value for w in at.warning if "l_z" in w.value or "l_r" in w.value]
