"""Breast cancer's contamination lesson, measured: detection rate (95th-percentile threshold of the normal test
rows' errors) and AUC at each contamination stop, over several training seeds, trained as the Anomaly page trains
them (labelled.normal_training with the data seed, the dataset's default model and training).

    python bench/contamination.py [--seeds 42 0 1 2 3] [--stops 0 50]

Prints, per stop, the median and the spread (min to max) over the seeds, and the logistic-regression baseline.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from aeviz import load
from aeviz.analysis.anomaly import labelled
from aeviz.datasets import defaults_for


def main() -> None:
    """Train every (stop, seed) and print the medians and spreads."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 0, 1, 2, 3])
    ap.add_argument("--stops", type=int, nargs="+", default=[0, 10, 20, 30, 40, 50])
    args = ap.parse_args()
    data_cfg, model_cfg, train_cfg = defaults_for("breast_cancer")
    data = load(data_cfg)
    print(f"logistic regression AUC {labelled.baseline_auc(data, seed=data_cfg.seed):.3f} (no seed dependence)")
    for stop in args.stops:
        det, auc = [], []
        for seed in args.seeds:
            model = labelled.train_detector(data, model_cfg, replace(train_cfg, seed=seed), stop / 100,
                                            seed=data_cfg.seed).model
            r = labelled.labelled_detection(data, model)
            det.append(r.detection_rate)
            auc.append(r.auc)
        print(f"{stop:>3} %: detection median {np.median(det):.3f} [{min(det):.3f}, {max(det):.3f}]   "
              f"AUC median {np.median(auc):.3f} [{min(auc):.3f}, {max(auc):.3f}]   over training seeds {args.seeds}")


if __name__ == "__main__":
    main()
