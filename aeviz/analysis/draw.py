"""A drawn digit as a model input, made the way the dataset's images were made: the same steps as the browser's
aeviz/ui/components/js/digit_prep.js (a test runs both on the same strokes).

MNIST: each digit was scaled to fit a 20 × 20 box keeping its aspect, then placed in 28 × 28 with its centre of
mass at the centre. scikit-learn's 8 × 8 digits: a 32 × 32 bitmap counted in 4 × 4 blocks (0..16, scaled here to
[0, 1]), the digit's height filling the frame. A drawing is a list of strokes (each a list of (x, y) points, y
down, any unit); its pen is drawn at a fixed width in output pixels, so a small and a large drawing give the
same image. Each output pixel is the mean, over `sub` × `sub` points inside it, of the pen's coverage there
(1 within width / 2 of the stroke, 0 beyond, a linear ramp `soft` pixels wide between).
"""

from __future__ import annotations

import numpy as np

from ..datasets import Dataset

# how a drawing becomes an input, by image shape; the payload carries the spec to the browser
SPECS: dict[tuple[int, int], dict] = {
    (28, 28): {"size": 28, "box": 20.0, "width": 3.0, "soft": 1.0, "sub": 4, "centre": "mass"},
    (8, 8): {"size": 8, "box": 8.0, "width": 2.4, "soft": 0.5, "sub": 4, "centre": "box"},
}
MAX_STROKES = 64  # a drawing longer than this is refused (the browser starts again)
MAX_POINTS = 4_000


def spec_for(data: Dataset) -> dict | None:
    """The drawing spec of an image dataset of a registered shape (None for anything else)."""
    if data.kind != "image":
        return None
    spec = SPECS.get(tuple(data.image_shape))
    return None if spec is None else dict(spec)


def check_strokes(strokes) -> list[np.ndarray]:
    """The strokes as float64 arrays (k, 2); ValueError saying what to change when they are not a bounded
    list of finite points."""
    if not isinstance(strokes, (list, tuple)) or len(strokes) > MAX_STROKES:
        raise ValueError(f"A drawing is a list of at most {MAX_STROKES} strokes: press Clear and draw again.")
    out = []
    for s in strokes:
        if isinstance(s, (list, tuple)) and not len(s):
            continue  # an empty stroke adds nothing
        a = np.asarray(s, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != 2 or not len(a) or not np.isfinite(a).all():
            raise ValueError("Each stroke is a list of (x, y) points with finite numbers.")
        out.append(a)
    if sum(len(a) for a in out) > MAX_POINTS:
        raise ValueError(f"A drawing has at most {MAX_POINTS} points: press Clear and draw again.")
    return out


def _render(strokes: list[np.ndarray], spec: dict) -> np.ndarray:
    """The strokes (already in output pixel units) as a size × size image of mean pen coverage."""
    size, sub, half, soft = spec["size"], spec["sub"], spec["width"] / 2, spec["soft"]
    n = size * sub
    c = (np.arange(n) + 0.5) / sub  # subsample centres
    x, y = np.meshgrid(c, c)  # (n, n): x along a row, y down
    dist = np.full((n, n), np.inf)
    for s in strokes:
        segs = zip(s[:-1], s[1:]) if len(s) > 1 else [(s[0], s[0])]
        for (pu, pv), (qu, qv) in segs:
            dx, dy = qu - pu, qv - pv
            l2 = dx * dx + dy * dy
            t = np.clip(((x - pu) * dx + (y - pv) * dy) / l2, 0, 1) if l2 > 0 else 0.0
            ex, ey = x - pu - t * dx, y - pv - t * dy
            np.minimum(dist, np.sqrt(ex * ex + ey * ey), out=dist)
    cov = np.clip((half - dist) / soft + 0.5, 0, 1)
    return cov.reshape(size, sub, size, sub).mean(axis=(1, 3))


def preprocess(strokes, spec: dict) -> np.ndarray | None:
    """A drawing (see the module) as the dataset's image (size, size) in [0, 1]; None for an empty drawing."""
    strokes = check_strokes(strokes)
    if not strokes:
        return None
    pts = np.concatenate(strokes)
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    span = max(x1 - x0, y1 - y0)
    scale = (spec["box"] - spec["width"]) / span if span > 0 else 1.0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    mid = spec["size"] / 2

    def place(ox: float, oy: float) -> np.ndarray:
        return _render([np.stack([(s[:, 0] - cx) * scale + ox, (s[:, 1] - cy) * scale + oy], 1) for s in strokes],
                       spec)

    img = place(mid, mid)  # the ink's box centred
    total = img.sum()
    if spec["centre"] == "mass" and total > 0:  # then moved so that its centre of mass is the centre
        centres = np.arange(spec["size"]) + 0.5
        mu = (img.sum(0) * centres).sum() / total
        mv = (img.sum(1) * centres).sum() / total
        img = place(mid + (mid - mu), mid + (mid - mv))
    return img
