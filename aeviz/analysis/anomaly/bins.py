"""The threshold histogram's bins, so that a click on a bar can list the samples behind it.

The rule (the browser repeats it in aeviz/ui/components/js/maths.js, `binLayout` and `binOf`, and
tests/js/bins.test.mjs checks the two agree on fixtures this module writes): every error is placed on the
chart's axis, log10(max(e, FLOOR)) on a log axis or e itself; the axis runs from the smallest to the
largest placed value of every array drawn (normal, anomalous and uploaded errors), cut into `bins` equal
bins; a value's bin is floor((v - lo) / size), the last bin closed on the right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scenarios import Scenario

FLOOR = 1e-8  # errors below this are drawn at log10(FLOOR) on a log axis (figures/anomaly.py, js/maths.js)
MAX_LISTED = 200  # rows listed for one bin at most (a bin of a large upload can hold thousands)


@dataclass(frozen=True)
class Bins:
    """The histogram's axis: `n` bins of width `size` from `lo`, on a log10 axis when `log`."""

    lo: float
    size: float
    n: int
    log: bool

    def edges(self) -> np.ndarray:
        """The n + 1 bin edges on the chart's axis (log10 of the error on a log axis)."""
        return self.lo + self.size * np.arange(self.n + 1, dtype=np.float64)


def on_axis(errors: np.ndarray, log: bool) -> np.ndarray:
    """Errors (n,) as float64 positions on the chart's axis."""
    values = np.asarray(errors, dtype=np.float64).ravel()
    return np.log10(np.maximum(values, FLOOR)) if log else values


def bin_layout(*errors: np.ndarray, bins: int = 40, log: bool = True) -> Bins:
    """The bins the chart draws for these error arrays (all of them span the axis)."""
    if not 1 <= int(bins) <= 1000:
        raise ValueError(f"The histogram takes 1 to 1000 bins, not {bins}.")
    placed = [on_axis(e, log) for e in errors]
    placed = [p[np.isfinite(p)] for p in placed]
    every = np.concatenate(placed) if placed else np.zeros(0)
    lo, hi = (float(every.min()), float(every.max())) if len(every) else (0.0, 1.0)
    size = (hi - lo) / int(bins) if hi > lo else 1.0
    return Bins(lo=lo, size=size, n=int(bins), log=bool(log))


def bin_of(errors: np.ndarray, b: Bins) -> np.ndarray:
    """The bin (n,) int of each error: floor((v - lo) / size) held within 0 to n - 1."""
    k = np.floor((on_axis(errors, b.log) - b.lo) / b.size)
    return np.clip(np.nan_to_num(k, nan=0.0), 0, b.n - 1).astype(np.int64)


def counts(errors: np.ndarray, b: Bins) -> np.ndarray:
    """How many errors fall in each bin (n,): the bar heights."""
    return np.bincount(bin_of(errors, b), minlength=b.n)


def in_bin(scn: Scenario, b: Bins, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the scenario's normal and anomalous rows whose error is in bin `k`, largest error first."""
    def pick(errors: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(bin_of(errors, b) == k)
        return idx[np.argsort(-errors[idx], kind="stable")]

    return pick(scn.normal), pick(scn.anomalous)


def bin_range(b: Bins, k: int) -> tuple[float, float]:
    """The errors bin `k` spans, back on the error scale (lo, hi)."""
    lo, hi = b.lo + k * b.size, b.lo + (k + 1) * b.size
    return (10.0 ** lo, 10.0 ** hi) if b.log else (lo, hi)


def bin_rows(scn: Scenario, b: Bins, k: int, feature_names: tuple[str, ...] = (),
             limit: int = MAX_LISTED) -> list[dict]:
    """The rows in bin `k` as a table (one dict per row, anomalies first, largest error first): kind, error,
    and the row's values (named by `feature_names`, else x1, x2, ...); at most `limit` rows."""
    normal, anomalous = in_bin(scn, b, k)
    out = []
    for kind, idx, X, errors in (("anomaly", anomalous, scn.X_anomalous, scn.anomalous),
                                 ("normal", normal, scn.X_normal, scn.normal)):
        for i in idx:
            if len(out) >= limit:
                return out
            label = f"anomaly: {scn.kinds[i]}" if kind == "anomaly" else "normal (held out)"
            row = {"sample": f"{kind} {int(i) + 1}", "kind": label, "error": float(errors[i])}
            names = feature_names if len(feature_names) == X.shape[1] else [f"x{j + 1}" for j in range(X.shape[1])]
            row.update({str(n): float(v) for n, v in zip(names, X[i])})
            out.append(row)
    return out


def bin_images(scn: Scenario, b: Bins, k: int, shape: tuple[int, int], limit: int = 24,
               scale: int = 8) -> tuple[list[np.ndarray], list[str]]:
    """The images in bin `k` (anomalies first, largest error first; at most `limit`) as greyscale uint8 arrays
    (h*scale, w*scale), each pixel a scale×scale block, and a caption for each (its kind and error)."""
    normal, anomalous = in_bin(scn, b, k)
    images, captions = [], []
    for idx, X, errors, kind in ((anomalous, scn.X_anomalous, scn.anomalous, None),
                                 (normal, scn.X_normal, scn.normal, "normal")):
        for i in idx[:max(0, limit - len(images))]:
            img = np.clip(X[i].reshape(shape), 0.0, 1.0)  # (h, w)
            images.append(np.kron(np.round(img * 255), np.ones((scale, scale))).astype(np.uint8))
            captions.append(f"{kind or scn.kinds[i]} · {errors[i]:.3g}")
    return images, captions
