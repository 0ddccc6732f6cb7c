"""aeviz: learn autoencoders by training and exploring them (core package, no Streamlit)."""

from .config import DataConfig, ModelConfig, TrainConfig
from .datasets import DATASETS, Dataset, load
from .models import VARIANTS, Autoencoder, build, layer_table
from .run import Run
from .train import Trainer, TrainingDiverged, fit

__version__ = "0.1.0"

__all__ = [
    "DATASETS", "VARIANTS", "Autoencoder", "DataConfig", "Dataset", "ModelConfig", "Run", "TrainConfig",
    "Trainer", "TrainingDiverged", "build", "fit", "layer_table", "load",
]
