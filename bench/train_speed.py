"""Benchmark: aeviz's Trainer against the plain PyTorch loop and against the floor, same machine, same command.

The plain loop is the one a tutorial would write: a DataLoader over a shuffled TensorDataset, nn.MSELoss,
torch.optim.Adam, the test loss evaluated every epoch. The floor is the matrix products alone: every
forward and backward product of the same network at the same batch sizes, timed on preallocated tensors
(no activations, loss, optimiser or data movement), which no trainer can beat. All three train (or multiply)
the dataset's default model for its default epochs, on the trainer's thread count (one intra-op thread).
Runs alternate (loop, aeviz, floor, loop, ...) so drift on a shared machine hits all three; the medians, the
spread and the ratios are printed, in wall-clock seconds and in this process's CPU seconds (on a machine
shared with other work, the CPU seconds are the steadier measure of the same arithmetic).

    python bench/train_speed.py [--dataset digits|mnist|...] [--runs 5] [--epochs N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aeviz import DataConfig, ModelConfig, TrainConfig, Trainer, build, load  # noqa: E402
from aeviz.datasets import defaults_for  # noqa: E402
from aeviz.models import layer_table  # noqa: E402
from aeviz.train import _one_thread  # noqa: E402


def reference(data, model_cfg: ModelConfig, cfg: TrainConfig) -> tuple[tuple[float, float], float]:
    """The plain loop: (wall, CPU) seconds for the whole training, final test MSE."""
    torch.manual_seed(cfg.seed)
    model = build(model_cfg, data, seed=cfg.seed)
    loader = DataLoader(TensorDataset(torch.from_numpy(data.X_train)), batch_size=cfg.batch_size, shuffle=True)
    X_test = torch.from_numpy(data.X_test)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = nn.MSELoss()
    with _one_thread():
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(cfg.epochs):
            model.train()
            for (xb,) in loader:
                opt.zero_grad()
                loss_fn(model(xb), xb).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                test = loss_fn(model(X_test), X_test).item()
        return (time.perf_counter() - t0, time.process_time() - c0), test


def ours(data, model_cfg: ModelConfig, cfg: TrainConfig) -> tuple[tuple[float, float], float]:
    """aeviz's Trainer (which also records history and latent snapshots): (wall, CPU) seconds, final test MSE."""
    model = build(model_cfg, data, seed=cfg.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    tr = Trainer(model, data, cfg).run()
    return (time.perf_counter() - t0, time.process_time() - c0), tr.final("recon")[1]


def floor(data, model_cfg: ModelConfig, cfg: TrainConfig) -> tuple[float, float]:
    """(Wall, CPU) seconds of the matrix products alone: per batch and Linear layer, the forward product, the weight
    gradient and (past the first layer) the input gradient, plus one forward pass over the test rows per
    epoch, all into preallocated outputs."""
    widths = [row["width"] for row in layer_table(model_cfg, data.n_features)]
    widths[len(model_cfg.hidden) + 1] *= 2 if model_cfg.variant == "variational" else 1
    n = len(data.X_train)
    sizes = [cfg.batch_size] * (n // cfg.batch_size) + ([n % cfg.batch_size] if n % cfg.batch_size else [])
    pairs = list(zip(widths[:-1], widths[1:]))
    W = [torch.randn(o, i) * 0.05 for i, o in pairs]  # (out, in)
    gW = [torch.empty(o, i) for i, o in pairs]

    def buffers(b):
        acts = [torch.rand(b, w) for w in widths]  # (b, width) each layer's input/output
        grads = [torch.randn(b, w) for w in widths]
        return acts, grads

    bufs = {b: buffers(b) for b in set(sizes) | {len(data.X_test)}}
    with _one_thread():
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(cfg.epochs):
            for b in sizes:
                acts, grads = bufs[b]
                for k, w in enumerate(W):
                    torch.mm(acts[k], w.t(), out=acts[k + 1])  # forward (b, out)
                for k in range(len(W) - 1, -1, -1):
                    torch.mm(grads[k + 1].t(), acts[k], out=gW[k])  # weight gradient (out, in)
                    if k > 0:
                        torch.mm(grads[k + 1], W[k], out=grads[k])  # input gradient (b, in)
            acts, _ = bufs[len(data.X_test)]
            for k, w in enumerate(W):
                torch.mm(acts[k], w.t(), out=acts[k + 1])
        return time.perf_counter() - t0, time.process_time() - c0


def _spread(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="instead of the dataset's default")
    args = ap.parse_args()
    d_cfg, model_cfg, cfg = defaults_for(args.dataset)
    if args.epochs:
        cfg = replace(cfg, epochs=args.epochs)
    data = load(d_cfg)
    ours(data, model_cfg, replace(cfg, epochs=2))  # warm every path up (first-call overheads)
    reference(data, model_cfg, replace(cfg, epochs=2))
    floor(data, model_cfg, replace(cfg, epochs=2))
    times: dict[str, list[tuple[float, float]]] = {"loop": [], "aeviz": [], "floor": []}
    mse: dict[str, list[float]] = {"loop": [], "aeviz": []}
    for i in range(args.runs):
        t, m = reference(data, model_cfg, cfg)
        times["loop"].append(t)
        mse["loop"].append(m)
        t, m = ours(data, model_cfg, cfg)
        times["aeviz"].append(t)
        mse["aeviz"].append(m)
        times["floor"].append(floor(data, model_cfg, cfg))
        (lw, lc), (ow, oc), (fw, fc) = (times[k][-1] for k in ("loop", "aeviz", "floor"))
        print(f"run {i + 1}: wall (CPU) s: loop {lw:.2f} ({lc:.2f}) | aeviz {ow:.2f} ({oc:.2f}) | floor {fw:.2f} "
              f"({fc:.2f}) | loop/aeviz {lw / ow:.2f}x ({lc / oc:.2f}x), aeviz/floor {ow / fw:.2f}x ({oc / fc:.2f}x); "
              f"test MSE loop {mse['loop'][-1]:.4f}, aeviz {mse['aeviz'][-1]:.4f}", flush=True)
    widths = "→".join(str(row["width"]) for row in layer_table(model_cfg, data.n_features))
    print(f"\n{args.dataset}: {widths}, {model_cfg.variant}, {cfg.epochs} epochs of {len(data.X_train)} rows, "
          f"batch {cfg.batch_size} ({math.ceil(len(data.X_train) / cfg.batch_size)} steps an epoch), "
          f"{args.runs} alternating runs")
    for clock, j in (("wall", 0), ("CPU", 1)):
        med = {k: statistics.median(x[j] for x in v) for k, v in times.items()}
        for k, v in times.items():
            print(f"  {clock:4} {k:5} {_spread([x[j] for x in v])}")
        print(f"  {clock}: aeviz is {med['loop'] / med['aeviz']:.2f}x faster than the plain loop (goal >= 2x) and "
              f"{med['aeviz'] / med['floor']:.2f}x the floor (goal <= 1.3x)")
    rm, om = statistics.median(mse["loop"]), statistics.median(mse["aeviz"])
    print(f"final test MSE: loop {rm:.4f}, aeviz {om:.4f} ({100 * (om - rm) / rm:+.1f}%)")
    print(f"torch {torch.__version__}, timed on 1 intra-op thread (the trainer's)")


if __name__ == "__main__":
    main()
