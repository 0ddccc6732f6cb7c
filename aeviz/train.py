"""Training: a Trainer stepped a chunk of epochs at a time (so a page can draw between chunks), and fit()."""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from typing import Callable

import numpy as np
import torch

from .config import TrainConfig
from .datasets import Dataset
from .fastpath import CompiledEpoch, FlatAdam, flatten_parameters
from .models import Autoencoder
from .run import Run

# The Train page's speeds: epochs per second shown live (None: as fast as the machine trains)
SPEEDS: dict[str, float | None] = {"Slow": 3.0, "Normal": 10.0, "Fast": 30.0, "Max": None}
DEFAULT_SPEED = "Normal"  # the default 100 epochs take about 10 s to watch


@contextmanager
def _one_thread():
    """Run on one intra-op thread: for matrices this small, a second thread costs more in
    hand-offs than it saves, and on a shared server the cores go to concurrent sessions instead."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says why and what to change."""


MAX_SNAPSHOTS = 41  # a run keeps at most this many latent snapshots (thinned evenly as it goes)
SNAPSHOT_BYTES = 4_000_000  # ... and at most about this many bytes of them (fewer snapshots of wide codes)
EXPLODED = 1e4  # a training loss this many times the untrained model's counts as blown up

_CAUSES = {
    "nan": "the loss became NaN or infinite, so the weights blew up (each update overshot the minimum "
           "by more than it corrected)",
    "exploded": f"the loss grew to more than {EXPLODED:g} times its starting value: the updates overshoot "
                "instead of descending",
    "dead": "the gradient is exactly zero for every weight: the updates pushed every unit into a flat region "
            "(ReLUs that never fire, saturated sigmoids), so the network outputs a constant and can never recover",
}


def _divergence_message(epoch: int, cfg: TrainConfig, cause: str) -> str:
    hint = (
        f"The learning rate {cfg.lr:g} is far too high for Adam; try 1e-3 (at most 1e-2)."
        if cfg.lr > 0.05
        else "Lower the learning rate (e.g. divide it by 10), or use a smaller penalty weight."
    )
    return (
        f"Training stopped at epoch {epoch}: {_CAUSES[cause]}. {hint} "
        f"The model was rolled back to its state before that epoch (epoch {epoch - 1})."
    )


class Trainer:
    """Trains one model on one dataset with Adam, epoch by epoch, with a seeded shuffle.

    `history` holds one dict per epoch (epoch, train_<term>, test_<term>, seconds);
    `snapshots` holds (epoch, codes of every sample) every `cfg.snapshot_every` epochs;
    `error` holds the divergence message if the loss turned NaN or infinite, and `diverged` the
    record of the epoch that broke training (rolled back, kept for display only).
    """

    def __init__(self, model: Autoencoder, data: Dataset, cfg: TrainConfig):
        self.model = model
        self.data = data
        self.cfg = cfg
        self.generator = torch.Generator().manual_seed(cfg.seed)
        model.generator = self.generator
        self._flat, self._grad = flatten_parameters(model)
        # one Adam update over one flat buffer instead of a loop over every tensor
        self.optimizer = FlatAdam(self._flat.data, self._grad, cfg.lr)
        # a plain-MSE stack trains each epoch in one compiled call (same numbers, no Python between the ops)
        self._compiled = (CompiledEpoch.of([*model.encoder, *model.decoder], self.optimizer)
                          if model.can_backprop() and model.plain_input() else None)
        self._X_train = torch.from_numpy(data.X_train)  # (n_train, features)
        self._X_test = torch.from_numpy(data.X_test)  # (n_test, features)
        self._X_all = torch.from_numpy(data.X)  # (n, features)
        self.epoch = 0
        self.seconds = 0.0
        self.history: list[dict[str, float]] = []
        self._snapshot_every = max(1, cfg.snapshot_every)
        self.snapshots: list[tuple[int, np.ndarray]] = [(0, self._codes())]
        self.max_snapshots = int(min(MAX_SNAPSHOTS, max(6, SNAPSHOT_BYTES // max(1, self.snapshots[0][1].nbytes))))
        self.error: str | None = None
        self.diverged: dict[str, float] | None = None  # the rolled-back epoch's losses, for display
        model.eval()
        with torch.no_grad():
            self.initial_loss = float(model.loss(self._X_train)["total"])  # the untrained model's

    @property
    def done(self) -> bool:
        """True once every epoch has run or training diverged."""
        return self.error is not None or self.epoch >= self.cfg.epochs

    @property
    def terms(self) -> list[str]:
        """Names of the loss terms this model reports (total first)."""
        return [k[len("train_"):] for k in self.history[0] if k.startswith("train_")] if self.history else []

    def _codes(self) -> np.ndarray:
        self.model.eval()
        with torch.no_grad():
            return self.model.encode(self._X_all).numpy().copy()  # (n, latent)

    def _snapshot(self) -> None:
        """Keep the codes at this epoch; past MAX_SNAPSHOTS, drop every other one and snapshot half as
        often, so a run's memory is bounded whatever its epochs (the first and the latest always stay)."""
        if self.snapshots and self.snapshots[-1][0] == self.epoch:
            return
        self.snapshots.append((self.epoch, self._codes()))
        if len(self.snapshots) > self.max_snapshots:
            last = self.snapshots[-1]
            kept = self.snapshots[:-1:2]
            self.snapshots = kept + [last]
            self._snapshot_every *= 2

    def nbytes(self) -> int:
        """Bytes this run holds of its own (parameters, gradients, Adam's moments, snapshots); the
        dataset is shared with other runs and not counted."""
        # params, grad, m, v, denom, and the rollback's copy: of the params (the batch loop's), or the compiled
        # epoch's copies of params, m and v with its batch buffers
        flat = self._flat.numel() * self._flat.element_size()
        tensors = 5 * flat + (self._compiled.nbytes() if self._compiled is not None else flat)
        return tensors + sum(codes.nbytes for _, codes in self.snapshots) + 200 * len(self.history)

    def to_run(self, data_cfg=None, key=None) -> Run:
        """The frozen record of this run as it is now (see aeviz.run.Run.from_trainer)."""
        with _one_thread():
            return Run.from_trainer(self, data_cfg, key)

    def _epoch(self) -> dict[str, float]:
        model, opt, X = self.model, self.optimizer, self._X_train
        n, bs = X.shape[0], max(1, self.cfg.batch_size)
        perm = torch.randperm(n, generator=self.generator)
        sums: dict[str, torch.Tensor] = {}
        if self._compiled is not None:  # a plain stack: the same in train and eval mode, so no mode to switch
            total, test = self._compiled.run(X, perm, bs, self._X_test)
            return {"train_total": total / n, "train_recon": total / n, "test_total": test, "test_recon": test}
        model.train()
        manual = model.can_backprop()
        for start in range(0, n, bs):
            xb = torch.index_select(X, 0, perm[start:start + bs])  # (batch, features); a row copy, 4x faster than X[idx]
            if manual:
                terms = model.backprop(xb)  # writes the gradient itself
            else:
                terms = model.loss(xb)
                self._grad.zero_()
                terms["total"].backward()
            opt.step()
            with torch.no_grad():  # summed as tensors: one sync per epoch, not one per step
                for k, v in terms.items():
                    sums[k] = sums[k] + v.detach() * xb.shape[0] if k in sums else v.detach() * xb.shape[0]
        record = {f"train_{k}": float(v) / n for k, v in sums.items()}
        model.eval()
        with torch.no_grad():
            record.update({f"test_{k}": float(v) for k, v in model.loss(self._X_test).items()})
        return record

    def _failure(self, record: dict[str, float]) -> str | None:
        """Why the epoch just run broke training ("nan", "exploded", "dead"), or None."""
        # the sum is finite whenever every weight is (unless it overflows: then count exactly), in one fast pass
        # (the compiled epoch hands back the sum and the gradient's extremes it computed in the same call)
        checks = self._compiled.checks if self._compiled is not None else None
        with torch.no_grad():
            weight_sum = checks["weight_sum"] if checks else float(self._flat.sum())
            if not all(math.isfinite(v) for v in record.values()) or not (
                    math.isfinite(weight_sum) or bool(torch.isfinite(self._flat).all())):
                return "nan"
            if record["train_total"] > EXPLODED * max(self.initial_loss, 1e-12):
                return "exploded"
            grad_max, grad_min = ((checks["grad_max"], checks["grad_min"]) if checks
                                  else (float(self._grad.amax()), float(self._grad.amin())))
            if grad_max == 0 and grad_min == 0:  # 7x faster than .any() here
                return "dead"
        return None

    def step(self, epochs: int = 1) -> list[dict[str, float]]:
        """Run up to `epochs` more epochs (fewer at the end); returns their history records."""
        with _one_thread():
            return self._step(epochs)

    def _step(self, epochs: int) -> list[dict[str, float]]:
        new: list[dict[str, float]] = []
        for _ in range(epochs):
            if self.done:
                break
            # the compiled epoch keeps the state before it itself, in buffers allocated once
            state = None if self._compiled is not None else (self._flat.detach().clone(), self.optimizer.state())
            t0 = time.perf_counter()
            record = self._epoch()
            self.seconds += time.perf_counter() - t0
            cause = self._failure(record)
            if cause:
                if state is None:
                    self._compiled.restore()
                else:
                    with torch.no_grad():
                        self._flat.copy_(state[0])
                    self.optimizer.restore(state[1])
                self.error = _divergence_message(self.epoch + 1, self.cfg, cause)
                self.diverged = {"epoch": self.epoch + 1, **record}
                break
            self.epoch += 1
            record = {"epoch": self.epoch, **record, "seconds": self.seconds}
            self.history.append(record)
            new.append(record)
            if self.epoch % self._snapshot_every == 0 or self.epoch == self.cfg.epochs:
                self._snapshot()
        return new

    def step_for(self, seconds: float) -> list[dict[str, float]]:
        """Run whole epochs until about `seconds` have passed (at least one epoch)."""
        new: list[dict[str, float]] = []
        t0 = time.perf_counter()
        while not self.done:
            new += self.step(1)
            if time.perf_counter() - t0 >= seconds:
                break
        return new

    def run(self, callback: Callable[["Trainer"], None] | None = None, every: int = 1) -> "Trainer":
        """Train to the end, calling `callback(self)` every `every` epochs."""
        while not self.done:
            self.step(every)
            if callback is not None:
                callback(self)
        self.model.eval()
        return self

    def final(self, term: str = "recon") -> tuple[float, float]:
        """(train, test) value of a loss term for the model after the last completed epoch, both computed on
        the whole split in eval mode (a VAE decodes μ), so the same weights always give the same numbers.
        The history's train values are averages over each epoch's batches while the weights still moved."""
        if not self.history:
            return float("nan"), float("nan")
        last = self.history[-1]
        key = (self.epoch, len(self.history), term)
        if getattr(self, "_final", (None,))[0] != key:
            self.model.eval()
            with torch.no_grad():
                train = float(self.model.loss(self._X_train)[term])
            self._final = (key, train)
        return self._final[1], last[f"test_{term}"]


def fit(model: Autoencoder, data: Dataset, cfg: TrainConfig, callback=None) -> Trainer:
    """Train `model` on `data` to the end; raises TrainingDiverged if the loss blows up."""
    trainer = Trainer(model, data, cfg).run(callback)
    if trainer.error:
        raise TrainingDiverged(trainer.error)
    return trainer
