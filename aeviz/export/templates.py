"""The code an export writes, step by step: the data loaders, the model and each variant's loss, the training
loop and the numbers (aeviz.export fills in the settings and puts them together as a script or a notebook).

Each template is Python source with $names that string.Template fills in; the code's own braces stay as they are.
"""

# --- 1. the data ---------------------------------------------------------------------------------------------

SPLIT = """
train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=TEST_SIZE, random_state=DATA_SEED,
                                       stratify=$stratify)
train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)"""

LOADERS = {
    "digits": ("scikit-learn's 8×8 digits, pixels scaled to [0, 1], split with the labels' shares kept "
               "(the labels colour plots only; they never train).", """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

bunch = load_digits()
X = (bunch.data / 16.0).astype(np.float32)  # (1797, 64) pixels in [0, 1]
y = bunch.target.astype(np.int64)  # colour only, never training""" + SPLIT.replace("$stratify", "y")),
    "breast_cancer": ("scikit-learn's Wisconsin breast-cancer table, standardised with the training rows' mean "
                      "and spread only (0 = benign, 1 = malignant: colour only, never training).", """
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

bunch = load_breast_cancer()
y = (bunch.target == 0).astype(np.int64)  # 1 = malignant""" + SPLIT.replace("$stratify", "y") + """
X = StandardScaler().fit(bunch.data[train_idx]).transform(bunch.data).astype(np.float32)  # (569, 30)"""),
}

AEVIZ_LOADER = """
from aeviz.datasets import DATASETS  # aeviz's own generator, with the same seed: the same rows

data = DATASETS[DATASET].make(test_size=TEST_SIZE, random_state=DATA_SEED)
X, y = data.X, data.y  # (n, features) float32; labels for colour only, never training
train_idx, test_idx = data.train_idx, data.test_idx"""

TABLE_LOADER = """
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
    y = np.array([LABEL_NAMES.index(r[header.index(LABEL_COLUMN)]) for r in rows], dtype=np.int64)""" + SPLIT + """
means = np.nanmean(raw[train_idx], axis=0)  # missing cells take their column's mean over the training rows
raw = np.where(np.isnan(raw), means, raw)
X = StandardScaler().fit(raw[train_idx]).transform(raw).astype(np.float32)  # the training rows' statistics only"""


# --- 2. the model --------------------------------------------------------------------------------------------

MODEL = """
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

RECON = {
    "mse": """
def reconstruction_loss(x_hat, x):
    \"\"\"Mean squared error over every element.\"\"\"
    return F.mse_loss(x_hat, x)""",
    "bce": """
def reconstruction_loss(x_hat, x):
    \"\"\"Binary cross-entropy of pixels in [0, 1] (clamped away from 0 and 1, where its log is infinite).\"\"\"
    return F.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x)""",
}

PLAIN = """
def encode(x):
    \"\"\"Codes (batch, latent).\"\"\"
    return encoder(x)


def loss_terms(x, training):
    \"\"\"The objective and its named terms for a batch x (batch, features).\"\"\"
    recon = reconstruction_loss(decoder(encoder(x)), x)
    return {"total": recon, "recon": recon}"""

VARIANT_LOSS = {
    "autoencoder": ("The plain autoencoder minimises the reconstruction error ‖x − x̂‖².", PLAIN),
    "linear": ("No activation anywhere: the best a linear autoencoder can do is PCA's subspace.", PLAIN),
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

TRAIN = """
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

REFERENCE = {
    False: """
    reference = encode(X_train_t).numpy()  # (n_train, latent): the codes the decoder was trained on""",
    True: """
    mu, logvar = encode_stats(X_train_t)  # the decoder was trained on sampled codes: one z = μ + σ·ε per row
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))
    reference = (mu + torch.exp(0.5 * logvar) * eps).numpy()  # (n_train, latent)""",
}

NUMBERS = """
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
