"""Bad input, survived: random settings and random page controls never end in an exception, and
nothing a user types reaches the page as HTML.

Hypothesis draws the sidebar settings (any dataset, variant, hidden widths including garbage text
and widths of 1, latent sizes up to and past the input size, every learning rate up to 10, batches
larger than the data, 1 to 3 epochs) and a seed for the page controls; each example opens a fresh
AppTest session, applies them, and visits every page in pages/. Derandomized, so CI sees the same
examples every run.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from aeviz import DATASETS, VARIANTS, DataConfig, load
from aeviz.activations import ACTIVATIONS
from aeviz.datasets import defaults_for
from aeviz.ui.sidebar import BATCH_SIZES, BETAS, LEARNING_RATES, PENALTIES, parse_widths

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
SHAPES = {name: load(DataConfig(name)) for name in DATASETS}
SCRIPT = "<script>alert(1)</script>"
SIDEBAR_KNOBS = {"w_sparsity": PENALTIES, "w_contractive": PENALTIES, "w_beta": BETAS}  # select sliders
# buttons that start long trainings (sweeps over several models, a whole Play run) are left alone
COSTLY = ("Play", "sweep", "trains")

widths = hs.lists(hs.integers(1, 64), min_size=0, max_size=3).map(lambda ws: ", ".join(map(str, ws)))
hidden_text = hs.one_of(
    widths,
    hs.sampled_from(["1", "1, 1", "0", "2000", "32;16", "-5", "1,2,3,4,5,6,7", " ", SCRIPT, "３２"]),
    hs.text(max_size=24),
)
sidebar_settings = hs.fixed_dictionaries({
    "w_dataset": hs.sampled_from(sorted(DATASETS)),
    "w_variant": hs.sampled_from(sorted(VARIANTS)),
    "w_hidden": hidden_text,
    "w_latent": hs.one_of(hs.integers(1, 4), hs.integers(1, 64)),
    "w_activation": hs.sampled_from(tuple(ACTIVATIONS)),
    "w_lr": hs.sampled_from(LEARNING_RATES),
    "w_epochs": hs.integers(1, 3),
    "w_batch": hs.sampled_from(BATCH_SIZES),
    "w_seed": hs.integers(0, 10**6),
})


def _widget(at: AppTest, key: str):
    for w in _widgets(at.sidebar):
        if getattr(w, "key", None) == key:
            return w
    raise KeyError(key)


def _widgets(block) -> list:
    kinds = ("selectbox", "text_input", "number_input", "select_slider", "slider", "radio", "checkbox",
             "toggle", "button")
    return [w for kind in kinds for w in block.get(kind)]


def _clean(at: AppTest, where: str) -> None:
    assert not at.exception, (where, [e.value for e in at.exception])


def _randomize(block, rng: random.Random, *, buttons: bool, skip: frozenset[str] = frozenset()) -> None:
    """Give every control in `block` (but those keyed in `skip`) a random allowed value, and maybe
    click a cheap button."""
    for w in _widgets(block):
        key = getattr(w, "key", None) or ""
        if key in skip or getattr(w.proto, "disabled", False):
            continue
        if w.type == "slider" and not isinstance(w.value, (list, tuple)):
            n = int(round((w.max - w.min) / w.step)) if w.step else 0
            v = w.min + rng.randint(0, max(0, n)) * w.step
            w.set_value(int(v) if isinstance(w.value, int) else min(round(float(v), 10), w.max))
        elif w.type == "number_input":
            now = w.value if w.value is not None else (w.min if w.min is not None else 0)
            lo = w.min if w.min is not None else now - 10
            hi = w.max if w.max is not None else now + 10
            w.set_value(rng.randint(int(lo), int(hi)) if isinstance(now, int) else rng.uniform(lo, hi))
        elif w.type in ("selectbox", "radio") and w.value in w.options:  # labels are the values themselves
            w.set_value(rng.choice(w.options))
        elif w.type in ("checkbox", "toggle"):
            w.set_value(rng.random() < 0.5)
        elif w.type == "select_slider" and key in SIDEBAR_KNOBS:
            w.set_value(rng.choice(SIDEBAR_KNOBS[key]))
        elif w.type == "button" and buttons and not any(c in w.label for c in COSTLY) and rng.random() < 0.5:
            w.click()


def _check_sidebar_messages(at: AppTest, s: dict) -> None:
    """The sidebar says what is wrong with the settings it was given."""
    data = SHAPES[s["w_dataset"]]
    errors = " ".join(e.value for e in at.sidebar.error)
    fallback = "Using " + ", ".join(map(str, defaults_for(s["w_dataset"])[1].hidden))  # the dataset's own widths
    try:
        parse_widths(s["w_hidden"])
    except ValueError:
        assert fallback in errors
    else:
        assert "Using " not in errors
    warned = any("as wide as the input" in w.value for w in at.sidebar.warning)
    assert warned == (s["w_latent"] >= data.n_features)
    full_batch = any("one full-batch step" in i.value for i in at.sidebar.info)
    assert full_batch == (s["w_batch"] >= len(data.train_idx))


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(s=sidebar_settings, control_seed=hs.integers(0, 2**32 - 1))
@example(s={"w_dataset": "line", "w_variant": "autoencoder", "w_hidden": "1, 1", "w_latent": 2,
            "w_activation": "relu", "w_lr": 1e-3, "w_epochs": 1, "w_batch": 2048, "w_seed": 0}, control_seed=1)
@example(s={"w_dataset": "digits", "w_variant": "variational", "w_hidden": SCRIPT, "w_latent": 64,
            "w_activation": "sigmoid", "w_lr": 10.0, "w_epochs": 2, "w_batch": 16, "w_seed": 7}, control_seed=2)
@example(s={"w_dataset": "swiss_roll", "w_variant": "contractive", "w_hidden": "1", "w_latent": 5,
            "w_activation": "tanh", "w_lr": 10.0, "w_epochs": 1, "w_batch": 8, "w_seed": 3}, control_seed=3)
@example(s={"w_dataset": "gw", "w_variant": "autoencoder", "w_hidden": "1,2,3,4,5,6,7", "w_latent": 1,
            "w_activation": "relu", "w_lr": 1e-4, "w_epochs": 1, "w_batch": 8, "w_seed": 0}, control_seed=0)
def test_random_settings_never_show_an_exception_on_any_page(s, control_seed):
    rng = random.Random(control_seed)
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    for key, value in s.items():
        _widget(at, key).set_value(value)
    at.run()
    _clean(at, f"sidebar {s}")
    _check_sidebar_messages(at, s)
    _randomize(at.sidebar, rng, buttons=False, skip=frozenset(s))  # the variant's knobs (noise, penalties, β…)
    at.run()
    _clean(at, f"variant knobs {s}")
    for page in PAGES:
        at.switch_page(page)
        at.run()
        _clean(at, f"{page} {s}")
        _randomize(at.main, rng, buttons=True)
        at.run()
        _clean(at, f"{page} controls {s} seed {control_seed}")


# --- nothing a user types or uploads is rendered as HTML -------------------------------------------------

HTML_CALLS = {"markdown", "write", "caption", "html", "title", "header", "subheader", "text", "info", "error",
              "warning", "success"}


def _constant_str(node: ast.AST, constants: dict[str, ast.AST]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Name) and node.id in constants:
        return _constant_str(constants[node.id], {})
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a" "b" joined with +
        return _constant_str(node.left, constants) and _constant_str(node.right, constants)
    return False


def html_calls_with_non_constant_text(source: str) -> list[int]:
    """Line numbers of calls that render HTML (unsafe_allow_html=True, st.html, components.html)
    with anything but constant strings."""
    tree = ast.parse(source)
    constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        flag = next((k.value for k in node.keywords if k.arg == "unsafe_allow_html"), None)
        renders_html = name == "html" or (flag is not None and not (isinstance(flag, ast.Constant)
                                                                    and flag.value is False))
        if not renders_html:
            continue
        texts = [*node.args, *(k.value for k in node.keywords if k.arg in ("body", "html"))]
        if not all(_constant_str(t, constants) for t in texts):
            bad.append(node.lineno)
    return bad


def test_the_html_checker_catches_user_text():
    src = ("import streamlit as st\nHEAD = '<style>p {}</style>'\nname = st.text_input('x')\n"
           "st.markdown('<b>fixed</b>', unsafe_allow_html=True)\nst.markdown(HEAD, unsafe_allow_html=True)\n"
           "st.markdown(name, unsafe_allow_html=True)\nst.html(f'<p>{name}</p>')\n"
           "st.write(name, unsafe_allow_html=flag)\nst.markdown(name)\n")
    assert html_calls_with_non_constant_text(src) == [6, 7, 8]


def test_no_user_text_reaches_unsafe_allow_html():
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "aeviz" / "ui").rglob("*.py")]
    offenders = {f.relative_to(ROOT).as_posix(): lines for f in files
                 if (lines := html_calls_with_non_constant_text(f.read_text()))}
    assert not offenders, f"HTML rendered from non-constant text: {offenders}"


def _elements(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _elements(child)


def test_script_in_hidden_widths_is_shown_as_text():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    _widget(at, "w_hidden").set_value(SCRIPT)
    at.run()
    _clean(at, "script in hidden widths")
    errors = [e for e in at.sidebar.error if SCRIPT in e.value]
    assert errors, [e.value for e in at.sidebar.error]
    assert "whole numbers" in errors[0].value
    # an alert's body is Markdown without HTML; no element that may render HTML carries the text
    carriers = [el for el in _elements(at._tree)
                if getattr(el, "proto", None) is not None and SCRIPT in str(el.proto)]
    assert {el.type for el in carriers} == {"error"}, [el.type for el in carriers]
    assert not any(getattr(el.proto, "allow_html", False) for el in carriers)


def test_uploaded_file_name_and_content_are_shown_as_text():
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["share_open"] = True  # "Download or restore this model" opened: its upload is built
    at.run()
    name = "<img src=x onerror=alert(1)>.pt"
    at.sidebar.get("file_uploader")[0].set_value((name, SCRIPT.encode(), "text/csv"))
    at.run()
    _clean(at, "upload with HTML in its name")
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and r"\<img src=x onerror=alert\(1\)\>.pt" in errors[0], errors
    carriers = [el for el in _elements(at._tree) if "onerror" in str(getattr(el, "proto", ""))]
    assert carriers and not any(getattr(el.proto, "allow_html", False) for el in carriers)
