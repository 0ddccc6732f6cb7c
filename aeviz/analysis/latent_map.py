"""What the in-browser latent map needs about one trained model, as one JSON-ready dict.

The browser decodes every pointer position itself (aeviz/ui/components/js/latent_map.js), so it is sent,
once per run: the hole rule's reference codes (the codes the decoder was trained on: a plain autoencoder's
codes, a VAE's seeded z = μ + σ·ε; exact float32) with their per-unit mean and standard deviation, so the
browser measures distances in the same standardised units as `aeviz.analysis.latent.hole_test`; for a
VAE also the mean codes μ the map draws (quantised to 16 bits per unit over their range, display only);
their labels; the plane the map shows (z = mean + a·u₁ + b·u₂ for latent > 2, hole distances in the full
latent space); the decoder's layers (weights and biases as exact float32, activation names); the rule's
default radius and the slider's end (`LatentView.radius`, `LatentView.radius_max`); and what a decoded
output looks like for the dataset (an image, a feature profile with the training samples to compare
against, or a point over the data cloud). Arrays travel as base64 of little-endian typed arrays: a
fraction of the size of JSON numbers, and exact for the decoder and the hole test.
"""

from __future__ import annotations

import base64
import json

import numpy as np
from torch import nn

from ..activations import of_module
from ..datasets import Dataset
from ..models import Autoencoder
from .latent import LatentView

VERSION = 2
IMAGE_LEVELS = 15  # nearest-sample images travel as 4-bit grey levels (display only)


def b64(a: np.ndarray, dtype: str) -> str:
    """An array's values as base64 of a little-endian typed array (`dtype` e.g. "<f4", "<u2", "u1")."""
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.dtype(dtype)).tobytes()).decode("ascii")


def unb64(s: str, dtype: str) -> np.ndarray:
    """The inverse of `b64`: a flat array of `dtype`."""
    return np.frombuffer(base64.b64decode(s), dtype=np.dtype(dtype))


def decoder_layers(model: Autoencoder) -> list[dict]:
    """The decoder as a list of dense layers: {"in", "out", "w" (out·in float32, row-major), "b", "act",
    and the activation's parameter if any}. Raises ValueError on a module the browser cannot run."""
    layers: list[dict] = []
    for m in model.decoder:
        if isinstance(m, nn.Linear):
            w = m.weight.detach().cpu().numpy()  # (out, in)
            layers.append({"in": int(w.shape[1]), "out": int(w.shape[0]), "w": b64(w, "<f4"),
                           "b": b64(m.bias.detach().cpu().numpy(), "<f4"), "act": None})
            continue
        act = of_module(m)
        if act is None or not layers or layers[-1]["act"] is not None:
            raise ValueError(f"The browser decoder cannot run a {type(m).__name__} here.")
        layers[-1]["act"] = act.name
        if act.param is not None:
            layers[-1]["p"] = act.param_of(m)
    return layers


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


def _samples(data: Dataset) -> dict:
    """What a decoded output is drawn as, and the training samples to compare it with."""
    X = data.X_train  # (n_train, features)
    if data.kind == "image":
        levels = np.rint(np.clip(X, 0, 1) * IMAGE_LEVELS).astype(np.uint8)
        return {"kind": "image", "shape": list(data.image_shape), "levels": IMAGE_LEVELS,
                "x": _pack_nibbles(levels)}
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
        "samples": _samples(data),
    }
    if latent == 1:  # the strip's vertical spread, display only
        payload["jitter"] = b64(np.rint((view.coords[:, 1] + 1) * 127.5), "u1")
    return payload


def drawn_codes(payload: dict) -> np.ndarray:
    """The codes the map draws (n, latent) as the browser reads them: the reference, or the quantised μ."""
    n, latent = payload["n"], payload["latent"]
    if payload["codes"] is None:
        return unb64(payload["ref"]["x"], "<f4").reshape(n, latent).astype(np.float64)
    return dequantise(payload["codes"], n)


def payload_size(payload: dict) -> int:
    """Bytes of the payload as the JSON Streamlit sends."""
    return len(json.dumps(payload).encode("utf-8"))
