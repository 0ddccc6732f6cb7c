"""Autoencoder variants behind one interface (encode, decode, forward, loss), and the VARIANTS registry."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .activations import ACTIVATIONS
from .config import ModelConfig
from .fastpath import block_layout, mse_backprop

AUTOGRAD_STEP_FACTOR = 2.5  # variants with extra loss terms go through autograd: slower steps (aeviz.budget)


def _mlp(widths: list[int], activation: str | None, last_activation: nn.Module | None) -> nn.Sequential:
    """Linear layers between consecutive widths, activation between them, optional one at the end."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2 and activation is not None:
            layers.append(ACTIVATIONS[activation].make())
    if last_activation is not None:
        layers.append(last_activation)
    return nn.Sequential(*layers)


def init_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from an explicit generator (seeded, thread-safe)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                m.bias.uniform_(-bound, bound, generator=generator)


class Autoencoder(nn.Module):
    """MLP autoencoder: encoder widths `hidden`, a `latent`-wide code, and a mirrored decoder.

    Subclasses change one thing each: how the input is corrupted, what penalty is added,
    or how the code is sampled. `loss(x)` returns a dict whose "total" is optimised.
    """

    title = "Autoencoder (MLP)"  # what the sidebar and the pages call it
    description = "The plain autoencoder: squeeze, then expand, and minimise ‖x − x̂‖²."
    knobs: tuple[str, ...] = ()  # the ModelConfig fields this variant adds (the sidebar draws them)
    code_multiplier = 1  # how many numbers per latent dimension the encoder's last layer emits
    manual_backprop = True  # the loss is plain MSE through the MLP: `backprop` can do it by hand

    def __init__(self, n_features: int, cfg: ModelConfig, *, bounded: bool = False):
        super().__init__()
        self.n_features = n_features
        self.cfg = cfg
        self.bounded = bounded
        self.generator: torch.Generator | None = None  # set by the trainer for seeded noise
        act = self._activation()
        widths = [n_features, *cfg.hidden]
        self.encoder = _mlp([*widths, cfg.latent * self.code_multiplier], act, None)
        out = nn.Sigmoid() if (bounded and act is not None) else None
        self.decoder = _mlp([cfg.latent, *reversed(widths)], act, out)

    def _activation(self) -> str | None:
        return self.cfg.activation

    @classmethod
    def cost_factors(cls, cfg: ModelConfig) -> tuple[float, float]:
        """What one epoch of this variant costs against the plain autoencoder's: (the factor on the
        compute-bound part, the factor on the fixed cost per optimiser step). aeviz.budget reads it."""
        return 1.0, (1.0 if cls.manual_backprop else AUTOGRAD_STEP_FACTOR)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs (batch, features) to codes (batch, latent)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map codes (batch, latent) to reconstructions (batch, features)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct x through the bottleneck."""
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean squared error, or binary cross-entropy for [0, 1] data when chosen."""
        if self.cfg.recon_loss == "bce" and self.bounded:
            return F.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x)
        return F.mse_loss(x_hat, x)

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The training objective and its named terms for a batch x (batch, features)."""
        recon = self.reconstruction_loss(self(x), x)
        return {"total": recon, "recon": recon}

    def training_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the network sees during training (the denoising variant corrupts it)."""
        return x

    def plain_input(self) -> bool:
        """True when the network trains on the input itself (no corruption drawn per batch)."""
        return type(self).training_input is Autoencoder.training_input

    def can_backprop(self) -> bool:
        """True when `backprop` gives this model's exact gradient (plain MSE, no extra terms)."""
        return self.manual_backprop and (self.cfg.recon_loss == "mse" or not self.bounded)

    @torch.no_grad()
    def backprop(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The training loss of batch x, its gradient written into every parameter's `.grad`.

        Backpropagation by hand through the Linear/activation stack: the same numbers autograd
        gives (a test compares them), in half the time for nets this small, because no graph is
        recorded. Gradients are overwritten, not accumulated.
        """
        recon = mse_backprop(layers=[*self.encoder, *self.decoder], inputs=self.training_input(x), target=x)
        return {"total": recon, "recon": recon}


class LinearAutoencoder(Autoencoder):
    """No activations anywhere: the optimum spans PCA's top-`latent` subspace."""

    title = "Linear autoencoder"
    description = "No non-linearity anywhere: it can only learn a flat subspace — PCA's."

    def _activation(self) -> str | None:
        return None


class DenoisingAutoencoder(Autoencoder):
    """Corrupts the input during training only; the loss compares against the clean input."""

    title = "Denoising"
    description = "Sees a corrupted input, must output the clean one: learns the data, not the identity."
    knobs = ("noise_std", "mask_prob")

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        """Gaussian noise of std `noise_std`, then masking each feature with probability `mask_prob`."""
        if self.cfg.noise_std > 0:
            x = x + self.cfg.noise_std * torch.randn(x.shape, generator=self.generator)
        if self.cfg.mask_prob > 0:
            keep = torch.rand(x.shape, generator=self.generator) >= self.cfg.mask_prob
            x = x * keep
        return x

    def training_input(self, x: torch.Tensor) -> torch.Tensor:
        """A corrupted copy of x when training, x itself when evaluating."""
        return self.corrupt(x) if self.training else x

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction of the clean x from a corrupted copy (when training)."""
        recon = self.reconstruction_loss(self(self.training_input(x)), x)
        return {"total": recon, "recon": recon}


class SparseAutoencoder(Autoencoder):
    """Adds an L1 penalty on the code (and, optionally, on the hidden encoder activations too):
    most units stay near zero for any one input."""

    title = "Sparse"
    description = "An L1 penalty on the code keeps most units silent for each input."
    knobs = ("sparsity", "sparse_hidden")
    manual_backprop = False  # extra loss terms: autograd computes the gradient

    @classmethod
    def cost_factors(cls, cfg: ModelConfig) -> tuple[float, float]:
        """The L1 terms add about 30 % to an epoch's arithmetic, and autograd's steps."""
        return 1.3, AUTOGRAD_STEP_FACTOR

    def penalises_hidden(self) -> bool:
        """True when the hidden encoder activations are penalised as well as the code."""
        return self.cfg.sparse_hidden

    def encode_all(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The code (batch, latent) and each hidden encoder layer's activations (batch, width)."""
        hidden: list[torch.Tensor] = []
        modules = list(self.encoder)
        for i, m in enumerate(modules):
            x = m(x)
            if i + 1 < len(modules) and isinstance(modules[i + 1], nn.Linear):
                hidden.append(x)  # (batch, width) after the activation
        return x, hidden

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction plus `sparsity` · mean over the batch of Σ_j |h_j| (code, and hidden if chosen)."""
        h, hidden = self.encode_all(x)  # (batch, latent), [(batch, width), ...]
        recon = self.reconstruction_loss(self.decode(h), x)
        l1 = h.abs().sum(dim=1).mean()
        if self.penalises_hidden():
            for a in hidden:
                l1 = l1 + a.abs().sum(dim=1).mean()
        penalty = self.cfg.sparsity * l1
        return {"total": recon + penalty, "recon": recon, "sparsity": penalty}


class ContractiveAutoencoder(Autoencoder):
    """Adds λ‖J_f(x)‖²_F, the encoder Jacobian's squared Frobenius norm (Rifai et al., 2011)."""

    title = "Contractive"
    description = "Penalises how fast the code moves when the input moves: a smooth, robust encoder."
    knobs = ("contractive",)
    manual_backprop = False  # extra loss terms: autograd computes the gradient

    @classmethod
    def cost_factors(cls, cfg: ModelConfig) -> tuple[float, float]:
        """One extra backward pass through the encoder per code unit."""
        return 1.0 + 0.5 * cfg.latent, AUTOGRAD_STEP_FACTOR + cfg.latent

    def jacobian_penalty(self, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
        """Mean over the batch of ‖∂h/∂x‖²_F, exact by autograd (one backward pass per code unit).

        Row j of every sample's Jacobian is the gradient of Σ_batch h_j, because sample i's code
        depends on sample i's input only. `create_graph` keeps the graph so the penalty can be trained.
        """
        x = x.detach().requires_grad_(True)
        h = self.encode(x)  # (batch, latent)
        total = x.new_zeros(())
        for j in range(h.shape[1]):
            (g,) = torch.autograd.grad(h[:, j].sum(), x, create_graph=create_graph,
                                       retain_graph=True)  # g: (batch, features)
            total = total + (g**2).sum()
        return total / x.shape[0]

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction plus `contractive` · ‖J‖²_F."""
        recon = self.reconstruction_loss(self(x), x)
        with torch.enable_grad():
            penalty = self.cfg.contractive * self.jacobian_penalty(x, create_graph=self.training)
        return {"total": recon + penalty, "recon": recon, "contractive": penalty}


class VariationalAutoencoder(Autoencoder):
    """The encoder outputs μ and log σ²; codes are sampled; KL(q(z|x) ‖ N(0, I)) pulls them together.

    Kingma & Welling, "Auto-Encoding Variational Bayes" (2014); β weighting from Higgins et al. (2017).
    """

    title = "Variational (VAE)"
    description = "Encodes a distribution, samples from it, and pays β·KL to stay near N(0, I): no holes."
    knobs = ("beta",)
    manual_backprop = False  # extra loss terms: autograd computes the gradient
    code_multiplier = 2

    @classmethod
    def cost_factors(cls, cfg: ModelConfig) -> tuple[float, float]:
        """Twice the code layer, the sampling and the KL term: about 1.5 epochs' arithmetic."""
        return 1.5, AUTOGRAD_STEP_FACTOR

    def encode_stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ², each (batch, latent)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The mean code μ (batch, latent): what the latent map shows."""
        return self.encode_stats(x)[0]

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = μ + σ·ε with ε ~ N(0, I), so gradients flow through μ and σ."""
        eps = torch.randn(mu.shape, generator=self.generator)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct from a sampled code when training, from μ otherwise."""
        mu, logvar = self.encode_stats(x)
        return self.decode(self.reparameterize(mu, logvar) if self.training else mu)

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction + β · KL, the KL summed over latent units and averaged over the batch,
        divided by the feature count so it sits on the per-element scale of the reconstruction.

        Training reconstructs from a sampled z; evaluation (`model.eval()`) from μ, so the same weights
        always give the same errors (no ε drawn, whatever state a generator is in)."""
        mu, logvar = self.encode_stats(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        recon = self.reconstruction_loss(self.decode(z), x)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1).mean() / self.n_features
        return {"total": recon + self.cfg.beta * kl, "recon": recon, "kl": kl}


VARIANTS: dict[str, type[Autoencoder]] = {
    "autoencoder": Autoencoder,
    "linear": LinearAutoencoder,
    "denoising": DenoisingAutoencoder,
    "sparse": SparseAutoencoder,
    "contractive": ContractiveAutoencoder,
    "variational": VariationalAutoencoder,
}


def build(cfg: ModelConfig, data, seed: int = 0) -> Autoencoder:
    """A freshly initialised model of the configured variant, sized for `data` (a Dataset)."""
    if cfg.variant not in VARIANTS:
        raise ValueError(f"Unknown variant {cfg.variant!r}; choose one of {sorted(VARIANTS)}.")
    if cfg.latent < 1 or any(w < 1 for w in cfg.hidden):
        raise ValueError("Every layer needs at least one unit.")
    model = VARIANTS[cfg.variant](data.n_features, cfg, bounded=data.bounded)
    init_parameters(model, torch.Generator().manual_seed(seed))
    return block_layout(model)  # the trainer's layout, so the model, its copies and restorations agree to the bit


def layer_table(cfg: ModelConfig, n_features: int) -> list[dict]:
    """One row per layer of the hourglass: name, part, width and parameters (weights + biases in)."""
    k = VARIANTS[cfg.variant].code_multiplier if cfg.variant in VARIANTS else 1
    enc = [n_features, *cfg.hidden]
    rows = [{"layer": "input", "part": "input", "width": n_features, "params": 0}]
    prev = n_features
    for i, w in enumerate(cfg.hidden, 1):
        rows.append({"layer": f"encoder {i}", "part": "encoder", "width": w, "params": prev * w + w})
        prev = w
    out = cfg.latent * k
    name = "code (μ, log σ²)" if k == 2 else "code"
    rows.append({"layer": name, "part": "bottleneck", "width": cfg.latent, "params": prev * out + out})
    prev = cfg.latent
    for i, w in enumerate(reversed(enc), 1):
        last = i == len(enc)
        rows.append({
            "layer": "output" if last else f"decoder {i}",
            "part": "output" if last else "decoder",
            "width": w,
            "params": prev * w + w,
        })
        prev = w
    return rows
