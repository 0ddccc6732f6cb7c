"""Saving and loading what a run produced: weights as a PyTorch state dict, codes and history as CSV.

Weights go out with `torch.save(model.state_dict())` and come back with `torch.load(...,
weights_only=True)` only, so a file can hold tensors but never code. A loaded file is checked
against the configured model (every key, every shape, finite values of a trained model's size)
before it touches a model, and every way it can be wrong ends in a ValueError whose message a
student can act on.

A .pt file is a zip archive, and `torch.load` inflates every entry before it looks at a shape: a
few megabytes of deflated zeros would unpack to gigabytes. So the archive's directory is read first
(`zipfile`, which inflates nothing) and a file whose entries claim more bytes, or more entries, than
the model it must fit could need is refused before `torch.load` runs.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch

from .config import DataConfig, ModelConfig, TrainConfig
from .datasets import Dataset
from .models import Autoencoder, build
from .run import Run, content_id, loss_terms

NOT_WEIGHTS = "Not an aeviz weights file"
# The bytes a file may unpack to beyond its tensors' values: data.pkl (about 100 bytes per tensor),
# version, byteorder and the other small records torch.save writes (under 100 bytes each).
METADATA_ALLOWANCE = 64 * 1024
# Records beyond one per tensor: data.pkl, version, byteorder, .format_version, .storage_alignment,
# .data/serialization_id (torch 2.x), with room for a few more in later releases.
EXTRA_ENTRIES = 16
# Without a model to compare with: the largest model the settings allow (six hidden layers of 1024,
# 64 inputs, latent 64: about 11 million parameters) at 8 bytes per value, rounded up.
ANY_MODEL_BYTES = 128 * 1024 * 1024
ANY_MODEL_ENTRIES = 64
# The largest |weight| accepted. Trained aeviz models sit far below it: their inputs are pixels in
# [0, 1] or features standardised to unit variance, and across datasets, variants, batch sizes and
# learning rates up to 10 the largest weight of a run that did not diverge was under 50. Values near
# float32's limit (3.4e38) would overflow in the first layer and break every figure.
MAX_ABS_WEIGHT = 1e4


def weights_to_bytes(model: torch.nn.Module) -> bytes:
    """The model's state dict, saved with torch.save, as bytes (the model is not changed)."""
    # clone: the trainer keeps every parameter as a view into one flat buffer; save each tensor on its own
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def weights_budget(model: torch.nn.Module | None) -> tuple[int, int]:
    """(bytes, entries) a saved state dict of `model` may unpack to: its values at 8 bytes each (the
    widest floating-point type) plus the pickle and metadata records; generous caps without a model."""
    if model is None:
        return ANY_MODEL_BYTES, ANY_MODEL_ENTRIES
    state = model.state_dict()
    return 8 * sum(v.numel() for v in state.values()) + METADATA_ALLOWANCE, len(state) + EXTRA_ENTRIES


def _check_archive(data: bytes, model: torch.nn.Module | None) -> None:
    """Refuse, from the zip directory alone (nothing inflated), a file that is not a zip archive or
    whose entries claim more bytes or entries than a state dict of `model` needs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ValueError(f"{NOT_WEIGHTS}: it is not the zip archive torch.save writes. Upload the .pt from "
                         "'Download weights', or save it with torch.save(model.state_dict(), path).") from None
    max_bytes, max_entries = weights_budget(model)
    if len(entries) > max_entries:
        raise ValueError(f"{NOT_WEIGHTS}: it holds {len(entries):,} entries, but weights for these settings hold "
                         f"at most {max_entries}. Upload the .pt from 'Download weights'.")
    claimed = sum(e.file_size for e in entries)
    if claimed > max_bytes:
        raise ValueError(f"{NOT_WEIGHTS}: it would unpack to {_size(claimed)}, but weights for these settings "
                         f"need at most {_size(max_bytes)}; it was refused unread. Choose the settings the file "
                         "was saved with, or upload the .pt from 'Download weights'.")


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1_000_000 else f"{n / 1e3:,.1f} kB"


def weights_from_bytes(data: bytes, model: torch.nn.Module | None = None) -> dict[str, torch.Tensor]:
    """Load a state dict from bytes with weights_only=True; ValueError if it is not one, or if it would
    unpack to more than a state dict of `model` (the model it must fit) needs."""
    if not data:
        raise ValueError(f"{NOT_WEIGHTS}: it is empty.")
    _check_archive(data, model)
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # pickle, zip and torch errors alike: a file we cannot read as weights
        raise ValueError(f"{NOT_WEIGHTS}: it cannot be read as a PyTorch state dict (the .pt from 'Download "
                         "weights'). Files holding Python objects besides tensors are refused, for safety.") from None
    if not isinstance(state, Mapping) or not state:
        raise ValueError(f"{NOT_WEIGHTS}: it holds {_kind(state)}, not named tensors.")
    bad = [str(k) for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f"{NOT_WEIGHTS}: entries such as {', '.join(bad[:3])} are not named tensors.")
    return dict(state)


def _kind(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return "an empty mapping"
    return f"a {type(obj).__name__}"


def _encoder_chain(shapes: Mapping[str, tuple[int, ...]]) -> str:
    """'64→32→16→2' read off the encoder's weight shapes (out, in), or '' if they do not look like one."""
    layers = sorted((int(k.split(".")[1]), s) for k, s in shapes.items()
                    if k.startswith("encoder.") and k.endswith(".weight") and len(s) == 2
                    and k.split(".")[1].isdigit())
    if not layers:
        return ""
    return "→".join(str(w) for w in [layers[0][1][1], *(s[0] for _, s in layers)])


def check_weights(state: Mapping[str, torch.Tensor], model: torch.nn.Module) -> None:
    """Raise ValueError unless `state` has exactly the model's keys, shapes and finite float values."""
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    hint = " Choose the settings the file was saved with (dataset, variant, hidden widths, latent size), then upload it again."
    if got.keys() != want.keys():
        missing, extra = sorted(want.keys() - got.keys()), sorted(got.keys() - want.keys())
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:4])}{' …' if len(extra) > 4 else ''}")
        theirs = _encoder_chain(got)
        raise ValueError("These weights belong to a different architecture than the current settings "
                         f"({'; '.join(parts)})." + (f" The file's encoder is {theirs}, the settings' is "
                                                     f"{_encoder_chain(want)}." if theirs else "") + hint)
    wrong = [k for k in want if got[k] != want[k]]
    if wrong:
        k = wrong[0]
        raise ValueError(f"These weights do not fit the current settings: {k} has shape {list(got[k])} in the file "
                         f"but the model needs {list(want[k])} ({len(wrong)} of {len(want)} tensors differ; the "
                         f"file's encoder is {_encoder_chain(got)}, the settings' is {_encoder_chain(want)})." + hint)
    for k, v in state.items():
        if not v.is_floating_point():
            raise ValueError(f"These weights are not usable: {k} holds {v.dtype} values, not floating-point numbers.")
        if not torch.isfinite(v).all():
            raise ValueError(f"These weights are not usable: {k} contains NaN or infinite values "
                             "(were they saved from a run that diverged?).")
        largest = float(v.abs().max()) if v.numel() else 0.0
        if largest > MAX_ABS_WEIGHT:
            raise ValueError(f"These weights are not from a trained aeviz model: {k} holds a value of size "
                             f"{largest:.3g}, while trained models keep every weight below {MAX_ABS_WEIGHT:g}. "
                             "Upload the .pt from 'Download weights'.")


def load_weights(model: Autoencoder, data: bytes) -> Autoencoder:
    """Read, check and copy saved weights into `model` (a fresh one; returned for chaining)."""
    state = weights_from_bytes(data, model)
    check_weights(state, model)
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    model.eval()
    return model


def restored_run(data: bytes, dataset: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 data_cfg: DataConfig | None = None) -> Run:
    """The run of uploaded weights: finished at its last epoch, one history record evaluating them, one
    snapshot of its codes, and an id that hashes the file's weights with the settings.

    Raises ValueError if the settings cannot be built or the file does not fit them.
    """
    model = load_weights(build(model_cfg, dataset, seed=train_cfg.seed), data)
    train, test = loss_terms(model, dataset.X_train), loss_terms(model, dataset.X_test)
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(dataset.X)).numpy().copy()  # (n, latent)
    if not (np.isfinite(codes).all() and all(np.isfinite(v) for v in [*train.values(), *test.values()])):
        raise ValueError("These weights are not usable with this dataset: its samples' codes or losses come out "
                         "NaN or infinite (the numbers overflow). Upload the .pt from 'Download weights'.")
    history = ({"epoch": train_cfg.epochs, **{f"train_{k}": v for k, v in train.items()},
                **{f"test_{k}": v for k, v in test.items()}, "seconds": 0.0},)
    return Run(data_cfg, model_cfg, train_cfg, dataset, model, history, ((train_cfg.epochs, codes),),
               id=content_id((data_cfg, model_cfg, train_cfg), model, history), train_loss=train,
               initial_loss=train["total"])


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, float_format="%.9g").encode("utf-8")


def codes_csv(codes: np.ndarray, dataset: Dataset) -> bytes:
    """CSV of every sample's code: z1..zk, the label (number and name) and its split (train/test)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[0] != len(dataset.y):
        raise ValueError(f"Expected one code per sample ({len(dataset.y)} rows), got an array of shape {codes.shape}.")
    frame = pd.DataFrame(codes, columns=[f"z{i + 1}" for i in range(codes.shape[1])])
    y = np.asarray(dataset.y)
    names = dataset.label_names
    frame["label"] = y
    frame["label_name"] = [names[i] if 0 <= i < len(names) else str(i) for i in y]
    split = np.full(len(y), "train", dtype=object)
    split[dataset.test_idx] = "test"
    frame["split"] = split
    return _csv(frame)


def history_csv(history: list[Mapping[str, float]]) -> bytes:
    """CSV of the loss history: one row per epoch, one column per record field (epoch first)."""
    if not history:
        return b"epoch\n"
    columns = list(history[0])
    return _csv(pd.DataFrame([dict(r) for r in history], columns=columns))
