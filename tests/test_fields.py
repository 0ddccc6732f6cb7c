"""The state table (aeviz.fields): every field, walked with hostile values, accepts only what its widget
offers; the sidebar and the hidden-settings path read a link the same way; a tampered widget value gets a
note and the default, never a traceback."""

from __future__ import annotations

import math

import pytest

from aeviz.fields import PAGE_FIELDS, PRESENT, SETTINGS, every_field, page_values, read_settings, settings_query
from conftest import open_app_page

HOSTILE = ["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "", " ", "-", ",", "<script>alert(1)</script>",
           "x" * 300, "0x10", "1,2", "1;2", "1 2", "--1", "+-1", "1e", "١٢", "True", "None", "[1]", "{}", "0", "-0",
           "-1", "1", "2.5", "100", "65", "99999", "0.002", "0.33", "3", "evil", "Max", "max", "maybe", "\x00",
           "1" * 5000]


def _in_range(f, value) -> bool:
    items = value if isinstance(value, tuple) else (value,)
    if f.kind in ("choice", "bool"):
        return (value in f.allowed()) if f.kind == "choice" else isinstance(value, bool)
    ok = all(isinstance(v, (int, float)) and math.isfinite(v) and f.lo <= v <= f.hi for v in items)
    if f.options:
        ok = ok and all(v in f.options for v in items)
    if f.kind in ("int", "widths"):
        ok = ok and all(isinstance(v, int) for v in items)
    return ok


@pytest.mark.parametrize("f", every_field(), ids=lambda f: f.key)
def test_every_field_refuses_or_accepts_within_its_range(f):
    accepted = 0
    for text in HOSTILE:
        try:
            value = f.read(text)
        except ValueError as exc:  # the only failure a link value may cause, with a short reason
            assert str(exc) and len(str(exc)) < 120, (f.key, text, exc)
            note = f.refusal(text, str(exc), f.default)
            assert note.startswith(f"The link's {f.key}=") and len(note) < 300
            continue
        accepted += 1
        assert _in_range(f, value), (f.key, text, value)
        assert f.read(f.encode(value)) == value, (f.key, text, value)  # what is written reads back the same
    assert accepted < len(HOSTILE)


@pytest.mark.parametrize("f", [f for f in every_field() if f.options], ids=lambda f: f.key)
def test_only_a_select_sliders_stops_are_accepted(f):
    for a, b in zip(f.options, f.options[1:]):
        between = (a + b) / 2
        with pytest.raises(ValueError, match="not one of"):
            f.read(repr(between))
        assert f.read(repr(a)) == a


def test_every_setting_round_trips_through_a_link():
    from aeviz.config import DataConfig, ModelConfig, TrainConfig

    cfgs = (DataConfig("digits", seed=7, test_size=0.5),
            ModelConfig(variant="sparse", hidden=(8,), latent=3, activation="elu", recon_loss="bce", noise_std=0.35,
                        mask_prob=0.1, sparsity=0.01, sparse_hidden=True, contractive=0.1, beta=2.0),
            TrainConfig(lr=3e-3, epochs=7, batch_size=256, seed=11, snapshot_every=1))
    q = settings_query(*cfgs)
    assert set(q) == set(SETTINGS) - {"d_name", "d_table"}  # every other field differs from its default (a session's table key is never written)
    assert read_settings(q) == (cfgs, [])


def test_speed_and_present_are_in_the_table():
    assert page_values({"speed": "Fast"}) == ({**{n: f.default for n, f in PAGE_FIELDS.items()}, "speed": "Fast"}, [])
    assert PRESENT.read("on") is True and PRESENT.read("off") is False


# --- through the app ---------------------------------------------------------------------------------------

LINK = {"d_seed": "7", "t_lr": "0.002", "t_batch_size": "100", "m_noise_std": "0.33", "t_epochs": "3"}


@pytest.mark.parametrize("hide", [None, "settings"])
def test_a_link_gives_the_same_settings_with_and_without_hidden_settings(hide):
    query = {**LINK, **({"hide": hide} if hide else {})}
    at = open_app_page(None, query)
    d, m, t = at.session_state["aeviz_configs"]
    assert (d.seed, t.lr, t.batch_size, t.epochs, m.noise_std) == (7, 1e-3, 128, 3, 0.3)
    notes = " ".join(w.value for w in at.sidebar.warning)
    for key in ("t_lr", "t_batch_size", "m_noise_std"):
        assert f"{key.replace('_', chr(92) + '_')}" in notes or key in notes, (key, notes)
    assert at.query_params.get("d_seed") in ("7", ["7"])  # a value no widget sets stays in the link


@pytest.mark.parametrize("key, value", [("w_epochs", float("nan")), ("w_latent", 0), ("w_seed", -5),
                                        ("w_epochs", 10**9)])
def test_a_tampered_widget_value_gets_a_note_and_the_default(key, value):
    at = open_app_page(None, {"t_epochs": "3"})
    widget = next(w for w in at.sidebar.number_input if w.key == key)
    widget.set_value(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    d, m, t = at.session_state["aeviz_configs"]
    got = {"w_epochs": t.epochs, "w_latent": m.latent, "w_seed": t.seed}[key]
    assert got == {"w_epochs": 100, "w_latent": 2, "w_seed": 42}[key]
    assert any("was not accepted" in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]


ISSUE_LINKS = [  # every value a careless visitor might type that was once changed silently: each gets its note
    "t_lr=0.002", "t_batch_size=100", "m_noise_std=0.33", "m_beta=3", "m_sparsity=0.5", "d_name=evil",
    "m_variant=evil", "m_activation=evil", "m_recon_loss=evil", "m_sparse_hidden=maybe", "m_recon_loss=bce",
    "m_hidden=-32", "present=2", "speed=evil", "speed=max",
]


@pytest.mark.parametrize("pair", ISSUE_LINKS)
def test_a_careless_link_value_is_refused_with_a_note_not_changed_silently(pair):
    key, value = pair.split("=")
    query = {key: value, "t_epochs": "3", **({"d_name": "gw"} if pair == "m_recon_loss=bce" else {})}
    settings_notes = read_settings(query)[1]
    page_notes = page_values(query)[1]
    if key in SETTINGS:
        assert len(settings_notes) == 1 and f"{key}={value} was ignored" in settings_notes[0], settings_notes
    elif key in ("speed",):
        assert len(page_notes) == 1 and f"{key}={value} was ignored" in page_notes[0], page_notes
    else:
        assert PRESENT.refusal(value, "x", False).startswith(f"The link's {key}={value}")


@pytest.mark.parametrize("page, query, words", [
    ("pages/latent.py", {"l_r": "100"}, "l\\_r=100 is outside this model's radius slider"),
    ("pages/reconstruction.py", {"r_index": "99999"}, "r\\_index=99999 is outside the test samples (0 to 359)"),
    ("pages/anomaly.py", {"d_name": "gw", "a_preset": "custom", "a_nf": "1000"},
     "a\\_nf=1000 is outside this dataset's features (1 to 16)"),
    ("pages/train.py", {"speed": "max"}, "speed=max was ignored (not one of Slow, Normal, Fast, Max)"),
    ("pages/home.py", {"present": "2"}, "present=2 was ignored"),
], ids=["l_r", "r_index", "a_nf", "speed", "present"])
def test_a_page_value_beyond_what_the_page_allows_gets_a_note(page, query, words):
    at = open_app_page(page, {**query, "t_epochs": "3"})
    shown = [w.value.replace("\\", "") for w in [*at.warning, *at.sidebar.warning]]  # Markdown escapes aside
    assert any(words.replace("\\", "") in w for w in shown), shown
