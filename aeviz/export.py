"""A run taken home: the same data, model, training and numbers as a plain Python script or a Jupyter notebook.

The code uses torch, numpy and scikit-learn only (and aeviz.datasets to rebuild aeviz's own synthetic data),
and runs top to bottom: rebuild the data with the same loader and seed; build the same model as plain
nn.Sequential layers and print each layer's parameter count; train with an explicit loop (zero_grad, forward,
loss, backward, step) printing the loss every k epochs; then encode, compute the reconstruction errors, the
95th-percentile threshold and the hole fraction by the app's rule (aeviz.analysis.latent), and print
`final test error: <value>` last. With the run's weights (the .pt of "Download weights") it skips training
and prints the app's numbers exactly; trained afresh it lands within a few percent of them (Adam and the
gradients are the same maths, summed in a different order).
"""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import fields
from string import Template

from .activations import ACTIVATIONS
from .config import DataConfig, ModelConfig, TrainConfig
from .datasets import DATASETS
from .models import VARIANTS

UPLOAD = "upload"  # the DataConfig name of a user's table (its bytes are passed as `csv=`)
THRESHOLD_PERCENTILE = 95
EMBED_LIMIT = 2_000_000  # characters of a table embedded in the code; a larger one is read from `csv_path`


def _code(text: str, **values) -> str:
    """A code template with $names filled in (the code's own braces stay as they are)."""
    return Template(text.strip("\n")).substitute(values)


# --- 1. the data ---------------------------------------------------------------------------------------------

_SPLIT = """
train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=TEST_SIZE, random_state=DATA_SEED,
                                       stratify=$stratify)
train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)"""

_LOADERS = {
    "digits": ("scikit-learn's 8×8 digits, pixels scaled to [0, 1], split with the labels' shares kept "
               "(the labels colour plots only; they never train).", """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

bunch = load_digits()
X = (bunch.data / 16.0).astype(np.float32)  # (1797, 64) pixels in [0, 1]
y = bunch.target.astype(np.int64)  # colour only, never training""" + _SPLIT.replace("$stratify", "y")),
    "breast_cancer": ("scikit-learn's Wisconsin breast-cancer table, standardised with the training rows' mean "
                      "and spread only (0 = benign, 1 = malignant: colour only, never training).", """
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

bunch = load_breast_cancer()
y = (bunch.target == 0).astype(np.int64)  # 1 = malignant""" + _SPLIT.replace("$stratify", "y") + """
X = StandardScaler().fit(bunch.data[train_idx]).transform(bunch.data).astype(np.float32)  # (569, 30)"""),
}

_AEVIZ_LOADER = """
from aeviz.datasets import DATASETS  # aeviz's own generator, with the same seed: the same rows

data = DATASETS[DATASET].make(test_size=TEST_SIZE, random_state=DATA_SEED)
X, y = data.X, data.y  # (n, features) float32; labels for colour only, never training
train_idx, test_idx = data.train_idx, data.test_idx"""

_TABLE_LOADER = """
import csv
import io

from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

$source
rows = list(csv.reader(io.StringIO(TABLE)))
header, rows = rows[0], rows[1:]
LABEL_COLUMN = $label_column  # colour only, never training
LABEL_NAMES = $label_names
features = [j for j, name in enumerate(header) if name != LABEL_COLUMN]
raw = np.array([[float(r[j]) if r[j] != "" else np.nan for j in features] for r in rows])  # (n, features), NaN: missing
if LABEL_COLUMN is None:
    y = np.zeros(len(raw), dtype=np.int64)
else:
    y = np.array([LABEL_NAMES.index(r[header.index(LABEL_COLUMN)]) for r in rows], dtype=np.int64)""" + _SPLIT + """
means = np.nanmean(raw[train_idx], axis=0)  # missing cells take their column's mean over the training rows
raw = np.where(np.isnan(raw), means, raw)
X = StandardScaler().fit(raw[train_idx]).transform(raw).astype(np.float32)  # the training rows' statistics only"""


def table_csv(data: bytes, *, label_column: str | None = None) -> str:
    """The table aeviz trains on, as plain CSV text: the kept feature columns' raw values (every digit, so they
    read back exactly; missing cells empty), then the label column if any."""
    from .datasets_csv import read_training_table

    table = read_training_table(data, label_column=label_column)
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
        from .datasets_csv import read_training_table, stratify

        table = read_training_table(csv_bytes, label_column=label_column)
        text = table_csv(csv_bytes, label_column=label_column)
        if csv_path is not None:
            source = f"TABLE = open({csv_path!r}, encoding='utf-8').read()  # the table aeviz trained on"
        elif len(text) > EMBED_LIMIT:
            raise ValueError(f"The table is too large to embed in the code ({len(text):,} characters); export it "
                             "with csv_path= and save aeviz.export.table_csv(...) to that path.")
        else:
            source = "TABLE = " + _literal(text) + "  # the table aeviz trained on (kept columns, raw values)"
        strat = "y" if stratify(table.y(), data_cfg.test_size) else "None"
        code = _code(_TABLE_LOADER, source=source, label_column=repr(table.label_column),
                     label_names=repr(table.label_names), stratify=strat)
        md = ("Your table, as aeviz read it (constant and empty columns dropped), split with the same seed; "
              "missing cells are filled with the training rows' means, then every column is standardised with "
              "the training rows' mean and spread.")
        return md, code, False
    if data_cfg.name not in DATASETS:
        raise ValueError(f"Unknown dataset {data_cfg.name!r}; choose one of {sorted(DATASETS)}.")
    spec = DATASETS[data_cfg.name]
    md, code = _LOADERS.get(data_cfg.name, (f"aeviz's {spec.title}, rebuilt by its own generator with the same "
                                            "seed.", _AEVIZ_LOADER))
    return md, code.strip("\n"), spec.bounded


# --- 2. the model --------------------------------------------------------------------------------------------

_MODEL = """
X_train, X_test = X[train_idx], X[test_idx]  # (n_train, features), (n_test, features)
N_FEATURES = X.shape[1]


def mlp(widths, activation, last=None):
    \"\"\"Linear layers between consecutive widths, the activation between them, an optional last layer.\"\"\"
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2 and activation is not None:
            layers.append(activation())
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


encoder = mlp([N_FEATURES, *HIDDEN, $code_width], ACTIVATION)  # $code_comment
decoder = mlp([LATENT, *reversed(HIDDEN), N_FEATURES], ACTIVATION, $last)
model = nn.ModuleDict({"encoder": encoder, "decoder": decoder})  # the keys of aeviz's weights files

# PyTorch's default initialisation of a Linear layer, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from a seeded
# generator in the order aeviz draws it
init_generator = torch.Generator().manual_seed(SEED)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            m.weight.uniform_(-bound, bound, generator=init_generator)
            m.bias.uniform_(-bound, bound, generator=init_generator)

for name, m in model.named_modules():
    if isinstance(m, nn.Linear):
        print(f"{name:<10} {m.in_features:>4} -> {m.out_features:<4} {m.weight.numel():>7,} weights "
              f"+ {m.bias.numel():>4,} biases = {m.weight.numel() + m.bias.numel():>7,} parameters")
print(f"total: {sum(p.numel() for p in model.parameters()):,} parameters")"""

_RECON = {
    "mse": """
def reconstruction_loss(x_hat, x):
    \"\"\"Mean squared error over every element.\"\"\"
    return F.mse_loss(x_hat, x)""",
    "bce": """
def reconstruction_loss(x_hat, x):
    \"\"\"Binary cross-entropy of pixels in [0, 1] (clamped away from 0 and 1, where its log is infinite).\"\"\"
    return F.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x)""",
}

_PLAIN = """
def encode(x):
    \"\"\"Codes (batch, latent).\"\"\"
    return encoder(x)


def loss_terms(x, training):
    \"\"\"The objective and its named terms for a batch x (batch, features).\"\"\"
    recon = reconstruction_loss(decoder(encoder(x)), x)
    return {"total": recon, "recon": recon}"""

_VARIANT_LOSS = {
    "autoencoder": ("The plain autoencoder minimises the reconstruction error ‖x − x̂‖².", _PLAIN),
    "linear": ("No activation anywhere: the best a linear autoencoder can do is PCA's subspace.", _PLAIN),
    "denoising": ("The denoising autoencoder sees a corrupted input during training (Gaussian noise, then "
                  "masking) and must output the clean one.", """
def encode(x):
    \"\"\"Codes (batch, latent).\"\"\"
    return encoder(x)


def corrupt(x):
    \"\"\"Gaussian noise of std NOISE_STD, then each feature masked to 0 with probability MASK_PROB.\"\"\"
    if NOISE_STD > 0:
        x = x + NOISE_STD * torch.randn(x.shape, generator=generator)
    if MASK_PROB > 0:
        keep = torch.rand(x.shape, generator=generator) >= MASK_PROB
        x = x * keep
    return x


def loss_terms(x, training):
    \"\"\"Reconstruct the clean x from a corrupted copy (when training).\"\"\"
    recon = reconstruction_loss(decoder(encoder(corrupt(x) if training else x)), x)
    return {"total": recon, "recon": recon}"""),
    "sparse": ("The sparse autoencoder adds λ · mean Σ|h| over the code (and the hidden layers, if chosen): "
               "most units stay silent for any one input.", """
def encode(x):
    \"\"\"Codes (batch, latent).\"\"\"
    return encoder(x)


def loss_terms(x, training):
    \"\"\"Reconstruction plus SPARSITY · the batch mean of Σ_j |h_j|.\"\"\"
    hidden, h, layers = [], x, list(encoder)
    for i, m in enumerate(layers):
        h = m(h)
        if i + 1 < len(layers) and isinstance(layers[i + 1], nn.Linear):
            hidden.append(h)  # a hidden layer's activations (batch, width)
    recon = reconstruction_loss(decoder(h), x)
    l1 = h.abs().sum(dim=1).mean()
    if SPARSE_HIDDEN:
        for a in hidden:
            l1 = l1 + a.abs().sum(dim=1).mean()
    penalty = SPARSITY * l1
    return {"total": recon + penalty, "recon": recon, "sparsity": penalty}"""),
    "contractive": ("The contractive autoencoder adds λ‖∂h/∂x‖²_F, the encoder Jacobian's squared Frobenius "
                    "norm (Rifai et al., 2011), computed exactly: one backward pass per code unit.", """
def encode(x):
    \"\"\"Codes (batch, latent).\"\"\"
    return encoder(x)


def jacobian_penalty(x, create_graph):
    \"\"\"Batch mean of ‖∂h/∂x‖²_F; row j of each sample's Jacobian is the gradient of Σ_batch h_j.\"\"\"
    x = x.detach().requires_grad_(True)
    h = encoder(x)  # (batch, latent)
    total = x.new_zeros(())
    for j in range(h.shape[1]):
        (g,) = torch.autograd.grad(h[:, j].sum(), x, create_graph=create_graph, retain_graph=True)
        total = total + (g ** 2).sum()
    return total / x.shape[0]


def loss_terms(x, training):
    \"\"\"Reconstruction plus CONTRACTIVE · ‖J‖²_F.\"\"\"
    recon = reconstruction_loss(decoder(encoder(x)), x)
    with torch.enable_grad():
        penalty = CONTRACTIVE * jacobian_penalty(x, create_graph=training)
    return {"total": recon + penalty, "recon": recon, "contractive": penalty}"""),
    "variational": ("The VAE's encoder outputs μ and log σ²; training decodes a sampled z = μ + σ·ε "
                    "(the reparameterisation trick) and pays β·KL(q(z|x) ‖ N(0, I)) (Kingma & Welling, 2014); "
                    "evaluation decodes μ.", """
def encode_stats(x):
    \"\"\"μ and log σ², each (batch, latent).\"\"\"
    mu, logvar = encoder(x).chunk(2, dim=1)
    return mu, logvar.clamp(-10, 10)


def encode(x):
    \"\"\"The mean code μ (batch, latent).\"\"\"
    return encode_stats(x)[0]


def reparameterize(mu, logvar):
    \"\"\"z = μ + σ·ε with ε ~ N(0, I), so the gradient flows through μ and σ.\"\"\"
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps


def loss_terms(x, training):
    \"\"\"Reconstruction + BETA · KL, the KL summed over code units, averaged over the batch and divided by the
    feature count (the reconstruction's per-element scale).\"\"\"
    mu, logvar = encode_stats(x)
    z = reparameterize(mu, logvar) if training else mu
    recon = reconstruction_loss(decoder(z), x)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1).mean() / N_FEATURES
    return {"total": recon + BETA * kl, "recon": recon, "kl": kl}"""),
}

# --- 3. training, 4. the numbers ----------------------------------------------------------------------------

_TRAIN = """
generator = torch.Generator().manual_seed(SEED)  # the shuffle and the variant's noise, in aeviz's order
X_train_t, X_test_t = torch.from_numpy(X_train), torch.from_numpy(X_test)
if WEIGHTS is not None:
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    print(f"loaded {WEIGHTS}: training skipped")
else:
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(1, EPOCHS + 1):
        perm = torch.randperm(len(X_train_t), generator=generator)  # a new shuffle every epoch
        total = 0.0
        for start in range(0, len(perm), BATCH_SIZE):
            xb = X_train_t[perm[start:start + BATCH_SIZE]]  # (batch, features)
            optimizer.zero_grad()
            terms = loss_terms(xb, training=True)  # forward and loss
            terms["total"].backward()
            optimizer.step()
            total += terms["total"].item() * len(xb)
        if epoch % LOG_EVERY == 0 or epoch == EPOCHS:
            with torch.no_grad():
                test = float(loss_terms(X_test_t, training=False)["recon"])
            print(f"epoch {epoch:4d}   train loss {total / len(perm):.6f}   test error {test:.6f}")"""

_REFERENCE = {
    False: """
    reference = encode(X_train_t).numpy()  # (n_train, latent): the codes the decoder was trained on""",
    True: """
    mu, logvar = encode_stats(X_train_t)  # the decoder was trained on sampled codes: one z = μ + σ·ε per row
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
    reference = (mu + torch.exp(0.5 * logvar) * eps).numpy()  # (n_train, latent)""",
}

_NUMBERS = """
with torch.no_grad():
    codes = encode(torch.from_numpy(X)).numpy()  # (n, latent): every sample's code
    recon_test = decoder(encode(X_test_t)).numpy()  # (n_test, features)
errors = ((recon_test - X_test) ** 2).mean(axis=1)  # each test row's reconstruction error
threshold = float(np.percentile(errors.astype(np.float64), $percentile))
print(f"codes: {codes.shape}; test errors: median {np.median(errors):.6g}, max {errors.max():.6g}")
print(f"${percentile}th-percentile threshold: {threshold:.6g} ({int((errors > threshold).sum())} of {len(errors)} "
      "test rows above it)")

# The hole fraction, by the app's rule: distances in standardised code units; r is the 99th percentile of the
# reference codes' distances to their nearest other code; a draw from N(0, I) in those units is in a hole
# when it is farther than r from every reference code.
with torch.no_grad():$reference
center = reference.mean(axis=0)
scale = reference.std(axis=0)
scale[~(scale > 1e-12)] = 1.0  # a constant unit keeps scale 1
center, scale = center.astype(np.float32), scale.astype(np.float32)
standard = (reference - center) / scale  # (n_train, latent)
nearest_other, _ = NearestNeighbors(n_neighbors=2).fit(standard).kneighbors(standard)  # column 0: itself
r = float(np.percentile(nearest_other[:, 1], 99))
r = r if r > 0 else 1e-3
draws = np.random.default_rng(0).standard_normal((1000, LATENT)).astype(np.float32)  # N(0, I)
points = (draws * scale + center).astype(np.float32)  # back in code units
dist, _ = NearestNeighbors(n_neighbors=1).fit(standard).kneighbors(((points - center) / scale).astype(np.float32))
holes = dist[:, 0] > r
print(f"hole fraction: {holes.mean():.3f} of 1,000 draws (r = {r:.4g} standardised units)")

with torch.no_grad():
    final = float(loss_terms(X_test_t, training=False)["recon"])
print(f"final test error: {final!r}")"""


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
    model_code = _code(_MODEL, code_width="2 * LATENT" if vae else "LATENT",
                       code_comment="μ and log σ² for each code unit" if vae else "the code",
                       last="nn.Sigmoid()" if sigmoid else "None")
    loss_md, loss_code = _VARIANT_LOSS[model_cfg.variant]
    recon = _RECON["bce" if model_cfg.recon_loss == "bce" and bounded else "mse"].strip("\n")
    return [
        (head, _settings(data_cfg, model_cfg, train_cfg, bounded, weights_path, log_every)),
        ("## 1. The data\n\n" + data_md, data_code),
        ("## 2. The model\n\nThe encoder narrows to the code, the decoder mirrors it; each layer's parameters: "
         "weights (in × out) plus biases (out).", model_code),
        ("### The loss\n\n" + loss_md, recon + "\n\n\n" + loss_code.strip("\n")),
        ("## 3. Training\n\nAdam, one shuffled pass over the training rows per epoch: zero the gradients, run "
         "the batch forward, compute the loss, backpropagate, step.", _TRAIN.strip("\n")),
        ("## 4. The numbers\n\nEvery sample's code, each test row's reconstruction error, the "
         f"{THRESHOLD_PERCENTILE}th-percentile threshold, and the share of draws from N(0, I) that land in a "
         "hole of the code space.",
         _code(_NUMBERS, percentile=THRESHOLD_PERCENTILE, reference=_REFERENCE[vae])),
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
