"""Draw your own digit, Python side: the preprocessing (aeviz.analysis.draw) against MNIST's own numbers and its
refusals, the payload's drawing spec and encoder, the page's section, and its "Try this" prompt followed with the
app's default models: a drawn 1 and a round 0 land nearer their own class's codes than any other's, and a small
drawing in a corner lands where the large one does. (The browser's copy of the preprocessing is checked against
this one in tests/js/digit_prep.test.mjs; real pointer strokes in tests/test_browser_draw.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from aeviz import DATASETS, DataConfig, Trainer, build, load
from aeviz.analysis import draw, encode
from aeviz.analysis import latent as la
from aeviz.analysis import latent_map as lm
from aeviz.datasets import defaults_for
from aeviz.ui import latent as latent_ui
from conftest import open_app_page

_T = np.linspace(0, 2 * np.pi, 80)
ONE = [[[150.0, 40.0 + 4 * i] for i in range(50)]]  # a vertical line, as a pad records it (px, y down)
ZERO = [np.c_[140 + 70 * np.sin(_T), 140 - 90 * np.cos(_T)].tolist()]  # a round 0, a little taller than wide
SMALL_ZERO = [[[x / 5 + 3, y / 5 + 200] for x, y in ZERO[0]]]  # the same 0, a fifth of the size, in a corner


def _default(name: str):
    """The app's default model for dataset `name`, trained as the page trains it, with its training codes."""
    data = load(DataConfig(name))
    _, m, t = defaults_for(name)
    model = Trainer(build(m, data, seed=t.seed), data, t).run().model
    return data, model, encode(model, data.X_train)


@pytest.fixture(scope="module", params=["mnist", "digits"])
def default(request):
    return _default(request.param)


def _class_distances(data, Z, z) -> np.ndarray:
    means = np.stack([Z[data.y_train == k].mean(0) for k in range(len(data.label_names))])
    return np.linalg.norm(means - z, axis=1)


def test_a_drawn_digit_looks_like_the_datasets_own():
    """A drawn 1 on 28x28 has about the ink of MNIST's 1s, a round 0 about that of its 0s, each within 25 %."""
    data = load(DataConfig("mnist"))
    spec = draw.SPECS[(28, 28)]
    for digit, strokes in [(1, ONE), (0, ZERO)]:
        img = draw.preprocess(strokes, spec)
        assert img.shape == (28, 28) and img.min() >= 0 and img.max() == 1
        ink = data.X_train[data.y_train == digit].sum(1).mean()
        assert abs(img.sum() - ink) < 0.25 * ink, (digit, img.sum(), ink)
        ys, xs = np.mgrid[0:28, 0:28] + 0.5
        assert abs((img * xs).sum() / img.sum() - 14) < 0.05 and abs((img * ys).sum() / img.sum() - 14) < 0.05
    digits = load(DataConfig("digits"))
    one = draw.preprocess(ONE, draw.SPECS[(8, 8)])
    assert one.shape == (8, 8) and one[0].max() > 0 and one[7].max() > 0  # the height fills the frame
    assert abs(one.sum() - digits.X_train[digits.y_train == 1].sum(1).mean()) < 0.4 * one.sum()


def test_drawings_that_are_not_strokes_are_refused_with_what_to_change():
    spec = draw.SPECS[(28, 28)]
    assert draw.preprocess([], spec) is None and draw.preprocess([[]], spec) is None
    with pytest.raises(ValueError, match="at most 64 strokes"):
        draw.preprocess([[[0, 0]]] * 65, spec)
    with pytest.raises(ValueError, match="at most 4000 points"):
        draw.preprocess([[[i, i] for i in range(4001)]], spec)
    with pytest.raises(ValueError, match="finite numbers"):
        draw.preprocess([[[0, float("nan")]]], spec)
    with pytest.raises(ValueError, match="strokes"):
        draw.preprocess("a 7", spec)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_only_digit_images_get_a_pad_and_the_payload_carries_its_spec(name):
    data = load(DataConfig(name))
    want = draw.SPECS.get(tuple(data.image_shape or ())) if data.kind == "image" else None
    assert draw.spec_for(data) == want and latent_ui.drawable(data) == (want is not None)
    if name in ("digits", "mnist"):
        assert want is not None


def test_the_digits_payload_carries_the_encoder_and_the_spec():
    data = load(DataConfig("digits"))
    _, m, t = defaults_for("digits")
    run = Trainer(build(m, data, seed=0), data, t.__class__(epochs=2)).run()
    p = lm.latent_map_payload(run.model, data, la.latent_view(run.model, data))
    assert p["draw"] == draw.SPECS[(8, 8)]
    X = data.X_test[:50]
    np.testing.assert_allclose(lm.run_layers(p["encoder"], X, p["latent"]), encode(run.model, X), atol=1e-5)


def test_prompt_a_drawn_1_and_0_land_among_their_own_class_and_size_does_not_matter(default):
    """The Try this prompt: a tall 1, then a round 0, land nearer the mean code of their own class than of any
    other (and among their own class's nearest codes); the same 0, small in a corner, lands at the same code."""
    data, model, Z = default
    spec = draw.spec_for(data)
    codes = {}
    for digit, strokes in [(1, ONE), (0, ZERO)]:
        z = encode(model, draw.preprocess(strokes, spec).reshape(1, -1))[0]
        d = _class_distances(data, Z, z)
        nearest = data.y_train[np.argsort(np.linalg.norm(Z - z, axis=1))[:15]]
        print(f"{data.name}: drawn {digit} -> z {np.round(z, 2)}, class-mean distances {np.round(d, 2)}, "
              f"15 nearest codes' labels {np.bincount(nearest, minlength=10)}")
        assert d.argmin() == digit
        assert np.bincount(nearest, minlength=10).argmax() == digit
        codes[digit] = z
    small = encode(model, draw.preprocess(SMALL_ZERO, spec).reshape(1, -1))[0]
    np.testing.assert_allclose(small, codes[0], atol=1e-4 * np.abs(Z).max())
    assert np.linalg.norm(codes[1] - codes[0]) > 3 * np.linalg.norm(small - codes[0]) + 1e-6


def test_the_page_has_the_drawing_section_on_digits_and_not_on_tables():
    at = open_app_page("pages/latent.py", {"d_name": "digits", "t_epochs": "3"})
    assert not at.exception
    assert "Draw your own digit" in [h.value for h in at.subheader]
    text = " ".join(m.value for m in at.markdown)
    assert latent_ui.DRAW_INTRO in text and latent_ui.DRAW_PROMPT in text
    at = open_app_page("pages/latent.py", {"d_name": "gw", "t_epochs": "3"})
    assert not at.exception and "Draw your own digit" not in [h.value for h in at.subheader]
