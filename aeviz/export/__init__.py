"""A run taken home: the same data, model, training and numbers as a plain Python script or a Jupyter notebook.

The code uses torch, numpy and scikit-learn only (and aeviz.datasets to rebuild aeviz's own synthetic data),
and runs top to bottom: rebuild the data with the same loader and seed; build the same model as plain
nn.Sequential layers and print each layer's parameter count; train with an explicit loop (zero_grad, forward,
loss, backward, step) printing the loss every k epochs; then encode, compute the reconstruction errors, the
95th-percentile threshold and the hole fraction by the app's rule (aeviz.analysis.latent), and print
`final test error: <value>` last. With the run's weights (the .pt of "Download weights") it skips training
and prints the app's numbers exactly; trained afresh it repeats the app's operations in the app's order
(the same initialisation, shuffles and noise from the same seeds, torch.optim.Adam for aeviz's flat Adam),
so it lands on the same final error (the tests allow 3 %). The code of each step is in `templates`.
"""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import fields
from string import Template

from . import templates
from ..activations import ACTIVATIONS
from ..config import DataConfig, ModelConfig, TrainConfig
from ..datasets import DATASETS, UPLOAD
from ..models import VARIANTS
from ..tables import MAX_UPLOAD_BYTES

# UPLOAD: the DataConfig name of a user's table (its bytes are passed as `csv=`)
THRESHOLD_PERCENTILE = 95
EMBED_LIMIT = 2 * MAX_UPLOAD_BYTES  # characters of a table embedded in the code (any upload fits); else `csv_path`


def _code(text: str, **values) -> str:
    """A code template with $names filled in (the code's own braces stay as they are)."""
    return Template(text.strip("\n")).substitute(values)


def table_csv(data: bytes, *, label_column: str | None = None) -> str:
    """The table aeviz trains on, as plain CSV text: the kept feature columns' raw values (every digit, so they
    read back exactly; missing cells empty), then the label column if any."""
    from ..datasets.csv import read_training_table

    return _table_text(read_training_table(data, label_column=label_column))


def _table_text(table) -> str:
    """A TrainingTable as CSV text (see table_csv)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*table.feature_names, *([table.label_column] if table.labels is not None else [])])
    labels = table.labels or ()
    for i, row in enumerate(table.X.tolist()):
        cells = ["" if v != v else repr(v) for v in row]  # v != v: NaN
        writer.writerow(cells + ([labels[i]] if table.labels is not None else []))
    return out.getvalue()


def _literal(text: str) -> str:
    """A Python string literal of `text`: triple-quoted when it reads as it is, else repr."""
    if '"""' in text or "\\" in text or not all(c.isprintable() or c == "\n" for c in text):
        return repr(text)
    return '"""' + text + '"""'


def _data_section(data_cfg: DataConfig, csv_bytes: bytes | None, label_column: str | None,
                  csv_path: str | None) -> tuple[str, str, bool]:
    """(markdown, code, bounded) that rebuild the run's data."""
    if data_cfg.name == UPLOAD:
        if csv_bytes is None:
            raise ValueError("An uploaded table's export needs its bytes (csv=...).")
        from ..datasets.csv import read_training_table, stratify

        table = read_training_table(csv_bytes, label_column=label_column)
        text = _table_text(table)
        if csv_path is not None:
            source = f"TABLE = open({csv_path!r}, encoding='utf-8').read()  # the table aeviz trained on"
        elif len(text) > EMBED_LIMIT:
            raise ValueError(f"The table is too large to embed in the code ({len(text):,} characters); export it "
                             "with csv_path= and save aeviz.export.table_csv(...) to that path.")
        else:
            source = "TABLE = " + _literal(text) + "  # the table aeviz trained on (kept columns, raw values)"
        strat = "y" if stratify(table.y(), data_cfg.test_size) else "None"
        code = _code(templates.TABLE_LOADER, source=source, label_column=repr(table.label_column),
                     label_names=repr(table.label_names), stratify=strat)
        md = ("Your table, as aeviz read it (constant and empty columns dropped), split with the same seed; "
              "missing cells are filled with the training rows' means, then every column is standardised with "
              "the training rows' mean and spread.")
        return md, code, False
    if data_cfg.name not in DATASETS:
        raise ValueError(f"Unknown dataset {data_cfg.name!r}; choose one of {sorted(DATASETS)}.")
    spec = DATASETS[data_cfg.name]
    fallback = (f"aeviz's {spec.title}, rebuilt by its own generator with the same seed.", templates.AEVIZ_LOADER)
    md, code = templates.LOADERS.get(data_cfg.name, fallback)
    return md, code.strip("\n"), spec.bounded


def _settings(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, bounded: bool,
              weights_path: str | None, log_every: int) -> str:
    """The imports and every setting of the run, one constant each."""
    act = None if model_cfg.variant == "linear" else ACTIVATIONS[model_cfg.activation].layer.__name__
    knobs = VARIANTS[model_cfg.variant].knobs
    lines = [
        "import math", "", "import numpy as np", "import torch", "import torch.nn.functional as F",
        "from sklearn.neighbors import NearestNeighbors", "from torch import nn", "",
        "torch.set_num_threads(1)  # aeviz trains on one thread: the same sums in the same order", "",
        f"DATASET = {data_cfg.name!r}",
        f"DATA_SEED = {data_cfg.seed!r}  # the split's seed",
        f"TEST_SIZE = {data_cfg.test_size!r}",
        f"BOUNDED = {bounded!r}  # every feature in [0, 1] (images): a sigmoid output",
        f"VARIANT = {model_cfg.variant!r}",
        f"HIDDEN = {tuple(model_cfg.hidden)!r}  # encoder widths; the decoder mirrors them",
        f"LATENT = {model_cfg.latent!r}  # code units",
        f"ACTIVATION = {'None' if act is None else 'nn.' + act}",
        f"RECON_LOSS = {model_cfg.recon_loss!r}",
    ]
    for f in fields(ModelConfig):
        if f.name in knobs:
            lines.append(f"{f.name.upper()} = {getattr(model_cfg, f.name)!r}")
    lines += [
        f"LR = {train_cfg.lr!r}  # Adam's learning rate",
        f"EPOCHS = {train_cfg.epochs!r}",
        f"BATCH_SIZE = {train_cfg.batch_size!r}",
        f"SEED = {train_cfg.seed!r}  # initialisation, shuffle and the variant's noise",
        f"LOG_EVERY = {log_every!r}  # print the loss every this many epochs",
        f"WEIGHTS = {weights_path!r}  # the path of the run's .pt ('Download weights'): load it instead of training",
    ]
    return "\n".join(lines)


def sections(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, *, csv: bytes | None = None,
             label_column: str | None = None, csv_path: str | None = None, weights_path: str | None = None,
             log_every: int | None = None) -> list[tuple[str, str]]:
    """The export as (markdown, code) pairs, in the order they run."""
    if model_cfg.variant not in VARIANTS:
        raise ValueError(f"Unknown variant {model_cfg.variant!r}; choose one of {sorted(VARIANTS)}.")
    data_md, data_code, bounded = _data_section(data_cfg, csv, label_column, csv_path)
    log_every = log_every or max(1, train_cfg.epochs // 10)
    variant = VARIANTS[model_cfg.variant]
    vae = model_cfg.variant == "variational"
    sigmoid = bounded and model_cfg.variant != "linear"
    title = DATASETS[data_cfg.name].title if data_cfg.name in DATASETS else "your table"
    head = (f"# {variant.title} on {title}\n\nThis code repeats an aeviz run step by step with torch, numpy "
            "and scikit-learn: the data, the model, the training loop, and the numbers the app shows. Set `WEIGHTS` "
            "to the run's .pt (aeviz's \"Download weights\") to skip training and get the app's numbers exactly.")
    model_code = _code(templates.MODEL, code_width="2 * LATENT" if vae else "LATENT",
                       code_comment="μ and log σ² for each code unit" if vae else "the code",
                       last="nn.Sigmoid()" if sigmoid else "None")
    loss_md, loss_code = templates.VARIANT_LOSS[model_cfg.variant]
    recon = templates.RECON["bce" if model_cfg.recon_loss == "bce" and bounded else "mse"].strip("\n")
    return [
        (head, _settings(data_cfg, model_cfg, train_cfg, bounded, weights_path, log_every)),
        ("## 1. The data\n\n" + data_md, data_code),
        ("## 2. The model\n\nThe encoder narrows to the code, the decoder mirrors it; each layer's parameters: "
         "weights (in × out) plus biases (out).", model_code),
        ("### The loss\n\n" + loss_md, recon + "\n\n\n" + loss_code.strip("\n")),
        ("## 3. Training\n\nAdam, one shuffled pass over the training rows per epoch: zero the gradients, run "
         "the batch forward, compute the loss, backpropagate, step.", templates.TRAIN.strip("\n")),
        ("## 4. The numbers\n\nEvery sample's code, each test row's reconstruction error, the "
         f"{THRESHOLD_PERCENTILE}th-percentile threshold, and the share of draws from N(0, I) that land in a "
         "hole of the code space.",
         _code(templates.NUMBERS, percentile=THRESHOLD_PERCENTILE, reference=templates.REFERENCE[vae])),
    ]


def script(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, **options) -> str:
    """The run as a plain Python script whose last printed line is `final test error: <value>`; options as
    `sections` (csv=, label_column=, csv_path=, weights_path=, log_every=)."""
    parts = []
    for i, (md, code) in enumerate(sections(data_cfg, model_cfg, train_cfg, **options)):
        paragraphs = [p.lstrip("#").strip() for p in md.split("\n\n")]
        if i == 0:
            title, paragraphs = paragraphs[0], paragraphs[1:]
        comment = "\n#\n".join(textwrap.fill(p, 108, initial_indent="# ", subsequent_indent="# ") for p in paragraphs)
        parts.append(comment + "\n\n" + code)
    return f'"""{title}: an aeviz run as a plain Python script."""\n\n' + "\n\n\n".join(parts) + "\n"


def notebook(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, **options) -> str:
    """The run as a Jupyter notebook (nbformat 4 JSON text): a markdown cell, then a code cell, per step."""
    import nbformat

    cells = []
    for md, code in sections(data_cfg, model_cfg, train_cfg, **options):
        cells += [nbformat.v4.new_markdown_cell(md), nbformat.v4.new_code_cell(code)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    return nbformat.writes(nb)
