"""What the in-browser latent map needs about one trained model, as one JSON-ready dict.

The browser decodes every pointer position itself (aeviz/ui/components/js/latent_map.js), so it is sent,
once per run: the hole rule's reference codes (the codes the decoder was trained on: a plain autoencoder's
codes, a VAE's seeded z = μ + σ·ε; exact float32) with their per-unit mean and standard deviation, so the
browser measures distances in the same standardised units as `aeviz.analysis.latent.hole_test`; for a
VAE also the mean codes μ the map draws (quantised to 16 bits per unit over their range, display only);
their labels; the plane the map shows (z = mean + a·u₁ + b·u₂ for latent > 2, hole distances in the full
latent space); the decoder's and the encoder's layers (weights and biases as exact float32; a layer of
`QUANT_MIN` weights or more as 16-bit steps per row, within 1e-3 of torch at the output, checked by the tests);
the rule's default radius and the slider's end (`LatentView.radius`, `LatentView.radius_max`); what a decoded
output looks like for the dataset (an image, a feature profile with the training samples to compare against,
or a point over the data cloud); and for images how a drawing is turned into an input (aeviz.analysis.draw).
Arrays travel as base64 of little-endian typed arrays: a fraction of the size of JSON numbers, and exact for
the hole test. The whole stays under `PAYLOAD_BUDGET`: on 784-pixel images only as many training images as fit
are sent (a set spread over the map, `pictured_rows`), and the panel shows the nearest of those.
"""

from __future__ import annotations

import base64
import json

import numpy as np
from torch import nn

from ..activations import of_module
from ..datasets import Dataset
from ..models import Autoencoder
from . import draw
from .latent import LatentView

VERSION = 3
IMAGE_LEVELS = 15  # nearest-sample images travel as 4-bit grey levels (display only)
PAYLOAD_BUDGET = 600_000  # bytes of JSON per run; the sample images get what the rest leaves
QUANT_MIN = 16_384  # a layer with this many weights or more travels as 16-bit steps per row (half of float32)
QUANT_STEPS = 32_767  # w = q · s, q an int16 in [−32767, 32767], s = max |w| of the row / 32767
SPREAD_CELLS = 20  # the pictured images: first one per occupied cell of a 20 × 20 grid over the map


def b64(a: np.ndarray, dtype: str) -> str:
    """An array's values as base64 of a little-endian typed array (`dtype` e.g. "<f4", "<u2", "u1")."""
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.dtype(dtype)).tobytes()).decode("ascii")


def unb64(s: str, dtype: str) -> np.ndarray:
    """The inverse of `b64`: a flat array of `dtype`."""
    return np.frombuffer(base64.b64decode(s), dtype=np.dtype(dtype))


def quantise_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights (out, in) as int16 steps q and a float32 step s per row, w ≈ q · s (error ≤ s / 2)."""
    w = np.asarray(w, dtype=np.float32)
    s = (np.abs(w).max(axis=1) / QUANT_STEPS).astype(np.float32)  # (out,)
    s = np.where(s > 0, s, np.float32(1))
    q = np.clip(np.rint(w / s[:, None]), -QUANT_STEPS, QUANT_STEPS).astype(np.int16)  # (out, in)
    return q, s


def layer_weights(layer: dict) -> np.ndarray:
    """A payload layer's weights (out, in) as float32, as the browser reads them (exact or q · s)."""
    if "w" in layer:
        return unb64(layer["w"], "<f4").reshape(layer["out"], layer["in"])
    q = unb64(layer["q"], "<i2").reshape(layer["out"], layer["in"]).astype(np.float32)
    return q * unb64(layer["s"], "<f4")[:, None]


def dense_layers(modules: nn.Sequential, what: str = "decoder") -> list[dict]:
    """Linear/activation modules as a list of dense layers: {"in", "out", "w" (out·in float32, row-major) or
    "q" and "s" (16-bit steps per row, for layers of QUANT_MIN weights or more), "b", "act", and the
    activation's parameter if any}. Raises ValueError on a module the browser cannot run."""
    layers: list[dict] = []
    for m in modules:
        if isinstance(m, nn.Linear):
            w = m.weight.detach().cpu().numpy()  # (out, in)
            layer = {"in": int(w.shape[1]), "out": int(w.shape[0])}
            if w.size >= QUANT_MIN:
                q, s = quantise_rows(w)
                layer |= {"q": b64(q, "<i2"), "s": b64(s, "<f4")}
            else:
                layer["w"] = b64(w, "<f4")
            layers.append(layer | {"b": b64(m.bias.detach().cpu().numpy(), "<f4"), "act": None})
            continue
        act = of_module(m)
        if act is None or not layers or layers[-1]["act"] is not None:
            raise ValueError(f"The browser {what} cannot run a {type(m).__name__} here.")
        layers[-1]["act"] = act.name
        if act.param is not None:
            layers[-1]["p"] = act.param_of(m)
    return layers


def decoder_layers(model: Autoencoder) -> list[dict]:
    """The decoder as dense layers (see `dense_layers`)."""
    return dense_layers(model.decoder, "decoder")


def encoder_layers(model: Autoencoder) -> list[dict]:
    """The encoder as dense layers (see `dense_layers`); its first `latent` outputs are the code (μ for a VAE)."""
    return dense_layers(model.encoder, "encoder")


def run_layers(layers: list[dict], X: np.ndarray, keep: int | None = None) -> np.ndarray:
    """What the browser computes from payload layers: X (n, in) through them in float32 (n, out or keep)."""
    acts = {"relu": lambda x: np.maximum(x, 0), "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
            "elu": lambda x, p=1.0: np.where(x > 0, x, p * np.expm1(np.minimum(x, 0))),
            "leaky_relu": lambda x, p=0.01: np.where(x > 0, x, p * x)}
    h = np.asarray(X, dtype=np.float64)
    for layer in layers:
        h = h @ layer_weights(layer).astype(np.float64).T + unb64(layer["b"], "<f4")
        if layer["act"]:
            f = acts[layer["act"]]
            h = f(h, layer["p"]) if "p" in layer else f(h)
    return h if keep is None else h[:, :keep]


def quantise(X: np.ndarray) -> dict:
    """Columns of X (n, d) as 16-bit steps over each column's range: {"lo", "hi", "q" (base64 uint16, row-major)}.
    The error is at most (hi − lo) / 131070 per value."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    q = np.rint((X - lo) / span * 65535)
    return {"lo": lo.tolist(), "hi": hi.tolist(), "q": b64(q, "<u2")}


def dequantise(d: dict, n: int) -> np.ndarray:
    """The inverse of `quantise` (n, d) as float64, what the browser computes."""
    lo, hi = np.asarray(d["lo"]), np.asarray(d["hi"])
    q = unb64(d["q"], "<u2").reshape(n, len(lo)).astype(np.float64)
    return lo + q / 65535 * np.where(hi > lo, hi - lo, 1.0)


def _pack_nibbles(values: np.ndarray) -> str:
    """Integers in [0, 15] (n,) packed two per byte (the first in the low nibble), base64."""
    v = np.asarray(values, dtype=np.uint8).ravel()
    if v.size % 2:
        v = np.append(v, 0)
    return b64(v[0::2] | (v[1::2] << 4), "u1")


def unpack_nibbles(s: str, n: int) -> np.ndarray:
    """The inverse of `_pack_nibbles`: the first n integers."""
    raw = unb64(s, "u1")
    return np.stack([raw & 15, raw >> 4], axis=1).ravel()[:n]


def pictured_rows(coords: np.ndarray, m: int, seed: int = 0) -> np.ndarray:
    """m training rows (sorted) spread over the map: one per occupied cell of a SPREAD_CELLS² grid over the
    codes' plane coordinates (n, 2), the one nearest the cell's centre, then seeded random others; all if m ≥ n."""
    n = len(coords)
    if m >= n:
        return np.arange(n)
    lo, hi = coords.min(0), coords.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cell = np.minimum((coords - lo) / span * SPREAD_CELLS, SPREAD_CELLS - 1e-9)  # (n, 2) in cell units
    ij = np.floor(cell).astype(int)
    key = ij[:, 0] * SPREAD_CELLS + ij[:, 1]
    off = ((cell - ij - 0.5) ** 2).sum(1)
    order = np.lexsort((off, key))  # by cell, nearest the centre first
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    rng = np.random.default_rng(seed)
    rest = rng.permutation(np.setdiff1d(np.arange(n), first))
    chosen = np.r_[rng.permutation(first), rest][:m]
    return np.sort(chosen)


def _image_bytes(features: int) -> int:
    """JSON bytes one nibble-packed image adds (base64 of ceil(features / 2) bytes) and its row number."""
    return 4 * ((features + 1) // 2) / 3 + 6


def _samples(data: Dataset, rows: np.ndarray | None = None) -> dict:
    """What a decoded output is drawn as, and the training samples to compare it with (for images, the
    training rows `rows` only, when given)."""
    X = data.X_train  # (n_train, features)
    if data.kind == "image":
        pick = X if rows is None else X[rows]
        levels = np.rint(np.clip(pick, 0, 1) * IMAGE_LEVELS).astype(np.uint8)
        return {"kind": "image", "shape": list(data.image_shape), "levels": IMAGE_LEVELS,
                "x": _pack_nibbles(levels), "rows": None if rows is None else b64(rows, "<u4"),
                "m": len(pick)}
    out = {"kind": data.kind, "names": list(data.feature_names), "x": b64(X, "<f4"),
           "lo": X.min(axis=0).tolist(), "hi": X.max(axis=0).tolist()}
    if data.kind == "points":
        out["view"] = [0, 2] if X.shape[1] >= 3 else [0, 1]  # the swiss roll's spiral lies in x–z
    return out


def latent_map_payload(model: Autoencoder, data: Dataset, view: LatentView, *, run_id: str = "",
                       axis_titles: tuple[str, str] = ("z₁", "z₂"), colours: tuple[str, ...] = ("#1f77b4",)
                       ) -> dict:
    """Everything the browser's latent map needs for one trained model (JSON-serialisable; see the module)."""
    n, latent = view.codes.shape
    labels = data.y_train.astype(np.uint8)
    index = view.index
    same = index.codes.shape == view.codes.shape and np.array_equal(index.codes, view.codes)
    payload = {
        "v": VERSION,
        "run": run_id,
        "n": int(n),
        "latent": int(latent),
        # the hole rule's reference, exact: distances are ‖(z − center) / scale − (ref − center) / scale‖
        "ref": {"x": b64(index.codes, "<f4"), "center": index.center.astype(float).tolist(),
                "scale": index.scale.astype(float).tolist()},
        # the codes the map draws, when they are not the reference (a VAE's μ); else null: the reference
        "codes": None if same else quantise(view.codes),
        "plane": {"mean": view.plane.mean.astype(float).tolist(), "axes": view.plane.axes.astype(float).tolist()},
        "box": [float(view.lo[0]), float(view.lo[1]), float(view.hi[0]), float(view.hi[1])],
        "axis_titles": list(axis_titles),
        "labels": _pack_nibbles(labels) if labels.max(initial=0) < 16 else b64(labels, "u1"),
        "labels_packed": bool(labels.max(initial=0) < 16),
        "label_names": [str(s) for s in data.label_names],
        "colours": [colours[k % len(colours)] for k in range(len(data.label_names))],
        # the training rows' sample numbers, as a bitmask over the whole dataset (train_idx is sorted)
        "train_mask": b64(np.packbits(np.isin(np.arange(len(data.X)), data.train_idx), bitorder="little"), "u1"),
        "radius": float(view.radius),
        "radius_max": float(max(view.radius_max, view.radius)),
        "decoder": decoder_layers(model),
        "encoder": encoder_layers(model),
        "draw": draw.spec_for(data),
        "samples": None,
    }
    if latent == 1:  # the strip's vertical spread, display only
        payload["jitter"] = b64(np.rint((view.coords[:, 1] + 1) * 127.5), "u1")
    rows = None
    if data.kind == "image":  # as many images as the budget leaves room for, spread over the map
        room = PAYLOAD_BUDGET - payload_size(payload) - 2_000
        m = max(0, int(room // _image_bytes(data.n_features)))
        rows = None if m >= n else pictured_rows(view.coords, m)
    payload["samples"] = _samples(data, rows)
    return payload


def payload_parts(payload: dict) -> dict[str, int]:
    """Bytes of each top-level part of the payload (its JSON), largest first: what the budget is spent on."""
    parts = {k: payload_size({k: v}) - payload_size({k: None}) + 4 for k, v in payload.items()}
    return dict(sorted(parts.items(), key=lambda kv: -kv[1]))


def drawn_codes(payload: dict) -> np.ndarray:
    """The codes the map draws (n, latent) as the browser reads them: the reference, or the quantised μ."""
    n, latent = payload["n"], payload["latent"]
    if payload["codes"] is None:
        return unb64(payload["ref"]["x"], "<f4").reshape(n, latent).astype(np.float64)
    return dequantise(payload["codes"], n)


def payload_size(payload: dict) -> int:
    """Bytes of the payload as the JSON Streamlit sends."""
    return len(json.dumps(payload).encode("utf-8"))
