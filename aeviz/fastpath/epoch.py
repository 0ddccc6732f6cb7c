"""One epoch of a plain-MSE Linear/activation stack as one TorchScript call (`CompiledEpoch`): forward,
backward by hand and the fused Adam step of every batch, then the test error, with no Python between the
operations, so the call holds Python's interpreter lock only to start. It runs on the [Wᵀ; b] blocks that
.flat lays the parameters out in."""

from __future__ import annotations

import functools
import math
import warnings

import torch
from torch import nn

from ..activations import of_module
from .flat import FlatAdam, linear_block



# the activation after each Linear, as the compiled epoch names it (0: none), by its name in aeviz.activations
_ACT_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3, "elu": 4, "leaky_relu": 5}
# as TorchScript source ({x} the tensor, {g} the gradient, {o} the activation's output, {p} its parameter): each
# code's forward in place (training: its backward needs only its output), out of place (as the modules compute it,
# for the test error) and backward from its output, written over the gradient
_FORWARD_IN_PLACE = {1: "torch.relu_({x})", 2: "torch.sigmoid_({x})", 3: "torch.tanh_({x})",
                     4: "torch.ops.aten.elu_({x}, {p})", 5: "torch.ops.aten.leaky_relu_({x}, {p})"}
_FORWARD = {0: "{x}", 1: "torch.relu({x})", 2: "torch.sigmoid({x})", 3: "torch.tanh({x})",
            4: "torch.ops.aten.elu({x}, {p})", 5: "torch.ops.aten.leaky_relu({x}, {p})"}
_BACKWARD_IN_PLACE = {1: "torch.ops.aten.threshold_backward({g}, {o}, 0, grad_input={g})",
                      2: "torch.ops.aten.sigmoid_backward({g}, {o}, grad_input={g})",
                      3: "torch.ops.aten.tanh_backward({g}, {o}, grad_input={g})",
                      4: "torch.ops.aten.elu_backward({g}, {p}, 1, 1, True, {o}, grad_input={g})",
                      5: "torch.ops.aten.leaky_relu_backward({g}, {o}, {p}, True, grad_input={g})"}


def _unpack(names: list[str], src: str) -> list[str]:
    return [f"    {name} = {src}[{i}]" for i, name in enumerate(names)]


def _constant_names(L: int) -> list[str]:
    """The views CompiledEpoch.views hands the epoch, in order: per Linear k its block A{k} = [Wᵀ; b]
    (in + 1, out), A{k}ᵀ, Wᵀ (in, out), the bias (out,) and the gradient's block; then the first layer's W (out, in),
    its bias as a column and its gradient's Wᵀ and bias parts."""
    return [f"{n}{k}" for k in range(L) for n in ("A", "AT", "Aw", "b", "GA")] + ["W0", "b0col", "GAw0", "gb0"]


def _buffer_names(L: int) -> list[str]:
    """The buffers CompiledEpoch._batch_buffers makes for each batch size, in order: the batch's rows
    (batch, features) and their transpose, the output Z and its error D (batch, features) with D flat and transposed; per hidden layer k
    its activations transposed with a row of ones under them, H{k} (out + 1, batch), the activations alone Hv{k},
    H{k}ᵀ, and the gradient at its input G{k} (out, batch) with its transpose."""
    return ["xb", "xbT", "Z", "D", "Df", "DT"] + [f"{n}{k}" for k in range(L - 1)
                                                   for n in ("H", "Hv", "HT", "G", "GT")]


def _epoch_source(acts: tuple[int, ...]) -> str:
    """TorchScript source of one epoch of training (forward, MSE, backward by hand, fused Adam) for a stack of
    len(acts) >= 2 Linear layers, the k-th followed by activation acts[k], then the test error.

    Written out layer by layer (no loop over layers, no branch on the activation: each costs interpreter time per
    batch, which for a net of a few thousand weights is most of the batch's time). The hidden activations are kept
    transposed, (width, batch), with a row of ones beneath them, so one product gives a layer's output with its
    bias added, and one product gives its weight and bias gradient together (the [Wᵀ; b] block the parameters are
    laid out in, see flatten_parameters): no bias sums but the first layer's. Every product and activation writes
    into buffers allocated once, so a batch allocates nothing."""
    L = len(acts)
    fwd = lambda k, x: [f"    {_FORWARD_IN_PLACE[acts[k]].format(x=x, p=f'p{k}')}"] if acts[k] else []  # noqa: E731
    bwd = lambda k, g, o: ([f"    {_BACKWARD_IN_PLACE[acts[k]].format(g=g, o=o, p=f'p{k}')}"]  # noqa: E731
                           if acts[k] else [])
    s = ["def step(ids: Tensor, X: Tensor, C: List[Tensor], B: List[Tensor], P: List[float], c: float, loss: Tensor):"]
    s += _unpack(_constant_names(L), "C") + _unpack(_buffer_names(L), "B") + _unpack([f"p{k}" for k in range(L)], "P")
    s += ["    torch.index_select(X, 0, ids, out=xb)  # (batch, features)",
          "    torch.addmm(b0col, W0, xbT, out=Hv0)  # (out, batch): the first layer's output, transposed"] + fwd(0, "Hv0")
    for k in range(1, L - 1):
        s += [f"    torch.mm(AT{k}, H{k - 1}, out=Hv{k})  # W h + b, from the row of ones"] + fwd(k, f"Hv{k}")
    s += [f"    torch.mm(HT{L - 2}, A{L - 1}, out=Z)  # (batch, features): the output, rows again"] + fwd(L - 1, "Z")
    s += ["    torch.sub(Z, xb, out=D)",
          "    torch.dot(Df, Df, out=loss)  # the batch's squared error, summed",
          "    D.mul_(c)  # d loss / d output"] + bwd(L - 1, "D", "Z")
    s += [f"    torch.mm(H{L - 2}, D, out=GA{L - 1})  # [dWᵀ; db] (in + 1, out) in one product",
          f"    torch.mm(Aw{L - 1}, DT, out=G{L - 2})  # (in, batch)"]
    for k in range(L - 2, 0, -1):
        s += bwd(k, f"G{k}", f"Hv{k}")
        s += [f"    torch.mm(H{k - 1}, GT{k}, out=GA{k})", f"    torch.mm(Aw{k}, G{k}, out=G{k - 1})"]
    s += bwd(0, "G0", "Hv0") + ["    torch.mm(xbT, GT0, out=GAw0)  # (features, out)",
                                "    torch.sum(G0, dim=1, out=gb0)"]
    s += ["",
          "def epoch(X: Tensor, perm: Tensor, batch: int, C: List[Tensor], full: List[Tensor], rest: List[Tensor],",
          "          P: List[float], flat: List[Tensor], grad: List[Tensor], m: List[Tensor], v: List[Tensor], t0: int,",
          "          lr: float, beta1: float, beta2: float, eps: float, X_test: Tensor, backup: List[Tensor],",
          "          losses: Tensor) -> Tensor:",
          "    backup[0].copy_(flat[0])  # the state before the epoch, for a rollback",
          "    backup[1].copy_(m[0])",
          "    backup[2].copy_(v[0])"]
    s += _unpack(_constant_names(L), "C") + _unpack([f"p{k}" for k in range(L)], "P")
    s += ["    ids = perm.split(batch)",
          "    nb = len(ids)",
          "    steps = torch.arange(t0 + 1, t0 + nb + 1, dtype=torch.float32).unbind()  # Adam's step count, per batch",
          "    ls = losses.unbind()",
          "    for i in range(nb):",
          "        rows = ids[i]",
          "        if rows.size(0) == batch:",
          "            step(rows, X, C, full, P, 2.0 / (batch * X.size(1)), ls[i])",
          "        else:  # the last, partial batch: its buffers share the full batch's storage, so its rows of ones"]
    s += [f"            rest[{_buffer_names(L).index(f'H{k}')}][-1].fill_(1.0)" for k in range(L - 1)]
    s += ["            step(rows, X, C, rest, P, 2.0 / (rows.size(0) * X.size(1)), ls[i])",
          "        torch.ops.aten._fused_adam_(flat, grad, m, v, [], [steps[i]], lr=lr, beta1=beta1, beta2=beta2,",
          "                                    weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)"]
    # the test error after the epoch, op for op what `Autoencoder.loss` computes through its modules (nn.Linear is
    # addmm(b, x, Wᵀ) on 2-D input; each activation out of place; F.mse_loss): the same bits, without a Python call
    # per layer
    s += ["    h = X_test"] + [
        "    h = " + _FORWARD[a].format(x=f"torch.addmm(b{k}, h, Aw{k})", p=f"p{k}") for k, a in enumerate(acts)]
    s += ["    test = torch.nn.functional.mse_loss(h, X_test)",
          "    # the epoch's summed squared error per feature, the test error, and what the divergence checks read",
          "    return torch.stack([losses[:nb].sum() / X.size(1), test, flat[0].sum(), grad[0].amax(), grad[0].amin()])"]
    return "\n".join(s) + "\n"


@functools.lru_cache(maxsize=64)  # one per stack shape a server has trained: bounded whatever visitors choose
def _compiled(acts: tuple[int, ...]):
    """The epoch of a stack with these activation codes, compiled on first use."""
    with warnings.catch_warnings():  # torch 2.13 calls TorchScript deprecated; it is what releases the lock
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.CompilationUnit(_epoch_source(acts)).epoch


class CompiledEpoch:
    """A plain-MSE Linear/activation stack's whole epoch (forward, backward by hand, fused Adam) as one
    TorchScript call, without Python between the ops: the same arithmetic as mse_backprop + FlatAdam.step batch
    by batch, grouped into fewer products (a test compares the two to float32 rounding). `of(layers, optimizer)`
    is None where it does not apply (another layer, a layout other than flatten_parameters', no fused Adam
    kernel): the caller then trains batch by batch."""

    def __init__(self, blocks, grad_blocks, acts, act_params, optimizer: FlatAdam):
        self.blocks, self.grad_blocks = blocks, grad_blocks
        self.acts, self.act_params = tuple(acts), [float(p) for p in act_params]
        self.optimizer = optimizer
        f = blocks[0].shape[0] - 1
        self.views = [t for a, ga in zip(blocks, grad_blocks) for t in (a, a.t(), a[:-1], a[-1], ga)] + [
            blocks[0][:f].t(), blocks[0][f].unsqueeze(1), grad_blocks[0][:f], grad_blocks[0][f]]
        # (weights, m, v) before the last epoch, for `restore()`
        self._backup = [torch.empty_like(optimizer.param), torch.empty_like(optimizer.m), torch.empty_like(optimizer.v)]
        self._backup_t = optimizer.t
        self._buffers: tuple | None = None  # ((rows, batch), full batch's, last batch's, batch losses): buffers()
        self.checks: dict[str, float] = {}  # the last epoch's weight sum and gradient extremes, for divergence checks

    @classmethod
    def of(cls, layers: list[nn.Module], optimizer: FlatAdam) -> "CompiledEpoch | None":
        if not optimizer._fused or not layers or not isinstance(layers[0], nn.Linear):
            return None
        blocks, grad_blocks, acts, act_params = [], [], [], []
        for i, layer in enumerate(layers):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Linear):
                if layer.bias is None:
                    return None
                block, grad_block = linear_block(layer), linear_block(layer, grad=True)
                if block is None or grad_block is None:
                    return None  # not laid out by flatten_parameters
                blocks.append(block)
                grad_blocks.append(grad_block)
                act = None if nxt is None or isinstance(nxt, nn.Linear) else of_module(nxt)
                if act is None and nxt is not None and not isinstance(nxt, nn.Linear):
                    return None  # a layer the compiled epoch cannot differentiate
                if act is not None and act.name not in _ACT_CODES:
                    return None  # an activation registered after the compiled epoch was written
                acts.append(_ACT_CODES[act.name] if act else 0)
                act_params.append((act.param_of(nxt) or 0.0) if act else 0.0)
            elif i == 0 or not isinstance(layers[i - 1], nn.Linear):
                return None  # two activations in a row: not this stack
        if len(blocks) < 2:
            return None
        return cls(blocks, grad_blocks, acts, act_params, optimizer)

    def _batch_buffers(self, size: int, within: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
        """The buffers of one batch of `size` rows, in the order _buffer_names lists them; carved out of the
        storage of `within` (a larger batch's buffers) if given, so the last partial batch costs no memory (the
        epoch then refills its rows of ones, which the full batches overwrite)."""
        owners = iter([t for t in within if t._base is None] if within is not None else [])

        def new(*shape: int) -> torch.Tensor:
            n = math.prod(shape)
            return next(owners).view(-1)[:n].view(shape) if within is not None else torch.empty(shape)

        xb, Z, D = new(size, self.blocks[0].shape[0] - 1), new(size, self.blocks[-1].shape[1]), \
            new(size, self.blocks[-1].shape[1])
        bufs = [xb, xb.t(), Z, D, D.view(-1), D.t()]
        for a in self.blocks[:-1]:
            width = a.shape[1]
            H, G = new(width + 1, size), new(width, size)
            H[width].fill_(1.0)  # the row of ones under the activations (the bias's input)
            bufs += [H, H[:width], H.t(), G, G.t()]
        return bufs

    def buffers(self, rows: int, batch: int) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """(Full batch's buffers, the last partial batch's, the per-batch losses) for an epoch over `rows` rows,
        allocated on first use and kept."""
        if self._buffers is None or self._buffers[0] != (rows, batch):
            full = self._batch_buffers(min(batch, rows))
            rest = self._batch_buffers(rows % batch, within=full) if rows % batch and rows > batch else full
            self._buffers = ((rows, batch), full, rest, torch.zeros(-(-rows // batch)))
        return self._buffers[1:]

    def nbytes(self) -> int:
        """Bytes of the rollback copies and the batch buffers."""
        held = self._backup + ([*self._buffers[1], *self._buffers[2], self._buffers[3]] if self._buffers else [])
        owners = {id(t): t for t in held if t._base is None}  # owners only (the last batch's are views)
        return sum(t.numel() * t.element_size() for t in owners.values())

    @torch.no_grad()
    def run(self, X: torch.Tensor, perm: torch.Tensor, batch: int, X_test: torch.Tensor) -> tuple[float, float]:
        """Train one epoch over X (rows, features) in `perm`'s order and evaluate on X_test, in one call; returns
        (summed squared error per feature, i.e. the batch losses × batch sizes; test MSE) and sets `checks`. The
        state before the epoch is kept for `restore()`."""
        opt = self.optimizer
        self._backup_t = opt.t
        b1, b2 = opt.betas
        full, rest, losses = self.buffers(X.shape[0], batch)
        # as written (the optimiser's rewrites change the last bits); inference mode skips autograd's dispatch
        # step on every op (5 % of a small net's epoch); the weights it updates in place stay normal tensors
        with torch.jit.optimized_execution(False), torch.inference_mode():
            out = _compiled(self.acts)(X, perm, batch, self.views, full, rest, self.act_params, [opt.param],
                                       [opt.grad], [opt.m], [opt.v], opt.t, opt.lr, b1, b2, opt.eps, X_test,
                                       self._backup, losses)
        opt.t += -(-X.shape[0] // batch)
        total, test, self.checks["weight_sum"], self.checks["grad_max"], self.checks["grad_min"] = out.tolist()
        return total, test

    @torch.no_grad()
    def restore(self) -> None:
        """Put the weights and Adam's state back as they were before the last `run`."""
        opt = self.optimizer
        opt.param.copy_(self._backup[0])
        opt.m.copy_(self._backup[1])
        opt.v.copy_(self._backup[2])
        opt.t = self._backup_t
