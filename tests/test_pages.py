"""Every page runs under AppTest without an exception, on defaults and after changing the main controls."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def _open(page: str, **widgets) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for key, value in widgets.items():
        _set(at, key, value)
        at.run()
    at.switch_page(page)
    at.run()
    return at


def _set(at: AppTest, key: str, value) -> None:
    for kind in ("selectbox", "text_input", "number_input", "select_slider", "slider", "radio"):
        for w in at.get(kind):
            if getattr(w, "key", None) == key:
                w.set_value(value)
                return
    raise KeyError(key)


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_every_page_is_listed_in_the_app():
    text = (ROOT / "app.py").read_text()
    assert all(p in text for p in PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_defaults(page):
    _assert_clean(_open(page))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("settings", [
    {"w_dataset": "gw", "w_hidden": "64, 32", "w_latent": 3},
    {"w_dataset": "line", "w_latent": 1, "w_epochs": 20},
    {"w_dataset": "swiss_roll", "w_activation": "tanh", "w_epochs": 20},
], ids=["gw", "line", "swiss_roll"])
def test_page_runs_after_changing_the_main_controls(page, settings):
    _assert_clean(_open(page, **settings))


def test_bad_hidden_widths_give_a_message_not_a_traceback():
    at = _open("pages/architecture.py", w_hidden="32, lots")
    _assert_clean(at)
    assert any("whole numbers" in e.value for e in at.sidebar.error)


def test_learning_rate_10_shows_the_divergence_message():
    at = _open("pages/train.py", w_lr=10.0, w_epochs=20)
    _assert_clean(at)
    assert any("not been trained yet" in i.value for i in at.info)  # waits for Play, trains nothing unseen
    next(b for b in at.button if b.label.startswith("Step")).click().run()
    _assert_clean(at)
    assert any("Training stopped at epoch" in e.value for e in at.error)
    at.switch_page("pages/architecture.py")
    at.run()
    _assert_clean(at)
    assert any("Training stopped at epoch" in e.value for e in at.error)


def test_train_page_step_and_settings_change_warning():
    at = _open("pages/train.py", w_epochs=5)
    step = next(b for b in at.button if b.label.startswith("Step"))
    step.click().run()
    _assert_clean(at)
    assert "Epoch 1 / 5" in at.get("progress")[0].proto.text
    _set(at, "w_latent", 3)
    at.run()
    assert any("no longer matches" in w.value for w in at.warning)
    reset = next(b for b in at.button if b.label == "Reset")
    reset.click().run()
    assert not any("no longer matches" in w.value for w in at.warning)


def test_architecture_page_shows_the_gw_first_layer_count():
    at = _open("pages/architecture.py", w_dataset="gw", w_hidden="64, 32")
    table = at.dataframe[0].value
    assert table["params"].tolist()[1] == 1088


def test_picking_gw_shows_its_own_default_architecture():
    at = _open("pages/architecture.py", w_dataset="gw")
    _assert_clean(at)
    assert at.text_input(key="w_hidden").value == "64, 32"
    assert at.number_input(key="w_epochs").value == 120
    assert at.dataframe[0].value["params"].tolist()[1] == 1088  # 16 x 64 + 64, the lesson's arithmetic
    assert any("64, 32" in c.value and "120 epochs" in c.value for c in at.sidebar.caption)
    _set(at, "w_dataset", "digits")  # back: the digits defaults return
    at.run()
    assert at.text_input(key="w_hidden").value == "32, 16" and at.number_input(key="w_epochs").value == 100


def test_a_changed_setting_survives_a_dataset_switch():
    at = _open("pages/architecture.py", w_hidden="48, 8", w_dataset="gw")
    _assert_clean(at)
    assert at.text_input(key="w_hidden").value == "48, 8"
    assert at.number_input(key="w_epochs").value == 120


def test_a_link_to_gw_without_widths_opens_on_gws_defaults():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["d_name"] = "gw"
    at.run()
    _assert_clean(at)
    assert at.text_input(key="w_hidden").value == "64, 32" and at.number_input(key="w_epochs").value == 120
