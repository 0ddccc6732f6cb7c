"""What every comparison shares: the runs this session sees for some settings (trained once per
server), a check that they are ready, the settings of another variant, and the runs whose ids key every
cached number."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

import streamlit as st

from ...config import DataConfig, ModelConfig, TrainConfig
from ...run import Run
from ..runs import OverBudget, has_finished_run, run_for, session_run
from ..state import Configs

DEFAULT_PENALTY = 1e-3  # the sparse / contractive weight compared when the sidebar's is 0
DEFAULT_NOISE = 0.3  # the denoising noise compared when the sidebar's is 0


def trained(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> Run:
    """The finished run this session sees for these settings (its own upload or live run, else the shared one)."""
    return run_for((data_cfg, model_cfg, train_cfg))


def ready(*cfgs: Configs) -> bool:
    """Train (or fetch) every run; say clearly and return False if one cannot be built or diverged. The
    spinner (a timer thread per use) is shown only when some run is not trained yet."""
    waiting = not all(session_run(c) is not None or has_finished_run(*c) for c in cfgs)
    with st.spinner("Training the models this comparison needs (once per server)…") if waiting else nullcontext():
        for d, m, t in cfgs:
            try:
                run = trained(d, m, t)
            except OverBudget as exc:
                st.error(str(exc))
                return False
            except ValueError as exc:
                st.error(f"These settings cannot be built: {exc}")
                return False
            if run.error and not run.history:
                st.error(f"The {m.variant} model: {run.error}")
                return False
            if run.error:
                st.warning(f"The {m.variant} model: {run.error}")
    return True


def variant(cfgs: Configs, name: str, **changes) -> Configs:
    """The sidebar's settings with another variant (same data, architecture, training and seed)."""
    d, m, t = cfgs
    return d, replace(m, variant=name, **changes), t


def penalty(value: float) -> float:
    """The sidebar's sparse or contractive weight, or DEFAULT_PENALTY when it is 0 (nothing to compare)."""
    return value if value > 0 else DEFAULT_PENALTY


# ---------------------------------------------------------------- cached numbers (keyed by run ids)
# Each cached number takes the tuple of runs it reads (cache.per_run keys it by their ids): the same
# settings can mean another run in another session (uploaded weights), so settings alone never key a number.


def runs_of(*cfgs: Configs) -> tuple[Run, ...]:
    """The runs this session sees for these settings (trained here, outside any cache)."""
    return tuple(trained(*c) for c in cfgs)


def sample_kw(data) -> dict:
    """The dataset's keywords for drawing samples (image shape, feature names)."""
    return dict(image_shape=data.image_shape, feature_names=data.feature_names)
