"""Benchmark: aeviz's Trainer against the plain PyTorch reference loop, same machine, same command.

The reference is the loop a tutorial would write: a DataLoader over a shuffled TensorDataset,
batch 128, nn.MSELoss, torch.optim.Adam(lr=1e-3), the test loss evaluated every epoch. Both train
the default digits model (64-32-16-2-16-32-64, ReLU, sigmoid output) for 100 epochs from the same
initial weights. Runs alternate (reference, ours, reference, ours, ...) so drift on a shared
machine hits both; the medians and their ratio are printed.

    python bench/train_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load  # noqa: E402


def reference(data, model_cfg: ModelConfig, cfg: TrainConfig) -> tuple[float, float]:
    """The plain loop: seconds for the whole training, final test MSE."""
    torch.manual_seed(cfg.seed)
    model = build(model_cfg, data, seed=cfg.seed)
    loader = DataLoader(TensorDataset(torch.from_numpy(data.X_train)), batch_size=cfg.batch_size, shuffle=True)
    X_test = torch.from_numpy(data.X_test)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = nn.MSELoss()
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        model.train()
        for (xb,) in loader:
            opt.zero_grad()
            loss_fn(model(xb), xb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            test = loss_fn(model(X_test), X_test).item()
    return time.perf_counter() - t0, test


def ours(data, model_cfg: ModelConfig, cfg: TrainConfig) -> tuple[float, float]:
    """aeviz's Trainer (which also records history and latent snapshots): seconds, final test MSE."""
    model = build(model_cfg, data, seed=cfg.seed)
    t0 = time.perf_counter()
    tr = Trainer(model, data, cfg).run()
    return time.perf_counter() - t0, tr.final("recon")[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    data, model_cfg, cfg = load(DataConfig()), ModelConfig(), TrainConfig()
    ours(data, model_cfg, TrainConfig(epochs=2))  # warm both paths up (first-call overheads)
    reference(data, model_cfg, TrainConfig(epochs=2))
    ref_t, our_t, ref_mse, our_mse = [], [], [], []
    for i in range(args.runs):
        t, m = reference(data, model_cfg, cfg)
        ref_t.append(t)
        ref_mse.append(m)
        t, m = ours(data, model_cfg, cfg)
        our_t.append(t)
        our_mse.append(m)
        print(f"run {i + 1}: reference {ref_t[-1]:.3f} s (test MSE {ref_mse[-1]:.4f}) | "
              f"aeviz {our_t[-1]:.3f} s (test MSE {our_mse[-1]:.4f}) | ratio {ref_t[-1] / our_t[-1]:.2f}x")
    r, o = statistics.median(ref_t), statistics.median(our_t)
    rm, om = statistics.median(ref_mse), statistics.median(our_mse)
    print(f"\nmedian of {args.runs}: reference {r:.3f} s, aeviz {o:.3f} s -> aeviz is {r / o:.2f}x faster "
          f"(target >= 2.5x)")
    print(f"final test MSE: reference {rm:.4f}, aeviz {om:.4f} ({100 * (om - rm) / rm:+.1f}%, target within 10%)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
