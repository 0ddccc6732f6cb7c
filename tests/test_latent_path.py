"""The interpolation strip, Python side: its JS is the map's pure functions plus its own, its arguments are a few
hundred bytes (the decoder is never sent twice), and the latent page renders it for every dataset, under AppTest.
The browser side (the JS path equals `la.interpolate`) is in tests/test_browser_latent_path.py."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import LATENT_SECTIONS, open_app_page, open_sections

from aeviz import DATASETS, DataConfig, load
from aeviz.analysis import latent as la
from aeviz.ui import latent_path as lpath

ROOT = Path(__file__).resolve().parents[1]


def _open(dataset: str = "digits", **query) -> AppTest:
    """The latent page with its on-demand sections (grid, interpolation, evolution) opened."""
    return open_sections(open_app_page("pages/latent.py", {"d_name": dataset, "t_epochs": "3", **query}),
                         *LATENT_SECTIONS)


def _components(at: AppTest) -> dict:
    return {n.proto.component_name: n.proto for n in at._tree if getattr(n, "type", "") == "bidi_component"}


def test_script_shares_the_maps_modules_instead_of_copying_them():
    from aeviz.ui.components import bundle

    js = lpath.script()
    assert bundle.order("latent_path.js")[-1] == "latent_path.js"
    assert {"maths.js", "latent_model.js", "draw.js"} <= set(bundle.order("latent_path.js"))
    assert js.count("export function decode(") == 1 and js.count("export function nearest(") == 1
    assert js.count("export default function mount") == 1
    own = (ROOT / "aeviz/ui/components/js/latent_path.js").read_text()
    assert "function decode(" not in own and "function nearest(" not in own  # imported, not copied
    assert "class LatentMap" not in js and "latent_map.js" not in bundle.order("latent_path.js")  # not the map's view


def test_args_shape_and_size():
    args = lpath.path_args(run_id="abc", source="samples", za=np.float32([0.5, -1.25]), zb=[2, 3],
                           ends=("sample 0, label 0", "sample 7, label 1"), clicks=[(1, 2), (3, 4), (5, 6)], r=0.75)
    assert args["za"] == [0.5, -1.25] and args["zb"] == [2.0, 3.0]
    assert args["clicks"] == [[3.0, 4.0], [5.0, 6.0]]  # the last two
    assert (args["k"], args["k_min"], args["k_max"]) == (lpath.K_DEFAULT, 3, 30)
    assert args["source"] == "samples" and args["r"] == 0.75 and args["run"] == "abc"
    assert lpath.path_args(run_id="", source="clicks", za=[0], zb=[0], ends=("", ""), clicks=[], r=1)["source"] \
        == "clicks"
    assert len(json.dumps(args)) < 1000
    json.loads(json.dumps(args))


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_page_renders_the_strip_for_each_dataset(dataset):
    at = _open(dataset)
    comps = _components(at)
    assert set(comps) == {"aeviz_latent_map", "aeviz_latent_path", "aeviz_traversal"}
    strip, m = comps["aeviz_latent_path"], json.loads(comps["aeviz_latent_map"].json)
    assert strip.id.endswith(lpath.KEY) and ".lp-wrap" in strip.css_content
    assert "export function interpolate(" in strip.js_content
    args = json.loads(strip.json)
    assert "payload" not in args and len(strip.json) < 2000  # the decoder travels once, with the map
    assert args["run"] == m["payload"]["run"] and args["r"] == m["r"]
    assert len(args["za"]) == len(args["zb"]) == m["payload"]["latent"]
    data = load(DataConfig(name=dataset))
    a, b = la.default_ends(data)
    assert data.y[a] != data.y[b]
    assert args["ends"] == [f"sample {a}, label {data.label_names[data.y[a]]}",
                            f"sample {b}, label {data.label_names[data.y[b]]}"]
    # no server-drawn figure for the interpolation any more
    charts = [c.proto.id for c in at.get("plotly_chart")]
    assert any(i.endswith("latent_grid") for i in charts)  # the ids are read right ...
    assert not [i for i in charts if "latent_interp" in i]  # ... and none is the interpolation's


def test_a_new_radius_and_the_vae_reach_the_strip():
    at = _open("digits", m_variant="variational", m_latent="3")
    args = json.loads(_components(at)["aeviz_latent_path"].json)
    assert len(args["za"]) == 3
    at.radio(key="latent_interp_src").set_value("my last two clicks").run()
    assert not at.exception
    args = json.loads(_components(at)["aeviz_latent_path"].json)
    assert args["source"] == "clicks" and args["clicks"] == []  # the strip asks for two clicks in the browser
    assert at.number_input(key="latent_interp_a").disabled


def test_the_sections_below_the_map_are_built_only_once_opened():
    """A student looking at the map costs the server no grid, strip or replay; opening one builds that one."""
    at = open_app_page("pages/latent.py", {"d_name": "digits", "t_epochs": "3"})
    labels = [e.label for e in at.expander]
    assert {"Decode the grid", "Walk between two codes", "Replay the training"} <= set(labels)

    def built(at):
        charts = {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
        return {"grid": "latent_grid" in charts, "evolution": "latent_evolution" in charts,
                "strip": "aeviz_latent_path" in _components(at)}

    assert built(at) == {"grid": False, "evolution": False, "strip": False}
    assert "latent_hole_rate" in {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}  # always drawn
    open_sections(at, "latent_open_grid")
    assert built(at) == {"grid": True, "evolution": False, "strip": False}
    open_sections(at, "latent_open_interp", "latent_open_evolution")
    assert built(at) == {"grid": True, "evolution": True, "strip": True}
    at.session_state["latent_open_grid"] = False  # closed again: no longer built
    at.run()
    assert built(at) == {"grid": False, "evolution": True, "strip": True}


def test_a_link_with_its_own_grid_size_opens_the_grid():
    at = open_app_page("pages/latent.py", {"d_name": "digits", "t_epochs": "3", "l_grid": "9"})
    assert at.slider(key="latent_grid_n").value == 9
    assert any("of 81 grid cells" in c.value for c in at.caption)
