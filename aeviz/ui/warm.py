"""The server's warm-up (serve.py): before anyone visits, train every shared run the default lesson's pages
need, so a class that opens its link at once never waits on a training. (Its own module: it reads the pages'
rules for their runs, and the pages' modules import aeviz.ui.runs.)"""

from __future__ import annotations

from typing import Hashable

from ..config import DEFAULTS, DataConfig, ModelConfig, TrainConfig
from ..datasets import Dataset
from .anomaly import default_held_out, normal_classes_data, normal_classes_key
from .cache import dataset, serve_on_one_thread
from .compare.variants import denoising_pair
from .runs import STORE, WARM_UP, start_training
from .state import Configs


def lesson_runs(cfgs: Configs = DEFAULTS) -> list[tuple[Hashable, Dataset, ModelConfig, TrainConfig, DataConfig]]:
    """Every shared run the default lesson's pages train for the settings `cfgs`, as (store key, training data,
    model, training, data settings): the run itself, the reconstruction page's denoising model (its demo
    compares it with the run) and the anomaly page's model trained on the normal classes only."""
    d, m, t = cfgs
    data = dataset(d)
    den = denoising_pair(cfgs)[1]
    out = [(cfgs, data, m, t, d), (den, data, den[1], t, d)]
    held = default_held_out(data)
    if held:
        out.append((normal_classes_key(d, m, t, held), normal_classes_data(d, held), m, t, d))
    return out


def warm_server() -> None:
    """At server start, before anyone visits (serve.py): train the default lesson's runs into the store
    (lesson_runs: the model, the denoising demo's and the anomaly page's), so a class that opens its link at
    once finds every page's model ready instead of thirty students waiting on the same training while their
    first pages render. (Another dataset's defaults start training when the first page with them is opened:
    see aeviz.ui.runs.warm_up.)"""
    serve_on_one_thread()
    jobs = [start_training(key, data, m, t, who=WARM_UP, data_cfg=d) for key, data, m, t, d in lesson_runs()
            if key not in STORE]
    for job in jobs:
        job.wait(WARM_UP)
